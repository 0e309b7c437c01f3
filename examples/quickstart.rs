//! A shared register with two clients, one correct and one with a race, instrumented with
//! `#[recorded]` and checked for linearizability.
//!
//! Run with `cargo run --example quickstart`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use lockstep_history::checker::linearizable::{self, Options, Verdict};
use lockstep_history::model::CasRegister;
use lockstep_history::report::{Analysis, Report};
use lockstep_history::{History, format, recorded, spawn, with_history};

/// The system under test: a register in shared memory.
pub type Register = Arc<Mutex<i64>>;

/// What the workers call. Reads and writes are the same for every client; the clients
/// under test differ in how they compare and set.
pub trait Client: Clone + Send + 'static {
    /// The register this client talks to.
    fn register(&self) -> &Register;

    /// Reads the register.
    #[recorded(f = "read")]
    fn read(&self) -> i64 {
        *self.register().lock().unwrap()
    }

    /// Writes `v`.
    #[recorded(f = "write")]
    fn write(&self, v: i64) {
        *self.register().lock().unwrap() = v;
    }

    /// Sets the register to `new` if it holds `expected`; says whether it did.
    fn cas(&self, expected: i64, new: i64) -> bool;
}

/// Holds the lock for the whole compare-and-set.
#[derive(Clone, Default)]
pub struct LockedClient(pub Register);

impl Client for LockedClient {
    fn register(&self) -> &Register {
        &self.0
    }

    #[recorded(f = "cas")]
    fn cas(&self, expected: i64, new: i64) -> bool {
        let mut value = self.0.lock().unwrap();
        let matched = *value == expected;
        if matched {
            *value = new;
        }
        matched
    }
}

/// Compares and sets in two steps, releasing the lock in between: two clients can both see
/// the expected value and both "succeed".
#[derive(Clone, Default)]
pub struct RacyClient(pub Register);

impl Client for RacyClient {
    fn register(&self) -> &Register {
        &self.0
    }

    #[recorded(f = "cas")]
    fn cas(&self, expected: i64, new: i64) -> bool {
        let current = *self.0.lock().unwrap();
        std::thread::yield_now(); // a round trip to a server would sit here
        if current != expected {
            return false;
        }
        *self.0.lock().unwrap() = new;
        true
    }
}

/// Runs `threads` workers doing `ops` random reads, writes and compare-and-sets each.
pub fn run<C: Client>(client: &C, threads: u64, ops: u64) -> History {
    let (_, history) = with_history(|| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let client = client.clone();
                spawn(move || {
                    let mut rng = (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    for _ in 0..ops {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        let (a, b) = (((rng >> 8) % 4) as i64, ((rng >> 16) % 4) as i64);
                        match rng % 3 {
                            0 => drop(client.read()),
                            1 => client.write(a),
                            _ => drop(client.cas(a, b)),
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().expect("worker panicked");
        }
    });
    history
}

/// The specification both clients are checked against.
pub fn model() -> CasRegister {
    CasRegister::new(0)
}

/// Checks `history`, prints the verdict and writes the history and its report into
/// `dir/name/`.
fn report(name: &str, history: &History, dir: &Path) -> Verdict {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).expect("create the output directory");
    let events = history.events();
    // The verdict carries the model states along a witness, for the report to show.
    let options = Options {
        witness_states: true,
        ..Options::default()
    };
    let verdict =
        linearizable::check_with(&events, &model(), &options).expect("a well-formed history");
    match &verdict {
        Verdict::NotLinearizable(counterexample) => {
            println!(
                "{name}: NOT linearizable ({} events)\n{counterexample}",
                events.len()
            );
        }
        other => println!("{name}: {other} ({} events)", events.len()),
    }
    let file = dir.join("history.edn");
    format::write_file(&file, &events).expect("write the history");
    let analysis = Analysis::from_verdict(&events, &verdict, "cas-register, initially 0");
    let page = dir.join("report.html");
    Report::new(&events)
        .title(format!("quickstart: the {name} client"))
        .with_analysis(analysis)
        .write_to(&page)
        .expect("write the report");
    println!("{name}: wrote {} and {}\n", file.display(), page.display());
    verdict
}

fn main() {
    let dir = PathBuf::from("target/quickstart");
    report("locked", &run(&LockedClient::default(), 6, 200), &dir);
    // The race needs an unlucky interleaving; it usually shows within a few runs.
    for attempt in 1..=20 {
        let verdict = report("racy", &run(&RacyClient::default(), 6, 200), &dir);
        if matches!(verdict, Verdict::NotLinearizable(_)) || attempt == 20 {
            break;
        }
    }
}
