//! Bad input never panics or hangs, and never loses what could be read: pathological
//! byte patterns, random garbage, invalid UTF-8/UTF-16, failing readers, and directories
//! with entries that cannot be read.

use spoor::{ExtractOptions, Extractor};
use std::io::{self, Read};
use std::path::Path;
use std::process::Command;

fn extractor() -> Extractor {
    Extractor::new(ExtractOptions {
        threads: 1,
        chunk_size: 64 * 1024,
        ..ExtractOptions::default()
    })
}

/// Deterministic pseudo-random bytes (splitmix64).
fn random_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn pathological_repetitions_finish() {
    // Each of these once made a scanner loop quadratic or worse somewhere.
    let patterns: &[&[u8]] = &[
        b".",
        b"a.",
        b":",
        b"a:",
        b"\\",
        b"\\a",
        b"\\\\a",
        b"a[.]",
        b"a@",
        b"%a%\\",
        b"/etc",
        b"http://a.com/",
        b"a1",
        b"C:\\a b",
        b"C:\\a ",
        b"a dot ",
        b"(",
        b"\0a",
        b"HKLM\\a b\\",
        b"1.",
        b"::",
        b"1:",
        b"[",
        b"hxxp[:]//",
        b"0",
        b"f",
        b"a-",
        b"@a.com ",
    ];
    let ex = extractor();
    for p in patterns {
        let data: Vec<u8> = p.iter().copied().cycle().take(1 << 18).collect();
        let _ = ex.extract_bytes("pattern", &data);
    }
}

#[test]
fn random_garbage_and_broken_text() {
    let ex = extractor();
    for seed in 0..4 {
        let mut data = random_bytes(1 << 18, seed);
        // sprinkle indicator fragments so the structured parsers run on garbage too
        for (i, frag) in [
            &b"http://"[..],
            b"[.]",
            b"HKLM\\",
            b"C:\\",
            b"@",
            b"::",
            b"%APPDATA%\\",
        ]
        .iter()
        .enumerate()
        {
            let at = (i * 7919 * (seed as usize + 1)) % (data.len() - 16);
            data[at..at + frag.len()].copy_from_slice(frag);
        }
        let _ = ex.extract_bytes("garbage", &data);
    }
    // invalid UTF-8 around an indicator, and UTF-16 with an odd trailing byte
    let iocs = ex.extract_bytes("utf8", b"\xff\xfe\xc3\x28 see 192.0.2.1 \xe2\x82 end");
    assert!(iocs.iter().any(|i| i.value == "192.0.2.1"));
    let mut utf16: Vec<u8> = "evil.example.com"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    utf16.push(0xd8);
    let iocs = ex.extract_bytes("utf16", &utf16);
    assert!(iocs.iter().any(|i| i.value == "evil.example.com"));
    assert!(ex.extract_bytes("empty", b"").is_empty());
}

/// A reader that yields some text and then fails.
struct FailingReader {
    data: Vec<u8>,
    pos: usize,
}

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.data.len() {
            return Err(io::Error::other("device went away"));
        }
        let n = buf.len().min(self.data.len() - self.pos).min(1000);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[test]
fn read_error_keeps_what_was_read() {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!("line {i} contacted 198.51.100.{}\n", i % 200));
    }
    let mut reader = FailingReader {
        data: text.into_bytes(),
        pos: 0,
    };
    let ex = extractor();
    let result = ex.extract_reader("flaky", &mut reader);
    assert!(result.had_errors());
    let error = result.sources[0]
        .error
        .clone()
        .expect("the read error is reported");
    assert!(error.message.contains("device went away"), "{error}");
    assert_eq!(error.code, spoor::WarningCode::InputUnreadable);
    assert_eq!(
        result.iocs.len(),
        200,
        "every address read before the error is kept"
    );
}

#[test]
fn size_limit_stops_reading_with_a_warning() {
    let ex = Extractor::new(ExtractOptions {
        threads: 1,
        max_bytes: 100,
        chunk_size: 4096,
        ..ExtractOptions::default()
    });
    let text = "see 192.0.2.1 now\n".repeat(100);
    let result = ex.extract_reader("big", &mut text.as_bytes());
    assert_eq!(result.sources[0].bytes, 100);
    let error = result.sources[0]
        .error
        .clone()
        .expect("the limit is reported");
    assert!(error.message.contains("--max-size"), "{error}");
    assert_eq!(error.code, spoor::WarningCode::SizeLimit);
    assert_eq!(
        result.iocs[0].count, 5,
        "only the first 100 bytes (5 whole lines) were scanned"
    );
}

#[test]
fn unreadable_entries_are_reported_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(root.join("good.txt"), "beacon to c2.example.net\n").expect("write");
    std::os::unix::fs::symlink(root.join("nowhere"), root.join("dangling")).expect("symlink");
    let fifo = root.join("fifo");
    // a FIFO inside a walked directory is skipped, never opened (opening would block)
    let _ = Command::new("mkfifo").arg(&fifo).status();
    std::fs::create_dir(root.join("sub")).expect("mkdir");
    std::fs::write(root.join("sub/empty.bin"), b"").expect("write");
    // A file nobody may read (only effective when the tests do not run as root).
    let locked = root.join("sub/locked.txt");
    std::fs::write(&locked, "203.0.113.9").expect("write");
    let _ = Command::new("chmod").arg("000").arg(&locked).status();

    let out = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["extract", "-f", "text"])
        .arg(root)
        .arg(root.join("dangling"))
        .arg(Path::new("/nonexistent/spoor-test"))
        .output()
        .expect("run spoor");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stdout.contains("domain\tc2.example.net"), "{stdout}");
    assert!(
        stderr.contains("dangling: no such file or directory"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/nonexistent/spoor-test: no such file or directory"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1), "input errors give exit code 1");
}

#[test]
fn macho_bind_count_bomb_is_refused() {
    // Found by the `triage` fuzz target: a bind opcode asking for billions of bindings made
    // the Mach-O parser allocate gigabytes.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/macho-bind-count-oom.bin");
    let data = std::fs::read(path).expect("regression input");
    let report = spoor::sample::triage("bomb", &data);
    let warnings = serde_json::to_string(&report).expect("report serialises");
    assert!(warnings.contains("imports skipped"), "{warnings}");
}

#[test]
fn macho_bind_count_read_past_its_region_is_refused() {
    // Found by the `triage` fuzz target: a "bind N times" opcode at the very end of the
    // bind region, its count read from the bytes after it (as goblin reads it), asked for
    // billions of bindings that the earlier check, reading only inside the region, missed.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/macho-bind-uleb-past-region.bin");
    let data = std::fs::read(path).expect("regression input");
    let report = spoor::sample::triage("bomb", &data);
    let warnings = serde_json::to_string(&report).expect("report serialises");
    assert!(warnings.contains("imports skipped"), "{warnings}");
}

#[test]
fn ipv4_header_longer_than_its_packet_is_skipped() {
    // Found by the `extract` fuzz target (through the pcap reader): an IPv4 header length
    // past the end of a short captured packet panicked in `clamp`.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/pcap-ihl-past-end.bin");
    let data = std::fs::read(path).expect("regression input");
    let _ = extractor().extract_bytes("pcap", &data);
    let (events, report) = {
        let source: std::sync::Arc<str> = std::sync::Arc::from("pcap");
        let mut events = Vec::new();
        let format = spoor::logs::detect(&data);
        let report =
            spoor::logs::read_events(format, &source, &mut &data[..], &mut |e| events.push(e));
        (events, report)
    };
    assert!(report.records >= 1, "{report:?}");
    assert!(events.len() as u64 <= report.records);
}

/// Writes `v` little-endian at `at` (hand-built headers).
pub(crate) fn put16(d: &mut [u8], at: usize, v: u16) {
    d[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

/// Writes `v` little-endian at `at` (hand-built headers).
pub(crate) fn put32(d: &mut [u8], at: usize, v: u32) {
    d[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

/// A PE32 whose one section holds `size` bytes and a resource directory of `count` RCDATA
/// resources, each declared over almost the whole section: resource `i` starts `i` bytes
/// in when `distinct`, else all start at the same byte.
fn overlapping_resources_pe(size: usize, count: usize, distinct: bool) -> Vec<u8> {
    const RAW: usize = 0x200;
    const RVA: u32 = 0x1000;
    let mut d = vec![0u8; RAW + size];
    d[..2].copy_from_slice(b"MZ");
    put32(&mut d, 0x3c, 0x40);
    d[0x40..0x44].copy_from_slice(b"PE\0\0");
    put16(&mut d, 0x44, 0x14c); // i386
    put16(&mut d, 0x46, 1); // one section
    put16(&mut d, 0x54, 0xe0); // optional header size
    put16(&mut d, 0x56, 0x0102);
    let opt = 0x58;
    put16(&mut d, opt, 0x10b); // PE32
    put32(&mut d, opt + 16, RVA); // entry point
    put32(&mut d, opt + 28, 0x40_0000); // image base
    put32(&mut d, opt + 32, 0x1000); // section alignment
    put32(&mut d, opt + 36, 0x200); // file alignment
    put16(&mut d, opt + 40, 4);
    put16(&mut d, opt + 48, 4);
    put32(&mut d, opt + 56, RVA + size.next_multiple_of(0x1000) as u32); // image size
    put32(&mut d, opt + 60, RAW as u32); // headers size
    put16(&mut d, opt + 68, 2); // GUI
    put32(&mut d, opt + 92, 16); // data directories
    let table = 16 + 8 + 16 + 8 * count;
    put32(&mut d, opt + 96 + 16, RVA); // resource directory
    put32(&mut d, opt + 96 + 20, (table + 16 * count) as u32);
    let sec = opt + 0xe0;
    d[sec..sec + 5].copy_from_slice(b".rsrc");
    put32(&mut d, sec + 8, size as u32);
    put32(&mut d, sec + 12, RVA);
    put32(&mut d, sec + 16, size as u32);
    put32(&mut d, sec + 20, RAW as u32);
    put32(&mut d, sec + 36, 0x4000_0040);
    // Root: one type (RCDATA) → a directory of `count` entries, each a data leaf.
    let r = RAW;
    put16(&mut d, r + 14, 1);
    put32(&mut d, r + 16, 10);
    put32(&mut d, r + 20, 0x8000_0000 | 24);
    put16(&mut d, r + 24 + 14, count as u16);
    for i in 0..count {
        let entry = r + 40 + 8 * i;
        let leaf = table + 16 * i;
        put32(&mut d, entry, i as u32 + 1);
        put32(&mut d, entry + 4, leaf as u32);
        let skip = if distinct { i } else { 0 };
        put32(&mut d, r + leaf, RVA + skip as u32);
        put32(&mut d, r + leaf + 4, (size - skip) as u32);
    }
    d
}

#[test]
fn overlapping_resources_do_not_read_the_file_over_and_over() {
    // Found through a slow `triage` fuzz input: thousands of resources declared over the
    // same bytes had their entropy computed one by one, the whole file each time (a crafted
    // 16 MiB PE took 9 s of CPU, a 1 GiB one would take about ten minutes). Shared ranges
    // are now read once, and past four times the file size the entropy is estimated from a
    // sample.
    let shared = spoor::sample::triage("shared", &overlapping_resources_pe(1 << 20, 2000, false));
    let pe = shared.pe.as_ref().expect("parsed as a PE");
    assert_eq!(pe.resources.len(), 2000);
    assert!(pe
        .resources
        .iter()
        .all(|r| r.entropy == pe.resources[0].entropy));
    assert!(
        !shared
            .warnings
            .iter()
            .any(|w| w.message.contains("estimated")),
        "{:?}",
        shared.warnings
    );

    let distinct =
        spoor::sample::triage("distinct", &overlapping_resources_pe(1 << 20, 2000, true));
    let pe = distinct.pe.as_ref().expect("parsed as a PE");
    assert_eq!(pe.resources.len(), 2000);
    let warning = distinct
        .warnings
        .iter()
        .find(|w| w.message.contains("estimated"))
        .unwrap_or_else(|| panic!("no estimation warning: {:?}", distinct.warnings));
    // Four times the 1 MiB file plus 16 MiB: the section and about 19 of the resources are
    // read whole, the other 1,980 or so estimated.
    assert!(warning.message.contains("entropy of 19"), "{warning}");
    assert_eq!(warning.code, spoor::WarningCode::Estimated);
}
