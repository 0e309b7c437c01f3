//! `#[recorded]` on synchronous functions and methods: what each call records.

use std::cell::Cell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use lockstep_history::{Completion, Event, EventKind, Value, recorded, with_history};
use serde::Serialize;

/// Shorthand for the checks below: (type, process, f, value, error).
fn summary(events: &[Event]) -> Vec<(EventKind, u64, String, Value, Option<Value>)> {
    events
        .iter()
        .map(|e| {
            (
                e.kind,
                e.process.id().unwrap(),
                e.f.to_string(),
                e.value.clone(),
                e.error.clone(),
            )
        })
        .collect()
}

fn v<T: Serialize>(t: T) -> Value {
    lockstep_history::to_value(&t).unwrap()
}

#[derive(Debug, Serialize, PartialEq)]
enum StoreError {
    Conflict,
    Timeout,
}

impl StoreError {
    fn completion(&self) -> Completion {
        match self {
            StoreError::Conflict => Completion::Fail,
            StoreError::Timeout => Completion::Info,
        }
    }
}

/// The annotated client from the issue, against an in-memory register.
#[derive(Default)]
struct Client {
    register: Cell<u64>,
    fail_next: Cell<Option<StoreError>>,
}

impl Client {
    fn check(&self) -> Result<(), StoreError> {
        match self.fail_next.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    #[recorded(f = "write")]
    fn write(&self, v: u64) -> Result<(), StoreError> {
        self.check()?;
        self.register.set(v);
        Ok(())
    }

    #[recorded]
    fn read(&self) -> std::io::Result<Option<u64>> {
        if self.fail_next.take().is_some() {
            return Err(std::io::Error::other("connection reset"));
        }
        Ok(Some(self.register.get()))
    }

    #[recorded(f = "cas", err = "info")]
    fn cas(&self, from: u64, to: u64) -> Result<bool, StoreError> {
        self.check()?;
        if self.register.get() != from {
            return Ok(false);
        }
        self.register.set(to);
        Ok(true)
    }

    #[recorded(f = "cas", classify = StoreError::completion)]
    fn cas_classified(&self, from: u64, to: u64) -> Result<bool, StoreError> {
        self.check()?;
        self.cas(from, to)
    }

    #[recorded(f = "put", skip(label))]
    fn put(&mut self, key: &str, val: String, label: &NotSerialize) -> Result<(), StoreError> {
        let _ = (key, label);
        self.register.set(val.len() as u64);
        Ok(())
    }

    #[recorded(f = "txn", value = (key, *n + 1))]
    fn txn(&self, key: &str, n: &u8) -> u8 {
        let _ = key;
        *n
    }

    #[recorded]
    fn into_value(self) -> u64 {
        self.register.get()
    }
}

/// A type that cannot be recorded.
struct NotSerialize;

#[test]
fn the_annotated_client_records_one_op_per_call() {
    let client = Client::default();
    let (_, history) = with_history(|| {
        client.write(5).unwrap();
        assert_eq!(client.read().unwrap(), Some(5));
        assert!(client.cas(5, 6).unwrap());
        assert!(!client.cas(5, 7).unwrap());
    });
    let nil = Value::Nil;
    assert_eq!(
        summary(&history.events()),
        [
            (EventKind::Invoke, 0, "write".into(), v(5), None),
            (EventKind::Ok, 0, "write".into(), v(5), None),
            (EventKind::Invoke, 0, "read".into(), nil.clone(), None),
            (EventKind::Ok, 0, "read".into(), v(5), None),
            (EventKind::Invoke, 0, "cas".into(), v([5, 6]), None),
            (EventKind::Ok, 0, "cas".into(), v(true), None),
            (EventKind::Invoke, 0, "cas".into(), v([5, 7]), None),
            (EventKind::Ok, 0, "cas".into(), v(false), None),
        ]
    );
    history.validate().unwrap();
}

#[test]
fn errors_fail_or_info_as_asked() {
    let client = Client::default();
    let (_, history) = with_history(|| {
        client.fail_next.set(Some(StoreError::Conflict));
        client.write(1).unwrap_err();
        client.fail_next.set(Some(StoreError::Conflict));
        client.read().unwrap_err();
        client.fail_next.set(Some(StoreError::Conflict));
        client.cas(0, 1).unwrap_err(); // err = "info"
        client.fail_next.set(Some(StoreError::Timeout));
        client.cas_classified(0, 1).unwrap_err();
        client.fail_next.set(Some(StoreError::Conflict));
        client.cas_classified(0, 1).unwrap_err();
    });
    let e = summary(&history.events());
    // A Serialize error is recorded as it serializes: a unit variant is a keyword.
    assert_eq!(
        e[1],
        (
            EventKind::Fail,
            0,
            "write".into(),
            v(1),
            Some(Value::keyword("Conflict"))
        )
    );
    // io::Error is not Serialize: its Display form.
    assert_eq!(
        e[3],
        (
            EventKind::Fail,
            0,
            "read".into(),
            Value::Nil,
            Some(v("connection reset"))
        )
    );
    // err = "info": indeterminate, and the thread continues as a new process.
    assert_eq!(e[5].0, EventKind::Info);
    assert_eq!(e[5].3, v([0, 1]));
    assert_eq!(e[6].1, 1);
    // classify: Timeout is info, Conflict is fail.
    assert_eq!(e[7].0, EventKind::Info);
    assert_eq!(e[7].4, Some(Value::keyword("Timeout")));
    assert_eq!(e[9].0, EventKind::Fail);
    assert_eq!(e.len(), 10);
    history.validate().unwrap();
}

#[test]
fn skip_value_and_self_by_value() {
    let mut client = Client::default();
    let (_, history) = with_history(|| {
        client.put("k", "abc".into(), &NotSerialize).unwrap();
        assert_eq!(client.txn("x", &4), 4);
        assert_eq!(client.into_value(), 3);
    });
    let e = summary(&history.events());
    assert_eq!(e[0].3, v(("k", "abc")));
    assert_eq!(e[1].3, v(("k", "abc")), "Ok(()) echoes the invoke");
    assert_eq!(e[2].3, v(("x", 5)));
    assert_eq!(e[3].3, v(4));
    assert_eq!(e[4].2, "into_value");
    assert_eq!(e[4].3, Value::Nil);
    assert_eq!(e[5].3, v(3));
}

#[recorded]
fn get(key: u8) -> Option<u8> {
    (key == 1).then_some(10)
}

#[recorded]
fn unit(_x: u8) {}

#[test]
fn none_is_nil_and_unit_echoes() {
    let (_, history) = with_history(|| {
        assert_eq!(get(7), None);
        assert_eq!(get(1), Some(10));
        unit(3);
    });
    let e = summary(&history.events());
    assert_eq!(e[1].3, Value::Nil, "a read of nil, not of 7");
    assert_eq!(e[3].3, v(10));
    assert_eq!(e[5].3, v(3));
}

#[recorded]
fn generic<T, U>(first: T, second: impl Serialize + fmt::Debug, _unused: &U) -> Vec<T>
where
    T: Serialize + Clone,
    U: Serialize + ?Sized,
{
    let _ = format!("{second:?}");
    vec![first.clone(), first]
}

#[recorded(output = |items| items.clone().collect::<Vec<_>>())]
fn evens(limit: u8) -> impl Iterator<Item = u8> + Clone {
    (0..limit).filter(|n| n % 2 == 0)
}

#[recorded(output = |items| items.size_hint().0)]
fn nested_opaque(limit: u8) -> Result<impl Iterator<Item = u8>, String> {
    if limit == 0 {
        Err("empty")?;
    }
    Ok((0..limit).rev())
}

#[recorded]
fn patterns((a, b): (u8, u8), mut x: u8, Wrapper { inner }: Wrapper) -> u8 {
    x += a + b + inner;
    x
}

#[derive(Serialize)]
struct Wrapper {
    inner: u8,
}

#[test]
fn generics_impl_trait_and_patterns() {
    let (_, history) = with_history(|| {
        assert_eq!(generic(1u8, "s", "unsized"), [1, 1]);
        assert_eq!(evens(5).collect::<Vec<_>>(), [0, 2, 4]);
        assert_eq!(nested_opaque(2).unwrap().count(), 2);
        assert!(nested_opaque(0).is_err());
        assert_eq!(patterns((1, 2), 3, Wrapper { inner: 4 }), 10);
    });
    let e = summary(&history.events());
    assert_eq!(e[0].3, v((1, "s", "unsized")), "every argument, in order");
    assert_eq!(e[1].3, v([1, 1]));
    assert_eq!(
        e[3].3,
        v([0, 2, 4]),
        "`output` shapes what an iterator yields"
    );
    assert_eq!(e[5].0, EventKind::Ok);
    assert_eq!(e[5].3, v(2), "`output` reads the `Ok` value");
    assert_eq!(e[7].0, EventKind::Fail);
    assert_eq!(e[7].4, Some(v("empty")), "`?` converted the error");
    assert_eq!(e[8].3, v(((1, 2), 3, 4)), "patterns record what they bind");
    assert_eq!(e[9].3, v(10));
}

trait Store {
    fn set(&mut self, v: u64) -> u64;
}

struct Memory(u64);

impl Store for Memory {
    #[recorded(f = "write")]
    fn set(&mut self, v: u64) -> u64 {
        if v == 0 {
            return self.0;
        }
        std::mem::replace(&mut self.0, v)
    }
}

#[test]
fn trait_impls_and_early_return() {
    let mut m = Memory(1);
    let (_, history) = with_history(|| {
        assert_eq!(m.set(2), 1);
        assert_eq!(m.set(0), 2);
    });
    let e = summary(&history.events());
    assert_eq!(e[1].3, v(1));
    assert_eq!(e[3].3, v(2));
}

mod aliases {
    use super::recorded;

    pub type Result<T> = std::result::Result<T, String>;

    #[recorded]
    pub fn local(fail: bool) -> Result<u8> {
        if fail { Err("no".into()) } else { Ok(1) }
    }

    #[recorded]
    pub fn any(fail: bool) -> anyhow::Result<u8> {
        if fail {
            anyhow::bail!("lost {}", 3);
        }
        Ok(2)
    }
}

#[test]
fn results_behind_aliases() {
    let (_, history) = with_history(|| {
        aliases::local(false).unwrap();
        aliases::local(true).unwrap_err();
        aliases::any(false).unwrap();
        aliases::any(true).unwrap_err();
    });
    let e = summary(&history.events());
    assert_eq!((e[1].0, &e[1].3), (EventKind::Ok, &v(1)));
    assert_eq!((e[3].0, &e[3].4), (EventKind::Fail, &Some(v("no"))));
    assert_eq!((e[5].0, &e[5].3), (EventKind::Ok, &v(2)));
    // anyhow::Error has no Serialize: its Display form.
    assert_eq!((e[7].0, &e[7].4), (EventKind::Fail, &Some(v("lost 3"))));
}

#[derive(Debug, PartialEq)]
struct Boom(u32);

#[recorded]
fn explode(n: u32) -> u32 {
    if n > 0 {
        panic::panic_any(Boom(n));
    }
    panic!("message {n}")
}

#[test]
fn a_panic_is_info_and_continues_with_its_payload() {
    let (_, history) = with_history(|| {
        let caught = panic::catch_unwind(|| explode(7)).unwrap_err();
        assert_eq!(caught.downcast_ref::<Boom>(), Some(&Boom(7)));
        let caught = panic::catch_unwind(|| explode(0)).unwrap_err();
        assert_eq!(caught.downcast_ref::<String>().unwrap(), "message 0");
        get(1);
    });
    let e = summary(&history.events());
    assert_eq!(e[1].0, EventKind::Info);
    assert_eq!(e[1].3, v(7), "info echoes the invoke");
    assert_eq!(e[2].1, 1, "a new process after info");
    assert_eq!(e[3].4, Some(v("panic: message 0")));
    assert_eq!(e[4].1, 2);
    history.validate().unwrap();
}

/// An error whose `Display` panics, so reading the result panics after the body returned.
#[derive(Debug)]
struct BadDisplay;

impl fmt::Display for BadDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("display broke")
    }
}

#[recorded]
fn returns_bad_error() -> Result<u8, BadDisplay> {
    Err(BadDisplay)
}

#[test]
fn a_panic_while_reading_the_result_is_info_too() {
    let (_, history) = with_history(|| {
        let caught = panic::catch_unwind(returns_bad_error).unwrap_err();
        assert_eq!(*caught.downcast_ref::<&str>().unwrap(), "display broke");
    });
    let e = summary(&history.events());
    assert_eq!(e.len(), 2);
    assert_eq!(e[1].0, EventKind::Info);
    assert_eq!(e[1].4, Some(v("panic: display broke")));
}

#[recorded]
fn outer(n: u8) -> u8 {
    inner(n) + inner(n + 1)
}

#[recorded]
fn inner(n: u8) -> u8 {
    n
}

#[test]
fn nested_calls_are_one_operation() {
    let (_, history) = with_history(|| {
        assert_eq!(outer(1), 3);
        assert_eq!(inner(5), 5);
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            with_history(|| explode(1));
        }));
        assert!(caught.is_err());
        assert_eq!(inner(6), 6, "a panic in a body leaves calls recorded again");
    });
    let e = summary(&history.events());
    assert_eq!(e.len(), 6);
    assert_eq!((e[0].2.as_str(), &e[0].3), ("outer", &v(1)));
    assert_eq!((e[1].2.as_str(), &e[1].3), ("outer", &v(3)));
    assert_eq!((e[2].2.as_str(), &e[2].3), ("inner", &v(5)));
    assert_eq!((e[4].2.as_str(), &e[4].3), ("inner", &v(6)));
}

#[recorded]
fn opens_its_own_history(n: u8) -> usize {
    let (sum, own) = with_history(|| inner(n) + inner(n));
    assert_eq!(sum, 2 * n);
    own.len()
}

#[test]
fn a_body_with_a_history_of_its_own_records_into_it() {
    let (own, history) = with_history(|| opens_its_own_history(1));
    assert_eq!(
        own, 4,
        "both inner calls are operations of the body's own history"
    );
    assert_eq!(history.len(), 2, "and not of the outer one");
}

#[test]
fn threads_are_processes() {
    let (_, history) = with_history(|| {
        let workers: Vec<_> = (0..3u8)
            .map(|i| lockstep_history::spawn(move || outer(i)))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum::<u8>()
    });
    assert_eq!(history.len(), 6);
    let mut processes: Vec<u64> = history
        .events()
        .iter()
        .filter_map(|e| e.process.id())
        .collect();
    processes.sort_unstable();
    processes.dedup();
    assert_eq!(processes, [0, 1, 2]);
    history.validate().unwrap();
}

// Calls with no history installed are tested in `recording_lost.rs`, where tests take
// turns: here they would count as lost calls of the histories other tests have open.

mod renamed {
    // The runtime under another name, as a re-exporting crate would offer it.
    pub use lockstep_history as runtime;

    #[runtime::recorded(crate = crate::renamed::runtime)]
    pub fn through_reexport(x: u8) -> u8 {
        x
    }
}

#[test]
fn crate_path_option() {
    let (_, history) = with_history(|| renamed::through_reexport(4));
    assert_eq!(history.events()[1].value, v(4));
}

#[recorded(f = "crash")]
fn never_returns(code: u8) -> ! {
    panic!("crashed with {code}")
}

#[test]
fn a_function_that_never_returns_is_recorded_as_info() {
    let (caught, history) = with_history(|| std::panic::catch_unwind(|| never_returns(7)));
    let payload = caught.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some("crashed with 7")
    );
    let e = history.events();
    assert_eq!(e.len(), 2);
    assert_eq!((e[0].kind, e[1].kind), (EventKind::Invoke, EventKind::Info));
    assert_eq!(e[1].value, Value::Int(7));
}

/// Arguments the invoke value reads pass through the recorder by value and come back: a
/// `&mut` argument, a `mut` one and one read by `value` reach the body unchanged, history or
/// not.
#[recorded(f = "append", value = (*count, item))]
fn append(list: &mut Vec<u8>, mut count: u8, item: u8) -> u8 {
    count += 1;
    list.push(item);
    count
}

#[recorded(f = "extend")]
fn extend(list: &mut Vec<u8>, items: Vec<u8>, mut times: u8) -> usize {
    while times > 0 {
        list.extend_from_slice(&items);
        times -= 1;
    }
    list.len()
}

#[test]
fn arguments_reach_the_body_whether_recorded_or_not() {
    let mut outside = Vec::new();
    // Unrecorded: other tests here have histories open, which would count these as lost.
    lockstep_history::unrecorded(|| {
        assert_eq!(append(&mut outside, 4, 7), 5);
        assert_eq!(extend(&mut outside, vec![1, 2], 2), 5);
    });
    assert_eq!(outside, [7, 1, 2, 1, 2]);

    let mut inside = Vec::new();
    let ((first, second), history) = with_history(|| {
        (
            append(&mut inside, 4, 7),
            extend(&mut inside, vec![1, 2], 2),
        )
    });
    assert_eq!((first, second), (5, 5));
    assert_eq!(inside, outside);
    let events = history.events();
    assert_eq!(
        summary(&events)
            .into_iter()
            .map(|(kind, _, f, value, _)| (kind, f, value))
            .collect::<Vec<_>>(),
        [
            (EventKind::Invoke, "append".to_owned(), v((4, 7))),
            (EventKind::Ok, "append".to_owned(), v(5)),
            (
                EventKind::Invoke,
                "extend".to_owned(),
                v(([7u8], [1u8, 2], 2))
            ),
            (EventKind::Ok, "extend".to_owned(), v(5)),
        ]
    );
}
