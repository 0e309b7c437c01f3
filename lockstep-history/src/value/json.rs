//! The JSON (serde) form of a [`Value`].
//!
//! JSON has no keywords, sets or non-string keys, so a few values take a tagged form that
//! reads back exactly:
//!
//! | value                         | JSON                              |
//! |-------------------------------|-----------------------------------|
//! | keyword `:read`               | `":read"`                         |
//! | string that starts with `:`   | `{"$str": ":x"}`                  |
//! | map with string/keyword keys  | an object (`{"x": 1, ":y": 2}`)   |
//! | any other map                 | `{"$map": [[k, v], ...]}`         |
//! | set                           | `{"$set": [...]}`                 |
//! | NaN and infinities            | `{"$float": "NaN"}` / `"inf"` / `"-inf"` |

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Value;
use super::ser::ValueError;

const TAG_STR: &str = "$str";
const TAG_MAP: &str = "$map";
const TAG_SET: &str = "$set";
const TAG_FLOAT: &str = "$float";
const TAGS: [&str; 4] = [TAG_STR, TAG_MAP, TAG_SET, TAG_FLOAT];

/// A string or keyword as a JSON object key, or `None` when it cannot be one unambiguously.
fn json_key(k: &Value) -> Option<String> {
    match k {
        Value::String(s) if !s.starts_with(':') => Some(s.to_string()),
        Value::Keyword(k) => Some(format!(":{k}")),
        _ => None,
    }
}

/// Marks a `Value` passing through serde, so that [`to_value`] can give back the value itself
/// rather than its JSON form. Formats treat a newtype struct as its content, so the JSON
/// form is all they see.
pub(super) const VALUE_TOKEN: &str = "$lockstep_history::Value";

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(VALUE_TOKEN, &JsonForm(self))
    }
}

/// A value in its JSON form (see the module docs).
struct JsonForm<'a>(&'a Value);

/// Undoes the JSON form of one value whose elements are already values.
pub(super) fn from_json_form(v: Value) -> Result<Value, ValueError> {
    match v {
        Value::String(s) if s.starts_with(':') => Ok(from_json_string(&s)),
        Value::Map(m) => {
            if m.len() == 1
                && let Some((Value::String(tag), _)) = m.first_key_value()
                && TAGS.contains(&&**tag)
            {
                let tag = tag.clone();
                let inner = m.into_values().next().unwrap_or_default();
                return untag(&tag, inner).map_err(ValueError::Custom);
            }
            Ok(Value::Map(
                m.into_iter()
                    .map(|(k, v)| match k {
                        Value::String(k) => (from_json_string(&k), v),
                        k => (k, v),
                    })
                    .collect(),
            ))
        }
        other => Ok(other),
    }
}

impl Serialize for JsonForm<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Tagged<'a, T: Serialize>(&'static str, &'a T);
        impl<T: Serialize> Serialize for Tagged<'_, T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(self.0, self.1)?;
                m.end()
            }
        }
        struct Pairs<'a>(&'a BTreeMap<Value, Value>);
        impl Serialize for Pairs<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(Some(self.0.len()))?;
                for pair in self.0 {
                    seq.serialize_element(&pair)?;
                }
                seq.end()
            }
        }
        match self.0 {
            Value::Nil => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::UInt(u) => s.serialize_u64(*u),
            Value::Float(f) if f.is_finite() => s.serialize_f64(*f),
            Value::Float(f) => {
                let name = if f.is_nan() {
                    "NaN"
                } else if *f > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                Tagged(TAG_FLOAT, &name).serialize(s)
            }
            Value::String(t) if t.starts_with(':') => Tagged(TAG_STR, &&**t).serialize(s),
            Value::String(t) => s.serialize_str(t),
            Value::Keyword(k) => s.collect_str(&format_args!(":{k}")),
            Value::Vector(v) => v.serialize(s),
            Value::Set(set) => Tagged(TAG_SET, set).serialize(s),
            Value::Map(m) => {
                let keys: Option<Vec<String>> = m.keys().map(json_key).collect();
                match keys {
                    Some(keys) if !(m.len() == 1 && TAGS.contains(&keys[0].as_str())) => {
                        let mut out = s.serialize_map(Some(m.len()))?;
                        for (k, v) in keys.iter().zip(m.values()) {
                            out.serialize_entry(k, v)?;
                        }
                        out.end()
                    }
                    _ => Tagged(TAG_MAP, &Pairs(m)).serialize(s),
                }
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

fn from_json_string(s: &str) -> Value {
    match s.strip_prefix(':') {
        Some(k) => Value::Keyword(Arc::from(k)),
        None => Value::String(Arc::from(s)),
    }
}

/// The value a tagged JSON object (`{"$set": [...]}` and so on) stands for.
fn untag(tag: &str, v: Value) -> Result<Value, String> {
    let bad = |what: &str| format!("`{tag}` must hold {what}");
    match tag {
        TAG_STR => match v {
            Value::String(s) => Ok(Value::String(s)),
            Value::Keyword(k) => Ok(Value::String(Arc::from(format!(":{k}")))),
            _ => Err(bad("a string")),
        },
        TAG_FLOAT => match v.as_name() {
            Some("NaN") => Ok(Value::Float(f64::NAN)),
            Some("inf") => Ok(Value::Float(f64::INFINITY)),
            Some("-inf") => Ok(Value::Float(f64::NEG_INFINITY)),
            _ => Err(bad("\"NaN\", \"inf\" or \"-inf\"")),
        },
        TAG_SET => match v {
            Value::Vector(items) => Ok(Value::Set(items.into_iter().collect())),
            _ => Err(bad("an array")),
        },
        _ => match v {
            Value::Vector(pairs) => {
                let mut m = BTreeMap::new();
                for p in pairs {
                    match p {
                        Value::Vector(mut kv) if kv.len() == 2 => {
                            let v = kv.pop().unwrap_or_default();
                            let k = kv.pop().unwrap_or_default();
                            m.insert(k, v);
                        }
                        _ => return Err(bad("an array of [key, value] pairs")),
                    }
                }
                Ok(Value::Map(m))
            }
            _ => Err(bad("an array of [key, value] pairs")),
        },
    }
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a recorded value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::from_u64(u))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(from_json_string(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            v.push(item);
        }
        Ok(Value::Vector(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = BTreeMap::new();
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Value::Map(out));
        };
        let first_value: Value = map.next_value()?;
        match map.next_key::<String>()? {
            None if TAGS.contains(&first.as_str()) => {
                return untag(&first, first_value).map_err(de::Error::custom);
            }
            None => {
                out.insert(from_json_string(&first), first_value);
            }
            Some(second) => {
                out.insert(from_json_string(&first), first_value);
                let v: Value = map.next_value()?;
                out.insert(from_json_string(&second), v);
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.insert(from_json_string(&k), v);
                }
            }
        }
        Ok(Value::Map(out))
    }
}
