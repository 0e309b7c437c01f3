//! Several registers read and written together in transactions.

use std::collections::BTreeMap;
use std::fmt;

use super::{BadOp, Illegal, Model, Observed, RawOp};
use crate::value::Value;

/// Registers under keys, operated on by Jepsen `txn` operations whose value is a vector of
/// micro-ops `[:read k v]` and `[:write k v]`, applied in order and atomically. On invoke the
/// reads carry nil; the ok carries what they read. Keys start at `init`, or nil when absent.
#[derive(Clone, Debug, Default)]
pub struct MultiRegister {
    /// Each key's value before any write.
    pub init: BTreeMap<Value, Value>,
}

impl MultiRegister {
    /// Registers starting at these `(key, value)` pairs.
    pub fn new(init: impl IntoIterator<Item = (Value, Value)>) -> MultiRegister {
        MultiRegister {
            init: init.into_iter().collect(),
        }
    }
}

/// One step of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MicroOp {
    /// A read of a key and what it observed.
    Read(Value, Observed),
    /// A write of a value to a key.
    Write(Value, Value),
}

impl fmt::Display for MicroOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MicroOp::Read(k, seen) => write!(f, "[:read {k} {seen}]"),
            MicroOp::Write(k, v) => write!(f, "[:write {k} {v}]"),
        }
    }
}

fn parse_micro(v: &Value, unknown_reads: bool, knossos: bool) -> Result<MicroOp, BadOp> {
    let shape = || BadOp::shape("a txn micro-op", "[:read k v] or [:write k v]", v);
    let [f, k, x] = v.as_slice().ok_or_else(shape)? else {
        return Err(shape());
    };
    match f.as_name() {
        Some("r" | "read") => Ok(MicroOp::Read(
            k.clone(),
            if unknown_reads || (knossos && x.is_nil()) {
                Observed::Unknown
            } else {
                Observed::Value(x.clone())
            },
        )),
        Some("w" | "write") => Ok(MicroOp::Write(k.clone(), x.clone())),
        _ => Err(shape()),
    }
}

impl Model for MultiRegister {
    /// Every key's value; absent keys are nil.
    type State = BTreeMap<Value, Value>;
    type Op = Vec<MicroOp>;

    fn name(&self) -> &str {
        "multi-register"
    }

    fn init(&self) -> Self::State {
        self.init.clone()
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<Vec<MicroOp>, BadOp> {
        if op.f != "txn" {
            return Err(BadOp::unknown_f("multi-register", op.f, "txn"));
        }
        let (value, unknown_reads) = match op.output {
            Some(out) => (out, false),
            None => (op.input, true),
        };
        value
            .as_slice()
            .ok_or_else(|| BadOp::shape("a txn's value", "a vector of micro-ops", value))?
            .iter()
            .map(|m| parse_micro(m, unknown_reads, op.knossos_nil_reads))
            .collect()
    }

    fn step(&self, state: &Self::State, txn: &Vec<MicroOp>) -> Result<Self::State, Illegal> {
        let mut next = state.clone();
        for m in txn {
            match m {
                MicroOp::Read(k, seen) => {
                    if !seen.matches(next.get(k).unwrap_or(&Value::Nil)) {
                        return Err(Illegal::new(
                            "a read returned another value than the key held",
                        ));
                    }
                }
                MicroOp::Write(k, v) => {
                    next.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(next)
    }

    fn is_read_only(&self, txn: &Vec<MicroOp>) -> bool {
        txn.iter().all(|m| matches!(m, MicroOp::Read(..)))
    }

    fn describe_state(&self, state: &Self::State) -> String {
        Value::Map(state.clone()).to_string()
    }

    fn describe_op(&self, txn: &Vec<MicroOp>) -> String {
        let parts: Vec<String> = txn.iter().map(ToString::to_string).collect();
        format!("txn [{}]", parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txn_reads_and_writes_in_order() {
        let m = MultiRegister::new([(Value::keyword("x"), Value::Int(0))]);
        let micro = |f: &str, k: &str, v: Value| {
            Value::Vector(vec![Value::keyword(f), Value::keyword(k), v])
        };
        let out = Value::Vector(vec![
            micro("write", "x", Value::Int(2)),
            micro("read", "x", Value::Int(2)),
        ]);
        let txn = m
            .prepare(&RawOp {
                f: "txn",
                input: &Value::Nil,
                output: Some(&out),
                knossos_nil_reads: false,
            })
            .unwrap();
        let s = m.step(&m.init(), &txn).unwrap();
        assert_eq!(s.get(&Value::keyword("x")), Some(&Value::Int(2)));
        let stale = Value::Vector(vec![micro("read", "x", Value::Int(5))]);
        let txn = m
            .prepare(&RawOp {
                f: "txn",
                input: &Value::Nil,
                output: Some(&stale),
                knossos_nil_reads: false,
            })
            .unwrap();
        assert!(m.step(&s, &txn).is_err());
    }
}
