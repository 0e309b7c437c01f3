//! What each iteration's history is checked against.
//!
//! Any [`Model`] is an oracle (linearizability, [`crate::checker::linearizable`]); a small
//! history with every operation completed is first searched for a linearization directly
//! (`small`), which is most of an exploration's iterations and far cheaper. Another
//! checker (the transactional one, say) joins by implementing [`Oracle`] for its own type;
//! nothing else in exploration changes.

use crate::checker::{Budget, Options, Verdict, linearizable};
use crate::event::Event;
use crate::model::Model;
use crate::report::Analysis;

/// Decides whether one iteration's history is acceptable.
pub trait Oracle: Sync {
    /// The judgement on one iteration's events, spending at most `budget`.
    fn judge(&self, events: &[Event], budget: &Budget) -> Judgement;
}

/// What an [`Oracle`] said about one history.
#[derive(Clone, Debug)]
pub enum Judgement {
    /// The history is acceptable.
    Valid,
    /// The check could not decide (a time or memory limit); exploration goes on and counts it.
    Unknown(String),
    /// The history is not acceptable: why, in words, and what the HTML report draws.
    Invalid {
        /// The counterexample as text.
        explanation: String,
        /// The checker's findings for the report.
        analysis: Box<Analysis>,
    },
}

impl<M: Model> Oracle for M {
    fn judge(&self, events: &[Event], budget: &Budget) -> Judgement {
        if super::small::linearizes(events, self) {
            return Judgement::Valid;
        }
        // Built field by field: `Options::default()` would work out a default budget (reading
        // the machine's free memory) at every iteration.
        let options = Options {
            budget: budget.clone(),
            knossos_nil_reads: false,
            witness_states: false,
            general_search: false,
        };
        match linearizable::check_with(events, self, &options) {
            Ok(Verdict::Linearizable(_)) => Judgement::Valid,
            Ok(Verdict::Unknown(u)) => Judgement::Unknown(u.to_string()),
            Ok(verdict @ Verdict::NotLinearizable(_)) => Judgement::Invalid {
                explanation: verdict.to_string(),
                analysis: Box::new(Analysis::from_verdict(events, &verdict, "")),
            },
            Err(e) => Judgement::Invalid {
                explanation: format!("the history does not fit the {} model: {e}", self.name()),
                analysis: Box::new(Analysis {
                    note: e.to_string(),
                    ..Analysis::default()
                }),
            },
        }
    }
}
