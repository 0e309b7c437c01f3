//! Read-write register inference.
//!
//! A register's versions are the values written to it (unique per key) and the initial
//! nil. What orders them, as in Elle: nil comes before every written version; a
//! transaction's own writes to a key are in its order, and only its last one is installed;
//! and, with [`Options::writes_follow_reads`](super::Options::writes_follow_reads), a
//! transaction that read version v and then wrote w installs w after v. From that:
//! - wr: the writer of the version a transaction read precedes it;
//! - ww: with writes-follow-reads, the writer of v precedes the transaction that read v and
//!   wrote w;
//! - rw: a reader of nil precedes every writer of the key; with writes-follow-reads, a
//!   reader of v precedes any other transaction that read v and then wrote.
//!
//! A read of a value nobody wrote gives no edge and is not flagged, as in Elle. Readers of
//! nil and writers of a key can both be many; when their product is large the rw edges go
//! through one virtual node per key instead of pairwise.

use rustc_hash::FxHashMap;

use super::analysis_found::Found;
use super::anomaly::{AnomalyKind, EdgeKind, TxnStatus};
use super::explain::{Explain, Inferred, simple_anomaly};
use super::graph::{Edge, RW, WR, WW, rw_fan_out};
use super::history::{Error, MopKind, Txns};

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Writer {
    /// [`NONE`] for a value nobody wrote.
    txn: u32,
    /// Whether it is the transaction's last write to the key.
    last: bool,
}

struct Inference<'t> {
    txns: &'t Txns,
    /// By element.
    writers: Vec<Writer>,
}

impl Inference<'_> {
    fn writer(&self, e: u32) -> Option<Writer> {
        Some(self.writers[e as usize]).filter(|w| w.txn != NONE)
    }
}

/// The transaction's external reads (first read of a key, before writing it) and its last
/// write per key, as (key, element).
type KeyValues = Vec<(u32, u32)>;

fn external(txns: &Txns, t: usize) -> (KeyValues, KeyValues) {
    let ops = txns.ops(t);
    let mut reads = Vec::new();
    let mut writes: Vec<(u32, u32)> = Vec::new();
    for (i, m) in ops.iter().enumerate() {
        match m.kind {
            MopKind::Read if !ops[..i].iter().any(|p| p.key == m.key) => {
                reads.push((m.key, m.elem))
            }
            MopKind::Write => match writes.iter_mut().find(|w| w.0 == m.key) {
                Some(w) => w.1 = m.elem,
                None => writes.push((m.key, m.elem)),
            },
            _ => {}
        }
    }
    (reads, writes)
}

/// Infers rw-register edges and records the non-cycle anomalies.
pub(crate) fn infer<'t>(
    txns: &'t Txns,
    writes_follow_reads: bool,
    found: &mut Found,
) -> Result<Inferred<'t>, Error> {
    let mut writers = vec![
        Writer {
            txn: NONE,
            last: false
        };
        txns.elem_count()
    ];
    for (t, txn) in txns.txns.iter().enumerate() {
        let ops = txns.ops(t);
        for (i, m) in ops.iter().enumerate() {
            if m.kind != MopKind::Write {
                continue;
            }
            let last = !ops[i + 1..]
                .iter()
                .any(|p| p.kind == MopKind::Write && p.key == m.key);
            let first = std::mem::replace(
                &mut writers[m.elem as usize],
                Writer {
                    txn: t as u32,
                    last,
                },
            );
            if first.txn != NONE && first.txn as usize != t {
                return Err(Error::DuplicateWrite {
                    index: txn.source(),
                    process: txns.process(t),
                    key: txns.key(m.key).to_string(),
                    value: txns.elem(m.elem).to_string(),
                    first: txns.source_index(first.txn as usize),
                });
            }
        }
    }
    let inf = Inference { txns, writers };
    let mut edges = Vec::new();
    // Per key: readers of nil, and committed (or maybe committed) last writers.
    let mut nil_readers: Vec<Vec<u32>> = vec![Vec::new(); txns.key_count()];
    let mut key_writers: Vec<Vec<u32>> = vec![Vec::new(); txns.key_count()];
    // (key, version read) → readers, and those of them that then wrote the key.
    let mut readers: FxHashMap<(u32, u32), Vec<u32>> = FxHashMap::default();
    let mut overwriters: FxHashMap<(u32, u32), Vec<u32>> = FxHashMap::default();
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.status == TxnStatus::Fail {
            continue;
        }
        let (reads, writes) = external(txns, t);
        for &(k, _) in &writes {
            key_writers[k as usize].push(t as u32);
        }
        if txn.status != TxnStatus::Ok {
            continue;
        }
        internal(&inf, t, found);
        for &(k, v) in &reads {
            let wrote = writes.iter().any(|w| w.0 == k);
            if wrote {
                overwriters.entry((k, v)).or_default().push(t as u32);
            }
            if txns.elem(v).is_nil() {
                nil_readers[k as usize].push(t as u32);
                continue;
            }
            readers.entry((k, v)).or_default().push(t as u32);
            let Some(w) = inf.writer(v) else {
                continue;
            };
            let value = txns.elem(v);
            if w.txn as usize == t {
                found.add(AnomalyKind::FutureRead, || {
                    simple_anomaly(
                        txns,
                        AnomalyKind::FutureRead,
                        &[t],
                        format!(
                            "T1 read key {} = {value}, a value T1 writes only later",
                            txns.key(k)
                        ),
                    )
                });
                continue;
            }
            match txns.txns[w.txn as usize].status {
                TxnStatus::Fail => found.add(AnomalyKind::G1a, || {
                    simple_anomaly(
                        txns,
                        AnomalyKind::G1a,
                        &[t, w.txn as usize],
                        format!(
                            "T1 read key {} = {value}, written by T2, which failed",
                            txns.key(k)
                        ),
                    )
                }),
                _ => {
                    edges.push(Edge {
                        from: w.txn,
                        to: t as u32,
                        kind: WR,
                    });
                    if !w.last {
                        found.add(AnomalyKind::G1b, || {
                            simple_anomaly(txns, AnomalyKind::G1b, &[t, w.txn as usize], format!(
                                "T1 read key {} = {value}, an intermediate value of T2, which wrote key {} again afterwards",
                                txns.key(k), txns.key(k)
                            ))
                        });
                    }
                }
            }
        }
    }
    // Versions read and then overwritten, in a fixed order (key, then first reader).
    let mut overwritten: Vec<(&(u32, u32), &Vec<u32>)> = overwriters.iter().collect();
    overwritten.sort_unstable_by_key(|(kv, ts)| (kv.0, ts[0]));
    // Lost update: two committed transactions read one version and both wrote over it.
    for &(&(k, v), ts) in &overwritten {
        let ok: Vec<u32> = ts
            .iter()
            .copied()
            .filter(|&t| txns.txns[t as usize].status == TxnStatus::Ok)
            .collect();
        if ok.len() >= 2 {
            found.add(AnomalyKind::LostUpdate, || {
                simple_anomaly(txns, AnomalyKind::LostUpdate, &[ok[0] as usize, ok[1] as usize], format!(
                    "T1 and T2 both read key {} = {} and both wrote it, so one write was made to a state that had lost the other",
                    txns.key(k), txns.elem(v)
                ))
            });
        }
    }
    // rw from readers of nil to every writer of the key.
    let mut virtual_nodes = 0;
    let n = txns.txns.len() as u32;
    for (k, rs) in nil_readers.iter().enumerate() {
        let ws = &key_writers[k];
        if rs.is_empty() || ws.is_empty() {
            continue;
        }
        if rw_fan_out(rs, ws, n + virtual_nodes, &mut edges, |r| ws.contains(&r)) {
            virtual_nodes += 1;
        }
    }
    if writes_follow_reads {
        for &(&(k, v), ts) in &overwritten {
            if txns.elem(v).is_nil() {
                continue;
            }
            let writer = inf
                .writer(v)
                .filter(|w| txns.txns[w.txn as usize].status != TxnStatus::Fail);
            for &t in ts {
                if let Some(w) = writer
                    && w.txn != t
                {
                    edges.push(Edge {
                        from: w.txn,
                        to: t,
                        kind: WW,
                    });
                }
                for &r in readers.get(&(k, v)).into_iter().flatten() {
                    if r != t {
                        edges.push(Edge {
                            from: r,
                            to: t,
                            kind: RW,
                        });
                    }
                }
            }
        }
    }
    drop(overwritten);
    Ok(Inferred {
        edges,
        virtual_nodes,
        explainer: Box::new(Explainer {
            inf,
            writes_follow_reads,
        }),
    })
}

/// Internal consistency: a read of a key the transaction wrote shows its last write; a
/// second read with no write between shows what the first did.
fn internal(inf: &Inference<'_>, t: usize, found: &mut Found) {
    let txns = inf.txns;
    let ops = txns.ops(t);
    let mut known: Vec<(u32, u32, bool)> = Vec::new();
    for m in ops {
        let slot = known.iter().position(|s| s.0 == m.key);
        match (m.kind, slot) {
            (MopKind::Write, Some(s)) => known[s] = (m.key, m.elem, true),
            (MopKind::Write, None) => known.push((m.key, m.elem, true)),
            (_, Some(s)) => {
                let (_, expected, by_write) = known[s];
                if m.elem != expected {
                    let source = if by_write {
                        "its own last write"
                    } else {
                        "its own earlier read"
                    };
                    found.add(AnomalyKind::Internal, || {
                        simple_anomaly(
                            txns,
                            AnomalyKind::Internal,
                            &[t],
                            format!(
                                "T1 read key {} = {}, but {source} says it must be {}",
                                txns.key(m.key),
                                txns.elem(m.elem),
                                txns.elem(expected)
                            ),
                        )
                    });
                }
                known[s] = (m.key, m.elem, false);
            }
            (_, None) => known.push((m.key, m.elem, false)),
        }
    }
}

struct Explainer<'t> {
    inf: Inference<'t>,
    writes_follow_reads: bool,
}

impl Explain for Explainer<'_> {
    fn why(&self, from: usize, to: usize, kind: EdgeKind, a: &str, b: &str) -> Option<String> {
        let txns = self.inf.txns;
        let (from_reads, from_writes) = external(txns, from);
        let (to_reads, to_writes) = external(txns, to);
        let writer_of = |v: u32| self.inf.writer(v).map(|w| w.txn as usize);
        let val = |v: u32| txns.elem(v);
        match kind {
            EdgeKind::Wr => to_reads.iter().find(|&&(_, v)| writer_of(v) == Some(from)).map(|&(k, v)| {
                format!("{b} read key {} = {}, written by {a}: wr", txns.key(k), val(v))
            }),
            EdgeKind::Ww => to_reads.iter().find_map(|&(k, v)| {
                let w = to_writes.iter().find(|w| w.0 == k)?;
                (self.writes_follow_reads && writer_of(v) == Some(from)).then(|| {
                    format!("{b} read key {} = {}, written by {a}, then wrote {}: ww", txns.key(k), val(v), val(w.1))
                })
            }),
            EdgeKind::Rw => from_reads.iter().find_map(|&(k, v)| {
                let w = to_writes.iter().find(|w| w.0 == k)?;
                if val(v).is_nil() {
                    Some(format!("{a} read key {} = nil, the initial version, which {b}'s write of {} replaced: rw", txns.key(k), val(w.1)))
                } else {
                    let read_same = to_reads.iter().any(|r| r.0 == k && r.1 == v);
                    (self.writes_follow_reads && read_same && !from_writes.iter().any(|fw| fw.0 == k && fw.1 == w.1)).then(|| {
                        format!("{a} read key {} = {}, which {b} read too and then overwrote with {}: rw", txns.key(k), val(v), val(w.1))
                    })
                }
            }),
            _ => None,
        }
    }
}
