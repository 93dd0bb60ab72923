//! Extraction: running the IOC scanner over sources and collecting the findings.
//!
//! This module owns reading (streamed in chunks cut at line boundaries, so memory does not
//! grow with input size), UTF-16LE text recovery for binary input, mapping hits back to
//! source offsets and lines, context snippets, and parallelism: small files are scanned in
//! parallel, one per worker; large files and streams are cut into chunks scanned in
//! parallel and merged in order, so output is the same whatever the thread count.
//!
//! Structured logs (sandbox reports, event logs, Procmon CSV, captures, JSON) are
//! recognised from their first bytes ([`crate::logs::detect`]) and read value by value,
//! so their sightings carry the field path; everything else takes the chunked path.
//! Executables are read through their strings ([`binary`]). The scan of one stretch of
//! text is [`crate::ioc::text`]'s.

use crate::error::{Warning, WarningCode};
use crate::input::{self, InputError, Source};
use crate::ioc::allowlist::{Allowlist, Verdict};
use crate::ioc::scan::{KindSet, Scanner};
use crate::ioc::set::{IocSet, KeyHash, Seen, SortedIocs};
use crate::ioc::text::{process_chunk, ChunkOut, Collector, Merger};
pub use crate::ioc::text::{snippet, snippet_into};
use crate::ioc::{Encoding, Flags, Ioc, IocKind, Notes, Sighting};
use crate::logs;

pub mod binary;
use rayon::prelude::*;
use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{mpsc, Arc};

/// Settings for one extraction run.
#[derive(Debug, Clone)]
pub struct ExtractOptions {
    /// Which kinds to report.
    pub kinds: KindSet,
    /// Sightings kept per indicator (0 = all); `count` always has the total.
    pub max_sightings: usize,
    /// Benign indicators to drop (or flag).
    pub allowlist: Allowlist,
    /// Keep allowlisted indicators, flagged, instead of dropping them.
    pub keep_allowlisted: bool,
    /// Drop private, loopback, documentation and other non-public addresses and names.
    pub public_only: bool,
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// Bytes scanned per chunk.
    pub chunk_size: usize,
    /// Stop reading a source after this many bytes (0 = no limit), with a warning.
    pub max_bytes: u64,
    /// Stop reading a source after this long (`None` = no limit), with a warning; what was
    /// read is kept.
    pub time_limit: Option<std::time::Duration>,
    /// Also look for UTF-16LE text in binary input.
    pub utf16: bool,
    /// Read structured logs (sandbox reports, event logs, CSV, captures, JSON) value by
    /// value, so sightings carry the field path; `false` scans them as plain bytes.
    pub structured_logs: bool,
    /// Bytes the deduplicating set may hold before it spills sorted runs to temporary
    /// files (0 = no limit); the output is the same either way.
    pub memory_limit: usize,
    /// Where the spilled runs go (`None`: the system's temporary directory).
    pub temp_dir: Option<PathBuf>,
    /// Keep sightings (`false` when only values and counts are wanted).
    pub sightings: bool,
    /// Keep each sighting's context snippet.
    pub context: bool,
}

/// The default of [`ExtractOptions::memory_limit`]: 200 MiB.
pub const DEFAULT_MEMORY_LIMIT: usize = 200 << 20;

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            kinds: KindSet::all(),
            max_sightings: 10,
            allowlist: Allowlist::builtin(),
            keep_allowlisted: false,
            public_only: false,
            threads: 0,
            chunk_size: 1 << 20,
            max_bytes: 0,
            time_limit: None,
            utf16: true,
            structured_logs: true,
            memory_limit: DEFAULT_MEMORY_LIMIT,
            temp_dir: None,
            sightings: true,
            context: true,
        }
    }
}

/// What happened to one source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceReport {
    /// The source's name as used in sightings.
    pub name: String,
    /// Bytes read.
    pub bytes: u64,
    /// Indicator sightings found (before deduplication and allowlisting).
    pub hits: u64,
    /// Why reading stopped early, if it did, with its code (`time-limit`, `size-limit`,
    /// `input-unreadable`, `parse-error`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Warning>,
}

/// The result of an extraction run.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// Deduplicated indicators, sorted by kind and value.
    pub iocs: Vec<Ioc>,
    /// One report per source read, in input order.
    pub sources: Vec<SourceReport>,
    /// Inputs that could not be listed or opened.
    pub errors: Vec<InputError>,
}

impl Extraction {
    /// Whether any input failed to be read completely.
    pub fn had_errors(&self) -> bool {
        !self.errors.is_empty() || self.sources.iter().any(|s| s.error.is_some())
    }
}

/// An extraction whose indicators are read one at a time, in output order, from memory and
/// the spilled runs (see [`Extractor::extract_paths_sorted`]): memory stays bounded
/// however many distinct indicators there are.
#[derive(Debug)]
pub struct SortedExtraction {
    /// The indicators, sorted by kind and value.
    pub iocs: SortedIocs,
    /// One report per source read, in input order.
    pub sources: Vec<SourceReport>,
    /// Inputs that could not be listed or opened, and trouble with temporary files.
    pub errors: Vec<InputError>,
}

impl SortedExtraction {
    /// Reads every indicator into memory.
    pub fn collect(self) -> Extraction {
        let mut iocs = self.iocs;
        let mut list = Vec::new();
        while let Some(ioc) = iocs.next_ioc() {
            list.push(ioc);
        }
        let mut errors = self.errors;
        if let Some(e) = iocs.error() {
            errors.push(temp_error(e));
        }
        Extraction {
            iocs: list,
            sources: self.sources,
            errors,
        }
    }
}

/// An error with the temporary files of `--memory-limit`.
pub fn temp_error(message: &str) -> InputError {
    InputError {
        code: crate::error::WarningCode::TempFile,
        source: "temporary files".to_string(),
        message: message.to_string(),
    }
}

/// What [`Extractor::stream_paths`] read.
#[derive(Debug)]
pub struct StreamReport {
    /// One report per source read, in input order.
    pub sources: Vec<SourceReport>,
    /// Inputs that could not be listed or opened.
    pub errors: Vec<InputError>,
    /// The error the callback returned, which stopped the run.
    pub output_error: Option<std::io::Error>,
}

/// An indicator of a structured log held back until its record ends (see
/// `scan_fields`).
struct Held {
    kind: IocKind,
    value: String,
    defanged: bool,
    notes: Notes,
    offset: Option<u64>,
    line: Option<u64>,
    field: Option<String>,
    context: String,
}

/// Hands each sighting to a callback as an indicator with one sighting, allowlist and
/// scope applied.
struct Streamer<'a> {
    sources: Vec<Arc<str>>,
    options: &'a ExtractOptions,
    each: &'a mut dyn FnMut(&Ioc) -> std::io::Result<()>,
    error: Option<std::io::Error>,
    ioc: Ioc,
}

impl Collector for Streamer<'_> {
    fn source(&mut self, name: &Arc<str>) -> u32 {
        match self.sources.iter().position(|s| s == name) {
            Some(i) => i as u32,
            None => {
                self.sources.push(name.clone());
                (self.sources.len() - 1) as u32
            }
        }
    }

    fn hit(
        &mut self,
        kind: IocKind,
        value: &str,
        defanged: bool,
        notes: Notes,
        seen: Seen<'_>,
        _hash: Option<KeyHash>,
        context: &dyn Fn(&mut String),
    ) {
        if self.error.is_some() {
            return;
        }
        // an address's port is a field of its own
        let (value, port) = match crate::ioc::split_port(kind, value) {
            Some((addr, port)) => (addr, Some(port)),
            None => (value, None),
        };
        let mut flags = Flags {
            defanged,
            notes: notes | crate::ioc::value_notes(kind, value),
            ..Flags::default()
        };
        match self.options.allowlist.verdict(kind, value, defanged) {
            Verdict::Listed if !self.options.keep_allowlisted => return,
            Verdict::Listed => flags.allowlisted = true,
            Verdict::KeptOnListedHost => flags.notes.insert(Notes::ALLOWLISTED_HOST),
            Verdict::NotListed => {}
        }
        flags.scope = crate::ioc::set::scope_of(kind, value);
        if self.options.public_only
            && !matches!(flags.scope, None | Some(crate::ioc::Scope::Public))
        {
            return;
        }
        let ioc = &mut self.ioc;
        ioc.kind = kind;
        ioc.value.clear();
        ioc.value.push_str(value);
        ioc.ports.clear();
        ioc.ports.extend(port);
        ioc.flags = flags;
        ioc.count = 1;
        ioc.sightings.clear();
        if self.options.sightings {
            ioc.sightings.push(Sighting {
                source: self
                    .sources
                    .get(seen.source as usize)
                    .cloned()
                    .unwrap_or_else(|| Arc::from("")),
                offset: seen.offset,
                line: seen.line,
                field: seen.field.map(str::to_string),
                port,
                encoding: seen.encoding,
                context: if self.options.context {
                    let mut text = String::new();
                    context(&mut text);
                    text
                } else {
                    String::new()
                },
            });
        }
        if let Err(e) = (self.each)(ioc) {
            self.error = Some(e);
        }
    }

    fn stopped(&self) -> bool {
        self.error.is_some()
    }
}

/// Runs the scanner over sources.
pub struct Extractor {
    options: ExtractOptions,
    scanner: Scanner,
    pool: Option<rayon::ThreadPool>,
}

/// Files larger than this many chunks are scanned chunk-parallel instead of file-parallel.
const LARGE_FILE_CHUNKS: u64 = 4;
/// How far back from a chunk's end to look for a line break to cut at.
const CUT_WINDOW: usize = 64 * 1024;
impl Extractor {
    /// An extractor with the given options.
    pub fn new(options: ExtractOptions) -> Self {
        let threads = if options.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            options.threads
        };
        let pool = if threads > 1 {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("spoor-scan-{i}"))
                .build()
                .ok()
        } else {
            None
        };
        Extractor {
            scanner: Scanner::new(options.kinds),
            options,
            pool,
        }
    }

    /// Expands `paths` (files, directories, `-`; zip archives into their members) and
    /// extracts from all of them.
    pub fn extract_paths(&self, paths: &[PathBuf]) -> Extraction {
        let (sources, errors) = input::expand_logs(paths);
        let mut extraction = self.extract_sources(&sources);
        extraction.errors.splice(0..0, errors);
        extraction
    }

    /// Like [`Self::extract_paths`], with the indicators read one at a time (bounded
    /// memory whatever their number).
    pub fn extract_paths_sorted(&self, paths: &[PathBuf]) -> SortedExtraction {
        let (sources, errors) = input::expand_logs(paths);
        let mut extraction = self.extract_sources_sorted(&sources);
        extraction.errors.splice(0..0, errors);
        extraction
    }

    /// Expands `paths` and hands every sighting to `each` as soon as it is found, in input
    /// order, as an indicator with a count of 1 and one sighting (no deduplication;
    /// constant memory). Executables, read through their strings, give their sightings
    /// in value order. Stops at the first error `each` returns.
    pub fn stream_paths(
        &self,
        paths: &[PathBuf],
        each: &mut dyn FnMut(&Ioc) -> std::io::Result<()>,
    ) -> StreamReport {
        let (sources, errors) = input::expand_logs(paths);
        let mut streamer = Streamer {
            sources: Vec::new(),
            options: &self.options,
            each,
            error: None,
            ioc: Ioc {
                kind: IocKind::Md5,
                value: String::new(),
                flags: Flags::default(),
                count: 1,
                ports: Vec::new(),
                sightings: Vec::new(),
                intel: Vec::new(),
            },
        };
        let mut reports = Vec::with_capacity(sources.len());
        for source in &sources {
            if streamer.stopped() {
                break;
            }
            let report = self.scan_source_into(source, self.pool.is_some(), &mut streamer);
            reports.push(report);
        }
        StreamReport {
            sources: reports,
            errors,
            output_error: streamer.error,
        }
    }

    fn new_set(&self, budget: usize) -> IocSet {
        let mut set = IocSet::with_budget(
            self.options.max_sightings,
            budget,
            self.options.temp_dir.clone(),
        );
        if !self.options.sightings {
            set = set.without_sightings();
        }
        if !self.options.context {
            set = set.without_context();
        }
        set
    }

    /// Extracts from already expanded sources.
    pub fn extract_sources(&self, sources: &[Source]) -> Extraction {
        self.extract_sources_sorted(sources).collect()
    }

    /// Like [`Self::extract_sources`], with the indicators read one at a time.
    pub fn extract_sources_sorted(&self, sources: &[Source]) -> SortedExtraction {
        self.extract_sources_given(sources, Vec::new())
    }

    /// Like [`Self::extract_sources_sorted`], with the IOCs of some sources already
    /// found: `given[i]`, when it is there and `Some`, stands for what reading
    /// `sources[i]` would give (an executable whose strings triage read, see
    /// [`binary::extract_strings`]; a log read once for its events and IOCs, see
    /// [`Self::log_iocs`]); those sources are not read again. The result is the same as
    /// reading them.
    pub fn extract_sources_given(
        &self,
        sources: &[Source],
        mut given: Vec<Option<ReadIocs>>,
    ) -> SortedExtraction {
        given.resize_with(sources.len(), || None);
        let given_report = |i: usize, b: &mut ReadIocs| SourceReport {
            name: sources.get(i).map(Source::name).unwrap_or_default(),
            bytes: b.bytes,
            hits: b.hits,
            error: b.error.take(),
        };
        let big = |s: &Source| {
            matches!(s, Source::Stdin)
                || s.len_hint() == 0
                || s.len_hint() > LARGE_FILE_CHUNKS * self.options.chunk_size as u64
        };
        // small files are scanned in parallel, each into its own set; big ones and
        // streams chunk-parallel, straight into the bounded set, in input order
        let small: Vec<usize> = (0..sources.len())
            .filter(|&i| !big(&sources[i]) && given[i].is_none())
            .collect();
        let scan_small = |i: &usize| {
            let mut set = self.new_set(0);
            let report = self.scan_source_into(&sources[*i], false, &mut set);
            (*i, set, report)
        };
        let done: Vec<(usize, IocSet, SourceReport)> = match &self.pool {
            Some(pool) => pool.install(|| small.par_iter().map(scan_small).collect()),
            None => Vec::new(),
        };
        let mut done = done.into_iter().peekable();
        let mut all = self.new_set(self.options.memory_limit);
        let mut reports = Vec::with_capacity(sources.len());
        let mut given_errors = Vec::new();
        for (i, (source, given)) in sources.iter().zip(given).enumerate() {
            if let Some(mut b) = given {
                reports.push(given_report(i, &mut b));
                if self.pool.is_some() && !big(source) {
                    // as a small source read on its own would be: into a set of its own
                    let mut set = self.new_set(0);
                    given_errors.extend(add_sorted(&mut set, b.set));
                    all.merge(set);
                } else if all.is_unused() && b.set.same_settings(&all) {
                    // the first source, read by a log's reader into a set like this one:
                    // it becomes the set (no copy, and no second budget beside it)
                    all = b.set;
                } else {
                    b.set.spill_rest();
                    given_errors.extend(add_sorted(&mut all, b.set));
                }
                continue;
            }
            if done.peek().is_some_and(|d| d.0 == i) {
                if let Some((_, set, report)) = done.next() {
                    all.merge(set);
                    reports.push(report);
                }
                continue;
            }
            let parallel = big(source) && self.pool.is_some();
            reports.push(self.scan_source_into(source, parallel, &mut all));
        }
        let mut errors: Vec<InputError> = given_errors.iter().map(|e| temp_error(e)).collect();
        if let Some(e) = all.spill_error() {
            errors.push(temp_error(e));
        }
        SortedExtraction {
            iocs: self.finish_stream(all),
            sources: reports,
            errors,
        }
    }

    /// Extracts from any reader (a socket, a decompressor, ...). What was read before a
    /// read error is kept; the error is reported in the source's report.
    pub fn extract_reader(&self, name: &str, reader: &mut dyn Read) -> Extraction {
        let mut set = self.new_set(self.options.memory_limit);
        let (bytes, hits, error) = self.scan_detected(name, reader, self.pool.is_some(), &mut set);
        let mut errors = Vec::new();
        if let Some(e) = set.spill_error() {
            errors.push(temp_error(e));
        }
        SortedExtraction {
            iocs: self.finish_stream(set),
            sources: vec![SourceReport {
                name: name.to_string(),
                bytes,
                hits,
                error,
            }],
            errors,
        }
        .collect()
    }

    /// Extracts from bytes in memory (`name` is used in sightings).
    pub fn extract_bytes(&self, name: &str, data: &[u8]) -> Vec<Ioc> {
        let mut set = self.new_set(0);
        let mut reader = data;
        let _ = self.scan_detected(name, &mut reader, false, &mut set);
        self.finish(set)
    }

    /// Extracts from bytes in memory read as plain text, never as a structured log (the
    /// strings pulled out of a binary may well begin with `{` or `<`).
    pub fn extract_plain(&self, name: &str, data: &[u8]) -> Vec<Ioc> {
        let mut set = self.new_set(0);
        let mut reader = data;
        let _ = self.scan_stream(name, &mut reader, false, &mut set);
        self.finish(set)
    }

    /// The sorted indicators of a small set, filtered in place (no copy of the allowlist).
    fn finish(&self, set: IocSet) -> Vec<Ioc> {
        let mut iocs = set.into_sorted();
        let (list, keep) = (&self.options.allowlist, self.options.keep_allowlisted);
        iocs.retain_mut(|ioc| {
            if list.contains(ioc.kind, &ioc.value) {
                if !keep {
                    return false;
                }
                ioc.flags.allowlisted = true;
            }
            !self.options.public_only
                || matches!(ioc.flags.scope, None | Some(crate::ioc::Scope::Public))
        });
        iocs
    }

    fn finish_stream(&self, mut set: IocSet) -> SortedIocs {
        set.apply_allowlist(&self.options.allowlist, self.options.keep_allowlisted);
        if self.options.public_only {
            set.retain_public();
        }
        set.into_stream()
    }

    fn scan_source_into(
        &self,
        source: &Source,
        chunk_parallel: bool,
        set: &mut dyn Collector,
    ) -> SourceReport {
        let name = source.name();
        // Executables go through triage's strings, so that sightings carry sections.
        if let Source::File { path, .. } = source {
            let (max_bytes, max_sightings) = (self.options.max_bytes, self.options.max_sightings);
            let binary = binary::extract_file;
            if let Some(b) = binary(path, &name, self, max_bytes, max_sightings) {
                let (bytes, hits) = (b.bytes, b.hits);
                // the strings of one executable are held in memory: no temporary files
                let error = add_sorted(set, b.set).map(|e| Warning::new(WarningCode::TempFile, e));
                return SourceReport {
                    name,
                    bytes,
                    hits,
                    error,
                };
            }
        }
        let mut report = SourceReport {
            name: name.clone(),
            bytes: 0,
            hits: 0,
            error: None,
        };
        // compressed sources are read decompressed, at most --max-size bytes of them
        match input::open_decoded(source, self.options.max_bytes) {
            Ok(decoded) => {
                // a large plain file is read again for its snippets when output is written
                if let (Source::File { path, len }, None) = (source, decoded.compression) {
                    if *len > LARGE_FILE_CHUNKS * self.options.chunk_size as u64 {
                        let index = set.source(&Arc::from(name.as_str()));
                        set.source_file(index, path);
                    }
                }
                let reader = decoded.reader;
                let mut reader: Box<dyn Read + Send> = match self.options.time_limit {
                    Some(limit) => Box::new(input::TimeLimited::new(reader, limit)),
                    None => reader,
                };
                let (bytes, hits, error) =
                    self.scan_detected(&name, &mut reader, chunk_parallel, set);
                report.bytes = bytes;
                report.hits = hits;
                report.error = error;
            }
            Err(e) => {
                report.error = Some(Warning::new(WarningCode::of_io(&e), input::describe(&e)))
            }
        }
        report
    }

    /// Recognises structured logs from their first bytes and reads them field by field;
    /// everything else goes to [`Self::scan_stream`] unchanged.
    fn scan_detected(
        &self,
        name: &str,
        reader: &mut dyn Read,
        chunk_parallel: bool,
        set: &mut dyn Collector,
    ) -> (u64, u64, Option<Warning>) {
        if !self.options.structured_logs {
            return self.scan_stream(name, reader, chunk_parallel, set);
        }
        let head = match logs::sniff(reader) {
            Ok(h) => h,
            Err(e) => {
                let error = Warning::new(
                    WarningCode::of_io(&e),
                    format!("read error: {}", input::describe(&e)),
                );
                return (0, 0, Some(error));
            }
        };
        let format = logs::detect(&head);
        let mut whole = std::io::Cursor::new(head).chain(reader);
        if format.has_fields() {
            self.scan_fields(format, name, &mut whole, set)
        } else {
            self.scan_stream(name, &mut whole, chunk_parallel, set)
        }
    }

    /// Scans each text value of a structured log; sightings carry its field path.
    fn scan_fields(
        &self,
        format: logs::LogFormat,
        name: &str,
        reader: &mut dyn Read,
        set: &mut dyn Collector,
    ) -> (u64, u64, Option<Warning>) {
        let source: Arc<str> = Arc::from(name);
        let max = self.options.max_bytes;
        let mut counted = Counting {
            inner: if max > 0 {
                Box::new(reader.take(max)) as Box<dyn Read>
            } else {
                Box::new(reader)
            },
            bytes: 0,
        };
        let mut scan = FieldScan::new(&source, set);
        let report = logs::read_fields(format, &source, &mut counted, &mut |field| {
            scan.field(self, &field, set)
        });
        let hits = scan.finish(set);
        let limited = max > 0 && counted.bytes >= max;
        (
            counted.bytes,
            hits,
            self.fields_error(format, report, limited),
        )
    }

    /// One error for a structured log read field by field: the first problem's code,
    /// every problem's message.
    fn fields_error(
        &self,
        format: logs::LogFormat,
        report: logs::ReadReport,
        limited: bool,
    ) -> Option<Warning> {
        let mut problems = report.warnings;
        if limited {
            problems.push(Warning::new(
                WarningCode::SizeLimit,
                format!(
                    "stopped after {} bytes (--max-size); the rest was not scanned",
                    self.options.max_bytes
                ),
            ));
        }
        problems.first().map(|first| {
            let messages: Vec<&str> = problems.iter().map(|w| w.message.as_str()).collect();
            Warning::new(first.code, format!("{format}: {}", messages.join("; ")))
        })
    }

    /// The IOC side of reading a log once for its events and its IOCs
    /// ([`logs::read_source_once`]): it scans the fields the log's reader hands it (or
    /// the log's text) into a set of its own; [`LogIocs::finish`] gives what
    /// [`Self::extract_sources_given`] takes in place of reading the log again.
    pub fn log_iocs(&self, source: &Source) -> LogIocs<'_> {
        let name: Arc<str> = Arc::from(source.name());
        let mut set = self.new_set(self.options.memory_limit);
        let index = set.source(&name);
        let big = matches!(source, Source::Stdin)
            || source.len_hint() == 0
            || source.len_hint() > LARGE_FILE_CHUNKS * self.options.chunk_size as u64;
        LogIocs {
            extractor: self,
            name,
            scan: FieldScan {
                source: index,
                hits: 0,
                chunk: ChunkOut::default(),
                held: Vec::new(),
                record: (None, None),
                version_value: false,
            },
            set,
            chunk_parallel: big && self.pool.is_some(),
            done: None,
        }
    }

    /// Reads `reader` to the end in chunks; returns bytes read, hits, and the error that
    /// stopped reading early, if any. What was read before an error is kept.
    fn scan_stream(
        &self,
        name: &str,
        reader: &mut dyn Read,
        chunk_parallel: bool,
        set: &mut dyn Collector,
    ) -> (u64, u64, Option<Warning>) {
        let chunk_size = self.options.chunk_size.max(4096);
        let source = set.source(&Arc::from(name));
        let mut merger = Merger {
            source,
            offset: 0,
            line: 1,
            hits: 0,
            cut: set.cuts(source),
        };
        let mut pending: VecDeque<mpsc::Receiver<ChunkOut>> = VecDeque::new();
        let depth = self
            .pool
            .as_ref()
            .map_or(0, |p| p.current_num_threads() * 2);
        let mut buf: Vec<u8> = Vec::with_capacity(chunk_size + CUT_WINDOW);
        let mut free: Vec<ChunkOut> = Vec::new();
        let mut total: u64 = 0;
        let mut error = None;
        let mut eof = false;
        while !eof && !set.stopped() {
            // fill the buffer up to one chunk (read_to_end on a `take` reads into spare
            // capacity without zeroing it first, and keeps what it read before an error)
            let want = chunk_size.saturating_sub(buf.len());
            let before = buf.len();
            let result = (&mut *reader).take(want as u64).read_to_end(&mut buf);
            let got = buf.len() - before;
            total += got as u64;
            match result {
                Ok(_) if got < want => eof = true,
                Ok(_) => {}
                Err(e) => {
                    let what = if e.kind() == std::io::ErrorKind::TimedOut {
                        "stopped"
                    } else {
                        "read error"
                    };
                    error = Some(Warning::new(
                        WarningCode::of_io(&e),
                        format!("{what} after {total} bytes: {}", input::describe(&e)),
                    ));
                    eof = true;
                }
            }
            let max = self.options.max_bytes;
            if max > 0 && (total > max || (total == max && !eof)) {
                let over = (total - max) as usize;
                buf.truncate(buf.len() - over);
                total = self.options.max_bytes;
                error = Some(Warning::new(
                    WarningCode::SizeLimit,
                    format!(
                        "stopped after {} bytes (--max-size); the rest was not scanned",
                        self.options.max_bytes
                    ),
                ));
                eof = true;
            }
            if buf.is_empty() {
                break;
            }
            let cut = if eof { buf.len() } else { cut_point(&buf) };
            // The filled buffer becomes the chunk and only the tail after the cut is copied;
            // chunks are recycled, since fresh buffers would fault in zeroed pages each time.
            let mut chunk = free.pop().unwrap_or_default();
            chunk.data.clear();
            chunk.data.extend_from_slice(&buf[cut..]);
            std::mem::swap(&mut buf, &mut chunk.data);
            chunk.data.truncate(cut);
            match (&self.pool, chunk_parallel) {
                (Some(pool), true) => {
                    let (tx, rx) = mpsc::sync_channel(1);
                    let scanner = self.scanner.clone();
                    let utf16 = self.options.utf16;
                    pool.spawn(move || {
                        process_chunk(&scanner, &mut chunk, utf16);
                        let _ = tx.send(chunk);
                    });
                    pending.push_back(rx);
                    while pending.len() > depth {
                        if let Some(rx) = pending.pop_front() {
                            if let Ok(mut out) = rx.recv() {
                                merger.merge(&mut out, set);
                                free.push(out);
                            }
                        }
                    }
                }
                _ => {
                    process_chunk(&self.scanner, &mut chunk, self.options.utf16);
                    merger.merge(&mut chunk, set);
                    free.push(chunk);
                }
            }
        }
        while let Some(rx) = pending.pop_front() {
            if let Ok(mut out) = rx.recv() {
                merger.merge(&mut out, set);
            }
        }
        (total, merger.hits, error)
    }
}

/// The IOC scan of a structured log's text values, fed one value at a time (by
/// [`logs::read_fields`] or by the log's own reader).
struct FieldScan {
    source: u32,
    hits: u64,
    chunk: ChunkOut,
    // Addresses in Sysmon's registry data (`Details`) wait for the end of their record:
    // when the record's `TargetObject` names a version value (`...\pv`), they are
    // versions. Records are told apart by their line (JSON lines) or offset (XML).
    held: Vec<Held>,
    record: (Option<u64>, Option<u64>),
    version_value: bool,
}

impl FieldScan {
    fn new(source: &Arc<str>, set: &mut dyn Collector) -> Self {
        FieldScan {
            source: set.source(source),
            hits: 0,
            chunk: ChunkOut::default(),
            held: Vec::new(),
            record: (None, None),
            version_value: false,
        }
    }

    /// Hands the held addresses on, unless their record set a version value.
    fn flush(&mut self, set: &mut dyn Collector) {
        for h in self.held.drain(..) {
            if !self.version_value {
                self.hits += 1;
                let seen = Seen {
                    source: self.source,
                    offset: h.offset,
                    line: h.line,
                    field: h.field.as_deref(),
                    encoding: Encoding::Ascii,
                };
                set.hit(h.kind, &h.value, h.defanged, h.notes, seen, None, &|out| {
                    out.push_str(&h.context)
                });
            }
        }
    }

    /// Scans one value.
    fn field(&mut self, extractor: &Extractor, field: &logs::Field, set: &mut dyn Collector) {
        if (field.line, field.offset) != self.record {
            self.flush(set);
            self.record = (field.line, field.offset);
            self.version_value = false;
        }
        let chunk = &mut self.chunk;
        chunk.data.clear();
        chunk.data.extend_from_slice(field.text.as_bytes());
        process_chunk(&extractor.scanner, chunk, false);
        let field_name = logs::field_name(&field.path);
        if field_name == "TargetObject" {
            self.version_value = logs::analysis::is_version_name(logs::base_name(&field.text));
        }
        let version_field = logs::analysis::is_version_name(field_name);
        let registry_data = field_name == "Details";
        let path = (!field.path.is_empty()).then_some(field.path.as_str());
        let data = &chunk.data;
        for f in chunk.found.drain(..) {
            // a version in a field named so, or a folder named after one, is no address
            if f.kind == IocKind::Ipv4
                && (version_field || logs::analysis::only_as_path_component(&field.text, &f.value))
            {
                continue;
            }
            if f.kind == IocKind::Ipv4 && registry_data {
                let mut context = String::new();
                snippet_into(data, f.start, f.end, &mut context);
                self.held.push(Held {
                    kind: f.kind,
                    value: f.value,
                    defanged: f.defanged,
                    notes: f.notes,
                    offset: field.offset,
                    line: field.line,
                    field: path.map(str::to_string),
                    context,
                });
                continue;
            }
            self.hits += 1;
            let seen = Seen {
                source: self.source,
                offset: field.offset,
                line: field.line,
                field: path,
                encoding: Encoding::Ascii,
            };
            set.hit(f.kind, &f.value, f.defanged, f.notes, seen, None, &|out| {
                snippet_into(data, f.start, f.end, out)
            });
        }
    }

    /// The end of the log: the last record's held addresses; returns the hits.
    fn finish(mut self, set: &mut dyn Collector) -> u64 {
        self.flush(set);
        self.hits
    }
}

/// The IOC side of one log read once for its events and its IOCs (see
/// [`Extractor::log_iocs`]).
pub struct LogIocs<'e> {
    extractor: &'e Extractor,
    name: Arc<str>,
    scan: FieldScan,
    set: IocSet,
    chunk_parallel: bool,
    done: Option<(u64, u64, Option<Warning>)>,
}

impl logs::LogSide for LogIocs<'_> {
    fn wants_fields(&self) -> bool {
        self.extractor.options.structured_logs
    }

    fn max_bytes(&self) -> u64 {
        self.extractor.options.max_bytes
    }

    fn field(&mut self, field: logs::Field) {
        self.scan.field(self.extractor, &field, &mut self.set);
    }

    fn text(&mut self, reader: &mut dyn Read) -> Option<Warning> {
        let name = self.name.clone();
        let done = self
            .extractor
            .scan_stream(&name, reader, self.chunk_parallel, &mut self.set);
        self.done = Some(done);
        None
    }

    fn fields_done(
        &mut self,
        format: logs::LogFormat,
        report: logs::ReadReport,
        bytes: u64,
        limited: bool,
    ) {
        let error = self.extractor.fields_error(format, report, limited);
        self.done = Some((bytes, 0, error));
    }
}

impl LogIocs<'_> {
    /// What the read gave, for [`Extractor::extract_sources_given`]. A log that could not
    /// be opened gives `None`: the extraction opens it and reports why it failed.
    pub fn finish(self) -> Option<ReadIocs> {
        let LogIocs {
            scan,
            mut set,
            done,
            ..
        } = self;
        let (bytes, text_hits, error) = done?;
        let hits = text_hits + scan.finish(&mut set);
        Some(ReadIocs {
            set,
            bytes,
            hits,
            error,
        })
    }
}

/// The IOCs of a source found by another reading of it (triage's strings of an
/// executable, a log's reader), which [`Extractor::extract_sources_given`] takes in
/// place of reading the source again.
#[derive(Debug)]
pub struct ReadIocs {
    /// The indicators, ready to merge with other sources'.
    pub set: IocSet,
    /// Bytes read.
    pub bytes: u64,
    /// Sightings found.
    pub hits: u64,
    /// Why reading stopped early, if it did.
    pub error: Option<Warning>,
}

impl From<binary::BinaryIocs> for ReadIocs {
    fn from(b: binary::BinaryIocs) -> Self {
        ReadIocs {
            set: b.set,
            bytes: b.bytes,
            hits: b.hits,
            error: None,
        }
    }
}

/// Adds the sorted indicators of `from` (an executable's, read through its strings, or a
/// log's, read by its reader) to `set`, sighting by sighting, one indicator at a time;
/// returns the trouble with `from`'s temporary files, if any.
fn add_sorted(set: &mut dyn Collector, from: IocSet) -> Option<String> {
    let mut stream = from.into_raw_stream();
    while let Some(ioc) = stream.next_ioc() {
        let mut left = ioc.count;
        for s in &ioc.sightings {
            let seen = Seen {
                source: set.source(&s.source),
                offset: s.offset,
                line: s.line,
                field: s.field.as_deref(),
                encoding: s.encoding,
            };
            let notes = ioc.flags.notes;
            set.hit(
                ioc.kind,
                &ioc.value,
                ioc.flags.defanged,
                notes,
                seen,
                None,
                &|out| out.push_str(&s.context),
            );
            left = left.saturating_sub(1);
        }
        // sightings beyond the cap were counted but not kept
        for _ in 0..left {
            let seen = Seen {
                source: 0,
                offset: None,
                line: None,
                field: None,
                encoding: Encoding::Ascii,
            };
            let notes = ioc.flags.notes;
            set.hit(
                ioc.kind,
                &ioc.value,
                ioc.flags.defanged,
                notes,
                seen,
                None,
                &|_| {},
            );
        }
    }
    stream.error().map(str::to_string)
}

/// A reader that counts the bytes that went through it.
struct Counting<'a> {
    inner: Box<dyn Read + 'a>,
    bytes: u64,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Where to cut a full buffer so that no line is split: after the last newline in the
/// final window, else after the last whitespace or NUL, else at the end.
fn cut_point(buf: &[u8]) -> usize {
    let window_start = buf.len().saturating_sub(CUT_WINDOW);
    let window = &buf[window_start..];
    if let Some(i) = memchr::memrchr(b'\n', window) {
        return window_start + i + 1;
    }
    if let Some(i) = window
        .iter()
        .rposition(|&b| b == 0 || b.is_ascii_whitespace())
    {
        return window_start + i + 1;
    }
    buf.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_text_is_found() {
        let mut data = b"\x01\x02MZ".to_vec();
        for c in "http://c2.example.net/gate.php".bytes() {
            data.push(c);
            data.push(0);
        }
        data.extend_from_slice(b"\0\0\xff");
        let ex = Extractor::new(ExtractOptions::default());
        let iocs = ex.extract_bytes("bin", &data);
        let url = iocs
            .iter()
            .find(|i| i.kind == IocKind::Url)
            .expect("url found");
        assert_eq!(url.value, "http://c2.example.net/gate.php");
        assert_eq!(url.sightings[0].offset, Some(4));
        assert_eq!(url.sightings[0].encoding, Encoding::Utf16le);
    }

    #[test]
    fn chunked_equals_whole() {
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!(
                "line {i} GET http://h{}.example.com/x from 192.0.2.{}\n",
                i % 50,
                i % 200
            ));
        }
        let whole = Extractor::new(ExtractOptions {
            threads: 1,
            ..ExtractOptions::default()
        })
        .extract_bytes("t", text.as_bytes());
        let chunked = Extractor::new(ExtractOptions {
            threads: 1,
            chunk_size: 4096,
            ..ExtractOptions::default()
        })
        .extract_bytes("t", text.as_bytes());
        assert_eq!(whole, chunked);
        let ip = whole.iter().find(|i| i.value == "192.0.2.7").expect("ip");
        assert_eq!(ip.sightings[0].line, Some(8));
        assert_eq!(ip.count, 25);
    }

    #[test]
    fn snippets_cut_from_the_file_equal_those_cut_while_scanning() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&format!(
                "{i} GET http://h{i}.example.com/x?{} from 192.0.2.{}\t\u{e9}\r\n",
                "a".repeat(i % 70),
                i % 200
            ));
        }
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("write");
        let options = ExtractOptions {
            threads: 1,
            chunk_size: 4096,
            ..ExtractOptions::default()
        };
        let scanned = Extractor::new(options.clone()).extract_bytes("t", text.as_bytes());
        let name = file.path().display().to_string();
        for memory_limit in [0, 64 << 10] {
            let ex = Extractor::new(ExtractOptions {
                memory_limit,
                ..options.clone()
            });
            let mut cut = ex.extract_paths(&[file.path().to_path_buf()]).iocs;
            for s in cut.iter_mut().flat_map(|i| i.sightings.iter_mut()) {
                assert_eq!(*s.source, *name);
                s.source = Arc::from("t");
            }
            assert_eq!(cut, scanned);
        }
        let url = scanned
            .iter()
            .find(|i| i.value.contains("h7."))
            .expect("url");
        assert_eq!(
            url.sightings[0].context,
            "7 GET http://h7.example.com/x?aaaaaaa from 192.0.2.7 \u{e9}"
        );
    }

    #[test]
    fn offsets_point_at_original_bytes() {
        let ex = Extractor::new(ExtractOptions::default());
        let iocs = ex.extract_bytes("t", b"aa\nbb evil[.]example[.]com");
        let d = &iocs[0];
        assert_eq!(d.value, "evil.example.com");
        assert!(d.flags.defanged);
        assert_eq!(d.sightings[0].offset, Some(6));
        assert_eq!(d.sightings[0].line, Some(2));
        assert_eq!(d.sightings[0].context, "bb evil[.]example[.]com");
    }
}

#[cfg(test)]
mod given_tests {
    use super::*;
    use crate::input::Source;

    fn log_file(lines: usize, host: &str) -> tempfile::NamedTempFile {
        let mut text = String::new();
        for i in 0..lines {
            text.push_str(&format!(
                "{i} GET http://{host}{i}.example.com/p from 192.0.2.{}:{}\n",
                i % 200,
                1024 + i
            ));
        }
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("write");
        file
    }

    /// What a log's reader gathered while reading it (as `analyze` does), given to the
    /// extraction: the first such set is taken as the extraction's own, a later one is
    /// copied in; either way the indicators are those of reading the files afresh, with a
    /// budget that spills and without one.
    #[test]
    fn indicators_given_by_a_log_reader_equal_a_fresh_read() {
        let (a, b) = (log_file(3000, "a"), log_file(2000, "b"));
        let sources = [a.path(), b.path()].map(|p| Source::File {
            path: p.to_path_buf(),
            len: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        });
        for memory_limit in [0, 32 << 10] {
            let ex = Extractor::new(ExtractOptions {
                threads: 1,
                memory_limit,
                ..ExtractOptions::default()
            });
            let fresh = ex.extract_sources(&sources).iocs;
            assert!(fresh.len() > 5000, "{}", fresh.len());
            let read = |source: &Source| {
                let mut side = ex.log_iocs(source);
                crate::logs::read_source_once(
                    source,
                    None,
                    0,
                    &mut |_| {},
                    &mut |_, _| {},
                    &mut side,
                );
                side.finish()
            };
            for given in [
                vec![read(&sources[0]), None],
                vec![None, read(&sources[1])],
                vec![read(&sources[0]), read(&sources[1])],
            ] {
                let taken = given.iter().map(Option::is_some).collect::<Vec<_>>();
                let out = ex.extract_sources_given(&sources, given).collect();
                assert!(out.errors.is_empty(), "{:?}", out.errors);
                assert_eq!(out.iocs, fresh, "limit {memory_limit}, given {taken:?}");
            }
        }
    }
}
