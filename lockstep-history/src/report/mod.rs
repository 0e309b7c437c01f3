//! The HTML history report: one self-contained page that draws a history as a timeline.
//!
//! Each process gets a lane; each operation is a bar from its invoke to its completion,
//! coloured by how it ended (ok, fail, info; info and never-completed operations run to the
//! end of the history, since they may take effect at any later point). When a checker's
//! [`Analysis`] is attached the page also draws what it found: a witness order, or for a
//! violation the longest valid prefix in order, the operation that cannot be placed and why
//! each candidate step failed, the operations to highlight and the relations between them.
//! A transactional analysis ([`Analysis::from_txn`]) highlights each anomaly's transactions
//! and draws its cycle as arrows labelled `ww`, `wr`, `rw`, `process` or `realtime`, with
//! the explanation in words beside the timeline.
//!
//! The page needs no network: CSS and JavaScript are inline, the history is embedded once as
//! JSON and drawn on a canvas (so 20,000 operations stay responsive), and a Content Security
//! Policy forbids every request. Recorded values are escaped on the way in and only ever set
//! as text on the way out. Above [`DEFAULT_MAX_OPS`] operations (see [`Report::max_ops`])
//! the page keeps the counterexample's neighbourhood and summarizes the rest.
//!
//! The files: [`page`] builds the data the page draws (pairing, lanes, bounding); `html`
//! writes the document around it.
//!
//! ```
//! use lockstep_history::report::{Analysis, Counterexample, Report, Status};
//! use lockstep_history::{Event, EventKind, Process, Value};
//!
//! let ev = |index: u64, kind, process: u64, f: &'static str, value: Value| Event {
//!     index, time: index * 10, kind, process: Process::Id(process), f: f.into(), value, error: None,
//! };
//! let events = vec![
//!     ev(0, EventKind::Invoke, 0, "write", Value::Int(1)),
//!     ev(1, EventKind::Ok, 0, "write", Value::Int(1)),
//!     ev(2, EventKind::Invoke, 1, "read", Value::Nil),
//!     ev(3, EventKind::Ok, 1, "read", Value::Int(2)),
//! ];
//! let analysis = Analysis {
//!     status: Status::Invalid,
//!     property: "linearizable".into(),
//!     counterexample: Some(Counterexample {
//!         op: 2,
//!         prefix: vec![0],
//!         state: "1".into(),
//!         candidates: vec![(2, "read 2, but the register holds 1".into())],
//!     }),
//!     ..Analysis::default()
//! };
//! let html = Report::new(&events).title("register").with_analysis(analysis).render();
//! assert!(html.starts_with("<!doctype html>"));
//! ```

use std::path::Path;

use crate::event::Event;

mod html;
pub mod page;

pub use crate::checker::result::{Analysis, Counterexample, Edge, OpStates, Status};
pub use page::Omitted;

/// How many operations a report draws in full by default: about 30 MB of HTML. Above it, the
/// page keeps the counterexample's neighbourhood and a summary of the rest.
pub const DEFAULT_MAX_OPS: usize = 200_000;

/// A history and, optionally, what a checker said about it, ready to render as HTML.
#[derive(Clone, Debug)]
pub struct Report<'a> {
    events: &'a [Event],
    title: String,
    analysis: Option<Analysis>,
    max_ops: Option<usize>,
}

impl<'a> Report<'a> {
    /// A timeline of `events` (in index order, as recorded or read from a file).
    pub fn new(events: &'a [Event]) -> Report<'a> {
        Report {
            events,
            title: "lockstep history".to_owned(),
            analysis: None,
            max_ops: Some(DEFAULT_MAX_OPS),
        }
    }

    /// Sets the page title, such as the file name the history came from.
    pub fn title(mut self, title: impl Into<String>) -> Report<'a> {
        self.title = title.into();
        self
    }

    /// Attaches a checker's findings, drawn over the timeline.
    pub fn with_analysis(mut self, analysis: Analysis) -> Report<'a> {
        self.analysis = Some(analysis);
        self
    }

    /// Draws at most `max` operations (`None`: all of them, however large the page). Default:
    /// [`DEFAULT_MAX_OPS`].
    pub fn max_ops(mut self, max: Option<usize>) -> Report<'a> {
        self.max_ops = max;
        self
    }

    /// What the page leaves out, if the history has more operations than it draws.
    pub fn omitted(&self) -> Option<Omitted> {
        page::PageData::build(
            self.events,
            &self.title,
            self.analysis.as_ref(),
            self.max_ops,
        )
        .omitted
    }

    /// The whole page: one self-contained HTML document.
    pub fn render(&self) -> String {
        let data = page::PageData::build(
            self.events,
            &self.title,
            self.analysis.as_ref(),
            self.max_ops,
        );
        html::document(&self.title, &data)
    }

    /// Renders the page and writes it to `path`.
    ///
    /// # Errors
    /// Any I/O error from writing the file.
    pub fn write_to(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, self.render())
    }
}

#[cfg(test)]
mod tests;
