//! The rules under test: finding rule files, compiling them once with yara-x, and knowing
//! each rule's family.
//!
//! A rule's family comes from its meta `family = "..."` when present, otherwise from a name
//! that follows the style guide, `MAL_<Family>_...` (the second `_`-separated part). A rule
//! with neither is *generic*: every malicious file is its target. Families compare
//! case-insensitively and are stored lower-case.

use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where a rule's family was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilySource {
    /// The rule's `family` meta field.
    Meta,
    /// The rule's name, `MAL_<Family>_...`.
    Name,
    /// Neither: the rule is generic.
    None,
}

/// What the evaluation knows about one (non-private) rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// The rule's identifier.
    pub name: String,
    /// The rule's namespace (`default` unless the source declares another).
    pub namespace: String,
    /// The family the rule is meant to detect, lower-case; `None` for a generic rule.
    pub family: Option<String>,
    /// Where [`RuleInfo::family`] came from.
    pub family_source: FamilySource,
    /// SHA-256 digests (lower case) of the samples the rule was built from, from its meta
    /// (`hash`, `hash1`, `hash2`, ..., `sha256`, as spoor and yarGen write them).
    pub sample_hashes: Vec<String>,
}

/// Whether a meta key names the digest of a sample the rule was built from.
fn is_hash_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k == "sha256"
        || k.strip_prefix("hash")
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
}

/// Why the rules could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// A rule file or directory could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The path concerned.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// yara-x rejected the rules; each entry is one of its error reports.
    #[error("the rules do not compile:\n{}", .0.join("\n"))]
    Compile(Vec<String>),
    /// No rule file was found, or the files hold no public rule.
    #[error("no rules to test ({0})")]
    Empty(String),
}

/// What a file given as rules is when it cannot be rule text: an executable, or binary
/// data (a NUL byte in its first 64 KiB). Its bytes are never shown on the terminal.
fn not_rule_text(text: &[u8]) -> Option<&'static str> {
    use crate::sample::SampleFormat;
    match crate::sample::sniff(text) {
        SampleFormat::Pe => Some("a PE executable"),
        SampleFormat::Elf => Some("an ELF executable"),
        SampleFormat::Macho | SampleFormat::MachoFat => Some("a Mach-O executable"),
        SampleFormat::Unknown => text[..text.len().min(64 * 1024)]
            .contains(&0)
            .then_some("binary data"),
    }
}

/// Compiled rules with their descriptions, ready to scan with.
pub struct RuleSet {
    rules: yara_x::Rules,
    infos: Vec<RuleInfo>,
    index: HashMap<(String, String), usize>,
    files: Vec<String>,
    warnings: Vec<crate::error::Warning>,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("infos", &self.infos)
            .field("files", &self.files)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl RuleSet {
    /// Reads and compiles rule files. Directories are walked for `*.yar` and `*.yara` files
    /// (sorted); files named directly are taken whatever their extension.
    pub fn compile_paths(paths: &[PathBuf]) -> Result<RuleSet, RulesError> {
        let files = rule_files(paths)?;
        if files.is_empty() {
            return Err(RulesError::Empty(
                "no .yar or .yara file in the paths given".to_string(),
            ));
        }
        let mut sources = Vec::with_capacity(files.len());
        for file in &files {
            let text = std::fs::read(file).map_err(|e| RulesError::Read {
                path: file.display().to_string(),
                message: crate::input::describe(&e),
            })?;
            if let Some(what) = not_rule_text(&text) {
                return Err(RulesError::Read {
                    path: file.display().to_string(),
                    message: format!(
                        "not a YARA rules file ({what}); give the rules first and the files \
                         to scan with --malicious and --benign"
                    ),
                });
            }
            sources.push((file.display().to_string(), text));
        }
        let borrowed: Vec<(&str, &[u8])> = sources
            .iter()
            .map(|(origin, text)| (origin.as_str(), text.as_slice()))
            .collect();
        Self::compile_sources(&borrowed)
    }

    /// Compiles rule sources given as `(origin, text)` pairs; the origin names the source in
    /// error messages (usually its path).
    pub fn compile_sources(sources: &[(&str, &[u8])]) -> Result<RuleSet, RulesError> {
        let mut compiler = yara_x::Compiler::new();
        for (origin, text) in sources {
            // Errors are collected by the compiler; all of them are reported below.
            let _ = compiler.add_source(yara_x::SourceCode::from(*text).with_origin(*origin));
        }
        let errors: Vec<String> = compiler.errors().iter().map(|e| e.to_string()).collect();
        if !errors.is_empty() {
            return Err(RulesError::Compile(errors));
        }
        let warnings = compiler
            .warnings()
            .iter()
            .map(|w| {
                crate::error::Warning::new(crate::error::WarningCode::RuleCompiler, w.to_string())
            })
            .collect();
        let rules = compiler.build();
        let mut infos: Vec<RuleInfo> = rules
            .iter()
            .filter(|r| !r.is_private())
            .map(|r| {
                let meta_family = r.metadata().find_map(|(key, value)| match value {
                    yara_x::MetaValue::String(s) if key == "family" && !s.trim().is_empty() => {
                        Some(s.trim().to_lowercase())
                    }
                    _ => None,
                });
                let (family, family_source) = match meta_family {
                    Some(f) => (Some(f), FamilySource::Meta),
                    None => match family_from_name(r.identifier()) {
                        Some(f) => (Some(f), FamilySource::Name),
                        None => (None, FamilySource::None),
                    },
                };
                let sample_hashes = r
                    .metadata()
                    .filter_map(|(key, value)| match value {
                        yara_x::MetaValue::String(s) if is_hash_key(key) => {
                            let h = s.trim().to_ascii_lowercase();
                            (h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())).then_some(h)
                        }
                        _ => None,
                    })
                    .collect();
                RuleInfo {
                    name: r.identifier().to_string(),
                    namespace: r.namespace().to_string(),
                    family,
                    family_source,
                    sample_hashes,
                }
            })
            .collect();
        if infos.is_empty() {
            return Err(RulesError::Empty(
                "the sources hold no public rule".to_string(),
            ));
        }
        infos.sort_by(|a, b| (&a.name, &a.namespace).cmp(&(&b.name, &b.namespace)));
        let index = infos
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.namespace.clone(), r.name.clone()), i))
            .collect();
        Ok(RuleSet {
            rules,
            infos,
            index,
            files: sources.iter().map(|(o, _)| o.to_string()).collect(),
            warnings,
        })
    }

    /// The compiled yara-x rules.
    pub fn rules(&self) -> &yara_x::Rules {
        &self.rules
    }

    /// The public rules, sorted by name then namespace; reports refer to rules by their
    /// position in this list.
    pub fn infos(&self) -> &[RuleInfo] {
        &self.infos
    }

    /// The position in [`RuleSet::infos`] of the rule `namespace:name`.
    pub fn position(&self, namespace: &str, name: &str) -> Option<usize> {
        self.index
            .get(&(namespace.to_string(), name.to_string()))
            .copied()
    }

    /// The rule sources, in the order they were compiled.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The compiler's warnings (the rules were still built).
    pub fn warnings(&self) -> &[crate::error::Warning] {
        &self.warnings
    }
}

/// The family encoded in a style-guide rule name, `MAL_<Family>_...`, lower-case.
pub fn family_from_name(name: &str) -> Option<String> {
    let mut parts = name.split('_');
    let prefix = parts.next()?;
    let family = parts.next()?;
    if prefix.eq_ignore_ascii_case("MAL") && !family.is_empty() && parts.next().is_some() {
        Some(family.to_lowercase())
    } else {
        None
    }
}

fn is_rule_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yar") || e.eq_ignore_ascii_case("yara"))
}

/// The rule files under `paths`: files as named, directories walked for `.yar`/`.yara`.
fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, RulesError> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| RulesError::Read {
            path: path.display().to_string(),
            message: crate::input::describe(&e),
        })?;
        if !meta.is_dir() {
            files.push(path.clone());
            continue;
        }
        let (sources, errors) = crate::input::expand(std::slice::from_ref(path));
        if let Some(e) = errors.into_iter().next() {
            return Err(RulesError::Read {
                path: e.source,
                message: e.message,
            });
        }
        for source in sources {
            if let crate::input::Source::File { path, .. } = source {
                if is_rule_file(&path) {
                    files.push(path);
                }
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_from_style_guide_names() {
        assert_eq!(
            family_from_name("MAL_Ashdrop_PE_Nov26"),
            Some("ashdrop".to_string())
        );
        assert_eq!(family_from_name("mal_X_y"), Some("x".to_string()));
        assert_eq!(family_from_name("MAL_Ashdrop"), None);
        assert_eq!(family_from_name("SUSP_Mingw_Runtime"), None);
        assert_eq!(family_from_name("MAL__PE"), None);
        assert_eq!(family_from_name("generic"), None);
    }

    #[test]
    fn meta_family_wins_over_the_name() {
        let src = br#"
            rule MAL_Foo_PE_Nov26 { meta: family = "Bar" condition: true }
            rule MAL_Baz_ELF_Nov26 { condition: true }
            rule plain { condition: true }
            private rule helper { condition: true }
        "#;
        let set = RuleSet::compile_sources(&[("inline", src)]).unwrap();
        let got: Vec<(&str, Option<&str>, FamilySource)> = set
            .infos()
            .iter()
            .map(|r| (r.name.as_str(), r.family.as_deref(), r.family_source))
            .collect();
        assert_eq!(
            got,
            vec![
                ("MAL_Baz_ELF_Nov26", Some("baz"), FamilySource::Name),
                ("MAL_Foo_PE_Nov26", Some("bar"), FamilySource::Meta),
                ("plain", None, FamilySource::None),
            ]
        );
        assert_eq!(set.position("default", "plain"), Some(2));
    }

    #[test]
    fn compile_errors_name_the_origin() {
        let err =
            RuleSet::compile_sources(&[("bad.yar", b"rule x { condition: nope }")]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bad.yar"), "{text}");
        assert!(text.contains("nope"), "{text}");
    }
}
