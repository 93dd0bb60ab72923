//! JSON and NDJSON output (schema `spoor.iocs/1`, documented in `docs/ioc-schema.md`).
//!
//! Both are written one indicator at a time, so an extraction read back from spilled runs
//! ([`crate::extract::SortedExtraction`]) is never held in memory whole. The document's
//! bytes are those of the pretty-printed `Document` (each part is pretty-printed on its
//! own and indented to its depth; JSON strings hold no raw newline, so indenting after
//! each newline is exact).

use super::{shown_value, OutputOptions};
use crate::extract::{Extraction, SourceReport};
use crate::input::InputError;
use crate::ioc::Ioc;
use serde::Serialize;
use std::borrow::Borrow;
use std::io::{self, Write};

/// Name and version of the document schema.
pub const SCHEMA: &str = "spoor.iocs/1";

#[derive(Serialize)]
struct ErrorEntry<'a> {
    code: crate::error::WarningCode,
    source: &'a str,
    message: &'a str,
}

/// Writes one pretty-printed JSON document.
pub fn write_document(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_document_iocs(
        &extraction.sources,
        &extraction.errors,
        &extraction.iocs,
        options,
        out,
    )
}

/// Writes one pretty-printed JSON document from its parts, the indicators from any
/// sequence of them.
pub fn write_document_iocs<I>(
    sources: &[SourceReport],
    errors: &[InputError],
    iocs: I,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: Borrow<Ioc>,
{
    let errors: Vec<ErrorEntry<'_>> = errors
        .iter()
        .map(|e| ErrorEntry {
            code: e.code,
            source: &e.source,
            message: &e.message,
        })
        .collect();
    let mut buf = Vec::with_capacity(4096);
    out.write_all(b"{\n  \"schema\": ")?;
    serde_json::to_writer(&mut *out, SCHEMA)?;
    out.write_all(b",\n  \"tool\": ")?;
    serde_json::to_writer(&mut *out, &format!("spoor {}", env!("CARGO_PKG_VERSION")))?;
    out.write_all(b",\n  \"sources\": ")?;
    write_indented(&mut buf, &sources, 2, out)?;
    out.write_all(b",\n  \"errors\": ")?;
    write_indented(&mut buf, &errors, 2, out)?;
    out.write_all(b",\n  \"iocs\": [")?;
    let mut first = true;
    for ioc in iocs {
        out.write_all(if first { b"\n    " } else { b",\n    " })?;
        first = false;
        write_ioc(ioc.borrow(), options, Layout::Pretty, out)?;
    }
    if !first {
        out.write_all(b"\n  ")?;
    }
    out.write_all(b"]\n}\n")
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
    for ioc in iocs {
        write_line(ioc.borrow(), options, out)?;
    }
    Ok(())
}

/// Writes one indicator as a compact JSON line.
pub fn write_line(ioc: &Ioc, options: OutputOptions, out: &mut dyn Write) -> io::Result<()> {
    write_ioc(ioc, options, Layout::Compact, out)?;
    out.write_all(b"\n")
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

/// Writes an indicator field by field, with the bytes serde would write for it
/// (the tests compare both), without building the value first.
fn write_ioc(
    ioc: &Ioc,
    options: OutputOptions,
    layout: Layout,
    out: &mut dyn Write,
) -> io::Result<()> {
    let pretty = layout == Layout::Pretty;
    // separators: between fields at depth 1, 2, 3 (pretty: a newline and the indent)
    let (open1, sep1, close1): (&[u8], &[u8], &[u8]) = if pretty {
        (b"{\n      ", b",\n      ", b"\n    }")
    } else {
        (b"{", b",", b"}")
    };
    let (open2, sep2, close2): (&[u8], &[u8], &[u8]) = if pretty {
        (b"{\n        ", b",\n        ", b"\n      }")
    } else {
        (b"{", b",", b"}")
    };
    let (open3, sep3, close3): (&[u8], &[u8], &[u8]) = if pretty {
        (b"{\n          ", b",\n          ", b"\n        }")
    } else {
        (b"{", b",", b"}")
    };
    let colon: &[u8] = if pretty { b": " } else { b":" };
    let key = |out: &mut dyn Write, sep: &[u8], name: &str| -> io::Result<()> {
        out.write_all(sep)?;
        out.write_all(b"\"")?;
        out.write_all(name.as_bytes())?;
        out.write_all(b"\"")?;
        out.write_all(colon)
    };
    let string = |out: &mut dyn Write, value: &str| -> io::Result<()> {
        serde_json::to_writer(&mut *out, value).map_err(io::Error::from)
    };
    let number = |out: &mut dyn Write, mut n: u64| -> io::Result<()> {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.write_all(&digits[i..])
    };
    key(out, open1, "type")?;
    string(out, ioc.kind.as_str())?;
    key(out, sep1, "value")?;
    string(out, &shown_value(ioc, options))?;
    key(out, sep1, "flags")?;
    key(out, open2, "defanged")?;
    out.write_all(if ioc.flags.defanged {
        b"true"
    } else {
        b"false"
    })?;
    key(out, sep2, "allowlisted")?;
    out.write_all(if ioc.flags.allowlisted {
        b"true"
    } else {
        b"false"
    })?;
    if let Some(scope) = ioc.flags.scope {
        key(out, sep2, "scope")?;
        string(out, scope.as_str())?;
    }
    if !ioc.flags.notes.is_empty() {
        key(out, sep2, "notes")?;
        let (open, sep, close): (&[u8], &[u8], &[u8]) = if pretty {
            (b"[\n          ", b",\n          ", b"\n        ]")
        } else {
            (b"[", b",", b"]")
        };
        for (i, name) in ioc.flags.notes.names().enumerate() {
            out.write_all(if i == 0 { open } else { sep })?;
            string(out, name)?;
        }
        out.write_all(close)?;
    }
    out.write_all(close2)?;
    key(out, sep1, "count")?;
    number(out, ioc.count)?;
    key(out, sep1, "sightings")?;
    if ioc.sightings.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[")?;
        for (i, s) in ioc.sightings.iter().enumerate() {
            if pretty {
                out.write_all(if i == 0 {
                    b"\n        "
                } else {
                    b",\n        "
                })?;
            } else if i > 0 {
                out.write_all(b",")?;
            }
            key(out, open3, "source")?;
            string(out, &s.source)?;
            if let Some(o) = s.offset {
                key(out, sep3, "offset")?;
                number(out, o)?;
            }
            if let Some(l) = s.line {
                key(out, sep3, "line")?;
                number(out, l)?;
            }
            if let Some(f) = &s.field {
                key(out, sep3, "field")?;
                string(out, f)?;
            }
            key(out, sep3, "encoding")?;
            string(out, encoding_name(s.encoding))?;
            if !s.context.is_empty() {
                key(out, sep3, "context")?;
                string(out, &s.context)?;
            }
            out.write_all(close3)?;
        }
        out.write_all(if pretty { b"\n      ]" } else { b"]" })?;
    }
    if !ioc.intel.is_empty() {
        // What the analyst's feeds know (`--intel`), on one line even in pretty output.
        key(out, sep1, "intel")?;
        serde_json::to_writer(&mut *out, &ioc.intel).map_err(io::Error::from)?;
    }
    out.write_all(close1)
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
    struct IocView<'a> {
        #[serde(rename = "type")]
        kind: IocKind,
        value: Cow<'a, str>,
        flags: &'a Flags,
        count: u64,
        sightings: &'a [Sighting],
    }

    fn view(ioc: &Ioc, options: OutputOptions) -> IocView<'_> {
        IocView {
            kind: ioc.kind,
            value: shown_value(ioc, options),
            flags: &ioc.flags,
            count: ioc.count,
            sightings: &ioc.sightings,
        }
    }

    fn samples() -> Vec<Ioc> {
        let sighting =
            |offset: Option<u64>, line: Option<u64>, field: Option<&str>, context: &str| Sighting {
                source: Arc::from("dir/a \"b\".log"),
                offset,
                line,
                field: field.map(str::to_string),
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
                sightings: vec![
                    sighting(Some(0), Some(1), None, "x\ty \u{1}"),
                    sighting(Some(99), None, Some("/a/0"), ""),
                    sighting(None, Some(7), Some("/b"), "ctx"),
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
                sightings: Vec::new(),
                intel: Vec::new(),
            },
        ]
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
                write_ioc(&ioc, options, Layout::Compact, &mut ours).expect("write");
                let theirs = serde_json::to_vec(&view(&ioc, options)).expect("serde");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
                let mut ours = Vec::new();
                write_ioc(&ioc, options, Layout::Pretty, &mut ours).expect("write");
                let mut theirs = Vec::new();
                write_indented(&mut Vec::new(), &view(&ioc, options), 4, &mut theirs)
                    .expect("serde");
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&theirs)
                );
            }
        }
    }
}
