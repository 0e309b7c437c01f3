//! Exit codes, and the one-line messages that go with them.

use std::io::Write;
use std::path::{Path, PathBuf};

/// What happened to one file, ordered so that the worst one decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Linearizable (or, for report and convert, done): exit 0.
    Ok,
    /// A limit stopped the check: exit 2.
    Unknown,
    /// Not linearizable: exit 1.
    NotLinearizable,
    /// A file or an option could not be used: exit 3.
    BadInput,
}

impl Outcome {
    /// The process exit code (DESIGN §8).
    pub fn code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::NotLinearizable => 1,
            Outcome::Unknown => 2,
            Outcome::BadInput => 3,
        }
    }
}

/// Prints `lockstep: <message>` on stderr as a single line.
pub fn error_line(message: &str) {
    let one_line = message.replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr(), "lockstep: {}", one_line.trim_end());
}

/// Prints `warning: <message>` on stderr as a single line: something was left out, and the
/// command went on without it.
pub fn warning(message: &str) {
    let one_line = message.replace(['\n', '\r'], " ");
    let _ = writeln!(std::io::stderr(), "warning: {}", one_line.trim_end());
}

/// Prints to stdout, ignoring a closed pipe (`lockstep check … | head`).
pub fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// Runs `check` on each file, then prints the summary line (how many files had each
/// outcome, the first three named by `names`: valid, invalid, unknown) and returns the worst
/// outcome, which decides the exit code.
pub fn check_each(
    files: &[PathBuf],
    [ok_name, invalid_name, unknown_name]: [&str; 3],
    mut check: impl FnMut(&Path) -> Outcome,
) -> Outcome {
    let mut tally = [0usize; 4];
    let mut worst = Outcome::Ok;
    for file in files {
        let outcome = check(file);
        tally[outcome.code() as usize] += 1;
        worst = worst.max(outcome);
    }
    let [ok, invalid, unknown, bad] = tally;
    let plural = if files.len() == 1 { "" } else { "s" };
    say(&format!(
        "{} file{plural}: {ok} {ok_name}, {invalid} {invalid_name}, {unknown} {unknown_name}, {bad} bad input",
        files.len()
    ));
    worst
}
