//! Collections in polynomial time: FIFO queues, stacks and sets whose values are distinct.
//!
//! The general search ([`super::linearizable`]) explores orders of operations and can blow
//! up on a few hundred queue operations. For the built-in [`FifoQueue`], [`Stack`] and
//! [`Set`] this module decides the same question in polynomial time, taking only steps
//! proven never to lose a linearization, so that getting stuck proves there is none:
//! - queues (`queue`): one greedy pass, `O(n log n)`, crashed enqueues and dequeues
//!   included;
//! - stacks (`stack`): each pop that found the stack empty checked once, then values that
//!   can sit at the bottom removed one at a time, `O(n log n)`, crashed pushes included
//!   and crashed pops through a guess that only relaxes;
//! - sets (`set`): per-element observations of each read, placed as layers,
//!   `O(n log n)` plus the size of the reads.
//!
//! Each submodule states the property it relies on and why each step is sound.
//!
//! # Sources
//! - Lee and Mathur, "Efficient decrease-and-conquer linearizability monitoring"
//!   (arXiv 2410.04581): for unambiguous histories (every value added once), removing a
//!   value whose operations can go first (queues) or at the bottom (stacks) does not change
//!   the answer. Abdulla, Grahn, Jonsson, Krishna and Mishra, "Efficient linearizability
//!   monitoring" (PLDI 2025, LiMo) bound stacks by `O(n²)` and queues by `O(n log n)`.
//!   Both treat complete histories; crashed operations are handled here with the
//!   arguments in each submodule.
//! - Bouajjani, Emmi, Enea and Hamza, "On reducing linearizability to state reachability"
//!   (ICALP 2015) and Emmi and Enea, "Sound, complete, and tractable linearizability
//!   monitoring for concurrent collections" (POPL 2018): violations of queues and stacks
//!   with distinct values are a few bad patterns; the [`Pattern`]s named here follow them.
//! - Horn and Kroening, "Faster linearizability checking via P-compositionality"
//!   (FORTE 2015): a set is checked per element, each read split into "x present" /
//!   "x absent" observations ([`Model::split`]). Because one read observes every element
//!   at one instant, the reads must also form a chain under inclusion (two reads that each
//!   miss an element the other saw cannot both be right); the `set` submodule checks both.
//!
//! # What goes to the general search
//! A value added twice, or a nil enqueued or pushed (a removal of nil would be ambiguous),
//! and, for stacks, crashed pops when some value was never returned by a completed pop
//! (which crashed pop took which value). Each such fallback is reported in
//! [`Checked::method`].

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::HistoryError;
use super::linearizable::Options;
use super::linearizable::check_prepared;
use super::linearizable::counterexample;
use super::linearizable::preprocess::{Operation, Prepared, prepare};
use super::linearizable::verdict::{Linearization, PartitionOrder, Verdict};
use super::result::OpStates;
use crate::event::{Event, Process};
use crate::model::{Collection, FifoQueue, Model, Set, Stack};
use crate::value::Value;

mod ordered;
mod queue;
mod set;
mod stack;

/// The result of [`check`]: the verdict, how it was reached and, for a violation, the bad
/// pattern in words.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    /// The same verdict the general search gives.
    pub verdict: Verdict,
    /// Which algorithm decided it.
    pub method: Method,
    /// For a history that is not linearizable and was decided here: the bad pattern.
    pub violation: Option<Violation>,
}

/// Which algorithm decided a history.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Method {
    /// The polynomial pass of this module.
    Polynomial,
    /// The general search, because the polynomial pass cannot decide this history.
    Search {
        /// Why the polynomial pass could not decide.
        reason: Fallback,
    },
}

/// Why a history went to the general search.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fallback {
    /// A value was enqueued or pushed more than once: values must be distinct.
    RepeatedValue {
        /// The value.
        value: Value,
    },
    /// A nil was enqueued or pushed: a dequeue or pop of nil would be ambiguous.
    NilValue,
    /// Stacks: a crashed pop may have taken a value no completed pop returned; which
    /// crashed pop took which value is left to the search.
    CrashedRemovals {
        /// How many pops crashed.
        crashed: usize,
    },
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fallback::RepeatedValue { value } => write!(f, "the value {value} was added twice"),
            Fallback::NilValue => f.write_str("a nil was added, which reads as empty"),
            Fallback::CrashedRemovals { crashed } => write!(
                f,
                "{crashed} crashed pop{} may have taken values no completed pop returned",
                if *crashed == 1 { "" } else { "s" }
            ),
        }
    }
}

/// A bad pattern: the reason a history of a collection is not linearizable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// A removal (or a set read) returned a value nobody added.
    NeverAdded,
    /// A removal returned a value whose addition began only after the removal ended.
    RemovedBeforeAdded,
    /// Two removals returned the same value, added once.
    RemovedTwice,
    /// A removal returned a value while another one had to be at the head (queue) or on
    /// top (stack).
    Order,
    /// A removal found the collection empty while it had to hold a value.
    EmptyButHeld,
    /// A set read listed an element twice.
    ReadRepeated,
    /// Two set reads each lack an element the other one saw.
    IncomparableReads,
    /// A set read, or an element's first add, cannot be placed between the reads that
    /// must precede it and those that must follow.
    ReadOrder,
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Pattern::NeverAdded => "a value nobody added",
            Pattern::RemovedBeforeAdded => "removed before it was added",
            Pattern::RemovedTwice => "removed twice",
            Pattern::Order => "out of order",
            Pattern::EmptyButHeld => "empty while holding a value",
            Pattern::ReadRepeated => "an element read twice",
            Pattern::IncomparableReads => "reads that cannot be ordered",
            Pattern::ReadOrder => "a read out of order",
        })
    }
}

/// A violation for a person: the pattern, the operations to highlight and why, in words.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// The bad pattern.
    pub pattern: Pattern,
    /// The operations involved, by the event index of their invoke.
    pub ops: Vec<u64>,
    /// Step by step, why these operations cannot all be right.
    pub explanation: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pattern, self.explanation)
    }
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Method::Search { reason } = &self.method {
            writeln!(f, "(general search: {reason})")?;
        }
        if let Some(v) = &self.violation {
            writeln!(f, "{v}")?;
        }
        write!(f, "{}", self.verdict)
    }
}

/// Checks `events` as a history of `collection` with the polynomial pass, falling back to
/// the general search (with `options`' limits) where it cannot decide.
///
/// ```
/// use lockstep_history::checker::{Options, collections};
/// use lockstep_history::model::Collection;
/// use lockstep_history::History;
///
/// let h = History::new();
/// h.op("enqueue", 1, || ());
/// h.op("enqueue", 2, || ());
/// h.op("dequeue", (), || 2); // 1 was first
/// let checked =
///     collections::check(&h.events(), Collection::FifoQueue, &Options::default()).unwrap();
/// assert!(checked.verdict.is_not_linearizable());
/// assert_eq!(checked.violation.unwrap().pattern, collections::Pattern::Order);
/// ```
///
/// # Errors
/// [`HistoryError`] when the history is ill formed or an operation does not fit the model.
pub fn check(
    events: &[Event],
    collection: Collection,
    options: &Options,
) -> Result<Checked, HistoryError> {
    match collection {
        Collection::FifoQueue => {
            let prepared = prepare(events, &FifoQueue, options.knossos_nil_reads)?;
            let items = ordered::items_of_queue(&prepared);
            Ok(finish_ordered(
                &FifoQueue,
                &prepared,
                items,
                ordered::Discipline::Fifo,
                options,
            ))
        }
        Collection::Stack => {
            let prepared = prepare(events, &Stack, options.knossos_nil_reads)?;
            let items = ordered::items_of_stack(&prepared);
            Ok(finish_ordered(
                &Stack,
                &prepared,
                items,
                ordered::Discipline::Lifo,
                options,
            ))
        }
        Collection::Set => {
            // Read in place, copying no read (one may list a million elements); the
            // model's form is built only for a counterexample or a witness with states.
            let history = set::SetHistory::new(events, options.knossos_nil_reads)?;
            Ok(match history.check() {
                Decided::Linearizable(order) if !options.witness_states => {
                    let order = order.iter().map(|&i| history.invoke(i)).collect();
                    polynomial(linearization(order, Vec::new()), None)
                }
                decided => {
                    let prepared = prepare(events, &Set, options.knossos_nil_reads)?;
                    debug_assert_eq!(prepared.operations.len(), history.len());
                    finish(&Set, &prepared, decided, options)
                }
            })
        }
    }
}

fn finish_ordered<M: Model>(
    model: &M,
    prepared: &Prepared<M::Op>,
    acts: ordered::Items,
    discipline: ordered::Discipline,
    options: &Options,
) -> Checked {
    let decided = match ordered::values(prepared, &acts, discipline) {
        Err(decided) => decided,
        Ok(values) => match discipline {
            ordered::Discipline::Fifo => queue::check(prepared, &acts, &values),
            ordered::Discipline::Lifo => stack::check(prepared, &acts, &values),
        },
    };
    finish(model, prepared, decided, options)
}

/// The verdict for what a polynomial pass decided.
fn finish<M: Model>(
    model: &M,
    prepared: &Prepared<M::Op>,
    decided: Decided,
    options: &Options,
) -> Checked {
    match decided {
        Decided::Linearizable(order) => polynomial(witness(model, prepared, &order, options), None),
        Decided::Violation(v) => {
            let verdict = not_linearizable(model, prepared, &v, options);
            polynomial(verdict, Some(v.violation))
        }
        Decided::Undecided(reason) => search(model, prepared, options, reason),
    }
}

/// What a polynomial pass concludes.
enum Decided {
    /// This order (positions in [`Prepared::operations`]) is a linearization.
    Linearizable(Vec<usize>),
    /// No linearization exists.
    Violation(Found),
    /// The pass cannot decide.
    Undecided(Fallback),
}

/// A violation and what the generic counterexample needs: the order built so far and the
/// operation that could not follow it.
struct Found {
    violation: Violation,
    prefix: Vec<usize>,
    blocked: usize,
}

fn polynomial(verdict: Verdict, violation: Option<Violation>) -> Checked {
    Checked {
        verdict,
        method: Method::Polynomial,
        violation,
    }
}

fn search<M: Model>(
    model: &M,
    prepared: &Prepared<M::Op>,
    options: &Options,
    reason: Fallback,
) -> Checked {
    Checked {
        verdict: check_prepared(prepared, model, options),
        method: Method::Search { reason },
        violation: None,
    }
}

/// The verdict for a linearization found by a polynomial pass, with the model's states
/// around each operation when [`Options::witness_states`] asks for them (replayed from the
/// initial state: the order is legal, so every step succeeds).
fn witness<M: Model>(
    model: &M,
    prepared: &Prepared<M::Op>,
    order: &[usize],
    options: &Options,
) -> Verdict {
    let mut states = Vec::new();
    if options.witness_states {
        let mut state = model.init();
        for &i in order {
            let before = model.describe_state(&state);
            if let Ok(next) = model.step(&state, &prepared.ops[i]) {
                state = next;
            }
            states.push(OpStates {
                before,
                after: model.describe_state(&state),
            });
        }
    }
    let order = order
        .iter()
        .map(|&i| prepared.operations[i].invoke)
        .collect();
    linearization(order, states)
}

/// A linearizable verdict: the one partition in this order (event indices of invokes).
fn linearization(order: Vec<u64>, states: Vec<OpStates>) -> Verdict {
    Verdict::Linearizable(Linearization {
        partitions: vec![PartitionOrder {
            key: None,
            order,
            states,
        }],
    })
}

/// Operations in a history whose counterexample gets the general search's deepest prefix
/// (see [`not_linearizable`]).
const DETAILED_OPS: usize = 64;

/// How long that search may take before the pass's own counterexample is kept.
const DETAIL_TIME: Duration = Duration::from_millis(250);

/// The verdict for a violation a polynomial pass found. A pass proves that no linearization
/// exists without building the longest order that does hold, so its counterexample starts
/// from nothing ("not even as the first operation"). On a small history, the kind a
/// controlled schedule or a unit test records, the general search is quick and finds the
/// deepest prefix a person can follow, so its counterexample is given instead; when that
/// search runs out of its small budget, the pass's is. The verdict is the pass's either way.
fn not_linearizable<M: Model>(
    model: &M,
    prepared: &Prepared<M::Op>,
    found: &Found,
    options: &Options,
) -> Verdict {
    if found.prefix.is_empty() && prepared.operations.len() <= DETAILED_OPS {
        let mut bounded = options.clone();
        bounded.budget.time_limit = Some(
            options
                .budget
                .time_limit
                .map_or(DETAIL_TIME, |limit| limit.min(DETAIL_TIME)),
        );
        bounded.budget.threads = Some(1);
        bounded.budget.progress = None;
        let searched = check_prepared(prepared, model, &bounded);
        debug_assert!(
            !searched.is_linearizable(),
            "the pass and the search disagree"
        );
        if searched.is_not_linearizable() {
            return searched;
        }
    }
    // These models do not partition: every operation is in the one partition.
    let partition = super::preprocess::Partition {
        key: None,
        ops: (0..prepared.operations.len()).collect(),
    };
    Verdict::NotLinearizable(Box::new(counterexample::build(
        model,
        prepared,
        &partition,
        &found.prefix,
        found.blocked,
    )))
}

/// An operation in words for explanations: `process 3 dequeue -> 5 (events 7..9)`.
fn describe(op: &Operation, what: &str) -> String {
    describe_parts(&op.process, op.invoke, op.complete, op.is_crashed(), what)
}

/// [`describe`] from the parts of an operation.
fn describe_parts(
    process: &Process,
    invoke: u64,
    complete: Option<u64>,
    crashed: bool,
    what: &str,
) -> String {
    match (complete, crashed) {
        (Some(end), false) => format!("process {process} {what} (events {invoke}..{end})"),
        _ => format!("process {process} {what} (invoked at event {invoke}, outcome unknown)"),
    }
}
