//! `spoor extract`: IOCs from text, logs and binaries.

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::export::{self, Format, OutputOptions};
use crate::extract::{ExtractOptions, Extractor};
use crate::ioc::allowlist::Allowlist;
use crate::ioc::scan::KindSet;
use crate::ioc::IocKind;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `spoor extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Files or directories to read (directories are walked); `-` or nothing reads stdin.
    pub paths: Vec<PathBuf>,
    /// Only these IOC types (comma-separated), e.g. `url,domain,ipv4`.
    #[arg(long, short = 't', value_delimiter = ',')]
    pub types: Vec<IocKind>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "json")]
    pub format: Format,
    /// Write network indicators defanged (`hxxp`, `[.]`) for safe sharing.
    #[arg(long)]
    pub defang: bool,
    /// Extra allowlist file (`type value` per line; a bare word is a domain). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub allowlist: Vec<PathBuf>,
    /// Use only the allowlist files given, not the built-in list.
    #[arg(long)]
    pub replace_allowlist: bool,
    /// Turn allowlisting off entirely.
    #[arg(long, conflicts_with_all = ["allowlist", "replace_allowlist"])]
    pub no_allowlist: bool,
    /// Keep allowlisted indicators in the output, flagged `allowlisted`.
    #[arg(long)]
    pub show_allowlisted: bool,
    /// Drop private, loopback, link-local, documentation and reserved addresses and names.
    #[arg(long)]
    pub public_only: bool,
    /// Sightings kept per indicator (0 = all); `count` always has the total.
    #[arg(long, default_value_t = 10)]
    pub max_sightings: usize,
    /// Worker threads (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Stop reading a source after this many bytes (0 = no limit).
    #[arg(long, default_value_t = 0, value_name = "BYTES")]
    pub max_size: u64,
    /// Stop reading a text or log input after this many seconds (0 = no limit), keeping
    /// what was read, with a warning; executables are bounded by --max-size instead.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub time_limit: f64,
    /// Do not look for UTF-16LE text in binary input.
    #[arg(long)]
    pub no_utf16: bool,
    /// Scan structured logs (sandbox reports, event logs, captures, JSON) as plain bytes:
    /// sightings get byte offsets instead of field paths.
    #[arg(long)]
    pub raw_logs: bool,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// STIX and MISP settings.
    #[command(flatten)]
    pub exchange: export::ExchangeArgs,
}

/// Runs `spoor extract`.
pub fn run(args: ExtractArgs) -> ExitCode {
    let allowlist = match build_allowlist(&args) {
        Ok(list) => list,
        Err(e) => {
            warn(e);
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let kinds = if args.types.is_empty() {
        KindSet::all()
    } else {
        KindSet::only(&args.types)
    };
    let extractor = Extractor::new(ExtractOptions {
        kinds,
        max_sightings: args.max_sightings,
        allowlist,
        keep_allowlisted: args.show_allowlisted,
        public_only: args.public_only,
        threads: args.threads,
        max_bytes: args.max_size,
        time_limit: super::time_limit(args.time_limit),
        utf16: !args.no_utf16,
        structured_logs: !args.raw_logs,
        ..ExtractOptions::default()
    });
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    let extraction = extractor.extract_paths(&paths);
    for e in &extraction.errors {
        warn(format_args!("{}: {}", e.source, e.message));
    }
    for s in &extraction.sources {
        if let Some(err) = &s.error {
            warn(format_args!("{}: {err}", s.name));
        }
    }
    let options = OutputOptions {
        defang: args.defang,
        exchange: args.exchange.options(),
    };
    if let Err(e) = crate::output::write_to(args.output.as_deref(), |w| {
        export::write(args.format, &extraction, options, w)
    }) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::from(EXIT_OK);
        }
        warn(format_args!("cannot write output: {e}"));
        return ExitCode::from(EXIT_FAILURE);
    }
    if extraction.had_errors() {
        ExitCode::from(EXIT_INPUT_ERRORS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

fn build_allowlist(args: &ExtractArgs) -> Result<Allowlist, String> {
    if args.no_allowlist {
        return Ok(Allowlist::empty());
    }
    let mut list = if args.replace_allowlist {
        Allowlist::empty()
    } else {
        Allowlist::builtin()
    };
    for path in &args.allowlist {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {}", path.display(), crate::input::describe(&e)))?;
        let extra = Allowlist::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        list.extend(extra);
    }
    Ok(list)
}
