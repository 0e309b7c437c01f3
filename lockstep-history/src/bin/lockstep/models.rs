//! The built-in models by command-line name, and the `--init` value they start from.

use std::collections::{BTreeMap, HashSet};

use lockstep_history::format::edn;
use lockstep_history::model::{
    CasRegister, Counter, FifoQueue, Kv, Model, MultiRegister, Mutex, Register, Set, Stack,
    UnorderedQueue,
};
use lockstep_history::{Event, Value};

use crate::args::ModelName;

/// Something to do with a model, whichever one was chosen.
pub trait WithModel {
    /// What it produces.
    type Out;
    /// Does it with `model`.
    fn with<M: Model>(self, model: &M) -> Self::Out;
}

/// Builds the model `name` starting at `init` (EDN or JSON text) and hands it to `w`.
///
/// # Errors
/// One line when `init` is neither EDN nor JSON or does not suit the model.
pub fn with<W: WithModel>(
    name: ModelName,
    init: Option<&str>,
    events: &[Event],
    w: W,
) -> Result<W::Out, String> {
    let init = init.map(parse_init).transpose()?;
    let cli = name_of(name);
    Ok(match name {
        ModelName::ListAppend | ModelName::RwRegister => {
            return Err(format!(
                "{cli} is a transactional workload, not a model: `lockstep check --model {cli}` checks it"
            ));
        }
        ModelName::Register => w.with(&Register::new(init.unwrap_or(Value::Nil))),
        ModelName::CasRegister => w.with(&CasRegister::new(init.unwrap_or(Value::Nil))),
        ModelName::Kv => w.with(&Kv::new(init.unwrap_or(Value::Nil))),
        ModelName::Counter => {
            let start = match init {
                None | Some(Value::Nil) => 0,
                Some(v) => v
                    .as_i64()
                    .ok_or_else(|| format!("--init {v}: the counter model starts at an integer"))?,
            };
            w.with(&Counter::new(start))
        }
        ModelName::MultiRegister => {
            let registers = match init {
                None | Some(Value::Nil) => BTreeMap::new(),
                Some(Value::Map(m)) => align_keys(m, events),
                Some(v) => {
                    return Err(format!(
                        "--init {v}: multi-register starts from a map of registers, \
                         such as '{{:x 0, :y 0}}'"
                    ));
                }
            };
            w.with(&MultiRegister::new(registers))
        }
        ModelName::Mutex
        | ModelName::Set
        | ModelName::FifoQueue
        | ModelName::UnorderedQueue
        | ModelName::Stack => {
            if let Some(v) = init.filter(|v| !is_empty(v)) {
                return Err(format!(
                    "--init {v}: the {cli} model always starts empty; leave --init out"
                ));
            }
            match name {
                ModelName::Mutex => w.with(&Mutex),
                ModelName::Set => w.with(&Set),
                ModelName::FifoQueue => w.with(&FifoQueue),
                ModelName::Stack => w.with(&Stack),
                _ => w.with(&UnorderedQueue),
            }
        }
    })
}

/// The model as the report names it: `cas-register, initially 0, Knossos nil reads`.
pub fn describe(name: ModelName, init: Option<&str>, knossos: bool) -> String {
    let mut text = name_of(name).to_owned();
    if let Some(v) = init.and_then(|t| parse_init(t).ok()) {
        text.push_str(&format!(", initially {v}"));
    }
    if knossos {
        text.push_str(", Knossos nil reads");
    }
    text
}

/// The command-line name of a model.
pub fn name_of(name: ModelName) -> &'static str {
    match name {
        ModelName::Register => "register",
        ModelName::CasRegister => "cas-register",
        ModelName::Mutex => "mutex",
        ModelName::Set => "set",
        ModelName::FifoQueue => "fifo-queue",
        ModelName::UnorderedQueue => "unordered-queue",
        ModelName::Stack => "stack",
        ModelName::Counter => "counter",
        ModelName::Kv => "kv",
        ModelName::MultiRegister => "multi-register",
        ModelName::ListAppend => "list-append",
        ModelName::RwRegister => "rw-register",
    }
}

/// Reads an `--init` value: JSON first (`{"x": 0}`, `"text"`), then EDN (`nil`, `{:x 0}`).
pub fn parse_init(text: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    edn::parse_value(text).map_err(|e| format!("--init {text}: neither EDN nor JSON ({e})"))
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Vector(items) => items.is_empty(),
        Value::Set(items) => items.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

/// JSON has no keywords, so `--init '{"x": 0}'` names registers with strings while an EDN
/// history names them `:x`. Each string key the history never uses but whose keyword it
/// does use becomes that keyword, and the other way round.
fn align_keys(init: BTreeMap<Value, Value>, events: &[Event]) -> BTreeMap<Value, Value> {
    let mut seen: HashSet<&Value> = HashSet::new();
    fn walk<'a>(v: &'a Value, seen: &mut HashSet<&'a Value>) {
        match v {
            Value::String(_) | Value::Keyword(_) => {
                seen.insert(v);
            }
            Value::Vector(items) => items.iter().for_each(|i| walk(i, seen)),
            Value::Set(items) => items.iter().for_each(|i| walk(i, seen)),
            Value::Map(m) => m.iter().for_each(|(k, v)| {
                walk(k, seen);
                walk(v, seen);
            }),
            _ => {}
        }
    }
    for e in events {
        walk(&e.value, &mut seen);
    }
    init.into_iter()
        .map(|(k, v)| {
            let other = match &k {
                Value::String(s) => Value::keyword(s),
                Value::Keyword(name) => Value::String(name.clone()),
                _ => return (k, v),
            };
            if !seen.contains(&k) && seen.contains(&other) {
                (other, v)
            } else {
                (k, v)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_values_in_edn_and_json() {
        assert_eq!(parse_init("0"), Ok(Value::Int(0)));
        assert_eq!(parse_init("nil"), Ok(Value::Nil));
        assert_eq!(parse_init("null"), Ok(Value::Nil));
        let edn = parse_init("{:x 0, :y 0}").unwrap();
        assert_eq!(edn.get("x"), Some(&Value::Int(0)));
        let json = parse_init(r#"{"x": 0}"#).unwrap();
        assert_eq!(json.as_map().map(|m| m.len()), Some(1));
        assert!(parse_init("{:x").is_err());
    }

    #[test]
    fn json_string_keys_follow_the_history() {
        let event: Event = serde_json::from_str(
            r#"{"index":0,"time":0,"type":"invoke","process":0,"f":"txn","value":[[":read",":x",null]]}"#,
        )
        .unwrap();
        let Value::Map(init) = parse_init(r#"{"x": 0, "z": 1}"#).unwrap() else {
            panic!("a map")
        };
        let aligned = align_keys(init, &[event]);
        assert_eq!(aligned.get(&Value::keyword("x")), Some(&Value::Int(0)));
        assert_eq!(aligned.get(&Value::from("z")), Some(&Value::Int(1)));
    }
}
