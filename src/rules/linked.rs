//! Strings of statically linked third-party libraries, recognised by where they sit: a Rust
//! binary keeps the source path of each function that can panic next to that crate's other
//! string literals in its read-only data. A path under the cargo registry
//! (`.../registry/src/index.crates.io-HASH/fancy-regex-0.11.0/src/lib.rs`) names a crate the
//! program links; a relative or local path (`src\lib.rs`) is the program's own code. A string
//! whose nearest source paths on both sides (in the same section, within [`WINDOW`] bytes) are
//! third-party paths is that crate's: every program linking the crate holds it, so it may
//! support a rule but never counts as the sample's unique evidence. The crate the sample itself
//! is (its file name, `tokenizers.cp311-win_amd64.pyd` for the `tokenizers` crate) stays the
//! sample's own. Where the paths sit is read from the triage report's strings; the markers are
//! `data/linked-libraries.txt`.

use crate::sample::Triage;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../../data/linked-libraries.txt");

/// Farthest a string may sit from a source path, in bytes, and still be judged by it.
pub const WINDOW: u64 = 4096;

/// What a marker of `data/linked-libraries.txt` says about a path holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    /// A registry checkout: one registry directory, then `NAME-VERSION`.
    Registry,
    /// A git dependency: `NAME-HASH`.
    Checkout,
    /// A vendored crate: `NAME` or `NAME-VERSION`, then `src/`.
    Vendored,
    /// The toolchain's own library: neither the program's nor a third party's.
    Neutral,
    /// The program's own code (when no other marker is in the path).
    Own,
}

/// One marker line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// What it says.
    pub kind: MarkerKind,
    /// The text, with `\` written `/`.
    pub text: String,
}

/// Parses the marker table; bad lines are returned (line number and text) and skipped.
pub fn parse(text: &str) -> (Vec<Marker>, Vec<(usize, String)>) {
    let mut markers = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let (kind, value) = t.split_once(' ').unwrap_or((t, ""));
        let kind = match kind {
            "registry" => MarkerKind::Registry,
            "checkout" => MarkerKind::Checkout,
            "vendored" => MarkerKind::Vendored,
            "neutral" => MarkerKind::Neutral,
            "own" => MarkerKind::Own,
            _ => {
                errors.push((i + 1, line.to_string()));
                continue;
            }
        };
        let value = value.trim();
        if value.is_empty() {
            errors.push((i + 1, line.to_string()));
            continue;
        }
        markers.push(Marker {
            kind,
            text: value.replace('\\', "/"),
        });
    }
    (markers, errors)
}

fn markers() -> &'static [Marker] {
    static M: OnceLock<Vec<Marker>> = OnceLock::new();
    M.get_or_init(|| parse(TABLE).0)
}

/// Whose code a source path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The program's own.
    Own,
    /// A third-party crate (its name as the path writes it).
    Crate(String),
    /// The toolchain's library.
    Neutral,
}

fn path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-./+@~".contains(&b)
}

/// The end of the path token that starts at `from` (`\` already written `/`).
fn token_end(text: &[u8], from: usize) -> usize {
    let mut i = from;
    while text.get(i).is_some_and(|&b| path_char(b)) {
        i += 1;
    }
    i
}

/// Whether a Rust source file name (`.rs`) follows in `text[from..to]`.
fn names_rust_source(text: &[u8], from: usize, to: usize) -> bool {
    text.get(from..to)
        .is_some_and(|t| t.windows(3).any(|w| w == b".rs"))
}

/// The next path component at `from`: up to `/` (or the token's end).
fn component(text: &[u8], from: usize, end: usize) -> Option<&str> {
    let rest = text.get(from..end)?;
    let len = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    std::str::from_utf8(rest.get(..len)?)
        .ok()
        .filter(|c| !c.is_empty())
}

/// `NAME` of `NAME-VERSION` (the version starts with a digit and holds a dot).
fn strip_version(dir: &str) -> &str {
    for (i, _) in dir.match_indices('-') {
        let rest = &dir[i + 1..];
        if rest.starts_with(|c: char| c.is_ascii_digit()) && rest.contains('.') {
            return &dir[..i];
        }
    }
    dir
}

/// `NAME` of `NAME-HASH` (a hex hash of 8 or more digits).
fn strip_hash(dir: &str) -> &str {
    match dir.rsplit_once('-') {
        Some((name, hash))
            if !name.is_empty()
                && hash.len() >= 8
                && hash.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            name
        }
        _ => dir,
    }
}

/// The Rust source paths in one string: (byte position of the marker, whose code it is).
pub fn paths_in(text: &str) -> Vec<(usize, Owner)> {
    // Cheap rejection: every path names a `.rs` file.
    if !text.contains(".rs") {
        return Vec::new();
    }
    let norm_str = text.replace('\\', "/");
    let norm = norm_str.as_bytes();
    let mut found: Vec<(usize, usize, Owner)> = Vec::new();
    for m in markers().iter().filter(|m| m.kind != MarkerKind::Own) {
        for (at, _) in norm_str.match_indices(m.text.as_str()) {
            let after = at + m.text.len();
            let end = token_end(norm, after);
            if !names_rust_source(norm, after, end) {
                continue;
            }
            let owner = match m.kind {
                MarkerKind::Registry => {
                    let registry = component(norm, after, end);
                    let next = after + registry.map_or(0, |r| r.len() + 1);
                    component(norm, next, end)
                        .map(|dir| Owner::Crate(strip_version(dir).to_string()))
                }
                MarkerKind::Checkout => {
                    component(norm, after, end).map(|dir| Owner::Crate(strip_hash(dir).to_string()))
                }
                MarkerKind::Vendored => component(norm, after, end).and_then(|dir| {
                    let src = after + dir.len();
                    norm.get(src..)
                        .is_some_and(|r| r.starts_with(b"/src/"))
                        .then(|| Owner::Crate(strip_version(dir).to_string()))
                }),
                MarkerKind::Neutral | MarkerKind::Own => Some(Owner::Neutral),
            };
            if let Some(owner) = owner {
                found.push((at, end, owner));
            }
        }
    }
    for m in markers().iter().filter(|m| m.kind == MarkerKind::Own) {
        for (at, _) in norm_str.match_indices(m.text.as_str()) {
            let inside_other = found.iter().any(|&(s, e, _)| (s..e).contains(&at));
            let end = token_end(norm, at + m.text.len());
            if !inside_other && names_rust_source(norm, at, end) {
                found.push((at, end, Owner::Own));
            }
        }
    }
    found.sort_by_key(|f| f.0);
    found.into_iter().map(|(at, _, o)| (at, o)).collect()
}

/// A crate or file name in one spelling: ASCII lower case, `-` as `_`.
fn normalised(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// The names the sample's own crate may have, from its file name:
/// `_tiktoken.cp311-win_amd64.pyd` → `tiktoken`; `libfoo.so` → `libfoo`, `foo`.
pub fn own_names(sample_name: &str) -> Vec<String> {
    let base = sample_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(sample_name);
    let stem = base.split('.').next().unwrap_or(base);
    let stem = normalised(stem.trim_start_matches('_'));
    let mut names = vec![stem.clone()];
    if let Some(rest) = stem.strip_prefix("lib").filter(|r| !r.is_empty()) {
        names.push(rest.to_string());
    }
    names.retain(|n| !n.is_empty());
    names
}

/// The source paths of one sample, by section, and which crate a string sighting belongs to.
#[derive(Debug, Default)]
pub struct Neighbourhoods {
    /// Section → (offset, crate name or `None` for the sample's own code), sorted by offset.
    anchors: BTreeMap<Option<String>, Vec<(u64, Option<String>)>>,
}

impl Neighbourhoods {
    /// The source paths among a triage report's strings. Paths of a crate named like the
    /// sample count as its own code.
    pub fn of(t: &Triage) -> Self {
        let own = own_names(&t.name);
        let mut anchors: BTreeMap<Option<String>, Vec<(u64, Option<String>)>> = BTreeMap::new();
        for s in &t.strings {
            if s.encoding != crate::ioc::Encoding::Ascii {
                continue;
            }
            for (at, owner) in paths_in(&s.value) {
                let krate = match owner {
                    Owner::Neutral => continue,
                    Owner::Own => None,
                    Owner::Crate(name) if own.contains(&normalised(&name)) => None,
                    Owner::Crate(name) => Some(name),
                };
                anchors
                    .entry(s.section.clone())
                    .or_default()
                    .push((s.offset.saturating_add(at as u64), krate));
            }
        }
        for list in anchors.values_mut() {
            list.sort();
        }
        Neighbourhoods { anchors }
    }

    /// Whether the sample holds no source path at all.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The third-party crate a string at `offset` of `section` belongs to: the nearest source
    /// path before it and the nearest after it (each within [`WINDOW`]; at least one) are both
    /// paths of third-party crates. The nearer one's name is returned.
    pub fn crate_of(&self, section: Option<&str>, offset: u64) -> Option<&str> {
        let list = self.anchors.get(&section.map(str::to_string))?;
        let split = list.partition_point(|&(o, _)| o < offset);
        let before = split
            .checked_sub(1)
            .and_then(|i| list.get(i))
            .filter(|(o, _)| offset - o <= WINDOW);
        let after = list.get(split).filter(|(o, _)| o - offset <= WINDOW);
        match (before, after) {
            (None, None) => None,
            (Some((_, None)), _) | (_, Some((_, None))) => None,
            (Some((ob, Some(b))), Some((oa, Some(a)))) => {
                Some(if offset - ob <= oa - offset { b } else { a })
            }
            (Some((_, Some(k))), None) | (None, Some((_, Some(k)))) => Some(k),
        }
        .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses() {
        let (m, errors) = parse(TABLE);
        assert!(errors.is_empty(), "{errors:?}");
        for kind in [
            MarkerKind::Registry,
            MarkerKind::Checkout,
            MarkerKind::Vendored,
            MarkerKind::Neutral,
            MarkerKind::Own,
        ] {
            assert!(m.iter().any(|m| m.kind == kind), "{kind:?}");
        }
        let (m, errors) = parse("registry a/b/\nfuzzy x\nown\n");
        assert_eq!(m.len(), 1);
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn source_paths_say_whose_code_they_are() {
        let crate_ = |n: &str| Owner::Crate(n.to_string());
        let cases: &[(&str, &[Owner])] = &[
            (
                "C:\\Users\\runneradmin\\.cargo\\registry\\src\\index.crates.io-6f17d22bba15001f\\fancy-regex-0.11.0\\src\\lib.rs",
                &[crate_("fancy-regex")],
            ),
            (
                "/home/runner/.cargo/registry/src/github.com-1ecc6299db9ec823/regex-automata-0.4.5/src/util/pool.rs",
                &[crate_("regex-automata")],
            ),
            // Rust packs literals end to end: a message before, another path after.
            (
                "called `Option::unwrap()` on a `None` valueC:\\Users\\x\\.cargo\\registry\\src\\index.crates.io-6f17d22bba15001f\\pyo3-0.20.2\\src\\gil.rs/rustc/82e1608dfa6e0b5569232559e3d385fea5a93112\\library\\core\\src\\fmt\\mod.rs",
                &[crate_("pyo3"), Owner::Neutral, Owner::Neutral],
            ),
            (
                "/home/dev/.cargo/git/checkouts/tokio-377c595163f99a10/1a2b3c4/tokio/src/runtime/mod.rs",
                &[crate_("tokio")],
            ),
            ("/build/app/vendor/memchr-2.7.1/src/memchr.rs", &[crate_("memchr")]),
            ("__Nonexhaustivesrc\\lib.rs", &[Owner::Own]),
            // The standard library's own vendored crates are the toolchain's.
            ("/rust/deps\\hashbrown-0.14.2\\src\\raw\\mod.rs", &[Owner::Neutral]),
            ("/home/dev/implant/src/main.rs", &[Owner::Own]),
            (
                "/rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/std/src/io/mod.rs",
                &[Owner::Neutral, Owner::Neutral],
            ),
        ];
        for (text, want) in cases {
            let got: Vec<Owner> = paths_in(text).into_iter().map(|p| p.1).collect();
            assert_eq!(got.as_slice(), *want, "{text}");
        }
        for text in [
            "<script src/app.js>",
            "Encoder and decoder must be of equal length",
            "registry/src/ without a source file",
            "C:\\src\\project\\README.md",
        ] {
            assert!(paths_in(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn crate_names_lose_versions_and_hashes_only() {
        assert_eq!(strip_version("fancy-regex-0.11.0"), "fancy-regex");
        assert_eq!(
            strip_version("unicode-normalization-alignments-0.1.12"),
            "unicode-normalization-alignments"
        );
        assert_eq!(strip_version("bit-set"), "bit-set");
        assert_eq!(strip_hash("tokio-377c595163f99a10"), "tokio");
        assert_eq!(strip_hash("rust-s3"), "rust-s3");
    }

    #[test]
    fn the_samples_own_crate_is_named_by_its_file() {
        assert_eq!(
            own_names("a/b/_tiktoken.cp311-win_amd64.pyd"),
            vec!["tiktoken"]
        );
        assert_eq!(
            own_names("C:\\x\\tokenizers.cp311-win32.pyd"),
            vec!["tokenizers"]
        );
        assert_eq!(
            own_names("libfancy-regex.so"),
            vec!["libfancy_regex", "fancy_regex"]
        );
    }

    fn hoods(anchors: &[(u64, Option<&str>)]) -> Neighbourhoods {
        let mut n = Neighbourhoods::default();
        n.anchors.insert(
            Some(".rdata".into()),
            anchors
                .iter()
                .map(|(o, k)| (*o, k.map(str::to_string)))
                .collect(),
        );
        n
    }

    #[test]
    fn strings_between_third_party_paths_are_the_crates() {
        let n = hoods(&[
            (0x1000, Some("pyo3")),
            (0x1400, None),
            (0x2000, Some("fancy-regex")),
            (0x2400, Some("fancy-regex")),
            (0x2800, Some("bit-vec")),
        ]);
        let at = |o| n.crate_of(Some(".rdata"), o);
        // Between two paths of one crate, or of two crates.
        assert_eq!(at(0x2100), Some("fancy-regex"));
        assert_eq!(at(0x2700), Some("bit-vec"));
        // Next to the program's own path: its own.
        assert_eq!(at(0x1200), None);
        assert_eq!(at(0x1800), None);
        // After the last path, within the window; past the window, nothing is known.
        assert_eq!(at(0x2900), Some("bit-vec"));
        assert_eq!(at(0x2800 + WINDOW + 1), None);
        // Another section is judged by its own paths.
        assert_eq!(n.crate_of(Some(".data"), 0x2100), None);
    }
}
