//! What the integration tests share: finding what lives outside the crate (the conformance
//! data, a Redis server, Chromium), and the one rule for when it is missing.

#![allow(dead_code)] // each test file uses some of these

use std::io::Write;
use std::path::{Path, PathBuf};

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

/// The Knossos folder of the conformance data (`../shared/conformance/knossos`, or under
/// `LOCKSTEP_CONFORMANCE_DIR`), or `None` after [`missing`] said why.
pub fn knossos_dir(test: &str) -> Option<PathBuf> {
    conformance_dir(test, "knossos")
}

/// The Elle folder of the conformance data, as [`knossos_dir`] finds the Knossos one.
pub fn elle_dir(test: &str) -> Option<PathBuf> {
    conformance_dir(test, "elle")
}

fn conformance_dir(test: &str, folder: &str) -> Option<PathBuf> {
    let root = std::env::var_os("LOCKSTEP_CONFORMANCE_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
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
