//! The stack's polynomial pass against the general search and a brute-force oracle, on
//! random small stack histories shaped to reach its corners: up to 6 processes and 11
//! operations, many pops (so many find the stack empty), crashed (`info` or never
//! completed) and failed operations, and injected bugs of the kinds a stack gets wrong (a
//! pop that finds the stack empty while it holds a value, a pop that returns another
//! value, two pops that swap their values, a pop of a value pushed only later). All three
//! must agree on every history, and every witness must replay in real-time order. Longer
//! histories (up to 8 processes, 15 operations), beyond the oracle, are checked against
//! the general search alone.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use lockstep_history::checker::collections::{self, Method};
use lockstep_history::checker::{Options, Verdict, linearizable};
use lockstep_history::model::{Collection, Stack};
use lockstep_history::{Event, EventKind, Value};

use common::{OracleOp, Rng, brute_force_linearizable, event, listing, oracle_ops};

const CASES: u64 = 12_000;
const LONGER_CASES: u64 = 600;

/// The oracle's stack, bottom first: `f(input) -> output` (`None`: unknown), if allowed.
fn apply(stack: &[i64], f: &str, input: &Value, output: Option<&Value>) -> Option<Vec<i64>> {
    let mut stack = stack.to_vec();
    if f == "push" {
        stack.push(input.as_i64()?);
        return Some(stack);
    }
    let top = stack.pop();
    match (output, top) {
        (None, _) | (Some(Value::Nil), None) => Some(stack),
        (Some(v), Some(t)) if v.as_i64() == Some(t) => Some(stack),
        // Unknown outcomes may also have taken nothing: the oracle tries both through the
        // optional operations, so an unknown pop that took a value is the case above.
        _ => None,
    }
}

struct Pending {
    process: u64,
    f: &'static str,
    input: Value,
    result: Option<Value>,
}

/// A history of a correct stack with random overlaps, crashes and failures: up to
/// `processes` processes at once and `ops` + 1 operations.
fn generate(rng: &mut Rng, processes: u64, ops: u64) -> Vec<Event> {
    let processes = 1 + rng.below(processes);
    let ops = 2 + rng.below(ops).max(rng.below(ops));
    let pushes = 35 + rng.below(40);
    let mut stack: Vec<i64> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut idle: Vec<u64> = (0..processes).collect();
    let mut next_process = processes;
    let (mut started, mut fresh) = (0, 0);
    let record = |events: &mut Vec<Event>, kind, process: u64, f, value| {
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
            let (f, input) = if rng.chance(pushes) {
                fresh += 1;
                ("push", Value::Int(fresh))
            } else {
                ("pop", Value::Nil)
            };
            record(&mut events, EventKind::Invoke, process, f, input.clone());
            pending.push(Pending {
                process,
                f,
                input,
                result: None,
            });
            started += 1;
        } else if action == 1 && !pending.is_empty() {
            let i = rng.below(pending.len() as u64) as usize;
            let p = &mut pending[i];
            if p.result.is_none() {
                p.result = Some(match p.f {
                    "push" => {
                        stack.push(p.input.as_i64().unwrap_or_default());
                        p.input.clone()
                    }
                    _ => stack.pop().map_or(Value::Nil, Value::Int),
                });
            }
        } else if !pending.is_empty() {
            let i = rng.below(pending.len() as u64) as usize;
            let p = pending.swap_remove(i);
            let roll = rng.below(100);
            if roll < 8 {
                record(&mut events, EventKind::Info, p.process, p.f, p.input);
                idle.push(next_process);
                next_process += 1;
            } else if roll < 12 && p.result.is_none() {
                record(&mut events, EventKind::Fail, p.process, p.f, p.input);
                idle.push(p.process);
            } else if let Some(out) = p.result {
                record(&mut events, EventKind::Ok, p.process, p.f, out);
                idle.push(p.process);
            } else {
                pending.push(p);
            }
        }
        if started >= ops && rng.chance(2) {
            break;
        }
    }
    if rng.chance(60) {
        corrupt(&mut events, rng, fresh);
    }
    events
}

/// Injects one bug into the completed pops.
fn corrupt(events: &mut [Event], rng: &mut Rng, values: i64) {
    let pops: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].kind == EventKind::Ok && &*events[i].f == "pop")
        .collect();
    if pops.is_empty() {
        return;
    }
    let i = pops[rng.below(pops.len() as u64) as usize];
    match rng.below(4) {
        // Finds the stack empty.
        0 => events[i].value = Value::Nil,
        // Returns some pushed value.
        1 => events[i].value = Value::Int(1 + rng.below(values.max(1) as u64) as i64),
        // Swaps values with another pop.
        2 => {
            let j = pops[rng.below(pops.len() as u64) as usize];
            let (a, b) = (events[i].value.clone(), events[j].value.clone());
            events[i].value = b;
            events[j].value = a;
        }
        // Returns the value pushed last, whenever it was pushed.
        _ => events[i].value = Value::Int(values.max(1)),
    }
}

/// Replays a witness order under the oracle's semantics, respecting real time.
fn witness_is_valid(ops: &[OracleOp], order: &[u64]) -> bool {
    let mut stack: Vec<i64> = Vec::new();
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
        let Some(next) = apply(&stack, &op.f, &op.input, op.output.as_ref()) else {
            return false;
        };
        stack = next;
        placed.insert(invoke);
    }
    ops.iter()
        .all(|o| o.output.is_none() || placed.contains(&o.invoke))
}

#[test]
fn the_stack_pass_agrees_with_search_and_brute_force() {
    let mut rng = Rng::new(0x57ac_c0de_2026);
    let mut options = Options::default();
    options.budget.threads = Some(1);
    let search = Options {
        general_search: true,
        ..options.clone()
    };
    let (mut yes, mut no, mut polynomial, mut empties) = (0u64, 0u64, 0u64, 0u64);
    for case in 0..CASES {
        let events = generate(&mut rng, 6, 10);
        let ops = oracle_ops(&events);
        let expected = brute_force_linearizable(&ops, Vec::<i64>::new(), |stack, op| {
            apply(stack, &op.f, &op.input, op.output.as_ref())
        });
        let searched = linearizable::check_with(&events, &Stack, &search).expect("well formed");
        let checked =
            collections::check(&events, Collection::Stack, &options).expect("well formed");
        assert_eq!(
            searched.is_linearizable(),
            expected,
            "case {case}: search says {searched}, oracle says {expected}\n{}",
            listing(&events)
        );
        assert_eq!(
            checked.verdict.is_linearizable(),
            expected,
            "case {case}: the stack pass says {checked}, oracle says {expected}\n{}",
            listing(&events)
        );
        if checked.method == Method::Polynomial {
            polynomial += 1;
        }
        if ops
            .iter()
            .any(|o| o.f == "pop" && o.output == Some(Value::Nil))
        {
            empties += 1;
        }
        match &checked.verdict {
            Verdict::Linearizable(l) => {
                yes += 1;
                let order = l.partitions.first().map_or(&[][..], |p| &p.order[..]);
                assert!(
                    witness_is_valid(&ops, order),
                    "case {case}: bad witness {order:?}\n{}",
                    listing(&events)
                );
            }
            Verdict::NotLinearizable(c) => {
                no += 1;
                assert!(c.op.op.output.is_some(), "case {case}: blocked op crashed");
                if checked.method == Method::Polynomial {
                    let v = checked.violation.as_ref().expect("a decided violation");
                    assert!(!v.ops.is_empty() && !v.explanation.is_empty());
                }
            }
            Verdict::Unknown(u) => panic!("case {case}: {u}"),
        }
    }
    println!(
        "stacks: {CASES} histories, {yes} linearizable, {no} not, {polynomial} decided in \
         polynomial time, {empties} with a pop that found the stack empty"
    );
    assert!(yes > CASES / 5 && no > CASES / 5, "{yes} {no}");
    assert!(polynomial > CASES * 9 / 10, "{polynomial}");
    assert!(empties > CASES / 4, "{empties}");
}

#[test]
fn the_stack_pass_agrees_with_search_on_longer_histories() {
    let mut rng = Rng::new(0x0057_ac10_2026);
    let mut options = Options::default();
    options.budget.threads = Some(1);
    // The search can blow up on these (that is why the pass exists): it gets a budget,
    // and a history it cannot decide within it is counted, not compared.
    let mut search = Options {
        general_search: true,
        ..options.clone()
    };
    search.budget.memory_limit = Some(512 << 20);
    search.budget.time_limit = Some(Duration::from_secs(3));
    let (mut yes, mut no, mut undecided) = (0u64, 0u64, 0u64);
    for case in 0..LONGER_CASES {
        let events = generate(&mut rng, 8, 14);
        let ops = oracle_ops(&events);
        let searched = linearizable::check_with(&events, &Stack, &search).expect("well formed");
        let checked =
            collections::check(&events, Collection::Stack, &options).expect("well formed");
        if let Verdict::Linearizable(l) = &checked.verdict {
            let order = l.partitions.first().map_or(&[][..], |p| &p.order[..]);
            assert!(witness_is_valid(&ops, order), "case {case}: bad witness");
        }
        if matches!(searched, Verdict::Unknown(_)) {
            undecided += 1;
            continue;
        }
        assert_eq!(
            checked.verdict.is_linearizable(),
            searched.is_linearizable(),
            "case {case}: the stack pass says {checked}, search says {searched}\n{}",
            listing(&events)
        );
        if searched.is_linearizable() {
            yes += 1;
        } else {
            no += 1;
        }
    }
    println!(
        "longer stacks: {LONGER_CASES} histories, {yes} linearizable, {no} not, {undecided} \
         the search could not decide in its budget"
    );
    assert!(
        yes > LONGER_CASES / 5 && no > LONGER_CASES / 5,
        "{yes} {no}"
    );
    assert!(undecided < LONGER_CASES / 10, "{undecided}");
}
