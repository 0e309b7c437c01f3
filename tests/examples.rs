//! The examples' cores, run as tests: the correct clients check linearizable and the buggy
//! ones are caught.

use std::time::Duration;

use lockstep_history::EventKind;
use lockstep_history::checker::Verdict;

mod common;

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../examples/quickstart.rs"]
mod quickstart;

#[allow(dead_code)]
#[path = "../examples/async_client.rs"]
mod async_client;

#[allow(dead_code)]
#[path = "../examples/redis_register/main.rs"]
mod redis_register;

#[test]
fn quickstart_locked_client_is_linearizable() {
    let history = quickstart::run(&quickstart::LockedClient::default(), 6, 200);
    assert_eq!(history.len(), 6 * 200 * 2);
    let verdict = history.check(&quickstart::model()).unwrap();
    assert!(matches!(verdict, Verdict::Linearizable(_)), "{verdict}");
}

#[test]
fn quickstart_racy_client_is_caught() {
    // The race needs an unlucky interleaving; a handful of runs finds one.
    for _ in 0..50 {
        let history = quickstart::run(&quickstart::RacyClient::default(), 6, 200);
        if let Verdict::NotLinearizable(_) = history.check(&quickstart::model()).unwrap() {
            return;
        }
    }
    panic!("the racy compare-and-set was never caught in 50 runs");
}

#[test]
fn async_client_records_the_cancelled_write_as_info() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .unwrap();
    let history = runtime.block_on(async_client::run(6, 30));
    let events = history.events();
    history.validate().unwrap();
    let info: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::Info)
        .collect();
    assert_eq!(info.len(), 1, "exactly the cancelled write");
    assert_eq!(info[0].f, "write");
    assert_eq!(info[0].value, -1);
    let verdict = history.check(&quickstart::model()).unwrap();
    assert!(matches!(verdict, Verdict::Linearizable(_)), "{verdict}");
}

fn redis_server(test: &str) -> Option<redis_register::Server> {
    redis_register::Server::start()
        .map_err(|e| common::missing(test, &format!("no Redis server could be started: {e}")))
        .ok()
}

#[test]
fn redis_correct_clients_are_linearizable_despite_timeouts() {
    let Some(server) = redis_server("redis_correct_clients") else {
        return;
    };
    for cas in [false, true] {
        let workload = redis_register::Workload {
            clients: 5,
            ops: 200,
            cache_for: None,
            pauses: true,
            cas,
        };
        let history = redis_register::run(&server.url, &format!("test-correct-{cas}"), workload);
        let events = history.events();
        assert!(
            events.iter().any(|e| e.kind == EventKind::Info),
            "pausing the server makes some operations time out"
        );
        assert_eq!(events.iter().any(|e| e.f == "cas"), cas);
        let verdict = workload.check(&history).unwrap();
        assert!(
            matches!(verdict, Verdict::Linearizable(_)),
            "cas {cas}: {verdict}"
        );
    }
}

#[test]
fn redis_caching_client_is_caught_on_a_stale_read() {
    let Some(server) = redis_server("redis_caching_client") else {
        return;
    };
    let workload = redis_register::Workload {
        clients: 5,
        ops: 200,
        cache_for: Some(Duration::from_millis(5)),
        pauses: true,
        cas: true,
    };
    for attempt in 0..5 {
        let history =
            redis_register::run(&server.url, &format!("test-caching-{attempt}"), workload);
        if let Verdict::NotLinearizable(c) = workload.check(&history).unwrap() {
            assert_eq!(
                c.op.op.f, "read",
                "the stale read is the op that cannot be linearized:\n{c}"
            );
            assert!(c.to_string().contains("read"), "{c}");
            return;
        }
    }
    panic!("the caching client was never caught in 5 runs");
}
