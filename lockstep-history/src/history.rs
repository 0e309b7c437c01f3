//! The recorder: a shared, append-only history of events that many threads write at once.
//!
//! Each process appends to a log of its own (a lock-free append-only vector), so recording
//! never waits on another thread. A history-wide atomic counter hands out event indices at
//! the moment an event is recorded, which is what makes index order agree with real time:
//! when one call returns before another starts, the first one's index is smaller.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Instant;

use serde::Serialize;

use crate::event::{Event, EventKind, EventSink, Process};
use crate::log::Log;
use crate::value::{self, Converted, Value};

#[cfg(feature = "shuttle")]
mod execution;
#[cfg(feature = "shuttle")]
pub(crate) use execution::drop_spare;

/// A history being recorded: a cheap handle, shared by cloning, safe to use from any thread.
///
/// Each thread that records into a history is one process, numbered 0, 1, 2, … in the order
/// threads first record. After an operation ends in `info` the thread continues as a new
/// process, because a Jepsen process whose operation's outcome is unknown never invokes again.
///
/// ```
/// use lockstep_history::{History, EventKind};
///
/// let h = History::new();
/// h.invoke("write", 1);
/// h.ok("write", ());           // unit echoes the invoke's value
/// let read = h.op("read", (), || 1);
/// assert_eq!(read, 1);
///
/// let events = h.events();
/// assert_eq!(events.len(), 4);
/// assert_eq!(events[1].kind, EventKind::Ok);
/// assert_eq!(events[1].value, 1);
/// assert!(h.validate().is_ok());
/// ```
#[derive(Clone)]
pub struct History {
    inner: Arc<Inner>,
}

struct Inner {
    start: Instant,
    store: Store,
    sink: Option<Box<dyn EventSink>>,
    /// Recorded calls that ran with no history installed while this one was open.
    lost: AtomicU64,
    /// The first of them.
    first_lost: OnceLock<LostCall>,
}

/// Where a history keeps its events.
// Made once per history, inside its `Arc`: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
enum Store {
    /// Any number of threads recording at once: a log per process.
    Logs(Logs),
    /// The history of one explorer execution, whose shuttle tasks run one at a time on one
    /// OS thread: one list in index order (see [`execution`]).
    #[cfg(feature = "shuttle")]
    Execution(execution::Locked),
}

/// The events of a history that threads record into at once.
struct Logs {
    next_index: AtomicU64,
    next_process: AtomicU64,
    /// One log per process that has recorded; never shrinks, so an index names it forever.
    slots: boxcar::Vec<Slot>,
}

/// A recorded call that ran with no history installed while a history was open: which
/// function, on which thread. See [`History::lost_calls`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostCall {
    /// The recorded function's `f` (its op name).
    pub function: String,
    /// The thread it ran on: its name, or its id when it has none (a test's thread is named
    /// after the test).
    pub thread: String,
}

impl LostCall {
    /// The call to `function` being made now, on this thread.
    pub(crate) fn here(function: &str) -> LostCall {
        let thread = std::thread::current();
        let thread = match thread.name() {
            Some(name) => name.to_owned(),
            None => format!("{:?}", thread.id()),
        };
        LostCall {
            function: function.to_owned(),
            thread,
        }
    }
}

impl fmt::Display for LostCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` on thread `{}`", self.function, self.thread)
    }
}

#[cfg(feature = "shuttle")]
impl Drop for Inner {
    fn drop(&mut self) {
        if let Store::Execution(events) = &mut self.store {
            execution::recycle(events.get_mut());
        }
    }
}

/// The log of one process (a thread, a future run with `in_history`, or a recorded future
/// running beside another on one task).
struct Slot {
    /// Boxed: the slot vector zeroes its first 32 slots at once, and a log inline is ~500 bytes.
    events: Box<Log<Event>>,
    /// The process number it records under now; bumped after an `info`.
    process: AtomicU64,
}

impl Default for History {
    fn default() -> Self {
        History::new()
    }
}

impl fmt::Debug for History {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("History")
            .field("events", &self.len())
            .field("processes", &self.processes())
            .finish()
    }
}

impl PartialEq for History {
    /// Two handles are equal when they are the same history.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for History {}

impl History {
    /// An empty history whose clock starts now.
    pub fn new() -> History {
        History::build(None)
    }

    /// An empty history that also hands every event to `sink` as it is recorded.
    pub fn with_sink(sink: impl EventSink) -> History {
        History::build(Some(Box::new(sink)))
    }

    /// An empty history for the explorer's execution under way on this thread, made of the
    /// emptied buffers of the last such history dropped here, if any. The explorer makes one
    /// when the last execution's history is still held elsewhere (otherwise it empties and
    /// reuses that one, see [`History::take_events_to_reuse`]), so it allocates nothing for
    /// histories in the steady state.
    #[cfg(feature = "shuttle")]
    pub(crate) fn for_execution() -> History {
        History::with_store(
            None,
            Store::Execution(execution::Locked::new(execution::Events::new())),
        )
    }

    fn build(sink: Option<Box<dyn EventSink>>) -> History {
        let logs = Logs {
            next_index: AtomicU64::new(0),
            next_process: AtomicU64::new(0),
            slots: boxcar::Vec::new(),
        };
        History::with_store(sink, Store::Logs(logs))
    }

    fn with_store(sink: Option<Box<dyn EventSink>>, store: Store) -> History {
        History {
            inner: Arc::new(Inner {
                start: Instant::now(),
                store,
                sink,
                lost: AtomicU64::new(0),
                first_lost: OnceLock::new(),
            }),
        }
    }

    /// How many processes have recorded.
    fn processes(&self) -> u64 {
        match &self.inner.store {
            Store::Logs(logs) => logs.next_process.load(Ordering::Relaxed),
            #[cfg(feature = "shuttle")]
            Store::Execution(events) => events.lock().processes(),
        }
    }

    /// Records that this thread's process invokes `f` with input `value`.
    pub fn invoke<V: Serialize>(&self, f: impl Into<Cow<'static, str>>, value: V) {
        // Converted before the history is locked: a `Serialize` impl may itself read or
        // record into this history.
        let value = convert(&value);
        self.record_with(EventKind::Invoke, f.into(), |_| value, None);
    }

    /// Records that this thread's pending `f` completed with `value`. A unit value (`()`)
    /// echoes the invoke's input, as Jepsen does for writes.
    pub fn ok<V: Serialize>(&self, f: impl Into<Cow<'static, str>>, value: V) {
        self.record_with(EventKind::Ok, f.into(), ok_value(&value), None);
    }

    /// Records that this thread's pending `f` definitely did not take effect, because of
    /// `reason`. The event's value echoes the invoke's input.
    pub fn fail<R: Serialize>(&self, f: impl Into<Cow<'static, str>>, reason: R) {
        self.end_with(EventKind::Fail, f.into(), convert(&reason));
    }

    /// Records that the outcome of this thread's pending `f` is unknown, because of `reason`
    /// (a timeout, a lost connection). The thread continues as a new process.
    pub fn info<R: Serialize>(&self, f: impl Into<Cow<'static, str>>, reason: R) {
        self.end_with(EventKind::Info, f.into(), convert(&reason));
    }

    /// Runs `body` as one operation: records the invoke with `args`, then `ok` with the
    /// body's result. If the body panics, records `info` with the panic message and
    /// continues the panic with its original payload. Recorded calls the body makes into
    /// this history on this thread are part of this operation, not operations of their own,
    /// as for a recorded call inside another.
    pub fn op<A: Serialize, R: Serialize>(
        &self,
        f: impl Into<Cow<'static, str>>,
        args: A,
        body: impl FnOnce() -> R,
    ) -> R {
        let f = f.into();
        // As a recorded call does: on a fresh process if this one already has an operation
        // pending (a recorded future beside this call on the same task or thread).
        let slot = self.begin_op(f.clone(), convert(&args));
        let result = {
            // Recorded calls the body makes into this history are part of this operation.
            let _in_op = InOp::enter(self);
            panic::catch_unwind(AssertUnwindSafe(body))
        };
        match result {
            Ok(result) => {
                self.record_on(slot, EventKind::Ok, f, ok_value(&result), None);
                result
            }
            Err(payload) => self.end_panic(slot, f, payload),
        }
    }

    /// Ends the operation begun on `slot` in `info` for a panic, then continues the panic
    /// with its original payload. Shared by [`History::op`] and recorded calls.
    pub(crate) fn end_panic(
        &self,
        slot: usize,
        f: Cow<'static, str>,
        payload: Box<dyn std::any::Any + Send>,
    ) -> ! {
        let reason = Value::from(format!("panic: {}", panic_message(&*payload)));
        self.record_on(slot, EventKind::Info, f, echo, Some(reason));
        panic::resume_unwind(payload)
    }

    /// A snapshot of every event recorded so far, in index order.
    pub fn events(&self) -> Vec<Event> {
        match &self.inner.store {
            Store::Logs(logs) => {
                let mut events: Vec<Event> = Vec::with_capacity(self.len());
                for (_, slot) in logs.slots.iter() {
                    events.extend(slot.events.iter().cloned());
                }
                events.sort_unstable_by_key(|e| e.index);
                events
            }
            #[cfg(feature = "shuttle")]
            Store::Execution(events) => events.lock().list().to_vec(),
        }
    }

    /// Every event of this history, in index order, as [`History::events`] returns them,
    /// into `out` (emptied first): a buffer the caller keeps from one history to the next.
    #[cfg(feature = "shuttle")]
    pub(crate) fn events_into(&self, out: &mut Vec<Event>) {
        out.clear();
        match &self.inner.store {
            Store::Logs(_) => out.extend(self.events()),
            Store::Execution(events) => out.extend_from_slice(events.lock().list()),
        }
    }

    /// Every event of this history, in index order, into `out`; and, when this is its last
    /// handle and it is an execution's, the history itself, emptied of its events, for
    /// [`History::reused_for_execution`]: so the explorer makes no history per execution in
    /// the steady state. Then `out` and the history's list trade places, so the events are
    /// neither copied nor moved; otherwise they are copied as [`History::events_into`] does.
    /// `owning` says whether some event in `out` owns memory (true when unknown); returns
    /// the same of the events taken.
    #[cfg(feature = "shuttle")]
    pub(crate) fn take_events_to_reuse(
        mut self,
        out: &mut Vec<Event>,
        owning: bool,
    ) -> (bool, Option<History>) {
        execution::clear(out, owning);
        if let Some(inner) = Arc::get_mut(&mut self.inner)
            && let Store::Execution(events) = &mut inner.store
        {
            let owning = events.get_mut().swap_list(out);
            *inner.lost.get_mut() = 0;
            inner.first_lost = OnceLock::new();
            return (owning, Some(self));
        }
        self.events_into(out);
        (true, None)
    }

    /// Readies a history [`History::take_events_to_reuse`] returned for the explorer's
    /// execution now starting on this thread, as [`History::for_execution`] makes one: no
    /// events, no processes, task ids read in that execution. `None` if another handle to
    /// it appeared meanwhile.
    #[cfg(feature = "shuttle")]
    pub(crate) fn reused_for_execution(mut self) -> Option<History> {
        if let Store::Execution(events) = &mut Arc::get_mut(&mut self.inner)?.store {
            events.get_mut().reset();
        }
        Some(self)
    }

    /// How many events have been recorded so far.
    pub fn len(&self) -> usize {
        match &self.inner.store {
            Store::Logs(logs) => logs.slots.iter().map(|(_, s)| s.events.len()).sum(),
            #[cfg(feature = "shuttle")]
            Store::Execution(events) => events.lock().list().len(),
        }
    }

    /// Whether nothing has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many recorded calls ran with no history installed while this history was open
    /// (inside [`with_history`](crate::with_history) or its async counterpart, or while a
    /// future ran [`in_history`](crate::InHistory::in_history)): calls in a thread or task
    /// the history was not carried into, missing from it. [`History::validate`] and
    /// [`History::check`] fail when there are any.
    pub fn lost_calls(&self) -> u64 {
        self.inner.lost.load(Ordering::Relaxed)
    }

    /// The first call counted in [`History::lost_calls`], if any: which function, on which
    /// thread, to tell where the history was not carried.
    pub fn first_lost_call(&self) -> Option<&LostCall> {
        self.inner.first_lost.get()
    }

    /// Counts one recorded call that ran outside any history while this one was open.
    pub(crate) fn count_lost(&self, call: &LostCall) {
        self.inner.first_lost.get_or_init(|| call.clone());
        self.inner.lost.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a fail or info echoing the pending invoke.
    fn end_with(&self, kind: EventKind, f: Cow<'static, str>, reason: Value) {
        self.record_with(kind, f, echo, Some(reason));
    }

    /// Records one event on this thread's (or this task's) process. `value` sees the input
    /// of the process's pending invoke, if its last event is one.
    fn record_with(
        &self,
        kind: EventKind,
        f: Cow<'static, str>,
        value: impl FnOnce(Option<&Value>) -> Value,
        error: Option<Value>,
    ) {
        self.record_on(self.slot_index(), kind, f, value, error);
    }

    /// An address that identifies this history while any handle to it is alive.
    pub(crate) fn addr(&self) -> usize {
        Arc::as_ptr(&self.inner).addr()
    }

    /// Records the invoke of an operation that may overlap others started on this thread
    /// (futures polled side by side by one task): on this thread's (or task's) process, or on
    /// a fresh process when that one already has an operation pending. Returns the log it
    /// went to, for [`History::record_on`].
    pub(crate) fn begin_op(&self, f: Cow<'static, str>, value: Value) -> usize {
        let slot = self.idle_slot(self.slot_index());
        self.record_on(slot, EventKind::Invoke, f, |_| value, None);
        slot
    }

    /// `slot`, unless its process has an operation pending: then a fresh process's.
    #[inline]
    fn idle_slot(&self, slot: usize) -> usize {
        match &self.inner.store {
            Store::Logs(logs) => {
                if invoke_value(logs.slots[slot].events.last()).is_some() {
                    self.new_slot()
                } else {
                    slot
                }
            }
            #[cfg(feature = "shuttle")]
            Store::Execution(events) => events.lock().idle_slot(slot),
        }
    }

    /// Records one event on the process whose log is `slot` (for a completion: the slot its
    /// invoke went to, whichever thread completes it). `value` sees the input of that
    /// process's pending invoke. A nil `error` is no error: every file format reads a nil
    /// `error` as absent, so it is recorded as absent.
    pub(crate) fn record_on(
        &self,
        slot: usize,
        kind: EventKind,
        f: Cow<'static, str>,
        value: impl FnOnce(Option<&Value>) -> Value,
        error: Option<Value>,
    ) {
        // Under shuttle, every invoke and completion is a point where another task may run.
        #[cfg(feature = "shuttle")]
        crate::explore::scheduling_point();
        self.record_here(slot, kind, f, value, error);
    }

    /// [`History::record_on`] once past the scheduling point.
    #[inline]
    fn record_here(
        &self,
        slot: usize,
        kind: EventKind,
        f: Cow<'static, str>,
        value: impl FnOnce(Option<&Value>) -> Value,
        error: Option<Value>,
    ) {
        let error = error.filter(|e| !e.is_nil());
        match &self.inner.store {
            Store::Logs(logs) => self.record_in_log(logs, slot, kind, f, value, error),
            #[cfg(feature = "shuttle")]
            Store::Execution(events) => {
                self.record_in_execution(&mut events.lock(), slot, kind, f, value, error);
            }
        }
    }

    /// [`History::record_on`] for an execution's history, whose events are locked.
    #[cfg(feature = "shuttle")]
    #[inline]
    fn record_in_execution(
        &self,
        events: &mut execution::Events,
        slot: usize,
        kind: EventKind,
        f: Cow<'static, str>,
        value: impl FnOnce(Option<&Value>) -> Value,
        error: Option<Value>,
    ) {
        let event = events.record(slot, kind, f, value, error);
        if let Some(sink) = &self.inner.sink {
            sink.record(event);
        }
    }

    /// [`History::record_on`] for a history of threads recording at once.
    #[inline]
    fn record_in_log(
        &self,
        logs: &Logs,
        slot: usize,
        kind: EventKind,
        f: Cow<'static, str>,
        value: impl FnOnce(Option<&Value>) -> Value,
        error: Option<Value>,
    ) {
        let slot = &logs.slots[slot];
        // Held for the whole event, so a log stays in index order and its echo is the
        // invoke it follows. Uncontended unless an op completes on another thread while
        // this process records (a task that moved threads).
        let mut writer = slot.events.writer();
        let value = value(invoke_value(writer.last()));
        // Relaxed is enough: the counter's modification order alone puts an event recorded
        // after another call returned (in happens-before) after that call's event.
        let index = logs.next_index.fetch_add(1, Ordering::Relaxed);
        let event = Event {
            index,
            time: self.time(),
            kind,
            process: Process::Id(slot.process.load(Ordering::Relaxed)),
            f,
            value,
            error,
        };
        if let Some(sink) = &self.inner.sink {
            sink.record(&event);
        }
        writer.push(event);
        if kind == EventKind::Info {
            let fresh = logs.next_process.fetch_add(1, Ordering::Relaxed);
            slot.process.store(fresh, Ordering::Relaxed);
        }
    }

    /// Nanoseconds since the history began.
    #[inline]
    fn time(&self) -> u64 {
        u64::try_from(self.inner.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Opens a new process log and returns its index.
    fn new_slot(&self) -> usize {
        match &self.inner.store {
            Store::Logs(logs) => {
                let process = logs.next_process.fetch_add(1, Ordering::Relaxed);
                logs.slots.push(Slot {
                    events: Box::new(Log::new()),
                    process: AtomicU64::new(process),
                })
            }
            #[cfg(feature = "shuttle")]
            Store::Execution(events) => events.lock().new_slot(),
        }
    }

    /// The log this thread records into: the polled task's, if a task of this history is
    /// being polled, otherwise the thread's own, opened on first use.
    fn slot_index(&self) -> usize {
        let found = with_bindings(|b| self.slot_in(&mut b.borrow_mut()));
        // During thread teardown the thread-locals are gone: record on a fresh process
        // rather than lose the event.
        found.unwrap_or_else(|| self.new_slot())
    }

    /// The log this thread (or task), whose bindings are `b`, records into.
    fn slot_in(&self, b: &mut Bindings) -> usize {
        if let Some(task) = &b.task
            && Weak::as_ptr(&task.owner) == Arc::as_ptr(&self.inner)
        {
            return *task.slot.get_or_init(|| self.new_slot());
        }
        // An execution's history knows each of its tasks' process itself.
        #[cfg(feature = "shuttle")]
        if let Store::Execution(events) = &self.inner.store
            && let Some(slot) = events.lock().task_slot()
        {
            return slot;
        }
        let me = Arc::as_ptr(&self.inner);
        if let Some((_, slot)) = b.threads.iter().find(|(h, _)| Weak::as_ptr(h) == me) {
            return *slot;
        }
        b.threads.retain(|(h, _)| h.strong_count() > 0);
        let slot = self.new_slot();
        b.threads.push((Arc::downgrade(&self.inner), slot));
        slot
    }

    /// Begins a recorded call's operation, as [`History::begin_op`] does, unless an
    /// operation of this history is already running its body on this thread (or task): then
    /// the call is part of it, and this returns `None` without calling `args`. Whether one
    /// runs and which process records are learnt in one look-up.
    pub(crate) fn begin_call(
        &self,
        f: Cow<'static, str>,
        args: impl FnOnce() -> Value,
    ) -> Option<usize> {
        let found = with_bindings(|b| {
            let mut b = b.borrow_mut();
            (b.in_op != self.addr()).then(|| self.slot_in(&mut b))
        });
        let slot = match found {
            Some(None) => return None,
            Some(Some(slot)) => slot,
            None => self.new_slot(),
        };
        Some(self.invoke_on(slot, f, args))
    }

    /// Records a recorded call's invoke on `slot`, or on a fresh process if that one has an
    /// operation pending (as [`History::begin_op`] does), and returns the log it went to.
    fn invoke_on(&self, slot: usize, f: Cow<'static, str>, args: impl FnOnce() -> Value) -> usize {
        let value = args();
        let slot = self.idle_slot(slot);
        self.record_on(slot, EventKind::Invoke, f, |_| value, None);
        slot
    }

    /// Whether a recorded call made now on this shuttle task, whose bindings are `b`, records
    /// its invoke by [`History::invoke_on_task`]: into an execution's history, with no task
    /// of this history being polled here. Otherwise the log is [`History::slot_in`]'s.
    #[cfg(feature = "shuttle")]
    #[inline]
    fn records_by_task(&self, b: &Bindings) -> bool {
        matches!(self.inner.store, Store::Execution(_))
            && b.task
                .as_ref()
                .is_none_or(|task| Weak::as_ptr(&task.owner) != Arc::as_ptr(&self.inner))
    }

    /// Records a recorded call's invoke in an execution's history on the running task's
    /// process, or on a fresh process if that one has an operation pending, and returns the
    /// log it went to. The process is learnt and the event recorded under one lock. A task
    /// of another execution than the history's records as a thread does.
    #[cfg(feature = "shuttle")]
    fn invoke_on_task(&self, f: Cow<'static, str>, args: impl FnOnce() -> Value) -> usize {
        let value = args();
        crate::explore::scheduling_point();
        if let Store::Execution(events) = &self.inner.store {
            let mut events = events.lock();
            if let Some(slot) = events.idle_task_slot() {
                self.record_in_execution(&mut events, slot, EventKind::Invoke, f, |_| value, None);
                return slot;
            }
        }
        self.invoke_off_task(f, value)
    }

    /// [`History::invoke_on_task`] from a task of another execution than the history's,
    /// past the scheduling point: out of line, off the explorer's common path.
    #[cfg(feature = "shuttle")]
    #[cold]
    #[inline(never)]
    fn invoke_off_task(&self, f: Cow<'static, str>, value: Value) -> usize {
        let slot = self.idle_slot(self.slot_index());
        self.record_here(slot, EventKind::Invoke, f, |_| value, None);
        slot
    }
}

/// Runs `f` on this thread's (or, inside a shuttle execution, this task's)
/// [`Bindings::in_op`].
fn with_in_op<R>(f: impl FnOnce(&mut usize) -> R) -> Option<R> {
    with_bindings(|b| f(&mut b.borrow_mut().in_op))
}

/// Marks this thread (or task) as inside an operation's body until dropped (also on panic).
pub(crate) struct InOp {
    /// What was marked before, put back by the drop.
    previous: usize,
    /// Inside the explorer's executions, the task's state, kept so that the drop needs no
    /// look-up.
    #[cfg(feature = "shuttle")]
    task: Option<std::rc::Rc<TaskState>>,
}

impl InOp {
    /// Marks this thread as running an operation of `history`.
    pub(crate) fn enter(history: &History) -> InOp {
        InOp::mark(history.addr())
    }

    /// Marks this thread as running no operation, as work that is not part of the running
    /// one does (a job a thread pool runs while the operation waits).
    pub(crate) fn leave() -> InOp {
        InOp::mark(0)
    }

    /// Marks this thread as running an operation of the history at `addr`, or none for 0.
    fn mark(addr: usize) -> InOp {
        #[cfg(feature = "shuttle")]
        if let Some(task) = TASK.explorer_value() {
            let previous = std::mem::replace(&mut task.bindings.borrow_mut().in_op, addr);
            return InOp {
                previous,
                task: Some(task),
            };
        }
        InOp {
            previous: with_in_op(|c| std::mem::replace(c, addr)).unwrap_or(0),
            #[cfg(feature = "shuttle")]
            task: None,
        }
    }
}

impl Drop for InOp {
    fn drop(&mut self) {
        #[cfg(feature = "shuttle")]
        if let Some(task) = self.task.take() {
            task.bindings.borrow_mut().in_op = self.previous;
            return;
        }
        let _ = with_in_op(|c| *c = self.previous);
    }
}

impl fmt::Debug for InOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InOp")
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

impl History {
    /// Whether an operation of this history is running its body on this thread (or task).
    pub(crate) fn op_running_here(&self) -> bool {
        with_in_op(|c| *c) == Some(self.addr())
    }

    /// Runs `body`, which carries this history into work that is not part of the operation
    /// running on this thread (see [`History::op_running_here`]), as a process of its own:
    /// the thread's process has that operation pending.
    pub(crate) fn apart_from_running_op<R>(&self, body: impl FnOnce() -> R) -> R {
        let _left = InOp::leave();
        TaskProcess::new(self).enter(body)
    }
}

/// A process that belongs to a task rather than a thread: a future run with `in_history`
/// records as this process whichever thread polls it.
pub(crate) struct TaskProcess {
    owner: Weak<Inner>,
    slot: OnceLock<usize>,
}

impl TaskProcess {
    /// A process of `history` that opens its log the first time it records.
    pub(crate) fn new(history: &History) -> Arc<TaskProcess> {
        Arc::new(TaskProcess {
            owner: Arc::downgrade(&history.inner),
            slot: OnceLock::new(),
        })
    }

    /// Runs `body` with this as the recording process for its history on this thread.
    pub(crate) fn enter<R>(self: &Arc<Self>, body: impl FnOnce() -> R) -> R {
        struct Restore(Option<Arc<TaskProcess>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0.take();
                let _ = with_bindings(|b| b.borrow_mut().task = prev);
            }
        }
        let prev = with_bindings(|b| b.borrow_mut().task.replace(Arc::clone(self))).flatten();
        let _restore = Restore(prev);
        body()
    }
}

/// Which process this thread records as, per history.
struct Bindings {
    /// The task being polled on this thread, if any.
    task: Option<Arc<TaskProcess>>,
    /// This thread's own log in each history it has recorded into. The weak handle keeps
    /// the history's address from being reused, so comparing addresses is sound.
    threads: Vec<(Weak<Inner>, usize)>,
    /// The history (by [`History::addr`]) whose operation's body is running on this thread
    /// (for an async call: whose future is being polled), or 0. Recorded calls made then into
    /// that history belong to that operation and are not operations of their own; a body
    /// that installs a history of its own still records into it. Kept here, beside the
    /// process, so that a recorded call learns both in one look-up.
    in_op: usize,
}

thread_local! {
    static BINDINGS: RefCell<Bindings> = const {
        RefCell::new(Bindings { task: None, threads: Vec::new(), in_op: 0 })
    };
}

/// What a shuttle task records with, inside an execution: the history installed on it (see
/// [`crate::context`]) and which process it records as, side by side so that a recorded call
/// learns both in one look-up.
#[cfg(feature = "shuttle")]
pub(crate) struct TaskState {
    /// The task's current history.
    pub(crate) current: RefCell<Option<History>>,
    bindings: RefCell<Bindings>,
}

#[cfg(feature = "shuttle")]
crate::explore::task_local! {
    pub(crate) static TASK: TaskState = const {
        TaskState {
            current: RefCell::new(None),
            bindings: RefCell::new(Bindings { task: None, threads: Vec::new(), in_op: 0 }),
        }
    };
}

/// Runs `f` on this thread's bindings or, inside a shuttle execution (where every task runs
/// on one OS thread), on this shuttle task's: there each task is a process of its own.
/// `None` during thread or task teardown.
fn with_bindings<R>(f: impl FnOnce(&RefCell<Bindings>) -> R) -> Option<R> {
    #[cfg(feature = "shuttle")]
    if crate::explore::in_execution() {
        return TASK.try_with(|t| f(&t.bindings)).ok();
    }
    BINDINGS.try_with(f).ok()
}

/// How a recorded call made on a shuttle task inside an execution records its invoke.
#[cfg(feature = "shuttle")]
enum TaskCall {
    /// An operation of the history runs its body on this task: the call is part of it.
    PartOfOp,
    /// By [`History::invoke_on_task`].
    ByTask,
    /// On this log.
    On(usize),
}

/// Begins a recorded call into the history installed on this thread (or task): `None` when
/// there is none; the history and `None` when an operation of it is already running its body
/// here (the call is part of it, and `args` is not called); else the history and the log
/// its invoke went to, as [`History::begin_call`] returns it.
pub(crate) fn begin_current(
    f: Cow<'static, str>,
    args: impl FnOnce() -> Value,
) -> Option<(History, Option<usize>)> {
    #[cfg(feature = "shuttle")]
    if crate::explore::in_execution() {
        // The history, whether its operation runs here, and how the process is found, in
        // one look-up.
        let (history, call) = TASK
            .try_with(|t| {
                let history = t.current.try_borrow().ok()?.clone()?;
                let mut b = t.bindings.borrow_mut();
                let call = if b.in_op == history.addr() {
                    TaskCall::PartOfOp
                } else if history.records_by_task(&b) {
                    TaskCall::ByTask
                } else {
                    TaskCall::On(history.idle_slot(history.slot_in(&mut b)))
                };
                Some((history, call))
            })
            .ok()
            .flatten()?;
        let slot = match call {
            TaskCall::PartOfOp => None,
            TaskCall::ByTask => Some(history.invoke_on_task(f, args)),
            TaskCall::On(slot) => Some(invoke_on_slot(&history, slot, f, args)),
        };
        return Some((history, slot));
    }
    begin_on_thread(f, args)
}

/// [`begin_current`] on a task that records on another process than its own: one polling a
/// future bound to a history, or any recorded call into a history other than an
/// execution's own (one made with `with_history` inside the body). Kept out of line, off
/// the path of the execution's own history.
#[cfg(feature = "shuttle")]
#[inline(never)]
fn invoke_on_slot(
    history: &History,
    slot: usize,
    f: Cow<'static, str>,
    args: impl FnOnce() -> Value,
) -> usize {
    let value = args();
    history.record_on(slot, EventKind::Invoke, f, |_| value, None);
    slot
}

/// [`begin_current`] outside a shuttle execution. With the explorer built in, kept out of
/// line, so that the explorer's path, run at every recorded call of every execution, stays
/// short in the instruction cache (it measured about 5 % fewer instruction-cache misses per
/// execution in the `explore` bench's scenario).
#[cfg_attr(feature = "shuttle", inline(never))]
fn begin_on_thread(
    f: Cow<'static, str>,
    args: impl FnOnce() -> Value,
) -> Option<(History, Option<usize>)> {
    let history = crate::context::recording()?;
    let slot = history.begin_call(f, args);
    Some((history, slot))
}

/// What an ok with this result records: the result, or the invoke's input (`pending`) when
/// the result is unit. The result is converted now, before the history is locked (a
/// `Serialize` impl may itself read or record into the history); only the echo is left
/// for the lock.
fn ok_value<V: Serialize + ?Sized>(result: &V) -> impl FnOnce(Option<&Value>) -> Value {
    let converted = match value::convert(result) {
        Ok(Converted::Unit) => None,
        Ok(Converted::Value(v)) => Some(v),
        Err(e) => Some(unrecordable(&e)),
    };
    move |pending| converted.unwrap_or_else(|| echo(pending))
}

/// The value of a completion that echoes its invoke's input.
pub(crate) fn echo(pending: Option<&Value>) -> Value {
    pending.cloned().unwrap_or_default()
}

/// The input of `last` if it is an invoke: what a completion after it echoes.
fn invoke_value(last: Option<&Event>) -> Option<&Value> {
    last.filter(|e| e.kind == EventKind::Invoke)
        .map(|e| &e.value)
}

pub(crate) fn convert<V: Serialize + ?Sized>(value: &V) -> Value {
    value::to_value(value).unwrap_or_else(|e| unrecordable(&e))
}

pub(crate) fn unrecordable(e: &value::ValueError) -> Value {
    Value::from(format!("<unrecordable: {e}>"))
}

/// The message of a panic payload (`&str` or `String`), as the default hook prints it.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_rules() {
        let h = History::new();
        h.invoke("write", 5);
        h.ok("write", ());
        h.invoke("get", 7);
        h.ok("get", None::<u8>);
        h.invoke("cas", [1, 2]);
        h.fail("cas", "mismatch");
        let e = h.events();
        assert_eq!(e[1].value, 5, "unit echoes");
        assert_eq!(e[3].value, Value::Nil, "None is nil, not an echo");
        assert_eq!(e[5].value, Value::from(vec![Value::Int(1), Value::Int(2)]));
        assert_eq!(e[5].error, Some(Value::from("mismatch")));
    }

    #[test]
    fn nil_reasons_are_no_error() {
        let h = History::new();
        h.invoke("write", 1);
        h.fail("write", ());
        assert_eq!(h.events()[1].error, None);
    }

    #[test]
    fn info_starts_a_new_process() {
        let h = History::new();
        h.invoke("write", 1);
        h.info("write", "timeout");
        h.invoke("read", ());
        h.ok("read", 1);
        let e = h.events();
        assert_eq!(e[1].process, 0);
        assert_eq!(e[1].value, 1, "info echoes the invoke");
        assert_eq!(e[1].error, Some(Value::from("timeout")));
        assert_eq!(e[2].process, 1);
        assert!(h.validate().is_ok());
    }

    #[test]
    fn op_reraises_the_original_panic_payload() {
        #[derive(Debug, PartialEq)]
        struct Boom(u32);
        let h = History::new();
        let caught = panic::catch_unwind(AssertUnwindSafe(|| {
            h.op("write", 1, || -> u8 { panic::panic_any(Boom(7)) })
        }))
        .unwrap_err();
        assert_eq!(caught.downcast_ref::<Boom>(), Some(&Boom(7)));
        let e = h.events();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].kind, EventKind::Info);
        assert_eq!(e[1].value, 1);
    }

    #[test]
    fn panic_message_is_recorded() {
        let h = History::new();
        let _ = panic::catch_unwind(AssertUnwindSafe(|| {
            h.op("read", (), || -> u8 { panic!("lost {}", 3) })
        }));
        assert_eq!(h.events()[1].error, Some(Value::from("panic: lost 3")));
    }

    /// An oracle that accepts every history, for tests of what an execution records.
    #[cfg(feature = "shuttle")]
    struct Accept;

    #[cfg(feature = "shuttle")]
    impl crate::explore::Oracle for Accept {
        fn judge(&self, _: &[Event], _: &crate::checker::Budget) -> crate::explore::Judgement {
            crate::explore::Judgement::Valid
        }
    }

    /// A value whose conversion reads the history it is recorded into: the number of
    /// events so far.
    struct Peek;

    impl Serialize for Peek {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_u64(crate::current().expect("a history is installed").len() as u64)
        }
    }

    /// Runs `record` on a thread of its own; fails (rather than hangs) if it does not end.
    fn ends_within_seconds(record: impl FnOnce() -> Vec<Event> + Send + 'static) -> Vec<Event> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(record()));
        rx.recv_timeout(std::time::Duration::from_secs(20))
            .expect("recording a value that reads its own history hung")
    }

    #[test]
    fn a_value_may_read_the_history_it_is_recorded_into() {
        let events = ends_within_seconds(|| {
            let ((), h) = crate::with_history(|| {
                let h = crate::current().unwrap();
                h.invoke("read", Peek);
                h.ok("read", Peek);
                h.op("read", Peek, || Peek);
            });
            h.events()
        });
        let values: Vec<_> = events.iter().map(|e| e.value.clone()).collect();
        assert_eq!(values, [0, 1, 2, 3].map(Value::from));
    }

    #[cfg(feature = "shuttle")]
    #[test]
    fn a_value_may_read_the_execution_history_it_is_recorded_into() {
        use crate::explore::{Explorer, Strategy};
        let events = ends_within_seconds(|| {
            let kept = Arc::new(std::sync::Mutex::new(Vec::new()));
            let keep = Arc::clone(&kept);
            Explorer::new(Strategy::random(1))
                .iterations(1)
                .run(&Accept, move || {
                    let h = crate::current().unwrap();
                    h.invoke("read", Peek);
                    h.ok("read", Peek);
                    h.op("read", Peek, || Peek);
                    *keep.lock().unwrap() = h.events();
                })
                .unwrap();
            kept.lock().unwrap().clone()
        });
        let values: Vec<_> = events.iter().map(|e| e.value.clone()).collect();
        assert_eq!(values, [0, 1, 2, 3].map(Value::from));
    }

    /// Each execution's history holds its own events only, numbered from 0; and when no
    /// handle outlives the execution, the next one records into the same history, emptied.
    #[cfg(feature = "shuttle")]
    #[test]
    fn each_execution_records_afresh_into_the_history_the_last_one_left() {
        use crate::explore::{Explorer, Judgement, Oracle, Strategy};
        struct OneCall;
        impl Oracle for OneCall {
            fn judge(&self, events: &[Event], _: &crate::checker::Budget) -> Judgement {
                let seen: Vec<_> = events.iter().map(|e| (e.index, e.time, e.kind)).collect();
                assert_eq!(
                    seen,
                    [
                        (0, 0, EventKind::Invoke),
                        (1, 1, EventKind::Ok),
                        (2, 2, EventKind::Invoke),
                        (3, 3, EventKind::Info),
                    ]
                );
                // After its `info` the task records as process 1: a log kept from the
                // execution before would start this one there.
                assert!(events.iter().all(|e| e.process == Process::Id(0)));
                Judgement::Valid
            }
        }
        // A history made afresh would start its clock anew (its address may well repeat).
        let starts: Arc<std::sync::Mutex<Vec<Instant>>> = Arc::default();
        let seen = Arc::clone(&starts);
        let summary = Explorer::new(Strategy::random(1))
            .iterations(5)
            .run(&OneCall, move || {
                // Two tasks, so that each execution has a choice and a next one runs.
                let other = crate::spawn(crate::explore::yield_point);
                let op = crate::macro_support::begin_with("g", (), |()| (Value::Int(1), ()));
                crate::macro_support::run(op.0, || (), crate::macro_support::Outcome::ok);
                let h = crate::current().unwrap();
                // An outcome unknown, with a reason that owns memory.
                h.invoke("i", ());
                h.info("i", "timed out");
                other.join().unwrap();
                seen.lock().unwrap().push(h.inner.start);
            })
            .unwrap();
        assert_eq!(summary.iterations, 5);
        let starts = starts.lock().unwrap();
        assert_eq!(starts.len(), 5);
        assert!(starts.iter().all(|s| *s == starts[0]), "{starts:?}");
    }

    #[cfg(feature = "shuttle")]
    #[test]
    fn a_history_of_an_earlier_execution_records_calls_made_in_later_ones() {
        use crate::explore::{Explorer, Strategy};
        let kept: Arc<std::sync::Mutex<Option<History>>> = Arc::default();
        let keep = Arc::clone(&kept);
        Explorer::new(Strategy::random(1))
            .iterations(3)
            .run(&Accept, move || {
                // Two tasks, so that each execution has a choice and a next one runs.
                let other = crate::spawn(crate::explore::yield_point);
                crate::explore::yield_point();
                other.join().unwrap();
                let mut kept = keep.lock().unwrap();
                let Some(h) = kept.clone() else {
                    *kept = crate::current();
                    return;
                };
                drop(kept);
                // A task of this execution, recording into the first execution's history:
                // a recorded call there, and one nested in an operation (part of it).
                h.in_scope(|| {
                    let op = crate::macro_support::begin("g", || Value::Int(1));
                    assert!(op.is_some(), "recorded");
                    crate::macro_support::run(op, || (), crate::macro_support::Outcome::ok);
                    h.op("outer", (), || {
                        let nested = crate::macro_support::begin("g", || unreachable!());
                        assert!(nested.is_none(), "part of the operation");
                    });
                });
            })
            .unwrap();
        let h = kept.lock().unwrap().clone().unwrap();
        let fs: Vec<_> = h
            .events()
            .iter()
            .map(|e| (e.kind, e.f.to_string()))
            .collect();
        let call = [
            (EventKind::Invoke, "g".to_string()),
            (EventKind::Ok, "g".to_string()),
            (EventKind::Invoke, "outer".to_string()),
            (EventKind::Ok, "outer".to_string()),
        ];
        assert_eq!(
            fs,
            [call.clone(), call].concat(),
            "two later executions, one call each"
        );
        assert!(h.validate().is_ok());
    }

    #[test]
    fn every_64_bit_integer_is_recorded() {
        let h = History::new();
        h.invoke("write", u64::MAX);
        h.ok("write", i64::MIN);
        let e = h.events();
        assert_eq!(e[0].value.as_u64(), Some(u64::MAX));
        assert_eq!(e[1].value.as_i64(), Some(i64::MIN));
    }

    #[test]
    fn unrecordable_values_are_recorded_as_data() {
        let h = History::new();
        h.invoke("write", u128::MAX);
        let e = h.events();
        assert!(e[0].value.as_str().unwrap().contains("does not fit"));
    }
}
