//! How a sample was built: the compiler and language (MSVC with its Visual Studio release,
//! mingw, Go, Rust, Delphi, .NET, Nim), and the packager or installer around it
//! (PyInstaller, AutoIt, NSIS, Inno Setup), each with a version where the file records one
//! and the evidence that named it.
//!
//! Markers (strings, section names, imports, resources) come from `data/toolchains.txt`;
//! versions are read from the structures that hold them: the rich header and the optional
//! header's linker version (MSVC), Go's build-info blob and build id, the CLR metadata root
//! (.NET), PyInstaller's archive cookie, the `/rustc/<commit>/` paths Rust leaves, and the
//! installers' banners; for ELF and Mach-O files, the compilers and linkers their build
//! records name (`build_records.rs`: `.comment`, `LC_BUILD_VERSION`). Rules and IOC
//! filtering read this fact.

use super::resources::Resource;
use super::{FoundString, Import, Section};
pub use crate::findings::triage::Toolchain;
use std::sync::OnceLock;

/// Where a marker is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    String,
    Section,
    Import,
    Resource,
}

#[derive(Debug, Default)]
struct Table {
    /// (toolchain, kind, source, pattern)
    markers: Vec<(String, String, Source, String)>,
    /// (linker-version prefix, product)
    msvc: Vec<(String, String)>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| parse_table(include_str!("../../data/toolchains.txt")))
}

fn parse_table(text: &str) -> Table {
    let mut t = Table::default();
    let mut part = "";
    for line in text.lines() {
        let e = line.trim();
        if e.is_empty() || e.starts_with('#') {
            continue;
        }
        if let Some(p) = e.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            part = match p {
                "markers" => "markers",
                "msvc" => "msvc",
                _ => "",
            };
            continue;
        }
        match part {
            "markers" => {
                let mut it = e.splitn(4, ' ');
                let (Some(name), Some(kind), Some(source), Some(pattern)) =
                    (it.next(), it.next(), it.next(), it.next())
                else {
                    continue;
                };
                let source = match source {
                    "string" => Source::String,
                    "section" => Source::Section,
                    "import" => Source::Import,
                    "resource" => Source::Resource,
                    _ => continue,
                };
                t.markers
                    .push((name.into(), kind.into(), source, pattern.to_string()));
            }
            "msvc" => {
                if let Some((v, product)) = e.split_once(' ') {
                    t.msvc.push((v.into(), product.trim().into()));
                }
            }
            _ => {}
        }
    }
    t
}

/// Toolchains only PE files have (a `GCC: (GNU)` string in an ELF file is not mingw).
const PE_ONLY: &[&str] = &[
    "msvc",
    "mingw",
    "dotnet",
    "delphi",
    "autoit",
    "nsis",
    "inno-setup",
];

/// What [`detect`] looks at.
pub struct Input<'a> {
    /// The whole file.
    pub data: &'a [u8],
    /// The file is a PE.
    pub pe: bool,
    /// Sections.
    pub sections: &'a [Section],
    /// Imports.
    pub imports: &'a [Import],
    /// Strings found in the file.
    pub strings: &'a [FoundString],
    /// PE resources.
    pub resources: &'a [Resource],
}

type Found = std::collections::BTreeMap<String, Toolchain>;

/// Adds `evidence` for toolchain `name` (at most five pieces each).
fn add(found: &mut Found, name: &str, kind: &str, evidence: String) {
    let e = found.entry(name.to_string()).or_insert_with(|| Toolchain {
        name: name.into(),
        kind: kind.into(),
        version: None,
        detail: None,
        evidence: Vec::new(),
    });
    if !e.evidence.contains(&evidence) && e.evidence.len() < 5 {
        e.evidence.push(evidence);
    }
}

/// The toolchains `input` shows, sorted by name.
pub fn detect(input: &Input) -> Vec<Toolchain> {
    let t = table();
    let mut found: Found = Default::default();
    // Strings: one pass over the strings with every string pattern.
    let string_markers: Vec<&(String, String, Source, String)> = t
        .markers
        .iter()
        .filter(|m| m.2 == Source::String && (input.pe || !PE_ONLY.contains(&m.0.as_str())))
        .collect();
    if let Ok(ac) = aho_corasick::AhoCorasick::new(string_markers.iter().map(|m| m.3.as_str())) {
        let mut seen = vec![false; string_markers.len()];
        for s in input.strings {
            for m in ac.find_overlapping_iter(s.value.as_str()) {
                let i = m.pattern().as_usize();
                if !seen[i] {
                    seen[i] = true;
                    let (name, kind, _, pattern) = string_markers[i];
                    add(
                        &mut found,
                        name,
                        kind,
                        format!("string \"{pattern}\" at {:#x}", s.offset),
                    );
                }
            }
        }
    }
    for (name, kind, source, pattern) in &t.markers {
        if !input.pe && PE_ONLY.contains(&name.as_str()) {
            continue;
        }
        match source {
            Source::String => {}
            Source::Section => {
                if input.sections.iter().any(|s| &s.name == pattern) {
                    add(&mut found, name, kind, format!("section {pattern}"));
                }
            }
            Source::Import => {
                let (dll, func) = pattern.split_once('!').unwrap_or((pattern, ""));
                if input.imports.iter().any(|i| {
                    i.library.eq_ignore_ascii_case(dll)
                        && (func.is_empty() || i.name.as_deref() == Some(func))
                }) {
                    add(&mut found, name, kind, format!("import {pattern}"));
                }
            }
            Source::Resource => {
                if input.resources.iter().any(|r| &r.name == pattern) {
                    add(&mut found, name, kind, format!("resource {pattern}"));
                }
            }
        }
    }
    if input.pe {
        if let Some((version, product, evidence)) = msvc(input.data) {
            add(&mut found, "msvc", "compiler", evidence);
            if let Some(e) = found.get_mut("msvc") {
                e.version = Some(version);
                e.detail = product;
            }
        }
    }
    if let Some(tc) = found.get_mut("go") {
        let (version, build_id) = go_version(input.data, input.strings);
        tc.version = version;
        tc.detail = build_id.map(|b| format!("build id {b}"));
    }
    if let Some(tc) = found.get_mut("rust") {
        tc.detail = input.strings.iter().find_map(|s| {
            let at = s.value.find("/rustc/")?;
            let hash = s.value.get(at + 7..at + 47)?;
            hash.bytes()
                .all(|b| b.is_ascii_hexdigit())
                .then(|| format!("rustc commit {hash}"))
        });
    }
    if input.pe {
        if let Some(v) = clr_version(input.data, input.sections) {
            add(&mut found, "dotnet", "runtime", "CLR runtime header".into());
            if let Some(e) = found.get_mut("dotnet") {
                e.version = Some(v);
            }
        }
    }
    if let Some((python, evidence)) = pyinstaller_cookie(input.data) {
        add(&mut found, "pyinstaller", "packager", evidence);
        if let Some(e) = found.get_mut("pyinstaller") {
            e.detail = Some(format!("Python {python}"));
        }
    }
    for (name, banner) in [
        ("nsis", "Nullsoft Install System v"),
        ("inno-setup", "Inno Setup Setup Data ("),
    ] {
        if let Some(tc) = found.get_mut(name) {
            tc.version = input.strings.iter().find_map(|s| {
                let at = s.value.find(banner)?;
                let rest = &s.value[at + banner.len()..];
                let v: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                    .collect();
                (!v.is_empty()).then_some(v)
            });
        }
    }
    // mingw without a rich header and with a GNU linker version (2.x).
    if input.pe && !found.contains_key("msvc") && !found.contains_key("mingw") {
        if let Some((major, minor)) = linker_version(input.data) {
            let crt = input.imports.iter().any(|i| {
                i.library.eq_ignore_ascii_case("msvcrt.dll")
                    && matches!(i.name.as_deref(), Some("__getmainargs" | "__set_app_type"))
            });
            if major == 2 && crt {
                add(
                    &mut found,
                    "mingw",
                    "compiler",
                    format!("GNU linker version {major}.{minor} and msvcrt start-up imports"),
                );
            }
        }
    }
    if let Some(tc) = found.get_mut("mingw") {
        tc.version = input.strings.iter().find_map(|s| {
            let at = s.value.find("GCC: (GNU) ")?;
            let v = s.value[at + 11..].split_whitespace().next()?;
            Some(v.to_string())
        });
    }
    // ELF `.comment` and Mach-O `LC_BUILD_VERSION`: compilers and linkers with versions
    if !input.pe {
        let records = if input.data.starts_with(b"\x7fELF") {
            super::build_records::elf_comment(input.data, input.sections)
        } else {
            super::build_records::macho_build_version(input.data)
        };
        for r in records {
            add(&mut found, &r.name, r.kind, r.evidence);
            if let Some(tc) = found.get_mut(&r.name) {
                tc.version = tc.version.take().or(r.version);
                tc.detail = tc.detail.take().or(r.detail);
            }
        }
    }
    found.into_values().collect()
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// The optional header's linker version.
fn linker_version(data: &[u8]) -> Option<(u8, u8)> {
    let pe = u32_at(data, 0x3c)? as usize;
    let opt = pe.checked_add(24)?;
    Some((*data.get(opt + 2)?, *data.get(opt + 3)?))
}

/// One rich header entry: product id, build, count.
pub type RichEntry = (u16, u16, u32);

/// The decoded entries of the rich header (between `DanS` and `Rich`).
pub fn rich_entries(data: &[u8]) -> Option<Vec<RichEntry>> {
    let pe = u32_at(data, 0x3c)? as usize;
    let stub = data.get(0x40..pe.min(data.len()))?;
    let rich = stub.windows(4).position(|w| w == b"Rich")?;
    let key = u32_at(stub, rich + 4)?;
    let mut start = None;
    let mut i = rich;
    while i >= 4 {
        i -= 4;
        if u32_at(stub, i)? ^ key == u32::from_le_bytes(*b"DanS") {
            start = Some(i);
            break;
        }
    }
    let mut at = start? + 16;
    let mut out = Vec::new();
    while at + 8 <= rich {
        let id = u32_at(stub, at)? ^ key;
        let count = u32_at(stub, at + 4)? ^ key;
        out.push(((id >> 16) as u16, (id & 0xffff) as u16, count));
        at += 8;
    }
    Some(out)
}

/// MSVC from the rich header: (version, Visual Studio release, evidence).
fn msvc(data: &[u8]) -> Option<(String, Option<String>, String)> {
    let entries = rich_entries(data)?;
    let (major, minor) = linker_version(data)?;
    // The linker is the last tool to write an entry; its build is the toolset's.
    let build = entries.last().map(|e| e.1).unwrap_or(0);
    let version = format!("{major}.{minor:02}.{build}");
    let linker = format!("{major}.{minor:02}");
    let product = table()
        .msvc
        .iter()
        .filter(|(prefix, _)| linker.starts_with(prefix.as_str()))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, p)| p.clone());
    Some((
        version,
        product,
        format!(
            "rich header ({} entries), linker {linker}, build {build}",
            entries.len()
        ),
    ))
}

/// Go's version (from the build-info blob, or a `go1.N` string) and build id.
fn go_version(data: &[u8], strings: &[FoundString]) -> (Option<String>, Option<String>) {
    let mut version = None;
    if let Some(at) = memchr::memmem::find(data, b"\xff Go buildinf:") {
        // Go 1.18+: flags bit 2 means the version string follows inline at offset 32,
        // preceded by its length as a varint.
        if data.get(at + 15).is_some_and(|f| f & 2 != 0) {
            let mut p = at + 32;
            let mut len = 0usize;
            let mut shift = 0;
            while let Some(&b) = data.get(p) {
                len |= usize::from(b & 0x7f) << shift;
                p += 1;
                shift += 7;
                if b & 0x80 == 0 || shift > 28 {
                    break;
                }
            }
            if let Some(v) = data.get(p..p.saturating_add(len)) {
                let v = String::from_utf8_lossy(v);
                if v.starts_with("go1") || v.starts_with("devel") {
                    version = Some(v.into_owned());
                }
            }
        }
    }
    if version.is_none() {
        version = strings.iter().find_map(|s| {
            let v = s.value.trim();
            let rest = v.strip_prefix("go1.")?;
            (rest.len() <= 8 && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
                .then(|| v.to_string())
        });
    }
    let build_id = strings.iter().find_map(|s| {
        let at = s.value.find("Go build ID: \"")?;
        let rest = &s.value[at + 14..];
        Some(rest.split('"').next()?.to_string())
    });
    (version, build_id)
}

/// The CLR metadata version string (`v4.0.30319`) of a .NET assembly.
fn clr_version(data: &[u8], sections: &[Section]) -> Option<String> {
    let root = super::dotnet::metadata_root(data, sections)?;
    super::dotnet::runtime_version(data, root)
}

/// PyInstaller's archive cookie (`MEI\x0c\x0b\x0a\x0b\x0e`) near the end of the file: the
/// Python version it needs, and evidence.
fn pyinstaller_cookie(data: &[u8]) -> Option<(String, String)> {
    const MAGIC: &[u8] = b"MEI\x0c\x0b\x0a\x0b\x0e";
    let tail_start = data.len().saturating_sub(64 << 10);
    let at = memchr::memmem::rfind(&data[tail_start..], MAGIC)? + tail_start;
    // magic, package length, TOC offset, TOC length, Python version (e.g. 311), library.
    let pyver = u32::from_be_bytes(data.get(at + 20..at + 24)?.try_into().ok()?);
    let python = if pyver >= 100 {
        format!("{}.{}", pyver / 100, pyver % 100)
    } else {
        format!("{}.{}", pyver / 10, pyver % 10)
    };
    Some((python, format!("archive cookie at {at:#x}")))
}

/// Whether a domain found in a Go binary is a Go symbol (`runtime.gopark`, `time.Now`,
/// `go.shape.int`): written with a capital letter, or its first label a Go package
/// (`data/go-packages.txt`) and its top-level label not `com`, `net` or `org`. `raw` is the
/// text as the file holds it (the IOC value is lower-cased).
pub fn go_symbol(value: &str, raw: &[u8]) -> bool {
    static PACKAGES: std::sync::OnceLock<crate::tables::WordSet> = std::sync::OnceLock::new();
    let packages = PACKAGES
        .get_or_init(|| crate::tables::WordSet::parse(include_str!("../../data/go-packages.txt")));
    if raw.iter().any(u8::is_ascii_uppercase) {
        return true;
    }
    let first = value.split('.').next().unwrap_or("");
    let last = value.rsplit('.').next().unwrap_or("");
    packages.contains(first) && !matches!(last, "com" | "net" | "org")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ioc::Encoding;

    fn s(v: &str) -> FoundString {
        FoundString {
            offset: 0x400,
            encoding: Encoding::Ascii,
            section: None,
            value: v.into(),
            tags: Vec::new(),
        }
    }

    #[test]
    fn table_parses() {
        let t = table();
        assert!(t.markers.len() > 20);
        assert!(t.msvc.iter().any(|(v, _)| v == "14.2"));
        for (name, kind, _, _) in &t.markers {
            assert!(
                matches!(
                    kind.as_str(),
                    "compiler" | "runtime" | "packager" | "installer"
                ),
                "{name}: {kind}"
            );
        }
    }

    #[test]
    fn markers_and_versions() {
        let strings = [
            s("Go build ID: \"abc/def\""),
            s("go1.22.4"),
            s("/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/std/src/panicking.rs"),
            s("Nullsoft Install System v3.08"),
        ];
        let found = detect(&Input {
            data: b"",
            pe: false,
            sections: &[],
            imports: &[],
            strings: &strings,
            resources: &[],
        });
        let names: Vec<&str> = found.iter().map(|t| t.name.as_str()).collect();
        // NSIS is a PE-only toolchain: not reported for a file that is not a PE.
        assert_eq!(names, ["go", "rust"]);
        assert_eq!(found[0].version.as_deref(), Some("go1.22.4"));
        assert_eq!(found[0].detail.as_deref(), Some("build id abc/def"));
        assert_eq!(
            found[1].detail.as_deref(),
            Some("rustc commit 90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf")
        );
        let found = detect(&Input {
            data: b"",
            pe: true,
            sections: &[],
            imports: &[],
            strings: &strings[3..],
            resources: &[],
        });
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name, "nsis");
        assert_eq!(found[0].version.as_deref(), Some("3.08"));
    }

    #[test]
    fn go_buildinfo_version() {
        let mut data = vec![0u8; 64];
        data.extend_from_slice(b"\xff Go buildinf:");
        data.push(8);
        data.push(2);
        data.resize(64 + 32, 0);
        data.push(8);
        data.extend_from_slice(b"go1.21.5");
        data.resize(256, 0);
        assert_eq!(go_version(&data, &[]).0.as_deref(), Some("go1.21.5"));
    }

    #[test]
    fn pyinstaller_cookie_names_python() {
        let mut data = vec![0u8; 100];
        data.extend_from_slice(b"MEI\x0c\x0b\x0a\x0b\x0e");
        data.extend_from_slice(&[0; 12]);
        data.extend_from_slice(&311u32.to_be_bytes());
        data.extend_from_slice(b"python311.dll");
        data.resize(300, 0);
        assert_eq!(
            pyinstaller_cookie(&data).map(|p| p.0).as_deref(),
            Some("3.11")
        );
    }
}
