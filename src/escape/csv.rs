//! CSV cells that a spreadsheet shows as text: a value starting with `=`, `+`, `-`, `@`, a
//! tab, a carriage return or a line feed would be read as a formula (and can run
//! `HYPERLINK` or DDE, or leak other cells), so it gets a leading `'`, as the OWASP CSV
//! injection guidance says. Quoting of separators and quotes is the CSV writer's job.

use std::borrow::Cow;

/// Whether a spreadsheet may read `value` as a formula.
pub fn is_formula(value: &str) -> bool {
    value.starts_with(['=', '+', '-', '@', '\t', '\r', '\n'])
        // full-width forms that some spreadsheets fold to their ASCII twins
        || value.starts_with(['\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}'])
}

/// A value as a cell that is never evaluated.
pub fn cell(value: &str) -> Cow<'_, str> {
    if is_formula(value) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_triggers_are_neutralised() {
        assert_eq!(cell("=1+2*3"), "'=1+2*3");
        assert_eq!(
            cell("=HYPERLINK(\"http://example.com\")"),
            "'=HYPERLINK(\"http://example.com\")"
        );
        assert_eq!(cell("+x"), "'+x");
        assert_eq!(cell("-x"), "'-x");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("example.com"), "example.com");
        assert_eq!(cell(""), "");
    }
}
