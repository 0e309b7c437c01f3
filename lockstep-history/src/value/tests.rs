//! The value's order and hash, its EDN text, its JSON form and conversion from `Serialize`.

use serde::Serialize;

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
