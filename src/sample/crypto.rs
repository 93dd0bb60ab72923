//! Well-known cryptographic constants in a binary (AES S-box, SHA-256 K, CRC-32 table, ...),
//! found by byte pattern from the table `data/crypto-constants.txt`.

use super::Regions;
pub use crate::findings::triage::CryptoConstant;
use aho_corasick::{AhoCorasick, MatchKind};
use std::sync::OnceLock;

/// The table: `tag hex-bytes` per line.
pub const CRYPTO_CONSTANTS: &str = include_str!("../../data/crypto-constants.txt");

/// Hits kept per tag.
const MAX_HITS_PER_TAG: usize = 10;

/// The parsed table: tags by pattern index, and the matcher over all patterns.
struct Table {
    tags: Vec<String>,
    matcher: Option<AhoCorasick>,
}

/// Parses the table text: `tag hex` lines; malformed lines are skipped (a unit test checks
/// that the embedded table has none).
fn parse(text: &str) -> (Vec<String>, Vec<Vec<u8>>) {
    let mut tags = Vec::new();
    let mut patterns = Vec::new();
    for line in crate::tables::entries(text) {
        let mut parts = line.split_whitespace();
        let (Some(tag), Some(hex), None) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if let Some(bytes) = unhex(hex).filter(|b| b.len() >= 16) {
            tags.push(tag.to_string());
            patterns.push(bytes);
        }
    }
    (tags, patterns)
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let (tags, patterns) = parse(CRYPTO_CONSTANTS);
        Table {
            tags,
            // Leftmost-first lets aho-corasick use its SIMD (Teddy) search; the constants
            // never overlap one another, so the matches are those of the standard search.
            matcher: AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .ok(),
        }
    })
}

/// Every known constant in `data`, in file order, at most ten hits per tag.
pub fn find(data: &[u8], regions: &Regions) -> Vec<CryptoConstant> {
    let table = table();
    let Some(matcher) = &table.matcher else {
        return Vec::new();
    };
    let mut per_tag = std::collections::HashMap::<&str, usize>::new();
    let mut out = Vec::new();
    for m in matcher.find_iter(data) {
        let Some(tag) = table.tags.get(m.pattern().as_usize()) else {
            continue;
        };
        let n = per_tag.entry(tag.as_str()).or_default();
        if *n >= MAX_HITS_PER_TAG {
            continue;
        }
        *n += 1;
        let offset = m.start() as u64;
        out.push(CryptoConstant {
            name: tag.clone(),
            offset,
            section: regions.section_of(offset).map(str::to_string),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_line_parses() {
        let lines = crate::tables::entries(CRYPTO_CONSTANTS).count();
        let (tags, patterns) = parse(CRYPTO_CONSTANTS);
        assert_eq!(tags.len(), lines);
        assert!(patterns.iter().all(|p| p.len() >= 16));
    }

    /// The AES S-box computed from its definition (inverse in GF(2^8), then the affine map).
    fn aes_sbox() -> Vec<u8> {
        let gmul = |mut a: u8, mut b: u8| {
            let mut p = 0u8;
            for _ in 0..8 {
                if b & 1 != 0 {
                    p ^= a;
                }
                let hi = a & 0x80;
                a <<= 1;
                if hi != 0 {
                    a ^= 0x1b;
                }
                b >>= 1;
            }
            p
        };
        (0..=255u8)
            .map(|a| {
                let inv = (1..=255u8).find(|&b| gmul(a, b) == 1).unwrap_or(0);
                inv ^ inv.rotate_left(1)
                    ^ inv.rotate_left(2)
                    ^ inv.rotate_left(3)
                    ^ inv.rotate_left(4)
                    ^ 0x63
            })
            .collect()
    }

    #[test]
    fn computed_tables_are_found() {
        let mut data = vec![0x90u8; 100];
        data.extend(aes_sbox());
        // CRC-32 table from the reflected polynomial.
        let crc_at = data.len();
        for n in 0..256u32 {
            let mut c = n;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            data.extend(c.to_le_bytes());
        }
        let found = find(&data, &Regions::default());
        let names: Vec<(&str, u64)> = found.iter().map(|c| (c.name.as_str(), c.offset)).collect();
        assert_eq!(names, [("aes-sbox", 100), ("crc32-table", crc_at as u64)]);
        assert!(find(&[0u8; 4096], &Regions::default()).is_empty());
    }
}
