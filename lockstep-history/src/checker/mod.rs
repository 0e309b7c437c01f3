//! Checking histories: preprocessing → search → verdict.
//!
//! [`linearizable::check`] (or [`History::check`](crate::History::check)) decides whether a history is
//! linearizable against a [`Model`]: [`preprocess`] pairs and filters the events, the search
//! (Wing–Gong–Lowe just-in-time linearization with a memo of configurations, per partition
//! in parallel, after Horn and Kroening's P-compositionality) looks for a legal order, and
//! the [`Verdict`] gives a witness order, a [`Counterexample`], or why it stopped early.

use std::borrow::Cow;

use crate::event::Event;
use crate::model::Model;

pub mod collections;
pub mod counterexample;
pub mod linearizable;
mod linearized;
mod memo;
pub mod options;
pub mod preprocess;
mod search;
pub mod verdict;

pub use counterexample::{Candidate, CandidateOutcome, Counterexample, DescribedOp, Step};
pub use options::{Options, Progress, ProgressFn};
pub use preprocess::{HistoryError, Operation, Partition, Prepared};
pub use verdict::{Linearization, PartitionOrder, Unknown, UnknownReason, Verdict};

/// What [`assert_linearizable!`](crate::assert_linearizable) accepts: a
/// [`History`](crate::History) or events.
pub trait Events {
    /// The events, in index order.
    fn to_events(&self) -> Cow<'_, [Event]>;
}

impl Events for [Event] {
    fn to_events(&self) -> Cow<'_, [Event]> {
        Cow::Borrowed(self)
    }
}

impl Events for Vec<Event> {
    fn to_events(&self) -> Cow<'_, [Event]> {
        Cow::Borrowed(self)
    }
}

impl<T: Events + ?Sized> Events for &T {
    fn to_events(&self) -> Cow<'_, [Event]> {
        (**self).to_events()
    }
}

#[doc(hidden)]
#[track_caller]
pub fn __assert_linearizable<H: Events + ?Sized, M: Model>(
    history: &H,
    model: &M,
    options: &Options,
) {
    match linearizable::check_with(&history.to_events(), model, options) {
        Ok(Verdict::Linearizable(_)) => {}
        Ok(Verdict::NotLinearizable(c)) => panic!("history is not linearizable:\n{c}"),
        Ok(Verdict::Unknown(u)) => panic!("history could not be checked to the end: {u}"),
        Err(error) => panic!("history cannot be checked: {error}"),
    }
}

/// Panics unless `history` (a [`History`](crate::History) or a slice of events) is linearizable against
/// `model`; the panic message is the counterexample. A third argument gives [`Options`]
/// (`assert_linearizable!(h, model, &options)`); a limit reached panics too.
///
/// ```should_panic
/// use lockstep_history::{assert_linearizable, History, model::Register};
///
/// let h = History::new();
/// h.op("write", 1, || ());
/// h.op("read", (), || 0); // stale
/// assert_linearizable!(h, Register::new(0));
/// ```
#[macro_export]
macro_rules! assert_linearizable {
    ($history:expr, $model:expr $(,)?) => {
        $crate::checker::__assert_linearizable(
            &$history,
            &$model,
            &$crate::checker::Options::default(),
        )
    };
    ($history:expr, $model:expr, $options:expr $(,)?) => {
        $crate::checker::__assert_linearizable(&$history, &$model, $options)
    };
}
