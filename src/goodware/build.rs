//! Building an index: walk the paths, read every regular file, count each distinct string,
//! import hash and export name once per distinct file (by SHA-256), write the FSTs.

use super::format::{self, Index, IndexError, IndexMeta, SourceEntry};
use super::{key, MAX_KEY_LEN, MIN_LEN};
use crate::error::{Warning, WarningCode};
use crate::input::{self, Source};
use fst::{IntoStreamer, Streamer};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::PathBuf;

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// Files and directories to read (directories are walked; symbolic links given or found
    /// are followed, a link back to one of its ancestors is reported and not entered).
    pub paths: Vec<PathBuf>,
    /// Date recorded in the header (`YYYY-MM-DD`); today (UTC) when `None`.
    pub date: Option<String>,
    /// Files larger than this are skipped with a warning.
    pub max_file_size: u64,
    /// Keep only the strings, imphashes and export names found in files of at least this
    /// many packages (0 and 1 keep everything). A file's package is the first directory
    /// below the path given that holds it (a file given, or lying right below the path
    /// given, is a package of its own).
    /// Entries of the base index (`--append`) are always kept. This keeps an index of a
    /// large goodware set small: what one package alone holds says little about other
    /// programs, what many packages share (toolchain and library code) says much.
    pub min_packages: u32,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            paths: Vec::new(),
            date: None,
            max_file_size: 256 << 20,
            min_packages: 0,
        }
    }
}

/// What a build did.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    /// Files newly counted.
    pub files: u64,
    /// Bytes read from them.
    pub bytes: u64,
    /// Files skipped because the same content was already counted.
    pub duplicates: u64,
    /// Paths that could not be read, or were skipped, with the reason.
    pub warnings: Vec<Warning>,
    /// The header written; `None` when no file was read, and then nothing was written.
    pub meta: Option<IndexMeta>,
}

/// Facts taken from one file.
struct FileFacts {
    sha256: [u8; 32],
    size: u64,
    /// Unique string keys, concatenated; `ranges` cut them out.
    arena: Vec<u8>,
    ranges: Vec<(u32, u32)>,
    imphash: Option<String>,
    exports: Vec<String>,
}

/// One entry's tally: in how many files, and in how many packages it was seen.
#[derive(Clone, Copy)]
struct Tally {
    files: u64,
    /// The package of the last file that held it (`u32::MAX` for base entries).
    last_package: u32,
    /// Distinct packages (`u32::MAX` for base entries, which are always kept).
    packages: u32,
}

type Tallies = FxHashMap<Box<[u8]>, Tally>;

/// Counting state, merged file by file.
#[derive(Default)]
struct Counts {
    strings: Tallies,
    imphashes: Tallies,
    exports: Tallies,
    files: FxHashSet<[u8; 32]>,
}

impl Counts {
    /// Counts `k` once more for a file of `package` (files of one package come in a row).
    fn bump(map: &mut Tallies, k: &[u8], by: u64, package: u32) {
        if let Some(t) = map.get_mut(k) {
            t.files += by;
            if t.last_package != package && t.packages != u32::MAX {
                t.last_package = package;
                t.packages += 1;
            }
        } else if by > 0 {
            let packages = if package == u32::MAX { u32::MAX } else { 1 };
            map.insert(
                k.into(),
                Tally {
                    files: by,
                    last_package: package,
                    packages,
                },
            );
        }
    }

    fn load(&mut self, index: &Index) {
        let targets = [&mut self.strings, &mut self.imphashes, &mut self.exports];
        for (map, out) in index.maps().into_iter().zip(targets) {
            let mut stream = map.into_stream();
            while let Some((k, v)) = stream.next() {
                Counts::bump(out, k, v, u32::MAX);
            }
        }
        let mut stream = index.file_set().into_stream();
        while let Some(k) = stream.next() {
            if let Ok(d) = <[u8; 32]>::try_from(k) {
                self.files.insert(d);
            }
        }
    }

    /// Counts a file; false when the same content was counted before. A duplicate still
    /// counts for its package (the same DLL shipped by many packages is common goodware)
    /// but not as a file.
    fn add(&mut self, f: &FileFacts, package: u32) -> bool {
        let new = self.files.insert(f.sha256);
        let by = u64::from(new);
        for &(start, len) in &f.ranges {
            let (s, l) = (start as usize, len as usize);
            if let Some(k) = f.arena.get(s..s + l) {
                Counts::bump(&mut self.strings, k, by, package);
            }
        }
        if let Some(h) = &f.imphash {
            Counts::bump(&mut self.imphashes, h.as_bytes(), by, package);
        }
        for e in &f.exports {
            Counts::bump(&mut self.exports, e.as_bytes(), by, package);
        }
        new
    }
}

/// Builds an index from `options.paths` (added to `base` when appending) and writes it
/// with `out`. Unreadable files become warnings; the rest is counted. When no file at all
/// could be read (every path missing, empty or unreadable), nothing is written and the
/// report's `meta` is `None`.
pub fn build(
    options: &BuildOptions,
    base: Option<&Index>,
    out: &mut dyn Write,
) -> Result<BuildReport, IndexError> {
    let date = options.date.clone().unwrap_or_else(crate::dates::today);
    let mut report = BuildReport::default();
    let mut counts = Counts::default();
    if let Some(index) = base {
        counts.load(index);
    }
    // (path, package number): a package is the first directory below the path given
    let mut packages: FxHashMap<(usize, PathBuf), u32> = FxHashMap::default();
    let mut files: Vec<(PathBuf, u32)> = Vec::new();
    for (arg, given) in options.paths.iter().enumerate() {
        let (sources, errors) = input::expand_following_links(std::slice::from_ref(given));
        for e in errors {
            report.warnings.push(e.warning());
        }
        for s in sources {
            match s {
                Source::File { path, len } if len > options.max_file_size => {
                    report.warnings.push(Warning::new(
                        WarningCode::SizeLimit,
                        format!(
                            "{}: skipped, larger than {} bytes",
                            path.display(),
                            options.max_file_size
                        ),
                    ));
                }
                Source::File { path, .. } => {
                    let top = path
                        .strip_prefix(given)
                        .ok()
                        .and_then(|rel| rel.components().next())
                        .map(|c| PathBuf::from(c.as_os_str()))
                        .unwrap_or_default();
                    let next = packages.len() as u32;
                    let package = *packages.entry((arg, top)).or_insert(next);
                    files.push((path, package));
                }
                Source::Stdin | Source::ArchiveMember { .. } => {}
            }
        }
    }
    for batch in files.chunks(128) {
        let facts: Vec<Result<(FileFacts, u32), Warning>> = batch
            .par_iter()
            .map(|(p, package)| {
                let data = std::fs::read(p).map_err(|e| {
                    Warning::new(
                        WarningCode::of_io(&e),
                        format!("{}: {}", p.display(), input::describe(&e)),
                    )
                })?;
                Ok((file_facts(&data), *package))
            })
            .collect();
        for f in facts {
            match f {
                Ok((f, package)) if f.size > 0 => {
                    if counts.add(&f, package) {
                        report.files += 1;
                        report.bytes += f.size;
                    } else {
                        report.duplicates += 1;
                    }
                }
                Ok(_) => {}
                Err(w) => report.warnings.push(w),
            }
        }
    }
    if report.files == 0 && report.duplicates == 0 {
        return Ok(report);
    }
    let paths = options
        .paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let meta = write_counts(
        counts,
        &report,
        paths,
        options.min_packages,
        base,
        date,
        out,
    )?;
    report.meta = Some(meta);
    Ok(report)
}

/// Writes the index of `counts` (and `base`, when appending), recording a run over `paths`
/// that counted what `report` says; returns the header written.
fn write_counts(
    mut counts: Counts,
    report: &BuildReport,
    paths: Vec<String>,
    min_packages: u32,
    base: Option<&Index>,
    date: String,
    out: &mut dyn Write,
) -> Result<IndexMeta, IndexError> {
    let min_packages = min_packages.max(1);
    let sorted = |map: Tallies| {
        let mut v: Vec<(Box<[u8]>, u64)> = map
            .into_iter()
            .filter(|(_, t)| t.packages >= min_packages)
            .map(|(k, t)| (k, t.files))
            .collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let strings = sorted(std::mem::take(&mut counts.strings));
    // Phrase keys sort first.
    let phrases = strings.partition_point(|(k, _)| k.first() == Some(&super::PHRASE_MARK));
    let imphashes = sorted(std::mem::take(&mut counts.imphashes));
    let exports = sorted(std::mem::take(&mut counts.exports));
    let mut file_list: Vec<[u8; 32]> = counts.files.into_iter().collect();
    file_list.sort_unstable();
    let mut sources_meta = base.map(|b| b.meta().sources.clone()).unwrap_or_default();
    sources_meta.push(SourceEntry {
        paths,
        files: report.files,
        bytes: report.bytes,
        date: date.clone(),
    });
    let meta = IndexMeta {
        built: base.map_or_else(|| date.clone(), |b| b.meta().built.clone()),
        updated: date,
        files: file_list.len() as u64,
        bytes: base.map_or(0, |b| b.meta().bytes) + report.bytes,
        strings: (strings.len() - phrases) as u64,
        phrases: phrases as u64,
        imphashes: imphashes.len() as u64,
        exports: exports.len() as u64,
        min_len: MIN_LEN as u64,
        max_key_len: MAX_KEY_LEN as u64,
        sources: sources_meta,
    };
    format::write(out, &meta, [&strings, &imphashes, &exports], &file_list)?;
    Ok(meta)
}

/// An index built from file contents handed over one at a time (files in memory, rows of a
/// table, members of an archive) rather than from paths: memory holds the counts, never
/// the files. What it writes equals [`build`] over the same files (with `min_packages` 1),
/// but for the header's record of the run.
#[derive(Default)]
pub struct Builder {
    counts: Counts,
    report: BuildReport,
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Self {
        Builder::default()
    }

    /// Counts one file's content; false when the same content was counted before (or it is
    /// empty, which [`build`] skips too).
    pub fn add(&mut self, data: &[u8]) -> bool {
        if data.is_empty() {
            return false;
        }
        let facts = file_facts(data);
        if self.counts.add(&facts, 0) {
            self.report.files += 1;
            self.report.bytes += facts.size;
            true
        } else {
            self.report.duplicates += 1;
            false
        }
    }

    /// Files counted so far, and duplicates skipped.
    pub fn files(&self) -> (u64, u64) {
        (self.report.files, self.report.duplicates)
    }

    /// Writes the index to `out`, the run recorded under `label` (where the files came
    /// from), dated `date` (`YYYY-MM-DD`; today when `None`). When no file was counted,
    /// nothing is written and the report's `meta` is `None`, as with [`build`].
    pub fn write(
        self,
        label: &str,
        date: Option<String>,
        out: &mut dyn Write,
    ) -> Result<BuildReport, IndexError> {
        let mut report = self.report;
        if report.files == 0 && report.duplicates == 0 {
            return Ok(report);
        }
        let date = date.unwrap_or_else(crate::dates::today);
        let meta = write_counts(
            self.counts,
            &report,
            vec![label.to_string()],
            1,
            None,
            date,
            out,
        )?;
        report.meta = Some(meta);
        Ok(report)
    }
}

const fn printable_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        t[b] = true;
        b += 1;
    }
    t[b'\t' as usize] = true;
    t
}

/// Printable ASCII and tab: the characters a string may hold.
pub(crate) const PRINTABLE: [bool; 256] = printable_table();

fn junk(s: &[u8]) -> bool {
    s.iter().all(|&b| Some(&b) == s.first())
}

/// Every distinct string key of a file (ASCII runs, then UTF-16LE runs at both alignments),
/// each at least [`MIN_LEN`] characters, cut to [`MAX_KEY_LEN`] bytes.
pub fn string_keys(data: &[u8]) -> Vec<Vec<u8>> {
    let f = file_facts_strings(data);
    f.1.iter()
        .filter_map(|&(s, l)| f.0.get(s as usize..(s + l) as usize).map(<[u8]>::to_vec))
        .collect()
}

fn file_facts_strings(data: &[u8]) -> (Vec<u8>, Vec<(u32, u32)>) {
    let mut seen: FxHashSet<&[u8]> = FxHashSet::default();
    let mut start = 0;
    for (i, &b) in data.iter().enumerate() {
        if !PRINTABLE[b as usize] {
            if i - start >= MIN_LEN && !junk(&data[start..i]) {
                seen.insert(key(&data[start..i]));
            }
            start = i + 1;
        }
    }
    if data.len() - start >= MIN_LEN && !junk(&data[start..]) {
        seen.insert(key(&data[start..]));
    }
    let mut wide: FxHashSet<Vec<u8>> = FxHashSet::default();
    let mut run: Vec<u8> = Vec::new();
    for align in 0..2 {
        let mut flush = |run: &mut Vec<u8>| {
            if run.len() >= MIN_LEN && !junk(run) {
                let k = key(run);
                if !seen.contains(k) {
                    wide.insert(k.to_vec());
                }
            }
            run.clear();
        };
        for pair in data.get(align..).unwrap_or(&[]).chunks_exact(2) {
            if pair[1] == 0 && PRINTABLE[pair[0] as usize] {
                run.push(pair[0]);
            } else {
                flush(&mut run);
            }
        }
        flush(&mut run);
    }
    let mut arena = Vec::new();
    let mut ranges = Vec::with_capacity(seen.len() + wide.len());
    for k in seen.into_iter().chain(wide.iter().map(Vec::as_slice)) {
        ranges.push((arena.len() as u32, k.len() as u32));
        arena.extend_from_slice(k);
    }
    (arena, ranges)
}

/// Adds the distinct phrases of the file's strings (see [`super::phrase_keys`]) to its keys.
fn add_phrases(arena: &mut Vec<u8>, ranges: &mut Vec<(u32, u32)>) {
    let mut phrases: FxHashSet<Vec<u8>> = FxHashSet::default();
    for &(s, l) in ranges.iter() {
        if let Some(k) = arena.get(s as usize..(s + l) as usize) {
            super::phrase_keys(k, |p| {
                if !phrases.contains(p) {
                    phrases.insert(p.to_vec());
                }
            });
        }
    }
    for p in phrases {
        ranges.push((arena.len() as u32, p.len() as u32));
        arena.extend_from_slice(&p);
    }
}

fn file_facts(data: &[u8]) -> FileFacts {
    let (mut arena, mut ranges) = file_facts_strings(data);
    add_phrases(&mut arena, &mut ranges);
    let (imphash, exports) = if data.starts_with(b"MZ") {
        match std::panic::catch_unwind(|| crate::sample::pe::parse(data)) {
            Ok(parsed) => match parsed.pe {
                Some(pe) => {
                    let mut exports: Vec<String> = pe
                        .exports
                        .into_iter()
                        .filter(|e| !e.starts_with('#') && !e.is_empty())
                        .collect();
                    exports.sort();
                    exports.dedup();
                    (pe.imphash, exports)
                }
                None => (None, Vec::new()),
            },
            Err(_) => (None, Vec::new()),
        }
    } else {
        (None, Vec::new())
    };
    FileFacts {
        sha256: Sha256::digest(data).into(),
        size: data.len() as u64,
        arena,
        ranges,
        imphash,
        exports,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_hold_ascii_and_utf16_once() {
        let mut data = b"\x01hello world\x00\x02".to_vec();
        for c in "wide string".bytes() {
            data.extend([c, 0]);
        }
        data.extend(b"\x00\x01hello world\x00aaaaaaaa\x00abc\x00");
        let mut keys = string_keys(&data);
        keys.sort();
        assert_eq!(keys, vec![b"hello world".to_vec(), b"wide string".to_vec()]);
    }

    #[test]
    fn long_strings_are_cut_to_the_key_length() {
        let long: Vec<u8> = (0..300).map(|i| b'a' + (i % 26) as u8).collect();
        let keys = string_keys(&long);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].len(), MAX_KEY_LEN);
    }
}
