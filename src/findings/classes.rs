//! The malware class vocabulary: a [`ClassHint`] on a sample, and what each class of
//! `data/class-hints.txt` is called in the exports ([`ClassLabel`]: its STIX 2.1
//! malware types and its MISP tag).
//!
//! The rules that decide whether a class holds (the `need`, `evidence` and `level` lines of
//! the same table) are the sample reader's (`crate::sample::classes`); this module reads
//! only the `class`, `stix` and `misp` lines, which name a class.

use super::Confidence;
use serde::Serialize;
use std::sync::OnceLock;

/// One class hint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassHint {
    /// Class name (`ransomware`, `stealer`, `miner`, `loader`, `backdoor`, `worm`, `wiper`).
    pub class: String,
    /// `high` or `medium`.
    pub confidence: Confidence,
    /// What earned it, one line per evidence line that held.
    pub evidence: Vec<String>,
}

/// `ransomware (high), stealer (medium)`, or `no class`.
pub fn summary(hints: &[ClassHint]) -> String {
    if hints.is_empty() {
        return "no class".to_string();
    }
    hints
        .iter()
        .map(|h| format!("{} ({})", h.class, h.confidence))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a class is called in the exports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassLabel {
    /// Class name (`ransomware`).
    pub name: String,
    /// STIX 2.1 malware-type-ov values.
    pub stix: Vec<String>,
    /// MISP tag.
    pub misp: String,
}

/// The `class`, `stix` and `misp` lines of `class-hints.txt`, one label per class in table
/// order; the other keywords are the class rules' and are skipped here. Errors name the
/// line.
pub fn parse_labels(text: &str) -> Result<Vec<ClassLabel>, crate::Error> {
    let mut labels: Vec<ClassLabel> = Vec::new();
    for (n, line) in crate::tables::numbered_entries(text) {
        let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        match word {
            "class" if rest.is_empty() => {
                return Err(crate::Error::parse_at(n, "class without a name"))
            }
            "class" => labels.push(ClassLabel {
                name: rest.to_string(),
                ..ClassLabel::default()
            }),
            "stix" | "misp" => {
                let label = labels.last_mut().ok_or_else(|| {
                    crate::Error::parse_at(n, format!("'{word}' before any class"))
                })?;
                if word == "stix" {
                    label.stix = rest.split_whitespace().map(str::to_string).collect();
                } else {
                    label.misp = rest.to_string();
                }
            }
            _ => {}
        }
    }
    Ok(labels)
}

/// The labels of the embedded table (an unparsable table gives none; a unit test keeps it
/// parsable).
pub fn labels() -> &'static [ClassLabel] {
    static T: OnceLock<Vec<ClassLabel>> = OnceLock::new();
    T.get_or_init(|| parse_labels(crate::tables::CLASS_HINTS).unwrap_or_default())
}

/// The label of the class named `name`.
pub fn label(name: &str) -> Option<&'static ClassLabel> {
    labels().iter().find(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_uses_the_stix_vocabulary() {
        let labels = parse_labels(crate::tables::CLASS_HINTS).expect("class-hints.txt parses");
        assert!(labels.len() >= 7);
        // malware-type-ov of STIX 2.1, section 10.12.
        let known = [
            "adware",
            "backdoor",
            "bot",
            "bootkit",
            "ddos",
            "downloader",
            "dropper",
            "exploit-kit",
            "keylogger",
            "ransomware",
            "remote-access-trojan",
            "resource-exploitation",
            "rogue-security-software",
            "rootkit",
            "screen-capture",
            "spyware",
            "trojan",
            "unknown",
            "virus",
            "webshell",
            "wiper",
            "worm",
        ];
        for c in &labels {
            assert!(!c.stix.is_empty() && !c.misp.is_empty(), "{}", c.name);
            for s in &c.stix {
                assert!(
                    known.contains(&s.as_str()),
                    "{s} is not a STIX malware type"
                );
            }
        }
        assert_eq!(
            label("ransomware").map(|l| l.name.as_str()),
            Some("ransomware")
        );
        assert!(label("no such class").is_none());
    }

    #[test]
    fn labels_name_their_line_and_skip_the_rules() {
        assert!(parse_labels("stix worm\n")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
        assert!(parse_labels("class\n")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
        let l = parse_labels("class x\nneed api X\nstix worm virus\nmisp a:b\nlevel high 1\n")
            .expect("parses");
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].stix, ["worm", "virus"]);
        assert_eq!(l[0].misp, "a:b");
    }

    #[test]
    fn summary_lists_hints_or_says_none() {
        assert_eq!(summary(&[]), "no class");
        let h = |c: &str, k: &str| ClassHint {
            class: c.into(),
            confidence: Confidence::from_name(k).expect("a confidence"),
            evidence: Vec::new(),
        };
        assert_eq!(
            summary(&[h("ransomware", "high"), h("stealer", "medium")]),
            "ransomware (high), stealer (medium)"
        );
    }
}
