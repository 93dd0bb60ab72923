//! The closed loop (`spoor rules --validate-against`): rules tested against a benign set
//! while they are made.
//!
//! Owns four steps:
//! 1. **Probe**: one yara-x scan of the benign set with a probe rule per usable candidate
//!    string (with the modifiers a rule would give it) finds which benign files hold which
//!    strings ([`BenignStrings`]).
//! 2. **Regenerate** with that knowledge: a string found in a benign file loses points and
//!    never matches alone, the group count is raised above what any benign file holds, and a
//!    string that still lets a benign file match is set aside (see [`super::select`]).
//! 3. **Measure** the final rules by scanning the training samples and the benign set, and
//!    write the result into each rule's meta; a rule that still matches a benign file is
//!    withheld with a warning.
//! 4. **Hold out** (family rules, optional): each variant in turn is left out of training and
//!    the rule built from the others is tested on it and on the benign set.

use super::render::{self, MetaLine};
use super::{generate_checked, usable_strings, Generation, RuleOptions};
use crate::error::{Warning, WarningCode};
use crate::evaluate::{scan, RuleSet, ScanConfig, SetKind, TestSets};
use crate::goodware::Index;
use crate::sample::Triage;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Which benign files hold which candidate strings.
#[derive(Debug, Clone, Default)]
pub struct BenignStrings {
    /// The benign files scanned, in the order scanned.
    files: Vec<String>,
    /// Text → indices (into `files`) of the files holding it; texts held by none are absent.
    holding: BTreeMap<String, Vec<usize>>,
}

impl BenignStrings {
    /// Scans `files` once for every text in `texts`, each as a YARA text string with the
    /// modifiers a rule gives it (`ascii wide`, and `fullword` when it can apply). Files that
    /// cannot be scanned are returned with the reason.
    pub fn probe(
        texts: &[String],
        files: &[PathBuf],
        config: &ScanConfig,
    ) -> Result<(BenignStrings, Vec<(String, String)>), String> {
        let mut found = BenignStrings {
            files: files
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
            holding: BTreeMap::new(),
        };
        if texts.is_empty() || files.is_empty() {
            return Ok((found, Vec::new()));
        }
        let mut source = String::new();
        for (i, text) in texts.iter().enumerate() {
            source.push_str(&format!(
                "rule p{i} {{ strings: $a = {}{} condition: $a }}\n",
                render::quote(text),
                render::string_modifiers(true, true, text)
            ));
        }
        let probes = RuleSet::compile_sources(&[("validation probes", source.as_bytes())])
            .map_err(|e| format!("the validation probes do not compile: {e}"))?;
        // Position in the compiled set → position in `texts`.
        let text_of: Vec<Option<usize>> = probes
            .infos()
            .iter()
            .map(|r| r.name.strip_prefix('p').and_then(|n| n.parse().ok()))
            .collect();
        let run = scan::scan_files(&probes, files, config, &|_| {});
        let mut unscanned = Vec::new();
        for (f, outcome) in run.files.into_iter().enumerate() {
            match outcome.result {
                Ok(hits) => {
                    for h in hits {
                        let text = text_of.get(h).copied().flatten().and_then(|t| texts.get(t));
                        if let Some(text) = text {
                            found.holding.entry(text.clone()).or_default().push(f);
                        }
                    }
                }
                Err(reason) => unscanned.push((outcome.path, reason.message)),
            }
        }
        Ok((found, unscanned))
    }

    /// Indices (into [`Self::files`]) of the benign files holding `text`.
    pub fn files_holding(&self, text: &str) -> &[usize] {
        self.holding.get(text).map_or(&[], Vec::as_slice)
    }

    /// The benign files scanned.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// How many distinct strings at least one benign file holds.
    pub fn strings_seen(&self) -> usize {
        self.holding.len()
    }
}

/// The measured result of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measured {
    /// The rule.
    pub rule: String,
    /// Training samples the rule was built from.
    pub samples: usize,
    /// Training samples it matches.
    pub true_positives: usize,
    /// Benign files scanned.
    pub benign_files: usize,
    /// Benign files it matches.
    pub false_positives: Vec<String>,
}

/// One variant left out of a family rule's training.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldOut {
    /// The variant left out.
    pub held_out: String,
    /// Whether the rule built from the other variants matches it.
    pub detected: bool,
    /// Benign files that rule matches.
    pub false_positives: Vec<String>,
    /// Why no rule could be built from the other variants, if none could.
    pub error: Option<String>,
}

/// What the closed loop produced.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    /// The rules that passed (measured result in their meta) and the warnings.
    pub generation: Generation,
    /// The measured result of every rule made, withheld ones included.
    pub measured: Vec<Measured>,
    /// Leave-one-variant-out results (empty unless asked for, and for family rules only).
    pub holdout: Vec<HoldOut>,
    /// Benign files in the validation set.
    pub benign_files: usize,
    /// Distinct candidate strings probed, and how many of them benign files hold.
    pub strings_probed: (usize, usize),
}

impl Validated {
    /// Variants detected when left out, and variants tried.
    pub fn holdout_score(&self) -> (usize, usize) {
        (
            self.holdout.iter().filter(|h| h.detected).count(),
            self.holdout.len(),
        )
    }
}

/// Generates rules for `samples` and validates them against the benign files under
/// `benign` (see the module documentation). `holdout` adds the leave-one-variant-out check
/// for a family rule of two or more samples. An error means no validation could be done:
/// [`crate::Error::Input`] when no benign file could be read, [`crate::Error::Rule`] when
/// the probes do not compile.
pub fn generate_validated(
    samples: &[Triage],
    index: Option<&Index>,
    options: &RuleOptions,
    benign: &[PathBuf],
    config: &ScanConfig,
    holdout: bool,
) -> Result<Validated, crate::Error> {
    let sets = TestSets::collect(&[], benign);
    let mut warnings: Vec<Warning> = sets
        .unreadable
        .iter()
        .map(|u| {
            Warning::new(
                WarningCode::InputUnreadable,
                format!("validation set: {}: {}", u.file, u.reason),
            )
        })
        .collect();
    let files: Vec<PathBuf> = sets
        .files
        .iter()
        .filter(|(k, _)| *k == SetKind::Benign)
        .map(|(_, p)| p.clone())
        .collect();
    if files.is_empty() {
        return Err(crate::Error::Input {
            path: String::new(),
            message: "the validation set holds no readable file".to_string(),
        });
    }
    let texts = usable_strings(samples, index);
    let (probes, unscanned) = BenignStrings::probe(&texts, &files, config)
        .map_err(|message| crate::Error::Rule { message })?;
    for (path, reason) in unscanned {
        warnings.push(Warning::new(
            WarningCode::InputUnreadable,
            format!("validation set: {path}: {reason}; not validated against it"),
        ));
    }
    let mut generation = generate_checked(samples, index, options, Some(&probes));
    generation.warnings.splice(0..0, warnings);
    let holdouts = if holdout && options.family.is_some() && samples.len() >= 2 {
        hold_out(samples, index, options, &probes)
    } else {
        Vec::new()
    };
    // One scan of the training samples and the benign set measures every rule.
    let mut sources: Vec<&str> = generation.rules.iter().map(|r| r.source.as_str()).collect();
    sources.extend(
        holdouts
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok().map(String::as_str)),
    );
    let training: Vec<PathBuf> = samples.iter().map(|t| PathBuf::from(&t.name)).collect();
    let matches = Matches::scan(&sources, &training, &files, config)
        .map_err(|message| crate::Error::Rule { message })?;
    let measured: Vec<Measured> = generation
        .rules
        .iter()
        .map(|r| Measured {
            rule: r.name.clone(),
            samples: r.samples.len(),
            true_positives: r.samples.iter().filter(|s| matches.hit(&r.name, s)).count(),
            benign_files: files.len(),
            false_positives: matches.benign_hits(&r.name),
        })
        .collect();
    let date = options.date.clone();
    let mut kept = Vec::new();
    for (mut rule, m) in std::mem::take(&mut generation.rules)
        .into_iter()
        .zip(&measured)
    {
        if !m.false_positives.is_empty() {
            generation.warnings.push(Warning::new(
                WarningCode::RuleFalsePositive,
                format!(
                    "{}: still matches {} benign file(s) ({}); not written",
                    rule.name,
                    m.false_positives.len(),
                    m.false_positives.join(", ")
                ),
            ));
            continue;
        }
        if m.true_positives < m.samples {
            generation.warnings.push(Warning::new(
                WarningCode::RuleMisses,
                format!(
                    "{}: matches {} of its {} training samples",
                    rule.name, m.true_positives, m.samples
                ),
            ));
        }
        let lines = vec![
            MetaLine::text("tested", &date),
            MetaLine::number("tested_benign_files", m.benign_files as i64),
            MetaLine::number("false_positives", m.false_positives.len() as i64),
            MetaLine::number("training_samples", m.samples as i64),
            MetaLine::number("true_positives", m.true_positives as i64),
        ];
        match rule.add_meta(lines) {
            Ok(()) => kept.push(rule),
            Err(e) => generation
                .warnings
                .push(Warning::new(WarningCode::RuleNotWritten, e.to_string())),
        }
    }
    generation.rules = kept;
    let holdout: Vec<HoldOut> = holdouts
        .into_iter()
        .map(|(left_out, rule)| match rule {
            Ok(source) => {
                let name = rule_name(&source);
                HoldOut {
                    detected: matches.hit(&name, &left_out),
                    false_positives: matches.benign_hits(&name),
                    held_out: left_out,
                    error: None,
                }
            }
            Err(e) => HoldOut {
                held_out: left_out,
                detected: false,
                false_positives: Vec::new(),
                error: Some(e),
            },
        })
        .collect();
    let mut validated = Validated {
        generation,
        measured,
        holdout,
        benign_files: files.len(),
        strings_probed: (texts.len(), probes.strings_seen()),
    };
    if !validated.holdout.is_empty() {
        let (detected, tried) = validated.holdout_score();
        let line = MetaLine::text(
            "holdout",
            &format!("{detected}/{tried} variants detected when left out of training"),
        );
        if let Some(rule) = validated.generation.rules.first_mut() {
            if let Err(e) = rule.add_meta(vec![line]) {
                validated
                    .generation
                    .warnings
                    .push(Warning::new(WarningCode::RuleInvalid, e.to_string()));
            }
        }
    }
    Ok(validated)
}

/// Which files each rule matched, from one scan.
struct Matches {
    /// Rule name → paths of the files it matched.
    by_rule: BTreeMap<String, Vec<String>>,
    /// The benign files, by name.
    benign: Vec<String>,
}

impl Matches {
    /// Compiles `sources` together and scans the training samples and the benign files.
    fn scan(
        sources: &[&str],
        training: &[PathBuf],
        benign: &[PathBuf],
        config: &ScanConfig,
    ) -> Result<Matches, String> {
        let mut matches = Matches {
            by_rule: BTreeMap::new(),
            benign: benign
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect(),
        };
        if sources.is_empty() {
            return Ok(matches);
        }
        let text = sources.join("\n");
        let set = RuleSet::compile_sources(&[("generated rules", text.as_bytes())])
            .map_err(|e| e.to_string())?;
        let mut paths = training.to_vec();
        paths.extend(benign.iter().cloned());
        let run = scan::scan_files(&set, &paths, config, &|_| {});
        for file in run.files {
            let Ok(hits) = file.result else { continue };
            for h in hits {
                if let Some(info) = set.infos().get(h) {
                    let files = matches.by_rule.entry(info.name.clone()).or_default();
                    files.push(file.path.clone());
                }
            }
        }
        Ok(matches)
    }

    /// Whether rule `rule` matched the file named `path`.
    fn hit(&self, rule: &str, path: &str) -> bool {
        self.by_rule
            .get(rule)
            .is_some_and(|files| files.iter().any(|f| f == path))
    }

    /// The benign files rule `rule` matched.
    fn benign_hits(&self, rule: &str) -> Vec<String> {
        self.benign
            .iter()
            .filter(|b| self.hit(rule, b))
            .cloned()
            .collect()
    }
}

/// The identifier of the first rule in `source`.
fn rule_name(source: &str) -> String {
    source
        .split_whitespace()
        .skip_while(|w| *w != "rule")
        .nth(1)
        .unwrap_or_default()
        .trim_end_matches([':', '{'])
        .to_string()
}

/// Builds the family rule without each variant in turn: (the variant left out, the rule's
/// source or why none could be built). Each rule gets its own name so that all of them can be
/// scanned together.
fn hold_out(
    samples: &[Triage],
    index: Option<&Index>,
    options: &RuleOptions,
    probes: &BenignStrings,
) -> Vec<(String, Result<String, String>)> {
    let mut results = Vec::new();
    for (k, left_out) in samples.iter().enumerate() {
        let training: Vec<Triage> = samples
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != k)
            .map(|(_, t)| t.clone())
            .collect();
        let mut o = options.clone();
        o.name_format = format!("{}_without_{}", options.name_format, k + 1);
        let generation = generate_checked(&training, index, &o, Some(probes));
        let rule = match generation.rules.into_iter().next() {
            Some(r) => Ok(r.source),
            None => Err(generation
                .warnings
                .iter()
                .map(|w| w.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")),
        };
        results.push((left_out.name.clone(), rule));
    }
    results
}
