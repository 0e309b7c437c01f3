//! Differential tests: histories generated from serial executions (each transaction takes
//! effect atomically at one instant between its invoke and completion, so they are
//! strict-serializable by construction), with random concurrency, crashes and aborts, are
//! always valid; injecting one known anomaly is always found and named.

mod common;

use lockstep_history::checker::txn::{self, Analysis, ConsistencyModel, Options};
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

fn check(events: &[Event]) -> Analysis {
    txn::check(events, &Options::default()).unwrap()
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
