//! `lockstep check --model list-append|rw-register`: one line per file, the explanations,
//! exit codes 0 / 1 / 3.

mod cli_common;

use cli_common::{lockstep, scratch, write};

const WRITE_SKEW: &str = "
{:process 0 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 1 1]]}
{:process 1 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 2 1]]}
{:process 0 :type :ok :value [[:r 1 []] [:r 2 []] [:append 1 1]]}
{:process 1 :type :ok :value [[:r 1 []] [:r 2 []] [:append 2 1]]}
";

const SERIAL: &str = r#"[{"index":0,"process":0,"type":"invoke","value":[["append",1,1]]},
{"index":1,"process":0,"type":"ok","value":[["append",1,1]]},
{"index":2,"process":1,"type":"invoke","value":[["r",1,null]]},
{"index":3,"process":1,"type":"ok","value":[["r",1,[1]]]}]"#;

#[test]
fn valid_exits_0_and_anomalies_exit_1_with_explanations() {
    let dir = scratch("txn");
    let good = write(&dir, "serial.json", SERIAL);
    let bad = write(&dir, "skew.edn", WRITE_SKEW);
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "list-append".as_ref(),
        good.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("serial.json: valid (2 transactions)"),
        "{}",
        run.stdout
    );

    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "list-append".as_ref(),
        bad.as_os_str(),
        good.as_os_str(),
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("skew.edn: G2-item (2 transactions)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("without T2's append of 1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("2 files: 1 valid, 1 with anomalies, 0 unknown, 0 bad input"),
        "{}",
        run.stdout
    );

    // Snapshot isolation allows write skew.
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "list-append".as_ref(),
        "--consistency-models".as_ref(),
        "snapshot-isolation,read-committed".as_ref(),
        bad.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Unless asked for by name.
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "list-append".as_ref(),
        "--consistency-models".as_ref(),
        "snapshot-isolation".as_ref(),
        "--anomalies".as_ref(),
        "G2-item".as_ref(),
        bad.as_os_str(),
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
}

#[test]
fn bad_input_exits_3_with_the_event() {
    let dir = scratch("txn-bad");
    let file = write(
        &dir,
        "bad.edn",
        "{:process 0 :type :invoke :value [[:append 1]]}",
    );
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "list-append".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("event 0"), "{}", run.stderr);
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "rw-register".as_ref(),
        "--consistency-models".as_ref(),
        "serialisable".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("unknown consistency model `serialisable`"),
        "{}",
        run.stderr
    );
}
