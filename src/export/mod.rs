//! Output formats for extracted indicators.
//!
//! Exporters take finished findings and only format them; they never re-extract. Every
//! format is deterministic: the same findings always give the same bytes.

pub mod csv;
pub mod findings;
pub mod json;
pub mod misp;
pub mod stix;
pub mod text;

use crate::extract::{Extraction, SortedExtraction};
use std::borrow::Cow;
use std::io::{self, Write};

/// The formats `spoor extract` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// One JSON document: sources, errors and indicators (schema `spoor.iocs/2`).
    Json,
    /// One JSON object per indicator per line.
    Ndjson,
    /// One row per indicator with its first sighting's provenance.
    Csv,
    /// `type<TAB>value` per line, for people and shell pipelines.
    Text,
    /// A STIX 2.1 bundle (observables, indicators with patterns, the analysis).
    Stix,
    /// A MISP event (attributes, tags).
    Misp,
}

/// Output settings shared by every format.
#[derive(Debug, Clone, Copy, Default)]
pub struct OutputOptions {
    /// Write network indicators defanged (`hxxp`, `[.]`) for safe sharing (JSON, NDJSON,
    /// CSV, text; STIX and MISP always carry the plain value, as importers expect).
    pub defang: bool,
    /// Creation time and sharing label for STIX and MISP.
    pub exchange: ExchangeOptions,
}

/// Settings of the threat-intelligence formats (STIX, MISP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExchangeOptions {
    /// Creation time of every object, in milliseconds since 1970 (UTC).
    pub created_ms: i64,
    /// Traffic Light Protocol label.
    pub tlp: Tlp,
}

impl Default for ExchangeOptions {
    fn default() -> Self {
        ExchangeOptions {
            created_ms: 0,
            tlp: Tlp::Amber,
        }
    }
}

/// Command-line options of the threat-intelligence formats, shared by the subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct ExchangeArgs {
    /// STIX/MISP: creation time of every object (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.sss]Z`
    /// or seconds since 1970); default `SOURCE_DATE_EPOCH`, else now. Fix it for
    /// byte-identical output.
    #[arg(long, value_name = "TIME", value_parser = crate::dates::parse_timestamp)]
    pub date: Option<i64>,
    /// STIX/MISP: Traffic Light Protocol label.
    #[arg(long, value_enum, default_value = "amber")]
    pub tlp: Tlp,
}

impl ExchangeArgs {
    /// The options these arguments ask for.
    pub fn options(&self) -> ExchangeOptions {
        ExchangeOptions {
            created_ms: self.date.unwrap_or_else(default_created_ms),
            tlp: self.tlp,
        }
    }
}

/// Traffic Light Protocol labels (the four STIX 2.1 defines; `clear` is TLP 2.0's name for
/// `white`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Tlp {
    /// Unlimited disclosure.
    #[value(alias = "white")]
    Clear,
    /// The community.
    Green,
    /// The recipients' organisations.
    Amber,
    /// The named recipients only.
    Red,
}

impl Tlp {
    /// The lower-case label (`clear`, `green`, `amber`, `red`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::Red => "red",
        }
    }
}

/// Writes `extraction` in `format`.
pub fn write(
    format: OutputFormat,
    extraction: &Extraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => json::write_document(extraction, options, out),
        OutputFormat::Ndjson => json::write_lines(extraction, options, out),
        OutputFormat::Csv => csv::write(extraction, options, out),
        OutputFormat::Text => text::write(extraction, options, out),
        OutputFormat::Stix => {
            let findings = findings::ExchangeFindings::from_extraction(extraction);
            stix::write(&findings, options.exchange, out)
        }
        OutputFormat::Misp => {
            let findings = findings::ExchangeFindings::from_extraction(extraction);
            misp::write(&findings, options.exchange, out)
        }
    }
}

/// Writes a sorted extraction in `format`, reading its indicators one at a time (JSON,
/// NDJSON, CSV, text: memory stays bounded; STIX and MISP read them all first). Returns why
/// reading back the spilled indicators failed, if it did.
pub fn write_sorted(
    format: OutputFormat,
    extraction: SortedExtraction,
    options: OutputOptions,
    out: &mut dyn Write,
) -> io::Result<Option<String>> {
    let SortedExtraction {
        mut iocs,
        sources,
        errors,
    } = extraction;
    match format {
        OutputFormat::Json => {
            let names = iocs.source_names().to_vec();
            let mut doc = json::DocumentWriter::begin(&sources, &errors, &names, options, out)?;
            while let Some(ioc) = iocs.next_ref() {
                doc.ioc(ioc)?;
            }
            doc.finish()?;
        }
        OutputFormat::Ndjson => {
            let mut lines = json::LineWriter::new(options);
            while let Some(ioc) = iocs.next_ref() {
                lines.write(ioc, out)?;
            }
            lines.finish(out)?;
        }
        OutputFormat::Csv => csv::write_iocs(&mut iocs, options, out)?,
        OutputFormat::Text => text::write_stream(&mut iocs, options, out)?,
        OutputFormat::Stix | OutputFormat::Misp => {
            let whole = SortedExtraction {
                iocs,
                sources,
                errors,
            }
            .collect();
            write(format, &whole, options, out)?;
            return Ok(None);
        }
    }
    Ok(iocs.error().map(str::to_string))
}

/// `ms` (milliseconds since 1970, UTC) as an RFC 3339 timestamp with millisecond
/// precision: `2024-03-12T10:00:00.000Z`.
pub fn timestamp(ms: i64) -> String {
    crate::dates::rfc3339_ms(ms)
}

/// The creation time to use when the user gave none: `SOURCE_DATE_EPOCH` (seconds) when
/// set, for reproducible builds of shared files, else the clock, in milliseconds.
pub fn default_created_ms() -> i64 {
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        return secs.saturating_mul(1000);
    }
    crate::dates::now_ms()
}

/// A deterministic UUID (version 5) for spoor's own objects: `parts` joined by `|`, in
/// spoor's namespace. The same content always gives the same id.
pub fn stable_uuid(parts: &[&str]) -> uuid::Uuid {
    uuid::Uuid::new_v5(&SPOOR_NAMESPACE, parts.join("|").as_bytes())
}

/// spoor's UUID namespace: UUIDv5 of the name `spoor` in the RFC 4122 URL namespace.
pub static SPOOR_NAMESPACE: std::sync::LazyLock<uuid::Uuid> =
    std::sync::LazyLock::new(|| uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, b"spoor"));

/// How one indicator kind is exported (a row of `data/export-types.txt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportType {
    /// spoor's kind name.
    pub kind: String,
    /// MISP attribute type, `None` when the kind is not a MISP attribute.
    pub misp_type: Option<String>,
    /// MISP category.
    pub misp_category: String,
    /// MISP `to_ids`.
    pub to_ids: bool,
}

/// The rows of `data/export-types.txt`, by kind name.
pub fn export_types() -> &'static std::collections::BTreeMap<String, ExportType> {
    static TABLE: std::sync::OnceLock<std::collections::BTreeMap<String, ExportType>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = std::collections::BTreeMap::new();
        for line in crate::tables::entries(include_str!("../../data/export-types.txt")) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (Some(kind), Some(misp), Some(to_ids)) =
                (words.first(), words.get(1), words.last())
            else {
                continue;
            };
            let category = words
                .get(2..words.len().saturating_sub(1))
                .unwrap_or(&[])
                .join(" ");
            map.insert(
                kind.to_string(),
                ExportType {
                    kind: kind.to_string(),
                    misp_type: (*misp != "-").then(|| misp.to_string()),
                    misp_category: category,
                    to_ids: *to_ids == "true",
                },
            );
        }
        map
    })
}

/// The value as it should be shown under `options`.
pub fn shown_value(ioc: &crate::ioc::Ioc, options: OutputOptions) -> Cow<'_, str> {
    if options.defang {
        Cow::Owned(ioc.defanged_value())
    } else {
        Cow::Borrowed(&ioc.value)
    }
}
