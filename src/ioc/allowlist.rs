//! The allowlist: benign indicators that would only add noise.
//!
//! The default list lives in `data/allowlist.txt`; users can extend it with their own file
//! (`--allowlist FILE`), replace it, or turn it off. A `domain` entry covers the name and
//! every subdomain; URLs and e-mail addresses are allowlisted through their host. Other
//! kinds match exactly (case-insensitively for paths and registry keys).

use super::IocKind;
use crate::tables;
use std::collections::HashSet;

/// A set of benign indicators.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    domains: HashSet<String>,
    exact: HashSet<(IocKind, String)>,
}

impl Allowlist {
    /// An allowlist with no entries.
    pub fn empty() -> Self {
        Allowlist::default()
    }

    /// The built-in list from `data/allowlist.txt`.
    pub fn builtin() -> Self {
        // The embedded table is checked by a unit test, so parsing cannot fail here.
        Allowlist::parse(tables::ALLOWLIST).unwrap_or_default()
    }

    /// Parses `type value` lines (`#` comments, blank lines ignored). A line holding a
    /// single word is read as a domain.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut list = Allowlist::empty();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let (kind, value) = match line.split_once(char::is_whitespace) {
                Some((k, v)) => (
                    k.parse::<IocKind>()
                        .map_err(|e| format!("line {}: {e}", n + 1))?,
                    v.trim(),
                ),
                None => (IocKind::Domain, line),
            };
            list.insert(kind, value);
        }
        Ok(list)
    }

    /// Adds one entry.
    pub fn insert(&mut self, kind: IocKind, value: &str) {
        let value = value.trim().trim_end_matches('.');
        if kind == IocKind::Domain {
            self.domains.insert(value.to_ascii_lowercase());
        } else {
            self.exact.insert((kind, key(kind, value)));
        }
    }

    /// Adds every entry of `other`.
    pub fn extend(&mut self, other: Allowlist) {
        self.domains.extend(other.domains);
        self.exact.extend(other.exact);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.domains.len() + self.exact.len()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the indicator (normalised value) is allowlisted.
    pub fn contains(&self, kind: IocKind, value: &str) -> bool {
        if self.exact.contains(&(kind, key(kind, value))) {
            return true;
        }
        let host = match kind {
            IocKind::Domain => value,
            IocKind::Url => url_host(value),
            IocKind::Email => value.rsplit('@').next().unwrap_or(""),
            _ => return false,
        };
        self.covers_domain(host)
    }

    fn covers_domain(&self, host: &str) -> bool {
        if self.domains.is_empty() || host.is_empty() {
            return false;
        }
        let mut rest = host;
        loop {
            if self.domains.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, tail)) if tail.contains('.') => rest = tail,
                _ => return false,
            }
        }
    }
}

fn key(kind: IocKind, value: &str) -> String {
    if kind.case_insensitive() {
        super::set::fold_case(value)
    } else {
        value.to_string()
    }
}

/// The host of a normalised URL (`scheme://[user@]host[:port]/...`).
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    if host.starts_with('[') {
        return host;
    }
    host.split(':').next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses() {
        let list = Allowlist::parse(tables::ALLOWLIST).expect("data/allowlist.txt is valid");
        assert!(list.len() > 20);
    }

    #[test]
    fn subdomains_and_urls() {
        let list = Allowlist::builtin();
        assert!(list.contains(IocKind::Domain, "microsoft.com"));
        assert!(list.contains(IocKind::Domain, "crl.microsoft.com"));
        assert!(!list.contains(IocKind::Domain, "microsoft.com.evil.example"));
        assert!(!list.contains(IocKind::Domain, "notmicrosoft.com"));
        assert!(list.contains(IocKind::Url, "http://www.w3.org/2001/XMLSchema"));
        assert!(!list.contains(IocKind::Domain, "example.com"));
    }
}
