//! Small helpers on bytes and names that every stage uses and none owns: lower-case hex
//! ([`hex`]), a slice clamped to the data ([`slice`]), the last component of a path
//! ([`base_name`]), a cache hint for bytes about to be read ([`prefetch`]), a list for
//! people that names the first few items and counts the rest ([`capped_list`]), bytes
//! appended as text with a shortcut for ASCII ([`push_text`]), sixteen bytes as one SSE2
//! register ([`load_16`]). Like [`crate::error`] it sits below the readers and imports no
//! stage.

/// How many ports of an address the texts for people name (a report row, a STIX or MISP
/// description); the rest are counted by [`capped_list`], and `iocs.json` keeps them all.
pub const PORTS_SHOWN: usize = 20;

/// Appends `bytes` to `out` as text, invalid UTF-8 replaced as `String::from_utf8_lossy`
/// replaces it. ASCII (nearly every indicator and snippet) is recognised a word at a time
/// and copied without the UTF-8 validation, which costs more than the copy on values this
/// short.
pub fn push_text(out: &mut String, bytes: &[u8]) {
    if bytes.is_ascii() {
        // SAFETY: every byte is ASCII, and ASCII text is valid UTF-8.
        out.push_str(unsafe { std::str::from_utf8_unchecked(bytes) });
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// `items` joined with `, `, at most `max` of them, then ` and N more` for the rest: an
/// address seen on 60,000 ports stays a readable line in a report.
pub fn capped_list<T: std::fmt::Display>(
    items: impl ExactSizeIterator<Item = T>,
    max: usize,
) -> String {
    let total = items.len();
    let mut s = String::new();
    for (i, item) in items.take(max).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&item.to_string());
    }
    if total > max {
        s.push_str(&format!(" and {} more", total - max));
    }
    s
}

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

/// A small deterministic generator (xorshift64, `seed` not zero) for the tests that check
/// a rewritten function against its earlier form on random inputs.
#[cfg(test)]
pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// The sixteen bytes of `block` (at least sixteen long) as one SSE2 register, read as two
/// halves so that no unaligned pointer is dereferenced (the two loads become one).
///
/// # Safety
///
/// Needs SSE2, which every x86-64 processor has (the `cfg`); it reads only `block`.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
#[inline]
pub(crate) fn load_16(block: &[u8]) -> std::arch::x86_64::__m128i {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&block[..8]);
    hi.copy_from_slice(&block[8..16]);
    std::arch::x86_64::_mm_set_epi64x(i64::from_le_bytes(hi), i64::from_le_bytes(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_text_is_from_utf8_lossy() {
        let cases: [&[u8]; 9] = [
            b"",
            b"plain ascii 192.0.2.1",
            "caf\u{e9}".as_bytes(),
            b"bad \xff byte",
            b"\x00\x7f controls kept",
            b"\xe2\x82 cut",
            b"/a\xff\xfeb",
            b"\xe2\x82",
            b"/ok\xc3",
        ];
        for bytes in cases {
            let mut out = String::from("x");
            push_text(&mut out, bytes);
            assert_eq!(
                out,
                format!("x{}", String::from_utf8_lossy(bytes)),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn a_capped_list_names_the_first_items_and_counts_the_rest() {
        assert_eq!(capped_list([80u16, 443].iter(), 20), "80, 443");
        assert_eq!(capped_list(1..4, 3), "1, 2, 3");
        assert_eq!(capped_list(1..60_001u32, 3), "1, 2, 3 and 59997 more");
        assert_eq!(capped_list(std::iter::empty::<u16>(), 3), "");
    }
}
