//! The IOC scanner: one pass over bytes that finds every indicator kind.
//!
//! Design (measured faster than a regex alternation; see `benches/extract.rs`): a byte-class
//! table splits the input into *tokens*, maximal runs of `[A-Za-z0-9._-]`. Each token is
//! classified from a bit mask of the classes it holds (hex only? dotted digits?) and from the
//! bytes right around it, which trigger the structured parsers: `://` starts a URL, `@` an
//! e-mail address, `:` an IPv6 address or a drive path, `\` a registry key, `%VAR%\` or `\\`
//! a Windows path, `/root/` a Unix path. Only then are validators asked. Nothing allocates
//! unless a candidate survives the cheap checks.
//!
//! The scanner sees refanged text (see [`super::refang`]) and reports positions in it; the
//! caller maps them back to the original bytes.

use super::refang::Refanged;
use super::validate::{self, DomainContext};
use super::{IocKind, Notes};
use crate::tables;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One indicator found in a scanned buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The indicator kind.
    pub kind: IocKind,
    /// The normalised value.
    pub value: String,
    /// Start of the indicator in the scanned (refanged) buffer.
    pub start: usize,
    /// End (exclusive) in the scanned buffer.
    pub end: usize,
    /// Written in a defanged form the scanner undid itself (a `hxxp` scheme); forms undone
    /// by refanging are known from the refang map.
    pub defanged: bool,
    /// Reasons and facts for the indicator's flags (certificate infrastructure, decoded
    /// from Base64, kept because of host context, ...).
    pub notes: Notes,
}

const DIGIT: u8 = 1;
const HEX_LOWER: u8 = 2;
const HEX_UPPER: u8 = 4;
const ALPHA: u8 = 8;
const DOT: u8 = 16;
const DASH: u8 = 32;
const UNDERSCORE: u8 = 64;
const ALNUM: u8 = DIGIT | HEX_LOWER | HEX_UPPER | ALPHA;
const HEX: u8 = DIGIT | HEX_LOWER | HEX_UPPER;

const fn build_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_digit() {
            DIGIT
        } else if b >= b'a' && b <= b'f' {
            HEX_LOWER
        } else if b >= b'A' && b <= b'F' {
            HEX_UPPER
        } else if b.is_ascii_alphabetic() {
            ALPHA
        } else if b == b'.' {
            DOT
        } else if b == b'-' {
            DASH
        } else if b == b'_' {
            UNDERSCORE
        } else {
            0
        };
        i += 1;
    }
    t
}

static CLASS: [u8; 256] = build_classes();

#[inline]
fn class(b: u8) -> u8 {
    CLASS[b as usize]
}

#[inline]
fn is_alnum(b: u8) -> bool {
    class(b) & ALNUM != 0
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Finds the next byte that every indicator holds at least one of: a digit, `.`, `/`, `:`,
/// `@` or `\\`. Words without one (most prose) are skipped sixteen bytes at a time with
/// SSE2 (part of every x86-64 processor), else eight at a time.
#[inline]
fn next_anchor(buf: &[u8], from: usize) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        let mut i = from;
        while let Some(block) = buf.get(i..i + 16) {
            // SAFETY: the function only needs SSE2, which this code is compiled with
            // (the `cfg` above; every x86-64 processor has it); it reads only `block`.
            let hits = unsafe { anchor_bits_16(block) };
            if hits != 0 {
                return Some(i + hits.trailing_zeros() as usize);
            }
            i += 16;
        }
        next_anchor_by_words(buf, i)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    next_anchor_by_words(buf, from)
}

/// One bit per byte of `block` (sixteen bytes; bit `k` for byte `k`) that is an anchor
/// ([`next_anchor`]).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn anchor_bits_16(block: &[u8]) -> u32 {
    use std::arch::x86_64::{
        _mm_and_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8, _mm_cmplt_epi8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    let x = crate::primitives::load_16(block);
    // signed compares: bytes from 0x80 up are negative, below every bound
    let range = _mm_and_si128(
        _mm_cmpgt_epi8(x, _mm_set1_epi8(b'.' as i8 - 1)),
        _mm_cmplt_epi8(x, _mm_set1_epi8(b':' as i8 + 1)),
    );
    let at = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'@' as i8));
    let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
    _mm_movemask_epi8(_mm_or_si128(range, _mm_or_si128(at, backslash))) as u32
}

/// [`next_anchor`] eight bytes at a time (and the last few bytes one at a time).
#[inline]
fn next_anchor_by_words(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 8 <= buf.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&buf[i..i + 8]);
        let x = u64::from_le_bytes(word);
        // bytes 0x2E..=0x3A ('.', '/', digits, ':'), exact for every byte (see Bit Twiddling
        // Hacks, "hasbetween"); plus '@' and '\\' by the zero-byte test.
        let low7 = x & (LO * 127);
        let between =
            (LO * (127 + 0x3B)).wrapping_sub(low7) & !x & low7.wrapping_add(LO * (127 - 0x2D)) & HI;
        let at = has_zero_byte(x ^ (LO * u64::from(b'@')));
        let backslash = has_zero_byte(x ^ (LO * u64::from(b'\\')));
        let hits = between | at | backslash;
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    buf[i.min(buf.len())..]
        .iter()
        .position(|&b| matches!(b, b'.'..=b':' | b'@' | b'\\'))
        .map(|p| i + p)
}

/// High bit set in the lowest zero byte of `x` (bytes above it may be false positives,
/// which is fine since only the lowest is used).
#[inline]
fn has_zero_byte(x: u64) -> u64 {
    x.wrapping_sub(LO) & !x & HI
}

/// Whether `label` names a registry hive (`HKLM`, `HKEY_LOCAL_MACHINE`, ...), any case.
pub fn is_hive_name(label: &[u8]) -> bool {
    hive_short_name(label).is_some()
}

pub(crate) fn hive_short_name(label: &[u8]) -> Option<&'static str> {
    const HIVES: [(&str, &str); 10] = [
        ("hklm", "HKLM"),
        ("hkey_local_machine", "HKLM"),
        ("hkcu", "HKCU"),
        ("hkey_current_user", "HKCU"),
        ("hkcr", "HKCR"),
        ("hkey_classes_root", "HKCR"),
        ("hku", "HKU"),
        ("hkey_users", "HKU"),
        ("hkcc", "HKCC"),
        ("hkey_current_config", "HKCC"),
    ];
    HIVES
        .iter()
        .find(|(long, _)| label.eq_ignore_ascii_case(long.as_bytes()))
        .map(|(_, short)| *short)
}

/// Which kinds a scanner reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSet(u32);

impl KindSet {
    /// Every kind.
    pub fn all() -> Self {
        KindSet(u32::MAX)
    }

    /// Only the given kinds.
    pub fn only(kinds: &[IocKind]) -> Self {
        KindSet(kinds.iter().fold(0, |m, k| m | (1 << *k as u32)))
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: IocKind) -> bool {
        self.0 & (1 << kind as u32) != 0
    }
}

/// Finds indicators in bytes. Cheap to create, `Send + Sync`, shareable across threads.
#[derive(Debug, Clone)]
pub struct Scanner {
    kinds: KindSet,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new(KindSet::all())
    }
}

struct Pass<'s, 'b> {
    kinds: KindSet,
    buf: &'b [u8],
    text: &'s Refanged<'b>,
    out: &'s mut Vec<Hit>,
    /// Scanning text decoded from Base64, hex or percent-encoding: no second decoding.
    nested: bool,
    /// Where the last URL was cut before a second one glued to it (`usize::MAX`: none):
    /// that one's scheme follows a letter or digit, and is a scheme all the same.
    glued_url: usize,
    /// Where the last Unix path was cut before a second one glued to it (`usize::MAX`:
    /// none): that one's `/` follows a letter, and starts a path all the same.
    glued_path: usize,
}

impl Scanner {
    /// A scanner reporting the given kinds.
    pub fn new(kinds: KindSet) -> Self {
        Scanner { kinds }
    }

    /// Scans refanged text, appending hits (positions are in `text.text`).
    pub fn scan(&self, text: &Refanged<'_>, out: &mut Vec<Hit>) {
        let buf: &[u8] = &text.text;
        let mut pass = Pass {
            kinds: self.kinds,
            buf,
            text,
            out,
            nested: false,
            glued_url: usize::MAX,
            glued_path: usize::MAX,
        };
        pass.run();
    }

    /// Convenience: refangs and scans `data`, returning hits with positions in the
    /// refanged text.
    pub fn scan_bytes(&self, data: &[u8]) -> Vec<Hit> {
        let text = super::refang::refang_for_scan(data, Default::default());
        let mut out = Vec::new();
        self.scan(&text, &mut out);
        out
    }
}

impl Pass<'_, '_> {
    fn run(&mut self) {
        let buf = self.buf;
        let n = buf.len();
        // `done` is where the last token ended: tokens never start before it.
        let mut done = 0;
        let mut from = 0;
        while let Some(p) = next_anchor(buf, from) {
            // One visit per token byte: extend both ways, collecting the class mask.
            let mut mask = 0u8;
            let mut s = p;
            while s > done {
                let c = class(buf[s - 1]);
                if c == 0 {
                    break;
                }
                mask |= c;
                s -= 1;
            }
            let mut e = p;
            while e < n {
                let c = class(buf[e]);
                if c == 0 {
                    break;
                }
                mask |= c;
                e += 1;
            }
            let token_end = e;
            let token_start = s;
            // tokens start with a letter or digit and end with one
            while s < e && class(buf[s]) & ALNUM == 0 {
                s += 1;
            }
            while e > s && class(buf[e - 1]) & ALNUM == 0 {
                e -= 1;
            }
            if s == e {
                let before = self.before(p, 1);
                let found = match buf[p] {
                    b':' if before == b' ' && two_slashes_follow(buf, p + 1) => {
                        self.spaced_scheme(p)
                    }
                    b'\\' if before == b'%' => self.env_path(p),
                    b'\\' if !is_alnum(before) && !matches!(before, b'\\' | b':' | b'.') => {
                        self.rooted_path(p)
                    }
                    b'/' if before == b'~' && !is_path_char(self.before(p, 2)) => {
                        self.home_path(p - 1)
                    }
                    _ => None,
                };
                if let Some(end) = found {
                    done = end;
                    from = end;
                    continue;
                }
                // a run of separators only (`....`): skip all of it at once
                done = done.max(token_end);
                from = token_end.max(p + 1);
                continue;
            }
            if s > token_start || e < token_end {
                // trimmed separators may have held the only dot or dash
                mask = buf[s..e].iter().fold(0, |m, &b| m | class(b));
            }
            let resume = self.token(s, e, mask).max(token_end);
            done = resume;
            from = resume.max(p + 1);
        }
    }

    /// Scans `decoded` (text found encoded at `s..e`) for indicators, reported at `s..e`
    /// with `note`. Only printable text (ASCII, or UTF-16LE of ASCII as PowerShell's
    /// `-EncodedCommand` holds) that yields at least one indicator counts.
    fn scan_decoded(&mut self, decoded: &[u8], s: usize, e: usize, note: Notes) -> bool {
        let utf16 = decoded.len() >= 4
            && decoded
                .chunks(2)
                .filter(|p| p.len() == 2 && p[1] == 0)
                .count()
                * 10
                >= decoded.len() / 2 * 9;
        let text: Vec<u8> = if utf16 {
            decoded.chunks(2).map(|p| p[0]).collect()
        } else {
            decoded.to_vec()
        };
        let printable = text
            .iter()
            .filter(|&&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\r' | b'\n'))
            .count();
        if text.len() < 8 || printable * 20 < text.len() * 19 {
            return false;
        }
        let refanged = super::refang::refang_for_scan(&text, Default::default());
        let mut hits = Vec::new();
        let mut inner = Pass {
            kinds: self.kinds,
            buf: &refanged.text,
            text: &refanged,
            out: &mut hits,
            nested: true,
            glued_url: usize::MAX,
            glued_path: usize::MAX,
        };
        inner.run();
        if hits.is_empty() {
            return false;
        }
        for h in hits {
            let defanged = h.defanged || refanged.was_defanged(h.start, h.end);
            self.out.push(Hit {
                start: s,
                end: e,
                defanged,
                notes: h.notes | note,
                ..h
            });
        }
        true
    }

    /// A Base64 run around the token `s..e` that decodes to text holding indicators.
    fn base64_text(&mut self, s: usize, e: usize) -> Option<usize> {
        let buf = self.buf;
        let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
        let mut rs = s;
        while rs > 0 && b64(buf[rs - 1]) {
            rs -= 1;
        }
        let mut re = e;
        while re < buf.len() && b64(buf[re]) {
            re += 1;
        }
        let data_end = re;
        while re < buf.len() && buf[re] == b'=' && re - data_end < 2 {
            re += 1;
        }
        let run = &buf[rs..re];
        if run.len() < 20 || !run.len().is_multiple_of(4) || is_alnum(self.before(rs, 1)) {
            return None;
        }
        let has = |f: fn(&u8) -> bool| run.iter().any(f);
        if !(has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit))
        {
            return None;
        }
        // Most long alphanumeric runs in logs are tokens and random Base64: look at the
        // first 12 decoded bytes before decoding everything.
        let head = decode_base64(&buf[rs..rs + 16])?;
        let texty = |b: &u8| (0x20..0x7f).contains(b) || matches!(b, b'\t' | b'\r' | b'\n' | 0);
        if !head.iter().all(texty) {
            return None;
        }
        let decoded = decode_base64(&buf[rs..data_end])?;
        self.scan_decoded(&decoded, rs, re, Notes::ENCODED_BASE64)
            .then_some(re)
    }

    /// A percent-encoded URL whose `%3A` starts at `pct`: the scheme word before it, then
    /// `%2F%2F`; decoded up to the first byte that is neither a URL byte nor `%`.
    fn percent_encoded_url(&mut self, pct: usize) -> Option<usize> {
        let buf = self.buf;
        if !buf.get(pct + 3..pct + 9)?.eq_ignore_ascii_case(b"%2F%2F") {
            return None;
        }
        let mut ws = pct;
        while ws > 0 && buf[ws - 1].is_ascii_alphanumeric() && pct - ws < 8 {
            ws -= 1;
        }
        if ws == pct || !is_scheme_word(&buf[ws..pct]) || is_alnum(self.before(ws, 1)) {
            return None;
        }
        let mut end = pct;
        while end < buf.len()
            && (buf[end].is_ascii_alphanumeric()
                || matches!(buf[end], b'%' | b'.' | b'-' | b'_' | b'~' | b'+'))
        {
            end += 1;
        }
        let mut decoded = Vec::with_capacity(end - ws);
        let mut i = ws;
        while i < end {
            let hex = |k: usize| buf.get(k).and_then(|&b| (b as char).to_digit(16));
            match (buf[i], hex(i + 1), hex(i + 2)) {
                (b'%', Some(h), Some(l)) if i + 2 < end => {
                    decoded.push((h * 16 + l) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    decoded.push(b);
                    i += 1;
                }
            }
        }
        self.scan_decoded(&decoded, ws, end, Notes::ENCODED_PERCENT)
            .then_some(end)
    }

    /// `hxxp : //host`: a scheme word, blanks, and the colon at `colon`.
    fn spaced_scheme(&mut self, colon: usize) -> Option<usize> {
        let buf = self.buf;
        let mut we = colon;
        while we > 0 && buf[we - 1] == b' ' && colon - we < 2 {
            we -= 1;
        }
        let mut ws = we;
        while ws > 0 && buf[ws - 1].is_ascii_alphanumeric() && we - ws < 8 {
            ws -= 1;
        }
        if ws == we || !is_scheme_word(&buf[ws..we]) {
            return None;
        }
        self.spaced_separator(ws, we, colon)
    }

    /// The rest of a separator written with blanks: from the colon at `colon`, blanks,
    /// `//` (or `/ /`), blanks, then the host. `s..e` is the scheme word.
    fn spaced_separator(&mut self, s: usize, e: usize, colon: usize) -> Option<usize> {
        let buf = self.buf;
        let mut i = colon + 1;
        let mut slashes = 0;
        let mut blanks = 0;
        while i < buf.len() && slashes < 2 {
            match buf[i] {
                b'/' => slashes += 1,
                b' ' if blanks < 2 => blanks += 1,
                _ => return None,
            }
            i += 1;
        }
        if slashes < 2 {
            return None;
        }
        let form = if blanks > 0 || e < colon {
            UrlForm::Spaced
        } else {
            UrlForm::Plain
        };
        self.url_at(s, e, i, form)
    }

    /// `%VAR%\...` where `sep` is the backslash after the closing `%`.
    fn env_path(&mut self, sep: usize) -> Option<usize> {
        let buf = self.buf;
        let close = sep - 1;
        let mut open = close;
        while open > 0
            && (buf[open - 1].is_ascii_alphanumeric()
                || matches!(buf[open - 1], b'_' | b'(' | b')'))
        {
            open -= 1;
        }
        if open == 0 || open == close || buf[open - 1] != b'%' {
            return None;
        }
        let start = open - 1;
        if is_alnum(self.before(start, 1)) {
            return None;
        }
        self.windows_path(start, sep)
    }

    fn emit(&mut self, kind: IocKind, value: String, start: usize, end: usize) {
        let notes = if matches!(kind, IocKind::FilePath | IocKind::RegistryKey)
            && has_placeholder(&value)
        {
            Notes::PLACEHOLDER
        } else {
            Notes::NONE
        };
        self.emit_noted(kind, value, start, end, notes);
    }

    fn emit_noted(&mut self, kind: IocKind, value: String, start: usize, end: usize, notes: Notes) {
        if self.kinds.contains(kind) {
            self.out.push(Hit {
                kind,
                value,
                start,
                end,
                defanged: false,
                notes,
            });
        }
    }

    fn byte(&self, i: usize) -> u8 {
        self.buf.get(i).copied().unwrap_or(0)
    }

    fn before(&self, s: usize, back: usize) -> u8 {
        if s >= back {
            self.buf[s - back]
        } else {
            0
        }
    }

    /// Classifies the token `s..e`; returns where scanning resumes.
    fn token(&mut self, s: usize, e: usize, mask: u8) -> usize {
        let buf = self.buf;
        let next = self.byte(e);
        let prev = self.before(s, 1);

        // Structured forms triggered by the bytes around the token.
        match next {
            b':' => {
                if buf[e..].starts_with(b"://") {
                    if let Some(end) = self.url(s, e) {
                        return end;
                    }
                }
                if buf[e..].starts_with(b":\\\\") && is_scheme_word(&buf[s..e]) {
                    // `http:\\host\path`
                    if let Some(end) = self.url_at(s, e, e + 3, UrlForm::Backslashes) {
                        return end;
                    }
                }
                if matches!(self.byte(e + 1), b' ' | b'/')
                    && two_slashes_follow(buf, e + 1)
                    && is_scheme_word(&buf[s..e])
                {
                    // `http: //host`, `hxxp:/ /host`
                    if let Some(end) = self.spaced_separator(s, e, e) {
                        return end;
                    }
                }
                if e - s == 1 && class(buf[s]) & (ALPHA | HEX_LOWER | HEX_UPPER) != 0 {
                    let after = self.byte(e + 1);
                    if (after == b'\\' || after == b'/') && !is_alnum(prev) {
                        if let Some(end) = self.windows_path(s, e + 1) {
                            return end;
                        }
                    }
                }
                if self.byte(e + 1) == b'\\' && mask & DOT == 0 {
                    if let Some(hive) = hive_short_name(&buf[s..e]) {
                        if let Some(end) = self.registry(s, e + 1, hive) {
                            return end;
                        }
                    }
                }
                if mask & !(HEX | DOT) == 0 {
                    if let Some(end) = self.ipv6(s) {
                        return end;
                    }
                }
                if mask & DOT != 0 && mask & ALPHA != 0 {
                    // `…seen.2001:db8::17`: an address glued to the end of a sentence
                    if let Some(dot) = memchr::memrchr(b'.', &buf[s..e]) {
                        let t = s + dot + 1;
                        if (1..=4).contains(&(e - t))
                            && buf[t..e].iter().all(u8::is_ascii_hexdigit)
                            && !buf[s..t - 1]
                                .iter()
                                .all(|b| b.is_ascii_digit() || *b == b'.')
                        {
                            if let Some(end) = self.ipv6_from(t, true) {
                                return end;
                            }
                        }
                    }
                }
            }
            b'@' => {
                if let Some(end) = self.email(s, e) {
                    return end;
                }
            }
            b'\\' if mask & DOT == 0 => {
                if let Some(hive) = hive_short_name(&buf[s..e]) {
                    if !is_alnum(prev) && prev != b'\\' {
                        if let Some(end) = self.registry(s, e, hive) {
                            return end;
                        }
                    }
                }
                if !is_alnum(prev) && !matches!(prev, b'\\' | b':' | b'%' | b'.' | b'/') {
                    if let Some(end) = self.hiveless_registry(s, e) {
                        return end;
                    }
                }
                if prev == b'%' && &buf[s..e] == b"s" {
                    // `%s\Google\Chrome\...`: a format string joining a folder and a path
                    if let Some(end) = self.rooted_path(e) {
                        return end;
                    }
                }
                if prev == b'\\'
                    && buf[s..e].eq_ignore_ascii_case(b"registry")
                    && !is_alnum(self.before(s, 2))
                {
                    if let Some(end) = self.native_registry(s - 1, e) {
                        return end;
                    }
                }
            }
            b'/' if prev == b'/'
                && (!is_path_char(self.before(s, 2)) || s - 1 == self.glued_path) =>
            {
                if let Some(end) = self.unix_path(s - 1, s, e) {
                    return end;
                }
            }
            b'/' if !is_path_char(prev) && &buf[s..e] == b"Library" => {
                // macOS home-relative `Library/LaunchAgents/x.plist`, joined to $HOME at run
                // time (as macOS writes the folder: `library/core/src/…` is Rust's own
                // source, in every Rust binary)
                let end = self.unix_path_end(e);
                if buf[e..end].iter().filter(|&&b| b == b'/').count() >= 2 {
                    self.emit(IocKind::FilePath, ascii(&buf[s..end]), s, end);
                    return end;
                }
            }
            _ => {}
        }
        if prev == b'\\' && self.before(s, 2) == b'\\' {
            let lead = if self.before(s, 3) == b'\\' && self.before(s, 4) == b'\\' {
                4
            } else {
                2
            };
            let outer = self.before(s, lead + 1);
            if !is_alnum(outer) && outer != b'\\' && outer != b':' {
                if let Some(end) = self.windows_path(s - lead, s - lead) {
                    return end;
                }
            }
        }
        if prev == b':' && self.before(s, 2) == b':' && mask & !(HEX | DOT) == 0 {
            let outer = self.before(s, 3);
            if !is_alnum(outer) && outer != b':' {
                if let Some(end) = self.ipv6(s - 2) {
                    return end;
                }
            }
        }

        if mask & UNDERSCORE != 0 && buf[s..e].windows(2).any(|w| w == b"__") {
            // `http__host/x`: a defang style for `://`
            if let Some(sep) = memchr::memmem::find(&buf[s..e], b"__") {
                let scheme_end = s + sep;
                if is_scheme_word(&buf[s..scheme_end]) && is_alnum(self.byte(scheme_end + 2)) {
                    if let Some(end) =
                        self.url_at(s, scheme_end, scheme_end + 2, UrlForm::Underscores)
                    {
                        return end;
                    }
                }
            }
        }

        let len = e - s;
        if mask & DOT != 0 {
            if mask & !(DIGIT | DOT) == 0 {
                self.ipv4_token(s, e);
                return e;
            }
            if len == 9 && buf[s] == b'T' && is_technique(&buf[s..e]) {
                self.emit(IocKind::AttackTechnique, ascii(&buf[s..e]), s, e);
                return e;
            }
            // `<sha256>.exe`, `<wallet>.worker01`: the part before the first dot
            let first_dot = buf[s..e]
                .iter()
                .position(|&b| b == b'.')
                .map_or(e, |i| s + i);
            if first_dot - s >= 26 {
                let head_mask = buf[s..first_dot].iter().fold(0, |m, &b| m | class(b));
                self.plain_token(s, first_dot, head_mask);
            }
            if mask & UNDERSCORE == 0 {
                self.free_domain(s, e);
            }
            return e;
        }
        if prev == b'%' && !self.nested && len == 2 && buf[s..e].eq_ignore_ascii_case(b"3a") {
            // `http%3A%2F%2Fhost%2Fx`: a percent-encoded URL
            if let Some(end) = self.percent_encoded_url(s - 1) {
                return end;
            }
        }
        if len >= 20 && mask & ALPHA != 0 && mask & (DASH | UNDERSCORE) == 0 && !self.nested {
            if let Some(end) = self.base64_text(s, e) {
                return end;
            }
        }
        // Digests, CVE and technique ids and wallets all hold a digit; short numbers
        // (times, ports, sizes) are none of them.
        if mask & DIGIT == 0 || (mask == DIGIT && e - s < 26) {
            return e;
        }
        self.plain_token(s, e, mask);
        e
    }

    /// A token without dots: digest, technique, CVE or wallet.
    fn plain_token(&mut self, s: usize, e: usize, mask: u8) {
        let buf = self.buf;
        let len = e - s;
        if mask & !HEX == 0
            && len >= 20
            && len.is_multiple_of(2)
            && !self.nested
            && (buf[s..s + 8].eq_ignore_ascii_case(b"68747470")
                || buf[s..s + 8].eq_ignore_ascii_case(b"6674703a"))
        {
            // `687474703a2f2f…`: a hex-encoded URL
            let decoded: Vec<u8> = buf[s..e]
                .chunks(2)
                .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
                .collect();
            if self.scan_decoded(&decoded, s, e, Notes::ENCODED_HEX) {
                return;
            }
        }
        if mask & !HEX == 0 && matches!(len, 32 | 40 | 64 | 128) {
            self.hash(s, e);
        } else if len == 5 && buf[s] == b'T' && is_technique(&buf[s..e]) {
            self.emit(IocKind::AttackTechnique, ascii(&buf[s..e]), s, e);
        } else if len >= 13 && mask & DASH != 0 && buf[s..s + 4].eq_ignore_ascii_case(b"cve-") {
            if let Some(v) = cve(&buf[s..e]) {
                self.emit(IocKind::Cve, v, s, e);
            }
        } else if mask & (DASH | UNDERSCORE) == 0 {
            self.wallet(s, e);
        }
    }

    fn ipv4_token(&mut self, s: usize, e: usize) {
        let buf = self.buf;
        let Some(ip) = parse_ipv4(&buf[s..e]) else {
            return;
        };
        let prev = self.before(s, 1);
        if prev == b'/' && self.product_word_before(s - 1) {
            return; // Chrome/119.0.0.0: a product version, not an address
        }
        if matches!(prev, b'.' | b'-') && is_alnum(self.before(s, 2)) {
            return;
        }
        if self.version_word_before(s) {
            return;
        }
        if is_oid(&buf[s..e]) && !self.text.was_defanged(s, e) {
            return; // 2.5.29.14: an X.509 extension id (data/oid-prefixes.txt)
        }
        // `"ZLIB": ["1.2.0", "1.2.0.2", "1.2.2"]`: a quoted quad in a list that holds a
        // shorter version number is a version too
        if matches!(prev, b'"' | b'\'')
            && self.byte(e) == prev
            && self.in_version_list(s, e)
            && !self.text.was_defanged(s, e)
        {
            return;
        }
        let (value, end) = self.with_port_or_prefix(ipv4_text(&buf[s..e], ip), e, 32);
        self.emit(IocKind::Ipv4, value, s, end);
    }

    /// Whether `s..e` is an item of a `[...]` list on its line (up to 512 bytes either
    /// way) of which another item is a version number of two or three parts.
    fn in_version_list(&self, s: usize, e: usize) -> bool {
        let buf = self.buf;
        let lo = s.saturating_sub(512);
        let Some(open) = memchr::memrchr3(b'[', b']', b'\n', &buf[lo..s]).map(|i| lo + i) else {
            return false;
        };
        let hi = (e + 512).min(buf.len());
        let Some(close) = memchr::memchr3(b'[', b']', b'\n', &buf[e..hi]).map(|i| e + i) else {
            return false;
        };
        if buf[open] != b'[' || buf[close] != b']' {
            return false;
        }
        buf[open + 1..close].split(|&b| b == b',').any(|item| {
            // the item without its quotes
            match item.trim_ascii() {
                [q @ (b'"' | b'\''), inner @ .., last] if last == q => is_short_version(inner),
                bare => is_short_version(bare),
            }
        })
    }

    /// Appends `:port` or `/prefix` when they follow at `e`.
    fn with_port_or_prefix(&self, addr: String, e: usize, max_prefix: u32) -> (String, usize) {
        let buf = self.buf;
        let sep = self.byte(e);
        if sep == b':' || sep == b'/' {
            let digits = buf[e + 1..]
                .iter()
                .take(6)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let after = self.byte(e + 1 + digits);
            if digits > 0
                && !is_alnum(after)
                && !(after == b'.' && is_alnum(self.byte(e + 2 + digits)))
            {
                // at most six ASCII digits: no overflow
                let num: u32 = buf[e + 1..e + 1 + digits]
                    .iter()
                    .fold(0, |n, &d| n * 10 + u32::from(d - b'0'));
                let ok = if sep == b':' {
                    (1..=65535).contains(&num) && buf[e + 1] != b'0'
                } else {
                    num <= max_prefix && after != b'/'
                };
                if ok {
                    let mut value = addr;
                    value.push(sep as char);
                    push_decimal(&mut value, num);
                    return (value, e + 1 + digits);
                }
            }
        }
        (addr, e)
    }

    /// Whether the word ending at `end` (before a `/`) names a product, as in a
    /// User-Agent: it holds a lower-case letter and is not itself a path component
    /// (`HIER_DIRECT/203.0.113.15` and `/dev/tcp/192.0.2.1` are addresses).
    fn product_word_before(&self, end: usize) -> bool {
        let buf = self.buf;
        let mut i = end;
        while i > 0 && (buf[i - 1].is_ascii_alphanumeric() || matches!(buf[i - 1], b'-' | b'_')) {
            i -= 1;
        }
        i < end && buf[i..end].iter().any(u8::is_ascii_lowercase) && self.before(i, 1) != b'/'
    }

    /// Whether the word before a `:` at `colon` names a host field (`DNS:host`).
    fn host_field_before(&self, colon: usize) -> bool {
        let buf = self.buf;
        let mut i = colon;
        while i > 0 && buf[i - 1].is_ascii_alphabetic() && colon - i < 16 {
            i -= 1;
        }
        tables::host_field_words().contains(&buf[i..colon])
    }

    fn version_word_before(&self, s: usize) -> bool {
        let buf = self.buf;
        let mut i = s;
        // skip separators between the word and the number
        let mut skipped = 0;
        let mut crossed_nul = false;
        while i > 0
            && matches!(
                buf[i - 1],
                b' ' | b':' | b'=' | b'/' | b'\t' | 0 | b'(' | b'"' | b'\''
            )
            && skipped < 3
        {
            crossed_nul |= buf[i - 1] == 0;
            i -= 1;
            skipped += 1;
        }
        let end = i;
        while i > 0 && buf[i - 1].is_ascii_alphabetic() && end - i < 32 {
            i -= 1;
        }
        if i == end || (i > 0 && is_alnum(buf[i - 1])) {
            return false;
        }
        // Across a string terminator only a VERSIONINFO key (`FileVersion\0` then the
        // value) counts; a stray `v` or `api` in binary data does not.
        if crossed_nul && end - i < 7 {
            return false;
        }
        tables::version_words().contains(&buf[i..end])
    }

    fn free_domain(&mut self, s: usize, e: usize) {
        let buf = self.buf;
        let prev = self.before(s, 1);
        // detection names (Win32/Turla.CX, Trojan:Win32/x.y), path parts, variables; but
        // protocol-relative links (//cdn.example.com/) are hosts
        let after_slash = prev == b'/' && self.before(s, 2) != b'/';
        let after_colon = prev == b':' && !self.host_field_before(s - 1);
        // `\0.note.gnu.property`: a section name in a binary's string table
        let section_name = prev == b'.' && self.before(s, 2) == 0;
        // Code around a dotted name, as found in the strings of real programs (Python and
        // JavaScript bundled in wheels and packages, Go binaries): `plt.show()`,
        // `fn.call(obj)`, a method called; `*time.zone` as a whole string of a binary
        // (nothing printable after it), the name of a Go pointer type (in text, `*` may
        // be emphasis or a footnote, and in `*evil.com/c2.Config` the name is the host of
        // a module path); `type:.eq.golang.org/...`, a symbol Go's compiler makes for a
        // type.
        let next = buf.get(e).copied().unwrap_or(0);
        let method_call = next == b'(';
        let pointer_type = prev == b'*' && !(0x20..0x7f).contains(&next);
        let go_type_symbol = s >= 6 && &buf[s - 6..s] == b"type:.";
        // `revs->pending.nr`, `ffp_light[%u].ambient.xyz`, `*[]time.zone`: a member of a
        // pointer or of an array element in C or shader code, a Go slice type
        let code_member = (prev == b'>' && self.before(s, 2) == b'-')
            || prev == b']'
            || (prev == b'.' && self.before(s, 2) == b']');
        // `Value.info_`, `fsck.repair=`: the last label runs on past what a host may hold
        // (but `_evil.com_` is emphasis), or the name is a key given a value
        let runs_on = (next == b'_' && prev != b'_') || next == b'=';
        if (after_slash
            || after_colon
            || section_name
            || method_call
            || pointer_type
            || go_type_symbol
            || code_member
            || runs_on
            || matches!(prev, b'\\' | b'$' | b'%'))
            && !self.text.was_defanged(s, e)
        {
            return;
        }
        let name = lower(&buf[s..e]);
        let defanged = self.text.was_defanged(s, e);
        let context = if defanged {
            DomainContext::Defanged
        } else {
            DomainContext::Free
        };
        let written = &buf[s..e];
        let two_labels = count(written, b'.') == 1;
        let ambiguous = two_labels && {
            let tld = name.rsplit('.').next().unwrap_or("");
            tables::ambiguous_tlds().contains(tld)
        };
        if validate::is_domain(&name, context) {
            if let Some(at) = self.glued_host(s, e).filter(|_| !defanged) {
                // ZYgithub.com/...: the host of a module path after the string before it
                self.emit(IocKind::Domain, name[at..].to_owned(), s + at, e);
                return;
            }
            if !defanged && (is_code_shaped(written) || tables::not_domains().contains(&name)) {
                return; // System.Net, ASP.NET: code and product names
            }
            if !defanged
                && (is_member_access(written)
                    || is_shared_object(&name)
                    || is_dotted_version(&name)
                    || is_build_file(&name))
            {
                return; // CParser.read, _ufuncs.cpython-311-darwin.so, 0.3.27.dev, config.h.in
            }
            if !defanged && self.is_code_word_name(&name, s, e) {
                return; // es.array.map, time.now, safe.directory
            }
            if ambiguous && (is_file_shaped(written) || self.file_context(s, e)) {
                return; // setup-F4CG[.]zip, attachment invoice[.]mov
            }
            self.emit(IocKind::Domain, name, s, e);
        } else if ambiguous
            && !defanged
            && {
                let first = name.split('.').next().unwrap_or("");
                !tables::code_identifiers().contains(first)
                    && !tables::detection_prefixes().contains(first)
            }
            && !is_code_shaped(written)
            && !is_member_access(written)
            && !is_file_shaped(written)
            && !is_build_file(&name)
            && validate::is_domain(&name, DomainContext::Structured)
            && self.host_context(s, e)
            && !self.file_context(s, e)
        {
            // dc0.cc, evil.app: an ending that is also a file extension, in a sentence
            // or list about hosts
            self.emit_noted(IocKind::Domain, name, s, e, Notes::HOST_CONTEXT);
        }
    }

    /// Whether `name` (lower case, written at `s..e`) is code, a setting or bytes of
    /// binary data rather than a host, when it is one that needs something to say host:
    /// - it ends in a TLD that is also a common method, attribute or setting name
    ///   (`data/member-tlds.txt`): `es.array.map`, `time.now`, `pytest.fail`,
    ///   `safe.directory`, `meson.build`;
    /// - it is short: two labels, one or two characters under a TLD other than `com`,
    ///   `net` and `org` (`a.id`, `x.id`, `a.top` in scripts, `F.NL`, `SD.MQ`, `X.red`
    ///   in a binary's data);
    /// - it is a path in code: three labels or more, the first a code identifier
    ///   (`data/code-identifiers.txt`) and the last not `com`, `net` or `org`
    ///   (`sys.ui.control.id`, `es.string.link`, `gevent.core.loop.io`); with two labels
    ///   such a name is never a host in free text.
    ///
    /// Such a name is a host when something says so: a `/` or a port right after it
    /// (`buf.build/gen/go`, `t.me/channel`), `www.` first, a host field before it, a
    /// host word or a host-like neighbour around it.
    fn is_code_word_name(&self, name: &str, s: usize, e: usize) -> bool {
        let tld = name.rsplit('.').next().unwrap_or("");
        if !(tables::member_tlds().contains(tld.as_bytes())
            || is_short_name(name)
            || is_code_path(name, tld))
            || name.starts_with("www.")
        {
            return false;
        }
        let next = self.byte(e);
        let port = next == b':' && self.byte(e + 1).is_ascii_digit();
        let field = matches!(self.before(s, 1), b':' | b'=') && self.host_field_before(s - 1);
        !(next == b'/' || port || field || self.host_context(s, e))
    }

    /// Where, in the name at `s..e`, a host of `data/glued-hosts.txt` starts when the name
    /// is that host glued to the end of the string before it, as binaries keep them
    /// (`ZYgithub.com/...`, `Z1google.golang.org/...`, `GeneralizedTimegolang.org/x/...`):
    /// followed by `/` (a package path), and the glued part holds a capital or a digit (a
    /// look-alike such as `xgithub.com` is written in lower case).
    fn glued_host(&self, s: usize, e: usize) -> Option<usize> {
        if self.buf.get(e) != Some(&b'/') {
            return None;
        }
        let written = &self.buf[s..e];
        tables::glued_hosts().iter().find_map(|host| {
            let at = written.len().checked_sub(host.len()).filter(|&at| at > 0)?;
            let (glued, tail) = written.split_at(at);
            // under a host of three labels or more (`google.golang.org`), the glued name
            // would be a name inside the same registered domain, which no look-alike can
            // take: `must start with an uppercasegoogle.golang.org/genproto/...`
            let under_registered = host.iter().filter(|&&b| b == b'.').count() >= 2;
            (tail == &host[..]
                && glued.last() != Some(&b'.')
                && (under_registered
                    || glued
                        .iter()
                        .any(|b| b.is_ascii_uppercase() || b.is_ascii_digit())))
            .then_some(at)
        })
    }

    /// Up to `n` words before `s` (nearest first; on the same line, or on the line
    /// before when prose wraps) and after `e` on the same line.
    fn words_around(&self, s: usize, e: usize, n: usize) -> (Vec<&[u8]>, Vec<&[u8]>) {
        let buf = self.buf;
        let word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'&';
        let lo = s.saturating_sub(80);
        let mut line_lo = memchr::memrchr(b'\n', &buf[lo..s]).map_or(lo, |i| lo + i + 1);
        // Prose wraps: a name among the first words of its line reads on from the line
        // before, unless either line is a table row or the line before is blank.
        let table_row =
            |from: usize| buf[from..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'|');
        if line_lo > 1 && line_lo > lo && buf[line_lo - 1] == b'\n' && !table_row(line_lo) {
            let prev_lo = memchr::memrchr(b'\n', &buf[lo..line_lo - 1]).map_or(lo, |i| lo + i + 1);
            let prev = &buf[prev_lo..line_lo - 1];
            if prev.iter().any(u8::is_ascii_alphanumeric) && !table_row(prev_lo) {
                line_lo = prev_lo;
            }
        }
        let hi = (e + 80).min(buf.len());
        let line_hi = memchr::memchr(b'\n', &buf[e..hi]).map_or(hi, |i| e + i);
        let before: Vec<&[u8]> = buf[line_lo..s]
            .split(|&b| !word_byte(b))
            .filter(|w| !w.is_empty())
            .rev()
            .take(n)
            .collect();
        let after: Vec<&[u8]> = buf[e..line_hi]
            .split(|&b| !word_byte(b))
            .filter(|w| !w.is_empty())
            .take(n)
            .collect();
        (before, after)
    }

    /// The whitespace-, comma- or pipe-separated items right before `s` and after `e` on
    /// the same line (list neighbours), trimmed of markup.
    fn neighbours(&self, s: usize, e: usize) -> [&[u8]; 2] {
        let buf = self.buf;
        let sep = |b: u8| matches!(b, b' ' | b'\t' | b',' | b';' | b'|' | b'\n' | b'\r');
        let trim = |w: &'_ [u8]| -> (usize, usize) {
            let mut a = 0;
            let mut z = w.len();
            while a < z && !w[a].is_ascii_alphanumeric() {
                a += 1;
            }
            while z > a && !w[z - 1].is_ascii_alphanumeric() {
                z -= 1;
            }
            (a, z)
        };
        let mut i = s;
        while i > 0 && s - i < 8 && sep(buf[i - 1]) && buf[i - 1] != b'\n' {
            i -= 1;
        }
        let mut j = i;
        while j > 0 && i - j < 80 && !sep(buf[j - 1]) {
            j -= 1;
        }
        let prev = &buf[j..i];
        let (a, z) = trim(prev);
        let prev = &prev[a..z];
        let mut k = e;
        while k < buf.len() && k - e < 8 && sep(buf[k]) && buf[k] != b'\n' {
            k += 1;
        }
        let mut m = k;
        while m < buf.len() && m - k < 80 && !sep(buf[m]) {
            m += 1;
        }
        let next = &buf[k..m];
        let (a, z) = trim(next);
        [prev, &next[a..z]]
    }

    /// Whether the text around a name says it is a host: a host word (`C2`, `domain`,
    /// `resolves`; `data/host-context-words.txt`) up to six words before it (a dotted
    /// name counts as two) or two after, or a list neighbour that is a host (a name with an unambiguous public
    /// suffix, or an IPv4 address).
    fn host_context(&self, s: usize, e: usize) -> bool {
        let (before, after) = self.words_around(s, e, 6);
        let words = tables::host_context_words();
        if before.iter().any(|w| words.contains(w))
            || after.iter().take(2).any(|w| words.contains(w))
        {
            return true;
        }
        self.neighbours(s, e).iter().any(|w| is_host_like(w))
    }

    /// Whether the text around a name says it is a file: a file word (`attachment`,
    /// `dropped`; `data/file-context-words.txt`) up to three words before it, or a list
    /// neighbour that is a file name whose extension is no TLD (`kernel32.dll`).
    fn file_context(&self, s: usize, e: usize) -> bool {
        let (before, _) = self.words_around(s, e, 3);
        let words = tables::file_context_words();
        if before.iter().any(|w| words.contains(w)) {
            return true;
        }
        self.neighbours(s, e).iter().any(|w| is_plain_file_name(w))
    }

    fn hash(&mut self, s: usize, e: usize) {
        let buf = self.buf;
        let prev = self.before(s, 1);
        let next = self.byte(e);
        if prev == b'{' && next == b'}' {
            return;
        }
        if (prev == b'+' || next == b'+') && self.in_base64_run(s, e) {
            return;
        }
        if prev == b'-' || next == b'-' {
            return; // part of a GUID or a dashed identifier
        }
        let run = &buf[s..e];
        if !validate::is_plausible_digest(run) || self.hash_context_word_before(s) {
            return;
        }
        let kind = match run.len() {
            32 => IocKind::Md5,
            40 => IocKind::Sha1,
            64 => IocKind::Sha256,
            _ => IocKind::Sha512,
        };
        self.emit(kind, lower(run), s, e);
    }

    /// Whether the hex run `s..e`, touching a `+`, is a piece of a longer Base64 run:
    /// past the `+` signs (AsciiDoc `+…+` literals, `"…"+"…"` joins hold only those) the
    /// run goes on in the Base64 alphabet. One `+` neighbour alone says nothing.
    fn in_base64_run(&self, s: usize, e: usize) -> bool {
        let buf = self.buf;
        let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'/';
        let mut i = s;
        while i > 0 && buf[i - 1] == b'+' {
            i -= 1;
        }
        let left = i < s && i > 0 && b64(buf[i - 1]);
        let mut j = e;
        while j < buf.len() && buf[j] == b'+' {
            j += 1;
        }
        let plus_right = j > e;
        while j < buf.len() && buf[j] == b'=' {
            j += 1;
        }
        let right = plus_right && j < buf.len() && b64(buf[j]);
        left || right
    }

    fn hash_context_word_before(&self, s: usize) -> bool {
        let buf = self.buf;
        let line_start = memchr::memrchr(b'\n', &buf[s.saturating_sub(64)..s])
            .map_or(s.saturating_sub(64), |i| s.saturating_sub(64) + i + 1);
        let window = &buf[line_start..s];
        let words = tables::hash_context_words();
        if window
            .split(|b| !b.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .rev()
            .take(4)
            .any(|w| words.contains(w))
        {
            return true;
        }
        // the key right before the run, joined by `_`, counts whole too (`MESSAGE_ID=`,
        // `_BOOT_ID=`: its parts alone, `message` and `id`, say nothing)
        let key_byte = |b: &u8| b.is_ascii_alphabetic() || *b == b'_';
        let end = window.iter().rposition(key_byte).map_or(0, |i| i + 1);
        let start = window[..end]
            .iter()
            .rposition(|b| !key_byte(b))
            .map_or(0, |i| i + 1);
        let key = trim_underscores(&window[start..end]);
        // (a key without `_` is the last word, looked up above)
        words.contains(key)
    }

    fn wallet(&mut self, s: usize, e: usize) {
        let buf = self.buf;
        let len = e - s;
        let first = buf[s];
        if (26..=35).contains(&len) && (first == b'1' || first == b'3') {
            let addr = ascii(&buf[s..e]);
            if validate::is_bitcoin_base58(&addr) {
                self.emit(IocKind::Bitcoin, addr, s, e);
            }
        } else if (42..=62).contains(&len) && buf[s..s + 3].eq_ignore_ascii_case(b"bc1") {
            let addr = ascii(&buf[s..e]);
            if validate::is_bitcoin_bech32(&addr) {
                self.emit(IocKind::Bitcoin, addr.to_ascii_lowercase(), s, e);
            }
        } else if (len == 95 || len == 106) && (first == b'4' || first == b'8') {
            let addr = ascii(&buf[s..e]);
            if validate::is_monero(&addr) {
                self.emit(IocKind::Monero, addr, s, e);
            }
        }
    }

    /// A URL whose scheme word ends at `e` (where `://` starts).
    fn url(&mut self, s: usize, e: usize) -> Option<usize> {
        self.url_at(s, e, e + 3, UrlForm::Plain)
    }

    /// A URL whose scheme word ends at `e` and whose authority starts at `host_start`,
    /// written in `form` (`://`, `:\\`, `__`, or with blanks around the separator).
    fn url_at(&mut self, s: usize, e: usize, host_start: usize, form: UrlForm) -> Option<usize> {
        let buf = self.buf;
        let mut notes = Notes::NONE;
        let mut host_start = host_start;
        // `http:// host/x`: one or two blanks before the host
        if form != UrlForm::Underscores {
            let blanks = buf[host_start.min(buf.len())..]
                .iter()
                .take(3)
                .take_while(|&&b| b == b' ')
                .count();
            if (1..=2).contains(&blanks) {
                host_start += blanks;
                notes.insert(Notes::SPACED);
            }
        }
        if form == UrlForm::Spaced {
            notes.insert(Notes::SPACED);
        }
        let backslashed = form == UrlForm::Backslashes;
        // The scheme may hold '+' (stratum+tcp), which splits tokens: look back.
        let mut ss = s;
        while ss > 0 && (buf[ss - 1].is_ascii_alphanumeric() || matches!(buf[ss - 1], b'+' | b'*'))
        {
            ss -= 1;
        }
        // The scheme: the longest word before `://` (stratum+tcp), else the token itself
        // (`++hxxp://` in asciidoc); a defanged one (hxxp, fxp) is mapped to the real one.
        // (the scheme as found, written in lower case into the value, not copied first)
        fn scheme_of(word: &[u8]) -> Option<(&[u8], bool)> {
            if tables::url_schemes().contains(word) {
                Some((word, false))
            } else {
                super::refang::scheme_for(word).map(|real| (real.as_bytes(), true))
            }
        }
        let (scheme, defanged_scheme) = match scheme_of(&buf[ss..e]) {
            Some(found) => found,
            None => match scheme_of(&buf[s..e]) {
                Some(found) => {
                    ss = s;
                    found
                }
                // In a certificate the URL follows its DER tag and length byte, and a
                // length of 0x41..0x7a reads as a letter glued to the scheme (`\x86Ahttp`).
                None if e - s > 4 && s > 0 && !is_text_byte(self.before(s, 1)) => {
                    ss = s + 1;
                    scheme_of(&buf[ss..e])?
                }
                None => return None,
            },
        };
        if is_alnum(self.before(ss, 1)) && ss != s + 1 && ss != self.glued_url {
            return None;
        }
        // A URL opened by a quote ends at the matching quote.
        let mut end = url_end(buf, host_start, self.before(ss, 1), backslashed);
        // trailing punctuation that belongs to the sentence or markup
        while let Some(&last) = buf[host_start..end].last() {
            let trim = match last {
                b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'*' | b'+' | b'_' => true,
                b')' => count(&buf[ss..end], b')') > count(&buf[ss..end], b'('),
                b']' => count(&buf[ss..end], b']') > count(&buf[ss..end], b'['),
                _ => false,
            };
            if !trim {
                break;
            }
            end -= 1;
        }
        if end == host_start {
            return None;
        }
        // Strings kept end to end without a separator (as Go and Rust binaries keep them):
        // `…/rules/no-consolehttps://host/…` holds a second URL, and this one ends before
        // its scheme.
        if let Some(cut) = glued_scheme(&buf[host_start..end]) {
            end = host_start + cut;
            self.glued_url = end;
        }
        // The next string's first word after a file name (`…/license.pdfChecks`,
        // `…/spdx.org/licenses/UCAR.jsonUpstream`), as binaries keep them: cut.
        if let Some(cut) = glued_word(&buf[host_start..end]) {
            end = host_start + cut;
        }
        // The digest of the file a download URL names, kept right after it
        // (`…/pypy3.10-v7.3.12-linux64.tar.bz26c5779…`): cut before it.
        let digest = glued_digest(&buf[host_start..end]).map(|cut| {
            let whole = end;
            end = host_start + cut;
            (end, whole)
        });
        // Certificate bytes after a CRL / CA-issuer path or an OCSP host read as URL
        // characters (`….crl0q`, `ocsp.example.com0A`): cut at the ASN.1 boundary.
        if let Some(cut) = asn1_trailer(&buf[host_start..end]) {
            end = host_start + cut;
            notes.insert(Notes::CUT_AT_ASN1);
        }
        let rest = &buf[host_start..end];
        let authority_len = rest
            .iter()
            .position(|b| matches!(b, b'/' | b'?' | b'#' | b'\\'))
            .unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let host_part = match memchr::memrchr(b'@', authority) {
            Some(at) => &authority[at + 1..],
            None => authority,
        };
        let host_offset = host_start + (authority.len() - host_part.len());
        let (host, port_len) = split_host_port(host_part)?;
        let host_lower = lower(host);
        let host_kind;
        let host_value;
        if host.first() == Some(&b'[') {
            let inner = std::str::from_utf8(&host[1..host.len() - 1]).ok()?;
            let ip: Ipv6Addr = inner.parse().ok()?;
            host_kind = IocKind::Ipv6;
            host_value = ipv6_text(ip);
        } else if let Some(ip) = parse_ipv4(host) {
            host_kind = IocKind::Ipv4;
            host_value = ipv4_text(host, ip);
        } else if validate::is_domain(&host_lower, DomainContext::Structured) {
            host_kind = IocKind::Domain;
            host_value = host_lower;
        } else if host_lower == "localhost" {
            host_kind = IocKind::Url; // no separate host indicator, the name shown as it is
            host_value = host_lower;
        } else {
            return None;
        }
        let _ = port_len;
        let mut value = String::with_capacity(end - ss);
        crate::primitives::push_text(&mut value, scheme);
        if !defanged_scheme {
            // a scheme word of the table, as `lower` gives it (the value holds only it so
            // far); a defanged one's real scheme is written as the table of markers has it
            value.make_ascii_lowercase();
        }
        value.push_str("://");
        crate::primitives::push_text(&mut value, &buf[host_start..host_offset]);
        if host_kind == IocKind::Ipv6 {
            value.push('[');
            value.push_str(&host_value);
            value.push(']');
        } else {
            value.push_str(&host_value);
        }
        let tail = &buf[host_offset + host.len()..end];
        if backslashed {
            value.push_str(&String::from_utf8_lossy(tail).replace('\\', "/"));
        } else {
            crate::primitives::push_text(&mut value, tail);
        }
        let defanged_form =
            defanged_scheme || form == UrlForm::Underscores || notes.contains(Notes::SPACED);
        if validate::is_certificate_url(&value) {
            notes.insert(Notes::CERTIFICATE_INFRASTRUCTURE);
        }
        self.emit_noted(IocKind::Url, value, ss, end, notes);
        if defanged_form && self.kinds.contains(IocKind::Url) {
            if let Some(hit) = self.out.last_mut() {
                hit.defanged = true;
            }
        }
        if host_kind != IocKind::Url {
            self.emit(host_kind, host_value, host_offset, host_offset + host.len());
        }
        // Digests in URL paths (sandbox and VirusTotal links) are indicators too.
        let path_start = host_start + authority_len;
        self.indicators_in_url(path_start, end);
        if let Some((start, whole)) = digest {
            // read here: from its start, the next string glued to it would join its token
            self.hash(start, whole);
            return Some(whole);
        }
        Some(end)
    }

    /// Digests and CVE ids inside a URL's path and query (sandbox, VirusTotal and NVD
    /// links); nothing else inside a URL is reported separately.
    fn indicators_in_url(&mut self, start: usize, end: usize) {
        let buf = self.buf;
        let mut i = start;
        while i < end {
            if class(buf[i]) & ALNUM == 0 {
                i += 1;
                continue;
            }
            let s = i;
            let mut mask = 0;
            while i < end && class(buf[i]) & (ALNUM | DASH) != 0 {
                mask |= class(buf[i]);
                i += 1;
            }
            let len = i - s;
            if mask & !HEX == 0 && matches!(len, 32 | 40 | 64 | 128) {
                self.hash(s, i);
            } else if len >= 13 && buf[s..s + 4].eq_ignore_ascii_case(b"cve-") {
                if let Some(v) = cve(&buf[s..i]) {
                    self.emit(IocKind::Cve, v, s, i);
                }
            }
        }
    }

    /// An e-mail address whose local part ends at `e` (where `@` is).
    fn email(&mut self, s: usize, e: usize) -> Option<usize> {
        let buf = self.buf;
        let mut ls = s;
        while ls > 0
            && (buf[ls - 1].is_ascii_alphanumeric()
                || matches!(buf[ls - 1], b'.' | b'_' | b'%' | b'+' | b'-'))
            && e - ls < 64
        {
            ls -= 1;
        }
        while ls < e && !buf[ls].is_ascii_alphanumeric() {
            ls += 1;
        }
        if ls >= e {
            return None;
        }
        let ds = e + 1;
        let mut de = ds;
        while de < buf.len() && (buf[de].is_ascii_alphanumeric() || matches!(buf[de], b'.' | b'-'))
        {
            de += 1;
        }
        while de > ds && matches!(buf[de - 1], b'.' | b'-') {
            de -= 1;
        }
        if de == ds || buf[de..].first() == Some(&b'@') {
            return None;
        }
        let domain = lower(&buf[ds..de]);
        if !validate::is_domain(&domain, DomainContext::Structured) {
            return None;
        }
        // Dart's private names are kept as `_Name@<library number>` (`_Uri@0150898`), and
        // binary data reads as a name under a top-level label in mixed case (`>Jjlq@a.gI`)
        let raw_domain = &buf[ds..de];
        let first_label = raw_domain.split(|&b| b == b'.').next().unwrap_or_default();
        if (self.before(ls, 1) == b'_'
            && first_label.len() >= 6
            && first_label.iter().all(u8::is_ascii_digit))
            || is_mixed_case_top_label(raw_domain)
        {
            return None;
        }
        let local = lower(&buf[ls..e]);
        if local.starts_with('.')
            || local.ends_with('.')
            || local.as_bytes().windows(2).any(|w| w == b"..")
        {
            return None;
        }
        if tables::protocol_name_domains().contains(&domain) && !self.text.was_defanged(ls, de) {
            // `chacha20-poly1305@openssh.com`: an SSH algorithm's name, not an address
            return Some(de);
        }
        self.emit(
            IocKind::Email,
            [local.as_str(), "@", &domain].concat(),
            ls,
            de,
        );
        self.emit(IocKind::Domain, domain, ds, de);
        Some(de)
    }

    /// An IPv6 address starting at `s`.
    fn ipv6(&mut self, s: usize) -> Option<usize> {
        self.ipv6_from(s, false)
    }

    /// An IPv6 address starting at `s`; `after_dot` accepts a `.` right before it.
    fn ipv6_from(&mut self, s: usize, after_dot: bool) -> Option<usize> {
        let buf = self.buf;
        let prev = self.before(s, 1);
        if is_alnum(prev) || prev == b':' || (prev == b'.' && !after_dot) {
            return None;
        }
        let mut e = s;
        while e < buf.len() && (class(buf[e]) & HEX != 0 || matches!(buf[e], b':' | b'.')) {
            e += 1;
        }
        if e < buf.len() && is_alnum(buf[e]) {
            return None;
        }
        let mut cand = &buf[s..e];
        while cand.last() == Some(&b'.') {
            cand = &cand[..cand.len() - 1];
        }
        if cand.ends_with(b":") && !cand.ends_with(b"::") {
            cand = &cand[..cand.len() - 1];
        }
        let e = s + cand.len();
        // cheap rejections before parsing: times (12:34:56) and short runs
        // one pass for the three counts: most candidates are times, rejected right after
        let (mut colons, mut dots, mut compressed_form) = (0usize, 0usize, false);
        let mut after_colon = false;
        for &b in cand {
            let colon = b == b':';
            compressed_form |= colon && after_colon;
            colons += usize::from(colon);
            dots += usize::from(b == b'.');
            after_colon = colon;
        }
        // an embedded IPv4 (`::ffff:192.0.2.1`) has its three dots after the last colon;
        // times with fractions (`12:34:56.789`) do not
        let embedded_v4 = dots == 3
            && colons >= 2
            && memchr::memrchr(b':', cand).is_some_and(|c| !cand[..c].contains(&b'.'));
        if dots != 0 && !embedded_v4 {
            return None;
        }
        if !compressed_form && colons != 7 && !embedded_v4 {
            return None;
        }
        // Tools write an address in one case (RFC 5952's lower case, or all upper case);
        // both cases in one are names around `::` (`dfa::DFA(`, `CFF::cff1_top_dict`).
        if cand.iter().any(u8::is_ascii_lowercase) && cand.iter().any(u8::is_ascii_uppercase) {
            return None;
        }
        let text = std::str::from_utf8(cand).ok()?;
        // most candidates are groups and colons only, read here; an embedded IPv4 address
        // is left to the standard parser
        let ip: Ipv6Addr = if dots == 0 {
            parse_ipv6_groups(cand)?
        } else {
            text.parse().ok()?
        };
        // the non-empty groups counted, and whether all are two digits long, without a Vec
        let (mut groups, mut all_two) = (0usize, true);
        for g in text.split(':').filter(|g| !g.is_empty()) {
            groups += 1;
            all_two &= g.len() == 2;
        }
        // `text` is `cand`: whether it holds `::` and a `.` was counted above
        let compressed = compressed_form;
        if !compressed && groups < 8 && dots == 0 {
            return None;
        }
        if compressed && groups < 3 && !(groups == 2 && text.len() >= 7) && text != "::1" {
            return None;
        }
        if !compressed && all_two {
            return None; // EUI-64 / MAC-like
        }
        let canonical = ipv6_text(ip);
        if prev == b'[' && self.byte(e) == b']' {
            let (with_port, end) =
                self.with_port_or_prefix(["[", &canonical, "]"].concat(), e + 1, 0);
            if end > e + 1 {
                self.emit(IocKind::Ipv6, with_port, s - 1, end);
                return Some(end);
            }
            self.emit(IocKind::Ipv6, canonical, s, e);
            return Some(e);
        }
        let (value, end) = if self.byte(e) == b'/' {
            self.with_port_or_prefix(canonical, e, 128)
        } else {
            (canonical, e)
        };
        self.emit(IocKind::Ipv6, value, s, end);
        Some(end)
    }

    /// A registry key whose hive token is `s..`, with the first separator at `sep`.
    fn registry(&mut self, s: usize, sep: usize, hive: &'static str) -> Option<usize> {
        let (rest, end) = self.components(sep, false)?;
        if rest.is_empty() {
            return None;
        }
        self.emit(IocKind::RegistryKey, registry_value(hive, &rest), s, end);
        Some(end)
    }

    /// A key without its hive, as programs pass it to `RegOpenKeyEx` (`Software\XMRig`,
    /// `SYSTEM\CurrentControlSet\Services\x`): reported as written, since the hive is not
    /// in the bytes. The root word (`data/registry-roots.txt`) is the token `s..e`.
    fn hiveless_registry(&mut self, s: usize, e: usize) -> Option<usize> {
        if !tables::registry_roots().contains(&self.buf[s..e]) {
            return None;
        }
        let (rest, end) = self.components(e, false)?;
        let root = ascii(&self.buf[s..e]);
        self.emit(
            IocKind::RegistryKey,
            [root.as_str(), "\\", &rest].concat(),
            s,
            end,
        );
        Some(end)
    }

    /// A rooted Windows path without a drive (`\Google\Chrome\User Data\Local State`,
    /// `\Device\HarddiskVolume3\...`), as programs append it to a folder they look up.
    /// Three components at least, so escapes like `\n\t` never qualify.
    fn rooted_path(&mut self, sep: usize) -> Option<usize> {
        if self.buf.get(sep + 1) == Some(&b'\\') {
            return None; // doubled: UNC or escaped, handled elsewhere
        }
        let (rest, end) = self.components(sep, false)?;
        let first = rest.split('\\').next().unwrap_or("");
        let escapes = rest.split('\\').filter(|c| looks_like_escape(c)).count();
        if rest.split('\\').count() < 3
            || escapes * 2 >= rest.split('\\').count()
            || first.eq_ignore_ascii_case("registry")
            || first.len() < 2
            || !first.as_bytes()[0].is_ascii_alphabetic()
        {
            return None;
        }
        if rest
            .split('\\')
            .any(|c| is_pattern_component(c) || is_regex_component(c))
            || is_table_data(&rest)
        {
            // a regular expression or TeX, or a binary's table: read past all of it (its
            // tail is no path either)
            return Some(end);
        }
        self.emit(IocKind::FilePath, ["\\", rest.as_str()].concat(), sep, end);
        Some(end)
    }

    /// `\Registry\Machine\...` / `\Registry\User\...` starting at the leading backslash.
    fn native_registry(&mut self, s: usize, sep: usize) -> Option<usize> {
        let (rest, end) = self.components(sep, false)?;
        let (root, tail) = rest.split_once('\\').unwrap_or((rest.as_str(), ""));
        let hive = if root.eq_ignore_ascii_case("machine") {
            "HKLM"
        } else if root.eq_ignore_ascii_case("user") {
            "HKU"
        } else {
            return None;
        };
        if tail.is_empty() {
            return None;
        }
        self.emit(IocKind::RegistryKey, registry_value(hive, tail), s, end);
        Some(end)
    }

    /// A Windows path starting at `s`; `sep` is the position of the first separator
    /// after the prefix (`C:` or `%VAR%`), or `s` itself for UNC paths.
    fn windows_path(&mut self, s: usize, sep: usize) -> Option<usize> {
        let buf = self.buf;
        let unc = sep == s;
        let (rest, end) = if unc {
            let escaped = buf[s..].starts_with(b"\\\\\\\\");
            let lead = if escaped { 4 } else { 2 };
            let (rest, end) = self.components(s + lead - if escaped { 2 } else { 1 }, true)?;
            (rest, end)
        } else {
            self.components(sep, true)?
        };
        // a lone letter after a drive (`H:\G`, `a:/v`) is noise from binary data
        if rest.is_empty() || (!unc && rest.len() < 2) {
            return None;
        }
        if sep == s + 2 && !rest.contains(['\\', '/']) && is_noise_root(&rest) {
            return None; // `R:\Sg`, `D:\$0`, `w:\.]+`
        }
        if rest.split(['\\', '/']).any(is_regex_component) || (!unc && is_table_data(&rest)) {
            // `u:\b)\B\b\z\A(`, `\\x\h{2}`, `A:/{AW/{As/{A`: read past all of it
            return Some(end);
        }
        let value = if unc {
            if !rest.contains('\\') {
                return None; // \\server alone
            }
            ["\\\\", rest.as_str()].concat()
        } else if buf.get(sep + 1) != Some(&b'\\') {
            // not escaped: the value is the text as written
            ascii(&buf[s..end])
        } else {
            let prefix = String::from_utf8_lossy(&buf[s..sep]);
            let slash = if buf[sep] == b'/' { "/" } else { "\\" };
            [&*prefix, slash, &rest].concat()
        };
        self.emit(IocKind::FilePath, value, s, end);
        Some(end)
    }

    /// Parses `\`-separated components from the separator at `sep`. Returns the joined
    /// components (single backslashes) and the end position. Doubled (escaped) separators
    /// are recognised from the first one and collapsed.
    fn components(&self, sep: usize, allow_slash: bool) -> Option<(String, usize)> {
        let buf = self.buf;
        let first = *buf.get(sep)?;
        let escaped = first == b'\\' && buf.get(sep + 1) == Some(&b'\\');
        let sep_len = if escaped { 2 } else { 1 };
        let is_sep_at = |i: usize| -> bool {
            if allow_slash && first == b'/' {
                return buf.get(i) == Some(&b'/');
            }
            if escaped {
                buf.get(i) == Some(&b'\\') && buf.get(i + 1) == Some(&b'\\')
            } else {
                buf.get(i) == Some(&b'\\')
            }
        };
        // (start of the first component, start and end of the last, previous end)
        let mut first_start = None;
        let mut last = (sep, sep);
        let mut before_last = sep;
        let mut parts = 0usize;
        let mut i = sep;
        while is_sep_at(i) {
            let cs = i + sep_len;
            let mut j = cs;
            while let Some(&b) = buf.get(j) {
                if is_component_byte(b) {
                    j += 1;
                    continue;
                }
                if (b == b' ' || (b == b',' && buf.get(j + 1) == Some(&b' '))) && j > cs {
                    // A space is allowed if the component continues to a separator, or
                    // to the end of a delimited string (NUL in binaries, a closing quote).
                    if let Some(k) = self.spaced_component_end(j) {
                        if is_sep_at(k) || matches!(buf.get(k), Some(0 | b'"')) {
                            j = k;
                            continue;
                        }
                    }
                    // A last component that is a known spaced key name
                    // (`Image File Execution Options`) runs to the end of the name.
                    if let Some(len) = known_spaced_name(&buf[cs..]) {
                        if cs + len > j {
                            j = cs + len;
                            continue;
                        }
                    }
                }
                if b == b'<' {
                    // a placeholder (`<username>`, `<USER SID>`) stands for one name
                    if let Some(k) = placeholder_end(buf, j) {
                        j = k;
                        continue;
                    }
                }
                if b == b'*' && j == cs && is_sep_at(j + 1) {
                    // a wildcard folder (`C:\Users\*\AppData\…`) stands for one name too
                    j += 1;
                    continue;
                }
                break;
            }
            if j == cs {
                break;
            }
            first_start.get_or_insert(cs);
            before_last = last.1;
            last = (cs, j);
            parts += 1;
            i = j;
        }
        let first_start = first_start?;
        // trailing punctuation of the last component
        let (last_start, mut end) = last;
        while end > last_start {
            let l = &buf[last_start..end];
            let trim = match buf[end - 1] {
                b'.' | b',' | b';' | b'\'' | b'!' | b'?' => true,
                b')' => count(l, b')') > count(l, b'('),
                b']' => count(l, b']') > count(l, b'['),
                b'}' => count(l, b'}') > count(l, b'{'),
                _ => false,
            };
            if !trim {
                break;
            }
            end -= 1;
        }
        if end == last_start {
            // the last component was all punctuation
            if parts == 1 {
                return None;
            }
            end = before_last;
        }
        if let Some(cut) = glued_digits(&buf[first_start..end]) {
            end = first_start + cut;
            while end > first_start && matches!(buf[end - 1], b'\\' | b'/' | b'.') {
                end -= 1;
            }
            if end == first_start {
                return None;
            }
        }
        if let Some(cut) = rust_source_end(&buf[first_start..end]) {
            end = first_start + cut;
        }
        let text = &buf[first_start..end];
        let joined = if escaped {
            collapse_doubled_backslashes(text)
        } else {
            ascii(text)
        };
        Some((joined, end))
    }

    /// From a space inside a component, the position where the spaced run ends (at a
    /// byte that is neither a component byte nor a single space), if the run is plausible.
    fn spaced_component_end(&self, space: usize) -> Option<usize> {
        let buf = self.buf;
        let mut j = space;
        let mut spaces = 0;
        let mut after_comma = false;
        while let Some(&b) = buf.get(j) {
            if b == b',' && buf.get(j + 1) == Some(&b' ') {
                // "VMware, Inc." inside a key: the comma rides with the following space,
                // and one word may follow it ("…\InprocServer32, then CORP\alice" is prose)
                if after_comma || self.starts_key_or_path(j + 2) {
                    return None;
                }
                after_comma = true;
                j += 2;
                continue;
            } else if b == b' ' {
                if after_comma || self.starts_key_or_path(j + 1) {
                    // `…\Run HKCU\Software\…`: two keys separated by a blank
                    return None;
                }
                spaces += 1;
                // two spaces, or a word that starts another path or a command flag
                if spaces > 3 || matches!(buf.get(j + 1), Some(b' ' | b'%' | b'-')) {
                    return None;
                }
            } else if !is_component_byte(b) {
                break;
            }
            j += 1;
            if j - space > 64 {
                return None;
            }
        }
        if buf.get(j.wrapping_sub(1)) == Some(&b' ') {
            return None;
        }
        Some(j)
    }

    /// Whether a registry key or a Windows path starts at `i`: a hive name followed by
    /// `\` or `:\`, a drive (`C:\`), or a UNC `\\`.
    fn starts_key_or_path(&self, i: usize) -> bool {
        let buf = self.buf;
        let mut w = i;
        while w < buf.len() && (buf[w].is_ascii_alphabetic() || buf[w] == b'_') && w - i < 24 {
            w += 1;
        }
        let word = &buf[i..w];
        let sep = |k: usize| matches!(buf.get(k), Some(b'\\' | b'/'));
        if is_hive_name(word) {
            return buf.get(w) == Some(&b'\\') || (buf.get(w) == Some(&b':') && sep(w + 1));
        }
        (word.len() == 1 && buf.get(w) == Some(&b':') && sep(w + 1))
            || buf[i..].starts_with(b"\\\\")
    }

    /// `~/...` (home-relative, common in macOS and Linux persistence) starting at `tilde`.
    fn home_path(&mut self, tilde: usize) -> Option<usize> {
        let end = self.unix_path_end(tilde + 2);
        if end <= tilde + 3
            || !self.buf[tilde + 2..end]
                .iter()
                .any(u8::is_ascii_alphanumeric)
        {
            return None;
        }
        // `~/` and one name without a dot is a home folder only when a known one
        // (`data/name-shapes.txt`) if it is a whole string of a binary, is shorter than four
        // characters or holds `~` or `@` (printable machine code: `~/Hc@`, `~/~D`); in text
        // any other name counts
        let name = &self.buf[tilde + 2..end];
        let apart = |b: u8| b == 0 || !(b.is_ascii_graphic() || b.is_ascii_whitespace());
        if !name.iter().any(|&b| matches!(b, b'/' | b'.'))
            && ((apart(self.before(tilde, 1)) && apart(self.byte(end)))
                || name.len() < 4
                || name.iter().any(|&b| matches!(b, b'~' | b'@')))
            && !tables::home_folders().contains(name)
        {
            return None;
        }
        self.emit(IocKind::FilePath, ascii(&self.buf[tilde..end]), tilde, end);
        Some(end)
    }

    /// Where a Unix path that continues at `from` ends. A single space is allowed inside a
    /// directory name when the path goes on after it (`Application Support/x`).
    fn unix_path_end(&self, from: usize) -> usize {
        let buf = self.buf;
        let is_unix_byte = |b: u8| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'/' | b'.' | b'_' | b'-' | b'+' | b'~' | b'@' | b'%' | b'='
                )
        };
        let mut end = from;
        loop {
            while end < buf.len() && is_unix_byte(buf[end]) {
                end += 1;
            }
            if buf.get(end) == Some(&b'<') && end > from && buf[end - 1] == b'/' {
                // `/home/<user>/…`: a placeholder for one directory name
                if let Some(k) = placeholder_end(buf, end) {
                    end = k;
                    continue;
                }
            }
            if buf.get(end) == Some(&b'*')
                && end > from
                && buf[end - 1] == b'/'
                && buf.get(end + 1) == Some(&b'/')
            {
                // `/home/*/.ssh/…`: a wildcard for one directory name
                end += 1;
                continue;
            }
            if buf.get(end) == Some(&b' ') && end > from && buf[end - 1] != b'/' {
                let word_end = buf[end + 1..]
                    .iter()
                    .take(64)
                    .position(|&b| !is_unix_byte(b) || b == b'/')
                    .map(|i| end + 1 + i);
                if let Some(w) = word_end {
                    if w > end + 1 && buf[w] == b'/' && buf[end + 1].is_ascii_alphanumeric() {
                        end = w;
                        continue;
                    }
                }
            }
            break;
        }
        if let Some(cut) = glued_digits(&buf[from..end]) {
            end = from + cut;
        }
        while end > from
            && (matches!(buf[end - 1], b'.' | b'/')
                || (buf[end - 1] == b'*' && end - 1 > from && buf[end - 2] == b'/'))
        {
            // (and a wildcard folder the path ends in: `/dev/tcp/*/*` is `/dev/tcp`)
            end -= 1;
        }
        rust_source_end(&buf[from..end]).map_or(end, |cut| from + cut)
    }

    /// A Unix path `/root/...` starting at `slash`, with the root name at `s..e`.
    fn unix_path(&mut self, slash: usize, s: usize, e: usize) -> Option<usize> {
        let buf = self.buf;
        if !tables::unix_path_roots().contains(&buf[s..e]) {
            return None;
        }
        let mut end = self.unix_path_end(e);
        let mut next = end;
        if let Some(cut) = glued_unix_file(&buf[slash..end]) {
            next = slash + cut;
            end = next;
            while end > e && matches!(buf[end - 1], b'.' | b'/') {
                end -= 1;
            }
        }
        if end <= e + 1 {
            return None;
        }
        if buf.get(next) == Some(&b'/') {
            // cut before a second path glued to it (`…/find.rs/home/…`)
            self.glued_path = next;
        }
        let value = ascii(&buf[slash..end]);
        if matches!(
            value.as_str(),
            "/dev/null"
                | "/dev/zero"
                | "/dev/random"
                | "/dev/urandom"
                | "/dev/tty"
                | "/dev/stdin"
                | "/dev/stdout"
                | "/dev/stderr"
        ) {
            return Some(end);
        }
        self.emit(IocKind::FilePath, value, slash, end);
        Some(end)
    }
}

/// What a byte is to [`url_end`].
const URL_STOP: u8 = 0;
/// A byte of a URL anywhere.
const URL_PLAIN: u8 = 1;
/// `/` or `#`: the host ends.
const URL_PATH: u8 = 2;
/// `?`: the host ends, the query starts.
const URL_QUERY: u8 = 3;
/// A byte whose place decides (`'`, `,`, `[`, `]`, `\\`).
const URL_DEPENDS: u8 = 4;

static URL_BYTES: [u8; 256] = {
    let mut t = [URL_STOP; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphanumeric() {
            URL_PLAIN
        } else {
            match b {
                b'-' | b'.' | b'_' | b'~' | b':' | b'@' | b'!' | b'$' | b'&' | b'(' | b')'
                | b'*' | b'+' | b';' | b'=' | b'%' => URL_PLAIN,
                b'/' | b'#' => URL_PATH,
                b'?' => URL_QUERY,
                b'\'' | b',' | b'[' | b']' | b'\\' => URL_DEPENDS,
                _ => URL_STOP,
            }
        };
        i += 1;
    }
    t
};

/// Where an `http://` or `https://` glued to a letter or digit starts in `rest` (a URL
/// after its `://`), if one is: the start of a second URL, not part of this one's path
/// (a URL inside a path or query follows punctuation: `/`, `=`, `%`).
fn glued_scheme(rest: &[u8]) -> Option<usize> {
    for colon in memchr::memchr_iter(b':', rest) {
        if rest.get(colon + 1..colon + 3) != Some(b"//") {
            continue;
        }
        let head = &rest[..colon];
        let scheme_len = if head.len() >= 5 && head[head.len() - 5..].eq_ignore_ascii_case(b"https")
        {
            5
        } else if head.len() >= 4 && head[head.len() - 4..].eq_ignore_ascii_case(b"http") {
            4
        } else {
            continue;
        };
        let start = colon - scheme_len;
        if start > 0 && rest[start - 1].is_ascii_alphanumeric() {
            return Some(start);
        }
    }
    None
}

/// Where a URL whose authority starts at `host_start` ends (before trimming): at the first
/// byte no URL holds there. A quote ends a URL opened by one (`opener`), a comma its
/// path (in the query it is data), a bracket its path or query; a backslash is a
/// separator only in a `backslashed` URL.
fn url_end(buf: &[u8], host_start: usize, opener: u8, backslashed: bool) -> usize {
    let mut end = host_start;
    let mut in_host = true;
    let mut in_query = false;
    while let Some(&b) = buf.get(end) {
        match URL_BYTES[b as usize] {
            URL_PLAIN => {}
            URL_PATH => in_host = false,
            URL_QUERY => {
                in_host = false;
                in_query = true;
            }
            URL_DEPENDS => {
                let ok = match b {
                    b'\'' => opener != b'\'',
                    b',' => in_query,
                    b'[' | b']' => in_host,
                    _ => backslashed,
                };
                if !ok {
                    break;
                }
                if b == b'\\' {
                    in_host = false;
                }
            }
            _ => break,
        }
        end += 1;
    }
    end
}

fn is_component_byte(b: u8) -> bool {
    COMPONENT_BYTES[usize::from(b)]
}

/// Bytes of a path or key component: letters, digits and `._-$~(){}[]!#&'+=@%`; a table,
/// since every byte of every path is tested.
static COMPONENT_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'.' | b'_'
                    | b'-'
                    | b'$'
                    | b'~'
                    | b'('
                    | b')'
                    | b'{'
                    | b'}'
                    | b'['
                    | b']'
                    | b'!'
                    | b'#'
                    | b'&'
                    | b'\''
                    | b'+'
                    | b'='
                    | b'@'
                    | b'%'
            );
        i += 1;
    }
    t
};

/// The length of the known spaced registry key name `rest` starts with, if any
/// (`data/registry-spaced-names.txt`; it must end at a word boundary).
fn known_spaced_name(rest: &[u8]) -> Option<usize> {
    let first = rest.first()?.to_ascii_lowercase();
    tables::registry_spaced_names().iter().find_map(|name| {
        if name.first() != Some(&first) {
            return None;
        }
        let n = name.len();
        let whole = rest.len() >= n
            && rest[..n].eq_ignore_ascii_case(name)
            && !rest.get(n).is_some_and(|b| b.is_ascii_alphanumeric());
        whole.then_some(n)
    })
}

/// Where a `<placeholder>` starting at `open` ends (after its `>`): letters, digits,
/// `_`, `-` and single inner blanks, at most 40 bytes.
fn placeholder_end(buf: &[u8], open: usize) -> Option<usize> {
    let mut k = open + 1;
    while k < buf.len() && k - open <= 40 {
        match buf[k] {
            b'>' if k > open + 1 && buf[k - 1] != b' ' => return Some(k + 1),
            b' ' if k > open + 1 && buf[k - 1] != b' ' => {}
            b if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') => {}
            _ => return None,
        }
        k += 1;
    }
    None
}

/// Whether a path or key value holds a placeholder: `<name>`, `%NAME%` after its first
/// component, `{name}` that is not a GUID, or a wildcard folder (`\*\`).
fn has_placeholder(value: &str) -> bool {
    // asked for every path and key: most hold none of the three opening bytes, or a `*`
    let Some(first) = memchr::memchr3(b'<', b'%', b'{', value.as_bytes()) else {
        return memchr::memchr(b'*', value.as_bytes()).is_some()
            && (value.contains("\\*\\") || value.contains("/*/"));
    };
    if value.contains("\\*\\") || value.contains("/*/") {
        return true;
    }
    if memchr::memchr(b'<', &value.as_bytes()[first..]).is_some() {
        return true;
    }
    let after_first = value
        .bytes()
        .skip(1)
        .position(|b| b == b'\\')
        .map_or("", |i| &value[i + 1..]);
    let env = after_first
        .split('\\')
        .any(|c| c.len() > 2 && c.starts_with('%') && c.ends_with('%'));
    let braces = value.split('{').skip(1).any(|rest| {
        let inner = rest.split('}').next().unwrap_or("");
        !inner.is_empty()
            && inner.len() < 32
            && inner
                .bytes()
                .any(|b| b.is_ascii_alphabetic() && !b.is_ascii_hexdigit())
    });
    env || braces
}

/// `text` with each doubled backslash (an escaped separator) made single, left to right,
/// as text: what `String::from_utf8_lossy(text).replace("\\\\", "\\")` gives, without
/// the second copy (a removed backslash never joins two bytes of a UTF-8 sequence,
/// since its twin stays between them).
fn collapse_doubled_backslashes(text: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'\\', &text[i..]) {
        let at = i + k;
        out.extend_from_slice(&text[i..=at]);
        i = if text.get(at + 1) == Some(&b'\\') {
            at + 2
        } else {
            at + 1
        };
    }
    out.extend_from_slice(&text[i..]);
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Appends `n` in decimal (what `format!("{n}")` writes, without the formatting
/// machinery, for a value built per hit).
fn push_decimal(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[i..].iter().map(|&d| char::from(d)));
}

fn is_path_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b'~' | b':')
}

/// Decodes standard Base64 without padding (`None` on a length that cannot be Base64).
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.chunks(4) {
        let mut acc = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * k);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// Whether `b` can be part of text (printable ASCII, blanks, UTF-8 continuation bytes
/// excluded): used to tell a certificate's binary framing from prose.
fn is_text_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r')
}

/// Whether `word` is a URL scheme, plain or defanged (`http`, `hxxps`).
fn is_scheme_word(word: &[u8]) -> bool {
    !word.is_empty()
        && (tables::url_schemes().contains(word)
            || (word.len() <= 6
                && matches!(word[0], b'h' | b'H' | b'f' | b'F' | b's' | b'S')
                && super::refang::scheme_for(word).is_some()))
}

/// Whether at least two `/` are among the four bytes from `i` (`//`, ` //`, `/ /`): the
/// cheap test before looking for a scheme separator written with blanks.
fn two_slashes_follow(buf: &[u8], i: usize) -> bool {
    buf.get(i..)
        .is_some_and(|rest| rest.iter().take(4).filter(|&&b| b == b'/').count() >= 2)
}

/// How a URL's scheme is separated from its authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlForm {
    /// `scheme://`
    Plain,
    /// `scheme : //` or `scheme :// ` with blanks
    Spaced,
    /// `scheme:\\` (Windows-style slashes, the rest of the URL too)
    Backslashes,
    /// `scheme__host` (a defang style)
    Underscores,
}

/// Where a capitalised word glued to the file name that ends a URL's path begins, if one
/// is: `…/sendmail_license.pdfChecks`, `…/licenses/UCAR.jsonUpstream`,
/// `…/crypt_blowfish.cCannot`, `…/license-txt.htmlGNU`. Binaries keep their strings end to
/// end, and the next one often starts with such a word (or several, in camel case:
/// `…#unexpected-eofWebPkiSupportedAlgorithms`); no file name ends in a lower-case
/// extension and then a capital (endings in `data/name-shapes.txt`). So is one glued to a
/// last segment or fragment in kebab case, whose words are lower case joined by `-`
/// (`…/link/direct-evalRemoving`, `…/blog/protobuf-apiv2Format`,
/// `…#unexpected-eofDropping`): such names do not go on in camel case. A last segment
/// holding a query is left whole.
fn glued_word(rest: &[u8]) -> Option<usize> {
    // the letters that end the URL first (most URLs end otherwise: one look at their last
    // byte), then their first capital, after a lower-case letter or a digit
    if !rest.last()?.is_ascii_alphabetic() {
        return None;
    }
    let letters = rest
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let tail = rest.len() - letters;
    let capital = tail + rest[tail..].iter().position(u8::is_ascii_uppercase)?;
    if capital == 0 || !matches!(rest[capital - 1], b'a'..=b'z' | b'0'..=b'9') {
        return None;
    }
    // then the file name before it, in the last path segment
    let slash = memchr::memrchr(b'/', &rest[..capital])?;
    let name = &rest[slash + 1..capital];
    if name.iter().any(|b| matches!(b, b'?' | b'=' | b'&')) {
        return None;
    }
    let fragment = memchr::memrchr(b'#', name);
    if fragment.is_none()
        && memchr::memrchr(b'.', name)
            .is_some_and(|dot| dot > 0 && tables::glued_word_endings().contains(&name[dot + 1..]))
    {
        return Some(capital);
    }
    let word = &name[fragment.map_or(0, |h| h + 1)..];
    let kebab = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    (word.contains(&b'-')
        && word.first().is_some_and(kebab)
        && word.last().is_some_and(kebab)
        && word.iter().all(|b| kebab(b) || *b == b'-'))
    .then_some(capital)
}

/// Where a digit table of a binary glued to a path begins, if one is. Go keeps
/// `0123456789ABCDEF…` (its number formatting) and the decimal digits of powers of five
/// (its float parsing) among its strings, end to end with them:
/// `/etc/resolv.conf0123456789ABCDEF…`, `…/mime/globs20123456789aAbB…`,
/// `/proc/sys/net/core/somaxconn181898940354585647583007812…`. No name goes on with the
/// ten digits in order and then the hex letters (`0123456789a`, `0123456789A`), and none
/// holds twenty digits in a row.
fn glued_digits(path: &[u8]) -> Option<usize> {
    let mut run = 0;
    for (i, &b) in path.iter().enumerate() {
        if !b.is_ascii_digit() {
            run = 0;
            continue;
        }
        run += 1;
        if run == 20 {
            return Some(i + 1 - run);
        }
        if b == b'9'
            && run >= 10
            && path[i - 9..=i] == *b"0123456789"
            && matches!(path.get(i + 1), Some(b'a' | b'A'))
        {
            return Some(i - 9);
        }
    }
    None
}

/// Where to cut a Unix path that holds a file of `data/name-shapes.txt [unix-files]`
/// (`/etc/resolv.conf`, `/dev/stdin`) with the next string of a binary glued to it: a
/// `/` (a file has no names under it), a capitalised word (`/dev/stdinCreateFile`,
/// `…/tls-ca-bundle.pemAutomatically`) or five digits or more (`/dev/stdout30517578125`,
/// a power of five of Go's). Such a file at the start is cut after its name; one further
/// in (`/etc/lvm/profile/etc/resolv.conf/proc/…`) before it, and it then starts a path of
/// its own. A known file that ends the path is left in it
/// (`/var/lib/docker/…/etc/resolv.conf`), as is one that goes on otherwise (`/dev/ttyS0`,
/// `/dev/tty12`).
fn glued_unix_file(path: &[u8]) -> Option<usize> {
    let files = tables::unix_files();
    let glue = |k: usize| match path.get(k) {
        Some(b'/') => true,
        Some(b) if b.is_ascii_digit() => {
            path.get(k..k + 5)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
                && !path[k - 1].is_ascii_digit()
        }
        Some(b) => b.is_ascii_uppercase() && path.get(k + 1).is_some_and(u8::is_ascii_lowercase),
        None => false,
    };
    // looked up only from the folders those files are in (`/etc/`, `/proc/`)
    let roots = tables::unix_file_roots();
    let starts = memchr::memchr_iter(b'/', path).filter(|&at| {
        let name = &path[at + 1..];
        let name = &name[..memchr::memchr(b'/', name).unwrap_or(name.len())];
        roots.contains(name)
    });
    for at in starts {
        let last = path.len().min(at + files.longest());
        for k in (at + 2..=last).filter(|&k| glue(k)) {
            if files.contains(&path[at..k]) {
                return Some(if at == 0 { k } else { at });
            }
        }
    }
    None
}

/// Where a Rust source file's name ends in `path`, when the next string of a binary is
/// glued to it: `…\src\gil.rsH`, `…/src/locator.rsassertion`, `…/src/mod.rs0xClass…`,
/// `…/src/dfa.rs/home/runner/…` (rustc keeps its panic locations end to end, with no
/// terminator). Only a `.rs` name under a `src` folder or one of Cargo's folders is cut,
/// after the `.rs`; outside Cargo's folders, not where the ending goes on as an ending of
/// its own (`README.rst`; both lists in `data/name-shapes.txt`).
fn rust_source_end(path: &[u8]) -> Option<usize> {
    let is_sep = |b: u8| b == b'/' || b == b'\\';
    for at in memchr::memchr_iter(b'.', path) {
        if path.get(at + 1..at + 3) != Some(&b"rs"[..]) {
            continue;
        }
        let end = at + 3;
        let Some(&next) = path.get(end) else {
            return None; // ends in `.rs`: nothing glued
        };
        let stem_start = path[..at]
            .iter()
            .rposition(|&b| is_sep(b))
            .map_or(0, |i| i + 1);
        if at == stem_start {
            continue;
        }
        let (mut src, mut cargo) = (false, false);
        for name in path[..stem_start].split(|&b| is_sep(b)) {
            src |= name == b"src";
            cargo |= tables::cargo_folders().contains(name);
        }
        if !(src || cargo) {
            continue;
        }
        let rest = &path[at + 1..];
        let own_ending = !cargo && {
            let word = rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            let word = &rest[..word];
            // as written: `.rsP` is a `.rs` with `P…` glued on
            word.iter().all(u8::is_ascii_lowercase) && tables::rs_like_endings().contains(word)
        };
        if !own_ending || is_sep(next) {
            return Some(end);
        }
    }
    None
}

/// Where a digest glued to a download URL begins, if one is: a URL whose path ends in a
/// file with a download ending (`.tar.gz`, `.whl`; `data/name-shapes.txt`) followed by a
/// run of 32, 40, 64 or 128 hex digits to its end. Binaries keep a table of URLs and the
/// digests of what they fetch end to end (`…/pypy3.10-v7.3.12-linux64.tar.bz26c5779…` in
/// a Python installer); a file name never goes on with a digest after its ending.
fn glued_digest(rest: &[u8]) -> Option<usize> {
    // (most URLs end otherwise: two looks)
    let n = rest.len();
    if n < 40 || !rest[n - 1].is_ascii_hexdigit() || !rest[n - 32].is_ascii_hexdigit() {
        return None;
    }
    let hex_tail = rest
        .iter()
        .rev()
        .take(129)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    if hex_tail < 32 {
        return None;
    }
    [128, 64, 40, 32].into_iter().find_map(|len| {
        let at = rest.len().checked_sub(len).filter(|_| len <= hex_tail)?;
        let head = &rest[..at];
        let name = &head[memchr::memrchr(b'/', head)? + 1..];
        tables::download_endings()
            .iter()
            .any(|x| name.len() > x.len() && name[name.len() - x.len()..].eq_ignore_ascii_case(x))
            .then_some(at)
    })
}

/// Where certificate (DER) bytes glued to a URL begin, if they do: after a `.crl`,
/// `.crt`, `.cer`, `.p7c` or `.p7b` path ending, or after a host's TLD, a `0` (the tag of
/// the next SEQUENCE) and at most three more bytes. TLDs never hold digits, so a host
/// `…com0A` is always cut; a path only when it ends so.
fn asn1_trailer(rest: &[u8]) -> Option<usize> {
    let n = rest.len();
    // the `0` starts the trailer, which holds at most four bytes
    for zero in n.saturating_sub(4)..n {
        if rest[zero] != b'0' || zero < 4 {
            continue;
        }
        let head = &rest[..zero];
        let file_end = validate::CERTIFICATE_FILE_ENDINGS
            .iter()
            .any(|x| head.len() >= x.len() && head[head.len() - x.len()..].eq_ignore_ascii_case(x))
            && head.contains(&b'/');
        let host_end = !head.contains(&b'/')
            && head
                .rsplit(|&b| b == b'.')
                .next()
                .is_some_and(|tld| tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic))
            && head.contains(&b'.');
        if file_end || host_end {
            return Some(zero);
        }
    }
    None
}

fn split_host_port(authority: &[u8]) -> Option<(&[u8], usize)> {
    if authority.first() == Some(&b'[') {
        let close = memchr::memchr(b']', authority)?;
        let port = &authority[close + 1..];
        if !(port.is_empty() || (port[0] == b':' && port[1..].iter().all(u8::is_ascii_digit))) {
            return None;
        }
        return Some((&authority[..=close], port.len()));
    }
    match memchr::memchr(b':', authority) {
        Some(c) => {
            let port = &authority[c + 1..];
            if !port.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some((&authority[..c], port.len() + 1))
        }
        None => Some((authority, 0)),
    }
}

/// Whether a component of a path with no drive (`\a\b\c`) is a piece of a regular
/// expression or of TeX, as programs hold them (`\s+(\w+)\s`, `\d{4}-\d{2}`,
/// `\p{L}`, `\frac{1}{\sqrt{2\pi`): a bracket, a brace, a parenthesis or a repetition
/// mark where a folder name has none. Folders keep theirs: a `{GUID}`, `Program Files (x86)`
/// (a blank before the parenthesis), `Notepad++`.
fn is_pattern_component(component: &str) -> bool {
    let b = component.as_bytes();
    if let [b'{', inner @ .., b'}'] = b {
        if !inner.iter().any(|&c| matches!(c, b'{' | b'}')) {
            return false; // a GUID folder
        }
    }
    let spaced_paren = component.contains(" (");
    b.iter().enumerate().any(|(i, &c)| match c {
        b'(' => i == 0 || b[i - 1] != b' ',
        b')' => !spaced_paren,
        b'{' | b'}' | b'[' | b']' | b'*' | b'?' | b'|' | b'^' => true,
        // `\d+(`, `\s+$`, `d+`: a repetition; `Notepad++` is a name
        b'+' => b.len() <= 2 || matches!(b.get(i + 1), Some(b'(' | b')' | b'[' | b'$')),
        _ => false,
    })
}

/// Whether a path component is a piece of a regular expression, not a name: a class
/// escape's letter quantified or closing a group (`d+L` of `\d+L`, `s+ADJACENT`, `h{4}`,
/// `b)`), any character repeated (`s.+`), or a set or group quantified or followed by
/// another (`.]+`, `]{1`, `)(`, `(?`). Unlike [`is_pattern_component`] it leaves
/// wildcards (`*`, `?`) and bracketed names (`index[1].htm`) to paths.
fn is_regex_component(component: &str) -> bool {
    let b = component.as_bytes();
    let class = |c: u8| {
        matches!(
            c,
            b'd' | b'D' | b's' | b'S' | b'w' | b'W' | b'h' | b'b' | b'B'
        )
    };
    (b.len() >= 2 && class(b[0]) && matches!(b[1], b'+' | b'*' | b'{' | b')' | b'|'))
        || b.windows(2).any(|w| {
            matches!(
                (w[0], w[1]),
                (b'.', b'+') | (b']', b'+' | b'*' | b'{') | (b')', b'+' | b'(') | (b'(', b'?')
            )
        })
}

/// Whether the components of a path are a binary's table read as text: three or more, none
/// longer than three characters, all starting with the same two (`\mA8\mAl\mA`,
/// `\yeZ\yeZ\ye`, `{AW/{As/{A`: little-endian floats or offsets with a constant high half).
fn is_table_data(rest: &str) -> bool {
    let mut parts = rest.split(['\\', '/']);
    let Some(first) = parts.next().filter(|p| (2..=3).contains(&p.len())) else {
        return false;
    };
    let head = &first.as_bytes()[..2];
    let mut n = 1;
    for p in parts {
        if !(2..=3).contains(&p.len()) || &p.as_bytes()[..2] != head {
            return false;
        }
        n += 1;
    }
    n >= 3
}

/// Whether a path component is really a string escape (`x41`, `u00e9`, `n`, `0`), as in
/// shellcode literals.
fn looks_like_escape(component: &str) -> bool {
    let b = component.as_bytes();
    let hex = |s: &[u8]| s.iter().all(u8::is_ascii_hexdigit);
    matches!(b, [b'x', rest @ ..] if rest.len() == 2 && hex(rest))
        || matches!(b, [b'u', rest @ ..] if rest.len() == 4 && hex(rest))
        || b.len() == 1
        || (b.len() <= 3 && b.iter().all(|c| (b'0'..=b'7').contains(c)))
}

/// A registry key from its short hive and the rest. A user hive named by SID
/// (`HKU\S-1-5-21-…-1001\Software\x`, as Sysmon writes it) is that user's `HKCU`,
/// and `HKU\<SID>_Classes\x` is `HKCU\Software\Classes\x`: the portable indicator.
pub(crate) fn registry_value(hive: &str, rest: &str) -> String {
    if hive == "HKU" {
        let (sid, tail) = rest.split_once('\\').unwrap_or((rest, ""));
        let upper = sid.to_ascii_uppercase();
        if upper.starts_with("S-1-5-21-") && !tail.is_empty() {
            return if upper.ends_with("_CLASSES") {
                ["HKCU\\Software\\Classes\\", tail].concat()
            } else {
                ["HKCU\\", tail].concat()
            };
        }
    }
    [hive, "\\", rest].concat()
}

/// The normal text of `ip`, parsed from `text`: the text itself unless it was zero-padded
/// (formatting an address costs more than copying it).
fn ipv4_text(text: &[u8], ip: Ipv4Addr) -> String {
    if ipv4_is_canonical(text.len(), ip) {
        ascii(text)
    } else {
        ip.to_string()
    }
}

/// Whether `len` bytes parsed as `ip` are its normal text (not zero-padded).
pub(crate) fn ipv4_is_canonical(len: usize, ip: Ipv4Addr) -> bool {
    let canonical_len: usize = ip
        .octets()
        .iter()
        .map(|&o| 1 + usize::from(o >= 10) + usize::from(o >= 100))
        .sum::<usize>()
        + 3;
    canonical_len == len
}

/// `word` without the `_` it starts or ends with (`_BOOT_ID` is `BOOT_ID`).
fn trim_underscores(word: &[u8]) -> &[u8] {
    let start = word.iter().position(|&b| b != b'_').unwrap_or(word.len());
    let end = word
        .iter()
        .rposition(|&b| b != b'_')
        .map_or(start, |i| i + 1);
    &word[start..end]
}

/// Whether the last label of `name` has an upper-case letter after a lower-case one
/// (`a.gI`, `q.aIg`): binary data, as no one writes a top-level domain so (`.com`, `.COM`
/// and `.Com` are written).
fn is_mixed_case_top_label(name: &[u8]) -> bool {
    let top = name.rsplit(|&b| b == b'.').next().unwrap_or_default();
    top.windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

/// An IPv6 address written without an embedded IPv4 part (`text` holds no `.`), read as
/// [`Ipv6Addr`]'s parser reads it: eight groups of one to four hex digits, or fewer with
/// one `::` standing for at least one zero group.
fn parse_ipv6_groups(text: &[u8]) -> Option<Ipv6Addr> {
    /// Reads the groups of `part` (colon-separated, none empty) into `out`.
    fn read(part: &[u8], out: &mut [u16; 8]) -> Option<usize> {
        if part.is_empty() {
            return Some(0);
        }
        let mut n = 0;
        for group in part.split(|&b| b == b':') {
            if group.is_empty() || group.len() > 4 || n == 8 {
                return None;
            }
            let mut value = 0u16;
            for &d in group {
                value = value << 4 | u16::from(char::from(d).to_digit(16)? as u8);
            }
            out[n] = value;
            n += 1;
        }
        Some(n)
    }
    let mut groups = [0u16; 8];
    match text.windows(2).position(|w| w == b"::") {
        None => {
            if read(text, &mut groups)? != 8 {
                return None;
            }
        }
        Some(at) => {
            let mut head = [0u16; 8];
            let mut tail = [0u16; 8];
            let h = read(&text[..at], &mut head)?;
            let t = read(&text[at + 2..], &mut tail)?;
            if h + t > 7 {
                return None;
            }
            groups[..h].copy_from_slice(&head[..h]);
            groups[8 - t..].copy_from_slice(&tail[..t]);
        }
    }
    Some(Ipv6Addr::from(groups))
}

/// `ip` as [`Ipv6Addr`]'s `Display` writes it (RFC 5952: lower-case hex groups without
/// leading zeros, the first longest run of two or more zero groups as `::`, an
/// IPv4-mapped address as `::ffff:a.b.c.d`), without the formatting machinery.
fn ipv6_text(ip: Ipv6Addr) -> String {
    if ip.to_ipv4_mapped().is_some() {
        return ip.to_string();
    }
    let groups = ip.segments();
    // the first longest run of zero groups
    let (mut run_start, mut run_len) = (0, 0);
    let (mut cur_start, mut cur_len) = (0, 0);
    for (i, &g) in groups.iter().enumerate() {
        if g == 0 {
            if cur_len == 0 {
                cur_start = i;
            }
            cur_len += 1;
            if cur_len > run_len {
                (run_start, run_len) = (cur_start, cur_len);
            }
        } else {
            cur_len = 0;
        }
    }
    fn push_groups(out: &mut String, groups: &[u16]) {
        for (i, &g) in groups.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            let digits = 1 + (15 - (g | 1).leading_zeros() as usize) / 4;
            for d in (0..digits).rev() {
                let nibble = (g >> (4 * d)) & 0xf;
                out.push(char::from(b"0123456789abcdef"[nibble as usize]));
            }
        }
    }
    let mut out = String::with_capacity(39);
    if run_len > 1 {
        push_groups(&mut out, &groups[..run_start]);
        out.push_str("::");
        push_groups(&mut out, &groups[run_start + run_len..]);
    } else {
        push_groups(&mut out, &groups);
    }
    out
}

/// Parses a strict dotted quad: four decimal octets 0-255, no leading zeros unless every
/// octet is written with exactly three digits (zero-padded logs).
pub fn parse_ipv4(text: &[u8]) -> Option<Ipv4Addr> {
    // octet by octet, up to three digits each (asked of every dotted number of a text,
    // every URL's host and every address key with a port); the form split at dots, kept
    // in the tests, is the definition it is tested against
    if !(7..=15).contains(&text.len()) {
        return None;
    }
    let digit = |i: usize| {
        text.get(i)
            .map(|b| b.wrapping_sub(b'0'))
            .filter(|&d| d <= 9)
            .map(u32::from)
    };
    let mut octets = [0u8; 4];
    let mut at = 0usize;
    let (mut padded, mut all_three) = (false, true);
    for (k, octet) in octets.iter_mut().enumerate() {
        if k > 0 {
            if text.get(at) != Some(&b'.') {
                return None;
            }
            at += 1;
        }
        let first = digit(at)?;
        let (mut value, mut len) = (first, 1);
        if let Some(d) = digit(at + 1) {
            (value, len) = (value * 10 + d, 2);
            if let Some(d) = digit(at + 2) {
                (value, len) = (value * 10 + d, 3);
            }
        }
        if value > 255 {
            return None;
        }
        padded |= len > 1 && first == 0;
        all_three &= len == 3;
        *octet = value as u8;
        at += len;
    }
    if at != text.len() || (padded && !all_three) {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// [`parse_ipv4`] as it was before it read octet by octet (one pass over the bytes).
#[cfg(test)]
fn parse_ipv4_by_bytes(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0usize;
    let (mut value, mut len, mut first) = (0u32, 0usize, 0u8);
    let (mut padded, mut all_three) = (false, true);
    for &b in text {
        if b == b'.' {
            if len == 0 || value > 255 || n == 3 {
                return None;
            }
            padded |= len > 1 && first == b'0';
            all_three &= len == 3;
            octets[n] = value as u8;
            n += 1;
            (value, len) = (0, 0);
        } else {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 || len == 3 {
                return None;
            }
            if len == 0 {
                first = b;
            }
            value = value * 10 + u32::from(digit);
            len += 1;
        }
    }
    if len == 0 || value > 255 || n != 3 {
        return None;
    }
    padded |= len > 1 && first == b'0';
    all_three &= len == 3;
    octets[3] = value as u8;
    if padded && !all_three {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// [`parse_ipv4`] as it was first written (parts split at dots).
#[cfg(test)]
fn parse_ipv4_by_parts(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut n = 0;
    let mut padded = 0;
    for part in text.split(|&b| b == b'.') {
        if n == 4 || part.is_empty() || part.len() > 3 || !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v: u32 = part.iter().fold(0, |a, &d| a * 10 + u32::from(d - b'0'));
        if v > 255 {
            return None;
        }
        if part.len() > 1 && part[0] == b'0' {
            padded += 1;
        }
        octets[n] = v as u8;
        n += 1;
    }
    if n != 4 {
        return None;
    }
    if padded > 0 && !text.split(|&b| b == b'.').all(|p| p.len() == 3) {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// Whether a dotted name as written is code rather than a host, by the case of its
/// letters, which names written in text never mix so:
/// - its last label mixes upper and lower case (`System.Net`, `Drawing.Design`);
/// - under a TLD other than those hosts are written under with capitals (`com`, `io`:
///   `iCloud.com`, `GitHub.io`; `data/name-shapes.txt`), its last label is in capitals
///   after a label with lower case (`logging.INFO`, `restic.ID`, and `caracteres.JO`, the
///   end of one sentence glued to the start of the next in a binary's messages);
/// - under such a TLD too, a label before the last has a capital after a lower-case
///   letter (`clientRect.top`, `ProtocolError.id`, `SassColor.red`).
fn is_code_shaped(written: &[u8]) -> bool {
    let mut labels = written.rsplit(|&b| b == b'.');
    let last = labels.next().unwrap_or(b"");
    let upper = last.iter().any(u8::is_ascii_uppercase);
    let lower = last.iter().any(u8::is_ascii_lowercase);
    if upper && lower {
        return true;
    }
    let rest = &written[..written.len() - last.len()];
    // (the shapes first: most names are in one case, and then the TLD does not matter)
    ((upper && last.len() >= 2 && rest.iter().any(u8::is_ascii_lowercase))
        || labels.any(|label| {
            label
                .iter()
                .skip_while(|b| !b.is_ascii_lowercase())
                .any(u8::is_ascii_uppercase)
        }))
        && !tables::brand_tlds().contains(last)
}

/// Whether a name as written is a member access in code: a class name (a capital, then
/// lower case) and, in lower case, a method or attribute that is also a TLD
/// (`CParser.read`, `InputContainer.seek`, `ListBase.map`; `data/member-tlds.txt`).
fn is_member_access(written: &[u8]) -> bool {
    let mut labels = written.rsplit(|&b| b == b'.');
    let (Some(last), Some(class)) = (labels.next(), labels.next()) else {
        return false;
    };
    class.first().is_some_and(u8::is_ascii_uppercase)
        && class.iter().any(u8::is_ascii_lowercase)
        && last.iter().all(u8::is_ascii_lowercase)
        && tables::member_tlds().contains(last)
}

/// Whether a lower-case name ending in `.so` is a shared object's file name: a Python
/// extension module (`_ufuncs.cpython-311-darwin.so`, `_rust.abi3.so`, `pypy` tags), a
/// library (`libgtk-x11-2.0.so`: a `lib` name, a version before `.so`), a Wine DLL
/// (`ntdll.dll.so`).
fn is_shared_object(name: &str) -> bool {
    let Some(rest) = name.strip_suffix(".so") else {
        return false;
    };
    let last = rest.rsplit('.').next().unwrap_or("");
    name.starts_with("lib")
        || last.bytes().all(|b| b.is_ascii_digit())
        || rest.split('.').any(|label| {
            label.starts_with("cpython-")
                || label.starts_with("pypy")
                || label == "abi3"
                || label == "dll"
        })
}

/// Whether a lower-case name of three labels or more is a version with a word after it:
/// every label but the last is a number (`0.3.27.dev`, `2.15.2.dev`).
fn is_dotted_version(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(numbers, _)| {
        numbers.contains('.')
            && numbers
                .split('.')
                .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// Whether a lower-case name is a build file's: a build file's stem with its ending
/// (`makefile.in`, `configure.ac`, `requirements.in`), or a template, a source ending
/// followed by `.in`, `.am` or `.ac` (`omp.h.in`, `pyx.in`; both lists in
/// `data/name-shapes.txt`).
fn is_build_file(name: &str) -> bool {
    let mut labels = name.rsplit('.');
    let (Some(tld), Some(before)) = (labels.next(), labels.next()) else {
        return false;
    };
    matches!(tld, "in" | "am" | "ac" | "py")
        && ((labels.next().is_none() && tables::build_file_stems().contains(before))
            || (tld != "py" && tables::template_endings().contains(before)))
}

/// Whether a two-label name as written looks like a file name: its first label has an
/// upper-case letter after a lower-case one (`setup-F4CG.zip`, `myPhotos.mov`); host
/// names are written in one case.
fn is_file_shaped(written: &[u8]) -> bool {
    let first = written.split(|&b| b == b'.').next().unwrap_or(b"");
    first
        .iter()
        .position(u8::is_ascii_lowercase)
        .is_some_and(|i| first[i..].iter().any(u8::is_ascii_uppercase))
}

/// Whether a list item is a host: an IPv4 address or a name with a public suffix that is
/// not also a file extension or a member name (`data/member-tlds.txt`).
fn is_host_like(item: &[u8]) -> bool {
    if item.is_empty() || !item.contains(&b'.') {
        return false;
    }
    if parse_ipv4(item).is_some() {
        return true;
    }
    let name = lower(item);
    let tld = name.rsplit('.').next().unwrap_or("");
    // a file name (`setup.zip`), code (`time.now`, `sys.ui.control.id`) or a short name
    // (`a.id`) next to a name says nothing
    !tables::ambiguous_tlds().contains(tld)
        && !tables::member_tlds().contains(tld.as_bytes())
        && !is_short_name(&name)
        && !is_code_path(&name, tld)
        && validate::is_domain(&name, DomainContext::Free)
}

/// Whether the only component of a drive path (`X:\NAME`) is noise from binary data or
/// a piece of a regular expression rather than a folder at a drive's root: fewer than
/// three characters after a leading `$` (`R:\Sg`, `D:\$0`), or characters such a folder
/// does not hold (`H:\=s=`, `A:/[A`, `w:\.]+`, `d:\d{2}`). Names with blanks, balanced
/// parentheses, `%` or a whole `{GUID}` stay (`Program Files (x86)`, `$Recycle.Bin`,
/// `freetds.log.%d`).
fn is_noise_root(component: &str) -> bool {
    let name = component.strip_prefix('$').unwrap_or(component);
    let bytes = name.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
    let mut depth = 0i32;
    let braces = bytes.first() == Some(&b'{') && bytes.last() == Some(&b'}');
    name.len() < 3
        || !(word(bytes[0]) || braces)
        || bytes.iter().any(|&b| {
            match b {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            depth < 0
                || !(word(b)
                    || matches!(b, b'_' | b'.' | b'-' | b'~' | b' ' | b'%' | b'(' | b')')
                    || (braces && matches!(b, b'{' | b'}')))
        })
        || depth != 0
}

/// Whether a lower-case name is short: two labels, one or two characters under a TLD
/// other than `com`, `net` and `org` (`a.id`, `f.nl`, `7.ax`, `a.top`, `p.blue`).
/// Scripts name their variables so (`x.id`, `a.top`, `b.click` in minified JavaScript)
/// and a binary's data holds such bytes by chance (`F.NL`, `X.red`); the few real hosts
/// this short (`t.me`, `is.gd`, `go.dev`) are written with a path or among hosts.
fn is_short_name(name: &str) -> bool {
    // (the dot is the second or third byte: longer names are turned away at once)
    let Some(dot) = name.bytes().take(3).position(|b| b == b'.') else {
        return false;
    };
    let tld = &name[dot + 1..];
    dot >= 1 && !tld.is_empty() && !tld.contains('.') && !is_big_three(tld)
}

/// Whether a TLD is `com`, `net` or `org`, under which short names and names led by a
/// code identifier are written as hosts (`x.com`, `data.example.com`).
fn is_big_three(tld: &str) -> bool {
    matches!(tld, "com" | "net" | "org")
}

/// Whether a lower-case name of three labels or more is a path in code: its first label
/// a code identifier, its TLD not one of the three that hosts under such a first label
/// have (`data.example.com`, `system.example.net`).
fn is_code_path(name: &str, tld: &str) -> bool {
    !is_big_three(tld)
        && count(name.as_bytes(), b'.') >= 2
        && name
            .split('.')
            .next()
            .is_some_and(|first| tables::code_identifiers().contains(first))
}

/// Whether a list item is a file name whose extension is not a TLD (`kernel32.dll`,
/// `report.docx`).
fn is_plain_file_name(item: &[u8]) -> bool {
    let Some(dot) = memchr::memrchr(b'.', item) else {
        return false;
    };
    let ext = &item[dot + 1..];
    if dot == 0
        || !(2..=5).contains(&ext.len())
        || !ext.iter().all(u8::is_ascii_alphanumeric)
        || !ext.iter().any(u8::is_ascii_alphabetic)
    {
        return false;
    }
    let name = lower(item);
    !item.contains(&b'/') && !validate::is_domain(&name, DomainContext::Structured)
}

/// Whether a list item is a version number of two or three parts (`1.2`, `1.2.13`).
fn is_short_version(item: &[u8]) -> bool {
    let mut parts = item.split(|&b| b == b'.');
    (2..=3).contains(&parts.clone().count())
        && parts.all(|p| !p.is_empty() && p.len() <= 4 && p.iter().all(u8::is_ascii_digit))
}

/// Whether a dotted quad is an OID (`data/oid-prefixes.txt`).
fn is_oid(quad: &[u8]) -> bool {
    tables::oid_prefixes().iter().any(|p| {
        if p.ends_with(b".") {
            quad.starts_with(p)
        } else {
            quad == &p[..]
        }
    })
}

fn is_technique(t: &[u8]) -> bool {
    let ok_main =
        t.len() >= 5 && t[0] == b'T' && t[1] == b'1' && t[1..5].iter().all(u8::is_ascii_digit);
    match t.len() {
        5 => ok_main,
        9 => ok_main && t[5] == b'.' && t[6..9].iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

fn cve(t: &[u8]) -> Option<String> {
    let rest = &t[4..];
    let (year, num) = rest.split_at(rest.iter().position(|&b| b == b'-')?);
    let num = &num[1..];
    if year.len() == 4
        && year.iter().all(u8::is_ascii_digit)
        && (year[0] == b'1' || year[0] == b'2')
        && (4..=7).contains(&num.len())
        && num.iter().all(u8::is_ascii_digit)
    {
        Some(format!("CVE-{}-{}", ascii(year), ascii(num)))
    } else {
        None
    }
}

fn count(s: &[u8], c: u8) -> usize {
    memchr::memchr_iter(c, s).count()
}

fn lower(b: &[u8]) -> String {
    let mut s = ascii(b);
    s.make_ascii_lowercase();
    s
}

fn ascii(b: &[u8]) -> String {
    let mut text = String::with_capacity(b.len());
    crate::primitives::push_text(&mut text, b);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift) for the agreement tests below.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// The anchors found sixteen or eight bytes at a time are the bytes the definition
    /// names, one by one, for every byte value in every place of a block and in runs
    /// around the blocks' ends.
    #[test]
    fn anchors_equal_the_bytes_named() {
        let is_anchor = |b: u8| matches!(b, b'.'..=b':' | b'@' | b'\\');
        let by_bytes = |buf: &[u8], from: usize| {
            buf[from..]
                .iter()
                .position(|&b| is_anchor(b))
                .map(|p| from + p)
        };
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut buf = vec![b'x'; 21];
                buf[at] = b;
                for from in [0, 1, at, at + 1] {
                    let expected = by_bytes(&buf, from);
                    assert_eq!(
                        next_anchor(&buf, from),
                        expected,
                        "{b:#04x} at {at} from {from}"
                    );
                    assert_eq!(
                        next_anchor_by_words(&buf, from),
                        expected,
                        "{b:#04x} at {at}"
                    );
                }
            }
        }
        let mut state = 0x1234_5678_9abc_def1;
        for len in 0..80 {
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next(&mut state);
                    if r.is_multiple_of(9) {
                        b"./09:@\\-A"[(r >> 8) as usize % 9]
                    } else {
                        (r >> 16) as u8 & 0x7f | b'A'
                    }
                })
                .collect();
            for from in 0..=len {
                assert_eq!(
                    next_anchor(&buf, from),
                    by_bytes(&buf, from),
                    "{buf:?} {from}"
                );
            }
        }
    }

    /// The byte-by-byte loop `url_end` replaced.
    fn url_end_by_match(buf: &[u8], host_start: usize, opener: u8, backslashed: bool) -> usize {
        let mut end = host_start;
        let mut in_host = true;
        let mut in_query = false;
        while end < buf.len() {
            let b = buf[end];
            let ok = match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => true,
                b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'?' | b'#' | b'@' | b'!' | b'$'
                | b'&' | b'(' | b')' | b'*' | b'+' | b';' | b'=' | b'%' => true,
                b'\'' => opener != b'\'',
                b',' => in_query,
                b'[' | b']' => in_host,
                b'\\' => backslashed,
                _ => false,
            };
            if !ok {
                break;
            }
            if in_host && matches!(b, b'/' | b'?' | b'#' | b'\\') {
                in_host = false;
            }
            if b == b'?' {
                in_query = true;
            }
            end += 1;
        }
        end
    }

    #[test]
    fn url_end_equals_the_byte_by_byte_loop() {
        let openers = [b'\'', b'"', b' ', 0];
        // every byte value after a host, in a path and in a query
        for b in 0..=255u8 {
            for prefix in [&b"h"[..], b"h/p", b"h?q=1", b"[2001:db8::1]", b"h\\p"] {
                let mut buf = prefix.to_vec();
                buf.push(b);
                buf.extend_from_slice(b"x,y'z]");
                for opener in openers {
                    for backslashed in [false, true] {
                        assert_eq!(
                            url_end(&buf, 0, opener, backslashed),
                            url_end_by_match(&buf, 0, opener, backslashed),
                            "{b:#04x} after {prefix:?}"
                        );
                    }
                }
            }
        }
        let mut state = 0x0bad_cafe_f00d_d00d;
        let alphabet: &[u8] = b"a0-._~:/?#@!$&()*+;=%',[]\\ \"<>{}|^`\x7f\x80\t\n";
        for _ in 0..3000 {
            let len = (next(&mut state) % 40) as usize;
            let buf: Vec<u8> = (0..len)
                .map(|_| alphabet[next(&mut state) as usize % alphabet.len()])
                .collect();
            for start in 0..=len {
                for opener in openers {
                    for backslashed in [false, true] {
                        assert_eq!(
                            url_end(&buf, start, opener, backslashed),
                            url_end_by_match(&buf, start, opener, backslashed),
                            "{buf:?} {start}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn ipv6_text_equals_the_standard_display() {
        let mut fixed: Vec<Ipv6Addr> = [
            "::",
            "::1",
            "1::",
            "2001:db8::1",
            "2001:db8:0:0:1:0:0:1",
            "2001:db8:0:1:0:0:0:1",
            "2001:0:0:1:0:0:0:1",
            "0:0:1:0:0:1:0:0",
            "2001:db8:1:1:1:1:1:0",
            "2001:db8:ffff:abcd:10:100:1000:fff0",
            "::ffff:192.0.2.1",
            "::192.0.2.1",
            "64:ff9b::192.0.2.1",
            "fe80::1:2:3:4",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ]
        .iter()
        .map(|t| t.parse().unwrap())
        .collect();
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let r = next(&mut state);
            let mut groups = [0u16; 8];
            for (i, g) in groups.iter_mut().enumerate() {
                // zero groups often, in runs of every length; values of every width
                *g = match (r >> (i * 3)) & 7 {
                    0..=3 => 0,
                    4 => (next(&mut state) & 0xf) as u16,
                    5 => (next(&mut state) & 0xff) as u16,
                    6 => (next(&mut state) & 0xfff) as u16,
                    _ => next(&mut state) as u16,
                };
            }
            fixed.push(Ipv6Addr::from(groups));
        }
        for ip in fixed {
            assert_eq!(ipv6_text(ip), ip.to_string(), "{:?}", ip.segments());
        }
    }

    #[test]
    fn ipv6_groups_are_read_as_the_standard_parser_reads_them() {
        let mut texts: Vec<String> = [
            "::",
            "::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            ":1::",
            "1:2:",
            ":::",
            "1:::2",
            "1::2::3",
            "12345::",
            "2001:db8::1",
            "2001:DB8::A",
            "fe80::1:2:3:4",
            "0:0:0:0:0:0:0:0",
            "ffff::ffff",
            "",
            ":",
            "1",
            "1:2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let pieces = ["0", "1", "a", "F", "ffff", "12345", "db8", ":", "::", ":::"];
        let mut state = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            let n = next(&mut state) % 12;
            texts.push(
                (0..n)
                    .map(|_| pieces[(next(&mut state) % pieces.len() as u64) as usize])
                    .collect(),
            );
        }
        for t in &texts {
            assert_eq!(
                parse_ipv6_groups(t.as_bytes()),
                t.parse::<Ipv6Addr>().ok(),
                "{t:?}"
            );
        }
    }

    #[test]
    fn parse_ipv4_equals_the_form_split_at_dots() {
        let fixed: [&[u8]; 18] = [
            b"192.0.2.1",
            b"192.000.002.001",
            b"192.0.02.1",
            b"0.0.0.0",
            b"255.255.255.255",
            b"256.1.1.1",
            b"1.2.3",
            b"1.2.3.4.5",
            b"1..2.3",
            b".1.2.3",
            b"1.2.3.",
            b"1234.1.1.1",
            b"1.2.3.4a",
            b"",
            b"010.020.030.040",
            b"00.1.2.3",
            b"1.2.3.400",
            b"1.2.3.04",
        ];
        for t in fixed {
            assert_eq!(parse_ipv4(t), parse_ipv4_by_parts(t), "{:?}", ascii(t));
            assert_eq!(parse_ipv4(t), parse_ipv4_by_bytes(t), "{:?}", ascii(t));
        }
        let mut state = 0x2545_f491_4f6c_dd1d;
        // texts of up to 17 bytes: digits, dots and other bytes; then dotted runs of
        // digits, most of them near an address's shape (the octet-by-octet reader against
        // the byte-by-byte one)
        for (alphabet, count) in [(&b"0123456789..a/"[..], 200_000), (b"0019255..", 300_000)] {
            for _ in 0..count {
                let len = (next(&mut state) % 18) as usize;
                let t: Vec<u8> = (0..len)
                    .map(|_| alphabet[(next(&mut state) % alphabet.len() as u64) as usize])
                    .collect();
                assert_eq!(parse_ipv4(&t), parse_ipv4_by_parts(&t), "{:?}", ascii(&t));
                assert_eq!(parse_ipv4(&t), parse_ipv4_by_bytes(&t), "{:?}", ascii(&t));
            }
        }
        // quads of plain, two- and three-digit octets, in and out of range
        for _ in 0..50_000 {
            let t = (0..4)
                .map(|_| {
                    let v = next(&mut state) % 300;
                    match next(&mut state) % 3 {
                        0 => format!("{v:03}"),
                        1 => format!("{v:02}"),
                        _ => v.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join(".");
            assert_eq!(
                parse_ipv4(t.as_bytes()),
                parse_ipv4_by_parts(t.as_bytes()),
                "{t}"
            );
            assert_eq!(
                parse_ipv4(t.as_bytes()),
                parse_ipv4_by_bytes(t.as_bytes()),
                "{t}"
            );
        }
    }

    fn found(text: &str) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = Scanner::default()
            .scan_bytes(text.as_bytes())
            .into_iter()
            .map(|h| (h.kind.to_string(), h.value))
            .collect();
        v.sort();
        v
    }

    /// The values of one kind found in `text`, sorted.
    fn found_of(text: &str, kind: &str) -> Vec<String> {
        found(text)
            .into_iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, v)| v)
            .collect()
    }

    fn has(text: &str, kind: &str, value: &str) -> bool {
        found(text).iter().any(|(k, v)| k == kind && v == value)
    }

    #[test]
    fn urls_and_hosts() {
        let f = found("get hxxp://evil[.]example[.]com/a.php?x=1. now");
        assert!(f.contains(&("url".into(), "http://evil.example.com/a.php?x=1".into())));
        assert!(f.contains(&("domain".into(), "evil.example.com".into())));
        assert!(has(
            "pool stratum+tcp://203.0.113.5:3333",
            "url",
            "stratum+tcp://203.0.113.5:3333"
        ));
        assert!(has(
            "pool stratum+tcp://203.0.113.5:3333",
            "ipv4",
            "203.0.113.5"
        ));
        assert!(has(
            "[link](https://example.org/x_(y))",
            "url",
            "https://example.org/x_(y)"
        ));
        assert!(has(
            "(see https://example.org/a)",
            "url",
            "https://example.org/a"
        ));
    }

    /// URLs kept end to end without a separator (strings of Go and Rust binaries) are
    /// each one URL; a URL inside another's path or query stays part of it.
    #[test]
    fn urls_glued_end_to_end_are_split() {
        let urls = |text: &str| found_of(text, "url");
        assert_eq!(
            urls(
                "https://example.com/rules/no-consoleHTTPS://example.net/a.phphttp://example.org/"
            ),
            [
                "http://example.org/",
                "https://example.com/rules/no-console",
                "https://example.net/a.php"
            ]
        );
        for whole in [
            "https://web.archive.org/web/2015/http://example.org/x",
            "https://example.com/r?u=https://example.net/",
            "https://example.com/r?u=http%3A//example.net/",
        ] {
            assert_eq!(urls(whole), [whole], "{whole}");
        }
    }

    /// Dotted names in the code that real programs carry (Python and JavaScript in wheels
    /// and packages, Go type names and symbols) are no hosts; the same names written as
    /// hosts are.
    #[test]
    fn names_in_code_are_not_hosts() {
        check_hosts(
            &[
                ">>> plt.show()",
                "return getter ? getter.call(obj) : member.get(obj)",
                "step(generator.next(value))",
                "*time.zone\0*singleflight.call\x01",
                "type:.eq.net/netip.parseAddrError\0type:.hash.golang.org/x/text/language.Tag",
                // C members through a pointer, shader members of an array element, a Go
                // slice type
                "unexpected revs->pending.nr: %d",
                "cairo_list_is_empty (&surface->operand.link)",
                "ambient += ffp_light[%u].ambient.xyz * att;",
                "\0*[]time.zone\0",
                // attributes ending in a TLD of `data/member-tlds.txt`, a NetCDF file
                "slices.Sort[go.shape.[]int,go.shape.int]",
                "print row.total",
                "uuid.int must be an int",
                ">>> f = Dataset(\"complex.nc\",\"w\")",
                // a label that runs on, a key given a value, a regular expression
                "Value.info_",
                "invalid fsck.repair= parameter",
                "|barstate\\.is(first|history)|color\\.new|hline\\.style_(dotted|solid)",
                "^www\\.example\\.com$ and \\.example\\.org\\b",
            ],
            &[
                // emphasis, a footnote mark, a module path's host, a call's argument
                ("C2: **c2.example.net**", "c2.example.net"),
                ("*c2.example.net, seen twice", "c2.example.net"),
                ("*example.org/c2.Config\0", "example.org"),
                ("resolve(c2.example.net)", "c2.example.net"),
                ("see c2.example.net (mirror)", "c2.example.net"),
                // a defanged name is kept whatever follows it
                ("c2[.]example[.]net()", "c2.example.net"),
                ("C2: c2\\.example\\.net (mirror)", "c2.example.net"),
                ("_c2.example.net_ in italics", "c2.example.net"),
            ],
        );
    }

    #[test]
    fn home_paths_of_one_name_in_binaries() {
        // DWARF bytes before variable names, whole strings of a binary
        for text in [
            "\0~/extent\0",
            "\x01~/LIBERROR_END\0",
            "\0~/hWnd\x02",
            ";t$`~/Hc",
            "S(~/Hc@(H",
            "|.~>~F~7~2~C~+~=~1~E~A~4~9~H~5~?~/~D",
        ] {
            assert_eq!(
                found_of(text, "file_path"),
                Vec::<String>::new(),
                "{text:?}"
            );
        }
        for (text, path) in [
            ("\0~/Desktop\0", "~/Desktop"),
            ("\0~/.bashrc\0", "~/.bashrc"),
            ("\0~/Library/LaunchAgents\0", "~/Library/LaunchAgents"),
            ("copies itself to ~/updater and", "~/updater"),
            ("paths:\n~/updater\n", "~/updater"),
            ("$ ls ~/bin", "~/bin"),
        ] {
            assert_eq!(found_of(text, "file_path"), [path], "{text:?}");
        }
    }

    /// Asserts that none of `code` yields a domain, and that each text of `hosts` yields
    /// its host.
    fn check_hosts(code: &[&str], hosts: &[(&str, &str)]) {
        for text in code {
            assert_eq!(found_of(text, "domain"), Vec::<String>::new(), "{text:?}");
        }
        for (text, host) in hosts {
            assert!(
                found_of(text, "domain").contains(&host.to_string()),
                "{text:?}"
            );
        }
    }

    /// SSH's own names (`name@openssh.com`) are no e-mail addresses; addresses are.
    #[test]
    fn protocol_names_are_not_addresses() {
        let all = found(
            "ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com \
             kex curve25519-sha256@libssh.org; hostkeys-00@openssh.com",
        );
        assert_eq!(all, Vec::<(String, String)>::new());
        assert!(has("mail admin@example.com", "email", "admin@example.com"));
        assert!(has("ask ops[@]openssh[.]com", "email", "ops@openssh.com"));
    }

    /// Dart's private names (`_Name@<library number>`) and names under a top-level label
    /// in mixed case (binary data) are no addresses; addresses under numbered domains and
    /// top-level labels in one case or capitalised are.
    #[test]
    fn dart_names_and_mixed_case_top_labels_are_not_addresses() {
        for text in [
            "\0_NativeSocket@166069316.watch\0_Uri@0150898.directory\0",
            "\0>Jjlq@a.gI\0J>lj@q.aIg\0",
        ] {
            assert_eq!(found(text), Vec::<(String, String)>::new(), "{text:?}");
        }
        for (text, address) in [
            ("mail ops@163.com now", "ops@163.com"),
            (
                "from user_1@20240101.example.com",
                "user_1@20240101.example.com",
            ),
            ("to Admin@Example.COM or", "admin@example.com"),
            ("to Sales@Shop.Com", "sales@shop.com"),
            ("id x_y@1234567.com", "x_y@1234567.com"),
        ] {
            assert!(has(text, "email", address), "{text:?}");
        }
    }

    /// An IPv6 address is written in one case; names around `::` in both are none.
    #[test]
    fn ipv6_in_mixed_case_is_a_name() {
        for text in [
            "regex::dfa::DFA(x)",
            "[with Type = CFF::cff1_top_dict_val_t; bool]",
            "\09::D:a:\0",
        ] {
            assert_eq!(found_of(text, "ipv6"), Vec::<String>::new(), "{text:?}");
        }
        assert!(has("peer FE80::1:AB", "ipv6", "fe80::1:ab"));
        assert!(has("peer fe80::1:ab", "ipv6", "fe80::1:ab"));
        assert!(has("dst=2001:DB8::C0FF:EE", "ipv6", "2001:db8::c0ff:ee"));
    }

    /// systemd's 128-bit ids (`MESSAGE_ID=`, `_BOOT_ID=`) are no MD5s; a digest after
    /// a word joined by `_` to a context word is none either; other digests are, whatever
    /// key in `_` comes before them.
    #[test]
    fn systemd_ids_are_not_digests() {
        for text in [
            "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1",
            "_BOOT_ID=8d45620c1a4348dbb17410da57c60c66 _MACHINE_ID=e7852bfe46784ed0accde04bc864c2d5",
            "INVOCATION_ID=9e7066279dc8403da79ce4b1a69064b2",
            "api_token 9fa9d2c012134ec385451ffe316f97d0",
        ] {
            assert_eq!(found_of(text, "md5"), Vec::<String>::new(), "{text:?}");
        }
        for text in [
            "md5=9fa9d2c012134ec385451ffe316f97d0",
            "sample_hash 9fa9d2c012134ec385451ffe316f97d0",
            "FILE_MD5: 9fa9d2c012134ec385451ffe316f97d0",
        ] {
            assert_eq!(
                found_of(text, "md5"),
                ["9fa9d2c012134ec385451ffe316f97d0"],
                "{text:?}"
            );
        }
    }

    /// Paths with no drive that are pieces of regular expressions or TeX are no paths;
    /// folders with braces, parentheses or plus signs of their own are.
    #[test]
    fn patterns_are_not_rooted_paths() {
        let paths = |text: &str| found_of(text, "file_path");
        for pattern in [
            r"re.compile(r'\s+(\w+)\s*=\s*')",
            r"version: \d+\.\d+\.\d+(-[\w.]+)?",
            r"ident \p{L}][\p{L}\p{N}]+",
            r"$\frac{1}{\sqrt{2\pi}}$ and \exp(-\frac{x}{\beta})",
            r"date \d{4}-\d{2}-\d{2}",
        ] {
            assert_eq!(paths(pattern), Vec::<String>::new(), "{pattern:?}");
        }
        for (text, path) in [
            (
                r"dropped \Users\Public\{2F9A1C3E-0000-4000-8000-00000000AB12}\svc.exe",
                r"\Users\Public\{2F9A1C3E-0000-4000-8000-00000000AB12}\svc.exe",
            ),
            (
                r"run \Program Files (x86)\Notepad++\notepad++.exe now",
                r"\Program Files (x86)\Notepad++\notepad++.exe",
            ),
            (
                r"open \Device\HarddiskVolume2\Windows\Temp\a.bin",
                r"\Device\HarddiskVolume2\Windows\Temp\a.bin",
            ),
        ] {
            assert!(
                paths(text).contains(&path.to_string()),
                "{text:?}: {:?}",
                paths(text)
            );
        }
    }

    /// A name ending in a TLD that is also a method, attribute or setting name is code,
    /// unless a path, a port, `www.`, a host field or host words say it is a host.
    #[test]
    fn code_word_names_need_a_host_context() {
        check_hosts(
            &[
                "\"es.array.map\": {}, \"esnext.async-iterator.map\": {}",
                "t = time.now\0pytest.fail\0go.shape.map",
                "git config --global --add safe.directory '*'",
                "see meson.build and hatchling.build; h5py.h5o.open",
            ],
            &[
                ("dep buf.build/gen/go/bufbuild/protovalidate", "buf.build"),
                (
                    "the C2 domain evil-cdn.video resolved to 192.0.2.7",
                    "evil-cdn.video",
                ),
                ("connect evil-cdn.network:8443", "evil-cdn.network"),
                ("visit www.example.map today", "www.example.map"),
                ("dns query host=evil.group", "evil.group"),
                (
                    "beacons to files.example.stream every minute",
                    "files.example.stream",
                ),
                ("fetched hxxp://evil[.]map/a and evil[.]data", "evil.data"),
            ],
        );
    }

    /// Short names (one or two characters under a country code) need a host context
    /// too; Protocol Buffers and Python module names are code.
    #[test]
    fn short_names_and_rule_names_are_not_hosts() {
        check_hosts(
            &[
                "data.map((x) => <Hello key={x.id}>{x}</Hello>); if(a.id)k+=a.id",
                "\0]PFP]T]bAF7N]O]D]=]M]QLI]B]HC<F.NL]H]A]F]\0;7.AX\0SD.MQ[P[R",
                "!has(rules.gte) && !has(rules.gt) && this >= rules.lt\0int32.gt\0float.in",
                "import collections.abc; operator.ge, np.int",
                "a.left=c+\"px\";a.top=d+\"px\"}; if(b&&typeof b.click!==\"undefined\")",
                "\0P.blue\0X.red\0L.green\0C.int\0gc.pid\0",
            ],
            &[
                ("join t.me/evil_channel now", "t.me"),
                ("see https://go.dev/blog and go.dev/doc", "go.dev"),
                ("the C2 domain ab.xyz resolved", "ab.xyz"),
                ("contacted x.com and a.io", "x.com"),
                ("dns query host=is.gd", "is.gd"),
                ("shorteners: bit.ly, is.gd, tinyurl.com", "is.gd"),
                ("fetched hxxp://evil[.]map/a and x[.]id", "x.id"),
                ("the C2 domain x1.io resolved", "x1.io"),
            ],
        );
    }

    /// Members read in code kept in binaries (the DOM, Win32 structures, shader
    /// registers, pytest marks, configuration keys) are no hosts; written as hosts, they are.
    #[test]
    fn members_read_in_code_are_not_hosts() {
        check_hosts(
            &[
                "if (element.id) { f(category.id) }",
                "hwnd=%p, size.cx=%ld, size.cy=%ld stub; rect.box { fill: rgb(1,2,3) }",
                "MUL ret.xyz, ret, fragment; ret.zw = t.ww;",
                "@pytest.mark.foo def test(): del grp.foo",
                "lexer.haskell.import.safe",
            ],
            &[
                ("beacon to size[.]cx", "size.cx"),
                ("GET http://grp.foo/a", "grp.foo"),
                ("resolved pytest.mark.foo:8443", "pytest.mark.foo"),
            ],
        );
    }

    /// Paths in code under a code identifier (ASP.NET AJAX, core-js, Python packages,
    /// FFmpeg's metadata keys, TextMate scopes) are no hosts; under com, net or org, with
    /// a path or a port, or among hosts, such names are.
    #[test]
    fn paths_in_code_are_not_hosts() {
        check_hosts(
            &[
                "Sys.UI.Control.id; Sys.Component.id",
                "\"es.string.link\": { \"esnext.array.at\": { \"es6.object.is\": {",
                ":meth:`gevent.core.loop.io` and gevent.libev.corecext.loop.run",
                "see (`~astropy.wcs.Wcsprm.cd`) and pandas.core.construction",
                "lavfi.idet.repeated.top source.shell.fish",
            ],
            &[
                ("connects to data.example.com", "data.example.com"),
                (
                    "beacon system.update.example.net daily",
                    "system.update.example.net",
                ),
                ("GET source.evil.io/x", "source.evil.io"),
                ("resolved es.cdn.ru:443", "es.cdn.ru"),
                ("dns query host=gevent.core.io", "gevent.core.io"),
            ],
        );
    }

    /// Build files and Autoconf or CMake templates are files; hosts under those TLDs
    /// stay hosts.
    #[test]
    fn build_files_are_not_hosts() {
        check_hosts(
            &[
                "edit Makefile.am, configure.ac and MANIFEST.in",
                "pip-compile requirements.in; python setup.py install",
                "setup.py build host",
                "generates omp.h.in and _ufuncs.pyx.in from foo.cmake.in",
            ],
            &[
                ("the C2 domain setup-update.in resolved", "setup-update.in"),
                ("beacons to makefile.example.in", "makefile.example.in"),
                ("contacted config.example.in", "config.example.in"),
            ],
        );
    }

    /// Names whose letters are in cases hosts are not written in are code, or two
    /// sentences glued together; capitals inside a label are kept under brand TLDs, and
    /// names all in capitals are hosts.
    #[test]
    fn case_shapes_of_code_are_not_hosts() {
        check_hosts(
            &[
                "level=logging.INFO; *[]restic.ID; t = compact.ID",
                "nao existe.HN\0caracteres.JO comando",
                "if (clientRect.top > 0) x = curElem.id; ProtocolError.id SassColor.red",
                "dateTime.tz irWqeYlfrZ5.it",
            ],
            &[
                ("sign in at iCloud.com now", "icloud.com"),
                ("see BeOpen.com and eBay.com", "beopen.com"),
                ("pages on GitHub.io", "github.io"),
                ("realm CORP.EXAMPLE.COM trusts", "corp.example.com"),
                ("EVIL-CDN.Example.NET", "evil-cdn.example.net"),
                ("visit Google.de or Amazon.in", "amazon.in"),
            ],
        );
    }

    /// A Rust source path glued to the next string of a binary ends at its `.rs`; a `.rs`
    /// outside a `src` folder, and names such as `README.rst`, are kept whole; Rust's own
    /// `library/core/src/…` is no macOS `Library` path.
    #[test]
    fn rust_source_paths_end_at_their_rs() {
        let paths = |text: &str| found_of(text, "file_path");
        for (text, want) in [
            (
                "\0C:\\Users\\runneradmin\\.cargo\\registry\\src\\pyo3-0.20.3\\src\\gil.rsH\0",
                "C:\\Users\\runneradmin\\.cargo\\registry\\src\\pyo3-0.20.3\\src\\gil.rs",
            ),
            (
                "\0/home/runner/work/ruff/ruff/crates/a/src/locator.rsassertion failed\0",
                "/home/runner/work/ruff/ruff/crates/a/src/locator.rs",
            ),
            (
                "/Users/runner/.cargo/registry/src/regex-syntax-0.8.5/src/hir/mod.rs0xClassUnicode",
                "/Users/runner/.cargo/registry/src/regex-syntax-0.8.5/src/hir/mod.rs",
            ),
            (
                "/home/runner/work/uv/uv/crates/uv-resolver/src/lock/mod.rs--dev--only-dev",
                "/home/runner/work/uv/uv/crates/uv-resolver/src/lock/mod.rs",
            ),
            (
                "/home/runner/.cargo/registry/src/pyo3-0.18.3/src/gil.rst\0",
                "/home/runner/.cargo/registry/src/pyo3-0.18.3/src/gil.rs",
            ),
            (
                "/usr/share/cargo/registry/libgit2-sys-0.14.1/lib.rsUTF-8",
                "/usr/share/cargo/registry/libgit2-sys-0.14.1/lib.rs",
            ),
            ("D:\\a\\x\\src\\lib.rs.checkpoint", "D:\\a\\x\\src\\lib.rs"),
            // a capital glued on: not the `.rsp` ending
            (
                "D:\\a\\rustworkx\\rustworkx-core\\src\\generators\\lollipop_graph.rsP\0",
                "D:\\a\\rustworkx\\rustworkx-core\\src\\generators\\lollipop_graph.rs",
            ),
        ] {
            assert_eq!(paths(text), [want], "{text:?}");
        }
        // two panic locations end to end: both paths
        assert_eq!(
            paths("\0/home/runner/work/a/src/find.rs/home/runner/work/a/src/list.rs\0"),
            [
                "/home/runner/work/a/src/find.rs",
                "/home/runner/work/a/src/list.rs"
            ]
        );
        for whole in [
            "/home/user/project/src/README.rst",
            "C:\\build\\src\\app.rsrc",
            "/home/user/notes/todo.rsvp",
            "/usr/share/doc/x.rs/readme",
            "/home/user/src/lib.rs",
        ] {
            assert_eq!(paths(whole), [whole], "{whole}");
        }
        assert!(paths("\0library/core/src/fmt/num.rsassertion\0").is_empty());
        assert_eq!(
            paths("copies Library/LaunchAgents/com.example.agent.plist"),
            ["Library/LaunchAgents/com.example.agent.plist"]
        );
    }

    /// Go's strings end to end: a path stops before a digit table glued to it, and after
    /// a known Unix file followed by `/` or a capitalised word; a known file further in,
    /// so glued, starts a path of its own. Paths that only look alike are kept whole.
    #[test]
    fn go_strings_glued_to_paths_are_cut() {
        let paths = |text: &str| found_of(text, "file_path");
        for (text, want) in [
            (
                "\0/etc/resolv.conf0123456789ABCDEF0123456789abcdef02.01.2006\0",
                vec!["/etc/resolv.conf"],
            ),
            (
                "/usr/share/mime/globs20123456789aAbBcCdDeEfF0123456789abcdef@\0",
                vec!["/usr/share/mime/globs2"],
            ),
            (
                "\0/proc/sys/net/core/somaxconn18189894035458564758300781259094947FixedStack\0",
                vec!["/proc/sys/net/core/somaxconn"],
            ),
            (
                "/usr/share/lib/zoneinfo/116415321826934814453125582076609134674072265625Raw",
                vec!["/usr/share/lib/zoneinfo"],
            ),
            (
                "%SystemRoot%\\system32\\0123456789aAbBcCdDeEfFexpected",
                vec!["%SystemRoot%\\system32"],
            ),
            (
                "\0/proc/self/mapsAbortControllerURLSearchParams\0",
                vec!["/proc/self/maps"],
            ),
            (
                "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pemAutomatically",
                vec!["/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"],
            ),
            (
                "\0/etc/lvm/profile/etc/resolv.conf/proc/self/mountinfo\0",
                vec![
                    "/etc/lvm/profile",
                    "/etc/resolv.conf",
                    "/proc/self/mountinfo",
                ],
            ),
            (
                "/etc/apache2/mime.types/etc/containers/certs.d/etc/pki/tls/cacert.pem/run/x",
                vec![
                    "/etc/apache2/mime.types",
                    "/etc/containers/certs.d",
                    "/etc/pki/tls/cacert.pem",
                    "/run/x",
                ],
            ),
            // devices named alone are no indicators, whatever is glued to them
            ("\0/dev/stdinCreateFileaggressive\0", vec![]),
            ("\0/dev/stdout/dev/stderrCloseHandle\0", vec![]),
            ("\0/dev/ttyFailed\0", vec![]),
            ("\0/dev/stderr/dev/stdout30517578125\0", vec![]),
            (
                "\0/proc/self/fd//proc/self/mem/proc/slabinfo/sys/class/net\0",
                vec![
                    "/proc/self/fd",
                    "/proc/self/mem",
                    "/proc/slabinfo",
                    "/sys/class/net",
                ],
            ),
        ] {
            assert_eq!(paths(text), want, "{text:?}");
        }
        for whole in [
            "/var/lib/docker/overlay2/ab12/merged/etc/resolv.conf",
            "/dev/ttyS0",
            "/dev/tty12",
            "/etc/profile.d/proxy.sh",
            "/etc/hosts.allow",
            "/tmp/build-20261204/out.log",
            "/home/user/ids/1234567890123456789.json",
            "C:\\Users\\user\\AppData\\Local\\Temp\\9876543210.tmp",
            "/etc/ssh/sshd_config",
        ] {
            assert_eq!(paths(whole), [whole], "{whole}");
        }
    }

    /// Regular expressions and a binary's tables read as Windows paths are no paths; the
    /// names they resemble are.
    #[test]
    fn regexes_and_tables_are_not_windows_paths() {
        let paths = |text: &str| found_of(text, "file_path");
        for junk in [
            "\0\\d+L\\d+i\\n\0",
            "\0\\s+ADJACENT\\s+DUPLICATES\\sFROM\0",
            "\0\\s.+\\svalues\\s\0",
            "\0\\\\u\\h{4}\0",
            "\0\\\\x\\{)([\\da-fA-F]+)(\\})(\0",
            "\0u:\\b)\\B\\b\\z\\A(\0",
            "\0w:\\.]+\\s\0",
            "\0\\mA8\\mAl\\mA\0",
            "\0\\yeZ\\yeZ\\yeZ\\ye\0",
            "\0A:/{AW/{As/{A\0",
        ] {
            assert!(paths(junk).is_empty(), "{junk:?}: {:?}", paths(junk));
        }
        for whole in [
            "C:\\Program Files (x86)\\App\\app.exe",
            "C:\\Temp\\Content.IE5\\index[1].htm",
            "D:\\a\\1\\s\\h5py\\h5a.c",
            "C:\\b\\s\\w\\ir\\x\\w\\sdk\\out\\runtime.pdb",
            "\\Device\\HarddiskVolume3\\Windows\\x.dll",
            "C:\\x64\\x86\\x64",
        ] {
            assert_eq!(paths(whole), [whole], "{whole}");
        }
    }

    /// Capitalised words glued to a file name at the end of a URL's path, or to a kebab-case
    /// last segment, one or several or one in capitals, are the next string's (binaries); a
    /// capitalised name in a path, a query or a fragment is kept.
    #[test]
    fn words_glued_to_a_urls_file_name_are_cut() {
        let urls = |text: &str| found_of(text, "url");
        assert_eq!(
            urls("\0https://example.com/pdfs/license.pdfChecks other\0"),
            ["https://example.com/pdfs/license.pdf"]
        );
        assert_eq!(
            urls("https://example.org/licenses/UCAR.jsonUpstream"),
            ["https://example.org/licenses/UCAR.json"]
        );
        // a kebab-case last segment or fragment
        for (text, want) in [
            (
                "\0https://esbuild.example.org/link/direct-evalRemoving\0",
                "https://esbuild.example.org/link/direct-eval",
            ),
            (
                "see https://example.com/blog/protobuf-apiv2Format %q",
                "https://example.com/blog/protobuf-apiv2",
            ),
            (
                "https://example.org/manual/index.html#unexpected-eofDropping",
                "https://example.org/manual/index.html#unexpected-eof",
            ),
            // several capitalised words, or one in capitals
            (
                "\0https://example.org/m/index.html#unexpected-eofWebPkiSupportedAlgorithms\0",
                "https://example.org/m/index.html#unexpected-eof",
            ),
            (
                "\0https://example.org/files/license-txt.htmlGNU\0",
                "https://example.org/files/license-txt.html",
            ),
            (
                "\0https://example.com/link/direct-evalNoClientCertRequestClientCert\0",
                "https://example.com/link/direct-eval",
            ),
        ] {
            assert_eq!(urls(text), [want], "{text:?}");
        }
        for whole in [
            "https://example.com/wiki/MainPage",
            "https://example.com/docs/BestPractices.html",
            "https://example.com/a.php?id=Test",
            "https://example.com/a.htmlx",
            "https://example.com/file.datNext",
            "https://example.edu/uiuc_openSource",
            "https://example.com/x/en-US",
            "https://example.com/a-b/c?q=x-yTest",
            "https://example.com/doc#section-Two-",
            "https://example.com/licenses/RPL-1.5RealNetworks",
            "https://example.com/tsconfig#noImplicitAny",
            "https://example.com/users/risingBirdSong",
        ] {
            assert_eq!(urls(whole), [whole], "{whole}");
        }
    }

    /// A digest glued to a download URL is cut off, and read as a digest; an archive
    /// name that holds hex digits, and a URL that ends in hex without a download ending,
    /// are kept.
    #[test]
    fn digests_glued_to_download_urls_are_cut() {
        let sha = "6c577993160b6f5ee8cab73cd1a807affcefafe2f7441c87bd926c10505e8731";
        let text = format!("\0https://downloads.example.org/pypy/pypy3.10-linux64.tar.bz2{sha}\0");
        assert_eq!(
            found_of(&text, "url"),
            ["https://downloads.example.org/pypy/pypy3.10-linux64.tar.bz2"]
        );
        assert_eq!(found_of(&text, "sha256"), [sha]);
        // a table of them end to end: each URL, each digest
        let text = format!("\0https://example.com/d/setup.zip{sha}https://example.com/d/b.7z\0");
        assert_eq!(
            found_of(&text, "url"),
            [
                "https://example.com/d/b.7z",
                "https://example.com/d/setup.zip"
            ]
        );
        assert_eq!(found_of(&text, "sha256"), [sha]);
        for whole in [
            "https://example.com/d/build-0123456789abcdef0123456789abcdef.zip",
            "https://example.com/blob/6c577993160b6f5ee8cab73cd1a807af",
            "https://example.com/d/setup.zip",
        ] {
            assert_eq!(found_of(whole, "url"), [whole], "{whole}");
        }
    }

    /// Member accesses (a class name, then a method that is also a TLD), shared objects'
    /// file names and versions with a word after them are no hosts; names with capitals
    /// under other TLDs are.
    #[test]
    fn members_shared_objects_and_versions_are_not_hosts() {
        check_hosts(
            &[
                "astropy.io.ascii.cparser.CParser.read",
                "av.container.input.InputContainer.seek, _DoubleListMixin.map",
                "error in NNDescent.build; Channel.target",
                "scipy/special/_ufuncs.cpython-311-darwin.so _rust.abi3.so",
                "_pypy_openssl.pypy39-pp73-x86_64-linux-gnu.so",
                "libgtk-x11-2.0.so libdb-5.3.so ntdll.dll.so",
                "OpenBLAS 0.3.27.dev DYNAMIC_ARCH; numpy 2.15.2.dev",
            ],
            &[
                ("Contact Support.Example.com", "support.example.com"),
                ("mail: Login.Example.net", "login.example.net"),
                ("c2 at cdn.Example.org", "cdn.example.org"),
                ("seen reports.example.com and 163.com", "163.com"),
                ("host c2[.]Loader[.]read", "c2.loader.read"),
            ],
        );
    }

    /// A package path's host glued to the string before it (Go binaries) is that host;
    /// written all in lower case, or not followed by a path, the name stays whole.
    #[test]
    fn hosts_glued_to_a_string_before_them_are_split() {
        let domains = |text: &str| found_of(text, "domain");
        assert_eq!(
            domains(
                "\0Z1google.golang.org/protobuf/types\0GeneralizedTimegolang.org/x/text\0\
                 n141buf.build/gen/go\0"
            ),
            ["buf.build", "golang.org", "google.golang.org"]
        );
        assert_eq!(domains("\0xgithub.com/tool\0"), ["xgithub.com"]);
        // under a host of three labels, a lower-case word glued before it (Go's messages
        // run into the next string) is split off: the whole would be a name inside
        // `golang.org`
        assert_eq!(
            domains("string must be non-emptygoogle.golang.org/genproto/protobuf\0"),
            ["google.golang.org"]
        );
        assert_eq!(
            domains("see Z1google.golang.org today"),
            ["z1google.golang.org"]
        );
        assert_eq!(domains("rules.golang.org/x"), ["rules.golang.org"]);
    }

    #[test]
    fn ips() {
        assert!(has("to 192.0.2.10:8080 ok", "ipv4", "192.0.2.10:8080"));
        assert!(has("net 198.51.100.0/24", "ipv4", "198.51.100.0/24"));
        assert!(found("Chrome/91.0.4472.124 and version 1.2.3.4 and 1.2.3.4.5").is_empty());
        assert!(found("the strategy in [1] (section 1.2.2.9)").is_empty());
        assert!(found(r#""ZLIB": ["1.2.0", "1.2.0.2", "1.2.2.3", "1.2.3.4", "1.2.9"]"#).is_empty());
        assert!(found("versions = ['1.2.0.2', '1.2.0.8', '1.3']").is_empty());
        assert!(has(
            r#"{"c2": ["192.0.2.7"], "v": "1.2.0"}"#,
            "ipv4",
            "192.0.2.7"
        ));
        assert!(has(
            r#"hosts: ["192.0.2.7", "192.0.2.8"]"#,
            "ipv4",
            "192.0.2.7"
        ));
        assert!(has("c2 2001:DB8::1 up", "ipv6", "2001:db8::1"));
        assert!(has("[2001:db8::1]:443", "ipv6", "[2001:db8::1]:443"));
        assert!(found("at 23:28:35 mac 00:1a:2b:3c:4d:5e std::string").is_empty());
    }

    #[test]
    fn hashes() {
        assert!(has(
            "md5 d41d8cd98f00b204e9800998ecf8427e",
            "md5",
            "d41d8cd98f00b204e9800998ecf8427e"
        ));
        assert!(found("{d41d8cd98f00b204e9800998ecf8427e}").is_empty());
        assert!(found("thumbprint: d41d8cd98f00b204e9800998ecf8427eabcdef12").is_empty());
        assert!(found("xd41d8cd98f00b204e9800998ecf8427e").is_empty());
    }

    #[test]
    fn noise_at_a_drives_root_is_no_path() {
        let paths = |text: &str| found_of(text, "file_path");
        for noise in [
            "\0R:\\Sg|p5rL\0",
            "u+D:\\$Au$D\0D:\\$0\0",
            "9$94:8:<:@:D:H:\\=s=\0",
            "(<[\\w:\\.]+.*?runat=server",
            "\\d:\\d{2}:\\d{2}",
            "(?P<(?:>((?-u:\\B)(?-u:\\b)",
            ".[A:/[A\0u:/%3\0",
        ] {
            assert_eq!(paths(noise), Vec::<String>::new(), "{noise:?}");
        }
        assert_eq!(
            paths("dir \"C:\\Program Files (x86)\""),
            ["C:\\Program Files (x86)"]
        );
        for whole in [
            "C:\\$Recycle.Bin",
            "C:\\ProgramData",
            "c:\\temp",
            "C:\\bin",
            "C:\\{4A1B2C3D-0000-1111-2222-333344445555}",
            "D:/a/1/s/build",
            "C:\\a\\b.exe",
            "c:\\freetds.log.%d",
        ] {
            assert_eq!(paths(whole), [whole], "{whole}");
        }
    }

    #[test]
    fn registry_and_paths() {
        assert!(has(
            r"reg add HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run /v x",
            "registry_key",
            r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"
        ));
        assert!(has(
            r#"{"k":"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"}"#,
            "registry_key",
            r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"
        ));
        assert!(has(
            r"copied to C:\Program Files\Evil App\run.exe today",
            "file_path",
            r"C:\Program Files\Evil App\run.exe"
        ));
        assert!(has(r"%APPDATA%\x\y.exe", "file_path", r"%APPDATA%\x\y.exe"));
        assert!(has(
            r"open \\srv\share\a.dll",
            "file_path",
            r"\\srv\share\a.dll"
        ));
        assert!(has(
            "echo x > /etc/ld.so.preload;",
            "file_path",
            "/etc/ld.so.preload"
        ));
        assert!(has(
            r"\Registry\Machine\Software\X",
            "registry_key",
            r"HKLM\Software\X"
        ));
    }

    fn notes_of(text: &str, kind: IocKind, value: &str) -> Option<Notes> {
        Scanner::default()
            .scan_bytes(text.as_bytes())
            .into_iter()
            .find(|h| h.kind == kind && h.value == value)
            .map(|h| h.notes)
    }

    #[test]
    fn notes_say_why() {
        let n = notes_of(
            "http://crl3.example.com/ca.crl0q",
            IocKind::Url,
            "http://crl3.example.com/ca.crl",
        );
        assert_eq!(
            n,
            Some(Notes::CUT_AT_ASN1 | Notes::CERTIFICATE_INFRASTRUCTURE)
        );
        let n = notes_of(
            "x aHR0cDovL2RsLmV4YW1wbGUubmV0L3N0YWdlMi5iaW4= y",
            IocKind::Url,
            "http://dl.example.net/stage2.bin",
        );
        assert_eq!(n, Some(Notes::ENCODED_BASE64));
        let n = notes_of(
            r"C:\Users\<username>\x.exe",
            IocKind::FilePath,
            r"C:\Users\<username>\x.exe",
        );
        assert_eq!(n, Some(Notes::PLACEHOLDER));
        let n = notes_of("C2 domain dc0.cc", IocKind::Domain, "dc0.cc");
        assert_eq!(n, Some(Notes::HOST_CONTEXT));
        assert_eq!(notes_of("see main.cc", IocKind::Domain, "main.cc"), None);
        let n = notes_of(
            "Infrastructure seen: 198.51.100.23, notes.one, files.example.com",
            IocKind::Domain,
            "notes.one",
        );
        assert_eq!(n, Some(Notes::HOST_CONTEXT));
        let n = notes_of(
            "http:// dl.example.net/a",
            IocKind::Url,
            "http://dl.example.net/a",
        );
        assert_eq!(n, Some(Notes::SPACED));
    }

    #[test]
    fn escaped_separators_collapse_as_text_replace_would() {
        for text in [
            &b"C:\\\\Users\\\\Public\\\\a.exe"[..],
            b"a\\\\\\b\\\\\\\\c\\",
            b"\\\\",
            b"no separators",
            b"caf\xc3\\\\\xa9\xff\\\\x",
            b"",
        ] {
            assert_eq!(
                collapse_doubled_backslashes(text),
                String::from_utf8_lossy(text).replace("\\\\", "\\"),
                "{text:?}"
            );
        }
        assert!(has(
            "\"C:\\\\Users\\\\Public\\\\a.exe\"",
            "file_path",
            "C:\\Users\\Public\\a.exe"
        ));
    }

    #[test]
    fn placeholders_need_one_of_their_opening_bytes() {
        assert!(has_placeholder("C:\\Users\\<username>\\AppData"));
        assert!(has_placeholder("HKCU\\Software\\%SID%\\Run"));
        assert!(has_placeholder("C:\\Users\\{user}\\x"));
        assert!(!has_placeholder("%APPDATA%\\x\\y.exe"));
        assert!(!has_placeholder(
            "HKLM\\SOFTWARE\\{5E906B39-6164-5E7B-4BB0-7EF8CA9AD910}"
        ));
        assert!(!has_placeholder("C:\\Windows\\System32\\svchost.exe"));
        assert!(has_placeholder("C:\\Users\\*\\AppData\\x.exe"));
        assert!(has_placeholder("/home/*/.bashrc"));
        assert!(!has_placeholder("C:\\Windows\\*.exe"));
    }

    /// A wildcard folder stands for one name, as a placeholder does: the path is kept
    /// whole (noted `placeholder`), not cut in two; a wildcard the path ends in is left out.
    #[test]
    fn wildcard_folders_keep_the_path_whole() {
        let paths = |text: &str| found_of(text, "file_path");
        for (text, want) in [
            (
                "copies to C:\\Users\\*\\AppData\\Roaming\\x.exe now",
                "C:\\Users\\*\\AppData\\Roaming\\x.exe",
            ),
            ("TargetFilename: /home/*/.bashrc", "/home/*/.bashrc"),
            ("\0/dev/tcp/*/*\0", "/dev/tcp"),
        ] {
            assert_eq!(paths(text), [want], "{text:?}");
        }
        let hits = Scanner::default().scan_bytes(b"C:\\Users\\*\\AppData\\x.exe");
        assert!(hits.iter().all(|h| h.notes.contains(Notes::PLACEHOLDER)));
    }

    #[test]
    fn hashes_next_to_plus() {
        assert!(has(
            "`+d41d8cd98f00b204e9800998ecf8427e+`",
            "md5",
            "d41d8cd98f00b204e9800998ecf8427e"
        ));
        assert!(found("QUJD+d41d8cd98f00b204e9800998ecf8427e+RUZH").is_empty());
    }

    #[test]
    fn misc() {
        assert!(has("see CVE-2021-44228.", "cve", "CVE-2021-44228"));
        assert!(has(
            "uses T1547.001 and T1055",
            "attack_technique",
            "T1547.001"
        ));
        assert!(has("uses T1547.001 and T1055", "attack_technique", "T1055"));
        assert!(has(
            "mail first[.]last[@]example[.]com",
            "email",
            "first.last@example.com"
        ));
        assert!(found("cygwin.zip mod_auth_basic.so Win32/Turla.CX kernel32.dll").is_empty());
    }
}
