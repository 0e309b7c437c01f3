// `value` replaces the whole invoke value, so `skip` beside it would do nothing: an error on
// `skip`, rather than silently ignoring it.
use lockstep_history::recorded;

#[recorded(skip(b), value = a)]
fn write(a: u64, b: u64) -> u64 {
    a + b
}

fn main() {
    write(1, 2);
}
