// A result whose type is not `Serialize` (a driver's response, `bytes::Bytes`) is an error on
// the return type, naming the type and both fixes; it was once recorded as nil.
use lockstep_history::recorded;

struct Response {
    body: Vec<u8>,
}

#[recorded]
fn fetch(path: &str) -> Response {
    Response {
        body: path.as_bytes().to_vec(),
    }
}

fn main() {
    let _ = fetch("/").body;
}
