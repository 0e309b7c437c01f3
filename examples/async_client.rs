//! An async register client on a multi-threaded tokio runtime: each task runs with
//! `in_history` as its own process, and a call cancelled by `tokio::time::timeout`
//! is recorded as `info` (its outcome is unknown).
//!
//! Run with `cargo run --example async_client`.

use std::sync::Arc;
use std::time::Duration;

use lockstep_history::model::CasRegister;
use lockstep_history::{History, InHistory, Value, recorded};
use tokio::sync::Mutex;

/// A register behind an async lock, with a little latency on every call.
#[derive(Clone, Default)]
pub struct AsyncRegister {
    value: Arc<Mutex<i64>>,
}

impl AsyncRegister {
    /// Reads the value.
    #[recorded(f = "read")]
    pub async fn read(&self) -> i64 {
        tokio::time::sleep(Duration::from_micros(200)).await;
        *self.value.lock().await
    }

    /// Writes `v`; `delay` simulates a slow server.
    #[recorded(f = "write", skip(delay))]
    pub async fn write(&self, v: i64, delay: Duration) {
        let mut guard = self.value.lock().await;
        tokio::time::sleep(delay).await;
        *guard = v;
    }

    /// Compare-and-set.
    #[recorded(f = "cas")]
    pub async fn cas(&self, expected: i64, new: i64) -> bool {
        let mut guard = self.value.lock().await;
        tokio::time::sleep(Duration::from_micros(100)).await;
        if *guard == expected {
            *guard = new;
            true
        } else {
            false
        }
    }
}

/// Runs `workers` tasks of `ops` operations each; the first task's first write is cancelled
/// by a timeout. Returns the recorded history.
pub async fn run(workers: i64, ops: i64) -> History {
    let history = History::new();
    let register = AsyncRegister::default();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let register = register.clone();
            let task = async move {
                if w == 0 {
                    let slow = register.write(-1, Duration::from_millis(200));
                    let cancelled = tokio::time::timeout(Duration::from_millis(5), slow).await;
                    assert!(cancelled.is_err(), "the slow write times out");
                }
                for i in 0..ops {
                    match i % 3 {
                        0 => {
                            register
                                .write(w * 100 + i, Duration::from_micros(100))
                                .await
                        }
                        1 => drop(register.read().await),
                        _ => drop(register.cas(w * 100 + i - 2, w * 100 + i).await),
                    }
                }
            };
            tokio::spawn(task.in_history(history.clone()))
        })
        .collect();
    for t in tasks {
        t.await.expect("worker task panicked");
    }
    history
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() {
    let history = run(6, 30).await;
    let info = history
        .events()
        .iter()
        .filter(|e| e.kind == lockstep_history::EventKind::Info)
        .count();
    println!("{} events, {info} with unknown outcome", history.len());
    match history.check(&CasRegister::new(Value::Int(0))) {
        Ok(verdict) => println!("{verdict}"),
        Err(e) => println!("cannot check: {e}"),
    }
}
