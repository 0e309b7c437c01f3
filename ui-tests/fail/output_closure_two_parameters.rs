// `output = |value| ...` takes one parameter, the ok value; the arguments are in scope by
// their own names. Two parameters are an error on them.
use lockstep_history::recorded;

#[recorded(output = |key, value| (key, value))]
fn get(key: u64) -> u64 {
    key
}

fn main() {
    let _ = get(1);
}
