//! Knowledge tables embedded from `data/` at build time.
//!
//! The tables are plain text so analysts can read and extend them (see `data/README.md`);
//! this module only parses them. One entry per line, `#` starts a comment.

use rustc_hash::FxHashSet;
use std::sync::OnceLock;

/// Default allowlist (`type value` per line).
pub const ALLOWLIST: &str = include_str!("../data/allowlist.txt");
const AMBIGUOUS_TLDS: &str = include_str!("../data/ambiguous-tlds.txt");
const CODE_IDENTIFIERS: &str = include_str!("../data/code-identifiers.txt");
const HOST_FIELD_WORDS: &str = include_str!("../data/host-field-words.txt");
const REGISTRY_ROOTS: &str = include_str!("../data/registry-roots.txt");
const DETECTION_PREFIXES: &str = include_str!("../data/detection-prefixes.txt");
const HASH_CONTEXT_WORDS: &str = include_str!("../data/hash-context-words.txt");
const UNIX_PATH_ROOTS: &str = include_str!("../data/unix-path-roots.txt");
const URL_SCHEMES: &str = include_str!("../data/url-schemes.txt");
const VERSION_WORDS: &str = include_str!("../data/version-words.txt");
const REGISTRY_SPACED_NAMES: &str = include_str!("../data/registry-spaced-names.txt");
const OID_PREFIXES: &str = include_str!("../data/oid-prefixes.txt");
const NOT_DOMAINS: &str = include_str!("../data/not-domains.txt");
const HOST_CONTEXT_WORDS: &str = include_str!("../data/host-context-words.txt");
const FILE_CONTEXT_WORDS: &str = include_str!("../data/file-context-words.txt");
const MEMBER_TLDS: &str = include_str!("../data/member-tlds.txt");
const GLUED_HOSTS: &str = include_str!("../data/glued-hosts.txt");
const PROTOCOL_NAME_DOMAINS: &str = include_str!("../data/protocol-name-domains.txt");
const NAME_SHAPES: &str = include_str!("../data/name-shapes.txt");
const EMBEDDED_TABLES: &str = include_str!("../data/embedded-tables.txt");

/// The entries of a table: trimmed lines without comments or blanks.
pub fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
}

/// [`entries`] with the 1-based line number of each, for tables whose parser names the line
/// of an error.
pub fn numbered_entries(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(n, l)| (n + 1, l.split('#').next().unwrap_or("").trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// The entries of a table's `[name]` block: from its header to the next header.
pub fn section<'a>(text: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> {
    let mut inside = false;
    entries(text).filter(
        move |e| match e.strip_prefix('[').and_then(|e| e.strip_suffix(']')) {
            Some(header) => {
                inside = header == name;
                false
            }
            None => inside,
        },
    )
}

/// A set of words matched ASCII-case-insensitively, without allocating.
#[derive(Debug, Default)]
pub struct WordSet {
    words: FxHashSet<Box<[u8]>>,
    longest: usize,
    /// One bit per (first byte, last byte, length) signature of the words, lower-cased
    /// (see [`signature`]): most words looked up and not in the set are turned away by
    /// it, without hashing.
    filter: [u64; 4],
}

/// The bit of `filter` a word (lower-cased, not empty) sets.
fn signature(first: u8, last: u8, len: usize) -> usize {
    (usize::from(first) * 31 + usize::from(last) * 7 + len) & 255
}

impl WordSet {
    /// Builds the set from a table's text.
    pub fn parse(text: &str) -> Self {
        Self::from_entries(entries(text))
    }

    /// Builds the set from entries.
    pub fn from_entries<'a>(entries: impl Iterator<Item = &'a str>) -> Self {
        let words: FxHashSet<Box<[u8]>> = entries
            .map(|e| e.to_ascii_lowercase().into_bytes().into_boxed_slice())
            .collect();
        let longest = words.iter().map(|w| w.len()).max().unwrap_or(0);
        let mut filter = [0u64; 4];
        for w in &words {
            if let (Some(&first), Some(&last)) = (w.first(), w.last()) {
                let bit = signature(first, last, w.len());
                filter[bit / 64] |= 1 << (bit % 64);
            }
        }
        WordSet {
            words,
            longest,
            filter,
        }
    }

    /// The length of the longest word, in bytes.
    pub fn longest(&self) -> usize {
        self.longest
    }

    /// Whether `word` is in the set, ignoring ASCII case.
    pub fn contains(&self, word: impl AsRef<[u8]>) -> bool {
        let word = word.as_ref();
        let (Some(first), Some(last)) = (word.first(), word.last()) else {
            return false;
        };
        if word.len() > self.longest || word.len() > 64 {
            return false;
        }
        let bit = signature(
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase(),
            word.len(),
        );
        if self.filter[bit / 64] & (1 << (bit % 64)) == 0 {
            return false;
        }
        let mut lower = [0u8; 64];
        for (d, s) in lower.iter_mut().zip(word) {
            *d = s.to_ascii_lowercase();
        }
        self.words.contains(&lower[..word.len()])
    }
}

macro_rules! table {
    ($(#[$doc:meta])* $name:ident, $src:expr) => {
        $(#[$doc])*
        pub fn $name() -> &'static WordSet {
            static SET: OnceLock<WordSet> = OnceLock::new();
            SET.get_or_init(|| WordSet::parse($src))
        }
    };
    ($(#[$doc:meta])* $name:ident, $src:expr, $section:literal) => {
        $(#[$doc])*
        pub fn $name() -> &'static WordSet {
            static SET: OnceLock<WordSet> = OnceLock::new();
            SET.get_or_init(|| WordSet::from_entries(section($src, $section)))
        }
    };
}

table!(
    /// TLDs that double as file extensions or identifiers.
    ambiguous_tlds,
    AMBIGUOUS_TLDS
);
table!(
    /// First labels of two-label code identifiers (`WScript.Shell`).
    code_identifiers,
    CODE_IDENTIFIERS
);
table!(
    /// Field names that introduce a host right after a colon (`DNS:host`).
    host_field_words,
    HOST_FIELD_WORDS
);
table!(
    /// First components of registry keys written without a hive (`Software\x`).
    registry_roots,
    REGISTRY_ROOTS
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

table!(
    /// Product names written like domains (`ASP.NET`).
    not_domains,
    NOT_DOMAINS
);
table!(
    /// Words that make a nearby two-label name a host (`C2 domain dc0.cc`).
    host_context_words,
    HOST_CONTEXT_WORDS
);
table!(
    /// Words that make a nearby name a file name (`attachment invoice[.]mov`).
    file_context_words,
    FILE_CONTEXT_WORDS
);

table!(
    /// TLDs that are also method names: after a class name, a member access
    /// (`CParser.read`).
    member_tlds,
    MEMBER_TLDS
);

table!(
    /// Domains under which protocols name their extensions (`name@openssh.com`).
    protocol_name_domains,
    PROTOCOL_NAME_DOMAINS
);

table!(
    /// File-name endings at which a URL's last segment stops before a capitalised word
    /// glued to it (`….pdfChecks`).
    glued_word_endings,
    NAME_SHAPES,
    "glued-word-endings"
);
table!(
    /// Folder names that make a path Rust's (`.cargo`, `crates`).
    cargo_folders,
    NAME_SHAPES,
    "cargo-folders"
);
table!(
    /// Endings starting with `rs` that name files of their own (`rst`, `rsrc`).
    rs_like_endings,
    NAME_SHAPES,
    "rs-like-endings"
);
table!(
    /// TLDs under which hosts are written with capitals (`iCloud.com`).
    brand_tlds,
    NAME_SHAPES,
    "brand-tlds"
);
table!(
    /// Unix files at which a path stops before the next string of a binary glued to it
    /// (`/etc/resolv.conf`).
    unix_files,
    NAME_SHAPES,
    "unix-files"
);
/// The first folders of [`unix_files`] (`etc`, `dev`), so that a path is looked up only
/// where one of them starts.
pub fn unix_file_roots() -> &'static WordSet {
    static SET: OnceLock<WordSet> = OnceLock::new();
    SET.get_or_init(|| {
        WordSet::from_entries(
            section(NAME_SHAPES, "unix-files")
                .filter_map(|f| f.strip_prefix('/')?.split('/').next()),
        )
    })
}
table!(
    /// Folders of a home directory (`~/Desktop`).
    home_folders,
    NAME_SHAPES,
    "home-folders"
);
table!(
    /// Stems of build files whose names end in a TLD (`Makefile.am`).
    build_file_stems,
    NAME_SHAPES,
    "build-file-stems"
);
table!(
    /// Endings that templates add `.in` to (`config.h.in`).
    template_endings,
    NAME_SHAPES,
    "template-endings"
);

/// File endings of downloads listed with their digests (`.tar.gz`, `.whl`), each with its
/// leading dot, lower case, longest first.
pub fn download_endings() -> &'static [Box<[u8]>] {
    static V: OnceLock<Vec<Box<[u8]>>> = OnceLock::new();
    V.get_or_init(|| {
        let dotted: String = section(NAME_SHAPES, "download-endings")
            .map(|e| format!(".{e}\n"))
            .collect();
        phrases(&dotted)
    })
}

/// A data table that libraries embed whole (`data/embedded-tables.txt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedTable {
    /// Its name.
    pub name: String,
    /// Its length in bytes.
    pub len: u64,
    /// Its first bytes.
    pub start: Vec<u8>,
}

/// The tables of `data/embedded-tables.txt` (entries that do not parse are left out; a
/// unit test reads them all).
pub fn embedded_tables() -> &'static [EmbeddedTable] {
    static V: OnceLock<Vec<EmbeddedTable>> = OnceLock::new();
    V.get_or_init(|| {
        entries(EMBEDDED_TABLES)
            .filter_map(|e| {
                let mut parts = e.split_whitespace();
                let (name, len, start) = (parts.next()?, parts.next()?, parts.next()?);
                Some(EmbeddedTable {
                    name: name.to_string(),
                    len: len.parse().ok()?,
                    start: start.as_bytes().to_vec(),
                })
                .filter(|t| t.start.len() >= 32 && t.len >= t.start.len() as u64)
            })
            .collect()
    })
}

/// Lower-case entries of a table, longest first, for prefix matching.
fn phrases(text: &str) -> Vec<Box<[u8]>> {
    let mut v: Vec<Box<[u8]>> = entries(text)
        .map(|e| e.to_ascii_lowercase().into_bytes().into_boxed_slice())
        .collect();
    v.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    v
}

/// Registry key names that hold blanks (`Image File Execution Options`), lower case,
/// longest first.
pub fn registry_spaced_names() -> &'static [Box<[u8]>] {
    static V: OnceLock<Vec<Box<[u8]>>> = OnceLock::new();
    V.get_or_init(|| phrases(REGISTRY_SPACED_NAMES))
}

/// Dotted-quad OIDs and OID prefixes (ending in `.`), longest first.
pub fn oid_prefixes() -> &'static [Box<[u8]>] {
    static V: OnceLock<Vec<Box<[u8]>>> = OnceLock::new();
    V.get_or_init(|| phrases(OID_PREFIXES))
}

/// Hosts of package paths that binaries keep glued to the string before them
/// (`ZYgithub.com/...`), lower case, longest first.
pub fn glued_hosts() -> &'static [Box<[u8]>] {
    static V: OnceLock<Vec<Box<[u8]>>> = OnceLock::new();
    V.get_or_init(|| phrases(GLUED_HOSTS))
}

/// API behaviour categories for triage (`[category]` headers, one API per line).
pub const API_CATEGORIES: &str = include_str!("../data/api-categories.txt");
/// ATT&CK rules for triage: import and string combinations → technique.
pub const ATTACK_RULES: &str = include_str!("../data/attack-rules.txt");
/// Words of benign code inside which a string pattern of the ATT&CK rules does not count.
pub const ATTACK_STRING_EXCEPTIONS: &str = include_str!("../data/attack-string-exceptions.txt");
/// ATT&CK technique ids and names (`T1055 Process Injection`).
pub const ATTACK_TECHNIQUES: &str = include_str!("../data/attack-techniques.txt");
/// Packer section names (`UPX0 UPX`).
pub const PACKERS: &str = include_str!("../data/packers.txt");
/// ATT&CK tactics per technique, and the tactic order (`data/attack-tactics.txt`).
pub const ATTACK_TACTICS: &str = include_str!("../data/attack-tactics.txt");
/// One-line explanations of the API categories (`data/category-explanations.txt`).
pub const CATEGORY_EXPLANATIONS: &str = include_str!("../data/category-explanations.txt");
/// Which strings name a mutex: namespace prefixes, words, mutex APIs
/// (`data/mutex-names.txt`).
pub const MUTEX_NAMES: &str = include_str!("../data/mutex-names.txt");
/// What the report lists as strings of interest: `[kind]` blocks of substrings
/// (`data/strings-of-interest.txt`).
pub const STRINGS_OF_INTEREST: &str = include_str!("../data/strings-of-interest.txt");
/// Where remediation items point: drop locations, system files, autostart keys
/// (`data/remediation.txt`).
pub const REMEDIATION: &str = include_str!("../data/remediation.txt");
/// Weights of the evidence a verdict is made of (`data/verdict-weights.txt`).
pub const VERDICT_WEIGHTS: &str = include_str!("../data/verdict-weights.txt");
/// Co-occurring behaviours → malware class hints (`data/class-hints.txt`).
pub const CLASS_HINTS: &str = include_str!("../data/class-hints.txt");

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature filter turns away only words that are not in the set: every word
    /// of every table is found, in any case, and near misses are not.
    #[test]
    fn word_sets_find_every_word_of_their_table() {
        let set = WordSet::parse("# comment\nread\nseek\nmap\nbuild\nx\n");
        for word in ["read", "SEEK", "Map", "build", "x", "X"] {
            assert!(set.contains(word), "{word}");
        }
        for word in ["", "com", "reads", "rea", "mapx", "xx", "builds", "comment"] {
            assert!(!set.contains(word), "{word}");
        }
        for set in [
            member_tlds(),
            ambiguous_tlds(),
            not_domains(),
            code_identifiers(),
            glued_word_endings(),
            brand_tlds(),
            template_endings(),
            unix_files(),
        ] {
            for word in &set.words {
                assert!(set.contains(word), "{word:?}");
                assert!(set.contains(word.to_ascii_uppercase()), "{word:?}");
            }
        }
    }

    #[test]
    fn embedded_tables_are_all_read() {
        assert_eq!(
            embedded_tables().len(),
            entries(EMBEDDED_TABLES).count(),
            "an entry of data/embedded-tables.txt does not parse"
        );
        let brotli = &embedded_tables()[0];
        assert_eq!(
            (brotli.name.as_str(), brotli.len),
            ("brotli-dictionary", 122_784)
        );
        assert!(brotli.start.starts_with(b"timedownlifeleft"));
    }

    #[test]
    fn name_shapes_sections_are_all_read() {
        let headers: Vec<&str> = entries(NAME_SHAPES)
            .filter_map(|e| e.strip_prefix('[')?.strip_suffix(']'))
            .collect();
        assert_eq!(
            headers,
            [
                "glued-word-endings",
                "cargo-folders",
                "rs-like-endings",
                "download-endings",
                "brand-tlds",
                "build-file-stems",
                "template-endings",
                "unix-files",
                "home-folders"
            ]
        );
        for name in headers {
            assert!(section(NAME_SHAPES, name).count() >= 4, "{name}");
        }
        assert!(cargo_folders().contains(".cargo"));
        assert!(rs_like_endings().contains("rsrc"));
        assert!(build_file_stems().contains("Makefile"));
        assert!(home_folders().contains("desktop"));
        assert!(unix_files().contains("/etc/resolv.conf"));
        assert!(unix_file_roots().contains("proc") && !unix_file_roots().contains("home"));
        assert!(unix_files().longest() >= "/etc/pki/tls/cacert.pem".len());
        assert!(!brand_tlds().contains("pdf"));
        let endings = download_endings();
        assert_eq!(&*endings[0], b".tar.bz2".as_slice());
        assert!(endings.iter().any(|e| &**e == b".whl"));
    }
}
