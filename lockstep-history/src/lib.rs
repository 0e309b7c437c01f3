//! Record what concurrent clients did to a system as a Jepsen-style history, then check it.
//!
//! Run workers inside [`with_history`]; every operation they perform through a
//! [`History`] (or, with the `#[recorded]` attribute, every call of an annotated method)
//! becomes an `invoke` event followed by `ok`, `fail` or `info`. Each thread is a process.
//!
//! ```
//! use lockstep_history::{with_history, EventKind};
//!
//! let (_, history) = with_history(|| {
//!     let workers: Vec<_> = (0..3)
//!         .map(|i| lockstep_history::spawn(move || {
//!             let h = lockstep_history::current().unwrap();
//!             h.op("write", i, || i);
//!         }))
//!         .collect();
//!     for w in workers {
//!         w.join().unwrap();
//!     }
//! });
//! let events = history.events();
//! assert_eq!(events.len(), 6);
//! assert_eq!(events.iter().filter(|e| e.kind == EventKind::Ok).count(), 3);
//! history.validate().unwrap();
//! ```
//!
//! The layers, bottom up: [`value`] and [`event`] are plain data; [`history`] records them
//! from many threads; [`context`] decides which history a thread records into.
//! Beside them, [`checker`] decides whether a history is linearizable against a [`model`];
//! [`txn`] gives transactional workloads the micro-ops and generators Elle's checker reads.

#![warn(missing_docs)]

pub mod checker;
pub mod context;
pub mod event;
#[cfg(feature = "shuttle")]
pub mod explore;
pub mod format;
pub mod history;
mod log;
mod macro_support;
pub mod model;
pub mod report;
mod rng;
#[cfg(feature = "tokio")]
pub mod tokio;
pub mod txn;
pub mod validate;
pub mod value;

/// What `#[recorded]` expands to; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::macro_support::*;
}

pub use context::{
    InHistory, Recording, bind, bind_each, bind_scoped, current, is_recording, spawn, unrecorded,
    with_history, with_history_async,
};
pub use event::{Event, EventKind, EventSink, Process};
pub use history::{History, LostCall};
pub use lockstep_history_macros::recorded;
pub use macro_support::{Completion, RecordedArg, RecordedOutput};
pub use validate::{ValidationError, validate};
pub use value::{Value, ValueError, to_value};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
