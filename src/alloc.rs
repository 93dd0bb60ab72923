//! The programs' memory allocator: mimalloc for every block, except large ones, which are
//! mapped from the system on their own with transparent huge pages allowed.
//!
//! The indicator set of a log with millions of distinct values is tens to hundreds of
//! megabytes of arrays that are filled once and then read in no order (hash-table probes
//! while scanning, the sorted read-back while writing): with 4 KiB pages every new page is
//! a fault and nearly every read a TLB miss. A block of at least [`LARGE`] bytes is mapped
//! at a 2 MiB boundary and advised as a huge-page area, so that each 2 MiB of it is one
//! fault and one TLB entry; a large block that grows is remapped, not copied. Small blocks
//! (and mimalloc's own areas, built without huge pages) are untouched, so a command that
//! holds no large array keeps its memory: a huge page is only made where a whole 2 MiB of
//! one large block is touched, and a block wastes at most the part of its last huge page
//! it has not used yet.
//!
//! The library does not install it: `spoor` (the binary) and the benches that stand in
//! for it do, as `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout};

/// Blocks of at least this many bytes are mapped on their own.
pub const LARGE: usize = 2 << 20;
/// The huge page size of x86-64 and of arm64 with 4 KiB pages.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const HUGE: usize = 2 << 20;
/// The system page size assumed for rounding (mappings are made in whole pages).
const PAGE: usize = 4096;

/// mimalloc, with large blocks mapped on their own (see the module's documentation).
pub struct Allocator;

/// Whether a block of this layout is mapped on its own.
fn is_large(size: usize, align: usize) -> bool {
    size >= LARGE && align <= PAGE && cfg!(target_os = "linux")
}

fn round_up(size: usize, to: usize) -> Option<usize> {
    size.checked_add(to - 1).map(|s| s & !(to - 1))
}

#[cfg(target_os = "linux")]
mod map {
    use super::{round_up, HUGE, PAGE};
    use rustix::mm::{
        madvise, mmap_anonymous, mremap, munmap, Advice, MapFlags, MremapFlags, ProtFlags,
    };
    use std::ffi::c_void;
    use std::ptr::null_mut;

    /// Maps `size` bytes at a huge-page boundary, advised for huge pages; null on failure.
    pub fn alloc(size: usize) -> *mut u8 {
        let (Some(len), Some(span)) = (round_up(size, PAGE), size.checked_add(HUGE)) else {
            return null_mut();
        };
        let Some(span) = round_up(span, PAGE) else {
            return null_mut();
        };
        // SAFETY: a fresh private anonymous mapping aliases nothing.
        let Ok(base) = (unsafe {
            mmap_anonymous(
                null_mut(),
                span,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        }) else {
            return null_mut();
        };
        let addr = base as usize;
        let start = (addr + HUGE - 1) & !(HUGE - 1);
        let head = start - addr;
        let tail = span - head - len;
        // SAFETY: the head and tail are parts of the mapping just made, outside the block
        // handed out. Failing to return them only keeps unused address space mapped.
        unsafe {
            if head > 0 {
                let _ = munmap(base, head);
            }
            if tail > 0 {
                let _ = munmap((start + len) as *mut c_void, tail);
            }
            // Advice only: without it (THP off, an old kernel) the block is plain pages.
            let _ = madvise(start as *mut c_void, len, Advice::LinuxHugepage);
        }
        start as *mut u8
    }

    /// Unmaps a block from [`alloc`] or [`realloc`].
    ///
    /// # Safety
    /// `ptr` is such a block of `size` bytes, no longer used.
    pub unsafe fn dealloc(ptr: *mut u8, size: usize) {
        if let Some(len) = round_up(size, PAGE) {
            // SAFETY: the caller's contract.
            let _ = unsafe { munmap(ptr.cast(), len) };
        }
    }

    /// Grows or shrinks a mapped block, moving it if it must (its pages move with it, so
    /// nothing is copied); null on failure, the block then unchanged.
    ///
    /// # Safety
    /// `ptr` is a block of `old` bytes from [`alloc`] or [`realloc`].
    pub unsafe fn realloc(ptr: *mut u8, old: usize, new: usize) -> *mut u8 {
        let (Some(old), Some(new)) = (round_up(old, PAGE), round_up(new, PAGE)) else {
            return null_mut();
        };
        if old == new {
            return ptr;
        }
        // SAFETY: the caller's contract; on failure the old mapping is untouched.
        match unsafe { mremap(ptr.cast(), old, new, MremapFlags::MAYMOVE) } {
            Ok(p) => {
                if new > old {
                    // SAFETY: advice on the block's own pages.
                    let _ = unsafe { madvise(p, new, Advice::LinuxHugepage) };
                }
                p.cast()
            }
            Err(_) => null_mut(),
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod map {
    pub fn alloc(_: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
    pub unsafe fn dealloc(_: *mut u8, _: usize) {}
    pub unsafe fn realloc(_: *mut u8, _: usize, _: usize) -> *mut u8 {
        std::ptr::null_mut()
    }
}

// SAFETY: every block is either mimalloc's or a mapping of its own, and which one it is
// follows from its layout alone (`is_large`), which the caller hands back unchanged; a
// block changes sides only in `realloc`, through a copy into a block of the other side.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size(), layout.align()) {
            return map::alloc(layout.size());
        }
        // SAFETY: forwarded as given.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_large(layout.size(), layout.align()) {
            // a fresh anonymous mapping reads as zeros
            return map::alloc(layout.size());
        }
        // SAFETY: forwarded as given.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if is_large(layout.size(), layout.align()) {
            // SAFETY: a large layout's block is a mapping of that size.
            unsafe { map::dealloc(ptr, layout.size()) };
        } else {
            // SAFETY: forwarded as given.
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) };
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        match (is_large(layout.size(), align), is_large(new_size, align)) {
            // SAFETY: a large layout's block is a mapping of that size.
            (true, true) => unsafe { map::realloc(ptr, layout.size(), new_size) },
            // SAFETY: forwarded as given.
            (false, false) => unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) },
            _ => {
                // across the threshold: a new block of the other kind, and a copy
                // SAFETY: `new_size` with the same alignment is a valid layout (the
                // caller's contract), and both blocks hold at least the bytes copied.
                unsafe {
                    let new_layout = Layout::from_size_align_unchecked(new_size, align);
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fills `len` bytes at `p` with a pattern of `seed`.
    fn fill(p: *mut u8, len: usize, seed: u8) {
        for i in (0..len).step_by(4093) {
            // SAFETY: `i < len`, inside the block.
            unsafe { p.add(i).write(seed.wrapping_add((i % 251) as u8)) };
        }
    }

    /// Whether `len` bytes at `p` still hold [`fill`]'s pattern.
    fn holds(p: *const u8, len: usize, seed: u8) -> bool {
        (0..len)
            .step_by(4093)
            // SAFETY: `i < len`, inside the block.
            .all(|i| unsafe { p.add(i).read() } == seed.wrapping_add((i % 251) as u8))
    }

    #[test]
    fn large_blocks_are_aligned_zeroed_and_keep_their_bytes_as_they_grow_and_shrink() {
        let a = Allocator;
        let small = Layout::from_size_align(LARGE - 1, 8).expect("layout");
        let large = Layout::from_size_align(LARGE + 12_345, 8).expect("layout");
        // SAFETY: each block is used within its size and freed once with its layout.
        unsafe {
            let p = a.alloc_zeroed(large);
            assert!(!p.is_null());
            if cfg!(target_os = "linux") {
                assert!(
                    (p as usize).is_multiple_of(HUGE),
                    "a mapped block starts on a huge page"
                );
            }
            assert!((0..large.size())
                .step_by(4096)
                .all(|i| p.add(i).read() == 0));
            fill(p, large.size(), 7);
            // large -> larger (remapped), larger -> large, large -> small, small -> large
            let q = a.realloc(p, large, 5 * LARGE);
            assert!(!q.is_null() && holds(q, large.size(), 7));
            let bigger = Layout::from_size_align(5 * LARGE, 8).expect("layout");
            fill(q, bigger.size(), 9);
            let r = a.realloc(q, bigger, large.size());
            assert!(!r.is_null() && holds(r, large.size(), 9));
            let s = a.realloc(r, large, small.size());
            assert!(!s.is_null() && holds(s, small.size(), 9));
            let t = a.realloc(s, small, large.size());
            assert!(!t.is_null() && holds(t, small.size(), 9));
            a.dealloc(t, large);
        }
    }

    #[test]
    fn small_blocks_and_large_alignments_stay_with_mimalloc() {
        assert!(!is_large(LARGE - 1, 8));
        assert!(!is_large(LARGE * 4, 2 * PAGE));
        assert_eq!(is_large(LARGE, 8), cfg!(target_os = "linux"));
        let a = Allocator;
        let layout = Layout::from_size_align(LARGE * 2, 2 * PAGE).expect("layout");
        // SAFETY: used within its size and freed once with its layout.
        unsafe {
            let p = a.alloc(layout);
            assert!(!p.is_null() && (p as usize).is_multiple_of(layout.align()));
            fill(p, layout.size(), 3);
            assert!(holds(p, layout.size(), 3));
            a.dealloc(p, layout);
        }
    }

    #[test]
    fn sizes_round_up_without_overflow() {
        assert_eq!(round_up(1, PAGE), Some(PAGE));
        assert_eq!(round_up(PAGE, PAGE), Some(PAGE));
        assert_eq!(round_up(usize::MAX, PAGE), None);
        if cfg!(target_os = "linux") {
            // a size no mapping can have: null, the allocation error, not a panic
            assert!(map::alloc(usize::MAX - PAGE).is_null());
        }
    }
}
