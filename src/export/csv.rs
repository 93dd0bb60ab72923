//! CSV output: one row per indicator, with its first sighting's provenance and what the
//! `--intel` feeds know of it. Cells from the inputs (value, source, field, context, the
//! feeds' entries) go through [`crate::escape::csv::cell`], so a spreadsheet never
//! evaluates them as formulas.

use super::{shown_value, OutputOptions};
use crate::escape::csv::cell;
use crate::extract::Extraction;
use crate::ioc::Ioc;
use std::borrow::Borrow;
use std::io::{self, Write};

/// Column names, in order.
pub const HEADER: [&str; 14] = [
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
    "intel",
    "ports",
];

/// The `intel` cell: every feed entry the indicator matched, as
/// `FEED (matched ...; tags ...; first seen ...; threat level ...)`, separated by ` | `;
/// empty when no feed knows it (or without `--intel`).
fn intel_cell(ioc: &Ioc) -> String {
    let joined = ioc
        .intel
        .iter()
        .map(|h| h.describe())
        .collect::<Vec<_>>()
        .join(" | ");
    cell(&joined).into_owned()
}

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
            intel_cell(ioc),
            // IPv4/IPv6: the ports written after the address, ascending, space-separated
            ioc.ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ])?;
    }
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioc::{IntelHit, IocKind};

    fn hit(feed: &str, matched: &str) -> IntelHit {
        IntelHit {
            feed: feed.to_string(),
            matched: matched.to_string(),
            tags: vec!["c2".to_string()],
            first_seen: Some("2026-09-01".to_string()),
            threat_level: None,
        }
    }

    #[test]
    fn the_intel_column_lists_every_hit_and_is_never_a_formula() {
        let mut ioc = Ioc {
            kind: IocKind::Ipv4,
            value: "198.51.100.9".to_string(),
            flags: Default::default(),
            count: 1,
            ports: Vec::new(),
            sightings: Vec::new(),
            intel: Vec::new(),
        };
        assert_eq!(intel_cell(&ioc), "");
        ioc.intel = vec![
            hit("team", "198.51.100.0/24"),
            hit("partner", "198.51.100.9"),
        ];
        assert_eq!(
            intel_cell(&ioc),
            "team (matched 198.51.100.0/24; tags c2; first seen 2026-09-01) | \
             partner (matched 198.51.100.9; tags c2; first seen 2026-09-01)"
        );
        ioc.intel = vec![hit("=HYPERLINK(\"http://example.com\")", "198.51.100.9")];
        assert!(intel_cell(&ioc).starts_with("'=HYPERLINK"));
        let mut out = Vec::new();
        write_iocs([&ioc], OutputOptions::default(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("type,value,"), "{text}");
        assert!(
            text.lines()
                .next()
                .unwrap()
                .ends_with(",context,intel,ports"),
            "{text}"
        );
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://example.com\"\")"),
            "{text}"
        );
    }
}
