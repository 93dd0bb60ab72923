//! The allowlist: benign indicators that would only add noise.
//!
//! The default list lives in `data/allowlist.txt`; users can extend it with their own file
//! (`--allowlist FILE`), replace it, or turn it off. A `domain` entry covers the name and
//! every subdomain, e-mail addresses there, and URLs there that have no path or that are
//! certificate infrastructure (CRL, OCSP, CA issuers): a URL *with a path* on a well-known
//! host (`hxxps://script.google[.]com/macros/s/…/exec`, a repository on github.com) is
//! kept, since such hosts are abused to serve payloads. A `url-host` entry covers every
//! URL on a host and its subdomains, whatever the path (XML namespaces, schemas,
//! documentation sites). Other kinds match exactly (case-insensitively for paths and
//! registry keys).
//!
//! [`Allowlist::verdict`] also takes into account how the indicator was written: a value
//! its author defanged was marked as an indicator, so it is kept and only noted
//! (`allowlisted_host`).

use super::{IocKind, Notes};
use crate::tables;
use rustc_hash::FxHashSet;

/// A set of benign indicators.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    domains: FxHashSet<String>,
    url_hosts: FxHashSet<String>,
    /// The last two labels of every `domain` and `url-host` entry that has a dot: a name
    /// whose last two labels are not among them is covered by no entry, which one look-up
    /// tells (most names of a log), instead of one per parent name and set.
    suffixes: FxHashSet<String>,
    /// The exact entries of each kind (indexed by the kind's number; kinds without
    /// entries may have no set).
    exact: Vec<FxHashSet<String>>,
}

/// What the allowlist says about one indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not on the list.
    NotListed,
    /// On the list: dropped (or kept flagged `allowlisted` on request).
    Listed,
    /// Its host is on the list, but it is kept: written defanged by its author. Noted
    /// [`Notes::ALLOWLISTED_HOST`].
    KeptOnListedHost,
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
    pub fn parse(text: &str) -> Result<Self, crate::Error> {
        let mut list = Allowlist::empty();
        for (n, line) in crate::tables::numbered_entries(text) {
            let (kind, value) = match line.split_once(char::is_whitespace) {
                Some(("url-host", v)) => {
                    list.insert_url_host(v);
                    continue;
                }
                Some((k, v)) => (
                    k.parse::<IocKind>()
                        .map_err(|e| crate::Error::parse_at(n, format!("{e} (or url-host)")))?,
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
            let name = value.to_ascii_lowercase();
            self.add_suffix(&name);
            self.domains.insert(name);
        } else {
            let k = kind as usize;
            if self.exact.len() <= k {
                self.exact.resize_with(k + 1, FxHashSet::default);
            }
            if let Some(set) = self.exact.get_mut(k) {
                set.insert(key(kind, value).into_owned());
            }
        }
    }

    /// Adds a host whose URLs are all benign, whatever their path.
    pub fn insert_url_host(&mut self, host: &str) {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        self.add_suffix(&host);
        self.url_hosts.insert(host);
    }

    /// Notes the last two labels of a `domain` or `url-host` entry ([`Allowlist::suffixes`]).
    fn add_suffix(&mut self, name: &str) {
        if let Some(tail) = last_two_labels(name) {
            if !self.suffixes.contains(tail) {
                self.suffixes.insert(tail.to_string());
            }
        }
    }

    /// Adds every entry of `other`.
    pub fn extend(&mut self, other: Allowlist) {
        self.domains.extend(other.domains);
        self.url_hosts.extend(other.url_hosts);
        self.suffixes.extend(other.suffixes);
        for (k, set) in other.exact.into_iter().enumerate() {
            if self.exact.len() <= k {
                self.exact.resize_with(k + 1, FxHashSet::default);
            }
            if let Some(mine) = self.exact.get_mut(k) {
                mine.extend(set);
            }
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.domains.len()
            + self.url_hosts.len()
            + self.exact.iter().map(|s| s.len()).sum::<usize>()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the indicator (normalised value) is allowlisted. A URL with a path on a
    /// `domain` entry is not (see the module documentation).
    pub fn contains(&self, kind: IocKind, value: &str) -> bool {
        if self.contains_exact(kind, value) {
            return true;
        }
        match kind {
            IocKind::Domain => self.may_cover(value) && covers(&self.domains, value),
            IocKind::Email => {
                let host = value.rsplit('@').next().unwrap_or("");
                self.may_cover(host) && covers(&self.domains, host)
            }
            IocKind::Url => {
                let host = url_host(value);
                if !self.may_cover(host) {
                    return false;
                }
                covers(&self.url_hosts, host)
                    || (covers(&self.domains, host)
                        && (!has_path(value) || super::validate::is_certificate_url(value)))
            }
            _ => false,
        }
    }

    /// Whether the value is one of the exact entries of its kind.
    fn contains_exact(&self, kind: IocKind, value: &str) -> bool {
        match self.exact.get(kind as usize) {
            Some(set) if !set.is_empty() => set.contains(key(kind, value).as_ref()),
            _ => false,
        }
    }

    /// Whether the indicator's host (the name itself, a URL's or an e-mail address's
    /// host) is covered by a `domain` or `url-host` entry.
    pub fn covers_host(&self, kind: IocKind, value: &str) -> bool {
        let host = match kind {
            IocKind::Domain => value,
            IocKind::Url => url_host(value),
            IocKind::Email => value.rsplit('@').next().unwrap_or(""),
            _ => return false,
        };
        self.may_cover(host) && (covers(&self.domains, host) || covers(&self.url_hosts, host))
    }

    /// Whether a `domain` or `url-host` entry may cover `host`: false only when none can
    /// (`host` has a dot and its last two labels end no entry).
    fn may_cover(&self, host: &str) -> bool {
        match last_two_labels(host) {
            Some(tail) => self.suffixes.contains(tail),
            None => true,
        }
    }

    /// The decision for an indicator seen `defanged` (or not): written defanged, it is
    /// kept even on a listed host, and noted.
    pub fn verdict(&self, kind: IocKind, value: &str, defanged: bool) -> Verdict {
        // Every entry but the exact ones covers a host: on a host no entry covers, only
        // the exact entries are left to ask.
        if !self.covers_host(kind, value) {
            if self.contains_exact(kind, value) {
                Verdict::Listed
            } else {
                Verdict::NotListed
            }
        } else if !defanged && self.contains(kind, value) {
            Verdict::Listed
        } else {
            Verdict::KeptOnListedHost
        }
    }

    /// The notes an indicator gets from the list ([`Notes::ALLOWLISTED_HOST`] when it is
    /// kept on a listed host).
    pub fn notes(&self, kind: IocKind, value: &str, defanged: bool) -> Notes {
        match self.verdict(kind, value, defanged) {
            Verdict::KeptOnListedHost => Notes::ALLOWLISTED_HOST,
            _ => Notes::NONE,
        }
    }
}

/// The last two labels of a name with a dot (`example.net` of `a.b.example.net`; the
/// name itself when it has one dot): every name that [`covers`] looks up for `host` ends
/// with them, so an entry equal to one of those names ends with them too.
fn last_two_labels(name: &str) -> Option<&str> {
    let b = name.as_bytes();
    let last = memchr::memrchr(b'.', b)?;
    Some(match memchr::memrchr(b'.', &b[..last]) {
        Some(i) => &name[i + 1..],
        None => name,
    })
}

/// Whether `host` or one of its parent names is in `names`.
fn covers(names: &FxHashSet<String>, host: &str) -> bool {
    if names.is_empty() || host.is_empty() {
        return false;
    }
    let mut rest = host;
    loop {
        if names.contains(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, tail)) if tail.contains('.') => rest = tail,
            _ => return false,
        }
    }
}

/// Whether a normalised URL has a path, query or fragment beyond a bare `/`.
fn has_path(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find(['/', '?', '#']) {
        Some(i) => rest.len() > i + 1 || &rest[i..] != "/",
        None => false,
    }
}

fn key(kind: IocKind, value: &str) -> std::borrow::Cow<'_, str> {
    if kind.case_insensitive()
        && (!value.is_ascii() || value.bytes().any(|b| b.is_ascii_uppercase()))
    {
        std::borrow::Cow::Owned(super::set::fold_case(value))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// The host of a normalised URL (`scheme://[user@]host[:port]/...`).
pub fn url_host(url: &str) -> &str {
    // byte searches for the separators (all ASCII, so every cut is at a character
    // boundary): called for every URL the set gives out
    let b = url.as_bytes();
    let mut start = 0;
    let mut from = 0;
    while let Some(c) = memchr::memchr(b':', &b[from..]).map(|i| from + i) {
        if b.get(c + 1..c + 3) == Some(b"//") {
            start = c + 3;
            break;
        }
        from = c + 1;
    }
    let rest = &b[start..];
    let end = start + memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len());
    let host_start = memchr::memrchr(b'@', &b[start..end]).map_or(start, |i| start + i + 1);
    if b.get(host_start) == Some(&b'[') {
        return url.get(host_start..end).unwrap_or("");
    }
    let host_end = memchr::memchr(b':', &b[host_start..end]).map_or(end, |i| host_start + i);
    url.get(host_start..host_end).unwrap_or("")
}

/// [`url_host`] as it was first written, with string splits, which the byte searches
/// must agree with.
#[cfg(test)]
fn url_host_by_splits(url: &str) -> &str {
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

    /// [`Allowlist::contains`] and [`Allowlist::covers_host`] as they were before the
    /// suffix look-up: every parent name asked of both sets.
    fn contains_by_parents(list: &Allowlist, kind: IocKind, value: &str) -> bool {
        if list.contains_exact(kind, value) {
            return true;
        }
        match kind {
            IocKind::Domain => covers(&list.domains, value),
            IocKind::Email => covers(&list.domains, value.rsplit('@').next().unwrap_or("")),
            IocKind::Url => {
                let host = url_host(value);
                covers(&list.url_hosts, host)
                    || (covers(&list.domains, host)
                        && (!has_path(value) || super::super::validate::is_certificate_url(value)))
            }
            _ => false,
        }
    }

    fn covers_host_by_parents(list: &Allowlist, kind: IocKind, value: &str) -> bool {
        let host = match kind {
            IocKind::Domain => value,
            IocKind::Url => url_host(value),
            IocKind::Email => value.rsplit('@').next().unwrap_or(""),
            _ => return false,
        };
        covers(&list.domains, host) || covers(&list.url_hosts, host)
    }

    #[test]
    fn the_suffix_look_up_answers_as_every_parent_name_does() {
        let mut list = Allowlist::builtin();
        let mut more = Allowlist::parse(
            "localhost\nexample.net\nurl-host docs.example.org\nb..example.com\n.org\nurl-host x\n",
        )
        .unwrap();
        more.insert(IocKind::Domain, "Deep.Sub.Example.COM.");
        list.extend(more);
        let labels = [
            "",
            "x",
            "localhost",
            "www",
            "crl",
            "microsoft",
            "com",
            "org",
            "net",
            "example",
            "docs",
            "b",
            "sub",
            "deep",
            "google",
            "script",
            "w3",
            "evil",
            "github",
        ];
        let mut names = Vec::new();
        for a in labels {
            names.push(a.to_string());
            for b in labels {
                names.push(format!("{a}.{b}"));
                for c in labels {
                    names.push(format!("{a}.{b}.{c}"));
                    names.push(format!("{a}.{b}.{c}.com"));
                }
            }
        }
        for name in &names {
            let values = [
                (IocKind::Domain, name.clone()),
                (IocKind::Email, format!("user@{name}")),
                (IocKind::Url, format!("https://{name}")),
                (IocKind::Url, format!("https://{name}/")),
                (IocKind::Url, format!("http://u@{name}:8080/a/b.crl")),
                (IocKind::Url, format!("http://{name}/macros/s/x/exec")),
            ];
            for (kind, value) in &values {
                assert_eq!(
                    list.contains(*kind, value),
                    contains_by_parents(&list, *kind, value),
                    "{kind:?} {value}"
                );
                assert_eq!(
                    list.covers_host(*kind, value),
                    covers_host_by_parents(&list, *kind, value),
                    "{kind:?} {value}"
                );
            }
        }
        // the look-up does say no for most names, and yes where an entry ends the name
        assert!(!list.may_cover("a.b.example.invalid"));
        assert!(list.may_cover("crl.microsoft.com"));
        assert!(list.covers_host(IocKind::Domain, "a.docs.example.org"));
    }

    #[test]
    fn url_host_equals_the_form_with_string_splits() {
        let urls = [
            "http://example.com",
            "http://example.com/",
            "https://user:pw@example.com:8443/a?b#c",
            "https://a@b@example.com/x",
            "http://[2001:db8::1]:443/x",
            "http://[2001:db8::1]/x",
            "http://192.0.2.1:8080",
            "hxxp://example.com?q=1",
            "http://example.com#frag",
            "example.com/no/scheme",
            "mailto:user@example.com",
            "a:b://c/d",
            "http:/example.com/x",
            "http://",
            "://",
            "",
            ":",
            "ftp://host:/x",
            "http://h\u{e9}te.example/x",
            "stratum+tcp://pool.example.net:3333",
        ];
        for u in urls {
            assert_eq!(url_host(u), url_host_by_splits(u), "{u}");
        }
        let alphabet = ['a', ':', '/', '?', '#', '@', '[', ']', '.', '\u{e9}'];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 14) as usize;
            let mut r = state;
            let u: String = (0..len)
                .map(|_| {
                    r = r.rotate_right(5) ^ 0x5bd1_e995;
                    alphabet[(r % alphabet.len() as u64) as usize]
                })
                .collect();
            assert_eq!(url_host(&u), url_host_by_splits(&u), "{u:?}");
        }
    }

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

    #[test]
    fn urls_with_paths_on_abused_hosts_are_kept() {
        let list = Allowlist::builtin();
        assert!(list.contains(IocKind::Url, "https://www.google.com/"));
        assert!(list.contains(IocKind::Url, "https://google.com"));
        let macro_url = "https://script.google.com/macros/s/AKfycbx1/exec";
        assert!(!list.contains(IocKind::Url, macro_url));
        assert_eq!(
            list.verdict(IocKind::Url, macro_url, false),
            Verdict::KeptOnListedHost
        );
        assert!(list.contains(
            IocKind::Url,
            "http://crl.microsoft.com/pki/crl/products/x.crl"
        ));
        assert!(list.contains(IocKind::Url, "http://schemas.xmlsoap.org/soap/envelope/"));
    }

    #[test]
    fn defanged_values_are_kept_and_noted() {
        let list = Allowlist::builtin();
        assert_eq!(
            list.verdict(IocKind::Domain, "github.com", false),
            Verdict::Listed
        );
        assert_eq!(
            list.verdict(IocKind::Domain, "github.com", true),
            Verdict::KeptOnListedHost
        );
        assert_eq!(
            list.notes(IocKind::Domain, "github.com", true),
            Notes::ALLOWLISTED_HOST
        );
        assert_eq!(
            list.verdict(IocKind::Domain, "evil.example.com", true),
            Verdict::NotListed
        );
    }
}
