//! `lockstep report --model list-append|rw-register`: the page carries each anomaly's
//! transactions and its cycle's labelled edges; options are checked as `lockstep check`
//! checks them.

mod cli_common;

use cli_common::{assert_bad_input, lockstep, scratch, write};

/// Write skew: each transaction reads both keys empty, then appends to one of them.
const WRITE_SKEW: &str = "
{:process 0 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 1 1]]}
{:process 1 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 2 1]]}
{:process 0 :type :ok :value [[:r 1 []] [:r 2 []] [:append 1 1]]}
{:process 1 :type :ok :value [[:r 1 []] [:r 2 []] [:append 2 1]]}
{:process 2 :type :invoke :value [[:r 1 nil] [:r 2 nil]]}
{:process 2 :type :ok :value [[:r 1 [1]] [:r 2 [1]]]}
";

fn data_of(html: &str) -> serde_json::Value {
    let start = html.find("id=\"lockstep-data\">").unwrap() + "id=\"lockstep-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

fn report(args: &[&str]) -> cli_common::Run {
    lockstep(args.iter().map(std::ffi::OsStr::new))
}

#[test]
fn list_append_report_draws_the_cycle() {
    let dir = scratch("txn-report");
    let file = write(&dir, "skew.edn", WRITE_SKEW);
    let out = dir.join("skew.html");
    let (file, out) = (file.to_str().unwrap(), out.to_str().unwrap());
    let run = report(&["report", file, "--model", "list-append", "-o", out]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("(not valid for strict-serializable: G2-item)"),
        "{}",
        run.stdout
    );
    let data = data_of(&std::fs::read_to_string(out).unwrap());
    let analysis = &data["analysis"];
    assert_eq!(analysis["status"], "invalid");
    assert_eq!(analysis["verdict"], "not valid for strict-serializable");
    // The writers (ops 0 and 1), not the reader of both keys (op 2).
    let mut highlight: Vec<u64> = analysis["highlight"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    highlight.sort();
    assert_eq!(highlight, [0, 1]);
    let mut edges: Vec<(u64, u64, String)> = analysis["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[0].as_u64().unwrap(),
                e[1].as_u64().unwrap(),
                e[2].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    edges.sort();
    assert_eq!(edges, [(0, 1, "rw".into()), (1, 0, "rw".into())]);
    let note = analysis["note"].as_str().unwrap();
    assert!(
        note.contains("G2-item") && note.contains("without T2's append of 1"),
        "{note}"
    );
}

#[test]
fn consistency_models_and_anomalies_decide_the_verdict() {
    let dir = scratch("txn-report-models");
    let file = write(&dir, "skew.edn", WRITE_SKEW);
    let out = dir.join("si.html");
    let (file, out) = (file.to_str().unwrap(), out.to_str().unwrap());
    let base = ["report", file, "--model", "list-append", "-o", out];

    // Snapshot isolation allows write skew: valid, and the cycle is still drawn.
    let run = report(&[&base[..], &["--consistency-models", "snapshot-isolation"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("(valid (allowed: G2-item))"),
        "{}",
        run.stdout
    );
    let analysis = data_of(&std::fs::read_to_string(out).unwrap())["analysis"].clone();
    assert_eq!(analysis["verdict"], "valid for snapshot-isolation");
    assert_eq!(analysis["edges"].as_array().unwrap().len(), 2);

    // Unless asked for by name.
    let run = report(
        &[
            &base[..],
            &[
                "--consistency-models",
                "snapshot-isolation",
                "--anomalies",
                "G2-item",
            ],
        ]
        .concat(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let analysis = data_of(&std::fs::read_to_string(out).unwrap())["analysis"].clone();
    assert_eq!(analysis["status"], "invalid");
}

#[test]
fn rw_register_report_draws_its_cycle() {
    // Read skew on registers: T2 sees T1's write of x but the initial y.
    let dir = scratch("txn-report-rw");
    let file = write(
        &dir,
        "skew.edn",
        "{:process 0 :type :invoke :value [[:w :x 1] [:w :y 1]]}
         {:process 1 :type :invoke :value [[:r :x nil] [:r :y nil]]}
         {:process 0 :type :ok :value [[:w :x 1] [:w :y 1]]}
         {:process 1 :type :ok :value [[:r :x 1] [:r :y nil]]}",
    );
    let out = dir.join("rw.html");
    let (file, out) = (file.to_str().unwrap(), out.to_str().unwrap());
    let run = report(&["report", file, "--model", "rw-register", "-o", out]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let analysis = data_of(&std::fs::read_to_string(out).unwrap())["analysis"].clone();
    assert_eq!(analysis["status"], "invalid", "{analysis}");
    let mut labels: Vec<&str> = analysis["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[2].as_str().unwrap())
        .collect();
    labels.sort();
    assert_eq!(labels, ["rw", "wr"], "{analysis}");
}

#[test]
fn bad_options_and_bad_transactions_are_bad_input() {
    let dir = scratch("txn-report-bad");
    let file = write(&dir, "skew.edn", WRITE_SKEW);
    let out = dir.join("never.html");
    let (file, out) = (file.to_str().unwrap(), out.to_str().unwrap());
    let run = report(&[
        "report",
        file,
        "--model",
        "list-append",
        "--consistency-models",
        "bogus",
        "-o",
        out,
    ]);
    assert_bad_input(&run, &["--consistency-models", "bogus"]);
    let run = report(&[
        "report",
        file,
        "--model",
        "list-append",
        "--init",
        "0",
        "-o",
        out,
    ]);
    assert_bad_input(&run, &["--init"]);
    let run = report(&[
        "report",
        file,
        "--model",
        "register",
        "--consistency-models",
        "serializable",
        "-o",
        out,
    ]);
    assert_bad_input(&run, &["--consistency-models", "list-append"]);

    let malformed = write(
        &dir,
        "malformed.edn",
        "{:process 0 :type :invoke :value [[:append 1]]}
         {:process 0 :type :ok :value [[:append 1]]}",
    );
    let run = report(&[
        "report",
        malformed.to_str().unwrap(),
        "--model",
        "list-append",
        "-o",
        out,
    ]);
    assert_bad_input(&run, &["malformed.edn", "event 1", "micro-op 0"]);
    assert!(!std::path::Path::new(out).exists(), "no page for bad input");
}
