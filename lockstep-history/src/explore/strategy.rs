//! Which of shuttle's schedulers picks the interleavings.

use std::fmt;

use shuttle::scheduler::{DfsScheduler, PctScheduler, RandomScheduler};

use super::schedule::Chooser;

/// How an [`Explorer`](super::Explorer) chooses each iteration's schedule.
///
/// ```
/// use lockstep_history::explore::Strategy;
///
/// assert_eq!(Strategy::pct(3, 7).to_string(), "PCT depth 3, seed 7");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Each step picks a runnable task uniformly at random.
    Random {
        /// Seeds the scheduler, so a run is repeatable.
        seed: u64,
    },
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): random task
    /// priorities with `depth - 1` priority changes at random steps. Finds any bug that needs
    /// at most `depth` ordering constraints with a probability that does not fall with the
    /// number of iterations run.
    Pct {
        /// The bug depth looked for (at least 1).
        depth: usize,
        /// Seeds the scheduler, so a run is repeatable.
        seed: u64,
    },
    /// Depth-first enumeration of schedules, in order, up to the iteration bound.
    Dfs,
}

impl Strategy {
    /// [`Strategy::Random`] with `seed`.
    pub fn random(seed: u64) -> Strategy {
        Strategy::Random { seed }
    }

    /// [`Strategy::Pct`] with `depth` (raised to 1 if 0) and `seed`.
    pub fn pct(depth: usize, seed: u64) -> Strategy {
        Strategy::Pct {
            depth: depth.max(1),
            seed,
        }
    }

    /// [`Strategy::Dfs`].
    pub fn dfs() -> Strategy {
        Strategy::Dfs
    }

    /// The scheduler for a run of at most `iterations` executions.
    pub(crate) fn scheduler(self, iterations: usize) -> Chooser {
        match self {
            Strategy::Random { seed } => {
                Chooser::Random(RandomScheduler::new_from_seed(seed, iterations))
            }
            Strategy::Pct { depth, seed } => {
                Chooser::Pct(PctScheduler::new_from_seed(seed, depth.max(1), iterations))
            }
            Strategy::Dfs => Chooser::Dfs(DfsScheduler::new(Some(iterations), false)),
        }
    }

    /// The same strategy with its seed moved on by `offset` (DFS has none).
    pub(crate) fn offset_seed(self, offset: u64) -> Strategy {
        match self {
            Strategy::Random { seed } => Strategy::Random {
                seed: seed.wrapping_add(offset),
            },
            Strategy::Pct { depth, seed } => Strategy::Pct {
                depth,
                seed: seed.wrapping_add(offset),
            },
            Strategy::Dfs => Strategy::Dfs,
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Random { seed } => write!(f, "random, seed {seed}"),
            Strategy::Pct { depth, seed } => write!(f, "PCT depth {depth}, seed {seed}"),
            Strategy::Dfs => f.write_str("DFS"),
        }
    }
}
