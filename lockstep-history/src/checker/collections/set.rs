//! Grow-only sets: per-element observations, and the reads as a chain.
//!
//! Split each read into observations "x present" / "x absent", one per element (Horn and
//! Kroening's P-compositionality), as the model itself splits it ([`Model::split`] and
//! [`Model::split_rest`] on [`Set`]). Element x *appears* at one instant `T(x)`: the first add
//! of x that takes effect. A read at instant `p` saw x exactly when `T(x) < p`. Adds after
//! the first change nothing, and a crashed add may take effect or not, so `T(x)` may be any
//! instant after the earliest invoke of an add of x (`lo(x)`) and before the earliest
//! completion of an ok add of x (`hi(x)`), or never if no add of x completed.
//!
//! Per element alone that is not enough: one read sees every element at the same instant,
//! so the reads' contents must form a chain `C1 ⊂ C2 ⊂ … ⊂ Ck` (equal contents together),
//! and the instants must come in layers: reads of `C1`, then the appearances of `C2 \ C1`,
//! then reads of `C2`, and so on; the elements of `C1` appear first of all, and elements
//! added by an ok operation but never read appear after every read. The history is
//! linearizable exactly when the contents form a chain and the layers can be placed.
//!
//! Placing: an instant is a gap between two events (gap `g` lies just after event `g`); an
//! operation invoked at `inv` and completed at `comp` may take effect in gaps
//! `inv ≤ g < comp`, and several operations in one gap may be ordered freely. Each layer
//! is placed as early as it can be: every constraint is a lower bound from the previous
//! layer and an upper bound of the operation's own, so an earlier placement never hurts a
//! later layer, and the first layer that cannot be placed proves there is no
//! linearization.
//!
//! # Reads of a million elements
//! A Jepsen-style set history ends with reads of every element added, so the reads, not
//! the operations, are most of its size. They are never copied: the history is read in
//! place ([`Set::parse`], the borrowed form of [`Set::prepare`]), each element gets a
//! dense id the first time it is met (integers in a compact range by offset into a table,
//! other values through a hash map), and each read becomes the ids it listed, in one flat
//! array. Its per-element observations are those ids ("x present"; every other id
//! "x absent", as [`Model::split`] and [`Model::split_rest`] split the model's read) and
//! are never built one by one: a stamp per element finds an element listed twice, and a
//! mark per element checks one read's content inside the next read's. Everything is linear
//! in the size of the reads, plus `O(n log n)` to sort the reads by size and the witness.
//! The model's form of the history ([`Prepared`](crate::checker::Prepared)) is built only
//! when a counterexample or a witness with states needs it.
//!
//! Crashed adds of elements no read saw are left out (they may simply not have happened);
//! crashed reads were dropped before (they observe nothing).

use rustc_hash::FxHashMap;

use super::{Decided, Found, Pattern, Violation, describe_parts};
use crate::checker::HistoryError;
use crate::checker::linearizable::preprocess::{Recorded, recorded};
use crate::event::Event;
use crate::model::{Listed, Model, Set, SetCall};
use crate::value::Value;

/// No operation (an element nobody added, an element no ok add bounds).
const NONE: usize = usize::MAX;

/// A set history read in place: the operations [`prepare`] keeps, at the same positions,
/// their values borrowed from the events.
///
/// [`prepare`]: crate::checker::prepare
pub(super) struct SetHistory<'e> {
    events: &'e [Event],
    calls: Vec<Call<'e>>,
    knossos_nil_reads: bool,
}

/// One operation: where its events are, and what it did.
#[derive(Clone, Copy)]
struct Call<'e> {
    /// Event index (and, validated, position) of the invoke.
    invoke: u64,
    /// Event index of the ok, or `u64::MAX` when the outcome is unknown.
    ok: u64,
    /// Event index of the info of a crashed operation, or `u64::MAX`.
    info: u64,
    what: SetCall<'e>,
}

impl<'e> SetHistory<'e> {
    /// Validates and parses `events` as [`prepare`] does, copying nothing.
    ///
    /// [`prepare`]: crate::checker::prepare
    pub(super) fn new(
        events: &'e [Event],
        knossos_nil_reads: bool,
    ) -> Result<SetHistory<'e>, HistoryError> {
        let mut calls = Vec::with_capacity(events.len() / 2);
        for recorded in recorded(events)?.flatten() {
            let what = Set
                .parse(&recorded.raw(knossos_nil_reads))
                .map_err(|reason| recorded.bad_op(reason))?;
            let done = recorded.complete().unwrap_or(u64::MAX);
            let (ok, info) = match recorded.output {
                Some(_) => (done, u64::MAX),
                // As `prepare` does: a crashed read observed nothing, so it is dropped.
                None if !matches!(what, SetCall::Add(_)) => continue,
                None => (u64::MAX, done),
            };
            calls.push(Call {
                invoke: recorded.invoke.index,
                ok,
                info,
                what,
            });
        }
        Ok(SetHistory {
            events,
            calls,
            knossos_nil_reads,
        })
    }

    /// How many operations were kept.
    pub(super) fn len(&self) -> usize {
        self.calls.len()
    }

    /// The event index of the invoke of operation `i`.
    pub(super) fn invoke(&self, i: usize) -> u64 {
        self.calls[i].invoke
    }

    /// Decides the history.
    pub(super) fn check(&self) -> Decided {
        match Layers::new(self) {
            Ok(layers) => layers.place(),
            Err(decided) => decided,
        }
    }

    /// The completion of operation `i` if it completed ok, else `u64::MAX`.
    fn complete(&self, i: usize) -> u64 {
        self.calls[i].ok
    }

    /// Operation `i`'s events (a validated history's event indices are positions).
    fn recorded(&self, i: usize) -> Recorded<'e> {
        let c = &self.calls[i];
        let event = |index: u64| {
            usize::try_from(index)
                .ok()
                .and_then(|at| self.events.get(at))
        };
        let ok = event(c.ok);
        Recorded {
            invoke: &self.events[c.invoke as usize],
            done: ok.or(event(c.info)),
            output: ok.map(|e| &e.value),
        }
    }

    /// Operation `i` in words, as the model reads it (only for explanations: a read is
    /// copied here).
    fn describe(&self, i: usize) -> String {
        let r = self.recorded(i);
        let what = Set
            .prepare(&r.raw(self.knossos_nil_reads))
            .map(|op| op.to_string())
            .unwrap_or_default();
        describe_parts(
            &r.invoke.process,
            r.invoke.index,
            r.complete(),
            r.output.is_none(),
            &what,
        )
    }
}

/// Dense ids for elements, in the order first met, each value looked up without copying it.
/// Integers (what test generators add) skip hashing a [`Value`]: by offset into a table
/// when the added ones lie in a range not much wider than their count, else keyed by the
/// integer; any other value is hashed as a value.
struct Interner<'e> {
    /// How many adds there are (an upper bound on the elements added).
    added: usize,
    /// The least added integer and, from it, each integer's id (`ABSENT`: none yet).
    base: i64,
    table: Vec<u32>,
    ints: FxHashMap<i64, u32>,
    others: FxHashMap<&'e Value, u32>,
}

/// No id yet.
const ABSENT: u32 = u32::MAX;

/// An integer element as an `i64`: a `Value::UInt` that fits equals the `Value::Int`.
fn int_of(v: &Value) -> Option<i64> {
    match *v {
        Value::Int(i) => Some(i),
        Value::UInt(u) => i64::try_from(u).ok(),
        _ => None,
    }
}

impl<'e> Interner<'e> {
    /// Sized for these added values.
    fn new(added: impl Iterator<Item = &'e Value>) -> Interner<'e> {
        let (mut all, mut count, mut least, mut most) = (0, 0usize, i64::MAX, i64::MIN);
        for i in added.inspect(|_| all += 1).filter_map(int_of) {
            (count, least, most) = (count + 1, least.min(i), most.max(i));
        }
        // A table of at most four slots per added integer (plus a little), else a map.
        let span = i128::from(most) - i128::from(least) + 1;
        let dense = count > 0 && span <= 4 * count as i128 + 64;
        Interner {
            added: all,
            base: least,
            table: if dense {
                vec![ABSENT; span as usize]
            } else {
                Vec::new()
            },
            ints: FxHashMap::with_capacity_and_hasher(
                if dense { 0 } else { count },
                Default::default(),
            ),
            others: FxHashMap::default(),
        }
    }

    /// The id of `v`, a new element (nobody added yet) if it has none.
    fn id(&mut self, v: &'e Value, elements: &mut Vec<Element<'e>>) -> usize {
        let slot = match int_of(v) {
            Some(i) => match usize::try_from(i128::from(i) - i128::from(self.base)) {
                Ok(at) if at < self.table.len() => &mut self.table[at],
                _ => self.ints.entry(i).or_insert(ABSENT),
            },
            None => self.others.entry(v).or_insert(ABSENT),
        };
        if *slot == ABSENT {
            // Ids fit in a u32: a history with four billion elements does not fit in memory.
            *slot = elements.len() as u32;
            elements.push(Element {
                value: v,
                lo: u64::MAX,
                first: NONE,
                hi: u64::MAX,
                bound: NONE,
            });
        }
        *slot as usize
    }
}

/// One element: where its first add may take effect.
struct Element<'e> {
    value: &'e Value,
    /// Earliest invoke of an add of it, and that add (`NONE`: nobody added it).
    lo: u64,
    first: usize,
    /// Earliest completion of an ok add of it (`u64::MAX`: none), and that add.
    hi: u64,
    bound: usize,
}

/// A read with a definite result: the operation and where its element ids lie in
/// [`Layers::members`].
struct Read {
    op: usize,
    start: usize,
    len: usize,
}

/// Something placed in a gap: a read (by its index in [`Layers::reads`]) or an element's
/// appearance (by element id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Read(usize),
    Appear(usize),
}

/// What [`Layers::read_ids`] finds: the reads, their element ids one read after the other,
/// and a slot per element for [`Layers::chain`].
struct ReadIds {
    reads: Vec<Read>,
    members: Vec<u32>,
    stamp: Vec<usize>,
}

struct Layers<'h, 'e> {
    history: &'h SetHistory<'e>,
    elements: Vec<Element<'e>>,
    /// The element each add adds, by operation (`NONE` for reads).
    added: Vec<usize>,
    reads: Vec<Read>,
    /// Every read's element ids, one read after the other.
    members: Vec<u32>,
    /// Reads grouped by content, in chain order (a group's content is its first read's).
    groups: Vec<Vec<usize>>,
    /// Reads that saw nothing definite (Knossos mode): they fit anywhere.
    free: Vec<usize>,
    /// What set the lower bound of each placed read and appearance (`None`: its own
    /// invoke).
    read_cause: Vec<Option<Node>>,
    appear_cause: Vec<Option<Node>>,
    /// Placed nodes: (gap, rank, node).
    placed: Vec<(u64, usize, Node)>,
}

impl<'h, 'e> Layers<'h, 'e> {
    fn new(history: &'h SetHistory<'e>) -> Result<Layers<'h, 'e>, Decided> {
        let calls = &history.calls;
        let mut interner = Interner::new(calls.iter().filter_map(|c| match c.what {
            SetCall::Add(v) => Some(v),
            _ => None,
        }));
        let mut elements: Vec<Element<'e>> = Vec::with_capacity(interner.added);
        let mut added = vec![NONE; calls.len()];
        let mut listed: Vec<(usize, Listed<'e>)> = Vec::new();
        let mut free = Vec::new();
        for (i, call) in calls.iter().enumerate() {
            match call.what {
                SetCall::Add(v) => {
                    let id = interner.id(v, &mut elements);
                    let e = &mut elements[id];
                    if e.first == NONE {
                        // Operations are in invoke order: the first add is the earliest.
                        (e.first, e.lo) = (i, call.invoke);
                    }
                    let c = history.complete(i);
                    if c < e.hi {
                        (e.hi, e.bound) = (c, i);
                    }
                    added[i] = id;
                }
                SetCall::Read(l) => listed.push((i, l)),
                // Alone, an unknown read says nothing about any element.
                SetCall::ReadUnknown => free.push(i),
            }
        }
        let ReadIds {
            reads,
            members,
            stamp,
        } = Self::read_ids(history, &listed, &mut interner, &mut elements)?;
        let read_cause = vec![None; reads.len()];
        let appear_cause = vec![None; elements.len()];
        let mut layers = Layers {
            history,
            elements,
            added,
            reads,
            members,
            groups: Vec::new(),
            free,
            read_cause,
            appear_cause,
            placed: Vec::new(),
        };
        layers.chain(stamp)?;
        Ok(layers)
    }

    /// Each read as element ids, one read after the other in `members`, and a slot per
    /// element for [`Layers::chain`]. An element listed twice is a violation, found first
    /// (in operation order) as the model finds it; then an element nobody added (the least
    /// such value of the first read that lists one).
    fn read_ids(
        history: &SetHistory<'e>,
        listed: &[(usize, Listed<'e>)],
        interner: &mut Interner<'e>,
        elements: &mut Vec<Element<'e>>,
    ) -> Result<ReadIds, Decided> {
        let mut members: Vec<u32> = Vec::with_capacity(listed.iter().map(|(_, l)| l.len()).sum());
        let mut stamp: Vec<usize> = Vec::new();
        let mut never: Option<(usize, &'e Value)> = None;
        let mut reads: Vec<Read> = Vec::with_capacity(listed.len());
        for (k, &(r, l)) in listed.iter().enumerate() {
            let start = members.len();
            for v in l.iter() {
                let id = interner.id(v, elements);
                if id >= stamp.len() {
                    stamp.resize(elements.len(), 0);
                }
                if stamp[id] == k + 1 {
                    let text = format!(
                        "{} listed {v} more than once; a set holds each element once",
                        history.describe(r)
                    );
                    return Err(violation(
                        Pattern::ReadRepeated,
                        vec![history.invoke(r)],
                        text,
                        r,
                    ));
                }
                stamp[id] = k + 1;
                if elements[id].first == NONE
                    && never.is_none_or(|(at, least)| at == r && v < least)
                {
                    never = Some((r, v));
                }
                members.push(id as u32);
            }
            reads.push(Read {
                op: r,
                start,
                len: members.len() - start,
            });
        }
        if let Some((r, v)) = never {
            let text = format!(
                "{} returned {v}, which no operation ever added",
                history.describe(r)
            );
            return Err(violation(
                Pattern::NeverAdded,
                vec![history.invoke(r)],
                text,
                r,
            ));
        }
        stamp.resize(elements.len(), 0);
        Ok(ReadIds {
            reads,
            members,
            stamp,
        })
    }

    /// The element ids read `k` listed.
    fn ids(&self, k: usize) -> &[u32] {
        let r = &self.reads[k];
        &self.members[r.start..r.start + r.len]
    }

    /// Groups the reads by content, smallest first; each content must be a strict subset
    /// of the next. `mark` has a slot per element.
    fn chain(&mut self, mut mark: Vec<usize>) -> Result<(), Decided> {
        let mut order: Vec<usize> = (0..self.reads.len()).collect();
        // Stable: equal sizes keep operation order.
        order.sort_by_key(|&k| self.reads[k].len);
        mark.fill(0);
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (step, &b) in order.iter().enumerate() {
            if let Some(group) = groups.last_mut() {
                let a = group[0];
                for &x in self.ids(b) {
                    mark[x as usize] = step + 1;
                }
                let missing = self
                    .ids(a)
                    .iter()
                    .map(|&x| x as usize)
                    .filter(|&x| mark[x] != step + 1)
                    .min();
                match missing {
                    None if self.reads[a].len == self.reads[b].len => {
                        group.push(b);
                        continue;
                    }
                    None => {}
                    Some(missing) => return Err(self.incomparable(a, b, missing)),
                }
            }
            groups.push(vec![b]);
        }
        self.groups = groups;
        Ok(())
    }

    /// Reads `a` and `b` (no larger than `b`), where `a` saw `missing` and `b` did not.
    fn incomparable(&self, a: usize, b: usize, missing: usize) -> Decided {
        let in_a: rustc_hash::FxHashSet<u32> = self.ids(a).iter().copied().collect();
        // No larger than `b` and not inside it, so `b` has an element `a` lacks.
        let other = self
            .ids(b)
            .iter()
            .copied()
            .filter(|x| !in_a.contains(x))
            .min();
        let other = other.map_or_else(String::new, |o| self.elements[o as usize].value.to_string());
        let missing = self.elements[missing].value;
        let (a, b) = (self.reads[a].op, self.reads[b].op);
        let text = format!(
            "{} saw {missing} but not {other}, while {} saw {other} but not {missing}; \
             elements are never removed, so whichever read came second would have seen both",
            self.history.describe(a),
            self.history.describe(b),
        );
        violation(
            Pattern::IncomparableReads,
            vec![self.history.invoke(a), self.history.invoke(b)],
            text,
            b,
        )
    }

    /// Places the layers as early as possible.
    fn place(mut self) -> Decided {
        let history = self.history;
        // The lower bound for the next layer, and the node that set it.
        let mut floor: u64 = 0;
        let mut by: Option<Node> = None;
        let mut seen: Vec<bool> = vec![false; self.elements.len()];
        let groups = std::mem::take(&mut self.groups);
        let mut fresh: Vec<usize> = Vec::new();
        for layer in 0..=groups.len() {
            // Appearances of the elements new in this layer's content (or, after the last
            // read, of every element an ok add put in).
            fresh.clear();
            match groups.get(layer) {
                Some(members) => {
                    fresh.extend(
                        self.ids(members[0])
                            .iter()
                            .map(|&x| x as usize)
                            .filter(|&x| !seen[x]),
                    );
                }
                None => fresh.extend(
                    (0..self.elements.len())
                        .filter(|&x| !seen[x] && self.elements[x].hi != u64::MAX),
                ),
            }
            let (mut next_floor, mut next_by) = (floor, by);
            for &x in &fresh {
                seen[x] = true;
                let e = &self.elements[x];
                let (gap, cause) = if e.lo >= floor {
                    (e.lo, None)
                } else {
                    (floor, by)
                };
                if gap >= e.hi {
                    return self.stuck(Node::Appear(x), cause, floor);
                }
                self.appear_cause[x] = cause;
                self.placed.push((gap, 2 * layer, Node::Appear(x)));
                if gap >= next_floor {
                    (next_floor, next_by) = (gap, Some(Node::Appear(x)));
                }
            }
            (floor, by) = (next_floor, next_by);
            let Some(members) = groups.get(layer) else {
                break;
            };
            let (mut next_floor, mut next_by) = (floor, by);
            for &k in members {
                let r = self.reads[k].op;
                let invoke = history.invoke(r);
                let (gap, cause) = if invoke >= floor {
                    (invoke, None)
                } else {
                    (floor, by)
                };
                if gap >= history.complete(r) {
                    return self.stuck(Node::Read(k), cause, floor);
                }
                self.read_cause[k] = cause;
                self.placed.push((gap, 2 * layer + 1, Node::Read(k)));
                if gap >= next_floor {
                    (next_floor, next_by) = (gap, Some(Node::Read(k)));
                }
            }
            (floor, by) = (next_floor, next_by);
        }
        Decided::Linearizable(self.witness())
    }

    /// The full order: placed nodes by gap and layer, each later ok add of an element
    /// after its appearance, free reads at their invoke.
    fn witness(&self) -> Vec<usize> {
        let history = self.history;
        let mut all: Vec<(u64, usize, u8, usize)> = Vec::with_capacity(history.len());
        // Where each element appeared: (gap, rank).
        let mut at: Vec<Option<(u64, usize)>> = vec![None; self.elements.len()];
        for &(gap, rank, node) in &self.placed {
            match node {
                Node::Read(k) => all.push((gap, rank, 0, self.reads[k].op)),
                Node::Appear(x) => {
                    at[x] = Some((gap, rank));
                    all.push((gap, rank, 0, self.elements[x].first));
                }
            }
        }
        // Later ok adds: each in its own interval, no earlier than the appearance (it
        // completes after it, as hi bounds the gap). Crashed ones are left out.
        for (a, &x) in self.added.iter().enumerate() {
            if x == NONE || a == self.elements[x].first || history.complete(a) == u64::MAX {
                continue;
            }
            if let Some((gap, rank)) = at[x] {
                all.push((gap.max(history.invoke(a)), rank, 1, a));
            }
        }
        for &r in &self.free {
            all.push((history.invoke(r), 0, 0, r));
        }
        all.sort_unstable();
        all.into_iter().map(|(_, _, _, i)| i).collect()
    }

    fn cause(&self, n: Node) -> Option<Node> {
        match n {
            Node::Read(k) => self.read_cause[k],
            Node::Appear(x) => self.appear_cause[x],
        }
    }

    /// A layer that cannot be placed: explain the chain of lower bounds that pushed it past
    /// its completion.
    fn stuck(&self, node: Node, cause: Option<Node>, floor: u64) -> Decided {
        let history = self.history;
        let mut chain = Vec::new();
        let mut at = cause;
        while let Some(n) = at {
            chain.push(n);
            at = self.cause(n);
        }
        chain.reverse();
        let mut steps = Vec::new();
        let mut highlighted = Vec::new();
        let mut previous: Option<Node> = None;
        for &n in &chain {
            steps.push(self.step(n, previous));
            highlighted.push(self.op_of(n));
            previous = Some(n);
        }
        let (blocked, last) = match node {
            Node::Read(k) => {
                let r = self.reads[k].op;
                (
                    r,
                    format!(
                        "{}{}, but it completed at event {}",
                        history.describe(r),
                        self.after(node, previous),
                        history.complete(r)
                    ),
                )
            }
            Node::Appear(x) => {
                let e = &self.elements[x];
                let bound = if e.bound == NONE { e.first } else { e.bound };
                (
                    bound,
                    format!(
                        "{}{}; it cannot come before event {floor}, but {} had completed at \
                         event {}",
                        self.name(node),
                        self.after(node, previous),
                        history.describe(bound),
                        e.hi
                    ),
                )
            }
        };
        highlighted.push(self.op_of(node));
        if let Node::Appear(x) = node {
            let e = &self.elements[x];
            highlighted.push(history.invoke(if e.bound == NONE { e.first } else { e.bound }));
        }
        steps.push(last);
        let mut prefix: Vec<&(u64, usize, Node)> = self.placed.iter().collect();
        prefix.sort_unstable_by_key(|p| (p.0, p.1));
        let prefix = prefix
            .into_iter()
            .map(|&(_, _, n)| match n {
                Node::Read(k) => self.reads[k].op,
                Node::Appear(x) => self.elements[x].first,
            })
            .collect();
        highlighted.dedup();
        Decided::Violation(Found {
            violation: Violation {
                pattern: Pattern::ReadOrder,
                ops: highlighted,
                explanation: steps.join("; "),
            },
            prefix,
            blocked,
        })
    }

    /// The invoke of the operation behind `n`.
    fn op_of(&self, n: Node) -> u64 {
        match n {
            Node::Read(k) => self.history.invoke(self.reads[k].op),
            Node::Appear(x) => self.history.invoke(self.elements[x].first),
        }
    }

    /// Why `n` comes after `previous` (or, first in the chain, when it can start).
    fn step(&self, n: Node, previous: Option<Node>) -> String {
        let history = self.history;
        match (n, previous) {
            (Node::Read(k), None) => {
                let r = self.reads[k].op;
                format!(
                    "{} took effect no earlier than its invoke (event {})",
                    history.describe(r),
                    history.invoke(r)
                )
            }
            (Node::Appear(x), None) => {
                let e = &self.elements[x];
                format!(
                    "{} appeared no earlier than event {}, when its first add ({}) was invoked",
                    e.value,
                    e.lo,
                    history.describe(e.first)
                )
            }
            (n, p) => format!("{}{}", self.name(n), self.after(n, p)),
        }
    }

    fn name(&self, n: Node) -> String {
        match n {
            Node::Read(k) => self.history.describe(self.reads[k].op),
            Node::Appear(x) => format!("the first add of {}", self.elements[x].value),
        }
    }

    /// ", which must come after X because …".
    fn after(&self, n: Node, previous: Option<Node>) -> String {
        match (n, previous) {
            (_, None) => String::new(),
            (Node::Read(_), Some(Node::Appear(x))) => format!(
                " saw {}, so it comes after {}'s first add",
                self.elements[x].value, self.elements[x].value
            ),
            (Node::Appear(x), Some(Node::Read(k))) => format!(
                ": {} is missing from {}, so it was added after that read",
                self.elements[x].value,
                self.history.describe(self.reads[k].op)
            ),
            (_, Some(p)) => format!(" comes after {}", self.name(p)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(added: &[Value], met: &[Value]) -> (Vec<usize>, bool) {
        let mut interner = Interner::new(added.iter());
        let dense = !interner.table.is_empty();
        let mut elements = Vec::new();
        let ids = met.iter().map(|v| interner.id(v, &mut elements)).collect();
        (ids, dense)
    }

    #[test]
    fn ids_are_dense_in_the_order_first_met() {
        let ints = |items: &[i64]| items.iter().map(|&i| Value::Int(i)).collect::<Vec<_>>();
        // A compact range: the table, and integers outside it (never added) still get ids.
        let (got, dense) = ids(&ints(&[-2, 5, 0]), &ints(&[5, -2, 5, 1000, -2, 1000]));
        assert!(dense);
        assert_eq!(got, [0, 1, 0, 2, 1, 2]);
        // Far apart: the integer map.
        let far = ints(&[0, 1 << 40, -(1 << 50)]);
        let (got, dense) = ids(&far, &[far[1].clone(), far[2].clone(), far[1].clone()]);
        assert!(!dense);
        assert_eq!(got, [0, 1, 0]);
        // A UInt equals the Int of the same value; other values are hashed.
        let met = [
            Value::UInt(7),
            Value::Int(7),
            Value::from("7"),
            Value::UInt(u64::MAX),
            Value::from("7"),
            Value::UInt(u64::MAX),
        ];
        let (got, _) = ids(&ints(&[7]), &met);
        assert_eq!(got, [0, 0, 1, 2, 1, 2]);
    }
}
