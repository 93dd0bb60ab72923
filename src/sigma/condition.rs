//! The `condition` of a Sigma rule: parsed into a tree over the rule's named searches.
//!
//! Grammar (Sigma specification): `and`, `or`, `not`, parentheses, search names, and the
//! quantifiers `1 of NAME*`, `any of NAME*`, `all of NAME*`, `1 of them`, `all of them`
//! (`NAME*` may hold `*` wildcards). Precedence: `not` over `and` over `or`. An
//! aggregation after `|` (`| count() > 5`, deprecated in favour of correlation rules)
//! is unsupported and reported so.

use super::matcher::Unsupported;

/// A parsed condition; leaves are indices into the rule's searches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Search(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    /// At least one of these searches.
    AnyOf(Vec<usize>),
    /// Every one of these searches.
    AllOf(Vec<usize>),
}

/// Why a condition cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CondError {
    /// Valid Sigma that spoor does not run.
    Unsupported(Unsupported),
    /// Not valid Sigma.
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    Word(String),
}

fn lex(text: &str) -> Result<Vec<Token>, CondError> {
    if text.contains('|') {
        return Err(CondError::Unsupported(Unsupported(
            "aggregation in the condition ('| count()' ...)".into(),
        )));
    }
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' => {
                if !word.is_empty() {
                    out.push(Token::Word(std::mem::take(&mut word)));
                }
                out.push(if c == '(' { Token::Open } else { Token::Close });
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    out.push(Token::Word(std::mem::take(&mut word)));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(Token::Word(word));
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    names: &'a [String],
}

fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // classic wildcard matching with backtracking over the last star
    let (mut pi, mut ni, mut star, mut mark) = (0usize, 0usize, None, 0usize);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            pi += 1;
            mark = ni;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

impl Parser<'_> {
    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.pos) {
            Some(Token::Word(w)) => Some(w.as_str()),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Cond, CondError> {
        let mut parts = vec![self.and()?];
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("or"))
        {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Cond, CondError> {
        let mut parts = vec![self.not()?];
        while self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("and"))
        {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Cond::And(parts)
        })
    }

    fn not(&mut self) -> Result<Cond, CondError> {
        if self
            .peek_word()
            .is_some_and(|w| w.eq_ignore_ascii_case("not"))
        {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Cond, CondError> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        match token {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.tokens.get(self.pos) {
                    Some(Token::Close) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err(CondError::Invalid("unbalanced parentheses".into())),
                }
            }
            Some(Token::Close) => Err(CondError::Invalid("unexpected ')'".into())),
            None => Err(CondError::Invalid("condition ends too early".into())),
            Some(Token::Word(w)) => {
                let quantifier = w.eq_ignore_ascii_case("all")
                    || w.eq_ignore_ascii_case("any")
                    || w.parse::<u32>().is_ok();
                if quantifier
                    && self
                        .peek_word()
                        .is_some_and(|n| n.eq_ignore_ascii_case("of"))
                {
                    self.pos += 1;
                    let target = match self.tokens.get(self.pos) {
                        Some(Token::Word(t)) => t.clone(),
                        _ => return Err(CondError::Invalid(format!("'{w} of' without a target"))),
                    };
                    self.pos += 1;
                    let picked: Vec<usize> = if target.eq_ignore_ascii_case("them") {
                        // `them` leaves out searches whose name starts with `_`
                        (0..self.names.len())
                            .filter(|&i| !self.names[i].starts_with('_'))
                            .collect()
                    } else {
                        (0..self.names.len())
                            .filter(|&i| glob_match(&target, &self.names[i]))
                            .collect()
                    };
                    if picked.is_empty() {
                        return Err(CondError::Invalid(format!("'{target}' names no search")));
                    }
                    return match w.to_ascii_lowercase().as_str() {
                        "all" => Ok(Cond::AllOf(picked)),
                        "any" | "1" => Ok(Cond::AnyOf(picked)),
                        n => Err(CondError::Unsupported(Unsupported(format!(
                            "'{n} of' (only '1 of' and 'all of')"
                        )))),
                    };
                }
                match self.names.iter().position(|n| *n == w) {
                    Some(i) => Ok(Cond::Search(i)),
                    None => Err(CondError::Invalid(format!("'{w}' names no search"))),
                }
            }
        }
    }
}

/// Parses `text` against the rule's search names.
pub fn parse(text: &str, names: &[String]) -> Result<Cond, CondError> {
    let mut p = Parser {
        tokens: lex(text)?,
        pos: 0,
        names,
    };
    let cond = p.or()?;
    if p.pos != p.tokens.len() {
        return Err(CondError::Invalid(format!(
            "unexpected words after the condition in '{text}'"
        )));
    }
    Ok(cond)
}

impl Cond {
    /// Evaluates with `search(i)` giving each search's result (asked lazily).
    pub fn eval(&self, search: &mut dyn FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Search(i) => search(*i),
            Cond::Not(c) => !c.eval(search),
            Cond::And(cs) => cs.iter().all(|c| c.eval(search)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(search)),
            Cond::AnyOf(is) => is.iter().any(|&i| search(i)),
            Cond::AllOf(is) => is.iter().all(|&i| search(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["selection", "sel_a", "sel_b", "filter_main", "filter_opt"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn run(text: &str, truth: [bool; 5]) -> bool {
        parse(text, &names()).unwrap().eval(&mut |i| truth[i])
    }

    #[test]
    fn precedence_and_quantifiers() {
        assert!(run(
            "selection and not 1 of filter_*",
            [true, false, false, false, false]
        ));
        assert!(!run(
            "selection and not 1 of filter_*",
            [true, false, false, false, true]
        ));
        assert!(run(
            "all of sel_* or filter_main",
            [false, true, true, false, false]
        ));
        assert!(!run("all of sel_*", [false, true, false, false, false]));
        assert!(run(
            "not selection or sel_a and sel_b",
            [true, true, true, false, false]
        ));
        assert!(!run(
            "(not selection or sel_a) and sel_b",
            [true, true, false, false, false]
        ));
        assert!(run("1 of them", [false, false, false, false, true]));
        assert!(run("any of sel*", [false, false, true, false, false]));
        assert!(run(
            "selection and not (filter_main or filter_opt)",
            [true, false, false, false, false]
        ));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse("selection | count() > 5", &names()),
            Err(CondError::Unsupported(_))
        ));
        assert!(matches!(
            parse("nosuch", &names()),
            Err(CondError::Invalid(_))
        ));
        assert!(matches!(
            parse("(selection", &names()),
            Err(CondError::Invalid(_))
        ));
        assert!(matches!(
            parse("selection selection", &names()),
            Err(CondError::Invalid(_))
        ));
    }
}
