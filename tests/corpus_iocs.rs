//! Extraction against the corpus ground truth: every indicator that `corpus/expected/`
//! lists for a sample or a log, of a type spoor extracts, must be found in that file.
//! A registry key whose hive is only implied by code counts as found when its hive-less rest
//! is. (DNS names in packet captures are in wire format; reading them is the pcap reader's job,
//! so `dns_wire` entries are not expected from the text scanner.)

use spoor::{ExtractOptions, Extractor};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn expected_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// Normalises a value the way spoor compares it.
fn key(kind: &str, value: &str) -> String {
    match kind {
        "registry_key" | "file_path" | "md5" | "sha1" | "sha256" | "sha512" => value.to_lowercase(),
        _ => value.to_string(),
    }
}

#[test]
fn corpus_ground_truth_iocs_are_extracted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let extractor = Extractor::new(ExtractOptions {
        threads: 1,
        ..ExtractOptions::default()
    });
    let kinds: BTreeSet<&str> = spoor::IocKind::ALL.iter().map(|k| k.as_str()).collect();
    let mut checked = 0;
    let mut missing = Vec::new();
    let mut truth_files = expected_files(&root.join("corpus/expected/samples"));
    truth_files.extend(expected_files(&root.join("corpus/expected/logs")));
    assert!(truth_files.len() >= 27, "ground truth present");
    for truth_path in truth_files {
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&truth_path).expect("read truth")).expect("json");
        let Some(rel) = truth["path"].as_str() else {
            continue;
        };
        let data = std::fs::read(root.join(rel)).expect("corpus file exists");
        let found: BTreeSet<(String, String)> = extractor
            .extract_bytes(rel, &data)
            .iter()
            .map(|i| (i.kind.to_string(), key(i.kind.as_str(), &i.value)))
            .collect();
        let Some(groups) = truth["iocs"].as_object() else {
            continue;
        };
        for entry in groups.values().filter_map(|g| g.as_array()).flatten() {
            let (Some(kind), Some(value)) = (entry["type"].as_str(), entry["value"].as_str())
            else {
                continue;
            };
            if !kinds.contains(kind) || entry["encoding"].as_str() == Some("dns_wire") {
                continue;
            }
            checked += 1;
            // A program names a key without its hive (RegOpenKeyEx(HKEY_LOCAL_MACHINE,
            // "SOFTWARE\\x")); the ground truth has the full key, the bytes only the rest.
            let hiveless = (kind == "registry_key")
                .then(|| value.split_once('\\').map(|(_, rest)| key(kind, rest)))
                .flatten();
            // `~/Library/...` is `Library/...` in a binary that joins it to $HOME.
            let home_relative = value
                .strip_prefix("~/")
                .is_some_and(|rest| found.contains(&(kind.to_string(), key(kind, rest))));
            let hit = home_relative
                || found.contains(&(kind.to_string(), key(kind, value)))
                || hiveless.is_some_and(|rest| found.contains(&(kind.to_string(), rest)));
            if !hit {
                missing.push(format!("{rel}: {kind} {value}"));
            }
        }
    }
    eprintln!(
        "corpus ground truth: {checked} indicators checked, {} missing",
        missing.len()
    );
    assert!(checked > 100, "only {checked} indicators checked");
    assert!(
        missing.is_empty(),
        "missing from extraction:\n{}",
        missing.join("\n")
    );
}
