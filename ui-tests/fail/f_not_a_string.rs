// `f` names the operation with a string literal; an identifier is an error on that
// identifier, showing the expected form.
use lockstep_history::recorded;

#[recorded(f = write)]
fn write(v: u64) -> u64 {
    v
}

fn main() {
    write(1);
}
