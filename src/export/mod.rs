//! Output formats for extracted indicators.
//!
//! Exporters take finished findings and only format them; they never re-extract. Every
//! format is deterministic: the same findings always give the same bytes.

pub mod csv;
pub mod json;
pub mod text;

use crate::extract::Extraction;
use std::borrow::Cow;
use std::io::{self, Write};

/// The formats `spoor extract` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON document: sources, errors and indicators (schema `spoor.iocs/1`).
    Json,
    /// One JSON object per indicator per line.
    Ndjson,
    /// One row per indicator with its first sighting's provenance.
    Csv,
    /// `type<TAB>value` per line, for people and shell pipelines.
    Text,
}

/// Output settings shared by every format.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOptions {
    /// Write network indicators defanged (`hxxp`, `[.]`) for safe sharing.
    pub defang: bool,
}

/// Writes `extraction` in `format`.
pub fn write(
    format: Format,
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Json => json::write_document(extraction, options, out),
        Format::Ndjson => json::write_lines(extraction, options, out),
        Format::Csv => csv::write(extraction, options, out),
        Format::Text => text::write(extraction, options, out),
    }
}

/// The value as it should be shown under `options`.
pub fn shown_value(ioc: &crate::ioc::Ioc, options: OutputOptions) -> Cow<'_, str> {
    if options.defang {
        Cow::Owned(ioc.defanged_value())
    } else {
        Cow::Borrowed(&ioc.value)
    }
}
