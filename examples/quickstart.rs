//! Four workers share a register; every write and read is recorded as a Jepsen history.
//!
//! Run with `cargo run --example quickstart`.

use std::sync::{Arc, Mutex};

use lockstep_history::{current, spawn, with_history};

fn main() {
    let register = Arc::new(Mutex::new(0u64));
    let (_, history) = with_history(|| {
        let workers: Vec<_> = (0..4u64)
            .map(|worker| {
                let register = register.clone();
                spawn(move || {
                    let h = current().expect("spawn carries the history");
                    for i in 0..3 {
                        let v = worker * 10 + i;
                        h.op("write", v, || *register.lock().unwrap() = v);
                        h.op("read", (), || *register.lock().unwrap());
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker panicked");
        }
    });
    for event in history.events() {
        println!("{event}");
    }
    match history.validate() {
        Ok(()) => println!("{} events, well formed", history.len()),
        Err(e) => println!("malformed history: {e}"),
    }
}
