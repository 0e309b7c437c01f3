//! The data the page draws: operations paired from events, lanes, the analysis mapped onto
//! operations, and, for a history too large to draw whole, which operations are kept.

use std::collections::HashMap;

use serde::Serialize;

use crate::checker::pairing::{Pair, pair};
use crate::checker::result::{Analysis, Status};
use crate::event::{Event, EventKind, Process};

/// The longest text kept for one value or model state; longer ones are cut with `…`.
pub(super) const MAX_TEXT: usize = 4096;

/// The longest note kept: a transactional analysis explains every anomaly it kept (a few
/// examples of each kind, each transaction and each edge of its cycle in words).
pub(super) const MAX_NOTE: usize = 64 * 1024;

/// How many operations at the end of a long prefix are always kept when a page is bounded.
const KEPT_PREFIX: usize = 1000;

/// What a bounded page leaves out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Omitted {
    /// Operations drawn.
    pub shown: usize,
    /// Operations in the history.
    pub total: usize,
    /// Operations left out, by how they ended (`ok`, `fail`, `info`, `pending`).
    pub by_kind: Vec<(String, usize)>,
    /// Operations left out, by name (`f`), the most frequent first (at most 20 names).
    pub by_f: Vec<(String, usize)>,
    /// The first and last event position of an operation left out.
    pub events: (usize, usize),
}

impl std::fmt::Display for Omitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the report draws {} of {} operations (the counterexample's neighbourhood); {} \
             between events {} and {} are summarized",
            self.shown,
            self.total,
            self.total - self.shown,
            self.events.0,
            self.events.1
        )
    }
}

/// Everything the page's script reads, serialized once into the page.
#[derive(Serialize)]
pub(super) struct PageData {
    title: String,
    lanes: Vec<String>,
    events: usize,
    end_time: u64,
    time_axis: bool,
    ops: Vec<PageOp>,
    analysis: Option<PageAnalysis>,
    /// Set when the history has more operations than the page draws.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) omitted: Option<Omitted>,
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
    status: &'static str,
    verdict: String,
    model: String,
    note: String,
    order: Vec<usize>,
    highlight: Vec<usize>,
    edges: Vec<(usize, usize, String)>,
    counterexample: Option<PageCounterexample>,
}

#[derive(Serialize)]
struct PageCounterexample {
    op: Option<usize>,
    prefix: Vec<usize>,
    state: String,
    candidates: Vec<(usize, String)>,
}

fn kind_of(events: &[Event], op: &Pair) -> &'static str {
    match op.completion.map(|c| events[c].kind) {
        None | Some(EventKind::Invoke) => "pending",
        Some(EventKind::Ok) => "ok",
        Some(EventKind::Fail) => "fail",
        Some(EventKind::Info) => "info",
    }
}

impl PageData {
    /// The page data of `events` with `analysis`, drawing at most `max_ops` operations.
    pub(super) fn build(
        events: &[Event],
        title: &str,
        analysis: Option<&Analysis>,
        max_ops: Option<usize>,
    ) -> PageData {
        let mut ops = pair(events);
        let omitted = max_ops
            .filter(|&max| ops.len() > max)
            .map(|max| bound(events, &mut ops, analysis, max));
        let mut lanes: Vec<&Process> = Vec::new();
        let mut lane_of: HashMap<&Process, usize> = HashMap::new();
        let mut processes: Vec<&Process> = events.iter().map(|e| &e.process).collect();
        processes.sort();
        processes.dedup();
        // Client processes first in numeric order, named ones (nemesis) after them.
        for p in processes {
            lane_of.insert(p, lanes.len());
            lanes.push(p);
        }

        let times: Vec<u64> = events.iter().map(|e| e.time).collect();
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

        let mut page_ops: Vec<PageOp> = ops
            .iter()
            .map(|op| {
                let first = op.first();
                let inv = &events[first];
                let done = op.completion.map(|c| &events[c]);
                let states = op
                    .invoke
                    .and_then(|i| analysis.and_then(|a| a.states.get(&i)));
                PageOp {
                    lane: lane_of.get(&inv.process).copied().unwrap_or(0),
                    kind: kind_of(events, op),
                    f: clip(&inv.f),
                    i0: op.invoke.unwrap_or(first),
                    i1: op.completion,
                    t0: inv.time,
                    t1: done.map(|d| d.time),
                    input: op.invoke.map(|i| clip(&events[i].value.to_string())),
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
            status: match a.status {
                Status::Valid => "valid",
                Status::Invalid => "invalid",
                Status::Unknown => "unknown",
            },
            verdict: a.verdict_words(),
            model: clip(&a.model),
            note: clip_to(&a.note, MAX_NOTE),
            order: a.order.iter().filter_map(to_op).collect(),
            highlight: a.highlight.iter().filter_map(to_op).collect(),
            edges: a
                .edges
                .iter()
                .filter_map(|e| Some((to_op(&e.from)?, to_op(&e.to)?, clip(&e.label))))
                .collect(),
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
            title: title.to_owned(),
            lanes: lanes.iter().map(|p| p.to_string()).collect(),
            events: events.len(),
            end_time,
            time_axis: monotonic && spread,
            ops: page_ops,
            analysis: page_analysis,
            omitted,
        }
    }
}

/// Keeps at most `max` of `ops`: those the analysis names (the failing operation, its
/// candidates, highlighted ones, the ends of edges, the end of the prefix), then the ones
/// nearest to the failing operation in event order (to the start of the history when there
/// is none); says what the rest were.
fn bound(
    events: &[Event],
    ops: &mut Vec<Pair>,
    analysis: Option<&Analysis>,
    max: usize,
) -> Omitted {
    let total = ops.len();
    let mut named: Vec<usize> = Vec::new();
    let mut centre = 0;
    if let Some(a) = analysis {
        named.extend(&a.highlight);
        named.extend(a.edges.iter().flat_map(|e| [e.from, e.to]));
        if let Some(c) = &a.counterexample {
            centre = c.op;
            named.push(c.op);
            named.extend(c.candidates.iter().map(|(p, _)| *p));
            named.extend(c.prefix.iter().rev().take(KEPT_PREFIX));
        } else if let Some(&first) = a.highlight.first() {
            centre = first;
        }
    }
    let mut keep = vec![false; total];
    let mut kept = 0;
    let op_of_invoke: HashMap<usize, usize> = ops
        .iter()
        .enumerate()
        .filter_map(|(id, op)| Some((op.invoke?, id)))
        .collect();
    for id in named.iter().filter_map(|p| op_of_invoke.get(p)) {
        if kept < max && !keep[*id] {
            keep[*id] = true;
            kept += 1;
        }
    }
    let mut by_distance: Vec<usize> = (0..total).collect();
    by_distance.sort_by_key(|&id| (ops[id].first().abs_diff(centre), id));
    for id in by_distance {
        if kept >= max {
            break;
        }
        if !keep[id] {
            keep[id] = true;
            kept += 1;
        }
    }
    let mut by_kind: HashMap<&'static str, usize> = HashMap::new();
    let mut by_f: HashMap<&str, usize> = HashMap::new();
    let mut range = (usize::MAX, 0);
    for (_, op) in ops.iter().enumerate().filter(|(id, _)| !keep[*id]) {
        *by_kind.entry(kind_of(events, op)).or_default() += 1;
        *by_f.entry(&events[op.first()].f).or_default() += 1;
        range = (range.0.min(op.first()), range.1.max(op.first()));
    }
    let mut by_kind: Vec<(String, usize)> = by_kind
        .into_iter()
        .map(|(k, n)| (k.to_owned(), n))
        .collect();
    by_kind.sort();
    let mut by_f: Vec<(String, usize)> = by_f.into_iter().map(|(f, n)| (clip(f), n)).collect();
    by_f.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    by_f.truncate(20);
    let mut id = 0;
    ops.retain(|_| {
        id += 1;
        keep[id - 1]
    });
    Omitted {
        shown: kept,
        total,
        by_kind,
        by_f,
        events: range,
    }
}

/// Cuts very long text so one huge value cannot bloat the page.
pub(super) fn clip(text: &str) -> String {
    clip_to(text, MAX_TEXT)
}

/// Cuts text to at most `max` bytes (on a character boundary) and a `…`.
fn clip_to(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
