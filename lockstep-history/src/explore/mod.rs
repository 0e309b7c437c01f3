//! Controlled schedules (feature `shuttle`): run a test body many times under shuttle's
//! schedulers, record a fresh history each time, and check it (DESIGN.md §9).
//!
//! Recording on OS threads finds a race only when the operating system happens to interleave
//! badly, and a failure seen once may never come back. Here shuttle decides every
//! interleaving instead: each shuttle task that records is a process of its own, and every
//! invoke and completion is a point where the scheduler may switch tasks. The first
//! iteration whose history fails the check stops the run with the counterexample, the
//! schedule that produced it, the call that replays it, and an HTML report under
//! `target/lockstep/`.
//!
//! ```
//! use lockstep_history::explore::{Explorer, Strategy};
//! use lockstep_history::model::Register;
//! use lockstep_history::{current, spawn};
//! use std::sync::{Arc, Mutex};
//!
//! // A register behind a lock is linearizable under every schedule.
//! let summary = Explorer::new(Strategy::pct(2, 1))
//!     .iterations(50)
//!     .run(&Register::new(0), || {
//!         let cell = Arc::new(Mutex::new(0));
//!         let writer = {
//!             let cell = Arc::clone(&cell);
//!             spawn(move || current().unwrap().op("write", 1, || *cell.lock().unwrap() = 1))
//!         };
//!         current().unwrap().op("read", (), || *cell.lock().unwrap());
//!         writer.join().unwrap();
//!     })
//!     .unwrap();
//! assert_eq!(summary.iterations, 50);
//! ```
//!
//! [`Scenarios`] generates the bodies, as lincheck does: from a list of operations it builds
//! random scenarios of T threads × N operations, runs each under an [`Explorer`], and
//! shrinks a failing one while it still fails.
//!
//! Code under test yields to the scheduler at its own synchronization: shuttle's
//! `sync` types do, and [`yield_point`] marks any other step (an access to a std atomic)
//! where a task switch should be explored.

mod failure;
mod oracle;
mod run;
mod scenario;
mod schedule;
mod small;
mod strategy;
mod task_local;

pub use failure::{Cause, Failure};
pub use oracle::{Judgement, Oracle};
pub use run::{Explorer, Summary, replay};
pub use scenario::{Arg, Call, Rng, Scenario, ScenarioError, ScenarioFailure, Scenarios};
pub use schedule::ScheduleError;
pub use strategy::Strategy;
pub(crate) use task_local::{Table, TaskLocal, epoch, explorer_task, task_local};

/// Whether this code runs inside a shuttle execution (on a shuttle task).
#[inline]
pub(crate) fn in_execution() -> bool {
    task_local::current_task().is_some()
}

/// A point where the scheduler may switch to another task, inside a shuttle execution;
/// nothing outside one. Recording calls it at every invoke and completion; call it in code
/// under test before each step whose interleaving matters (a std atomic access, say), so the
/// same code runs on OS threads and under shuttle.
///
/// ```
/// // Outside a shuttle execution this does nothing.
/// lockstep_history::explore::yield_point();
/// ```
pub fn yield_point() {
    if in_execution() {
        // Shuttle keeps no time: a sleep is a plain scheduling point, as an access to one of
        // its atomics is, but with no task-local lookup or clock to update. `yield_now`
        // would instead lower the task's priority under PCT at every event.
        shuttle::thread::sleep(std::time::Duration::ZERO);
    }
}

/// The scheduling point at every recorded event.
pub(crate) fn scheduling_point() {
    yield_point();
}
