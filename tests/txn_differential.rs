//! Differential tests: histories generated from serial executions (each transaction takes
//! effect atomically at one instant between its invoke and completion, so they are
//! strict-serializable by construction), with random concurrency, crashes and aborts, are
//! always valid; injecting one known anomaly is always found and named. The checker
//! interns keys and values as integers, so the same histories with their keys and values
//! written as other scalars (strings, keywords, large or unsigned integers, floats, one
//! value in two integer forms) must be judged exactly alike.
//!
//! Every history checked here is also written in each file format and read back straight
//! into the checker's compact form (`Transactions::parse`, what `txn::check_file` and the
//! CLI use): the analysis must be exactly the one the events give, explanations included.

mod common;

use lockstep_history::checker::txn::{self, Analysis, ConsistencyModel, Options, Transactions};
use lockstep_history::format::{self, Format};
use lockstep_history::{Event, EventKind, Value};
use proptest::prelude::*;

use common::{Rng, event};

/// A transaction in flight: its plan (append?, key, value) and, once applied, its result.
type Running = (Vec<(bool, i64, i64)>, Option<Value>);

struct Gen {
    events: Vec<Event>,
    /// Each key's list, as the serial execution has it.
    state: Vec<Vec<i64>>,
    next_value: Vec<i64>,
    next_process: u64,
}

fn mop(f: &str, k: i64, v: Value) -> Value {
    Value::Vector(vec![Value::keyword(f), Value::Int(k), v])
}

impl Gen {
    fn push(&mut self, e: Event) {
        let mut e = e;
        e.index = self.events.len() as u64;
        self.events.push(e);
    }

    /// Runs `txns` transactions over `keys` keys on `procs` processes.
    fn run(seed: u64, txns: usize, keys: usize, procs: usize) -> Gen {
        let mut rng = Rng::new(seed);
        let mut g = Gen {
            events: Vec::new(),
            state: vec![Vec::new(); keys],
            next_value: vec![1; keys],
            next_process: procs as u64,
        };
        // Per process slot: (process id, planned micro-ops (f, key), result if applied).
        let mut slots: Vec<(u64, Option<Running>)> = (0..procs).map(|p| (p as u64, None)).collect();
        let mut started = 0;
        while started < txns || slots.iter().any(|s| s.1.is_some()) {
            let s = rng.below(procs as u64) as usize;
            let (p, pending) = &mut slots[s];
            let p = *p;
            match pending.take() {
                None if started < txns => {
                    started += 1;
                    let len = 1 + rng.below(4);
                    let mut plan = Vec::new();
                    for _ in 0..len {
                        let k = rng.below(keys as u64) as i64;
                        let append = rng.below(2) == 0;
                        let v = if append {
                            let v = g.next_value[k as usize];
                            g.next_value[k as usize] += 1;
                            v
                        } else {
                            0
                        };
                        plan.push((append, k, v));
                    }
                    let invoke = plan
                        .iter()
                        .map(|&(a, k, v)| {
                            if a {
                                mop("append", k, Value::Int(v))
                            } else {
                                mop("r", k, Value::Nil)
                            }
                        })
                        .collect();
                    g.push(event(EventKind::Invoke, p, "txn", Value::Vector(invoke)));
                    *pending = Some((plan, None));
                }
                None => {}
                Some((plan, None)) => {
                    let roll = rng.below(20);
                    if roll == 0 {
                        // Abort: never applied.
                        let v = plan
                            .iter()
                            .map(|&(a, k, v)| {
                                if a {
                                    mop("append", k, Value::Int(v))
                                } else {
                                    mop("r", k, Value::Nil)
                                }
                            })
                            .collect();
                        g.push(event(EventKind::Fail, p, "txn", Value::Vector(v)));
                    } else {
                        // Apply atomically now.
                        let mut out = Vec::new();
                        for &(a, k, v) in &plan {
                            if a {
                                g.state[k as usize].push(v);
                                out.push(mop("append", k, Value::Int(v)));
                            } else {
                                let l =
                                    g.state[k as usize].iter().map(|&x| Value::Int(x)).collect();
                                out.push(mop("r", k, Value::Vector(l)));
                            }
                        }
                        *pending = Some((plan, Some(Value::Vector(out))));
                    }
                }
                Some((plan, Some(result))) => {
                    if rng.below(25) == 0 {
                        // Crash after applying: info, and the process is replaced.
                        let v = plan
                            .iter()
                            .map(|&(a, k, v)| {
                                if a {
                                    mop("append", k, Value::Int(v))
                                } else {
                                    mop("r", k, Value::Nil)
                                }
                            })
                            .collect();
                        g.push(event(EventKind::Info, p, "txn", Value::Vector(v)));
                        slots[s].0 = g.next_process;
                        g.next_process += 1;
                    } else {
                        g.push(event(EventKind::Ok, p, "txn", result));
                    }
                }
            }
        }
        g
    }

    /// A new transaction on a fresh process, run alone after everything else.
    fn alone(&mut self, invoke: Vec<Value>, ok: Vec<Value>, kind: EventKind) {
        let p = self.next_process;
        self.next_process += 1;
        self.push(event(EventKind::Invoke, p, "txn", Value::Vector(invoke)));
        self.push(event(kind, p, "txn", Value::Vector(ok)));
    }

    fn list(&self, k: usize) -> Value {
        Value::Vector(self.state[k].iter().map(|&x| Value::Int(x)).collect())
    }

    /// A key with at least one element.
    fn nonempty_key(&self) -> Option<usize> {
        (0..self.state.len()).find(|&k| !self.state[k].is_empty())
    }
}

/// The analysis of `events` in memory, after checking that each file format read straight
/// into the compact form gives exactly the same one.
fn check(events: &[Event]) -> Analysis {
    let options = Options::default();
    let analysis = txn::check(events, &options).unwrap();
    // Large histories in Jepsen's format only, to keep the test quick.
    let formats: &[Format] = if events.len() > 10_000 {
        &[Format::Edn]
    } else {
        &[Format::Edn, Format::Json, Format::Jsonl]
    };
    for &f in formats {
        let mut bytes = Vec::new();
        format::write(&mut bytes, events, f).unwrap();
        let txns = Transactions::parse(&bytes, f, options.workload).unwrap();
        assert_eq!(txns.len(), analysis.transactions, "{f}");
        let from_file = txns.check(&options).unwrap();
        assert_eq!(from_file, analysis, "{f}:\n{from_file}\n---\n{analysis}");
    }
    analysis
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn serial_executions_are_valid(seed in any::<u64>(), txns in 1usize..120, keys in 1usize..6, procs in 1usize..8) {
        let g = Gen::run(seed, txns, keys, procs);
        let a = check(&g.events);
        prop_assert!(a.is_valid() && a.anomaly_names().is_empty(), "{a}");
    }

    #[test]
    fn a_stale_read_is_found(seed in any::<u64>(), txns in 1usize..80, keys in 1usize..5, procs in 1usize..6) {
        let mut g = Gen::run(seed, txns, keys, procs);
        let Some(k) = g.nonempty_key() else { return Ok(()) };
        // Only an ok append can be missed for sure.
        let mut stale = g.state[k].clone();
        stale.pop();
        let stale = Value::Vector(stale.into_iter().map(Value::Int).collect());
        g.alone(vec![mop("r", k as i64, Value::Nil)], vec![mop("r", k as i64, stale)], EventKind::Ok);
        let a = check(&g.events);
        // When the dropped element's appender completed ok (not info), the read is provably
        // stale: it misses a write that completed before it began.
        let appender_ok = g.events.iter().any(|e| e.kind == EventKind::Ok && e.value.as_slice().is_some_and(|ops| ops.iter().any(|m| m[0].as_name() == Some("append") && m[1] == Value::Int(k as i64) && Some(&m[2]) == g.state[k].last().map(|&x| Value::Int(x)).as_ref())));
        if appender_ok {
            prop_assert!(a.anomaly_names().iter().any(|n| n.starts_with("G-single")), "{a}");
            prop_assert!(!a.is_valid() && a.violates(ConsistencyModel::StrictSerializable), "{a}");
        }
    }

    #[test]
    fn a_write_skew_is_found(seed in any::<u64>(), txns in 0usize..60, procs in 1usize..5) {
        let mut g = Gen::run(seed, txns, 2, procs);
        let (x, y) = (g.list(0), g.list(1));
        let (vx, vy) = (g.next_value[0], g.next_value[1]);
        let (p, q) = (g.next_process, g.next_process + 1);
        g.next_process += 2;
        let reads = |x: &Value, y: &Value| vec![mop("r", 0, x.clone()), mop("r", 1, y.clone())];
        let mut t1 = reads(&x, &y);
        t1.push(mop("append", 0, Value::Int(vx)));
        let mut t2 = reads(&x, &y);
        t2.push(mop("append", 1, Value::Int(vy)));
        g.push(event(EventKind::Invoke, p, "txn", Value::Vector(t1.clone())));
        g.push(event(EventKind::Invoke, q, "txn", Value::Vector(t2.clone())));
        g.push(event(EventKind::Ok, p, "txn", Value::Vector(t1)));
        g.push(event(EventKind::Ok, q, "txn", Value::Vector(t2)));
        g.state[0].push(vx);
        g.state[1].push(vy);
        let fin = vec![mop("r", 0, g.list(0)), mop("r", 1, g.list(1))];
        g.alone(fin.clone(), fin, EventKind::Ok);
        let a = check(&g.events);
        prop_assert!(a.anomaly_names().contains(&"G2-item".to_string()), "{a}");
        prop_assert!(a.violates(ConsistencyModel::Serializable) && !a.violates(ConsistencyModel::SnapshotIsolation), "{a}");
    }

    #[test]
    fn an_aborted_read_is_found(seed in any::<u64>(), txns in 0usize..60, keys in 1usize..4, procs in 1usize..5) {
        let mut g = Gen::run(seed, txns, keys, procs);
        let v = g.next_value[0];
        g.alone(vec![mop("append", 0, Value::Int(v))], vec![mop("append", 0, Value::Int(v))], EventKind::Fail);
        let mut seen = g.state[0].clone();
        seen.push(v);
        let seen = Value::Vector(seen.into_iter().map(Value::Int).collect());
        g.alone(vec![mop("r", 0, Value::Nil)], vec![mop("r", 0, seen)], EventKind::Ok);
        let a = check(&g.events);
        prop_assert!(a.anomaly_names().contains(&"G1a".to_string()), "{a}");
        prop_assert!(a.violates(ConsistencyModel::ReadCommitted), "{a}");
    }

    #[test]
    fn a_lost_append_is_found(seed in any::<u64>(), txns in 1usize..80, keys in 1usize..4, procs in 1usize..6) {
        let mut g = Gen::run(seed, txns, keys, procs);
        // One more append, acknowledged, then a final read that does not hold it.
        let k = 0;
        let v = g.next_value[k];
        g.alone(vec![mop("append", k as i64, Value::Int(v))], vec![mop("append", k as i64, Value::Int(v))], EventKind::Ok);
        let before = g.list(k);
        g.alone(vec![mop("r", k as i64, Value::Nil)], vec![mop("r", k as i64, before)], EventKind::Ok);
        let a = check(&g.events);
        prop_assert!(!a.is_valid(), "{a}");
        prop_assert!(a.anomaly_names().contains(&"G-single-realtime".to_string()), "{a}");
    }
}

/// A scalar standing for integer `v` in one of several forms; distinct `v` give distinct
/// values in every form, and `form` 0 is the integer itself.
fn relabel_scalar(v: i64, form: u64) -> Value {
    match form {
        0 => Value::Int(v),
        1 => Value::String(format!("v{v}").into()),
        2 => Value::keyword(&format!("k{v}")),
        3 => Value::Int(v + (1 << 40)),
        4 => Value::UInt(v as u64),
        _ => Value::Float(v as f64 + 0.5),
    }
}

/// The history with every key written in `key_form` and every element in a form chosen
/// per value (`forms` cycles through them by value), reads in `read_form` when set (a
/// value read in another integer form than it was appended, which compares equal).
fn relabel(events: &[Event], key_form: u64, forms: &[u64], read_form: Option<u64>) -> Vec<Event> {
    let form_of = |v: i64| forms[v.unsigned_abs() as usize % forms.len()];
    let elem = |x: &Value, read: bool| match x.as_i64() {
        Some(v) => relabel_scalar(v, read_form.filter(|_| read).unwrap_or(form_of(v))),
        None => x.clone(),
    };
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let Some(ops) = e.value.as_slice() {
                let ops = ops
                    .iter()
                    .map(|m| {
                        let Some([f, k, v]) =
                            m.as_slice().and_then(|p| <&[Value; 3]>::try_from(p).ok())
                        else {
                            return m.clone();
                        };
                        let k = k
                            .as_i64()
                            .map_or_else(|| k.clone(), |k| relabel_scalar(k, key_form));
                        let v = match v.as_slice() {
                            Some(list) => {
                                Value::Vector(list.iter().map(|x| elem(x, true)).collect())
                            }
                            None if f.as_name() == Some("append") => elem(v, false),
                            None => v.clone(),
                        };
                        Value::Vector(vec![f.clone(), k, v])
                    })
                    .collect();
                e.value = Value::Vector(ops);
            }
            e
        })
        .collect()
}

/// What an analysis says, without the values it quotes: verdict, counts, and each
/// example's kind, transactions (by event) and cycle edges.
fn outline(a: &Analysis) -> (String, Vec<String>) {
    let examples = a
        .anomalies
        .iter()
        .map(|x| {
            let ts: Vec<String> = x
                .transactions
                .iter()
                .map(|t| format!("{}@{}/{:?}", t.name, t.invoke, t.completion))
                .collect();
            let edges: Vec<String> = x
                .cycle
                .iter()
                .map(|c| format!("{}->{} {}", c.from, c.to, c.edge))
                .collect();
            format!("{} [{}] [{}]", x.kind, ts.join(" "), edges.join(" "))
        })
        .collect();
    (format!("{} {:?}", a.summary(), a.counts), examples)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn keys_and_values_of_any_scalar_are_judged_alike(
        seed in any::<u64>(),
        txns in 1usize..150,
        keys in 1usize..4,
        procs in 1usize..6,
        key_form in 0u64..6,
        forms in proptest::collection::vec(0u64..6, 1..4),
        read_form in proptest::option::of(prop_oneof![Just(0u64), Just(4u64)]),
        inject in 0u64..3,
    ) {
        // Few keys and up to 150 transactions: keys hold many values, past those kept
        // beside each key.
        let mut g = Gen::run(seed, txns, keys, procs);
        let v = g.next_value[0];
        match inject {
            // An aborted read.
            0 => {
                g.alone(vec![mop("append", 0, Value::Int(v))], vec![mop("append", 0, Value::Int(v))], EventKind::Fail);
                let mut seen = g.state[0].clone();
                seen.push(v);
                let seen = Value::Vector(seen.into_iter().map(Value::Int).collect());
                g.alone(vec![mop("r", 0, Value::Nil)], vec![mop("r", 0, seen)], EventKind::Ok);
            }
            // A lost append.
            1 => {
                g.alone(vec![mop("append", 0, Value::Int(v))], vec![mop("append", 0, Value::Int(v))], EventKind::Ok);
                let before = g.list(0);
                g.alone(vec![mop("r", 0, Value::Nil)], vec![mop("r", 0, before)], EventKind::Ok);
            }
            _ => {}
        }
        // A read of ints written as UInt only compares equal when the value fits; keep
        // the forms that can meet in one read comparable.
        let read_form = read_form.filter(|_| forms.iter().all(|&f| f == 0 || f == 4));
        let plain = check(&g.events);
        let other = check(&relabel(&g.events, key_form, &forms, read_form));
        prop_assert_eq!(outline(&plain), outline(&other), "\n{}\n---\n{}", plain, other);
    }
}

/// A history of 20,000 transactions (far more than the property tests make), generated
/// from a serial execution, is valid; one lost append at its end is found.
#[test]
fn a_large_serial_execution_is_valid_until_an_append_is_lost() {
    let mut g = Gen::run(0x5eed, 20_000, 40, 20);
    let a = check(&g.events);
    assert!(a.is_valid() && a.anomaly_names().is_empty(), "{a}");
    let relabelled = check(&relabel(&g.events, 1, &[2, 3, 5], None));
    assert_eq!(outline(&a), outline(&relabelled));
    let v = g.next_value[7];
    g.alone(
        vec![mop("append", 7, Value::Int(v))],
        vec![mop("append", 7, Value::Int(v))],
        EventKind::Ok,
    );
    let before = g.list(7);
    g.alone(
        vec![mop("r", 7, Value::Nil)],
        vec![mop("r", 7, before)],
        EventKind::Ok,
    );
    let a = check(&g.events);
    assert_eq!(a.anomaly_names(), ["G-single-realtime"], "{a}");
    let relabelled = check(&relabel(&g.events, 2, &[0, 4], Some(4)));
    assert_eq!(outline(&a), outline(&relabelled));
}
