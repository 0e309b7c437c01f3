//! Settings of a linearizability check: its [`Budget`] and how it reads the history.

use crate::checker::budget::Budget;

/// Settings of a linearizability check.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// What the check may spend (time, memory, threads), progress and cancellation.
    pub budget: Budget,
    /// Knossos compatibility: an ok read of nil matches any state, as in Knossos's register
    /// models. Default: off (a read of nil means the object was empty).
    pub knossos_nil_reads: bool,
    /// Describe the model state before and after each operation of a linearizable verdict's
    /// witness ([`PartitionOrder::states`](super::PartitionOrder::states)), for a report.
    /// Default: off (it costs a description per operation).
    pub witness_states: bool,
    /// Always use the general search, even for a model with a polynomial checker
    /// ([`FifoQueue`](crate::model::FifoQueue), [`Stack`](crate::model::Stack) and
    /// [`Set`](crate::model::Set), see [`crate::checker::collections`]): for comparison.
    /// Default: off.
    pub general_search: bool,
}
