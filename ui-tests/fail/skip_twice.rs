// Skipping a parameter twice is an error on the second mention.
use lockstep_history::recorded;

#[recorded(skip(key, key))]
fn read(key: u64, n: u64) -> u64 {
    key + n
}

fn main() {
    let _ = read(1, 2);
}
