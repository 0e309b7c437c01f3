//! The steps of a transaction, typed, in exactly the shape Elle reads.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, SeqAccess, Visitor};
use serde::ser::SerializeTuple;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::Value;

/// One step of a transaction: `["append", k, v]`, `["r", k, observed]` or `["w", k, v]`.
///
/// A transaction is a `Vec<MicroOp>`. A client receives it with every read unfilled
/// (`Read(k, None)`, recorded as `["r", k, null]`) and returns it with the reads filled in,
/// so a `#[recorded(f = "txn")]` method taking and returning `Vec<MicroOp>` records an Elle
/// history as it is: the invoke holds the request, the ok holds what happened.
///
/// The type parameters are the key, the value, and what a read observes. The defaults are
/// Elle's list-append (`i64` keys, `i64` elements, a read observes the whole list);
/// [`RwRegisterOp`] is the rw-register form, where a read observes one value and `None`
/// means the register was never written (`["r", k, null]`).
///
/// Not to be confused with [`crate::model::MicroOp`], the multi-register model's parsed form
/// of `[:read k v]` / `[:write k v]` for linearizability checking: this one is for recording
/// transactional histories that the Elle-style checker reads.
///
/// ```
/// use lockstep_history::txn::{MicroOp, RwRegisterOp};
///
/// let txn: Vec<MicroOp> = vec![MicroOp::append(1, 5), MicroOp::read(2)];
/// assert_eq!(serde_json::to_string(&txn).unwrap(), r#"[["append",1,5],["r",2,null]]"#);
///
/// let done: Vec<MicroOp> = vec![MicroOp::append(1, 5), MicroOp::Read(2, Some(vec![3, 4]))];
/// assert_eq!(serde_json::to_string(&done).unwrap(), r#"[["append",1,5],["r",2,[3,4]]]"#);
///
/// let rw: Vec<RwRegisterOp> = vec![MicroOp::write(1, 7), MicroOp::Read(2, Some(3))];
/// assert_eq!(serde_json::to_string(&rw).unwrap(), r#"[["w",1,7],["r",2,3]]"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MicroOp<K = i64, V = i64, R = Vec<V>> {
    /// Appends the value to the list under the key (list-append).
    Append(K, V),
    /// Reads the key: `None` before it ran (and, in rw-register, a read of a key never
    /// written), `Some` with what it observed after.
    Read(K, Option<R>),
    /// Sets the register under the key to the value (rw-register).
    Write(K, V),
}

/// A list-append micro-op: appends `V`s, reads observe a `Vec<V>`. The same type as
/// [`MicroOp`] with its defaults, named for symmetry with [`RwRegisterOp`].
pub type ListAppendOp<K = i64, V = i64> = MicroOp<K, V, Vec<V>>;

/// An rw-register micro-op: writes `V`s, reads observe one `V` (`None`: never written).
pub type RwRegisterOp<K = i64, V = i64> = MicroOp<K, V, V>;

impl<K, V, R> MicroOp<K, V, R> {
    /// `["append", key, value]`.
    pub fn append(key: K, value: V) -> Self {
        MicroOp::Append(key, value)
    }

    /// `["r", key, null]`: a read still to run.
    pub fn read(key: K) -> Self {
        MicroOp::Read(key, None)
    }

    /// `["w", key, value]`.
    pub fn write(key: K, value: V) -> Self {
        MicroOp::Write(key, value)
    }

    /// The key this step touches.
    pub fn key(&self) -> &K {
        match self {
            MicroOp::Append(k, _) | MicroOp::Read(k, _) | MicroOp::Write(k, _) => k,
        }
    }

    /// Whether this step is a read.
    pub fn is_read(&self) -> bool {
        matches!(self, MicroOp::Read(..))
    }

    /// Elle's name for this step: `"append"`, `"r"` or `"w"`.
    pub fn name(&self) -> &'static str {
        match self {
            MicroOp::Append(..) => "append",
            MicroOp::Read(..) => "r",
            MicroOp::Write(..) => "w",
        }
    }
}

impl<K: Serialize, V: Serialize, R: Serialize> Serialize for MicroOp<K, V, R> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut t = s.serialize_tuple(3)?;
        t.serialize_element(self.name())?;
        match self {
            MicroOp::Append(k, v) | MicroOp::Write(k, v) => {
                t.serialize_element(k)?;
                t.serialize_element(v)?;
            }
            MicroOp::Read(k, observed) => {
                t.serialize_element(k)?;
                t.serialize_element(observed)?;
            }
        }
        t.end()
    }
}

/// Reads `["append", k, v]`, `["r", k, x]` and `["w", k, v]`; the name may also be the JSON
/// form of a keyword (`":append"`), which is how a history read from EDN writes it back.
impl<'de, K, V, R> Deserialize<'de> for MicroOp<K, V, R>
where
    K: Deserialize<'de>,
    V: Deserialize<'de>,
    R: Deserialize<'de>,
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_tuple(3, MicroOpVisitor(PhantomData))
    }
}

struct MicroOpVisitor<K, V, R>(PhantomData<(K, V, R)>);

impl<'de, K, V, R> Visitor<'de> for MicroOpVisitor<K, V, R>
where
    K: Deserialize<'de>,
    V: Deserialize<'de>,
    R: Deserialize<'de>,
{
    type Value = MicroOp<K, V, R>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a micro-op ["append", k, v], ["r", k, observed] or ["w", k, v]"#)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let name: String = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let key: K = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        let op = match name.strip_prefix(':').unwrap_or(&name) {
            "append" => MicroOp::Append(key, third(&mut seq, &self)?),
            "w" => MicroOp::Write(key, third(&mut seq, &self)?),
            "r" => MicroOp::Read(key, third(&mut seq, &self)?),
            other => {
                return Err(de::Error::invalid_value(
                    de::Unexpected::Str(other),
                    &r#""append", "r" or "w""#,
                ));
            }
        };
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(4, &self));
        }
        Ok(op)
    }
}

fn third<'de, T: Deserialize<'de>, A: SeqAccess<'de>>(
    seq: &mut A,
    expected: &dyn de::Expected,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::invalid_length(2, expected))
}

/// A recorded value that is not a transaction of the micro-ops asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a transaction of micro-ops: {value}: {reason}")]
pub struct MicroOpError {
    /// The value, as EDN.
    pub value: String,
    /// What was wrong with it.
    pub reason: String,
}

impl<K: DeserializeOwned, V: DeserializeOwned, R: DeserializeOwned> MicroOp<K, V, R> {
    /// Reads a recorded transaction (an event's value, a vector of micro-ops) back into
    /// typed steps.
    ///
    /// # Errors
    /// [`MicroOpError`] when the value is not a vector of micro-ops of these types.
    ///
    /// ```
    /// use lockstep_history::txn::MicroOp;
    /// use lockstep_history::to_value;
    ///
    /// let recorded = to_value(&vec![MicroOp::<i64>::Read(3, Some(vec![1, 2]))]).unwrap();
    /// let txn: Vec<MicroOp> = MicroOp::from_txn_value(&recorded).unwrap();
    /// assert_eq!(txn, vec![MicroOp::Read(3, Some(vec![1, 2]))]);
    /// assert!(MicroOp::<i64>::from_txn_value(&to_value(&("x", 1)).unwrap()).is_err());
    /// ```
    pub fn from_txn_value(value: &Value) -> Result<Vec<Self>, MicroOpError> {
        let error = |reason: String| MicroOpError {
            value: value.to_string(),
            reason,
        };
        let json = serde_json::to_value(value).map_err(|e| error(e.to_string()))?;
        serde_json::from_value(json).map_err(|e| error(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::to_value;

    fn json<T: Serialize>(t: &T) -> String {
        serde_json::to_string(t).unwrap()
    }

    #[test]
    fn each_step_has_elles_json_shape() {
        let la: Vec<ListAppendOp> = vec![
            MicroOp::append(1, 2),
            MicroOp::read(3),
            MicroOp::Read(4, Some(vec![])),
            MicroOp::Read(5, Some(vec![1, 2])),
        ];
        assert_eq!(
            json(&la),
            r#"[["append",1,2],["r",3,null],["r",4,[]],["r",5,[1,2]]]"#
        );
        let rw: Vec<RwRegisterOp> = vec![
            MicroOp::write(1, 2),
            MicroOp::read(3),
            MicroOp::Read(4, Some(9)),
        ];
        assert_eq!(json(&rw), r#"[["w",1,2],["r",3,null],["r",4,9]]"#);
        let strings: Vec<MicroOp<String, String>> = vec![MicroOp::append("x".into(), "a".into())];
        assert_eq!(json(&strings), r#"[["append","x","a"]]"#);
    }

    #[test]
    fn recorded_values_are_vectors_headed_by_strings() {
        let v = to_value(&vec![MicroOp::<i64>::append(1, 2), MicroOp::read(3)]).unwrap();
        assert_eq!(v.to_string(), r#"[["append" 1 2] ["r" 3 nil]]"#);
        let one = &v.as_slice().unwrap()[1];
        assert_eq!(one[0].as_str(), Some("r"));
        assert!(one[2].is_nil());
    }

    #[test]
    fn json_reads_back_with_string_or_keyword_names() {
        let back: Vec<ListAppendOp> =
            serde_json::from_str(r#"[["append",1,2],[":r",3,[1,2]],["r",4,null]]"#).unwrap();
        assert_eq!(
            back,
            vec![
                MicroOp::append(1, 2),
                MicroOp::Read(3, Some(vec![1, 2])),
                MicroOp::read(4)
            ]
        );
        let rw: Vec<RwRegisterOp> = serde_json::from_str(r#"[[":w",1,2],["r",3,4]]"#).unwrap();
        assert_eq!(rw, vec![MicroOp::write(1, 2), MicroOp::Read(3, Some(4))]);
    }

    #[test]
    fn malformed_steps_are_errors() {
        for bad in [
            r#"["append",1]"#,
            r#"["append",1,2,3]"#,
            r#"["cas",1,2]"#,
            r#"[1,1,2]"#,
            r#"["r",1,"x"]"#,
            r#"{"r":1}"#,
        ] {
            assert!(serde_json::from_str::<ListAppendOp>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn from_txn_value_names_the_value_and_the_reason() {
        let v = to_value(&vec![("delete", 1, 2)]).unwrap();
        let e = MicroOp::<i64>::from_txn_value(&v).unwrap_err();
        assert_eq!(e.value, r#"[["delete" 1 2]]"#);
        assert!(e.reason.contains("delete"), "{e}");
        let edn = Value::from(vec![Value::from(vec![
            Value::keyword("append"),
            Value::from(1),
            Value::from(2),
        ])]);
        assert_eq!(
            MicroOp::<i64>::from_txn_value(&edn).unwrap(),
            vec![MicroOp::append(1, 2)]
        );
    }

    #[test]
    fn accessors() {
        let op: ListAppendOp = MicroOp::append(7, 1);
        assert_eq!((op.key(), op.name(), op.is_read()), (&7, "append", false));
        let op: RwRegisterOp = MicroOp::read(8);
        assert_eq!((op.key(), op.name(), op.is_read()), (&8, "r", true));
        assert_eq!(RwRegisterOp::write(9, 1).name(), "w");
    }
}
