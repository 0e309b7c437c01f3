//! Recorded values: what an operation was called with and what it returned.
//!
//! [`Value`] holds exactly what Jepsen EDN can hold (nil, booleans, integers, floats,
//! strings, keywords, vectors, maps and sets), so a history can move between Rust, JSON
//! and Clojure tools without losing anything. Any `serde::Serialize` type converts with
//! [`to_value`]; scalars convert without touching the heap.
//!
//! The type, its equality, ordering, hashing and EDN text are here; its JSON form (serde,
//! with the tagged shapes JSON needs) is in `json.rs` and the conversion from any `Serialize` type in `ser.rs`.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

mod json;
mod ser;
#[cfg(test)]
mod tests;

pub(crate) use ser::{Converted, convert, result_variant};
pub use ser::{ValueError, to_value};

/// A recorded value, with the shapes Jepsen EDN has.
///
/// Equality, ordering and hashing are total (floats compare by [`f64::total_cmp`]) so values
/// can key maps and memo tables. Maps and sets are ordered by that order, which makes
/// `{:x 0, :y 1}` equal to `{:y 1, :x 0}`.
///
/// ```
/// use lockstep_history::Value;
///
/// let v = lockstep_history::to_value(&(3, "x", None::<u8>)).unwrap();
/// assert_eq!(v, Value::from(vec![Value::from(3), Value::from("x"), Value::Nil]));
/// assert_eq!(v.to_string(), r#"[3 "x" nil]"#);
/// assert_eq!(v[0].as_i64(), Some(3));
/// ```
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// Nothing: `None`, no arguments, EDN `nil`, JSON `null`.
    #[default]
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in an `i64`.
    Int(i64),
    /// An integer above `i64::MAX`, up to `u64::MAX` (what Clojure reads as a bigint).
    /// Conversions put every integer that fits in an `i64` in [`Value::Int`]; either way,
    /// integers compare and hash by their value.
    UInt(u64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    String(Arc<str>),
    /// An EDN keyword, stored without its leading colon (`:read` is `Keyword("read")`).
    Keyword(Arc<str>),
    /// A sequence: tuples, arrays, `Vec`s, several arguments, EDN vectors and lists.
    Vector(Vec<Value>),
    /// A map: Rust maps and structs (struct fields become keywords), EDN maps.
    Map(BTreeMap<Value, Value>),
    /// An EDN set (`#{...}`); Rust sets become vectors, as serde presents them.
    Set(BTreeSet<Value>),
}

impl Value {
    /// A keyword; the leading colon is optional (`keyword("read") == keyword(":read")`).
    pub fn keyword(name: &str) -> Value {
        Value::Keyword(Arc::from(name.strip_prefix(':').unwrap_or(name)))
    }

    /// Whether this is nil.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is one that fits in an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::UInt(u) => i64::try_from(*u).ok(),
            _ => None,
        }
    }

    /// The integer, if this is one from 0 to `u64::MAX`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Int(i) => u64::try_from(*i).ok(),
            Value::UInt(u) => Some(*u),
            _ => None,
        }
    }

    /// An integer as a value: [`Value::Int`] when it fits, else [`Value::UInt`].
    pub fn from_u64(u: u64) -> Value {
        i64::try_from(u).map_or(Value::UInt(u), Value::Int)
    }

    /// The number as a float, if this is an integer or a float.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::UInt(u) => Some(*u as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The string, if this is a string (not a keyword).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The keyword's name without its colon, if this is a keyword.
    pub fn as_keyword(&self) -> Option<&str> {
        match self {
            Value::Keyword(k) => Some(k),
            _ => None,
        }
    }

    /// The text of a string or a keyword: how Jepsen names things (`:read` or `"read"`).
    pub fn as_name(&self) -> Option<&str> {
        match self {
            Value::String(s) | Value::Keyword(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if this is a vector.
    pub fn as_slice(&self) -> Option<&[Value]> {
        match self {
            Value::Vector(v) => Some(v),
            _ => None,
        }
    }

    /// The entries, if this is a map.
    pub fn as_map(&self) -> Option<&BTreeMap<Value, Value>> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The members, if this is a set.
    pub fn as_set(&self) -> Option<&BTreeSet<Value>> {
        match self {
            Value::Set(s) => Some(s),
            _ => None,
        }
    }

    /// The `i`th element of a vector, or `None` when this is not a vector or is too short.
    pub fn get_index(&self, i: usize) -> Option<&Value> {
        self.as_slice().and_then(|v| v.get(i))
    }

    /// The value under `key` in a map; `key` matches a keyword or string key of that name.
    pub fn get(&self, key: &str) -> Option<&Value> {
        let m = self.as_map()?;
        m.get(&Value::keyword(key))
            .or_else(|| m.get(&Value::String(Arc::from(key))))
    }

    fn rank(&self) -> u8 {
        match self {
            Value::Nil => 0,
            Value::Bool(_) => 1,
            Value::Int(_) | Value::UInt(_) => 2,
            Value::Float(_) => 3,
            Value::String(_) => 4,
            Value::Keyword(_) => 5,
            Value::Vector(_) => 6,
            Value::Map(_) => 7,
            Value::Set(_) => 8,
        }
    }
}

/// Indexing a vector; out of range or not a vector gives nil, as `get` does in Clojure.
impl std::ops::Index<usize> for Value {
    type Output = Value;
    fn index(&self, i: usize) -> &Value {
        static NIL: Value = Value::Nil;
        self.get_index(i).unwrap_or(&NIL)
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        use Value::*;
        match (self, other) {
            (Nil, Nil) => Ordering::Equal,
            (Bool(a), Bool(b)) => a.cmp(b),
            (Int(a), Int(b)) => a.cmp(b),
            (UInt(a), UInt(b)) => a.cmp(b),
            (Int(a), UInt(b)) => i128::from(*a).cmp(&i128::from(*b)),
            (UInt(a), Int(b)) => i128::from(*a).cmp(&i128::from(*b)),
            (Float(a), Float(b)) => a.total_cmp(b),
            (String(a), String(b)) | (Keyword(a), Keyword(b)) => a.cmp(b),
            (Vector(a), Vector(b)) => a.cmp(b),
            (Map(a), Map(b)) => a.cmp(b),
            (Set(a), Set(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u8(self.rank());
        match self {
            Value::Nil => {}
            Value::Bool(b) => b.hash(state),
            // Both integer variants hash as their value, as they compare.
            Value::Int(i) => i128::from(*i).hash(state),
            Value::UInt(u) => i128::from(*u).hash(state),
            Value::Float(f) => f.to_bits().hash(state),
            Value::String(s) | Value::Keyword(s) => s.hash(state),
            Value::Vector(v) => v.hash(state),
            Value::Map(m) => m.hash(state),
            Value::Set(s) => s.hash(state),
        }
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(i: $t) -> Value { Value::Int(i64::from(i)) }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Value {
    fn from(u: u64) -> Value {
        Value::from_u64(u)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Arc::from(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Arc::from(s))
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::Vector(v)
    }
}
impl From<()> for Value {
    fn from((): ()) -> Value {
        Value::Nil
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map_or(Value::Nil, Into::into)
    }
}

impl PartialEq<i64> for Value {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}
impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

/// Writes the value as EDN text, which reads back equal.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq<'a>(
            f: &mut fmt::Formatter<'_>,
            open: &str,
            items: impl Iterator<Item = &'a Value>,
            close: &str,
        ) -> fmt::Result {
            f.write_str(open)?;
            for (i, v) in items.enumerate() {
                if i > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{v}")?;
            }
            f.write_str(close)
        }
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::UInt(u) => write!(f, "{u}"),
            Value::Float(x) if x.is_nan() => f.write_str("##NaN"),
            Value::Float(x) if x.is_infinite() => {
                f.write_str(if *x > 0.0 { "##Inf" } else { "##-Inf" })
            }
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => write_edn_string(f, s),
            Value::Keyword(k) => write!(f, ":{k}"),
            Value::Vector(v) => seq(f, "[", v.iter(), "]"),
            Value::Set(s) => seq(f, "#{", s.iter(), "}"),
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn write_edn_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}
