//! The search for one partition: Wing–Gong–Lowe just-in-time linearization.
//!
//! Ordinary (ok) operations sit in a doubly linked list of call and return entries in event
//! order. Scanning from the front, any call before the first return may be linearized next,
//! if the model allows it from the current state and the resulting configuration (set of
//! linearized operations, state) has not been explored before. Reaching a return means that
//! operation should already be linearized: the search then tries the crashed operations
//! invoked before that return, then backtracks. Linearized entries are unlinked and relinked
//! on backtracking (dancing links). Once every ok operation is linearized the history is
//! linearizable: remaining crashed operations simply never took effect.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use super::linearized::{LinearizedSet, Undo};
use super::memo::{Interner, Memo};
use super::options::{Progress, ProgressFn};
use super::preprocess::{Partition, Prepared};
use super::verdict::UnknownReason;
use crate::model::Model;

/// What stops a search early, shared by all partitions of one check.
pub(crate) struct Limits<'a> {
    pub(crate) started: Instant,
    pub(crate) deadline: Option<(Instant, std::time::Duration)>,
    pub(crate) memory_limit: Option<usize>,
    /// Bytes held by all searches' tables.
    pub(crate) memory: &'a AtomicUsize,
    /// Set when another partition found a violation.
    pub(crate) cancel: &'a AtomicBool,
    pub(crate) progress: Option<&'a ProgressFn>,
    pub(crate) partitions: usize,
    pub(crate) partitions_done: &'a AtomicUsize,
}

/// How the search of one partition ended. Operations are positions in
/// [`Prepared::operations`].
pub(crate) enum Outcome {
    Linearizable(Vec<usize>),
    Violation {
        prefix: Vec<usize>,
        blocked: usize,
    },
    Unknown {
        reason: UnknownReason,
        deepest: usize,
    },
    Cancelled,
}

/// Where the scan for the next candidate stands.
#[derive(Clone, Copy)]
enum Cursor {
    /// At this entry of the list.
    List(u32),
    /// At this crashed operation (counted from the first crashed one), considering those
    /// invoked before event `bound`.
    Crashed { at: u32, bound: u64 },
}

struct Frame {
    op: u32,
    prev_state: u32,
    resume: Cursor,
    undo: Undo,
}

/// The deepest point where the search got stuck, kept cheaply: `seq` shares its first
/// `shared` entries with the current stack, so recording copies only what changed.
struct Deepest {
    seq: Vec<u32>,
    shared: usize,
    /// The operation whose return was reached there; meaningful once `recorded`.
    blocked: u32,
    recorded: bool,
}

/// Call and return entries of the ok operations in event order, as a ring through a head
/// entry 0: entry `2i + 1` is operation `i`'s call, `2i + 2` its return.
struct EntryList {
    next: Vec<u32>,
    prev: Vec<u32>,
}

impl EntryList {
    /// The list for operations with these (invoke, return) event indices.
    fn new(ops: impl Iterator<Item = (u64, u64)>) -> EntryList {
        let mut order: Vec<(u64, u32)> = Vec::new();
        for (i, (call, ret)) in ops.enumerate() {
            order.push((call, 2 * i as u32 + 1));
            order.push((ret, 2 * i as u32 + 2));
        }
        order.sort_unstable();
        let mut list = EntryList {
            next: vec![0; order.len() + 1],
            prev: vec![0; order.len() + 1],
        };
        let mut last = 0;
        for &(_, e) in &order {
            list.next[last as usize] = e;
            list.prev[e as usize] = last;
            last = e;
        }
        list.next[last as usize] = 0;
        list.prev[0] = last;
        list
    }

    fn first(&self) -> u32 {
        self.next[0]
    }

    fn next(&self, e: u32) -> u32 {
        self.next[e as usize]
    }

    fn unlink(&mut self, op: u32) {
        for e in [2 * op as usize + 1, 2 * op as usize + 2] {
            self.next[self.prev[e] as usize] = self.next[e];
            self.prev[self.next[e] as usize] = self.prev[e];
        }
    }

    /// Undoes [`Self::unlink`] of the operation unlinked last.
    fn relink(&mut self, op: u32) {
        for e in [2 * op as usize + 2, 2 * op as usize + 1] {
            self.prev[self.next[e] as usize] = e as u32;
            self.next[self.prev[e] as usize] = e as u32;
        }
    }
}

/// Searches one partition for a linearization.
pub(crate) fn search<M: Model>(
    model: &M,
    prepared: &Prepared<M::Op>,
    partition: (usize, &Partition),
    limits: &Limits<'_>,
) -> Outcome {
    let (part_index, part) = partition;
    let operations = &prepared.operations;
    // Local numbering: ok operations first, then crashed ones, each in invoke order.
    let (mut local, crashed): (Vec<usize>, Vec<usize>) =
        part.ops.iter().partition(|&&g| !operations[g].is_crashed());
    let n_ok = local.len();
    local.extend(crashed);
    let n = local.len();
    let crashed_call: Vec<u64> = local[n_ok..]
        .iter()
        .map(|&g| operations[g].invoke)
        .collect();

    let ret_event: Vec<u64> = local[..n_ok]
        .iter()
        .map(|&g| operations[g].complete.unwrap_or(u64::MAX))
        .collect();
    let invokes = local[..n_ok].iter().map(|&g| operations[g].invoke);
    let mut list = EntryList::new(invokes.zip(ret_event.iter().copied()));

    let mut states = Interner::new();
    let mut memo = Memo::new();
    let mut current = states.intern(model.init());
    let mut set = LinearizedSet::new(n_ok, n);
    let mut remaining = n_ok;
    let mut frames: Vec<Frame> = Vec::new();
    let mut deepest = Deepest {
        seq: Vec::new(),
        shared: 0,
        blocked: 0,
        recorded: false,
    };
    let mut cursor = Cursor::List(list.first());
    let mut ticks: u32 = 0;
    let mut last_progress = limits.started.elapsed();
    let mut reported_bytes = 0usize;

    let result = loop {
        if remaining == 0 {
            break Outcome::Linearizable(frames.iter().map(|f| local[f.op as usize]).collect());
        }
        ticks = ticks.wrapping_add(1);
        if ticks & 0x3ff == 0 {
            // Account memory, check limits, report progress.
            let bytes = memo.bytes() + states.bytes() + set.bytes() + frames.capacity() * 24;
            let total = if bytes >= reported_bytes {
                limits
                    .memory
                    .fetch_add(bytes - reported_bytes, Ordering::Relaxed)
                    + bytes
                    - reported_bytes
            } else {
                limits
                    .memory
                    .fetch_sub(reported_bytes - bytes, Ordering::Relaxed)
                    + bytes
                    - reported_bytes
            };
            reported_bytes = bytes;
            if limits.cancel.load(Ordering::Relaxed) {
                break Outcome::Cancelled;
            }
            let stop = if let Some(limit) = limits.memory_limit.filter(|&l| total > l) {
                Some(UnknownReason::MemoryLimit(limit))
            } else {
                match limits.deadline {
                    Some((at, limit)) if Instant::now() >= at => {
                        Some(UnknownReason::TimeLimit(limit))
                    }
                    _ => None,
                }
            };
            if let Some(reason) = stop {
                break Outcome::Unknown {
                    reason,
                    deepest: deepest.seq.len().max(frames.len()),
                };
            }
            if let Some(progress) = limits.progress {
                let elapsed = limits.started.elapsed();
                if (elapsed - last_progress).as_millis() >= 100 {
                    last_progress = elapsed;
                    progress(&Progress {
                        partition: part_index,
                        partitions: limits.partitions,
                        partitions_done: limits.partitions_done.load(Ordering::Relaxed),
                        ops: n,
                        linearized: frames.len(),
                        deepest: deepest.seq.len().max(frames.len()),
                        configurations: memo.len(),
                        elapsed,
                    });
                }
            }
        }

        // The next candidate, and where to continue after it.
        let (candidate, resume) = match cursor {
            Cursor::List(e) if e % 2 == 1 => ((e - 1) / 2, Cursor::List(list.next(e))),
            Cursor::List(e) => {
                // A return: that operation must come before anything later. Remember the
                // deepest such point for the counterexample, then try crashed operations.
                let blocked = (e - 2) / 2;
                if !deepest.recorded || frames.len() > deepest.seq.len() {
                    deepest.seq.truncate(deepest.shared);
                    deepest
                        .seq
                        .extend(frames[deepest.shared..].iter().map(|f| f.op));
                    deepest.shared = frames.len();
                    deepest.blocked = blocked;
                    deepest.recorded = true;
                }
                cursor = Cursor::Crashed {
                    at: 0,
                    bound: ret_event[blocked as usize],
                };
                continue;
            }
            Cursor::Crashed { at, bound } => {
                let mut j = at as usize;
                while j < crashed_call.len()
                    && crashed_call[j] < bound
                    && set.contains((n_ok + j) as u32)
                {
                    j += 1;
                }
                if j < crashed_call.len() && crashed_call[j] < bound {
                    (
                        (n_ok + j) as u32,
                        Cursor::Crashed {
                            at: j as u32 + 1,
                            bound,
                        },
                    )
                } else {
                    // Every candidate failed here: backtrack.
                    // (The scan only gets here after reaching a return, so `deepest` is
                    // recorded.)
                    let Some(frame) = frames.pop() else {
                        break Outcome::Violation {
                            prefix: deepest.seq.iter().map(|&i| local[i as usize]).collect(),
                            blocked: local[deepest.blocked as usize],
                        };
                    };
                    deepest.shared = deepest.shared.min(frames.len());
                    let i = frame.op;
                    set.remove(i, frame.undo);
                    if (i as usize) < n_ok {
                        remaining += 1;
                        list.relink(i);
                    }
                    current = frame.prev_state;
                    cursor = frame.resume;
                    continue;
                }
            }
        };

        let op = &prepared.ops[local[candidate as usize]];
        let Ok(state) = model.step(states.get(current), op) else {
            cursor = resume;
            continue;
        };
        let state = states.intern(state);
        let i = candidate;
        let undo = set.insert(i);
        let fresh = memo.insert(&set.config(state));
        if fresh {
            if (i as usize) < n_ok {
                remaining -= 1;
                list.unlink(i);
            }
            frames.push(Frame {
                op: i,
                prev_state: current,
                resume,
                undo,
            });
            current = state;
            cursor = Cursor::List(list.first());
        } else {
            set.remove(i, undo);
            cursor = resume;
        }
    };
    limits.memory.fetch_sub(reported_bytes, Ordering::Relaxed);
    result
}
