//! Junk IOC classes from binaries: Go symbols are not domains in a Go binary, X.509 object
//! identifiers are not IPv4 addresses, and real indicators next to them are still found
//! (hand-built PE files with the text in `.rdata`).

use super::robustness::{put16, put32};
use spoor::ioc::IocKind;
use spoor::sample::{triage, Triage};

/// A PE32 with one initialised-data section `.rdata` holding `body`.
fn pe_with_rdata(body: &[u8]) -> Vec<u8> {
    pe_with_rdata_as(body, false)
}

/// A PE32 (or, with `plus`, a PE32+ for x64) with one initialised-data section `.rdata`
/// holding `body`.
pub(crate) fn pe_with_rdata_as(body: &[u8], plus: bool) -> Vec<u8> {
    const RAW: usize = 0x200;
    const RVA: u32 = 0x1000;
    // The optional header's size and the fields that differ between PE32 and PE32+.
    let (machine, opt_size, characteristics, magic) = if plus {
        (0x8664, 0xf0, 0x0022, 0x20b)
    } else {
        (0x14c, 0xe0, 0x0102, 0x10b)
    };
    let size = body.len().next_multiple_of(0x200);
    let mut d = vec![0u8; RAW + size];
    d[..2].copy_from_slice(b"MZ");
    put32(&mut d, 0x3c, 0x40);
    d[0x40..0x44].copy_from_slice(b"PE\0\0");
    put16(&mut d, 0x44, machine);
    put16(&mut d, 0x46, 1);
    put16(&mut d, 0x54, opt_size);
    put16(&mut d, 0x56, characteristics);
    let opt = 0x58;
    put16(&mut d, opt, magic);
    put32(&mut d, opt + 16, RVA);
    if plus {
        put32(&mut d, opt + 24, 0x4000_0000); // image base, low half of the u64
    } else {
        put32(&mut d, opt + 28, 0x40_0000);
    }
    put32(&mut d, opt + 32, 0x1000);
    put32(&mut d, opt + 36, 0x200);
    let os = if plus { 6 } else { 4 };
    put16(&mut d, opt + 40, os);
    put16(&mut d, opt + 48, os);
    put32(&mut d, opt + 56, RVA + size.next_multiple_of(0x1000) as u32);
    put32(&mut d, opt + 60, RAW as u32);
    put16(&mut d, opt + 68, 3);
    // NumberOfRvaAndSizes
    put32(&mut d, opt + if plus { 108 } else { 92 }, 16);
    let sec = opt + usize::from(opt_size);
    d[sec..sec + 6].copy_from_slice(b".rdata");
    put32(&mut d, sec + 8, size as u32);
    put32(&mut d, sec + 12, RVA);
    put32(&mut d, sec + 16, size as u32);
    put32(&mut d, sec + 20, RAW as u32);
    put32(&mut d, sec + 36, 0x4000_0040);
    d[RAW..RAW + body.len()].copy_from_slice(body);
    d
}

/// A Go function-name table as the linker writes it: NUL-separated symbols.
const GO_SYMBOLS: &[&str] = &[
    "runtime.gopark",
    "reflect.call",
    "main.main",
    "time.Now",
    "time.Time.Date",
    "runtime.pMask.read",
    "runtime.srcFunc.name",
    "go.shape.int",
    "go.shape.map",
    "time.zone",
    "sync.(*Once).doSlow",
    "internal/singleflight.call",
    "net/http.(*Client).Do",
    "runtime.typePointers.next",
];

const REAL: &[&str] = &[
    "update.example.com",
    "time.example.net",
    "telemetry.example.org",
];

fn go_binary(go: bool) -> Triage {
    let mut body = Vec::new();
    if go {
        body.extend_from_slice(b"\xff Go build ID: \"Zk3s/abc/def/ghi\"\n \xff\0");
        body.extend_from_slice(b"runtime.goexit\0runtime.gopanic\0");
    }
    for s in GO_SYMBOLS {
        body.extend_from_slice(s.as_bytes());
        body.push(0);
    }
    body.extend_from_slice(b"\0\0\0\0");
    for s in REAL {
        body.extend_from_slice(s.as_bytes());
        body.push(0);
    }
    // A host named by a URL is kept even with a package name first: `go.example.dev`.
    body.extend_from_slice(b"https://go.example.dev/fetch\0");
    triage("go-shaped.exe", &pe_with_rdata(&body))
}

fn of_kind(t: &Triage, kind: IocKind) -> Vec<&str> {
    t.iocs
        .iter()
        .filter(|i| i.kind == kind)
        .map(|i| i.value.as_str())
        .collect()
}

#[test]
fn go_symbols_are_not_domains_in_a_go_binary() {
    let t = go_binary(true);
    assert!(
        t.toolchains.iter().any(|x| x.name == "go"),
        "{:?}",
        t.toolchains
    );
    let domains = of_kind(&t, IocKind::Domain);
    for junk in [
        "reflect.call",
        "time.now",
        "time.time.date",
        "runtime.pmask.read",
        "runtime.srcfunc.name",
        "go.shape.int",
        "go.shape.map",
        "time.zone",
        "singleflight.call",
        "runtime.typepointers.next",
    ] {
        assert!(!domains.contains(&junk), "{junk} in {domains:?}");
    }
    for real in REAL {
        assert!(domains.contains(real), "{real} missing from {domains:?}");
    }
    assert!(domains.contains(&"go.example.dev"), "{domains:?}");
}

/// The same table in a file that is not a Go binary: the filter is the toolchain's, so these
/// stay as the IOC engine finds them (here: some of them are taken for domains).
#[test]
fn the_go_filter_needs_the_go_toolchain() {
    let t = go_binary(false);
    assert!(t.toolchains.iter().all(|x| x.name != "go"));
    let domains = of_kind(&t, IocKind::Domain);
    assert!(
        ["time.now", "go.shape.int", "reflect.call", "time.zone"]
            .iter()
            .any(|d| domains.contains(d)),
        "{domains:?}"
    );
    for real in REAL {
        assert!(domains.contains(real), "{real} missing from {domains:?}");
    }
}

/// Object identifiers as a certificate or crypto library lists them in `.rdata`, outside any
/// certificate table: none is an IPv4 address; a real address next to them is.
#[test]
fn oids_in_rdata_are_not_addresses() {
    let oids = [
        "2.5.4.3",
        "2.5.4.10",
        "2.5.29.14",
        "2.5.29.19",
        "2.5.29.31",
        "2.5.29.32.0",
        "1.3.6.1.5.5.7.3.1",
        "1.3.6.1.4.1.311.10.3.3",
        "2.16.840.1.101.3.4.2.1",
        "2.23.140.1.2.1",
        "1.3.14.3.2.26",
        "1.2.840.113549.1.1.11",
        // RFC 8410 curves, as OpenSSL names them ("X25519:1.3.101.110")
        "1.3.101.110",
        "1.3.101.113",
    ];
    let mut body = Vec::new();
    for o in oids {
        body.extend_from_slice(o.as_bytes());
        body.push(0);
    }
    body.extend_from_slice(b"connect 198.51.100.23 port 443\0");
    let t = triage("oids.exe", &pe_with_rdata(&body));
    let ips = of_kind(&t, IocKind::Ipv4);
    assert_eq!(ips, ["198.51.100.23"], "{ips:?}");
}
