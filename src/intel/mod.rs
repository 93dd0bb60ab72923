//! Local intelligence: the analyst's own feeds, read offline into a store that tells, for
//! each indicator found, which feeds know it, with their tags, first-seen date and threat
//! level (`--intel PATH...` on `extract`, `events`, `triage` and `analyze`).
//!
//! [`feeds`] reads MISP feed folders and event JSON, STIX 2.1 bundles and CSV or plain lists
//! into [`Entry`]s; [`Store`] indexes them for four kinds of match: exact values (hashes,
//! e-mail addresses, file names, URLs), CIDR ranges (an address inside `198.51.100.0/24`),
//! domain suffixes (`example.net` covers `cdn.example.net` and URLs on it) and URL prefixes
//! (`http://host/path*`). Values are compared in lower case. Lookups cost a handful of hash
//! probes whatever the store's size (benches/intel).
//!
//! [`compiled`] writes the same tables as one file (`spoor intel build`) and opens such a
//! file memory-mapped, reading its header only; a [`Store`] holds the entries read at this
//! run and any number of compiled stores, and a lookup asks them all with the same rules
//! (one `probe` over the `Tables` of each), so callers never see which part answered.

pub mod compiled;
pub mod feeds;
pub mod warninglists;

pub use compiled::Compiled;

use crate::ioc::{IntelHit, Ioc, IocKind};
use rustc_hash::FxHashMap;
use std::net::IpAddr;
use std::ops::ControlFlow;

/// What a feed says about its entries (shared by every entry of one event, list or bundle
/// object).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Meta {
    /// Feed name.
    pub feed: String,
    /// Tags.
    pub tags: Vec<String>,
    /// First seen, as the feed dates it.
    pub first_seen: Option<String>,
    /// Threat level (`high`, `medium`, `low`).
    pub threat_level: Option<String>,
}

/// One feed entry: a value and what the feed says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The value as the feed wrote it (`198.51.100.0/24`, `*.example.net`, `http://x/*`).
    pub value: String,
    /// Its metadata.
    pub meta: Meta,
}

/// How an entry matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Exact,
    Net,
    Domain,
    UrlPrefix,
}

/// The key of one probe into one of the four tables every backend has.
#[derive(Debug, Clone, Copy)]
enum Key<'k> {
    /// Lower-cased exact value.
    Exact(&'k str),
    /// Lower-cased domain (matches it and its subdomains).
    Domain(&'k str),
    /// Lower-cased URL prefix.
    Prefix(&'k str),
    /// A range: prefix length, the address masked to it, the family.
    Net { len: u8, addr: u128, v6: bool },
}

/// Which lengths a table holds keys of (bit `n`: some key has length `n`; bit 255: some key
/// has length 255 or more), so that a lookup probes only candidates that can match: URL
/// prefixes by their length in bytes, domains by their number of labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lengths(pub(crate) [u64; 4]);

impl Lengths {
    /// No length held.
    pub(crate) const NONE: Lengths = Lengths([0; 4]);
    /// Every length (what a store that records no filter answers).
    pub(crate) const ALL: Lengths = Lengths([u64::MAX; 4]);

    pub(crate) fn insert(&mut self, n: usize) {
        let n = n.min(255);
        self.0[n / 64] |= 1 << (n % 64);
    }

    pub(crate) fn has(&self, n: usize) -> bool {
        let n = n.min(255);
        self.0[n / 64] >> (n % 64) & 1 == 1
    }
}

impl Default for Lengths {
    fn default() -> Self {
        Lengths::NONE
    }
}

/// A value trimmed and lower-cased, copied only when it has upper-case letters.
fn lower_case(value: &str) -> std::borrow::Cow<'_, str> {
    let v = value.trim();
    if v.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(v.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(v)
    }
}

/// The number of labels of a (lower-cased, dot-trimmed) domain.
fn labels(domain: &str) -> usize {
    domain.bytes().filter(|&b| b == b'.').count() + 1
}

/// A backend of the store: the tables a lookup probes, and the hits of what it finds.
/// [`keys`] holds the matching rules, once for every backend.
trait Tables {
    /// What a probe finds: the entries of one key.
    type Items<'s>
    where
        Self: 's;
    /// The entries of one key.
    fn get<'s>(&'s self, key: Key<'_>) -> Option<Self::Items<'s>>;
    /// Prefix lengths of the ranges held, longest first (v4 or v6).
    fn lengths(&self, v6: bool) -> &[u8];
    /// The lengths in bytes of the URL prefixes held.
    fn prefix_lengths(&self) -> Lengths;
    /// The label counts of the domains held.
    fn domain_labels(&self) -> Lengths;
    /// The lengths in bytes of the exact values held.
    fn exact_lengths(&self) -> Lengths;
    /// Appends the hits of `items` not yet in `out`.
    fn hits(&self, items: Self::Items<'_>, out: &mut Vec<IntelHit>);
}

/// The in-memory backend: feeds read at this run.
#[derive(Debug, Default)]
struct Memory {
    metas: Vec<Meta>,
    meta_ids: FxHashMap<Meta, u32>,
    /// Written values, one per index: what `matched` says.
    written: Vec<Box<str>>,
    /// Lower-cased exact value → entries (index into `written`, meta).
    exact: FxHashMap<Box<str>, Vec<(u32, u32)>>,
    /// Lower-cased domain → entries matching it and its subdomains.
    domains: FxHashMap<Box<str>, Vec<(u32, u32)>>,
    /// Lower-cased URL prefix → entries.
    prefixes: FxHashMap<Box<str>, Vec<(u32, u32)>>,
    /// `(prefix length, masked address as u128, v6)` → entries.
    nets: FxHashMap<(u8, u128, bool), Vec<(u32, u32)>>,
    /// Prefix lengths present, per family (v4, v6), longest first.
    lengths: [Vec<u8>; 2],
    /// Lengths of the URL prefixes held, in bytes.
    prefix_lengths: Lengths,
    /// Label counts of the domains held.
    domain_labels: Lengths,
    /// Lengths of the exact values held, in bytes.
    exact_lengths: Lengths,
    /// Entries held.
    entries: usize,
}

impl Tables for Memory {
    type Items<'s> = &'s [(u32, u32)];

    fn get<'s>(&'s self, key: Key<'_>) -> Option<&'s [(u32, u32)]> {
        match key {
            Key::Exact(k) => self.exact.get(k),
            Key::Domain(k) => self.domains.get(k),
            Key::Prefix(k) => self.prefixes.get(k),
            Key::Net { len, addr, v6 } => self.nets.get(&(len, addr, v6)),
        }
        .map(Vec::as_slice)
    }

    fn lengths(&self, v6: bool) -> &[u8] {
        &self.lengths[v6 as usize]
    }

    fn prefix_lengths(&self) -> Lengths {
        self.prefix_lengths
    }

    fn domain_labels(&self) -> Lengths {
        self.domain_labels
    }

    fn exact_lengths(&self) -> Lengths {
        self.exact_lengths
    }

    fn hits(&self, items: &[(u32, u32)], out: &mut Vec<IntelHit>) {
        for &(written, meta) in items {
            let (Some(m), Some(w)) = (
                self.metas.get(meta as usize),
                self.written.get(written as usize),
            ) else {
                continue;
            };
            let hit = IntelHit {
                feed: m.feed.clone(),
                matched: w.to_string(),
                tags: m.tags.clone(),
                first_seen: m.first_seen.clone(),
                threat_level: m.threat_level.clone(),
            };
            if !out.contains(&hit) {
                out.push(hit);
            }
        }
    }
}

/// Receives a message about a compiled store found damaged while looking up in it (see
/// [`Store::report_damage_to`]).
pub struct DamageReport(pub Box<dyn Fn(String) + Send + Sync>);

impl std::fmt::Debug for DamageReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DamageReport")
    }
}

/// The indexed feeds: those read at this run, in memory, and any number of compiled
/// stores ([`Compiled`], memory-mapped files written by `spoor intel build`). Callers see
/// one store: a lookup asks every part and merges the hits.
#[derive(Debug, Default)]
pub struct Store {
    mem: Memory,
    compiled: Vec<Compiled>,
    report: Option<DamageReport>,
    /// Entries held (read from feeds, and in the compiled stores).
    pub entries: usize,
}

/// How an entry's value is matched, and its key.
fn shape(value: &str) -> Option<(Shape, String)> {
    let v = value.trim();
    if v.is_empty() || v.chars().any(char::is_whitespace) {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    if let Some((addr, len)) = lower.split_once('/') {
        if let (Ok(ip), Ok(len)) = (addr.parse::<IpAddr>(), len.parse::<u8>()) {
            let max = if ip.is_ipv4() { 32 } else { 128 };
            if len <= max {
                return Some((Shape::Net, lower));
            }
        }
    }
    if lower.parse::<IpAddr>().is_ok() {
        return Some((Shape::Net, lower));
    }
    if lower.contains("://") {
        return Some(match lower.strip_suffix('*') {
            Some(prefix) => (Shape::UrlPrefix, prefix.to_string()),
            None => (Shape::Exact, lower),
        });
    }
    let domain = lower
        .strip_prefix("*.")
        .or_else(|| lower.strip_prefix('.'))
        .unwrap_or(&lower);
    let looks_like_domain = domain.contains('.')
        && !domain.contains(['@', '/', '\\', ':'])
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    if looks_like_domain {
        return Some((Shape::Domain, domain.to_string()));
    }
    Some((Shape::Exact, lower))
}

fn bits(ip: IpAddr) -> (u128, bool) {
    match ip {
        IpAddr::V4(a) => (u32::from(a) as u128, false),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => (u32::from(v4) as u128, false),
            None => (u128::from(a), true),
        },
    }
}

fn mask(addr: u128, len: u8, v6: bool) -> u128 {
    let width: u32 = if v6 { 128 } else { 32 };
    if len == 0 || len as u32 > width {
        0
    } else {
        addr & (u128::MAX << (width - len as u32))
    }
}

impl Memory {
    fn add_as(&mut self, entry: &Entry, exact_domain: bool) -> bool {
        let Some((mut shape, key)) = shape(&entry.value) else {
            return false;
        };
        if exact_domain && shape == Shape::Domain && !entry.value.trim().starts_with(['.', '*']) {
            shape = Shape::Exact;
        }
        // A range's key is parsed first: an entry that fails takes no index.
        let net = if shape == Shape::Net {
            let (addr, len) = match key.split_once('/') {
                Some((a, l)) => (a.parse::<IpAddr>(), l.parse::<u8>().ok()),
                None => (key.parse::<IpAddr>(), None),
            };
            let Ok(ip) = addr else { return false };
            let (value, v6) = bits(ip);
            let mut len = len.unwrap_or(if v6 { 128 } else { 32 });
            // `::ffff:198.51.100.0/120` is the v4 range /24.
            if !v6 && ip.is_ipv6() {
                len = len.saturating_sub(96);
            }
            Some((len, mask(value, len, v6), v6))
        } else {
            None
        };
        let meta = match self.meta_ids.get(&entry.meta) {
            Some(&id) => id,
            None => {
                let id = self.metas.len() as u32;
                self.metas.push(entry.meta.clone());
                self.meta_ids.insert(entry.meta.clone(), id);
                id
            }
        };
        let list = match (shape, net) {
            (Shape::Exact, _) => {
                self.exact_lengths.insert(key.len());
                self.exact.entry(key.into()).or_default()
            }
            (Shape::Domain, _) => {
                self.domain_labels.insert(labels(&key));
                self.domains.entry(key.into()).or_default()
            }
            (Shape::UrlPrefix, _) => {
                self.prefix_lengths.insert(key.len());
                self.prefixes.entry(key.into()).or_default()
            }
            (Shape::Net, net) => {
                let Some((len, addr, v6)) = net else {
                    return false;
                };
                let family = &mut self.lengths[v6 as usize];
                if !family.contains(&len) {
                    family.push(len);
                    family.sort_unstable_by(|a, b| b.cmp(a));
                }
                self.nets.entry((len, addr, v6)).or_default()
            }
        };
        // The same value written the same way with the same metadata (a feed that lists
        // it twice) would give the very same hit: it is counted, not indexed again.
        let value = entry.value.trim();
        let written = &self.written;
        let repeated = list
            .iter()
            .any(|&(w, m)| m == meta && written.get(w as usize).is_some_and(|x| &**x == value));
        if !repeated {
            list.push((self.written.len() as u32, meta));
            self.written.push(value.into());
        }
        self.entries += 1;
        true
    }
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store::default()
    }

    /// Adds one entry; returns `false` when its value cannot be matched (blank, or with
    /// blanks inside).
    pub fn add(&mut self, entry: &Entry) -> bool {
        self.add_as(entry, false)
    }

    /// Adds one entry whose domain matches only itself, not its subdomains (a warning
    /// list's `hostname` entry: `example.com` is a top site, `x.example.com` need not be).
    pub fn add_exact(&mut self, entry: &Entry) -> bool {
        self.add_as(entry, true)
    }

    fn add_as(&mut self, entry: &Entry, exact_domain: bool) -> bool {
        let added = self.mem.add_as(entry, exact_domain);
        self.entries += added as usize;
        added
    }

    /// Adds a compiled store: its entries answer lookups with the others.
    pub fn attach(&mut self, compiled: Compiled) {
        self.entries = self
            .entries
            .saturating_add(usize::try_from(compiled.entries()).unwrap_or(usize::MAX));
        self.compiled.push(compiled);
    }

    /// The compiled stores attached.
    pub fn compiled(&self) -> &[Compiled] {
        &self.compiled
    }

    /// Entries read from feeds at this run (not those of the compiled stores).
    pub fn memory_entries(&self) -> usize {
        self.mem.entries
    }

    /// Where to say, when the store is dropped, that a compiled store had damaged records
    /// (skipped by the lookups; its header was sound, so opening could not tell).
    pub fn report_damage_to(&mut self, report: DamageReport) {
        self.report = Some(report);
    }

    /// Whether any entry matches, without building the hits (the fast path of the bench).
    pub fn contains(&self, kind: IocKind, value: &str) -> bool {
        let lower = lower_case(value);
        let query = Query::new(Some(kind), &lower);
        let stop = &mut |_| ControlFlow::Break(());
        (self.mem.entries > 0 && probe(&self.mem, &query, stop).is_break())
            || self
                .compiled
                .iter()
                .any(|c| probe(c, &query, &mut |_| ControlFlow::Break(())).is_break())
    }

    /// The feed entries an indicator matches, sorted, without duplicates.
    pub fn lookup(&self, kind: IocKind, value: &str) -> Vec<IntelHit> {
        self.lookup_as(Some(kind), value)
    }

    /// [`Store::lookup`] for a value of a type that is no [`IocKind`] (a mutex, a command
    /// line from a log): exact matches only.
    pub fn lookup_exact(&self, value: &str) -> Vec<IntelHit> {
        self.lookup_as(None, value)
    }

    fn lookup_as(&self, kind: Option<IocKind>, value: &str) -> Vec<IntelHit> {
        let lower = lower_case(value);
        let query = Query::new(kind, &lower);
        let mut out = Vec::new();
        if self.mem.entries > 0 {
            let mem = &self.mem;
            let _ = probe(mem, &query, &mut |items| {
                mem.hits(items, &mut out);
                ControlFlow::Continue(())
            });
        }
        for c in &self.compiled {
            let _ = probe(c, &query, &mut |items| {
                c.hits(items, &mut out);
                ControlFlow::Continue(())
            });
        }
        out.sort();
        out
    }

    /// Marks each indicator found in a sample with the feed entries it matches.
    pub fn annotate_sample(&self, iocs: &mut [crate::sample::SampleIoc]) {
        if self.entries == 0 {
            return;
        }
        for ioc in iocs {
            ioc.intel = self.lookup(ioc.kind, &ioc.value);
        }
    }

    /// Marks each indicator the logs' events name with the feed entries it matches.
    pub fn annotate_context(&self, iocs: &mut [crate::logs::analysis::ContextIoc]) {
        if self.entries == 0 {
            return;
        }
        for ioc in iocs {
            let kind =
                serde_json::from_value::<IocKind>(serde_json::Value::String(ioc.kind.clone()));
            ioc.intel = match kind {
                Ok(kind) => self.lookup(kind, &ioc.value),
                Err(_) => self.lookup_exact(&ioc.value),
            };
        }
    }

    /// Marks each indicator with the feed entries it matches.
    pub fn annotate(&self, iocs: &mut [Ioc]) {
        if self.entries == 0 {
            return;
        }
        for ioc in iocs {
            ioc.intel = self.lookup(ioc.kind, &ioc.value);
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let Some(report) = &self.report else {
            return;
        };
        for c in &self.compiled {
            let n = c.damaged();
            if n > 0 {
                (report.0)(format!(
                    "{}: {n} damaged record(s) of this compiled intel store were skipped by \
                     the lookups; rebuild it with spoor intel build",
                    c.name()
                ));
            }
        }
    }
}

/// A value to look up, read once for every backend: its kind, its trimmed lower-cased text
/// and what parsing it gives (the address of an IP indicator, the host of a URL).
struct Query<'q> {
    kind: Option<IocKind>,
    lower: &'q str,
    /// The address of an IP indicator (`[...]` brackets allowed).
    ip: Option<IpAddr>,
    /// Whether the text is an address as it stands (an address is never an exact key: a
    /// feed's addresses are ranges of one, so the exact table is skipped).
    address: bool,
    /// A URL's host, and its address when it is one.
    host: Option<(&'q str, Option<IpAddr>)>,
}

impl<'q> Query<'q> {
    fn new(kind: Option<IocKind>, lower: &'q str) -> Query<'q> {
        let mut q = Query {
            kind,
            lower,
            ip: None,
            address: false,
            host: None,
        };
        match kind {
            Some(IocKind::Ipv4 | IocKind::Ipv6) => {
                q.ip = ip_of(lower);
                // The text itself parses (no brackets around it, nothing after them).
                q.address = q.ip.is_some() && !lower.contains(['[', ']']);
            }
            Some(IocKind::Url) => {
                q.host = url_host(lower).map(|h| (h, h.parse::<IpAddr>().ok()));
            }
            _ => {}
        }
        q
    }
}

/// The address in `text`, which may be written in brackets (`[2001:db8::1]:443` gives
/// 2001:db8::1).
fn ip_of(text: &str) -> Option<IpAddr> {
    let text = text.trim_start_matches('[');
    let text = text.split(']').next().unwrap_or(text);
    text.parse::<IpAddr>().ok()
}

/// Probes one backend for a query (or, without a kind, for its value as an exact value
/// only), calling `found` with every key's entries until it says to stop.
fn probe<'s, T: Tables>(
    t: &'s T,
    query: &Query<'_>,
    found: &mut dyn FnMut(T::Items<'s>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    keys(t, query, &mut |key| match t.get(key) {
        Some(items) => found(items),
        None => ControlFlow::Continue(()),
    })
}

/// Lists the keys a query probes in `t`, in order, until `key` says to stop: the exact
/// value, then the ranges of an address, the domain and its parents, the URL's prefixes
/// and its host; only at the lengths `t` holds.
fn keys<T: Tables>(
    t: &T,
    query: &Query<'_>,
    key: &mut dyn FnMut(Key<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let lower = query.lower;
    let exact = t.exact_lengths();
    if !query.address && exact.has(lower.len()) {
        key(Key::Exact(lower))?;
    }
    let Some(kind) = query.kind else {
        return ControlFlow::Continue(());
    };
    match kind {
        IocKind::Ipv4 | IocKind::Ipv6 => {
            if let Some(ip) = query.ip {
                ip_keys(t, ip, key)?;
            }
        }
        IocKind::Domain => domain_keys(t, lower, key)?,
        IocKind::Email => {
            if let Some((_, domain)) = lower.rsplit_once('@') {
                domain_keys(t, domain, key)?;
            }
        }
        IocKind::Url => {
            // A prefix is probed where it may end: at the URL's separators (`/`, `?`,
            // `=`, `&`, `.`) and at its end.
            let held = t.prefix_lengths();
            for (i, b) in lower.bytes().enumerate() {
                if matches!(b, b'/' | b'?' | b'=' | b'&' | b'.') && i > 0 && held.has(i + 1) {
                    if let Some(p) = lower.get(..=i) {
                        key(Key::Prefix(p))?;
                    }
                }
            }
            if held.has(lower.len()) {
                key(Key::Prefix(lower))?;
            }
            match query.host {
                Some((_, Some(ip))) => ip_keys(t, ip, key)?,
                Some((host, None)) => {
                    if exact.has(host.len()) {
                        key(Key::Exact(host))?;
                    }
                    domain_keys(t, host, key)?;
                }
                None => {}
            }
        }
        _ => {}
    }
    ControlFlow::Continue(())
}

/// The ranges that may hold `ip`: one key per prefix length `t` holds, longest first.
fn ip_keys<T: Tables>(
    t: &T,
    ip: IpAddr,
    key: &mut dyn FnMut(Key<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let (value, v6) = bits(ip);
    for &len in t.lengths(v6) {
        key(Key::Net {
            len,
            addr: mask(value, len, v6),
            v6,
        })?;
    }
    ControlFlow::Continue(())
}

/// The domain and its parents (not its top-level label alone), at the label counts `t`
/// holds.
fn domain_keys<T: Tables>(
    t: &T,
    domain: &str,
    key: &mut dyn FnMut(Key<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let held = t.domain_labels();
    let mut rest = domain.trim_end_matches('.');
    let mut count = labels(rest);
    loop {
        if held.has(count) {
            key(Key::Domain(rest))?;
        }
        count = count.saturating_sub(1);
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => break,
        }
    }
    ControlFlow::Continue(())
}

/// The host of a URL (lower-cased input), without user info and port.
fn url_host(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.starts_with('[') {
        return host.split(']').next().map(|h| h.trim_start_matches('['));
    }
    host.split(':').next().filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(value: &str, feed: &str) -> Entry {
        Entry {
            value: value.to_string(),
            meta: Meta {
                feed: feed.to_string(),
                tags: vec!["c2".to_string()],
                first_seen: Some("2026-10-01".to_string()),
                threat_level: Some("high".to_string()),
            },
        }
    }

    fn store(values: &[&str]) -> Store {
        let mut s = Store::new();
        for v in values {
            assert!(s.add(&entry(v, "team")), "{v}");
        }
        s
    }

    #[test]
    fn exact_values_ignore_case() {
        let s = store(&["D41D8CD98F00B204E9800998ECF8427E", "evil@example.org"]);
        assert!(s.contains(IocKind::Md5, "d41d8cd98f00b204e9800998ecf8427e"));
        assert!(s.contains(IocKind::Email, "Evil@Example.org"));
        assert!(!s.contains(IocKind::Md5, "00000000000000000000000000000000"));
    }

    /// A feed that lists the same value with the same metadata many times gives one hit,
    /// and the entries are counted as read.
    #[test]
    fn repeated_entries_give_one_hit() {
        let mut s = Store::new();
        for _ in 0..300 {
            assert!(s.add(&entry("198.51.100.0/24", "team")));
        }
        assert!(s.add(&entry("198.51.100.0/24", "partner")));
        assert_eq!(s.entries, 301);
        assert_eq!(s.mem.written.len(), 2);
        let hits = s.lookup(IocKind::Ipv4, "198.51.100.9");
        let feeds: Vec<&str> = hits.iter().map(|h| h.feed.as_str()).collect();
        assert_eq!(feeds, ["partner", "team"]);
    }

    #[test]
    fn cidr_ranges_cover_their_addresses() {
        let s = store(&["198.51.100.0/24", "2001:db8:fe00::/40", "192.0.2.7"]);
        assert!(s.contains(IocKind::Ipv4, "198.51.100.9"));
        assert!(!s.contains(IocKind::Ipv4, "198.51.101.9"));
        assert!(s.contains(IocKind::Ipv6, "2001:db8:fe7c::17"));
        assert!(!s.contains(IocKind::Ipv6, "2001:db8:ff00::1"));
        assert!(s.contains(IocKind::Ipv4, "192.0.2.7"));
        assert!(!s.contains(IocKind::Ipv4, "192.0.2.8"));
        assert!(s.contains(IocKind::Url, "http://198.51.100.23:8080/dl/a.exe"));
        assert!(s.contains(IocKind::Url, "https://[2001:db8:fe7c::17]/v3/payload.bin"));
        let hit = &s.lookup(IocKind::Ipv4, "198.51.100.9")[0];
        assert_eq!(hit.matched, "198.51.100.0/24");
        assert_eq!(hit.threat_level.as_deref(), Some("high"));
    }

    #[test]
    fn domains_cover_their_subdomains_and_urls() {
        let s = store(&["fetchbird.example.net", "*.magpie.example.net"]);
        assert!(s.contains(IocKind::Domain, "files.fetchbird.example.net"));
        assert!(s.contains(IocKind::Domain, "fetchbird.example.net"));
        assert!(!s.contains(IocKind::Domain, "example.net"));
        assert!(!s.contains(IocKind::Domain, "notfetchbird.example.net"));
        assert!(s.contains(IocKind::Url, "http://collect.magpie.example.net/upload.php"));
        assert!(s.contains(IocKind::Email, "x@fetchbird.example.net"));
    }

    #[test]
    fn url_prefixes_match_at_any_length() {
        let s = store(&["http://cdn.example.com/s2/*", "https://a.example.org/x.php"]);
        assert!(s.contains(IocKind::Url, "http://cdn.example.com/s2/beacon.php"));
        assert!(!s.contains(IocKind::Url, "http://cdn.example.com/s3/beacon.php"));
        assert!(s.contains(IocKind::Url, "https://a.example.org/x.php"));
        assert!(!s.contains(IocKind::Url, "https://a.example.org/x.php?q=1"));
    }

    /// The exact table is probed only at the lengths it holds (bit 255 standing for 255
    /// bytes or more), for the value and for a URL's host, in memory and compiled alike.
    #[test]
    fn exact_values_are_probed_at_the_lengths_held() {
        let long = format!("Global\\{}", "m".repeat(300));
        let mut s = store(&["0123456789abcdef0123456789abcdef01234567", &long]);
        assert!(s.add_exact(&entry("cdn.example.com", "top")));
        let held = s.mem.exact_lengths;
        assert!(held.has(40) && held.has(15) && held.has(long.len()) && held.has(255));
        assert!(!held.has(39) && !held.has(41) && !held.has(16));
        let mut bytes = Vec::new();
        compiled::write(&s, &mut bytes).unwrap();
        let mut mapped = Store::new();
        mapped.attach(Compiled::from_vec(bytes, "t").unwrap());
        for t in [&s, &mapped] {
            assert!(t.contains(IocKind::Sha1, "0123456789ABCDEF0123456789ABCDEF01234567"));
            assert!(!t.contains(IocKind::Sha1, "0123456789abcdef0123456789abcdef0123456"));
            assert_eq!(t.lookup_exact(&long.to_uppercase()).len(), 1);
            assert!(t.lookup_exact(&format!("{long}n")).is_empty());
            assert!(t.lookup_exact(&long[..long.len() - 1]).is_empty());
            assert!(t.contains(IocKind::Url, "https://cdn.example.com/app.js"));
            assert!(t.contains(IocKind::Domain, "cdn.example.com"));
            assert!(!t.contains(IocKind::Domain, "a.cdn.example.com"));
            assert!(!t.contains(IocKind::Url, "https://cdn.example.co/app.js"));
        }
        assert_eq!(mapped.compiled()[0].damaged(), 0);
    }

    /// An IP indicator is read once, brackets and all: as it stands it skips the exact
    /// table, in brackets it is looked up there too.
    #[test]
    fn addresses_are_read_with_or_without_brackets() {
        let s = store(&["2001:db8:fe00::/40", "[2001:db8::5]"]);
        assert!(s.contains(IocKind::Ipv6, "[2001:db8:fe7c::17]"));
        assert!(s.contains(IocKind::Ipv6, "[2001:db8:fe7c::17]:443"));
        assert!(s.contains(IocKind::Ipv6, "[2001:DB8::5]"));
        assert!(!s.contains(IocKind::Ipv6, "2001:db8::6"));
        let q = Query::new(Some(IocKind::Ipv6), "[2001:db8::5]");
        assert!(!q.address && q.ip.is_some());
        let q = Query::new(Some(IocKind::Ipv4), "192.0.2.7");
        assert!(q.address && q.ip.is_some());
        let q = Query::new(Some(IocKind::Url), "http://[2001:db8::5]:8080/x");
        assert!(matches!(q.host, Some(("2001:db8::5", Some(_)))));
    }

    #[test]
    fn blank_values_are_refused() {
        let mut s = Store::new();
        assert!(!s.add(&entry("  ", "f")));
        assert!(!s.add(&entry("two words", "f")));
        assert_eq!(s.entries, 0);
    }
}
