//! .NET assemblies: the CLR header and metadata of a PE.
//!
//! yara-x's `dotnet` module (the parser YARA rules see) gives the assembly name and version,
//! the module name and MVID, the typelib id, the referenced assemblies, the types and methods
//! the assembly defines, the `#US` user strings, the resources and the P/Invoke DLLs. What it
//! does not expose is read here from the metadata tables: the members the assembly references
//! from other assemblies (`System.Net.WebClient::DownloadData`: the .NET counterpart of a
//! native import) and the P/Invoke entries (`kernel32.dll!VirtualAllocEx`). Both become
//! imports of the sample, so behaviours and ATT&CK rules read them through the same tables as
//! native imports (`data/api-categories.txt` lists .NET members as `Namespace.Type.Member`).
//! `Assembly.Load` and `AppDomain.Load` are told apart by their signature's first parameter:
//! `Load` of bytes is reflective code loading, one of a name is written `Load(string)` or
//! `Load(System.Reflection.AssemblyName)`, which no table takes for it.

use super::resources::rva_to_offset;
use super::{Import, Section};
pub use crate::findings::executable::DotnetInfo;

/// Listed at most (types, methods, user strings).
pub const MAX_LISTED: usize = 500;

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        d.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// File offset of the metadata root (`BSJB`) of a .NET PE.
pub fn metadata_root(data: &[u8], sections: &[Section]) -> Option<usize> {
    let pe = u32_at(data, 0x3c)? as usize;
    let opt = pe.checked_add(24)?;
    let dirs = match u16_at(data, opt)? {
        0x20b => opt + 112,
        _ => opt + 96,
    };
    let clr_rva = u32_at(data, dirs + 14 * 8)?;
    if clr_rva == 0 {
        return None;
    }
    let clr = usize::try_from(rva_to_offset(sections, u64::from(clr_rva))?).ok()?;
    let meta_rva = u32_at(data, clr + 8)?;
    let meta = usize::try_from(rva_to_offset(sections, u64::from(meta_rva))?).ok()?;
    (data.get(meta..meta + 4)? == b"BSJB").then_some(meta)
}

/// The metadata version string at the root.
pub fn runtime_version(data: &[u8], root: usize) -> Option<String> {
    let len = (u32_at(data, root + 12)? as usize).min(255);
    let raw = data.get(root + 16..root + 16 + len)?;
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    Some(String::from_utf8_lossy(&raw[..end]).into_owned())
}

/// The streams of the metadata root: name → (file offset, size).
fn streams(data: &[u8], root: usize) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let Some(len) = u32_at(data, root + 12) else {
        return out;
    };
    let mut at = root + 16 + (len as usize).div_ceil(4) * 4;
    let Some(count) = u16_at(data, at + 2) else {
        return out;
    };
    at += 4;
    for _ in 0..count.min(16) {
        let (Some(off), Some(size)) = (u32_at(data, at), u32_at(data, at + 4)) else {
            break;
        };
        let name_at = at + 8;
        let Some(rest) = data.get(name_at..name_at + 32.min(data.len().saturating_sub(name_at)))
        else {
            break;
        };
        let Some(end) = rest.iter().position(|&b| b == 0) else {
            break;
        };
        let name = String::from_utf8_lossy(&rest[..end]).into_owned();
        out.push((name, root + off as usize, size as usize));
        at = name_at + (end + 4) / 4 * 4;
    }
    out
}

/// `(owner, name)` pairs: a type and a member, or a DLL and a function.
pub type Pairs = Vec<(String, String)>;

/// Reads the metadata tables (`#~`) far enough for TypeRef, MemberRef, ModuleRef and
/// ImplMap: the referenced members (`Namespace.Type::Member`) and the P/Invoke imports
/// (`dll!function`).
pub fn references(data: &[u8], root: usize) -> (Pairs, Pairs) {
    read_tables(data, root).unwrap_or_default()
}

fn read_tables(data: &[u8], root: usize) -> Option<(Pairs, Pairs)> {
    let streams = streams(data, root);
    let find = |n: &str| streams.iter().find(|s| s.0 == n).map(|s| (s.1, s.2));
    let (tables_at, tables_len) = find("#~").or_else(|| find("#-"))?;
    let (strings_at, strings_len) = find("#Strings")?;
    let t = data.get(tables_at..tables_at.checked_add(tables_len)?)?;
    let heap = data.get(strings_at..strings_at.checked_add(strings_len)?)?;
    let blobs = find("#Blob").and_then(|(at, len)| data.get(at..at.checked_add(len)?));
    let heap_sizes = *t.get(6)?;
    let valid = u64::from_le_bytes(t.get(8..16)?.try_into().ok()?);
    let mut rows = [0u32; 64];
    let mut at = 24;
    for (i, r) in rows.iter_mut().enumerate() {
        if valid >> i & 1 == 1 {
            *r = u32_at(t, at)?;
            at += 4;
        }
    }
    if heap_sizes & 0x40 != 0 {
        at += 4;
    }
    let str_size = if heap_sizes & 1 != 0 { 4 } else { 2 };
    let guid_size = if heap_sizes & 2 != 0 { 4 } else { 2 };
    let blob_size = if heap_sizes & 4 != 0 { 4 } else { 2 };
    let idx = |table: usize| if rows[table] < 0x10000 { 2 } else { 4 };
    let coded = |tables: &[usize], bits: u32| {
        let max = tables.iter().map(|&t| rows[t]).max().unwrap_or(0);
        if max < 1 << (16 - bits) {
            2
        } else {
            4
        }
    };
    // Coded index kinds (ECMA-335 II.24.2.6).
    let type_def_or_ref = coded(&[2, 1, 0x1b], 2);
    let resolution_scope = coded(&[0, 0x1a, 0x23, 1], 2);
    let member_ref_parent = coded(&[2, 1, 0x1a, 6, 0x1b], 3);
    let has_constant = coded(&[4, 8, 0x17], 2);
    let has_custom_attribute = coded(
        &[
            6, 4, 1, 2, 8, 9, 10, 0, 0x0e, 0x17, 0x14, 0x11, 0x1a, 0x1b, 0x20, 0x23, 0x26, 0x27,
            0x28, 0x2a, 0x2c, 0x2b,
        ],
        5,
    );
    let custom_attribute_type = coded(&[6, 10], 3);
    let has_field_marshal = coded(&[4, 8], 1);
    let has_decl_security = coded(&[2, 6, 0x20], 2);
    let has_semantics = coded(&[0x14, 0x17], 1);
    let method_def_or_ref = coded(&[6, 10], 1);
    let member_forwarded = coded(&[4, 6], 1);
    let (s, g, b) = (str_size, guid_size, blob_size);
    // Row sizes of tables 0x00..=0x1c.
    let sizes: [usize; 0x1d] = [
        2 + s + 3 * g,                                    // 00 Module
        resolution_scope + 2 * s,                         // 01 TypeRef
        4 + 2 * s + type_def_or_ref + idx(4) + idx(6),    // 02 TypeDef
        idx(4),                                           // 03 FieldPtr
        2 + s + b,                                        // 04 Field
        idx(6),                                           // 05 MethodPtr
        4 + 2 + 2 + s + b + idx(8),                       // 06 MethodDef
        idx(8),                                           // 07 ParamPtr
        2 + 2 + s,                                        // 08 Param
        idx(2) + type_def_or_ref,                         // 09 InterfaceImpl
        member_ref_parent + s + b,                        // 0a MemberRef
        2 + has_constant + b,                             // 0b Constant
        has_custom_attribute + custom_attribute_type + b, // 0c CustomAttribute
        has_field_marshal + b,                            // 0d FieldMarshal
        2 + has_decl_security + b,                        // 0e DeclSecurity
        2 + 4 + idx(2),                                   // 0f ClassLayout
        4 + idx(4),                                       // 10 FieldLayout
        b,                                                // 11 StandAloneSig
        idx(2) + idx(0x14),                               // 12 EventMap
        idx(0x14),                                        // 13 EventPtr
        2 + s + type_def_or_ref,                          // 14 Event
        idx(2) + idx(0x17),                               // 15 PropertyMap
        idx(0x17),                                        // 16 PropertyPtr
        2 + s + b,                                        // 17 Property
        2 + idx(6) + has_semantics,                       // 18 MethodSemantics
        idx(2) + 2 * method_def_or_ref,                   // 19 MethodImpl
        s,                                                // 1a ModuleRef
        b,                                                // 1b TypeSpec
        2 + member_forwarded + s + idx(0x1a),             // 1c ImplMap
    ];
    let mut starts = [0usize; 0x1d];
    for i in 0..0x1d {
        starts[i] = at;
        at = at.checked_add(sizes[i].checked_mul(rows[i] as usize)?)?;
    }
    let read = |at: usize, n: usize| -> Option<u32> {
        if n == 2 {
            u16_at(t, at).map(u32::from)
        } else {
            u32_at(t, at)
        }
    };
    let string = |i: u32| -> String {
        let Some(rest) = heap.get(i as usize..) else {
            return String::new();
        };
        let end = rest.iter().take(1024).position(|&c| c == 0).unwrap_or(0);
        String::from_utf8_lossy(&rest[..end]).into_owned()
    };
    const MAX_ROWS: u32 = 100_000;
    let type_ref = |row: u32| -> Option<String> {
        if row == 0 || row > rows[1] {
            return None;
        }
        let at = starts[1] + (row as usize - 1) * sizes[1] + resolution_scope;
        let name = string(read(at, s)?);
        let namespace = string(read(at + s, s)?);
        Some(if namespace.is_empty() {
            name
        } else {
            format!("{namespace}.{name}")
        })
    };
    let mut members = Vec::new();
    for r in 0..rows[0x0a].min(MAX_ROWS) as usize {
        let at = starts[0x0a] + r * sizes[0x0a];
        let Some(class) = read(at, member_ref_parent) else {
            break;
        };
        // MemberRefParent: tag 1 is TypeRef (a type of another assembly).
        if class & 7 != 1 {
            continue;
        }
        let Some(owner) = type_ref(class >> 3) else {
            continue;
        };
        let Some(mut name) = read(at + member_ref_parent, s).map(string) else {
            break;
        };
        if name == "Load" && LOADERS.contains(&owner.as_str()) {
            // which `Load`: of bytes (reflective code loading) or of an assembly by name
            let sig = read(at + member_ref_parent + s, b).and_then(|i| blob(blobs?, i));
            if let Some(Param::Other(ty)) = sig.and_then(first_param) {
                let ty = match ty {
                    TypeName::Named(n) => n,
                    TypeName::Token(v) if v & 3 == 1 => type_ref(v >> 2).unwrap_or_default(),
                    TypeName::Token(_) => String::new(),
                };
                name = format!("Load({})", if ty.is_empty() { "?" } else { &ty });
            }
        }
        if !name.is_empty() {
            members.push((owner, name));
        }
    }
    let module_ref = |row: u32| -> Option<String> {
        if row == 0 || row > rows[0x1a] {
            return None;
        }
        read(starts[0x1a] + (row as usize - 1) * sizes[0x1a], s).map(string)
    };
    let mut pinvoke = Vec::new();
    for r in 0..rows[0x1c].min(MAX_ROWS) as usize {
        let at = starts[0x1c] + r * sizes[0x1c] + 2 + member_forwarded;
        let (Some(name), Some(scope)) = (read(at, s), read(at + s, idx(0x1a))) else {
            break;
        };
        let name = string(name);
        if let (false, Some(dll)) = (name.is_empty(), module_ref(scope)) {
            pinvoke.push((dll, name));
        }
    }
    members.sort();
    members.dedup();
    pinvoke.sort();
    pinvoke.dedup();
    Some((members, pinvoke))
}

/// The types whose `Load` loads an assembly: from bytes (`Load(byte[])`, reflective code
/// loading, kept as `Load`) or by name (`Load(string)`, `Load(System.Reflection.AssemblyName)`,
/// named so in the member references, where the API tables do not take them for the first).
const LOADERS: [&str; 2] = ["System.Reflection.Assembly", "System.AppDomain"];

/// The first parameter of a method signature.
enum Param {
    /// `byte[]`.
    Bytes,
    /// Another type.
    Other(TypeName),
}

/// A parameter type as a signature writes it.
enum TypeName {
    /// A built-in type (`string`, `object`, ...).
    Named(String),
    /// A class or value type: its `TypeDefOrRef` coded token.
    Token(u32),
}

/// The blob at `index` of the `#Blob` heap (its length prefix read).
fn blob(heap: &[u8], index: u32) -> Option<&[u8]> {
    let rest = heap.get(index as usize..)?;
    let (len, n) = compressed(rest)?;
    rest.get(n..n.checked_add(len as usize)?)
}

/// A compressed unsigned integer of a signature (ECMA-335 II.23.2) and its length.
fn compressed(b: &[u8]) -> Option<(u32, usize)> {
    let b0 = u32::from(*b.first()?);
    if b0 & 0x80 == 0 {
        Some((b0, 1))
    } else if b0 & 0xc0 == 0x80 {
        Some(((b0 & 0x3f) << 8 | u32::from(*b.get(1)?), 2))
    } else if b0 & 0xe0 == 0xc0 {
        let rest = b.get(1..4)?;
        let v = (b0 & 0x1f) << 24
            | u32::from(rest[0]) << 16
            | u32::from(rest[1]) << 8
            | u32::from(rest[2]);
        Some((v, 4))
    } else {
        None
    }
}

/// Steps over one type of a signature at `*i` (ECMA-335 II.23.2.12); `None` for a form
/// not read here (a general array, a function pointer) or bytes that end early.
fn skip_type(sig: &[u8], i: &mut usize, depth: u32) -> Option<()> {
    if depth > 16 {
        return None;
    }
    loop {
        let t = *sig.get(*i)?;
        *i += 1;
        match t {
            // void, the primitive types, string, typed reference, native ints, object
            0x01..=0x0e | 0x16 | 0x18 | 0x19 | 0x1c => return Some(()),
            // a class or value type, a generic parameter: one compressed number
            0x11 | 0x12 | 0x13 | 0x1e => {
                let (_, n) = compressed(sig.get(*i..)?)?;
                *i += n;
                return Some(());
            }
            // a custom modifier before the type: its token, then the type
            0x1f | 0x20 => {
                let (_, n) = compressed(sig.get(*i..)?)?;
                *i += n;
            }
            // a pointer, a by-reference or a one-dimensional array of the type that follows
            0x0f | 0x10 | 0x1d => {}
            // a generic instance: the generic type, the count, the arguments
            0x15 => {
                skip_type(sig, i, depth + 1)?;
                let (count, n) = compressed(sig.get(*i..)?)?;
                *i += n;
                for _ in 0..count.min(64) {
                    skip_type(sig, i, depth + 1)?;
                }
                return Some(());
            }
            _ => return None,
        }
    }
}

/// The first parameter of a method's signature blob (ECMA-335 II.23.2.1-2); `None` when it
/// has none or the blob is not read here.
fn first_param(sig: &[u8]) -> Option<Param> {
    let conv = *sig.first()?;
    let mut i = 1;
    if conv & 0x10 != 0 {
        // generic: the count of its generic parameters
        i += compressed(sig.get(i..)?)?.1;
    }
    let (count, n) = compressed(sig.get(i..)?)?;
    i += n;
    if count == 0 {
        return None;
    }
    skip_type(sig, &mut i, 0)?;
    while matches!(sig.get(i), Some(0x1f | 0x20)) {
        i += 1 + compressed(sig.get(i + 1..)?)?.1;
    }
    Some(match (*sig.get(i)?, sig.get(i + 1).copied()) {
        (0x1d, Some(0x05)) => Param::Bytes,
        (0x0e, _) => Param::Other(TypeName::Named("string".to_string())),
        (0x11 | 0x12, _) => Param::Other(TypeName::Token(compressed(sig.get(i + 1..)?)?.0)),
        (t, _) => Param::Other(TypeName::Named(format!("type 0x{t:02x}"))),
    })
}

/// The .NET facts of the PE in `data`, and the imports they add (referenced members as
/// `Namespace.Type` + member, P/Invoke as `dll` + function); `None` for a PE without a CLR
/// header.
pub fn read(data: &[u8], sections: &[Section]) -> Option<(DotnetInfo, Vec<Import>)> {
    let root = metadata_root(data, sections)?;
    let mut info = DotnetInfo {
        runtime: runtime_version(data, root).unwrap_or_default(),
        ..DotnetInfo::default()
    };
    let (members, pinvoke) = references(data, root);
    let mut imports = Vec::new();
    for (owner, member) in &members {
        info.member_refs.push(format!("{owner}::{member}"));
        imports.push(Import {
            library: owner.clone(),
            name: Some(member.clone()),
            ordinal: None,
            delay: false,
        });
    }
    for (dll, function) in &pinvoke {
        info.pinvoke.push(format!("{dll}!{function}"));
        imports.push(Import {
            library: dll.clone(),
            name: Some(function.clone()),
            ordinal: None,
            delay: false,
        });
    }
    module_facts(data, &mut info);
    Some((info, imports))
}

#[cfg(not(feature = "yara"))]
fn module_facts(_data: &[u8], _info: &mut DotnetInfo) {}

/// What yara-x's `dotnet` module reads.
#[cfg(feature = "yara")]
fn module_facts(data: &[u8], info: &mut DotnetInfo) {
    let Some(d) = std::panic::catch_unwind(|| yara_x::mods::invoke::<yara_x::mods::Dotnet>(data))
        .ok()
        .flatten()
    else {
        return;
    };
    if !d.is_dotnet() {
        return;
    }
    let version = |v: &yara_x::mods::dotnet::Version| {
        format!(
            "{}.{}.{}.{}",
            v.major(),
            v.minor(),
            v.build_number(),
            v.revision_number()
        )
    };
    if let Some(a) = d.assembly.as_ref() {
        info.assembly = a.name.clone();
        info.version = a.version.as_ref().map(version);
    }
    info.module = d.module_name.clone();
    info.mvid = d.guids.first().cloned();
    info.typelib = d.typelib.clone().filter(|t| !t.is_empty());
    info.references = d
        .assembly_refs
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r.name.as_deref().unwrap_or("?"),
                r.version.as_ref().map(version).unwrap_or_default()
            )
        })
        .collect();
    for c in &d.classes {
        let name = c.fullname.clone().unwrap_or_default();
        if info.types.len() < MAX_LISTED {
            info.types.push(name.clone());
        }
        for m in &c.methods {
            if info.methods.len() < MAX_LISTED {
                info.methods
                    .push(format!("{name}::{}", m.name.as_deref().unwrap_or("?")));
            }
        }
    }
    for s in d.user_strings.iter().take(MAX_LISTED) {
        // UTF-16LE; an odd last byte (the "has wide characters" flag) is not text.
        let units: Vec<u16> = s
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        info.user_strings.push(String::from_utf16_lossy(&units));
    }
    info.resources = d
        .resources
        .iter()
        .map(|r| {
            format!(
                "{} ({} bytes)",
                r.name.as_deref().unwrap_or("?"),
                r.length.unwrap_or(0)
            )
        })
        .collect();
}

/// The dotted names an assembly declares or references (types, namespaces, assemblies),
/// lower-cased, with every prefix of two labels or more: `System.Net.WebClient` gives
/// `system.net` and `system.net.webclient`; and the assembly versions. A "domain" or an
/// "address" among them is a .NET name or version.
pub fn identifiers(info: &DotnetInfo) -> rustc_hash::FxHashSet<String> {
    let mut out = rustc_hash::FxHashSet::default();
    let owners = info
        .member_refs
        .iter()
        .filter_map(|m| m.split_once("::").map(|(o, _)| o));
    let refs = info
        .references
        .iter()
        .filter_map(|r| r.split_whitespace().next());
    let methods = info
        .methods
        .iter()
        .filter_map(|m| m.split_once("::").map(|(o, _)| o));
    let names = owners
        .chain(refs)
        .chain(methods)
        .chain(info.types.iter().map(String::as_str))
        .chain(info.assembly.as_deref());
    for name in names {
        let lower = name.to_ascii_lowercase();
        let mut end = 0;
        for (i, c) in lower.char_indices() {
            if c == '.' {
                if lower[..i].contains('.') {
                    out.insert(lower[..i].to_string());
                }
                end = i;
            }
        }
        if end > 0 {
            out.insert(lower);
        }
    }
    // Versions of the assembly and of what it references (`4.0.0.0`), which read as
    // addresses.
    let versions = info
        .references
        .iter()
        .filter_map(|r| r.split_whitespace().nth(1))
        .chain(info.version.as_deref());
    out.extend(versions.map(str::to_string));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_numbers_of_one_two_and_four_bytes() {
        assert_eq!(compressed(&[0x03]), Some((3, 1)));
        assert_eq!(compressed(&[0x80, 0x80]), Some((0x80, 2)));
        assert_eq!(compressed(&[0xc0, 0x00, 0x40, 0x00]), Some((0x4000, 4)));
        assert_eq!(compressed(&[0x80]), None);
        assert_eq!(compressed(&[0xe0]), None);
        assert_eq!(compressed(&[]), None);
    }

    /// Signatures of `Assembly.Load` as compilers write them (ECMA-335 II.23.2.1): the
    /// return type (a class), then the first parameter.
    #[test]
    fn the_first_parameter_of_a_method_signature() {
        let bytes = |sig: &[u8]| matches!(first_param(sig), Some(Param::Bytes));
        let named = |sig: &[u8]| match first_param(sig) {
            Some(Param::Other(TypeName::Named(n))) => Some(n),
            _ => None,
        };
        let token = |sig: &[u8]| match first_param(sig) {
            Some(Param::Other(TypeName::Token(t))) => Some(t),
            _ => None,
        };
        // static Assembly Load(byte[]) and Load(byte[], byte[])
        assert!(bytes(&[0x00, 0x01, 0x12, 0x21, 0x1d, 0x05]));
        assert!(bytes(&[0x00, 0x02, 0x12, 0x21, 0x1d, 0x05, 0x1d, 0x05]));
        // instance Assembly AppDomain.Load(byte[])
        assert!(bytes(&[0x20, 0x01, 0x12, 0x21, 0x1d, 0x05]));
        // Load(string), Load(AssemblyName) (TypeRef row 9: 9 << 2 | 1)
        assert_eq!(
            named(&[0x00, 0x01, 0x12, 0x21, 0x0e]).as_deref(),
            Some("string")
        );
        assert_eq!(token(&[0x00, 0x01, 0x12, 0x21, 0x12, 0x25]), Some(0x25));
        // a generic return type (List<int>), a custom modifier before the parameter
        let generic = [0x00, 0x01, 0x15, 0x12, 0x21, 0x01, 0x08, 0x1d, 0x05];
        assert!(bytes(&generic));
        assert!(bytes(&[0x00, 0x01, 0x01, 0x20, 0x21, 0x1d, 0x05]));
        // byte[][] is not byte[]
        assert!(!bytes(&[0x00, 0x01, 0x12, 0x21, 0x1d, 0x1d, 0x05]));
        // no parameter, a cut blob, a form not read here
        assert!(first_param(&[0x00, 0x00, 0x12, 0x21]).is_none());
        assert!(first_param(&[0x00, 0x01, 0x12]).is_none());
        assert!(first_param(&[0x00, 0x01, 0x1b, 0x00]).is_none());
    }
}
