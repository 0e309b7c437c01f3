// An unknown option must be an error on that key, naming the options there are. The
// function is still emitted, so `main` calling it compiles and this is the only error.
use lockstep_history::recorded;

#[recorded(f = "write", retries = 3)]
fn write(v: u64) -> u64 {
    v
}

fn main() {
    write(1);
}
