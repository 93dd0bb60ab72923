//! Choosing the strings of a rule and its string condition.
//!
//! A family rule is a set-cover choice: every training sample must be covered by enough
//! selected strings, and strings shared by more samples are taken first (they are the ones
//! likely to be in the family's unseen variants). Strings are of three kinds (see
//! [`super::evidence`]): strong strings (`$x`: unique evidence with a high score) match
//! alone; other unique strings (`$s`) count in a group; supporting strings (`$c`: API names,
//! user agents, VM names, generic keys, strings a benign file holds) only add to a group
//! that already holds a unique string. The condition is `1 of ($x*) or N of ($s*)`, or
//! `1 of ($x*) or (N of ($s*) and M of ($s*, $c*))` when the samples hold fewer than three
//! unique weak strings, so no condition can be met by supporting strings alone.
//!
//! When the rule is validated against a benign set (the closed loop in
//! [`super::closed_loop`]), each chosen string also knows the benign files holding it: such a
//! string is supporting, and the unique count is raised above what any benign file holds.

use super::score::Scored;
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

/// Chooses up to [`MAX_STRINGS`] strings covering `n_samples` training samples: unique
/// strings first (each sample should hold [`GROUP_COUNT`]), then supporting strings for the
/// samples that hold fewer unique ones, then the rest, shared strings first.
pub fn choose(pool: Vec<(Scored, Vec<usize>)>, n_samples: usize) -> Vec<Chosen> {
    let mut left = pool;
    // Order: unique before supporting, more samples first, then score, then text, so the
    // greedy passes are stable.
    left.sort_by(|a, b| {
        b.0.evidence
            .is_unique()
            .cmp(&a.0.evidence.is_unique())
            .then(b.1.len().cmp(&a.1.len()))
            .then(b.0.score.cmp(&a.0.score))
            .then(a.0.candidate.text.cmp(&b.0.candidate.text))
    });
    let mut need = vec![GROUP_COUNT; n_samples];
    let mut chosen: Vec<Chosen> = Vec::new();
    let take = |chosen: &mut Vec<Chosen>, (scored, samples): (Scored, Vec<usize>)| {
        let strong = scored.strong() && chosen.iter().filter(|c| c.strong).count() < MAX_STRONG;
        chosen.push(Chosen {
            scored,
            samples,
            strong,
            benign: Vec::new(),
        });
    };
    // Greedy multi-cover: the string that meets the most outstanding need; unique strings
    // first, then supporting ones for what unique strings left uncovered.
    for unique in [true, false] {
        while chosen.len() < MAX_STRINGS {
            let best = left
                .iter()
                .enumerate()
                .filter(|(_, (s, _))| s.evidence.is_unique() == unique)
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
    }
    // Fill: unique and shared strings first (the order of `left`).
    for item in left {
        if chosen.len() >= MAX_STRINGS {
            break;
        }
        take(&mut chosen, item);
    }
    order(&mut chosen);
    chosen
}

/// Puts chosen strings in rule order: strong first, then unique, then supporting; within each,
/// by samples held, score and text.
pub fn order(chosen: &mut [Chosen]) {
    chosen.sort_by(|a, b| {
        b.strong
            .cmp(&a.strong)
            .then(
                b.scored
                    .evidence
                    .is_unique()
                    .cmp(&a.scored.evidence.is_unique()),
            )
            .then(b.samples.len().cmp(&a.samples.len()))
            .then(b.scored.score.cmp(&a.scored.score))
            .then(a.scored.candidate.text.cmp(&b.scored.candidate.text))
    });
}

/// Whether a chosen string is supporting (never counts toward the threshold alone).
fn supporting(c: &Chosen) -> bool {
    !c.strong && !c.scored.evidence.is_unique()
}

/// Whether a chosen string is a unique weak string (`$s`).
fn unique_weak(c: &Chosen) -> bool {
    !c.strong && c.scored.evidence.is_unique()
}

/// The string condition for the chosen strings, with the identifier prefixes of strong,
/// unique weak and supporting strings: `1 of ($x*) or N of ($s*)` (or one side alone), with
/// `N` the largest count up to [`GROUP_COUNT`] that every training sample not matched by a
/// strong string meets, and above what any benign file holds. When that is under
/// [`GROUP_COUNT`], supporting strings raise the group: `(N of ($s*) and M of ($s*, $c*))`.
/// `None` when some sample is covered neither by a strong string nor by a unique weak one.
/// Strings the condition cannot use are removed (YARA rejects unused strings).
pub fn condition(
    chosen: &mut Vec<Chosen>,
    n_samples: usize,
    (x, s, c): (&str, &str, &str),
) -> Option<String> {
    let strong = chosen.iter().filter(|c| c.strong).count();
    let count = |f: &dyn Fn(&Chosen) -> bool, k: Option<usize>| {
        chosen
            .iter()
            .filter(|c| f(c) && k.is_none_or(|k| c.samples.contains(&k)))
            .count()
    };
    // The fewest unique weak strings, and weak strings of any kind, held by a training
    // sample that no strong string matches.
    let mut u_min = count(&unique_weak, None);
    let mut t_min = u_min + count(&supporting, None);
    for k in 0..n_samples {
        if count(&|c: &Chosen| c.strong, Some(k)) > 0 {
            continue;
        }
        let u = count(&unique_weak, Some(k));
        u_min = u_min.min(u);
        t_min = t_min.min(u + count(&supporting, Some(k)));
    }
    let floor = most_in_a_benign_file(chosen, unique_weak) + 1;
    let a = GROUP_COUNT.min(u_min).max(floor);
    let a = if a <= u_min { a } else { 0 };
    let with_support = if a > 0 && a < GROUP_COUNT {
        GROUP_COUNT.min(t_min).max(a)
    } else {
        a
    };
    let weak = if a == 0 {
        None
    } else if with_support > a {
        Some(format!(
            "({a} of (${s}*) and {with_support} of (${s}*, ${c}*))"
        ))
    } else {
        chosen.retain(|c| !supporting(c));
        Some(format!("{a} of (${s}*)"))
    };
    match (strong > 0, weak) {
        (true, Some(w)) => Some(format!("1 of (${x}*) or {w}")),
        (true, None) if covered_by_strong(chosen, n_samples) => {
            chosen.retain(|c| c.strong);
            Some(format!("1 of (${x}*)"))
        }
        (false, Some(w)) => Some(w),
        _ => None,
    }
}

/// The most chosen strings of one kind any one benign file holds.
fn most_in_a_benign_file(chosen: &[Chosen], kind: fn(&Chosen) -> bool) -> usize {
    let mut per_file: BTreeMap<usize, usize> = BTreeMap::new();
    for c in chosen.iter().filter(|c| kind(c)) {
        for &f in &c.benign {
            *per_file.entry(f).or_default() += 1;
        }
    }
    per_file.into_values().max().unwrap_or(0)
}

fn covered_by_strong(chosen: &[Chosen], n_samples: usize) -> bool {
    (0..n_samples).all(|k| chosen.iter().any(|c| c.strong && c.samples.contains(&k)))
}
