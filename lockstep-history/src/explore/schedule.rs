//! Schedules as strings a person can paste into a test, and the scheduler wrapper that
//! writes each iteration's schedule down as it is chosen.
//!
//! A schedule is the seed of shuttle's random data source and the task chosen at each
//! scheduling step: `"<seed in hex>:<steps>"`, each step one base-36 digit naming a task
//! (`(42)` for a task numbered 36 or more) or `*` for a random value drawn.

use std::fmt::Write as _;

use shuttle::scheduler::{
    DfsScheduler, PctScheduler, RandomScheduler, ReplayScheduler, Schedule, Scheduler, Task, TaskId,
};

/// A schedule string that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// No `:` between the seed and the steps.
    #[error("schedule has no ':' after its seed (expected \"<seed in hex>:<steps>\")")]
    NoSeed,
    /// The seed is not a hexadecimal 64-bit number.
    #[error("schedule seed {seed:?} is not a hexadecimal 64-bit number")]
    Seed {
        /// The text before the `:`.
        seed: String,
    },
    /// A step is neither a base-36 digit, `*`, nor a number in parentheses.
    #[error("schedule step at column {column} is {found:?}, not a task (0-9, a-z, (n)) or '*'")]
    Step {
        /// 1-based column in the string.
        column: usize,
        /// What is there.
        found: String,
    },
}

/// One execution's schedule as it was chosen: the data source's seed and each step, a
/// task's number or [`RANDOM`]. A step is written at every scheduling decision and read
/// only when a failure's schedule is encoded, so it is kept as a plain number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Taken {
    seed: u64,
    steps: Vec<u32>,
}

/// The step that drew a random value from the data source (no task has this number: shuttle
/// numbers tasks from 0 in the order an execution creates them).
const RANDOM: u32 = u32::MAX;

impl Taken {
    /// The schedule as a string; [`decode`] reads it back.
    pub(crate) fn encode(&self) -> String {
        let mut out = format!("{:x}:", self.seed);
        for &step in &self.steps {
            match step {
                RANDOM => out.push('*'),
                id if id < 36 => out.extend(char::from_digit(id, 36)),
                id => {
                    let _ = write!(out, "({id})");
                }
            }
        }
        out
    }
}

/// One of shuttle's schedulers. The explorer runs each kind through code of its own
/// (see `run_executions`), so that the tracker calls it directly at every scheduling
/// decision rather than through a `Box<dyn Scheduler>`.
pub(crate) enum Chooser {
    /// [`Strategy::Random`](super::Strategy::Random).
    Random(RandomScheduler),
    /// [`Strategy::Pct`](super::Strategy::Pct).
    Pct(PctScheduler),
    /// [`Strategy::Dfs`](super::Strategy::Dfs).
    Dfs(DfsScheduler),
    /// A schedule string, replayed.
    Replay(ReplayScheduler),
}

/// Reads a string written by [`Taken::encode`]; whitespace is ignored, so a wrapped string works.
pub(crate) fn decode(text: &str) -> Result<Schedule, ScheduleError> {
    let (seed, steps) = text.split_once(':').ok_or(ScheduleError::NoSeed)?;
    let seed_text: String = seed.chars().filter(|c| !c.is_whitespace()).collect();
    let seed = u64::from_str_radix(&seed_text, 16).map_err(|_| ScheduleError::Seed {
        seed: seed_text.clone(),
    })?;
    let mut schedule = Schedule::new(seed);
    let offset = text.len() - steps.len();
    let mut chars = steps.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let column = offset + at + 1;
        if c.is_whitespace() {
            continue;
        }
        if c == '*' {
            schedule.push_random();
        } else if c == '(' {
            let mut digits = String::new();
            for (_, d) in chars.by_ref() {
                if d == ')' {
                    break;
                }
                digits.push(d);
            }
            let id: usize = digits.parse().map_err(|_| ScheduleError::Step {
                column,
                found: format!("({digits}"),
            })?;
            schedule.push_task(TaskId::from(id));
        } else if let Some(id) = c.to_digit(36).filter(|_| !c.is_ascii_uppercase()) {
            schedule.push_task(TaskId::from(id as usize));
        } else {
            return Err(ScheduleError::Step {
                column,
                found: c.to_string(),
            });
        }
    }
    Ok(schedule)
}

/// Passes a strategy's choices on to shuttle and writes each execution's schedule down as
/// it is chosen (the explorer reads it once the execution is over).
pub(crate) struct Tracker<S> {
    inner: S,
    taken: Taken,
    /// Whether any execution so far had a choice: two tasks runnable at once, or a random
    /// value drawn.
    had_choice: bool,
    /// Executions started.
    started: usize,
}

impl<S> Tracker<S> {
    /// Follows `inner`'s choices, writing each execution's schedule down.
    pub(crate) fn new(inner: S) -> Tracker<S> {
        Tracker {
            inner,
            taken: Taken::default(),
            had_choice: false,
            started: 0,
        }
    }

    /// The schedule of the execution under way, or of the last one.
    pub(crate) fn taken(&self) -> &Taken {
        &self.taken
    }

    /// Takes the schedule of the execution under way, or of the last one.
    pub(crate) fn take(&mut self) -> Taken {
        std::mem::take(&mut self.taken)
    }
}

impl<S: Scheduler> Scheduler for Tracker<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        // A body whose executions never had a choice has one schedule, already run; PCT
        // would refuse (panic) to start another, so the run ends there.
        if self.started > 0 && !self.had_choice {
            return None;
        }
        // Should a body draw random values without ever running two tasks at once, PCT
        // still refuses; that ends the run too rather than failing it.
        let inner = &mut self.inner;
        let schedule =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.new_execution()))
                .ok()
                .flatten()?;
        self.started += 1;
        // Every shuttle scheduler starts an execution with no steps, only a seed. The step
        // list keeps its capacity from one execution to the next.
        self.taken.seed = schedule.seed;
        self.taken.steps.clear();
        Some(schedule)
    }

    #[inline]
    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        self.had_choice |= runnable.len() > 1;
        let next = self.inner.next_task(runnable, current, is_yielding);
        if let Some(id) = next {
            // Shuttle numbers tasks from 0 as an execution creates them: far below `RANDOM`.
            self.taken.steps.push(usize::from(id) as u32);
        }
        next
    }

    fn next_u64(&mut self) -> u64 {
        self.had_choice = true;
        self.taken.steps.push(RANDOM);
        self.inner.next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let taken = Taken {
            seed: 0xdead_beef,
            steps: vec![0, 1, 35, 36, 2, 1000, RANDOM, 0],
        };
        let mut schedule = Schedule::new(0xdead_beef);
        for &step in &taken.steps {
            match step {
                RANDOM => schedule.push_random(),
                id => schedule.push_task(TaskId::from(id as usize)),
            }
        }
        let text = taken.encode();
        assert_eq!(text, "deadbeef:01z(36)2(1000)*0");
        assert_eq!(decode(&text).unwrap(), schedule);
        assert_eq!(
            decode(" dead\nbeef : 01 z(36)2(1000)*0\n").unwrap(),
            schedule
        );
    }

    #[test]
    fn bad_strings_name_the_problem() {
        assert_eq!(decode("0123"), Err(ScheduleError::NoSeed));
        assert!(matches!(decode("xyz:01"), Err(ScheduleError::Seed { .. })));
        assert_eq!(
            decode("ff:01?"),
            Err(ScheduleError::Step {
                column: 6,
                found: "?".into()
            })
        );
        assert!(matches!(
            decode("ff:(x)"),
            Err(ScheduleError::Step { column: 4, .. })
        ));
        assert!(matches!(decode("ff:A"), Err(ScheduleError::Step { .. })));
    }
}
