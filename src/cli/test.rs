//! `spoor test`: measures YARA rules against a malicious and a benign set.
//!
//! Exit codes: [`EXIT_OK`] every file scanned and false positives within `--max-fp`;
//! [`EXIT_INPUT_ERRORS`] within the limit but some files could not be scanned;
//! [`EXIT_FAILURE`] bad usage, an unusable labels file, nothing to scan, or the report could
//! not be written; [`EXIT_FALSE_POSITIVES`] more false positives than `--max-fp` (this wins
//! over 1); [`EXIT_RULES_INVALID`] the rules could not be read or do not compile.

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::evaluate::{self, Labels, Report, RuleSet, ScanConfig, TestSets};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Exit code: more false positives than `--max-fp`.
pub const EXIT_FALSE_POSITIVES: u8 = 3;
/// Exit code: the rules could not be read or do not compile.
pub const EXIT_RULES_INVALID: u8 = 4;

/// The `schema` value of the JSON report; bumped when a field is removed or renamed.
pub const JSON_SCHEMA: &str = "spoor.test/1";

/// Output formats of `spoor test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// Tables for people.
    Text,
    /// The complete report as one JSON object.
    Json,
}

/// Arguments of `spoor test`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 passed; 1 passed, but some files could not be scanned; \
2 bad usage, labels or output; 3 more false positives than --max-fp; 4 the rules do not \
compile. See docs/testing-rules.md."
)]
pub struct TestArgs {
    /// Rule files, or directories holding `.yar`/`.yara` files.
    #[arg(required = true, value_name = "RULES")]
    pub rules: Vec<PathBuf>,
    /// Files or directories the rules should match.
    #[arg(long, num_args = 1.., value_name = "PATH", required_unless_present = "benign")]
    pub malicious: Vec<PathBuf>,
    /// Files or directories no rule may match.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub benign: Vec<PathBuf>,
    /// Family labels of the malicious files: a JSON object of path -> family (the format of
    /// corpus/expected/labels.json).
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// False positives allowed before the exit code says failure.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub max_fp: usize,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: TestFormat,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Worker threads (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Seconds one file's scan may take before it is abandoned (and reported).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
    /// Files larger than this are not scanned (and reported); bytes, or `K`, `M`, `G`.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = super::parse_size)]
    pub max_size: u64,
    /// Leave throughput out of the report, so that it is the same on every run.
    #[arg(long)]
    pub no_timing: bool,
}

/// The JSON document: the report with the verdict.
#[derive(Serialize)]
struct JsonReport<'a> {
    schema: &'static str,
    passed: bool,
    max_fp: usize,
    #[serde(flatten)]
    report: &'a Report,
}

/// Runs `spoor test`.
pub fn run(args: TestArgs) -> ExitCode {
    if let Err(code) = super::check_output(args.output.as_deref()) {
        return code;
    }
    let rules = match RuleSet::compile_paths(&args.rules) {
        Ok(r) => r,
        Err(e) => return super::fail(&e.into()),
    };
    for w in rules.warnings() {
        warn(format_args!("rule warning: {w}"));
    }
    let labels = match &args.labels {
        Some(path) => match Labels::load(path) {
            Ok(l) => Some(l),
            Err(e) => return super::fail(&e.into()),
        },
        None => None,
    };
    let sets = TestSets::collect(&args.malicious, &args.benign);
    if sets.files.is_empty() {
        for u in &sets.unreadable {
            warn(format_args!("{}: {}", u.file, u.reason));
        }
        warn("no files to scan");
        return ExitCode::from(EXIT_FAILURE);
    }
    let config = ScanConfig {
        threads: args.threads,
        timeout: Duration::from_secs(args.timeout.max(1)),
        max_file_size: args.max_size,
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(sets.bytes);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style);
        }
        bar
    });
    let progress = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    let mut report = evaluate::evaluate(&rules, &sets, labels.as_ref(), &config, &progress);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if args.no_timing {
        report.throughput = None;
    }
    for u in &report.unreadable {
        warn(format_args!("{}: {}", u.file, u.reason));
    }
    for w in &report.warnings {
        warn(w);
    }

    let passed = report.false_positives <= args.max_fp;
    let written = crate::output::write_to(args.output.as_deref(), |w| match args.format {
        TestFormat::Json => {
            let doc = JsonReport {
                schema: JSON_SCHEMA,
                passed,
                max_fp: args.max_fp,
                report: &report,
            };
            serde_json::to_writer_pretty(&mut *w, &doc).map_err(std::io::Error::other)?;
            writeln!(w)
        }
        // File and rule names come from the sets: control characters shown as escapes.
        TestFormat::Text => w.write_all(
            crate::escape::terminal::text(&evaluate::text::render(&report, args.max_fp)).as_bytes(),
        ),
    });
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            warn(format_args!("cannot write the report: {e}"));
            return ExitCode::from(EXIT_FAILURE);
        }
    }
    if !passed {
        ExitCode::from(EXIT_FALSE_POSITIVES)
    } else if !report.unreadable.is_empty() {
        ExitCode::from(EXIT_INPUT_ERRORS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}
