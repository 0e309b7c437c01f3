//! Checking histories. What every checker shares lives here; each checker has a folder.
//!
//! - [`pairing`]: the one pairing of invokes with completions (also used by
//!   [`validate`](crate::validate::validate()) and the [report](crate::report));
//! - [`budget`]: what a check may spend (time, resident memory, threads), its progress and
//!   its cancellation;
//! - [`result`]: the checker-neutral [`Analysis`](result::Analysis) the report and the
//!   command line draw (valid / invalid with operations to highlight and labelled edges /
//!   unknown with the reason);
//! - [`error`]: why a history cannot be checked at all;
//! - [`linearizable`]: the linearizability checker (Wing–Gong–Lowe search, its memo,
//!   counterexamples, verdicts).
//!
//! ```
//! use lockstep_history::checker::linearizable;
//! use lockstep_history::model::Register;
//! use lockstep_history::History;
//!
//! let h = History::new();
//! h.op("write", 1, || ());
//! h.op("read", (), || 1);
//! assert!(linearizable::check(&h.events(), &Register::new(0)).unwrap().is_linearizable());
//! ```

use std::borrow::Cow;

use crate::event::Event;
use crate::history::History;
use crate::model::Model;

pub mod budget;
pub mod collections;
pub mod error;
pub mod linearizable;
pub mod pairing;
pub mod result;
pub mod txn;

pub use budget::{Budget, Progress, ProgressFn};
pub use error::HistoryError;

// The linearizability checker's types, where they were before it had a folder of its own.
#[doc(hidden)]
pub use linearizable::{
    Candidate, CandidateOutcome, Counterexample, DescribedOp, Linearization, Operation, Options,
    Partition, PartitionOrder, Prepared, Step, Unknown, UnknownReason, Verdict, counterexample,
    preprocess, verdict,
};

/// What [`assert_linearizable!`](crate::assert_linearizable) accepts: a
/// [`History`] or events.
pub trait Events {
    /// The events, in index order.
    fn to_events(&self) -> Cow<'_, [Event]>;

    /// `Err` when recorded calls ran outside any history while this one was open (see
    /// [`History::lost_calls`](crate::History::lost_calls)); always `Ok` for plain events.
    ///
    /// # Errors
    /// [`ValidationError::LostCalls`](crate::validate::ValidationError::LostCalls).
    fn lost_calls(&self) -> Result<(), crate::validate::ValidationError> {
        Ok(())
    }
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

impl Events for History {
    fn to_events(&self) -> Cow<'_, [Event]> {
        Cow::Owned(self.events())
    }

    fn lost_calls(&self) -> Result<(), crate::validate::ValidationError> {
        crate::validate::lost_calls(self)
    }
}

impl<T: Events + ?Sized> Events for &T {
    fn to_events(&self) -> Cow<'_, [Event]> {
        (**self).to_events()
    }

    fn lost_calls(&self) -> Result<(), crate::validate::ValidationError> {
        (**self).lost_calls()
    }
}

#[doc(hidden)]
#[track_caller]
pub fn __assert_linearizable<H: Events + ?Sized, M: Model>(
    history: &H,
    model: &M,
    options: &linearizable::Options,
) {
    use linearizable::Verdict;
    if let Err(lost) = history.lost_calls() {
        panic!("history cannot be checked: {lost}");
    }
    match linearizable::check_with(&history.to_events(), model, options) {
        Ok(Verdict::Linearizable(_)) => {}
        Ok(Verdict::NotLinearizable(c)) => panic!("history is not linearizable:\n{c}"),
        Ok(Verdict::Unknown(u)) => panic!("history could not be checked to the end: {u}"),
        Err(error) => panic!("history cannot be checked: {error}"),
    }
}

/// Panics unless `history` (a [`History`] or a slice of events) is linearizable against
/// `model`; the panic message is the counterexample. A third argument gives
/// [`linearizable::Options`] (`assert_linearizable!(h, model, &options)`); a limit reached
/// panics too.
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
            &$crate::checker::linearizable::Options::default(),
        )
    };
    ($history:expr, $model:expr, $options:expr $(,)?) => {
        $crate::checker::__assert_linearizable(&$history, &$model, $options)
    };
}
