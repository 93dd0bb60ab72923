//! PE parsing for triage: headers, sections, imports (with imphash), exports, overlay.
//!
//! goblin is tried strictly first, then permissively, then without imports, resources and
//! certificates; whatever fails is reported as a warning and the report keeps what was read.

use super::{Import, Parsed, PeInfo, Section};
use crate::error::Warning;
use crate::error::WarningCode::ParseError;
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
    let mut pe = None;
    for (opts, what) in [
        (&strict, ""),
        (&permissive, "parsed permissively"),
        (&minimal, "imports, resources and certificates skipped"),
    ] {
        match PE::parse_with_opts(data, opts) {
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
        header_only(data, &mut out);
        return out;
    };
    let machine = pe.header.coff_header.machine;
    out.arch = machine_name(machine).to_string();
    out.bitness = if pe.is_64 { 64 } else { 32 };
    out.sections = sections(&pe.sections);
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
    let exports = pe
        .exports
        .iter()
        .map(|e| match e.name {
            Some(n) => n.to_string(),
            None => format!("@rva {:#x}", e.rva),
        })
        .collect();
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
        signatures: extras.signatures,
        call_arguments,
    });
    out
}

/// Falls back to the COFF header and section table when goblin cannot parse the file.
fn header_only(data: &[u8], out: &mut Parsed) {
    let Ok(header) = goblin::pe::header::Header::parse(data) else {
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
    if let Ok(table) = header.coff_header.sections(data, &mut offset) {
        out.sections = sections(&table);
    }
}

fn sections(table: &[goblin::pe::section_table::SectionTable]) -> Vec<Section> {
    table
        .iter()
        .map(|s| {
            let name = String::from_utf8_lossy(&s.name)
                .trim_end_matches('\0')
                .to_string();
            let c = s.characteristics;
            Section::new(
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
            )
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

#[cfg(test)]
mod tests {
    use super::*;

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
