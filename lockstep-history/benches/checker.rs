//! The linearizability checker on real and generated histories.
//!
//! - `knossos/all`: every Knossos conformance history (`../shared/conformance/knossos`, or
//!   `LOCKSTEP_CONFORMANCE_DIR`), on one thread, as their folders prescribe.
//! - `cas-register/{ops}/c{concurrency}[/crashes]`: histories of a correct CAS register
//!   simulated with random overlapping operations (seeded), 1,000 to 100,000 operations at
//!   concurrency 5, 10, 20 and 50, without and with crashed (`info`) operations (1% of
//!   operations crash and their process is replaced).
//! - `kv/50x10000`: a keyed store, 50 clients doing 10,000 operations each over 100 keys,
//!   checked per key on every core.
//!
//! Before timing, one run of each input prints its time and the peak heap the check
//! allocated (a counting global allocator), so `cargo bench -p lockstep-history --bench
//! checker` gives the README's table. `CHECKER_BENCH_TABLE_ONLY=1` prints the table and
//! skips criterion. Inputs not decided within the table's limit are not timed.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use lockstep_history::checker::{Options, Verdict, linearizable};
use lockstep_history::model::{CasRegister, Kv, Model, MultiRegister, Mutex};
use lockstep_history::{Event, EventKind, Process, Value, format};

mod common;

use common::{Rng, measure};

/// A client's operation in flight.
struct Pending {
    process: u64,
    f: &'static str,
    input: Value,
    /// Its result, once it took effect on the simulated register.
    result: Option<Value>,
}

/// A history of `clients` concurrent clients of one correct register per key doing `ops`
/// operations in all, each taking effect at a random point between its invoke and its
/// completion. `crash_percent` of operations end in `info` (having taken effect or not) and
/// their process is replaced. With `keys`, values are `[key value]` tuples.
fn simulate(
    ops: usize,
    clients: usize,
    crash_percent: u64,
    keys: Option<u64>,
    seed: u64,
) -> Vec<Event> {
    let mut rng = Rng(seed);
    let mut registers = vec![0i64; keys.unwrap_or(1) as usize];
    let mut events: Vec<Event> = Vec::with_capacity(2 * ops);
    let mut slots: Vec<Option<Pending>> = (0..clients).map(|_| None).collect();
    let mut process_of: Vec<u64> = (0..clients as u64).collect();
    let mut next_process = clients as u64;
    let mut started = 0;
    let emit = |events: &mut Vec<Event>, kind, process, f: &'static str, value| {
        events.push(Event {
            index: events.len() as u64,
            time: events.len() as u64,
            kind,
            process: Process::Id(process),
            f: f.into(),
            value,
            error: (kind == EventKind::Info || kind == EventKind::Fail)
                .then(|| Value::keyword("timeout")),
        });
    };
    let wrap = |key: u64, v: Value| match keys {
        Some(_) => Value::Vector(vec![Value::Int(key as i64), v]),
        None => v,
    };
    while started < ops || slots.iter().any(Option::is_some) {
        let c = rng.below(clients as u64) as usize;
        match &mut slots[c] {
            slot @ None if started < ops => {
                let key = keys.map_or(0, |k| rng.below(k));
                let (f, input) = match rng.below(10) {
                    0..=3 => ("read", Value::Nil),
                    4..=6 => ("write", Value::Int(rng.below(5) as i64)),
                    _ => (
                        "cas",
                        Value::Vector(vec![
                            Value::Int(rng.below(5) as i64),
                            Value::Int(rng.below(5) as i64),
                        ]),
                    ),
                };
                let input = wrap(key, input);
                emit(
                    &mut events,
                    EventKind::Invoke,
                    process_of[c],
                    f,
                    input.clone(),
                );
                *slot = Some(Pending {
                    process: process_of[c],
                    f,
                    input,
                    result: None,
                });
                started += 1;
            }
            None => {}
            Some(p) if p.result.is_none() => {
                // The linearization point.
                let (key, arg) = match keys {
                    Some(_) => (p.input[0].as_i64().unwrap() as usize, p.input[1].clone()),
                    None => (0, p.input.clone()),
                };
                let reg = &mut registers[key];
                let out = match p.f {
                    "read" => Value::Int(*reg),
                    "write" => {
                        *reg = arg.as_i64().unwrap();
                        arg.clone()
                    }
                    _ if arg[0].as_i64() == Some(*reg) => {
                        *reg = arg[1].as_i64().unwrap();
                        Value::Bool(true)
                    }
                    _ => Value::Bool(false),
                };
                p.result = Some(wrap(key as u64, out));
            }
            Some(_) => {
                let p = slots[c].take().unwrap();
                let result = p.result.unwrap();
                if rng.below(100) < crash_percent {
                    emit(&mut events, EventKind::Info, p.process, p.f, p.input);
                    process_of[c] = next_process;
                    next_process += 1;
                } else if p.f == "cas" && result.as_bool() == Some(false) && rng.below(2) == 0 {
                    emit(&mut events, EventKind::Fail, p.process, p.f, p.input);
                } else if p.f == "write" {
                    // Writes echo their input; reads return what they read, CASes true or false.
                    emit(&mut events, EventKind::Ok, p.process, p.f, p.input);
                } else {
                    emit(&mut events, EventKind::Ok, p.process, p.f, result);
                }
            }
        }
    }
    events
}

fn conformance_dir() -> Option<PathBuf> {
    let root = std::env::var_os("LOCKSTEP_CONFORMANCE_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
        PathBuf::from,
    );
    let dir = root.join("knossos");
    dir.is_dir().then_some(dir)
}

/// The Knossos histories with the model (by folder) each is checked against.
struct Knossos {
    cas: Vec<Vec<Event>>,
    multi: Vec<Vec<Event>>,
    mutex: Vec<Vec<Event>>,
}

fn load_knossos() -> Option<Knossos> {
    let dir = conformance_dir()?;
    let read = |sub: &str| -> Vec<Vec<Event>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .map(|p| format::read_file(p).unwrap())
            .collect()
    };
    let mut cas = read("cas-register/good");
    cas.extend(read("cas-register/bad"));
    Some(Knossos {
        cas,
        multi: read("multi-register/good"),
        mutex: read("mutex/bad"),
    })
}

fn one_thread() -> Options {
    let mut options = Options::default();
    options.budget.threads = Some(1);
    options
}

fn check_knossos(k: &Knossos) -> usize {
    let knossos = Options {
        knossos_nil_reads: true,
        ..one_thread()
    };
    let xy = MultiRegister::new([
        (Value::keyword("x"), Value::Int(0)),
        (Value::keyword("y"), Value::Int(0)),
    ]);
    let mut not = 0;
    for events in &k.cas {
        not += run(events, &CasRegister::new(0), &knossos).is_not_linearizable() as usize;
    }
    for events in &k.multi {
        not += run(events, &xy, &one_thread()).is_not_linearizable() as usize;
    }
    for events in &k.mutex {
        not += run(events, &Mutex, &one_thread()).is_not_linearizable() as usize;
    }
    not
}

fn run<M: Model>(events: &[Event], model: &M, options: &Options) -> Verdict {
    linearizable::check_with(events, model, options).unwrap()
}

fn row(name: &str, ops: usize, took: Duration, peak: usize, verdict: &str) {
    println!(
        "| {name:<32} | {ops:>7} | {:>10.1} | {:>10.1} | {verdict} |",
        took.as_secs_f64() * 1e3,
        peak as f64 / (1 << 20) as f64
    );
}

/// The table's limit per input: past it the verdict is unknown, and the row says so.
const TABLE_TIME_LIMIT: Duration = Duration::from_secs(60);

/// One table row for a generated (so linearizable) history; false if the limit was reached.
fn generated_row<M: Model>(name: &str, events: &[Event], model: &M, options: Options) -> bool {
    let mut options = options;
    options.budget.time_limit = Some(TABLE_TIME_LIMIT);
    let (verdict, took, peak) = measure(|| run(events, model, &options));
    assert!(!verdict.is_not_linearizable(), "{name}: {verdict}");
    let said = match &verdict {
        Verdict::Unknown(u) => u.to_string(),
        _ => "linearizable".to_string(),
    };
    let ops = events
        .iter()
        .filter(|e| e.kind == EventKind::Invoke)
        .count();
    row(name, ops, took, peak, &said);
    !verdict.is_unknown()
}

const SIZES: [usize; 3] = [1_000, 10_000, 100_000];
const CONCURRENCY: [usize; 4] = [5, 10, 20, 50];

fn register_inputs() -> Vec<(String, usize, Vec<Event>)> {
    let mut inputs = Vec::new();
    for &ops in &SIZES {
        for &c in &CONCURRENCY {
            for crash in [0, 1] {
                let name = format!(
                    "cas-register/{ops}/c{c}{}",
                    if crash > 0 { "/crashes" } else { "" }
                );
                inputs.push((
                    name,
                    ops,
                    simulate(ops, c, crash, None, (ops * 100 + c) as u64 + crash),
                ));
            }
        }
    }
    inputs
}

/// Prints the table; returns the inputs decided within the table's time limit.
fn table<'a>(
    knossos: Option<&Knossos>,
    registers: &'a [(String, usize, Vec<Event>)],
    kv: &[Event],
) -> Vec<&'a (String, usize, Vec<Event>)> {
    println!("| input                            |     ops |  time (ms) | peak (MiB) | verdict |");
    println!("|----------------------------------|---------|------------|------------|---------|");
    if let Some(k) = knossos {
        let histories = k.cas.iter().chain(&k.multi).chain(&k.mutex);
        let ops = histories
            .flatten()
            .filter(|e| e.kind == EventKind::Invoke)
            .count();
        let (not, took, peak) = measure(|| check_knossos(k));
        assert_eq!(not, 8, "7 bad cas-register histories and the bad mutex one");
        row("knossos/all (1 thread)", ops, took, peak, "all as expected");
    }
    let decided = registers
        .iter()
        .filter(|(name, _, events)| generated_row(name, events, &CasRegister::new(0), one_thread()))
        .collect();
    let kv_decided = generated_row(
        "kv/50x10000 (all cores)",
        kv,
        &Kv::new(0),
        Options::default(),
    );
    assert!(kv_decided, "the kv history is decided within the limit");
    decided
}

fn main() {
    let knossos = load_knossos();
    if knossos.is_none() {
        println!("knossos/all: skipped: conformance data not found (set LOCKSTEP_CONFORMANCE_DIR)");
    }
    let registers = register_inputs();
    let kv = simulate(500_000, 50, 0, Some(100), 7);
    let decided = table(knossos.as_ref(), &registers, &kv);
    if std::env::var_os("CHECKER_BENCH_TABLE_ONLY").is_some() {
        return;
    }

    let mut c = Criterion::default().configure_from_args();
    if let Some(k) = &knossos {
        c.bench_function("knossos/all", |b| b.iter(|| black_box(check_knossos(k))));
    }
    let mut group = c.benchmark_group("cas-register");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    // Inputs the table run could not decide within its limit are left out of the timings.
    for (name, _, events) in decided {
        let id = BenchmarkId::from_parameter(name.trim_start_matches("cas-register/"));
        group.bench_function(id, |b| {
            b.iter(|| black_box(run(events, &CasRegister::new(0), &one_thread())))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("kv");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("50x10000", |b| {
        b.iter(|| black_box(run(&kv, &Kv::new(0), &Options::default())))
    });
    group.finish();
    c.final_summary();
}
