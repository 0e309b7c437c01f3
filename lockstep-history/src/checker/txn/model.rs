//! Consistency models and the anomalies each one prohibits.
//!
//! Two small graphs decide everything, after Elle's `consistency-model` namespace and
//! Adya's thesis: which anomalies imply which broader classes (a G0 cycle is also a G1c
//! cycle; any G1x is G1; a `-process` cycle is also a `-realtime` one, since a process runs
//! one transaction at a time), and which models imply which (strict-serializable implies
//! serializable, which implies repeatable-read and snapshot-isolation, …), each model
//! listing only the classes it adds. A model prohibits an anomaly when the anomaly's classes
//! meet the classes the model or any weaker model it implies lists.
//!
//! Every rw edge this checker infers is an item anti-dependency (it reads keys, never
//! predicates), so G-single and G-nonadjacent cycles are counted as G2-item too, as Adya
//! defines G2-item; repeatable read therefore rules out read skew.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::anomaly::{ALL_KINDS, AnomalyKind};

/// A transactional consistency model, named as Elle names it.
///
/// ```
/// use lockstep_history::checker::txn::{AnomalyKind, ConsistencyModel};
///
/// let si: ConsistencyModel = "snapshot-isolation".parse().unwrap();
/// assert!(si.prohibits(AnomalyKind::GSingle));
/// assert!(!si.prohibits(AnomalyKind::G2Item)); // write skew is allowed
/// assert!(ConsistencyModel::Serializable.prohibits(AnomalyKind::G2Item));
/// assert!(!ConsistencyModel::Serializable.prohibits(AnomalyKind::G2ItemRealtime));
/// assert!(ConsistencyModel::StrictSerializable.prohibits(AnomalyKind::G2ItemRealtime));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub enum ConsistencyModel {
    /// Adya's PL-1: no G0 (dirty writes).
    ReadUncommitted,
    /// Adya's PL-2: no G1 (aborted, intermediate or circular reads).
    ReadCommitted,
    /// Adya's PL-CS: read committed without lost updates.
    CursorStability,
    /// Adya's PL-2.99: no G1, no G2-item.
    RepeatableRead,
    /// Generalized snapshot isolation: no G1, no G-single or G-nonadjacent, no lost update.
    SnapshotIsolation,
    /// Conflict serializability (Adya's PL-3): no G1, no G2.
    Serializable,
    /// Serializable in an order consistent with real time (Adya's PL-SS).
    StrictSerializable,
    /// Read uncommitted, and no G0 cycle through process order.
    StrongSessionReadUncommitted,
    /// Read committed, and no G1c cycle through process order.
    StrongSessionReadCommitted,
    /// Read uncommitted, and no G0 cycle through real time.
    StrongReadUncommitted,
    /// Read committed, and no G1c cycle through real time.
    StrongReadCommitted,
    /// Snapshot isolation where each process sees its own earlier transactions.
    StrongSessionSnapshotIsolation,
    /// Snapshot isolation where every transaction sees all that completed before it began.
    StrongSnapshotIsolation,
    /// Serializable in an order consistent with each process's order.
    StrongSessionSerializable,
}

/// Every model, weakest families first.
pub(crate) const ALL_MODELS: [ConsistencyModel; 14] = [
    ConsistencyModel::ReadUncommitted,
    ConsistencyModel::ReadCommitted,
    ConsistencyModel::CursorStability,
    ConsistencyModel::RepeatableRead,
    ConsistencyModel::SnapshotIsolation,
    ConsistencyModel::Serializable,
    ConsistencyModel::StrictSerializable,
    ConsistencyModel::StrongSessionReadUncommitted,
    ConsistencyModel::StrongSessionReadCommitted,
    ConsistencyModel::StrongReadUncommitted,
    ConsistencyModel::StrongReadCommitted,
    ConsistencyModel::StrongSessionSnapshotIsolation,
    ConsistencyModel::StrongSnapshotIsolation,
    ConsistencyModel::StrongSessionSerializable,
];

/// The classes anomalies belong to: every [`AnomalyKind`], plus the unions Adya names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Kind(AnomalyKind),
    G1,
    G1Process,
    G1Realtime,
    G2,
    G2Process,
    G2Realtime,
}

impl Class {
    fn bit(self) -> u64 {
        match self {
            Class::Kind(k) => 1 << ALL_KINDS.iter().position(|&x| x == k).unwrap_or(0),
            Class::G1 => 1 << 40,
            Class::G1Process => 1 << 41,
            Class::G1Realtime => 1 << 42,
            Class::G2 => 1 << 43,
            Class::G2Process => 1 << 44,
            Class::G2Realtime => 1 << 45,
        }
    }

    /// The classes this one directly implies.
    fn implies(self) -> &'static [Class] {
        use AnomalyKind::*;
        use Class::{
            G1Process as G1P, G1Realtime as G1R, G2Process as G2P, G2Realtime as G2R, Kind as K,
        };
        match self {
            K(G0) => &[K(G1c), K(G0Process)],
            K(G0Process) => &[K(G1cProcess), K(G0Realtime)],
            K(G0Realtime) => &[K(G1cRealtime)],
            K(G1a) | K(G1b) => &[Class::G1],
            K(G1c) => &[Class::G1, K(G1cProcess)],
            K(G1cProcess) => &[K(G1cRealtime), G1P],
            K(G1cRealtime) => &[G1R],
            Class::G1 => &[G1P],
            G1P => &[G1R],
            K(GSingle) => &[K(GNonadjacent), K(GSingleProcess)],
            K(GSingleProcess) => &[K(GNonadjacentProcess), K(GSingleRealtime)],
            K(GSingleRealtime) => &[K(GNonadjacentRealtime)],
            K(GNonadjacent) => &[K(G2Item), K(GNonadjacentProcess)],
            K(GNonadjacentProcess) => &[K(G2ItemProcess), K(GNonadjacentRealtime)],
            K(GNonadjacentRealtime) => &[K(G2ItemRealtime)],
            K(G2Item) => &[Class::G2, K(G2ItemProcess)],
            K(G2ItemProcess) => &[G2P, K(G2ItemRealtime)],
            K(G2ItemRealtime) => &[G2R],
            Class::G2 => &[G2P],
            G2P => &[G2R],
            K(IncompatibleOrder) | K(DirtyUpdate) => &[K(G1a)],
            K(FutureRead) => &[K(G1c)],
            K(LostUpdate) => &[K(G2Item)],
            _ => &[],
        }
    }
}

/// The classes an anomaly of this kind belongs to, as a bit set.
fn classes_of(kind: AnomalyKind) -> u64 {
    let mut bits = 0;
    let mut todo = vec![Class::Kind(kind)];
    while let Some(c) = todo.pop() {
        if bits & c.bit() == 0 {
            bits |= c.bit();
            todo.extend_from_slice(c.implies());
        }
    }
    bits
}

impl ConsistencyModel {
    /// Elle's name: `serializable`, `strong-session-snapshot-isolation`, …
    pub fn name(self) -> &'static str {
        use ConsistencyModel::*;
        match self {
            ReadUncommitted => "read-uncommitted",
            ReadCommitted => "read-committed",
            CursorStability => "cursor-stability",
            RepeatableRead => "repeatable-read",
            SnapshotIsolation => "snapshot-isolation",
            Serializable => "serializable",
            StrictSerializable => "strict-serializable",
            StrongSessionReadUncommitted => "strong-session-read-uncommitted",
            StrongSessionReadCommitted => "strong-session-read-committed",
            StrongReadUncommitted => "strong-read-uncommitted",
            StrongReadCommitted => "strong-read-committed",
            StrongSessionSnapshotIsolation => "strong-session-snapshot-isolation",
            StrongSnapshotIsolation => "strong-snapshot-isolation",
            StrongSessionSerializable => "strong-session-serializable",
        }
    }

    /// Every model this crate knows.
    pub fn all() -> &'static [ConsistencyModel] {
        &ALL_MODELS
    }

    /// The weaker models this one directly implies (a history satisfying it satisfies them).
    pub fn implies(self) -> &'static [ConsistencyModel] {
        use ConsistencyModel::*;
        match self {
            ReadUncommitted => &[],
            ReadCommitted => &[ReadUncommitted],
            CursorStability => &[ReadCommitted],
            RepeatableRead => &[CursorStability],
            SnapshotIsolation => &[ReadCommitted],
            Serializable => &[RepeatableRead, SnapshotIsolation],
            StrictSerializable => &[
                Serializable,
                StrongSnapshotIsolation,
                StrongSessionSerializable,
            ],
            StrongSessionReadUncommitted => &[ReadUncommitted],
            StrongSessionReadCommitted => &[ReadCommitted, StrongSessionReadUncommitted],
            StrongReadUncommitted => &[StrongSessionReadUncommitted],
            StrongReadCommitted => &[StrongSessionReadCommitted, StrongReadUncommitted],
            StrongSessionSnapshotIsolation => &[SnapshotIsolation, StrongSessionReadCommitted],
            StrongSnapshotIsolation => &[StrongSessionSnapshotIsolation, StrongReadCommitted],
            StrongSessionSerializable => &[Serializable, StrongSessionSnapshotIsolation],
        }
    }

    /// The classes this model prohibits beyond those of the models it implies.
    fn direct(self) -> &'static [Class] {
        use AnomalyKind::*;
        use Class::Kind as K;
        use ConsistencyModel::*;
        match self {
            ReadUncommitted => &[K(G0), K(DuplicateElements)],
            ReadCommitted => &[Class::G1],
            CursorStability => &[Class::G1, K(LostUpdate)],
            RepeatableRead => &[Class::G1, K(G2Item), K(LostUpdate)],
            SnapshotIsolation => &[
                K(Internal),
                Class::G1,
                K(GNonadjacent),
                K(LostUpdate),
                K(FutureRead),
            ],
            Serializable => &[K(Internal), Class::G1, Class::G2],
            StrictSerializable => &[Class::G1, K(G1cRealtime), Class::G2Realtime],
            StrongSessionReadUncommitted => &[K(G0Process)],
            StrongSessionReadCommitted => &[K(G1cProcess)],
            StrongReadUncommitted => &[K(G0Realtime)],
            StrongReadCommitted => &[K(G1cRealtime)],
            StrongSessionSnapshotIsolation => {
                &[K(Internal), Class::G1Process, K(GNonadjacentProcess)]
            }
            StrongSnapshotIsolation => &[K(Internal), Class::G1Realtime, K(GNonadjacentRealtime)],
            StrongSessionSerializable => &[Class::G1Process, Class::G2Process],
        }
    }

    /// The classes prohibited by this model and every model it implies, as a bit set.
    fn prohibited_classes(self) -> u64 {
        let mut bits = 0;
        let mut seen = Vec::new();
        let mut todo = vec![self];
        while let Some(m) = todo.pop() {
            if seen.contains(&m) {
                continue;
            }
            seen.push(m);
            bits |= m.direct().iter().fold(0, |b, c| b | c.bit());
            todo.extend_from_slice(m.implies());
        }
        bits
    }

    /// Whether a history with an anomaly of this kind cannot satisfy this model.
    pub fn prohibits(self, kind: AnomalyKind) -> bool {
        classes_of(kind) & self.prohibited_classes() != 0
    }

    /// Whether every history satisfying `self` also satisfies `weaker` (reflexive).
    pub fn is_at_least(self, weaker: ConsistencyModel) -> bool {
        let mut todo = vec![self];
        let mut seen = Vec::new();
        while let Some(m) = todo.pop() {
            if m == weaker {
                return true;
            }
            if !seen.contains(&m) {
                seen.push(m);
                todo.extend_from_slice(m.implies());
            }
        }
        false
    }
}

impl fmt::Display for ConsistencyModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<ConsistencyModel> for String {
    fn from(model: ConsistencyModel) -> String {
        model.name().to_string()
    }
}

/// A name that is not a consistency model this checker knows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown consistency model `{0}` (known: read-uncommitted, read-committed, cursor-stability, repeatable-read, snapshot-isolation, serializable, strict-serializable, and the strong-session-/strong- forms of read-uncommitted, read-committed, snapshot-isolation and serializable)"
)]
pub struct UnknownModel(pub String);

/// Parses Elle's names (with or without a leading colon), their aliases
/// (`strong-serializable`, `conflict-serializable`) and Adya's (`PL-1`, `PL-2`, `PL-2.99`,
/// `PL-CS`, `PL-SI`, `PL-3`, `PL-SS`).
impl FromStr for ConsistencyModel {
    type Err = UnknownModel;

    fn from_str(s: &str) -> Result<ConsistencyModel, UnknownModel> {
        use ConsistencyModel::*;
        let name = s.trim();
        let name = name.strip_prefix(':').unwrap_or(name);
        if let Some(&m) = ALL_MODELS.iter().find(|m| m.name() == name) {
            return Ok(m);
        }
        Ok(match name {
            "strong-serializable" | "PL-SS" => StrictSerializable,
            "conflict-serializable" | "PL-3" => Serializable,
            "PL-1" => ReadUncommitted,
            "PL-2" => ReadCommitted,
            "PL-CS" => CursorStability,
            "PL-2.99" => RepeatableRead,
            "PL-SI" => SnapshotIsolation,
            _ => return Err(UnknownModel(s.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for &m in ConsistencyModel::all() {
            assert_eq!(m.name().parse::<ConsistencyModel>(), Ok(m));
        }
        assert!("linearizable-ish".parse::<ConsistencyModel>().is_err());
    }

    /// A stronger model prohibits everything a weaker one does.
    #[test]
    fn stronger_models_prohibit_more() {
        for &strong in ConsistencyModel::all() {
            for &weak in ConsistencyModel::all() {
                if strong.is_at_least(weak) {
                    for &k in &ALL_KINDS {
                        assert!(
                            !weak.prohibits(k) || strong.prohibits(k),
                            "{strong} implies {weak}, which prohibits {k}, but {strong} does not"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_usual_boundaries() {
        use AnomalyKind::*;
        use ConsistencyModel::*;
        assert!(ReadUncommitted.prohibits(G0));
        assert!(!ReadUncommitted.prohibits(G1a));
        assert!(ReadCommitted.prohibits(G1a) && ReadCommitted.prohibits(G1c));
        assert!(!ReadCommitted.prohibits(GSingle) && !ReadCommitted.prohibits(LostUpdate));
        assert!(RepeatableRead.prohibits(G2Item) && RepeatableRead.prohibits(LostUpdate));
        assert!(SnapshotIsolation.prohibits(LostUpdate) && !SnapshotIsolation.prohibits(G2Item));
        assert!(!Serializable.prohibits(GSingleRealtime));
        assert!(StrongSessionSerializable.prohibits(GSingleProcess));
        assert!(!StrongSessionSerializable.prohibits(GSingleRealtime));
        assert!(StrictSerializable.prohibits(G0Realtime) && StrictSerializable.prohibits(Internal));
        assert!(StrongSessionSnapshotIsolation.prohibits(GSingleProcess));
        assert!(!StrongSessionSnapshotIsolation.prohibits(G2ItemProcess));
    }
}
