//! The corpus rules against real goodware: every rule spoor writes for the corpus (one per
//! sample, one per family) is scanned over a fixed slice of the real goodware set
//! (`corpus/real-goodware.sh --ci`, the rows marked `ci` in `corpus/real-goodware.tsv`: a
//! few hundred MSVC, Rust, Go, mingw, .NET, ELF files of the test split) and must match none
//! of it. Where the slice is: `SPOOR_REAL_GOODWARE`, or `target/real-goodware-ci` as
//! `.ci/run` fetches it. Without it the test is skipped with a note, unless
//! `SPOOR_REQUIRE_REAL_GOODWARE` is set (CI), where it fails.

use spoor::goodware;
use spoor::rules::{self, validate, RuleOptions};
use spoor::sample::{triage, Triage};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// The rules of the corpus: one per sample, and one per family (as `spoor rules` and
/// `spoor rules --family` write them with the shipped goodware index).
fn corpus_rules() -> String {
    let index = goodware::default_index().expect("shipped index");
    let dir = root().join("corpus/malicious");
    let mut families: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus/malicious")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    families.sort();
    let mut text = String::new();
    let mut all: Vec<Triage> = Vec::new();
    for fam in &families {
        let name = fam
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let samples: Vec<Triage> = files_under(fam)
            .iter()
            .map(|p| {
                let rel = p.strip_prefix(root()).unwrap_or(p);
                triage(&rel.to_string_lossy(), &std::fs::read(p).expect("sample"))
            })
            .collect();
        let options = RuleOptions {
            family: Some(name),
            date: "2026-11-25".into(),
            ..RuleOptions::default()
        };
        text.push_str(&rules::generate(&samples, Some(&index), &options).text("test"));
        all.extend(samples);
    }
    let options = RuleOptions {
        date: "2026-11-25".into(),
        ..RuleOptions::default()
    };
    text.push_str(&rules::generate(&all, Some(&index), &options).text("test"));
    text
}

/// The manifest's file paths of the slice.
fn slice_paths(dir: &Path) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("manifest");
    manifest
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').nth(7))
        .map(|p| dir.join(p))
        .collect()
}

fn slice() -> Option<PathBuf> {
    let dir = std::env::var_os("SPOOR_REAL_GOODWARE")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/real-goodware-ci"));
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

/// The slice, or a note that the test is skipped (a failure when
/// `SPOOR_REQUIRE_REAL_GOODWARE` is set).
fn slice_or_skip() -> Option<PathBuf> {
    let dir = slice();
    if dir.is_none() {
        assert!(
            std::env::var_os("SPOOR_REQUIRE_REAL_GOODWARE").is_none(),
            "SPOOR_REQUIRE_REAL_GOODWARE is set but there is no real goodware slice \
             (sh corpus/real-goodware.sh --ci target/real-goodware-ci)"
        );
        eprintln!(
            "note: no real goodware slice (fetch it with sh corpus/real-goodware.sh --ci \
             target/real-goodware-ci, or set SPOOR_REAL_GOODWARE); skipped"
        );
    }
    dir
}

#[test]
fn no_corpus_rule_matches_the_real_goodware_slice() {
    let Some(dir) = slice_or_skip() else {
        return;
    };
    let paths = slice_paths(&dir);
    assert!(paths.len() >= 100, "a slice of {} files", paths.len());
    let src = corpus_rules();
    let compiled = validate::compile(&src).expect("the corpus rules compile");
    assert!(
        compiled.iter().count() >= 27,
        "a rule per sample and family"
    );
    let mut scanner = yara_x::Scanner::new(&compiled);
    let mut hits = Vec::new();
    let mut scanned = 0;
    for p in &paths {
        let data = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let results = scanner.scan(&data).expect("scan");
        for r in results.matching_rules() {
            hits.push(format!("{} on {}", r.identifier(), p.display()));
        }
        scanned += 1;
    }
    assert_eq!(scanned, paths.len());
    assert!(hits.is_empty(), "false positives: {hits:#?}");
}

/// Real goodware creates no mutex of its own that an analyst should hunt for: no string of a
/// slice file is reported as a mutex name. Before the word rule was limited to the program's
/// own data, mingw's runtime DLLs gave `__imp_CreateMutexA`, export names (`objc_mutex_lock`)
/// and debug-information symbols (`X86_TUNE_SINGLE_PUSH`), and a Rust extension gave
/// instruction bytes (`single_wH3`), a serde field name (`single_word`) and Rust's own
/// `Local\RustBacktraceMutex00000000`.
#[test]
fn real_goodware_gets_no_mutex_names() {
    let Some(dir) = slice_or_skip() else {
        return;
    };
    let mut found = Vec::new();
    let mut triaged = 0;
    for p in slice_paths(&dir) {
        let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let t = triage(&p.display().to_string(), &data);
        triaged += 1;
        for m in &t.mutexes {
            found.push(format!("{} in {}", m.value, p.display()));
        }
    }
    assert!(triaged >= 100, "{triaged} files triaged");
    assert!(found.is_empty(), "mutex names in real goodware: {found:#?}");
}

/// spoor's ssdeep and TLSH equal the reference tools' on every file of the slice: the
/// `ssdeep` program and py-tlsh (the TLSH authors' C++ library), through
/// `tests/fuzzy_hashes.py` with `SPOOR_PEFILE_PYTHON`'s interpreter. Skipped with a note when
/// either tool is missing, unless `SPOOR_REQUIRE_FUZZY_REFERENCE` is set (CI). With
/// `--nocapture` it prints the agreement; `SPOOR_REAL_GOODWARE=target/real-goodware` measures
/// it on the whole set.
#[test]
fn fuzzy_hashes_equal_ssdeep_and_tlsh() {
    let required = std::env::var_os("SPOOR_REQUIRE_FUZZY_REFERENCE").is_some();
    let Some(dir) = slice_or_skip() else {
        return;
    };
    let paths = slice_paths(&dir);
    let python = crate::imphash::python();
    let list: String = paths.iter().map(|p| format!("{}\n", p.display())).collect();
    let mut child = std::process::Command::new(&python)
        .arg(root().join("tests/fuzzy_hashes.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(list.as_bytes()).expect("file list written");
    }
    let out = child.wait_with_output().expect("reference tools run");
    if out.status.code() == Some(3) {
        let why = String::from_utf8_lossy(&out.stderr);
        assert!(!required, "SPOOR_REQUIRE_FUZZY_REFERENCE is set: {why}");
        eprintln!("note: {}; skipped", why.trim());
        return;
    }
    assert!(
        out.status.success(),
        "tests/fuzzy_hashes.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference = String::from_utf8_lossy(&out.stdout);
    let (mut ssdeep_equal, mut tlsh_equal, mut tlsh_files) = (0, 0, 0);
    let mut differ = Vec::new();
    let mut compared = 0;
    for line in reference.lines() {
        let mut cols = line.split('\t');
        let (Some(path), Some(want_ssdeep), Some(want_tlsh)) =
            (cols.next(), cols.next(), cols.next())
        else {
            panic!("reference line without three columns: {line}");
        };
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        compared += 1;
        let ssdeep = spoor::sample::fuzzy::ssdeep(&data);
        if ssdeep == want_ssdeep {
            ssdeep_equal += 1;
        } else {
            differ.push(format!(
                "ssdeep {path}: spoor {ssdeep}, ssdeep {want_ssdeep}"
            ));
        }
        let tlsh = spoor::sample::fuzzy::tlsh(&data).unwrap_or_else(|| "-".into());
        tlsh_files += usize::from(want_tlsh != "-");
        if tlsh == want_tlsh {
            tlsh_equal += usize::from(want_tlsh != "-");
        } else {
            differ.push(format!("TLSH {path}: spoor {tlsh}, py-tlsh {want_tlsh}"));
        }
    }
    eprintln!(
        "ssdeep equal on {ssdeep_equal} of {compared} files, TLSH on {tlsh_equal} of \
         {tlsh_files} (the others have no TLSH in either), in {}",
        dir.display()
    );
    assert_eq!(compared, paths.len(), "a reference line per file");
    assert!(compared >= 100, "{compared} files compared");
    assert!(
        differ.is_empty(),
        "{} differences: {differ:#?}",
        differ.len()
    );
}
