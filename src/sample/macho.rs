//! Mach-O parsing for triage: every slice of a fat file, its dylibs, sections, imported
//! symbols and whether it carries a code signature.

use super::{Import, MachoSlice, Parsed, Section};
use goblin::mach::constants::cputype::get_arch_name_from_types;
use goblin::mach::load_command::CommandVariant;
use goblin::mach::{Mach, MachO, SingleArch};

const S_ATTR_PURE_INSTRUCTIONS: u32 = 0x8000_0000;
const S_ATTR_SOME_INSTRUCTIONS: u32 = 0x400;
const VM_PROT_READ: u32 = 1;
const VM_PROT_WRITE: u32 = 2;
const VM_PROT_EXECUTE: u32 = 4;

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
                    out.warnings.push(format!("Mach-O fat header: {e}"));
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
                        out.warnings.push(format!("Mach-O slice {i} is an archive"));
                    }
                    Err(e) => out.warnings.push(format!("Mach-O slice {i}: {e}")),
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
        Err(e) => out.warnings.push(format!("Mach-O: {e}")),
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
                        data,
                        format!("{prefix}{segname},{secname}"),
                        sec.addr,
                        sec.size,
                        base + u64::from(sec.offset),
                        if zerofill { 0 } else { sec.size },
                        (prot & VM_PROT_READ != 0, prot & VM_PROT_WRITE != 0, x),
                    ));
                }
            }
            Err(e) => out.warnings.push(format!("Mach-O segment {segname}: {e}")),
        }
    }
    match m.imports() {
        Ok(imports) => {
            for i in imports {
                let imp = Import {
                    library: i.dylib.to_string(),
                    name: Some(i.name.to_string()),
                    ordinal: None,
                    delay: false,
                };
                if !out.imports.contains(&imp) {
                    out.imports.push(imp);
                }
            }
        }
        Err(e) => out.warnings.push(format!("Mach-O imports ({arch}): {e}")),
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
        load_commands: m.load_commands.len(),
    });
}
