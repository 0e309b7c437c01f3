//! `lockstep check --model list-append|rw-register`: one line per file (valid, the anomaly
//! names, or unknown), then the explanations.

use lockstep_history::checker::txn::{Options, ReadError, Transactions, Workload};

use crate::args::{CheckArgs, CheckOptions};
use crate::outcome::{Outcome, check_each, error_line, say};

/// Checks every file; the worst outcome decides the exit code.
pub fn run(args: &CheckArgs, workload: Workload) -> Outcome {
    let options = match options(
        &args.options,
        &args.consistency_models,
        &args.anomalies,
        workload,
    ) {
        Ok(o) => o,
        Err(message) => {
            error_line(&message);
            return Outcome::BadInput;
        }
    };
    check_each(
        &args.files,
        ["valid", "with anomalies", "unknown"],
        |file| check_file(file, args, &options),
    )
}

/// The checker's options for the command-line ones (shared by `check` and `report`).
///
/// # Errors
/// One line when an option does not apply to transactions or names an unknown consistency
/// model or anomaly.
pub fn options(
    check: &CheckOptions,
    consistency_models: &[String],
    anomalies: &[String],
    workload: Workload,
) -> Result<Options, String> {
    if check.init.is_some() || check.knossos || check.memory_limit.is_some() {
        return Err(format!(
            "--init, --knossos and --memory-limit do not apply to --model {}",
            workload.name()
        ));
    }
    let mut options = Options {
        workload,
        time_limit: check.time_limit,
        ..Options::default()
    };
    if !consistency_models.is_empty() {
        options.consistency_models = consistency_models
            .iter()
            .map(|m| m.parse().map_err(|e| format!("--consistency-models: {e}")))
            .collect::<Result<_, _>>()?;
    }
    options.anomalies = anomalies
        .iter()
        .map(|a| a.parse().map_err(|e| format!("--anomalies: {e}")))
        .collect::<Result<_, _>>()?;
    Ok(options)
}

fn check_file(file: &std::path::Path, args: &CheckArgs, options: &Options) -> Outcome {
    let shown = file.display();
    // Straight from the file to the checker's compact form: the events are never held.
    let read = crate::input::check_path(file)
        .and_then(|()| crate::input::format_of(file, args.options.format))
        .and_then(|format| {
            Transactions::read_file_as(file, format, options.workload).map_err(|e| match e {
                ReadError::Format(e) => e.to_string(),
                ReadError::Transactions { error, .. } => format!("{shown}: {error}"),
            })
        })
        .and_then(|txns| {
            let events = usize::try_from(txns.events()).unwrap_or(usize::MAX);
            crate::input::check_read(file, txns.torn_tail(), events).map(|()| txns)
        });
    let txns = match read {
        Ok(txns) => txns,
        Err(message) => {
            error_line(&message);
            return Outcome::BadInput;
        }
    };
    let analysis = match txns.check(options) {
        Ok(a) => a,
        Err(e) => {
            error_line(&format!("{shown}: {e}"));
            return Outcome::BadInput;
        }
    };
    let n = analysis.transactions;
    if analysis.is_valid() {
        say(&format!(
            "{shown}: {} ({n} transactions)",
            analysis.summary()
        ));
        Outcome::Ok
    } else if analysis.is_unknown() {
        say(&format!("{shown}: unknown ({n} transactions)"));
        say(&indent(&analysis.to_string()));
        Outcome::Unknown
    } else {
        say(&format!(
            "{shown}: {} ({n} transactions)",
            analysis.anomaly_names().join(", ")
        ));
        say(&indent(&analysis.to_string()));
        Outcome::NotLinearizable
    }
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
