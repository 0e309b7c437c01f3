//! A read/write register.

use std::fmt;

use super::{BadOp, Illegal, Model, Observed, RawOp};
use crate::value::Value;

/// A register of one value: `read` (ok value is what it read) and `write` (input is the new
/// value). Starts at `init` (nil by default).
#[derive(Clone, Debug, Default)]
pub struct Register {
    /// The value before any write.
    pub init: Value,
}

impl Register {
    /// A register that starts at `init`.
    pub fn new(init: impl Into<Value>) -> Register {
        Register { init: init.into() }
    }
}

/// A prepared register operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// A read and what it observed.
    Read(Observed),
    /// A write of this value.
    Write(Value),
}

impl RegisterOp {
    /// Parses `read` and `write`, the register vocabulary shared by the register models.
    pub(crate) fn parse(op: &RawOp<'_>, model: &str, expected: &str) -> Result<RegisterOp, BadOp> {
        match op.f {
            "read" | "get" => Ok(RegisterOp::Read(Observed::of_read(op))),
            "write" | "put" => Ok(RegisterOp::Write(op.input.clone())),
            f => Err(BadOp::unknown_f(model, f, expected)),
        }
    }

    /// Steps a register holding `state`.
    pub(crate) fn apply(&self, state: &Value) -> Result<Value, Illegal> {
        match self {
            RegisterOp::Read(seen) if seen.matches(state) => Ok(state.clone()),
            RegisterOp::Read(_) => Err(Illegal::new(
                "the read returned another value than the register held",
            )),
            RegisterOp::Write(v) => Ok(v.clone()),
        }
    }
}

impl fmt::Display for RegisterOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterOp::Read(seen) => write!(f, "read -> {seen}"),
            RegisterOp::Write(v) => write!(f, "write {v}"),
        }
    }
}

impl Model for Register {
    type State = Value;
    type Op = RegisterOp;

    fn name(&self) -> &str {
        "register"
    }

    fn init(&self) -> Value {
        self.init.clone()
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<RegisterOp, BadOp> {
        RegisterOp::parse(op, "register", "read, write")
    }

    fn step(&self, state: &Value, op: &RegisterOp) -> Result<Value, Illegal> {
        op.apply(state)
    }

    fn is_read_only(&self, op: &RegisterOp) -> bool {
        matches!(op, RegisterOp::Read(_))
    }

    fn describe_state(&self, state: &Value) -> String {
        state.to_string()
    }

    fn describe_op(&self, op: &RegisterOp) -> String {
        op.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(f: &'a str, input: &'a Value, output: Option<&'a Value>) -> RawOp<'a> {
        RawOp {
            f,
            input,
            output,
            knossos_nil_reads: false,
        }
    }

    #[test]
    fn reads_see_the_last_write() {
        let m = Register::new(0);
        let w = m
            .prepare(&raw("write", &Value::Int(3), Some(&Value::Int(3))))
            .unwrap();
        let r3 = m
            .prepare(&raw("read", &Value::Nil, Some(&Value::Int(3))))
            .unwrap();
        let s = m.step(&m.init(), &w).unwrap();
        assert_eq!(m.step(&s, &r3), Ok(Value::Int(3)));
        assert!(m.step(&m.init(), &r3).is_err());
    }

    #[test]
    fn nil_reads_are_empty_unless_knossos() {
        let m = Register::new(0);
        let nil = Value::Nil;
        let strict = m.prepare(&raw("read", &nil, Some(&nil))).unwrap();
        assert!(m.step(&Value::Int(0), &strict).is_err());
        assert!(m.step(&Value::Nil, &strict).is_ok());
        let knossos = m
            .prepare(&RawOp {
                knossos_nil_reads: true,
                ..raw("read", &nil, Some(&nil))
            })
            .unwrap();
        assert!(m.step(&Value::Int(0), &knossos).is_ok());
    }

    #[test]
    fn unknown_f_is_a_bad_op() {
        let m = Register::default();
        let err = m.prepare(&raw("cas", &Value::Nil, None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown operation `cas` for register (expected read, write)"
        );
    }
}
