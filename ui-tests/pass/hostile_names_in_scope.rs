// Generated code names everything by absolute path and hides its temporaries, so nothing
// in the user's scope changes its meaning: a `use` of variants named `Ok`/`Err`/`Some`,
// items named like the runtime's helpers, a local `lockstep_history` module, and a
// parameter named like a generated temporary.
#![deny(warnings)]

mod lockstep_history {}

#[allow(dead_code)]
enum Shadow {
    Ok,
    Err,
    Some,
    None,
}
#[allow(unused_imports)]
use Shadow::*;

#[allow(dead_code)]
struct Wrap;
#[allow(dead_code)]
fn begin() {}
#[allow(dead_code)]
fn run() {}

#[::lockstep_history::recorded]
fn write(__lockstep_op: u64, __lockstep_result: u64) -> ::std::result::Result<u64, String> {
    ::std::result::Result::Ok(__lockstep_op + __lockstep_result)
}

fn main() {
    let (r, h) = ::lockstep_history::with_history(|| write(1, 2));
    assert_eq!(r, ::std::result::Result::Ok(3));
    assert_eq!(h.len(), 2);
}
