//! Log-reading memory benchmark: `cargo bench --bench logs` (issue 5).
//!
//! Generates Winlogbeat-style Sysmon NDJSON (process creations, file writes, registry
//! sets, DNS queries, connections; values from bounded pools, as in a real session) at two
//! sizes under `target/bench/`, then measures wall time and peak RSS of
//! `spoor events -f ndjson` (every event streamed out, the analysis kept alongside) and
//! `spoor extract -f ndjson -j 1` (every value scanned with its field path) on each, each
//! run through a launcher so that its peak memory is its own (see `measure.rs`).
//! Readers stream, so peak RSS must not grow with the log: the large run's peak must stay
//! within 1.5× the small run's (plus 16 MiB for allocator noise). Results go to
//! `target/bench/logs.md` and `target/bench/logs.json`; the exit code is 1 if memory grew.
//!
//! Environment:
//! - `SPOOR_BENCH_LOG_MIB`: size of the large log (default 1024); the small one is 1/16;
//! - `SPOOR_BIN`: a spoor binary to use instead of building `target/release/spoor`;
//! - `SPOOR_BENCH_KEEP=1`: keep the generated logs.

#[path = "../extract/measure.rs"]
mod measure;

use serde_json::json;
use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const MIB: u64 = 1024 * 1024;

/// A tiny deterministic generator (xorshift64*).
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

/// Writes about `bytes` of Sysmon NDJSON to `path`; returns the exact size and lines.
fn generate(path: &Path, bytes: u64) -> std::io::Result<(u64, u64)> {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut written = 0u64;
    let mut record = 0u64;
    let mut line = String::with_capacity(2048);
    while written < bytes {
        record += 1;
        let pid = 1000 + rng.below(400);
        let host = format!("h{}.example.net", rng.below(64));
        let ip = format!("198.51.100.{}", rng.below(250) + 1);
        let file = format!(
            "C:\\Users\\alice\\AppData\\Local\\Temp\\f{}.tmp",
            rng.below(500)
        );
        let (id, data) = match rng.below(5) {
            0 => (
                1,
                json!({"ProcessId": pid.to_string(), "Image": format!("C:\\Tools\\t{}.exe", pid % 50),
                    "CommandLine": format!("t{}.exe /run http://{host}/x{}", pid % 50, pid % 7),
                    "ParentProcessId": "900", "ParentImage": "C:\\Windows\\explorer.exe",
                    "Hashes": format!("MD5={:032X},SHA256={:064X}", pid % 50, pid % 50)}),
            ),
            1 => (
                11,
                json!({"ProcessId": pid.to_string(), "Image": format!("C:\\Tools\\t{}.exe", pid % 50),
                    "TargetFilename": file}),
            ),
            2 => (
                13,
                json!({"ProcessId": pid.to_string(), "Image": format!("C:\\Tools\\t{}.exe", pid % 50),
                    "EventType": "SetValue",
                    "TargetObject": format!("HKU\\S-1-5-21-1-2-3-1001\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\v{}", pid % 20),
                    "Details": file}),
            ),
            3 => (
                22,
                json!({"ProcessId": pid.to_string(), "Image": format!("C:\\Tools\\t{}.exe", pid % 50),
                    "QueryName": host, "QueryStatus": "0", "QueryResults": format!("::ffff:{ip};")}),
            ),
            _ => (
                3,
                json!({"ProcessId": pid.to_string(), "Image": format!("C:\\Tools\\t{}.exe", pid % 50),
                    "Protocol": "tcp", "DestinationIp": ip, "DestinationPort": "443",
                    "DestinationHostname": host, "SourceIp": "192.0.2.10"}),
            ),
        };
        let event = json!({
            "@timestamp": format!("2024-03-12T09:{:02}:{:02}.{:03}Z", (record / 60000) % 60, (record / 1000) % 60, record % 1000),
            "event": {"code": id.to_string(), "module": "sysmon"},
            "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": id.to_string(),
                "provider_name": "Microsoft-Windows-Sysmon", "record_id": record.to_string(),
                "computer_name": "DESKTOP-7Q2K9LM", "event_data": data},
        });
        line.clear();
        let _ = write!(line, "{event}");
        line.push('\n');
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok((written, record))
}

fn spoor_binary(root: &Path) -> Result<PathBuf, String> {
    if let Some(bin) = std::env::var_os("SPOOR_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(format!("SPOOR_BIN={} is not a file", bin.display()))
        };
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
    let bin = root.join("target/release/spoor");
    bin.is_file()
        .then_some(bin)
        .ok_or_else(|| "target/release/spoor not found".to_string())
}

fn main() -> ExitCode {
    if let Some(code) = measure::launcher_main() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench");
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let large_mib: u64 = std::env::var("SPOOR_BENCH_LOG_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let small_mib = (large_mib / 16).max(1);
    let bin = match spoor_binary(&root) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut rows = Vec::new();
    let mut peaks = std::collections::BTreeMap::new();
    for mib in [small_mib, large_mib] {
        let log = dir.join(format!("logs-sysmon-{mib}.ndjson"));
        println!("generating {} ({mib} MiB)...", log.display());
        let (size, lines) = match generate(&log, mib * MIB) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("cannot write {}: {e}", log.display());
                return ExitCode::from(2);
            }
        };
        let log_s = log.to_string_lossy().into_owned();
        let runs: [(&str, Vec<&str>); 2] = [
            ("events -f ndjson", vec!["events", "-f", "ndjson", &log_s]),
            (
                "extract -f ndjson -j 1",
                vec!["extract", "-f", "ndjson", "-j", "1", &log_s],
            ),
        ];
        for (label, args) in runs {
            let err = dir.join("logs-bench.stderr");
            let run = match measure::run_isolated(
                Command::new(&bin).args(&args),
                Path::new("/dev/null"),
                &err,
            ) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{label}: {e}");
                    return ExitCode::from(2);
                }
            };
            let secs = run.wall.as_secs_f64();
            let mib_s = size as f64 / MIB as f64 / secs.max(1e-9);
            println!(
                "{label} on {mib} MiB ({lines} lines): {secs:.1} s, {mib_s:.1} MiB/s, peak RSS {:.1} MiB, exit {:?}",
                run.peak_rss as f64 / MIB as f64,
                run.code
            );
            peaks.insert((label, mib), run.peak_rss);
            rows.push(json!({
                "command": label, "log_mib": mib, "bytes": size, "lines": lines,
                "seconds": secs, "mib_per_s": mib_s, "peak_rss_bytes": run.peak_rss, "exit": run.code,
            }));
        }
        if std::env::var_os("SPOOR_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_file(&log);
        }
    }
    let mut flat = true;
    let mut md = String::from("| command | log | MiB/s | peak RSS |\n|---|---:|---:|---:|\n");
    for r in &rows {
        let _ = writeln!(
            md,
            "| `spoor {}` | {} MiB | {:.1} | {:.1} MiB |",
            r["command"].as_str().unwrap_or(""),
            r["log_mib"],
            r["mib_per_s"].as_f64().unwrap_or(0.0),
            r["peak_rss_bytes"].as_f64().unwrap_or(0.0) / MIB as f64
        );
    }
    for label in ["events -f ndjson", "extract -f ndjson -j 1"] {
        let small = peaks.get(&(label, small_mib)).copied().unwrap_or(0);
        let large = peaks.get(&(label, large_mib)).copied().unwrap_or(u64::MAX);
        let ok = large as f64 <= small as f64 * 1.5 + 16.0 * MIB as f64;
        flat &= ok;
        let _ = writeln!(
            md,
            "\n`{label}`: peak RSS {:.1} MiB on {small_mib} MiB, {:.1} MiB on {large_mib} MiB: {}",
            small as f64 / MIB as f64,
            large as f64 / MIB as f64,
            if ok { "flat" } else { "GROWS" }
        );
    }
    let _ = std::fs::write(dir.join("logs.md"), &md);
    let _ = std::fs::write(
        dir.join("logs.json"),
        serde_json::to_string_pretty(&json!({"runs": rows, "flat": flat})).unwrap_or_default(),
    );
    println!("\n{md}");
    if flat {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
