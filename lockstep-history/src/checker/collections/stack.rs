//! Stacks with distinct values: peel off a value that can sit at the bottom, then solve
//! what happens before, above and after it, each on its own.
//!
//! After Lee and Mathur, "Efficient decrease-and-conquer linearizability monitoring"
//! (arXiv 2410.04581), whose stack section rests on *bottom values*; LiMo (Abdulla,
//! Grahn, Jonsson, Krishna and Mishra, "Efficient linearizability monitoring", PLDI 2025)
//! reaches `O(n²)` another way. The code and the argument below are this crate's own.
//!
//! # Points
//! Operations take effect in *gaps* between events: gap `g` lies just after event `g`,
//! and an operation invoked at `inv` and completed at `comp` may take effect in any gap
//! `inv ≤ g < comp` (a crashed one: any gap from `inv` on). Operations in one gap may be
//! ordered freely: none of them completed before another was invoked. A value that no
//! completed pop returned is given a *virtual pop* in a last gap, after every gap a real
//! operation (crashed ones included) may use: a linearization may pop what is left at the
//! end, in stack order, and dropping those pops from the end leaves a linearization.
//!
//! Within a window of gaps `[lo, hi]`, each operation's gaps are clipped to the window.
//! A value `w` is *critical* at gap `g` when one of its operations must come before `g`
//! (its gaps end before `g`) and another after (its gaps start after `g`): `w` is then in
//! the stack at `g` in every linearization.
//!
//! # The property relied on
//! In a linearization of a stack with distinct values, values pushed later sit above
//! values pushed earlier for as long as both are in, so the value pushed first, `v`, is
//! at the bottom from its push to its pop; when it is pushed and popped, nothing else is
//! in the stack. Conversely, let a value `v` have its push at gap `t1` and its pop at gap
//! `t2 ≥ t1`, both within their own gaps, such that no other value is critical at `t1`
//! or at `t2`, and no empty pop must run strictly between (its gaps start after `t1`
//! and end before `t2`). Then the history is linearizable exactly when each of three
//! smaller histories is, within its own window: the values that fit before `t1`
//! (`[lo, t1]`), above `v` (`[t1, t2]`) and after `t2` (`[t2, hi]`), each empty pop in the
//! first or the last.
//!
//! - Every other value fits one of the windows: not critical at `t1`, all its gaps start
//!   by `t1` (before) or all end at or after `t1`; then, not critical at `t2`, all start by
//!   `t2` (above) or all end at or after `t2` (after).
//! - If: concatenate the three linearizations with the push of `v` between the first and
//!   second and its pop between the second and third. Each part is balanced (every value
//!   is popped, virtually at the end), the middle one runs above `v` and holds no empty
//!   pop, so every result is as in its part; each operation takes effect in its own gaps,
//!   in the order of the gaps, so real time holds.
//! - Only if: drop `v` from a linearization (what remains is still one: a value's push and
//!   pop removed, every other result unchanged) and keep each part's operations. A part's
//!   linearization moves into its window by clamping each operation's gap to the window,
//!   keeping the order of ties: each operation's gaps meet the window, so it stays within
//!   them.
//! - Such a `v` exists in every linearizable window: the value pushed first in a
//!   linearization, at the gaps the linearization gives its push and pop.
//!
//! A window with a gap `g` where no value is critical splits more simply: every value fits
//! wholly before `g` or wholly after it (and each empty pop by where its gaps start), and
//! the window is linearizable exactly when both halves are, by the same two arguments. The
//! pass cuts at such a gap near the middle of the window's values when both halves hold a
//! value, so runs of operations where the stack keeps emptying split in halves.
//!
//! So trying each value in turn and taking any that qualifies loses nothing, and a window
//! where none qualifies proves the history is not linearizable. For a value, the gaps
//! that qualify are the union of gap segments where no other value is critical; the pass
//! pairs the last such gap of each segment of the push's gaps with the first such gap of
//! the pop's after it (or any gap both may use): a later push and an earlier pop leave the
//! fewest empty pops forced between them.
//!
//! # Cost
//! A window with `k` values costs `O(k log k)` to find the critical segments and a cut, and
//! up to `O(k · s)` to try its values (`s` the segments each one meets); its values go on
//! to the windows it splits into. Cuts halve the windows where the stack empties; a bottom
//! sends everything above it one level deeper, so a value is examined about once per
//! level of nesting above it and per halving: `O(n (d + log n) (log n + s))` for nesting
//! depth `d`, `O(n² (log n + s))` in the worst case.
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
//! rules out what leaving crashed pops out allows. A finished peel is a linearization whatever was guessed; a stuck one goes
//! to the general search, which [`super::Checked::method`] reports.

use super::ordered::{Act, Discipline, Values, what};
use super::{Decided, Fallback, Found, Pattern, Violation, describe};
use crate::checker::preprocess::Prepared;

const D: Discipline = Discipline::Lifo;

/// Gaps beyond every event.
const INFINITY: u64 = u64::MAX / 2;

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
    let mut peel = Peel::new(prepared, acts, values, &taken_by);
    match peel.run() {
        Ok(()) => Decided::Linearizable(peel.order),
        Err(_) if guessed => Decided::Undecided(Fallback::CrashedRemovals {
            crashed: wildcards.len(),
        }),
        Err(stuck) => {
            let (pattern, highlighted, explanation) = peel.explain(&stuck);
            Decided::Violation(Found {
                violation: Violation {
                    pattern,
                    ops: highlighted,
                    explanation,
                },
                prefix: peel.order,
                blocked: stuck.blocked,
            })
        }
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

/// A value's push and pop (the pop `None` when virtual), or an empty pop.
#[derive(Clone, Copy, Debug)]
enum Item {
    Value(usize),
    Empty(usize),
}

/// A range of gaps, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Gaps {
    from: u64,
    to: u64,
}

impl Gaps {
    fn clip(self, window: Gaps) -> Gaps {
        Gaps {
            from: self.from.max(window.from),
            to: self.to.min(window.to),
        }
    }
}

/// Work left: solve a window, or put an operation next in the linearization.
enum Task {
    Solve { items: Vec<Item>, window: Gaps },
    Emit(usize),
}

/// A window where no value can be at the bottom.
struct Stuck {
    items: Vec<Item>,
    window: Gaps,
    /// The operation of the window that must complete first.
    blocked: usize,
}

/// How a chosen bottom value splits its window.
struct Bottom {
    value: usize,
    push_at: u64,
    pop_at: u64,
}

/// A segment of gaps where at most one value is critical: `None` or that value.
#[derive(Clone, Copy, Debug)]
struct Segment {
    gaps: Gaps,
    owner: Option<usize>,
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
    order: Vec<usize>,
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
        let n = ops.len();
        let mut gaps: Vec<Gaps> = ops
            .iter()
            .map(|o| Gaps {
                from: o.invoke,
                to: match (o.is_crashed(), o.complete) {
                    (false, Some(c)) => c - 1,
                    // Any gap but the last, which is the virtual pops'.
                    _ => INFINITY - 1,
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
                        from: ops[*c].invoke,
                        to: INFINITY,
                    });
                }
                (None, None) => {
                    pop_of.push(gaps.len());
                    gaps.push(Gaps {
                        from: INFINITY,
                        to: INFINITY,
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
            order: Vec::with_capacity(n),
        }
    }

    fn is_real(&self, op: usize) -> bool {
        op < self.prepared.operations.len()
    }

    /// The items of the whole history: values whose push is kept, and empty pops.
    fn all_items(&self) -> Vec<Item> {
        let ops = &self.prepared.operations;
        let mut items = Vec::new();
        for (i, act) in self.acts.iter().enumerate() {
            match act {
                Act::Add(_) => {
                    let id = self.values.of(i);
                    // A crashed push of a value no completed pop returned is left out.
                    if !(ops[i].is_crashed() && self.values.unremoved(id)) {
                        items.push(Item::Value(id));
                    }
                }
                Act::RemoveEmpty => items.push(Item::Empty(i)),
                Act::Remove(_) | Act::RemoveUnknown => {}
            }
        }
        items
    }

    fn run(&mut self) -> Result<(), Stuck> {
        let mut tasks = vec![Task::Solve {
            items: self.all_items(),
            window: Gaps {
                from: 0,
                to: INFINITY,
            },
        }];
        while let Some(task) = tasks.pop() {
            match task {
                Task::Emit(op) => self.order.push(op),
                Task::Solve { items, window } => self.solve(items, window, &mut tasks)?,
            }
        }
        Ok(())
    }

    /// The gaps of a value's push and pop within `window`.
    fn value_gaps(&self, id: usize, window: Gaps) -> (Gaps, Gaps) {
        (
            self.gaps[self.values.add_of[id]].clip(window),
            self.gaps[self.pop_of[id]].clip(window),
        )
    }

    /// The gaps where value `id` is critical within `window`, if any.
    fn critical(&self, id: usize, window: Gaps) -> Option<Gaps> {
        let (push, pop) = self.value_gaps(id, window);
        let (first_end, last_start) = (push.to.min(pop.to), push.from.max(pop.from));
        (first_end + 1 < last_start).then(|| Gaps {
            from: first_end + 1,
            to: last_start - 1,
        })
    }

    fn solve(
        &mut self,
        items: Vec<Item>,
        window: Gaps,
        tasks: &mut Vec<Task>,
    ) -> Result<(), Stuck> {
        let (values, mut empties): (Vec<usize>, Vec<usize>) = {
            let mut values = Vec::new();
            let mut empties = Vec::new();
            for item in &items {
                match *item {
                    Item::Value(id) => values.push(id),
                    Item::Empty(e) => empties.push(e),
                }
            }
            (values, empties)
        };
        if values.is_empty() {
            // The stack holds nothing here: empty pops in order of their first gap.
            empties.sort_unstable_by_key(|&e| (self.gaps[e].clip(window).from, e));
            tasks.extend(empties.into_iter().rev().map(Task::Emit));
            return Ok(());
        }
        let segments = self.segments(&values, window);
        if let Some((before, after, at)) = self.cut(&items, &segments, window) {
            tasks.push(Task::Solve {
                items: after,
                window: Gaps {
                    from: at,
                    to: window.to,
                },
            });
            tasks.push(Task::Solve {
                items: before,
                window: Gaps {
                    from: window.from,
                    to: at,
                },
            });
            return Ok(());
        }
        let forced = Forced::new(&empties, &self.gaps, window);
        let mut candidates = values.clone();
        candidates.sort_unstable_by_key(|&id| (self.gaps[self.values.add_of[id]].from, id));
        let Some(bottom) = candidates
            .iter()
            .find_map(|&id| self.bottom(id, window, &segments, &forced))
        else {
            let blocked = self.blocked(&items, window);
            return Err(Stuck {
                items,
                window,
                blocked,
            });
        };
        let (before, above, after) = self.split(&items, &bottom, window);
        let v = bottom.value;
        let push = Gaps {
            from: window.from,
            to: bottom.push_at,
        };
        let mid = Gaps {
            from: bottom.push_at,
            to: bottom.pop_at,
        };
        let rest = Gaps {
            from: bottom.pop_at,
            to: window.to,
        };
        tasks.push(Task::Solve {
            items: after,
            window: rest,
        });
        let pop = self.pop_of[v];
        if self.is_real(pop) {
            tasks.push(Task::Emit(pop));
        } else if let Some(c) = self.taken_by[v]
            && bottom.pop_at < INFINITY
        {
            tasks.push(Task::Emit(c));
        }
        tasks.push(Task::Solve {
            items: above,
            window: mid,
        });
        tasks.push(Task::Emit(self.values.add_of[v]));
        tasks.push(Task::Solve {
            items: before,
            window: push,
        });
        Ok(())
    }

    /// The segments of `window` where at most one value is critical, in order.
    fn segments(&self, values: &[usize], window: Gaps) -> Vec<Segment> {
        let mut edges: Vec<(u64, i64, usize)> = Vec::with_capacity(2 * values.len());
        for &id in values {
            if let Some(c) = self.critical(id, window) {
                edges.push((c.from, 1, id));
                edges.push((c.to + 1, -1, id));
            }
        }
        edges.sort_unstable();
        let mut segments = Vec::new();
        let (mut count, mut sum) = (0i64, 0u128);
        let mut at = window.from;
        let mut k = 0;
        while at <= window.to {
            while k < edges.len() && edges[k].0 <= at {
                count += edges[k].1;
                if edges[k].1 > 0 {
                    sum += edges[k].2 as u128;
                } else {
                    sum -= edges[k].2 as u128;
                }
                k += 1;
            }
            let next = edges
                .get(k)
                .map_or(window.to + 1, |e| e.0.min(window.to + 1));
            let owner = match count {
                0 => Some(None),
                1 => Some(Some(sum as usize)),
                _ => None,
            };
            if let Some(owner) = owner {
                segments.push(Segment {
                    gaps: Gaps {
                        from: at,
                        to: next - 1,
                    },
                    owner,
                });
            }
            at = next;
        }
        segments
    }

    /// A gap where no value is critical, near the middle of the window's values, that
    /// leaves values on both sides: the window splits there into two independent ones
    /// (every value fits wholly before or wholly after it, and each empty pop too).
    fn cut(
        &self,
        items: &[Item],
        segments: &[Segment],
        window: Gaps,
    ) -> Option<(Vec<Item>, Vec<Item>, u64)> {
        let last_start = |id: usize| {
            let (push, pop) = self.value_gaps(id, window);
            push.from.max(pop.from)
        };
        let mut starts: Vec<u64> = items
            .iter()
            .filter_map(|i| match *i {
                Item::Value(id) => Some(last_start(id)),
                Item::Empty(_) => None,
            })
            .collect();
        let middle = starts.len() / 2;
        let (_, &mut median, _) = starts.select_nth_unstable(middle);
        // The free gaps nearest the median on either side.
        let k = segments.partition_point(|s| s.gaps.to < median);
        let after = segments[k..].iter().find(|s| s.owner.is_none());
        let before = segments[..k].iter().rev().find(|s| s.owner.is_none());
        let mut tries = Vec::new();
        if let Some(s) = after {
            tries.push(s.gaps.from.max(median));
        }
        if let Some(s) = before {
            tries.push(s.gaps.to);
        }
        for at in tries {
            let (mut left, mut right) = (Vec::new(), Vec::new());
            for &item in items {
                let goes_left = match item {
                    Item::Value(id) => last_start(id) <= at,
                    Item::Empty(e) => self.gaps[e].clip(window).from <= at,
                };
                if goes_left {
                    left.push(item);
                } else {
                    right.push(item);
                }
            }
            let has_value = |side: &[Item]| side.iter().any(|i| matches!(i, Item::Value(_)));
            if has_value(&left) && has_value(&right) {
                return Some((left, right, at));
            }
        }
        None
    }

    /// Where value `id` may be at the bottom: its push and pop gaps, if any qualify.
    fn bottom(
        &self,
        id: usize,
        window: Gaps,
        segments: &[Segment],
        forced: &Forced,
    ) -> Option<Bottom> {
        let (push, pop) = self.value_gaps(id, window);
        let free = |range: Gaps| -> Vec<Gaps> {
            let start = segments.partition_point(|s| s.gaps.to < range.from);
            segments[start..]
                .iter()
                .take_while(|s| s.gaps.from <= range.to)
                .filter(|s| s.owner.is_none_or(|o| o == id))
                .map(|s| s.gaps.clip(range))
                .collect()
        };
        let pushes = free(push);
        let pops = free(pop);
        // A gap both may use: push and pop back to back.
        for p in &pushes {
            let start = pops.partition_point(|q| q.to < p.from);
            if let Some(q) = pops.get(start)
                && q.from <= p.to
            {
                let at = p.from.max(q.from);
                return Some(Bottom {
                    value: id,
                    push_at: at,
                    pop_at: at,
                });
            }
        }
        for p in &pushes {
            let t1 = p.to;
            let start = pops.partition_point(|q| q.to <= t1);
            let Some(q) = pops.get(start) else { break };
            let t2 = q.from.max(t1 + 1);
            if forced.allows(t1, t2) {
                return Some(Bottom {
                    value: id,
                    push_at: t1,
                    pop_at: t2,
                });
            }
        }
        None
    }

    /// The three windows' items around a bottom value.
    fn split(
        &self,
        items: &[Item],
        bottom: &Bottom,
        window: Gaps,
    ) -> (Vec<Item>, Vec<Item>, Vec<Item>) {
        let (t1, t2) = (bottom.push_at, bottom.pop_at);
        let (mut before, mut above, mut after) = (Vec::new(), Vec::new(), Vec::new());
        for &item in items {
            match item {
                Item::Value(id) if id == bottom.value => {}
                Item::Value(id) => {
                    let (push, pop) = self.value_gaps(id, window);
                    let (first_end, last_start) = (push.to.min(pop.to), push.from.max(pop.from));
                    if last_start <= t1 {
                        before.push(item);
                    } else if first_end >= t1 && last_start <= t2 {
                        above.push(item);
                    } else {
                        after.push(item);
                    }
                }
                Item::Empty(e) => {
                    let gaps = self.gaps[e].clip(window);
                    if gaps.from <= t1 {
                        before.push(item);
                    } else {
                        after.push(item);
                    }
                }
            }
        }
        (before, above, after)
    }

    /// The operation of a stuck window shown as the one that cannot be linearized: the
    /// pop (or, with none, the operation) that must complete first.
    fn blocked(&self, items: &[Item], window: Gaps) -> usize {
        let mut best: Option<(bool, u64, usize)> = None;
        let mut consider = |op: usize, pop: bool| {
            if self.is_real(op) {
                let key = (!pop, self.gaps[op].clip(window).to, op);
                if best.is_none_or(|b| key < b) {
                    best = Some(key);
                }
            }
        };
        for item in items {
            match *item {
                Item::Value(id) => {
                    consider(self.values.add_of[id], false);
                    consider(self.pop_of[id], true);
                }
                Item::Empty(e) => consider(e, true),
            }
        }
        best.map_or(0, |(_, _, op)| op)
    }

    fn describe_op(&self, op: usize) -> String {
        describe(&self.prepared.operations[op], &what(self.acts, D, op))
    }

    /// Why no value of a stuck window can be at the bottom, in words.
    fn explain(&self, stuck: &Stuck) -> (Pattern, Vec<u64>, String) {
        let ops = &self.prepared.operations;
        let window = stuck.window;
        let mut values: Vec<usize> = stuck
            .items
            .iter()
            .filter_map(|i| match *i {
                Item::Value(id) => Some(id),
                Item::Empty(_) => None,
            })
            .collect();
        values.sort_unstable_by_key(|&id| (self.gaps[self.values.add_of[id]].from, id));
        let mut highlighted = vec![ops[stuck.blocked].invoke];
        let mut reasons = Vec::new();
        let mut pattern = Pattern::Order;
        for &id in values.iter().take(3) {
            let add = self.values.add_of[id];
            highlighted.push(ops[add].invoke);
            let (push, pop) = self.value_gaps(id, window);
            // A value critical over the whole of this value's push or pop gaps.
            let blocker = |range: Gaps| {
                values.iter().copied().find(|&w| {
                    w != id
                        && self
                            .critical(w, window)
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
                (None, None) => {
                    pattern = Pattern::EmptyButHeld;
                    let inside = stuck.items.iter().find_map(|i| match *i {
                        Item::Empty(e) => {
                            let g = self.gaps[e].clip(window);
                            (g.from > push.to && g.to < pop.from).then_some(e)
                        }
                        Item::Value(_) => None,
                    });
                    match inside {
                        Some(e) => {
                            highlighted.push(ops[e].invoke);
                            format!(
                                "{} cannot be at the bottom: {} found the stack empty, but it \
                                 ran after {} completed and before {}, while {} was in",
                                shown(self.acts, add),
                                self.describe_op(e),
                                self.describe_op(add),
                                self.pop_text(id),
                                shown(self.acts, add)
                            )
                        }
                        None => format!(
                            "{} cannot be at the bottom: wherever its push and its removal ({}) \
                             go, another value must be in the stack at one of them, or a pop \
                             that found the stack empty must run while it was in",
                            shown(self.acts, add),
                            self.pop_text(id)
                        ),
                    }
                }
            };
            reasons.push(reason);
        }
        if values.is_empty() {
            pattern = Pattern::EmptyButHeld;
            reasons.push("an empty pop had to run while a value was held".into());
        }
        let more = values.len().saturating_sub(3);
        let text = format!(
            "{} had to take effect by event {}; between events {} and {}, one of the values \
             pushed there must be at the bottom of the stack when it is pushed and when it \
             is popped, with nothing else in, but {}{}",
            self.describe_op(stuck.blocked),
            ops[stuck.blocked].complete.unwrap_or(u64::MAX),
            window.from,
            window
                .to
                .min(ops.iter().filter_map(|o| o.complete).max().unwrap_or(0)),
            reasons.join("; "),
            if more > 0 {
                format!(" (and {more} more values fail the same way)")
            } else {
                String::new()
            }
        );
        highlighted.dedup();
        (pattern, highlighted, text)
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

/// Empty pops that would have to run strictly between a push at `t1` and a pop at `t2`.
struct Forced {
    /// Empty pops' (first gap, last gap), by first gap, and the smallest last gap from
    /// each position on.
    starts: Vec<u64>,
    min_end_from: Vec<u64>,
}

impl Forced {
    fn new(empties: &[usize], gaps: &[Gaps], window: Gaps) -> Forced {
        let mut spans: Vec<Gaps> = empties.iter().map(|&e| gaps[e].clip(window)).collect();
        spans.sort_unstable_by_key(|g| g.from);
        let mut min_end_from = vec![u64::MAX; spans.len() + 1];
        for k in (0..spans.len()).rev() {
            min_end_from[k] = min_end_from[k + 1].min(spans[k].to);
        }
        Forced {
            starts: spans.iter().map(|g| g.from).collect(),
            min_end_from,
        }
    }

    /// Whether no empty pop must run strictly between gaps `t1` and `t2`: every one may
    /// run by `t1` or from `t2` on.
    fn allows(&self, t1: u64, t2: u64) -> bool {
        let k = self.starts.partition_point(|&s| s <= t1);
        self.min_end_from[k] >= t2
    }
}
