//! The checker against a brute-force oracle written independently here: random small
//! histories (up to 8 processes, 14 operations, random `info` and `fail`) of registers, CAS
//! registers, FIFO queues, sets and mutexes. The oracle tries every order of the operations
//! that respects real time (crashed operations optional), remembering only which
//! (done set, state) pairs already failed. Both must agree on every history, and every
//! witness the checker gives must replay under the oracle's semantics.

mod common;

use std::collections::{BTreeSet, HashSet, VecDeque};

use lockstep_history::checker::{Options, Verdict, linearizable};
use lockstep_history::model::{CasRegister, FifoQueue, Mutex, Register, Set};
use lockstep_history::{Event, EventKind, Value};

use common::{OracleOp, Rng, brute_force_linearizable, event, listing, oracle_ops};

const CASES: u64 = 24_000;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Register,
    Cas,
    Queue,
    Set,
    Mutex,
}

/// The object the simulated clients talk to: a correct one, whose answers may be corrupted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum State {
    Int(i64),
    Queue(VecDeque<i64>),
    Set(BTreeSet<i64>),
    Held(bool),
}

fn init(kind: Kind) -> State {
    match kind {
        Kind::Register | Kind::Cas => State::Int(0),
        Kind::Queue => State::Queue(VecDeque::new()),
        Kind::Set => State::Set(BTreeSet::new()),
        Kind::Mutex => State::Held(false),
    }
}

fn int(v: &Value) -> Option<i64> {
    v.as_i64()
}

/// The oracle's own semantics: applies `f(input) -> output` (`None`: unknown) to `s`.
fn apply(
    kind: Kind,
    knossos: bool,
    s: &State,
    f: &str,
    input: &Value,
    output: Option<&Value>,
) -> Option<State> {
    match (kind, s) {
        (Kind::Register | Kind::Cas, State::Int(x)) => match f {
            "write" => Some(State::Int(int(input)?)),
            "read" => match output {
                None => Some(s.clone()),
                Some(Value::Nil) => knossos.then(|| s.clone()),
                Some(v) => (int(v)? == *x).then(|| s.clone()),
            },
            "cas" => {
                let e = int(input.get_index(0)?)?;
                let n = int(input.get_index(1)?)?;
                if output == Some(&Value::Bool(false)) {
                    (e != *x).then(|| s.clone())
                } else {
                    (e == *x).then_some(State::Int(n))
                }
            }
            _ => None,
        },
        (Kind::Queue, State::Queue(q)) => {
            let mut q = q.clone();
            match (f, output) {
                ("enqueue", _) => q.push_back(int(input)?),
                ("dequeue", None) => {
                    q.pop_front();
                }
                ("dequeue", Some(Value::Nil)) => {
                    if !q.is_empty() {
                        return None;
                    }
                }
                ("dequeue", Some(v)) => {
                    if q.pop_front() != Some(int(v)?) {
                        return None;
                    }
                }
                _ => return None,
            }
            Some(State::Queue(q))
        }
        (Kind::Set, State::Set(set)) => match (f, output) {
            ("add", _) => {
                let mut set = set.clone();
                set.insert(int(input)?);
                Some(State::Set(set))
            }
            ("read", None) => Some(s.clone()),
            ("read", Some(v)) => {
                let seen: Option<BTreeSet<i64>> = match v {
                    Value::Nil => Some(BTreeSet::new()),
                    Value::Set(items) => items.iter().map(int).collect(),
                    _ => None,
                };
                (seen? == *set).then(|| s.clone())
            }
            _ => None,
        },
        (Kind::Mutex, State::Held(held)) => match f {
            "acquire" => (!held).then_some(State::Held(true)),
            "release" => held.then_some(State::Held(false)),
            _ => None,
        },
        _ => None,
    }
}

/// The answer a correct object in state `s` gives, and its next state.
fn answer(kind: Kind, s: &State, f: &str, input: &Value) -> Option<(Value, State)> {
    let output = match (kind, s) {
        (Kind::Register | Kind::Cas, State::Int(x)) => match f {
            "read" => Value::Int(*x),
            "cas" => Value::Bool(int(&input[0]) == Some(*x)),
            _ => input.clone(),
        },
        (Kind::Queue, State::Queue(q)) if f == "dequeue" => {
            q.front().map_or(Value::Nil, |&v| Value::Int(v))
        }
        (Kind::Set, State::Set(set)) if f == "read" => {
            Value::Set(set.iter().map(|&v| Value::Int(v)).collect())
        }
        _ => input.clone(),
    };
    let next = apply(kind, false, s, f, input, Some(&output))?;
    Some((output, next))
}

fn random_op(kind: Kind, rng: &mut Rng) -> (&'static str, Value) {
    let mut small = || Value::Int(rng.below(3) as i64);
    match kind {
        Kind::Register => match small().as_i64() {
            Some(0) => ("read", Value::Nil),
            _ => ("write", small()),
        },
        Kind::Cas => match small().as_i64() {
            Some(0) => ("read", Value::Nil),
            Some(1) => ("write", small()),
            _ => ("cas", Value::Vector(vec![small(), small()])),
        },
        Kind::Queue => match small().as_i64() {
            Some(0) => ("dequeue", Value::Nil),
            _ => ("enqueue", small()),
        },
        Kind::Set => match small().as_i64() {
            Some(0) => ("read", Value::Nil),
            _ => ("add", small()),
        },
        Kind::Mutex => match small().as_i64() {
            Some(0) => ("release", Value::Nil),
            _ => ("acquire", Value::Nil),
        },
    }
}

struct Pending {
    process: u64,
    f: &'static str,
    input: Value,
    /// The answer, once the operation took effect on the simulated object.
    result: Option<Value>,
}

/// A history of concurrent clients of a correct object, with operations taking effect at a
/// random point of their interval, then (sometimes) one answer corrupted.
fn generate(kind: Kind, rng: &mut Rng) -> Vec<Event> {
    let processes = 1 + rng.below(8);
    let ops = 1 + rng.below(14).max(rng.below(14));
    let mut state = init(kind);
    let mut events = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut idle: Vec<u64> = (0..processes).collect();
    let mut next_process = processes;
    let mut started = 0;
    let push = |events: &mut Vec<Event>, kind, process: u64, f, value, error| {
        let index = events.len() as u64;
        events.push(Event {
            index,
            error,
            ..event(kind, process, f, value)
        });
    };
    while started < ops || !pending.is_empty() {
        let action = rng.below(3);
        if action == 0 && started < ops && !idle.is_empty() {
            let process = idle.swap_remove(rng.below(idle.len() as u64) as usize);
            let (f, input) = random_op(kind, rng);
            push(
                &mut events,
                EventKind::Invoke,
                process,
                f,
                input.clone(),
                None,
            );
            pending.push(Pending {
                process,
                f,
                input,
                result: None,
            });
            started += 1;
        } else if action == 1 && !pending.is_empty() {
            // Take effect now, if the object allows it.
            let i = rng.below(pending.len() as u64) as usize;
            if pending[i].result.is_none()
                && let Some((out, next)) = answer(kind, &state, pending[i].f, &pending[i].input)
            {
                state = next;
                pending[i].result = Some(out);
            }
        } else if !pending.is_empty() {
            let i = rng.below(pending.len() as u64) as usize;
            let p = pending.swap_remove(i);
            let roll = rng.below(100);
            if roll < 8 {
                // Outcome unknown, whether or not it took effect; the process is replaced.
                push(
                    &mut events,
                    EventKind::Info,
                    p.process,
                    p.f,
                    p.input,
                    Some(Value::keyword("timeout")),
                );
                idle.push(next_process);
                next_process += 1;
            } else if roll < 14 && p.result.is_none() {
                push(
                    &mut events,
                    EventKind::Fail,
                    p.process,
                    p.f,
                    p.input,
                    Some(Value::keyword("refused")),
                );
                idle.push(p.process);
            } else if let Some(out) = p.result {
                push(&mut events, EventKind::Ok, p.process, p.f, out, None);
                idle.push(p.process);
            } else {
                pending.push(p); // not taken effect yet: it must before an ok
            }
        } else if started >= ops {
            break;
        }
        if started >= ops && rng.chance(3) {
            break; // leave the rest pending: never completed
        }
    }
    let corruptions = if rng.chance(50) { 1 + rng.below(2) } else { 0 };
    for _ in 0..corruptions {
        // An answer that carries information: a read, dequeue or cas result; for a mutex,
        // an ok and a fail swapped.
        let targets: Vec<usize> = (0..events.len())
            .filter(|&i| match (kind, events[i].kind) {
                (Kind::Mutex, k) => k == EventKind::Ok || k == EventKind::Fail,
                (_, EventKind::Ok) => matches!(&*events[i].f, "read" | "dequeue" | "cas"),
                _ => false,
            })
            .collect();
        if targets.is_empty() {
            break;
        }
        let e = &mut events[targets[rng.below(targets.len() as u64) as usize]];
        match (&*e.f, rng.below(4)) {
            (_, _) if kind == Kind::Mutex => {
                (e.kind, e.error) = match e.kind {
                    EventKind::Ok => (EventKind::Fail, Some(Value::keyword("refused"))),
                    _ => (EventKind::Ok, None),
                }
            }
            ("cas", _) => e.value = Value::Bool(e.value != Value::Bool(true)),
            ("read", n) if kind == Kind::Set => {
                e.value = Value::Set((0..n).map(|_| Value::Int(rng.below(3) as i64)).collect())
            }
            (_, 3) => e.value = Value::Nil,
            _ => e.value = Value::Int(rng.below(3) as i64),
        }
    }
    events
}

/// Replays a witness order under the oracle's semantics, respecting real time.
fn witness_is_valid(kind: Kind, knossos: bool, ops: &[OracleOp], order: &[u64]) -> bool {
    let mut state = init(kind);
    let mut placed: HashSet<u64> = HashSet::new();
    for &invoke in order {
        let Some(op) = ops.iter().find(|o| o.invoke == invoke) else {
            return false;
        };
        if ops
            .iter()
            .any(|o| !placed.contains(&o.invoke) && o.complete < op.invoke && o.output.is_some())
        {
            return false;
        }
        let Some(next) = apply(kind, knossos, &state, &op.f, &op.input, op.output.as_ref()) else {
            return false;
        };
        state = next;
        placed.insert(invoke);
    }
    ops.iter()
        .all(|o| o.output.is_none() || placed.contains(&o.invoke))
}

fn checker_verdict(kind: Kind, knossos: bool, events: &[Event]) -> Verdict {
    let options = Options {
        knossos_nil_reads: knossos,
        ..Options::default()
    };
    match kind {
        Kind::Register => linearizable::check_with(events, &Register::new(0), &options),
        Kind::Cas => linearizable::check_with(events, &CasRegister::new(0), &options),
        Kind::Queue => linearizable::check_with(events, &FifoQueue, &options),
        Kind::Set => linearizable::check_with(events, &Set, &options),
        Kind::Mutex => linearizable::check_with(events, &Mutex, &options),
    }
    .expect("generated histories are well formed")
}

#[test]
fn checker_agrees_with_brute_force_oracle() {
    let kinds = [
        Kind::Register,
        Kind::Cas,
        Kind::Queue,
        Kind::Set,
        Kind::Mutex,
    ];
    let mut rng = Rng::new(0x01ce_57e9_2026);
    let (mut yes, mut no) = (0, 0);
    for case in 0..CASES {
        let kind = kinds[(case % 5) as usize];
        let knossos = matches!(kind, Kind::Register | Kind::Cas) && rng.chance(30);
        let events = generate(kind, &mut rng);
        let ops = oracle_ops(&events);
        assert!(ops.len() <= 14);
        let expected = brute_force_linearizable(&ops, init(kind), |state, op| {
            apply(kind, knossos, state, &op.f, &op.input, op.output.as_ref())
        });
        let verdict = checker_verdict(kind, knossos, &events);
        assert_eq!(
            verdict.is_linearizable(),
            expected,
            "case {case}: {kind:?} (knossos {knossos}): checker says {verdict}, oracle says {expected}\n{}",
            listing(&events)
        );
        match &verdict {
            Verdict::Linearizable(l) => {
                yes += 1;
                let order = l.partitions.first().map_or(&[][..], |p| &p.order[..]);
                assert!(
                    witness_is_valid(kind, knossos, &ops, order),
                    "case {case}: bad witness {order:?}\n{}",
                    listing(&events)
                );
            }
            Verdict::NotLinearizable(c) => {
                no += 1;
                assert!(
                    c.op.op.output.is_some(),
                    "case {case}: the blocked operation completed"
                );
                let prefix: Vec<u64> = c.prefix.iter().map(|s| s.op.op.invoke).collect();
                assert!(!prefix.contains(&c.op.op.invoke));
                assert!(
                    c.candidates
                        .iter()
                        .any(|k| k.op.op.invoke == c.op.op.invoke)
                );
            }
            Verdict::Unknown(u) => panic!("case {case}: {u}"),
        }
    }
    // Both verdicts must be well represented, or the comparison proves little.
    assert!(
        yes > CASES / 5 && no > CASES / 5,
        "linearizable {yes}, not {no}"
    );
    println!("{CASES} histories: {yes} linearizable, {no} not; checker and oracle agree");
}
