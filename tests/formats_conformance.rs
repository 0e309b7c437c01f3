//! Every Knossos history in the shared conformance data reads, with the right number of ops
//! and its nemesis ops kept as named processes, and survives every format's round trip.
//!
//! The data lives outside the project, in `../shared/conformance/` (or wherever
//! `LOCKSTEP_CONFORMANCE_DIR` points). Without it, these tests fail when `CI=true` and
//! otherwise say they were skipped.

mod common;

use common::{edn_files, knossos_dir};

use lockstep_history::format::{self, Format};
use lockstep_history::{Event, Process};

/// Counts op maps the simple way, independently of the reader: `{` that open a map at the
/// top level of the file or directly inside its outer vector, outside strings and comments.
fn count_op_maps(text: &str) -> usize {
    let (mut depth, mut count) = (0usize, 0usize);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            ';' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '{' => {
                if depth <= 1 {
                    count += 1;
                }
                depth += 1;
            }
            '[' | '(' => depth += 1,
            ']' | ')' | '}' => depth -= 1,
            _ => {}
        }
    }
    count
}

#[test]
fn every_knossos_history_reads_with_all_its_ops() {
    let Some(dir) = knossos_dir("every_knossos_history_reads_with_all_its_ops") else {
        return;
    };
    let files = edn_files(&dir);
    assert!(
        files.len() >= 100,
        "expected the Knossos histories in {}",
        dir.display()
    );
    let mut nemesis_files = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let events = format::read_file(path).unwrap_or_else(|e| panic!("{e}"));
        let name = path.display();
        assert_eq!(events.len(), count_op_maps(&text), "{name}: op count");
        assert!(!events.is_empty(), "{name}: no events");
        for (i, e) in events.iter().enumerate() {
            assert_eq!(e.index, i as u64, "{name}: indices are positions");
        }
        let nemesis = Process::Named("nemesis".into());
        let named = events.iter().filter(|e| e.process == nemesis).count();
        assert_eq!(
            named,
            text.matches(":process :nemesis").count(),
            "{name}: nemesis ops"
        );
        assert!(
            events
                .iter()
                .all(|e| e.process == nemesis || e.process.id().is_some()),
            "{name}: only the nemesis is named"
        );
        if named > 0 {
            nemesis_files += 1;
        }
    }
    assert!(
        nemesis_files >= 2,
        "the data has nemesis ops in several files"
    );
}

#[test]
fn knossos_fields_are_kept() {
    let Some(dir) = knossos_dir("knossos_fields_are_kept") else {
        return;
    };
    let etcd = format::read_file(dir.join("mutex/bad/etcd.edn")).unwrap();
    assert_eq!(etcd[0].f, "release");
    assert_eq!(etcd[0].time, 341_187_643);
    assert_eq!(etcd[1].error.as_ref().unwrap().to_string(), ":not-held");

    let multi = format::read_file(dir.join("multi-register/good/multi-register.edn")).unwrap();
    assert_eq!(multi[0].f, "txn");
    assert_eq!(multi[0].value.to_string(), "[[:read :x nil]]");
    // Times go backwards in this file; order is by position.
    assert!(multi.windows(2).any(|w| w[1].time < w[0].time));
}

/// Reading a conformance file, writing it in `format` and reading it back gives it again.
fn round_trips(events: &[Event], format: Format) {
    let mut out = Vec::new();
    format::write(&mut out, events, format).unwrap();
    let back = format::parse(&out, format).unwrap_or_else(|e| panic!("{format}: {e}"));
    assert_eq!(back, events, "{format}");
}

#[test]
fn knossos_histories_round_trip_through_every_format() {
    let Some(dir) = knossos_dir("knossos_histories_round_trip_through_every_format") else {
        return;
    };
    for path in edn_files(&dir) {
        let events = format::read_file(&path).unwrap();
        for f in [Format::Edn, Format::Json, Format::Jsonl] {
            round_trips(&events, f);
        }
    }
}
