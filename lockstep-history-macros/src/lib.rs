//! The `#[recorded]` attribute for `lockstep-history`.
//!
//! Use it through the runtime crate (`use lockstep_history::recorded;`), never directly:
//! the generated code calls `::lockstep_history::__private`, the runtime's hidden support
//! module. See [`recorded`] for what it records.
//!
//! # What it expands to
//!
//! A method's body moves, unchanged, into a closure (or, for an `async fn`, an `async move`
//! block) so that `return` and `?` keep their meaning and every token keeps its span; around
//! it, `begin` records the invoke (only when a history is installed, and not inside
//! another recorded call), and `run` (or `run_async`) runs the body and reads its result. This is
//! `cargo expand`'s output, trimmed and formatted, for
//!
//! ```text
//! #[recorded(f = "write")]
//! pub fn write(&self, v: u64) -> Result<(), Error> {
//!     self.send(v)?;
//!     Ok(())
//! }
//!
//! #[recorded(f = "put", skip(opts), err = "info")]
//! pub async fn put(&mut self, key: &str, val: String, opts: &Opts) -> Result<(), Error> {
//!     self.send_all(key, val, opts).await
//! }
//! ```
//!
//! ```text
//! pub fn write(&self, v: u64) -> Result<(), Error> {
//!     let __lockstep_op = ::lockstep_history::__private::begin(
//!         "write",
//!         || ::lockstep_history::__private::arg(&v),
//!     );
//!     ::lockstep_history::__private::run::<Result<(), Error>, _, _>(
//!         __lockstep_op,
//!         move || {
//!             self.send(v)?;
//!             Ok(())
//!         },
//!         |__lockstep_result| {
//!             use ::lockstep_history::__private::dispatch::*;
//!             (&&&&::lockstep_history::__private::Wrap(__lockstep_result)).__lockstep_outcome(
//!                 |__lockstep_ok| (&&&&::lockstep_history::__private::Wrap(__lockstep_ok))
//!                     .__lockstep_ok(),
//!                 |__lockstep_err| ::lockstep_history::__private::Outcome::error(
//!                     ::lockstep_history::__private::Completion::Fail,
//!                     (&&&&::lockstep_history::__private::Wrap(__lockstep_err))
//!                         .__lockstep_error(),
//!                 ),
//!             )
//!         },
//!     )
//! }
//!
//! pub async fn put(&mut self, key: &str, val: String, opts: &Opts) -> Result<(), Error> {
//!     let __lockstep_op = ::lockstep_history::__private::begin(
//!         "put",
//!         || ::lockstep_history::__private::vector([
//!             ::lockstep_history::__private::arg(&key),
//!             ::lockstep_history::__private::arg(&val),
//!         ]),
//!     );
//!     ::lockstep_history::__private::run_async::<Result<(), Error>, _, _>(
//!         __lockstep_op,
//!         async move { self.send_all(key, val, opts).await },
//!         |__lockstep_result| {
//!             use ::lockstep_history::__private::dispatch::*;
//!             (&&&&::lockstep_history::__private::Wrap(__lockstep_result)).__lockstep_outcome(
//!                 |__lockstep_ok| /* as above */,
//!                 |__lockstep_err| ::lockstep_history::__private::Outcome::error(
//!                     ::lockstep_history::__private::Completion::Info,
//!                     /* as above */
//!                 ),
//!             )
//!         },
//!     )
//!     .await
//! }
//! ```
//!
//! The last closure is where the return type decides the completion. Method lookup on
//! `&&&Wrap(&result)` tries the impl for `&&Wrap<Result<T, E>>` first, then `&Wrap<T>`, so
//! any `Result` (whatever alias names it) reads `Ok`/`Err`, and any other type is the ok
//! value whole. The ok value goes to `__private::ok`, which requires `Serialize` through a
//! trait bound: for a concrete type, a type parameter or an associated type alike, a value
//! that cannot be seen is a compile error on the return type, never a nil. A similar lookup
//! picks an error's form: its `Serialize` form, else its `Display`, else its `Debug`.
//! The `__lockstep_*` names are hygienic (`Span::mixed_site`), so user code can neither see
//! nor shadow them.
//!
//! A fn returning a future (`impl Future<Output = T>`, `Pin<Box<dyn Future<Output = T> +
//! …>>`, `BoxFuture<'_, T>`) captures its invoke value when called (`__private::capture`),
//! then wraps the future its body returns (`__private::run_future`, boxed again for the
//! boxed shapes), which records the invoke at the first poll. A `#[track_caller]` fn runs its
//! body inline rather than in a closure (which would hide the caller), with `return` and `?`
//! rewritten as breaks out of a labelled block so their result is recorded.

mod args;
mod expand;

use proc_macro::TokenStream;

/// Records every outermost call of a function or method as one operation of the current
/// history: an `invoke` event when the call starts, then `ok`, `fail` or `info` when it
/// ends.
///
/// ```
/// use lockstep_history::{EventKind, recorded, with_history};
///
/// struct Register(std::cell::Cell<u64>);
///
/// impl Register {
///     #[recorded(f = "write")]
///     fn write(&self, v: u64) -> Result<(), String> {
///         if v > 100 {
///             return Err(format!("{v} is too large"));
///         }
///         self.0.set(v);
///         Ok(())
///     }
///
///     #[recorded]                     // f defaults to the name: "read"
///     fn read(&self) -> Option<u64> {
///         Some(self.0.get())
///     }
/// }
///
/// let register = Register(Default::default());
/// let (_, history) = with_history(|| {
///     register.write(5).unwrap();
///     register.write(500).unwrap_err();
///     register.read()
/// });
/// let events = history.events();
/// assert_eq!(events.len(), 6);
/// assert_eq!((events[1].kind, &events[1].value), (EventKind::Ok, &5.into()));  // `()` echoes
/// assert_eq!(events[3].kind, EventKind::Fail);
/// assert_eq!(events[3].error, Some("500 is too large".into()));
/// assert_eq!(events[5].value, 5);
///
/// // No history installed: the calls just run.
/// assert_eq!(register.read(), Some(5));
/// ```
///
/// # Options
///
/// | option | meaning |
/// |---|---|
/// | `f = "write"` | the operation's name; by default the function's |
/// | `skip(a, b)` | leaves parameters out of the invoke value (for a destructured parameter, name any binding in it) |
/// | `value = expr` | records `expr` (any `Serialize` expression over the arguments) as the invoke value instead; it is only evaluated when the call is recorded, and the arguments it names are references: `value = (key, None::<u64>)` does not move `key` |
/// | `output = \|v\| expr` | records `expr` (any `Serialize` expression over a reference `v` to the ok value, and the arguments, by reference) as the ok value instead: `output = \|rows\| rows.len()`, or `output = \|v\| (key, v)` for `Kv`'s `[key value]` |
/// | `err = "info"` | an `Err` means the outcome is unknown (`info`) rather than that it did not happen (`fail`, the default) |
/// | `classify = path` | decides per error: `fn(&E) -> lockstep_history::Completion` |
/// | `crate = path` | where the runtime crate is, if it is renamed or re-exported |
///
/// # What is recorded
///
/// - **Invoke value**: the arguments, not `self`: none is nil, one is its value, several are
///   a vector in parameter order. A destructured parameter such as `(a, b): (u8, u8)` is
///   recorded as what it binds (`[a b]`). Arguments are converted by reference before the
///   body runs, so nothing is cloned. Every recorded argument must be `Serialize`; the
///   compiler says so at the argument that is not, with the two ways out (`skip`, `value`).
/// - **Completion**, decided by the return type through a trait, never by its name, so
///   `io::Result`, `anyhow::Result` and aliases all work: `Ok(v)` is `ok` with `v` (`Ok(())`
///   echoes the invoke's value, `None` is nil); `Err(e)` is `fail` (or `info`, see `err` and
///   `classify`) with `e` as the error, in its `Serialize` form, else its `Display` form
///   (`anyhow::Error`, `io::Error`), else its `Debug` form; any other return type is `ok`
///   with the value. A return type the attribute cannot see through (a type parameter, an
///   associated type) that serializes as a `Result` variant is read when the call completes:
///   `Ok(v)` is `ok` with `v`, `Err(e)` is `fail` with `e` as it serializes (`err` and
///   `classify`, which need the error's type, apply to a `Result` in the signature only). An
///   error that is neither `Serialize`, `Display` nor `Debug` is recorded as its type's name.
///   The ok value must be `Serialize` (for a type parameter or an associated
///   type: a `Serialize` bound), or `output` must say what to record: otherwise the compiler
///   says so at the return type. For an `impl Trait` return type, that is the concrete type
///   the body returns.
/// - **Panics**: `info` with the panic message, then the panic continues with its original
///   payload. The thread continues as a new process, as after every `info`.
/// - **`async fn`**: the invoke is recorded when the future is first polled, the completion
///   when it is ready, and `info` if it is dropped before that (cancelled: it may or may not
///   have taken effect). Futures of recorded calls polled side by side by one task (`join`)
///   are separate processes. An operation completes on the process it invoked on, whichever
///   thread finishes it (run tasks with `in_history` so that a task that moves between
///   threads stays one process across its operations).
/// - **A fn returning a future** (`impl Future<Output = T>`,
///   `Pin<Box<dyn Future<Output = T> + …>>`, `BoxFuture<'_, T>`), which is what
///   `#[async_trait]` makes of each `async fn`: as an `async fn`, from the future's output. Its invoke value is taken when it is called.
/// - **`_` parameters** are not recorded: `fn f(_: u8, x: u8)` records `x` alone.
/// - **`#[track_caller]`** still reports the caller: the body runs inline, not in a closure.
///   A panic in it is `info` with the reason `"panic"`.
/// - **Nesting**: a recorded call made while another recorded call's body runs on the same
///   thread (for async: while its future is polled) is part of that operation and is not
///   recorded, so one process has one operation at a time.
/// - **No history installed**: the function runs unchanged and nothing is converted; the
///   cost is one thread-local read and one atomic load. If a history is open at the time
///   (the call ran in a thread or task it was not carried into), the call is counted as lost
///   there, and that history's `validate` and `check` fail.
///
/// Signatures are kept as written: visibility, attributes and docs, generics and
/// where-clauses, lifetimes, `impl Trait` arguments and returns, `self` in any form,
/// argument patterns and `mut`. Lints in the body still fire at the user's code, and the
/// generated code adds no warnings under `#![deny(warnings)]` and clippy's pedantic set.
///
/// Misuse is a compile error at the offending token, with the function still emitted so it
/// is the only error: an unknown or repeated option, `f` or `err` not a string literal,
/// `err` other than `"fail"`/`"info"`, `skip` of a parameter that does not exist, `skip`
/// beside `value`, `err` beside `classify`, an `output` closure with other than one
/// parameter, an `output` reading an argument of a fn returning a future, an item that is not
/// a function with a body, a `const fn`, an argument that is not `Serialize` and a result
/// that is not `Serialize` (its values cannot be seen, and would all be recorded as nil).
///
/// An async example with `classify`:
///
/// ```
/// use lockstep_history::{Completion, EventKind, recorded, with_history};
///
/// #[derive(Debug, serde::Serialize)]
/// enum Error { Rejected, Timeout }
///
/// impl Error {
///     fn completion(&self) -> Completion {
///         match self {
///             Error::Rejected => Completion::Fail,
///             Error::Timeout => Completion::Info,   // it may have been applied
///         }
///     }
/// }
///
/// struct Opts;
/// struct Client;
///
/// impl Client {
///     #[recorded(f = "put", skip(opts), classify = Error::completion)]
///     async fn put(&mut self, key: &str, val: String, opts: &Opts) -> Result<(), Error> {
///         match val.as_str() {
///             "slow" => Err(Error::Timeout),
///             _ => Ok(()),
///         }
///     }
/// }
///
/// let (_, history) = with_history(|| {
///     let mut client = Client;
///     futures::executor::block_on(async {
///         client.put("k", "fast".into(), &Opts).await.unwrap();
///         client.put("k", "slow".into(), &Opts).await.unwrap_err();
///     })
/// });
/// let kinds: Vec<_> = history.events().iter().map(|e| e.kind).collect();
/// assert_eq!(kinds, [EventKind::Invoke, EventKind::Ok, EventKind::Invoke, EventKind::Info]);
/// ```
#[proc_macro_attribute]
pub fn recorded(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::recorded(args.into(), item.into()).into()
}
