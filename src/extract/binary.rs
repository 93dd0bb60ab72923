//! IOCs of an executable for `spoor extract`: instead of scanning the raw bytes, the
//! extractor runs over triage's strings (ASCII and UTF-16LE), so each sighting carries the
//! string's file offset, its encoding and, in the sighting's `field`, the section holding
//! it (`section .rdata`).

use super::Extractor;
use crate::ioc::set::IocSet;
use crate::ioc::Sighting;
use crate::sample::{self, sniff, strings, Mapped, Regions, SampleFormat};
use std::path::Path;

/// The `field` of a sighting in section `name`.
pub fn section_field(name: &str) -> String {
    format!("section {name}")
}

/// What [`extract_file`] found.
#[derive(Debug)]
pub struct BinaryIocs {
    /// The indicators, ready to merge with other sources'.
    pub set: IocSet,
    /// Bytes of the file.
    pub bytes: u64,
    /// Sightings found.
    pub hits: u64,
}

/// IOCs of the executable at `path` through its strings, or `None` when it is not a
/// regular PE, ELF or Mach-O file, cannot be opened, or is larger than `max_bytes` (0: no
/// limit), so that the caller scans it as a byte stream instead. `max_sightings` as in [`IocSet::new`].
pub fn extract_file(
    path: &Path,
    name: &str,
    extractor: &Extractor,
    max_bytes: u64,
    max_sightings: usize,
) -> Option<BinaryIocs> {
    // Regular files only: a pipe read here would be consumed for the byte-stream fallback.
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let limit = if max_bytes == 0 { u64::MAX } else { max_bytes };
    let data = Mapped::open(path, limit).ok()?;
    if sniff(&data) == SampleFormat::Unknown {
        return None;
    }
    let (set, hits) = extract(name, &data, extractor, max_sightings);
    Some(BinaryIocs {
        set,
        bytes: data.len() as u64,
        hits,
    })
}

/// IOCs of an executable held in memory, through its strings (see the module comment);
/// returns the set and the number of sightings.
pub fn extract(
    name: &str,
    data: &[u8],
    extractor: &Extractor,
    max_sightings: usize,
) -> (IocSet, u64) {
    let parsed = sample::parse(data, sniff(data));
    let regions = Regions::of(&parsed, data);
    let min_len = sample::TriageOptions::default().min_string_len;
    // One extraction over all the strings: the caller's extractor may read structured
    // logs, and a later stretch on its own could look like one.
    let mut all = strings::Text::default();
    strings::scan(data, min_len, &regions, &[], |text| all.append(text));
    extract_strings(name, &all, &regions, extractor, max_sightings)
}

/// IOCs of an executable from the strings triage already read
/// ([`sample::triage_with_strings`]) and its section ranges: the same result as
/// [`extract`] over the file, without reading it again.
pub fn extract_strings(
    name: &str,
    strings: &strings::Text,
    regions: &Regions,
    extractor: &Extractor,
    max_sightings: usize,
) -> (IocSet, u64) {
    let mut set = IocSet::new(max_sightings);
    let hits = add(name, extractor, strings, regions, &mut set);
    (set, hits)
}

/// Adds the IOCs of one stretch of the strings to `set`; returns the sightings found.
fn add(
    name: &str,
    extractor: &Extractor,
    text: &strings::Text,
    regions: &Regions,
    set: &mut IocSet,
) -> u64 {
    let mut hits = 0u64;
    for ioc in extractor.extract_plain(name, &text.bytes) {
        let defanged = ioc.flags.defanged;
        let notes = ioc.flags.notes;
        let mut kept = 0u64;
        for sighting in ioc.sightings {
            let Some((offset, string, encoding)) = sighting.offset.and_then(|p| text.locate(p))
            else {
                continue;
            };
            kept += 1;
            // an address's port goes back into the value, as the scanner wrote it
            set.add(
                ioc.kind,
                crate::ioc::join_port(ioc.kind, &ioc.value, sighting.port).into_owned(),
                defanged,
                notes,
                Sighting {
                    offset: Some(offset),
                    line: None,
                    field: regions.section_of(string).map(section_field),
                    encoding,
                    ..sighting
                },
            );
        }
        // Sightings beyond the cap were counted but not kept: count them again.
        for _ in kept..ioc.count {
            set.add_with(ioc.kind, ioc.value.clone(), defanged, notes, || {
                Sighting::unlocated(name.into())
            });
        }
        hits += ioc.count.max(kept);
    }
    hits
}
