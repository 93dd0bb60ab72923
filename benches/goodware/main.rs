//! Goodware index and rule generation benchmark (`cargo bench --bench goodware`).
//!
//! Builds an index from `SPOOR_BENCH_GOODWARE` (colon-separated paths; default: the bundled
//! benign corpus plus this machine's `/usr/bin` and `/usr/lib/x86_64-linux-gnu`) with the
//! release `spoor` binary as a child process, and measures: build speed (files/s, MiB/s),
//! peak memory, index size per million strings, open time, lookups per second, and the
//! time and memory of `spoor rules` per corpus sample (each run through a launcher, so
//! that its peak memory is its own; see `measure.rs`). yarGen's figures from
//! `../shared/BENCHMARKS.md` (same kind of machine) give the ratios. Results go to stdout
//! and `target/bench/goodware.md`.

#[path = "../extract/measure.rs"]
mod measure;

use spoor::goodware::{self, Index};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// yarGen v0.25.0 on 357 PE files (362 MB): DB build time, peak RSS, strings.
const YARGEN_BUILD_S: f64 = 20.5;
const YARGEN_BUILD_FILES: f64 = 357.0;
const YARGEN_BUILD_MB: f64 = 362.0;
const YARGEN_BUILD_RSS_MB: f64 = 291.0;
const YARGEN_STRINGS: f64 = 540_570.0;
/// yarGen rules for one sample: median seconds (0.64–0.74) and peak RSS (MiB).
const YARGEN_RULE_S: f64 = 0.69;
const YARGEN_RULE_RSS_MIB: f64 = 201.0;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn goodware_paths() -> Vec<PathBuf> {
    match std::env::var("SPOOR_BENCH_GOODWARE") {
        Ok(v) if !v.is_empty() => v.split(':').map(PathBuf::from).collect(),
        _ => {
            let mut v = vec![root().join("corpus/benign")];
            for p in ["/usr/bin", "/usr/lib/x86_64-linux-gnu"] {
                if Path::new(p).is_dir() {
                    v.push(PathBuf::from(p));
                }
            }
            v
        }
    }
}

fn files_of(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn main() {
    if let Some(code) = measure::launcher_main() {
        std::process::exit(code);
    }
    if std::env::args().any(|a| a == "--list") {
        println!("goodware: bench");
        return;
    }
    let out_dir = root().join("target/bench");
    let _ = std::fs::create_dir_all(&out_dir);
    let work = tempfile::tempdir().expect("tempdir");
    let spoor = env!("CARGO_BIN_EXE_spoor");
    let idx = work.path().join("goodware.idx");
    let paths = goodware_paths();
    let mut report = String::new();
    let _ = writeln!(report, "# goodware index and rule generation\n");
    let _ = writeln!(
        report,
        "goodware: {}\n",
        paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 1. Build.
    let mut cmd = Command::new(spoor);
    cmd.args(["goodware", "build"])
        .args(&paths)
        .arg("-o")
        .arg(&idx)
        .args(["--date", "2026-11-25"]);
    let run = measure::run(
        &mut cmd,
        &work.path().join("build.out"),
        &work.path().join("build.err"),
    )
    .expect("build run");
    let index = Index::open(&idx).expect("index opens");
    let m = index.meta().clone();
    let secs = run.wall.as_secs_f64();
    let files_s = m.files as f64 / secs;
    let mib_s = mib(m.bytes) / secs;
    let per_million = mib(index.size()) * 1e6 / m.strings.max(1) as f64;
    let yargen_files_s = YARGEN_BUILD_FILES / YARGEN_BUILD_S;
    let yargen_mb_s = YARGEN_BUILD_MB / YARGEN_BUILD_S;
    let _ = writeln!(
        report,
        "| measure | spoor | yarGen (BENCHMARKS.md) | ratio |"
    );
    let _ = writeln!(report, "|---|---:|---:|---:|");
    let _ = writeln!(
        report,
        "| build: files, MiB read, strings | {} files, {:.0} MiB, {} strings | 357 files, 362 MB, 540,570 strings | |",
        m.files,
        mib(m.bytes),
        m.strings
    );
    let _ = writeln!(
        report,
        "| build speed | {files_s:.0} files/s, {mib_s:.1} MiB/s ({secs:.1} s) | {yargen_files_s:.1} files/s, {yargen_mb_s:.1} MB/s | {:.1}× (files/s), {:.1}× (MiB/s) |",
        files_s / yargen_files_s,
        mib_s / yargen_mb_s
    );
    let build_rss = mib(run.peak_rss);
    let ours_build_per_m = build_rss / (m.strings.max(1) as f64 / 1e6);
    let yargen_build_per_m = YARGEN_BUILD_RSS_MB / (YARGEN_STRINGS / 1e6);
    let _ = writeln!(
        report,
        "| build peak RSS | {build_rss:.0} MiB ({ours_build_per_m:.0} MiB per million strings) | {YARGEN_BUILD_RSS_MB:.0} MB ({yargen_build_per_m:.0} MB per million) | {:.2}× per string |",
        ours_build_per_m / yargen_build_per_m
    );
    let _ = writeln!(
        report,
        "| index size | {:.1} MiB ({per_million:.1} MiB per million strings) | 913 MB database (2020) | |",
        mib(index.size())
    );

    // 2. Open time (mmap + checksum verification of every section), best of 5.
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let i = Index::open(&idx).expect("open");
        std::hint::black_box(i.meta().strings);
        best = best.min(t.elapsed());
    }
    let _ = writeln!(
        report,
        "| open (mmap + verify) | {:.1} ms | (loads the DB: most of 0.64–0.74 s) | |",
        best.as_secs_f64() * 1e3
    );

    // 3. Lookups: strings of the benign corpus (present) and the same with a suffix (absent).
    let mut probes: Vec<Vec<u8>> = Vec::new();
    for f in files_of(&root().join("corpus/benign")) {
        if let Ok(data) = std::fs::read(&f) {
            probes.extend(goodware::string_keys(&data).into_iter().take(400));
        }
    }
    let absent: Vec<Vec<u8>> = probes
        .iter()
        .map(|p| {
            let mut a = p.clone();
            a.extend_from_slice(b"\x01spoor");
            a
        })
        .collect();
    let t = Instant::now();
    let mut found = 0u64;
    let rounds = 5;
    for _ in 0..rounds {
        for p in probes.iter().chain(&absent) {
            found += u64::from(index.string_count(p) > 0);
        }
    }
    let n = (probes.len() + absent.len()) * rounds;
    let per_s = n as f64 / t.elapsed().as_secs_f64();
    let _ = writeln!(
        report,
        "| lookups | {:.2} M/s ({n} lookups, half present; {} hits) | | |",
        per_s / 1e6,
        found
    );

    // 4. Rules per sample with this index (child process: time and peak RSS).
    let samples = files_of(&root().join("corpus/malicious"));
    let mut times = Vec::new();
    let mut rss = 0u64;
    let mut peaks = Vec::new();
    for s in &samples {
        let mut cmd = Command::new(spoor);
        cmd.arg("rules")
            .arg(s)
            .arg("--goodware")
            .arg(&idx)
            .args(["--date", "2026-11-25"]);
        let r = measure::run_isolated(
            &cmd,
            &work.path().join("rules.out"),
            &work.path().join("rules.err"),
        )
        .expect("rules run");
        times.push(r.wall.as_secs_f64());
        rss = rss.max(r.peak_rss);
        peaks.push(r.peak_rss);
    }
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
    let _ = writeln!(
        report,
        "| rules for one sample (process, {} samples) | median {:.0} ms, max {:.0} ms | {:.2} s | {:.1}× faster |",
        samples.len(),
        median * 1e3,
        times.last().copied().unwrap_or(0.0) * 1e3,
        YARGEN_RULE_S,
        YARGEN_RULE_S / median.max(1e-9)
    );
    // The same samples in one run: one pass over the index for all of them.
    let mut cmd = Command::new(spoor);
    cmd.arg("rules")
        .arg(root().join("corpus/malicious"))
        .arg("--goodware")
        .arg(&idx)
        .args(["--date", "2026-11-25"]);
    let batch = measure::run_isolated(
        &cmd,
        &work.path().join("batch.out"),
        &work.path().join("batch.err"),
    )
    .expect("batch rules run");
    let per_sample = batch.wall.as_secs_f64() / samples.len().max(1) as f64;
    let _ = writeln!(
        report,
        "| rules for {} samples in one run | {:.2} s, {:.0} ms per sample, peak {:.0} MiB | {:.2} s per sample | {:.1}× faster |",
        samples.len(),
        batch.wall.as_secs_f64(),
        per_sample * 1e3,
        mib(batch.peak_rss),
        YARGEN_RULE_S,
        YARGEN_RULE_S / per_sample.max(1e-9)
    );
    // The same runs with the small index shipped inside spoor: what the process needs
    // without a large index (code, yara-x compiling the rule, the sample).
    let mut index_rss = 0u64;
    for (s, peak) in samples.iter().zip(&peaks) {
        let mut cmd = Command::new(spoor);
        cmd.arg("rules").arg(s).args(["--date", "2026-11-25"]);
        let r = measure::run_isolated(
            &cmd,
            &work.path().join("rules.out"),
            &work.path().join("rules.err"),
        )
        .expect("rules run with the shipped index");
        index_rss = index_rss.max(peak.saturating_sub(r.peak_rss));
    }
    let rss_mib = mib(rss);
    let million = m.strings.max(1) as f64 / 1e6;
    let yargen_per_m = YARGEN_RULE_RSS_MIB / (YARGEN_STRINGS / 1e6);
    let ours_per_m = rss_mib / million;
    let _ = writeln!(
        report,
        "| rules peak RSS, whole process | {rss_mib:.0} MiB ({ours_per_m:.0} MiB per million index strings) | {YARGEN_RULE_RSS_MIB:.0} MiB ({yargen_per_m:.0} MiB per million) | {:.3}× |",
        ours_per_m / yargen_per_m
    );
    let index_mib = mib(index_rss);
    let _ = writeln!(
        report,
        "| rules peak RSS due to the index (largest difference, sample by sample, from the run with the shipped index) | {index_mib:.0} MiB ({:.0} MiB per million index strings) | (whole process, as above) | {:.3}× |",
        index_mib / million,
        index_mib / million / yargen_per_m
    );
    print!("{report}");
    let _ = std::fs::write(out_dir.join("goodware.md"), &report);
}
