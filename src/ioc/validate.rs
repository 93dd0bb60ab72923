//! Validators that decide whether a candidate really is an indicator, and classify scope.
//!
//! Each function here is one documented false-positive rule; the scanner finds candidates
//! and asks these functions. The rules and their reasons are listed in `docs/ioc-schema.md`.

use super::Scope;
use crate::tables;
use sha2::{Digest, Sha256};
use std::net::{Ipv4Addr, Ipv6Addr};

/// How a domain candidate was found, which decides how much evidence it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainContext {
    /// Free text: the strictest rules apply.
    Free,
    /// The host of a URL or the domain of an e-mail address.
    Structured,
    /// Written in defanged form, which only indicators are.
    Defanged,
}

/// The bytes of a domain label: lower-case letters, digits and `-`.
static LABEL_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
        i += 1;
    }
    t
};

/// Whether `name` (lower case, no trailing dot) is a plausible domain name.
pub fn is_domain(name: &str, context: DomainContext) -> bool {
    if name.len() > 253 || name.len() < 4 {
        return false;
    }
    // one pass over the bytes, a label checked at each dot and at the end: asked for
    // every dotted token of a text and every URL's host
    let bytes = name.as_bytes();
    let mut labels = 0usize;
    let mut start = 0;
    let mut tld: &[u8] = b"";
    for i in 0..=bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(b'.');
        if b == b'.' {
            labels += 1;
            let label = &bytes[start..i];
            if label.is_empty()
                || label.len() > 63
                || label.first() == Some(&b'-')
                || label.last() == Some(&b'-')
            {
                return false;
            }
            tld = label;
            start = i + 1;
        } else if !LABEL_BYTES[usize::from(b)] {
            return false;
        }
    }
    is_registrable(name, labels, tld, context)
}

/// The checks of [`is_domain`] after its labels: `name`, whose `labels` labels are valid
/// and whose last is `tld`, under a known public suffix and not a bare one, and (free
/// text) not a name-like word.
fn is_registrable(name: &str, labels: usize, tld: &[u8], context: DomainContext) -> bool {
    if labels < 2 {
        return false;
    }
    if tld.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let Some(suffix) = psl::suffix(name.as_bytes()) else {
        return false;
    };
    if !suffix.is_known() {
        return false;
    }
    if suffix.as_bytes() == name.as_bytes() && suffix.typ() == Some(psl::Type::Icann) {
        // A bare public suffix such as `co.uk` is not a name anyone registered.
        return false;
    }
    if context == DomainContext::Free {
        let bytes = name.as_bytes();
        if labels == 2 && tables::ambiguous_tlds().contains(tld) {
            return false;
        }
        let first = bytes.split(|&b| b == b'.').next().unwrap_or(b"");
        if tables::detection_prefixes().contains(first) {
            return false;
        }
        if labels == 2 && tables::code_identifiers().contains(first) {
            return false;
        }
    }
    true
}

/// Whether a normalised URL is certificate infrastructure: an OCSP responder, a CRL, or a
/// CA certificate (AIA "CA issuers"), as found in certificates and signed binaries. Such
/// URLs are contacted by every TLS client and code-signature check, not by malware.
pub fn is_certificate_url(url: &str) -> bool {
    let b = url.as_bytes();
    // the scheme is a short word: a plain scan beats building a substring searcher
    let Some(sep) = b.windows(3).position(|w| w == b"://") else {
        return false;
    };
    // SIMD searches for the separators: asked of every URL found and every URL written
    let rest = &b[sep + 3..];
    let auth_end = memchr::memchr3(b'/', b'?', b'#', rest).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let host = memchr::memrchr(b'@', authority).map_or(authority, |i| &authority[i + 1..]);
    let first_end = memchr::memchr2(b'.', b':', host).unwrap_or(host.len());
    let mut first = &host[..first_end];
    while let [head @ .., last] = first {
        if !last.is_ascii_digit() {
            break;
        }
        first = head;
    }
    if matches!(first, b"ocsp" | b"crl" | b"cacerts" | b"aia") {
        return true;
    }
    let path = &rest[auth_end..];
    let path = &path[..memchr::memchr2(b'?', b'#', path).unwrap_or(path.len())];
    let ends =
        |x: &[u8]| path.len() >= x.len() && path[path.len() - x.len()..].eq_ignore_ascii_case(x);
    CERTIFICATE_FILE_ENDINGS.iter().any(|x| ends(x))
        || (path.len() >= 5 && path[..5].eq_ignore_ascii_case(b"/ocsp"))
}

/// Path endings of CRLs and CA certificates published for certificate chains.
pub const CERTIFICATE_FILE_ENDINGS: [&[u8]; 5] = [b".crl", b".crt", b".cer", b".p7c", b".p7b"];

/// Scope of an IPv4 address.
pub fn ipv4_scope(ip: Ipv4Addr) -> Scope {
    let o = ip.octets();
    if ip.is_loopback() {
        Scope::Loopback
    } else if ip.is_private() || (o[0] == 100 && (64..128).contains(&o[1])) {
        // RFC 1918 and RFC 6598 shared address space
        Scope::Private
    } else if ip.is_link_local() {
        Scope::LinkLocal
    } else if ip.is_multicast() || ip.is_broadcast() {
        Scope::Multicast
    } else if ip.is_documentation() {
        Scope::Documentation
    } else if o[0] == 0
        || o[0] >= 240
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
    {
        Scope::Reserved
    } else {
        Scope::Public
    }
}

/// Scope of an IPv6 address.
pub fn ipv6_scope(ip: Ipv6Addr) -> Scope {
    let s = ip.segments();
    if let Some(v4) = ip.to_ipv4_mapped() {
        return ipv4_scope(v4);
    }
    if ip.is_loopback() {
        Scope::Loopback
    } else if ip.is_unspecified() {
        Scope::Reserved
    } else if s[0] & 0xfe00 == 0xfc00 {
        Scope::Private
    } else if s[0] & 0xffc0 == 0xfe80 {
        Scope::LinkLocal
    } else if s[0] & 0xff00 == 0xff00 {
        Scope::Multicast
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        Scope::Documentation
    } else if s[0] & 0xe000 != 0x2000 {
        Scope::Reserved
    } else {
        Scope::Public
    }
}

/// Scope of a domain name: RFC 2606 / RFC 6761 names are documentation or reserved.
pub fn domain_scope(name: &str) -> Scope {
    let under = |suffix: &str| {
        name == suffix
            || (name.len() > suffix.len()
                && name.ends_with(suffix)
                && name.as_bytes()[name.len() - suffix.len() - 1] == b'.')
    };
    if under("example.com") || under("example.net") || under("example.org") || under("example") {
        Scope::Documentation
    } else if under("localhost") {
        Scope::Loopback
    } else if under("test") || under("invalid") || under("local") || under("internal") {
        Scope::Reserved
    } else {
        Scope::Public
    }
}

/// [`HEX_CLASS`] bit of a lower-case letter digit.
const HEX_LOWER: u8 = 0x10;
/// [`HEX_CLASS`] bit of an upper-case letter digit.
const HEX_UPPER: u8 = 0x20;
/// [`HEX_CLASS`] bit of a byte that is no hex digit.
const HEX_NOT: u8 = 0x40;
/// Each byte's value as a hex digit (low four bits) and its kind ([`HEX_LOWER`],
/// [`HEX_UPPER`], [`HEX_NOT`]).
static HEX_CLASS: [u8; 256] = {
    let mut t = [HEX_NOT; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = HEX_LOWER | (10 + i as u8);
        t[b'A' as usize + i] = HEX_UPPER | (10 + i as u8);
        i += 1;
    }
    t
};

/// Whether a hex run is plausible as a digest: one case throughout, at least six distinct
/// digits (not one repeated character, not all decimal digits), and no digit making up
/// more than two fifths of it. A digest's digits are uniform: one digit 13 times or more
/// of an MD5's 32 has a chance of 4e-7 (17 of a SHA-1's 40: 1e-9; 26 of a SHA-256's 64:
/// 5e-14), where identifiers padded with zeros (SDL game-controller GUIDs such as
/// `03000000341a00000108000000000000`) and curve constants (`ffffffff00000000ffff…`)
/// have it all the time.
pub fn is_plausible_digest(hex: &[u8]) -> bool {
    // (digests are at most 128 digits: a count fits a byte)
    if hex.len() > usize::from(u8::MAX) {
        return false;
    }
    // one pass without a branch per digit (digits and letters alternate at random, so a
    // branch on the kind of byte is mispredicted about every other digit): the kinds of
    // byte seen, OR-ed, and how often each of the sixteen digits occurs
    let mut seen = 0u8;
    let mut counts = [0u8; 16];
    for &b in hex {
        let class = HEX_CLASS[usize::from(b)];
        seen |= class;
        counts[usize::from(class & 15)] += 1;
    }
    let (upper, lower) = (seen & HEX_UPPER != 0, seen & HEX_LOWER != 0);
    if seen & HEX_NOT != 0 {
        return false;
    }
    let distinct = counts.iter().filter(|&&c| c > 0).count();
    let most = counts.iter().copied().max().unwrap_or(0);
    upper != lower && distinct >= 6 && usize::from(most) * 5 <= hex.len() * 2
}

/// Whether a legacy (`1…`, `3…`) Bitcoin address has a valid Base58Check checksum.
pub fn is_bitcoin_base58(addr: &str) -> bool {
    let Ok(raw) = bs58::decode(addr).into_vec() else {
        return false;
    };
    if raw.len() != 25 || !(raw[0] == 0x00 || raw[0] == 0x05) {
        return false;
    }
    let (payload, checksum) = raw.split_at(21);
    let digest = Sha256::digest(Sha256::digest(payload));
    digest[..4] == checksum[..]
}

/// Whether a `bc1…` address is valid Bech32 / Bech32m segwit.
pub fn is_bitcoin_bech32(addr: &str) -> bool {
    match bech32::segwit::decode(addr) {
        Ok((hrp, _version, program)) => {
            hrp == bech32::hrp::BC && (program.len() == 20 || program.len() == 32)
        }
        Err(_) => false,
    }
}

/// Whether `addr` is a Monero address: standard (95 characters: network byte, spend and
/// view keys, checksum) or integrated (106: plus an 8-byte payment id), in Monero's
/// block-wise Base58, starting with 4 or 8, whose checksum (the first four bytes of the
/// Keccak-256 digest of everything before it) is right. Only mainnet prefixes are
/// accepted: 18 (standard), 19 (integrated) and 42 (subaddress).
pub fn is_monero(addr: &str) -> bool {
    let b = addr.as_bytes();
    if !matches!(b.len(), 95 | 106) || !matches!(b[0], b'4' | b'8') {
        return false;
    }
    let Some(raw) = monero_base58_decode(b) else {
        return false;
    };
    let expected_prefix = match raw.len() {
        69 => [18u8, 42].as_slice(),
        77 => [19u8].as_slice(),
        _ => return false,
    };
    if !expected_prefix.contains(&raw[0]) {
        return false;
    }
    let (body, checksum) = raw.split_at(raw.len() - 4);
    sha3::Keccak256::digest(body)[..4] == *checksum
}

/// Monero's Base58: 8-byte blocks encoded as 11 characters each, the last, shorter block
/// as the fewest characters that hold it. `None` on a character outside the alphabet or
/// a block that overflows its size.
fn monero_base58_decode(text: &[u8]) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    // digit of each byte, 0xff outside the alphabet
    const DIGITS: [u8; 256] = {
        let mut t = [0xffu8; 256];
        let mut i = 0;
        while i < 58 {
            t[ALPHABET[i] as usize] = i as u8;
            i += 1;
        }
        t
    };
    // characters needed for 0..=8 bytes
    const ENCODED: [usize; 9] = [0, 2, 3, 5, 6, 7, 9, 10, 11];
    let mut out = Vec::with_capacity(text.len() * 8 / 11 + 8);
    for block in text.chunks(11) {
        let bytes = ENCODED.iter().position(|&n| n == block.len())?;
        let mut value: u128 = 0;
        for &c in block {
            let digit = DIGITS[c as usize];
            if digit == 0xff {
                return None;
            }
            value = value * 58 + u128::from(digit);
        }
        if bytes < 16 && value >> (8 * bytes) != 0 {
            return None;
        }
        out.extend_from_slice(&value.to_be_bytes()[16 - bytes..]);
    }
    Some(out)
}

/// Whether `c` is in the Base58 alphabet.
pub fn is_base58(c: u8) -> bool {
    c.is_ascii_alphanumeric() && !matches!(c, b'0' | b'O' | b'I' | b'l')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`is_domain`] with its labels checked as first written (split at dots, each on its
    /// own), which the one-pass form must agree with; the checks after the labels are
    /// shared ([`is_registrable`]).
    fn is_domain_by_labels(name: &str, context: DomainContext) -> bool {
        if name.len() > 253 || name.len() < 4 {
            return false;
        }
        let bytes = name.as_bytes();
        let mut labels = 0usize;
        for label in bytes.split(|&b| b == b'.') {
            labels += 1;
            if label.is_empty()
                || label.len() > 63
                || label.first() == Some(&b'-')
                || label.last() == Some(&b'-')
                || !label
                    .iter()
                    .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            {
                return false;
            }
        }
        let tld = bytes.rsplit(|&b| b == b'.').next().unwrap_or(b"");
        is_registrable(name, labels, tld, context)
    }

    /// [`is_certificate_url`] as it was first written (separators found by byte loops).
    fn is_certificate_url_by_loops(url: &str) -> bool {
        let b = url.as_bytes();
        let Some(sep) = b.windows(3).position(|w| w == b"://") else {
            return false;
        };
        let rest = &b[sep + 3..];
        let auth_end = rest
            .iter()
            .position(|&c| matches!(c, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        let authority = &rest[..auth_end];
        let host = memchr::memrchr(b'@', authority).map_or(authority, |i| &authority[i + 1..]);
        let first_end = host
            .iter()
            .position(|&c| c == b'.' || c == b':')
            .unwrap_or(host.len());
        let mut first = &host[..first_end];
        while let [head @ .., last] = first {
            if !last.is_ascii_digit() {
                break;
            }
            first = head;
        }
        if matches!(first, b"ocsp" | b"crl" | b"cacerts" | b"aia") {
            return true;
        }
        let path = &rest[auth_end..];
        let path = &path[..path
            .iter()
            .position(|&c| c == b'?' || c == b'#')
            .unwrap_or(path.len())];
        let ends = |x: &[u8]| {
            path.len() >= x.len() && path[path.len() - x.len()..].eq_ignore_ascii_case(x)
        };
        CERTIFICATE_FILE_ENDINGS.iter().any(|x| ends(x))
            || (path.len() >= 5 && path[..5].eq_ignore_ascii_case(b"/ocsp"))
    }

    /// Strings of `pieces` joined at random (xorshift, fixed seed).
    fn random_texts(pieces: &[&str], count: usize, most: u64) -> Vec<String> {
        let mut next = crate::primitives::xorshift(0x2545_f491_4f6c_dd1d_u64);
        (0..count)
            .map(|_| {
                let n = next() % most;
                (0..n)
                    .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    #[test]
    fn is_domain_equals_the_form_split_at_labels() {
        let mut names: Vec<String> = [
            "c2.example.net",
            "a.b.c.example.co.uk",
            "co.uk",
            "example.123",
            "-a.example.com",
            "a-.example.com",
            "a..example.com",
            ".example.com",
            "example.com.",
            "EXAMPLE.com",
            "ex_ample.com",
            "xn--bcher-kva.example",
            "win32.exe",
            "trojan.win32",
            "system.net",
            "caf\u{e9}.example.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let long = "a".repeat(63);
        names.push(format!("{long}.com"));
        names.push(format!("{long}a.com"));
        names.extend(random_texts(
            &[
                "a", "b", "z", "0", "9", "-", ".", "com", "net", "uk", "co", "_", "A", "\u{e9}",
            ],
            100_000,
            12,
        ));
        for name in &names {
            for context in [
                DomainContext::Structured,
                DomainContext::Free,
                DomainContext::Defanged,
            ] {
                assert_eq!(
                    is_domain(name, context),
                    is_domain_by_labels(name, context),
                    "{name:?} {context:?}"
                );
            }
        }
    }

    #[test]
    fn is_certificate_url_equals_the_form_with_byte_loops() {
        let mut urls: Vec<String> = [
            "http://crl.example.com/a.crl",
            "http://ocsp2.example.com",
            "http://u@ocsp.example.com:80/x",
            "http://example.com/ocsp/x",
            "http://example.com/ca.CRT?x=1",
            "http://example.com/a.crl#f",
            "http://cacerts.example.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        urls.extend(random_texts(
            &[
                "http://", "://", "/", "?", "#", "@", ".", ":", "ocsp", "crl", "aia", "1",
                "cacerts", ".crl", ".CRT", ".p7b", "/ocsp", "x", "\u{e9}",
            ],
            100_000,
            9,
        ));
        for url in &urls {
            assert_eq!(
                is_certificate_url(url),
                is_certificate_url_by_loops(url),
                "{url:?}"
            );
        }
    }

    #[test]
    fn domains() {
        assert!(is_domain("evil.example.com", DomainContext::Free));
        assert!(is_domain("bad.co.uk", DomainContext::Free));
        assert!(!is_domain("co.uk", DomainContext::Free));
        assert!(!is_domain("kernel32.dll", DomainContext::Free));
        assert!(!is_domain("cygwin.zip", DomainContext::Free));
        assert!(is_domain("cygwin.zip", DomainContext::Defanged));
        assert!(is_domain("files.cygwin.zip", DomainContext::Free));
        assert!(!is_domain("trojan.win32.agent.xyz", DomainContext::Free));
        assert!(!is_domain("mod_auth_basic.so", DomainContext::Structured));
        assert!(!is_domain("1.2.3.4", DomainContext::Free));
    }

    #[test]
    fn scopes() {
        assert_eq!(
            ipv4_scope(Ipv4Addr::new(192, 0, 2, 1)),
            Scope::Documentation
        );
        assert_eq!(ipv4_scope(Ipv4Addr::new(10, 1, 2, 3)), Scope::Private);
        assert_eq!(ipv4_scope(Ipv4Addr::new(8, 8, 8, 8)), Scope::Public);
        assert_eq!(
            ipv6_scope("2001:db8::1".parse().unwrap()),
            Scope::Documentation
        );
        assert_eq!(ipv6_scope("fe80::1".parse().unwrap()), Scope::LinkLocal);
        assert_eq!(domain_scope("c2.example.net"), Scope::Documentation);
        assert_eq!(domain_scope("examplecom.net"), Scope::Public);
    }

    #[test]
    fn wallets() {
        assert!(is_bitcoin_base58("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"));
        assert!(!is_bitcoin_base58("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb"));
        assert!(is_bitcoin_bech32(
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        ));
        assert!(!is_bitcoin_bech32(
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"
        ));
    }

    #[test]
    fn monero_checksums() {
        let good = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A";
        assert!(is_monero(good));
        let bad = format!("{}B", &good[..94]);
        assert!(!is_monero(&bad));
        assert!(!is_monero(&good[..94]));
        assert!(
            monero_base58_decode(b"zzzzzzzzzzz").is_none(),
            "block overflows 8 bytes"
        );
    }

    /// The encoder the extract bench's log generator uses (`benches/extract/mixed_log.rs`),
    /// checked here against the decoder.
    fn monero_encode(raw: &[u8]) -> String {
        const B58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        const ENCODED: [usize; 9] = [0, 2, 3, 5, 6, 7, 9, 10, 11];
        let mut out = String::new();
        for block in raw.chunks(8) {
            let mut value = block.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
            let mut chars = vec![b'1'; ENCODED[block.len()]];
            for c in chars.iter_mut().rev() {
                *c = B58[(value % 58) as usize];
                value /= 58;
            }
            out.extend(chars.iter().map(|&c| char::from(c)));
        }
        out
    }

    #[test]
    fn monero_round_trip() {
        for seed in 0u8..20 {
            let mut raw = vec![18u8];
            raw.extend((0..64u8).map(|i| i.wrapping_mul(37).wrapping_add(seed)));
            let check = sha3::Keccak256::digest(&raw);
            raw.extend_from_slice(&check[..4]);
            let addr = monero_encode(&raw);
            assert_eq!(addr.len(), 95);
            assert!(is_monero(&addr), "{addr}");
            assert_eq!(monero_base58_decode(addr.as_bytes()), Some(raw));
        }
    }

    #[test]
    fn certificate_urls() {
        assert!(is_certificate_url("http://crl3.example.com/ca.crl"));
        assert!(is_certificate_url("http://ocsp.example.com"));
        assert!(is_certificate_url("http://pki.example.com/ocsp/x"));
        assert!(is_certificate_url("http://cacerts.example.com/CA.CRT"));
        assert!(!is_certificate_url("http://example.com/a.crl.zip"));
        assert!(!is_certificate_url("http://api.example.com/v1"));
    }

    #[test]
    fn digests() {
        assert!(is_plausible_digest(b"d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!is_plausible_digest(b"D41d8cd98f00b204e9800998ecf8427e"));
        assert!(!is_plausible_digest(b"00000000000000000000000000000000"));
        assert!(!is_plausible_digest(b"12345678901234567890123456789012"));
        // identifiers padded with zeros (SDL game-controller GUIDs), curve constants: one
        // digit over two fifths
        assert!(!is_plausible_digest(b"03000000341a00000108000000000000"));
        assert!(!is_plausible_digest(
            b"ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"
        ));
        // twelve of 32 is still a digest's
        assert!(is_plausible_digest(b"000000000000d41d8cd98f12b234e9a5"));
    }

    /// The rule as written, a branch per byte: the table-driven version must agree.
    fn plausible_digest_by_branches(hex: &[u8]) -> bool {
        if hex.len() > 255 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return false;
        }
        let upper = hex.iter().any(u8::is_ascii_uppercase);
        let lower = hex.iter().any(u8::is_ascii_lowercase);
        let mut counts = [0usize; 16];
        for &b in hex {
            counts[(b as char).to_digit(16).unwrap_or(0) as usize] += 1;
        }
        let distinct = counts.iter().filter(|&&c| c > 0).count();
        let most = counts.iter().copied().max().unwrap_or(0);
        upper != lower && distinct >= 6 && most * 5 <= hex.len() * 2
    }

    #[test]
    fn digests_by_table_agree_with_the_rule_as_written() {
        // runs of every length up to 70 over alphabets that hit each branch: one case, mixed
        // case, few digits, a byte next to the hex ranges
        let alphabets: [&[u8]; 6] = [
            b"0123456789abcdef",
            b"0123456789ABCDEF",
            b"0123456789abcdefABCDEF",
            b"0123456789",
            b"00000000af",
            b"0123456789abcdef/:@G`g",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let (mut agreed, mut accepted) = (0, 0);
        for alphabet in alphabets {
            for len in 0..=70 {
                for _ in 0..40 {
                    let run: Vec<u8> = (0..len)
                        .map(|_| {
                            state ^= state << 13;
                            state ^= state >> 7;
                            state ^= state << 17;
                            alphabet[(state % alphabet.len() as u64) as usize]
                        })
                        .collect();
                    let expected = plausible_digest_by_branches(&run);
                    assert_eq!(is_plausible_digest(&run), expected, "{run:?}");
                    agreed += 1;
                    accepted += usize::from(expected);
                }
            }
        }
        // both answers were asked for many times
        assert!(
            accepted > 1000 && agreed - accepted > 1000,
            "{accepted} of {agreed}"
        );
        assert!(!is_plausible_digest(&[b'a'; 300]));
    }
}
