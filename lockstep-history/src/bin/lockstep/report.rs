//! `lockstep report`: the HTML report of one history, checked when a model is given (for
//! list-append and rw-register, Elle-style, drawing each anomaly's cycle).

use lockstep_history::Event;
use lockstep_history::checker::txn::{self, Workload};
use lockstep_history::checker::{HistoryError, Verdict};
use lockstep_history::model::Model;
use lockstep_history::report::{Analysis, Report};

use crate::args::{ModelName, ReportArgs};
use crate::check::Check;
use crate::models::{self, WithModel};
use crate::outcome::{Outcome, error_line, say, warning};
use crate::output;

/// Runs `lockstep report`.
pub fn run(args: ReportArgs) -> Outcome {
    let loaded = match crate::input::load(&args.file, args.options.format) {
        Ok(loaded) => loaded,
        Err(message) => {
            error_line(&message);
            return Outcome::BadInput;
        }
    };
    let events = &loaded.events;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| args.file.with_extension("html"));
    let title = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let out = match output::prepare(&output, &[&args.file]) {
        Ok(out) => out,
        Err(message) => {
            error_line(&message);
            return Outcome::BadInput;
        }
    };
    let mut report = Report::new(events)
        .title(title)
        .max_ops((!args.full).then_some(args.max_ops));
    let mut summary = String::from("timeline only (no model given)");
    let transactional = match args.model {
        Some(ModelName::Txn(workload)) => Some(workload),
        _ => None,
    };
    if transactional.is_none()
        && (!args.consistency_models.is_empty() || !args.anomalies.is_empty())
    {
        error_line(
            "--consistency-models and --anomalies apply to --model list-append or rw-register only",
        );
        return Outcome::BadInput;
    }
    if let Some(workload) = transactional {
        match txn_analysis(&args, events, workload) {
            Ok((words, analysis)) => {
                summary = words;
                report = report.with_analysis(analysis);
            }
            Err(message) => {
                error_line(&message);
                return Outcome::BadInput;
            }
        }
    } else if let Some(name) = args.model {
        let label = args.file.display().to_string();
        let check = Check {
            events,
            options: &args.options,
            label: &label,
            witness_states: true,
        };
        let model = models::describe(name, args.options.init.as_deref(), args.options.knossos);
        let checked = ReportCheck { check, model };
        let (verdict, analysis) =
            match models::with(name, args.options.init.as_deref(), events, checked) {
                Ok(Ok(done)) => done,
                Ok(Err(e)) => {
                    error_line(&crate::input::history_error(&args.file, &loaded, &e));
                    return Outcome::BadInput;
                }
                Err(message) => {
                    error_line(&message);
                    return Outcome::BadInput;
                }
            };
        summary = match &verdict {
            Verdict::Linearizable(_) => "linearizable".to_owned(),
            Verdict::NotLinearizable(_) => "not linearizable".to_owned(),
            Verdict::Unknown(u) => u.to_string(),
        };
        report = report.with_analysis(analysis);
    }
    if let Some(omitted) = report.omitted() {
        warning(&format!(
            "{}: {omitted}; --full draws everything",
            args.file.display()
        ));
    }
    let html = report.render();
    if let Err(message) = out.write(|w| w.write_all(html.as_bytes()).map_err(|e| e.to_string())) {
        error_line(&message);
        return Outcome::BadInput;
    }
    say(&format!("wrote {} ({summary})", output.display()));
    Outcome::Ok
}

/// Checks a history of transactions as `lockstep check` does and returns the one-line
/// summary with the neutral analysis the page draws (each anomaly's transactions and cycle).
///
/// # Errors
/// One line for an option that does not apply or a history that cannot be read as
/// transactions (naming the event).
fn txn_analysis(
    args: &ReportArgs,
    events: &[Event],
    workload: Workload,
) -> Result<(String, Analysis), String> {
    let options = crate::txn_check::options(
        &args.options,
        &args.consistency_models,
        &args.anomalies,
        workload,
    )?;
    let checked =
        txn::check(events, &options).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let analysis = Analysis::from_txn(events, &checked);
    let summary = if checked.is_invalid() {
        format!("{}: {}", analysis.verdict_words(), checked.summary())
    } else {
        checked.summary()
    };
    Ok((summary, analysis))
}

/// A check whose verdict becomes the report's analysis; the verdict carries the model's
/// states along a linearizable history's witness.
struct ReportCheck<'a> {
    check: Check<'a>,
    model: String,
}

impl WithModel for ReportCheck<'_> {
    type Out = Result<(Verdict, Analysis), HistoryError>;

    fn with<M: Model>(self, model: &M) -> Self::Out {
        let events = self.check.events;
        let (verdict, _) = self.check.with(model);
        let verdict = verdict?;
        let analysis = Analysis::from_verdict(events, &verdict, self.model);
        Ok((verdict, analysis))
    }
}
