//! A compare-and-set register, with the CAS semantics of DESIGN §7.

use std::fmt;

use super::register::RegisterOp;
use super::{BadOp, Illegal, Model, RawOp};
use crate::value::Value;

/// A register with `read`, `write` and `cas`. A `cas` invokes with `[expected new]`; an ok
/// whose value is `false` is a definite compare failure (the register held something other
/// than `expected` then); any other ok value (`true`, or the echoed `[expected new]`) means it
/// applied. Starts at `init` (nil by default).
#[derive(Clone, Debug, Default)]
pub struct CasRegister {
    /// The value before any write.
    pub init: Value,
}

impl CasRegister {
    /// A CAS register that starts at `init`.
    pub fn new(init: impl Into<Value>) -> CasRegister {
        CasRegister { init: init.into() }
    }
}

/// A prepared CAS-register operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CasOp {
    /// A read or a write.
    Plain(RegisterOp),
    /// A compare-and-set that applied (or, if crashed, may have).
    Cas {
        /// The value it compared against.
        expected: Value,
        /// The value it set.
        new: Value,
    },
    /// A compare-and-set that reported a failed compare.
    CasFailed {
        /// The value it compared against.
        expected: Value,
    },
}

impl CasOp {
    /// Parses `read`, `write` and `cas` (`[expected new]`).
    pub(crate) fn parse(op: &RawOp<'_>, model: &str) -> Result<CasOp, BadOp> {
        if op.f != "cas" {
            return RegisterOp::parse(op, model, "read, write, cas").map(CasOp::Plain);
        }
        let (expected, new) = match op.input.as_slice() {
            Some([expected, new]) => (expected.clone(), new.clone()),
            _ => return Err(BadOp::shape("a cas's value", "[expected new]", op.input)),
        };
        Ok(match op.output {
            Some(Value::Bool(false)) => CasOp::CasFailed { expected },
            _ => CasOp::Cas { expected, new },
        })
    }

    /// Steps a register holding `state`.
    pub(crate) fn apply(&self, state: &Value) -> Result<Value, Illegal> {
        match self {
            CasOp::Plain(op) => op.apply(state),
            CasOp::Cas { expected, new } if expected == state => Ok(new.clone()),
            CasOp::Cas { .. } => Err(Illegal::new(
                "the cas applied but the register did not hold its expected value",
            )),
            CasOp::CasFailed { expected } if expected != state => Ok(state.clone()),
            CasOp::CasFailed { .. } => Err(Illegal::new(
                "the cas reported a failed compare but the register held its expected value",
            )),
        }
    }
}

impl fmt::Display for CasOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CasOp::Plain(op) => op.fmt(f),
            CasOp::Cas { expected, new } => write!(f, "cas {expected} -> {new}"),
            CasOp::CasFailed { expected } => write!(f, "cas {expected} -> false (compare failed)"),
        }
    }
}

impl Model for CasRegister {
    type State = Value;
    type Op = CasOp;

    fn name(&self) -> &str {
        "cas-register"
    }

    fn init(&self) -> Value {
        self.init.clone()
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<CasOp, BadOp> {
        CasOp::parse(op, "cas-register")
    }

    fn step(&self, state: &Value, op: &CasOp) -> Result<Value, Illegal> {
        op.apply(state)
    }

    fn is_read_only(&self, op: &CasOp) -> bool {
        matches!(
            op,
            CasOp::Plain(RegisterOp::Read(_)) | CasOp::CasFailed { .. }
        )
    }

    fn describe_state(&self, state: &Value) -> String {
        state.to_string()
    }

    fn describe_op(&self, op: &CasOp) -> String {
        op.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cas(output: Option<&Value>) -> CasOp {
        let input = Value::from(vec![Value::Int(1), Value::Int(2)]);
        CasRegister::new(0)
            .prepare(&RawOp {
                f: "cas",
                input: &input,
                output,
                knossos_nil_reads: false,
            })
            .unwrap()
    }

    #[test]
    fn cas_semantics_follow_the_design() {
        let m = CasRegister::new(0);
        let echoed = Value::from(vec![Value::Int(1), Value::Int(2)]);
        for applied in [cas(Some(&Value::Bool(true))), cas(Some(&echoed)), cas(None)] {
            assert_eq!(m.step(&Value::Int(1), &applied), Ok(Value::Int(2)));
            assert!(m.step(&Value::Int(0), &applied).is_err());
        }
        let failed = cas(Some(&Value::Bool(false)));
        assert_eq!(m.step(&Value::Int(0), &failed), Ok(Value::Int(0)));
        assert!(m.step(&Value::Int(1), &failed).is_err());
    }

    #[test]
    fn malformed_cas_is_a_bad_op() {
        let input = Value::Int(3);
        let err = CasRegister::new(0)
            .prepare(&RawOp {
                f: "cas",
                input: &input,
                output: None,
                knossos_nil_reads: false,
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a cas's value must be [expected new], got 3"
        );
    }
}
