//! The verdict on one sample (`malicious-looking`, `suspicious`, `no strong signs`), made by
//! weighing its evidence, with the reason in one line.
//!
//! Driven by `data/verdict-weights.txt` (syntax at its top): each ATT&CK technique family
//! (a parent and its sub-techniques count once), packing, a URL to a bare IP address and each
//! class hint ([`super::classes`]) is a sign with a weight; a verdict needs both a score and a
//! number of signs, so one sign alone, however strong, is never a verdict.

use super::classes::{self, ClassHint};
use super::Triage;
use crate::findings::triage::Packing;
pub use crate::findings::triage::{SampleVerdict, Verdict};
use crate::sample::behavior::technique_names;
use crate::tables;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The parsed weights table.
#[derive(Debug, Default)]
pub struct Weights {
    confidence: BTreeMap<String, f64>,
    technique: BTreeMap<String, f64>,
    default: f64,
    signal: BTreeMap<String, f64>,
    /// `(verdict, minimum score, minimum signs)`, in table order.
    verdicts: Vec<(SampleVerdict, f64, usize)>,
}

/// Parses `verdict-weights.txt`. Errors name the line.
pub fn parse(text: &str) -> Result<Weights, crate::Error> {
    let mut w = Weights::default();
    for (n, line) in crate::tables::numbered_entries(text) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let number = |i: usize| -> Result<f64, crate::Error> {
            words
                .get(i)
                .and_then(|s| s.parse::<f64>().ok())
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| crate::Error::parse_at(n, format!("expected a number in '{line}'")))
        };
        let name = words.get(1).copied().unwrap_or("").to_string();
        match words[0] {
            "confidence" => {
                w.confidence.insert(name, number(2)?);
            }
            "technique" if name == "default" => w.default = number(2)?,
            "technique" => {
                w.technique.insert(name, number(2)?);
            }
            "signal" => {
                w.signal.insert(name, number(2)?);
            }
            "verdict" => {
                let signs = number(3)? as usize;
                let verdict = SampleVerdict::from_name(&name).ok_or_else(|| {
                    crate::Error::parse_at(n, format!("unknown verdict '{name}' in '{line}'"))
                })?;
                w.verdicts.push((verdict, number(2)?, signs));
            }
            other => {
                return Err(crate::Error::parse_at(
                    n,
                    format!("unknown keyword '{other}'"),
                ))
            }
        }
    }
    if w.verdicts.is_empty() {
        return Err(crate::Error::parse("no verdict line"));
    }
    Ok(w)
}

/// The embedded weights (a unit test keeps the table parsable).
pub fn weights() -> &'static Weights {
    static W: OnceLock<Weights> = OnceLock::new();
    W.get_or_init(|| parse(tables::VERDICT_WEIGHTS).unwrap_or_default())
}

impl Weights {
    fn technique(&self, id: &str) -> f64 {
        let parent = id.split('.').next().unwrap_or(id);
        self.technique
            .get(id)
            .or_else(|| self.technique.get(parent))
            .copied()
            .unwrap_or(self.default)
    }

    fn signal(&self, name: &str) -> f64 {
        self.signal.get(name).copied().unwrap_or(0.0)
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn number(x: f64) -> String {
    let x = round(x);
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// Weighs the evidence of a sample (its techniques, packing, URLs) and its class hints.
pub fn judge(t: &Triage, hints: &[ClassHint]) -> Verdict {
    judge_with(weights(), t, hints)
}

/// [`judge`] with a given table.
pub fn judge_with(w: &Weights, t: &Triage, hints: &[ClassHint]) -> Verdict {
    let names = technique_names();
    // One sign per technique family: the strongest of a parent and its sub-techniques.
    let mut families: BTreeMap<&str, (f64, String)> = BTreeMap::new();
    for x in &t.techniques {
        let factor = w
            .confidence
            .get(x.confidence.as_str())
            .copied()
            .unwrap_or(0.0);
        let weight = w.technique(&x.id) * factor;
        if weight <= 0.0 {
            continue;
        }
        let name = names.get(&x.id).unwrap_or(&x.name);
        let what = format!("{name} ({}, {})", x.id, x.confidence);
        let parent = x.id.split('.').next().unwrap_or(&x.id);
        let entry = families.entry(parent).or_insert((0.0, String::new()));
        if weight > entry.0 {
            *entry = (weight, what);
        }
    }
    let mut signs: Vec<(f64, String)> = families.into_values().collect();
    if t.packer.verdict == Packing::Packed {
        signs.push((w.signal("packed"), "packed".to_string()));
    }
    if let Some(url) = classes::ip_url(t) {
        signs.push((
            w.signal("ip-url"),
            format!(
                "URL to an IP address ({})",
                crate::ioc::refang::defang(crate::ioc::IocKind::Url, url)
            ),
        ));
    }
    for h in hints {
        let weight = w.signal(&format!("class-{}", h.confidence));
        signs.push((weight, format!("{} hint ({})", h.class, h.confidence)));
    }
    signs.retain(|(weight, _)| *weight > 0.0);
    signs.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let score = round(signs.iter().map(|s| s.0).sum());
    let verdict = w
        .verdicts
        .iter()
        .find(|(_, min, count)| score >= *min && signs.len() >= *count)
        .map_or(SampleVerdict::NoStrongSigns, |v| v.0);
    let listed: Vec<String> = signs
        .iter()
        .map(|(weight, what)| format!("{what} {}", number(*weight)))
        .collect();
    let reason = match signs.len() {
        0 => "no technique above low confidence, no packing, no class hint".to_string(),
        1 => format!(
            "score {} from one sign ({}): one sign alone is not a verdict",
            number(score),
            listed[0]
        ),
        n => {
            let shown = listed
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if n > 5 {
                format!(" and {} more", n - 5)
            } else {
                String::new()
            };
            format!("score {} from {n} signs: {shown}{more}", number(score))
        }
    };
    Verdict {
        verdict,
        score,
        reason,
        signs: listed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses() {
        let w = parse(tables::VERDICT_WEIGHTS).expect("verdict-weights.txt parses");
        assert_eq!(w.verdicts[0].0, SampleVerdict::MaliciousLooking);
        assert!(
            w.verdicts.iter().all(|v| v.2 >= 2),
            "one sign alone decides"
        );
        assert_eq!(w.technique("T1055.012"), w.technique("T1055"));
        assert_eq!(w.technique("T9999"), w.default);
        assert_eq!(w.confidence.get("low"), Some(&0.0));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("verdict suspicious 1 1\nfoo 1\n").unwrap_err();
        assert_eq!(e.to_string(), "line 2: unknown keyword 'foo'");
        assert!(matches!(e, crate::Error::Parse { line: Some(2), .. }));
        let e = parse("verdict harmless 1 2\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "line 1: unknown verdict 'harmless' in 'verdict harmless 1 2'"
        );
        let e = parse("technique T1 x\n").unwrap_err();
        assert!(e.to_string().starts_with("line 1: "), "{e}");
        assert_eq!(e.code(), "parse");
        assert!(parse("technique T1 1\n").is_err());
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(4.0), "4");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(0.1 + 0.2), "0.3");
    }
}
