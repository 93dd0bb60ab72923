//! Toolchain boilerplate as data: the strings a compiler, linker, runtime, packer stub or
//! widely linked library puts into every program it builds (`data/toolchain/*.txt`, one
//! table per toolchain), and the pattern-table format those tables and
//! `data/rules-common.txt` share.
//!
//! A table is `[category]` blocks of `KIND VALUE` lines: `exact` (the whole string),
//! `prefix`, `contains`, `section` (a section or COFF group name, alone or after the one
//! header byte that often precedes it in the section table, as in `@.reloc`), `iexact` (the
//! whole string, ignoring ASCII case) and `key` (a registry key, ignoring case and a leading
//! hive). Matching is case-sensitive except for `iexact` and `key`. [`boilerplate`] says which toolchain entry a string matches, if any; `spoor rules`
//! never uses such a string as evidence.

use aho_corasick::AhoCorasick;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The toolchain tables: (name, text).
pub const TOOLCHAINS: &[(&str, &str)] = &[
    ("msvc", include_str!("../../data/toolchain/msvc.txt")),
    ("mingw", include_str!("../../data/toolchain/mingw.txt")),
    ("go", include_str!("../../data/toolchain/go.txt")),
    ("rust", include_str!("../../data/toolchain/rust.txt")),
    ("delphi", include_str!("../../data/toolchain/delphi.txt")),
    ("dotnet", include_str!("../../data/toolchain/dotnet.txt")),
    ("nim", include_str!("../../data/toolchain/nim.txt")),
    (
        "pyinstaller",
        include_str!("../../data/toolchain/pyinstaller.txt"),
    ),
    ("elf", include_str!("../../data/toolchain/elf.txt")),
    ("macho", include_str!("../../data/toolchain/macho.txt")),
    (
        "libraries",
        include_str!("../../data/toolchain/libraries.txt"),
    ),
    ("signing", include_str!("../../data/toolchain/signing.txt")),
];

/// How an entry is compared with a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The whole string.
    Exact,
    /// The string starts with the value.
    Prefix,
    /// The string contains the value.
    Contains,
    /// A section name: the whole string, or the string after its first byte.
    Section,
    /// A registry key: the whole string without its hive, ignoring ASCII case.
    Key,
    /// The whole string, ignoring ASCII case.
    IExact,
}

/// One entry of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The table (`msvc`, `go`, `common`, ...).
    pub table: String,
    /// The `[category]` it is listed under.
    pub category: String,
    /// How it is compared.
    pub kind: Kind,
    /// The value.
    pub value: String,
}

impl std::fmt::Display for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.table, self.category, self.value)
    }
}

/// Parses a pattern table. Lines that are not `KIND VALUE` with a known kind are returned
/// as errors (line number and text) and skipped.
pub fn parse(table: &str, text: &str) -> (Vec<Entry>, Vec<(usize, String)>) {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    let mut category = String::from("-");
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let Some(c) = t.strip_prefix('[').and_then(|c| c.strip_suffix(']')) {
            category = c.trim().to_string();
            continue;
        }
        let (kind, value) = t.split_once(' ').unwrap_or((t, ""));
        let kind = match kind {
            "exact" => Kind::Exact,
            "prefix" => Kind::Prefix,
            "contains" => Kind::Contains,
            "section" => Kind::Section,
            "key" => Kind::Key,
            "iexact" => Kind::IExact,
            _ => {
                errors.push((i + 1, line.to_string()));
                continue;
            }
        };
        let value = value.trim();
        if value.is_empty() {
            errors.push((i + 1, line.to_string()));
            continue;
        }
        let value = match kind {
            Kind::Key => format!("key:{}", strip_hive(value).to_ascii_lowercase()),
            Kind::IExact => format!("i:{}", value.to_ascii_lowercase()),
            _ => value.to_string(),
        };
        entries.push(Entry {
            table: table.to_string(),
            category: category.clone(),
            kind,
            value,
        });
    }
    (entries, errors)
}

/// A registry key without a leading hive (`HKCU\`, `HKEY_LOCAL_MACHINE\`, ...).
fn strip_hive(key: &str) -> &str {
    const HIVES: [&str; 10] = [
        "HKEY_LOCAL_MACHINE\\",
        "HKEY_CURRENT_USER\\",
        "HKEY_CLASSES_ROOT\\",
        "HKEY_USERS\\",
        "HKEY_CURRENT_CONFIG\\",
        "HKLM\\",
        "HKCU\\",
        "HKCR\\",
        "HKU\\",
        "HKCC\\",
    ];
    let key = key.trim_start_matches('\\');
    for h in HIVES {
        if key.len() >= h.len()
            && key.is_char_boundary(h.len())
            && key[..h.len()].eq_ignore_ascii_case(h)
        {
            return &key[h.len()..];
        }
    }
    key
}

/// A compiled set of pattern tables.
#[derive(Debug)]
pub struct Matcher {
    entries: Vec<Entry>,
    /// Whole-string values (exact, section, key) → entry.
    whole: HashMap<String, usize>,
    /// Prefix entries.
    prefixes: Vec<usize>,
    /// One automaton over every `contains` value.
    contains: AhoCorasick,
    /// Automaton pattern → entry.
    contains_of: Vec<usize>,
}

impl Matcher {
    /// Compiles entries. When two entries match a string, the earlier one is reported.
    pub fn new(entries: Vec<Entry>) -> Self {
        let mut whole = HashMap::new();
        let mut prefixes = Vec::new();
        let mut patterns = Vec::new();
        let mut contains_of = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            match e.kind {
                Kind::Exact | Kind::Section | Kind::Key | Kind::IExact => {
                    whole.entry(e.value.clone()).or_insert(i);
                }
                Kind::Prefix => prefixes.push(i),
                Kind::Contains => {
                    patterns.push(e.value.clone());
                    contains_of.push(i);
                }
            }
        }
        let contains = AhoCorasick::new(&patterns)
            .or_else(|_| AhoCorasick::new(Vec::<&str>::new()))
            .unwrap_or_else(|_| unreachable!("an empty automaton always builds"));
        Matcher {
            entries,
            whole,
            prefixes,
            contains,
            contains_of,
        }
    }

    /// The first entry (in table order) that `text` matches.
    pub fn find(&self, text: &str) -> Option<&Entry> {
        let mut best: Option<usize> = None;
        let mut consider = |i: usize| {
            if best.is_none_or(|b| i < b) {
                best = Some(i);
            }
        };
        if let Some(&i) = self.whole.get(text) {
            if matches!(self.entries[i].kind, Kind::Exact | Kind::Section) {
                consider(i);
            }
        }
        // A section name after the one header byte that precedes it.
        if let Some(rest) = text.get(1..) {
            if let Some(&i) = self.whole.get(rest) {
                if self.entries[i].kind == Kind::Section {
                    consider(i);
                }
            }
        }
        let key = format!(
            "key:{}",
            strip_hive(text).trim_end_matches('\\').to_ascii_lowercase()
        );
        if let Some(&i) = self.whole.get(&key) {
            consider(i);
        }
        if let Some(&i) = self.whole.get(&format!("i:{}", text.to_ascii_lowercase())) {
            consider(i);
        }
        for &i in &self.prefixes {
            if text.starts_with(self.entries[i].value.as_str()) {
                consider(i);
                break;
            }
        }
        if let Some(m) = self.contains.find(text) {
            if let Some(&i) = self.contains_of.get(m.pattern().as_usize()) {
                consider(i);
            }
        }
        best.and_then(|i| self.entries.get(i))
    }

    /// Every entry.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
}

/// The toolchain tables, compiled once.
pub fn tables() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        let entries = TOOLCHAINS
            .iter()
            .flat_map(|(name, text)| parse(name, text).0)
            .collect();
        Matcher::new(entries)
    })
}

/// The toolchain entry `text` matches, if any.
pub fn boilerplate(text: &str) -> Option<&'static Entry> {
    let t = tables();
    t.find(text).or_else(|| grouped_section(text))
}

/// A COFF grouped section name (`.text$mn`, `.CRT$XCU`, `.rdata$zzzdbg`, mingw's
/// `.rdata$.refptr.SYMBOL`), recognised by its shape: a dot, a short lower-case or upper-case
/// name, `$`, and a group suffix; optionally after one header byte.
fn grouped_section(text: &str) -> Option<&'static Entry> {
    static E: OnceLock<Entry> = OnceLock::new();
    let body = if text.starts_with('.') {
        text
    } else {
        text.get(1..)?
    };
    let (name, group) = body.strip_prefix('.')?.split_once('$')?;
    let ok_name = (2..=8).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphabetic());
    let refptr = group.strip_prefix(".refptr.");
    let ok_group = match refptr {
        Some(symbol) => {
            (1..=96).contains(&symbol.len())
                && symbol
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$')
        }
        None => {
            (1..=16).contains(&group.len())
                && group
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
        }
    };
    (ok_name && ok_group).then(|| {
        E.get_or_init(|| Entry {
            table: "linker".into(),
            category: "section-fragment".into(),
            kind: Kind::Section,
            value: ".name$group".into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_parses_without_errors() {
        for (name, text) in TOOLCHAINS {
            let (entries, errors) = parse(name, text);
            assert!(errors.is_empty(), "{name}: {errors:?}");
            assert!(!entries.is_empty(), "{name} is empty");
        }
    }

    #[test]
    fn every_entry_matches_its_own_value() {
        let m = tables();
        for e in m.entries() {
            let probe = match e.kind {
                Kind::Key => format!("HKCU\\{}", e.value.trim_start_matches("key:")),
                Kind::IExact => e.value.trim_start_matches("i:").to_ascii_uppercase(),
                _ => e.value.clone(),
            };
            assert!(m.find(&probe).is_some(), "{e} does not match itself");
        }
    }

    /// One string of each entry class of each toolchain, as it appears in real binaries.
    #[test]
    fn each_entry_class_is_recognised() {
        let cases = [
            // MSVC
            (".rdata$zzzdbg", "msvc", "section-fragment"),
            ("@.reloc", "msvc", "section-fragment"),
            ("`.rdata", "msvc", "section-fragment"),
            ("_except_handler3", "msvc", "crt-import"),
            ("__CxxFrameHandler4", "msvc", "crt-import"),
            ("api-ms-win-crt-runtime-l1-1-0.dll", "msvc", "api-set"),
            ("ext-ms-win-ntuser-window-l1-1-0", "msvc", "api-set"),
            (".?AVbad_alloc@std@@", "msvc", "rtti"),
            (".?AV?$basic_ostream@DU?$char_traits@D@std@@@std@@", "msvc", "rtti"),
            ("R6016\r\n- not enough space for thread data", "msvc", "crt-message"),
            ("- not enough space for locale information", "msvc", "crt-message"),
            (
                "C:\\Program Files (x86)\\Microsoft Visual Studio\\2019\\BuildTools\\VC\\Tools\\MSVC\\14.29.30133\\include\\vector",
                "msvc",
                "build-path",
            ),
            (
                "<assembly xmlns='urn:schemas-microsoft-com:asm.v1' manifestVersion='1.0'>",
                "msvc",
                "manifest",
            ),
            (
                "<trustInfo xmlns=\"urn:schemas-microsoft-com:asm.v3\">",
                "msvc",
                "manifest",
            ),
            ("StringFileInfo", "msvc", "version-info"),
            // mingw
            ("Mingw-w64 runtime failure:", "mingw", "crt-message"),
            ("GCC: (GNU) 12-win32", "mingw", "compiler"),
            ("libgcc_s_dw2-1.dll", "mingw", "compiler"),
            ("St9exception", "mingw", "rtti"),
            // Go
            ("runtime.gcBgMarkWorker", "go", "runtime"),
            ("net/http.Get", "go", "stdlib"),
            ("github.com/spf13/cobra/doc.GenMarkdown", "go", "module"),
            // Rust
            (
                "/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/std/src/io/mod.rs",
                "rust",
                "std-path",
            ),
            (
                "called `Option::unwrap()` on a `None` value",
                "rust",
                "panic-message",
            ),
            ("_ZN4core3fmt5write17h", "rust", "symbol"),
            // Delphi
            ("System.SysUtils", "delphi", "rtl"),
            ("Access violation at address %p in module '%s'.", "delphi", "rtl-message"),
            ("DVCLAL", "delphi", "resource"),
            // .NET
            ("v4.0.30319", "dotnet", "loader"),
            ("<PrivateImplementationDetails>", "dotnet", "metadata"),
            ("System.Runtime.CompilerServices", "dotnet", "bcl"),
            // Nim
            ("NimMainModule", "nim", "runtime"),
            ("Error: unhandled exception: %s [%s]", "nim", "runtime-message"),
            // freezers
            ("Cannot open PyInstaller archive from executable (%s) or external archive (%s)", "pyinstaller", "pyinstaller"),
            ("zipextimporter", "pyinstaller", "py2exe"),
            // formats
            ("__libc_start_main", "elf", "structure"),
            ("__LINKEDIT", "macho", "structure"),
            // libraries and signatures
            ("http://www.winimage.com/zLibDll", "libraries", "zlib"),
            (
                " inflate 1.2.13 Copyright 1995-2022 Mark Adler ",
                "libraries",
                "zlib",
            ),
            ("http://s1.symcb.com/pca3-g5.crl0", "signing", "authority"),
            ("http://ocsp.example.com0", "signing", "x509"),
        ];
        for (text, table, category) in cases {
            let e = boilerplate(text).unwrap_or_else(|| panic!("{text:?} not recognised"));
            assert_eq!(
                (e.table.as_str(), e.category.as_str()),
                (table, category),
                "{text:?}"
            );
        }
    }

    #[test]
    fn grouped_sections_are_recognised_by_shape() {
        for s in [
            ".text$lp01",
            "@.CRT$XCU",
            ".rdata$cfguard",
            ".rdata$.refptr.free",
            ".rdata$.refptr.__imp___acrt_iob_func",
        ] {
            assert!(boilerplate(s).is_some(), "{s}");
        }
        assert!(boilerplate("price$100").is_none());
    }

    #[test]
    fn a_programs_own_strings_are_not_boilerplate() {
        for s in [
            "Global\\MagpieUpdateMutex",
            "http://update.example.com/gate.php",
            ".?AVCRansomEngine@@",
            "Your files have been encrypted. Send 1 BTC to recover them.",
            "github.com/someone/implant/cmd.beacon",
            "C:\\Users\\dev\\source\\repos\\loader\\Release\\loader.pdb",
        ] {
            assert_eq!(boilerplate(s), None, "{s}");
        }
    }

    #[test]
    fn registry_keys_ignore_hive_and_case() {
        let (entries, errors) = parse(
            "t",
            "[registry]\nkey HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\n",
        );
        assert!(errors.is_empty());
        let m = Matcher::new(entries);
        for s in [
            "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run",
            "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\",
        ] {
            assert!(m.find(s).is_some(), "{s}");
        }
        assert!(m
            .find("Software\\Microsoft\\Windows\\CurrentVersion\\Run\\MagpieUpdater")
            .is_none());
    }

    #[test]
    fn bad_lines_are_reported() {
        let (entries, errors) = parse("t", "[x]\nexact ok\nfuzzy nope\nprefix\n");
        assert_eq!(entries.len(), 1);
        assert_eq!(errors.len(), 2);
    }
}
