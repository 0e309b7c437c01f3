//! The set of operations linearized so far on the search path, in the compact form the memo
//! stores and with its hash kept up to date on every change.
//!
//! Ordinary operations are kept as "all below `h` except a few holes" (the holes are the
//! operations still pending around the search's frontier). Crashed operations, which may be
//! linearized anywhere or never, are kept as a sorted list, interned: that list changes
//! only when a crashed operation is linearized, so the memo stores its number.

use rustc_hash::FxHashMap;

use super::memo::{Config, mix};

/// How to take one operation back out of the set.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Undo {
    /// `h` moved up from this value, adding the operations skipped over as holes.
    Extended(u32),
    /// This hole (its position in `holes`) was filled.
    Filled(u32),
    /// A crashed operation was added at this position of `crashed`, whose number was this.
    Crashed(u32, u32),
}

/// Operations `0..n_ok` are ordinary (ok), `n_ok..` crashed, each group in invoke order.
pub(crate) struct LinearizedSet {
    n_ok: u32,
    keys: Vec<u64>,
    zobrist: u64,
    /// Every ordinary operation below `h` is in the set, except `holes` (sorted).
    h: u32,
    holes: Vec<u32>,
    /// Crashed operations in the set, sorted, and that list's number.
    crashed: Vec<u32>,
    crashed_id: u32,
    crashed_ids: FxHashMap<Box<[u32]>, u32>,
    /// Bytes held by the lists in `crashed_ids`.
    crashed_bytes: usize,
}

impl LinearizedSet {
    pub(crate) fn new(n_ok: usize, n: usize) -> LinearizedSet {
        LinearizedSet {
            n_ok: n_ok as u32,
            keys: (0..n as u64)
                .map(|i| mix(i ^ 0x5851_f42d_4c95_7f2d))
                .collect(),
            zobrist: 0,
            h: 0,
            holes: Vec::new(),
            crashed: Vec::new(),
            crashed_id: 0,
            crashed_ids: FxHashMap::from_iter([(Box::default(), 0)]),
            crashed_bytes: 0,
        }
    }

    pub(crate) fn insert(&mut self, i: u32) -> Undo {
        self.zobrist ^= self.keys[i as usize];
        if i >= self.n_ok {
            let pos = self.crashed.binary_search(&i).unwrap_or_else(|p| p);
            self.crashed.insert(pos, i);
            let before = self.crashed_id;
            let fresh = self.crashed_ids.len() as u32;
            self.crashed_id = match self.crashed_ids.get(self.crashed.as_slice()) {
                Some(&id) => id,
                None => {
                    self.crashed_bytes += self.crashed.len() * 4 + 40;
                    self.crashed_ids
                        .insert(self.crashed.as_slice().into(), fresh);
                    fresh
                }
            };
            Undo::Crashed(pos as u32, before)
        } else if i >= self.h {
            self.holes.extend(self.h..i);
            let old = self.h;
            self.h = i + 1;
            Undo::Extended(old)
        } else {
            let pos = self.holes.binary_search(&i).unwrap_or_else(|p| p);
            self.holes.remove(pos);
            Undo::Filled(pos as u32)
        }
    }

    /// Takes `i` back out; `undo` is what [`Self::insert`] returned, and `i` must be the last
    /// operation inserted and not yet removed.
    pub(crate) fn remove(&mut self, i: u32, undo: Undo) {
        self.zobrist ^= self.keys[i as usize];
        match undo {
            Undo::Extended(old) => {
                self.holes.truncate(self.holes.len() - (i - old) as usize);
                self.h = old;
            }
            Undo::Filled(pos) => self.holes.insert(pos as usize, i),
            Undo::Crashed(pos, before) => {
                self.crashed.remove(pos as usize);
                self.crashed_id = before;
            }
        }
    }

    /// The configuration of this set with model state `state`.
    pub(crate) fn config(&self, state: u32) -> Config<'_> {
        Config {
            zobrist: self.zobrist,
            state,
            h: self.h,
            holes: &self.holes,
            crashed: self.crashed_id,
        }
    }

    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.keys.capacity() * 8
            + (self.holes.capacity() + self.crashed.capacity()) * 4
            + self.crashed_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(s: &LinearizedSet) -> (u64, u32, Vec<u32>, Vec<u32>, u32) {
        (
            s.zobrist,
            s.h,
            s.holes.clone(),
            s.crashed.clone(),
            s.crashed_id,
        )
    }

    #[test]
    fn insert_and_remove_restore_the_same_form() {
        let mut s = LinearizedSet::new(6, 8);
        let empty = snapshot(&s);
        let u3 = s.insert(3);
        assert_eq!((s.h, s.holes.clone()), (4, vec![0, 1, 2]));
        let u1 = s.insert(1);
        let u7 = s.insert(7);
        assert_eq!(
            (s.h, s.holes.clone(), s.crashed.clone()),
            (4, vec![0, 2], vec![7])
        );
        let mid = snapshot(&s);
        let u5 = s.insert(5);
        s.remove(5, u5);
        assert_eq!(snapshot(&s), mid);
        s.remove(7, u7);
        s.remove(1, u1);
        s.remove(3, u3);
        assert_eq!(snapshot(&s), empty);
    }

    #[test]
    fn the_same_set_reached_in_two_orders_has_one_form() {
        let mut a = LinearizedSet::new(4, 5);
        let mut b = LinearizedSet::new(4, 5);
        for i in [0, 2, 4, 1] {
            a.insert(i);
        }
        for i in [1, 4, 0, 2] {
            b.insert(i);
        }
        assert_eq!(snapshot(&a), snapshot(&b));
    }
}
