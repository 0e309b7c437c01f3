//! An append-only log with one writer and any number of concurrent readers.
//!
//! Each process of a history appends its events here. Appends go through a [`Writer`], a
//! guard that admits one writer at a time (almost always the one thread that owns the
//! process, so taking it is one uncontended swap and releasing it one store); an append is
//! then plain stores plus one release store of the length, and readers never wait. Elements live in chunks that never move (chunk `k` holds
//! `FIRST << k` elements), so readers can hold references while the writer appends.

use std::alloc::{self, Layout};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

const FIRST_SHIFT: u32 = 5;
const FIRST: usize = 1 << FIRST_SHIFT;
/// Enough chunks for more elements than memory can hold.
const CHUNKS: usize = (usize::BITS - FIRST_SHIFT) as usize;

pub(crate) struct Log<T> {
    chunks: [AtomicPtr<T>; CHUNKS],
    /// Elements below this are initialized and visible to readers.
    len: AtomicUsize,
    /// Held by the one [`Writer`].
    writing: AtomicBool,
}

/// The right to append to a [`Log`]; one exists at a time per log.
pub(crate) struct Writer<'a, T> {
    log: &'a Log<T>,
}

impl<T> Writer<'_, T> {
    /// The last element, as this writer left it.
    pub(crate) fn last(&self) -> Option<&T> {
        self.log.last()
    }

    /// Appends `value`.
    pub(crate) fn push(&mut self, value: T) {
        // SAFETY: this guard is the log's only writer.
        unsafe { self.log.push(value) }
    }
}

impl<T> Drop for Writer<'_, T> {
    fn drop(&mut self) {
        self.log.writing.store(false, Ordering::Release);
    }
}

// SAFETY: the log owns its elements (Send) and hands out shared references to them (Sync).
unsafe impl<T: Send> Send for Log<T> {}
// SAFETY: readers only see elements published by a release store of `len`; appends go
// through the one `Writer` guard.
unsafe impl<T: Send + Sync> Sync for Log<T> {}

/// Chunk number and offset of element `i`.
fn locate(i: usize) -> (usize, usize) {
    let biased = i + FIRST;
    let chunk = (usize::BITS - 1 - biased.leading_zeros() - FIRST_SHIFT) as usize;
    (chunk, biased - (FIRST << chunk))
}

fn chunk_layout<T>(chunk: usize) -> Layout {
    Layout::array::<T>(FIRST << chunk).expect("chunk size overflows")
}

impl<T> Log<T> {
    pub(crate) fn new() -> Log<T> {
        Log {
            chunks: [const { AtomicPtr::new(ptr::null_mut()) }; CHUNKS],
            len: AtomicUsize::new(0),
            writing: AtomicBool::new(false),
        }
    }

    /// Waits until no one else is appending, then returns the right to append.
    pub(crate) fn writer(&self) -> Writer<'_, T> {
        let mut spins = 0u32;
        while self.writing.swap(true, Ordering::Acquire) {
            // Contended only when an operation completes on another thread than the one
            // recording on this process now: short, and rare.
            spins += 1;
            if spins < 64 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
        Writer { log: self }
    }

    /// How many elements are published.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Appends `value`.
    ///
    /// # Safety
    /// No other call to `push` on this log may run at the same time: the caller holds the
    /// log's [`Writer`].
    unsafe fn push(&self, value: T) {
        let i = self.len.load(Ordering::Relaxed);
        let (chunk, offset) = locate(i);
        let mut base = self.chunks[chunk].load(Ordering::Relaxed);
        if base.is_null() {
            let layout = chunk_layout::<T>(chunk);
            // SAFETY: the layout has a non-zero size unless T is zero-sized, handled below.
            base = if layout.size() == 0 {
                ptr::NonNull::dangling().as_ptr()
            } else {
                let p = unsafe { alloc::alloc(layout) }.cast::<T>();
                if p.is_null() {
                    alloc::handle_alloc_error(layout);
                }
                p
            };
            self.chunks[chunk].store(base, Ordering::Release);
        }
        // SAFETY: `offset` is within the chunk, the slot is unpublished (no reader looks at
        // it) and, with one writer, nobody else writes it.
        unsafe { base.add(offset).write(value) };
        self.len.store(i + 1, Ordering::Release);
    }

    /// The element at `i`, if published.
    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len() {
            return None;
        }
        let (chunk, offset) = locate(i);
        let base = self.chunks[chunk].load(Ordering::Acquire);
        // SAFETY: element `i` was written and its chunk stored before `len` was released
        // past it; elements are never moved or dropped while the log is alive.
        Some(unsafe { &*base.add(offset) })
    }

    /// The last published element.
    pub(crate) fn last(&self) -> Option<&T> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    /// The published elements, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        (0..self.len()).map_while(|i| self.get(i))
    }

    /// Each allocated chunk in order (chunks are allocated in order, so the walk stops at
    /// the first that is not): its index, its base, and how many of the first `len`
    /// elements it holds.
    fn allocated(&mut self, len: usize) -> impl Iterator<Item = (usize, *mut T, usize)> + '_ {
        self.chunks
            .iter_mut()
            .enumerate()
            .map_while(move |(chunk, slot)| {
                let base = *slot.get_mut();
                let start = (FIRST << chunk) - FIRST;
                let live = len.saturating_sub(start).min(FIRST << chunk);
                (!base.is_null()).then_some((chunk, base, live))
            })
    }
}

impl<T> Drop for Log<T> {
    fn drop(&mut self) {
        let len = *self.len.get_mut();
        for (chunk, base, live) in self.allocated(len) {
            // SAFETY: the first `live` elements of this chunk were initialized; the chunk
            // was allocated with this layout.
            unsafe {
                ptr::drop_in_place(ptr::slice_from_raw_parts_mut(base, live));
                let layout = chunk_layout::<T>(chunk);
                if layout.size() != 0 {
                    alloc::dealloc(base.cast(), layout);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn locate_walks_chunks_in_order() {
        let mut expected = (0, 0);
        for i in 0..10_000 {
            assert_eq!(locate(i), expected, "element {i}");
            expected.1 += 1;
            if expected.1 == FIRST << expected.0 {
                expected = (expected.0 + 1, 0);
            }
        }
    }

    #[test]
    fn push_get_iter_drop() {
        let log = Log::new();
        let mut w = log.writer();
        for i in 0..1000 {
            w.push(Arc::new(i));
        }
        drop(w);
        assert_eq!(log.len(), 1000);
        assert_eq!(**log.get(999).unwrap(), 999);
        assert!(log.get(1000).is_none());
        assert_eq!(**log.last().unwrap(), 999);
        let probe = Arc::clone(log.get(5).unwrap());
        assert!(log.iter().map(|a| **a).eq(0..1000));
        drop(log);
        assert_eq!(Arc::strong_count(&probe), 1, "every element dropped");
    }

    #[test]
    fn readers_see_a_prefix_while_the_writer_appends() {
        let log = Arc::new(Log::new());
        let writer = {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut w = log.writer();
                for i in 0..200_000u64 {
                    w.push(i);
                }
            })
        };
        while log.len() < 200_000 {
            let seen: Vec<u64> = log.iter().copied().collect();
            assert!(seen.iter().copied().eq(0..seen.len() as u64));
        }
        writer.join().unwrap();
    }

    #[test]
    fn writers_take_turns() {
        let log = Arc::new(Log::new());
        let threads: Vec<_> = (0..4u64)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..10_000 {
                        log.writer().push(t * 10_000 + i);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut all: Vec<u64> = log.iter().copied().collect();
        all.sort_unstable();
        assert!(
            all.into_iter().eq(0..40_000),
            "every append kept, none torn"
        );
    }

    #[test]
    fn zero_sized_elements() {
        let log = Log::new();
        let mut w = log.writer();
        for _ in 0..100 {
            w.push(());
        }
        drop(w);
        assert_eq!(log.iter().count(), 100);
    }
}
