//! `lockstep convert`: a history from one file format to another.

use std::fs::File;
use std::io::{BufWriter, Write};

use lockstep_history::format;

use crate::args::ConvertArgs;
use crate::input;
use crate::outcome::{Outcome, error_line, say};

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
    let events = input::load(&args.input, args.from)?;
    let to = input::format_of(&args.output, args.to)?;
    let out = &args.output;
    if out.is_dir() {
        return Err(format!("{}: is a directory", out.display()));
    }
    let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut writer = BufWriter::new(file);
    format::write(&mut writer, &events, to).map_err(|e| format!("{}: {e}", out.display()))?;
    writer
        .flush()
        .map_err(|e| format!("{}: {e}", out.display()))?;
    Ok(format!(
        "wrote {} events to {} ({to})",
        events.len(),
        out.display()
    ))
}
