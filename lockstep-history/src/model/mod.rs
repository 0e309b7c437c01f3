//! Sequential models: what a correct object would have answered, one operation at a time.
//!
//! A [`Model`] is plain data, as in Porcupine: an initial state, a step function over
//! prepared operations, an optional partition key, and descriptions for reports. The checker
//! turns each operation of a history into the model's own [`Model::Op`] once
//! ([`Model::prepare`]), then calls [`Model::step`] as often as the search needs.
//!
//! Built-in models speak Jepsen's vocabulary; see each type for its operations. [`BUILTINS`]
//! lists them by name, for tools that let a user choose one.

use std::borrow::Cow;
use std::fmt::{self, Debug};
use std::hash::Hash;

use crate::value::Value;

mod builtin;
mod cas_register;
mod counter;
mod fifo_queue;
mod kv;
mod multi_register;
mod mutex;
mod register;
mod set;
mod stack;
mod unordered_queue;

pub use builtin::{BUILTINS, BadInit, Builtin, WithModel};
pub use cas_register::{CasOp, CasRegister};
pub use counter::{Counter, CounterOp};
pub use fifo_queue::FifoQueue;
pub use kv::{Kv, KvAction, KvOp};
pub use multi_register::{MicroOp, MultiRegister};
pub use mutex::{Mutex, MutexOp};
pub use register::{Register, RegisterOp};
pub(crate) use set::{Listed, SetCall};
pub use set::{Set, SetOp};
pub use stack::{Stack, StackOp};
pub use unordered_queue::{QueueOp, UnorderedQueue};

/// One operation as the history observed it, handed to [`Model::prepare`].
#[derive(Clone, Copy, Debug)]
pub struct RawOp<'a> {
    /// The operation's name, such as `"read"` or `"cas"`.
    pub f: &'a str,
    /// The invoke's value.
    pub input: &'a Value,
    /// The ok's value, or `None` when the outcome is unknown (`info`, or never completed).
    pub output: Option<&'a Value>,
    /// Knossos compatibility: an ok read of nil is unknown (matches anything) rather than
    /// a read of an empty register.
    pub knossos_nil_reads: bool,
}

/// Why an operation of a history does not fit a model (unknown `f`, malformed value).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadOp(pub String);

impl BadOp {
    /// An operation name the model does not know.
    pub fn unknown_f(model: &str, f: &str, expected: &str) -> BadOp {
        BadOp(format!(
            "unknown operation `{f}` for {model} (expected {expected})"
        ))
    }

    /// A value of the wrong shape.
    pub fn shape(what: &str, expected: &str, got: &Value) -> BadOp {
        BadOp(format!("{what} must be {expected}, got {got}"))
    }
}

/// A built-in collection with a polynomial-time checker (see
/// `checker::collections`), named by [`Model::collection`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Collection {
    /// [`FifoQueue`]: `enqueue` / `dequeue`.
    FifoQueue,
    /// [`Stack`]: `push` / `pop`.
    Stack,
    /// [`Set`]: `add` / `read`.
    Set,
}

/// Why a step is not allowed from a state: shown in counterexamples.
///
/// Built-in models use static text (no allocation on the search's hot path); the
/// counterexample shows the state and the operation beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Illegal(pub Cow<'static, str>);

impl Illegal {
    /// A reason from static text.
    pub const fn new(reason: &'static str) -> Illegal {
        Illegal(Cow::Borrowed(reason))
    }
}

impl fmt::Display for Illegal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A sequential specification the checker compares a history against.
///
/// States must be cheap to clone, compare and hash: the search memoizes (set of linearized
/// operations, state) pairs and interns states.
///
/// ```
/// use lockstep_history::model::{BadOp, Illegal, Model, RawOp};
/// use lockstep_history::Value;
///
/// /// A counter that only goes up by one.
/// struct Ticker;
///
/// impl Model for Ticker {
///     type State = i64;
///     type Op = Option<i64>; // None: tick; Some(n): a read that returned n
///
///     fn init(&self) -> i64 { 0 }
///
///     fn prepare(&self, op: &RawOp<'_>) -> Result<Self::Op, BadOp> {
///         match op.f {
///             "tick" => Ok(None),
///             "read" => match op.output {
///                 Some(v) => v.as_i64().map(Some).ok_or_else(|| BadOp::shape("read", "an integer", v)),
///                 None => Ok(Some(i64::MIN)), // unknown read: dropped as read-only
///             },
///             f => Err(BadOp::unknown_f("ticker", f, "tick, read")),
///         }
///     }
///
///     fn step(&self, state: &i64, op: &Self::Op) -> Result<i64, Illegal> {
///         match op {
///             None => Ok(state + 1),
///             Some(n) if n == state => Ok(*state),
///             Some(_) => Err(Illegal::new("read another count")),
///         }
///     }
///
///     fn is_read_only(&self, op: &Self::Op) -> bool { op.is_some() }
/// }
///
/// let h = lockstep_history::History::new();
/// h.op("tick", (), || ());
/// h.op("read", (), || 1);
/// assert!(h.check(&Ticker).unwrap().is_linearizable());
/// ```
pub trait Model: Send + Sync {
    /// The object's state between operations.
    type State: Clone + Eq + Hash + Debug + Send + Sync + 'static;
    /// An operation prepared for stepping: input and (if known) output, parsed once. Equal
    /// operations must step alike: the search tries only one of several equal candidates.
    type Op: Clone + Eq + Hash + Debug + Send + Sync;

    /// A short name for reports, such as `"cas-register"`.
    fn name(&self) -> &str {
        "model"
    }

    /// The state before any operation.
    fn init(&self) -> Self::State;

    /// Parses one operation of the history.
    ///
    /// # Errors
    /// [`BadOp`] when `f` is unknown or a value has the wrong shape; the checker reports it
    /// with the event index and process.
    fn prepare(&self, op: &RawOp<'_>) -> Result<Self::Op, BadOp>;

    /// Applies `op` to `state`: the next state, or why the operation cannot happen there.
    /// An operation whose output is unknown steps as if it took effect.
    ///
    /// # Errors
    /// [`Illegal`] when the operation's observed output contradicts `state`.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Result<Self::State, Illegal>;

    /// The partition `op` belongs to. Operations in different partitions never affect each
    /// other (keys of a map), so each partition is checked on its own (P-compositionality).
    /// `None` (the default) for all operations means one partition.
    fn partition(&self, op: &Self::Op) -> Option<Value> {
        let _ = op;
        None
    }

    /// The parts of `op` for the partitions it names, when one operation observes several
    /// partitions at once: a set read is one observation per element, "x is present" for
    /// each element it returned. Every partition not named gets [`Model::split_rest`] (for a
    /// set read: "x is absent"). Checkers that reason per partition (P-compositionality,
    /// as the collections checker does for sets) use the parts in place of the whole.
    ///
    /// `None` (the default) means `op` is not split: it belongs to
    /// [`Model::partition`]'s partition as a whole.
    ///
    /// ```
    /// use lockstep_history::model::{Model, RawOp, Set, SetOp};
    /// use lockstep_history::Value;
    ///
    /// let output = Value::Vector(vec![Value::Int(1), Value::Int(2)]);
    /// let read = RawOp { f: "read", input: &Value::Nil, output: Some(&output), knossos_nil_reads: false };
    /// let read = Set.prepare(&read).unwrap();
    /// let parts = Set.split(&read).unwrap();
    /// assert_eq!(parts, vec![
    ///     (Value::Int(1), SetOp::Present(Value::Int(1))),
    ///     (Value::Int(2), SetOp::Present(Value::Int(2))),
    /// ]);
    /// assert_eq!(Set.split_rest(&read, &Value::Int(3)), Some(SetOp::Absent(Value::Int(3))));
    /// ```
    fn split(&self, op: &Self::Op) -> Option<Vec<(Value, Self::Op)>> {
        let _ = op;
        None
    }

    /// The part of a split `op` for a partition [`Model::split`] does not name, keyed
    /// `key`; `None` (the default) when `op` does not touch it.
    fn split_rest(&self, op: &Self::Op, key: &Value) -> Option<Self::Op> {
        let _ = (op, key);
        None
    }

    /// Whether `op` never changes the state (a read): [`Model::step`] returns the same state
    /// or an error, from every state. Say so only when it holds, as the search relies on it:
    /// crashed read-only operations are dropped before the search (taking effect or not
    /// cannot matter), and a legal read-only operation is linearized without a choice point.
    fn is_read_only(&self, op: &Self::Op) -> bool {
        let _ = op;
        false
    }

    /// Which built-in collection this model is, if any: the checker then may use a
    /// polynomial algorithm in place of the general search. User models keep the default
    /// (`None`).
    fn collection(&self) -> Option<Collection> {
        None
    }

    /// A state as text for counterexamples and reports.
    fn describe_state(&self, state: &Self::State) -> String {
        format!("{state:?}")
    }

    /// An operation as text for counterexamples and reports.
    fn describe_op(&self, op: &Self::Op) -> String {
        format!("{op:?}")
    }
}

/// Whether a value counts as empty for a read of nil: nil, `""`, `[]`, `{}` or `#{}`.
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::String(s) => s.is_empty(),
        Value::Vector(v) => v.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Set(s) => s.is_empty(),
        _ => false,
    }
}

/// What a read observed: a value, or nothing known (crashed, or nil in Knossos mode).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Observed {
    /// The read returned this value.
    Value(Value),
    /// The result is unknown and matches any state.
    Unknown,
}

impl Observed {
    /// The observation of a read from its output.
    pub(crate) fn of_read(op: &RawOp<'_>) -> Observed {
        match op.output {
            None => Observed::Unknown,
            Some(Value::Nil) if op.knossos_nil_reads => Observed::Unknown,
            Some(v) => Observed::Value(v.clone()),
        }
    }

    /// Whether a register holding `state` could have produced this observation. A read of
    /// nil matches an empty state.
    pub(crate) fn matches(&self, state: &Value) -> bool {
        match self {
            Observed::Unknown => true,
            Observed::Value(Value::Nil) => is_empty(state),
            Observed::Value(v) => v == state,
        }
    }
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observed::Value(v) => write!(f, "{v}"),
            Observed::Unknown => f.write_str("?"),
        }
    }
}
