//! The rows of the `explore` bench as a plain program, run a fixed number of times, for
//! instruction counts that do not depend on the machine's load:
//!
//! ```text
//! cargo build -p lockstep-history --features shuttle --release --example explore_count
//! valgrind --tool=callgrind target/release/examples/explore_count checked 25
//! ```
//!
//! The row is `checked`, `unchecked`, `alone`, `floor` or `plain` (as in
//! `benches/explore.rs`); each
//! run is 100 iterations. The difference between counts for 25 and 5 runs, over 20, is the
//! cost of one run without start-up.

use lockstep_history::explore::Rng;
use lockstep_history::model::Stack;

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../../examples/treiber_stack.rs"]
mod treiber_stack;

#[path = "../benches/common/explore_rows.rs"]
mod rows;

use rows::{ITERATIONS, Unchecked, floor, plain, scenarios, shuttle_alone};

fn main() {
    let mut args = std::env::args().skip(1);
    let row = args.next().unwrap_or_else(|| "checked".to_string());
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let fixed = scenarios(true);
    let scenario = fixed.generate(&mut Rng::new(7));
    let floor = floor();
    let same = floor.generate(&mut Rng::new(7));
    assert_eq!(same.to_json(), scenario.to_json());
    for _ in 0..runs {
        match row.as_str() {
            "checked" => assert_eq!(
                fixed.run_scenario(&Stack, &scenario).unwrap().iterations,
                ITERATIONS
            ),
            "unchecked" => {
                assert_eq!(
                    fixed
                        .run_scenario(&Unchecked, &scenario)
                        .unwrap()
                        .iterations,
                    ITERATIONS
                )
            }
            "alone" => shuttle_alone(fixed.body(&scenario)),
            "floor" => shuttle_alone(floor.body(&same)),
            "plain" => shuttle_alone(plain(&scenario)),
            other => {
                eprintln!("unknown row {other:?}: checked, unchecked, alone, floor or plain");
                std::process::exit(2);
            }
        }
    }
}
