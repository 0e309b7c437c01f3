//! Per-task values for the recorder, cheap to reach inside the explorer's executions.
//!
//! Shuttle keeps each task's task-local values in a map hashed with SipHash, and the
//! recorder reads its per-task state (the installed history, the process, whether an
//! operation runs) several times per recorded call: under the explorer that lookup was a
//! large part of the cost of recording. A [`TaskLocal`] keeps its values instead in a
//! vector on the OS thread running the executions, indexed by shuttle's task id.
//!
//! Task ids start again from 0 at each execution, so a value is valid only in the
//! execution that made it: the explorer's scheduler opens a new [`epoch`](begin_epoch) as
//! each execution starts, and a value of an earlier epoch is made afresh at its first use
//! in the new one (in the place of the old, so that executions after the first allocate
//! nothing here). Outside the explorer (shuttle run by other code), no epoch is open and the values
//! live in shuttle's own task-locals, as before.
//!
//! Which task runs is also known without asking shuttle: the explorer's scheduler chooses
//! it, and tells this module at every choice ([`Choices::scheduled`]). Asking shuttle
//! (`try_get_current_task`) borrows its execution state each time, and the recorder asks
//! about twenty times per recorded call (whether it runs in an execution, then which
//! task's value it wants); inside the explorer's executions the answer is one thread-local
//! read instead.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A value per shuttle task; declare one with [`task_local!`](crate::explore::task_local).
pub(crate) struct TaskLocal<T: 'static> {
    table: &'static std::thread::LocalKey<RefCell<Table<T>>>,
    fallback: &'static shuttle::thread::LocalKey<T>,
    init: fn() -> T,
}

/// The values of one [`TaskLocal`] on this thread, by task id, each with the epoch that
/// made it.
pub(crate) struct Table<T> {
    values: Vec<Option<(u64, Rc<T>)>>,
}

impl<T> Table<T> {
    /// An empty table.
    pub(crate) const fn new() -> Table<T> {
        Table { values: Vec::new() }
    }
}

/// The value could not be reached: the thread, or the task, is being torn down.
#[derive(Debug)]
pub(crate) struct AccessError;

/// Where this thread is, as far as the explorer knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Running {
    /// The epoch of the execution under way on this thread under the explorer, or 0.
    epoch: u64,
    /// The task the explorer's scheduler last chose in that execution, or [`NO_TASK`]
    /// (between executions, and before the first choice).
    task: usize,
}

/// [`Running::task`] when no task of the explorer's runs.
const NO_TASK: usize = usize::MAX;

/// Outside any explorer run.
const OUTSIDE: Running = Running {
    epoch: 0,
    task: NO_TASK,
};

thread_local! {
    static RUNNING: Cell<Running> = const { Cell::new(OUTSIDE) };
}

/// Hands out epochs, unique in the process.
static NEXT_EPOCH: AtomicU64 = AtomicU64::new(1);

/// Opens a new epoch on this thread, as an execution starts: values made in earlier ones
/// are no longer seen, and no task runs until the scheduler chooses one. Returns what was
/// open before.
pub(crate) fn begin_epoch() -> Running {
    let epoch = NEXT_EPOCH.fetch_add(1, Ordering::Relaxed);
    RUNNING.with(|r| {
        r.replace(Running {
            epoch,
            task: NO_TASK,
        })
    })
}

/// Between two executions of the explorer's run: no task runs (the epoch stays open until
/// the next execution begins its own).
pub(crate) fn between_executions() {
    RUNNING.with(|r| {
        let epoch = r.get().epoch;
        r.set(Running {
            epoch,
            task: NO_TASK,
        });
    });
}

/// Restores what `begin_epoch` returned, once the explorer's run is over (outside any run:
/// the values go back to shuttle's task-locals).
pub(crate) fn restore(running: Running) {
    RUNNING.with(|r| r.set(running));
}

/// Where the explorer's scheduler notes each choice: this thread's [`Running`], reached
/// once when the run starts rather than looked up at every scheduling decision.
pub(crate) struct Choices {
    running: NonNull<Cell<Running>>,
    /// A `Choices` is used only on the thread whose state it points to (a raw pointer makes
    /// it neither `Send` nor `Sync`).
    _here: PhantomData<*const ()>,
}

impl Choices {
    /// This thread's.
    pub(crate) fn here() -> Choices {
        Choices {
            running: RUNNING.with(|r| NonNull::from(r)),
            _here: PhantomData,
        }
    }

    /// The explorer's scheduler chose `task` to run next in the execution under way.
    /// Shuttle switches to the task its scheduler returns before any code of a task runs
    /// again, so this is the running task until the next choice.
    #[inline]
    pub(crate) fn scheduled(&self, task: usize) {
        // SAFETY: `running` points to the `RUNNING` of the thread that made this, the only
        // thread that uses it (see `_here`); that storage (initialised in place, with
        // nothing to drop) lasts as long as the thread, and a `Cell` may be written through
        // a shared reference.
        let running = unsafe { self.running.as_ref() };
        let epoch = running.get().epoch;
        running.set(Running { epoch, task });
    }
}

/// The epoch of the explorer's execution under way on this thread, or 0.
pub(crate) fn epoch() -> u64 {
    RUNNING.try_with(Cell::get).map_or(0, |r| r.epoch)
}

/// The epoch of the explorer's execution under way on this thread and the task its
/// scheduler chose last, if a task of the explorer's runs.
#[inline]
pub(crate) fn explorer_task() -> Option<(u64, usize)> {
    match RUNNING.try_with(Cell::get) {
        Ok(Running { epoch, task }) if epoch != 0 && task != NO_TASK => Some((epoch, task)),
        _ => None,
    }
}

/// The shuttle task running on this thread: inside the explorer's executions, the one its
/// scheduler chose last; under shuttle run by other code, shuttle's answer; `None` outside
/// any execution.
#[inline]
pub(crate) fn current_task() -> Option<usize> {
    match RUNNING.try_with(Cell::get) {
        Ok(OUTSIDE) => shuttle::current::try_get_current_task().map(usize::from),
        Ok(Running { task: NO_TASK, .. }) | Err(_) => None,
        Ok(Running { task, .. }) => Some(task),
    }
}

impl<T: 'static> TaskLocal<T> {
    /// A task-local kept in `table` inside the explorer's executions, in `fallback`
    /// elsewhere, made by `init` in each task on first use.
    pub(crate) const fn new(
        table: &'static std::thread::LocalKey<RefCell<Table<T>>>,
        fallback: &'static shuttle::thread::LocalKey<T>,
        init: fn() -> T,
    ) -> TaskLocal<T> {
        TaskLocal {
            table,
            fallback,
            init,
        }
    }

    /// Runs `f` on this task's value, made now if it has none.
    ///
    /// # Errors
    /// [`AccessError`] during thread or task teardown, or outside a shuttle task.
    #[inline]
    pub(crate) fn try_with<R>(&'static self, f: impl FnOnce(&T) -> R) -> Result<R, AccessError> {
        let running = RUNNING.try_with(Cell::get).map_err(|_| AccessError)?;
        if running.epoch == 0 {
            return self.fallback.try_with(f).map_err(|_| AccessError);
        }
        if running.task == NO_TASK {
            return Err(AccessError);
        }
        let value = self.value(running.epoch, running.task)?;
        Ok(f(&value))
    }

    /// This task's value (made now if it has none) as a handle that outlives the look-up,
    /// inside the explorer's executions; `None` elsewhere, and during teardown.
    #[inline]
    pub(crate) fn explorer_value(&'static self) -> Option<Rc<T>> {
        let running = RUNNING.try_with(Cell::get).ok()?;
        if running.epoch == 0 || running.task == NO_TASK {
            return None;
        }
        self.value(running.epoch, running.task).ok()
    }

    /// Task `task`'s value in `epoch`. The table is not borrowed while the value is used,
    /// so `f` may reach this task-local again.
    #[inline]
    fn value(&'static self, epoch: u64, task: usize) -> Result<Rc<T>, AccessError> {
        self.table
            .try_with(|table| {
                let found = match table.borrow().values.get(task) {
                    Some(Some((made, value))) if *made == epoch => Some(Rc::clone(value)),
                    _ => None,
                };
                found.unwrap_or_else(|| self.make(table, epoch, task))
            })
            .map_err(|_| AccessError)
    }

    /// Makes task `task`'s value in `epoch`, in the place of an earlier epoch's if there is
    /// one and nothing else holds it.
    #[cold]
    fn make(&'static self, table: &RefCell<Table<T>>, epoch: u64, task: usize) -> Rc<T> {
        // Made before the borrow; it changes places with an earlier epoch's value, which is
        // then dropped here, outside the borrow.
        let mut fresh = (self.init)();
        let mut table = table.borrow_mut();
        if table.values.len() <= task {
            table.values.resize_with(task + 1, || None);
        }
        let entry = &mut table.values[task];
        if let Some((made, value)) = entry
            && let Some(place) = Rc::get_mut(value)
        {
            std::mem::swap(place, &mut fresh);
            *made = epoch;
            let value = Rc::clone(value);
            drop(table);
            drop(fresh);
            value
        } else {
            // An earlier value replaced here is held elsewhere too: only its count drops.
            let value = Rc::new(fresh);
            *entry = Some((epoch, Rc::clone(&value)));
            value
        }
    }
}

/// Declares a [`TaskLocal`] as `shuttle::thread_local!` declares a task-local:
/// `static NAME: Type = const { init };`.
macro_rules! task_local {
    ($vis:vis static $name:ident: $t:ty = const { $init:expr };) => {
        $vis static $name: $crate::explore::TaskLocal<$t> = {
            ::std::thread_local! {
                static TABLE: ::std::cell::RefCell<$crate::explore::Table<$t>> =
                    const { ::std::cell::RefCell::new($crate::explore::Table::new()) };
            }
            ::shuttle::thread_local! {
                static FALLBACK: $t = const { $init };
            }
            $crate::explore::TaskLocal::new(&TABLE, &FALLBACK, || $init)
        };
    };
}
pub(crate) use task_local;

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::{Arc, Mutex};

    use shuttle::scheduler::RandomScheduler;
    use shuttle::{Config, Runner};

    use super::*;
    use crate::explore::{Explorer, Judgement, Oracle, Strategy};

    task_local! {
        static CALLS: Cell<u32> = const { Cell::new(0) };
    }

    /// What each task saw: its count of calls before its own, per execution.
    fn count_in_tasks(seen: &Arc<Mutex<Vec<u32>>>) {
        let mut handles = Vec::new();
        for _ in 0..3 {
            let seen = Arc::clone(seen);
            handles.push(shuttle::thread::spawn(move || {
                for _ in 0..2 {
                    let before = CALLS.try_with(|c| c.replace(c.get() + 1)).unwrap();
                    seen.lock().unwrap().push(before);
                    shuttle::thread::yield_now();
                }
            }));
        }
        let before = CALLS.try_with(|c| c.replace(c.get() + 1)).unwrap();
        seen.lock().unwrap().push(before);
        for handle in handles {
            handle.join().unwrap();
        }
    }

    struct Accept;
    impl Oracle for Accept {
        fn judge(&self, _: &[crate::event::Event], _: &crate::checker::Budget) -> Judgement {
            Judgement::Valid
        }
    }

    #[test]
    fn each_task_has_its_own_value_and_each_execution_starts_afresh() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let body = {
            let seen = Arc::clone(&seen);
            move || count_in_tasks(&seen)
        };
        let summary = Explorer::new(Strategy::random(5))
            .iterations(20)
            .run(&Accept, body)
            .unwrap();
        assert_eq!(summary.iterations, 20);
        let seen = seen.lock().unwrap();
        // Per execution: the main task's first call, and each of three tasks' two calls.
        assert_eq!(seen.len(), 20 * 7);
        let mut counts = seen.clone();
        counts.sort_unstable();
        assert_eq!(counts.iter().filter(|&&c| c == 0).count(), 20 * 4);
        assert_eq!(counts.iter().filter(|&&c| c == 1).count(), 20 * 3);
        assert_eq!(
            RUNNING.with(Cell::get),
            OUTSIDE,
            "the epoch closes with the run"
        );
    }

    #[test]
    fn outside_the_explorer_shuttle_keeps_the_values() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let body = {
            let seen = Arc::clone(&seen);
            move || count_in_tasks(&seen)
        };
        let ran = Runner::new(RandomScheduler::new_from_seed(5, 20), Config::new()).run(body);
        assert_eq!(ran, 20);
        let mut counts = seen.lock().unwrap().clone();
        counts.sort_unstable();
        assert_eq!(counts.len(), 20 * 7);
        assert_eq!(counts.iter().filter(|&&c| c == 0).count(), 20 * 4);
        assert_eq!(counts.iter().filter(|&&c| c == 1).count(), 20 * 3);
    }
}
