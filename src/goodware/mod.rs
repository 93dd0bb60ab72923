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
//! found by its checksum when read, and the search then falls back to the FST.

mod build;
mod format;

pub use build::{build, string_keys, BuildOptions, BuildReport};
pub use format::{
    Index, IndexError, IndexMeta, SourceEntry, FORMAT_VERSION, MAGIC, OLDEST_READABLE_VERSION,
};

/// Shortest string counted, in characters.
pub const MIN_LEN: usize = 5;
/// Longest key stored, in bytes: longer strings are stored (and looked up) by this prefix.
pub const MAX_KEY_LEN: usize = 128;

/// The index shipped with spoor: every string of the bundled benign corpus, plus what at
/// least three packages of the real goodware set's train split share (MSVC, mingw, Rust, Go,
/// .NET, ELF and Mach-O toolchain and library strings); rebuilt with
/// `sh corpus/default-goodware-index.sh` (see `docs/rules.md`).
pub const DEFAULT_INDEX: &[u8] = include_bytes!("../../data/goodware/default.idx");

/// Opens the shipped default index.
pub fn default_index() -> Result<Index, IndexError> {
    Index::from_static(DEFAULT_INDEX)
}

/// The key under which a string is stored and looked up: its first [`MAX_KEY_LEN`] bytes.
pub fn key(text: &[u8]) -> &[u8] {
    &text[..text.len().min(MAX_KEY_LEN)]
}
