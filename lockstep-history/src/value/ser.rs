//! Conversion from any `Serialize` type into a [`Value`].

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::ser::{self, SerializeMap, SerializeSeq, Serializer};

use super::Value;
use super::json::{VALUE_TOKEN, from_json_form};

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

/// Whether `value` serializes as a `Result` does (serde's newtype variant `Ok` or `Err` of an
/// enum named `Result`), and if so which variant and its content, converted. A result whose
/// type the `#[recorded]` attribute cannot see (a type parameter, an associated type) is
/// read this way when the call completes. `None` for anything else, after looking at the
/// top level only.
pub(crate) fn result_variant<T: Serialize + ?Sized>(
    value: &T,
) -> Option<(bool, Result<Converted, ValueError>)> {
    value.serialize(ResultProbe).ok()
}

/// The serializer behind [`result_variant`]: every shape but a `Result` variant stops it at
/// once, with [`NotAResult`].
struct ResultProbe;

/// The value was not a `Result` variant (or failed to serialize): read it as a plain value.
#[derive(Debug)]
struct NotAResult;

impl fmt::Display for NotAResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a Result")
    }
}

impl std::error::Error for NotAResult {}

impl ser::Error for NotAResult {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotAResult
    }
}

type Probed = (bool, Result<Converted, ValueError>);
type NoCompound = ser::Impossible<Probed, NotAResult>;

/// The probe's methods for every shape that is not a `Result` variant.
macro_rules! not_a_result {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, NotAResult> {
            Err(NotAResult)
        })*
    };
}

impl Serializer for ResultProbe {
    type Ok = Probed;
    type Error = NotAResult;
    type SerializeSeq = NoCompound;
    type SerializeTuple = NoCompound;
    type SerializeTupleStruct = NoCompound;
    type SerializeTupleVariant = NoCompound;
    type SerializeMap = NoCompound;
    type SerializeStruct = NoCompound;
    type SerializeStructVariant = NoCompound;

    not_a_result! {
        serialize_bool(bool) -> Probed;
        serialize_i8(i8) -> Probed;
        serialize_i16(i16) -> Probed;
        serialize_i32(i32) -> Probed;
        serialize_i64(i64) -> Probed;
        serialize_i128(i128) -> Probed;
        serialize_u8(u8) -> Probed;
        serialize_u16(u16) -> Probed;
        serialize_u32(u32) -> Probed;
        serialize_u64(u64) -> Probed;
        serialize_u128(u128) -> Probed;
        serialize_f32(f32) -> Probed;
        serialize_f64(f64) -> Probed;
        serialize_char(char) -> Probed;
        serialize_str(&str) -> Probed;
        serialize_bytes(&[u8]) -> Probed;
        serialize_none() -> Probed;
        serialize_unit() -> Probed;
        serialize_unit_struct(&'static str) -> Probed;
        serialize_unit_variant(&'static str, u32, &'static str) -> Probed;
        serialize_seq(Option<usize>) -> NoCompound;
        serialize_tuple(usize) -> NoCompound;
        serialize_tuple_struct(&'static str, usize) -> NoCompound;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> NoCompound;
        serialize_map(Option<usize>) -> NoCompound;
        serialize_struct(&'static str, usize) -> NoCompound;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> NoCompound;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Probed, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Probed, NotAResult> {
        Err(NotAResult)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Probed, NotAResult> {
        match (name, variant) {
            ("Result", "Ok") => Ok((true, convert(v))),
            ("Result", "Err") => Ok((false, convert(v))),
            _ => Err(NotAResult),
        }
    }
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
