// A function returning a future has moved its arguments into the future by the time its
// result is known, so `output` cannot read them: an error on the argument it names, saying
// what to do instead.
use std::future::Future;

use lockstep_history::recorded;

#[recorded(output = |value| (key, value))]
fn get(key: String) -> impl Future<Output = u64> {
    async move { key.len() as u64 }
}

fn main() {
    let _ = get(String::new());
}
