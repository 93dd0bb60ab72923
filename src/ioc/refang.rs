//! Refanging and defanging.
//!
//! Threat reports write indicators in "defanged" form so nobody clicks them: `hxxp://`,
//! `evil[.]example[.]com`, `user[@]example[.]com`. [`refang`] rewrites a buffer back to the
//! plain form before scanning and keeps a map from the rewritten offsets to the original
//! ones, so every sighting still points at the bytes as written. [`defang`] does the reverse
//! for output that is meant to be shared.
//!
//! JSON-escaped slashes (`http:\/\/host\/path`) are unescaped by the same pass, without
//! marking the indicator as defanged.

use super::IocKind;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, Input, MatchKind, StartKind};
use std::borrow::Cow;
use std::sync::OnceLock;

/// What one marker pattern stands for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Marker {
    /// `[.]`, `(dot)`, ... → `.`
    Dot,
    /// ` dot ` in prose: accepted only next to other defanging or in a chain.
    SpokenDot,
    /// `\.` as in regular expressions.
    EscapedDot,
    /// `[:]` → `:`
    Colon,
    /// `[::]` → `::` (IPv6)
    DoubleColon,
    /// `[://]`, `[:]//` → `://`
    SchemeSep,
    /// `[@]`, `[at]`, `(at)` → `@`
    At,
    /// ` @ ` in an address written with blanks (`name @ example . com`); its ` . `s
    /// are found from it.
    SpacedAt,
    /// `[/]` → `/`
    Slash,
    /// `\/` (JSON escaping) → `/`; not a defang.
    EscapedSlash,
    /// `hxxp`, `fxp`, ... → the real scheme name.
    Scheme(&'static str),
}

/// Marker patterns and their meaning, matched ASCII-case-insensitively, leftmost-longest.
const MARKERS: &[(&str, Marker)] = &[
    ("[.]", Marker::Dot),
    // unbalanced: `evil[.com`
    ("[.", Marker::Dot),
    (" @ ", Marker::SpacedAt),
    ("(.)", Marker::Dot),
    ("{.}", Marker::Dot),
    ("<.>", Marker::Dot),
    ("[dot]", Marker::Dot),
    ("(dot)", Marker::Dot),
    ("{dot}", Marker::Dot),
    ("<dot>", Marker::Dot),
    (" [.] ", Marker::Dot),
    (" (.) ", Marker::Dot),
    (" [dot] ", Marker::Dot),
    (" (dot) ", Marker::Dot),
    (" {dot} ", Marker::Dot),
    (" dot ", Marker::SpokenDot),
    ("\\.", Marker::EscapedDot),
    ("[:]", Marker::Colon),
    ("[::]", Marker::DoubleColon),
    ("[://]", Marker::SchemeSep),
    ("[:]//", Marker::SchemeSep),
    ("[:/]/", Marker::SchemeSep),
    ("[:// ]", Marker::SchemeSep),
    ("[@]", Marker::At),
    ("(@)", Marker::At),
    ("{@}", Marker::At),
    ("[at]", Marker::At),
    ("(at)", Marker::At),
    ("{at}", Marker::At),
    (" [@] ", Marker::At),
    (" [at] ", Marker::At),
    (" (at) ", Marker::At),
    (" {at} ", Marker::At),
    ("[/]", Marker::Slash),
    ("\\/", Marker::EscapedSlash),
    ("hxxps", Marker::Scheme("https")),
    ("hxxp", Marker::Scheme("http")),
    ("hxxxps", Marker::Scheme("https")),
    ("hxxxp", Marker::Scheme("http")),
    ("hxtps", Marker::Scheme("https")),
    ("hxtp", Marker::Scheme("http")),
    ("htxps", Marker::Scheme("https")),
    ("htxp", Marker::Scheme("http")),
    ("h**ps", Marker::Scheme("https")),
    ("h**p", Marker::Scheme("http")),
    ("h__ps", Marker::Scheme("https")),
    ("h__p", Marker::Scheme("http")),
    ("fxps", Marker::Scheme("ftps")),
    ("fxp", Marker::Scheme("ftp")),
    ("sfxp", Marker::Scheme("sftp")),
];

fn automaton() -> &'static AhoCorasick {
    static AC: OnceLock<AhoCorasick> = OnceLock::new();
    AC.get_or_init(|| {
        AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(MARKERS.iter().map(|(p, _)| p))
            .unwrap_or_else(|e| unreachable!("static refang patterns are valid: {e}"))
    })
}

/// Positions where a marker may start. Every marker holds a rare byte (`[ ( { < \\ :`) or
/// is ` dot `, so memchr finds the few places worth an anchored automaton match, which is
/// much faster than running the automaton over every byte (its own prefilter would stop at
/// every space and every `h`).
///
/// The rare bytes' positions are merged in order and the few ` dot ` hits merged in, so
/// the positions come out sorted without sorting.
fn candidate_starts(input: &[u8], starts: &mut Vec<usize>, schemes: bool) {
    starts.clear();
    let mut spoken: Vec<usize> = spoken_dots(input).collect();
    spoken.extend(spaced_ats(input));
    spoken.sort_unstable();
    let mut spoken = spoken.into_iter().peekable();
    let mut push = |starts: &mut Vec<usize>, at: usize| {
        while let Some(&d) = spoken.peek() {
            if d > at {
                break;
            }
            insert_sorted(starts, d);
            spoken.next();
        }
        insert_sorted(starts, at);
    };
    // Three SIMD searches for the rare bytes, merged in order.
    let mut brackets = memchr::memchr3_iter(b'[', b'(', b'{', input).peekable();
    let mut escapes = memchr::memchr2_iter(b'<', b'\\', input).peekable();
    // Defanged scheme words are found from their `:`; a scanner that reads them itself
    // (see [`scheme_for`]) skips this stream, the most frequent one in logs.
    let mut colons =
        memchr::memchr_iter(b':', if schemes { input } else { &input[..0] }).peekable();
    loop {
        let heads = [
            brackets.peek().copied(),
            escapes.peek().copied(),
            colons.peek().copied(),
        ];
        let Some(i) = heads.iter().flatten().min().copied() else {
            break;
        };
        if heads[0] == Some(i) {
            brackets.next();
        } else if heads[1] == Some(i) {
            escapes.next();
        } else {
            colons.next();
        }
        match input[i] {
            b'[' | b'(' | b'{' => {
                if !plausible_marker(input, i) {
                    continue;
                }
                if i > 0 && input[i - 1] == b' ' {
                    push(starts, i - 1);
                }
                push(starts, i);
            }
            b':' => {
                // a defanged scheme word ends right before `:` or before `[:`, and every
                // one of them ends in `p` or `s`
                let mut end = i;
                if end > 0 && input[end - 1] == b'[' {
                    end -= 1;
                }
                if end == 0 || !matches!(input[end - 1], b'p' | b'P' | b's' | b'S') {
                    continue;
                }
                let mut ws = end;
                while ws > 0
                    && end - ws < 6
                    && matches!(input[ws - 1], b'a'..=b'z' | b'A'..=b'Z' | b'*' | b'_')
                {
                    ws -= 1;
                }
                if ws < end && matches!(input[ws], b'h' | b'H' | b'f' | b'F' | b's' | b'S') {
                    push(starts, ws);
                }
            }
            _ if plausible_marker(input, i) => push(starts, i),
            _ => {}
        }
    }
    push(starts, usize::MAX);
    starts.pop();
}

/// A cheap look at the bytes after a candidate before asking the automaton: brackets and
/// backslashes are common in logs, markers are not (`[INFO]`, `C:\\Windows` are skipped).
fn plausible_marker(input: &[u8], start: usize) -> bool {
    let at = |i: usize| input.get(start + i).copied().unwrap_or(0);
    let inner = |b: u8| matches!(b, b'.' | b'd' | b'D' | b'a' | b'A' | b'@' | b':' | b'/');
    match at(0) {
        b'[' | b'(' | b'{' | b'<' => inner(at(1)),
        b' ' => match at(1) {
            b'[' | b'(' | b'{' => inner(at(2)),
            _ => true, // ` dot `, ` @ `
        },
        b'\\' => matches!(at(1), b'.' | b'/'),
        _ => true, // scheme words
    }
}

/// Appends `at` to the sorted, deduplicated `starts`, inserting it in place in the rare case
/// it is not the largest (a scheme word found from its `[:` after the `[` was pushed).
fn insert_sorted(starts: &mut Vec<usize>, at: usize) {
    match starts.last() {
        Some(&last) if last == at => {}
        Some(&last) if last > at => {
            let idx = starts.partition_point(|&x| x < at);
            if starts.get(idx) != Some(&at) {
                starts.insert(idx, at);
            }
        }
        _ => starts.push(at),
    }
}

/// Where ` @ ` starts, left to right without overlaps (as a substring search reports it),
/// found from the rare `@` rather than with a second pass of a substring searcher.
fn spaced_ats(input: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut taken_to = 0;
    memchr::memchr_iter(b'@', input).filter_map(move |at| {
        let start = at.checked_sub(1)?;
        if start < taken_to || input[start] != b' ' || input.get(at + 1) != Some(&b' ') {
            return None;
        }
        taken_to = at + 2;
        Some(start)
    })
}

/// Where ` dot `, ` Dot ` and ` DOT ` start, each word's places left to right without
/// overlaps (as a substring search for each reports them), grouped by word: found from
/// their ends `ot ` and `OT `, two searches of the text rather than three.
fn spoken_dots(input: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let [lower, upper] = spoken_dot_ends();
    // where the last ` dot `, ` Dot ` (from `ot `) and ` DOT ` (from `OT `) ended
    let (mut dot_to, mut cap_to, mut upper_to) = (0, 0, 0);
    let lower = lower.find_iter(input).filter_map(move |end| {
        let start = end.checked_sub(2)?;
        if input[start] != b' ' {
            return None;
        }
        let taken = match input[start + 1] {
            b'd' => &mut dot_to,
            b'D' => &mut cap_to,
            _ => return None,
        };
        if start < *taken {
            return None;
        }
        *taken = start + 5;
        Some(start)
    });
    let upper = upper.find_iter(input).filter_map(move |end| {
        let start = end.checked_sub(2)?;
        if input[start] != b' ' || input[start + 1] != b'D' || start < upper_to {
            return None;
        }
        upper_to = start + 5;
        Some(start)
    });
    lower.chain(upper)
}

fn spoken_dot_ends() -> &'static [memchr::memmem::Finder<'static>; 2] {
    static F: OnceLock<[memchr::memmem::Finder<'static>; 2]> = OnceLock::new();
    F.get_or_init(|| {
        [
            memchr::memmem::Finder::new("ot "),
            memchr::memmem::Finder::new("OT "),
        ]
    })
}

/// The three searches [`spoken_dots`] stands for.
#[cfg(test)]
fn spoken_dot_finders() -> &'static [memchr::memmem::Finder<'static>; 3] {
    static F: OnceLock<[memchr::memmem::Finder<'static>; 3]> = OnceLock::new();
    F.get_or_init(|| {
        [
            memchr::memmem::Finder::new(" dot "),
            memchr::memmem::Finder::new(" DOT "),
            memchr::memmem::Finder::new(" Dot "),
        ]
    })
}

/// A buffer after refanging, with the map back to the original offsets.
#[derive(Debug)]
pub struct Refanged<'a> {
    /// The refanged text (borrowed when nothing needed rewriting).
    pub text: Cow<'a, [u8]>,
    /// Rewrites, in order: (start in `text`, end in `text`, start in original, end in original, is a defang).
    edits: Vec<Edit>,
    /// The caller's buffers, handed back by [`Refanged::into_buffers`].
    spare: RefangBuffers,
}

/// Working memory for [`refang_reusing`], kept between calls so that scanning many
/// chunks allocates (and faults in fresh pages) only once.
#[derive(Debug, Default)]
pub struct RefangBuffers {
    text: Vec<u8>,
    edits: Vec<Edit>,
    starts: Vec<usize>,
    marks: Vec<(usize, usize, Marker)>,
}

#[derive(Debug, Clone, Copy)]
struct Edit {
    new_start: usize,
    new_end: usize,
    old_start: usize,
    old_end: usize,
    defang: bool,
}

impl Refanged<'_> {
    /// Maps an offset in the refanged text back to the original buffer.
    pub fn original_offset(&self, pos: usize) -> usize {
        let idx = self.edits.partition_point(|e| e.new_start <= pos);
        if idx == 0 {
            return pos;
        }
        let e = self.edits[idx - 1];
        if pos < e.new_end {
            e.old_start
        } else {
            e.old_end + (pos - e.new_end)
        }
    }

    /// Maps a span of the refanged text to (original start, original end, was defanged) in
    /// one walk. For spans given in non-decreasing start order, `cursor` (start it at 0)
    /// makes the whole walk linear instead of a binary search per span.
    pub fn map_span(&self, cursor: &mut usize, start: usize, end: usize) -> (usize, usize, bool) {
        let edits = &self.edits;
        if edits.is_empty() {
            // nothing rewritten (most chunks): what the walk below gives without edits
            return (start, end.max(start), false);
        }
        while *cursor < edits.len() && edits[*cursor].new_end <= start {
            *cursor += 1;
        }
        let map = |pos: usize, k: usize| -> usize {
            // `k`: first edit not wholly before `pos`
            match edits.get(k) {
                Some(e) if e.new_start <= pos => e.old_start,
                _ => match k.checked_sub(1).map(|i| edits[i]) {
                    Some(prev) => prev.old_end + (pos - prev.new_end),
                    None => pos,
                },
            }
        };
        let original_start = map(start, *cursor);
        let last = end.max(start + 1) - 1;
        let mut k = *cursor;
        let mut defanged = false;
        while k < edits.len() && edits[k].new_start < end {
            defanged |= edits[k].defang;
            if edits[k].new_end > last {
                break;
            }
            k += 1;
        }
        let original_end = if end > start {
            map(last, k) + 1
        } else {
            original_start
        };
        (original_start, original_end.max(original_start), defanged)
    }

    /// Whether the refanged range `start..end` covers any rewritten defang marker.
    pub fn was_defanged(&self, start: usize, end: usize) -> bool {
        let idx = self.edits.partition_point(|e| e.new_end <= start);
        self.edits[idx..]
            .iter()
            .take_while(|e| e.new_start < end)
            .any(|e| e.defang)
    }

    /// The working buffers, for the next call of [`refang_reusing`].
    pub fn into_buffers(self) -> RefangBuffers {
        let mut spare = self.spare;
        if let Cow::Owned(text) = self.text {
            spare.text = text;
        }
        spare.edits = self.edits;
        spare
    }

    /// Whether anything was rewritten at all.
    pub fn is_rewritten(&self) -> bool {
        !self.edits.is_empty()
    }
}

fn is_label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_local_part_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Refangs `input`, returning the input itself when it holds no marker.
pub fn refang(input: &[u8]) -> Refanged<'_> {
    refang_reusing(input, RefangBuffers::default())
}

/// Like [`refang`], reusing `buffers` from an earlier call (see
/// [`Refanged::into_buffers`]).
pub fn refang_reusing(input: &[u8], buffers: RefangBuffers) -> Refanged<'_> {
    refang_with(input, buffers, true)
}

/// Like [`refang_reusing`] but leaves defanged scheme words (`hxxp`) as they are: for the
/// IOC scanner, which maps them itself with [`scheme_for`] when it parses a URL. Finding
/// them costs a look at every `:`, and logs are full of colons.
pub fn refang_for_scan(input: &[u8], buffers: RefangBuffers) -> Refanged<'_> {
    refang_with(input, buffers, false)
}

/// The real scheme of a defanged scheme word (`hxxp` → `http`, `fxp` → `ftp`), any case.
pub fn scheme_for(word: &[u8]) -> Option<&'static str> {
    MARKERS.iter().find_map(|(pattern, marker)| match marker {
        Marker::Scheme(real) if word.eq_ignore_ascii_case(pattern.as_bytes()) => Some(*real),
        _ => None,
    })
}

fn refang_with(input: &[u8], buffers: RefangBuffers, schemes: bool) -> Refanged<'_> {
    let RefangBuffers {
        text: mut out,
        mut edits,
        mut starts,
        marks: mut hits,
    } = buffers;
    let ac = automaton();
    hits.clear();
    edits.clear();
    candidate_starts(input, &mut starts, schemes);
    let mut covered = 0;
    for &start in &starts {
        if start < covered {
            continue;
        }
        let anchored = Input::new(input).range(start..).anchored(Anchored::Yes);
        let Ok(Some(m)) = ac.try_find(anchored) else {
            continue;
        };
        let marker = MARKERS[m.pattern().as_usize()].1;
        if accept(input, m.start(), m.end(), marker) {
            hits.push((m.start(), m.end(), marker));
            covered = m.end();
        }
    }
    drop_lonely_spoken_dots(input, &mut hits);
    spaced_address_dots(input, &mut hits);
    if hits.is_empty() {
        return Refanged {
            text: Cow::Borrowed(input),
            edits,
            spare: RefangBuffers {
                text: out,
                edits: Vec::new(),
                starts,
                marks: hits,
            },
        };
    }
    out.clear();
    out.reserve(input.len() + 64);
    let mut last = 0;
    for &(start, end, marker) in &hits {
        out.extend_from_slice(&input[last..start]);
        let replacement: &[u8] = match marker {
            Marker::Dot | Marker::SpokenDot | Marker::EscapedDot => b".",
            Marker::Colon => b":",
            Marker::DoubleColon => b"::",
            Marker::SchemeSep => b"://",
            Marker::At | Marker::SpacedAt => b"@",
            Marker::Slash | Marker::EscapedSlash => b"/",
            Marker::Scheme(s) => s.as_bytes(),
        };
        let new_start = out.len();
        out.extend_from_slice(replacement);
        edits.push(Edit {
            new_start,
            new_end: out.len(),
            old_start: start,
            old_end: end,
            defang: marker != Marker::EscapedSlash,
        });
        last = end;
    }
    out.extend_from_slice(&input[last..]);
    Refanged {
        text: Cow::Owned(out),
        edits,
        spare: RefangBuffers {
            text: Vec::new(),
            edits: Vec::new(),
            starts,
            marks: hits,
        },
    }
}

/// Decides whether one marker occurrence really is defanging, from its neighbours.
fn accept(input: &[u8], start: usize, end: usize, marker: Marker) -> bool {
    let before = start.checked_sub(1).map(|i| input[i]);
    let after = input.get(end).copied();
    match marker {
        Marker::Dot | Marker::SpokenDot => {
            before.is_some_and(is_label_byte) && after.is_some_and(|b| b.is_ascii_alphanumeric())
        }
        Marker::EscapedDot => {
            before.is_some_and(|b| b.is_ascii_alphanumeric())
                && after.is_some_and(|b| b.is_ascii_alphanumeric())
                && !inside_windows_path(input, start)
                && !inside_regex(input, start, end)
        }
        Marker::At => {
            before.is_some_and(is_local_part_byte)
                && after.is_some_and(|b| b.is_ascii_alphanumeric())
        }
        Marker::SpacedAt => {
            // `name @ example . com`: only when a dotted domain follows, blanks or not
            before.is_some_and(|b| b.is_ascii_alphanumeric())
                && after.is_some_and(|b| b.is_ascii_alphanumeric())
                && spaced_domain_end(input, end).is_some()
        }
        Marker::Colon => {
            // `http[:]//`, `192.0.2.1[:]443`, `2001[:]db8[:]...`
            before.is_some_and(|b| b.is_ascii_alphanumeric())
                && after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'/')
        }
        Marker::DoubleColon => before.is_some_and(|b| b.is_ascii_hexdigit()),
        Marker::SchemeSep => before.is_some_and(|b| b.is_ascii_alphabetic()),
        Marker::Slash => before.is_some_and(|b| !b.is_ascii_whitespace()),
        Marker::EscapedSlash => {
            // Only inside URL-like text: the pass would otherwise rewrite Windows paths.
            let prev = before.unwrap_or(b' ');
            prev == b':'
                || prev.is_ascii_alphanumeric()
                || matches!(prev, b'/' | b'.' | b'-' | b'_')
        }
        Marker::Scheme(_) => {
            let boundary = before.is_none_or(|b| !b.is_ascii_alphanumeric());
            boundary && scheme_separator_follows(&input[end..])
        }
    }
}

/// Whether a `\\.` at `pos` belongs to a Windows path or registry key (`HKCR\\.exe`,
/// `C:\\dir\\.cache`) rather than to an escaped host name.
fn inside_windows_path(input: &[u8], pos: usize) -> bool {
    let token_start = input[..pos]
        .iter()
        .rposition(|&b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'<' | b'>' | b'='))
        .map_or(0, |i| i + 1);
    let token = &input[token_start..pos];
    let label_start = token
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
        .map_or(0, |i| i + 1);
    let label = &token[label_start..];
    let hive = super::scan::is_hive_name(label);
    let other_backslash = token.windows(2).any(|w| w[0] == b'\\' && w[1] != b'.');
    hive || other_backslash
}

/// Whether a `\\.` at `start..end` escapes a dot in a regular expression rather than in a
/// host name: the label after it runs into regex syntax (`barstate\\.is(first|last)`,
/// `hline\\.style_(dotted|solid)`, `\\.com\\b`, `\\.net$`), or the label before it
/// follows an alternation or an anchor (`|color\\.new`, `^www\\.`). A host in text is
/// followed by a blank, punctuation, `/`, `:` or another escaped dot.
fn inside_regex(input: &[u8], start: usize, end: usize) -> bool {
    let is_label = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-';
    let label_end = end + input[end..].iter().take_while(|b| is_label(b)).count();
    let after = match input.get(label_end..).unwrap_or_default() {
        [b'\\', b'.', ..] => false,
        [b'\\', ..] => true,
        [b, ..] => matches!(b, b'(' | b'|' | b'_' | b'$' | b'*' | b'+' | b'{'),
        [] => false,
    };
    let label_start = start
        - input[..start]
            .iter()
            .rev()
            .take_while(|b| is_label(b))
            .count();
    let before = label_start
        .checked_sub(1)
        .is_some_and(|i| matches!(input[i], b'|' | b'^'));
    after || before
}

/// `://` in plain or defanged form right after a scheme word.
fn scheme_separator_follows(rest: &[u8]) -> bool {
    const FORMS: [&[u8]; 7] = [
        b"://",
        b"[:]//",
        b"[://]",
        b"[:/]/",
        b":\\/\\/",
        b"[:]\\/\\/",
        b"[:// ]",
    ];
    FORMS.iter().any(|f| rest.starts_with(f))
}

/// From `from` (just after ` @ `), the labels of a domain separated by `.`, ` . `, `. `
/// or ` .`: the end of the last label and the spaced dots' spans, if at least one dot
/// joins two labels and the last label is alphabetic (a TLD).
fn spaced_domain_end(input: &[u8], from: usize) -> Option<(usize, Vec<(usize, usize)>)> {
    let label = |i: usize| {
        let mut j = i;
        while j < input.len() && is_label_byte(input[j]) && j - i < 63 {
            j += 1;
        }
        j
    };
    let mut end = label(from);
    if end == from {
        return None;
    }
    let mut spaced = Vec::new();
    let mut dots = 0;
    loop {
        let mut d = end;
        while d < input.len() && input[d] == b' ' && d - end < 1 {
            d += 1;
        }
        if input.get(d) != Some(&b'.') {
            break;
        }
        let mut n = d + 1;
        while n < input.len() && input[n] == b' ' && n - d <= 1 {
            n += 1;
        }
        let next_end = label(n);
        if next_end == n {
            break;
        }
        if d > end || n > d + 1 {
            // a blank around the dot: only lower-case labels follow (`example . com`,
            // not "noon. See")
            if input[n..next_end].iter().any(u8::is_ascii_uppercase) {
                break;
            }
            spaced.push((end, n));
        }
        dots += 1;
        end = next_end;
    }
    let tld = &input[memchr::memrchr(b'.', &input[..end]).map_or(from, |i| i + 1)..end];
    let tld = tld.trim_ascii_start();
    (dots > 0 && tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic)).then_some((end, spaced))
}

/// The spaced dots of addresses written with blanks (`name @ example . com`), added as
/// dot markers after each accepted ` @ `.
fn spaced_address_dots(input: &[u8], hits: &mut Vec<(usize, usize, Marker)>) {
    if !hits.iter().any(|h| h.2 == Marker::SpacedAt) {
        return;
    }
    let mut extra = Vec::new();
    for &(_, end, marker) in hits.iter() {
        if marker != Marker::SpacedAt {
            continue;
        }
        if let Some((_, spaced)) = spaced_domain_end(input, end) {
            extra.extend(spaced.into_iter().map(|(s, e)| (s, e, Marker::Dot)));
        }
    }
    // a spaced dot may already be a marker (` [.] ` is not matched here, ` . ` is new)
    extra.retain(|&(s, e, _)| !hits.iter().any(|&(hs, he, _)| hs < e && s < he));
    hits.extend(extra);
    hits.sort_unstable_by_key(|h| h.0);
}

/// How far (bytes, either side) other defanging may be from a ` dot ` to vouch for it:
/// a binary's strings form one long "line", where a regular expression's `[.]` far away
/// says nothing about `mail: double dot in atom`.
const SPOKEN_DOT_COMPANY: usize = 160;

/// ` dot ` is only refanged when other defanging is near it on the same line, or when it
/// chains (`evil dot example dot com`); "the dot com bubble" stays prose.
fn drop_lonely_spoken_dots(input: &[u8], hits: &mut Vec<(usize, usize, Marker)>) {
    if !hits.iter().any(|h| h.2 == Marker::SpokenDot) {
        return;
    }
    let line_of = |pos: usize| -> (usize, usize) {
        let start = memchr::memrchr(b'\n', &input[..pos]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &input[pos..]).map_or(input.len(), |i| pos + i);
        (start, end)
    };
    let snapshot = hits.clone();
    hits.retain(|&(start, end, marker)| {
        if marker != Marker::SpokenDot {
            return true;
        }
        let (ls, le) = line_of(start);
        let (near_s, near_e) = (
            ls.max(start.saturating_sub(SPOKEN_DOT_COMPANY)),
            le.min(end + SPOKEN_DOT_COMPANY),
        );
        let other_defang = snapshot.iter().any(|&(s, _, m)| {
            s >= near_s && s < near_e && m != Marker::SpokenDot && m != Marker::EscapedSlash
        });
        if other_defang || alone_on_line(input, start, end, ls, le) {
            return true;
        }
        // A chain: another spoken dot joined to this one by a single label.
        snapshot.iter().any(|&(s, e, m)| {
            m == Marker::SpokenDot
                && (s, e) != (start, end)
                && ((s >= end && input[end..s].iter().all(|&b| is_label_byte(b)))
                    || (e <= start && input[e..start].iter().all(|&b| is_label_byte(b))))
        })
    });
}

/// Whether `label dot label` (the spoken dot at `start..end`) is all its line holds,
/// apart from a list bullet and trailing punctuation: an indicator list, not prose.
fn alone_on_line(input: &[u8], start: usize, end: usize, ls: usize, le: usize) -> bool {
    let mut left = start;
    while left > ls && is_label_byte(input[left - 1]) {
        left -= 1;
    }
    let mut right = end;
    while right < le && is_label_byte(input[right]) {
        right += 1;
    }
    let bullet = |b: &u8| {
        matches!(
            b,
            b' ' | b'\t' | b'-' | b'*' | b'>' | b'"' | b'\'' | 0xE2 | 0x80 | 0xA2
        )
    };
    let tail = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'.' | b',' | b';' | b'"' | b'\'');
    input[ls..left].iter().all(bullet)
        && input[right..le].iter().all(tail)
        && left < start
        && right > end
}

/// Defangs a normalised value for safe sharing: `http` → `hxxp`, dots in the host → `[.]`,
/// `@` → `[@]`. Kinds without network meaning are returned unchanged.
pub fn defang(kind: IocKind, value: &str) -> String {
    match kind {
        IocKind::Domain | IocKind::Ipv4 => value.replace('.', "[.]"),
        IocKind::Ipv6 => value.replace(':', "[:]"),
        IocKind::Email => value.replace('@', "[@]").replace('.', "[.]"),
        IocKind::Url => defang_url(value),
        _ => value.to_string(),
    }
}

/// An IPv6 address defanged so it stays readable: only its first colon (or `::`) is
/// bracketed (`2001[:]db8:fe7c::17`, `[::]1`, `[2001[:]db8::1]:443`), which is enough to
/// make it no address while the rest reads as written.
pub fn defang_readable_ipv6(value: &str) -> String {
    let Some(i) = value.find(':') else {
        return value.to_string();
    };
    let double = value[i..].starts_with("::");
    let (colon, defanged) = if double { (2, "[::]") } else { (1, "[:]") };
    format!("{}{defanged}{}", &value[..i], &value[i + colon..])
}

fn defang_url(value: &str) -> String {
    let (scheme, rest) = match value.split_once("://") {
        Some((s, r)) => (s, r),
        None => return value.replace('.', "[.]"),
    };
    let scheme = match scheme {
        "http" => "hxxp".to_string(),
        "https" => "hxxps".to_string(),
        "ftp" => "fxp".to_string(),
        "sftp" => "sfxp".to_string(),
        other => other.to_string(),
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(host_end);
    format!("{scheme}[://]{}{tail}", host.replace('.', "[.]"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> String {
        String::from_utf8_lossy(&refang(s.as_bytes()).text).into_owned()
    }

    #[test]
    fn readable_ipv6_defanging_refangs() {
        for (value, defanged) in [
            ("2001:db8:fe7c::17", "2001[:]db8:fe7c::17"),
            ("2001:db8::1", "2001[:]db8::1"),
            ("fe80::1", "fe80[::]1"),
        ] {
            assert_eq!(defang_readable_ipv6(value), defanged);
            assert_eq!(plain(defanged), value);
            assert!(defanged.parse::<std::net::Ipv6Addr>().is_err());
        }
        assert_eq!(defang_readable_ipv6("::1"), "[::]1");
    }

    #[test]
    fn common_forms() {
        assert_eq!(
            plain("hxxp://evil[.]example[.]com/a"),
            "http://evil.example.com/a"
        );
        assert_eq!(
            plain("hXXps[:]//x(.)example{.}org"),
            "https://x.example.org"
        );
        assert_eq!(plain("a[@]example[dot]com"), "a@example.com");
        assert_eq!(plain("user(at)example(dot)net"), "user@example.net");
        assert_eq!(plain("fxp://192.0.2[.]1"), "ftp://192.0.2.1");
        assert_eq!(plain("http[://]example.com"), "http://example.com");
        assert_eq!(plain("evil\\.example\\.com"), "evil.example.com");
    }

    #[test]
    fn spoken_dots_are_the_substring_matches() {
        let mut next = crate::primitives::xorshift(0x0bad_cafe_f00d_1234u64);
        let pieces: [&[u8]; 11] = [
            b" ", b" ", b" d", b"dot", b"Dot", b"DOT", b"dOT", b"ot ", b"OT", b"x", b".",
        ];
        let mut found = 0;
        for i in 0..50_000 {
            let text: Vec<u8> = if i == 0 {
                b"a dot dot b Dot dot DOT DOT Dot Dot dot c".to_vec()
            } else {
                (0..next() % 24)
                    .flat_map(|_| {
                        pieces[(next() % pieces.len() as u64) as usize]
                            .iter()
                            .copied()
                    })
                    .collect()
            };
            let mut by_search: Vec<usize> = spoken_dot_finders()
                .iter()
                .flat_map(|f| f.find_iter(&text))
                .collect();
            let mut ours: Vec<usize> = spoken_dots(&text).collect();
            found += ours.len();
            // the order within a word is kept; the caller sorts the union
            by_search.sort_unstable();
            ours.sort_unstable();
            assert_eq!(ours, by_search, "{:?}", String::from_utf8_lossy(&text));
        }
        assert!(found > 5_000, "{found}");
    }

    #[test]
    fn spaced_ats_are_the_substring_matches() {
        for text in [
            &b"mail alice @ example . com or bob@example.com"[..],
            b" @ @ @  @ x @",
            b"@ @",
            b"a @ b @ c",
            b"",
        ] {
            let by_search: Vec<usize> = memchr::memmem::find_iter(text, b" @ ").collect();
            assert_eq!(spaced_ats(text).collect::<Vec<_>>(), by_search, "{text:?}");
        }
    }

    #[test]
    fn spoken_dot_needs_company() {
        assert_eq!(plain("the dot com bubble"), "the dot com bubble");
        assert_eq!(plain("evil dot example dot com"), "evil.example.com");
        assert_eq!(plain("mail a[@]b dot com"), "mail a@b.com");
        // other defanging far away on one long "line" (a binary's strings) vouches for
        // nothing; near it, it still does
        let far = format!("evil[.]com {} mail: double dot in atom", "x".repeat(200));
        assert_eq!(plain(&far), far.replace("[.]", "."));
        let near = format!("see evil[.]com {} and evil dot net", "-".repeat(100));
        assert_eq!(
            plain(&near),
            format!("see evil.com {} and evil.net", "-".repeat(100))
        );
    }

    #[test]
    fn offsets_map_back() {
        let r = refang(b"xx evil[.]com yy");
        assert_eq!(&r.text[..], b"xx evil.com yy");
        assert_eq!(r.original_offset(3), 3);
        assert_eq!(r.original_offset(8), 10);
        assert_eq!(r.original_offset(12), 14);
        assert!(r.was_defanged(3, 11));
        assert!(!r.was_defanged(12, 14));
    }

    #[test]
    fn map_span_agrees_with_lookups() {
        // with rewritten markers, and without any (the shortcut for a text with no edits)
        for text in [
            &b"a hxxp://b[.]c[.]d/e f[@]g[.]h i 192.0.2[.]1 j"[..],
            b"a http://b.example.com/e f@g.example.org i 192.0.2.1 j",
        ] {
            let r = refang(text);
            assert_eq!(r.edits.is_empty(), !text.contains(&b'['));
            let mut cursor = 0;
            for start in 0..r.text.len() {
                for end in start..=r.text.len().min(start + 12) {
                    let mut c = cursor;
                    let (s, e, d) = r.map_span(&mut c, start, end);
                    assert_eq!(s, r.original_offset(start), "start {start}..{end}");
                    let want_end = if end > start {
                        r.original_offset(end - 1) + 1
                    } else {
                        s
                    };
                    assert_eq!(e, want_end.max(s), "end {start}..{end}");
                    assert_eq!(d, r.was_defanged(start, end), "defanged {start}..{end}");
                }
                let _ = r.map_span(&mut cursor, start, start);
            }
        }
    }

    #[test]
    fn json_slashes_are_not_defanging() {
        let r = refang(br#"{"u":"http:\/\/example.com\/a"}"#);
        assert_eq!(&r.text[..], br#"{"u":"http://example.com/a"}"#);
        assert!(!r.was_defanged(0, r.text.len()));
    }

    #[test]
    fn defang_round_trip() {
        let d = defang(IocKind::Url, "http://evil.example.com/a.php");
        assert_eq!(d, "hxxp[://]evil[.]example[.]com/a.php");
        assert_eq!(plain(&d), "http://evil.example.com/a.php");
    }
}
