//! Triage benchmark: `cargo bench --bench triage` (issue 4).
//!
//! Generates deterministic synthetic PE files under `target/bench/` (a `.text` of code-like
//! bytes, an `.rdata` of strings, indicators, UTF-16LE text and tables, a `.data` of
//! random bytes; 10 MiB by default) and measures, in this process:
//! - wall time of `spoor::sample::triage_with` on the memory-mapped file (best and median
//!   of `SPOOR_BENCH_RUNS`, default 10), and its parts measured alone: the four digests,
//!   ssdeep, TLSH, the structure, the strings, the crypto constants, and the whole triage
//!   without IOC extraction;
//! - the same six hashes by their reference implementations (`hash_floor.py`: OpenSSL
//!   through Python's `hashlib`, py-tlsh, the `ssdeep` tool; installed by
//!   `benches/setup-peers.sh`, skipped with a note when missing), and from the faster of
//!   the two for each hash the least CPU time any triage needs before it reads a string;
//! - peak memory: a child process (this program with `--child FILE`) maps and triages
//!   files of 10 MiB, 100 MiB and 1000 MiB carrying the same 2 MiB of strings and
//!   indicators, the rest code-like and random bytes (whose chance strings the report
//!   lists up to its cap); its peak RSS (`VmHWM`, read by the child itself: `wait4` would
//!   also count this parent's peak) minus the file size is the memory beyond the mapped
//!   file, which must not grow with the file.
//!
//! Results: `target/bench/triage.md` and `triage.json`. Environment: `SPOOR_BENCH_MIB`
//! (size of the timed file, default 10), `SPOOR_BENCH_RUNS`, `SPOOR_BENCH_MEMORY_MIB`
//! (the memory sizes, default `10,100,1000`).

#[path = "../extract/measure.rs"]
mod measure;

use md5::Md5;
use serde_json::json;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use spoor::sample::{self, Mapped, TriageOptions};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// The allocator of the `spoor` binary, so that the figures are the command's.
#[global_allocator]
static GLOBAL: spoor::alloc::Allocator<mimalloc::MiMalloc> =
    spoor::alloc::Allocator(mimalloc::MiMalloc);

const MIB: usize = 1024 * 1024;
/// The target from issue 4 for a 10 MB PE.
const TARGET_MS: f64 = 50.0;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        return child(args.get(i + 1).map(PathBuf::from));
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench triage: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The memory-measurement child: map and triage one file, print a one-line summary.
fn child(path: Option<PathBuf>) -> ExitCode {
    let Some(path) = path else {
        return ExitCode::FAILURE;
    };
    let Ok(data) = Mapped::open(&path, u64::MAX) else {
        return ExitCode::FAILURE;
    };
    let t = sample::triage_with("child", &data, TriageOptions::default());
    println!("{} strings {} iocs", t.strings.len(), t.iocs.len());
    // The child's own peak: `wait4`'s figure also carries the parent's peak, which Linux
    // hands to a child that shares its memory until `exec` (as `posix_spawn` does).
    if let Some(kib) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
    {
        println!("peak {}", kib * 1024);
    }
    ExitCode::SUCCESS
}

/// splitmix64: the deterministic generator of the synthetic files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn put16(d: &mut [u8], at: usize, v: u16) {
    d[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(d: &mut [u8], at: usize, v: u32) {
    d[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(d: &mut [u8], at: usize, v: u64) {
    d[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// A PE32+ file of about `size` bytes: headers, `.text` (60%), `.rdata` (30%), `.data`.
/// The strings and indicators of `.rdata` fill at most `text_bytes` of it (the rest is
/// tables), so that files of different sizes can carry the same text.
fn synthetic_pe(size: usize, seed: u64, text_bytes: usize) -> Vec<u8> {
    let mut rng = Rng(seed);
    let align = |n: usize| n.div_ceil(0x200) * 0x200;
    let text_len = align(size * 6 / 10);
    let rdata_len = align(size * 3 / 10);
    let data_len = align(size.saturating_sub(0x400 + text_len + rdata_len).max(0x200));
    let mut out = vec![0u8; 0x400];
    // DOS header and PE signature.
    out[0..2].copy_from_slice(b"MZ");
    put32(&mut out, 0x3c, 0x80);
    out[0x80..0x84].copy_from_slice(b"PE\0\0");
    // COFF header.
    let coff = 0x84;
    put16(&mut out, coff, 0x8664);
    put16(&mut out, coff + 2, 3);
    put32(&mut out, coff + 4, 1_704_067_200);
    put16(&mut out, coff + 16, 240);
    put16(&mut out, coff + 18, 0x22);
    // Optional header (PE32+).
    let opt = coff + 20;
    let (text_rva, rdata_rva) = (0x1000usize, 0x1000 + text_len.div_ceil(0x1000) * 0x1000);
    let data_rva = rdata_rva + rdata_len.div_ceil(0x1000) * 0x1000;
    let image = data_rva + data_len.div_ceil(0x1000) * 0x1000;
    put16(&mut out, opt, 0x20b);
    put32(&mut out, opt + 4, text_len as u32);
    put32(&mut out, opt + 8, (rdata_len + data_len) as u32);
    put32(&mut out, opt + 16, text_rva as u32);
    put32(&mut out, opt + 20, text_rva as u32);
    put64(&mut out, opt + 24, 0x1_4000_0000);
    put32(&mut out, opt + 32, 0x1000);
    put32(&mut out, opt + 36, 0x200);
    put16(&mut out, opt + 40, 6);
    put16(&mut out, opt + 48, 6);
    put32(&mut out, opt + 56, image as u32);
    put32(&mut out, opt + 60, 0x400);
    put16(&mut out, opt + 68, 3);
    put16(&mut out, opt + 70, 0x8160);
    put64(&mut out, opt + 72, 0x10_0000);
    put64(&mut out, opt + 80, 0x1000);
    put64(&mut out, opt + 88, 0x10_0000);
    put64(&mut out, opt + 96, 0x1000);
    put32(&mut out, opt + 108, 16);
    // Section table.
    let mut raw = 0x400usize;
    for (i, (name, rva, len, flags)) in [
        (b".text\0\0\0", text_rva, text_len, 0x6000_0020u32),
        (b".rdata\0\0", rdata_rva, rdata_len, 0x4000_0040),
        (b".data\0\0\0", data_rva, data_len, 0xc000_0040),
    ]
    .into_iter()
    .enumerate()
    {
        let h = opt + 240 + i * 40;
        out[h..h + 8].copy_from_slice(name);
        put32(&mut out, h + 8, len as u32);
        put32(&mut out, h + 12, rva as u32);
        put32(&mut out, h + 16, len as u32);
        put32(&mut out, h + 20, raw as u32);
        put32(&mut out, h + 36, flags);
        raw += len;
    }
    // .text: bytes drawn from a skewed table, about 6 bits per byte like real code.
    const CODE: &[u8] = b"\x48\x89\x8b\xe8\x00\x00\x00\xff\x0f\x85\x74\xc3\x41\x4c\x24\x45\x31\xc0\x83\xec\x5d\x53\x57\x56\x90\xcc\x8d\x15\x05\x01\x02\x10";
    let start = out.len();
    out.reserve(text_len + rdata_len + data_len);
    while out.len() < start + text_len {
        let r = rng.next();
        for k in 0..8 {
            let b = (r >> (k * 8)) as u8;
            out.push(if b < 200 {
                CODE[usize::from(b) % CODE.len()]
            } else {
                b
            });
        }
    }
    out.truncate(start + text_len);
    // .rdata: strings, indicators (documentation ranges), UTF-16LE text and tables.
    let start = out.len();
    let mut n = 0u64;
    while out.len() < start + rdata_len {
        n += 1;
        let r = rng.next();
        let text = out.len() - start < text_bytes;
        match if text { r % 8 } else { 7 } {
            0 => out.extend_from_slice(
                format!("http://c{}.example.com/gate.php?id={n}\0", r % 97).as_bytes(),
            ),
            1 => out.extend_from_slice(format!("198.51.100.{}\0", r % 250).as_bytes()),
            2 => out.extend_from_slice(b"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\0"),
            3 => out.extend_from_slice(b"Error %d while reading %s\0\0\0"),
            4 => {
                for c in format!("C:\\Users\\Public\\cache{}.dat", r % 13).bytes() {
                    out.extend_from_slice(&[c, 0]);
                }
                out.extend_from_slice(&[0, 0]);
            }
            _ => {
                for _ in 0..8 {
                    out.extend_from_slice(&rng.next().to_le_bytes());
                }
            }
        }
    }
    out.truncate(start + rdata_len);
    // .data: an encrypted-looking blob.
    while out.len() < start + rdata_len + data_len {
        out.extend_from_slice(&rng.next().to_le_bytes());
    }
    out.truncate(start + rdata_len + data_len);
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Best and median of `runs` timings of `f`.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            ms(start.elapsed())
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[0], times[times.len() / 2])
}

/// CPU time of this process (all threads) so far, in ms.
fn cpu_now() -> f64 {
    // SAFETY: `timespec` is plain old data, filled in by the call.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: a valid clock id and a pointer to a live `timespec`.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6
}

/// CPU times (all threads) of `runs` runs of `f`, in ms, sorted: unlike wall time, they do
/// not depend on other load on the machine.
fn cpu_times<T>(runs: usize, mut f: impl FnMut() -> T) -> Vec<f64> {
    let mut times: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = cpu_now();
            std::hint::black_box(f());
            cpu_now() - start
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

/// Best CPU time of `runs` runs of `f`: for work on one thread, what it costs when nothing
/// else competes for the core.
fn best_cpu<T>(runs: usize, f: impl FnMut() -> T) -> f64 {
    cpu_times(runs, f)[0]
}

/// Median CPU time of `runs` runs of `f`: the work a parallel triage spreads over the cores.
fn cpu<T>(runs: usize, f: impl FnMut() -> T) -> f64 {
    let times = cpu_times(runs, f);
    times[times.len() / 2]
}

fn write_file(path: &Path, data: &[u8]) -> Result<(), String> {
    std::fs::write(path, data).map_err(|e| format!("{}: {e}", path.display()))
}

fn run() -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let env_num = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mib = env_num("SPOOR_BENCH_MIB", 10);
    let runs = env_num("SPOOR_BENCH_RUNS", 10);
    let path = dir.join(format!("triage-{mib}mib.exe"));
    write_file(&path, &synthetic_pe(mib * MIB, 1, usize::MAX))?;
    let data = Mapped::open(&path, u64::MAX).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = data.len();
    let report = sample::triage_with("bench", &data, TriageOptions::default());
    if report.pe.is_none() || report.iocs.is_empty() {
        return Err(format!(
            "the synthetic PE did not parse as expected: {:?}",
            report.warnings
        ));
    }
    println!(
        "triage of a {size} byte PE ({} sections, {} strings, {} IOCs, {} warnings), {runs} runs",
        report.sections.len(),
        report.strings.len(),
        report.iocs.len(),
        report.warnings.len()
    );
    let total = time(runs, || {
        sample::triage_with("bench", &data, TriageOptions::default())
    });
    let total_cpu = cpu(runs, || {
        sample::triage_with("bench", &data, TriageOptions::default())
    });
    let digests = time(runs, || {
        (
            Md5::digest(&data[..]),
            Sha1::digest(&data[..]),
            Sha256::digest(&data[..]),
            Sha512::digest(&data[..]),
        )
    });
    let ssdeep = time(runs, || sample::fuzzy::ssdeep(&data));
    let tlsh = time(runs, || sample::fuzzy::tlsh(&data));
    // Each hash alone, best CPU time, to compare with the reference implementations.
    let spoor_hashes = [
        ("md5", best_cpu(runs, || Md5::digest(&data[..]))),
        ("sha1", best_cpu(runs, || Sha1::digest(&data[..]))),
        ("sha256", best_cpu(runs, || Sha256::digest(&data[..]))),
        ("sha512", best_cpu(runs, || Sha512::digest(&data[..]))),
        ("ssdeep", best_cpu(runs, || sample::fuzzy::ssdeep(&data))),
        ("tlsh", best_cpu(runs, || sample::fuzzy::tlsh(&data))),
    ];
    let parse = time(runs, || sample::parse(&data, sample::sniff(&data)));
    let regions = sample::Regions::new(&report.sections);
    let code = [".text"];
    let strings = time(runs, || {
        sample::strings::scan(&data, 5, &regions, &code, |_| {})
    });
    let crypto = time(runs, || sample::crypto::find(&data, &regions));
    let no_iocs = time(runs, || {
        let options = TriageOptions {
            iocs: false,
            ..TriageOptions::default()
        };
        sample::triage_with("bench", &data, options)
    });

    // The same hashes by their reference implementations, in the same run.
    let references = reference_hashes(&root, &dir, &path, runs);

    // Memory beyond the mapped file, for several sizes (MiB; `SPOOR_BENCH_MEMORY_MIB`,
    // comma-separated): past the cap on listed strings it must stay flat.
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let sizes: Vec<usize> = std::env::var("SPOOR_BENCH_MEMORY_MIB")
        .ok()
        .map(|v| v.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 100, 1000]);
    let mut memory = Vec::new();
    for m in sizes {
        let p = dir.join(format!("triage-mem-{m}mib.exe"));
        write_file(&p, &synthetic_pe(m * MIB, 2, 2 * MIB))?;
        let r = measure::run(
            Command::new(&exe).arg("--child").arg(&p),
            &dir.join("triage-child.out"),
            &dir.join("triage-child.err"),
        )?;
        if r.code != Some(0) {
            return Err(format!("child on {} failed", p.display()));
        }
        let file = std::fs::metadata(&p).map(|x| x.len()).unwrap_or(0);
        // The child's own `VmHWM` when it could read it, else `wait4`'s figure.
        let out = std::fs::read_to_string(dir.join("triage-child.out")).unwrap_or_default();
        let peak = out
            .lines()
            .find_map(|l| l.strip_prefix("peak ")?.parse::<u64>().ok())
            .unwrap_or(r.peak_rss);
        let _ = std::fs::remove_file(&p);
        memory.push((m, file, peak, peak.saturating_sub(file), ms(r.wall)));
    }

    let threads = rayon::current_num_threads();
    let mut md = String::new();
    let _ = writeln!(md, "# spoor triage benchmark\n");
    let _ = writeln!(
        md,
        "Synthetic PE of {size} bytes (`.text` code-like, `.rdata` strings and indicators, \
         `.data` random), memory-mapped, {runs} runs, in process.\n"
    );
    let _ = writeln!(md, "| part | best ms | median ms |\n|---|---:|---:|");
    for (name, (best, median)) in [
        ("whole triage (`triage_with`)", total),
        ("MD5 + SHA-1 + SHA-256 + SHA-512, one thread", digests),
        ("ssdeep alone", ssdeep),
        ("TLSH alone", tlsh),
        ("structure (`parse`) alone", parse),
        ("strings (`strings::scan`) alone", strings),
        ("crypto constants alone", crypto),
        ("whole triage without IOC extraction", no_iocs),
    ] {
        let _ = writeln!(md, "| {name} | {best:.1} | {median:.1} |");
    }
    let _ = writeln!(
        md,
        "\nWhole triage, CPU time of all threads (median): {total_cpu:.1} ms on {} threads.",
        threads
    );
    let _ = writeln!(
        md,
        "\nTarget: well under {TARGET_MS} ms for a 10 MB PE (issue 4): {}.\n",
        if total.1 < TARGET_MS {
            "met"
        } else {
            "NOT met"
        }
    );
    let floor = hash_floor(&mut md, &spoor_hashes, &references, threads);
    let _ = writeln!(
        md,
        "Memory: files with the same 2 MiB of strings and indicators, the rest code and \
         random data.\n\n| file | peak RSS | beyond the mapped file | wall ms |\n|---|---:|---:|---:|"
    );
    for (m, file, rss, beyond, wall) in &memory {
        let _ = writeln!(
            md,
            "| {m} MiB ({file} bytes) | {:.1} MiB | {:.1} MiB | {wall:.0} |",
            *rss as f64 / MIB as f64,
            *beyond as f64 / MIB as f64
        );
    }
    print!("{md}");
    write_file(&dir.join("triage.md"), md.as_bytes())?;
    let j = json!({
        "size": size,
        "runs": runs,
        "triage_ms": {"best": total.0, "median": total.1},
        "triage_cpu_ms": total_cpu,
        "digests_ms": {"best": digests.0, "median": digests.1},
        "hashes_best_ms": spoor_hashes.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "reference_hashes": references,
        "hash_floor_cpu_ms": floor,
        "ssdeep_ms": {"best": ssdeep.0, "median": ssdeep.1},
        "tlsh_ms": {"best": tlsh.0, "median": tlsh.1},
        "parse_ms": {"best": parse.0, "median": parse.1},
        "strings_ms": {"best": strings.0, "median": strings.1},
        "crypto_ms": {"best": crypto.0, "median": crypto.1},
        "triage_without_iocs_ms": {"best": no_iocs.0, "median": no_iocs.1},
        "memory": memory.iter().map(|(m, file, rss, beyond, wall)| json!({
            "mib": m, "file_bytes": file, "peak_rss": rss, "beyond_file": beyond, "wall_ms": wall
        })).collect::<Vec<_>>(),
    });
    write_file(
        &dir.join("triage.json"),
        serde_json::to_string_pretty(&j)
            .map_err(|e| e.to_string())?
            .as_bytes(),
    )?;
    Ok(())
}

/// Best CPU ms of the reference implementations of the hashes (see `hash_floor.py`), run
/// with the peers' venv (`SPOOR_BENCH_VENV`, default `target/bench/venv`, made by
/// `benches/setup-peers.sh`); an empty object, with a note, when it cannot run.
fn reference_hashes(root: &Path, dir: &Path, file: &Path, runs: usize) -> serde_json::Value {
    let venv = std::env::var_os("SPOOR_BENCH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("venv"));
    let python = venv.join("bin").join("python");
    if !python.exists() {
        eprintln!(
            "bench triage: no venv at {} (run benches/setup-peers.sh): reference hashes skipped",
            venv.display()
        );
        return json!({});
    }
    let out = Command::new(&python)
        .arg(root.join("benches/triage/hash_floor.py"))
        .arg(file)
        .arg(runs.to_string())
        .output();
    match out {
        Ok(o) if o.status.success() => serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            eprintln!("bench triage: hash_floor.py printed no JSON ({e}): skipped");
            json!({})
        }),
        Ok(o) => {
            eprintln!(
                "bench triage: hash_floor.py failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            json!({})
        }
        Err(e) => {
            eprintln!("bench triage: {}: {e}", python.display());
            json!({})
        }
    }
}

/// Writes the table of spoor's hashes against their reference implementations and
/// returns the floor: the CPU ms the six hashes need at the best speed measured for each.
/// Divided by the threads, it is the least wall time a triage can take before anything
/// but hashing.
fn hash_floor(
    md: &mut String,
    spoor: &[(&str, f64)],
    references: &serde_json::Value,
    threads: usize,
) -> f64 {
    let _ = writeln!(
        md,
        "Hashes triage must compute, best CPU ms of each on one thread, against their \
         reference implementations in the same run:\n\n| hash | spoor | reference | implementation |\n\
         |---|---:|---:|---|"
    );
    let mut floor = 0.0;
    for &(name, ours) in spoor {
        let reference = &references[name];
        let theirs = reference["ms"].as_f64();
        let _ = writeln!(
            md,
            "| {name} | {ours:.1} | {} | {} |",
            theirs.map_or("–".to_string(), |t| format!("{t:.1}")),
            reference["implementation"]
                .as_str()
                .unwrap_or("not installed")
        );
        floor += theirs.map_or(ours, |t| t.min(ours));
    }
    let _ = writeln!(
        md,
        "\nAt the best speed measured for each, the six hashes need {floor:.1} ms of CPU: on \
         {threads} threads, at least {:.1} ms of wall time before any parsing or strings.\n",
        floor / threads.max(1) as f64
    );
    floor
}
