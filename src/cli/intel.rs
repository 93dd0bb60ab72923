//! `spoor intel`: compile intelligence feeds into a store file that `--intel` memory-maps.

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::intel::{compiled, feeds};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `spoor intel`.
#[derive(Debug, Args)]
pub struct IntelArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: IntelAction,
}

/// The `spoor intel` actions.
#[derive(Debug, Subcommand)]
pub enum IntelAction {
    /// Read intelligence feeds as `--intel` does and write them as one compiled store file.
    /// `--intel FILE` then opens it memory-mapped, reading only its header (well under a
    /// millisecond whatever its size), instead of reading and indexing the feeds at every
    /// run (seconds for millions of entries); lookups give the same hits. Exits 2 when no
    /// entry could be read.
    Build {
        /// MISP feed folders or event JSON, STIX 2.1 bundles, CSV or plain lists.
        #[arg(required = true, value_name = "FEED")]
        feeds: Vec<PathBuf>,
        /// The store file to write (replaced atomically).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
    },
}

/// Runs `spoor intel`.
pub fn run(args: IntelArgs) -> ExitCode {
    match args.action {
        IntelAction::Build { feeds, output } => build(&feeds, &output),
    }
}

fn fail(message: String) -> ExitCode {
    warn(message);
    ExitCode::from(EXIT_FAILURE)
}

fn build(paths: &[PathBuf], output: &Path) -> ExitCode {
    let not_written = |e: String| fail(format!("intel: {e}: {} was not written", output.display()));
    for p in paths {
        if compiled::is_compiled(p).unwrap_or(false) {
            return not_written(format!(
                "{} is a compiled store already; give the feeds it was built from",
                p.display()
            ));
        }
    }
    let (store, warnings) = match feeds::load(paths) {
        Ok(loaded) => loaded,
        Err(e) => return not_written(e.to_string()),
    };
    for w in &warnings {
        warn(format_args!("intel: {w}"));
    }
    if store.entries == 0 {
        return not_written(format!(
            "no entry could be read from {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    let mut size = 0;
    let written = crate::output::write_to(Some(output), |w| {
        size = compiled::write(&store, w)?;
        Ok(())
    });
    if let Err(e) = written {
        return fail(format!("{}: {e}", output.display()));
    }
    eprintln!(
        "spoor: {} entries from {} feed path(s) compiled into {} ({size} bytes)",
        store.entries,
        paths.len(),
        output.display()
    );
    if warnings.is_empty() {
        ExitCode::from(EXIT_OK)
    } else {
        ExitCode::from(EXIT_INPUT_ERRORS)
    }
}
