//! Compiled intelligence stores: the feeds read once by `spoor intel build` and written as
//! one file laid out for lookups in place, then memory-mapped by `--intel` at every run.
//! Opening one reads and checks its header only (a few hundred bytes, whatever the size of
//! the store); lookups read the few table slots and strings they need.
//!
//! The file holds what the in-memory [`super::Store`] holds, so a lookup gives the very
//! same hits. Layout, all integers little-endian, every section starting at a multiple of 8:
//!
//! ```text
//! 0    8 bytes   magic "SPOORTI\0"
//! 8    u32       format version (FORMAT_VERSION)
//! 12   u32       header length (HEADER_LEN)
//! 16   u64       file length
//! 24   u64       entries held
//! 32   14 x (u64 offset, u64 length)   the sections, in this order:
//!        strings   every string once (values, feed names, tags, dates) and every key
//!                  record, no separators. A key record: u32 key length, u32 first item,
//!                  u32 end of its items (one past the last), then the key's bytes (a
//!                  written value equal to a key is a string ref into its record)
//!        written   per entry value as the feed wrote it: string ref (u32 offset, u32 length)
//!        metas     per feed metadata: feed (string ref), tags (u32 first, u32 count into
//!                  `tags`), first seen (string ref), threat level (string ref); an absent
//!                  string has the offset u32::MAX
//!        tags      string refs
//!        items     per (key, entry): u32 written index, u32 meta index; grouped by key
//!        lengths   u8 count, the IPv4 prefix lengths held (longest first), u8 count, IPv6's;
//!                  then three bitmaps of 4 x u64 (bit n of word n/64; bit 255 for 255 or
//!                  more): the label counts of the domains held, the byte lengths of the
//!                  URL prefixes held, the byte lengths of the exact values held (lookups
//!                  probe only those; a bitmap missing from the end of the section means
//!                  every length)
//!        then for each table (exact values, domains, URL prefixes, ranges) two sections,
//!        one entry per slot (a power of two of them; open addressing, linear probing from
//!        the slot the key hash's lower bits give):
//!        records   u32: 0 for an empty slot, else the offset of its key's record in
//!                  `strings` + 1
//!        tags      u8: 0 for an empty slot, else the key hash's upper byte (1 for 0)
//! 256  4 x u32   per table, the longest probe (slots visited - 1) any key needs
//! 272  u32       CRC-32 of bytes 0..272
//! 276  4 zero bytes
//! ```
//!
//! A lookup reads a slot's tag and, at once, its record offset, then the record, which holds
//! the key's bytes and its items: two reads from memory one after the other when it finds
//! the key. One that finds none mostly reads tags only, one byte a slot: the tags are a
//! fifth of the table, so they tend to stay in the processor's caches.
//!
//! Exact values, domains and URL prefixes are keyed by their lower-cased text; a range by
//! 18 bytes (prefix length, 1 for IPv6 or 0, the masked address as a little-endian u128).
//! The key hash is [`key_hash`]. Keys are sorted before they are placed, so the same feeds
//! give the same bytes.
//!
//! Version 1 (until 2026-12-05) kept the key records in the `keys` sections apart from the
//! key bytes; it has the same header, so a version-1 file with a sound header is refused
//! with the version error that asks to rebuild it.
//!
//! The file is untrusted input: opening checks the magic, the version, the header's
//! checksum, the file's length and that every section lies inside the file with a size its
//! records divide; lookups check every offset, length and index before use. A record found
//! damaged during lookups is skipped and counted ([`Compiled::damaged`]); nothing panics or
//! reads out of bounds, and no probe visits more slots than the table has.

use super::{IntelHit, Key, Lengths, Memory, Store, Tables};
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The first eight bytes of every compiled store.
pub const MAGIC: &[u8; 8] = b"SPOORTI\0";
/// The format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 2;
/// The older version whose header this build still reads, to refuse it with the version
/// error rather than call it damaged.
const HEADER_COMPATIBLE: u32 = 1;
/// Bytes before the first section.
pub const HEADER_LEN: usize = 280;

/// Sections, in header order.
const STRINGS: usize = 0;
const WRITTEN: usize = 1;
const METAS: usize = 2;
const TAGS: usize = 3;
const ITEMS: usize = 4;
const LENGTHS: usize = 5;
/// The first table's records section; table `t` has records `RECORDS + 2t`, tags
/// `RECORDS + 2t + 1`.
const RECORDS: usize = 6;
const SECTIONS: usize = 14;
/// Tables, in section order.
const EXACT: usize = 0;
const DOMAINS: usize = 1;
const PREFIXES: usize = 2;
const NETS: usize = 3;
const TABLES: usize = 4;
const TABLE_NAMES: [&str; TABLES] = ["exact values", "domains", "URL prefixes", "ranges"];

/// Record sizes.
const REF: usize = 8;
const META: usize = 32;
const ITEM: usize = 8;
/// A `records` entry: the record's offset + 1.
const OFFSET: usize = 4;
/// A key record's head, before the key's bytes: length, first item, end of items.
const RECORD_HEAD: usize = 12;
/// Length bitmaps in the lengths section: domain labels, URL prefix bytes, exact bytes.
const FILTERS: usize = 3;
const DOMAIN_LABELS: usize = 0;
const PREFIX_BYTES: usize = 1;
const EXACT_BYTES: usize = 2;
/// Where the longest probes and the checksum sit.
const PROBES_AT: usize = 32 + SECTIONS * 16;
const CRC_AT: usize = PROBES_AT + TABLES * 4;
/// An absent string's offset.
const NONE: u32 = u32::MAX;

/// Why a compiled store could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum CompiledError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// Not a compiled store.
    #[error("not a compiled spoor intel store (bad magic)")]
    BadMagic,
    /// A store of another format version.
    #[error("compiled intel store format version {0} is not supported (this spoor reads version {FORMAT_VERSION}); rebuild it with spoor intel build")]
    Version(u32),
    /// Truncated or inconsistent structure.
    #[error("damaged compiled intel store: {0}")]
    Damaged(String),
}

/// The key hash of the tables (format versions 1 and 2): 64-bit words folded by multiply and
/// rotate, then MurmurHash3's 64-bit finaliser. Part of the format: never change it without
/// a new version.
pub fn key_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A slot's tag for a key hash: its upper byte, never 0 (an empty slot).
fn tag(h: u64) -> u8 {
    ((h >> 56) as u8).max(1)
}

/// The key of a range: prefix length, family, masked address.
fn net_key(len: u8, addr: u128, v6: bool) -> [u8; 18] {
    let mut k = [0u8; 18];
    k[0] = len;
    k[1] = v6 as u8;
    k[2..].copy_from_slice(&addr.to_le_bytes());
    k
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    let mut w = [0u8; 4];
    w.copy_from_slice(s);
    Some(u32::from_le_bytes(w))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut w = [0u8; 8];
    w.copy_from_slice(s);
    Some(u64::from_le_bytes(w))
}

/// Rewrites the file length and the header checksum of a compiled store's bytes to match
/// them (fuzzing and tests: damage that gets past the header's own checks). Bytes shorter
/// than a header are left as they are.
pub fn reseal(bytes: &mut [u8]) {
    let len = bytes.len() as u64;
    if let Some(field) = bytes.get_mut(16..24) {
        field.copy_from_slice(&len.to_le_bytes());
    }
    if let Some(header) = bytes.get(..CRC_AT) {
        let crc = crc32fast::hash(header);
        if let Some(field) = bytes.get_mut(CRC_AT..CRC_AT + 4) {
            field.copy_from_slice(&crc.to_le_bytes());
        }
    }
}

/// Where the bytes live.
#[derive(Debug)]
enum Backing {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

/// One table's shape, from the header.
#[derive(Debug, Clone, Copy, Default)]
struct TableInfo {
    /// Slots - 1 (slots are a power of two).
    mask: usize,
    /// Slots a lookup visits at most.
    probes: usize,
}

/// An opened compiled store. Attach it to a [`Store`] ([`Store::attach`]) to look up in it.
#[derive(Debug)]
pub struct Compiled {
    backing: Backing,
    name: String,
    sections: [Range<usize>; SECTIONS],
    tables: [TableInfo; TABLES],
    lengths: [Vec<u8>; 2],
    /// Label counts of the domains held, byte lengths of the URL prefixes held, byte
    /// lengths of the exact values held.
    filters: [Lengths; FILTERS],
    entries: u64,
    written: usize,
    metas: usize,
    tags: usize,
    items: usize,
    damaged: AtomicU64,
}

/// Whether the file at `path` starts with the magic of a compiled store (a folder, or a
/// file too short for a magic, does not).
pub fn is_compiled(path: &Path) -> io::Result<bool> {
    use std::io::Read;
    if std::fs::metadata(path)?.is_dir() {
        return Ok(false);
    }
    let mut head = [0u8; 8];
    let mut file = std::fs::File::open(path)?;
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..])? {
            0 => return Ok(false),
            n => got += n,
        }
    }
    Ok(&head == MAGIC)
}

impl Compiled {
    /// Opens a compiled store file, memory-mapped: only its header is read.
    pub fn open(path: &Path) -> Result<Compiled, CompiledError> {
        let file = std::fs::File::open(path)?;
        // SAFETY: the map is read-only and every read through it is bounds-checked; the
        // file is not expected to change while open (as with any memory-mapped reader,
        // truncating it meanwhile is the caller's problem).
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Compiled::from_backing(Backing::Mapped(map), path.display().to_string())
    }

    /// Reads a compiled store from owned bytes; `name` names it in messages.
    pub fn from_vec(bytes: Vec<u8>, name: &str) -> Result<Compiled, CompiledError> {
        Compiled::from_backing(Backing::Owned(bytes), name.to_string())
    }

    fn data(&self) -> &[u8] {
        match &self.backing {
            Backing::Mapped(m) => m,
            Backing::Owned(v) => v,
        }
    }

    fn section(&self, s: usize) -> &[u8] {
        match self.sections.get(s) {
            Some(r) => self.data().get(r.clone()).unwrap_or(&[]),
            None => &[],
        }
    }

    fn from_backing(backing: Backing, name: String) -> Result<Compiled, CompiledError> {
        let data: &[u8] = match &backing {
            Backing::Mapped(m) => m,
            Backing::Owned(v) => v,
        };
        let damaged = |m: String| CompiledError::Damaged(m);
        if data.get(..8) != Some(&MAGIC[..]) {
            return Err(CompiledError::BadMagic);
        }
        if data.len() < HEADER_LEN {
            return Err(damaged(format!(
                "truncated: {} bytes, less than its {HEADER_LEN}-byte header",
                data.len()
            )));
        }
        let field32 = |at: usize| u32_at(data, at).unwrap_or(0);
        let field64 = |at: usize| u64_at(data, at).unwrap_or(0);
        let version = field32(8);
        // A version-1 header is checked like this version's (same layout), so that a
        // damaged file is called damaged and a sound old one gets the version error.
        if version != FORMAT_VERSION && version != HEADER_COMPATIBLE {
            return Err(CompiledError::Version(version));
        }
        let header = data.get(..CRC_AT).unwrap_or(&[]);
        if crc32fast::hash(header) != field32(CRC_AT) {
            return Err(damaged("the header's checksum does not match".into()));
        }
        if field32(12) as usize != HEADER_LEN {
            return Err(damaged(format!(
                "a header of {} bytes where version {FORMAT_VERSION} has {HEADER_LEN}",
                field32(12)
            )));
        }
        let recorded = field64(16);
        if recorded != data.len() as u64 {
            return Err(damaged(format!(
                "{} bytes where its header records {recorded}{}",
                data.len(),
                if (data.len() as u64) < recorded {
                    " (truncated)"
                } else {
                    ""
                }
            )));
        }
        if version != FORMAT_VERSION {
            return Err(CompiledError::Version(version));
        }
        let mut sections: [Range<usize>; SECTIONS] = Default::default();
        for (i, s) in sections.iter_mut().enumerate() {
            let (off, len) = (field64(32 + i * 16), field64(40 + i * 16));
            let range = usize::try_from(off)
                .ok()
                .zip(usize::try_from(len).ok())
                .and_then(|(o, l)| Some(o..o.checked_add(l)?))
                .filter(|r| r.start >= HEADER_LEN && r.end <= data.len())
                .ok_or_else(|| damaged(format!("section {i} lies outside the file")))?;
            *s = range;
        }
        let size = |s: usize, record: usize, what: &str| -> Result<usize, CompiledError> {
            let len = sections[s].len();
            if !len.is_multiple_of(record) {
                return Err(damaged(format!(
                    "the {what} section ({len} bytes) is no whole number of {record}-byte records"
                )));
            }
            Ok(len / record)
        };
        let written = size(WRITTEN, REF, "written values")?;
        let metas = size(METAS, META, "metadata")?;
        let tags = size(TAGS, REF, "tags")?;
        let items = size(ITEMS, ITEM, "items")?;
        let mut tables = [TableInfo::default(); TABLES];
        for (t, info) in tables.iter_mut().enumerate() {
            let what = TABLE_NAMES[t];
            let records = size(RECORDS + 2 * t, OFFSET, what)?;
            let slots = sections[RECORDS + 2 * t + 1].len();
            if !slots.is_power_of_two() || records != slots {
                return Err(damaged(format!(
                    "the {what} table has {slots} tags for {records} records"
                )));
            }
            info.mask = slots - 1;
            info.probes = (field32(PROBES_AT + 4 * t) as usize)
                .saturating_add(1)
                .min(slots);
        }
        let lengths_bytes = data.get(sections[LENGTHS].clone()).unwrap_or(&[]);
        let mut lengths: [Vec<u8>; 2] = Default::default();
        let mut at = 0;
        for (v6, family) in lengths.iter_mut().enumerate() {
            let n = *lengths_bytes
                .get(at)
                .ok_or_else(|| damaged("the prefix lengths are cut short".into()))?
                as usize;
            let list = lengths_bytes
                .get(at + 1..at + 1 + n)
                .ok_or_else(|| damaged("the prefix lengths are cut short".into()))?;
            let max = if v6 == 1 { 128 } else { 32 };
            if list.iter().any(|&l| l > max) {
                return Err(damaged(format!("a prefix length over {max}")));
            }
            family.extend_from_slice(list);
            at += 1 + n;
        }
        let mut filters = [Lengths::ALL; FILTERS];
        let tail = lengths_bytes.get(at..).unwrap_or(&[]);
        for (filter, words) in filters.iter_mut().zip(tail.chunks_exact(32)) {
            for (word, bytes) in filter.0.iter_mut().zip(words.chunks_exact(8)) {
                *word = u64_at(bytes, 0).unwrap_or(u64::MAX);
            }
        }
        let entries = field64(24);
        Ok(Compiled {
            backing,
            name,
            sections,
            tables,
            lengths,
            filters,
            entries,
            written,
            metas,
            tags,
            items,
            damaged: AtomicU64::new(0),
        })
    }

    /// Entries held.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The file's size in bytes.
    pub fn size(&self) -> usize {
        self.data().len()
    }

    /// What it was opened from (the path as given).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Damaged records met by lookups so far (skipped; a sound file has none).
    pub fn damaged(&self) -> u64 {
        self.damaged.load(Ordering::Relaxed)
    }

    fn damage(&self) {
        self.damaged.fetch_add(1, Ordering::Relaxed);
    }

    /// The bytes of a string ref at `at` in `section`; `Some(None)` for an absent string,
    /// `None` (counted as damage) for one outside the strings.
    fn string_ref(&self, section: usize, at: usize) -> Option<Option<&str>> {
        let rec = self.section(section);
        let (off, len) = (u32_at(rec, at)?, u32_at(rec, at + 4)?);
        if off == NONE {
            return Some(None);
        }
        let bytes = self
            .section(STRINGS)
            .get(off as usize..(off as usize).checked_add(len as usize)?)?;
        std::str::from_utf8(bytes).ok().map(Some)
    }

    /// The key record at `at` in the strings: its items and its key's bytes; `None` when
    /// it does not lie inside the strings.
    fn record(strings: &[u8], at: usize) -> Option<(u32, u32, &[u8])> {
        let head = strings.get(at..at.checked_add(RECORD_HEAD)?)?;
        let (len, first, end) = (
            u32_at(head, 0)? as usize,
            u32_at(head, 4)?,
            u32_at(head, 8)?,
        );
        let start = at + RECORD_HEAD;
        let key = strings.get(start..start.checked_add(len)?)?;
        Some((first, end, key))
    }

    /// The records and tags of table `t`.
    fn slots(&self, t: usize) -> Option<(&[u8], &[u8])> {
        let data = self.data();
        Some((
            data.get(self.sections.get(RECORDS + 2 * t)?.clone())?,
            data.get(self.sections.get(RECORDS + 2 * t + 1)?.clone())?,
        ))
    }

    /// The items of `key` in table `t`.
    fn find(&self, t: usize, key: &[u8]) -> Option<Range<u32>> {
        let info = self.tables.get(t)?;
        let (records, tags) = self.slots(t)?;
        let h = key_hash(key);
        let tag = tag(h);
        let mut i = h as usize & info.mask;
        // The record offset is wanted as soon as the tag matches: fetch both together.
        if let Some(r) = records.get(i * OFFSET) {
            crate::primitives::prefetch(r, 1);
        }
        for _ in 0..info.probes {
            let slot = *tags.get(i)?;
            if slot == 0 {
                return None;
            }
            if slot == tag {
                let strings = self.data().get(self.sections[STRINGS].clone());
                let rec = u32_at(records, i * OFFSET)
                    .and_then(|r| r.checked_sub(1))
                    .zip(strings)
                    .and_then(|(at, strings)| Compiled::record(strings, at as usize));
                let Some((first, end, stored)) = rec else {
                    self.damage();
                    return None;
                };
                if stored == key {
                    if first < end && end as usize <= self.items {
                        return Some(first..end);
                    }
                    self.damage();
                    return None;
                }
            }
            i = (i + 1) & info.mask;
        }
        None
    }

    /// The hit of one item, or `None` when its records are damaged.
    fn hit(&self, item: u32) -> Option<IntelHit> {
        let items = self.section(ITEMS);
        let at = (item as usize).checked_mul(ITEM)?;
        let (written, meta) = (u32_at(items, at)? as usize, u32_at(items, at + 4)? as usize);
        if written >= self.written || meta >= self.metas {
            return None;
        }
        let matched = self.string_ref(WRITTEN, written * REF)??.to_string();
        let m = meta * META;
        let feed = self.string_ref(METAS, m)??.to_string();
        let meta_rec = self.section(METAS);
        let (first_tag, count) = (
            u32_at(meta_rec, m + 8)? as usize,
            u32_at(meta_rec, m + 12)? as usize,
        );
        if first_tag.checked_add(count)? > self.tags {
            return None;
        }
        let mut tags = Vec::with_capacity(count);
        for t in first_tag..first_tag + count {
            tags.push(self.string_ref(TAGS, t * REF)??.to_string());
        }
        let first_seen = self.string_ref(METAS, m + 16)?.map(str::to_string);
        let threat_level = self.string_ref(METAS, m + 24)?.map(str::to_string);
        Some(IntelHit {
            feed,
            matched,
            tags,
            first_seen,
            threat_level,
        })
    }
}

impl Tables for Compiled {
    type Items<'s> = Range<u32>;

    fn get(&self, key: Key<'_>) -> Option<Range<u32>> {
        match key {
            Key::Exact(k) => self.find(EXACT, k.as_bytes()),
            Key::Domain(k) => self.find(DOMAINS, k.as_bytes()),
            Key::Prefix(k) => self.find(PREFIXES, k.as_bytes()),
            Key::Net { len, addr, v6 } => self.find(NETS, &net_key(len, addr, v6)),
        }
    }

    fn lengths(&self, v6: bool) -> &[u8] {
        &self.lengths[v6 as usize]
    }

    fn prefix_lengths(&self) -> Lengths {
        self.filters[PREFIX_BYTES]
    }

    fn domain_labels(&self) -> Lengths {
        self.filters[DOMAIN_LABELS]
    }

    fn exact_lengths(&self) -> Lengths {
        self.filters[EXACT_BYTES]
    }

    fn hits(&self, items: Range<u32>, out: &mut Vec<IntelHit>) {
        for item in items {
            match self.hit(item) {
                Some(hit) => {
                    if !out.contains(&hit) {
                        out.push(hit);
                    }
                }
                None => self.damage(),
            }
        }
    }
}

/// Strings written once each, in the order first met.
#[derive(Default)]
struct Arena<'a> {
    bytes: Vec<u8>,
    at: rustc_hash::FxHashMap<&'a [u8], u32>,
}

impl<'a> Arena<'a> {
    /// The string ref (offset, length) of `s`.
    fn add(&mut self, s: &'a [u8]) -> io::Result<(u32, u32)> {
        let len = u32::try_from(s.len()).map_err(|_| too_large("a string"))?;
        if let Some(&off) = self.at.get(s) {
            return Ok((off, len));
        }
        let off = u32::try_from(self.bytes.len())
            .ok()
            .filter(|&o| o != NONE)
            .ok_or_else(|| too_large("the strings"))?;
        self.bytes.extend_from_slice(s);
        self.at.insert(s, off);
        Ok((off, len))
    }

    /// Writes the record of a key (its items `first..end`); returns its offset. The key's
    /// bytes serve as the string of an equal value added later.
    fn record(&mut self, key: &'a [u8], first: u32, end: u32) -> io::Result<u32> {
        let len = u32::try_from(key.len()).map_err(|_| too_large("a key"))?;
        let off = u32::try_from(self.bytes.len()).map_err(|_| too_large("the strings"))?;
        let after = self.bytes.len() + RECORD_HEAD + key.len();
        // Every offset into the strings, + 1 in a slot, fits a u32 below NONE.
        if after >= NONE as usize {
            return Err(too_large("the strings"));
        }
        push32(&mut self.bytes, len);
        push32(&mut self.bytes, first);
        push32(&mut self.bytes, end);
        self.at.entry(key).or_insert(off + RECORD_HEAD as u32);
        self.bytes.extend_from_slice(key);
        Ok(off)
    }

    fn add_opt(&mut self, s: Option<&'a str>) -> io::Result<(u32, u32)> {
        match s {
            Some(s) => self.add(s.as_bytes()),
            None => Ok((NONE, 0)),
        }
    }
}

fn too_large(what: &str) -> io::Error {
    io::Error::other(format!(
        "{what} outgrow the format's 32-bit offsets (4 GiB); split the feeds into several stores"
    ))
}

fn push32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A key and its entries (written index, meta index), as a table is written.
type KeyItems<'a> = (&'a [u8], &'a [(u32, u32)]);
/// A range's key and its entries.
type NetItems<'a> = ([u8; 18], &'a [(u32, u32)]);

/// One table ready to write: its records section, tags section and longest probe. The
/// key records go to the strings.
fn table<'a>(
    keys: Vec<KeyItems<'a>>,
    arena: &mut Arena<'a>,
    items: &mut Vec<u8>,
) -> io::Result<(Vec<u8>, Vec<u8>, u32)> {
    let n = keys.len();
    if n >= u32::MAX as usize {
        return Err(too_large("the keys"));
    }
    // At most two thirds full: a miss reads a few tags more than at half full, but they
    // are bytes side by side, and smaller tags stay in the caches better.
    let cap = (n + n / 2).max(2).next_power_of_two();
    let mask = cap - 1;
    let mut records = vec![0u32; cap];
    let mut tags = vec![0u8; cap];
    let mut longest = 0u32;
    for (key, list) in keys {
        let first = u32::try_from(items.len() / ITEM).map_err(|_| too_large("the items"))?;
        for &(written, meta) in list.iter() {
            push32(items, written);
            push32(items, meta);
        }
        let end = u32::try_from(items.len() / ITEM).map_err(|_| too_large("the items"))?;
        // Below NONE (u32::MAX), so + 1 fits.
        let off = arena.record(key, first, end)?;
        let h = key_hash(key);
        let mut i = h as usize & mask;
        let mut probe = 0u32;
        while tags.get(i).is_some_and(|&t| t != 0) {
            i = (i + 1) & mask;
            probe += 1;
        }
        if let (Some(r), Some(t)) = (records.get_mut(i), tags.get_mut(i)) {
            *r = off + 1;
            *t = tag(h);
        }
        longest = longest.max(probe);
    }
    let record_bytes = records.iter().flat_map(|r| r.to_le_bytes()).collect();
    Ok((record_bytes, tags, longest))
}

/// Sorted (key, items) pairs of a text-keyed table.
fn text_keys(map: &rustc_hash::FxHashMap<Box<str>, Vec<(u32, u32)>>) -> Vec<KeyItems<'_>> {
    let mut keys: Vec<_> = map
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_slice()))
        .collect();
    keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
    keys
}

/// Writes the compiled form of the entries `store` read from feeds (compiled stores
/// attached to it are not copied); returns the bytes written.
pub fn write(store: &Store, w: &mut dyn Write) -> io::Result<u64> {
    write_memory(&store.mem, w)
}

fn write_memory(mem: &Memory, w: &mut dyn Write) -> io::Result<u64> {
    let mut nets: Vec<NetItems<'_>> = mem
        .nets
        .iter()
        .map(|(&(len, addr, v6), items)| (net_key(len, addr, v6), items.as_slice()))
        .collect();
    nets.sort_unstable_by_key(|n| n.0);
    let mut arena = Arena::default();
    // The tables first: their key records hold the keys' bytes, which the written values
    // equal to them then share.
    let mut items = Vec::new();
    let mut parts: Vec<(Vec<u8>, Vec<u8>, u32)> = Vec::with_capacity(TABLES);
    parts.push(table(text_keys(&mem.exact), &mut arena, &mut items)?);
    parts.push(table(text_keys(&mem.domains), &mut arena, &mut items)?);
    parts.push(table(text_keys(&mem.prefixes), &mut arena, &mut items)?);
    let net_refs: Vec<KeyItems<'_>> = nets.iter().map(|(k, v)| (&k[..], *v)).collect();
    parts.push(table(net_refs, &mut arena, &mut items)?);
    let mut written = Vec::with_capacity(mem.written.len() * REF);
    for v in &mem.written {
        let (off, len) = arena.add(v.as_bytes())?;
        push32(&mut written, off);
        push32(&mut written, len);
    }
    let mut metas = Vec::with_capacity(mem.metas.len() * META);
    let mut tags = Vec::new();
    for m in &mem.metas {
        let (off, len) = arena.add(m.feed.as_bytes())?;
        push32(&mut metas, off);
        push32(&mut metas, len);
        let first = u32::try_from(tags.len() / REF).map_err(|_| too_large("the tags"))?;
        let count = u32::try_from(m.tags.len()).map_err(|_| too_large("the tags"))?;
        for t in &m.tags {
            let (off, len) = arena.add(t.as_bytes())?;
            push32(&mut tags, off);
            push32(&mut tags, len);
        }
        push32(&mut metas, first);
        push32(&mut metas, count);
        for s in [m.first_seen.as_deref(), m.threat_level.as_deref()] {
            let (off, len) = arena.add_opt(s)?;
            push32(&mut metas, off);
            push32(&mut metas, len);
        }
    }
    let mut lengths = Vec::new();
    for family in &mem.lengths {
        lengths.push(u8::try_from(family.len()).map_err(|_| too_large("the prefix lengths"))?);
        lengths.extend_from_slice(family);
    }
    // In the order of DOMAIN_LABELS, PREFIX_BYTES, EXACT_BYTES.
    for filter in [mem.domain_labels, mem.prefix_lengths, mem.exact_lengths] {
        for word in filter.0 {
            lengths.extend_from_slice(&word.to_le_bytes());
        }
    }

    let mut bodies: Vec<&[u8]> = vec![&arena.bytes, &written, &metas, &tags, &items, &lengths];
    for (keys, slots, _) in &parts {
        bodies.push(keys);
        bodies.push(slots);
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    push32(&mut header, FORMAT_VERSION);
    push32(&mut header, HEADER_LEN as u32);
    header.extend_from_slice(&[0; 8]); // the file length, set below
    header.extend_from_slice(&(mem.entries as u64).to_le_bytes());
    let mut at = HEADER_LEN as u64;
    for body in &bodies {
        header.extend_from_slice(&at.to_le_bytes());
        header.extend_from_slice(&(body.len() as u64).to_le_bytes());
        at += (body.len() as u64).next_multiple_of(8);
    }
    for (_, _, longest) in &parts {
        push32(&mut header, *longest);
    }
    if let Some(len) = header.get_mut(16..24) {
        len.copy_from_slice(&at.to_le_bytes());
    }
    let crc = crc32fast::hash(&header);
    push32(&mut header, crc);
    header.resize(HEADER_LEN, 0);
    w.write_all(&header)?;
    for body in &bodies {
        w.write_all(body)?;
        let pad = body.len().next_multiple_of(8) - body.len();
        w.write_all(&[0u8; 8][..pad])?;
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::super::{Entry, Meta};
    use super::*;
    use crate::IocKind;

    fn store() -> Store {
        let mut s = Store::new();
        let meta = |feed: &str, tags: &[&str], level: Option<&str>| Meta {
            feed: feed.to_string(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            first_seen: Some("2026-10-01".to_string()),
            threat_level: level.map(str::to_string),
        };
        for (v, m) in [
            ("198.51.100.0/24", meta("team", &["c2"], Some("high"))),
            ("2001:db8:fe00::/40", meta("team", &[], None)),
            ("192.0.2.7", meta("partner", &["c2", "botnet"], Some("low"))),
            ("Fetchbird.example.net", meta("team", &["dl"], None)),
            (
                "http://cdn.example.com/s2/*",
                meta("team", &[], Some("medium")),
            ),
            (
                "D41D8CD98F00B204E9800998ECF8427E",
                meta("hashes", &["x"], None),
            ),
            ("fetchbird.example.net", meta("partner", &[], None)),
        ] {
            assert!(s.add(&Entry {
                value: v.to_string(),
                meta: m
            }));
        }
        s
    }

    fn compiled(s: &Store) -> Vec<u8> {
        let mut bytes = Vec::new();
        let n = write(s, &mut bytes).unwrap();
        assert_eq!(n as usize, bytes.len());
        bytes
    }

    const QUERIES: &[(IocKind, &str)] = &[
        (IocKind::Ipv4, "198.51.100.9"),
        (IocKind::Ipv4, "198.51.101.9"),
        (IocKind::Ipv6, "2001:db8:fe7c::17"),
        (IocKind::Ipv4, "192.0.2.7"),
        (IocKind::Domain, "files.FETCHBIRD.example.net"),
        (IocKind::Domain, "example.net"),
        (IocKind::Url, "http://cdn.example.com/s2/beacon.php"),
        (IocKind::Url, "http://192.0.2.7/a"),
        (IocKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"),
        (IocKind::Md5, "d41d8cd98f00b204e9800998ecf8427f"),
    ];

    #[test]
    fn a_compiled_store_answers_as_the_feeds_do() {
        let s = store();
        let mut mapped = Store::new();
        mapped.attach(Compiled::from_vec(compiled(&s), "t").unwrap());
        assert_eq!(mapped.entries, s.entries);
        let mut found = 0;
        for &(kind, value) in QUERIES {
            let want = s.lookup(kind, value);
            assert_eq!(mapped.lookup(kind, value), want, "{value}");
            assert_eq!(mapped.contains(kind, value), !want.is_empty(), "{value}");
            found += !want.is_empty() as usize;
        }
        assert_eq!(found, 7);
        assert_eq!(mapped.compiled()[0].damaged(), 0);
    }

    /// A store written before the length filters existed (its lengths section ends after
    /// the range lengths) is probed at every length and answers the same.
    #[test]
    fn a_store_without_length_filters_answers_the_same() {
        let s = store();
        let mut bytes = compiled(&s);
        let len_at = 32 + LENGTHS * 16 + 8;
        let len = u64_at(&bytes, len_at).unwrap();
        bytes[len_at..len_at + 8].copy_from_slice(&(len - 96).to_le_bytes());
        reseal(&mut bytes);
        let c = Compiled::from_vec(bytes, "t").unwrap();
        assert_eq!(c.filters, [Lengths::ALL; FILTERS]);
        let mut old = Store::new();
        old.attach(c);
        for &(kind, value) in QUERIES {
            assert_eq!(old.lookup(kind, value), s.lookup(kind, value), "{value}");
        }
        // The filters of a new store hold what the feeds hold: 3-label domains, one
        // 26-byte prefix.
        let c = Compiled::from_vec(compiled(&s), "t").unwrap();
        assert!(
            c.filters[0].has(3) && !c.filters[0].has(4),
            "{:?}",
            c.filters
        );
        assert!(c.filters[1].has("http://cdn.example.com/s2/".len()));
        assert!(!c.filters[1].has(20));
        // Exact values: the 32-character MD5 only.
        assert!(c.filters[2].has(32) && !c.filters[2].has(31) && !c.filters[2].has(33));
    }

    /// A version-1 file (the same header) is refused with the version error, which asks
    /// to rebuild it; a damaged one is still called damaged.
    #[test]
    fn a_version_1_store_is_refused_with_the_version_error() {
        let mut bytes = compiled(&store());
        bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        reseal(&mut bytes);
        let err = Compiled::from_vec(bytes.clone(), "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("version 1 is not supported") && err.contains("rebuild"),
            "{err}"
        );
        bytes[40] ^= 1;
        let err = Compiled::from_vec(bytes, "t").unwrap_err().to_string();
        assert!(err.contains("checksum"), "{err}");
    }

    /// Every key of every table is found through its slot, and its record holds its bytes.
    #[test]
    fn every_key_is_found_through_its_record() {
        let c = Compiled::from_vec(compiled(&store()), "t").unwrap();
        let strings = c.section(STRINGS);
        let mut keys = 0;
        for t in 0..TABLES {
            let (records, tags) = c.slots(t).unwrap();
            assert_eq!(records.len(), tags.len() * OFFSET);
            for (at, &tag) in records.chunks_exact(OFFSET).zip(tags) {
                let off = u32_at(at, 0).unwrap() as usize;
                assert_eq!(off == 0, tag == 0);
                if off == 0 {
                    continue;
                }
                let (first, end, key) = Compiled::record(strings, off - 1).unwrap();
                assert!(first < end, "{key:?}");
                assert_eq!(c.find(t, key), Some(first..end));
                keys += 1;
            }
        }
        // 1 exact value, 1 domain (written twice), 1 URL prefix, 3 ranges.
        assert_eq!(keys, 6);
        assert_eq!(c.damaged(), 0);
    }

    #[test]
    fn the_same_feeds_give_the_same_bytes() {
        assert_eq!(compiled(&store()), compiled(&store()));
        let empty = compiled(&Store::new());
        let c = Compiled::from_vec(empty, "empty").unwrap();
        assert_eq!(c.entries(), 0);
    }

    #[test]
    fn damaged_headers_are_refused() {
        let bytes = compiled(&store());
        let open = |b: Vec<u8>| {
            Compiled::from_vec(b, "t")
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert!(open(b"SPOORGW\0xxxxxxxxxxxxxxxxxxx".to_vec())
            .unwrap_err()
            .contains("bad magic"));
        let cut = open(bytes[..bytes.len() - 1].to_vec()).unwrap_err();
        assert!(cut.contains("truncated"), "{cut}");
        let short = open(bytes[..100].to_vec()).unwrap_err();
        assert!(short.contains("less than its 280-byte header"), "{short}");
        let mut flipped = bytes.clone();
        flipped[40] ^= 1;
        assert!(open(flipped).unwrap_err().contains("checksum"));
        let mut version = bytes.clone();
        version[8] = 9;
        assert!(open(version).unwrap_err().contains("version 9"));
    }

    #[test]
    fn damaged_bodies_never_panic_and_are_counted() {
        let bytes = compiled(&store());
        // Every body byte set to each of a few values: opening refuses a bad list of prefix
        // lengths (the one section it reads), lookups skip what does not hold.
        let (mut damaged, mut refused) = (0, 0);
        for at in HEADER_LEN..bytes.len() {
            for v in [0u8, 0xff, 0x7f] {
                let mut b = bytes.clone();
                b[at] = v;
                let Ok(c) = Compiled::from_vec(b, "t") else {
                    refused += 1;
                    continue;
                };
                let mut s = Store::new();
                s.attach(c);
                for &(kind, value) in QUERIES {
                    let _ = s.lookup(kind, value);
                    let _ = s.lookup_exact(value);
                }
                damaged += s.compiled()[0].damaged();
            }
        }
        assert!(damaged > 0);
        assert!(refused > 0 && refused < 20, "{refused}");
    }

    #[test]
    fn damaged_section_tables_are_refused_or_harmless() {
        let bytes = compiled(&store());
        // Every header byte after the version set to each of a few values, the checksum
        // made to match: opening refuses, or lookups run without a panic.
        let mut opened = 0;
        for at in 12..CRC_AT {
            for v in [0u8, 1, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[at] = v;
                reseal(&mut b);
                if (16..24).contains(&at) {
                    // The length is rewritten to the truth.
                    continue;
                }
                let Ok(c) = Compiled::from_vec(b, "t") else {
                    continue;
                };
                opened += 1;
                let mut s = Store::new();
                s.attach(c);
                for &(kind, value) in QUERIES {
                    let _ = s.lookup(kind, value);
                }
            }
        }
        assert!(opened > 0);
    }
}
