//! High-cardinality extraction benchmark: `cargo bench --bench extract_cardinality`
//! (issue 16).
//!
//! Generates a deterministic log where most lines carry indicators never seen before
//! (proxy, DNS, firewall, EDR, mail and IPv6 flow lines; well over a million distinct
//! indicators per 100 MiB) under `target/bench/`, then, on that same file in the same
//! run, measures wall time (MiB/s) and peak RSS of:
//! - `spoor extract -j 1` with `-f ndjson`, `-f text`, `-f json` (default sightings cap,
//!   default memory limit) and `-f ndjson --no-dedup` (best of `SPOOR_BENCH_RUNS`, 3);
//! - ripgrep counting one IPv4 regex (`rg -c -j1`), if `rg` is on PATH;
//! - the Python extractors through `benches/peers.py` (the venv of
//!   `benches/setup-peers.sh`), on a prefix of `SPOOR_BENCH_PEER_MIB` (default 10) MiB;
//!
//! and checks that a run with no memory limit gives the same bytes as the default (when
//! the default made spoor spill). The table goes to `target/bench/extract-cardinality.md`.
//!
//! Without a release `spoor` binary (`target/release/spoor` or `SPOOR_BIN`), the spoor
//! rows are measured through the library in this program's own child, making the calls
//! `spoor extract` makes (`cargo bench --bench extract_cardinality --no-default-features`
//! then builds no yara-x). `SPOOR_BENCH_LOW=1` also measures `-f ndjson` on the low-cardinality
//! mixed log of `cargo bench --bench extract` (its generator, same seed and size, generated
//! next to it if missing), for the two side by side in one run. `SPOOR_BENCH_ANALYZE=1`
//! also measures the analysis pipeline
//! (extraction, `iocs.json`, `report.md`; no rules) on the file, through the library.
//!
//! Environment: `SPOOR_BENCH_MIB` (default 20), `SPOOR_BENCH_PEER_MIB`,
//! `SPOOR_BENCH_RUNS`, `SPOOR_BENCH_VENV`, `SPOOR_BIN`, `SPOOR_BENCH_KEEP=1` (keep the
//! generated file), `SPOOR_BENCH_SKIP_PEERS=1`, `SPOOR_BENCH_COMPARE=0` (skip the
//! unlimited-memory comparison, which needs memory in proportion to the file).

#[path = "../extract/measure.rs"]
mod measure;
/// The low-cardinality log of the extract bench (`SPOOR_BENCH_LOW=1`).
#[allow(dead_code)]
#[path = "../extract/mixed_log.rs"]
mod mixed_log;

/// The allocator of the `spoor` binary, so that the library runs measured in this
/// program's child behave as the command does.
#[global_allocator]
static GLOBAL: spoor::alloc::Allocator<mimalloc::MiMalloc> =
    spoor::alloc::Allocator(mimalloc::MiMalloc);

/// First argument that makes this program run one extraction or analysis through the
/// library (see [`child_main`]).
const CHILD_FLAG: &str = "--library-child";

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const MIB: f64 = 1024.0 * 1024.0;
const RG_IPV4: &str = r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b";
const SEED: u64 = 0x16ca_4d11_a11e_2026;
const GENERATOR_VERSION: u32 = 1;
/// Python peers: label, name in `peers.py`, extra driver arguments.
const PEERS: [(&str, &str, &[&str]); 3] = [
    ("iocextract", "iocextract", &[]),
    (
        "ioc-finder-default",
        "ioc-finder",
        &["--ioc-finder-types", "default"],
    ),
    ("iocsearcher", "iocsearcher", &[]),
];

fn main() -> ExitCode {
    if let Some(code) = measure::launcher_main() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(CHILD_FLAG) {
        return match child_main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench extract_cardinality: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn env_u64(name: &str, default: u64) -> Result<u64, String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("{name}={v:?} is not a whole number")),
        _ => Ok(default),
    }
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1")
}

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn hex(&mut self, out: &mut String, digits: usize) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut left = digits;
        while left > 0 {
            let mut x = self.next();
            for _ in 0..left.min(16) {
                out.push(HEX[(x & 15) as usize] as char);
                x >>= 4;
            }
            left = left.saturating_sub(16);
        }
    }

    fn word(&mut self, out: &mut String, len: usize) {
        for _ in 0..len {
            out.push((b'a' + self.below(26) as u8) as char);
        }
    }
}

const TLDS: [&str; 3] = ["example.com", "example.net", "example.org"];
const WORDS: [&str; 8] = [
    "cdn", "api", "static", "img", "login", "update", "track", "files",
];

/// Writes `mib` MiB of high-cardinality log lines to `path`.
fn generate(path: &Path, mib: u64) -> std::io::Result<()> {
    let target = mib * 1024 * 1024;
    let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let mut rng = Rng(SEED);
    let mut line = String::with_capacity(512);
    let mut written = 0u64;
    let mut n = 0u64;
    while written < target {
        n += 1;
        line.clear();
        let secs = n / 50;
        let _ = write!(
            line,
            "2026-12-04T{:02}:{:02}:{:02}.{:03}Z ",
            (secs / 3600) % 24,
            (secs / 60) % 60,
            secs % 60,
            n % 1000
        );
        let tld = TLDS[rng.below(3) as usize];
        let word = WORDS[rng.below(8) as usize];
        match n % 6 {
            0 | 1 => {
                // proxy: a new host and URL, a client from the benchmarking range
                let _ = write!(
                    line,
                    "proxy squid: 198.{}.{}.{} TCP_MISS/200 {} GET http://",
                    18 + rng.below(2),
                    rng.below(256),
                    rng.below(256),
                    rng.below(90_000) + 300
                );
                rng.word(&mut line, 6);
                let _ = write!(line, "{n:x}.{word}.{tld}/");
                rng.word(&mut line, 5);
                line.push('/');
                rng.hex(&mut line, 12);
                let _ = writeln!(
                    line,
                    ".php?id={} - HIER_DIRECT/203.0.113.{} text/html",
                    rng.below(1 << 20),
                    rng.below(256)
                );
            }
            2 => {
                // DNS: a new name
                let _ = write!(
                    line,
                    "named[812]: client 198.{}.{}.{}#{} query: ",
                    18 + rng.below(2),
                    rng.below(256),
                    rng.below(256),
                    1024 + rng.below(60_000)
                );
                rng.word(&mut line, 8);
                let _ = writeln!(line, "{n:x}.{tld} IN A +E (192.0.2.53)");
            }
            3 => {
                // EDR: new digests and a new file path
                line.push_str("edr: event=file_create host=WS-");
                let _ = write!(line, "{:04} sha256=", rng.below(5000));
                rng.hex(&mut line, 64);
                line.push_str(" md5=");
                rng.hex(&mut line, 32);
                let _ = write!(
                    line,
                    " path=C:\\Users\\user{}\\AppData\\Local\\Temp\\",
                    rng.below(2000)
                );
                rng.hex(&mut line, 10);
                line.push_str(".exe\n");
            }
            4 => {
                // firewall: address and port pairs, mostly new
                let _ = writeln!(
                    line,
                    "fw01 kernel: DROP IN=eth0 SRC=198.{}.{}.{} DST=203.0.113.{}:{} PROTO=TCP SPT={} LEN=60",
                    18 + rng.below(2),
                    rng.below(256),
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(65_535),
                    1024 + rng.below(60_000)
                );
            }
            _ => {
                // mail and IPv6 flows: a new sender and a new address
                line.push_str("postfix/smtpd[2201]: from=<");
                rng.word(&mut line, 5);
                let _ = write!(line, "{n}@");
                rng.word(&mut line, 6);
                let _ = writeln!(
                    line,
                    ".{tld}> client=[2001:db8:{:x}:{:x}::{:x}] size={}",
                    rng.below(65_536),
                    rng.below(65_536),
                    1 + rng.below(65_535),
                    rng.below(100_000)
                );
            }
        }
        w.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    w.flush()
}

/// One run of what `spoor extract` or `spoor analyze` does, through the library:
/// `extract FORMAT NO_DEDUP(0|1) MEMORY_LIMIT INPUT OUTPUT` or `analyze INPUT OUTDIR`.
/// The same calls as the command's (extraction options, atomic output, the writers),
/// for when no release `spoor` binary is at hand (the library then builds without the
/// `yara` feature, and `analyze` makes no rules).
fn child_main(args: &[String]) -> Result<(), String> {
    use spoor::export::{self, OutputFormat, OutputOptions};
    use spoor::extract::{ExtractOptions, Extractor};
    match args {
        [mode, format, no_dedup, limit, input, output] if mode == "extract" => {
            let format = match format.as_str() {
                "json" => OutputFormat::Json,
                "ndjson" => OutputFormat::Ndjson,
                "csv" => OutputFormat::Csv,
                "text" => OutputFormat::Text,
                other => return Err(format!("unknown format {other}")),
            };
            let no_dedup = no_dedup == "1";
            let extractor = Extractor::new(ExtractOptions {
                threads: 1,
                max_sightings: match format {
                    _ if no_dedup => 0,
                    OutputFormat::Csv => 1,
                    _ => 10,
                },
                memory_limit: limit.parse().map_err(|_| format!("bad limit {limit}"))?,
                sightings: format != OutputFormat::Text,
                ..ExtractOptions::default()
            });
            let options = OutputOptions::default();
            let paths = [PathBuf::from(input)];
            if !paths[0].is_file() {
                // the library reports an unreadable input in its output; a measurement of
                // nothing must fail instead
                return Err(format!("{input}: no such file"));
            }
            let output = Path::new(output);
            let result = if no_dedup {
                spoor::output::write_to(Some(output), |w| {
                    let r = extractor.stream_paths(&paths, &mut |ioc| match format {
                        OutputFormat::Text => export::text::write_iocs([ioc], options, w),
                        _ => export::json::write_line(ioc, options, w),
                    });
                    match r.output_error {
                        Some(e) => Err(e),
                        None => Ok(()),
                    }
                })
            } else {
                let extraction = extractor.extract_paths_sorted(&paths);
                spoor::output::write_to(Some(output), |w| {
                    export::write_sorted(format, extraction, options, w).map(|_| ())
                })
            };
            result.map_err(|e| format!("{}: {e}", output.display()))
        }
        [mode, input, outdir] if mode == "analyze" => {
            use spoor::analyze::{analyze, AnalyzeOptions};
            use spoor::report::{markdown, AnalystReport, ReportOptions};
            let options = AnalyzeOptions {
                extract: ExtractOptions {
                    threads: 1,
                    max_bytes: 0,
                    ..ExtractOptions::default()
                },
                ..AnalyzeOptions::default()
            };
            let analysis = analyze(&[], &[PathBuf::from(input)], &options);
            let dir = Path::new(outdir);
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
            let iocs = dir.join("iocs.json");
            spoor::output::write_to(Some(&iocs), |w| match &analysis.iocs_json {
                Some(full) => std::io::copy(&mut full.reopen()?, w).map(|_| ()),
                None => export::write(
                    OutputFormat::Json,
                    &analysis.extraction,
                    OutputOptions::default(),
                    w,
                ),
            })
            .map_err(|e| e.to_string())?;
            let report = AnalystReport::build(
                &analysis,
                &ReportOptions {
                    date: "2026-12-04".into(),
                    origin: None,
                    title: None,
                    ..Default::default()
                },
            );
            let md = markdown::render(&report).map_err(|e| e.to_string())?;
            std::fs::write(dir.join("report.md"), md).map_err(|e| e.to_string())
        }
        _ => Err(format!(
            "usage: {CHILD_FLAG} extract FORMAT NO_DEDUP LIMIT IN OUT | analyze IN OUTDIR"
        )),
    }
}

/// The command that runs one extraction: the `spoor` binary when there is one, else this
/// program as a library child.
fn extract_command(
    spoor: Option<&Path>,
    log: &Path,
    args: &[&str],
    limit: Option<&str>,
    out: &Path,
) -> Command {
    match spoor {
        Some(bin) => {
            let mut cmd = Command::new(bin);
            cmd.arg("extract").arg(log).args(args).arg("-j").arg("1");
            if let Some(l) = limit {
                cmd.arg("--memory-limit").arg(l);
            }
            cmd.arg("-o").arg(out);
            cmd
        }
        None => {
            let exe =
                std::env::current_exe().unwrap_or_else(|_| PathBuf::from("extract_cardinality"));
            let mut cmd = Command::new(exe);
            let format = args.get(1).copied().unwrap_or("json");
            let no_dedup = if args.contains(&"--no-dedup") {
                "1"
            } else {
                "0"
            };
            let limit = match limit {
                Some("0") => "0".to_string(),
                _ => spoor::extract::DEFAULT_MEMORY_LIMIT.to_string(),
            };
            cmd.arg(CHILD_FLAG)
                .args(["extract", format, no_dedup, &limit])
                .arg(log)
                .arg(out);
            cmd
        }
    }
}

struct Row {
    tool: String,
    bytes: u64,
    seconds: f64,
    peak_rss: u64,
    note: String,
    python: bool,
    /// Measured on another file (no ratios to the peers of this one).
    other_file: bool,
}

impl Row {
    fn mib_s(&self) -> f64 {
        self.bytes as f64 / MIB / self.seconds
    }
}

/// The best wall time of `runs` runs of `cmd`. `fresh`, the file the command writes, is
/// removed before each run (outside the timing), so that every run writes a new file as
/// the first one does: a run writing over the previous run's output would also wait for
/// the kernel to drop that file (about 6 ms for the 120 MB of `-f ndjson` on ext4).
fn best_of(
    runs: usize,
    dir: &Path,
    label: &str,
    cmd: &Command,
    fresh: Option<&Path>,
) -> Result<measure::Run, String> {
    let out = dir.join(format!("{label}.stdout"));
    let err = dir.join(format!("{label}.stderr"));
    let mut best: Option<measure::Run> = None;
    for _ in 0..runs.max(1) {
        if let Some(path) = fresh {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(format!("{}: {e}", path.display()));
                }
                _ => {}
            }
        }
        let r = measure::run_isolated(cmd, &out, &err)?;
        if r.code != Some(0) {
            let msg = std::fs::read_to_string(&err).unwrap_or_default();
            return Err(format!("{label}: exit {:?}: {}", r.code, msg.trim()));
        }
        if best.as_ref().is_none_or(|b| r.wall < b.wall) {
            best = Some(r);
        }
    }
    best.ok_or_else(|| "no run".to_string())
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let dir = target.join("bench");
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("{}: {e}", logs.display()))?;
    let mib = env_u64("SPOOR_BENCH_MIB", 20)?.max(1);
    let peer_mib = env_u64("SPOOR_BENCH_PEER_MIB", 10)?.min(mib);
    let runs = env_u64("SPOOR_BENCH_RUNS", 3)? as usize;
    let venv = std::env::var_os("SPOOR_BENCH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("venv"));
    let spoor = std::env::var_os("SPOOR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target.join("release").join("spoor"));
    let spoor = if spoor.is_file() {
        println!("spoor: {}", spoor.display());
        Some(spoor)
    } else {
        println!(
            "spoor: {} not found; measuring the library's extraction in this program's child instead",
            spoor.display()
        );
        None
    };
    let via = if spoor.is_some() {
        "spoor"
    } else {
        "spoor library"
    };
    let log = dir.join(format!("cardinality-v{GENERATOR_VERSION}-{mib}mib.log"));
    if !log.is_file() {
        println!("generating {} MiB at {}", mib, log.display());
        generate(&log, mib).map_err(|e| format!("{}: {e}", log.display()))?;
    }
    let size = std::fs::metadata(&log).map_err(|e| e.to_string())?.len();
    let mut rows: Vec<Row> = Vec::new();
    let mut distinct = None;
    let configs: [(&str, &[&str]); 4] = [
        ("ndjson", &["-f", "ndjson"]),
        ("text", &["-f", "text"]),
        ("json", &["-f", "json"]),
        ("ndjson-no-dedup", &["-f", "ndjson", "--no-dedup"]),
    ];
    for (label, args) in configs {
        let out = dir.join(format!("cardinality-out-{label}"));
        let cmd = extract_command(spoor.as_deref(), &log, args, None, &out);
        println!("spoor {label}: running");
        let r = best_of(runs, &logs, &format!("spoor-{label}"), &cmd, Some(&out))?;
        let out_size = std::fs::metadata(&out).map_or(0, |m| m.len());
        if label == "text" {
            distinct = count_lines(&out);
        }
        let row = Row {
            tool: format!("{via} `-j 1 {}`", args.join(" ")),
            bytes: size,
            seconds: r.wall.as_secs_f64(),
            peak_rss: r.peak_rss,
            note: format!("{:.0} MB written", out_size as f64 / 1e6),
            python: false,
            other_file: false,
        };
        println!(
            "  {:.1} MiB/s, peak RSS {:.0} MiB, {}",
            row.mib_s(),
            row.peak_rss as f64 / MIB,
            row.note
        );
        rows.push(row);
        if label == "ndjson" && std::env::var("SPOOR_BENCH_COMPARE").as_deref() != Ok("0") {
            compare_unlimited(spoor.as_deref(), &log, &out, &logs)?;
        }
        let _ = std::fs::remove_file(&out);
    }
    if flag("SPOOR_BENCH_LOW") {
        rows.push(low_cardinality_row(
            spoor.as_deref(),
            via,
            &dir,
            &logs,
            mib,
            runs,
        )?);
    }
    if flag("SPOOR_BENCH_ANALYZE") {
        let outdir = dir.join("cardinality-analyze");
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(exe);
        cmd.arg(CHILD_FLAG).arg("analyze").arg(&log).arg(&outdir);
        println!("analysis (library: extraction, report; no rules): running");
        let r = best_of(1, &logs, "analyze", &cmd, None)?;
        let report = std::fs::read_to_string(outdir.join("report.md")).unwrap_or_default();
        let iocs_size = std::fs::metadata(outdir.join("iocs.json")).map_or(0, |m| m.len());
        let row = Row {
            tool: "spoor library analysis (IOCs, report.md, iocs.json; no rules)".into(),
            bytes: size,
            seconds: r.wall.as_secs_f64(),
            peak_rss: r.peak_rss,
            note: format!(
                "report.md {:.0} KB, iocs.json {:.0} MB",
                report.len() as f64 / 1e3,
                iocs_size as f64 / 1e6
            ),
            python: false,
            other_file: false,
        };
        println!(
            "  {:.1} s, peak RSS {:.0} MiB, {}",
            row.seconds,
            row.peak_rss as f64 / MIB,
            row.note
        );
        rows.push(row);
    }
    if measure::on_path("rg") {
        let mut cmd = Command::new("rg");
        cmd.arg("-c").arg("-j1").arg(RG_IPV4).arg(&log);
        println!("ripgrep: running");
        let r = best_of(runs, &logs, "rg", &cmd, None)?;
        rows.push(Row {
            tool: "ripgrep, one IPv4 regex (`rg -c -j1`)".into(),
            bytes: size,
            seconds: r.wall.as_secs_f64(),
            peak_rss: r.peak_rss,
            note: String::new(),
            python: false,
            other_file: false,
        });
    } else {
        println!("ripgrep skipped: rg not on PATH");
    }
    if !flag("SPOOR_BENCH_SKIP_PEERS") {
        rows.extend(peer_rows(
            &root,
            &venv,
            &logs,
            &log,
            peer_mib * 1024 * 1024,
        )?);
    }
    let table = render(&rows, mib, distinct);
    println!("\n{table}");
    let md = dir.join(format!("extract-cardinality-{mib}mib.md"));
    std::fs::write(&md, &table).map_err(|e| format!("{}: {e}", md.display()))?;
    println!("written to {}", md.display());
    if !flag("SPOOR_BENCH_KEEP") {
        let _ = std::fs::remove_file(&log);
    }
    Ok(())
}

/// `-f ndjson -j 1` on the extract bench's low-cardinality mixed log of `mib` MiB.
fn low_cardinality_row(
    spoor: Option<&Path>,
    via: &str,
    dir: &Path,
    logs: &Path,
    mib: u64,
    runs: usize,
) -> Result<Row, String> {
    let log = dir.join(format!(
        "mixed-v{}-{mib}MiB.log",
        mixed_log::GENERATOR_VERSION
    ));
    if !log.is_file() {
        println!("generating the low-cardinality log at {}", log.display());
        mixed_log::generate(&log, mib * 1024 * 1024, mixed_log::SEED, false)
            .map_err(|e| format!("{}: {e}", log.display()))?;
    }
    let size = std::fs::metadata(&log).map_err(|e| e.to_string())?.len();
    let out = dir.join("cardinality-out-low");
    let cmd = extract_command(spoor, &log, &["-f", "ndjson"], None, &out);
    println!("spoor ndjson on the low-cardinality log: running");
    let r = best_of(runs, logs, "spoor-low", &cmd, Some(&out))?;
    let out_size = std::fs::metadata(&out).map_or(0, |m| m.len());
    let _ = std::fs::remove_file(&out);
    let row = Row {
        tool: format!("{via} `-j 1 -f ndjson`, low-cardinality log"),
        bytes: size,
        seconds: r.wall.as_secs_f64(),
        peak_rss: r.peak_rss,
        note: format!(
            "the extract bench's mixed log ({mib} MiB, another file); {:.0} MB written",
            out_size as f64 / 1e6
        ),
        python: false,
        other_file: true,
    };
    println!(
        "  {:.1} MiB/s, peak RSS {:.0} MiB",
        row.mib_s(),
        row.peak_rss as f64 / MIB
    );
    Ok(row)
}

fn count_lines(path: &Path) -> Option<u64> {
    use std::io::Read;
    let mut f = File::open(path).ok()?;
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let got = f.read(&mut buf).ok()?;
        if got == 0 {
            return Some(n);
        }
        n += buf[..got].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// Runs `-f ndjson` with no memory limit and checks that its bytes equal `spilled`'s.
fn compare_unlimited(
    spoor: Option<&Path>,
    log: &Path,
    spilled: &Path,
    logs: &Path,
) -> Result<(), String> {
    let unlimited = spilled.with_extension("unlimited");
    let cmd = extract_command(spoor, log, &["-f", "ndjson"], Some("0"), &unlimited);
    println!("spoor ndjson with --memory-limit 0 (for the comparison): running");
    let r = best_of(1, logs, "spoor-unlimited", &cmd, Some(&unlimited))?;
    let same = files_equal(spilled, &unlimited).map_err(|e| format!("comparing outputs: {e}"))?;
    let _ = std::fs::remove_file(&unlimited);
    println!(
        "  default memory limit and no limit give {} output (no limit: peak RSS {:.0} MiB)",
        if same { "the same" } else { "DIFFERENT" },
        r.peak_rss as f64 / MIB
    );
    if same {
        Ok(())
    } else {
        Err("outputs differ between the default memory limit and no limit".into())
    }
}

fn files_equal(a: &Path, b: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::io::BufReader::new(File::open(a)?),
        std::io::BufReader::new(File::open(b)?),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = read_full(&mut fa, &mut ba)?;
        let nb = read_full(&mut fb, &mut bb)?;
        if na != nb || ba[..na] != bb[..nb] {
            return Ok(false);
        }
        if na == 0 {
            return Ok(true);
        }
    }

    fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let got = r.read(&mut buf[n..])?;
            if got == 0 {
                break;
            }
            n += got;
        }
        Ok(n)
    }
}

fn peer_rows(
    root: &Path,
    venv: &Path,
    logs: &Path,
    log: &Path,
    max_bytes: u64,
) -> Result<Vec<Row>, String> {
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        println!(
            "Python peers skipped: no venv at {} (run: bash benches/setup-peers.sh)",
            venv.display()
        );
        return Ok(Vec::new());
    }
    let driver = root.join("benches").join("peers.py");
    let mut rows = Vec::new();
    for (label, peer, extra) in PEERS {
        let out = logs.join(format!("card-{label}.stdout"));
        let err = logs.join(format!("card-{label}.stderr"));
        let mut cmd = Command::new(&python);
        cmd.arg(&driver)
            .arg(peer)
            .arg(log)
            .args(extra)
            .arg("--max-bytes")
            .arg(max_bytes.to_string());
        println!("{label}: running (this takes a while)...");
        let r = measure::run_isolated(&cmd, &out, &err)?;
        let stdout = std::fs::read_to_string(&out).unwrap_or_default();
        let report = stdout
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok());
        let (Some(0), Some(report)) = (r.code, report) else {
            println!("  {label}: skipped, the driver failed (exit {:?})", r.code);
            continue;
        };
        let seconds = report["seconds"].as_f64().unwrap_or(f64::NAN);
        let bytes = report["bytes"].as_u64().unwrap_or(0);
        let version = report["version"].as_str().unwrap_or("?");
        let row = Row {
            tool: format!(
                "{peer} {version}{}",
                if extra.is_empty() {
                    ""
                } else {
                    " (default types)"
                }
            ),
            bytes,
            seconds,
            peak_rss: r.peak_rss,
            note: format!(
                "{:.1} MiB prefix; {} values; driver's own timing",
                bytes as f64 / MIB,
                report["count"].as_u64().unwrap_or(0)
            ),
            python: true,
            other_file: false,
        };
        println!(
            "  {:.2} MiB/s, peak RSS {:.0} MiB",
            row.mib_s(),
            row.peak_rss as f64 / MIB
        );
        rows.push(row);
    }
    Ok(rows)
}

fn render(rows: &[Row], mib: u64, distinct: Option<u64>) -> String {
    let fastest_py = rows
        .iter()
        .filter(|r| r.python)
        .map(Row::mib_s)
        .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))));
    let rg = rows
        .iter()
        .find(|r| r.tool.starts_with("ripgrep"))
        .map(Row::mib_s);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "High-cardinality log, {mib} MiB, {} distinct indicators (spoor `-f text` lines)\n",
        distinct.map_or("?".to_string(), |d| d.to_string())
    );
    t.push_str("| tool | MiB/s | peak RSS | × fastest Python peer | × ripgrep | note |\n");
    t.push_str("|---|---:|---:|---:|---:|---|\n");
    for r in rows {
        let ratio = |base: Option<f64>| match base {
            Some(b) if !r.other_file => format!("{:.0}×", r.mib_s() / b),
            _ => String::new(),
        };
        let _ = writeln!(
            t,
            "| {} | {:.2} | {:.0} MiB | {} | {} | {} |",
            r.tool,
            r.mib_s(),
            r.peak_rss as f64 / MIB,
            ratio(fastest_py),
            if r.python || r.other_file {
                String::new()
            } else {
                rg.map_or(String::new(), |b| format!("{:.2}×", r.mib_s() / b))
            },
            r.note
        );
    }
    t
}
