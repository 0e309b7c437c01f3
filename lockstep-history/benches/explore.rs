//! Controlled schedules: iterations per second of a 3-thread × 4-operation scenario on a
//! Treiber stack under PCT, with recording and checking, next to the same shuttle run with
//! no history installed; and the time to shrink a failing scenario.
//!
//! `cargo bench -p lockstep-history --features shuttle --bench explore`

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockstep_history::explore::{Explorer, Rng, Scenarios, Strategy};
use lockstep_history::model::Stack;

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../../examples/treiber_stack.rs"]
mod treiber_stack;

/// Iterations per measured run.
const ITERATIONS: usize = 100;

fn scenarios(retry: bool) -> Scenarios<treiber_stack::TreiberStack> {
    treiber_stack::scenarios(retry, Strategy::pct(3, 1), ITERATIONS).prefix(0)
}

fn explore(c: &mut Criterion) {
    let fixed = scenarios(true);
    let scenario = fixed.generate(&mut Rng::new(7));
    assert_eq!(scenario.size(), "3×4");

    let mut group = c.benchmark_group("explore");
    group.throughput(Throughput::Elements(ITERATIONS as u64));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("stack 3x4, recorded and checked", |b| {
        b.iter(|| fixed.run_scenario(&Stack, &scenario).unwrap());
    });
    group.bench_function("stack 3x4, shuttle alone", |b| {
        b.iter(|| {
            let body = fixed.body(&scenario);
            let scheduler = shuttle::scheduler::PctScheduler::new_from_seed(1, 3, ITERATIONS);
            let ran = shuttle::Runner::new(scheduler, shuttle::Config::new()).run(move || body());
            assert_eq!(ran, ITERATIONS);
        });
    });
    group.finish();

    // A failing scenario as generated, shrunk from scratch each time.
    let buggy =
        scenarios(false).explorer(Explorer::new(Strategy::pct(3, 1)).iterations(ITERATIONS));
    let found = buggy.run(&Stack).expect_err("the bug is found");
    let original = found.original.clone();
    let mut group = c.benchmark_group("explore");
    group.sample_size(10);
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
