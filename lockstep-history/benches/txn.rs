//! Transactional checking of generated valid list-append histories of 10k, 100k and 1M
//! transactions (about 4 micro-ops each, 10 and 100 processes, 10 keys in flight, each key
//! retired after 8 appends). `TXN_BENCH_MAX` limits the largest size (default 1,000,000).
//!
//! `TXN_BENCH_ONCE=N:P` skips criterion: it generates one history of `N` transactions on
//! `P` processes, checks it once and prints how long each took, so the process can be
//! measured whole under `/usr/bin/time`; `TXN_BENCH_ONCE=N:P:generate` only generates, to
//! tell the checker's share from the generator's.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group};
use lockstep_history::checker::txn::{self, Options};
use lockstep_history::{Event, EventKind, Process, Value};

/// A valid history: each transaction applies atomically between its invoke and its ok.
pub fn generate(txns: usize, procs: usize, seed: u64) -> Vec<Event> {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut events = Vec::with_capacity(txns * 2);
    let mut lists: Vec<Vec<i64>> = Vec::new();
    let mut live: Vec<usize> = Vec::new();
    for _ in 0..10 {
        live.push(lists.len());
        lists.push(Vec::new());
    }
    let mut pending: Vec<Option<Vec<(bool, usize, i64)>>> = vec![None; procs];
    let mut started = 0;
    // One keyword value of each name, shared, as a parser that interns keywords would.
    let (append, read) = (Value::keyword("append"), Value::keyword("r"));
    let mop =
        |f: &Value, k: usize, v: Value| Value::Vector(vec![f.clone(), Value::Int(k as i64), v]);
    while started < txns || pending.iter().any(Option::is_some) {
        let p = (next() % procs as u64) as usize;
        let mut push = |kind, value| {
            events.push(Event {
                index: events.len() as u64,
                time: 0,
                kind,
                process: Process::Id(p as u64),
                f: "txn".into(),
                value,
                error: None,
            });
        };
        match pending[p].take() {
            None if started < txns => {
                started += 1;
                let plan: Vec<(bool, usize, i64)> = (0..4)
                    .map(|_| {
                        let slot = (next() % live.len() as u64) as usize;
                        let k = live[slot];
                        if next() % 2 == 0 {
                            (false, k, 0)
                        } else {
                            let v = lists[k].len() as i64 + 1;
                            lists[k].push(-v); // reserved; becomes visible when applied
                            if lists[k].len() >= 8 {
                                live[slot] = lists.len();
                                lists.push(Vec::new());
                            }
                            (true, k, v)
                        }
                    })
                    .collect();
                let invoke = plan
                    .iter()
                    .map(|&(a, k, v)| {
                        if a {
                            mop(&append, k, Value::Int(v))
                        } else {
                            mop(&read, k, Value::Nil)
                        }
                    })
                    .collect();
                push(EventKind::Invoke, Value::Vector(invoke));
                pending[p] = Some(plan);
            }
            None => {}
            Some(plan) => {
                // Apply now, atomically, and complete.
                let out = plan
                    .iter()
                    .map(|&(a, k, v)| {
                        if a {
                            let at = lists[k].iter().position(|&x| x == -v).unwrap();
                            let x = lists[k].remove(at);
                            let visible = lists[k].iter().take_while(|&&x| x > 0).count();
                            lists[k].insert(visible, -x);
                            mop(&append, k, Value::Int(v))
                        } else {
                            let visible = lists[k].iter().take_while(|&&x| x > 0).count();
                            let l = lists[k][..visible].iter().map(|&x| Value::Int(x)).collect();
                            mop(&read, k, Value::Vector(l))
                        }
                    })
                    .collect();
                push(EventKind::Ok, Value::Vector(out));
            }
        }
    }
    events
}

fn bench(c: &mut Criterion) {
    let max: usize = std::env::var("TXN_BENCH_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let mut group = c.benchmark_group("txn");
    group.sample_size(10);
    for procs in [10, 100] {
        for n in [10_000, 100_000, 1_000_000] {
            if n > max {
                continue;
            }
            let events = generate(n, procs, n as u64);
            let a = txn::check(&events, &Options::default()).unwrap();
            assert!(a.is_valid(), "{a}");
            let id = BenchmarkId::new(format!("list-append/{procs} processes"), n);
            group.bench_with_input(id, &events, |b, events| {
                b.iter(|| black_box(txn::check(events, &Options::default()).unwrap()))
            });
        }
    }
    group.finish();
}

/// `TXN_BENCH_ONCE=N:P[:generate]`: one history, generated and (unless `generate`)
/// checked once, with the time of each step.
fn once(spec: &str) {
    let parts: Vec<&str> = spec.split(':').collect();
    let number = |i: usize| parts.get(i).and_then(|s| s.parse::<usize>().ok());
    let (Some(n), Some(procs)) = (number(0), number(1)) else {
        eprintln!("TXN_BENCH_ONCE must be N:P or N:P:generate, not {spec}");
        std::process::exit(2);
    };
    let start = Instant::now();
    let events = generate(n, procs, n as u64);
    println!(
        "generated {n} transactions on {procs} processes ({} events) in {:.2?}",
        events.len(),
        start.elapsed()
    );
    if parts.get(2) == Some(&"generate") {
        return;
    }
    let start = Instant::now();
    let a = txn::check(&events, &Options::default()).unwrap();
    println!("checked in {:.2?}: {}", start.elapsed(), a.summary());
}

criterion_group!(benches, bench);

fn main() {
    match std::env::var("TXN_BENCH_ONCE") {
        Ok(spec) => once(&spec),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
