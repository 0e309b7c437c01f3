//! History files as tests leave them: a JSON Lines file cut short by a crash, with gaps in
//! its indices, and `lockstep convert` writing all or nothing.

mod cli_common;

use std::ffi::OsStr;
use std::path::Path;

use cli_common::{assert_bad_input, lockstep, register_json, scratch, write};

/// JSON Lines of a write of 1 and a read of 1, the way a killed recorder leaves them:
/// index 2 taken but never written, lines out of order, and the last line cut short.
const KILLED_JSONL: &str = concat!(
    r#"{"index":1,"time":10,"type":"ok","process":0,"f":"write","value":1}"#,
    "\n",
    r#"{"index":0,"time":0,"type":"invoke","process":0,"f":"write","value":1}"#,
    "\n",
    r#"{"index":3,"time":20,"type":"invoke","process":1,"f":"read","value":null}"#,
    "\n",
    r#"{"index":4,"time":30,"type":"ok","process":1,"f":"read","value":1}"#,
    "\n",
    r#"{"index":5,"time":40,"type":"invo"#,
);

fn check(file: &Path) -> cli_common::Run {
    lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ])
}

#[test]
fn killed_stream_checks_with_a_warning_for_its_torn_line() {
    let dir = scratch("killed");
    let file = write(&dir, "history.jsonl", KILLED_JSONL);
    let run = check(&file);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("history.jsonl: linearizable (2 ops, "),
        "{}",
        run.stdout
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one warning line: {}", run.stderr);
    assert!(
        lines[0].starts_with("warning: ")
            && lines[0].contains("history.jsonl:5: torn last line left out"),
        "{}",
        lines[0]
    );
}

#[test]
fn only_line_torn_is_said_so() {
    let dir = scratch("only-torn");
    let file = write(&dir, "h.jsonl", r#"{"index":0,"time":0,"ty"#);
    let run = check(&file);
    assert_bad_input(&run, &["h.jsonl:1:", "torn"]);
    assert!(!run.stderr.contains("empty history"), "{}", run.stderr);
}

#[test]
fn complete_last_line_that_does_not_parse_is_an_error() {
    let dir = scratch("bad-last");
    // The last line ends in a newline: its write finished, so it was not cut short.
    let text = concat!(
        r#"{"index":0,"time":0,"type":"invoke","process":0,"f":"write","value":1}"#,
        "\n",
        r#"{"index":1,"time":10,"type":"ok","process":0,"f":"write","value":1}"#,
        "\n\n",
        r#"{"index":2,"time":20,"type":"invoke","process":1,"f":"read","value":nul}"#,
        "\n",
    );
    let file = write(&dir, "h.jsonl", text);
    let run = check(&file);
    assert_bad_input(&run, &["h.jsonl:4:", "expected ident"]);
}

/// A JSON keyword with a space in it has no EDN form, so writing EDN fails part way.
fn unconvertible_json() -> String {
    register_json(r#"":c d""#)
}

fn convert(args: &[&OsStr]) -> cli_common::Run {
    lockstep(std::iter::once(OsStr::new("convert")).chain(args.iter().copied()))
}

#[test]
fn failed_convert_leaves_no_output_and_no_temporary_file() {
    let dir = scratch("convert-fail");
    let input = write(&dir, "weird.json", &unconvertible_json());
    let out = dir.join("weird.edn");
    let run = convert(&[input.as_os_str(), out.as_os_str()]);
    assert_bad_input(&run, &["weird.edn", "event 3"]);
    assert!(!out.exists(), "no partial weird.edn");
    // An existing output stays as it was.
    std::fs::write(&out, "[]\n").unwrap();
    let run = convert(&[input.as_os_str(), out.as_os_str()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "[]\n");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "only the input and the output: {names:?}");
}

#[test]
fn convert_in_place() {
    let dir = scratch("convert-in-place");
    // Failing: the input is kept whole.
    let weird = write(&dir, "weird.json", &unconvertible_json());
    let run = convert(&[
        "--to".as_ref(),
        "edn".as_ref(),
        weird.as_os_str(),
        weird.as_os_str(),
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&weird).unwrap(),
        unconvertible_json()
    );
    // Succeeding: the file now holds the history in the new format.
    let file = write(&dir, "h.json", &register_json("1"));
    let run = convert(&[
        "--to".as_ref(),
        "edn".as_ref(),
        file.as_os_str(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("[{:index 0,"), "{text}");
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        "--format".as_ref(),
        "edn".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn problems_found_in_an_event_name_its_line() {
    let dir = scratch("event-line");
    let edn = write(
        &dir,
        "history.edn",
        "; process 1 completes what it never invoked\n\
         [{:type :invoke, :f :read, :process 0}\n \
         {:type :ok, :f :read, :process 1, :value 1}]\n",
    );
    assert_bad_input(&check(&edn), &["history.edn:3: event 1: process 1"]);
    let run = lockstep([
        "report".as_ref(),
        edn.as_os_str(),
        "--model".as_ref(),
        "register".as_ref(),
        "-o".as_ref(),
        dir.join("r.html").as_os_str(),
    ]);
    assert_bad_input(&run, &["history.edn:3: event 1: process 1"]);
    // In JSON Lines the line follows the event wherever its index puts it.
    let jsonl = write(
        &dir,
        "history.jsonl",
        concat!(
            r#"{"index":9,"time":0,"type":"ok","process":1,"f":"read","value":1}"#,
            "\n",
            r#"{"index":0,"time":0,"type":"invoke","process":0,"f":"read","value":null}"#,
            "\n",
        ),
    );
    assert_bad_input(&check(&jsonl), &["history.jsonl:1: event 1: process 1"]);
    // An operation the model cannot read, too.
    let json = write(&dir, "mutex.json", &register_json("1"));
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "mutex".as_ref(),
        json.as_os_str(),
    ]);
    assert_bad_input(&run, &["mutex.json:2: event 0"]);
}
