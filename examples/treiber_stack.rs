//! A lock-free Treiber stack with a deliberate bug, found by scenario testing under PCT,
//! and its fixed version passing.
//!
//! The buggy `pop` gives up when its compare-and-swap loses a race instead of retrying, but
//! still returns the element it read: two pops can return the same element, which no
//! sequential stack does. The checker finds that in a generated scenario, shrinks it, and
//! prints the schedule that replays it.
//!
//! Run with `cargo run --example treiber_stack --features shuttle`.

use std::ptr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering::SeqCst};

use lockstep_history::explore::{Explorer, Scenarios, Strategy, yield_point};
use lockstep_history::model::Stack;
use lockstep_history::recorded;

struct Node {
    value: i64,
    next: *mut Node,
}

/// A Treiber stack: a linked list whose head moves by compare-and-swap.
///
/// Popped nodes are kept until the stack is dropped rather than freed, so no address is
/// reused while another pop may still read it: the example needs no memory reclamation
/// scheme, and the compare-and-swap cannot suffer ABA.
pub struct TreiberStack {
    head: AtomicPtr<Node>,
    /// Whether a pop retries after losing a race (the fix); without it, the bug.
    retry: bool,
    retired: Mutex<Vec<*mut Node>>,
}

// SAFETY: nodes are only reached through the atomic head and are never freed while the
// stack is shared (see `Drop`).
unsafe impl Send for TreiberStack {}
unsafe impl Sync for TreiberStack {}

impl TreiberStack {
    /// The stack with the bug (`retry: false`) or the fixed one (`retry: true`).
    pub fn new(retry: bool) -> TreiberStack {
        TreiberStack {
            head: AtomicPtr::new(ptr::null_mut()),
            retry,
            retired: Mutex::new(Vec::new()),
        }
    }

    /// Puts `value` on top.
    #[recorded]
    pub fn push(&self, value: i64) {
        let node = Box::into_raw(Box::new(Node {
            value,
            next: ptr::null_mut(),
        }));
        loop {
            yield_point();
            let head = self.head.load(SeqCst);
            // SAFETY: `node` is not shared until the compare-and-swap publishes it.
            unsafe { (*node).next = head };
            yield_point();
            if self
                .head
                .compare_exchange(head, node, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
        }
    }

    /// Takes the top element, if any.
    #[recorded]
    pub fn pop(&self) -> Option<i64> {
        loop {
            yield_point();
            let head = self.head.load(SeqCst);
            if head.is_null() {
                return None;
            }
            // SAFETY: nodes are never freed while the stack is shared.
            let (value, next) = unsafe { ((*head).value, (*head).next) };
            yield_point();
            match self.head.compare_exchange(head, next, SeqCst, SeqCst) {
                Ok(_) => {
                    self.retired.lock().unwrap().push(head);
                    return Some(value);
                }
                Err(_) if self.retry => continue,
                // The bug: another thread moved the head, so `value` was not taken here.
                Err(_) => return Some(value),
            }
        }
    }
}

impl Drop for TreiberStack {
    fn drop(&mut self) {
        let mut node = *self.head.get_mut();
        while !node.is_null() {
            // SAFETY: nodes still linked were never retired; each is freed once.
            let boxed = unsafe { Box::from_raw(node) };
            node = boxed.next;
        }
        for node in self.retired.get_mut().unwrap().drain(..) {
            // SAFETY: retired nodes were unlinked exactly once and never relinked.
            drop(unsafe { Box::from_raw(node) });
        }
    }
}

/// Scenarios of pushes (of 0..10) and pops on a fresh stack: 3 threads × 4 operations after
/// 2 sequential ones, each explored by PCT.
pub fn scenarios(retry: bool, strategy: Strategy, iterations: usize) -> Scenarios<TreiberStack> {
    Scenarios::new(move || TreiberStack::new(retry))
        .op("push", |rng| rng.below(10) as i64, |s, v: i64| s.push(v))
        .op(
            "pop",
            |_| (),
            |s, (): ()| {
                s.pop();
            },
        )
        .threads(3)
        .ops_per_thread(4)
        .prefix(2)
        .scenarios(200)
        .explorer(
            Explorer::new(strategy)
                .iterations(iterations)
                .name("treiber_stack"),
        )
}

fn main() {
    match scenarios(false, Strategy::pct(3, 1), 100).run(&Stack) {
        Ok(summary) => println!("the bug was not found in {} executions", summary.iterations),
        Err(failure) => println!("found the bug:\n{failure}\n"),
    }
    match scenarios(true, Strategy::pct(3, 1), 100).run(&Stack) {
        Ok(summary) => println!("the fixed stack passed {} executions", summary.iterations),
        Err(failure) => println!("the fixed stack failed:\n{failure}"),
    }
}
