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
    /// The last two labels ([`tail`]) of every `domain` and `url-host` entry: a host none
    /// of whose entries share its last two labels is covered by none, which one look-up
    /// tells (most hosts of a log are on no list).
    tails: FxHashSet<String>,
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
            let value = value.to_ascii_lowercase();
            self.tails.insert(tail(&value).to_string());
            self.domains.insert(value);
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
        self.tails.insert(tail(&host).to_string());
        self.url_hosts.insert(host);
    }

    /// Adds every entry of `other`.
    pub fn extend(&mut self, other: Allowlist) {
        self.domains.extend(other.domains);
        self.url_hosts.extend(other.url_hosts);
        self.tails.extend(other.tails);
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
            IocKind::Domain => covers(&self.domains, value),
            IocKind::Email => covers(&self.domains, value.rsplit('@').next().unwrap_or("")),
            IocKind::Url => {
                let host = url_host(value);
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
        if !self.tails.contains(tail(host)) {
            return false;
        }
        covers(&self.domains, host) || covers(&self.url_hosts, host)
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

/// The last two dot-separated labels of a name (`example.com` of `a.b.example.com`), or
/// the name itself when it has fewer. A name [`covers`] finds in a set (the name itself or
/// a parent name with a dot) has the same last two labels as the name looked up.
fn tail(name: &str) -> &str {
    let b = name.as_bytes();
    match memchr::memrchr(b'.', b).and_then(|last| memchr::memrchr(b'.', &b[..last])) {
        Some(dot) => &name[dot + 1..],
        None => name,
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

/// The host of a normalised URL (`scheme://[user@]host[:port]/...`): after the first
/// `://` (or from the start), up to the first `/`, `?` or `#`, after the last `@`, and up
/// to a `:` unless it is a bracketed IPv6 address (which keeps its port).
pub fn url_host(url: &str) -> &str {
    let b = url.as_bytes();
    let mut start = 0;
    let mut from = 0;
    while let Some(i) = memchr::memchr(b':', &b[from..]) {
        let colon = from + i;
        if b[colon + 1..].starts_with(b"//") {
            start = colon + 3;
            break;
        }
        from = colon + 1;
    }
    let rest = &url[start..];
    let end = memchr::memchr3(b'/', b'?', b'#', rest.as_bytes()).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = match memchr::memrchr(b'@', authority.as_bytes()) {
        Some(at) => &authority[at + 1..],
        None => authority,
    };
    if host.starts_with('[') {
        return host;
    }
    match memchr::memchr(b':', host.as_bytes()) {
        Some(colon) => &host[..colon],
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `url_host` agrees with its definition by string splits.
    #[test]
    fn url_host_matches_its_definition() {
        let definition = |url: &str| -> String {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let host = authority.rsplit('@').next().unwrap_or("");
            if host.starts_with('[') {
                return host.to_string();
            }
            host.split(':').next().unwrap_or("").to_string()
        };
        let urls = [
            "",
            "http://example.com",
            "https://example.com/a/b?c=d#e",
            "http://user:pass@example.com:8080/x",
            "http://a@b@example.org/",
            "http://[2001:db8::1]:443/x",
            "http://[2001:db8::1]",
            "example.com/path",
            "host:80",
            "a:b://c.example.net/x",
            "http:/example.com/x://y.example.org",
            "ftp://example.com?q=http://x",
            "http://ex\u{e9}mple.com:1/\u{e9}",
            "://",
            "http://",
            "http://:80/",
            "mailto:a@example.com",
            "x://y#z://w",
        ];
        for url in urls {
            assert_eq!(url_host(url), definition(url), "{url:?}");
        }
    }

    /// The look-up by last two labels never decides differently from the sets alone.
    #[test]
    fn tails_only_skip_hosts_no_entry_covers() {
        let list = Allowlist::parse(
            "example.com\nlocalhost\nco.uk\nurl-host schemas.example.net\ndomain a.b.c.example.org\n",
        )
        .expect("parses");
        let hosts = [
            "example.com",
            "www.example.com",
            "wwwexample.com",
            "localhost",
            "x.localhost",
            "co.uk",
            "shop.co.uk",
            "schemas.example.net",
            "x.schemas.example.net",
            "example.net",
            "c.example.org",
            "a.b.c.example.org",
            "z.a.b.c.example.org",
            "com",
            "",
            ".",
            "example.com.",
        ];
        for host in hosts {
            let by_sets = covers(&list.domains, host) || covers(&list.url_hosts, host);
            assert_eq!(list.covers_host(IocKind::Domain, host), by_sets, "{host:?}");
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
