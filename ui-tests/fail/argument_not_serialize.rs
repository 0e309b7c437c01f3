// Arguments are recorded in the invoke event, so each must be `Serialize`. One that is not
// is an error on that argument (not on the attribute), saying how to fix it: `skip(...)`
// or `value = ...`.
use lockstep_history::recorded;

struct Connection;

#[recorded]
fn write(conn: &Connection, v: u64) -> u64 {
    let _ = conn;
    v
}

fn main() {
    write(&Connection, 1);
}
