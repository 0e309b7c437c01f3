//! Linearizability: preprocessing, then one search per partition on all cores.
//!
//! [`check`] decides whether a history is linearizable against a [`Model`]: [`preprocess`]
//! turns the paired events into the model's operations and partitions, the search
//! (Wing–Gong–Lowe just-in-time linearization, "Testing for linearizability", Lowe 2017,
//! with a memo of configurations, per partition in parallel after Horn and Kroening's
//! P-compositionality) looks for a legal order, and the [`Verdict`] gives a witness order,
//! a [`Counterexample`], or why it stopped early. [`analysis`] turns a verdict into the
//! checker-neutral [`Analysis`](crate::checker::result::Analysis) the report draws.

use std::cmp::Reverse;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

pub mod analysis;
pub mod counterexample;
mod linearized;
mod memo;
pub mod options;
pub mod preprocess;
mod search;
pub mod verdict;

pub use counterexample::{Candidate, CandidateOutcome, Counterexample, DescribedOp, Step};
pub use options::Options;
pub use preprocess::{Operation, Partition, Prepared, prepare};
pub use verdict::{Linearization, PartitionOrder, Unknown, UnknownReason, Verdict};

use crate::checker::budget::Meter;
use crate::checker::error::HistoryError;
use crate::event::Event;
use crate::history::History;
use crate::model::Model;
use search::{Outcome, Search};

impl History {
    /// Checks the events recorded so far for linearizability against `model`, with default
    /// options. See [`check`].
    ///
    /// # Errors
    /// [`HistoryError`] when the history is ill formed or an operation does not fit the model.
    pub fn check<M: Model>(&self, model: &M) -> Result<Verdict, HistoryError> {
        crate::validate::lost_calls(self)?;
        check(&self.events(), model)
    }
}

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
    let meter = Meter::new(&options.budget);
    let parts = &prepared.partitions;
    let mut queue: Vec<usize> = (0..parts.len()).collect();
    queue.sort_by_key(|&p| Reverse(parts[p].ops.len()));
    let outcomes: Vec<Mutex<Option<Outcome>>> = parts.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let worker = || {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= queue.len() || meter.is_settled() {
                break;
            }
            let p = queue[k];
            let search = Search::new(
                model,
                prepared,
                (p, &parts[p]),
                &meter,
                options.witness_states,
            );
            let outcome = search.run();
            if matches!(outcome, Outcome::Violation { .. }) {
                meter.settle();
            }
            meter.partition_done();
            *outcomes[p].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        }
    };
    let threads = options.budget.threads_for(parts.len());
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
            Some(Outcome::Linearizable { order, states }) => orders.push(PartitionOrder {
                key: parts[p].key.clone(),
                order: order
                    .iter()
                    .map(|&i| prepared.operations[i].invoke)
                    .collect(),
                states,
            }),
            // Settled elsewhere or never started: only after a violation, returned above.
            Some(Outcome::Settled) | None => {}
        }
    }
    match unknown {
        Some(u) => Verdict::Unknown(u),
        None => Verdict::Linearizable(Linearization { partitions: orders }),
    }
}
