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
//! state) reached before is not explored again.
//!
//! Only a yes is taken from here: when the search finds an order, the history is
//! linearizable (the order is a witness). In every other case (a history it does not cover,
//! no order found, a search that grows too long) the full checker decides, so a failure is
//! reported with the full checker's counterexample and analysis.

use rustc_hash::FxHashSet;

use crate::event::{Event, EventKind, Process};
use crate::model::{Model, RawOp};

/// Operations in a history this module checks at most (a bit set of them fits a `u64`).
const MAX_OPS: usize = 64;

/// Model steps tried before leaving the history to the full checker.
const MAX_STEPS: usize = 20_000;

/// Steps per operation after which the search remembers configurations.
const REMEMBER_AFTER: usize = 4;

/// One completed operation.
struct Op<O> {
    /// The event indices of its invoke and completion: what [`Op::before`] is worked out
    /// from, and what the tests check it against.
    #[cfg_attr(not(test), allow(dead_code))]
    invoke: u64,
    #[cfg_attr(not(test), allow(dead_code))]
    complete: u64,
    /// The operations invoked before this one completed, a bit each by completion order.
    before: u64,
    op: O,
}

/// Whether an order of the operations of `events` that keeps real-time order is a legal run
/// of `model`. `false` means "not shown here": the history is outside what this module
/// covers, or no order was found within [`MAX_STEPS`].
pub(crate) fn linearizes<M: Model + ?Sized>(events: &[Event], model: &M) -> bool {
    match operations(events, model) {
        Some(ops) => search(model, &ops, REMEMBER_AFTER),
        None => false,
    }
}

/// The operations of `events`, in the order they completed, if the history is one this module covers: well
/// formed (dense indices, each client process alternating an invoke and an `ok` of the same
/// `f`), every operation completed with `ok`, no named process, at most [`MAX_OPS`]
/// operations, each one the model reads and none partitioned or split.
fn operations<M: Model + ?Sized>(events: &[Event], model: &M) -> Option<Vec<Op<M::Op>>> {
    if events.len() > 2 * MAX_OPS {
        return None;
    }
    // The open invoke of each process: (process, position, operations completed before
    // it). A handful of processes.
    let mut open: Vec<(u64, usize, usize)> = Vec::new();
    let mut ops: Vec<Op<M::Op>> = Vec::with_capacity(events.len() / 2);
    for (position, e) in events.iter().enumerate() {
        if e.index != position as u64 {
            return None;
        }
        let Process::Id(process) = e.process else {
            return None;
        };
        let pending = open.iter().position(|&(p, _, _)| p == process);
        match (e.kind, pending) {
            (EventKind::Invoke, None) => open.push((process, position, ops.len())),
            (EventKind::Ok, Some(at)) => {
                let (_, invoked, completed_before) = open.swap_remove(at);
                let invoke = &events[invoked];
                if invoke.f != e.f {
                    return None;
                }
                let raw = RawOp {
                    f: &invoke.f,
                    input: &invoke.value,
                    output: Some(&e.value),
                    knossos_nil_reads: false,
                };
                let op = model.prepare(&raw).ok()?;
                if model.partition(&op).is_some() || model.split(&op).is_some() {
                    return None;
                }
                // This operation was invoked before itself and every earlier completion, and
                // before each completion since its invoke.
                let this = ops.len();
                for earlier in &mut ops[completed_before..] {
                    earlier.before |= 1 << this;
                }
                ops.push(Op {
                    invoke: invoke.index,
                    complete: e.index,
                    before: u64::MAX >> (63 - this),
                    op,
                });
            }
            _ => return None,
        }
    }
    open.is_empty().then_some(ops)
}

/// A place in the search: the operations placed (a bit each), the model's state after
/// them, and the candidates not yet tried from here (a bit each).
struct Frame<S> {
    placed: u64,
    state: S,
    untried: u64,
}

/// Wing and Gong's search, depth first, on `ops` in completion order. Configurations are
/// remembered only once the search has taken more than `remember_after` steps per operation
/// ([`REMEMBER_AFTER`] for [`linearizes`]): most histories are settled in fewer, with a
/// little going back, and hashing every state would cost more than it saves.
///
/// Sets of operations are bit sets, an operation's bit its place in completion order. The
/// operations that may go next are those invoked before the earliest completion among the
/// unplaced: that completion is the lowest unplaced bit, and the operations invoked before
/// each completion are worked out with the operations ([`Op::before`]), so finding the
/// candidates at a place is a few operations on words. Candidates are tried in completion order.
fn search<M: Model + ?Sized>(model: &M, ops: &[Op<M::Op>], remember_after: usize) -> bool {
    let n = ops.len();
    if n == 0 {
        return true;
    }
    let all = u64::MAX >> (64 - n);
    let candidates = |placed: u64| {
        let unplaced = all & !placed;
        ops.get(unplaced.trailing_zeros() as usize)
            .map_or(0, |first| first.before & unplaced)
    };
    let mut seen: FxHashSet<(u64, M::State)> = FxHashSet::default();
    let mut steps = 0;
    let mut frames = Vec::with_capacity(n + 1);
    frames.push(Frame {
        placed: 0,
        state: model.init(),
        untried: candidates(0),
    });
    while let Some(frame) = frames.last_mut() {
        if frame.placed == all {
            return true;
        }
        let mut child = None;
        while frame.untried != 0 {
            let i = frame.untried.trailing_zeros() as usize;
            frame.untried &= frame.untried - 1;
            steps += 1;
            if steps > MAX_STEPS {
                return false;
            }
            let Ok(state) = model.step(&frame.state, &ops[i].op) else {
                continue;
            };
            let placed = frame.placed | (1 << i);
            if steps > remember_after * n && !seen.insert((placed, state.clone())) {
                continue;
            }
            child = Some(Frame {
                placed,
                state,
                untried: candidates(placed),
            });
            break;
        }
        match child {
            Some(child) => frames.push(child),
            None => {
                frames.pop();
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{Options, Verdict, linearizable};
    use crate::explore::Rng;
    use crate::model::{CasRegister, Stack};
    use crate::value::Value;

    fn event(index: usize, kind: EventKind, process: u64, f: &'static str, value: Value) -> Event {
        Event {
            index: index as u64,
            time: 0,
            kind,
            process: Process::Id(process),
            f: f.into(),
            value,
            error: None,
        }
    }

    /// A random history of `n` stack operations on up to 3 processes, each spanning a
    /// random interval, pops returning random elements of those pushed (or nil).
    fn random_stack_history(rng: &mut Rng, n: usize) -> Vec<Event> {
        // (process, f, input, output) per operation, then a random interleaving of the
        // invokes and completions that keeps each process sequential.
        let mut calls: Vec<Vec<(&'static str, Value, Value)>> = vec![Vec::new(); 3];
        for v in 0..n {
            let process = rng.below(3) as usize;
            if rng.below(2) == 0 {
                let v = Value::Int(v as i64);
                calls[process].push(("push", v.clone(), v));
            } else {
                let out = match rng.below(n as u64 + 1) {
                    0 => Value::Nil,
                    k => Value::Int(k as i64 - 1),
                };
                calls[process].push(("pop", Value::Nil, out));
            }
        }
        let mut at = [0usize; 3];
        let mut open = [false; 3];
        let mut events = Vec::new();
        loop {
            let ready: Vec<usize> = (0..3).filter(|&p| at[p] < calls[p].len()).collect();
            if ready.is_empty() {
                return events;
            }
            let p = ready[rng.below(ready.len() as u64) as usize];
            let (f, input, output) = calls[p][at[p]].clone();
            let index = events.len();
            if open[p] {
                events.push(event(index, EventKind::Ok, p as u64, f, output));
                at[p] += 1;
            } else {
                events.push(event(index, EventKind::Invoke, p as u64, f, input));
            }
            open[p] = !open[p];
        }
    }

    /// The oracle: every order of the operations, kept if it respects real time and the
    /// model accepts it step by step.
    fn brute_force(events: &[Event]) -> bool {
        let ops = operations(events, &Stack).expect("complete histories");
        let mut order: Vec<usize> = (0..ops.len()).collect();
        permutations(&mut order, 0, &mut |order| {
            let real_time = order.iter().enumerate().all(|(a, &i)| {
                order[a + 1..]
                    .iter()
                    .all(|&j| ops[j].complete > ops[i].invoke)
            });
            real_time && {
                let mut state = Stack.init();
                order.iter().all(|&i| match Stack.step(&state, &ops[i].op) {
                    Ok(next) => {
                        state = next;
                        true
                    }
                    Err(_) => false,
                })
            }
        })
    }

    /// Whether `accept` holds for some ordering of `items[k..]` after `items[..k]`.
    fn permutations(
        items: &mut [usize],
        k: usize,
        accept: &mut dyn FnMut(&[usize]) -> bool,
    ) -> bool {
        if k == items.len() {
            return accept(items);
        }
        for i in k..items.len() {
            items.swap(k, i);
            let found = permutations(items, k + 1, accept);
            items.swap(k, i);
            if found {
                return true;
            }
        }
        false
    }

    #[test]
    fn agrees_with_brute_force_and_the_full_checker_on_small_stack_histories() {
        let mut rng = Rng::new(11);
        let options = Options {
            knossos_nil_reads: false,
            ..Options::default()
        };
        let (mut yes, mut no) = (0, 0);
        for _ in 0..2_000 {
            let n = 1 + rng.below(6) as usize;
            let events = random_stack_history(&mut rng, n);
            let quick = linearizes(&events, &Stack);
            assert_eq!(quick, brute_force(&events), "{events:#?}");
            // Remembering every configuration from the start changes nothing.
            let ops = operations(&events, &Stack).unwrap();
            for (h, later) in ops.iter().enumerate() {
                for (i, o) in ops.iter().enumerate() {
                    let before = later.before & (1 << i) != 0;
                    assert_eq!(before, o.invoke < later.complete, "{h} {i} {events:#?}");
                }
            }
            assert_eq!(quick, search(&Stack, &ops, 0), "{events:#?}");
            let full = linearizable::check_with(&events, &Stack, &options).unwrap();
            assert_eq!(
                quick,
                matches!(full, Verdict::Linearizable(_)),
                "{events:#?}"
            );
            if quick { yes += 1 } else { no += 1 }
        }
        assert!(
            yes > 200 && no > 200,
            "both answers are exercised: {yes} yes, {no} no"
        );
    }

    #[test]
    fn histories_it_does_not_cover_are_left_to_the_full_checker() {
        use EventKind::*;
        let ok = vec![
            event(0, Invoke, 0, "push", Value::Int(1)),
            event(1, Ok, 0, "push", Value::Int(1)),
        ];
        assert!(linearizes(&ok, &Stack));
        assert!(linearizes(&[], &Stack));
        // An info, an operation never completed, a named process, a mismatched f, an
        // index out of place, an op the model cannot read.
        let mut info = ok.clone();
        info[1].kind = Info;
        let pending = vec![ok[0].clone()];
        let mut named = ok.clone();
        for e in &mut named {
            e.process = Process::Named("nemesis".into());
        }
        let mut mismatched = ok.clone();
        mismatched[1].f = "pop".into();
        let mut misplaced = ok.clone();
        misplaced[1].index = 5;
        let unknown = vec![
            event(0, Invoke, 0, "peek", Value::Nil),
            event(1, Ok, 0, "peek", Value::Nil),
        ];
        for events in [info, pending, named, mismatched, misplaced, unknown] {
            assert!(!linearizes(&events, &Stack), "{events:#?}");
        }
    }

    #[test]
    fn a_search_that_must_go_back_still_finds_the_order() {
        use EventKind::*;
        // Two overlapping writes, then a read of the first: only write 2, write 1, read
        // works, and completion order tries write 1 first.
        let events = vec![
            event(0, Invoke, 0, "write", Value::Int(1)),
            event(1, Invoke, 1, "write", Value::Int(2)),
            event(2, Ok, 0, "write", Value::Int(1)),
            event(3, Ok, 1, "write", Value::Int(2)),
            event(4, Invoke, 2, "read", Value::Nil),
            event(5, Ok, 2, "read", Value::Int(1)),
        ];
        assert!(linearizes(&events, &CasRegister::new(0)));
        let mut stale = events.clone();
        stale[5].value = Value::Int(0);
        assert!(!linearizes(&stale, &CasRegister::new(0)));
    }
}
