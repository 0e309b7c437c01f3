//! A queue that may hand elements out in any order.

use std::collections::BTreeMap;
use std::fmt;

use super::{BadOp, Illegal, Model, Observed, RawOp};
use crate::value::Value;

/// A queue without order (a bag) with `enqueue` and `dequeue` (ok value: any element present,
/// or nil for an empty queue). Starts empty.
///
/// Which element a dequeue of unknown outcome took is unknown, so, as in Knossos, such a
/// dequeue is treated as never having taken effect. Record it as `fail` when it surely did
/// not happen; when it did, a later dequeue of an empty queue can be a false alarm.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnorderedQueue;

/// A prepared queue operation, for [`UnorderedQueue`] and [`super::FifoQueue`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QueueOp {
    /// Add an element.
    Enqueue(Value),
    /// Take an element; what it returned, if known (nil: the queue was empty).
    Dequeue(Observed),
}

impl QueueOp {
    pub(crate) fn parse(op: &RawOp<'_>, model: &str) -> Result<QueueOp, BadOp> {
        match op.f {
            "enqueue" => Ok(QueueOp::Enqueue(op.input.clone())),
            "dequeue" => Ok(QueueOp::Dequeue(match op.output {
                None => Observed::Unknown,
                Some(Value::Nil) if op.knossos_nil_reads => Observed::Unknown,
                Some(v) => Observed::Value(v.clone()),
            })),
            f => Err(BadOp::unknown_f(model, f, "enqueue, dequeue")),
        }
    }
}

impl fmt::Display for QueueOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueOp::Enqueue(v) => write!(f, "enqueue {v}"),
            QueueOp::Dequeue(seen) => write!(f, "dequeue -> {seen}"),
        }
    }
}

impl Model for UnorderedQueue {
    /// How many of each element the queue holds.
    type State = BTreeMap<Value, usize>;
    type Op = QueueOp;

    fn name(&self) -> &str {
        "unordered-queue"
    }

    fn init(&self) -> Self::State {
        BTreeMap::new()
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<QueueOp, BadOp> {
        QueueOp::parse(op, "unordered-queue")
    }

    fn step(&self, bag: &Self::State, op: &QueueOp) -> Result<Self::State, Illegal> {
        let mut next = bag.clone();
        match op {
            QueueOp::Enqueue(v) => *next.entry(v.clone()).or_insert(0) += 1,
            QueueOp::Dequeue(Observed::Unknown) => {}
            QueueOp::Dequeue(Observed::Value(Value::Nil)) if bag.is_empty() => {}
            QueueOp::Dequeue(Observed::Value(Value::Nil)) => {
                return Err(Illegal::new(
                    "the dequeue found the queue empty but it was not",
                ));
            }
            QueueOp::Dequeue(Observed::Value(v)) => match next.get_mut(v) {
                Some(1) => {
                    next.remove(v);
                }
                Some(n) => *n -= 1,
                None => {
                    return Err(Illegal::new(
                        "the dequeue returned an element the queue did not hold",
                    ));
                }
            },
        }
        Ok(next)
    }

    fn is_read_only(&self, op: &QueueOp) -> bool {
        matches!(op, QueueOp::Dequeue(Observed::Unknown))
    }

    fn describe_state(&self, bag: &Self::State) -> String {
        let items = bag
            .iter()
            .flat_map(|(v, n)| std::iter::repeat_n(v.clone(), *n))
            .collect();
        Value::Vector(items).to_string()
    }

    fn describe_op(&self, op: &QueueOp) -> String {
        op.to_string()
    }
}
