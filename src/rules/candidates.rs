//! Candidate strings for rules, taken from a sample's triage report: its strings (with
//! section and offset), marked with what triage found about them (IOCs, PDB path, export
//! names, string tags). Only the triage report is read, never the sample again.

use crate::ioc::{Encoding, IocKind};
use crate::sample::Triage;
use std::collections::BTreeMap;

/// Shortest candidate, in characters.
pub const MIN_CANDIDATE_LEN: usize = 6;
/// Longest candidate, in characters (longer strings are not used whole).
pub const MAX_CANDIDATE_LEN: usize = 200;

/// One string that could go into a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The text (printable ASCII and tab).
    pub text: String,
    /// Seen as ASCII.
    pub ascii: bool,
    /// Seen as UTF-16LE.
    pub wide: bool,
    /// Section of the first sighting.
    pub section: Option<String>,
    /// File offset of the first sighting.
    pub offset: u64,
    /// The first sighting lies in an executable section.
    pub in_code: bool,
    /// What the string is: triage tags (`api`, `dll`, `url`, `registry`, `path`, `format`,
    /// `base64`, ...) plus `ioc:<type>`, `pdb`, `export`, `import` (an imported function's or
    /// library's name); and where it sits: `header` (PE headers and section table),
    /// `signature` (inside the PE certificate table), `manifest` / `version-info` (inside those
    /// resources), `structure` (relocation or exception table), `overlay` (after the last
    /// section), `dotnet-us` (a .NET assembly's `#US` user string: a literal of its code),
    /// `linked:CRATE` (among the strings of a statically linked third-party crate, see
    /// [`super::linked`]).
    pub tags: Vec<String>,
}

impl Candidate {
    /// A candidate in `.rdata` with these tags, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_test(text: &str, tags: &[&str]) -> Self {
        Candidate {
            text: text.into(),
            ascii: true,
            wide: false,
            section: Some(".rdata".into()),
            offset: 0,
            in_code: false,
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    /// Whether the candidate carries `tag`.
    pub fn has(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

/// Every candidate of a sample, one per distinct text (ASCII and UTF-16LE sightings of
/// the same text are merged), sorted by text.
pub fn from_triage(t: &Triage) -> Vec<Candidate> {
    let code_sections: Vec<&str> = t
        .sections
        .iter()
        .filter(|s| s.x)
        .map(|s| s.name.as_str())
        .collect();
    // IOC sightings → the string holding them.
    let mut ioc_at: Vec<(u64, &'static str)> = Vec::new();
    for ioc in &t.iocs {
        for s in &ioc.sightings {
            ioc_at.push((s.offset, ioc_tag(ioc.kind)));
        }
    }
    ioc_at.sort();
    let pdb = t.pe.as_ref().and_then(|p| p.pdb_path.clone());
    let exports: Vec<&str> =
        t.pe.as_ref()
            .map(|p| p.exports.iter().map(String::as_str).collect())
            .unwrap_or_default();
    let places = Places::of(t);
    let linked = super::linked::Neighbourhoods::of(t);
    let imported: std::collections::BTreeSet<&str> = t
        .imports
        .iter()
        .flat_map(|i| i.name.as_deref().into_iter().chain([i.library.as_str()]))
        .filter(|n| !n.is_empty())
        .collect();
    let user_strings: std::collections::BTreeSet<&str> =
        t.pe.as_ref()
            .and_then(|p| p.dotnet.as_ref())
            .map(|d| d.user_strings.iter().map(String::as_str).collect())
            .unwrap_or_default();
    let mut by_text: BTreeMap<&str, Candidate> = BTreeMap::new();
    for s in &t.strings {
        let len = s.value.len();
        if !(MIN_CANDIDATE_LEN..=MAX_CANDIDATE_LEN).contains(&len) || !s.value.is_ascii() {
            continue;
        }
        let width = if s.encoding == Encoding::Utf16le {
            2
        } else {
            1
        };
        let end = s.offset.saturating_add(len as u64 * width);
        let first = ioc_at.partition_point(|&(o, _)| o < s.offset);
        let iocs = ioc_at[first..].iter().take_while(|&&(o, _)| o < end);
        let entry = by_text
            .entry(s.value.as_str())
            .or_insert_with(|| Candidate {
                text: s.value.clone(),
                ascii: false,
                wide: false,
                section: s.section.clone(),
                offset: s.offset,
                in_code: s
                    .section
                    .as_deref()
                    .is_some_and(|n| code_sections.contains(&n)),
                tags: Vec::new(),
            });
        match s.encoding {
            Encoding::Utf16le => entry.wide = true,
            _ => entry.ascii = true,
        }
        for t in &s.tags {
            push_tag(&mut entry.tags, t);
        }
        for &(_, tag) in iocs {
            push_tag(&mut entry.tags, tag);
        }
        if pdb.as_deref().is_some_and(|p| s.value.contains(p)) {
            push_tag(&mut entry.tags, "pdb");
        }
        if exports.contains(&s.value.as_str()) {
            push_tag(&mut entry.tags, "export");
        }
        if let Some(place) = places.of_offset(s.offset) {
            push_tag(&mut entry.tags, place);
        }
        if s.encoding == Encoding::Utf16le && user_strings.contains(s.value.as_str()) {
            push_tag(&mut entry.tags, "dotnet-us");
        }
        if imported.contains(s.value.as_str()) {
            push_tag(&mut entry.tags, "import");
        }
        // Any sighting among a linked crate's strings makes the text that crate's.
        if let Some(krate) = linked.crate_of(s.section.as_deref(), s.offset) {
            if !entry.tags.iter().any(|t| t.starts_with("linked:")) {
                entry.tags.push(format!("linked:{krate}"));
            }
        }
        // Relocation and exception tables hold addresses, never text.
        if t.pe.is_some() && matches!(s.section.as_deref(), Some(".reloc" | ".pdata")) {
            push_tag(&mut entry.tags, "structure");
        }
    }
    by_text
        .into_values()
        .map(|mut c| {
            c.tags.sort();
            c
        })
        .collect()
}

/// Where in a PE file a string sits, when that says what it is.
struct Places {
    /// File ranges `[start, end)` with their tag, most specific first.
    ranges: Vec<(u64, u64, &'static str)>,
}

impl Places {
    fn of(t: &Triage) -> Self {
        let mut ranges = Vec::new();
        if let Some(pe) = &t.pe {
            for r in &pe.resources {
                let tag = match r.kind.as_str() {
                    "MANIFEST" => "manifest",
                    "VERSION" => "version-info",
                    _ => continue,
                };
                ranges.push((r.offset, r.offset.saturating_add(r.size), tag));
            }
            let first = t
                .sections
                .iter()
                .filter(|s| s.raw_size > 0)
                .map(|s| s.raw_offset)
                .min()
                .unwrap_or(0);
            ranges.push((0, first, "header"));
            let sections_end = t
                .sections
                .iter()
                .filter(|s| s.raw_size > 0)
                .map(|s| s.raw_offset.saturating_add(s.raw_size))
                .max()
                .unwrap_or(0);
            // Triage's overlay stops where a certificate table at the end of the file starts.
            let overlay_end = sections_end.saturating_add(pe.overlay_size);
            if pe.signed && overlay_end < t.size {
                ranges.push((overlay_end, t.size, "signature"));
            }
            if pe.overlay_size > 0 {
                ranges.push((sections_end, overlay_end, "overlay"));
            }
        }
        Places { ranges }
    }

    fn of_offset(&self, offset: u64) -> Option<&'static str> {
        self.ranges
            .iter()
            .find(|(start, end, _)| (*start..*end).contains(&offset))
            .map(|r| r.2)
    }
}

fn push_tag(tags: &mut Vec<String>, tag: &str) {
    if !tags.iter().any(|t| t == tag) {
        tags.push(tag.to_string());
    }
}

/// The tag for an IOC type.
fn ioc_tag(kind: IocKind) -> &'static str {
    match kind {
        IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 | IocKind::Sha512 => "ioc:hash",
        IocKind::Ipv4 | IocKind::Ipv6 => "ioc:ip",
        IocKind::Domain => "ioc:domain",
        IocKind::Url => "ioc:url",
        IocKind::Email => "ioc:email",
        IocKind::RegistryKey => "ioc:registry",
        IocKind::FilePath => "ioc:path",
        IocKind::Cve | IocKind::AttackTechnique => "ioc:reference",
        IocKind::Bitcoin | IocKind::Monero => "ioc:wallet",
    }
}

/// Whether the tags mark a network indicator (URL, domain, address, e-mail).
pub fn is_network(c: &Candidate) -> bool {
    ["ioc:url", "ioc:domain", "ioc:ip", "ioc:email"]
        .iter()
        .any(|t| c.has(t))
}
