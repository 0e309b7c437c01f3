//! What the integration tests share: finding what lives outside the crate (the conformance
//! data, a Redis server, Chromium), and the one rule for when it is missing. The seeded
//! generator, the event builder and the conformance lookup are the file both test packages
//! compile (`lockstep-history/tests/helpers/mod.rs`).

#[path = "../../lockstep-history/tests/helpers/mod.rs"]
mod helpers;

pub use helpers::*;
