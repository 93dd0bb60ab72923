//! The programs' memory allocator: mimalloc, except for the large arrays of the indicator
//! set, which are mapped from the system on their own with transparent huge pages.
//!
//! The indicator set of a log with millions of distinct values is tens to hundreds of
//! megabytes of arrays that are filled once and then read in no order (hash-table probes
//! while scanning, the sorted read-back while writing): with 4 KiB pages every new page is
//! a fault and nearly every read a TLB miss. A block of at least [`LARGE`] bytes allocated
//! inside [`huge_pages`] (the set's pages, arena blocks, table and sort order) is mapped at
//! a 2 MiB boundary and advised as a huge-page area, so that each 2 MiB of it is one fault
//! and one TLB entry, and it grows by remapping, not by a copy. Everything else stays with
//! mimalloc (built without huge pages): a command's other memory, such as the file buffers
//! of `triage`, is as before (mapping those on their own made a triage of 5,681 files
//! spend twice the system time). A mapped block wastes at most the unused part of its last
//! huge page.
//!
//! The library does not install it: `spoor` (the binary) and the benches that stand in
//! for it do, as `#[global_allocator]`. Without it, [`huge_pages`] changes nothing.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Blocks of at least this many bytes, asked for inside [`huge_pages`], are mapped on
/// their own.
pub const LARGE: usize = 2 << 20;
/// Mapped blocks held at once at most (beyond, blocks go to mimalloc): 2 GiB or more.
const SLOTS: usize = 1024;

/// The start of each mapped block (0: a free slot). A block's layout does not say whose
/// it is (a large block allocated outside [`huge_pages`] is mimalloc's), this does.
static MAPPED: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];

thread_local! {
    /// Whether this thread is inside [`huge_pages`].
    static WANTED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with its large blocks (at least [`LARGE`] bytes) mapped with huge pages, for
/// arrays that are large and read in no order. Blocks keep their kind when freed or grown
/// elsewhere.
pub fn huge_pages<R>(f: impl FnOnce() -> R) -> R {
    /// Puts the thread back as it was, also when `f` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = WANTED.try_with(|w| w.set(self.0));
        }
    }
    let _restore = Restore(WANTED.with(|w| w.replace(true)));
    f()
}

/// Whether this thread is inside [`huge_pages`].
fn wanted() -> bool {
    WANTED.try_with(Cell::get).unwrap_or(false)
}

/// Notes a mapped block; false when every slot is taken.
fn register(p: *mut u8) -> bool {
    MAPPED.iter().any(|slot| {
        slot.compare_exchange(0, p as usize, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    })
}

/// The slot of the mapped block starting at `p`, if it is one.
fn slot_of(p: *mut u8) -> Option<&'static AtomicUsize> {
    if p.is_null() {
        return None;
    }
    MAPPED
        .iter()
        .find(|slot| slot.load(Ordering::Acquire) == p as usize)
}

/// A slot's value while its block is being remapped: no block starts there, so the old
/// start, free for the system to hand out again once moved, is no longer taken for ours.
const MOVING: usize = 1;

/// The huge page size of x86-64 and of arm64 with 4 KiB pages.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const HUGE: usize = 2 << 20;
/// The system page size assumed for rounding (mappings are made in whole pages).
const PAGE: usize = 4096;

/// An allocator (mimalloc, for `spoor`) with the set's large blocks mapped on their own
/// (see the module's documentation). Generic, so that the library itself links no
/// allocator: the Python extension module, loaded into a running interpreter, must not
/// bring mimalloc, whose thread-local storage a loaded library cannot have.
pub struct Allocator<A>(pub A);

/// Whether a block of this layout can be a mapped one.
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

/// Maps a block of `size` bytes and notes it; null when it cannot be, the caller then
/// asks mimalloc.
fn map_noted(size: usize) -> *mut u8 {
    let p = map::alloc(size);
    if p.is_null() || register(p) {
        return p;
    }
    // SAFETY: just mapped with this size, and handed to no one.
    unsafe { map::dealloc(p, size) };
    std::ptr::null_mut()
}

/// A mapped block for `layout` if it is large and asked for inside [`huge_pages`] (and
/// can be mapped); else null, for mimalloc.
fn wanted_map(layout: Layout) -> *mut u8 {
    if is_large(layout.size(), layout.align()) && wanted() {
        map_noted(layout.size())
    } else {
        std::ptr::null_mut()
    }
}

// SAFETY: every block is either the inner allocator's or a mapping of its own, noted in `MAPPED`
// from its mapping to its unmapping (and only large layouts are looked up there); a block
// changes sides only in `realloc`, through a copy into a block of the other side.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Allocator<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match wanted_map(layout) {
            // SAFETY: forwarded as given.
            p if p.is_null() => unsafe { self.0.alloc(layout) },
            p => p,
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // a fresh anonymous mapping reads as zeros
        match wanted_map(layout) {
            // SAFETY: forwarded as given.
            p if p.is_null() => unsafe { self.0.alloc_zeroed(layout) },
            p => p,
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let mapped = if is_large(layout.size(), layout.align()) {
            slot_of(ptr)
        } else {
            None
        };
        if let Some(slot) = mapped {
            slot.store(0, Ordering::Release);
            // SAFETY: a noted block is a mapping of the layout's size.
            unsafe { map::dealloc(ptr, layout.size()) };
            return;
        }
        // SAFETY: forwarded as given.
        unsafe { self.0.dealloc(ptr, layout) };
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let align = layout.align();
        let mapped = if is_large(layout.size(), align) {
            slot_of(ptr)
        } else {
            None
        };
        let to_large = is_large(new_size, align);
        match mapped {
            Some(slot) if to_large => {
                slot.store(MOVING, Ordering::Release);
                // SAFETY: a noted block is a mapping of the layout's size.
                let p = unsafe { map::realloc(ptr, layout.size(), new_size) };
                // on failure the block stays where it was
                let at = if p.is_null() { ptr } else { p };
                slot.store(at as usize, Ordering::Release);
                p
            }
            None if !(to_large && wanted()) => {
                // SAFETY: forwarded as given.
                unsafe { self.0.realloc(ptr, layout, new_size) }
            }
            _ => {
                // to the other side: a new block, and a copy
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
    fn large_blocks_asked_for_huge_pages_are_mapped_and_keep_their_bytes() {
        let a = Allocator(std::alloc::System);
        let linux = cfg!(target_os = "linux");
        let small = Layout::from_size_align(LARGE - 1, 8).expect("layout");
        let large = Layout::from_size_align(LARGE + 12_345, 8).expect("layout");
        let bigger = Layout::from_size_align(5 * LARGE, 8).expect("layout");
        // SAFETY: each block is used within its size and freed once with its layout.
        unsafe {
            let p = huge_pages(|| a.alloc_zeroed(large));
            assert!(!p.is_null());
            assert_eq!(slot_of(p).is_some(), linux, "a mapped block is noted");
            if linux {
                assert!(
                    (p as usize).is_multiple_of(HUGE),
                    "a mapped block starts on a huge page"
                );
            }
            assert!((0..large.size())
                .step_by(4096)
                .all(|i| p.add(i).read() == 0));
            fill(p, large.size(), 7);
            // a mapped block grows and shrinks mapped, outside `huge_pages` too
            let q = a.realloc(p, large, bigger.size());
            assert!(!q.is_null() && holds(q, large.size(), 7));
            assert_eq!(slot_of(q).is_some(), linux);
            fill(q, bigger.size(), 9);
            let r = a.realloc(q, bigger, large.size());
            assert!(!r.is_null() && holds(r, large.size(), 9));
            // below `LARGE` it is mimalloc's, and a large block asked for outside
            // `huge_pages` stays mimalloc's
            let s = a.realloc(r, large, small.size());
            assert!(!s.is_null() && holds(s, small.size(), 9) && slot_of(s).is_none());
            let t = a.realloc(s, small, large.size());
            assert!(!t.is_null() && holds(t, small.size(), 9) && slot_of(t).is_none());
            // inside `huge_pages`, it moves to a mapping
            let u = huge_pages(|| a.realloc(t, large, bigger.size()));
            assert!(!u.is_null() && holds(u, small.size(), 9));
            assert_eq!(slot_of(u).is_some(), linux);
            a.dealloc(u, bigger);
            assert!(slot_of(u).is_none(), "an unmapped block is forgotten");
            // mimalloc's large block freed inside `huge_pages`
            let v = a.alloc(bigger);
            assert!(!v.is_null() && slot_of(v).is_none());
            huge_pages(|| a.dealloc(v, bigger));
        }
        assert!(!wanted(), "`huge_pages` puts the thread back as it was");
    }

    #[test]
    fn small_blocks_and_large_alignments_stay_with_the_inner_allocator() {
        assert!(!is_large(LARGE - 1, 8));
        assert!(!is_large(LARGE * 4, 2 * PAGE));
        assert_eq!(is_large(LARGE, 8), cfg!(target_os = "linux"));
        let a = Allocator(std::alloc::System);
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
    fn a_panic_inside_huge_pages_puts_the_thread_back() {
        let caught = std::panic::catch_unwind(|| huge_pages(|| panic!("inside")));
        assert!(caught.is_err());
        assert!(!wanted());
        // nested: the inner call leaves the outer one's wish in place
        huge_pages(|| {
            huge_pages(|| assert!(wanted()));
            assert!(wanted());
        });
        assert!(!wanted());
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
