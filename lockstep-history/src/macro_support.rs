//! What `#[recorded]` expands to: the hidden runtime side of the attribute, reached by
//! generated code as `::lockstep_history::__private`. Not a public API; only [`Completion`]
//! is re-exported for users.
//!
//! One recorded call is one operation. [`begin`] records its invoke (or nothing, when no
//! history is installed or the call is nested inside another recorded call on this thread);
//! [`run`] or [`run_async`] runs the body and records how it ended. How it ended is read off
//! the body's return value by the `__lockstep_*` trait methods, picked per type by autoref
//! specialization at the call site, so `Result` is recognized whatever it is called
//! (`io::Result`, an alias, `anyhow::Result`); the ok value is then recorded through
//! [`RecordedOutput`], a `Serialize` bound the compiler checks, so a value the recorder
//! cannot see is a compile error, never a nil. [`run_future`] records a fn that returns a
//! future, [`Inline`] a `#[track_caller]` fn whose body runs inline.

use std::any::Any;
use std::borrow::Cow;
use std::convert::Infallible;
use std::fmt::{Debug, Display};
use std::future::Future;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use serde::Serialize;

use crate::context::{any_active, any_open, count_lost};
use crate::event::EventKind;
use crate::history::{self, History, InOp, echo};
use crate::value::{self, Converted, Value};

/// How an operation that returned an error ended: what a `#[recorded(classify = path)]`
/// function returns for each error.
///
/// ```
/// use lockstep_history::Completion;
///
/// enum DbError { Rejected, Timeout }
///
/// impl DbError {
///     // A timed-out write may still have been applied.
///     fn completion(&self) -> Completion {
///         match self {
///             DbError::Rejected => Completion::Fail,
///             DbError::Timeout => Completion::Info,
///         }
///     }
/// }
/// assert_eq!(DbError::Timeout.completion(), Completion::Info);
/// assert_eq!(DbError::Rejected.completion(), Completion::Fail);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Completion {
    /// The operation definitely did not take effect: recorded as `fail`.
    Fail,
    /// Its outcome is unknown: recorded as `info`, after which the process is a new one.
    Info,
}

/// An operation whose invoke is recorded and whose completion is not yet.
#[derive(Debug)]
pub struct Op {
    history: History,
    /// The process log the invoke went to; the completion goes there too, whichever thread
    /// records it.
    slot: usize,
    f: &'static str,
}

/// Starts an operation named `f`: records its invoke with the value `args` returns, and
/// returns the handle that records its completion. Returns `None`, without calling `args`,
/// when no history is installed (counting the call as lost if a history is open) or a
/// recorded call is already running on this thread.
#[inline(always)]
pub fn begin(f: &'static str, args: impl FnOnce() -> Value) -> Option<Op> {
    if any_active() {
        begin_active(f, args)
    } else {
        None
    }
}

/// [`begin`] when some history is installed or open somewhere: kept out of line, so that
/// a recorded call in a program that records nothing is one load and a branch. Marked cold
/// so that the compiler lays out the path that records nothing as the straight one.
#[cold]
#[inline(never)]
fn begin_active(f: &'static str, args: impl FnOnce() -> Value) -> Option<Op> {
    match history::begin_current(Cow::Borrowed(f), args) {
        Some((history, Some(slot))) => Some(Op { history, slot, f }),
        // Part of the operation running here.
        Some((_, None)) => None,
        None => {
            if any_open() {
                count_lost(f);
            }
            None
        }
    }
}

/// [`begin`] for a synchronous call, with the arguments the invoke value reads passed by
/// value and handed back: `invoke` makes the value from them and returns them. Borrowed by
/// a closure, the arguments would be stored to memory at every call, history or not; passed
/// by value they stay in registers on the path that records nothing.
#[inline(always)]
pub fn begin_with<A>(
    f: &'static str,
    args: A,
    invoke: impl FnOnce(A) -> (Value, A),
) -> (Option<Op>, A) {
    if any_active() {
        begin_active_with(f, args, invoke)
    } else {
        (None, args)
    }
}

/// [`begin_with`] when some history is installed or open somewhere: out of line and cold,
/// as [`begin_active`] is.
#[cold]
#[inline(never)]
fn begin_active_with<A>(
    f: &'static str,
    args: A,
    invoke: impl FnOnce(A) -> (Value, A),
) -> (Option<Op>, A) {
    let mut held = Some(args);
    let op = begin_active(f, || {
        let args = held.take().expect("the invoke value is taken once");
        let (value, args) = invoke(args);
        held = Some(args);
        value
    });
    let args = held.expect("the arguments are handed back by the invoke value");
    (op, args)
}

/// The invoke value of a call to a function that returns a future, taken when it is called
/// (its arguments then move into the future) and recorded at the future's first poll, as an
/// `async fn`'s is. Taken at every call, history or not: a future made before a history
/// opens and polled inside it is recorded there, as an `async fn`'s future is.
#[inline]
pub fn capture(args: impl FnOnce() -> Value) -> Value {
    args()
}

/// Records a call to a function returning a future as [`run_async`] records an `async fn`:
/// the invoke, with the value [`capture`]d at the call, at the first poll of `body`, the
/// completion when it is ready, `info` if it is dropped before.
#[inline]
pub fn run_future<R, F, O>(f: &'static str, args: Value, body: F, outcome: O) -> FutureCall<F, O>
where
    F: Future<Output = R>,
    O: FnOnce(&R) -> Outcome,
{
    FutureCall {
        start: Some((f, args)),
        call: run_async(None, body, outcome),
    }
}

/// The future returned by a recorded function returning a future. See [`run_future`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct FutureCall<F, O> {
    /// The name and captured invoke value, until the first poll begins the operation.
    start: Option<(&'static str, Value)>,
    call: OpFuture<F, O>,
}

impl<F, O> Future for FutureCall<F, O>
where
    F: Future,
    O: FnOnce(&F::Output) -> Outcome,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `call` is structurally pinned: never moved out of `self`, dropped in place
        // with it. `start` is not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        if let Some((f, args)) = this.start.take() {
            this.call.op = begin(f, || args);
        }
        unsafe { Pin::new_unchecked(&mut this.call) }.poll(cx)
    }
}

impl Op {
    fn end(self, outcome: Outcome) {
        let f = Cow::Borrowed(self.f);
        match outcome.0 {
            Ending::Ok(v) => self
                .history
                .record_on(self.slot, EventKind::Ok, f, |_| v, None),
            Ending::OkUnit => self
                .history
                .record_on(self.slot, EventKind::Ok, f, echo, None),
            Ending::ResultShaped { ok, inner } => {
                let v = result_value(ok, inner);
                self.history
                    .record_on(self.slot, EventKind::Ok, f, |_| v, None);
            }
            Ending::Error(completion, error) => {
                let kind = match completion {
                    Completion::Fail => EventKind::Fail,
                    Completion::Info => EventKind::Info,
                };
                self.history
                    .record_on(self.slot, kind, f, echo, Some(error));
            }
        }
    }

    fn end_info(self, reason: String) {
        self.end(Outcome::error(Completion::Info, Value::from(reason)));
    }

    /// Records how the body's `result` ended the operation. Should reading it panic (a
    /// `classify` function, or a `Serialize` or `Display` impl of the result), the operation
    /// ends in `info` and the panic continues.
    fn finish<R>(self, result: &R, outcome: impl FnOnce(&R) -> Outcome) {
        match panic::catch_unwind(AssertUnwindSafe(|| outcome(result))) {
            Ok(outcome) => self.end(outcome),
            Err(payload) => self.end_panic(payload),
        }
    }

    /// Records `info` for a panic, then continues it with its original payload.
    fn end_panic(self, payload: Box<dyn Any + Send>) -> ! {
        self.history
            .end_panic(self.slot, Cow::Borrowed(self.f), payload)
    }
}

/// Runs the body of a synchronous recorded call and records how it ended, if `op` is an
/// operation: `outcome` reads the result; a panic is recorded as `info` and then continues
/// with its original payload. With no operation, just calls `body`.
#[inline]
pub fn run<R, B, O>(op: Option<Op>, body: B, outcome: O) -> R
where
    B: FnOnce() -> R,
    O: FnOnce(&R) -> Outcome,
{
    match op {
        None => body(),
        Some(op) => run_recorded(op, body, outcome),
    }
}

fn run_recorded<R>(op: Op, body: impl FnOnce() -> R, outcome: impl FnOnce(&R) -> Outcome) -> R {
    let result = {
        let _in_op = InOp::enter(&op.history);
        panic::catch_unwind(AssertUnwindSafe(body))
    };
    match result {
        Ok(result) => {
            op.finish(&result, outcome);
            result
        }
        Err(payload) => op.end_panic(payload),
    }
}

/// A recorded call whose body runs inline rather than in a closure: a `#[track_caller]`
/// function, whose body must see its caller (a closure would hide it). Marks the thread as
/// inside the operation until [`Inline::finish`]; should the body panic, the operation ends
/// in `info` when this is dropped during the unwind.
#[derive(Debug)]
pub struct Inline {
    op: Option<Op>,
    in_op: Option<InOp>,
}

impl Inline {
    /// Starts running `op`'s body inline.
    #[inline]
    pub fn new(op: Option<Op>) -> Inline {
        let in_op = op.as_ref().map(|op| InOp::enter(&op.history));
        Inline { op, in_op }
    }

    /// Records how the body's `result` ended the operation, as [`run`] does.
    #[inline]
    pub fn finish<R>(mut self, result: &R, outcome: impl FnOnce(&R) -> Outcome) {
        self.in_op = None;
        if let Some(op) = self.op.take() {
            op.finish(result, outcome);
        }
    }
}

impl Drop for Inline {
    fn drop(&mut self) {
        self.in_op = None;
        if let Some(op) = self.op.take() {
            // Dropped unfinished: by an unwind, or by an early exit the generated code could
            // not see (a `return` or `?` inside a macro call, such as `bail!`). Either way
            // the result is unknown here.
            op.end_info(if std::thread::panicking() {
                String::from("panic")
            } else {
                String::from(
                    "returned early from inside a macro call; the result was not seen \
                     (write the `return` or `?` outside the macro)",
                )
            });
        }
    }
}

/// What `?` does, for a body that runs inline (see [`Inline`]): splits a `Result` or an
/// `Option` into the value it goes on with or the residual it returns.
pub trait Branch {
    /// The value `?` goes on with.
    type Output;
    /// What `?` returns early with.
    type Residual;
    /// Splits `self`.
    fn __lockstep_branch(self) -> ControlFlow<Self::Residual, Self::Output>;
}

impl<T, E> Branch for Result<T, E> {
    type Output = T;
    type Residual = Result<Infallible, E>;
    fn __lockstep_branch(self) -> ControlFlow<Result<Infallible, E>, T> {
        match self {
            Ok(v) => ControlFlow::Continue(v),
            Err(e) => ControlFlow::Break(Err(e)),
        }
    }
}

impl<T> Branch for Option<T> {
    type Output = T;
    type Residual = Option<Infallible>;
    fn __lockstep_branch(self) -> ControlFlow<Option<Infallible>, T> {
        match self {
            Some(v) => ControlFlow::Continue(v),
            None => ControlFlow::Break(None),
        }
    }
}

/// The early return of `?`, built from a [`Branch::Residual`] (converting the error with
/// `From`, as `?` does).
pub trait FromResidual<R> {
    /// The returned value.
    fn __lockstep_from_residual(residual: R) -> Self;
}

impl<T, E, F: From<E>> FromResidual<Result<Infallible, E>> for Result<T, F> {
    fn __lockstep_from_residual(residual: Result<Infallible, E>) -> Self {
        match residual {
            Err(e) => Err(F::from(e)),
        }
    }
}

impl<T> FromResidual<Option<Infallible>> for Option<T> {
    fn __lockstep_from_residual(_: Option<Infallible>) -> Self {
        None
    }
}

/// Wraps the body of an async recorded call (already started with [`begin`] at its first
/// poll) so that its completion is recorded when it is ready, `info` when it panics or is
/// dropped before it is ready.
#[inline]
pub fn run_async<R, F, O>(op: Option<Op>, body: F, outcome: O) -> OpFuture<F, O>
where
    F: Future<Output = R>,
    O: FnOnce(&R) -> Outcome,
{
    OpFuture {
        op,
        outcome: Some(outcome),
        body,
    }
}

/// The future of an async recorded call. See [`run_async`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct OpFuture<F, O> {
    op: Option<Op>,
    outcome: Option<O>,
    body: F,
}

impl<F, O> Future for OpFuture<F, O>
where
    F: Future,
    O: FnOnce(&F::Output) -> Outcome,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `body` is structurally pinned: it is never moved out of `self` and is
        // dropped in place with it. `op` and `outcome` are not pinned.
        let this = unsafe { self.get_unchecked_mut() };
        let body = unsafe { Pin::new_unchecked(&mut this.body) };
        let Some(op) = &this.op else {
            return body.poll(cx);
        };
        let polled = {
            let _in_op = InOp::enter(&op.history);
            panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx)))
        };
        match polled {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(result)) => {
                if let (Some(op), Some(outcome)) = (this.op.take(), this.outcome.take()) {
                    op.finish(&result, outcome);
                }
                Poll::Ready(result)
            }
            Err(payload) => match this.op.take() {
                Some(op) => op.end_panic(payload),
                None => panic::resume_unwind(payload),
            },
        }
    }
}

impl<F, O> Drop for OpFuture<F, O> {
    fn drop(&mut self) {
        if let Some(op) = self.op.take() {
            op.end_info(String::from("cancelled: dropped before completing"));
        }
    }
}

/// The invoke value of one recorded argument.
#[inline]
pub fn arg<T: RecordedArg + ?Sized>(value: &T) -> Value {
    value.__lockstep_arg()
}

/// The invoke value given by `#[recorded(value = ...)]`.
#[inline]
pub fn value<T: Serialize + ?Sized>(value: &T) -> Value {
    history::convert(value)
}

/// The invoke value of several arguments: a vector, in parameter order.
#[inline]
pub fn vector<const N: usize>(items: [Value; N]) -> Value {
    Value::Vector(Vec::from(items))
}

/// The invoke value of a call with nothing recorded.
#[inline]
pub fn nil() -> Value {
    Value::Nil
}

/// A type an argument of a recorded function can have: any `Serialize` type. In generic
/// code, `T: serde::Serialize` is the bound to write.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded: it does not implement `serde::Serialize`",
    label = "this argument is recorded in the invoke event, so its type must implement `Serialize`",
    note = "leave the argument out with `#[recorded(skip(name))]`, or record something else with `#[recorded(value = ...)]`"
)]
pub trait RecordedArg {
    /// The argument as a recorded value.
    fn __lockstep_arg(&self) -> Value;
}

// Not recommended, for the reason given at `RecordedOutput`'s impl: the error names the
// argument's type and this trait, not serde's trait at a path the user cannot write.
#[diagnostic::do_not_recommend]
impl<T: Serialize + ?Sized> RecordedArg for T {
    fn __lockstep_arg(&self) -> Value {
        history::convert(self)
    }
}

/// How a recorded call ended, as read off its return value.
#[derive(Debug)]
pub struct Outcome(Ending);

#[derive(Debug)]
enum Ending {
    Ok(Value),
    /// Ok with unit: echoes the invoke's value.
    OkUnit,
    Error(Completion, Value),
    /// A value that serialized as a `Result` variant (`ok` tells which) whose content is
    /// `inner` (`None` for unit), from a type the attribute could not see was a `Result`.
    /// Read as the call's outcome where the return type is that value's type
    /// ([`OutcomeOfValue`]), and as a plain value where it is the content of a `Result` the
    /// signature names ([`OutcomeOfResult`]).
    ResultShaped {
        ok: bool,
        inner: Option<Value>,
    },
}

impl Outcome {
    /// Completed with `value` (unit echoes the invoke's value).
    pub fn ok<T: Serialize + ?Sized>(value: &T) -> Outcome {
        Outcome(Ending::from_converted(value::convert(value)))
    }

    /// Completed with `value`, which may be a `Result` in disguise (a type parameter or an
    /// associated type): see [`Ending::ResultShaped`].
    fn ok_or_result_shaped<T: Serialize + ?Sized>(value: &T) -> Outcome {
        match value::result_variant(value) {
            Some((ok, inner)) => Outcome(Ending::ResultShaped {
                ok,
                inner: match Ending::from_converted(inner) {
                    Ending::Ok(v) => Some(v),
                    _ => None,
                },
            }),
            None => Outcome::ok(value),
        }
    }

    /// This outcome where the call's return type is the value's own type: a value shaped as
    /// a `Result` ends the call as that result would: ok with its content, or fail with its
    /// error.
    fn reading_results(self) -> Outcome {
        Outcome(match self.0 {
            Ending::ResultShaped {
                ok: true,
                inner: Some(v),
            } => Ending::Ok(v),
            Ending::ResultShaped {
                ok: true,
                inner: None,
            } => Ending::OkUnit,
            Ending::ResultShaped { ok: false, inner } => {
                Ending::Error(Completion::Fail, inner.unwrap_or(Value::Nil))
            }
            other => other,
        })
    }

    /// This outcome where the value is the content of a `Result` the signature names: a value
    /// shaped as a `Result` is recorded as it serializes (`{:Ok v}`, `{:Err e}`).
    fn into_plain_value(self) -> Outcome {
        Outcome(match self.0 {
            Ending::ResultShaped { ok, inner } => Ending::Ok(result_value(ok, inner)),
            other => other,
        })
    }

    /// Ended in an error, recorded as `fail` or `info` with `error` as the reason.
    pub fn error(completion: Completion, error: Value) -> Outcome {
        Outcome(Ending::Error(completion, error))
    }
}

/// A `Result` variant as it serializes: `{:Ok v}` or `{:Err e}`.
fn result_value(ok: bool, inner: Option<Value>) -> Value {
    let name = if ok { "Ok" } else { "Err" };
    Value::Map([(Value::keyword(name), inner.unwrap_or(Value::Nil))].into())
}

impl Ending {
    fn from_converted(converted: Result<Converted, value::ValueError>) -> Ending {
        match converted {
            Ok(Converted::Unit) => Ending::OkUnit,
            Ok(Converted::Value(v)) => Ending::Ok(v),
            Err(e) => Ending::Ok(history::unrecordable(&e)),
        }
    }
}

/// The outcome of a call that completed with `value`, which must be `Serialize`: in a
/// generic function, that is a bound the compiler checks, so no result is ever recorded as
/// an unseen nil.
#[inline]
pub fn ok<T: RecordedOutput + ?Sized>(value: &T) -> Outcome {
    value.__lockstep_output()
}

/// The outcome of a call that completed, recording what `#[recorded(output = ...)]` gives.
#[inline]
pub fn output<T: Serialize + ?Sized>(value: &T) -> Outcome {
    Outcome::ok(value)
}

/// A type a `#[recorded]` call can complete with: any `Serialize` type. In generic code,
/// `T: serde::Serialize` is the bound to write; `where Option<T>: RecordedOutput` works too.
#[diagnostic::on_unimplemented(
    message = "the result `{Self}` cannot be recorded: it does not implement `serde::Serialize`",
    label = "the value this call returns is recorded in its ok event",
    note = "give `{Self}` a `Serialize` implementation (for a type parameter or an associated type: a `Serialize` bound), or record something else with `#[recorded(output = |value| ...)]`, such as `output = |rows| rows.len()`"
)]
pub trait RecordedOutput {
    /// The outcome of completing with this value.
    fn __lockstep_output(&self) -> Outcome;
}

// Not recommended, so that a result that is not `Serialize` is reported as the result
// (`Option<T>`, `Vec<C::Row>`) with the message above, rather than as the innermost type that
// is missing an impl, with serde's message and a path the user cannot write.
#[diagnostic::do_not_recommend]
impl<T: Serialize + ?Sized> RecordedOutput for T {
    fn __lockstep_output(&self) -> Outcome {
        Outcome::ok_or_result_shaped(self)
    }
}

/// Borrows a value for the `__lockstep_*` methods, which generated code calls on
/// `&&&&Wrap(&x)`: method lookup tries `&&&Wrap`, then `&&Wrap`, `&Wrap` and `Wrap`, so the
/// most specific impl that applies to the value's type wins.
#[derive(Debug)]
pub struct Wrap<'a, T: ?Sized>(pub &'a T);

/// A type with no values, for the `Err` callback of a return type that is not a `Result`:
/// it is never called.
#[derive(Debug)]
pub enum Never {}

/// A return value that is a `Result`: `Ok` and `Err` are read by the callbacks.
pub trait OutcomeOfResult {
    /// The `Ok` type.
    type Ok: ?Sized;
    /// The `Err` type.
    type Err: ?Sized;
    /// Reads the result with `ok` or `err`.
    fn __lockstep_outcome(
        &self,
        ok: impl FnOnce(&Self::Ok) -> Outcome,
        err: impl FnOnce(&Self::Err) -> Outcome,
    ) -> Outcome;
}

impl<T, E> OutcomeOfResult for &&Wrap<'_, Result<T, E>> {
    type Ok = T;
    type Err = E;
    fn __lockstep_outcome(
        &self,
        ok: impl FnOnce(&T) -> Outcome,
        err: impl FnOnce(&E) -> Outcome,
    ) -> Outcome {
        match self.0 {
            Ok(v) => ok(v).into_plain_value(),
            Err(e) => err(e),
        }
    }
}

/// Any other return value: read whole by the `ok` callback.
pub trait OutcomeOfValue {
    /// The return type.
    type Ok: ?Sized;
    /// Reads the value with `ok`.
    fn __lockstep_outcome(
        &self,
        ok: impl FnOnce(&Self::Ok) -> Outcome,
        err: impl FnOnce(&Never) -> Outcome,
    ) -> Outcome;
}

impl<T: ?Sized> OutcomeOfValue for &Wrap<'_, T> {
    type Ok = T;
    fn __lockstep_outcome(
        &self,
        ok: impl FnOnce(&T) -> Outcome,
        _: impl FnOnce(&Never) -> Outcome,
    ) -> Outcome {
        ok(self.0).reading_results()
    }
}

/// An error that is `Serialize`: recorded as it serializes.
pub trait ErrSerialize {
    /// The recorded reason.
    fn __lockstep_error(&self) -> Value;
}

impl<T: Serialize + ?Sized> ErrSerialize for &&&Wrap<'_, T> {
    fn __lockstep_error(&self) -> Value {
        history::convert(self.0)
    }
}

/// An error that is `Display` (`io::Error`, `anyhow::Error`): recorded as its message.
pub trait ErrDisplay {
    /// The recorded reason.
    fn __lockstep_error(&self) -> Value;
}

impl<T: Display + ?Sized> ErrDisplay for &&Wrap<'_, T> {
    fn __lockstep_error(&self) -> Value {
        Value::from(self.0.to_string())
    }
}

/// An error that is only `Debug`: recorded as its debug form.
pub trait ErrDebug {
    /// The recorded reason.
    fn __lockstep_error(&self) -> Value;
}

impl<T: Debug + ?Sized> ErrDebug for &Wrap<'_, T> {
    fn __lockstep_error(&self) -> Value {
        Value::from(format!("{:?}", self.0))
    }
}

/// Any other error: recorded as its type's name, so a fail always says something.
pub trait ErrOther {
    /// The recorded reason.
    fn __lockstep_error(&self) -> Value;
}

impl<T: ?Sized> ErrOther for Wrap<'_, T> {
    fn __lockstep_error(&self) -> Value {
        Value::from(format!(
            "an error of type {} (not Serialize, Display or Debug)",
            std::any::type_name::<T>()
        ))
    }
}

/// Borrows a plain fn's result to tell whether it is a future: see [`not_a_future`].
#[derive(Debug)]
pub struct FutureProbe<'a, T: ?Sized>(pub &'a T);

/// What [`FutureProbe`] found: a future, whose type the attribute did not recognise as one.
#[derive(Debug)]
pub struct UnrecognisedFuture<T: ?Sized>(std::marker::PhantomData<T>);

/// What [`FutureProbe`] found: anything but a future.
#[derive(Debug)]
pub struct NotAFuture;

/// A result that is a future.
pub trait ProbeFuture {
    /// [`UnrecognisedFuture`].
    type Found;
    /// What the probe found.
    fn __lockstep_probe(&self) -> Self::Found;
}

impl<T: Future + ?Sized> ProbeFuture for &FutureProbe<'_, T> {
    type Found = UnrecognisedFuture<T>;
    fn __lockstep_probe(&self) -> UnrecognisedFuture<T> {
        UnrecognisedFuture(std::marker::PhantomData)
    }
}

/// Any other result.
pub trait ProbeOther {
    /// [`NotAFuture`].
    type Found;
    /// What the probe found.
    fn __lockstep_probe(&self) -> Self::Found;
}

impl<T: ?Sized> ProbeOther for FutureProbe<'_, T> {
    type Found = NotAFuture;
    fn __lockstep_probe(&self) -> NotAFuture {
        NotAFuture
    }
}

/// What a plain fn's result may be: anything but a future. A future reaches here when its
/// type hides what it is (a type alias of `Pin<Box<dyn Future<…>>>`): recorded as a value, the
/// call would end when the future is made, before any of its work.
#[diagnostic::on_unimplemented(
    message = "`#[recorded]` cannot see that this function returns a future",
    label = "a future behind a type alias",
    note = "write the future type out in the signature (`impl Future<Output = T>`, `Pin<Box<dyn Future<Output = T> + Send + '_>>` or `BoxFuture<'_, T>`), or make the function an `async fn`, so the call is recorded when the future runs"
)]
pub trait NotAFutureResult {}

impl NotAFutureResult for NotAFuture {}

/// Accepts anything [`FutureProbe`] found but a future.
#[inline]
pub fn not_a_future<T: NotAFutureResult>(_: T) {}

/// Brings the `__lockstep_*` methods into scope without bringing any name:
/// `use ::lockstep_history::__private::dispatch::*;`.
pub mod dispatch {
    pub use super::{
        ErrDebug as _, ErrDisplay as _, ErrOther as _, ErrSerialize as _, OutcomeOfResult as _,
        OutcomeOfValue as _, ProbeFuture as _, ProbeOther as _,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::with_history;

    #[test]
    fn nested_begin_records_nothing() {
        let ((), h) = with_history(|| {
            let outer = begin("outer", nil).unwrap();
            run(
                Some(outer),
                || assert!(begin("inner", || unreachable!()).is_none()),
                |()| Outcome::ok(&()),
            );
        });
        assert_eq!(h.events().len(), 2);
    }

    #[test]
    fn without_a_history_nothing_is_converted() {
        assert!(begin("read", || unreachable!()).is_none());
    }
}
