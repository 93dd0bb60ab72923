//! Family labels for the malicious set: which family each file belongs to.
//!
//! The format is the corpus's `expected/labels.json`: one JSON object mapping a file path to
//! a family name, or to `"benign"`. A scanned file takes the label whose path is the longest
//! whole-component suffix of the file's path (so `corpus/malicious/x/a.exe` labels
//! `../../corpus/malicious/x/a.exe` and `/abs/corpus/malicious/x/a.exe`); failing that, the
//! label of the only entry with the same file name. Family names are lower-cased.
//!
//! A malicious file without a label whose path has a directory named like one of the rules'
//! families (`samples/Ashdrop/x.exe`) takes that family ([`family_from_dirs`]): the usual
//! way analysts sort samples.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::Path;

/// The label value that means "not malicious".
pub const BENIGN: &str = "benign";

/// Why a labels file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The labels file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The file is not a JSON object of strings.
    #[error("{path}: not a labels file (a JSON object of path -> family): {message}")]
    Parse {
        /// The labels file.
        path: String,
        /// What the JSON parser said.
        message: String,
    },
}

/// Path → family labels, looked up by path suffix.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    /// File name → every `(path components, label)` with that file name.
    by_name: HashMap<String, Vec<(Vec<String>, String)>>,
}

fn components(path: &str) -> Vec<String> {
    path.split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}

impl Labels {
    /// Reads a labels file.
    pub fn load(path: &Path) -> Result<Labels, LabelsError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| LabelsError::Read {
            path: name.clone(),
            message: crate::input::describe(&e),
        })?;
        Labels::parse(&text).map_err(|e| LabelsError::Parse {
            path: name,
            message: e.to_string(),
        })
    }

    /// Parses the JSON text of a labels file.
    pub fn parse(text: &str) -> Result<Labels, crate::Error> {
        let map: BTreeMap<String, String> =
            serde_json::from_str(text).map_err(|e| crate::Error::parse(e.to_string()))?;
        let mut labels = Labels::default();
        for (path, label) in map {
            let parts = components(&path);
            let Some(file_name) = parts.last().cloned() else {
                continue;
            };
            labels
                .by_name
                .entry(file_name)
                .or_default()
                .push((parts, label.trim().to_lowercase()));
        }
        Ok(labels)
    }

    /// Whether no label was loaded.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The label of a scanned file (a family name or [`BENIGN`]), if any entry matches.
    pub fn label_of(&self, path: &str) -> Option<&str> {
        let parts = components(path);
        let candidates = self.by_name.get(parts.last()?)?;
        let best = candidates
            .iter()
            .filter(|(key, _)| parts.ends_with(key))
            .max_by_key(|(key, _)| key.len());
        match best {
            Some((_, label)) => Some(label),
            None if candidates.len() == 1 => candidates.first().map(|(_, l)| l.as_str()),
            None => None,
        }
    }
}

/// The family named by one of `path`'s directories (nearest first), if it is one of
/// `families` (lower-case); case-insensitive.
pub fn family_from_dirs<'a>(path: &str, families: &[&'a str]) -> Option<&'a str> {
    let parts = components(path);
    let dirs = parts.split_last().map(|(_, dirs)| dirs).unwrap_or_default();
    dirs.iter().rev().find_map(|dir| {
        let dir = dir.to_lowercase();
        families.iter().find(|f| **f == dir).copied()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"{
        "corpus/malicious/ashdrop/a_v1.exe": "Ashdrop",
        "corpus/benign/built/a_v1.exe": "benign",
        "corpus/malicious/burrow/b_v1": "burrow"
    }"#;

    #[test]
    fn longest_suffix_then_unique_file_name() {
        let labels = Labels::parse(TEXT).unwrap();
        assert_eq!(
            labels.label_of("../../corpus/malicious/ashdrop/a_v1.exe"),
            Some("ashdrop")
        );
        assert_eq!(
            labels.label_of("corpus\\benign\\built\\a_v1.exe"),
            Some("benign")
        );
        // two entries share the name and neither path fits: no label
        assert_eq!(labels.label_of("elsewhere/a_v1.exe"), None);
        // one entry with that name: taken
        assert_eq!(labels.label_of("copies/b_v1"), Some("burrow"));
        assert_eq!(labels.label_of("copies/unknown"), None);
        assert_eq!(labels.label_of(""), None);
    }

    #[test]
    fn family_from_the_nearest_directory() {
        let families = ["ashdrop", "burrow"];
        assert_eq!(
            family_from_dirs("x/Burrow/ashdrop/s.exe", &families),
            Some("ashdrop")
        );
        assert_eq!(family_from_dirs("x/burrow/s", &families), Some("burrow"));
        // the file name itself does not count
        assert_eq!(family_from_dirs("x/ashdrop", &families), None);
        assert_eq!(family_from_dirs("s.exe", &families), None);
    }

    #[test]
    fn bad_json_is_an_error() {
        assert!(Labels::parse("[1, 2]").is_err());
        assert!(Labels::parse("{\"a\": 3}").is_err());
        assert!(Labels::parse("{").is_err());
    }
}
