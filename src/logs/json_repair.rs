//! Repairing JSON text that a strict parser refuses only because of bad characters inside
//! strings: invalid UTF-8 bytes, lone UTF-16 surrogate escapes (`\udc80`), unknown escapes
//! (`\q`) and raw control characters. Each is replaced (by U+FFFD, or an escaped backslash
//! for an unknown escape) and counted, so a log with one bad field is still read record by
//! record as what it is, with a warning, instead of being given up on.
//!
//! Works on a stream ([`Repairing`], a reader adapter with a few bytes of look-ahead, so a
//! report of any size is repaired on the fly) and on one line ([`repair`]).

use std::io::{self, Read};

/// The escaped replacement character.
const FFFD_ESCAPE: &[u8] = b"\\uFFFD";
/// The replacement character in UTF-8.
const FFFD: &[u8] = "\u{fffd}".as_bytes();

/// The repairing state machine: feed it bytes, it writes repaired bytes.
#[derive(Debug, Default)]
pub struct Repair {
    in_string: bool,
    /// An escape being read (starts with `\`; up to `\uD800\uDC00`).
    esc: Vec<u8>,
    /// A multi-byte UTF-8 sequence being read, and how many bytes it still needs.
    utf8: Vec<u8>,
    utf8_need: usize,
    /// Replacements made so far.
    pub replaced: u64,
}

fn hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

fn unit(digits: &[u8]) -> u32 {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| u32::from_str_radix(s, 16).ok())
        .unwrap_or(0)
}

impl Repair {
    /// A fresh state (outside any string).
    pub fn new() -> Self {
        Repair::default()
    }

    /// Takes one byte.
    pub fn feed(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.utf8_need > 0 {
            if (0x80..=0xbf).contains(&b) {
                self.utf8.push(b);
                self.utf8_need -= 1;
                if self.utf8_need == 0 {
                    if std::str::from_utf8(&self.utf8).is_ok() {
                        out.extend_from_slice(&self.utf8);
                    } else {
                        self.replace_char(out);
                    }
                    self.utf8.clear();
                }
                return;
            }
            // cut short by a byte that does not continue it
            self.utf8.clear();
            self.utf8_need = 0;
            self.replace_char(out);
        }
        if b < 0x80 {
            self.ascii(b, out);
            return;
        }
        self.abort_escape(out);
        let need = match b {
            0xc2..=0xdf => 1,
            0xe0..=0xef => 2,
            0xf0..=0xf4 => 3,
            _ => 0,
        };
        if need == 0 {
            self.replace_char(out);
        } else {
            self.utf8.push(b);
            self.utf8_need = need;
        }
    }

    /// Ends the input: whatever is pending is repaired and written.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        if self.utf8_need > 0 {
            self.utf8.clear();
            self.utf8_need = 0;
            self.replace_char(out);
        }
        self.abort_escape(out);
    }

    fn replace_char(&mut self, out: &mut Vec<u8>) {
        self.replaced += 1;
        out.extend_from_slice(FFFD);
    }

    fn ascii(&mut self, b: u8, out: &mut Vec<u8>) {
        if !self.esc.is_empty() {
            self.escape_byte(b, out);
            return;
        }
        if !self.in_string {
            if b == b'"' {
                self.in_string = true;
            }
            out.push(b);
            return;
        }
        match b {
            b'"' => {
                self.in_string = false;
                out.push(b);
            }
            b'\\' => self.esc.push(b),
            0..=0x1f => {
                self.replaced += 1;
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            }
            _ => out.push(b),
        }
    }

    /// The escape read so far is not a valid one: a lone high surrogate becomes U+FFFD and
    /// what followed it is read again; any other broken escape keeps its text with the
    /// backslash escaped.
    fn abort_escape(&mut self, out: &mut Vec<u8>) {
        if self.esc.is_empty() {
            return;
        }
        let esc = std::mem::take(&mut self.esc);
        self.replaced += 1;
        if esc.len() >= 6 {
            // `\uD8xx` and a start of what followed it
            out.extend_from_slice(FFFD_ESCAPE);
            for &b in &esc[6..] {
                self.ascii(b, out);
            }
        } else {
            out.extend_from_slice(b"\\\\");
            for &b in &esc[1..] {
                self.ascii(b, out);
            }
        }
    }

    fn escape_byte(&mut self, b: u8, out: &mut Vec<u8>) {
        let n = self.esc.len();
        let fits = match n {
            1 => matches!(
                b,
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' | b'u'
            ),
            2..=5 => hex(b),
            6 => b == b'\\',
            7 => b == b'u',
            8..=11 => hex(b),
            _ => false,
        };
        if !fits {
            self.abort_escape(out);
            self.ascii(b, out);
            return;
        }
        self.esc.push(b);
        match self.esc.len() {
            2 if b != b'u' => out.extend_from_slice(&std::mem::take(&mut self.esc)),
            6 => match unit(&self.esc[2..6]) {
                0xd800..=0xdbff => {} // a pair may follow
                0xdc00..=0xdfff => {
                    self.esc.clear();
                    self.replaced += 1;
                    out.extend_from_slice(FFFD_ESCAPE);
                }
                _ => out.extend_from_slice(&std::mem::take(&mut self.esc)),
            },
            12 => {
                if (0xdc00..=0xdfff).contains(&unit(&self.esc[8..12])) {
                    out.extend_from_slice(&std::mem::take(&mut self.esc));
                } else {
                    // a high surrogate, then another escape: replace the first, read the
                    // second again
                    let second = self.esc.split_off(6);
                    self.esc.clear();
                    self.replaced += 1;
                    out.extend_from_slice(FFFD_ESCAPE);
                    for b in second {
                        self.ascii(b, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// One JSON text (a line of NDJSON) repaired; `None` when nothing needed repair.
pub fn repair(text: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut r = Repair::new();
    let mut out = Vec::with_capacity(text.len() + 16);
    for &b in text {
        r.feed(b, &mut out);
    }
    r.finish(&mut out);
    (r.replaced > 0).then_some((out, r.replaced))
}

/// A reader that repairs the JSON text read through it (see the module comment).
pub struct Repairing<R> {
    inner: R,
    repair: Repair,
    buf: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> Repairing<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        Repairing {
            inner,
            repair: Repair::new(),
            buf: vec![0; 64 * 1024],
            out: Vec::new(),
            pos: 0,
            done: false,
        }
    }

    /// Replacements made in what was read so far.
    pub fn replaced(&self) -> u64 {
        self.repair.replaced
    }
}

impl<R: Read> Read for Repairing<R> {
    fn read(&mut self, dest: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.out.clear();
            self.pos = 0;
            let n = match self.inner.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                self.repair.finish(&mut self.out);
                self.done = true;
            } else {
                for &b in &self.buf[..n] {
                    self.repair.feed(b, &mut self.out);
                }
            }
        }
        let n = dest.len().min(self.out.len() - self.pos);
        dest[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &[u8]) -> (String, u64) {
        match repair(text) {
            Some((out, n)) => (String::from_utf8(out).expect("UTF-8"), n),
            None => (String::from_utf8_lossy(text).into_owned(), 0),
        }
    }

    #[test]
    fn bad_characters_in_strings_are_replaced_and_counted() {
        assert_eq!(
            fixed(br#"{"a":"x\udc80y"}"#),
            (r#"{"a":"x\uFFFDy"}"#.into(), 1)
        );
        assert_eq!(
            fixed(br#"{"a":"x\ud800"}"#),
            (r#"{"a":"x\uFFFD"}"#.into(), 1)
        );
        assert_eq!(
            fixed(br#"{"a":"\ud800\u0041"}"#),
            (r#"{"a":"\uFFFD\u0041"}"#.into(), 1)
        );
        assert_eq!(fixed(br#"{"a":"\ud83d\ude00 ok"}"#).1, 0);
        assert_eq!(fixed(br#"{"a":"\\udc80"}"#).1, 0);
        assert_eq!(fixed(br#"{"a":"C:\q"}"#), (r#"{"a":"C:\\q"}"#.into(), 1));
        assert_eq!(
            fixed(b"{\"a\":\"x\xffy\"}"),
            ("{\"a\":\"x\u{fffd}y\"}".into(), 1)
        );
        assert_eq!(
            fixed(b"{\"a\":\"x\x01\"}"),
            ("{\"a\":\"x\\u0001\"}".into(), 1)
        );
        assert_eq!(fixed("{\"a\":\"ü\"}".as_bytes()).1, 0);
        for text in [
            br#"{"a":"x\udc80y"}"#.as_slice(),
            b"{\"a\":\"\xe2\x82\"}",
            br#"{"a":"\ud800\ud800\udc00"}"#,
        ] {
            let (out, _) = repair(text).expect("repaired");
            serde_json::from_slice::<serde_json::Value>(&out).expect("valid JSON");
        }
    }

    #[test]
    fn the_reader_repairs_a_stream() {
        let text = br#"{"a":["x\udc80", "\ud800"], "b": "ok"}"#.repeat(5000);
        let mut reader = Repairing::new(&text[..]);
        let mut out = Vec::new();
        reader.read_to_end(&mut out).expect("read");
        assert_eq!(reader.replaced(), 10_000);
        let parsed: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&out)
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("valid JSON");
        assert_eq!(parsed.len(), 5000);
    }
}
