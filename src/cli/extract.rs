//! `spoor extract`: IOCs from text, logs and binaries.

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::export::{self, OutputFormat, OutputOptions};
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
    pub format: OutputFormat,
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
    /// Stop reading a source after this many bytes (0 = no limit; `K`, `M`, `G` suffixes).
    #[arg(long, default_value_t = 0, value_name = "SIZE", value_parser = super::parse_size)]
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
    /// Memory the deduplicated indicators may take before they are spilled, sorted, to
    /// temporary files and merged at the end (same output): bytes, or with a K, M or G
    /// suffix; 0 = no limit.
    #[arg(long, value_name = "SIZE", default_value = "200M", value_parser = super::parse_size)]
    pub memory_limit: u64,
    /// Directory for the temporary files of --memory-limit (default: the system's).
    #[arg(long, value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,
    /// Write each sighting as soon as it is found, in input order, without deduplication
    /// (constant memory; each line an indicator with a count of 1 and one sighting); for
    /// `-f ndjson` and `-f text`.
    #[arg(long)]
    pub no_dedup: bool,
    #[arg(long, num_args = 1.., value_name = "PATH", help = super::INTEL_HELP)]
    pub intel: Vec<PathBuf>,
    #[arg(long, num_args = 0..=1, value_name = "DIR", help = super::WARNINGLISTS_HELP)]
    pub warninglists: Option<Option<std::path::PathBuf>>,
    /// Leave the context snippet out of sightings.
    #[arg(long)]
    pub no_context: bool,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// STIX and MISP settings.
    #[command(flatten)]
    pub exchange: export::ExchangeArgs,
}

/// Runs `spoor extract`.
pub fn run(args: ExtractArgs) -> ExitCode {
    if let Err(code) = super::check_output(args.output.as_deref()) {
        return code;
    }
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
    if args.no_dedup && !matches!(args.format, OutputFormat::Ndjson | OutputFormat::Text) {
        warn("--no-dedup needs -f ndjson or -f text");
        return ExitCode::from(EXIT_FAILURE);
    }
    // only what the format shows is kept: text shows no sightings, CSV the first one;
    // without deduplication, an executable's sightings are all passed on
    let max_sightings = match args.format {
        _ if args.no_dedup => 0,
        OutputFormat::Csv if args.max_sightings != 1 => 1,
        _ => args.max_sightings,
    };
    let extractor = Extractor::new(ExtractOptions {
        kinds,
        max_sightings,
        allowlist,
        keep_allowlisted: args.show_allowlisted,
        public_only: args.public_only,
        threads: args.threads,
        max_bytes: args.max_size,
        time_limit: super::time_limit(args.time_limit),
        utf16: !args.no_utf16,
        structured_logs: !args.raw_logs,
        memory_limit: usize::try_from(args.memory_limit).unwrap_or(usize::MAX),
        temp_dir: args.temp_dir.clone(),
        sightings: args.format != OutputFormat::Text,
        context: !args.no_context,
        ..ExtractOptions::default()
    });
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    let options = OutputOptions {
        defang: args.defang,
        exchange: args.exchange.options(),
    };
    let intel = match super::load_intel(&args.intel, args.warninglists.as_ref()) {
        Ok(store) => store,
        Err(code) => return code,
    };
    if args.no_dedup {
        if intel.is_some() {
            warn("--intel needs deduplicated output (without --no-dedup)");
            return ExitCode::from(EXIT_FAILURE);
        }
        return run_streaming(&args, &extractor, &paths, options);
    }
    let mut extraction = extractor.extract_paths_sorted(&paths);
    if let Some(store) = intel {
        let store = std::sync::Arc::new(store);
        extraction.iocs.set_hook(Box::new(move |ioc| {
            ioc.intel = store.lookup(ioc.kind, &ioc.value);
        }));
    }
    for e in &extraction.errors {
        warn(format_args!("{}: {}", e.source, e.message));
    }
    for s in &extraction.sources {
        if let Some(err) = &s.error {
            warn(format_args!("{}: {err}", s.name));
        }
    }
    let mut had_errors =
        !extraction.errors.is_empty() || extraction.sources.iter().any(|s| s.error.is_some());
    let mut read_back = None;
    if let Err(e) = crate::output::write_to(args.output.as_deref(), |w| {
        read_back = export::write_sorted(args.format, extraction, options, w)?;
        Ok(())
    }) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::from(EXIT_OK);
        }
        warn(format_args!("cannot write output: {e}"));
        return ExitCode::from(EXIT_FAILURE);
    }
    if let Some(e) = read_back {
        warn(format_args!("temporary files: {e}"));
        had_errors = true;
    }
    if had_errors {
        ExitCode::from(EXIT_INPUT_ERRORS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

/// `--no-dedup`: each sighting is written as it is found.
fn run_streaming(
    args: &ExtractArgs,
    extractor: &Extractor,
    paths: &[PathBuf],
    options: OutputOptions,
) -> ExitCode {
    let mut report = None;
    let result = crate::output::write_to(args.output.as_deref(), |w| {
        let r = extractor.stream_paths(paths, &mut |ioc| match args.format {
            OutputFormat::Text => export::text::write_iocs([ioc], options, w),
            _ => export::json::write_line(ioc, options, w),
        });
        let error = r
            .output_error
            .as_ref()
            .map(|e| std::io::Error::new(e.kind(), e.to_string()));
        report = Some(r);
        match error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    });
    if let Some(r) = &report {
        for e in &r.errors {
            warn(format_args!("{}: {}", e.source, e.message));
        }
        for s in &r.sources {
            if let Some(err) = &s.error {
                warn(format_args!("{}: {err}", s.name));
            }
        }
    }
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::from(EXIT_OK);
        }
        warn(format_args!("cannot write output: {e}"));
        return ExitCode::from(EXIT_FAILURE);
    }
    let had_errors = report
        .as_ref()
        .is_some_and(|r| !r.errors.is_empty() || r.sources.iter().any(|s| s.error.is_some()));
    if had_errors {
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
