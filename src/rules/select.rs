//! Choosing the strings of a rule and its string condition.
//!
//! A family rule is a set-cover choice: every training sample must be covered by enough
//! selected strings, and strings shared by more samples are taken first (they are the ones
//! likely to be in the family's unseen variants). Strong strings (`$x`) match alone; the
//! others (`$s`) count in a group: `1 of ($x*) or N of ($s*)`, with `N` the largest count
//! (up to 3) that every training sample still meets.
//!
//! When the rule is validated against a benign set (the closed loop in
//! [`super::closed_loop`]), each chosen string also knows the benign files holding it: such a
//! string never matches alone, and the group count is raised above what any benign file
//! holds.

use super::score::{Scored, STRONG_SCORE};
use std::collections::BTreeMap;

/// Most strings in one rule.
pub const MAX_STRINGS: usize = 20;
/// Most strong (`$x`) strings in one rule.
pub const MAX_STRONG: usize = 8;
/// How many weak strings a sample should hold for the group count.
pub const GROUP_COUNT: usize = 3;

/// One string chosen for a rule, with the samples (by index) that hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// The best-scored sighting of the string.
    pub scored: Scored,
    /// Indices of the training samples holding the string.
    pub samples: Vec<usize>,
    /// Strong: matches alone.
    pub strong: bool,
    /// Indices of the validation set's benign files holding the string (empty without a
    /// validation set).
    pub benign: Vec<usize>,
}

/// Merges per-sample scored candidates by text: the best-scored sighting, and which
/// samples hold the text, exactly or inside a longer string (where the rule's string would
/// still match: at word boundaries when it gets `fullword`). Unusable strings are dropped;
/// the result is sorted by text.
pub fn pool(per_sample: &[Vec<Scored>]) -> Vec<(Scored, Vec<usize>)> {
    let mut by_text: BTreeMap<&str, (Scored, Vec<usize>)> = BTreeMap::new();
    for (i, list) in per_sample.iter().enumerate() {
        for s in list {
            let t = s.candidate.text.as_str();
            if !s.usable() {
                continue;
            }
            match by_text.get_mut(t) {
                Some((best, samples)) => {
                    if !samples.contains(&i) {
                        samples.push(i);
                    }
                    best.candidate.ascii |= s.candidate.ascii;
                    best.candidate.wide |= s.candidate.wide;
                    if s.score > best.score {
                        let (a, w) = (best.candidate.ascii, best.candidate.wide);
                        *best = s.clone();
                        best.candidate.ascii = a;
                        best.candidate.wide = w;
                    }
                }
                None => {
                    by_text.insert(t, (s.clone(), vec![i]));
                }
            }
        }
    }
    let mut merged: Vec<(Scored, Vec<usize>)> = by_text.into_values().collect();
    if per_sample.len() > 1 {
        held_inside_longer_strings(&mut merged, per_sample);
    }
    merged
}

/// Adds, to each pooled text, the samples that hold it only inside one of their longer
/// strings, with that string's encodings.
fn held_inside_longer_strings(merged: &mut [(Scored, Vec<usize>)], per_sample: &[Vec<Scored>]) {
    let texts: Vec<&str> = merged
        .iter()
        .map(|(s, _)| s.candidate.text.as_str())
        .collect();
    let Ok(ac) = aho_corasick::AhoCorasick::new(&texts) else {
        return;
    };
    // (pooled text, sample, ascii, wide) for every sighting inside a longer string.
    let mut found: Vec<(usize, usize, bool, bool)> = Vec::new();
    for (k, list) in per_sample.iter().enumerate() {
        for s in list {
            let host = s.candidate.text.as_bytes();
            for m in ac.find_overlapping_iter(host) {
                let p = m.pattern().as_usize();
                let whole = m.start() == 0 && m.end() == host.len();
                if whole || merged.get(p).is_some_and(|(_, held)| held.contains(&k)) {
                    continue;
                }
                let needs_words = texts.get(p).is_some_and(|t| {
                    t.starts_with(|c: char| c.is_ascii_alphanumeric())
                        && t.ends_with(|c: char| c.is_ascii_alphanumeric())
                });
                let word = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
                let bounded = !word(m.start().checked_sub(1).and_then(|i| host.get(i)))
                    && !word(host.get(m.end()));
                if !needs_words || bounded {
                    found.push((p, k, s.candidate.ascii, s.candidate.wide));
                }
            }
        }
    }
    for (p, k, ascii, wide) in found {
        if let Some((best, held)) = merged.get_mut(p) {
            if !held.contains(&k) {
                held.push(k);
                held.sort_unstable();
            }
            best.candidate.ascii |= ascii;
            best.candidate.wide |= wide;
        }
    }
}

/// Chooses up to [`MAX_STRINGS`] strings covering `n_samples` training samples.
pub fn choose(pool: Vec<(Scored, Vec<usize>)>, n_samples: usize) -> Vec<Chosen> {
    let mut left = pool;
    // Order: more samples first, then score, then text, so the greedy passes are stable.
    left.sort_by(|a, b| {
        b.1.len()
            .cmp(&a.1.len())
            .then(b.0.score.cmp(&a.0.score))
            .then(a.0.candidate.text.cmp(&b.0.candidate.text))
    });
    let mut need = vec![GROUP_COUNT; n_samples];
    let mut chosen: Vec<Chosen> = Vec::new();
    let take = |chosen: &mut Vec<Chosen>, (scored, samples): (Scored, Vec<usize>)| {
        let strong =
            scored.score >= STRONG_SCORE && chosen.iter().filter(|c| c.strong).count() < MAX_STRONG;
        chosen.push(Chosen {
            scored,
            samples,
            strong,
            benign: Vec::new(),
        });
    };
    // Greedy multi-cover: the string that meets the most outstanding need.
    while chosen.len() < MAX_STRINGS {
        let best = left
            .iter()
            .enumerate()
            .map(|(i, (s, samples))| {
                let gain = samples
                    .iter()
                    .filter(|&&k| need.get(k).is_some_and(|&n| n > 0))
                    .count();
                (gain, s.score, i)
            })
            .filter(|&(gain, ..)| gain > 0)
            .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
        let Some((_, _, i)) = best else { break };
        let item = left.remove(i);
        for &k in &item.1 {
            if let Some(n) = need.get_mut(k) {
                *n = n.saturating_sub(1);
            }
        }
        take(&mut chosen, item);
    }
    // Fill: shared strings first (the order of `left`).
    for item in left {
        if chosen.len() >= MAX_STRINGS {
            break;
        }
        take(&mut chosen, item);
    }
    order(&mut chosen);
    chosen
}

/// Puts chosen strings in rule order: strong first, then by samples held, score and text.
pub fn order(chosen: &mut [Chosen]) {
    chosen.sort_by(|a, b| {
        b.strong
            .cmp(&a.strong)
            .then(b.samples.len().cmp(&a.samples.len()))
            .then(b.scored.score.cmp(&a.scored.score))
            .then(a.scored.candidate.text.cmp(&b.scored.candidate.text))
    });
}

/// The string condition for the chosen strings: `1 of ($x*) or N of ($s*)` (or one side
/// alone), with `N` the largest count up to [`GROUP_COUNT`] that every training sample
/// not matched by a strong string still meets. When benign files hold weak strings, `N` is
/// at least one more than any benign file holds (above [`GROUP_COUNT`] if the training
/// samples allow it). `None` when some sample is not covered. Weak strings the condition
/// cannot use are removed (YARA rejects unused strings).
pub fn condition(chosen: &mut Vec<Chosen>, n_samples: usize, x: &str, s: &str) -> Option<String> {
    let strong = chosen.iter().filter(|c| c.strong).count();
    let weak = chosen.len() - strong;
    // The fewest weak strings held by a training sample that no strong string matches.
    let mut held_by_all = weak;
    for k in 0..n_samples {
        let held = |want_strong: bool| {
            chosen
                .iter()
                .filter(|c| c.strong == want_strong && c.samples.contains(&k))
                .count()
        };
        if held(true) > 0 {
            continue;
        }
        held_by_all = held_by_all.min(held(false));
    }
    let floor = most_weak_in_a_benign_file(chosen) + 1;
    let n = GROUP_COUNT.min(held_by_all).max(floor);
    let n = if n <= held_by_all { n } else { 0 };
    match (strong > 0, n > 0) {
        (true, true) => Some(format!("1 of (${x}*) or {n} of (${s}*)")),
        (true, false) if weak == 0 || covered_by_strong(chosen, n_samples) => {
            chosen.retain(|c| c.strong);
            Some(format!("1 of (${x}*)"))
        }
        (false, true) => Some(format!("{n} of (${s}*)")),
        _ => None,
    }
}

/// The most weak chosen strings any one benign file holds.
fn most_weak_in_a_benign_file(chosen: &[Chosen]) -> usize {
    let mut per_file: BTreeMap<usize, usize> = BTreeMap::new();
    for c in chosen.iter().filter(|c| !c.strong) {
        for &f in &c.benign {
            *per_file.entry(f).or_default() += 1;
        }
    }
    per_file.into_values().max().unwrap_or(0)
}

fn covered_by_strong(chosen: &[Chosen], n_samples: usize) -> bool {
    (0..n_samples).all(|k| chosen.iter().any(|c| c.strong && c.samples.contains(&k)))
}
