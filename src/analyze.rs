//! The input stages of the one-shot analysis (`pipeline` runs them, then the rules, for
//! `spoor analyze` and `spoor.analyze`): triage every sample once, read every log once
//! for its events and its IOCs (the log's reader hands its fields to the IOC scanner),
//! scan every sample for IOCs (an executable's from the strings triage read), and gather
//! the findings that the report and the exports are made from.
//!
//! This module only runs the stages and collects their results; each stage's logic lives in
//! its own module ([`crate::sample`], [`crate::logs`], [`crate::extract`]), and rendering lives in
//! [`crate::report`] and [`crate::export`].

use crate::error::{Warning, WarningCode};
use crate::extract::binary::{self, BinaryIocs};
use crate::extract::{ExtractOptions, Extraction, Extractor, ReadIocs, SortedExtraction};
use crate::input::{self, InputError, Source};
use crate::sample::{self, SampleFormat, Triage, TriageOptions};
use rayon::prelude::*;
use std::io::Read;
use std::path::PathBuf;

/// Settings for [`analyze`].
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// IOC extraction settings (types, allowlist, threads, size limit).
    pub extract: ExtractOptions,
    /// Triage settings.
    pub triage: TriageOptions,
    /// Samples larger than this many bytes are not triaged (they are still scanned for IOCs).
    pub max_sample_size: u64,
    /// A Sigma rule set to run over the logs' records (`analyze --sigma`).
    pub sigma: Option<std::sync::Arc<crate::sigma::Engine>>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            extract: ExtractOptions::default(),
            triage: TriageOptions::default(),
            max_sample_size: 256 * 1024 * 1024,
            sigma: None,
        }
    }
}

/// What one analysis found.
#[derive(Debug)]
pub struct InputFindings {
    /// Triage reports of the inputs that are PE, ELF or Mach-O files, in input order.
    pub samples: Vec<Triage>,
    /// Other files given as samples (not an executable format): scanned for IOCs only.
    pub other_files: Vec<String>,
    /// Log files given with `--logs` (read for events and scanned for IOCs).
    pub logs: Vec<String>,
    /// What reading each log for events gave (format, records, events, warnings).
    pub log_summaries: Vec<crate::logs::SourceSummary>,
    /// What the logs' events show: process tree, persistence, IOCs with context, clean-up.
    pub dynamic: crate::logs::analysis::LogFindings,
    /// The logs' events that Sigma rules are written from (process creations, files,
    /// registry, tasks, services, DNS, connections), in reading order.
    pub behaviour: Vec<crate::logs::Event>,
    /// What the Sigma rule set matched, when one was given.
    pub sigma: Option<crate::sigma::SigmaResult>,
    /// IOCs from every sample and log, with provenance: all of them, or, when there are
    /// more than [`MAX_REPORT_IOCS`], the top ones (seen in a sample first, then by count)
    /// in output order; the complete list is then in [`InputFindings::iocs_json`].
    pub extraction: Extraction,
    /// How many indicators were found in all.
    pub iocs_total: u64,
    /// The complete `iocs.json` document, when `extraction` holds only the top indicators.
    pub iocs_json: Option<tempfile::NamedTempFile>,
    /// Inputs that could not be read, and why.
    pub errors: Vec<InputError>,
    /// Warnings from the stages (`name: message`), with codes.
    pub warnings: Vec<Warning>,
    /// Of the warnings, those that say data was lost: damaged log records, a tree that could
    /// not be drawn as given, strings over the cap, a sample too large to triage. Any of
    /// them makes the run incomplete (exit code 1).
    pub losses: usize,
    /// How often the inputs were read, per kind of reading.
    pub stats: Stats,
}

/// How often [`analyze`] read its inputs. Each executable sample is triaged once and its
/// IOCs come from the strings triage read. Each log is read once: its format's reader
/// gives the events and hands each record's fields to the IOC scanner
/// (`logs_read_for_events` and `log_opens` equal the number of logs,
/// `logs_read_for_iocs` is 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Samples triaged (PE, ELF or Mach-O files, each once).
    pub triaged: usize,
    /// Of those, the ones the IOC scan had to read again (their IOCs were not taken from
    /// triage's strings: the sample is over the extraction's `max_bytes`).
    pub executables_read_again: usize,
    /// Logs read by their format's reader for events (and Sigma), and for IOCs from the
    /// same read.
    pub logs_read_for_events: usize,
    /// Logs read again for IOCs (their IOCs were not taken from the read for events: the
    /// log could not be opened then).
    pub logs_read_for_iocs: usize,
    /// How often the logs were opened in all (a JSON document whose first bytes do not
    /// say what it is may be opened twice to learn it).
    pub log_opens: usize,
}

impl InputFindings {
    /// The mutex names the analysis logs saw created (CAPE `mutexes`, mutex API calls).
    pub fn logged_mutexes(&self) -> std::collections::BTreeSet<String> {
        self.dynamic
            .iocs
            .iter()
            .filter(|i| i.kind == "mutex")
            .map(|i| i.value.clone())
            .collect()
    }

    /// True when some input could not be read completely.
    pub fn had_errors(&self) -> bool {
        !self.errors.is_empty() || self.extraction.had_errors() || self.losses > 0
    }
}

/// Runs triage and IOC extraction over `samples` and `logs` (files or directories).
pub fn analyze(samples: &[PathBuf], logs: &[PathBuf], options: &AnalyzeOptions) -> InputFindings {
    let (sample_sources, mut errors) = input::expand(samples);
    let (log_sources, log_errors) = input::expand_logs(logs);
    errors.extend(log_errors);

    let extractor = Extractor::new(options.extract.clone());
    // Each sample is read once: triage's strings give its IOCs too.
    let (triaged, binaries): (Vec<TriageOutcome>, Vec<Option<BinaryIocs>>) = sample_sources
        .par_iter()
        .map(|source| triage_source(source, options, &extractor))
        .unzip();
    let mut stats = Stats {
        triaged: triaged
            .iter()
            .filter(|t| matches!(t, TriageOutcome::Sample(_)))
            .count(),
        ..Stats::default()
    };
    stats.executables_read_again = triaged
        .iter()
        .zip(&binaries)
        .filter(|(t, g)| matches!(t, TriageOutcome::Sample(_)) && g.is_none())
        .count();
    let mut given: Vec<Option<ReadIocs>> = binaries
        .into_iter()
        .map(|b| b.map(ReadIocs::from))
        .collect();

    let mut events = crate::logs::analysis::LogAnalysis::new();
    let mut behaviour = Vec::new();
    let mut activity = crate::activity::Activity::new();
    let scan = options
        .sigma
        .as_deref()
        .map(|e| std::cell::RefCell::new(crate::sigma::Scan::new(e)));
    // Each log is read once: its reader's events go to the log analysis, Sigma and the
    // behaviour list, its fields (or its text) to the IOC scanner.
    let log_summaries: Vec<crate::logs::SourceSummary> = log_sources
        .iter()
        .map(|source| {
            stats.logs_read_for_events += 1;
            let mut iocs = extractor.log_iocs(source);
            let summary = crate::logs::read_source_once(
                source,
                options.extract.time_limit,
                options.extract.max_bytes,
                &mut |e| {
                    events.add(&e);
                    activity.add(&e);
                    if let Some(s) = &scan {
                        s.borrow_mut().event(&e);
                    }
                    if crate::sigma::writer::is_behaviour(&e) {
                        behaviour.push(e);
                    }
                },
                &mut |record, provenance| {
                    if let Some(s) = &scan {
                        s.borrow_mut().windows(record, provenance);
                    }
                },
                &mut iocs,
            );
            stats.log_opens += summary.opened as usize;
            let read = iocs.finish();
            if read.is_none() {
                stats.logs_read_for_iocs += 1;
            }
            given.push(read);
            summary
        })
        .collect();
    let mut dynamic = events.finish();
    let sigma = scan.map(|s| s.into_inner().finish());
    if let Some(result) = &sigma {
        crate::sigma::add_techniques(result, &mut dynamic);
    }

    let all_sources: Vec<Source> = sample_sources.iter().chain(&log_sources).cloned().collect();
    given.resize_with(all_sources.len(), || None);
    let sorted = extractor.extract_sources_given(&all_sources, given);
    let sample_names: std::collections::HashSet<String> =
        sample_sources.iter().map(Source::name).collect();
    let mut top = keep_top(sorted, &sample_names, MAX_REPORT_IOCS);
    let mut analysis = InputFindings {
        samples: Vec::new(),
        other_files: Vec::new(),
        logs: log_sources.iter().map(Source::name).collect(),
        log_summaries,
        dynamic,
        behaviour,
        sigma,
        extraction: top.extraction,
        iocs_total: top.total,
        iocs_json: top.full.take(),
        errors,
        warnings: Vec::new(),
        losses: 0,
        stats,
    };
    if analysis.iocs_json.is_some() {
        analysis.warnings.push(Warning::new(
            WarningCode::SizeLimit,
            format!(
                "{} indicators found: the report, the STIX bundle and the MISP event hold the \
                 top {MAX_REPORT_IOCS} (seen in a sample first, then by count); iocs.json has \
                 them all",
                top.total
            ),
        ));
    }
    analysis.warnings.extend(top.warnings);
    for summary in &analysis.log_summaries {
        analysis.losses += summary.warnings.len();
        analysis
            .warnings
            .extend(summary.warnings.iter().map(|w| w.prefixed(&summary.name)));
    }
    analysis.losses += analysis.dynamic.warnings.len();
    analysis.warnings.extend(
        analysis
            .dynamic
            .warnings
            .iter()
            .map(|w| w.prefixed("process tree")),
    );
    for outcome in triaged {
        match outcome {
            TriageOutcome::Sample(t) => {
                let name = t.name.clone();
                if t.strings_dropped > 0 {
                    analysis.losses += 1;
                }
                analysis
                    .warnings
                    .extend(t.warnings.iter().map(|w| w.prefixed(&name)));
                analysis.samples.push(*t);
            }
            TriageOutcome::Other(name) => analysis.other_files.push(name),
            TriageOutcome::TooLarge(name, size) => {
                analysis.losses += 1;
                analysis.warnings.push(Warning::new(
                    WarningCode::SizeLimit,
                    format!(
                        "{name}: {size} bytes is over the triage limit of {} bytes; scanned for \
                         IOCs only",
                        options.max_sample_size
                    ),
                ));
                analysis.other_files.push(name);
            }
            TriageOutcome::Failed(error) => analysis.errors.push(error),
        }
    }
    activity.attach(&mut analysis.samples);
    analysis
}

/// Indicators the analysis holds in memory for the report and the exchange formats; past
/// this many, the complete list goes to [`InputFindings::iocs_json`] only.
pub const MAX_REPORT_IOCS: usize = 1000;

struct Top {
    extraction: Extraction,
    total: u64,
    full: Option<tempfile::NamedTempFile>,
    warnings: Vec<Warning>,
}

/// Reads the sorted indicators once: writes them all into a temporary `iocs.json` and
/// keeps the `max` best (seen in a sample, then by count, then in output order), in output
/// order. When there are no more than `max`, the temporary file is dropped and the
/// extraction holds them all.
fn keep_top(
    sorted: SortedExtraction,
    samples: &std::collections::HashSet<String>,
    max: usize,
) -> Top {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let SortedExtraction {
        mut iocs,
        sources,
        errors,
    } = sorted;
    let mut warnings = Vec::new();
    let mut heap: BinaryHeap<Reverse<Ranked>> = BinaryHeap::new();
    let mut total = 0u64;
    let mut file = tempfile::NamedTempFile::new();
    let mut offer = |ioc: &crate::ioc::Ioc, heap: &mut BinaryHeap<Reverse<Ranked>>| {
        let in_sample = ioc.sightings.iter().any(|s| samples.contains(&*s.source));
        let key = (in_sample, ioc.count, Reverse(total));
        total += 1;
        let better = heap.len() < max || heap.peek().is_some_and(|Reverse(min)| key > min.key());
        if better {
            heap.push(Reverse(Ranked {
                in_sample,
                count: ioc.count,
                order: key.2,
                ioc: ioc.clone(),
            }));
            if heap.len() > max {
                heap.pop();
            }
        }
    };
    let written = match &mut file {
        Ok(f) => {
            let mut w = std::io::BufWriter::new(f.as_file_mut());
            let names = iocs.source_names().to_vec();
            (|| {
                let mut doc = crate::export::json::DocumentWriter::begin(
                    &sources,
                    &errors,
                    &names,
                    crate::export::OutputOptions::default(),
                    &mut w,
                )?;
                while let Some(ioc) = iocs.next_ref() {
                    offer(ioc, &mut heap);
                    doc.ioc(ioc)?;
                }
                doc.finish()
            })()
            .and_then(|()| std::io::Write::flush(&mut w))
        }
        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
    };
    if let Err(e) = &written {
        warnings.push(Warning::new(
            WarningCode::TempFile,
            format!(
                "cannot write the indicators to a temporary file ({e}); iocs.json holds the top \
                 {max}"
            ),
        ));
        // what was not read yet still counts
        while let Some(ioc) = iocs.next_ioc() {
            offer(&ioc, &mut heap);
        }
    }
    let mut errors = errors;
    if let Some(e) = iocs.error() {
        errors.push(crate::extract::temp_error(e));
    }
    let mut kept: Vec<Ranked> = heap.into_iter().map(|Reverse(r)| r).collect();
    kept.sort_by_key(|r| Reverse(r.order));
    let full = match (written, file) {
        (Ok(()), Ok(f)) if total > max as u64 => Some(f),
        _ => None,
    };
    Top {
        extraction: Extraction {
            iocs: kept.into_iter().map(|r| r.ioc).collect(),
            sources,
            errors,
        },
        total,
        full,
        warnings,
    }
}

/// An indicator with what ranks it for the report.
struct Ranked {
    in_sample: bool,
    count: u64,
    /// Output position, reversed: earlier ranks higher on ties.
    order: std::cmp::Reverse<u64>,
    ioc: crate::ioc::Ioc,
}

impl Ranked {
    fn key(&self) -> (bool, u64, std::cmp::Reverse<u64>) {
        (self.in_sample, self.count, self.order)
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

enum TriageOutcome {
    Sample(Box<Triage>),
    Other(String),
    TooLarge(String, u64),
    Failed(InputError),
}

/// Triages one sample; for an executable, also its IOCs from the strings triage read
/// (as the extractor would find them reading the file).
fn triage_source(
    source: &Source,
    options: &AnalyzeOptions,
    extractor: &Extractor,
) -> (TriageOutcome, Option<BinaryIocs>) {
    let name = source.name();
    let failed = |e: std::io::Error| {
        (
            TriageOutcome::Failed(InputError {
                code: crate::error::WarningCode::of_io(&e),
                source: name.clone(),
                message: input::describe(&e),
            }),
            None,
        )
    };
    let mut reader = match source.open() {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    // The magic first: a file that is not an executable is left to the IOC scan, which
    // streams it, instead of being held in memory whole (a large log given as a sample).
    let mut data = Vec::new();
    if let Err(e) = reader.by_ref().take(8).read_to_end(&mut data) {
        return failed(e);
    }
    if sample::sniff(&data) == SampleFormat::Unknown {
        return (TriageOutcome::Other(name), None);
    }
    if source.len_hint() > options.max_sample_size {
        return (TriageOutcome::TooLarge(name, source.len_hint()), None);
    }
    // Read at most one byte more than the limit, so a file that grew (or a device that
    // never ends) is noticed instead of read forever.
    if let Err(e) = reader
        .by_ref()
        .take(
            options
                .max_sample_size
                .saturating_add(1)
                .saturating_sub(data.len() as u64),
        )
        .read_to_end(&mut data)
    {
        return failed(e);
    }
    if data.len() as u64 > options.max_sample_size {
        return (TriageOutcome::TooLarge(name, data.len() as u64), None);
    }
    let (triage, strings) = sample::triage_with_strings(&name, &data, options.triage);
    let bytes = data.len() as u64;
    let max = options.extract.max_bytes;
    // The extractor reads no more than `max_bytes` of a source: a larger executable is left
    // to it (it scans the first `max_bytes` as bytes).
    let iocs = (max == 0 || bytes <= max).then(|| {
        drop(data);
        let regions = sample::Regions::new(&triage.sections);
        let (set, hits) = binary::extract_strings(
            &name,
            &strings,
            &regions,
            extractor,
            options.extract.max_sightings,
        );
        BinaryIocs { set, bytes, hits }
    });
    (TriageOutcome::Sample(Box::new(triage)), iocs)
}
