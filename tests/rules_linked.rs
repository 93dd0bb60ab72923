//! Strings of statically linked third-party crates are never a rule's unique evidence
//! (issue 15): two unrelated Rust-shaped programs that link the same crate (`fancy-regex`,
//! its cargo-registry source paths beside its messages in `.rdata`, as rustc lays them out)
//! must not match each other's rules through that crate's messages; the program that *is*
//! the crate keeps them as its own. Hand-built PE files.

use spoor::goodware;
use spoor::rules::{self, RuleOptions};
use spoor::sample::{triage, Triage};

/// A PE32+ with one initialised-data section `.rdata` holding `body`.
fn pe_with_rdata(body: &[u8]) -> Vec<u8> {
    super::junk_iocs::pe_with_rdata_as(body, true)
}

const REGISTRY: &str =
    "C:\\Users\\runneradmin\\.cargo\\registry\\src\\index.crates.io-6f17d22bba15001f\\";

/// fancy-regex's part of `.rdata`: its source paths with its messages between them.
fn fancy_regex_part() -> Vec<String> {
    let path = |file: &str| format!("{REGISTRY}fancy-regex-0.11.0\\src\\{file}");
    vec![
        path("lib.rs"),
        "Opening parenthesis without closing parenthesis".into(),
        "Backslash without following character".into(),
        "Invalid codepoint for hex or unicode escape".into(),
        "Target of repeat operator is invalid".into(),
        path("error.rs"),
        "Look-behind assertion without constant size".into(),
        "Numbered backref/call not allowed because named group was used, use a named backref instead".into(),
        "Max stack size exceeded for backtracking".into(),
        "Max limit for backtracking count exceeded".into(),
        path("parse.rs"),
        "expected conditional to be a backreference or at least an expression for when the condition is true".into(),
        "\\p must be followed by a unicode name".into(),
        path("compile.rs"),
        "mutating instruction other than Repeat".into(),
        "mutating instruction other than Split".into(),
        format!("{REGISTRY}bit-set-0.5.3\\src\\lib.rs"),
    ]
}

/// The program's own part: its source path and its own messages.
fn own_part(words: &[&str]) -> Vec<String> {
    let mut out = vec!["__Nonexhaustivesrc\\lib.rs".to_string()];
    out.extend(words.iter().map(|w| w.to_string()));
    out
}

/// A Rust-shaped program: the standard library's path, its own part, then fancy-regex's part
/// (NUL-padded to 16 bytes, as the linker aligns literals).
fn program(name: &str, own: &[&str]) -> (Triage, Vec<u8>) {
    let mut body = Vec::new();
    let mut put = |s: &str| {
        body.extend_from_slice(s.as_bytes());
        body.push(0);
        while body.len() % 16 != 0 {
            body.push(0);
        }
    };
    put("/rustc/82e1608dfa6e0b5569232559e3d385fea5a93112\\library\\core\\src\\fmt\\mod.rs");
    put("a Display implementation returned an error unexpectedly");
    for s in own_part(own) {
        put(&s);
    }
    for s in fancy_regex_part() {
        put(&s);
    }
    let data = pe_with_rdata(&body);
    (triage(name, &data), data)
}

const TOKENIZER_OWN: &[&str] = &[
    "Encoder and decoder must be of equal length; maybe you had duplicate token indices in your encoder?",
    "encode_with_unstable($self, text, allowed_special)",
];
const OTHER_OWN: &[&str] = &[
    "Could not find a tokenizer.json file in the given directory",
    "Truncation error: second sequence not provided",
];

fn options() -> RuleOptions {
    RuleOptions {
        date: "2026-12-04".into(),
        ..RuleOptions::default()
    }
}

fn matching(source: &str, data: &[u8]) -> bool {
    let rules = yara_x::compile(source).expect("rule compiles");
    let mut scanner = yara_x::Scanner::new(&rules);
    scanner
        .scan(data)
        .expect("scan")
        .matching_rules()
        .next()
        .is_some()
}

/// The `$x`/`$s` lines of a rule (strings counted toward its condition).
fn counted_lines(source: &str) -> Vec<&str> {
    source
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("$x") || l.starts_with("$s"))
        .collect()
}

#[test]
fn a_linked_crates_messages_support_but_never_count() {
    let (tk, tk_data) = program("_tiktoken.cp311-win_amd64.pyd", TOKENIZER_OWN);
    let (_, other_data) = program("tokenizers.cp311-win_amd64.pyd", OTHER_OWN);
    let candidates = rules::candidates::from_triage(&tk);
    let tagged = |text: &str| {
        candidates
            .iter()
            .find(|c| c.text == text)
            .unwrap_or_else(|| panic!("{text:?} is not a candidate"))
    };
    assert!(tagged("Max stack size exceeded for backtracking").has("linked:fancy-regex"));
    // Between fancy-regex's last path and bit-set's: a linked crate's (the nearer path's).
    let between = tagged("mutating instruction other than Split");
    assert!(between.has("linked:bit-set"), "{:?}", between.tags);
    assert!(!tagged(TOKENIZER_OWN[0])
        .tags
        .iter()
        .any(|t| t.starts_with("linked:")));

    let index = goodware::default_index().expect("shipped index");
    let g = rules::generate(std::slice::from_ref(&tk), Some(&index), &options());
    let rule = g
        .rules
        .first()
        .unwrap_or_else(|| panic!("{:?}", g.warnings));
    let counted = counted_lines(&rule.source);
    assert!(
        counted.iter().any(|l| l.contains("Encoder and decoder")),
        "{}",
        rule.source
    );
    for s in fancy_regex_part() {
        assert!(
            !counted.iter().any(|l| l.contains(s.as_str())),
            "{s:?} counts in\n{}",
            rule.source
        );
    }
    // Where the crate's strings are used, the comment says why they only support.
    for line in rule.source.lines().filter(|l| l.contains("backtracking")) {
        assert!(
            line.contains("statically linked crate fancy-regex"),
            "{line}"
        );
    }
    assert!(matching(&rule.source, &tk_data), "{}", rule.source);
    assert!(
        !matching(&rule.source, &other_data),
        "the rule matches another program through fancy-regex:\n{}",
        rule.source
    );
}

#[test]
fn the_crate_the_sample_is_keeps_its_strings() {
    // A program named after the crate: its registry paths are its own code.
    let (t, data) = program("fancy_regex.cp311-win_amd64.pyd", &[]);
    let candidates = rules::candidates::from_triage(&t);
    assert!(
        candidates
            .iter()
            .all(|c| !c.tags.iter().any(|t| t.starts_with("linked:"))),
        "{:?}",
        candidates
            .iter()
            .filter(|c| c.tags.iter().any(|t| t.starts_with("linked:")))
            .map(|c| &c.text)
            .collect::<Vec<_>>()
    );
    let index = goodware::default_index().expect("shipped index");
    let g = rules::generate(std::slice::from_ref(&t), Some(&index), &options());
    let rule = g
        .rules
        .first()
        .unwrap_or_else(|| panic!("{:?}", g.warnings));
    assert!(
        counted_lines(&rule.source)
            .iter()
            .any(|l| l.contains("backtracking")),
        "{}",
        rule.source
    );
    assert!(matching(&rule.source, &data));
}
