//! A quick yes for the small, complete history of one iteration.
//!
//! Almost every iteration of an exploration records a few dozen events, every operation
//! completed with `ok`, and the history is linearizable. The full checker
//! ([`crate::checker::linearizable`]) prepares such a history for every case it handles
//! (crashed operations, named processes, partitions, counterexamples) and, for the
//! collection models, runs a polynomial pass: most of the cost of an iteration's check is
//! that setup. This module instead looks for one linearization directly, with the search of
//! Wing and Gong (J. M. Wing and C. Gong, "Testing and verifying concurrent objects", JPDC
//! 17(1), 1993), remembering the configurations already tried as Lowe does (G. Lowe,
//! "Testing for linearizability", Concurrency and Computation 29(4), 2017).
//!
//! The property it relies on is the definition of linearizability: a history of completed
//! operations is linearizable exactly when some order of its operations that keeps real-time
//! order (an operation that completed before another was invoked comes first) is a legal
//! sequential run of the model from its initial state. The search places operations one at
//! a time, each one chosen among those not yet placed whose invoke precedes the earliest
//! completion of the others, and steps the model; a configuration (operations placed, model
//! state) reached before is not explored again, as it was explored to the end without
//! finding an order (it cannot be on the current path: every step places one more
//! operation).
//!
//! Any model is searched by stepping it ([`Model::step`], here); the built-in [`Stack`]
//! (named by [`Model::collection`]) is searched without it (`stack`): its states are stacks
//! of small value numbers kept in one array, changed in place and changed back when the
//! search goes back, so the check of an iteration allocates nothing until it remembers
//! configurations.
//!
//! Only a yes is taken from here: when the search finds an order, the history is
//! linearizable (the order is a witness, which the tests check step by step). In every
//! other case (a history it does not cover, no order found, a search that grows too long)
//! the full checker decides, so a failure is reported with the full checker's
//! counterexample and analysis.
//!
//! [`Stack`]: crate::model::Stack

use rustc_hash::FxHashSet;

use crate::event::{Event, EventKind, Process};
use crate::model::{Collection, Model, RawOp};

mod stack;
#[cfg(test)]
mod tests;

/// Operations in a history this module checks at most (a bit set of them fits a `u64`).
const MAX_OPS: usize = 64;

/// Steps tried before leaving the history to the full checker.
const MAX_STEPS: usize = 20_000;

/// Steps per operation after which the search remembers configurations: most histories
/// are settled in fewer, with a little going back, and remembering every configuration
/// would cost more than it saves.
const REMEMBER_AFTER: usize = 4;

/// Whether an order of the operations of `events` that keeps real-time order is a legal run
/// of `model`. `false` means "not shown here": the history is outside what this module
/// covers, or no order was found within [`MAX_STEPS`].
pub(crate) fn linearizes<M: Model + ?Sized>(events: &[Event], model: &M) -> bool {
    order(events, model, REMEMBER_AFTER).is_some()
}

/// A linearization of `events` for `model`, if one is found: [`linearizes`] with the
/// witness, remembering configurations after `remember_after` steps per operation.
fn order<M: Model + ?Sized>(events: &[Event], model: &M, remember_after: usize) -> Option<Order> {
    let mut shape = Shape::EMPTY;
    if model.collection() == Some(Collection::Stack) {
        // The stack's operations are read in the same pass as the shape.
        let mut search = stack::StackSearch::new();
        if !shape.read(events, |i, invoke, ok| search.read(events, i, invoke, ok)) {
            return None;
        }
        return search.run(&shape, remember_after);
    }
    if !shape.read(events, |_, _, _| true) {
        return None;
    }
    let ops = shape.prepare(events, model)?;
    Search::new(model, &shape, &ops).run(remember_after)
}

/// An order of the operations (their places in completion order), first to last. Only
/// the tests read it, to check each witness step by step; exploration needs the yes.
#[cfg_attr(not(test), allow(dead_code))]
struct Order {
    len: usize,
    at: [u8; MAX_OPS],
}

impl Order {
    /// The operations placed one after the other along a search's path.
    fn of_path(chosen: &[u8]) -> Order {
        let mut order = Order {
            len: chosen.len(),
            at: [0; MAX_OPS],
        };
        order.at[..chosen.len()].copy_from_slice(chosen);
        order
    }

    /// The operations' places in completion order, first to last.
    #[cfg(test)]
    fn as_slice(&self) -> &[u8] {
        &self.at[..self.len]
    }
}

/// The operations of a history this module covers, in the order they completed: well
/// formed (dense indices, each client process alternating an invoke and an `ok` of the same
/// `f`), every operation completed with `ok`, no named process and none numbered
/// [`MAX_OPS`] or more, at most [`MAX_OPS`] operations.
struct Shape {
    /// How many operations.
    len: usize,
    /// Every operation, a bit each.
    all: u64,
    /// Each operation's invoke and completion, as positions in the events (fewer than
    /// `2 * MAX_OPS`).
    invoke: [u8; MAX_OPS],
    complete: [u8; MAX_OPS],
    /// The operations invoked before each one completed, a bit each by completion order.
    before: [u64; MAX_OPS],
}

impl Shape {
    /// No operations, for [`Shape::read`] to fill in.
    const EMPTY: Shape = Shape {
        len: 0,
        all: 0,
        invoke: [0; MAX_OPS],
        complete: [0; MAX_OPS],
        before: [0; MAX_OPS],
    };

    /// Reads the operations of `events` into this empty shape, in one pass, handing each to
    /// `each` as it completes (its number in completion order, and the positions of its
    /// invoke and completion); `false` if `events` is not a history this module covers, or
    /// `each` refused an operation.
    ///
    /// Operation `i` was invoked before operation `h` completed exactly when fewer than
    /// `h + 1` operations had completed at its invoke (for `i <= h` always). So each
    /// operation's bit goes first into `before[k]`, `k` the operations completed before its
    /// invoke, and `before[h]` is then the union of `before[..=h]`.
    fn read(
        &mut self,
        events: &[Event],
        mut each: impl FnMut(usize, usize, usize) -> bool,
    ) -> bool {
        if events.len() > 2 * MAX_OPS {
            return false;
        }
        // The processes with an invoke open, a bit each (a process is numbered below
        // `MAX_OPS`, or the history is not covered), and for each its invoke's position and
        // the operations completed before it.
        let mut open = 0u64;
        let mut open_at = [(0u8, 0u8); MAX_OPS];
        let mut len = 0;
        for (position, e) in events.iter().enumerate() {
            if e.index != position as u64 {
                return false;
            }
            let Process::Id(process) = e.process else {
                return false;
            };
            if process >= MAX_OPS as u64 {
                return false;
            }
            let (bit, process) = (1u64 << process, process as usize);
            match e.kind {
                EventKind::Invoke if open & bit == 0 => {
                    open |= bit;
                    open_at[process] = (position as u8, len as u8);
                }
                EventKind::Ok if open & bit != 0 => {
                    open &= !bit;
                    let (invoked, completed_before) = open_at[process];
                    if !same_name(&events[usize::from(invoked)].f, &e.f)
                        || !each(len, usize::from(invoked), position)
                    {
                        return false;
                    }
                    // Fewer than `MAX_OPS` operations completed before this one: each took
                    // two of the events.
                    self.invoke[len] = invoked;
                    self.complete[len] = position as u8;
                    self.before[usize::from(completed_before)] |= 1 << len;
                    len += 1;
                }
                _ => return false,
            }
        }
        let mut invoked = 0;
        for before in &mut self.before[..len] {
            invoked |= *before;
            *before = invoked;
        }
        self.len = len;
        self.all = invoked;
        open == 0
    }

    /// The invoke and the completion of operation `i`.
    fn events<'e>(&self, events: &'e [Event], i: usize) -> (&'e Event, &'e Event) {
        (
            &events[usize::from(self.invoke[i])],
            &events[usize::from(self.complete[i])],
        )
    }

    /// The operations prepared for `model`, if it reads each one and none is partitioned
    /// or split.
    fn prepare<M: Model + ?Sized>(&self, events: &[Event], model: &M) -> Option<Vec<M::Op>> {
        (0..self.len)
            .map(|i| {
                let (invoke, ok) = self.events(events, i);
                let raw = RawOp {
                    f: &invoke.f,
                    input: &invoke.value,
                    output: Some(&ok.value),
                    knossos_nil_reads: false,
                };
                let op = model.prepare(&raw).ok()?;
                (model.partition(&op).is_none() && model.split(&op).is_none()).then_some(op)
            })
            .collect()
    }

    /// The operations that may go next once `placed` are: those not placed that were
    /// invoked before the earliest completion among them. That completion is the lowest bit
    /// not placed, so this is a few operations on words.
    fn candidates(&self, placed: u64) -> u64 {
        let unplaced = self.all & !placed;
        match unplaced {
            0 => 0,
            _ => self.before[unplaced.trailing_zeros() as usize] & unplaced,
        }
    }
}

/// Whether two operation names are equal; most often they are the same static text.
fn same_name(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// A place in the search: the operations placed (a bit each), the model's state after
/// them, the candidates not yet tried from here (a bit each) and the operation placed last.
struct Frame<S> {
    placed: u64,
    state: S,
    untried: u64,
    chosen: u8,
}

/// Wing and Gong's search, depth first, on operations in completion order, stepping the
/// model. Candidates are tried in completion order.
struct Search<'a, M: Model + ?Sized> {
    model: &'a M,
    shape: &'a Shape,
    ops: &'a [M::Op],
    frames: Vec<Frame<M::State>>,
    /// The configurations entered since the search began remembering.
    seen: FxHashSet<(u64, M::State)>,
    steps: usize,
}

impl<'a, M: Model + ?Sized> Search<'a, M> {
    fn new(model: &'a M, shape: &'a Shape, ops: &'a [M::Op]) -> Self {
        Search {
            model,
            shape,
            ops,
            frames: Vec::with_capacity(ops.len() + 1),
            seen: FxHashSet::default(),
            steps: 0,
        }
    }

    /// An order, if one is found within [`MAX_STEPS`]; configurations are remembered once
    /// the search has taken more than `remember_after` steps per operation.
    fn run(mut self, remember_after: usize) -> Option<Order> {
        let remember_from = remember_after.saturating_mul(self.shape.len);
        self.frames.push(Frame {
            placed: 0,
            state: self.model.init(),
            untried: self.shape.candidates(0),
            chosen: 0,
        });
        while let Some(frame) = self.frames.last() {
            if frame.placed == self.shape.all {
                let mut chosen = [0; MAX_OPS];
                for (at, frame) in chosen.iter_mut().zip(&self.frames[1..]) {
                    *at = frame.chosen;
                }
                return Some(Order::of_path(&chosen[..self.frames.len() - 1]));
            }
            if self.steps > MAX_STEPS {
                return None;
            }
            match self.try_step(remember_from) {
                Some(child) => self.frames.push(child),
                None => {
                    self.frames.pop();
                }
            }
        }
        None
    }

    /// The next configuration from the last frame: its first untried candidate that the
    /// model accepts and that leads to a configuration not seen before.
    fn try_step(&mut self, remember_from: usize) -> Option<Frame<M::State>> {
        let frame = self.frames.last_mut()?;
        while frame.untried != 0 && self.steps <= MAX_STEPS {
            let i = frame.untried.trailing_zeros() as usize;
            frame.untried &= frame.untried - 1;
            self.steps += 1;
            let Ok(state) = self.model.step(&frame.state, &self.ops[i]) else {
                continue;
            };
            let placed = frame.placed | (1 << i);
            if self.steps > remember_from && !self.seen.insert((placed, state.clone())) {
                continue;
            }
            return Some(Frame {
                placed,
                state,
                untried: self.shape.candidates(placed),
                chosen: i as u8,
            });
        }
        None
    }
}
