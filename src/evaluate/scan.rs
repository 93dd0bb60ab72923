//! Scanning files with compiled rules: in parallel, one yara-x scanner per worker thread,
//! with a per-file timeout and a size limit.
//!
//! Files are read whole when small and memory-mapped (memmap2) from [`MMAP_THRESHOLD`] up,
//! after checking the open handle's size against the limit. A file that cannot be opened,
//! read or mapped, that is larger than the limit, or whose scan times out gets an error
//! message instead of matches; the other files are scanned as usual.

use super::rules::RuleSet;
use crate::error::{Warning, WarningCode};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Files of this size and larger are memory-mapped; smaller ones are read into memory
/// (cheaper than setting up a mapping for a few pages).
pub const MMAP_THRESHOLD: u64 = 1 << 20;

/// How to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanConfig {
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Longest time one file's scan may take before it is abandoned.
    pub timeout: Duration,
    /// Files larger than this many bytes are not scanned (and reported).
    pub max_file_size: u64,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            threads: 0,
            timeout: Duration::from_secs(60),
            max_file_size: 256 << 20,
        }
    }
}

/// The outcome for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileScan {
    /// The path as given or found while walking.
    pub path: String,
    /// Bytes scanned (0 when the file could not be scanned).
    pub size: u64,
    /// Positions (in [`RuleSet::infos`]) of the rules that matched, sorted; or why the file
    /// could not be scanned, with its code (`input-unreadable`, `input-skipped` for what is
    /// not a regular file, `size-limit`, `time-limit` for a scan that timed out).
    pub result: Result<Vec<usize>, Warning>,
    /// The file's SHA-256 (lower-case hex), taken when some rule names the samples it was
    /// built from (to find a file's family without labels).
    pub sha256: Option<String>,
}

/// All outcomes of one scan, in the order of the paths given, with timing.
#[derive(Debug, Clone)]
pub struct ScanRun {
    /// One entry per file, in input order.
    pub files: Vec<FileScan>,
    /// Wall-clock time of the whole scan.
    pub elapsed: Duration,
    /// Worker threads used.
    pub threads: usize,
}

/// File contents: owned bytes or a read-only mapping.
enum Contents {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for Contents {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Contents::Owned(v) => v,
            Contents::Mapped(m) => m,
        }
    }
}

fn load(path: &Path, max_size: u64) -> Result<Contents, Warning> {
    let io = |e: std::io::Error| Warning::new(WarningCode::of_io(&e), crate::input::describe(&e));
    let not_regular = || Warning::new(WarningCode::InputSkipped, "not a regular file");
    // Checked before opening too: opening a FIFO would wait for a writer.
    let before = std::fs::metadata(path).map_err(io)?;
    if !before.is_file() {
        return Err(not_regular());
    }
    let file = File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    let len = meta.len();
    if len > max_size {
        return Err(Warning::new(
            WarningCode::SizeLimit,
            format!("{len} bytes, larger than the size limit of {max_size} bytes; not scanned"),
        ));
    }
    if len < MMAP_THRESHOLD {
        let mut data = Vec::with_capacity(len as usize);
        // One byte more than the limit tells a file that grew past it since `metadata`.
        file.take(max_size + 1)
            .read_to_end(&mut data)
            .map_err(|e| {
                Warning::new(
                    WarningCode::of_io(&e),
                    format!("read error: {}", crate::input::describe(&e)),
                )
            })?;
        if data.len() as u64 > max_size {
            return Err(Warning::new(
                WarningCode::SizeLimit,
                format!(
                    "grew past the size limit of {max_size} bytes while being read; not scanned"
                ),
            ));
        }
        return Ok(Contents::Owned(data));
    }
    // SAFETY: the mapping is read-only and private to this function's caller, which drops
    // it before the next file. As with any mapping (and with yara and yara-x, which map
    // large files the same way), another process truncating the file while it is scanned
    // could fault the read; the sets under test are the analyst's own directories.
    let map = unsafe { memmap2::MmapOptions::new().map(&file) }.map_err(|e| {
        Warning::new(
            WarningCode::of_io(&e),
            format!("cannot map: {}", crate::input::describe(&e)),
        )
    })?;
    Ok(Contents::Mapped(map))
}

fn scan_one(
    scanner: &mut yara_x::Scanner<'_>,
    set: &RuleSet,
    path: &Path,
    config: &ScanConfig,
) -> FileScan {
    let name = path.to_string_lossy().into_owned();
    let data = match load(path, config.max_file_size) {
        Ok(d) => d,
        Err(message) => {
            return FileScan {
                path: name,
                size: 0,
                result: Err(message),
                sha256: None,
            }
        }
    };
    let result = scan_coded(scanner, set, &data, config.timeout);
    // the file's SHA-256, when a rule names its samples' (families inferred without labels)
    let sha256 = set
        .infos()
        .iter()
        .any(|r| !r.sample_hashes.is_empty())
        .then(|| {
            use sha2::Digest;
            crate::sample::hex(&sha2::Sha256::digest(&data[..]))
        });
    FileScan {
        path: name,
        size: if result.is_ok() { data.len() as u64 } else { 0 },
        result,
        sha256,
    }
}

/// Scans bytes in memory with `scanner` (made from `set`'s rules, its timeout set to
/// `timeout`): the positions (in [`RuleSet::infos`]) of the rules that matched, sorted, or
/// why the scan failed (a timeout, for one).
pub fn scan_data(
    scanner: &mut yara_x::Scanner<'_>,
    set: &RuleSet,
    data: &[u8],
    timeout: Duration,
) -> Result<Vec<usize>, String> {
    scan_coded(scanner, set, data, timeout).map_err(|w| w.message)
}

/// [`scan_data`], the failure with its code.
fn scan_coded(
    scanner: &mut yara_x::Scanner<'_>,
    set: &RuleSet,
    data: &[u8],
    timeout: Duration,
) -> Result<Vec<usize>, Warning> {
    match scanner.scan(data) {
        Ok(results) => {
            let mut hits: Vec<usize> = results
                .matching_rules()
                .filter_map(|r| set.position(r.namespace(), r.identifier()))
                .collect();
            hits.sort_unstable();
            hits.dedup();
            Ok(hits)
        }
        Err(yara_x::ScanError::Timeout) => Err(Warning::new(
            WarningCode::TimeLimit,
            format!(
                "scan timed out after {} s; not counted",
                timeout.as_secs_f64()
            ),
        )),
        Err(e) => Err(Warning::new(
            WarningCode::InputUnreadable,
            format!("scan failed: {e}"),
        )),
    }
}

/// Scans `paths` with `set`. `progress` is called once per finished file with its size in
/// bytes (from any worker thread).
pub fn scan_files(
    set: &RuleSet,
    paths: &[PathBuf],
    config: &ScanConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> ScanRun {
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut scanner = yara_x::Scanner::new(set.rules());
        scanner.set_timeout(config.timeout);
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = paths.get(i) else { break };
            let outcome = scan_one(&mut scanner, set, path, config);
            progress(outcome.size);
            done.push((i, outcome));
        }
        done
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build();
    let (per_thread, threads) = match pool {
        Ok(pool) => {
            let threads = pool.current_num_threads();
            (pool.broadcast(|_| work()), threads)
        }
        // No thread could be started: scan on this one.
        Err(_) => (vec![work()], 1),
    };
    let mut all: Vec<(usize, FileScan)> = per_thread.into_iter().flatten().collect();
    all.sort_by_key(|(i, _)| *i);
    ScanRun {
        files: all.into_iter().map(|(_, f)| f).collect(),
        elapsed: start.elapsed(),
        threads,
    }
}
