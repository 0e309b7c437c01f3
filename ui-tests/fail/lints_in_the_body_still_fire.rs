// The body keeps its tokens and spans, so the user's lints still see it: an unused variable
// in a recorded body is reported at that variable.
#![deny(unused_variables)]

use lockstep_history::recorded;

#[recorded]
fn write(v: u64) -> u64 {
    let unused = 3;
    v
}

fn main() {
    write(1);
}
