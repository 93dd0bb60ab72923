//! Scoring candidates, with every point explained: goodware frequency, length,
//! meaningfulness (entropy, words, natural-language text, random-looking text), boosts for
//! IOCs, PDB paths, mutexes, registry paths and commands (`data/rules-boosts.txt`), penalties
//! for format strings, code bytes and short or repetitive atoms. What kind of evidence the
//! string is (unique, supporting, borrowed: see [`super::evidence`]) is decided here too and
//! written into its reasons.

use super::candidates::Candidate;
use super::evidence::{self, Evidence};
use crate::goodware::Index;
use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

/// Candidates below this score are not used.
pub const MIN_SCORE: i32 = 10;
/// Candidates at or above this score are strong enough to match alone (`$x`), when they are
/// unique evidence.
pub const STRONG_SCORE: i32 = 40;
/// Most points natural-language text gets (two per word).
pub const NATURAL_TEXT_MAX: i32 = 30;

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
    /// What kind of evidence it is.
    pub evidence: Evidence,
}

impl Scored {
    /// Whether the string may go into a rule.
    pub fn usable(&self) -> bool {
        self.score >= MIN_SCORE && self.goodware.unwrap_or(0) == 0 && self.evidence.is_usable()
    }

    /// Whether the string may match alone (`$x`): unique evidence with a high score.
    pub fn strong(&self) -> bool {
        self.score >= STRONG_SCORE && self.evidence.is_unique()
    }

    /// Makes a unique string supporting (a benign file holds it, say), with the reason.
    pub fn demote(&mut self, why: String) {
        if self.evidence.is_unique() {
            self.reasons
                .push(format!("{why}: supports, never counts alone"));
            self.evidence = Evidence::Supporting(why);
        }
    }
}

struct Tables {
    boost: AhoCorasick,
    /// Per boost pattern: (kind, points).
    boost_of: Vec<(String, i32)>,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
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

/// Alphabetic tokens of `s`, split at non-letters and at lower-to-upper case changes
/// (`OneDriveUpdater` → `One`, `Drive`, `Updater`).
fn tokens(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut start = None;
    for i in 0..=b.len() {
        let c = b.get(i).copied();
        let letter = c.is_some_and(|c| c.is_ascii_alphabetic());
        let camel = letter
            && i > 0
            && c.is_some_and(|c| c.is_ascii_uppercase())
            && b[i - 1].is_ascii_lowercase();
        if let Some(st) = start {
            if !letter || camel {
                out.push(&s[st..i]);
                start = None;
            }
        }
        if letter && start.is_none() {
            start = Some(i);
        }
    }
    out
}

/// Abbreviations that are read as words although they have no vowel or too few.
const ABBREVIATIONS: &[&str] = &[
    "http", "https", "www", "php", "html", "htm", "dll", "exe", "sys", "tmp", "cmd", "bin", "lib",
    "src", "cfg", "dat", "xml", "png", "jpg", "gif", "bmp", "txt", "db", "pdb", "crt", "ftp",
    "smtp", "tcp", "udp", "dns", "ssl", "tls", "rpc", "cpp", "pst", "msg", "sql", "cnt", "pwd",
    "usr", "str", "std", "dst", "ctx", "mgr", "svc", "srv", "lnk", "ps", "js", "css",
];

/// Whether a token of letters could be a word: a plausible share of vowels, no long runs
/// of consonants or vowels, or a common abbreviation (`http`, `dll`).
fn pronounceable(token: &str) -> bool {
    if ABBREVIATIONS.iter().any(|a| token.eq_ignore_ascii_case(a)) {
        return true;
    }
    if token.len() < 3 {
        return false;
    }
    let vowel = |c: u8| b"aeiouyAEIOUY".contains(&c);
    let vowels = token.bytes().filter(|&c| vowel(c)).count();
    let (mut run_c, mut run_v, mut max_c, mut max_v) = (0, 0, 0, 0);
    for c in token.bytes() {
        if vowel(c) {
            run_v += 1;
            run_c = 0;
        } else {
            run_c += 1;
            run_v = 0;
        }
        max_c = max_c.max(run_c);
        max_v = max_v.max(run_v);
    }
    // Mixed case inside a token (after the camel split) is not how words are written.
    let rest = &token.as_bytes()[1..];
    let mixed = rest.iter().any(u8::is_ascii_uppercase) && rest.iter().any(u8::is_ascii_lowercase);
    !mixed && vowels * 6 >= token.len() && vowels * 4 <= token.len() * 3 && max_c <= 4 && max_v <= 3
}

/// Whether `s` reads like words: at least one pronounceable token of four or more letters,
/// pronounceable tokens holding most of its letters, and mostly letters, digits, spaces and
/// common punctuation. Random-looking text (`xKq7Zp2LmN9w`, base64, code bytes) is not.
pub fn word_like(s: &str) -> bool {
    let toks = tokens(s);
    let letters: usize = toks.iter().map(|t| t.len()).sum();
    let good: usize = toks
        .iter()
        .filter(|t| t.len() <= 2 || pronounceable(t))
        .map(|t| t.len())
        .sum();
    let long = toks.iter().any(|t| t.len() >= 4 && pronounceable(t));
    let plain = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,:;-_/\\%'\"()=&?!".contains(*c))
        .count();
    long && good * 10 >= letters * 7 && plain * 10 >= s.len() * 8
}

/// The number of words in `s` when it is natural-language text (a sentence, a ransom
/// note, protocol prose): four or more pronounceable words separated by spaces, holding most
/// of the text. `None` for anything else.
pub fn natural_words(s: &str) -> Option<usize> {
    let words: Vec<&str> = s
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
        .collect();
    let wordy = words
        .iter()
        .filter(|w| {
            let core = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
            !core.is_empty()
                && core
                    .bytes()
                    .all(|b| b.is_ascii_alphabetic() || b == b'\'' || b == b'-')
                && (core.len() <= 2 && core.bytes().any(|b| b"aeiouyAEIOUY".contains(&b))
                    || tokens(core)
                        .iter()
                        .all(|t| pronounceable(t) || t.len() <= 2))
        })
        .count();
    let spaces = s.bytes().filter(|&b| b == b' ').count();
    (wordy >= 4 && wordy * 10 >= words.len() * 8 && spaces * 12 >= s.len()).then_some(wordy)
}

/// Random-looking text: long enough to judge, mostly letters and digits, no pronounceable
/// run of four or more letters, high character entropy (random bytes, keys, base64 of binary
/// data, machine code).
pub fn random_looking(s: &str) -> bool {
    let alnum = s.bytes().filter(u8::is_ascii_alphanumeric).count();
    s.len() >= 8
        && alnum * 4 >= s.len() * 3
        && !tokens(s).iter().any(|t| t.len() >= 4 && pronounceable(t))
        && char_entropy(s) >= 3.0
}

/// What the goodware index says about one string.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoodwareHits {
    /// Files holding the string as a whole string.
    pub exact: u64,
    /// Largest file count of a goodware string that contains it (exact hits included).
    pub inside: u64,
    /// Of its distinct phrases (runs of words, see [`crate::goodware::phrase_keys`]), how
    /// many the index holds, and how many it has.
    pub phrases: (u32, u32),
}

/// Whether a string is mostly made of phrases the goodware holds: at least half of its
/// phrases. Such a string is library or runtime text packed into a longer string (Rust
/// places string literals end to end, so a message may carry a neighbour's first or last
/// characters), not the sample's own.
pub fn mostly_goodware_phrases((held, total): (u32, u32)) -> bool {
    held >= 1 && held * 2 >= total
}

impl GoodwareHits {
    /// Looks one string up (exact only; see [`Index::containing_counts`] for `inside`).
    pub fn exact(index: &Index, text: &str) -> Self {
        let exact = index.string_count(text.as_bytes());
        GoodwareHits {
            exact,
            inside: exact,
            phrases: index.phrase_counts(text.as_bytes()),
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
    let goodware = hits.map(|h| {
        h.exact
            .max(h.inside)
            .max(u64::from(mostly_goodware_phrases(h.phrases)))
    });
    match hits {
        Some(h) if h.exact > 0 => add(-100, format!("in {} goodware files", h.exact)),
        Some(h) if h.inside > 0 => add(
            -100,
            format!("inside a string of {} goodware files", h.inside),
        ),
        Some(h) if mostly_goodware_phrases(h.phrases) => add(
            -100,
            format!("{} of its {} phrases in goodware", h.phrases.0, h.phrases.1),
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
    } else if let Some(words) = natural_words(t) {
        let points = (2 * words as i32).min(NATURAL_TEXT_MAX);
        add(points, format!("natural-language text ({words} words)"));
    } else if word_like(t) {
        add(4, "word-like".into());
    } else if !network && !c.has("pdb") {
        if random_looking(t) {
            add(-20, "random-looking, not words".into());
        } else {
            add(-8, "not word-like".into());
        }
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
    if c.has("dotnet-us") {
        add(5, ".NET user string (#US)".into());
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
    let evidence = evidence::classify(c);
    match &evidence {
        Evidence::Borrowed(why) => add(-60, format!("{why}, never used")),
        Evidence::Supporting(why) => reasons.push(format!("{why}: supports, never counts alone")),
        Evidence::Unique => {}
    }
    Scored {
        candidate: c.clone(),
        goodware,
        score,
        reasons,
        evidence,
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
        Candidate::for_test(text, tags)
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
        assert!(word_like("SELECT * FROM moz_cookies"));
        assert!(!word_like("[^_]A\\A]"));
        // Random-looking bytes never score as words.
        for r in [
            "xKq7Zp2LmN9w",
            "aGVsbG8gd29ybGQ=",
            "AQAPRQVH1",
            "tQjPhzWvRb",
            "qwhrtzkpsd",
        ] {
            assert!(!word_like(r), "{r}");
        }
        assert!(random_looking("xKq7Zp2LmN9wT4"));
        assert!(!random_looking("OneDriveStandaloneUpdater"));
        assert!(word_like("%TEMP%\\ld_%08lx.db"));
        assert!(word_like("http://192.0.2.77/gate/submit.php"));
        assert!(!random_looking("launchctl load -w %s"));
        let r = score(&cand("xKq7Zp2LmN9wT4vB", &[]), None);
        assert!(
            r.reasons.iter().any(|r| r.starts_with("random-looking")),
            "{r:?}"
        );
        assert!(
            !r.reasons
                .iter()
                .any(|r| r.starts_with("word-like") || r.starts_with("natural")),
            "{r:?}"
        );
    }

    #[test]
    fn strings_mostly_made_of_goodware_phrases_are_never_used() {
        let text = "PyDictattempted to fetch exception but none was set";
        let hits = |phrases| GoodwareHits {
            phrases,
            ..GoodwareHits::default()
        };
        let packed = score(&cand(text, &[]), Some(hits((4, 5))));
        assert!(!packed.usable(), "{packed:?}");
        assert!(
            packed
                .reasons
                .iter()
                .any(|r| r == "4 of its 5 phrases in goodware -100"),
            "{packed:?}"
        );
        let own = score(&cand(text, &[]), Some(hits((2, 5))));
        assert_eq!(own.goodware, Some(0), "{own:?}");
        assert!(mostly_goodware_phrases((1, 2)));
        assert!(!mostly_goodware_phrases((0, 0)));
    }

    #[test]
    fn natural_language_scores_high_and_manifests_do_not() {
        let note = score(
            &cand(
                "All of your files have been encrypted and you will need the key to get them back",
                &[],
            ),
            Some(GoodwareHits::default()),
        );
        assert!(note.strong(), "{note:?}");
        assert!(note
            .reasons
            .iter()
            .any(|r| r.starts_with("natural-language")));
        let manifest = score(
            &cand(
                "<assembly xmlns='urn:schemas-microsoft-com:asm.v1' manifestVersion='1.0'>",
                &[],
            ),
            Some(GoodwareHits::default()),
        );
        assert!(!manifest.usable(), "{manifest:?}");
        assert_eq!(natural_words("GetProcAddress LoadLibraryA"), None);
        assert_eq!(natural_words("a-b c-d e.f g_h"), None);
    }

    #[test]
    fn common_strings_support_and_never_match_alone() {
        let ua = score(&cand("Mozilla/5.0", &[]), Some(GoodwareHits::default()));
        assert!(ua.usable() && !ua.strong(), "{ua:?}");
        let vm = score(&cand("VBoxService.exe", &[]), Some(GoodwareHits::default()));
        assert!(!vm.evidence.is_unique() && !vm.strong());
        let api = score(
            &cand("CheckRemoteDebuggerPresent", &["api"]),
            Some(GoodwareHits::default()),
        );
        assert!(!api.evidence.is_unique() && !api.strong());
        let mut own = score(
            &cand("Global\\MagpieUpdateMutex", &[]),
            Some(GoodwareHits::default()),
        );
        assert!(own.strong(), "{own:?}");
        own.demote("in 2 benign file(s) of the validation set".into());
        assert!(!own.strong() && own.usable());
    }
}
