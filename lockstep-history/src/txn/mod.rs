//! Recording transactional workloads in Elle's shape: typed micro-ops and generators.
//!
//! A transaction is a vector of [`MicroOp`]s: `["append", k, v]` and `["r", k, [..]]` for
//! Elle's list-append workload, `["w", k, v]` and `["r", k, v]` for rw-register. A client
//! method annotated `#[recorded(f = "txn")]` that takes the transaction with its reads empty
//! and returns it with them filled in records exactly the history Elle (and the
//! transactional checker, `checker::txn`) reads: the invoke carries the request, the ok
//! what each read observed, and an error the transaction's abort (`fail`) or unknown
//! outcome (`info`). [`ListAppendGenerator`] and [`RwRegisterGenerator`] make the
//! transactions, as Elle's generators do: few keys in flight, short transactions, values
//! unique per key.
//!
//! This module is the recording side only; it knows nothing of checking. Its `MicroOp` is
//! distinct from [`crate::model::MicroOp`], which the multi-register linearizability model
//! parses `[:read k v]` / `[:write k v]` into.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::Mutex;
//!
//! use lockstep_history::txn::{GeneratorOptions, ListAppendGenerator, MicroOp};
//! use lockstep_history::{recorded, with_history};
//!
//! /// A list-append store that runs each transaction under one lock: serializable.
//! #[derive(Default)]
//! struct Store(Mutex<BTreeMap<i64, Vec<i64>>>);
//!
//! impl Store {
//!     #[recorded(f = "txn")]
//!     fn transact(&self, ops: Vec<MicroOp>) -> Result<Vec<MicroOp>, String> {
//!         let mut lists = self.0.lock().map_err(|e| e.to_string())?;
//!         Ok(ops
//!             .into_iter()
//!             .map(|op| match op {
//!                 MicroOp::Append(k, v) => {
//!                     lists.entry(k).or_default().push(v);
//!                     MicroOp::Append(k, v)
//!                 }
//!                 MicroOp::Read(k, _) => {
//!                     MicroOp::Read(k, Some(lists.get(&k).cloned().unwrap_or_default()))
//!                 }
//!                 other => other,
//!             })
//!             .collect())
//!     }
//! }
//!
//! let store = Store::default();
//! let mut generator = ListAppendGenerator::new(GeneratorOptions::default(), 1).unwrap();
//! let (_, history) = with_history(|| {
//!     store.transact(vec![MicroOp::append(1, 1), MicroOp::read(1)]).unwrap();
//!     for _ in 0..10 {
//!         store.transact(generator.next_txn()).unwrap();
//!     }
//! });
//! let events = history.events();
//! assert_eq!(events.len(), 22);
//! let json = |i: usize| serde_json::to_string(&events[i].value).unwrap();
//! assert_eq!(events[0].f, "txn");
//! assert_eq!(json(0), r#"[["append",1,1],["r",1,null]]"#);
//! assert_eq!(json(1), r#"[["append",1,1],["r",1,[1]]]"#);
//! ```

mod generator;
mod micro_op;

pub use generator::{
    GeneratorOptions, KeyDistribution, ListAppendGenerator, OptionsError, RwRegisterGenerator,
};
pub use micro_op::{ListAppendOp, MicroOp, MicroOpError, RwRegisterOp};
