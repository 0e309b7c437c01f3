//! `lockstep report`: the HTML report of one history, checked when a model is given.

use lockstep_history::checker::Verdict;
use lockstep_history::report::{Analysis, Report};

use crate::args::ReportArgs;
use crate::check::Check;
use crate::models;
use crate::outcome::{Outcome, error_line, say};

/// Runs `lockstep report`.
pub fn run(args: ReportArgs) -> Outcome {
    let events = match crate::input::load(&args.file, args.options.format) {
        Ok(events) => events,
        Err(message) => {
            error_line(&message);
            return Outcome::BadInput;
        }
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| args.file.with_extension("html"));
    let title = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file.display().to_string());
    let mut report = Report::new(&events).title(title);
    let mut summary = String::from("timeline only (no model given)");
    if let Some(name) = args.model {
        let label = args.file.display().to_string();
        let check = Check {
            events: &events,
            options: &args.options,
            label: &label,
        };
        let verdict = match models::with(name, args.options.init.as_deref(), &events, check) {
            Ok((Ok(verdict), _)) => verdict,
            Ok((Err(e), _)) => {
                error_line(&format!("{}: {e}", args.file.display()));
                return Outcome::BadInput;
            }
            Err(message) => {
                error_line(&message);
                return Outcome::BadInput;
            }
        };
        let model = models::describe(name, args.options.init.as_deref(), args.options.knossos);
        summary = match &verdict {
            Verdict::Linearizable(_) => "linearizable".to_owned(),
            Verdict::NotLinearizable(_) => "not linearizable".to_owned(),
            Verdict::Unknown(u) => u.to_string(),
        };
        report = report.with_analysis(Analysis::from_verdict(&events, &verdict, model));
    }
    if output.is_dir() {
        error_line(&format!("{}: is a directory", output.display()));
        return Outcome::BadInput;
    }
    if let Err(e) = report.write_to(&output) {
        error_line(&format!("{}: {e}", output.display()));
        return Outcome::BadInput;
    }
    say(&format!("wrote {} ({summary})", output.display()));
    Outcome::Ok
}
