// `output = |value| ...` takes one parameter, the ok value: a closure with none is an error.
use lockstep_history::recorded;

#[recorded(output = || 0)]
fn get(key: u64) -> u64 {
    key
}

fn main() {
    let _ = get(1);
}
