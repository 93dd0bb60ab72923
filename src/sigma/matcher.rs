//! One Sigma field condition: a value with its modifiers, compiled into a matcher.
//!
//! Owns the Sigma value semantics: case-insensitive comparison by default (`cased` makes
//! it exact), the `*` / `?` wildcards with `\` escapes as pySigma reads them, the string
//! modifiers (`contains`, `startswith`, `endswith`, `windash`, `base64`, `base64offset`,
//! `wide` / `utf16le` / `utf16be` / `utf16`), `re` (with `i`, `m`, `s`), `cidr`, `exists`,
//! `fieldref`, the numeric comparisons (`lt`, `lte`, `gt`, `gte`) and `null`. A modifier
//! spoor does not know is an [`Unsupported`] error naming it, never ignored.

use base64::Engine as _;
use regex::Regex;
use std::net::IpAddr;

/// A rule feature spoor does not implement (the rule is not run; the name is counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

/// A record's field value, with its lower-case form computed once.
#[derive(Debug, Clone)]
pub struct Value {
    /// The value as written.
    pub text: String,
    /// `text` in lower case.
    pub lower: String,
}

impl Value {
    /// A value and its lower-case form.
    pub fn new(text: String) -> Self {
        let lower = text.to_lowercase();
        Value { text, lower }
    }
}

/// How a string pattern compares (lower-cased unless `cased`).
#[derive(Debug, Clone)]
pub enum StrMatch {
    Equals(String),
    Contains(String),
    StartsWith(String),
    EndsWith(String),
    Glob(Regex),
}

/// One compiled value condition.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// A string pattern; `cased` compares exactly.
    Str { how: StrMatch, cased: bool },
    /// A regular expression (`re`).
    Regex(Regex),
    /// An address inside a network (`cidr`).
    Cidr(IpAddr, u8),
    /// A number comparison (`lt`, `lte`, `gt`, `gte`).
    Number(Cmp, f64),
    /// Whether the field is present (`exists`).
    Exists(bool),
    /// The field is absent or empty (`null`).
    Null,
    /// The value compared with another field of the same record (`fieldref`).
    FieldRef { field: String, how: Position },
}

/// Numeric comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// Where a pattern must sit in the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Whole,
    Contains,
    Start,
    End,
}

/// A token of a Sigma string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    Char(char),
    Star,
    One,
    Dash,
}

/// The modifiers of one field, parsed from `Field|mod1|mod2`.
#[derive(Debug, Clone, Default)]
pub struct Modifiers {
    pub position: Option<Position>,
    pub all: bool,
    pub cased: bool,
    pub windash: bool,
    pub base64: bool,
    pub base64offset: bool,
    pub utf16: Option<Utf16>,
    pub re: bool,
    pub re_flags: String,
    pub cidr: bool,
    pub exists: bool,
    pub fieldref: bool,
    pub cmp: Option<Cmp>,
    pub expand: bool,
}

/// UTF-16 encodings before base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Utf16 {
    Le,
    Be,
    /// With a byte-order mark, little-endian.
    Bom,
}

impl Modifiers {
    /// Parses the modifier names after a field name.
    pub fn parse<'a>(names: impl Iterator<Item = &'a str>) -> Result<Self, Unsupported> {
        let mut m = Modifiers::default();
        for name in names {
            match name {
                "contains" => m.position = Some(Position::Contains),
                "startswith" => m.position = Some(Position::Start),
                "endswith" => m.position = Some(Position::End),
                "all" => m.all = true,
                "cased" => m.cased = true,
                "windash" => m.windash = true,
                "base64" => m.base64 = true,
                "base64offset" => m.base64offset = true,
                "wide" | "utf16le" => m.utf16 = Some(Utf16::Le),
                "utf16be" => m.utf16 = Some(Utf16::Be),
                "utf16" => m.utf16 = Some(Utf16::Bom),
                "re" => m.re = true,
                "i" | "ignorecase" => m.re_flags.push('i'),
                "m" | "multiline" => m.re_flags.push('m'),
                "s" | "dotall" => m.re_flags.push('s'),
                "cidr" => m.cidr = true,
                "exists" => m.exists = true,
                "fieldref" => m.fieldref = true,
                "lt" => m.cmp = Some(Cmp::Lt),
                "lte" => m.cmp = Some(Cmp::Lte),
                "gt" => m.cmp = Some(Cmp::Gt),
                "gte" => m.cmp = Some(Cmp::Gte),
                "expand" => m.expand = true,
                other => return Err(Unsupported(format!("modifier '{other}'"))),
            }
        }
        if !m.re_flags.is_empty() && !m.re {
            return Err(Unsupported("regex flags without 're'".into()));
        }
        Ok(m)
    }
}

/// A rule value as YAML gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleValue {
    Str(String),
    Int(i64),
    Float(String),
    Bool(bool),
    Null,
}

impl RuleValue {
    fn text(&self) -> Option<String> {
        match self {
            RuleValue::Str(s) => Some(s.clone()),
            RuleValue::Int(i) => Some(i.to_string()),
            RuleValue::Float(f) => Some(f.clone()),
            RuleValue::Bool(b) => Some(b.to_string()),
            RuleValue::Null => None,
        }
    }
}

/// Compiles one value under `mods` into the matchers it stands for (base64offset gives
/// three; all others one).
pub fn compile(value: &RuleValue, mods: &Modifiers) -> Result<Vec<Matcher>, Unsupported> {
    if mods.exists {
        return match value {
            RuleValue::Bool(b) => Ok(vec![Matcher::Exists(*b)]),
            RuleValue::Str(s) if s.eq_ignore_ascii_case("true") => Ok(vec![Matcher::Exists(true)]),
            RuleValue::Str(s) if s.eq_ignore_ascii_case("false") => {
                Ok(vec![Matcher::Exists(false)])
            }
            _ => Err(Unsupported(
                "'exists' with a value that is not true/false".into(),
            )),
        };
    }
    let Some(text) = value.text() else {
        return Ok(vec![Matcher::Null]);
    };
    if let Some(cmp) = mods.cmp {
        let n: f64 = text
            .trim()
            .parse()
            .map_err(|_| Unsupported(format!("comparison with a non-number '{text}'")))?;
        return Ok(vec![Matcher::Number(cmp, n)]);
    }
    if mods.fieldref {
        return Ok(vec![Matcher::FieldRef {
            field: text,
            how: mods.position.unwrap_or(Position::Whole),
        }]);
    }
    if mods.cidr {
        let (addr, bits) = parse_cidr(&text)
            .ok_or_else(|| Unsupported(format!("'cidr' with a bad network '{text}'")))?;
        return Ok(vec![Matcher::Cidr(addr, bits)]);
    }
    if mods.re {
        let mut flags: Vec<char> = mods.re_flags.chars().collect();
        flags.sort_unstable();
        flags.dedup();
        let flags: String = flags.into_iter().collect();
        let pattern = if flags.is_empty() {
            text.clone()
        } else {
            format!("(?{flags}){text}")
        };
        return Regex::new(&pattern)
            .map(|r| vec![Matcher::Regex(r)])
            .map_err(|_| Unsupported("regular expression features beyond the regex crate (look-around, back-references)".into()));
    }
    if mods.base64 || mods.base64offset {
        let bytes = encode_utf16(&text, mods.utf16);
        let encoded = if mods.base64offset {
            base64_offsets(&bytes)
        } else {
            vec![base64::engine::general_purpose::STANDARD.encode(&bytes)]
        };
        let position = match (mods.base64offset, mods.position) {
            (true, _) => Position::Contains,
            (false, p) => p.unwrap_or(Position::Whole),
        };
        // base64 text is matched as it is (case matters), without wildcards
        return Ok(encoded
            .into_iter()
            .map(|e| {
                let toks: Vec<Tok> = e.chars().map(Tok::Char).collect();
                string_matcher(toks, position, true)
            })
            .collect());
    }
    if mods.utf16.is_some() {
        return Err(Unsupported("'wide'/'utf16' without base64".into()));
    }
    // `expand`: a placeholder (`%name%`) spoor has no values for stands for anything, as
    // pySigma's `wildcard_placeholders` transformation reads it
    let text = if mods.expand {
        expand_placeholders(&text)
    } else {
        text
    };
    let toks = tokens(&text, mods.windash);
    Ok(vec![string_matcher(
        toks,
        mods.position.unwrap_or(Position::Whole),
        mods.cased,
    )])
}

/// A keyword (a value without a field): found anywhere in any field.
pub fn keyword(value: &RuleValue) -> Result<Matcher, Unsupported> {
    let text = value
        .text()
        .ok_or_else(|| Unsupported("null keyword".into()))?;
    Ok(string_matcher(
        tokens(&text, false),
        Position::Contains,
        false,
    ))
}

fn expand_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end)
                if end > 0
                    && after[..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                out.push_str(&rest[..start]);
                out.push('*');
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str(&rest[..=start]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Sigma string escapes: `\*`, `\?` and `\\` are literal; any other `\` is itself.
fn tokens(text: &str, windash: bool) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if matches!(chars.get(i + 1), Some('*' | '?' | '\\')) => {
                out.push(Tok::Char(chars[i + 1]));
                i += 2;
                continue;
            }
            '*' => out.push(Tok::Star),
            '?' => out.push(Tok::One),
            '-' | '/' | '\u{2013}' | '\u{2014}' | '\u{2015}'
                if windash && (i == 0 || chars[i - 1].is_whitespace()) =>
            {
                out.push(Tok::Dash)
            }
            c => out.push(Tok::Char(c)),
        }
        i += 1;
    }
    out
}

fn string_matcher(mut toks: Vec<Tok>, position: Position, cased: bool) -> Matcher {
    match position {
        Position::Contains => {
            toks.insert(0, Tok::Star);
            toks.push(Tok::Star);
        }
        Position::Start => toks.push(Tok::Star),
        Position::End => toks.insert(0, Tok::Star),
        Position::Whole => {}
    }
    let lead = toks.first() == Some(&Tok::Star);
    let trail = toks.len() > 1 && toks.last() == Some(&Tok::Star);
    let inner_start = usize::from(lead);
    let inner_end = toks.len() - usize::from(trail);
    let inner = &toks[inner_start..inner_end.max(inner_start)];
    let plain: Option<String> = inner
        .iter()
        .map(|t| match t {
            Tok::Char(c) => Some(*c),
            _ => None,
        })
        .collect();
    let fold = |s: String| if cased { s } else { s.to_lowercase() };
    let how = match plain {
        Some(s) => {
            let s = fold(s);
            match (lead, trail) {
                (true, true) => StrMatch::Contains(s),
                (true, false) => StrMatch::EndsWith(s),
                (false, true) => StrMatch::StartsWith(s),
                (false, false) => StrMatch::Equals(s),
            }
        }
        None => {
            let mut re = String::from(if cased { "(?s)^" } else { "(?is)^" });
            for t in &toks {
                match t {
                    Tok::Char(c) => re.push_str(&regex::escape(&c.to_string())),
                    Tok::Star => re.push_str(".*"),
                    Tok::One => re.push('.'),
                    Tok::Dash => re.push_str("[-/\u{2013}\u{2014}\u{2015}]"),
                }
            }
            re.push('$');
            match Regex::new(&re) {
                Ok(r) => StrMatch::Glob(r),
                // escaped literals always compile; keep a never-matching fallback
                Err(_) => StrMatch::Equals("\u{0}never\u{0}".into()),
            }
        }
    };
    Matcher::Str { how, cased }
}

fn encode_utf16(text: &str, utf16: Option<Utf16>) -> Vec<u8> {
    match utf16 {
        None => text.as_bytes().to_vec(),
        Some(Utf16::Le) => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Some(Utf16::Be) => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some(Utf16::Bom) => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// The three base64 forms of `bytes` at offsets 0, 1 and 2 of an encoded stream, with
/// the characters that depend on the neighbouring bytes cut off (as the Sigma
/// specification defines `base64offset`).
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    let mut out = Vec::new();
    for shift in 0..3 {
        let mut padded = vec![b' '; shift];
        padded.extend_from_slice(bytes);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&padded);
        let cut_end = END[(bytes.len() + shift) % 3];
        let start = START[shift];
        let end = encoded.len().saturating_sub(cut_end);
        if start < end {
            out.push(encoded[start..end].to_string());
        }
    }
    out
}

fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.trim().split_once('/') {
        Some((a, b)) => (a.parse::<IpAddr>().ok()?, b.parse::<u8>().ok()?),
        None => {
            let a = text.trim().parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn in_network(value: &str, net: IpAddr, bits: u8) -> bool {
    let text = value.trim();
    let text = text
        .strip_prefix("::ffff:")
        .filter(|_| net.is_ipv4())
        .unwrap_or(text);
    let Ok(addr) = text.parse::<IpAddr>() else {
        return false;
    };
    match (addr, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

impl Matcher {
    /// Whether the field's value (`None`: absent) satisfies this matcher; `lookup` gives
    /// another field of the same record (for `fieldref`).
    pub fn matches(&self, value: Option<&Value>, lookup: &dyn Fn(&str) -> Option<Value>) -> bool {
        match self {
            Matcher::Exists(want) => value.is_some() == *want,
            Matcher::Null => value.is_none_or(|v| v.text.is_empty()),
            _ => match value {
                None => false,
                Some(v) => self.matches_text(v, lookup),
            },
        }
    }

    /// Whether a present value satisfies this matcher.
    pub fn matches_text(&self, v: &Value, lookup: &dyn Fn(&str) -> Option<Value>) -> bool {
        match self {
            Matcher::Str { how, cased } => {
                let hay = if *cased { &v.text } else { &v.lower };
                match how {
                    StrMatch::Equals(s) => hay == s,
                    StrMatch::Contains(s) => {
                        memchr::memmem::find(hay.as_bytes(), s.as_bytes()).is_some()
                    }
                    StrMatch::StartsWith(s) => hay.starts_with(s.as_str()),
                    StrMatch::EndsWith(s) => hay.ends_with(s.as_str()),
                    StrMatch::Glob(r) => r.is_match(&v.text),
                }
            }
            Matcher::Regex(r) => r.is_match(&v.text),
            Matcher::Cidr(net, bits) => in_network(&v.text, *net, *bits),
            Matcher::Number(cmp, n) => {
                let text = v.text.trim();
                let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                    Some(hex) => i64::from_str_radix(hex, 16).ok().map(|x| x as f64),
                    None => text.parse::<f64>().ok(),
                };
                parsed.is_some_and(|x| match cmp {
                    Cmp::Lt => x < *n,
                    Cmp::Lte => x <= *n,
                    Cmp::Gt => x > *n,
                    Cmp::Gte => x >= *n,
                })
            }
            Matcher::Exists(want) => *want,
            Matcher::Null => v.text.is_empty(),
            Matcher::FieldRef { field, how } => match lookup(field) {
                None => false,
                Some(other) => match how {
                    Position::Whole => v.lower == other.lower,
                    Position::Contains => v.lower.contains(&other.lower),
                    Position::Start => v.lower.starts_with(&other.lower),
                    Position::End => v.lower.ends_with(&other.lower),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(value: &str, mods: &[&str], field: &str) -> bool {
        let m = Modifiers::parse(mods.iter().copied()).unwrap();
        let ms = compile(&RuleValue::Str(value.into()), &m).unwrap();
        let v = Value::new(field.into());
        ms.iter().any(|m| m.matches(Some(&v), &|_| None))
    }

    #[test]
    fn wildcards_and_case() {
        assert!(check("*\\cmd.exe", &[], "C:\\Windows\\System32\\CMD.EXE"));
        assert!(!check(
            "*\\cmd.exe",
            &["cased"],
            "C:\\Windows\\System32\\CMD.EXE"
        ));
        assert!(check(
            "c:\\win*\\sys?em32\\x",
            &[],
            "C:\\Windows\\System32\\x"
        ));
        assert!(check("a\\*b", &[], "a*b"));
        assert!(!check("a\\*b", &[], "axxb"));
        assert!(check("C:\\Temp\\", &["startswith"], "c:\\temp\\x.exe"));
        assert!(check("whoami", &["contains"], "cmd /c WHOAMI /all"));
        assert!(check("whoami", &["endswith"], "WHOAMI"));
    }

    #[test]
    fn windash_base64_cidr_re() {
        assert!(check(
            " -enc ",
            &["contains", "windash"],
            "powershell /enc AAA"
        ));
        assert!(check(
            " -enc ",
            &["contains", "windash"],
            "powershell \u{2013}enc AAA"
        ));
        assert!(!check(
            " -enc ",
            &["contains", "windash"],
            "powershell xenc AAA"
        ));
        assert!(check("http", &["base64"], "aHR0cA=="));
        // "Invoke" at three offsets inside a longer base64 stream
        for prefix in ["", "a", "ab"] {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{prefix}Invoke-Thing"));
            assert!(
                check("Invoke", &["base64offset", "contains"], &encoded),
                "{prefix}"
            );
        }
        let wide = base64::engine::general_purpose::STANDARD.encode(
            "IEX x"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>(),
        );
        assert!(check("IEX", &["wide", "base64offset", "contains"], &wide));
        assert!(check("192.0.2.0/24", &["cidr"], "192.0.2.77"));
        assert!(!check("192.0.2.0/24", &["cidr"], "198.51.100.1"));
        assert!(check("2001:db8::/32", &["cidr"], "2001:db8:fe7c::17"));
        assert!(check("^a.c$", &["re"], "abc"));
        assert!(!check("^A.C$", &["re"], "abc"));
        assert!(check("^A.C$", &["re", "i"], "abc"));
    }

    #[test]
    fn unknown_modifiers_are_named() {
        let err = Modifiers::parse(["expandx"].into_iter()).unwrap_err();
        assert!(err.0.contains("expandx"));
        assert!(check("%known%", &["contains", "expand"], "anything"));
        assert!(check("a%p%c", &["expand"], "abbbc"));
        assert!(!check("a%p%c", &["expand"], "abbbd"));
        assert_eq!(expand_placeholders("100% %x% 5%"), "100% * 5%");
        let m = Modifiers::parse(["re"].into_iter()).unwrap();
        assert!(compile(&RuleValue::Str("(?<=a)b".into()), &m).is_err());
    }

    #[test]
    fn null_and_exists() {
        let m = Modifiers::default();
        let ms = compile(&RuleValue::Null, &m).unwrap();
        assert!(ms[0].matches(None, &|_| None));
        assert!(ms[0].matches(Some(&Value::new(String::new())), &|_| None));
        assert!(!ms[0].matches(Some(&Value::new("x".into())), &|_| None));
        let m = Modifiers::parse(["exists"].into_iter()).unwrap();
        let ms = compile(&RuleValue::Bool(false), &m).unwrap();
        assert!(ms[0].matches(None, &|_| None));
    }
}
