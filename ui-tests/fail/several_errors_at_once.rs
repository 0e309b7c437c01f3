// Every bad option is reported in one go, each at its own token, not only the first.
use lockstep_history::recorded;

#[recorded(f = 1, colour = "red", err = "maybe")]
fn write(v: u64) -> u64 {
    v
}

fn main() {
    write(1);
}
