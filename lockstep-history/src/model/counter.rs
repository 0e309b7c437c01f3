//! A counter.

use super::{BadOp, Illegal, Model, RawOp};
use crate::value::Value;

/// A counter with `add` (input: an integer, also `incr`/`increment` with nil meaning 1) and
/// `read` (ok value: the count). Starts at `init`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counter {
    /// The count before any add.
    pub init: i64,
}

impl Counter {
    /// A counter that starts at `init`.
    pub fn new(init: i64) -> Counter {
        Counter { init }
    }
}

/// A prepared counter operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterOp {
    /// Add this amount.
    Add(i64),
    /// A read that returned this count, or `None` when unknown.
    Read(Option<i64>),
}

impl Model for Counter {
    type State = i64;
    type Op = CounterOp;

    fn name(&self) -> &str {
        "counter"
    }

    fn init(&self) -> i64 {
        self.init
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<CounterOp, BadOp> {
        match op.f {
            "add" | "incr" | "increment" => match op.input {
                Value::Nil => Ok(CounterOp::Add(1)),
                v => v
                    .as_i64()
                    .map(CounterOp::Add)
                    .ok_or_else(|| BadOp::shape("an add's value", "an integer", v)),
            },
            "read" => match op.output {
                None => Ok(CounterOp::Read(None)),
                Some(Value::Nil) if op.knossos_nil_reads => Ok(CounterOp::Read(None)),
                // An ok read of nil means empty, as for every model: a count of 0.
                Some(Value::Nil) => Ok(CounterOp::Read(Some(0))),
                Some(v) => v
                    .as_i64()
                    .map(|n| CounterOp::Read(Some(n)))
                    .ok_or_else(|| BadOp::shape("a counter read's result", "an integer", v)),
            },
            f => Err(BadOp::unknown_f("counter", f, "add, read")),
        }
    }

    fn step(&self, count: &i64, op: &CounterOp) -> Result<i64, Illegal> {
        match op {
            CounterOp::Add(n) => count
                .checked_add(*n)
                .ok_or_else(|| Illegal::new("the addition overflows a 64-bit count")),
            CounterOp::Read(Some(n)) if n != count => Err(Illegal::new(
                "the read returned another count than the counter held",
            )),
            CounterOp::Read(_) => Ok(*count),
        }
    }

    fn is_read_only(&self, op: &CounterOp) -> bool {
        matches!(op, CounterOp::Read(_))
    }

    fn describe_state(&self, count: &i64) -> String {
        count.to_string()
    }

    fn describe_op(&self, op: &CounterOp) -> String {
        match op {
            CounterOp::Add(n) => format!("add {n}"),
            CounterOp::Read(Some(n)) => format!("read -> {n}"),
            CounterOp::Read(None) => "read -> ?".to_string(),
        }
    }
}

#[cfg(test)]
mod overflow_tests {
    use super::*;

    #[test]
    fn a_nil_read_is_an_empty_count() {
        let read = |knossos| RawOp {
            f: "read",
            input: &Value::Nil,
            output: Some(&Value::Nil),
            knossos_nil_reads: knossos,
        };
        assert_eq!(
            Counter::new(0).prepare(&read(false)).unwrap(),
            CounterOp::Read(Some(0))
        );
        assert_eq!(
            Counter::new(0).prepare(&read(true)).unwrap(),
            CounterOp::Read(None)
        );
    }

    #[test]
    fn an_overflowing_add_is_illegal() {
        let c = Counter::new(i64::MAX);
        assert!(c.step(&i64::MAX, &CounterOp::Add(1)).is_err());
        assert_eq!(c.step(&0, &CounterOp::Add(-5)).unwrap(), -5);
    }
}
