//! Elle's list-append workload against a real PostgreSQL, at each isolation level, checked
//! with the transactional checker. Concurrent workers run short transactions of appends and
//! reads over a few hot keys through a `#[recorded(f = "txn")]` client; serialization
//! failures are recorded as `fail`, connection trouble as `info`. Then:
//!
//! - SERIALIZABLE: nothing serializability prohibits;
//! - REPEATABLE READ (snapshot isolation in PostgreSQL): write skew (G2-item), and nothing
//!   snapshot isolation prohibits;
//! - READ COMMITTED: anomalies repeatable read prohibits (read skew, write skew, lost
//!   updates), and nothing read committed prohibits.
//!
//! Needs PostgreSQL's server programs (Debian: `apt-get install postgresql`); a throwaway
//! cluster is created in a temporary folder and removed afterwards. Or set
//! `LOCKSTEP_POSTGRES_URL` to a server whose database it may write tables to.
//!
//! Run with `cargo run --example postgres_append`.

mod client;
mod server;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lockstep_history::checker::txn::{self, Analysis, ConsistencyModel, Options, Workload};
use lockstep_history::txn::{GeneratorOptions, KeyDistribution, ListAppendGenerator};
use lockstep_history::{EventKind, History, format, spawn, with_history};

pub use client::{AppendClient, Isolation, TxnError};
pub use server::{Server, ServerError};

/// How one run against the database goes.
#[derive(Clone, Debug)]
pub struct Run {
    /// The isolation level every transaction runs at.
    pub isolation: Isolation,
    /// Concurrent workers, each a thread with its own connection (and a process).
    pub workers: usize,
    /// Transactions to attempt in all.
    pub txns: usize,
    /// Stop early after this long, whatever is left of `txns`.
    pub time_limit: Duration,
    /// The shape of the transactions.
    pub generator: GeneratorOptions,
    /// The generator's seed.
    pub seed: u64,
}

impl Run {
    /// The workload tuned so that every level shows what it should on every run: few hot
    /// keys (uniformly chosen, so every pair of transactions is likely to meet), transactions
    /// of two to four micro-ops, mostly reads so that versions are observed, short lists.
    pub fn new(isolation: Isolation) -> Run {
        Run {
            isolation,
            workers: 10,
            txns: 2_000,
            time_limit: Duration::from_secs(10),
            generator: GeneratorOptions {
                key_count: 4,
                min_txn_len: 2,
                max_txn_len: 4,
                max_writes_per_key: 16,
                key_distribution: KeyDistribution::Uniform,
                read_fraction: 0.6,
            },
            seed: 0x5eed,
        }
    }

    /// The model this level must satisfy: PostgreSQL's REPEATABLE READ is snapshot
    /// isolation.
    pub fn promised(&self) -> ConsistencyModel {
        match self.isolation {
            Isolation::ReadCommitted => ConsistencyModel::ReadCommitted,
            Isolation::RepeatableRead => ConsistencyModel::SnapshotIsolation,
            Isolation::Serializable => ConsistencyModel::Serializable,
        }
    }

    /// Checks a history of this run against the model its level promises.
    pub fn check(&self, history: &History) -> Result<Analysis, txn::Error> {
        let options = Options {
            workload: Workload::ListAppend,
            consistency_models: vec![self.promised()],
            ..Options::default()
        };
        txn::check(&history.events(), &options)
    }

    /// Runs the workload on a fresh table of `server` and returns its history.
    pub fn record(&self, server: &Server) -> Result<History, postgres::Error> {
        let table = format!("append_{}", self.isolation.name());
        AppendClient::create_table(&mut server.connect()?, &table)?;
        let clients = (0..self.workers)
            .map(|_| AppendClient::new(&server.config, &table, self.isolation))
            .collect::<Result<Vec<_>, _>>()?;
        let generator = Arc::new(Mutex::new(
            ListAppendGenerator::new(self.generator.clone(), self.seed)
                .expect("the run's generator options are valid"),
        ));
        let started = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + self.time_limit;
        let total = self.txns;
        let ((), history) = with_history(|| {
            let workers: Vec<_> = clients
                .into_iter()
                .map(|mut client| {
                    let (generator, started) = (generator.clone(), started.clone());
                    spawn(move || {
                        while started.fetch_add(1, Ordering::Relaxed) < total
                            && Instant::now() < deadline
                        {
                            let ops = generator.lock().expect("generator").next_txn();
                            // The outcome is in the history.
                            let _ = client.transact(ops);
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().expect("worker thread panicked");
            }
        });
        Ok(history)
    }
}

/// Counts of a history's completions: (ok, fail, info).
pub fn outcomes(history: &History) -> (usize, usize, usize) {
    let events = history.events();
    let count = |kind| events.iter().filter(|e| e.kind == kind).count();
    (
        count(EventKind::Ok),
        count(EventKind::Fail),
        count(EventKind::Info),
    )
}

fn main() {
    let server = match Server::start() {
        Ok(server) => server,
        Err(e) => {
            eprintln!("postgres_append: {e}");
            std::process::exit(2);
        }
    };
    let out = PathBuf::from("target/postgres_append");
    std::fs::create_dir_all(&out).expect("create the output directory");
    for isolation in Isolation::ALL {
        let run = Run::new(isolation);
        let history = match run.record(&server) {
            Ok(history) => history,
            Err(e) => {
                eprintln!("postgres_append: {}: {e}", isolation.name());
                std::process::exit(2);
            }
        };
        let (ok, fail, info) = outcomes(&history);
        println!(
            "{}: {ok} committed, {fail} aborted, {info} unknown",
            isolation.name()
        );
        let file = out.join(format!("{}.json", isolation.name()));
        format::write_file(&file, &history.events()).expect("write the history");
        match run.check(&history) {
            Ok(analysis) => {
                let ruled_out: Vec<&str> = analysis
                    .weakest_ruled_out()
                    .iter()
                    .map(|m| m.name())
                    .collect();
                println!(
                    "{}: {} for {}; anomalies: {}; rules out: {}",
                    isolation.name(),
                    if analysis.is_valid() {
                        "valid"
                    } else {
                        "NOT valid"
                    },
                    run.promised().name(),
                    analysis.anomaly_names().join(", "),
                    ruled_out.join(", ")
                );
            }
            Err(e) => println!("{}: cannot check: {e}", isolation.name()),
        }
        println!(
            "history written to {} (lockstep check --model list-append {})\n",
            file.display(),
            file.display()
        );
    }
}
