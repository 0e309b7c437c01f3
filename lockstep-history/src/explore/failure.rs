//! The failing iteration: what went wrong, the schedule, how to replay it, and its report.

use std::fmt;
use std::path::{Path, PathBuf};

use super::strategy::Strategy;
use crate::event::Event;
use crate::report::{Analysis, Report};

/// Why an iteration failed.
#[derive(Clone, Debug)]
pub enum Cause {
    /// The oracle rejected the history; the counterexample as text.
    Invalid(String),
    /// The body (or a task it spawned) panicked, or shuttle found a deadlock; the message.
    Panicked(String),
}

impl Cause {
    /// Whether both are rejected histories, or both panics: shrinking keeps a smaller
    /// scenario only when it fails the way the original did.
    pub fn same_kind(&self, other: &Cause) -> bool {
        matches!(
            (self, other),
            (Cause::Invalid(_), Cause::Invalid(_)) | (Cause::Panicked(_), Cause::Panicked(_))
        )
    }
}

/// The first failing iteration of a run: enough to understand it and to replay it exactly.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Which iteration failed, counting from 1.
    pub iteration: usize,
    /// The strategy the run used.
    pub strategy: Strategy,
    /// The failing schedule, as [`Explorer::replay`](super::Explorer::replay) reads it.
    pub schedule: String,
    /// The history the failing iteration recorded (up to the panic, if it panicked).
    pub events: Vec<Event>,
    /// What went wrong.
    pub cause: Cause,
    /// The HTML report of the failing iteration, if it could be written.
    pub report: Option<PathBuf>,
}

impl Failure {
    /// The one-line call that replays this failure: an explorer that runs exactly this
    /// schedule, once, in place of the one that found it.
    pub fn replay_call(&self) -> String {
        format!(
            "lockstep_history::explore::Explorer::replay({:?})",
            self.schedule
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Cause::Invalid(explanation) => writeln!(
                f,
                "iteration {} ({}) recorded a history that fails the check:\n{explanation}",
                self.iteration, self.strategy
            )?,
            Cause::Panicked(message) => writeln!(
                f,
                "iteration {} ({}) panicked: {message}",
                self.iteration, self.strategy
            )?,
        }
        writeln!(f, "schedule: {:?}", self.schedule)?;
        write!(f, "replay it: {}", self.replay_call())?;
        if let Some(path) = &self.report {
            write!(f, "\nreport: {}", path.display())?;
        }
        Ok(())
    }
}

/// Writes the failing iteration's report as `target/lockstep/<name>.html` (under
/// `CARGO_TARGET_DIR` when set) and returns its path, or `None` when it cannot be written.
pub(crate) fn write_report(name: &str, events: &[Event], analysis: Analysis) -> Option<PathBuf> {
    let dir = target_dir().join("lockstep");
    std::fs::create_dir_all(&dir).ok()?;
    let file: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{file}.html"));
    Report::new(events)
        .title(name.to_string())
        .with_analysis(analysis)
        .write_to(&path)
        .ok()?;
    Some(path)
}

/// The cargo target directory: `CARGO_TARGET_DIR`, else the `target` folder beside the
/// nearest `Cargo.lock` above the working directory, else `./target`.
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    here.ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .map_or_else(
            || Path::new("target").to_path_buf(),
            |dir| dir.join("target"),
        )
}
