//! A first-in first-out queue.

use std::collections::VecDeque;

use super::unordered_queue::QueueOp;
use super::{BadOp, Collection, Illegal, Model, Observed, RawOp};
use crate::value::Value;

/// A FIFO queue with `enqueue` (input: the element) and `dequeue` (ok value: the element, or
/// nil for an empty queue). Starts empty. A dequeue whose outcome is unknown removes the head,
/// if there is one.
#[derive(Clone, Copy, Debug, Default)]
pub struct FifoQueue;

impl Model for FifoQueue {
    type State = VecDeque<Value>;
    type Op = QueueOp;

    fn name(&self) -> &str {
        "fifo-queue"
    }

    fn init(&self) -> VecDeque<Value> {
        VecDeque::new()
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<QueueOp, BadOp> {
        QueueOp::parse(op, "fifo-queue")
    }

    fn step(&self, queue: &VecDeque<Value>, op: &QueueOp) -> Result<VecDeque<Value>, Illegal> {
        let mut next = queue.clone();
        match op {
            QueueOp::Enqueue(v) => next.push_back(v.clone()),
            QueueOp::Dequeue(Observed::Unknown) => {
                next.pop_front();
            }
            QueueOp::Dequeue(Observed::Value(Value::Nil)) if queue.is_empty() => {}
            QueueOp::Dequeue(Observed::Value(Value::Nil)) => {
                return Err(Illegal::new(
                    "the dequeue found the queue empty but it was not",
                ));
            }
            QueueOp::Dequeue(Observed::Value(v)) if queue.front() == Some(v) => {
                next.pop_front();
            }
            QueueOp::Dequeue(Observed::Value(_)) => {
                return Err(Illegal::new(
                    "the dequeue returned another element than the queue's head",
                ));
            }
        }
        Ok(next)
    }

    fn collection(&self) -> Option<Collection> {
        Some(Collection::FifoQueue)
    }

    fn describe_state(&self, queue: &VecDeque<Value>) -> String {
        Value::Vector(queue.iter().cloned().collect()).to_string()
    }

    fn describe_op(&self, op: &QueueOp) -> String {
        op.to_string()
    }
}
