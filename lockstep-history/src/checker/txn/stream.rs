//! Reading a history file of transactions straight into the checker's compact form.
//!
//! [`check`](super::check) takes a history held as [`Event`]s, and a history of a million
//! transactions held that way is over a gigabyte of small vectors. [`Transactions`] is
//! the form the checker works on: transactions and micro-ops in flat arrays, keys and
//! values interned as numbers (a few hundred bytes a transaction). Reading a file with
//! [`Transactions::read_file`] hands each event to the transactional reader as soon as
//! the format's parser has built it and drops it there, so the events never exist all
//! at once: what is held is the file's bytes and the compact form.
//!
//! Every format is read by its own parser, so errors are the ones [`format::load`] gives
//! (file, line, column, event index), and a problem with the transactions is the one
//! [`check`](super::check) gives for the same history. JSON and JSON Lines order events
//! by their `index`: a file whose indices go down somewhere (lines written by racing
//! threads) cannot be read in one pass, and is read again the usual way, as events.

use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use super::history::{self, Reader, Txns};
use super::{Analysis, Error, Options, Workload};
use crate::event::Event;
use crate::format::{self, Format, FormatError, TornTail};

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

/// `path: ` before a message.
struct FileLabel<'a>(Option<&'a Path>);

impl fmt::Display for FileLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, "{}: ", p.display()),
            None => Ok(()),
        }
    }
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
        let mut reader = Reader::new(workload);
        let mut position = 0u64;
        // JSON orders by index: the last index seen, and whether they only went up.
        let mut last = 0u64;
        let mut sorted = true;
        let mut take = |e: Event, by_index: bool| {
            if by_index {
                sorted &= e.index >= last;
                last = e.index;
            }
            if sorted && !reader.is_broken() {
                reader.event(position, e.kind, &e.process, Cow::Owned(e.value));
            }
            position += 1;
        };
        let torn_tail = match format {
            Format::Edn => format::edn::each_event(bytes, |e, _| take(e, false)).map(|()| None),
            Format::Json => format::json::each_event(bytes, |e| take(e, true)).map(|_| None),
            Format::Jsonl => format::jsonl::each_event(bytes, |e, _| take(e, true)),
        }?;
        if !sorted {
            let loaded = format::load(bytes, format)?;
            return Ok(Transactions {
                txns: history::read(&loaded.events, workload)
                    .map_err(|error| ReadError::Transactions { path: None, error })?,
                torn_tail,
            });
        }
        Ok(Transactions {
            txns: reader
                .finish()
                .map_err(|error| ReadError::Transactions { path: None, error })?,
            torn_tail,
        })
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
