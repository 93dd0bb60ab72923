//! Scoring candidates, with every point explained: goodware frequency, length,
//! meaningfulness (entropy, word-likeness), boosts for IOCs, PDB paths, mutexes, registry
//! paths and commands (`data/rules-boosts.txt`), penalties for runtime boilerplate
//! (`data/rules-boilerplate.txt`), format strings, code bytes and short or repetitive atoms.

use super::candidates::Candidate;
use crate::goodware::Index;
use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

/// Candidates below this score are not used.
pub const MIN_SCORE: i32 = 10;
/// Candidates at or above this score are strong enough to match alone (`$x`).
pub const STRONG_SCORE: i32 = 40;

const BOILERPLATE: &str = include_str!("../../data/rules-boilerplate.txt");
const BOOSTS: &str = include_str!("../../data/rules-boosts.txt");

/// A candidate with its score and the reasons for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    /// The candidate.
    pub candidate: Candidate,
    /// Goodware files holding the string (`None` without an index).
    pub goodware: Option<u64>,
    /// The total.
    pub score: i32,
    /// Each contribution, e.g. `absent from goodware +20`.
    pub reasons: Vec<String>,
}

impl Scored {
    /// Whether the string may go into a rule.
    pub fn usable(&self) -> bool {
        self.score >= MIN_SCORE && self.goodware.unwrap_or(0) == 0
    }
}

struct Tables {
    boiler: AhoCorasick,
    boiler_words: Vec<String>,
    boiler_exact: Vec<String>,
    boost: AhoCorasick,
    /// Per boost pattern: (kind, points).
    boost_of: Vec<(String, i32)>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let mut boiler_words = Vec::new();
        let mut boiler_exact = Vec::new();
        for e in crate::tables::entries(BOILERPLATE) {
            match e.strip_prefix('=') {
                Some(x) => boiler_exact.push(x.to_string()),
                None => boiler_words.push(e.to_string()),
            }
        }
        let mut boost_words = Vec::new();
        let mut boost_of = Vec::new();
        let mut current = ("boost".to_string(), 0);
        // Lines are kept raw here: boost patterns may end in a space (`wmic `).
        for line in BOOSTS.lines() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            if let Some(h) = t.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
                let mut parts = h.split_whitespace();
                let kind = parts.next().unwrap_or("boost").to_string();
                let points = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
                current = (kind, points);
                continue;
            }
            boost_words.push(line.trim_start().to_ascii_lowercase());
            boost_of.push(current.clone());
        }
        Tables {
            boiler: AhoCorasick::new(&boiler_words).unwrap_or_else(|_| empty_matcher()),
            boiler_words,
            boiler_exact,
            boost: AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&boost_words)
                .unwrap_or_else(|_| empty_matcher()),
            boost_of,
        }
    })
}

fn empty_matcher() -> AhoCorasick {
    AhoCorasick::new(Vec::<&str>::new()).unwrap_or_else(|_| unreachable!())
}

/// Shannon entropy of the characters of `s`, bits per character.
pub fn char_entropy(s: &str) -> f64 {
    crate::sample::entropy(s.as_bytes())
}

/// Whether `s` reads like words: a run of four or more letters holding a vowel, and mostly
/// letters, digits, spaces and common punctuation.
pub fn word_like(s: &str) -> bool {
    let mut run = 0;
    let mut vowel = false;
    let mut found = false;
    for c in s.chars() {
        if c.is_ascii_alphabetic() {
            run += 1;
            vowel |= "aeiouyAEIOUY".contains(c);
            if run >= 4 && vowel {
                found = true;
            }
        } else {
            run = 0;
            vowel = false;
        }
    }
    let plain = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,:;-_/\\%'\"()=&?".contains(*c))
        .count();
    found && plain * 10 >= s.len() * 8
}

/// What the goodware index says about one string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoodwareHits {
    /// Files holding the string as a whole string.
    pub exact: u64,
    /// Largest file count of a goodware string that contains it (exact hits included).
    pub inside: u64,
}

impl GoodwareHits {
    /// Looks one string up (exact only; see [`Index::containing_counts`] for `inside`).
    pub fn exact(index: &Index, text: &str) -> Self {
        let exact = index.string_count(text.as_bytes());
        GoodwareHits {
            exact,
            inside: exact,
        }
    }
}

/// Scores one candidate given what the goodware index says about it (`None`: no index).
pub fn score(c: &Candidate, hits: Option<GoodwareHits>) -> Scored {
    let mut score = 0;
    let mut reasons = Vec::new();
    let mut add = |points: i32, why: String| {
        score += points;
        reasons.push(format!("{why} {points:+}"));
    };
    let t = c.text.as_str();
    let goodware = hits.map(|h| h.exact.max(h.inside));
    match hits {
        Some(h) if h.exact > 0 => add(-100, format!("in {} goodware files", h.exact)),
        Some(h) if h.inside > 0 => add(
            -100,
            format!("inside a string of {} goodware files", h.inside),
        ),
        Some(_) => add(20, "absent from goodware".into()),
        None => {}
    }
    let len = t.len() as i32;
    add(len.min(40) / 4, format!("length {len}"));
    if len < 8 {
        add(-5, "short".into());
    }
    let distinct = {
        let mut seen = [false; 256];
        t.bytes()
            .filter(|&b| !std::mem::replace(&mut seen[b as usize], true))
            .count()
    };
    if distinct < 4 || distinct * 4 < t.len().min(24) {
        add(-25, "repetitive".into());
    }
    let entropy = char_entropy(t);
    let network = super::candidates::is_network(c);
    if entropy < 2.0 {
        add(-10, format!("low entropy {entropy:.1}"));
    } else if word_like(t) {
        add(4, "word-like".into());
    } else if !network && !c.has("pdb") {
        add(-8, "not word-like".into());
    }
    if c.in_code && !network {
        add(-15, "in code section".into());
    }
    // IOCs.
    if network || c.has("ioc:wallet") {
        add(25, "network or wallet indicator".into());
    } else if c.has("ioc:registry") {
        add(10, "registry indicator".into());
    } else if c.has("ioc:path") {
        add(8, "path indicator".into());
    }
    if c.has("pdb") {
        add(30, "PDB path".into());
    }
    if c.has("export") {
        add(5, "export name".into());
    }
    let tb = tables();
    let best = tb
        .boost
        .find_overlapping_iter(t)
        .filter_map(|m| tb.boost_of.get(m.pattern().as_usize()))
        .max_by_key(|(kind, p)| (*p, std::cmp::Reverse(kind.clone())));
    if let Some((kind, points)) = best {
        add(*points, kind.clone());
    }
    // Penalties.
    if c.has("api") {
        add(-20, "API name".into());
    }
    if c.has("dll") {
        add(-20, "library name".into());
    }
    if c.has("format") {
        let rest: usize = strip_format(t)
            .chars()
            .filter(char::is_ascii_alphabetic)
            .count();
        if rest < 6 {
            add(-20, "mostly format specifiers".into());
        } else {
            add(-4, "format string".into());
        }
    }
    let boiler = tb
        .boiler
        .find(t)
        .and_then(|m| tb.boiler_words.get(m.pattern().as_usize()))
        .or_else(|| tb.boiler_exact.iter().find(|e| e.as_str() == t));
    if let Some(b) = boiler {
        add(-60, format!("runtime boilerplate ({})", b.trim()));
    }
    Scored {
        candidate: c.clone(),
        goodware,
        score,
        reasons,
    }
}

/// `s` without printf-style specifiers.
fn strip_format(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            while let Some(&n) = chars.peek() {
                chars.next();
                if n.is_ascii_alphabetic() && !matches!(n, 'l' | 'h' | 'I') {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(text: &str, tags: &[&str]) -> Candidate {
        Candidate {
            text: text.into(),
            ascii: true,
            wide: false,
            section: Some(".rdata".into()),
            offset: 0,
            in_code: false,
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    #[test]
    fn boilerplate_is_penalised_and_commands_boosted() {
        let b = score(&cand("Mingw-w64 runtime failure:", &[]), None);
        assert!(!b.usable(), "{b:?}");
        assert!(b.reasons.iter().any(|r| r.contains("boilerplate")));
        let c = score(
            &cand("cmd.exe /c vssadmin delete shadows /all /quiet", &[]),
            None,
        );
        assert!(c.usable() && c.reasons.iter().any(|r| r.starts_with("command")));
    }

    #[test]
    fn format_strings_and_repetition_lose_points() {
        assert!(!score(&cand("%s\\%s.%d", &["format"]), None).usable());
        assert!(!score(&cand("ababababababab", &[]), None).usable());
        assert_eq!(strip_format("a %08lx b %s"), "a  b ");
    }

    #[test]
    fn word_likeness() {
        assert!(word_like("OneDriveStandaloneUpdater"));
        assert!(!word_like("[^_]A\\A]"));
    }
}
