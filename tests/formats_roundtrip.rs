//! Histories written in each format read back equal: values of every shape, named
//! processes, odd op names, through memory and through files chosen by extension.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use lockstep_history::format::{self, Format, FormatError};
use lockstep_history::{Event, EventKind, History, Process, Value};
use proptest::prelude::*;

const FORMATS: [Format; 3] = [Format::Json, Format::Jsonl, Format::Edn];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("NaN payloads are not kept", |f| !f.is_nan())
            .prop_map(Value::Float),
        Just(Value::Float(f64::NAN)),
        Just(Value::Float(f64::NEG_INFINITY)),
        any::<String>().prop_map(Value::from),
        "[:a-z][a-z0-9]{0,3}".prop_map(Value::from),
        "[a-z*+!?<>=][a-z0-9_.-]{0,6}(/[a-z]{1,4})?".prop_map(|k| Value::keyword(&k)),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Vector),
            prop::collection::vec((inner.clone(), inner.clone()), 0..4)
                .prop_map(|kv| Value::Map(kv.into_iter().collect::<BTreeMap<_, _>>())),
            prop::collection::vec(inner, 0..4)
                .prop_map(|items| Value::Set(items.into_iter().collect::<BTreeSet<_>>())),
        ]
    })
}

fn kind() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        Just(EventKind::Invoke),
        Just(EventKind::Ok),
        Just(EventKind::Fail),
        Just(EventKind::Info),
    ]
}

fn process() -> impl Strategy<Value = Process> {
    prop_oneof![
        (0..=i64::MAX as u64).prop_map(Process::Id),
        Just(Process::Named("nemesis".into())),
        any::<String>().prop_map(|s| Process::Named(s.into())),
    ]
}

fn op_name() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z][a-z-]{0,8}", any::<String>()]
}

/// Histories as every reader returns them: indices dense from 0, times within Clojure's
/// `long`, no nil errors (a nil error reads as no error).
fn events() -> impl Strategy<Value = Vec<Event>> {
    let event = (
        0..=i64::MAX as u64,
        kind(),
        process(),
        op_name(),
        value(),
        prop::option::of(value().prop_filter("nil error is no error", |v| !v.is_nil())),
    );
    prop::collection::vec(event, 0..12).prop_map(|evs| {
        evs.into_iter()
            .enumerate()
            .map(|(i, (time, kind, process, f, value, error))| Event {
                index: i as u64,
                time,
                kind,
                process,
                f: f.into(),
                value,
                error,
            })
            .collect()
    })
}

fn round_trip(events: &[Event], format: Format) -> Vec<Event> {
    let mut out = Vec::new();
    format::write(&mut out, events, format).unwrap();
    format::parse(&out, format)
        .unwrap_or_else(|e| panic!("{format}: {e}\n{}", String::from_utf8_lossy(&out)))
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn json_round_trips(events in events()) {
        prop_assert_eq!(round_trip(&events, Format::Json), events);
    }

    #[test]
    fn jsonl_round_trips(events in events()) {
        prop_assert_eq!(round_trip(&events, Format::Jsonl), events);
    }

    #[test]
    fn edn_round_trips(events in events()) {
        prop_assert_eq!(round_trip(&events, Format::Edn), events);
    }

    #[test]
    fn edn_stream_round_trips(events in events()) {
        let mut out = Vec::new();
        format::edn::write_stream(&mut out, &events).unwrap();
        prop_assert_eq!(format::edn::parse(&out).unwrap(), events);
    }

    #[test]
    fn edn_values_round_trip(v in value()) {
        let text = v.to_string();
        prop_assert_eq!(format::edn::parse_value(&text).unwrap(), v);
    }
}

/// A file path in the system's temporary folder, unique to this test run.
fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("lockstep-roundtrip-{}-{name}", std::process::id()))
}

fn recorded() -> Vec<Event> {
    let h = History::new();
    h.op("write", (1, "x"), || ());
    h.invoke("cas", [1, 2]);
    h.fail("cas", "mismatch");
    h.invoke("read", ());
    h.info("read", "timeout");
    h.op("read", (), || Some(vec![1.5, f64::INFINITY]));
    h.events()
}

#[test]
fn recorded_history_round_trips_through_files_by_extension() {
    let events = recorded();
    for format in FORMATS {
        let path = temp_path(&format!("history.{}", format.extension()));
        format::write_file(&path, &events).unwrap();
        assert_eq!(format::read_file(&path).unwrap(), events, "{format}");
        let loaded = format::load_file(&path).unwrap();
        assert_eq!((loaded.format, loaded.torn_tail), (format, None));
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn explicit_format_overrides_the_extension() {
    let events = recorded();
    let path = temp_path("history.txt");
    format::write_file_as(&path, &events, Format::Edn).unwrap();
    assert!(matches!(
        format::read_file(&path),
        Err(FormatError::UnknownExtension { .. })
    ));
    assert_eq!(format::read_file_as(&path, Format::Edn).unwrap(), events);
    // Read as the wrong format, it is an error that names the file and a position.
    let e = format::read_file_as(&path, Format::Json).unwrap_err();
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("{}:1:", path.display())),
        "{shown}"
    );
    assert_eq!(e.path(), Some(path.as_path()));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let path = temp_path("no-such-history.edn");
    let e = format::read_file(&path).unwrap_err();
    assert!(matches!(e, FormatError::Io { .. }), "{e}");
    assert!(
        e.to_string().starts_with(&format!("{}: ", path.display())),
        "{e}"
    );
}

#[test]
fn edn_output_is_what_knossos_reads() {
    let events = recorded();
    let mut out = Vec::new();
    format::write(&mut out, &events, Format::Edn).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), events.len(), "one op map per line:\n{text}");
    assert_eq!(
        lines[0],
        format!(
            "[{{:index 0, :time {}, :type :invoke, :process 0, :f :write, :value [1 \"x\"]}}",
            events[0].time
        )
    );
    assert!(
        lines[3].ends_with(":type :fail, :process 0, :f :cas, :value [1 2], :error \"mismatch\"}")
    );
    assert!(
        lines[5].ends_with(":type :info, :process 0, :f :read, :value nil, :error \"timeout\"}"),
        "{text}"
    );
    assert!(lines[7].ends_with(":type :ok, :process 1, :f :read, :value [1.5 ##Inf]}]"));
}

#[test]
fn edn_cannot_write_numbers_clojure_cannot_read() {
    let mut e = recorded().remove(0);
    e.time = u64::MAX;
    let err = format::write(Vec::new(), &[e], Format::Edn).unwrap_err();
    assert!(
        matches!(err, FormatError::Unrepresentable { event: 0, .. }),
        "{err}"
    );
}
