//! Knowledge tables embedded from `data/` at build time.
//!
//! The tables are plain text so analysts can read and extend them (see `data/README.md`);
//! this module only parses them. One entry per line, `#` starts a comment.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Default allowlist (`type value` per line).
pub const ALLOWLIST: &str = include_str!("../data/allowlist.txt");
const AMBIGUOUS_TLDS: &str = include_str!("../data/ambiguous-tlds.txt");
const DETECTION_PREFIXES: &str = include_str!("../data/detection-prefixes.txt");
const HASH_CONTEXT_WORDS: &str = include_str!("../data/hash-context-words.txt");
const UNIX_PATH_ROOTS: &str = include_str!("../data/unix-path-roots.txt");
const URL_SCHEMES: &str = include_str!("../data/url-schemes.txt");
const VERSION_WORDS: &str = include_str!("../data/version-words.txt");

/// The entries of a table: trimmed lines without comments or blanks.
pub fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
}

fn lower_set(text: &str) -> HashSet<String> {
    entries(text).map(|e| e.to_ascii_lowercase()).collect()
}

macro_rules! table {
    ($(#[$doc:meta])* $name:ident, $src:expr) => {
        $(#[$doc])*
        pub fn $name() -> &'static HashSet<String> {
            static SET: OnceLock<HashSet<String>> = OnceLock::new();
            SET.get_or_init(|| lower_set($src))
        }
    };
}

table!(
    /// TLDs that double as file extensions or identifiers.
    ambiguous_tlds,
    AMBIGUOUS_TLDS
);
table!(
    /// First labels of antivirus detection names.
    detection_prefixes,
    DETECTION_PREFIXES
);
table!(
    /// Words that mark a following hex run as a thumbprint, key or token.
    hash_context_words,
    HASH_CONTEXT_WORDS
);
table!(
    /// Top-level directories of reportable Unix paths (lower case).
    unix_path_roots,
    UNIX_PATH_ROOTS
);
table!(
    /// Extracted URL schemes.
    url_schemes,
    URL_SCHEMES
);
table!(
    /// Words that make a following dotted quad a version.
    version_words,
    VERSION_WORDS
);
