//! Every Knossos history in the shared conformance data gets its known verdict, with the
//! model, initial value and nil-read mode its folder's README gives.
//!
//! The data lives outside the project, in `../shared/conformance/` (or wherever
//! `LOCKSTEP_CONFORMANCE_DIR` points). Without it, this test fails when `CI=true` and
//! otherwise says it was skipped.

mod common;

use common::{edn_files, knossos_dir};
use std::path::Path;

use lockstep_history::checker::{Options, Verdict, linearizable};
use lockstep_history::model::{CasRegister, Model, MultiRegister, Mutex};
use lockstep_history::{Value, format};

/// Checks every file of `folder` and returns how many there were.
fn check_folder<M: Model>(
    folder: &Path,
    model: &M,
    options: &Options,
    linearizable: bool,
) -> usize {
    let files = edn_files(folder);
    assert!(!files.is_empty(), "no histories in {}", folder.display());
    for path in &files {
        let events = format::read_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let verdict = linearizable::check_with(&events, model, options)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match (&verdict, linearizable) {
            (Verdict::Linearizable(_), true) => {}
            (Verdict::NotLinearizable(c), false) => {
                // The counterexample names an operation of this history that completed.
                let op = &c.op.op;
                assert!(
                    op.output.is_some(),
                    "{}: blocked op did not complete",
                    path.display()
                );
                assert_eq!(events[op.invoke as usize].f, op.f.as_str());
            }
            _ => panic!(
                "{}: expected {}, got {verdict}",
                path.display(),
                if linearizable {
                    "linearizable"
                } else {
                    "not linearizable"
                }
            ),
        }
    }
    files.len()
}

#[test]
fn knossos_histories_get_their_verdicts() {
    let Some(dir) = knossos_dir("checker conformance") else {
        return;
    };
    let knossos = Options {
        knossos_nil_reads: true,
        ..Options::default()
    };
    let cas = CasRegister::new(0);
    let mut checked = check_folder(&dir.join("cas-register/good"), &cas, &knossos, true);
    checked += check_folder(&dir.join("cas-register/bad"), &cas, &knossos, false);
    let xy = MultiRegister::new([
        (Value::keyword("x"), Value::Int(0)),
        (Value::keyword("y"), Value::Int(0)),
    ]);
    checked += check_folder(
        &dir.join("multi-register/good"),
        &xy,
        &Options::default(),
        true,
    );
    checked += check_folder(&dir.join("mutex/bad"), &Mutex, &Options::default(), false);
    println!("checker conformance: {checked} Knossos histories got their verdicts");
}

#[test]
fn knossos_counterexample_names_the_impossible_read() {
    let Some(dir) = knossos_dir("checker conformance") else {
        return;
    };
    let events = format::read_file(dir.join("cas-register/bad/immediate-failure.edn")).unwrap();
    let options = Options {
        knossos_nil_reads: true,
        ..Options::default()
    };
    let verdict = linearizable::check_with(&events, &CasRegister::new(0), &options).unwrap();
    let c = verdict.counterexample().expect("not linearizable");
    // A read of 3 while the only write of 3 failed: the read is what cannot be linearized.
    assert_eq!(
        (c.op.op.f.as_str(), c.op.op.output.clone()),
        ("read", Some(Value::Int(3)))
    );
    assert_eq!(c.state, "0");
    let text = c.to_string();
    assert!(
        text.contains("cannot linearize: process 1 read -> 3 (events 0..3)"),
        "{text}"
    );
}
