//! Elle's list-append workload against a throwaway PostgreSQL cluster, through the
//! `postgres_append` example's `#[recorded]` client, at each isolation level: each level
//! must show the anomalies it permits and none it prohibits. Needs PostgreSQL's server
//! programs (Debian's `postgresql` package): without them the tests skip, or fail under
//! `CI=true`.

use std::path::PathBuf;
use std::time::Duration;

use lockstep_history::checker::txn::ConsistencyModel;
use lockstep_history::txn::MicroOp;
use lockstep_history::{EventKind, format, spawn, with_history};

mod common;

#[allow(dead_code)] // the example's `main` is not called here
#[path = "../examples/postgres_append/main.rs"]
mod postgres_append;

use postgres_append::{AppendClient, Isolation, Run, Server, ServerError, TxnError, outcomes};

/// A throwaway cluster, or `None` after saying why the test skips.
fn server(test: &str) -> Option<Server> {
    match Server::start() {
        Ok(server) => Some(server),
        Err(ServerError::Missing(why)) => {
            common::missing(test, &why);
            None
        }
        Err(ServerError::Failed(why)) => panic!("{test}: {why}"),
    }
}

#[test]
fn each_isolation_level_shows_what_it_permits_and_nothing_it_prohibits() {
    let Some(server) = server("txn_postgres") else {
        return;
    };
    let mut failures = Vec::new();
    for isolation in Isolation::ALL {
        let run = Run::new(isolation);
        let history = run.record(&server).expect("record the run");
        history.validate().expect("a well-formed history");
        let (ok, fail, info) = outcomes(&history);
        let analysis = run.check(&history).expect("a readable history");
        let names = analysis.anomaly_names();
        // What the level must show, beyond being valid for the model it promises.
        let (shown, wanted) = match isolation {
            Isolation::ReadCommitted => (
                analysis.violates(ConsistencyModel::RepeatableRead),
                "an anomaly repeatable read prohibits",
            ),
            Isolation::RepeatableRead => (names.iter().any(|n| n == "G2-item"), "G2-item"),
            Isolation::Serializable => (true, "nothing"),
        };
        let counts: Vec<String> = analysis
            .counts
            .iter()
            .map(|(kind, n)| format!("{kind} ×{n}"))
            .collect();
        let summary = format!(
            "{}: {ok} ok, {fail} fail, {info} info; anomalies: {}",
            isolation.name(),
            counts.join(", ")
        );
        eprintln!("{summary}");
        if ok < 100 || !analysis.is_valid() || !shown {
            let file = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("txn_postgres_{}.json", isolation.name()));
            format::write_file(&file, &history.events()).expect("write the history");
            failures.push(format!(
                "{summary}\nexpected: at least 100 committed, valid for {}, showing {wanted}\n\
                 history: {}\n{analysis}",
                run.promised().name(),
                file.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn aborts_are_fail_lost_sessions_are_info_and_the_cluster_goes_away() {
    let Some(server) = server("txn_postgres") else {
        return;
    };
    let table = "append_outcomes";
    let mut admin = server.connect().unwrap();
    AppendClient::create_table(&mut admin, table).unwrap();
    let client = |isolation| AppendClient::new(&server.config, table, isolation).unwrap();

    // Another session holds key 1's row lock; each worker's transaction waits on it.
    admin
        .batch_execute(&format!("INSERT INTO {table} VALUES (1, '{{}}')"))
        .unwrap();
    let mut holder = server.connect().unwrap();
    let ((), history) = with_history(|| {
        // 1. An ordinary transaction: its reads come back filled in.
        let mut c = client(Isolation::Serializable);
        c.transact(vec![
            MicroOp::append(2, 1),
            MicroOp::read(2),
            MicroOp::read(3),
        ])
        .unwrap();
        // 2. A write is refused and rolled back: fail.
        c.transact(vec![MicroOp::append(3, 1), MicroOp::write(3, 2)])
            .unwrap_err();

        // 3. At REPEATABLE READ, a worker reads, then appends to a row another session
        //    updates and commits meanwhile: a serialization failure, recorded as fail.
        let mut tx = holder.transaction().unwrap();
        tx.execute(
            &*format!("UPDATE {table} SET v = v || 1::bigint WHERE k = 1"),
            &[],
        )
        .unwrap();
        let mut rr = client(Isolation::RepeatableRead);
        // The read takes the snapshot before the other session commits.
        let waiter = spawn(move || rr.transact(vec![MicroOp::read(2), MicroOp::append(1, 2)]));
        wait_for_lock_waiter(&server, table);
        tx.commit().unwrap();
        let outcome = waiter.join().unwrap();
        assert!(
            matches!(outcome, Err(TxnError::Aborted { .. })),
            "{outcome:?}"
        );

        // 4. A worker waiting on the lock whose backend is terminated: info.
        let mut tx = holder.transaction().unwrap();
        tx.execute(
            &*format!("UPDATE {table} SET v = v || 3::bigint WHERE k = 1"),
            &[],
        )
        .unwrap();
        let mut rc = client(Isolation::ReadCommitted);
        let waiter = spawn(move || rc.transact(vec![MicroOp::append(1, 4)]));
        let pid = wait_for_lock_waiter(&server, table);
        admin
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .unwrap();
        let outcome = waiter.join().unwrap();
        assert!(
            matches!(outcome, Err(TxnError::Connection(_))),
            "{outcome:?}"
        );
        tx.rollback().unwrap();
    });

    let events = history.events();
    history.validate().unwrap();
    let json = |i: usize| serde_json::to_string(&events[i].value).unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    use EventKind::*;
    assert_eq!(
        kinds,
        [Invoke, Ok, Invoke, Fail, Invoke, Fail, Invoke, Info],
        "{events:#?}"
    );
    assert!(events.iter().all(|e| e.f == "txn"));
    assert_eq!(json(0), r#"[["append",2,1],["r",2,null],["r",3,null]]"#);
    assert_eq!(json(1), r#"[["append",2,1],["r",2,[1]],["r",3,[]]]"#);
    let error = |i: usize| format!("{:?}", events[i].error);
    assert!(error(3).contains("register writes"), "{}", error(3));
    assert!(error(5).contains("40001"), "{}", error(5));
    assert!(error(7).contains("connection"), "{}", error(7));

    // The cluster is stopped and its folder removed when the server is dropped, also while
    // a test panics.
    let (dir, pid) = (server.dir().unwrap().to_owned(), server.pid().unwrap());
    assert!(dir.join("data").is_dir());
    drop((admin, holder));
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _server = server;
        panic!("a failing test");
    }));
    assert!(panicked.is_err());
    assert!(!dir.exists(), "{} left behind", dir.display());
    let proc = PathBuf::from(format!("/proc/{pid}"));
    assert!(!proc.exists(), "postmaster {pid} still running");
}

/// Waits until some backend waits on a lock (a worker blocked on the held row) and returns
/// its process id.
fn wait_for_lock_waiter(server: &Server, table: &str) -> i32 {
    let mut watcher = server.connect().unwrap();
    for _ in 0..500 {
        let row = watcher
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' \
                 AND query LIKE '%' || $1 || '%'",
                &[&table],
            )
            .unwrap();
        if let Some(row) = row {
            return row.get(0);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no transaction ever waited on the held row lock");
}
