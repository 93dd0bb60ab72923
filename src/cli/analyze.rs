//! `spoor analyze`: the one-shot analysis. Triage every sample, scan samples and logs for
//! IOCs, and write the findings and the analyst report into a directory.

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::analyze::{analyze, AnalyzeOptions};
use crate::export::{self, OutputOptions};
use crate::extract::ExtractOptions;
use crate::report::templates::ReportTemplates;
use crate::report::{Report, ReportOptions};
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
    /// Read at most this many bytes of each input; larger samples are scanned for IOCs
    /// (up to the limit) but not triaged.
    #[arg(long, default_value_t = 256 * 1024 * 1024, value_name = "BYTES")]
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

/// Runs `spoor analyze`.
pub fn run(args: AnalyzeArgs) -> ExitCode {
    // A benign set that is not there would leave the rules untested without a word.
    for path in &args.benign {
        if let Err(e) = std::fs::metadata(path) {
            warn(format_args!(
                "--benign {}: {}; nothing was written",
                path.display(),
                crate::input::describe(&e)
            ));
            return ExitCode::from(EXIT_FAILURE);
        }
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
    let options = AnalyzeOptions {
        extract: ExtractOptions {
            threads: args.threads,
            max_bytes: args.max_size,
            time_limit: super::time_limit(args.time_limit),
            ..ExtractOptions::default()
        },
        max_sample_size: args.max_size,
        sigma: None,
        ..AnalyzeOptions::default()
    };
    let mut options = options;
    if !args.sigma.is_empty() {
        match crate::sigma::Engine::load(&args.sigma) {
            Ok(engine) => {
                super::events::note_load(&engine.report);
                options.sigma = Some(std::sync::Arc::new(engine));
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
    let progress = Progress::new();
    progress.stage("triage, logs and IOCs");
    let intel = match super::load_intel(&args.intel, args.warninglists.as_ref()) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let mut analysis = analyze(&args.samples, &args.logs, &options);
    if let Some(store) = &intel {
        store.annotate(&mut analysis.extraction.iocs);
        for t in &mut analysis.samples {
            store.annotate_sample(&mut t.iocs);
        }
        store.annotate_context(&mut analysis.dynamic.iocs);
    }
    for e in &analysis.errors {
        warn(format_args!("{}: {}", e.source, e.message));
    }
    for w in &analysis.warnings {
        warn(w);
    }
    if analysis.samples.is_empty()
        && analysis.other_files.is_empty()
        && analysis.logs.is_empty()
        && !analysis.errors.is_empty()
    {
        // an empty report would look like a clean result
        warn(format_args!(
            "no input could be read: nothing was written to {}",
            args.output.display()
        ));
        return ExitCode::from(EXIT_FAILURE);
    }
    // What the IOC scan could not read (a cap reached, a read error) is in iocs.json too.
    for s in &analysis.extraction.sources {
        if let Some(e) = &s.error {
            warn(format_args!("{}: {e}", s.name));
        }
    }
    let date = args.date.clone().unwrap_or_else(crate::dates::today);
    let exchange = export::ExchangeOptions {
        created_ms: crate::dates::parse_timestamp(&date)
            .unwrap_or_else(|_| export::default_created_ms()),
        tlp: args.tlp,
    };
    let mut labels_unread = false;
    let labels = args
        .labels
        .as_deref()
        .and_then(|p| match crate::evaluate::Labels::load(p) {
            Ok(l) => Some(l),
            Err(e) => {
                warn(format_args!("{e}; one rule per sample"));
                labels_unread = true;
                None
            }
        });
    progress.stage("generating rules");
    let generation = generate_rules(
        &analysis,
        args.goodware.as_deref(),
        &date,
        &args.benign,
        args.threads,
        labels.as_ref(),
    );
    for w in &generation.warnings {
        warn(w);
    }
    let mut findings = export::findings::Findings::from_analysis(&analysis);
    findings.rules = generation.findings(&analysis.samples);
    if let Some(result) = &analysis.sigma {
        let names = crate::sample::behavior::technique_names();
        for id in result.techniques().into_keys() {
            if !findings.techniques.iter().any(|t| t.id == id) {
                findings
                    .techniques
                    .push(export::findings::TechniqueFinding {
                        name: names.get(&id).cloned().unwrap_or_else(|| id.clone()),
                        id,
                        samples: Vec::new(),
                    });
            }
        }
    }
    findings.normalise();
    let sigma_rules = crate::sigma::writer::write_rules(
        &analysis.behaviour,
        &analysis.dynamic,
        &crate::sigma::writer::WriterOptions {
            author: "spoor".to_string(),
            date: date.clone(),
            label: args
                .title
                .clone()
                .unwrap_or_else(|| "the analysed samples".to_string()),
        },
    );
    let rules_text = (!generation.rules.is_empty()).then(|| {
        generation.text(&format!(
            "YARA rules generated by spoor {} on {date}",
            env!("CARGO_PKG_VERSION")
        ))
    });
    progress.stage("testing the rules");
    let tested = rules_text.as_deref().and_then(|text| {
        test_rules(
            text,
            &args.samples,
            &args.benign,
            args.threads,
            labels.as_ref(),
        )
    });
    let mut report = Report::build(
        &analysis,
        &ReportOptions {
            date,
            origin: args.origin.clone(),
            title: args.title.clone(),
            families: labels
                .as_ref()
                .map(|l| {
                    analysis
                        .samples
                        .iter()
                        .filter_map(|t| {
                            l.label_of(&t.name).map(|f| (t.name.clone(), f.to_string()))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        },
    );
    report.rules = rules_text.clone();
    if let Some(t) = &tested {
        let cross_family = labels.as_ref().map_or(String::new(), |_| {
            let hits: usize = t.rules.iter().map(|r| r.cross_family_hits.len()).sum();
            format!(", {hits} sample(s) matched by another family's rule")
        });
        report.rules_tested = Some(format!(
            "Tested with yara-x on the samples and {} benign file(s): {} of {} samples \
             detected, {} benign file(s) matched (false positives){cross_family}{}.",
            t.sets.benign.files,
            t.confusion.true_positives,
            t.sets.malicious.files,
            t.confusion.false_positives,
            if args.benign.is_empty() {
                "; give --benign to test against goodware"
            } else {
                ""
            }
        ));
    }

    progress.stage("writing the report");
    // Both reports are rendered before anything is written: a template that fails leaves
    // the output folder as it was.
    let rendered = templates
        .markdown(&report)
        .and_then(|md| Ok((md, templates.html(&report)?)));
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
    let results = [
        write(dir, "iocs.json", |w| match &analysis.iocs_json {
            // more indicators than the report holds: the complete list, written beforehand
            Some(full) => std::io::copy(&mut full.reopen()?, w).map(|_| ()),
            None => export::write(
                export::Format::Json,
                &analysis.extraction,
                OutputOptions::default(),
                w,
            ),
        }),
        write(dir, "triage.json", |w| {
            serde_json::to_writer_pretty(&mut *w, &analysis.samples)
                .map_err(std::io::Error::other)?;
            writeln!(w)
        }),
        write(dir, "rules.yar", |w| {
            w.write_all(
                rules_text
                    .as_deref()
                    .unwrap_or("// no rule could be generated\n")
                    .as_bytes(),
            )
        }),
        write(dir, "rules-test.json", |w| {
            serde_json::to_writer_pretty(&mut *w, &tested).map_err(std::io::Error::other)?;
            writeln!(w)
        }),
        write(dir, "bundle.stix.json", |w| {
            export::stix::write(&findings, exchange, w)
        }),
        write(dir, "event.misp.json", |w| {
            export::misp::write(&findings, exchange, w)
        }),
        ("sigma", write_sigma_dir(&dir.join("sigma"), &sigma_rules)),
        write(dir, "report.md", |w| w.write_all(report_md.as_bytes())),
        write(dir, "report.html", |w| w.write_all(report_html.as_bytes())),
    ];
    let mut results = Vec::from(results);
    if let Some(result) = &analysis.sigma {
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
        analysis.samples.len(),
        analysis.logs.len(),
        analysis.iocs_total,
        report.attack.len(),
        args.output.display()
    );
    ExitCode::from(if analysis.had_errors() || labels_unread {
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
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new() -> Self {
        use std::io::IsTerminal;
        Progress(std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        }))
    }

    fn stage(&self, what: &'static str) {
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

/// A family rule per labelled family and a rule per other sample, strings scored against
/// the goodware index, each rule compiled by yara-x, and validated against the benign
/// paths (family rules also against the samples outside their family) when there are
/// any. An index that cannot be opened gives a warning and rules without goodware facts; a
/// validation that cannot run gives a warning and unvalidated rules.
fn generate_rules(
    analysis: &crate::analyze::Analysis,
    goodware: Option<&Path>,
    date: &str,
    benign: &[PathBuf],
    threads: usize,
    labels: Option<&crate::evaluate::Labels>,
) -> crate::rules::Generation {
    let index = match goodware {
        Some(p) => crate::goodware::Index::open(p).map_err(|e| format!("{}: {e}", p.display())),
        None => {
            crate::goodware::default_index().map_err(|e| format!("default goodware index: {e}"))
        }
    };
    let index = match index {
        Ok(i) => Some(i),
        Err(e) => {
            warn(format_args!("{e}; rules are built without goodware facts"));
            None
        }
    };
    let options = crate::rules::RuleOptions {
        date: date.to_string(),
        ..crate::rules::RuleOptions::default()
    };
    let config = crate::evaluate::scan::ScanConfig {
        threads,
        ..crate::evaluate::scan::ScanConfig::default()
    };
    // `negatives`: the validation set, none of which the rules may match.
    let make = |samples: &[crate::sample::Triage],
                options: &crate::rules::RuleOptions,
                negatives: &[PathBuf]| {
        if !negatives.is_empty() {
            match crate::rules::closed_loop::generate_validated(
                samples,
                index.as_ref(),
                options,
                negatives,
                &config,
                false,
            ) {
                Ok(v) => return v.generation,
                Err(e) => warn(format_args!("rules could not be validated: {e}")),
            }
        }
        crate::rules::generate(samples, index.as_ref(), options)
    };
    let family_of = |t: &crate::sample::Triage| {
        labels
            .and_then(|l| l.label_of(&t.name))
            .filter(|f| *f != crate::evaluate::labels::BENIGN)
    };
    if !analysis.samples.iter().any(|t| family_of(t).is_some()) {
        // No family: a rule per sample, made from the reports as they are.
        return make(&analysis.samples, &options, benign);
    }
    // Samples by family label (families in name order), then the unlabelled ones.
    let mut families: std::collections::BTreeMap<&str, Vec<crate::sample::Triage>> =
        std::collections::BTreeMap::new();
    let mut singles = Vec::new();
    for t in &analysis.samples {
        match family_of(t) {
            Some(f) => families.entry(f).or_default().push(t.clone()),
            None => singles.push(t.clone()),
        }
    }
    let mut all = crate::rules::Generation::default();
    let groups = families
        .into_iter()
        .map(|(f, group)| (Some(f.to_string()), group))
        .chain((!singles.is_empty()).then_some((None, singles)));
    for (family, group) in groups {
        // A family rule is also kept from matching the other samples (other families, and
        // samples without a label): families often share technique strings.
        let mut negatives = benign.to_vec();
        if family.is_some() {
            negatives.extend(
                analysis
                    .samples
                    .iter()
                    .filter(|t| !group.iter().any(|g| g.name == t.name))
                    .map(|t| PathBuf::from(&t.name)),
            );
        }
        let made = make(
            &group,
            &crate::rules::RuleOptions {
                family,
                ..options.clone()
            },
            &negatives,
        );
        all.rules.extend(made.rules);
        all.warnings.extend(made.warnings);
    }
    all
}

/// Scans the samples (malicious set) and the benign paths with the generated rules, as
/// `spoor test` does. Throughput is left out so the file is reproducible.
fn test_rules(
    text: &str,
    samples: &[PathBuf],
    benign: &[PathBuf],
    threads: usize,
    labels: Option<&crate::evaluate::Labels>,
) -> Option<crate::evaluate::report::Report> {
    let rules =
        match crate::evaluate::rules::RuleSet::compile_sources(&[("rules.yar", text.as_bytes())]) {
            Ok(r) => r,
            Err(e) => {
                warn(format_args!("the generated rules do not compile: {e}"));
                return None;
            }
        };
    let sets = crate::evaluate::TestSets::collect(samples, benign);
    let config = crate::evaluate::scan::ScanConfig {
        threads,
        ..crate::evaluate::scan::ScanConfig::default()
    };
    let mut report = crate::evaluate::evaluate(&rules, &sets, labels, &config, &|_| {});
    report.throughput = None;
    Some(report)
}

fn write<'a>(
    dir: &Path,
    name: &'a str,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> (&'a str, std::io::Result<()>) {
    (name, crate::output::write_to(Some(&dir.join(name)), fill))
}
