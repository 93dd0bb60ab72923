//! Extraction benchmark: `cargo bench --bench extract` (issue 2, item 8).
//!
//! Generates a deterministic mixed log with planted indicators (see `mixed_log.rs`) under
//! `target/bench/`, then, on that same file in the same run, measures wall time (MiB/s)
//! and peak RSS of:
//! - `spoor extract FILE -f ndjson -o OUT -j 1` and `-j 0` (best of `SPOOR_BENCH_RUNS`, 3);
//! - ripgrep counting one IPv4 regex (`rg -c -j1 '\b\d{1,3}\.…\b' FILE`), if `rg` is on PATH;
//! - the Python extractors iocextract, ioc-finder and iocsearcher through
//!   `benches/peers.py`, if the venv made by `benches/setup-peers.sh` exists.
//!
//! It then scores spoor's output against the ground truth (recall per type, unexpected
//! values as a precision proxy, misses with example lines) and writes the table to
//! `target/bench/extract.md` and everything to `target/bench/extract.json`.
//!
//! Environment:
//! - `SPOOR_BENCH_MIB`: size of the generated file (default 20; 2048 with `--memory-only`);
//! - `SPOOR_BENCH_PEER_MIB`: run the Python peers on a prefix of this many MiB (cut at a
//!   line end) instead of the whole file; their MiB/s is computed on what they read;
//! - `SPOOR_BENCH_RUNS`: runs per spoor / rg measurement (default 3, best is kept);
//! - `SPOOR_BENCH_VENV`: the peers' venv (default `target/bench/venv`);
//! - `SPOOR_BIN`: a spoor binary to use instead of building `target/release/spoor`;
//! - `SPOOR_BENCH_KEEP=1`: keep the generated file of a `--memory-only` run.
//!
//! It also scores spoor on the hand-written threat-report texts in `tests/cases/reports/`
//! against their ground truth (precision, recall and F1 per type; see `reports.rs`).
//!
//! `cargo bench --bench extract -- --memory-only` only measures spoor's peak RSS on a
//! large file (one thread and all cores), written to `target/bench/extract-memory.{md,json}`.
//! `cargo bench --bench extract -- --reports-only` only scores the report texts (quick;
//! with `SPOOR_BIN` set, that binary is scored instead of a fresh release build), written to
//! `target/bench/extract-reports.{md,json}`.
//! `cargo bench --bench extract -- --generate-only` only writes the mixed log (and its
//! ground truth) and prints its path: `benches/pgo-build.sh` trains on it.

mod measure;
mod mixed_log;
mod quality;
mod reports;

use measure::Run;
use mixed_log::GroundTruth;
use serde_json::json;
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const MIB: f64 = 1024.0 * 1024.0;
/// The single regex ripgrep counts, as given in issue 2.
const RG_IPV4: &str = r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b";
/// Peak RSS target on the large file.
const RSS_TARGET_MB: f64 = 200.0;
/// Python peers: label, name on PyPI and in `peers.py`, extra driver arguments.
/// ioc-finder runs twice: on the types spoor also extracts (the same job), and on its
/// own default set (fewer types, faster), so the "fastest peer" is the faster of both.
const PEERS: [(&str, &str, &[&str]); 4] = [
    ("iocextract", "iocextract", &[]),
    ("ioc-finder", "ioc-finder", &["--ioc-finder-types", "spoor"]),
    (
        "ioc-finder-default",
        "ioc-finder",
        &["--ioc-finder-types", "default"],
    ),
    ("iocsearcher", "iocsearcher", &[]),
];
/// Misses and unexpected values printed per type.
const SHOW: usize = 5;

fn main() -> ExitCode {
    if let Some(code) = measure::launcher_main() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench extract: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Settings from the command line and the environment.
struct Config {
    root: PathBuf,
    dir: PathBuf,
    mib: u64,
    peer_mib: Option<u64>,
    runs: usize,
    venv: PathBuf,
    memory_only: bool,
    reports_only: bool,
    generate_only: bool,
    keep: bool,
}

fn env_u64(name: &str) -> Result<Option<u64>, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{name}={v:?} is not a whole number")),
        _ => Ok(None),
    }
}

fn config() -> Result<Config, String> {
    let mut memory_only = false;
    let mut reports_only = false;
    let mut generate_only = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--memory-only" => memory_only = true,
            "--reports-only" => reports_only = true,
            "--generate-only" => generate_only = true,
            "--bench" => {} // passed by cargo bench
            "-h" | "--help" => {
                println!("usage: cargo bench --bench extract [-- --memory-only | --reports-only | --generate-only]\n(see the top of benches/extract/main.rs for the environment variables)");
                std::process::exit(0);
            }
            other => eprintln!("bench extract: ignoring argument {other:?}"),
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let dir = target.join("bench");
    let mib = env_u64("SPOOR_BENCH_MIB")?.unwrap_or(if memory_only { 2048 } else { 20 });
    if mib == 0 {
        return Err("SPOOR_BENCH_MIB must be at least 1".into());
    }
    let venv = std::env::var_os("SPOOR_BENCH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("venv"));
    Ok(Config {
        root,
        dir,
        mib,
        peer_mib: env_u64("SPOOR_BENCH_PEER_MIB")?.filter(|&m| m > 0),
        runs: env_u64("SPOOR_BENCH_RUNS")?.unwrap_or(3).max(1) as usize,
        venv,
        memory_only,
        reports_only,
        generate_only,
        keep: std::env::var("SPOOR_BENCH_KEEP").is_ok_and(|v| v == "1"),
    })
}

/// One measured tool.
struct Row {
    tool: String,
    command: String,
    /// Bytes the tool read (the whole file, or the peers' prefix).
    bytes: u64,
    seconds: f64,
    peak_rss: u64,
    /// Values found (unique where the tool deduplicates), or matching lines for rg.
    count: Option<u64>,
    note: String,
    python: bool,
    /// Values the tool found, one per line (`type<TAB>value` or `value`), for scoring.
    values: Option<PathBuf>,
}

impl Row {
    fn mib_s(&self) -> f64 {
        self.bytes as f64 / MIB / self.seconds
    }
}

fn run() -> Result<ExitCode, String> {
    let cfg = config()?;
    std::fs::create_dir_all(cfg.dir.join("logs"))
        .map_err(|e| format!("{}: {e}", cfg.dir.display()))?;
    // (generating needs no spoor: the PGO build trains the binary on this file)
    let spoor = if cfg.generate_only {
        PathBuf::new()
    } else {
        spoor_binary(&cfg)?
    };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cfg.reports_only {
        let score = reports::score(&spoor, &cfg.root, &cfg.dir)?;
        let md = reports::markdown(&score);
        println!("\n{md}");
        let md_path = cfg.dir.join("extract-reports.md");
        std::fs::write(&md_path, &md).map_err(|e| format!("{}: {e}", md_path.display()))?;
        write_json(
            &cfg.dir.join("extract-reports.json"),
            &reports::json(&score),
        )?;
        return Ok(ExitCode::SUCCESS);
    }

    let mode = if cfg.memory_only { "memory" } else { "mixed" };
    let log = cfg.dir.join(format!(
        "{mode}-v{}-{}MiB.log",
        mixed_log::GENERATOR_VERSION,
        cfg.mib
    ));
    println!("generating {} ({} MiB)...", log.display(), cfg.mib);
    let t = Instant::now();
    let (size, truth) = mixed_log::generate(
        &log,
        cfg.mib * 1024 * 1024,
        mixed_log::SEED,
        !cfg.memory_only,
    )
    .map_err(|e| format!("generating {}: {e}", log.display()))?;
    let kinds: BTreeSet<&str> = truth.planted.iter().map(|(k, _)| *k).collect();
    println!(
        "  {size} bytes in {:.1} s; {} unique planted values of {} types ({} occurrences), {} junk blocks",
        t.elapsed().as_secs_f64(),
        truth.planted.len(),
        kinds.len(),
        truth.occurrences.len(),
        truth.junk.len()
    );
    let truth_path = log.with_extension("truth.tsv");
    truth
        .write_tsv(&truth_path)
        .map_err(|e| format!("{}: {e}", truth_path.display()))?;
    if cfg.generate_only {
        println!("{}", log.display());
        return Ok(ExitCode::SUCCESS);
    }
    warm_cache(&log)?;

    let result = if cfg.memory_only {
        memory_mode(&cfg, &spoor, &log, size, cpus)
    } else {
        full_mode(&cfg, &spoor, &log, size, cpus, &truth, &truth_path)
    };
    if cfg.memory_only && !cfg.keep {
        let _ = std::fs::remove_file(&log);
    }
    result
}

/// The spoor binary: `SPOOR_BIN`, or `target/release/spoor` after `cargo build --release`.
fn spoor_binary(cfg: &Config) -> Result<PathBuf, String> {
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
        .current_dir(&cfg.root)
        .status()
        .map_err(|e| {
            format!("cannot run cargo ({e}); build with `cargo build --release` and set SPOOR_BIN")
        })?;
    if !status.success() {
        return Err("`cargo build --release --bin spoor` failed".into());
    }
    let dir = cfg.dir.parent().unwrap_or(&cfg.root);
    let bin = dir.join("release").join("spoor");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!("{} not found after building", bin.display()))
    }
}

/// Reads the file once so every tool starts with it in the page cache.
fn warm_cache(path: &Path) -> Result<(), String> {
    let mut f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    std::io::copy(&mut f, &mut std::io::sink()).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}

/// Runs `make()` `runs` times; keeps the fastest wall time and the highest peak RSS.
/// Exit codes other than those in `ok` are errors.
fn best_of(
    name: &str,
    runs: usize,
    dir: &Path,
    ok: &[i32],
    mut make: impl FnMut() -> Command,
) -> Result<Run, String> {
    let mut best: Option<Run> = None;
    for i in 0..runs {
        let out = dir.join("logs").join(format!("{name}.stdout"));
        let err = dir.join("logs").join(format!("{name}.stderr"));
        let r = measure::run_isolated(&make(), &out, &err)?;
        if !r.code.is_some_and(|c| ok.contains(&c)) {
            let msg = std::fs::read_to_string(&err).unwrap_or_default();
            return Err(format!(
                "{name} failed (exit {:?}): {}",
                r.code,
                msg.lines().take(5).collect::<Vec<_>>().join(" / ")
            ));
        }
        println!(
            "  {name} run {}: {:.3} s, peak RSS {:.1} MiB",
            i + 1,
            r.wall.as_secs_f64(),
            r.peak_rss as f64 / MIB
        );
        best = Some(match best {
            None => r,
            Some(b) => Run {
                wall: b.wall.min(r.wall),
                peak_rss: b.peak_rss.max(r.peak_rss),
                code: r.code,
            },
        });
    }
    best.ok_or_else(|| format!("{name}: no run"))
}

fn spoor_row(
    cfg: &Config,
    spoor: &Path,
    log: &Path,
    size: u64,
    threads: usize,
    cpus: usize,
    runs: usize,
) -> Result<(Row, PathBuf), String> {
    let out = cfg.dir.join(format!("spoor-j{threads}.ndjson"));
    let name = format!("spoor-j{threads}");
    let r = best_of(&name, runs, &cfg.dir, &[0], || {
        let mut c = Command::new(spoor);
        c.arg("extract")
            .arg(log)
            .args(["-f", "ndjson", "-o"])
            .arg(&out)
            .args(["-j", &threads.to_string()]);
        c
    })?;
    let lines = std::fs::read_to_string(&out)
        .map(|s| s.lines().count() as u64)
        .ok();
    let label = if threads == 0 {
        format!("spoor -j 0 ({cpus} threads)")
    } else {
        format!("spoor -j {threads}")
    };
    Ok((
        Row {
            tool: label,
            command: format!("spoor extract FILE -f ndjson -o OUT -j {threads}"),
            bytes: size,
            seconds: r.wall.as_secs_f64(),
            peak_rss: r.peak_rss,
            count: lines,
            note: format!("best of {runs}, process wall time"),
            python: false,
            values: None,
        },
        out,
    ))
}

fn rg_row(cfg: &Config, log: &Path, size: u64) -> Result<Option<Row>, String> {
    if !measure::on_path("rg") {
        println!("  rg not found on PATH: skipped (bash benches/setup-peers.sh installs it)");
        return Ok(None);
    }
    // rg exits with 1 when nothing matches
    let r = best_of("rg", cfg.runs, &cfg.dir, &[0, 1], || {
        let mut c = Command::new("rg");
        c.args(["-c", "-j1", RG_IPV4]).arg(log);
        c
    })?;
    let count = std::fs::read_to_string(cfg.dir.join("logs/rg.stdout"))
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    Ok(Some(Row {
        tool: "ripgrep, one IPv4 regex".into(),
        command: format!("rg -c -j1 '{RG_IPV4}' FILE"),
        bytes: size,
        seconds: r.wall.as_secs_f64(),
        peak_rss: r.peak_rss,
        count,
        note: format!(
            "best of {}, process wall time, count = matching lines",
            cfg.runs
        ),
        python: false,
        values: None,
    }))
}

fn peer_rows(cfg: &Config, log: &Path, size: u64) -> Result<Vec<Row>, String> {
    let python = cfg.venv.join("bin").join("python");
    if !python.is_file() {
        println!(
            "  Python peers skipped: no venv at {} (run: bash benches/setup-peers.sh)",
            cfg.venv.display()
        );
        return Ok(Vec::new());
    }
    let driver = cfg.root.join("benches").join("peers.py");
    let max_bytes = cfg.peer_mib.map_or(0, |m| m * 1024 * 1024).min(size);
    let mut rows = Vec::new();
    for (label, peer, extra) in PEERS {
        let values = cfg.dir.join(format!("peer-{label}.txt"));
        let out = cfg.dir.join("logs").join(format!("{label}.stdout"));
        let err = cfg.dir.join("logs").join(format!("{label}.stderr"));
        let mut cmd = Command::new(&python);
        cmd.arg(&driver)
            .arg(peer)
            .arg(log)
            .args(extra)
            .arg("--max-bytes")
            .arg(max_bytes.to_string())
            .arg("--out")
            .arg(&values);
        println!("  {label}: running (this takes a while)...");
        let r = measure::run_isolated(&cmd, &out, &err)?;
        let stdout = std::fs::read_to_string(&out).unwrap_or_default();
        let report = stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok());
        let (Some(0), Some(report)) = (r.code, report) else {
            let msg = std::fs::read_to_string(&err).unwrap_or_default();
            let tail: Vec<&str> = msg.lines().rev().take(3).collect();
            println!(
                "  {label}: skipped, the driver failed (exit {:?}): {}",
                r.code,
                tail.join(" / ")
            );
            continue;
        };
        let seconds = report["seconds"].as_f64().unwrap_or(f64::NAN);
        let bytes = report["bytes"].as_u64().unwrap_or(0);
        let version = report["version"].as_str().unwrap_or("?");
        let how = report["how"].as_str().unwrap_or("");
        println!(
            "  {label} {version}: {:.1} s on {:.1} MiB, {} values, process wall {:.1} s, peak RSS {:.0} MiB",
            seconds,
            bytes as f64 / MIB,
            report["count"].as_u64().unwrap_or(0),
            r.wall.as_secs_f64(),
            r.peak_rss as f64 / MIB
        );
        rows.push(Row {
            tool: format!("{peer} {version}"),
            command: format!("peers.py {peer} {}", extra.join(" ")),
            bytes,
            seconds,
            peak_rss: r.peak_rss,
            count: report["count"].as_u64(),
            note: format!(
                "{how}; {} MiB {}; driver's own timing (no interpreter start-up or imports)",
                fmt_mib(bytes),
                if bytes < size { "prefix" } else { "whole file" }
            ),
            python: true,
            values: Some(values),
        });
    }
    Ok(rows)
}

fn fmt_mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / MIB)
}

#[allow(clippy::too_many_arguments)]
fn full_mode(
    cfg: &Config,
    spoor: &Path,
    log: &Path,
    size: u64,
    cpus: usize,
    truth: &GroundTruth,
    truth_path: &Path,
) -> Result<ExitCode, String> {
    println!(
        "measuring on {} ({:.1} MiB, {cpus} CPUs)",
        log.display(),
        size as f64 / MIB
    );
    let (j1, out1) = spoor_row(cfg, spoor, log, size, 1, cpus, cfg.runs)?;
    let (j0, out0) = spoor_row(cfg, spoor, log, size, 0, cpus, cfg.runs)?;
    let same_output = std::fs::read(&out1).ok() == std::fs::read(&out0).ok();
    let mut rows = vec![j1, j0];
    rows.extend(rg_row(cfg, log, size)?);
    rows.extend(peer_rows(cfg, log, size)?);

    // ---- quality: an unmeasured run keeping every sighting ---------------------------
    println!("  scoring: spoor extract FILE -f ndjson --max-sightings 0 (not timed)");
    let all_sightings = cfg.dir.join("spoor-all-sightings.ndjson");
    let r = measure::run_isolated(
        Command::new(spoor)
            .arg("extract")
            .arg(log)
            .args(["-f", "ndjson", "--max-sightings", "0", "-o"])
            .arg(&all_sightings),
        &cfg.dir.join("logs/spoor-quality.stdout"),
        &cfg.dir.join("logs/spoor-quality.stderr"),
    )?;
    if r.code != Some(0) {
        return Err(format!("spoor (quality run) failed with exit {:?}", r.code));
    }
    let reported = quality::read_ndjson(&all_sightings)?;
    let q = quality::score(truth, &reported, SHOW);

    // ---- recall of unique planted values, any type, lenient forms, for every tool -----
    let equivalents: Vec<Vec<String>> = truth
        .values
        .iter()
        .map(|(k, v)| quality::equivalents(k, v))
        .collect();
    let recall_of = |found: &BTreeSet<String>, within: u64| {
        let mut wanted = vec![false; truth.values.len()];
        if within >= size {
            wanted.iter_mut().for_each(|w| *w = true);
        } else {
            for o in truth.occurrences.iter().filter(|o| o.end <= within) {
                wanted[o.value as usize] = true;
            }
        }
        let total = wanted.iter().filter(|w| **w).count();
        let hit = (0..truth.values.len())
            .filter(|&i| wanted[i] && equivalents[i].iter().any(|e| found.contains(e)))
            .count();
        quality::ratio(hit, total)
    };
    let spoor_values: BTreeSet<String> = reported
        .iter()
        .map(|r| r.value.to_ascii_lowercase())
        .collect();
    let spoor_recall = recall_of(&spoor_values, size);
    let mut recalls = Vec::new();
    for r in &rows {
        let recall = match &r.values {
            Some(path) => {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                let found: BTreeSet<String> = text
                    .lines()
                    .map(|l| {
                        l.split_once('\t')
                            .map_or(l, |(_, v)| v)
                            .to_ascii_lowercase()
                    })
                    .collect();
                // a peer that read a prefix is scored on the values planted in it
                Some(recall_of(&found, r.bytes))
            }
            None if r.tool.starts_with("spoor") => Some(spoor_recall),
            None => None,
        };
        recalls.push(recall);
    }

    // ---- report ----------------------------------------------------------------------
    let fastest_py = rows
        .iter()
        .filter(|r| r.python)
        .map(Row::mib_s)
        .fold(f64::NAN, f64::max);
    let rg = rows
        .iter()
        .find(|r| r.tool.starts_with("ripgrep"))
        .map(Row::mib_s);
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# spoor extraction benchmark\n\nFile: `{}`: {:.1} MiB mixed log (generator v{}, seed {:#x}), {} unique planted values; {cpus} CPUs. \
         Ground truth: `{}`.\n",
        log.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        size as f64 / MIB,
        mixed_log::GENERATOR_VERSION,
        mixed_log::SEED,
        truth.planted.len(),
        truth_path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    );
    md.push_str("| tool | input MiB | MiB/s | peak RSS MiB | × fastest Python peer | × rg | values | planted values found | note |\n");
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (r, recall) in rows.iter().zip(&recalls) {
        let ratio = |base: Option<f64>| match base {
            Some(b) if b.is_finite() && b > 0.0 => format!("{:.2}", r.mib_s() / b),
            _ => "–".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {:.2} | {:.1} | {} | {} | {} | {} | {} |",
            r.tool,
            fmt_mib(r.bytes),
            r.mib_s(),
            r.peak_rss as f64 / MIB,
            ratio(Some(fastest_py)),
            ratio(rg),
            r.count.map_or("–".into(), |c| c.to_string()),
            recall.map_or("–".into(), |x| format!("{:.1}%", 100.0 * x)),
            r.note
        );
    }
    md.push_str(
        "\n\"planted values found\": share of the unique planted values that appear among the tool's values \
         (any type, case-insensitive, also accepting an address without its port or prefix, a long hive name, \
         a URL with or without a trailing slash; for a prefix run, of the values planted in the prefix). \
         Python peers: MiB/s from the driver's own timing of decoding + extraction.\n",
    );
    let j1 = &rows[0];
    let mut targets = Vec::new();
    if fastest_py.is_finite() {
        let x = j1.mib_s() / fastest_py;
        targets.push(format!(
            "one thread vs fastest Python peer: {x:.0}× (target ≥ 200×): {}",
            verdict(x >= 200.0)
        ));
    }
    if let Some(rg) = rg {
        let x = j1.mib_s() / rg;
        targets.push(format!(
            "one thread vs ripgrep: {x:.2}× (target ≥ 0.5×): {}",
            verdict(x >= 0.5)
        ));
    }
    targets.push(format!(
        "output identical with -j 1 and -j 0: {}",
        verdict(same_output)
    ));
    md.push_str("\nTargets (issue 2):\n");
    for t in &targets {
        let _ = writeln!(md, "- {t}");
    }

    let tot = q.totals();
    let _ = writeln!(
        md,
        "\n## Quality of spoor's output against the ground truth\n\n\
         Recall of planted occurrences {}/{} ({:.2}%), of unique values {}/{} ({:.2}%); \
         {} reported values neither planted nor deliberately present (plus {} seen only inside random binary junk). \
         An occurrence counts as found when spoor reports the value with a sighting inside its record.\n",
        tot.occurrences_found,
        tot.occurrences,
        100.0 * quality::ratio(tot.occurrences_found, tot.occurrences),
        tot.found,
        tot.planted,
        100.0 * quality::ratio(tot.found, tot.planted),
        tot.unexpected,
        tot.unexpected_junk
    );
    md.push_str("| type | occurrences | recall | unique planted | unique found | recall | reported | unexpected | unexpected, junk only |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let pct = |x: f64| {
        if x.is_finite() {
            format!("{:.2}%", 100.0 * x)
        } else {
            "–".into()
        }
    };
    for t in &q.per_type {
        if t.planted == 0 && t.reported == 0 {
            continue;
        }
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            t.kind,
            t.occurrences,
            pct(t.occurrence_recall()),
            t.planted,
            t.found,
            pct(t.recall()),
            t.reported,
            t.unexpected,
            t.unexpected_junk
        );
    }
    md.push_str("\nOccurrence recall per kind of record: ");
    let per_record: Vec<String> = q
        .per_record
        .iter()
        .map(|(rec, (p, f))| format!("{rec} {}", pct(quality::ratio(*f, *p))))
        .collect();
    md.push_str(&per_record.join(", "));
    md.push('\n');
    let mut details = String::new();
    for t in &q.per_type {
        if !t.missed_occurrences.is_empty() {
            let by_rec: Vec<String> = t
                .missed_by_record
                .iter()
                .map(|(r, n)| format!("{r} {n}"))
                .collect();
            let _ = writeln!(
                details,
                "\n### {} missed occurrences: {} ({}); values never reported: {}\n",
                t.kind,
                t.occurrences - t.occurrences_found,
                by_rec.join(", "),
                t.misses.len()
            );
            for m in &t.missed_occurrences {
                let line = quality::miss_line(log, m, 360)?;
                let _ = writeln!(
                    details,
                    "- `{}` ({}, byte {})\n  `{}`",
                    m.value,
                    m.record,
                    m.start,
                    line.replace('`', "'")
                );
            }
        }
        if !t.unexpected_examples.is_empty() {
            let _ = writeln!(
                details,
                "\n### {} unexpected ({})\n",
                t.kind,
                t.unexpected_examples.len()
            );
            for (v, ctx) in t.unexpected_examples.iter().take(SHOW) {
                let _ = writeln!(details, "- `{v}` in `{}`", ctx.replace('`', "'"));
            }
        }
    }
    if !q.benign_reported.is_empty() {
        let _ = writeln!(
            details,
            "\n### allowlisted names reported\n\n{}",
            q.benign_reported
                .iter()
                .map(|(k, v)| format!("- {k} `{v}`"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if !q.noise_hits.is_empty() {
        let _ = writeln!(details, "\n### noise read as indicators\n");
        for (noise, k, v) in q.noise_hits.iter().take(20) {
            let _ = writeln!(details, "- `{noise}` → {k} `{v}`");
        }
    }
    md.push_str(&details);
    let report_score = reports::score(spoor, &cfg.root, &cfg.dir)?;
    md.push('\n');
    md.push_str(&reports::markdown(&report_score));
    println!("\n{md}");

    let md_path = cfg.dir.join("extract.md");
    std::fs::write(&md_path, &md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    let doc = json!({
        "file": {
            "path": log.display().to_string(),
            "bytes": size,
            "generator_version": mixed_log::GENERATOR_VERSION,
            "seed": mixed_log::SEED,
            "planted_unique": truth.planted.len(),
            "truth": truth_path.display().to_string(),
        },
        "cpus": cpus,
        "results": rows.iter().zip(&recalls).map(|(r, recall)| json!({
            "planted_values_found": recall,
            "tool": r.tool,
            "command": r.command,
            "bytes": r.bytes,
            "seconds": r.seconds,
            "mib_per_s": r.mib_s(),
            "peak_rss_bytes": r.peak_rss,
            "count": r.count,
            "ratio_vs_fastest_python": if fastest_py.is_finite() { Some(r.mib_s() / fastest_py) } else { None },
            "ratio_vs_rg": rg.map(|x| r.mib_s() / x),
            "note": r.note,
        })).collect::<Vec<_>>(),
        "targets": targets,
        "same_output_j1_j0": same_output,
        "quality": {
            "occurrences": tot.occurrences,
            "occurrences_found": tot.occurrences_found,
            "planted": tot.planted,
            "found": tot.found,
            "unexpected": tot.unexpected,
            "unexpected_junk_only": tot.unexpected_junk,
            "per_record": q.per_record.iter().map(|(r, (p, f))| json!({"record": r, "occurrences": p, "found": f})).collect::<Vec<_>>(),
            "per_type": q.per_type.iter().map(|t| json!({
                "type": t.kind,
                "occurrences": t.occurrences,
                "occurrences_found": t.occurrences_found,
                "missed_by_record": t.missed_by_record,
                "missed_occurrences": t.missed_occurrences.iter().map(|m| json!({"value": m.value, "record": m.record, "start": m.start, "end": m.end})).collect::<Vec<_>>(),
                "planted": t.planted,
                "found": t.found,
                "reported": t.reported,
                "unexpected": t.unexpected,
                "unexpected_junk_only": t.unexpected_junk,
                "misses": t.misses,
                "unexpected_values": t.unexpected_examples.iter().map(|(v, c)| json!({"value": v, "context": c})).collect::<Vec<_>>(),
                "junk_values": t.junk_examples,
            })).collect::<Vec<_>>(),
            "allowlisted_reported": q.benign_reported,
            "noise_hits": q.noise_hits,
        },
        "reports": reports::json(&report_score),
    });
    write_json(&cfg.dir.join("extract.json"), &doc)?;
    println!(
        "wrote {} and {}",
        md_path.display(),
        cfg.dir.join("extract.json").display()
    );
    Ok(ExitCode::SUCCESS)
}

fn memory_mode(
    cfg: &Config,
    spoor: &Path,
    log: &Path,
    size: u64,
    cpus: usize,
) -> Result<ExitCode, String> {
    println!(
        "memory mode on {} ({:.1} MiB, {cpus} CPUs)",
        log.display(),
        size as f64 / MIB
    );
    let (j1, _) = spoor_row(cfg, spoor, log, size, 1, cpus, 1)?;
    let (j0, _) = spoor_row(cfg, spoor, log, size, 0, cpus, 1)?;
    let mut md = format!(
        "# spoor peak memory on a large input\n\nFile: {:.1} MiB mixed log (generator v{}), {cpus} CPUs; target: peak RSS under {RSS_TARGET_MB} MB.\n\n\
         | run | MiB/s | peak RSS MiB | peak RSS MB | under {RSS_TARGET_MB} MB |\n|---|---:|---:|---:|---|\n",
        size as f64 / MIB,
        mixed_log::GENERATOR_VERSION
    );
    let mut all_ok = true;
    for r in [&j1, &j0] {
        let mb = r.peak_rss as f64 / 1e6;
        all_ok &= mb < RSS_TARGET_MB;
        let _ = writeln!(
            md,
            "| {} | {:.1} | {:.1} | {:.1} | {} |",
            r.tool,
            r.mib_s(),
            r.peak_rss as f64 / MIB,
            mb,
            verdict(mb < RSS_TARGET_MB)
        );
    }
    println!("\n{md}");
    let md_path = cfg.dir.join("extract-memory.md");
    std::fs::write(&md_path, &md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    let results: Vec<serde_json::Value> = [&j1, &j0]
        .iter()
        .map(|r| {
            json!({
                "tool": r.tool,
                "seconds": r.seconds,
                "mib_per_s": r.mib_s(),
                "peak_rss_bytes": r.peak_rss,
                "under_target": (r.peak_rss as f64 / 1e6) < RSS_TARGET_MB,
            })
        })
        .collect();
    let doc = json!({
        "bytes": size,
        "cpus": cpus,
        "target_mb": RSS_TARGET_MB,
        "results": results,
        "all_under_target": all_ok,
    });
    write_json(&cfg.dir.join("extract-memory.json"), &doc)?;
    println!("wrote {}", md_path.display());
    Ok(ExitCode::SUCCESS)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

fn write_json(path: &Path, doc: &serde_json::Value) -> Result<(), String> {
    let text = serde_json::to_string_pretty(doc).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))
}
