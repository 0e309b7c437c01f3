//! The checker-neutral result: what any checker found, in the plain terms the report and the
//! command line draw.
//!
//! Every operation is named by the position of its invoke event in the events slice the
//! checker read (the same slice the report draws). A checker fills what fits it: the
//! linearizability checker a witness order or the path where its search got stuck; a
//! checker that infers a graph of operations, the edges of a cycle and the operations on it.

use std::collections::HashMap;

use serde::Serialize;

/// What a check concluded, whatever the property checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Status {
    /// The history has the property.
    Valid,
    /// It does not; [`Analysis::highlight`], [`Analysis::edges`] and
    /// [`Analysis::counterexample`] say why.
    Invalid,
    /// The checker gave up (a limit, a cancellation) before deciding; [`Analysis::note`]
    /// says why.
    #[default]
    Unknown,
}

/// Model states around one operation, as text (the model's own description).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OpStates {
    /// The state just before the operation took effect.
    pub before: String,
    /// The state just after.
    pub after: String,
}

/// Where a search for a valid order got stuck: the operation it could not place, the path
/// before it, and why each candidate next step failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counterexample {
    /// The operation that cannot be placed (its invoke's position).
    pub op: usize,
    /// The longest valid prefix, in order.
    pub prefix: Vec<usize>,
    /// The model state after that prefix.
    pub state: String,
    /// Each operation that could have come next, with why it did not fit.
    pub candidates: Vec<(usize, String)>,
}

/// A relation between two operations that a checker found, such as "`to` read what `from`
/// wrote"; drawn as a labelled arrow.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edge {
    /// The first operation (its invoke's position).
    pub from: usize,
    /// The second operation.
    pub to: usize,
    /// What relates them, in a few words (`wr`, `rw`, `ww`, `real time`).
    pub label: String,
}

/// A checker's findings, in the plain terms the report and the command line draw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The verdict.
    pub status: Status,
    /// The property checked, as the verdict's words use it (`linearizable`).
    pub property: String,
    /// The model, as shown to the reader (`cas-register, initially 0`).
    pub model: String,
    /// For a valid history, a witness order; operations are numbered along it.
    pub order: Vec<usize>,
    /// Operations to draw attention to (those of an anomaly).
    pub highlight: Vec<usize>,
    /// Relations between operations that explain the verdict.
    pub edges: Vec<Edge>,
    /// Where a search got stuck, for an invalid history.
    pub counterexample: Option<Counterexample>,
    /// Model states before and after operations, keyed by invoke position.
    pub states: HashMap<usize, OpStates>,
    /// Anything else worth saying, such as the reason of an unknown verdict.
    pub note: String,
}

impl Analysis {
    /// The verdict in lower-case words, such as `linearizable`, `not linearizable` or
    /// `unknown`; `valid` / `not valid` when no property is named.
    pub fn verdict_words(&self) -> String {
        let property = if self.property.is_empty() {
            "valid"
        } else {
            &self.property
        };
        match self.status {
            Status::Valid => property.to_owned(),
            Status::Invalid => format!("not {property}"),
            Status::Unknown => "unknown".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_words_name_the_property() {
        let mut a = Analysis {
            status: Status::Invalid,
            property: "linearizable".into(),
            ..Analysis::default()
        };
        assert_eq!(a.verdict_words(), "not linearizable");
        a.status = Status::Valid;
        a.property.clear();
        assert_eq!(a.verdict_words(), "valid");
        a.status = Status::Unknown;
        assert_eq!(a.verdict_words(), "unknown");
    }
}
