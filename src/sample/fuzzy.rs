//! Similarity (fuzzy) hashes of a whole file: ssdeep and TLSH.
//!
//! ssdeep (context-triggered piecewise hashing) is implemented here and produces the same
//! text as the reference `ssdeep` 2.x tool (no sequence elimination, second part cut to 32
//! characters); the only well-kept crate for it is GPL-licensed. TLSH comes from the `tlsh2`
//! crate: 128 buckets, 1-byte checksum, printed with the `T1` version prefix like TLSH 4.

const ROLLING_WINDOW: usize = 7;
const MIN_BLOCK_SIZE: u32 = 3;
const NUM_BLOCKHASHES: usize = 31;
/// Piece-hash lanes: one per block size, padded to a SIMD-friendly 32.
const LANES: usize = 32;
const SPAMSUM_LENGTH: usize = 64;
/// ssdeep's FNV-style piece hash keeps 32 bits, but only its value modulo 64 is ever
/// printed, and modulo 64 it depends only on the previous value modulo 64: so the state
/// here is kept modulo 64 (`0x01000193 % 64` and `0x28021967 % 64`).
const HASH_PRIME_MOD64: u8 = 0x13;
const HASH_INIT: u8 = 0x27;
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// ssdeep's rolling hash over the last seven bytes.
#[derive(Default)]
struct Roll {
    window: [u8; ROLLING_WINDOW],
    h1: u32,
    h2: u32,
    h3: u32,
    n: usize,
}

impl Roll {
    #[inline]
    fn step(&mut self, c: u8) {
        let c32 = u32::from(c);
        self.h2 = self
            .h2
            .wrapping_sub(self.h1)
            .wrapping_add(ROLLING_WINDOW as u32 * c32);
        self.h1 = self
            .h1
            .wrapping_add(c32)
            .wrapping_sub(u32::from(self.window[self.n]));
        self.window[self.n] = c;
        self.n = if self.n + 1 == ROLLING_WINDOW {
            0
        } else {
            self.n + 1
        };
        self.h3 = (self.h3 << 5) ^ c32;
    }

    #[inline]
    fn sum(&self) -> u32 {
        self.h1.wrapping_add(self.h2).wrapping_add(self.h3)
    }
}

/// One block size's digest in progress (its running piece hashes live in [`ssdeep`]'s
/// arrays, so that the per-byte update runs over contiguous memory).
#[derive(Clone, Copy)]
struct BlockHash {
    digest: [u8; SPAMSUM_LENGTH],
    /// The character written at the last trigger once the digest is full (0: none).
    tail: u8,
    half_digest: u8,
    len: usize,
}

impl BlockHash {
    const EMPTY: BlockHash = BlockHash {
        digest: [0; SPAMSUM_LENGTH],
        tail: 0,
        half_digest: 0,
        len: 0,
    };
}

#[inline]
fn sum_hash(c: u8, h: u8) -> u8 {
    (h.wrapping_mul(HASH_PRIME_MOD64) ^ c) & 63
}

/// Block size number `i`: 3, 6, 12, ...
#[inline]
fn block_size(i: usize) -> u64 {
    u64::from(MIN_BLOCK_SIZE) << i
}

/// `h % (3 << i) == (3 << i) - 1`, without a division by a variable.
#[inline]
fn triggers(h: u32, i: usize) -> bool {
    let mask = (1u32 << i) - 1;
    h & mask == mask && (h >> i) % 3 == 2
}

/// The ssdeep hash of `data`, as the `ssdeep` tool prints it (`blocksize:hash1:hash2`).
pub fn ssdeep(data: &[u8]) -> String {
    let total = data.len() as u64;
    let mut roll = Roll::default();
    let mut bh = [BlockHash::EMPTY; NUM_BLOCKHASHES];
    // Running piece hashes (modulo 64) per block size: whole and for the half digest.
    let mut hs = [HASH_INIT; LANES];
    let mut halves = [HASH_INIT; LANES];
    let (mut start, mut end) = (0usize, 1usize);
    let mut last_h: Option<u8> = None;
    for &c in data {
        roll.step(c);
        let h = roll.sum();
        // All lanes, active or not, in one fixed-width (vectorisable) pass: a lane below
        // `start` is never read again and one at or past `end` is overwritten when forked.
        for x in &mut hs {
            *x = sum_hash(c, *x);
        }
        for x in &mut halves {
            *x = sum_hash(c, *x);
        }
        if let Some(l) = &mut last_h {
            *l = sum_hash(c, *l);
        }
        let mut i = start;
        while i < end && triggers(h, i) {
            if bh[i].len == 0 {
                // Fork the next block size from this one.
                if end < NUM_BLOCKHASHES {
                    bh[end] = BlockHash::EMPTY;
                    hs[end] = hs[end - 1];
                    halves[end] = halves[end - 1];
                    end += 1;
                } else if last_h.is_none() {
                    last_h = Some(hs[end - 1]);
                }
            }
            let b = &mut bh[i];
            let ch = B64[usize::from(hs[i])];
            b.half_digest = B64[usize::from(halves[i])];
            if b.len < SPAMSUM_LENGTH - 1 {
                b.digest[b.len] = ch;
                b.len += 1;
                hs[i] = HASH_INIT;
                if b.len < SPAMSUM_LENGTH / 2 {
                    halves[i] = HASH_INIT;
                    b.half_digest = 0;
                }
            } else {
                b.tail = ch;
                // Drop the smallest block size once the next one is long enough.
                if end - start >= 2
                    && block_size(start) * (SPAMSUM_LENGTH as u64) < total
                    && bh[start + 1].len >= SPAMSUM_LENGTH / 2
                {
                    start += 1;
                }
            }
            i += 1;
        }
    }
    let state = State {
        bh: &bh,
        hs: &hs,
        halves: &halves,
        last_h,
    };
    state.digest(roll.sum(), start, end, total)
}

/// The finished hashing state, turned into text by [`State::digest`].
struct State<'a> {
    bh: &'a [BlockHash; NUM_BLOCKHASHES],
    hs: &'a [u8; LANES],
    halves: &'a [u8; LANES],
    last_h: Option<u8>,
}

impl State<'_> {
    fn digest(&self, h: u32, start: usize, end: usize, total: u64) -> String {
        let bh = self.bh;
        let mut bi = start;
        while block_size(bi) * (SPAMSUM_LENGTH as u64) < total {
            bi += 1;
            if bi >= NUM_BLOCKHASHES {
                // Beyond what ssdeep can express (files of about 200 GB).
                return String::new();
            }
        }
        while bi >= end {
            bi -= 1;
        }
        while bi > start && bh[bi].len < SPAMSUM_LENGTH / 2 {
            bi -= 1;
        }
        let mut out = format!("{}:", block_size(bi));
        let first = &bh[bi];
        out.extend(first.digest[..first.len].iter().map(|&c| c as char));
        if h != 0 {
            out.push(B64[usize::from(self.hs[bi])] as char);
        } else if first.tail != 0 {
            out.push(first.tail as char);
        }
        out.push(':');
        if bi + 1 < end {
            let second = &bh[bi + 1];
            let n = second.len.min(SPAMSUM_LENGTH / 2 - 1);
            out.extend(second.digest[..n].iter().map(|&c| c as char));
            if h != 0 {
                out.push(B64[usize::from(self.halves[bi + 1])] as char);
            } else if second.half_digest != 0 {
                out.push(second.half_digest as char);
            }
        } else if h != 0 {
            let last = if bi == 0 {
                self.hs[bi]
            } else {
                self.last_h.unwrap_or(self.hs[bi])
            };
            out.push(B64[usize::from(last)] as char);
        }
        out
    }
}

/// The TLSH hash of `data` (`T1` + 70 hex digits), `None` when TLSH declines: fewer than
/// 50 bytes, or too little variety in the data.
pub fn tlsh(data: &[u8]) -> Option<String> {
    let hash = tlsh2::TlshDefaultBuilder::build_from(data)?;
    Some(String::from_utf8_lossy(&hash.hash()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_shortcut_matches_the_division() {
        let mut h = 0x1234_5678u32;
        for _ in 0..200_000 {
            h = h.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            for i in 0..NUM_BLOCKHASHES {
                let bs = MIN_BLOCK_SIZE << i;
                assert_eq!(triggers(h, i), h % bs == bs - 1, "{h} {i}");
            }
        }
        for i in 0..NUM_BLOCKHASHES {
            let bs = MIN_BLOCK_SIZE << i;
            assert!(triggers(bs - 1, i));
        }
    }

    #[test]
    fn empty_and_tiny_inputs() {
        assert_eq!(ssdeep(b""), "3::");
        assert_eq!(tlsh(b"short"), None);
    }
}
