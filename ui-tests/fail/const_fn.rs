// A `const fn` can run at compile time, where there is no history to record into: an error
// on `const`, with the function still emitted.
use lockstep_history::recorded;

#[recorded]
const fn read(v: u64) -> u64 {
    v
}

const READ: u64 = read(1);

fn main() {
    let _ = READ;
}
