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

/// One micro-op, borrowing its value from the event.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mop<'a> {
    pub kind: MopKind,
    /// Interned key.
    pub key: u32,
    /// The appended or written value; for a read, what it returned (a list for
    /// list-append, nil when unknown or empty).
    pub value: &'a Value,
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

/// The transactions of a history.
pub(crate) struct Txns<'a> {
    pub events: &'a [Event],
    pub txns: Vec<Txn>,
    pub mops: Vec<Mop<'a>>,
    /// Keys by their interned number.
    pub keys: Vec<&'a Value>,
}

impl<'a> Txns<'a> {
    pub fn ops(&self, t: usize) -> &[Mop<'a>] {
        let txn = &self.txns[t];
        &self.mops[txn.start as usize..txn.end as usize]
    }

    pub fn key(&self, k: u32) -> &'a Value {
        self.keys[k as usize]
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

/// Pairs the events and reads every transaction's micro-ops.
pub(crate) fn read<'a>(events: &'a [Event], workload: Workload) -> Result<Txns<'a>, Error> {
    let mut out = Txns {
        events,
        txns: Vec::new(),
        mops: Vec::new(),
        keys: Vec::new(),
    };
    let mut key_ids: FxHashMap<&'a Value, u32> = FxHashMap::default();
    let mut pending: FxHashMap<&'a Process, usize> = FxHashMap::default();
    // Transactions in invoke order; completions fill them in.
    for (pos, e) in events.iter().enumerate() {
        if e.process.is_named() {
            continue;
        }
        match e.kind {
            EventKind::Invoke => {
                if let Some(&p) = pending.get(&e.process) {
                    return Err(Error::OverlappingInvoke {
                        index: e.index,
                        process: e.process.clone(),
                        pending: out.events[out.txns[p].invoke].index,
                    });
                }
                pending.insert(&e.process, out.txns.len());
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
                let t =
                    pending
                        .remove(&e.process)
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
    for t in 0..out.txns.len() {
        let source = out.txns[t].source;
        let status = out.txns[t].status;
        let start = out.mops.len() as u32;
        parse_mops(&events[source], status, workload, &mut key_ids, &mut out)?;
        out.txns[t].start = start;
        out.txns[t].end = out.mops.len() as u32;
    }
    Ok(out)
}

fn parse_mops<'a>(
    e: &'a Event,
    status: TxnStatus,
    workload: Workload,
    key_ids: &mut FxHashMap<&'a Value, u32>,
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
        let next = key_ids.len() as u32;
        let key = *key_ids.entry(key).or_insert_with(|| {
            out.keys.push(key);
            next
        });
        out.mops.push(Mop { kind, key, value });
    }
    Ok(())
}

/// Whether a value is an EDN scalar (nil, boolean, number, string or keyword).
fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Vector(_) | Value::Map(_) | Value::Set(_))
}
