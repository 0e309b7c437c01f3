//! The cycle search: strongly connected components, then, in each, the cycles that name
//! an anomaly.
//!
//! Components come from Tarjan's algorithm run with an explicit stack (no recursion, so a
//! million-transaction component cannot overflow the thread's stack). A history without
//! anomalies has no component of two or more nodes, and the search ends there, in time
//! linear in the graph.
//!
//! In each component, for each scope (data edges only; plus process order; plus real time)
//! the component is split again under that scope's edges, and each part is searched, in
//! order, for: a cycle of ww edges (G0); one with a wr edge and no rw (G1c); for each rw edge
//! a → b, a path from b back to a with no rw (G-single); with no two rw adjacent
//! (G-nonadjacent, a breadth-first search over (node, last edge was rw)); and any cycle
//! through an rw edge (G2-item). Why this is complete for each kind: inside a strongly
//! connected part every edge lies on a cycle of that part, so the G0, G1c and G2-item
//! searches succeed whenever such a cycle exists; G-single and G-nonadjacent try every rw
//! edge. A kind already found in the component, or implied by one found (G0 implies G1c,
//! G-single implies G-nonadjacent and G2-item), is not searched for again, and a cycle is
//! named from the edges it actually has, in the weakest scope that has it.

use super::analysis::Unsearched;
use super::analysis_found::Found;
use super::anomaly::{AnomalyKind, EdgeKind, Scope};
use super::budget::{Budget, OutOfTime};
use super::explain::{Inferred, cycle_anomaly};
use super::graph::{DATA, Graph, PROCESS, REALTIME, RW, WR, WW, edge_kind};
use super::history::Txns;

const NONE: u32 = u32::MAX;

/// The searches, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Search {
    G0,
    G1c,
    GSingle,
    GNonadjacent,
    G2Item,
}

const SEARCHES: [Search; 5] = [
    Search::G0,
    Search::G1c,
    Search::GSingle,
    Search::GNonadjacent,
    Search::G2Item,
];

impl Search {
    fn kind(self) -> AnomalyKind {
        match self {
            Search::G0 => AnomalyKind::G0,
            Search::G1c => AnomalyKind::G1c,
            Search::GSingle => AnomalyKind::GSingle,
            Search::GNonadjacent => AnomalyKind::GNonadjacent,
            Search::G2Item => AnomalyKind::G2Item,
        }
    }

    /// Whether finding `base` (a data-scope kind) makes this search pointless.
    fn covered_by(self, base: AnomalyKind) -> bool {
        use AnomalyKind::*;
        match self {
            Search::G0 => base == G0,
            Search::G1c => matches!(base, G0 | G1c),
            Search::GSingle => base == GSingle,
            Search::GNonadjacent => matches!(base, GSingle | GNonadjacent),
            Search::G2Item => matches!(base, GSingle | GNonadjacent | G2Item),
        }
    }
}

fn scope_mask(scope: Scope) -> u8 {
    match scope {
        Scope::Data => DATA,
        Scope::Process => DATA | PROCESS,
        Scope::Realtime => DATA | PROCESS | REALTIME,
    }
}

/// A cycle: its transactions in order, and the kind of the edge from each to the next.
struct Cycle {
    nodes: Vec<u32>,
    kinds: Vec<u8>,
}

/// Searches every component; returns what the budget left unsearched.
pub(crate) fn search(
    graph: &Graph,
    txns: &Txns,
    inferred: &Inferred<'_>,
    budget: &Budget,
    found: &mut Found,
) -> Vec<Unsearched> {
    let mut s = Scratch::new(graph.nodes() as usize);
    let all: Vec<u32> = (0..graph.nodes()).collect();
    s.mark(&all);
    let components = s.sccs(graph, &all, 0xff);
    drop(all);
    let mut unsearched = Vec::new();
    for component in components {
        let txn_count = component.iter().filter(|&&n| graph.is_txn(n)).count();
        if txn_count < 2 {
            continue;
        }
        let mut clock = budget.component();
        let mut bases: Vec<AnomalyKind> = Vec::new();
        let mut pending: Vec<String> = Vec::new();
        let mut stop: Option<OutOfTime> = clock.check().err();
        for scope in [Scope::Data, Scope::Process, Scope::Realtime] {
            let mask = scope_mask(scope);
            s.mark(&component);
            let parts = if stop.is_none() {
                s.sccs(graph, &component, mask)
            } else {
                Vec::new()
            };
            for search in SEARCHES {
                if bases.iter().any(|&b| search.covered_by(b)) {
                    continue;
                }
                if stop.is_some() {
                    pending.push(search.kind().in_scope(scope).name().to_string());
                    continue;
                }
                for part in &parts {
                    s.mark(part);
                    let result = match search {
                        Search::G0 => s.any_cycle(graph, part, mask & !(WR | RW), &mut clock),
                        Search::G1c => s.cycle_through(graph, part, mask & !RW, WR, &mut clock),
                        Search::GSingle => s.single_rw(graph, part, mask, &mut clock),
                        Search::GNonadjacent => s.nonadjacent(graph, part, mask, &mut clock),
                        Search::G2Item => s.cycle_through(graph, part, mask, RW, &mut clock),
                    };
                    match result {
                        Ok(Some(cycle)) => {
                            let cycle = compress(graph, cycle);
                            let kind = classify(&cycle.kinds);
                            let base = kind.in_scope(Scope::Data);
                            if !bases.contains(&base) {
                                bases.push(base);
                            }
                            let nodes: Vec<usize> =
                                cycle.nodes.iter().map(|&n| n as usize).collect();
                            let kinds: Vec<EdgeKind> =
                                cycle.kinds.iter().map(|&k| edge_kind(k)).collect();
                            found.add(kind, || {
                                cycle_anomaly(
                                    txns,
                                    inferred.explainer.as_ref(),
                                    kind,
                                    &nodes,
                                    &kinds,
                                )
                            });
                            break;
                        }
                        Ok(None) => {}
                        Err(why) => {
                            stop = Some(why);
                            pending.push(search.kind().in_scope(scope).name().to_string());
                            break;
                        }
                    }
                }
            }
        }
        if let Some(why) = stop {
            let first_event = component
                .iter()
                .filter(|&&n| graph.is_txn(n))
                .map(|&n| txns.index(n as usize))
                .min()
                .unwrap_or(0);
            unsearched.push(Unsearched {
                transactions: txn_count,
                first_event,
                searches: pending,
                reason: why.reason().to_string(),
            });
        }
    }
    unsearched
}

/// Turns a cycle through virtual nodes into one between transactions, each hop labelled
/// with the kind of the edge that left the transaction, then prefers the weakest direct
/// edge between the same two transactions (ww over wr over process over real time; an rw
/// hop is kept).
fn compress(graph: &Graph, cycle: Cycle) -> Cycle {
    let n = cycle.nodes.len();
    let start = (0..n).find(|&i| graph.is_txn(cycle.nodes[i])).unwrap_or(0);
    let mut nodes = Vec::new();
    let mut kinds = Vec::new();
    for step in 0..n {
        let i = (start + step) % n;
        if graph.is_txn(cycle.nodes[i]) {
            nodes.push(cycle.nodes[i]);
            kinds.push(cycle.kinds[i]);
        }
    }
    for i in 0..nodes.len() {
        let (a, b) = (nodes[i], nodes[(i + 1) % nodes.len()]);
        if kinds[i] != RW {
            let direct = graph.kinds_between(a, b);
            if let Some(&better) = [WW, WR, PROCESS, REALTIME]
                .iter()
                .find(|&&k| direct & k != 0)
                && rank(better) < rank(kinds[i])
            {
                kinds[i] = better;
            }
        }
    }
    Cycle { nodes, kinds }
}

fn rank(kind: u8) -> u8 {
    match kind {
        WW => 0,
        WR => 1,
        PROCESS => 2,
        REALTIME => 3,
        _ => 4,
    }
}

/// Names a cycle from its edges.
fn classify(kinds: &[u8]) -> AnomalyKind {
    let n = kinds.len();
    let rws = kinds.iter().filter(|&&k| k == RW).count();
    let adjacent = (0..n).any(|i| kinds[i] == RW && kinds[(i + 1) % n] == RW);
    let base = match rws {
        0 if kinds.iter().all(|&k| k != WR) => AnomalyKind::G0,
        0 => AnomalyKind::G1c,
        1 => AnomalyKind::GSingle,
        _ if adjacent => AnomalyKind::G2Item,
        _ => AnomalyKind::GNonadjacent,
    };
    let scope = if kinds.contains(&REALTIME) {
        Scope::Realtime
    } else if kinds.contains(&PROCESS) {
        Scope::Process
    } else {
        Scope::Data
    };
    base.in_scope(scope)
}

/// A path: its nodes, and the kind of each edge between them.
type Path = (Vec<u32>, Vec<u8>);

/// Work arrays sized to the graph, reused by every search; stamps avoid clearing them.
struct Scratch {
    member: Vec<u32>,
    stamp: u32,
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    seen: Vec<u32>,
    seen_stamp: u32,
    parent: Vec<u32>,
    parent_kind: Vec<u8>,
}

impl Scratch {
    fn new(nodes: usize) -> Scratch {
        Scratch {
            member: vec![0; nodes],
            stamp: 0,
            index: vec![NONE; nodes],
            low: vec![0; nodes],
            on_stack: vec![false; nodes],
            seen: Vec::new(),
            seen_stamp: 0,
            parent: Vec::new(),
            parent_kind: Vec::new(),
        }
    }

    /// Makes `nodes` the set the next searches stay inside.
    fn mark(&mut self, nodes: &[u32]) {
        self.stamp += 1;
        for &n in nodes {
            self.member[n as usize] = self.stamp;
        }
    }

    fn is_member(&self, n: u32) -> bool {
        self.member[n as usize] == self.stamp
    }

    /// The strongly connected components of two or more nodes among the marked `nodes`,
    /// using only edges whose kind is in `mask` (iterative Tarjan).
    fn sccs(&mut self, g: &Graph, nodes: &[u32], mask: u8) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        let mut counter = 0u32;
        let mut stack: Vec<u32> = Vec::new();
        // Each frame: a node and the position of the next edge of it to look at.
        let mut call: Vec<(u32, std::ops::Range<u32>)> = Vec::new();
        let mut visited: Vec<u32> = Vec::new();
        for &root in nodes {
            if self.index[root as usize] != NONE {
                continue;
            }
            self.open(root, &mut counter, &mut stack, &mut visited);
            call.push((root, g.edge_range(root)));
            while let Some((x, edges)) = call.last_mut() {
                let x = *x;
                if let Some(at) = edges.next() {
                    let (y, k) = g.edge(at);
                    if k & mask == 0 || !self.is_member(y) {
                        continue;
                    }
                    if self.index[y as usize] == NONE {
                        self.open(y, &mut counter, &mut stack, &mut visited);
                        call.push((y, g.edge_range(y)));
                    } else if self.on_stack[y as usize] {
                        self.low[x as usize] = self.low[x as usize].min(self.index[y as usize]);
                    }
                    continue;
                }
                call.pop();
                if let Some((p, _)) = call.last() {
                    self.low[*p as usize] = self.low[*p as usize].min(self.low[x as usize]);
                }
                if self.low[x as usize] == self.index[x as usize] {
                    // A component of one node (the usual case) is not kept.
                    if stack.last() == Some(&x) {
                        stack.pop();
                        self.on_stack[x as usize] = false;
                        continue;
                    }
                    let mut component = Vec::new();
                    while let Some(y) = stack.pop() {
                        self.on_stack[y as usize] = false;
                        component.push(y);
                        if y == x {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        out.push(component);
                    }
                }
            }
        }
        for n in visited {
            self.index[n as usize] = NONE;
        }
        out
    }

    fn open(&mut self, n: u32, counter: &mut u32, stack: &mut Vec<u32>, visited: &mut Vec<u32>) {
        self.index[n as usize] = *counter;
        self.low[n as usize] = *counter;
        *counter += 1;
        self.on_stack[n as usize] = true;
        stack.push(n);
        visited.push(n);
    }

    fn ensure_bfs(&mut self, states: usize) {
        if self.seen.len() < states {
            self.seen = vec![0; states];
            self.parent = vec![NONE; states];
            self.parent_kind = vec![0; states];
            self.seen_stamp = 0;
        }
        self.seen_stamp += 1;
    }

    /// Shortest path from `start` to `goal` among marked nodes using edges in `mask`
    /// (edges leaving a virtual `start` are always allowed: they continue the edge that
    /// entered it). Returns the nodes from `start` to `goal` and the kind of each edge.
    fn path(
        &mut self,
        g: &Graph,
        start: u32,
        goal: u32,
        mask: u8,
        clock: &mut super::budget::Clock,
    ) -> Result<Option<Path>, OutOfTime> {
        self.ensure_bfs(g.nodes() as usize);
        let stamp = self.seen_stamp;
        let mut queue = vec![start];
        self.seen[start as usize] = stamp;
        let mut head = 0;
        while head < queue.len() {
            clock.tick()?;
            let x = queue[head];
            head += 1;
            if x == goal {
                let mut nodes = vec![goal];
                let mut kinds = Vec::new();
                let mut at = goal;
                while at != start {
                    kinds.push(self.parent_kind[at as usize]);
                    at = self.parent[at as usize];
                    nodes.push(at);
                }
                nodes.reverse();
                kinds.reverse();
                return Ok(Some((nodes, kinds)));
            }
            let free = x == start && !g.is_txn(x);
            for (y, k) in g.out(x) {
                if (free || k & mask != 0) && self.is_member(y) && self.seen[y as usize] != stamp {
                    self.seen[y as usize] = stamp;
                    self.parent[y as usize] = x;
                    self.parent_kind[y as usize] = k;
                    queue.push(y);
                }
            }
        }
        Ok(None)
    }

    /// Closes a cycle: edge `a → b` of kind `k`, then a path from `b` back to `a`.
    fn close(
        &mut self,
        g: &Graph,
        a: u32,
        b: u32,
        k: u8,
        mask: u8,
        clock: &mut super::budget::Clock,
    ) -> Result<Option<Cycle>, OutOfTime> {
        Ok(self
            .path(g, b, a, mask, clock)?
            .map(|(mut nodes, mut kinds)| {
                // nodes: b … a; the cycle is a, b, …, with a's edge first.
                nodes.pop();
                nodes.insert(0, a);
                kinds.insert(0, k);
                Cycle { nodes, kinds }
            }))
    }

    /// Any cycle among the marked `part` using edges in `mask`.
    fn any_cycle(
        &mut self,
        g: &Graph,
        part: &[u32],
        mask: u8,
        clock: &mut super::budget::Clock,
    ) -> Result<Option<Cycle>, OutOfTime> {
        let stamp = self.stamp;
        for sub in self.sccs(g, part, mask) {
            self.mark(&sub);
            let Some(&a) = sub.iter().find(|&&n| g.is_txn(n)) else {
                continue;
            };
            let edge = g.out(a).find(|&(y, k)| k & mask != 0 && self.is_member(y));
            if let Some((b, k)) = edge
                && let Some(c) = self.close(g, a, b, k, mask, clock)?
            {
                return Ok(Some(c));
            }
        }
        self.restore(part, stamp);
        Ok(None)
    }

    /// A cycle among the marked `part` using edges in `mask` that goes through an edge of
    /// kind `through` leaving a transaction.
    fn cycle_through(
        &mut self,
        g: &Graph,
        part: &[u32],
        mask: u8,
        through: u8,
        clock: &mut super::budget::Clock,
    ) -> Result<Option<Cycle>, OutOfTime> {
        for sub in self.sccs(g, part, mask) {
            self.mark(&sub);
            for &a in sub.iter().filter(|&&n| g.is_txn(n)) {
                clock.tick()?;
                let edge = g.out(a).find(|&(y, k)| k == through && self.is_member(y));
                if let Some((b, k)) = edge
                    && let Some(c) = self.close(g, a, b, k, mask, clock)?
                {
                    return Ok(Some(c));
                }
            }
        }
        Ok(None)
    }

    /// A cycle with exactly one rw edge: for each rw edge a → b, a path from b to a
    /// without rw.
    fn single_rw(
        &mut self,
        g: &Graph,
        part: &[u32],
        mask: u8,
        clock: &mut super::budget::Clock,
    ) -> Result<Option<Cycle>, OutOfTime> {
        for &a in part.iter().filter(|&&n| g.is_txn(n)) {
            let rws: Vec<u32> = g
                .out(a)
                .filter(|&(y, k)| k == RW && self.is_member(y))
                .map(|(y, _)| y)
                .collect();
            for b in rws {
                if let Some(c) = self.close(g, a, b, RW, mask & !RW, clock)? {
                    return Ok(Some(c));
                }
            }
        }
        Ok(None)
    }

    /// A cycle with rw edges, no two adjacent: breadth-first over (node, whether the last
    /// counted edge was rw), from after an rw edge a → b back to a with a last edge not rw.
    fn nonadjacent(
        &mut self,
        g: &Graph,
        part: &[u32],
        mask: u8,
        clock: &mut super::budget::Clock,
    ) -> Result<Option<Cycle>, OutOfTime> {
        let states = 2 * g.nodes() as usize;
        for &a in part.iter().filter(|&&n| g.is_txn(n)) {
            let rws: Vec<u32> = g
                .out(a)
                .filter(|&(y, k)| k == RW && self.is_member(y))
                .map(|(y, _)| y)
                .collect();
            for b in rws {
                self.ensure_bfs(states);
                let stamp = self.seen_stamp;
                let start = b * 2 + 1;
                let goal = a * 2;
                let mut queue = vec![start];
                self.seen[start as usize] = stamp;
                let mut head = 0;
                let mut reached = false;
                while head < queue.len() {
                    clock.tick()?;
                    let state = queue[head];
                    head += 1;
                    if state == goal {
                        reached = true;
                        break;
                    }
                    let (x, after_rw) = (state / 2, state % 2 == 1);
                    let counted = g.counts(x);
                    for (y, k) in g.out(x) {
                        if !self.is_member(y) {
                            continue;
                        }
                        let next = if counted {
                            if k & mask == 0 || (k == RW && after_rw) {
                                continue;
                            }
                            k == RW
                        } else {
                            if k & mask == 0 && x != b {
                                continue;
                            }
                            after_rw
                        };
                        let s = y * 2 + u32::from(next);
                        if self.seen[s as usize] != stamp {
                            self.seen[s as usize] = stamp;
                            self.parent[s as usize] = state;
                            self.parent_kind[s as usize] = k;
                            queue.push(s);
                        }
                    }
                }
                if reached {
                    let mut nodes = Vec::new();
                    let mut kinds = Vec::new();
                    let mut at = goal;
                    while at != start {
                        kinds.push(self.parent_kind[at as usize]);
                        at = self.parent[at as usize];
                        nodes.push(at / 2);
                    }
                    nodes.reverse();
                    kinds.reverse();
                    // nodes: b …; kinds: edges from b … to a.
                    nodes.insert(0, a);
                    kinds.insert(0, RW);
                    return Ok(Some(Cycle { nodes, kinds }));
                }
            }
        }
        Ok(None)
    }

    fn restore(&mut self, part: &[u32], _stamp: u32) {
        self.mark(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::txn::graph::Edge;

    /// Brute force: x and y share a component iff each reaches the other.
    fn reach(n: usize, edges: &[Edge], mask: u8) -> Vec<Vec<bool>> {
        let mut r = vec![vec![false; n]; n];
        for e in edges.iter().filter(|e| e.kind & mask != 0) {
            r[e.from as usize][e.to as usize] = true;
        }
        for k in 0..n {
            for i in 0..n {
                for j in 0..n {
                    if r[i][k] && r[k][j] {
                        r[i][j] = true;
                    }
                }
            }
        }
        r
    }

    #[test]
    fn components_match_brute_force_reachability() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let n = 1 + (next() % 9) as usize;
            let m = (next() % 20) as usize;
            let edges: Vec<Edge> = (0..m)
                .map(|_| Edge {
                    from: (next() % n as u64) as u32,
                    to: (next() % n as u64) as u32,
                    kind: [WW, WR, RW, PROCESS, REALTIME][(next() % 5) as usize],
                })
                .filter(|e| e.from != e.to)
                .collect();
            let g = Graph::from_edges(n as u32, n as u32, &edges, &[]);
            let mask = if next() % 2 == 0 { 0xff } else { WW | WR };
            let mut s = Scratch::new(n);
            let all: Vec<u32> = (0..n as u32).collect();
            s.mark(&all);
            let comps = s.sccs(&g, &all, mask);
            let r = reach(n, &edges, mask);
            let mut comp_of = vec![usize::MAX; n];
            for (c, nodes) in comps.iter().enumerate() {
                for &x in nodes {
                    assert_eq!(comp_of[x as usize], usize::MAX, "node in two components");
                    comp_of[x as usize] = c;
                }
            }
            for x in 0..n {
                for y in 0..n {
                    let together = x != y && r[x][y] && r[y][x];
                    let same = comp_of[x] != usize::MAX && comp_of[x] == comp_of[y];
                    assert_eq!(together, same && x != y, "{x} {y} in {edges:?}");
                }
                // A node alone in no component lies on no cycle.
                if comp_of[x] == usize::MAX {
                    assert!(!(0..n).any(|y| y != x && r[x][y] && r[y][x]));
                }
            }
            // Every cycle found is a real cycle of the graph, named by its edges.
            for nodes in &comps {
                s.mark(nodes);
                let mut clock = Budget::new(None, None).component();
                let c = s
                    .any_cycle(&g, nodes, mask, &mut clock)
                    .unwrap()
                    .expect("a component has a cycle");
                for i in 0..c.nodes.len() {
                    let (a, b) = (c.nodes[i], c.nodes[(i + 1) % c.nodes.len()]);
                    assert!(
                        g.kinds_between(a, b) & c.kinds[i] != 0,
                        "no edge {a} -> {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn cycles_are_named_by_their_edges() {
        use AnomalyKind::*;
        assert_eq!(classify(&[WW, WW]), G0);
        assert_eq!(classify(&[WW, WR]), G1c);
        assert_eq!(classify(&[WR, RW]), GSingle);
        assert_eq!(classify(&[RW, WR, RW, WR]), GNonadjacent);
        assert_eq!(classify(&[RW, RW]), G2Item);
        assert_eq!(classify(&[RW, PROCESS]), GSingleProcess);
        assert_eq!(classify(&[WW, PROCESS, REALTIME]), G0Realtime);
    }
}
