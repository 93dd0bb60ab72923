//! Strings in a binary: runs of printable ASCII and of UTF-16LE printable ASCII, each with
//! its file offset, encoding and section. Runs of one repeated character are dropped.

use super::Regions;
use crate::ioc::Encoding;
use serde::Serialize;

/// One string found in a sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundString {
    /// File offset of the first byte.
    pub offset: u64,
    /// ASCII or UTF-16LE.
    pub encoding: Encoding,
    /// The section holding it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// The text.
    pub value: String,
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

fn junk(s: &str) -> bool {
    let first = s.as_bytes()[0];
    s.bytes().all(|b| b == first)
}

/// Every string of at least `min_len` characters, ASCII first then UTF-16LE, each group in
/// file order (so output is deterministic).
pub fn find(data: &[u8], min_len: usize, regions: &Regions) -> Vec<FoundString> {
    let min_len = min_len.max(1);
    let mut out = Vec::new();
    let mut push = |offset: usize, encoding: Encoding, value: String| {
        if !junk(&value) {
            out.push(FoundString {
                offset: offset as u64,
                encoding,
                section: regions.section_of(offset as u64).map(str::to_string),
                value,
            });
        }
    };
    // ASCII.
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if !printable(b) {
            if i - start >= min_len {
                push(
                    start,
                    Encoding::Ascii,
                    String::from_utf8_lossy(&data[start..i]).into_owned(),
                );
            }
            start = i + 1;
        }
    }
    if data.len() - start >= min_len {
        push(
            start,
            Encoding::Ascii,
            String::from_utf8_lossy(&data[start..]).into_owned(),
        );
    }
    // UTF-16LE, at both alignments.
    let mut utf16 = Vec::new();
    for align in 0..2 {
        let mut i = align;
        let mut run_start = i;
        let mut text = String::new();
        while i + 1 < data.len() {
            let (lo, hi) = (data[i], data[i + 1]);
            if hi == 0 && printable(lo) {
                if text.is_empty() {
                    run_start = i;
                }
                text.push(lo as char);
            } else {
                if text.len() >= min_len {
                    utf16.push((run_start, std::mem::take(&mut text)));
                }
                text.clear();
            }
            i += 2;
        }
        if text.len() >= min_len {
            utf16.push((run_start, text));
        }
    }
    utf16.sort();
    for (offset, text) in utf16 {
        push(offset, Encoding::Utf16le, text);
    }
    out
}
