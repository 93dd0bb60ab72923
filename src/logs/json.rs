//! Generic JSON and NDJSON: every string value with its field path.
//!
//! A JSON document is walked as it is parsed (serde's visitor, no tree is built), so
//! memory stays with the nesting depth, not the document size; NDJSON is read line by
//! line. Paths are JSON pointers (`/behavior/processes/0/environ/CommandLine`). Lines of
//! an NDJSON file that are not JSON are handed on whole as text, so nothing is lost.
//! Also owns telling JSON formats apart ([`detect`]).

use super::{lossy, Field, Lines, LogFormat, ReadReport, MAX_FIELD_BYTES};
use crate::error::{Warning, WarningCode};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::cell::Cell;
use std::fmt::Write as _;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

/// Lines looked at to recognise JSON lines.
const SNIFF_LINES: usize = 16;

/// Classifies text that starts with `{` or `[`.
pub fn detect(text: &[u8]) -> LogFormat {
    if starts_object(text) {
        let mut keys = TopKeys::default();
        keys.feed(text);
        if is_sandbox_report(&keys.keys) {
            return LogFormat::CapeReport;
        }
    }
    let segments: Vec<&[u8]> = text.split(|&b| b == b'\n').take(SNIFF_LINES + 1).collect();
    let mut parsed = 0usize;
    let mut first: Option<serde_json::Value> = None;
    for (i, segment) in segments.iter().take(SNIFF_LINES).enumerate() {
        let line = segment.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let last_segment = i + 1 == segments.len();
        // A line whose only fault is a bad character in a string (a lone surrogate escape,
        // an invalid UTF-8 byte) is still a record: it is repaired when read.
        let parsed_line = serde_json::from_slice::<serde_json::Value>(line).or_else(|e| {
            super::json_repair::repair(line)
                .and_then(|(fixed, _)| serde_json::from_slice(&fixed).ok())
                .ok_or(e)
        });
        match parsed_line {
            Ok(v) if v.is_object() || v.is_array() => {
                parsed += 1;
                if first.is_none() {
                    first = Some(v);
                }
            }
            // the head may end inside a line
            Err(e) if last_segment && e.is_eof() && parsed > 0 => break,
            _ if parsed > 0 => return LogFormat::Text,
            _ => {
                // not one value per line: a document spread over lines, if the head is a
                // valid beginning of one
                return if is_json_prefix(text) {
                    LogFormat::Json
                } else {
                    LogFormat::Text
                };
            }
        }
    }
    match first {
        Some(v) if super::sysmon::is_windows_event_json(&v) => LogFormat::SysmonJson,
        Some(_) if parsed >= 2 => LogFormat::Ndjson,
        Some(_) => LogFormat::Json,
        None => LogFormat::Text,
    }
}

/// Top-level keys that, with `info`, make a JSON document a CAPE or Cuckoo report (two of
/// them at least, one being `behavior` or `signatures`, in any order and anywhere in the
/// document).
const REPORT_KEYS: [&str; 12] = [
    "target",
    "behavior",
    "signatures",
    "network",
    "dropped",
    "procmemory",
    "CAPE",
    "debug",
    "statistics",
    "malscore",
    "ttps",
    "static",
];

/// Bytes of a JSON document on standard input kept in memory while its top-level keys are
/// looked at (files are read again instead).
const SPOOL_LIMIT: usize = 64 << 20;

/// Whether the top-level keys are those of a sandbox report: `info`, `behavior` or
/// `signatures`, and two of [`REPORT_KEYS`] in all.
pub fn is_sandbox_report(keys: &[String]) -> bool {
    let has = |name: &str| keys.iter().any(|k| k == name);
    has("info")
        && (has("behavior") || has("signatures"))
        && REPORT_KEYS
            .iter()
            .filter(|r| keys.iter().any(|k| k == *r))
            .count()
            >= 2
}

/// Whether text (after a byte-order mark and white space) starts a JSON object.
pub fn starts_object(text: &[u8]) -> bool {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The keys of a JSON document's top-level object, read from its bytes as they come
/// (strings skipped with memchr; nothing is parsed or kept but the keys).
#[derive(Debug, Default)]
pub struct TopKeys {
    depth: u32,
    in_string: bool,
    escape: bool,
    expect_key: bool,
    collecting: bool,
    key: Vec<u8>,
    /// The keys seen so far, in order (at most [`TopKeys::MAX_KEYS`]).
    pub keys: Vec<String>,
    /// The top-level value has ended.
    pub done: bool,
}

impl TopKeys {
    /// Keys kept at most.
    pub const MAX_KEYS: usize = 1024;

    /// Reads the next bytes of the document.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() && !self.done {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                    if self.collecting && self.key.len() < 64 {
                        self.key.push(bytes[i]);
                    }
                    i += 1;
                    continue;
                }
                let Some(j) = memchr::memchr2(b'"', b'\\', &bytes[i..]) else {
                    if self.collecting {
                        let room = 64usize.saturating_sub(self.key.len());
                        self.key.extend(bytes[i..].iter().take(room));
                    }
                    return;
                };
                if self.collecting {
                    let room = 64usize.saturating_sub(self.key.len());
                    self.key.extend(bytes[i..i + j].iter().take(room));
                }
                i += j;
                if bytes[i] == b'\\' {
                    self.escape = true;
                } else {
                    self.in_string = false;
                    if self.collecting {
                        self.collecting = false;
                        self.expect_key = false;
                        if self.keys.len() < Self::MAX_KEYS {
                            self.keys
                                .push(String::from_utf8_lossy(&self.key).into_owned());
                        }
                    }
                }
                i += 1;
                continue;
            }
            match bytes[i] {
                b'"' => {
                    self.in_string = true;
                    self.collecting = self.depth == 1 && self.expect_key;
                    self.key.clear();
                }
                b'{' => {
                    self.depth += 1;
                    if self.depth == 1 {
                        self.expect_key = true;
                    }
                }
                b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        self.done = true;
                    }
                }
                b',' if self.depth == 1 => self.expect_key = true,
                _ => {}
            }
            i += 1;
        }
    }
}

/// A reader that fails once with the error that stopped an earlier read.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// Streams the top-level keys of a JSON document whose head did not tell what it is, so
/// a sandbox report is recognised whatever the order of its keys (real CAPE reports put
/// `statistics` and their dumps first, hundreds of KB before `info` and `behavior`).
/// Reading stops as soon as the keys decide. Returns the format and the whole document
/// again: the bytes read are kept in memory (up to 64 MiB), so the document is read once;
/// past that it is re-opened with `reopen` when given (files), else taken as plain JSON,
/// with a note.
pub fn recognise_report(
    mut whole: Box<dyn Read + Send>,
    reopen: Option<&dyn Fn() -> io::Result<Box<dyn Read + Send>>>,
) -> (LogFormat, Box<dyn Read + Send>, Option<Warning>) {
    let mut keys = TopKeys::default();
    let mut spool: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut note = None;
    let mut failed = None;
    let mut spooling = true;
    while !keys.done && !is_sandbox_report(&keys.keys) {
        let n = match whole.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                failed = Some(e);
                break;
            }
        };
        let read = buf.get(..n).unwrap_or_default();
        keys.feed(read);
        if spooling {
            spool.extend_from_slice(read);
            if spool.len() > SPOOL_LIMIT && reopen.is_some() {
                // too much to keep: the document is opened again instead
                spooling = false;
                spool = Vec::new();
            } else if spool.len() > SPOOL_LIMIT {
                note = Some(Warning::new(
                    WarningCode::SizeLimit,
                    format!(
                        "only the first {} MiB of this JSON document were looked at for \
                         sandbox-report keys",
                        SPOOL_LIMIT >> 20
                    ),
                ));
                break;
            }
        }
    }
    let format = if is_sandbox_report(&keys.keys) {
        LogFormat::CapeReport
    } else {
        LogFormat::Json
    };
    let rest: Box<dyn Read + Send> = match reopen {
        Some(open) if !spooling => match open() {
            Ok(r) => r,
            Err(e) => Box::new(Failed(Some(e))),
        },
        _ => Box::new(io::Cursor::new(spool).chain(Failed(failed)).chain(whole)),
    };
    (format, rest, note)
}

/// Whether `text` is valid JSON, or a valid beginning of a JSON document.
fn is_json_prefix(text: &[u8]) -> bool {
    let mut stream = serde_json::Deserializer::from_slice(text).into_iter::<IgnoredAny>();
    match stream.next() {
        Some(Ok(_)) => true,
        Some(Err(e)) => e.is_eof(),
        None => false,
    }
}

/// A reader that counts the newlines (and other bytes than white space) that went
/// through it, so the visitor knows the line and the caller knows whether anything but
/// white space followed a document.
pub(crate) struct LineCounting<R> {
    pub(crate) inner: R,
    pub(crate) line: Rc<Cell<u64>>,
    pub(crate) solid: Rc<Cell<u64>>,
}

impl<R: Read> Read for LineCounting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = &buf[..n];
        let newlines = memchr::memchr_iter(b'\n', read).count() as u64;
        if newlines > 0 {
            self.line.set(self.line.get() + newlines);
        }
        let solid = read.iter().filter(|b| !b.is_ascii_whitespace()).count() as u64;
        if solid > 0 {
            self.solid.set(self.solid.get() + solid);
        }
        Ok(n)
    }
}

/// Every string value of a JSON document (or of several in a row), streamed.
pub fn document_fields(
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Field),
    report: &mut ReadReport,
) {
    let line = Rc::new(Cell::new(1u64));
    let solid = Rc::new(Cell::new(0u64));
    let mut repairing =
        BufReader::with_capacity(64 * 1024, super::json_repair::Repairing::new(reader));
    let counting = LineCounting {
        inner: &mut repairing,
        line: line.clone(),
        solid: solid.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    more_documents(&mut de, &line, &solid, sink, report);
    drop(de);
    let replaced = repairing.get_ref().replaced();
    if replaced > 0 {
        report.warn(WarningCode::Encoding, replaced_warning(replaced));
    }
}

/// Walks the documents left in `de` (one after another, as [`document_fields`] reads
/// them), counting each as a record; `line` and `solid` are the stream's counters
/// ([`LineCounting`]). Stops at the end, or at damage with a warning.
pub(crate) fn more_documents<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    line: &Rc<Cell<u64>>,
    solid: &Rc<Cell<u64>>,
    sink: &mut dyn FnMut(Field),
    report: &mut ReadReport,
) {
    let mut path = String::new();
    let mut emitted = 0u64;
    loop {
        let before = solid.get();
        path.clear();
        let walk = Walk {
            path: &mut path,
            sink: &mut *sink,
            line: Some(line),
            fixed_line: None,
            emitted: &mut emitted,
        };
        match walk.deserialize(&mut *de) {
            Ok(()) => report.records += 1,
            // only white space after the last document
            Err(e) if e.is_eof() && solid.get() == before && report.records > 0 => break,
            Err(e) => {
                report.warn(WarningCode::ParseError, broken_at(line.get(), &e));
                break;
            }
        }
    }
    report.produced += emitted;
}

/// The warning for a JSON document that ends or breaks at `line`.
pub(crate) fn broken_at(line: u64, e: &serde_json::Error) -> String {
    format!("line {line}: JSON ends or breaks here ({e}); values before it were kept")
}

/// The warning for strings repaired while reading.
pub(crate) fn replaced_warning(replaced: u64) -> String {
    format!("{replaced} invalid escape(s) or byte(s) in strings replaced by U+FFFD")
}

/// Every string value of JSON lines; a line that is not JSON is handed on whole.
pub fn line_fields(reader: &mut dyn Read, sink: &mut dyn FnMut(Field), report: &mut ReadReport) {
    let mut lines = Lines::new(
        BufReader::with_capacity(256 * 1024, reader),
        MAX_FIELD_BYTES,
    );
    let mut buf = Vec::new();
    let mut path = String::new();
    loop {
        let (line_no, cut) = match lines.next_into(&mut buf) {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) => {
                report.warn(WarningCode::of_io(&e), format!("read error: {e}"));
                break;
            }
        };
        if buf.trim_ascii().is_empty() {
            continue;
        }
        report.records += 1;
        if cut {
            report.warn(
                WarningCode::SizeLimit,
                format!("line {line_no}: longer than {MAX_FIELD_BYTES} bytes, cut"),
            );
        }
        let mut emitted = 0u64;
        path.clear();
        if serde_json::from_slice::<serde::de::IgnoredAny>(&buf).is_err() {
            if let Some((fixed, n)) = super::json_repair::repair(&buf) {
                if serde_json::from_slice::<serde::de::IgnoredAny>(&fixed).is_ok() {
                    report.warn(
                        WarningCode::Encoding,
                        format!(
                            "line {line_no}: {n} invalid escape(s) or byte(s) in strings replaced \
                         by U+FFFD"
                        ),
                    );
                    buf = fixed;
                }
            }
        }
        let mut de = serde_json::Deserializer::from_slice(&buf);
        let walk = Walk {
            path: &mut path,
            sink: &mut *sink,
            line: None,
            fixed_line: Some(line_no),
            emitted: &mut emitted,
        };
        let ok = walk.deserialize(&mut de).is_ok() && de.end().is_ok();
        if !ok && emitted == 0 {
            // not JSON: the whole line is text
            sink(Field {
                path: String::new(),
                line: Some(line_no),
                offset: None,
                text: lossy(&buf),
            });
            emitted = 1;
        }
        report.produced += emitted;
    }
}

/// Pushes a JSON pointer segment for `key` onto `path` (`~` and `/` escaped).
pub(crate) fn push_key(path: &mut String, key: &str) {
    path.push('/');
    for c in key.chars() {
        match c {
            '~' => path.push_str("~0"),
            '/' => path.push_str("~1"),
            c => path.push(c),
        }
    }
}

/// Where the strings of a JSON value go while it is parsed: the sink, the value's JSON
/// pointer, and the line it is on (read from the stream's line counter, or fixed).
pub(crate) struct FieldSink<'a> {
    pub(crate) path: &'a mut String,
    pub(crate) sink: &'a mut dyn FnMut(Field),
    pub(crate) line: Option<&'a Rc<Cell<u64>>>,
    pub(crate) fixed_line: Option<u64>,
    pub(crate) emitted: &'a mut u64,
}

impl FieldSink<'_> {
    /// The streaming walker over this sink (nothing is built).
    pub(crate) fn walk(&mut self) -> Walk<'_> {
        Walk {
            path: &mut *self.path,
            sink: &mut *self.sink,
            line: self.line,
            fixed_line: self.fixed_line,
            emitted: &mut *self.emitted,
        }
    }
}

/// Parses a JSON value into a [`serde_json::Value`] and, with a [`FieldSink`], hands each
/// of its strings on as it is parsed, with its path and line, exactly as [`Walk`] would:
/// one parse serves a reader that needs the value and the IOC scanner that needs the
/// fields.
pub(crate) struct Grab<'a, 'b>(pub(crate) Option<&'a mut FieldSink<'b>>);

impl<'b> Grab<'_, 'b> {
    fn child(&mut self) -> Grab<'_, 'b> {
        Grab(self.0.as_deref_mut())
    }

    fn emit(&mut self, text: &str) {
        if let Some(f) = self.0.as_deref_mut() {
            f.walk().emit(text);
        }
    }

    fn path(&mut self) -> Option<&mut String> {
        self.0.as_deref_mut().map(|f| &mut *f.path)
    }
}

impl<'de> DeserializeSeed<'de> for Grab<'_, '_> {
    type Value = serde_json::Value;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Grab<'_, '_> {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(mut self, v: &str) -> Result<Self::Value, E> {
        self.emit(v);
        Ok(serde_json::Value::String(v.to_string()))
    }

    fn visit_string<E>(mut self, v: String) -> Result<Self::Value, E> {
        self.emit(&v);
        Ok(serde_json::Value::String(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v)
            .map_or(serde_json::Value::Null, serde_json::Value::Number))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Self::Value, A::Error> {
        let base = self.path().map_or(0, |p| p.len());
        let mut items = Vec::new();
        loop {
            if let Some(p) = self.path() {
                p.truncate(base);
                let _ = write!(p, "/{}", items.len());
            }
            match seq.next_element_seed(self.child())? {
                Some(v) => items.push(v),
                None => break,
            }
        }
        if let Some(p) = self.path() {
            p.truncate(base);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let base = self.path().map_or(0, |p| p.len());
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if let Some(p) = self.path() {
                p.truncate(base);
                push_key(p, &key);
            }
            let value = map.next_value_seed(self.child())?;
            object.insert(key, value);
        }
        if let Some(p) = self.path() {
            p.truncate(base);
        }
        Ok(serde_json::Value::Object(object))
    }
}

/// The visitor: emits each string with the JSON pointer that leads to it.
pub(crate) struct Walk<'a> {
    path: &'a mut String,
    sink: &'a mut dyn FnMut(Field),
    line: Option<&'a Rc<Cell<u64>>>,
    fixed_line: Option<u64>,
    emitted: &'a mut u64,
}

impl Walk<'_> {
    fn child(&mut self) -> Walk<'_> {
        Walk {
            path: &mut *self.path,
            sink: &mut *self.sink,
            line: self.line,
            fixed_line: self.fixed_line,
            emitted: &mut *self.emitted,
        }
    }

    fn emit(self, text: &str) {
        if text.is_empty() {
            return;
        }
        let line = self.fixed_line.or(self.line.map(|l| l.get()));
        *self.emitted += 1;
        (self.sink)(Field {
            path: self.path.clone(),
            line,
            offset: None,
            text: text.to_string(),
        });
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.emit(v);
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let base = self.path.len();
        let mut i = 0u64;
        loop {
            self.path.truncate(base);
            let _ = write!(self.path, "/{i}");
            if seq.next_element_seed(self.child())?.is_none() {
                break;
            }
            i += 1;
        }
        self.path.truncate(base);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let base = self.path.len();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            self.path.truncate(base);
            self.path.push('/');
            for c in key.chars() {
                match c {
                    '~' => self.path.push_str("~0"),
                    '/' => self.path.push_str("~1"),
                    c => self.path.push(c),
                }
            }
            map.next_value_seed(self.child())?;
        }
        self.path.truncate(base);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(doc: &str) -> (Vec<(String, Option<u64>, String)>, ReadReport) {
        let mut out = Vec::new();
        let mut report = ReadReport::default();
        document_fields(
            &mut doc.as_bytes(),
            &mut |f| out.push((f.path, f.line, f.text)),
            &mut report,
        );
        (out, report)
    }

    #[test]
    fn every_string_with_its_pointer_and_line() {
        let (fields, report) =
            fields_of("{\n \"a\": {\"b/c\": [1, \"x\", {\"d\": \"http://c2.example.com/\"}]},\n \"e\": \"y\"\n}");
        assert!(report.warnings.is_empty());
        assert_eq!(
            fields,
            vec![
                ("/a/b~1c/1".to_string(), Some(2), "x".to_string()),
                (
                    "/a/b~1c/2/d".to_string(),
                    Some(2),
                    "http://c2.example.com/".to_string()
                ),
                ("/e".to_string(), Some(3), "y".to_string()),
            ]
        );
    }

    #[test]
    fn broken_document_keeps_what_came_before() {
        let (fields, report) = fields_of("{\"a\": \"one\", \"b\": [\"two\", ");
        assert_eq!(fields.len(), 2);
        assert_eq!(report.warnings.len(), 1);
        assert!(
            report.warnings[0].message.contains("JSON ends"),
            "{:?}",
            report.warnings
        );
    }

    #[test]
    fn deep_nesting_is_a_warning() {
        let doc = format!("{}\"x\"{}", "[".repeat(10_000), "]".repeat(10_000));
        let (fields, report) = fields_of(&doc);
        assert!(fields.is_empty());
        assert_eq!(report.warnings.len(), 1);
    }

    #[test]
    fn json_lines_and_text_lines() {
        let data = "{\"u\":\"http://a.example.com/\"}\nnot json 192.0.2.4\n\n{\"v\":[\"w\"]}\n";
        let mut out = Vec::new();
        let mut report = ReadReport::default();
        line_fields(
            &mut data.as_bytes(),
            &mut |f| out.push((f.path, f.line, f.text)),
            &mut report,
        );
        assert_eq!(
            out,
            vec![
                (
                    "/u".to_string(),
                    Some(1),
                    "http://a.example.com/".to_string()
                ),
                (String::new(), Some(2), "not json 192.0.2.4".to_string()),
                ("/v/0".to_string(), Some(4), "w".to_string()),
            ]
        );
        assert_eq!(report.records, 3);
    }

    #[test]
    fn detection() {
        assert_eq!(detect(b"{\"a\":1}\n{\"b\":2}\n"), LogFormat::Ndjson);
        assert_eq!(detect(b"{\n  \"a\": 1,\n  \"b\": [\n"), LogFormat::Json);
        assert_eq!(detect(b"{\"a\":1}"), LogFormat::Json);
        assert_eq!(
            detect(b"{\"a\":1}\nMar 3 sshd[1]: Accepted\n"),
            LogFormat::Text
        );
        assert_eq!(detect(b"{ this is not json }\n"), LogFormat::Text);
        assert_eq!(
            detect(b"{\"EventID\":1,\"Image\":\"C:\\\\x.exe\"}\n"),
            LogFormat::SysmonJson
        );
        assert_eq!(
            detect(b"{\n \"info\": {},\n \"target\": {},\n \"behavior\": {"),
            LogFormat::CapeReport
        );
    }

    #[test]
    fn top_level_keys_in_any_chunks() {
        let doc = br#"{"statistics": {"info": "not a top key", "x": [1, {"target": 2}]},
            "a\"b": "s\\", "info": {}, "CAPE": {"payloads": []}, "behavior": {}}"#;
        for cut in [1, 7, 13, 64] {
            let mut keys = TopKeys::default();
            for chunk in doc.chunks(cut) {
                keys.feed(chunk);
            }
            assert_eq!(
                keys.keys,
                vec!["statistics", "a\"b", "info", "CAPE", "behavior"],
                "{cut}"
            );
            assert!(keys.done);
            assert!(is_sandbox_report(&keys.keys));
        }
        let mut keys = TopKeys::default();
        keys.feed(br#"{"data": {"info": 1, "target": 2, "behavior": 3}}"#);
        assert!(!is_sandbox_report(&keys.keys));
        // an API answer with an `info` block is not a report
        let mut keys = TopKeys::default();
        keys.feed(br#"{"info": {}, "target": "x", "network": {}, "static": []}"#);
        assert!(!is_sandbox_report(&keys.keys));
    }
}
