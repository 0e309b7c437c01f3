use super::*;
use crate::checker::{Options, Verdict, linearizable};
use crate::explore::Rng;
use crate::model::{CasRegister, Stack};
use crate::value::Value;

/// Random histories per comparison: more where the tests run optimized.
const CASES: usize = if cfg!(debug_assertions) {
    2_000
} else {
    40_000
};

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

/// A call: its name, input and output.
type Call = (&'static str, Value, Value);

/// A random history of `n` calls from `call` (given the call's number) on up to 3
/// processes, in a random interleaving of invokes and completions that keeps each process
/// sequential.
fn random_history(rng: &mut Rng, n: usize, call: impl Fn(&mut Rng, usize) -> Call) -> Vec<Event> {
    let mut calls: Vec<Vec<Call>> = vec![Vec::new(); 3];
    for k in 0..n {
        let process = rng.below(3) as usize;
        let c = call(rng, k);
        calls[process].push(c);
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

/// Stack calls: pushes of distinct values or, with `repeats`, of values from a small range
/// (nil among them); pops returning nil or one of those values.
fn stack_call(n: usize, repeats: bool) -> impl Fn(&mut Rng, usize) -> Call {
    move |rng, k| {
        let value = |rng: &mut Rng| match (repeats, rng.below(n as u64 + 1)) {
            (_, 0) => Value::Nil,
            (true, v) => Value::Int((v % 3) as i64),
            (false, v) => Value::Int(v as i64 - 1),
        };
        if rng.below(2) == 0 {
            let v = match repeats {
                true => value(rng),
                false => Value::Int(k as i64),
            };
            ("push", v.clone(), v)
        } else {
            ("pop", Value::Nil, value(rng))
        }
    }
}

/// Stack calls on elements of every kind the search numbers apart: small integers signed
/// and not (equal when their values are), integers too large or negative for the direct
/// table, text, and nil.
fn mixed_stack_call(rng: &mut Rng, _: usize) -> Call {
    let value = |rng: &mut Rng| match rng.below(7) {
        0 => Value::Nil,
        1 => Value::Int(2),
        2 => Value::UInt(2),
        3 => Value::Int(MAX_OPS as i64),
        4 => Value::Int(-1),
        5 => Value::UInt(u64::MAX),
        _ => Value::String("e".into()),
    };
    if rng.below(2) == 0 {
        let v = value(rng);
        ("push", v.clone(), v)
    } else {
        ("pop", Value::Nil, value(rng))
    }
}

/// Register calls: writes and reads of values 0 to 2.
fn register_call(rng: &mut Rng, _: usize) -> Call {
    let v = Value::Int(rng.below(3) as i64);
    match rng.below(2) {
        0 => ("write", v.clone(), v),
        _ => ("read", Value::Nil, v),
    }
}

/// The shape of `events`, if this module covers it.
fn read_shape(events: &[Event]) -> Option<Shape> {
    let mut shape = Shape::EMPTY;
    shape.read(events, |_, _, _| true).then_some(shape)
}

/// The operations of `events` as (invoke, completion) pairs of events, in completion order.
fn calls(events: &[Event]) -> Vec<(&Event, &Event)> {
    let shape = read_shape(events).expect("complete histories");
    (0..shape.len).map(|i| shape.events(events, i)).collect()
}

/// Whether the operations of `events`, in `order` (their places in completion order), are a
/// legal run of `model` that keeps real-time order: checked from the events alone.
fn is_witness<M: Model>(events: &[Event], model: &M, order: &[u8]) -> bool {
    let ops = calls(events);
    let mut sorted = order.to_vec();
    sorted.sort_unstable();
    if sorted != (0..ops.len() as u8).collect::<Vec<_>>() {
        return false;
    }
    let order: Vec<usize> = order.iter().map(|&i| usize::from(i)).collect();
    steps_legally(model, &ops, &order)
}

/// Whether `order` keeps real-time order and `model` accepts it step by step.
fn steps_legally<M: Model>(model: &M, ops: &[(&Event, &Event)], order: &[usize]) -> bool {
    let real_time = order.iter().enumerate().all(|(a, &i)| {
        order[a + 1..]
            .iter()
            .all(|&j| ops[j].1.index > ops[i].0.index)
    });
    let mut state = model.init();
    real_time
        && order.iter().all(|&i| {
            let (invoke, ok) = ops[i];
            let raw = RawOp {
                f: &invoke.f,
                input: &invoke.value,
                output: Some(&ok.value),
                knossos_nil_reads: false,
            };
            let Ok(op) = model.prepare(&raw) else {
                return false;
            };
            match model.step(&state, &op) {
                Ok(next) => {
                    state = next;
                    true
                }
                Err(_) => false,
            }
        })
}

/// The oracle: every order of the operations, kept if it respects real time and the
/// model accepts it step by step.
fn brute_force<M: Model>(events: &[Event], model: &M) -> bool {
    let ops = calls(events);
    let mut order: Vec<usize> = (0..ops.len()).collect();
    permutations(&mut order, 0, &mut |order| {
        steps_legally(model, &ops, order)
    })
}

/// Whether `accept` holds for some ordering of `items[k..]` after `items[..k]`.
fn permutations(items: &mut [usize], k: usize, accept: &mut dyn FnMut(&[usize]) -> bool) -> bool {
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

/// The general search stepping `model`, remembering after `remember_after` steps per
/// operation, whatever the model's collection.
fn general<M: Model>(events: &[Event], model: &M, remember_after: usize) -> Option<Order> {
    let shape = read_shape(events)?;
    let ops = shape.prepare(events, model)?;
    Search::new(model, &shape, &ops).run(remember_after)
}

/// For random histories from `call` of up to `max` operations: the quick answer is the
/// brute force's and the full checker's, with each memo policy and (`general` set) by the
/// general search too; every yes comes with an order that checks out step by step. Returns
/// how many histories were linearizable and how many not.
fn compare<M: Model>(
    seed: u64,
    max: usize,
    model: &M,
    call: impl Fn(usize) -> Box<dyn Fn(&mut Rng, usize) -> Call>,
) -> (usize, usize) {
    let mut rng = Rng::new(seed);
    let options = Options {
        knossos_nil_reads: false,
        ..Options::default()
    };
    let (mut yes, mut no) = (0, 0);
    for _ in 0..CASES {
        let n = 1 + rng.below(max as u64) as usize;
        let events = random_history(&mut rng, n, call(n));
        let shape = read_shape(&events).unwrap();
        for (h, later) in (0..shape.len).map(|h| (h, shape.events(&events, h).1)) {
            for i in 0..shape.len {
                let before = shape.before[h] & (1 << i) != 0;
                let invoked = shape.events(&events, i).0.index;
                assert_eq!(before, invoked < later.index, "{h} {i} {events:#?}");
            }
        }
        let quick = order(&events, model, REMEMBER_AFTER);
        if let Some(order) = &quick {
            assert!(is_witness(&events, model, order.as_slice()), "{events:#?}");
        }
        let quick = quick.is_some();
        assert_eq!(quick, linearizes(&events, model));
        assert_eq!(quick, brute_force(&events, model), "{events:#?}");
        for remember_after in [0, usize::MAX] {
            let other = order(&events, model, remember_after).is_some();
            assert_eq!(
                quick, other,
                "remembering after {remember_after}: {events:#?}"
            );
            let general = general(&events, model, remember_after).is_some();
            assert_eq!(
                quick, general,
                "general, after {remember_after}: {events:#?}"
            );
        }
        let full = linearizable::check_with(&events, model, &options).unwrap();
        assert_eq!(
            quick,
            matches!(full, Verdict::Linearizable(_)),
            "{events:#?}"
        );
        if quick { yes += 1 } else { no += 1 }
    }
    (yes, no)
}

/// Asserts that a comparison met both answers on at least a tenth of its histories.
fn both_answers(yes: usize, no: usize) {
    assert!(
        yes > CASES / 10 && no > CASES / 10,
        "both answers are exercised: {yes} yes, {no} no"
    );
}

#[test]
fn agrees_with_brute_force_and_the_full_checker_on_small_stack_histories() {
    let (yes, no) = compare(11, 6, &Stack, |n| Box::new(stack_call(n, false)));
    both_answers(yes, no);
}

#[test]
fn agrees_on_stack_histories_with_repeated_and_nil_elements() {
    let (yes, no) = compare(12, 7, &Stack, |n| Box::new(stack_call(n, true)));
    both_answers(yes, no);
}

#[test]
fn agrees_on_stack_histories_with_elements_of_every_kind() {
    let (yes, no) = compare(14, 7, &Stack, |_| Box::new(mixed_stack_call));
    both_answers(yes, no);
}

#[test]
fn agrees_on_small_register_histories() {
    let (yes, no) = compare(13, 6, &CasRegister::new(0), |_| Box::new(register_call));
    both_answers(yes, no);
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
    // index out of place, an op the model cannot read, more operations than a word holds,
    // more processes than a word holds, a process numbered beyond them.
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
    let pushes = |n: usize| -> Vec<Event> {
        (0..2 * n)
            .map(|i| {
                let kind = if i % 2 == 0 { Invoke } else { Ok };
                event(i, kind, 0, "push", Value::Int(i as i64 / 2))
            })
            .collect()
    };
    assert!(linearizes(&pushes(MAX_OPS), &Stack));
    let mut invokes = pushes(MAX_OPS);
    for (i, e) in invokes.iter_mut().enumerate() {
        (e.kind, e.process) = (Invoke, Process::Id(i as u64));
    }
    let mut numbered_high = ok.clone();
    for e in &mut numbered_high {
        e.process = Process::Id(MAX_OPS as u64);
    }
    for events in [
        info,
        pending,
        named,
        mismatched,
        misplaced,
        unknown,
        pushes(MAX_OPS + 1),
        invokes,
        numbered_high,
    ] {
        assert!(!linearizes(&events, &Stack), "{events:#?}");
        assert!(!linearizes(&events, &CasRegister::new(0)), "{events:#?}");
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
    let order = order(&events, &CasRegister::new(0), REMEMBER_AFTER).unwrap();
    assert_eq!(order.as_slice(), [1, 0, 2]);
    let mut stale = events.clone();
    stale[5].value = Value::Int(0);
    assert!(!linearizes(&stale, &CasRegister::new(0)));
    // The same for a stack: push 1 and push 2 overlap, then pop returns 1.
    let mut pushes = events.clone();
    for e in &mut pushes {
        e.f = if e.index < 4 { "push" } else { "pop" }.into();
    }
    pushes[4].value = Value::Nil;
    let order = super::order(&pushes, &Stack, REMEMBER_AFTER).unwrap();
    assert_eq!(order.as_slice(), [1, 0, 2]);
    pushes[5].value = Value::Int(3);
    assert!(!linearizes(&pushes, &Stack));
}

#[test]
fn a_search_too_long_is_left_to_the_full_checker() {
    use EventKind::*;
    // Twenty overlapping pushes, then pops one after another of the first pushed, the
    // second, and so on: only the pushes in reverse order work, and the search, which tries
    // them in completion order, goes through the others first, far beyond its step limit
    // (the memo cannot help: every order leaves a different stack).
    let n = 20;
    let mut events: Vec<Event> = (0..n)
        .map(|p| event(p, Invoke, p as u64, "push", Value::Int(p as i64)))
        .collect();
    events.extend((0..n).map(|p| event(n + p, Ok, p as u64, "push", Value::Int(p as i64))));
    for p in 0..n {
        events.push(event(2 * n + 2 * p, Invoke, 0, "pop", Value::Nil));
        events.push(event(2 * n + 2 * p + 1, Ok, 0, "pop", Value::Int(p as i64)));
    }
    let mut shape = Shape::EMPTY;
    let mut search = stack::StackSearch::new();
    assert!(shape.read(&events, |i, invoke, ok| search.read(&events, i, invoke, ok)));
    assert!(search.run(&shape, REMEMBER_AFTER).is_none());
    assert_eq!(search.steps, MAX_STEPS);
    assert!(!linearizes(&events, &Stack));
    let full = linearizable::check(&events, &Stack).unwrap();
    assert!(full.is_linearizable(), "{full}");
    // In the opposite order the first try is right.
    for p in 0..n {
        events[2 * n + 2 * p + 1].value = Value::Int((n - 1 - p) as i64);
    }
    assert!(linearizes(&events, &Stack));
}
