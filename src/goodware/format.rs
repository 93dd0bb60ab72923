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
//! ```

use fst::{IntoStreamer, Map, Set, Streamer};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// The first eight bytes of every index file.
pub const MAGIC: &[u8; 8] = b"SPOORGW\0";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

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
    #[error("goodware index format version {0} is not supported (this spoor reads version {FORMAT_VERSION})")]
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
    size: u64,
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
        Index::from_backing(Backing::Mapped(map))
    }

    /// Reads an index from bytes that live for the whole program (an embedded index).
    pub fn from_static(bytes: &'static [u8]) -> Result<Index, IndexError> {
        Index::from_backing(Backing::Static(bytes))
    }

    /// Reads an index from owned bytes.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Index, IndexError> {
        Index::from_backing(Backing::Owned(bytes))
    }

    fn from_backing(backing: Backing) -> Result<Index, IndexError> {
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
        if version != FORMAT_VERSION {
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
        if pos != data.len() {
            return Err(IndexError::Damaged(
                "trailing bytes after the last section".into(),
            ));
        }
        if strings.len() as u64 != meta.strings || files.len() as u64 != meta.files {
            return Err(IndexError::Damaged(
                "header counts disagree with the sections".into(),
            ));
        }
        Ok(Index {
            meta,
            size: data.len() as u64,
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

    /// In how many goodware files `text` occurs as a whole string (ASCII or UTF-16LE);
    /// strings longer than the key length are looked up by their prefix.
    pub fn string_count(&self, text: &[u8]) -> u64 {
        self.strings.get(super::key(text)).unwrap_or(0)
    }

    /// For each needle, the largest file count of a stored string that contains it
    /// (exactly or inside a longer string; 0 when none does). One pass over every key,
    /// with one Aho-Corasick automaton for all needles, run over blocks of keys rather
    /// than key by key (see [`KeyBlock`]).
    pub fn containing_counts(&self, needles: &[&[u8]]) -> Vec<u64> {
        if needles.is_empty() {
            return Vec::new();
        }
        // A needle holding the separator could only match across keys: it gets 0.
        let searched: Vec<usize> = (0..needles.len())
            .filter(|&i| !needles[i].contains(&KeyBlock::SEPARATOR))
            .collect();
        let patterns: Vec<&[u8]> = searched.iter().map(|&i| needles[i]).collect();
        let Ok(ac) = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&patterns)
            .or_else(|_| aho_corasick::AhoCorasick::new(&patterns))
        else {
            return vec![0; needles.len()];
        };
        // Key ranges by first byte, scanned in parallel (keys are printable ASCII and tab).
        const CUTS: [u8; 7] = [b'.', b'A', b'M', b'_', b'e', b'm', b's'];
        let bounds: Vec<(Option<u8>, Option<u8>)> = std::iter::once(None)
            .chain(CUTS.iter().copied().map(Some))
            .zip(CUTS.iter().copied().map(Some).chain(std::iter::once(None)))
            .collect();
        use rayon::prelude::*;
        let found = bounds
            .par_iter()
            .map(|&(lo, hi)| {
                let mut out = vec![0u64; patterns.len()];
                let (lo, hi) = (lo.map(|b| [b]), hi.map(|b| [b]));
                let mut range = self.strings.range();
                if let Some(lo) = &lo {
                    range = range.ge(lo);
                }
                if let Some(hi) = &hi {
                    range = range.lt(hi);
                }
                let mut stream = range.into_stream();
                let mut block = KeyBlock::default();
                while let Some((k, v)) = stream.next() {
                    if block.push(k, v) {
                        block.search(&ac, &mut out);
                    }
                }
                block.search(&ac, &mut out);
                out
            })
            .reduce(
                || vec![0u64; patterns.len()],
                |mut a, b| {
                    for (x, y) in a.iter_mut().zip(b) {
                        *x = (*x).max(y);
                    }
                    a
                },
            );
        let mut counts = vec![0u64; needles.len()];
        for (&i, c) in searched.iter().zip(found) {
            counts[i] = c;
        }
        counts
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
    Ok(())
}

/// Consecutive index keys, each followed by a separator byte no key holds, with the file
/// count of each: one Aho-Corasick search over the whole block replaces a search per key
/// (the automaton then runs without restarting, which is several times faster on millions
/// of short keys). A needle without the separator cannot match across two keys.
#[derive(Default)]
struct KeyBlock {
    text: Vec<u8>,
    /// Where each key's separator ends in `text`, ascending.
    ends: Vec<usize>,
    counts: Vec<u64>,
}

impl KeyBlock {
    /// Bytes of keys gathered before a search (fits in a processor's second-level cache).
    const SIZE: usize = 256 * 1024;
    /// The byte after every key.
    const SEPARATOR: u8 = 0;

    /// Adds a key; true when the block is full and should be searched.
    fn push(&mut self, key: &[u8], count: u64) -> bool {
        self.text.extend_from_slice(key);
        self.text.push(Self::SEPARATOR);
        self.ends.push(self.text.len());
        self.counts.push(count);
        self.text.len() >= Self::SIZE
    }

    /// Raises `out[pattern]` to the count of every key a pattern occurs in, then empties
    /// the block.
    fn search(&mut self, ac: &aho_corasick::AhoCorasick, out: &mut [u64]) {
        for m in ac.find_overlapping_iter(&self.text) {
            let key = self.ends.partition_point(|&end| end <= m.start());
            if let (Some(c), Some(&count)) =
                (out.get_mut(m.pattern().as_usize()), self.counts.get(key))
            {
                *c = (*c).max(count);
            }
        }
        self.text.clear();
        self.ends.clear();
        self.counts.clear();
    }
}
