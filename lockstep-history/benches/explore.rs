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
//! one after it, where recording puts them) and nothing recorded.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockstep_history::checker::Budget;
use lockstep_history::event::Event;
use lockstep_history::explore::{
    Explorer, Judgement, Oracle, Rng, Scenarios, Strategy, yield_point,
};
use lockstep_history::model::Stack;

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../../examples/treiber_stack.rs"]
mod treiber_stack;

/// Iterations (shuttle executions) per measured run.
const ITERATIONS: usize = 100;
/// PCT's depth and seed, for every row.
const DEPTH: usize = 3;
const SEED: u64 = 1;

fn scenarios(retry: bool) -> Scenarios<treiber_stack::TreiberStack> {
    treiber_stack::scenarios(retry, Strategy::pct(DEPTH, SEED), ITERATIONS).prefix(0)
}

/// The same operations with a scheduling point before and after each call, where recording
/// would put the invoke's and the completion's, and no history installed.
fn floor() -> Scenarios<treiber_stack::TreiberStack> {
    Scenarios::new(|| treiber_stack::TreiberStack::new(true))
        .op(
            "push",
            |rng| rng.below(10) as i64,
            |s, v: i64| {
                yield_point();
                s.push(v);
                yield_point();
            },
        )
        .op(
            "pop",
            |_| (),
            |s, (): ()| {
                yield_point();
                s.pop();
                yield_point();
            },
        )
        .threads(3)
        .ops_per_thread(4)
        .prefix(0)
}

/// The same shuttle run (scheduler, seed, configuration) as the explorer's, of `body`, with
/// no history installed: each recorded call only finds that nothing records.
fn shuttle_alone(body: std::sync::Arc<dyn Fn() + Send + Sync>) {
    let scheduler = shuttle::scheduler::PctScheduler::new_from_seed(SEED, DEPTH, ITERATIONS);
    let mut config = shuttle::Config::new();
    config.stack_size = 0x40000;
    config.failure_persistence = shuttle::FailurePersistence::None;
    let ran = shuttle::Runner::new(scheduler, config).run(move || body());
    assert_eq!(ran, ITERATIONS);
}

/// Accepts every history: the recorded row without the check.
struct Unchecked;

impl Oracle for Unchecked {
    fn judge(&self, _: &[Event], _: &Budget) -> Judgement {
        Judgement::Valid
    }
}

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
    let floor = floor();
    let same = floor.generate(&mut Rng::new(7));
    assert_eq!(same.to_json(), scenario.to_json());
    group.bench_function("stack 3x4, shuttle alone + 24 scheduling points", |b| {
        b.iter(|| shuttle_alone(floor.body(&same)));
    });
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
