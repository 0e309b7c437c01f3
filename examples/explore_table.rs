//! Prints the README's table: for each example bug, the executions until the first failure
//! under random, PCT depth 2 and 3 (seeds 1–5) and plain OS threads, and the size of the
//! shrunk scenario.
//!
//! `cargo run --release --example explore_table --features shuttle`

use lockstep_history::checker::Budget;
use lockstep_history::explore::{Judgement, Scenario, Scenarios, Strategy};
use lockstep_history::model::{Counter, Stack};

#[allow(dead_code)]
mod racy_counter;
#[allow(dead_code)]
mod treiber_stack;

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
const OS_RUNS: usize = 10_000;

fn row<T: Send + Sync + 'static, O: lockstep_history::explore::Oracle>(
    name: &str,
    make: impl Fn(Strategy) -> Scenarios<T>,
    oracle: &O,
) {
    let mut cells = Vec::new();
    let mut smallest: Option<Scenario> = None;
    let mut found_scenario: Option<Scenario> = None;
    for strategy in [
        Strategy::random(0),
        Strategy::pct(2, 0),
        Strategy::pct(3, 0),
    ] {
        let counts: Vec<String> = SEEDS
            .iter()
            .map(|&seed| {
                let scenarios = make(strategy).seed(seed);
                match scenarios.run(oracle) {
                    Ok(s) => format!(">{}", s.iterations),
                    Err(f) => {
                        if smallest.as_ref().is_none_or(|s| f.scenario.len() < s.len()) {
                            smallest = Some(f.scenario.clone());
                        }
                        found_scenario.get_or_insert(f.original.clone());
                        f.executions.to_string()
                    }
                }
            })
            .collect();
        cells.push(counts.join(", "));
    }
    // The first failing scenario as generated, run on OS threads until a history fails.
    let os = found_scenario.map_or("-".to_string(), |scenario| {
        let scenarios = make(Strategy::random(0));
        let budget = Budget::default();
        (1..=OS_RUNS)
            .find(|_| {
                let h = scenarios.run_on_threads(&scenario);
                !matches!(oracle.judge(&h.events(), &budget), Judgement::Valid)
            })
            .map_or(format!(">{OS_RUNS}"), |n| n.to_string())
    });
    let shrunk = smallest.map_or("-".to_string(), |s| {
        format!("{} calls ({})", s.len(), s.size())
    });
    println!(
        "| {name} | {} | {} | {} | {os} | {shrunk} |",
        cells[0], cells[1], cells[2]
    );
}

fn main() {
    println!("| bug | random | PCT depth 2 | PCT depth 3 | OS threads | shrunk scenario |");
    println!("|---|---|---|---|---|---|");
    row(
        "Treiber stack: pop without retry",
        |s| treiber_stack::scenarios(false, s, 100),
        &Stack,
    );
    row(
        "hit counter: read, then write",
        |s| racy_counter::scenarios(false, s, 100),
        &Counter::default(),
    );
}
