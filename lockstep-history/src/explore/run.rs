//! Running a test body many times under a scheduler, one fresh history per iteration.

use std::cell::{Cell, RefCell};
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};

use shuttle::scheduler::{ReplayScheduler, Schedule, Scheduler, Task, TaskId};
use shuttle::{Config, FailurePersistence, Runner};

use super::failure::{self, Cause, Failure};
use super::oracle::{Judgement, Oracle};
use super::schedule::{self, Chooser, ScheduleError, Taken, Tracker};
use super::strategy::Strategy;
use super::task_local;
use crate::checker::Budget;
use crate::event::Event;
use crate::history::History;
use crate::report::Analysis;

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
    budget: Option<Budget>,
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
            budget: None,
        }
    }

    /// Runs exactly `schedule` (a [`Failure::schedule`]) once: put it in place of the
    /// explorer that found the failure to see the same history again.
    pub fn replay(schedule: &str) -> Explorer {
        Explorer {
            plan: Plan::Replay(schedule.to_string()),
            iterations: 1,
            name: None,
            budget: None,
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

    /// What each iteration's check may spend (time, memory, threads). By default
    /// [`Budget::default`] (taken once per run) on one thread: each iteration's check runs
    /// between two executions, and a history of one iteration is too small to gain from
    /// starting threads.
    pub fn budget(mut self, budget: Budget) -> Explorer {
        self.budget = Some(budget);
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
            budget: self.budget.clone(),
            ..Explorer::replay(schedule)
        }
    }

    /// The run itself; `report` says whether a failure writes its HTML report (shrinking
    /// tries many failing candidates and reports only the last).
    ///
    /// All iterations are executions of one shuttle run, so shuttle keeps its task stacks
    /// from one to the next; each finished execution is checked before the next starts.
    pub(crate) fn explore<O: Oracle + ?Sized>(
        &self,
        oracle: &O,
        body: Arc<dyn Fn() + Send + Sync>,
        report: bool,
    ) -> Result<Summary, Box<Failure>> {
        let strategy = self.strategy().unwrap_or(Strategy::Dfs);
        let fail = |iteration, schedule, events: Vec<Event>, cause, analysis| {
            let report = report
                .then(|| failure::write_report(&self.report_name(), &events, analysis))
                .flatten();
            Box::new(Failure {
                iteration,
                strategy,
                schedule,
                events,
                cause,
                report,
            })
        };
        let scheduler = match self.scheduler() {
            Ok(scheduler) => scheduler,
            Err(e) => {
                let schedule = self.replayed().unwrap_or_default().to_string();
                let cause = Cause::Panicked(format!("the schedule cannot be replayed: {e}"));
                return Err(fail(0, schedule, Vec::new(), cause, Analysis::default()));
            }
        };
        let budget = self.budget.clone().unwrap_or_else(|| Budget {
            threads: Some(1),
            ..Budget::default()
        });
        let mut summary = Summary::default();
        let mut invalid = None;
        let mut judge = |iteration: usize, _: Option<History>, events: &[Event], taken: &Taken| {
            summary.iterations += 1;
            match oracle.judge(events, &budget) {
                Judgement::Valid => ControlFlow::Continue(()),
                Judgement::Unknown(_) => {
                    summary.unknown += 1;
                    ControlFlow::Continue(())
                }
                Judgement::Invalid {
                    explanation,
                    analysis,
                } => {
                    let cause = Cause::Invalid(explanation);
                    let events = events.to_vec();
                    invalid = Some(fail(iteration, taken.encode(), events, cause, *analysis));
                    ControlFlow::Break(())
                }
            }
        };
        let ran = run_executions(scheduler, self.iterations, body, &mut judge);
        if let Some(failure) = invalid {
            return Err(failure);
        }
        match ran.panicked {
            Some(message) => {
                let events = ran
                    .history
                    .as_ref()
                    .map(History::events)
                    .unwrap_or_default();
                let schedule = ran.taken.encode();
                let cause = Cause::Panicked(message);
                Err(fail(
                    ran.started,
                    schedule,
                    events,
                    cause,
                    Analysis::default(),
                ))
            }
            None => Ok(summary),
        }
    }

    fn scheduler(&self) -> Result<Chooser, ScheduleError> {
        match &self.plan {
            Plan::Explore(strategy) => Ok(strategy.scheduler(self.iterations)),
            Plan::Replay(text) => Ok(Chooser::Replay(ReplayScheduler::new_from_schedule(
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
/// the same events, in the same order, on the same processes as the run that found it,
/// equal in every field (an execution's clock is logical: an event's `time` is its index).
///
/// # Errors
/// [`ScheduleError`] when the string cannot be read.
pub fn replay<B>(schedule: &str, body: B) -> Result<History, ScheduleError>
where
    B: Fn() + Send + Sync + 'static,
{
    let scheduler = Chooser::Replay(ReplayScheduler::new_from_schedule(schedule::decode(
        schedule,
    )?));
    let mut recorded = None;
    let ran = run_executions(scheduler, 1, Arc::new(body), &mut |_, history, _, _| {
        recorded = history;
        ControlFlow::Break(())
    });
    if let Some(message) = ran.panicked {
        panic!("the replayed schedule panicked: {message}");
    }
    Ok(recorded.unwrap_or_default())
}

/// What happens after each execution: the explorer gets the execution's number (from 1),
/// the history it recorded (only for a run of one execution, where the history is kept; a
/// longer run moves its events out and hands the history, emptied, to the next execution)
/// with its events in index order, and its schedule, and says whether to start another.
type Between<'a> = dyn FnMut(usize, Option<History>, &[Event], &Taken) -> ControlFlow<()> + 'a;

/// How a shuttle run of many executions ended.
struct Ran {
    /// Executions started.
    started: usize,
    /// The message of the panic that stopped it (in the body, a task, or a deadlock).
    panicked: Option<String>,
    /// The last execution's history (the panicking one's, if one panicked).
    history: Option<History>,
    /// The last execution's schedule.
    taken: Taken,
}

/// Runs up to `limit` executions of `body` in one shuttle run under `scheduler`, each with an
/// empty history installed (the last execution's, emptied, when nothing else holds it), and
/// hands each finished one to `between`.
fn run_executions(
    scheduler: Chooser,
    limit: usize,
    body: Arc<dyn Fn() + Send + Sync>,
    between: &mut Between<'_>,
) -> Ran {
    let mut config = Config::new();
    // Recording and value conversion want more stack than shuttle's default.
    config.stack_size = 0x40000;
    // The failure reports its own schedule, in the form `replay` reads.
    config.failure_persistence = FailurePersistence::None;
    let slot: Arc<Mutex<Option<History>>> = Arc::default();
    let taken = Rc::new(RefCell::new(Taken::default()));
    let started = Rc::new(Cell::new(0));
    let driver = Driver {
        choices: task_local::Choices::here(),
        last: Rc::clone(&taken),
        limit,
        started: Rc::clone(&started),
        slot: Arc::clone(&slot),
        events: Vec::new(),
        owning: false,
        spare: None,
        // SAFETY (for the dereference in `Driver::finished`): `between` outlives the
        // `Runner::run` below, and shuttle calls the scheduler only during that call.
        between: unsafe { erase(between) },
    };
    let shared = Arc::clone(&slot);
    let test = move || {
        // The history of the execution before, emptied, which the driver leaves here if
        // nothing else held it; or one made of its buffers. Either way, executions after
        // the first allocate none.
        let history = shared
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert_with(History::for_execution)
            .clone();
        history.in_scope(|| body());
    };
    // Each execution opens an epoch of its own (see `task_local`); the one open before
    // (none, unless this runs inside another run) comes back afterwards.
    let outer = task_local::begin_epoch();
    let ran = match scheduler {
        Chooser::Random(scheduler) => run_under(scheduler, driver, config, test),
        Chooser::Pct(scheduler) => run_under(scheduler, driver, config, test),
        Chooser::Dfs(scheduler) => run_under(scheduler, driver, config, test),
        Chooser::Replay(scheduler) => run_under(scheduler, driver, config, test),
    };
    task_local::restore(outer);
    crate::history::drop_spare();
    let history = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
    let taken = taken.take();
    Ran {
        started: started.get(),
        panicked: ran.err().map(|payload| panic_message(&*payload)),
        history,
        taken,
    }
}

/// Shuttle's run of `test` under `scheduler` and `driver`: the one part of a run made for
/// each kind of scheduler, so that each scheduling decision calls the scheduler directly.
fn run_under<S, F>(
    scheduler: S,
    driver: Driver,
    config: Config,
    test: F,
) -> std::thread::Result<usize>
where
    S: Scheduler + 'static,
    F: Fn() + Send + Sync + 'static,
{
    let iterations = Iterations {
        tracker: Tracker::new(scheduler),
        driver,
    };
    panic::catch_unwind(AssertUnwindSafe(|| {
        Runner::new(iterations, config).run(test)
    }))
}

/// `between` with its lifetime erased, so it fits in shuttle's `'static` scheduler.
///
/// # Safety
/// The pointer may be dereferenced only while `between` is alive and not otherwise in use.
unsafe fn erase(between: &mut Between<'_>) -> NonNull<Between<'static>> {
    let between = NonNull::from(between);
    // SAFETY: only the lifetime bound of the trait object changes; the layout is the same.
    unsafe { std::mem::transmute::<NonNull<Between<'_>>, NonNull<Between<'static>>>(between) }
}

/// The scheduler of one exploration run: the strategy's choices (through the [`Tracker`],
/// which writes them down), and the [`Driver`] between executions. Shuttle's runner wants
/// its scheduler `'static`, and the scheduler is the one place called between two
/// executions of a run.
struct Iterations<S> {
    tracker: Tracker<S>,
    driver: Driver,
}

/// What a run does between executions: at most `limit` executions, and each finished
/// execution handed to the explorer before the next one starts.
struct Driver {
    /// Where each choice of task is noted for the recorder.
    choices: task_local::Choices,
    /// Where the last execution's schedule goes when the run is over (the [`Iterations`]
    /// are dropped when shuttle's run ends, also by a panic), for `run_executions` to read.
    last: Rc<RefCell<Taken>>,
    limit: usize,
    started: Rc<Cell<usize>>,
    slot: Arc<Mutex<Option<History>>>,
    /// The events of the execution just finished, in index order: a buffer kept from one
    /// execution to the next.
    events: Vec<Event>,
    /// Whether some event in `events` owns memory, so emptying it must drop them.
    owning: bool,
    /// The history of the execution just finished, emptied for the next one when nothing
    /// else held it.
    spare: Option<History>,
    /// Borrowed from `run_executions` for the length of its `Runner::run` call.
    between: NonNull<Between<'static>>,
}

impl Driver {
    /// Hands the execution just finished (if one was) to the explorer, whose schedule was
    /// `taken`; whether another may start.
    fn finished(&mut self, taken: &Taken) -> bool {
        task_local::between_executions();
        let finished = self.started.get();
        if finished > 0 {
            let history = self
                .slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .unwrap_or_default();
            // SAFETY: shuttle calls the scheduler only inside `Runner::run`, which
            // `run_executions` calls while it holds `between` borrowed and does nothing else
            // with it; shuttle calls one scheduler method at a time, on this thread.
            let between = unsafe { self.between.as_mut() };
            let kept = if self.limit == 1 {
                history.events_into(&mut self.events);
                self.owning = true;
                Some(history)
            } else {
                let (owning, reuse) = history.take_events_to_reuse(&mut self.events, self.owning);
                self.owning = owning;
                self.spare = reuse;
                None
            };
            if between(finished, kept, &self.events, taken).is_break() {
                return false;
            }
        }
        finished < self.limit
    }

    /// An execution starts.
    fn started(&mut self) {
        self.started.set(self.started.get() + 1);
        task_local::begin_epoch();
        // The last execution's history, emptied, serves this one (its epoch now this one's).
        if let Some(history) = self.spare.take().and_then(History::reused_for_execution) {
            *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(history);
        }
    }
}

impl<S> Drop for Iterations<S> {
    fn drop(&mut self) {
        *self.driver.last.borrow_mut() = self.tracker.take();
    }
}

impl<S: Scheduler> Scheduler for Iterations<S> {
    fn new_execution(&mut self) -> Option<Schedule> {
        if !self.driver.finished(self.tracker.taken()) {
            return None;
        }
        let schedule = self.tracker.new_execution()?;
        self.driver.started();
        Some(schedule)
    }

    #[inline]
    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let next = self.tracker.next_task(runnable, current, is_yielding);
        if let Some(task) = next {
            self.driver.choices.scheduled(usize::from(task));
        }
        next
    }

    fn next_u64(&mut self) -> u64 {
        self.tracker.next_u64()
    }
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
