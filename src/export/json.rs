//! JSON and NDJSON output (schema `spoor.iocs/1`, documented in `docs/ioc-schema.md`).

use super::{shown_value, OutputOptions};
use crate::extract::Extraction;
use crate::ioc::{Flags, IocKind, Sighting};
use serde::Serialize;
use std::borrow::Cow;
use std::io::{self, Write};

/// Name and version of the document schema.
pub const SCHEMA: &str = "spoor.iocs/1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    tool: String,
    sources: &'a [crate::extract::SourceReport],
    errors: Vec<ErrorEntry<'a>>,
    iocs: Vec<IocView<'a>>,
}

#[derive(Serialize)]
struct ErrorEntry<'a> {
    source: &'a str,
    message: &'a str,
}

/// An indicator as serialised: the stored one, with its value defanged on request.
#[derive(Serialize)]
struct IocView<'a> {
    #[serde(rename = "type")]
    kind: IocKind,
    value: Cow<'a, str>,
    flags: &'a Flags,
    count: u64,
    sightings: &'a [Sighting],
}

fn shown(extraction: &Extraction, options: OutputOptions) -> Vec<IocView<'_>> {
    extraction
        .iocs
        .iter()
        .map(|ioc| IocView {
            kind: ioc.kind,
            value: shown_value(ioc, options),
            flags: &ioc.flags,
            count: ioc.count,
            sightings: &ioc.sightings,
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
