//! Compiling rendered rules with yara-x: zero errors and zero warnings, or the problem
//! named. Slow patterns are reported by identifier so the caller can drop them and rebuild.

/// Why a rule did not pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    /// Identifiers (`$s3`) of patterns yara-x calls slow.
    pub slow: Vec<String>,
    /// Every other error or warning, as yara-x words it.
    pub other: Vec<String>,
}

impl Problems {
    /// No problem at all.
    pub fn is_clean(&self) -> bool {
        self.slow.is_empty() && self.other.is_empty()
    }
}

/// Compiles `source` with yara-x and reports every error and warning.
pub fn check(source: &str) -> Problems {
    let mut problems = Problems::default();
    let mut compiler = yara_x::Compiler::new();
    let _ = compiler.add_source(source);
    for e in compiler.errors() {
        problems.other.push(format!("error: {e}"));
    }
    for w in compiler.warnings() {
        if w.code() == "slow_pattern" {
            let ids: Vec<String> = w
                .labels()
                .filter_map(|l| pattern_at(source, l.span().0.start as usize))
                .collect();
            if !ids.is_empty() {
                problems.slow.extend(ids);
                continue;
            }
        }
        problems.other.push(format!("warning: {w}"));
    }
    problems.slow.sort();
    problems.slow.dedup();
    problems
}

/// Compiles `source` into rules for scanning (after [`check`] passed).
pub fn compile(source: &str) -> Result<yara_x::Rules, crate::Error> {
    let mut compiler = yara_x::Compiler::new();
    compiler
        .add_source(source)
        .map_err(|e| crate::Error::Rule {
            message: e.to_string(),
        })?;
    Ok(compiler.build())
}

/// The pattern identifier declared on the line holding byte `pos` of `source`.
fn pattern_at(source: &str, pos: usize) -> Option<String> {
    let start = source.get(..pos)?.rfind('\n').map_or(0, |i| i + 1);
    let line = source.get(start..)?.lines().next()?;
    let id = line.trim_start().strip_prefix('$')?;
    let end = id
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(id.len());
    Some(format!("${}", &id[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_patterns_are_named() {
        let src = "rule r {\n strings:\n  $a = \"abcdef\"\n  $b = { 00 00 00 00 }\n condition:\n  any of them\n}\n";
        let p = check(src);
        assert_eq!(p.slow, vec!["$b".to_string()], "{p:?}");
        assert!(p.other.is_empty(), "{p:?}");
    }

    #[test]
    fn errors_are_reported() {
        let p = check("rule r { condition: nonsense }");
        assert!(!p.other.is_empty());
    }
}
