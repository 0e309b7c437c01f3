//! An append-only log with one writer and any number of concurrent readers.
//!
//! Each process of a history appends its events here. Appends come one at a time (the
//! caller serializes them), so an append is plain stores plus one release store of the
//! length, and readers never wait. Elements live in chunks that never move (chunk `k` holds
//! `FIRST << k` elements), so readers can hold references while the writer appends.

use std::alloc::{self, Layout};
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

const FIRST_SHIFT: u32 = 5;
const FIRST: usize = 1 << FIRST_SHIFT;
/// Enough chunks for more elements than memory can hold.
const CHUNKS: usize = (usize::BITS - FIRST_SHIFT) as usize;

pub(crate) struct Log<T> {
    chunks: [AtomicPtr<T>; CHUNKS],
    /// Elements below this are initialized and visible to readers.
    len: AtomicUsize,
}

// SAFETY: the log owns its elements (Send) and hands out shared references to them (Sync).
unsafe impl<T: Send> Send for Log<T> {}
// SAFETY: readers only see elements published by a release store of `len`; the single
// writer is guaranteed by the caller of `push`.
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
        }
    }

    /// How many elements are published.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Appends `value`.
    ///
    /// # Safety
    /// No other call to `push` on this log may run at the same time (callers serialize
    /// pushes with a lock of their own).
    pub(crate) unsafe fn push(&self, value: T) {
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
}

impl<T> Drop for Log<T> {
    fn drop(&mut self) {
        let len = *self.len.get_mut();
        for (chunk, slot) in self.chunks.iter_mut().enumerate() {
            let base = *slot.get_mut();
            if base.is_null() {
                break;
            }
            let start = (FIRST << chunk) - FIRST;
            let live = len.saturating_sub(start).min(FIRST << chunk);
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
        for i in 0..1000 {
            // SAFETY: one writer.
            unsafe { log.push(Arc::new(i)) };
        }
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
                for i in 0..200_000u64 {
                    // SAFETY: this thread is the only writer.
                    unsafe { log.push(i) };
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
    fn zero_sized_elements() {
        let log = Log::new();
        for _ in 0..100 {
            // SAFETY: one writer.
            unsafe { log.push(()) };
        }
        assert_eq!(log.iter().count(), 100);
    }
}
