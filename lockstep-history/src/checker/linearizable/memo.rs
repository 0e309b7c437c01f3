//! The search's tables: interned model states, and the memo of configurations already seen.
//!
//! A configuration is (set of linearized operations, model state). The set is hashed
//! incrementally (XOR of a random key per operation) and stored exactly but compactly (see
//! [`super::linearized`]): the ordinary operations as "all below `h` except these holes",
//! the crashed ones by the number of their interned list. Memory grows with the number of
//! configurations, not with the length of the history.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, BuildHasherDefault, Hash, Hasher};

use rustc_hash::FxHasher;

use crate::checker::budget::Tables;

/// The size of a group of tables: what they hold, and at most what they hold during the next
/// growth of the largest (a new table twice its size beside the old one).
fn sized(tables: &[usize]) -> Tables {
    let held = tables.iter().sum::<usize>();
    Tables {
        held,
        peak: held + 2 * tables.iter().max().unwrap_or(&0),
    }
}

/// A hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default)]
pub(crate) struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = mix(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A bijective 64-bit mixer (SplitMix64's finalizer).
pub(crate) fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// States by number: equal states get one id, so the memo compares integers. Each state is
/// stored once (a table of hashes points into the list of states), which halves both the
/// memory its heap data takes and the time freeing it takes.
pub(crate) struct Interner<S> {
    heads: HashMap<u64, u32, BuildHasherDefault<PreHashed>>,
    /// The next state with the same hash, or `NONE`.
    chain: Vec<u32>,
    states: Vec<S>,
}

impl<S: Clone + Eq + Hash> Interner<S> {
    pub(crate) fn new() -> Self {
        Interner {
            heads: HashMap::default(),
            chain: Vec::new(),
            states: Vec::new(),
        }
    }

    pub(crate) fn intern(&mut self, state: S) -> u32 {
        let key = BuildHasherDefault::<FxHasher>::default().hash_one(&state);
        let head = self.heads.get(&key).copied().unwrap_or(NONE);
        let mut at = head;
        while at != NONE {
            if self.states[at as usize] == state {
                return at;
            }
            at = self.chain[at as usize];
        }
        let id = self.states.len() as u32;
        self.states.push(state);
        self.chain.push(head);
        self.heads.insert(key, id);
        id
    }

    pub(crate) fn get(&self, id: u32) -> &S {
        &self.states[id as usize]
    }

    /// A rough count of the bytes held, and at once during the next growth (the states' own
    /// heap data is not seen here; resident memory sees it).
    pub(crate) fn tables(&self) -> Tables {
        sized(&[
            self.states.capacity() * std::mem::size_of::<S>(),
            self.heads.capacity() * 13,
            self.chain.capacity() * 4,
        ])
    }

    /// Whether interning one more state may grow a table.
    pub(crate) fn grows_next(&self) -> bool {
        self.states.len() == self.states.capacity() || self.heads.len() == self.heads.capacity()
    }
}

struct Entry {
    state: u32,
    h: u32,
    crashed: u32,
    holes: u32,
    next: u32,
    start: usize,
}

const NONE: u32 = u32::MAX;

/// The set of configurations already explored.
pub(crate) struct Memo {
    heads: HashMap<u64, u32, BuildHasherDefault<PreHashed>>,
    entries: Vec<Entry>,
    arena: Vec<u32>,
}

/// One configuration, borrowed from the search.
pub(crate) struct Config<'a> {
    /// XOR of the linearized operations' keys.
    pub(crate) zobrist: u64,
    pub(crate) state: u32,
    /// Every ordinary operation below `h` is linearized, except `holes`.
    pub(crate) h: u32,
    pub(crate) holes: &'a [u32],
    /// The number of the list of crashed operations linearized.
    pub(crate) crashed: u32,
}

impl Memo {
    pub(crate) fn new() -> Memo {
        Memo {
            heads: HashMap::default(),
            entries: Vec::new(),
            arena: Vec::new(),
        }
    }

    /// Adds `c`; false if it was already there.
    pub(crate) fn insert(&mut self, c: &Config<'_>) -> bool {
        let key = c.zobrist ^ mix(u64::from(c.state).wrapping_add(0x9e37_79b9_7f4a_7c15));
        let head = self.heads.get(&key).copied().unwrap_or(NONE);
        let mut at = head;
        while at != NONE {
            let e = &self.entries[at as usize];
            if e.state == c.state
                && e.h == c.h
                && e.crashed == c.crashed
                && self.arena[e.start..e.start + e.holes as usize] == *c.holes
            {
                return false;
            }
            at = e.next;
        }
        let start = self.arena.len();
        self.arena.extend_from_slice(c.holes);
        self.entries.push(Entry {
            state: c.state,
            h: c.h,
            crashed: c.crashed,
            holes: c.holes.len() as u32,
            next: head,
            start,
        });
        self.heads.insert(key, (self.entries.len() - 1) as u32);
        true
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The bytes the tables hold, and may hold at once during their next growth.
    pub(crate) fn tables(&self) -> Tables {
        sized(&[
            self.heads.capacity() * 13,
            self.entries.capacity() * std::mem::size_of::<Entry>(),
            self.arena.capacity() * 4,
        ])
    }

    /// Whether one more configuration may grow a table.
    pub(crate) fn grows_next(&self) -> bool {
        self.heads.len() == self.heads.capacity() || self.entries.len() == self.entries.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_are_compared_exactly() {
        let mut memo = Memo::new();
        let c = |zobrist, state, h, holes: &'static [u32], crashed: u32| Config {
            zobrist,
            state,
            h,
            holes,
            crashed,
        };
        assert!(memo.insert(&c(7, 1, 4, &[2], 0)));
        assert!(!memo.insert(&c(7, 1, 4, &[2], 0)));
        // Same hash, different sets or states: all distinct.
        assert!(memo.insert(&c(7, 1, 4, &[1], 0)));
        assert!(memo.insert(&c(7, 1, 4, &[2], 1)));
        assert!(memo.insert(&c(7, 2, 4, &[2], 0)));
        assert!(memo.insert(&c(7, 1, 5, &[2], 0)));
        assert_eq!(memo.len(), 5);
    }

    #[test]
    fn interned_states_share_ids() {
        let mut states = Interner::new();
        let a = states.intern("a".to_string());
        let b = states.intern("b".to_string());
        assert_ne!(a, b);
        assert_eq!(states.intern("a".to_string()), a);
        assert_eq!(states.get(b), "b");
    }
}
