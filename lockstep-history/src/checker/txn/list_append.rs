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

use rustc_hash::FxHashMap;

use super::analysis_found::Found;
use super::anomaly::{AnomalyKind, EdgeKind, TxnStatus};
use super::explain::{Explain, Inferred, simple_anomaly};
use super::graph::{Edge, RW, WR, WW, rw_fan_out};
use super::history::{Error, Mop, MopKind, Txns};

const NONE: u32 = u32::MAX;

/// Who appended an element (`txn` is [`NONE`] for an element nobody appended).
#[derive(Clone, Copy)]
struct Writer {
    txn: u32,
    /// Index of the append in the transaction's micro-ops.
    at: u32,
    /// Whether some ok read holds it.
    observed: bool,
}

const NO_WRITER: Writer = Writer {
    txn: NONE,
    at: 0,
    observed: false,
};

/// A key's version order: the longest ok read of it (its transaction and micro-op), or
/// nothing read yet.
#[derive(Clone, Copy)]
struct Longest {
    txn: u32,
    mop: u32,
}

struct Inference<'t> {
    txns: &'t Txns,
    /// By element.
    writers: Vec<Writer>,
    /// By key.
    orders: Vec<Longest>,
}

impl Inference<'_> {
    fn writer(&self, e: u32) -> Option<Writer> {
        Some(self.writers[e as usize]).filter(|w| w.txn != NONE)
    }

    fn status(&self, t: u32) -> TxnStatus {
        self.txns.txns[t as usize].status
    }

    /// The key's version order, as elements.
    fn order(&self, key: u32) -> &[u32] {
        let o = self.orders[key as usize];
        if o.mop == NONE {
            return &[];
        }
        self.txns.list(&self.txns.mops[o.mop as usize])
    }

    /// Whether the append at `w` is the last append its transaction made to `key`.
    fn is_final(&self, w: Writer, key: u32) -> bool {
        let ops = self.txns.ops(w.txn as usize);
        !ops[w.at as usize + 1..]
            .iter()
            .any(|m| m.kind == MopKind::Append && m.key == key)
    }

    /// The transaction's external reads: the first read of each key made before the
    /// transaction appended to it.
    fn external_reads(&self, t: usize) -> Vec<&Mop> {
        let ops = self.txns.ops(t);
        let mut out = Vec::new();
        for (i, m) in ops.iter().enumerate() {
            if m.kind == MopKind::Read && !ops[..i].iter().any(|p| p.key == m.key) {
                out.push(m);
            }
        }
        out
    }

    /// Elements as an EDN list, for messages.
    fn text(&self, elems: &[u32]) -> String {
        let parts: Vec<String> = elems
            .iter()
            .map(|&e| self.txns.elem(e).to_string())
            .collect();
        format!("[{}]", parts.join(" "))
    }
}

/// Infers the list-append dependency edges and records the non-cycle anomalies.
pub(crate) fn infer<'t>(txns: &'t Txns, found: &mut Found) -> Result<Inferred<'t>, Error> {
    let mut writers = vec![NO_WRITER; txns.elem_count()];
    let mut orders = vec![
        Longest {
            txn: NONE,
            mop: NONE,
        };
        txns.key_count()
    ];
    for (t, txn) in txns.txns.iter().enumerate() {
        let start = txn.start;
        for (i, m) in txns.ops(t).iter().enumerate() {
            match m.kind {
                MopKind::Append => {
                    let w = &mut writers[m.elem as usize];
                    if w.txn != NONE {
                        return Err(Error::DuplicateWrite {
                            index: txn.source(),
                            process: txns.process(t),
                            key: txns.key(m.key).to_string(),
                            value: txns.elem(m.elem).to_string(),
                            first: txns.source_index(w.txn as usize),
                        });
                    }
                    *w = Writer {
                        txn: t as u32,
                        at: i as u32,
                        observed: false,
                    };
                }
                MopKind::Read if txn.status == TxnStatus::Ok => {
                    let o = &mut orders[m.key as usize];
                    let longest = if o.mop == NONE {
                        0
                    } else {
                        txns.mops[o.mop as usize].len
                    };
                    if m.len > longest {
                        *o = Longest {
                            txn: t as u32,
                            mop: start + i as u32,
                        };
                    }
                }
                _ => {}
            }
        }
    }
    let mut inf = Inference {
        txns,
        writers,
        orders,
    };
    for k in 0..inf.orders.len() {
        let o = inf.orders[k];
        if o.mop == NONE {
            continue;
        }
        for &e in txns.list(&txns.mops[o.mop as usize]) {
            inf.writers[e as usize].observed = true;
        }
    }
    let mut edges = Vec::new();
    version_orders(&inf, &mut edges, found);
    let full_readers = reads(&inf, &mut edges, found);
    let virtual_nodes = unobserved(&inf, &full_readers, &mut edges);
    edges.shrink_to_fit();
    Ok(Inferred {
        edges,
        virtual_nodes,
        explainer: Box::new(inf),
    })
}

/// ww edges along each version order; duplicate elements and dirty updates in it.
fn version_orders(inf: &Inference<'_>, edges: &mut Vec<Edge>, found: &mut Found) {
    let txns = inf.txns;
    // The position of each element in its key's order when last seen, to spot repeats
    // without hashing: `seen[e] == key + 1` means seen in this key's order.
    let mut seen: Vec<u32> = vec![0; txns.elem_count()];
    for key in 0..inf.orders.len() as u32 {
        let order = inf.order(key);
        let mut dup_reported = false;
        let mut aborted: Option<(Writer, u32)> = None;
        let mut dirty_reported = false;
        let mut prev: Option<Writer> = None;
        for &v in order {
            let mark = &mut seen[v as usize];
            if *mark == key + 1 && !dup_reported {
                dup_reported = true;
                found.add(AnomalyKind::DuplicateElements, || {
                    simple_anomaly(txns, AnomalyKind::DuplicateElements, &[longest_reader(inf, key)], format!(
                        "T1 read key {} = {}, which holds {} more than once, though each value is appended once",
                        txns.key(key),
                        inf.text(order),
                        txns.elem(v)
                    ))
                });
            }
            *mark = key + 1;
            let w = inf.writer(v);
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
                                    "key {}'s version order {} has T1's append of {}, and T1 failed; T2's append of {} comes after it, so T2 updated a state holding an aborted write",
                                    txns.key(key), inf.text(order), txns.elem(av), txns.elem(v)
                                ))
                            });
                        }
                    }
                }
                if let Some(p) = prev
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
            prev = w;
        }
    }
}

/// The ok transaction whose read is the key's version order.
fn longest_reader(inf: &Inference<'_>, key: u32) -> usize {
    let t = inf.orders[key as usize].txn;
    if t == NONE { 0 } else { t as usize }
}

/// Appends of committed transactions that no read shows come after every version read:
/// the writer of each key's last observed element precedes them (ww), and so does every
/// transaction whose external read was the whole observed list (rw). When readers and such
/// appenders are many, the rw edges go through one virtual node per key. Returns how many
/// virtual nodes were used.
fn unobserved(inf: &Inference<'_>, full_readers: &FullReaders, edges: &mut Vec<Edge>) -> u32 {
    let txns = inf.txns;
    // Unobserved committed appends, grouped by key (key, txn), sorted.
    let mut appenders: Vec<(u32, u32)> = Vec::new();
    for t in 0..txns.txns.len() {
        if txns.txns[t].status != TxnStatus::Ok {
            continue;
        }
        for m in txns.ops(t) {
            if m.kind == MopKind::Append && !inf.writers[m.elem as usize].observed {
                appenders.push((m.key, t as u32));
            }
        }
    }
    appenders.sort_unstable();
    appenders.dedup();
    let n = txns.txns.len() as u32;
    let mut virtual_nodes = 0;
    let mut us: Vec<u32> = Vec::new();
    for group in appenders.chunk_by(|a, b| a.0 == b.0) {
        let k = group[0].0;
        us.clear();
        us.extend(group.iter().map(|&(_, t)| t));
        if let Some(&last) = inf.order(k).last()
            && let Some(w) = inf.writer(last)
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
        let rs = full_readers.of(k);
        if rw_fan_out(rs, &us, n + virtual_nodes, edges, |r| {
            us.binary_search(&r).is_ok()
        }) {
            virtual_nodes += 1;
        }
    }
    virtual_nodes
}

/// Per key, the transactions whose external read was the key's whole version order,
/// grouped by key.
struct FullReaders {
    /// Per key, where its readers start in `readers` (transactions in order within a key).
    starts: Vec<u32>,
    readers: Vec<u32>,
}

impl FullReaders {
    fn new(mut pairs: Vec<(u32, u32)>, keys: usize) -> FullReaders {
        pairs.sort_unstable();
        let mut starts = vec![0u32; keys + 1];
        for &(k, _) in &pairs {
            starts[k as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let readers = pairs.iter().map(|&(_, t)| t).collect();
        FullReaders { starts, readers }
    }

    fn of(&self, key: u32) -> &[u32] {
        &self.readers[self.starts[key as usize] as usize..self.starts[key as usize + 1] as usize]
    }
}

/// wr and rw edges from external reads; G1a, G1b, incompatible order, lost update,
/// internal and future reads. Returns, per key, the transactions whose external read was
/// the whole version order.
fn reads(inf: &Inference<'_>, edges: &mut Vec<Edge>, found: &mut Found) -> FullReaders {
    let txns = inf.txns;
    let mut full_readers: Vec<(u32, u32)> = Vec::new();
    // (key, length read) → the first ok transaction that read that prefix and then appended.
    let mut read_then_appended: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let first_failed: Vec<usize> = (0..inf.orders.len() as u32)
        .map(|k| {
            inf.order(k)
                .iter()
                .position(|&v| {
                    inf.writer(v)
                        .is_some_and(|w| inf.status(w.txn) == TxnStatus::Fail)
                })
                .unwrap_or(usize::MAX)
        })
        .collect();
    let mut key_states = Vec::new();
    for (t, txn) in txns.txns.iter().enumerate() {
        if txn.status != TxnStatus::Ok {
            continue;
        }
        let ops = txns.ops(t);
        internal(inf, t, found, &mut key_states);
        for (i, m) in ops.iter().enumerate() {
            if m.kind != MopKind::Read {
                continue;
            }
            let r = txns.list(m);
            let order = inf.order(m.key);
            let external = !ops[..i].iter().any(|p| p.key == m.key);
            // Future read: it holds something this transaction appends only later.
            for later in &ops[i + 1..] {
                if later.kind == MopKind::Append && later.key == m.key && r.contains(&later.elem) {
                    found.add(AnomalyKind::FutureRead, || {
                        simple_anomaly(txns, AnomalyKind::FutureRead, &[t], format!(
                            "T1 read key {} = {}, which holds {}, a value T1 appends only later",
                            txns.key(m.key), inf.text(r), txns.elem(later.elem)
                        ))
                    });
                }
            }
            let compatible = order.len() >= r.len() && order[..r.len()] == *r;
            if !compatible {
                found.add(AnomalyKind::IncompatibleOrder, || {
                    simple_anomaly(txns, AnomalyKind::IncompatibleOrder, &[t, longest_reader(inf, m.key)], format!(
                        "T1 read key {} = {} and T2 read it = {}: neither is a prefix of the other, so no single order of appends gives both",
                        txns.key(m.key), inf.text(r), inf.text(order)
                    ))
                });
            }
            // Aborted read: an element appended by a failed transaction. A compatible read
            // holds one exactly when it reaches past the key's first failed element.
            let suspect = !compatible || first_failed[m.key as usize] < r.len();
            if suspect
                && let Some((v, w)) = r.iter().find_map(|&v| {
                    inf.writer(v)
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
                            "T1 read key {} = {}, which holds {}, appended by T2, which failed",
                            txns.key(m.key),
                            inf.text(r),
                            txns.elem(v)
                        ),
                    )
                });
            }
            if !external || !compatible {
                continue;
            }
            if let Some(&last) = r.last()
                && let Some(w) = inf.writer(last)
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
                            "T1 read key {} = {}, ending with {}, an intermediate state of T2, which appended more to key {} afterwards",
                            txns.key(m.key), inf.text(r), txns.elem(last), txns.key(m.key)
                        ))
                    });
                }
            }
            if r.len() == order.len() {
                full_readers.push((m.key, t as u32));
            }
            if let Some(&next) = order.get(r.len())
                && let Some(w) = inf.writer(next)
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
                            txns.key(m.key), inf.text(r)
                        ))
                    });
                }
            }
        }
    }
    FullReaders::new(full_readers, inf.orders.len())
}

/// Per key a transaction reads or appends to: what its last read showed (if any), and
/// what it appended since.
type KeyState<'v> = (u32, Option<&'v [u32]>, Vec<u32>);

/// Internal consistency: each read of a key the transaction already read or appended to
/// must show exactly that.
/// `state` is scratch space, kept from one transaction to the next so that its buffers
/// are allocated once.
fn internal<'t>(inf: &Inference<'t>, t: usize, found: &mut Found, state: &mut Vec<KeyState<'t>>) {
    let txns = inf.txns;
    let ops = txns.ops(t);
    let repeated = ops
        .iter()
        .enumerate()
        .any(|(i, m)| ops[..i].iter().any(|p| p.key == m.key));
    if !repeated {
        return;
    }
    // The keys of this transaction are `state[..used]`.
    let mut used = 0;
    for m in ops {
        let slot = match state[..used].iter().position(|s| s.0 == m.key) {
            Some(s) => s,
            None => {
                match state.get_mut(used) {
                    Some(s) => {
                        s.0 = m.key;
                        s.1 = None;
                        s.2.clear();
                    }
                    None => state.push((m.key, None, Vec::new())),
                }
                used += 1;
                used - 1
            }
        };
        let (_, known, appended) = &mut state[slot];
        match m.kind {
            MopKind::Append => appended.push(m.elem),
            _ => {
                let r = txns.list(m);
                let ok = match known {
                    Some(prev) => {
                        r.len() == prev.len() + appended.len()
                            && r[..prev.len()] == **prev
                            && r[prev.len()..] == appended[..]
                    }
                    None => {
                        r.len() >= appended.len() && r[r.len() - appended.len()..] == appended[..]
                    }
                };
                if !ok {
                    let expected = match known {
                        Some(prev) => {
                            let mut e: Vec<u32> = prev.to_vec();
                            e.extend_from_slice(appended);
                            inf.text(&e)
                        }
                        None => format!("a list ending in {}", inf.text(appended)),
                    };
                    found.add(AnomalyKind::Internal, || {
                        simple_anomaly(txns, AnomalyKind::Internal, &[t], format!(
                            "T1 read key {} = {}, but its own earlier reads and appends say it must be {expected}",
                            txns.key(m.key), inf.text(r)
                        ))
                    });
                }
                *known = Some(r);
                appended.clear();
            }
        }
    }
}

impl Explain for Inference<'_> {
    fn why(&self, from: usize, to: usize, kind: EdgeKind, a: &str, b: &str) -> Option<String> {
        let txns = self.txns;
        match kind {
            EdgeKind::Ww => txns.ops(to).iter().filter(|m| m.kind == MopKind::Append).find_map(|m| {
                let key = txns.key(m.key);
                let order = self.order(m.key);
                let value = txns.elem(m.elem);
                let Some(i) = order.iter().position(|&v| v == m.elem) else {
                    let &last = order.last()?;
                    return (self.writer(last)?.txn as usize == from).then(|| {
                        format!("{b} appended {value} to key {key}, which no read shows, so after {a}'s {}, the last element read: ww", txns.elem(last))
                    });
                };
                let &prev = order.get(i.checked_sub(1)?)?;
                (self.writer(prev)?.txn as usize == from)
                    .then(|| format!("{b} appended {value} to key {key} right after {a}'s {}: ww", txns.elem(prev)))
            }),
            EdgeKind::Wr => self.external_reads(to).into_iter().find_map(|m| {
                let r = txns.list(m);
                let &last = r.last()?;
                (self.writer(last)?.txn as usize == from).then(|| {
                    format!("{b} read key {} = {}, which ends with {a}'s append of {}: wr", txns.key(m.key), self.text(r), txns.elem(last))
                })
            }),
            EdgeKind::Rw => self.external_reads(from).into_iter().find_map(|m| {
                let (key, r) = (m.key, txns.list(m));
                let order = self.order(key);
                if let Some(&next) = order.get(r.len()) {
                    return (self.writer(next)?.txn as usize == to).then(|| {
                        format!("{a} read key {} = {} without {b}'s append of {}, which comes next: rw", txns.key(key), self.text(r), txns.elem(next))
                    });
                }
                let m = txns.ops(to).iter().find(|m| {
                    m.kind == MopKind::Append && m.key == key && self.writer(m.elem).is_some_and(|w| !w.observed)
                })?;
                Some(format!(
                    "{a} read key {} = {} without {b}'s append of {}, which no read shows and so comes after every element read: rw",
                    txns.key(key), self.text(r), txns.elem(m.elem)
                ))
            }),
            _ => None,
        }
    }
}
