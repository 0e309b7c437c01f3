//! Histories recorded live from threads through `#[recorded]` methods, then checked: a
//! correct `Mutex`-guarded register must pass, and a register that reads from a lagging
//! replica must fail with the stale read named.

use std::sync::{Arc, Mutex};

use lockstep_history::checker::Verdict;
use lockstep_history::model::CasRegister;
use lockstep_history::{History, Value, assert_linearizable, recorded, spawn, with_history};

/// What the workers need of a register.
trait Store: Send + Sync + 'static {
    fn write(&self, v: i64);
    fn read(&self) -> i64;
    fn cas(&self, expected: i64, new: i64) -> bool;
    /// Background work the store may do between operations (not an operation itself).
    fn tick(&self) {}
}

/// A correct register: one value behind a lock.
struct Locked(Mutex<i64>);

impl Store for Locked {
    #[recorded(f = "write")]
    fn write(&self, v: i64) {
        *self.0.lock().unwrap() = v;
    }
    #[recorded(f = "read")]
    fn read(&self) -> i64 {
        *self.0.lock().unwrap()
    }
    #[recorded(f = "cas")]
    fn cas(&self, expected: i64, new: i64) -> bool {
        let mut g = self.0.lock().unwrap();
        let hit = *g == expected;
        if hit {
            *g = new;
        }
        hit
    }
}

/// A broken register: writes go to the primary, reads to a replica that only catches up
/// when the store ticks.
struct Lagging {
    primary: Mutex<i64>,
    replica: Mutex<i64>,
}

impl Store for Lagging {
    #[recorded(f = "write")]
    fn write(&self, v: i64) {
        *self.primary.lock().unwrap() = v;
    }
    #[recorded(f = "read")]
    fn read(&self) -> i64 {
        *self.replica.lock().unwrap()
    }
    #[recorded(f = "cas")]
    fn cas(&self, expected: i64, new: i64) -> bool {
        let mut g = self.primary.lock().unwrap();
        let hit = *g == expected;
        if hit {
            *g = new;
        }
        hit
    }
    fn tick(&self) {
        let v = *self.primary.lock().unwrap();
        *self.replica.lock().unwrap() = v;
    }
}

/// Four workers doing writes, reads and CASes; then one last write and read in sequence.
fn record(store: Arc<dyn Store>) -> (History, i64) {
    let (last_read, history) = with_history(|| {
        let workers: Vec<_> = (0..4i64)
            .map(|w| {
                let store = store.clone();
                spawn(move || {
                    for i in 0..50 {
                        let v = w * 100 + i;
                        match i % 3 {
                            0 => store.write(v),
                            1 => drop(store.read()),
                            _ => drop(store.cas(v - 1, v)),
                        }
                        if i % 10 == 0 {
                            store.tick();
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        store.write(999);
        store.read()
    });
    (history, last_read)
}

#[test]
fn correct_register_is_linearizable() {
    let (history, last) = record(Arc::new(Locked(Mutex::new(0))));
    assert_eq!(last, 999);
    assert_linearizable!(history, CasRegister::new(0));
    let verdict = history.check(&CasRegister::new(0)).unwrap();
    let order = &verdict.linearization().unwrap().partitions[0].order;
    // Every op took effect (none crashed): 4 × 50 + 2, in a witness order.
    assert_eq!(order.len(), 202);
}

#[test]
fn lagging_replica_fails_on_the_stale_read() {
    let store = Arc::new(Lagging {
        primary: Mutex::new(0),
        replica: Mutex::new(0),
    });
    let (history, stale) = record(store);
    assert_ne!(stale, 999, "the replica cannot have caught up");
    let verdict = history.check(&CasRegister::new(0)).unwrap();
    let Verdict::NotLinearizable(c) = &verdict else {
        panic!("expected a violation, got {verdict}");
    };
    // The reads of the workers may be stale too; whichever read the search got stuck on,
    // it is a read that returned something other than the register held.
    assert_eq!(c.op.op.f, "read");
    let seen = c.op.op.output.clone().unwrap();
    assert_ne!(Value::from(c.state.parse::<i64>().unwrap()), seen, "{c}");
    let text = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_linearizable!(history, CasRegister::new(0))
    }))
    .unwrap_err()
    .downcast::<String>()
    .unwrap();
    assert!(
        text.contains(&format!(
            "cannot linearize: process {} read -> {seen}",
            c.op.op.process
        )),
        "{text}"
    );
    assert!(
        text.contains("illegal: the read returned another value than the register held"),
        "{text}"
    );
}

/// A replicated register that copies every write to the replica, until frozen.
#[derive(Default)]
struct Replicated(Mutex<(i64, i64, bool)>);

impl Replicated {
    #[recorded(f = "write")]
    fn write(&self, v: i64) {
        let mut g = self.0.lock().unwrap();
        g.0 = v;
        if !g.2 {
            g.1 = v;
        }
    }
    #[recorded(f = "read")]
    fn read(&self) -> i64 {
        self.0.lock().unwrap().1
    }
    fn freeze(&self) {
        self.0.lock().unwrap().2 = true;
    }
}

#[test]
fn only_the_final_read_is_stale_when_workers_read_fresh() {
    // Workers' reads are fresh; only the final read, after the replica froze and the last
    // write went to the primary alone, is stale. The counterexample must name that read.
    let store = Arc::new(Replicated::default());
    let (_, history) = with_history(|| {
        let workers: Vec<_> = (0..3i64)
            .map(|w| {
                let s = store.clone();
                spawn(move || {
                    for i in 0..30 {
                        let v = w * 100 + i;
                        if i % 2 == 0 {
                            s.write(v);
                        } else {
                            s.read();
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        store.freeze();
        store.write(999);
        store.read()
    });
    let events = history.events();
    let final_read = events.len() as u64 - 2;
    let verdict = history.check(&CasRegister::new(0)).unwrap();
    let c = verdict.counterexample().expect("the final read is stale");
    assert_eq!(
        (c.op.op.invoke, c.op.op.f.as_str()),
        (final_read, "read"),
        "{c}"
    );
    assert_eq!(c.state, "999");
    assert_eq!(c.prefix.last().unwrap().op.description, "write 999");
}
