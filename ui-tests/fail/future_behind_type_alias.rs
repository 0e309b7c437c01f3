// A future whose type hides behind an alias is not recognised as one: recorded as a value, the
// call would end when the future is made, before its work. The error says to write the
// future type out; `output` does not silence it.
use std::future::Future;
use std::pin::Pin;

use lockstep_history::recorded;

type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

struct Client;

impl Client {
    #[recorded(output = |_v| 0u64)]
    fn read(&self) -> Fut<'_, u64> {
        Box::pin(async { 1 })
    }
}

fn main() {
    let _ = Client.read();
}
