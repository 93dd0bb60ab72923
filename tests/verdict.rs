//! The verdict and the class hints against the corpus ground truth: every benign file stays at
//! `no strong signs` with no class, every malicious sample is `malicious-looking` and gets the
//! class of its family (`corpus/expected/classes.tsv`), in triage and in the corpus report.

use spoor::analyze::{analyze, AnalyzeOptions};
use spoor::report::{AnalystReport, ReportOptions};
use spoor::sample;
use spoor::sample::verdict::SampleVerdict;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else if !p.extension().is_some_and(|x| x == "txt" || x == "md") {
            out.push(p);
        }
    }
}

/// Family → expected class (`None` for `-`).
fn classes() -> BTreeMap<String, Option<String>> {
    let text = std::fs::read_to_string(root().join("corpus/expected/classes.tsv"))
        .expect("corpus/expected/classes.tsv");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut cols = l.split('\t');
            let family = cols.next().expect("family").to_string();
            let class = cols.next().expect("class column").trim();
            (family, (class != "-").then(|| class.to_string()))
        })
        .collect()
}

/// Every malicious sample with its family.
fn malicious() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut families: Vec<PathBuf> = std::fs::read_dir(root().join("corpus/malicious"))
        .expect("corpus/malicious")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    families.sort();
    for fam in families {
        let name = fam.file_name().unwrap().to_string_lossy().into_owned();
        let mut files = Vec::new();
        files_under(&fam, &mut files);
        out.extend(files.into_iter().map(|f| (name.clone(), f)));
    }
    assert_eq!(out.len(), 27, "27 malicious corpus samples");
    out
}

fn triage(path: &Path) -> sample::Triage {
    let data = std::fs::read(path).expect("read sample");
    sample::triage(&path.to_string_lossy(), &data)
}

#[test]
fn the_benign_corpus_shows_no_strong_signs_and_no_class() {
    let mut files = Vec::new();
    files_under(&root().join("corpus/benign"), &mut files);
    assert!(files.len() >= 80, "{} benign files", files.len());
    let mut wrong = Vec::new();
    for f in &files {
        let t = triage(f);
        if t.verdict.verdict != SampleVerdict::NoStrongSigns || !t.classes.is_empty() {
            wrong.push(format!(
                "{}: {} ({}), classes {}",
                f.display(),
                t.verdict.verdict,
                t.verdict.reason,
                sample::classes::summary(&t.classes)
            ));
        }
        assert!(
            !t.verdict.reason.is_empty(),
            "{}: a verdict says why",
            f.display()
        );
    }
    assert!(
        wrong.is_empty(),
        "benign files judged:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_malicious_sample_is_malicious_looking_with_its_familys_class() {
    let classes = classes();
    let mut wrong = Vec::new();
    for (family, f) in malicious() {
        let expected = classes
            .get(&family)
            .unwrap_or_else(|| panic!("{family} has no row in classes.tsv"));
        let t = triage(&f);
        if t.verdict.verdict != SampleVerdict::MaliciousLooking {
            wrong.push(format!("{}: {}", f.display(), t.verdict.reason));
        }
        let got: Vec<&str> = t.classes.iter().map(|h| h.class.as_str()).collect();
        let right = match expected {
            Some(c) => got.contains(&c.as_str()),
            None => got.is_empty(),
        };
        if !right {
            wrong.push(format!(
                "{}: class {expected:?} expected, hints {got:?}",
                f.display()
            ));
        }
        for h in &t.classes {
            assert!(
                !h.evidence.is_empty(),
                "{}: {} without evidence",
                f.display(),
                h.class
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_corpus_report_opens_with_the_class_hints() {
    let classes = classes();
    let inputs = [
        root().join("corpus/malicious"),
        root().join("corpus/benign/built"),
    ];
    let analysis = analyze(&inputs, &[], &AnalyzeOptions::default());
    let report = AnalystReport::build(
        &analysis,
        &ReportOptions {
            date: "2026-11-25".into(),
            ..ReportOptions::default()
        },
    );
    // the opening paragraph, and the aggregate after the per-family paragraphs
    let overview = report
        .overview
        .iter()
        .chain(&report.summary)
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(overview.contains("Class hints: "), "{overview}");
    assert!(overview.contains("no class for "), "{overview}");
    assert_eq!(report.samples.len(), 54);
    for s in &report.samples {
        let family = s
            .name
            .contains("/malicious/")
            .then(|| s.name.split("/malicious/").nth(1))
            .flatten()
            .and_then(|rest| rest.split('/').next());
        let tag = s
            .tags
            .iter()
            .find(|(k, _)| k == "class hint")
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{}: no class hint tag", s.name));
        let got: Vec<&str> = s.class_hints.iter().map(|h| h.class.as_str()).collect();
        match family.and_then(|f| classes.get(f).cloned().flatten()) {
            Some(class) => {
                assert!(got.contains(&class.as_str()), "{}: {got:?}", s.name);
                assert!(tag.contains(&class), "{}: tag {tag}", s.name);
                assert!(
                    overview.contains(&format!("{class} (")),
                    "{class} in the overview"
                );
                // the sample's own paragraph, before the aggregate, names its class
                let base = s.name.rsplit(['/', '\\']).next().unwrap_or(&s.name);
                let profile = report
                    .profiles
                    .iter()
                    .find(|p| p.samples.iter().any(|n| n == base))
                    .unwrap_or_else(|| panic!("{}: no paragraph", s.name));
                let paragraph = profile.sentences.join(" ");
                assert!(
                    paragraph.contains("class hint: ") && paragraph.contains(&class),
                    "{}: {paragraph}",
                    s.name
                );
                assert_eq!(s.verdict, "malicious-looking", "{}", s.name);
            }
            None => {
                assert!(got.is_empty(), "{}: {got:?}", s.name);
                assert_eq!(tag, "no class", "{}", s.name);
            }
        }
        assert!(
            !s.verdict_reason.is_empty(),
            "{}: the verdict says why",
            s.name
        );
        if family.is_none() {
            assert_eq!(
                s.verdict, "no strong signs",
                "{}: {}",
                s.name, s.verdict_reason
            );
        }
    }
    // Nothing in the report is a live link.
    let md = spoor::report::markdown::render(&report).expect("the shipped templates render");
    assert!(!md.contains("http://") && !md.contains("https://"));
}
