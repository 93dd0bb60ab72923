//! Text for a terminal, a pager or a text file: characters that a terminal acts on or that
//! change how the text around them is shown — C0 and C1 control characters (escape
//! sequences set window titles and clear screens), DEL, bidirectional overrides and
//! isolates (which make `exe.txt` look like `txt.exe`), and invisible separators — are
//! written as visible escapes (`\x1b`, `\u{202e}`), never as themselves.

use std::borrow::Cow;

/// Whether `c` is one of the bidirectional formatting characters (embeddings, overrides,
/// isolates and marks).
pub fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// Whether `c` must not reach a reader as itself: control characters (C0, DEL, C1),
/// bidirectional formatting, zero-width and line/paragraph separators, the byte-order mark.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || is_bidi(c)
        || matches!(
            c,
            '\u{200b}'..='\u{200d}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        )
}

/// Appends the visible escape of `c`: `\n`, `\r`, `\t`, `\xHH` below U+0100, `\u{HHHH}` above.
pub fn push_escape(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

fn escape_where(text: &str, unsafe_: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&unsafe_) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value on one line (a name, a path, a command line, a message): every unsafe
/// character, newlines and tabs included, becomes a visible escape.
pub fn field(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unsafe)
}

/// A whole text whose line breaks and tabs are layout: like [`field`], but `\n` and `\t`
/// stay as they are.
pub fn text(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_become_visible() {
        assert_eq!(field("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(field("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(field("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(field("\u{9b}2J"), "\\x9b2J");
        assert_eq!(text("a\nb\tc\x1b[2J"), "a\nb\tc\\x1b[2J");
        assert!(matches!(field(r"C:\Users\ü"), Cow::Borrowed(_)));
    }
}
