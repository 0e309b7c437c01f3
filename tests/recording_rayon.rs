//! The history reaches rayon's pool: `par_iter` bodies through `bind_each`, `rayon::scope`
//! jobs through `bind_scoped`, `rayon::join` halves through `bind`. Each pool thread that
//! records is a process of its own. Before, jobs on the pool ran with no history and every
//! operation they performed was missing from it.

use std::collections::HashSet;

use lockstep_history::{EventKind, Process, bind, bind_each, bind_scoped, recorded, with_history};
use rayon::prelude::*;

#[recorded]
fn add(n: u64) -> u64 {
    n + 1
}

/// The processes of the ok events, and how many there are.
fn oks_and_processes(history: &lockstep_history::History) -> (usize, HashSet<Process>) {
    let events = history.events();
    let oks = events.iter().filter(|e| e.kind == EventKind::Ok).count();
    (oks, events.into_iter().map(|e| e.process).collect())
}

#[test]
fn par_iter_bodies_record_into_the_history() {
    let (sum, history) =
        with_history(|| (0..200u64).into_par_iter().map(bind_each(add)).sum::<u64>());
    assert_eq!(sum, (1..=200).sum::<u64>());
    let (oks, processes) = oks_and_processes(&history);
    assert_eq!(oks, 200);
    assert!(
        processes.len() <= rayon::current_num_threads() + 1,
        "{processes:?}"
    );
    history.validate().unwrap();
}

#[test]
fn scope_jobs_record_into_the_history() {
    let ((), history) = with_history(|| {
        // The scope's own body runs on the pool too: it is bound as well.
        rayon::scope(bind_scoped(|s: &rayon::Scope<'_>| {
            for n in 0..8 {
                s.spawn(bind_scoped(move |_| {
                    add(n);
                }));
            }
        }));
    });
    assert_eq!(oks_and_processes(&history).0, 8);
    history.validate().unwrap();
}

#[test]
fn join_halves_record_into_the_history() {
    let ((a, b), history) = with_history(|| rayon::join(bind(|| add(1)), bind(|| add(2))));
    assert_eq!((a, b), (2, 3));
    assert_eq!(oks_and_processes(&history).0, 2);
    history.validate().unwrap();
}

#[test]
fn each_pool_thread_is_one_process() {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let ((), history) = with_history(|| {
        pool.install(bind(|| {
            (0..300u64).into_par_iter().for_each(bind_each(|n| {
                add(n);
            }));
        }));
    });
    let events = history.events();
    // Each process's ops are sequential (validate), and there are at most as many processes
    // as pool threads: a thread keeps its process from one job to the next.
    history.validate().unwrap();
    let processes: HashSet<_> = events.iter().map(|e| e.process.clone()).collect();
    assert!(processes.len() <= 3, "{processes:?}");
    assert_eq!(events.len(), 600);
}

/// Lets the pool run queued jobs on this thread while the call waits, as rayon does inside
/// `join`, `scope` and `yield_local`.
#[recorded]
fn add_then_yield(n: u64) -> u64 {
    rayon::yield_local();
    n + 1
}

#[recorded]
fn add_both(a: u64, b: u64) -> u64 {
    let (x, y) = rayon::join(bind(move || add(a)), bind(move || add(b)));
    x + y
}

#[test]
fn jobs_run_inside_a_waiting_call_are_operations_of_their_own() {
    // One thread: every stolen job runs inside a call that is still waiting.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let ((), history) = with_history(|| {
        pool.install(bind(|| {
            (0..4u64).into_par_iter().for_each(bind_each(|n| {
                add_then_yield(n);
            }));
        }))
    });
    let (oks, _) = oks_and_processes(&history);
    assert_eq!(oks, 4, "every call recorded: {:?}", history.events());
    assert_eq!(history.lost_calls(), 0);
    history.validate().unwrap();

    // The halves of a `join` inside a recorded call are part of that call (run inline),
    // unless the pool hands them to another job: then they are not lost either.
    let (sum, history) = with_history(|| pool.install(bind(|| add_both(1, 2))));
    assert_eq!(sum, 5);
    let (oks, _) = oks_and_processes(&history);
    assert!((1..=3).contains(&oks), "{:?}", history.events());
    history.validate().unwrap();
}
