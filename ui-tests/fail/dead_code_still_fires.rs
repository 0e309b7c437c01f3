// The expansion must not hide the function from `dead_code`: an unused recorded function
// is still reported, at its name.
#![deny(dead_code)]

use lockstep_history::recorded;

#[recorded]
fn never_called(v: u64) -> u64 {
    v
}

fn main() {}
