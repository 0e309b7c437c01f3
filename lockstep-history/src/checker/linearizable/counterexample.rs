//! What a person (or the HTML report) needs to see why a history is not linearizable.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;

use super::preprocess::{Operation, Partition, Prepared};
use crate::model::Model;
use crate::value::Value;

/// The point where every attempt to linearize the history got stuck: the deepest one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Counterexample {
    /// The model's name.
    pub model: String,
    /// The partition (key) where it happened; `None` for an unpartitioned model.
    pub partition: Option<Value>,
    /// The operation that cannot be linearized: it completed, yet no order of the operations
    /// before it lets it take effect.
    pub op: DescribedOp,
    /// The longest linearizable prefix found before it, in order, with the model states.
    pub prefix: Vec<Step>,
    /// The model state after that prefix.
    pub state: String,
    /// Every operation that could have come next there, and why it did not fit.
    pub candidates: Vec<Candidate>,
}

/// An operation with the model's description of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DescribedOp {
    /// The operation as the history recorded it.
    #[serde(flatten)]
    pub op: Operation,
    /// How the model reads it, such as `cas 1 -> 2`.
    pub description: String,
}

/// One operation of a linearization and the states around it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// The operation.
    pub op: DescribedOp,
    /// The model state before it.
    pub before: String,
    /// The model state after it.
    pub after: String,
}

/// An operation that could have been linearized next, and what happened when it was tried.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// The operation.
    pub op: DescribedOp,
    /// Why it did not lead to a linearization.
    pub outcome: CandidateOutcome,
}

/// Why a candidate did not lead to a linearization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CandidateOutcome {
    /// The model does not allow it in that state.
    Illegal {
        /// The model's reason.
        reason: String,
    },
    /// The model allows it, but no order of the remaining operations continues from there.
    DeadEnd {
        /// The state it leads to.
        after: String,
    },
}

impl fmt::Display for DescribedOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = &self.op;
        write!(f, "process {} {}", op.process, self.description)?;
        match op.complete {
            Some(end) if op.is_crashed() => {
                write!(f, " (events {}..{}, outcome unknown)", op.invoke, end)
            }
            Some(end) => write!(f, " (events {}..{})", op.invoke, end),
            None => write!(f, " (event {}.., never completed)", op.invoke),
        }
    }
}

/// How many steps of the prefix the text shows.
const SHOWN_STEPS: usize = 10;
/// How many candidates the text shows.
const SHOWN_CANDIDATES: usize = 20;

impl fmt::Display for Counterexample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not linearizable ({}", self.model)?;
        if let Some(key) = &self.partition {
            write!(f, ", key {key}")?;
        }
        writeln!(f, ")")?;
        writeln!(f, "cannot linearize: {}", self.op)?;
        if self.prefix.is_empty() {
            writeln!(f, "not even as the first operation")?;
        } else {
            let skipped = self.prefix.len().saturating_sub(SHOWN_STEPS);
            let n = self.prefix.len();
            let s = if n == 1 { "" } else { "s" };
            write!(f, "longest linearizable prefix: {n} operation{s}")?;
            if skipped > 0 {
                write!(f, " (the last {SHOWN_STEPS} shown)")?;
            }
            writeln!(f)?;
            for step in &self.prefix[skipped..] {
                writeln!(f, "  {}   [{} -> {}]", step.op, step.before, step.after)?;
            }
        }
        writeln!(f, "model state there: {}", self.state)?;
        writeln!(f, "candidates from there:")?;
        for c in self.candidates.iter().take(SHOWN_CANDIDATES) {
            match &c.outcome {
                CandidateOutcome::Illegal { reason } => {
                    writeln!(f, "  {}: illegal: {reason}", c.op)?
                }
                CandidateOutcome::DeadEnd { after } => writeln!(
                    f,
                    "  {}: allowed (state becomes {after}), but nothing can follow it",
                    c.op
                )?,
            }
        }
        if self.candidates.len() > SHOWN_CANDIDATES {
            writeln!(
                f,
                "  … and {} more",
                self.candidates.len() - SHOWN_CANDIDATES
            )?;
        }
        Ok(())
    }
}

impl<O> Prepared<O> {
    fn described<M: Model<Op = O>>(&self, model: &M, i: usize) -> DescribedOp {
        DescribedOp {
            op: self.operations[i].clone(),
            description: model.describe_op(&self.ops[i]),
        }
    }
}

/// Replays the deepest prefix the search found and tries every candidate after it.
pub(crate) fn build<M: Model>(
    model: &M,
    prepared: &Prepared<M::Op>,
    partition: &Partition,
    prefix: &[usize],
    blocked: usize,
) -> Counterexample {
    let mut state = model.init();
    let mut steps = Vec::with_capacity(prefix.len());
    for &i in prefix {
        // The search took each of these steps from this very state.
        let Ok(after) = model.step(&state, &prepared.ops[i]) else {
            break;
        };
        steps.push(Step {
            op: prepared.described(model, i),
            before: model.describe_state(&state),
            after: model.describe_state(&after),
        });
        state = after;
    }
    let done: HashSet<usize> = prefix.iter().copied().collect();
    let bound = prepared.operations[blocked].complete.unwrap_or(u64::MAX);
    // The stuck operation first, then the others in invoke order.
    let candidates = std::iter::once(blocked)
        .chain(partition.ops.iter().copied().filter(|&i| i != blocked))
        .filter(|i| !done.contains(i) && prepared.operations[*i].invoke < bound)
        .map(|i| Candidate {
            op: prepared.described(model, i),
            outcome: match model.step(&state, &prepared.ops[i]) {
                Err(reason) => CandidateOutcome::Illegal {
                    reason: reason.to_string(),
                },
                Ok(after) => CandidateOutcome::DeadEnd {
                    after: model.describe_state(&after),
                },
            },
        })
        .collect();
    Counterexample {
        model: model.name().to_string(),
        partition: partition.key.clone(),
        op: prepared.described(model, blocked),
        prefix: steps,
        state: model.describe_state(&state),
        candidates,
    }
}
