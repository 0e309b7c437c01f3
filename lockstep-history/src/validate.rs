//! Well-formedness of a history: what must hold before a history can be checked.

use rustc_hash::FxHashMap;

use crate::checker::pairing::{Paired, Pairer};
use crate::event::{Event, EventKind, Process};
use crate::history::{History, LostCall};

/// A way in which a history is not well formed, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// Event indices must be dense and increasing: the event at `position` has another index.
    #[error("event at position {position} has index {index}, expected {position}")]
    IndexOutOfOrder {
        /// Position of the event in the list.
        position: usize,
        /// The index it carries.
        index: u64,
    },
    /// A completion arrived on a process with no pending invoke.
    #[error("event {index}: process {process} completes `{f}` ({kind}) but has no pending invoke")]
    CompletionWithoutInvoke {
        /// Index of the completion.
        index: u64,
        /// Its process.
        process: Process,
        /// Its operation.
        f: String,
        /// ok, fail or info.
        kind: EventKind,
    },
    /// A process invoked a second operation while its first was still pending.
    #[error(
        "event {index}: process {process} invokes `{f}` while its invoke at event {pending} is still pending"
    )]
    InvokeWhilePending {
        /// Index of the second invoke.
        index: u64,
        /// Its process.
        process: Process,
        /// Its operation.
        f: String,
        /// Index of the invoke that is still pending.
        pending: u64,
    },
    /// A completion names a different operation than the invoke it completes.
    #[error(
        "event {index}: process {process} completes `{completed}` but invoked `{invoked}` at event {invoke}"
    )]
    MismatchedCompletion {
        /// Index of the completion.
        index: u64,
        /// Its process.
        process: Process,
        /// The invoke's index.
        invoke: u64,
        /// The invoke's operation.
        invoked: String,
        /// The completion's operation.
        completed: String,
    },
    /// A process invoked again after one of its operations ended in `info`; a process whose
    /// outcome is unknown must continue under a new process number.
    #[error(
        "event {index}: process {process} invokes again after its operation ended in info at event {crashed}"
    )]
    InvokeAfterInfo {
        /// Index of the later invoke.
        index: u64,
        /// Its process.
        process: Process,
        /// Index of the info.
        crashed: u64,
    },
    /// Recorded calls ran with no history installed while this history was open: operations
    /// that happened but are missing from it (see [`History::lost_calls`](crate::History::lost_calls)).
    #[error(
        "{count} recorded calls ran outside any history while it was open (the first: {first}): \
         carry it into every thread and task that calls recorded code \
         (`lockstep_history::spawn`, `bind`, `in_history`), or run calls that are not part of \
         the test in `lockstep_history::unrecorded`"
    )]
    LostCalls {
        /// How many calls were not recorded.
        count: u64,
        /// The first of them: which function, on which thread.
        first: LostCall,
    },
}

/// `Ok` when no recorded call was lost while `history` was open, else
/// [`ValidationError::LostCalls`].
///
/// # Errors
/// [`ValidationError::LostCalls`] when [`History::lost_calls`] is not zero.
pub fn lost_calls(history: &History) -> Result<(), ValidationError> {
    match (history.lost_calls(), history.first_lost_call()) {
        (0, _) | (_, None) => Ok(()),
        (count, Some(first)) => Err(ValidationError::LostCalls {
            count,
            first: first.clone(),
        }),
    }
}

/// Checks that `events` is a well-formed history: indices dense from 0 in list order; on
/// each client process, invokes and completions alternate, a completion names its invoke's
/// `f`, and no invoke follows an `info`. Named processes (a nemesis) are not checked. An
/// invoke still pending at the end is fine: it counts as `info`. Invokes are paired with
/// completions by the checkers' one [`Pairer`].
///
/// # Errors
/// The first problem, in event order.
pub fn validate(events: &[Event]) -> Result<(), ValidationError> {
    let mut pairer = Pairer::new();
    let mut crashed: FxHashMap<&Process, u64> = FxHashMap::default();
    for (position, e) in events.iter().enumerate() {
        if e.index != position as u64 {
            return Err(ValidationError::IndexOutOfOrder {
                position,
                index: e.index,
            });
        }
        if e.process.is_named() {
            continue;
        }
        if let Some(&crashed) = crashed.get(&e.process) {
            return Err(match e.kind {
                EventKind::Invoke => ValidationError::InvokeAfterInfo {
                    index: e.index,
                    process: e.process.clone(),
                    crashed,
                },
                kind => ValidationError::CompletionWithoutInvoke {
                    index: e.index,
                    process: e.process.clone(),
                    f: e.f.to_string(),
                    kind,
                },
            });
        }
        match pairer.push(position, e) {
            Paired::Invoked => {}
            Paired::Reinvoked { pending } => {
                return Err(ValidationError::InvokeWhilePending {
                    index: e.index,
                    process: e.process.clone(),
                    f: e.f.to_string(),
                    pending: events[pending].index,
                });
            }
            Paired::Completed { invoke } => {
                let invoke = &events[invoke];
                if invoke.f != e.f {
                    return Err(ValidationError::MismatchedCompletion {
                        index: e.index,
                        process: e.process.clone(),
                        invoke: invoke.index,
                        invoked: invoke.f.to_string(),
                        completed: e.f.to_string(),
                    });
                }
                if e.kind == EventKind::Info {
                    crashed.insert(&e.process, e.index);
                }
            }
            Paired::Orphan => {
                return Err(ValidationError::CompletionWithoutInvoke {
                    index: e.index,
                    process: e.process.clone(),
                    f: e.f.to_string(),
                    kind: e.kind,
                });
            }
        }
    }
    Ok(())
}

impl History {
    /// Checks that the history is well formed: dense indices, each process alternating
    /// invoke and completion, completions naming their invoke's `f`, no process invoking
    /// after an `info`. Misuse of the recorder shows up here rather than as a panic.
    ///
    /// # Errors
    /// The first problem found, with the event index and process.
    pub fn validate(&self) -> Result<(), ValidationError> {
        lost_calls(self)?;
        validate(&self.events())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn ev(index: u64, kind: EventKind, process: u64, f: &'static str) -> Event {
        Event {
            index,
            time: 0,
            kind,
            process: Process::Id(process),
            f: f.into(),
            value: Value::Nil,
            error: None,
        }
    }
    use EventKind::*;

    #[test]
    fn well_formed_with_pending_tail_and_nemesis() {
        let mut nemesis = ev(2, Info, 0, "start");
        nemesis.process = Process::Named("nemesis".into());
        let events = [
            ev(0, Invoke, 0, "w"),
            ev(1, Ok, 0, "w"),
            nemesis,
            ev(3, Invoke, 1, "r"),
        ];
        assert!(validate(&events).is_ok());
    }

    #[test]
    fn each_misuse_has_its_error() {
        assert!(matches!(
            validate(&[ev(0, Ok, 0, "w")]),
            Err(ValidationError::CompletionWithoutInvoke { index: 0, .. })
        ));
        assert!(matches!(
            validate(&[ev(0, Invoke, 0, "w"), ev(1, Invoke, 0, "r")]),
            Err(ValidationError::InvokeWhilePending {
                index: 1,
                pending: 0,
                ..
            })
        ));
        assert!(matches!(
            validate(&[ev(0, Invoke, 0, "w"), ev(1, Ok, 0, "r")]),
            Err(ValidationError::MismatchedCompletion {
                index: 1,
                invoke: 0,
                ..
            })
        ));
        assert!(matches!(
            validate(&[
                ev(0, Invoke, 3, "w"),
                ev(1, Info, 3, "w"),
                ev(2, Invoke, 3, "w")
            ]),
            Err(ValidationError::InvokeAfterInfo {
                index: 2,
                crashed: 1,
                ..
            })
        ));
        assert!(matches!(
            validate(&[ev(1, Invoke, 0, "w")]),
            Err(ValidationError::IndexOutOfOrder {
                position: 0,
                index: 1
            })
        ));
    }

    #[test]
    fn messages_name_the_event_and_process() {
        let err = validate(&[ev(0, Invoke, 2, "w"), ev(1, Invoke, 2, "r")]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "event 1: process 2 invokes `r` while its invoke at event 0 is still pending"
        );
    }
}
