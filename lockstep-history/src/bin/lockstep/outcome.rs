//! Exit codes, and the one-line messages that go with them.

use std::io::Write;

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
