//! PE resources: a bounded walk of the resource directory (type / name / language), with the
//! size, entropy and embedded content (a PE, an archive) of every leaf, and which bytes of a
//! picture resource are its image ([`picture_len`]).
//!
//! The walk reads the raw bytes itself so that a broken entry only loses that entry: offsets
//! are checked against the file, depth is limited to three levels and entries to 32,768
//! (pefile's bound: a system DLL such as `shell32.dll` holds several thousand).

use super::{slice, Section};
use crate::error::{Warning, WarningCode};
pub use crate::findings::executable::Resource;

/// Directory entries read at most, at all levels together.
const MAX_ENTRIES: usize = 0x8000;

fn u16_at(d: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(off..off + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(off..off + 4)?.try_into().ok()?))
}

/// File offset of an RVA, through the section table.
pub fn rva_to_offset(sections: &[Section], rva: u64) -> Option<u64> {
    sections
        .iter()
        .find(|s| {
            rva >= s.virtual_address && rva < s.virtual_address + s.virtual_size.max(s.raw_size)
        })
        .map(|s| s.raw_offset + (rva - s.virtual_address))
}

fn type_name(id: u32) -> Option<&'static str> {
    Some(match id {
        1 => "CURSOR",
        2 => "BITMAP",
        3 => "ICON",
        4 => "MENU",
        5 => "DIALOG",
        6 => "STRING",
        7 => "FONTDIR",
        8 => "FONT",
        9 => "ACCELERATOR",
        10 => "RCDATA",
        11 => "MESSAGETABLE",
        12 => "GROUP_CURSOR",
        14 => "GROUP_ICON",
        16 => "VERSION",
        17 => "DLGINCLUDE",
        19 => "PLUGPLAY",
        20 => "VXD",
        21 => "ANICURSOR",
        22 => "ANIICON",
        23 => "HTML",
        24 => "MANIFEST",
        _ => return None,
    })
}

/// What `data` starts with.
pub fn sniff_embedded(data: &[u8]) -> Option<&'static str> {
    Some(match data {
        [b'M', b'Z', ..] => "pe",
        [0x7f, b'E', b'L', b'F', ..] => "elf",
        [b'P', b'K', 3, 4, ..] => "zip",
        [0x1f, 0x8b, ..] => "gzip",
        [b'M', b'S', b'C', b'F', ..] => "cab",
        [b'7', b'z', 0xbc, 0xaf, ..] => "7z",
        [b'R', b'a', b'r', b'!', ..] => "rar",
        _ => return None,
    })
}

/// Whether `data` is a PNG (signature, then the `IHDR` chunk), JPEG (start of image, then
/// a marker segment) or GIF image (`GIF87a`/`GIF89a`).
pub fn is_image(data: &[u8]) -> bool {
    match data {
        [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', _, _, _, _, b'I', b'H', b'D', b'R', ..] => {
            true
        }
        [0xff, 0xd8, 0xff, m, ..] => *m >= 0xc0,
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => true,
        _ => false,
    }
}

/// How many bytes of `data`, a resource of type `kind`, are a picture, or `None` when its
/// bytes are not the picture its type or header says. A PNG counts up to the end of its
/// `IEND` chunk and a JPEG up to its last end-of-image marker (bytes appended to an image
/// are not part of it); a GIF counts whole. By type, an icon or bitmap must start with a
/// bitmap header (or hold a PNG), a cursor the same after its hotspot, an icon or cursor
/// group must be the directory its count gives, an animated one a RIFF `ACON` file: a
/// resource that merely says it is a picture does not make the program's text pixels.
pub fn picture_len(kind: &str, data: &[u8]) -> Option<usize> {
    if is_image(data) {
        return match data.first() {
            // the IEND chunk: length (0), type, CRC
            Some(0x89) => Some(
                memchr::memmem::find(data, b"\0\0\0\0IEND")
                    .map_or(data.len(), |at| (at + 12).min(data.len())),
            ),
            Some(0xff) => memchr::memmem::rfind(data, &[0xff, 0xd9]).map(|at| at + 2),
            _ => Some(data.len()),
        };
    }
    // a bitmap header's size: core, info, V2, V3, V4, V5
    let bitmap = |at: usize| {
        matches!(u32_at(data, at), Some(12 | 40 | 52 | 56 | 108 | 124))
            || data.get(at..).is_some_and(|d| d.starts_with(b"\x89PNG"))
    };
    let whole = match kind {
        "ICON" | "BITMAP" => bitmap(0),
        "CURSOR" => bitmap(4),
        "GROUP_ICON" | "GROUP_CURSOR" => {
            let count = data
                .get(4..6)
                .map_or(0, |c| usize::from(u16::from_le_bytes([c[0], c[1]])));
            data.starts_with(&[0, 0]) && count > 0 && data.len() == 6 + 14 * count
        }
        "ANIICON" | "ANICURSOR" => data.starts_with(b"RIFF") && data.get(8..12) == Some(b"ACON"),
        _ => false,
    };
    whole.then_some(data.len())
}

/// Walks the resource directory at file offset `base` (RVA `base_rva`).
/// Returns what could be read and warnings: part of the directory unreadable
/// (`parse-error`), more entries than [`MAX_ENTRIES`] (`size-limit`).
pub fn parse(data: &[u8], sections: &[Section], base_rva: u64) -> (Vec<Resource>, Vec<Warning>) {
    let Some(base) = rva_to_offset(sections, base_rva)
        .and_then(|o| usize::try_from(o).ok())
        .filter(|&o| o < data.len())
    else {
        return (
            Vec::new(),
            vec![Warning::new(
                WarningCode::ParseError,
                "resource directory outside the file",
            )],
        );
    };
    let mut out = Vec::new();
    let mut budget = MAX_ENTRIES;
    let mut broken = false;
    let mut over_budget = false;
    let name_of = |entry_name: u32| -> String {
        if entry_name & 0x8000_0000 != 0 {
            let off = base + (entry_name & 0x7fff_ffff) as usize;
            let Some(len) = u16_at(data, off) else {
                return "?".into();
            };
            let units: Vec<u16> = (0..usize::from(len).min(256))
                .filter_map(|i| u16_at(data, off + 2 + 2 * i))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            format!("#{entry_name}")
        }
    };
    // (directory offset relative to base, depth, type, name)
    let mut stack: Vec<(usize, u8, String, String)> = vec![(0, 0, String::new(), String::new())];
    while let Some((dir, depth, kind, name)) = stack.pop() {
        let d = base + dir;
        let (Some(named), Some(ids)) = (u16_at(data, d + 12), u16_at(data, d + 14)) else {
            broken = true;
            continue;
        };
        let count = usize::from(named) + usize::from(ids);
        let mut children = Vec::new();
        for i in 0..count {
            if budget == 0 {
                over_budget = true;
                break;
            }
            budget -= 1;
            let e = d + 16 + 8 * i;
            let (Some(ename), Some(eoff)) = (u32_at(data, e), u32_at(data, e + 4)) else {
                broken = true;
                break;
            };
            let label = name_of(ename);
            let is_dir = eoff & 0x8000_0000 != 0;
            let target = (eoff & 0x7fff_ffff) as usize;
            match (depth, is_dir) {
                (0, true) => {
                    let k = if ename & 0x8000_0000 == 0 {
                        type_name(ename).map(str::to_string).unwrap_or(label)
                    } else {
                        label
                    };
                    children.push((target, 1, k, String::new()));
                }
                (1, true) => children.push((target, 2, kind.clone(), label)),
                (2, false) | (1, false) => {
                    let leaf = base + target;
                    let (Some(rva), Some(size)) = (u32_at(data, leaf), u32_at(data, leaf + 4))
                    else {
                        broken = true;
                        continue;
                    };
                    let offset = rva_to_offset(sections, u64::from(rva)).unwrap_or(0);
                    let bytes = slice(data, offset, u64::from(size));
                    if bytes.len() < size as usize {
                        broken = true;
                    }
                    out.push(Resource {
                        kind: kind.clone(),
                        name: if depth == 2 {
                            name.clone()
                        } else {
                            label.clone()
                        },
                        language: if depth == 2 { ename & 0xffff } else { 0 },
                        offset,
                        size: u64::from(size),
                        // Filled in by `sample::parse`, under one budget for the file.
                        entropy: 0.0,
                        embedded: sniff_embedded(bytes).map(str::to_string),
                        image: is_image(bytes),
                    });
                }
                _ => broken = true,
            }
        }
        // Depth-first in table order.
        for c in children.into_iter().rev() {
            if c.0 != dir {
                stack.push(c);
            }
        }
    }
    let mut warnings = Vec::new();
    if broken {
        warnings.push(Warning::new(
            WarningCode::ParseError,
            format!(
                "resource directory partly unreadable ({} resources read)",
                out.len()
            ),
        ));
    }
    if over_budget {
        warnings.push(Warning::new(
            WarningCode::SizeLimit,
            format!(
                "more than {MAX_ENTRIES} resource directory entries; the rest is not read \
                 ({} resources read)",
                out.len()
            ),
        ));
    }
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picture's image ends at a PNG's `IEND` chunk or a JPEG's last end-of-image
    /// marker; a GIF, and an icon, cursor or bitmap whose bytes start as one, count whole;
    /// a resource of a picture type whose bytes are no picture is none.
    #[test]
    fn pictures_end_where_their_image_ends() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\0IEND\xaeB`\x82";
        assert_eq!(picture_len("PNG", png), Some(png.len()));
        let appended = [&png[..], b"http://after.example.net/"].concat();
        assert_eq!(picture_len("RCDATA", &appended), Some(png.len()));
        let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\xff\xd9scan\xff\xd9tail";
        assert_eq!(picture_len("JPG", jpeg), Some(jpeg.len() - 4));
        let gif = b"GIF89a\x10\0\x10\0;after";
        assert_eq!(picture_len("GIF", gif), Some(gif.len()));
        assert_eq!(
            picture_len("PNG", &png[..20]),
            Some(20),
            "no IEND: the whole resource"
        );
        let dib = [&40u32.to_le_bytes()[..], &[7u8; 60][..]].concat();
        assert_eq!(picture_len("ICON", &dib), Some(dib.len()));
        assert_eq!(picture_len("BITMAP", &dib), Some(dib.len()));
        let cursor = [&[1u8, 0, 2, 0][..], &dib[..]].concat();
        assert_eq!(picture_len("CURSOR", &cursor), Some(cursor.len()));
        let group = [&[0u8, 0, 1, 0, 2, 0][..], &[9u8; 28][..]].concat();
        assert_eq!(picture_len("GROUP_ICON", &group), Some(group.len()));
        assert_eq!(picture_len("GROUP_ICON", &group[..30]), None);
        // text in a resource that only says it is a picture
        let text = b"http://c2.example.com/gate.php\0C:\\Users\\x\\a.exe\0";
        for kind in [
            "ICON",
            "BITMAP",
            "CURSOR",
            "GROUP_CURSOR",
            "ANIICON",
            "RCDATA",
        ] {
            assert_eq!(picture_len(kind, text), None, "{kind}");
        }
        assert_eq!(picture_len("ICON", &dib[4..]), None);
    }

    /// PNG, JPEG and GIF images are known by their signature and first header; a PNG
    /// signature alone, or random bytes, are not one. An image resource of high entropy
    /// is not tagged `high-entropy` whatever its type; the same bytes without the image's
    /// header are.
    #[test]
    fn images_are_known_by_their_headers_and_are_not_high_entropy() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10";
        assert!(is_image(png));
        assert!(is_image(b"\xff\xd8\xff\xe0\0\x10JFIF\0"));
        assert!(is_image(b"GIF89a\x10\0\x10\0"));
        assert!(is_image(b"GIF87a\x10\0\x10\0"));
        assert!(!is_image(&png[..8]), "a signature alone");
        assert!(!is_image(b"\xff\xd8\xff\x00"));
        assert!(!is_image(b"MZ\x90\0"));
        let resource = |bytes: &[u8]| Resource {
            kind: "PNG".into(),
            name: "AQUA_IDB_GRIPPER".into(),
            language: 1033,
            offset: 0,
            size: 4096,
            entropy: 7.9,
            embedded: sniff_embedded(bytes).map(str::to_string),
            image: is_image(bytes),
        };
        assert_eq!(resource(png).tags(), ["png"]);
        assert_eq!(resource(&png[8..]).tags(), ["png", "high-entropy"]);
    }

    /// A resource directory at offset 0 of a section mapped one to one: one type (RCDATA)
    /// with `names` names, each with one language leaf of 4 bytes (an `MZ` at the last).
    fn directory(names: usize) -> (Vec<u8>, Vec<Section>) {
        let mut d = Vec::new();
        let dir = |d: &mut Vec<u8>, ids: usize| {
            d.extend_from_slice(&[0u8; 14]);
            d.extend_from_slice(&(ids as u16).to_le_bytes());
        };
        let entry = |d: &mut Vec<u8>, name: u32, target: u32| {
            d.extend_from_slice(&name.to_le_bytes());
            d.extend_from_slice(&target.to_le_bytes());
        };
        // root: one entry, then the type directory with `names` entries, then per name a
        // language directory of one entry and its data entry
        let type_dir = 16 + 8;
        let name_dirs = type_dir + 16 + 8 * names;
        let (lang_dir_len, data_entry_len) = (16 + 8, 16);
        let leaves = name_dirs + names * (lang_dir_len + data_entry_len);
        dir(&mut d, 1);
        entry(&mut d, 10, 0x8000_0000 | type_dir as u32);
        dir(&mut d, names);
        for i in 0..names {
            let at = name_dirs + i * (lang_dir_len + data_entry_len);
            entry(&mut d, i as u32 + 1, 0x8000_0000 | at as u32);
        }
        for i in 0..names {
            let at = name_dirs + i * (lang_dir_len + data_entry_len);
            dir(&mut d, 1);
            entry(&mut d, 0x409, (at + lang_dir_len) as u32);
            let leaf = (leaves + 4 * i) as u32;
            d.extend_from_slice(&leaf.to_le_bytes());
            d.extend_from_slice(&4u32.to_le_bytes());
            d.extend_from_slice(&[0u8; 8]);
        }
        for i in 0..names {
            d.extend_from_slice(if i + 1 == names { b"MZ\0\0" } else { b"data" });
        }
        let len = d.len() as u64;
        let sections = vec![Section::new(
            ".rsrc".into(),
            0,
            len,
            0,
            len,
            (true, false, false),
        )];
        (d, sections)
    }

    /// A system DLL's thousands of resources are read whole, without a warning, and the
    /// last one is as visible as the first: a sample cannot hide a PE behind them.
    #[test]
    fn thousands_of_resources_are_read_whole() {
        let (data, sections) = directory(6000);
        let (list, warnings) = parse(&data, &sections, 0);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(list.len(), 6000);
        assert!(list
            .iter()
            .all(|r| r.kind == "RCDATA" && r.language == 0x409));
        assert_eq!(list[5999].embedded.as_deref(), Some("pe"));
    }

    /// Past the bound the walk stops with a size-limit warning (not a parse error: nothing
    /// is damaged).
    #[test]
    fn the_bound_is_a_size_limit() {
        let (data, sections) = directory(MAX_ENTRIES + 10);
        let (list, warnings) = parse(&data, &sections, 0);
        assert!(list.len() < MAX_ENTRIES);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].code, WarningCode::SizeLimit);
        assert!(warnings[0].message.contains("resource directory entries"));
    }

    /// A directory entry pointing past the end of the file is a parse error, and the
    /// entries before it are kept.
    #[test]
    fn damage_is_a_parse_error() {
        let (mut data, sections) = directory(3);
        data.truncate(data.len() - 12 - 16);
        let (list, warnings) = parse(&data, &sections, 0);
        assert_eq!(list.len(), 2);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].code, WarningCode::ParseError);
    }
}
