//! Streaming a history to JSON Lines as it is recorded: every event reaches the file from
//! many threads, and a process killed with SIGKILL keeps every event whose recording call
//! had returned.
//!
//! The crash tests run this test binary again as the child (selected by an environment
//! variable); the child records from several threads and prints `done T K` after each
//! operation's completion has been recorded, until the parent kills it.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use lockstep_history::format::{self, Durability, Format, FormatError, JsonlSink};
use lockstep_history::{EventKind, History, Value};

/// Names the file a child process must record into, and with which durability.
const CHILD_ENV: &str = "LOCKSTEP_FORMATS_CRASH_CHILD";

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lockstep-stream-{}-{name}", std::process::id()))
}

fn record_from_threads(durability: Durability, threads: u64, ops: u64) {
    let path = temp_path(&format!("{durability:?}.jsonl"));
    let (history, sink) = History::streaming(&path, durability).unwrap();
    assert_eq!(sink.durability(), durability);
    assert_eq!(sink.path(), path);
    std::thread::scope(|s| {
        for t in 0..threads {
            let h = history.clone();
            s.spawn(move || {
                for k in 0..ops {
                    h.op("write", (t, k), || ());
                }
            });
        }
    });
    sink.flush().unwrap();
    let loaded = format::load_file(&path).unwrap();
    assert_eq!(loaded.torn_tail, None);
    assert_eq!(loaded.events, history.events(), "{durability:?}");
    assert_eq!(loaded.events.len() as u64, threads * ops * 2);
    lockstep_history::validate(&loaded.events).unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn flushed_stream_has_every_event_from_many_threads() {
    record_from_threads(Durability::Flushed, 8, 500);
}

#[test]
fn buffered_stream_has_every_event_after_flush() {
    record_from_threads(Durability::Buffered, 8, 500);
}

#[test]
fn synced_stream_has_every_event_from_many_threads() {
    record_from_threads(Durability::Synced, 4, 25);
}

#[test]
fn buffered_stream_is_complete_once_the_history_is_dropped() {
    let path = temp_path("dropped.jsonl");
    let sink = JsonlSink::create(&path, Durability::Buffered).unwrap();
    let history = lockstep_history::History::with_sink(sink);
    history.op("read", (), || 1);
    let events = history.events();
    drop(history);
    assert_eq!(format::read_file(&path).unwrap(), events);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn streaming_history_installed_as_current_records_spawned_threads() {
    let path = temp_path("current.jsonl");
    let (history, sink) = History::streaming(&path, Durability::Flushed).unwrap();
    history.in_scope(|| {
        let workers: Vec<_> = (0..3)
            .map(|i| {
                lockstep_history::spawn(move || {
                    lockstep_history::current().unwrap().op("write", i, || ());
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    });
    sink.flush().unwrap();
    let events = format::read_file(&path).unwrap();
    assert_eq!(events.len(), 6);
    assert_eq!(events, history.events());
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn sink_in_a_missing_folder_is_an_error() {
    let path = temp_path("no-such-folder").join("h.jsonl");
    let e = JsonlSink::create(&path, Durability::Flushed).unwrap_err();
    assert!(matches!(e, FormatError::Io { .. }), "{e}");
    assert_eq!(e.path(), Some(path.as_path()));
}

#[cfg(target_os = "linux")]
#[test]
fn write_errors_are_kept_for_flush() {
    for durability in [Durability::Flushed, Durability::Buffered] {
        let (history, sink) = History::streaming("/dev/full", durability).unwrap();
        history.op("write", 1, || ());
        let e = sink.flush().unwrap_err();
        assert!(e.to_string().contains("/dev/full"), "{e}");
    }
}

// ---------------------------------------------------------------------------------------
// Crash tests

/// The child: records from four threads into the file named by `CHILD_ENV` and reports
/// each completed operation on stdout, until it is killed (or gives up after a minute).
fn crash_child(spec: &str) -> ! {
    let (durability, path) = spec.split_once(':').unwrap();
    let durability = match durability {
        "synced" => Durability::Synced,
        _ => Durability::Flushed,
    };
    let (history, _sink) = History::streaming(path, durability).unwrap();
    // A real register, so the file has something to check: each thread writes its own
    // values and reads what is there, both inside the lock, recorded outside it.
    let register = Arc::new(Mutex::new(Value::Nil));
    for t in 0..4u64 {
        let h = history.clone();
        let register = Arc::clone(&register);
        std::thread::spawn(move || {
            for k in 0u64.. {
                let value = Value::from(vec![Value::from(t as i64), Value::from(k as i64)]);
                h.invoke("write", value.clone());
                *register.lock().unwrap() = value;
                h.ok("write", ());
                h.invoke("read", ());
                let seen = register.lock().unwrap().clone();
                h.ok("read", seen);
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "done {t} {k}");
                let _ = out.flush();
            }
        });
    }
    std::thread::sleep(Duration::from_secs(60));
    std::process::exit(3)
}

/// Runs a child recording with `durability`, kills it with SIGKILL after it has reported
/// `reports` completed operations, and checks the file has every reported operation.
#[cfg(unix)]
fn kill_mid_run(test_name: &str, durability: &str, reports: usize) {
    use std::os::unix::process::ExitStatusExt;

    let path = temp_path(&format!("crash-{durability}.jsonl"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{durability}:{}", path.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut stdout = BufReader::new(stdout);
        let mut line = Vec::new();
        // Only whole lines count: the kill may cut the last one short.
        while stdout.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
            if line.ends_with(b"\n")
                && let Some(done) = parse_report(&line)
                && tx.send(done).is_err()
            {
                break;
            }
            line.clear();
        }
    });
    let mut done: Vec<(u64, u64)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while done.len() < reports {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(d) => done.push(d),
            Err(_) => break,
        }
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    done.extend(rx.try_iter());
    assert!(
        done.len() >= reports,
        "the child reported only {} operations",
        done.len()
    );
    assert_eq!(status.signal(), Some(9), "the child died of SIGKILL");

    check_file_has(&path, &done);
    std::fs::remove_file(&path).unwrap();
}

fn parse_report(line: &[u8]) -> Option<(u64, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.strip_prefix("done ")?.split_whitespace();
    Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
}

/// Every reported operation has its invoke and its ok in the file, which reads cleanly
/// (at most its last line torn by the kill), is a well-formed history (the threads race
/// between taking an index and writing its line, so the kill leaves gaps that the reader
/// closes) and checks as the linearizable register it recorded.
fn check_file_has(path: &Path, done: &[(u64, u64)]) {
    let loaded = format::load_file_as(path, Format::Jsonl).unwrap_or_else(|e| panic!("{e}"));
    lockstep_history::validate(&loaded.events).unwrap_or_else(|e| panic!("{e}"));
    let verdict = lockstep_history::checker::linearizable::check(
        &loaded.events,
        &lockstep_history::model::Register::new(Value::Nil),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(verdict.is_linearizable(), "{verdict:?}");
    let mut seen = HashSet::new();
    for e in loaded.events.iter().filter(|e| e.f == "write") {
        assert!(
            seen.insert((e.kind, e.value.clone())),
            "event written twice: {e}"
        );
    }
    for &(t, k) in done {
        let value = Value::from(vec![Value::from(t as i64), Value::from(k as i64)]);
        for kind in [EventKind::Invoke, EventKind::Ok] {
            assert!(
                seen.contains(&(kind, value.clone())),
                "{kind} of operation {t}/{k} was reported as recorded but is not in the file \
                 ({} events there)",
                loaded.events.len()
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn sigkill_keeps_every_returned_event_when_synced() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        crash_child(&spec);
    }
    kill_mid_run(
        "sigkill_keeps_every_returned_event_when_synced",
        "synced",
        1_000,
    );
}

#[cfg(unix)]
#[test]
fn sigkill_keeps_every_returned_event_when_flushed() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        crash_child(&spec);
    }
    kill_mid_run(
        "sigkill_keeps_every_returned_event_when_flushed",
        "flushed",
        5_000,
    );
}
