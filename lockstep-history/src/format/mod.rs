//! History files: JSON, JSON Lines and Jepsen EDN.
//!
//! A history leaves the process it was recorded in as a file, to be kept beside a failing
//! CI run, checked later, or handed to Jepsen's own tools (Knossos, jepsen.history, Elle).
//!
//! | format | extension | shape |
//! |--------|-----------|-------|
//! | [`Format::Json`]  | `.json`  | one array of events in the form of [`Event`]'s serde impl |
//! | [`Format::Jsonl`] | `.jsonl` | one such event object per line; written as events happen by [`jsonl::JsonlSink`] |
//! | [`Format::Edn`]   | `.edn`   | Jepsen op maps: a vector of them, or a stream of them |
//!
//! In every format an event's `error` of nil reads as no error (`None`), as it means in
//! Clojure and as `"error": null` means in [`Event`]'s JSON form.
//!
//! The format is chosen by the file's extension ([`read_file`], [`write_file`]) or named
//! explicitly ([`read_file_as`], [`parse`], [`write()`]). Malformed input is an error that
//! says where (`history.edn:12:5: expected an op map`), never a panic.
//!
//! ```
//! use lockstep_history::format::{self, Format};
//! use lockstep_history::History;
//!
//! let h = History::new();
//! h.op("write", 3, || ());
//! let events = h.events();
//!
//! let mut edn = Vec::new();
//! format::write(&mut edn, &events, Format::Edn).unwrap();
//! assert!(String::from_utf8_lossy(&edn).contains(":type :invoke, :process 0, :f :write, :value 3"));
//! assert_eq!(format::parse(&edn, Format::Edn).unwrap(), events);
//! ```

pub mod edn;
pub mod excerpt;
pub mod json;
pub mod jsonl;

use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::event::Event;

pub use jsonl::{Durability, JsonlSink, TornTail};

/// A history file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// A JSON array of events (`.json`).
    Json,
    /// JSON Lines: one event object per line (`.jsonl`).
    Jsonl,
    /// Jepsen EDN: op maps in a vector or as a stream (`.edn`).
    Edn,
}

impl Format {
    /// The format a file's extension names (`.json`, `.jsonl`, `.edn`, any case), if any.
    ///
    /// ```
    /// use lockstep_history::format::Format;
    /// use std::path::Path;
    ///
    /// assert_eq!(Format::from_path(Path::new("run/history.EDN")), Some(Format::Edn));
    /// assert_eq!(Format::from_path(Path::new("history.txt")), None);
    /// ```
    pub fn from_path(path: &Path) -> Option<Format> {
        path.extension()?.to_str()?.parse().ok()
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Edn => "edn",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Parses a format name: `json`, `jsonl` (or `ndjson`) or `edn`, in any case, with or
/// without a leading dot.
impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        let name = s.strip_prefix('.').unwrap_or(s);
        if name.eq_ignore_ascii_case("json") {
            Ok(Format::Json)
        } else if name.eq_ignore_ascii_case("jsonl") || name.eq_ignore_ascii_case("ndjson") {
            Ok(Format::Jsonl)
        } else if name.eq_ignore_ascii_case("edn") {
            Ok(Format::Edn)
        } else {
            Err(UnknownFormat(s.to_string()))
        }
    }
}

/// A format name that is not `json`, `jsonl` or `edn`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown history format `{0}` (expected json, jsonl or edn)")]
pub struct UnknownFormat(pub String);

/// Why a history file could not be read or written.
///
/// Errors in the input say where: the file (when known), the line and column (1-based,
/// the column counted in bytes) and, where the problem belongs to one event, that event's
/// index. They display as `history.edn:12:5: expected an op map`. They quote at most
/// [`excerpt::EXCERPT_CHARS`] characters of the input they are about.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The file could not be opened, read or written.
    #[error("{}{source}", FileLabel(path.as_deref()))]
    Io {
        /// The file, when known.
        path: Option<PathBuf>,
        /// What the operating system said.
        source: io::Error,
    },
    /// The input is not a well-formed history in its format.
    #[error("{}{line}:{column}: {message}{}", PathPrefix(path.as_deref()), EventSuffix(*event))]
    Syntax {
        /// The file, when known.
        path: Option<PathBuf>,
        /// 1-based line of the problem.
        line: u64,
        /// 1-based column of the problem, in bytes from the start of the line.
        column: u64,
        /// The index the offending event would have had, when the problem is inside one.
        event: Option<u64>,
        /// What is wrong.
        message: String,
    },
    /// The file's extension does not name a format; use [`read_file_as`] to name one.
    #[error(
        "{}: cannot tell the history format from the extension (use .json, .jsonl or .edn, or name the format)",
        path.display()
    )]
    UnknownExtension {
        /// The file.
        path: PathBuf,
    },
    /// A history holds something the format cannot express (such as an EDN keyword with a
    /// space in its name).
    #[error("{}event {event}: {message}", FileLabel(path.as_deref()))]
    Unrepresentable {
        /// The file, when known.
        path: Option<PathBuf>,
        /// The index of the event.
        event: u64,
        /// What cannot be written.
        message: String,
    },
}

/// `path:` before `line:column`.
struct PathPrefix<'a>(Option<&'a Path>);

impl fmt::Display for PathPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, "{}:", p.display()),
            None => Ok(()),
        }
    }
}

/// `path: ` before a message that has no position.
pub(crate) struct FileLabel<'a>(pub(crate) Option<&'a Path>);

impl fmt::Display for FileLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, "{}: ", p.display()),
            None => Ok(()),
        }
    }
}

/// ` (event N)` after a message about one event.
struct EventSuffix(Option<u64>);

impl fmt::Display for EventSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(i) => write!(f, " (event {i})"),
            None => Ok(()),
        }
    }
}

impl FormatError {
    /// The file the error is about, when known.
    pub fn path(&self) -> Option<&Path> {
        match self {
            FormatError::Io { path, .. }
            | FormatError::Syntax { path, .. }
            | FormatError::Unrepresentable { path, .. } => path.as_deref(),
            FormatError::UnknownExtension { path } => Some(path),
        }
    }

    /// The 1-based line of a syntax error.
    pub fn line(&self) -> Option<u64> {
        match self {
            FormatError::Syntax { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The 1-based column (in bytes) of a syntax error.
    pub fn column(&self) -> Option<u64> {
        match self {
            FormatError::Syntax { column, .. } => Some(*column),
            _ => None,
        }
    }

    /// The index of the event the error is about, when it is about one.
    pub fn event(&self) -> Option<u64> {
        match self {
            FormatError::Syntax { event, .. } => *event,
            FormatError::Unrepresentable { event, .. } => Some(*event),
            _ => None,
        }
    }

    /// The same error, said of the file `path`.
    pub fn with_path(mut self, file: impl Into<PathBuf>) -> FormatError {
        let file = file.into();
        match &mut self {
            FormatError::Io { path, .. }
            | FormatError::Syntax { path, .. }
            | FormatError::Unrepresentable { path, .. } => *path = Some(file),
            FormatError::UnknownExtension { path } => *path = file,
        }
        self
    }

    /// A syntax error at byte `offset` of `src`, its message's quotes of the input cut
    /// short (see [`excerpt`]).
    pub(crate) fn at(src: &[u8], offset: usize, event: Option<u64>, message: String) -> Self {
        let (line, column) = line_column(src, offset);
        let message = match excerpt::shorten(&message) {
            Cow::Borrowed(_) => message,
            Cow::Owned(short) => short,
        };
        FormatError::Syntax {
            path: None,
            line,
            column,
            event,
            message,
        }
    }

    pub(crate) fn io(source: io::Error) -> Self {
        FormatError::Io { path: None, source }
    }
}

/// The 1-based line and byte column of `offset` in `src` (clamped to its end).
pub(crate) fn line_column(src: &[u8], offset: usize) -> (u64, u64) {
    let before = &src[..offset.min(src.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    (line, (before.len() - line_start) as u64 + 1)
}

/// Puts events read from a JSON or JSON Lines file in index order and numbers them densely
/// from 0, keeping each event's source line (in `lines`, when there are any) beside it.
///
/// An index is an order, not an identity: a streamed file can lack an index whose line was
/// never written (the process was killed between taking the index and writing the line), and
/// a file edited by hand can skip or repeat one. The sort is stable, so events with equal
/// indices keep their order in the file. EDN needs none of this: its events are numbered by
/// position, as Knossos orders them.
pub(crate) fn renumber(events: &mut Vec<Event>, lines: &mut Vec<u64>) {
    if !events.is_sorted_by_key(|e| e.index) {
        if lines.len() == events.len() {
            let mut pairs: Vec<(Event, u64)> = events.drain(..).zip(lines.drain(..)).collect();
            pairs.sort_by_key(|(e, _)| e.index);
            (*events, *lines) = pairs.into_iter().unzip();
        } else {
            events.sort_by_key(|e| e.index);
        }
    }
    for (position, e) in events.iter_mut().enumerate() {
        e.index = position as u64;
    }
}

/// The 1-based lines of offsets in a text, for offsets met in increasing order.
pub(crate) struct LineCounter<'a> {
    src: &'a [u8],
    /// The last offset asked about, and its line.
    at: (usize, u64),
}

impl<'a> LineCounter<'a> {
    /// Counts lines in `src`.
    pub(crate) fn new(src: &'a [u8]) -> Self {
        LineCounter { src, at: (0, 1) }
    }

    /// The 1-based line of byte `offset` (clamped to the end of the text).
    pub(crate) fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.src.len());
        let (from, line) = if offset >= self.at.0 { self.at } else { (0, 1) };
        let newlines = self.src[from..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.at = (offset, line + newlines as u64);
        self.at.1
    }
}

/// Takes the events a format's reader reads one at a time (EDN and JSON Lines), and may
/// read an event's text itself before the parser builds it: the transactional checker's
/// fast path ([`crate::checker::txn`]). A closure taking each event and its line is one
/// that reads no text itself.
pub(crate) trait Events {
    /// Reads the event whose text starts at byte `at` of `src` (for JSON Lines: `src` is
    /// the event's line without its newline, and `at` is 0), if it can, and returns where
    /// its text ends; for JSON Lines only when it read the whole line. `None` leaves the
    /// event to the parser, which then reads it as if this had never been called: an
    /// implementation that returns `None` must not have taken the event.
    fn skim(&mut self, src: &[u8], at: usize) -> Option<usize> {
        let _ = (src, at);
        None
    }

    /// Takes the next event the parser read, with the 1-based line it starts on.
    fn event(&mut self, e: Event, line: u64);
}

impl<F: FnMut(Event, u64)> Events for F {
    fn event(&mut self, e: Event, line: u64) {
        self(e, line);
    }
}

/// A history read from a file, with what the reader had to leave out.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    /// The events, in index order.
    pub events: Vec<Event>,
    /// The format it was read as.
    pub format: Format,
    /// A JSON Lines file's unreadable last line (a write cut short by a crash), which was
    /// left out; always `None` for the other formats.
    pub torn_tail: Option<TornTail>,
    /// The 1-based line of the input each event starts on, by position in `events` (which
    /// is its index), so that a problem found later in an event can say where it is.
    pub lines: Vec<u64>,
}

impl Loaded {
    /// The 1-based line of the input the event with index `index` starts on.
    ///
    /// ```
    /// use lockstep_history::format::{self, Format};
    ///
    /// let loaded = format::load(b"; two ops\n{:type :invoke, :f :read, :process 0}\n\n{:type :ok, :f :read, :process 0}", Format::Edn).unwrap();
    /// assert_eq!(loaded.line_of(1), Some(4));
    /// assert_eq!(loaded.line_of(2), None);
    /// ```
    pub fn line_of(&self, index: u64) -> Option<u64> {
        self.lines.get(usize::try_from(index).ok()?).copied()
    }
}

/// Reads the history in `path`, in the format its extension names.
///
/// A JSON Lines file whose last line was cut short reads without it; use [`load_file`] to
/// learn that happened.
///
/// # Errors
/// [`FormatError::UnknownExtension`], an I/O error, or a syntax error with the file's path.
pub fn read_file(path: impl AsRef<Path>) -> Result<Vec<Event>, FormatError> {
    load_file(path).map(|l| l.events)
}

/// Reads the history in `path` as `format`, whatever its extension.
///
/// # Errors
/// An I/O error or a syntax error with the file's path.
pub fn read_file_as(path: impl AsRef<Path>, format: Format) -> Result<Vec<Event>, FormatError> {
    load_file_as(path, format).map(|l| l.events)
}

/// Like [`read_file`], and also reports a torn last line of a JSON Lines file.
///
/// # Errors
/// As [`read_file`].
pub fn load_file(path: impl AsRef<Path>) -> Result<Loaded, FormatError> {
    let path = path.as_ref();
    let format = Format::from_path(path).ok_or_else(|| FormatError::UnknownExtension {
        path: path.to_path_buf(),
    })?;
    load_file_as(path, format)
}

/// Like [`read_file_as`], and also reports a torn last line of a JSON Lines file.
///
/// # Errors
/// As [`read_file_as`].
pub fn load_file_as(path: impl AsRef<Path>, format: Format) -> Result<Loaded, FormatError> {
    let path = path.as_ref();
    let bytes = fs::read(path).map_err(|e| FormatError::io(e).with_path(path))?;
    load(&bytes, format).map_err(|e| e.with_path(path))
}

/// Parses a history held in memory.
///
/// # Errors
/// A syntax error with line and column.
///
/// ```
/// use lockstep_history::format::{self, Format};
///
/// let events = format::parse(b"{:type :invoke, :f :read, :process 0}", Format::Edn).unwrap();
/// assert_eq!(events[0].f, "read");
///
/// let err = format::parse(b"[{:type :invoke, :f :read, :process 0}\n 42]", Format::Edn).unwrap_err();
/// assert_eq!(err.to_string(), "2:2: expected an op map, found a number (event 1)");
/// ```
pub fn parse(bytes: &[u8], format: Format) -> Result<Vec<Event>, FormatError> {
    load(bytes, format).map(|l| l.events)
}

/// Like [`parse`], and also reports a torn last line of JSON Lines.
///
/// # Errors
/// As [`parse`].
pub fn load(bytes: &[u8], format: Format) -> Result<Loaded, FormatError> {
    let ((events, lines), torn_tail) = match format {
        Format::Json => (json::parse_with_lines(bytes)?, None),
        Format::Edn => (edn::parse_with_lines(bytes)?, None),
        Format::Jsonl => {
            let read = jsonl::parse(bytes)?;
            ((read.events, read.lines), read.torn_tail)
        }
    };
    Ok(Loaded {
        events,
        format,
        torn_tail,
        lines,
    })
}

/// Writes `events` to `path` (created or truncated) in the format its extension names.
///
/// # Errors
/// [`FormatError::UnknownExtension`], an I/O error, or an event the format cannot express.
pub fn write_file(path: impl AsRef<Path>, events: &[Event]) -> Result<(), FormatError> {
    let path = path.as_ref();
    let format = Format::from_path(path).ok_or_else(|| FormatError::UnknownExtension {
        path: path.to_path_buf(),
    })?;
    write_file_as(path, events, format)
}

/// Writes `events` to `path` (created or truncated) as `format`, whatever its extension.
///
/// # Errors
/// An I/O error, or an event the format cannot express.
pub fn write_file_as(
    path: impl AsRef<Path>,
    events: &[Event],
    format: Format,
) -> Result<(), FormatError> {
    let path = path.as_ref();
    let attach = |e: FormatError| e.with_path(path);
    let file = fs::File::create(path).map_err(|e| attach(FormatError::io(e)))?;
    let mut out = io::BufWriter::new(file);
    write(&mut out, events, format).map_err(attach)?;
    out.into_inner()
        .map_err(|e| attach(FormatError::io(e.into_error())))?
        .sync_all()
        .map_err(|e| attach(FormatError::io(e)))
}

/// Writes `events` to `out` as `format`.
///
/// # Errors
/// An I/O error, or an event the format cannot express.
pub fn write(out: impl Write, events: &[Event], format: Format) -> Result<(), FormatError> {
    match format {
        Format::Json => json::write(out, events),
        Format::Jsonl => jsonl::write(out, events),
        Format::Edn => edn::write(out, events),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name_and_extension() {
        for (name, format) in [
            ("json", Format::Json),
            ("JSONL", Format::Jsonl),
            (".edn", Format::Edn),
            ("ndjson", Format::Jsonl),
        ] {
            assert_eq!(name.parse::<Format>(), Ok(format));
        }
        assert!("yaml".parse::<Format>().is_err());
        assert_eq!(
            Format::from_path(Path::new("a/b.jsonl")),
            Some(Format::Jsonl)
        );
        assert_eq!(Format::from_path(Path::new("noext")), None);
        for f in [Format::Json, Format::Jsonl, Format::Edn] {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
    }

    #[test]
    fn positions_are_one_based() {
        let src = b"ab\ncd\n";
        assert_eq!(line_column(src, 0), (1, 1));
        assert_eq!(line_column(src, 1), (1, 2));
        assert_eq!(line_column(src, 3), (2, 1));
        assert_eq!(line_column(src, 6), (3, 1));
        assert_eq!(line_column(src, 99), (3, 1));
    }

    #[test]
    fn errors_name_file_line_column_and_event() {
        let e = FormatError::at(b"x\n    y", 6, Some(3), "expected an op map".into())
            .with_path("history.edn");
        assert_eq!(
            e.to_string(),
            "history.edn:2:5: expected an op map (event 3)"
        );
        assert_eq!(
            (e.line(), e.column(), e.event()),
            (Some(2), Some(5), Some(3))
        );
        assert_eq!(e.path(), Some(Path::new("history.edn")));
    }

    #[test]
    fn every_format_gives_each_event_its_line() {
        let cases: [(Format, &[u8]); 3] = [
            (
                Format::Edn,
                b"[{:type :invoke, :f :r, :process 0}\n\n {:type :ok, :f :r, :process 0}]",
            ),
            (
                Format::Json,
                b"[{\"index\":1,\"time\":0,\"type\":\"ok\",\"process\":0,\"f\":\"r\"},\n\n{\"index\":0,\"time\":0,\"type\":\"invoke\",\"process\":0,\"f\":\"r\"}]",
            ),
            (
                Format::Jsonl,
                b"{\"index\":1,\"time\":0,\"type\":\"ok\",\"process\":0,\"f\":\"r\"}\n\n{\"index\":0,\"time\":0,\"type\":\"invoke\",\"process\":0,\"f\":\"r\"}\n",
            ),
        ];
        for (format, text) in cases {
            let loaded = load(text, format).unwrap();
            let expected: &[u64] = if format == Format::Edn {
                &[1, 3]
            } else {
                &[3, 1]
            };
            assert_eq!(loaded.lines, expected, "{format}");
            assert!(loaded.events[0].is_invoke(), "{format}");
        }
    }

    #[test]
    fn line_counter_goes_back_when_asked() {
        let mut c = LineCounter::new(b"a\nb\nc");
        assert_eq!(c.line_at(4), 3);
        assert_eq!(c.line_at(2), 2);
        assert_eq!(c.line_at(99), 3);
    }

    #[test]
    fn unknown_extension_is_an_error() {
        let e = read_file("history.txt").unwrap_err();
        assert!(matches!(e, FormatError::UnknownExtension { .. }), "{e}");
        assert!(write_file("history.yaml", &[]).is_err());
    }
}
