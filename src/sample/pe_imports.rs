//! The PE import directory read the way pefile reads it, so that the import list and the
//! imphash agree with pefile (and so with VirusTotal and the sharing platforms that compute
//! imphash with it).
//!
//! pefile maps addresses to file offsets with its own section model (section addresses
//! rounded down to the section alignment, raw pointers to 512 bytes, a section's extent cut
//! at the next section, addresses outside every section read from the header or straight
//! from the file), reads the lookup table and falls back to the address table, names
//! ordinal imports of `ws2_32.dll`, `wsock32.dll` and `oleaut32.dll` from a table
//! (`data/pe-ordinals.txt`), writes DLL names with characters no DOS file name has as
//! `*invalid*`, skips function names with characters no symbol has, and gives up on a
//! thunk table with signs of bogus data. This module follows those rules step by step;
//! goblin (used for the rest of the PE) is stricter and loses imports of packed files.
//!
//! One pefile rule is kept for the imphash only: pefile stops after 8,192 thunks over the
//! whole directory, so a large import table (a wxWidgets or Qt module) loses its later
//! DLLs, `KERNEL32.dll` among them, and a sample can hide imports behind thousands of
//! padding ones. [`read_table`] reads such a table a second time without that bound for
//! the import list, and keeps pefile's shorter list for the imphash.

use super::Import;
use crate::error::{Warning, WarningCode};
use rustc_hash::FxHashMap;
use std::cell::Cell;
use std::sync::OnceLock;

/// The ordinal table: lower-case DLL name → ordinal → name.
pub fn ordinal_names() -> &'static FxHashMap<String, FxHashMap<u16, String>> {
    static T: OnceLock<FxHashMap<String, FxHashMap<u16, String>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut out: FxHashMap<String, FxHashMap<u16, String>> = FxHashMap::default();
        let mut dll = None;
        for e in crate::tables::entries(include_str!("../../data/pe-ordinals.txt")) {
            if let Some(name) = e.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                dll = Some(name.trim().to_ascii_lowercase());
            } else if let (Some(d), Some((o, n))) = (&dll, e.split_once(char::is_whitespace)) {
                if let Ok(o) = o.parse::<u16>() {
                    out.entry(d.clone())
                        .or_default()
                        .insert(o, n.trim().to_string());
                }
            }
        }
        out
    })
}

/// The name the ordinal table gives ordinal `ordinal` of `dll` (the whole DLL name with its
/// extension, compared lower-case, as pefile does); `None` when the table has no name.
pub fn ordinal_name(dll: &str, ordinal: u16) -> Option<&'static str> {
    ordinal_names()
        .get(&dll.to_ascii_lowercase())?
        .get(&ordinal)
        .map(String::as_str)
}

/// pefile's upper bound on sections read.
const MAX_SECTIONS: u32 = 0x800;
/// pefile's bound on thunks read over the whole import directory.
const MAX_IMPORT_SYMBOLS: u32 = 0x2000;
/// spoor's own bound on thunks read for the import list (about 32,000 imports, counting a
/// lookup table and an address table per DLL).
const MAX_LISTED_SYMBOLS: u32 = 0x1_0000;
/// Longest DLL or function name read.
const MAX_NAME: u64 = 0x200;

#[derive(Debug, Clone)]
struct Sec {
    va: u64,
    vsize: u64,
    raw_ptr: u64,
    raw_size: u64,
    va_adj: u64,
    ptr_adj: u64,
    next_va: Option<u64>,
    lo: u64,
    hi: u64,
}

/// A PE file seen through pefile's address model.
struct Image<'a> {
    data: &'a [u8],
    header_len: usize,
    sections: Vec<Sec>,
    last: Cell<Option<usize>>,
    pe64: bool,
}

/// Little-endian integer of `N` bytes at `at`.
fn le(data: &[u8], at: u64, n: usize) -> Option<u64> {
    let at = usize::try_from(at).ok()?;
    let b = data.get(at..at.checked_add(n)?)?;
    Some(b.iter().rev().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
}

/// `data[start..start+len]` with Python's clamping.
fn py_slice(data: &[u8], start: u64, end: u64) -> &[u8] {
    let n = data.len() as u64;
    let s = start.min(n) as usize;
    let e = end.min(n) as usize;
    if s >= e {
        &[]
    } else {
        &data[s..e]
    }
}

fn align_down(val: u64, section_alignment: u64, file_alignment: u64) -> u64 {
    let a = if section_alignment < 0x1000 {
        file_alignment
    } else {
        section_alignment
    };
    if a != 0 && !val.is_multiple_of(a) {
        a * (val / a)
    } else {
        val
    }
}

impl<'a> Image<'a> {
    /// The headers and section table; `None` where pefile would refuse the file.
    fn new(data: &'a [u8]) -> Option<Self> {
        if data.len() < 64 || &data[..2] != b"MZ" {
            return None;
        }
        let nt = le(data, 0x3c, 4)?;
        if nt > data.len() as u64 || data.get(nt as usize..nt as usize + 4)? != b"PE\0\0" {
            return None;
        }
        let file_header = nt + 4;
        le(data, file_header, 20)?;
        let sections_count = le(data, file_header + 2, 2)? as u32;
        let optional_size = le(data, file_header + 16, 2)?;
        let opt = file_header + 20;
        let available = py_slice(data, opt, opt + 0x200);
        let magic = le(available, 0, 2);
        let pe64 = magic == Some(0x20b);
        let (min_raw, full) = if pe64 { (73, 112) } else { (69, 96) };
        let mut padded = available.to_vec();
        if padded.len() < full {
            if padded.len() < min_raw {
                return None;
            }
            padded.resize(padded.len() + 128, 0);
        }
        let section_alignment = le(&padded, 32, 4)?;
        let file_alignment = le(&padded, 36, 4)?;
        let sections_offset = opt + optional_size;
        let mut sections = Vec::new();
        for i in 0..sections_count.min(MAX_SECTIONS) {
            let at = sections_offset + 40 * u64::from(i);
            let raw = py_slice(data, at, at + 40);
            if raw.is_empty() || (raw.len() == 40 && raw.iter().all(|&b| b == 0)) {
                break;
            }
            if raw.len() < 40 {
                // pefile fails on a cut section header.
                return None;
            }
            let vsize = le(raw, 8, 4)?;
            let va = le(raw, 12, 4)?;
            let raw_size = le(raw, 16, 4)?;
            let raw_ptr = le(raw, 20, 4)?;
            let va_adj = align_down(va, section_alignment, file_alignment);
            let mut errors = 0;
            let len = data.len() as u64;
            if raw_size + raw_ptr > len {
                errors += 1;
            }
            if raw_ptr & !0x1ff > len {
                errors += 1;
            }
            if vsize > 0x1000_0000 {
                errors += 1;
            }
            if va_adj > 0x1000_0000 {
                errors += 1;
            }
            if file_alignment != 0 && raw_ptr % file_alignment != 0 {
                errors += 1;
            }
            if errors >= 3 {
                break;
            }
            let ptr_adj = if section_alignment < 0x1000 && raw_ptr == va {
                va
            } else {
                raw_ptr & !0x1ff
            };
            sections.push(Sec {
                va,
                vsize,
                raw_ptr,
                raw_size,
                va_adj,
                ptr_adj,
                next_va: None,
                lo: 0,
                hi: 0,
            });
        }
        sections.sort_by_key(|s| s.va);
        let len = data.len() as i128;
        for i in 0..sections.len() {
            let next_va = sections.get(i + 1).map(|n| n.va);
            let s = &mut sections[i];
            s.next_va = next_va;
            let mut size = if len - i128::from(s.ptr_adj) < i128::from(s.raw_size) {
                s.vsize
            } else {
                s.raw_size.max(s.vsize)
            };
            if let Some(n) = next_va {
                if n > s.va && s.va_adj + size > n {
                    size = n.saturating_sub(s.va_adj);
                }
            }
            s.lo = s.va_adj;
            s.hi = s.va_adj + size;
        }
        let mut header_end = sections_offset;
        if sections_count > 0 && !sections.is_empty() {
            header_end += 40 * u64::from(sections_count);
        }
        let lowest = sections
            .iter()
            .filter(|s| s.raw_ptr > 0)
            .map(|s| s.raw_ptr & !0x1ff)
            .min();
        let header_len = match lowest {
            Some(l) if l != 0 && l >= header_end => l,
            _ => header_end,
        };
        Some(Image {
            data,
            header_len: header_len.min(data.len() as u64) as usize,
            sections,
            last: Cell::new(None),
            pe64,
        })
    }

    /// The import directory's address, from the optional header's data directories.
    fn import_directory(&self) -> Option<u64> {
        let data = self.data;
        let nt = le(data, 0x3c, 4)?;
        let opt = nt + 24;
        let padded = |at: u64| -> u64 {
            // Reads past the end of the file come as zeros, as pefile pads them.
            le(data, at, 4).unwrap_or(0)
        };
        let (count_at, dirs) = if self.pe64 { (108, 112) } else { (92, 96) };
        let count = padded(opt + count_at) & 0x7fff_ffff;
        if count < 2 {
            return None;
        }
        let mut offset = opt + dirs;
        for i in 0..2u64 {
            if data.len() as u64 == offset {
                return None;
            }
            if i == 1 {
                let va = padded(offset);
                return (va != 0).then_some(va);
            }
            offset += 8;
        }
        None
    }

    fn section_of(&self, rva: u64) -> Option<&Sec> {
        if let Some(i) = self.last.get() {
            let s = &self.sections[i];
            if s.lo <= rva && rva < s.hi {
                return Some(s);
            }
        }
        let i = self
            .sections
            .iter()
            .position(|s| s.lo <= rva && rva < s.hi)?;
        self.last.set(Some(i));
        Some(&self.sections[i])
    }

    fn section_data(&self, s: &Sec, rva: u64, len: u64) -> &'a [u8] {
        let offset = rva - s.va_adj + s.ptr_adj;
        let end = (offset + len).min(s.raw_ptr + s.raw_size);
        py_slice(self.data, offset, end)
    }

    /// pefile's `get_data`: `None` where it raises.
    fn get(&self, rva: u64, len: u64) -> Option<&'a [u8]> {
        match self.section_of(rva) {
            Some(s) => Some(self.section_data(s, rva, len)),
            None if rva < self.header_len as u64 => {
                Some(py_slice(&self.data[..self.header_len], rva, rva + len))
            }
            None if rva < self.data.len() as u64 => Some(py_slice(self.data, rva, rva + len)),
            None => None,
        }
    }

    /// pefile's `get_offset_from_rva`.
    fn offset_of(&self, rva: u64) -> Option<u64> {
        match self.section_of(rva) {
            Some(s) => Some(rva - s.va_adj + s.ptr_adj),
            None if rva < self.data.len() as u64 => Some(rva),
            None => None,
        }
    }

    /// pefile's `get_string_at_rva`: up to the first NUL.
    fn string(&self, rva: u64) -> &'a [u8] {
        let bytes = match self.section_of(rva) {
            Some(s) => self.section_data(s, rva, MAX_NAME),
            None => py_slice(self.data, rva, rva + MAX_NAME),
        };
        match bytes.iter().position(|&b| b == 0) {
            Some(end) => &bytes[..end],
            None => bytes,
        }
    }
}

fn valid_dll_name(s: &[u8]) -> bool {
    s.iter()
        .all(|&c| c.is_ascii_alphanumeric() || b"!#$%&'()-@^_`{}~+,.;=[]:\\/".contains(&c))
}

fn valid_function_name(s: &[u8]) -> bool {
    s.iter()
        .all(|&c| c.is_ascii_alphanumeric() || b"._?@$()<>".contains(&c))
}

/// Why a thunk table was not read.
enum Table {
    /// Entries read (possibly none).
    Entries(Vec<u64>),
    /// pefile returns `None` (a thunk could not be read).
    Unreadable,
}

/// The imports of a PE: the whole list, and pefile's shorter one where it differs.
#[derive(Debug, Clone, Default)]
pub struct ImportTable {
    /// Every import read (without delay imports), up to 65,536 thunks.
    pub imports: Vec<Import>,
    /// The imports pefile reads, where its bound of 8,192 thunks cuts the list short: the
    /// imphash is computed over these, as pefile (and VirusTotal) computes it.
    pub pefile_imports: Option<Vec<Import>>,
    /// The entries skipped, and pefile's bound where it was reached.
    pub warnings: Vec<Warning>,
}

/// The import table of the PE in `data` (see [`ImportTable`]), or `None` where pefile would
/// not parse the file's headers.
pub fn read_table(data: &[u8]) -> Option<ImportTable> {
    let (pefile_imports, warnings, bounded) = read_bounded(data, MAX_IMPORT_SYMBOLS)?;
    if !bounded {
        return Some(ImportTable {
            imports: pefile_imports,
            pefile_imports: None,
            warnings,
        });
    }
    let (imports, mut warnings, _) = read_bounded(data, MAX_LISTED_SYMBOLS)?;
    if imports.len() > pefile_imports.len() {
        warnings.push(Warning::new(
            WarningCode::Estimated,
            format!(
                "more than {MAX_IMPORT_SYMBOLS} import thunks: the imphash covers the first {} \
                 of {} imports, as pefile (and so VirusTotal) computes it",
                pefile_imports.len(),
                imports.len()
            ),
        ));
        Some(ImportTable {
            imports,
            pefile_imports: Some(pefile_imports),
            warnings,
        })
    } else {
        Some(ImportTable {
            imports,
            pefile_imports: None,
            warnings,
        })
    }
}

/// The imports of the PE in `data` as pefile reads them (without delay imports) with at most
/// `max_symbols` thunks read over the whole directory (pefile: [`MAX_IMPORT_SYMBOLS`]), and
/// whether that bound was passed; `None` where pefile would not parse the file's headers.
/// Warnings describe the entries skipped.
fn read_bounded(data: &[u8], max_symbols: u32) -> Option<(Vec<Import>, Vec<Warning>, bool)> {
    let image = Image::new(data)?;
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let Some(mut rva) = image.import_directory() else {
        return Some((out, warnings, false));
    };
    let mut symbols = 0u32;
    let mut errors = 0;
    let thunk = if image.pe64 { 8 } else { 4 };
    let ordinal_flag = if image.pe64 { 1u64 << 63 } else { 1u64 << 31 };
    let address_mask = ordinal_flag - 1;
    loop {
        let Some(desc) = image.get(rva, 20) else {
            warnings.push(Warning::new(
                WarningCode::ParseError,
                format!("import directory unreadable at RVA {rva:#x}"),
            ));
            break;
        };
        if desc.len() < 20 || desc.iter().all(|&b| b == 0) {
            break;
        }
        let file_offset = image.offset_of(rva).unwrap_or(0);
        let field = |at: u64| le(desc, at, 4).unwrap_or(0);
        let (oft, name_rva, ft) = (field(0), field(12), field(16));
        rva += 20;
        let mut max_len = i128::from(data.len() as u64) - i128::from(file_offset);
        if rva > oft || rva > ft {
            max_len = (i128::from(rva) - i128::from(oft)).max(i128::from(rva) - i128::from(ft));
        }
        let entries = read_entries(
            &image,
            oft,
            ft,
            max_len,
            (&mut symbols, max_symbols),
            thunk,
            ordinal_flag,
            address_mask,
        );
        if errors > 5 {
            warnings.push(Warning::new(
                WarningCode::ParseError,
                "too many damaged import descriptors; the rest is not read",
            ));
            break;
        }
        let Some(entries) = entries.filter(|e| !e.is_empty()) else {
            errors += 1;
            continue;
        };
        let raw_dll = image.string(name_rva);
        let dll = if valid_dll_name(raw_dll) {
            String::from_utf8_lossy(raw_dll).into_owned()
        } else {
            "*invalid*".to_string()
        };
        if dll.is_empty() {
            continue;
        }
        for (name, ordinal) in entries {
            let name = match (name, ordinal) {
                (Some(n), _) => Some(n),
                (None, Some(o)) => ordinal_name(&dll, o).map(str::to_string),
                (None, None) => None,
            };
            out.push(Import {
                library: dll.clone(),
                name,
                ordinal,
                delay: false,
            });
        }
    }
    let bounded = symbols > max_symbols;
    if bounded && max_symbols == MAX_LISTED_SYMBOLS {
        warnings.push(Warning::new(
            WarningCode::SizeLimit,
            format!("more than {max_symbols} import thunks; the rest is not read"),
        ));
    }
    Some((out, warnings, bounded))
}

type Entry = (Option<String>, Option<u16>);

/// The imports of one descriptor (pefile's `parse_imports`); `None` where pefile drops the
/// whole descriptor.
#[allow(clippy::too_many_arguments)]
fn read_entries(
    image: &Image,
    oft: u64,
    ft: u64,
    max_len: i128,
    (symbols, max_symbols): (&mut u32, u32),
    thunk: u64,
    ordinal_flag: u64,
    address_mask: u64,
) -> Option<Vec<Entry>> {
    let table = |start: u64, symbols: &mut u32| -> Table {
        let mut out = Vec::new();
        let mut rva = start;
        let mut repeated = 0;
        let (mut lo32, mut hi32, mut lo64, mut hi64): (Option<u64>, u64, Option<u64>, u64) =
            (None, 0, None, 0);
        let mut seen32 = rustc_hash::FxHashSet::default();
        let mut seen64 = rustc_hash::FxHashSet::default();
        while rva != 0 {
            if i128::from(rva) >= i128::from(start) + max_len {
                break;
            }
            if *symbols > max_symbols {
                break;
            }
            *symbols += 1;
            if repeated >= 15 {
                return Table::Entries(Vec::new());
            }
            if lo32.is_some_and(|l| hi32 - l > 128 << 20)
                || lo64.is_some_and(|l| hi64 - l > 128 << 20)
            {
                return Table::Entries(Vec::new());
            }
            let Some(value) = image
                .get(rva, thunk)
                .filter(|b| b.len() as u64 == thunk)
                .and_then(|b| le(b, 0, thunk as usize))
            else {
                return Table::Unreadable;
            };
            if value >= start && value <= rva {
                break;
            }
            if value != 0 {
                if value & ordinal_flag != 0 {
                    if value & 0x7fff_ffff > 0xffff {
                        return Table::Entries(Vec::new());
                    }
                } else {
                    let (lo, hi, seen) = if value >= 1 << 32 {
                        (&mut lo64, &mut hi64, &mut seen64)
                    } else {
                        (&mut lo32, &mut hi32, &mut seen32)
                    };
                    if !seen.insert(value) {
                        repeated += 1;
                    }
                    *lo = Some(lo.map_or(value, |l| l.min(value)));
                    *hi = (*hi).max(value);
                }
            }
            if value == 0 {
                break;
            }
            rva += thunk;
            out.push(value);
        }
        Table::Entries(out)
    };
    let ilt = if oft == 0 {
        Table::Entries(Vec::new())
    } else {
        table(oft, symbols)
    };
    let iat = if ft == 0 {
        Table::Entries(Vec::new())
    } else {
        table(ft, symbols)
    };
    let list = match (ilt, iat) {
        (Table::Entries(l), _) if !l.is_empty() => l,
        (_, Table::Entries(a)) if !a.is_empty() => a,
        _ => return Some(Vec::new()),
    };
    let mut out = Vec::new();
    let mut invalid = 0usize;
    for (idx, value) in list.into_iter().enumerate() {
        let (name, ordinal) = if value & ordinal_flag != 0 {
            (None, Some((value & 0xffff) as u16))
        } else {
            let hint = value & address_mask;
            match image.get(hint, 2) {
                None => (None, None),
                Some(_) => {
                    let raw = image.string(value.wrapping_add(2));
                    if valid_function_name(raw) {
                        (Some(String::from_utf8_lossy(raw).into_owned()), None)
                    } else {
                        if invalid > 1000 && invalid == idx {
                            return None;
                        }
                        invalid += 1;
                        continue;
                    }
                }
            }
        };
        match (&name, ordinal) {
            (None, None) => return None,
            (Some(n), _) if !n.is_empty() => out.push((name, None)),
            (_, Some(o)) if o != 0 => out.push((None, Some(o))),
            _ => {}
        }
    }
    Some(out)
}

/// pefile's imphash: `dll.func` pairs (the DLL lower-cased without a `.dll`, `.ocx` or
/// `.sys` extension; ordinals named from the ordinal table or written `ordN`), comma-joined,
/// MD5. `None` without imports (pefile gives an empty string).
pub fn imphash(imports: &[Import]) -> Option<String> {
    use md5::{Digest, Md5};
    if imports.is_empty() {
        return None;
    }
    let parts: Vec<String> = imports
        .iter()
        .map(|i| {
            let lib = i.library.to_ascii_lowercase();
            let lib = match lib.rsplit_once('.') {
                Some((stem, "dll" | "ocx" | "sys")) => stem.to_string(),
                _ => lib,
            };
            let func = match (&i.name, i.ordinal) {
                (Some(n), _) => n.to_ascii_lowercase(),
                (None, Some(o)) => {
                    ordinal_name(&i.library, o).map_or_else(|| format!("ord{o}"), str::to_string)
                }
                (None, None) => String::new(),
            }
            .to_ascii_lowercase();
            format!("{lib}.{func}")
        })
        .collect();
    Some(super::hex(&Md5::digest(parts.join(",").as_bytes())))
}

/// pefile's rich header hash: the MD5 of the bytes from offset 0x80 up to `Rich`, decoded
/// with the key after it. `Rich` is searched from 0x80 to the optional header, as a dword
/// aligned on 0x80.
pub fn rich_header_hash(data: &[u8], pe_pointer: u32) -> Option<String> {
    use md5::{Digest, Md5};
    let end = (u64::from(pe_pointer) + 24).min(data.len() as u64) as usize;
    let region = data.get(0x80..end)?;
    let rich = region.windows(4).position(|w| w == b"Rich")?;
    let upto = data.get(0x80..(0x80 + rich + 8).min(data.len()))?;
    let upto = &upto[..upto.len() / 4 * 4];
    let aligned = upto.chunks_exact(4).position(|c| c == b"Rich")?;
    let key = upto.get(aligned * 4 + 4..aligned * 4 + 8)?;
    let raw = &upto[..rich];
    let clear: Vec<u8> = raw
        .iter()
        .zip(key.iter().cycle())
        .map(|(b, k)| b ^ k)
        .collect();
    Some(super::hex(&Md5::digest(&clear)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinal_table() {
        assert_eq!(ordinal_name("WS2_32.dll", 4), Some("connect"));
        assert_eq!(ordinal_name("wsock32.dll", 3), Some("closesocket"));
        assert_eq!(ordinal_name("oleaut32.dll", 2), Some("SysAllocString"));
        assert_eq!(ordinal_name("ws2_32.dll", 60000), None);
        assert_eq!(ordinal_name("ws2_32", 4), None);
        assert_eq!(ordinal_name("kernel32.dll", 4), None);
    }

    #[test]
    fn imphash_names_ordinals() {
        let imp = |lib: &str, name: Option<&str>, ordinal: Option<u16>| Import {
            library: lib.into(),
            name: name.map(str::to_string),
            ordinal,
            delay: false,
        };
        let list = [
            imp("KERNEL32.dll", Some("CreateFileA"), None),
            imp("WS2_32.dll", None, Some(23)),
            imp("mylib.dll", None, Some(7)),
            imp("ws2_32.dll", None, Some(60000)),
        ];
        let want = super::super::hex(&{
            use md5::{Digest, Md5};
            Md5::digest(b"kernel32.createfilea,ws2_32.socket,mylib.ord7,ws2_32.ord60000")
        });
        assert_eq!(imphash(&list).as_deref(), Some(want.as_str()));
        assert_eq!(imphash(&[]), None);
    }

    #[test]
    fn names_pefile_rejects() {
        assert!(valid_dll_name(b"KERNEL32.dll"));
        assert!(valid_dll_name(b"api-ms-win-core-file-l1-1-0.dll"));
        assert!(!valid_dll_name(b"ker nel.dll"));
        assert!(!valid_dll_name(b"k\xffl.dll"));
        assert!(valid_function_name(b"?foo@@YAXXZ"));
        assert!(!valid_function_name(b"foo-bar"));
    }

    #[test]
    fn not_a_pe() {
        assert!(read_table(b"MZ").is_none());
        assert!(read_table(&[0u8; 256]).is_none());
    }
}
