//! PE parsing for triage: headers, sections, imports (with imphash), exports, overlay.
//!
//! goblin is tried strictly first, then permissively, then without imports, resources and
//! certificates; whatever fails is reported as a warning and the report keeps what was read.

use super::{Import, Parsed, PeInfo, Section};
use crate::error::Warning;
use crate::error::WarningCode::ParseError;
use goblin::pe::export::ExportAddressTableEntry;
use goblin::pe::options::{ParseMode, ParseOptions};
use goblin::pe::PE;

const SCN_MEM_EXECUTE: u32 = 0x2000_0000;
const SCN_MEM_READ: u32 = 0x4000_0000;
const SCN_MEM_WRITE: u32 = 0x8000_0000;

/// Parses a PE file.
pub fn parse(data: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let strict = ParseOptions::default();
    let mut permissive = ParseOptions::default();
    permissive.parse_mode = ParseMode::Permissive;
    let mut minimal = permissive;
    minimal.parse_imports = false;
    minimal.parse_resources = false;
    minimal.parse_tls_data = false;
    minimal.parse_attribute_certificates = false;
    let names = HeaderNames::read(data);
    let patched = names.patched(data);
    if patched.is_some() {
        out.warnings.push(warning(
            ParseError,
            format!(
                "section names that point to no string-table entry ({}): read as written",
                names.odd_names().join(", ")
            ),
        ));
    }
    // the file as goblin can parse it: the same bytes but for those names' first byte
    let parse_data = patched.as_deref().unwrap_or(data);
    let mut pe = None;
    for (opts, what) in [
        (&strict, ""),
        (&permissive, "parsed permissively"),
        (&minimal, "imports, resources and certificates skipped"),
    ] {
        match PE::parse_with_opts(parse_data, opts) {
            Ok(p) => {
                if !what.is_empty() {
                    out.warnings.push(warning(ParseError, format!("PE {what}")));
                }
                pe = Some(p);
                break;
            }
            Err(e) => out.warnings.push(warning(ParseError, format!("PE: {e}"))),
        }
    }
    let Some(pe) = pe else {
        header_only(data, parse_data, &names, &mut out);
        return out;
    };
    let machine = pe.header.coff_header.machine;
    out.arch = machine_name(machine).to_string();
    out.bitness = if pe.is_64 { 64 } else { 32 };
    out.sections = sections(&pe.sections, &names);
    // pefile's import list, where its bound on thunks cuts it shorter than the whole one
    let mut pefile_imports = None;
    match super::pe_imports::read_table(data) {
        Some(table) => {
            out.imports = table.imports;
            pefile_imports = table.pefile_imports;
            out.warnings.extend(table.warnings);
        }
        None => {
            for imp in &pe.imports {
                let by_ordinal = imp.name.starts_with("ORDINAL ");
                out.imports.push(Import {
                    library: imp.dll.to_string(),
                    name: if by_ordinal {
                        super::pe_imports::ordinal_name(imp.dll, imp.ordinal).map(str::to_string)
                    } else {
                        Some(imp.name.to_string())
                    },
                    ordinal: by_ordinal.then_some(imp.ordinal),
                    delay: false,
                });
            }
        }
    }
    let timestamp = pe.header.coff_header.time_date_stamp;
    let mut timestamp_flags = Vec::new();
    if timestamp == 0 {
        timestamp_flags.push("zero".to_string());
    } else if i64::from(timestamp) > crate::dates::now_secs() + 86_400 {
        timestamp_flags.push("future".to_string());
    }
    let entry = u64::from(pe.entry);
    let entry_section = out
        .sections
        .iter()
        .find(|s| {
            entry >= s.virtual_address && entry < s.virtual_address + s.virtual_size.max(s.raw_size)
        })
        .map(|s| s.name.clone());
    let (subsystem, cert, rsrc) = match &pe.header.optional_header {
        Some(oh) => (
            subsystem_name(oh.windows_fields.subsystem).to_string(),
            oh.data_directories
                .get_certificate_table()
                .map(|d| (u64::from(d.virtual_address), u64::from(d.size))),
            oh.data_directories
                .get_resource_table()
                .filter(|d| d.virtual_address != 0 && d.size != 0)
                .map(|d| u64::from(d.virtual_address)),
        ),
        None => (String::new(), None, None),
    };
    if let Some(dd) = pe
        .header
        .optional_header
        .as_ref()
        .and_then(|oh| oh.data_directories.get_delay_import_descriptor().copied())
        .filter(|d| d.virtual_address != 0)
    {
        let (list, warning) = delay_imports(
            data,
            &out.sections,
            u64::from(dd.virtual_address),
            pe.is_64,
            pe.image_base,
        );
        out.imports.extend(list);
        out.warnings
            .extend(warning.map(|w| Warning::new(ParseError, w)));
    }
    let resources = match rsrc {
        Some(rva) => {
            let (list, warnings) = super::resources::parse(data, &out.sections, rva);
            out.warnings.extend(warnings);
            list
        }
        None => Vec::new(),
    };
    let manifest = resources.iter().find(|r| r.kind == "MANIFEST").map(|r| {
        let (m, warning) =
            super::manifest::parse(super::slice(data, r.offset, r.size.min(1 << 20)));
        out.warnings.extend(warning);
        m
    });
    let signed = cert.is_some_and(|(off, len)| off != 0 && len != 0);
    // yara-x's pe module reads version info and signatures; skip it when neither exists.
    let extras = if signed || resources.iter().any(|r| r.kind == "VERSION") {
        super::authenticode::extras(data).unwrap_or_default()
    } else {
        super::authenticode::PeExtras::default()
    };
    if signed && extras.signatures.is_empty() {
        out.warnings.push(warning(
            ParseError,
            "a certificate table is present but no signature could be parsed",
        ));
    }
    let imphash = super::pe_imports::imphash(&pefile_imports.unwrap_or_else(|| {
        out.imports
            .iter()
            .filter(|i| !i.delay)
            .cloned()
            .collect::<Vec<_>>()
    }));
    // .NET: referenced members and P/Invoke imports join the imports (after the imphash,
    // which pefile computes over the native import table only).
    let dotnet = super::dotnet::read(data, &out.sections).map(|(info, imports)| {
        out.imports.extend(imports);
        info
    });
    let mut exports: Vec<String> = pe
        .exports
        .iter()
        .map(|e| match e.name {
            Some(n) => n.to_string(),
            None => format!("@rva {:#x}", e.rva),
        })
        .collect();
    exports.extend(ordinal_exports(&pe));
    let call_arguments = super::callsite::string_arguments(
        data,
        &out.sections,
        pe.image_base,
        pe.is_64,
        &super::callsite::call_targets(
            pe.imports
                .iter()
                .map(|i| (i.name.as_ref(), pe.image_base.wrapping_add(i.offset as u64))),
        ),
    );
    out.pe = Some(PeInfo {
        dll: pe.is_lib,
        subsystem,
        entry_point: entry,
        entry_section,
        timestamp,
        timestamp_utc: crate::dates::utc(i64::from(timestamp)),
        timestamp_flags,
        imphash,
        exports,
        overlay_size: overlay(data.len() as u64, &out.sections, cert),
        resources,
        rich_header_hash: super::pe_imports::rich_header_hash(
            data,
            pe.header.dos_header.pe_pointer,
        ),
        tls_callbacks: pe
            .tls_data
            .as_ref()
            .map(|t| t.callbacks.clone())
            .unwrap_or_default(),
        pdb_path: pe
            .debug_data
            .as_ref()
            .and_then(|d| d.codeview_pdb70_debug_info.as_ref())
            .map(|c| {
                String::from_utf8_lossy(c.filename)
                    .trim_end_matches('\0')
                    .to_string()
            }),
        version_info: extras.version_info,
        manifest,
        dotnet,
        signed,
        certificate_table: cert.filter(|&(off, len)| off != 0 && len != 0),
        symbol_table: symbol_table(&names, &out.sections),
        signatures: extras.signatures,
        call_arguments,
    });
    out
}

/// Falls back to the COFF header and section table when goblin cannot parse the file
/// (`parse_data`: the file as goblin can read its section names).
fn header_only(data: &[u8], parse_data: &[u8], names: &HeaderNames, out: &mut Parsed) {
    let Ok(header) = goblin::pe::header::Header::parse(parse_data) else {
        return;
    };
    out.arch = machine_name(header.coff_header.machine).to_string();
    if let Some(table) = super::pe_imports::read_table(data) {
        out.imports = table.imports;
        out.warnings.extend(table.warnings);
    }
    let mut offset = usize::try_from(header.dos_header.pe_pointer).unwrap_or(usize::MAX)
        + goblin::pe::header::SIZEOF_PE_MAGIC
        + goblin::pe::header::SIZEOF_COFF_HEADER
        + usize::from(header.coff_header.size_of_optional_header);
    if let Ok(table) = header.coff_header.sections(parse_data, &mut offset) {
        out.sections = sections(&table, names);
    }
}

/// The section headers' names as the file writes them (pefile's `Name`, YARA's `name`),
/// each with the long name a `/N` points to: the NUL-terminated string at offset `N` of
/// the COFF string table, which follows the symbol table (mingw and Cygwin write their
/// DWARF sections so). `//` + base64 offsets, which only object files use, are not read.
#[derive(Debug, Default)]
struct HeaderNames {
    /// Each header's name and long name, in header order.
    names: Vec<(String, Option<String>)>,
    /// The names that start with `/` without a decimal offset after it, with their file
    /// offsets: the loader ignores names, goblin rejects the whole section table for them.
    odd: Vec<(usize, String)>,
    /// File offset and size of the symbol table and the string table after it, within
    /// the file.
    symbol_table: Option<(u64, u64)>,
}

impl HeaderNames {
    fn read(data: &[u8]) -> Self {
        let u16_at = |o: usize| Some(u16::from_le_bytes(data.get(o..o + 2)?.try_into().ok()?));
        let u32_at = |o: usize| Some(u32::from_le_bytes(data.get(o..o + 4)?.try_into().ok()?));
        let mut out = HeaderNames::default();
        let Some(pe) = u32_at(0x3c).and_then(|p| usize::try_from(p).ok()) else {
            return out;
        };
        if data.get(pe..pe.saturating_add(4)) != Some(b"PE\0\0") {
            return out;
        }
        let coff = pe + 4;
        let (Some(count), Some(symbols), Some(symbol_count), Some(optional)) = (
            u16_at(coff + 2),
            u32_at(coff + 8),
            u32_at(coff + 12),
            u16_at(coff + 16),
        ) else {
            return out;
        };
        let strings = (symbols != 0)
            .then(|| symbols as usize + symbol_count as usize * 18)
            .and_then(|at| data.get(at..));
        if let Some(table) = strings {
            // the string table starts with its own size, those four bytes included
            let size = u32_at(data.len() - table.len()).map_or(0, |n| n as usize);
            let end = (data.len() - table.len()).saturating_add(size.max(4));
            out.symbol_table = Some((
                u64::from(symbols),
                (end.min(data.len()) - symbols as usize) as u64,
            ));
        }
        let first = coff + 20 + usize::from(optional);
        for i in 0..usize::from(count) {
            let at = first + i * 40;
            let Some(raw) = data.get(at..at + 8) else {
                break;
            };
            let name = String::from_utf8_lossy(raw)
                .trim_end_matches('\0')
                .to_string();
            let mut long_name = None;
            if let Some(rest) = raw.strip_prefix(b"/") {
                let digits = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    out.odd.push((at, name.clone()));
                } else {
                    long_name = std::str::from_utf8(digits)
                        .ok()
                        .and_then(|d| d.parse::<usize>().ok())
                        .and_then(|offset| strings.and_then(|t| t.get(offset..)))
                        .and_then(string_table_name);
                }
            }
            out.names.push((name, long_name));
        }
        out
    }

    /// A copy of `data` goblin can parse, where a name it would reject starts with `_`.
    fn patched(&self, data: &[u8]) -> Option<Vec<u8>> {
        if self.odd.is_empty() {
            return None;
        }
        let mut copy = data.to_vec();
        for &(at, _) in &self.odd {
            copy[at] = b'_';
        }
        Some(copy)
    }

    /// The odd names, quoted where they hold more than printable ASCII.
    fn odd_names(&self) -> Vec<String> {
        self.odd
            .iter()
            .map(|(_, n)| {
                if n.chars().all(|c| c.is_ascii_graphic()) {
                    n.clone()
                } else {
                    format!("{n:?}")
                }
            })
            .collect()
    }
}

/// The symbol and string tables where they lie past every section's bytes, as linkers
/// write them: a pointer into a section's bytes would hide that text from behaviours.
fn symbol_table(names: &HeaderNames, sections: &[Section]) -> Option<(u64, u64)> {
    let (at, len) = names.symbol_table?;
    let past = sections
        .iter()
        .all(|s| s.raw_size == 0 || s.raw_offset.saturating_add(s.raw_size) <= at);
    (past && len > 0).then_some((at, len))
}

/// The long name at the start of `bytes`: printable, up to its NUL, 1 to 256 bytes.
fn string_table_name(bytes: &[u8]) -> Option<String> {
    let end = bytes.iter().take(257).position(|&b| b == 0)?;
    let name = &bytes[..end];
    (!name.is_empty() && name.iter().all(u8::is_ascii_graphic))
        .then(|| String::from_utf8_lossy(name).into_owned())
}

fn sections(
    table: &[goblin::pe::section_table::SectionTable],
    names: &HeaderNames,
) -> Vec<Section> {
    table
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (name, long_name) = names.names.get(i).cloned().unwrap_or_else(|| {
                let name = String::from_utf8_lossy(&s.name)
                    .trim_end_matches('\0')
                    .to_string();
                (name, None)
            });
            let c = s.characteristics;
            let mut section = Section::new(
                name,
                u64::from(s.virtual_address),
                u64::from(s.virtual_size),
                u64::from(s.pointer_to_raw_data),
                u64::from(s.size_of_raw_data),
                (
                    c & SCN_MEM_READ != 0,
                    c & SCN_MEM_WRITE != 0,
                    c & SCN_MEM_EXECUTE != 0,
                ),
            );
            section.long_name = long_name;
            section
        })
        .collect()
}

/// Delay-load imports from the descriptor table at `rva` (RVA-based descriptors, and old
/// VA-based ones through `image_base`). Bounded: 256 DLLs, 4096 names each.
pub fn delay_imports(
    data: &[u8],
    sections: &[Section],
    rva: u64,
    is_64: bool,
    image_base: u64,
) -> (Vec<Import>, Option<String>) {
    use super::resources::rva_to_offset;
    let u32_at = |off: u64| -> Option<u32> {
        let o = usize::try_from(off).ok()?;
        Some(u32::from_le_bytes(data.get(o..o + 4)?.try_into().ok()?))
    };
    let u64_at = |off: u64| -> Option<u64> {
        let o = usize::try_from(off).ok()?;
        Some(u64::from_le_bytes(data.get(o..o + 8)?.try_into().ok()?))
    };
    let c_string = |off: u64| -> Option<String> {
        let o = usize::try_from(off).ok()?;
        let bytes = data.get(o..)?;
        let end = bytes.iter().take(256).position(|&b| b == 0)?;
        Some(String::from_utf8_lossy(&bytes[..end]).into_owned())
    };
    let mut out = Vec::new();
    let Some(mut desc) = rva_to_offset(sections, rva) else {
        return (out, Some("delay-import table outside the file".into()));
    };
    for _ in 0..256 {
        let (Some(attrs), Some(name_rva), Some(int_rva)) =
            (u32_at(desc), u32_at(desc + 4), u32_at(desc + 16))
        else {
            return (out, Some("delay-import table truncated".into()));
        };
        if name_rva == 0 {
            return (out, None);
        }
        let fix = |v: u32| -> u64 {
            if attrs & 1 == 1 {
                u64::from(v)
            } else {
                u64::from(v).wrapping_sub(image_base)
            }
        };
        let Some(dll) = rva_to_offset(sections, fix(name_rva)).and_then(c_string) else {
            return (out, Some("delay-import DLL name unreadable".into()));
        };
        let Some(mut thunk) = rva_to_offset(sections, fix(int_rva)) else {
            return (out, Some(format!("delay-import names of {dll} unreadable")));
        };
        for _ in 0..4096 {
            let (value, ordinal_flag) = if is_64 {
                match u64_at(thunk) {
                    Some(v) => (v, 1u64 << 63),
                    None => break,
                }
            } else {
                match u32_at(thunk) {
                    Some(v) => (u64::from(v), 1u64 << 31),
                    None => break,
                }
            };
            if value == 0 {
                break;
            }
            let (name, ordinal) = if value & ordinal_flag != 0 {
                (None, Some((value & 0xffff) as u16))
            } else {
                let name = u32::try_from(value)
                    .ok()
                    .and_then(|v| rva_to_offset(sections, fix(v)))
                    .and_then(|o| c_string(o + 2));
                (name, None)
            };
            if name.is_some() || ordinal.is_some() {
                out.push(Import {
                    library: dll.clone(),
                    name,
                    ordinal,
                    delay: true,
                });
            }
            thunk += if is_64 { 8 } else { 4 };
        }
        desc += 32;
    }
    (out, Some("delay-import table too long".into()))
}

fn overlay(size: u64, sections: &[Section], cert: Option<(u64, u64)>) -> u64 {
    let end = sections
        .iter()
        .filter(|s| s.raw_size > 0)
        .map(|s| s.raw_offset.saturating_add(s.raw_size))
        .max()
        .unwrap_or(0);
    let mut file_end = size;
    if let Some((off, len)) = cert {
        if len > 0 && off >= end && off.saturating_add(len) >= size {
            file_end = off;
        }
    }
    file_end.saturating_sub(end)
}

fn machine_name(machine: u16) -> &'static str {
    match machine {
        0x14c => "x86",
        0x8664 => "x86_64",
        0xaa64 => "arm64",
        0x1c0 | 0x1c4 => "arm",
        0x200 => "ia64",
        _ => "unknown",
    }
}

fn subsystem_name(s: u16) -> &'static str {
    match s {
        1 => "native",
        2 => "windows-gui",
        3 => "windows-cui",
        5 => "os2-cui",
        7 => "posix-cui",
        9 => "windows-ce-gui",
        10 => "efi-application",
        11 => "efi-boot-service-driver",
        12 => "efi-runtime-driver",
        13 => "efi-rom",
        14 => "xbox",
        16 => "windows-boot-application",
        _ => "unknown",
    }
}

/// A warning of kind `code`.
fn warning(code: crate::error::WarningCode, message: impl Into<String>) -> crate::error::Warning {
    crate::error::Warning::new(code, message)
}

/// The functions a PE exports by ordinal alone, as `#ORDINAL` in ordinal order: goblin
/// lists the exports that have a name, and a DLL such as MFC's `mfc140u.dll` exports
/// 14,103 functions by ordinal and none by name. An entry of the address table counts when it
/// is not empty (RVA 0 is a gap in the ordinals) and no name refers to it.
fn ordinal_exports(pe: &PE<'_>) -> Vec<String> {
    let Some(ed) = &pe.export_data else {
        return Vec::new();
    };
    let table = &ed.export_address_table;
    // (ordinals are 16 bits: more entries than that are no export table's)
    let count = table.len().min(1 << 16);
    let mut named = vec![false; count];
    for &i in &ed.export_ordinal_table {
        if let Some(n) = named.get_mut(usize::from(i)) {
            *n = true;
        }
    }
    let base = ed.export_directory_table.ordinal_base;
    table
        .iter()
        .take(count)
        .enumerate()
        .filter(|&(i, entry)| {
            let rva = match entry {
                ExportAddressTableEntry::ExportRVA(r)
                | ExportAddressTableEntry::ForwarderRVA(r) => *r,
            };
            rva != 0 && !named[i]
        })
        .map(|(i, _)| format!("#{}", u64::from(base) + i as u64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DLL's exports by ordinal alone are listed as `#ORDINAL`: NSIS's `System.dll`
    /// with its name count set to 0 exports the same eight functions, by ordinal, and an
    /// emptied address-table entry (RVA 0) is a gap, not an export.
    #[test]
    fn exports_by_ordinal_alone_are_listed() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/benign/debian/nsis/amd64-unicode/System.dll"
        );
        let data = std::fs::read(path).expect("corpus DLL");
        let named = parse(&data).pe.expect("pe").exports;
        assert_eq!(named.len(), 8, "{named:?}");
        assert!(named.iter().all(|e| !e.starts_with('#')), "{named:?}");
        let pe = PE::parse(&data).expect("goblin");
        let ed = pe.export_data.as_ref().expect("export data");
        let base = ed.export_directory_table.ordinal_base;
        let sections = parse(&data).sections;
        let dir_rva = u64::from(ed.export_directory_table.export_address_table_rva);
        let at = |rva: u64| {
            sections
                .iter()
                .find(|s| s.virtual_address <= rva && rva < s.virtual_address + s.raw_size)
                .map(|s| (rva - s.virtual_address + s.raw_offset) as usize)
                .expect("in a section")
        };
        // the directory's NumberOfNames (offset 24) follows its table RVAs: find it from
        // the address table's RVA, which sits at offset 28
        let dir = (0..data.len() - 32)
            .find(|&i| {
                data[i + 28..i + 32] == (dir_rva as u32).to_le_bytes()
                    && data[i + 16..i + 20] == base.to_le_bytes()
            })
            .expect("export directory");
        let mut patched = data.clone();
        patched[dir + 24..dir + 28].copy_from_slice(&0u32.to_le_bytes());
        let by_ordinal = parse(&patched).pe.expect("pe").exports;
        let want: Vec<String> = (0..8).map(|i| format!("#{}", base + i)).collect();
        assert_eq!(by_ordinal, want);
        // the third entry emptied: a gap
        let eat = at(dir_rva);
        patched[eat + 8..eat + 12].copy_from_slice(&0u32.to_le_bytes());
        let gap = parse(&patched).pe.expect("pe").exports;
        assert_eq!(gap.len(), 7);
        assert!(!gap.contains(&format!("#{}", base + 2)), "{gap:?}");
    }

    /// Headers of a PE without an optional header: `names`' sections (8 bytes each), a
    /// symbol table of `symbols` entries at 0x400 and the string table `strings` after it.
    fn headers(names: &[&[u8]], symbols: u32, strings: &[u8]) -> Vec<u8> {
        let mut data = vec![0u8; 0x400];
        data[..2].copy_from_slice(b"MZ");
        data[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        data[0x80..0x84].copy_from_slice(b"PE\0\0");
        data[0x86..0x88].copy_from_slice(&(names.len() as u16).to_le_bytes());
        data[0x8c..0x90].copy_from_slice(&0x400u32.to_le_bytes());
        data[0x90..0x94].copy_from_slice(&symbols.to_le_bytes());
        for (i, name) in names.iter().enumerate() {
            let at = 0x98 + i * 40;
            data[at..at + name.len()].copy_from_slice(name);
        }
        data.resize(0x400 + symbols as usize * 18, 0);
        data.extend_from_slice(&(strings.len() as u32 + 4).to_le_bytes());
        data.extend_from_slice(strings);
        data
    }

    #[test]
    fn long_section_names_come_from_the_string_table() {
        let data = headers(
            &[
                b".text",
                b"/4",
                b"/16",
                b"/15",
                b"/999",
                b"/abc",
                b"/",
                b"//AAAAAA",
            ],
            2,
            b".debug_info\0.debug_line_str\0",
        );
        let names = HeaderNames::read(&data);
        let got: Vec<(&str, Option<&str>)> = names
            .names
            .iter()
            .map(|(n, l)| (n.as_str(), l.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (".text", None),
                ("/4", Some(".debug_info")),
                ("/16", Some(".debug_line_str")),
                ("/15", None), // `.debug_info`'s NUL: an empty name
                ("/999", None),
                ("/abc", None),
                ("/", None),
                ("//AAAAAA", None),
            ]
        );
        assert_eq!(names.odd_names(), ["/abc", "/", "//AAAAAA"]);
        let patched = names.patched(&data).expect("odd names");
        assert_eq!(patched.len(), data.len());
        let changed: Vec<usize> = (0..data.len()).filter(|&i| data[i] != patched[i]).collect();
        assert_eq!(changed, [0x98 + 5 * 40, 0x98 + 6 * 40, 0x98 + 7 * 40]);
        // 36 bytes of symbols, then the string table with its four-byte size
        assert_eq!(names.symbol_table, Some((0x400, 36 + 4 + 28)));
        let plain = HeaderNames::read(&headers(&[b".text", b".rdata"], 0, b""));
        assert!(plain.odd.is_empty() && plain.patched(&data).is_none());
    }

    #[test]
    fn delay_imports_are_read() {
        // One section: RVA 0x1000 at file offset 0, 0x400 bytes.
        let mut data = vec![0u8; 0x400];
        let put32 =
            |d: &mut Vec<u8>, at: usize, v: u32| d[at..at + 4].copy_from_slice(&v.to_le_bytes());
        // Descriptor at 0x100: attrs 1, name at 0x200, INT at 0x180.
        put32(&mut data, 0x100, 1);
        put32(&mut data, 0x104, 0x1200);
        put32(&mut data, 0x110, 0x1180);
        // INT (32-bit): by name (hint/name at 0x220), by ordinal 7, end.
        put32(&mut data, 0x180, 0x1220);
        put32(&mut data, 0x184, 0x8000_0007);
        data[0x200..0x20c].copy_from_slice(b"WININET.dll\0");
        data[0x222..0x22f].copy_from_slice(b"InternetOpen\0");
        let sections = vec![Section::new(
            ".rdata".into(),
            0x1000,
            0x400,
            0,
            0x400,
            (true, false, false),
        )];
        let (imports, warning) = delay_imports(&data, &sections, 0x1100, false, 0x40_0000);
        assert_eq!(warning, None);
        assert_eq!(imports.len(), 2);
        assert_eq!(imports[0].label(), "wininet.dll!InternetOpen");
        assert!(imports[0].delay);
        assert_eq!(imports[1].ordinal, Some(7));
        // Truncated: the table runs off the section.
        let (_, warning) = delay_imports(&data[..0x104], &sections, 0x1100, false, 0);
        assert!(warning.is_some());
    }
}
