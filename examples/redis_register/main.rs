//! A register and a compare-and-set register on a real Redis server, checked for
//! linearizability. A correct client passes; a client that serves reads from a local cache
//! for a few milliseconds is caught on a stale read. Some operations time out while the
//! server is paused with `CLIENT PAUSE` and are recorded as `info`; the checker still decides.
//!
//! Needs `redis-server` on the PATH (Debian: `apt-get install redis-server`), or `REDIS_URL`
//! pointing at a server whose data may be overwritten.
//!
//! Run with `cargo run --example redis_register`.

mod client;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use lockstep_history::checker::{HistoryError, Verdict};
use lockstep_history::model::{CasRegister, Register};
use lockstep_history::{History, Value, format, spawn, unrecorded, with_history};

pub use client::RegisterClient;
pub use server::Server;

/// How one run against the server goes.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Concurrent clients, each its own thread and process.
    pub clients: u64,
    /// Operations per client.
    pub ops: u64,
    /// Client-side read cache lifetime: `Some` is the buggy client.
    pub cache_for: Option<Duration>,
    /// Pause the server now and then so that some operations time out.
    pub pauses: bool,
    /// Compare-and-set too (a CAS register), or only reads and writes (a register).
    pub cas: bool,
}

impl Workload {
    /// Checks a history of this workload against its model: a CAS register or a register,
    /// starting at 0.
    pub fn check(&self, history: &History) -> Result<Verdict, HistoryError> {
        if self.cas {
            history.check(&CasRegister::new(Value::Int(0)))
        } else {
            history.check(&Register::new(Value::Int(0)))
        }
    }
}

/// Runs `workload` against the register stored under `key` and returns its history.
pub fn run(url: &str, key: &str, workload: Workload) -> History {
    let timeout = Duration::from_millis(40);
    let mut setup = RegisterClient::new(url, key, Duration::from_secs(2), None);
    // The register starts at 0. The setup write is not part of the test: `unrecorded` keeps
    // it out of every history, and keeps it from counting as a lost call in a history that
    // another test running beside this one has open.
    unrecorded(|| setup.write(0)).expect("initial write");
    let done = Arc::new(AtomicBool::new(false));
    let pauser = workload.pauses.then(|| {
        let (url, done) = (url.to_string(), done.clone());
        std::thread::spawn(move || pause_now_and_then(&url, &done))
    });
    let (_, history) = with_history(|| {
        let workers: Vec<_> = (0..workload.clients)
            .map(|c| {
                let mut client = RegisterClient::new(url, key, timeout, workload.cache_for);
                spawn(move || {
                    let mut rng = 0x2545_F491_4F6C_DD1D_u64 ^ (c + 1).wrapping_mul(0x9E37_79B9);
                    for _ in 0..workload.ops {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        let (a, b) = ((rng >> 8) % 5, (rng >> 16) % 5);
                        // Outcomes are recorded; the example does not need them here.
                        let _ = match rng % 4 {
                            0 | 1 => client.read().map(drop),
                            3 if workload.cas => client.cas(a as i64, b as i64).map(drop),
                            _ => client.write(a as i64),
                        };
                        std::thread::sleep(Duration::from_micros(300));
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("client thread panicked");
        }
    });
    done.store(true, Ordering::Relaxed);
    if let Some(p) = pauser {
        p.join().expect("pauser panicked");
    }
    history
}

/// Pauses every client of the server for 100 ms, twice, early in the run: clients time out
/// (40 ms) while their commands wait, so the outcome of those operations is unknown.
fn pause_now_and_then(url: &str, done: &AtomicBool) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(mut admin) = client.get_connection() else {
        return;
    };
    for wait in [20, 150] {
        std::thread::sleep(Duration::from_millis(wait));
        if done.load(Ordering::Relaxed) {
            return;
        }
        let _: redis::RedisResult<()> =
            redis::cmd("CLIENT").arg("PAUSE").arg(100).query(&mut admin);
    }
    let _: redis::RedisResult<()> = redis::cmd("CLIENT").arg("UNPAUSE").query(&mut admin);
}

fn main() {
    let server = match Server::start() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("redis_register: {e}");
            std::process::exit(2);
        }
    };
    let out = PathBuf::from("target/redis_register");
    std::fs::create_dir_all(&out).expect("create the output directory");
    let runs = [
        ("register", None, false),
        ("cas-register", None, true),
        ("caching cas-register", Some(Duration::from_millis(5)), true),
    ];
    for (name, cache_for, cas) in runs {
        let workload = Workload {
            clients: 5,
            ops: 200,
            cache_for,
            pauses: true,
            cas,
        };
        let history = run(
            &server.url,
            &format!("register-{}", name.replace(' ', "-")),
            workload,
        );
        let events = history.events();
        let info = events
            .iter()
            .filter(|e| e.kind == lockstep_history::EventKind::Info)
            .count();
        println!(
            "{name} client: {} events, {info} timed out (info)",
            events.len()
        );
        let file = out.join(format!("{}.edn", name.replace(' ', "-")));
        format::write_file(&file, &events).expect("write the history");
        match workload.check(&history) {
            Ok(Verdict::NotLinearizable(c)) => println!("{name} client: NOT linearizable\n{c}"),
            Ok(verdict) => println!("{name} client: {verdict}"),
            Err(e) => println!("{name} client: cannot check: {e}"),
        }
        println!("history written to {}\n", file.display());
    }
}
