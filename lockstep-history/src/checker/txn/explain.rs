//! Explanations in words: the transactions of an anomaly, and why each edge of a cycle holds.

use std::fmt::Write as _;

use super::anomaly::{Anomaly, AnomalyKind, CycleStep, EdgeKind, Transaction};
use super::graph::Edge;
use super::history::Txns;

/// What a workload's inference hands on: its data edges, and how to explain them.
pub(crate) struct Inferred<'a> {
    pub edges: Vec<Edge>,
    /// Virtual nodes the edges use, numbered from the first after the transactions.
    pub virtual_nodes: u32,
    pub explainer: Box<dyn Explain + 'a>,
}

/// Why a data edge between two transactions holds, in words.
pub(crate) trait Explain {
    /// One sentence ending in `: ww` (or `wr`, `rw`), naming the transactions `a` and `b`
    /// by the names given; `None` if no reason of that kind is found.
    fn why(&self, from: usize, to: usize, kind: EdgeKind, a: &str, b: &str) -> Option<String>;
}

/// The micro-ops of a transaction as EDN, as recorded.
pub(crate) fn ops_text(txns: &Txns, t: usize) -> String {
    txns.ops_text(t)
}

/// Describes transaction `t` under `name`.
pub(crate) fn transaction(txns: &Txns, t: usize, name: String) -> Transaction {
    let txn = &txns.txns[t];
    Transaction {
        name,
        process: txns.process(t),
        invoke: txns.index(t),
        completion: txn.completion(),
        status: txn.status,
        ops: ops_text(txns, t),
    }
}

/// Why an order edge holds.
pub(crate) fn order_why(
    txns: &Txns,
    from: usize,
    to: usize,
    kind: EdgeKind,
    a: &str,
    b: &str,
) -> String {
    let completed = txns.txns[from].completion().unwrap_or(0);
    match kind {
        EdgeKind::Process => format!(
            "{a} completed (event #{completed}) before {b}, the next transaction of process {}, began: process",
            txns.process(from)
        ),
        _ => format!(
            "{a} completed (event #{completed}) before {b} was invoked (event #{}): realtime",
            txns.index(to)
        ),
    }
}

/// Builds a cycle anomaly from transactions `nodes` (in cycle order) and the edge kind from
/// each to the next.
pub(crate) fn cycle_anomaly(
    txns: &Txns,
    explainer: &dyn Explain,
    kind: AnomalyKind,
    nodes: &[usize],
    edges: &[EdgeKind],
) -> Anomaly {
    let names: Vec<String> = (1..=nodes.len()).map(|i| format!("T{i}")).collect();
    let transactions = nodes
        .iter()
        .zip(&names)
        .map(|(&t, name)| transaction(txns, t, name.clone()))
        .collect();
    let mut cycle = Vec::with_capacity(nodes.len());
    for i in 0..nodes.len() {
        let j = (i + 1) % nodes.len();
        let (a, b) = (&names[i], &names[j]);
        let why = match edges[i] {
            EdgeKind::Process | EdgeKind::Realtime => {
                order_why(txns, nodes[i], nodes[j], edges[i], a, b)
            }
            data => explainer
                .why(nodes[i], nodes[j], data, a, b)
                .unwrap_or_else(|| format!("{a} precedes {b}: {data}")),
        };
        cycle.push(CycleStep {
            from: i,
            to: j,
            edge: edges[i],
            why,
        });
    }
    let mut explanation = String::new();
    let path: Vec<String> = (0..nodes.len())
        .map(|i| format!("{} -{}->", names[i], edges[i]))
        .collect();
    let _ = write!(
        explanation,
        "{} {}: {}",
        path.join(" "),
        names[0],
        cycle_meaning(kind)
    );
    Anomaly {
        kind,
        transactions,
        cycle,
        explanation,
    }
}

fn cycle_meaning(kind: AnomalyKind) -> &'static str {
    use AnomalyKind::*;
    match kind.in_scope(super::anomaly::Scope::Data) {
        G0 => "a cycle of write-write dependencies: each transaction overwrote the one before",
        G1c => {
            "a cycle of write dependencies and reads: each transaction saw or overwrote the one before"
        }
        GSingle => {
            "a cycle with one anti-dependency: a transaction missed a write that, through the rest of the cycle, came before it"
        }
        GNonadjacent => "a cycle with several anti-dependencies, none adjacent",
        _ => "a cycle with adjacent anti-dependencies: each transaction missed another's write",
    }
}

/// A one-transaction (or two) anomaly that is not a cycle.
pub(crate) fn simple_anomaly(
    txns: &Txns,
    kind: AnomalyKind,
    involved: &[usize],
    explanation: String,
) -> Anomaly {
    let transactions = involved
        .iter()
        .enumerate()
        .map(|(i, &t)| transaction(txns, t, format!("T{}", i + 1)))
        .collect();
    Anomaly {
        kind,
        transactions,
        cycle: Vec::new(),
        explanation,
    }
}
