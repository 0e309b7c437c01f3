//! Tests of the report: escaping, lanes, mapping an analysis, bounding.

use super::page::MAX_TEXT;
use super::page::clip;
use super::*;
use crate::event::{EventKind, Process};
use crate::value::Value;
use std::collections::HashMap;

fn ev(index: u64, kind: EventKind, process: Process, f: &'static str, value: Value) -> Event {
    Event {
        index,
        time: index * 100,
        kind,
        process,
        f: f.into(),
        value,
        error: None,
    }
}

fn data_json(html: &str) -> serde_json::Value {
    let start = html.find("id=\"lockstep-data\">").unwrap() + "id=\"lockstep-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

#[test]
fn hostile_values_cannot_leave_the_data_element() {
    let nasty = "</script><script>alert(1)</script> \"><img src=x onerror=alert(1)> & \u{2028}";
    let events = vec![
        ev(
            0,
            EventKind::Invoke,
            Process::Id(0),
            "write",
            Value::from(nasty),
        ),
        ev(
            1,
            EventKind::Ok,
            Process::Id(0),
            "write",
            Value::from(nasty),
        ),
    ];
    let html = Report::new(&events).title(nasty).render();
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the page's own scripts"
    );
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(!html.contains("<img"));
    let script = &html[html.find("id=\"lockstep-data\"").unwrap()..];
    assert!(
        !script.contains('\u{2028}'),
        "line separators escaped in the script"
    );
    assert!(html.contains("<title>&lt;/script&gt;&lt;script&gt;alert(1)"));
    // The escaped JSON still reads back to the exact value.
    let data = data_json(&html);
    assert_eq!(data["ops"][0]["input"], Value::from(nasty).to_string());
    assert_eq!(data["title"], nasty);
}

#[test]
fn lanes_named_processes_and_pending_ops() {
    let events = vec![
        ev(0, EventKind::Invoke, Process::Id(1), "read", Value::Nil),
        ev(
            1,
            EventKind::Invoke,
            Process::Named("nemesis".into()),
            "start",
            Value::Nil,
        ),
        ev(
            2,
            EventKind::Info,
            Process::Named("nemesis".into()),
            "start",
            Value::Nil,
        ),
        ev(3, EventKind::Invoke, Process::Id(0), "write", Value::Int(3)),
    ];
    let data = data_json(&Report::new(&events).render());
    assert_eq!(data["lanes"], serde_json::json!(["0", "1", ":nemesis"]));
    let kinds: Vec<_> = data["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["lane"].as_u64().unwrap(),
                o["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (1, "pending".into()),
            (2, "info".into()),
            (0, "pending".into())
        ]
    );
    assert_eq!(data["time_axis"], true);
    assert!(data["analysis"].is_null());
}

#[test]
fn non_monotonic_times_fall_back_to_event_order() {
    let mut events = vec![
        ev(0, EventKind::Invoke, Process::Id(0), "read", Value::Nil),
        ev(1, EventKind::Ok, Process::Id(0), "read", Value::Nil),
    ];
    events[1].time = 0;
    events[0].time = 50;
    assert_eq!(
        data_json(&Report::new(&events).render())["time_axis"],
        false
    );
}

#[test]
fn analysis_is_mapped_to_operations() {
    let events = vec![
        ev(0, EventKind::Invoke, Process::Id(0), "write", Value::Int(1)),
        ev(1, EventKind::Ok, Process::Id(0), "write", Value::Int(1)),
        ev(2, EventKind::Invoke, Process::Id(1), "read", Value::Nil),
        ev(3, EventKind::Ok, Process::Id(1), "read", Value::Int(2)),
    ];
    let mut states = HashMap::new();
    states.insert(
        0,
        OpStates {
            before: "nil".into(),
            after: "1".into(),
        },
    );
    let analysis = Analysis {
        status: Status::Invalid,
        property: "linearizable".into(),
        model: "register".into(),
        counterexample: Some(Counterexample {
            op: 2,
            prefix: vec![0],
            state: "1".into(),
            candidates: vec![(2, "read 2 but the value is 1".into())],
        }),
        states,
        ..Analysis::default()
    };
    let data = data_json(&Report::new(&events).with_analysis(analysis).render());
    let a = &data["analysis"];
    assert_eq!(a["verdict"], "not linearizable");
    assert_eq!(a["counterexample"]["op"], 1);
    assert_eq!(a["counterexample"]["prefix"], serde_json::json!([0]));
    assert_eq!(
        a["counterexample"]["candidates"],
        serde_json::json!([[1, "read 2 but the value is 1"]])
    );
    assert_eq!(data["ops"][0]["before"], "nil");
    assert_eq!(data["ops"][0]["after"], "1");
    assert_eq!(data["ops"][1]["output"], "2");
}

#[test]
fn any_events_and_any_positions_render() {
    // Arbitrary interleavings (orphan completions, double invokes, named processes, times
    // going backwards) and analyses naming positions that are no operation's invoke.
    let mut seed = 0x5eed_u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    for round in 0..200 {
        let len = next(40) as usize;
        let events: Vec<Event> = (0..len)
            .map(|i| {
                let kind = [
                    EventKind::Invoke,
                    EventKind::Ok,
                    EventKind::Fail,
                    EventKind::Info,
                ][next(4) as usize];
                let process = if next(8) == 0 {
                    Process::Named("nemesis".into())
                } else {
                    Process::Id(next(4))
                };
                let mut e = ev(i as u64, kind, process, "op", Value::Int(next(9) as i64));
                e.time = next(1000);
                e
            })
            .collect();
        let mut pick = || next(len as u64 + 3) as usize;
        let analysis = Analysis {
            status: Status::Invalid,
            order: (0..5).map(|_| pick()).collect(),
            highlight: (0..2).map(|_| pick()).collect(),
            edges: vec![Edge {
                from: pick(),
                to: pick(),
                label: "wr".into(),
            }],
            counterexample: Some(Counterexample {
                op: pick(),
                prefix: (0..5).map(|_| pick()).collect(),
                state: "s".into(),
                candidates: (0..3).map(|_| (pick(), "r".into())).collect(),
            }),
            states: (0..4).map(|_| (pick(), OpStates::default())).collect(),
            ..Analysis::default()
        };
        let html = Report::new(&events).with_analysis(analysis).render();
        let data = data_json(&html);
        let ops = data["ops"].as_array().unwrap().len();
        let c = &data["analysis"]["counterexample"];
        for id in c["prefix"].as_array().unwrap() {
            assert!((id.as_u64().unwrap() as usize) < ops, "round {round}");
        }
        if let Some(op) = c["op"].as_u64() {
            assert!((op as usize) < ops, "round {round}");
        }
    }
}

#[test]
fn a_long_explanation_is_kept_up_to_its_own_bound() {
    let events = vec![
        ev(0, EventKind::Invoke, Process::Id(0), "txn", Value::Nil),
        ev(1, EventKind::Ok, Process::Id(0), "txn", Value::Nil),
    ];
    let render = |note: String| {
        let analysis = Analysis {
            note,
            ..Analysis::default()
        };
        let html = Report::new(&events).with_analysis(analysis).render();
        data_json(&html)["analysis"]["note"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // Longer than a value may be: kept whole.
    let explanation = "T1 read key 1 = [] without T2's append of 1: rw\n".repeat(200);
    assert!(explanation.len() > MAX_TEXT);
    assert_eq!(render(explanation.clone()), explanation);
    // Beyond the note's own bound: cut.
    let endless = explanation.repeat(100);
    let kept = render(endless);
    assert!(kept.len() < explanation.len() * 100 && kept.ends_with('…'));
}

#[test]
fn long_values_are_clipped_on_a_char_boundary() {
    let long = "é".repeat(MAX_TEXT);
    let clipped = clip(&long);
    assert!(clipped.len() <= MAX_TEXT + '…'.len_utf8());
    assert!(clipped.ends_with('…'));
}

#[test]
fn empty_history_renders() {
    let html = Report::new(&[]).render();
    assert_eq!(data_json(&html)["ops"], serde_json::json!([]));
}

#[test]
fn large_histories_keep_the_counterexample_neighbourhood() {
    // 50 sequential operations on 5 processes; the one invoked at position 60 failed.
    let mut events = Vec::new();
    for k in 0..50u64 {
        let p = Process::Id(k % 5);
        events.push(ev(2 * k, EventKind::Invoke, p.clone(), "read", Value::Nil));
        events.push(ev(
            2 * k + 1,
            EventKind::Ok,
            p,
            "read",
            Value::Int(k as i64),
        ));
    }
    let analysis = Analysis {
        status: Status::Invalid,
        counterexample: Some(Counterexample {
            op: 60,
            prefix: vec![0, 2],
            state: "s".into(),
            candidates: vec![(98, "far away".into())],
        }),
        ..Analysis::default()
    };
    let report = Report::new(&events)
        .with_analysis(analysis)
        .max_ops(Some(10));
    let omitted = report.omitted().unwrap();
    assert_eq!((omitted.shown, omitted.total), (10, 50));
    assert_eq!(omitted.by_kind, vec![("ok".to_owned(), 40)]);
    assert_eq!(omitted.by_f, vec![("read".to_owned(), 40)]);
    let data = data_json(&report.render());
    let drawn: Vec<u64> = data["ops"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["i0"].as_u64().unwrap())
        .collect();
    // The named ones, then the nearest to the failing one.
    for named in [0, 2, 60, 98] {
        assert!(drawn.contains(&named), "{named} in {drawn:?}");
    }
    for near in [56, 58, 62, 64] {
        assert!(drawn.contains(&near), "{near} in {drawn:?}");
    }
    let c = &data["analysis"]["counterexample"];
    assert_eq!(data["ops"][c["op"].as_u64().unwrap() as usize]["i0"], 60);
    assert_eq!(data["omitted"]["total"], 50);
    // Unbounded, everything is drawn.
    let full = Report::new(&events).max_ops(None);
    assert!(full.omitted().is_none());
    assert_eq!(
        data_json(&full.render())["ops"].as_array().unwrap().len(),
        50
    );
}
