//! Rule generation on the corpus: every rule compiles in yara-x with no warning (and in
//! libyara 4.x when `yara`/`yarac` is on PATH), matches what it was built from, family rules
//! built from two variants catch the third, no rule matches the benign set, and the output
//! is byte-identical on rerun.

use spoor::goodware;
use spoor::rules::{self, validate, Generation, RuleOptions};
use spoor::sample::{triage, Triage};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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

/// Families of the corpus: name → triaged variants, in file order.
fn families() -> &'static Vec<(String, Vec<Triage>)> {
    static F: OnceLock<Vec<(String, Vec<Triage>)>> = OnceLock::new();
    F.get_or_init(|| {
        let dir = root().join("corpus/malicious");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("corpus/malicious")
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|n| {
                let samples = files_under(&dir.join(&n))
                    .iter()
                    .map(|p| {
                        let rel = p.strip_prefix(root()).unwrap_or(p);
                        triage(&rel.to_string_lossy(), &std::fs::read(p).expect("sample"))
                    })
                    .collect();
                (n, samples)
            })
            .collect()
    })
}

fn benign() -> &'static Vec<(String, Vec<u8>)> {
    static B: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    B.get_or_init(|| {
        files_under(&root().join("corpus/benign"))
            .into_iter()
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read(&p).expect("benign file"),
                )
            })
            .collect()
    })
}

fn options(family: Option<&str>) -> RuleOptions {
    RuleOptions {
        family: family.map(str::to_string),
        date: "2026-11-25".into(),
        ..RuleOptions::default()
    }
}

fn generate(samples: &[Triage], family: Option<&str>) -> Generation {
    let index = goodware::default_index().expect("shipped index");
    rules::generate(samples, Some(&index), &options(family))
}

fn text(g: &Generation) -> String {
    g.text("test")
}

/// Names of the rules in `source` that match `data`.
fn matches(rules: &yara_x::Rules, data: &[u8]) -> Vec<String> {
    let mut scanner = yara_x::Scanner::new(rules);
    let results = scanner.scan(data).expect("scan");
    results
        .matching_rules()
        .map(|r| r.identifier().to_string())
        .collect()
}

fn all_rules_text() -> &'static String {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        let mut out = String::new();
        let all: Vec<Triage> = families()
            .iter()
            .flat_map(|(_, s)| s.iter().cloned())
            .collect();
        out.push_str(&text(&generate(&all, None)));
        for (name, samples) in families() {
            out.push_str(&text(&generate(samples, Some(name))));
        }
        out
    })
}

#[test]
fn every_sample_gets_a_clean_rule_that_matches_it() {
    let mut n = 0;
    for (_, samples) in families() {
        let g = generate(samples, None);
        assert!(g.warnings.is_empty(), "{:?}", g.warnings);
        assert_eq!(g.rules.len(), samples.len());
        let src = text(&g);
        let problems = validate::check(&src);
        assert!(problems.is_clean(), "{problems:?}\n{src}");
        let compiled = validate::compile(&src).expect("compile");
        for (rule, t) in g.rules.iter().zip(samples) {
            let data = std::fs::read(root().join(&t.name)).expect("sample");
            let hit = matches(&compiled, &data);
            assert!(
                hit.contains(&rule.name),
                "{} misses its own sample {}",
                rule.name,
                t.name
            );
            assert!(
                rule.strings >= 3,
                "{}: only {} strings",
                rule.name,
                rule.strings
            );
            n += 1;
        }
    }
    assert!(n >= 27, "{n} sample rules");
}

#[test]
fn every_family_rule_is_clean_and_matches_every_variant() {
    for (name, samples) in families() {
        let g = generate(samples, Some(name));
        assert!(g.warnings.is_empty(), "{name}: {:?}", g.warnings);
        assert_eq!(g.rules.len(), 1);
        let src = text(&g);
        let problems = validate::check(&src);
        assert!(problems.is_clean(), "{name}: {problems:?}\n{src}");
        let compiled = validate::compile(&src).expect("compile");
        for t in samples {
            let data = std::fs::read(root().join(&t.name)).expect("sample");
            assert_eq!(
                matches(&compiled, &data).len(),
                1,
                "{name} misses {}",
                t.name
            );
        }
    }
}

#[test]
fn family_rules_from_two_variants_catch_the_third() {
    let mut caught = Vec::new();
    let mut missed = Vec::new();
    for (name, samples) in families() {
        for held_out in 0..samples.len() {
            let train: Vec<Triage> = samples
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != held_out)
                .map(|(_, t)| t.clone())
                .collect();
            let g = generate(&train, Some(name));
            assert_eq!(g.rules.len(), 1, "{name}: {:?}", g.warnings);
            let compiled = validate::compile(&text(&g)).expect("compile");
            let t = &samples[held_out];
            let data = std::fs::read(root().join(&t.name)).expect("sample");
            if matches(&compiled, &data).is_empty() {
                missed.push(t.name.clone());
            } else {
                caught.push(t.name.clone());
            }
        }
    }
    eprintln!(
        "held-out variants caught: {} of {}; missed: {missed:?}",
        caught.len(),
        caught.len() + missed.len()
    );
    // Measured 27 of 27 (fetchbird's variants share only `fb_session=%08lX`, which one holds
    // inside `Cookie: fb_session=%08lX`); one miss is allowed, no family may miss two.
    let weak: Vec<&String> = families()
        .iter()
        .map(|(name, _)| name)
        .filter(|name| {
            missed
                .iter()
                .filter(|p| p.contains(&format!("/{name}/")))
                .count()
                > 1
        })
        .collect();
    assert!(weak.is_empty(), "families that do not generalise: {weak:?}");
    assert!(missed.len() <= 1, "{missed:?}");
}

#[test]
fn no_rule_matches_the_benign_set() {
    let compiled = validate::compile(all_rules_text()).expect("compile all");
    let mut hits = Vec::new();
    for (path, data) in benign() {
        for r in matches(&compiled, data) {
            hits.push(format!("{r} on {path}"));
        }
    }
    assert!(benign().len() >= 80);
    assert!(hits.is_empty(), "false positives: {hits:#?}");
}

#[test]
fn output_is_byte_identical_on_rerun() {
    let (name, samples) = &families()[0];
    let a = text(&generate(samples, Some(name)));
    let b = text(&generate(samples, Some(name)));
    assert_eq!(a, b);
    // And through the command line, twice.
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_spoor"))
            .args(["rules", "corpus/malicious/magpie", "--family", "magpie"])
            .args(["--date", "2026-11-25"])
            .current_dir(root())
            .output()
            .expect("spoor rules");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let first = run();
    assert!(first.starts_with(b"// YARA rules generated by spoor"));
    assert_eq!(first, run());
}

#[test]
fn network_template_keeps_only_network_indicators() {
    let (_, samples) = families()
        .iter()
        .find(|(n, _)| n == "fetchbird")
        .expect("fetchbird");
    let index = goodware::default_index().expect("index");
    let mut o = options(Some("fetchbird"));
    o.template = rules::render::Template::builtin("network");
    let g = rules::generate(samples, Some(&index), &o);
    assert_eq!(g.rules.len(), 1, "{:?}", g.warnings);
    let src = &g.rules[0].source;
    assert!(validate::check(src).is_clean());
    assert!(src.contains("$n1 = \"") && src.contains("http://"), "{src}");
    assert!(!src.contains("$s1"), "{src}");
}

#[test]
fn libyara_compiles_every_corpus_rule_without_warnings() {
    let Some(tool) = ["yarac", "yara"].into_iter().find(|t| {
        Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        // `.ci/run` installs Debian's `yara` and sets this, so CI cannot skip the check.
        assert!(
            std::env::var_os("SPOOR_REQUIRE_LIBYARA").is_none(),
            "SPOOR_REQUIRE_LIBYARA is set but neither yarac nor yara is on PATH"
        );
        eprintln!("note: neither yarac nor yara is on PATH; libyara check skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let rules_path = dir.path().join("corpus.yar");
    std::fs::write(&rules_path, all_rules_text()).expect("write rules");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").expect("write empty file");
    let out = if tool == "yarac" {
        Command::new(tool)
            .arg(&rules_path)
            .arg(dir.path().join("corpus.yarc"))
            .output()
    } else {
        Command::new(tool).arg(&rules_path).arg(&empty).output()
    }
    .expect("run libyara");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} failed: {stderr}");
    assert!(stderr.trim().is_empty(), "{tool} warned: {stderr}");
}

/// The fuzz target `rule_render` as a deterministic property test: random candidate
/// strings (quotes, backslashes, control and high bytes, odd section names) through every
/// built-in template always give a rule that compiles with no warning, or a clean refusal.
#[test]
fn random_candidates_always_render_to_clean_rules() {
    use rules::candidates::Candidate;
    use rules::render::{Template, TEMPLATES};
    use rules::{rule_from_candidates, SampleInfo};
    use spoor::sample::SampleFormat;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet: Vec<char> = "ab\"\\ \t%s{}$/:.-_\u{1}\u{7f}\u{ff}XYZ0123456789"
        .chars()
        .collect();
    let tags = [
        "ioc:url", "pdb", "api", "format", "registry", "export", "dll", "path",
    ];
    let (mut rendered, mut refused) = (0, 0);
    for round in 0..120 {
        let samples = (next() % 3 + 1) as usize;
        let found: Vec<Vec<Candidate>> = (0..samples)
            .map(|_| {
                (0..next() % 12)
                    .map(|_| {
                        let len = (next() % 40) as usize;
                        let text: String = (0..len)
                            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                            .collect();
                        let bits = next();
                        Candidate {
                            section: Some(text.chars().rev().collect()),
                            text,
                            ascii: bits & 1 == 0,
                            wide: bits & 2 != 0,
                            offset: bits >> 40,
                            in_code: bits & 4 != 0,
                            tags: vec![tags[(bits >> 8) as usize % tags.len()].to_string()],
                        }
                    })
                    .collect()
            })
            .collect();
        let group: Vec<SampleInfo> = (0..samples)
            .map(|i| SampleInfo {
                name: format!("s\"\\{i}\u{1}"),
                sha256: "0".repeat(64),
                size: next() % 5_000_000,
                format: [SampleFormat::Pe, SampleFormat::Elf, SampleFormat::MachoFat][i % 3],
                imphash: None,
                dotnet: None,
            })
            .collect();
        let (name, _) = TEMPLATES[round % TEMPLATES.len()];
        let o = RuleOptions {
            family: Some("fuzz \"family\"".into()),
            template: Template::builtin(name),
            ..options(None)
        };
        match rule_from_candidates("f\"z", &group, found, None, &o, &[]) {
            Ok(rule) => {
                let p = validate::check(&rule.source);
                assert!(p.is_clean(), "{p:?}\n{}", rule.source);
                rendered += 1;
            }
            Err(e) => {
                assert_eq!(e.code(), "rule", "{e}");
                let e = e.to_string();
                assert!(
                    e.contains("no usable")
                        || e.contains("do not cover")
                        || e.contains("no string unique"),
                    "{e}"
                );
                refused += 1;
            }
        }
    }
    assert!(rendered >= 30, "{rendered} rendered, {refused} refused");
}

/// Strings are recognised by where they sit: everything inside the Authenticode certificate
/// table of a signed PE, and its headers and section table, is never rule evidence, whatever
/// the goodware index knows; the program's own strings still are.
#[test]
fn strings_of_the_signature_and_headers_are_never_evidence() {
    use rules::evidence::{classify, Evidence};
    let path = root().join("corpus/benign/built/backupd_signed_x64.exe");
    let t = triage(
        &path.to_string_lossy(),
        &std::fs::read(&path).expect("signed corpus file"),
    );
    assert!(
        t.pe.as_ref().is_some_and(|p| p.signed),
        "the file is signed"
    );
    let candidates = rules::candidates::from_triage(&t);
    let signature: Vec<_> = candidates.iter().filter(|c| c.has("signature")).collect();
    assert!(!signature.is_empty(), "no candidate inside the signature");
    let header: Vec<_> = candidates.iter().filter(|c| c.has("header")).collect();
    assert!(!header.is_empty(), "no candidate inside the headers");
    for c in signature.iter().chain(&header) {
        assert!(
            matches!(classify(c), Evidence::Borrowed(_)),
            "{:?} is {:?}",
            c.text,
            classify(c)
        );
        let scored = rules::score::score(c, Some(rules::score::GoodwareHits::default()));
        assert!(!scored.usable(), "{scored:?}");
    }
    assert!(
        candidates
            .iter()
            .any(|c| classify(c) == Evidence::Unique && !c.has("signature")),
        "the program's own strings stay evidence"
    );
}
