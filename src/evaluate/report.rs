//! Measuring: from scan outcomes and labels to per-rule counts, per-set counts, a confusion
//! table, a family matrix and throughput.
//!
//! A malicious file's label comes from the labels file, or else from a directory named like
//! a rule family (see [`super::labels`]). For a rule of family `F` (see [`super::rules`])
//! and a malicious file labelled `L`:
//! the file is the rule's *target* when the rule is generic, the file has no label, or
//! `F == L`. A target that matches is a true positive, a target that does not is a miss, a
//! non-target that matches is a cross-family false positive. Every match on a benign file is
//! a false positive. Files that could not be scanned count nowhere but in `unreadable`.

use super::labels::{family_from_dirs, Labels, BENIGN};
use super::rules::{FamilySource, RuleSet};
use super::scan::FileScan;
use crate::error::{Warning, WarningCode};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Column of the family matrix for rules without a family.
pub const GENERIC_COLUMN: &str = "(generic)";
/// Column of the family matrix for files no rule matched.
pub const NO_MATCH_COLUMN: &str = "(no match)";
/// Row of the family matrix for malicious files without a label.
pub const UNLABELLED_ROW: &str = "(unlabelled)";

vocabulary! {
    /// Which set a file was given in.
    pub enum SetKind {
        /// Files that rules should match.
        Malicious => "malicious",
        /// Files no rule may match.
        Benign => "benign",
    }
}

/// The whole measured result of `spoor test`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The rule sources, as given.
    pub rule_files: Vec<String>,
    /// One entry per public rule, sorted by name.
    pub rules: Vec<RuleReport>,
    /// Per-set counts.
    pub sets: Sets,
    /// File-level confusion table.
    pub confusion: Confusion,
    /// Which rule families matched files of which label.
    pub families: FamilyMatrix,
    /// Sum over rules of benign and cross-family false positives (rule, file pairs).
    pub false_positives: usize,
    /// Files that could not be scanned, with the reason.
    pub unreadable: Vec<Unreadable>,
    /// Notes about the labels (e.g. a malicious-set file labelled benign).
    pub warnings: Vec<Warning>,
    /// Scan speed; absent when timing was turned off for reproducible output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throughput: Option<Throughput>,
}

/// One rule's measured result.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    /// Rule identifier.
    pub name: String,
    /// Rule namespace.
    pub namespace: String,
    /// The family the rule detects (`None`: generic).
    pub family: Option<String>,
    /// Where the family came from.
    pub family_source: FamilySource,
    /// Target files matched.
    pub true_positives: usize,
    /// Target files not matched.
    pub misses: usize,
    /// Benign plus cross-family matches.
    pub false_positives: usize,
    /// True positives / targets, when the rule has targets.
    pub detection_rate: Option<f64>,
    /// The benign files matched.
    pub benign_hits: Vec<String>,
    /// The malicious files of another family matched.
    pub cross_family_hits: Vec<CrossFamilyHit>,
    /// The target files not matched.
    pub missed: Vec<String>,
}

/// A match of a family rule on another family's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrossFamilyHit {
    /// The file.
    pub file: String,
    /// The file's family.
    pub family: String,
}

/// Both sets' counts.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Sets {
    /// The malicious set.
    pub malicious: SetSummary,
    /// The benign set.
    pub benign: SetSummary,
}

/// One set's counts.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SetSummary {
    /// Files scanned.
    pub files: usize,
    /// Bytes scanned.
    pub bytes: u64,
    /// Files matched by at least one rule.
    pub matched_any: usize,
    /// Files that could not be scanned.
    pub unreadable: usize,
}

/// File-level confusion table: a malicious file is detected when a rule that targets it
/// matches; a benign file is flagged when any rule matches.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Confusion {
    /// Malicious files detected.
    pub true_positives: usize,
    /// Malicious files not detected.
    pub false_negatives: usize,
    /// Benign files flagged.
    pub false_positives: usize,
    /// Benign files not flagged.
    pub true_negatives: usize,
    /// Malicious files matched only by other families' rules (part of `false_negatives`).
    pub wrong_family_only: usize,
    /// true_positives / (true_positives + false_negatives).
    pub recall: Option<f64>,
    /// true_positives / (true_positives + false_positives).
    pub precision: Option<f64>,
}

/// Files per (label, rule family): row = the file's label, column = a family whose rules
/// matched it (a file matched by rules of two families counts in both columns).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FamilyMatrix {
    /// Rule families (sorted), then [`GENERIC_COLUMN`] if any rule is generic, then
    /// [`NO_MATCH_COLUMN`].
    pub columns: Vec<String>,
    /// Malicious labels (sorted), then [`UNLABELLED_ROW`] if needed, then `benign`.
    pub rows: Vec<FamilyRow>,
}

/// One row of the [`FamilyMatrix`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct FamilyRow {
    /// The files' label.
    pub label: String,
    /// Files scanned with this label.
    pub files: usize,
    /// Files per column.
    pub counts: Vec<usize>,
}

/// A file that could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// The set it was given in.
    pub set: SetKind,
    /// The path.
    pub file: String,
    /// What kind of problem (`input-unreadable`, `input-skipped`, `time-limit`, ...; see
    /// `docs/warnings.md`).
    pub code: crate::error::WarningCode,
    /// Why.
    pub reason: String,
}

/// Scan speed over both sets.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Throughput {
    /// Files scanned.
    pub files: usize,
    /// Bytes scanned.
    pub bytes: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Mebibytes per second.
    pub mib_per_s: f64,
    /// Files per second.
    pub files_per_s: f64,
    /// Worker threads.
    pub threads: usize,
}

impl Throughput {
    /// Speed of scanning `files` files of `bytes` bytes in `elapsed`.
    pub fn new(files: usize, bytes: u64, elapsed: Duration, threads: usize) -> Throughput {
        let seconds = elapsed.as_secs_f64().max(1e-9);
        Throughput {
            files,
            bytes,
            seconds: round(seconds, 4),
            mib_per_s: round(bytes as f64 / (1024.0 * 1024.0) / seconds, 2),
            files_per_s: round(files as f64 / seconds, 1),
            threads,
        }
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn ratio(num: usize, den: usize) -> Option<f64> {
    (den > 0).then(|| round(num as f64 / den as f64, 4))
}

/// A scanned file with its set and label, for measuring.
struct Scanned<'a> {
    path: &'a str,
    set: SetKind,
    /// Family for malicious files (`None`: unlabelled); `None` for benign files.
    family: Option<String>,
    hits: &'a [usize],
}

/// The family shown for a hit on a malicious file whose family is not known.
pub const UNKNOWN_FAMILY: &str = "(family unknown)";

/// The folder above a folder named like a rule's family, and that family
/// (`corpus/malicious/magpie/x.exe` → `corpus/malicious`, `magpie`).
fn family_folder(path: &str, families: &[&str]) -> Option<(String, String)> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let dirs = parts.split_last().map(|(_, d)| d).unwrap_or_default();
    dirs.iter().enumerate().rev().find_map(|(i, dir)| {
        let d = dir.to_lowercase();
        families
            .contains(&d.as_str())
            .then(|| (dirs[..i].join("/"), d))
    })
}

/// The family of a file in a sibling folder of a family folder (`corpus/malicious/shroud/
/// x.exe` when `corpus/malicious/magpie/` holds magpie's samples): the folder's name.
fn sibling_family(path: &str, parents: &BTreeSet<String>) -> Option<String> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    if parts.len() < 2 {
        return None;
    }
    let dirs = &parts[..parts.len() - 1];
    (0..dirs.len()).rev().find_map(|i| {
        parents
            .contains(&dirs[..i].join("/"))
            .then(|| dirs[i].to_lowercase())
    })
}

/// Measures scan outcomes. `files` pairs each outcome with the set it was given in.
pub fn measure(rules: &RuleSet, files: &[(SetKind, FileScan)], labels: Option<&Labels>) -> Report {
    let infos = rules.infos();
    let mut sets = Sets::default();
    let mut unreadable = Vec::new();
    let mut warnings = Vec::new();
    let mut scanned = Vec::new();
    let rule_families: BTreeSet<&str> = infos.iter().filter_map(|r| r.family.as_deref()).collect();
    let rule_families: Vec<&str> = rule_families.into_iter().collect();
    // Without labels, a file's family is inferred: the rule that names it among the
    // samples it was built from (its SHA-256 in the rule's meta), or a folder named like a
    // rule's family, or a sibling folder of such a folder (samples sorted by family).
    let by_hash: BTreeMap<&str, &str> = infos
        .iter()
        .filter_map(|r| r.family.as_deref().map(|f| (r, f)))
        .flat_map(|(r, f)| r.sample_hashes.iter().map(move |h| (h.as_str(), f)))
        .collect();
    let family_parents: BTreeSet<String> = if labels.is_none() {
        files
            .iter()
            .filter(|(set, _)| *set == SetKind::Malicious)
            .filter_map(|(_, f)| family_folder(&f.path, &rule_families).map(|(parent, _)| parent))
            .collect()
    } else {
        BTreeSet::new()
    };
    let inferred = |f: &FileScan| -> Option<String> {
        if let Some(family) = f.sha256.as_deref().and_then(|h| by_hash.get(h)) {
            return Some(family.to_string());
        }
        if let Some(family) = family_from_dirs(&f.path, &rule_families) {
            return Some(family.to_string());
        }
        sibling_family(&f.path, &family_parents)
    };
    for (set, f) in files {
        let summary = match set {
            SetKind::Malicious => &mut sets.malicious,
            SetKind::Benign => &mut sets.benign,
        };
        let hits = match &f.result {
            Ok(h) => h,
            Err(reason) => {
                summary.unreadable += 1;
                unreadable.push(Unreadable {
                    set: *set,
                    file: f.path.clone(),
                    code: reason.code,
                    reason: reason.message.clone(),
                });
                continue;
            }
        };
        summary.files += 1;
        summary.bytes += f.size;
        if !hits.is_empty() {
            summary.matched_any += 1;
        }
        let family = match (set, labels.and_then(|l| l.label_of(&f.path))) {
            (SetKind::Malicious, Some(BENIGN)) => {
                warnings.push(Warning::new(
                    WarningCode::Labels,
                    format!(
                        "{}: labelled benign but given as malicious; counted without a family",
                        f.path
                    ),
                ));
                None
            }
            (SetKind::Malicious, Some(label)) => Some(label.to_string()),
            (SetKind::Malicious, None) if labels.is_none() => inferred(f),
            (SetKind::Malicious, None) => {
                family_from_dirs(&f.path, &rule_families).map(str::to_string)
            }
            (SetKind::Benign, _) => None,
        };
        scanned.push(Scanned {
            path: &f.path,
            set: *set,
            family,
            hits,
        });
    }
    unreadable.sort_by(|a, b| (a.set, &a.file).cmp(&(b.set, &b.file)));

    // Without labels, once some files' families are known, a file of no known family is
    // outside every family rule: its hits are listed as outside the family, never counted
    // as true positives, and it is no rule's miss. With no family known at all, every file
    // counts for every rule (as before), and a warning says so.
    let inferring = labels.is_none()
        && infos.iter().any(|r| r.family.is_some())
        && scanned
            .iter()
            .any(|f| f.set == SetKind::Malicious && f.family.is_some());
    if labels.is_none()
        && infos.iter().any(|r| r.family.is_some())
        && !inferring
        && scanned.iter().any(|f| f.set == SetKind::Malicious)
    {
        warnings.push(Warning::new(
            WarningCode::Labels,
            "no malicious file's family could be inferred (no --labels, no folder named like a \
             rule's family, no sample hash in the rules' meta): every malicious file counts for \
             every rule",
        ));
    }
    let targets = |rule: usize, file: &Scanned| -> bool {
        match (
            infos.get(rule).and_then(|r| r.family.as_ref()),
            &file.family,
        ) {
            (Some(rf), Some(ff)) => rf == ff,
            (Some(_), None) if inferring => false,
            _ => true,
        }
    };

    let mut reports: Vec<RuleReport> = infos
        .iter()
        .map(|r| RuleReport {
            name: r.name.clone(),
            namespace: r.namespace.clone(),
            family: r.family.clone(),
            family_source: r.family_source,
            true_positives: 0,
            misses: 0,
            false_positives: 0,
            detection_rate: None,
            benign_hits: Vec::new(),
            cross_family_hits: Vec::new(),
            missed: Vec::new(),
        })
        .collect();
    let mut confusion = Confusion::default();
    for file in &scanned {
        match file.set {
            SetKind::Benign => {
                for &h in file.hits {
                    if let Some(r) = reports.get_mut(h) {
                        r.benign_hits.push(file.path.to_string());
                    }
                }
                if file.hits.is_empty() {
                    confusion.true_negatives += 1;
                } else {
                    confusion.false_positives += 1;
                }
            }
            SetKind::Malicious => {
                let mut detected = false;
                for (i, r) in reports.iter_mut().enumerate() {
                    let hit = file.hits.binary_search(&i).is_ok();
                    match (targets(i, file), hit) {
                        (true, true) => {
                            r.true_positives += 1;
                            detected = true;
                        }
                        (true, false) => r.missed.push(file.path.to_string()),
                        (false, true) => r.cross_family_hits.push(CrossFamilyHit {
                            file: file.path.to_string(),
                            family: file
                                .family
                                .clone()
                                .unwrap_or_else(|| UNKNOWN_FAMILY.to_string()),
                        }),
                        (false, false) => {}
                    }
                }
                if detected {
                    confusion.true_positives += 1;
                } else {
                    confusion.false_negatives += 1;
                    if !file.hits.is_empty() {
                        confusion.wrong_family_only += 1;
                    }
                }
            }
        }
    }
    let mut false_positives = 0;
    for r in &mut reports {
        r.benign_hits.sort();
        r.cross_family_hits.sort_by(|a, b| a.file.cmp(&b.file));
        r.missed.sort();
        r.misses = r.missed.len();
        r.false_positives = r.benign_hits.len() + r.cross_family_hits.len();
        r.detection_rate = ratio(r.true_positives, r.true_positives + r.misses);
        false_positives += r.false_positives;
    }
    confusion.recall = ratio(
        confusion.true_positives,
        confusion.true_positives + confusion.false_negatives,
    );
    confusion.precision = ratio(
        confusion.true_positives,
        confusion.true_positives + confusion.false_positives,
    );
    warnings.sort_by(|a: &Warning, b: &Warning| a.message.cmp(&b.message));

    Report {
        rule_files: rules.files().to_vec(),
        rules: reports,
        sets,
        confusion,
        families: family_matrix(rules, &scanned),
        false_positives,
        unreadable,
        warnings,
        throughput: None,
    }
}

fn family_matrix(rules: &RuleSet, scanned: &[Scanned]) -> FamilyMatrix {
    let infos = rules.infos();
    let families: BTreeSet<&str> = infos.iter().filter_map(|r| r.family.as_deref()).collect();
    let mut columns: Vec<String> = families.iter().map(|f| f.to_string()).collect();
    if infos.iter().any(|r| r.family.is_none()) {
        columns.push(GENERIC_COLUMN.to_string());
    }
    columns.push(NO_MATCH_COLUMN.to_string());
    let column_of = |rule: usize| -> usize {
        let name = infos
            .get(rule)
            .and_then(|r| r.family.as_deref())
            .unwrap_or(GENERIC_COLUMN);
        columns.iter().position(|c| c == name).unwrap_or(0)
    };

    let labels: BTreeSet<&str> = scanned
        .iter()
        .filter(|f| f.set == SetKind::Malicious)
        .filter_map(|f| f.family.as_deref())
        .collect();
    let mut rows: Vec<FamilyRow> = labels
        .iter()
        .map(|l| FamilyRow {
            label: l.to_string(),
            files: 0,
            counts: vec![0; columns.len()],
        })
        .collect();
    let unlabelled = scanned
        .iter()
        .any(|f| f.set == SetKind::Malicious && f.family.is_none());
    if unlabelled {
        rows.push(FamilyRow {
            label: UNLABELLED_ROW.to_string(),
            files: 0,
            counts: vec![0; columns.len()],
        });
    }
    rows.push(FamilyRow {
        label: BENIGN.to_string(),
        files: 0,
        counts: vec![0; columns.len()],
    });
    let no_match = columns.len() - 1;
    for file in scanned {
        let label = match (file.set, &file.family) {
            (SetKind::Benign, _) => BENIGN,
            (SetKind::Malicious, Some(f)) => f.as_str(),
            (SetKind::Malicious, None) => UNLABELLED_ROW,
        };
        let Some(row) = rows.iter_mut().find(|r| r.label == label) else {
            continue;
        };
        row.files += 1;
        let mut cols: Vec<usize> = file.hits.iter().map(|&h| column_of(h)).collect();
        cols.sort_unstable();
        cols.dedup();
        if cols.is_empty() {
            cols.push(no_match);
        }
        for c in cols {
            if let Some(n) = row.counts.get_mut(c) {
                *n += 1;
            }
        }
    }
    FamilyMatrix { columns, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, hits: &[usize]) -> FileScan {
        FileScan {
            path: path.to_string(),
            size: 10,
            result: Ok(hits.to_vec()),
            sha256: None,
        }
    }

    #[test]
    fn without_labels_families_come_from_rule_meta_and_folders() {
        let hash = "ab".repeat(32);
        let src = format!(
            r#"
            rule MAL_Alpha_PE_X {{ meta: hash1 = "{hash}" condition: true }}
            rule MAL_Beta_PE_X {{ condition: true }}
        "#
        );
        let rules = RuleSet::compile_sources(&[("t", src.as_bytes())]).unwrap();
        assert_eq!(rules.infos()[0].sample_hashes, std::slice::from_ref(&hash));
        let with_hash = |path: &str, hits: &[usize], h: &str| FileScan {
            sha256: Some(h.to_string()),
            ..file(path, hits)
        };
        let files = vec![
            // built from this sample: alpha, wherever it lies
            (SetKind::Malicious, with_hash("flat/a1", &[0], &hash)),
            // in a folder named like beta's family
            (SetKind::Malicious, file("m/beta/b1", &[0, 1])),
            // in a sibling folder of beta's: family gamma, outside both rules
            (SetKind::Malicious, file("m/gamma/g1", &[0])),
            (SetKind::Malicious, file("m/gamma/g2", &[])),
        ];
        let r = measure(&rules, &files, None);
        let (alpha, beta) = (&r.rules[0], &r.rules[1]);
        assert_eq!(alpha.true_positives, 1);
        assert!(alpha.missed.is_empty(), "{:?}", alpha.missed);
        let cross: Vec<(&str, &str)> = alpha
            .cross_family_hits
            .iter()
            .map(|h| (h.file.as_str(), h.family.as_str()))
            .collect();
        assert_eq!(cross, [("m/beta/b1", "beta"), ("m/gamma/g1", "gamma")]);
        assert_eq!(beta.true_positives, 1);
        assert!(beta.missed.is_empty() && beta.cross_family_hits.is_empty());
        // nothing to infer from: every file counts for every rule, with a warning
        let flat = vec![(SetKind::Malicious, file("x/u1", &[0]))];
        let r = measure(&rules, &flat, None);
        assert_eq!(r.rules[0].true_positives, 1);
        assert_eq!(r.rules[1].misses, 1);
        assert!(r
            .warnings
            .iter()
            .any(|w| w.code == WarningCode::Labels && w.message.contains("could be inferred")));
    }

    #[test]
    fn targets_cross_family_and_unlabelled_files() {
        let src = br#"
            rule MAL_Alpha_PE_X { condition: true }
            rule MAL_Beta_PE_X { condition: true }
            rule any_file { condition: true }
        "#;
        let rules = RuleSet::compile_sources(&[("t", src)]).unwrap();
        // positions: 0 = MAL_Alpha, 1 = MAL_Beta, 2 = any_file
        let labels = Labels::parse(
            r#"{"m/a1": "alpha", "m/b1": "beta", "m/x": "benign", "g/ok": "benign"}"#,
        )
        .unwrap();
        let files = vec![
            (SetKind::Malicious, file("m/a1", &[0, 1])), // alpha: TP for alpha, cross for beta
            (SetKind::Malicious, file("m/b1", &[2])),    // beta: missed by beta
            (SetKind::Malicious, file("m/beta/b2", &[1])), // label from its directory
            (SetKind::Malicious, file("m/u", &[])),      // unlabelled: target of every rule
            (SetKind::Malicious, file("m/x", &[0])),     // labelled benign: noted, unlabelled
            (SetKind::Benign, file("g/ok", &[])),
            (SetKind::Benign, file("g/bad", &[2])),
            (
                SetKind::Benign,
                FileScan {
                    path: "g/gone".into(),
                    size: 0,
                    result: Err(crate::error::Warning::new(
                        crate::error::WarningCode::InputUnreadable,
                        "no such file or directory",
                    )),
                    sha256: None,
                },
            ),
        ];
        let r = measure(&rules, &files, Some(&labels));
        let alpha = &r.rules[0];
        assert_eq!((alpha.true_positives, alpha.misses), (2, 1)); // a1, x; missed u
        assert_eq!(alpha.missed, vec!["m/u"]);
        let beta = &r.rules[1];
        assert_eq!((beta.true_positives, beta.misses), (1, 3)); // b2; missed b1, u, x
        assert_eq!(
            beta.cross_family_hits,
            vec![CrossFamilyHit {
                file: "m/a1".into(),
                family: "alpha".into()
            }]
        );
        let generic = &r.rules[2];
        assert_eq!((generic.true_positives, generic.misses), (1, 4));
        assert_eq!(generic.benign_hits, vec!["g/bad"]);
        assert_eq!(r.false_positives, 2);
        assert_eq!(r.warnings.len(), 1);
        assert!(r.warnings[0].message.starts_with("m/x: labelled benign"));
        assert_eq!(r.unreadable.len(), 1);
        assert_eq!(r.sets.benign.files, 2);
        assert_eq!(r.sets.benign.unreadable, 1);
        // files: a1 b1 b2 detected (b1 by the generic rule), u not, x by alpha
        assert_eq!(r.confusion.true_positives, 4);
        assert_eq!(r.confusion.false_negatives, 1);
        assert_eq!(r.confusion.false_positives, 1);
        assert_eq!(r.confusion.true_negatives, 1);
        assert_eq!(
            r.families.columns,
            vec!["alpha", "beta", GENERIC_COLUMN, NO_MATCH_COLUMN]
        );
        let rows: Vec<(&str, usize, &[usize])> = r
            .families
            .rows
            .iter()
            .map(|row| (row.label.as_str(), row.files, row.counts.as_slice()))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("alpha", 1, &[1, 1, 0, 0][..]),
                ("beta", 2, &[0, 1, 1, 0][..]),
                (UNLABELLED_ROW, 2, &[1, 0, 0, 1][..]),
                ("benign", 2, &[0, 0, 1, 1][..]),
            ]
        );
    }
}
