//! History files as tests leave them: a JSON Lines file cut short by a crash, with gaps in
//! its indices.

mod cli_common;

use std::path::Path;

use cli_common::{assert_bad_input, lockstep, scratch, write};

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
