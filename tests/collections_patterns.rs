//! One minimal history per bad pattern of the collections checker, each also checked by
//! the general search; and the histories that must go to the general search, saying why.

mod common;

use lockstep_history::checker::collections::{self, Checked, Fallback, Method, Pattern};
use lockstep_history::checker::{Options, linearizable};
use lockstep_history::model::{Collection, FifoQueue, Set, Stack};
use lockstep_history::{Event, EventKind, Value};

use common::{event, numbered};

/// Events from `(kind, process, f, value)`: `i` invoke, `o` ok, `n` info, `f` fail.
fn history(steps: &[(char, u64, &'static str, Value)]) -> Vec<Event> {
    let events = steps.iter().map(|(k, p, f, v)| {
        let kind = match k {
            'i' => EventKind::Invoke,
            'o' => EventKind::Ok,
            'n' => EventKind::Info,
            _ => EventKind::Fail,
        };
        event(kind, *p, f, v.clone())
    });
    numbered(events)
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

fn ints(items: &[i64]) -> Value {
    Value::Vector(items.iter().map(|&i| Value::Int(i)).collect())
}

const NIL: Value = Value::Nil;

/// Checks with the collections checker and the general search; they must agree.
fn check(events: &[Event], collection: Collection) -> Checked {
    let options = Options::default();
    let checked = collections::check(events, collection, &options).expect("well formed");
    let options = Options {
        general_search: true,
        ..options
    };
    let searched = match collection {
        Collection::FifoQueue => linearizable::check_with(events, &FifoQueue, &options),
        Collection::Stack => linearizable::check_with(events, &Stack, &options),
        Collection::Set => linearizable::check_with(events, &Set, &options),
    }
    .expect("well formed");
    assert_eq!(
        checked.verdict.is_linearizable(),
        searched.is_linearizable(),
        "{checked}\nsearch: {searched}"
    );
    checked
}

/// Asserts a violation decided in polynomial time with this pattern, highlighting these
/// operations (by invoke index), whose explanation mentions each of `words`.
fn assert_pattern(checked: &Checked, pattern: Pattern, ops: &[u64], words: &[&str]) {
    assert_eq!(checked.method, Method::Polynomial, "{checked}");
    assert!(checked.verdict.is_not_linearizable(), "{checked}");
    let v = checked.violation.as_ref().expect("a violation");
    assert_eq!(v.pattern, pattern, "{v}");
    for op in ops {
        assert!(
            v.ops.contains(op),
            "{op} not highlighted in {:?}: {v}",
            v.ops
        );
    }
    for word in words {
        assert!(v.explanation.contains(word), "{word:?} not in: {v}");
    }
}

#[test]
fn a_dequeue_of_a_value_nobody_enqueued() {
    let h = history(&[('i', 0, "dequeue", NIL), ('o', 0, "dequeue", int(5))]);
    let c = check(&h, Collection::FifoQueue);
    assert_pattern(
        &c,
        Pattern::NeverAdded,
        &[0],
        &["returned 5", "no operation ever enqueued"],
    );
}

#[test]
fn a_set_read_of_an_element_nobody_added() {
    let h = history(&[
        ('i', 0, "add", int(1)),
        ('o', 0, "add", int(1)),
        ('i', 1, "read", NIL),
        ('o', 1, "read", ints(&[1, 7])),
    ]);
    let c = check(&h, Collection::Set);
    assert_pattern(
        &c,
        Pattern::NeverAdded,
        &[2],
        &["returned 7", "no operation ever added"],
    );
}

#[test]
fn a_pop_before_its_push() {
    let h = history(&[
        ('i', 0, "pop", NIL),
        ('o', 0, "pop", int(1)),
        ('i', 1, "push", int(1)),
        ('o', 1, "push", int(1)),
    ]);
    let c = check(&h, Collection::Stack);
    assert_pattern(
        &c,
        Pattern::RemovedBeforeAdded,
        &[0, 2],
        &["invoked only at event 2"],
    );
}

/// Enqueue 1, dequeue 1, then another dequeue of 1.
fn dequeued_twice() -> Vec<Event> {
    history(&[
        ('i', 0, "enqueue", int(1)),
        ('o', 0, "enqueue", int(1)),
        ('i', 0, "dequeue", NIL),
        ('o', 0, "dequeue", int(1)),
        ('i', 1, "dequeue", NIL),
        ('o', 1, "dequeue", int(1)),
    ])
}

#[test]
fn a_value_dequeued_twice() {
    let c = check(&dequeued_twice(), Collection::FifoQueue);
    assert_pattern(&c, Pattern::RemovedTwice, &[0, 2, 4], &["both returned 1"]);
}

#[test]
fn a_dequeue_out_of_fifo_order() {
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('o', 0, "enqueue", int(1)),
        ('i', 0, "enqueue", int(2)),
        ('o', 0, "enqueue", int(2)),
        ('i', 1, "dequeue", NIL),
        ('o', 1, "dequeue", int(2)),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_pattern(
        &c,
        Pattern::Order,
        &[4, 0],
        &["the value 1", "at the head of the queue, ahead of 2"],
    );
}

#[test]
fn a_pop_out_of_lifo_order() {
    let h = history(&[
        ('i', 0, "push", int(1)),
        ('o', 0, "push", int(1)),
        ('i', 0, "push", int(2)),
        ('o', 0, "push", int(2)),
        ('i', 1, "pop", NIL),
        ('o', 1, "pop", int(1)),
    ]);
    let c = check(&h, Collection::Stack);
    assert_pattern(
        &c,
        Pattern::Order,
        &[4, 0, 2],
        &[
            "1 cannot be at the bottom",
            "2 must still be in the stack",
            "no pop ever returned it",
        ],
    );
}

#[test]
fn an_empty_dequeue_while_the_queue_held_a_value() {
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('o', 0, "enqueue", int(1)),
        ('i', 1, "dequeue", NIL),
        ('o', 1, "dequeue", NIL),
        ('i', 0, "dequeue", NIL),
        ('o', 0, "dequeue", int(1)),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_pattern(
        &c,
        Pattern::EmptyButHeld,
        &[2, 0, 4],
        &["holds 1", "found it empty"],
    );
}

#[test]
fn an_empty_pop_while_the_stack_held_a_value() {
    let h = history(&[
        ('i', 0, "push", int(1)),
        ('o', 0, "push", int(1)),
        ('i', 1, "pop", NIL),
        ('o', 1, "pop", NIL),
    ]);
    let c = check(&h, Collection::Stack);
    assert_pattern(
        &c,
        Pattern::EmptyButHeld,
        &[2, 0],
        &["found the stack empty", "while 1 was in"],
    );
}

#[test]
fn an_empty_pop_while_values_took_turns_in_the_stack() {
    // 1 is surely in the stack from event 2 until event 5, 2 from event 4 until event 8:
    // neither covers the whole empty pop (events 3..7), but together they do.
    let h = history(&[
        ('i', 0, "push", int(2)),
        ('i', 1, "push", int(1)),
        ('o', 1, "push", int(1)),
        ('i', 2, "pop", NIL),
        ('o', 0, "push", int(2)),
        ('i', 1, "pop", NIL),
        ('o', 1, "pop", int(1)),
        ('o', 2, "pop", NIL),
        ('i', 1, "pop", NIL),
        ('o', 1, "pop", int(2)),
    ]);
    let c = check(&h, Collection::Stack);
    assert_pattern(
        &c,
        Pattern::EmptyButHeld,
        &[3, 1, 0],
        &["found the stack empty", "at every moment it ran"],
    );
}

#[test]
fn a_deep_stack_is_peeled_without_guessing() {
    // Two processes push 1..=40 in turns, each push overlapping the next, then pop them
    // all: every value sits on the ones before it.
    let mut steps = Vec::new();
    for v in 1..=40 {
        steps.push(('i', v % 2, "push", int(v as i64)));
        if v > 1 {
            steps.push(('o', (v - 1) % 2, "push", int(v as i64 - 1)));
        }
    }
    steps.push(('o', 0, "push", int(40)));
    for v in (1..=40).rev() {
        steps.push(('i', 2, "pop", NIL));
        steps.push(('o', 2, "pop", int(v as i64)));
    }
    let c = check(&history(&steps), Collection::Stack);
    assert_eq!(c.method, Method::Polynomial);
    assert!(c.verdict.is_linearizable(), "{c}");
}

#[test]
fn a_set_read_listing_an_element_twice() {
    let h = history(&[
        ('i', 0, "add", int(1)),
        ('o', 0, "add", int(1)),
        ('i', 1, "read", NIL),
        ('o', 1, "read", ints(&[1, 1])),
    ]);
    let c = check(&h, Collection::Set);
    assert_pattern(&c, Pattern::ReadRepeated, &[2], &["more than once"]);
}

#[test]
fn set_reads_that_cannot_be_ordered() {
    // Each read is fine for its own elements, but one read sees every element at once.
    let h = history(&[
        ('i', 0, "add", int(1)),
        ('i', 1, "add", int(2)),
        ('i', 2, "read", NIL),
        ('i', 3, "read", NIL),
        ('o', 2, "read", ints(&[1])),
        ('o', 3, "read", ints(&[2])),
        ('o', 0, "add", int(1)),
        ('o', 1, "add", int(2)),
    ]);
    let c = check(&h, Collection::Set);
    assert_pattern(
        &c,
        Pattern::IncomparableReads,
        &[2, 3],
        &["saw 1 but not 2"],
    );
}

#[test]
fn a_set_read_missing_an_element_added_before_it() {
    let h = history(&[
        ('i', 0, "add", int(1)),
        ('o', 0, "add", int(1)),
        ('i', 1, "read", NIL),
        ('o', 1, "read", ints(&[])),
    ]);
    let c = check(&h, Collection::Set);
    assert_pattern(
        &c,
        Pattern::ReadOrder,
        &[2, 0],
        &["missing from", "completed at event 1"],
    );
}

#[test]
fn a_set_read_that_must_follow_a_later_read() {
    // Read [1] completes before read [] begins: the chain of reads runs against real time.
    let h = history(&[
        ('i', 0, "add", int(1)),
        ('i', 1, "read", NIL),
        ('o', 1, "read", ints(&[1])),
        ('i', 2, "read", NIL),
        ('o', 2, "read", ints(&[])),
        ('o', 0, "add", int(1)),
    ]);
    let c = check(&h, Collection::Set);
    assert_pattern(
        &c,
        Pattern::ReadOrder,
        &[3],
        &["saw 1", "completed at event 2"],
    );
}

#[test]
fn crashed_adds_nobody_saw_are_settled_without_search() {
    let mut steps = Vec::new();
    for p in 0..24 {
        steps.push(('i', p, "add", int(p as i64)));
    }
    for p in 0..24 {
        steps.push(('n', p, "add", int(p as i64)));
    }
    steps.push(('i', 100, "read", NIL));
    steps.push(('o', 100, "read", ints(&[3, 99])));
    let c = collections::check(&history(&steps), Collection::Set, &Options::default()).unwrap();
    assert_pattern(&c, Pattern::NeverAdded, &[48], &["returned 99"]);
}

#[test]
fn a_crashed_enqueue_never_dequeued_may_not_have_happened() {
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('n', 0, "enqueue", int(1)),
        ('i', 1, "enqueue", int(2)),
        ('o', 1, "enqueue", int(2)),
        ('i', 1, "dequeue", NIL),
        ('o', 1, "dequeue", int(2)),
        ('i', 1, "dequeue", NIL),
        ('o', 1, "dequeue", NIL),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_eq!(c.method, Method::Polynomial);
    assert!(c.verdict.is_linearizable(), "{c}");
}

#[test]
fn repeated_values_go_to_the_general_search() {
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('o', 0, "enqueue", int(1)),
        ('i', 0, "enqueue", int(1)),
        ('o', 0, "enqueue", int(1)),
        ('i', 0, "dequeue", NIL),
        ('o', 0, "dequeue", int(1)),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_eq!(
        c.method,
        Method::Search {
            reason: Fallback::RepeatedValue { value: int(1) }
        }
    );
    assert!(c.verdict.is_linearizable());
    assert!(
        c.to_string()
            .contains("general search: the value 1 was added twice")
    );
}

#[test]
fn a_pushed_nil_goes_to_the_general_search() {
    let h = history(&[('i', 0, "push", NIL), ('o', 0, "push", NIL)]);
    let c = check(&h, Collection::Stack);
    assert_eq!(
        c.method,
        Method::Search {
            reason: Fallback::NilValue
        }
    );
}

#[test]
fn a_crashed_dequeue_may_take_a_value_nobody_else_took() {
    // The crashed dequeue must have taken 1 for the dequeue of 2 to be right.
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('o', 0, "enqueue", int(1)),
        ('i', 0, "enqueue", int(2)),
        ('o', 0, "enqueue", int(2)),
        ('i', 1, "dequeue", NIL),
        ('n', 1, "dequeue", NIL),
        ('i', 2, "dequeue", NIL),
        ('o', 2, "dequeue", int(2)),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_eq!(c.method, Method::Polynomial);
    assert!(c.verdict.is_linearizable());
}

#[test]
fn a_crashed_dequeue_takes_one_value_at_most() {
    // One crashed dequeue can take 1 but not 2 as well: 3 cannot be next. Decided without
    // the search: crashed dequeues are wildcards the pass places exactly.
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('o', 0, "enqueue", int(1)),
        ('i', 0, "enqueue", int(2)),
        ('o', 0, "enqueue", int(2)),
        ('i', 0, "enqueue", int(3)),
        ('o', 0, "enqueue", int(3)),
        ('i', 1, "dequeue", NIL),
        ('n', 1, "dequeue", NIL),
        ('i', 2, "dequeue", NIL),
        ('o', 2, "dequeue", int(3)),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_pattern(&c, Pattern::Order, &[8, 2], &["the value 2", "ahead of 3"]);
}

#[test]
fn a_crashed_enqueue_whose_value_is_dequeued_never_completes() {
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('n', 0, "enqueue", int(1)),
        ('i', 1, "dequeue", NIL),
        ('o', 1, "dequeue", int(1)),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_eq!(c.method, Method::Polynomial);
    assert!(c.verdict.is_linearizable(), "{c}");
}

#[test]
fn an_unclaimed_value_goes_first_when_a_crashed_dequeue_can_take_it_early() {
    // enqueue 1 must precede enqueue 3 (real time) and 3 is dequeued before 2 is: only
    // "enqueue 1, the crashed dequeue takes 1, enqueue 3, dequeue 3, enqueue 2, dequeue
    // 2" works, so the pass must put 1 (nobody dequeued it) ahead of 2.
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('i', 1, "enqueue", int(2)),
        ('i', 2, "dequeue", NIL),
        ('o', 0, "enqueue", int(1)),
        ('i', 0, "enqueue", int(3)),
        ('o', 0, "enqueue", int(3)),
        ('i', 0, "dequeue", NIL),
        ('o', 0, "dequeue", int(3)),
        ('o', 1, "enqueue", int(2)),
        ('n', 2, "dequeue", NIL),
        ('i', 0, "dequeue", NIL),
        ('o', 0, "dequeue", int(2)),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_eq!(c.method, Method::Polynomial);
    assert!(c.verdict.is_linearizable(), "{c}");
}

#[test]
fn an_unclaimed_value_waits_when_it_may_stay_to_the_end() {
    // 4 is never dequeued and its enqueue runs long: enqueued first, it would need the
    // early crashed dequeue that 2 needs. The pass enqueues it only when it must.
    let h = history(&[
        ('i', 0, "enqueue", int(4)),
        ('i', 1, "enqueue", int(1)),
        ('o', 1, "enqueue", int(1)),
        ('i', 2, "dequeue", NIL),
        ('i', 1, "enqueue", int(2)),
        ('o', 1, "enqueue", int(2)),
        ('i', 1, "enqueue", int(3)),
        ('o', 1, "enqueue", int(3)),
        ('i', 1, "dequeue", NIL),
        ('o', 1, "dequeue", int(1)),
        ('i', 1, "dequeue", NIL),
        ('o', 1, "dequeue", int(3)),
        ('i', 3, "dequeue", NIL),
        ('o', 0, "enqueue", int(4)),
        ('n', 2, "dequeue", NIL),
        ('n', 3, "dequeue", NIL),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_eq!(c.method, Method::Polynomial);
    assert!(c.verdict.is_linearizable(), "{c}");
}

#[test]
fn a_stack_peels_concurrent_pushes_without_guessing() {
    // Pushes of 1 and 2 overlap; 3 is pushed after 1 completes and popped before 2's pop
    // is invoked. Only 1 at the bottom works (2 first would put 3 above 1 above 2, and
    // 2's pop could not come before 3's).
    let h = history(&[
        ('i', 0, "push", int(1)),
        ('i', 1, "push", int(2)),
        ('o', 0, "push", int(1)),
        ('i', 0, "push", int(3)),
        ('o', 0, "push", int(3)),
        ('i', 2, "pop", NIL),
        ('o', 1, "push", int(2)),
        ('i', 0, "pop", NIL),
        ('o', 0, "pop", int(2)),
        ('i', 0, "pop", NIL),
        ('o', 0, "pop", int(3)),
        ('o', 2, "pop", int(1)),
    ]);
    let c = check(&h, Collection::Stack);
    assert_eq!(c.method, Method::Polynomial);
    assert!(c.verdict.is_linearizable(), "{c}");
}

#[test]
fn a_crashed_pop_guessed_wrong_goes_to_the_general_search() {
    // The crashed pop can take 3 but not 2 as well: 1 cannot be popped.
    let h = history(&[
        ('i', 0, "push", int(1)),
        ('o', 0, "push", int(1)),
        ('i', 0, "push", int(2)),
        ('o', 0, "push", int(2)),
        ('i', 0, "push", int(3)),
        ('o', 0, "push", int(3)),
        ('i', 1, "pop", NIL),
        ('n', 1, "pop", NIL),
        ('i', 2, "pop", NIL),
        ('o', 2, "pop", int(1)),
    ]);
    let c = check(&h, Collection::Stack);
    assert_eq!(
        c.method,
        Method::Search {
            reason: Fallback::CrashedRemovals { crashed: 1 }
        }
    );
    assert!(c.verdict.is_not_linearizable());
}

#[test]
fn a_crashed_pop_takes_the_value_pushed_last() {
    let h = history(&[
        ('i', 0, "push", int(1)),
        ('o', 0, "push", int(1)),
        ('i', 0, "push", int(2)),
        ('o', 0, "push", int(2)),
        ('i', 1, "pop", NIL),
        ('n', 1, "pop", NIL),
        ('i', 2, "pop", NIL),
        ('o', 2, "pop", int(1)),
    ]);
    let c = check(&h, Collection::Stack);
    assert_eq!(c.method, Method::Polynomial);
    assert!(c.verdict.is_linearizable(), "{c}");
}

#[test]
fn crashed_dequeues_are_left_out_when_every_value_is_dequeued() {
    // Both values are dequeued by ok operations, so the crashed dequeue took nothing.
    let h = history(&[
        ('i', 0, "enqueue", int(1)),
        ('o', 0, "enqueue", int(1)),
        ('i', 0, "enqueue", int(2)),
        ('o', 0, "enqueue", int(2)),
        ('i', 1, "dequeue", NIL),
        ('n', 1, "dequeue", NIL),
        ('i', 2, "dequeue", NIL),
        ('o', 2, "dequeue", int(2)),
        ('i', 2, "dequeue", NIL),
        ('o', 2, "dequeue", int(1)),
    ]);
    let c = check(&h, Collection::FifoQueue);
    assert_pattern(&c, Pattern::Order, &[6, 0], &["ahead of 2"]);
}

#[test]
fn checks_choose_the_polynomial_checker_by_themselves() {
    // The general search runs out of memory on this one (24 crashed adds, each may take
    // effect anywhere); the automatic choice answers at once, within a limit the search
    // could never meet.
    let mut steps = Vec::new();
    for p in 0..24 {
        steps.push(('i', p, "add", int(p as i64)));
    }
    for p in 0..24 {
        steps.push(('n', p, "add", int(p as i64)));
    }
    steps.push(('i', 100, "read", NIL));
    steps.push(('o', 100, "read", ints(&[3, 99])));
    let events = history(&steps);
    let mut options = Options::default();
    options.budget.time_limit = Some(std::time::Duration::from_secs(20));
    options.budget.memory_limit = Some(64 << 20);
    let verdict = linearizable::check_with(&events, &Set, &options).unwrap();
    assert!(verdict.is_not_linearizable(), "{verdict}");
    let h = lockstep_history::History::new();
    h.op("enqueue", 1, || ());
    h.op("enqueue", 2, || ());
    h.op("dequeue", (), || 2);
    assert!(h.check(&FifoQueue).unwrap().is_not_linearizable());
    // Forcing the general search on the set history hits the small memory limit.
    let forced = Options {
        general_search: true,
        ..options
    };
    let verdict = linearizable::check_with(&events, &Set, &forced).unwrap();
    assert!(!verdict.is_linearizable(), "{verdict}");
}

/// The counterexample's order up to the operation that cannot be placed: (invoke index,
/// state after) per step.
fn prefix_of(checked: &Checked) -> (Vec<(u64, String)>, u64) {
    let lockstep_history::checker::Verdict::NotLinearizable(c) = &checked.verdict else {
        panic!("not a violation: {checked}");
    };
    let steps = c
        .prefix
        .iter()
        .map(|s| (s.op.op.invoke, s.after.clone()))
        .collect();
    (steps, c.op.op.invoke)
}

#[test]
fn a_small_violation_shows_the_longest_order_that_holds() {
    // A push, then two overlapping pops that both return it: the pass proves the violation
    // without an order; the counterexample shows the push and one pop, then the second pop.
    let h = history(&[
        ('i', 0, "push", int(0)),
        ('o', 0, "push", int(0)),
        ('i', 1, "pop", NIL),
        ('i', 2, "pop", NIL),
        ('o', 1, "pop", int(0)),
        ('o', 2, "pop", int(0)),
    ]);
    let c = check(&h, Collection::Stack);
    assert_eq!(c.method, Method::Polynomial, "{c}");
    assert_eq!(c.violation.as_ref().unwrap().pattern, Pattern::RemovedTwice);
    let (prefix, stuck) = prefix_of(&c);
    assert_eq!(prefix.len(), 2, "{c}");
    assert_eq!(prefix[0], (0, "[0]".to_string()), "{c}");
    assert_eq!(prefix[1].1, "[]", "{c}");
    assert!(stuck == 2 || stuck == 3, "{c}");
    assert_ne!(prefix[1].0, stuck, "{c}");
    assert!(
        c.to_string().contains("longest linearizable prefix: 2"),
        "{c}"
    );

    // The same for a queue.
    let c = check(&dequeued_twice(), Collection::FifoQueue);
    let (prefix, stuck) = prefix_of(&c);
    assert_eq!(
        prefix.iter().map(|p| p.0).collect::<Vec<_>>(),
        [0, 2],
        "{c}"
    );
    assert_eq!(stuck, 4, "{c}");
}
