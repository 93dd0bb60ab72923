//! Golden extraction cases: every `tests/cases/*.case` file, in the format described in
//! `tests/cases/README.md`. Each case gives an input and the complete set of indicators
//! spoor must extract from it; anything missing or extra fails the case.

use spoor::ioc::allowlist::Allowlist;
use spoor::ioc::scan::Scanner;
use spoor::ioc::{IocKind, Notes, Scope};
use spoor::{ExtractOptions, Extractor};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

struct Case {
    file: String,
    name: String,
    input: Vec<u8>,
    expect: BTreeSet<(String, String)>,
    flags: Vec<(String, String, Vec<String>)>,
}

fn unescape(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() + 1 && b.get(i + 1) == Some(&b'x') {
            if let Some(hex) = text.get(i + 2..i + 4) {
                if let Ok(v) = u8::from_str_radix(hex, 16) {
                    out.push(v);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// A case while its lines are being read.
#[derive(Default)]
struct Draft {
    name: String,
    escapes: bool,
    input: String,
    expect: Vec<String>,
    flags: Vec<String>,
}

impl Draft {
    fn finish(self, file: &str) -> Case {
        let input = self.input.strip_suffix('\n').unwrap_or(&self.input);
        let input = if self.escapes {
            unescape(input)
        } else {
            input.as_bytes().to_vec()
        };
        let pair = |l: &String| {
            let (k, v) = l.split_once(' ').unwrap_or((l, ""));
            (k.trim().to_string(), v.trim().to_string())
        };
        let flag = |l: &String| {
            let mut parts = l.split_whitespace().map(str::to_string);
            let kind = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            (kind, value, parts.collect())
        };
        Case {
            file: file.to_string(),
            name: self.name,
            input,
            expect: self.expect.iter().map(pair).collect(),
            flags: self.flags.iter().map(flag).collect(),
        }
    }
}

fn parse_file(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).expect("case file is UTF-8");
    let file = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut cases = Vec::new();
    let mut current: Option<Draft> = None;
    let mut section = "";
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end_matches(['\n', '\r']);
        if let Some(name) = trimmed.strip_prefix("### case:") {
            cases.extend(current.take().map(|d| d.finish(&file)));
            current = Some(Draft {
                name: name.trim().to_string(),
                ..Draft::default()
            });
            section = "header";
            continue;
        }
        if trimmed == "###" {
            cases.extend(current.take().map(|d| d.finish(&file)));
            section = "";
            continue;
        }
        let Some(draft) = current.as_mut() else {
            continue;
        };
        let content = trimmed.trim();
        match (trimmed, section) {
            ("--- input", _) => section = "input",
            ("--- expect", _) => section = "expect",
            ("--- flags", _) => section = "flags",
            (_, "header") if content == "# escapes" => draft.escapes = true,
            (_, "input") => draft.input.push_str(line),
            (_, "expect") if !content.is_empty() && !content.starts_with('#') => {
                draft.expect.push(content.to_string())
            }
            (_, "flags") if !content.is_empty() && !content.starts_with('#') => {
                draft.flags.push(content.to_string())
            }
            _ => {}
        }
    }
    cases.extend(current.take().map(|d| d.finish(&file)));
    cases
}

fn case_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "case"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[test]
fn golden_cases() {
    let extractor = Extractor::new(ExtractOptions {
        threads: 1,
        ..ExtractOptions::default()
    });
    let scanner = Scanner::default();
    let allowlist = Allowlist::builtin();
    let mut total = 0;
    let mut failures = Vec::new();
    for path in case_files() {
        for case in parse_file(&path) {
            total += 1;
            let iocs = extractor.extract_bytes("case", &case.input);
            let got: BTreeSet<(String, String)> = iocs
                .iter()
                .map(|i| (i.kind.to_string(), i.value.clone()))
                .collect();
            let missing: Vec<_> = case.expect.difference(&got).collect();
            let extra: Vec<_> = got.difference(&case.expect).collect();
            let mut problems = Vec::new();
            if !missing.is_empty() {
                problems.push(format!("missing {missing:?}"));
            }
            if !extra.is_empty() {
                problems.push(format!("extra {extra:?}"));
            }
            for (kind, value, flags) in &case.flags {
                let Ok(kind) = kind.parse::<IocKind>() else {
                    problems.push(format!("bad flag line kind {kind}"));
                    continue;
                };
                let Some(ioc) = iocs.iter().find(|i| i.kind == kind && &i.value == value) else {
                    continue; // already reported as missing
                };
                // Notes: those on the IOC, and those its scanner hits and the allowlist
                // give it (the extraction stage carries them into the flags).
                let notes = || {
                    let mut n = ioc.flags.notes;
                    for hit in scanner.scan_bytes(&case.input) {
                        if hit.kind == kind && hit.value == ioc.value {
                            n.insert(hit.notes);
                        }
                    }
                    n.insert(allowlist.notes(kind, value, ioc.flags.defanged));
                    n
                };
                let has_note = |name: &str| {
                    Notes::from_name(name).is_some_and(|wanted| notes().contains(wanted))
                };
                for flag in flags {
                    let ok = match flag.as_str() {
                        "defanged" => ioc.flags.defanged,
                        "!defanged" => !ioc.flags.defanged,
                        // the ports written after an address, ascending
                        "!ports" => ioc.ports.is_empty(),
                        f => match (
                            f.strip_prefix("scope="),
                            f.strip_prefix("note="),
                            f.strip_prefix("!note="),
                            f.strip_prefix("ports="),
                        ) {
                            (Some(s), _, _, _) => ioc.flags.scope.map(Scope::as_str) == Some(s),
                            (_, Some(n), _, _) => has_note(n),
                            (_, _, Some(n), _) => Notes::from_name(n).is_some() && !has_note(n),
                            (_, _, _, Some(p)) => {
                                let ports: Vec<String> =
                                    ioc.ports.iter().map(u16::to_string).collect();
                                p == ports.join(",")
                            }
                            _ => false,
                        },
                    };
                    if !ok {
                        problems.push(format!(
                            "{kind} {value}: flag {flag} not satisfied ({:?}, ports {:?})",
                            ioc.flags, ioc.ports
                        ));
                    }
                }
            }
            if !problems.is_empty() {
                failures.push(format!(
                    "{}::{}: {}",
                    case.file,
                    case.name,
                    problems.join("; ")
                ));
            }
        }
    }
    for f in &failures {
        eprintln!("FAIL {f}");
    }
    eprintln!(
        "golden cases: {} passed, {} failed",
        total - failures.len(),
        failures.len()
    );
    assert!(total > 0, "no cases found under tests/cases");
    assert!(
        failures.is_empty(),
        "{} of {total} golden cases failed",
        failures.len()
    );
}
