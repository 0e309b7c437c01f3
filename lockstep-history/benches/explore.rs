//! Controlled schedules: iterations per second of a 3-thread × 4-operation scenario on a
//! Treiber stack under PCT (depth 3, seed 1), with recording and checking, next to the same
//! shuttle run of the same operations with no history installed (the overhead ratio); and
//! the time to shrink a failing scenario of the buggy stack.
//!
//! `cargo bench -p lockstep-history --features shuttle --bench explore`
//!
//! A third row, recorded but not checked, splits the overhead between recording (with the
//! scheduling points it adds at every invoke and completion) and checking. A fourth, the
//! floor, is shuttle alone with only those scheduling points added (one before each call and
//! one after it, where recording puts them) and nothing recorded. A fifth, plain shuttle,
//! makes the same calls as a hand-written shuttle test would (`shuttle::thread::spawn`, the
//! stack's methods called directly): what the scenario runner itself costs over that.
//!
//! The first row's time over the "shuttle alone" row's is the overhead ratio (kept at or
//! under 1.5×). A sixth row measures that ratio directly, with the two runs interleaved.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockstep_history::explore::{Explorer, Rng, Strategy};
use lockstep_history::model::Stack;

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../../examples/treiber_stack.rs"]
mod treiber_stack;

#[path = "common/explore_rows.rs"]
mod rows;

use rows::{DEPTH, ITERATIONS, SEED, Unchecked, floor, plain, scenarios, shuttle_alone};

fn explore(c: &mut Criterion) {
    let fixed = scenarios(true);
    let scenario = fixed.generate(&mut Rng::new(7));
    assert_eq!(scenario.size(), "3×4");

    let mut group = c.benchmark_group("explore");
    group.throughput(Throughput::Elements(ITERATIONS as u64));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("stack 3x4, recorded and checked", |b| {
        b.iter(|| {
            let summary = fixed.run_scenario(&Stack, &scenario).unwrap();
            assert_eq!(summary.iterations, ITERATIONS);
        });
    });
    group.bench_function("stack 3x4, recorded, not checked", |b| {
        b.iter(|| {
            let summary = fixed.run_scenario(&Unchecked, &scenario).unwrap();
            assert_eq!(summary.iterations, ITERATIONS);
        });
    });
    group.bench_function("stack 3x4, shuttle alone", |b| {
        b.iter(|| shuttle_alone(fixed.body(&scenario)));
    });
    group.bench_function("stack 3x4, plain shuttle test", |b| {
        b.iter(|| shuttle_alone(plain(&scenario)));
    });
    let floor = floor();
    let same = floor.generate(&mut Rng::new(7));
    assert_eq!(same.to_json(), scenario.to_json());
    group.bench_function("stack 3x4, shuttle alone + 24 scheduling points", |b| {
        b.iter(|| shuttle_alone(floor.body(&same)));
    });
    group.finish();

    // The overhead ratio itself, measured so that the machine's drift cancels: each
    // iteration runs "shuttle alone" and "recorded and checked" back to back, and reports
    // the checked run's time over the alone run's, as milliseconds per millisecond (a
    // reported 1.40 ms is 1.40×). On a shared machine whose speed moves by tens of percent
    // within a minute, the rows above, measured one after the other, can disagree on the
    // ratio by more than the overhead itself; this row does not.
    let alone = fixed.body(&scenario);
    let mut group = c.benchmark_group("explore");
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(
        "stack 3x4, checked ÷ alone, interleaved (ms per ms)",
        |b| {
            b.iter_custom(|iters| {
                let (mut checked, mut bare) = (Duration::ZERO, Duration::ZERO);
                for _ in 0..iters {
                    let started = Instant::now();
                    shuttle_alone(Arc::clone(&alone));
                    bare += started.elapsed();
                    let started = Instant::now();
                    let summary = fixed.run_scenario(&Stack, &scenario).unwrap();
                    checked += started.elapsed();
                    assert_eq!(summary.iterations, ITERATIONS);
                }
                let ratio = checked.as_secs_f64() / bare.as_secs_f64();
                Duration::from_secs_f64(ratio * 1e-3 * iters as f64)
            });
        },
    );
    group.finish();

    // The buggy stack's first failing scenario as generated, explored until it fails and
    // shrunk from scratch each time, its report written as a user would get it.
    let buggy =
        scenarios(false).explorer(Explorer::new(Strategy::pct(DEPTH, SEED)).iterations(ITERATIONS));
    let found = buggy.run(&Stack).expect_err("the bug is found");
    let original = found.original.clone();
    let mut group = c.benchmark_group("explore");
    group.sample_size(20);
    group.bench_function("shrink a failing stack scenario", |b| {
        b.iter(|| {
            buggy
                .run_and_shrink(&Stack, &original)
                .expect_err("still fails")
        });
    });
    group.finish();
}

criterion_group!(benches, explore);
criterion_main!(benches);
