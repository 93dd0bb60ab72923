//! Merging indexes: the indexes of disjoint parts of a goodware set (built one per
//! machine or per Spark partition) summed into the index of the whole set.
//!
//! Every count is a number of distinct files, so the sum of the parts' counts is the
//! whole set's count when no file (by content) was counted in two parts. Files are
//! recognised by their SHA-256 (every index keeps the set of digests it counted): a
//! file counted in more than one part is reported, since its strings are then counted
//! more than once. Splitting a set by content digest (as `spoor.spark` does) keeps the
//! parts disjoint. Parts must keep every entry (`--min-packages` 1): what a filtered part
//! dropped cannot be summed back.

use super::format::{self, Index, IndexError, IndexMeta};
use super::{MAX_KEY_LEN, MIN_LEN};
use crate::error::{Warning, WarningCode};
use fst::{IntoStreamer, Streamer};

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeReport {
    /// Parts merged.
    pub parts: usize,
    /// Files (by content) counted in more than one part: their strings, imphashes and
    /// export names were counted once per part that held them.
    pub overlapping_files: u64,
    /// Problems worth telling the user (overlapping parts, filtered parts).
    pub warnings: Vec<Warning>,
    /// The header written.
    pub meta: IndexMeta,
}

/// Merges `parts` into one index written to `out`. Counts are summed key by key, the file
/// digests united, the header's sources concatenated in the order given; `built` is the
/// earliest part's, `updated` is `date` (`YYYY-MM-DD`) or else the latest part's. The
/// strings, imphashes, export names, digests and key text then equal, byte for byte,
/// those of one build over all the parts' files, when no file was counted in two parts.
pub fn merge(
    parts: &[&Index],
    date: Option<String>,
    out: &mut dyn std::io::Write,
) -> Result<MergeReport, IndexError> {
    if parts.is_empty() {
        return Err(IndexError::Damaged("no index to merge".into()));
    }
    let mut warnings = Vec::new();
    let sections: Vec<Vec<(Box<[u8]>, u64)>> = (0..3)
        .map(|section| {
            let mut op = fst::map::OpBuilder::new();
            for part in parts {
                op.push(part.maps()[section].into_stream());
            }
            let mut union = op.union();
            let mut entries = Vec::new();
            while let Some((k, values)) = union.next() {
                let sum = values
                    .iter()
                    .fold(0u64, |acc, v| acc.saturating_add(v.value));
                entries.push((Box::<[u8]>::from(k), sum));
            }
            entries
        })
        .collect();
    let mut op = fst::set::OpBuilder::new();
    for part in parts {
        op.push(part.file_set().into_stream());
    }
    let mut union = op.union();
    let mut files: Vec<[u8; 32]> = Vec::new();
    while let Some(k) = union.next() {
        if let Ok(d) = <[u8; 32]>::try_from(k) {
            files.push(d);
        }
    }
    let counted: u64 = parts.iter().map(|p| p.file_set().len() as u64).sum();
    let overlapping_files = counted.saturating_sub(files.len() as u64);
    if overlapping_files > 0 {
        warnings.push(Warning::new(
            WarningCode::IndexMismatch,
            format!(
                "{overlapping_files} files were counted in more than one part: their strings \
                 are counted once per part (split the set by content digest to keep parts \
                 disjoint)"
            ),
        ));
    }
    for (i, part) in parts.iter().enumerate() {
        let m = part.meta();
        if m.min_len != MIN_LEN as u64 || m.max_key_len != MAX_KEY_LEN as u64 {
            warnings.push(Warning::new(
                WarningCode::IndexMismatch,
                format!(
                    "part {}: built with strings of {}..{} bytes, this spoor counts {}..{}",
                    i + 1,
                    m.min_len,
                    m.max_key_len,
                    MIN_LEN,
                    MAX_KEY_LEN
                ),
            ));
        }
    }
    let metas: Vec<&IndexMeta> = parts.iter().map(|p| p.meta()).collect();
    let built = metas
        .iter()
        .map(|m| m.built.clone())
        .min()
        .unwrap_or_default();
    let updated = date.unwrap_or_else(|| {
        metas
            .iter()
            .map(|m| m.updated.clone())
            .max()
            .unwrap_or_default()
    });
    // Phrase keys sort first (see the module documentation of `goodware`).
    let phrases = sections[0].partition_point(|(k, _)| k.first() == Some(&super::PHRASE_MARK));
    let meta = IndexMeta {
        built,
        updated,
        files: files.len() as u64,
        bytes: metas.iter().fold(0u64, |a, m| a.saturating_add(m.bytes)),
        strings: (sections[0].len() - phrases) as u64,
        phrases: phrases as u64,
        imphashes: sections[1].len() as u64,
        exports: sections[2].len() as u64,
        min_len: MIN_LEN as u64,
        max_key_len: MAX_KEY_LEN as u64,
        sources: metas.iter().flat_map(|m| m.sources.clone()).collect(),
    };
    format::write(
        out,
        &meta,
        [&sections[0], &sections[1], &sections[2]],
        &files,
    )?;
    Ok(MergeReport {
        parts: parts.len(),
        overlapping_files,
        warnings,
        meta,
    })
}
