//! Random transactions in Elle's two workloads, replayable from a seed.
//!
//! Both generators draw from a pool of keys "in flight": a few keys at a time, so that
//! transactions collide on them. Each write to a key carries a value no other write to
//! that key carries (1, 2, 3, … per key), which is what lets the checker tell versions
//! apart. Once a key has taken [`GeneratorOptions::max_writes_per_key`] writes it leaves
//! the pool and a fresh key takes its place, which keeps lists (and the checker's work per
//! read) short however long the test runs. The knobs are the ones Elle's generators have.

use super::micro_op::{ListAppendOp, MicroOp, RwRegisterOp};
use crate::rng::Rng;

/// How keys in flight are chosen for each micro-op.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyDistribution {
    /// Every key in flight equally likely.
    Uniform,
    /// The first key in flight is `base` times as likely as the second, which is `base`
    /// times as likely as the third, and so on: a few hot keys and a tail of cold ones.
    Exponential {
        /// The ratio between neighbouring keys' chances; above 1.
        base: f64,
    },
}

/// The shape of generated transactions.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorOptions {
    /// Keys in flight at any moment. Fewer keys, more contention.
    pub key_count: usize,
    /// Fewest micro-ops in a transaction (at least 1).
    pub min_txn_len: usize,
    /// Most micro-ops in a transaction.
    pub max_txn_len: usize,
    /// Writes (appends) a key takes before a fresh key replaces it.
    pub max_writes_per_key: u64,
    /// How micro-ops choose among the keys in flight.
    pub key_distribution: KeyDistribution,
    /// The chance that a micro-op is a read rather than a write (or append).
    pub read_fraction: f64,
}

impl Default for GeneratorOptions {
    /// Elle's usual shape: 10 keys in flight chosen exponentially (base 2), transactions of
    /// 1 to 4 micro-ops, half of them reads, 32 writes per key.
    fn default() -> Self {
        GeneratorOptions {
            key_count: 10,
            min_txn_len: 1,
            max_txn_len: 4,
            max_writes_per_key: 32,
            key_distribution: KeyDistribution::Exponential { base: 2.0 },
            read_fraction: 0.5,
        }
    }
}

/// Generator options that cannot produce a workload.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// `key_count` is 0.
    #[error("key_count must be at least 1")]
    NoKeys,
    /// `min_txn_len` is 0 or above `max_txn_len`.
    #[error("transaction lengths must satisfy 1 <= min_txn_len ({min}) <= max_txn_len ({max})")]
    Lengths {
        /// The `min_txn_len` given.
        min: usize,
        /// The `max_txn_len` given.
        max: usize,
    },
    /// `max_writes_per_key` is 0.
    #[error("max_writes_per_key must be at least 1")]
    NoWrites,
    /// An exponential base that is not a finite number above 1.
    #[error("the exponential key distribution needs a finite base above 1, not {0}")]
    Base(f64),
    /// A `read_fraction` outside 0 to 1.
    #[error("read_fraction must be between 0 and 1, not {0}")]
    ReadFraction(f64),
}

impl GeneratorOptions {
    fn validate(&self) -> Result<(), OptionsError> {
        if self.key_count == 0 {
            return Err(OptionsError::NoKeys);
        }
        if self.min_txn_len == 0 || self.min_txn_len > self.max_txn_len {
            return Err(OptionsError::Lengths {
                min: self.min_txn_len,
                max: self.max_txn_len,
            });
        }
        if self.max_writes_per_key == 0 {
            return Err(OptionsError::NoWrites);
        }
        if let KeyDistribution::Exponential { base } = self.key_distribution
            && !(base.is_finite() && base > 1.0)
        {
            return Err(OptionsError::Base(base));
        }
        if !(0.0..=1.0).contains(&self.read_fraction) {
            return Err(OptionsError::ReadFraction(self.read_fraction));
        }
        Ok(())
    }
}

/// A key in flight and the writes it has taken so far.
#[derive(Clone, Debug)]
struct InFlight {
    key: i64,
    writes: u64,
}

/// What both generators share: the seeded draws, the keys in flight, the next fresh key.
#[derive(Clone, Debug)]
struct Draws {
    options: GeneratorOptions,
    rng: Rng,
    keys: Vec<InFlight>,
    /// Running sums of the keys' weights by position, for drawing a position.
    cumulative: Vec<f64>,
    next_key: i64,
}

/// One drawn micro-op before it takes its workload's type.
enum Step {
    Read(i64),
    Write(i64, i64),
}

impl Draws {
    fn new(options: GeneratorOptions, seed: u64) -> Result<Draws, OptionsError> {
        options.validate()?;
        let n = options.key_count;
        let mut cumulative = Vec::with_capacity(n);
        let mut total = 0.0;
        let mut weight = 1.0;
        for _ in 0..n {
            total += weight;
            cumulative.push(total);
            if let KeyDistribution::Exponential { base } = options.key_distribution {
                weight /= base;
            }
        }
        Ok(Draws {
            keys: (0..n as i64)
                .map(|key| InFlight { key, writes: 0 })
                .collect(),
            next_key: n as i64,
            cumulative,
            rng: Rng::new(seed),
            options,
        })
    }

    fn position(&mut self) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = self.rng.unit() * total;
        // The first position whose running sum exceeds x; x < total, so one always does
        // (the `min` only guards against rounding).
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len() - 1)
    }

    fn step(&mut self) -> Step {
        let i = self.position();
        let key = self.keys[i].key;
        if self.rng.unit() < self.options.read_fraction {
            return Step::Read(key);
        }
        let slot = &mut self.keys[i];
        slot.writes += 1;
        let value = slot.writes as i64;
        if slot.writes >= self.options.max_writes_per_key {
            *slot = InFlight {
                key: self.next_key,
                writes: 0,
            };
            self.next_key += 1;
        }
        Step::Write(key, value)
    }

    fn txn<R>(&mut self, write: fn(i64, i64) -> MicroOp<i64, i64, R>) -> Vec<MicroOp<i64, i64, R>> {
        let (min, max) = (self.options.min_txn_len, self.options.max_txn_len);
        let len = min + self.rng.below((max - min + 1) as u64) as usize;
        (0..len)
            .map(|_| match self.step() {
                Step::Read(k) => MicroOp::read(k),
                Step::Write(k, v) => write(k, v),
            })
            .collect()
    }
}

/// Elle's list-append transactions: appends of per-key unique values and reads of whole
/// lists, over keys in flight. An endless iterator; the same seed gives the same sequence.
///
/// Workers usually share one generator behind a `Mutex`, so values stay unique per key
/// across all of them.
///
/// ```
/// use lockstep_history::txn::{GeneratorOptions, ListAppendGenerator, MicroOp};
///
/// let options = GeneratorOptions { key_count: 2, max_txn_len: 3, ..Default::default() };
/// let txns: Vec<Vec<MicroOp>> = ListAppendGenerator::new(options.clone(), 42)
///     .unwrap()
///     .take(100)
///     .collect();
/// assert!(txns.iter().all(|t| (1..=3).contains(&t.len())));
/// assert!(txns.iter().flatten().all(|op| matches!(op, MicroOp::Append(..) | MicroOp::Read(_, None))));
/// // Replayable: the same seed, the same transactions.
/// let again: Vec<_> = ListAppendGenerator::new(options, 42).unwrap().take(100).collect();
/// assert_eq!(txns, again);
/// ```
#[derive(Clone, Debug)]
pub struct ListAppendGenerator {
    draws: Draws,
}

impl ListAppendGenerator {
    /// A generator of transactions shaped by `options`, drawn from `seed`.
    ///
    /// # Errors
    /// [`OptionsError`] when the options cannot produce a workload.
    pub fn new(options: GeneratorOptions, seed: u64) -> Result<Self, OptionsError> {
        Ok(ListAppendGenerator {
            draws: Draws::new(options, seed)?,
        })
    }

    /// The next transaction.
    pub fn next_txn(&mut self) -> Vec<ListAppendOp> {
        self.draws.txn(MicroOp::Append)
    }
}

impl Iterator for ListAppendGenerator {
    type Item = Vec<ListAppendOp>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_txn())
    }
}

/// Elle's rw-register transactions: writes of per-key unique values and reads, over keys in
/// flight. An endless iterator; the same seed gives the same sequence.
///
/// ```
/// use lockstep_history::txn::{GeneratorOptions, MicroOp, RwRegisterGenerator};
///
/// let mut generator = RwRegisterGenerator::new(GeneratorOptions::default(), 7).unwrap();
/// let txn = generator.next_txn();
/// assert!(txn.iter().all(|op| matches!(op, MicroOp::Write(..) | MicroOp::Read(_, None))));
/// let json = serde_json::to_string(&txn).unwrap();
/// assert!(json.starts_with(r#"[["w","#) || json.starts_with(r#"[["r","#));
/// ```
#[derive(Clone, Debug)]
pub struct RwRegisterGenerator {
    draws: Draws,
}

impl RwRegisterGenerator {
    /// A generator of transactions shaped by `options`, drawn from `seed`.
    ///
    /// # Errors
    /// [`OptionsError`] when the options cannot produce a workload.
    pub fn new(options: GeneratorOptions, seed: u64) -> Result<Self, OptionsError> {
        Ok(RwRegisterGenerator {
            draws: Draws::new(options, seed)?,
        })
    }

    /// The next transaction.
    pub fn next_txn(&mut self) -> Vec<RwRegisterOp> {
        self.draws.txn(MicroOp::Write)
    }
}

impl Iterator for RwRegisterGenerator {
    type Item = Vec<RwRegisterOp>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.next_txn())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn list_append(options: GeneratorOptions, seed: u64, n: usize) -> Vec<Vec<ListAppendOp>> {
        ListAppendGenerator::new(options, seed)
            .unwrap()
            .take(n)
            .collect()
    }

    #[test]
    fn appended_values_are_unique_per_key_and_count_up() {
        let txns = list_append(GeneratorOptions::default(), 1, 5_000);
        let mut seen: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for op in txns.iter().flatten() {
            if let MicroOp::Append(k, v) = op {
                seen.entry(*k).or_default().push(*v);
            }
        }
        for (k, vs) in &seen {
            let expected: Vec<i64> = (1..=vs.len() as i64).collect();
            assert_eq!(vs, &expected, "key {k}");
            assert!(vs.len() <= 32, "key {k} took {} writes", vs.len());
        }
        // 5,000 transactions of ~2.5 ops, half appends, 32 per key: many keys retired.
        assert!(seen.len() > 20, "{} keys", seen.len());
    }

    #[test]
    fn rw_register_writes_are_unique_per_key() {
        let txns: Vec<_> = RwRegisterGenerator::new(GeneratorOptions::default(), 9)
            .unwrap()
            .take(3_000)
            .collect();
        let mut seen = BTreeSet::new();
        for op in txns.iter().flatten() {
            match op {
                MicroOp::Write(k, v) => assert!(seen.insert((*k, *v)), "{k} {v} twice"),
                MicroOp::Read(_, observed) => assert_eq!(observed, &None),
                MicroOp::Append(..) => panic!("an append in an rw-register workload"),
            }
        }
    }

    #[test]
    fn keys_in_flight_never_exceed_key_count() {
        // Replays the pool independently: keys enter in increasing order and a key leaves
        // after its last write, so at any moment the live keys are those touched since
        // with fewer than the maximum writes, plus the untouched ones ahead of them.
        let options = GeneratorOptions {
            key_count: 3,
            max_writes_per_key: 4,
            key_distribution: KeyDistribution::Uniform,
            ..GeneratorOptions::default()
        };
        let mut writes: BTreeMap<i64, u64> = BTreeMap::new();
        let mut retired = BTreeSet::new();
        for op in list_append(options, 5, 2_000).iter().flatten() {
            let k = *op.key();
            assert!(!retired.contains(&k), "key {k} used after it retired");
            let live = (0..=k).filter(|k| !retired.contains(k)).count();
            assert!(live <= 3, "{live} keys in flight at key {k}");
            if let MicroOp::Append(..) = op {
                let w = writes.entry(k).or_default();
                *w += 1;
                if *w == 4 {
                    retired.insert(k);
                }
            }
        }
        assert!(retired.len() > 50);
    }

    #[test]
    fn lengths_stay_in_range_and_all_occur() {
        let options = GeneratorOptions {
            min_txn_len: 2,
            max_txn_len: 5,
            ..GeneratorOptions::default()
        };
        let lengths: BTreeSet<usize> = list_append(options, 3, 1_000)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(lengths, (2..=5).collect());
    }

    #[test]
    fn read_fraction_is_respected() {
        for (fraction, low, high) in [(0.0, 0, 0), (1.0, 100, 100), (0.25, 22, 28)] {
            let options = GeneratorOptions {
                read_fraction: fraction,
                ..GeneratorOptions::default()
            };
            let ops: Vec<_> = list_append(options, 11, 2_000)
                .into_iter()
                .flatten()
                .collect();
            let percent = ops.iter().filter(|op| op.is_read()).count() * 100 / ops.len();
            assert!((low..=high).contains(&percent), "{fraction}: {percent}%");
        }
    }

    #[test]
    fn exponential_keys_favour_the_first_in_flight() {
        let options = GeneratorOptions {
            key_count: 4,
            max_writes_per_key: u64::MAX,
            read_fraction: 1.0,
            ..GeneratorOptions::default()
        };
        let mut counts = [0u32; 4];
        for op in list_append(options, 2, 20_000).iter().flatten() {
            counts[*op.key() as usize] += 1;
        }
        // Weights 8:4:2:1 of 15.
        let total: u32 = counts.iter().sum();
        for (i, c) in counts.iter().enumerate() {
            let expected = f64::from(total) * f64::from(8u32 >> i) / 15.0;
            assert!(
                (f64::from(*c) - expected).abs() < expected * 0.05 + 30.0,
                "{counts:?}"
            );
        }
    }

    #[test]
    fn seeds_replay_and_differ() {
        let a = list_append(GeneratorOptions::default(), 100, 200);
        assert_eq!(a, list_append(GeneratorOptions::default(), 100, 200));
        assert_ne!(a, list_append(GeneratorOptions::default(), 101, 200));
    }

    #[test]
    fn bad_options_are_errors() {
        let bad = |o: GeneratorOptions| ListAppendGenerator::new(o, 0).unwrap_err();
        let d = GeneratorOptions::default;
        assert_eq!(
            bad(GeneratorOptions {
                key_count: 0,
                ..d()
            }),
            OptionsError::NoKeys
        );
        assert_eq!(
            bad(GeneratorOptions {
                min_txn_len: 5,
                max_txn_len: 2,
                ..d()
            }),
            OptionsError::Lengths { min: 5, max: 2 }
        );
        assert_eq!(
            bad(GeneratorOptions {
                min_txn_len: 0,
                ..d()
            }),
            OptionsError::Lengths { min: 0, max: 4 }
        );
        assert_eq!(
            bad(GeneratorOptions {
                max_writes_per_key: 0,
                ..d()
            }),
            OptionsError::NoWrites
        );
        let base = |base| GeneratorOptions {
            key_distribution: KeyDistribution::Exponential { base },
            ..d()
        };
        assert_eq!(bad(base(1.0)), OptionsError::Base(1.0));
        assert!(matches!(bad(base(f64::NAN)), OptionsError::Base(_)));
        assert_eq!(
            bad(GeneratorOptions {
                read_fraction: 1.5,
                ..d()
            }),
            OptionsError::ReadFraction(1.5)
        );
    }
}
