//! Strings in a binary: runs of printable ASCII and of UTF-16LE printable ASCII, each with
//! its file offset, encoding and section. Runs of one repeated character are dropped here;
//! [`is_junk`] tells the other noise (repeated patterns, runs of garbage, machine code that
//! happens to be printable) from text.

use super::Regions;
pub use crate::findings::triage::FoundString;
use crate::ioc::Encoding;

const B64_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Tags for a string. `api` means a name in the API category table (after A/W folding).
pub fn tag(v: &str) -> Vec<&'static str> {
    let mut t = Vec::new();
    let word = v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if word
        && (4..=64).contains(&v.len())
        && crate::sample::behavior::api_table()
            .apis
            .contains_key(&crate::sample::behavior::fold(v))
    {
        t.push("api");
    }
    let ends_ci = |suffix: &str| {
        v.len() >= suffix.len()
            && v.is_char_boundary(v.len() - suffix.len())
            && v[v.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    let starts_ci = |prefix: &str| {
        v.len() >= prefix.len()
            && v.is_char_boundary(prefix.len())
            && v[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    if v.contains('.')
        && !v.contains(' ')
        && ([".dll", ".so", ".dylib", ".sys", ".ocx"]
            .iter()
            .any(|e| ends_ci(e))
            || v.contains(".so."))
    {
        t.push("dll");
    }
    if v.contains("://") {
        t.push("url");
    }
    if v.contains('\\')
        && (starts_ci("hkey_")
            || starts_ci("hklm\\")
            || starts_ci("hkcu\\")
            || starts_ci("software\\")
            || starts_ci("system\\currentcontrolset")
            || starts_ci("hardware\\")
            || v.to_ascii_lowercase().contains("\\currentversion\\"))
    {
        t.push("registry");
    }
    let b = v.as_bytes();
    if (b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
        || v.starts_with("\\\\")
        || (v.starts_with('%') && v.contains("%\\"))
        || (v.starts_with('/') && v[1..].contains('/') && !v.contains(' '))
    {
        t.push("path");
    }
    if v.contains('%')
        && [
            "%s", "%d", "%x", "%u", "%ls", "%S", "%p", "%08x", "%lu", "%i",
        ]
        .iter()
        .any(|f| v.contains(f))
    {
        t.push("format");
    }
    if v.len() >= B64_ALPHABET.len() && v.contains(B64_ALPHABET) {
        t.push("base64-alphabet");
    } else if !t.contains(&"api")
        && (v.contains(['+', '/', '=']) || v.bytes().filter(u8::is_ascii_digit).count() >= 3)
        && v.len() >= 16
        && v.len().is_multiple_of(4)
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'='))
        && v.bytes().any(|c| c.is_ascii_uppercase())
        && v.bytes().any(|c| c.is_ascii_lowercase())
        && v.bytes().any(|c| c.is_ascii_digit())
    {
        t.push("base64");
    }
    t
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// One repeated character: dropped before anything else sees the string.
fn junk(s: &[u8]) -> bool {
    s.iter().all(|&b| b == s[0])
}

/// Character classes for [`is_junk`]'s transition count.
fn class(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => 0,
        b'a'..=b'z' => 1,
        b'0'..=b'9' => 2,
        b' ' | b'\t' => 3,
        _ => 4,
    }
}

/// Whether a string is noise rather than text. Tagged strings (api, path, url, ...) never
/// are. Noise is: a unit of up to four characters repeated (`ABABAB`, `-=-=-=`); fewer than
/// half letters, digits and spaces; a short string with an unusual symbol whose character
/// class changes at most steps (`x#Kq9`, `HcP<H`; upper to lower case does not count, for
/// `CamelCase`; dotted numbers and hex identifiers have no such symbol); and, in
/// an executable section, a short string mostly of capitals and symbols, with no run of
/// three lower-case letters and no space (printable machine code: `AWAVAUATUWVSH`).
pub fn is_junk(s: &FoundString, in_code: bool) -> bool {
    is_junk_text(&s.value, &s.tags, in_code)
}

/// [`is_junk`] on a string's text and tags.
pub fn is_junk_text(value: &str, tags: &[&str], in_code: bool) -> bool {
    if !tags.is_empty() {
        return false;
    }
    let b = value.as_bytes();
    let n = b.len();
    if n == 0 {
        return true;
    }
    if (1..=4).any(|p| n >= 3 * p && b.iter().enumerate().all(|(i, &c)| c == b[i % p])) {
        return true;
    }
    let texty = b
        .iter()
        .filter(|c| c.is_ascii_alphanumeric() || **c == b' ')
        .count();
    if texty * 2 < n {
        return true;
    }
    let odd = |c: &u8| b"$<>[]^`{}|~#'\"!()*+;?@&=".contains(c);
    if n < 16 && b.iter().any(odd) {
        let changes = b
            .windows(2)
            .filter(|w| {
                let (x, y) = (class(w[0]), class(w[1]));
                x != y && !(x == 0 && y == 1)
            })
            .count();
        if changes * 2 > n - 1 {
            return true;
        }
    }
    if in_code && n < 16 && !b.contains(&b' ') {
        let mut run = 0;
        let lower_run = b.iter().any(|c| {
            run = if c.is_ascii_lowercase() { run + 1 } else { 0 };
            run >= 3
        });
        let upper_or_symbol = b
            .iter()
            .filter(|c| c.is_ascii_uppercase() || odd(c))
            .count();
        if !lower_run && upper_or_symbol * 2 >= n {
            return true;
        }
    }
    false
}

/// Every string of at least `min_len` characters, ASCII first then UTF-16LE, each group in
/// file order (so output is deterministic), junk included (see [`scan`] for the strings
/// without junk and the text the IOC engine reads).
pub fn find(data: &[u8], min_len: usize, regions: &Regions) -> Vec<FoundString> {
    let mut out = Vec::new();
    visit(data, min_len, |offset, encoding, value| {
        out.push(FoundString {
            offset: offset as u64,
            encoding,
            section: regions.section_of(offset as u64).map(str::to_string),
            tags: tag(value),
            value: value.to_string(),
        });
    });
    out
}

/// Calls `f(offset, encoding, text)` for every string of at least `min_len` characters
/// that is not one repeated character, ASCII first then UTF-16LE, each group in file
/// order. One pass over the bytes for each encoding; nothing is allocated per string.
fn visit(data: &[u8], min_len: usize, mut f: impl FnMut(usize, Encoding, &str)) {
    let min_len = min_len.max(1);
    let mut emit_ascii = |start: usize, end: usize| {
        let bytes = &data[start..end];
        if !junk(bytes) {
            // Printable ASCII is always UTF-8.
            if let Ok(text) = std::str::from_utf8(bytes) {
                f(start, Encoding::Ascii, text);
            }
        }
    };
    ascii_runs(data, min_len, &mut emit_ascii);
    // UTF-16LE, at both alignments.
    let mut utf16 = utf16_runs(data, min_len);
    utf16.sort_unstable();
    let mut buf = Vec::new();
    for (start, end) in utf16 {
        buf.clear();
        buf.extend(data[start..end].iter().step_by(2));
        if !junk(&buf) {
            if let Ok(text) = std::str::from_utf8(&buf) {
                f(start, Encoding::Utf16le, text);
            }
        }
    }
}

/// Bit `i` set when `block[i]` is printable (see [`printable`]); bits past the block's
/// end are clear. Arithmetic rather than a table, so that the compiler can compare many
/// bytes at once.
#[inline]
fn printable_mask(block: &[u8]) -> u64 {
    block.iter().enumerate().fold(0u64, |m, (i, &b)| {
        m | (u64::from((b.wrapping_sub(0x20) < 0x5f) | (b == b'\t')) << i)
    })
}

/// Bit `i` set when bits `i..i + n` of `m` are all set (within the word; none when `n` is
/// over 64).
#[inline]
fn windows_of_ones(m: u64, n: usize) -> u64 {
    if n > 64 {
        return 0;
    }
    let (mut w, mut have) = (m, 1);
    while have < n {
        let step = (n - have).min(have);
        w &= w >> step;
        have += step;
    }
    w
}

/// Calls `f(start, end)`, in file order, for every run of at least `min_len` printable
/// bytes. Reads 64 bytes at a time as a bit mask: a block of text or of no text at all
/// costs a few operations, and inside a block only the runs long enough are visited, so
/// that the many short runs of code and random data cost nothing per run.
fn ascii_runs(data: &[u8], min_len: usize, mut f: impl FnMut(usize, usize)) {
    let min_len = min_len.max(1);
    // Printable bytes ending where the current block starts.
    let mut run = 0usize;
    let mut tail = [0u8; 64];
    for (k, chunk) in data.chunks(64).enumerate() {
        let base = k * 64;
        let m = if let Ok(block) = <&[u8; 64]>::try_from(chunk) {
            printable_mask(block)
        } else {
            // The last, partial block: the bytes past the end read as zeros, which are
            // not printable, so any run ends at the end of the data.
            tail[..chunk.len()].copy_from_slice(chunk);
            tail[chunk.len()..].fill(0);
            printable_mask(&tail)
        };
        if m == u64::MAX {
            run += 64;
            continue;
        }
        // The run carried in ends at the block's first non-printable byte.
        let first = m.trailing_ones() as usize;
        if run + first >= min_len {
            f(base - run, base + first);
        }
        // Runs starting inside the block: the lowest window bit of a run is its start.
        let mut long = windows_of_ones(m, min_len) & (u64::MAX << first);
        while long != 0 {
            let start = long.trailing_zeros() as usize;
            let end = start + (!m >> start).trailing_zeros() as usize;
            if end >= 64 {
                // Reaches the block's end: carried into the next block.
                break;
            }
            f(base + start, base + end);
            long &= u64::MAX << end;
        }
        run = m.leading_ones() as usize;
    }
    if run >= min_len {
        f(data.len() - run, data.len());
    }
}

/// Strings kept at most (see [`Scan::dropped`]): a file with more strings than this is
/// almost all noise, and past it memory would grow with the file. Every string, kept or
/// not, still goes to the IOC engine. Past the cap the strings are sampled across the whole
/// file (see [`Sampler`]), so padding at the front cannot push the real strings out.
pub const MAX_STRINGS: usize = 200_000;

/// Keeps at most `cap` strings, sampled evenly across the file, by priority: API names and
/// strings an ATT&CK rule looks for, then other tagged strings (API names, paths, URLs, registry keys, ...),
/// then the rest. When full, the lowest class holding more than an eighth of the kept
/// strings (or, failing that, any lowest class of two or more) is thinned: every second
/// string of it goes, and from then on only every `stride`-th string of that class is
/// taken. Deterministic, and memory stays bounded.
struct Sampler {
    cap: usize,
    kept: Vec<FoundString>,
    /// Per kept string: its class and its ordinal within the class.
    ordinals: Vec<(usize, u64)>,
    seen: [u64; 3],
    stride: [u64; 3],
    dropped: usize,
}

impl Sampler {
    fn new(cap: usize) -> Self {
        Sampler {
            cap: cap.max(4),
            kept: Vec::new(),
            ordinals: Vec::new(),
            seen: [0; 3],
            stride: [1; 3],
            dropped: 0,
        }
    }

    /// Takes a string of `class` (0 plain, 1 tagged, 2 an API name or named by an ATT&CK
    /// rule).
    fn push(&mut self, s: FoundString, class: usize) {
        let class = class.min(2);
        let ordinal = self.seen[class];
        self.seen[class] += 1;
        if !ordinal.is_multiple_of(self.stride[class]) {
            self.dropped += 1;
            return;
        }
        self.kept.push(s);
        self.ordinals.push((class, ordinal));
        while self.kept.len() >= self.cap {
            self.thin();
        }
    }

    fn thin(&mut self) {
        let mut counts = [0usize; 3];
        for &(c, _) in &self.ordinals {
            counts[c] += 1;
        }
        let class = (0..3)
            .find(|&c| counts[c] > self.cap / 8)
            .or_else(|| (0..3).find(|&c| counts[c] >= 2))
            .unwrap_or(0);
        let before = self.kept.len();
        // Two distinct ordinals are told apart by some power of two, so this ends.
        while self.kept.len() == before && self.stride[class] < u64::MAX / 2 {
            self.stride[class] *= 2;
            let stride = self.stride[class];
            let keep: Vec<bool> = self
                .ordinals
                .iter()
                .map(|&(c, o)| c != class || o.is_multiple_of(stride))
                .collect();
            let mut flags = keep.iter();
            self.kept.retain(|_| flags.next().copied().unwrap_or(true));
            let mut flags = keep.iter();
            self.ordinals
                .retain(|_| flags.next().copied().unwrap_or(true));
        }
        self.dropped += before - self.kept.len();
        if self.kept.len() == before {
            // cannot happen with two or more strings of a class; never loop forever
            self.dropped += 1;
            self.kept.pop();
            self.ordinals.pop();
        }
    }
}

/// Bytes of joined text handed to the IOC engine at a time (see [`scan`]).
pub const TEXT_CHUNK: usize = 1 << 20;

/// Strings of a sample, as triage keeps them: the text strings, junk filtered while
/// scanning so that no memory is spent on noise.
#[derive(Debug, Default)]
pub struct Scan {
    /// Strings that are not junk, ASCII first then UTF-16LE, each in file order; at most
    /// [`MAX_STRINGS`], sampled across the file past that.
    pub strings: Vec<FoundString>,
    /// Strings found but dropped as junk (see [`is_junk`]), or as the text of an embedded
    /// data table ([`Regions::with_tables`]).
    pub junk: usize,
    /// Text strings not kept because more than [`MAX_STRINGS`] were found.
    pub dropped: usize,
}

/// Consecutive strings (text and junk alike) joined by NUL bytes, as the IOC engine reads
/// them, with the way back to file offsets.
#[derive(Debug, Default, Clone)]
pub struct Text {
    /// The strings' characters (UTF-16LE decoded), each followed by a NUL byte.
    pub bytes: Vec<u8>,
    /// Per string: its start in `bytes`, and its file offset with [`UTF16`] set for
    /// UTF-16LE.
    pieces: Vec<(u64, u64)>,
}

/// The flag of a UTF-16LE string in [`Text::pieces`] (file offsets stay far below it).
const UTF16: u64 = 1 << 63;

impl Text {
    /// Where position `pos` of [`Text::bytes`] lies: its file offset, the file offset of
    /// the string holding it, and that string's encoding.
    pub fn locate(&self, pos: u64) -> Option<(u64, u64, Encoding)> {
        let i = self.pieces.partition_point(|p| p.0 <= pos).checked_sub(1)?;
        let &(start, flagged) = self.pieces.get(i)?;
        let offset = flagged & !UTF16;
        Some(if flagged & UTF16 != 0 {
            (offset + (pos - start) * 2, offset, Encoding::Utf16le)
        } else {
            (offset + (pos - start), offset, Encoding::Ascii)
        })
    }

    /// Appends the strings of `other` after these.
    pub fn append(&mut self, other: &Text) {
        let base = self.bytes.len() as u64;
        self.bytes.extend_from_slice(&other.bytes);
        self.pieces.extend(
            other
                .pieces
                .iter()
                .map(|&(start, offset)| (base + start, offset)),
        );
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.pieces.clear();
    }
}

/// Strings of `data` of at least `min_len` characters (see [`Scan`]); `code` names the
/// executable sections, where printable machine code is junk. Every string's text, junk
/// included, goes to `on_text` in stretches of about [`TEXT_CHUNK`] bytes, so that the IOC
/// engine reads them all without the text of a large file being held at once; strings
/// inside an embedded data table of `regions` count as junk and go nowhere.
pub fn scan(
    data: &[u8],
    min_len: usize,
    regions: &Regions,
    code: &[&str],
    mut on_text: impl FnMut(&Text),
) -> Scan {
    let mut out = Scan::default();
    let mut sampler = Sampler::new(MAX_STRINGS);
    let mut text = Text::default();
    visit(data, min_len, |offset, encoding, value| {
        if regions.in_table(offset as u64) {
            // a library's data table (Brotli's dictionary): its words, not the program's
            out.junk += 1;
            return;
        }
        let flag = if encoding == Encoding::Utf16le {
            UTF16
        } else {
            0
        };
        text.pieces
            .push((text.bytes.len() as u64, offset as u64 | flag));
        text.bytes.extend_from_slice(value.as_bytes());
        text.bytes.push(0);
        if text.bytes.len() >= TEXT_CHUNK {
            on_text(&text);
            text.clear();
        }
        let tags = tag(value);
        let section = regions.section_of(offset as u64);
        let in_code = section.is_some_and(|n| code.contains(&n));
        if is_junk_text(value, &tags, in_code) {
            out.junk += 1;
        } else {
            // API names and the strings ATT&CK rules look for decide techniques: kept first.
            let class = if tags.contains(&"api")
                || crate::sample::behavior::names_a_technique_string(value)
            {
                2
            } else {
                usize::from(!tags.is_empty())
            };
            sampler.push(
                FoundString {
                    offset: offset as u64,
                    encoding,
                    section: section.map(str::to_string),
                    tags,
                    value: value.to_string(),
                },
                class,
            );
        }
    });
    if !text.bytes.is_empty() {
        on_text(&text);
    }
    out.strings = sampler.kept;
    out.dropped = sampler.dropped;
    out
}

/// UTF-16LE runs `start..end` (byte offsets) of at least `min_len` printable ASCII
/// characters, at both alignments. Only the zero bytes are visited (every character's high
/// byte is zero), so data without zeros costs one `memchr` pass.
fn utf16_runs(data: &[u8], min_len: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // Per alignment: (run start, run end = offset after the last character).
    let mut runs: [Option<(usize, usize)>; 2] = [None, None];
    let flush = |run: (usize, usize), out: &mut Vec<(usize, usize)>| {
        let (start, end) = run;
        if (end - start) / 2 >= min_len {
            out.push(run);
        }
    };
    for z in memchr::memchr_iter(0, data) {
        let Some(c) = z.checked_sub(1) else {
            continue;
        };
        if !printable(data[c]) {
            continue;
        }
        let a = c & 1;
        match runs[a] {
            Some((start, end)) if end == c => runs[a] = Some((start, z + 1)),
            Some(run) => {
                flush(run, &mut out);
                runs[a] = Some((c, z + 1));
            }
            None => runs[a] = Some((c, z + 1)),
        }
    }
    for run in runs.into_iter().flatten() {
        flush(run, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward two-pass scan `utf16_runs` must agree with.
    fn reference(data: &[u8], min_len: usize) -> Vec<(usize, String)> {
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
        utf16
    }

    /// The byte-by-byte scan `ascii_runs` must agree with.
    fn ascii_reference(data: &[u8], min_len: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, &b) in data.iter().enumerate() {
            match (printable(b), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    if i - s >= min_len.max(1) {
                        out.push((s, i));
                    }
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            if data.len() - s >= min_len.max(1) {
                out.push((s, data.len()));
            }
        }
        out
    }

    #[test]
    fn the_strings_cap_samples_the_whole_file_tagged_strings_first() {
        let found = |i: usize, tagged: bool| FoundString {
            offset: i as u64,
            encoding: Encoding::Ascii,
            section: None,
            tags: if tagged { vec!["api"] } else { Vec::new() },
            value: format!("s{i}"),
        };
        let mut sampler = Sampler::new(100);
        for i in 0..10_000 {
            sampler.push(found(i, false), 0);
        }
        for i in 10_000..10_010 {
            sampler.push(found(i, true), 1);
        }
        for i in 10_010..20_000 {
            sampler.push(found(i, false), 0);
        }
        assert!(sampler.kept.len() < 100);
        assert_eq!(sampler.kept.len() + sampler.dropped, 20_000);
        // every tagged string survives, and the untagged ones come from all over the file
        assert_eq!(
            sampler.kept.iter().filter(|s| !s.tags.is_empty()).count(),
            10
        );
        assert!(sampler.kept.iter().any(|s| s.offset > 15_000));
        assert!(sampler.kept.iter().any(|s| s.offset < 5_000));
        assert!(sampler.kept.windows(2).all(|w| w[0].offset < w[1].offset));
    }

    #[test]
    fn the_strings_cap_ends_whatever_the_classes() {
        let found = |i: usize| FoundString {
            offset: i as u64,
            encoding: Encoding::Ascii,
            section: None,
            tags: Vec::new(),
            value: format!("s{i}"),
        };
        let mut sampler = Sampler::new(64);
        sampler.push(found(0), 0);
        sampler.push(found(1), 2);
        for i in 2..50_000 {
            sampler.push(found(i), 1);
        }
        assert!(sampler.kept.len() < 64);
        assert_eq!(sampler.kept.len() + sampler.dropped, 50_000);
        assert!(
            sampler.kept.iter().any(|s| s.offset == 1),
            "the rule's string stays"
        );
        assert!(sampler.kept.iter().any(|s| s.offset > 40_000));
    }

    #[test]
    fn ascii_runs_match_the_reference() {
        let mut next = crate::primitives::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut cases: Vec<Vec<u8>> = vec![Vec::new(), vec![b'a'; 64], vec![b'a'; 200]];
        for len in [1, 5, 63, 64, 65, 127, 128, 129, 300, 1000] {
            for density in [1, 2, 4, 16, 200] {
                // Runs of text broken by a non-printable byte about once in `density`.
                let d: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = next();
                        if r.is_multiple_of(density) {
                            (r >> 8) as u8 & 0x1f
                        } else {
                            b'!' + (r >> 16) as u8 % 90
                        }
                    })
                    .collect();
                cases.push(d);
            }
        }
        for d in &cases {
            for min in [0, 1, 2, 4, 5, 8, 33, 63, 64, 65, 100, 250] {
                let mut got = Vec::new();
                ascii_runs(d, min, |a, b| got.push((a, b)));
                assert_eq!(got, ascii_reference(d, min), "len {} min {min}", d.len());
            }
        }
    }

    #[test]
    fn utf16_runs_match_the_reference() {
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\0".to_vec(),
            b"a\0b\0c\0d\0e\0".to_vec(),
            b"xa\0b\0c\0d\0e\0f".to_vec(),
            b"a\0b\0c\0d\0e\0\0\0A\0B\0C\0D\0E\0F\0".to_vec(),
            b"\0a\0b\0c\0d\0e\0".to_vec(),
        ];
        let mut next = crate::primitives::xorshift(0x1234_5678_9abc_def1);
        for _ in 0..200 {
            let mut d = Vec::new();
            for _ in 0..300 {
                let state = next();
                d.push(match state % 5 {
                    0 | 1 => 0,
                    2 => b'a' + (state >> 8) as u8 % 26,
                    3 => (state >> 16) as u8,
                    _ => b' ',
                });
            }
            cases.push(d);
        }
        for d in &cases {
            for min in [1, 3, 5] {
                let mut got: Vec<(usize, String)> = utf16_runs(d, min)
                    .into_iter()
                    .map(|(a, b)| (a, d[a..b].iter().step_by(2).map(|&c| c as char).collect()))
                    .collect();
                got.sort();
                assert_eq!(got, reference(d, min), "{d:?} min {min}");
            }
        }
    }
}
