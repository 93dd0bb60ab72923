//! CSV output: one row per indicator, with its first sighting's provenance. Cells from the
//! inputs (value, source, field, context) go through [`crate::escape::csv::cell`], so a
//! spreadsheet never evaluates them as formulas.

use super::{shown_value, OutputOptions};
use crate::escape::csv::cell;
use crate::extract::Extraction;
use crate::ioc::Ioc;
use std::borrow::Borrow;
use std::io::{self, Write};

/// Column names, in order.
pub const HEADER: [&str; 12] = [
    "type",
    "value",
    "scope",
    "defanged",
    "allowlisted",
    "count",
    "source",
    "offset",
    "line",
    "field",
    "encoding",
    "context",
];

/// Writes the CSV table.
pub fn write(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_iocs(&extraction.iocs, options, out)
}

/// Writes the CSV table from any sequence of indicators.
pub fn write_iocs<I>(iocs: I, options: OutputOptions, out: &mut dyn Write) -> io::Result<()>
where
    I: IntoIterator,
    I::Item: Borrow<Ioc>,
{
    let mut w = ::csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for ioc in iocs {
        let ioc = ioc.borrow();
        let first = ioc.sightings.first();
        let opt = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
        w.write_record([
            ioc.kind.as_str().to_string(),
            cell(&shown_value(ioc, options)).into_owned(),
            ioc.flags
                .scope
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            ioc.flags.defanged.to_string(),
            ioc.flags.allowlisted.to_string(),
            ioc.count.to_string(),
            first
                .map(|s| cell(&s.source).into_owned())
                .unwrap_or_default(),
            opt(first.and_then(|s| s.offset)),
            opt(first.and_then(|s| s.line)),
            first
                .and_then(|s| s.field.as_deref().map(|f| cell(f).into_owned()))
                .unwrap_or_default(),
            first
                .map(|s| match s.encoding {
                    crate::ioc::Encoding::Ascii => "ascii",
                    crate::ioc::Encoding::Utf16le => "utf16le",
                })
                .unwrap_or_default()
                .to_string(),
            first
                .map(|s| cell(&s.context).into_owned())
                .unwrap_or_default(),
        ])?;
    }
    w.flush()
}
