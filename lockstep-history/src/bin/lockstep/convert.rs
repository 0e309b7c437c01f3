//! `lockstep convert`: a history from one file format to another.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use lockstep_history::Event;
use lockstep_history::format::{self, Format};

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
    let events = input::load(&args.input, args.from)?.events;
    let to = input::format_of(&args.output, args.to)?;
    let out = &args.output;
    if out.is_dir() {
        return Err(format!("{}: is a directory", out.display()));
    }
    write_whole(out, &events, to)?;
    Ok(format!(
        "wrote {} events to {} ({to})",
        events.len(),
        out.display()
    ))
}

/// Writes `events` to `out` all or nothing: into a new file beside it, renamed over `out`
/// once complete, so a failed conversion leaves `out` as it was (and `out` may be the input).
fn write_whole(out: &Path, events: &[Event], to: Format) -> Result<(), String> {
    let shown = out.display();
    let (temp, file) = create_beside(out).map_err(|e| format!("{shown}: {e}"))?;
    let written =
        write_to(file, events, to).and_then(|()| fs::rename(&temp, out).map_err(|e| e.to_string()));
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map_err(|e| format!("{shown}: {e}"))
}

/// Writes and syncs the whole history to `file`.
fn write_to(file: File, events: &[Event], to: Format) -> Result<(), String> {
    let mut writer = BufWriter::new(file);
    format::write(&mut writer, events, to).map_err(|e| e.to_string())?;
    writer
        .into_inner()
        .map_err(|e| e.into_error().to_string())?
        .sync_all()
        .map_err(|e| e.to_string())
}

/// Creates a new hidden file in `out`'s folder, named after it.
fn create_beside(out: &Path) -> io::Result<(PathBuf, File)> {
    let name = out
        .file_name()
        .ok_or_else(|| io::Error::other("not a file name"))?
        .to_string_lossy();
    let folder = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut attempt = 0u32;
    loop {
        let temp = folder.join(format!(".{name}.{}-{attempt}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}
