//! What ELF and Mach-O files record about the tools that built them, for
//! [`super::toolchain`]: the `.comment` section of ELF files (`GCC: (GNU) 10.2.1 …`,
//! `clang version 18.1.0`, `rustc version 1.81.0 (…)`, `Linker: LLD 16.0.6`; Debian strips
//! it, manylinux wheels keep it) and the `LC_BUILD_VERSION` load command of Mach-O files
//! (the compiler and linker versions, the platform, the minimum OS and the SDK).
//!
//! Both are read from the raw bytes with every offset checked: a damaged file gives fewer
//! records, never a panic.

use super::Section;

/// One tool a file records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRecord {
    /// `gcc`, `clang`, `rust`, `swift`, `ld` (Mach-O's linker, Apple's or LLVM's), `lld`,
    /// `mold`, ...
    pub name: String,
    /// `compiler` or `linker`.
    pub kind: &'static str,
    /// The version the file records.
    pub version: Option<String>,
    /// The vendor's build (`Debian 12.2.0-14`), or the platform, minimum OS and SDK.
    pub detail: Option<String>,
    /// Where it was read.
    pub evidence: String,
}

/// Longest `.comment` section read.
const MAX_COMMENT: u64 = 64 << 10;
/// Most load commands read.
const MAX_COMMANDS: u32 = 4096;

/// The tools an ELF file's `.comment` section names, in the order first seen.
pub fn elf_comment(data: &[u8], sections: &[Section]) -> Vec<BuildRecord> {
    let Some(s) = sections.iter().find(|s| s.name == ".comment") else {
        return Vec::new();
    };
    let bytes = super::slice(data, s.raw_offset, s.raw_size.min(MAX_COMMENT));
    let mut out: Vec<BuildRecord> = Vec::new();
    for entry in bytes.split(|&b| b == 0) {
        let Ok(text) = std::str::from_utf8(entry) else {
            continue;
        };
        let text = text.trim();
        let Some(record) = comment_record(text) else {
            continue;
        };
        // objects built by several versions of one compiler: the highest version is kept
        match out.iter_mut().find(|r| r.name == record.name) {
            Some(r) => {
                if version_key(record.version.as_deref()) > version_key(r.version.as_deref()) {
                    r.version = record.version;
                    r.detail = record.detail;
                    r.evidence = record.evidence;
                }
            }
            None => out.push(record),
        }
    }
    out
}

/// One `.comment` entry read.
fn comment_record(text: &str) -> Option<BuildRecord> {
    let evidence = format!(
        ".comment \"{}\"",
        text.chars().take(100).collect::<String>()
    );
    if let Some(rest) = text.strip_prefix("GCC: ") {
        // `(Debian 12.2.0-14) 12.2.0`, `(GNU) 10.2.1 20210130 (Red Hat 10.2.1-11)`
        let (vendor, after) = match rest.strip_prefix('(') {
            Some(r) => r.split_once(')').map_or(("", r), |(v, a)| (v, a)),
            None => ("", rest),
        };
        let version = after.split_whitespace().next().filter(|v| is_version(v));
        let mut detail: Vec<&str> = Vec::new();
        if !vendor.is_empty() && vendor != "GNU" {
            detail.push(vendor);
        }
        // a distribution's build after the version: `(Red Hat 10.2.1-11)`
        if let Some(extra) = after
            .split_once('(')
            .and_then(|(_, e)| e.split_once(')'))
            .map(|(e, _)| e)
        {
            detail.push(extra);
        }
        return Some(BuildRecord {
            name: "gcc".into(),
            kind: "compiler",
            version: version.map(str::to_string),
            detail: (!detail.is_empty()).then(|| detail.join(", ")),
            evidence,
        });
    }
    if let Some(at) = text.find("clang version ") {
        let version = text[at + 14..]
            .split_whitespace()
            .next()
            .filter(|v| is_version(v));
        let vendor = text[..at].trim();
        return Some(BuildRecord {
            name: "clang".into(),
            kind: "compiler",
            version: version.map(str::to_string),
            detail: (!vendor.is_empty()).then(|| vendor.to_string()),
            evidence,
        });
    }
    if let Some(rest) = text.strip_prefix("rustc version ") {
        return Some(BuildRecord {
            name: "rust".into(),
            kind: "compiler",
            version: rest
                .split_whitespace()
                .next()
                .filter(|v| is_version(v))
                .map(str::to_string),
            detail: None,
            evidence,
        });
    }
    // `Linker: LLD 16.0.6`, `Linker: Debian LLD 14.0.6`, `mold 2.4.0 (…; compatible with GNU ld)`
    let linker = text
        .strip_prefix("Linker: ")
        .or_else(|| text.starts_with("mold ").then_some(text));
    if let Some(rest) = linker {
        let words: Vec<&str> = rest.split_whitespace().collect();
        // the linker's name is the word before its version; words before it, the vendor
        let at = words.iter().position(|w| is_version(w))?;
        let name = words.get(at.checked_sub(1)?)?.to_ascii_lowercase();
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') {
            return None;
        }
        let vendor = words[..at - 1].join(" ");
        return Some(BuildRecord {
            name,
            kind: "linker",
            version: Some(words[at].to_string()),
            detail: (!vendor.is_empty()).then_some(vendor),
            evidence,
        });
    }
    None
}

/// Starts with a digit and holds only version characters.
fn is_version(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_digit())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
}

/// The numeric parts of a version, for comparing (`None` lowest).
fn version_key(v: Option<&str>) -> Vec<u64> {
    v.map(|v| {
        v.split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    })
    .unwrap_or_default()
}

fn u32_of(data: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = data.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

/// A Mach-O version number (`xxxx.yy.zz` in nibbles), written as otool writes it.
fn macho_version(v: u32) -> String {
    let (major, minor, patch) = (v >> 16, (v >> 8) & 0xff, v & 0xff);
    if patch == 0 {
        format!("{major}.{minor}")
    } else {
        format!("{major}.{minor}.{patch}")
    }
}

/// A Mach-O build target as triage writes it: `macOS 11.0 minimum, SDK 14.2` (an SDK of 0,
/// which a linker records when it was told none, as Apple's ld 1053 did for some wheels of
/// the real goodware set, is not written).
pub fn target(platform: u32, minos: u32, sdk: u32) -> String {
    let mut out = format!(
        "{} {} minimum",
        platform_name(platform),
        macho_version(minos)
    );
    if sdk != 0 {
        out.push_str(", SDK ");
        out.push_str(&macho_version(sdk));
    }
    out
}

fn platform_name(p: u32) -> String {
    match p {
        1 => "macOS".into(),
        2 => "iOS".into(),
        3 => "tvOS".into(),
        4 => "watchOS".into(),
        5 => "bridgeOS".into(),
        6 => "Mac Catalyst".into(),
        7 => "iOS simulator".into(),
        8 => "tvOS simulator".into(),
        9 => "watchOS simulator".into(),
        10 => "DriverKit".into(),
        11 => "visionOS".into(),
        12 => "visionOS simulator".into(),
        p => format!("platform {p}"),
    }
}

/// The tools of a Mach-O file's `LC_BUILD_VERSION` (of the first slice of a universal file
/// that has them: an x86_64 slice built for older macOS has `LC_VERSION_MIN_MACOSX`, which
/// names no tool), each with the platform, minimum OS and SDK as its detail.
pub fn macho_build_version(data: &[u8]) -> Vec<BuildRecord> {
    if data.starts_with(&[0xca, 0xfe, 0xba, 0xbe]) {
        // universal (a Java class file has the same magic, and a version where the count of
        // slices would be)
        let slices = match u32_of(data, 4, true) {
            Some(n) if (1..=32).contains(&n) => n as usize,
            _ => return Vec::new(),
        };
        return (0..slices)
            .filter_map(|i| u32_of(data, 16 + 20 * i, true))
            .map(|offset| slice_build_version(data, offset as usize))
            .find(|r| !r.is_empty())
            .unwrap_or_default();
    }
    slice_build_version(data, 0)
}

/// [`macho_build_version`] of the Mach-O image at `base`.
fn slice_build_version(data: &[u8], base: usize) -> Vec<BuildRecord> {
    let (header_len, big_endian) = match data.get(base..base + 4) {
        Some([0xcf, 0xfa, 0xed, 0xfe]) => (32, false),
        Some([0xce, 0xfa, 0xed, 0xfe]) => (28, false),
        Some([0xfe, 0xed, 0xfa, 0xcf]) => (32, true),
        Some([0xfe, 0xed, 0xfa, 0xce]) => (28, true),
        _ => return Vec::new(),
    };
    let u32_at = |at: usize| u32_of(data, at, big_endian);
    let Some(ncmds) = u32_at(base + 16) else {
        return Vec::new();
    };
    let mut at = base + header_len;
    let mut out = Vec::new();
    for _ in 0..ncmds.min(MAX_COMMANDS) {
        let (Some(cmd), Some(size)) = (u32_at(at), u32_at(at + 4)) else {
            break;
        };
        if size < 8 {
            break;
        }
        // LC_BUILD_VERSION: platform, minos, sdk, ntools, then (tool, version) pairs
        if cmd == 0x32 {
            let (Some(platform), Some(minos), Some(sdk), Some(ntools)) = (
                u32_at(at + 8),
                u32_at(at + 12),
                u32_at(at + 16),
                u32_at(at + 20),
            ) else {
                break;
            };
            let detail = target(platform, minos, sdk);
            let tools = ntools.min((size.saturating_sub(24)) / 8);
            for i in 0..tools as usize {
                let (Some(tool), Some(version)) =
                    (u32_at(at + 24 + 8 * i), u32_at(at + 28 + 8 * i))
                else {
                    break;
                };
                let (name, kind) = match tool {
                    1 => ("clang", "compiler"),
                    2 => ("swift", "compiler"),
                    // `TOOL_LD`: Apple's ld64, and LLVM's ld64.lld writes it too
                    3 => ("ld", "linker"),
                    4 => ("lld", "linker"),
                    _ => continue,
                };
                let version = macho_version(version);
                out.push(BuildRecord {
                    name: name.into(),
                    kind,
                    evidence: format!("LC_BUILD_VERSION tool {name} {version}"),
                    version: Some(version),
                    detail: Some(detail.clone()),
                });
            }
            break;
        }
        at = match at.checked_add(size as usize) {
            Some(next) if next <= data.len() => next,
            _ => break,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Targets as otool writes versions; an SDK of 0 (none recorded) is left out.
    #[test]
    fn targets() {
        assert_eq!(target(1, 0x000a_0900, 0), "macOS 10.9 minimum");
        assert_eq!(
            target(1, 0x000b_0000, 0x000e_0200),
            "macOS 11.0 minimum, SDK 14.2"
        );
        assert_eq!(
            target(2, 0x000c_0401, 0x0011_0000),
            "iOS 12.4.1 minimum, SDK 17.0"
        );
    }

    fn comment(text: &[u8]) -> (Vec<u8>, Vec<Section>) {
        let mut data = b"\x7fELF padding ".to_vec();
        let at = data.len() as u64;
        data.extend_from_slice(text);
        let len = text.len() as u64;
        let s = Section::new(".comment".into(), 0, len, at, len, (false, false, false));
        (data, vec![s])
    }

    #[test]
    fn elf_comments_name_compilers_and_linkers() {
        let (data, sections) = comment(
            b"GCC: (GNU) 4.8.5 20150623 (Red Hat 4.8.5-44)\0\
              GCC: (GNU) 10.2.1 20210130 (Red Hat 10.2.1-11)\0\
              rustc version 1.81.0 (eeb90cda1 2024-09-04)\0\
              Debian clang version 14.0.6\0Linker: LLD 16.0.6\0\0",
        );
        let r = elf_comment(&data, &sections);
        let names: Vec<&str> = r.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["gcc", "rust", "clang", "lld"]);
        for (text, name, version, vendor) in [
            (
                &b"Linker: Debian LLD 14.0.6"[..],
                "lld",
                "14.0.6",
                Some("Debian"),
            ),
            (
                b"mold 2.4.0 (compatible with GNU ld)",
                "mold",
                "2.4.0",
                None,
            ),
        ] {
            let (data, sections) = comment(text);
            let r = elf_comment(&data, &sections);
            assert_eq!(r.len(), 1, "{r:?}");
            assert_eq!(
                (
                    r[0].name.as_str(),
                    r[0].version.as_deref(),
                    r[0].detail.as_deref()
                ),
                (name, Some(version), vendor)
            );
        }
        assert_eq!(r[0].version.as_deref(), Some("10.2.1"), "the highest gcc");
        assert_eq!(r[0].detail.as_deref(), Some("Red Hat 10.2.1-11"));
        assert_eq!(r[1].version.as_deref(), Some("1.81.0"));
        assert_eq!(r[2].version.as_deref(), Some("14.0.6"));
        assert_eq!(r[2].detail.as_deref(), Some("Debian"));
        assert_eq!(
            (r[3].kind, r[3].version.as_deref()),
            ("linker", Some("16.0.6"))
        );
        let (data, sections) = comment(b"GCC: (Debian 12.2.0-14) 12.2.0\0");
        let r = elf_comment(&data, &sections);
        assert_eq!(r[0].version.as_deref(), Some("12.2.0"));
        assert_eq!(r[0].detail.as_deref(), Some("Debian 12.2.0-14"));
        // damaged or foreign text: nothing, no panic
        for junk in [
            &b"\xff\xfe GCC"[..],
            b"GCC: (",
            b"Linker: \xff",
            b"clang version ",
        ] {
            let (data, sections) = comment(junk);
            for r in elf_comment(&data, &sections) {
                assert!(r.version.is_none(), "{r:?}");
            }
        }
        let mut s = sections.clone();
        s[0].raw_size = u64::MAX;
        s[0].raw_offset = u64::MAX - 4;
        assert!(elf_comment(&data, &s).is_empty());
    }

    /// A thin 64-bit Mach-O with `LC_BUILD_VERSION` (macOS 11.0, SDK 14.2, clang and ld),
    /// and the same file inside a universal header.
    #[test]
    fn macho_build_version_names_tools() {
        let mut d = Vec::new();
        for v in [0xfeed_facf_u32, 0x0100_000c, 0, 2, 2, 56, 0, 0] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        // LC_UUID-like filler, then LC_BUILD_VERSION with two tools
        for v in [0x1b_u32, 16, 0, 0] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        for v in [
            0x32_u32,
            40,
            1,
            0x000b_0000,
            0x000e_0200,
            2,
            1,
            0x05dc_0304,
            3,
            0x041d_0c00,
        ] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        let r = macho_build_version(&d);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(r[0].name, "clang");
        assert_eq!(r[0].version.as_deref(), Some("1500.3.4"));
        assert_eq!(r[0].detail.as_deref(), Some("macOS 11.0 minimum, SDK 14.2"));
        assert_eq!((r[1].name.as_str(), r[1].kind), ("ld", "linker"));
        assert_eq!(r[1].version.as_deref(), Some("1053.12"));
        let mut fat = Vec::new();
        for v in [0xcafe_babe_u32, 1, 0x0100_000c, 0, 64, d.len() as u32, 12] {
            fat.extend_from_slice(&v.to_be_bytes());
        }
        fat.resize(64, 0);
        fat.extend_from_slice(&d);
        assert_eq!(macho_build_version(&fat), r);
        // two slices, the first without the command: the second's tools
        let mut two = Vec::new();
        let first_len = 32 + 16;
        for v in [0xcafe_babe_u32, 2, 0x0100_0007, 3, 64, first_len, 12] {
            two.extend_from_slice(&v.to_be_bytes());
        }
        for v in [0x0100_000c_u32, 0, 64 + first_len, d.len() as u32, 12] {
            two.extend_from_slice(&v.to_be_bytes());
        }
        two.resize(64, 0);
        for v in [
            0xfeed_facf_u32,
            0x0100_0007,
            3,
            2,
            1,
            16,
            0,
            0,
            0x24,
            16,
            0x000a_0c00,
            0x000e_0200,
        ] {
            two.extend_from_slice(&v.to_le_bytes());
        }
        two.extend_from_slice(&d);
        assert_eq!(macho_build_version(&two), r);
        // cut anywhere: fewer records, no panic
        for n in 0..d.len() {
            assert!(macho_build_version(&d[..n]).len() <= 2);
        }
        // a Java class file's magic
        assert!(macho_build_version(b"\xca\xfe\xba\xbe\0\0\0\x34rest").is_empty());
    }
}
