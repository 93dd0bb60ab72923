//! The whole analysis behind `spoor analyze` and `spoor.analyze`, as one library call:
//! samples, logs, a benign set and family labels in; triage, the logs' events and
//! findings, IOCs, techniques, YARA rules with their measured result, Sigma rules and
//! matches, the exchange findings (STIX, MISP) and the analyst report's model out.
//!
//! [`analyze`] runs the stages in order and collects what they give; it writes no files
//! (the complete IOC list may wait in a temporary file, see
//! [`crate::analyze::InputFindings::iocs_json`]) and prints nothing: warnings are values, in the
//! order they arose, and progress goes through [`Progress`]. Each stage's logic stays in
//! its own module: [`crate::analyze`] (triage, logs, IOCs, each input read once),
//! [`crate::rules`] and [`crate::evaluate`] (rules and their test), [`crate::sigma`],
//! [`crate::intel`], [`crate::report`] and [`crate::export`]. The command line parses
//! flags, calls this and writes the files.

mod rules;

use crate::analyze::AnalyzeOptions;
use crate::error::{Warning, WarningCode};
use crate::export::{self, ExchangeOptions};
use crate::report::{AnalystReport, ReportOptions};
use std::path::PathBuf;
use std::sync::Arc;

/// What to analyse.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Samples: files or directories (walked). Files that are not PE, ELF or Mach-O are
    /// scanned for IOCs only.
    pub samples: Vec<PathBuf>,
    /// Analysis logs and reports: files or directories.
    pub logs: Vec<PathBuf>,
    /// Benign files or directories: the rules are made against them and tested on them.
    pub benign: Vec<PathBuf>,
    /// Family labels (a JSON object of sample path → family, as
    /// `corpus/expected/labels.json`): a family rule per labelled family.
    pub labels: Option<PathBuf>,
}

/// How to analyse.
#[derive(Debug, Clone)]
pub struct Options {
    /// Triage, extraction and log settings (and the Sigma rule set to run over the logs).
    pub analyze: AnalyzeOptions,
    /// Local intelligence to mark the indicators with (`--intel`, `--warninglists`).
    pub intel: Option<Arc<crate::intel::Store>>,
    /// Goodware index for rule generation; `None`: the index shipped with spoor.
    pub goodware: Option<PathBuf>,
    /// Generate YARA rules and test them (on the samples and the benign set).
    pub rules: bool,
    /// Report and rule date, `YYYY-MM-DD`; `None`: today (UTC).
    pub date: Option<String>,
    /// Traffic Light Protocol label of the exchange formats.
    pub tlp: export::Tlp,
    /// Where the samples came from, for the report's overview.
    pub origin: Option<String>,
    /// Report title (default: from the sample names).
    pub title: Option<String>,
    /// Worker threads of rule validation and testing (0 = one per core).
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            analyze: AnalyzeOptions::default(),
            intel: None,
            goodware: None,
            rules: true,
            date: None,
            tlp: export::Tlp::Amber,
            origin: None,
            title: None,
            threads: 0,
        }
    }
}

/// The stages [`analyze`] reports through [`Progress`], in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Triage, reading the logs and the IOC scan.
    Inputs,
    /// Rule generation.
    Rules,
    /// Testing the rules on the samples and the benign set.
    Test,
}

impl Stage {
    /// What the stage does, for a progress line.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Inputs => "triage, logs and IOCs",
            Stage::Rules => "generating rules",
            Stage::Test => "testing the rules",
        }
    }
}

/// Told when a stage begins (the command line shows it in a spinner).
pub trait Progress {
    /// `stage` begins.
    fn stage(&mut self, stage: Stage);
}

impl<F: FnMut(Stage)> Progress for F {
    fn stage(&mut self, stage: Stage) {
        self(stage)
    }
}

/// A [`Progress`] that ignores everything.
pub struct Silent;

impl Progress for Silent {
    fn stage(&mut self, _: Stage) {}
}

/// Why [`analyze`] gave no analysis.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A benign path is not there: the rules would go untested without a word.
    #[error("--benign {path}: {message}")]
    Benign {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// No input could be read at all: an empty result would look like a clean one.
    #[error("no input could be read")]
    NothingRead {
        /// The warnings up to that point (why each input could not be read).
        warnings: Vec<Warning>,
    },
}

/// What [`analyze`] found and made.
#[derive(Debug)]
pub struct Analysis {
    /// Triage, the logs' events and findings, Sigma matches and the IOCs.
    pub findings: crate::analyze::InputFindings,
    /// The date used (`YYYY-MM-DD`).
    pub date: String,
    /// Whether the labels file could not be read (a rule per sample was made instead).
    pub labels_unread: bool,
    /// The YARA rules (empty when [`Options::rules`] is off or nothing could be made).
    pub rules: crate::rules::Generation,
    /// The rules as `rules.yar` holds them, with their header; `None` when there are none.
    pub rules_text: Option<String>,
    /// The rules measured on the samples and the benign set, as `spoor test` measures
    /// (throughput left out, so it is reproducible); `None` when there were no rules or
    /// they did not compile.
    pub rules_test: Option<crate::evaluate::report::Report>,
    /// Sigma rules written from the logs' behaviour.
    pub sigma_rules: Vec<crate::sigma::writer::WrittenRule>,
    /// What the exchange formats (STIX, MISP) are written from.
    pub exchange: export::findings::ExchangeFindings,
    /// Their creation time and sharing label.
    pub exchange_options: ExchangeOptions,
    /// The analyst report's model (render it with [`crate::report::markdown`] or
    /// [`crate::report::html`]).
    pub report: AnalystReport,
    /// Every warning, in the order it arose (unreadable inputs first).
    pub warnings: Vec<Warning>,
}

impl Analysis {
    /// True when something could not be read completely or the labels were unreadable.
    pub fn incomplete(&self) -> bool {
        self.findings.had_errors() || self.labels_unread
    }
}

/// Fails when a benign path is not there (the rules would go untested without a word).
pub fn check_benign(benign: &[PathBuf]) -> Result<(), Error> {
    for path in benign {
        if let Err(e) = std::fs::metadata(path) {
            return Err(Error::Benign {
                path: path.display().to_string(),
                message: crate::input::describe(&e),
            });
        }
    }
    Ok(())
}

/// Runs the whole analysis: triage, logs and IOCs ([`crate::analyze::analyze`]), intel
/// marks, rules made (against the benign set; a family rule per labelled family) and
/// tested, Sigma rules, the exchange findings and the report model.
pub fn analyze(
    inputs: &Inputs,
    options: &Options,
    progress: &mut dyn Progress,
) -> Result<Analysis, Error> {
    check_benign(&inputs.benign)?;
    progress.stage(Stage::Inputs);
    let mut findings = crate::analyze::analyze(&inputs.samples, &inputs.logs, &options.analyze);
    if let Some(store) = &options.intel {
        store.annotate(&mut findings.extraction.iocs);
        for t in &mut findings.samples {
            store.annotate_sample(&mut t.iocs);
        }
        store.annotate_context(&mut findings.dynamic.iocs);
    }
    let mut warnings: Vec<Warning> = findings
        .errors
        .iter()
        .map(crate::input::InputError::warning)
        .chain(findings.warnings.iter().cloned())
        .collect();
    if findings.samples.is_empty()
        && findings.other_files.is_empty()
        && findings.logs.is_empty()
        && !findings.errors.is_empty()
    {
        return Err(Error::NothingRead { warnings });
    }
    // What the IOC scan could not read (a cap reached, a read error) is in iocs.json too.
    for s in &findings.extraction.sources {
        if let Some(e) = &s.error {
            warnings.push(e.prefixed(&s.name));
        }
    }
    let date = options.date.clone().unwrap_or_else(crate::dates::today);
    let exchange_options = ExchangeOptions {
        created_ms: crate::dates::parse_timestamp(&date)
            .unwrap_or_else(|_| export::default_created_ms()),
        tlp: options.tlp,
    };
    let mut labels_unread = false;
    let labels = inputs
        .labels
        .as_deref()
        .and_then(|p| match crate::evaluate::Labels::load(p) {
            Ok(l) => Some(l),
            Err(e) => {
                warnings.push(Warning::new(
                    WarningCode::LabelsUnread,
                    format!("{e}; one rule per sample"),
                ));
                labels_unread = true;
                None
            }
        });
    let mut generation = crate::rules::Generation::default();
    if options.rules {
        progress.stage(Stage::Rules);
        generation = rules::generate(
            &findings,
            options.goodware.as_deref(),
            &date,
            &inputs.benign,
            options.threads,
            labels.as_ref(),
            &mut warnings,
        );
        warnings.extend(generation.warnings.iter().cloned());
    }
    let mut exchange = export::findings::ExchangeFindings::from_analysis(&findings);
    exchange.rules = generation.findings(&findings.samples);
    if let Some(result) = &findings.sigma {
        let names = crate::findings::attack::technique_names();
        for id in result.techniques().into_keys() {
            if !exchange.techniques.iter().any(|t| t.id == id) {
                exchange
                    .techniques
                    .push(export::findings::TechniqueFinding {
                        name: names.get(&id).cloned().unwrap_or_else(|| id.clone()),
                        id,
                        samples: Vec::new(),
                    });
            }
        }
    }
    exchange.normalise();
    let sigma_rules = crate::sigma::writer::write_rules(
        &findings.behaviour,
        &findings.dynamic,
        &crate::sigma::writer::WriterOptions {
            author: "spoor".to_string(),
            date: date.clone(),
            label: options
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
    let rules_test = match rules_text.as_deref() {
        Some(text) => {
            progress.stage(Stage::Test);
            rules::test(
                text,
                &inputs.samples,
                &inputs.benign,
                options.threads,
                labels.as_ref(),
                &mut warnings,
            )
        }
        None => None,
    };
    let families = labels
        .as_ref()
        .map(|l| {
            findings
                .samples
                .iter()
                .filter_map(|t| l.label_of(&t.name).map(|f| (t.name.clone(), f.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let mut report = AnalystReport::build(
        &findings,
        &ReportOptions {
            date: date.clone(),
            origin: options.origin.clone(),
            title: options.title.clone(),
            families,
        },
    );
    report.rules = rules_text.clone();
    report.rules_tested = rules_test
        .as_ref()
        .map(|t| tested_sentence(t, labels.is_some(), inputs.benign.is_empty()));
    Ok(Analysis {
        findings,
        date,
        labels_unread,
        rules: generation,
        rules_text,
        rules_test,
        sigma_rules,
        exchange,
        exchange_options,
        report,
        warnings,
    })
}

/// The report's sentence on the rules' measured result.
fn tested_sentence(t: &crate::evaluate::report::Report, labelled: bool, no_benign: bool) -> String {
    let cross_family = if labelled {
        let hits: usize = t.rules.iter().map(|r| r.cross_family_hits.len()).sum();
        format!(", {hits} sample(s) matched by another family's rule")
    } else {
        String::new()
    };
    format!(
        "Tested with yara-x on the samples and {} benign file(s): {} of {} samples \
         detected, {} benign file(s) matched (false positives){cross_family}{}.",
        t.sets.benign.files,
        t.confusion.true_positives,
        t.sets.malicious.files,
        t.confusion.false_positives,
        if no_benign {
            "; give --benign to test against goodware"
        } else {
            ""
        }
    )
}
