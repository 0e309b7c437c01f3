//! Async scopes and tokio tasks (feature `tokio`): `with_history_async` records a
//! `#[tokio::test]` body; tasks spawned with `lockstep_history::tokio::spawn` (or into a
//! `JoinSet` with `spawn_in`) carry the history and are each one process for their whole
//! life, on current-thread and multi-thread runtimes. Before, there was no async scope
//! (`with_history(|| async { … })` recorded nothing once awaited), spawned tasks recorded
//! nothing, and on a current-thread runtime a task took a new process per operation.

use std::collections::{BTreeSet, HashMap};

use lockstep_history::{Event, EventKind, Process, recorded, with_history_async};
use tokio::task::JoinSet;

#[recorded]
async fn write(v: u64) {
    // Lets other tasks run between the invoke and the completion, and between operations.
    tokio::task::yield_now().await;
    let _ = v;
}

/// Each process's invokes, by process.
fn invokes_by_process(events: &[Event]) -> HashMap<Process, BTreeSet<u64>> {
    let mut by = HashMap::<Process, BTreeSet<u64>>::new();
    for e in events.iter().filter(|e| e.kind == EventKind::Invoke) {
        by.entry(e.process.clone())
            .or_default()
            .insert(e.value.as_u64().unwrap());
    }
    by
}

/// Four tasks of three writes each, task `t` writing `10 * t + i`.
async fn four_tasks_of_three_writes() {
    let tasks: Vec<_> = (0..4u64)
        .map(|t| {
            lockstep_history::tokio::spawn(async move {
                for i in 0..3 {
                    write(10 * t + i).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// Each task is exactly one process, holding its three writes.
fn one_process_per_task(events: &[Event]) {
    let by = invokes_by_process(events);
    let expected: BTreeSet<BTreeSet<u64>> = (0..4u64)
        .map(|t| (0..3).map(|i| 10 * t + i).collect())
        .collect();
    assert_eq!(by.into_values().collect::<BTreeSet<_>>(), expected);
}

#[tokio::test]
async fn current_thread_tasks_are_one_process_each() {
    let ((), history) = with_history_async(four_tasks_of_three_writes()).await;
    assert_eq!(history.len(), 24);
    one_process_per_task(&history.events());
    history.validate().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 3)]
async fn multi_thread_tasks_are_one_process_each() {
    let ((), history) = with_history_async(four_tasks_of_three_writes()).await;
    assert_eq!(history.len(), 24);
    one_process_per_task(&history.events());
    history.validate().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_set_tasks_carry_the_history() {
    let (written, history) = with_history_async(async {
        let mut set = JoinSet::new();
        for t in 0..5u64 {
            lockstep_history::tokio::spawn_in(&mut set, async move {
                write(t).await;
                write(100 + t).await;
                t
            });
        }
        set.join_all().await.len()
    })
    .await;
    assert_eq!(written, 5);
    let by = invokes_by_process(&history.events());
    assert_eq!(by.len(), 5);
    assert!(by.values().all(|writes| writes.len() == 2));
    history.validate().unwrap();
}

#[tokio::test]
async fn the_scope_body_is_a_process_and_its_output_is_returned() {
    let (answer, history) = with_history_async(async {
        write(1).await;
        write(2).await;
        42
    })
    .await;
    assert_eq!(answer, 42);
    let by = invokes_by_process(&history.events());
    assert_eq!(by.len(), 1);
    history.validate().unwrap();
}
