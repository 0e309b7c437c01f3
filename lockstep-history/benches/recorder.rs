//! What recording costs inside an operation under test, on one thread and on two.
//!
//! - `plain`: the operation alone.
//! - `no_history`: the operation as a `#[recorded]` function called with no history
//!   installed; it should cost about what `plain` does.
//! - `op`: the operation through `History::op` (invoke + ok).
//! - `mutex_vec`: a naive recorder kept here as a baseline: one `Mutex<Vec<Event>>` per
//!   history, building the same events.
//! - `floor`: the least any ordered, timestamped recorder must do per operation: two relaxed
//!   `fetch_add`s on one shared counter, two clock reads, and two pushes of the same events
//!   into a thread-local `Vec` (fresh for each sample, as the recorder's storage is).
//!
//! Each thread runs `iters` operations; the time reported is per operation per thread.

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use lockstep_history::{Event, EventKind, History, Process, recorded, to_value};

#[inline(never)]
fn operation(x: u64) -> u64 {
    black_box(x)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .rotate_left(17)
        >> 1 // stays within i64, so every result is recordable
}

/// The same operation, recorded when a history is installed.
#[recorded(f = "write")]
fn recorded_operation(x: u64) -> u64 {
    operation(x)
}

/// Runs `per_thread(iters)` on `threads` threads at once and returns the slowest thread's time.
fn on_threads<S: Sync + Send + 'static>(
    threads: usize,
    iters: u64,
    shared: Arc<S>,
    per_thread: fn(&S, u64) -> Duration,
) -> Duration {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (barrier, shared) = (barrier.clone(), shared.clone());
            std::thread::spawn(move || {
                barrier.wait();
                per_thread(&shared, iters)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .max()
        .unwrap()
}

/// The event every recorder here stores: a write of `value` on `process`.
fn event(index: u64, time: u64, kind: EventKind, process: u64, value: u64) -> Event {
    Event {
        index,
        time,
        kind,
        process: Process::Id(process),
        f: "write".into(),
        value: to_value(&value).unwrap(),
        error: None,
    }
}

struct NaiveRecorder {
    start: Instant,
    next_process: AtomicU64,
    events: Mutex<Vec<Event>>,
}

impl NaiveRecorder {
    fn record(&self, kind: EventKind, process: u64, value: u64) {
        let mut events = self.events.lock().unwrap();
        let index = events.len() as u64;
        let time = self.start.elapsed().as_nanos() as u64;
        events.push(event(index, time, kind, process, value));
    }
}

thread_local! {
    static FLOOR: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
}

fn floor_op(counter: &(AtomicU64, Instant), i: u64) -> u64 {
    let (counter, start) = counter;
    let stamp = |kind: EventKind, value: u64| {
        let index = counter.fetch_add(1, Ordering::Relaxed);
        let time = start.elapsed().as_nanos() as u64;
        FLOOR.with(|f| f.borrow_mut().push(event(index, time, kind, 0, value)));
    };
    stamp(EventKind::Invoke, i);
    let r = operation(i);
    stamp(EventKind::Ok, r);
    r
}

fn bench(c: &mut Criterion) {
    for threads in [1usize, 2] {
        let mut g = c.benchmark_group(format!("recorder/{threads}-thread"));
        g.bench_function("plain", |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, Arc::new(()), |(), iters| {
                    let t = Instant::now();
                    for i in 0..iters {
                        black_box(operation(i));
                    }
                    t.elapsed()
                })
            })
        });
        g.bench_function("no_history", |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, Arc::new(()), |(), iters| {
                    let t = Instant::now();
                    for i in 0..iters {
                        black_box(recorded_operation(i));
                    }
                    t.elapsed()
                })
            })
        });
        g.bench_function("op", |b| {
            b.iter_custom(|iters| {
                on_threads(threads, iters, Arc::new(History::new()), |h, iters| {
                    let t = Instant::now();
                    for i in 0..iters {
                        black_box(h.op("write", i, || operation(i)));
                    }
                    t.elapsed()
                })
            })
        });
        g.bench_function("mutex_vec", |b| {
            b.iter_custom(|iters| {
                let naive = Arc::new(NaiveRecorder {
                    start: Instant::now(),
                    next_process: AtomicU64::new(0),
                    events: Mutex::new(Vec::new()),
                });
                on_threads(threads, iters, naive, |n, iters| {
                    let p = n.next_process.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    for i in 0..iters {
                        n.record(EventKind::Invoke, p, i);
                        let r = operation(i);
                        n.record(EventKind::Ok, p, r);
                        black_box(r);
                    }
                    t.elapsed()
                })
            })
        });
        g.bench_function("floor", |b| {
            b.iter_custom(|iters| {
                let shared = Arc::new((AtomicU64::new(0), Instant::now()));
                on_threads(threads, iters, shared, |s, iters| {
                    FLOOR.with(|f| *f.borrow_mut() = Vec::new());
                    let t = Instant::now();
                    for i in 0..iters {
                        black_box(floor_op(s, i));
                    }
                    t.elapsed()
                })
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
