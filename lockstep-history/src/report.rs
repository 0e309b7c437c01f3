//! The HTML history report: one self-contained page that draws a history as a timeline.
//!
//! Each process gets a lane; each operation is a bar from its invoke to its completion,
//! coloured by how it ended (ok, fail, info; info and never-completed operations run to the
//! end of the history, since they may take effect at any later point). When an [`Analysis`]
//! is attached the page also draws what the checker found: the witness order of a
//! linearizable history, or for a violation the longest linearizable prefix in order, the
//! operation that cannot be linearized and why each candidate step was illegal.
//!
//! The page needs no network: CSS and JavaScript are inline, the history is embedded once as
//! JSON and drawn on a canvas (so 20,000 operations stay responsive), and a Content Security
//! Policy forbids every request. Recorded values are escaped on the way in and only ever set
//! as text on the way out.
//!
//! ```
//! use lockstep_history::report::{Analysis, Counterexample, Report, Verdict};
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
//!     verdict: Verdict::NotLinearizable,
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

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::event::{Event, EventKind, Process};

/// The longest text kept for one value or model state; longer ones are cut with `…`.
const MAX_TEXT: usize = 4096;

/// What a checker concluded about a history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Every operation fits one sequential order that respects real time and the model.
    Linearizable,
    /// No such order exists; the counterexample says where the search got stuck.
    NotLinearizable,
    /// The checker gave up (a time or memory limit) before deciding.
    #[default]
    Unknown,
}

impl Verdict {
    /// Lower-case words for the verdict, as the report and the CLI print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Linearizable => "linearizable",
            Verdict::NotLinearizable => "not linearizable",
            Verdict::Unknown => "unknown",
        }
    }
}

/// Model states around one operation, as text (the model's own description).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpStates {
    /// The state just before the operation took effect.
    pub before: String,
    /// The state just after.
    pub after: String,
}

/// Why the history is not linearizable, in terms of positions in the events slice.
///
/// Every operation is named by the position of its invoke event in the slice given to
/// [`Report::new`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counterexample {
    /// The operation that cannot be linearized (its invoke's position).
    pub op: usize,
    /// The longest linearizable prefix, in linearization order.
    pub prefix: Vec<usize>,
    /// The model state after that prefix.
    pub state: String,
    /// Each operation that could have come next, with why the model refused it.
    pub candidates: Vec<(usize, String)>,
}

/// A checker's findings, in the plain terms the report draws.
///
/// Operations are named by the position of their invoke event in the events slice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The verdict shown in the page header.
    pub verdict: Verdict,
    /// The model, as shown to the reader (`cas-register, initially 0`).
    pub model: String,
    /// For a linearizable history, the witness order; operations are numbered along it.
    pub linearization: Vec<usize>,
    /// Set when the history is not linearizable.
    pub counterexample: Option<Counterexample>,
    /// Model states before and after operations, keyed by invoke position.
    pub states: HashMap<usize, OpStates>,
    /// Anything else worth saying, such as which limit stopped an unknown check.
    pub note: String,
}

/// A history and, optionally, what a checker said about it, ready to render as HTML.
#[derive(Clone, Debug)]
pub struct Report<'a> {
    events: &'a [Event],
    title: String,
    analysis: Option<Analysis>,
}

impl<'a> Report<'a> {
    /// A timeline of `events` (in index order, as recorded or read from a file).
    pub fn new(events: &'a [Event]) -> Report<'a> {
        Report {
            events,
            title: "lockstep history".to_owned(),
            analysis: None,
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

    /// The whole page: one self-contained HTML document.
    pub fn render(&self) -> String {
        let data = self.data();
        // serde_json cannot fail on these plain structs; fall back to an empty object anyway.
        let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".to_owned());
        let mut html = String::with_capacity(json.len() + PAGE_CSS.len() + PAGE_JS.len() + 4096);
        html.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.push_str(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
             script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; \
             base-uri 'none'; form-action 'none'\">\n",
        );
        html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(html, "<title>{}</title>", escape_html(&self.title));
        let _ = writeln!(html, "<style>\n{PAGE_CSS}</style>\n</head>");
        html.push_str(PAGE_BODY);
        html.push_str("<script type=\"application/json\" id=\"lockstep-data\">");
        html.push_str(&escape_script_json(&json));
        html.push_str("</script>\n<script>\n");
        html.push_str(PAGE_JS);
        html.push_str("</script>\n</body>\n</html>\n");
        html
    }

    /// Renders the page and writes it to `path`.
    ///
    /// # Errors
    /// Any I/O error from writing the file.
    pub fn write_to(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, self.render())
    }

    fn data(&self) -> PageData {
        let ops = pair_ops(self.events);
        let mut lanes: Vec<&Process> = Vec::new();
        let mut lane_of: HashMap<&Process, usize> = HashMap::new();
        let mut processes: Vec<&Process> = self.events.iter().map(|e| &e.process).collect();
        processes.sort();
        processes.dedup();
        // Client processes first in numeric order, named ones (nemesis) after them.
        for p in processes {
            lane_of.insert(p, lanes.len());
            lanes.push(p);
        }

        let times: Vec<u64> = self.events.iter().map(|e| e.time).collect();
        let monotonic = times.windows(2).all(|w| w[0] <= w[1]);
        let spread = times.iter().max().copied().unwrap_or(0) > times.first().copied().unwrap_or(0);
        let end_time = times.iter().max().copied().unwrap_or(0);

        let mut op_of_invoke: HashMap<usize, usize> = HashMap::new();
        for (id, op) in ops.iter().enumerate() {
            if let Some(i) = op.invoke {
                op_of_invoke.insert(i, id);
            }
        }
        let to_op = |pos: &usize| op_of_invoke.get(pos).copied();

        let analysis = self.analysis.as_ref();
        let mut page_ops: Vec<PageOp> = ops
            .iter()
            .map(|op| {
                let first = op.invoke.or(op.completion).unwrap_or(0);
                let inv = &self.events[first];
                let done = op.completion.map(|c| &self.events[c]);
                let kind = match done.map(|d| d.kind) {
                    None => "pending",
                    Some(EventKind::Ok) => "ok",
                    Some(EventKind::Fail) => "fail",
                    Some(EventKind::Info) => "info",
                    Some(EventKind::Invoke) => "pending",
                };
                let states = op
                    .invoke
                    .and_then(|i| analysis.and_then(|a| a.states.get(&i)));
                PageOp {
                    lane: lane_of.get(&inv.process).copied().unwrap_or(0),
                    kind,
                    f: clip(&inv.f),
                    i0: op.invoke.unwrap_or(first),
                    i1: op.completion,
                    t0: inv.time,
                    t1: done.map(|d| d.time),
                    input: op.invoke.map(|i| clip(&self.events[i].value.to_string())),
                    output: done
                        .filter(|d| d.kind == EventKind::Ok)
                        .map(|d| clip(&d.value.to_string())),
                    error: done
                        .and_then(|d| d.error.as_ref())
                        .map(|e| clip(&e.to_string())),
                    orphan: op.invoke.is_none(),
                    before: states.map(|s| clip(&s.before)),
                    after: states.map(|s| clip(&s.after)),
                }
            })
            .collect();
        page_ops.shrink_to_fit();

        let page_analysis = analysis.map(|a| PageAnalysis {
            verdict: a.verdict.as_str(),
            model: clip(&a.model),
            note: clip(&a.note),
            order: a.linearization.iter().filter_map(to_op).collect(),
            counterexample: a.counterexample.as_ref().map(|c| PageCounterexample {
                op: to_op(&c.op),
                prefix: c.prefix.iter().filter_map(to_op).collect(),
                state: clip(&c.state),
                candidates: c
                    .candidates
                    .iter()
                    .filter_map(|(pos, reason)| to_op(pos).map(|op| (op, clip(reason))))
                    .collect(),
            }),
        });

        PageData {
            title: self.title.clone(),
            lanes: lanes.iter().map(|p| p.to_string()).collect(),
            events: self.events.len(),
            end_time,
            time_axis: monotonic && spread,
            ops: page_ops,
            analysis: page_analysis,
        }
    }
}

/// One operation as the page draws it: positions of its invoke and completion events.
struct PairedOp {
    invoke: Option<usize>,
    completion: Option<usize>,
}

/// Pairs each invoke with the next completion on the same process, in event order.
///
/// Invokes never completed stay pending; a completion with no pending invoke still becomes
/// an operation of its own so that nothing recorded disappears from the picture.
fn pair_ops(events: &[Event]) -> Vec<PairedOp> {
    let mut ops: Vec<PairedOp> = Vec::new();
    let mut pending: HashMap<&Process, usize> = HashMap::new();
    for (pos, e) in events.iter().enumerate() {
        if e.kind == EventKind::Invoke {
            // A second invoke while one is pending leaves the first one never completed.
            pending.insert(&e.process, ops.len());
            ops.push(PairedOp {
                invoke: Some(pos),
                completion: None,
            });
        } else if let Some(id) = pending.remove(&e.process) {
            ops[id].completion = Some(pos);
        } else {
            ops.push(PairedOp {
                invoke: None,
                completion: Some(pos),
            });
        }
    }
    ops
}

#[derive(Serialize)]
struct PageData {
    title: String,
    lanes: Vec<String>,
    events: usize,
    end_time: u64,
    time_axis: bool,
    ops: Vec<PageOp>,
    analysis: Option<PageAnalysis>,
}

#[derive(Serialize)]
struct PageOp {
    lane: usize,
    kind: &'static str,
    f: String,
    i0: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    i1: Option<usize>,
    t0: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    t1: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    orphan: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<String>,
}

#[derive(Serialize)]
struct PageAnalysis {
    verdict: &'static str,
    model: String,
    note: String,
    order: Vec<usize>,
    counterexample: Option<PageCounterexample>,
}

#[derive(Serialize)]
struct PageCounterexample {
    op: Option<usize>,
    prefix: Vec<usize>,
    state: String,
    candidates: Vec<(usize, String)>,
}

/// Cuts very long text so one huge value cannot bloat the page.
fn clip(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_owned();
    }
    let mut end = MAX_TEXT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Escapes text for HTML element content and attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Makes JSON safe inside a `<script>` element: nothing in it can close the element, open a
/// comment or end a JavaScript line. The characters only occur inside JSON strings, where
/// `\u` escapes mean the same thing, so the JSON still parses to the same data.
fn escape_script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// From the checker's verdict

impl Analysis {
    /// The report's view of a checker [`Verdict`](crate::checker::Verdict) on `events`.
    ///
    /// `model` names the model for the reader (`cas-register, initially 0`); when empty, the
    /// counterexample's own model name is used. Keyed models are checked per partition; their
    /// witness orders are merged into one order that respects real time, so the page can
    /// draw a single path.
    pub fn from_verdict(
        events: &[Event],
        verdict: &crate::checker::Verdict,
        model: impl Into<String>,
    ) -> Analysis {
        use crate::checker::{CandidateOutcome, Verdict as Checked};

        let position: HashMap<u64, usize> = events
            .iter()
            .enumerate()
            .map(|(pos, e)| (e.index, pos))
            .collect();
        let pos = |index: u64| position.get(&index).copied();
        let mut analysis = Analysis {
            model: model.into(),
            ..Analysis::default()
        };
        match verdict {
            Checked::Linearizable(l) => {
                analysis.verdict = Verdict::Linearizable;
                let orders: Vec<Vec<usize>> = l
                    .partitions
                    .iter()
                    .map(|p| p.order.iter().filter_map(|&i| pos(i)).collect())
                    .collect();
                analysis.linearization = merge_orders(&orders);
            }
            Checked::NotLinearizable(c) => {
                analysis.verdict = Verdict::NotLinearizable;
                if analysis.model.is_empty() {
                    analysis.model = c.model.clone();
                }
                if let Some(key) = &c.partition {
                    analysis.note = format!("The violation is in partition (key) {key}.");
                }
                for step in &c.prefix {
                    if let Some(p) = pos(step.op.op.invoke) {
                        analysis.states.insert(
                            p,
                            OpStates {
                                before: step.before.clone(),
                                after: step.after.clone(),
                            },
                        );
                    }
                }
                let mut candidates = Vec::new();
                for cand in &c.candidates {
                    let Some(p) = pos(cand.op.op.invoke) else {
                        continue;
                    };
                    let reason = match &cand.outcome {
                        CandidateOutcome::Illegal { reason } => {
                            format!("{}: {reason}", cand.op.description)
                        }
                        CandidateOutcome::DeadEnd { after } => {
                            analysis.states.entry(p).or_insert_with(|| OpStates {
                                before: c.state.clone(),
                                after: after.clone(),
                            });
                            format!(
                                "{}: allowed (the state becomes {after}), but nothing can follow it",
                                cand.op.description
                            )
                        }
                    };
                    candidates.push((p, reason));
                }
                analysis.counterexample = pos(c.op.op.invoke).map(|op| Counterexample {
                    op,
                    prefix: c
                        .prefix
                        .iter()
                        .filter_map(|s| pos(s.op.op.invoke))
                        .collect(),
                    state: c.state.clone(),
                    candidates,
                });
            }
            Checked::Unknown(u) => {
                analysis.verdict = Verdict::Unknown;
                analysis.note = u.to_string();
            }
        }
        analysis
    }
}

impl Analysis {
    /// Fills in the model state before and after each operation of a linearizable verdict's
    /// witness, by replaying each partition's order through `model` from its initial state,
    /// as the checker did. Other verdicts already carry their states and are left alone.
    ///
    /// `knossos_nil_reads` must be the mode the check ran in.
    pub fn with_witness_states<M: crate::model::Model>(
        mut self,
        events: &[Event],
        verdict: &crate::checker::Verdict,
        model: &M,
        knossos_nil_reads: bool,
    ) -> Analysis {
        let Some(witness) = verdict.linearization() else {
            return self;
        };
        let Ok(prepared) = crate::checker::preprocess::prepare(events, model, knossos_nil_reads)
        else {
            return self;
        };
        let op_of: HashMap<u64, usize> = prepared
            .operations
            .iter()
            .enumerate()
            .map(|(i, op)| (op.invoke, i))
            .collect();
        let position: HashMap<u64, usize> = events
            .iter()
            .enumerate()
            .map(|(pos, e)| (e.index, pos))
            .collect();
        for partition in &witness.partitions {
            let mut state = model.init();
            for index in &partition.order {
                let (Some(&i), Some(&pos)) = (op_of.get(index), position.get(index)) else {
                    continue;
                };
                // A witness only takes legal steps; stop describing if one is not.
                let Ok(after) = model.step(&state, &prepared.ops[i]) else {
                    break;
                };
                self.states.insert(
                    pos,
                    OpStates {
                        before: model.describe_state(&state),
                        after: model.describe_state(&after),
                    },
                );
                state = after;
            }
        }
        self
    }
}

/// Merges per-partition orders into one: each operation is placed at the earliest event
/// position its partition's order allows (its invoke, or after its predecessor), and
/// operations are sorted by that point, keeping each partition's own order.
fn merge_orders(orders: &[Vec<usize>]) -> Vec<usize> {
    if orders.len() == 1 {
        return orders[0].clone();
    }
    let mut placed: Vec<(usize, usize, usize, usize)> = Vec::new();
    for (part, order) in orders.iter().enumerate() {
        let mut point = 0;
        for (k, &op) in order.iter().enumerate() {
            point = point.max(op);
            placed.push((point, part, k, op));
        }
    }
    placed.sort_unstable();
    placed.into_iter().map(|(_, _, _, op)| op).collect()
}

const PAGE_CSS: &str = include_str!("report/page.css");
const PAGE_BODY: &str = include_str!("report/page.html");
const PAGE_JS: &str = include_str!("report/page.js");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn ev(index: u64, kind: EventKind, process: Process, f: &'static str, value: Value) -> Event {
        Event {
            index,
            time: index * 100,
            kind,
            process,
            f: f.into(),
            value,
            error: None,
        }
    }

    fn data_json(html: &str) -> serde_json::Value {
        let start = html.find("id=\"lockstep-data\">").unwrap() + "id=\"lockstep-data\">".len();
        let end = start + html[start..].find("</script>").unwrap();
        serde_json::from_str(&html[start..end]).unwrap()
    }

    #[test]
    fn pairs_invokes_with_completions_per_process() {
        let events = vec![
            ev(0, EventKind::Invoke, Process::Id(0), "write", Value::Int(1)),
            ev(1, EventKind::Invoke, Process::Id(1), "read", Value::Nil),
            ev(2, EventKind::Ok, Process::Id(1), "read", Value::Int(1)),
            ev(3, EventKind::Info, Process::Id(0), "write", Value::Int(1)),
            ev(4, EventKind::Invoke, Process::Id(2), "read", Value::Nil),
            ev(5, EventKind::Fail, Process::Id(3), "read", Value::Nil),
        ];
        let ops = pair_ops(&events);
        let pairs: Vec<_> = ops.iter().map(|o| (o.invoke, o.completion)).collect();
        assert_eq!(
            pairs,
            vec![
                (Some(0), Some(3)),
                (Some(1), Some(2)),
                (Some(4), None),
                (None, Some(5))
            ]
        );
    }

    #[test]
    fn hostile_values_cannot_leave_the_data_element() {
        let nasty = "</script><script>alert(1)</script> \"><img src=x onerror=alert(1)> & \u{2028}";
        let events = vec![
            ev(
                0,
                EventKind::Invoke,
                Process::Id(0),
                "write",
                Value::from(nasty),
            ),
            ev(
                1,
                EventKind::Ok,
                Process::Id(0),
                "write",
                Value::from(nasty),
            ),
        ];
        let html = Report::new(&events).title(nasty).render();
        assert_eq!(
            html.matches("<script").count(),
            2,
            "only the page's own scripts"
        );
        assert_eq!(html.matches("</script>").count(), 2);
        assert!(!html.contains("<img"));
        let script = &html[html.find("id=\"lockstep-data\"").unwrap()..];
        assert!(
            !script.contains('\u{2028}'),
            "line separators escaped in the script"
        );
        assert!(html.contains("<title>&lt;/script&gt;&lt;script&gt;alert(1)"));
        // The escaped JSON still reads back to the exact value.
        let data = data_json(&html);
        assert_eq!(data["ops"][0]["input"], Value::from(nasty).to_string());
        assert_eq!(data["title"], nasty);
    }

    #[test]
    fn lanes_named_processes_and_pending_ops() {
        let events = vec![
            ev(0, EventKind::Invoke, Process::Id(1), "read", Value::Nil),
            ev(
                1,
                EventKind::Invoke,
                Process::Named("nemesis".into()),
                "start",
                Value::Nil,
            ),
            ev(
                2,
                EventKind::Info,
                Process::Named("nemesis".into()),
                "start",
                Value::Nil,
            ),
            ev(3, EventKind::Invoke, Process::Id(0), "write", Value::Int(3)),
        ];
        let data = data_json(&Report::new(&events).render());
        assert_eq!(data["lanes"], serde_json::json!(["0", "1", ":nemesis"]));
        let kinds: Vec<_> = data["ops"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["lane"].as_u64().unwrap(),
                    o["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                (1, "pending".into()),
                (2, "info".into()),
                (0, "pending".into())
            ]
        );
        assert_eq!(data["time_axis"], true);
        assert!(data["analysis"].is_null());
    }

    #[test]
    fn non_monotonic_times_fall_back_to_event_order() {
        let mut events = vec![
            ev(0, EventKind::Invoke, Process::Id(0), "read", Value::Nil),
            ev(1, EventKind::Ok, Process::Id(0), "read", Value::Nil),
        ];
        events[1].time = 0;
        events[0].time = 50;
        assert_eq!(
            data_json(&Report::new(&events).render())["time_axis"],
            false
        );
    }

    #[test]
    fn analysis_is_mapped_to_operations() {
        let events = vec![
            ev(0, EventKind::Invoke, Process::Id(0), "write", Value::Int(1)),
            ev(1, EventKind::Ok, Process::Id(0), "write", Value::Int(1)),
            ev(2, EventKind::Invoke, Process::Id(1), "read", Value::Nil),
            ev(3, EventKind::Ok, Process::Id(1), "read", Value::Int(2)),
        ];
        let mut states = HashMap::new();
        states.insert(
            0,
            OpStates {
                before: "nil".into(),
                after: "1".into(),
            },
        );
        let analysis = Analysis {
            verdict: Verdict::NotLinearizable,
            model: "register".into(),
            counterexample: Some(Counterexample {
                op: 2,
                prefix: vec![0],
                state: "1".into(),
                candidates: vec![(2, "read 2 but the value is 1".into())],
            }),
            states,
            ..Analysis::default()
        };
        let data = data_json(&Report::new(&events).with_analysis(analysis).render());
        let a = &data["analysis"];
        assert_eq!(a["verdict"], "not linearizable");
        assert_eq!(a["counterexample"]["op"], 1);
        assert_eq!(a["counterexample"]["prefix"], serde_json::json!([0]));
        assert_eq!(
            a["counterexample"]["candidates"],
            serde_json::json!([[1, "read 2 but the value is 1"]])
        );
        assert_eq!(data["ops"][0]["before"], "nil");
        assert_eq!(data["ops"][0]["after"], "1");
        assert_eq!(data["ops"][1]["output"], "2");
    }

    fn op_events(ops: &[(u64, &'static str, Value, Value)]) -> Vec<Event> {
        // Each op: invoke then ok on its own process, all sequential.
        let mut events = Vec::new();
        for (p, f, input, output) in ops {
            let n = events.len() as u64;
            events.push(ev(n, EventKind::Invoke, Process::Id(*p), f, input.clone()));
            events.push(ev(n + 1, EventKind::Ok, Process::Id(*p), f, output.clone()));
        }
        events
    }

    #[test]
    fn adapter_reads_a_real_counterexample() {
        use crate::model::Register;
        let events = op_events(&[
            (0, "write", Value::Int(1), Value::Int(1)),
            (1, "read", Value::Nil, Value::Int(2)),
        ]);
        let verdict = crate::checker::linearizable::check(&events, &Register::new(0)).unwrap();
        let a = Analysis::from_verdict(&events, &verdict, "");
        assert_eq!(a.verdict, Verdict::NotLinearizable);
        assert!(
            !a.model.is_empty(),
            "falls back to the checker's model name"
        );
        let c = a.counterexample.unwrap();
        assert_eq!(c.op, 2, "the read's invoke position");
        assert_eq!(c.prefix, vec![0]);
        assert_eq!(c.state, "1");
        assert_eq!(c.candidates.len(), 1);
        assert_eq!(c.candidates[0].0, 2);
        assert!(c.candidates[0].1.contains("read"), "{}", c.candidates[0].1);
        let states = &a.states[&0];
        assert_eq!((states.before.as_str(), states.after.as_str()), ("0", "1"));
    }

    #[test]
    fn adapter_merges_partitions_into_one_order() {
        use crate::model::Kv;
        let kv = |k: &str, v: Value| Value::from(vec![Value::keyword(k), v]);
        let events = op_events(&[
            (0, "write", kv("x", Value::Int(1)), kv("x", Value::Int(1))),
            (1, "write", kv("y", Value::Int(2)), kv("y", Value::Int(2))),
            (0, "read", kv("x", Value::Nil), kv("x", Value::Int(1))),
            (1, "read", kv("y", Value::Nil), kv("y", Value::Int(2))),
        ]);
        let verdict = crate::checker::linearizable::check(&events, &Kv::new(Value::Nil)).unwrap();
        assert!(verdict.is_linearizable(), "{verdict}");
        let a = Analysis::from_verdict(&events, &verdict, "kv");
        assert_eq!(a.verdict, Verdict::Linearizable);
        // Sequential ops: the merged order is the real-time order across both keys.
        assert_eq!(a.linearization, vec![0, 2, 4, 6]);
    }

    #[test]
    fn witness_states_are_replayed() {
        use crate::model::Register;
        let events = op_events(&[
            (0, "write", Value::Int(1), Value::Int(1)),
            (1, "read", Value::Nil, Value::Int(1)),
            (0, "write", Value::Int(4), Value::Int(4)),
        ]);
        let model = Register::new(0);
        let verdict = crate::checker::linearizable::check(&events, &model).unwrap();
        let a = Analysis::from_verdict(&events, &verdict, "register")
            .with_witness_states(&events, &verdict, &model, false);
        let text = |pos: usize| (a.states[&pos].before.clone(), a.states[&pos].after.clone());
        assert_eq!(text(0), ("0".into(), "1".into()));
        assert_eq!(text(2), ("1".into(), "1".into()));
        assert_eq!(text(4), ("1".into(), "4".into()));
    }

    #[test]
    fn merge_keeps_each_partition_in_order() {
        assert_eq!(merge_orders(&[vec![5, 1], vec![0, 3]]), vec![0, 3, 5, 1]);
        assert_eq!(merge_orders(&[vec![2, 9]]), vec![2, 9]);
        assert_eq!(merge_orders(&[]), Vec::<usize>::new());
    }

    #[test]
    fn any_events_and_any_positions_render() {
        // Arbitrary interleavings (orphan completions, double invokes, named processes, times
        // going backwards) and analyses naming positions that are no operation's invoke.
        let mut seed = 0x5eed_u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for round in 0..200 {
            let len = next(40) as usize;
            let events: Vec<Event> = (0..len)
                .map(|i| {
                    let kind = [
                        EventKind::Invoke,
                        EventKind::Ok,
                        EventKind::Fail,
                        EventKind::Info,
                    ][next(4) as usize];
                    let process = if next(8) == 0 {
                        Process::Named("nemesis".into())
                    } else {
                        Process::Id(next(4))
                    };
                    let mut e = ev(i as u64, kind, process, "op", Value::Int(next(9) as i64));
                    e.time = next(1000);
                    e
                })
                .collect();
            let mut pick = || next(len as u64 + 3) as usize;
            let analysis = Analysis {
                verdict: Verdict::NotLinearizable,
                linearization: (0..5).map(|_| pick()).collect(),
                counterexample: Some(Counterexample {
                    op: pick(),
                    prefix: (0..5).map(|_| pick()).collect(),
                    state: "s".into(),
                    candidates: (0..3).map(|_| (pick(), "r".into())).collect(),
                }),
                states: (0..4).map(|_| (pick(), OpStates::default())).collect(),
                ..Analysis::default()
            };
            let html = Report::new(&events).with_analysis(analysis).render();
            let data = data_json(&html);
            let ops = data["ops"].as_array().unwrap().len();
            let c = &data["analysis"]["counterexample"];
            for id in c["prefix"].as_array().unwrap() {
                assert!((id.as_u64().unwrap() as usize) < ops, "round {round}");
            }
            if let Some(op) = c["op"].as_u64() {
                assert!((op as usize) < ops, "round {round}");
            }
        }
    }

    #[test]
    fn long_values_are_clipped_on_a_char_boundary() {
        let long = "é".repeat(MAX_TEXT);
        let clipped = clip(&long);
        assert!(clipped.len() <= MAX_TEXT + '…'.len_utf8());
        assert!(clipped.ends_with('…'));
    }

    #[test]
    fn empty_history_renders() {
        let html = Report::new(&[]).render();
        assert_eq!(data_json(&html)["ops"], serde_json::json!([]));
    }
}
