//! `#[recorded]` on functions that return a future rather than being `async fn`: `impl
//! Future<Output = T>`, `Pin<Box<dyn Future<Output = T> + …>>`, `BoxFuture`, and methods of
//! an `#[async_trait]` impl (which become the boxed shape). Each is recorded like an `async
//! fn`: the invoke at the first poll, the completion from the future's output, `info` when
//! it is dropped before it is ready. Before, each was recorded when the future was created,
//! as `ok nil`, and the work it did was never seen.

mod common;

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Waker};

use common::{YieldOnce, v};
use futures::executor::block_on;
use futures::future::BoxFuture;
use lockstep_history::model::Register;
use lockstep_history::{EventKind, History, Value, assert_linearizable, recorded, with_history};

#[derive(Default)]
struct Store {
    value: std::sync::Mutex<u64>,
}

impl Store {
    #[recorded(f = "read")]
    fn read_impl(&self) -> impl Future<Output = Result<u64, String>> + '_ {
        async move {
            YieldOnce::default().await;
            Ok(*self.value.lock().unwrap())
        }
    }

    #[recorded(f = "write")]
    fn write_pinned(
        &self,
        v: u64,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            YieldOnce::default().await;
            if v > 100 {
                return Err(format!("{v} is too large"));
            }
            *self.value.lock().unwrap() = v;
            Ok(())
        })
    }

    #[recorded(f = "read")]
    fn read_boxed(&self) -> BoxFuture<'_, u64> {
        Box::pin(async move {
            YieldOnce::default().await;
            *self.value.lock().unwrap()
        })
    }
}

/// The events as (kind, f, value, error), for comparing.
fn summary(h: &History) -> Vec<(EventKind, String, Value, Option<Value>)> {
    h.events()
        .into_iter()
        .map(|e| (e.kind, e.f.to_string(), e.value, e.error))
        .collect()
}

#[test]
fn impl_future_pin_box_dyn_and_box_future_record_their_output() {
    let store = Store::default();
    let ((), history) = with_history(|| {
        block_on(async {
            store.write_pinned(7).await.unwrap();
            assert_eq!(store.read_impl().await, Ok(7));
            assert_eq!(store.read_boxed().await, 7);
            store.write_pinned(500).await.unwrap_err();
        });
    });
    let e = summary(&history);
    assert_eq!(
        e,
        [
            (EventKind::Invoke, "write".into(), v(7), None),
            (EventKind::Ok, "write".into(), v(7), None),
            (EventKind::Invoke, "read".into(), Value::Nil, None),
            (EventKind::Ok, "read".into(), v(7), None),
            (EventKind::Invoke, "read".into(), Value::Nil, None),
            (EventKind::Ok, "read".into(), v(7), None),
            (EventKind::Invoke, "write".into(), v(500), None),
            (
                EventKind::Fail,
                "write".into(),
                v(500),
                Some(v("500 is too large"))
            ),
        ]
    );
    history.validate().unwrap();
    assert_linearizable!(history, Register::new(0));
}

#[test]
fn the_invoke_is_at_the_first_poll_not_at_the_call() {
    let store = Store::default();
    let ((), history) = with_history(|| {
        let read = store.read_impl();
        let boxed = store.read_boxed();
        assert!(
            lockstep_history::current().unwrap().is_empty(),
            "created, not polled"
        );
        block_on(async {
            assert_eq!(boxed.await, 0);
            assert_eq!(read.await, Ok(0));
        });
    });
    assert_eq!(history.len(), 4);
    history.validate().unwrap();
}

#[test]
fn a_future_dropped_before_it_is_ready_is_info() {
    let store = Store::default();
    let ((), history) = with_history(|| {
        for future in [
            Box::pin(async { store.write_pinned(3).await.unwrap() })
                as Pin<Box<dyn Future<Output = ()>>>,
            Box::pin(async {
                store.read_boxed().await;
            }),
            Box::pin(async {
                store.read_impl().await.unwrap();
            }),
        ] {
            let mut future = pin!(future);
            let mut cx = Context::from_waker(Waker::noop());
            assert!(future.as_mut().poll(&mut cx).is_pending());
        }
        // Created and dropped without a poll: nothing happened, nothing is recorded.
        drop(store.write_pinned(4));
    });
    let kinds: Vec<_> = history.events().iter().map(|e| e.kind).collect();
    use EventKind::{Info, Invoke};
    assert_eq!(kinds, [Invoke, Info, Invoke, Info, Invoke, Info]);
    let e = history.events();
    assert_eq!(e[1].value, v(3), "info echoes the invoke");
    assert_eq!(e[1].error, Some(v("cancelled: dropped before completing")));
    history.validate().unwrap();
}

#[async_trait::async_trait]
trait Kv {
    async fn get(&self, key: String) -> Result<Option<u64>, String>;
    async fn put(&self, key: String, value: u64) -> Result<(), String>;
}

#[derive(Default)]
struct MapKv(std::sync::Mutex<std::collections::BTreeMap<String, u64>>);

#[async_trait::async_trait]
impl Kv for MapKv {
    #[recorded(f = "read")]
    async fn get(&self, key: String) -> Result<Option<u64>, String> {
        YieldOnce::default().await;
        Ok(self.0.lock().unwrap().get(&key).copied())
    }

    #[recorded(f = "write", err = "info")]
    async fn put(&self, key: String, value: u64) -> Result<(), String> {
        YieldOnce::default().await;
        if key.is_empty() {
            return Err("timeout".into());
        }
        self.0.lock().unwrap().insert(key, value);
        Ok(())
    }
}

#[test]
fn async_trait_methods_record_what_they_return() {
    let kv = MapKv::default();
    let ((), history) = with_history(|| {
        block_on(async {
            kv.put("a".into(), 1).await.unwrap();
            assert_eq!(kv.get("a".into()).await, Ok(Some(1)));
            kv.put(String::new(), 2).await.unwrap_err();
        })
    });
    let e = summary(&history);
    assert_eq!(e.len(), 6);
    assert_eq!(e[0], (EventKind::Invoke, "write".into(), v(("a", 1)), None));
    assert_eq!(e[1].0, EventKind::Ok);
    assert_eq!(e[2], (EventKind::Invoke, "read".into(), v("a"), None));
    assert_eq!(
        e[3],
        (EventKind::Ok, "read".into(), v(1), None),
        "the real result, not nil"
    );
    assert_eq!(e[5].0, EventKind::Info);
    assert_eq!(e[5].3, Some(v("timeout")));
    history.validate().unwrap();
}

#[test]
fn async_trait_futures_are_send_and_dropped_ones_are_info() {
    fn assert_send<T: Send>(_: &T) {}
    let kv = MapKv::default();
    let ((), history) = with_history(|| {
        let future = kv.get("a".into());
        assert_send(&future);
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut cx).is_pending());
    });
    let kinds: Vec<_> = history.events().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Invoke, EventKind::Info]);
}

#[test]
fn a_future_made_before_the_history_opens_is_recorded_where_it_runs() {
    let store = Store::default();
    // Made with no history anywhere, as an `async fn`'s future may be: both record at their
    // first poll, inside the history.
    let write = store.write_pinned(3);
    let read = store.read_boxed();
    let ((), history) = block_on(lockstep_history::with_history_async(async {
        write.await.unwrap();
        assert_eq!(read.await, 3);
    }));
    assert_eq!(
        summary(&history),
        [
            (EventKind::Invoke, "write".into(), Value::from(3), None),
            (EventKind::Ok, "write".into(), Value::from(3), None),
            (EventKind::Invoke, "read".into(), Value::Nil, None),
            (EventKind::Ok, "read".into(), Value::from(3), None),
        ]
    );
    assert_eq!(history.lost_calls(), 0);
}
