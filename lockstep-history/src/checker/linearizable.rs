//! Linearizability: preprocessing, then one search per partition on all cores.

use std::cmp::Reverse;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use super::counterexample;
use super::options::Options;
use super::preprocess::{HistoryError, Prepared, prepare};
use super::search::{Limits, Outcome, search};
use super::verdict::{Linearization, PartitionOrder, Unknown, Verdict};
use crate::event::Event;
use crate::model::Model;

/// Checks `events` against `model` with default [`Options`].
///
/// ```
/// use lockstep_history::checker::linearizable;
/// use lockstep_history::model::CasRegister;
/// use lockstep_history::History;
///
/// let h = History::new();
/// h.op("write", 1, || ());
/// h.op("cas", (1, 2), || true);
/// h.op("read", (), || 2);
/// assert!(linearizable::check(&h.events(), &CasRegister::new(0)).unwrap().is_linearizable());
/// ```
///
/// # Errors
/// [`HistoryError`] when the history is ill formed or an operation does not fit the model.
pub fn check<M: Model>(events: &[Event], model: &M) -> Result<Verdict, HistoryError> {
    check_with(events, model, &Options::default())
}

/// Checks `events` against `model` with `options`.
///
/// A built-in FIFO queue, stack or set ([`Model::collection`]) is checked by the
/// polynomial [`super::collections`] checker, which falls back to the search by itself
/// where it cannot decide; [`Options::general_search`] always uses the search.
///
/// # Errors
/// [`HistoryError`] when the history is ill formed or an operation does not fit the model.
pub fn check_with<M: Model>(
    events: &[Event],
    model: &M,
    options: &Options,
) -> Result<Verdict, HistoryError> {
    if !options.general_search
        && let Some(collection) = model.collection()
    {
        return super::collections::check(events, collection, options).map(|c| c.verdict);
    }
    let prepared = prepare(events, model, options.knossos_nil_reads)?;
    Ok(check_prepared(&prepared, model, options))
}

/// Checks a history already [`prepare`]d for `model`. Partitions are searched in parallel,
/// largest first; the first violation found stops the others.
pub fn check_prepared<M: Model>(
    prepared: &Prepared<M::Op>,
    model: &M,
    options: &Options,
) -> Verdict {
    let started = Instant::now();
    let memory = AtomicUsize::new(0);
    let cancel = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let parts = &prepared.partitions;
    let limits = Limits {
        started,
        deadline: options.time_limit.map(|t| (started + t, t)),
        memory_limit: options.memory_limit,
        memory: &memory,
        cancel: &cancel,
        progress: options.progress.as_ref(),
        partitions: parts.len(),
        partitions_done: &done,
    };
    let mut queue: Vec<usize> = (0..parts.len()).collect();
    queue.sort_by_key(|&p| Reverse(parts[p].ops.len()));
    let outcomes: Vec<Mutex<Option<Outcome>>> = parts.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let worker = || {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= queue.len() || cancel.load(Ordering::Relaxed) {
                break;
            }
            let p = queue[k];
            let outcome = search(model, prepared, (p, &parts[p]), &limits);
            if matches!(outcome, Outcome::Violation { .. }) {
                cancel.store(true, Ordering::Relaxed);
            }
            done.fetch_add(1, Ordering::Relaxed);
            *outcomes[p].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        }
    };
    let threads = options
        .threads
        .unwrap_or_else(|| thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, parts.len().max(1));
    if threads == 1 {
        worker();
    } else {
        thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(worker);
            }
        });
    }

    let outcomes: Vec<Option<Outcome>> = outcomes
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect();
    let mut unknown = None;
    let mut orders = Vec::with_capacity(parts.len());
    for (p, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Some(Outcome::Violation { prefix, blocked }) => {
                return Verdict::NotLinearizable(Box::new(counterexample::build(
                    model, prepared, &parts[p], &prefix, blocked,
                )));
            }
            Some(Outcome::Unknown { reason, deepest }) => {
                unknown.get_or_insert(Unknown {
                    reason,
                    partition: parts[p].key.clone(),
                    deepest,
                    ops: parts[p].ops.len(),
                });
            }
            Some(Outcome::Linearizable(order)) => orders.push(PartitionOrder {
                key: parts[p].key.clone(),
                order: order
                    .iter()
                    .map(|&i| prepared.operations[i].invoke)
                    .collect(),
            }),
            // Cancelled or never started: only after a violation, returned above.
            Some(Outcome::Cancelled) | None => {}
        }
    }
    match unknown {
        Some(u) => Verdict::Unknown(u),
        None => Verdict::Linearizable(Linearization { partitions: orders }),
    }
}
