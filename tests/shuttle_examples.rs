//! The controlled-schedule examples as tests: each bug is found within the documented number
//! of executions with a fixed seed, shrinks, and replays to the same history; the fixed
//! versions pass 10,000 executions.

use lockstep_history::explore::{Cause, Explorer, Strategy, replay};
use lockstep_history::model::{Counter, Stack};

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../examples/treiber_stack.rs"]
mod treiber_stack;

#[allow(dead_code)]
#[path = "../examples/racy_counter.rs"]
mod racy_counter;

#[test]
fn treiber_stack_bug_is_found_under_pct_shrunk_and_replayed() {
    let scenarios = treiber_stack::scenarios(false, Strategy::pct(3, 1), 100);
    let found = scenarios.run(&Stack).unwrap_err();
    // The README's table: found within this many executions with seed 1.
    assert!(found.executions <= MAX_TREIBER_PCT3, "{found}");
    assert!(found.scenario.len() <= found.original.len());
    assert!(
        found.scenario.len() <= 4,
        "shrunk to at most 4 calls:\n{found}"
    );
    assert!(matches!(found.failure.cause, Cause::Invalid(_)), "{found}");
    // Every call is one operation, also when another task's call was switched out mid-body.
    assert_eq!(
        found.failure.events.len(),
        2 * found.scenario.len(),
        "{found}"
    );
    assert!(
        found.to_string().contains("scenarios.replay(r#\""),
        "{found}"
    );

    let replayed = scenarios
        .replay(&found.scenario.to_json(), &found.failure.schedule)
        .unwrap();
    assert_eq!(replayed.events(), found.failure.events);
    assert!(replayed.check(&Stack).unwrap().is_not_linearizable());
}

/// Executions until PCT depth 3, seed 1, first fails on the buggy stack (measured, with room).
const MAX_TREIBER_PCT3: usize = 2_000;

/// The README's table ("Iterations until the first failure"), seed 1: executions until the
/// first failing scenario, for each strategy the table measures (random, PCT depth 2, PCT
/// depth 3). The runs are deterministic, so each bug is found within exactly these counts.
const TREIBER_SEED_1: [usize; 3] = [1, 80, 16];
const COUNTER_SEED_1: [usize; 3] = [7, 44, 28];

/// The strategies of the README's table, with the scenario seed added to their own.
const TABLE_STRATEGIES: [Strategy; 3] = [
    Strategy::Random { seed: 0 },
    Strategy::Pct { depth: 2, seed: 0 },
    Strategy::Pct { depth: 3, seed: 0 },
];

#[test]
fn both_bugs_are_found_within_the_documented_executions_with_seed_1() {
    for (strategy, documented) in TABLE_STRATEGIES.into_iter().zip(TREIBER_SEED_1) {
        let found = treiber_stack::scenarios(false, strategy, 100)
            .seed(1)
            .run(&Stack)
            .unwrap_err();
        assert!(found.executions <= documented, "{strategy}: {found}");
    }
    for (strategy, documented) in TABLE_STRATEGIES.into_iter().zip(COUNTER_SEED_1) {
        let found = racy_counter::scenarios(false, strategy, 100)
            .seed(1)
            .run(&Counter::default())
            .unwrap_err();
        assert!(found.executions <= documented, "{strategy}: {found}");
    }
}

#[test]
fn treiber_stack_bug_replays_exactly_under_every_strategy() {
    for strategy in [
        Strategy::random(1),
        Strategy::random(2),
        Strategy::pct(2, 3),
    ] {
        let scenarios = treiber_stack::scenarios(false, strategy, 100);
        let found = scenarios.run(&Stack).unwrap_err();
        assert_eq!(
            found.failure.events.len(),
            2 * found.scenario.len(),
            "{found}"
        );
        let replayed = scenarios
            .replay(&found.scenario.to_json(), &found.failure.schedule)
            .unwrap();
        assert_eq!(replayed.events(), found.failure.events, "{strategy}");
    }
}

#[test]
fn treiber_stack_fixed_passes_10000_executions() {
    let summary = treiber_stack::scenarios(true, Strategy::pct(3, 1), 100)
        .scenarios(100)
        .check(&Stack);
    assert_eq!(summary.iterations, 10_000);
}

#[test]
fn racy_counter_is_found_and_replayed() {
    let failure = Explorer::new(Strategy::pct(2, 1))
        .iterations(1000)
        .run(&Counter::default(), racy_counter::workload(false))
        .unwrap_err();
    assert!(failure.iteration <= 100, "{failure}");
    let again = replay(&failure.schedule, racy_counter::workload(false)).unwrap();
    assert_eq!(again.events(), failure.events);
    assert!(
        again
            .check(&Counter::default())
            .unwrap()
            .is_not_linearizable()
    );
}

#[test]
fn atomic_counter_passes_10000_executions() {
    let summary = Explorer::new(Strategy::pct(2, 1))
        .iterations(10_000)
        .check(&Counter::default(), racy_counter::workload(true));
    assert_eq!(summary.iterations, 10_000);
}
