//! The deduplicating collection of indicators.
//!
//! [`IocSet`] merges sightings of the same indicator (same kind and normalised value;
//! paths and registry keys compare case-insensitively), keeps a bounded number of
//! sightings per indicator with an exact total count, and yields a deterministic, sorted
//! list.
//!
//! The set is compact: values, field paths and context snippets live in one arena of
//! large blocks, sources are interned once and referred to by index, sightings are fixed
//! records chained per indicator, and the hash table holds only entry numbers (with their hash). With a
//! memory budget ([`IocSet::with_budget`]), the set spills what it holds as a sorted run
//! to a temporary directory whenever it would grow past the budget, and the runs are
//! merged when the set is read ([`IocSet::into_stream`]): an external sort whose output is
//! the same, byte for byte, as the in-memory path's (counts exact, the first N sightings
//! kept in input order, since runs are merged in the order they were written).
//!
//! Sightings in a large plain file ([`IocSet::source_file`]) keep where their context
//! snippet lies instead of its text; the snippet is cut from the file when the set is read
//! ([`super::cut`]).

use super::allowlist::Verdict;
use super::cut::SourceFile;
use super::validate;
use super::{Encoding, Flags, Ioc, IocKind, Notes, Scope, Sighting};
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::Ipv6Addr;
use std::path::PathBuf;
use std::sync::Arc;

/// Bytes per arena block (a value larger than this gets a block of its own): one huge
/// page (the set's large blocks are asked for with [`crate::alloc::huge_pages`]).
const BLOCK: usize = 2 << 20;
/// Runs merged into one when this many have been spilled (bounds open files and the
/// per-record work of the final merge).
const MAX_RUNS: usize = 32;
/// Read and write buffer of a spilled run.
const RUN_BUFFER: usize = 64 * 1024;
/// Source files kept open for cutting snippets at output time (beyond, snippets of later
/// files are stored as text).
const MAX_FILES: usize = 256;
/// First byte of a stored context that is a place in the source file (`CUT_TAG`, bytes
/// back from the sighting's offset, length as 4 bytes little-endian), not text: no UTF-8
/// text starts with it.
const CUT_TAG: u8 = 0xff;

/// A sighting's context as handed to the set.
#[derive(Clone, Copy)]
enum Ctx<'a> {
    /// Appends the snippet's text.
    Text(&'a dyn Fn(&mut String)),
    /// As stored by another set (text, or a cut place).
    Raw(&'a [u8]),
    /// Bytes back from the offset, and length, of a snippet to cut at output time.
    Cut(u8, u32),
}

/// Where one sighting was seen, as the extractor reports it.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// Index of the source, from [`IocSet::source`].
    pub source: u32,
    /// Byte offset of the indicator's first byte in the source.
    pub offset: Option<u64>,
    /// 1-based line number.
    pub line: Option<u64>,
    /// Field path inside a structured record.
    pub field: Option<&'a str>,
    /// How the indicator's bytes were encoded.
    pub encoding: Encoding,
}

/// What a sighting says about its indicator besides where it was: written defanged, and
/// the scanner's notes. OR-ed over the sightings.
#[derive(Debug, Clone, Copy, Default)]
struct Mark {
    defanged: bool,
    notes: Notes,
}

/// The hash of an indicator's key in a set ([`IocSet::prefetch`]), handed back with the
/// same kind and value so that it is computed once per hit, with how the key is made from
/// the value (so that an address's port is not parsed again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHash {
    hash: u32,
    form: KeyForm,
    /// The entry whose hash this is, once [`IocSet::prefetch_entry`] has found one in the
    /// table (`NONE_U32`: none, or not looked for).
    entry: u32,
}

/// How the set's key of a value is made from it ([`set_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyForm {
    /// The value itself.
    Value,
    /// The value in lower case (paths and registry keys).
    Folded,
    /// An address written with a port: the address is `value[start..end]`.
    Port { start: u32, end: u32, port: u16 },
}

/// Indicators keyed by kind and normalised value.
#[derive(Debug)]
pub struct IocSet {
    max_sightings: usize,
    keep_sightings: bool,
    keep_context: bool,
    /// Bytes the set may hold before it spills (0 = no limit).
    budget: usize,
    spill_parent: Option<PathBuf>,
    mem: Memory,
    sources: Vec<Arc<str>>,
    /// The file of each source whose snippets are cut at output time.
    files: Vec<Option<Arc<SourceFile>>>,
    source_index: FxHashMap<Arc<str>, u32>,
    runs: Vec<tempfile::NamedTempFile>,
    spill_dir: Option<SpillDir>,
    spill_error: Option<String>,
    allowlist: Option<(super::allowlist::Allowlist, bool)>,
    public_only: bool,
    scratch: String,
    key_buf: String,
}

impl Clone for IocSet {
    /// A copy of the indicators held in memory (spilled runs are not copied: a clone of
    /// a set that spilled holds only what came after its last spill).
    fn clone(&self) -> Self {
        IocSet {
            max_sightings: self.max_sightings,
            keep_sightings: self.keep_sightings,
            keep_context: self.keep_context,
            budget: self.budget,
            spill_parent: self.spill_parent.clone(),
            mem: self.mem.clone(),
            sources: self.sources.clone(),
            files: self.files.clone(),
            source_index: self.source_index.clone(),
            runs: Vec::new(),
            spill_dir: None,
            spill_error: self.spill_error.clone(),
            allowlist: self.allowlist.clone(),
            public_only: self.public_only,
            scratch: String::new(),
            key_buf: String::new(),
        }
    }
}

/// What the set holds in memory.
#[derive(Debug, Clone, Default)]
struct Memory {
    arena: Arena,
    entries: Paged<Entry>,
    sights: Paged<Sight>,
    /// Entry numbers with the 32-bit hash of their key, so that growing the table never
    /// reads the keys again.
    table: Table,
}

/// Elements per page of a [`Paged`] vector (a power of two): 2.5 MiB for an entry or a
/// sighting, so that a page is a large block of [`crate::alloc::huge_pages`].
const PAGE: usize = 1 << 16;

/// A vector in pages of [`PAGE`] elements: growing never moves (copies, and faults in
/// twice) what it holds, as a vector of hundreds of megabytes does when it doubles. The
/// first page grows as a vector does, so that a small set stays small.
#[derive(Debug, Clone)]
struct Paged<T> {
    pages: Vec<Vec<T>>,
    len: usize,
    /// Capacity of the pages after the first (which do not grow once made), so that
    /// [`Paged::bytes`], asked at every insertion of a set with a budget, reads no page.
    rest_capacity: usize,
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged {
            pages: Vec::new(),
            len: 0,
            rest_capacity: 0,
        }
    }
}

impl<T> Paged<T> {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get(&self, i: usize) -> Option<&T> {
        self.pages.get(i / PAGE)?.get(i % PAGE)
    }

    fn push(&mut self, value: T) {
        let page = self.len / PAGE;
        if page == self.pages.len() {
            if page == 0 {
                self.pages.push(Vec::new());
            } else {
                let fresh = crate::alloc::huge_pages(|| Vec::with_capacity(PAGE));
                self.rest_capacity += fresh.capacity();
                self.pages.push(fresh);
            }
        }
        if let Some(p) = self.pages.get_mut(page) {
            if p.len() == p.capacity() {
                // the first page, growing
                crate::alloc::huge_pages(|| p.reserve(1));
            }
            p.push(value);
            self.len += 1;
        }
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        self.pages.iter().flatten()
    }

    /// Empties it, keeping its pages.
    fn clear(&mut self) {
        for p in &mut self.pages {
            p.clear();
        }
        self.len = 0;
    }

    /// Bytes reserved.
    fn bytes(&self) -> usize {
        (self.pages.first().map_or(0, Vec::capacity) + self.rest_capacity)
            * std::mem::size_of::<T>()
    }

    /// Bytes the next push may add.
    fn growth(&self) -> usize {
        let size = std::mem::size_of::<T>();
        match self.pages.get(self.len / PAGE) {
            // the first page doubles while it is smaller than a page
            Some(p) if p.len() == p.capacity() => p.capacity().max(4) * size,
            Some(_) => 0,
            None if self.pages.is_empty() => 4 * size,
            None => PAGE * size,
        }
    }
}

impl<T> std::ops::Index<usize> for Paged<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        &self.pages[i / PAGE][i % PAGE]
    }
}

impl<T> std::ops::IndexMut<usize> for Paged<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.pages[i / PAGE][i % PAGE]
    }
}

/// One indicator: its key (and first-seen spelling, when that differs) in the arena.
#[derive(Debug, Clone, Copy)]
struct Entry {
    addr: u64,
    count: u64,
    key_len: u32,
    /// Length of the first-seen spelling stored after the key (0 = the key itself).
    display_len: u32,
    first: u32,
    last: u32,
    kept: u32,
    kind: u8,
    defanged: bool,
    /// [`Notes`] bits, OR-ed over the sightings.
    notes: u16,
}

/// One kept sighting (40 bytes); field path and context are stored together in the
/// arena, except a context that is a place in the source file (`CUT_TAG` and five bytes)
/// of a sighting without a field, which is kept in the sighting itself, where the arena
/// address would be: no arena bytes, and one place less to fetch from memory when the set
/// is read.
#[derive(Debug, Clone, Copy)]
struct Sight {
    offset: u64,
    /// The line number (0: none), with [`LINE_UTF16`] set for UTF-16LE text.
    line: u64,
    /// The arena address of field and context (little-endian), or, when `context_len` is
    /// [`CUT_INLINE`], the cut place in its first [`CUT_LEN`] bytes.
    text: [u8; 8],
    source: u32,
    next: u32,
    field_len: u32,
    /// Length of the context in the arena, or [`CUT_INLINE`]: the context is in `text`.
    context_len: u32,
}

/// The bit of [`Sight::line`] that says the sighting's bytes were UTF-16LE (no text has
/// 2^63 lines).
const LINE_UTF16: u64 = 1 << 63;

impl Sight {
    /// The line number, if known.
    fn line(&self) -> Option<u64> {
        Some(self.line & !LINE_UTF16).filter(|&l| l != 0)
    }

    /// The [`Encoding`] as a byte.
    fn encoding(&self) -> u8 {
        if self.line & LINE_UTF16 != 0 {
            Encoding::Utf16le as u8
        } else {
            Encoding::Ascii as u8
        }
    }

    /// Where field and context lie in the arena (when the context is not inline).
    fn text_addr(&self) -> u64 {
        u64::from_le_bytes(self.text)
    }

    /// The cut place kept inline (when `context_len` is [`CUT_INLINE`]).
    fn cut(&self) -> &[u8] {
        &self.text[..CUT_LEN]
    }
}

/// Length of a stored cut place (`CUT_TAG`, bytes back, length as 4 bytes).
const CUT_LEN: usize = 6;
/// [`Sight::context_len`] of a sighting whose context is the cut place in [`Sight::text`].
const CUT_INLINE: u32 = u32::MAX;

const NONE_U32: u32 = u32::MAX;
/// Slots [`Table::peek`] looks at (a cache line's worth).
const PEEK_SLOTS: usize = 8;
const NONE_U64: u64 = u64::MAX;

/// Byte strings in blocks (4 KiB growing to `max_block`), addressed by
/// `block << 32 | offset`.
#[derive(Debug, Clone, Default)]
struct Arena {
    blocks: Vec<Vec<u8>>,
    /// Blocks in use (the rest are kept for reuse after a spill).
    used: usize,
    /// Largest block made for small strings (0 = `BLOCK`).
    max_block: usize,
    /// Sum of the blocks' capacities.
    reserved: usize,
}

impl Arena {
    fn has_room(&self, need: usize) -> bool {
        self.used
            .checked_sub(1)
            .and_then(|i| self.blocks.get(i))
            .is_some_and(|blk| blk.capacity() - blk.len() >= need)
    }

    fn next_block_size(&self) -> usize {
        let max = if self.max_block == 0 {
            BLOCK
        } else {
            self.max_block
        };
        (4096usize << self.blocks.len().min(9)).min(max)
    }

    /// Appends `a` then `b` contiguously; returns the address of `a`.
    fn push(&mut self, a: &[u8], b: &[u8]) -> u64 {
        let need = a.len() + b.len();
        if !self.has_room(need) {
            if self.used == self.blocks.len() {
                let size = need.max(self.next_block_size());
                self.blocks
                    .push(crate::alloc::huge_pages(|| Vec::with_capacity(size)));
                self.reserved += size;
            } else {
                let blk = &mut self.blocks[self.used];
                blk.clear();
                if blk.capacity() < need {
                    self.reserved -= blk.capacity();
                    crate::alloc::huge_pages(|| blk.reserve_exact(need));
                    self.reserved += blk.capacity();
                }
            }
            self.used += 1;
        }
        let index = self.used - 1;
        let blk = &mut self.blocks[index];
        let offset = blk.len();
        blk.extend_from_slice(a);
        blk.extend_from_slice(b);
        ((index as u64) << 32) | offset as u64
    }

    /// The bytes at `addr`, if the arena holds them.
    fn bytes_at(&self, addr: u64, len: usize) -> Option<&[u8]> {
        let blk = self.blocks.get((addr >> 32) as usize)?;
        let start = (addr & 0xffff_ffff) as usize;
        blk.get(start..start.checked_add(len)?)
    }

    fn get(&self, addr: u64, len: usize) -> &[u8] {
        let blk = &self.blocks[(addr >> 32) as usize];
        let start = (addr & 0xffff_ffff) as usize;
        &blk[start..start + len]
    }

    /// Bytes reserved.
    fn reserved(&self) -> usize {
        self.reserved
    }

    /// Bytes a push of `need` bytes would add.
    fn growth(&self, need: usize) -> usize {
        if self.has_room(need) {
            return 0;
        }
        match self.blocks.get(self.used) {
            Some(blk) if blk.capacity() >= need => 0,
            _ => need.max(self.next_block_size()),
        }
    }

    fn clear(&mut self) {
        let max = self
            .next_block_size()
            .max(BLOCK.min(self.max_block.max(4096)));
        self.blocks.retain(|b| b.capacity() <= max);
        for b in &mut self.blocks {
            b.clear();
        }
        self.reserved = self.blocks.iter().map(Vec::capacity).sum();
        self.used = 0;
    }
}

/// Separator between an address and its port in the set's key (`192.0.2.10\u{1}08080`):
/// it sorts before every character of an address, so that the ports of an address follow
/// the address in output order, ascending (five digits, zero-padded), and
/// [`SortedIocs`] gives them as one indicator.
const PORT_SEP: u8 = 1;

/// The set's key of a value: lower case for paths and registry keys, `ADDR\u{1}PPPPP` for
/// an address written with a port, else the value itself.
fn set_key<'v>(kind: IocKind, value: &'v str, buf: &'v mut String) -> &'v str {
    key_in_form(value, key_form(kind, value), buf)
}

/// How the set's key of `value` is made ([`set_key`]): inlined where it is asked once per
/// hit, since most values are their own key.
#[inline(always)]
fn key_form(kind: IocKind, value: &str) -> KeyForm {
    match kind {
        IocKind::Ipv4 | IocKind::Ipv6 => address_key_form(kind, value),
        _ if kind.case_insensitive() => KeyForm::Folded,
        _ => KeyForm::Value,
    }
}

/// [`key_form`] of an address value (no address kind is case-insensitive).
fn address_key_form(kind: IocKind, value: &str) -> KeyForm {
    // Only an address written with a port has another key: an IPv4 value holding a `:`, an
    // IPv6 value opening with `[` (what `split_port` looks for first). Most values have
    // neither, and are not parsed again.
    let may_have_port = match kind {
        // a short value: a plain loop, not a call to the vector search
        IocKind::Ipv4 => value.bytes().any(|b| b == b':'),
        IocKind::Ipv6 => value.starts_with('['),
        _ => false,
    };
    if !may_have_port {
        return KeyForm::Value;
    }
    let Some((addr, port)) = super::split_port(kind, value) else {
        return KeyForm::Value;
    };
    // the address is a piece of the value: after its `[` for IPv6, at its start for IPv4
    let start = usize::from(kind == IocKind::Ipv6);
    let end = start + addr.len();
    match (u32::try_from(start), u32::try_from(end)) {
        (Ok(start), Ok(end)) if value.get(start as usize..end as usize) == Some(addr) => {
            KeyForm::Port { start, end, port }
        }
        _ => KeyForm::Value,
    }
}

/// The set's key of `value`, made as `form` says ([`key_form`] of the same value): the
/// value itself inlined, the other forms made in `buf`.
#[inline(always)]
fn key_in_form<'v>(value: &'v str, form: KeyForm, buf: &'v mut String) -> &'v str {
    match form {
        KeyForm::Value => value,
        _ => key_made(value, form, buf),
    }
}

/// [`key_in_form`] of a key that is not the value itself.
fn key_made<'v>(value: &'v str, form: KeyForm, buf: &'v mut String) -> &'v str {
    match form {
        KeyForm::Value => value,
        KeyForm::Folded => {
            if value.is_ascii() {
                // `fold_case` without a new string
                buf.clear();
                buf.push_str(value);
                buf.make_ascii_lowercase();
            } else {
                *buf = fold_case(value);
            }
            buf.as_str()
        }
        KeyForm::Port { start, end, port } => {
            let Some(addr) = value.get(start as usize..end as usize) else {
                return value;
            };
            buf.clear();
            buf.push_str(addr);
            buf.push(char::from(PORT_SEP));
            push_port(buf, port);
            buf.as_str()
        }
    }
}

/// Appends `port` as five digits, zero-padded (`{port:05}` without the formatter).
fn push_port(buf: &mut String, port: u16) {
    let mut digits = [b'0'; 5];
    let mut n = port;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    buf.extend(digits.iter().map(|&d| char::from(d)));
}

/// Whether `key` is an address's key with a port ([`set_key`]).
fn is_port_key(kind: IocKind, key: &[u8]) -> bool {
    matches!(kind, IocKind::Ipv4 | IocKind::Ipv6) && key.contains(&PORT_SEP)
}

/// The address part of a key and its port, if it has one ([`set_key`]).
fn key_port(kind: u8, key: &[u8]) -> (&[u8], Option<u16>) {
    let network = kind == IocKind::Ipv4 as u8 || kind == IocKind::Ipv6 as u8;
    if !network {
        return (key, None);
    }
    match memchr::memchr(PORT_SEP, key) {
        Some(i) => {
            let port = std::str::from_utf8(&key[i + 1..])
                .ok()
                .and_then(|p| p.parse::<u16>().ok());
            (&key[..i], port)
        }
        _ => (key, None),
    }
}

/// The 32-bit hash of an entry's kind and key, as the table keeps it.
fn hash_key(kind: u8, key: &[u8]) -> u32 {
    let mut h = FxHasher::default();
    h.write_u8(kind);
    h.write(key);
    let h = h.finish();
    (h >> 32) as u32 ^ h as u32
}

/// The hash table of a set's entries: open addressing with linear probing, each slot an
/// entry number plus one (0 = empty) and the 32-bit hash of its key, so that a slot and
/// its neighbours share a cache line (one miss per look-up, and a place known from the
/// hash alone, to fetch ahead: [`Table::prefetch`]) and growing never reads a key.
#[derive(Debug, Clone, Default)]
struct Table {
    slots: Vec<(u32, u32)>,
    len: usize,
}

impl Table {
    /// Entries held before the table grows (three quarters of the slots).
    fn capacity(&self) -> usize {
        self.slots.len() / 4 * 3
    }

    fn len(&self) -> usize {
        self.len
    }

    /// Where the probe for hash `h` starts (Fibonacci hashing: the top bits of the
    /// product, which depend on every bit of `h`).
    fn home(&self, h: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        if bits == 0 {
            return 0;
        }
        (u64::from(h).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - bits)) as usize
    }

    /// The entry number whose hash is `h` and for which `eq` holds.
    fn find(&self, h: u32, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(h);
        loop {
            let (slot, hash) = self.slots.get(at).copied()?;
            if slot == 0 {
                return None;
            }
            if hash == h && eq(slot - 1) {
                return Some(slot - 1);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds entry number `index` (not in the table yet) with hash `h`.
    fn insert(&mut self, h: u32, index: u32) {
        if self.len >= self.capacity() {
            self.grow();
        }
        self.place(h, index.saturating_add(1));
        self.len += 1;
    }

    fn place(&mut self, h: u32, slot: u32) {
        let mask = self.slots.len() - 1;
        let mut at = self.home(h);
        while let Some(s) = self.slots.get_mut(at) {
            if s.0 == 0 {
                *s = (slot, h);
                return;
            }
            at = (at + 1) & mask;
        }
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let fresh = crate::alloc::huge_pages(|| vec![(0, 0); size]);
        let old = std::mem::replace(&mut self.slots, fresh);
        for (slot, h) in old {
            if slot != 0 {
                self.place(h, slot);
            }
        }
    }

    /// The first entry number in the probe for hash `h` whose slot has that hash, looking
    /// at a few slots only (a hint for fetching ahead, not a look-up).
    fn peek(&self, h: u32) -> Option<u32> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut at = self.home(h);
        for _ in 0..PEEK_SLOTS {
            let &(slot, hash) = self.slots.get(at)?;
            if slot == 0 {
                return None;
            }
            if hash == h {
                return Some(slot - 1);
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Asks the processor to fetch the slots where the probe for hash `h` starts.
    fn prefetch(&self, h: u32) {
        if let Some(slot) = self.slots.get(self.home(h)) {
            crate::primitives::prefetch(
                std::ptr::from_ref(slot).cast(),
                std::mem::size_of::<(u32, u32)>(),
            );
        }
    }

    /// Empties the table, keeping its slots.
    fn clear(&mut self) {
        self.slots.fill((0, 0));
        self.len = 0;
    }

    /// Bytes held.
    fn bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u32, u32)>()
    }
}

impl Memory {
    fn key(&self, e: &Entry) -> &[u8] {
        self.arena.get(e.addr, e.key_len as usize)
    }

    fn display(&self, e: &Entry) -> &[u8] {
        if e.display_len == 0 {
            self.key(e)
        } else {
            self.arena
                .get(e.addr + u64::from(e.key_len), e.display_len as usize)
        }
    }

    /// Bytes held, counting reserved capacity.
    fn reserved(&self) -> usize {
        self.arena.reserved() + self.entries.bytes() + self.sights.bytes() + self.table.bytes()
    }

    /// Bytes the next new indicator (with a sighting of `need` arena bytes) may add by
    /// growing a vector or the table.
    fn growth(&self, need: usize) -> usize {
        // the sort of a spill takes a key prefix per entry
        let mut more = (self.entries.len() + 1) * std::mem::size_of::<SortKey>();
        more += self.entries.growth() + self.sights.growth();
        if self.table.len() >= self.table.capacity() {
            // the new slots, twice as many, while the old ones are still held
            more += (self.table.bytes() * 2).max(16 * std::mem::size_of::<(u32, u32)>());
        }
        more + self.arena.growth(need)
    }

    fn clear(&mut self) {
        self.arena.clear();
        self.entries.clear();
        self.sights.clear();
        self.table.clear();
    }
}

impl IocSet {
    /// An empty set keeping at most `max_sightings` sightings per indicator (0 = all),
    /// with no memory limit.
    pub fn new(max_sightings: usize) -> Self {
        IocSet {
            max_sightings,
            keep_sightings: true,
            keep_context: true,
            budget: 0,
            spill_parent: None,
            mem: Memory::default(),
            sources: Vec::new(),
            files: Vec::new(),
            source_index: FxHashMap::default(),
            runs: Vec::new(),
            spill_dir: None,
            spill_error: None,
            allowlist: None,
            public_only: false,
            scratch: String::new(),
            key_buf: String::new(),
        }
    }

    /// An empty set that spills sorted runs to a temporary directory (under `dir`, or the
    /// system's) when it would hold more than `budget` bytes (0 = no limit).
    pub fn with_budget(max_sightings: usize, budget: usize, dir: Option<PathBuf>) -> Self {
        let mut set = IocSet {
            budget,
            spill_parent: dir,
            ..IocSet::new(max_sightings)
        };
        if budget > 0 {
            set.mem.arena.max_block = (budget / 16).clamp(4096, BLOCK);
        }
        set
    }

    /// Keeps no sightings at all (counts stay exact): for outputs that show only values.
    pub fn without_sightings(mut self) -> Self {
        self.keep_sightings = false;
        self
    }

    /// Keeps sightings without their context snippet.
    pub fn without_context(mut self) -> Self {
        self.keep_context = false;
        self
    }

    /// Number of distinct indicators held in memory (after a spill, those since the last
    /// spill).
    pub fn len(&self) -> usize {
        self.mem.entries.len()
    }

    /// Whether the set holds nothing, in memory or spilled.
    pub fn is_empty(&self) -> bool {
        self.mem.entries.is_empty() && self.runs.is_empty()
    }

    /// How many sorted runs were spilled to disk so far.
    pub fn spilled_runs(&self) -> usize {
        self.runs.len()
    }

    /// Whether nothing was put in yet: no indicator, and no source named.
    pub fn is_unused(&self) -> bool {
        self.is_empty() && self.sources.is_empty()
    }

    /// Whether `other` keeps sightings, context and memory as this set does (so that one
    /// can stand for the other), with no allowlist or scope filter set on either yet.
    pub fn same_settings(&self, other: &IocSet) -> bool {
        self.max_sightings == other.max_sightings
            && self.keep_sightings == other.keep_sightings
            && self.keep_context == other.keep_context
            && self.budget == other.budget
            && self.spill_parent == other.spill_parent
            && self.allowlist.is_none()
            && other.allowlist.is_none()
            && !self.public_only
            && !other.public_only
    }

    /// Writes what is held in memory as one more sorted run when the set has spilled
    /// before, so that reading it back holds only the runs' buffers: a set that is copied
    /// into another bounded set then does not hold its budget beside the other's.
    pub fn spill_rest(&mut self) {
        if !self.runs.is_empty() {
            self.spill();
        }
    }

    /// The index of a source name (interned once).
    pub fn source(&mut self, name: &Arc<str>) -> u32 {
        if let Some(&i) = self.source_index.get(name) {
            return i;
        }
        let i = self.sources.len() as u32;
        self.sources.push(name.clone());
        self.files.push(None);
        self.source_index.insert(name.clone(), i);
        i
    }

    /// Keeps `path`, the file of source `source`, open so that the context snippets of its
    /// sightings are cut from it when the set is read rather than stored (only for a
    /// regular file whose bytes are read as they are, not decompressed).
    pub fn source_file(&mut self, source: u32, path: &std::path::Path) {
        if !self.keep_sightings || !self.keep_context {
            return;
        }
        if self.files.iter().flatten().count() >= MAX_FILES {
            return;
        }
        if let Some(slot) = self.files.get_mut(source as usize) {
            if slot.is_none() {
                *slot = SourceFile::open(path).map(Arc::new);
            }
        }
    }

    /// Whether snippets of `source` are cut at output time ([`IocSet::add_cut`]).
    pub fn cuts(&self, source: u32) -> bool {
        self.files.get(source as usize).is_some_and(Option::is_some)
    }

    /// Records one sighting of a source that [`IocSet::cuts`], whose snippet starts
    /// `back` bytes before its offset and is `len` bytes long; `hash` is what
    /// [`IocSet::prefetch`] returned for this kind and value, if it was asked.
    #[allow(clippy::too_many_arguments)]
    pub fn add_cut(
        &mut self,
        kind: IocKind,
        value: &str,
        defanged: bool,
        notes: Notes,
        seen: Seen<'_>,
        (back, len): (u8, u32),
        hash: Option<KeyHash>,
    ) {
        let mark = Mark { defanged, notes };
        let ctx = Ctx::Cut(back, len);
        self.add_counted(kind, value, mark, 1, Some(seen), ctx, hash);
    }

    /// Records one sighting of an indicator.
    pub fn add(
        &mut self,
        kind: IocKind,
        value: String,
        defanged: bool,
        notes: Notes,
        sighting: Sighting,
    ) {
        let seen = Seen {
            source: self.source(&sighting.source),
            offset: sighting.offset,
            line: sighting.line,
            field: sighting.field.as_deref(),
            encoding: sighting.encoding,
        };
        self.add_seen(kind, &value, defanged, notes, seen, None, &|out| {
            out.push_str(&sighting.context)
        });
    }

    /// Records one sighting, building it only if it will be kept (the per-indicator cap
    /// is not reached yet).
    pub fn add_with(
        &mut self,
        kind: IocKind,
        value: String,
        defanged: bool,
        notes: Notes,
        sighting: impl FnOnce() -> Sighting,
    ) {
        let mut made: Option<Sighting> = None;
        let mut source = 0;
        let keep = self.will_keep(kind, &value);
        if keep {
            let s = sighting();
            source = self.source(&s.source);
            made = Some(s);
        }
        let s = made.as_ref();
        let seen = Seen {
            source,
            offset: s.and_then(|s| s.offset),
            line: s.and_then(|s| s.line),
            field: s.and_then(|s| s.field.as_deref()),
            encoding: s.map_or(Encoding::Ascii, |s| s.encoding),
        };
        self.add_seen(kind, &value, defanged, notes, seen, None, &|out| {
            out.push_str(s.map_or("", |s| s.context.as_str()))
        });
    }

    /// Whether a new sighting of this indicator would be kept.
    fn will_keep(&self, kind: IocKind, value: &str) -> bool {
        if !self.keep_sightings {
            return false;
        }
        if self.max_sightings == 0 {
            return true;
        }
        let mut buf = String::new();
        let key = set_key(kind, value, &mut buf);
        let mem = &self.mem;
        let h = hash_key(kind as u8, key.as_bytes());
        match mem.table.find(h, |i| {
            let e = &mem.entries[i as usize];
            e.kind == kind as u8 && mem.key(e) == key.as_bytes()
        }) {
            Some(i) => (mem.entries[i as usize].kept as usize) < self.max_sightings,
            None => true,
        }
    }

    /// Asks the processor to fetch where the indicator would be looked up, a few hits
    /// ahead of [`IocSet::add_seen`] (the table is far larger than the cache when most
    /// indicators are new). Returns the hash it looked up, which [`IocSet::add_cut`] takes
    /// so as not to compute it again.
    pub fn prefetch(&mut self, kind: IocKind, value: &str) -> KeyHash {
        let form = key_form(kind, value);
        let h = match form {
            KeyForm::Value => hash_key(kind as u8, value.as_bytes()),
            _ => {
                let mut key_buf = std::mem::take(&mut self.key_buf);
                let h = hash_key(kind as u8, key_made(value, form, &mut key_buf).as_bytes());
                self.key_buf = key_buf;
                h
            }
        };
        self.mem.table.prefetch(h);
        KeyHash {
            hash: h,
            form,
            entry: NONE_U32,
        }
    }

    /// The second step of fetching ahead, a few hits after [`IocSet::prefetch`] (whose
    /// slots have come in by then): the entry with this hash, if the table holds one (an
    /// indicator seen before), is asked for and noted in `hash`.
    pub fn prefetch_entry(&self, hash: &mut KeyHash) {
        hash.entry = self.mem.table.peek(hash.hash).unwrap_or(NONE_U32);
        if let Some(e) = self.mem.entries.get(hash.entry as usize) {
            crate::primitives::prefetch(std::ptr::from_ref(e).cast(), std::mem::size_of::<Entry>());
        }
    }

    /// The third step, a hit or two before the indicator is added: the key of the entry
    /// found by [`IocSet::prefetch_entry`] (which the look-up compares) and its last
    /// sighting (which a kept sighting is chained to).
    pub fn prefetch_key(&self, hash: &KeyHash) {
        let Some(e) = self.mem.entries.get(hash.entry as usize) else {
            return;
        };
        if let Some(key) = self.mem.arena.bytes_at(e.addr, e.key_len as usize) {
            crate::primitives::prefetch(key.as_ptr(), key.len());
        }
        if let Some(s) = self.mem.sights.get(e.last as usize) {
            crate::primitives::prefetch(std::ptr::from_ref(s).cast(), std::mem::size_of::<Sight>());
        }
    }

    /// Records one sighting; `context` (which appends the snippet to its argument) is
    /// called only when the sighting is kept. `hash` is what [`IocSet::prefetch`] returned
    /// for this kind and value, if it was asked.
    #[allow(clippy::too_many_arguments)]
    pub fn add_seen(
        &mut self,
        kind: IocKind,
        value: &str,
        defanged: bool,
        notes: Notes,
        seen: Seen<'_>,
        hash: Option<KeyHash>,
        context: &dyn Fn(&mut String),
    ) {
        let mark = Mark { defanged, notes };
        let ctx = Ctx::Text(context);
        self.add_counted(kind, value, mark, 1, Some(seen), ctx, hash);
    }

    /// Adds `count` to an indicator's total and keeps `seen` (if any, and under the cap);
    /// `hash` is the hash of the key if it is known already (from [`IocSet::prefetch`]).
    #[allow(clippy::too_many_arguments)]
    fn add_counted(
        &mut self,
        kind: IocKind,
        value: &str,
        mark: Mark,
        count: u64,
        seen: Option<Seen<'_>>,
        context: Ctx<'_>,
        hash: Option<KeyHash>,
    ) {
        let mut key_buf = std::mem::take(&mut self.key_buf);
        // the key as the prefetch made it, without parsing the value again
        let form = hash.map_or_else(|| key_form(kind, value), |h| h.form);
        debug_assert_eq!(form, key_form(kind, value), "{kind:?} {value}");
        let key = key_in_form(value, form, &mut key_buf);
        let kind_byte = kind as u8;
        let h = hash.map_or_else(|| hash_key(kind_byte, key.as_bytes()), |h| h.hash);
        debug_assert_eq!(h, hash_key(kind_byte, key.as_bytes()), "{kind:?} {value}");
        let mut text = std::mem::take(&mut self.scratch);
        let mem = &mut self.mem;
        let found = {
            let (entries, arena) = (&mem.entries, &mem.arena);
            mem.table.find(h, |i| {
                let e = &entries[i as usize];
                e.kind == kind_byte
                    && e.key_len as usize == key.len()
                    && arena.get(e.addr, e.key_len as usize) == key.as_bytes()
            })
        };
        let index = match found {
            Some(i) => i as usize,
            None => {
                // an address with a port is shown from its key
                let display = if key != value && !is_port_key(kind, key.as_bytes()) {
                    value
                } else {
                    ""
                };
                let addr = mem.arena.push(key.as_bytes(), display.as_bytes());
                let index = mem.entries.len();
                mem.entries.push(Entry {
                    addr,
                    count: 0,
                    key_len: key.len() as u32,
                    display_len: display.len() as u32,
                    first: NONE_U32,
                    last: NONE_U32,
                    kept: 0,
                    kind: kind_byte,
                    defanged: false,
                    notes: 0,
                });
                mem.table.insert(h, index as u32);
                index
            }
        };
        let max = self.max_sightings;
        let e = &mut mem.entries[index];
        e.count += count;
        e.defanged |= mark.defanged;
        e.notes |= mark.notes.bits();
        let mut need = 0;
        let seen = seen.filter(|_| self.keep_sightings && (max == 0 || (e.kept as usize) < max));
        if let Some(seen) = seen {
            text.clear();
            // a cut place is kept in the sighting, not the arena (made here as an array: a
            // place written as bytes and read back as one value would wait on the store)
            let mut inline: Option<[u8; CUT_LEN]> = None;
            let context: &[u8] = match context {
                _ if !self.keep_context => b"",
                Ctx::Text(f) => {
                    f(&mut text);
                    text.as_bytes()
                }
                Ctx::Raw(bytes) => {
                    inline = <[u8; CUT_LEN]>::try_from(bytes)
                        .ok()
                        .filter(|c| c[0] == CUT_TAG);
                    bytes
                }
                Ctx::Cut(back, len) => {
                    let [a, b, c, d] = len.to_le_bytes();
                    inline = Some([CUT_TAG, back, a, b, c, d]);
                    b""
                }
            };
            let field = seen.field.unwrap_or("");
            // the place goes where the arena address would: a sighting with a field (none
            // from a cut source) keeps it in the arena, as the same bytes
            let place = inline;
            let inline = inline.filter(|_| field.is_empty());
            let arena_context = match (inline, &place) {
                (Some(_), _) => &[][..],
                (None, Some(place)) => &place[..],
                (None, None) => context,
            };
            let text = match inline {
                Some([a, b, c, d, e, f]) => [a, b, c, d, e, f, 0, 0],
                None if field.is_empty() && arena_context.is_empty() => [0; 8],
                None => mem
                    .arena
                    .push(field.as_bytes(), arena_context)
                    .to_le_bytes(),
            };
            let utf16 = if seen.encoding == Encoding::Utf16le {
                LINE_UTF16
            } else {
                0
            };
            let s = mem.sights.len() as u32;
            mem.sights.push(Sight {
                offset: seen.offset.unwrap_or(NONE_U64),
                line: seen.line.unwrap_or(0) & !LINE_UTF16 | utf16,
                text,
                source: seen.source,
                next: NONE_U32,
                field_len: seen.field.map_or(NONE_U32, |f| f.len() as u32),
                context_len: if inline.is_some() {
                    CUT_INLINE
                } else {
                    arena_context.len() as u32
                },
            });
            let e = &mut mem.entries[index];
            if e.last == NONE_U32 {
                e.first = s;
            } else {
                mem.sights[e.last as usize].next = s;
            }
            e.last = s;
            e.kept += 1;
            need = field.len() + arena_context.len();
        }
        self.scratch = text;
        self.key_buf = key_buf;
        if self.budget > 0 && self.spill_error.is_none() {
            let need = need + 2 * value.len() + 128;
            if self.mem.reserved() + self.mem.growth(need) > self.budget {
                self.spill();
            }
        }
    }

    /// Moves every indicator of `other` into this set, after this set's own sightings.
    pub fn merge(&mut self, other: IocSet) {
        if other.runs.is_empty() {
            let remap = self.remap_sources(&other.sources, &other.files);
            let mem = &other.mem;
            for e in mem.entries.iter() {
                self.add_entry(
                    e.kind,
                    mem.display(e),
                    e.count,
                    Mark {
                        defanged: e.defanged,
                        notes: Notes::from_bits(e.notes),
                    },
                    SightIter { mem, next: e.first },
                    &remap,
                );
            }
            if self.spill_error.is_none() {
                self.spill_error = other.spill_error;
            }
            return;
        }
        let mut stream = other.into_records();
        let remap = self.remap_sources(&stream.sources, &stream.files);
        while let Some(rec) = stream.next_record() {
            let sights = rec.sights.iter().map(|s| RawSight {
                offset: s.offset,
                line: s.line,
                source: s.source,
                encoding: s.encoding,
                field: s.field.map(|(a, b)| &rec.text[a..b]),
                context: &rec.text[s.context.0..s.context.1],
            });
            let display = if rec.display.is_empty() {
                &rec.key
            } else {
                &rec.display
            };
            let mark = Mark {
                defanged: rec.defanged,
                notes: Notes::from_bits(rec.notes),
            };
            self.add_entry(rec.kind, display, rec.count, mark, sights, &remap);
        }
        if let Some(e) = stream.error.take() {
            self.spill_error.get_or_insert(e);
        }
    }

    /// The indices in this set of another set's sources, with their files.
    fn remap_sources(
        &mut self,
        sources: &[Arc<str>],
        files: &[Option<Arc<SourceFile>>],
    ) -> Vec<u32> {
        let mut remap = Vec::with_capacity(sources.len());
        for (i, name) in sources.iter().enumerate() {
            let index = self.source(name);
            if let (Some(Some(file)), Some(slot)) =
                (files.get(i), self.files.get_mut(index as usize))
            {
                slot.get_or_insert_with(|| file.clone());
            }
            remap.push(index);
        }
        remap
    }

    /// Adds a whole indicator (from another set) with its sightings in order.
    fn add_entry<'s>(
        &mut self,
        kind: u8,
        display: &[u8],
        count: u64,
        mark: Mark,
        sights: impl Iterator<Item = RawSight<'s>>,
        remap: &[u32],
    ) {
        let Some(kind) = IocKind::ALL.get(kind as usize).copied() else {
            return;
        };
        let value = String::from_utf8_lossy(display);
        // the whole count and the flag go with the first sighting (or alone); a spill
        // between two sightings leaves the later ones with a count of 0 in the next run
        let mut first = Some((count, mark));
        for s in sights {
            let field = s.field.map(String::from_utf8_lossy);
            let seen = Seen {
                source: remap.get(s.source as usize).copied().unwrap_or(0),
                offset: s.offset,
                line: s.line,
                field: field.as_deref(),
                encoding: encoding_from(s.encoding),
            };
            let (n, m) = first.take().unwrap_or((0, Mark::default()));
            self.add_counted(kind, &value, m, n, Some(seen), Ctx::Raw(s.context), None);
        }
        if let Some((n, m)) = first {
            self.add_counted(kind, &value, m, n, None, Ctx::Raw(b""), None);
        }
    }

    /// Marks allowlisted indicators, dropping them unless `keep` is set (applied as the
    /// set is read).
    pub fn apply_allowlist(&mut self, list: &super::allowlist::Allowlist, keep: bool) {
        self.allowlist = Some((list.clone(), keep));
    }

    /// Keeps only indicators whose scope is public (or that have no scope), as the set is
    /// read.
    pub fn retain_public(&mut self) {
        self.public_only = true;
    }

    /// Why spilling to disk failed, if it did (the set then went on in memory).
    pub fn spill_error(&self) -> Option<&str> {
        self.spill_error.as_deref()
    }

    /// The indicators sorted by kind, then value, with their scope filled in.
    pub fn into_sorted(self) -> Vec<Ioc> {
        let mut stream = self.into_stream();
        let mut v = Vec::new();
        while let Some(ioc) = stream.next_ioc() {
            v.push(ioc);
        }
        v
    }

    /// The indicators in the order of [`IocSet::into_sorted`], one at a time, merged from
    /// memory and the spilled runs.
    pub fn into_stream(self) -> SortedIocs {
        let allowlist = self.allowlist.clone();
        let public_only = self.public_only;
        SortedIocs {
            records: self.into_records(),
            allowlist,
            public_only,
            group: Vec::new(),
            ahead: None,
            hook: None,
            ioc: empty_ioc(),
            pool: Vec::new(),
            order: Vec::new(),
            raw: false,
        }
    }

    /// As [`IocSet::into_stream`], but an address seen with several ports gives one
    /// indicator per port, the port in its value (`192.0.2.10:8080`), as the scanner
    /// reported it: for adding the indicators to another set, which groups them itself.
    pub fn into_raw_stream(self) -> SortedIocs {
        let mut stream = self.into_stream();
        stream.raw = true;
        stream
    }

    fn into_records(mut self) -> RecordStream {
        let mut cursors = Vec::with_capacity(self.runs.len() + 1);
        let mut error = self.spill_error.take();
        for run in std::mem::take(&mut self.runs) {
            match run.reopen() {
                Ok(file) => cursors.push(Cursor::File {
                    reader: BufReader::with_capacity(RUN_BUFFER, file),
                    _run: run,
                }),
                Err(e) => {
                    error.get_or_insert(format!("cannot read back a spilled run: {e}"));
                }
            }
        }
        // the table is not asked again: its memory is free for the sort
        self.mem.table = Table::default();
        let order = sorted_order(&self.mem);
        cursors.push(Cursor::Memory {
            mem: std::mem::take(&mut self.mem),
            order,
            at: 0,
            files: self.files.clone(),
        });
        let mut stream = RecordStream {
            runs: cursors.len() - 1,
            heads: Vec::with_capacity(cursors.len()),
            spare: Vec::new(),
            cursors,
            sources: std::mem::take(&mut self.sources),
            files: std::mem::take(&mut self.files),
            max_sightings: self.max_sightings,
            error,
            _dir: self.spill_dir.take(),
        };
        stream.prime();
        stream
    }

    /// Writes what is in memory as a sorted run and empties the memory.
    fn spill(&mut self) {
        if self.mem.entries.is_empty() {
            return;
        }
        if let Err(e) = self.try_spill() {
            // go on in memory: the output stays right, only the limit is lost
            self.spill_error = Some(format!(
                "cannot write temporary files for --memory-limit ({e}); going on in memory"
            ));
            return;
        }
        self.mem.clear();
        if self.runs.len() >= MAX_RUNS {
            self.compact_runs();
        }
    }

    fn spill_dir(&mut self) -> io::Result<&std::path::Path> {
        if self.spill_dir.is_none() {
            // `.spoor-tmp-PID-iocs-...`: removed on an interrupt, and by a later run when
            // this process was killed outright
            let parent = self.spill_parent.clone().unwrap_or_else(std::env::temp_dir);
            crate::cleanup::remove_stale(&parent, crate::cleanup::TMP_MARK);
            let dir = tempfile::Builder::new()
                .prefix(&format!(
                    "{}{}-iocs-",
                    crate::cleanup::TMP_MARK,
                    std::process::id()
                ))
                .tempdir_in(&parent)?;
            let guard = crate::cleanup::register(dir.path());
            self.spill_dir = Some(SpillDir { dir, _guard: guard });
        }
        match &self.spill_dir {
            Some(d) => Ok(d.dir.path()),
            None => Err(io::Error::other("no temporary directory")),
        }
    }

    fn try_spill(&mut self) -> io::Result<()> {
        let dir = self.spill_dir()?.to_path_buf();
        let mut run = tempfile::NamedTempFile::new_in(dir)?;
        {
            let mut w = BufWriter::with_capacity(RUN_BUFFER, run.as_file_mut());
            let mem = &self.mem;
            let mut rec = Record::default();
            let order = sorted_order(mem);
            for (at, &(_, _, i)) in order.iter().enumerate() {
                // a run stores snippets as places, not text: no file bytes to fetch
                fetch_ahead(mem, &order, at, &[]);
                rec.load(mem, &mem.entries[i as usize]);
                rec.write(&mut w)?;
            }
            w.flush()?;
        }
        self.runs.push(run);
        Ok(())
    }

    /// Merges every spilled run into one.
    fn compact_runs(&mut self) {
        let result = (|| -> io::Result<tempfile::NamedTempFile> {
            let dir = self.spill_dir()?.to_path_buf();
            let mut out = tempfile::NamedTempFile::new_in(dir)?;
            let mut cursors = Vec::new();
            for run in std::mem::take(&mut self.runs) {
                let file = run.reopen()?;
                cursors.push(Cursor::File {
                    reader: BufReader::with_capacity(RUN_BUFFER, file),
                    _run: run,
                });
            }
            let mut stream = RecordStream {
                runs: cursors.len(),
                heads: Vec::with_capacity(cursors.len()),
                spare: Vec::new(),
                cursors,
                sources: Vec::new(),
                files: Vec::new(),
                max_sightings: self.max_sightings,
                error: None,
                _dir: None,
            };
            stream.prime();
            {
                let mut w = BufWriter::with_capacity(RUN_BUFFER, out.as_file_mut());
                while let Some(rec) = stream.next_record() {
                    rec.write(&mut w)?;
                }
                w.flush()?;
            }
            if let Some(e) = stream.error {
                return Err(io::Error::other(e));
            }
            Ok(out)
        })();
        match result {
            Ok(run) => self.runs.push(run),
            Err(e) => {
                self.spill_error
                    .get_or_insert(format!("cannot merge temporary files: {e}"));
            }
        }
    }
}

/// An entry's sort position: kind and the first 15 key bytes, big-endian, so that most
/// comparisons need no look into the arena.
type SortKey = (u64, u64, u32);

/// Entries in output order (kind, then key bytes): each sort key's third field is an
/// entry number.
fn sorted_order(mem: &Memory) -> Vec<SortKey> {
    let mut keys: Vec<SortKey> = crate::alloc::huge_pages(|| Vec::with_capacity(mem.entries.len()));
    keys.extend(mem.entries.iter().enumerate().map(|(i, e)| {
        let mut prefix = [0u8; 16];
        prefix[0] = e.kind;
        let key = mem.key(e);
        let n = key.len().min(15);
        prefix[1..=n].copy_from_slice(&key[..n]);
        let hi = u64::from_be_bytes(prefix[..8].try_into().unwrap_or_default());
        let lo = u64::from_be_bytes(prefix[8..].try_into().unwrap_or_default());
        (hi, lo, i as u32)
    }));
    // By the prefix alone first (no look into the arena), then each run of equal prefixes
    // (paths under one folder, ports of one address) by the next bytes of the key, and so
    // on (see `sort_runs`): the keys of a run are read once per level, where comparing
    // whole keys during the sort would read them again and again from all over the arena.
    keys.sort_unstable_by_key(|k| (u128::from(k.0) << 64) | u128::from(k.1));
    sort_runs(mem, &mut keys, 15);
    // the sort keys are the order (their third field): a vector of entry numbers would be
    // a copy in fresh memory, and fresh pages are what costs most here
    keys
}

/// Sorts each run of `keys` with equal sort keys by the key bytes from `at` on: by the
/// next 15 bytes and their count (a shorter key, the prefix of a longer one, comes first),
/// then the runs still equal by the bytes after those, and so on. Two keys whose chunks are
/// equal to their ends can only differ in the first prefix's zero padding (`a` and `a\0`):
/// those are compared whole. Keys are unique, so this gives the one order by (kind, key).
/// The levels are a work list, not recursion: keys that share a long prefix (a folder
/// repeated thousands of times) need as many levels as 15-byte chunks.
fn sort_runs(mem: &Memory, keys: &mut [SortKey], at: usize) {
    let key_of = |k: &SortKey| {
        mem.entries
            .get(k.2 as usize)
            .map_or(&[][..], |e| mem.key(e))
    };
    // (first key, end, byte of the keys the range is sorted by next)
    let mut work: Vec<(usize, usize, usize)> = vec![(0, keys.len(), at)];
    while let Some((first, end, at)) = work.pop() {
        let level = &mut keys[first..end];
        let mut start = 0;
        while start < level.len() {
            let head = (level[start].0, level[start].1);
            let run = level[start..]
                .iter()
                .position(|k| (k.0, k.1) != head)
                .unwrap_or(level.len() - start);
            if run > 1 {
                let slice = &mut level[start..start + run];
                if at > 15 && head.1 & 0xff < 15 {
                    slice.sort_unstable_by(|a, b| key_of(a).cmp(key_of(b)));
                } else {
                    for k in slice.iter_mut() {
                        let rest = key_of(k).get(at..).unwrap_or_default();
                        let n = rest.len().min(15);
                        let mut chunk = [0u8; 16];
                        chunk[..n].copy_from_slice(&rest[..n]);
                        chunk[15] = n as u8;
                        k.0 = u64::from_be_bytes(chunk[..8].try_into().unwrap_or_default());
                        k.1 = u64::from_be_bytes(chunk[8..].try_into().unwrap_or_default());
                    }
                    slice.sort_unstable_by_key(|k| (u128::from(k.0) << 64) | u128::from(k.1));
                    work.push((first + start, first + start + run, at + 15));
                }
            }
            start += run;
        }
    }
}

fn encoding_from(byte: u8) -> Encoding {
    if byte == Encoding::Utf16le as u8 {
        Encoding::Utf16le
    } else {
        Encoding::Ascii
    }
}

/// A sighting read from memory or a record, borrowing its text.
struct RawSight<'a> {
    offset: Option<u64>,
    line: Option<u64>,
    source: u32,
    encoding: u8,
    field: Option<&'a [u8]>,
    context: &'a [u8],
}

/// The sightings of one entry, in order.
struct SightIter<'m> {
    mem: &'m Memory,
    next: u32,
}

impl<'m> Iterator for SightIter<'m> {
    type Item = RawSight<'m>;

    fn next(&mut self) -> Option<RawSight<'m>> {
        let s = self.mem.sights.get(self.next as usize)?;
        self.next = s.next;
        let field_len = if s.field_len == NONE_U32 {
            0
        } else {
            s.field_len as usize
        };
        let inline = s.context_len == CUT_INLINE;
        let arena_len = field_len + if inline { 0 } else { s.context_len as usize };
        let text = if arena_len == 0 {
            &[][..]
        } else {
            self.mem.arena.get(s.text_addr(), arena_len)
        };
        Some(RawSight {
            offset: (s.offset != NONE_U64).then_some(s.offset),
            line: s.line(),
            source: s.source,
            encoding: s.encoding(),
            field: (s.field_len != NONE_U32).then(|| &text[..field_len]),
            context: if inline { s.cut() } else { &text[field_len..] },
        })
    }
}

/// One indicator as it is written to and read from a run: owned, reusable buffers.
/// The stream hands records on boxed, so that passing one from cursor to group to the
/// spares moves a pointer, not the record.
#[derive(Debug, Default, Clone)]
struct Record {
    kind: u8,
    defanged: bool,
    notes: u16,
    count: u64,
    key: Vec<u8>,
    /// The first-seen spelling when it differs from the key, else empty.
    display: Vec<u8>,
    sights: Vec<RecordSight>,
    /// Field paths and contexts of the sightings.
    text: Vec<u8>,
}

#[derive(Debug, Clone, Copy)]
struct RecordSight {
    offset: Option<u64>,
    line: Option<u64>,
    source: u32,
    encoding: u8,
    field: Option<(usize, usize)>,
    context: (usize, usize),
}

impl Record {
    fn load(&mut self, mem: &Memory, e: &Entry) {
        self.kind = e.kind;
        self.defanged = e.defanged;
        self.notes = e.notes;
        self.count = e.count;
        self.key.clear();
        self.key.extend_from_slice(mem.key(e));
        self.display.clear();
        if e.display_len > 0 {
            self.display.extend_from_slice(mem.display(e));
        }
        self.sights.clear();
        self.text.clear();
        for s in (SightIter { mem, next: e.first }) {
            self.push_sight(&s);
        }
    }

    fn push_sight(&mut self, s: &RawSight<'_>) {
        let field = s.field.map(|f| {
            let a = self.text.len();
            self.text.extend_from_slice(f);
            (a, self.text.len())
        });
        let a = self.text.len();
        self.text.extend_from_slice(s.context);
        self.sights.push(RecordSight {
            offset: s.offset,
            line: s.line,
            source: s.source,
            encoding: s.encoding,
            field,
            context: (a, self.text.len()),
        });
    }

    fn write(&self, w: &mut impl Write) -> io::Result<()> {
        let [n0, n1] = self.notes.to_le_bytes();
        w.write_all(&[self.kind, u8::from(self.defanged), n0, n1])?;
        put_varint(w, self.count)?;
        put_bytes(w, &self.key)?;
        put_bytes(w, &self.display)?;
        put_varint(w, self.sights.len() as u64)?;
        for s in &self.sights {
            put_varint(w, s.offset.map_or(0, |o| o + 1))?;
            put_varint(w, s.line.unwrap_or(0))?;
            put_varint(w, u64::from(s.source))?;
            w.write_all(&[s.encoding])?;
            match s.field {
                Some((a, b)) => {
                    put_varint(w, (b - a) as u64 + 1)?;
                    w.write_all(&self.text[a..b])?;
                }
                None => put_varint(w, 0)?,
            }
            put_bytes(w, &self.text[s.context.0..s.context.1])?;
        }
        Ok(())
    }

    /// Reads the next record; `Ok(false)` at the end of the run.
    fn read(&mut self, r: &mut impl Read) -> io::Result<bool> {
        let mut head = [0u8; 4];
        match r.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
        self.kind = head[0];
        self.defanged = head[1] != 0;
        self.notes = u16::from_le_bytes([head[2], head[3]]);
        self.count = get_varint(r)?;
        get_bytes(r, &mut self.key)?;
        get_bytes(r, &mut self.display)?;
        let n = get_varint(r)?;
        self.sights.clear();
        self.text.clear();
        for _ in 0..n {
            let offset = get_varint(r)?;
            let line = get_varint(r)?;
            let source = u32::try_from(get_varint(r)?).unwrap_or(0);
            let mut enc = [0u8; 1];
            r.read_exact(&mut enc)?;
            let field_len = get_varint(r)?;
            let field = if field_len == 0 {
                None
            } else {
                let a = self.text.len();
                read_append(r, &mut self.text, field_len - 1)?;
                Some((a, self.text.len()))
            };
            let context_len = get_varint(r)?;
            let a = self.text.len();
            read_append(r, &mut self.text, context_len)?;
            self.sights.push(RecordSight {
                offset: offset.checked_sub(1),
                line: (line != 0).then_some(line),
                source,
                encoding: enc[0],
                field,
                context: (a, self.text.len()),
            });
        }
        Ok(true)
    }

    /// Adds a later record of the same indicator: counts, flags, and its sightings up to
    /// the cap.
    fn absorb(&mut self, later: &Record, max: usize) {
        self.count += later.count;
        self.defanged |= later.defanged;
        self.notes |= later.notes;
        for s in &later.sights {
            if max != 0 && self.sights.len() >= max {
                break;
            }
            self.push_sight(&RawSight {
                offset: s.offset,
                line: s.line,
                source: s.source,
                encoding: s.encoding,
                field: s.field.map(|(a, b)| &later.text[a..b]),
                context: &later.text[s.context.0..s.context.1],
            });
        }
    }
}

fn put_varint(w: &mut impl Write, mut v: u64) -> io::Result<()> {
    let mut buf = [0u8; 10];
    let mut n = 0;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf[n] = byte;
            n += 1;
            break;
        }
        buf[n] = byte | 0x80;
        n += 1;
    }
    w.write_all(&buf[..n])
}

fn get_varint(r: &mut impl Read) -> io::Result<u64> {
    let mut v = 0u64;
    for shift in (0..70).step_by(7) {
        let mut b = [0u8; 1];
        r.read_exact(&mut b)?;
        v |= u64::from(b[0] & 0x7f) << shift.min(63);
        if b[0] & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "bad number in a spilled run",
    ))
}

fn put_bytes(w: &mut impl Write, b: &[u8]) -> io::Result<()> {
    put_varint(w, b.len() as u64)?;
    w.write_all(b)
}

fn get_bytes(r: &mut impl Read, out: &mut Vec<u8>) -> io::Result<()> {
    let n = get_varint(r)?;
    out.clear();
    read_append(r, out, n)
}

fn read_append(r: &mut impl Read, out: &mut Vec<u8>, n: u64) -> io::Result<()> {
    let got = Read::take(&mut *r, n).read_to_end(out)?;
    if (got as u64) < n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "a spilled run ends early",
        ));
    }
    Ok(())
}

/// One source of sorted records: a spilled run, or what was left in memory.
enum Cursor {
    File {
        reader: BufReader<std::fs::File>,
        _run: tempfile::NamedTempFile,
    },
    Memory {
        mem: Memory,
        /// Sort keys in output order; the third field is the entry number.
        order: Vec<SortKey>,
        at: usize,
        /// The source files snippets are cut from (only to fetch their bytes early).
        files: Vec<Option<Arc<SourceFile>>>,
    },
}

impl Cursor {
    fn next_into(&mut self, rec: &mut Record) -> io::Result<bool> {
        match self {
            Cursor::File { reader, .. } => rec.read(reader),
            Cursor::Memory {
                mem,
                order,
                at,
                files,
            } => match order.get(*at) {
                Some(&(_, _, i)) => {
                    fetch_ahead(mem, order, *at, files);
                    *at += 1;
                    rec.load(mem, &mem.entries[i as usize]);
                    Ok(true)
                }
                None => {
                    *mem = Memory::default();
                    Ok(false)
                }
            },
        }
    }
}

/// How many entries ahead of the one being read [`fetch_ahead`] starts fetching.
const AHEAD: usize = 16;

/// Asks the processor to fetch what the entries a few places ahead in `order` will read:
/// the entry itself `AHEAD` places ahead, its key and first sighting half-way, the first
/// sighting's text or the source bytes of its snippet a quarter of the way. The entries
/// are read in sorted order, which is no order in memory: without this, each indicator
/// waits for four to six cache misses one after the other.
fn fetch_ahead(mem: &Memory, order: &[SortKey], at: usize, files: &[Option<Arc<SourceFile>>]) {
    let entry = |k: usize| {
        order
            .get(at + k)
            .and_then(|&(_, _, i)| mem.entries.get(i as usize))
    };
    if let Some(e) = entry(AHEAD) {
        crate::primitives::prefetch(std::ptr::from_ref(e).cast(), std::mem::size_of::<Entry>());
    }
    if let Some(e) = entry(AHEAD / 2) {
        if let Some(key) = mem
            .arena
            .bytes_at(e.addr, e.key_len as usize + e.display_len as usize)
        {
            crate::primitives::prefetch(key.as_ptr(), key.len());
        }
        if let Some(s) = mem.sights.get(e.first as usize) {
            crate::primitives::prefetch(std::ptr::from_ref(s).cast(), std::mem::size_of::<Sight>());
        }
    }
    let Some(s) = entry(AHEAD / 4).and_then(|e| mem.sights.get(e.first as usize)) else {
        return;
    };
    if s.context_len == CUT_INLINE {
        let [_, back, a, b, c, d, ..] = s.text;
        if let (Some(Some(file)), Some(start)) = (
            files.get(s.source as usize),
            (s.offset != NONE_U64)
                .then_some(s.offset)
                .and_then(|o| o.checked_sub(u64::from(back))),
        ) {
            file.prefetch(start, u32::from_le_bytes([a, b, c, d]));
        }
    } else {
        let field_len = if s.field_len == NONE_U32 {
            0
        } else {
            s.field_len as usize
        };
        if let Some(text) = mem
            .arena
            .bytes_at(s.text_addr(), field_len + s.context_len as usize)
        {
            crate::primitives::prefetch(text.as_ptr(), text.len());
        }
    }
}

/// The k-way merge of sorted cursors into whole records (runs are in write order, so
/// earlier sightings come first).
struct RecordStream {
    /// Spilled runs among the cursors.
    runs: usize,
    cursors: Vec<Cursor>,
    /// The current record of each cursor (`None` once it is exhausted).
    heads: Vec<Option<Box<Record>>>,
    /// Records given back for reuse (fresh buffers for each record would fault in new
    /// pages at every step of the merge); boxed, as everywhere they are handed on.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<Record>>,
    sources: Vec<Arc<str>>,
    files: Vec<Option<Arc<SourceFile>>>,
    max_sightings: usize,
    error: Option<String>,
    _dir: Option<SpillDir>,
}

/// The folder of spilled runs, removed when dropped (and on an interrupt while it lives).
#[derive(Debug)]
struct SpillDir {
    dir: tempfile::TempDir,
    _guard: crate::cleanup::Registered,
}

impl RecordStream {
    fn prime(&mut self) {
        self.heads.clear();
        for i in 0..self.cursors.len() {
            let mut rec = Box::<Record>::default();
            let head = match self.cursors[i].next_into(&mut rec) {
                Ok(true) => Some(rec),
                Ok(false) => None,
                Err(e) => {
                    self.error
                        .get_or_insert(format!("cannot read back a spilled run: {e}"));
                    None
                }
            };
            self.heads.push(head);
        }
    }

    fn advance(&mut self, i: usize, rec: &mut Record) -> bool {
        match self.cursors[i].next_into(rec) {
            Ok(more) => more,
            Err(e) => {
                self.error
                    .get_or_insert(format!("cannot read back a spilled run: {e}"));
                false
            }
        }
    }

    /// The next indicator, merged across cursors.
    fn next_record(&mut self) -> Option<Box<Record>> {
        if self.heads.len() == 1 {
            // one cursor (nothing spilled): its records in order, nothing to merge
            let out = self.heads[0].take()?;
            let mut next = self.spare.pop().unwrap_or_default();
            if self.advance(0, &mut next) {
                self.heads[0] = Some(next);
            } else {
                self.spare.push(next);
            }
            return Some(out);
        }
        // the smallest key among the heads; ties go to the earliest cursor
        let mut best: Option<usize> = None;
        for (i, h) in self.heads.iter().enumerate() {
            if let Some(h) = h {
                let better = match best.and_then(|b| self.heads[b].as_ref()) {
                    None => true,
                    Some(b) => (h.kind, &h.key) < (b.kind, &b.key),
                };
                if better {
                    best = Some(i);
                }
            }
        }
        let first = best?;
        let mut out = self.heads[first].take()?;
        let mut next = self.spare.pop().unwrap_or_default();
        if self.advance(first, &mut next) {
            self.heads[first] = Some(next);
        } else {
            self.spare.push(next);
        }
        for i in first + 1..self.heads.len() {
            let same = self.heads[i]
                .as_ref()
                .is_some_and(|h| h.kind == out.kind && h.key == out.key);
            if same {
                if let Some(h) = self.heads[i].take() {
                    out.absorb(&h, self.max_sightings);
                    let mut next = h;
                    if self.advance(i, &mut next) {
                        self.heads[i] = Some(next);
                    } else {
                        self.spare.push(next);
                    }
                }
            }
        }
        Some(out)
    }
}

/// Indicators in output order, merged from memory and spilled runs (see
/// [`IocSet::into_stream`]).
pub struct SortedIocs {
    records: RecordStream,
    allowlist: Option<(super::allowlist::Allowlist, bool)>,
    public_only: bool,
    /// The records of the indicator being read: one, or an address and its ports (boxed:
    /// each is moved in from the stream and back to its spares).
    #[allow(clippy::vec_box)]
    group: Vec<Box<Record>>,
    /// The record read past the end of the group, if any.
    ahead: Option<Box<Record>>,
    hook: Option<IocHook>,
    /// The indicator handed out by [`SortedIocs::next_ref`], its buffers reused.
    ioc: Ioc,
    /// Sightings whose buffers are reused.
    pool: Vec<Sighting>,
    /// (record, sighting) of the sightings of a group, in input order.
    order: Vec<(u32, u32)>,
    /// Each record on its own, an address's port in its value ([`IocSet::into_raw_stream`]).
    raw: bool,
}

/// A function applied to each indicator as it leaves [`SortedIocs`] (the CLI's `--intel`
/// marks indicators with it).
pub type IocHook = Box<dyn Fn(&mut Ioc) + Send + Sync>;

impl SortedIocs {
    /// Applies `hook` to every indicator that follows.
    pub fn set_hook(&mut self, hook: IocHook) {
        self.hook = Some(hook);
    }

    /// The names of the sources sightings refer to, in the order they were first seen.
    pub fn source_names(&self) -> &[Arc<str>] {
        &self.records.sources
    }

    /// The next indicator, with its scope filled in and the allowlist applied.
    pub fn next_ioc(&mut self) -> Option<Ioc> {
        self.next_ref().cloned()
    }

    fn next_record(&mut self) -> Option<Box<Record>> {
        self.ahead.take().or_else(|| self.records.next_record())
    }

    fn recycle(&mut self, rec: Box<Record>) {
        if self.records.spare.len() < 8 {
            self.records.spare.push(rec);
        }
    }

    /// Reads the next group: one record, or an address with the records of its ports.
    fn next_group(&mut self) -> bool {
        while let Some(rec) = self.group.pop() {
            self.recycle(rec);
        }
        let Some(first) = self.next_record() else {
            return false;
        };
        let kind = first.kind;
        let network = kind == IocKind::Ipv4 as u8 || kind == IocKind::Ipv6 as u8;
        self.group.push(first);
        if !network || self.raw {
            return true;
        }
        while let Some(next) = self.next_record() {
            let (addr, _) = key_port(kind, &self.group[0].key);
            let same = next.kind == kind && {
                let (other, _) = key_port(kind, &next.key);
                other == addr
            };
            if same {
                self.group.push(next);
            } else {
                self.ahead = Some(next);
                break;
            }
        }
        true
    }

    /// The next indicator, as [`SortedIocs::next_ioc`], lent: its buffers are reused for
    /// the one after (no allocation per indicator once they have grown).
    pub fn next_ref(&mut self) -> Option<&Ioc> {
        loop {
            if !self.next_group() {
                return None;
            }
            if self.fill_ioc() {
                return Some(&self.ioc);
            }
        }
    }

    /// Makes the group just read the indicator in `self.ioc`, filled in place (its buffers
    /// reused, nothing moved); false when it is left out (allowlisted, not public when
    /// only public ones are wanted, or of no known kind).
    fn fill_ioc(&mut self) -> bool {
        let SortedIocs {
            records,
            allowlist,
            public_only,
            group,
            hook,
            ioc,
            pool,
            order,
            raw,
            ..
        } = self;
        let Some(head) = group.first() else {
            return false;
        };
        let Some(kind) = IocKind::ALL.get(head.kind as usize).copied() else {
            return false;
        };
        let (addr, port) = key_port(head.kind, &head.key);
        let shown: &[u8] = if port.is_some() || group.len() > 1 {
            addr
        } else if head.display.is_empty() {
            &head.key
        } else {
            &head.display
        };
        ioc.value.clear();
        crate::primitives::push_text(&mut ioc.value, shown);
        let raw_port = if *raw { port } else { None };
        let (mut count, mut defanged, mut notes) = (0u64, false, 0u16);
        ioc.ports.clear();
        for rec in group.iter() {
            count += rec.count;
            defanged |= rec.defanged;
            notes |= rec.notes;
            if let (_, Some(p)) = key_port(rec.kind, &rec.key) {
                ioc.ports.push(p);
            }
        }
        let mut flags = Flags {
            defanged,
            notes: Notes::from_bits(notes) | super::value_notes(kind, &ioc.value),
            ..Flags::default()
        };
        if let Some((list, keep_listed)) = allowlist {
            match list.verdict(kind, &ioc.value, defanged) {
                Verdict::Listed if !*keep_listed => return false,
                Verdict::Listed => flags.allowlisted = true,
                Verdict::KeptOnListedHost => flags.notes.insert(Notes::ALLOWLISTED_HOST),
                Verdict::NotListed => {}
            }
        }
        flags.scope = scope_of(kind, &ioc.value);
        if *public_only && !matches!(flags.scope, None | Some(Scope::Public)) {
            return false;
        }
        ioc.kind = kind;
        ioc.flags = flags;
        ioc.count = count;
        ioc.intel.clear();
        fill_sightings(ioc, pool, order, group, records);
        if raw_port.is_some() {
            ioc.value = super::join_port(kind, &ioc.value, raw_port).into_owned();
            ioc.ports.clear();
            for s in &mut ioc.sightings {
                s.port = None;
            }
        }
        if let Some(hook) = hook {
            hook(ioc);
        }
        true
    }

    /// How many spilled runs are merged (0: everything fitted in memory).
    pub fn spilled_runs(&self) -> usize {
        self.records.runs
    }

    /// Why reading back a spilled run failed, if it did (the indicators after the failure
    /// in that run are missing).
    pub fn error(&self) -> Option<&str> {
        self.records.error.as_deref()
    }
}

/// The sightings of `group` into `ioc`, in input order, up to the cap (`pool` holds
/// sightings whose buffers are reused, `order` is scratch).
fn fill_sightings(
    ioc: &mut Ioc,
    pool: &mut Vec<Sighting>,
    order: &mut Vec<(u32, u32)>,
    group: &[Box<Record>],
    records: &RecordStream,
) {
    pool.append(&mut ioc.sightings);
    order.clear();
    for (r, rec) in group.iter().enumerate() {
        for i in 0..rec.sights.len() {
            order.push((r as u32, i as u32));
        }
    }
    if group.len() > 1 {
        // each record's sightings are its first ones in input order: merged by source
        // (numbered in input order), then place
        let place = |&(r, i): &(u32, u32)| {
            let s = &group[r as usize].sights[i as usize];
            (s.source, s.offset.unwrap_or(0), s.line.unwrap_or(0))
        };
        order.sort_by_key(place);
        let max = records.max_sightings;
        if max != 0 {
            order.truncate(max);
        }
    }
    let (sources, files) = (&records.sources, &records.files);
    for &(r, i) in order.iter() {
        let rec = &group[r as usize];
        let s = &rec.sights[i as usize];
        let mut out = pool.pop().unwrap_or_else(empty_sighting);
        match sources.get(s.source as usize) {
            Some(name) => {
                if !Arc::ptr_eq(&out.source, name) {
                    out.source = name.clone();
                }
            }
            None => out.source = Arc::from(""),
        }
        out.offset = s.offset;
        out.line = s.line;
        out.field = s.field.map(|(a, b)| {
            let mut f = out.field.take().unwrap_or_default();
            f.clear();
            f.push_str(&String::from_utf8_lossy(&rec.text[a..b]));
            f
        });
        out.port = key_port(rec.kind, &rec.key).1;
        out.encoding = encoding_from(s.encoding);
        out.context.clear();
        context_into(
            &rec.text[s.context.0..s.context.1],
            files.get(s.source as usize).and_then(Option::as_ref),
            s.offset,
            &mut out.context,
        );
        ioc.sightings.push(out);
    }
}

fn empty_ioc() -> Ioc {
    Ioc {
        kind: IocKind::Md5,
        value: String::new(),
        flags: Flags::default(),
        count: 0,
        ports: Vec::new(),
        sightings: Vec::new(),
        intel: Vec::new(),
    }
}

fn empty_sighting() -> Sighting {
    Sighting::unlocated(Arc::from(""))
}

/// Appends a stored context as text: the text itself, or the snippet cut from the source
/// file.
fn context_into(
    stored: &[u8],
    file: Option<&Arc<SourceFile>>,
    offset: Option<u64>,
    out: &mut String,
) {
    match stored {
        [CUT_TAG, back, a, b, c, d] => {
            if let (Some(file), Some(start)) =
                (file, offset.and_then(|o| o.checked_sub(u64::from(*back))))
            {
                file.cut_into(start, u32::from_le_bytes([*a, *b, *c, *d]), out);
            }
        }
        _ => match std::str::from_utf8(stored) {
            Ok(t) => out.push_str(t),
            Err(_) => out.push_str(&String::from_utf8_lossy(stored)),
        },
    }
}

impl Iterator for SortedIocs {
    type Item = Ioc;

    fn next(&mut self) -> Option<Ioc> {
        self.next_ioc()
    }
}

impl std::fmt::Debug for SortedIocs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SortedIocs").finish_non_exhaustive()
    }
}

/// The comparison key of a case-insensitive value (ASCII fast path; full Unicode
/// lower-casing only when the value has non-ASCII characters).
pub fn fold_case(value: &str) -> String {
    if value.is_ascii() {
        value.to_ascii_lowercase()
    } else {
        value.to_lowercase()
    }
}

/// The scope of a network indicator from its normalised value.
pub fn scope_of(kind: IocKind, value: &str) -> Option<Scope> {
    match kind {
        IocKind::Ipv4 => {
            let b = value.as_bytes();
            let end = memchr::memchr2(b':', b'/', b).unwrap_or(b.len());
            super::parse_ipv4(&b[..end]).map(validate::ipv4_scope)
        }
        IocKind::Ipv6 => {
            let addr = if let Some(rest) = value.strip_prefix('[') {
                rest.split(']').next().unwrap_or("")
            } else {
                value.split('/').next().unwrap_or("")
            };
            addr.parse::<Ipv6Addr>().ok().map(validate::ipv6_scope)
        }
        IocKind::Domain => Some(validate::domain_scope(value)),
        IocKind::Email => Some(validate::domain_scope(
            value.rsplit('@').next().unwrap_or(""),
        )),
        IocKind::Url => {
            let host = super::allowlist::url_host(value);
            // `[2001:db8::1]:443` (the host as `url_host` gives it, with the port): the
            // address inside the brackets
            let host = match host.strip_prefix('[') {
                Some(rest) => rest.split(']').next().unwrap_or(""),
                None => host,
            };
            // an IPv4 address starts with a digit, an IPv6 one has a colon: a name is
            // not parsed twice for nothing
            let v4 = host.starts_with(|c: char| c.is_ascii_digit());
            if let Some(ip) = v4.then(|| super::parse_ipv4(host.as_bytes())).flatten() {
                Some(validate::ipv4_scope(ip))
            } else if let Some(ip) = host
                .contains(':')
                .then(|| host.parse::<Ipv6Addr>().ok())
                .flatten()
            {
                Some(validate::ipv6_scope(ip))
            } else {
                Some(validate::domain_scope(host))
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// The key as `set_key` made it before its fast path: `split_port` asked of every
    /// value, the port formatted by `write!`.
    fn set_key_by_parsing(kind: IocKind, value: &str) -> String {
        if kind.case_insensitive() {
            return fold_case(value);
        }
        match split_port_by_std(kind, value) {
            Some((addr, port)) => format!("{addr}{}{port:05}", char::from(PORT_SEP)),
            None => value.to_string(),
        }
    }

    /// [`super::super::split_port`] as first written, addresses checked by the standard
    /// parsers.
    fn split_port_by_std(kind: IocKind, value: &str) -> Option<(&str, u16)> {
        let (addr, port) = match kind {
            IocKind::Ipv4 => {
                let (addr, port) = value.rsplit_once(':')?;
                addr.parse::<Ipv4Addr>().ok()?;
                (addr, port)
            }
            IocKind::Ipv6 => {
                let (addr, port) = value.strip_prefix('[')?.rsplit_once("]:")?;
                addr.parse::<Ipv6Addr>().ok()?;
                (addr, port)
            }
            _ => return None,
        };
        if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((addr, port.parse::<u16>().ok()?))
    }

    /// `split_port`, which reads the port in one pass, gives what its first form gave, on
    /// addresses with ports of every length (leading zeros, signs, overflow, letters) and
    /// on other kinds.
    #[test]
    fn split_port_equals_the_form_parsing_the_port_with_the_standard_parser() {
        let mut next = crate::primitives::xorshift(0x2545_f491_4f6c_dd1du64);
        let addrs = [
            (IocKind::Ipv4, "192.0.2.10"),
            (IocKind::Ipv4, "198.51.100.7"),
            (IocKind::Ipv4, "203.0.113.001"),
            (IocKind::Ipv4, "example.com"),
            (IocKind::Ipv6, "[2001:db8::1]"),
            (IocKind::Ipv6, "[::ffff:192.0.2.1]"),
            (IocKind::Ipv6, "2001:db8::1"),
            (IocKind::Ipv6, "[2001:db8::g]"),
            (IocKind::Domain, "example.com"),
            (IocKind::Url, "http://example.com"),
        ];
        let alphabet = b"0123456789+-a: ";
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..200_000 {
            let (kind, addr) = addrs[(next() % addrs.len() as u64) as usize];
            let port: String = match next() % 3 {
                // digits only, up to seven (past u16, with leading zeros)
                0 => (0..next() % 8)
                    .map(|_| char::from(b'0' + (next() % 10) as u8))
                    .collect(),
                1 => (next() % 70_000).to_string(),
                _ => (0..next() % 7)
                    .map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize]))
                    .collect(),
            };
            let sep = if next().is_multiple_of(8) { "" } else { ":" };
            let value = format!("{addr}{sep}{port}");
            let ours = crate::ioc::split_port(kind, &value);
            assert_eq!(ours, split_port_by_std(kind, &value), "{kind:?} {value}");
            accepted += usize::from(ours.is_some());
            refused += usize::from(ours.is_none());
        }
        assert!(
            accepted > 10_000 && refused > 10_000,
            "{accepted} {refused}"
        );
    }

    #[test]
    fn set_key_equals_the_key_made_by_parsing_every_value() {
        let values = [
            "192.0.2.10",
            "192.0.2.10:8080",
            "192.0.2.10:80",
            "192.0.2.10:0",
            "192.0.2.10:65535",
            "192.0.2.10:65536",
            "192.0.2.10:",
            "192.0.2.10:8o",
            "010.020.030.040:80",
            "01.2.3.4:80",
            "000.000.000.000:80",
            "0.0.0.0:1",
            "1.2.3.04:80",
            "256.1.1.1:80",
            "1.2.3:80",
            "1.2.3.4.5:80",
            "1.2.3.4:80:90",
            "1.2.3.4::80",
            "1.2.3.4:0080",
            "1.2.3.4:99999",
            " 1.2.3.4:80",
            "192.0.2.10:+80",
            "192.0.2.300:80",
            "192.0.2.10/24",
            ":80",
            "2001:db8::1",
            "[2001:db8::1]:443",
            "[2001:db8::1]:7",
            "[2001:db8::1]",
            "[2001:db8::1]:",
            "[2001:db8::zz]:443",
            "[192.0.2.1]:443",
            "2001:db8::1:443",
            "c2.example.net",
            "c2.example.net:443",
            "http://c2.example.net:443/a",
            r"C:\Users\Public\A.EXE",
            r"HKLM\Software\Run\Ä",
            "",
        ];
        for kind in IocKind::ALL {
            for value in values {
                let mut buf = String::new();
                assert_eq!(
                    set_key(kind, value, &mut buf),
                    set_key_by_parsing(kind, value),
                    "{kind:?} {value:?}"
                );
            }
        }
        for port in [1u16, 9, 10, 99, 100, 443, 999, 1000, 9999, 10000, 65535] {
            for value in [
                format!("198.51.100.7:{port}"),
                format!("[2001:db8::7]:{port}"),
            ] {
                for kind in [IocKind::Ipv4, IocKind::Ipv6] {
                    let mut buf = String::new();
                    assert_eq!(
                        set_key(kind, &value, &mut buf),
                        set_key_by_parsing(kind, &value),
                        "{kind:?} {value:?}"
                    );
                }
            }
        }
    }

    fn sighting(source: &Arc<str>, offset: u64, context: &str) -> Sighting {
        Sighting {
            source: source.clone(),
            offset: Some(offset),
            line: Some(offset / 10 + 1),
            field: offset.is_multiple_of(3).then(|| format!("f{offset}")),
            port: None,
            encoding: if offset.is_multiple_of(5) {
                Encoding::Utf16le
            } else {
                Encoding::Ascii
            },
            context: context.to_string(),
        }
    }

    /// Many indicators, some repeated across the input, some case variants.
    fn fill(set: &mut IocSet) {
        let a: Arc<str> = Arc::from("a.log");
        let b: Arc<str> = Arc::from("b.log");
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..6000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = if i.is_multiple_of(4) {
                x % 40
            } else {
                x % 100_000
            };
            let src = if i.is_multiple_of(2) { &a } else { &b };
            set.add(
                IocKind::Domain,
                format!("h{n}.example.com"),
                i.is_multiple_of(7),
                if i.is_multiple_of(11) {
                    Notes::SPACED
                } else {
                    Notes::NONE
                },
                sighting(src, i, &format!("ctx {i} h{n}.example.com")),
            );
            let path = if i.is_multiple_of(3) {
                format!("C:\\Users\\P{}\\x.exe", n % 50)
            } else {
                format!("c:\\users\\p{}\\X.exe", n % 50)
            };
            set.add(
                IocKind::FilePath,
                path,
                false,
                Notes::NONE,
                sighting(src, i, "p"),
            );
            // addresses with and without ports: one indicator per address
            let address = match n % 4 {
                0 => format!("192.0.2.{}", n % 9),
                1 => format!("192.0.2.{}:{}", n % 9, 8000 + n % 13),
                2 => format!("[2001:db8::{}]:{}", n % 5, 443 + n % 3),
                _ => format!("2001:db8::{}", n % 5),
            };
            let kind = if address.contains('.') {
                IocKind::Ipv4
            } else {
                IocKind::Ipv6
            };
            set.add(kind, address, false, Notes::NONE, sighting(src, i, "ip"));
        }
    }

    #[test]
    fn an_address_with_ports_is_one_indicator() {
        let mut set = IocSet::new(3);
        let src: Arc<str> = Arc::from("fw.log");
        let values = [
            "192.0.2.1:8080",
            "192.0.2.10",
            "192.0.2.1",
            "192.0.2.1:443",
            "192.0.2.1:8080",
            "192.0.2.1:53",
        ];
        for (i, v) in values.iter().enumerate() {
            let s = sighting(&src, 10 * i as u64 + 1, v);
            set.add(IocKind::Ipv4, v.to_string(), false, Notes::NONE, s);
        }
        let raw = set
            .clone()
            .into_raw_stream()
            .map(|i| i.value)
            .collect::<Vec<_>>();
        assert_eq!(
            raw,
            [
                "192.0.2.1",
                "192.0.2.1:53",
                "192.0.2.1:443",
                "192.0.2.1:8080",
                "192.0.2.10"
            ]
        );
        let iocs = set.into_sorted();
        let values: Vec<&str> = iocs.iter().map(|i| i.value.as_str()).collect();
        // `192.0.2.1` and its ports sort before `192.0.2.10`
        assert_eq!(values, ["192.0.2.1", "192.0.2.10"]);
        let one = &iocs[0];
        assert_eq!(one.count, 5);
        assert_eq!(one.ports, [53, 443, 8080]);
        // the first three sightings in input order, each with its port
        let seen: Vec<(Option<u64>, Option<u16>)> =
            one.sightings.iter().map(|s| (s.offset, s.port)).collect();
        assert_eq!(
            seen,
            [
                (Some(1), Some(8080)),
                (Some(21), None),
                (Some(31), Some(443))
            ]
        );
        assert_eq!(one.flags.scope, Some(Scope::Documentation));
        assert!(iocs[1].ports.is_empty());
    }

    #[test]
    fn sorted_by_kind_then_whole_key() {
        // long shared prefixes (paths in a few folders, ports of a few addresses) make
        // the sort compare whole keys
        let src: Arc<str> = Arc::from("a.log");
        let mut set = IocSet::new(1);
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for i in 0..3000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (kind, value) = match i % 3 {
                0 => (
                    IocKind::FilePath,
                    format!(
                        "C:\\Users\\user{}\\AppData\\Local\\Temp\\{:x}.exe",
                        x % 7,
                        x >> 44
                    ),
                ),
                1 => (IocKind::Domain, format!("{}.cdn.example.com", x % 500)),
                _ => (
                    IocKind::Ipv4,
                    format!("203.0.113.{}:{}", x % 4, 1 + x % 65535),
                ),
            };
            set.add(kind, value, false, Notes::NONE, sighting(&src, i, "c"));
        }
        // keys that are prefixes of one another, with NUL bytes at the ends of the
        // 15-byte chunks the sort compares
        let stem = "http://a.example.com/0123456789abcdefghijklmnopqrstuvwxyz";
        for n in 10..stem.len() {
            for tail in ["", "\0", "\0\0", "\0x", "x", "\u{1}"] {
                let value = format!("{}{tail}", &stem[..n]);
                set.add(
                    IocKind::Url,
                    value,
                    false,
                    Notes::NONE,
                    sighting(&src, 1, "c"),
                );
            }
        }
        let got: Vec<Ioc> = set.into_sorted();
        let urls: Vec<&[u8]> = got
            .iter()
            .filter(|i| i.kind == IocKind::Url)
            .map(|i| i.value.as_bytes())
            .collect();
        assert!(urls.len() > 200);
        assert!(urls.windows(2).all(|w| w[0] < w[1]), "URLs out of order");
        assert!(got.len() > 1000);
        for pair in got.windows(2) {
            let a = (pair[0].kind as u8, pair[0].value.to_lowercase());
            let b = (pair[1].kind as u8, pair[1].value.to_lowercase());
            assert!(a < b, "{a:?} before {b:?}");
        }
        for ioc in got.iter().filter(|i| i.kind == IocKind::Ipv4) {
            assert!(ioc.ports.windows(2).all(|p| p[0] < p[1]), "{:?}", ioc.ports);
        }
    }

    #[test]
    fn the_scope_of_a_url_is_its_host_s() {
        let cases = [
            ("http://192.0.2.1/a", Scope::Documentation),
            ("http://10.1.2.3:8080/a", Scope::Private),
            ("http://user@127.0.0.1/", Scope::Loopback),
            ("https://[2001:db8::1]:443/x", Scope::Documentation),
            ("https://[fe80::1]/", Scope::LinkLocal),
            ("http://1.example.org/x", Scope::Documentation),
            ("http://198.51.100.7.example.net/", Scope::Documentation),
            ("http://files.example.com:81/a?b", Scope::Documentation),
            ("http://localhost/", Scope::Loopback),
            ("http://www.wikipedia.org/", Scope::Public),
        ];
        for (url, scope) in cases {
            assert_eq!(scope_of(IocKind::Url, url), Some(scope), "{url}");
        }
    }

    #[test]
    fn a_cut_place_fits_in_the_sighting() {
        // the cut place goes where the arena address would
        assert_eq!(std::mem::size_of::<Sight>(), 40);
    }

    /// What a sighting is read back as: its line, encoding, field and context (text, a cut
    /// place kept inline, or one kept in the arena beside a field) as they were given.
    #[test]
    fn sightings_read_back_as_given() {
        let mut set = IocSet::new(0);
        let source = set.source(&Arc::from("log"));
        let seen = |line: Option<u64>, field: Option<&'static str>, encoding| Seen {
            source,
            offset: Some(1234),
            line,
            field,
            encoding,
        };
        let value = "192.0.2.7";
        let kind = IocKind::Ipv4;
        let mark = Mark::default();
        let cut = Ctx::Cut(12, 70_000);
        let place = [CUT_TAG, 12, 0x70, 0x11, 0x01, 0x00];
        let raw_place = Ctx::Raw(&place);
        // line, field, encoding, context given, context read back
        type Case<'a> = (
            Option<u64>,
            Option<&'static str>,
            Encoding,
            Ctx<'a>,
            &'a [u8],
        );
        let cases: [Case<'_>; 7] = [
            (Some(7), None, Encoding::Ascii, cut, &place),
            (None, None, Encoding::Utf16le, cut, &place),
            (Some(9), Some("Event.Data"), Encoding::Ascii, cut, &place),
            (Some(3), Some(""), Encoding::Utf16le, raw_place, &place),
            (
                Some(u64::from(u32::MAX) + 5),
                Some("a.b"),
                Encoding::Utf16le,
                raw_place,
                &place,
            ),
            (
                Some(1),
                Some("x"),
                Encoding::Ascii,
                Ctx::Raw(b"GET /a"),
                b"GET /a",
            ),
            (None, None, Encoding::Ascii, Ctx::Raw(b""), b""),
        ];
        for (line, field, encoding, ctx, _) in cases {
            set.add_counted(
                kind,
                value,
                mark,
                1,
                Some(seen(line, field, encoding)),
                ctx,
                None,
            );
        }
        let mem = &set.mem;
        let e = &mem.entries[0];
        let read: Vec<_> = SightIter { mem, next: e.first }.collect();
        assert_eq!(read.len(), cases.len());
        for (s, (line, field, encoding, _, context)) in read.iter().zip(cases) {
            assert_eq!(s.line, line);
            assert_eq!(s.offset, Some(1234));
            assert_eq!(s.source, source);
            assert_eq!(s.encoding, encoding as u8);
            assert_eq!(s.field, field.map(str::as_bytes));
            assert_eq!(s.context, context);
        }
    }

    #[test]
    fn entries_and_sightings_past_one_page() {
        // more indicators and sightings than a page holds, and a spill in between
        let src: Arc<str> = Arc::from("a.log");
        let n = (PAGE as u64) * 2 + 100;
        let fill = |set: &mut IocSet| {
            for round in 0..2u64 {
                for i in 0..n {
                    let value = format!("h{i}.example.com");
                    set.add(
                        IocKind::Domain,
                        value,
                        false,
                        Notes::NONE,
                        sighting(&src, round * n + i, "c"),
                    );
                }
            }
        };
        let mut memory = IocSet::new(2);
        fill(&mut memory);
        assert_eq!(memory.len() as u64, n);
        let mut spilled = IocSet::with_budget(2, 1 << 20, None);
        fill(&mut spilled);
        assert!(spilled.spilled_runs() > 0);
        let (a, b) = (memory.into_sorted(), spilled.into_sorted());
        assert_eq!(a.len() as u64, n);
        assert!(a.iter().all(|i| i.count == 2 && i.sightings.len() == 2));
        assert!(a.windows(2).all(|w| w[0].value < w[1].value));
        assert_eq!(a, b);
    }

    #[test]
    fn spilled_equals_in_memory() {
        let mut whole = IocSet::new(3);
        fill(&mut whole);
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut small = IocSet::with_budget(3, 64 * 1024, Some(dir.path().to_path_buf()));
        fill(&mut small);
        assert!(small.spilled_runs() > 0, "the small budget makes it spill");
        let (a, b) = (whole.into_sorted(), small.into_sorted());
        assert!(a.len() > 1000);
        assert_eq!(a, b);
        let total: u64 = a.iter().map(|i| i.count).sum();
        assert_eq!(total, 18_000);
        assert!(a.iter().any(|i| i.ports.len() > 1));
        // temporary files are gone once the set is read
        assert_eq!(
            std::fs::read_dir(dir.path()).map(|d| d.count()).ok(),
            Some(0)
        );
    }

    #[test]
    fn many_runs_are_compacted() {
        let mut whole = IocSet::new(0);
        fill(&mut whole);
        let mut tiny = IocSet::with_budget(0, 16 * 1024, None);
        fill(&mut tiny);
        assert!(tiny.spilled_runs() <= MAX_RUNS);
        assert_eq!(whole.into_sorted(), tiny.into_sorted());
    }

    #[test]
    fn merge_keeps_order_and_counts() {
        let src: Arc<str> = Arc::from("s");
        let mut first = IocSet::new(2);
        first.add(
            IocKind::Ipv4,
            "192.0.2.1".into(),
            false,
            Notes::NONE,
            sighting(&src, 1, "one"),
        );
        let mut second = IocSet::with_budget(2, 1, None);
        for i in 2..6 {
            second.add(
                IocKind::Ipv4,
                "192.0.2.1".into(),
                i == 4,
                if i == 5 { Notes::SPACED } else { Notes::NONE },
                sighting(&src, i, "n"),
            );
            second.add(
                IocKind::Ipv4,
                format!("192.0.2.{i}"),
                false,
                Notes::NONE,
                sighting(&src, i, "m"),
            );
        }
        first.merge(second);
        let v = first.into_sorted();
        assert_eq!(v[0].value, "192.0.2.1");
        assert_eq!(v[0].count, 5);
        assert!(v[0].flags.defanged);
        assert!(
            v[0].flags.notes.contains(Notes::SPACED),
            "notes survive spills"
        );
        let offsets: Vec<_> = v[0].sightings.iter().map(|s| s.offset).collect();
        assert_eq!(offsets, vec![Some(1), Some(2)]);
        assert_eq!(v.len(), 5);
    }

    #[test]
    fn case_insensitive_keeps_first_spelling() {
        let src: Arc<str> = Arc::from("s");
        let mut set = IocSet::new(10);
        set.add(
            IocKind::RegistryKey,
            "HKLM\\Run".into(),
            false,
            Notes::NONE,
            sighting(&src, 1, "x"),
        );
        set.add(
            IocKind::RegistryKey,
            "hklm\\run".into(),
            false,
            Notes::NONE,
            sighting(&src, 2, "y"),
        );
        let v = set.into_sorted();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].value, "HKLM\\Run");
        assert_eq!(v[0].count, 2);
    }
}
