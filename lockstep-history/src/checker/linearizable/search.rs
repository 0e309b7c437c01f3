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

use rustc_hash::FxHashMap;

use super::linearized::{LinearizedSet, Undo};
use super::memo::{Interner, Memo};
use super::preprocess::{Partition, Prepared};
use crate::checker::budget::{Account, Meter, Progress, Stop, Tables, UnknownReason};
use crate::checker::result::OpStates;
use crate::model::Model;

/// How the search of one partition ended. Operations are positions in
/// [`Prepared::operations`].
pub(crate) enum Outcome {
    /// The witness order, and the model states around each step when asked for.
    Linearizable {
        order: Vec<usize>,
        states: Vec<OpStates>,
    },
    Violation {
        prefix: Vec<usize>,
        blocked: usize,
    },
    Unknown {
        reason: UnknownReason,
        deepest: usize,
    },
    /// Another partition settled the answer first.
    Settled,
}

/// What trying the next candidate did.
enum Tried {
    /// It was taken: a new configuration is entered.
    Entered,
    /// It does not fit here; try the one after it.
    Rejected,
    /// No candidate is left here (or a forced one failed): backtrack.
    Exhausted,
    /// The budget ran out.
    Stopped(Stop),
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

/// The search of one partition, as a machine: [`Search::enter`] a configuration, try its
/// candidates one by one ([`Search::try_next`]), [`Search::backtrack`] when none is left.
/// Operations are numbered locally: ok ones `0..n_ok`, then crashed ones, each in invoke
/// order.
pub(crate) struct Search<'a, M: Model> {
    model: &'a M,
    meter: &'a Meter<'a>,
    account: Account,
    /// The partition's position among all, for progress.
    part_index: usize,
    partitions: usize,
    /// Prepared operation of each local one.
    ops: Vec<&'a M::Op>,
    /// Position in [`Prepared::operations`] of each local operation.
    local: Vec<usize>,
    n_ok: usize,
    /// Invoke event of each crashed operation (indexed from `n_ok`).
    crashed_call: Vec<u64>,
    /// Return event of each ok operation.
    ret_event: Vec<u64>,
    /// Sort key of ok candidates: read-only first, then by return.
    order_key: Vec<u64>,
    /// Class of equal operations of each local operation.
    class: Vec<u32>,
    /// The crashed members of each class, linearized in invoke order: `taken[c]` of them
    /// are in, and the next one is `crashed_members[c][taken[c]]`.
    crashed_members: Vec<Vec<u32>>,
    crashed_classes: Vec<u32>,
    taken: Vec<u32>,
    /// `listed[c] == stamp` when class `c` has an ok candidate in the current list.
    listed: Vec<u32>,
    stamp: u32,
    list: EntryList,
    states: Interner<M::State>,
    memo: Memo,
    current: u32,
    set: LinearizedSet,
    /// Ok operations not yet linearized.
    remaining: usize,
    frames: Vec<Frame>,
    deepest: Deepest,
    /// The candidates of the current configuration, in the order to try them.
    candidates: Vec<u32>,
    /// The next one to try.
    next: u32,
    ticks: u32,
    witness_states: bool,
}

impl<'a, M: Model> Search<'a, M> {
    /// A search of partition `part_index`, `part`, of `prepared`.
    pub(crate) fn new(
        model: &'a M,
        prepared: &'a Prepared<M::Op>,
        (part_index, part): (usize, &Partition),
        meter: &'a Meter<'a>,
        witness_states: bool,
    ) -> Self {
        let operations = &prepared.operations;
        let (mut local, crashed): (Vec<usize>, Vec<usize>) =
            part.ops.iter().partition(|&&g| !operations[g].is_crashed());
        let n_ok = local.len();
        local.extend(crashed);
        let n = local.len();
        let ops: Vec<&M::Op> = local.iter().map(|&g| &prepared.ops[g]).collect();
        let crashed_call = local[n_ok..]
            .iter()
            .map(|&g| operations[g].invoke)
            .collect();
        let ret_event: Vec<u64> = local[..n_ok]
            .iter()
            .map(|&g| operations[g].complete.unwrap_or(u64::MAX))
            .collect();
        let order_key = (0..n_ok)
            .map(|i| {
                let writes = !model.is_read_only(ops[i]);
                (u64::from(writes) << 63) | ret_event[i]
            })
            .collect();
        let mut class_of_op: FxHashMap<&M::Op, u32> = FxHashMap::default();
        let class: Vec<u32> = ops
            .iter()
            .map(|&op| {
                let next = class_of_op.len() as u32;
                *class_of_op.entry(op).or_insert(next)
            })
            .collect();
        let classes = class_of_op.len();
        drop(class_of_op);
        let mut crashed_members: Vec<Vec<u32>> = vec![Vec::new(); classes];
        let mut crashed_classes = Vec::new();
        for i in n_ok..n {
            let members = &mut crashed_members[class[i] as usize];
            if members.is_empty() {
                crashed_classes.push(class[i]);
            }
            members.push(i as u32);
        }
        let invokes = local[..n_ok].iter().map(|&g| operations[g].invoke);
        let list = EntryList::new(invokes.zip(ret_event.iter().copied()));
        let mut states = Interner::new();
        let current = states.intern(model.init());
        Search {
            model,
            meter,
            account: Account::default(),
            part_index,
            partitions: prepared.partitions.len(),
            ops,
            local,
            n_ok,
            crashed_call,
            ret_event,
            order_key,
            class,
            crashed_members,
            crashed_classes,
            taken: vec![0; classes],
            listed: vec![0; classes],
            stamp: 0,
            list,
            states,
            memo: Memo::new(),
            current,
            set: LinearizedSet::new(n_ok, n),
            remaining: n_ok,
            frames: Vec::new(),
            deepest: Deepest {
                seq: Vec::new(),
                shared: 0,
                blocked: 0,
                recorded: false,
            },
            candidates: Vec::new(),
            next: 0,
            ticks: 0,
            witness_states,
        }
    }

    /// Searches to the end, or until the budget stops it.
    pub(crate) fn run(mut self) -> Outcome {
        let outcome = self.search();
        self.meter.release(std::mem::take(&mut self.account));
        if matches!(outcome, Outcome::Unknown { .. }) {
            // Tables that filled a limit can take a second or more to free (millions of
            // small allocations, such as the model's states): free them on a thread of their own so the verdict comes
            // back when the limit says.
            let tables = (
                std::mem::replace(&mut self.states, Interner::new()),
                std::mem::replace(&mut self.memo, Memo::new()),
                std::mem::replace(&mut self.set, LinearizedSet::new(0, 0)),
            );
            // If no thread can be started, the tables are freed here, by the failed spawn.
            let _detached = std::thread::Builder::new()
                .name("lockstep-free".into())
                .spawn(move || drop(tables));
        }
        outcome
    }

    fn search(&mut self) -> Outcome {
        if let Some(done) = self.enter() {
            return done;
        }
        loop {
            self.ticks = self.ticks.wrapping_add(1);
            if self.ticks & 0x3ff == 0 {
                self.report();
                if let Some(stop) = self.checkpoint() {
                    return self.stopped(stop);
                }
            }
            match self.try_next() {
                Tried::Entered => {
                    if let Some(done) = self.enter() {
                        return done;
                    }
                }
                Tried::Rejected => self.next += 1,
                Tried::Exhausted => {
                    if !self.backtrack() {
                        // `deepest` is recorded: every configuration entered records first.
                        return Outcome::Violation {
                            prefix: self.deepest.seq.iter().map(|&i| self.global(i)).collect(),
                            blocked: self.global(self.deepest.blocked),
                        };
                    }
                }
                Tried::Stopped(stop) => return self.stopped(stop),
            }
        }
    }

    fn global(&self, i: u32) -> usize {
        self.local[i as usize]
    }

    fn is_ok(&self, i: u32) -> bool {
        (i as usize) < self.n_ok
    }

    fn stopped(&self, stop: Stop) -> Outcome {
        match stop {
            Stop::Settled => Outcome::Settled,
            Stop::Limit(reason) => Outcome::Unknown {
                reason,
                deepest: self.deepest_len(),
            },
        }
    }

    fn deepest_len(&self) -> usize {
        self.deepest.seq.len().max(self.frames.len())
    }

    /// Enters the configuration just reached: done if every ok operation is in; otherwise
    /// gathers its candidates and remembers it if it is the deepest yet.
    fn enter(&mut self) -> Option<Outcome> {
        if self.remaining == 0 {
            return Some(self.linearized());
        }
        let blocked = self.gather();
        let deepest = &mut self.deepest;
        if !deepest.recorded || self.frames.len() > deepest.seq.len() {
            deepest.seq.truncate(deepest.shared);
            deepest
                .seq
                .extend(self.frames[deepest.shared..].iter().map(|f| f.op));
            deepest.shared = self.frames.len();
            deepest.blocked = blocked;
            deepest.recorded = true;
        }
        self.next = 0;
        None
    }

    /// The witness: the operations on the stack, with the states around each if asked.
    fn linearized(&self) -> Outcome {
        let order = self.frames.iter().map(|f| self.global(f.op)).collect();
        let mut states = Vec::new();
        if self.witness_states {
            // `skip`, not `[1..]`: nothing may be on the stack (every operation crashed).
            let afters = self
                .frames
                .iter()
                .skip(1)
                .map(|f| f.prev_state)
                .chain([self.current]);
            for (frame, after) in self.frames.iter().zip(afters) {
                states.push(OpStates {
                    before: self.model.describe_state(self.states.get(frame.prev_state)),
                    after: self.model.describe_state(self.states.get(after)),
                });
            }
        }
        Outcome::Linearizable { order, states }
    }

    /// Collects the candidates of the current configuration in the order to try them, one
    /// per class: ok ones, then crashed ones invoked before the blocking operation returned.
    /// Returns the blocking operation.
    fn gather(&mut self) -> u32 {
        self.candidates.clear();
        let mut e = self.list.first();
        while e % 2 == 1 {
            self.candidates.push((e - 1) / 2);
            e = self.list.next(e);
        }
        let order_key = &self.order_key;
        self.candidates
            .sort_unstable_by_key(|&i| order_key[i as usize]);
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.listed.fill(0);
            self.stamp = 1;
        }
        let (listed, class, stamp) = (&mut self.listed, &self.class, self.stamp);
        self.candidates.retain(|&i| {
            let c = &mut listed[class[i as usize] as usize];
            let first = *c != stamp;
            *c = stamp;
            first
        });
        let blocked = (e - 2) / 2;
        let bound = self.ret_event[blocked as usize];
        let ok = self.candidates.len();
        for &c in &self.crashed_classes {
            let next = self.crashed_members[c as usize].get(self.taken[c as usize] as usize);
            if let Some(&i) = next.filter(|&&i| {
                self.listed[c as usize] != stamp
                    && self.crashed_call[i as usize - self.n_ok] < bound
            }) {
                self.candidates.push(i);
            }
        }
        self.candidates[ok..].sort_unstable();
        blocked
    }

    /// Tries the next candidate of the current configuration.
    fn try_next(&mut self) -> Tried {
        let Some(i) = self.candidates.get(self.next as usize).copied() else {
            return Tried::Exhausted;
        };
        // A growing table can take long and much memory: ask the budget first.
        if (self.memo.grows_next() || self.states.grows_next())
            && let Some(stop) = self.checkpoint()
        {
            return Tried::Stopped(stop);
        }
        let forced = self.is_ok(i) && self.order_key[i as usize] >> 63 == 0;
        let step = self
            .model
            .step(self.states.get(self.current), self.ops[i as usize]);
        // A crashed operation that would leave the state as it is gains nothing: it can
        // still be linearized later, or never.
        let Some(state) = step
            .ok()
            .map(|state| self.states.intern(state))
            .filter(|&s| self.is_ok(i) || s != self.current)
        else {
            return Tried::Rejected;
        };
        let undo = self.set.insert(i);
        if !self.memo.insert(&self.set.config(state)) {
            self.set.remove(i, undo);
            // A legal read-only step into an explored (so failed) configuration: this
            // configuration fails too.
            return if forced {
                Tried::Exhausted
            } else {
                Tried::Rejected
            };
        }
        if self.is_ok(i) {
            self.remaining -= 1;
            self.list.unlink(i);
        } else {
            self.taken[self.class[i as usize] as usize] += 1;
        }
        self.frames.push(Frame {
            op: i,
            prev_state: self.current,
            undo,
            from: self.next,
            forced,
        });
        self.current = state;
        Tried::Entered
    }

    /// Goes back to the last choice point; false when there is none (a violation).
    fn backtrack(&mut self) -> bool {
        while let Some(frame) = self.frames.pop() {
            self.deepest.shared = self.deepest.shared.min(self.frames.len());
            let i = frame.op;
            self.set.remove(i, frame.undo);
            if self.is_ok(i) {
                self.remaining += 1;
                self.list.relink(i);
            } else {
                self.taken[self.class[i as usize] as usize] -= 1;
            }
            self.current = frame.prev_state;
            if !frame.forced {
                self.gather();
                self.next = frame.from + 1;
                return true;
            }
        }
        false
    }

    /// Tells the budget how big the tables are, and says whether to stop.
    fn checkpoint(&mut self) -> Option<Stop> {
        let memo = self.memo.tables();
        let states = self.states.tables();
        let others = self.set.bytes() + 2 * self.frames.capacity() * std::mem::size_of::<Frame>();
        let tables = Tables {
            held: memo.held + states.held + others,
            peak: memo.peak + states.peak + others,
        };
        self.meter.checkpoint(&mut self.account, tables)
    }

    /// Reports progress, at most ten times a second.
    fn report(&self) {
        self.meter.report(|elapsed| Progress {
            partition: self.part_index,
            partitions: self.partitions,
            partitions_done: self.meter.partitions_done(),
            ops: self.local.len(),
            linearized: self.frames.len(),
            deepest: self.deepest_len(),
            configurations: self.memo.len(),
            elapsed,
        });
    }
}
