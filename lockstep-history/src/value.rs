//! Recorded values: what an operation was called with and what it returned.
//!
//! [`Value`] holds exactly what Jepsen EDN can hold (nil, booleans, integers, floats,
//! strings, keywords, vectors, maps and sets), so a history can move between Rust, JSON
//! and Clojure tools without losing anything. Any `serde::Serialize` type converts with
//! [`to_value`]; scalars convert without touching the heap.
//!
//! # JSON form
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

use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// Why a Rust value could not become a [`Value`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// An integer outside the range from `i64::MIN` to `u64::MAX`.
    #[error("integer {0} does not fit in 64 bits")]
    IntegerOutOfRange(String),
    /// The type's `Serialize` implementation reported an error of its own.
    #[error("value failed to serialize: {0}")]
    Custom(String),
}

impl ser::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueError::Custom(msg.to_string())
    }
}

/// Converts any `Serialize` value into a [`Value`].
///
/// Unit, `None` and unit structs become [`Value::Nil`]; structs and struct variants become
/// maps keyed by keywords; unit enum variants become keywords; newtype variants become a
/// one-entry map `{:Variant inner}`.
///
/// # Errors
/// [`ValueError`] when an integer does not fit in an `i64` or the type's own `Serialize`
/// implementation fails.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
    value.serialize(ValueSerializer { unit: None })
}

/// A recorded result: unit is kept apart from nil because unit echoes the invoke's value.
pub(crate) enum Converted {
    /// The value serialized as `()`.
    Unit,
    /// Anything else.
    Value(Value),
}

/// Like [`to_value`], but tells a top-level unit apart from `None`.
pub(crate) fn convert<T: Serialize + ?Sized>(value: &T) -> Result<Converted, ValueError> {
    let unit = Cell::new(false);
    let v = value.serialize(ValueSerializer { unit: Some(&unit) })?;
    Ok(if unit.get() {
        Converted::Unit
    } else {
        Converted::Value(v)
    })
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

// ---------------------------------------------------------------------------------------
// JSON (serde) form

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
const VALUE_TOKEN: &str = "$lockstep_history::Value";

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(VALUE_TOKEN, &JsonForm(self))
    }
}

/// A value in its JSON form (see the module docs).
struct JsonForm<'a>(&'a Value);

/// Undoes the JSON form of one value whose elements are already values.
fn from_json_form(v: Value) -> Result<Value, ValueError> {
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

// ---------------------------------------------------------------------------------------
// Conversion from any Serialize

struct ValueSerializer<'a> {
    /// Set when the top-level value is `()`; `None` below the top.
    unit: Option<&'a Cell<bool>>,
}

const NESTED: ValueSerializer<'static> = ValueSerializer { unit: None };

/// A wide integer as a value, if it fits in an `i64` or a `u64`.
fn int<T: TryInto<i64> + TryInto<u64> + fmt::Display + Copy>(i: T) -> Result<Value, ValueError> {
    if let Ok(i) = TryInto::<i64>::try_into(i) {
        return Ok(Value::Int(i));
    }
    TryInto::<u64>::try_into(i)
        .map(Value::UInt)
        .map_err(|_| ValueError::IntegerOutOfRange(i.to_string()))
}

#[doc(hidden)]
pub struct SeqBuilder {
    items: Vec<Value>,
}

#[doc(hidden)]
pub struct VariantSeqBuilder {
    name: &'static str,
    items: Vec<Value>,
}

#[doc(hidden)]
pub struct MapBuilder {
    map: BTreeMap<Value, Value>,
    key: Option<Value>,
}

#[doc(hidden)]
pub struct VariantMapBuilder {
    name: &'static str,
    map: BTreeMap<Value, Value>,
}

fn variant(name: &'static str, inner: Value) -> Value {
    Value::Map(BTreeMap::from([(Value::keyword(name), inner)]))
}

impl Serializer for ValueSerializer<'_> {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantSeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantMapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::Int(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        int(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        int(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        int(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::String(Arc::from(v.encode_utf8(&mut [0; 4]) as &str)))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::String(Arc::from(v)))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::Vector(
            v.iter().map(|b| Value::Int((*b).into())).collect(),
        ))
    }
    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Nil)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, ValueError> {
        v.serialize(NESTED)
    }
    fn serialize_unit(self) -> Result<Value, ValueError> {
        if let Some(unit) = self.unit {
            unit.set(true);
        }
        Ok(Value::Nil)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Nil)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::keyword(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        v: &T,
    ) -> Result<Value, ValueError> {
        if name == VALUE_TOKEN {
            return from_json_form(v.serialize(NESTED)?);
        }
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        v: &T,
    ) -> Result<Value, ValueError> {
        Ok(variant(name, v.serialize(NESTED)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, ValueError> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0)),
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, ValueError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        len: usize,
    ) -> Result<VariantSeqBuilder, ValueError> {
        Ok(VariantSeqBuilder {
            name,
            items: Vec::with_capacity(len),
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapBuilder, ValueError> {
        Ok(MapBuilder {
            map: BTreeMap::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapBuilder, ValueError> {
        self.serialize_map(None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        _: usize,
    ) -> Result<VariantMapBuilder, ValueError> {
        Ok(VariantMapBuilder {
            name,
            map: BTreeMap::new(),
        })
    }
}

impl SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        self.items.push(v.serialize(NESTED)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Vector(self.items))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, ValueError> {
        SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for VariantSeqBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        self.items.push(v.serialize(NESTED)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(variant(self.name, Value::Vector(self.items)))
    }
}

impl SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), ValueError> {
        self.key = Some(k.serialize(NESTED)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), ValueError> {
        let key = self.key.take().unwrap_or_default();
        self.map.insert(key, v.serialize(NESTED)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Map(self.map))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), ValueError> {
        self.map.insert(Value::keyword(name), v.serialize(NESTED)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Map(self.map))
    }
}

impl ser::SerializeStructVariant for VariantMapBuilder {
    type Ok = Value;
    type Error = ValueError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        v: &T,
    ) -> Result<(), ValueError> {
        self.map.insert(Value::keyword(name), v.serialize(NESTED)?);
        Ok(())
    }
    fn end(self) -> Result<Value, ValueError> {
        Ok(variant(self.name, Value::Map(self.map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_round_trip(v: &Value) -> Value {
        let text = serde_json::to_string(v).unwrap();
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn scalars_convert() {
        assert_eq!(to_value(&()).unwrap(), Value::Nil);
        assert_eq!(to_value(&None::<u8>).unwrap(), Value::Nil);
        assert_eq!(to_value(&Some(7u8)).unwrap(), Value::Int(7));
        assert_eq!(to_value(&-3i16).unwrap(), Value::Int(-3));
        assert_eq!(to_value(&u64::MAX).unwrap(), Value::UInt(u64::MAX));
        assert_eq!(to_value(&(1u64 << 40)).unwrap(), Value::Int(1 << 40));
        assert_eq!(
            to_value(&u128::from(u64::MAX)).unwrap(),
            Value::UInt(u64::MAX)
        );
        let too_big = u128::from(u64::MAX) + 1;
        assert_eq!(
            to_value(&too_big),
            Err(ValueError::IntegerOutOfRange(too_big.to_string()))
        );
        assert!(to_value(&i128::MIN).is_err());
        assert_eq!(to_value(&1.5f32).unwrap(), Value::Float(1.5));
        assert_eq!(to_value(&'x').unwrap(), Value::from("x"));
    }

    #[test]
    fn unit_is_told_apart_from_none() {
        assert!(matches!(convert(&()).unwrap(), Converted::Unit));
        assert!(matches!(
            convert(&None::<()>).unwrap(),
            Converted::Value(Value::Nil)
        ));
        assert!(matches!(
            convert(&vec![()]).unwrap(),
            Converted::Value(Value::Vector(_))
        ));
    }

    #[test]
    fn structs_and_enums_become_edn_shapes() {
        #[derive(Serialize)]
        struct Point {
            x: i32,
            y: i32,
        }
        #[derive(Serialize)]
        enum Op {
            Read,
            Write(u8),
            Cas { from: u8, to: u8 },
        }
        assert_eq!(
            to_value(&Point { x: 1, y: 2 }).unwrap().to_string(),
            "{:x 1, :y 2}"
        );
        assert_eq!(to_value(&Op::Read).unwrap(), Value::keyword("Read"));
        assert_eq!(to_value(&Op::Write(3)).unwrap().to_string(), "{:Write 3}");
        assert_eq!(
            to_value(&Op::Cas { from: 1, to: 2 }).unwrap().to_string(),
            "{:Cas {:from 1, :to 2}}"
        );
    }

    #[test]
    fn display_is_edn() {
        let v = Value::Vector(vec![
            Value::Nil,
            Value::Bool(true),
            Value::Float(1.0),
            Value::from("a\"b\n"),
            Value::keyword("k"),
            Value::Set([Value::Int(1)].into()),
            Value::Float(f64::NAN),
        ]);
        assert_eq!(v.to_string(), r#"[nil true 1.0 "a\"b\n" :k #{1} ##NaN]"#);
    }

    #[test]
    fn json_round_trips_every_shape() {
        let tricky_map = Value::Map(BTreeMap::from([(Value::from("$set"), Value::Int(1))]));
        let int_keys = Value::Map(BTreeMap::from([(Value::Int(1), Value::from("one"))]));
        let colon_key = Value::Map(BTreeMap::from([(Value::from(":x"), Value::Int(1))]));
        let mixed = Value::Map(BTreeMap::from([
            (Value::keyword("x"), Value::Int(0)),
            (Value::from("y"), Value::Vector(vec![])),
        ]));
        for v in [
            Value::Nil,
            Value::Bool(false),
            Value::Int(i64::MIN),
            Value::UInt(u64::MAX),
            Value::Float(0.5),
            Value::Float(1.0),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NEG_INFINITY),
            Value::from(""),
            Value::from(":not a keyword"),
            Value::keyword("read"),
            Value::keyword("jepsen/nemesis"),
            Value::Set([Value::Int(1), Value::keyword("a")].into()),
            Value::Map(BTreeMap::new()),
            tricky_map,
            int_keys,
            colon_key,
            mixed,
        ] {
            assert_eq!(json_round_trip(&v), v, "{v}");
        }
        let nan = json_round_trip(&Value::Float(f64::NAN));
        assert!(nan.as_f64().is_some_and(f64::is_nan));
    }

    #[test]
    fn integers_compare_by_value_whatever_their_variant() {
        use std::hash::BuildHasher;
        let state = std::collections::hash_map::RandomState::new();
        let h = |v: &Value| state.hash_one(v);
        assert_eq!(Value::UInt(7), Value::Int(7));
        assert_eq!(h(&Value::UInt(7)), h(&Value::Int(7)));
        assert!(Value::Int(-1) < Value::UInt(u64::MAX));
        assert!(Value::UInt(u64::MAX) > Value::Int(i64::MAX));
        assert_eq!(Value::from(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(Value::from(5u64), Value::Int(5));
    }

    #[test]
    fn values_convert_to_themselves() {
        let v = Value::Vector(vec![
            Value::keyword("timeout"),
            Value::from(":not a keyword"),
            Value::Set([Value::Int(1), Value::keyword("a")].into()),
            Value::Map(BTreeMap::from([(Value::Int(1), Value::keyword("x"))])),
            Value::Map(BTreeMap::from([(Value::keyword("k"), Value::from("$set"))])),
            Value::Map(BTreeMap::from([(Value::from("$map"), Value::Int(0))])),
            Value::Float(f64::INFINITY),
        ]);
        assert_eq!(to_value(&v).unwrap(), v);
        for item in v.as_slice().unwrap() {
            assert_eq!(to_value(item).unwrap(), *item, "{item}");
        }
        assert_eq!(
            to_value(&Some(Value::keyword("k"))).unwrap(),
            Value::keyword("k")
        );
    }

    #[test]
    fn json_shapes_are_plain_where_json_can_say_it() {
        let v = to_value(&serde_json::json!({"x": [1, "a", null]})).unwrap();
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"x":[1,"a",null]}"#);
        assert_eq!(
            serde_json::to_string(&Value::keyword("read")).unwrap(),
            r#"":read""#
        );
    }

    #[test]
    fn maps_compare_without_order() {
        let a = to_value(&serde_json::json!({"x": 0, "y": 1})).unwrap();
        let b = to_value(&serde_json::json!({"y": 1, "x": 0})).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.get("x"), Some(&Value::Int(0)));
    }
}
