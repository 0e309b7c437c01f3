//! Stacks with distinct values: empty pops first, then values removed one at a time from
//! the bottom, `O(n log n)`.
//!
//! # Sources, and which proofs hold
//! - Lee and Mathur, "Efficient decrease-and-conquer linearizability monitoring" (arXiv
//!   2410.04581, OOPSLA 2025): a linearizable history with distinct values has a *bottom
//!   value*, one whose operations can each take effect at a moment when no other value
//!   must be in the stack, and removing it leaves a history that is linearizable exactly
//!   when the whole one is; since such moments stay so when values are removed, the
//!   removals amortize to `O(n log n)`. The argument holds for complete histories whose
//!   pops all return a value, and it is the one used here, with two points made exact
//!   below: a value's push and pop are placed together (the push's gap no later than the
//!   pop's), and pops that find the stack empty are settled by the cut argument, each
//!   against every value, before any removal.
//! - Abdulla, Grahn, Jonsson, Krishna and Mishra, "Efficient linearizability monitoring"
//!   (PLDI 2025, LiMo): `O(n²)`, by taking a value that can be pushed first and popped last
//!   or splitting the history where no value must be in the stack, with a machine-checked
//!   (Lean) proof for histories without empty pops. Sound, but quadratic; its two steps
//!   appear here as the bottom and the cut.
//! - LiMo's authors report errors in the proofs of earlier monitors (Violin, after Emmi and
//!   Enea, POPL 2018); from those and from Bouajjani, Emmi, Enea and Hamza (ICALP 2015)
//!   only the names of the bad patterns are kept ([`super::Pattern`]).
//!
//! The code and the arguments below are this crate's own.
//!
//! # Points
//! Operations take effect in *gaps* between events: gap `g` lies just after the `g`-th
//! event that begins or ends an operation, and an operation may take effect in any gap
//! from its invoke to just before its completion (a crashed one: any gap from its invoke
//! on). Operations in one gap may be ordered freely: none of them completed before
//! another was invoked. A value that no completed pop returned is given a *virtual pop*
//! in a last gap, after every gap a real operation may use: a linearization may pop what
//! is left at the end, in stack order, and dropping those pops from the end leaves a
//! linearization.
//!
//! A value `w` is *held* at gap `g` when one of its operations must come before `g` (its
//! gaps end before `g`) and the other after (its gaps start after `g`): `w` is then in the
//! stack at `g` in every linearization. A value is never held at a gap its own push or
//! pop may use.
//!
//! # The properties relied on
//! **Cut.** Let no value be held at gap `g`. Every value then fits wholly before `g` (both
//! operations may start by `g`) or wholly after it; put it before when it can. The history
//! is linearizable exactly when the part before `g` is, within gaps up to `g`, and the part
//! after is, within gaps from `g` on. If: the part before is balanced (every value popped
//! in it), so the two linearizations concatenate, with anything that needs an empty stack
//! placed at `g` between them. Only if: keep a linearization's order but only the part's
//! operations (removing whole values from a stack's linearization leaves one: each value
//! sits in the same order on a subset of what was there), and move each operation's gap
//! into the window by the one map `t ↦ clamp(t, window)`: it is monotone, so the order
//! holds, and each operation's gaps meet the window, so each stays in its own gaps.
//!
//! **Empty pops.** A pop that found the stack empty needs a gap where no value is held;
//! and if each has one, cutting at all of them (each cut leaves the others' gaps unheld
//! within the windows) gives windows linearizable exactly when the history without the
//! empty pops is, with each empty pop between two windows. So each empty pop is checked
//! once, against every value, and then set aside.
//!
//! **Bottom.** Without empty pops: let value `v` have its push at gap `t1` and its pop at
//! gap `t2 ≥ t1`, each in its own gaps, with no other value held at `t1` or `t2`. Then the
//! history is linearizable exactly when it is without `v`. Only if: drop `v` from a
//! linearization. If: cut the rest at `t1` and at `t2`: the three parts are linearizable
//! in their windows, and the push of `v`, the middle part (balanced, above `v`) and the
//! pop of `v` go between them. And every linearizable history with a value has such a
//! `v`: the value pushed first, at the gaps its push and pop take.
//!
//! So the pass removes any value that qualifies, in any order, and a history where values
//! are left and none qualifies is not linearizable. Removing values only ever makes gaps
//! unheld, so a value that qualifies keeps qualifying: each is found once. `v` qualifies
//! when an unheld gap lies in both its push's and its pop's gaps, or one lies in its
//! push's gaps before its pop's first and another in its pop's gaps after its push's last
//! (any other pair of unheld gaps, the push's first, contains one of these).
//!
//! **Linearization.** The empty pops, then the values in the order removed, each cut the
//! window its last start falls in (initially every gap) at its gaps clamped to that window,
//! into before, above (values only) and after; the linearization walks the tree of cuts in
//! order. Each cut is one of the steps of the arguments above, applied to what is left in
//! that window: a later value is not held at an earlier value's gaps, nor at their clamped
//! copies within its window, so each step stays valid.
//!
//! # Cost
//! `O(n log n)` for `n` operations: sorting the gaps; one tree of how many values are held
//! at each gap (range add, and the runs of gaps that just became unheld: each gap becomes
//! unheld once); one tree of the ranges still waiting for an unheld gap (each reported
//! once, `O(log n)`); and an ordered map of windows for the linearization.
//!
//! # Crashed operations
//! A crashed push of a value no completed pop returned is left out (the same argument as
//! for queues: dropping it and whatever took its value changes no other result); one whose
//! value was popped is a push that never completes. A crashed pop may only find the stack
//! empty when every value is popped by a completed pop, so it is left out then (exact).
//! Otherwise which crashed pop took which value is not known, and is guessed: values
//! that must be gone by some point (a value surely below them is popped, or a pop finds
//! the stack empty) get, earliest such point first, the earliest crashed pop left invoked
//! before it; the crashed pops left over go to the other values. A value given a crashed
//! pop may be popped at any gap from that pop's invoke on, or in the last gap (the crashed
//! pop took nothing, the value stays): a relaxation of its virtual pop, so the guess never
//! rules out what leaving crashed pops out allows. A finished pass is a linearization
//! whatever was guessed; a stuck one goes to the general search, which
//! [`super::Checked::method`] reports.

use std::collections::BTreeMap;

use super::ordered::{Act, Discipline, Values, what};
use super::{Decided, Fallback, Found, Pattern, Violation, describe};
use crate::checker::preprocess::Prepared;

mod trees;

use trees::{Held, Part, Range, Waiting};

const D: Discipline = Discipline::Lifo;

/// Checks a stack history whose values are numbered in `values`.
pub(super) fn check<O>(prepared: &Prepared<O>, acts: &[Act], values: &Values) -> Decided {
    let ops = &prepared.operations;
    let wildcards: Vec<usize> = (0..acts.len())
        .filter(|&i| matches!(acts[i], Act::RemoveUnknown))
        .collect();
    let unclaimed: Vec<usize> = (0..values.add_of.len())
        .filter(|&id| values.unremoved(id) && !ops[values.add_of[id]].is_crashed())
        .collect();
    // Crashed pops matter only when some value is left for them to take.
    let guessed = !wildcards.is_empty() && !unclaimed.is_empty();
    let taken_by = if guessed {
        guess(prepared, acts, values, &wildcards, &unclaimed)
    } else {
        vec![None; values.add_of.len()]
    };
    // A pop that completed before its value's push was invoked.
    for (id, &add) in values.add_of.iter().enumerate() {
        if let Some(r) = values.remove_of[id]
            && ops[r].complete.is_some_and(|c| c < ops[add].invoke)
        {
            let text = format!(
                "{} returned {}, but the {} of it ({}) was invoked only at event {}, after the \
                 {} had completed",
                describe(&ops[r], &what(acts, D, r)),
                shown(acts, add),
                D.add(),
                describe(&ops[add], &what(acts, D, add)),
                ops[add].invoke,
                D.remove()
            );
            return Decided::Violation(Found {
                violation: Violation {
                    pattern: Pattern::RemovedBeforeAdded,
                    ops: vec![ops[r].invoke, ops[add].invoke],
                    explanation: text,
                },
                prefix: Vec::new(),
                blocked: r,
            });
        }
    }
    let peel = Peel::new(prepared, acts, values, &taken_by);
    match peel.run() {
        Ok(order) => Decided::Linearizable(order),
        Err(_) if guessed => Decided::Undecided(Fallback::CrashedRemovals {
            crashed: wildcards.len(),
        }),
        Err(found) => Decided::Violation(found),
    }
}

/// Which crashed pop may have taken which unclaimed value: a guess, never a restriction
/// (see the module docs). Each unclaimed value `u` gets a *deadline*: the earliest
/// completion of a pop of a value surely below it (pushed before `u`'s push began, popped
/// only after it ended) or of an empty pop invoked after `u`'s push ended; by then `u`
/// must be gone. Values by deadline take the earliest-invoked crashed pop left invoked
/// before it; crashed pops left over go, in invoke order, to the values left, by push.
fn guess<O>(
    prepared: &Prepared<O>,
    acts: &[Act],
    values: &Values,
    wildcards: &[usize],
    unclaimed: &[usize],
) -> Vec<Option<usize>> {
    let ops = &prepared.operations;
    let comp = |i: usize| match (ops[i].is_crashed(), ops[i].complete) {
        (false, Some(c)) => c,
        _ => u64::MAX,
    };
    // Claimed values as (push completion, pop invoke, pop completion), by push completion.
    let mut claimed: Vec<(u64, u64, u64)> = (0..values.add_of.len())
        .filter_map(|id| {
            let r = values.remove_of[id]?;
            Some((comp(values.add_of[id]), ops[r].invoke, comp(r)))
        })
        .collect();
    claimed.sort_unstable();
    let mut pop_invokes: Vec<u64> = claimed.iter().map(|c| c.1).collect();
    pop_invokes.sort_unstable();
    pop_invokes.dedup();
    // Empty pops by invoke, and the smallest completion from each on.
    let mut empties: Vec<(u64, u64)> = (0..acts.len())
        .filter(|&i| matches!(acts[i], Act::RemoveEmpty))
        .map(|i| (ops[i].invoke, comp(i)))
        .collect();
    empties.sort_unstable();
    let mut empty_min = vec![u64::MAX; empties.len() + 1];
    for k in (0..empties.len()).rev() {
        empty_min[k] = empty_min[k + 1].min(empties[k].1);
    }
    let mut by_push: Vec<usize> = unclaimed.to_vec();
    by_push.sort_unstable_by_key(|&id| ops[values.add_of[id]].invoke);
    // Smallest pop completion among inserted values whose pop invoke is at or after a
    // position: a Fenwick tree over reversed positions.
    let m = pop_invokes.len();
    let mut tree = vec![u64::MAX; m + 1];
    let mut inserted = 0;
    let mut deadlines: Vec<(u64, usize)> = Vec::with_capacity(by_push.len());
    for &id in &by_push {
        let add = values.add_of[id];
        let (start, end) = (ops[add].invoke, comp(add));
        while inserted < claimed.len() && claimed[inserted].0 < start {
            let (_, pop_inv, pop_comp) = claimed[inserted];
            let pos = pop_invokes.partition_point(|&x| x < pop_inv);
            let mut k = m - pos;
            while k <= m {
                tree[k] = tree[k].min(pop_comp);
                k += k & k.wrapping_neg();
            }
            inserted += 1;
        }
        let mut deadline = u64::MAX;
        let pos = pop_invokes.partition_point(|&x| x <= end);
        let mut k = m - pos;
        while k > 0 {
            deadline = deadline.min(tree[k]);
            k -= k & k.wrapping_neg();
        }
        let e = empties.partition_point(|&(inv, _)| inv <= end);
        deadline = deadline.min(empty_min[e]);
        deadlines.push((deadline, id));
    }
    deadlines.sort_unstable();
    let mut left: std::collections::BTreeSet<(u64, usize)> =
        wildcards.iter().map(|&c| (ops[c].invoke, c)).collect();
    let mut taken_by = vec![None; values.add_of.len()];
    for &(deadline, id) in &deadlines {
        if deadline == u64::MAX {
            break;
        }
        if let Some(&first) = left.first()
            && first.0 < deadline
        {
            left.remove(&first);
            taken_by[id] = Some(first.1);
        }
    }
    for &id in &by_push {
        if taken_by[id].is_none()
            && let Some(first) = left.pop_first()
        {
            taken_by[id] = Some(first.1);
        }
    }
    taken_by
}

fn shown(acts: &[Act], add: usize) -> String {
    match &acts[add] {
        Act::Add(v) => v.to_string(),
        _ => String::new(),
    }
}

/// A range of gaps, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Gaps {
    from: usize,
    to: usize,
}

/// Values that cannot go to the bottom, whichever is tried: the history is not
/// linearizable.
struct Stuck {
    values: Vec<usize>,
    /// The operation among them that must complete first.
    blocked: usize,
}

/// Where a removed value's push and pop go: gaps where no value still left must be in the
/// stack, the push's no later than the pop's.
#[derive(Clone, Copy, Debug)]
struct Removed {
    value: usize,
    push_at: usize,
    pop_at: usize,
}

/// What each value waits for: a gap where none must be in the stack that its push and pop
/// may both use, or one for each, the push's first.
#[derive(Clone, Copy, Debug, Default)]
struct Wait {
    push_at: Option<u32>,
    pop_at: Option<u32>,
    done: bool,
}

/// A node of the linearization being built: a value or an empty pop, the gap its pop
/// went to, and what goes before it, above it (values only) and after it. Gaps, values
/// and nodes are `u32` here, to keep the tree small (they number fewer than `2^32`: a
/// history that long would not fit in memory).
struct Node {
    item: Cut,
    pop_at: u32,
    children: [Option<u32>; 3],
}

/// What cuts a window.
#[derive(Clone, Copy, Debug)]
enum Cut {
    Value(u32),
    Empty(u32),
}

/// A window of gaps still open for the values to come: the cut it starts after (`None`:
/// before every gap), and the node and side it belongs to (`None`: the root).
#[derive(Clone, Copy, Debug)]
struct Window {
    after: Option<u32>,
    owner: Option<(u32, u8)>,
}

struct Peel<'a, O> {
    prepared: &'a Prepared<O>,
    acts: &'a [Act],
    values: &'a Values,
    /// Each operation's gaps; index `n` onwards: virtual pops, by value.
    gaps: Vec<Gaps>,
    /// Each value's pop, real or virtual, as an index into `gaps`.
    pop_of: Vec<usize>,
    /// The crashed pop guessed to take each value, if any.
    taken_by: Vec<Option<usize>>,
    /// The last gap, the virtual pops'; `last - 1` is after every event.
    last: usize,
}

impl<'a, O> Peel<'a, O> {
    /// `taken_by`: the crashed pop guessed to take each unclaimed value, if any.
    fn new(
        prepared: &'a Prepared<O>,
        acts: &'a [Act],
        values: &'a Values,
        taken_by: &[Option<usize>],
    ) -> Self {
        let ops = &prepared.operations;
        // Gaps numbered by the events that bound operations: gap `k` lies just after the
        // `k`-th of them (no other event can separate two operations).
        let mut events: Vec<u64> = ops
            .iter()
            .flat_map(|o| {
                let complete = (!o.is_crashed()).then_some(o.complete).flatten();
                std::iter::once(o.invoke).chain(complete)
            })
            .collect();
        events.sort_unstable();
        events.dedup();
        let rank = |e: u64| events.partition_point(|&x| x < e);
        let last = events.len() + 1;
        let mut gaps: Vec<Gaps> = ops
            .iter()
            .map(|o| Gaps {
                from: rank(o.invoke),
                to: match (o.is_crashed(), o.complete) {
                    (false, Some(c)) => rank(c) - 1,
                    // Any gap but the last, which is the virtual pops'.
                    _ => last - 1,
                },
            })
            .collect();
        let mut pop_of = Vec::with_capacity(values.add_of.len());
        for (removed, taken) in values.remove_of.iter().zip(taken_by) {
            match (removed, taken) {
                (Some(r), _) => pop_of.push(*r),
                // A crashed pop guessed to take the value: at any gap from its invoke on,
                // or in the last gap, where it means the crashed pop took nothing and the
                // value stays.
                (None, Some(c)) => {
                    pop_of.push(gaps.len());
                    gaps.push(Gaps {
                        from: rank(ops[*c].invoke),
                        to: last,
                    });
                }
                (None, None) => {
                    pop_of.push(gaps.len());
                    gaps.push(Gaps {
                        from: last,
                        to: last,
                    });
                }
            }
        }
        Peel {
            prepared,
            acts,
            values,
            gaps,
            pop_of,
            taken_by: taken_by.to_vec(),
            last,
        }
    }

    fn is_real(&self, op: usize) -> bool {
        op < self.prepared.operations.len()
    }

    /// The values whose push is kept, and the empty pops.
    fn items(&self) -> (Vec<usize>, Vec<usize>) {
        let ops = &self.prepared.operations;
        let (mut values, mut empties) = (Vec::new(), Vec::new());
        for (i, act) in self.acts.iter().enumerate() {
            match act {
                Act::Add(_) => {
                    let id = self.values.of(i);
                    // A crashed push of a value no completed pop returned is left out.
                    if !(ops[i].is_crashed() && self.values.unremoved(id)) {
                        values.push(id);
                    }
                }
                Act::RemoveEmpty => empties.push(i),
                Act::Remove(_) | Act::RemoveUnknown => {}
            }
        }
        (values, empties)
    }

    /// The gaps of a value's push and pop.
    fn value_gaps(&self, id: usize) -> (Gaps, Gaps) {
        (
            self.gaps[self.values.add_of[id]],
            self.gaps[self.pop_of[id]],
        )
    }

    /// The last gap where value `id`'s push or pop may start: it fits before a gap exactly
    /// when this is no later.
    fn last_start(&self, id: usize) -> usize {
        let (push, pop) = self.value_gaps(id);
        push.from.max(pop.from)
    }

    /// The gaps where value `id` must be in the stack, if any: after one of its operations
    /// must have taken effect and before the other may.
    fn critical(&self, id: usize) -> Option<Gaps> {
        let (push, pop) = self.value_gaps(id);
        let (first_end, last_start) = (push.to.min(pop.to), push.from.max(pop.from));
        (first_end + 1 < last_start).then(|| Gaps {
            from: first_end + 1,
            to: last_start - 1,
        })
    }

    /// Decides the history: a linearization, or why there is none.
    fn run(&self) -> Result<Vec<usize>, Found> {
        let (values, empties) = self.items();
        let mut counts = vec![0i32; self.last + 2];
        for &id in &values {
            if let Some(c) = self.critical(id) {
                counts[c.from] += 1;
                counts[c.to + 1] -= 1;
            }
        }
        for g in 1..counts.len() {
            counts[g] += counts[g - 1];
        }
        counts.truncate(self.last + 1);
        let mut held = Held::new(&counts);
        drop(counts);
        // Each empty pop at a gap where no value must be in the stack.
        let mut cuts = Vec::with_capacity(empties.len());
        for &e in &empties {
            let g = self.gaps[e];
            match held.first_zero(g.from, g.to) {
                Some(at) => cuts.push((e, at)),
                None => return Err(self.empty_but_held(e, &values)),
            }
        }
        let removed = self.remove_bottoms(&values, &mut held);
        drop(held);
        if removed.len() < values.len() {
            let mut done = vec![false; self.values.add_of.len()];
            for r in &removed {
                done[r.value] = true;
            }
            let left: Vec<usize> = values.into_iter().filter(|&id| !done[id]).collect();
            let blocked = self.blocked(&left);
            return Err(self.explain(&Stuck {
                values: left,
                blocked,
            }));
        }
        drop(values);
        Ok(self.linearize(&cuts, &removed))
    }

    /// Removes values that can go to the bottom, one at a time, until none is left or none
    /// can: the removed values, in order.
    fn remove_bottoms(&self, values: &[usize], held: &mut Held) -> Vec<Removed> {
        let mut ranges = Vec::with_capacity(2 * values.len());
        for &id in values {
            let (push, pop) = self.value_gaps(id);
            // The pop never ends before the push begins (checked before the pass).
            let both = Gaps {
                from: push.from.max(pop.from),
                to: push.to.min(pop.to),
            };
            let mut wait_on = |from: usize, to: usize, part| {
                ranges.push(Range {
                    from: from as u32,
                    to: to as u32,
                    value: id as u32,
                    part,
                });
            };
            if both.from <= both.to {
                wait_on(both.from, both.to, Part::Both);
            }
            if push.from < pop.from {
                wait_on(push.from, push.to.min(pop.from - 1), Part::Push);
            }
            if pop.to > push.to {
                wait_on(pop.from.max(push.to + 1), pop.to, Part::Pop);
            }
        }
        let mut waiting = Waiting::new(ranges);
        let mut wait = vec![Wait::default(); self.values.add_of.len()];
        let mut removed: Vec<Removed> = Vec::with_capacity(values.len());
        let (mut runs, mut met) = (Vec::new(), Vec::new());
        held.zero_runs(0, self.last, &mut runs);
        let mut next = 0;
        loop {
            for &(from, to) in &runs {
                met.clear();
                waiting.meet(from, to, &mut met);
                for &(id, part, at) in &met {
                    let at = at as u32;
                    let w = &mut wait[id];
                    if w.done {
                        continue;
                    }
                    match part {
                        Part::Both => {
                            w.push_at = Some(at);
                            w.pop_at = Some(at);
                        }
                        Part::Push => w.push_at = w.push_at.or(Some(at)),
                        Part::Pop => w.pop_at = w.pop_at.or(Some(at)),
                    }
                    if let (Some(push_at), Some(pop_at)) = (w.push_at, w.pop_at) {
                        w.done = true;
                        removed.push(Removed {
                            value: id,
                            push_at: push_at as usize,
                            pop_at: pop_at as usize,
                        });
                    }
                }
            }
            let Some(&r) = removed.get(next) else { break };
            next += 1;
            runs.clear();
            if let Some(c) = self.critical(r.value) {
                held.add(c.from, c.to, -1);
                held.zero_runs(c.from, c.to, &mut runs);
            }
        }
        removed
    }

    /// A linearization from the gaps chosen for each empty pop and removed value: each
    /// cuts the window it falls in (by its last start) into what goes before, above and
    /// after it, and its gaps are clamped to that window.
    fn linearize(&self, cuts: &[(usize, usize)], removed: &[Removed]) -> Vec<usize> {
        // Windows by their last gap. A value belongs to the window with
        // `after < last_start <= last`; the first window starts before every gap.
        let mut windows: BTreeMap<u32, Window> = BTreeMap::new();
        windows.insert(
            self.last as u32,
            Window {
                after: None,
                owner: None,
            },
        );
        let mut nodes: Vec<Node> = Vec::with_capacity(cuts.len() + removed.len());
        let mut root = None;
        let items = cuts
            .iter()
            .map(|&(e, at)| (Cut::Empty(e as u32), at, at, at))
            .chain(removed.iter().map(|r| {
                (
                    Cut::Value(r.value as u32),
                    self.last_start(r.value),
                    r.push_at,
                    r.pop_at,
                )
            }));
        for (item, key, t1, t2) in items {
            let Some((&last, &window)) = windows.range(key as u32..).next() else {
                continue;
            };
            let low = window.after.unwrap_or(0);
            let at = ((t1 as u32).clamp(low, last), (t2 as u32).clamp(low, last));
            let node = nodes.len() as u32;
            nodes.push(Node {
                item,
                pop_at: at.1,
                children: [None; 3],
            });
            match window.owner {
                Some((parent, side)) => {
                    nodes[parent as usize].children[usize::from(side)] = Some(node);
                }
                None => root = Some(node),
            }
            windows.remove(&last);
            let bounds = [(window.after, at.0), (Some(at.0), at.1), (Some(at.1), last)];
            for (side, (after, to)) in (0u8..).zip(bounds) {
                if after.is_none_or(|a| a < to) {
                    let owner = Some((node, side));
                    windows.insert(to, Window { after, owner });
                }
            }
        }
        let mut order = Vec::with_capacity(self.prepared.operations.len());
        let mut stack: Vec<Visit> = root.into_iter().map(Visit::Node).collect();
        while let Some(visit) = stack.pop() {
            let node = match visit {
                Visit::Emit(op) => {
                    order.push(op);
                    continue;
                }
                Visit::Node(node) => &nodes[node as usize],
            };
            let [before, above, after] = node.children;
            stack.extend(after.map(Visit::Node));
            match node.item {
                Cut::Empty(e) => stack.push(Visit::Emit(e as usize)),
                Cut::Value(v) => {
                    let v = v as usize;
                    let pop = self.pop_of[v];
                    if self.is_real(pop) {
                        stack.push(Visit::Emit(pop));
                    } else if let Some(c) = self.taken_by[v]
                        && (node.pop_at as usize) < self.last
                    {
                        stack.push(Visit::Emit(c));
                    }
                    stack.extend(above.map(Visit::Node));
                    stack.push(Visit::Emit(self.values.add_of[v]));
                }
            }
            stack.extend(before.map(Visit::Node));
        }
        order
    }

    /// An empty pop that ran while some value had to be in the stack throughout.
    fn empty_but_held(&self, e: usize, values: &[usize]) -> Found {
        let ops = &self.prepared.operations;
        let g = self.gaps[e];
        let holders: Vec<usize> = values
            .iter()
            .copied()
            .filter(|&id| {
                self.critical(id)
                    .is_some_and(|c| c.from <= g.to && g.from <= c.to)
            })
            .collect();
        let whole = holders.iter().copied().find(|&id| {
            self.critical(id)
                .is_some_and(|c| c.from <= g.from && g.to <= c.to)
        });
        let mut highlighted = vec![ops[e].invoke];
        let explanation = match whole {
            Some(id) => {
                highlighted.push(ops[self.values.add_of[id]].invoke);
                format!(
                    "{} found the stack empty, but it ran after {} completed and before {}, \
                     while {} was in",
                    self.describe_op(e),
                    self.describe_op(self.values.add_of[id]),
                    self.pop_text(id),
                    shown(self.acts, self.values.add_of[id])
                )
            }
            None => {
                let named: Vec<String> = holders
                    .iter()
                    .take(3)
                    .map(|&id| {
                        highlighted.push(ops[self.values.add_of[id]].invoke);
                        format!(
                            "{} ({})",
                            shown(self.acts, self.values.add_of[id]),
                            self.held_by(id)
                        )
                    })
                    .collect();
                format!(
                    "{} found the stack empty, but at every moment it ran one of these values \
                     was in the stack: {}",
                    self.describe_op(e),
                    named.join("; ")
                )
            }
        };
        Found {
            violation: Violation {
                pattern: Pattern::EmptyButHeld,
                ops: highlighted,
                explanation,
            },
            prefix: Vec::new(),
            blocked: e,
        }
    }

    /// The operation of the values left shown as the one that cannot be linearized: the
    /// pop (or, with none, the operation) that must complete first.
    fn blocked(&self, values: &[usize]) -> usize {
        let mut best: Option<(bool, usize, usize)> = None;
        let mut consider = |op: usize, pop: bool| {
            if self.is_real(op) {
                let key = (!pop, self.gaps[op].to, op);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        };
        for &id in values {
            consider(self.values.add_of[id], false);
            consider(self.pop_of[id], true);
        }
        best.map_or(0, |(_, _, op)| op)
    }

    fn describe_op(&self, op: usize) -> String {
        describe(&self.prepared.operations[op], &what(self.acts, D, op))
    }

    /// Why none of the values left can be at the bottom, in words.
    fn explain(&self, stuck: &Stuck) -> Found {
        let ops = &self.prepared.operations;
        let mut values = stuck.values.clone();
        values.sort_unstable_by_key(|&id| (self.gaps[self.values.add_of[id]].from, id));
        let mut highlighted = vec![ops[stuck.blocked].invoke];
        let mut reasons = Vec::new();
        for &id in values.iter().take(3) {
            let add = self.values.add_of[id];
            highlighted.push(ops[add].invoke);
            let (push, pop) = self.value_gaps(id);
            // A value that must be in the stack over the whole of this value's push or pop
            // gaps.
            let blocker = |range: Gaps| {
                values.iter().copied().find(|&w| {
                    w != id
                        && self
                            .critical(w)
                            .is_some_and(|c| c.from <= range.from && range.to <= c.to)
                })
            };
            let reason = match (blocker(push), blocker(pop)) {
                (Some(w), _) => {
                    highlighted.push(ops[self.values.add_of[w]].invoke);
                    format!(
                        "{} cannot go first: while it runs, {} is already in the stack ({}, \
                         which cannot be undone before it)",
                        self.describe_op(add),
                        shown(self.acts, self.values.add_of[w]),
                        self.held_by(w)
                    )
                }
                (None, Some(w)) => {
                    highlighted.push(ops[self.values.add_of[w]].invoke);
                    format!(
                        "{} cannot be at the bottom: at {}, {} must still be in the stack ({})",
                        shown(self.acts, add),
                        self.pop_text(id),
                        shown(self.acts, self.values.add_of[w]),
                        self.held_by(w)
                    )
                }
                (None, None) => format!(
                    "{} cannot be at the bottom: wherever its push and its removal ({}) go, \
                     the push first, another value must be in the stack at one of them",
                    shown(self.acts, add),
                    self.pop_text(id)
                ),
            };
            reasons.push(reason);
        }
        let more = values.len().saturating_sub(3);
        let explanation = format!(
            "{} had to take effect by event {}; one of the values still to place must be at \
             the bottom of the stack when it is pushed and when it is popped, with nothing \
             else in, but {}{}",
            self.describe_op(stuck.blocked),
            ops[stuck.blocked].complete.unwrap_or(u64::MAX),
            reasons.join("; "),
            if more > 0 {
                format!(" (and {more} more values fail the same way)")
            } else {
                String::new()
            }
        );
        highlighted.dedup();
        Found {
            violation: Violation {
                pattern: Pattern::Order,
                ops: highlighted,
                explanation,
            },
            prefix: Vec::new(),
            blocked: stuck.blocked,
        }
    }

    fn pop_text(&self, id: usize) -> String {
        let pop = self.pop_of[id];
        if self.is_real(pop) {
            self.describe_op(pop)
        } else {
            "the end of the history (no pop returned it)".into()
        }
    }

    /// Why value `w` is in the stack: its push completed, its pop is still to come.
    fn held_by(&self, w: usize) -> String {
        let add = self.values.add_of[w];
        let pop = self.pop_of[w];
        if self.is_real(pop) {
            format!(
                "{} completed at event {} and {} was invoked only at event {}",
                self.describe_op(add),
                self.prepared.operations[add].complete.unwrap_or(u64::MAX),
                self.describe_op(pop),
                self.prepared.operations[pop].invoke
            )
        } else {
            format!(
                "{} completed at event {} and no pop ever returned it",
                self.describe_op(add),
                self.prepared.operations[add].complete.unwrap_or(u64::MAX)
            )
        }
    }
}

/// A step of the walk that writes the linearization out.
enum Visit {
    Node(u32),
    Emit(usize),
}
