//! Reading a history file of transactions straight into the checker's compact form.
//!
//! [`check`](super::check) takes a history held as [`Event`]s, and a history of a million
//! transactions held that way is over a gigabyte of small vectors. [`Transactions`] is
//! the form the checker works on: transactions and micro-ops in flat arrays, keys and
//! values interned as numbers (a few hundred bytes a transaction). Reading a file with
//! [`Transactions::read_file`] hands each event to the transactional reader as soon as
//! it is read, so the events never exist all at once; the usual events are read straight
//! from their text into the compact form without building [`Value`](crate::value::Value)s
//! ([`skim`]), the others by the format's parser, which builds the event and drops it
//! there. JSON Lines and EDN streams of op maps (Jepsen's `history.edn`) are read a
//! 16 MiB piece at a time, each piece ending at a line end; a JSON array or an EDN vector
//! is held as bytes while it is read. What is held is the compact form and that text.
//!
//! Whatever the text reader does not take is read by the format's own parser, so errors
//! are the ones [`format::load`] gives
//! (file, line, column, event index), and a problem with the transactions is the one
//! [`check`](super::check) gives for the same history. JSON and JSON Lines order events
//! by their `index`: a file whose indices go down somewhere (lines written by racing
//! threads) cannot be read in one pass, and is read again the usual way, as events.

use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use super::history::{self, Reader, Txns};
use super::skim::{self, Skimmed};
use super::{Analysis, Error, Options, Workload};
use crate::event::Event;
use crate::format::{self, FileLabel, Format, FormatError, TornTail};

/// A history of transactions in the checker's compact form, read from events or straight
/// from a file.
///
/// ```
/// use lockstep_history::checker::txn::{Options, Transactions, Workload};
/// use lockstep_history::format::Format;
///
/// let file = br#"
///     {:process 0, :type :invoke, :value [[:append 1 1] [:r 2 nil]]}
///     {:process 0, :type :ok, :value [[:append 1 1] [:r 2 []]]}
///     {:process 1, :type :invoke, :value [[:r 1 nil]]}
///     {:process 1, :type :ok, :value [[:r 1 []]]}
/// "#;
/// let txns = Transactions::parse(file, Format::Edn, Workload::ListAppend).unwrap();
/// assert_eq!((txns.len(), txns.events()), (2, 4));
///
/// // The second transaction began after the first committed, yet missed its append.
/// let analysis = txns.check(&Options::default()).unwrap();
/// assert_eq!(analysis.anomaly_names(), ["G-single-realtime"]);
/// ```
pub struct Transactions {
    txns: Txns,
    torn_tail: Option<TornTail>,
}

impl fmt::Debug for Transactions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transactions")
            .field("workload", &self.txns.workload)
            .field("transactions", &self.txns.txns.len())
            .field("events", &self.txns.events)
            .finish_non_exhaustive()
    }
}

/// Why a history file of transactions could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read, or is not a well-formed history in its format: the
    /// error [`format::load_file`] gives.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The events are not a history of transactions of the workload: the error
    /// [`check`](super::check) gives for the same events.
    #[error("{}{error}", FileLabel(path.as_deref()))]
    Transactions {
        /// The file, when read from one.
        path: Option<PathBuf>,
        /// What is wrong, naming the event.
        error: Error,
    },
}

impl ReadError {
    fn with_path(self, file: &Path) -> ReadError {
        match self {
            ReadError::Format(e) => ReadError::Format(e.with_path(file)),
            ReadError::Transactions { error, .. } => ReadError::Transactions {
                path: Some(file.to_path_buf()),
                error,
            },
        }
    }
}

impl Transactions {
    /// Reads the transactions of a history held as events.
    ///
    /// # Errors
    /// As [`check`](super::check): events that are not a history, or malformed micro-ops.
    pub fn from_events(events: &[Event], workload: Workload) -> Result<Transactions, Error> {
        Ok(Transactions {
            txns: history::read(events, workload)?,
            torn_tail: None,
        })
    }

    /// Reads the history file `path`, in the format its extension names, as transactions
    /// of `workload`, without holding its events.
    ///
    /// # Errors
    /// [`ReadError::Format`] as [`format::load_file`] gives it (with the file's path),
    /// or [`ReadError::Transactions`] naming the event.
    pub fn read_file(
        path: impl AsRef<Path>,
        workload: Workload,
    ) -> Result<Transactions, ReadError> {
        let path = path.as_ref();
        let format = Format::from_path(path).ok_or_else(|| FormatError::UnknownExtension {
            path: path.to_path_buf(),
        })?;
        Transactions::read_file_as(path, format, workload)
    }

    /// Reads the history file `path` as `format`, whatever its extension.
    ///
    /// # Errors
    /// As [`Transactions::read_file`].
    pub fn read_file_as(
        path: impl AsRef<Path>,
        format: Format,
        workload: Workload,
    ) -> Result<Transactions, ReadError> {
        let path = path.as_ref();
        if let Some(txns) = read_in_chunks(path, format, workload, CHUNK) {
            return Ok(txns);
        }
        let bytes = fs::read(path).map_err(|e| {
            ReadError::Format(FormatError::Io {
                path: Some(path.to_path_buf()),
                source: e,
            })
        })?;
        Transactions::parse(&bytes, format, workload).map_err(|e| e.with_path(path))
    }

    /// Reads a history held in memory as text of `format`.
    ///
    /// # Errors
    /// [`ReadError::Format`] as [`format::load`] gives it, or
    /// [`ReadError::Transactions`] naming the event.
    pub fn parse(
        bytes: &[u8],
        format: Format,
        workload: Workload,
    ) -> Result<Transactions, ReadError> {
        Transactions::parse_as(bytes, format, workload, true)
    }

    /// [`Transactions::parse`], with the usual events read straight from their text
    /// ([`skim`]) when `skims`, else every event built by the format's parser.
    pub(super) fn parse_as(
        bytes: &[u8],
        format: Format,
        workload: Workload,
        skims: bool,
    ) -> Result<Transactions, ReadError> {
        let mut feed = Feed::new(workload, format, skims);
        let torn_tail = feed.text(bytes, format)?;
        if !feed.sorted {
            let loaded = format::load(bytes, format)?;
            return Ok(Transactions {
                txns: history::read(&loaded.events, workload)
                    .map_err(|error| ReadError::Transactions { path: None, error })?,
                torn_tail,
            });
        }
        feed.finish(torn_tail)
    }

    /// Everything the compact form holds, written out, to compare two readings.
    #[cfg(test)]
    pub(super) fn compact(&self) -> String {
        format!("{:?} {:?}", self.txns, self.torn_tail)
    }

    /// The workload the micro-ops were read as.
    pub fn workload(&self) -> Workload {
        self.txns.workload
    }

    /// How many transactions there are.
    pub fn len(&self) -> usize {
        self.txns.txns.len()
    }

    /// Whether there are no transactions.
    pub fn is_empty(&self) -> bool {
        self.txns.txns.is_empty()
    }

    /// How many events were read, those of named processes (a nemesis) included.
    pub fn events(&self) -> u64 {
        self.txns.events
    }

    /// A JSON Lines file's unreadable last line (a write cut short by a crash), which was
    /// left out, as [`format::Loaded::torn_tail`] reports it.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn_tail.as_ref()
    }

    /// Checks the transactions against `options`' consistency models, exactly as
    /// [`check`](super::check) checks the events they were read from.
    ///
    /// # Errors
    /// [`Error::WorkloadMismatch`] when `options.workload` is not the workload they were
    /// read as; [`Error::DuplicateWrite`] as [`check`](super::check).
    pub fn check(&self, options: &Options) -> Result<Analysis, Error> {
        if options.workload != self.txns.workload {
            return Err(Error::WorkloadMismatch {
                read: self.txns.workload,
                asked: options.workload,
            });
        }
        super::check_txns(&self.txns, options)
    }
}

/// Hands events to the transactional reader as a format's parser reads them, reading the
/// usual ones straight from their text ([`skim`]).
struct Feed {
    reader: Reader<'static>,
    workload: Workload,
    format: Format,
    /// Whether events are read from their text where they can be (else all are built by
    /// the format's parser).
    skims: bool,
    /// The last event read from text, its buffers used again for the next.
    skimmed: Skimmed,
    /// Events read so far: the next one's index.
    position: u64,
    /// JSON orders by index: the last index seen, and whether they only went up.
    last: u64,
    sorted: bool,
}

impl Feed {
    fn new(workload: Workload, format: Format, skims: bool) -> Feed {
        Feed {
            reader: Reader::new(workload),
            workload,
            format,
            skims,
            skimmed: Skimmed::default(),
            position: 0,
            last: 0,
            sorted: true,
        }
    }

    /// Takes the next event in index order, for JSON and JSON Lines.
    fn in_order(&mut self, index: u64) -> bool {
        if self.format != Format::Edn {
            self.sorted &= index >= self.last;
            self.last = index;
        }
        self.sorted && !self.reader.is_broken()
    }

    fn take(&mut self, e: Event) {
        if self.in_order(e.index) {
            self.reader
                .event(self.position, e.kind, &e.process, Cow::Owned(e.value));
        }
        self.position += 1;
    }

    /// Takes an event read from its text (leaving its buffers holding anything).
    fn take_skimmed(&mut self, s: &mut Skimmed) {
        if let Some(kind) = s.kind
            && self.in_order(s.index)
        {
            self.reader
                .raw_event(self.position, kind, s.process, &mut s.ops);
        }
        self.position += 1;
    }

    /// Reads the events of `bytes`, a whole history or a run of whole events of one.
    fn text(&mut self, bytes: &[u8], f: Format) -> Result<Option<TornTail>, FormatError> {
        match f {
            Format::Edn => format::edn::each_event(bytes, self).map(|()| None),
            Format::Json => {
                if self.skims && self.json_array(bytes).is_some() {
                    return Ok(None);
                }
                // Read again from the start, event by event.
                *self = Feed::new(self.workload, f, false);
                format::json::each_event(bytes, |e| self.take(e)).map(|_| None)
            }
            Format::Jsonl => format::jsonl::each_event(bytes, self),
        }
    }

    /// Reads a whole JSON array of events from its text; `None` when one is not of the
    /// usual shape (some events may have been taken by then).
    fn json_array(&mut self, bytes: &[u8]) -> Option<()> {
        let mut skimmed = std::mem::take(&mut self.skimmed);
        let read = skim::json_array(bytes, &mut skimmed, |s| self.take_skimmed(s));
        self.skimmed = skimmed;
        read
    }

    fn finish(self, torn_tail: Option<TornTail>) -> Result<Transactions, ReadError> {
        Ok(Transactions {
            txns: self
                .reader
                .finish()
                .map_err(|error| ReadError::Transactions { path: None, error })?,
            torn_tail,
        })
    }
}

impl format::Events for Feed {
    fn skim(&mut self, src: &[u8], at: usize) -> Option<usize> {
        if !self.skims {
            return None;
        }
        let mut skimmed = std::mem::take(&mut self.skimmed);
        let end = match self.format {
            Format::Edn => skim::edn_op(src, at, &mut skimmed),
            Format::Jsonl => skim::json_line(src, &mut skimmed).map(|()| src.len()),
            Format::Json => None,
        };
        if end.is_some() {
            self.take_skimmed(&mut skimmed);
        }
        self.skimmed = skimmed;
        end
    }

    fn event(&mut self, e: Event, _line: u64) {
        self.take(e);
    }
}

/// How much of a file is read at a time when it is read in pieces.
const CHUNK: usize = 16 << 20;

/// Reads a file of JSON Lines, or of EDN op maps one after another (Jepsen's
/// `history.edn`), a piece of about `chunk` bytes at a time, each piece ending at a line
/// end: no event of these files spans two lines, except an EDN op map written over
/// several, and a piece that cuts one in two does not parse. `None` when the file is not
/// of that shape or anything goes wrong (it does not parse, cannot be read, its events are
/// out of index order, the transactions are malformed): the caller then reads it whole,
/// which gives the error, exactly placed, or the history.
fn read_in_chunks(
    path: &Path,
    f: Format,
    workload: Workload,
    chunk: usize,
) -> Option<Transactions> {
    use std::io::Read as _;
    if f == Format::Json {
        return None;
    }
    let mut file = fs::File::open(path).ok()?;
    let mut feed = Feed::new(workload, f, true);
    let mut buf: Vec<u8> = Vec::with_capacity(chunk + (chunk >> 2));
    let mut lines_before = 0u64;
    let mut first = true;
    let mut later = false;
    loop {
        let got = file
            .by_ref()
            .take(chunk as u64)
            .read_to_end(&mut buf)
            .ok()?;
        let end = got == 0;
        if first && f == Format::Edn {
            match edn_stream(&buf) {
                Some(false) => return None,
                None if !end => continue,
                _ => first = false,
            }
        }
        let cut = if end {
            buf.len()
        } else {
            match buf.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None => continue,
            }
        };
        // A later piece is read on its own, so one that begins with a vector or a list
        // would be taken for a history written as one; in a stream of op maps it is bad
        // input, which reading the whole file reports.
        if f == Format::Edn && later && edn_stream(&buf[..cut]) == Some(false) {
            return None;
        }
        later = true;
        let torn = feed.text(&buf[..cut], f).ok()?;
        if !feed.sorted || feed.reader.is_broken() {
            return None;
        }
        if end {
            let torn = torn.map(|t| TornTail {
                line: t.line + lines_before,
                ..t
            });
            return feed.finish(torn).ok();
        }
        if f == Format::Jsonl {
            // Only a torn tail (JSON Lines) needs its line.
            lines_before += buf[..cut]
                .iter()
                .map(|&b| u64::from(b == b'\n'))
                .sum::<u64>();
        }
        buf.drain(..cut);
    }
}

/// Whether an EDN file that begins with `start` is a stream of op maps (not one vector or
/// list of them), judged by its first byte that is not whitespace, a comma or in a
/// comment; `None` while `start` is all blank or comment.
fn edn_stream(start: &[u8]) -> Option<bool> {
    let mut i = 0;
    while let Some(&b) = start.get(i) {
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b';' => i += start[i..].iter().position(|&b| b == b'\n')? + 1,
            b'{' => return Some(true),
            // A tagged op map (`#jepsen.history.Op{…}`); not a discard, which could hide
            // the vector the history is.
            b'#' => return Some(start.get(i + 1)?.is_ascii_alphabetic()),
            _ => return Some(false),
        }
    }
    None
}

/// Reads the history file `path` (in the format its extension names) straight into the
/// compact form and checks it: [`Transactions::read_file`], then
/// [`Transactions::check`]. The result is the one [`check`](super::check) gives for the
/// file's events, without ever holding them.
///
/// ```
/// use lockstep_history::checker::txn::{self, Options};
///
/// let path = std::env::temp_dir().join(format!("txn-doc-{}.jsonl", std::process::id()));
/// std::fs::write(&path, concat!(
///     r#"{"index":0,"type":"invoke","process":0,"value":[["append",1,1]]}"#, "\n",
///     r#"{"index":1,"type":"ok","process":0,"value":[["append",1,1]]}"#, "\n",
///     r#"{"index":2,"type":"invoke","process":1,"value":[["r",1,null]]}"#, "\n",
///     r#"{"index":3,"type":"ok","process":1,"value":[["r",1,[1]]]}"#, "\n",
/// )).unwrap();
/// let analysis = txn::check_file(&path, &Options::default()).unwrap();
/// assert!(analysis.is_valid());
/// # std::fs::remove_file(&path).unwrap();
/// ```
///
/// # Errors
/// As [`Transactions::read_file`] and [`Transactions::check`], the latter with the path.
pub fn check_file(path: impl AsRef<Path>, options: &Options) -> Result<Analysis, ReadError> {
    let path = path.as_ref();
    Transactions::read_file(path, options.workload)?
        .check(options)
        .map_err(|error| ReadError::Transactions {
            path: Some(path.to_path_buf()),
            error,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::txn::ConsistencyModel;

    const HISTORY: &str = "; a stream of op maps, as Jepsen writes history.edn
{:process 0 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 1 1]]}
{:process 1 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 2 1]]}

{:process 0 :type :ok :value [[:r 1 []] [:r 2 []] [:append 1 1]]}, {:process 1 :type :ok :value [[:r 1 []] [:r 2 []] [:append 2 1]]}
#jepsen.history.Op{:process 2 :type :invoke :value [[:r 1 nil] [:r 2 nil]]}
{:process 2 :type :ok :value [[:r 1 [1]] [:r 2 [1]]]}
";

    fn temp(name: &str, text: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("txn-chunks-{}-{name}", std::process::id()));
        fs::write(&path, text).unwrap();
        path
    }

    fn options() -> Options {
        Options {
            consistency_models: ConsistencyModel::all().to_vec(),
            ..Options::default()
        }
    }

    /// Read in pieces of every size, from a few bytes (pieces that hold no whole line
    /// grow until they do) to the whole file, the history is the one read whole.
    #[test]
    fn pieces_of_any_size_read_as_the_whole_file() {
        let events = format::parse(HISTORY.as_bytes(), Format::Edn).unwrap();
        let mut jsonl = Vec::new();
        format::write(&mut jsonl, &events, Format::Jsonl).unwrap();
        for (f, text) in [
            (Format::Edn, HISTORY.as_bytes()),
            (Format::Jsonl, &jsonl[..]),
        ] {
            let path = temp(&format!("whole.{f}"), text);
            let expected = super::super::check(&events, &options()).unwrap();
            assert_eq!(expected.anomaly_names(), ["G2-item"]);
            for chunk in [1, 7, 60, 200, 1 << 20] {
                let txns = read_in_chunks(&path, f, Workload::ListAppend, chunk)
                    .unwrap_or_else(|| panic!("{f} in pieces of {chunk}"));
                assert_eq!(txns.check(&options()).unwrap(), expected, "{f} {chunk}");
                assert_eq!(txns.events(), 6);
            }
            fs::remove_file(&path).unwrap();
        }
    }

    /// What the pieces cannot read is left to the whole file's reading: a vector of op
    /// maps, an op map over several lines, malformed input, out of order lines.
    #[test]
    fn what_pieces_cannot_read_is_read_whole() {
        let events = format::parse(HISTORY.as_bytes(), Format::Edn).unwrap();
        let mut vector = Vec::new();
        format::write(&mut vector, &events, Format::Edn).unwrap();
        let several_lines = HISTORY.replace(" :value", "\n :value");
        let mut shuffled = Vec::new();
        format::write(&mut shuffled, &events, Format::Jsonl).unwrap();
        let mut lines: Vec<&[u8]> = shuffled.split_inclusive(|&b| b == b'\n').collect();
        lines.swap(0, 1);
        let shuffled = lines.concat();
        // Op maps, then a vector or a list of them: bad input, on the last line with or
        // without its newline, or in the middle.
        let mut then_vector = HISTORY.to_owned();
        then_vector.push_str("[{:process 0 :type :invoke :value []}]");
        let then_list = format!("{HISTORY}; a comment\n({{:process 0 :type :invoke :value []}})\n");
        let mut inside = HISTORY
            .lines()
            .map(|l| format!("{l}\n"))
            .collect::<Vec<_>>();
        inside.insert(3, String::from("[{:process 9 :type :invoke :value []}]\n"));
        let inside = inside.concat();
        let cases: [(Format, &[u8], bool); 8] = [
            (Format::Edn, then_vector.as_bytes(), false),
            (Format::Edn, then_list.as_bytes(), false),
            (Format::Edn, inside.as_bytes(), false),
            (Format::Edn, &vector, false),
            (Format::Edn, several_lines.as_bytes(), true),
            (Format::Edn, b"{:process 0 :type :ok :value []}", false),
            (
                Format::Edn,
                b"#_ [] [{:process 0 :type :invoke :value []}]",
                false,
            ),
            (Format::Jsonl, &shuffled, false),
        ];
        for (i, (f, text, whole_fits)) in cases.into_iter().enumerate() {
            let path = temp(&format!("odd-{i}.{f}"), text);
            assert!(
                read_in_chunks(&path, f, Workload::ListAppend, 16).is_none(),
                "{i}"
            );
            // A piece large enough for the whole file reads an op map of several lines.
            assert_eq!(
                read_in_chunks(&path, f, Workload::ListAppend, 1 << 20).is_some(),
                whole_fits,
                "{i}"
            );
            let got = Transactions::read_file_as(&path, f, Workload::ListAppend).and_then(|t| {
                t.check(&options())
                    .map_err(|error| ReadError::Transactions { path: None, error })
            });
            let expected = format::parse(text, f)
                .map_err(|e| e.to_string())
                .and_then(|e| super::super::check(&e, &options()).map_err(|e| e.to_string()));
            match (got, expected) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{i}"),
                (Err(a), Err(b)) => assert!(a.to_string().ends_with(&b), "{i}: {a} / {b}"),
                (a, b) => panic!("{i}: {a:?} / {b:?}"),
            }
            fs::remove_file(&path).unwrap();
        }
    }

    /// A torn last line read in pieces is reported on its line in the file.
    #[test]
    fn a_torn_tail_read_in_pieces_keeps_its_line() {
        let events = format::parse(HISTORY.as_bytes(), Format::Edn).unwrap();
        let mut text = Vec::new();
        format::write(&mut text, &events, Format::Jsonl).unwrap();
        text.extend_from_slice(br#"{"index":6,"type":"inv"#);
        let path = temp("torn.jsonl", &text);
        let whole = format::load(&text, Format::Jsonl)
            .unwrap()
            .torn_tail
            .unwrap();
        assert_eq!(whole.line, 7);
        for chunk in [5, 100, 1 << 20] {
            let txns = read_in_chunks(&path, Format::Jsonl, Workload::ListAppend, chunk).unwrap();
            assert_eq!(txns.torn_tail(), Some(&whole), "{chunk}");
        }
        fs::remove_file(&path).unwrap();
    }
}
