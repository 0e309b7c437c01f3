//! A map of independent registers, one per key, checked key by key.

use std::fmt;

use super::cas_register::CasOp;
use super::register::RegisterOp;
use super::{BadOp, Illegal, Model, RawOp};
use crate::value::Value;

/// A key-value store whose operations carry `[key value]` tuples, as Jepsen's `independent`
/// does: `read`/`get` (invoke `[k nil]`, ok `[k v]`), `write`/`put` (`[k v]`), `append`
/// (`[k s]`: appends to a string, or pushes an element onto a vector) and `cas`
/// (`[k [expected new]]`, semantics as [`super::CasRegister`]). Every key starts at `init`
/// (nil by default; `""` for string stores). The history is partitioned by key.
#[derive(Clone, Debug, Default)]
pub struct Kv {
    /// Each key's value before any write.
    pub init: Value,
}

impl Kv {
    /// A store whose keys start at `init`.
    pub fn new(init: impl Into<Value>) -> Kv {
        Kv { init: init.into() }
    }
}

/// A prepared key-value operation: its key and what it does there.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KvOp {
    /// The key it touches.
    pub key: Value,
    /// What it does to that key's value.
    pub action: KvAction,
}

/// What a key-value operation does to its key's value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KvAction {
    /// A read, write or cas.
    Register(CasOp),
    /// Append a string, or push an element.
    Append(Value),
}

fn split<'a>(what: &str, v: &'a Value) -> Result<(&'a Value, &'a Value), BadOp> {
    match v.as_slice() {
        Some([k, x]) => Ok((k, x)),
        _ => Err(BadOp::shape(what, "a [key value] tuple", v)),
    }
}

fn append(current: &Value, tail: &Value) -> Result<Value, Illegal> {
    match (current, tail) {
        (Value::Nil, Value::String(_)) => Ok(tail.clone()),
        (Value::Nil, _) => Ok(Value::Vector(vec![tail.clone()])),
        (Value::String(s), Value::String(t)) => Ok(Value::from(format!("{s}{t}"))),
        (Value::Vector(items), _) => {
            let mut items = items.clone();
            items.push(tail.clone());
            Ok(Value::Vector(items))
        }
        _ => Err(Illegal::new("cannot append to the key's value")),
    }
}

impl fmt::Display for KvOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.action {
            KvAction::Register(op) => write!(f, "{} {op}", self.key),
            KvAction::Append(v) => write!(f, "{} append {v}", self.key),
        }
    }
}

impl Model for Kv {
    /// One key's value (each partition is one key).
    type State = Value;
    type Op = KvOp;

    fn name(&self) -> &str {
        "kv"
    }

    fn init(&self) -> Value {
        self.init.clone()
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<KvOp, BadOp> {
        let (key, input) = split("a kv operation's value", op.input)?;
        let output = match op.output {
            Some(out) if matches!(op.f, "read" | "get") => {
                let (k, v) = split("a kv read's result", out)?;
                if k != key {
                    return Err(BadOp(format!("a read of key {key} returned key {k}")));
                }
                Some(v)
            }
            // A cas reports a failed compare as `false` or `[k false]`.
            Some(out) => Some(split("", out).map(|(_, v)| v).unwrap_or(out)),
            None => None,
        };
        let action = if op.f == "append" {
            KvAction::Append(input.clone())
        } else {
            let inner = RawOp {
                input,
                output,
                ..*op
            };
            KvAction::Register(CasOp::parse(&inner, "kv").map_err(|e| {
                if matches!(op.f, "read" | "get" | "write" | "put" | "cas") {
                    e
                } else {
                    BadOp::unknown_f("kv", op.f, "read, get, write, put, append, cas")
                }
            })?)
        };
        Ok(KvOp {
            key: key.clone(),
            action,
        })
    }

    fn step(&self, state: &Value, op: &KvOp) -> Result<Value, Illegal> {
        match &op.action {
            KvAction::Register(op) => op.apply(state),
            KvAction::Append(tail) => append(state, tail),
        }
    }

    fn partition(&self, op: &KvOp) -> Option<Value> {
        Some(op.key.clone())
    }

    fn is_read_only(&self, op: &KvOp) -> bool {
        matches!(
            op.action,
            KvAction::Register(CasOp::Plain(RegisterOp::Read(_)) | CasOp::CasFailed { .. })
        )
    }

    fn describe_state(&self, state: &Value) -> String {
        state.to_string()
    }

    fn describe_op(&self, op: &KvOp) -> String {
        op.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &[Value]) -> Value {
        Value::Vector(text.to_vec())
    }

    #[test]
    fn ops_carry_their_key() {
        let m = Kv::new("");
        let input = v(&[Value::keyword("x"), Value::Nil]);
        let output = v(&[Value::keyword("x"), Value::from("ab")]);
        let read = m
            .prepare(&RawOp {
                f: "get",
                input: &input,
                output: Some(&output),
                knossos_nil_reads: false,
            })
            .unwrap();
        assert_eq!(m.partition(&read), Some(Value::keyword("x")));
        let app = v(&[Value::keyword("x"), Value::from("b")]);
        let append = m
            .prepare(&RawOp {
                f: "append",
                input: &app,
                output: Some(&app),
                knossos_nil_reads: false,
            })
            .unwrap();
        let s = m.step(&Value::from("a"), &append).unwrap();
        assert_eq!(m.step(&s, &read), Ok(Value::from("ab")));
    }

    #[test]
    fn malformed_tuples_are_bad_ops() {
        let m = Kv::default();
        let bad = Value::Int(1);
        let err = m
            .prepare(&RawOp {
                f: "write",
                input: &bad,
                output: None,
                knossos_nil_reads: false,
            })
            .unwrap_err();
        assert!(err.to_string().contains("[key value]"), "{err}");
        let input = v(&[Value::Int(1), Value::Int(2)]);
        let err = m
            .prepare(&RawOp {
                f: "frob",
                input: &input,
                output: None,
                knossos_nil_reads: false,
            })
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown operation `frob`"),
            "{err}"
        );
    }
}
