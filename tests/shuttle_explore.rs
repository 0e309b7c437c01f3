//! Recording under shuttle: tasks are processes, every event is a scheduling point, a
//! failing iteration reports its schedule, and replaying that schedule records the same
//! history.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use lockstep_history::explore::{Cause, Explorer, Strategy, replay, yield_point};
use lockstep_history::model::{Counter, Register};
use lockstep_history::{Event, EventKind, Process, current, recorded, spawn, validate};

/// A counter whose increment reads, then writes: a check-then-act race.
#[derive(Default)]
struct RacyCounter(AtomicI64);

impl RacyCounter {
    #[recorded(f = "add", value = 1)]
    fn increment(&self) {
        yield_point();
        let seen = self.0.load(Ordering::SeqCst);
        yield_point();
        self.0.store(seen + 1, Ordering::SeqCst);
    }

    #[recorded]
    fn read(&self) -> i64 {
        yield_point();
        self.0.load(Ordering::SeqCst)
    }
}

/// Two increments racing, then a read.
fn racy_body() {
    let counter = Arc::new(RacyCounter::default());
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let counter = Arc::clone(&counter);
            spawn(move || counter.increment())
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    counter.read();
}

#[test]
fn tasks_on_one_os_thread_are_distinct_processes() {
    let os_threads = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&os_threads);
    let history = replay_free(move || {
        let workers: Vec<_> = (0..3)
            .map(|i| {
                let seen = Arc::clone(&seen);
                spawn(move || {
                    seen.lock().unwrap().push(std::thread::current().id());
                    current().unwrap().op("write", i, || ());
                    current().unwrap().op("read", (), || i);
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    });
    let threads = os_threads.lock().unwrap();
    assert_eq!(threads.len(), 3);
    assert!(
        threads.iter().all(|t| *t == threads[0]),
        "shuttle runs its tasks on one OS thread"
    );
    let mut processes: Vec<_> = history.iter().map(|e| e.process.clone()).collect();
    processes.sort_by_key(|p| format!("{p:?}"));
    processes.dedup();
    assert_eq!(processes.len(), 3, "one process per task: {history:?}");
    validate(&history).unwrap();
}

#[test]
fn every_operation_completes_on_its_own_process() {
    // Under many schedules, each task's operations stay on its process and alternate
    // invoke / completion, however the scheduler interleaves them.
    let summary =
        Explorer::new(Strategy::random(11))
            .iterations(200)
            .check(&Counter::default(), || {
                let counter = Arc::new(AtomicI64::new(0));
                let workers: Vec<_> = (0..3)
                    .map(|_| {
                        let counter = Arc::clone(&counter);
                        spawn(move || {
                            for _ in 0..2 {
                                current().unwrap().op("add", 1, || {
                                    counter.fetch_add(1, Ordering::SeqCst);
                                });
                            }
                        })
                    })
                    .collect();
                for w in workers {
                    w.join().unwrap();
                }
                let h = current().unwrap();
                h.validate().unwrap();
                let events = h.events();
                for process in 0..3 {
                    let mine: Vec<_> = events
                        .iter()
                        .filter(|e| e.process == Process::Id(process))
                        .map(|e| e.kind)
                        .collect();
                    assert_eq!(
                        mine,
                        [
                            EventKind::Invoke,
                            EventKind::Ok,
                            EventKind::Invoke,
                            EventKind::Ok
                        ],
                        "process {process}"
                    );
                }
            });
    assert_eq!(summary.iterations, 200);
}

#[test]
fn invokes_and_completions_are_scheduling_points() {
    // With no other scheduling point in the body, operations can only overlap if the
    // scheduler switches tasks at recorded events; some schedule must show an overlap.
    let overlapped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&overlapped);
    Explorer::new(Strategy::random(5))
        .iterations(100)
        .check(&Register::default(), move || {
            let workers: Vec<_> = (0..2)
                .map(|i| spawn(move || current().unwrap().op("write", i, || ())))
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            let events = current().unwrap().events();
            if events[1].kind == EventKind::Invoke {
                flag.store(true, Ordering::SeqCst);
            }
        });
    assert!(overlapped.load(Ordering::SeqCst));
}

#[test]
fn a_race_fails_with_its_schedule_and_replays_to_the_same_history() {
    let failure = Explorer::new(Strategy::pct(2, 1))
        .iterations(1000)
        .name("shuttle_explore_racy_counter")
        .run(&Counter::default(), racy_body)
        .unwrap_err();
    let Cause::Invalid(explanation) = &failure.cause else {
        panic!("expected a counterexample, got {failure}");
    };
    assert!(!explanation.is_empty());
    let text = failure.to_string();
    assert!(text.contains(&failure.schedule), "{text}");
    assert!(text.contains("Explorer::replay("), "{text}");
    let report = failure.report.as_ref().expect("report written");
    assert!(
        report.ends_with("target/lockstep/shuttle_explore_racy_counter.html"),
        "{report:?}"
    );
    assert!(std::fs::read_to_string(report).unwrap().contains("<html"));

    // The replay records the same events, in the same order, on the same processes.
    let replayed = replay(&failure.schedule, racy_body).unwrap();
    assert_eq!(replayed.events(), failure.events);

    // And the one-line call from the message fails the same way.
    let again = Explorer::replay(&failure.schedule)
        .run(&Counter::default(), racy_body)
        .unwrap_err();
    assert_eq!(again.schedule, failure.schedule);
    assert_eq!(again.events, failure.events);
}

#[test]
fn a_replay_of_a_bad_schedule_is_an_error() {
    let err = replay("not a schedule", racy_body).unwrap_err();
    assert!(err.to_string().contains("':'"), "{err}");
    let failure = Explorer::replay("ff:0?")
        .run(&Counter::default(), racy_body)
        .unwrap_err();
    assert!(failure.to_string().contains("column 5"), "{failure}");
}

#[test]
fn a_panicking_body_fails_with_its_schedule() {
    let body = || {
        let worker = spawn(|| panic!("boom in a task"));
        let _ = worker.join();
        panic!("boom in the body");
    };
    let failure = Explorer::new(Strategy::random(2))
        .iterations(10)
        .run(&Counter::default(), body)
        .unwrap_err();
    assert!(
        matches!(&failure.cause, Cause::Panicked(m) if m.contains("boom")),
        "{failure}"
    );
    assert_eq!(failure.iteration, 1);
    // The schedule is the panicking execution's: its steps, and a replay panics the same way.
    let (_, steps) = failure.schedule.split_once(':').unwrap();
    assert!(!steps.is_empty(), "{}", failure.schedule);
    let again = Explorer::replay(&failure.schedule)
        .run(&Counter::default(), body)
        .unwrap_err();
    assert_eq!(again.schedule, failure.schedule);
    assert!(matches!(&again.cause, Cause::Panicked(m) if m.contains("boom")));
}

/// One execution of `body` (DFS's first schedule), returning its events.
fn replay_free(body: impl Fn() + Send + Sync + 'static) -> Vec<Event> {
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = Arc::clone(&events);
    Explorer::new(Strategy::dfs())
        .iterations(1)
        .check(&Register::default(), move || {
            body();
            *out.lock().unwrap() = current().unwrap().events();
        });
    Arc::try_unwrap(events).unwrap().into_inner().unwrap()
}

#[test]
fn random_and_pct_failures_replay_exactly() {
    for strategy in [
        Strategy::random(1),
        Strategy::random(2),
        Strategy::pct(3, 4),
        Strategy::pct(2, 9),
    ] {
        let failure = Explorer::new(strategy)
            .iterations(1000)
            .name("shuttle_explore_replays")
            .run(&Counter::default(), racy_body)
            .unwrap_err();
        let replayed = replay(&failure.schedule, racy_body).unwrap();
        assert_eq!(replayed.events(), failure.events, "{strategy}");
    }
}

#[test]
fn in_an_execution_an_info_moves_the_task_to_a_fresh_process_and_misuse_is_recorded() {
    let recorded = Arc::new(std::sync::Mutex::new(Vec::new()));
    let out = Arc::clone(&recorded);
    // The history is not valid (a double invoke), so the run fails its check.
    let failure = Explorer::new(Strategy::dfs())
        .iterations(1)
        .name("shuttle_explore_misuse")
        .run(&Register::default(), move || {
            let worker = spawn(|| {
                let h = current().unwrap();
                h.invoke("write", 1);
                h.info("write", "timeout");
                h.invoke("write", 2);
                // A second invoke while one is pending: recorded as it happened, on the same
                // process.
                h.invoke("write", 3);
                h.ok("write", ());
            });
            worker.join().unwrap();
            *out.lock().unwrap() = current().unwrap().events();
        });
    assert!(failure.is_err());
    let events = recorded.lock().unwrap().clone();
    assert_eq!(failure.unwrap_err().events, events);
    let processes: Vec<_> = events.iter().map(|e| e.process.clone()).collect();
    assert_eq!(events.len(), 5);
    assert_eq!(
        processes[0], processes[1],
        "the info is on the invoke's process"
    );
    assert_ne!(processes[1], processes[2], "after an info, a fresh process");
    assert_eq!(processes[2], processes[3]);
    assert_eq!(processes[3], processes[4]);
    assert_eq!(events[4].value, 3, "ok echoes the last invoke");
    assert!(validate(&events).is_err(), "a double invoke is misuse");
}

#[test]
fn a_history_opened_inside_a_task_records_its_own_calls() {
    let inner = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&inner);
    let outer = replay_free(move || {
        let seen = Arc::clone(&seen);
        let worker = spawn(move || {
            current().unwrap().op("write", 1, || ());
            let ((), nested) = lockstep_history::with_history(|| {
                let h = current().unwrap();
                h.op("read", (), || 5);
                // A task spawned inside carries the nested history.
                spawn(|| current().unwrap().op("read", (), || 6))
                    .join()
                    .unwrap();
            });
            *seen.lock().unwrap() = nested.events();
            current().unwrap().op("write", 2, || ());
        });
        worker.join().unwrap();
    });
    let inner = inner.lock().unwrap();
    assert_eq!(outer.len(), 4, "{outer:?}");
    assert!(outer.iter().all(|e| e.f == "write"));
    assert_eq!(inner.len(), 4, "{inner:?}");
    assert!(inner.iter().all(|e| e.f == "read"));
    assert_ne!(inner[0].process, inner[2].process, "each task a process");
    validate(&outer).unwrap();
    validate(&inner).unwrap();
}

#[test]
fn each_execution_records_dense_indices_in_order_with_a_logical_clock() {
    let checked = Arc::new(AtomicI64::new(0));
    let count = Arc::clone(&checked);
    Explorer::new(Strategy::pct(3, 2))
        .iterations(50)
        .check(&Counter::default(), move || {
            racy_body_safe();
            let events = current().unwrap().events();
            assert_eq!(events.len(), 6);
            for (at, e) in events.iter().enumerate() {
                assert_eq!(e.index, at as u64, "{events:?}");
                // The clock of an execution is logical: a replay's times are the same.
                assert_eq!(e.time, e.index, "{events:?}");
            }
            count.fetch_add(1, Ordering::SeqCst);
        });
    assert_eq!(checked.load(Ordering::SeqCst), 50);
}

/// Two atomic increments from two tasks, then a read: linearizable under every schedule.
fn racy_body_safe() {
    let counter = Arc::new(AtomicI64::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let counter = Arc::clone(&counter);
            spawn(move || {
                current().unwrap().op("add", 1, || {
                    counter.fetch_add(1, Ordering::SeqCst);
                })
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    current()
        .unwrap()
        .op("read", (), || counter.load(Ordering::SeqCst));
}
