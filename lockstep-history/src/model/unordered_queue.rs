//! A queue that may hand elements out in any order.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{BadOp, Illegal, Model, Observed, RawOp};
use crate::value::Value;

/// A queue without order (a bag) with `enqueue` and `dequeue` (ok value: any element present,
/// or nil for an empty queue). Starts empty.
///
/// A dequeue of unknown outcome that took effect took some element, but which one is
/// unknown; the state is therefore every content the queue could have, and such a dequeue
/// leads to each content one element smaller. Later dequeues keep only the contents they
/// agree with.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnorderedQueue;

/// A prepared queue operation, for [`UnorderedQueue`] and [`super::FifoQueue`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QueueOp {
    /// Add an element.
    Enqueue(Value),
    /// Take an element; what it returned, if known (nil: the queue was empty).
    Dequeue(Observed),
}

impl QueueOp {
    pub(crate) fn parse(op: &RawOp<'_>, model: &str) -> Result<QueueOp, BadOp> {
        match op.f {
            "enqueue" => Ok(QueueOp::Enqueue(op.input.clone())),
            // Knossos's nil-read mode is about register reads: an ok dequeue of nil still
            // means the queue was empty.
            "dequeue" => Ok(QueueOp::Dequeue(match op.output {
                None => Observed::Unknown,
                Some(v) => Observed::Value(v.clone()),
            })),
            f => Err(BadOp::unknown_f(model, f, "enqueue, dequeue")),
        }
    }
}

impl fmt::Display for QueueOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueOp::Enqueue(v) => write!(f, "enqueue {v}"),
            QueueOp::Dequeue(seen) => write!(f, "dequeue -> {seen}"),
        }
    }
}

/// How many of each element a queue holds.
pub type Bag = BTreeMap<Value, usize>;

impl Model for UnorderedQueue {
    /// Every content the queue could hold (more than one only after a dequeue of unknown
    /// outcome took effect).
    type State = BTreeSet<Bag>;
    type Op = QueueOp;

    fn name(&self) -> &str {
        "unordered-queue"
    }

    fn init(&self) -> Self::State {
        BTreeSet::from([Bag::new()])
    }

    fn prepare(&self, op: &RawOp<'_>) -> Result<QueueOp, BadOp> {
        QueueOp::parse(op, "unordered-queue")
    }

    fn step(&self, bags: &Self::State, op: &QueueOp) -> Result<Self::State, Illegal> {
        let next: BTreeSet<Bag> = match op {
            QueueOp::Enqueue(v) => bags
                .iter()
                .map(|bag| {
                    let mut bag = bag.clone();
                    *bag.entry(v.clone()).or_insert(0) += 1;
                    bag
                })
                .collect(),
            QueueOp::Dequeue(Observed::Unknown) => bags
                .iter()
                .flat_map(|bag| {
                    let smaller: Vec<Bag> = bag.keys().map(|v| without(bag, v)).collect();
                    if smaller.is_empty() {
                        vec![bag.clone()]
                    } else {
                        smaller
                    }
                })
                .collect(),
            QueueOp::Dequeue(Observed::Value(Value::Nil)) => {
                bags.iter().filter(|bag| bag.is_empty()).cloned().collect()
            }
            QueueOp::Dequeue(Observed::Value(v)) => bags
                .iter()
                .filter(|bag| bag.contains_key(v))
                .map(|bag| without(bag, v))
                .collect(),
        };
        if !next.is_empty() {
            return Ok(next);
        }
        Err(Illegal::new(match op {
            QueueOp::Dequeue(Observed::Value(Value::Nil)) => {
                "the dequeue found the queue empty but it was not"
            }
            _ => "the dequeue returned an element the queue did not hold",
        }))
    }

    fn describe_state(&self, bags: &Self::State) -> String {
        let show = |bag: &Bag| {
            let items = bag
                .iter()
                .flat_map(|(v, n)| std::iter::repeat_n(v.clone(), *n))
                .collect();
            Value::Vector(items).to_string()
        };
        match bags.len() {
            1 => bags.iter().map(show).collect(),
            _ => {
                let each: Vec<String> = bags.iter().map(show).collect();
                format!("one of {}", each.join(" "))
            }
        }
    }

    fn describe_op(&self, op: &QueueOp) -> String {
        op.to_string()
    }
}

/// `bag` with one `v` taken out.
fn without(bag: &Bag, v: &Value) -> Bag {
    let mut bag = bag.clone();
    match bag.get_mut(v) {
        Some(n) if *n > 1 => *n -= 1,
        _ => {
            bag.remove(v);
        }
    }
    bag
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::{Options, Verdict, linearizable};
    use crate::history::History;

    /// Checks a history built on one thread, in order: `(f, input, Some(output) | None)`,
    /// where `None` is an `info`.
    fn check(ops: &[(&'static str, Value, Option<Value>)], knossos: bool) -> Verdict {
        let h = History::new();
        for (f, input, output) in ops {
            h.invoke(*f, input);
            match output {
                Some(v) => h.ok(*f, v),
                None => h.info(*f, "timeout"),
            }
        }
        let options = Options {
            knossos_nil_reads: knossos,
            ..Options::default()
        };
        linearizable::check_with(&h.events(), &UnorderedQueue, &options).unwrap()
    }

    const NIL: Value = Value::Nil;

    #[test]
    fn a_crashed_dequeue_may_have_taken_the_element() {
        let v = check(
            &[
                ("enqueue", Value::Int(1), Some(NIL)),
                ("dequeue", NIL, None),
                ("dequeue", NIL, Some(NIL)),
            ],
            false,
        );
        assert!(matches!(v, Verdict::Linearizable(_)), "{v}");
    }

    #[test]
    fn a_crashed_dequeue_takes_one_element_at_most() {
        let v = check(
            &[
                ("enqueue", Value::Int(1), Some(NIL)),
                ("enqueue", Value::Int(2), Some(NIL)),
                ("dequeue", NIL, None),
                ("dequeue", NIL, Some(NIL)),
            ],
            false,
        );
        assert!(matches!(v, Verdict::NotLinearizable(_)), "{v}");
    }

    #[test]
    fn a_later_dequeue_says_which_element_the_crashed_one_took() {
        // The crashed dequeue took 1 or 2; a later dequeue of 2 leaves only "it took 1".
        let ops = [
            ("enqueue", Value::Int(1), Some(NIL)),
            ("enqueue", Value::Int(2), Some(NIL)),
            ("dequeue", NIL, None),
            ("dequeue", NIL, Some(Value::Int(2))),
            ("dequeue", NIL, Some(NIL)),
        ];
        assert!(matches!(check(&ops, false), Verdict::Linearizable(_)));
        let mut twice = ops.to_vec();
        twice[4].2 = Some(Value::Int(1));
        let v = check(&twice, false);
        // 1 may still be there if the crashed dequeue never happened: still linearizable.
        assert!(matches!(v, Verdict::Linearizable(_)), "{v}");
        twice.push(("dequeue", NIL, Some(Value::Int(2))));
        assert!(matches!(check(&twice, false), Verdict::NotLinearizable(_)));
    }

    #[test]
    fn knossos_mode_leaves_an_empty_dequeue_empty() {
        let ops = [
            ("enqueue", Value::Int(1), Some(NIL)),
            ("dequeue", NIL, Some(NIL)),
        ];
        assert!(matches!(check(&ops, true), Verdict::NotLinearizable(_)));
    }

    #[test]
    fn several_possible_contents_are_described() {
        let bags = UnorderedQueue
            .step(
                &UnorderedQueue
                    .step(
                        &UnorderedQueue
                            .step(&UnorderedQueue.init(), &QueueOp::Enqueue(Value::Int(1)))
                            .unwrap(),
                        &QueueOp::Enqueue(Value::Int(2)),
                    )
                    .unwrap(),
                &QueueOp::Dequeue(Observed::Unknown),
            )
            .unwrap();
        assert_eq!(UnorderedQueue.describe_state(&bags), "one of [1] [2]");
    }
}
