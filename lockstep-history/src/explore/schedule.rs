//! Schedules as strings a person can paste into a test, and the scheduler wrapper that
//! writes each iteration's schedule down as it is chosen.
//!
//! A schedule is the seed of shuttle's random data source and the task chosen at each
//! scheduling step: `"<seed in hex>:<steps>"`, each step one base-36 digit naming a task
//! (`(42)` for a task numbered 36 or more) or `*` for a random value drawn.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::rc::Rc;

use shuttle::scheduler::{Schedule, Scheduler, Task, TaskId};

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

/// One execution's schedule as it was chosen: the data source's seed and each step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Taken {
    seed: u64,
    steps: Vec<Step>,
}

/// One scheduling step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The task that ran next.
    Task(usize),
    /// A random value drawn from the data source.
    Random,
}

impl Taken {
    /// The schedule as a string; [`decode`] reads it back.
    pub(crate) fn encode(&self) -> String {
        let mut out = format!("{:x}:", self.seed);
        for step in &self.steps {
            match *step {
                Step::Task(id) if id < 36 => {
                    out.extend(char::from_digit(id as u32, 36));
                }
                Step::Task(id) => {
                    let _ = write!(out, "({id})");
                }
                Step::Random => out.push('*'),
            }
        }
        out
    }
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

/// Lets exactly one execution through `inner` (which lives on across many of them) and
/// writes down its schedule.
pub(crate) struct Tracker {
    inner: Rc<RefCell<Box<dyn Scheduler + Send>>>,
    taken: Rc<RefCell<Taken>>,
    started: bool,
}

impl Tracker {
    /// One execution of `inner`, recording its schedule into `taken`.
    pub(crate) fn new(
        inner: &Rc<RefCell<Box<dyn Scheduler + Send>>>,
        taken: &Rc<RefCell<Taken>>,
    ) -> Tracker {
        Tracker {
            inner: Rc::clone(inner),
            taken: Rc::clone(taken),
            started: false,
        }
    }
}

impl Scheduler for Tracker {
    fn new_execution(&mut self) -> Option<Schedule> {
        if std::mem::replace(&mut self.started, true) {
            return None;
        }
        // PCT refuses a second execution of a body that never had two tasks runnable at
        // once; there is nothing more to explore then, so the run ends rather than fails.
        let inner = &self.inner;
        let schedule = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            inner.borrow_mut().new_execution()
        }))
        .ok()
        .flatten()?;
        // Every shuttle scheduler starts an execution with no steps, only a seed.
        *self.taken.borrow_mut() = Taken {
            seed: schedule.seed,
            steps: Vec::new(),
        };
        Some(schedule)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let next = self
            .inner
            .borrow_mut()
            .next_task(runnable, current, is_yielding);
        if let Some(id) = next {
            self.taken
                .borrow_mut()
                .steps
                .push(Step::Task(usize::from(id)));
        }
        next
    }

    fn next_u64(&mut self) -> u64 {
        self.taken.borrow_mut().steps.push(Step::Random);
        self.inner.borrow_mut().next_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let mut steps: Vec<Step> = [0, 1, 35, 36, 2, 1000].map(Step::Task).to_vec();
        steps.extend([Step::Random, Step::Task(0)]);
        let taken = Taken {
            seed: 0xdead_beef,
            steps,
        };
        let mut schedule = Schedule::new(0xdead_beef);
        for step in &taken.steps {
            match *step {
                Step::Task(id) => schedule.push_task(TaskId::from(id)),
                Step::Random => schedule.push_random(),
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
