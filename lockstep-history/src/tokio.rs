//! Tokio tasks that record into the history of the code that spawns them (feature `tokio`).
//!
//! A task spawned here runs with the history current at the spawn (if any) installed on
//! every poll, as one process of that history for its whole life, whichever worker thread
//! polls it, on multi-thread and current-thread runtimes alike. A task spawned with plain
//! [`tokio::spawn`] has no history: its recorded calls are counted as lost
//! (see [`History::lost_calls`](crate::History::lost_calls)) rather than recorded.
//!
//! ```
//! use lockstep_history::{recorded, with_history_async};
//!
//! #[recorded]
//! async fn write(v: u64) {
//!     tokio::task::yield_now().await;
//! }
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! # runtime.block_on(async {
//! let ((), history) = with_history_async(async {
//!     let tasks: Vec<_> = (0..3).map(|v| lockstep_history::tokio::spawn(write(v))).collect();
//!     for task in tasks {
//!         task.await.unwrap();
//!     }
//! })
//! .await;
//! assert_eq!(history.events().len(), 6);
//! history.validate().unwrap();
//! # });
//! ```

use std::future::Future;

use ::tokio::task::{AbortHandle, JoinHandle, JoinSet};

use crate::context::InHistory;

/// [`tokio::spawn`], carrying the current history into the task, where it
/// is one process for the task's whole life.
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    ::tokio::spawn(future.in_current_history())
}

/// [`tokio::task::spawn_local`], carrying the current history
/// into the task, where it is one process for the task's whole life.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    ::tokio::task::spawn_local(future.in_current_history())
}

/// [`JoinSet::spawn`], carrying the current history into the task, where it is one
/// process for the task's whole life.
///
/// ```
/// use lockstep_history::{recorded, with_history_async};
/// use tokio::task::JoinSet;
///
/// #[recorded]
/// async fn read(key: u8) -> u8 {
///     key
/// }
///
/// # let runtime = tokio::runtime::Builder::new_multi_thread().build().unwrap();
/// # runtime.block_on(async {
/// let (total, history) = with_history_async(async {
///     let mut set = JoinSet::new();
///     for key in 0..4 {
///         lockstep_history::tokio::spawn_in(&mut set, read(key));
///     }
///     set.join_all().await.into_iter().sum::<u8>()
/// })
/// .await;
/// assert_eq!(total, 6);
/// assert_eq!(history.events().len(), 8);
/// # });
/// ```
#[track_caller]
pub fn spawn_in<F>(set: &mut JoinSet<F::Output>, future: F) -> AbortHandle
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    set.spawn(future.in_current_history())
}
