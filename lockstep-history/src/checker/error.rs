//! Why a history cannot be checked at all, shared by every checker that reads operations
//! through a [`Model`](crate::model::Model).

use crate::event::Process;
use crate::model::BadOp;
use crate::validate::ValidationError;

/// Why a history cannot be checked: it is ill formed, or an operation does not fit the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The events do not form a history (see [`ValidationError`]).
    #[error(transparent)]
    IllFormed(#[from] ValidationError),
    /// An operation the model cannot read.
    #[error("event {index}: process {process} `{f}`: {reason}")]
    BadOp {
        /// Index of the operation's invoke (or of its completion, when the output is at fault).
        index: u64,
        /// Its process.
        process: Process,
        /// Its name.
        f: String,
        /// What is wrong with it.
        #[source]
        reason: BadOp,
    },
}
