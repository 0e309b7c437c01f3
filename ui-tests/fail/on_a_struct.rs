// `#[recorded]` records calls, so it only goes on functions: on a struct it is an error on
// the struct, and the struct is still emitted (so `main` using it compiles).
use lockstep_history::recorded;

#[recorded]
struct Client {
    id: u64,
}

fn main() {
    let client = Client { id: 1 };
    let _ = client.id;
}
