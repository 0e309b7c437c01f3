//! The polynomial collections checker against the general search and a brute-force oracle
//! written here: random small histories (up to 5 processes, 10 operations) of FIFO queues,
//! stacks and sets, with crashed (`info` or never completed) and failed operations, now
//! and then a repeated value (which must send the history to the general search), and
//! injected bugs (a corrupted dequeue, pop or read). All three must agree on every
//! history, and every witness the collections checker gives must replay under the
//! oracle's semantics in real-time order.

mod common;

use std::collections::{BTreeSet, HashSet};

use lockstep_history::checker::collections::{self, Method};
use lockstep_history::checker::{Options, Verdict, linearizable};
use lockstep_history::model::{Collection, FifoQueue, Set, Stack};
use lockstep_history::{Event, EventKind, Value};

use common::{OracleOp, Rng, brute_force_linearizable, event, listing, oracle_ops};

const CASES: u64 = 21_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Queue,
    Stack,
    Set,
}

/// The oracle's object: a sequence (queue: head first; stack: bottom first) or a set.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum State {
    Seq(Vec<i64>),
    Set(BTreeSet<i64>),
}

fn init(kind: Kind) -> State {
    match kind {
        Kind::Queue | Kind::Stack => State::Seq(Vec::new()),
        Kind::Set => State::Set(BTreeSet::new()),
    }
}

/// The oracle's semantics: `f(input) -> output` (`None`: unknown) from `s`, if allowed.
fn apply(kind: Kind, s: &State, f: &str, input: &Value, output: Option<&Value>) -> Option<State> {
    match s {
        State::Seq(seq) => {
            let mut seq = seq.clone();
            match f {
                "enqueue" | "push" => seq.push(input.as_i64()?),
                _ => {
                    let taken = match kind {
                        Kind::Queue if !seq.is_empty() => Some(seq.remove(0)),
                        _ => seq.pop(),
                    };
                    match output {
                        Some(Value::Nil) if taken.is_some() => return None,
                        Some(v)
                            if *v != Value::Nil
                                && (v.as_i64().is_none() || taken != v.as_i64()) =>
                        {
                            return None;
                        }
                        _ => {}
                    }
                }
            }
            Some(State::Seq(seq))
        }
        State::Set(set) => {
            let mut set = set.clone();
            match f {
                "add" => {
                    set.insert(input.as_i64()?);
                }
                _ => match output {
                    None => {}
                    Some(Value::Nil) if set.is_empty() => {}
                    Some(Value::Vector(items)) => {
                        let seen: BTreeSet<i64> = items.iter().filter_map(Value::as_i64).collect();
                        if seen.len() != items.len() || seen != set {
                            return None;
                        }
                    }
                    Some(_) => return None,
                },
            }
            Some(State::Set(set))
        }
    }
}

/// What the correct object answers and becomes.
fn answer(kind: Kind, s: &State, f: &str, input: &Value) -> (Value, State) {
    match s {
        State::Seq(seq) => {
            let mut seq = seq.clone();
            let out = match f {
                "enqueue" | "push" => {
                    seq.push(input.as_i64().unwrap_or_default());
                    Value::Nil
                }
                _ => match kind {
                    Kind::Queue if !seq.is_empty() => Value::Int(seq.remove(0)),
                    _ => seq.pop().map_or(Value::Nil, Value::Int),
                },
            };
            (out, State::Seq(seq))
        }
        State::Set(set) => {
            let mut set = set.clone();
            let out = match f {
                "add" => {
                    set.insert(input.as_i64().unwrap_or_default());
                    Value::Nil
                }
                _ => Value::Vector(set.iter().map(|&x| Value::Int(x)).collect()),
            };
            (out, State::Set(set))
        }
    }
}

struct Pending {
    process: u64,
    f: &'static str,
    input: Value,
    result: Option<Value>,
}

fn generate(kind: Kind, rng: &mut Rng) -> Vec<Event> {
    let processes = 1 + rng.below(5);
    let ops = 1 + rng.below(10).max(rng.below(10));
    let mut state = init(kind);
    let mut events: Vec<Event> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut idle: Vec<u64> = (0..processes).collect();
    let mut next_process = processes;
    let (mut started, mut fresh) = (0, 0);
    let push = |events: &mut Vec<Event>, kind, process: u64, f, value| {
        let index = events.len() as u64;
        events.push(Event {
            index,
            ..event(kind, process, f, value)
        });
    };
    while started < ops || !pending.is_empty() {
        let action = rng.below(3);
        if action == 0 && started < ops && !idle.is_empty() {
            let process = idle.swap_remove(rng.below(idle.len() as u64) as usize);
            let adding = rng.chance(55);
            let (f, input) = match (kind, adding) {
                (Kind::Queue, true) | (Kind::Stack, true) => {
                    fresh += 1;
                    // Now and then a value added before: the general search must take over.
                    let v = if fresh > 1 && rng.chance(4) {
                        1 + rng.below(fresh - 1) as i64
                    } else {
                        fresh as i64
                    };
                    let f = if kind == Kind::Queue {
                        "enqueue"
                    } else {
                        "push"
                    };
                    (f, Value::Int(v))
                }
                (Kind::Queue, false) => ("dequeue", Value::Nil),
                (Kind::Stack, false) => ("pop", Value::Nil),
                (Kind::Set, true) => ("add", Value::Int(rng.below(4) as i64)),
                (Kind::Set, false) => ("read", Value::Nil),
            };
            push(&mut events, EventKind::Invoke, process, f, input.clone());
            pending.push(Pending {
                process,
                f,
                input,
                result: None,
            });
            started += 1;
        } else if action == 1 && !pending.is_empty() {
            let i = rng.below(pending.len() as u64) as usize;
            if pending[i].result.is_none() {
                let (out, next) = answer(kind, &state, pending[i].f, &pending[i].input);
                state = next;
                pending[i].result = Some(out);
            }
        } else if !pending.is_empty() {
            let i = rng.below(pending.len() as u64) as usize;
            let p = pending.swap_remove(i);
            let roll = rng.below(100);
            if roll < 10 {
                push(&mut events, EventKind::Info, p.process, p.f, p.input);
                idle.push(next_process);
                next_process += 1;
            } else if roll < 15 && p.result.is_none() {
                push(&mut events, EventKind::Fail, p.process, p.f, p.input);
                idle.push(p.process);
            } else if let Some(out) = p.result {
                let value = if matches!(p.f, "enqueue" | "push" | "add") {
                    p.input
                } else {
                    out
                };
                push(&mut events, EventKind::Ok, p.process, p.f, value);
                idle.push(p.process);
            } else {
                pending.push(p);
            }
        } else if started >= ops {
            break;
        }
        if started >= ops && rng.chance(3) {
            break;
        }
    }
    if rng.chance(45) {
        corrupt(kind, &mut events, rng, fresh);
    }
    events
}

/// Injects a bug: one dequeue, pop or read answers wrongly.
fn corrupt(kind: Kind, events: &mut [Event], rng: &mut Rng, values: u64) {
    let targets: Vec<usize> = (0..events.len())
        .filter(|&i| {
            events[i].kind == EventKind::Ok && matches!(&*events[i].f, "dequeue" | "pop" | "read")
        })
        .collect();
    if targets.is_empty() {
        return;
    }
    let e = &mut events[targets[rng.below(targets.len() as u64) as usize]];
    e.value = match (kind, rng.below(3)) {
        (Kind::Set, 0) => Value::Vector(
            (0..rng.below(4))
                .map(|_| Value::Int(rng.below(5) as i64))
                .collect(),
        ),
        (Kind::Set, 1) => match &e.value {
            Value::Vector(items) if !items.is_empty() => {
                Value::Vector(items[1..].to_vec()) // drops the smallest
            }
            _ => Value::Vector(vec![Value::Int(rng.below(4) as i64)]),
        },
        (Kind::Set, _) => Value::Vector(vec![Value::Int(rng.below(4) as i64)]),
        (_, 0) => Value::Nil,
        _ => Value::Int(1 + rng.below(values.max(1) + 1) as i64),
    };
}

/// Replays a witness order under the oracle's semantics, respecting real time.
fn witness_is_valid(kind: Kind, ops: &[OracleOp], order: &[u64]) -> bool {
    let mut state = init(kind);
    let mut placed: HashSet<u64> = HashSet::new();
    for &invoke in order {
        let Some(op) = ops.iter().find(|o| o.invoke == invoke) else {
            return false;
        };
        if placed.contains(&invoke)
            || ops
                .iter()
                .any(|o| !placed.contains(&o.invoke) && o.complete < op.invoke)
        {
            return false;
        }
        let Some(next) = apply(kind, &state, &op.f, &op.input, op.output.as_ref()) else {
            return false;
        };
        state = next;
        placed.insert(invoke);
    }
    ops.iter()
        .all(|o| o.output.is_none() || placed.contains(&o.invoke))
}

fn search_verdict(kind: Kind, events: &[Event], options: &Options) -> Verdict {
    match kind {
        Kind::Queue => linearizable::check_with(events, &FifoQueue, options),
        Kind::Stack => linearizable::check_with(events, &Stack, options),
        Kind::Set => linearizable::check_with(events, &Set, options),
    }
    .expect("generated histories are well formed")
}

#[test]
fn collections_agree_with_search_and_brute_force() {
    let kinds = [Kind::Queue, Kind::Stack, Kind::Set];
    let mut rng = Rng::new(0x0c01_1ec7_10e5);
    let mut options = Options::default();
    options.budget.threads = Some(1);
    let search = Options {
        general_search: true,
        ..options.clone()
    };
    let (mut yes, mut no, mut polynomial) = ([0u64; 3], [0u64; 3], [0u64; 3]);
    for case in 0..CASES {
        let k = (case % 3) as usize;
        let kind = kinds[k];
        let events = generate(kind, &mut rng);
        let ops = oracle_ops(&events);
        assert!(ops.len() <= 10);
        let expected = brute_force_linearizable(&ops, init(kind), |state, op| {
            apply(kind, state, &op.f, &op.input, op.output.as_ref())
        });
        let searched = search_verdict(kind, &events, &search);
        let collection = match kind {
            Kind::Queue => Collection::FifoQueue,
            Kind::Stack => Collection::Stack,
            Kind::Set => Collection::Set,
        };
        let checked = collections::check(&events, collection, &options)
            .expect("generated histories are well formed");
        assert_eq!(
            searched.is_linearizable(),
            expected,
            "case {case}: {kind:?}: search says {searched}, oracle says {expected}\n{}",
            listing(&events)
        );
        assert_eq!(
            checked.verdict.is_linearizable(),
            expected,
            "case {case}: {kind:?}: collections say {checked}, oracle says {expected}\n{}",
            listing(&events)
        );
        // The automatic selection gives the collections checker's verdict.
        let chosen = search_verdict(kind, &events, &options);
        assert_eq!(chosen.is_linearizable(), expected, "case {case}: {chosen}");
        if checked.method == Method::Polynomial {
            polynomial[k] += 1;
        }
        match &checked.verdict {
            Verdict::Linearizable(l) => {
                yes[k] += 1;
                let order = l.partitions.first().map_or(&[][..], |p| &p.order[..]);
                assert!(
                    witness_is_valid(kind, &ops, order),
                    "case {case}: {kind:?}: bad witness {order:?}\n{}",
                    listing(&events)
                );
            }
            Verdict::NotLinearizable(c) => {
                no[k] += 1;
                assert!(c.op.op.output.is_some(), "case {case}: blocked op crashed");
                if checked.method == Method::Polynomial {
                    let v = checked.violation.as_ref().expect("a decided violation");
                    assert!(v.ops.contains(&c.op.op.invoke) || !v.ops.is_empty());
                    assert!(!v.explanation.is_empty());
                }
            }
            Verdict::Unknown(u) => panic!("case {case}: {u}"),
        }
    }
    for (k, kind) in kinds.iter().enumerate() {
        let n = CASES / 3;
        println!(
            "{kind:?}: {n} histories, {} linearizable, {} not, {} decided in polynomial time",
            yes[k], no[k], polynomial[k]
        );
        // Both verdicts well represented, and most decided without the search.
        assert!(yes[k] > n / 5 && no[k] > n / 5, "{kind:?}: {yes:?} {no:?}");
        assert!(polynomial[k] > n * 3 / 4, "{kind:?}: {polynomial:?}");
    }
}
