//! The search for one partition: Wing–Gong–Lowe just-in-time linearization.
//!
//! Ordinary (ok) operations sit in a doubly linked list of call and return entries in event
//! order; linearized ones are unlinked, and relinked on backtracking (dancing links). The
//! candidates to linearize next are the operations invoked before the first return still in
//! the list (the *blocking* operation, which must be linearized before anything invoked
//! after it returned). They are tried in this order:
//!
//! 1. read-only operations (the model's [`Model::is_read_only`]), earliest return first. One
//!    that is legal is linearized without a choice point: moving a read that leaves the state
//!    alone to the front of any valid completion keeps it valid, so if that fails, so does
//!    every alternative;
//! 2. the other ok operations, earliest return first (just in time: the blocking one first);
//! 3. crashed operations invoked before the blocking one returned, in invoke order.
//!
//! Among candidates whose prepared operations are equal, only the one returning first is
//! tried (an ok one before any crashed one; among crashed ones, which never return, the
//! earliest invoked): exchanging two equal operations in any valid completion keeps it
//! valid, so the others add nothing.
//!
//! A step is taken if the model allows it and the new configuration (linearized set, state)
//! was never explored; a crashed operation is not taken where it would leave the state as
//! it is (the configuration without it offers everything the one with it does). Once every ok operation is linearized the history is linearizable:
//! remaining crashed operations simply never took effect.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use rustc_hash::FxHashMap;

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

impl Limits<'_> {
    /// Accounts this search's tables (`bytes`, of which `reported` were counted before) and
    /// says whether to stop: `Some(None)` when cancelled, `Some(Some(reason))` at a limit.
    fn checkpoint(&self, bytes: usize, reported: &mut usize) -> Option<Option<UnknownReason>> {
        let total = if bytes >= *reported {
            self.memory.fetch_add(bytes - *reported, Ordering::Relaxed) + (bytes - *reported)
        } else {
            self.memory.fetch_sub(*reported - bytes, Ordering::Relaxed) - (*reported - bytes)
        };
        *reported = bytes;
        if self.cancel.load(Ordering::Relaxed) {
            return Some(None);
        }
        if let Some(limit) = self.memory_limit.filter(|&limit| total > limit) {
            return Some(Some(UnknownReason::MemoryLimit(limit)));
        }
        match self.deadline {
            Some((at, limit)) if Instant::now() >= at => {
                Some(Some(UnknownReason::TimeLimit(limit)))
            }
            _ => None,
        }
    }
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

struct Frame {
    op: u32,
    prev_state: u32,
    undo: Undo,
    /// The position in the candidate list this step was taken from.
    from: u32,
    /// Taken without a choice point (a legal read-only operation): backtracking passes
    /// through it.
    forced: bool,
}

/// The deepest point where the search got stuck, kept cheaply: `seq` shares its first
/// `shared` entries with the current stack, so recording copies only what changed.
struct Deepest {
    seq: Vec<u32>,
    shared: usize,
    /// The blocking operation there; meaningful once `recorded`.
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
    // Sort key of ok candidates: read-only first, then by return.
    let order_key: Vec<u64> = (0..n_ok)
        .map(|i| {
            let writes = !model.is_read_only(&prepared.ops[local[i]]);
            (u64::from(writes) << 63) | ret_event[i]
        })
        .collect();
    // Classes of equal operations. The crashed members of a class are linearized in invoke
    // order, so `taken[c]` of them are in and the next one is `crashed_members[c][taken[c]]`.
    let mut class_of_op: FxHashMap<&M::Op, u32> = FxHashMap::default();
    let class: Vec<u32> = local
        .iter()
        .map(|&g| {
            let next = class_of_op.len() as u32;
            *class_of_op.entry(&prepared.ops[g]).or_insert(next)
        })
        .collect();
    let classes = class_of_op.len();
    drop(class_of_op);
    let mut crashed_members: Vec<Vec<u32>> = vec![Vec::new(); classes];
    let mut crashed_classes: Vec<u32> = Vec::new();
    for i in n_ok..n {
        let members = &mut crashed_members[class[i] as usize];
        if members.is_empty() {
            crashed_classes.push(class[i]);
        }
        members.push(i as u32);
    }
    let mut taken = vec![0u32; classes];
    // `listed[c] == stamp` when class `c` has an ok candidate in the current list.
    let mut listed = vec![0u32; classes];
    let mut stamp = 0u32;
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
    let mut candidates: Vec<u32> = Vec::new();
    let mut ticks: u32 = 0;
    let mut last_progress: Option<std::time::Duration> = None;
    let mut reported_bytes = 0usize;

    // The candidates of the current configuration in the order to try them, one per class:
    // ok ones, then crashed ones invoked before the blocking operation returned; and the
    // blocking operation.
    let gather = |list: &EntryList,
                  taken: &[u32],
                  candidates: &mut Vec<u32>,
                  listed: &mut [u32],
                  stamp: &mut u32| {
        candidates.clear();
        let mut e = list.first();
        while e % 2 == 1 {
            candidates.push((e - 1) / 2);
            e = list.next(e);
        }
        candidates.sort_unstable_by_key(|&i| order_key[i as usize]);
        *stamp = stamp.wrapping_add(1);
        if *stamp == 0 {
            listed.fill(0);
            *stamp = 1;
        }
        candidates.retain(|&i| {
            let c = &mut listed[class[i as usize] as usize];
            let first = *c != *stamp;
            *c = *stamp;
            first
        });
        let blocked = (e - 2) / 2;
        let bound = ret_event[blocked as usize];
        let ok = candidates.len();
        for &c in &crashed_classes {
            let next = crashed_members[c as usize].get(taken[c as usize] as usize);
            if let Some(&i) = next.filter(|&&i| {
                listed[c as usize] != *stamp && crashed_call[i as usize - n_ok] < bound
            }) {
                candidates.push(i);
            }
        }
        candidates[ok..].sort_unstable();
        blocked
    };

    let mut entering = true;
    let mut next = 0u32;
    let result = 'search: loop {
        if entering {
            entering = false;
            if remaining == 0 {
                break Outcome::Linearizable(frames.iter().map(|f| local[f.op as usize]).collect());
            }
            let blocked = gather(&list, &taken, &mut candidates, &mut listed, &mut stamp);
            if !deepest.recorded || frames.len() > deepest.seq.len() {
                deepest.seq.truncate(deepest.shared);
                deepest
                    .seq
                    .extend(frames[deepest.shared..].iter().map(|f| f.op));
                deepest.shared = frames.len();
                deepest.blocked = blocked;
                deepest.recorded = true;
            }
            next = 0;
        }

        ticks = ticks.wrapping_add(1);
        if ticks & 0x3ff == 0 {
            let bytes = memo.peak_bytes()
                + states.peak_bytes()
                + set.bytes()
                + frames.capacity() * 2 * std::mem::size_of::<Frame>();
            let deepest_len = deepest.seq.len().max(frames.len());
            if let Some(stop) = limits.checkpoint(bytes, &mut reported_bytes) {
                break stop.map_or(Outcome::Cancelled, |reason| Outcome::Unknown {
                    reason,
                    deepest: deepest_len,
                });
            }
            if let Some(progress) = limits.progress {
                let elapsed = limits.started.elapsed();
                if last_progress.is_none_or(|last| (elapsed - last).as_millis() >= 100) {
                    last_progress = Some(elapsed);
                    progress(&Progress {
                        partition: part_index,
                        partitions: limits.partitions,
                        partitions_done: limits.partitions_done.load(Ordering::Relaxed),
                        ops: n,
                        linearized: frames.len(),
                        deepest: deepest_len,
                        configurations: memo.len(),
                        elapsed,
                    });
                }
            }
        }

        // The next candidate, if any is left here.
        let candidate = candidates.get(next as usize).copied();
        let mut failed_here = candidate.is_none();
        if let Some(i) = candidate {
            let forced = (i as usize) < n_ok && order_key[i as usize] >> 63 == 0;
            let step = model.step(states.get(current), &prepared.ops[local[i as usize]]);
            // A crashed operation that would leave the state as it is gains nothing: it can
            // still be linearized later, or never.
            let step = step.map(|state| states.intern(state));
            if let Some(state) = step.ok().filter(|&s| (i as usize) < n_ok || s != current) {
                let undo = set.insert(i);
                if memo.insert(&set.config(state)) {
                    if (i as usize) < n_ok {
                        remaining -= 1;
                        list.unlink(i);
                    } else {
                        taken[class[i as usize] as usize] += 1;
                    }
                    frames.push(Frame {
                        op: i,
                        prev_state: current,
                        undo,
                        from: next,
                        forced,
                    });
                    current = state;
                    entering = true;
                    continue;
                }
                set.remove(i, undo);
                // A legal read-only step into an explored (so failed) configuration: this
                // configuration fails too.
                failed_here = forced;
            }
            if !failed_here {
                next += 1;
                continue;
            }
        }

        // Backtrack to the last choice point.
        loop {
            let Some(frame) = frames.pop() else {
                // `deepest` is recorded: every configuration entered records first.
                break 'search Outcome::Violation {
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
            } else {
                taken[class[i as usize] as usize] -= 1;
            }
            current = frame.prev_state;
            if !frame.forced {
                gather(&list, &taken, &mut candidates, &mut listed, &mut stamp);
                next = frame.from + 1;
                break;
            }
        }
    };
    limits.memory.fetch_sub(reported_bytes, Ordering::Relaxed);
    result
}
