//! Exports: STIX patterns round-trip awkward values exactly, ids are stable, every corpus
//! sample and log exports to STIX, MISP, CSV and NDJSON with consistent content, and the
//! official validators (OASIS stix2-validator 2.1, pymisp) accept the output when they are
//! installed (`tests/validate_exports.py`; CI installs them and sets
//! `SPOOR_REQUIRE_VALIDATORS=1`, which turns a missing validator into a failure).

use serde_json::Value;
use spoor::export::findings::{ExchangeFindings, Indicator, IndicatorKind, RuleFinding};
use spoor::export::{self, misp, stix, ExchangeOptions, OutputFormat, OutputOptions, Tlp};
use spoor::extract::{ExtractOptions, Extractor};
use spoor::IocKind;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn options(created_ms: i64) -> ExchangeOptions {
    ExchangeOptions {
        created_ms,
        tlp: Tlp::Amber,
    }
}

/// 2024-03-12T10:00:00.000Z.
const DATE: i64 = 1_710_237_600_000;

/// Parses a STIX pattern made of one observation expression of `=` comparisons joined by
/// AND/OR: `[path = 'string' AND path = 123]`. String literals may only use the escapes
/// `\\` and `\'` (the patterning grammar's); anything else is an error.
fn parse_pattern(pattern: &str) -> Result<Vec<(String, String)>, String> {
    let inner = pattern
        .strip_prefix('[')
        .and_then(|p| p.strip_suffix(']'))
        .ok_or("not one bracketed observation")?;
    let mut chars = inner.chars().peekable();
    let mut out = Vec::new();
    loop {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let path: String = std::iter::from_fn(|| chars.next_if(|c| *c != ' ')).collect();
        if path.is_empty() {
            return Err("missing object path".into());
        }
        if chars.next() != Some(' ') || chars.next() != Some('=') || chars.next() != Some(' ') {
            return Err(format!("expected ' = ' after {path}"));
        }
        let value = if chars.peek() == Some(&'\'') {
            chars.next();
            let mut v = String::new();
            loop {
                match chars.next() {
                    Some('\\') => match chars.next() {
                        Some(c @ ('\\' | '\'')) => v.push(c),
                        other => return Err(format!("bad escape \\{other:?}")),
                    },
                    Some('\'') => break,
                    Some(c) => v.push(c),
                    None => return Err("unterminated string".into()),
                }
            }
            v
        } else {
            std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_digit())).collect()
        };
        out.push((path, value));
        let rest: String = chars.clone().take(5).collect();
        if rest.is_empty() {
            return Ok(out);
        }
        if let Some(r) = rest.strip_prefix(" AND ").or(rest.strip_prefix(" OR ")) {
            let skip = rest.len() - r.len();
            for _ in 0..skip {
                chars.next();
            }
        } else {
            return Err(format!("unexpected text: {rest}"));
        }
    }
}

fn indicator(kind: IndicatorKind, value: &str) -> Indicator {
    Indicator {
        sources: vec!["case.txt".into()],
        count: 1,
        ..Indicator::new(kind, value)
    }
}

fn stix_patterns(bundle: &Value) -> BTreeMap<String, String> {
    bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == "indicator" && o["pattern_type"] == "stix")
        .map(|o| {
            (
                o["name"].as_str().expect("name").to_string(),
                o["pattern"].as_str().expect("pattern").to_string(),
            )
        })
        .collect()
}

#[test]
fn registry_keys_and_paths_round_trip_through_patterns() {
    let keys = [
        r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run",
        r"HKLM\SOFTWARE\It's\a 'quoted' key",
        r#"HKLM\SOFTWARE\Vendor\"double"\trailing\"#,
        r"HKU\S-1-5-21\Software\back\\slashes",
    ];
    let paths = [
        r"C:\Users\o'brien\AppData\Roaming\upd'ate.exe",
        r#"C:\ProgramData\"quoted"\x.dll"#,
        r"\\fileserver\share\it's\payload.bin",
        r"%APPDATA%\Microsoft\svc host.exe",
        "/tmp/.x'y/run.sh",
    ];
    let mut findings = ExchangeFindings::default();
    for k in keys {
        findings
            .indicators
            .push(indicator(IndicatorKind::Ioc(IocKind::RegistryKey), k));
    }
    for p in paths {
        findings
            .indicators
            .push(indicator(IndicatorKind::Ioc(IocKind::FilePath), p));
    }
    findings
        .indicators
        .push(indicator(IndicatorKind::Mutex, r"Global\it's-a\mutex"));
    findings.normalise();
    let bundle = stix::bundle(&findings, options(DATE));
    // Through the JSON text and back, as an importer sees it.
    let text = serde_json::to_string_pretty(&bundle).expect("serialise");
    let bundle: Value = serde_json::from_str(&text).expect("parse");
    let patterns = stix_patterns(&bundle);

    for k in keys {
        let pattern = &patterns[&format!("registry_key {k}")];
        let parsed = parse_pattern(pattern).expect(pattern);
        let full = stix::full_hive(k);
        assert!(full.starts_with("HKEY_"), "{full}");
        assert_eq!(parsed, vec![("windows-registry-key:key".into(), full)]);
    }
    for p in paths {
        let pattern = &patterns[&format!("file_path {p}")];
        let parsed = parse_pattern(pattern).expect(pattern);
        let (name, dir) = match parsed.as_slice() {
            [(n, name), (d, dir)] => {
                assert_eq!(n, "file:name");
                assert_eq!(d, "file:parent_directory_ref.path");
                (name.clone(), dir.clone())
            }
            other => panic!("{pattern}: {other:?}"),
        };
        let sep = if p.starts_with('/') { "/" } else { "\\" };
        assert_eq!(format!("{dir}{sep}{name}"), p, "{pattern}");
    }
    let mutex = parse_pattern(&patterns[r"mutex Global\it's-a\mutex"]).expect("mutex");
    assert_eq!(
        mutex,
        vec![("mutex:name".into(), r"Global\it's-a\mutex".into())]
    );
    // The SCOs carry the same values as the patterns.
    let objects = bundle["objects"].as_array().expect("objects");
    let reg_keys: BTreeSet<&str> = objects
        .iter()
        .filter(|o| o["type"] == "windows-registry-key")
        .filter_map(|o| o["key"].as_str())
        .collect();
    let want: BTreeSet<String> = keys.iter().map(|k| stix::full_hive(k)).collect();
    assert_eq!(
        reg_keys,
        want.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    // The parser rejects what the grammar rejects.
    assert!(parse_pattern(r"[file:name = 'a\nb']").is_err());
    assert!(parse_pattern(r"[file:name = 'it's']").is_err());
}

#[test]
fn network_and_hash_patterns() {
    let mut findings = ExchangeFindings::default();
    for (kind, value) in [
        (IocKind::Ipv4, "198.51.100.7:8443"),
        (IocKind::Ipv4, "203.0.113.0/24"),
        (IocKind::Ipv6, "[2001:db8::5]:53"),
        (IocKind::Ipv6, "::ffff:192.0.2.77"),
        (IocKind::Domain, "c2.example.net"),
        (IocKind::Url, "http://c2.example.net/a?b='c'&d=\\e"),
        (IocKind::Email, "ops@example.org"),
        (IocKind::Sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ] {
        findings
            .indicators
            .push(indicator(IndicatorKind::Ioc(kind), value));
    }
    findings.normalise();
    let patterns = stix_patterns(&stix::bundle(&findings, options(DATE)));
    let p = |name: &str| parse_pattern(&patterns[name]).expect(name);
    assert_eq!(
        p("ipv4 198.51.100.7:8443"),
        vec![
            ("network-traffic:dst_ref.type".into(), "ipv4-addr".into()),
            (
                "network-traffic:dst_ref.value".into(),
                "198.51.100.7".into()
            ),
            ("network-traffic:dst_port".into(), "8443".into()),
        ]
    );
    assert_eq!(
        p("ipv4 203.0.113.0/24"),
        vec![("ipv4-addr:value".into(), "203.0.113.0/24".into())]
    );
    assert_eq!(p("ipv6 [2001:db8::5]:53")[1].1, "2001:db8::5");
    assert_eq!(
        p("ipv6 ::ffff:192.0.2.77"),
        vec![("ipv6-addr:value".into(), "::ffff:c000:24d".into())]
    );
    assert_eq!(
        p("url http://c2.example.net/a?b='c'&d=\\e")[0].1,
        "http://c2.example.net/a?b='c'&d=\\e"
    );
    assert_eq!(
        p("sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709")[0].0,
        "file:hashes.'SHA-1'"
    );
    assert_eq!(
        p("email ops@example.org")[0],
        ("email-addr:value".into(), "ops@example.org".into())
    );
}

/// Triage and extraction of one sample file, as the CLI does it.
fn sample_findings(path: &Path) -> (ExchangeFindings, Vec<u8>) {
    let data = std::fs::read(path).expect("read sample");
    let t = spoor::sample::triage(&path.display().to_string(), &data);
    (ExchangeFindings::from_triage(&[(&t, &data)]), data)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn ids(bundle: &Value) -> Vec<String> {
    bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn ids_are_stable_and_only_timestamps_follow_the_date() {
    let path = root().join("corpus/malicious/needlepoint/needlepoint_v1_x64.exe");
    let (findings, _) = sample_findings(&path);
    let a = serde_json::to_string(&stix::bundle(&findings, options(DATE))).expect("json");
    let b = serde_json::to_string(&stix::bundle(&findings, options(DATE))).expect("json");
    assert_eq!(a, b, "same input, same bytes");
    let later = stix::bundle(&findings, options(DATE + 86_400_000));
    let first: Value = serde_json::from_str(&a).expect("json");
    assert_eq!(ids(&first), ids(&later), "ids do not depend on the date");
    let objects = first["objects"].as_array().expect("objects");
    let indicator = objects
        .iter()
        .find(|o| o["type"] == "indicator")
        .expect("an indicator");
    assert_eq!(indicator["created"], "2024-03-12T10:00:00.000Z");
    assert_eq!(indicator["valid_from"], "2024-03-12T10:00:00.000Z");
    // The sample's file SCO has its hashes and the PE extension with section digests.
    let file = objects
        .iter()
        .find(|o| o["type"] == "file" && o["name"] == "needlepoint_v1_x64.exe")
        .expect("sample file");
    let data = std::fs::read(&path).expect("read");
    assert_eq!(file["size"], data.len() as u64);
    let ext = &file["extensions"]["windows-pebinary-ext"];
    assert_eq!(ext["pe_type"], "exe");
    assert_eq!(ext["machine_hex"], "8664");
    // Section digests are those of the raw bytes, as triage located them.
    let triage = spoor::sample::triage("x", &data);
    let text = &triage.sections[0];
    let start = text.raw_offset as usize;
    let bytes = &data[start..start + text.raw_size as usize];
    let digest = spoor::sample::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes));
    assert_eq!(ext["sections"][0]["name"], text.name.as_str());
    assert_eq!(ext["sections"][0]["hashes"]["SHA-256"], digest);
    assert_eq!(ext["number_of_sections"], triage.sections.len());
    assert!(
        ext.get("time_date_stamp").is_none(),
        "the corpus builds zero the stamp"
    );
    let malware = objects
        .iter()
        .find(|o| o["type"] == "malware")
        .expect("malware");
    assert_eq!(malware["is_family"], false);
    assert_eq!(malware["sample_refs"][0], file["id"]);
    // needlepoint injects: T1055 is there as an attack pattern the malware uses.
    let t1055 = objects
        .iter()
        .find(|o| {
            o["type"] == "attack-pattern" && o["external_references"][0]["external_id"] == "T1055"
        })
        .expect("T1055");
    assert_eq!(
        t1055["external_references"][0]["source_name"],
        "mitre-attack"
    );
    assert!(objects.iter().any(|o| o["type"] == "relationship"
        && o["relationship_type"] == "uses"
        && o["source_ref"] == malware["id"]
        && o["target_ref"] == t1055["id"]));
    // MISP: the same bytes twice, the galaxy tag, the TLP tag.
    let m1 = serde_json::to_string(&misp::event(&findings, options(DATE))).expect("json");
    let m2 = serde_json::to_string(&misp::event(&findings, options(DATE))).expect("json");
    assert_eq!(m1, m2);
    assert!(m1.contains(r#"misp-galaxy:mitre-attack-pattern=\"Process Injection - T1055\""#));
    assert!(m1.contains(r#""name":"tlp:amber""#));
}

#[test]
fn yara_rules_become_yara_indicators() {
    let path = root().join("corpus/malicious/ashdrop/ashdrop_v1_x64.exe");
    let (mut findings, _) = sample_findings(&path);
    let rule = "rule ashdrop_test { strings: $a = \"x\" condition: $a }";
    findings.rules.push(RuleFinding {
        name: "ashdrop_test".into(),
        text: rule.into(),
        samples: vec![0],
    });
    let bundle = stix::bundle(&findings, options(DATE));
    let yara = bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["pattern_type"] == "yara")
        .expect("yara indicator");
    assert_eq!(yara["pattern"], rule);
    let event = misp::event(&findings, options(DATE));
    let attrs = event["Event"]["Attribute"].as_array().expect("attributes");
    assert!(attrs
        .iter()
        .any(|a| a["type"] == "yara" && a["value"] == rule));
}

/// Checks a bundle's internal consistency: unique ids, every reference resolves.
fn check_bundle(name: &str, bundle: &Value) {
    let objects = bundle["objects"].as_array().expect("objects");
    let all: Vec<String> = ids(bundle);
    let set: BTreeSet<&String> = all.iter().collect();
    assert_eq!(set.len(), all.len(), "{name}: duplicate ids");
    for o in objects {
        let id = o["id"].as_str().expect("id");
        assert!(
            id.starts_with(&format!("{}--", o["type"].as_str().expect("type"))),
            "{name}: {id}"
        );
        let object = o.as_object().expect("object");
        for (key, value) in object {
            let refs: Vec<&str> = if key.ends_with("_ref") {
                value.as_str().into_iter().collect()
            } else if key.ends_with("_refs") {
                value
                    .as_array()
                    .expect("refs")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect()
            } else {
                Vec::new()
            };
            for r in refs {
                assert!(set.contains(&r.to_string()), "{name}: {id}.{key} → {r}");
            }
        }
    }
}

/// Every corpus sample and log, in all four formats, into `out` (STIX and MISP files there
/// are what the validators read). Returns the number of inputs.
fn export_corpus(out: &Path) -> usize {
    let mut inputs = 0;
    let samples = files_under(&root().join("corpus/malicious"));
    assert_eq!(samples.len(), 27);
    let extractor = Extractor::new(ExtractOptions {
        threads: 1,
        ..ExtractOptions::default()
    });
    let logs = files_under(&root().join("corpus/logs"));
    assert!(logs.len() >= 8, "{} logs", logs.len());
    for path in samples.iter().chain(&logs) {
        inputs += 1;
        let stem = path
            .strip_prefix(root().join("corpus"))
            .expect("under corpus")
            .display()
            .to_string()
            .replace(['/', '\\'], "_");
        let is_sample = path.starts_with(root().join("corpus/malicious"));
        let extracted = {
            let extraction = extractor.extract_paths(std::slice::from_ref(path));
            // CSV and NDJSON: one row / line per IOC, with provenance.
            let opts = OutputOptions {
                defang: false,
                exchange: options(DATE),
            };
            let mut csv = Vec::new();
            export::write(OutputFormat::Csv, &extraction, opts, &mut csv).expect("csv");
            let mut reader = csv::Reader::from_reader(csv.as_slice());
            let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
            assert_eq!(rows.len(), extraction.iocs.len(), "{stem}: csv rows");
            for (row, ioc) in rows.iter().zip(&extraction.iocs) {
                assert_eq!(row.get(1), Some(ioc.value.as_str()));
                assert_eq!(row.get(6), Some(path.display().to_string().as_str()));
            }
            let mut nd = Vec::new();
            export::write(OutputFormat::Ndjson, &extraction, opts, &mut nd).expect("ndjson");
            let lines: Vec<Value> = String::from_utf8(nd)
                .expect("utf-8")
                .lines()
                .map(|l| serde_json::from_str(l).expect("json line"))
                .collect();
            assert_eq!(lines.len(), extraction.iocs.len(), "{stem}: ndjson lines");
            for l in &lines {
                assert!(
                    l["sightings"][0]["source"].is_string(),
                    "{stem}: provenance"
                );
            }
            ExchangeFindings::from_extraction(&extraction)
        };
        let findings = if is_sample {
            // The sample through `extract` too: the IOCs of its bytes, as text.
            let bundle = stix::bundle(&extracted, options(DATE));
            check_bundle(&stem, &bundle);
            std::fs::write(
                out.join(format!("{stem}.extract.stix.json")),
                serde_json::to_vec_pretty(&bundle).expect("json"),
            )
            .expect("write");
            std::fs::write(
                out.join(format!("{stem}.extract.misp.json")),
                serde_json::to_vec_pretty(&misp::event(&extracted, options(DATE))).expect("json"),
            )
            .expect("write");
            sample_findings(path).0
        } else {
            extracted
        };
        let bundle = stix::bundle(&findings, options(DATE));
        check_bundle(&stem, &bundle);
        let event = misp::event(&findings, options(DATE));
        let attributes = event["Event"]["Attribute"].as_array().expect("attrs").len();
        let objects = event["Event"]["Object"].as_array().expect("objects").len();
        if is_sample {
            assert!(objects >= 1, "{stem}: file object");
        } else {
            let exported = findings
                .indicators
                .iter()
                .filter(|i| {
                    export::export_types()
                        .get(i.kind.as_str())
                        .is_some_and(|t| t.misp_type.is_some())
                })
                .count();
            assert_eq!(attributes, exported, "{stem}: one attribute per indicator");
        }
        std::fs::write(
            out.join(format!("{stem}.stix.json")),
            serde_json::to_vec_pretty(&bundle).expect("json"),
        )
        .expect("write");
        std::fs::write(
            out.join(format!("{stem}.misp.json")),
            serde_json::to_vec_pretty(&event).expect("json"),
        )
        .expect("write");
    }
    // The one-shot analysis over all of it: one bundle, one event.
    let analysis = spoor::analyze::analyze(
        &[root().join("corpus/malicious")],
        &[root().join("corpus/logs")],
        &spoor::analyze::AnalyzeOptions::default(),
    );
    let findings = ExchangeFindings::from_analysis(&analysis);
    assert_eq!(findings.samples.len(), 27);
    assert!(
        findings.indicators.iter().any(|i| !i.samples.is_empty()),
        "sample IOCs are linked to their samples"
    );
    assert!(findings.indicators.iter().any(|i| !i.sources.is_empty()));
    let bundle = stix::bundle(&findings, options(DATE));
    check_bundle("analysis", &bundle);
    let malware = bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == "malware")
        .count();
    assert_eq!(malware, 27);
    std::fs::write(
        out.join("analysis.stix.json"),
        serde_json::to_vec_pretty(&bundle).expect("json"),
    )
    .expect("write");
    std::fs::write(
        out.join("analysis.misp.json"),
        serde_json::to_vec_pretty(&misp::event(&findings, options(DATE))).expect("json"),
    )
    .expect("write");
    // The commands that carry YARA rules: `spoor rules` (a family rule per corpus family)
    // and `spoor analyze` (a rule per sample), both in STIX and MISP.
    let families = files_under(&root().join("corpus/expected/samples"))
        .iter()
        .filter_map(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .collect::<BTreeSet<String>>();
    for family in &families {
        for (format, ext) in [("stix", "stix.json"), ("misp", "misp.json")] {
            let target = out.join(format!("rules-{family}.{ext}"));
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_spoor"))
                .args([
                    "rules",
                    "--family",
                    family,
                    "-f",
                    format,
                    "--date",
                    "2026-11-25",
                    "-o",
                ])
                .arg(&target)
                .arg(root().join("corpus/malicious").join(family))
                .status()
                .expect("run spoor rules");
            assert!(status.success(), "spoor rules {family} -f {format}");
        }
    }
    let analysis_dir = out.join("analyze");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["analyze", "--date", "2026-11-25", "-o"])
        .arg(&analysis_dir)
        .arg(root().join("corpus/malicious"))
        .arg("--logs")
        .arg(root().join("corpus/logs"))
        .status()
        .expect("run spoor analyze");
    assert!(status.success(), "spoor analyze");
    for (from, to) in [
        ("bundle.stix.json", "analyze-cli.stix.json"),
        ("event.misp.json", "analyze-cli.misp.json"),
    ] {
        std::fs::copy(analysis_dir.join(from), out.join(to)).expect("copy");
    }
    let bundle: Value =
        serde_json::from_slice(&std::fs::read(out.join("analyze-cli.stix.json")).expect("read"))
            .expect("json");
    check_bundle("analyze-cli", &bundle);
    let yara = bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["pattern_type"] == "yara")
        .count();
    assert_eq!(yara, 27, "one YARA indicator per corpus sample");
    inputs
}

#[test]
fn every_corpus_input_exports_and_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inputs = export_corpus(dir.path());
    let python = std::env::var("SPOOR_PYTHON").unwrap_or_else(|_| "python3".into());
    let required = std::env::var_os("SPOOR_REQUIRE_VALIDATORS").is_some();
    let run = std::process::Command::new(&python)
        .arg(root().join("tests/validate_exports.py"))
        .arg(dir.path())
        .output();
    let out = match run {
        Ok(out) => out,
        Err(e) => {
            assert!(!required, "cannot run {python}: {e}");
            eprintln!("SKIPPED validator run: cannot run {python}: {e}");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        assert!(
            !required,
            "SPOOR_REQUIRE_VALIDATORS is set but the validators are missing: {stderr}"
        );
        eprintln!(
            "SKIPPED validator run ({inputs} inputs exported): {} — install with `pip install stix2-validator==3.2.0 pymisp`",
            stderr.trim()
        );
        return;
    }
    eprintln!("{stdout}{stderr}");
    assert!(
        out.status.success(),
        "validators failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("no errors"), "{stdout}");
}

#[test]
fn a_family_is_a_malware_family_with_its_samples_as_variants() {
    let dir = root().join("corpus/malicious/ashdrop");
    let files = files_under(&dir);
    let datas: Vec<Vec<u8>> = files
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    let triages: Vec<_> = files
        .iter()
        .zip(&datas)
        .map(|(p, d)| spoor::sample::triage(&p.display().to_string(), d))
        .collect();
    let pairs: Vec<_> = triages
        .iter()
        .zip(&datas)
        .map(|(t, d)| (t, d.as_slice()))
        .collect();
    let mut findings = ExchangeFindings::from_triage(&pairs);
    findings.family = Some("Ashdrop".into());
    let bundle = stix::bundle(&findings, options(DATE));
    check_bundle("family", &bundle);
    let objects = bundle["objects"].as_array().expect("objects");
    let malware: Vec<&Value> = objects.iter().filter(|o| o["type"] == "malware").collect();
    assert_eq!(malware.len(), 4, "the family and three samples");
    let family = malware
        .iter()
        .find(|m| m["is_family"] == true)
        .expect("family");
    assert_eq!(family["name"], "Ashdrop");
    let variants = objects
        .iter()
        .filter(|o| o["relationship_type"] == "variant-of" && o["target_ref"] == family["id"])
        .count();
    assert_eq!(variants, 3);
    let event = misp::event(&findings, options(DATE));
    assert!(event["Event"]["info"]
        .as_str()
        .expect("info")
        .ends_with("(Ashdrop)"));
    // Three file objects, each with its pe object.
    let names: Vec<&str> = event["Event"]["Object"]
        .as_array()
        .expect("objects")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(names.iter().filter(|n| **n == "file").count(), 3);
    assert_eq!(names.iter().filter(|n| **n == "pe").count(), 3);
}

/// Every UUID in a MISP event (event, attributes, objects, references), but not the
/// organisation's, which is spoor's in every event.
fn misp_uuids(event: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "Orgc" {
                        continue;
                    }
                    if k == "uuid" {
                        if let Some(s) = x.as_str() {
                            out.insert(s.to_string());
                        }
                    }
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(event, &mut out);
    out
}

#[test]
fn misp_uuids_are_unique_across_events_and_stable_within_one() {
    // MISP refuses an attribute or object UUID that another event already has.
    let one = root().join("corpus/malicious/magpie/magpie_v1_x64.exe");
    let two = root().join("corpus/malicious/magpie/magpie_v2_x86.exe");
    let (data1, data2) = (
        std::fs::read(&one).expect("read"),
        std::fs::read(&two).expect("read"),
    );
    let t1 = spoor::sample::triage(&one.display().to_string(), &data1);
    let t2 = spoor::sample::triage(&two.display().to_string(), &data2);
    let alone = misp::event(
        &ExchangeFindings::from_triage(&[(&t1, &data1)]),
        options(DATE),
    );
    let both = misp::event(
        &ExchangeFindings::from_triage(&[(&t1, &data1), (&t2, &data2)]),
        options(DATE),
    );
    let (a, b) = (misp_uuids(&alone), misp_uuids(&both));
    assert!(a.len() > 20, "{} uuids", a.len());
    assert!(a.is_disjoint(&b), "events share UUIDs");
    let again = misp::event(
        &ExchangeFindings::from_triage(&[(&t1, &data1)]),
        options(DATE + 1000),
    );
    assert_eq!(a, misp_uuids(&again), "UUIDs do not depend on the date");
}

/// Issue 24, items 1, 2 and 8: the sandbox's own addresses (the victim 192.0.2.10, its DNS
/// server 192.0.2.1) and the hashes of system binaries are context, never STIX indicators,
/// MISP `to_ids` attributes or block rules; the `ip`, `ip:port` and `::ffff:` forms of an
/// address are one indicator with its ports; contacted destinations stay indicators.
#[test]
fn sandbox_addresses_and_system_hashes_are_context() {
    let logs = [
        root().join("corpus/logs/cape/fetchbird_v2-report.json"),
        root().join("corpus/logs/pcap/sandbox-2024-03-12.pcap"),
        root().join("corpus/logs/sysmon/session-2024-03-12.xml"),
    ];
    let analysis = spoor::analyze::analyze(&[], &logs, &spoor::analyze::AnalyzeOptions::default());
    let findings = ExchangeFindings::from_analysis(&analysis);
    let find = |value: &str| {
        findings
            .indicators
            .iter()
            .find(|i| i.value == value)
            .unwrap_or_else(|| panic!("{value} not among the indicators"))
    };
    for own in ["192.0.2.10", "192.0.2.1"] {
        assert!(!find(own).is_indicator(), "{own} exported as an indicator");
    }
    assert_eq!(find("192.0.2.10").roles, ["analysis_host"]);
    assert_eq!(find("192.0.2.1").roles, ["resolver"]);
    let c2 = find("198.51.100.45");
    assert!(c2.is_indicator());
    assert_eq!(c2.ports, [3333]);
    assert!(c2.roles.iter().any(|r| r == "contacted"));
    // one indicator per address: no `ip:port` or `::ffff:` forms left
    for ind in &findings.indicators {
        assert!(
            !ind.value.contains("::ffff:") && !ind.value.ends_with(":3333"),
            "{} not merged into its address",
            ind.value
        );
    }
    // the sandbox's packet capture (CAPE `network.pcap_sha256`): context
    assert!(
        !find("6241407de3a6b1edf63f660aa22a499fb0862d645a648f6ebd88de3a1fcfb8c0").is_indicator()
    );
    // rundll32.exe's SHA-256 from Sysmon's Hashes: context, with its file
    let rundll = find("b53f3c0cd32d7f20849850768da6431e5f876b7bfa61db0aa0700b02873393fa");
    assert_eq!(rundll.files, ["C:\\Windows\\System32\\rundll32.exe"]);
    assert!(!rundll.is_indicator());
    // a dropped file's hash stays an indicator, and says which file it is
    let dropped = find("40517a7274f989a4a9deb13160f0695772bfda13826b4e67a01140ef95432c5a");
    assert!(dropped.is_indicator());
    assert_eq!(
        dropped.files,
        ["C:\\Users\\alice\\AppData\\Roaming\\Microsoft\\Crypto\\wincrypt.exe"]
    );

    let bundle = stix::bundle(&findings, options(DATE));
    let patterns: Vec<&str> = bundle["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == "indicator")
        .filter_map(|o| o["pattern"].as_str())
        .collect();
    for own in ["192.0.2.10", "192.0.2.1'", "b53f3c0cd32d7f2084985076"] {
        assert!(
            !patterns.iter().any(|p| p.contains(own)),
            "a STIX pattern names {own}: {patterns:?}"
        );
    }
    assert!(patterns.contains(&"[ipv4-addr:value = '198.51.100.45']"));
    assert!(!patterns.iter().any(|p| p.contains("dst_port")));

    let event = misp::event(&findings, options(DATE));
    for a in event["Event"]["Attribute"].as_array().expect("attributes") {
        let value = a["value"].as_str().unwrap_or_default();
        let own = value.starts_with("192.0.2.10") || value == "192.0.2.1";
        if own || value.starts_with("b53f3c0cd32d7f20") {
            assert_eq!(a["to_ids"], false, "{value} is to_ids");
            assert!(a["comment"]
                .as_str()
                .unwrap_or_default()
                .contains("context, not an indicator"));
        }
        if value == "198.51.100.45" {
            assert_eq!(a["to_ids"], true);
        }
    }

    let report = spoor::report::AnalystReport::build(
        &analysis,
        &spoor::report::ReportOptions {
            date: "2024-03-12".into(),
            ..spoor::report::ReportOptions::default()
        },
    );
    let blocked: Vec<&str> = report
        .remediation
        .iter()
        .filter(|r| r.kind == spoor::report::RemediationKind::BlockAddress)
        .map(|r| r.target.as_str())
        .collect();
    assert!(!blocked.contains(&"192.0.2.10") && !blocked.contains(&"192.0.2.1"));
    assert!(blocked.contains(&"198.51.100.45"));
    assert_eq!(
        blocked
            .iter()
            .filter(|b| b.contains("198.51.100.45"))
            .count(),
        1,
        "one block rule per address: {blocked:?}"
    );
    // the IOC table: one row per address, ports listed, readable defanged IPv6, sources
    let rows: Vec<_> = report
        .iocs
        .iter()
        .filter(|r| r.kind.starts_with("ip"))
        .collect();
    let c2_row = rows
        .iter()
        .find(|r| r.value == "198[.]51[.]100[.]45")
        .expect("C2 row");
    assert!(c2_row.notes.contains("port 3333"), "{}", c2_row.notes);
    assert!(c2_row.seen_in.contains("sandbox-2024-03-12.pcap"));
    assert!(c2_row.seen_in.contains("session-2024-03-12.xml"));
    assert!(rows.iter().any(|r| r.value == "2001[:]db8:fe7c::17"));
    assert!(!rows.iter().any(|r| r.value.contains("ffff")));
    let own_row = rows
        .iter()
        .find(|r| r.value == "192[.]0[.]2[.]10")
        .expect("victim row");
    assert!(own_row.notes.contains("context, not an indicator"));
}
