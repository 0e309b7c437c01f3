//! The collections checker on generated FIFO-queue, stack and set histories.
//!
//! - `{fifo-queue,stack,set}/{ops}/c{concurrency}`: histories of a correct object simulated
//!   with random overlapping operations (seeded): 1,000, 100,000 and 1,000,000 operations at
//!   concurrency 4, 16 and 64, about 1% of them crashed (`info`, half before and half after
//!   taking effect; the process is replaced). Values are distinct; sets are read eight
//!   times, evenly spread, in full.
//! - `issue/fifo-150`: a 150-operation FIFO-queue history at concurrency 4 without crashes,
//!   the shape the general search needs seconds and gigabytes for.
//! - `issue/set-24-crashed`: 24 crashed adds and one read of an element nobody added
//!   (50 events), which the general search runs out of memory on.
//!
//! Before timing, one run of each input prints its time, the peak heap the check
//! allocated (a counting global allocator) and the verdict, so `cargo bench -p
//! lockstep-history --bench collections` gives the README's table;
//! `COLLECTIONS_BENCH_TABLE_ONLY=1` prints the table and skips criterion. Every check runs
//! on one thread.

use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use lockstep_history::checker::Options;
use lockstep_history::checker::collections::{self, Checked, Method};
use lockstep_history::model::Collection;
use lockstep_history::{Event, EventKind, Process, Value};

mod common;

use common::{Rng, measure};

/// The simulated object.
enum Object {
    Queue(VecDeque<i64>),
    Stack(Vec<i64>),
    Set(Vec<i64>),
}

impl Object {
    fn new(collection: Collection) -> Object {
        match collection {
            Collection::FifoQueue => Object::Queue(VecDeque::new()),
            Collection::Stack => Object::Stack(Vec::new()),
            Collection::Set => Object::Set(Vec::new()),
        }
    }

    fn names(&self) -> (&'static str, &'static str) {
        match self {
            Object::Queue(_) => ("enqueue", "dequeue"),
            Object::Stack(_) => ("push", "pop"),
            Object::Set(_) => ("add", "read"),
        }
    }

    /// Applies an addition of `v` or a removal (read); the answer.
    fn apply(&mut self, add: Option<i64>) -> Value {
        match (self, add) {
            (Object::Queue(q), Some(v)) => {
                q.push_back(v);
                Value::Int(v)
            }
            (Object::Stack(s), Some(v)) | (Object::Set(s), Some(v)) => {
                s.push(v);
                Value::Int(v)
            }
            (Object::Queue(q), None) => q.pop_front().map_or(Value::Nil, Value::Int),
            (Object::Stack(s), None) => s.pop().map_or(Value::Nil, Value::Int),
            (Object::Set(s), None) => Value::Vector(s.iter().map(|&v| Value::Int(v)).collect()),
        }
    }
}

#[derive(Clone, Copy)]
enum Phase {
    Idle,
    Invoked { add: Option<i64> },
    Applied { add: Option<i64> },
}

/// A linearizable history of `ops` operations at `concurrency`, about 1% crashed.
fn simulate(collection: Collection, ops: usize, concurrency: usize, seed: u64) -> Vec<Event> {
    let mut rng = Rng(seed);
    let mut object = Object::new(collection);
    let (add_f, remove_f) = object.names();
    let mut events: Vec<Event> = Vec::with_capacity(2 * ops + concurrency);
    let mut ids: Vec<u64> = (0..concurrency as u64).collect();
    let mut phase = vec![Phase::Idle; concurrency];
    let mut answers: Vec<Value> = vec![Value::Nil; concurrency];
    let mut next_id = concurrency as u64;
    let (mut started, mut fresh) = (0usize, 0i64);
    let reads_every = (ops / 8).max(1);
    let event = |events: &mut Vec<Event>, kind, process, f: &'static str, value| {
        events.push(Event {
            index: events.len() as u64,
            time: 0,
            kind,
            process: Process::Id(process),
            f: f.into(),
            value,
            error: None,
        })
    };
    while started < ops || phase.iter().any(|p| !matches!(p, Phase::Idle)) {
        let p = rng.below(concurrency as u64) as usize;
        match phase[p] {
            Phase::Idle if started < ops => {
                let adding = match object {
                    Object::Set(_) => started % reads_every != reads_every - 1,
                    _ => rng.below(2) == 0,
                };
                started += 1;
                let add = adding.then(|| {
                    fresh += 1;
                    fresh
                });
                let (f, value) = match add {
                    Some(v) => (add_f, Value::Int(v)),
                    None => (remove_f, Value::Nil),
                };
                event(&mut events, EventKind::Invoke, ids[p], f, value);
                phase[p] = Phase::Invoked { add };
            }
            Phase::Idle => {}
            Phase::Invoked { add } => {
                if rng.below(200) == 0 {
                    // Crashed before taking effect.
                    let (f, value) = add.map_or((remove_f, Value::Nil), |v| (add_f, Value::Int(v)));
                    event(&mut events, EventKind::Info, ids[p], f, value);
                    (ids[p], next_id) = (next_id, next_id + 1);
                    phase[p] = Phase::Idle;
                } else {
                    answers[p] = object.apply(add);
                    phase[p] = Phase::Applied { add };
                }
            }
            Phase::Applied { add } => {
                let f = if add.is_some() { add_f } else { remove_f };
                let value = std::mem::replace(&mut answers[p], Value::Nil);
                if rng.below(200) == 0 {
                    // Crashed after taking effect.
                    let invoked = add.map_or(Value::Nil, Value::Int);
                    event(&mut events, EventKind::Info, ids[p], f, invoked);
                    (ids[p], next_id) = (next_id, next_id + 1);
                } else {
                    event(&mut events, EventKind::Ok, ids[p], f, value);
                }
                phase[p] = Phase::Idle;
            }
        }
    }
    events
}

/// The second history: 24 adds that crash, then a read of an element never added.
fn set_with_crashed_adds() -> Vec<Event> {
    let mut steps: Vec<(EventKind, u64, &'static str, Value)> = Vec::new();
    for p in 0..24 {
        steps.push((EventKind::Invoke, p, "add", Value::Int(p as i64)));
    }
    for p in 0..24 {
        steps.push((EventKind::Info, p, "add", Value::Int(p as i64)));
    }
    steps.push((EventKind::Invoke, 24, "read", Value::Nil));
    steps.push((
        EventKind::Ok,
        24,
        "read",
        Value::Vector(vec![Value::Int(3), Value::Int(99)]),
    ));
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (kind, p, f, value))| Event {
            index: i as u64,
            time: 0,
            kind,
            process: Process::Id(p),
            f: f.into(),
            value,
            error: None,
        })
        .collect()
}

/// One thread; a history that goes to the general search gets 60 s and 2 GiB, so a row
/// never hangs (it then reads "unknown").
fn options() -> Options {
    let mut options = Options::default();
    options.budget.threads = Some(1);
    options.budget.time_limit = Some(Duration::from_secs(60));
    options.budget.memory_limit = Some(2 << 30);
    options
}

fn run(events: &[Event], collection: Collection) -> Checked {
    collections::check(events, collection, &options()).expect("generated histories are well formed")
}

fn name(c: Collection) -> &'static str {
    match c {
        Collection::FifoQueue => "fifo-queue",
        Collection::Stack => "stack",
        Collection::Set => "set",
    }
}

/// One input: its name and how to build it.
struct Input {
    id: String,
    collection: Collection,
    /// Operations and concurrency of a generated history; `None` for the set.
    shape: Option<(usize, usize)>,
}

impl Input {
    fn events(&self) -> Vec<Event> {
        match self.shape {
            Some((ops, concurrency)) => simulate(
                self.collection,
                ops,
                concurrency,
                (ops + concurrency) as u64,
            ),
            None => set_with_crashed_adds(),
        }
    }
}

/// Every input, up to `COLLECTIONS_BENCH_MAX_OPS` operations (default: all), whose name
/// contains `COLLECTIONS_BENCH_ONLY` (default: any).
fn inputs() -> Vec<Input> {
    let max_ops: usize = std::env::var("COLLECTIONS_BENCH_MAX_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(usize::MAX);
    let only = std::env::var("COLLECTIONS_BENCH_ONLY").unwrap_or_default();
    let mut inputs = vec![
        Input {
            id: "issue/fifo-150".into(),
            collection: Collection::FifoQueue,
            shape: Some((150, 4)),
        },
        Input {
            id: "issue/set-24-crashed".into(),
            collection: Collection::Set,
            shape: None,
        },
    ];
    for collection in [Collection::FifoQueue, Collection::Stack, Collection::Set] {
        for ops in [1_000, 100_000, 1_000_000] {
            for concurrency in [4, 16, 64] {
                if ops <= max_ops {
                    inputs.push(Input {
                        id: format!("{}/{ops}/c{concurrency}", name(collection)),
                        collection,
                        shape: Some((ops, concurrency)),
                    });
                }
            }
        }
    }
    inputs.retain(|i| i.id.contains(&only));
    inputs
}

fn row(input: &Input, events: &[Event]) {
    let (checked, took, peak) = measure(|| run(events, input.collection));
    let verdict = match &checked.verdict {
        v if v.is_linearizable() => "linearizable".to_string(),
        v if v.is_not_linearizable() => "not linearizable".to_string(),
        v => v.to_string(),
    };
    let method = match &checked.method {
        Method::Polynomial => "polynomial".to_string(),
        Method::Search { reason } => format!("search ({reason})"),
    };
    println!(
        "| {} | {} | {:.2} | {:.1} | {verdict} | {method} |",
        input.id,
        events.len(),
        took.as_secs_f64() * 1e3,
        peak as f64 / (1 << 20) as f64,
    );
}

fn main() {
    let inputs = inputs();
    let table_only = std::env::var_os("COLLECTIONS_BENCH_TABLE_ONLY").is_some();
    println!("| input | events | time (ms) | peak heap (MiB) | verdict | method |");
    println!("|---|---|---|---|---|---|");
    for input in &inputs {
        row(input, &input.events());
    }
    if table_only {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("collections");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for input in &inputs {
        let events = input.events();
        group.bench_function(BenchmarkId::from_parameter(&input.id), |b| {
            b.iter(|| black_box(run(&events, input.collection)))
        });
    }
    group.finish();
    c.final_summary();
}
