//! Mutex names a sample carries: strings in an object namespace (`Global\`, `Local\`, ...)
//! and, in a sample that creates or opens mutexes, identifier-like strings that call
//! themselves one (`MagpieMutex_v1`, `fbird_mtx_v1`). The words and prefixes are in
//! `data/mutex-names.txt`. A name the analysis logs saw created (CAPE `mutexes`, mutex API
//! calls) is one too when the sample holds it as a string, and so is a string the code passes
//! as the name to `CreateMutexA` and its kin (`crate::sample::callsite`, the table's `[argument]`
//! block), whatever it looks like (`veilcap-2be`).

use super::triage::Triage;
use crate::tables;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// A mutex name found among a sample's strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MutexName {
    /// The name as written.
    pub value: String,
    /// File offset of its first sighting.
    pub offset: u64,
    /// Section of its first sighting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

struct Table {
    prefixes: Vec<String>,
    /// Lower-cased name prefixes of objects a toolchain's runtime creates.
    runtime: Vec<String>,
    /// Lower-cased section-name prefixes whose strings are never read for words.
    not_program_data: Vec<String>,
    words: Vec<String>,
    apis: Vec<String>,
    /// Lower-cased function name → position of its name argument.
    arguments: Vec<(String, u8)>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table {
            prefixes: Vec::new(),
            runtime: Vec::new(),
            not_program_data: Vec::new(),
            words: Vec::new(),
            apis: Vec::new(),
            arguments: Vec::new(),
        };
        let mut block = "";
        for line in tables::entries(tables::MUTEX_NAMES) {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                block = match name {
                    "prefix" => "prefix",
                    "word" => "word",
                    "api" => "api",
                    "argument" => "argument",
                    "runtime" => "runtime",
                    "not-program-data" => "not-program-data",
                    _ => "",
                };
                continue;
            }
            let entry = line.to_ascii_lowercase();
            match block {
                "prefix" => t.prefixes.push(entry),
                "word" => t.words.push(entry),
                "api" => t.apis.push(entry),
                "runtime" => t.runtime.push(entry),
                "not-program-data" => t.not_program_data.push(entry),
                "argument" => {
                    let mut words = entry.split_whitespace();
                    if let (Some(f), Some(Ok(p))) = (words.next(), words.next().map(str::parse)) {
                        t.arguments.push((f.to_string(), p));
                    }
                }
                _ => {}
            }
        }
        t
    })
}

/// The position (1 = first) of the name argument of `function` (any case), when
/// `data/mutex-names.txt`'s `[argument]` block lists it: what the sample reader's call-site
/// scan (`crate::sample::callsite`) looks for.
pub fn argument_position(function: &str) -> Option<u8> {
    let lower = function.to_ascii_lowercase();
    table()
        .arguments
        .iter()
        .find(|(f, _)| *f == lower)
        .map(|(_, p)| *p)
}

/// Whether a sample creates or opens mutexes: it imports such a function, or names one as a
/// string (resolved at run time).
fn uses_mutexes(t: &Triage) -> bool {
    let apis = &table().apis;
    let is_api = |name: &str| {
        let n = name.to_ascii_lowercase();
        apis.contains(&n)
            || (n.ends_with(['a', 'w']) && apis.iter().any(|a| *a == n[..n.len() - 1]))
    };
    t.imports
        .iter()
        .any(|i| i.name.as_deref().is_some_and(is_api))
        || t.strings
            .iter()
            .any(|s| s.value.len() <= 32 && is_api(&s.value))
}

/// The words of an identifier, lower case: split at `-`, `_`, `.`, braces and where a lower-
/// case letter is followed by a capital (`MagpieMutex_v1` → `magpie`, `mutex`, `v1`).
fn tokens(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in value.chars() {
        if (!c.is_ascii_alphanumeric() || (previous_lower && c.is_ascii_uppercase()))
            && !word.is_empty()
        {
            out.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn identifier_like(value: &str) -> bool {
    (4..=128).contains(&value.len())
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'{' | b'}' | b'\\')
        })
}

/// Whether a string names an object in a namespace (`Global\ADRP-9b1e5c`).
fn namespaced(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if lower.contains("\\pipe\\") || value.contains('%') || value.contains(' ') {
        return false;
    }
    table().prefixes.iter().any(|p| {
        lower
            .strip_prefix(p.as_str())
            .is_some_and(|rest| rest.len() >= 2 && identifier_like(rest))
    })
}

/// Whether a string sits where the program keeps its own data, so that the word rule may read
/// it: inside a section that is not executable (instruction bytes read as text give
/// `single_wH3`) and not one of the table's `[not-program-data]` sections (debug information,
/// export names, symbol tables), and not past every section (a COFF symbol table there lists
/// `__imp_CreateMutexA`).
fn in_program_data(t: &Triage, section: Option<&str>) -> bool {
    let Some(name) = section else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    if table()
        .not_program_data
        .iter()
        .any(|p| lower.starts_with(p.as_str()))
    {
        return false;
    }
    !t.sections.iter().any(|s| s.name == name && s.x)
}

/// Whether a name is one a toolchain's runtime creates in every program it builds
/// (`Local\RustBacktraceMutex00001A2C`): not the sample's own.
fn runtime_name(lower: &str) -> bool {
    table()
        .runtime
        .iter()
        .any(|p| lower.starts_with(p.as_str()))
}

/// The mutex names among a sample's strings, in the order first seen, without duplicates.
/// `from_logs` are names the analysis logs saw created (any case): a string equal to one
/// counts whatever it looks like.
pub fn names(t: &Triage, from_logs: &BTreeSet<String>) -> Vec<MutexName> {
    let words = &table().words;
    let uses = uses_mutexes(t);
    let logged: BTreeSet<String> = from_logs.iter().map(|m| m.to_ascii_lowercase()).collect();
    // API names in the import table are strings too (`CreateMutexA`).
    let imported: BTreeSet<String> = t
        .imports
        .iter()
        .filter_map(|i| i.name.as_deref())
        .map(str::to_ascii_lowercase)
        .collect();
    let passed: BTreeSet<u64> =
        t.pe.as_ref()
            .map(|pe| pe.call_arguments.iter().map(|a| a.offset).collect())
            .unwrap_or_default();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in &t.strings {
        let v = s.value.as_str();
        let lower = v.to_ascii_lowercase();
        let is_mutex = logged.contains(&lower)
            || (passed.contains(&s.offset) && identifier_like(v))
            || (!runtime_name(&lower) && namespaced(v))
            || (uses
                && identifier_like(v)
                && in_program_data(t, s.section.as_deref())
                && !v.contains('\\')
                && !s.tags.contains(&"api")
                && !s.tags.contains(&"dll")
                && !imported.contains(&lower)
                && tokens(v).iter().any(|t| words.contains(t)));
        if is_mutex && seen.insert(lower) {
            out.push(MutexName {
                value: v.to_string(),
                offset: s.offset,
                section: s.section.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_whole_tokens() {
        assert_eq!(tokens("MagpieMutex_v1"), ["magpie", "mutex", "v1"]);
        assert_eq!(tokens("fbird_mtx_v1"), ["fbird", "mtx", "v1"]);
        assert_eq!(tokens("coalpit-single-v1"), ["coalpit", "single", "v1"]);
        // a wallet that happens to hold the letters `mtx`
        assert!(!tokens("41vK5Uhjf9yPoomtxUiGVx").iter().any(|t| t == "mtx"));
    }

    #[test]
    fn namespaces_but_not_pipes_or_formats() {
        assert!(namespaced(r"Global\LJ-7d0c2e41"));
        assert!(namespaced(r"Local\{0D5E8F21-9B3C-4A6D-B7E1-F2C4A9D0E3B8}"));
        assert!(!namespaced(r"Global\%s"));
        assert!(!namespaced(r"\\.\pipe\np_ctrl_v1"));
        assert!(!namespaced(r"Global\"));
        assert!(!namespaced(r"Local\a name with blanks"));
        assert!(!namespaced("Software\\Microsoft"));
    }
}
