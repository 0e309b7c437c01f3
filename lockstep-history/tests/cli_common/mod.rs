//! Helpers shared by the `cli_*` tests: run the built `lockstep` binary on scratch files.
//! The seeded generator, the event builder and the conformance lookup are the file both
//! test packages compile (`tests/helpers/mod.rs`).
// Each test binary uses only some of these.
#![allow(dead_code)]

#[path = "../helpers/mod.rs"]
mod helpers;

#[allow(unused_imports)] // a test that runs only the command uses none of them
pub use helpers::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What one run of `lockstep` did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `lockstep` with these arguments (backtraces on, to prove none is printed).
pub fn lockstep<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .env_remove("CI_NO_SUCH_VAR")
        .output()
        .expect("run lockstep");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "cli-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Asserts a bad-input run: exit 3, exactly one line on stderr containing every `needle`,
/// and no sign of a panic or a backtrace.
pub fn assert_bad_input(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 3, "exit code; stderr: {}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got:\n{}", run.stderr);
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "stderr should mention {needle:?}: {}",
            lines[0]
        );
    }
    for sign in ["panicked", "backtrace", "RUST_BACKTRACE", "internal error"] {
        assert!(
            !run.stderr.contains(sign),
            "{sign} in stderr: {}",
            run.stderr
        );
    }
}

/// A register history in JSON: a write of 1 then a read that saw `read`.
pub fn register_json(read: &str) -> String {
    format!(
        r#"[
  {{"index":0,"time":0,"type":"invoke","process":0,"f":"write","value":1}},
  {{"index":1,"time":10,"type":"ok","process":0,"f":"write","value":1}},
  {{"index":2,"time":20,"type":"invoke","process":1,"f":"read","value":null}},
  {{"index":3,"time":30,"type":"ok","process":1,"f":"read","value":{read}}}
]"#
    )
}

/// A register history the checker cannot settle quickly (minutes, not seconds): many
/// concurrent writes and reads that each saw one of them, so a great many orders stay open,
/// and a last read nobody's write explains.
pub fn slow_history(dir: &Path) -> PathBuf {
    let n = 18;
    let mut text = String::from("[");
    for p in 0..n {
        text.push_str(&format!(
            "{{:type :invoke, :f :write, :process {p}, :value {p}}}\n"
        ));
        text.push_str(&format!(
            "{{:type :invoke, :f :read, :process {}, :value nil}}\n",
            p + n
        ));
    }
    for p in 0..n {
        text.push_str(&format!(
            "{{:type :ok, :f :write, :process {p}, :value {p}}}\n"
        ));
        text.push_str(&format!(
            "{{:type :ok, :f :read, :process {}, :value {}}}\n",
            p + n,
            (p * 7) % n
        ));
    }
    // A final read nobody's write explains keeps the search going through every order.
    text.push_str(&format!(
        "{{:type :invoke, :f :read, :process {}, :value nil}}\n",
        2 * n
    ));
    text.push_str(&format!(
        "{{:type :ok, :f :read, :process {}, :value 999}}]\n",
        2 * n
    ));
    write(dir, "slow.edn", &text)
}
