//! How fast history files read, in MB/s of input.
//!
//! - `edn/knossos-largest`: the largest Knossos history of the shared conformance data,
//!   `cas-register/good/mongodb-v0-ack-rollback-8.edn` (about 76 KB). Skipped, with a
//!   message, when the data is not at `../shared/conformance/` (or `LOCKSTEP_CONFORMANCE_DIR`).
//! - `jsonl/1m-events`: a generated file of 1,000,000 events, as a recorder writes them.
//!
//! Both read through `format::read_file`, so the time includes reading the file (from the
//! page cache after the first run).
//!
//! ```sh
//! cargo bench -p lockstep-history --bench formats
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lockstep_history::format::{self, Format};
use lockstep_history::{Event, EventKind, Process, Value};

fn conformance_dir() -> PathBuf {
    std::env::var_os("LOCKSTEP_CONFORMANCE_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
        PathBuf::from,
    )
}

fn edn(c: &mut Criterion) {
    let path = conformance_dir().join("knossos/cas-register/good/mongodb-v0-ack-rollback-8.edn");
    let Ok(bytes) = std::fs::metadata(&path).map(|m| m.len()) else {
        println!(
            "formats/edn skipped: {} not found (set LOCKSTEP_CONFORMANCE_DIR)",
            path.display()
        );
        return;
    };
    let mut group = c.benchmark_group("edn");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("knossos-largest", |b| {
        b.iter(|| format::read_file(&path).unwrap());
    });
    group.finish();
}

/// A million events shaped like a register test's: reads, writes and CAS from 16 processes.
fn generated_events(n: u64) -> Vec<Event> {
    (0..n)
        .map(|i| {
            let op = i / 2;
            let (f, value) = match op % 3 {
                0 => ("read", Value::Int((op % 5) as i64)),
                1 => ("write", Value::Int((op % 7) as i64)),
                _ => (
                    "cas",
                    Value::Vector(vec![
                        Value::Int((op % 5) as i64),
                        Value::Int((op % 3) as i64),
                    ]),
                ),
            };
            Event {
                index: i,
                time: i * 1_250 + 17,
                kind: if i % 2 == 0 {
                    EventKind::Invoke
                } else {
                    EventKind::Ok
                },
                process: Process::Id(op % 16),
                f: f.into(),
                value,
                error: None,
            }
        })
        .collect()
}

fn jsonl(c: &mut Criterion) {
    let path = std::env::temp_dir().join(format!("lockstep-bench-{}.jsonl", std::process::id()));
    format::write_file(&path, &generated_events(1_000_000)).unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut group = c.benchmark_group("jsonl");
    group
        .throughput(Throughput::Bytes(bytes))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15));
    group.bench_function("1m-events", |b| {
        b.iter(|| {
            let events = format::read_file_as(&path, Format::Jsonl).unwrap();
            assert_eq!(events.len(), 1_000_000);
            events
        });
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, edn, jsonl);
criterion_main!(benches);
