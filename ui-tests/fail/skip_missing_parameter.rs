// `skip` must name a parameter of the function: a typo is an error on the name, listing
// the parameters there are.
use lockstep_history::recorded;

struct Opts;

#[recorded(skip(opt))]
fn put(key: u64, opts: &Opts) -> u64 {
    let _ = opts;
    key
}

fn main() {
    put(1, &Opts);
}
