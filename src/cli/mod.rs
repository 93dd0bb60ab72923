//! The command line: argument definitions and dispatch, one file per subcommand.
//!
//! Each subcommand parses its arguments, calls the library, prints, and returns an
//! [`ExitCode`]. Machine-readable output goes to stdout (or `-o FILE`), messages to stderr.

pub mod analyze;
pub mod events;
pub mod extract;
pub mod goodware;
pub mod intel;
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

/// Help of `--intel`, shared by the subcommands that take it.
pub const INTEL_HELP: &str = "Intelligence feeds to mark the indicators with: MISP feed \
folders or event JSON, STIX 2.1 bundles, CSV or plain lists (value, tags, first seen, threat \
level), or compiled stores written by `spoor intel build` (memory-mapped, opened at once); \
each indicator gets the feeds, tags, first-seen dates and threat levels it matches (exact \
values, CIDR ranges, domain suffixes, URL prefixes)";

/// Help of `--warninglists`, shared by the subcommands that take it.
pub const WARNINGLISTS_HELP: &str = "Flag indicators on known-benign MISP warning lists \
(public DNS resolvers, CDN and cloud ranges, update hosts, top sites): without DIR the lists \
shipped in data/warninglists/, with DIR the lists there (DIR/NAME/list.json as in \
misp-warninglists, or NAME.json). Flagged indicators are kept, and the report explains them";

/// Reads the `--intel` feeds and the `--warninglists` (`None` when there are neither).
/// Warnings go to stderr; an unreadable feed or list folder is an error naming it.
pub fn load_intel(
    paths: &[std::path::PathBuf],
    warninglists: Option<&Option<std::path::PathBuf>>,
) -> Result<Option<crate::intel::Store>, ExitCode> {
    if paths.is_empty() && warninglists.is_none() {
        return Ok(None);
    }
    // The intel module's errors and warnings carry their codes.
    let fail = |e: crate::Error| {
        let message = format!("intel: {e}");
        fail(&match e {
            crate::Error::Input { .. } => crate::Error::Input {
                path: String::new(),
                message,
            },
            _ => crate::Error::Intel { message },
        })
    };
    let (mut store, mut warnings) = crate::intel::feeds::load(paths).map_err(fail)?;
    store.report_damage_to(crate::intel::DamageReport(Box::new(|m| {
        warn(format_args!("intel: {m}"))
    })));
    match warninglists {
        None => {}
        Some(None) => warnings.extend(crate::intel::warninglists::add_builtin(&mut store)),
        Some(Some(dir)) => {
            warnings.extend(crate::intel::warninglists::add_folder(&mut store, dir).map_err(fail)?)
        }
    }
    for w in warnings {
        warn(w.prefixed("intel"));
    }
    Ok(Some(store))
}

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
    /// Intelligence feeds: compile them into a store file that `--intel` opens at once.
    Intel(intel::IntelArgs),
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
        Command::Intel(args) => intel::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Test(args) => test::run(args),
        Command::Events(args) => events::run(args),
    }
}

/// The exit code of a library error, the one place errors are mapped: rules that cannot
/// be read or compiled give [`test::EXIT_RULES_INVALID`], every other error means nothing
/// could be done ([`EXIT_FAILURE`]). `docs/warnings.md` lists the error codes.
pub fn exit_code(error: &crate::Error) -> u8 {
    match error {
        crate::Error::Rule { .. } => test::EXIT_RULES_INVALID,
        crate::Error::Input { .. }
        | crate::Error::Parse { .. }
        | crate::Error::Argument { .. }
        | crate::Error::Template { .. }
        | crate::Error::Index { .. }
        | crate::Error::Intel { .. } => EXIT_FAILURE,
    }
}

/// Prints a library error on stderr and returns its exit code ([`exit_code`]).
pub fn fail(error: &crate::Error) -> ExitCode {
    warn(error);
    ExitCode::from(exit_code(error))
}

/// Prints a message for the user on stderr: control characters and bidirectional
/// overrides from the inputs are visible escapes (line breaks stay, for multi-line
/// diagnostics such as a rule compiler's).
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("{}", warning_line(&message.to_string()));
}

/// A warning as written to stderr: `spoor: ` and the message, control characters shown as
/// escapes, and every line after the first indented, so that a line break inside a file
/// name or a log field cannot forge a line of its own.
pub fn warning_line(message: &str) -> String {
    format!(
        "spoor: {}",
        crate::escape::terminal::text(message).replace('\n', "\n  ")
    )
}

/// Refuses, before any work, an output path the run could not write at its end (see
/// [`crate::output::check_writable`]): the same message and exit code as a late failure.
pub fn check_output(path: Option<&std::path::Path>) -> Result<(), ExitCode> {
    crate::output::check_writable(path).map_err(|e| {
        warn(format_args!("cannot write output: {e}"));
        ExitCode::from(EXIT_FAILURE)
    })
}

/// A `--time-limit` in seconds as a duration; 0, negative or unrepresentable means none.
pub fn time_limit(seconds: f64) -> Option<std::time::Duration> {
    if seconds > 0.0 {
        std::time::Duration::try_from_secs_f64(seconds).ok()
    } else {
        None
    }
}

/// A size in bytes for the byte-count flags (`--max-size`, `--memory-limit`, ...): a
/// number of bytes, or a number with a `K`, `M` or `G` suffix, powers of 1024 (`KiB`,
/// `MB` and the like are read the same way).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let bad = || format!("bad size '{text}' (bytes, or a number with K, M or G)");
    let unit_start = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(unit_start);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(bad()),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::{parse_size, warning_line};

    #[test]
    fn sizes_take_bytes_or_a_binary_suffix() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("200M"), Ok(200 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("64kb"), Ok(64 << 10));
        assert_eq!(parse_size("0"), Ok(0));
        for bad in ["", "G", "2T", "-1", "1.5G", "18446744073709551615K", "2G2"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_line_break_in_a_warning_cannot_forge_a_line() {
        let w = warning_line("x\nspoor: all inputs read\x1b[2J");
        assert_eq!(w, "spoor: x\n  spoor: all inputs read\\x1b[2J");
        assert!(w.lines().skip(1).all(|l| l.starts_with("  ")));
    }
}
