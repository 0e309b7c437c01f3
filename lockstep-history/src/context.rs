//! The current history: which history recorded calls on this thread (or in this future)
//! write to, and how it travels to spawned threads, futures, tasks and thread pools.
//!
//! # Which process records
//!
//! A history is installed per thread ([`with_history`], [`bind`], [`spawn`]) or per future
//! ([`InHistory`], [`with_history_async`]). Which *process* of that history an event goes to
//! is decided in one place, `History::slot_index`: the task being polled on this thread if
//! one was entered for that history (`TaskProcess::enter`, which [`Recording`] calls on every
//! poll and on drop), else the thread's own process. Another source of task identity (a
//! controlled scheduler running many tasks on one thread) plugs in by entering a
//! `TaskProcess` per task around each of its steps, as [`Recording`] does.
//!
//! # Lost calls
//!
//! A history is *open* while a [`with_history`] (or [`with_history_async`]) body runs and
//! while a future runs [`in_history`](InHistory::in_history). A recorded call that runs with
//! no history installed while some history is open is counted in each open history
//! ([`History::lost_calls`]), whose `validate` and `check` then fail: an operation run in a
//! thread or task the history was not carried into is never silently missing.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use crate::history::{History, LostCall, TaskProcess};

thread_local! {
    static CURRENT: RefCell<Option<History>> = const { RefCell::new(None) };
}

/// Runs `f` on the cell that holds the current history: this thread's, or, inside a shuttle
/// execution (where every task runs on one OS thread), this shuttle task's. `None` during
/// thread or task teardown.
fn with_current<R>(f: impl FnOnce(&RefCell<Option<History>>) -> R) -> Option<R> {
    #[cfg(feature = "shuttle")]
    if crate::explore::in_execution() {
        return crate::history::TASK.try_with(|t| f(&t.current)).ok();
    }
    CURRENT.try_with(f).ok()
}

/// The history installed on this thread, if any.
///
/// ```
/// use lockstep_history::{current, with_history};
///
/// assert!(current().is_none());
/// let (inner, h) = with_history(|| current().unwrap());
/// assert_eq!(inner, h);
/// ```
pub fn current() -> Option<History> {
    // With no history installed anywhere, there is nothing to look up.
    if !any_active() {
        return None;
    }
    with_current(|c| c.borrow().clone()).flatten()
}

/// The history installed on this thread, if any, as a recorded call finds it: in one
/// look-up, and none while the cell is being replaced.
#[inline]
pub(crate) fn recording() -> Option<History> {
    with_current(|c| c.try_borrow().ok().and_then(|c| c.clone())).flatten()
}

/// Whether a history is installed on this thread (on this task, inside a shuttle
/// execution).
#[inline]
pub fn is_recording() -> bool {
    with_current(|c| c.try_borrow().is_ok_and(|c| c.is_some())).unwrap_or(false)
}

/// Runs `body` with a new history installed as this thread's current history and returns
/// the body's result with the history. The previous history (if any) is restored
/// afterwards, also when `body` panics, so calls nest.
///
/// The history is open only while `body` runs: a future it returns
/// (`with_history(|| async { … })`) runs later, outside it, and records nothing. For async
/// code use [`with_history_async`].
///
/// ```
/// use lockstep_history::with_history;
///
/// let (sum, history) = with_history(|| {
///     let h = lockstep_history::current().unwrap();
///     h.op("add", 2, || 2) + h.op("add", 3, || 3)
/// });
/// assert_eq!(sum, 5);
/// assert_eq!(history.events().len(), 4);
/// ```
pub fn with_history<R>(body: impl FnOnce() -> R) -> (R, History) {
    let history = History::new();
    let result = {
        let _open = Open::new(&history);
        history.in_scope(body)
    };
    (result, history)
}

/// The async counterpart of [`with_history`]: runs `body` with a new history installed on
/// every poll, as a process of its own, and returns its output with the history. Spawned
/// tasks record into it when they are spawned with [`InHistory::in_current_history`] (or,
/// with the `tokio` feature, `lockstep_history::tokio::spawn`).
///
/// ```
/// use lockstep_history::{recorded, with_history_async};
///
/// #[recorded]
/// async fn read(key: u8) -> u8 {
///     key * 2
/// }
///
/// let (sum, history) = futures::executor::block_on(with_history_async(async {
///     read(1).await + read(2).await
/// }));
/// assert_eq!(sum, 6);
/// assert_eq!(history.events().len(), 4);
/// ```
pub async fn with_history_async<F: Future>(body: F) -> (F::Output, History) {
    let history = History::new();
    let output = body.in_history(history.clone()).await;
    (output, history)
}

/// How many histories are open in this process (see the module docs): read by every
/// recorded call that finds no history installed, so it is a lone atomic.
static OPEN_COUNT: AtomicUsize = AtomicUsize::new(0);

/// How many histories are installed (on any thread or task) or open in this process. While
/// it is zero a recorded call has nothing to record and nothing to count, and it learns so
/// from this one relaxed load, before touching any thread-local: the price of `#[recorded]`
/// in a program that is not recording.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Whether any history is installed or open anywhere in this process. `false` means a
/// recorded call made now records nothing and loses nothing.
#[inline]
pub(crate) fn any_active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

/// The open histories, once per opening; only touched when a history opens or closes, and
/// when a call is lost.
static OPEN: Mutex<Vec<History>> = Mutex::new(Vec::new());

/// Keeps a history open until dropped.
struct Open(History);

impl Open {
    fn new(history: &History) -> Open {
        OPEN.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(history.clone());
        OPEN_COUNT.fetch_add(1, Ordering::Relaxed);
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        Open(history.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = open.iter().position(|h| *h == self.0) {
            open.swap_remove(at);
            OPEN_COUNT.fetch_sub(1, Ordering::Relaxed);
            ACTIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Whether some history is open in this process.
#[inline]
pub(crate) fn any_open() -> bool {
    OPEN_COUNT.load(Ordering::Relaxed) != 0
}

/// Counts a recorded call to `function` that ran with no history installed in every open
/// history, unless it runs inside [`unrecorded`].
#[cold]
pub(crate) fn count_lost(function: &str) {
    if UNRECORDED.try_with(Cell::get).unwrap_or(false) {
        return;
    }
    let call = LostCall::here(function);
    let open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
    for (i, history) in open.iter().enumerate() {
        // A history opened twice (a task inside its own scope) loses the call once.
        if !open[..i].contains(history) {
            history.count_lost(&call);
        }
    }
}

thread_local! {
    /// Whether this thread runs an [`unrecorded`] body.
    static UNRECORDED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `body` with no history installed, on purpose: recorded calls in it run unchanged,
/// are not recorded, and are not counted as lost by the histories open meanwhile. Use it for
/// setup and teardown calls inside a history's scope, and for tests that call recorded code
/// without a history while other tests of the same binary record (whether a history is open
/// is process-wide, so such calls would otherwise count against theirs).
///
/// It covers the calling thread only: threads and tasks the body starts are not covered.
///
/// ```
/// use lockstep_history::{recorded, unrecorded, with_history};
///
/// #[recorded]
/// fn write(v: u64) {}
///
/// let ((), history) = with_history(|| {
///     unrecorded(|| write(0)); // setup: not part of the test
///     write(1);
///     std::thread::spawn(|| unrecorded(|| write(2))).join().unwrap();
/// });
/// assert_eq!(history.len(), 2);
/// assert_eq!(history.lost_calls(), 0);
/// assert!(history.validate().is_ok());
/// ```
pub fn unrecorded<R>(body: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = UNRECORDED.try_with(|u| u.set(self.0));
        }
    }
    let _restore = Restore(UNRECORDED.with(|u| u.replace(true)));
    let _installed = Installed::new(None);
    body()
}

/// Restores the previously installed history when dropped.
struct Installed {
    previous: Option<History>,
    /// Whether this guard installed a history (and so counts in [`ACTIVE`]).
    active: bool,
    /// Inside the explorer's executions, the task's state the history was installed in,
    /// kept so that the restore needs no look-up (and restores that task's, whichever
    /// runs when the guard is dropped).
    #[cfg(feature = "shuttle")]
    task: Option<std::rc::Rc<crate::history::TaskState>>,
}

impl Installed {
    fn new(history: Option<History>) -> Installed {
        let active = history.is_some();
        if active {
            ACTIVE.fetch_add(1, Ordering::Relaxed);
        }
        #[cfg(feature = "shuttle")]
        if let Some(task) = crate::history::TASK.explorer_value() {
            return Installed {
                previous: task.current.replace(history),
                active,
                task: Some(task),
            };
        }
        Installed {
            previous: with_current(|c| c.replace(history)).flatten(),
            active,
            #[cfg(feature = "shuttle")]
            task: None,
        }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.previous.take();
        #[cfg(feature = "shuttle")]
        if let Some(task) = self.task.take() {
            task.current.replace(previous);
        } else {
            let _ = with_current(|c| c.replace(previous));
        }
        #[cfg(not(feature = "shuttle"))]
        let _ = with_current(|c| c.replace(previous));
        if self.active {
            ACTIVE.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl History {
    /// Runs `body` with this history installed as the current one on this thread, then
    /// restores whatever was installed before (also on panic).
    ///
    /// This installs the history; it does not open it (see the [module docs](crate::context)):
    /// recorded calls on threads it was not carried to are counted as lost only while a
    /// [`with_history`] scope (or [`with_history_async`], or a future run
    /// [`in_history`](InHistory::in_history)) keeps it open.
    pub fn in_scope<R>(&self, body: impl FnOnce() -> R) -> R {
        let _installed = Installed::new(Some(self.clone()));
        body()
    }
}

/// Wraps `f` so that, wherever it runs, it runs with the history that is current here and
/// now (if any). Use it with any spawner: scoped threads, thread pools, rayon.
///
/// ```
/// use lockstep_history::{bind, with_history};
///
/// let (_, h) = with_history(|| {
///     std::thread::scope(|s| {
///         s.spawn(bind(|| lockstep_history::current().unwrap().op("read", (), || 1)));
///     });
/// });
/// assert_eq!(h.events().len(), 2);
/// ```
pub fn bind<F, R>(f: F) -> impl FnOnce() -> R + Send
where
    F: FnOnce() -> R + Send,
{
    let history = current();
    move || run_bound(history, f)
}

/// [`bind`] for a closure called many times with an argument, such as the body of a
/// parallel iterator (`par_iter().map(…)`, `for_each`): each call runs with the history
/// that is current here and now (if any), on whichever thread makes it, as that thread's
/// process.
///
/// ```
/// use lockstep_history::{bind_each, with_history};
///
/// let (_, h) = with_history(|| {
///     let read = bind_each(|k: u8| lockstep_history::current().unwrap().op("read", k, || k));
///     std::thread::scope(|s| {
///         s.spawn(|| read(1));
///         s.spawn(|| read(2));
///     });
/// });
/// assert_eq!(h.events().len(), 4);
/// ```
pub fn bind_each<F, A, R>(f: F) -> impl Fn(A) -> R + Send + Sync
where
    F: Fn(A) -> R + Send + Sync,
{
    let history = current();
    move |a| run_bound(history.clone(), || f(a))
}

/// [`bind`] for a closure that takes a reference to a scope, such as a job given to
/// `rayon::Scope::spawn`: it runs with the history that is current here and now (if any).
///
/// ```
/// use lockstep_history::{bind_scoped, with_history};
///
/// struct Scope;
/// fn spawn(job: impl FnOnce(&Scope) + Send) {
///     std::thread::scope(|s| { s.spawn(|| job(&Scope)); });
/// }
///
/// let (_, h) = with_history(|| {
///     spawn(bind_scoped(|_: &Scope| {
///         lockstep_history::current().unwrap().op("read", (), || 1);
///     }));
/// });
/// assert_eq!(h.events().len(), 2);
/// ```
pub fn bind_scoped<S, F, R>(f: F) -> impl FnOnce(&S) -> R + Send
where
    S: ?Sized,
    F: FnOnce(&S) -> R + Send,
{
    let history = current();
    move |scope| run_bound(history, || f(scope))
}

/// Runs `f`, a closure [`bind`] (or its variants) carried here, with `history` installed.
/// A thread pool may run it on a thread where a recorded call into the same history is
/// waiting for it (rayon runs queued jobs inside `join`, `scope` and `yield_now`): it is not
/// part of that call, so it records as a process of its own rather than being taken for a
/// nested call.
fn run_bound<R>(history: Option<History>, f: impl FnOnce() -> R) -> R {
    // With no history installed anywhere, `f` already runs with none.
    if history.is_none() && !any_active() {
        return f();
    }
    match history {
        Some(history) if history.op_running_here() => {
            let _installed = Installed::new(Some(history.clone()));
            history.apart_from_running_op(f)
        }
        history => {
            let _installed = Installed::new(history);
            f()
        }
    }
}

/// [`std::thread::spawn`], carrying the current history into the new thread, where it is a
/// process of its own. Inside a shuttle execution (feature `shuttle`) it starts a shuttle
/// thread instead, so that the scheduler decides when it runs.
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    #[cfg(feature = "shuttle")]
    if crate::explore::in_execution() {
        // As `bind`, but a new task runs no operation yet, so none needs keeping apart; the
        // history handle is moved into the task's scope rather than copied.
        let history = current();
        let task = move || match history {
            Some(history) => {
                let _installed = Installed::new(Some(history));
                f()
            }
            None => f(),
        };
        return JoinHandle(Spawned::Shuttle(shuttle::thread::spawn(task)));
    }
    JoinHandle(Spawned::Os(std::thread::spawn(bind(f))))
}

/// A thread started by [`spawn`]; join it for its result.
pub struct JoinHandle<T>(Spawned<T>);

enum Spawned<T> {
    Os(std::thread::JoinHandle<T>),
    #[cfg(feature = "shuttle")]
    Shuttle(shuttle::thread::JoinHandle<T>),
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish: its result, or the payload it panicked with.
    ///
    /// # Errors
    /// The panic payload, as [`std::thread::JoinHandle::join`] returns it.
    pub fn join(self) -> std::thread::Result<T> {
        match self.0 {
            Spawned::Os(handle) => handle.join(),
            #[cfg(feature = "shuttle")]
            Spawned::Shuttle(handle) => handle.join(),
        }
    }
}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle").finish_non_exhaustive()
    }
}

/// Runs futures with a history installed, as their own process.
///
/// ```
/// use lockstep_history::{History, InHistory};
///
/// let h = History::new();
/// let task = {
///     let h = h.clone();
///     async move { lockstep_history::current().unwrap().op("read", (), || 1) }
/// };
/// futures::executor::block_on(task.in_history(h.clone()));
/// assert_eq!(h.events().len(), 2);
/// ```
pub trait InHistory: Future + Sized {
    /// Installs `history` on every poll (and on drop) of this future, which records as a
    /// process of its own whichever thread polls it. The history is open (see the module
    /// docs) until the future is dropped.
    fn in_history(self, history: History) -> Recording<Self> {
        Recording {
            bound: Some(Bound {
                process: TaskProcess::new(&history),
                _open: Open::new(&history),
                history,
            }),
            inner: ManuallyDrop::new(self),
        }
    }

    /// [`in_history`](InHistory::in_history) with the history current here and now, if
    /// any: what a spawner calls so that a task records into the history of the code that
    /// spawned it, as one process for its whole life.
    ///
    /// ```
    /// use lockstep_history::{InHistory, with_history_async};
    ///
    /// let (_, h) = futures::executor::block_on(with_history_async(async {
    ///     let task = async { lockstep_history::current().unwrap().op("read", (), || 1) };
    ///     // As a task spawned here would be: bound here, run elsewhere.
    ///     let task = task.in_current_history();
    ///     std::thread::spawn(move || futures::executor::block_on(task))
    ///         .join()
    ///         .unwrap()
    /// }));
    /// assert_eq!(h.events().len(), 2);
    /// ```
    fn in_current_history(self) -> Recording<Self> {
        match current() {
            Some(history) => self.in_history(history),
            None => Recording {
                bound: None,
                inner: ManuallyDrop::new(self),
            },
        }
    }
}

impl<F: Future> InHistory for F {}

/// A future that runs with a history installed. See [`InHistory`].
pub struct Recording<F> {
    /// `None` for [`InHistory::in_current_history`] called with no history current.
    bound: Option<Bound>,
    inner: ManuallyDrop<F>,
}

/// The history a [`Recording`] runs in, and the process it records as.
struct Bound {
    history: History,
    process: Arc<TaskProcess>,
    _open: Open,
}

impl Bound {
    /// Runs `body` with the history installed and the task's process entered.
    fn enter<R>(&self, body: impl FnOnce() -> R) -> R {
        self.history.in_scope(|| self.process.enter(body))
    }
}

impl<F: Future> Future for Recording<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of `self`, and it is
        // dropped in place by `Drop`. The other fields are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let inner = unsafe { Pin::new_unchecked(&mut *this.inner) };
        match &this.bound {
            Some(bound) => bound.enter(|| inner.poll(cx)),
            None => inner.poll(cx),
        }
    }
}

impl<F> Drop for Recording<F> {
    fn drop(&mut self) {
        let inner = &mut self.inner;
        // SAFETY: dropped exactly once, in place, and never used again.
        match &self.bound {
            Some(bound) => bound.enter(|| unsafe { ManuallyDrop::drop(inner) }),
            None => unsafe { ManuallyDrop::drop(inner) },
        }
    }
}

impl<F> std::fmt::Debug for Recording<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording")
            .field("history", &self.bound.as_ref().map(|b| &b.history))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_restores_the_outer_history() {
        let ((inner, outer_again), outer) = with_history(|| {
            let (_, inner) = with_history(|| {});
            (inner, current().unwrap())
        });
        assert_eq!(outer_again, outer);
        assert_ne!(inner, outer);
        assert!(current().is_none());
    }

    #[test]
    fn restored_after_a_panic() {
        let _ = std::panic::catch_unwind(|| with_history(|| panic!("boom")));
        assert!(current().is_none());
        assert!(!is_recording());
    }
}
