//! A last-in first-out stack.

use std::fmt;

use super::{BadOp, Collection, Illegal, Model, Observed, RawOp};
use crate::value::Value;

/// A LIFO stack with `push` (input: the element) and `pop` (ok value: the element on top, or
/// nil for an empty stack). Starts empty. A pop whose outcome is unknown removes the top, if
/// there is one.
///
/// ```
/// use lockstep_history::{History, model::Stack};
///
/// let h = History::new();
/// h.op("push", 1, || ());
/// h.op("push", 2, || ());
/// h.op("pop", (), || 2);
/// assert!(h.check(&Stack).unwrap().is_linearizable());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Stack;

/// A prepared stack operation, for [`Stack`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StackOp {
    /// Put an element on top.
    Push(Value),
    /// Take the top element; what it returned, if known (nil: the stack was empty).
    Pop(Observed),
}

impl StackOp {
    fn parse(op: &RawOp<'_>) -> Result<StackOp, BadOp> {
        match op.f {
            "push" => Ok(StackOp::Push(op.input.clone())),
            // As for queues, an ok pop of nil means the stack was empty, Knossos mode or not.
            "pop" => Ok(StackOp::Pop(match op.output {
                None => Observed::Unknown,
                Some(v) => Observed::Value(v.clone()),
            })),
            f => Err(BadOp::unknown_f("stack", f, "push, pop")),
        }
    }
}

impl fmt::Display for StackOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StackOp::Push(v) => write!(f, "push {v}"),
            StackOp::Pop(seen) => write!(f, "pop -> {seen}"),
        }
    }
}

// The quick check of exploration (`explore::small::stack`) reads and steps stacks on its
// own, on value numbers: a change to what a push or a pop means here must go there too
// (its tests compare the two on random histories).
impl Model for Stack {
    /// The elements, bottom first.
    type State = Vec<Value>;
    type Op = StackOp;

    fn name(&self) -> &str {
        "stack"
    }

    fn init(&self) -> Vec<Value> {
        Vec::new()
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<StackOp, BadOp> {
        StackOp::parse(op)
    }

    fn step(&self, stack: &Vec<Value>, op: &StackOp) -> Result<Vec<Value>, Illegal> {
        match op {
            StackOp::Push(v) => {
                let mut next = Vec::with_capacity(stack.len() + 1);
                next.extend_from_slice(stack);
                next.push(v.clone());
                Ok(next)
            }
            StackOp::Pop(Observed::Unknown) => Ok(stack[..stack.len().saturating_sub(1)].to_vec()),
            StackOp::Pop(Observed::Value(Value::Nil)) if stack.is_empty() => Ok(Vec::new()),
            StackOp::Pop(Observed::Value(Value::Nil)) => {
                Err(Illegal::new("the pop found the stack empty but it was not"))
            }
            StackOp::Pop(Observed::Value(v)) if stack.last() == Some(v) => {
                Ok(stack[..stack.len() - 1].to_vec())
            }
            StackOp::Pop(Observed::Value(_)) if stack.is_empty() => Err(Illegal::new(
                "the pop returned an element, but the stack is empty",
            )),
            StackOp::Pop(Observed::Value(_)) => Err(Illegal::new(
                "the pop returned another element than the top of the stack",
            )),
        }
    }

    fn collection(&self) -> Option<Collection> {
        Some(Collection::Stack)
    }

    fn describe_state(&self, stack: &Vec<Value>) -> String {
        Value::Vector(stack.clone()).to_string()
    }

    fn describe_op(&self, op: &StackOp) -> String {
        op.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(state: &[i64], op: StackOp) -> Result<Vec<Value>, Illegal> {
        let state: Vec<Value> = state.iter().map(|&i| Value::Int(i)).collect();
        Stack.step(&state, &op)
    }

    #[test]
    fn pops_the_last_pushed_element() {
        assert_eq!(
            step(&[1], StackOp::Push(Value::Int(2))).unwrap(),
            vec![Value::Int(1), Value::Int(2)]
        );
        assert_eq!(
            step(&[1, 2], StackOp::Pop(Observed::Value(Value::Int(2)))).unwrap(),
            vec![Value::Int(1)]
        );
        assert!(step(&[1, 2], StackOp::Pop(Observed::Value(Value::Int(1)))).is_err());
        let empty = step(&[], StackOp::Pop(Observed::Value(Value::Int(1)))).unwrap_err();
        assert!(empty.to_string().contains("the stack is empty"), "{empty}");
    }

    #[test]
    fn empty_pops_need_an_empty_stack() {
        assert!(step(&[], StackOp::Pop(Observed::Value(Value::Nil))).is_ok());
        assert!(step(&[1], StackOp::Pop(Observed::Value(Value::Nil))).is_err());
    }

    #[test]
    fn an_unknown_pop_takes_the_top_if_any() {
        assert_eq!(
            step(&[1, 2], StackOp::Pop(Observed::Unknown)).unwrap(),
            vec![Value::Int(1)]
        );
        assert_eq!(
            step(&[], StackOp::Pop(Observed::Unknown)).unwrap(),
            Vec::<Value>::new()
        );
    }
}
