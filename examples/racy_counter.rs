//! A hit counter with a check-then-act race, found under shuttle and replayed exactly.
//!
//! `hit` reads the count and then writes it back plus one: two hits that interleave between
//! the read and the write count once. A final read then sees fewer hits than were recorded,
//! which no sequential counter allows.
//!
//! Run with `cargo run --example racy_counter --features shuttle`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering::SeqCst};

use lockstep_history::explore::{Explorer, Scenarios, Strategy, replay, yield_point};
use lockstep_history::model::Counter;
use lockstep_history::{recorded, spawn};

/// Counts hits; `hit` is racy unless built with `atomic: true`.
#[derive(Default)]
pub struct HitCounter {
    count: AtomicI64,
    atomic: bool,
}

impl HitCounter {
    /// A counter whose `hit` is a racy read-then-write, or an atomic add.
    pub fn new(atomic: bool) -> HitCounter {
        HitCounter {
            count: AtomicI64::new(0),
            atomic,
        }
    }

    /// Counts one hit.
    #[recorded(f = "add", value = 1)]
    pub fn hit(&self) {
        yield_point();
        if self.atomic {
            self.count.fetch_add(1, SeqCst);
            return;
        }
        let seen = self.count.load(SeqCst);
        yield_point();
        self.count.store(seen + 1, SeqCst);
    }

    /// The count.
    #[recorded]
    pub fn read(&self) -> i64 {
        yield_point();
        self.count.load(SeqCst)
    }
}

/// Three threads hit the counter twice each, then the count is read.
pub fn workload(atomic: bool) -> impl Fn() + Send + Sync + 'static {
    move || {
        let counter = Arc::new(HitCounter::new(atomic));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let counter = Arc::clone(&counter);
                spawn(move || {
                    counter.hit();
                    counter.hit();
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        counter.read();
    }
}

/// Generated scenarios of hits and reads: 3 threads × 4 operations.
pub fn scenarios(atomic: bool, strategy: Strategy, iterations: usize) -> Scenarios<HitCounter> {
    Scenarios::new(move || HitCounter::new(atomic))
        .op("hit", |_| (), |c, (): ()| c.hit())
        .op(
            "read",
            |_| (),
            |c, (): ()| {
                c.read();
            },
        )
        .threads(3)
        .ops_per_thread(4)
        .scenarios(200)
        .explorer(
            Explorer::new(strategy)
                .iterations(iterations)
                .name("racy_counter"),
        )
}

fn main() {
    let explorer = Explorer::new(Strategy::pct(2, 1))
        .iterations(1000)
        .name("racy_counter");
    let failure = match explorer.run(&Counter::default(), workload(false)) {
        Ok(summary) => {
            println!("no race in {} iterations", summary.iterations);
            return;
        }
        Err(failure) => failure,
    };
    println!("found the race:\n{failure}\n");
    let again = replay(&failure.schedule, workload(false)).expect("a schedule we wrote");
    let same = again.events().len() == failure.events.len()
        && again.events().iter().zip(&failure.events).all(|(a, b)| {
            (a.index, a.kind, &a.process, &a.f, &a.value)
                == (b.index, b.kind, &b.process, &b.f, &b.value)
        });
    println!("replayed: the same history again: {same}");
    let fixed = explorer.run(&Counter::default(), workload(true));
    println!(
        "atomic counter: {:?}",
        fixed.map(|s| s.iterations).map_err(|f| f.to_string())
    );
}
