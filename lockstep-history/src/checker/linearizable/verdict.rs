//! What a check concludes.

use std::fmt;

use serde::Serialize;

use super::counterexample::Counterexample;
pub use crate::checker::budget::UnknownReason;
use crate::checker::result::OpStates;
use crate::value::Value;

/// The answer of a linearizability check.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// Some order of the operations, respecting real time, is legal for the model.
    Linearizable(Linearization),
    /// No order is: here is where every attempt ends.
    NotLinearizable(Box<Counterexample>),
    /// A limit was reached before an answer.
    Unknown(Unknown),
}

impl Verdict {
    /// Whether the history is linearizable.
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable(_))
    }

    /// Whether the history is known not to be linearizable.
    pub fn is_not_linearizable(&self) -> bool {
        matches!(self, Verdict::NotLinearizable(_))
    }

    /// Whether a limit stopped the check.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Verdict::Unknown(_))
    }

    /// The counterexample, if the history is not linearizable.
    pub fn counterexample(&self) -> Option<&Counterexample> {
        match self {
            Verdict::NotLinearizable(c) => Some(c),
            _ => None,
        }
    }

    /// The witness order, if the history is linearizable.
    pub fn linearization(&self) -> Option<&Linearization> {
        match self {
            Verdict::Linearizable(l) => Some(l),
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable(l) => {
                let ops: usize = l.partitions.iter().map(|p| p.order.len()).sum();
                write!(
                    f,
                    "linearizable ({ops} operations linearized in {} partition{})",
                    l.partitions.len(),
                    if l.partitions.len() == 1 { "" } else { "s" }
                )
            }
            Verdict::NotLinearizable(c) => write!(f, "{c}"),
            Verdict::Unknown(u) => write!(f, "{u}"),
        }
    }
}

/// A witness: for each partition, an order of its operations that the model accepts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Linearization {
    /// One order per partition.
    pub partitions: Vec<PartitionOrder>,
}

/// The linearization of one partition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PartitionOrder {
    /// The partition's key (`None` when the model does not partition).
    pub key: Option<Value>,
    /// The operations that took effect, named by their invoke's event index, in
    /// linearization order. Crashed operations left out did not take effect.
    pub order: Vec<u64>,
    /// The model state before and after each operation of `order`, when
    /// [`Options::witness_states`](super::Options::witness_states) asked for them; empty
    /// otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub states: Vec<OpStates>,
}

/// Why a check stopped without an answer, and how far it got.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unknown {
    /// The limit that was reached.
    pub reason: UnknownReason,
    /// The partition being searched then.
    pub partition: Option<Value>,
    /// The most operations linearized on any path in that partition.
    pub deepest: usize,
    /// Operations in that partition.
    pub ops: usize,
}

impl fmt::Display for Unknown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown: {}", self.reason)?;
        if let Some(key) = &self.partition {
            write!(f, " in partition {key}")?;
        }
        write!(
            f,
            " after linearizing at most {} of {} operations",
            self.deepest, self.ops
        )
    }
}
