//! Plain text output: `type<TAB>value` per line; control characters and bidirectional
//! overrides in values are visible escapes ([`crate::escape::terminal::field`]).

use super::{shown_value, OutputOptions};
use crate::extract::Extraction;
use crate::ioc::set::SortedIocs;
use crate::ioc::Ioc;
use std::borrow::Borrow;
use std::io::{self, Write};

/// Writes one indicator per line.
pub fn write(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_iocs(&extraction.iocs, options, out)
}

/// Bytes of lines gathered before they are handed to the output in one write (as large as
/// the file buffer of [`crate::output::write_to`], so that the write goes past it).
const BATCH: usize = 256 * 1024;

/// Writes one indicator per line, from any sequence of them.
pub fn write_iocs<I>(iocs: I, options: OutputOptions, out: &mut dyn Write) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: Borrow<Ioc>,
{
    let mut lines = Vec::with_capacity(256);
    for ioc in iocs {
        push_line(&mut lines, ioc.borrow(), options);
        if lines.len() >= BATCH {
            out.write_all(&lines)?;
            lines.clear();
        }
    }
    out.write_all(&lines)
}

/// Writes the indicators of a sorted stream one per line, each lent by the stream (no copy
/// of an indicator).
pub fn write_stream(
    iocs: &mut SortedIocs,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut lines = Vec::with_capacity(4096);
    while let Some(ioc) = iocs.next_ref() {
        push_line(&mut lines, ioc, options);
        if lines.len() >= BATCH {
            out.write_all(&lines)?;
            lines.clear();
        }
    }
    out.write_all(&lines)
}

/// Appends the line of one indicator.
fn push_line(line: &mut Vec<u8>, ioc: &Ioc, options: OutputOptions) {
    line.extend_from_slice(ioc.kind.as_str().as_bytes());
    line.push(b'\t');
    push_field(line, &shown_value(ioc, options));
    // What the `--intel` feeds know, a column only when they know something.
    for h in &ioc.intel {
        line.extend_from_slice(b"\tknown to ");
        push_field(line, &h.describe());
    }
    line.push(b'\n');
}

/// Appends `value` with its unsafe characters escaped ([`crate::escape::terminal::field`];
/// printable ASCII, the common case, needs no look at each character).
fn push_field(line: &mut Vec<u8>, value: &str) {
    if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        line.extend_from_slice(value.as_bytes());
    } else {
        line.extend_from_slice(crate::escape::terminal::field(value).as_bytes());
    }
}
