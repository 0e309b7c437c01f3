//! Elle's conformance histories (elle-cli's test data) get the verdicts elle-cli's own
//! tests expect, in both their EDN and JSON forms, read from the file as `lockstep check`
//! reads it.

mod common;

use lockstep_history::checker::txn::{self, ConsistencyModel, Options, Workload};
use lockstep_history::format;

/// The file's analysis as `lockstep check` makes it, read straight into the checker's
/// compact form; the same as the analysis of its events.
fn check(dir: &std::path::Path, file: &str, options: &Options) -> txn::Analysis {
    let path = dir.join(file);
    let events = format::read_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let by_events =
        txn::check(&events, options).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let from_file =
        txn::check_file(&path, options).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(from_file, by_events, "{}", path.display());
    from_file
}

#[test]
fn list_append_paper_example_has_anomalies() {
    let Some(dir) = common::elle_dir("list_append_paper_example_has_anomalies") else {
        return;
    };
    for file in [
        "list-append/paper-example.edn",
        "list-append/paper-example.json",
    ] {
        let analysis = check(&dir, file, &Options::default());
        assert!(
            !analysis.is_valid() && !analysis.is_unknown(),
            "{file}:\n{analysis}"
        );
        // T4 read key 255 without T2's append of 8, which T3 saw before T4 appended after T3.
        assert!(
            analysis.anomaly_names().contains(&"G-single".to_string()),
            "{file}:\n{analysis}"
        );
    }
}

#[test]
fn list_append_gh_30_has_anomalies_under_serializable() {
    let Some(dir) = common::elle_dir("list_append_gh_30_has_anomalies_under_serializable") else {
        return;
    };
    let options = Options {
        consistency_models: vec![ConsistencyModel::Serializable],
        ..Options::default()
    };
    let analysis = check(&dir, "list-append/list-append-gh-30.edn", &options);
    assert!(!analysis.is_valid() && !analysis.is_unknown(), "{analysis}");
}

#[test]
fn rw_register_example_is_valid() {
    let Some(dir) = common::elle_dir("rw_register_example_is_valid") else {
        return;
    };
    let options = Options {
        workload: Workload::RwRegister,
        ..Options::default()
    };
    for file in [
        "rw-register/rw-register.edn",
        "rw-register/rw-register.json",
    ] {
        let analysis = check(&dir, file, &options);
        assert!(analysis.is_valid(), "{file}:\n{analysis}");
    }
}

/// Every file in the folder is one of the above: a new file needs a verdict here.
#[test]
fn every_elle_file_has_a_verdict() {
    let Some(dir) = common::elle_dir("every_elle_file_has_a_verdict") else {
        return;
    };
    let known = [
        "list-append/list-append-gh-30.edn",
        "list-append/paper-example.edn",
        "list-append/paper-example.json",
        "rw-register/rw-register.edn",
        "rw-register/rw-register.json",
    ];
    for sub in ["list-append", "rw-register"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let name = format!("{sub}/{}", entry.unwrap().file_name().to_string_lossy());
            assert!(
                known.contains(&name.as_str()),
                "{name} has no expected verdict"
            );
        }
    }
}
