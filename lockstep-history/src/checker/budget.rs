//! What a check may spend (time, memory, threads), how it reports progress, and how it is
//! cancelled; shared by every checker.
//!
//! A check builds one [`Meter`] from its [`Budget`] and hands it to every search it runs (one
//! per partition, on several threads). Each search calls [`Meter::checkpoint`] every few
//! hundred steps with the size of its tables, and stops when told to.
//!
//! The memory limit is on *resident* memory: a checkpoint reads the process's resident size
//! (on Linux from `/proc/self/status`, at most every [`RSS_SAMPLE`]) and stops a search when
//! that size, plus what its tables would add on their next growth, passes the limit. The
//! tables' own estimate (over all searches, growth included) is checked as well, so a
//! platform without `/proc` (where [`resident_bytes`] is `None`) still has a bound on what
//! the checker itself holds, though not on the heap data of the model's states.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// A progress callback: called about ten times a second from the checking threads.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// What a check may spend, and how it reports progress. Shared by every checker.
#[derive(Clone)]
pub struct Budget {
    /// Give up (the verdict is unknown) after this long. Default: no limit.
    pub time_limit: Option<Duration>,
    /// Give up when the process's resident memory (or the search tables' estimate, where
    /// resident memory cannot be read) would pass this many bytes. Default:
    /// [`default_memory_limit`], half of the machine's available memory.
    pub memory_limit: Option<usize>,
    /// Threads checking partitions in parallel. Default (`None`): every core.
    pub threads: Option<usize>,
    /// Called with the search's progress, for a progress bar.
    pub progress: Option<ProgressFn>,
    /// Set it (from any thread) to stop the check; the verdict is then unknown.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            time_limit: None,
            memory_limit: Some(default_memory_limit()),
            threads: None,
            progress: None,
            cancel: None,
        }
    }
}

impl fmt::Debug for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Budget")
            .field("time_limit", &self.time_limit)
            .field("memory_limit", &self.memory_limit)
            .field("threads", &self.threads)
            .field("progress", &self.progress.as_ref().map(|_| "callback"))
            .field("cancel", &self.cancel)
            .finish()
    }
}

impl Budget {
    /// How many threads to use for `partitions` independent searches.
    pub fn threads_for(&self, partitions: usize) -> usize {
        self.threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, partitions.max(1))
    }
}

/// How far a check has come, handed to [`Budget::progress`].
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
    /// Operations placed on the current search path.
    pub linearized: usize,
    /// The most operations placed on any path so far.
    pub deepest: usize,
    /// Configurations explored so far in this partition.
    pub configurations: usize,
    /// Time since the check started.
    pub elapsed: Duration,
}

/// Why a check stopped without an answer: a limit of its [`Budget`], or a cancellation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownReason {
    /// [`Budget::time_limit`] passed.
    TimeLimit(Duration),
    /// Resident memory (or the search's tables) reached [`Budget::memory_limit`] bytes.
    MemoryLimit(usize),
    /// [`Budget::cancel`] was set.
    Cancelled,
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnknownReason::TimeLimit(limit) => write!(f, "time limit of {limit:?} reached"),
            UnknownReason::MemoryLimit(bytes) => {
                write!(f, "memory limit of {} MiB reached", bytes >> 20)
            }
            UnknownReason::Cancelled => write!(f, "cancelled"),
        }
    }
}

/// Why a search must stop now.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// Another search of the same check settled the answer (found a violation).
    Settled,
    /// A limit was reached, or the check was cancelled.
    Limit(UnknownReason),
}

/// How often, at most, a checkpoint reads the resident size.
pub const RSS_SAMPLE: Duration = Duration::from_millis(2);

/// `Meter::rss_at` before the resident size was first read.
const UNREAD: u64 = u64::MAX;

/// The running account of one check against its [`Budget`], shared by its searches.
pub struct Meter<'a> {
    budget: &'a Budget,
    started: Instant,
    deadline: Option<Instant>,
    /// Bytes the searches' tables may hold at once, growth included, over all searches.
    tables: AtomicUsize,
    settled: AtomicBool,
    /// The last resident size read, and when (nanoseconds since `started`; [`UNREAD`] until
    /// the first checkpoint reads it, so a check too small to reach one reads nothing).
    rss: AtomicUsize,
    rss_at: AtomicU64,
    /// Partitions decided, for [`Progress::partitions_done`].
    done: AtomicUsize,
    last_progress: AtomicU64,
}

/// What one search has told its [`Meter`] so far.
#[derive(Debug, Default)]
pub struct Account {
    peak: usize,
}

/// The size of a search's tables, as told to [`Meter::checkpoint`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Tables {
    /// Bytes they hold now.
    pub held: usize,
    /// Bytes they may hold at once during their next growth (`held` plus the new copy of the
    /// table that grows).
    pub peak: usize,
}

impl<'a> Meter<'a> {
    /// Starts the clock of a check with `budget`.
    pub fn new(budget: &'a Budget) -> Meter<'a> {
        let started = Instant::now();
        Meter {
            budget,
            started,
            deadline: budget.time_limit.map(|t| started + t),
            tables: AtomicUsize::new(0),
            settled: AtomicBool::new(false),
            rss: AtomicUsize::new(0),
            rss_at: AtomicU64::new(UNREAD),
            done: AtomicUsize::new(0),
            last_progress: AtomicU64::new(0),
        }
    }

    /// The budget it counts against.
    pub fn budget(&self) -> &Budget {
        self.budget
    }

    /// Time since the check started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Tells the other searches that the answer is settled.
    pub fn settle(&self) {
        self.settled.store(true, Ordering::Relaxed);
    }

    /// Whether a search settled the answer.
    pub fn is_settled(&self) -> bool {
        self.settled.load(Ordering::Relaxed)
    }

    /// Counts one more partition decided.
    pub fn partition_done(&self) {
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Partitions decided so far.
    pub fn partitions_done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }

    /// Whether to stop before starting more work: settled, cancelled or out of time.
    pub fn should_stop(&self) -> Option<Stop> {
        if self.is_settled() {
            return Some(Stop::Settled);
        }
        if self.cancelled() {
            return Some(Stop::Limit(UnknownReason::Cancelled));
        }
        self.out_of_time()
    }

    fn cancelled(&self) -> bool {
        self.budget
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }

    fn out_of_time(&self) -> Option<Stop> {
        match (self.deadline, self.budget.time_limit) {
            (Some(at), Some(limit)) if Instant::now() >= at => {
                Some(Stop::Limit(UnknownReason::TimeLimit(limit)))
            }
            _ => None,
        }
    }

    /// Accounts a search's `tables` and says whether it must stop.
    pub fn checkpoint(&self, account: &mut Account, tables: Tables) -> Option<Stop> {
        let total = if tables.peak >= account.peak {
            let more = tables.peak - account.peak;
            self.tables.fetch_add(more, Ordering::Relaxed) + more
        } else {
            let less = account.peak - tables.peak;
            self.tables.fetch_sub(less, Ordering::Relaxed) - less
        };
        account.peak = tables.peak;
        if let Some(stop) = self.should_stop() {
            return Some(stop);
        }
        let limit = self.budget.memory_limit?;
        let growth = tables.peak.saturating_sub(tables.held);
        if total > limit || self.resident().saturating_add(growth) > limit {
            return Some(Stop::Limit(UnknownReason::MemoryLimit(limit)));
        }
        None
    }

    /// Takes a search's tables off the account, once it is over.
    pub fn release(&self, account: Account) {
        self.tables.fetch_sub(account.peak, Ordering::Relaxed);
    }

    /// The resident size, read again if the last reading is older than [`RSS_SAMPLE`].
    fn resident(&self) -> usize {
        let now = self.started.elapsed().as_nanos() as u64;
        let at = self.rss_at.load(Ordering::Relaxed);
        if (at == UNREAD || now.saturating_sub(at) >= RSS_SAMPLE.as_nanos() as u64)
            && self
                .rss_at
                .compare_exchange(at, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            && let Some(rss) = resident_bytes()
        {
            self.rss.store(rss, Ordering::Relaxed);
        }
        self.rss.load(Ordering::Relaxed)
    }

    /// Calls the progress callback with `progress()` if one is set and the last call was at
    /// least 100 ms ago.
    pub fn report(&self, progress: impl FnOnce(Duration) -> Progress) {
        let Some(callback) = &self.budget.progress else {
            return;
        };
        let elapsed = self.started.elapsed();
        let now = elapsed.as_millis() as u64 + 1;
        let last = self.last_progress.load(Ordering::Relaxed);
        if (last == 0 || now - last.min(now) >= 100)
            && self
                .last_progress
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            callback(&progress(elapsed));
        }
    }
}

/// The process's resident memory in bytes, on Linux from the `VmRSS` line of
/// `/proc/self/status` (in KiB, so no page size is assumed); `None` elsewhere or when it
/// cannot be read, and the memory limit then bounds the search tables' estimate only.
pub fn resident_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_field(&status, "VmRSS")
}

/// The value of a `Name:   1234 kB` line, in bytes.
fn kib_field(text: &str, name: &str) -> Option<usize> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        let kib: usize = rest.trim().strip_suffix("kB")?.trim().parse().ok()?;
        Some(kib.saturating_mul(1024))
    })
}

/// The default memory limit: half of the memory available to the process (Linux
/// `MemAvailable` in `/proc/meminfo`, or `MemTotal` if that is missing); 2 GiB where it
/// cannot be read.
pub fn default_memory_limit() -> usize {
    const FALLBACK: usize = 2 << 30;
    let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") else {
        return FALLBACK;
    };
    kib_field(&meminfo, "MemAvailable")
        .or_else(|| kib_field(&meminfo, "MemTotal"))
        .map_or(FALLBACK, |bytes| bytes / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_size_is_read_where_proc_exists() {
        if std::path::Path::new("/proc/self/status").exists() {
            let before = resident_bytes().unwrap();
            let block = vec![1u8; 64 << 20];
            let after = resident_bytes().unwrap();
            assert!(after >= before + (60 << 20), "{before} -> {after}");
            drop(block);
        } else {
            assert_eq!(resident_bytes(), None);
        }
    }

    #[test]
    fn the_default_limit_is_a_share_of_the_machine() {
        let limit = default_memory_limit();
        assert!(limit > 0);
        if let Ok(meminfo) = std::fs::read_to_string("/proc/meminfo") {
            let total_kib: usize = meminfo
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|r| r.trim().strip_suffix("kB"))
                .and_then(|r| r.trim().parse().ok())
                .unwrap();
            assert!(limit <= total_kib * 1024 / 2);
        }
    }

    #[test]
    fn a_checkpoint_stops_at_the_resident_limit() {
        if resident_bytes().is_none() {
            println!("skipped: resident memory cannot be read on this platform");
            return;
        }
        let budget = Budget {
            memory_limit: resident_bytes().map(|rss| rss / 2),
            ..Budget::default()
        };
        let meter = Meter::new(&budget);
        let mut account = Account::default();
        let small = Tables { held: 1, peak: 2 };
        assert_eq!(
            meter.checkpoint(&mut account, small),
            Some(Stop::Limit(UnknownReason::MemoryLimit(
                budget.memory_limit.unwrap()
            )))
        );
        meter.release(account);
    }

    #[test]
    fn cancellation_and_settling_stop_searches() {
        let cancel = Arc::new(AtomicBool::new(false));
        let budget = Budget {
            memory_limit: None,
            cancel: Some(Arc::clone(&cancel)),
            ..Budget::default()
        };
        let meter = Meter::new(&budget);
        let mut account = Account::default();
        assert_eq!(meter.checkpoint(&mut account, Tables::default()), None);
        cancel.store(true, Ordering::Relaxed);
        assert_eq!(
            meter.should_stop(),
            Some(Stop::Limit(UnknownReason::Cancelled))
        );
        meter.settle();
        assert_eq!(meter.should_stop(), Some(Stop::Settled));
    }
}
