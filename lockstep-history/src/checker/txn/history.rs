//! From events to transactions: invokes paired with completions, micro-ops read from values.
//!
//! This pairing is the transactional checker's own, kept small until `checker/` has one
//! shared by every checker: per process, an invoke is followed by its completion; an
//! invoke never completed counts as `info`; named processes (a nemesis) are skipped.
//! An ok transaction is read from its completion's value (which carries what reads
//! returned); any other from its invoke's value (what it meant to write).

use rustc_hash::FxHashMap;

use super::Workload;
use super::anomaly::TxnStatus;
use crate::event::{Event, EventKind, Process};
use crate::value::Value;

/// Why a history cannot be checked as transactions. Every variant names the event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A completion on a process with no pending invoke.
    #[error("event {index}: process {process} completes an operation it never invoked")]
    CompletionWithoutInvoke {
        /// Index of the completion.
        index: u64,
        /// Its process.
        process: Process,
    },
    /// An invoke on a process whose previous operation has not completed.
    #[error(
        "event {index}: process {process} invokes while its operation from event {pending} is still pending"
    )]
    OverlappingInvoke {
        /// Index of the second invoke.
        index: u64,
        /// Its process.
        process: Process,
        /// Index of the pending invoke.
        pending: u64,
    },
    /// A transaction's value is not a vector of micro-ops, or one micro-op is malformed.
    #[error("event {index} (process {process}): {problem}")]
    BadMicroOp {
        /// Index of the event whose value is at fault.
        index: u64,
        /// Its process.
        process: Process,
        /// What is wrong, naming the micro-op.
        problem: String,
    },
    /// Two appends (or writes) put the same value into the same key; the analysis needs
    /// every written value to be unique per key to know who wrote what it reads.
    #[error(
        "event {index} (process {process}): {value} is written to key {key} a second time (first at event {first}); values written to a key must be unique"
    )]
    DuplicateWrite {
        /// Index of the event with the second write.
        index: u64,
        /// Its process.
        process: Process,
        /// The key, in EDN.
        key: String,
        /// The value, in EDN.
        value: String,
        /// Index of the event with the first write.
        first: u64,
    },
}

/// What a micro-op does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MopKind {
    Append,
    Read,
    Write,
}

/// One micro-op, its key and values interned as dense numbers.
///
/// Elements are interned per key: element `e` is one value of one key, so two micro-ops
/// name the same value of the same key exactly when they carry the same element number,
/// and the analyses compare and index by integers only. The original values stay in the
/// events, and [`Txns::elem`] finds them for explanations.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mop {
    pub kind: MopKind,
    /// Interned key.
    pub key: u32,
    /// An append or write: the element it writes. A list-append read: where its list
    /// starts in [`Txns::lists`]. A register read: the element read (nil is an element
    /// too).
    pub elem: u32,
    /// A list-append read: how many elements its list holds (0 for nil, and for reads of
    /// transactions that did not commit, whose results are not used). Reads that return
    /// the same list, or a prefix of one, may share its elements.
    pub len: u32,
}

/// One transaction.
#[derive(Clone, Debug)]
pub(crate) struct Txn {
    /// Position of its invoke in the events.
    pub invoke: usize,
    /// Position of its completion, if any.
    pub completion: Option<usize>,
    pub status: TxnStatus,
    /// Position of the event its micro-ops were read from.
    pub source: usize,
    /// Its micro-ops: `mops[start..end]`.
    pub start: u32,
    pub end: u32,
}

/// The transactions of a history, in flat arrays indexed by transaction, micro-op, key and
/// element number.
pub(crate) struct Txns<'a> {
    pub events: &'a [Event],
    pub txns: Vec<Txn>,
    pub mops: Vec<Mop>,
    /// The elements of every list-append read, one after another.
    pub lists: Vec<u32>,
    /// Keys by their interned number.
    pub keys: Vec<&'a Value>,
    /// Element values by their interned number.
    pub elems: Vec<&'a Value>,
}

impl<'a> Txns<'a> {
    pub fn ops(&self, t: usize) -> &[Mop] {
        let txn = &self.txns[t];
        &self.mops[txn.start as usize..txn.end as usize]
    }

    pub fn key(&self, k: u32) -> &'a Value {
        self.keys[k as usize]
    }

    /// The value of an element.
    pub fn elem(&self, e: u32) -> &'a Value {
        self.elems[e as usize]
    }

    /// The elements a list-append read returned.
    pub fn list(&self, m: &Mop) -> &[u32] {
        &self.lists[m.elem as usize..(m.elem + m.len) as usize]
    }

    pub fn process(&self, t: usize) -> &'a Process {
        &self.events[self.txns[t].invoke].process
    }

    /// The event index of the transaction's invoke (what messages name).
    pub fn index(&self, t: usize) -> u64 {
        self.events[self.txns[t].invoke].index
    }

    /// The event index of the event its micro-ops came from.
    pub fn source_index(&self, t: usize) -> u64 {
        self.events[self.txns[t].source].index
    }
}

/// Dense numbers for keys and for each key's values, given once when first seen.
///
/// Integers (by far the usual keys and values) are hashed as plain integers; other values
/// through their own hash. An integer of either variant goes to an integer table, so
/// values that compare equal always get one number. A key's first [`INLINE`] values that
/// fit in 32 bits are kept beside the key, in one small array that a lookup scans: most
/// keys have few values and those in flight stay in cache, so most lookups never touch a
/// large table; a key's later values go to a table keyed by key and value packed in one
/// `u64`.
///
/// A list-append read is mostly a prefix of the longest read of its key seen so far, so
/// each key remembers that read (its values, and where its elements are in
/// [`Txns::lists`]): a read's common prefix with it is compared value by value (cheap, and
/// in cache for the keys in flight) and shared, and only the elements past it are looked
/// up.
#[derive(Default)]
struct Interner<'a> {
    int_keys: FxHashMap<i64, u32>,
    other_keys: FxHashMap<&'a Value, u32>,
    /// Per key: its first small integer values and their elements.
    inline: Vec<Inline>,
    packed_elems: FxHashMap<u64, u32>,
    int_elems: FxHashMap<(u32, i64), u32>,
    other_elems: FxHashMap<(u32, &'a Value), u32>,
    /// Per key: its longest list-append read so far, and where its elements start in
    /// [`Txns::lists`].
    longest: Vec<(&'a [Value], u32)>,
}

/// How many small integer values of a key are kept beside it.
const INLINE: usize = 8;

/// A key's first small integer values (`values[..len]`) and their elements. Once full,
/// the key's later values go to the packed table; values never leave, so each value of a
/// key is in exactly one of the two.
#[derive(Clone, Copy, Default)]
struct Inline {
    len: u32,
    values: [i32; INLINE],
    elems: [u32; INLINE],
}

/// An integer value as an `i64`, when it is one.
fn small_int(v: &Value) -> Option<i64> {
    match *v {
        Value::Int(i) => Some(i),
        Value::UInt(u) => i64::try_from(u).ok(),
        _ => None,
    }
}

impl<'a> Interner<'a> {
    fn key(&mut self, v: &'a Value, keys: &mut Vec<&'a Value>) -> u32 {
        let next = keys.len() as u32;
        let id = match small_int(v) {
            Some(i) => *self.int_keys.entry(i).or_insert(next),
            None => *self.other_keys.entry(v).or_insert(next),
        };
        if id == next {
            keys.push(v);
            self.longest.push((&[], 0));
            self.inline.push(Inline::default());
        }
        id
    }

    fn elem(&mut self, key: u32, v: &'a Value, elems: &mut Vec<&'a Value>) -> u32 {
        let next = elems.len() as u32;
        let id = match small_int(v) {
            Some(i) => match i32::try_from(i) {
                Ok(small) => {
                    let near = &mut self.inline[key as usize];
                    let len = near.len as usize;
                    if let Some(j) = near.values[..len].iter().position(|&x| x == small) {
                        near.elems[j]
                    } else if len < INLINE {
                        near.values[len] = small;
                        near.elems[len] = next;
                        near.len += 1;
                        next
                    } else {
                        *self
                            .packed_elems
                            .entry(u64::from(key) << 32 | u64::from(small as u32))
                            .or_insert(next)
                    }
                }
                Err(_) => *self.int_elems.entry((key, i)).or_insert(next),
            },
            None => *self.other_elems.entry((key, v)).or_insert(next),
        };
        if id == next {
            elems.push(v);
        }
        id
    }

    /// Interns the list a read of `key` returned; returns where its elements are in
    /// `lists` and how many there are.
    fn list(
        &mut self,
        key: u32,
        read: &'a [Value],
        lists: &mut Vec<u32>,
        elems: &mut Vec<&'a Value>,
    ) -> (u32, u32) {
        let (known, known_start) = self.longest[key as usize];
        let common = read.iter().zip(known).take_while(|(a, b)| a == b).count();
        if common == read.len() {
            return (known_start, common as u32);
        }
        let start = lists.len() as u32;
        lists.extend_from_within(known_start as usize..known_start as usize + common);
        for v in &read[common..] {
            let e = self.elem(key, v, elems);
            lists.push(e);
        }
        if read.len() > known.len() {
            self.longest[key as usize] = (read, start);
        }
        (start, read.len() as u32)
    }
}

/// Pairs the events and reads every transaction's micro-ops.
pub(crate) fn read<'a>(events: &'a [Event], workload: Workload) -> Result<Txns<'a>, Error> {
    let mut out = Txns {
        events,
        txns: Vec::new(),
        mops: Vec::new(),
        lists: Vec::new(),
        keys: Vec::new(),
        elems: Vec::new(),
    };
    let mut pending: FxHashMap<u64, usize> = FxHashMap::default();
    // Transactions in invoke order; completions fill them in.
    for (pos, e) in events.iter().enumerate() {
        let Process::Id(process) = e.process else {
            continue;
        };
        match e.kind {
            EventKind::Invoke => {
                if let Some(&p) = pending.get(&process) {
                    return Err(Error::OverlappingInvoke {
                        index: e.index,
                        process: e.process.clone(),
                        pending: out.events[out.txns[p].invoke].index,
                    });
                }
                pending.insert(process, out.txns.len());
                out.txns.push(Txn {
                    invoke: pos,
                    completion: None,
                    status: TxnStatus::Info,
                    source: pos,
                    start: 0,
                    end: 0,
                });
            }
            kind => {
                let t = pending
                    .remove(&process)
                    .ok_or_else(|| Error::CompletionWithoutInvoke {
                        index: e.index,
                        process: e.process.clone(),
                    })?;
                let txn = &mut out.txns[t];
                txn.completion = Some(pos);
                txn.status = match kind {
                    EventKind::Ok => TxnStatus::Ok,
                    EventKind::Fail => TxnStatus::Fail,
                    _ => TxnStatus::Info,
                };
                if kind == EventKind::Ok {
                    txn.source = pos;
                }
            }
        }
    }
    drop(pending);
    let mut interner = Interner::default();
    out.mops.reserve(out.txns.len() * 4);
    for t in 0..out.txns.len() {
        let source = out.txns[t].source;
        let status = out.txns[t].status;
        let start = out.mops.len() as u32;
        parse_mops(&events[source], status, workload, &mut interner, &mut out)?;
        out.txns[t].start = start;
        out.txns[t].end = out.mops.len() as u32;
    }
    out.mops.shrink_to_fit();
    out.lists.shrink_to_fit();
    Ok(out)
}

fn parse_mops<'a>(
    e: &'a Event,
    status: TxnStatus,
    workload: Workload,
    interner: &mut Interner<'a>,
    out: &mut Txns<'a>,
) -> Result<(), Error> {
    let bad = |problem: String| Error::BadMicroOp {
        index: e.index,
        process: e.process.clone(),
        problem,
    };
    let Some(ops) = e.value.as_slice() else {
        return Err(bad(format!(
            "a transaction's value must be a vector of micro-ops, not {}",
            e.value
        )));
    };
    for (i, op) in ops.iter().enumerate() {
        let parts = op.as_slice().filter(|p| p.len() == 3).ok_or_else(|| {
            bad(format!(
                "micro-op {i} must be a vector [f key value], not {op}"
            ))
        })?;
        let kind = match parts[0].as_name() {
            Some("append") if workload == Workload::ListAppend => MopKind::Append,
            Some("w") if workload == Workload::RwRegister => MopKind::Write,
            Some("r") => MopKind::Read,
            _ => {
                let expected = match workload {
                    Workload::ListAppend => ":append or :r",
                    Workload::RwRegister => ":w or :r",
                };
                return Err(bad(format!(
                    "micro-op {i} {op}: its function must be {expected} for {workload}"
                )));
            }
        };
        let key = &parts[1];
        if !is_scalar(key) {
            return Err(bad(format!(
                "micro-op {i} {op}: a key must be a scalar, not {key}"
            )));
        }
        let value = &parts[2];
        match kind {
            MopKind::Append | MopKind::Write
                if !is_scalar(value) || value.is_nil() && kind == MopKind::Append =>
            {
                return Err(bad(format!(
                    "micro-op {i} {op}: the value written must be a scalar, not {value}"
                )));
            }
            MopKind::Read if status == TxnStatus::Ok => match workload {
                Workload::ListAppend => {
                    if !value.is_nil() && value.as_slice().is_none() {
                        return Err(bad(format!(
                            "micro-op {i} {op}: a list-append read returns a vector or nil, not {value}"
                        )));
                    }
                }
                Workload::RwRegister => {
                    if !is_scalar(value) {
                        return Err(bad(format!(
                            "micro-op {i} {op}: a register read returns a scalar or nil, not {value}"
                        )));
                    }
                }
            },
            _ => {}
        }
        let key = interner.key(key, &mut out.keys);
        let (elem, len) = match (kind, workload) {
            (MopKind::Read, Workload::ListAppend) if status == TxnStatus::Ok => {
                let read = value.as_slice().unwrap_or_default();
                interner.list(key, read, &mut out.lists, &mut out.elems)
            }
            (MopKind::Read, Workload::ListAppend) => (0, 0),
            _ => (interner.elem(key, value, &mut out.elems), 0),
        };
        out.mops.push(Mop {
            kind,
            key,
            elem,
            len,
        });
    }
    Ok(())
}

/// Whether a value is an EDN scalar (nil, boolean, number, string or keyword).
fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Vector(_) | Value::Map(_) | Value::Set(_))
}
