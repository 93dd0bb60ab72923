//! JSON and NDJSON output (schema `spoor.iocs/1`, documented in `docs/ioc-schema.md`).

use super::{shown_value, OutputOptions};
use crate::extract::Extraction;
use crate::ioc::Ioc;
use serde::Serialize;
use std::io::{self, Write};

/// Name and version of the document schema.
pub const SCHEMA: &str = "spoor.iocs/1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    tool: String,
    sources: &'a [crate::extract::SourceReport],
    errors: Vec<ErrorEntry<'a>>,
    iocs: Vec<Ioc>,
}

#[derive(Serialize)]
struct ErrorEntry<'a> {
    source: &'a str,
    message: &'a str,
}

fn shown(extraction: &Extraction, options: OutputOptions) -> Vec<Ioc> {
    extraction
        .iocs
        .iter()
        .map(|ioc| Ioc {
            value: shown_value(ioc, options),
            ..ioc.clone()
        })
        .collect()
}

/// Writes one pretty-printed JSON document.
pub fn write_document(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let doc = Document {
        schema: SCHEMA,
        tool: format!("spoor {}", env!("CARGO_PKG_VERSION")),
        sources: &extraction.sources,
        errors: extraction
            .errors
            .iter()
            .map(|e| ErrorEntry {
                source: &e.source,
                message: &e.message,
            })
            .collect(),
        iocs: shown(extraction, options),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

/// Writes one compact JSON object per indicator per line.
pub fn write_lines(
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    for ioc in shown(extraction, options) {
        serde_json::to_writer(&mut *out, &ioc)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
