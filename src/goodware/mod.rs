//! The goodware index: for every string (ASCII or UTF-16LE, at least [`MIN_LEN`]
//! characters) found in a set of known-good files, in how many distinct files it occurs;
//! the same for PE import hashes and export names.
//!
//! [`build`] turns paths into an index file; [`Index`] opens one (memory-mapped, or from
//! bytes such as the [`default_index`] shipped with spoor) and answers lookups. The file
//! format is described in `docs/rules.md`: a magic, a format version, a JSON header (build
//! date, source counts), four FST sections (strings, imphashes, export names, the SHA-256
//! of every file counted) and the key text (every string again, in compressed blocks, for
//! fast substring searches). Every FST is checksum-verified when the index is opened, so a
//! damaged file gives a clear error instead of wrong answers; a damaged key text block is
//! found by its checksum when read, and the search then falls back to the FST. [`merge`]
//! sums the indexes of disjoint parts of a set into the index of the whole.
//!
//! Besides whole strings, the strings FST holds *phrases*: every run of [`PHRASE_WORDS`]
//! words of a string (lower-case ASCII letters and digits), stored under a key that starts
//! with [`PHRASE_MARK`] (a byte no string key holds, so phrases sort first, stay out of the
//! key text and are never found by a substring search). They answer what whole strings
//! cannot: compilers such as Rust's pack string literals end to end, so a library's message
//! (`attempted to fetch exception but none was set`) sits inside a different string in
//! every program that links the library, and only its words are shared.

mod build;
mod format;
mod merge;

pub use build::{build, string_keys, BuildOptions, BuildReport, Builder};
pub use format::{
    Index, IndexError, IndexMeta, SourceEntry, FORMAT_VERSION, MAGIC, OLDEST_READABLE_VERSION,
};
pub use merge::{merge, MergeReport};

/// Shortest string counted, in characters.
pub const MIN_LEN: usize = 5;
/// Longest key stored, in bytes: longer strings are stored (and looked up) by this prefix.
pub const MAX_KEY_LEN: usize = 128;
/// The first byte of a phrase key.
pub const PHRASE_MARK: u8 = 0x01;
/// Words in a phrase.
pub const PHRASE_WORDS: usize = 4;

/// Calls `f` with the key of every phrase of `text` (runs of [`PHRASE_WORDS`] words, a word
/// being a run of ASCII letters and digits, lower-cased, joined by single spaces), in order,
/// repeats included. A text of fewer words has none.
pub fn phrase_keys(text: &[u8], mut f: impl FnMut(&[u8])) {
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, &b) in text.iter().chain(std::iter::once(&b' ')).enumerate() {
        match (b.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let mut key = Vec::with_capacity(64);
    for run in words.windows(PHRASE_WORDS) {
        key.clear();
        key.push(PHRASE_MARK);
        for (n, &(s, e)) in run.iter().enumerate() {
            if n > 0 {
                key.push(b' ');
            }
            key.extend(text[s..e].iter().map(u8::to_ascii_lowercase));
        }
        f(&key);
    }
}

/// The index shipped with spoor: every string of the bundled benign corpus, plus the strings
/// and phrases that at least two packages of the real goodware set's train split share
/// (MSVC, mingw, Rust, Go, .NET, ELF and Mach-O toolchain and library text); rebuilt with
/// `sh corpus/default-goodware-index.sh` (see `docs/rules.md`). It is stored gzip-compressed
/// (4.8 MB instead of 6.8 MB) and decompressed once, when first used; bytes that do not
/// decompress give an empty index file, which [`default_index`] refuses with an error.
pub static DEFAULT_INDEX: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    use std::io::Read;
    let mut bytes = Vec::new();
    let mut gz = flate2::read::GzDecoder::new(DEFAULT_INDEX_GZ);
    if gz.read_to_end(&mut bytes).is_err() {
        bytes.clear();
    }
    bytes
});

/// The shipped index as stored in the binary (gzip).
const DEFAULT_INDEX_GZ: &[u8] = include_bytes!("../../data/goodware/default.idx.gz");

/// Opens the shipped default index.
pub fn default_index() -> Result<Index, IndexError> {
    let bytes: &'static [u8] = &DEFAULT_INDEX;
    Index::from_static(bytes)
}

/// The key under which a string is stored and looked up: its first [`MAX_KEY_LEN`] bytes.
pub fn key(text: &[u8]) -> &[u8] {
    &text[..text.len().min(MAX_KEY_LEN)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_runs_of_lower_case_words() {
        let mut got = Vec::new();
        phrase_keys(b"PyDictattempted to fetch_exception, but none", |k| {
            got.push(String::from_utf8_lossy(&k[1..]).into_owned());
            assert_eq!(k[0], PHRASE_MARK);
        });
        assert_eq!(
            got,
            [
                "pydictattempted to fetch exception",
                "to fetch exception but",
                "fetch exception but none"
            ]
        );
        let mut none = 0;
        phrase_keys(b"three short words", |_| none += 1);
        assert_eq!(none, 0);
    }
}
