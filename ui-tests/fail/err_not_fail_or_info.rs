// `err` is "fail" or "info" only: anything else is an error on the literal, saying what
// each means.
use lockstep_history::recorded;

#[recorded(err = "ignore")]
fn write(v: u64) -> Result<(), String> {
    let _ = v;
    Ok(())
}

fn main() {
    write(1).unwrap();
}
