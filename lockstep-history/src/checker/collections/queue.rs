//! FIFO queues with distinct values: one greedy pass that never backtracks, crashed
//! operations included.
//!
//! # The operations
//! An operation is an interval of event indices: invoked at `inv`, completed at `comp`;
//! a crashed one never completes (`comp` is infinite) and may also never take effect.
//! Before the pass, and exactly:
//! - a crashed enqueue of a value no completed dequeue returned is left out (rule R1);
//! - a crashed enqueue of a value some completed dequeue returned is an enqueue that
//!   never completes (R2);
//! - crashed dequeues are *wildcards* (R3): each may take the head at any point after its
//!   invoke, or take nothing.
//!
//! Call a value *unclaimed* when no completed dequeue returned it (after R1 its enqueue
//! completed). In a linearization an unclaimed value is taken by a wildcard or stays in
//! the queue to the end.
//!
//! # The pass
//! It builds a linearization one operation at a time. The operations that may go next
//! are those invoked before the earliest completion among the remaining ones (the
//! *deadline*; the operation completing there is the *deadline operation*). The pass
//! takes, in this order of preference:
//!
//! 1. the completed dequeue of the value at the head, if it may go next;
//! 2. if the head is unclaimed, the earliest-invoked wildcard left, if it may go next;
//! 3. an empty dequeue, if the queue is empty and it may go next;
//! 4. an enqueue, among: the enqueues that may go next of claimed values, each keyed by
//!    the invoke of its value's dequeue; and the deadline operation if it is the enqueue
//!    of an unclaimed value, keyed by the invoke of the wildcard that would take it (the
//!    `m+1`-th earliest wildcard left, `m` the unclaimed values in the queue; none left:
//!    infinite). The smallest key wins.
//!
//! If none applies, the deadline operation cannot be placed and the history is not
//! linearizable. Each choice is proven below never to lose a linearization, so the pass
//! decides every history it is given in `O(n log n)`.
//!
//! # Why each step is sound
//! Suppose a linearization `L` of the remaining operations exists from the current queue.
//! Two normal forms: (W) wildcards are interchangeable, so the ones `L` uses may be taken
//! to be the earliest-invoked, in invoke order (give the earlier position to the earlier
//! invoke: every operation that must precede the later-invoked one must precede the
//! earlier one, and nothing must follow a wildcard); a wildcard acting on an empty queue
//! is dropped. (U) `L` enqueues no unclaimed value before the deadline operation `d`
//! other than `d` itself: if it does, move that enqueue to just after `d` (allowed, since
//! everything before `d` was invoked before `d` completed, before that enqueue
//! completed). Values it then trails were ahead of it; if they are all dequeued in `L`,
//! its wildcard moves to just after the last of them and before the next dequeue in `L`,
//! otherwise it stays in the queue for good; in both cases every removal still finds its
//! value at the head and every empty dequeue an empty queue.
//! - Step 1: in `L`, until the head `h` leaves, nothing else is dequeued, no dequeue
//!   finds the queue empty, and no wildcard acts (it would take `h`). Moving `h`'s dequeue
//!   to the front changes no result; it may go next.
//! - Step 2: by (W), if `L` removes `h` it does so with the earliest wildcard `c`, before
//!   any other removal; moving `c` to the front changes nothing else. If `L` never
//!   removes `h`, nothing after `h` is dequeued and no wildcard acts, so removing `h`
//!   now changes no result.
//! - Step 3: an empty dequeue changes nothing; the queue is empty now; it may go next.
//! - Step 4: no removal may start `L`, so by (U) `L` starts with the enqueue of a claimed
//!   value `w`, or with `d`. Let `v` be the choice, `key` as above.
//!   - `v` and `w` both claimed, `key(v) < key(w)`: move `enq(v)` to the front and
//!     `deq(v)` to just before `deq(w)`. FIFO holds (v enters right behind the current
//!     content and leaves right before w). Each operation `deq(v)` jumps over is after
//!     `deq(w)` in `L`, so it completed after `deq(w)` was invoked, after `deq(v)` was
//!     invoked. Until `deq(w)` the queue held w in `L` and holds v now; after it, it holds
//!     what it held in `L` minus v: no empty dequeue changes.
//!   - `v` claimed, `L` starts with `d` (unclaimed), `key(v) < key(d)`: v trails `d` in
//!     `L`, so `d` is taken, by (W) by the `m+1`-th wildcard `c` (the content's unclaimed
//!     values take the first `m`), before `deq(v)`. Move `enq(v)` to the front and
//!     `deq(v)` to just before `c`: every operation it jumps over is after `c` in `L`, so it
//!     completed after `c`'s invoke, which is after `deq(v)`'s invoke. The rest is as above.
//!   - `v = d` (unclaimed), `L` starts with claimed `w`, `key(d) < key(w)`: by (U) only
//!     claimed values are enqueued before `d` in `L`, so a wildcard taking `d` there is the
//!     `m+1`-th, `c`; if `d` stays for good, `c` is unused. Move `enq(d)` to the front
//!     (everything before it in `L` was invoked before `d` completed) and `c` to just before
//!     `deq(w)`: what must precede `c` completed before `c`'s invoke, before `deq(w)`'s
//!     invoke, so it precedes `deq(w)` already; until `deq(w)` the queue held w in `L`, so
//!     no empty dequeue is affected, and afterwards it holds what `L` held minus `d`.
//!   - A key is an event index, so two keys never tie; if `d` is the only candidate, `L`
//!     starts with it.
//!
//! So being stuck proves the history is not linearizable, and a finished pass is a
//! linearization (every step is legal and may go next).
//!
//! Why R1 is exact: given a linearization with the crashed `enq(v)`, removing it and the
//! wildcard that took v (if any) leaves every other result as it was (the queue at each
//! point is the same minus v, which no completed operation observed). R2 and R3 are the
//! semantics of a crashed operation.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};

use super::ordered::{Act, Discipline, Values, what};
use super::{Decided, Found, Pattern, Violation, describe};
use crate::checker::preprocess::Prepared;

const D: Discipline = Discipline::Fifo;

/// Checks a FIFO-queue history whose values are numbered in `values`.
pub(super) fn check<O>(prepared: &Prepared<O>, acts: &[Act], values: &Values) -> Decided {
    let mut pass = Pass::new(prepared, acts, values);
    match pass.run() {
        None => Decided::Linearizable(pass.order),
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

/// The greedy pass over one history.
struct Pass<'a, O> {
    prepared: &'a Prepared<O>,
    acts: &'a [Act],
    values: &'a Values,
    /// Invoke and completion of each operation; crashed ones complete at `u64::MAX`.
    inv: Vec<u64>,
    comp: Vec<u64>,
    /// Kept operations other than wildcards, by invoke, and how many are admitted (may go
    /// next).
    by_inv: Vec<usize>,
    admitted: usize,
    is_admitted: Vec<bool>,
    done: Vec<bool>,
    /// Remaining operations other than wildcards by completion: the first is the deadline.
    deadlines: BTreeSet<(u64, usize)>,
    /// Admitted enqueues of claimed values not yet taken, by their dequeue's invoke.
    additions: BinaryHeap<Reverse<(u64, usize)>>,
    /// Admitted empty dequeues not yet taken.
    empties: Vec<usize>,
    /// Crashed dequeues, by invoke, and how many are used.
    wildcards: Vec<usize>,
    used: usize,
    /// The queue, head first, and how many of its values are unclaimed.
    content: VecDeque<usize>,
    unclaimed_held: usize,
    /// The linearization so far.
    order: Vec<usize>,
}

impl<'a, O> Pass<'a, O> {
    fn new(prepared: &'a Prepared<O>, acts: &'a [Act], values: &'a Values) -> Self {
        let ops = &prepared.operations;
        let inv: Vec<u64> = ops.iter().map(|o| o.invoke).collect();
        let comp: Vec<u64> = ops
            .iter()
            .map(|o| match (o.is_crashed(), o.complete) {
                (false, Some(c)) => c,
                _ => u64::MAX,
            })
            .collect();
        let mut by_inv = Vec::with_capacity(ops.len());
        let mut wildcards = Vec::new();
        // Operations are in invoke order already.
        for (i, act) in acts.iter().enumerate() {
            match act {
                Act::RemoveUnknown => wildcards.push(i),
                // R1: a crashed enqueue of an unclaimed value is left out.
                Act::Add(_) if ops[i].is_crashed() && values.unremoved(values.of(i)) => {}
                _ => by_inv.push(i),
            }
        }
        let deadlines = by_inv.iter().map(|&i| (comp[i], i)).collect();
        Pass {
            prepared,
            acts,
            values,
            inv,
            comp,
            by_inv,
            admitted: 0,
            is_admitted: vec![false; ops.len()],
            done: vec![false; ops.len()],
            deadlines,
            additions: BinaryHeap::new(),
            empties: Vec::new(),
            wildcards,
            used: 0,
            content: VecDeque::new(),
            unclaimed_held: 0,
            order: Vec::with_capacity(ops.len()),
        }
    }

    /// Runs the pass: `None` when every operation is linearized, or the deadline operation
    /// when it cannot be.
    fn run(&mut self) -> Option<usize> {
        while let Some(&(deadline, first)) = self.deadlines.first() {
            self.admit(deadline);
            if self.dequeue_head()
                || self.wildcard_head(deadline)
                || self.dequeue_empty()
                || self.enqueue(first)
            {
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
                    if let Some(r) = self.values.remove_of[self.values.of(i)] {
                        self.additions.push(Reverse((self.inv[r], i)));
                    }
                }
                Act::RemoveEmpty => self.empties.push(i),
                Act::Remove(_) | Act::RemoveUnknown => {}
            }
        }
    }

    fn take(&mut self, i: usize) {
        self.done[i] = true;
        self.deadlines.remove(&(self.comp[i], i));
        self.order.push(i);
    }

    /// Step 1: the completed dequeue of the head, if admitted.
    fn dequeue_head(&mut self) -> bool {
        let Some(&id) = self.content.front() else {
            return false;
        };
        match self.values.remove_of[id] {
            Some(r) if self.is_admitted[r] => self.take(r),
            _ => return false,
        }
        self.content.pop_front();
        true
    }

    /// Step 2: an unclaimed head taken by the earliest wildcard left, if it may go next.
    fn wildcard_head(&mut self, deadline: u64) -> bool {
        let Some(&id) = self.content.front() else {
            return false;
        };
        if !self.values.unremoved(id) {
            return false;
        }
        match self.wildcards.get(self.used) {
            Some(&c) if self.inv[c] < deadline => {
                self.used += 1;
                self.take(c);
                self.content.pop_front();
                self.unclaimed_held -= 1;
                true
            }
            _ => false,
        }
    }

    /// Step 3: an empty dequeue when the queue is empty.
    fn dequeue_empty(&mut self) -> bool {
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

    /// Step 4: an enqueue; `first` is the deadline operation.
    fn enqueue(&mut self, first: usize) -> bool {
        while let Some(&Reverse((_, i))) = self.additions.peek() {
            if !self.done[i] {
                break;
            }
            self.additions.pop();
        }
        let claimed = self.additions.peek().map(|&Reverse(entry)| entry);
        let forced = match self.acts[first] {
            Act::Add(_) if self.values.unremoved(self.values.of(first)) => Some(first),
            _ => None,
        };
        let chosen = match (claimed, forced) {
            (Some((key, i)), Some(d)) => {
                let key_d = self
                    .wildcards
                    .get(self.used + self.unclaimed_held)
                    .map_or(u64::MAX, |&c| self.inv[c]);
                if key_d < key {
                    d
                } else {
                    self.additions.pop();
                    i
                }
            }
            (Some((_, i)), None) => {
                self.additions.pop();
                i
            }
            (None, Some(d)) => d,
            (None, None) => return false,
        };
        self.take(chosen);
        let id = self.values.of(chosen);
        if self.values.unremoved(id) {
            self.unclaimed_held += 1;
        }
        self.content.push_back(id);
        true
    }

    /// The bad pattern behind being stuck at `blocked`, in words.
    fn explain(&self, blocked: usize) -> (Pattern, Vec<u64>, String) {
        let ops = &self.prepared.operations;
        let stuck = describe(&ops[blocked], &what(self.acts, D, blocked));
        let deadline = self.comp[blocked];
        let mut highlighted = vec![ops[blocked].invoke];
        let front = self.content.front().copied();
        let holder = |id: usize| {
            let add = self.values.add_of[id];
            let why = match self.values.remove_of[id] {
                Some(r) => format!(
                    "its {} ({}) was invoked only at event {}",
                    D.remove(),
                    describe(&ops[r], &what(self.acts, D, r)),
                    self.inv[r]
                ),
                None => format!(
                    "no completed operation {} it and no crashed {} invoked by then is \
                     left to take it",
                    D.removed(),
                    D.remove()
                ),
            };
            (describe(&ops[add], &what(self.acts, D, add)), why)
        };
        let preamble = format!(
            "{stuck} had to take effect by event {deadline}; linearizing every operation that \
             may come before it (choosing only orders that lose no linearization)"
        );
        match &self.acts[blocked] {
            Act::Remove(v) => {
                let id = self.values.of(blocked);
                let add = self.values.add_of[id];
                highlighted.push(ops[add].invoke);
                if !self.done[add] {
                    let text = format!(
                        "{stuck} returned {v}, but the {} of {v} ({}) was invoked only at event \
                         {}, after the {} had completed",
                        D.add(),
                        describe(&ops[add], &what(self.acts, D, add)),
                        self.inv[add],
                        D.remove()
                    );
                    return (Pattern::RemovedBeforeAdded, highlighted, text);
                }
                let other = front.unwrap_or(id);
                highlighted.push(ops[self.values.add_of[other]].invoke);
                if let Some(r) = self.values.remove_of[other] {
                    highlighted.push(ops[r].invoke);
                }
                let (added, why) = holder(other);
                let text = format!(
                    "{preamble}, the value {} added by {added} is {} {v}; {why}, so it cannot \
                     leave the {} before the {} of {v}",
                    self.shown(other),
                    D.front(),
                    D.name(),
                    D.remove()
                );
                (Pattern::Order, highlighted, text)
            }
            Act::RemoveEmpty => {
                let Some(other) = front else {
                    return (Pattern::EmptyButHeld, highlighted, stuck);
                };
                highlighted.push(ops[self.values.add_of[other]].invoke);
                if let Some(r) = self.values.remove_of[other] {
                    highlighted.push(ops[r].invoke);
                }
                let (added, why) = holder(other);
                let text = format!(
                    "{preamble}, the {} holds {} added by {added}; {why}, so the {} was never \
                     empty while the {} that found it empty was running",
                    D.name(),
                    self.shown(other),
                    D.name(),
                    D.remove()
                );
                (Pattern::EmptyButHeld, highlighted, text)
            }
            Act::Add(_) | Act::RemoveUnknown => (Pattern::Order, highlighted, preamble),
        }
    }

    fn shown(&self, id: usize) -> String {
        match &self.acts[self.values.add_of[id]] {
            Act::Add(v) => v.to_string(),
            _ => String::new(),
        }
    }
}
