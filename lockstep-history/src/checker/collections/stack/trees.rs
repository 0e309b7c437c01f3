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
        let len = counts.len().max(1);
        let mut tree = Held {
            len,
            min: vec![0; 4 * len],
            lazy: vec![0; 4 * len],
        };
        tree.build(1, 0, len - 1, counts);
        tree
    }

    fn build(&mut self, node: usize, lo: usize, hi: usize, counts: &[i32]) {
        if lo == hi {
            self.min[node] = counts.get(lo).copied().unwrap_or(0);
            return;
        }
        let mid = (lo + hi) / 2;
        self.build(2 * node, lo, mid, counts);
        self.build(2 * node + 1, mid + 1, hi, counts);
        self.min[node] = self.min[2 * node].min(self.min[2 * node + 1]);
    }

    fn push_down(&mut self, node: usize) {
        let add = self.lazy[node];
        if add != 0 {
            for child in [2 * node, 2 * node + 1] {
                self.min[child] += add;
                self.lazy[child] += add;
            }
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
            self.min[node] += delta;
            self.lazy[node] += delta;
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

/// Ranges of gaps waiting for a gap where no value must be in the stack; each is reported
/// once, by the first zero run it meets, in `O(log m)` per report.
pub(super) struct Waiting {
    /// Each range's first and last gap, its value and part, sorted by first gap.
    ranges: Vec<(usize, usize, usize, Part)>,
    /// The largest last gap below each node, `-1` once reported.
    max_to: Vec<i64>,
    size: usize,
}

impl Waiting {
    pub(super) fn new(mut ranges: Vec<(usize, usize, usize, Part)>) -> Waiting {
        ranges.sort_unstable_by_key(|r| r.0);
        let size = ranges.len().next_power_of_two().max(1);
        let mut max_to = vec![-1i64; 2 * size];
        for (i, r) in ranges.iter().enumerate() {
            max_to[size + i] = r.1 as i64;
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
        let limit = self.ranges.partition_point(|r| r.0 <= to);
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
            let (first, _, value, part) = self.ranges[lo];
            out.push((value, part, first.max(from)));
            self.max_to[node] = -1;
            return;
        }
        let mid = (lo + hi) / 2;
        self.meet_in(2 * node, lo, mid, limit, from, out);
        self.meet_in(2 * node + 1, mid + 1, hi, limit, from, out);
        self.max_to[node] = self.max_to[2 * node].max(self.max_to[2 * node + 1]);
    }
}
