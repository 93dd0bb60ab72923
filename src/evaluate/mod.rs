//! Testing YARA rules against a malicious and a benign set (`spoor test`).
//!
//! Owns: compiling the rules once ([`rules`]), family labels ([`labels`]), scanning both sets
//! in parallel with yara-x ([`scan`]), and measuring the result ([`report`]): per rule true
//! positives, misses, false positives (benign and cross-family, with the files) and detection
//! rate; per set the files matched; a confusion table; a family matrix; throughput.
//! [`text`] renders a report for people; the JSON form is the serialized [`Report`].
//!
//! ```no_run
//! use spoor::evaluate::{self, RuleSet, ScanConfig, TestSets};
//! use std::path::PathBuf;
//!
//! let rules = RuleSet::compile_paths(&[PathBuf::from("rules/")]).unwrap();
//! let sets = TestSets::collect(&[PathBuf::from("samples/")], &[PathBuf::from("goodware/")]);
//! let report = evaluate::evaluate(&rules, &sets, None, &ScanConfig::default(), &|_| {});
//! assert_eq!(report.false_positives, 0);
//! ```

pub mod labels;
pub mod report;
pub mod rules;
pub mod scan;
pub mod text;

pub use labels::Labels;
pub use report::{Report, SetKind, Throughput, Unreadable};
pub use rules::{RuleInfo, RuleSet, RulesError};
pub use scan::{ScanConfig, ScanRun};

use std::path::PathBuf;

/// The files to scan, found under the paths the user gave, with the paths that could not
/// be listed.
#[derive(Debug, Clone, Default)]
pub struct TestSets {
    /// Every file, with its set, in the order found (directories walked sorted).
    pub files: Vec<(SetKind, PathBuf)>,
    /// Total size in bytes by the files' metadata (for progress).
    pub bytes: u64,
    /// Paths that could not be listed or do not exist.
    pub unreadable: Vec<Unreadable>,
}

impl TestSets {
    /// Walks the malicious and benign paths. Standard input (`-`) is not a set member and is
    /// reported as unreadable.
    pub fn collect(malicious: &[PathBuf], benign: &[PathBuf]) -> TestSets {
        let mut sets = TestSets::default();
        for (kind, paths) in [(SetKind::Malicious, malicious), (SetKind::Benign, benign)] {
            for path in paths {
                if path.as_os_str() == "-" {
                    sets.unreadable.push(Unreadable {
                        set: kind,
                        file: "-".to_string(),
                        code: crate::error::WarningCode::InputSkipped,
                        reason: "standard input cannot be part of a test set".to_string(),
                    });
                    continue;
                }
                let (sources, errors) = crate::input::expand(std::slice::from_ref(path));
                for e in errors {
                    sets.unreadable.push(Unreadable {
                        set: kind,
                        file: e.source,
                        code: e.code,
                        reason: e.message,
                    });
                }
                for source in sources {
                    if let crate::input::Source::File { path, len } = source {
                        sets.bytes += len;
                        sets.files.push((kind, path));
                    }
                }
            }
        }
        sets
    }

    /// Files in one set.
    pub fn count(&self, kind: SetKind) -> usize {
        self.files.iter().filter(|(k, _)| *k == kind).count()
    }
}

/// Scans both sets with `rules` and measures the result. `progress` is called once per
/// scanned file with its size. The report carries throughput; clear
/// [`Report::throughput`] for reproducible output.
pub fn evaluate(
    rules: &RuleSet,
    sets: &TestSets,
    labels: Option<&Labels>,
    config: &ScanConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Report {
    let paths: Vec<PathBuf> = sets.files.iter().map(|(_, p)| p.clone()).collect();
    let run = scan::scan_files(rules, &paths, config, progress);
    let outcomes: Vec<(SetKind, scan::FileScan)> =
        sets.files.iter().map(|(k, _)| *k).zip(run.files).collect();
    let mut report = report::measure(rules, &outcomes, labels);
    for u in &sets.unreadable {
        match u.set {
            SetKind::Malicious => report.sets.malicious.unreadable += 1,
            SetKind::Benign => report.sets.benign.unreadable += 1,
        }
        report.unreadable.push(u.clone());
    }
    report
        .unreadable
        .sort_by(|a, b| (a.set, &a.file).cmp(&(b.set, &b.file)));
    let files = report.sets.malicious.files + report.sets.benign.files;
    let bytes = report.sets.malicious.bytes + report.sets.benign.bytes;
    report.throughput = Some(Throughput::new(files, bytes, run.elapsed, run.threads));
    report
}
