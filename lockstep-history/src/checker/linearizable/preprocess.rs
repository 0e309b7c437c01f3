//! Preprocessing: from events to the operations the search works on.
//!
//! Invokes are paired with their completions by the shared [`pair`]; `fail` ops are dropped (they did
//! not happen); `info` ops and invokes never completed become crashed ops that may take
//! effect at any point after their invoke, or never; named processes (a nemesis) are
//! skipped. Order comes from event indices, never from times.

use rustc_hash::FxHashMap;

use serde::Serialize;

use crate::checker::error::HistoryError;
use crate::checker::pairing::pair;
use crate::event::{Event, EventKind, Process};
use crate::model::{BadOp, Model, RawOp};
use crate::validate::validate;
use crate::value::Value;

/// One client operation of a history: its invoke paired with its completion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Operation {
    /// Index of the invoke event.
    pub invoke: u64,
    /// Index of the ok or info event; `None` if it never completed.
    pub complete: Option<u64>,
    /// The process that performed it.
    pub process: Process,
    /// Its name.
    pub f: String,
    /// The invoke's value.
    pub input: Value,
    /// The ok's value; `None` when the outcome is unknown (info or never completed).
    pub output: Option<Value>,
}

impl Operation {
    /// Whether the outcome is unknown (info, or never completed).
    pub fn is_crashed(&self) -> bool {
        self.output.is_none()
    }
}

/// Operations that interact with each other: checked together, apart from other partitions.
#[derive(Clone, Debug, PartialEq)]
pub struct Partition {
    /// The model's key for it; `None` for an unpartitioned model.
    pub key: Option<Value>,
    /// Positions in [`Prepared::operations`], in invoke order.
    pub ops: Vec<usize>,
}

/// A history ready for the search.
#[derive(Clone, Debug)]
pub struct Prepared<O> {
    /// Every kept operation, in invoke order.
    pub operations: Vec<Operation>,
    /// The model's form of each operation, parallel to `operations`.
    pub ops: Vec<O>,
    /// The partitions, in the order of their first operation.
    pub partitions: Vec<Partition>,
    /// Operations dropped: failed ones, and crashed ones that change nothing.
    pub dropped: usize,
}

/// Pairs, filters and parses the events of a history for `model`.
///
/// # Errors
/// [`HistoryError::IllFormed`] for a history that [`validate`] rejects;
/// [`HistoryError::BadOp`] for an operation the model cannot parse.
pub fn prepare<M: Model>(
    events: &[Event],
    model: &M,
    knossos_nil_reads: bool,
) -> Result<Prepared<M::Op>, HistoryError> {
    let mut prepared = Prepared {
        operations: Vec::new(),
        ops: Vec::new(),
        partitions: Vec::new(),
        dropped: 0,
    };
    let mut partition_of: FxHashMap<Option<Value>, usize> = FxHashMap::default();
    for recorded in recorded(events)? {
        let Some(recorded) = recorded else {
            prepared.dropped += 1;
            continue;
        };
        let op = model
            .prepare(&recorded.raw(knossos_nil_reads))
            .map_err(|reason| recorded.bad_op(reason))?;
        if recorded.output.is_none() && model.is_read_only(&op) {
            prepared.dropped += 1;
            continue;
        }
        let key = model.partition(&op);
        let next = prepared.partitions.len();
        let part = *partition_of.entry(key.clone()).or_insert(next);
        if part == next {
            prepared.partitions.push(Partition {
                key,
                ops: Vec::new(),
            });
        }
        prepared.partitions[part]
            .ops
            .push(prepared.operations.len());
        prepared.operations.push(recorded.operation());
        prepared.ops.push(op);
    }
    Ok(prepared)
}

/// One client operation as the history recorded it, borrowed from the events: what
/// [`prepare`] parses and keeps. A checker that reads values in place (the collections
/// checker for sets, whose reads can list a million elements) walks these instead, and
/// keeps the same operations at the same positions as [`prepare`] when it drops the same
/// crashed read-only ones.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Recorded<'e> {
    /// The invoke.
    pub invoke: &'e Event,
    /// The ok or info event; `None` if it never completed.
    pub done: Option<&'e Event>,
    /// The ok's value; `None` when the outcome is unknown (info or never completed).
    pub output: Option<&'e Value>,
}

impl<'e> Recorded<'e> {
    /// What the model parses.
    pub fn raw(&self, knossos_nil_reads: bool) -> RawOp<'e> {
        RawOp {
            f: &self.invoke.f,
            input: &self.invoke.value,
            output: self.output,
            knossos_nil_reads,
        }
    }

    /// The error for an operation the model cannot parse, naming its invoke.
    pub fn bad_op(&self, reason: BadOp) -> HistoryError {
        HistoryError::BadOp {
            index: self.invoke.index,
            process: self.invoke.process.clone(),
            f: self.invoke.f.to_string(),
            reason,
        }
    }

    /// Index of the ok or info event, if it completed.
    pub fn complete(&self) -> Option<u64> {
        self.done.map(|c| c.index)
    }

    /// The operation, its values copied.
    pub fn operation(&self) -> Operation {
        Operation {
            invoke: self.invoke.index,
            complete: self.complete(),
            process: self.invoke.process.clone(),
            f: self.invoke.f.to_string(),
            input: self.invoke.value.clone(),
            output: self.output.cloned(),
        }
    }
}

/// Validates `events` and walks its client operations in the order of their invoke (named
/// processes skipped): `None` for one that failed (it did not happen), else its events.
///
/// # Errors
/// [`HistoryError::IllFormed`] for a history that [`validate`] rejects.
pub(crate) fn recorded(
    events: &[Event],
) -> Result<impl Iterator<Item = Option<Recorded<'_>>>, HistoryError> {
    validate(events)?;
    Ok(pair(events).into_iter().filter_map(|op| {
        // Validated: every client operation starts with its invoke.
        let invoke = &events[op.invoke?];
        if invoke.process.is_named() {
            return None;
        }
        let done = op.completion.map(|c| &events[c]);
        Some(match done.map(|c| c.kind) {
            Some(EventKind::Fail) => None,
            Some(EventKind::Ok) => Some(Recorded {
                invoke,
                done,
                output: done.map(|c| &c.value),
            }),
            _ => Some(Recorded {
                invoke,
                done,
                output: None,
            }),
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CasRegister, Kv};
    use crate::validate::ValidationError;

    fn ev(kind: EventKind, process: Process, f: &'static str, value: Value) -> Event {
        Event {
            index: 0,
            time: 0,
            kind,
            process,
            f: f.into(),
            value,
            error: None,
        }
    }

    fn numbered(mut events: Vec<Event>) -> Vec<Event> {
        for (i, e) in events.iter_mut().enumerate() {
            e.index = i as u64;
        }
        events
    }

    #[test]
    fn pairs_drops_fails_and_skips_nemesis() {
        use EventKind::*;
        let p = Process::Id;
        let nemesis = Process::Named("nemesis".into());
        let events = numbered(vec![
            ev(Invoke, p(0), "write", Value::Int(1)),
            ev(Invoke, p(1), "write", Value::Int(2)),
            ev(Info, nemesis.clone(), "start", Value::Nil),
            ev(Fail, p(1), "write", Value::Int(2)),
            ev(Info, p(0), "write", Value::Int(1)),
            ev(Invoke, p(2), "read", Value::Nil),
            ev(Ok, p(2), "read", Value::Int(1)),
            ev(Invoke, p(3), "read", Value::Nil),
            ev(Invoke, p(4), "write", Value::Int(3)),
        ]);
        let prepared = prepare(&events, &CasRegister::new(0), false).unwrap();
        let summary: Vec<_> = prepared
            .operations
            .iter()
            .map(|o| (o.invoke, o.complete, o.output.clone()))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, Some(4), None),
                (5, Some(6), Some(Value::Int(1))),
                (8, None, None)
            ]
        );
        // The failed write and the crashed read are dropped.
        assert_eq!(prepared.dropped, 2);
        assert_eq!(prepared.partitions.len(), 1);
    }

    #[test]
    fn bad_ops_name_their_event() {
        use EventKind::*;
        let events = numbered(vec![
            ev(Invoke, Process::Id(0), "write", Value::Int(1)),
            ev(Invoke, Process::Id(7), "cas", Value::Int(1)),
        ]);
        let err = prepare(&events, &CasRegister::new(0), false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "event 1: process 7 `cas`: a cas's value must be [expected new], got 1"
        );
    }

    #[test]
    fn ill_formed_histories_are_rejected() {
        use EventKind::*;
        let events = numbered(vec![ev(Ok, Process::Id(0), "write", Value::Int(1))]);
        assert!(matches!(
            prepare(&events, &CasRegister::new(0), false),
            Err(HistoryError::IllFormed(
                ValidationError::CompletionWithoutInvoke { index: 0, .. }
            ))
        ));
    }

    #[test]
    fn keyed_models_partition_by_key() {
        use EventKind::*;
        let kv = |k: i64, v: i64| Value::Vector(vec![Value::Int(k), Value::Int(v)]);
        let events = numbered(vec![
            ev(Invoke, Process::Id(0), "write", kv(1, 5)),
            ev(Invoke, Process::Id(1), "write", kv(2, 5)),
            ev(Ok, Process::Id(0), "write", kv(1, 5)),
            ev(Invoke, Process::Id(0), "write", kv(1, 6)),
        ]);
        let prepared = prepare(&events, &Kv::new(0), false).unwrap();
        let parts: Vec<_> = prepared
            .partitions
            .iter()
            .map(|p| (p.key.clone(), p.ops.clone()))
            .collect();
        assert_eq!(
            parts,
            vec![
                (Some(Value::Int(1)), vec![0, 2]),
                (Some(Value::Int(2)), vec![1])
            ]
        );
    }
}
