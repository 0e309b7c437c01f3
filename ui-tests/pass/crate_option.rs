// `crate = path` lets a crate that re-exports lockstep-history under another name use the
// attribute without depending on `lockstep_history` by name.
#![deny(warnings)]

mod testkit {
    pub use lockstep_history as history;
}

use testkit::history::recorded;

#[recorded(crate = testkit::history)]
fn read(key: u8) -> Option<u8> {
    Some(key)
}

fn main() {
    let (v, h) = testkit::history::with_history(|| read(2));
    assert_eq!(v, Some(2));
    assert_eq!(h.len(), 2);
}
