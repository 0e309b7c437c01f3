//! One minimal hand-built history per anomaly kind: the checker names it, shows its cycle
//! (for cycle kinds) and rules out the right models; the same history with the anomaly
//! removed is valid.

use lockstep_history::checker::txn::{
    self, Analysis, AnomalyKind, ConsistencyModel, EdgeKind, Error, Options, Workload,
};
use lockstep_history::format::{self, Format};

use ConsistencyModel::*;
use EdgeKind::{Process as P, Realtime as Rt, Rw, Wr, Ww};

fn run(workload: Workload, text: &str) -> Analysis {
    let events = format::parse(text.as_bytes(), Format::Edn).unwrap();
    let options = Options {
        workload,
        ..Options::default()
    };
    txn::check(&events, &options).unwrap()
}

/// Checks the anomalous history, then the fixed one.
#[track_caller]
fn case(
    workload: Workload,
    bad: &str,
    kind: AnomalyKind,
    cycle: &[EdgeKind],
    rules_out: &[ConsistencyModel],
    allows: &[ConsistencyModel],
    fixed: &str,
) {
    let a = run(workload, bad);
    assert!(a.kinds().contains(&kind), "expected {kind}, got:\n{a}");
    let example = a.of_kind(kind).next().expect("an example is kept");
    let edges: Vec<EdgeKind> = example.cycle.iter().map(|s| s.edge).collect();
    if !cycle.is_empty() {
        // Same cycle up to where it starts.
        let n = edges.len();
        assert!(
            n == cycle.len() && (0..n).any(|r| (0..n).all(|i| edges[(i + r) % n] == cycle[i])),
            "{kind}: cycle {edges:?}, expected {cycle:?}:\n{a}"
        );
        for step in &example.cycle {
            assert!(step.why.ends_with(step.edge.name()), "{}", step.why);
        }
    } else {
        assert!(edges.is_empty());
    }
    assert!(!example.explanation.is_empty());
    for &m in rules_out {
        assert!(a.violates(m), "{kind} must rule out {m}:\n{a}");
    }
    for &m in allows {
        assert!(!a.violates(m), "{kind} alone must not rule out {m}:\n{a}");
    }
    assert!(!a.is_valid() && a.to_string().contains(kind.name()));
    let f = run(workload, fixed);
    assert!(f.is_valid(), "fixed history must be valid:\n{f}");
    assert!(f.anomaly_names().is_empty(), "{f}");
}

const LA: Workload = Workload::ListAppend;
const RW: Workload = Workload::RwRegister;

#[test]
fn g0_dirty_write() {
    let h = |y: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1] [:append :y 1]]}}
             {{:process 1 :type :invoke :value [[:append :x 2] [:append :y 2]]}}
             {{:process 0 :type :ok :value [[:append :x 1] [:append :y 1]]}}
             {{:process 1 :type :ok :value [[:append :x 2] [:append :y 2]]}}
             {{:process 2 :type :invoke :value [[:r :x nil] [:r :y nil]]}}
             {{:process 2 :type :ok :value [[:r :x [1 2]] [:r :y {y}]]}}"
        )
    };
    case(
        LA,
        &h("[2 1]"),
        AnomalyKind::G0,
        &[Ww, Ww],
        &[ReadUncommitted],
        &[],
        &h("[1 2]"),
    );
}

#[test]
fn g1c_circular_information_flow() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1] [:r :y nil]]}}
             {{:process 1 :type :invoke :value [[:append :y 2] [:r :x nil]]}}
             {{:process 0 :type :ok :value [[:append :x 1] [:r :y [2]]]}}
             {{:process 1 :type :ok :value [[:append :y 2] [:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[1]"),
        AnomalyKind::G1c,
        &[Wr, Wr],
        &[ReadCommitted],
        &[ReadUncommitted],
        &h("[]"),
    );
}

#[test]
fn g_single_read_skew() {
    let h = |y: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1] [:append :y 1]]}}
             {{:process 1 :type :invoke :value [[:r :x nil] [:r :y nil]]}}
             {{:process 0 :type :ok :value [[:append :x 1] [:append :y 1]]}}
             {{:process 1 :type :ok :value [[:r :x [1]] [:r :y {y}]]}}"
        )
    };
    case(
        LA,
        &h("[]"),
        AnomalyKind::GSingle,
        &[Wr, Rw],
        &[SnapshotIsolation, RepeatableRead, Serializable],
        &[ReadCommitted],
        &h("[1]"),
    );
}

#[test]
fn g_nonadjacent() {
    let h = |b: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:r :a nil] [:r :b nil]]}}
             {{:process 1 :type :invoke :value [[:append :a 1]]}}
             {{:process 2 :type :invoke :value [[:r :a nil] [:r :b nil]]}}
             {{:process 3 :type :invoke :value [[:append :b 1]]}}
             {{:process 0 :type :ok :value [[:r :a []] [:r :b [1]]]}}
             {{:process 1 :type :ok :value [[:append :a 1]]}}
             {{:process 2 :type :ok :value [[:r :a [1]] [:r :b {b}]]}}
             {{:process 3 :type :ok :value [[:append :b 1]]}}"
        )
    };
    case(
        LA,
        &h("[]"),
        AnomalyKind::GNonadjacent,
        &[Rw, Wr, Rw, Wr],
        &[SnapshotIsolation, Serializable],
        &[ReadCommitted],
        &h("[1]"),
    );
}

#[test]
fn g2_item_write_skew() {
    let h = |a: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 1 1]]}}
             {{:process 1 :type :invoke :value [[:r 1 nil] [:r 2 nil] [:append 2 1]]}}
             {{:process 0 :type :ok :value [[:r 1 []] [:r 2 []] [:append 1 1]]}}
             {{:process 1 :type :ok :value [[:r 1 {a}] [:r 2 []] [:append 2 1]]}}
             {{:process 2 :type :invoke :value [[:r 1 nil] [:r 2 nil]]}}
             {{:process 2 :type :ok :value [[:r 1 [1]] [:r 2 [1]]]}}"
        )
    };
    case(
        LA,
        &h("[]"),
        AnomalyKind::G2Item,
        &[Rw, Rw],
        &[RepeatableRead, Serializable],
        &[SnapshotIsolation],
        &h("[1]"),
    );
}

#[test]
fn g_single_process() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1]]}}
             {{:process 0 :type :ok :value [[:append :x 1]]}}
             {{:process 0 :type :invoke :value [[:r :x nil]]}}
             {{:process 0 :type :ok :value [[:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[]"),
        AnomalyKind::GSingleProcess,
        &[P, Rw],
        &[
            StrongSessionSerializable,
            StrongSessionSnapshotIsolation,
            StrictSerializable,
        ],
        &[Serializable, SnapshotIsolation],
        &h("[1]"),
    );
}

#[test]
fn g_single_realtime() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1]]}}
             {{:process 0 :type :ok :value [[:append :x 1]]}}
             {{:process 1 :type :invoke :value [[:r :x nil]]}}
             {{:process 1 :type :ok :value [[:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[]"),
        AnomalyKind::GSingleRealtime,
        &[Rt, Rw],
        &[StrictSerializable, StrongSnapshotIsolation],
        &[Serializable, StrongSessionSerializable],
        &h("[1]"),
    );
}

#[test]
fn g1a_aborted_read() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1]]}}
             {{:process 0 :type :fail :value [[:append :x 1]]}}
             {{:process 1 :type :invoke :value [[:r :x nil]]}}
             {{:process 1 :type :ok :value [[:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[1]"),
        AnomalyKind::G1a,
        &[],
        &[ReadCommitted],
        &[ReadUncommitted],
        &h("[]"),
    );
}

#[test]
fn g1b_intermediate_read() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1] [:append :x 2]]}}
             {{:process 1 :type :invoke :value [[:r :x nil]]}}
             {{:process 0 :type :ok :value [[:append :x 1] [:append :x 2]]}}
             {{:process 1 :type :ok :value [[:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[1]"),
        AnomalyKind::G1b,
        &[],
        &[ReadCommitted],
        &[ReadUncommitted],
        &h("[1 2]"),
    );
}

#[test]
fn internal_inconsistency() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1] [:r :x nil]]}}
             {{:process 0 :type :ok :value [[:append :x 1] [:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[]"),
        AnomalyKind::Internal,
        &[],
        &[SnapshotIsolation, Serializable],
        &[ReadCommitted],
        &h("[1]"),
    );
}

#[test]
fn dirty_update() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1]]}}
             {{:process 0 :type :fail :value [[:append :x 1]]}}
             {{:process 1 :type :invoke :value [[:append :x 2]]}}
             {{:process 1 :type :ok :value [[:append :x 2]]}}
             {{:process 2 :type :invoke :value [[:r :x nil]]}}
             {{:process 2 :type :ok :value [[:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[1 2]"),
        AnomalyKind::DirtyUpdate,
        &[],
        &[ReadCommitted],
        &[ReadUncommitted],
        &h("[2]"),
    );
}

#[test]
fn duplicate_elements() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1]]}}
             {{:process 0 :type :ok :value [[:append :x 1]]}}
             {{:process 1 :type :invoke :value [[:r :x nil]]}}
             {{:process 1 :type :ok :value [[:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[1 1]"),
        AnomalyKind::DuplicateElements,
        &[],
        &[ReadUncommitted],
        &[],
        &h("[1]"),
    );
}

#[test]
fn incompatible_order() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:append :x 1]]}}
             {{:process 1 :type :invoke :value [[:append :x 2]]}}
             {{:process 0 :type :ok :value [[:append :x 1]]}}
             {{:process 1 :type :ok :value [[:append :x 2]]}}
             {{:process 2 :type :invoke :value [[:r :x nil]]}}
             {{:process 3 :type :invoke :value [[:r :x nil]]}}
             {{:process 2 :type :ok :value [[:r :x [1 2]]]}}
             {{:process 3 :type :ok :value [[:r :x {x}]]}}"
        )
    };
    case(
        LA,
        &h("[2]"),
        AnomalyKind::IncompatibleOrder,
        &[],
        &[ReadCommitted],
        &[ReadUncommitted],
        &h("[1 2]"),
    );
}

#[test]
fn lost_update() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:r :x nil] [:append :x 1]]}}
             {{:process 1 :type :invoke :value [[:r :x nil] [:append :x 2]]}}
             {{:process 0 :type :ok :value [[:r :x []] [:append :x 1]]}}
             {{:process 1 :type :ok :value [[:r :x {x}] [:append :x 2]]}}
             {{:process 2 :type :invoke :value [[:r :x nil]]}}
             {{:process 2 :type :ok :value [[:r :x [1 2]]]}}"
        )
    };
    case(
        LA,
        &h("[]"),
        AnomalyKind::LostUpdate,
        &[],
        &[SnapshotIsolation, RepeatableRead, CursorStability],
        &[ReadCommitted],
        &h("[1]"),
    );
}

#[test]
fn future_read() {
    let h = |x: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:r :x nil] [:append :x 1]]}}
             {{:process 0 :type :ok :value [[:r :x {x}] [:append :x 1]]}}"
        )
    };
    case(
        LA,
        &h("[1]"),
        AnomalyKind::FutureRead,
        &[],
        &[ReadCommitted],
        &[ReadUncommitted],
        &h("[]"),
    );
}

#[test]
fn rw_register_read_skew() {
    let h = |y: &str| {
        format!(
            "{{:process 0 :type :invoke :f :txn :value [[:w :x 1] [:w :y 1]]}}
             {{:process 1 :type :invoke :f :txn :value [[:r :x nil] [:r :y nil]]}}
             {{:process 0 :type :ok :f :txn :value [[:w :x 1] [:w :y 1]]}}
             {{:process 1 :type :ok :f :txn :value [[:r :x 1] [:r :y {y}]]}}"
        )
    };
    case(
        RW,
        &h("nil"),
        AnomalyKind::GSingle,
        &[Wr, Rw],
        &[SnapshotIsolation],
        &[ReadCommitted],
        &h("1"),
    );
}

#[test]
fn rw_register_aborted_read_and_internal() {
    let h = |x: &str, z: &str| {
        format!(
            "{{:process 0 :type :invoke :value [[:w :x 1]]}}
             {{:process 0 :type :fail :value [[:w :x 1]]}}
             {{:process 1 :type :invoke :value [[:r :x nil] [:w :z 5] [:r :z nil]]}}
             {{:process 1 :type :ok :value [[:r :x {x}] [:w :z 5] [:r :z {z}]]}}"
        )
    };
    case(
        RW,
        &h("1", "5"),
        AnomalyKind::G1a,
        &[],
        &[ReadCommitted],
        &[ReadUncommitted],
        &h("nil", "5"),
    );
    case(
        RW,
        &h("nil", "4"),
        AnomalyKind::Internal,
        &[],
        &[SnapshotIsolation],
        &[ReadCommitted],
        &h("nil", "5"),
    );
}

/// Malformed micro-ops are errors naming the event, never panics.
#[test]
fn malformed_micro_ops_are_errors_with_positions() {
    for (text, needle) in [
        ("{:process 0 :type :invoke :value 3}", "vector of micro-ops"),
        (
            "{:process 0 :type :invoke :value [[:append 1]]}",
            "micro-op 0",
        ),
        (
            "{:process 0 :type :invoke :value [[:frob 1 2]]}",
            ":append or :r",
        ),
        (
            "{:process 0 :type :invoke :value [[:append [1] 2]]}",
            "key must be a scalar",
        ),
        (
            "{:process 0 :type :invoke :value [[:r 1 nil]]} {:process 0 :type :ok :value [[:r 1 5]]}",
            "vector or nil",
        ),
        ("{:process 0 :type :ok :value []}", "never invoked"),
    ] {
        let events = format::parse(text.as_bytes(), Format::Edn).unwrap();
        let err = txn::check(&events, &Options::default()).unwrap_err();
        assert!(err.to_string().contains(needle), "{text}: {err}");
        assert!(err.to_string().starts_with("event "), "{err}");
    }
    let dup = "{:process 0 :type :invoke :value [[:append 1 2]]} {:process 1 :type :invoke :value [[:append 1 2]]}";
    let events = format::parse(dup.as_bytes(), Format::Edn).unwrap();
    assert!(matches!(
        txn::check(&events, &Options::default()),
        Err(Error::DuplicateWrite { index: 1, .. })
    ));
}

#[test]
fn assertion_panics_with_the_explanation() {
    let text = "{:process 0 :type :invoke :value [[:append :x 1]]}
                {:process 0 :type :ok :value [[:append :x 1]]}
                {:process 1 :type :invoke :value [[:r :x nil]]}
                {:process 1 :type :ok :value [[:r :x []]]}";
    let events = format::parse(text.as_bytes(), Format::Edn).unwrap();
    let panic = std::panic::catch_unwind(|| lockstep_history::assert_txn_valid!(events))
        .expect_err("the history is not strict-serializable");
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("G-single-realtime"), "{message}");
    assert!(
        message.contains("T1 read key :x = [] without T2's append of 1"),
        "{message}"
    );
    let ok = format::parse(
        text.replace("[:r :x []]", "[:r :x [1]]").as_bytes(),
        Format::Edn,
    )
    .unwrap();
    lockstep_history::assert_txn_valid!(ok, Options::default());
}
