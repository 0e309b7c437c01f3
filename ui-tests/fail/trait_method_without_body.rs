// A trait method declaration has no body, so there is no call to record: an error on the
// declaration saying where the attribute goes instead.
use lockstep_history::recorded;

trait Store {
    #[recorded]
    fn read(&self) -> u64;
}

struct Memory;

impl Store for Memory {
    fn read(&self) -> u64 {
        0
    }
}

fn main() {
    let _ = Memory.read();
}
