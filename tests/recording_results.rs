//! What a recorded call returns is what its ok event says. Results typed by an impl-level
//! type parameter or an associated type are recorded as their values (the `Serialize` bound
//! is required, not guessed); a result that is not `Serialize` is recorded through
//! `output = |value| ...`; a plain getter is shaped into `Kv`'s `[key value]` tuples without
//! moving its key; `_` parameters are not part of the invoke value; a `#[track_caller]`
//! function still reports its caller. Before, the first two were recorded as nil (which a
//! checker reads as "empty"), `value = (key, None)` moved `key`, `_` was recorded as nil, and
//! `#[track_caller]` reported the callee.

use std::collections::HashMap;
use std::panic::Location;
use std::sync::Mutex;

use lockstep_history::model::{Kv, Register};
use lockstep_history::{EventKind, Value, assert_linearizable, recorded, unrecorded, with_history};
use serde::Serialize;

fn v<T: Serialize>(t: T) -> Value {
    lockstep_history::to_value(&t).unwrap()
}

/// The ok values, in order.
fn oks(history: &lockstep_history::History) -> Vec<Value> {
    history
        .events()
        .into_iter()
        .filter(|e| e.kind == EventKind::Ok)
        .map(|e| e.value)
        .collect()
}

struct Store<T> {
    value: Mutex<Option<T>>,
}

impl<T: Clone + Serialize> Store<T> {
    #[recorded(f = "read")]
    fn get(&self) -> Result<Option<T>, String> {
        Ok(self.value.lock().unwrap().clone())
    }

    #[recorded(f = "write")]
    fn set(&self, v: T) {
        *self.value.lock().unwrap() = Some(v);
    }
}

#[test]
fn an_impl_level_type_parameter_is_recorded_as_its_value() {
    let store = Store {
        value: Mutex::new(None),
    };
    let (_, history) = with_history(|| {
        store.set(3u64);
        store.get().unwrap()
    });
    assert_eq!(oks(&history), [v(3), v(3)], "the read saw 3, not nil");
    assert_linearizable!(history, Register::new(0));
}

trait Connection {
    type Row;
    type Error;
    fn query(&self, sql: &str) -> Result<Vec<Self::Row>, Self::Error>;
}

struct Fake;

impl Connection for Fake {
    type Row = (u64, String);
    type Error = String;
    fn query(&self, _: &str) -> Result<Vec<(u64, String)>, String> {
        Ok(vec![(1, "one".into())])
    }
}

struct Client<C>(C);

impl<C: Connection> Client<C>
where
    C::Row: Serialize,
{
    #[recorded]
    fn rows(&self, sql: &str) -> Result<Vec<C::Row>, C::Error> {
        self.0.query(sql)
    }
}

#[test]
fn an_associated_type_is_recorded_as_its_value() {
    let (_, history) = with_history(|| Client(Fake).rows("select").unwrap());
    assert_eq!(oks(&history), [v([(1, "one")])]);
}

/// A driver's response: not `Serialize`.
struct Response {
    body: Vec<u8>,
}

#[recorded(output = |response| response.body.len())]
fn fetch(path: &str) -> Result<Response, String> {
    Ok(Response {
        body: path.as_bytes().to_vec(),
    })
}

#[test]
fn a_result_that_is_not_serialize_is_recorded_through_output() {
    let (_, history) = with_history(|| fetch("/abc").map(|r| r.body));
    assert_eq!(oks(&history), [v(4)]);
}

#[derive(Default)]
struct Cache(Mutex<HashMap<String, u64>>);

impl Cache {
    #[recorded(f = "read", value = (key, None::<u64>), output = |found| (key, found))]
    fn get(&self, key: String) -> Option<u64> {
        self.0.lock().unwrap().get(&key).copied()
    }

    #[recorded(f = "write")]
    fn put(&self, key: String, value: u64) {
        self.0.lock().unwrap().insert(key, value);
    }
}

#[test]
fn a_getter_is_shaped_into_kv_tuples_without_moving_its_key() {
    let cache = Cache::default();
    let (_, history) = with_history(|| {
        assert_eq!(cache.get("a".into()), None);
        cache.put("a".into(), 1);
        assert_eq!(cache.get("a".into()), Some(1));
    });
    let e = history.events();
    assert_eq!(e[0].value, v(("a", None::<u64>)));
    assert_eq!(e[1].value, v(("a", None::<u64>)));
    assert_eq!(e[3].value, v(("a", 1)));
    assert_eq!(e[5].value, v(("a", 1)));
    assert_linearizable!(history, Kv::default());
}

#[recorded]
fn wildcard(_: u64, kept: u64, _: &str) -> u64 {
    kept
}

#[test]
fn wildcard_parameters_are_not_part_of_the_value() {
    let (_, history) = with_history(|| wildcard(1, 2, "x"));
    assert_eq!(
        history.events()[0].value,
        v(2),
        "one recorded argument: itself"
    );
}

#[recorded]
#[track_caller]
fn here(n: u64) -> Result<(u32, u64), String> {
    if n == 0 {
        return Err("zero".into());
    }
    let half: u64 = n.is_multiple_of(2).then_some(n / 2).ok_or("odd")?;
    Ok((Location::caller().line(), half))
}

#[recorded]
#[track_caller]
fn checked(n: u64) -> u64 {
    assert!(n < 10, "too large");
    n
}

#[test]
fn track_caller_still_reports_the_caller() {
    let (lines, history) = with_history(|| {
        let line = line!();
        let (caller, half) = here(4).unwrap();
        assert_eq!(half, 2);
        assert_eq!(here(0), Err("zero".into()));
        assert_eq!(here(3), Err("odd".into()));
        let caught = std::panic::catch_unwind(|| checked(11)).unwrap_err();
        let _ = caught;
        (line + 1, caller)
    });
    assert_eq!(lines.0, lines.1, "Location::caller() is the call site");
    let e = history.events();
    let kinds: Vec<_> = e.iter().map(|e| e.kind).collect();
    use EventKind::{Fail, Info, Invoke, Ok};
    assert_eq!(
        kinds,
        [Invoke, Ok, Invoke, Fail, Invoke, Fail, Invoke, Info]
    );
    assert_eq!(e[1].value, v((lines.1, 2)));
    assert_eq!(
        e[5].error,
        Some(v("odd")),
        "`?` is recorded as the error it returns"
    );
    history.validate().unwrap();
}

#[recorded]
#[track_caller]
fn strict(n: u64) -> u64 {
    assert!(n < 10, "strict: {n} is too large");
    n
}

#[test]
fn track_caller_panics_point_at_the_caller() {
    let location = std::sync::Arc::new(Mutex::new(None));
    let seen = location.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Other tests panic on purpose too: keep only this one's.
        if info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|m| m.starts_with("strict"))
        {
            *seen.lock().unwrap() = info.location().map(|l| l.line());
        }
    }));
    // Outside any history, and not counted as a lost call in the histories other tests
    // have open meanwhile.
    let line = line!() + 1;
    let result = std::panic::catch_unwind(|| unrecorded(|| strict(12)));
    std::panic::set_hook(previous);
    assert!(result.is_err());
    assert_eq!(*location.lock().unwrap(), Some(line));
}

/// The kinds, values and errors of the completions, in order.
fn completions(history: &lockstep_history::History) -> Vec<(EventKind, Value, Option<Value>)> {
    history
        .events()
        .into_iter()
        .filter(|e| e.kind != EventKind::Invoke)
        .map(|e| (e.kind, e.value, e.error))
        .collect()
}

/// Returns whatever `make` makes: the attribute sees only `R`.
#[recorded(f = "run", skip(make))]
fn run_generic<R: Serialize>(make: impl FnOnce() -> R) -> R {
    make()
}

trait Source {
    type Out: Serialize;
    fn produce(&self, n: u64) -> Self::Out;

    /// A default method whose result is an associated type.
    #[recorded(f = "read")]
    fn read(&self, n: u64) -> Self::Out {
        self.produce(n)
    }
}

struct Flaky;

impl Source for Flaky {
    type Out = Result<u64, String>;
    fn produce(&self, n: u64) -> Result<u64, String> {
        if n == 0 {
            Err("timeout".into())
        } else {
            Ok(n * 10)
        }
    }
}

/// A user's own enum with variants named like a result's: not a result.
#[derive(Serialize)]
enum Reply {
    Ok(u64),
    Err(String),
}

#[test]
fn a_result_hidden_behind_a_type_parameter_or_an_associated_type_ends_as_a_result() {
    let (_, history) = with_history(|| {
        run_generic(|| Err::<u8, String>("boom".into())).unwrap_err();
        run_generic(|| Ok::<u8, String>(7)).unwrap();
        run_generic(|| Ok::<(), String>(())).unwrap();
        Flaky.read(0).unwrap_err();
        Flaky.read(2).unwrap();
        run_generic(|| Reply::Err("no".into()));
        run_generic(|| Reply::Ok(1));
        // A result the signature names, holding another: the outer one decides.
        run_generic::<Result<Result<u8, String>, String>>(|| Ok(Err("inner".into())))
    });
    let nil = Value::Nil;
    assert_eq!(
        completions(&history),
        [
            (EventKind::Fail, nil.clone(), Some(v("boom"))),
            (EventKind::Ok, v(7), None),
            (EventKind::Ok, nil.clone(), None), // unit echoes the (skipped, nil) input
            (EventKind::Fail, v(0), Some(v("timeout"))),
            (EventKind::Ok, v(20), None),
            (EventKind::Ok, v(Reply::Err("no".into())), None),
            (EventKind::Ok, v(Reply::Ok(1)), None),
            (EventKind::Ok, v(Err::<u8, &str>("inner")), None),
        ]
    );
}

/// An error with no `Serialize`, `Display` or `Debug`.
struct Opaque;

#[recorded]
fn opaque(fail: bool) -> Result<u8, Opaque> {
    if fail { Err(Opaque) } else { Ok(1) }
}

#[test]
fn an_error_that_cannot_be_shown_is_named_by_its_type() {
    let (_, history) = with_history(|| {
        let _ = opaque(true);
    });
    let (kind, _, error) = completions(&history).remove(0);
    assert_eq!(kind, EventKind::Fail);
    let error = error.expect("the fail says why");
    assert!(
        error.as_str().is_some_and(|e| e.contains("Opaque")),
        "{error:?}"
    );
}

/// Returns early from inside a macro call, where the attribute cannot see the `return`.
macro_rules! bail {
    ($e:expr) => {
        return Err($e.into())
    };
}

#[recorded]
#[track_caller]
fn bails(n: u64) -> Result<u64, String> {
    if n == 0 {
        bail!("zero");
    }
    Ok(n)
}

#[test]
fn track_caller_returning_from_inside_a_macro_is_info_and_says_why() {
    let (_, history) = with_history(|| {
        assert_eq!(bails(0), Err("zero".into()));
        assert_eq!(bails(1), Ok(1));
    });
    let e = completions(&history);
    assert_eq!(e[0].0, EventKind::Info);
    let reason = e[0].2.clone().unwrap();
    assert!(
        reason
            .as_str()
            .is_some_and(|r| r.contains("inside a macro call")),
        "{reason:?}"
    );
    assert_eq!(e[1], (EventKind::Ok, v(1), None));
    history.validate().unwrap();
}
