//! The rows of the `explore` bench as a plain program, run a fixed number of times, for
//! instruction counts that do not depend on the machine's load:
//!
//! ```text
//! cargo build -p lockstep-history --features shuttle --release --example explore_count
//! valgrind --tool=callgrind target/release/examples/explore_count checked 25
//! ```
//!
//! The row is `checked`, `unchecked`, `alone` or `floor` (as in `benches/explore.rs`); each
//! run is 100 iterations. The difference between counts for 25 and 5 runs, over 20, is the
//! cost of one run without start-up.

use std::sync::Arc;

use lockstep_history::checker::Budget;
use lockstep_history::event::Event;
use lockstep_history::explore::{Judgement, Oracle, Rng, Scenarios, Strategy, yield_point};
use lockstep_history::model::Stack;

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../../examples/treiber_stack.rs"]
mod treiber_stack;

/// Accepts every history: the recorded row without the check.
struct Unchecked;

impl Oracle for Unchecked {
    fn judge(&self, _: &[Event], _: &Budget) -> Judgement {
        Judgement::Valid
    }
}

/// The floor: a scheduling point before and after each call, nothing recorded.
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

/// The explorer's shuttle run of `body` with no history installed.
fn shuttle_alone(body: Arc<dyn Fn() + Send + Sync>) {
    let scheduler = shuttle::scheduler::PctScheduler::new_from_seed(1, 3, 100);
    let mut config = shuttle::Config::new();
    config.stack_size = 0x40000;
    config.failure_persistence = shuttle::FailurePersistence::None;
    let ran = shuttle::Runner::new(scheduler, config).run(move || body());
    assert_eq!(ran, 100);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let row = args.next().unwrap_or_else(|| "checked".to_string());
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let fixed = treiber_stack::scenarios(true, Strategy::pct(3, 1), 100).prefix(0);
    let scenario = fixed.generate(&mut Rng::new(7));
    let floor = floor();
    let same = floor.generate(&mut Rng::new(7));
    assert_eq!(same.to_json(), scenario.to_json());
    for _ in 0..runs {
        match row.as_str() {
            "checked" => assert_eq!(
                fixed.run_scenario(&Stack, &scenario).unwrap().iterations,
                100
            ),
            "unchecked" => {
                assert_eq!(
                    fixed
                        .run_scenario(&Unchecked, &scenario)
                        .unwrap()
                        .iterations,
                    100
                )
            }
            "alone" => shuttle_alone(fixed.body(&scenario)),
            "floor" => shuttle_alone(floor.body(&same)),
            other => {
                eprintln!("unknown row {other:?}: checked, unchecked, alone or floor");
                std::process::exit(2);
            }
        }
    }
}
