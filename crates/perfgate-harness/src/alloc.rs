//! A counting global allocator: live heap bytes and allocation counts, for leak checks and
//! per-operation allocation figures. Relaxed atomics: a handful of nanoseconds per allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

thread_local! {
    /// Set while the harness does its own bookkeeping, so its histograms and buffers are not
    /// taken for the component's heap.
    static UNTRACKED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with this thread's allocations left out of the counters. Memory allocated here
/// must also be freed here.
pub(crate) fn untracked<T>(f: impl FnOnce() -> T) -> T {
    let before = UNTRACKED.with(|u| u.replace(true));
    let result = f();
    UNTRACKED.with(|u| u.set(before));
    result
}

/// Runs `f` with this thread's allocations counted: the user's operation.
pub(crate) fn tracked<T>(f: impl FnOnce() -> T) -> T {
    let before = UNTRACKED.with(|u| u.replace(false));
    let result = f();
    UNTRACKED.with(|u| u.set(before));
    result
}

fn counted() -> bool {
    !UNTRACKED.try_with(Cell::get).unwrap_or(true)
}

static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// The system allocator, counting. Install with [`crate::counting_allocator!`].
pub struct CountingAllocator;

// SAFETY: every call is forwarded unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCATED.fetch_add(layout.size() as u64, Relaxed);
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            FREED.fetch_add(layout.size() as u64, Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counted() {
            ALLOCATED.fetch_add(layout.size() as u64, Relaxed);
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            FREED.fetch_add(layout.size() as u64, Relaxed);
            ALLOCATED.fetch_add(new_size as u64, Relaxed);
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Heap counters at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllocSnapshot {
    pub allocated_bytes: u64,
    pub freed_bytes: u64,
    pub allocations: u64,
}

impl AllocSnapshot {
    pub fn now() -> Self {
        AllocSnapshot {
            allocated_bytes: ALLOCATED.load(Relaxed),
            freed_bytes: FREED.load(Relaxed),
            allocations: ALLOCATIONS.load(Relaxed),
        }
    }

    /// Live heap bytes: allocated minus freed.
    pub fn live_bytes(&self) -> i64 {
        self.allocated_bytes as i64 - self.freed_bytes as i64
    }

    /// Whether the counting allocator is installed (anything was ever counted).
    pub fn counting(&self) -> bool {
        self.allocations > 0
    }
}
