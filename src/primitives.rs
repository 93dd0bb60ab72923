//! Small helpers on bytes and names that every stage uses and none owns: lower-case hex
//! ([`hex`]), a slice clamped to the data ([`slice`]), the last component of a path
//! ([`base_name`]). Like [`crate::error`] it sits below the readers and imports no stage.

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
