//! The set checker reads histories in place, giving each element a dense id: integers in a
//! compact range by offset into a table, others (sparse integers, strings, keywords) through
//! hash maps, and reads given as vectors, sets or nil. Random small set histories, each
//! written in one of several encodings of the same elements, are checked by the collections
//! checker, the general search and a brute-force oracle that decodes every value itself:
//! all three must agree, and every witness must replay. Then one test per path the
//! encodings and the crashed operations open, and a long history with full reads.

mod common;

use std::collections::{BTreeSet, HashSet};

use lockstep_history::checker::collections::{self, Method, Pattern};
use lockstep_history::checker::{Options, Verdict, linearizable};
use lockstep_history::model::{Collection, Set};
use lockstep_history::{Event, EventKind, Value};

use common::{OracleOp, Rng, brute_force_linearizable, event, listing, numbered, oracle_ops};

const CASES: u64 = 6_000;

/// How logical element `k` is written in the history.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Encoding {
    /// `k`: a compact range, the table.
    Dense,
    /// Far apart, negative ones too: the integer map.
    Sparse,
    /// Added as `Int(k)`, read as `UInt(k)` for odd `k`: equal values of either kind.
    Unsigned,
    /// `"e{k}"`: the value map.
    Strings,
    /// Even `k` as integers, odd ones as keywords: both at once.
    Mixed,
}

const ENCODINGS: [Encoding; 5] = [
    Encoding::Dense,
    Encoding::Sparse,
    Encoding::Unsigned,
    Encoding::Strings,
    Encoding::Mixed,
];

const STRIDE: i64 = 1_000_000_007;

impl Encoding {
    fn encode(self, k: u64, in_read: bool) -> Value {
        let i = k as i64;
        match self {
            Encoding::Dense => Value::Int(i),
            Encoding::Sparse => Value::Int(i * STRIDE - 3 * STRIDE),
            Encoding::Unsigned if in_read && k % 2 == 1 => Value::UInt(k),
            Encoding::Unsigned => Value::Int(i),
            Encoding::Strings => Value::String(format!("e{k}").into()),
            Encoding::Mixed if k.is_multiple_of(2) => Value::Int(i),
            Encoding::Mixed => Value::keyword(&format!("e{k}")),
        }
    }

    /// The oracle's own reading of a value, independent of the checker's.
    fn decode(self, v: &Value) -> Option<u64> {
        match (self, v) {
            (Encoding::Sparse, Value::Int(i)) => u64::try_from(i / STRIDE + 3).ok(),
            (_, Value::Int(i)) => u64::try_from(*i).ok(),
            (_, Value::UInt(u)) => Some(*u),
            (_, Value::String(s)) | (_, Value::Keyword(s)) => s.strip_prefix('e')?.parse().ok(),
            _ => None,
        }
    }
}

/// The oracle's read: the elements, or `None` when the read is illegal whatever the state
/// (an element listed twice, a value no element has); `Some(None)` for an unknown read.
fn oracle_read(
    encoding: Encoding,
    knossos: bool,
    output: Option<&Value>,
) -> Option<Option<BTreeSet<u64>>> {
    let items: Vec<&Value> = match output {
        None => return Some(None),
        Some(Value::Nil) if knossos => return Some(None),
        Some(Value::Nil) => Vec::new(),
        Some(Value::Vector(items)) => items.iter().collect(),
        Some(Value::Set(items)) => items.iter().collect(),
        Some(_) => return None,
    };
    let seen: Option<BTreeSet<u64>> = items.iter().map(|v| encoding.decode(v)).collect();
    let seen = seen?;
    (seen.len() == items.len()).then_some(Some(seen))
}

fn apply(
    encoding: Encoding,
    knossos: bool,
    state: &BTreeSet<u64>,
    op: &OracleOp,
) -> Option<BTreeSet<u64>> {
    if op.f == "add" {
        let mut next = state.clone();
        next.insert(encoding.decode(&op.input)?);
        return Some(next);
    }
    match oracle_read(encoding, knossos, op.output.as_ref())? {
        Some(seen) if seen != *state => None,
        _ => Some(state.clone()),
    }
}

/// A random history of a correct set over elements `0..5` (crashed and failed operations
/// included), its values in `encoding`, now and then with a corrupted read.
fn generate(rng: &mut Rng, encoding: Encoding) -> Vec<Event> {
    struct Pending {
        process: u64,
        add: Option<u64>,
        read: Option<BTreeSet<u64>>,
        applied: bool,
    }
    let processes = 1 + rng.below(5);
    let ops = 1 + rng.below(10).max(rng.below(10));
    let mut state: BTreeSet<u64> = BTreeSet::new();
    let mut events: Vec<Event> = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut idle: Vec<u64> = (0..processes).collect();
    let (mut next_process, mut started) = (processes, 0);
    while started < ops || !pending.is_empty() {
        let action = rng.below(3);
        if action == 0 && started < ops && !idle.is_empty() {
            let process = idle.swap_remove(rng.below(idle.len() as u64) as usize);
            let add = rng.chance(60).then(|| rng.below(5));
            let (f, value) = match add {
                Some(k) => ("add", encoding.encode(k, false)),
                None => ("read", Value::Nil),
            };
            events.push(event(EventKind::Invoke, process, f, value));
            pending.push(Pending {
                process,
                add,
                read: None,
                applied: false,
            });
            started += 1;
        } else if action == 1 && !pending.is_empty() {
            let at = rng.below(pending.len() as u64) as usize;
            let p = &mut pending[at];
            if !p.applied {
                match p.add {
                    Some(k) => {
                        state.insert(k);
                    }
                    None => p.read = Some(state.clone()),
                }
                p.applied = true;
            }
        } else if !pending.is_empty() {
            let p = pending.swap_remove(rng.below(pending.len() as u64) as usize);
            let (f, input) = match p.add {
                Some(k) => ("add", encoding.encode(k, false)),
                None => ("read", Value::Nil),
            };
            let roll = rng.below(100);
            if roll < 10 {
                events.push(event(EventKind::Info, p.process, f, input));
                idle.push(next_process);
                next_process += 1;
            } else if roll < 15 && !p.applied {
                events.push(event(EventKind::Fail, p.process, f, input));
                idle.push(p.process);
            } else if p.applied {
                let value = match p.read {
                    Some(seen) => written(rng, encoding, &seen),
                    None => input,
                };
                events.push(event(EventKind::Ok, p.process, f, value));
                idle.push(p.process);
            } else {
                pending.push(p);
            }
        }
        if started >= ops && rng.chance(3) {
            break;
        }
    }
    if rng.chance(45) {
        corrupt(rng, encoding, &mut events);
    }
    numbered(events)
}

/// A read's result as a history holds it: a vector in any order, a set, or nil when empty.
fn written(rng: &mut Rng, encoding: Encoding, seen: &BTreeSet<u64>) -> Value {
    match rng.below(5) {
        0 if seen.is_empty() => Value::Nil,
        0 | 1 => Value::Set(seen.iter().map(|&k| encoding.encode(k, true)).collect()),
        _ => {
            let mut items: Vec<Value> = seen.iter().map(|&k| encoding.encode(k, true)).collect();
            for i in (1..items.len()).rev() {
                items.swap(i, rng.below(i as u64 + 1) as usize);
            }
            Value::Vector(items)
        }
    }
}

/// One ok read answers wrongly: other elements (`5` was never added), one left out, or
/// one listed twice.
fn corrupt(rng: &mut Rng, encoding: Encoding, events: &mut [Event]) {
    let reads: Vec<usize> = (0..events.len())
        .filter(|&i| events[i].kind == EventKind::Ok && &*events[i].f == "read")
        .collect();
    if reads.is_empty() {
        return;
    }
    let e = &mut events[reads[rng.below(reads.len() as u64) as usize]];
    let mut items: Vec<Value> = match &e.value {
        Value::Vector(items) => items.clone(),
        Value::Set(items) => items.iter().cloned().collect(),
        _ => Vec::new(),
    };
    match rng.below(3) {
        0 => {
            items = (0..rng.below(4))
                .map(|_| encoding.encode(rng.below(6), true))
                .collect();
        }
        1 if !items.is_empty() => {
            items.remove(rng.below(items.len() as u64) as usize);
        }
        _ => items.push(encoding.encode(rng.below(5), true)),
    }
    e.value = Value::Vector(items);
}

/// Replays a witness under the oracle's semantics, respecting real time.
fn witness_is_valid(encoding: Encoding, knossos: bool, ops: &[OracleOp], order: &[u64]) -> bool {
    let mut state = BTreeSet::new();
    let mut placed: HashSet<u64> = HashSet::new();
    for &invoke in order {
        let Some(op) = ops.iter().find(|o| o.invoke == invoke) else {
            return false;
        };
        let overtaken = ops
            .iter()
            .any(|o| !placed.contains(&o.invoke) && o.complete < op.invoke);
        if placed.contains(&invoke) || overtaken {
            return false;
        }
        let Some(next) = apply(encoding, knossos, &state, op) else {
            return false;
        };
        state = next;
        placed.insert(invoke);
    }
    ops.iter()
        .all(|o| o.output.is_none() || placed.contains(&o.invoke))
}

#[test]
fn every_encoding_agrees_with_search_and_brute_force() {
    let mut rng = Rng::new(0x005e_7e1e_3e47);
    let (mut yes, mut no) = ([0u64; 5], [0u64; 5]);
    for case in 0..CASES {
        let e = (case % 5) as usize;
        let encoding = ENCODINGS[e];
        let events = generate(&mut rng, encoding);
        let mut options = Options::default();
        options.budget.threads = Some(1);
        options.knossos_nil_reads = rng.chance(30);
        options.witness_states = rng.chance(30);
        let knossos = options.knossos_nil_reads;
        let ops = oracle_ops(&events);
        let expected = brute_force_linearizable(&ops, BTreeSet::new(), |state, op| {
            apply(encoding, knossos, state, op)
        });
        let search = Options {
            general_search: true,
            ..options.clone()
        };
        let searched = linearizable::check_with(&events, &Set, &search).expect("well formed");
        let checked = collections::check(&events, Collection::Set, &options).expect("well formed");
        assert_eq!(
            searched.is_linearizable(),
            expected,
            "case {case} ({encoding:?}, knossos {knossos}): search says {searched}, oracle \
             says {expected}\n{}",
            listing(&events)
        );
        assert_eq!(
            checked.verdict.is_linearizable(),
            expected,
            "case {case} ({encoding:?}, knossos {knossos}): collections say {checked}, oracle \
             says {expected}\n{}",
            listing(&events)
        );
        assert_eq!(checked.method, Method::Polynomial, "case {case}: {checked}");
        match &checked.verdict {
            Verdict::Linearizable(l) => {
                yes[e] += 1;
                let p = &l.partitions[0];
                assert!(
                    witness_is_valid(encoding, knossos, &ops, &p.order),
                    "case {case} ({encoding:?}): bad witness {:?}\n{}",
                    p.order,
                    listing(&events)
                );
                let states = if options.witness_states {
                    p.order.len()
                } else {
                    0
                };
                assert_eq!(p.states.len(), states, "case {case}");
            }
            Verdict::NotLinearizable(c) => {
                no[e] += 1;
                let v = checked.violation.as_ref().expect("a decided violation");
                assert!(
                    !v.explanation.is_empty() && !v.ops.is_empty(),
                    "case {case}"
                );
                // The counterexample is built on the model's form of the history: the
                // blocked operation is one the history holds, completed.
                let blocked = ops.iter().find(|o| o.invoke == c.op.op.invoke);
                assert!(
                    blocked.is_some_and(|o| o.output.is_some()),
                    "case {case}: blocked {:?}\n{}",
                    c.op.op,
                    listing(&events)
                );
            }
            Verdict::Unknown(u) => panic!("case {case}: {u}"),
        }
    }
    for (e, encoding) in ENCODINGS.iter().enumerate() {
        println!("{encoding:?}: {} linearizable, {} not", yes[e], no[e]);
        let n = CASES / 5;
        assert!(
            yes[e] > n / 5 && no[e] > n / 5,
            "{encoding:?}: {yes:?} {no:?}"
        );
    }
}

/// Events from `(kind, process, f, value)`: `i` invoke, `o` ok, `n` info, `f` fail.
fn history(steps: &[(char, u64, &'static str, Value)]) -> Vec<Event> {
    numbered(steps.iter().map(|(k, p, f, v)| {
        let kind = match k {
            'i' => EventKind::Invoke,
            'o' => EventKind::Ok,
            'n' => EventKind::Info,
            _ => EventKind::Fail,
        };
        event(kind, *p, f, v.clone())
    }))
}

fn ints(items: &[i64]) -> Value {
    Value::Vector(items.iter().map(|&i| Value::Int(i)).collect())
}

/// The collections checker's verdict, which the general search must share.
fn check(events: &[Event], options: &Options) -> collections::Checked {
    let checked = collections::check(events, Collection::Set, options).expect("well formed");
    let search = Options {
        general_search: true,
        ..options.clone()
    };
    let searched = linearizable::check_with(events, &Set, &search).expect("well formed");
    assert_eq!(
        checked.verdict.is_linearizable(),
        searched.is_linearizable(),
        "{checked}\nsearch: {searched}"
    );
    assert_eq!(checked.method, Method::Polynomial);
    checked
}

#[test]
fn a_read_may_see_an_element_whose_only_add_crashed() {
    // The add of 2 crashed, yet a read saw it: it took effect, after its invoke.
    let h = history(&[
        ('i', 0, "add", Value::Int(1)),
        ('i', 1, "add", Value::Int(2)),
        ('o', 0, "add", Value::Int(1)),
        ('n', 1, "add", Value::Int(2)),
        ('i', 2, "read", Value::Nil),
        ('o', 2, "read", ints(&[2, 1])),
    ]);
    let c = check(&h, &Options::default());
    let order = &c.verdict.linearization().expect("linearizable").partitions[0].order;
    assert_eq!(
        order.len(),
        3,
        "the crashed add is in the witness: {order:?}"
    );
}

#[test]
fn a_read_cannot_see_a_crashed_add_invoked_after_it() {
    let h = history(&[
        ('i', 0, "read", Value::Nil),
        ('o', 0, "read", ints(&[2])),
        ('i', 1, "add", Value::Int(2)),
        ('n', 1, "add", Value::Int(2)),
    ]);
    let c = check(&h, &Options::default());
    let v = c.violation.expect("a violation");
    assert_eq!(v.pattern, Pattern::ReadOrder, "{v}");
    assert!(
        v.explanation.contains("appeared no earlier than event 2"),
        "{v}"
    );
}

#[test]
fn an_element_absent_from_a_read_after_its_add_completed() {
    // The read misses 1, and is concurrent with nothing that could explain it: the
    // "1 absent" observation fails on its own. The counterexample names the add.
    let h = history(&[
        ('i', 0, "add", Value::Int(1)),
        ('o', 0, "add", Value::Int(1)),
        ('i', 1, "add", Value::Int(2)),
        ('i', 2, "read", Value::Nil),
        ('o', 2, "read", ints(&[2])),
        ('o', 1, "add", Value::Int(2)),
    ]);
    let c = check(&h, &Options::default());
    let v = c.violation.as_ref().expect("a violation");
    assert_eq!(v.pattern, Pattern::ReadOrder, "{v}");
    assert!(v.explanation.contains("1 is missing from"), "{v}");
    let Verdict::NotLinearizable(counterexample) = &c.verdict else {
        panic!("{c}")
    };
    assert_eq!(counterexample.op.op.invoke, 0, "{counterexample}");
}

#[test]
fn an_unsigned_integer_is_the_same_element_as_the_signed_one() {
    let h = history(&[
        ('i', 0, "add", Value::Int(7)),
        ('o', 0, "add", Value::Int(7)),
        ('i', 1, "read", Value::Nil),
        ('o', 1, "read", Value::Vector(vec![Value::UInt(7)])),
    ]);
    assert!(check(&h, &Options::default()).verdict.is_linearizable());
    // Listed as both, the read lists it twice.
    let h = history(&[
        ('i', 0, "add", Value::Int(7)),
        ('o', 0, "add", Value::Int(7)),
        ('i', 1, "read", Value::Nil),
        (
            'o',
            1,
            "read",
            Value::Vector(vec![Value::Int(7), Value::UInt(7)]),
        ),
    ]);
    let c = check(&h, &Options::default());
    assert_eq!(
        c.violation.expect("a violation").pattern,
        Pattern::ReadRepeated
    );
}

#[test]
fn an_element_listed_twice_outranks_one_nobody_added() {
    // As the model reads it: the repeat (second read) is reported, not the stranger
    // (first read).
    let h = history(&[
        ('i', 0, "add", Value::Int(1)),
        ('o', 0, "add", Value::Int(1)),
        ('i', 1, "read", Value::Nil),
        ('o', 1, "read", ints(&[1, 9])),
        ('i', 2, "read", Value::Nil),
        ('o', 2, "read", ints(&[1, 1])),
    ]);
    let v = check(&h, &Options::default())
        .violation
        .expect("a violation");
    assert_eq!(v.pattern, Pattern::ReadRepeated, "{v}");
    assert_eq!(v.ops, [4]);
}

#[test]
fn the_least_stranger_of_the_first_read_is_named() {
    let h = history(&[
        ('i', 0, "read", Value::Nil),
        ('o', 0, "read", ints(&[9, 8])),
        ('i', 1, "read", Value::Nil),
        ('o', 1, "read", ints(&[3])),
    ]);
    let v = check(&h, &Options::default())
        .violation
        .expect("a violation");
    assert_eq!(v.pattern, Pattern::NeverAdded, "{v}");
    assert!(v.explanation.contains("returned 8,"), "{v}");
}

#[test]
fn nil_reads_are_empty_or_unknown_as_asked() {
    let h = history(&[
        ('i', 0, "add", Value::Int(1)),
        ('o', 0, "add", Value::Int(1)),
        ('i', 1, "read", Value::Nil),
        ('o', 1, "read", Value::Nil),
    ]);
    assert!(check(&h, &Options::default()).verdict.is_not_linearizable());
    let knossos = Options {
        knossos_nil_reads: true,
        ..Options::default()
    };
    let c = check(&h, &knossos);
    let order = &c.verdict.linearization().expect("linearizable").partitions[0].order;
    assert_eq!(order, &[0, 2], "the unknown read is placed at its invoke");
}

#[test]
fn a_read_given_as_a_set() {
    let set = |items: &[&str]| Value::Set(items.iter().map(|&s| Value::from(s)).collect());
    let h = history(&[
        ('i', 0, "add", Value::from("a")),
        ('i', 1, "read", Value::Nil),
        ('o', 0, "add", Value::from("a")),
        ('i', 0, "add", Value::from("b")),
        ('o', 1, "read", set(&["a", "b"])),
        ('o', 0, "add", Value::from("b")),
        ('i', 1, "read", Value::Nil),
        ('o', 1, "read", set(&["b"])),
    ]);
    let c = check(&h, &Options::default());
    assert_eq!(
        c.violation.expect("a violation").pattern,
        Pattern::ReadOrder
    );
}

#[test]
fn witness_states_come_from_the_model() {
    let h = history(&[
        ('i', 0, "add", Value::Int(1)),
        ('o', 0, "add", Value::Int(1)),
        ('i', 1, "read", Value::Nil),
        ('o', 1, "read", ints(&[1])),
    ]);
    let options = Options {
        witness_states: true,
        ..Options::default()
    };
    let c = check(&h, &options);
    let p = &c.verdict.linearization().expect("linearizable").partitions[0];
    let states: Vec<(&str, &str)> = p
        .states
        .iter()
        .map(|s| (s.before.as_str(), s.after.as_str()))
        .collect();
    assert_eq!(states, [("#{}", "#{1}"), ("#{1}", "#{1}")]);
}

/// A correct set under `processes` concurrent clients: `adds` adds of fresh elements, a
/// full read after every `adds / reads` of them, about 1% of operations crashed.
fn long_history(adds: u64, reads: u64, processes: u64, seed: u64) -> Vec<Event> {
    let mut rng = Rng::new(seed);
    let mut events = Vec::new();
    let mut state: Vec<i64> = Vec::new();
    // Per process: the pending operation (an add's element, or a read) and its answer.
    let mut pending: Vec<Option<(Option<i64>, Option<Value>)>> = vec![None; processes as usize];
    let mut ids: Vec<u64> = (0..processes).collect();
    let (mut next_id, mut started, mut fresh) = (processes, 0, 0);
    let total = adds + reads;
    while started < total || pending.iter().any(Option::is_some) {
        let p = rng.below(processes) as usize;
        match pending[p].take() {
            None if started < total => {
                started += 1;
                let add = (started % (total / reads) != 0).then(|| {
                    fresh += 1;
                    fresh
                });
                let (f, v) = add.map_or(("read", Value::Nil), |a| ("add", Value::Int(a)));
                events.push(event(EventKind::Invoke, ids[p], f, v));
                pending[p] = Some((add, None));
            }
            None => {}
            Some((add, None)) => {
                let answer = match add {
                    Some(a) => {
                        state.push(a);
                        Value::Int(a)
                    }
                    None => Value::Vector(state.iter().map(|&a| Value::Int(a)).collect()),
                };
                pending[p] = Some((add, Some(answer)));
            }
            Some((add, Some(answer))) => {
                let f = if add.is_some() { "add" } else { "read" };
                if rng.chance(1) {
                    let v = add.map_or(Value::Nil, Value::Int);
                    events.push(event(EventKind::Info, ids[p], f, v));
                    (ids[p], next_id) = (next_id, next_id + 1);
                } else {
                    events.push(event(EventKind::Ok, ids[p], f, answer));
                }
            }
        }
    }
    numbered(events)
}

#[test]
fn a_long_history_with_full_reads() {
    for processes in [4, 16] {
        let mut h = long_history(20_000, 8, processes, processes);
        let checked = collections::check(&h, Collection::Set, &Options::default()).unwrap();
        assert!(checked.verdict.is_linearizable(), "{checked}");
        assert_eq!(checked.method, Method::Polynomial);
        // The last read loses an element whose add completed before the read began.
        let last = h
            .iter()
            .rposition(|e| e.kind == EventKind::Ok && &*e.f == "read")
            .unwrap();
        let invoke = h[..last]
            .iter()
            .rposition(|e| e.kind == EventKind::Invoke && e.process == h[last].process)
            .unwrap();
        let done = h[..invoke]
            .iter()
            .position(|e| e.kind == EventKind::Ok && &*e.f == "add")
            .unwrap();
        let lost = h[done].value.clone();
        let Value::Vector(items) = &mut h[last].value else {
            panic!("a full read")
        };
        items.retain(|v| *v != lost);
        let checked = collections::check(&h, Collection::Set, &Options::default()).unwrap();
        let v = checked.violation.expect("a violation");
        assert_eq!(v.pattern, Pattern::IncomparableReads, "{v}");
        assert!(v.explanation.contains(&format!("but not {lost}")), "{v}");
    }
}
