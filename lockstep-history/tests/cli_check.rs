//! `lockstep check`: verdicts, exit codes and output, on small histories and on every
//! Knossos conformance history.

mod cli_common;

use std::path::Path;

use cli_common::{knossos_dir, lockstep, register_json, scratch, slow_history, write};

#[test]
fn linearizable_history_exits_0() {
    let dir = scratch("good");
    let file = write(&dir, "good.json", &register_json("1"));
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let first = run.stdout.lines().next().unwrap();
    assert!(
        first.contains("good.json: linearizable (2 ops, "),
        "{first}"
    );
    assert!(
        run.stdout
            .contains("1 file: 1 linearizable, 0 not linearizable, 0 unknown, 0 bad input")
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn violation_exits_1_with_the_counterexample() {
    let dir = scratch("bad");
    let file = write(&dir, "stale.json", &register_json("2"));
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("stale.json: NOT linearizable (2 ops, "),
        "{}",
        run.stdout
    );
    // The counterexample as text, indented under its file.
    assert!(run.stdout.contains("\n  "), "{}", run.stdout);
    assert!(run.stdout.contains("read"), "{}", run.stdout);
    assert!(run.stdout.contains("1 not linearizable"), "{}", run.stdout);
}

#[test]
fn worst_outcome_decides_the_exit_code() {
    let dir = scratch("worst");
    let good = write(&dir, "good.json", &register_json("1"));
    let bad = write(&dir, "bad.json", &register_json("2"));
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        good.as_os_str(),
        bad.as_os_str(),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("2 files: 1 linearizable, 1 not linearizable"),
        "{}",
        run.stdout
    );
}

#[test]
fn init_and_knossos_mode_change_the_verdict() {
    let dir = scratch("init");
    // A read of 5 before any write: legal only if the register starts at 5.
    let file = write(
        &dir,
        "h.edn",
        "[{:type :invoke, :f :read, :process 0, :value nil}\n {:type :ok, :f :read, :process 0, :value 5}]\n",
    );
    let f = file.as_os_str();
    let with = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> =
            vec!["check".into(), "--model".into(), "cas-register".into()];
        args.extend(extra.iter().map(Into::into));
        args.push(f.into());
        lockstep(args).code
    };
    assert_eq!(with(&[]), 1);
    assert_eq!(with(&["--init", "5"]), 0);
    assert_eq!(with(&["--init", "0"]), 1);
    // Knossos mode: a read of nil matches anything.
    let nil_read = write(
        &dir,
        "nil.edn",
        "[{:type :invoke, :f :read, :process 0, :value nil}\n {:type :ok, :f :read, :process 0, :value nil}]\n",
    );
    let run = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "check".into(),
            "--model".into(),
            "register".into(),
            "--init".into(),
            "3".into(),
        ];
        args.extend(extra.iter().map(Into::into));
        args.push(nil_read.as_os_str().into());
        lockstep(args).code
    };
    assert_eq!(run(&[]), 1);
    assert_eq!(run(&["--knossos"]), 0);
}

#[test]
fn multi_register_init_in_edn_and_json() {
    let dir = scratch("multi");
    let file = write(
        &dir,
        "txn.edn",
        "[{:type :invoke, :f :txn, :process 0, :value [[:read :x nil] [:read :y nil]]}\n \
          {:type :ok, :f :txn, :process 0, :value [[:read :x 0] [:read :y 7]]}]\n",
    );
    let f = file.as_os_str();
    let code = |init: &str| {
        lockstep([
            "check".as_ref(),
            "--model".as_ref(),
            "multi-register".as_ref(),
            "--init".as_ref(),
            init.as_ref(),
            f,
        ])
        .code
    };
    assert_eq!(code("{:x 0, :y 7}"), 0);
    assert_eq!(code(r#"{"x": 0, "y": 7}"#), 0);
    assert_eq!(code("{:x 0, :y 0}"), 1);
}

#[test]
fn time_limit_gives_unknown_exit_2() {
    let dir = scratch("limit");
    let file = slow_history(&dir);
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        "--time-limit".as_ref(),
        "300ms".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("slow.edn: unknown ("), "{}", run.stdout);
    assert!(run.stdout.contains("time limit"), "{}", run.stdout);
    assert!(
        run.stdout.contains("0 not linearizable, 1 unknown"),
        "{}",
        run.stdout
    );
}

#[test]
fn memory_limit_gives_unknown_exit_2() {
    let dir = scratch("memory");
    let file = slow_history(&dir);
    let run = lockstep([
        "check".as_ref(),
        "--model".as_ref(),
        "register".as_ref(),
        "--memory-limit".as_ref(),
        "1M".as_ref(),
        "--time-limit".as_ref(),
        "20s".as_ref(),
        file.as_os_str(),
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("memory limit"), "{}", run.stdout);
}

/// Every Knossos history with its folder's model, initial value and mode (see the
/// conformance README), checked one file per run so each verdict is tied to its file.
#[test]
fn knossos_conformance() {
    let Some(knossos) = knossos_dir("knossos_conformance") else {
        return;
    };
    let folders: [(&str, &[&str], i32); 4] = [
        (
            "cas-register/good",
            &["--model", "cas-register", "--init", "0", "--knossos"],
            0,
        ),
        (
            "cas-register/bad",
            &["--model", "cas-register", "--init", "0", "--knossos"],
            1,
        ),
        (
            "multi-register/good",
            &["--model", "multi-register", "--init", "{:x 0, :y 0}"],
            0,
        ),
        ("mutex/bad", &["--model", "mutex"], 1),
    ];
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (folder, args, expected) in folders {
        let dir = knossos.join(folder);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "edn"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no histories in {}", dir.display());
        // All files of a folder in one run: one line per file, then the summary.
        let mut argv: Vec<std::ffi::OsString> = vec!["check".into()];
        argv.extend(args.iter().map(Into::into));
        argv.extend(files.iter().map(|p| p.as_os_str().to_owned()));
        let run = lockstep(argv);
        assert_eq!(run.stderr, "", "{folder}: nothing on stderr");
        for file in &files {
            let verdict = verdict_of(&run.stdout, file);
            let ok = match expected {
                0 => verdict == "linearizable",
                _ => verdict == "NOT linearizable",
            };
            if !ok {
                wrong.push(format!("{}: {verdict}", file.display()));
            }
            checked += 1;
        }
        assert_eq!(run.code, expected, "{folder}: exit code\n{}", run.stdout);
    }
    assert!(wrong.is_empty(), "wrong verdicts:\n{}", wrong.join("\n"));
    assert!(checked >= 100, "only {checked} conformance files");
}

fn verdict_of(stdout: &str, file: &Path) -> String {
    let prefix = format!("{}: ", file.display());
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|rest| rest.split(" (").next().unwrap_or(rest).to_owned())
        .unwrap_or_else(|| "no line".to_owned())
}
