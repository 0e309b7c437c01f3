//! What FIFO queues and stacks share: operations as additions and removals of distinct
//! values, and the table of which operation added and which removed each value.

use rustc_hash::FxHashMap as HashMap;

use super::{Decided, Fallback, Found, Pattern, Violation, describe};
use crate::checker::preprocess::Prepared;
use crate::model::{Observed, QueueOp, StackOp};
use crate::value::Value;

/// Queue or stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Discipline {
    /// First in, first out.
    Fifo,
    /// Last in, first out.
    Lifo,
}

impl Discipline {
    pub(super) fn add(self) -> &'static str {
        match self {
            Discipline::Fifo => "enqueue",
            Discipline::Lifo => "push",
        }
    }
    pub(super) fn remove(self) -> &'static str {
        match self {
            Discipline::Fifo => "dequeue",
            Discipline::Lifo => "pop",
        }
    }
    pub(super) fn added(self) -> &'static str {
        match self {
            Discipline::Fifo => "enqueued",
            Discipline::Lifo => "pushed",
        }
    }
    pub(super) fn removed(self) -> &'static str {
        match self {
            Discipline::Fifo => "dequeued",
            Discipline::Lifo => "popped",
        }
    }
    pub(super) fn name(self) -> &'static str {
        match self {
            Discipline::Fifo => "queue",
            Discipline::Lifo => "stack",
        }
    }
    pub(super) fn front(self) -> &'static str {
        match self {
            Discipline::Fifo => "at the head of the queue, ahead of",
            Discipline::Lifo => "on top of the stack, above",
        }
    }
}

/// What one operation does, in terms common to queues and stacks.
#[derive(Clone, Debug)]
pub(super) enum Act {
    /// Adds a value.
    Add(Value),
    /// Removed this value.
    Remove(Value),
    /// Found the collection empty.
    RemoveEmpty,
    /// A removal whose outcome is unknown.
    RemoveUnknown,
}

/// The acts of a prepared history, parallel to its operations.
pub(super) type Items = Vec<Act>;

fn removal(seen: &Observed) -> Act {
    match seen {
        Observed::Unknown => Act::RemoveUnknown,
        Observed::Value(Value::Nil) => Act::RemoveEmpty,
        Observed::Value(v) => Act::Remove(v.clone()),
    }
}

pub(super) fn items_of_queue(prepared: &Prepared<QueueOp>) -> Items {
    prepared
        .ops
        .iter()
        .map(|op| match op {
            QueueOp::Enqueue(v) => Act::Add(v.clone()),
            QueueOp::Dequeue(seen) => removal(seen),
        })
        .collect()
}

pub(super) fn items_of_stack(prepared: &Prepared<StackOp>) -> Items {
    prepared
        .ops
        .iter()
        .map(|op| match op {
            StackOp::Push(v) => Act::Add(v.clone()),
            StackOp::Pop(seen) => removal(seen),
        })
        .collect()
}

/// Which operation added and which removed each value; values are numbered `0..` in the
/// order of their additions.
pub(super) struct Values {
    /// The addition of each value, by operation.
    pub(super) add_of: Vec<usize>,
    /// The completed removal that returned each value, if any.
    pub(super) remove_of: Vec<Option<usize>>,
    /// The value an addition or a completed removal concerns, by operation.
    pub(super) value_of: Vec<Option<usize>>,
}

impl Values {
    /// The value of operation `i`, an addition or a completed removal of a value.
    pub(super) fn of(&self, i: usize) -> usize {
        self.value_of[i].unwrap_or_default()
    }

    /// Whether no completed removal returned value `id`.
    pub(super) fn unremoved(&self, id: usize) -> bool {
        self.remove_of[id].is_none()
    }
}

/// Numbers the values and pairs each with its addition and completed removal; decides the
/// history when a value is removed that nobody added or that was removed twice, and
/// leaves it undecided when a value is added twice or a nil is added.
pub(super) fn values<O>(
    prepared: &Prepared<O>,
    acts: &[Act],
    discipline: Discipline,
) -> Result<Values, Decided> {
    let ops = &prepared.operations;
    let n = ops.len();
    let mut id_of: HashMap<&Value, usize> = HashMap::default();
    let mut add_of: Vec<usize> = Vec::new();
    for (i, act) in acts.iter().enumerate() {
        if let Act::Add(v) = act {
            if *v == Value::Nil {
                return Err(Decided::Undecided(Fallback::NilValue));
            }
            if id_of.insert(v, add_of.len()).is_some() {
                return Err(Decided::Undecided(Fallback::RepeatedValue {
                    value: v.clone(),
                }));
            }
            add_of.push(i);
        }
    }
    let mut remove_of: Vec<Option<usize>> = vec![None; add_of.len()];
    let mut value_of: Vec<Option<usize>> = vec![None; n];
    for (i, act) in acts.iter().enumerate() {
        match act {
            Act::Add(v) => value_of[i] = Some(id_of[v]),
            Act::Remove(v) => {
                let Some(&id) = id_of.get(v) else {
                    let explanation = format!(
                        "{} returned {v}, which no operation ever {}",
                        describe(&ops[i], discipline.remove()),
                        discipline.added(),
                    );
                    return Err(violation(
                        Pattern::NeverAdded,
                        vec![ops[i].invoke],
                        explanation,
                        i,
                    ));
                };
                if let Some(first) = remove_of[id] {
                    let explanation = format!(
                        "{} and {} both returned {v}, which was {} once",
                        describe(&ops[first], discipline.remove()),
                        describe(&ops[i], discipline.remove()),
                        discipline.added(),
                    );
                    let highlighted =
                        vec![ops[add_of[id]].invoke, ops[first].invoke, ops[i].invoke];
                    return Err(violation(
                        Pattern::RemovedTwice,
                        highlighted,
                        explanation,
                        i,
                    ));
                }
                remove_of[id] = Some(i);
                value_of[i] = Some(id);
            }
            Act::RemoveEmpty | Act::RemoveUnknown => {}
        }
    }
    Ok(Values {
        add_of,
        remove_of,
        value_of,
    })
}

/// Operation `i` as text: `enqueue 3`, `pop -> 5`, `dequeue -> empty`, `pop -> ?`.
pub(super) fn what(acts: &[Act], discipline: Discipline, i: usize) -> String {
    let d = discipline;
    match &acts[i] {
        Act::Add(v) => format!("{} {v}", d.add()),
        Act::Remove(v) => format!("{} -> {v}", d.remove()),
        Act::RemoveEmpty => format!("{} -> empty", d.remove()),
        Act::RemoveUnknown => format!("{} -> ?", d.remove()),
    }
}

/// A violation found before any order was built.
pub(super) fn violation(
    pattern: Pattern,
    ops: Vec<u64>,
    explanation: String,
    blocked: usize,
) -> Decided {
    Decided::Violation(Found {
        violation: Violation {
            pattern,
            ops,
            explanation,
        },
        prefix: Vec::new(),
        blocked,
    })
}
