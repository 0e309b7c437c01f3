//! What the transactional checker finds: anomaly kinds with Elle's names, and each finding
//! with the transactions involved, the cycle's edges and an explanation in words.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::event::Process;

/// The kind of an anomaly, named as Elle names it (`"G-single-realtime"`, `"G1a"`, …).
///
/// Cycle anomalies come in three scopes: the plain form (a cycle of ww / wr / rw
/// dependencies only), `-process` (the cycle also needs an edge from one transaction to the
/// next on the same process) and `-realtime` (it needs an edge from a transaction that
/// completed to one invoked later).
///
/// ```
/// use lockstep_history::checker::txn::AnomalyKind;
///
/// let kind: AnomalyKind = "G-single-process".parse().unwrap();
/// assert_eq!(kind, AnomalyKind::GSingleProcess);
/// assert_eq!(kind.to_string(), "G-single-process");
/// assert!(kind.is_cycle());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub enum AnomalyKind {
    /// A cycle of write-write dependencies only (dirty write).
    G0,
    /// G0 that needs a process-order edge.
    G0Process,
    /// G0 that needs a real-time edge.
    G0Realtime,
    /// A cycle of write-write and write-read dependencies (circular information flow).
    G1c,
    /// G1c that needs a process-order edge.
    G1cProcess,
    /// G1c that needs a real-time edge.
    G1cRealtime,
    /// A cycle with exactly one read-write anti-dependency (read skew).
    GSingle,
    /// G-single that needs a process-order edge.
    GSingleProcess,
    /// G-single that needs a real-time edge.
    GSingleRealtime,
    /// A cycle with several anti-dependencies, no two of them adjacent.
    GNonadjacent,
    /// G-nonadjacent that needs a process-order edge.
    GNonadjacentProcess,
    /// G-nonadjacent that needs a real-time edge.
    GNonadjacentRealtime,
    /// A cycle with anti-dependencies, two of them adjacent (write skew).
    G2Item,
    /// G2-item that needs a process-order edge.
    G2ItemProcess,
    /// G2-item that needs a real-time edge.
    G2ItemRealtime,
    /// Aborted read: a committed transaction saw a write of a transaction that failed.
    G1a,
    /// Intermediate read: a transaction saw a write that its writer later overwrote itself.
    G1b,
    /// A transaction's read disagrees with its own earlier reads and writes.
    Internal,
    /// A write of a failed transaction was followed, in a key's version order, by a
    /// committed write (list-append).
    DirtyUpdate,
    /// A read of a list holds the same element twice (list-append).
    DuplicateElements,
    /// Two reads of one key that no single order of appends explains (list-append).
    IncompatibleOrder,
    /// Two committed transactions read the same version of a key and both wrote it.
    LostUpdate,
    /// A transaction read a value it writes only later.
    FutureRead,
}

/// Every kind, in the order results list them.
pub(crate) const ALL_KINDS: [AnomalyKind; 23] = [
    AnomalyKind::G0,
    AnomalyKind::G0Process,
    AnomalyKind::G0Realtime,
    AnomalyKind::G1a,
    AnomalyKind::G1b,
    AnomalyKind::G1c,
    AnomalyKind::G1cProcess,
    AnomalyKind::G1cRealtime,
    AnomalyKind::GSingle,
    AnomalyKind::GSingleProcess,
    AnomalyKind::GSingleRealtime,
    AnomalyKind::GNonadjacent,
    AnomalyKind::GNonadjacentProcess,
    AnomalyKind::GNonadjacentRealtime,
    AnomalyKind::G2Item,
    AnomalyKind::G2ItemProcess,
    AnomalyKind::G2ItemRealtime,
    AnomalyKind::Internal,
    AnomalyKind::DirtyUpdate,
    AnomalyKind::DuplicateElements,
    AnomalyKind::IncompatibleOrder,
    AnomalyKind::LostUpdate,
    AnomalyKind::FutureRead,
];

impl AnomalyKind {
    /// Elle's name for it.
    pub fn name(self) -> &'static str {
        use AnomalyKind::*;
        match self {
            G0 => "G0",
            G0Process => "G0-process",
            G0Realtime => "G0-realtime",
            G1c => "G1c",
            G1cProcess => "G1c-process",
            G1cRealtime => "G1c-realtime",
            GSingle => "G-single",
            GSingleProcess => "G-single-process",
            GSingleRealtime => "G-single-realtime",
            GNonadjacent => "G-nonadjacent",
            GNonadjacentProcess => "G-nonadjacent-process",
            GNonadjacentRealtime => "G-nonadjacent-realtime",
            G2Item => "G2-item",
            G2ItemProcess => "G2-item-process",
            G2ItemRealtime => "G2-item-realtime",
            G1a => "G1a",
            G1b => "G1b",
            Internal => "internal",
            DirtyUpdate => "dirty-update",
            DuplicateElements => "duplicate-elements",
            IncompatibleOrder => "incompatible-order",
            LostUpdate => "lost-update",
            FutureRead => "future-read",
        }
    }

    /// Whether this kind is a dependency cycle (and so carries one).
    pub fn is_cycle(self) -> bool {
        self.scope().is_some()
    }

    /// The scope of a cycle kind; `None` for the anomalies that are not cycles.
    pub fn scope(self) -> Option<Scope> {
        use AnomalyKind::*;
        match self {
            G0 | G1c | GSingle | GNonadjacent | G2Item => Some(Scope::Data),
            G0Process | G1cProcess | GSingleProcess | GNonadjacentProcess | G2ItemProcess => {
                Some(Scope::Process)
            }
            G0Realtime | G1cRealtime | GSingleRealtime | GNonadjacentRealtime | G2ItemRealtime => {
                Some(Scope::Realtime)
            }
            _ => None,
        }
    }

    /// The cycle kind of this shape in the given scope (`G-single` in `Process` is
    /// `G-single-process`); non-cycle kinds are returned unchanged.
    pub fn in_scope(self, scope: Scope) -> AnomalyKind {
        use AnomalyKind::*;
        let family = match self {
            G0 | G0Process | G0Realtime => [G0, G0Process, G0Realtime],
            G1c | G1cProcess | G1cRealtime => [G1c, G1cProcess, G1cRealtime],
            GSingle | GSingleProcess | GSingleRealtime => {
                [GSingle, GSingleProcess, GSingleRealtime]
            }
            GNonadjacent | GNonadjacentProcess | GNonadjacentRealtime => {
                [GNonadjacent, GNonadjacentProcess, GNonadjacentRealtime]
            }
            G2Item | G2ItemProcess | G2ItemRealtime => [G2Item, G2ItemProcess, G2ItemRealtime],
            other => return other,
        };
        family[scope as usize]
    }
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<AnomalyKind> for String {
    fn from(kind: AnomalyKind) -> String {
        kind.name().to_string()
    }
}

/// A name that is not one of Elle's anomaly names this checker knows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown anomaly `{0}` (known: G0, G1a, G1b, G1c, G-single, G-nonadjacent, G2-item, their -process and -realtime forms, internal, dirty-update, duplicate-elements, incompatible-order, lost-update, future-read)"
)]
pub struct UnknownAnomaly(pub String);

/// Parses Elle's name, with or without a leading colon (`:G2-item`).
impl FromStr for AnomalyKind {
    type Err = UnknownAnomaly;

    fn from_str(s: &str) -> Result<AnomalyKind, UnknownAnomaly> {
        let name = s.trim().strip_prefix(':').unwrap_or(s.trim());
        ALL_KINDS
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| UnknownAnomaly(s.to_string()))
    }
}

/// Which edges besides data dependencies a cycle needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Scope {
    /// ww, wr and rw dependencies only.
    Data = 0,
    /// Also process order (a transaction before the next one on its process).
    Process = 1,
    /// Also real time (a transaction that completed before another was invoked).
    Realtime = 2,
}

/// Why one transaction precedes another in the dependency graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EdgeKind {
    /// Write-write: the second overwrote (or appended after) a version the first wrote.
    Ww,
    /// Write-read: the second read a version the first wrote.
    Wr,
    /// Read-write (anti-dependency): the first read a version the second then replaced.
    Rw,
    /// The second ran after the first on the same process.
    Process,
    /// The first completed before the second was invoked.
    Realtime,
}

impl EdgeKind {
    /// The label: `ww`, `wr`, `rw`, `process` or `realtime`.
    pub fn name(self) -> &'static str {
        match self {
            EdgeKind::Ww => "ww",
            EdgeKind::Wr => "wr",
            EdgeKind::Rw => "rw",
            EdgeKind::Process => "process",
            EdgeKind::Realtime => "realtime",
        }
    }
}

impl fmt::Display for EdgeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a transaction committed, failed, or ended unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TxnStatus {
    /// It completed with `ok`.
    Ok,
    /// It completed with `info`, or never completed: it may or may not have taken effect.
    Info,
    /// It completed with `fail`: it did not take effect.
    Fail,
}

/// A transaction named in an anomaly.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Transaction {
    /// Its name in this anomaly's explanation: `T1`, `T2`, …
    pub name: String,
    /// The process that ran it.
    pub process: Process,
    /// Index of its invoke event.
    pub invoke: u64,
    /// Index of its completion event, if it completed.
    pub completion: Option<u64>,
    /// How it ended.
    pub status: TxnStatus,
    /// Its micro-ops as recorded (the completion's, for an ok transaction), in EDN.
    pub ops: String,
}

impl fmt::Display for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: process {}, event #{}",
            self.name, self.process, self.invoke
        )?;
        match (self.completion, self.status) {
            (Some(c), status) => write!(f, "..#{c} ({})", status_name(status))?,
            (None, _) => f.write_str(", never completed")?,
        }
        write!(f, ": {}", self.ops)
    }
}

fn status_name(status: TxnStatus) -> &'static str {
    match status {
        TxnStatus::Ok => "ok",
        TxnStatus::Info => "info",
        TxnStatus::Fail => "fail",
    }
}

/// One edge of a cycle, between two of the anomaly's transactions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CycleStep {
    /// Position in [`Anomaly::transactions`] of the transaction the edge leaves.
    pub from: usize,
    /// Position in [`Anomaly::transactions`] of the transaction it reaches.
    pub to: usize,
    /// The dependency.
    pub edge: EdgeKind,
    /// Why the edge holds, in words.
    pub why: String,
}

/// One anomaly found, with what a person needs to check it by hand.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Anomaly {
    /// What it is.
    pub kind: AnomalyKind,
    /// The transactions involved, named `T1`, `T2`, … in [`Anomaly::explanation`].
    pub transactions: Vec<Transaction>,
    /// For a cycle: its edges in order, the last returning to where the first began.
    pub cycle: Vec<CycleStep>,
    /// What happened, in words.
    pub explanation: String,
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}: {}", self.kind, self.explanation)?;
        for t in &self.transactions {
            writeln!(f, "    {t}")?;
        }
        for step in &self.cycle {
            writeln!(f, "    {}", step.why)?;
        }
        Ok(())
    }
}
