//! The events of an explorer execution's history (feature `shuttle`).
//!
//! Inside an execution every shuttle task runs on one OS thread, one at a time, so the
//! history the explorer records each execution into needs none of the machinery for threads
//! that record at once: its events go straight into one list, in index order (an event's
//! index is its position), and each task's process is found by the task's id, which the
//! explorer's scheduler already knows. The explorer takes the list when the execution ends
//! by trading it for the buffer of the execution before, then empties the history for the
//! next execution ([`Events::reset`]) if nothing else holds it; a history dropped gives its
//! buffers back to this thread for the next one made: in the steady state nothing is
//! allocated.
//!
//! Its clock is logical: an event's `time` is its index, in nanoseconds. Tasks run one at
//! a time here and wait only for shuttle's scheduler, so the wall clock would time the
//! scheduler, not the code under test, and would differ on every replay; with the index, a
//! replay of a schedule records a history equal in every field, and no clock is read.
//!
//! The history stays a `Send + Sync` handle like any other (a replay hands it to the
//! caller), so the list sits behind a lock; with one task running at a time that lock is
//! never contended.

use std::borrow::Cow;
use std::cell::{RefCell, UnsafeCell};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::event::{Event, EventKind, Process};
use crate::explore;
use crate::value::Value;

use super::invoke_value;

/// An execution's events, and which process records where.
#[derive(Default)]
pub(super) struct Events {
    /// Every event, each at the position of its index.
    list: Vec<Event>,
    /// Per process log (the `slot` of [`History::record_on`](super::History::record_on)):
    /// the process it records as now, and where its last event is.
    slots: Vec<Slot>,
    /// Processes numbered so far.
    processes: u64,
    /// The explorer epoch of the execution that made this history (0 outside one): task ids
    /// name tasks only within it.
    epoch: u64,
    /// Per shuttle task id in that epoch, the slot of the task's own process, or `NONE`.
    tasks: Vec<usize>,
    /// Whether some event of `list` owns memory (see [`owns_memory`]): if none does, the
    /// list is emptied without dropping its events one by one.
    owning: bool,
}

/// [`Events::tasks`] for a task that has not recorded.
const NONE: usize = usize::MAX;

/// One process log.
#[derive(Clone, Copy)]
struct Slot {
    process: u64,
    /// The position of its last event.
    last: Option<usize>,
}

thread_local! {
    /// The emptied buffers of the last execution history dropped on this thread.
    static SPARE: RefCell<Option<Events>> = const { RefCell::new(None) };
}

impl Events {
    /// Empty, for the execution under way on this thread; made of the spare buffers if any.
    pub(super) fn new() -> Events {
        let mut events = SPARE
            .try_with(|spare| spare.borrow_mut().take())
            .ok()
            .flatten()
            .unwrap_or_default();
        events.epoch = explore::epoch();
        events
    }

    /// Every event, in index order.
    pub(super) fn list(&self) -> &[Event] {
        &self.list
    }

    /// Gives the list to `out` and takes `out`'s buffer, emptied, in its place.
    /// Returns whether some event given owns memory, for [`clear`].
    pub(super) fn swap_list(&mut self, out: &mut Vec<Event>) -> bool {
        out.clear();
        std::mem::swap(&mut self.list, out);
        std::mem::replace(&mut self.owning, false)
    }

    /// Empties these events for the execution under way on this thread (or none), keeping
    /// their buffers: as [`Events::new`] makes them.
    pub(super) fn reset(&mut self) {
        clear(&mut self.list, self.owning);
        self.owning = false;
        self.slots.clear();
        self.tasks.clear();
        self.processes = 0;
        self.epoch = explore::epoch();
    }

    /// Processes numbered so far.
    pub(super) fn processes(&self) -> u64 {
        self.processes
    }

    /// Opens a log for a new process and returns its slot.
    pub(super) fn new_slot(&mut self) -> usize {
        let process = self.processes;
        self.processes += 1;
        self.slots.push(Slot {
            process,
            last: None,
        });
        self.slots.len() - 1
    }

    /// The slot of the running task's own process (opened now if it has none), when a task
    /// of the execution that made this history is running on this thread.
    #[inline]
    pub(super) fn task_slot(&mut self) -> Option<usize> {
        let (epoch, task) = explore::explorer_task()?;
        if epoch != self.epoch {
            return None;
        }
        if self.tasks.len() <= task {
            self.tasks.resize(task + 1, NONE);
        }
        if self.tasks[task] == NONE {
            self.tasks[task] = self.new_slot();
        }
        Some(self.tasks[task])
    }

    /// [`Events::task_slot`], or a new process's if that one has an operation pending.
    #[inline]
    pub(super) fn idle_task_slot(&mut self) -> Option<usize> {
        let slot = self.task_slot()?;
        Some(self.idle_slot(slot))
    }

    /// `slot`, unless its process has an operation pending: then a new process's.
    #[inline]
    pub(super) fn idle_slot(&mut self, slot: usize) -> usize {
        if self.pending(slot).is_some() {
            self.new_slot()
        } else {
            slot
        }
    }

    /// The input of the invoke pending on `slot`, if its last event is one.
    #[inline]
    fn pending(&self, slot: usize) -> Option<&Value> {
        let last = self.slots.get(slot)?.last?;
        invoke_value(self.list.get(last))
    }

    /// Records one event on `slot`, as [`History::record_on`](super::History::record_on)
    /// does, and returns it.
    #[inline]
    pub(super) fn record(
        &mut self,
        slot: usize,
        kind: EventKind,
        f: Cow<'static, str>,
        value: impl FnOnce(Option<&Value>) -> Value,
        error: Option<Value>,
    ) -> &Event {
        let value = value(self.pending(slot));
        self.owning |= owns_memory(matches!(f, Cow::Owned(_)), &value, error.as_ref());
        let index = self.list.len();
        let log = &mut self.slots[slot];
        let process = log.process;
        log.last = Some(index);
        if kind == EventKind::Info {
            log.process = self.processes;
            self.processes += 1;
        }
        self.list.push(Event {
            index: index as u64,
            // Logical: see the module docs.
            time: index as u64,
            kind,
            process: Process::Id(process),
            f,
            value,
            error,
        });
        &self.list[index]
    }
}

/// An execution's [`Events`] behind a lock made for the one way they are used: by one OS
/// thread at a time, almost always the explorer's, never held across a scheduling point.
///
/// Taking it is one compare-and-swap and releasing it one plain store. A `std` mutex
/// releases with an atomic swap (to learn whether a waiter needs waking), and a
/// read-modify-write waits for every store before it to reach the cache: after an event
/// was just written into a list line not in the cache, that wait was a measurable part
/// of each recorded call. Another thread finding it taken (a thread outside shuttle's
/// control, holding a handle) waits by yielding, for a hold that lasts one event.
pub(super) struct Locked {
    held: AtomicBool,
    events: UnsafeCell<Events>,
}

// SAFETY: `events` is reached only through a `Guard` (which exists while `held` is set by
// its holder alone, taken with Acquire and released with Release) or through `&mut self`;
// what it holds may move between threads (the bound fails to compile should it stop).
unsafe impl Sync for Locked where Events: Send {}

impl Locked {
    pub(super) fn new(events: Events) -> Locked {
        Locked {
            held: AtomicBool::new(false),
            events: UnsafeCell::new(events),
        }
    }

    /// Takes the lock, waiting (by yielding the thread) while another thread holds it.
    ///
    /// Never held across a call that could record: values are converted before it is
    /// taken, and only an echo (a clone of the invoke's input) is made under it. So only
    /// another thread holding a handle ever finds it taken.
    #[inline]
    pub(super) fn lock(&self) -> Guard<'_> {
        while self
            .held
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::thread::yield_now();
        }
        Guard { locked: self }
    }

    /// The events, with no lock taken: `&mut self` is proof that nothing else reaches them.
    pub(super) fn get_mut(&mut self) -> &mut Events {
        self.events.get_mut()
    }
}

/// Access to a [`Locked`]'s events, released when dropped (also by an unwind).
pub(super) struct Guard<'a> {
    locked: &'a Locked,
}

impl Deref for Guard<'_> {
    type Target = Events;
    fn deref(&self) -> &Events {
        // SAFETY: this guard holds the lock (see `Locked`).
        unsafe { &*self.locked.events.get() }
    }
}

impl DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut Events {
        // SAFETY: this guard holds the lock, and `&mut self` makes this borrow the only one.
        unsafe { &mut *self.locked.events.get() }
    }
}

impl Drop for Guard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.locked.held.store(false, Ordering::Release);
    }
}

/// Empties `events` and keeps its buffers on this thread for the next execution's history.
pub(super) fn recycle(events: &mut Events) {
    let mut spare = std::mem::take(events);
    spare.reset();
    // In the place of any spares already there (dropped outside the borrow).
    let _replaced = SPARE.try_with(|kept| kept.borrow_mut().replace(spare));
}

/// Drops the spare buffers kept on this thread.
pub(crate) fn drop_spare() {
    let _dropped = SPARE.try_with(|spare| spare.borrow_mut().take());
}

/// Whether an event of these parts owns memory that dropping it frees: a name made at run
/// time (`owned_name`), or a value other than nil, a boolean or a number (a string's `Arc`
/// counts).
#[inline]
fn owns_memory(owned_name: bool, value: &Value, error: Option<&Value>) -> bool {
    let scalar = |v: &Value| {
        matches!(
            v,
            Value::Nil | Value::Bool(_) | Value::Int(_) | Value::UInt(_) | Value::Float(_)
        )
    };
    owned_name || !scalar(value) || error.is_some_and(|e| !scalar(e))
}

/// Empties `events`. `owning` false says that none of them owns memory (see
/// [`owns_memory`]): dropping them would do nothing, so none is dropped.
pub(crate) fn clear(events: &mut Vec<Event>, owning: bool) {
    if owning {
        events.clear();
    } else {
        // SAFETY: 0 is within the capacity and leaves no element to be initialized; the
        // events past it are forgotten, which frees nothing since none owns memory.
        unsafe { events.set_len(0) };
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Records one ok event with `value` on a fresh process of `events`.
    fn record(events: &mut Events, f: Cow<'static, str>, value: Value, error: Option<Value>) {
        let slot = events.new_slot();
        events.record(slot, EventKind::Ok, f, |_| value, error);
    }

    #[test]
    fn the_lock_keeps_threads_out_of_each_others_events() {
        // Threads outside the explorer's may hold a handle: each takes the lock in turn.
        let locked = Arc::new(Locked::new(Events::default()));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let locked = Arc::clone(&locked);
                std::thread::spawn(move || {
                    for _ in 0..2_000 {
                        record(&mut locked.lock(), Cow::Borrowed("f"), Value::Nil, None);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let mut locked = Arc::try_unwrap(locked).ok().unwrap();
        let events = locked.get_mut();
        assert_eq!(events.processes(), 8_000);
        // Every event at its index: no two threads wrote the same place.
        assert!(
            events
                .list()
                .iter()
                .enumerate()
                .all(|(i, e)| e.index == i as u64)
        );
        assert_eq!(events.list().len(), 8_000);
    }

    #[test]
    fn a_panic_while_locked_releases_the_lock() {
        let locked = Locked::new(Events::default());
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut events = locked.lock();
            let slot = events.new_slot();
            events.record(
                slot,
                EventKind::Ok,
                Cow::Borrowed("f"),
                |_| panic!("a value's conversion panics"),
                None,
            );
        }));
        assert!(unwound.is_err());
        // Taken again, not waited on forever.
        assert_eq!(locked.lock().processes(), 1);
    }

    #[test]
    fn only_scalar_events_own_nothing() {
        assert!(!owns_memory(false, &Value::Int(3), None));
        assert!(!owns_memory(false, &Value::Nil, Some(&Value::Bool(true))));
        assert!(owns_memory(false, &Value::from("s"), None));
        assert!(owns_memory(false, &Value::Nil, Some(&Value::from("e"))));
        assert!(owns_memory(false, &Value::Vector(vec![]), None));
        assert!(owns_memory(true, &Value::Nil, None));
        // A name made at run time is seen as one.
        let mut events = Events::default();
        record(&mut events, Cow::Owned("f".into()), Value::Nil, None);
        let mut out = Vec::new();
        assert!(events.swap_list(&mut out));
    }

    #[test]
    fn events_owning_memory_are_dropped_when_emptied() {
        let text: Arc<str> = Arc::from("kept");
        let mut events = Events::default();
        record(&mut events, Cow::Borrowed("f"), Value::Int(1), None);
        let mut out = Vec::new();
        assert!(!events.swap_list(&mut out));
        assert_eq!(out.len(), 1);
        record(
            &mut events,
            Cow::Borrowed("f"),
            Value::String(Arc::clone(&text)),
            None,
        );
        assert_eq!(Arc::strong_count(&text), 2);
        clear(&mut out, false);
        assert!(events.swap_list(&mut out));
        assert_eq!(out.len(), 1);
        clear(&mut out, true);
        assert!(out.is_empty());
        assert_eq!(Arc::strong_count(&text), 1);
        // The flag starts over with the list traded in.
        record(&mut events, Cow::Borrowed("f"), Value::Nil, None);
        assert!(!events.swap_list(&mut out));
        // A history dropped with such events in it drops them too.
        record(
            &mut events,
            Cow::Borrowed("f"),
            Value::Keyword(Arc::clone(&text)),
            None,
        );
        recycle(&mut events);
        assert_eq!(Arc::strong_count(&text), 1);
    }
}
