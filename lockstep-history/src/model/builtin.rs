//! The built-in models as a table: one row per model with the name it goes by (on the
//! command line and in reports), a line saying what it is, and how it starts from an
//! initial value.
//!
//! Tools that let a user choose a model by name (the `lockstep` command, a test harness
//! reading its configuration) read [`BUILTINS`] instead of keeping a list of their own, so
//! a model added here is offered everywhere. Each model has its own type, so a chosen model
//! is handed to a [`WithModel`], which is generic over the model.
//!
//! ```
//! use lockstep_history::model::{Builtin, Model, WithModel};
//! use lockstep_history::{Event, History, Value, checker};
//!
//! /// Checks these events against whichever model is chosen.
//! struct Check<'a>(&'a [Event]);
//!
//! impl WithModel for Check<'_> {
//!     type Out = bool;
//!     fn with<M: Model>(self, model: &M) -> bool {
//!         checker::linearizable::check(self.0, model).is_ok_and(|v| v.is_linearizable())
//!     }
//! }
//!
//! let h = History::new();
//! h.op("add", 2, || ());
//! h.op("read", (), || 7);
//! let events = h.events();
//!
//! let counter = Builtin::named("counter").unwrap();
//! assert_eq!(counter.with(Some(Value::Int(5)), Check(&events)), Ok(true));
//! assert_eq!(counter.with(None, Check(&events)), Ok(false));
//! assert!(counter.with(Some(Value::from("five")), Check(&events)).is_err());
//! ```

use std::collections::BTreeMap;

use super::{
    CasRegister, Counter, FifoQueue, Kv, Model, MultiRegister, Mutex, Register, Set, Stack,
    UnorderedQueue, is_empty,
};
use crate::value::Value;

/// Something to do with a model, whichever built-in one was chosen: the model's type is
/// only known inside [`WithModel::with`].
pub trait WithModel {
    /// What it produces.
    type Out;
    /// Does it with `model`.
    fn with<M: Model>(self, model: &M) -> Self::Out;
}

/// One row of [`BUILTINS`]: a built-in model by name.
#[derive(Clone, Copy, Debug)]
pub struct Builtin {
    /// The name it goes by, such as `cas-register`: the model's [`Model::name`].
    pub name: &'static str,
    /// What it is, in one line without a final period (as `--help` shows it).
    pub description: &'static str,
    /// The model starting at an initial value (`None`: its default start).
    start: fn(Option<Value>) -> Result<Started, Refusal>,
}

/// Why a built-in model cannot start from an initial value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadInit {
    /// The model has no initial value to choose, and the one given is not empty (nil, `""`,
    /// `[]`, `{}`, `#{}`).
    #[error("the {model} model always starts empty")]
    StartsEmpty {
        /// The model's name.
        model: &'static str,
    },
    /// The initial value has the wrong shape for the model.
    #[error("the {model} model starts {expected}")]
    Shape {
        /// The model's name.
        model: &'static str,
        /// What it starts from, such as "at an integer".
        expected: &'static str,
    },
}

/// The built-in models, in the order a list of them should show.
pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "register",
        description: "A read/write register",
        start: |init| Ok(Started::Register(Register::new(init.unwrap_or_default()))),
    },
    Builtin {
        name: "cas-register",
        description: "A register with compare-and-set",
        start: |init| {
            Ok(Started::CasRegister(CasRegister::new(
                init.unwrap_or_default(),
            )))
        },
    },
    Builtin {
        name: "mutex",
        description: "A lock: acquire and release",
        start: |init| starts_empty(init).map(|()| Started::Mutex(Mutex)),
    },
    Builtin {
        name: "set",
        description: "A set: add and read",
        start: |init| starts_empty(init).map(|()| Started::Set(Set)),
    },
    Builtin {
        name: "fifo-queue",
        description: "A first-in first-out queue: enqueue and dequeue",
        start: |init| starts_empty(init).map(|()| Started::FifoQueue(FifoQueue)),
    },
    Builtin {
        name: "unordered-queue",
        description: "A queue that may hand out its elements in any order",
        start: |init| starts_empty(init).map(|()| Started::UnorderedQueue(UnorderedQueue)),
    },
    Builtin {
        name: "stack",
        description: "A last-in first-out stack: push and pop",
        start: |init| starts_empty(init).map(|()| Started::Stack(Stack)),
    },
    Builtin {
        name: "counter",
        description: "A counter: add and read",
        start: |init| match init {
            None | Some(Value::Nil) => Ok(Started::Counter(Counter::new(0))),
            Some(v) => v
                .as_i64()
                .map(|n| Started::Counter(Counter::new(n)))
                .ok_or(Refusal::Shape("at an integer")),
        },
    },
    Builtin {
        name: "kv",
        description: "Registers by key (Jepsen's `independent` tuples), checked per key",
        start: |init| Ok(Started::Kv(Kv::new(init.unwrap_or_default()))),
    },
    Builtin {
        name: "multi-register",
        description: "Several registers read and written in transactions (Jepsen `:txn`)",
        start: |init| match init {
            None | Some(Value::Nil) => {
                Ok(Started::MultiRegister(MultiRegister::new(BTreeMap::new())))
            }
            Some(Value::Map(registers)) => {
                Ok(Started::MultiRegister(MultiRegister::new(registers)))
            }
            Some(_) => Err(Refusal::Shape(
                "from a map of registers, such as {:x 0, :y 0}",
            )),
        },
    },
];

impl Builtin {
    /// The built-in model called `name`, if there is one.
    pub fn named(name: &str) -> Option<&'static Builtin> {
        BUILTINS.iter().find(|b| b.name == name)
    }

    /// Starts the model at `init` (`None`: nil for registers, 0 for the counter, empty for
    /// the others) and hands it to `w`.
    ///
    /// # Errors
    /// [`BadInit`] when the model cannot start from `init`: a counter from a non-integer,
    /// multi-register from a non-map, a collection or the mutex from anything not empty.
    pub fn with<W: WithModel>(&self, init: Option<Value>, w: W) -> Result<W::Out, BadInit> {
        let model = self.name;
        match (self.start)(init) {
            Ok(started) => Ok(started.with(w)),
            Err(Refusal::NotEmpty) => Err(BadInit::StartsEmpty { model }),
            Err(Refusal::Shape(expected)) => Err(BadInit::Shape { model, expected }),
        }
    }
}

/// Why a row's `start` refused an initial value; [`Builtin::with`] adds the model's name.
enum Refusal {
    /// Only an empty value is accepted.
    NotEmpty,
    /// The model starts from this shape of value ("at an integer").
    Shape(&'static str),
}

/// Collections and the mutex have no initial value to choose: only an empty one is accepted.
fn starts_empty(init: Option<Value>) -> Result<(), Refusal> {
    match init {
        Some(v) if !is_empty(&v) => Err(Refusal::NotEmpty),
        _ => Ok(()),
    }
}

/// A built-in model, started: one variant per model type, so that [`Started::with`] can
/// name each type to the generic [`WithModel::with`].
enum Started {
    Register(Register),
    CasRegister(CasRegister),
    Mutex(Mutex),
    Set(Set),
    FifoQueue(FifoQueue),
    UnorderedQueue(UnorderedQueue),
    Stack(Stack),
    Counter(Counter),
    Kv(Kv),
    MultiRegister(MultiRegister),
}

impl Started {
    fn with<W: WithModel>(&self, w: W) -> W::Out {
        match self {
            Started::Register(m) => w.with(m),
            Started::CasRegister(m) => w.with(m),
            Started::Mutex(m) => w.with(m),
            Started::Set(m) => w.with(m),
            Started::FifoQueue(m) => w.with(m),
            Started::UnorderedQueue(m) => w.with(m),
            Started::Stack(m) => w.with(m),
            Started::Counter(m) => w.with(m),
            Started::Kv(m) => w.with(m),
            Started::MultiRegister(m) => w.with(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model's own name and initial state, as text.
    struct Describe;

    impl WithModel for Describe {
        type Out = (String, String);
        fn with<M: Model>(self, model: &M) -> (String, String) {
            (model.name().to_owned(), model.describe_state(&model.init()))
        }
    }

    #[test]
    fn each_row_is_named_as_its_model_names_itself() {
        for row in BUILTINS {
            let (name, _) = row.with(None, Describe).unwrap();
            assert_eq!(row.name, name);
            assert_eq!(Builtin::named(row.name).map(|b| b.name), Some(row.name));
            assert!(!row.description.is_empty());
        }
        let mut names: Vec<_> = BUILTINS.iter().map(|b| b.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BUILTINS.len(), "names are unique");
        assert!(Builtin::named("no-such-model").is_none());
    }

    #[test]
    fn initial_values() {
        let start =
            |name: &str, init: Option<Value>| Builtin::named(name).unwrap().with(init, Describe);
        assert_eq!(start("counter", Some(Value::Int(5))).unwrap().1, "5");
        assert_eq!(start("counter", None).unwrap().1, "0");
        assert_eq!(
            start("counter", Some(Value::from("five"))),
            Err(BadInit::Shape {
                model: "counter",
                expected: "at an integer"
            })
        );
        assert_eq!(start("register", Some(Value::Int(3))).unwrap().1, "3");
        assert!(start("multi-register", Some(Value::Int(3))).is_err());
        let registers = Value::Map([(Value::keyword("x"), Value::Int(0))].into_iter().collect());
        assert!(start("multi-register", Some(registers)).is_ok());
        for empty in [Value::Nil, Value::from(""), Value::Vector(vec![])] {
            assert!(start("set", Some(empty)).is_ok());
        }
        assert_eq!(
            start("mutex", Some(Value::Int(5))),
            Err(BadInit::StartsEmpty { model: "mutex" })
        );
    }
}
