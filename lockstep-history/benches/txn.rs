//! Transactional checking of generated valid list-append histories of 10k, 100k and 1M
//! transactions (about 4 micro-ops each, 10 and 100 processes, 10 keys in flight, each key
//! retired after 8 appends). `TXN_BENCH_MAX` limits the largest size (default 1,000,000).
//!
//! Two routes are timed: `in memory` checks a history already held as events
//! (`txn::check`); `from file` reads a Jepsen EDN file of the same history straight into
//! the checker's compact form and checks it (`txn::check_file`), which is what `lockstep
//! check --model list-append` does with a file.
//!
//! `TXN_BENCH_ONCE` skips criterion and runs one step once, printing how long it took, so
//! the process can be measured whole under `/usr/bin/time`:
//! - `N:P` generates one history of `N` transactions on `P` processes as events and checks
//!   it in memory; `N:P:generate` only generates it, to tell the checker's share from the
//!   generator's;
//! - `N:P:write:PATH` streams the same history into the file `PATH` (EDN, JSON or JSON
//!   Lines, from its extension) without holding it;
//! - `file:PATH` reads `PATH` straight into the compact form and checks it: the whole
//!   process is the measured part.

use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group};
use lockstep_history::checker::txn::{self, Options};
use lockstep_history::format::{self, Format};
use lockstep_history::{Event, EventKind, Process, Value};

/// A valid history: each transaction applies atomically between its invoke and its ok.
pub fn generate(txns: usize, procs: usize, seed: u64) -> Vec<Event> {
    let mut events = Vec::with_capacity(txns * 2);
    generate_each(txns, procs, seed, |e| events.push(e));
    events
}

/// [`generate`]'s history, handed to `emit` one event at a time.
fn generate_each(txns: usize, procs: usize, seed: u64, mut emit: impl FnMut(Event)) {
    let mut rng = seed | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut index = 0u64;
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
            index += 1;
            emit(Event {
                index: index - 1,
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
}

/// Streams [`generate`]'s history into `path`, one event at a time: JSON Lines for a
/// `.jsonl` path, one JSON array (an event a line) for `.json`, else Jepsen EDN (a stream
/// of op maps, as Jepsen writes `history.edn`).
fn write_file(path: &Path, txns: usize, procs: usize, seed: u64) -> std::io::Result<()> {
    let format = Format::from_path(path).unwrap_or(Format::Edn);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut failed = None;
    let mut buf = Vec::with_capacity(256);
    let mut first = true;
    generate_each(txns, procs, seed, |e| {
        if failed.is_some() {
            return;
        }
        let one = std::slice::from_ref(&e);
        buf.clear();
        let written = match format {
            Format::Jsonl => format::jsonl::write(&mut buf, one),
            Format::Json => {
                // The array's line of this event: its JSON Lines line after `[` or `,`.
                buf.push(if first { b'[' } else { b',' });
                format::jsonl::write(&mut buf, one)
            }
            Format::Edn => format::edn::write_stream(&mut buf, one),
        };
        first = false;
        if let Err(e) = written
            .map_err(std::io::Error::other)
            .and_then(|()| out.write_all(&buf))
        {
            failed = Some(e);
        }
    });
    if format == Format::Json && failed.is_none() {
        out.write_all(if first { b"[]\n" } else { b"]\n" })?;
    }
    match failed {
        Some(e) => Err(e),
        None => out.flush(),
    }
}

fn bench(c: &mut Criterion) {
    let max: usize = std::env::var("TXN_BENCH_MAX")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("lockstep-txn-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
            let id = BenchmarkId::new(format!("in memory/{procs} processes"), n);
            group.bench_with_input(id, &events, |b, events| {
                b.iter(|| black_box(txn::check(events, &Options::default()).unwrap()))
            });
            drop(events);
            let path = dir.join(format!("{n}-{procs}.edn"));
            write_file(&path, n, procs, n as u64).unwrap();
            let a = txn::check_file(&path, &Options::default()).unwrap();
            assert!(a.is_valid(), "{a}");
            let id = BenchmarkId::new(format!("from file/{procs} processes"), n);
            group.bench_with_input(id, &path, |b, path| {
                b.iter(|| black_box(txn::check_file(path, &Options::default()).unwrap()))
            });
            std::fs::remove_file(&path).unwrap();
        }
    }
    group.finish();
    let _ = std::fs::remove_dir(&dir);
}

/// The process's peak resident memory so far, in MiB, where the system says (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn usage(spec: &str) -> ! {
    eprintln!("TXN_BENCH_ONCE must be N:P, N:P:generate, N:P:write:PATH or file:PATH, not {spec}");
    std::process::exit(2);
}

/// `TXN_BENCH_ONCE`: one step once, with its time (see the module docs).
fn once(spec: &str) {
    if let Some(path) = spec.strip_prefix("file:") {
        let start = Instant::now();
        let a = txn::check_file(path, &Options::default()).unwrap_or_else(|e| panic!("{e}"));
        println!(
            "read {path} and checked {} transactions in {:.2?}: {}; peak RSS {:.0} MiB",
            a.transactions,
            start.elapsed(),
            a.summary(),
            peak_rss_mib().unwrap_or(f64::NAN)
        );
        return;
    }
    let parts: Vec<&str> = spec.splitn(4, ':').collect();
    let number = |i: usize| parts.get(i).and_then(|s| s.parse::<usize>().ok());
    let (Some(n), Some(procs)) = (number(0), number(1)) else {
        usage(spec);
    };
    let start = Instant::now();
    match (parts.get(2), parts.get(3)) {
        (Some(&"write"), Some(path)) => {
            write_file(Path::new(path), n, procs, n as u64).unwrap();
            let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
            println!(
                "wrote {n} transactions on {procs} processes to {path} ({:.0} MiB) in {:.2?}",
                bytes as f64 / (1024.0 * 1024.0),
                start.elapsed()
            );
            return;
        }
        (None | Some(&"generate"), None) => {}
        _ => usage(spec),
    }
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
