//! The one-shot analysis behind `spoor analyze`: triage every sample, scan every sample and
//! log for IOCs, and gather the findings that the report and the exports are made from.
//!
//! This module only runs the stages and collects their results; each stage's logic lives in
//! its own module ([`crate::sample`], [`crate::logs`], [`crate::extract`]), and rendering lives in
//! [`crate::report`] and [`crate::export`].

use crate::extract::{ExtractOptions, Extraction, Extractor};
use crate::input::{self, InputError, Source};
use crate::sample::{self, Format, Triage, TriageOptions};
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
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            extract: ExtractOptions::default(),
            triage: TriageOptions::default(),
            max_sample_size: 256 * 1024 * 1024,
        }
    }
}

/// What one analysis found.
#[derive(Debug)]
pub struct Analysis {
    /// Triage reports of the inputs that are PE, ELF or Mach-O files, in input order.
    pub samples: Vec<Triage>,
    /// Other files given as samples (not an executable format): scanned for IOCs only.
    pub other_files: Vec<String>,
    /// Log files given with `--logs` (read for events and scanned for IOCs).
    pub logs: Vec<String>,
    /// What reading each log for events gave (format, records, events, warnings).
    pub log_summaries: Vec<crate::logs::SourceSummary>,
    /// What the logs' events show: process tree, persistence, IOCs with context, clean-up.
    pub dynamic: crate::logs::analysis::Findings,
    /// IOCs from every sample and log, with provenance.
    pub extraction: Extraction,
    /// Inputs that could not be read, and why.
    pub errors: Vec<InputError>,
    /// Warnings from the stages (`name: message`).
    pub warnings: Vec<String>,
    /// Of the warnings, those that say data was lost: damaged log records, a tree that could
    /// not be drawn as given, strings over the cap, a sample too large to triage. Any of
    /// them makes the run incomplete (exit code 1).
    pub losses: usize,
}

impl Analysis {
    /// True when some input could not be read completely.
    pub fn had_errors(&self) -> bool {
        !self.errors.is_empty() || self.extraction.had_errors() || self.losses > 0
    }
}

/// Runs triage and IOC extraction over `samples` and `logs` (files or directories).
pub fn analyze(samples: &[PathBuf], logs: &[PathBuf], options: &AnalyzeOptions) -> Analysis {
    let (sample_sources, mut errors) = input::expand(samples);
    let (log_sources, log_errors) = input::expand(logs);
    errors.extend(log_errors);

    let triaged: Vec<TriageOutcome> = sample_sources
        .par_iter()
        .map(|source| triage_source(source, options))
        .collect();

    let mut events = crate::logs::analysis::Analysis::new();
    let log_summaries: Vec<crate::logs::SourceSummary> = log_sources
        .iter()
        .map(|source| {
            crate::logs::read_source(source, options.extract.time_limit, &mut |e| events.add(&e))
        })
        .collect();
    let dynamic = events.finish();

    let all_sources: Vec<Source> = sample_sources.iter().chain(&log_sources).cloned().collect();
    let extraction = Extractor::new(options.extract.clone()).extract_sources(&all_sources);
    let mut analysis = Analysis {
        samples: Vec::new(),
        other_files: Vec::new(),
        logs: log_sources.iter().map(Source::name).collect(),
        log_summaries,
        dynamic,
        extraction,
        errors,
        warnings: Vec::new(),
        losses: 0,
    };
    for summary in &analysis.log_summaries {
        analysis.losses += summary.warnings.len();
        analysis.warnings.extend(
            summary
                .warnings
                .iter()
                .map(|w| format!("{}: {w}", summary.name)),
        );
    }
    analysis.losses += analysis.dynamic.warnings.len();
    analysis.warnings.extend(
        analysis
            .dynamic
            .warnings
            .iter()
            .map(|w| format!("process tree: {w}")),
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
                    .extend(t.warnings.iter().map(|w| format!("{name}: {w}")));
                analysis.samples.push(*t);
            }
            TriageOutcome::Other(name) => analysis.other_files.push(name),
            TriageOutcome::TooLarge(name, size) => {
                analysis.losses += 1;
                analysis.warnings.push(format!(
                    "{name}: {size} bytes is over the triage limit of {} bytes; scanned for IOCs only",
                    options.max_sample_size
                ));
                analysis.other_files.push(name);
            }
            TriageOutcome::Failed(error) => analysis.errors.push(error),
        }
    }
    analysis
}

enum TriageOutcome {
    Sample(Box<Triage>),
    Other(String),
    TooLarge(String, u64),
    Failed(InputError),
}

fn triage_source(source: &Source, options: &AnalyzeOptions) -> TriageOutcome {
    let name = source.name();
    if source.len_hint() > options.max_sample_size {
        return TriageOutcome::TooLarge(name, source.len_hint());
    }
    let failed = |e: std::io::Error| {
        TriageOutcome::Failed(InputError {
            source: name.clone(),
            message: input::describe(&e),
        })
    };
    let mut reader = match source.open() {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    // Read at most one byte more than the limit, so a file that grew (or a device that
    // never ends) is noticed instead of read forever.
    let mut data = Vec::new();
    if let Err(e) = reader
        .by_ref()
        .take(options.max_sample_size.saturating_add(1))
        .read_to_end(&mut data)
    {
        return failed(e);
    }
    if data.len() as u64 > options.max_sample_size {
        return TriageOutcome::TooLarge(name, data.len() as u64);
    }
    if sample::sniff(&data) == Format::Unknown {
        return TriageOutcome::Other(name);
    }
    TriageOutcome::Sample(Box::new(sample::triage_with(&name, &data, options.triage)))
}
