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
//! linearization. Sorting and the subset checks take `O(n log n)` plus the size of the
//! reads.
//!
//! Crashed adds of elements no read saw are left out (they may simply not have happened);
//! crashed reads were dropped before (they observe nothing).

use rustc_hash::FxHashMap as HashMap;

use super::{Decided, Found, Pattern, Violation, describe};
use crate::checker::preprocess::Prepared;
use crate::model::{Model, Set, SetOp};
use crate::value::Value;

/// One element: where its first add may take effect.
struct Element<'a> {
    value: &'a Value,
    /// Earliest invoke of an add of it, and that add.
    lo: u64,
    first: usize,
    /// Earliest completion of an ok add of it (`u64::MAX`: none), and that add.
    hi: u64,
    bound: Option<usize>,
    /// Every add of it.
    adds: Vec<usize>,
}

/// Something placed in a gap: a read (by operation) or an element's appearance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Read(usize),
    Appear(usize),
}

/// Checks a set history.
pub(super) fn check(prepared: &Prepared<SetOp>) -> Decided {
    match Layers::new(prepared) {
        Ok(layers) => layers.place(),
        Err(decided) => decided,
    }
}

struct Layers<'a> {
    prepared: &'a Prepared<SetOp>,
    elements: Vec<Element<'a>>,
    /// Reads grouped by content, in chain order: (content as element ids, reads).
    groups: Vec<(Vec<usize>, Vec<usize>)>,
    /// Reads that saw nothing definite (Knossos mode): they fit anywhere.
    free: Vec<usize>,
    /// What set the lower bound of each placed node (`None`: its own invoke).
    cause: HashMap<NodeKey, Option<Node>>,
    /// Placed nodes: (gap, rank, node).
    placed: Vec<(u64, usize, Node)>,
}

type NodeKey = (bool, usize);

fn key(n: Node) -> NodeKey {
    match n {
        Node::Read(i) => (true, i),
        Node::Appear(x) => (false, x),
    }
}

impl<'a> Layers<'a> {
    fn new(prepared: &'a Prepared<SetOp>) -> Result<Layers<'a>, Decided> {
        let ops = &prepared.operations;
        let mut id_of: HashMap<&Value, usize> = HashMap::default();
        let mut elements: Vec<Element<'a>> = Vec::new();
        let mut reads: Vec<usize> = Vec::new();
        let mut free = Vec::new();
        for (i, op) in prepared.ops.iter().enumerate() {
            match op {
                SetOp::Add(v) => {
                    let id = *id_of.entry(v).or_insert_with(|| {
                        elements.push(Element {
                            value: v,
                            lo: ops[i].invoke,
                            first: i,
                            hi: u64::MAX,
                            bound: None,
                            adds: Vec::new(),
                        });
                        elements.len() - 1
                    });
                    let e = &mut elements[id];
                    e.adds.push(i);
                    if let (false, Some(c)) = (ops[i].is_crashed(), ops[i].complete)
                        && c < e.hi
                    {
                        e.hi = c;
                        e.bound = Some(i);
                    }
                }
                SetOp::Read(_) => reads.push(i),
                // Parts of split reads never come out of `Set::prepare`; alone, each
                // says nothing about the other elements, so it constrains no layer.
                SetOp::ReadUnknown | SetOp::Present(_) | SetOp::Absent(_) => free.push(i),
                SetOp::ReadRepeated(v) => {
                    let text = format!(
                        "{} listed {v} more than once; a set holds each element once",
                        describe(&ops[i], &prepared.ops[i].to_string())
                    );
                    return Err(violation(
                        Pattern::ReadRepeated,
                        vec![ops[i].invoke],
                        text,
                        i,
                    ));
                }
            }
        }
        // Contents as element ids; an element nobody added is a violation.
        let mut contents: Vec<(Vec<usize>, usize)> = Vec::with_capacity(reads.len());
        for r in reads {
            // The read's "present" observations, one per element (`Model::split`); every
            // other element is absent (`Model::split_rest`).
            let present = Set.split(&prepared.ops[r]).unwrap_or_default();
            let mut ids = Vec::with_capacity(present.len());
            for (v, _) in present {
                match id_of.get(&v) {
                    Some(&id) => ids.push(id),
                    None => {
                        let text = format!(
                            "{} returned {v}, which no operation ever added",
                            describe(&ops[r], &prepared.ops[r].to_string())
                        );
                        return Err(violation(Pattern::NeverAdded, vec![ops[r].invoke], text, r));
                    }
                }
            }
            ids.sort_unstable();
            contents.push((ids, r));
        }
        contents.sort_unstable_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
        let mut groups: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        for (ids, r) in contents {
            match groups.last_mut() {
                Some((last, members)) if *last == ids => members.push(r),
                _ => groups.push((ids, vec![r])),
            }
        }
        let layers = Layers {
            prepared,
            elements,
            groups,
            free,
            cause: HashMap::default(),
            placed: Vec::new(),
        };
        layers.check_chain()?;
        Ok(layers)
    }

    /// Consecutive contents must each be a strict subset of the next.
    fn check_chain(&self) -> Result<(), Decided> {
        let ops = &self.prepared.operations;
        for pair in self.groups.windows(2) {
            let (small, big) = (&pair[0].0, &pair[1].0);
            // Both are sorted: one merge finds what each lacks.
            let Some(missing) = first_missing(small, big) else {
                continue;
            };
            let other = first_missing(big, small);
            let (a, b) = (pair[0].1[0], pair[1].1[0]);
            let text = format!(
                "{} saw {} but not {}, while {} saw {} but not {}; elements are never removed, \
                 so whichever read came second would have seen both",
                self.read(a),
                self.elements[missing].value,
                other.map_or_else(String::new, |o| self.elements[o].value.to_string()),
                self.read(b),
                other.map_or_else(String::new, |o| self.elements[o].value.to_string()),
                self.elements[missing].value,
            );
            return Err(violation(
                Pattern::IncomparableReads,
                vec![ops[a].invoke, ops[b].invoke],
                text,
                b,
            ));
        }
        Ok(())
    }

    fn read(&self, r: usize) -> String {
        describe(
            &self.prepared.operations[r],
            &self.prepared.ops[r].to_string(),
        )
    }

    /// Places the layers as early as possible.
    fn place(mut self) -> Decided {
        let ops = &self.prepared.operations;
        let comp = |i: usize| match (ops[i].is_crashed(), ops[i].complete) {
            (false, Some(c)) => c,
            _ => u64::MAX,
        };
        // The lower bound for the next layer, and the node that set it.
        let mut floor: u64 = 0;
        let mut by: Option<Node> = None;
        let mut seen: Vec<bool> = vec![false; self.elements.len()];
        let groups = std::mem::take(&mut self.groups);
        for layer in 0..=groups.len() {
            // Appearances of the elements new in this layer's content (or, after the last
            // read, of every element an ok add put in).
            let fresh: Vec<usize> = match groups.get(layer) {
                Some((ids, _)) => ids.iter().copied().filter(|&x| !seen[x]).collect(),
                None => (0..self.elements.len())
                    .filter(|&x| !seen[x] && self.elements[x].hi != u64::MAX)
                    .collect(),
            };
            let (mut next_floor, mut next_by) = (floor, by);
            for x in fresh {
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
                self.cause.insert(key(Node::Appear(x)), cause);
                self.placed.push((gap, 2 * layer, Node::Appear(x)));
                if gap >= next_floor {
                    (next_floor, next_by) = (gap, Some(Node::Appear(x)));
                }
            }
            (floor, by) = (next_floor, next_by);
            let Some((_, members)) = groups.get(layer) else {
                break;
            };
            let (mut next_floor, mut next_by) = (floor, by);
            for &r in members {
                let (gap, cause) = if ops[r].invoke >= floor {
                    (ops[r].invoke, None)
                } else {
                    (floor, by)
                };
                if gap >= comp(r) {
                    return self.stuck(Node::Read(r), cause, floor);
                }
                self.cause.insert(key(Node::Read(r)), cause);
                self.placed.push((gap, 2 * layer + 1, Node::Read(r)));
                if gap >= next_floor {
                    (next_floor, next_by) = (gap, Some(Node::Read(r)));
                }
            }
            (floor, by) = (next_floor, next_by);
        }
        Decided::Linearizable(self.witness(&comp))
    }

    /// The full order: placed nodes by gap and layer, each later add of an element after
    /// its appearance, free reads at their invoke.
    fn witness(&self, comp: &dyn Fn(usize) -> u64) -> Vec<usize> {
        let ops = &self.prepared.operations;
        let mut all: Vec<(u64, usize, u8, usize)> = Vec::with_capacity(ops.len());
        for &(gap, rank, node) in &self.placed {
            match node {
                Node::Read(r) => all.push((gap, rank, 0, r)),
                Node::Appear(x) => {
                    let e = &self.elements[x];
                    all.push((gap, rank, 0, e.first));
                    // Later ok adds: each in its own interval, no earlier than the
                    // appearance (it completes after it, as hi bounds the gap).
                    for &a in e.adds.iter().filter(|&&a| a != e.first) {
                        if comp(a) != u64::MAX {
                            all.push((gap.max(ops[a].invoke), rank, 1, a));
                        }
                    }
                }
            }
        }
        for &r in &self.free {
            all.push((ops[r].invoke, 0, 0, r));
        }
        all.sort_unstable();
        all.into_iter().map(|(_, _, _, i)| i).collect()
    }

    /// A layer that cannot be placed: explain the chain of lower bounds that pushed it past
    /// its completion.
    fn stuck(&self, node: Node, cause: Option<Node>, floor: u64) -> Decided {
        let ops = &self.prepared.operations;
        let mut chain = Vec::new();
        let mut at = cause;
        while let Some(n) = at {
            chain.push(n);
            at = self.cause.get(&key(n)).copied().flatten();
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
            Node::Read(r) => (
                r,
                format!(
                    "{}{}, but it completed at event {}",
                    self.read(r),
                    self.after(node, previous),
                    ops[r].complete.unwrap_or(u64::MAX)
                ),
            ),
            Node::Appear(x) => {
                let e = &self.elements[x];
                let bound = e.bound.unwrap_or(e.first);
                (
                    bound,
                    format!(
                        "{}{}; it cannot come before event {floor}, but {} had completed at \
                         event {}",
                        self.name(node),
                        self.after(node, previous),
                        describe(&ops[bound], &self.prepared.ops[bound].to_string()),
                        e.hi
                    ),
                )
            }
        };
        highlighted.push(self.op_of(node));
        if let Node::Appear(x) = node {
            highlighted.push(ops[self.elements[x].bound.unwrap_or(self.elements[x].first)].invoke);
        }
        steps.push(last);
        let mut prefix: Vec<&(u64, usize, Node)> = self.placed.iter().collect();
        prefix.sort_unstable_by_key(|p| (p.0, p.1));
        let prefix = prefix
            .into_iter()
            .map(|&(_, _, n)| match n {
                Node::Read(r) => r,
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

    fn op_of(&self, n: Node) -> u64 {
        let ops = &self.prepared.operations;
        match n {
            Node::Read(r) => ops[r].invoke,
            Node::Appear(x) => ops[self.elements[x].first].invoke,
        }
    }

    /// Why `n` comes after `previous` (or, first in the chain, when it can start).
    fn step(&self, n: Node, previous: Option<Node>) -> String {
        let ops = &self.prepared.operations;
        match (n, previous) {
            (Node::Read(r), None) => {
                format!(
                    "{} took effect no earlier than its invoke (event {})",
                    self.read(r),
                    ops[r].invoke
                )
            }
            (Node::Appear(x), None) => {
                let e = &self.elements[x];
                format!(
                    "{} appeared no earlier than event {}, when its first add ({}) was invoked",
                    e.value,
                    e.lo,
                    describe(&ops[e.first], &self.prepared.ops[e.first].to_string())
                )
            }
            (n, p) => format!("{}{}", self.name(n), self.after(n, p)),
        }
    }

    fn name(&self, n: Node) -> String {
        match n {
            Node::Read(r) => self.read(r),
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
            (Node::Appear(x), Some(Node::Read(r))) => format!(
                ": {} is missing from {}, so it was added after that read",
                self.elements[x].value,
                self.read(r)
            ),
            (_, Some(p)) => format!(" comes after {}", self.name(p)),
        }
    }
}

/// The first element of sorted `a` that sorted `b` lacks.
fn first_missing(a: &[usize], b: &[usize]) -> Option<usize> {
    let mut j = 0;
    for &x in a {
        while j < b.len() && b[j] < x {
            j += 1;
        }
        if b.get(j) != Some(&x) {
            return Some(x);
        }
    }
    None
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
