//! `spoor test` measured on the corpus: hand-written family rules, a deliberately generic
//! rule, a rule built from the wrong family's string, a rule that does not compile, files
//! that cannot be scanned, and (when it has been built) the extended benign set.
//!
//! Expected values are computed here from the files themselves (which files hold the rule's
//! string), not copied from a run.

use spoor::evaluate::{self, report::SetKind, Labels, Report, RuleSet, ScanConfig, TestSets};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rules(names: &[&str]) -> RuleSet {
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|n| root().join("tests/data/rules").join(n))
        .collect();
    RuleSet::compile_paths(&paths).expect("test rules compile")
}

fn labels() -> Labels {
    Labels::load(&root().join("corpus/expected/labels.json")).expect("corpus labels")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}

/// Files under `dir` that start with MZ and contain `needle`, as the rules' conditions ask.
fn pe_files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    files_under(dir)
        .into_iter()
        .filter(|p| {
            let data = std::fs::read(p).unwrap_or_default();
            data.starts_with(b"MZ") && memchr::memmem::find(&data, needle).is_some()
        })
        .map(|p| p.to_string_lossy().into_owned())
        .collect()
}

fn run(
    set: &RuleSet,
    malicious: &[PathBuf],
    benign: &[PathBuf],
    labels: Option<&Labels>,
) -> Report {
    let sets = TestSets::collect(malicious, benign);
    evaluate::evaluate(set, &sets, labels, &ScanConfig::default(), &|_| {})
}

#[test]
fn family_rules_detect_every_corpus_sample_without_false_positives() {
    let set = rules(&["families.yar"]);
    let report = run(
        &set,
        &[root().join("corpus/malicious")],
        &[root().join("corpus/benign")],
        Some(&labels()),
    );
    let malicious = files_under(&root().join("corpus/malicious")).len();
    let benign = files_under(&root().join("corpus/benign")).len();
    assert_eq!(report.sets.malicious.files, malicious);
    assert_eq!(report.sets.benign.files, benign);
    assert_eq!(report.rules.len(), 9);
    for r in &report.rules {
        let family = r.family.as_deref().expect("every family rule has a family");
        let samples = files_under(&root().join("corpus/malicious").join(family)).len();
        assert!(samples >= 3, "{family}");
        assert_eq!(r.true_positives, samples, "{}", r.name);
        assert_eq!(r.misses, 0, "{}: {:?}", r.name, r.missed);
        assert_eq!(r.false_positives, 0, "{}", r.name);
        assert_eq!(r.detection_rate, Some(1.0));
    }
    let needle = report
        .rules
        .iter()
        .find(|r| r.name == "Needle_Privileges")
        .unwrap();
    assert_eq!(needle.family.as_deref(), Some("needlepoint"));
    assert_eq!(report.false_positives, 0);
    assert_eq!(report.confusion.true_positives, malicious);
    assert_eq!(report.confusion.true_negatives, benign);
    assert!(report.unreadable.is_empty());
    // the family matrix is diagonal
    for row in &report.families.rows {
        for (col, n) in report.families.columns.iter().zip(&row.counts) {
            let want = if *col == row.label
                || (row.label == "benign" && col == evaluate::report::NO_MATCH_COLUMN)
            {
                row.files
            } else {
                0
            };
            assert_eq!(*n, want, "{} x {col}", row.label);
        }
    }
}

#[test]
fn a_generic_rule_is_caught_with_the_offending_benign_files_named() {
    let set = rules(&["generic-mingw.yar"]);
    let benign_dir = root().join("corpus/benign");
    let report = run(
        &set,
        &[root().join("corpus/malicious")],
        std::slice::from_ref(&benign_dir),
        None,
    );
    let expected = pe_files_containing(&benign_dir, b"Mingw-w64 runtime failure:");
    assert!(expected.len() >= 10, "the corpus has mingw-built goodware");
    let rule = &report.rules[0];
    assert_eq!(rule.family, None);
    assert_eq!(rule.benign_hits, expected);
    assert_eq!(report.false_positives, expected.len());
    assert_eq!(report.confusion.false_positives, expected.len());
    // generic: every malicious file is a target; the ELF and Mach-O ones are missed
    let pe_samples = pe_files_containing(&root().join("corpus/malicious"), b"Mingw-w64");
    assert_eq!(rule.true_positives, pe_samples.len());
    assert_eq!(
        rule.true_positives + rule.misses,
        files_under(&root().join("corpus/malicious")).len()
    );
    let text = evaluate::text::render(&report, 0);
    assert!(text.contains("FAIL"), "{text}");
    for f in &expected {
        assert!(text.contains(f.as_str()), "{f} named in the text report");
    }
}

#[test]
fn hits_on_another_familys_samples_are_cross_family_false_positives() {
    let set = rules(&["cross-family.yar"]);
    let malicious_dir = root().join("corpus/malicious");
    let labels = labels();
    let report = run(
        &set,
        std::slice::from_ref(&malicious_dir),
        &[],
        Some(&labels),
    );
    let ua = b"Mozilla/5.0 (Windows NT 10.0; Win64; x64)";
    let with_ua = pe_files_containing(&malicious_dir, ua);
    let expected_cross: Vec<(String, String)> = with_ua
        .iter()
        .filter_map(|f| {
            let label = labels.label_of(f)?;
            (label != "magpie").then(|| (f.clone(), label.to_string()))
        })
        .collect();
    assert!(!expected_cross.is_empty());
    let rule = &report.rules[0];
    assert_eq!(rule.family.as_deref(), Some("magpie"));
    let got: Vec<(String, String)> = rule
        .cross_family_hits
        .iter()
        .map(|c| (c.file.clone(), c.family.clone()))
        .collect();
    assert_eq!(got, expected_cross);
    let magpie = files_under(&malicious_dir.join("magpie"));
    let magpie_hits = magpie
        .iter()
        .filter(|f| with_ua.contains(&f.to_string_lossy().into_owned()))
        .count();
    assert_eq!(rule.true_positives, magpie_hits);
    assert_eq!(rule.misses, magpie.len() - magpie_hits);
    assert_eq!(report.false_positives, expected_cross.len());
    assert_eq!(
        report.confusion.wrong_family_only,
        expected_cross.len(),
        "those files are matched by no rule of their own family"
    );
}

#[test]
fn a_rule_file_that_does_not_compile_is_a_clear_error() {
    let paths = [
        root().join("tests/data/rules/families.yar"),
        root().join("tests/data/rules/broken.yar"),
    ];
    let err = RuleSet::compile_paths(&paths).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, evaluate::RulesError::Compile(_)), "{text}");
    assert!(text.contains("broken.yar:7"), "{text}");
    assert!(text.contains("$missing"), "{text}");

    let missing = RuleSet::compile_paths(&[root().join("tests/data/rules/nope.yar")]).unwrap_err();
    assert!(matches!(missing, evaluate::RulesError::Read { .. }));
    let empty = RuleSet::compile_paths(&[root().join("corpus/logs")]).unwrap_err();
    assert!(matches!(empty, evaluate::RulesError::Empty(_)), "{empty}");
}

#[test]
fn unreadable_vanished_and_oversized_files_are_reported_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let sample = std::fs::read(root().join("corpus/malicious/burrow/burrow_v1_x86_64")).unwrap();
    std::fs::write(dir.path().join("a_good"), &sample).unwrap();
    std::fs::write(dir.path().join("b_vanishes"), &sample).unwrap();
    let mut big = sample.clone();
    big.extend(std::iter::repeat_n(0u8, 4096));
    std::fs::write(dir.path().join("c_too_big"), &big).unwrap();
    let fifo = dir.path().join("d_fifo");
    let c_path = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file system entry.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);

    let paths = vec![
        dir.path().join("a_good"),
        dir.path().join("b_vanishes"),
        dir.path().join("c_too_big"),
        fifo,
        dir.path().join("e_never_existed"),
    ];
    let sets = TestSets::collect(&paths, &[]);
    assert_eq!(
        sets.unreadable.len(),
        1,
        "the missing path is known at once"
    );
    std::fs::remove_file(dir.path().join("b_vanishes")).unwrap();
    let config = ScanConfig {
        max_file_size: sample.len() as u64,
        ..ScanConfig::default()
    };
    let set = rules(&["families.yar"]);
    let report = evaluate::evaluate(&set, &sets, None, &config, &|_| {});
    assert_eq!(report.sets.malicious.files, 1);
    assert_eq!(report.sets.malicious.unreadable, 4);
    let reasons: Vec<(String, String)> = report
        .unreadable
        .iter()
        .map(|u| {
            let name = Path::new(&u.file).file_name().unwrap();
            (name.to_string_lossy().into_owned(), u.reason.clone())
        })
        .collect();
    assert_eq!(reasons[0].0, "b_vanishes");
    assert_eq!(reasons[0].1, "no such file or directory");
    assert_eq!(reasons[1].0, "c_too_big");
    assert!(
        reasons[1].1.contains("larger than the size limit"),
        "{reasons:?}"
    );
    assert_eq!(reasons[2].0, "d_fifo");
    assert_eq!(reasons[2].1, "not a regular file");
    assert_eq!(reasons[3].0, "e_never_existed");
    let burrow = report
        .rules
        .iter()
        .find(|r| r.name == "MAL_Burrow_ELF_Nov26")
        .unwrap();
    assert_eq!(burrow.true_positives, 1);
}

#[test]
fn a_scan_that_runs_too_long_times_out_and_is_reported() {
    let src = br#"
        rule slow {
            condition:
                for all i in (0..filesize - 1) : (
                    for all j in (0..filesize - 1) : (
                        for all k in (0..filesize - 1) : ( uint8(i) + uint8(j) + uint8(k) < 800 )
                    )
                )
        }
    "#;
    let set = RuleSet::compile_sources(&[("slow.yar", src)]).unwrap();
    let sets = TestSets::collect(
        &[root().join("corpus/malicious/burrow/burrow_v1_x86_64")],
        &[],
    );
    let config = ScanConfig {
        timeout: Duration::from_secs(1),
        ..ScanConfig::default()
    };
    let report = evaluate::evaluate(&set, &sets, None, &config, &|_| {});
    assert_eq!(report.unreadable.len(), 1);
    assert!(
        report.unreadable[0].reason.contains("timed out"),
        "{:?}",
        report.unreadable
    );
    // the reason comes with its code, in rules-test.json too
    assert_eq!(report.unreadable[0].code, spoor::WarningCode::TimeLimit);
    let json = serde_json::to_value(&report).expect("report serialises");
    assert_eq!(json["unreadable"][0]["code"], "time-limit", "{json}");
    assert_eq!(report.sets.malicious.files, 0);
}

#[test]
fn one_thread_and_two_threads_give_the_same_report() {
    let set = rules(&["families.yar", "generic-mingw.yar", "cross-family.yar"]);
    let sets = TestSets::collect(
        &[root().join("corpus/malicious")],
        &[root().join("corpus/benign")],
    );
    let labels = labels();
    let json = |threads| {
        let config = ScanConfig {
            threads,
            ..ScanConfig::default()
        };
        let mut report = evaluate::evaluate(&set, &sets, Some(&labels), &config, &|_| {});
        report.throughput = None;
        serde_json::to_string(&report).unwrap()
    };
    assert_eq!(json(1), json(2));
}

/// Where the extended benign set is: `SPOOR_EXTENDED_BENIGN`, or `target/extended-benign`
/// as `.ci/run` builds it with `corpus/extended-benign.sh`.
fn extended_benign() -> Option<PathBuf> {
    let dir = std::env::var_os("SPOOR_EXTENDED_BENIGN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/extended-benign"));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

#[test]
fn extended_benign_set_gives_no_false_positive_for_the_family_rules() {
    let Some(dir) = extended_benign() else {
        eprintln!(
            "note: no extended benign set (build it with corpus/extended-benign.sh \
             target/extended-benign, or set SPOOR_EXTENDED_BENIGN); skipped"
        );
        return;
    };
    let set = rules(&["families.yar", "generic-mingw.yar"]);
    let report = run(&set, &[], std::slice::from_ref(&dir), None);
    let listed = std::fs::read_to_string(dir.join("MANIFEST.tsv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert!(
        report.sets.benign.files >= listed,
        "every gathered file is scanned"
    );
    assert!(report.unreadable.is_empty(), "{:?}", report.unreadable);
    for r in report.rules.iter().filter(|r| r.family.is_some()) {
        assert_eq!(r.benign_hits, Vec::<String>::new(), "{}", r.name);
    }
    let generic = report
        .rules
        .iter()
        .find(|r| r.name == "SUSP_Mingw_Runtime_Message")
        .unwrap();
    let expected = pe_files_containing(&dir, b"Mingw-w64 runtime failure:");
    assert_eq!(generic.benign_hits, expected);
    assert_eq!(report.false_positives, expected.len());
    assert!(report.unreadable.iter().all(|u| u.set == SetKind::Benign));
}
