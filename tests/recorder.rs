//! The recorder and its context, as a user drives them: threads, futures, real-time order.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll};

use lockstep_history::{Event, EventKind, History, InHistory, Value, current, with_history};

#[test]
fn spawned_workers_are_processes() {
    let (_, history) = with_history(|| {
        let workers: Vec<_> = (0..3)
            .map(|i| {
                lockstep_history::spawn(move || {
                    let h = lockstep_history::current().unwrap();
                    h.op("write", i, || i);
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    });
    let events = history.events();
    assert_eq!(events.len(), 6);
    let mut processes: Vec<u64> = events.iter().filter_map(|e| e.process.id()).collect();
    processes.sort_unstable();
    processes.dedup();
    assert_eq!(processes, [0, 1, 2]);
    history.validate().unwrap();
}

#[test]
fn seed_calls_compile_and_behave() {
    let h = History::new();
    h.invoke("write", 1);
    h.ok("write", 1);
    h.invoke("cas", (1, 2));
    h.fail("cas", "mismatch");
    h.invoke("write", 2);
    h.info("write", "timeout");
    assert_eq!(h.op("write", 3, || 3), 3);
    let e = h.events();
    assert_eq!(e.len(), 8);
    assert_eq!(
        e.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [
            EventKind::Invoke,
            EventKind::Ok,
            EventKind::Invoke,
            EventKind::Fail,
            EventKind::Invoke,
            EventKind::Info,
            EventKind::Invoke,
            EventKind::Ok
        ]
    );
    assert_eq!(e[3].value, Value::from(vec![Value::Int(1), Value::Int(2)]));
    assert_eq!(e[3].error, Some(Value::from("mismatch")));
    assert_eq!(e[5].error, Some(Value::from("timeout")));
    assert_eq!(e[6].process, 1, "after info the thread is a new process");
    assert!(e.iter().all(|e| e.f == "write" || e.f == "cas"));
    h.validate().unwrap();
}

#[test]
fn misuse_is_recorded_then_reported() {
    let h = History::new();
    h.ok("write", 1);
    h.invoke("read", ());
    h.invoke("read", ());
    assert_eq!(h.events().len(), 3, "nothing is lost");
    let err = h.validate().unwrap_err();
    assert!(
        matches!(
            err,
            lockstep_history::ValidationError::CompletionWithoutInvoke { index: 0, .. }
        ),
        "{err}"
    );
}

#[test]
fn nothing_is_recorded_without_a_history() {
    assert!(current().is_none());
    let (_, h) = with_history(|| ());
    assert!(h.events().is_empty());
}

/// 8 threads × 50,000 operations into one history. Each op also takes a ticket from a
/// shared sequence after its completion was recorded and before the next invoke; an op whose
/// completion ticket is below another op's invoke ticket finished before that one started,
/// so its completion index must be smaller.
#[test]
fn eight_threads_fifty_thousand_ops_each() {
    const THREADS: u64 = 8;
    const OPS: u64 = 50_000;
    let sequence = Arc::new(AtomicU64::new(0));
    let barrier = Arc::new(Barrier::new(THREADS as usize));
    let (tickets, history) = with_history(|| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (sequence, barrier) = (sequence.clone(), barrier.clone());
                lockstep_history::spawn(move || {
                    let h = current().unwrap();
                    barrier.wait();
                    // (ticket before invoke, ticket after completion) per op
                    let mut tickets = Vec::with_capacity(OPS as usize);
                    for i in 0..OPS {
                        let before = sequence.fetch_add(1, Ordering::SeqCst);
                        h.op("write", t * OPS + i, || ());
                        let after = sequence.fetch_add(1, Ordering::SeqCst);
                        tickets.push((t * OPS + i, before, after));
                    }
                    tickets
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect::<Vec<_>>()
    });
    let events = history.events();
    let n = (THREADS * OPS * 2) as usize;
    assert_eq!(events.len(), n);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.index, i as u64, "indices are dense");
    }
    history.validate().unwrap();

    // every op appears exactly once, as an invoke then an ok on one process
    let mut by_value: HashMap<i64, (u64, u64)> = HashMap::new();
    let mut last_kind: HashMap<u64, EventKind> = HashMap::new();
    for e in &events {
        let p = e.process.id().unwrap();
        let prev = last_kind.insert(p, e.kind);
        assert_ne!(
            prev,
            Some(e.kind),
            "process {p} alternates at event {}",
            e.index
        );
        let v = e.value.as_i64().unwrap();
        let entry = by_value.entry(v).or_insert((u64::MAX, u64::MAX));
        match e.kind {
            EventKind::Invoke => {
                assert_eq!(entry.0, u64::MAX, "op {v} invoked once");
                entry.0 = e.index;
            }
            EventKind::Ok => {
                assert_eq!(entry.1, u64::MAX, "op {v} completed once");
                entry.1 = e.index;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(by_value.len() as u64, THREADS * OPS);

    // real-time order: sort ops by completion ticket; for each op B, every op A whose
    // completion ticket precedes B's invoke ticket has a smaller completion index.
    let mut ops: Vec<(u64, u64, u64, u64)> = tickets
        .iter()
        .map(|&(v, before, after)| {
            let (inv, ok) = by_value[&(v as i64)];
            (before, after, inv, ok)
        })
        .collect();
    ops.sort_unstable_by_key(|op| op.1);
    // prefix maximum of completion index over ops sorted by completion ticket
    let mut prefix_max = Vec::with_capacity(ops.len());
    let mut max = 0;
    for op in &ops {
        max = max.max(op.3);
        prefix_max.push(max);
    }
    let after_tickets: Vec<u64> = ops.iter().map(|op| op.1).collect();
    for &(before, _, inv, _) in &ops {
        let finished_before = after_tickets.partition_point(|&a| a < before);
        if finished_before > 0 {
            assert!(
                prefix_max[finished_before - 1] < inv,
                "an op that finished before invoke {inv} has a larger index"
            );
        }
    }
}

/// A future that returns Pending once, then records an op.
struct YieldOnce {
    yielded: bool,
    value: u64,
}

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if !self.yielded {
            self.yielded = true;
            current().unwrap().invoke("write", self.value);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        current().unwrap().ok("write", ());
        Poll::Ready(())
    }
}

#[test]
fn two_tasks_on_one_thread_are_two_processes() {
    let h = History::new();
    let a = YieldOnce {
        yielded: false,
        value: 1,
    }
    .in_history(h.clone());
    let b = YieldOnce {
        yielded: false,
        value: 2,
    }
    .in_history(h.clone());
    // interleaved on one thread: a invokes, b invokes, a completes, b completes
    futures::executor::block_on(async { futures::join!(a, b) });
    let events = h.events();
    assert_eq!(events.len(), 4);
    assert_eq!(events[0].process, 0);
    assert_eq!(events[1].process, 1);
    h.validate().unwrap();
    assert!(current().is_none(), "nothing left installed after polling");
}

#[test]
fn a_task_keeps_its_process_across_threads() {
    let h = History::new();
    let mut task = Box::pin(
        YieldOnce {
            yielded: false,
            value: 9,
        }
        .in_history(h.clone()),
    );
    let waker = futures::task::noop_waker();
    let mut cx = Context::from_waker(&waker);
    assert!(task.as_mut().poll(&mut cx).is_pending());
    std::thread::spawn(move || {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(task.as_mut().poll(&mut cx).is_ready());
    })
    .join()
    .unwrap();
    let events: Vec<Event> = h.events();
    assert_eq!(events[0].process, events[1].process);
    assert_eq!(events[1].value, 9);
}

#[test]
fn a_dropped_task_drops_inside_its_history() {
    struct RecordOnDrop;
    impl Drop for RecordOnDrop {
        fn drop(&mut self) {
            if let Some(h) = current() {
                h.info("write", "cancelled");
            }
        }
    }
    let h = History::new();
    let guard = RecordOnDrop;
    let task = async move {
        let _g = guard;
        std::future::pending::<()>().await;
    };
    let mut task = Box::pin(task.in_history(h.clone()));
    let waker = futures::task::noop_waker();
    assert!(
        task.as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending()
    );
    drop(task);
    assert_eq!(h.events().len(), 1);
}
