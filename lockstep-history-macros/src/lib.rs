//! The `#[recorded]` attribute for `lockstep-history`.
//!
//! Use it through the runtime crate (`use lockstep_history::recorded;`), never directly.
