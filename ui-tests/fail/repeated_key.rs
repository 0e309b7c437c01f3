// A key given twice must be an error on the second one: which `f` was meant is unclear.
use lockstep_history::recorded;

#[recorded(f = "write", f = "put")]
fn write(v: u64) -> u64 {
    v
}

fn main() {
    write(1);
}
