//! JSON and NDJSON output (schema `spoor.iocs/2`, documented in `docs/ioc-schema.md`).
//!
//! Both are written one indicator at a time, so an extraction read back from spilled runs
//! ([`crate::extract::SortedExtraction`]) is never held in memory whole. The document
//! names each source once, in its `sources` table, and its sightings refer to a source by
//! its index there; an NDJSON line stands alone and names its sources. The bytes are those
//! serde writes for the same structures (compact, or pretty-printed with each part indented
//! to its depth), written by hand into a buffer per indicator: no value is built first.

use super::{shown_value, OutputOptions};
use crate::extract::{Extraction, SourceReport};
use crate::input::InputError;
use crate::ioc::{Ioc, Sighting};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::borrow::Borrow;
use std::io::{self, Write};
use std::sync::Arc;

/// Name and version of the document schema.
pub const SCHEMA: &str = "spoor.iocs/2";

/// Bytes of indicators gathered before they are handed to the output in one write: as
/// large as the file buffer of [`crate::output::write_to`], so that the write goes past
/// that buffer instead of being copied into it.
const BATCH: usize = 256 * 1024;

#[derive(Serialize)]
struct ErrorEntry<'a> {
    code: crate::error::WarningCode,
    source: &'a str,
    message: &'a str,
}

/// An entry of the document's `sources` table: a source read (its report), or a name
/// sightings refer to that is not one of the sources read (no `bytes` or `hits`).
#[derive(Serialize)]
#[serde(untagged)]
enum SourceEntry<'a> {
    Read(&'a SourceReport),
    Named { name: &'a str },
}

/// Writes one pretty-printed JSON document.
pub fn write_document(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut names: Vec<Arc<str>> = Vec::new();
    let mut seen: FxHashMap<&str, ()> = FxHashMap::default();
    for s in extraction.iocs.iter().flat_map(|i| &i.sightings) {
        if seen.insert(&s.source, ()).is_none() {
            names.push(s.source.clone());
        }
    }
    write_document_iocs(
        &extraction.sources,
        &extraction.errors,
        &names,
        &extraction.iocs,
        options,
        out,
    )
}

/// Writes one pretty-printed JSON document from its parts, the indicators from any
/// sequence of them. `names` lists the sources the sightings name (those that are not
/// among `sources` get an entry of their own in the table).
pub fn write_document_iocs<I>(
    sources: &[SourceReport],
    errors: &[InputError],
    names: &[Arc<str>],
    iocs: I,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: Borrow<Ioc>,
{
    let mut doc = DocumentWriter::begin(sources, errors, names, options, out)?;
    for ioc in iocs {
        doc.ioc(ioc.borrow())?;
    }
    doc.finish()
}

/// A JSON document being written: [`DocumentWriter::begin`] writes the head (schema,
/// sources, errors), [`DocumentWriter::ioc`] each indicator, [`DocumentWriter::finish`] the
/// end.
pub struct DocumentWriter<'o> {
    out: &'o mut dyn Write,
    options: OutputOptions,
    table: Sources,
    buf: Vec<u8>,
    first: bool,
}

impl<'o> DocumentWriter<'o> {
    /// Writes the document's head; `names` as for [`write_document_iocs`].
    pub fn begin(
        sources: &[SourceReport],
        errors: &[InputError],
        names: &[Arc<str>],
        options: OutputOptions,
        out: &'o mut dyn Write,
    ) -> io::Result<Self> {
        let errors: Vec<ErrorEntry<'_>> = errors
            .iter()
            .map(|e| ErrorEntry {
                code: e.code,
                source: &e.source,
                message: &e.message,
            })
            .collect();
        let mut index: FxHashMap<Box<str>, u64> = FxHashMap::default();
        let mut entries: Vec<SourceEntry<'_>> = Vec::with_capacity(sources.len());
        for s in sources {
            let n = entries.len() as u64;
            index.entry(s.name.as_str().into()).or_insert(n);
            entries.push(SourceEntry::Read(s));
        }
        for name in names {
            if !index.contains_key(&**name) {
                index.insert((&**name).into(), entries.len() as u64);
                entries.push(SourceEntry::Named { name });
            }
        }
        let mut buf = Vec::with_capacity(4096);
        out.write_all(b"{\n  \"schema\": ")?;
        serde_json::to_writer(&mut *out, SCHEMA)?;
        out.write_all(b",\n  \"tool\": ")?;
        serde_json::to_writer(&mut *out, &format!("spoor {}", env!("CARGO_PKG_VERSION")))?;
        out.write_all(b",\n  \"sources\": ")?;
        write_indented(&mut buf, &entries, 2, out)?;
        out.write_all(b",\n  \"errors\": ")?;
        write_indented(&mut buf, &errors, 2, out)?;
        out.write_all(b",\n  \"iocs\": [")?;
        buf.clear();
        Ok(DocumentWriter {
            out,
            options,
            table: Sources::indexed(index),
            buf,
            first: true,
        })
    }

    /// Writes one indicator (gathered with the next ones into writes of [`BATCH`] bytes;
    /// [`DocumentWriter::finish`] writes the rest).
    pub fn ioc(&mut self, ioc: &Ioc) -> io::Result<()> {
        self.buf
            .extend_from_slice(if self.first { b"\n    " } else { b",\n    " });
        self.first = false;
        write_ioc(
            ioc,
            self.options,
            Layout::Pretty,
            &mut self.table,
            &mut self.buf,
        );
        if self.buf.len() >= BATCH {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes the indicators not written yet and the end of the document.
    pub fn finish(self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        if !self.first {
            self.out.write_all(b"\n  ")?;
        }
        self.out.write_all(b"]\n}\n")
    }
}

/// How sightings name their source: by the index of the name in the document's
/// `sources` table, or (lines, and a name not in the table) by the name itself.
#[derive(Default)]
struct Sources {
    index: Option<FxHashMap<Box<str>, u64>>,
    /// The last source written and its JSON value: sightings of one source come together,
    /// and a long name is escaped once, not once per sighting.
    last: Option<(Arc<str>, Vec<u8>)>,
}

impl Sources {
    /// Sources named by their index in a document's table.
    fn indexed(index: FxHashMap<Box<str>, u64>) -> Self {
        Sources {
            index: Some(index),
            last: None,
        }
    }

    /// Appends the JSON value of the source `name`.
    fn write(&mut self, name: &Arc<str>, out: &mut Vec<u8>) {
        if let Some((last, json)) = &self.last {
            if Arc::ptr_eq(last, name) {
                out.extend_from_slice(json);
                return;
            }
        }
        let mut json = self.last.take().map(|(_, j)| j).unwrap_or_default();
        json.clear();
        match self.index.as_ref().and_then(|ix| ix.get(&**name)) {
            Some(&i) => number(&mut json, i),
            None => string(&mut json, name),
        }
        out.extend_from_slice(&json);
        self.last = Some((name.clone(), json));
    }
}

/// Pretty-prints `value` (through `buf`) indented by `indent` spaces after each newline.
fn write_indented(
    buf: &mut Vec<u8>,
    value: &impl Serialize,
    indent: usize,
    out: &mut dyn Write,
) -> io::Result<()> {
    const SPACES: &[u8] = b"        ";
    buf.clear();
    serde_json::to_writer_pretty(&mut *buf, value)?;
    let pad = &SPACES[..indent.min(SPACES.len())];
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', buf) {
        out.write_all(&buf[start..=nl])?;
        out.write_all(pad)?;
        start = nl + 1;
    }
    out.write_all(&buf[start..])
}

/// Writes one compact JSON object per indicator per line.
pub fn write_lines(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_lines_iocs(&extraction.iocs, options, out)
}

/// Writes one compact JSON object per indicator per line, from any sequence of them.
pub fn write_lines_iocs<I>(iocs: I, options: OutputOptions, out: &mut dyn Write) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: Borrow<Ioc>,
{
    let mut lines = LineWriter::new(options);
    for ioc in iocs {
        lines.write(ioc.borrow(), out)?;
    }
    lines.finish(out)
}

/// Writes one indicator as a compact JSON line.
pub fn write_line(ioc: &Ioc, options: OutputOptions, out: &mut dyn Write) -> io::Result<()> {
    thread_local! {
        /// The line buffer and the last source, reused from one call to the next
        /// (`--no-dedup` writes a line per sighting).
        static BUF: std::cell::RefCell<(Vec<u8>, Sources)> =
            std::cell::RefCell::new((Vec::new(), Sources::default()));
    }
    let (mut buf, mut sources) = BUF.with(|b| b.take());
    buf.clear();
    write_ioc(ioc, options, Layout::Compact, &mut sources, &mut buf);
    buf.push(b'\n');
    let result = out.write_all(&buf);
    BUF.with(|b| b.replace((buf, sources)));
    result
}

/// Writes indicators as compact JSON lines, gathered into writes of [`BATCH`] bytes: call
/// [`LineWriter::finish`] after the last one.
pub struct LineWriter {
    options: OutputOptions,
    buf: Vec<u8>,
    sources: Sources,
}

impl LineWriter {
    /// A writer of lines under `options`.
    pub fn new(options: OutputOptions) -> Self {
        LineWriter {
            options,
            buf: Vec::with_capacity(1024),
            sources: Sources::default(),
        }
    }

    /// Writes one indicator as a line (to `out` once [`BATCH`] bytes are gathered).
    pub fn write(&mut self, ioc: &Ioc, out: &mut dyn Write) -> io::Result<()> {
        write_ioc(
            ioc,
            self.options,
            Layout::Compact,
            &mut self.sources,
            &mut self.buf,
        );
        self.buf.push(b'\n');
        if self.buf.len() >= BATCH {
            out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes the lines not written yet.
    pub fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }
}

/// How [`write_ioc`] lays an indicator out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// On one line, as `serde_json::to_writer` writes it.
    Compact,
    /// As an element of the document's `iocs` (`serde_json::to_writer_pretty`, four
    /// spaces in).
    Pretty,
}

/// Appends a name of the schema (an indicator kind, a scope, a note, an encoding) as a
/// JSON string: these are lower-case words, with nothing to escape.
fn name(out: &mut Vec<u8>, name: &'static str) {
    debug_assert!(name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
    out.reserve(name.len() + 2);
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
}

/// Appends `value` as a JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    // sixteen bytes at a time with SSE2 (part of every x86-64 processor): one load and one
    // test for a block with nothing to escape, every byte to escape from one mask
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while let Some(block) = bytes.get(i..i + 16) {
        // SAFETY: the function only needs SSE2, which this code is compiled with (the
        // `cfg` above); it reads only `block`.
        let mut mask = unsafe { escape_bits_16(block) };
        while mask != 0 {
            let at = i + mask.trailing_zeros() as usize;
            out.extend_from_slice(&bytes[start..at]);
            escape(out, bytes[at]);
            start = at + 1;
            mask &= mask - 1;
        }
        i += 16;
    }
    // eight bytes at a time: the first byte needing an escape is found in the word's mask
    // (the common case, a word with none, is one test)
    while let Some(word) = bytes
        .get(i..i + 8)
        .and_then(|w| <[u8; 8]>::try_from(w).ok())
    {
        let mask = escape_mask(u64::from_le_bytes(word));
        if mask == 0 {
            i += 8;
            continue;
        }
        let at = i + (mask.trailing_zeros() / 8) as usize;
        out.extend_from_slice(&bytes[start..at]);
        escape(out, bytes[at]);
        i = at + 1;
        start = i;
    }
    while let Some(&b) = bytes.get(i) {
        if b < 0x20 || b == b'"' || b == b'\\' {
            out.extend_from_slice(&bytes[start..i]);
            escape(out, b);
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// One bit per byte of `block` (sixteen bytes; bit `k` for byte `k`) that JSON escapes: a
/// control character (below 0x20), a quote or a backslash.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn escape_bits_16(block: &[u8]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let x = crate::primitives::load_16(block);
    // unsigned: a byte is at most 0x1f when the smaller of it and 0x1f is itself
    let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
    let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
    _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) as u32
}

/// The high bit of each of the eight bytes of `x` (little-endian) that is a control
/// character, a quote or a backslash: exact up to the lowest byte flagged (a borrow only
/// runs upwards from a flagged byte), which is all [`string`] uses.
fn escape_mask(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let control = x.wrapping_sub(LO * 0x20) & !x & HI;
    control | zero(x ^ (LO * u64::from(b'"'))) | zero(x ^ (LO * u64::from(b'\\')))
}

/// Appends the escape of one byte that needs one (a control character, a quote or a
/// backslash), as serde_json writes it.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match b {
        b'"' => out.extend_from_slice(b"\\\""),
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\r' => out.extend_from_slice(b"\\r"),
        b'\t' => out.extend_from_slice(b"\\t"),
        0x08 => out.extend_from_slice(b"\\b"),
        0x0c => out.extend_from_slice(b"\\f"),
        _ => out.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 15)],
        ]),
    }
}

/// Two decimal digits of each number below 100.
const DIGITS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends a whole number in decimal (two digits at a time; the digits are written left
/// to right into a buffer of constant size, appended whole and cut to their count: moves,
/// not a copy call).
fn number(out: &mut Vec<u8>, n: u64) {
    if n < 10 {
        // most counts (an indicator seen once)
        out.push(b'0' + n as u8);
        return;
    }
    // offsets, lines and ports have at most eight digits: counted by comparisons
    let len = if n < 100_000_000 {
        2 + usize::from(n >= 100)
            + usize::from(n >= 1_000)
            + usize::from(n >= 10_000)
            + usize::from(n >= 100_000)
            + usize::from(n >= 1_000_000)
            + usize::from(n >= 10_000_000)
    } else {
        n.checked_ilog10().map_or(1, |l| l as usize + 1)
    };
    let mut digits = [0u8; 20];
    let mut i = len;
    let mut n = n;
    while n >= 100 {
        let d = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGITS[d..d + 2]);
    }
    if n >= 10 {
        let d = n as usize * 2;
        digits[0..2].copy_from_slice(&DIGITS[d..d + 2]);
    } else {
        digits[0] = b'0' + n as u8;
    }
    let at = out.len();
    out.extend_from_slice(&digits);
    out.truncate(at + len);
}

/// Appends an indicator field by field, with the bytes serde would write for it (the tests
/// compare both). `sources` says how a sighting's `source` is written.
fn write_ioc(
    ioc: &Ioc,
    options: OutputOptions,
    layout: Layout,
    sources: &mut Sources,
    out: &mut Vec<u8>,
) {
    match layout {
        Layout::Compact => write_ioc_in::<false>(ioc, options, sources, out),
        Layout::Pretty => write_ioc_in::<true>(ioc, options, sources, out),
    }
}

/// [`write_ioc`] in one layout, made for each: the field names are constants there, each
/// copied by a few moves instead of a call.
fn write_ioc_in<const PRETTY: bool>(
    ioc: &Ioc,
    options: OutputOptions,
    sources: &mut Sources,
    out: &mut Vec<u8>,
) {
    let pretty = PRETTY;
    let keys: &Keys = if PRETTY { &PRETTY_KEYS } else { &COMPACT_KEYS };
    // the ends of objects at depth 1, 2, 3 (pretty: a newline and the indent)
    let (close1, close2, close3): (&[u8], &[u8], &[u8]) = if pretty {
        (b"\n    }", b"\n      }", b"\n        }")
    } else {
        (b"}", b"}", b"}")
    };
    // a list of scalars at depth 2 (`notes`, `ports`)
    let (lopen, lsep, lclose): (&[u8], &[u8], &[u8]) = if pretty {
        (b"[\n          ", b",\n          ", b"\n        ]")
    } else {
        (b"[", b",", b"]")
    };
    let (popen, psep, pclose): (&[u8], &[u8], &[u8]) = if pretty {
        (b"[\n        ", b",\n        ", b"\n      ]")
    } else {
        (b"[", b",", b"]")
    };
    let boolean = |out: &mut Vec<u8>, b: bool| {
        out.extend_from_slice(if b { b"true" } else { b"false" });
    };
    out.extend_from_slice(keys.ty);
    name(out, ioc.kind.as_str());
    out.extend_from_slice(keys.value);
    string(out, &shown_value(ioc, options));
    out.extend_from_slice(keys.flags);
    out.extend_from_slice(keys.defanged);
    boolean(out, ioc.flags.defanged);
    out.extend_from_slice(keys.allowlisted);
    boolean(out, ioc.flags.allowlisted);
    if let Some(scope) = ioc.flags.scope {
        out.extend_from_slice(keys.scope);
        name(out, scope.as_str());
    }
    if !ioc.flags.notes.is_empty() {
        out.extend_from_slice(keys.notes);
        for (i, name) in ioc.flags.notes.names().enumerate() {
            out.extend_from_slice(if i == 0 { lopen } else { lsep });
            self::name(out, name);
        }
        out.extend_from_slice(lclose);
    }
    out.extend_from_slice(close2);
    out.extend_from_slice(keys.count);
    number(out, ioc.count);
    if !ioc.ports.is_empty() {
        out.extend_from_slice(keys.ports);
        for (i, p) in ioc.ports.iter().enumerate() {
            out.extend_from_slice(if i == 0 { popen } else { psep });
            number(out, u64::from(*p));
        }
        out.extend_from_slice(pclose);
    }
    out.extend_from_slice(keys.sightings);
    if ioc.sightings.is_empty() {
        out.extend_from_slice(b"[]");
    } else {
        out.push(b'[');
        for (i, s) in ioc.sightings.iter().enumerate() {
            if pretty {
                out.extend_from_slice(if i == 0 {
                    b"\n        "
                } else {
                    b",\n        "
                });
            } else if i > 0 {
                out.push(b',');
            }
            write_sighting::<PRETTY>(s, sources, close3, out);
        }
        out.extend_from_slice(if pretty { b"\n      ]" } else { b"]" });
    }
    if !ioc.intel.is_empty() {
        // What the analyst's feeds know (`--intel`), on one line even in pretty output.
        out.extend_from_slice(keys.intel);
        let _ = serde_json::to_writer(&mut *out, &ioc.intel);
    }
    out.extend_from_slice(close1);
}

/// The bytes before each field's value (separator, quoted name, colon) in one layout:
/// constants, one copy per field.
struct Keys {
    ty: &'static [u8],
    value: &'static [u8],
    flags: &'static [u8],
    defanged: &'static [u8],
    allowlisted: &'static [u8],
    scope: &'static [u8],
    notes: &'static [u8],
    count: &'static [u8],
    ports: &'static [u8],
    sightings: &'static [u8],
    intel: &'static [u8],
    source: &'static [u8],
    offset: &'static [u8],
    line: &'static [u8],
    field: &'static [u8],
    port: &'static [u8],
    encoding: &'static [u8],
    context: &'static [u8],
}

/// The [`Keys`] of a layout from the separators before the first and the next fields at
/// depth 1, 2, 3 and the colon.
macro_rules! keys {
    ($open1:literal, $sep1:literal, $open2:literal, $sep2:literal, $open3:literal,
     $sep3:literal, $colon:literal) => {
        Keys {
            ty: concat!($open1, "\"type\"", $colon).as_bytes(),
            value: concat!($sep1, "\"value\"", $colon).as_bytes(),
            flags: concat!($sep1, "\"flags\"", $colon).as_bytes(),
            defanged: concat!($open2, "\"defanged\"", $colon).as_bytes(),
            allowlisted: concat!($sep2, "\"allowlisted\"", $colon).as_bytes(),
            scope: concat!($sep2, "\"scope\"", $colon).as_bytes(),
            notes: concat!($sep2, "\"notes\"", $colon).as_bytes(),
            count: concat!($sep1, "\"count\"", $colon).as_bytes(),
            ports: concat!($sep1, "\"ports\"", $colon).as_bytes(),
            sightings: concat!($sep1, "\"sightings\"", $colon).as_bytes(),
            intel: concat!($sep1, "\"intel\"", $colon).as_bytes(),
            source: concat!($open3, "\"source\"", $colon).as_bytes(),
            offset: concat!($sep3, "\"offset\"", $colon).as_bytes(),
            line: concat!($sep3, "\"line\"", $colon).as_bytes(),
            field: concat!($sep3, "\"field\"", $colon).as_bytes(),
            port: concat!($sep3, "\"port\"", $colon).as_bytes(),
            encoding: concat!($sep3, "\"encoding\"", $colon).as_bytes(),
            context: concat!($sep3, "\"context\"", $colon).as_bytes(),
        }
    };
}

/// On one line, as `serde_json::to_writer` writes it.
const COMPACT_KEYS: Keys = keys!("{", ",", "{", ",", "{", ",", ":");
/// Pretty-printed, as an element of the document's `iocs` (four spaces in).
const PRETTY_KEYS: Keys = keys!(
    "{\n      ",
    ",\n      ",
    "{\n        ",
    ",\n        ",
    "{\n          ",
    ",\n          ",
    ": "
);

/// Appends one sighting (see [`write_ioc`]).
fn write_sighting<const PRETTY: bool>(
    s: &Sighting,
    sources: &mut Sources,
    close: &[u8],
    out: &mut Vec<u8>,
) {
    let keys: &Keys = if PRETTY { &PRETTY_KEYS } else { &COMPACT_KEYS };
    out.extend_from_slice(keys.source);
    sources.write(&s.source, out);
    if let Some(o) = s.offset {
        out.extend_from_slice(keys.offset);
        number(out, o);
    }
    if let Some(l) = s.line {
        out.extend_from_slice(keys.line);
        number(out, l);
    }
    if let Some(f) = &s.field {
        out.extend_from_slice(keys.field);
        string(out, f);
    }
    if let Some(p) = s.port {
        out.extend_from_slice(keys.port);
        number(out, u64::from(p));
    }
    out.extend_from_slice(keys.encoding);
    name(out, encoding_name(s.encoding));
    if !s.context.is_empty() {
        out.extend_from_slice(keys.context);
        string(out, &s.context);
    }
    out.extend_from_slice(close);
}

fn encoding_name(e: crate::ioc::Encoding) -> &'static str {
    match e {
        crate::ioc::Encoding::Ascii => "ascii",
        crate::ioc::Encoding::Utf16le => "utf16le",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioc::{Encoding, Flags, IocKind, Notes, Scope, Sighting};
    use std::borrow::Cow;
    use std::sync::Arc;

    /// An indicator as serde writes it: what the hand-written writer must equal.
    #[derive(Serialize)]
    struct IocView<'a, S: Serialize> {
        #[serde(rename = "type")]
        kind: IocKind,
        value: Cow<'a, str>,
        flags: &'a Flags,
        count: u64,
        #[serde(skip_serializing_if = "<[u16]>::is_empty")]
        ports: &'a [u16],
        sightings: Vec<S>,
    }

    /// A sighting of the document: its source as an index in the `sources` table.
    #[derive(Serialize)]
    struct IndexedSighting<'a> {
        source: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        offset: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        encoding: Encoding,
        #[serde(skip_serializing_if = "str::is_empty")]
        context: &'a str,
    }

    fn view(ioc: &Ioc, options: OutputOptions) -> IocView<'_, &Sighting> {
        IocView {
            kind: ioc.kind,
            value: shown_value(ioc, options),
            flags: &ioc.flags,
            count: ioc.count,
            ports: &ioc.ports,
            sightings: ioc.sightings.iter().collect(),
        }
    }

    fn indexed_view(ioc: &Ioc, options: OutputOptions) -> IocView<'_, IndexedSighting<'_>> {
        IocView {
            kind: ioc.kind,
            value: shown_value(ioc, options),
            flags: &ioc.flags,
            count: ioc.count,
            ports: &ioc.ports,
            sightings: ioc
                .sightings
                .iter()
                .map(|s| IndexedSighting {
                    source: u64::from(&*s.source != "dir/a \"b\".log"),
                    offset: s.offset,
                    line: s.line,
                    field: s.field.as_deref(),
                    port: s.port,
                    encoding: s.encoding,
                    context: &s.context,
                })
                .collect(),
        }
    }

    fn samples() -> Vec<Ioc> {
        let sighting = |offset: Option<u64>,
                        line: Option<u64>,
                        field: Option<&str>,
                        port: Option<u16>,
                        context: &str| Sighting {
            source: Arc::from(if port.is_some() {
                "other.log"
            } else {
                "dir/a \"b\".log"
            }),
            offset,
            line,
            field: field.map(str::to_string),
            port,
            encoding: if line.is_none() {
                Encoding::Utf16le
            } else {
                Encoding::Ascii
            },
            context: context.to_string(),
        };
        vec![
            Ioc {
                kind: IocKind::Url,
                value: "http://a.example.com/\u{e9}?q=\"1\"\\".to_string(),
                flags: Flags {
                    defanged: true,
                    allowlisted: false,
                    scope: Some(Scope::Documentation),
                    notes: Notes::SPACED | Notes::ALLOWLISTED_HOST,
                },
                count: 12_345_678_901,
                ports: Vec::new(),
                sightings: vec![
                    sighting(
                        Some(0),
                        Some(1),
                        None,
                        None,
                        "x\ty \u{1}\u{8}\u{c}\r\n\u{7f}",
                    ),
                    sighting(Some(99), None, Some("/a/0"), None, ""),
                    sighting(None, Some(7), Some("/b"), None, "ctx"),
                ],
                intel: Vec::new(),
            },
            Ioc {
                kind: IocKind::Ipv4,
                value: "192.0.2.10".to_string(),
                flags: Flags {
                    defanged: false,
                    allowlisted: false,
                    scope: Some(Scope::Documentation),
                    notes: Notes::NONE,
                },
                count: 3,
                ports: vec![443, 8080],
                sightings: vec![
                    sighting(Some(4), Some(1), None, Some(8080), "to 192.0.2.10:8080"),
                    sighting(Some(40), Some(2), None, None, "192.0.2.10 again"),
                ],
                intel: Vec::new(),
            },
            Ioc {
                kind: IocKind::FilePath,
                value: "C:\\x.exe".to_string(),
                flags: Flags {
                    defanged: false,
                    allowlisted: true,
                    scope: None,
                    notes: Notes::PLACEHOLDER,
                },
                count: 0,
                ports: Vec::new(),
                sightings: Vec::new(),
                intel: Vec::new(),
            },
        ]
    }

    /// `string` writes `value` with the bytes serde_json writes for it.
    fn assert_escaped_as_serde(value: &str) {
        let mut out = Vec::new();
        string(&mut out, value);
        let expected = serde_json::to_string(value).expect("serialises");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            expected,
            "{value:?}"
        );
    }

    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        let specials = [
            "\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{1}", "\u{1f}", "\u{7f}", "é",
            "\u{202e}", " ",
        ];
        // every length up to three blocks of sixteen and a bit: escapes in a block, in a
        // word of eight after the blocks and in the last few bytes
        let letters = "abcdefghijklmnopqrstuvwxyz".repeat(3);
        for len in 0..52 {
            for special in specials {
                for at in 0..=len {
                    let mut value: String = letters.chars().take(len).collect();
                    value.insert_str(at, special);
                    assert_escaped_as_serde(&value);
                }
            }
        }
    }

    #[test]
    fn strings_with_several_escapes_in_one_word() {
        let specials = ["\"", "\\", "\n", "\u{1}", "\u{1f}", "é", " "];
        for len in 0..12 {
            for a in specials {
                for b in specials {
                    for at in 0..=len {
                        let mut one: String = "C:Users_x_AppData".chars().take(len).collect();
                        one.insert_str(at, a);
                        for at2 in (0..=one.len()).filter(|&i| one.is_char_boundary(i)) {
                            let mut value = one.clone();
                            value.insert_str(at2, b);
                            assert_escaped_as_serde(&value);
                            // the same after a long run of plain text
                            assert_escaped_as_serde(&format!("{}{value}", "p".repeat(48)));
                        }
                    }
                }
            }
        }
    }

    /// Every name written by `name` (unescaped) is one serde_json would not escape.
    #[test]
    fn schema_names_need_no_escaping() {
        let scopes = [
            Scope::Public,
            Scope::Private,
            Scope::Loopback,
            Scope::LinkLocal,
            Scope::Multicast,
            Scope::Documentation,
            Scope::Reserved,
        ];
        let names = IocKind::ALL
            .iter()
            .map(|k| k.as_str())
            .chain(scopes.iter().map(|s| s.as_str()))
            .chain(Notes::from_bits(u16::MAX).names())
            .chain([Encoding::Ascii, Encoding::Utf16le].map(encoding_name));
        for n in names {
            let mut out = Vec::new();
            name(&mut out, n);
            assert_eq!(out, serde_json::to_vec(n).expect("serialises"), "{n}");
        }
    }

    #[test]
    fn numbers_are_written_as_decimal() {
        let mut n = 1u64;
        let mut values = vec![0, 9, 10, 99, 100, 101, 999, 1000, u64::MAX, u64::MAX - 1];
        // around the eight-digit path's edges
        values.extend([99_999_999, 100_000_000, 4_294_967_295, 4_294_967_296]);
        values.extend((0..=9).flat_map(|p| {
            let t = 10u64.pow(p);
            [t - 1, t, t + 1]
        }));
        while let Some(m) = n.checked_mul(7) {
            values.extend([m - 1, m, m + 1]);
            n = m;
        }
        for v in values {
            let mut out = Vec::new();
            number(&mut out, v);
            assert_eq!(String::from_utf8(out).expect("ascii"), v.to_string());
        }
    }

    #[test]
    fn hand_written_json_equals_serde() {
        for defang in [false, true] {
            let options = OutputOptions {
                defang,
                ..OutputOptions::default()
            };
            for ioc in samples() {
                let mut ours = Vec::new();
                write_ioc(
                    &ioc,
                    options,
                    Layout::Compact,
                    &mut Sources::default(),
                    &mut ours,
                );
                let theirs = serde_json::to_vec(&view(&ioc, options)).expect("serde");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
                // the line reads back as the indicator
                if !defang {
                    assert_eq!(
                        serde_json::from_slice::<Ioc>(&ours).ok().as_ref(),
                        Some(&ioc)
                    );
                }
                let mut table = Sources::indexed(
                    [("dir/a \"b\".log".into(), 0), ("other.log".into(), 1)]
                        .into_iter()
                        .collect(),
                );
                let mut ours = Vec::new();
                write_ioc(&ioc, options, Layout::Pretty, &mut table, &mut ours);
                let mut theirs = Vec::new();
                write_indented(
                    &mut Vec::new(),
                    &indexed_view(&ioc, options),
                    4,
                    &mut theirs,
                )
                .expect("serde");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }

    #[test]
    fn the_document_names_each_source_once() {
        let report = |name: &str| SourceReport {
            name: name.to_string(),
            bytes: 10,
            hits: 2,
            error: None,
        };
        let iocs = samples();
        let names: Vec<Arc<str>> = vec![Arc::from("other.log"), Arc::from("dir/a \"b\".log")];
        let mut out = Vec::new();
        write_document_iocs(
            &[report("dir/a \"b\".log")],
            &[],
            &names,
            &iocs,
            OutputOptions::default(),
            &mut out,
        )
        .expect("written");
        let doc: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(doc["schema"], "spoor.iocs/2");
        // the source read first, then the name only sightings use, without bytes or hits
        assert_eq!(
            doc["sources"],
            serde_json::json!([
                { "name": "dir/a \"b\".log", "bytes": 10, "hits": 2 },
                { "name": "other.log" }
            ])
        );
        let sources: Vec<u64> = doc["iocs"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| i["sightings"].as_array().cloned().unwrap_or_default())
            .filter_map(|s| s["source"].as_u64())
            .collect();
        assert_eq!(sources, [0, 0, 0, 1, 0]);
        assert_eq!(doc["iocs"][1]["ports"], serde_json::json!([443, 8080]));
        assert_eq!(doc["iocs"][1]["sightings"][0]["port"], 8080);
    }
}
