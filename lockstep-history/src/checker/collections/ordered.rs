//! FIFO queues and stacks with distinct values: one greedy pass that never backtracks.
//!
//! The pass builds a linearization one operation at a time. At each point the operations
//! that may go next are those invoked before the earliest completion among the remaining
//! ones (the *deadline*). The pass takes, in this order of preference:
//!
//! 1. the removal of the value at the head (queue) or top (stack), if it may go next;
//! 2. an empty removal, if the collection is empty and it may go next;
//! 3. (stacks) a push whose pop may also go next: both, back to back;
//! 4. an addition: for queues the one whose value's dequeue was invoked first (values
//!    never dequeued last); for stacks the one that must complete first (pushing as late
//!    as real time allows keeps the values popped early near the top).
//!
//! If none applies, the operation with the deadline cannot be placed, and the pass stops.
//!
//! # Why each step is sound
//! Suppose some linearization `L` of the remaining operations exists from the current state.
//! - Step 1: in `L`, between now and the removal `r` of the head value `h`, nothing removes
//!   another value (h is in the way) and no removal finds the collection empty. Moving `r`
//!   to the front changes no other operation's result, and real time allows it because `r`
//!   may go next.
//! - Step 2: an empty removal changes nothing; the collection is empty now; it may go next.
//! - Step 3: in `L` the value `v`'s lifetime (push to pop) holds only values pushed and
//!   popped within it; cutting `v` out leaves every other result unchanged, and putting
//!   push and pop first is allowed by real time.
//! - Step 4, queues: `L` must start with an enqueue `enq(w)` (no removal applies). Let `v`
//!   be the enqueue chosen, whose dequeue `deq(v)` was invoked no later than `deq(w)`.
//!   Move `enq(v)` to the front and `deq(v)` to just before `deq(w)`. FIFO holds (v is now
//!   right behind the current content, and leaves right before w). Every operation that
//!   `deq(v)` jumps over sits after `deq(w)` in `L`, so it completed after `deq(w)` was
//!   invoked, hence after `deq(v)` was invoked: real time holds. Between now and `deq(w)`
//!   the queue held w in `L` and holds v now, so no empty dequeue changes; after it, the
//!   queue holds what it held in `L` minus v, which was behind every value dequeued there.
//!   If v is never dequeued, w is never dequeued either (v would be stuck behind it) and
//!   the same argument applies without the dequeues.
//! - Step 4, stacks: the choice between several pushes is a heuristic. When it was used
//!   and the pass gets stuck, the history goes to the general search.
//!
//! So when every step taken was sound, being stuck proves the history is not linearizable;
//! and a finished pass is a linearization, whatever steps it took.
//!
//! Before the pass: a crashed addition whose value nobody removed is left out (dropping it
//! loses no linearization: the others' results do not depend on it). When every added
//! value is removed by a completed operation, crashed removals are left out too, which is
//! exact (a crashed removal could then only find the collection empty: no change).
//! Otherwise each crashed removal is guessed to take one of the values no completed
//! operation removed, and acts as that value's removal. A finished pass is still a
//! linearization, but which crashed removal took which value is not proven, so being stuck
//! then sends the history to the general search.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};

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
    fn add(self) -> &'static str {
        match self {
            Discipline::Fifo => "enqueue",
            Discipline::Lifo => "push",
        }
    }
    fn remove(self) -> &'static str {
        match self {
            Discipline::Fifo => "dequeue",
            Discipline::Lifo => "pop",
        }
    }
    fn added(self) -> &'static str {
        match self {
            Discipline::Fifo => "enqueued",
            Discipline::Lifo => "pushed",
        }
    }
    fn removed(self) -> &'static str {
        match self {
            Discipline::Fifo => "dequeued",
            Discipline::Lifo => "popped",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Discipline::Fifo => "queue",
            Discipline::Lifo => "stack",
        }
    }
    fn front(self) -> &'static str {
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

/// Checks a queue or stack history.
pub(super) fn check<O>(prepared: &Prepared<O>, acts: Items, discipline: Discipline) -> Decided {
    let ops = &prepared.operations;
    let n = ops.len();
    // Values, each added once.
    let mut id_of: HashMap<&Value, usize> = HashMap::new();
    let mut add_of: Vec<usize> = Vec::new();
    for (i, act) in acts.iter().enumerate() {
        if let Act::Add(v) = act {
            if *v == Value::Nil {
                return Decided::Undecided(Fallback::NilValue);
            }
            if id_of.insert(v, add_of.len()).is_some() {
                return Decided::Undecided(Fallback::RepeatedValue { value: v.clone() });
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
                    return violation(Pattern::NeverAdded, vec![ops[i].invoke], explanation, i);
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
                    return violation(Pattern::RemovedTwice, highlighted, explanation, i);
                }
                remove_of[id] = Some(i);
                value_of[i] = Some(id);
            }
            Act::RemoveEmpty | Act::RemoveUnknown => {}
        }
    }

    // Crashed additions of values nobody removed are left out.
    let mut kept = vec![true; n];
    let mut crashed: Vec<usize> = Vec::new();
    let mut unremoved: Vec<usize> = Vec::new();
    for (i, act) in acts.iter().enumerate() {
        match act {
            Act::RemoveUnknown => {
                kept[i] = false;
                crashed.push(i);
            }
            Act::Add(_) => {
                let id = value_of[i].unwrap_or_default();
                if remove_of[id].is_none() {
                    if ops[i].is_crashed() {
                        kept[i] = false;
                    } else {
                        unremoved.push(id);
                    }
                }
            }
            Act::Remove(_) | Act::RemoveEmpty => {}
        }
    }
    let crashed_removals = crashed.len();
    let ambiguous = crashed_removals > 0 && !unremoved.is_empty();
    if ambiguous {
        guess_crashed_removals(
            prepared,
            discipline,
            &crashed,
            &unremoved,
            &add_of,
            &mut remove_of,
            &mut value_of,
            &mut kept,
        );
    }

    let mut pass = Pass::new(
        prepared, &acts, discipline, &kept, &add_of, &remove_of, &value_of,
    );
    match pass.run() {
        None => Decided::Linearizable(pass.order),
        Some(_) if ambiguous => Decided::Undecided(Fallback::CrashedRemovals {
            crashed: crashed_removals,
        }),
        Some(_) if !pass.exact => Decided::Undecided(Fallback::PushChoice),
        Some(blocked) => {
            let (pattern, highlighted, explanation) = pass.explain(blocked);
            Decided::Violation(Found {
                violation: Violation {
                    pattern,
                    ops: highlighted,
                    explanation,
                },
                prefix: pass.order,
                blocked,
            })
        }
    }
}

/// Lets crashed removals take values no completed operation removed: each crashed removal,
/// in invoke order, takes the value added earliest (queue) or latest (stack) before it was
/// invoked among those left. A guess: a finished pass is a linearization whatever it
/// guessed, and a stuck one goes to the general search.
#[allow(clippy::too_many_arguments)]
fn guess_crashed_removals<O>(
    prepared: &Prepared<O>,
    discipline: Discipline,
    crashed: &[usize],
    unremoved: &[usize],
    add_of: &[usize],
    remove_of: &mut [Option<usize>],
    value_of: &mut [Option<usize>],
    kept: &mut [bool],
) {
    let ops = &prepared.operations;
    // Values left, by the invoke of their addition.
    let mut left: BTreeSet<(u64, usize)> = unremoved
        .iter()
        .map(|&id| (ops[add_of[id]].invoke, id))
        .collect();
    for &c in crashed {
        let before = ops[c].invoke;
        let taken = match discipline {
            Discipline::Fifo => left.first().copied().filter(|&(inv, _)| inv < before),
            Discipline::Lifo => left.range(..(before, 0)).next_back().copied(),
        };
        if let Some(entry) = taken {
            left.remove(&entry);
            remove_of[entry.1] = Some(c);
            value_of[c] = Some(entry.1);
            kept[c] = true;
        }
    }
}

fn violation(pattern: Pattern, ops: Vec<u64>, explanation: String, blocked: usize) -> Decided {
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

/// The greedy pass over one history.
struct Pass<'a, O> {
    prepared: &'a Prepared<O>,
    acts: &'a [Act],
    discipline: Discipline,
    add_of: &'a [usize],
    remove_of: &'a [Option<usize>],
    value_of: &'a [Option<usize>],
    /// Invoke and completion of each operation; crashed ones complete at `u64::MAX`.
    inv: Vec<u64>,
    comp: Vec<u64>,
    /// Kept operations by invoke, and how many of them are admitted (may go next).
    by_inv: Vec<usize>,
    admitted: usize,
    is_admitted: Vec<bool>,
    done: Vec<bool>,
    /// Remaining operations by completion: the first one is the deadline.
    deadlines: BTreeSet<(u64, usize)>,
    /// Admitted additions not yet taken, by preference (smallest key first).
    additions: BinaryHeap<Reverse<(u64, usize)>>,
    waiting_additions: usize,
    /// Admitted empty removals not yet taken.
    empties: Vec<usize>,
    /// Stacks: values whose push and pop are both admitted.
    pairs: Vec<usize>,
    /// The collection's values, head (queue) or bottom (stack) first.
    content: VecDeque<usize>,
    /// The linearization so far.
    order: Vec<usize>,
    /// Whether every step taken is proven sound.
    exact: bool,
}

impl<'a, O> Pass<'a, O> {
    fn new(
        prepared: &'a Prepared<O>,
        acts: &'a [Act],
        discipline: Discipline,
        kept: &[bool],
        add_of: &'a [usize],
        remove_of: &'a [Option<usize>],
        value_of: &'a [Option<usize>],
    ) -> Self {
        let ops = &prepared.operations;
        let inv: Vec<u64> = ops.iter().map(|o| o.invoke).collect();
        let comp: Vec<u64> = ops
            .iter()
            .map(|o| match (o.is_crashed(), o.complete) {
                (false, Some(c)) => c,
                _ => u64::MAX,
            })
            .collect();
        // Operations are in invoke order already.
        let by_inv: Vec<usize> = (0..ops.len()).filter(|&i| kept[i]).collect();
        let deadlines = by_inv.iter().map(|&i| (comp[i], i)).collect();
        Pass {
            prepared,
            acts,
            discipline,
            add_of,
            remove_of,
            value_of,
            inv,
            comp,
            by_inv,
            admitted: 0,
            is_admitted: vec![false; ops.len()],
            done: vec![false; ops.len()],
            deadlines,
            additions: BinaryHeap::new(),
            waiting_additions: 0,
            empties: Vec::new(),
            pairs: Vec::new(),
            content: VecDeque::new(),
            order: Vec::with_capacity(ops.len()),
            exact: true,
        }
    }

    /// Runs the pass: `None` when every operation is linearized, or the operation with the
    /// deadline when it cannot be.
    fn run(&mut self) -> Option<usize> {
        while let Some(&(deadline, first)) = self.deadlines.first() {
            // Only crashed operations left: the crashed removals guessed to take a value
            // may as well not have happened.
            if deadline == u64::MAX
                && self
                    .deadlines
                    .iter()
                    .all(|&(_, i)| matches!(self.acts[i], Act::RemoveUnknown))
            {
                return None;
            }
            self.admit(deadline);
            if self.remove_front() || self.remove_empty() || self.push_pop() || self.add() {
                continue;
            }
            return Some(first);
        }
        None
    }

    /// Admits every kept operation invoked before `deadline`.
    fn admit(&mut self, deadline: u64) {
        while let Some(&i) = self.by_inv.get(self.admitted) {
            if self.inv[i] >= deadline {
                break;
            }
            self.admitted += 1;
            self.is_admitted[i] = true;
            match &self.acts[i] {
                Act::Add(_) => {
                    let id = self.value(i);
                    let removed_at = self.remove_of[id].map_or(u64::MAX, |r| self.inv[r]);
                    let key = match self.discipline {
                        Discipline::Fifo => removed_at,
                        Discipline::Lifo => self.comp[i],
                    };
                    self.additions.push(Reverse((key, i)));
                    self.waiting_additions += 1;
                    if self.remove_of[id].is_some_and(|r| self.is_admitted[r]) {
                        self.pairs.push(id);
                    }
                }
                // A crashed removal is kept only when guessed to take a value.
                Act::Remove(_) | Act::RemoveUnknown => {
                    let id = self.value(i);
                    if self.is_admitted[self.add_of[id]] {
                        self.pairs.push(id);
                    }
                }
                Act::RemoveEmpty => self.empties.push(i),
            }
        }
    }

    fn value(&self, i: usize) -> usize {
        self.value_of[i].unwrap_or_default()
    }

    fn take(&mut self, i: usize) {
        self.done[i] = true;
        self.deadlines.remove(&(self.comp[i], i));
        self.order.push(i);
    }

    fn front(&self) -> Option<usize> {
        match self.discipline {
            Discipline::Fifo => self.content.front().copied(),
            Discipline::Lifo => self.content.back().copied(),
        }
    }

    /// Step 1: the removal of the front value, if admitted.
    fn remove_front(&mut self) -> bool {
        let Some(id) = self.front() else { return false };
        match self.remove_of[id] {
            Some(r) if self.is_admitted[r] => self.take(r),
            _ => return false,
        }
        match self.discipline {
            Discipline::Fifo => self.content.pop_front(),
            Discipline::Lifo => self.content.pop_back(),
        };
        true
    }

    /// Step 2: an empty removal when the collection is empty.
    fn remove_empty(&mut self) -> bool {
        if !self.content.is_empty() {
            return false;
        }
        match self.empties.pop() {
            Some(e) => {
                self.take(e);
                true
            }
            None => false,
        }
    }

    /// Step 3 (stacks): a push and its pop, back to back.
    fn push_pop(&mut self) -> bool {
        if self.discipline != Discipline::Lifo {
            return false;
        }
        while let Some(id) = self.pairs.pop() {
            let add = self.add_of[id];
            if self.done[add] {
                continue;
            }
            let Some(remove) = self.remove_of[id] else {
                continue;
            };
            self.take(add);
            self.waiting_additions -= 1;
            self.take(remove);
            return true;
        }
        false
    }

    /// Step 4: an addition.
    fn add(&mut self) -> bool {
        while let Some(Reverse((_, i))) = self.additions.pop() {
            if self.done[i] {
                continue;
            }
            if self.discipline == Discipline::Lifo && self.waiting_additions > 1 {
                self.exact = false;
            }
            self.waiting_additions -= 1;
            self.take(i);
            let id = self.value(i);
            self.content.push_back(id);
            return true;
        }
        false
    }

    /// The bad pattern behind being stuck at `blocked`, in words.
    fn explain(&self, blocked: usize) -> (Pattern, Vec<u64>, String) {
        let ops = &self.prepared.operations;
        let d = self.discipline;
        let stuck = describe(&ops[blocked], &self.what(blocked));
        let deadline = self.comp[blocked];
        let mut highlighted = vec![ops[blocked].invoke];
        let front = self.front();
        let holder = |id: usize| {
            let add = self.add_of[id];
            let why = match self.remove_of[id] {
                Some(r) => format!(
                    "its {} ({}) was invoked only at event {}",
                    d.remove(),
                    describe(&ops[r], &self.what(r)),
                    self.inv[r]
                ),
                None => format!("no operation ever {} it", d.removed()),
            };
            (describe(&ops[add], &self.what(add)), why)
        };
        let preamble = format!(
            "{stuck} had to take effect by event {deadline}; linearizing every operation that \
             may come before it (choosing only orders that lose no linearization)"
        );
        match &self.acts[blocked] {
            Act::Remove(v) => {
                let id = self.value(blocked);
                let add = self.add_of[id];
                highlighted.push(ops[add].invoke);
                if !self.done[add] {
                    let text = format!(
                        "{stuck} returned {v}, but the {} of {v} ({}) was invoked only at event \
                         {}, after the {} had completed",
                        d.add(),
                        describe(&ops[add], &self.what(add)),
                        self.inv[add],
                        d.remove()
                    );
                    return (Pattern::RemovedBeforeAdded, highlighted, text);
                }
                let other = front.unwrap_or(id);
                highlighted.push(ops[self.add_of[other]].invoke);
                if let Some(r) = self.remove_of[other] {
                    highlighted.push(ops[r].invoke);
                }
                let (added, why) = holder(other);
                let text = format!(
                    "{preamble}, the value {} added by {added} is {} {v}; {why}, so it cannot \
                     leave the {} before the {} of {v}",
                    self.shown(other),
                    d.front(),
                    d.name(),
                    d.remove()
                );
                (Pattern::Order, highlighted, text)
            }
            Act::RemoveEmpty => {
                let Some(other) = front else {
                    return (Pattern::EmptyButHeld, highlighted, stuck);
                };
                highlighted.push(ops[self.add_of[other]].invoke);
                if let Some(r) = self.remove_of[other] {
                    highlighted.push(ops[r].invoke);
                }
                let (added, why) = holder(other);
                let text = format!(
                    "{preamble}, the {} holds {} added by {added}; {why}, so the {} was never \
                     empty while the {} that found it empty was running",
                    d.name(),
                    self.shown(other),
                    d.name(),
                    d.remove()
                );
                (Pattern::EmptyButHeld, highlighted, text)
            }
            Act::Add(_) | Act::RemoveUnknown => (Pattern::Order, highlighted, preamble),
        }
    }

    fn shown(&self, id: usize) -> String {
        match &self.acts[self.add_of[id]] {
            Act::Add(v) => v.to_string(),
            _ => String::new(),
        }
    }

    fn what(&self, i: usize) -> String {
        let d = self.discipline;
        match &self.acts[i] {
            Act::Add(v) => format!("{} {v}", d.add()),
            Act::Remove(v) => format!("{} -> {v}", d.remove()),
            Act::RemoveEmpty => format!("{} -> empty", d.remove()),
            Act::RemoveUnknown => format!("{} -> ?", d.remove()),
        }
    }
}
