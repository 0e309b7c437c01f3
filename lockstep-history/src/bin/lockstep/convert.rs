//! `lockstep convert`: a history from one file format to another.

use lockstep_history::format;

use crate::args::ConvertArgs;
use crate::input;
use crate::outcome::{Outcome, error_line, say};
use crate::output;

/// Runs `lockstep convert`.
pub fn run(args: ConvertArgs) -> Outcome {
    match convert(&args) {
        Ok(message) => {
            say(&message);
            Outcome::Ok
        }
        Err(message) => {
            error_line(&message);
            Outcome::BadInput
        }
    }
}

fn convert(args: &ConvertArgs) -> Result<String, String> {
    let events = input::load(&args.input, args.from)?.events;
    let to = input::format_of(&args.output, args.to)?;
    let out = &args.output;
    // Converting a file in place is allowed: the history is all in memory by now, and the
    // new form replaces the old only once it is whole.
    output::prepare(out, &[])?
        .write(|w| format::write(w, &events, to).map_err(|e| e.to_string()))?;
    Ok(format!(
        "wrote {} events to {} ({to})",
        events.len(),
        out.display()
    ))
}
