//! What a check may spend, how it reads nil, and how it reports progress.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A progress callback: called about ten times a second from the checking threads.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// Settings of a linearizability check.
#[derive(Clone)]
pub struct Options {
    /// Give up with [`super::Verdict::Unknown`] after this long. Default: no limit.
    pub time_limit: Option<Duration>,
    /// Give up with [`super::Verdict::Unknown`] when the search's tables (over all
    /// partitions) would hold more than this many bytes. Default: 2 GiB.
    pub memory_limit: Option<usize>,
    /// Knossos compatibility: an ok read of nil matches any state, as in Knossos's register
    /// models. Default: off (a read of nil means the object was empty).
    pub knossos_nil_reads: bool,
    /// Threads checking partitions in parallel. Default (`None`): every core.
    pub threads: Option<usize>,
    /// Called with the search's progress, for a progress bar.
    pub progress: Option<ProgressFn>,
    /// Always use the general search, even for a model with a polynomial checker
    /// ([`FifoQueue`](crate::model::FifoQueue), [`Stack`](crate::model::Stack) and
    /// [`Set`](crate::model::Set), see [`super::collections`]): for comparison. Default: off.
    pub general_search: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            time_limit: None,
            memory_limit: Some(2 << 30),
            knossos_nil_reads: false,
            threads: None,
            progress: None,
            general_search: false,
        }
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("time_limit", &self.time_limit)
            .field("memory_limit", &self.memory_limit)
            .field("knossos_nil_reads", &self.knossos_nil_reads)
            .field("threads", &self.threads)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .field("general_search", &self.general_search)
            .finish()
    }
}

/// How far a check has come, handed to [`Options::progress`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The partition being searched (0-based), of `partitions`.
    pub partition: usize,
    /// How many partitions the history has.
    pub partitions: usize,
    /// Partitions already decided.
    pub partitions_done: usize,
    /// Operations in this partition.
    pub ops: usize,
    /// Operations linearized on the current search path.
    pub linearized: usize,
    /// The most operations linearized on any path so far.
    pub deepest: usize,
    /// Configurations (linearized set, state) explored so far in this partition.
    pub configurations: usize,
    /// Time since the check started.
    pub elapsed: Duration,
}
