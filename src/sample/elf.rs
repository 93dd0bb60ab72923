//! ELF parsing for triage: interpreter, needed libraries, sections, imported and exported
//! symbols, stripped or not, static or not.

use super::{ElfInfo, Import, Parsed, Section};
use crate::error::Warning;
use crate::error::WarningCode::{ParseError, SizeLimit};
use goblin::elf::section_header::{SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS};
use goblin::elf::sym::{STB_GLOBAL, STB_WEAK, STT_FUNC};
use goblin::elf::Elf;

/// Longest list of exported functions kept in a report.
pub const MAX_LISTED: usize = 1000;

/// Parses an ELF file.
pub fn parse(data: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let elf = match Elf::parse(data) {
        Ok(e) => e,
        Err(e) => {
            out.warnings
                .push(Warning::new(ParseError, format!("ELF: {e}")));
            header_only(data, &mut out);
            return out;
        }
    };
    out.arch = machine_name(elf.header.e_machine).to_string();
    out.bitness = if elf.is_64 { 64 } else { 32 };
    let mut has_symtab = false;
    for sh in &elf.section_headers {
        let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("").to_string();
        if name == ".symtab" {
            has_symtab = true;
        }
        if sh.sh_type == 0 {
            continue;
        }
        let raw = if sh.sh_type == SHT_NOBITS {
            0
        } else {
            sh.sh_size
        };
        let flags = sh.sh_flags;
        out.sections.push(Section::new(
            name,
            sh.sh_addr,
            sh.sh_size,
            sh.sh_offset,
            raw,
            (
                flags & u64::from(SHF_ALLOC) != 0,
                flags & u64::from(SHF_WRITE) != 0,
                flags & u64::from(SHF_EXECINSTR) != 0,
            ),
        ));
    }
    for sym in elf.dynsyms.iter() {
        if sym.st_shndx != 0 || sym.st_name == 0 {
            continue;
        }
        if let Some(name) = elf.dynstrtab.get_at(sym.st_name) {
            if !name.is_empty() {
                out.imports.push(Import {
                    library: String::new(),
                    name: Some(name.to_string()),
                    ordinal: None,
                    delay: false,
                });
            }
        }
    }
    let mut exports: Vec<String> = elf
        .dynsyms
        .iter()
        .filter(|sym| {
            sym.st_shndx != 0
                && sym.st_type() == STT_FUNC
                && matches!(sym.st_bind(), STB_GLOBAL | STB_WEAK)
        })
        .filter_map(|sym| elf.dynstrtab.get_at(sym.st_name))
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect();
    exports.sort();
    exports.dedup();
    out.exports.clone_from(&exports);
    if exports.len() > MAX_LISTED {
        out.warnings.push(Warning::new(
            SizeLimit,
            format!(
                "{} exported functions; the first {MAX_LISTED} are listed",
                exports.len()
            ),
        ));
        exports.truncate(MAX_LISTED);
    }
    let table = super::behavior::api_table();
    let mut notable_imports: Vec<String> = out
        .imports
        .iter()
        .filter_map(|i| i.name.as_deref())
        .filter(|n| table.apis.contains_key(&super::behavior::fold(n)))
        .map(str::to_string)
        .collect();
    notable_imports.sort();
    notable_imports.dedup();
    let kind = match elf.header.e_type {
        1 => "rel",
        2 => "exec",
        3 => "dyn",
        4 => "core",
        _ => "other",
    };
    out.elf = Some(ElfInfo {
        kind: kind.to_string(),
        interpreter: elf.interpreter.map(str::to_string),
        needed: elf.libraries.iter().map(|l| l.to_string()).collect(),
        stripped: !has_symtab,
        static_linked: elf.interpreter.is_none() && elf.dynamic.is_none(),
        entry_point: elf.entry,
        symbols: elf.syms.len(),
        dynamic_symbols: elf.dynsyms.len(),
        exports,
        notable_imports,
    });
    out
}

fn header_only(data: &[u8], out: &mut Parsed) {
    if let Ok(h) = goblin::elf::Elf::parse_header(data) {
        out.arch = machine_name(h.e_machine).to_string();
        out.bitness = match h.e_ident[4] {
            1 => 32,
            2 => 64,
            _ => 0,
        };
    }
}

fn machine_name(m: u16) -> &'static str {
    match m {
        3 => "x86",
        62 => "x86_64",
        40 => "arm",
        183 => "aarch64",
        8 => "mips",
        20 => "powerpc",
        21 => "powerpc64",
        243 => "riscv",
        _ => "unknown",
    }
}
