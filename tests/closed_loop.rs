//! The closed loop (`spoor rules --validate-against`, `--holdout`) on the corpus: family rules
//! trained without one variant detect it for most families, no validated rule matches the
//! benign set (and the extended benign set when it has been gathered), the measured result
//! is written into the rule's meta, no family rule matches another family's samples (and
//! no common string such as a user agent matches alone), and strings planted in a benign file
//! are kept from matching it.

use spoor::evaluate::ScanConfig;
use spoor::goodware;
use spoor::rules::closed_loop::{generate_validated, Validated};
use spoor::rules::{self, validate, RuleOptions};
use spoor::sample::{triage, Triage};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn family(name: &str) -> Vec<Triage> {
    files_under(&root().join("corpus/malicious").join(name))
        .iter()
        .map(|p| triage(&p.to_string_lossy(), &std::fs::read(p).expect("sample")))
        .collect()
}

fn options(family: &str) -> RuleOptions {
    RuleOptions {
        family: Some(family.to_string()),
        date: "2026-11-25".into(),
        ..RuleOptions::default()
    }
}

/// The benign sets: the corpus's, plus the extended set when `.ci/run` (or the user) has
/// gathered it (`SPOOR_EXTENDED_BENIGN`, or `target/extended-benign`).
fn benign_sets() -> Vec<PathBuf> {
    let mut sets = vec![root().join("corpus/benign")];
    let extended = std::env::var_os("SPOOR_EXTENDED_BENIGN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/extended-benign"));
    if extended.join("MANIFEST.tsv").is_file() {
        sets.push(extended);
    } else {
        eprintln!("note: no extended benign set; validating against corpus/benign only");
    }
    sets
}

fn validated(name: &str, benign: &[PathBuf], holdout: bool) -> Validated {
    let index = goodware::default_index().expect("shipped index");
    generate_validated(
        &family(name),
        Some(&index),
        &options(name),
        benign,
        &ScanConfig::default(),
        holdout,
    )
    .expect("validation runs")
}

#[test]
fn held_out_variants_are_detected_for_most_families_without_false_positives() {
    let benign = benign_sets();
    let benign_files: usize = benign.iter().map(|d| files_under(d).len()).sum();
    let names = [
        "ashdrop",
        "burrow",
        "coalpit",
        "fetchbird",
        "lockjaw",
        "magpie",
        "needlepoint",
        "orchard",
        "shroud",
    ];
    let mut generalising = Vec::new();
    let mut summary = Vec::new();
    let mut sources = Vec::new();
    for name in names {
        let v = validated(name, &benign, true);
        // The rule made from every variant: measured, clean, and carrying its result.
        assert_eq!(
            v.generation.rules.len(),
            1,
            "{name}: {:?}",
            v.generation.warnings
        );
        let rule = &v.generation.rules[0];
        assert!(validate::check(&rule.source).is_clean(), "{}", rule.source);
        let m = &v.measured[0];
        assert_eq!(m.false_positives, Vec::<String>::new(), "{name}");
        assert_eq!((m.true_positives, m.samples), (3, 3), "{name}");
        assert!(
            v.benign_files >= benign_files,
            "{name}: every benign file scanned"
        );
        for line in [
            format!("tested_benign_files = {}", v.benign_files),
            "false_positives = 0".to_string(),
            "true_positives = 3".to_string(),
            "holdout = ".to_string(),
        ] {
            assert!(
                rule.source.contains(&line),
                "{name}: no `{line}`\n{}",
                rule.source
            );
        }
        // Leave-one-variant-out.
        assert_eq!(v.holdout.len(), 3, "{name}");
        for h in &v.holdout {
            assert_eq!(
                h.false_positives,
                Vec::<String>::new(),
                "{name}: {}",
                h.held_out
            );
        }
        // No string common to many programs (a user agent, VM names, API names) matches alone.
        for line in rule
            .source
            .lines()
            .filter(|l| l.trim_start().starts_with("$x"))
        {
            for common in [
                "\"Mozilla/",
                "VBoxService",
                "vmtoolsd",
                "CheckRemoteDebuggerPresent",
            ] {
                assert!(
                    !line.contains(common),
                    "{name}: `{common}` matches alone: {line}"
                );
            }
        }
        sources.push((name, rule.source.clone()));
        let (detected, tried) = v.holdout_score();
        summary.push(format!("{name} {detected}/{tried}"));
        if detected == tried {
            generalising.push(name);
        }
    }
    eprintln!("held-out detection: {}", summary.join(", "));
    // Made with `--family` and only the benign set, as the README does: still no family rule
    // matches a sample of another family.
    let text: String = sources.iter().map(|(_, s)| format!("{s}\n")).collect();
    let compiled = validate::compile(&text).expect("the family rules compile together");
    let mut cross = Vec::new();
    for sample in files_under(&root().join("corpus/malicious")) {
        let own = sample
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let data = std::fs::read(&sample).expect("sample");
        let mut scanner = yara_x::Scanner::new(&compiled);
        let results = scanner.scan(&data).expect("scan");
        for r in results.matching_rules() {
            if !r
                .identifier()
                .to_ascii_lowercase()
                .contains(&format!("_{own}_"))
            {
                cross.push(format!("{} matches {}", r.identifier(), sample.display()));
            }
        }
    }
    assert_eq!(cross, Vec::<String>::new(), "cross-family matches");
    // Measured: all 9 (27 of 27 variants); the issue asks for 6 of 7, one family of slack.
    assert!(
        generalising.len() >= 8,
        "families whose every held-out variant is detected: {generalising:?} ({summary:?})"
    );
}

/// A benign file holding every string of the unvalidated rule: validation must keep the
/// rule from matching it while every training sample still matches.
#[test]
fn strings_planted_in_a_benign_file_do_not_make_it_match() {
    let samples = family("magpie");
    let index = goodware::default_index().expect("shipped index");
    let plain = rules::generate(&samples, Some(&index), &options("magpie"));
    let rule = &plain.rules[0];
    let strings: Vec<String> = rule
        .view
        .strings
        .iter()
        .map(|s| s.literal.clone())
        .collect();
    assert!(strings.len() >= 3, "{}", rule.source);
    // The literals are quoted YARA strings; these corpus strings need no unescaping but `\\`.
    let mut planted = Vec::new();
    for lit in &strings {
        let text = lit.trim_matches('"').replace("\\\\", "\\");
        planted.extend_from_slice(b" ");
        planted.extend_from_slice(text.as_bytes());
        planted.extend_from_slice(b" ");
        for unit in text.encode_utf16() {
            planted.extend_from_slice(&unit.to_le_bytes());
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let bait = dir.path().join("bait.bin");
    // An MZ/PE-looking file so that the template's magic check holds.
    let mut file = vec![0u8; 0x80];
    file[0] = b'M';
    file[1] = b'Z';
    file[0x3c] = 0x40;
    file[0x40..0x44].copy_from_slice(b"PE\0\0");
    file.extend_from_slice(&planted);
    std::fs::write(&bait, &file).expect("write bait");
    // The unvalidated rule does match the bait, so the check below can fail.
    let compiled = validate::compile(&rule.source).expect("compiles");
    let mut scanner = yara_x::Scanner::new(&compiled);
    assert_eq!(
        scanner.scan(&file).expect("scan").matching_rules().count(),
        1,
        "the bait holds the unvalidated rule's strings"
    );

    let v = generate_validated(
        &samples,
        Some(&index),
        &options("magpie"),
        &[dir.path().to_path_buf()],
        &ScanConfig::default(),
        false,
    )
    .expect("validation runs");
    assert!(
        v.strings_probed.1 >= strings.len(),
        "{:?}",
        v.strings_probed
    );
    match v.generation.rules.first() {
        Some(r) => {
            let m = &v.measured[0];
            assert_eq!(m.false_positives, Vec::<String>::new());
            assert_eq!(m.true_positives, 3);
            assert!(r.source.contains("false_positives = 0"), "{}", r.source);
            // Strings found in the bait never match alone.
            for s in r.view.strings.iter().filter(|s| s.id.starts_with("$x")) {
                assert!(!strings.contains(&s.literal), "{} kept strong", s.literal);
            }
        }
        None => {
            // Acceptable only when said so: no string set avoids the bait.
            assert!(
                v.generation
                    .warnings
                    .iter()
                    .any(|w| w.message.contains("benign")),
                "{:?}",
                v.generation.warnings
            );
        }
    }
}

#[test]
fn an_empty_validation_set_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let index = goodware::default_index().expect("shipped index");
    let err = generate_validated(
        &family("magpie"),
        Some(&index),
        &options("magpie"),
        &[dir.path().to_path_buf()],
        &ScanConfig::default(),
        false,
    )
    .expect_err("no benign file");
    assert_eq!(err.code(), "input");
    assert!(err.to_string().contains("no readable file"), "{err}");
}
