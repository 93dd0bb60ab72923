//! Sigma, both ways: running a user's Sigma rule set over spoor's events, and writing
//! Sigma rules for the behaviour spoor observed.
//!
//! - [`engine`]: loading a rule set (counted per logsource: run, not read, unsupported
//!   with the feature named, invalid) and [`engine::Scan`], which matches it over records;
//! - [`record`]: what a rule is matched against (a Windows record's own fields, or an
//!   event of another format under Sysmon's field names) and which logsources it is in
//!   (`data/sigma-logsources.txt`);
//! - [`rule`], [`condition`], [`matcher`]: one rule's YAML, its condition and its values;
//! - [`writer`]: Sigma rules from a session's events and findings.
//!
//! This module reads `logs` (events and the raw record tap); nothing below it reads it.

pub mod condition;
pub mod engine;
pub mod matcher;
pub mod record;
pub mod rule;
pub mod writer;

pub use engine::{Engine, LoadReport, Scan, SigmaHit, SigmaResult};

/// Adds the ATT&CK techniques of the rules that matched to a session's findings, each
/// with `Sigma: <rule title>` as who named it.
pub fn add_techniques(result: &SigmaResult, findings: &mut crate::logs::analysis::LogFindings) {
    for (technique, titles) in result.techniques() {
        let entry = findings.techniques.entry(technique).or_default();
        for t in titles {
            entry.insert(format!("Sigma: {t}"));
        }
    }
}
