//! Rendering rules through the templates in `rule-templates/` (minijinja), and the YARA
//! escaping that makes every string and meta value safe whatever bytes it holds.

use minijinja::Environment;
use serde::Serialize;

/// The built-in templates: name and source.
pub const TEMPLATES: [(&str, &str); 5] = [
    ("pe", include_str!("../../rule-templates/pe.yar.j2")),
    ("elf", include_str!("../../rule-templates/elf.yar.j2")),
    ("macho", include_str!("../../rule-templates/macho.yar.j2")),
    (
        "generic",
        include_str!("../../rule-templates/generic.yar.j2"),
    ),
    (
        "network",
        include_str!("../../rule-templates/network.yar.j2"),
    ),
];

/// One meta line: key and a ready YARA literal.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MetaLine {
    /// Identifier.
    pub key: String,
    /// Quoted and escaped string, or a number.
    pub value: String,
}

impl MetaLine {
    /// A string-valued meta line.
    pub fn text(key: &str, value: &str) -> Self {
        MetaLine {
            key: key.into(),
            value: quote(value),
        }
    }

    /// A number-valued meta line.
    pub fn number(key: &str, value: i64) -> Self {
        MetaLine {
            key: key.into(),
            value: value.to_string(),
        }
    }
}

/// One string line.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StringLine {
    /// `$x1`, `$s3`, ...
    pub id: String,
    /// The quoted, escaped literal.
    pub literal: String,
    /// Empty, or modifiers with a leading space (` ascii wide fullword`).
    pub modifiers: String,
    /// The evidence, one line of printable text.
    pub comment: String,
}

/// What a template sees as `rule`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RuleView {
    /// Rule identifier.
    pub name: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Meta lines.
    pub meta: Vec<MetaLine>,
    /// String lines.
    pub strings: Vec<StringLine>,
    /// String condition.
    pub condition: String,
    /// Modules the rule imports (`dotnet`), one `import` line each.
    pub imports: Vec<String>,
    /// A condition on module facts that identifies the samples on its own (a .NET
    /// assembly's MVID or type library id), or empty; templates join it to `condition`
    /// with `or`.
    pub module_condition: String,
    /// Size bound, e.g. `100KB`.
    pub filesize: String,
}

/// A template chosen by name (built-in) or given as source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// One of [`TEMPLATES`].
    Builtin(&'static str),
    /// A user's template source.
    Custom(String),
}

impl Template {
    /// The built-in template called `name`.
    pub fn builtin(name: &str) -> Option<Template> {
        TEMPLATES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, _)| Template::Builtin(n))
    }

    /// The template's name, for messages and meta.
    pub fn name(&self) -> &str {
        match self {
            Template::Builtin(n) => n,
            Template::Custom(_) => "custom",
        }
    }

    fn source(&self) -> &str {
        match self {
            Template::Builtin(n) => TEMPLATES
                .iter()
                .find(|(m, _)| m == n)
                .map_or("", |(_, s)| s),
            Template::Custom(s) => s,
        }
    }
}

/// Renders one rule; a template error names the template ([`crate::Error::Template`]).
pub fn render(template: &Template, rule: &RuleView) -> Result<String, crate::Error> {
    let failed = |e: minijinja::Error| crate::Error::Template {
        template: template.name().to_string(),
        message: e.to_string(),
    };
    let mut env = Environment::new();
    env.add_template("rule", template.source())
        .map_err(failed)?;
    let t = env.get_template("rule").map_err(failed)?;
    t.render(minijinja::context! { rule => minijinja::value::Value::from(minijinja::value::Serde(rule)) })
        .map_err(failed)
}

/// A YARA text literal for `s`: quotes, backslashes and tabs escaped, every other byte
/// outside printable ASCII written as `\xNN`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for b in s.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    out
}

/// The modifiers of a text string, with a leading space: `ascii wide` or `wide` for text
/// seen as UTF-16LE, and `fullword` when the text begins and ends with a letter or digit
/// (a string starting or ending with punctuation cannot be a whole word).
pub fn string_modifiers(ascii: bool, wide: bool, text: &str) -> String {
    let mut modifiers = String::new();
    match (ascii, wide) {
        (true, true) => modifiers.push_str(" ascii wide"),
        (false, true) => modifiers.push_str(" wide"),
        _ => {}
    }
    let alnum_ends = text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text.ends_with(|c: char| c.is_ascii_alphanumeric());
    if alnum_ends {
        modifiers.push_str(" fullword");
    }
    modifiers
}

/// `s` made safe inside a `//` comment: printable ASCII only, at most `max` characters.
pub fn comment_text(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push_str("...");
    }
    out
}

/// A YARA identifier from free text: letters, digits and `_`, not starting with a digit,
/// at most 120 characters.
pub fn identifier(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(120)
        .collect();
    while out.contains("__") {
        out = out.replace("__", "_");
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("R_{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_everything_risky() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quote("x\ty\u{1}"), r#""x\ty\x01""#);
        assert_eq!(quote("é"), r#""\xc3\xa9""#);
    }

    #[test]
    fn identifiers_are_valid() {
        assert_eq!(identifier("ashdrop v1-x64.exe"), "ashdrop_v1_x64_exe");
        assert_eq!(identifier("3cx"), "R_3cx");
        assert_eq!(identifier("..."), "R_");
    }
}
