//! Many distinct indicators (issue 16): the memory limit spills sorted runs to disk and
//! the output stays the same, byte for byte; `--no-dedup` writes each sighting in input
//! order; `--no-context` leaves the snippets out.

use spoor::export::{self, OutputFormat, OutputOptions};
use spoor::extract::{ExtractOptions, Extractor};
use std::path::Path;
use std::process::Command;

/// A log where most lines carry new values (documentation ranges and example names), with
/// some repeats, mixed case paths and a defanged form.
fn high_cardinality_log(lines: usize) -> String {
    let mut text = String::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..lines {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = if i.is_multiple_of(10) {
            x % 7
        } else {
            x % 1_000_000
        };
        let line = match i % 5 {
            0 => format!(
                "GET http://h{n}.example.com/p/{:x}.php from 192.0.2.{}:{}\n",
                x >> 40,
                n % 256,
                1024 + n % 60_000
            ),
            1 => format!(
                "query: n{n}.example.net A from 2001:db8::{:x}\n",
                n % 65_536
            ),
            2 => format!(
                "edr sha256={:016x}{:016x}{:016x}{:016x} path=C:\\Users\\U{}\\t{}.exe\n",
                x,
                x.rotate_left(7),
                x.rotate_left(19),
                n,
                n % 3,
                n % 50
            ),
            3 => format!("mail from=<u{n}@example.org> to bad[.]host{n}[.]example[.]org\n"),
            _ => format!(
                "path=c:\\users\\u{}\\T{}.EXE 198.51.100.{}\n",
                n % 3,
                n % 50,
                n % 256
            ),
        };
        text.push_str(&line);
    }
    text
}

fn json_of(extraction: &spoor::extract::Extraction) -> Vec<u8> {
    let mut out = Vec::new();
    export::write(
        OutputFormat::Json,
        extraction,
        OutputOptions::default(),
        &mut out,
    )
    .expect("write");
    out
}

#[test]
fn a_tiny_memory_limit_gives_the_same_output() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = dir.path().join("big.log");
    std::fs::write(&log, high_cardinality_log(20_000)).expect("write log");
    let spill = dir.path().join("spill");
    std::fs::create_dir(&spill).expect("spill dir");
    for (threads, chunk) in [(1, 1 << 20), (2, 64 * 1024)] {
        let options = |limit: usize| ExtractOptions {
            threads,
            chunk_size: chunk,
            memory_limit: limit,
            temp_dir: Some(spill.clone()),
            max_sightings: 3,
            ..ExtractOptions::default()
        };
        let unlimited = Extractor::new(options(0)).extract_paths(std::slice::from_ref(&log));
        let sorted =
            Extractor::new(options(64 * 1024)).extract_paths_sorted(std::slice::from_ref(&log));
        assert!(
            sorted.iocs.spilled_runs() > 0,
            "the limit makes the set spill (runs: {})",
            sorted.iocs.spilled_runs()
        );
        let limited = sorted.collect();
        assert!(unlimited.iocs.len() > 10_000, "{}", unlimited.iocs.len());
        assert_eq!(unlimited.iocs, limited.iocs);
        assert_eq!(json_of(&unlimited), json_of(&limited));
        let total: u64 = limited.iocs.iter().map(|i| i.count).sum();
        assert_eq!(total, limited.sources[0].hits);
        // the runs are gone once read
        assert_eq!(std::fs::read_dir(&spill).expect("list").count(), 0);
    }
}

fn spoor(args: &[&str], cwd: &Path) -> (Vec<u8>, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run spoor");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_command_line_gives_the_same_bytes_with_any_memory_limit() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("big.log"), high_cardinality_log(8_000)).expect("write");
    for format in ["json", "ndjson", "csv", "text"] {
        let run = |limit: &str| {
            spoor(
                &[
                    "extract",
                    "-j",
                    "1",
                    "-f",
                    format,
                    "--memory-limit",
                    limit,
                    "big.log",
                ],
                dir.path(),
            )
        };
        let (whole, err, code) = run("0");
        assert_eq!((code, err.as_str()), (0, ""));
        let (spilled, err, code) = run("32K");
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(whole.len() > 10_000);
        assert!(whole == spilled, "{format}: outputs differ");
    }
}

#[test]
fn no_dedup_writes_every_sighting_in_input_order() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let text = "a 192.0.2.1 b\nc evil[.]example[.]com 192.0.2.1\nd 203.0.113.9 www.example.org\n";
    let at = |needle: &str, from: usize| (from + text[from..].find(needle).unwrap_or(0)) as u64;
    std::fs::write(dir.path().join("s.log"), text).expect("write");
    let (out, err, code) = spoor(
        &["extract", "-f", "ndjson", "--no-dedup", "s.log"],
        dir.path(),
    );
    assert_eq!((code, err.as_str()), (0, ""));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let got: Vec<(String, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["value"].as_str().unwrap_or_default().to_string(),
                l["sightings"][0]["offset"].as_u64().unwrap_or(u64::MAX),
            )
        })
        .collect();
    let want: Vec<(String, u64)> = [
        ("192.0.2.1", at("192.0.2.1", 0)),
        ("evil.example.com", at("evil", 0)),
        ("192.0.2.1", at("192.0.2.1", 5)),
        ("203.0.113.9", at("203.0.113.9", 0)),
        ("www.example.org", at("www", 0)),
    ]
    .iter()
    .map(|(v, o)| (v.to_string(), *o))
    .collect();
    assert_eq!(got, want);
    assert!(lines.iter().all(|l| l["count"] == 1));
    assert_eq!(lines[1]["flags"]["defanged"], true);
    assert_eq!(lines[0]["sightings"][0]["context"], "a 192.0.2.1 b");
    // text: one line per sighting; JSON is refused
    let (out, _, code) = spoor(
        &["extract", "-f", "text", "--no-dedup", "s.log"],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert_eq!(String::from_utf8_lossy(&out).lines().count(), 5);
    let (_, err, code) = spoor(
        &["extract", "-f", "json", "--no-dedup", "s.log"],
        dir.path(),
    );
    assert_eq!(code, 2);
    assert!(err.contains("--no-dedup"), "{err}");
}

#[test]
fn no_context_leaves_snippets_out() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("s.log"), "x 192.0.2.1 y\n").expect("write");
    let (out, _, code) = spoor(
        &["extract", "-f", "ndjson", "--no-context", "s.log"],
        dir.path(),
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&out).expect("one JSON line");
    assert_eq!(v["sightings"][0]["offset"], 2);
    assert!(v["sightings"][0].get("context").is_none(), "{v}");
}
