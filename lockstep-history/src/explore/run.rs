//! Running a test body many times under a scheduler, one fresh history per iteration.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};

use shuttle::scheduler::{ReplayScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, Runner};

use super::failure::{self, Cause, Failure};
use super::oracle::{Judgement, Oracle};
use super::schedule::{self, ScheduleError, Taken, Tracker};
use super::strategy::Strategy;
use crate::history::History;

/// Runs a test body under shuttle, records a fresh history per iteration and checks each
/// one, stopping at the first that fails.
///
/// ```
/// use lockstep_history::explore::{Explorer, Strategy};
/// use lockstep_history::model::Counter;
/// use lockstep_history::{current, spawn};
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicI64, Ordering};
///
/// // A counter whose read and add are atomic: every schedule is linearizable.
/// let summary = Explorer::new(Strategy::random(3)).iterations(20).check(&Counter::new(0), || {
///     let n = Arc::new(AtomicI64::new(0));
///     let adder = {
///         let n = Arc::clone(&n);
///         spawn(move || current().unwrap().op("add", 1, || { n.fetch_add(1, Ordering::SeqCst); }))
///     };
///     current().unwrap().op("read", (), || n.load(Ordering::SeqCst));
///     adder.join().unwrap();
/// });
/// assert_eq!(summary.iterations, 20);
/// ```
#[derive(Clone, Debug)]
pub struct Explorer {
    plan: Plan,
    iterations: usize,
    name: Option<String>,
}

/// Where schedules come from.
#[derive(Clone, Debug)]
enum Plan {
    /// A scheduler's choices.
    Explore(Strategy),
    /// Exactly this schedule, once (a string from a [`Failure`]).
    Replay(String),
}

/// What a run that found no failure did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Iterations run (fewer than asked when DFS ran out of schedules).
    pub iterations: usize,
    /// Iterations whose check ended unknown (a time or memory limit).
    pub unknown: usize,
}

impl Explorer {
    /// Explores with `strategy`, 100 iterations unless [`Explorer::iterations`] says otherwise.
    pub fn new(strategy: Strategy) -> Explorer {
        Explorer {
            plan: Plan::Explore(strategy),
            iterations: 100,
            name: None,
        }
    }

    /// Runs exactly `schedule` (a [`Failure::schedule`]) once: put it in place of the
    /// explorer that found the failure to see the same history again.
    pub fn replay(schedule: &str) -> Explorer {
        Explorer {
            plan: Plan::Replay(schedule.to_string()),
            iterations: 1,
            name: None,
        }
    }

    /// How many iterations to run at most.
    pub fn iterations(mut self, iterations: usize) -> Explorer {
        self.iterations = iterations;
        self
    }

    /// Names the report file (`target/lockstep/<name>.html`); by default the name of the
    /// calling thread, which under `cargo test` is the test's name.
    pub fn name(mut self, name: impl Into<String>) -> Explorer {
        self.name = Some(name.into());
        self
    }

    /// The strategy, or `None` for a replay.
    pub fn strategy(&self) -> Option<Strategy> {
        match self.plan {
            Plan::Explore(strategy) => Some(strategy),
            Plan::Replay(_) => None,
        }
    }

    /// Runs `body` once per iteration inside a shuttle execution, with a fresh history
    /// installed, and checks each history with `oracle`. Threads started with
    /// [`crate::spawn`] inside `body` are shuttle threads, each a process of its own.
    ///
    /// # Errors
    /// The first failing iteration (a history the oracle rejects, or a panic), with its
    /// schedule; its HTML report is written under `target/lockstep/`.
    pub fn run<O, B>(&self, oracle: &O, body: B) -> Result<Summary, Box<Failure>>
    where
        O: Oracle + ?Sized,
        B: Fn() + Send + Sync + 'static,
    {
        self.explore(oracle, Arc::new(body), true)
    }

    /// [`Explorer::run`], panicking with the failure (counterexample, schedule, the call
    /// that replays it, the report's path) if an iteration fails.
    #[track_caller]
    pub fn check<O, B>(&self, oracle: &O, body: B) -> Summary
    where
        O: Oracle + ?Sized,
        B: Fn() + Send + Sync + 'static,
    {
        match self.run(oracle, body) {
            Ok(summary) => summary,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// This explorer with its strategy's seed moved on by `offset`.
    pub(crate) fn offset_seed(&self, offset: u64) -> Explorer {
        let mut explorer = self.clone();
        if let Plan::Explore(strategy) = explorer.plan {
            explorer.plan = Plan::Explore(strategy.offset_seed(offset));
        }
        explorer
    }

    /// An explorer that replays `schedule` once, writing its report under this one's name.
    pub(crate) fn replaying(&self, schedule: &str) -> Explorer {
        Explorer {
            name: self.name.clone(),
            ..Explorer::replay(schedule)
        }
    }

    /// The run itself; `report` says whether a failure writes its HTML report (shrinking
    /// tries many failing candidates and reports only the last).
    pub(crate) fn explore<O: Oracle + ?Sized>(
        &self,
        oracle: &O,
        body: Arc<dyn Fn() + Send + Sync>,
        report: bool,
    ) -> Result<Summary, Box<Failure>> {
        let strategy = self.strategy().unwrap_or(Strategy::Dfs);
        let inner = match self.scheduler() {
            Ok(scheduler) => Rc::new(RefCell::new(scheduler)),
            Err(e) => {
                return Err(Box::new(Failure {
                    iteration: 0,
                    strategy,
                    schedule: self.replayed().unwrap_or_default().to_string(),
                    events: Vec::new(),
                    cause: Cause::Panicked(format!("the schedule cannot be replayed: {e}")),
                    report: None,
                }));
            }
        };
        let taken = Rc::new(RefCell::new(Taken::default()));
        let mut summary = Summary::default();
        for iteration in 1..=self.iterations {
            let (ran, history) = run_once(Tracker::new(&inner, &taken), Arc::clone(&body));
            let fail = |cause: Cause, analysis| {
                let events = history.as_ref().map(History::events).unwrap_or_default();
                let report = report
                    .then(|| failure::write_report(&self.report_name(), &events, analysis))
                    .flatten();
                Box::new(Failure {
                    iteration,
                    strategy,
                    schedule: taken.borrow().encode(),
                    events,
                    cause,
                    report,
                })
            };
            match ran {
                Err(message) => return Err(fail(Cause::Panicked(message), Default::default())),
                Ok(0) => break,
                Ok(_) => {}
            }
            summary.iterations += 1;
            let events = history.as_ref().map(History::events).unwrap_or_default();
            match oracle.judge(&events) {
                Judgement::Valid => {}
                Judgement::Unknown(_) => summary.unknown += 1,
                Judgement::Invalid {
                    explanation,
                    analysis,
                } => return Err(fail(Cause::Invalid(explanation), *analysis)),
            }
        }
        Ok(summary)
    }

    fn scheduler(&self) -> Result<Box<dyn Scheduler + Send>, ScheduleError> {
        match &self.plan {
            Plan::Explore(strategy) => Ok(strategy.scheduler(self.iterations)),
            Plan::Replay(text) => Ok(Box::new(ReplayScheduler::new_from_schedule(
                schedule::decode(text)?,
            ))),
        }
    }

    fn replayed(&self) -> Option<&str> {
        match &self.plan {
            Plan::Replay(text) => Some(text),
            Plan::Explore(_) => None,
        }
    }

    fn report_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            std::thread::current()
                .name()
                .filter(|n| *n != "main")
                .unwrap_or("explore")
                .to_string()
        })
    }
}

/// Runs `schedule` (a [`Failure::schedule`]) once and returns the history `body` recorded:
/// the same events, in the same order, on the same processes as the run that found it
/// (only the `time` of each event differs, as it is read from the clock).
///
/// # Errors
/// [`ScheduleError`] when the string cannot be read.
pub fn replay<B>(schedule: &str, body: B) -> Result<History, ScheduleError>
where
    B: Fn() + Send + Sync + 'static,
{
    let scheduler: Box<dyn Scheduler + Send> = Box::new(ReplayScheduler::new_from_schedule(
        schedule::decode(schedule)?,
    ));
    let inner = Rc::new(RefCell::new(scheduler));
    let taken = Rc::new(RefCell::new(Taken::default()));
    let (ran, history) = run_once(Tracker::new(&inner, &taken), Arc::new(body));
    if let Err(message) = ran {
        panic!("the replayed schedule panicked: {message}");
    }
    Ok(history.unwrap_or_default())
}

/// One shuttle execution of `body` under `tracker`, with a fresh history installed: the
/// number of executions run (0 when the scheduler had no more) or the panic's message, and
/// the history (also when it panicked).
fn run_once(
    tracker: Tracker,
    body: Arc<dyn Fn() + Send + Sync>,
) -> (Result<usize, String>, Option<History>) {
    let mut config = Config::new();
    // Recording and value conversion want more stack than shuttle's default.
    config.stack_size = 0x40000;
    // The failure reports its own schedule, in the form `replay` reads.
    config.failure_persistence = FailurePersistence::None;
    let slot: Arc<Mutex<Option<History>>> = Arc::default();
    let shared = Arc::clone(&slot);
    let ran = panic::catch_unwind(AssertUnwindSafe(|| {
        Runner::new(tracker, config).run(move || {
            let history = History::new();
            *shared.lock().unwrap_or_else(PoisonError::into_inner) = Some(history.clone());
            history.in_scope(|| body());
        })
    }))
    .map_err(|payload| panic_message(&*payload));
    let history = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    (ran, history)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a payload that is not text".to_string()
    }
}
