//! Mach-O parsing for triage: every slice of a fat file, its dylibs, sections, imported
//! symbols and whether it carries a code signature.

use super::{Import, MachoSlice, Parsed, Section};
use crate::error::WarningCode::{FormatUnknown, ParseError};
use goblin::mach::constants::cputype::get_arch_name_from_types;
use goblin::mach::load_command::CommandVariant;
use goblin::mach::{Mach, MachO, SingleArch};

const S_ATTR_PURE_INSTRUCTIONS: u32 = 0x8000_0000;
const S_ATTR_SOME_INSTRUCTIONS: u32 = 0x400;
const VM_PROT_READ: u32 = 1;
const VM_PROT_WRITE: u32 = 2;
const VM_PROT_EXECUTE: u32 = 4;

/// More bindings than any real binary has; beyond this goblin's import list is not built.
const MAX_BINDS: u64 = 200_000;

/// How many bindings the bind and lazy-bind opcode streams of `m` declare (an upper
/// bound, walking the opcodes the way dyld and goblin do, without expanding them).
fn bind_count(slice: &[u8], m: &MachO) -> u64 {
    let mut total = 0u64;
    for lc in &m.load_commands {
        if let CommandVariant::DyldInfo(d) | CommandVariant::DyldInfoOnly(d) = &lc.command {
            total = total
                .saturating_add(count_binds(slice, d.bind_off, d.bind_size))
                .saturating_add(count_binds(slice, d.lazy_bind_off, d.lazy_bind_size));
        }
    }
    total
}

fn count_binds(slice: &[u8], off: u32, size: u32) -> u64 {
    // As goblin does: opcodes are read while they start inside the region, but their
    // operands may run past its end (a count read there was once missed: found by fuzzing).
    let Some(ops) = slice.get(off as usize..) else {
        return 0;
    };
    let size = size as usize;
    let mut i = 0;
    let uleb = |i: &mut usize| -> u64 {
        let (mut value, mut shift) = (0u64, 0u32);
        while let Some(&byte) = ops.get(*i) {
            *i += 1;
            if shift < 64 {
                value |= u64::from(byte & 0x7f) << shift;
            }
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        value
    };
    let mut binds = 0u64;
    while let Some(&op) = ops.get(i).filter(|_| i < size) {
        i += 1;
        match op & 0xf0 {
            // SET_DYLIB_ORDINAL_ULEB, SET_ADDEND_SLEB, SET_SEGMENT_AND_OFFSET_ULEB, ADD_ADDR_ULEB
            0x20 | 0x60 | 0x70 | 0x80 => {
                uleb(&mut i);
            }
            // SET_SYMBOL_TRAILING_FLAGS_IMM: a NUL-terminated name follows
            0x40 => {
                while ops.get(i).is_some_and(|&b| b != 0) {
                    i += 1;
                }
                i += 1;
            }
            // DO_BIND, DO_BIND_ADD_ADDR_IMM_SCALED
            0x90 | 0xb0 => binds = binds.saturating_add(1),
            // DO_BIND_ADD_ADDR_ULEB
            0xa0 => {
                binds = binds.saturating_add(1);
                uleb(&mut i);
            }
            // DO_BIND_ULEB_TIMES_SKIPPING_ULEB
            0xc0 => {
                binds = binds.saturating_add(uleb(&mut i));
                uleb(&mut i);
            }
            _ => {}
        }
    }
    binds
}

/// Parses a thin or fat Mach-O file.
pub fn parse(data: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    match Mach::parse(data) {
        Ok(Mach::Binary(m)) => {
            slice(data, &m, 0, data.len() as u64, "", &mut out);
            out.arch = out
                .macho
                .first()
                .map(|s| s.arch.clone())
                .unwrap_or_default();
            out.bitness = if m.is_64 { 64 } else { 32 };
        }
        Ok(Mach::Fat(fat)) => {
            let arches = match fat.arches() {
                Ok(a) => a,
                Err(e) => {
                    out.warnings
                        .push(warning(ParseError, format!("Mach-O fat header: {e}")));
                    Vec::new()
                }
            };
            let mut bits = Vec::new();
            for (i, arch) in arches.iter().enumerate() {
                match fat.get(i) {
                    Ok(SingleArch::MachO(m)) => {
                        let name = arch_name(m.header.cputype, m.header.cpusubtype);
                        bits.push(if m.is_64 { 64 } else { 32 });
                        let prefix = format!("{name}:");
                        slice(
                            data,
                            &m,
                            u64::from(arch.offset),
                            u64::from(arch.size),
                            &prefix,
                            &mut out,
                        );
                    }
                    Ok(SingleArch::Archive(_)) => {
                        out.warnings.push(warning(
                            FormatUnknown,
                            format!("Mach-O slice {i} is an archive"),
                        ));
                    }
                    Err(e) => out
                        .warnings
                        .push(warning(ParseError, format!("Mach-O slice {i}: {e}"))),
                }
            }
            out.arch = out
                .macho
                .iter()
                .map(|s| s.arch.as_str())
                .collect::<Vec<_>>()
                .join("+");
            bits.dedup();
            out.bitness = if bits.len() == 1 { bits[0] } else { 0 };
        }
        Err(e) => out
            .warnings
            .push(warning(ParseError, format!("Mach-O: {e}"))),
    }
    out
}

fn arch_name(cputype: u32, cpusubtype: u32) -> String {
    let known = match cputype {
        7 => Some("x86"),
        0x0100_0007 => Some("x86_64"),
        12 => Some("arm"),
        0x0100_000c => Some("arm64"),
        0x0200_000c => Some("arm64_32"),
        18 => Some("powerpc"),
        0x0100_0012 => Some("powerpc64"),
        _ => None,
    };
    if let Some(k) = known {
        return k.to_string();
    }
    match get_arch_name_from_types(cputype, cpusubtype) {
        Some(n) => n.to_string(),
        None => format!("cpu-{cputype:#x}"),
    }
}

/// The platform, minimum OS and SDK a slice's first `LC_BUILD_VERSION` or
/// `LC_VERSION_MIN_*` command records.
fn build_target(m: &MachO) -> Option<String> {
    m.load_commands.iter().find_map(|lc| {
        let (platform, minos, sdk) = match &lc.command {
            CommandVariant::BuildVersion(b) => (b.platform, b.minos, b.sdk),
            CommandVariant::VersionMinMacosx(v) => (1, v.version, v.sdk),
            CommandVariant::VersionMinIphoneos(v) => (2, v.version, v.sdk),
            CommandVariant::VersionMinTvos(v) => (3, v.version, v.sdk),
            CommandVariant::VersionMinWatchos(v) => (4, v.version, v.sdk),
            _ => return None,
        };
        Some(super::build_records::target(platform, minos, sdk))
    })
}

fn slice(data: &[u8], m: &MachO, base: u64, size: u64, prefix: &str, out: &mut Parsed) {
    let arch = arch_name(m.header.cputype, m.header.cpusubtype);
    let code_signature = m
        .load_commands
        .iter()
        .any(|lc| matches!(lc.command, CommandVariant::CodeSignature(_)));
    for seg in m.segments.iter() {
        let prot = seg.initprot;
        let segname = seg.name().unwrap_or("?").to_string();
        match seg.sections() {
            Ok(secs) => {
                for (sec, _) in secs {
                    let secname = sec.name().unwrap_or("?");
                    let zerofill = matches!(sec.flags & 0xff, 0x1 | 0xc | 0x12);
                    let x = prot & VM_PROT_EXECUTE != 0
                        && sec.flags & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS) != 0;
                    out.sections.push(Section::new(
                        format!("{prefix}{segname},{secname}"),
                        sec.addr,
                        sec.size,
                        base + u64::from(sec.offset),
                        if zerofill { 0 } else { sec.size },
                        (prot & VM_PROT_READ != 0, prot & VM_PROT_WRITE != 0, x),
                    ));
                }
            }
            Err(e) => out.warnings.push(warning(
                ParseError,
                format!("Mach-O segment {segname}: {e}"),
            )),
        }
    }
    let slice_data = data.get(base as usize..).unwrap_or(&[]);
    let binds = bind_count(slice_data, m);
    let imports = if binds > MAX_BINDS {
        // goblin expands a "bind N times" opcode into N entries: a crafted count would
        // allocate gigabytes (found by fuzzing)
        Err(format!(
            "bind opcodes declare {binds} bindings (more than {MAX_BINDS}); imports skipped"
        ))
    } else {
        m.imports().map_err(|e| e.to_string())
    };
    match imports {
        Ok(imports) => {
            let mut seen = std::collections::HashSet::new();
            for i in imports {
                if !seen.insert((i.dylib, i.name)) {
                    continue;
                }
                out.imports.push(Import {
                    library: i.dylib.to_string(),
                    name: Some(i.name.to_string()),
                    ordinal: None,
                    delay: false,
                });
            }
        }
        Err(e) => out
            .warnings
            .push(warning(ParseError, format!("Mach-O imports ({arch}): {e}"))),
    }
    out.macho.push(MachoSlice {
        arch,
        offset: base,
        size,
        dylibs: m
            .libs
            .iter()
            .filter(|l| **l != "self")
            .map(|l| l.to_string())
            .collect(),
        code_signature,
        target: build_target(m),
        load_commands: m
            .load_commands
            .iter()
            .map(|lc| goblin::mach::load_command::cmd_to_str(lc.command.cmd()).to_string())
            .collect(),
    });
}

/// A warning of kind `code`.
fn warning(code: crate::error::WarningCode, message: impl Into<String>) -> crate::error::Warning {
    crate::error::Warning::new(code, message)
}
