//! A held-out build: the corpus' code compiled again with values spoor has never seen
//! (`corpus/tools/gen.py heldout`: family names inside values, host names, addresses, mutex
//! suffixes and keys redrawn; `corpus/build.sh` with `SPOOR_CORPUS_CONFIG`), then analysed as a
//! user would (`spoor analyze DIR -o OUT`). What an analyst hands on must hold there too:
//! - every indicator the STIX bundle and the MISP event mark for detection is one the sample
//!   carries (in its bytes, ASCII or UTF-16LE) or a hash of a sample;
//! - every fresh network indicator and mutex in the samples' own code is found;
//! - no network indicator or mutex of the committed corpus appears anywhere in the outputs
//!   (nothing is known by name);
//! - every technique has evidence, and each piece of evidence is really in its sample (the
//!   import in its import table, the string at its offset, the resource among its resources).
//!
//! Needs the cross toolchain and python3 (skips with a note; CI requires it with
//! `SPOOR_REQUIRE_CORPUS_BUILD`).

use super::corpus::{read_json, utf16le};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether a sample carries `value`, ASCII or UTF-16LE, ignoring ASCII case.
fn carried(data: &[u8], value: &str) -> bool {
    contains(data, value.as_bytes()) || contains(data, &utf16le(value))
}

/// A registry key is carried when the path under its hive is: the hive is often a constant
/// handle (`HKEY_CURRENT_USER`) and not text.
fn carried_key(data: &[u8], key: &str) -> bool {
    carried(data, key)
        || key
            .split_once('\\')
            .is_some_and(|(_, rest)| carried(data, rest))
}

/// The values a STIX pattern compares with (`[x:y = 'VALUE']`), unescaped.
fn pattern_values(pattern: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(eq) = rest.find(" = '") {
        let path = rest[..eq]
            .rsplit(['[', ' ', '('])
            .next()
            .unwrap_or_default()
            .to_string();
        let mut value = String::new();
        let mut chars = rest[eq + 4..].char_indices();
        let mut end = rest.len() - eq - 4;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        value.push(n);
                    }
                }
                '\'' => {
                    end = i + 1;
                    break;
                }
                _ => value.push(c),
            }
        }
        out.push((path, value));
        rest = &rest[eq + 4 + end..];
    }
    out
}

#[test]
fn a_held_out_build_gives_findings_backed_by_the_samples() {
    if !super::corpus::cross_toolchain_ready("the held-out build check") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("heldout");
    let built = dir.path().join("built");
    let analysis = dir.path().join("analysis");
    run(
        Command::new("python3")
            .arg(root().join("corpus/tools/gen.py"))
            .arg("heldout")
            .arg(&config),
        "corpus/tools/gen.py heldout",
    );
    run(
        Command::new("sh")
            .arg(root().join("corpus/build.sh"))
            .arg(&built)
            .env("SPOOR_CORPUS_CONFIG", config.join("config"))
            .env("SPOOR_CORPUS_ONLY", "malicious"),
        "corpus/build.sh (held-out configuration)",
    );
    run(
        Command::new(env!("CARGO_BIN_EXE_spoor"))
            .arg("analyze")
            .arg(built.join("malicious"))
            .args(["--date", "2026-01-01", "-o"])
            .arg(&analysis),
        "spoor analyze (held-out build)",
    );

    let expected = read_json(&config.join("expected.json"));
    let samples: Vec<&Value> = expected["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .collect();
    assert_eq!(samples.len(), 27);
    let mut bytes: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for s in &samples {
        let rel = s["file"].as_str().expect("file");
        let data = std::fs::read(built.join(rel)).expect("held-out sample built");
        bytes.insert(rel.to_string(), data);
    }
    let any_carries = |value: &str, key: bool| {
        bytes.values().any(|d| {
            if key {
                carried_key(d, value)
            } else {
                carried(d, value)
            }
        })
    };
    let md5s: BTreeSet<String> = bytes.values().map(|d| super::corpus::md5_hex(d)).collect();
    let sha256s: BTreeSet<String> = bytes
        .values()
        .map(|d| super::corpus::sha256_hex(d))
        .collect();
    let mut failures = Vec::new();

    // 1. What the exports mark for detection is carried by a sample.
    let misp = read_json(&analysis.join("event.misp.json"));
    let event = misp.get("Event").unwrap_or(&misp);
    let mut attributes: Vec<&Value> = event["Attribute"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    for object in event["Object"].as_array().into_iter().flatten() {
        attributes.extend(object["Attribute"].as_array().into_iter().flatten());
    }
    let mut checked = 0;
    for a in attributes {
        if a["to_ids"] != Value::Bool(true) {
            continue;
        }
        let (kind, value) = (
            a["type"].as_str().unwrap_or_default(),
            a["value"].as_str().unwrap_or_default(),
        );
        let ok = match kind {
            "md5" => md5s.contains(&value.to_ascii_lowercase()),
            "sha256" => sha256s.contains(&value.to_ascii_lowercase()),
            // Computed from a sample, not carried: the hashes, the imphash, the rules.
            "sha1" | "sha512" | "imphash" | "ssdeep" | "tlsh" | "yara" => true,
            "regkey" => any_carries(value, true),
            _ => any_carries(value, false),
        };
        checked += 1;
        if !ok {
            failures.push(format!(
                "MISP {kind} {value:?} (to_ids) is in no held-out sample"
            ));
        }
    }
    assert!(checked > 50, "only {checked} MISP detection attributes");
    let stix = read_json(&analysis.join("bundle.stix.json"));
    let mut patterns = 0;
    for o in stix["objects"].as_array().expect("objects") {
        if o["type"] != "indicator" {
            continue;
        }
        for (path, value) in pattern_values(o["pattern"].as_str().unwrap_or_default()) {
            patterns += 1;
            let ok = if path.contains("hashes") {
                let v = value.to_ascii_lowercase();
                md5s.contains(&v)
                    || sha256s.contains(&v)
                    || !path.contains("MD5") && !path.contains("SHA-256")
            } else {
                any_carries(&value, path.starts_with("windows-registry-key"))
            };
            if !ok {
                failures.push(format!("STIX {path} {value:?} is in no held-out sample"));
            }
        }
    }
    assert!(patterns > 50, "only {patterns} STIX pattern values");

    // 2. The fresh indicators of the samples' own code are found.
    let iocs = read_json(&analysis.join("iocs.json"));
    let found: BTreeSet<(String, String)> = iocs["iocs"]
        .as_array()
        .expect("iocs")
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap_or_default().to_string(),
                i["value"].as_str().unwrap_or_default().to_ascii_lowercase(),
            )
        })
        .collect();
    let triage = read_json(&analysis.join("triage.json"));
    let mutexes: BTreeSet<String> = triage
        .as_array()
        .expect("triage")
        .iter()
        .flat_map(|t| t["mutexes"].as_array().into_iter().flatten())
        .filter_map(|m| m["value"].as_str())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut fresh = 0;
    for s in &samples {
        for i in s["iocs"].as_array().into_iter().flatten() {
            let (kind, value) = (
                i["type"].as_str().unwrap_or_default(),
                i["value"].as_str().unwrap_or_default(),
            );
            if i["fresh"] != Value::Bool(true) || i["where"] != "code" {
                continue;
            }
            let lower = value.to_ascii_lowercase();
            let ok = match kind {
                "url" | "domain" | "ipv4" | "ipv6" | "email" => {
                    found.contains(&(kind.to_string(), lower))
                }
                "mutex" => mutexes.contains(&lower),
                _ => continue,
            };
            fresh += 1;
            if !ok {
                failures.push(format!("{}: fresh {kind} {value:?} not found", s["file"]));
            }
        }
    }
    assert!(fresh >= 40, "only {fresh} fresh indicators to look for");

    // 3. Nothing of the committed corpus by name.
    let held_out_values: BTreeSet<String> = samples
        .iter()
        .flat_map(|s| s["iocs"].as_array().into_iter().flatten())
        .filter_map(|i| i["value"].as_str())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut committed = BTreeSet::new();
    for e in walkdir::WalkDir::new(root().join("corpus/expected/samples"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
    {
        let doc = read_json(e.path());
        let groups = doc["iocs"].as_object().into_iter().flat_map(|g| g.values());
        for i in groups.flat_map(|g| g.as_array().into_iter().flatten()) {
            let kind = i["type"].as_str().unwrap_or_default();
            let value = i["value"].as_str().unwrap_or_default().to_ascii_lowercase();
            if matches!(kind, "url" | "domain" | "ipv4" | "ipv6" | "email" | "mutex")
                && !held_out_values.contains(&value)
            {
                committed.insert(value);
            }
        }
    }
    assert!(
        committed.len() > 40,
        "only {} committed values",
        committed.len()
    );
    for file in [
        "iocs.json",
        "triage.json",
        "report.md",
        "rules.yar",
        "bundle.stix.json",
        "event.misp.json",
    ] {
        let text = std::fs::read_to_string(analysis.join(file))
            .expect("output written")
            .to_ascii_lowercase()
            .replace("\\\\", "\\");
        for value in &committed {
            if text.contains(value.as_str()) {
                failures.push(format!("{file} names {value:?} of the committed corpus"));
            }
        }
    }

    // 4. Every technique has evidence that is in its sample.
    let mut evidence = 0;
    for t in triage.as_array().expect("triage") {
        let name = t["name"].as_str().unwrap_or_default();
        let Some((_, data)) = bytes.iter().find(|(rel, _)| name.ends_with(rel.as_str())) else {
            failures.push(format!("triage names {name}, which was not built"));
            continue;
        };
        let imports: BTreeSet<String> = t["imports"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|i| {
                let lib = i["library"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let func = i["name"].as_str().unwrap_or_default().to_ascii_lowercase();
                [format!("{lib}!{func}"), func]
            })
            .collect();
        let resources: BTreeSet<&str> = t["pe"]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        for technique in t["techniques"].as_array().into_iter().flatten() {
            let id = technique["id"].as_str().unwrap_or_default();
            let items = technique["evidence"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if items.is_empty() {
                failures.push(format!("{name}: {id} has no evidence"));
            }
            for e in items {
                evidence += 1;
                let value = e["value"].as_str().unwrap_or_default();
                let ok = match (e["kind"].as_str(), e["offset"].as_u64()) {
                    (Some("import"), _) => imports.contains(&value.to_ascii_lowercase()),
                    (Some("resource"), _) => resources.contains(value),
                    (Some(_), Some(offset)) => {
                        let want = if e["encoding"] == "utf16le" {
                            utf16le(value)
                        } else {
                            value.as_bytes().to_vec()
                        };
                        usize::try_from(offset)
                            .ok()
                            .and_then(|o| data.get(o..o + want.len()))
                            .is_some_and(|got| got == want.as_slice())
                    }
                    (Some("resolved"), None) => carried(data, value),
                    _ => false,
                };
                if !ok {
                    failures.push(format!("{name}: {id} evidence {e} is not in the sample"));
                }
            }
        }
    }
    assert!(evidence > 200, "only {evidence} pieces of evidence");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "held-out build: {checked} MISP detection attributes and {patterns} STIX values carried, \
         {fresh} fresh indicators found, {evidence} pieces of evidence in their samples"
    );
}
