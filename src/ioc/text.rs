//! The scan of plain text: refanging, the scanner's hits, UTF-16LE runs decoded, and each
//! hit handed to a [`Collector`] with its offset, line and context snippet. The extractor
//! (`crate::extract`) runs it over chunks of files and streams; triage runs it over a
//! sample's strings through [`PlainText`]; both give the same indicators for the same text.

use super::allowlist::Allowlist;
use super::refang::{refang_for_scan, RefangBuffers, Refanged};
use super::scan::{Hit, KindSet, Scanner};
use super::set::{IocSet, KeyHash, Seen};
use super::{Encoding, Ioc, IocKind, Notes};
use std::sync::Arc;

/// Where hits go: the deduplicating set, or a callback that gets each sighting as it is
/// found (`--no-dedup`).
pub(crate) trait Collector {
    /// The index of a source name.
    fn source(&mut self, name: &Arc<str>) -> u32;
    /// One hit; `context` is called only when the sighting is kept. `hash` is what
    /// [`Collector::prefetch`] returned for this kind and value, if it was asked.
    #[allow(clippy::too_many_arguments)]
    fn hit(
        &mut self,
        kind: IocKind,
        value: &str,
        defanged: bool,
        notes: Notes,
        seen: Seen<'_>,
        hash: Option<KeyHash>,
        context: &dyn Fn(&mut String),
    );
    /// Registers the file a source's bytes can be read again from, so that snippets of it
    /// are cut when output is written (see [`super::cut`]); collectors that write each
    /// sighting at once ignore it.
    fn source_file(&mut self, _source: u32, _path: &std::path::Path) {}
    /// Whether snippets of `source` are cut at output time ([`Collector::hit_cut`]).
    fn cuts(&self, _source: u32) -> bool {
        false
    }
    /// One hit of a source that [`Collector::cuts`]: its snippet starts `back` bytes
    /// before the hit's offset and is `len` bytes long; `context` cuts it now. `hash` is
    /// what [`Collector::prefetch`] returned for this kind and value, if it was asked.
    #[allow(clippy::too_many_arguments)]
    fn hit_cut(
        &mut self,
        kind: IocKind,
        value: &str,
        defanged: bool,
        notes: Notes,
        seen: Seen<'_>,
        (_back, _len): (u8, u32),
        hash: Option<KeyHash>,
        context: &dyn Fn(&mut String),
    ) {
        self.hit(kind, value, defanged, notes, seen, hash, context);
    }
    /// A hint that a hit of `kind` and `value` comes soon (the set fetches where it will
    /// look it up); what it returns goes with that hit to [`Collector::hit_cut`] or
    /// [`Collector::hit`].
    fn prefetch(&mut self, _kind: IocKind, _value: &str) -> Option<KeyHash> {
        None
    }
    /// The second and third steps of fetching ahead for a hit whose [`Collector::prefetch`]
    /// returned `hash` (see [`IocSet::prefetch_entry`] and [`IocSet::prefetch_key`]).
    fn prefetch_entry(&self, _hash: &mut KeyHash) {}
    fn prefetch_key(&self, _hash: &KeyHash) {}
    /// Whether reading should stop (the output is gone).
    fn stopped(&self) -> bool {
        false
    }
}

impl Collector for IocSet {
    fn source(&mut self, name: &Arc<str>) -> u32 {
        IocSet::source(self, name)
    }

    fn hit(
        &mut self,
        kind: IocKind,
        value: &str,
        defanged: bool,
        notes: Notes,
        seen: Seen<'_>,
        hash: Option<KeyHash>,
        context: &dyn Fn(&mut String),
    ) {
        self.add_seen(kind, value, defanged, notes, seen, hash, context);
    }

    fn source_file(&mut self, source: u32, path: &std::path::Path) {
        IocSet::source_file(self, source, path);
    }

    fn prefetch(&mut self, kind: IocKind, value: &str) -> Option<KeyHash> {
        // The hint costs a key per hit (the hash is not computed again); it pays only once
        // the table has outgrown the caches (logs where most indicators are new), not for
        // the few thousand values a typical log repeats.
        if self.len() >= PREFETCH_FROM_LEN {
            Some(IocSet::prefetch(self, kind, value))
        } else {
            None
        }
    }

    fn prefetch_entry(&self, hash: &mut KeyHash) {
        IocSet::prefetch_entry(self, hash);
    }

    fn prefetch_key(&self, hash: &KeyHash) {
        IocSet::prefetch_key(self, hash);
    }

    fn cuts(&self, source: u32) -> bool {
        IocSet::cuts(self, source)
    }

    fn hit_cut(
        &mut self,
        kind: IocKind,
        value: &str,
        defanged: bool,
        notes: Notes,
        seen: Seen<'_>,
        cut: (u8, u32),
        hash: Option<KeyHash>,
        _context: &dyn Fn(&mut String),
    ) {
        self.add_cut(kind, value, defanged, notes, seen, cut, hash);
    }
}

/// Bytes of context kept on each side of an indicator.
const CONTEXT: usize = 40;
/// Shortest UTF-16LE run (in characters) worth decoding.
const MIN_UTF16_CHARS: usize = 5;

/// One hit of a chunk, with positions relative to the chunk.
pub(crate) struct Found {
    pub(crate) kind: IocKind,
    pub(crate) value: String,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) defanged: bool,
    pub(crate) notes: Notes,
    pub(crate) encoding: Encoding,
}

/// A chunk and what was found in it, kept so that contexts are built only for kept
/// sightings; recycled with all its buffers once merged.
#[derive(Default)]
pub(crate) struct ChunkOut {
    pub(crate) data: Vec<u8>,
    /// UTF-16LE text decoded to ASCII, with its runs (decoded start, original start).
    decoded: Vec<u8>,
    runs: Vec<(usize, usize)>,
    /// ASCII hits sorted by start; UTF-16 hits carry decoded positions.
    pub(crate) found: Vec<Found>,
}

/// Scans `out.data`, filling the rest of `out` (whose buffers are reused).
pub(crate) fn process_chunk(scanner: &Scanner, out: &mut ChunkOut, utf16: bool) {
    thread_local! {
        /// Per-thread buffers for refanged text and raw hits, so chunks do not each fault
        /// in fresh pages.
        static SCRATCH: std::cell::RefCell<(RefangBuffers, Vec<Hit>)> =
            std::cell::RefCell::new((RefangBuffers::default(), Vec::new()));
    }
    let (mut scratch, mut hits) = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    out.found.clear();
    out.decoded.clear();
    out.runs.clear();
    let text = refang_for_scan(&out.data, scratch);
    scanner.scan(&text, &mut hits);
    collect(&text, &mut hits, Encoding::Ascii, &mut out.found);
    scratch = text.into_buffers();
    if utf16 && memchr::memchr(0, &out.data).is_some() {
        decode_utf16_runs(&out.data, &mut out.decoded, &mut out.runs);
        if !out.decoded.is_empty() {
            let text = refang_for_scan(&out.decoded, scratch);
            scanner.scan(&text, &mut hits);
            collect(&text, &mut hits, Encoding::Utf16le, &mut out.found);
            scratch = text.into_buffers();
        }
    }
    SCRATCH.with(|s| *s.borrow_mut() = (scratch, hits));
}

fn collect(text: &Refanged<'_>, hits: &mut Vec<Hit>, encoding: Encoding, found: &mut Vec<Found>) {
    // Hits come out of the scanner in order nearly always; sort only when they did not.
    if !hits.is_sorted_by_key(|h| (h.start, h.end)) {
        hits.sort_unstable_by_key(|h| (h.start, h.end));
    }
    let mut cursor = 0;
    for h in hits.drain(..) {
        let (start, end, refanged) = text.map_span(&mut cursor, h.start, h.end);
        found.push(Found {
            kind: h.kind,
            defanged: refanged || h.defanged,
            notes: h.notes,
            value: h.value,
            start,
            end,
            encoding,
        });
    }
}

/// Finds runs of printable ASCII encoded as UTF-16LE and appends them to
/// `decoded` (each ended by a NUL), recording (decoded start, original start) for each run.
fn decode_utf16_runs(data: &[u8], decoded: &mut Vec<u8>, runs: &mut Vec<(usize, usize)>) {
    let printable = |b: u8| (0x20..0x7f).contains(&b) || b == b'\t';
    let mut i = 0;
    while let Some(p) = memchr::memchr(0, &data[i..]).map(|p| i + p) {
        if p == 0 || !printable(data[p - 1]) {
            i = p + 1;
            continue;
        }
        let start = p - 1;
        let mut end = start;
        while end + 1 < data.len() && data[end + 1] == 0 && printable(data[end]) {
            end += 2;
        }
        let chars = (end - start) / 2;
        if chars >= MIN_UTF16_CHARS {
            runs.push((decoded.len(), start));
            decoded.extend(data[start..end].iter().step_by(2));
            decoded.push(0); // a string terminator, as in the original
        }
        i = end.max(p + 1);
        if i >= data.len() {
            break;
        }
    }
}

/// How many hits ahead [`Merger::merge`] tells the collector what comes.
const PREFETCH_HITS: usize = 6;
/// Hits ahead at which the entry of a value seen before is fetched (its table slots
/// having come in since [`PREFETCH_HITS`]).
const ENTRY_HITS: usize = 4;
/// Hits ahead at which that entry's key and last sighting are fetched.
const KEY_HITS: usize = 2;
/// Slots of [`Merger::merge`]'s ring of hashes (more than [`PREFETCH_HITS`]).
const HASH_RING: usize = 8;

/// How many distinct indicators the set holds before [`Collector::prefetch`] asks it to
/// fetch ahead: below this its table sits in the processor's caches anyway.
const PREFETCH_FROM_LEN: usize = 1 << 15;

/// Turns chunk results into sightings, in order, tracking offsets and lines.
pub(crate) struct Merger {
    pub(crate) source: u32,
    pub(crate) offset: u64,
    pub(crate) line: u64,
    pub(crate) hits: u64,
    /// Leave snippets to be cut at output time ([`Collector::cuts`] of the source).
    pub(crate) cut: bool,
}

impl Merger {
    /// Adds a chunk's hits to `set`, leaving its buffers for reuse.
    pub(crate) fn merge(&mut self, out: &mut ChunkOut, set: &mut dyn Collector) {
        let mut line = self.line;
        let mut counted_to = 0usize;
        // The first line end at or after `counted_to`: hits are a few dozen bytes apart,
        // so line ends are found one at a time rather than counted between every two hits.
        let mut next_nl = memchr::memchr(b'\n', &out.data);
        // The last line end before the hit: with `next_nl`, where its snippet stops when
        // the chunk holds no other stop byte (no `\r`, no NUL: most logs), found without a
        // search per hit.
        let mut prev_nl: Option<usize> = None;
        let lines_only = memchr::memchr2(b'\r', 0, &out.data).is_none();
        // what `prefetch` returned for the hits up to `PREFETCH_HITS` ahead, by hit number
        let mut hashes: [Option<KeyHash>; HASH_RING] = [None; HASH_RING];
        for (n, f) in out.found.iter().enumerate() {
            if let Some(ahead) = out.found.get(n + PREFETCH_HITS) {
                hashes[(n + PREFETCH_HITS) % HASH_RING] = set.prefetch(ahead.kind, &ahead.value);
            }
            if let Some(h) = hashes[(n + ENTRY_HITS) % HASH_RING].as_mut() {
                set.prefetch_entry(h);
            }
            if let Some(h) = hashes[(n + KEY_HITS) % HASH_RING].as_ref() {
                set.prefetch_key(h);
            }
            // the first hits of a chunk were not fetched ahead
            let hash = if n >= PREFETCH_HITS {
                hashes[n % HASH_RING]
            } else {
                None
            };
            self.hits += 1;
            // the snippet's bounds, if known from the line ends around the hit
            let mut bounds = None;
            let (offset, line_no, context) = match f.encoding {
                Encoding::Ascii => {
                    if f.start >= counted_to {
                        while let Some(nl) = next_nl.filter(|&nl| nl < f.start) {
                            line += 1;
                            prev_nl = Some(nl);
                            next_nl =
                                memchr::memchr(b'\n', &out.data[nl + 1..]).map(|i| nl + 1 + i);
                        }
                        counted_to = f.start;
                        if lines_only {
                            bounds = bounds_within_line(
                                out.data.len(),
                                f.start,
                                f.end,
                                prev_nl,
                                next_nl,
                            );
                        }
                    }
                    (
                        self.offset + f.start as u64,
                        Some(line),
                        (&out.data[..], f.start, f.end),
                    )
                }
                Encoding::Utf16le => {
                    let idx = out
                        .runs
                        .partition_point(|r| r.0 <= f.start)
                        .saturating_sub(1);
                    let (dstart, ostart) = out.runs.get(idx).copied().unwrap_or((0, 0));
                    let orig = ostart + 2 * (f.start - dstart);
                    (
                        self.offset + orig as u64,
                        None,
                        (&out.decoded[..], f.start, f.end),
                    )
                }
            };
            let seen = Seen {
                source: self.source,
                offset: Some(offset),
                line: line_no,
                field: None,
                encoding: f.encoding,
            };
            if self.cut && f.encoding == Encoding::Ascii {
                let (s, e) =
                    bounds.unwrap_or_else(|| snippet_bounds(context.0, context.1, context.2));
                let back = context.1.saturating_sub(s) as u8;
                let len = u32::try_from(e - s).unwrap_or(u32::MAX);
                if len != u32::MAX {
                    set.hit_cut(
                        f.kind,
                        &f.value,
                        f.defanged,
                        f.notes,
                        seen,
                        (back, len),
                        hash,
                        &|out| printable_into(&context.0[s..e], out),
                    );
                    continue;
                }
            }
            set.hit(f.kind, &f.value, f.defanged, f.notes, seen, hash, &|out| {
                snippet_into(context.0, context.1, context.2, out)
            });
        }
        out.found.clear();
        self.offset += out.data.len() as u64;
        self.line = line + memchr::memchr_iter(b'\n', &out.data[counted_to..]).count() as u64;
    }
}

/// A printable one-line snippet of up to `CONTEXT` bytes either side of `start..end`.
pub fn snippet(data: &[u8], start: usize, end: usize) -> String {
    let mut out = String::new();
    snippet_into(data, start, end, &mut out);
    out
}

/// [`snippet`], appended to `out`.
pub fn snippet_into(data: &[u8], start: usize, end: usize, out: &mut String) {
    let (s, e) = snippet_bounds(data, start, end);
    printable_into(&data[s..e], out);
}

/// Where the snippet of `start..end` lies in `data`: up to `CONTEXT` bytes either side,
/// stopping at a line end or NUL.
pub(crate) fn snippet_bounds(data: &[u8], start: usize, end: usize) -> (usize, usize) {
    // Computed for every hit: the stop bytes are searched with `memchr3` over the two
    // windows rather than tested one byte at a time.
    let end = end.min(data.len());
    let start = start.min(end);
    let lo = start.saturating_sub(CONTEXT);
    let s = memchr::memrchr3(b'\n', b'\r', 0, &data[lo..start]).map_or(lo, |i| lo + i + 1);
    let hi = end.saturating_add(CONTEXT).min(data.len());
    let e = memchr::memchr3(b'\n', b'\r', 0, &data[end..hi]).map_or(hi, |i| end + i);
    (s, e)
}

/// [`snippet_bounds`] of `start..end` in a text of `len` bytes whose only stop bytes are
/// line ends, given the last line end before `start` and the first at or after it; `None`
/// when the hit itself spans a line end (or lies outside the text).
fn bounds_within_line(
    len: usize,
    start: usize,
    end: usize,
    prev_nl: Option<usize>,
    next_nl: Option<usize>,
) -> Option<(usize, usize)> {
    if start > end || end > len || next_nl.is_some_and(|nl| nl < end) {
        return None;
    }
    let lo = start.saturating_sub(CONTEXT);
    let s = match prev_nl {
        Some(nl) if nl >= lo => nl + 1,
        _ => lo,
    };
    let hi = end.saturating_add(CONTEXT).min(len);
    let e = match next_nl {
        Some(nl) if nl < hi => nl,
        _ => hi,
    };
    Some((s, e))
}

/// The bytes of a snippet as printable text (control characters made blanks, trimmed),
/// appended to `out`.
pub(crate) fn printable_into(bytes: &[u8], out: &mut String) {
    // the common case: printable ASCII, no conversion needed (checked in one pass without
    // early exit, which the compiler turns into vector compares; of these bytes only the
    // space is white space, so trimming spaces is `trim`)
    if bytes
        .iter()
        .fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b))
    {
        // SAFETY: every byte is printable ASCII (checked just above), and ASCII text is
        // valid UTF-8 (`push_text` would check that again, a second pass over the bytes).
        out.push_str(unsafe { std::str::from_utf8_unchecked(bytes.trim_ascii()) });
        return;
    }
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    out.push_str(text.trim());
}

/// Finds indicators in plain text with every kind and the built-in allowlist: what
/// `spoor extract` finds with its defaults in text that is no structured log.
pub struct PlainText {
    scanner: Scanner,
    allowlist: Allowlist,
}

impl Default for PlainText {
    fn default() -> Self {
        PlainText {
            scanner: Scanner::new(KindSet::all()),
            allowlist: Allowlist::builtin(),
        }
    }
}

impl PlainText {
    /// The indicators of `data` (ASCII only; `name` is used in sightings), sorted as the
    /// extractor sorts them, allowlisted values left out, at most `max_sightings`
    /// sightings each.
    pub fn iocs(&self, name: &str, data: &[u8], max_sightings: usize) -> Vec<Ioc> {
        let mut set = IocSet::new(max_sightings);
        let mut merger = Merger {
            source: Collector::source(&mut set, &Arc::from(name)),
            offset: 0,
            line: 1,
            hits: 0,
            cut: false,
        };
        let mut chunk = ChunkOut {
            data: data.to_vec(),
            ..ChunkOut::default()
        };
        process_chunk(&self.scanner, &mut chunk, false);
        merger.merge(&mut chunk, &mut set);
        let mut iocs = set.into_sorted();
        iocs.retain(|ioc| !self.allowlist.contains(ioc.kind, &ioc.value));
        iocs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printable_into` agrees with its definition (control characters made blanks, the
    /// text trimmed) whether or not its printable-ASCII shortcut applies.
    #[test]
    fn printable_into_matches_its_definition() {
        let definition = |bytes: &[u8]| {
            let text: String = String::from_utf8_lossy(bytes)
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            text.trim().to_string()
        };
        let cases: [&[u8]; 9] = [
            b"",
            b"   ",
            b"  GET http://example.com/a?b=c  ",
            b"path=C:\\Users\\x\\a.exe",
            b"tab\there\r\n",
            b"\x7fdel at start",
            b"caf\xc3\xa9 \xff broken",
            b"~!@#$%^&*()_+{}|:<>?`-=[];',./",
            b" \x00 nul ",
        ];
        for bytes in cases {
            let mut out = String::from("kept:");
            printable_into(bytes, &mut out);
            assert_eq!(out, format!("kept:{}", definition(bytes)), "{bytes:?}");
        }
    }

    /// Past `PREFETCH_FROM_LEN` indicators the merger hands each hit the hash it looked
    /// up ahead (checked against the hash of the key in debug builds): the set it fills,
    /// cutting snippets from the file, equals one filled hit by hit with the snippets'
    /// text, whatever the chunk boundaries.
    #[test]
    fn hashes_handed_ahead_give_the_same_set() {
        let mut log = String::new();
        for i in 0..PREFETCH_FROM_LEN + 3000 {
            // every kind of key: case folded, with a port, plain; some repeated
            let n = i % (PREFETCH_FROM_LEN + 1000);
            log.push_str(&format!(
                "GET http://h{n}.example.com/A?b={i} from 192.0.2.{} to 198.51.100.{}:{} \
                 path=C:\\Users\\U{n}\\x.EXE\n",
                n % 256,
                n % 200,
                1 + n % 60000
            ));
        }
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &log).unwrap();
        let scanner = Scanner::new(KindSet::all());
        let fill = |cut: bool| {
            let mut set = IocSet::new(3);
            let source = Collector::source(&mut set, &Arc::from("log"));
            if cut {
                Collector::source_file(&mut set, source, file.path());
            }
            let mut merger = Merger {
                source,
                offset: 0,
                line: 1,
                hits: 0,
                cut,
            };
            for piece in log.as_bytes().chunks(1 << 16) {
                let mut chunk = ChunkOut {
                    data: piece.to_vec(),
                    ..ChunkOut::default()
                };
                process_chunk(&scanner, &mut chunk, false);
                merger.merge(&mut chunk, &mut set);
            }
            (merger.hits, set.into_sorted())
        };
        let (hits_cut, cut) = fill(true);
        let (hits_text, text) = fill(false);
        assert_eq!(hits_cut, hits_text);
        assert!(cut.len() > PREFETCH_FROM_LEN, "{}", cut.len());
        assert_eq!(cut, text);
    }

    /// The byte-by-byte definition `snippet_bounds` must agree with.
    fn bounds_by_bytes(data: &[u8], start: usize, end: usize) -> (usize, usize) {
        let stop = |b: u8| b == b'\n' || b == b'\r' || b == 0;
        let end = end.min(data.len());
        let start = start.min(end);
        let mut s = start;
        while s > 0 && start - s < CONTEXT && !stop(data[s - 1]) {
            s -= 1;
        }
        let mut e = end;
        while e < data.len() && e - end < CONTEXT && !stop(data[e]) {
            e += 1;
        }
        (s, e)
    }

    /// Bounds from the line ends around a hit equal the searched ones in text whose only
    /// stop bytes are line ends, for hits anywhere (at a line end, spanning one, at the
    /// text's ends).
    #[test]
    fn bounds_within_line_equal_snippet_bounds() {
        let mut data = Vec::new();
        for (i, len) in [0usize, 3, 90, 1, 41, 40, 39, 0, 120, 7, 80]
            .iter()
            .enumerate()
        {
            data.extend((0..*len).map(|j| b"ab.:/ 9"[(i + j) % 7]));
            data.push(b'\n');
        }
        data.extend_from_slice(b"tail without a line end");
        let nls: Vec<usize> = memchr::memchr_iter(b'\n', &data).collect();
        let mut within = 0;
        for start in 0..=data.len() {
            let prev_nl = nls.iter().rev().find(|&&nl| nl < start).copied();
            let next_nl = nls.iter().find(|&&nl| nl >= start).copied();
            for end in [
                start,
                start + 1,
                start + 9,
                start + 60,
                data.len(),
                data.len() + 1,
            ] {
                match bounds_within_line(data.len(), start, end, prev_nl, next_nl) {
                    Some(b) => {
                        within += 1;
                        assert_eq!(b, snippet_bounds(&data, start, end), "{start}..{end}");
                    }
                    None => assert!(
                        end > data.len() || next_nl.is_some_and(|nl| nl < end),
                        "{start}..{end}"
                    ),
                }
            }
        }
        assert!(within > data.len() * 2, "{within}");
    }

    #[test]
    fn snippet_bounds_stop_at_line_ends_nul_and_the_context_length() {
        let mut data = b"2026-12-05 proxy GET http://203.0.113.9/a.php from host-7\r\n\
            \0\0MZ beacon to c2.example.net:443 every 60 s"
            .to_vec();
        data.extend(std::iter::repeat_n(b'x', 120));
        data.extend_from_slice(b" 198.51.100.4 \n");
        for start in 0..data.len() {
            for end in [start, start + 1, start + 13, data.len() + 5] {
                assert_eq!(
                    snippet_bounds(&data, start, end),
                    bounds_by_bytes(&data, start, end),
                    "{start}..{end}"
                );
            }
        }
        let hit = b"c2.example.net";
        let at = data.windows(hit.len()).position(|w| w == hit).unwrap();
        let (s, e) = snippet_bounds(&data, at, at + hit.len());
        assert_eq!(&data[s..at], b"MZ beacon to ");
        assert_eq!(e, at + hit.len() + CONTEXT);
    }
}
