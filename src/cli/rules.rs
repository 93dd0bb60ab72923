//! `spoor rules`: YARA rules for samples, one per sample or one per family.

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::evaluate::ScanConfig;
use crate::export;
use crate::goodware::{self, Index};
use crate::input::{self, Source};
use crate::rules::closed_loop::{self, Validated};
use crate::rules::render::Template;
use crate::rules::{self, RuleOptions};
use crate::sample::{triage_with, TriageOptions};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats of `spoor rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// The YARA rules file.
    Yara,
    /// A STIX 2.1 bundle: the samples, `pattern_type: yara` indicators carrying the rules,
    /// and (with `--family`) a malware family.
    Stix,
    /// A MISP event with the rules as `yara` attributes and the samples as file objects.
    Misp,
}

/// Arguments of `spoor rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Sample files or directories (directories are walked).
    #[arg(required = true)]
    pub samples: Vec<PathBuf>,
    /// Make one family rule over all samples, named after NAME.
    #[arg(long, value_name = "NAME")]
    pub family: Option<String>,
    /// Goodware index (`spoor goodware build`); the shipped index of the bundled benign
    /// corpus when absent.
    #[arg(long, value_name = "FILE")]
    pub goodware: Option<PathBuf>,
    /// Template: pe, elf, macho, generic, network, or the path of a template file.
    /// Chosen from the samples' format when absent.
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "yara")]
    pub format: RulesFormat,
    /// STIX/MISP: Traffic Light Protocol label.
    #[arg(long, value_enum, default_value = "amber")]
    pub tlp: export::Tlp,
    /// Write the rules to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Date written into the rules and their names; today (UTC) by default.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::dates::parse_day)]
    pub date: Option<String>,
    /// `author` meta.
    #[arg(long, default_value = "spoor")]
    pub author: String,
    /// `reference` meta.
    #[arg(long, default_value = "-")]
    pub reference: String,
    /// Rule name pattern; `{family}`, `{format}`, `{monyy}`, `{date}` are replaced.
    #[arg(
        long,
        value_name = "PATTERN",
        default_value = "MAL_{family}_{format}_{monyy}"
    )]
    pub name: String,
    /// The closed loop: test the rules against the benign files under these paths while
    /// making them; strings found there never match alone or are set aside, and each rule's
    /// meta records its measured result.
    #[arg(long, value_name = "BENIGN_PATH", num_args = 1..)]
    pub validate_against: Vec<PathBuf>,
    /// With `--family` and `--validate-against`: leave each variant out of training in turn
    /// and report whether the rule built from the others detects it.
    #[arg(long, requires = "validate_against", requires = "family")]
    pub holdout: bool,
    /// Worker threads for the validation scans (0 = one per core).
    #[arg(long, short = 'j', default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Write Sigma rules instead: the paths are analysis logs of one session, and the rules
    /// describe its behaviour (persistence, suspicious process creations, dropped files,
    /// DNS queries and connections to its network indicators), as YAML documents.
    #[arg(long, conflicts_with_all = ["validate_against", "template", "goodware"])]
    pub sigma: bool,
}

/// Runs `spoor rules`.
pub fn run(args: RulesArgs) -> ExitCode {
    if let Err(code) = super::check_output(args.output.as_deref()) {
        return code;
    }
    if args.sigma {
        return run_sigma(&args);
    }
    let template = match args.template.as_deref() {
        None => None,
        Some(t) => match Template::builtin(t) {
            Some(b) => Some(b),
            None => match std::fs::read_to_string(t) {
                Ok(src) => Some(Template::Custom(src)),
                Err(e) => {
                    warn(format!(
                        "--template {t}: not a built-in template (pe, elf, macho, generic, network) and not a readable file: {}",
                        input::describe(&e)
                    ));
                    return ExitCode::from(EXIT_FAILURE);
                }
            },
        },
    };
    let index: Index = match &args.goodware {
        Some(p) => match Index::open(p) {
            Ok(i) => i,
            Err(e) => {
                warn(format!("{}: {e}", p.display()));
                return ExitCode::from(EXIT_FAILURE);
            }
        },
        None => match goodware::default_index() {
            Ok(i) => i,
            Err(e) => {
                warn(format!("default goodware index: {e}"));
                return ExitCode::from(EXIT_FAILURE);
            }
        },
    };
    let mut input_errors = false;
    let (sources, errors) = input::expand(&args.samples);
    for e in errors {
        warn(format!("{}: {}", e.source, e.message));
        input_errors = true;
    }
    let mut triaged = Vec::new();
    for s in sources {
        let Source::File { path, .. } = s else {
            continue;
        };
        match std::fs::read(&path) {
            Ok(data) => {
                let name = path.to_string_lossy().into_owned();
                triaged.push(triage_with(&name, &data, TriageOptions::default()));
            }
            Err(e) => {
                warn(format!("{}: {}", path.display(), input::describe(&e)));
                input_errors = true;
            }
        }
    }
    if triaged.is_empty() {
        warn("no sample could be read");
        return ExitCode::from(EXIT_FAILURE);
    }
    let date = args.date.unwrap_or_else(crate::dates::today);
    let options = RuleOptions {
        family: args.family,
        template,
        date: date.clone(),
        author: args.author,
        reference: args.reference,
        name_format: args.name,
    };
    let generation = if args.validate_against.is_empty() {
        rules::generate(&triaged, Some(&index), &options)
    } else {
        let config = ScanConfig {
            threads: args.threads,
            ..ScanConfig::default()
        };
        match closed_loop::generate_validated(
            &triaged,
            Some(&index),
            &options,
            &args.validate_against,
            &config,
            args.holdout,
        ) {
            Ok(v) => {
                report_validation(&v);
                v.generation
            }
            Err(e) => {
                warn(format!("--validate-against: {e}"));
                return ExitCode::from(EXIT_FAILURE);
            }
        }
    };
    for w in &generation.warnings {
        warn(w);
        input_errors = true;
    }
    for r in &generation.rules {
        if !r.dropped.is_empty() {
            warn(format!(
                "{}: {} slow string(s) dropped and the rule rebuilt",
                r.name,
                r.dropped.len()
            ));
        }
    }
    if generation.rules.is_empty() {
        return ExitCode::from(EXIT_FAILURE);
    }
    let header = format!(
        "YARA rules generated by spoor {} on {date}\nGoodware index: {} files, updated {}",
        env!("CARGO_PKG_VERSION"),
        index.meta().files,
        index.meta().updated
    );
    let text = generation.text(&header);
    let exchange = export::ExchangeOptions {
        created_ms: crate::dates::parse_timestamp(&date)
            .unwrap_or_else(|_| export::default_created_ms()),
        tlp: args.tlp,
    };
    let findings = || {
        let pairs: Vec<(&crate::sample::Triage, &[u8])> =
            triaged.iter().map(|t| (t, &[][..])).collect();
        let mut f = export::findings::ExchangeFindings::from_triage(&pairs);
        f.family = options.family.clone();
        f.rules = generation.findings(&triaged);
        f.normalise();
        f
    };
    let result = crate::output::write_to(args.output.as_deref(), |w| match args.format {
        RulesFormat::Yara => w.write_all(text.as_bytes()),
        RulesFormat::Stix => export::stix::write(&findings(), exchange, w),
        RulesFormat::Misp => export::misp::write(&findings(), exchange, w),
    });
    if let Err(e) = result {
        warn(format!("cannot write the rules: {e}"));
        return ExitCode::from(EXIT_FAILURE);
    }
    if input_errors {
        ExitCode::from(EXIT_INPUT_ERRORS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

/// The closed loop's measured result, on standard error (the rules go to the output).
fn report_validation(v: &Validated) {
    let (probed, seen) = v.strings_probed;
    eprintln!(
        "validation: {} benign file(s); {seen} of {probed} candidate strings occur in them",
        v.benign_files
    );
    for m in &v.measured {
        eprintln!(
            "validation: {}: {}/{} training samples, {} of {} benign files matched",
            m.rule,
            m.true_positives,
            m.samples,
            m.false_positives.len(),
            m.benign_files
        );
    }
    for h in &v.holdout {
        let verdict = if h.detected { "detected" } else { "missed" };
        eprint!(
            "holdout: {} left out: {verdict}",
            crate::escape::terminal::field(&h.held_out)
        );
        if !h.false_positives.is_empty() {
            eprint!(", {} benign file(s) matched", h.false_positives.len());
        }
        match &h.error {
            Some(e) => eprintln!(" ({e})"),
            None => eprintln!(),
        }
    }
    if !v.holdout.is_empty() {
        let (detected, tried) = v.holdout_score();
        eprintln!("holdout: {detected} of {tried} variants detected when left out of training");
    }
}

/// `spoor rules --sigma`: Sigma rules for the behaviour in the logs.
fn run_sigma(args: &RulesArgs) -> ExitCode {
    let (sources, errors) = input::expand(&args.samples);
    let mut input_errors = !errors.is_empty();
    for e in errors {
        warn(format!("{}: {}", e.source, e.message));
    }
    let session = crate::sigma::writer::read_session(&sources);
    for (name, warning) in &session.warnings {
        warn(format!("{name}: {warning}"));
        input_errors = true;
    }
    let options = crate::sigma::writer::WriterOptions {
        author: args.author.clone(),
        date: args.date.clone().unwrap_or_else(crate::dates::today),
        label: args
            .family
            .clone()
            .unwrap_or_else(|| "the analysed session".to_string()),
    };
    let rules = crate::sigma::writer::write_rules(&session.events, &session.findings, &options);
    if rules.is_empty() {
        warn("no behaviour in the logs to write Sigma rules for");
    }
    let text = crate::sigma::writer::join(&rules);
    match crate::output::write_to(args.output.as_deref(), |w| w.write_all(text.as_bytes())) {
        Err(e) => {
            warn(format!("cannot write output: {e}"));
            ExitCode::from(EXIT_FAILURE)
        }
        Ok(()) if input_errors => ExitCode::from(EXIT_INPUT_ERRORS),
        Ok(()) => ExitCode::from(EXIT_OK),
    }
}
