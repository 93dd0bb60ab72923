//! The command line: argument definitions and dispatch, one file per subcommand.
//!
//! Each subcommand parses its arguments, calls the library, prints, and returns an
//! [`ExitCode`]. Machine-readable output goes to stdout (or `-o FILE`), messages to stderr.

pub mod analyze;
pub mod events;
pub mod extract;
pub mod goodware;
pub mod rules;
pub mod test;
pub mod triage;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: everything worked.
pub const EXIT_OK: u8 = 0;
/// Exit code: results were written, but some input could not be read completely.
pub const EXIT_INPUT_ERRORS: u8 = 1;
/// Exit code: bad usage or nothing could be done (clap also uses 2 for usage errors).
pub const EXIT_FAILURE: u8 = 2;

/// spoor turns malware samples and analysis logs into indicators of compromise and tested
/// YARA rules.
#[derive(Debug, Parser)]
#[command(name = "spoor", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Extract IOCs from files, directories or standard input.
    Extract(extract::ExtractArgs),
    /// One-shot analysis: triage, IOCs and the analyst report (Markdown and HTML) in a directory.
    Analyze(analyze::AnalyzeArgs),
    /// Static triage of PE, ELF and Mach-O samples: structure, behaviours, ATT&CK, packing.
    Triage(triage::TriageArgs),
    /// Goodware index: build one from known-good files, describe it, query it.
    Goodware(goodware::GoodwareArgs),
    /// Generate YARA rules for samples (one per sample, or one per family).
    Rules(rules::RulesArgs),
    /// Measure YARA rules against malicious and benign sets: detections, false positives, speed.
    Test(test::TestArgs),
    /// Dynamic-analysis logs as normalised events: process tree, persistence, remediation.
    Events(events::EventsArgs),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Analyze(args) => analyze::run(args),
        Command::Extract(args) => extract::run(args),
        Command::Triage(args) => triage::run(args),
        Command::Goodware(args) => goodware::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Test(args) => test::run(args),
        Command::Events(args) => events::run(args),
    }
}

/// Prints a message for the user on stderr: control characters and bidirectional
/// overrides from the inputs are visible escapes (line breaks stay, for multi-line
/// diagnostics such as a rule compiler's).
pub fn warn(message: impl std::fmt::Display) {
    eprintln!(
        "spoor: {}",
        crate::escape::terminal::text(&message.to_string())
    );
}

/// A `--time-limit` in seconds as a duration; 0, negative or unrepresentable means none.
pub fn time_limit(seconds: f64) -> Option<std::time::Duration> {
    if seconds > 0.0 {
        std::time::Duration::try_from_secs_f64(seconds).ok()
    } else {
        None
    }
}
