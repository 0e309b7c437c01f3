// `self` is never recorded, so skipping it is an error on `self`.
use lockstep_history::recorded;

struct Client;

impl Client {
    #[recorded(skip(self))]
    fn read(&self, key: u64) -> u64 {
        key
    }
}

fn main() {
    let _ = Client.read(1);
}
