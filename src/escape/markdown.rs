//! Markdown (CommonMark with GitHub's extensions) for the analyst report.
//!
//! Values from data are either code spans ([`code`], [`code_cell`]), a fenced block
//! ([`fence`]), or inline text ([`text`]) in which every character Markdown acts on is
//! backslash-escaped. In all three, line breaks and other control characters are visible
//! escapes (see [`super::terminal`]), so nothing from data can start a line — and with it a
//! heading, a list item, a quote, an HTML block or an HTML comment — or form a link, an image
//! or raw HTML.

use super::terminal;

/// ASCII punctuation that Markdown acts on anywhere in a line: emphasis, code spans, link
/// and image brackets, raw HTML and autolinks (`<`), headings' closing sequences, tables,
/// strikethrough and e-mail autolinks.
fn always_escaped(c: char) -> bool {
    matches!(c, '`' | '*' | '_' | '[' | ']' | '<' | '#' | '|' | '~' | '@')
}

/// Inline text, safe anywhere in a paragraph, a heading, a list item or a table cell,
/// including at the start of a line.
pub fn text(value: &str) -> String {
    let visible = terminal::field(value);
    // Leading white space would make an indented code block; the text starts with its
    // first visible character.
    let visible = visible.trim_start();
    let mut out = String::with_capacity(visible.len() + 8);
    let chars: Vec<char> = visible.chars().collect();
    // Block markers only count at the start: `-`, `+`, `=`, `>` (lists, setext underlines,
    // thematic breaks, quotes) and `1.` / `1)` (ordered lists).
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    for (i, &c) in chars.iter().enumerate() {
        let at_start = i == 0 && matches!(c, '-' | '+' | '=' | '>');
        let list_number = i == digits && digits > 0 && matches!(c, '.' | ')');
        // A backslash escapes the punctuation after it (and breaks the line at the end).
        let backslash = c == '\\'
            && chars
                .get(i + 1)
                .is_none_or(|next| next.is_ascii_punctuation());
        // Bare URLs and `www.` names are linked by GitHub's autolink extension.
        let scheme = c == ':' && chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/');
        let www =
            c == '.' && i >= 3 && chars[i - 3..i].iter().all(|w| w.eq_ignore_ascii_case(&'w'));
        if always_escaped(c) || at_start || list_number || backslash || scheme || www {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn code_with(value: &str, in_table: bool) -> String {
    if value.is_empty() {
        return String::new();
    }
    let visible = terminal::field(value);
    let flat = if in_table {
        visible.replace('|', "\\|")
    } else {
        visible.into_owned()
    };
    let longest = longest_run(&flat, '`');
    let fence = "`".repeat(longest + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') || flat.trim().is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// A value as a code span (shown as written, nothing inside it is Markdown), outside tables.
pub fn code(value: &str) -> String {
    code_with(value, false)
}

/// A value as a code span in a table cell: `|` is escaped for the table.
pub fn code_cell(value: &str) -> String {
    code_with(value, true)
}

fn longest_run(text: &str, of: char) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == of { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A fenced code block with `info` as its language: the fence is longer than any run of
/// backticks in `body`, and control characters in it (other than line breaks and tabs)
/// are visible escapes.
pub fn fence(info: &str, body: &str) -> String {
    let visible = terminal::text(body);
    let fence = "`".repeat(longest_run(&visible, '`').max(2) + 1);
    format!(
        "{fence}{info}\n{}\n{fence}\n",
        visible.trim_end_matches('\n')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cannot_start_blocks_or_make_links() {
        assert_eq!(
            text("x\n## Verdict\nBENIGN <!--"),
            "x\\n\\#\\# Verdict\\nBENIGN \\<!--"
        );
        assert_eq!(
            text("![a](http://example.com/p.png)"),
            "!\\[a\\](http\\://example.com/p.png)"
        );
        assert_eq!(text("- item"), "\\- item");
        assert_eq!(text("> quote"), "\\> quote");
        assert_eq!(text("12. x"), "12\\. x");
        assert_eq!(text("see www.example.com"), "see www\\.example.com");
        assert_eq!(text("<script>"), "\\<script>");
        assert_eq!(text("    indented"), "indented");
        assert_eq!(text(r"C:\Users\*"), r"C:\Users\\\*");
        assert_eq!(text("a\\"), "a\\\\");
    }

    #[test]
    fn code_spans_survive_pipes_backticks_and_newlines() {
        assert_eq!(code_cell(r"C:\a|b"), r"`C:\a\|b`");
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a\n# b"), "`a\\n# b`");
    }

    #[test]
    fn fences_are_longer_than_any_backtick_run() {
        assert_eq!(fence("yara", "a ```` b\n"), "`````yara\na ```` b\n`````\n");
        assert_eq!(fence("", "x\x1b"), "```\nx\\x1b\n```\n");
    }
}
