//! The two trees the stack pass keeps over gaps: how many values must be in the stack at
//! each gap ([`Held`]), and the ranges of gaps still waiting for one where none must be
//! ([`Waiting`]).

/// How many values must be in the stack at each gap: range add, and the gaps where the
/// count is zero, each in `O(log n)` plus what it reports.
pub(super) struct Held {
    len: usize,
    min: Vec<i32>,
    lazy: Vec<i32>,
}

impl Held {
    /// A tree over gaps `0..counts.len()` holding `counts`.
    pub(super) fn new(counts: &[i32]) -> Held {
        // A full binary tree: node `k` has children `2k` and `2k + 1`, leaves from `len`.
        // Gaps past the end hold a count that never reaches zero.
        let len = counts.len().next_power_of_two();
        let mut min = vec![i32::MAX / 2; 2 * len];
        min[len..len + counts.len()].copy_from_slice(counts);
        for node in (1..len).rev() {
            min[node] = min[2 * node].min(min[2 * node + 1]);
        }
        Held {
            len,
            min,
            lazy: vec![0; len],
        }
    }

    /// Adds `delta` to the whole of `node`.
    fn apply(&mut self, node: usize, delta: i32) {
        self.min[node] += delta;
        if node < self.len {
            self.lazy[node] += delta;
        }
    }

    fn push_down(&mut self, node: usize) {
        let add = self.lazy[node];
        if add != 0 {
            self.apply(2 * node, add);
            self.apply(2 * node + 1, add);
            self.lazy[node] = 0;
        }
    }

    /// Adds `delta` to every gap in `from..=to`.
    pub(super) fn add(&mut self, from: usize, to: usize, delta: i32) {
        self.add_in(1, 0, self.len - 1, from, to, delta);
    }

    fn add_in(&mut self, node: usize, lo: usize, hi: usize, from: usize, to: usize, delta: i32) {
        if to < lo || hi < from {
            return;
        }
        if from <= lo && hi <= to {
            self.apply(node, delta);
            return;
        }
        self.push_down(node);
        let mid = (lo + hi) / 2;
        self.add_in(2 * node, lo, mid, from, to, delta);
        self.add_in(2 * node + 1, mid + 1, hi, from, to, delta);
        self.min[node] = self.min[2 * node].min(self.min[2 * node + 1]);
    }

    /// The first gap in `from..=to` where the count is zero.
    pub(super) fn first_zero(&mut self, from: usize, to: usize) -> Option<usize> {
        self.first_zero_in(1, 0, self.len - 1, from, to)
    }

    fn first_zero_in(
        &mut self,
        node: usize,
        lo: usize,
        hi: usize,
        from: usize,
        to: usize,
    ) -> Option<usize> {
        if to < lo || hi < from || self.min[node] > 0 {
            return None;
        }
        if lo == hi {
            return Some(lo);
        }
        self.push_down(node);
        let mid = (lo + hi) / 2;
        self.first_zero_in(2 * node, lo, mid, from, to)
            .or_else(|| self.first_zero_in(2 * node + 1, mid + 1, hi, from, to))
    }

    /// The maximal runs of gaps in `from..=to` where the count is zero, in order.
    pub(super) fn zero_runs(&mut self, from: usize, to: usize, runs: &mut Vec<(usize, usize)>) {
        runs.clear();
        self.zeros_in(1, 0, self.len - 1, from, to, runs);
    }

    fn zeros_in(
        &mut self,
        node: usize,
        lo: usize,
        hi: usize,
        from: usize,
        to: usize,
        runs: &mut Vec<(usize, usize)>,
    ) {
        if to < lo || hi < from || self.min[node] > 0 {
            return;
        }
        if lo == hi {
            match runs.last_mut() {
                Some(run) if run.1 + 1 == lo => run.1 = hi,
                _ => runs.push((lo, hi)),
            }
            return;
        }
        self.push_down(node);
        let mid = (lo + hi) / 2;
        self.zeros_in(2 * node, lo, mid, from, to, runs);
        self.zeros_in(2 * node + 1, mid + 1, hi, from, to, runs);
    }
}

/// Which part of a value's gaps a waiting range is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// Gaps both its push and its pop may use.
    Both,
    /// Gaps only its push may use, before its pop's first.
    Push,
    /// Gaps only its pop may use, after its push's last.
    Pop,
}

/// A range of gaps a value waits on, in 16 bytes (gaps and values number fewer than
/// `2^32`: a history that long would not fit in memory).
#[derive(Clone, Copy, Debug)]
pub(super) struct Range {
    pub(super) from: u32,
    pub(super) to: u32,
    pub(super) value: u32,
    pub(super) part: Part,
}

/// Ranges of gaps waiting for a gap where no value must be in the stack; each is reported
/// once, by the first zero run it meets, in `O(log m)` per report.
pub(super) struct Waiting {
    /// Each range's first and last gap, its value and part, sorted by first gap.
    ranges: Vec<Range>,
    /// The largest last gap below each node, `-1` once reported.
    max_to: Vec<i64>,
    size: usize,
}

impl Waiting {
    pub(super) fn new(mut ranges: Vec<Range>) -> Waiting {
        ranges.sort_unstable_by_key(|r| r.from);
        let size = ranges.len().next_power_of_two().max(1);
        let mut max_to = vec![-1i64; 2 * size];
        for (i, r) in ranges.iter().enumerate() {
            max_to[size + i] = i64::from(r.to);
        }
        for node in (1..size).rev() {
            max_to[node] = max_to[2 * node].max(max_to[2 * node + 1]);
        }
        Waiting {
            ranges,
            max_to,
            size,
        }
    }

    /// Reports, once each, the ranges that meet the zero run `from..=to`: value, part and
    /// a gap of the run inside the range.
    pub(super) fn meet(&mut self, from: usize, to: usize, out: &mut Vec<(usize, Part, usize)>) {
        let limit = self.ranges.partition_point(|r| r.from as usize <= to);
        if limit > 0 {
            self.meet_in(1, 0, self.size - 1, limit, from, out);
        }
    }

    fn meet_in(
        &mut self,
        node: usize,
        lo: usize,
        hi: usize,
        limit: usize,
        from: usize,
        out: &mut Vec<(usize, Part, usize)>,
    ) {
        if lo >= limit || self.max_to[node] < from as i64 {
            return;
        }
        if node >= self.size {
            let r = self.ranges[lo];
            out.push((r.value as usize, r.part, (r.from as usize).max(from)));
            self.max_to[node] = -1;
            return;
        }
        let mid = (lo + hi) / 2;
        self.meet_in(2 * node, lo, mid, limit, from, out);
        self.meet_in(2 * node + 1, mid + 1, hi, limit, from, out);
        self.max_to[node] = self.max_to[2 * node].max(self.max_to[2 * node + 1]);
    }
}
