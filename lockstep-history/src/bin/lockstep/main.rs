//! `lockstep`: check Jepsen-style histories for linearizability, draw them as HTML reports,
//! and convert them between JSON, JSON Lines and EDN. Run `lockstep --help`.
//!
//! The command sits on top of the library (formats, checker, models, report); nothing
//! imports it. Every failure the user can cause ends as one line on stderr and exit code 3.

mod args;
mod check;
mod convert;
mod input;
mod models;
mod outcome;
mod progress;
mod report;
mod txn_check;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::outcome::Outcome;

fn main() -> ExitCode {
    // A bug must still end as one line, never a backtrace the user has to read.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "lockstep: internal error (please report it): {message}{at}"
        );
    }));

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    let outcome = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Report(a) => report::run(a),
        Command::Convert(a) => convert::run(a),
    };
    ExitCode::from(outcome.code())
}

/// `--help` and `--version` print as clap renders them; any other clap error becomes one
/// line and exit code 3.
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = err.print();
            ExitCode::from(Outcome::BadInput.code())
        }
        _ => {
            let rendered = err.render().to_string();
            let line = rendered
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ");
            let line = line.strip_prefix("error: ").unwrap_or(&line);
            outcome::error_line(&format!("{line} (see lockstep --help)"));
            ExitCode::from(Outcome::BadInput.code())
        }
    }
}
