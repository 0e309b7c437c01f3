//! Lost calls are never silent: a recorded call that runs with no history installed while a
//! history is open in the process (a thread or task the history was not carried into) is
//! counted, and `validate`, `check` and `assert_linearizable!` say so. Before, such calls
//! simply vanished and the history looked complete.
//!
//! Whether a history is open is process-wide, so the tests here take turns: a test that
//! runs recorded code with no history would count as a lost call in another's history.

use std::sync::{Mutex, MutexGuard, PoisonError};

use lockstep_history::model::Register;
use lockstep_history::validate::ValidationError;
use lockstep_history::{History, InHistory, assert_linearizable, recorded, with_history};

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

#[recorded]
fn write(v: u64) {
    let _ = v;
}

#[recorded]
async fn read() -> u64 {
    0
}

#[recorded]
fn outer(n: u64) -> u64 {
    write(n);
    n + 1
}

#[recorded]
fn explode(n: u64) -> u64 {
    std::panic::panic_any(n)
}

#[test]
fn a_thread_the_history_was_not_carried_into_is_counted() {
    let _turn = turn();
    let ((), history) = with_history(|| {
        write(1);
        std::thread::spawn(|| write(2)).join().unwrap();
        std::thread::spawn(|| write(3)).join().unwrap();
    });
    assert_eq!(history.len(), 2);
    assert_eq!(history.lost_calls(), 2);
    let error = history.validate().unwrap_err();
    let ValidationError::LostCalls { count, first } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*count, 2);
    assert_eq!(first.function, "write");
    assert!(first.thread.starts_with("ThreadId("), "{first}");
    assert!(
        error
            .to_string()
            .starts_with("2 recorded calls ran outside any history"),
        "{error}"
    );
    let checked = history.check(&Register::new(0)).unwrap_err();
    assert!(
        checked
            .to_string()
            .contains("2 recorded calls ran outside any history")
    );
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_linearizable!(history, Register::new(0))
    }))
    .unwrap_err();
    let message = panicked.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("2 recorded calls ran outside any history"),
        "{message}"
    );
}

#[test]
fn calls_carried_by_spawn_and_bind_are_not_lost() {
    let _turn = turn();
    let ((), history) = with_history(|| {
        lockstep_history::spawn(|| write(1)).join().unwrap();
        std::thread::spawn(lockstep_history::bind(|| write(2)))
            .join()
            .unwrap();
    });
    assert_eq!(history.lost_calls(), 0);
    history.validate().unwrap();
}

#[test]
fn a_future_polled_outside_any_history_is_counted() {
    let _turn = turn();
    // The scope ends before the future it made is awaited: nothing records it, and no
    // history is open any more, so it is not counted either.
    let (future, history) = with_history(read);
    assert_eq!(futures::executor::block_on(future), 0);
    assert_eq!((history.len(), history.lost_calls()), (0, 0));
    // Awaited on another thread while the history is open: counted.
    let ((), history) = with_history(|| {
        std::thread::spawn(|| futures::executor::block_on(read()))
            .join()
            .unwrap();
    });
    assert_eq!((history.len(), history.lost_calls()), (0, 1));
    // A task in the history is open too, for as long as it lives.
    let h = History::new();
    futures::executor::block_on(
        async {
            std::thread::spawn(|| write(5)).join().unwrap();
            write(6);
        }
        .in_history(h.clone()),
    );
    assert_eq!((h.len(), h.lost_calls()), (2, 1));
}

#[test]
fn with_no_history_open_calls_run_unchanged_and_count_nowhere() {
    let _turn = turn();
    write(1);
    assert_eq!(outer(2), 3);
    let caught = std::panic::catch_unwind(|| explode(3)).unwrap_err();
    assert_eq!(caught.downcast_ref::<u64>(), Some(&3));
    assert_eq!(futures::executor::block_on(read()), 0);
    assert!(lockstep_history::current().is_none());
    // A history installed afterwards holds only what ran inside it.
    let ((), history) = with_history(|| {});
    assert_eq!((history.len(), history.lost_calls()), (0, 0));
}

#[test]
fn a_task_spawned_without_the_helper_is_counted() {
    let _turn = turn();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let ((), history) = runtime.block_on(lockstep_history::with_history_async(async {
        write(1);
        tokio::spawn(async { write(2) }).await.unwrap();
        lockstep_history::tokio::spawn(async { write(3) })
            .await
            .unwrap();
    }));
    assert_eq!(history.len(), 4);
    assert_eq!(history.lost_calls(), 1);
}

#[test]
fn the_error_names_the_first_lost_call_and_its_thread() {
    let _turn = turn();
    let ((), history) = with_history(|| {
        std::thread::Builder::new()
            .name("uncarried".into())
            .spawn(|| outer(7))
            .unwrap()
            .join()
            .unwrap();
        std::thread::spawn(|| write(8)).join().unwrap();
    });
    // `outer` is lost, and so is the `write` it makes: neither ran in a history.
    assert_eq!(history.lost_calls(), 3);
    let first = history.first_lost_call().unwrap();
    assert_eq!(
        (first.function.as_str(), first.thread.as_str()),
        ("outer", "uncarried")
    );
    let message = history.validate().unwrap_err().to_string();
    assert!(
        message.contains("(the first: `outer` on thread `uncarried`)")
            && message.contains("lockstep_history::unrecorded"),
        "{message}"
    );
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        lockstep_history::assert_txn_valid!(history)
    }))
    .unwrap_err();
    let message = panicked.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("3 recorded calls ran outside any history"),
        "{message}"
    );
}

#[test]
fn unrecorded_calls_are_neither_recorded_nor_lost() {
    let _turn = turn();
    let ((), history) = with_history(|| {
        write(1);
        // Setup inside the scope: runs, but is not part of the history.
        assert_eq!(lockstep_history::unrecorded(|| outer(2)), 3);
        // Recording resumes after it.
        write(3);
        // Another thread (another test of the same binary, say) that opts out.
        std::thread::spawn(|| lockstep_history::unrecorded(|| write(4)))
            .join()
            .unwrap();
        // The opt-out ends with its body, also when the body panics.
        let caught = std::panic::catch_unwind(|| lockstep_history::unrecorded(|| explode(5)));
        assert_eq!(caught.unwrap_err().downcast_ref::<u64>(), Some(&5));
        std::thread::spawn(|| {
            let _ = std::panic::catch_unwind(|| lockstep_history::unrecorded(|| explode(6)));
            write(7);
        })
        .join()
        .unwrap();
    });
    let values: Vec<_> = history.events().iter().map(|e| e.value.clone()).collect();
    assert_eq!(values, [1, 1, 3, 3].map(lockstep_history::Value::from));
    assert_eq!(history.lost_calls(), 1, "only the last write(7) is lost");
    assert!(lockstep_history::current().is_none());
}

#[test]
fn recorded_calls_inside_history_op_are_part_of_it() {
    let _turn = turn();
    let ((), history) = with_history(|| {
        let h = lockstep_history::current().unwrap();
        h.op("transfer", 5, || write(5));
    });
    let fs: Vec<_> = history.events().iter().map(|e| e.f.to_string()).collect();
    assert_eq!(fs, ["transfer", "transfer"]);
    history.validate().unwrap();
}
