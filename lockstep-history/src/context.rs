//! The current history: which history recorded calls on this thread (or in this future)
//! write to, and how it travels to spawned threads and futures.

use std::cell::RefCell;
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::history::{History, TaskProcess};

thread_local! {
    static CURRENT: RefCell<Option<History>> = const { RefCell::new(None) };
}

#[cfg(feature = "shuttle")]
shuttle::thread_local! {
    static TASK_CURRENT: RefCell<Option<History>> = const { RefCell::new(None) };
}

/// Runs `f` on the cell that holds the current history: this thread's, or, inside a shuttle
/// execution (where every task runs on one OS thread), this shuttle task's. `None` during
/// thread or task teardown.
fn with_current<R>(f: impl FnOnce(&RefCell<Option<History>>) -> R) -> Option<R> {
    #[cfg(feature = "shuttle")]
    if crate::explore::in_execution() {
        return TASK_CURRENT.try_with(f).ok();
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
    with_current(|c| c.borrow().clone()).flatten()
}

/// Whether a history is installed on this thread: the cheap check a recorded call makes
/// before doing anything else.
#[inline]
pub fn is_recording() -> bool {
    with_current(|c| c.try_borrow().is_ok_and(|c| c.is_some())).unwrap_or(false)
}

/// Runs `body` with a new history installed as this thread's current history and returns
/// the body's result with the history. The previous history (if any) is restored
/// afterwards, also when `body` panics, so calls nest.
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
    let result = history.in_scope(body);
    (result, history)
}

/// Restores the previously installed history when dropped.
struct Installed(Option<History>);

impl Installed {
    fn new(history: Option<History>) -> Installed {
        Installed(with_current(|c| c.replace(history)).flatten())
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let prev = self.0.take();
        let _ = with_current(|c| c.replace(prev));
    }
}

impl History {
    /// Runs `body` with this history installed as the current one on this thread, then
    /// restores whatever was installed before (also on panic).
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
    move || {
        let _installed = Installed::new(history);
        f()
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
        return JoinHandle(Spawned::Shuttle(shuttle::thread::spawn(bind(f))));
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
    /// process of its own whichever thread polls it.
    fn in_history(self, history: History) -> Recording<Self> {
        Recording {
            process: TaskProcess::new(&history),
            history,
            inner: ManuallyDrop::new(self),
        }
    }
}

impl<F: Future> InHistory for F {}

/// A future that runs with a history installed. See [`InHistory`].
pub struct Recording<F> {
    history: History,
    process: Arc<TaskProcess>,
    inner: ManuallyDrop<F>,
}

impl<F: Future> Future for Recording<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `inner` is structurally pinned: it is never moved out of `self`, and it is
        // dropped in place by `Drop`. The other fields are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let inner = unsafe { Pin::new_unchecked(&mut *this.inner) };
        let (history, process) = (&this.history, &this.process);
        history.in_scope(|| process.enter(|| inner.poll(cx)))
    }
}

impl<F> Drop for Recording<F> {
    fn drop(&mut self) {
        let inner = &mut self.inner;
        let (history, process) = (&self.history, &self.process);
        // SAFETY: dropped exactly once, in place, and never used again.
        history.in_scope(|| process.enter(|| unsafe { ManuallyDrop::drop(inner) }));
    }
}

impl<F> std::fmt::Debug for Recording<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording")
            .field("history", &self.history)
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
