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
pub enum Format {
    /// One JSON document: sources, errors and indicators (schema `spoor.iocs/1`).
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
    #[arg(long, value_name = "TIME", value_parser = parse_timestamp)]
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
        Format::Stix => {
            let findings = findings::Findings::from_extraction(extraction);
            stix::write(&findings, options.exchange, out)
        }
        Format::Misp => {
            let findings = findings::Findings::from_extraction(extraction);
            misp::write(&findings, options.exchange, out)
        }
    }
}

/// Writes a sorted extraction in `format`, reading its indicators one at a time (JSON,
/// NDJSON, CSV, text: memory stays bounded; STIX and MISP read them all first). Returns why
/// reading back the spilled indicators failed, if it did.
pub fn write_sorted(
    format: Format,
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
        Format::Json => json::write_document_iocs(&sources, &errors, &mut iocs, options, out)?,
        Format::Ndjson => json::write_lines_iocs(&mut iocs, options, out)?,
        Format::Csv => csv::write_iocs(&mut iocs, options, out)?,
        Format::Text => text::write_iocs(&mut iocs, options, out)?,
        Format::Stix | Format::Misp => {
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
    let secs = ms.div_euclid(1000);
    let (y, m, d, hh, mm, ss) = crate::sample::pe::civil_from_unix(secs);
    format!(
        "{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{:03}Z",
        ms.rem_euclid(1000)
    )
}

/// Parses a creation time given by the user: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` or
/// `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC), or an integer of seconds since 1970. Returns
/// milliseconds since 1970.
pub fn parse_timestamp(text: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "bad date '{text}' (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS[.sss]Z or seconds since 1970)"
        )
    };
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<i64>()
            .ok()
            .and_then(|s| s.checked_mul(1000))
            .ok_or_else(bad);
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let s = t.get(r).ok_or_else(bad)?;
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let sep = |i: usize, c: u8| -> Result<(), String> {
        (t.as_bytes().get(i) == Some(&c))
            .then_some(())
            .ok_or_else(bad)
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    sep(4, b'-')?;
    sep(7, b'-')?;
    let (mut hh, mut mi, mut ss, mut ms) = (0, 0, 0, 0);
    if t.len() > 10 {
        sep(10, b'T')?;
        sep(13, b':')?;
        sep(16, b':')?;
        hh = num(11..13)?;
        mi = num(14..16)?;
        ss = num(17..19)?;
        let rest = t.get(19..).ok_or_else(bad)?;
        let frac = rest.strip_suffix('Z').ok_or_else(bad)?;
        if let Some(digits) = frac.strip_prefix('.') {
            if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad());
            }
            let first3: String = digits.chars().chain("00".chars()).take(3).collect();
            ms = first3.parse().map_err(|_| bad())?;
        } else if !frac.is_empty() {
            return Err(bad());
        }
    } else if t.len() != 10 {
        return Err(bad());
    }
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || hh > 23 || mi > 59 || ss > 60 {
        return Err(bad());
    }
    let days = days_from_civil(y, mo, d);
    let (cy, cm, cd, ..) = crate::sample::pe::civil_from_unix(days * 86_400);
    if (cy, cm, cd) != (y, mo, d) {
        return Err(bad());
    }
    Ok(((days * 86_400 + hh * 3600 + mi * 60 + ss) * 1000) + ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
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
