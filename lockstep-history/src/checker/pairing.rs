//! The one pairing of invokes with completions, shared by [`validate`](crate::validate::validate()),
//! every checker and the report.
//!
//! On each process, a completion (`ok`, `fail`, `info`) completes the invoke pending on that
//! process. Order comes from positions in the events slice, never from times. [`Pairer`]
//! walks events one at a time and says what each one did, so [`validate`](crate::validate::validate())
//! can turn the odd cases into errors; [`pair`] collects the operations of a whole history,
//! keeping the odd cases (a completion with nothing pending, an invoke left pending by a
//! second one) so that nothing recorded disappears.

use rustc_hash::FxHashMap;

use crate::event::{Event, Process};

/// What one event did, as seen by [`Pairer::push`]. Positions are in the events slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paired {
    /// An invoke; its process had nothing pending.
    Invoked,
    /// An invoke while the invoke at `pending` was still pending on the same process; that
    /// one stays pending for good.
    Reinvoked {
        /// Position of the invoke left pending.
        pending: usize,
    },
    /// A completion of the invoke at `invoke`.
    Completed {
        /// Position of the invoke it completes.
        invoke: usize,
    },
    /// A completion on a process with nothing pending.
    Orphan,
}

/// Pairs events as they come, per process.
#[derive(Debug, Default)]
pub struct Pairer<'a> {
    pending: FxHashMap<&'a Process, usize>,
}

impl<'a> Pairer<'a> {
    /// A pairer with nothing pending.
    pub fn new() -> Pairer<'a> {
        Pairer::default()
    }

    /// Takes the event at position `pos` and says what it did.
    pub fn push(&mut self, pos: usize, event: &'a Event) -> Paired {
        if event.is_invoke() {
            match self.pending.insert(&event.process, pos) {
                Some(pending) => Paired::Reinvoked { pending },
                None => Paired::Invoked,
            }
        } else {
            match self.pending.remove(&event.process) {
                Some(invoke) => Paired::Completed { invoke },
                None => Paired::Orphan,
            }
        }
    }
}

/// One operation: positions of its invoke and of its completion in the events slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    /// The invoke; `None` for a completion with no pending invoke.
    pub invoke: Option<usize>,
    /// The completion; `None` while the operation never completed.
    pub completion: Option<usize>,
}

impl Pair {
    /// The position of its first event.
    pub fn first(&self) -> usize {
        self.invoke.or(self.completion).unwrap_or(0)
    }
}

/// Every operation of `events`, in the order of its first event, named processes included.
///
/// ```
/// use lockstep_history::checker::pairing::{pair, Pair};
/// use lockstep_history::{Event, EventKind, Process, Value};
///
/// let ev = |index, kind, p| Event {
///     index, time: 0, kind, process: Process::Id(p), f: "read".into(), value: Value::Nil, error: None,
/// };
/// let events = [ev(0, EventKind::Invoke, 0), ev(1, EventKind::Invoke, 1), ev(2, EventKind::Ok, 0)];
/// assert_eq!(pair(&events), [
///     Pair { invoke: Some(0), completion: Some(2) },
///     Pair { invoke: Some(1), completion: None },
/// ]);
/// ```
pub fn pair(events: &[Event]) -> Vec<Pair> {
    let mut ops: Vec<Pair> = Vec::new();
    // Where each pending invoke's operation sits in `ops`.
    let mut op_of: FxHashMap<usize, usize> = FxHashMap::default();
    let mut pairer = Pairer::new();
    for (pos, e) in events.iter().enumerate() {
        match pairer.push(pos, e) {
            Paired::Invoked | Paired::Reinvoked { .. } => {
                op_of.insert(pos, ops.len());
                ops.push(Pair {
                    invoke: Some(pos),
                    completion: None,
                });
            }
            Paired::Completed { invoke } => {
                if let Some(id) = op_of.remove(&invoke) {
                    ops[id].completion = Some(pos);
                }
            }
            Paired::Orphan => ops.push(Pair {
                invoke: None,
                completion: Some(pos),
            }),
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use crate::value::Value;

    fn ev(index: u64, kind: EventKind, process: Process) -> Event {
        Event {
            index,
            time: 0,
            kind,
            process,
            f: "op".into(),
            value: Value::Nil,
            error: None,
        }
    }

    #[test]
    fn pairs_per_process_and_keeps_the_odd_cases() {
        use EventKind::*;
        let p = Process::Id;
        let events = vec![
            ev(0, Invoke, p(0)),
            ev(1, Invoke, p(1)),
            ev(2, Ok, p(1)),
            ev(3, Info, p(0)),
            ev(4, Invoke, p(2)),
            ev(5, Fail, p(3)),
            ev(6, Invoke, p(2)),
            ev(7, Ok, p(2)),
        ];
        let pairs: Vec<_> = pair(&events)
            .iter()
            .map(|o| (o.invoke, o.completion))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (Some(0), Some(3)),
                (Some(1), Some(2)),
                (Some(4), None),
                (None, Some(5)),
                (Some(6), Some(7)),
            ]
        );
    }

    #[test]
    fn the_pairer_names_each_case() {
        use EventKind::*;
        let nemesis = Process::Named("nemesis".into());
        let events = [
            ev(0, Invoke, Process::Id(0)),
            ev(1, Invoke, Process::Id(0)),
            ev(2, Ok, Process::Id(0)),
            ev(3, Ok, Process::Id(0)),
            ev(4, Invoke, nemesis.clone()),
            ev(5, Info, nemesis),
        ];
        let mut pairer = Pairer::new();
        let seen: Vec<_> = events
            .iter()
            .enumerate()
            .map(|(i, e)| pairer.push(i, e))
            .collect();
        assert_eq!(
            seen,
            vec![
                Paired::Invoked,
                Paired::Reinvoked { pending: 0 },
                Paired::Completed { invoke: 1 },
                Paired::Orphan,
                Paired::Invoked,
                Paired::Completed { invoke: 4 },
            ]
        );
    }
}
