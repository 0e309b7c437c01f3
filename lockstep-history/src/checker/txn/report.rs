//! From a transactional [`Analysis`] to the checker-neutral
//! [`result::Analysis`](crate::checker::result::Analysis) the HTML report and the command
//! line draw.
//!
//! Every transaction an anomaly names is highlighted, every edge of every cycle becomes a
//! labelled edge (`ww`, `wr`, `rw`, `process`, `realtime`) between the two transactions'
//! operations, and the explanations, word for word as the command line prints them, become
//! the note. Nothing is checked twice: everything comes from the analysis.

use std::collections::{HashMap, HashSet};

use super::analysis::Analysis;
use crate::checker::result::{self, Edge, Status};
use crate::event::Event;

impl result::Analysis {
    /// The neutral view of a transactional `analysis` of `events` (the same slice it was
    /// checked on: transactions are found by their invoke's event index).
    ///
    /// The status is valid, invalid or unknown as [`Analysis::is_valid`],
    /// [`Analysis::is_invalid`] and [`Analysis::is_unknown`] say; anomalies the requested
    /// models allow are still drawn, and the note says they are allowed. Each transaction
    /// and each edge appears once, however many anomalies share it.
    ///
    /// ```
    /// use lockstep_history::checker::result::{Analysis, Status};
    /// use lockstep_history::checker::txn::{self, Options};
    /// use lockstep_history::format::{self, Format};
    ///
    /// // Read skew: T2 sees T1's append to :x but not its append to :y.
    /// let events = format::parse(br#"
    ///     {:process 0, :type :invoke, :value [[:append :x 1] [:append :y 1]]}
    ///     {:process 1, :type :invoke, :value [[:r :x nil] [:r :y nil]]}
    ///     {:process 0, :type :ok, :value [[:append :x 1] [:append :y 1]]}
    ///     {:process 1, :type :ok, :value [[:r :x [1]] [:r :y []]]}
    /// "#, Format::Edn).unwrap();
    /// let checked = txn::check(&events, &Options::default()).unwrap();
    /// let analysis = Analysis::from_txn(&events, &checked);
    /// assert_eq!(analysis.status, Status::Invalid);
    /// assert_eq!(analysis.verdict_words(), "not valid for strict-serializable");
    /// // Both transactions (by the positions of their invokes), and the cycle's two edges.
    /// let mut highlight = analysis.highlight.clone();
    /// highlight.sort();
    /// assert_eq!(highlight, [0, 1]);
    /// let mut edges: Vec<(usize, usize, &str)> =
    ///     analysis.edges.iter().map(|e| (e.from, e.to, e.label.as_str())).collect();
    /// edges.sort();
    /// assert_eq!(edges, [(0, 1, "wr"), (1, 0, "rw")]);
    /// assert!(analysis.note.contains("G-single"));
    /// ```
    pub fn from_txn(events: &[Event], analysis: &Analysis) -> result::Analysis {
        let position: HashMap<u64, usize> = events
            .iter()
            .enumerate()
            .map(|(pos, e)| (e.index, pos))
            .collect();
        let mut highlight = Vec::new();
        let mut highlighted = HashSet::new();
        let mut edges = Vec::new();
        let mut drawn = HashSet::new();
        for anomaly in &analysis.anomalies {
            let ops: Vec<Option<usize>> = anomaly
                .transactions
                .iter()
                .map(|t| position.get(&t.invoke).copied())
                .collect();
            for &op in ops.iter().flatten() {
                if highlighted.insert(op) {
                    highlight.push(op);
                }
            }
            for step in &anomaly.cycle {
                let ends = ops
                    .get(step.from)
                    .copied()
                    .flatten()
                    .zip(ops.get(step.to).copied().flatten());
                let Some((from, to)) = ends else {
                    continue;
                };
                if drawn.insert((from, to, step.edge)) {
                    edges.push(Edge {
                        from,
                        to,
                        label: step.edge.name().to_owned(),
                    });
                }
            }
        }
        result::Analysis {
            status: status(analysis),
            property: property(analysis),
            model: format!(
                "{} ({} transactions)",
                analysis.workload, analysis.transactions
            ),
            highlight,
            edges,
            note: note(analysis),
            ..result::Analysis::default()
        }
    }
}

fn status(analysis: &Analysis) -> Status {
    if analysis.is_valid() {
        Status::Valid
    } else if analysis.is_invalid() {
        Status::Invalid
    } else {
        Status::Unknown
    }
}

/// What the history was checked for, as the verdict's words use it: `valid for
/// serializable, snapshot-isolation`, with the anomalies asked for by name.
fn property(analysis: &Analysis) -> String {
    let models: Vec<&str> = analysis
        .consistency_models
        .iter()
        .map(|m| m.name())
        .collect();
    let mut property = if models.is_empty() {
        "valid".to_owned()
    } else {
        format!("valid for {}", models.join(", "))
    };
    if !analysis.extra_anomalies.is_empty() {
        let names: Vec<&str> = analysis.extra_anomalies.iter().map(|k| k.name()).collect();
        property.push_str(&format!(" (and free of {})", names.join(", ")));
    }
    property
}

/// The explanations as the command line prints them, after a sentence saying which
/// anomalies drawn are allowed, if any.
fn note(analysis: &Analysis) -> String {
    let allowed: Vec<&str> = analysis
        .kinds()
        .into_iter()
        .filter(|&k| !analysis.is_prohibited(k))
        .map(|k| k.name())
        .collect();
    let explanations = analysis.to_string();
    if allowed.is_empty() {
        explanations
    } else {
        format!(
            "Drawn but allowed by the models asked for: {}.\n\n{explanations}",
            allowed.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::txn::{self, AnomalyKind, ConsistencyModel, Options, Workload};
    use crate::format::{self, Format};

    fn events(text: &str) -> Vec<Event> {
        format::parse(text.as_bytes(), Format::Edn).unwrap()
    }

    fn check(events: &[Event], models: &[ConsistencyModel]) -> Analysis {
        let options = Options {
            workload: Workload::ListAppend,
            consistency_models: models.to_vec(),
            ..Options::default()
        };
        txn::check(events, &options).unwrap()
    }

    /// Write skew, then a reader of both keys; event indexes start at 10 so positions and
    /// indexes differ.
    const WRITE_SKEW: &str = "
        {:index 10 :process 0 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 1 1]]}
        {:index 11 :process 1 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 2 1]]}
        {:index 12 :process 0 :type :ok :value [[:r 1 []] [:r 2 []] [:append 1 1]]}
        {:index 13 :process 1 :type :ok :value [[:r 1 []] [:r 2 []] [:append 2 1]]}
        {:index 14 :process 2 :type :invoke :value [[:r 1 nil] [:r 2 nil]]}
        {:index 15 :process 2 :type :ok :value [[:r 1 [1]] [:r 2 [1]]]}";

    /// The edges as (from, to, label), in order.
    fn edges(a: &result::Analysis) -> Vec<(usize, usize, &str)> {
        a.edges
            .iter()
            .map(|e| (e.from, e.to, e.label.as_str()))
            .collect()
    }

    #[test]
    fn a_cycle_becomes_highlighted_operations_and_labelled_edges() {
        let events = events(WRITE_SKEW);
        let checked = check(&events, &[ConsistencyModel::Serializable]);
        assert_eq!(checked.anomaly_names(), ["G2-item"]);
        let a = result::Analysis::from_txn(&events, &checked);
        assert_eq!(a.status, Status::Invalid);
        assert_eq!(a.verdict_words(), "not valid for serializable");
        assert_eq!(a.model, "list-append (3 transactions)");
        // The two writers, by the positions of their invokes (not their indexes 10 and 11).
        let mut highlight = a.highlight.clone();
        highlight.sort();
        assert_eq!(highlight, [0, 1]);
        // Each read what the other then appended to: rw both ways.
        let mut found = edges(&a);
        found.sort();
        assert_eq!(found, [(0, 1, "rw"), (1, 0, "rw")]);
        // The explanation as the command line prints it.
        assert_eq!(a.note, checked.to_string());
        assert!(a.note.contains("without T2's append of 1"), "{}", a.note);
        assert!(a.order.is_empty() && a.counterexample.is_none());
    }

    #[test]
    fn every_edge_kind_keeps_its_label_and_direction() {
        // G-single-process: T1 appends, then T2 on the same process misses the append.
        let events = events(
            "{:process 0 :type :invoke :value [[:append :x 1]]}
             {:process 0 :type :ok :value [[:append :x 1]]}
             {:process 0 :type :invoke :value [[:r :x nil]]}
             {:process 0 :type :ok :value [[:r :x []]]}",
        );
        let checked = check(&events, &[ConsistencyModel::StrictSerializable]);
        let example = checked.of_kind(AnomalyKind::GSingleProcess).next().unwrap();
        let a = result::Analysis::from_txn(&events, &checked);
        // Exactly the cycle's steps, each between the invokes of its two transactions.
        let expected: Vec<(usize, usize, &str)> = example
            .cycle
            .iter()
            .map(|s| {
                let pos = |t: usize| example.transactions[t].invoke as usize;
                (pos(s.from), pos(s.to), s.edge.name())
            })
            .collect();
        assert_eq!(edges(&a), expected);
        let mut found = edges(&a);
        found.sort();
        assert_eq!(found, [(0, 2, "process"), (2, 0, "rw")]);
    }

    #[test]
    fn allowed_anomalies_are_drawn_in_a_valid_result() {
        let events = events(WRITE_SKEW);
        let checked = check(&events, &[ConsistencyModel::SnapshotIsolation]);
        assert!(checked.is_valid());
        let a = result::Analysis::from_txn(&events, &checked);
        assert_eq!(a.status, Status::Valid);
        assert_eq!(a.verdict_words(), "valid for snapshot-isolation");
        assert_eq!(a.edges.len(), 2);
        assert!(
            a.note
                .starts_with("Drawn but allowed by the models asked for: G2-item."),
            "{}",
            a.note
        );
    }

    #[test]
    fn a_valid_history_draws_nothing() {
        let events = events(
            "{:process 0 :type :invoke :value [[:append 1 1]]}
             {:process 0 :type :ok :value [[:append 1 1]]}
             {:process 1 :type :invoke :value [[:r 1 nil]]}
             {:process 1 :type :ok :value [[:r 1 [1]]]}",
        );
        let checked = check(&events, &[ConsistencyModel::StrictSerializable]);
        let a = result::Analysis::from_txn(&events, &checked);
        assert_eq!(a.status, Status::Valid);
        assert!(a.highlight.is_empty() && a.edges.is_empty());
        assert!(a.note.contains("valid"), "{}", a.note);
    }

    #[test]
    fn anomalies_without_a_cycle_are_highlighted_without_edges() {
        // G1a: a committed read of an append whose transaction failed.
        let events = events(
            "{:process 0 :type :invoke :value [[:append :x 1]]}
             {:process 0 :type :fail :value [[:append :x 1]]}
             {:process 1 :type :invoke :value [[:r :x nil]]}
             {:process 1 :type :ok :value [[:r :x [1]]]}",
        );
        let checked = check(&events, &[ConsistencyModel::ReadCommitted]);
        assert_eq!(checked.anomaly_names(), ["G1a"]);
        let a = result::Analysis::from_txn(&events, &checked);
        assert_eq!(a.status, Status::Invalid);
        assert!(a.edges.is_empty());
        assert!(a.highlight.contains(&2), "the reader: {:?}", a.highlight);
        assert!(a.note.contains("G1a"), "{}", a.note);
    }

    #[test]
    fn extra_anomalies_are_named_in_the_property() {
        let events = events(WRITE_SKEW);
        let options = Options {
            consistency_models: vec![ConsistencyModel::SnapshotIsolation],
            anomalies: vec![AnomalyKind::G2Item],
            ..Options::default()
        };
        let a = result::Analysis::from_txn(&events, &txn::check(&events, &options).unwrap());
        assert_eq!(
            a.verdict_words(),
            "not valid for snapshot-isolation (and free of G2-item)"
        );
    }

    #[test]
    fn an_unfinished_search_is_unknown() {
        let mut checked = check(&events(WRITE_SKEW), &[ConsistencyModel::ReadCommitted]);
        assert!(checked.is_valid());
        checked.unsearched.push(txn::Unsearched {
            transactions: 3,
            first_event: 10,
            searches: vec!["G-single".into()],
            reason: "the time limit".into(),
        });
        let a = result::Analysis::from_txn(&events(WRITE_SKEW), &checked);
        assert_eq!(a.status, Status::Unknown);
        assert_eq!(a.verdict_words(), "unknown");
        assert!(a.note.contains("not searched to the end"), "{}", a.note);
    }
}
