//! JSON Lines histories: one event object per line, streamed to disk as events happen.
//!
//! # Streaming
//!
//! [`JsonlSink`] is an [`EventSink`]: give it to [`History::with_sink`] (or build both with
//! [`History::streaming`]) and every event is written to the file by the recording call
//! itself, so a test that is killed keeps what it recorded. Install that history with
//! [`History::in_scope`] where code records through the current history (`#[recorded]`
//! functions, [`spawn`](crate::spawn)). How far "kept" goes is the [`Durability`]:
//!
//! - [`Durability::Flushed`] (the default): the recording thread serializes the event and
//!   hands the whole line to the kernel with one `write(2)` on a file opened in append mode,
//!   before the recording call (`invoke`, `ok`, `fail`, `info`, `op`) returns. No lock of
//!   this crate is held across the write; the kernel appends each line whole, so lines from
//!   many threads never interleave (on local file systems; NFS does not promise atomic
//!   appends). An event whose recording call has returned is in the
//!   kernel and survives the process being killed (`SIGKILL`, abort), but not an operating
//!   system crash or power loss.
//! - [`Durability::Synced`]: as `Flushed`, and the file's data is also synced to the disk
//!   (`fdatasync`) before the recording call returns, and its directory entry when the file
//!   is created. An event whose recording call has returned survives an operating system
//!   crash or power loss, as far as the disk honours flushes. It costs a disk flush per event.
//! - [`Durability::Buffered`]: the recording thread serializes the event and sends the line
//!   to a writer thread, which writes lines in batches. Recording never waits for I/O, but a
//!   killed process loses the lines still queued; [`JsonlSink::flush`] and dropping the last
//!   handle write everything out.
//!
//! Lines appear in the order their writes happened, which can differ from index order where
//! threads race; the reader sorts by index and numbers the events densely from 0 again. A
//! process killed after taking an index but before writing its line leaves a gap there;
//! renumbering closes it, since an index orders events and names nothing.
//!
//! A failed write (a full disk) cannot be returned from a recording call: the first error is
//! kept and returned by [`JsonlSink::flush`].
//!
//! # Reading
//!
//! [`parse`] reads one event per line and skips blank lines. An unreadable last line with no
//! newline at its end is what a write cut short by a crash leaves: it is left out and
//! reported as a [`TornTail`]. Any other unreadable line, including a last line that does
//! end in a newline (the write that put it there finished), is an error with its line and
//! column.
//!
//! [`History::with_sink`]: crate::History::with_sink
//! [`History::streaming`]: crate::History::streaming
//! [`History::in_scope`]: crate::History::in_scope

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use super::json::{encode, message, scan, syntax_error};
use super::{Events, FormatError, line_column, renumber};
use crate::event::Event;
use crate::event::EventSink;
use crate::history::History;

/// A JSON Lines history as read, with the torn last line left out, if there was one.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonlRead {
    /// The events, sorted by index and numbered densely from 0.
    pub events: Vec<Event>,
    /// The last line, when it could not be read.
    pub torn_tail: Option<TornTail>,
    /// The 1-based line each event is on, by position in `events`.
    pub lines: Vec<u64>,
}

/// An unreadable last line of a JSON Lines file, left out of the history: what a write cut
/// short by a crash leaves behind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: last line ({bytes} bytes) is incomplete and was left out: {message}")]
pub struct TornTail {
    /// Its 1-based line number.
    pub line: u64,
    /// The 1-based column where reading it failed.
    pub column: u64,
    /// Its length in bytes.
    pub bytes: usize,
    /// Why it could not be read.
    pub message: String,
}

/// Parses JSON Lines: one event per line, blank lines skipped, events sorted by index
/// (stably) and numbered densely from 0.
///
/// # Errors
/// A [`FormatError::Syntax`] with line and column for an unreadable line, unless it is the
/// last line and has no newline at its end (then it is the [`TornTail`]).
///
/// ```
/// use lockstep_history::format::jsonl;
///
/// let text = concat!(
///     r#"{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":null}"#, "\n",
///     r#"{"index":1,"time":9,"type":"ok","pro"#,
/// );
/// let read = jsonl::parse(text.as_bytes()).unwrap();
/// assert_eq!(read.events.len(), 1);
/// assert_eq!(read.torn_tail.unwrap().line, 2);
///
/// let garbage_in_the_middle = format!("{{oops\n{text}");
/// let err = jsonl::parse(garbage_in_the_middle.as_bytes()).unwrap_err();
/// assert_eq!(err.to_string(), "1:2: key must be a string");
/// ```
pub fn parse(bytes: &[u8]) -> Result<JsonlRead, FormatError> {
    let mut events = Vec::with_capacity(bytes.len() / 80);
    let mut lines = Vec::with_capacity(bytes.len() / 80);
    let torn_tail = each_event(bytes, &mut |e: Event, line: u64| {
        events.push(e);
        lines.push(line);
    })?;
    renumber(&mut events, &mut lines);
    Ok(JsonlRead {
        events,
        torn_tail,
        lines,
    })
}

/// Parses JSON Lines as [`parse`] does, handing each event to `f` with its line as soon as
/// it is read, in the order of the file (not sorted, not renumbered), instead of keeping
/// them; returns the torn last line, if any. Errors are [`parse`]'s. Each line is offered
/// to [`Events::skim`] first.
pub(crate) fn each_event(
    bytes: &[u8],
    f: &mut impl Events,
) -> Result<Option<TornTail>, FormatError> {
    let mut torn_tail = None;
    let mut line_no = 0u64;
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| start + i);
        line_no += 1;
        let line = &bytes[start..end];
        let next = end + 1;
        // Lines start with `{`; only one that does not can be blank.
        if line.first().is_none_or(u8::is_ascii_whitespace)
            && line.iter().all(u8::is_ascii_whitespace)
        {
            start = next;
            continue;
        }
        if f.skim(line, 0).is_some() {
            start = next;
            continue;
        }
        match serde_json::from_slice::<Event>(line) {
            Ok(e) => {
                if let Err((offset, _, message)) = scan(line, false) {
                    let (_, column) = line_column(line, offset);
                    return Err(FormatError::Syntax {
                        path: None,
                        line: line_no,
                        column,
                        event: None,
                        message,
                    });
                }
                f.event(e, line_no);
            }
            Err(e) => {
                // Only a line whose newline was never written can have been cut short.
                if end == bytes.len() {
                    torn_tail = Some(TornTail {
                        line: line_no,
                        column: e.column().max(1) as u64,
                        bytes: line.len(),
                        message: message(&e),
                    });
                    break;
                }
                return Err(syntax_error(&e, line_no - 1, None));
            }
        }
        start = next;
    }
    Ok(torn_tail)
}

/// Writes `events` as JSON Lines, one object per line.
///
/// # Errors
/// An I/O error.
pub fn write(mut out: impl Write, events: &[Event]) -> Result<(), FormatError> {
    let mut buf = Vec::with_capacity(256);
    for e in events {
        buf.clear();
        encode(&mut buf, e)?;
        buf.push(b'\n');
        out.write_all(&buf).map_err(FormatError::io)?;
    }
    out.flush().map_err(FormatError::io)
}

/// How far an event streamed by [`JsonlSink`] is kept once its recording call returns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Durability {
    /// Written in batches by a writer thread: recording never waits for I/O, and a killed
    /// process loses the lines still queued.
    Buffered,
    /// Handed to the kernel with one `write(2)` per event before the call returns: survives
    /// the process being killed, not an operating system crash.
    #[default]
    Flushed,
    /// Written and synced to disk (`fdatasync`) per event before the call returns: survives
    /// an operating system crash or power loss.
    Synced,
}

/// Streams every recorded event to a JSON Lines file (see the [module docs](self) for the
/// guarantees each [`Durability`] gives).
///
/// Cloning gives another handle to the same file; the writer thread of
/// [`Durability::Buffered`] finishes when the last handle is dropped.
///
/// ```
/// use lockstep_history::{History, format::{self, Durability}};
///
/// let path = std::env::temp_dir().join(format!("lockstep-doc-{}.jsonl", std::process::id()));
/// let (history, sink) = History::streaming(&path, Durability::Flushed).unwrap();
/// history.op("write", 1, || ());
/// // Already in the file, before the history is dropped:
/// assert_eq!(format::read_file(&path).unwrap(), history.events());
/// sink.flush().unwrap();
/// # std::fs::remove_file(&path).unwrap();
/// ```
#[derive(Clone)]
pub struct JsonlSink {
    inner: Arc<SinkInner>,
}

struct SinkInner {
    file: File,
    path: PathBuf,
    durability: Durability,
    errors: Arc<FirstError>,
    /// The channel to the writer thread, for [`Durability::Buffered`].
    queue: Option<(mpsc::Sender<Message>, JoinHandle<()>)>,
}

/// The first I/O error met, kept for [`JsonlSink::flush`].
#[derive(Default)]
struct FirstError {
    failed: AtomicBool,
    error: Mutex<Option<io::Error>>,
}

impl FirstError {
    fn set(&self, e: io::Error) {
        if !self.failed.swap(true, Ordering::AcqRel)
            && let Ok(mut slot) = self.error.lock()
        {
            *slot = Some(e);
        }
    }

    fn check(&self, path: &Path) -> Result<(), FormatError> {
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        let e = match self.error.lock() {
            Ok(slot) => slot.as_ref().map_or_else(
                || io::Error::other("an earlier write failed"),
                |e| io::Error::new(e.kind(), e.to_string()),
            ),
            Err(_) => io::Error::other("an earlier write failed"),
        };
        Err(FormatError::io(e).with_path(path))
    }
}

enum Message {
    Line(Vec<u8>),
    Flush(mpsc::SyncSender<()>),
}

impl JsonlSink {
    /// Creates (or truncates) the file at `path` and streams events to it.
    ///
    /// # Errors
    /// An I/O error creating the file (or, for [`Durability::Synced`], syncing its folder).
    pub fn create(
        path: impl AsRef<Path>,
        durability: Durability,
    ) -> Result<JsonlSink, FormatError> {
        let path = path.as_ref();
        let io_err = |e: io::Error| FormatError::io(e).with_path(path);
        File::create(path).map_err(io_err)?;
        let file = OpenOptions::new().append(true).open(path).map_err(io_err)?;
        if durability == Durability::Synced {
            file.sync_all().map_err(io_err)?;
            sync_parent(path).map_err(io_err)?;
        }
        let errors = Arc::new(FirstError::default());
        let queue = match durability {
            Durability::Buffered => {
                let (tx, rx) = mpsc::channel();
                let out = file.try_clone().map_err(io_err)?;
                let errors = Arc::clone(&errors);
                let thread = std::thread::Builder::new()
                    .name("lockstep-jsonl".into())
                    .spawn(move || write_queued(&rx, out, &errors))
                    .map_err(io_err)?;
                Some((tx, thread))
            }
            Durability::Flushed | Durability::Synced => None,
        };
        Ok(JsonlSink {
            inner: Arc::new(SinkInner {
                file,
                path: path.to_path_buf(),
                durability,
                errors,
                queue,
            }),
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The durability it was created with.
    pub fn durability(&self) -> Durability {
        self.inner.durability
    }

    /// Waits until every event recorded so far is in the file (with [`Durability::Buffered`],
    /// written by the writer thread and flushed to the kernel), then reports the first write
    /// error met since the file was created, if any.
    ///
    /// # Errors
    /// The first I/O error any write met.
    pub fn flush(&self) -> Result<(), FormatError> {
        if let Some((tx, _)) = &self.inner.queue {
            let (done_tx, done_rx) = mpsc::sync_channel(1);
            if tx.send(Message::Flush(done_tx)).is_ok() {
                let _ = done_rx.recv();
            }
        }
        self.inner.errors.check(&self.inner.path)
    }
}

impl History {
    /// A new history that streams every event to a new JSON Lines file at `path` from inside
    /// the recording call, and a handle to that stream (see [`JsonlSink`] for what each
    /// [`Durability`] guarantees).
    ///
    /// ```
    /// use lockstep_history::{History, format::{self, Durability}};
    ///
    /// let path = std::env::temp_dir().join("lockstep-doc-streaming.jsonl");
    /// let (history, _sink) = History::streaming(&path, Durability::Flushed).unwrap();
    /// history.op("write", 1, || ());
    /// // Already in the file, before the history is dropped:
    /// assert_eq!(format::read_file(&path).unwrap(), history.events());
    /// ```
    ///
    /// # Errors
    /// [`FormatError::Io`] when the file cannot be created.
    pub fn streaming(
        path: impl AsRef<std::path::Path>,
        durability: Durability,
    ) -> Result<(History, JsonlSink), FormatError> {
        let sink = JsonlSink::create(path, durability)?;
        Ok((History::with_sink(sink.clone()), sink))
    }
}

impl std::fmt::Debug for JsonlSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlSink")
            .field("path", &self.inner.path)
            .field("durability", &self.inner.durability)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// Each recording thread's line buffer, reused from event to event.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl EventSink for JsonlSink {
    fn record(&self, event: &Event) {
        let inner = &*self.inner;
        if let Some((tx, _)) = &inner.queue {
            let mut line = Vec::with_capacity(128);
            inner.encode_line(&mut line, event);
            // The writer thread only stops once every handle is gone.
            let _ = tx.send(Message::Line(line));
            return;
        }
        let write = |line: &mut Vec<u8>| {
            line.clear();
            inner.encode_line(line, event);
            inner.write_line(line);
            if line.capacity() > 1 << 16 {
                *line = Vec::new();
            }
        };
        let used_own_buffer = LINE
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut line) => {
                    write(&mut line);
                    true
                }
                Err(_) => false,
            })
            .unwrap_or(false);
        if !used_own_buffer {
            write(&mut Vec::new());
        }
    }
}

impl SinkInner {
    /// Serializes `event` and a newline into `line`.
    fn encode_line(&self, line: &mut Vec<u8>, event: &Event) {
        if let Err(e) = encode(line, event) {
            self.errors.set(io::Error::other(e.to_string()));
            line.clear();
            return;
        }
        line.push(b'\n');
    }

    /// Appends one whole line with a single write (and a sync, for `Synced`).
    fn write_line(&self, line: &[u8]) {
        if line.is_empty() {
            return;
        }
        // `&File` writes without any lock of ours; on a file opened for appending each
        // `write(2)` lands whole at the end. `write_all` loops only on a short write, which
        // regular files give only when the disk is full or the file too large.
        let result = (&self.file).write_all(line).and_then(|()| {
            if self.durability == Durability::Synced {
                self.file.sync_data()
            } else {
                Ok(())
            }
        });
        if let Err(e) = result {
            self.errors.set(e);
        }
    }
}

impl Drop for SinkInner {
    fn drop(&mut self) {
        if let Some((tx, thread)) = self.queue.take() {
            drop(tx);
            let _ = thread.join();
        }
    }
}

/// The writer thread of [`Durability::Buffered`]: writes lines as they come and flushes
/// whenever the queue runs dry.
fn write_queued(rx: &mpsc::Receiver<Message>, file: File, errors: &FirstError) {
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let write = |out: &mut BufWriter<File>, m: Message| match m {
        Message::Line(line) => {
            if let Err(e) = out.write_all(&line) {
                errors.set(e);
            }
        }
        Message::Flush(done) => {
            if let Err(e) = out.flush() {
                errors.set(e);
            }
            let _ = done.send(());
        }
    };
    while let Ok(m) = rx.recv() {
        write(&mut out, m);
        while let Ok(m) = rx.try_recv() {
            write(&mut out, m);
        }
        if let Err(e) = out.flush() {
            errors.set(e);
        }
    }
}

/// Syncs the folder holding `path`, so that a new file's name survives a crash.
fn sync_parent(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventKind, Process};
    use crate::value::Value;

    fn event(index: u64) -> Event {
        Event {
            index,
            time: index * 10,
            kind: EventKind::Invoke,
            process: Process::Id(index),
            f: "read".into(),
            value: Value::Nil,
            error: None,
        }
    }

    fn lines(events: &[Event]) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, events).unwrap();
        out
    }

    #[test]
    fn torn_tail_is_reported_and_left_out() {
        let mut text = lines(&[event(0), event(1)]);
        let whole = text.len();
        text.truncate(whole - 10);
        let read = parse(&text).unwrap();
        assert_eq!(read.events, vec![event(0)]);
        let tail = read.torn_tail.unwrap();
        assert_eq!(tail.line, 2);
        assert!(tail.to_string().starts_with("2:"), "{tail}");
        // A crash can also leave zeros where the data never reached the disk.
        let mut zeros = lines(&[event(0)]);
        zeros.extend([0u8; 64]);
        assert_eq!(parse(&zeros).unwrap().torn_tail.unwrap().line, 2);
        // Complete files have no torn tail.
        assert_eq!(parse(&lines(&[event(0)])).unwrap().torn_tail, None);
    }

    #[test]
    fn garbage_in_the_middle_is_an_error() {
        let mut text = lines(&[event(0)]);
        text.extend_from_slice(b"\n  [1, 2\n");
        text.extend(lines(&[event(1)]));
        let e = parse(&text).unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(3), Some(7)), "{e}");
    }

    #[test]
    fn lines_are_sorted_by_index() {
        let read = parse(&lines(&[event(1), event(0)])).unwrap();
        assert_eq!(read.events, vec![event(0), event(1)]);
    }

    #[test]
    fn integers_beyond_64_bits_are_errors() {
        let mut text = lines(&[event(0)]);
        text.extend_from_slice(
            b"{\"index\":1,\"time\":0,\"type\":\"ok\",\"process\":0,\"f\":\"read\",\"value\":-99999999999999999999}\n",
        );
        let e = parse(&text).unwrap_err();
        assert_eq!((e.line(), e.column()), (Some(2), Some(64)), "{e}");
        assert!(e.to_string().contains("does not fit in 64 bits"), "{e}");
    }

    #[test]
    fn gaps_left_by_a_kill_are_closed() {
        // Index 1 was taken, but its line was never written.
        let read = parse(&lines(&[event(2), event(0), event(3)])).unwrap();
        let indices: Vec<u64> = read.events.iter().map(|e| e.index).collect();
        assert_eq!(indices, [0, 1, 2]);
        assert_eq!(read.events[1].process, Process::Id(2), "order kept");
        crate::validate(&read.events).unwrap();
    }

    #[test]
    fn a_complete_last_line_that_does_not_parse_is_an_error() {
        let mut text = lines(&[event(0)]);
        text.extend_from_slice(b"{\"index\":1,\"time\":0,\"type\":\"done\"}\n");
        let e = parse(&text).unwrap_err();
        assert_eq!(e.line(), Some(2), "{e}");
        assert!(e.to_string().contains("unknown variant `done`"), "{e}");
        // Blank lines after it change nothing.
        text.extend_from_slice(b"\n  \n");
        assert_eq!(parse(&text).unwrap_err().line(), Some(2));
        // Without its newline it could be a write cut short.
        let cut = &text[..text.len() - 5];
        assert_eq!(parse(cut).unwrap().torn_tail.unwrap().line, 2);
    }
}
