//! The search for the built-in [`Stack`](crate::model::Stack), without stepping the model.
//!
//! The stack's state after some operations is the sequence of elements pushed and not yet
//! popped, so the search keeps one stack of value numbers (equal values share a number),
//! pushes and pops it as it places operations, and undoes the step when it goes back. The
//! reading of each call and the legality of each step are the model's
//! ([`StackOp`](crate::model::StackOp) and `Stack::step`): a push puts its element on
//! top; a pop that returned nil needs the stack empty; a pop that returned an element
//! needs that element on top and removes it. The tests compare this search with the
//! general one stepping the model.
//!
//! The operations a configuration may place next are then a few operations on words: the
//! real-time candidates ([`Shape::candidates`]), of which every push, and the pops that fit
//! the top (those that returned its value, or, on an empty stack, those that returned nil).
//! A configuration is remembered as (operations placed, stack contents): the stack is the
//! whole state, so two equal configurations have the same futures.

use rustc_hash::FxHashSet;

use super::{MAX_OPS, MAX_STEPS, Order, Shape};
use crate::event::Event;
use crate::value::Value;

/// Wing and Gong's search for a stack, depth first, trying candidates in completion order.
pub(super) struct StackSearch {
    /// The pushes, a bit each.
    pushes: u64,
    /// The pops that returned nil, which need an empty stack.
    empty_pops: u64,
    /// For each value number, the pops that returned that value.
    pops_of: [u64; MAX_OPS],
    /// Each operation's value number: a push's element, a pop's result (unused for a pop
    /// of nil).
    value: [u8; MAX_OPS],
    /// The distinct values read so far: `values` of them, numbered in the order first
    /// read. An integer below [`MAX_OPS`] (most elements; signed or not, as they compare
    /// equal) finds its number (plus one, 0 for none yet) in `small_ints` at once; any other
    /// value, equal to none of those, is looked for among the `others`, each as the
    /// position of an event that holds it and its number.
    values: usize,
    small_ints: [u8; MAX_OPS],
    others: [(u8, u8); MAX_OPS],
    other_count: usize,
    /// The stack after the operations placed on the current path, bottom first, as value
    /// numbers; zero above `height`, so that the whole array stands for the contents (the
    /// height follows from the operations placed).
    stack: [u8; MAX_OPS],
    height: usize,
    /// The operations placed on the current path, a bit each.
    placed: u64,
    /// The path, `depth` operations long: the operation placed at each step (from 1).
    chosen: [u8; MAX_OPS + 1],
    depth: usize,
    /// At the configuration the path ends in, the candidates that fit and are not yet
    /// tried, a bit each. (Candidates are tried in order, so at a configuration along the
    /// path they are those after the one the path goes on with: `back` works them out
    /// again rather than keeping them per step.)
    untried: u64,
    /// The configurations entered since the search began remembering.
    seen: FxHashSet<(u64, [u8; MAX_OPS])>,
    /// Candidates tried so far.
    pub(super) steps: usize,
}

impl StackSearch {
    /// An empty search; [`StackSearch::read`] fills in its operations.
    pub(super) fn new() -> Self {
        StackSearch {
            pushes: 0,
            empty_pops: 0,
            pops_of: [0; MAX_OPS],
            value: [0; MAX_OPS],
            values: 0,
            small_ints: [0; MAX_OPS],
            others: [(0, 0); MAX_OPS],
            other_count: 0,
            stack: [0; MAX_OPS],
            height: 0,
            placed: 0,
            chosen: [0; MAX_OPS + 1],
            depth: 0,
            untried: 0,
            seen: FxHashSet::default(),
            steps: 0,
        }
    }

    /// Reads operation `i` of `events` (in completion order; its invoke and completion at
    /// `invoke` and `ok`) as the model does; `false` if it is neither a push nor a pop.
    #[inline]
    pub(super) fn read(&mut self, events: &[Event], i: usize, invoke: usize, ok: usize) -> bool {
        let (at, bit) = match &*events[invoke].f {
            "push" => {
                self.pushes |= 1 << i;
                (invoke, None)
            }
            "pop" if matches!(events[ok].value, Value::Nil) => {
                self.empty_pops |= 1 << i;
                return true;
            }
            "pop" => (ok, Some(1 << i)),
            _ => return false,
        };
        let n = self.number(events, at);
        self.value[i] = n as u8;
        if let Some(bit) = bit {
            self.pops_of[n] |= bit;
        }
        true
    }

    /// The number of the value of the event at `at`: the one it was given when first read,
    /// or the next. There are no more values than operations, so numbers stay below
    /// [`MAX_OPS`].
    #[inline]
    fn number(&mut self, events: &[Event], at: usize) -> usize {
        let value = &events[at].value;
        let small = match *value {
            Value::Int(v) => usize::try_from(v).ok(),
            Value::UInt(v) => usize::try_from(v).ok(),
            _ => None,
        };
        if let Some(v) = small.filter(|&v| v < MAX_OPS) {
            if self.small_ints[v] == 0 {
                self.values += 1;
                self.small_ints[v] = self.values as u8;
            }
            return usize::from(self.small_ints[v]) - 1;
        }
        self.number_other(events, at)
    }

    /// [`StackSearch::number`] for a value other than a small integer.
    fn number_other(&mut self, events: &[Event], at: usize) -> usize {
        let value = &events[at].value;
        let others = &self.others[..self.other_count];
        if let Some(&(_, n)) = others
            .iter()
            .find(|&&(seen, _)| same(&events[usize::from(seen)].value, value))
        {
            return usize::from(n);
        }
        // Positions are below `2 * MAX_OPS`.
        self.others[self.other_count] = (at as u8, self.values as u8);
        self.other_count += 1;
        self.values += 1;
        self.values - 1
    }

    /// An order of the operations of `shape` (those read), if one is found within
    /// [`MAX_STEPS`]; configurations are remembered once the search has taken more than
    /// `remember_after` steps per operation.
    pub(super) fn run(&mut self, shape: &Shape, remember_after: usize) -> Option<Order> {
        let remember_from = remember_after.saturating_mul(shape.len);
        self.untried = shape.candidates(0) & self.fitting();
        while self.placed != shape.all {
            if self.untried == 0 {
                if self.depth == 0 {
                    return None;
                }
                self.back(shape);
                continue;
            }
            if self.steps == MAX_STEPS {
                return None;
            }
            self.steps += 1;
            self.place(shape, self.untried.trailing_zeros() as usize);
            if self.steps > remember_from && !self.seen.insert((self.placed, self.stack)) {
                self.back(shape);
            }
        }
        Some(Order::of_path(&self.chosen[1..=self.depth]))
    }

    /// Places operation `i` of `shape`, a candidate that fits: one step further along the
    /// path.
    fn place(&mut self, shape: &Shape, i: usize) {
        let bit = 1 << i;
        if self.pushes & bit != 0 {
            self.stack[self.height] = self.value[i];
            self.height += 1;
        } else if self.empty_pops & bit == 0 {
            self.height -= 1;
            self.stack[self.height] = 0;
        }
        self.placed |= bit;
        self.depth += 1;
        self.chosen[self.depth] = i as u8;
        self.untried = shape.candidates(self.placed) & self.fitting();
    }

    /// Takes back the last operation placed: one step back along the path, to the
    /// configuration it was placed from, where the candidates not yet tried are the ones
    /// after it.
    fn back(&mut self, shape: &Shape) {
        let i = usize::from(self.chosen[self.depth]);
        let bit = 1 << i;
        if self.pushes & bit != 0 {
            self.height -= 1;
            self.stack[self.height] = 0;
        } else if self.empty_pops & bit == 0 {
            self.stack[self.height] = self.value[i];
            self.height += 1;
        }
        self.placed &= !bit;
        self.depth -= 1;
        // The operations numbered above `i` (none above 63).
        let after = (u64::MAX << i) << 1;
        self.untried = shape.candidates(self.placed) & self.fitting() & after;
    }

    /// The operations that can step from the current stack: every push, and the pops that
    /// returned the top's value (nil on an empty stack).
    fn fitting(&self) -> u64 {
        self.pushes
            | match self.height {
                0 => self.empty_pops,
                h => self.pops_of[usize::from(self.stack[h - 1])],
            }
    }
}

/// Whether two values are equal, with integers (most elements) compared in place.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(a), Value::Int(b)) => a == b,
        _ => a == b,
    }
}
