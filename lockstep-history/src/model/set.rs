//! A grow-only set.

use std::collections::BTreeSet;
use std::fmt;

use super::{BadOp, Collection, Illegal, Model, RawOp};
use crate::value::Value;

/// A set with `add` (input: the element) and `read` (ok value: every element, as a set or a
/// vector). Starts empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct Set;

/// A prepared set operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SetOp {
    /// Add an element.
    Add(Value),
    /// A read that returned exactly these elements.
    Read(BTreeSet<Value>),
    /// A read whose result is unknown.
    ReadUnknown,
    /// A read that listed this element more than once: no set holds an element twice.
    ReadRepeated(Value),
    /// One part of a split read ([`Model::split`]): the element was in the set.
    Present(Value),
    /// One part of a split read ([`Model::split_rest`]): the element was not in the set.
    Absent(Value),
}

impl fmt::Display for SetOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetOp::Add(v) => write!(f, "add {v}"),
            SetOp::Read(s) => write!(f, "read -> {}", Value::Set(s.clone())),
            SetOp::ReadUnknown => f.write_str("read -> ?"),
            SetOp::ReadRepeated(v) => write!(f, "read -> {v} twice"),
            SetOp::Present(v) => write!(f, "read -> {v} present"),
            SetOp::Absent(v) => write!(f, "read -> {v} absent"),
        }
    }
}

/// A set operation as recorded, its values borrowed from the history: what
/// [`Set::prepare`] reads before it copies anything. The collections checker works on this
/// form, so that a read of a million elements is never copied.
#[derive(Clone, Copy, Debug)]
pub(crate) enum SetCall<'a> {
    /// Add this element.
    Add(&'a Value),
    /// A read that returned these elements.
    Read(Listed<'a>),
    /// A read whose result is unknown.
    ReadUnknown,
}

/// The elements a read returned, as recorded. A vector may list an element twice, which no
/// set does ([`SetOp::ReadRepeated`]).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Listed<'a> {
    /// A vector (or nil, for an empty read): in the order listed.
    Vector(&'a [Value]),
    /// A set: each element once, in order.
    Set(&'a BTreeSet<Value>),
}

impl<'a> Listed<'a> {
    /// The elements in the order recorded.
    pub(crate) fn iter(self) -> impl Iterator<Item = &'a Value> {
        let (listed, set) = match self {
            Listed::Vector(v) => (v, None),
            Listed::Set(s) => (&[][..], Some(s)),
        };
        listed.iter().chain(set.into_iter().flatten())
    }

    /// How many elements are listed (repeats counted).
    pub(crate) fn len(self) -> usize {
        match self {
            Listed::Vector(v) => v.len(),
            Listed::Set(s) => s.len(),
        }
    }
}

impl Set {
    /// Parses `op` without copying its values; [`Set::prepare`] is this, copied.
    pub(crate) fn parse<'a>(&self, op: &RawOp<'a>) -> Result<SetCall<'a>, BadOp> {
        match op.f {
            "add" => Ok(SetCall::Add(op.input)),
            "read" => Ok(match op.output {
                None => SetCall::ReadUnknown,
                Some(Value::Nil) if op.knossos_nil_reads => SetCall::ReadUnknown,
                Some(Value::Nil) => SetCall::Read(Listed::Vector(&[])),
                Some(Value::Set(s)) => SetCall::Read(Listed::Set(s)),
                Some(Value::Vector(v)) => SetCall::Read(Listed::Vector(v)),
                Some(v) => return Err(BadOp::shape("a set read's result", "a set or a vector", v)),
            }),
            f => Err(BadOp::unknown_f("set", f, "add, read")),
        }
    }
}

impl Model for Set {
    type State = BTreeSet<Value>;
    type Op = SetOp;

    fn name(&self) -> &str {
        "set"
    }

    fn init(&self) -> BTreeSet<Value> {
        BTreeSet::new()
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<SetOp, BadOp> {
        Ok(match self.parse(op)? {
            SetCall::Add(v) => SetOp::Add(v.clone()),
            SetCall::ReadUnknown => SetOp::ReadUnknown,
            SetCall::Read(Listed::Set(s)) => SetOp::Read(s.clone()),
            SetCall::Read(listed) => {
                // One pass: the set itself finds an element listed twice.
                let mut seen = BTreeSet::new();
                match listed.iter().find(|e| !seen.insert((*e).clone())) {
                    Some(twice) => SetOp::ReadRepeated(twice.clone()),
                    None => SetOp::Read(seen),
                }
            }
        })
    }

    fn step(&self, state: &BTreeSet<Value>, op: &SetOp) -> Result<BTreeSet<Value>, Illegal> {
        match op {
            SetOp::Add(v) if state.contains(v) => Ok(state.clone()),
            SetOp::Add(v) => {
                let mut next = state.clone();
                next.insert(v.clone());
                Ok(next)
            }
            SetOp::Read(seen) if seen == state => Ok(state.clone()),
            SetOp::Read(_) => Err(Illegal::new(
                "the read returned other elements than the set held",
            )),
            SetOp::ReadUnknown => Ok(state.clone()),
            SetOp::ReadRepeated(_) => Err(Illegal::new(
                "the read returned an element twice, which a set never holds",
            )),
            SetOp::Present(v) if state.contains(v) => Ok(state.clone()),
            SetOp::Present(_) => Err(Illegal::new("the read saw an element the set lacked")),
            SetOp::Absent(v) if !state.contains(v) => Ok(state.clone()),
            SetOp::Absent(_) => Err(Illegal::new("the read missed an element the set held")),
        }
    }

    /// A read splits into one observation per element: each element it returned is
    /// present, every other one absent ([`Model::split_rest`]). Sets are checked per
    /// element this way (Horn and Kroening's P-compositionality).
    fn split(&self, op: &SetOp) -> Option<Vec<(Value, SetOp)>> {
        match op {
            SetOp::Read(seen) => Some(
                seen.iter()
                    .map(|v| (v.clone(), SetOp::Present(v.clone())))
                    .collect(),
            ),
            _ => None,
        }
    }

    fn split_rest(&self, op: &SetOp, key: &Value) -> Option<SetOp> {
        match op {
            SetOp::Read(_) => Some(SetOp::Absent(key.clone())),
            _ => None,
        }
    }

    fn is_read_only(&self, op: &SetOp) -> bool {
        !matches!(op, SetOp::Add(_))
    }

    fn collection(&self) -> Option<Collection> {
        Some(Collection::Set)
    }

    fn describe_state(&self, state: &BTreeSet<Value>) -> String {
        Value::Set(state.clone()).to_string()
    }

    fn describe_op(&self, op: &SetOp) -> String {
        op.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(output: &Value) -> SetOp {
        let op = RawOp {
            f: "read",
            input: &Value::Nil,
            output: Some(output),
            knossos_nil_reads: false,
        };
        Set.prepare(&op).unwrap()
    }

    #[test]
    fn a_read_that_lists_an_element_twice_is_illegal() {
        let state = Set.step(&Set.init(), &SetOp::Add(Value::Int(1))).unwrap();
        let twice = read(&Value::Vector(vec![Value::Int(1), Value::Int(1)]));
        assert_eq!(twice, SetOp::ReadRepeated(Value::Int(1)));
        assert!(Set.step(&state, &twice).is_err());
        let once = read(&Value::Vector(vec![Value::Int(1)]));
        assert!(Set.step(&state, &once).is_ok());
    }

    #[test]
    fn parsing_in_place_lists_what_the_split_observes() {
        let ints = |items: &[i64]| Value::Vector(items.iter().map(|&i| Value::Int(i)).collect());
        let outputs = [
            ints(&[3, 1, 2]),
            Value::Set([1, 5].map(Value::Int).into_iter().collect()),
            Value::Nil,
            ints(&[]),
            ints(&[4, 2, 4]),
        ];
        for knossos_nil_reads in [false, true] {
            for output in &outputs {
                let op = RawOp {
                    f: "read",
                    input: &Value::Nil,
                    output: Some(output),
                    knossos_nil_reads,
                };
                let prepared = Set.prepare(&op).unwrap();
                match Set.parse(&op).unwrap() {
                    SetCall::Read(listed) => {
                        let elements: Vec<&Value> = listed.iter().collect();
                        assert_eq!(elements.len(), listed.len());
                        let distinct: BTreeSet<Value> = elements.into_iter().cloned().collect();
                        match Set.split(&prepared) {
                            // The "present" observations are the elements listed.
                            Some(parts) => {
                                assert_eq!(distinct.len(), listed.len(), "{output}");
                                let keys: BTreeSet<Value> =
                                    parts.into_iter().map(|(k, _)| k).collect();
                                assert_eq!(keys, distinct, "{output}");
                            }
                            // Listed twice: the model rejects the read, the parse lists
                            // the repeat for the checker to find.
                            None => {
                                assert!(matches!(prepared, SetOp::ReadRepeated(_)), "{output}");
                                assert!(distinct.len() < listed.len(), "{output}");
                            }
                        }
                    }
                    SetCall::ReadUnknown => {
                        assert_eq!(prepared, SetOp::ReadUnknown);
                        assert!(knossos_nil_reads && *output == Value::Nil);
                    }
                    SetCall::Add(_) => panic!("a read parsed as an add"),
                }
            }
        }
        let add = RawOp {
            f: "add",
            input: &Value::Int(1),
            output: None,
            knossos_nil_reads: false,
        };
        assert!(matches!(Set.parse(&add), Ok(SetCall::Add(Value::Int(1)))));
    }

    #[test]
    fn a_read_splits_into_one_observation_per_element() {
        let state = Set.step(&Set.init(), &SetOp::Add(Value::Int(1))).unwrap();
        let seen = read(&Value::Vector(vec![Value::Int(1)]));
        let parts = Set.split(&seen).unwrap();
        assert_eq!(parts, vec![(Value::Int(1), SetOp::Present(Value::Int(1)))]);
        // Each part holds where the whole read holds, and fails where it fails.
        assert!(Set.step(&state, &parts[0].1).is_ok());
        assert!(Set.step(&Set.init(), &parts[0].1).is_err());
        let absent = Set.split_rest(&seen, &Value::Int(2)).unwrap();
        assert!(Set.step(&state, &absent).is_ok());
        let grown = Set.step(&state, &SetOp::Add(Value::Int(2))).unwrap();
        assert!(Set.step(&grown, &absent).is_err());
        assert!(Set.step(&grown, &seen).is_err());
        // Adds are not split.
        assert_eq!(Set.split(&SetOp::Add(Value::Int(1))), None);
        assert_eq!(
            Set.split_rest(&SetOp::Add(Value::Int(1)), &Value::Int(2)),
            None
        );
    }
}
