//! Reading a history file straight into the checker's compact form (`Transactions`,
//! `txn::check_file`, what `lockstep check --model list-append|rw-register` does) gives
//! exactly what reading the file as events and checking them gives: the same analysis on
//! every conformance file, and the same error, position and all, on malformed input.

mod common;

use std::path::{Path, PathBuf};

use lockstep_history::checker::txn::{
    self, Analysis, ConsistencyModel, Error, Options, ReadError, Transactions, Workload,
};
use lockstep_history::format::{self, Format};
use lockstep_history::{Event, EventKind, Process, Value};
use proptest::prelude::*;

/// What the usual route says of a file's bytes: the analysis, or the error as text (a
/// format error as `format::load` words it, a transactional one as `txn::check` does).
fn by_events(bytes: &[u8], f: Format, options: &Options) -> Result<Analysis, String> {
    let loaded = format::load(bytes, f).map_err(|e| e.to_string())?;
    txn::check(&loaded.events, options).map_err(|e| e.to_string())
}

/// What the compact route says of the same bytes.
fn by_compact(bytes: &[u8], f: Format, options: &Options) -> Result<Analysis, String> {
    let txns = Transactions::parse(bytes, f, options.workload).map_err(|e| e.to_string())?;
    txns.check(options).map_err(|e| e.to_string())
}

fn same(bytes: &[u8], f: Format, options: &Options) -> Result<Analysis, String> {
    let expected = by_events(bytes, f, options);
    let got = by_compact(bytes, f, options);
    assert_eq!(got, expected, "{f}: {}", String::from_utf8_lossy(bytes));
    got
}

/// The options elle-cli's tests check each conformance file with.
fn conformance_options(file: &Path) -> Options {
    let name = file.to_string_lossy();
    let mut options = Options::default();
    if name.contains("rw-register") {
        options.workload = Workload::RwRegister;
    }
    if name.contains("gh-30") {
        options.consistency_models = vec![ConsistencyModel::Serializable];
    }
    options
}

fn elle_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for sub in ["list-append", "rw-register"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    files
}

#[test]
fn every_conformance_file_gives_the_same_analysis_from_the_file() {
    let Some(dir) =
        common::elle_dir("every_conformance_file_gives_the_same_analysis_from_the_file")
    else {
        return;
    };
    let files = elle_files(&dir);
    assert!(files.len() >= 5, "{files:?}");
    for file in files {
        let mut options = conformance_options(&file);
        let events = format::read_file(&file).unwrap();
        // Every model, so that every anomaly found is kept and explained.
        for models in [
            options.consistency_models.clone(),
            ConsistencyModel::all().to_vec(),
        ] {
            options.consistency_models = models;
            let expected = txn::check(&events, &options).unwrap();
            let got = txn::check_file(&file, &options).unwrap();
            assert_eq!(got, expected, "{}:\n{got}\n---\n{expected}", file.display());
            assert_eq!(got.to_string(), expected.to_string());
        }
    }
}

const SKEW: &str = "{:process 0 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 1 1]]}
{:process 1 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 2 1]]}
{:process :nemesis :type :info :f :start :value nil}
{:process 0 :type :ok :value [[:r 1 []] [:r 2 []] [:append 1 1]]}
{:process 1 :type :ok :value [[:r 1 []] [:r 2 []] [:append 2 1]]}
{:process 2 :type :invoke :value [[:r 1 nil] [:r 2 nil]]}
{:process 2 :type :fail :value [[:r 1 [1]] [:r 2 nil]]}
{:process 3 :type :invoke :value [[\"r\" 1 nil] [\"append\" 2 2]]}
{:process 3 :type :info :value [[\"r\" 1 [1]] [\"append\" 2 2]]}
{:process 4 :type :invoke :value [[:r 1 nil]]}
";

#[test]
fn a_file_of_every_format_gives_the_analysis_of_its_events() {
    let events = format::parse(SKEW.as_bytes(), Format::Edn).unwrap();
    let options = Options {
        consistency_models: ConsistencyModel::all().to_vec(),
        ..Options::default()
    };
    let expected = txn::check(&events, &options).unwrap();
    assert_eq!(expected.anomaly_names(), ["G2-item"]);
    let dir = std::env::temp_dir().join(format!("txn-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in [Format::Edn, Format::Json, Format::Jsonl] {
        let path = dir.join(format!("skew.{f}"));
        format::write_file(&path, &events).unwrap();
        let got = txn::check_file(&path, &options).unwrap();
        assert_eq!(got, expected, "{f}:\n{got}");
        let txns = Transactions::read_file(&path, Workload::ListAppend).unwrap();
        assert_eq!((txns.len(), txns.events(), txns.is_empty()), (5, 10, false));
        assert!(txns.torn_tail().is_none());
    }
    // The transactions as recorded, string heads and reads of unfinished ones included.
    let text = expected.to_string();
    assert!(text.contains(r#"[["r" 1 [1]] ["append" 2 2]]"#) || !text.contains("T3"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn json_lines_out_of_index_order_read_as_sorted() {
    let events = format::parse(SKEW.as_bytes(), Format::Edn).unwrap();
    let mut bytes = Vec::new();
    format::write(&mut bytes, &events, Format::Jsonl).unwrap();
    // Racing writers: the lines of events 3 and 4 swapped, and 0 written last.
    let mut lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    lines.swap(3, 4);
    let first = lines.remove(0);
    lines.push(first);
    let shuffled = lines.concat();
    let options = Options::default();
    let got = same(&shuffled, Format::Jsonl, &options).unwrap();
    assert_eq!(got, txn::check(&events, &options).unwrap());
}

#[test]
fn a_torn_last_line_is_left_out_and_reported() {
    let text = concat!(
        r#"{"index":0,"type":"invoke","process":0,"value":[["append",1,1]]}"#,
        "\n",
        r#"{"index":1,"type":"ok","process":0,"value":[["append",1,1]]}"#,
        "\n",
        r#"{"index":2,"type":"invoke","pro"#,
    );
    let txns = Transactions::parse(text.as_bytes(), Format::Jsonl, Workload::ListAppend).unwrap();
    let loaded = format::load(text.as_bytes(), Format::Jsonl).unwrap();
    assert_eq!(txns.torn_tail(), loaded.torn_tail.as_ref());
    assert_eq!(txns.events(), 2);
    same(text.as_bytes(), Format::Jsonl, &Options::default()).unwrap();
}

/// One malformed history per error kind, in EDN; each must give the usual route's error.
#[test]
fn each_kind_of_error_is_the_one_the_events_give() {
    let cases: [(&str, &str); 11] = [
        // Syntax: the parser's own error, with line, column and event.
        (
            "{:process 0 :type :invoke :value [[:append 1 1]]}\n{:process 0 :type :ok :value [[:append 1 1]]",
            "2:1: unclosed `{` (event 1)",
        ),
        (
            "{:process 0 :type :invoke :value [[:append 1 1]]}\n{:process 0 :type :done}",
            "2:19: :type must be :invoke, :ok, :fail or :info, not :done (event 1)",
        ),
        (
            "{:process 0 :type :ok :value [[:append 1 1]]}",
            "event 0: process 0 completes an operation it never invoked",
        ),
        (
            "{:process 0 :type :invoke :value []}\n{:process 0 :type :invoke :value []}",
            "event 1: process 0 invokes while its operation from event 0 is still pending",
        ),
        (
            "{:process 0 :type :invoke :value 3}",
            "event 0 (process 0): a transaction's value must be a vector of micro-ops, not 3",
        ),
        (
            "{:process 0 :type :invoke :value [[:append 1]]}",
            "event 0 (process 0): micro-op 0 must be a vector [f key value], not [:append 1]",
        ),
        (
            "{:process 0 :type :invoke :value [[:w 1 1]]}",
            "event 0 (process 0): micro-op 0 [:w 1 1]: its function must be :append or :r for list-append",
        ),
        (
            "{:process 0 :type :invoke :value [[:append [1] 1]]}",
            "event 0 (process 0): micro-op 0 [:append [1] 1]: a key must be a scalar, not [1]",
        ),
        (
            "{:process 0 :type :invoke :value [[:append 1 nil]]}",
            "event 0 (process 0): micro-op 0 [:append 1 nil]: the value written must be a scalar, not nil",
        ),
        (
            "{:process 0 :type :invoke :value [[:r 1 nil]]}\n{:process 0 :type :ok :value [[:r 1 3]]}",
            "event 1 (process 0): micro-op 0 [:r 1 3]: a list-append read returns a vector or nil, not 3",
        ),
        (
            "{:process 0 :type :invoke :value [[:append 1 1]]}\n{:process 1 :type :invoke :value [[:append 1 1]]}",
            "event 1 (process 1): 1 is written to key 1 a second time (first at event 0); values written to a key must be unique",
        ),
    ];
    for (text, message) in cases {
        let got = same(text.as_bytes(), Format::Edn, &Options::default()).unwrap_err();
        assert_eq!(got, message, "{text}");
    }
    let register = Options {
        workload: Workload::RwRegister,
        ..Options::default()
    };
    let text = "{:process 0 :type :invoke :value [[:r 1 nil]]}\n{:process 0 :type :ok :value [[:r 1 [2]]]}";
    let got = same(text.as_bytes(), Format::Edn, &register).unwrap_err();
    assert_eq!(
        got,
        "event 1 (process 0): micro-op 0 [:r 1 [2]]: a register read returns a scalar or nil, not [2]"
    );
}

/// When a history has several problems, both routes report the same one: a syntax error
/// anywhere before any problem with the transactions, a pairing problem before a malformed
/// micro-op, and of malformed transactions the one invoked first.
#[test]
fn of_several_problems_the_same_one_is_reported() {
    let cases: [(&str, &str); 3] = [
        (
            "{:process 0 :type :ok :value []}\n{:process 1 :type :invoke :value [[:append 1 1]]}\n{:oops}",
            "3:2: this key has no value (event 2)",
        ),
        (
            "{:process 0 :type :invoke :value 7}\n{:process 0 :type :ok :value 7}\n{:process 1 :type :ok :value []}",
            "event 2: process 1 completes an operation it never invoked",
        ),
        (
            "{:process 0 :type :invoke :value [[:r 1 nil]]}\n{:process 1 :type :invoke :value [[:r 1 nil]]}\n{:process 1 :type :ok :value [[:r 1 2]]}\n{:process 0 :type :ok :value [[:r 1 1]]}",
            "event 3 (process 0): micro-op 0 [:r 1 1]: a list-append read returns a vector or nil, not 1",
        ),
    ];
    for (text, message) in cases {
        let got = same(text.as_bytes(), Format::Edn, &Options::default()).unwrap_err();
        assert_eq!(got, message, "{text}");
    }
}

#[test]
fn errors_from_a_file_name_it() {
    let dir = std::env::temp_dir().join(format!("txn-stream-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.edn");
    std::fs::write(&bad, "{:process 0 :type :invoke :value 3}").unwrap();
    let e = txn::check_file(&bad, &Options::default()).unwrap_err();
    assert!(
        matches!(
            e,
            ReadError::Transactions {
                error: Error::BadMicroOp { index: 0, .. },
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}: event 0 (process 0): a transaction's value must be a vector of micro-ops, not 3",
            bad.display()
        )
    );
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "[{\"index\":0,\"type\":\"invoke\"}]").unwrap();
    let e = txn::check_file(&broken, &Options::default()).unwrap_err();
    let expected = format::read_file(&broken).unwrap_err();
    assert!(matches!(e, ReadError::Format(_)), "{e}");
    assert_eq!(e.to_string(), expected.to_string());
    let missing = dir.join("missing.edn");
    let e = txn::check_file(&missing, &Options::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format::read_file(&missing).unwrap_err().to_string()
    );
    let e = txn::check_file(dir.join("history.txt"), &Options::default()).unwrap_err();
    assert!(
        e.to_string().contains("cannot tell the history format"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn transactions_are_checked_only_as_the_workload_they_were_read_as() {
    let txns = Transactions::parse(SKEW.as_bytes(), Format::Edn, Workload::ListAppend).unwrap();
    let register = Options {
        workload: Workload::RwRegister,
        ..Options::default()
    };
    let e = txns.check(&register).unwrap_err();
    assert_eq!(
        e,
        Error::WorkloadMismatch {
            read: Workload::ListAppend,
            asked: Workload::RwRegister
        }
    );
}

/// A small valid list-append history in each format, to mutate.
fn sample(f: Format) -> Vec<u8> {
    let events = format::parse(SKEW.as_bytes(), Format::Edn).unwrap();
    let mut bytes = Vec::new();
    format::write(&mut bytes, &events, f).unwrap();
    bytes
}

/// Applies `edits` to `bytes`: each replaces, removes or inserts a byte of `alphabet`, or cuts
/// the file, at a position taken modulo its length.
fn corrupt(bytes: &mut Vec<u8>, edits: &[(usize, usize, u8)], alphabet: &[u8]) {
    for &(op, at, b) in edits {
        let at = at % (bytes.len() + 1);
        let b = alphabet[b as usize % alphabet.len()];
        match op {
            0 if at < bytes.len() => bytes[at] = b,
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => bytes.insert(at, b),
            _ => bytes.truncate(at),
        }
    }
}

/// What the compact route and the events route give for `bytes`, checked for every model.
fn both_routes(bytes: &[u8], f: Format) -> (Result<Analysis, String>, Result<Analysis, String>) {
    let options = Options {
        consistency_models: ConsistencyModel::all().to_vec(),
        ..Options::default()
    };
    (
        by_compact(bytes, f, &options),
        by_events(bytes, f, &options),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any corruption of a file (a byte replaced, removed or inserted, a cut) gives the same
    /// analysis or the same error by both routes, and never a panic.
    #[test]
    fn corrupted_files_give_the_same_result_by_both_routes(
        which in 0usize..3,
        edits in proptest::collection::vec((0usize..4, any::<usize>(), any::<u8>()), 1..4),
    ) {
        let f = [Format::Edn, Format::Json, Format::Jsonl][which];
        let mut bytes = sample(f);
        // Bytes that make structure, so that edits often stay parseable.
        const BYTES: &[u8] = b"[]{}:\" 0123456789nilr,\n";
        corrupt(&mut bytes, &edits, BYTES);
        let (got, expected) = both_routes(&bytes, f);
        prop_assert_eq!(got, expected);
    }
}

/// A scalar of kind `kind` (every EDN scalar kind, integers of every size) made from `n`:
/// distinct `n` give distinct scalars of one kind.
fn scalar(kind: u8, n: u64) -> Value {
    match kind % 10 {
        0 | 1 => Value::Int(n as i64),
        2 => Value::Int(-(n as i64) - 1),
        3 => Value::Int(1_000_000_000_000_000_000 + n as i64),
        4 => Value::UInt(u64::MAX - n),
        5 => Value::keyword(&format!("k{n}")),
        6 => Value::from(format!("s {n}")),
        7 => Value::Float(n as f64 + 0.5),
        8 => Value::Bool(n.is_multiple_of(2)),
        _ => Value::Nil,
    }
}

/// One step of a generated history: a process (4 is a nemesis) and, for an invoke, its
/// micro-ops (read or write, key, how much of the key's writes a read returns, whether
/// the head is a string), or for a completion its type.
type Step = (u8, Vec<(bool, u8, u8, bool)>, u8);

/// A history of transactions from `steps`: keys of kinds `kinds.0` and `kinds.1`,
/// written values of kind `kinds.2`, unique per key; reads return some of what was
/// written (so anomalies of every kind show up), completions of every type.
fn history_of(steps: &[Step], kinds: (u8, u8, u8), workload: Workload) -> Vec<Event> {
    let keys: Vec<Value> = (0..4)
        .map(|k| scalar(if k % 2 == 0 { kinds.0 } else { kinds.1 }, k))
        .collect();
    let mut written: Vec<Vec<Value>> = vec![Vec::new(); keys.len()];
    let mut pending: Vec<Option<Value>> = vec![None; 4];
    let mut next = 0;
    let mut events = Vec::new();
    for (p, ops, completion) in steps {
        let p = usize::from(*p % 5);
        let (kind, value, process) = if p == 4 {
            (
                EventKind::Info,
                Value::Nil,
                Process::Named("nemesis".into()),
            )
        } else if let Some(invoked) = pending[p].take() {
            let kind = [
                EventKind::Ok,
                EventKind::Ok,
                EventKind::Fail,
                EventKind::Info,
            ][usize::from(*completion % 4)];
            (kind, invoked, Process::Id(p as u64))
        } else {
            let mut mops = Vec::new();
            for &(read, k, prefix, string) in ops {
                let k = usize::from(k) % keys.len();
                let head = |name: &str| {
                    if string {
                        Value::from(name)
                    } else {
                        Value::keyword(name)
                    }
                };
                if read {
                    let seen = &written[k];
                    let cut = usize::from(prefix) % (seen.len() + 1);
                    let value = match workload {
                        Workload::ListAppend if prefix == 0 => Value::Nil,
                        Workload::ListAppend => Value::Vector(seen[..cut].to_vec()),
                        Workload::RwRegister if cut == 0 => Value::Nil,
                        Workload::RwRegister => seen[cut - 1].clone(),
                    };
                    mops.push(Value::Vector(vec![head("r"), keys[k].clone(), value]));
                } else {
                    next += 1;
                    let v = scalar(kinds.2 % 3, next);
                    written[k].push(v.clone());
                    let f = match workload {
                        Workload::ListAppend => "append",
                        Workload::RwRegister => "w",
                    };
                    mops.push(Value::Vector(vec![head(f), keys[k].clone(), v]));
                }
            }
            let value = Value::Vector(mops);
            pending[p] = Some(value.clone());
            (EventKind::Invoke, value, Process::Id(p as u64))
        };
        events.push(Event {
            index: events.len() as u64,
            time: 0,
            kind,
            process,
            f: "txn".into(),
            value,
            error: None,
        });
    }
    events
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(
        (
            0u8..5,
            proptest::collection::vec((any::<bool>(), 0u8..4, 0u8..6, any::<bool>()), 0..5),
            0u8..4,
        ),
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Valid files of every format, keys and values of every EDN scalar kind (the compact
    /// route reads integer ones straight from the text and leaves the rest to the parser):
    /// both routes give the same analysis (verdict, anomalies, cycles) and explanations,
    /// or the same error.
    #[test]
    fn valid_files_give_the_same_result_by_both_routes(
        steps in steps(),
        kinds in (0u8..10, 0u8..10, 0u8..3),
        register in any::<bool>(),
    ) {
        let workload = if register { Workload::RwRegister } else { Workload::ListAppend };
        let events = history_of(&steps, kinds, workload);
        let options = Options {
            workload,
            consistency_models: ConsistencyModel::all().to_vec(),
            ..Options::default()
        };
        for f in [Format::Edn, Format::Json, Format::Jsonl] {
            let mut bytes = Vec::new();
            format::write(&mut bytes, &events, f).unwrap();
            let expected = by_events(&bytes, f, &options);
            let got = by_compact(&bytes, f, &options);
            prop_assert_eq!(
                got.as_ref().map(ToString::to_string),
                expected.as_ref().map(ToString::to_string)
            );
            prop_assert_eq!(got, expected);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Generated files of every format and every scalar kind, corrupted with the bytes
    /// the compact route's text reader judges (signs, `#`, `;`, dots, suffixes, escapes):
    /// the same analysis or the same error by both routes.
    #[test]
    fn corrupted_generated_files_give_the_same_result_by_both_routes(
        steps in steps(),
        kinds in (0u8..10, 0u8..10, 0u8..3),
        which in 0usize..3,
        edits in proptest::collection::vec((0usize..4, any::<usize>(), any::<u8>()), 1..4),
    ) {
        let events = history_of(&steps, kinds, Workload::ListAppend);
        let f = [Format::Edn, Format::Json, Format::Jsonl][which];
        let mut bytes = Vec::new();
        format::write(&mut bytes, &events, f).unwrap();
        const BYTES: &[u8] = b"[]{}:\" 0123456789nilr,\n-+#;.N_e\\/";
        corrupt(&mut bytes, &edits, BYTES);
        let (got, expected) = both_routes(&bytes, f);
        prop_assert_eq!(got, expected);
    }
}
