//! The index file format: reading (memory-mapped or from bytes) and writing.
//!
//! Layout, all integers little-endian:
//!
//! ```text
//! 0   8 bytes  magic "SPOORGW\0"
//! 8   u32      format version (FORMAT_VERSION)
//! 12  u32      length of the JSON header that follows
//! 16  ...      JSON header (IndexMeta)
//!     then four sections, each a u64 length and an FST:
//!     strings → file count, imphashes → file count, export names → file count,
//!     the set of file SHA-256 digests (raw 32 bytes) already counted
//!     then (version 2) the key text section, a u64 length and:
//!       u32 block count; per block u32 raw length, u32 stored length, u32 CRC-32 of
//!       the stored bytes; then every block's stored bytes (LZ4 block format)
//! ```
//!
//! The key text holds every string key again, in order, each followed by a NUL and its
//! file count in base-128 digits that all have the high bit set. It exists for one
//! question the FST answers slowly: which keys *contain* a needle. Searching the
//! decompressed blocks with one automaton is several times faster than streaming millions
//! of keys out of the FST. Version 1 indexes (without it) are still read: the search then
//! streams the FST, as it also does when a block fails its checksum.

use fst::{IntoStreamer, Map, Set, Streamer};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// The first eight bytes of every index file.
pub const MAGIC: &[u8; 8] = b"SPOORGW\0";
/// The format version this build writes.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest format version this build reads (version 1 has no key text section).
pub const OLDEST_READABLE_VERSION: u32 = 1;

/// Why an index could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Not an index file at all.
    #[error("not a spoor goodware index (bad magic)")]
    BadMagic,
    /// An index of another format version.
    #[error("goodware index format version {0} is not supported (this spoor reads versions {OLDEST_READABLE_VERSION} to {FORMAT_VERSION})")]
    Version(u32),
    /// Truncated or inconsistent structure.
    #[error("damaged goodware index: {0}")]
    Damaged(String),
}

/// One `build` or `--append` run recorded in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEntry {
    /// The paths given, as given.
    pub paths: Vec<String>,
    /// Files newly counted by this run (duplicates by content are counted once).
    pub files: u64,
    /// Bytes read from them.
    pub bytes: u64,
    /// Date of the run, `YYYY-MM-DD`.
    pub date: String,
}

/// The JSON header: when and from what the index was built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexMeta {
    /// Date of the first build, `YYYY-MM-DD`.
    pub built: String,
    /// Date of the last build or append, `YYYY-MM-DD`.
    pub updated: String,
    /// Distinct files counted.
    pub files: u64,
    /// Bytes read from them.
    pub bytes: u64,
    /// Distinct strings stored.
    pub strings: u64,
    /// Distinct import hashes stored.
    pub imphashes: u64,
    /// Distinct export names stored.
    pub exports: u64,
    /// Distinct phrases stored (with the strings; not counted in `strings`). Indexes
    /// written before phrases existed have none.
    #[serde(default)]
    pub phrases: u64,
    /// Shortest string counted, in characters.
    pub min_len: u64,
    /// Longest key, in bytes (longer strings are stored by this prefix).
    pub max_key_len: u64,
    /// Every build and append run, oldest first.
    pub sources: Vec<SourceEntry>,
}

/// Where the index bytes live.
#[derive(Debug)]
enum Backing {
    Mapped(memmap2::Mmap),
    Static(&'static [u8]),
    Owned(Vec<u8>),
}

/// A range of the shared backing bytes, as an FST wants them.
#[derive(Debug, Clone)]
pub struct Bytes {
    backing: Arc<Backing>,
    range: Range<usize>,
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        let all: &[u8] = match &*self.backing {
            Backing::Mapped(m) => m,
            Backing::Static(s) => s,
            Backing::Owned(v) => v,
        };
        all.get(self.range.clone()).unwrap_or(&[])
    }
}

/// An opened goodware index.
#[derive(Debug)]
pub struct Index {
    meta: IndexMeta,
    version: u32,
    size: u64,
    /// The key text (format 2 and later).
    text: Option<KeyText>,
    strings: Map<Bytes>,
    imphashes: Map<Bytes>,
    exports: Map<Bytes>,
    files: Set<Bytes>,
}

impl Index {
    /// Opens an index file, memory-mapped.
    pub fn open(path: &Path) -> Result<Index, IndexError> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the map is read-only; the file is not expected to change while open (as
        // with any memory-mapped reader, truncating it meanwhile is the caller's problem).
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Index::from_backing(Backing::Mapped(map), Some(file))
    }

    /// Reads an index from bytes that live for the whole program (an embedded index).
    pub fn from_static(bytes: &'static [u8]) -> Result<Index, IndexError> {
        Index::from_backing(Backing::Static(bytes), None)
    }

    /// Reads an index from owned bytes.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Index, IndexError> {
        Index::from_backing(Backing::Owned(bytes), None)
    }

    /// Opens the index in `backing`; `file`, when given, is the file mapped there, from
    /// which the key text is read with positioned reads.
    fn from_backing(backing: Backing, file: Option<std::fs::File>) -> Result<Index, IndexError> {
        let backing = Arc::new(backing);
        let data = match &*backing {
            Backing::Mapped(m) => &m[..],
            Backing::Static(s) => s,
            Backing::Owned(v) => &v[..],
        };
        if data.len() < 16 || &data[..8] != MAGIC {
            return Err(IndexError::BadMagic);
        }
        let version = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
        if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
            return Err(IndexError::Version(version));
        }
        let meta_len = u32::from_le_bytes([data[12], data[13], data[14], data[15]]) as usize;
        let meta_bytes = data
            .get(16..16usize.saturating_add(meta_len))
            .ok_or_else(|| IndexError::Damaged("header runs past the end".into()))?;
        let meta: IndexMeta = serde_json::from_slice(meta_bytes)
            .map_err(|e| IndexError::Damaged(format!("header: {e}")))?;
        let mut pos = 16 + meta_len;
        let mut next = |what: &str| -> Result<Bytes, IndexError> {
            let len_bytes = data
                .get(pos..pos + 8)
                .ok_or_else(|| IndexError::Damaged(format!("{what} section missing")))?;
            let mut len = [0u8; 8];
            len.copy_from_slice(len_bytes);
            let len = usize::try_from(u64::from_le_bytes(len))
                .map_err(|_| IndexError::Damaged(format!("{what} section too large")))?;
            let start = pos + 8;
            let end = start
                .checked_add(len)
                .filter(|&e| e <= data.len())
                .ok_or_else(|| IndexError::Damaged(format!("{what} section truncated")))?;
            pos = end;
            Ok(Bytes {
                backing: backing.clone(),
                range: start..end,
            })
        };
        let strings = map_of(next("strings")?, "strings")?;
        let imphashes = map_of(next("imphash")?, "imphash")?;
        let exports = map_of(next("export")?, "export")?;
        let files_bytes = next("file digest")?;
        let files = Set::new(files_bytes)
            .map_err(|e| IndexError::Damaged(format!("file digest section: {e}")))?;
        files
            .as_fst()
            .verify()
            .map_err(|e| IndexError::Damaged(format!("file digest section: {e}")))?;
        let text = if version >= 2 {
            Some(KeyText::new(next("key text")?, file)?)
        } else {
            None
        };
        if pos != data.len() {
            return Err(IndexError::Damaged(
                "trailing bytes after the last section".into(),
            ));
        }
        if strings.len() as u64 != meta.strings.saturating_add(meta.phrases)
            || files.len() as u64 != meta.files
        {
            return Err(IndexError::Damaged(
                "header counts disagree with the sections".into(),
            ));
        }
        Ok(Index {
            meta,
            version,
            size: data.len() as u64,
            text,
            strings,
            imphashes,
            exports,
            files,
        })
    }

    /// The header: dates and source counts.
    pub fn meta(&self) -> &IndexMeta {
        &self.meta
    }

    /// Size of the index in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The format version of the index file.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// In how many goodware files `text` occurs as a whole string (ASCII or UTF-16LE);
    /// strings longer than the key length are looked up by their prefix.
    pub fn string_count(&self, text: &[u8]) -> u64 {
        self.strings.get(super::key(text)).unwrap_or(0)
    }

    /// Of the phrases of `text` (see [`super::phrase_keys`]), how many distinct ones the index
    /// holds, and how many distinct ones there are. An index built before phrases were
    /// stored holds none.
    pub fn phrase_counts(&self, text: &[u8]) -> (u32, u32) {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut held = 0;
        super::phrase_keys(text, |k| {
            if !seen.iter().any(|s| s == k) {
                held += u32::from(self.strings.contains_key(k));
                seen.push(k.to_vec());
            }
        });
        (held, seen.len() as u32)
    }

    /// For each needle, the largest file count of a stored string that contains it
    /// (exactly or inside a longer string; 0 when none does). One Aho-Corasick automaton
    /// for all needles runs over the key text's blocks in parallel; without a key text
    /// (format 1), or when a block of it is damaged, over the keys streamed from the FST.
    pub fn containing_counts(&self, needles: &[&[u8]]) -> Vec<u64> {
        if needles.is_empty() {
            return Vec::new();
        }
        // Keys hold printable ASCII and tab only: a needle with another byte is in none
        // (and could otherwise match the separators and digits of the key text).
        let searched: Vec<usize> = (0..needles.len())
            .filter(|&i| needles[i].iter().all(|&b| is_key_byte(b)))
            .collect();
        let patterns: Vec<&[u8]> = searched.iter().map(|&i| needles[i]).collect();
        let Ok(ac) = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&patterns)
            .or_else(|_| aho_corasick::AhoCorasick::new(&patterns))
        else {
            return vec![0; needles.len()];
        };
        let found = self
            .text
            .as_ref()
            .and_then(|text| text.search(&ac, patterns.len()))
            .unwrap_or_else(|| self.search_keys(&ac, patterns.len()));
        let mut counts = vec![0u64; needles.len()];
        for (&i, c) in searched.iter().zip(found) {
            counts[i] = c;
        }
        counts
    }

    /// [`Index::containing_counts`] over the keys streamed from the FST, in key ranges by
    /// first byte searched in parallel; each range's keys are gathered into blocks of
    /// records as in the key text, so the automaton runs over a block, not key by key.
    fn search_keys(&self, ac: &aho_corasick::AhoCorasick, patterns: usize) -> Vec<u64> {
        const CUTS: [u8; 7] = [b'.', b'A', b'M', b'_', b'e', b'm', b's'];
        let bounds: Vec<(Option<u8>, Option<u8>)> = std::iter::once(None)
            .chain(CUTS.iter().copied().map(Some))
            .zip(CUTS.iter().copied().map(Some).chain(std::iter::once(None)))
            .collect();
        use rayon::prelude::*;
        bounds
            .par_iter()
            .map(|&(lo, hi)| {
                let mut out = vec![0u64; patterns];
                // Phrase keys (first byte PHRASE_MARK) sort first and are never searched.
                let lo = lo.unwrap_or(super::PHRASE_MARK + 1);
                let range = self.strings.range().ge([lo]);
                let mut stream = range.into_stream();
                let mut block = Vec::with_capacity(KEY_TEXT_BLOCK + MAX_RECORD);
                while let Some((k, v)) = stream.next() {
                    if hi.is_some_and(|hi| k.first().is_some_and(|&first| first >= hi)) {
                        break;
                    }
                    push_record(&mut block, k, v);
                    if block.len() >= KEY_TEXT_BLOCK {
                        search_records(&block, ac, &mut out);
                        block.clear();
                    }
                }
                search_records(&block, ac, &mut out);
                out
            })
            .reduce(|| vec![0u64; patterns], max_of)
    }

    /// In how many goodware files the import hash (lower-case hex) occurs.
    pub fn imphash_count(&self, imphash: &str) -> u64 {
        self.imphashes
            .get(imphash.to_ascii_lowercase().as_bytes())
            .unwrap_or(0)
    }

    /// In how many goodware files the export name occurs.
    pub fn export_count(&self, name: &str) -> u64 {
        self.exports.get(name.as_bytes()).unwrap_or(0)
    }

    /// Whether a file with this SHA-256 was counted.
    pub fn has_file(&self, sha256: &[u8; 32]) -> bool {
        self.files.contains(sha256)
    }

    /// The string map (for merging on `--append`).
    pub(super) fn maps(&self) -> [&Map<Bytes>; 3] {
        [&self.strings, &self.imphashes, &self.exports]
    }

    /// The set of counted file digests (for merging on `--append`).
    pub(super) fn file_set(&self) -> &Set<Bytes> {
        &self.files
    }
}

fn map_of(bytes: Bytes, what: &str) -> Result<Map<Bytes>, IndexError> {
    let map = Map::new(bytes).map_err(|e| IndexError::Damaged(format!("{what} section: {e}")))?;
    map.as_fst()
        .verify()
        .map_err(|e| IndexError::Damaged(format!("{what} section: {e}")))?;
    Ok(map)
}

/// Sorted `(key, count)` entries of one FST map.
pub(super) type Entries = [(Box<[u8]>, u64)];

/// Writes an index: `maps` are sorted `(key, count)` lists for strings, imphashes and
/// export names; `files` the sorted file digests.
pub(super) fn write(
    out: &mut dyn Write,
    meta: &IndexMeta,
    maps: [&Entries; 3],
    files: &[[u8; 32]],
) -> Result<(), IndexError> {
    let header = serde_json::to_vec(meta).map_err(|e| IndexError::Damaged(e.to_string()))?;
    out.write_all(MAGIC)?;
    out.write_all(&FORMAT_VERSION.to_le_bytes())?;
    let header_len =
        u32::try_from(header.len()).map_err(|_| IndexError::Damaged("header too large".into()))?;
    out.write_all(&header_len.to_le_bytes())?;
    out.write_all(&header)?;
    let fst_err = |e: fst::Error| IndexError::Damaged(format!("building the FST: {e}"));
    for entries in maps {
        let mut builder = fst::MapBuilder::memory();
        for (k, v) in entries {
            builder.insert(k, *v).map_err(fst_err)?;
        }
        let bytes = builder.into_inner().map_err(fst_err)?;
        out.write_all(&(bytes.len() as u64).to_le_bytes())?;
        out.write_all(&bytes)?;
    }
    let mut builder = fst::SetBuilder::memory();
    for f in files {
        builder.insert(f).map_err(fst_err)?;
    }
    let bytes = builder.into_inner().map_err(fst_err)?;
    out.write_all(&(bytes.len() as u64).to_le_bytes())?;
    out.write_all(&bytes)?;
    write_key_text(out, maps[0])?;
    Ok(())
}

/// Raw bytes of key records gathered into one key text block (it fits in a processor's
/// second-level cache, and is one unit of parallel work).
const KEY_TEXT_BLOCK: usize = 256 * 1024;
/// The longest record: a key, its NUL and a 64-bit count in base-128 digits.
const MAX_RECORD: usize = super::MAX_KEY_LEN + 1 + 10;
/// A larger raw length in a block table means a damaged index (it bounds allocations).
const MAX_BLOCK: u32 = 16 << 20;

/// Whether `b` can occur in a string key (printable ASCII or tab).
fn is_key_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// Appends one key text record: the key, a NUL, the count in base-128 digits (least
/// significant first), each with the high bit set so that none is a key byte.
fn push_record(text: &mut Vec<u8>, key: &[u8], count: u64) {
    text.extend_from_slice(key);
    text.push(0);
    let mut rest = count;
    loop {
        text.push(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
        if rest == 0 {
            break;
        }
    }
}

/// The count of the record whose key holds position `at` of `text`.
fn count_after(text: &[u8], at: usize) -> u64 {
    let Some(rest) = text.get(at..) else {
        return 0;
    };
    let Some(nul) = memchr::memchr(0, rest) else {
        return 0;
    };
    rest[nul + 1..]
        .iter()
        .take_while(|&&b| b >= 0x80)
        .take(10)
        .enumerate()
        .fold(0u64, |n, (i, &b)| n | (u64::from(b & 0x7f) << (7 * i)))
}

/// Raises `out[pattern]` to the count of every record of `text` whose key holds the
/// pattern. Patterns hold key bytes only, so a match never crosses a record's end.
fn search_records(text: &[u8], ac: &aho_corasick::AhoCorasick, out: &mut [u64]) {
    for m in ac.find_overlapping_iter(text) {
        if let Some(c) = out.get_mut(m.pattern().as_usize()) {
            *c = (*c).max(count_after(text, m.end()));
        }
    }
}

/// The larger of each pair.
fn max_of(mut a: Vec<u64>, b: Vec<u64>) -> Vec<u64> {
    for (x, y) in a.iter_mut().zip(b) {
        *x = (*x).max(y);
    }
    a
}

/// One block of the key text, as its table describes it.
#[derive(Debug, Clone, Copy)]
struct TextBlock {
    /// Where its stored bytes start, from the start of the section.
    offset: usize,
    raw_len: u32,
    stored_len: u32,
    crc: u32,
}

/// The key text section (format 2): see the module documentation.
#[derive(Debug)]
struct KeyText {
    blocks: Vec<TextBlock>,
    section: Bytes,
    /// The index file, when it is memory-mapped: blocks are then read with positioned
    /// reads, so a search does not add the whole section to the process's resident memory.
    #[cfg_attr(not(unix), allow(dead_code))]
    file: Option<std::fs::File>,
}

impl KeyText {
    /// Reads the block table; `section` is the section after its length.
    fn new(section: Bytes, file: Option<std::fs::File>) -> Result<KeyText, IndexError> {
        let damaged = |what: &str| IndexError::Damaged(format!("key text section: {what}"));
        let bytes = section.as_ref();
        let u32_at = |at: usize| -> Option<u32> {
            let b = bytes.get(at..at + 4)?;
            Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let count = u32_at(0).ok_or_else(|| damaged("no block count"))? as usize;
        let table_end = count
            .checked_mul(12)
            .and_then(|n| n.checked_add(4))
            .filter(|&end| end <= bytes.len())
            .ok_or_else(|| damaged("block table runs past the end"))?;
        let mut blocks = Vec::with_capacity(count);
        let mut at = table_end;
        for i in 0..count {
            let field = |k: usize| u32_at(4 + 12 * i + 4 * k).ok_or_else(|| damaged("block table"));
            let (raw_len, stored_len, crc) = (field(0)?, field(1)?, field(2)?);
            if raw_len > MAX_BLOCK {
                return Err(damaged("a block is larger than any this format writes"));
            }
            blocks.push(TextBlock {
                offset: at,
                raw_len,
                stored_len,
                crc,
            });
            at = at
                .checked_add(stored_len as usize)
                .filter(|&end| end <= bytes.len())
                .ok_or_else(|| damaged("a block runs past the end"))?;
        }
        if at != bytes.len() {
            return Err(damaged("bytes after the last block"));
        }
        Ok(KeyText {
            blocks,
            section,
            file,
        })
    }

    /// Searches every block, the blocks shared out in runs, one per thread (so each
    /// thread keeps one pair of buffers); `None` when a block cannot be read, fails its
    /// checksum or does not decompress to its recorded length.
    fn search(&self, ac: &aho_corasick::AhoCorasick, patterns: usize) -> Option<Vec<u64>> {
        use rayon::prelude::*;
        let threads = rayon::current_num_threads().max(1);
        let run = self.blocks.len().div_ceil(threads).max(1);
        self.blocks
            .par_chunks(run)
            .map(|blocks| {
                let (mut stored, mut raw) = (Vec::new(), Vec::new());
                let mut out = vec![0u64; patterns];
                for block in blocks {
                    self.read(block, &mut stored).ok()?;
                    if crc32fast::hash(&stored) != block.crc {
                        return None;
                    }
                    raw.resize(block.raw_len as usize, 0);
                    let n = lz4_flex::block::decompress_into(&stored, &mut raw).ok()?;
                    if n != raw.len() {
                        return None;
                    }
                    search_records(&raw, ac, &mut out);
                }
                Some(out)
            })
            .try_reduce(|| vec![0u64; patterns], |a, b| Some(max_of(a, b)))
    }

    /// The stored bytes of `block`, into `buf`.
    fn read(&self, block: &TextBlock, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.resize(block.stored_len as usize, 0);
        #[cfg(unix)]
        if let Some(file) = &self.file {
            use std::os::unix::fs::FileExt;
            let at = self.section.range.start + block.offset;
            return file.read_exact_at(buf, at as u64);
        }
        let stored = self
            .section
            .as_ref()
            .get(block.offset..block.offset + block.stored_len as usize)
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(stored);
        Ok(())
    }
}

/// Writes the key text section for the sorted string `entries`.
fn write_key_text(out: &mut dyn Write, entries: &Entries) -> Result<(), IndexError> {
    let mut table = Vec::new();
    let mut stored = Vec::new();
    let mut raw = Vec::with_capacity(KEY_TEXT_BLOCK + MAX_RECORD);
    let mut flush = |raw: &mut Vec<u8>| {
        if raw.is_empty() {
            return;
        }
        let block = lz4_flex::block::compress(raw);
        table.push((
            raw.len() as u32,
            block.len() as u32,
            crc32fast::hash(&block),
        ));
        stored.extend_from_slice(&block);
        raw.clear();
    };
    for (key, count) in entries {
        // Keys always hold key bytes only (the builder keeps nothing else); a key that did
        // not could never contain a needle that is searched.
        if !key.iter().all(|&b| is_key_byte(b)) {
            continue;
        }
        push_record(&mut raw, key, *count);
        if raw.len() >= KEY_TEXT_BLOCK {
            flush(&mut raw);
        }
    }
    flush(&mut raw);
    let len = 4 + 12 * table.len() + stored.len();
    out.write_all(&(len as u64).to_le_bytes())?;
    out.write_all(&(table.len() as u32).to_le_bytes())?;
    for (raw_len, stored_len, crc) in &table {
        out.write_all(&raw_len.to_le_bytes())?;
        out.write_all(&stored_len.to_le_bytes())?;
        out.write_all(&crc.to_le_bytes())?;
    }
    out.write_all(&stored)?;
    Ok(())
}
