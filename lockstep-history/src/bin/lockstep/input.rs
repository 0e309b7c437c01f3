//! Reading history files, with errors that name the file and the position.

use std::path::Path;

use lockstep_history::ValidationError;
use lockstep_history::checker::HistoryError;
use lockstep_history::format::{self, Format, Loaded, TornTail, excerpt};

use crate::outcome::warning;

/// Reads the history in `path`, as `format` or as its extension says.
///
/// A JSON Lines file whose last line was cut short (by a crash, mid-write) reads without
/// it, and one warning line on stderr says so.
///
/// # Errors
/// One line naming the file (and line and column for malformed content): a missing file, a
/// directory, an unknown extension, a malformed file or an empty history.
pub fn load(path: &Path, format: Option<Format>) -> Result<Loaded, String> {
    check_path(path)?;
    let format = format_of(path, format)?;
    let loaded = format::load_file_as(path, format).map_err(|e| {
        let e = if e.path().is_none() {
            e.with_path(path)
        } else {
            e
        };
        e.to_string()
    })?;
    check_read(path, loaded.torn_tail.as_ref(), loaded.events.len())?;
    Ok(loaded)
}

/// Checks that `path` is a file before reading it.
///
/// # Errors
/// One line naming the file: a missing file or a directory.
pub fn check_path(path: &Path) -> Result<(), String> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("{shown}: no such file"));
        }
        Err(e) => return Err(format!("{shown}: {e}")),
        Ok(meta) if meta.is_dir() => {
            return Err(format!("{shown}: is a directory, not a history file"));
        }
        Ok(_) => {}
    }
    Ok(())
}

/// After reading `events` events from `path`: one warning line on stderr for a torn last
/// line that was left out.
///
/// # Errors
/// One line naming the file when no event was read.
pub fn check_read(path: &Path, torn_tail: Option<&TornTail>, events: usize) -> Result<(), String> {
    let shown = path.display();
    if let Some(torn) = torn_tail {
        if events == 0 {
            return Err(format!(
                "{shown}:{}: no events: the only line is torn (cut short after {} bytes: {})",
                torn.line, torn.bytes, torn.message
            ));
        }
        warning(&format!(
            "{shown}:{}: torn last line left out ({} bytes: {})",
            torn.line, torn.bytes, torn.message
        ));
    }
    if events == 0 {
        return Err(format!("{shown}: empty history (no events)"));
    }
    Ok(())
}

/// A problem the checker found in a history read from `path`, as one line that names the
/// file and the line of the event it is about: `history.edn:3: event 1: …`, quoting at most
/// an excerpt of each value or name it echoes.
pub fn history_error(path: &Path, loaded: &Loaded, e: &HistoryError) -> String {
    let index = match e {
        HistoryError::BadOp { index, .. } => Some(*index),
        HistoryError::IllFormed(v) => match v {
            ValidationError::IndexOutOfOrder { position, .. } => Some(*position as u64),
            ValidationError::CompletionWithoutInvoke { index, .. }
            | ValidationError::InvokeWhilePending { index, .. }
            | ValidationError::MismatchedCompletion { index, .. }
            | ValidationError::InvokeAfterInfo { index, .. } => Some(*index),
            ValidationError::LostCalls { .. } => None,
        },
    };
    // The message quotes the op's name and values as recorded: cut them short.
    let message = e.to_string();
    let message = excerpt::shorten(&message);
    match index.and_then(|i| loaded.line_of(i)) {
        Some(line) => format!("{}:{line}: {message}", path.display()),
        None => format!("{}: {message}", path.display()),
    }
}

/// The format to use for `path`: the one given, else the one its extension names.
pub fn format_of(path: &Path, given: Option<Format>) -> Result<Format, String> {
    given.or_else(|| Format::from_path(path)).ok_or_else(|| {
        format!(
            "{}: unknown file type (name it .json, .jsonl or .edn, or pass --format)",
            path.display()
        )
    })
}
