// `classify` decides per error and `err` for all errors: given both, it is unclear which
// wins, so it is an error on `classify`.
use lockstep_history::{Completion, recorded};

fn classify(_: &String) -> Completion {
    Completion::Info
}

#[recorded(err = "info", classify = classify)]
fn write(v: u64) -> Result<u64, String> {
    Ok(v)
}

fn main() {
    write(1).unwrap();
}
