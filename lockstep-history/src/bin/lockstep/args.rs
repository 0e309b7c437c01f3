//! The command line: subcommands, their options, and parsers for limits.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use lockstep_history::checker::txn::Workload;
use lockstep_history::format::Format;
use lockstep_history::model::{BUILTINS, Builtin};

/// Check Jepsen-style histories for linearizability, draw them, convert them.
#[derive(Debug, Parser)]
#[command(
    name = "lockstep",
    version,
    about = "Check Jepsen-style histories for linearizability, draw them as HTML, convert them",
    after_help = "Examples:\n  \
        lockstep check --model cas-register --init 0 --knossos history.edn\n  \
        lockstep report history.edn --model cas-register --init 0 -o report.html\n  \
        lockstep convert history.edn history.jsonl\n\n\
        Exit codes: 0 linearizable, 1 not linearizable, 2 unknown (a limit was reached), \
        3 bad input."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check history files for linearizability against a model.
    #[command(after_help = "Examples:\n  \
        lockstep check --model cas-register --init 0 --knossos --time-limit 10s runs/*.edn\n  \
        lockstep check --model multi-register --init '{:x 0, :y 0}' txn.edn\n  \
        lockstep check --model kv --init '\"\"' --memory-limit 4G history.jsonl\n\n\
        Prints one line per file and a summary. Exit code: 0 when every file is \
        linearizable, 1 when one is not, 2 when one could not be decided within the limits, \
        3 when a file or an option is bad (this wins over the others).")]
    Check(CheckArgs),
    /// Write a history as a self-contained HTML report (checked when a model is given).
    #[command(after_help = "Examples:\n  \
        lockstep report history.edn --model cas-register --init 0 -o report.html\n  \
        lockstep report history.jsonl            # timeline only, writes history.html\n\n\
        The report is one HTML file with no network access: a lane per process, each \
        operation a bar, and with a model the counterexample drawn. Exit code: 0 when the \
        report was written, 3 on bad input.")]
    Report(ReportArgs),
    /// Convert a history between JSON, JSON Lines and EDN (chosen by file extension).
    #[command(after_help = "Examples:\n  \
        lockstep convert history.edn history.json\n  \
        lockstep convert --from edn --to jsonl dump.txt history.jsonl")]
    Convert(ConvertArgs),
}

/// What `--model` chose: a built-in model, or a transactional workload checked Elle-style.
/// The names and their descriptions come from the library ([`BUILTINS`], [`Workload::ALL`]).
#[derive(Clone, Copy, Debug)]
pub enum ModelName {
    /// A built-in model, checked for linearizability.
    Builtin(&'static Builtin),
    /// `list-append` or `rw-register`, checked for isolation anomalies.
    Txn(Workload),
}

impl ModelName {
    /// The name it goes by on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ModelName::Builtin(b) => b.name,
            ModelName::Txn(w) => w.name(),
        }
    }

    /// Every choice, in the order `--help` lists them.
    fn all() -> impl Iterator<Item = ModelName> {
        let models = BUILTINS.iter().map(ModelName::Builtin);
        models.chain(Workload::ALL.into_iter().map(ModelName::Txn))
    }

    fn description(self) -> &'static str {
        match self {
            ModelName::Builtin(b) => b.description,
            ModelName::Txn(w) => w.description(),
        }
    }
}

/// `--model`'s parser: the names clap offers, checks and lists in `--help` (with their
/// descriptions) are the library's.
fn model_name() -> impl TypedValueParser<Value = ModelName> {
    let names = ModelName::all().map(|m| PossibleValue::new(m.name()).help(m.description()));
    PossibleValuesParser::new(names).try_map(|chosen| {
        ModelName::all()
            .find(|m| m.name() == chosen)
            .ok_or_else(|| format!("no model named `{chosen}`"))
    })
}

/// How to check: the model, its initial value and the limits.
#[derive(Debug, Args)]
pub struct CheckOptions {
    /// Initial value, as EDN or JSON: `0`, `nil`, `'{:x 0, :y 0}'`, `'{"x": 0}'`.
    /// Without it each model starts empty (nil register, free mutex, empty set).
    #[arg(long, value_name = "VALUE", allow_hyphen_values = true)]
    pub init: Option<String>,
    /// Knossos compatibility: a read of nil matches any state, as in Knossos's registers.
    #[arg(long)]
    pub knossos: bool,
    /// Give up (verdict unknown, exit 2) after this long: `500ms`, `10s`, `2m`, `1h`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub time_limit: Option<Duration>,
    /// Give up (verdict unknown, exit 2) before the process's resident memory passes this:
    /// `512M`, `4G`. Default: half of the machine's available memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    /// Use the general search even for fifo-queue, stack and set, whose histories are
    /// otherwise checked in polynomial time (for comparison).
    #[arg(long)]
    pub general_search: bool,
    /// Read files in this format instead of guessing from the extension.
    #[arg(long, value_name = "json|jsonl|edn")]
    pub format: Option<Format>,
}

/// `lockstep check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The model the histories must be linearizable against (or, for list-append and
    /// rw-register, the transactional workload).
    #[arg(long, short, value_name = "NAME", value_parser = model_name())]
    pub model: ModelName,
    /// Options of the check.
    #[command(flatten)]
    pub options: CheckOptions,
    /// list-append / rw-register: the consistency models the histories must satisfy
    /// (default: strict-serializable).
    #[arg(long, value_delimiter = ',', value_name = "MODEL,...")]
    pub consistency_models: Vec<String>,
    /// list-append / rw-register: anomalies that also make a history invalid (G2-item, ...).
    #[arg(long, value_delimiter = ',', value_name = "ANOMALY,...")]
    pub anomalies: Vec<String>,
    /// History files: .json, .jsonl or .edn.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `lockstep report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The history file: .json, .jsonl or .edn.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Check against this model and draw the result; without it, the timeline alone.
    #[arg(long, short, value_name = "NAME", value_parser = model_name())]
    pub model: Option<ModelName>,
    /// Options of the check.
    #[command(flatten)]
    pub options: CheckOptions,
    /// list-append / rw-register: the consistency models the history must satisfy
    /// (default: strict-serializable).
    #[arg(long, value_delimiter = ',', value_name = "MODEL,...")]
    pub consistency_models: Vec<String>,
    /// list-append / rw-register: anomalies that also make the history invalid (G2-item, ...).
    #[arg(long, value_delimiter = ',', value_name = "ANOMALY,...")]
    pub anomalies: Vec<String>,
    /// Where to write the HTML (default: FILE with the extension .html).
    #[arg(long, short, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Draw every operation, however large the page (by default a history of more than
    /// --max-ops operations keeps the counterexample's neighbourhood and a summary).
    #[arg(long)]
    pub full: bool,
    /// The most operations a page draws before it summarizes the rest.
    #[arg(long, value_name = "N", default_value_t = lockstep_history::report::DEFAULT_MAX_OPS)]
    pub max_ops: usize,
}

/// `lockstep convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The history to read.
    #[arg(value_name = "IN")]
    pub input: PathBuf,
    /// The file to write.
    #[arg(value_name = "OUT")]
    pub output: PathBuf,
    /// Read IN in this format instead of guessing from its extension.
    #[arg(long, value_name = "json|jsonl|edn")]
    pub from: Option<Format>,
    /// Write OUT in this format instead of guessing from its extension.
    #[arg(long, value_name = "json|jsonl|edn")]
    pub to: Option<Format>,
}

/// Splits `1.5ms` into `1.5` and `ms`; `what` names the expected kind of value in the error.
fn number_and_unit<'a>(text: &'a str, what: &str) -> Result<(f64, &'a str), String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n = number
        .parse()
        .map_err(|_| format!("`{text}` is not {what}"))?;
    Ok((n, unit.trim()))
}

/// Parses `500ms`, `10s`, `2m`, `1h`, `1.5s`, or plain seconds (`30`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let (n, unit) = number_and_unit(text, "a duration (try 500ms, 10s, 2m or 1h)")?;
    let scale = match unit {
        "" | "s" | "sec" | "secs" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "ns" => 1e-9,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" | "hrs" => 3600.0,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(n * scale).map_err(|_| format!("`{text}` is out of range"))
}

/// Parses a size in bytes: `1048576`, `512K`, `512M`, `4G`, `1T` (binary units; `MB`,
/// `MiB` and lower case are accepted too).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let (n, unit) = number_and_unit(text, "a size (try 512M or 4G)")?;
    let unit = unit.to_ascii_lowercase();
    let unit = unit.trim_end_matches("ib").trim_end_matches('b');
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return Err(format!("`{text}`: unknown unit (use K, M, G or T)")),
    };
    let bytes = n * (1u64 << shift) as f64;
    if !(bytes.is_finite() && bytes >= 1.0 && bytes <= usize::MAX as f64) {
        return Err(format!("`{text}` is out of range"));
    }
    Ok(bytes as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1e400h").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("2mb"), Ok(2 << 20));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3X").is_err());
    }

    #[test]
    fn command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
