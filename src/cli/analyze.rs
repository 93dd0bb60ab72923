//! `spoor analyze`: the one-shot analysis. The flags become [`crate::pipeline`]'s inputs
//! and options; the library runs the analysis and this writes what it gives into a
//! directory (the findings, the rules and their test, the exports, the analyst report).

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::analyze::AnalyzeOptions;
use crate::export::{self, OutputOptions};
use crate::extract::ExtractOptions;
use crate::pipeline::{self, Progress as _};
use crate::report::templates::ReportTemplates;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The files (and the `sigma` folder) `spoor analyze` writes into its output folder.
const OUTPUT_FILES: [&str; 10] = [
    "iocs.json",
    "sigma",
    "sigma-matches.json",
    "triage.json",
    "rules.yar",
    "rules-test.json",
    "bundle.stix.json",
    "event.misp.json",
    "report.md",
    "report.html",
];

/// Arguments of `spoor analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// Samples: files or directories (walked). Files that are not PE, ELF or Mach-O are
    /// scanned for IOCs only.
    #[arg(required = true)]
    pub samples: Vec<PathBuf>,
    /// Analysis logs and reports (sandbox reports, Sysmon, Procmon, pcap, text): files or
    /// directories.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub logs: Vec<PathBuf>,
    /// Directory to write into (created if missing): iocs.json, triage.json, rules.yar,
    /// rules-test.json,
    /// bundle.stix.json, event.misp.json, report.md, report.html.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: PathBuf,
    /// Report date, YYYY-MM-DD (default: today, UTC). Fix it for reproducible output.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::dates::parse_day)]
    pub date: Option<String>,
    /// Traffic Light Protocol label of the STIX bundle and the MISP event.
    #[arg(long, value_enum, default_value = "amber")]
    pub tlp: export::Tlp,
    /// Where the samples came from, for the overview (e.g. "mail attachment, ticket 4711").
    #[arg(long, value_name = "TEXT")]
    pub origin: Option<String>,
    /// Report title (default: from the sample names).
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// Benign files or directories: the rules are made against them (the closed loop of
    /// `spoor rules --validate-against`) and tested on them (rules-test.json); the samples
    /// themselves are the malicious set.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub benign: Vec<PathBuf>,
    #[arg(long, num_args = 1.., value_name = "PATH", help = super::INTEL_HELP)]
    pub intel: Vec<PathBuf>,
    #[arg(long, num_args = 0..=1, value_name = "DIR", help = super::WARNINGLISTS_HELP)]
    pub warninglists: Option<Option<std::path::PathBuf>>,
    /// Family labels, a JSON object of sample path -> family (the format of
    /// `corpus/expected/labels.json`): each labelled family's samples get one family rule,
    /// made as `spoor rules --family` makes it (and against --benign), the other samples a
    /// rule each; the rules test also counts a hit by another family's rule as a
    /// cross-family false positive. A labels file that cannot be read gives a warning, a
    /// rule per sample and exit code 1.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Goodware index for rule generation (default: the index shipped with spoor, built from
    /// the bundled benign corpus; see `spoor goodware build`).
    #[arg(long, value_name = "FILE")]
    pub goodware: Option<PathBuf>,
    /// Read at most this many bytes of each input (`K`, `M`, `G` suffixes); larger samples
    /// are scanned for IOCs (up to the limit) but not triaged.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = super::parse_size)]
    pub max_size: u64,
    /// Stop reading a text or log input after this many seconds (0 = no limit), keeping
    /// what was read, with a warning; executables are bounded by --max-size instead.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub time_limit: f64,
    /// Worker threads (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
    /// Run the Sigma rules under PATH (files or directories) over the logs: matches go to
    /// sigma-matches.json, their techniques to the report's ATT&CK section and the exports.
    #[arg(long, value_name = "PATH")]
    pub sigma: Vec<PathBuf>,
    /// Report templates: a folder holding edited copies of files of `report-templates/`
    /// (same names, e.g. `md/iocs.md.j2`); each template not there is the shipped one.
    #[arg(long, value_name = "DIR")]
    pub report_templates: Option<PathBuf>,
}

/// Runs `spoor analyze`: flags to options, the library's [`crate::pipeline::analyze`], then
/// the files.
pub fn run(args: AnalyzeArgs) -> ExitCode {
    // A benign set that is not there would leave the rules untested without a word.
    if let Err(e) = pipeline::check_benign(&args.benign) {
        warn(format_args!("{e}; nothing was written"));
        return ExitCode::from(EXIT_FAILURE);
    }
    // A template that cannot be read or parsed would cost the whole analysis.
    let templates = match ReportTemplates::load(args.report_templates.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            warn(format_args!("{e}; nothing was written"));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    // Written into a temporary sibling folder that replaces the output folder at the end.
    let out_dir = match crate::output::OutputDir::create(&args.output, &OUTPUT_FILES) {
        Ok(d) => d,
        Err(e) => {
            warn(format_args!(
                "cannot write {}: {}",
                args.output.display(),
                crate::input::describe(&e)
            ));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let mut options = pipeline::Options {
        analyze: AnalyzeOptions {
            extract: ExtractOptions {
                threads: args.threads,
                max_bytes: args.max_size,
                time_limit: super::time_limit(args.time_limit),
                ..ExtractOptions::default()
            },
            max_sample_size: args.max_size,
            ..AnalyzeOptions::default()
        },
        goodware: args.goodware.clone(),
        date: args.date.clone(),
        tlp: args.tlp,
        origin: args.origin.clone(),
        title: args.title.clone(),
        threads: args.threads,
        ..pipeline::Options::default()
    };
    if !args.sigma.is_empty() {
        match crate::sigma::Engine::load(&args.sigma) {
            Ok(engine) => {
                super::events::note_load(&engine.report);
                options.analyze.sigma = Some(std::sync::Arc::new(engine));
            }
            Err(e) => {
                warn(format_args!("cannot read the Sigma rules: {e}"));
                return ExitCode::from(EXIT_FAILURE);
            }
        }
    }
    if args.threads > 0 {
        // The pool may already exist (in tests); then the default stays.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(args.threads)
            .build_global();
    }
    let mut progress = Spinner::new();
    progress.stage(pipeline::Stage::Inputs);
    options.intel = match super::load_intel(&args.intel, args.warninglists.as_ref()) {
        Ok(store) => store.map(std::sync::Arc::new),
        Err(code) => return code,
    };
    let inputs = pipeline::Inputs {
        samples: args.samples.clone(),
        logs: args.logs.clone(),
        benign: args.benign.clone(),
        labels: args.labels.clone(),
    };
    let analysis = match pipeline::analyze(&inputs, &options, &mut progress) {
        Ok(a) => a,
        Err(pipeline::Error::NothingRead { warnings }) => {
            for w in &warnings {
                warn(w);
            }
            progress.finish();
            // an empty report would look like a clean result
            warn(format_args!(
                "no input could be read: nothing was written to {}",
                args.output.display()
            ));
            return ExitCode::from(EXIT_FAILURE);
        }
        Err(e) => {
            progress.finish();
            warn(format_args!("{e}; nothing was written"));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    for w in &analysis.warnings {
        warn(w);
    }

    progress.set("writing the report");
    // Both reports are rendered before anything is written: a template that fails leaves
    // the output folder as it was.
    let rendered = templates
        .markdown(&analysis.report)
        .and_then(|md| Ok((md, templates.html(&analysis.report)?)));
    let (report_md, report_html) = match rendered {
        Ok(r) => r,
        Err(e) => {
            progress.finish();
            warn(format_args!("{e}; nothing was written"));
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    for unused in templates.unused_files() {
        warn(format_args!(
            "{}: not read for the report (no shipped template has this name and nothing \
             included it; see report-templates/README.md)",
            unused.display()
        ));
    }
    let dir = out_dir.path();
    let findings = &analysis.findings;
    let exchange = analysis.exchange_options;
    let results = [
        write(dir, "iocs.json", |w| match &findings.iocs_json {
            // more indicators than the report holds: the complete list, written beforehand
            Some(full) => std::io::copy(&mut full.reopen()?, w).map(|_| ()),
            None => export::write(
                export::OutputFormat::Json,
                &findings.extraction,
                OutputOptions::default(),
                w,
            ),
        }),
        write(dir, "triage.json", |w| {
            serde_json::to_writer_pretty(&mut *w, &findings.samples)
                .map_err(std::io::Error::other)?;
            writeln!(w)
        }),
        write(dir, "rules.yar", |w| {
            w.write_all(
                analysis
                    .rules_text
                    .as_deref()
                    .unwrap_or("// no rule could be generated\n")
                    .as_bytes(),
            )
        }),
        write(dir, "rules-test.json", |w| {
            serde_json::to_writer_pretty(&mut *w, &analysis.rules_test)
                .map_err(std::io::Error::other)?;
            writeln!(w)
        }),
        write(dir, "bundle.stix.json", |w| {
            export::stix::write(&analysis.exchange, exchange, w)
        }),
        write(dir, "event.misp.json", |w| {
            export::misp::write(&analysis.exchange, exchange, w)
        }),
        (
            "sigma",
            write_sigma_dir(&dir.join("sigma"), &analysis.sigma_rules),
        ),
        write(dir, "report.md", |w| w.write_all(report_md.as_bytes())),
        write(dir, "report.html", |w| w.write_all(report_html.as_bytes())),
    ];
    let mut results = Vec::from(results);
    if let Some(result) = &findings.sigma {
        results.push(write(dir, "sigma-matches.json", |w| {
            serde_json::to_writer_pretty(&mut *w, result).map_err(std::io::Error::other)?;
            writeln!(w)
        }));
    }
    progress.finish();
    let mut failed = false;
    for (name, result) in results {
        if let Err(e) = result {
            warn(format_args!(
                "cannot write {}: {e}",
                args.output.join(name).display()
            ));
            failed = true;
        }
    }
    if failed {
        return ExitCode::from(EXIT_FAILURE);
    }
    if let Err(e) = out_dir.commit() {
        warn(format_args!(
            "cannot put the results in {}: {}",
            args.output.display(),
            crate::input::describe(&e)
        ));
        return ExitCode::from(EXIT_FAILURE);
    }
    eprintln!(
        "spoor: {} sample(s), {} log(s), {} IOC(s), {} technique(s) → {}",
        findings.samples.len(),
        findings.logs.len(),
        findings.iocs_total,
        analysis.report.attack.len(),
        args.output.display()
    );
    ExitCode::from(if analysis.incomplete() {
        EXIT_INPUT_ERRORS
    } else {
        EXIT_OK
    })
}

/// Writes one file per generated Sigma rule into `dir` (replacing the rule files spoor
/// wrote there before).
fn write_sigma_dir(dir: &Path, rules: &[crate::sigma::writer::WrittenRule]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("spoor_") && n.ends_with(".yml"));
        if ours {
            std::fs::remove_file(&path)?;
        }
    }
    for r in rules {
        crate::output::write_to(Some(&dir.join(&r.file_name)), |w| {
            w.write_all(r.yaml.as_bytes())
        })?;
    }
    Ok(())
}

/// A spinner naming the current stage, on a terminal only (nothing in pipes and logs).
struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn new() -> Self {
        use std::io::IsTerminal;
        Spinner(std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        }))
    }

    fn set(&self, what: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(what);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl pipeline::Progress for Spinner {
    fn stage(&mut self, stage: pipeline::Stage) {
        self.set(stage.describe());
    }
}

fn write<'a>(
    dir: &Path,
    name: &'a str,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> (&'a str, std::io::Result<()>) {
    (name, crate::output::write_to(Some(&dir.join(name)), fill))
}
