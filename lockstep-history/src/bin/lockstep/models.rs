//! The model `--model` chose, started at the `--init` value. The models, their names and
//! what counts as a valid start are the library's ([`lockstep_history::model::BUILTINS`]);
//! this reads `--init` and words the errors for the command line.

use std::collections::{BTreeMap, HashSet};

use lockstep_history::format::edn;
use lockstep_history::format::excerpt::excerpt;
use lockstep_history::model::BadInit;
pub use lockstep_history::model::WithModel;
use lockstep_history::{Event, Value};

use crate::args::ModelName;

/// Starts the model `name` at `init` (EDN or JSON text) and hands it to `w`.
///
/// # Errors
/// One line when `name` is a transactional workload, or `init` is neither EDN nor JSON or
/// does not suit the model.
pub fn with<W: WithModel>(
    name: ModelName,
    init: Option<&str>,
    events: &[Event],
    w: W,
) -> Result<W::Out, String> {
    let builtin = match name {
        ModelName::Builtin(b) => b,
        ModelName::Txn(workload) => {
            return Err(format!(
                "{workload} is a transactional workload, not a model: `lockstep check --model {workload}` checks it"
            ));
        }
    };
    let init = init.map(parse_init).transpose()?;
    let shown = init
        .as_ref()
        .map(|v| excerpt(&v.to_string()).to_string())
        .unwrap_or_default();
    let init = init.map(|v| match v {
        Value::Map(m) => Value::Map(align_keys(m, events)),
        v => v,
    });
    builtin.with(init, w).map_err(|e| match e {
        BadInit::StartsEmpty { .. } => format!("--init {shown}: {e}; leave --init out"),
        _ => format!("--init {shown}: {e}"),
    })
}

/// The model as the report names it: `cas-register, initially 0, Knossos nil reads`.
pub fn describe(name: ModelName, init: Option<&str>, knossos: bool) -> String {
    let mut text = name.name().to_owned();
    if let Some(v) = init.and_then(|t| parse_init(t).ok()) {
        text.push_str(&format!(", initially {v}"));
    }
    if knossos {
        text.push_str(", Knossos nil reads");
    }
    text
}

/// Reads an `--init` value: JSON first (`{"x": 0}`, `"text"`), then EDN (`nil`, `{:x 0}`).
pub fn parse_init(text: &str) -> Result<Value, String> {
    if let Ok(v) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    edn::parse_value(text).map_err(|e| format!("--init {text}: neither EDN nor JSON ({e})"))
}

/// JSON has no keywords, so `--init '{"x": 0}'` names registers with strings while an EDN
/// history names them `:x`. Each string key the history never uses but whose keyword it
/// does use becomes that keyword, and the other way round. A key the history never uses
/// can match no read, so this only ever reads the user's intent, whatever the model.
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
