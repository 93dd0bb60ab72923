//! The IOC model: what an indicator is, where it was seen, and what we know about it.
//!
//! This module owns the types every other stage shares ([`IocKind`], [`Ioc`], [`Sighting`],
//! [`Flags`], [`Scope`]) and the sub-modules that produce them: refanging ([`refang`]), the
//! byte scanner ([`scan`]), context snippets cut at output time ([`cut`]), registry key spelling ([`registry`]), per-type validators ([`validate`]), the allowlist ([`allowlist`])
//! and the deduplicating collection ([`set`]).
//!
//! The serialised form is documented in `docs/ioc-schema.md` and is stable: fields are only
//! ever added, and output is sorted so that the same input always gives the same bytes.

pub mod allowlist;
pub mod cut;
pub mod refang;
pub mod registry;
pub mod scan;
pub mod set;
pub mod text;
pub mod validate;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The kinds of indicator spoor extracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IocKind {
    /// MD5 digest, 32 lower-case hex digits.
    Md5,
    /// SHA-1 digest, 40 lower-case hex digits.
    Sha1,
    /// SHA-256 digest, 64 lower-case hex digits.
    Sha256,
    /// SHA-512 digest, 128 lower-case hex digits.
    Sha512,
    /// IPv4 address, optionally with `/prefix` (a port written after it goes to
    /// [`Ioc::ports`] and [`Sighting::port`]).
    Ipv4,
    /// IPv6 address in RFC 5952 form, optionally `addr/prefix` (a port, written
    /// `[addr]:port`, goes to [`Ioc::ports`] and [`Sighting::port`]).
    Ipv6,
    /// Domain name, lower case, with a public suffix.
    Domain,
    /// URL with a known scheme.
    Url,
    /// E-mail address, lower case.
    Email,
    /// Windows registry key with a short hive name (HKLM, HKCU, HKCR, HKU, HKCC).
    RegistryKey,
    /// Windows (drive, UNC, `%ENV%`) or Unix absolute file path.
    FilePath,
    /// CVE identifier, upper case.
    Cve,
    /// MITRE ATT&CK technique or sub-technique id.
    AttackTechnique,
    /// Bitcoin address with a valid checksum.
    Bitcoin,
    /// Monero address.
    Monero,
}

impl IocKind {
    /// Every kind, in the order output is sorted.
    pub const ALL: [IocKind; 15] = [
        IocKind::Md5,
        IocKind::Sha1,
        IocKind::Sha256,
        IocKind::Sha512,
        IocKind::Ipv4,
        IocKind::Ipv6,
        IocKind::Domain,
        IocKind::Url,
        IocKind::Email,
        IocKind::RegistryKey,
        IocKind::FilePath,
        IocKind::Cve,
        IocKind::AttackTechnique,
        IocKind::Bitcoin,
        IocKind::Monero,
    ];

    /// The stable name used in every output format and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            IocKind::Md5 => "md5",
            IocKind::Sha1 => "sha1",
            IocKind::Sha256 => "sha256",
            IocKind::Sha512 => "sha512",
            IocKind::Ipv4 => "ipv4",
            IocKind::Ipv6 => "ipv6",
            IocKind::Domain => "domain",
            IocKind::Url => "url",
            IocKind::Email => "email",
            IocKind::RegistryKey => "registry_key",
            IocKind::FilePath => "file_path",
            IocKind::Cve => "cve",
            IocKind::AttackTechnique => "attack_technique",
            IocKind::Bitcoin => "bitcoin",
            IocKind::Monero => "monero",
        }
    }

    /// Whether values of this kind compare case-insensitively (used for deduplication).
    pub fn case_insensitive(self) -> bool {
        matches!(self, IocKind::RegistryKey | IocKind::FilePath)
    }
}

impl fmt::Display for IocKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IocKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        let alias = match wanted.as_str() {
            "ip" | "ipv4_address" => "ipv4",
            "ipv6_address" => "ipv6",
            "registry" | "regkey" => "registry_key",
            "path" | "file" | "filepath" => "file_path",
            "attack" | "technique" | "mitre" => "attack_technique",
            "btc" => "bitcoin",
            "xmr" => "monero",
            other => other,
        };
        IocKind::ALL
            .into_iter()
            .find(|k| k.as_str() == alias)
            .ok_or_else(|| {
                let names: Vec<&str> = IocKind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown IOC type '{s}' (known: {})", names.join(", "))
            })
    }
}

/// An IP address in any of the forms indicators take (`192.0.2.1`, `192.0.2.1:80`,
/// `2001:db8::1`, `[2001:db8::1]:443`, `::ffff:192.0.2.1`): the address, with an
/// IPv4-mapped IPv6 address as the IPv4 address it stands for, and the port when one is
/// written. `None` for anything else (names, prefixes).
pub fn split_address(value: &str) -> Option<(std::net::IpAddr, Option<u16>)> {
    use std::net::IpAddr;
    let v = value.trim();
    let (host, port) = if let Some(rest) = v.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        (host, port)
    } else if v.parse::<IpAddr>().is_ok() {
        (v, None)
    } else {
        let (host, p) = v.rsplit_once(':')?;
        if host.contains(':') {
            return None;
        }
        (host, Some(p.parse::<u16>().ok()?))
    };
    let ip = match host.parse::<IpAddr>().ok()? {
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(a),
        },
        ip => ip,
    };
    Some((ip, port))
}

/// The address and port of an IPv4 or IPv6 value written with a port (`192.0.2.10:8080`,
/// `[2001:db8::1]:443`), as the scanner reports it; `None` for every other value.
pub fn split_port(kind: IocKind, value: &str) -> Option<(&str, u16)> {
    let (addr, port) = match kind {
        IocKind::Ipv4 => {
            let (addr, port) = value.rsplit_once(':')?;
            parse_ipv4(addr.as_bytes())?;
            (addr, port)
        }
        IocKind::Ipv6 => {
            let (addr, port) = value.strip_prefix('[')?.rsplit_once("]:")?;
            addr.parse::<std::net::Ipv6Addr>().ok()?;
            (addr, port)
        }
        _ => return None,
    };
    Some((addr, parse_port(port)?))
}

/// A port written in decimal digits only (leading zeros allowed), as `u16`'s parser reads
/// text that is digits and nothing else: one pass, no sign accepted.
fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() {
        return None;
    }
    let mut value = 0u32;
    for b in text.bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + u32::from(digit);
        if value > u32::from(u16::MAX) {
            return None;
        }
    }
    u16::try_from(value).ok()
}

/// An IPv4 address as [`std::net::Ipv4Addr`]'s parser reads it (four decimal octets, none
/// zero-padded), by the scanner's parser: asked for every address put in a set or given
/// out by one.
pub(crate) fn parse_ipv4(text: &[u8]) -> Option<std::net::Ipv4Addr> {
    scan::parse_ipv4(text).filter(|&ip| scan::ipv4_is_canonical(text.len(), ip))
}

/// An address value written with `port` again (`192.0.2.10:8080`, `[2001:db8::1]:443`), as
/// the scanner reports it: the inverse of [`split_port`]. Other kinds, or no port: the
/// value itself.
pub fn join_port(kind: IocKind, value: &str, port: Option<u16>) -> std::borrow::Cow<'_, str> {
    match (kind, port) {
        (IocKind::Ipv4, Some(p)) => format!("{value}:{p}").into(),
        (IocKind::Ipv6, Some(p)) => format!("[{value}]:{p}").into(),
        _ => value.into(),
    }
}

/// Where an address or name lives: public, or one of the ranges that are not routable or
/// are reserved for documentation and testing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Globally routable address or registrable public name.
    Public,
    /// RFC 1918, RFC 4193 and similar private ranges.
    Private,
    /// Loopback (127.0.0.0/8, ::1) and `localhost`.
    Loopback,
    /// Link-local (169.254.0.0/16, fe80::/10).
    LinkLocal,
    /// Multicast and broadcast.
    Multicast,
    /// Documentation ranges (RFC 5737, RFC 3849) and example domains (RFC 2606).
    Documentation,
    /// Any other reserved or special-purpose range or name.
    Reserved,
}

impl Scope {
    /// The stable name used in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Private => "private",
            Scope::Loopback => "loopback",
            Scope::LinkLocal => "link_local",
            Scope::Multicast => "multicast",
            Scope::Documentation => "documentation",
            Scope::Reserved => "reserved",
        }
    }
}

/// Facts about an indicator that consumers filter on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    /// At least one sighting was written in defanged form (`hxxp`, `[.]`, ...).
    pub defanged: bool,
    /// The indicator matched the allowlist (kept only when the caller asks for it).
    pub allowlisted: bool,
    /// Address or name scope, for network indicators; `None` for other kinds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Scope>,
    /// Why the indicator was kept although a rule doubted it, what it is, or how it was
    /// written (see [`Notes`]); absent when empty.
    #[serde(default, skip_serializing_if = "Notes::is_empty")]
    pub notes: Notes,
}

/// Reasons and facts recorded on an indicator, serialised as a sorted list of names
/// (`["certificate_infrastructure", "encoded_base64"]`). A small bit set, so flags stay
/// `Copy` and merging sightings is an OR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Notes(u16);

impl Notes {
    /// No notes.
    pub const NONE: Notes = Notes(0);
    /// A CRL, OCSP or CA-issuer URL (or its host): certificate infrastructure, not C2.
    pub const CERTIFICATE_INFRASTRUCTURE: Notes = Notes(1);
    /// Trailing certificate (DER) bytes were cut off the URL (`….crl0q` → `….crl`).
    pub const CUT_AT_ASN1: Notes = Notes(1 << 1);
    /// The host is on the allowlist, but the indicator was kept: written defanged by its
    /// author, or a URL with a path on an abusable host.
    pub const ALLOWLISTED_HOST: Notes = Notes(1 << 2);
    /// A two-label name whose ending is also a file extension (`dc0.cc`), kept because the
    /// text around it is about hosts.
    pub const HOST_CONTEXT: Notes = Notes(1 << 3);
    /// Found inside Base64 text that was decoded.
    pub const ENCODED_BASE64: Notes = Notes(1 << 4);
    /// Found inside hex-encoded text that was decoded.
    pub const ENCODED_HEX: Notes = Notes(1 << 5);
    /// Found inside percent-encoded text that was decoded.
    pub const ENCODED_PERCENT: Notes = Notes(1 << 6);
    /// The path or key holds a placeholder (`<username>`, `%SID%`, `{GUID}`), kept whole.
    pub const PLACEHOLDER: Notes = Notes(1 << 7);
    /// Written with blanks inside (`http:// host/x`, `name @ example . com`).
    pub const SPACED: Notes = Notes(1 << 8);

    /// Every note with its stable name, in output order.
    pub const NAMES: [(Notes, &'static str); 9] = [
        (Notes::ALLOWLISTED_HOST, "allowlisted_host"),
        (
            Notes::CERTIFICATE_INFRASTRUCTURE,
            "certificate_infrastructure",
        ),
        (Notes::CUT_AT_ASN1, "cut_at_asn1"),
        (Notes::ENCODED_BASE64, "encoded_base64"),
        (Notes::ENCODED_HEX, "encoded_hex"),
        (Notes::ENCODED_PERCENT, "encoded_percent"),
        (Notes::HOST_CONTEXT, "host_context"),
        (Notes::PLACEHOLDER, "placeholder"),
        (Notes::SPACED, "spaced"),
    ];

    /// The notes as bits (for compact storage).
    pub fn bits(self) -> u16 {
        self.0
    }

    /// Notes from [`Notes::bits`] (unknown bits are dropped).
    pub fn from_bits(bits: u16) -> Notes {
        Notes(bits & ((1 << Notes::NAMES.len()) - 1))
    }

    /// Whether no note is set.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// Whether every note of `other` is set here.
    pub fn contains(self, other: Notes) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    /// Sets the notes of `other` too.
    pub fn insert(&mut self, other: Notes) {
        self.0 |= other.0;
    }

    /// The names of the notes set, in output order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Notes::NAMES
            .into_iter()
            .filter(move |(n, _)| self.contains(*n))
            .map(|(_, name)| name)
    }

    /// The note of a stable name.
    pub fn from_name(name: &str) -> Option<Notes> {
        Notes::NAMES
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(note, _)| *note)
    }
}

impl std::ops::BitOr for Notes {
    type Output = Notes;

    fn bitor(self, rhs: Notes) -> Notes {
        Notes(self.0 | rhs.0)
    }
}

impl Serialize for Notes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

impl<'de> Deserialize<'de> for Notes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // names this version does not know are ignored: fields are only ever added
        let names = Vec::<String>::deserialize(d)?;
        Ok(names
            .iter()
            .filter_map(|n| Notes::from_name(n))
            .fold(Notes::NONE, |a, b| a | b))
    }
}

/// Notes that follow from an indicator's kind and normalised value alone (certificate
/// infrastructure URLs and hosts), for whoever builds [`Flags`] from a value.
pub fn value_notes(kind: IocKind, value: &str) -> Notes {
    match kind {
        IocKind::Url if validate::is_certificate_url(value) => Notes::CERTIFICATE_INFRASTRUCTURE,
        _ => Notes::NONE,
    }
}

/// How the text of a sighting was encoded in its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// ASCII or UTF-8 bytes.
    Ascii,
    /// UTF-16 little-endian text (common in Windows binaries).
    Utf16le,
}

/// One place an indicator was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    /// The source's name: a path, `-` for standard input, or a caller-given label
    /// (shared by every sighting from that source).
    pub source: Arc<str>,
    /// Byte offset of the indicator's first byte in the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// 1-based line number in the source, for text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Field path inside a structured record (JSON pointer-like), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The port written after the address here (`192.0.2.10:8080`), for IPv4 and IPv6.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// How the indicator's bytes were encoded.
    pub encoding: Encoding,
    /// A short, printable snippet around the indicator, as written in the source (left
    /// out with `--no-context`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub context: String,
}

impl Sighting {
    /// A sighting in `source` with nothing known of where: counted, not located (a
    /// sighting past a cap, or a reused record about to be filled in).
    pub fn unlocated(source: Arc<str>) -> Sighting {
        Sighting {
            source,
            offset: None,
            line: None,
            field: None,
            port: None,
            encoding: Encoding::Ascii,
            context: String::new(),
        }
    }
}

/// One indicator with every place it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ioc {
    /// What kind of indicator this is.
    #[serde(rename = "type")]
    pub kind: IocKind,
    /// The normalised, refanged value.
    pub value: String,
    /// Defanged / allowlisted / scope.
    pub flags: Flags,
    /// How many times it was seen in total (may exceed `sightings.len()`, which is capped).
    pub count: u64,
    /// IPv4 and IPv6: every port written after the address (`192.0.2.10:8080`), ascending,
    /// each once, over all its sightings (kept or not); empty when none was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<u16>,
    /// The places it was seen, in source order, capped at the configured maximum.
    pub sightings: Vec<Sighting>,
    /// What the analyst's own intelligence feeds know about it (`--intel`, see
    /// [`crate::intel`]); absent when nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub intel: Vec<IntelHit>,
}

/// One intelligence feed entry an indicator matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IntelHit {
    /// The feed's name (its file or folder name, or the MISP event's title).
    pub feed: String,
    /// The entry that matched, as the feed wrote it (`198.51.100.0/24`, `example.net` for
    /// a subdomain, a URL prefix).
    pub matched: String,
    /// Tags of the entry and of its event or indicator object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// First seen, as the feed dates it (`YYYY-MM-DD...`), when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    /// Threat level, as the feed rates it (`high`, `medium`, `low`), when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threat_level: Option<String>,
}

impl IntelHit {
    /// `feed (matched; tags a, b; first seen D; threat level L)`, for reports and comments.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("matched {}", self.matched)];
        if !self.tags.is_empty() {
            parts.push(format!("tags {}", self.tags.join(", ")));
        }
        if let Some(d) = &self.first_seen {
            parts.push(format!("first seen {d}"));
        }
        if let Some(l) = &self.threat_level {
            parts.push(format!("threat level {l}"));
        }
        format!("{} ({})", self.feed, parts.join("; "))
    }
}

impl Ioc {
    /// The value with its dots, `@` and scheme defanged for safe sharing.
    pub fn defanged_value(&self) -> String {
        refang::defang(self.kind, &self.value)
    }
}

#[cfg(test)]
mod tests {
    /// `parse_ipv4` reads what the standard parser reads: random texts of digits and dots,
    /// and quads with zero-padded and out-of-range octets.
    #[test]
    fn parse_ipv4_agrees_with_the_standard_parser() {
        let std_parse = |t: &[u8]| {
            std::str::from_utf8(t)
                .ok()
                .and_then(|s| s.parse::<std::net::Ipv4Addr>().ok())
        };
        let mut next = crate::primitives::xorshift(0x9e37_79b9_7f4a_7c15u64);
        let alphabet = b"0123456789..:/x";
        let mut accepted = 0;
        for _ in 0..100_000 {
            let len = (next() % 18) as usize;
            let t: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(super::parse_ipv4(&t), std_parse(&t), "{t:?}");
        }
        for _ in 0..50_000 {
            let t = (0..4)
                .map(|_| {
                    let v = next() % 300;
                    match next() % 3 {
                        0 => format!("{v:03}"),
                        1 => format!("{v:02}"),
                        _ => v.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join(".");
            let ours = super::parse_ipv4(t.as_bytes());
            accepted += usize::from(ours.is_some());
            assert_eq!(ours, std_parse(t.as_bytes()), "{t}");
        }
        // the quads must have exercised both answers
        assert!(accepted > 1_000 && accepted < 49_000, "{accepted}");
    }
}
