//! List-append inference: version orders from reads, then ww / wr / rw edges and the
//! anomalies visible without a cycle.
//!
//! Appends only ever extend a list, so every read of a key in a serializable history is a
//! prefix of the one true version order; the longest read is taken as that order, and a
//! read that is not a prefix of it is an incompatible order. Each element was appended by
//! exactly one transaction (values are unique per key), which gives:
//! - ww: the appender of element i precedes the appender of element i + 1;
//! - wr: the appender of a read's last element precedes the reader;
//! - rw: a reader of the first i elements precedes the appender of element i + 1.
//!
//! Only a transaction's external reads (its first read of a key, before it appends to that
//! key) give wr and rw edges; later reads are checked against its own appends instead.

use rustc_hash::{FxHashMap, FxHashSet};

use super::analysis_found::Found;
use super::anomaly::{AnomalyKind, EdgeKind, TxnStatus};
use super::explain::{Explain, Inferred, list, simple_anomaly};
use super::graph::{Edge, RW, WR, WW, rw_fan_out};
use super::history::{Error, MopKind, Txns};
use crate::value::Value;

const EMPTY: &[Value] = &[];

/// Who appended a value to a key.
#[derive(Clone, Copy)]
struct Writer {
    txn: u32,
    /// Index of the append in the transaction's micro-ops.
    at: u32,
    /// Whether some ok read holds it.
    observed: bool,
}

struct Inference<'t, 'a> {
    txns: &'t Txns<'a>,
    writers: FxHashMap<(u32, &'a Value), Writer>,
    /// Each key's version order: its longest ok read.
    orders: Vec<&'a [Value]>,
}

impl<'a> Inference<'_, 'a> {
    fn writer(&self, key: u32, v: &Value) -> Option<Writer> {
        self.writers.get(&(key, v)).copied()
    }

    fn status(&self, t: u32) -> TxnStatus {
        self.txns.txns[t as usize].status
    }

    /// Whether the append at `w` is the last append its transaction made to `key`.
    fn is_final(&self, w: Writer, key: u32) -> bool {
        let ops = self.txns.ops(w.txn as usize);
        !ops[w.at as usize + 1..]
            .iter()
            .any(|m| m.kind == MopKind::Append && m.key == key)
    }

    /// The transaction's external reads: (key, list read), the first read of each key made
    /// before the transaction appended to it.
    fn external_reads(&self, t: usize) -> Vec<(u32, &'a [Value])> {
        let ops = self.txns.ops(t);
        let mut out = Vec::new();
        for (i, m) in ops.iter().enumerate() {
            if m.kind == MopKind::Read && !ops[..i].iter().any(|p| p.key == m.key) {
                out.push((m.key, read_list(m.value)));
            }
        }
        out
    }
}

/// A read's list (nil reads as empty).
fn read_list(v: &Value) -> &[Value] {
    v.as_slice().unwrap_or(EMPTY)
}

/// Infers the list-append dependency edges and records the non-cycle anomalies.
pub(crate) fn infer<'t, 'a: 't>(
    txns: &'t Txns<'a>,
    found: &mut Found,
) -> Result<Inferred<'t>, Error> {
    let mut writers: FxHashMap<(u32, &'a Value), Writer> = FxHashMap::default();
    writers.reserve(txns.mops.len() / 2);
    let mut orders: Vec<&'a [Value]> = vec![EMPTY; txns.keys.len()];
    for (t, txn) in txns.txns.iter().enumerate() {
        for (i, m) in txns.ops(t).iter().enumerate() {
            match m.kind {
                MopKind::Append => {
                    if let Some(first) = writers.insert(
                        (m.key, m.value),
                        Writer {
                            txn: t as u32,
                            at: i as u32,
                            observed: false,
                        },
                    ) {
                        let e = &txns.events[txn.source];
                        return Err(Error::DuplicateWrite {
                            index: e.index,
                            process: e.process.clone(),
                            key: txns.key(m.key).to_string(),
                            value: m.value.to_string(),
                            first: txns.source_index(first.txn as usize),
                        });
                    }
                }
                MopKind::Read if txn.status == TxnStatus::Ok => {
                    let l = read_list(m.value);
                    if l.len() > orders[m.key as usize].len() {
                        orders[m.key as usize] = l;
                    }
                }
                _ => {}
            }
        }
    }
    for (k, order) in orders.iter().enumerate() {
        for v in order.iter() {
            if let Some(w) = writers.get_mut(&(k as u32, v)) {
                w.observed = true;
            }
        }
    }
    let inf = Inference {
        txns,
        writers,
        orders,
    };
    let mut edges = Vec::with_capacity(txns.mops.len() * 2);
    version_orders(&inf, &mut edges, found);
    let full_readers = reads(&inf, &mut edges, found);
    let virtual_nodes = unobserved(&inf, &full_readers, &mut edges);
    Ok(Inferred {
        edges,
        virtual_nodes,
        explainer: Box::new(inf),
    })
}

/// ww edges along each version order; duplicate elements and dirty updates in it.
fn version_orders(inf: &Inference<'_, '_>, edges: &mut Vec<Edge>, found: &mut Found) {
    let txns = inf.txns;
    let mut seen: FxHashSet<&Value> = FxHashSet::default();
    for (key, order) in inf.orders.iter().enumerate() {
        let key = key as u32;
        seen.clear();
        let mut dup_reported = false;
        let mut aborted: Option<(Writer, &Value)> = None;
        let mut dirty_reported = false;
        let mut prev: Option<(Writer, &Value)> = None;
        for v in order.iter() {
            if !seen.insert(v) && !dup_reported {
                dup_reported = true;
                found.add(AnomalyKind::DuplicateElements, || {
                    simple_anomaly(txns, AnomalyKind::DuplicateElements, &[longest_reader(inf, key)], format!(
                        "T1 read key {} = {}, which holds {v} more than once, though each value is appended once",
                        txns.key(key),
                        list(order)
                    ))
                });
            }
            let w = inf.writer(key, v);
            if let Some(w) = w {
                match inf.status(w.txn) {
                    TxnStatus::Fail => {
                        if aborted.is_none() {
                            aborted = Some((w, v));
                        }
                    }
                    _ => {
                        if let (Some((a, av)), false) = (aborted, dirty_reported) {
                            dirty_reported = true;
                            found.add(AnomalyKind::DirtyUpdate, || {
                                simple_anomaly(txns, AnomalyKind::DirtyUpdate, &[a.txn as usize, w.txn as usize], format!(
                                    "key {}'s version order {} has T1's append of {av}, and T1 failed; T2's append of {v} comes after it, so T2 updated a state holding an aborted write",
                                    txns.key(key), list(order)
                                ))
                            });
                        }
                    }
                }
                if let Some((p, _)) = prev
                    && p.txn != w.txn
                    && inf.status(p.txn) != TxnStatus::Fail
                    && inf.status(w.txn) != TxnStatus::Fail
                {
                    edges.push(Edge {
                        from: p.txn,
                        to: w.txn,
                        kind: WW,
                    });
                }
            }
            prev = w.map(|w| (w, v));
        }
    }
}

/// The ok transaction whose read is the key's version order.
fn longest_reader(inf: &Inference<'_, '_>, key: u32) -> usize {
    let order = inf.orders[key as usize];
    (0..inf.txns.txns.len())
        .find(|&t| {
            inf.txns.txns[t].status == TxnStatus::Ok
                && inf.txns.ops(t).iter().any(|m| {
                    m.kind == MopKind::Read
                        && m.key == key
                        && std::ptr::eq(read_list(m.value), order)
                })
        })
        .unwrap_or(0)
}

/// Appends of committed transactions that no read shows come after every version read:
/// the writer of each key's last observed element precedes them (ww), and so does every
/// transaction whose external read was the whole observed list (rw). When readers and such
/// appenders are many, the rw edges go through one virtual node per key. Returns how many
/// virtual nodes were used.
fn unobserved(inf: &Inference<'_, '_>, full_readers: &[Vec<u32>], edges: &mut Vec<Edge>) -> u32 {
    let txns = inf.txns;
    let mut appenders: Vec<Vec<u32>> = vec![Vec::new(); inf.orders.len()];
    for (&(k, _), w) in &inf.writers {
        if !w.observed && inf.status(w.txn) == TxnStatus::Ok {
            appenders[k as usize].push(w.txn);
        }
    }
    let n = txns.txns.len() as u32;
    let mut virtual_nodes = 0;
    for (k, us) in appenders.iter_mut().enumerate() {
        if us.is_empty() {
            continue;
        }
        us.sort_unstable();
        us.dedup();
        if let Some(last) = inf.orders[k].last()
            && let Some(w) = inf.writer(k as u32, last)
            && inf.status(w.txn) != TxnStatus::Fail
        {
            for &u in us.iter().filter(|&&u| u != w.txn) {
                edges.push(Edge {
                    from: w.txn,
                    to: u,
                    kind: WW,
                });
            }
        }
        let rs = &full_readers[k];
        if rw_fan_out(rs, us, n + virtual_nodes, edges, |r| {
            us.binary_search(&r).is_ok()
        }) {
            virtual_nodes += 1;
        }
    }
    virtual_nodes
}

/// wr and rw edges from external reads; G1a, G1b, incompatible order, lost update,
/// internal and future reads. Returns, per key, the transactions whose external read was
/// the whole version order.
fn reads(inf: &Inference<'_, '_>, edges: &mut Vec<Edge>, found: &mut Found) -> Vec<Vec<u32>> {
    let txns = inf.txns;
    let mut full_readers: Vec<Vec<u32>> = vec![Vec::new(); inf.orders.len()];
    // (key, length read) → the first ok transaction that read that prefix and then appended.
    let mut read_then_appended: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let first_failed: Vec<usize> = inf
        .orders
        .iter()
        .enumerate()
        .map(|(k, order)| {
            order
                .iter()
                .position(|v| {
                    inf.writer(k as u32, v)
                        .is_some_and(|w| inf.status(w.txn) == TxnStatus::Fail)
                })
                .unwrap_or(usize::MAX)
        })
        .collect();
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.status != TxnStatus::Ok {
            continue;
        }
        let ops = txns.ops(t);
        internal(inf, t, found);
        for (i, m) in ops.iter().enumerate() {
            if m.kind != MopKind::Read {
                continue;
            }
            let r = read_list(m.value);
            let order = inf.orders[m.key as usize];
            let external = !ops[..i].iter().any(|p| p.key == m.key);
            // Future read: it holds something this transaction appends only later.
            for later in &ops[i + 1..] {
                if later.kind == MopKind::Append && later.key == m.key && r.contains(later.value) {
                    found.add(AnomalyKind::FutureRead, || {
                        simple_anomaly(txns, AnomalyKind::FutureRead, &[t], format!(
                            "T1 read key {} = {}, which holds {}, a value T1 appends only later",
                            txns.key(m.key), list(r), later.value
                        ))
                    });
                }
            }
            let compatible = order.len() >= r.len() && order[..r.len()] == *r;
            if !compatible {
                found.add(AnomalyKind::IncompatibleOrder, || {
                    simple_anomaly(txns, AnomalyKind::IncompatibleOrder, &[t, longest_reader(inf, m.key)], format!(
                        "T1 read key {} = {} and T2 read it = {}: neither is a prefix of the other, so no single order of appends gives both",
                        txns.key(m.key), list(r), list(order)
                    ))
                });
            }
            // Aborted read: an element appended by a failed transaction. A compatible read
            // holds one exactly when it reaches past the key's first failed element.
            let suspect = !compatible || first_failed[m.key as usize] < r.len();
            if suspect
                && let Some((v, w)) = r.iter().find_map(|v| {
                    inf.writer(m.key, v)
                        .filter(|w| inf.status(w.txn) == TxnStatus::Fail)
                        .map(|w| (v, w))
                })
            {
                found.add(AnomalyKind::G1a, || {
                    simple_anomaly(
                        txns,
                        AnomalyKind::G1a,
                        &[t, w.txn as usize],
                        format!(
                            "T1 read key {} = {}, which holds {v}, appended by T2, which failed",
                            txns.key(m.key),
                            list(r)
                        ),
                    )
                });
            }
            if !external || !compatible {
                continue;
            }
            if let Some(last) = r.last()
                && let Some(w) = inf.writer(m.key, last)
                && w.txn as usize != t
                && inf.status(w.txn) != TxnStatus::Fail
            {
                edges.push(Edge {
                    from: w.txn,
                    to: t as u32,
                    kind: WR,
                });
                if !inf.is_final(w, m.key) {
                    found.add(AnomalyKind::G1b, || {
                        simple_anomaly(txns, AnomalyKind::G1b, &[t, w.txn as usize], format!(
                            "T1 read key {} = {}, ending with {last}, an intermediate state of T2, which appended more to key {} afterwards",
                            txns.key(m.key), list(r), txns.key(m.key)
                        ))
                    });
                }
            }
            if r.len() == order.len() {
                full_readers[m.key as usize].push(t as u32);
            }
            if let Some(next) = order.get(r.len())
                && let Some(w) = inf.writer(m.key, next)
                && w.txn as usize != t
                && inf.status(w.txn) != TxnStatus::Fail
            {
                edges.push(Edge {
                    from: t as u32,
                    to: w.txn,
                    kind: RW,
                });
            }
            if ops[i + 1..]
                .iter()
                .any(|p| p.kind == MopKind::Append && p.key == m.key)
            {
                let slot = read_then_appended
                    .entry((m.key, r.len() as u32))
                    .or_insert(t as u32);
                if *slot != t as u32 {
                    let other = *slot as usize;
                    found.add(AnomalyKind::LostUpdate, || {
                        simple_anomaly(txns, AnomalyKind::LostUpdate, &[other, t], format!(
                            "T1 and T2 both read key {} = {} and both appended to it, so one append was made to a state that had lost the other",
                            txns.key(m.key), list(r)
                        ))
                    });
                }
            }
        }
    }
    full_readers
}

/// Internal consistency: each read of a key the transaction already read or appended to
/// must show exactly that.
fn internal(inf: &Inference<'_, '_>, t: usize, found: &mut Found) {
    let txns = inf.txns;
    let ops = txns.ops(t);
    let repeated = ops
        .iter()
        .enumerate()
        .any(|(i, m)| ops[..i].iter().any(|p| p.key == m.key));
    if !repeated {
        return;
    }
    // Per key: what the last read showed (if any), and what was appended since.
    type KeyState<'v> = (u32, Option<&'v [Value]>, Vec<&'v Value>);
    let mut state: Vec<KeyState<'_>> = Vec::new();
    for m in ops {
        let slot = match state.iter().position(|s| s.0 == m.key) {
            Some(s) => s,
            None => {
                state.push((m.key, None, Vec::new()));
                state.len() - 1
            }
        };
        let (_, known, appended) = &mut state[slot];
        match m.kind {
            MopKind::Append => appended.push(m.value),
            _ => {
                let r = read_list(m.value);
                let ok = match known {
                    Some(prev) => {
                        r.len() == prev.len() + appended.len()
                            && r[..prev.len()] == **prev
                            && r[prev.len()..]
                                .iter()
                                .zip(appended.iter())
                                .all(|(a, b)| a == *b)
                    }
                    None => {
                        r.len() >= appended.len()
                            && r[r.len() - appended.len()..]
                                .iter()
                                .zip(appended.iter())
                                .all(|(a, b)| a == *b)
                    }
                };
                if !ok {
                    let expected = match known {
                        Some(prev) => {
                            let mut e: Vec<Value> = prev.to_vec();
                            e.extend(appended.iter().map(|v| (*v).clone()));
                            list(&e)
                        }
                        None => {
                            let a: Vec<Value> = appended.iter().map(|v| (*v).clone()).collect();
                            format!("a list ending in {}", list(&a))
                        }
                    };
                    found.add(AnomalyKind::Internal, || {
                        simple_anomaly(txns, AnomalyKind::Internal, &[t], format!(
                            "T1 read key {} = {}, but its own earlier reads and appends say it must be {expected}",
                            txns.key(m.key), list(r)
                        ))
                    });
                }
                *known = Some(r);
                appended.clear();
            }
        }
    }
}

impl Explain for Inference<'_, '_> {
    fn why(&self, from: usize, to: usize, kind: EdgeKind, a: &str, b: &str) -> Option<String> {
        let txns = self.txns;
        match kind {
            EdgeKind::Ww => txns.ops(to).iter().filter(|m| m.kind == MopKind::Append).find_map(|m| {
                let key = txns.key(m.key);
                let order = self.orders[m.key as usize];
                let Some(i) = order.iter().position(|v| v == m.value) else {
                    let last = order.last()?;
                    return (self.writer(m.key, last)?.txn as usize == from).then(|| {
                        format!("{b} appended {} to key {key}, which no read shows, so after {a}'s {last}, the last element read: ww", m.value)
                    });
                };
                let prev = order.get(i.checked_sub(1)?)?;
                (self.writer(m.key, prev)?.txn as usize == from)
                    .then(|| format!("{b} appended {} to key {key} right after {a}'s {prev}: ww", m.value))
            }),
            EdgeKind::Wr => self.external_reads(to).into_iter().find_map(|(key, r)| {
                let last = r.last()?;
                (self.writer(key, last)?.txn as usize == from).then(|| {
                    format!("{b} read key {} = {}, which ends with {a}'s append of {last}: wr", txns.key(key), list(r))
                })
            }),
            EdgeKind::Rw => self.external_reads(from).into_iter().find_map(|(key, r)| {
                let order = self.orders[key as usize];
                if let Some(next) = order.get(r.len()) {
                    return (self.writer(key, next)?.txn as usize == to).then(|| {
                        format!("{a} read key {} = {} without {b}'s append of {next}, which comes next: rw", txns.key(key), list(r))
                    });
                }
                let m = txns.ops(to).iter().find(|m| {
                    m.kind == MopKind::Append && m.key == key && self.writer(key, m.value).is_some_and(|w| !w.observed)
                })?;
                Some(format!(
                    "{a} read key {} = {} without {b}'s append of {}, which no read shows and so comes after every element read: rw",
                    txns.key(key), list(r), m.value
                ))
            }),
            _ => None,
        }
    }
}
