//! `spoor goodware`: build, describe and query the goodware index.

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::goodware::{self, BuildOptions, Index};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `spoor goodware`.
#[derive(Debug, Args)]
pub struct GoodwareArgs {
    /// What to do with the index.
    #[command(subcommand)]
    pub action: GoodwareAction,
}

/// The `spoor goodware` actions.
#[derive(Debug, Subcommand)]
pub enum GoodwareAction {
    /// Build an index from every file under the paths (any format; symbolic links are
    /// followed, loops reported). Exits 2 when no file could be indexed.
    Build {
        /// Files or directories of known-good files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The index file to write.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
        /// Add the files to the existing index FILE instead of starting afresh.
        #[arg(long)]
        append: bool,
        /// Date recorded in the index (`YYYY-MM-DD`); today (UTC) by default.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::dates::parse_day)]
        date: Option<String>,
        /// Skip files larger than this many bytes (`K`, `M`, `G` suffixes).
        #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = super::parse_size)]
        max_file_size: u64,
        /// Keep only strings (imphashes, export names) found in at least N packages: a
        /// package is the first directory below a path given. Keeps an index of a large
        /// set small; an `--append` base is always kept whole.
        #[arg(long, value_name = "N", default_value_t = 1)]
        min_packages: u32,
    },
    /// Merge the indexes of disjoint parts of a goodware set (one per machine or Spark
    /// partition) into the index of the whole: counts are summed, the file digests united.
    /// Equals one build over all the files when no file is in two parts (by content; such
    /// files are reported). Parts must be built with `--min-packages 1`.
    Merge {
        /// The part indexes (`-` for the shipped default).
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// The index file to write.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
        /// Date recorded as the last update (`YYYY-MM-DD`); the latest part's by default.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::dates::parse_day)]
        date: Option<String>,
    },
    /// Describe an index: build date, sources, counts, size. `-` is the shipped default.
    Info {
        /// The index file.
        file: PathBuf,
    },
    /// How many goodware files hold STRING (as a string, inside a longer string, as an
    /// export name or an imphash).
    Query {
        /// The index file (`-` for the shipped default).
        file: PathBuf,
        /// The string to look up.
        string: String,
    },
}

/// Opens an index file, or the shipped default for `-`.
pub fn open(path: &Path) -> Result<Index, crate::Error> {
    let at = |path: String| {
        move |e: goodware::IndexError| crate::Error::Index {
            path,
            message: e.to_string(),
        }
    };
    if path.as_os_str() == "-" {
        return goodware::default_index().map_err(at("default goodware index".into()));
    }
    Index::open(path).map_err(at(path.display().to_string()))
}

/// Runs `spoor goodware`.
pub fn run(args: GoodwareArgs) -> ExitCode {
    match args.action {
        GoodwareAction::Build {
            paths,
            output,
            append,
            date,
            max_file_size,
            min_packages,
        } => match super::check_output(Some(&output)) {
            Ok(()) => build(paths, &output, append, date, max_file_size, min_packages),
            Err(code) => code,
        },
        GoodwareAction::Merge {
            parts,
            output,
            date,
        } => match super::check_output(Some(&output)) {
            Ok(()) => merge(&parts, &output, date),
            Err(code) => code,
        },
        GoodwareAction::Info { file } => match open(&file) {
            Ok(index) => print(&info_text(&index)),
            Err(e) => super::fail(&e),
        },
        GoodwareAction::Query { file, string } => match open(&file) {
            Ok(index) => print(&query_text(&index, &string)),
            Err(e) => super::fail(&e),
        },
    }
}

fn fail(message: String) -> ExitCode {
    warn(message);
    ExitCode::from(EXIT_FAILURE)
}

fn print(text: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).is_err() {
        return ExitCode::from(EXIT_FAILURE);
    }
    ExitCode::from(EXIT_OK)
}

fn build(
    paths: Vec<PathBuf>,
    output: &Path,
    append: bool,
    date: Option<String>,
    max_file_size: u64,
    min_packages: u32,
) -> ExitCode {
    let base = if append {
        match Index::open(output) {
            Ok(i) => Some(i),
            Err(e) => return fail(format!("--append: {}: {e}", output.display())),
        }
    } else {
        None
    };
    let options = BuildOptions {
        paths,
        date,
        max_file_size,
        min_packages,
    };
    let mut result = None;
    let written = crate::output::write_to(Some(output), |w| {
        let r = goodware::build(&options, base.as_ref(), w)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let empty = r.meta.is_none();
        result = Some(r);
        if empty {
            // abandons the temporary file: an empty index is never written
            return Err(std::io::Error::other("no file was indexed"));
        }
        Ok(())
    });
    if let Some(report) = result.as_ref().filter(|r| r.meta.is_none()) {
        for w in &report.warnings {
            warn(w);
        }
        return fail(format!(
            "no file was indexed from {} (missing, empty or unreadable paths): {} was not written",
            options
                .paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            output.display()
        ));
    }
    if let Err(e) = written {
        return fail(format!("{}: {e}", output.display()));
    }
    let Some(report) = result else {
        return fail("nothing was built".into());
    };
    for w in &report.warnings {
        warn(w);
    }
    let strings = report.meta.as_ref().map_or(0, |m| m.strings);
    eprintln!(
        "spoor: {} files counted ({} bytes), {} duplicates skipped; index holds {} strings",
        report.files, report.bytes, report.duplicates, strings
    );
    if report.warnings.is_empty() {
        ExitCode::from(EXIT_OK)
    } else {
        ExitCode::from(EXIT_INPUT_ERRORS)
    }
}

fn merge(parts: &[PathBuf], output: &Path, date: Option<String>) -> ExitCode {
    let mut opened = Vec::with_capacity(parts.len());
    for p in parts {
        match open(p) {
            Ok(index) => opened.push(index),
            Err(e) => return fail(format!("{e}: {} was not written", output.display())),
        }
    }
    let refs: Vec<&Index> = opened.iter().collect();
    let mut result = None;
    let written = crate::output::write_to(Some(output), |w| {
        let r =
            goodware::merge(&refs, date, w).map_err(|e| std::io::Error::other(e.to_string()))?;
        result = Some(r);
        Ok(())
    });
    if let Err(e) = written {
        return fail(format!("{}: {e}", output.display()));
    }
    let Some(report) = result else {
        return fail("nothing was merged".into());
    };
    for w in &report.warnings {
        warn(w);
    }
    eprintln!(
        "spoor: {} indexes merged; index holds {} files, {} strings",
        report.parts, report.meta.files, report.meta.strings
    );
    if report.warnings.is_empty() {
        ExitCode::from(EXIT_OK)
    } else {
        ExitCode::from(EXIT_INPUT_ERRORS)
    }
}

/// The `info` report.
pub fn info_text(index: &Index) -> String {
    let m = index.meta();
    let mut s = String::new();
    s.push_str(&format!(
        "format      spoor goodware index v{}{}\n",
        index.version(),
        if index.version() < goodware::FORMAT_VERSION {
            " (older format: substring searches are slower; rebuild to update)"
        } else {
            ""
        }
    ));
    // The header is text from whoever built the index: shown escaped, one line each.
    let field = crate::escape::terminal::field;
    s.push_str(&format!("built       {}\n", field(&m.built)));
    s.push_str(&format!("updated     {}\n", field(&m.updated)));
    s.push_str(&format!(
        "files       {} ({} bytes read)\n",
        m.files, m.bytes
    ));
    s.push_str(&format!(
        "strings     {} (ASCII and UTF-16LE, {}..{} bytes)\n",
        m.strings, m.min_len, m.max_key_len
    ));
    s.push_str(&format!(
        "phrases     {} (runs of {} words)\n",
        m.phrases,
        goodware::PHRASE_WORDS
    ));
    s.push_str(&format!("imphashes   {}\n", m.imphashes));
    s.push_str(&format!("exports     {}\n", m.exports));
    let per_million = if m.strings > 0 {
        index.size() as f64 * 1e6 / m.strings as f64 / (1 << 20) as f64
    } else {
        0.0
    };
    s.push_str(&format!(
        "size        {} bytes ({per_million:.1} MiB per million strings)\n",
        index.size()
    ));
    s.push_str("sources\n");
    for src in &m.sources {
        s.push_str(&format!(
            "  {}  {} files  {} bytes  {}\n",
            field(&src.date),
            src.files,
            src.bytes,
            src.paths
                .iter()
                .map(|p| field(p).into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    s
}

/// The `query` report: one line per table, and for strings also the count the rule
/// generator penalises a candidate by: that of the most common goodware string holding it.
pub fn query_text(index: &Index, string: &str) -> String {
    let inside = index
        .containing_counts(&[goodware::key(string.as_bytes())])
        .first()
        .copied()
        .unwrap_or(0);
    format!(
        "string   {}\ninside   {inside}\nexport   {}\nimphash  {}\n",
        index.string_count(string.as_bytes()),
        index.export_count(string),
        index.imphash_count(string),
    )
}
