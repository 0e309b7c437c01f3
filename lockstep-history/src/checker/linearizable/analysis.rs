//! From a linearizability [`Verdict`] to the checker-neutral [`Analysis`] the report and the
//! command line draw.
//!
//! Everything the report shows comes from the verdict itself (the witness order, the states
//! the search passed through, the counterexample), so nothing is checked or prepared twice.

use std::collections::HashMap;

use super::counterexample::CandidateOutcome;
use super::verdict::Verdict;
use crate::checker::result::{Analysis, Counterexample, OpStates, Status};
use crate::event::Event;

impl Analysis {
    /// The neutral view of a linearizability `verdict` on `events`.
    ///
    /// `model` names the model for the reader (`cas-register, initially 0`); when empty, the
    /// counterexample's own model name is used. Keyed models are checked per partition; their
    /// witness orders are merged into one order that respects real time, so the page can
    /// draw a single path. The model states along a witness are those the verdict carries
    /// (see [`Options::witness_states`](super::Options::witness_states)).
    ///
    /// ```
    /// use lockstep_history::checker::linearizable::{self, Options};
    /// use lockstep_history::checker::result::{Analysis, Status};
    /// use lockstep_history::{History, model::Register};
    ///
    /// let h = History::new();
    /// h.op("write", 1, || ());
    /// h.op("read", (), || 1);
    /// let events = h.events();
    /// let options = Options { witness_states: true, ..Options::default() };
    /// let verdict = linearizable::check_with(&events, &Register::new(0), &options).unwrap();
    /// let analysis = Analysis::from_verdict(&events, &verdict, "register");
    /// assert_eq!(analysis.status, Status::Valid);
    /// assert_eq!(analysis.order, [0, 2]);
    /// assert_eq!(analysis.states[&0].after, "1");
    /// ```
    pub fn from_verdict(events: &[Event], verdict: &Verdict, model: impl Into<String>) -> Analysis {
        let position: HashMap<u64, usize> = events
            .iter()
            .enumerate()
            .map(|(pos, e)| (e.index, pos))
            .collect();
        let pos = |index: u64| position.get(&index).copied();
        let mut analysis = Analysis {
            property: "linearizable".to_owned(),
            model: model.into(),
            ..Analysis::default()
        };
        match verdict {
            Verdict::Linearizable(l) => {
                analysis.status = Status::Valid;
                let orders: Vec<Vec<usize>> = l
                    .partitions
                    .iter()
                    .map(|p| p.order.iter().filter_map(|&i| pos(i)).collect())
                    .collect();
                analysis.order = merge_orders(&orders);
                for partition in &l.partitions {
                    for (&index, states) in partition.order.iter().zip(&partition.states) {
                        if let Some(p) = pos(index) {
                            analysis.states.insert(p, states.clone());
                        }
                    }
                }
            }
            Verdict::NotLinearizable(c) => {
                analysis.status = Status::Invalid;
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
                analysis.highlight = pos(c.op.op.invoke).into_iter().collect();
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
            Verdict::Unknown(u) => {
                analysis.status = Status::Unknown;
                analysis.note = u.to_string();
            }
        }
        analysis
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::linearizable::{self, Options};
    use crate::event::{EventKind, Process};
    use crate::value::Value;

    fn op_events(ops: &[(u64, &'static str, Value, Value)]) -> Vec<Event> {
        // Each op: invoke then ok on its own process, all sequential.
        let mut events = Vec::new();
        for (p, f, input, output) in ops {
            for (kind, value) in [(EventKind::Invoke, input), (EventKind::Ok, output)] {
                events.push(Event {
                    index: events.len() as u64,
                    time: events.len() as u64 * 100,
                    kind,
                    process: Process::Id(*p),
                    f: (*f).into(),
                    value: value.clone(),
                    error: None,
                });
            }
        }
        events
    }

    #[test]
    fn reads_a_real_counterexample() {
        use crate::model::Register;
        let events = op_events(&[
            (0, "write", Value::Int(1), Value::Int(1)),
            (1, "read", Value::Nil, Value::Int(2)),
        ]);
        let verdict = linearizable::check(&events, &Register::new(0)).unwrap();
        let a = Analysis::from_verdict(&events, &verdict, "");
        assert_eq!(a.status, Status::Invalid);
        assert_eq!(a.verdict_words(), "not linearizable");
        assert!(
            !a.model.is_empty(),
            "falls back to the checker's model name"
        );
        assert_eq!(a.highlight, vec![2]);
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
    fn merges_partitions_into_one_order() {
        use crate::model::Kv;
        let kv = |k: &str, v: Value| Value::from(vec![Value::keyword(k), v]);
        let events = op_events(&[
            (0, "write", kv("x", Value::Int(1)), kv("x", Value::Int(1))),
            (1, "write", kv("y", Value::Int(2)), kv("y", Value::Int(2))),
            (0, "read", kv("x", Value::Nil), kv("x", Value::Int(1))),
            (1, "read", kv("y", Value::Nil), kv("y", Value::Int(2))),
        ]);
        let verdict = linearizable::check(&events, &Kv::new(Value::Nil)).unwrap();
        assert!(verdict.is_linearizable(), "{verdict}");
        let a = Analysis::from_verdict(&events, &verdict, "kv");
        assert_eq!(a.status, Status::Valid);
        // Sequential ops: the merged order is the real-time order across both keys.
        assert_eq!(a.order, vec![0, 2, 4, 6]);
    }

    #[test]
    fn witness_states_come_from_the_verdict() {
        use crate::model::Register;
        let events = op_events(&[
            (0, "write", Value::Int(1), Value::Int(1)),
            (1, "read", Value::Nil, Value::Int(1)),
            (0, "write", Value::Int(4), Value::Int(4)),
        ]);
        let model = Register::new(0);
        let plain = linearizable::check(&events, &model).unwrap();
        assert!(
            Analysis::from_verdict(&events, &plain, "r")
                .states
                .is_empty()
        );
        let options = Options {
            witness_states: true,
            ..Options::default()
        };
        let verdict = linearizable::check_with(&events, &model, &options).unwrap();
        let a = Analysis::from_verdict(&events, &verdict, "register");
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
}
