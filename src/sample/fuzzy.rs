//! Similarity (fuzzy) hashes of a whole file: ssdeep and TLSH.
//!
//! ssdeep (context-triggered piecewise hashing) is implemented here and produces the same
//! text as the reference `ssdeep` 2.x tool (no sequence elimination, second part cut to 32
//! characters); the only well-kept crate for it is GPL-licensed. TLSH comes from the `tlsh2`
//! crate: 128 buckets, 1-byte checksum, printed with the `T1` version prefix like TLSH 4.
//!
//! ssdeep runs in two passes. The first computes the rolling hash of every position and
//! from it alone where each block size's pieces end (its triggers), and which two block
//! sizes the result will use: none of that depends on the piece hashes. The second hashes
//! the pieces of those two block sizes only (two chains over the file, run side by side),
//! instead of keeping the piece hashes of every block size up to date at every byte.

const ROLLING_WINDOW: usize = 7;
const MIN_BLOCK_SIZE: u32 = 3;
const NUM_BLOCKHASHES: usize = 31;
const SPAMSUM_LENGTH: usize = 64;
/// Digest characters written per block size before later pieces only replace the last.
const MAX_PIECES: usize = SPAMSUM_LENGTH - 1;
/// Pieces in the (second) half-length digest.
const HALF: usize = SPAMSUM_LENGTH / 2;
/// ssdeep's FNV-style piece hash keeps 32 bits, but only its value modulo 64 is ever
/// printed, and modulo 64 it depends only on the previous value modulo 64 (a product and
/// an exclusive or only carry upwards): so the prime and initial value are taken modulo
/// 64 (`0x01000193 % 64`, `0x28021967 % 64`; a product by 19 is two cheap `lea`s) and
/// the state is reduced modulo 64 only at the end.
const HASH_PRIME: u32 = 0x13;
const HASH_INIT: u32 = 0x27;
const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

/// The piece hash of `bytes` from `state`, not yet reduced modulo 64.
#[inline]
fn piece_from(state: u32, bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(state, |h, &c| h.wrapping_mul(HASH_PRIME) ^ u32::from(c))
}

/// The digest character of a piece hash.
#[inline]
fn char_of(h: u32) -> char {
    B64[(h & 63) as usize] as char
}

/// The piece hashes of two block sizes, computed side by side in one pass over `data`
/// (two independent chains keep the processor busier than one after the other). Each
/// `cuts` list holds, ascending, the positions where a piece ends (inclusive); the first
/// piece starts at 0 and each next one after a cut. A repeated cut gives an empty piece.
fn pieces(data: &[u8], cuts: [&[usize]; 2]) -> [Vec<u32>; 2] {
    let mut out = [
        Vec::with_capacity(cuts[0].len()),
        Vec::with_capacity(cuts[1].len()),
    ];
    let stop = cuts[0].iter().chain(cuts[1]).max().map_or(0, |&m| m + 1);
    let (mut x, mut y) = (HASH_INIT, HASH_INIT);
    let (mut ia, mut ib) = (0, 0);
    let next = |cuts: &[usize], i: usize| cuts.get(i).copied().unwrap_or(usize::MAX);
    let (mut na, mut nb) = (next(cuts[0], 0), next(cuts[1], 0));
    for (p, &c) in data.iter().take(stop).enumerate() {
        x = x.wrapping_mul(HASH_PRIME) ^ u32::from(c);
        y = y.wrapping_mul(HASH_PRIME) ^ u32::from(c);
        while p == na {
            out[0].push(x);
            x = HASH_INIT;
            ia += 1;
            na = next(cuts[0], ia);
        }
        while p == nb {
            out[1].push(y);
            y = HASH_INIT;
            ib += 1;
            nb = next(cuts[1], ib);
        }
    }
    out
}

/// What the first pass records per block size: its triggers.
#[derive(Clone, Copy)]
struct Level {
    /// Triggers seen while the block size was live.
    count: usize,
    /// Positions of the first [`MAX_PIECES`] triggers: where its pieces end.
    ends: [usize; MAX_PIECES],
    /// Position of the last trigger.
    last: usize,
}

impl Level {
    const EMPTY: Level = Level {
        count: 0,
        ends: [0; MAX_PIECES],
        last: 0,
    };

    /// Digest characters written (ssdeep's `dlen`).
    fn len(&self) -> usize {
        self.count.min(MAX_PIECES)
    }

    /// Cut positions (see [`pieces`]): the ends of the first `n` pieces, then `tail`.
    fn cuts(&self, n: usize, tail: Option<usize>) -> Vec<usize> {
        let mut cuts = self.ends[..n].to_vec();
        cuts.extend(tail);
        cuts
    }
}

/// The first pass: triggers per block size, the live block sizes at the end, and the
/// rolling hash after the last byte.
struct Triggers {
    levels: Box<[Level; NUM_BLOCKHASHES]>,
    start: usize,
    end: usize,
    /// All block sizes were forked (files of about 3 GB of the right bytes): ssdeep then
    /// also keeps a piece hash of the whole file.
    saturated: bool,
    h: u32,
}

/// The first pass over `data`: the rolling hash at every position and ssdeep's
/// bookkeeping of live block sizes, recording trigger positions instead of piece hashes.
fn find_triggers(data: &[u8]) -> Triggers {
    let total = data.len() as u64;
    let mut levels = Box::new([Level::EMPTY; NUM_BLOCKHASHES]);
    let (mut start, mut end) = (0usize, 1usize);
    let mut saturated = false;
    // The rolling hash: h1 the sum of the last seven bytes, h2 their sum weighted 7..1
    // (newest first), h3 each shifted by 5 bits per step (older bytes fall off the top).
    let (mut h1, mut h2, mut h3) = (0u32, 0u32, 0u32);
    for (p, &c) in data.iter().enumerate() {
        let old = match p.checked_sub(ROLLING_WINDOW) {
            Some(q) => data[q],
            None => 0,
        };
        let c32 = u32::from(c);
        h2 = h2
            .wrapping_sub(h1)
            .wrapping_add(ROLLING_WINDOW as u32 * c32);
        h1 = h1.wrapping_add(c32).wrapping_sub(u32::from(old));
        h3 = (h3 << 5) ^ c32;
        let h = h1.wrapping_add(h2).wrapping_add(h3);
        // Block sizes nest (a trigger of size i is one of every smaller size): a position
        // that does not trigger the smallest live size triggers none.
        if !triggers(h, start) {
            continue;
        }
        let mut i = start;
        while i < end && triggers(h, i) {
            if levels[i].count == 0 {
                // The first trigger of the largest live size forks the next one.
                if end < NUM_BLOCKHASHES {
                    levels[end] = Level::EMPTY;
                    end += 1;
                } else {
                    saturated = true;
                }
            }
            let level = &mut levels[i];
            if level.count < MAX_PIECES {
                level.ends[level.count] = p;
            } else if end - start >= 2
                && block_size(start) * (SPAMSUM_LENGTH as u64) < total
                && levels[start + 1].len() >= HALF
            {
                // The smallest size is full and the next long enough: drop it.
                start += 1;
            }
            let level = &mut levels[i];
            level.count += 1;
            level.last = p;
            i += 1;
        }
    }
    Triggers {
        levels,
        start,
        end,
        saturated,
        h: h1.wrapping_add(h2).wrapping_add(h3),
    }
}

/// The ssdeep hash of `data`, as the `ssdeep` tool prints it (`blocksize:hash1:hash2`).
pub fn ssdeep(data: &[u8]) -> String {
    let total = data.len() as u64;
    let t = find_triggers(data);
    let (levels, start, end) = (&t.levels, t.start, t.end);
    // Which block size the digest uses: the smallest whose 64 pieces could span the file,
    // but no larger than the live ones and, going down, the first with half its pieces.
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
    while bi > start && levels[bi].len() < HALF {
        bi -= 1;
    }
    let first = &levels[bi];
    let second = (bi + 1 < end).then(|| &levels[bi + 1]);
    let n_second = second.map_or(0, |s| s.count.min(HALF - 1));
    // Each part ends with a longer piece: the one still open at the end of the data (when
    // the rolling hash is not 0 there) or, once a part is full, the one closed by the last
    // trigger (ssdeep's `tail` and `half_digest`).
    let to_end = t.h != 0;
    let last = data.len().saturating_sub(1);
    let first_tail =
        (to_end || first.count > MAX_PIECES).then_some(if to_end { last } else { first.last });
    let second_tail = second
        .and_then(|s| (to_end || s.count >= HALF).then_some(if to_end { last } else { s.last }));
    let first_cuts = first.cuts(first.len(), first_tail);
    let second_cuts = second.map_or(Vec::new(), |s| s.cuts(n_second, second_tail));
    let [first_pieces, second_pieces] = pieces(data, [&first_cuts, &second_cuts]);
    let mut out = format!("{}:", block_size(bi));
    out.extend(first_pieces.iter().map(|&h| char_of(h)));
    out.push(':');
    if second.is_some() {
        out.extend(second_pieces.iter().map(|&h| char_of(h)));
    } else if to_end {
        // One live size only: ssdeep repeats its open piece, or with every size forked
        // the hash of the whole file.
        let h = if bi != 0 && t.saturated {
            piece_from(HASH_INIT, data)
        } else {
            first_pieces.last().copied().unwrap_or(HASH_INIT)
        };
        out.push(char_of(h));
    }
    out
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

    /// The one-pass implementation the two-pass [`ssdeep`] replaced (every block size's
    /// piece hash updated at every byte), kept as a reference.
    mod reference {
        const ROLLING_WINDOW: usize = 7;
        const MIN_BLOCK_SIZE: u32 = 3;
        const NUM_BLOCKHASHES: usize = 31;
        const LANES: usize = 32;
        const SPAMSUM_LENGTH: usize = 64;
        const HASH_PRIME_MOD64: u8 = 0x13;
        const HASH_INIT: u8 = 0x27;
        const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        use super::super::triggers;

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
    }

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

    /// Inputs of many shapes: random bytes, few distinct bytes, long zero runs, text.
    fn generated(seed: u64, len: usize, alphabet: &[u8]) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let b = (state >> 24) as u8;
                match alphabet.len() {
                    0 => b,
                    n => alphabet[usize::from(b) % n],
                }
            })
            .collect()
    }

    #[test]
    fn two_passes_match_the_one_pass_reference() {
        let alphabets: [&[u8]; 5] = [
            b"",
            b"ab",
            b"\0\0\0\0\0\0\0x",
            b"the quick brown fox\n",
            b"\0",
        ];
        let mut n = 0;
        for len in [
            0, 1, 6, 7, 8, 64, 65, 191, 192, 193, 500, 4096, 6143, 6144, 6145, 20_000, 100_000,
            393_217,
        ] {
            for (a, alphabet) in alphabets.iter().enumerate() {
                for seed in 0..3u64 {
                    let data = generated(seed * 31 + a as u64 + len as u64, len, alphabet);
                    assert_eq!(ssdeep(&data), reference::ssdeep(&data), "{len} {a} {seed}");
                    n += 1;
                }
            }
        }
        // A file that ends on a rolling hash of 0 (seven zero bytes), and one ending full.
        for len in [1000, 50_000, 300_000] {
            let mut data = generated(len as u64, len, b"");
            data.extend_from_slice(&[0; 7]);
            assert_eq!(ssdeep(&data), reference::ssdeep(&data), "{len} zero end");
            n += 1;
        }
        assert!(n > 250);
    }
}
