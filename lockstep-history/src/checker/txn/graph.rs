//! The dependency graph: transactions and a few virtual nodes, edges labelled by kind, in
//! compressed sparse rows.
//!
//! Nodes `0..txns` are transactions; nodes above are virtual. A virtual node stands for a
//! set of edges that would otherwise be quadratic: a path `A → v → B` through virtual nodes
//! means one edge `A → B` of the kind of `A`'s edge. Edges leaving a virtual node carry
//! the same kind but do not count again (see [`Graph::counts`]).
//!
//! Real time is the main user. "T1 completed before T2 was invoked" is an interval order
//! whose transitive reduction can still hold n × concurrency edges. Instead, walking the
//! events in order, each batch of completions that is followed by an invoke gets one time
//! node: the batch's transactions point to it, the previous time node points to it, and it
//! points to every transaction invoked before the next batch. A path from T1 to T2 exists
//! exactly when T1 completed before T2 was invoked, with O(n) nodes and edges.

use rustc_hash::FxHashMap;

use super::anomaly::{EdgeKind, TxnStatus};
use super::history::Txns;

/// Edge kinds as bits, so searches can allow a set of them.
pub(crate) const WW: u8 = 1;
pub(crate) const WR: u8 = 2;
pub(crate) const RW: u8 = 4;
pub(crate) const PROCESS: u8 = 8;
pub(crate) const REALTIME: u8 = 16;
/// Data dependencies.
pub(crate) const DATA: u8 = WW | WR | RW;

/// The kind named by one bit.
/// rw edges from every reader of a version to every transaction that overwrote it. Up to
/// 64 pairs they are added directly; above that through one virtual node (`node`), so a
/// hot key costs `readers + writers` edges rather than their product. A reader that is
/// also an overwriter (`is_writer`) gets direct edges, so the node gives it no self-loop.
/// Returns whether `node` was used.
pub(crate) fn rw_fan_out(
    readers: &[u32],
    writers: &[u32],
    node: u32,
    edges: &mut Vec<Edge>,
    is_writer: impl Fn(u32) -> bool,
) -> bool {
    let direct = |r: u32, edges: &mut Vec<Edge>| {
        for &w in writers.iter().filter(|&&w| w != r) {
            edges.push(Edge {
                from: r,
                to: w,
                kind: RW,
            });
        }
    };
    if readers.len() * writers.len() <= 64 {
        for &r in readers {
            direct(r, edges);
        }
        return false;
    }
    for &r in readers {
        if is_writer(r) {
            direct(r, edges);
        } else {
            edges.push(Edge {
                from: r,
                to: node,
                kind: RW,
            });
        }
    }
    for &w in writers {
        edges.push(Edge {
            from: node,
            to: w,
            kind: RW,
        });
    }
    true
}

pub(crate) fn edge_kind(bit: u8) -> EdgeKind {
    match bit {
        WW => EdgeKind::Ww,
        WR => EdgeKind::Wr,
        RW => EdgeKind::Rw,
        PROCESS => EdgeKind::Process,
        _ => EdgeKind::Realtime,
    }
}

/// One inferred edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    pub from: u32,
    pub to: u32,
    pub kind: u8,
}

/// The graph in compressed sparse rows.
pub(crate) struct Graph {
    /// Nodes below this are transactions.
    pub txns: u32,
    offsets: Vec<u32>,
    targets: Vec<u32>,
    kinds: Vec<u8>,
}

impl Graph {
    /// Builds the graph from the data edges inferred (with `virtual_nodes` virtual nodes
    /// numbered from the first after the transactions), adding process and real-time
    /// order.
    pub fn build(txns: &Txns, data: &[Edge], virtual_nodes: u32) -> Graph {
        let n = txns.txns.len() as u32;
        let mut extra = Vec::with_capacity(txns.txns.len() * 3);
        let nodes = order_edges(txns, n + virtual_nodes, &mut extra);
        Graph::from_edges(n, nodes, data, &extra)
    }

    /// The graph of `nodes` nodes (the first `txns` of them transactions) with these edges.
    pub fn from_edges(n: u32, nodes: u32, data: &[Edge], extra: &[Edge]) -> Graph {
        let mut counts = vec![0u32; nodes as usize + 1];
        for e in data.iter().chain(extra) {
            counts[e.from as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let total = counts[nodes as usize] as usize;
        let mut fill = counts.clone();
        let mut targets = vec![0u32; total];
        let mut kinds = vec![0u8; total];
        for e in data.iter().chain(extra) {
            let at = &mut fill[e.from as usize];
            targets[*at as usize] = e.to;
            kinds[*at as usize] = e.kind;
            *at += 1;
        }
        Graph {
            txns: n,
            offsets: counts,
            targets,
            kinds,
        }
    }

    /// How many nodes, virtual ones included.
    pub fn nodes(&self) -> u32 {
        self.offsets.len() as u32 - 1
    }

    /// The positions of the edges leaving `node`, for [`Graph::edge`].
    pub fn edge_range(&self, node: u32) -> std::ops::Range<u32> {
        self.offsets[node as usize]..self.offsets[node as usize + 1]
    }

    /// The edge at a position: (target, kind bit).
    pub fn edge(&self, at: u32) -> (u32, u8) {
        (self.targets[at as usize], self.kinds[at as usize])
    }

    /// Whether a node is a transaction (not virtual).
    pub fn is_txn(&self, node: u32) -> bool {
        node < self.txns
    }

    /// The edges leaving `node`: (target, kind bit).
    pub fn out(&self, node: u32) -> impl Iterator<Item = (u32, u8)> + '_ {
        let (a, b) = (
            self.offsets[node as usize] as usize,
            self.offsets[node as usize + 1] as usize,
        );
        self.targets[a..b]
            .iter()
            .copied()
            .zip(self.kinds[a..b].iter().copied())
    }

    /// Whether an edge from `from` counts as an edge of its kind in a cycle: those leaving
    /// a transaction do; those leaving a virtual node continue the edge that entered it.
    pub fn counts(&self, from: u32) -> bool {
        self.is_txn(from)
    }

    /// The kinds of the direct edges from `a` to `b`, as bits.
    pub fn kinds_between(&self, a: u32, b: u32) -> u8 {
        self.out(a)
            .filter(|&(t, _)| t == b)
            .fold(0, |m, (_, k)| m | k)
    }
}

/// Adds process-order and real-time edges; returns the number of nodes.
fn order_edges(txns: &Txns, first_free: u32, out: &mut Vec<Edge>) -> u32 {
    // Process order: each ok transaction points to the next one of its process. A
    // transaction that ended in info may take effect after its completion, so nothing
    // follows it; the last ok one before it still precedes what comes after.
    let mut last_ok: FxHashMap<u64, u32> = FxHashMap::default();
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.status == TxnStatus::Fail {
            continue;
        }
        let p = txn.process;
        if let Some(&prev) = last_ok.get(&p) {
            out.push(Edge {
                from: prev,
                to: t as u32,
                kind: PROCESS,
            });
        }
        if txn.status == TxnStatus::Ok {
            last_ok.insert(p, t as u32);
        }
    }
    // Real time, through time nodes (see the module docs): the invokes of transactions
    // that did not fail, and the completions of ok ones, in event order.
    let mut next = first_free;
    let mut current: Option<u32> = None;
    let mut batch: Vec<u32> = Vec::new();
    for &mark in &txns.marks {
        let t = mark >> 1;
        let status = txns.txns[t as usize].status;
        if status == TxnStatus::Fail {
            continue;
        }
        if mark & 1 == 1 {
            if status == TxnStatus::Ok {
                batch.push(t);
            }
            continue;
        }
        if !batch.is_empty() {
            let node = next;
            next += 1;
            for done in batch.drain(..) {
                out.push(Edge {
                    from: done,
                    to: node,
                    kind: REALTIME,
                });
            }
            if let Some(prev) = current {
                out.push(Edge {
                    from: prev,
                    to: node,
                    kind: REALTIME,
                });
            }
            current = Some(node);
        }
        if let Some(node) = current {
            out.push(Edge {
                from: node,
                to: t,
                kind: REALTIME,
            });
        }
    }
    next
}
