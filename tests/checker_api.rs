//! The checker's API on small hand-built histories: each model's verdicts, partitions,
//! limits, progress, errors, and the counterexample's text.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use lockstep_history::checker::{
    Budget, CandidateOutcome, HistoryError, Options, UnknownReason, Verdict, linearizable,
};
use lockstep_history::model::{
    CasRegister, Counter, FifoQueue, Kv, Model, MultiRegister, Mutex, Register, Set, UnorderedQueue,
};
use lockstep_history::{Event, EventKind, Process, ValidationError, Value};

use EventKind::{Fail, Info, Invoke, Ok};
use common::event;

/// Events from `(process, kind, f, value)` rows, indexed in order.
fn history(rows: &[(u64, EventKind, &'static str, Value)]) -> Vec<Event> {
    rows.iter()
        .enumerate()
        .map(|(i, (p, kind, f, value))| Event {
            index: i as u64,
            time: i as u64,
            error: matches!(kind, Fail | Info).then(|| Value::keyword("timeout")),
            ..event(*kind, *p, f, value.clone())
        })
        .collect()
}

fn i(n: i64) -> Value {
    Value::Int(n)
}

fn v(items: &[Value]) -> Value {
    Value::Vector(items.to_vec())
}

fn verdict<M: Model>(events: &[Event], model: &M) -> Verdict {
    linearizable::check(events, model).unwrap()
}

/// `n` sequential write-then-read pairs on one process: long enough to reach the limits'
/// checkpoints, trivial to linearize.
fn long_history(n: i64) -> Vec<Event> {
    let mut rows = Vec::new();
    for k in 0..n {
        rows.push((0, Invoke, "write", i(k)));
        rows.push((0, Ok, "write", i(k)));
        rows.push((0, Invoke, "read", Value::Nil));
        rows.push((0, Ok, "read", i(k)));
    }
    history(&rows)
}

#[test]
fn concurrent_ops_may_take_effect_in_either_order() {
    let events = history(&[
        (0, Invoke, "write", i(1)),
        (1, Invoke, "write", i(2)),
        (2, Invoke, "read", Value::Nil),
        (2, Ok, "read", i(1)),
        (0, Ok, "write", i(1)),
        (1, Ok, "write", i(2)),
        (2, Invoke, "read", Value::Nil),
        (2, Ok, "read", i(2)),
    ]);
    let verdict = verdict(&events, &Register::new(0));
    let order = &verdict.linearization().unwrap().partitions[0].order;
    // Named by invoke index: write 1, read 1, write 2, read 2.
    assert_eq!(order, &vec![0, 2, 1, 6]);
}

#[test]
fn crashed_ops_may_apply_late_or_never() {
    // A crashed write of 5 explains a read of 5 long after; a crashed write of 9 never
    // shows and never has to.
    let events = history(&[
        (0, Invoke, "write", i(5)),
        (0, Info, "write", i(5)),
        (1, Invoke, "write", i(9)),
        (2, Invoke, "read", Value::Nil),
        (2, Ok, "read", i(0)),
        (2, Invoke, "read", Value::Nil),
        (2, Ok, "read", i(5)),
    ]);
    assert!(verdict(&events, &Register::new(0)).is_linearizable());
    // But nothing can take effect before its invoke.
    let events = history(&[
        (2, Invoke, "read", Value::Nil),
        (2, Ok, "read", i(5)),
        (0, Invoke, "write", i(5)),
        (0, Info, "write", i(5)),
    ]);
    assert!(verdict(&events, &Register::new(0)).is_not_linearizable());
}

#[test]
fn empty_and_nemesis_only_histories_are_linearizable() {
    assert!(verdict(&[], &CasRegister::new(0)).is_linearizable());
    let mut events = history(&[(0, Info, "start", Value::Nil)]);
    events[0].process = Process::Named("nemesis".into());
    assert!(verdict(&events, &CasRegister::new(0)).is_linearizable());
}

#[test]
fn failed_ops_never_happened() {
    let events = history(&[
        (0, Invoke, "write", i(5)),
        (0, Fail, "write", i(5)),
        (1, Invoke, "read", Value::Nil),
        (1, Ok, "read", i(5)),
    ]);
    assert!(verdict(&events, &Register::new(0)).is_not_linearizable());
}

#[test]
fn cas_outcomes_follow_the_design() {
    let cas = |ok: Value| {
        history(&[
            (0, Invoke, "cas", v(&[i(0), i(1)])),
            (0, Ok, "cas", ok),
            (0, Invoke, "read", Value::Nil),
            (0, Ok, "read", i(1)),
        ])
    };
    let m = CasRegister::new(0);
    assert!(verdict(&cas(Value::Bool(true)), &m).is_linearizable());
    assert!(verdict(&cas(v(&[i(0), i(1)])), &m).is_linearizable());
    // `false` is a definite compare failure: yet the register held 0, so it is illegal.
    assert!(verdict(&cas(Value::Bool(false)), &m).is_not_linearizable());
}

#[test]
fn knossos_mode_reads_nil_as_unknown() {
    let events = history(&[
        (0, Invoke, "write", i(3)),
        (0, Ok, "write", i(3)),
        (1, Invoke, "read", Value::Nil),
        (1, Ok, "read", Value::Nil),
    ]);
    assert!(verdict(&events, &Register::new(0)).is_not_linearizable());
    let knossos = Options {
        knossos_nil_reads: true,
        ..Options::default()
    };
    let checked = linearizable::check_with(&events, &Register::new(0), &knossos).unwrap();
    assert!(checked.is_linearizable());
    lockstep_history::assert_linearizable!(events, Register::new(0), &knossos);
    // By default a nil read means empty: fine for a register that starts at nil.
    assert!(
        verdict(
            &events[2..]
                .iter()
                .cloned()
                .enumerate()
                .map(|(k, mut e)| {
                    e.index = k as u64;
                    e
                })
                .collect::<Vec<_>>(),
            &Register::default()
        )
        .is_linearizable()
    );
}

#[test]
fn mutex_set_queues_and_counter() {
    let nil = Value::Nil;
    let double_acquire = history(&[
        (0, Invoke, "acquire", nil.clone()),
        (0, Ok, "acquire", nil.clone()),
        (1, Invoke, "acquire", nil.clone()),
        (1, Ok, "acquire", nil.clone()),
    ]);
    assert!(verdict(&double_acquire, &Mutex).is_not_linearizable());
    assert!(verdict(&double_acquire[..2], &Mutex).is_linearizable());

    let set_read = |seen: Value| {
        history(&[
            (0, Invoke, "add", i(1)),
            (1, Invoke, "add", i(2)),
            (0, Ok, "add", i(1)),
            (2, Invoke, "read", nil.clone()),
            (2, Ok, "read", seen),
        ])
    };
    assert!(verdict(&set_read(v(&[i(1)])), &Set).is_linearizable());
    assert!(verdict(&set_read(v(&[i(1), i(2)])), &Set).is_linearizable());
    assert!(verdict(&set_read(v(&[i(2)])), &Set).is_not_linearizable());

    let queue = |first: i64| {
        history(&[
            (0, Invoke, "enqueue", i(1)),
            (0, Ok, "enqueue", i(1)),
            (0, Invoke, "enqueue", i(2)),
            (0, Ok, "enqueue", i(2)),
            (1, Invoke, "dequeue", nil.clone()),
            (1, Ok, "dequeue", i(first)),
        ])
    };
    assert!(verdict(&queue(1), &FifoQueue).is_linearizable());
    assert!(verdict(&queue(2), &FifoQueue).is_not_linearizable());
    assert!(verdict(&queue(2), &UnorderedQueue).is_linearizable());
    assert!(verdict(&queue(3), &UnorderedQueue).is_not_linearizable());

    let counter = |seen: i64| {
        history(&[
            (0, Invoke, "add", i(2)),
            (1, Invoke, "add", i(3)),
            (0, Ok, "add", i(2)),
            (2, Invoke, "read", nil.clone()),
            (2, Ok, "read", i(seen)),
        ])
    };
    assert!(verdict(&counter(2), &Counter::new(0)).is_linearizable());
    assert!(verdict(&counter(5), &Counter::new(0)).is_linearizable());
    assert!(verdict(&counter(3), &Counter::new(0)).is_not_linearizable());
}

#[test]
fn multi_register_txns_are_atomic() {
    let micro = |f: &str, k: &str, x: Value| v(&[Value::keyword(f), Value::keyword(k), x]);
    let events = |seen_y: i64| {
        history(&[
            (
                0,
                Invoke,
                "txn",
                v(&[micro("write", "x", i(1)), micro("write", "y", i(1))]),
            ),
            (
                1,
                Invoke,
                "txn",
                v(&[
                    micro("read", "x", Value::Nil),
                    micro("read", "y", Value::Nil),
                ]),
            ),
            (
                1,
                Ok,
                "txn",
                v(&[micro("read", "x", i(1)), micro("read", "y", i(seen_y))]),
            ),
            (
                0,
                Ok,
                "txn",
                v(&[micro("write", "x", i(1)), micro("write", "y", i(1))]),
            ),
        ])
    };
    let m = MultiRegister::new([(Value::keyword("x"), i(0)), (Value::keyword("y"), i(0))]);
    assert!(verdict(&events(1), &m).is_linearizable());
    // Half a transaction seen: x written, y not.
    assert!(verdict(&events(0), &m).is_not_linearizable());
}

#[test]
fn kv_is_checked_per_key_and_names_the_bad_key() {
    let mut rows = Vec::new();
    for k in 0..20 {
        let p = k as u64 * 2;
        rows.push((p, Invoke, "write", v(&[i(k), i(k)])));
        rows.push((p, Ok, "write", v(&[i(k), i(k)])));
        rows.push((p + 1, Invoke, "read", v(&[i(k), Value::Nil])));
        // Key 13's read is stale.
        rows.push((
            p + 1,
            Ok,
            "read",
            v(&[i(k), i(if k == 13 { 0 } else { k })]),
        ));
    }
    let events = history(&rows);
    let verdict = verdict(&events, &Kv::new(0));
    let c = verdict.counterexample().expect("key 13 is stale");
    assert_eq!(c.partition, Some(i(13)));
    assert_eq!(c.op.op.f, "read");
    assert!(
        c.to_string().starts_with("not linearizable (kv, key 13)"),
        "{c}"
    );
    // Without the stale read, every key has its own witness.
    let good: Vec<Event> = history(&rows[..52]);
    let l = linearizable::check(&good, &Kv::new(0)).unwrap();
    assert_eq!(l.linearization().unwrap().partitions.len(), 13);
}

#[test]
fn limits_give_unknown_not_a_hang() {
    let events = long_history(2_000);
    let no_memory = Options {
        budget: Budget {
            memory_limit: Some(0),
            ..Budget::default()
        },
        ..Options::default()
    };
    let Verdict::Unknown(u) =
        linearizable::check_with(&events, &Register::new(0), &no_memory).unwrap()
    else {
        panic!("expected unknown");
    };
    assert_eq!(u.reason, UnknownReason::MemoryLimit(0));
    assert_eq!(u.ops, 4_000);
    let no_time = Options {
        budget: Budget {
            time_limit: Some(Duration::ZERO),
            ..Budget::default()
        },
        ..Options::default()
    };
    let verdict = linearizable::check_with(&events, &Register::new(0), &no_time).unwrap();
    assert!(
        matches!(&verdict, Verdict::Unknown(u) if u.reason == UnknownReason::TimeLimit(Duration::ZERO)),
        "{verdict}"
    );
    assert!(
        verdict
            .to_string()
            .starts_with("unknown: time limit of 0ns reached"),
        "{verdict}"
    );
    // With room, the same history is linearizable.
    assert!(
        linearizable::check(&events, &Register::new(0))
            .unwrap()
            .is_linearizable()
    );
}

#[test]
fn progress_is_reported() {
    let calls = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(StdMutex::new(None));
    let (c, l) = (calls.clone(), last.clone());
    let options = Options {
        budget: Budget {
            progress: Some(Arc::new(move |p: &lockstep_history::checker::Progress| {
                c.fetch_add(1, Ordering::Relaxed);
                *l.lock().unwrap() = Some(p.clone());
            })),
            ..Budget::default()
        },
        ..Options::default()
    };
    let events = long_history(2_000);
    assert!(
        linearizable::check_with(&events, &Register::new(0), &options)
            .unwrap()
            .is_linearizable()
    );
    assert!(calls.load(Ordering::Relaxed) >= 1);
    let p = last.lock().unwrap().clone().unwrap();
    assert_eq!((p.partitions, p.ops), (1, 4_000));
    assert!(p.linearized > 0 && p.linearized <= p.deepest);
}

#[test]
fn ill_formed_histories_and_bad_ops_are_errors() {
    let events = history(&[(0, Invoke, "write", i(1)), (0, Invoke, "write", i(2))]);
    let err = linearizable::check(&events, &Register::new(0)).unwrap_err();
    assert!(matches!(
        err,
        HistoryError::IllFormed(ValidationError::InvokeWhilePending {
            index: 1,
            pending: 0,
            ..
        })
    ));
    let events = history(&[(4, Invoke, "frob", i(1))]);
    let err = linearizable::check(&events, &Mutex).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event 0: process 4 `frob`: unknown operation `frob` for mutex (expected acquire, release)"
    );
}

#[test]
fn malformed_values_never_panic() {
    // Every model, every op name, every value shape: an error or a verdict, never a panic.
    let shapes = [
        Value::Nil,
        i(1),
        Value::Bool(false),
        Value::from("s"),
        v(&[]),
        v(&[i(1)]),
        v(&[i(1), i(2)]),
        v(&[i(1), v(&[i(1), i(2)])]),
        v(&[Value::keyword("read"), i(1)]),
        v(&[v(&[Value::keyword("read"), i(1), i(2)])]),
        Value::Map([(i(1), i(2))].into()),
        Value::Set([i(1)].into()),
        Value::Float(f64::NAN),
    ];
    let fs = [
        "read", "write", "cas", "append", "add", "enqueue", "dequeue", "acquire", "txn", "get",
    ];
    fn all<M: Model>(m: &M, events: &[Event]) -> bool {
        linearizable::check(events, m).is_ok()
    }
    for f in fs {
        for input in &shapes {
            for output in &shapes {
                let events = history(&[(0, Invoke, f, input.clone()), (0, Ok, f, output.clone())]);
                let _ = all(&Register::new(0), &events)
                    | all(&CasRegister::new(0), &events)
                    | all(&Mutex, &events)
                    | all(&Set, &events)
                    | all(&FifoQueue, &events)
                    | all(&UnorderedQueue, &events)
                    | all(&Counter::new(0), &events)
                    | all(&Kv::new(""), &events)
                    | all(&MultiRegister::default(), &events);
            }
        }
    }
}

#[test]
fn counterexample_text_is_readable() {
    let events = history(&[
        (0, Invoke, "write", i(1)),
        (0, Ok, "write", i(1)),
        (1, Invoke, "cas", v(&[i(0), i(2)])),
        (2, Invoke, "read", Value::Nil),
        (2, Ok, "read", i(0)),
    ]);
    let verdict = verdict(&events, &CasRegister::new(0));
    let c = verdict.counterexample().unwrap();
    assert_eq!(
        c.to_string(),
        "not linearizable (cas-register)\n\
         cannot linearize: process 2 read -> 0 (events 3..4)\n\
         longest linearizable prefix: 1 operation\n  \
         process 0 write 1 (events 0..1)   [0 -> 1]\n\
         model state there: 1\n\
         candidates from there:\n  \
         process 2 read -> 0 (events 3..4): illegal: the read returned another value than the register held\n  \
         process 1 cas 0 -> 2 (event 2.., never completed): illegal: the cas applied but the register did not hold its expected value\n"
    );
    assert!(matches!(
        c.candidates[0].outcome,
        CandidateOutcome::Illegal { .. }
    ));
    // And as data, for the report.
    let json = serde_json::to_value(c).unwrap();
    assert_eq!(json["op"]["invoke"], 3);
    assert_eq!(json["prefix"][0]["after"], "1");
}
