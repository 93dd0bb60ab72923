//! Small helpers on bytes and names that every stage uses and none owns: lower-case hex
//! ([`hex`]), a slice clamped to the data ([`slice`]), the last component of a path
//! ([`base_name`]), a cache hint for bytes about to be read ([`prefetch`]). Like
//! [`crate::error`] it sits below the readers and imports no stage.

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `data[offset..offset+len]`, clamped to the data.
pub fn slice(data: &[u8], offset: u64, len: u64) -> &[u8] {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let end = usize::try_from(offset.saturating_add(len))
        .unwrap_or(usize::MAX)
        .min(data.len());
    &data[start..end]
}

/// The last component of a Windows or Unix path.
pub fn base_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Asks the processor to bring `len` bytes at `ptr` into the cache (a hint: it never
/// faults, whatever the address, and does nothing on other architectures).
#[inline]
pub fn prefetch(ptr: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let skew = ptr as usize & 63;
        let mut at = 0;
        while at < len + skew {
            let line = ptr.wrapping_sub(skew).wrapping_add(at);
            // SAFETY: a prefetch is a hint that reads nothing architecturally and never
            // faults, even for an address that is not mapped.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.cast()) };
            at += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (ptr, len);
    }
}
