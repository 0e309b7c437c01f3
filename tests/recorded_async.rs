//! `#[recorded]` on `async fn`: invoke at the first poll, completion when ready, `info` when
//! dropped before ready, sibling futures as separate processes.

mod common;

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use common::{YieldOnce, v};
use futures::executor::block_on;
use futures::future::join;
use lockstep_history::{Completion, EventKind, History, InHistory, Value, recorded, with_history};
use serde::Serialize;

#[derive(Debug, Serialize)]
enum Error {
    Rejected,
    Timeout,
}

impl Error {
    fn completion(&self) -> Completion {
        match self {
            Error::Rejected => Completion::Fail,
            Error::Timeout => Completion::Info,
        }
    }
}

struct Opts;

#[derive(Default)]
struct Client {
    stored: Vec<(String, String)>,
}

impl Client {
    #[recorded(f = "put", skip(opts), classify = Error::completion)]
    async fn put(&mut self, key: &str, val: String, opts: &Opts) -> Result<(), Error> {
        let _ = opts;
        YieldOnce::default().await;
        match val.as_str() {
            "reject" => return Err(Error::Rejected),
            "timeout" => Err(Error::Timeout)?,
            _ => {}
        }
        self.stored.push((key.to_owned(), val));
        Ok(())
    }

    #[recorded]
    async fn get(&self, key: &str) -> Option<String> {
        YieldOnce::default().await;
        self.stored
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

#[test]
fn the_issue_example_put_records_ok_fail_and_info() {
    let mut client = Client::default();
    let (_, history) = with_history(|| {
        block_on(async {
            client.put("k", "v1".into(), &Opts).await.unwrap();
            client.put("k", "reject".into(), &Opts).await.unwrap_err();
            client.put("k", "timeout".into(), &Opts).await.unwrap_err();
            assert_eq!(client.get("k").await.as_deref(), Some("v1"));
        });
    });
    let e = history.events();
    assert_eq!(e.len(), 8);
    assert_eq!(
        (e[0].kind, &e[0].value),
        (EventKind::Invoke, &v(("k", "v1")))
    );
    assert_eq!((e[1].kind, &e[1].value), (EventKind::Ok, &v(("k", "v1"))));
    assert_eq!(e[3].kind, EventKind::Fail);
    assert_eq!(e[3].error, Some(Value::keyword("Rejected")));
    assert_eq!(e[5].kind, EventKind::Info);
    assert_eq!(e[5].error, Some(Value::keyword("Timeout")));
    assert_eq!(e[6].process, 1, "a new process after info");
    assert_eq!((e[7].kind, &e[7].value), (EventKind::Ok, &v("v1")));
    history.validate().unwrap();
}

#[recorded]
async fn slow_read(x: u8) -> u8 {
    YieldOnce::default().await;
    x
}

#[test]
fn invoke_at_first_poll_completion_when_ready() {
    let ((), history) = with_history(|| {
        let h = lockstep_history::current().unwrap();
        let mut cx = Context::from_waker(Waker::noop());
        let mut fut = pin!(slow_read(3));
        assert!(h.is_empty(), "creating the future records nothing");
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert_eq!(h.len(), 1);
        assert_eq!(h.events()[0].kind, EventKind::Invoke);
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(3));
        assert_eq!(h.events()[1].kind, EventKind::Ok);
    });
    assert_eq!(history.events()[1].value, v(3));
}

#[test]
fn dropped_before_ready_is_info() {
    let ((), history) = with_history(|| {
        let mut cx = Context::from_waker(Waker::noop());
        let mut fut = Box::pin(slow_read(4));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        drop(fut);
        // Never polled: nothing at all.
        drop(slow_read(5));
        block_on(slow_read(6));
    });
    let e = history.events();
    assert_eq!(e.len(), 4);
    assert_eq!((e[1].kind, &e[1].value), (EventKind::Info, &v(4)));
    assert_eq!(e[1].error, Some(v("cancelled: dropped before completing")));
    assert_eq!((e[2].process.id(), &e[2].value), (Some(1), &v(6)));
    history.validate().unwrap();
}

#[test]
fn recorded_futures_are_send_when_their_bodies_are() {
    fn assert_send<T: Send>(_: &T) {}
    let mut client = Client::default();
    assert_send(&slow_read(1));
    assert_send(&client.put("k", String::new(), &Opts));
    assert_send(&Fixed.load(1));
}

#[test]
fn sibling_futures_in_one_task_are_separate_processes() {
    let ((a, b), history) = with_history(|| block_on(join(slow_read(1), slow_read(2))));
    assert_eq!((a, b), (1, 2));
    let e = history.events();
    assert_eq!(e.len(), 4);
    assert_eq!(
        e.iter().map(|e| e.kind).collect::<Vec<_>>(),
        [
            EventKind::Invoke,
            EventKind::Invoke,
            EventKind::Ok,
            EventKind::Ok
        ]
    );
    assert_ne!(e[0].process, e[1].process);
    for ok in &e[2..] {
        let invoke = e.iter().find(|i| i.process == ok.process).unwrap();
        assert_eq!(
            invoke.value, ok.value,
            "completed on the process it invoked on"
        );
    }
    history.validate().unwrap();
}

#[test]
fn a_future_finished_on_another_thread_completes_on_its_process() {
    let ((), history) = with_history(|| {
        let mut cx = Context::from_waker(Waker::noop());
        let mut fut = Box::pin(slow_read(7));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        // Finished on a thread with no history installed, while this thread goes on.
        let elsewhere = std::thread::spawn(move || block_on(fut));
        assert_eq!(sync_inner(1), 1);
        assert_eq!(elsewhere.join().unwrap(), 7);
    });
    let e = history.events();
    assert_eq!(e.len(), 4);
    let ok = e
        .iter()
        .find(|e| e.kind == EventKind::Ok && e.f == "slow_read")
        .unwrap();
    assert_eq!(
        ok.process, e[0].process,
        "completed on the process it invoked on"
    );
    assert_eq!(ok.value, v(7));
    history.validate().unwrap();
}

#[recorded]
async fn outer(x: u8) -> u8 {
    let (a, b) = join(slow_read(x), slow_read(x + 1)).await;
    a + b + sync_inner(x)
}

#[recorded]
fn sync_inner(x: u8) -> u8 {
    x
}

#[test]
fn nested_calls_inside_an_async_body_are_one_operation() {
    let (sum, history) = with_history(|| block_on(outer(1)));
    assert_eq!(sum, 4);
    let e = history.events();
    assert_eq!(e.len(), 2);
    assert_eq!((e[0].f.as_ref(), &e[1].value), ("outer", &v(4)));
}

#[test]
fn between_polls_of_an_operation_other_calls_are_recorded() {
    let ((), history) = with_history(|| {
        let mut cx = Context::from_waker(Waker::noop());
        let mut fut = pin!(slow_read(1));
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        // Not inside slow_read's body: its own operation, on a process of its own.
        assert_eq!(sync_inner(9), 9);
        assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(1));
    });
    let e = history.events();
    assert_eq!(e.len(), 4);
    assert_eq!(
        (e[1].f.as_ref(), e[1].kind),
        ("sync_inner", EventKind::Invoke)
    );
    assert_ne!(e[0].process, e[1].process);
    history.validate().unwrap();
}

#[recorded]
async fn explode(x: u8) -> u8 {
    YieldOnce::default().await;
    panic::panic_any(x)
}

#[test]
fn a_panic_while_polled_is_info_and_continues() {
    let ((), history) = with_history(|| {
        let caught = panic::catch_unwind(AssertUnwindSafe(|| block_on(explode(8)))).unwrap_err();
        assert_eq!(caught.downcast_ref::<u8>(), Some(&8));
    });
    let e = history.events();
    assert_eq!(e.len(), 2);
    assert_eq!((e[1].kind, &e[1].value), (EventKind::Info, &v(8)));
}

trait AsyncStore {
    async fn load(&self, key: u8) -> Result<u8, String>;
}

struct Fixed;

impl AsyncStore for Fixed {
    #[recorded(f = "read")]
    async fn load(&self, key: u8) -> Result<u8, String> {
        YieldOnce::default().await;
        if key == 0 {
            return Err(String::from("no key 0"));
        }
        Ok(key * 2)
    }
}

#[test]
fn async_trait_impls_and_tasks_in_history() {
    let history = History::new();
    let task = async {
        assert_eq!(Fixed.load(2).await, Ok(4));
        assert!(Fixed.load(0).await.is_err());
    };
    block_on(task.in_history(history.clone()));
    let e = history.events();
    assert_eq!(e.len(), 4);
    assert_eq!((e[1].f.as_ref(), &e[1].value), ("read", &v(4)));
    assert_eq!(
        (e[3].kind, &e[3].error),
        (EventKind::Fail, &Some(v("no key 0")))
    );
    history.validate().unwrap();
}

// Calls with no history installed are tested in `recording_lost.rs`.

#[recorded(f = "write")]
async fn slow_write(x: u8) {
    YieldOnce::default().await;
    let _ = x;
}

#[test]
fn a_manual_op_beside_a_pending_recorded_future_is_its_own_process() {
    let ((), history) = with_history(|| {
        let h = lockstep_history::current().unwrap();
        futures::executor::block_on(async {
            futures::join!(slow_write(1), async { h.op("read", (), || 0u8) });
        });
    });
    history.validate().unwrap();
    let e = history.events();
    assert_eq!(e.len(), 4);
    assert_ne!(
        e[0].process, e[1].process,
        "the read is not on the pending write's process"
    );
    let write_ok = e
        .iter()
        .find(|e| e.f == "write" && e.kind == EventKind::Ok)
        .unwrap();
    assert_eq!(
        write_ok.value,
        v(1),
        "the unit result echoes its own invoke"
    );
}
