//! Precision and recall per type on hand-written threat-report texts with ground truth
//! (`tests/cases/reports/NAME.{md,adoc,html,txt}` and `NAME.truth`, one `type value` per
//! line). Unlike the generated log, these mix markup (Markdown, AsciiDoc, HTML), tables,
//! code blocks, defanged and plain indicators, and the look-alikes reports are full of
//! (versions, file names, OIDs, identifiers, reference links).
//!
//! A reported (type, value) counts as a true positive when the report's truth lists it,
//! as a false positive otherwise; a listed value spoor did not report is a false
//! negative. Values compare exactly, except that registry keys and paths compare without
//! case, as spoor deduplicates them.

use crate::quality;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Counts for one type (or all of them).
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub truth: usize,
    pub reported: usize,
    pub tp: usize,
}

impl Counts {
    pub fn fp(&self) -> usize {
        self.reported - self.tp
    }
    pub fn fn_(&self) -> usize {
        self.truth - self.tp
    }
    pub fn precision(&self) -> f64 {
        quality::ratio(self.tp, self.reported)
    }
    pub fn recall(&self) -> f64 {
        quality::ratio(self.tp, self.truth)
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// The score over every report.
#[derive(Debug, Default)]
pub struct Score {
    pub files: Vec<String>,
    pub per_type: BTreeMap<String, Counts>,
    pub total: Counts,
    /// (file, type, value) reported but not in the truth.
    pub false_positives: Vec<(String, String, String)>,
    /// (file, type, value) in the truth but not reported.
    pub false_negatives: Vec<(String, String, String)>,
}

fn key(kind: &str, value: &str) -> (String, String) {
    let v = if matches!(kind, "registry_key" | "file_path") {
        value.to_lowercase()
    } else {
        value.to_string()
    };
    (kind.to_string(), v)
}

/// The report texts and their truth files, sorted by name.
pub fn report_files(root: &Path) -> Result<Vec<(PathBuf, PathBuf)>, String> {
    let dir = root.join("tests/cases/reports");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
        if !matches!(ext, "md" | "adoc" | "html" | "txt") {
            continue;
        }
        let truth = path.with_extension("truth");
        if truth.is_file() {
            out.push((path, truth));
        }
    }
    out.sort();
    Ok(out)
}

fn read_truth(path: &Path) -> Result<BTreeSet<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut set = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (kind, value) = line
            .split_once(' ')
            .ok_or_else(|| format!("{}:{}: want `type value`", path.display(), n + 1))?;
        set.insert(key(kind, value.trim()));
    }
    Ok(set)
}

/// Runs `spoor extract -f ndjson` on every report and scores it against its truth.
pub fn score(spoor: &Path, root: &Path, out_dir: &Path) -> Result<Score, String> {
    let mut score = Score::default();
    for (text, truth_path) in report_files(root)? {
        let name = text
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let out = out_dir.join(format!("report-{name}.ndjson"));
        let status = Command::new(spoor)
            .arg("extract")
            .arg(&text)
            .args(["-f", "ndjson", "-o"])
            .arg(&out)
            .status()
            .map_err(|e| format!("running {}: {e}", spoor.display()))?;
        if !status.success() {
            return Err(format!("spoor extract {} failed: {status}", text.display()));
        }
        let reported: BTreeSet<(String, String)> = quality::read_ndjson(&out)?
            .iter()
            .map(|r| key(&r.kind, &r.value))
            .collect();
        let truth = read_truth(&truth_path)?;
        for (kind, value) in &truth {
            let c = score.per_type.entry(kind.clone()).or_default();
            c.truth += 1;
            if reported.contains(&(kind.clone(), value.clone())) {
                c.tp += 1;
            } else {
                score
                    .false_negatives
                    .push((name.clone(), kind.clone(), value.clone()));
            }
        }
        for (kind, value) in &reported {
            score.per_type.entry(kind.clone()).or_default().reported += 1;
            if !truth.contains(&(kind.clone(), value.clone())) {
                score
                    .false_positives
                    .push((name.clone(), kind.clone(), value.clone()));
            }
        }
        score.files.push(name);
    }
    for c in score.per_type.values() {
        score.total.truth += c.truth;
        score.total.reported += c.reported;
        score.total.tp += c.tp;
    }
    Ok(score)
}

/// The score as a Markdown section.
pub fn markdown(score: &Score) -> String {
    let mut md = format!(
        "## Quality on hand-written report texts ({} files in `tests/cases/reports/`)\n\n\
         | type | in truth | reported | true pos. | false pos. | false neg. | precision | recall | F1 |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        score.files.len()
    );
    let row = |name: &str, c: &Counts| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} |\n",
            c.truth,
            c.reported,
            c.tp,
            c.fp(),
            c.fn_(),
            c.precision(),
            c.recall(),
            c.f1()
        )
    };
    for (kind, c) in &score.per_type {
        md.push_str(&row(kind, c));
    }
    md.push_str(&row("**all**", &score.total));
    if !score.false_positives.is_empty() {
        md.push_str("\nReported, not in the truth:\n\n");
        for (f, k, v) in &score.false_positives {
            md.push_str(&format!("- {f}: {k} `{v}`\n"));
        }
    }
    if !score.false_negatives.is_empty() {
        md.push_str("\nIn the truth, not reported:\n\n");
        for (f, k, v) in &score.false_negatives {
            md.push_str(&format!("- {f}: {k} `{v}`\n"));
        }
    }
    md
}

/// The score as JSON.
pub fn json(score: &Score) -> serde_json::Value {
    let counts = |c: &Counts| {
        serde_json::json!({
            "truth": c.truth, "reported": c.reported, "tp": c.tp, "fp": c.fp(), "fn": c.fn_(),
            "precision": c.precision(), "recall": c.recall(), "f1": c.f1(),
        })
    };
    serde_json::json!({
        "files": score.files,
        "per_type": score.per_type.iter().map(|(k, c)| (k.clone(), counts(c))).collect::<serde_json::Map<_, _>>(),
        "total": counts(&score.total),
        "false_positives": score.false_positives,
        "false_negatives": score.false_negatives,
    })
}
