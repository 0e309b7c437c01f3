//! The rows of the `explore` bench, shared by the bench and by `examples/explore_count.rs`
//! (which runs them under callgrind): the scenarios, the floor, the shuttle run with no
//! history installed and the oracle that accepts everything. The including file declares
//! `mod treiber_stack` (the example's stack) beside this module.

use std::sync::Arc;

use lockstep_history::checker::Budget;
use lockstep_history::event::Event;
use lockstep_history::explore::{Judgement, Oracle, Scenario, Scenarios, Strategy, yield_point};

use super::treiber_stack::{self, TreiberStack};

/// Iterations (shuttle executions) per measured run.
pub const ITERATIONS: usize = 100;
/// PCT's depth and seed, for every row.
pub const DEPTH: usize = 3;
pub const SEED: u64 = 1;

/// The 3-thread × 4-call scenarios on the stack, fixed (`retry`) or buggy, with no prefix.
pub fn scenarios(retry: bool) -> Scenarios<TreiberStack> {
    treiber_stack::scenarios(retry, Strategy::pct(DEPTH, SEED), ITERATIONS).prefix(0)
}

/// The same operations with a scheduling point before and after each call, where recording
/// would put the invoke's and the completion's, and no history installed.
pub fn floor() -> Scenarios<TreiberStack> {
    Scenarios::new(|| TreiberStack::new(true))
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
pub fn shuttle_alone(body: Arc<dyn Fn() + Send + Sync>) {
    let scheduler = shuttle::scheduler::PctScheduler::new_from_seed(SEED, DEPTH, ITERATIONS);
    let mut config = shuttle::Config::new();
    config.stack_size = 0x40000;
    config.failure_persistence = shuttle::FailurePersistence::None;
    let ran = shuttle::Runner::new(scheduler, config).run(move || body());
    assert_eq!(ran, ITERATIONS);
}

/// The scenario's calls as a plain shuttle test makes them, with no scenario runner and no
/// history: a `shuttle::thread::spawn` per thread, the stack's methods called directly
/// (their `#[recorded]` wrapper finds that nothing records), each thread joined.
pub fn plain(scenario: &Scenario) -> Arc<dyn Fn() + Send + Sync> {
    // Each call as `Some(value)` for a push, `None` for a pop, read back from the JSON form.
    let json: serde_json::Value = serde_json::from_str(&scenario.to_json()).unwrap();
    let threads: Vec<Vec<Option<i64>>> = json["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|calls| {
            calls
                .as_array()
                .unwrap()
                .iter()
                .map(|call| (call[0] == "push").then(|| call[1].as_i64().unwrap()))
                .collect()
        })
        .collect();
    assert!(json["prefix"].as_array().unwrap().is_empty());
    let threads = Arc::new(threads);
    Arc::new(move || {
        let stack = Arc::new(TreiberStack::new(true));
        let handles: Vec<_> = threads
            .iter()
            .map(|calls| {
                let (stack, calls) = (Arc::clone(&stack), calls.clone());
                shuttle::thread::spawn(move || {
                    for call in calls {
                        match call {
                            Some(v) => stack.push(v),
                            None => {
                                stack.pop();
                            }
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
    })
}

/// Accepts every history: the recorded row without the check.
pub struct Unchecked;

impl Oracle for Unchecked {
    fn judge(&self, _: &[Event], _: &Budget) -> Judgement {
        Judgement::Valid
    }
}
