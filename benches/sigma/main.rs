//! Sigma engine benchmark: `cargo bench --bench sigma` (issue 20).
//!
//! Generates Winlogbeat-style Sysmon NDJSON (process creations with ordinary and
//! suspicious command lines, file writes, registry sets, DNS queries, connections) under
//! `target/bench/`, then measures on that file in the same run, each through a launcher so
//! that its peak memory is its own: `spoor events -f ndjson` (no rules), `spoor events -f
//! ndjson --sigma RULES` (the public SigmaHQ Windows rules from `../shared/sigma`), and the
//! peer: sigma-cli converting the same rules with pySigma's SQLite backend and SQLite
//! running every query over the same events loaded into a table (`peer.py`, with the
//! virtual environment `.ci/run` makes in `target/sigma-venv`). Results go to
//! `target/bench/sigma.md` and `target/bench/sigma.json`.
//!
//! The peer runs without a processing pipeline: its queries carry no logsource condition,
//! so they are matched against every event, where spoor matches a rule only against its
//! logsource's events; the comparison is of speed and memory, the match counts differ.
//!
//! Environment: `SPOOR_BENCH_SIGMA_MIB` (default 64), `SPOOR_BIN`, `SPOOR_SIGMA_RULES`
//! (default `../shared/sigma/rules/windows`), `SPOOR_SIGMA_PYTHON`.

#[path = "../extract/measure.rs"]
mod measure;

use serde_json::json;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const MIB: u64 = 1024 * 1024;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const COMMANDS: [(&str, &str); 8] = [
    (
        "C:\\Windows\\System32\\svchost.exe",
        "C:\\Windows\\system32\\svchost.exe -k netsvcs -p",
    ),
    (
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "\"WINWORD.EXE\" /n \"C:\\Users\\alice\\Documents\\r{}.docx\"",
    ),
    (
        "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
        "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA{}",
    ),
    ("C:\\Windows\\System32\\whoami.exe", "whoami /all"),
    (
        "C:\\Windows\\System32\\vssadmin.exe",
        "vssadmin.exe delete shadows /all /quiet",
    ),
    (
        "C:\\Windows\\System32\\rundll32.exe",
        "rundll32.exe C:\\Users\\alice\\AppData\\Roaming\\x{}.dll,Start",
    ),
    (
        "C:\\Windows\\System32\\schtasks.exe",
        "schtasks /create /tn Updater{} /tr C:\\ProgramData\\u.exe /sc onlogon",
    ),
    ("C:\\Tools\\t.exe", "t.exe /run {}"),
];

/// Writes about `bytes` of Sysmon NDJSON to `path`; returns the exact size and lines.
fn generate(path: &Path, bytes: u64) -> std::io::Result<(u64, u64)> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(0x51c3_a5ee_d000_0001);
    let mut written = 0u64;
    let mut record = 0u64;
    while written < bytes {
        record += 1;
        let pid = 1000 + rng.below(400);
        let host = format!("h{}.example.net", rng.below(64));
        let ip = format!("198.51.100.{}", rng.below(250) + 1);
        let image = format!("C:\\Tools\\t{}.exe", pid % 50);
        let (id, data) = match rng.below(6) {
            0 | 1 => {
                // suspicious commands are rare
                let pick = if rng.below(100) == 0 {
                    2 + rng.below(5)
                } else {
                    rng.below(2) * 7 + rng.below(2)
                };
                let (img, cmd) = COMMANDS[pick as usize % COMMANDS.len()];
                (
                    1,
                    json!({"ProcessId": pid.to_string(), "Image": img,
                    "CommandLine": cmd.replace("{}", &(pid % 97).to_string()),
                    "ParentProcessId": "900", "ParentImage": "C:\\Windows\\explorer.exe",
                    "User": "DESKTOP-7Q2K9LM\\alice", "IntegrityLevel": "Medium",
                    "Hashes": format!("MD5={:032X},SHA256={:064X}", pid % 50, pid % 50)}),
                )
            }
            2 => (
                11,
                json!({"ProcessId": pid.to_string(), "Image": image,
                "TargetFilename": format!("C:\\Users\\alice\\AppData\\Local\\Temp\\f{}.tmp", rng.below(500))}),
            ),
            3 => (
                13,
                json!({"ProcessId": pid.to_string(), "Image": image, "EventType": "SetValue",
                "TargetObject": format!("HKU\\S-1-5-21-1-2-3-1001\\Software\\Vendor{}\\Settings\\v{}", pid % 9, pid % 20),
                "Details": "DWORD (0x00000001)"}),
            ),
            4 => (
                22,
                json!({"ProcessId": pid.to_string(), "Image": image,
                "QueryName": host, "QueryStatus": "0", "QueryResults": format!("::ffff:{ip};")}),
            ),
            _ => (
                3,
                json!({"ProcessId": pid.to_string(), "Image": image, "Protocol": "tcp",
                "DestinationIp": ip, "DestinationPort": "443", "DestinationHostname": host,
                "SourceIp": "192.0.2.10", "Initiated": "true"}),
            ),
        };
        let event = json!({
            "@timestamp": format!("2024-03-12T09:{:02}:{:02}.{:03}Z", (record / 60000) % 60, (record / 1000) % 60, record % 1000),
            "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": id.to_string(),
                "provider_name": "Microsoft-Windows-Sysmon", "record_id": record.to_string(),
                "computer_name": "DESKTOP-7Q2K9LM", "event_data": data},
        });
        let line = format!("{event}\n");
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok((written, record))
}

fn spoor_binary(root: &Path) -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("SPOOR_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!("building spoor (cargo build --release --bin spoor)...");
    let status = Command::new(&cargo)
        .args(["build", "--release", "--quiet", "--bin", "spoor"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("`cargo build --release --bin spoor` failed".into());
    }
    Ok(root.join("target/release/spoor"))
}

fn main() -> ExitCode {
    if let Some(code) = measure::launcher_main() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let mib: u64 = std::env::var("SPOOR_BENCH_SIGMA_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let rules = std::env::var_os("SPOOR_SIGMA_RULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/sigma/rules/windows"));
    if !rules.is_dir() {
        eprintln!(
            "no Sigma rules at {} (set SPOOR_SIGMA_RULES)",
            rules.display()
        );
        return ExitCode::from(2);
    }
    let bin = match spoor_binary(&root) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let log = dir.join(format!("sigma-sysmon-{mib}.ndjson"));
    println!("generating {} ({mib} MiB)...", log.display());
    let (size, lines) = match generate(&log, mib * MIB) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("cannot write {}: {e}", log.display());
            return ExitCode::from(2);
        }
    };
    let log_s = log.to_string_lossy().into_owned();
    let rules_s = rules.to_string_lossy().into_owned();
    let out_path = dir.join("sigma-bench.out");
    let mut rows = Vec::new();
    let mut md = format!(
        "{mib} MiB Sysmon NDJSON, {lines} events; rules: {}\n\n| run | seconds | events/s | MiB/s | peak RSS | matches |\n|---|---:|---:|---:|---:|---:|\n",
        rules.display()
    );
    let runs: [(&str, Vec<&str>); 2] = [
        (
            "spoor events -f ndjson",
            vec!["events", "-f", "ndjson", &log_s],
        ),
        (
            "spoor events -f ndjson --sigma RULES",
            vec!["events", "-f", "ndjson", "--sigma", &rules_s, &log_s],
        ),
    ];
    for (label, args) in runs {
        let err = dir.join("sigma-bench.stderr");
        let run = match measure::run_isolated(Command::new(&bin).args(&args), &out_path, &err) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{label}: {e}");
                return ExitCode::from(2);
            }
        };
        let matches: u64 = std::fs::read_to_string(&out_path)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("{\"sigma_hit\""))
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["sigma_hit"]["count"].as_u64())
            .sum();
        let secs = run.wall.as_secs_f64();
        let _ = writeln!(
            md,
            "| `{label}` | {secs:.2} | {:.0} | {:.1} | {:.1} MiB | {matches} |",
            lines as f64 / secs,
            size as f64 / MIB as f64 / secs,
            run.peak_rss as f64 / MIB as f64
        );
        println!(
            "{label}: {secs:.2} s, peak RSS {:.1} MiB, {matches} matches",
            run.peak_rss as f64 / MIB as f64
        );
        rows.push(json!({"run": label, "seconds": secs, "peak_rss_bytes": run.peak_rss, "matches": matches}));
    }
    let python = std::env::var_os("SPOOR_SIGMA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/sigma-venv/bin/python"));
    if python.exists() {
        let peer_out = dir.join("sigma-peer.out");
        let err = dir.join("sigma-peer.stderr");
        let mut cmd = Command::new(&python);
        cmd.arg(root.join("benches/sigma/peer.py"))
            .arg(&rules)
            .arg(&log);
        match measure::run_isolated(&cmd, &peer_out, &err) {
            Ok(run) => {
                let v: serde_json::Value = std::fs::read_to_string(&peer_out)
                    .ok()
                    .and_then(|t| serde_json::from_str(t.trim()).ok())
                    .unwrap_or_default();
                let secs = run.wall.as_secs_f64();
                let _ = writeln!(
                    md,
                    "| sigma-cli → SQLite (convert {:.1} s, load {:.1} s, {} queries {:.1} s) | {secs:.2} | {:.0} | {:.1} | {:.1} MiB | {} |",
                    v["convert_s"].as_f64().unwrap_or(0.0),
                    v["load_s"].as_f64().unwrap_or(0.0),
                    v["queries"],
                    v["query_s"].as_f64().unwrap_or(0.0),
                    lines as f64 / secs,
                    size as f64 / MIB as f64 / secs,
                    run.peak_rss as f64 / MIB as f64,
                    v["matches"]
                );
                rows.push(json!({"run": "sigma-cli sqlite", "seconds": secs, "peak_rss_bytes": run.peak_rss, "detail": v}));
            }
            Err(e) => eprintln!("peer: {e}"),
        }
    } else {
        let _ = writeln!(
            md,
            "\n(sigma-cli not installed at {}: peer skipped)",
            python.display()
        );
    }
    let _ = std::fs::write(dir.join("sigma.md"), &md);
    let _ = std::fs::write(
        dir.join("sigma.json"),
        serde_json::to_string_pretty(&json!({"mib": mib, "events": lines, "runs": rows}))
            .unwrap_or_default(),
    );
    if std::env::var_os("SPOOR_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_file(&out_path);
    }
    println!("\n{md}");
    ExitCode::SUCCESS
}
