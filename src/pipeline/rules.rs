//! The rules of an analysis: a family rule per labelled family and a rule per other
//! sample, made against the benign set, then tested on the samples and the benign set.
//! Problems are warnings pushed in the order they arise.

use crate::analyze::InputFindings;
use crate::error::{Warning, WarningCode};
use crate::evaluate::Labels;
use crate::sample::Triage;
use std::path::{Path, PathBuf};

/// A family rule per labelled family and a rule per other sample, strings scored against
/// the goodware index, each rule compiled by yara-x, and validated against the benign
/// paths (family rules also against the samples outside their family) when there are
/// any. An index that cannot be opened gives a warning and rules without goodware facts; a
/// validation that cannot run gives a warning and unvalidated rules. The generation's own
/// warnings are left in it.
pub(super) fn generate(
    analysis: &InputFindings,
    goodware: Option<&Path>,
    date: &str,
    benign: &[PathBuf],
    threads: usize,
    labels: Option<&Labels>,
    warnings: &mut Vec<Warning>,
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
            warnings.push(Warning::new(
                WarningCode::GoodwareUnavailable,
                format!("{e}; rules are built without goodware facts"),
            ));
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
    let mut make =
        |samples: &[Triage], options: &crate::rules::RuleOptions, negatives: &[PathBuf]| {
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
                    Err(e) => warnings.push(Warning::new(
                        WarningCode::RuleInvalid,
                        format!("rules could not be validated: {e}"),
                    )),
                }
            }
            crate::rules::generate(samples, index.as_ref(), options)
        };
    let family_of = |t: &Triage| {
        labels
            .and_then(|l| l.label_of(&t.name))
            .filter(|f| *f != crate::evaluate::labels::BENIGN)
    };
    if !analysis.samples.iter().any(|t| family_of(t).is_some()) {
        // No family: a rule per sample, made from the reports as they are.
        return make(&analysis.samples, &options, benign);
    }
    // Samples by family label (families in name order), then the unlabelled ones.
    let mut families: std::collections::BTreeMap<&str, Vec<Triage>> =
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
/// `spoor test` does. Throughput is left out so the result is reproducible.
pub(super) fn test(
    text: &str,
    samples: &[PathBuf],
    benign: &[PathBuf],
    threads: usize,
    labels: Option<&Labels>,
    warnings: &mut Vec<Warning>,
) -> Option<crate::evaluate::report::Report> {
    let rules =
        match crate::evaluate::rules::RuleSet::compile_sources(&[("rules.yar", text.as_bytes())]) {
            Ok(r) => r,
            Err(e) => {
                warnings.push(Warning::new(
                    WarningCode::RuleInvalid,
                    format!("the generated rules do not compile: {e}"),
                ));
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
