//! What the tests of both packages share, written once: a seeded generator, an event
//! builder, and the lookup of the conformance data with the one rule for when something a
//! test needs is missing.
//!
//! Included by path from this package's `tests/cli_common/mod.rs` and from the root
//! package's `tests/common/mod.rs`, so both test packages compile the same file.

#![allow(dead_code)] // each test file uses some of these

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use lockstep_history::{Event, EventKind, Process, Value};

/// `events` one to a line, indented: the history a failing differential case prints.
pub fn listing(events: &[Event]) -> String {
    events.iter().map(|e| format!("  {e}\n")).collect()
}

/// `t` as a recorded value.
pub fn v<T: serde::Serialize>(t: T) -> Value {
    lockstep_history::to_value(&t).unwrap()
}

/// Pending once (waking its task), then ready: an await point.
#[derive(Default)]
pub struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): small, seeded, every seed (0 too) good, so a failing seed replays exactly.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// An event of `kind` by `process` running `f` with `value`; index and time 0 and no error.
/// Set the rest with struct update (`Event { error: Some(e), ..event(…) }`) and number a
/// whole history with [`numbered`].
pub fn event(
    kind: EventKind,
    process: impl Into<Process>,
    f: &str,
    value: impl Into<Value>,
) -> Event {
    Event {
        index: 0,
        time: 0,
        kind,
        process: process.into(),
        f: f.to_owned().into(),
        value: value.into(),
        error: None,
    }
}

/// `events` with each one's index set to its position, as a recorder numbers them.
pub fn numbered(events: impl IntoIterator<Item = Event>) -> Vec<Event> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| Event {
            index: i as u64,
            ..e
        })
        .collect()
}

/// Something a test needs is missing: under `CI=true` (where `.ci/run` provides it) the test
/// fails; elsewhere it prints one line saying it skipped and why, and the caller returns.
pub fn missing(test: &str, why: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test}: {why} (CI=true, so this fails instead of skipping)"
    );
    // Straight to the stream rather than `eprintln!`, which the test harness captures:
    // the skip must show in a plain `cargo test`.
    let _ = writeln!(std::io::stderr(), "{test}: skipped: {why}");
}

/// The Knossos folder of the conformance data, or `None` after [`missing`] said why.
pub fn knossos_dir(test: &str) -> Option<PathBuf> {
    conformance_dir(test, "knossos")
}

/// The Elle folder of the conformance data, or `None` after [`missing`] said why.
pub fn elle_dir(test: &str) -> Option<PathBuf> {
    conformance_dir(test, "elle")
}

/// `folder` of the conformance data: under `LOCKSTEP_CONFORMANCE_DIR` when set, otherwise
/// under `shared/conformance` beside the workspace (`../shared/conformance` from the folder
/// holding `Cargo.lock`, whichever package's test is asking). `None` after [`missing`] said
/// why.
pub fn conformance_dir(test: &str, folder: &str) -> Option<PathBuf> {
    let root = std::env::var_os("LOCKSTEP_CONFORMANCE_DIR").map_or_else(
        || {
            let package = Path::new(env!("CARGO_MANIFEST_DIR"));
            let workspace = package
                .ancestors()
                .find(|dir| dir.join("Cargo.lock").is_file())
                .unwrap_or(package);
            workspace.join("../shared/conformance")
        },
        PathBuf::from,
    );
    let dir = root.join(folder);
    if dir.is_dir() {
        return Some(dir);
    }
    missing(
        test,
        &format!(
            "conformance data not found at {} (set LOCKSTEP_CONFORMANCE_DIR)",
            dir.display()
        ),
    );
    None
}

/// Every `.edn` file under `dir`, recursively, sorted.
pub fn edn_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "edn") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// One operation of a history as the brute-force oracles see it: `output` is `None` for an
/// operation whose outcome is unknown (it may or may not have taken effect), and `complete`
/// is `u64::MAX` then.
pub struct OracleOp {
    pub f: String,
    pub input: Value,
    pub output: Option<Value>,
    pub invoke: u64,
    pub complete: u64,
}

/// Pairs invokes and completions the simple way, independently of the checkers' pairing:
/// fails dropped, oks kept with their value, the rest unknown.
pub fn oracle_ops(events: &[Event]) -> Vec<OracleOp> {
    let mut ops = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if e.kind != EventKind::Invoke {
            continue;
        }
        let done = events[i + 1..].iter().find(|c| c.process == e.process);
        let (output, complete) = match done {
            Some(c) if c.kind == EventKind::Fail => continue,
            Some(c) if c.kind == EventKind::Ok => (Some(c.value.clone()), c.index),
            _ => (None, u64::MAX),
        };
        ops.push(OracleOp {
            f: e.f.to_string(),
            input: e.value.clone(),
            output,
            invoke: e.index,
            complete,
        });
    }
    ops
}

/// Whether `ops` (at most 32) are linearizable from `init`, by trying every order that
/// respects real time (operations of unknown outcome optional), remembering the (done set,
/// state) pairs that failed. `apply` is the model: the state after `op`, or `None` when `op`
/// cannot happen in `state`.
pub fn brute_force_linearizable<S: Clone + Eq + std::hash::Hash>(
    ops: &[OracleOp],
    init: S,
    apply: impl Fn(&S, &OracleOp) -> Option<S>,
) -> bool {
    struct Search<'a, S, A> {
        ops: &'a [OracleOp],
        apply: A,
        failed: std::collections::HashSet<(u32, S)>,
    }
    impl<S: Clone + Eq + std::hash::Hash, A: Fn(&S, &OracleOp) -> Option<S>> Search<'_, S, A> {
        fn run(&mut self, done: u32, state: &S) -> bool {
            let ops = self.ops;
            if (0..ops.len()).all(|i| done & (1 << i) != 0 || ops[i].output.is_none()) {
                return true;
            }
            if self.failed.contains(&(done, state.clone())) {
                return false;
            }
            for (i, op) in ops.iter().enumerate() {
                // Every operation that completed before this one began must already be in.
                let ready = done & (1 << i) == 0
                    && ops
                        .iter()
                        .enumerate()
                        .all(|(j, o)| done & (1 << j) != 0 || o.complete >= op.invoke);
                if ready
                    && let Some(next) = (self.apply)(state, op)
                    && self.run(done | 1 << i, &next)
                {
                    return true;
                }
            }
            self.failed.insert((done, state.clone()));
            false
        }
    }
    assert!(ops.len() <= 32, "the oracle's done set is a u32");
    Search {
        ops,
        apply,
        failed: std::collections::HashSet::new(),
    }
    .run(0, &init)
}
