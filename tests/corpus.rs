//! Checks of the test corpus under `corpus/` (issue 3): the samples parse as what their ground truth
//! says, carry the indicators it lists, hash to the recorded values, the benign set and the logs are
//! complete, the corpus stays small, and `corpus/build.sh` reproduces the committed binaries bit for
//! bit when the cross compilers are installed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use goblin::mach::{Mach, SingleArch};
use goblin::Object;
use serde_json::Value;
use sha2::{Digest, Sha256};

const MAX_CORPUS_BYTES: u64 = 15 * 1024 * 1024;
const MIN_BENIGN_FILES: usize = 40;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn corpus() -> PathBuf {
    root().join("corpus")
}

pub(crate) fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn sample_docs() -> Vec<Value> {
    let docs: Vec<Value> = json_files(&corpus().join("expected/samples"))
        .iter()
        .map(|p| read_json(p))
        .collect();
    assert!(
        !docs.is_empty(),
        "no ground truth under corpus/expected/samples"
    );
    docs
}

fn log_docs() -> Vec<Value> {
    json_files(&corpus().join("expected/logs"))
        .iter()
        .map(|p| read_json(p))
        .collect()
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing string field {key:?} in {v}"))
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn repo_file(path: &str) -> Vec<u8> {
    let p = root().join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

pub(crate) fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Present in `data` in the given encoding ("ascii"/"utf8" or "utf16le"); any of them when `None`.
fn present(data: &[u8], text: &str, encoding: Option<&str>) -> bool {
    match encoding {
        Some("utf16le") => contains(data, &utf16le(text)),
        Some("ascii") | Some("utf8") => contains(data, text.as_bytes()),
        _ => contains(data, text.as_bytes()) || contains(data, &utf16le(text)),
    }
}

pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 (RFC 1321), only to check the md5 values recorded in the ground truth.
pub(crate) fn md5_hex(data: &[u8]) -> String {
    const S: [u32; 64] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5,
        9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10,
        15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];
    let k: Vec<u32> = (0..64)
        .map(|i| ((i as f64 + 1.0).sin().abs() * 4294967296.0) as u32)
        .collect();
    let (mut a0, mut b0, mut c0, mut d0) =
        (0x67452301u32, 0xefcdab89u32, 0x98badcfeu32, 0x10325476u32);
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_le_bytes());
    for chunk in msg.chunks(64) {
        let m: Vec<u32> = chunk
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let (mut a, mut b, mut c, mut d) = (a0, b0, c0, d0);
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        a0 = a0.wrapping_add(a);
        b0 = b0.wrapping_add(b);
        c0 = c0.wrapping_add(c);
        d0 = d0.wrapping_add(d);
    }
    hex(&[a0, b0, c0, d0]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect::<Vec<u8>>())
}

#[test]
fn md5_matches_rfc1321_vectors() {
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        md5_hex(
            b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
        ),
        "57edf4a22be3c955ac49da2e2107b67a"
    );
}

fn check_hashes(doc: &Value, data: &[u8], what: &str) {
    let h = &doc["hashes"];
    assert_eq!(
        s(h, "sha256"),
        sha256_hex(data),
        "{what}: sha256 differs from ground truth"
    );
    if h.get("md5").is_some() {
        assert_eq!(
            s(h, "md5"),
            md5_hex(data),
            "{what}: md5 differs from ground truth"
        );
    }
    if let Some(size) = h.get("size").and_then(Value::as_u64) {
        assert_eq!(size, data.len() as u64, "{what}: size differs");
    }
}

// ----------------------------------------------------------------------------------------------
// What goblin sees in a binary.

#[derive(Debug, Default)]
struct Facts {
    format: &'static str,
    /// architecture names as the ground truth spells them; one per slice of a universal binary
    arches: Vec<&'static str>,
    bitness: u32,
    kind: &'static str,
    /// PE: "dll!function" lower-cased dll; ELF/Mach-O: imported symbol names
    imports: BTreeSet<String>,
}

fn pe_machine(m: u16) -> &'static str {
    match m {
        0x8664 => "x86_64",
        0x14c => "x86",
        0xaa64 => "aarch64",
        _ => "other",
    }
}

fn macho_cpu(cpu: u32) -> &'static str {
    match cpu {
        0x0100_0007 => "x86_64",
        0x0100_000c => "arm64",
        7 => "x86",
        _ => "other",
    }
}

fn macho_facts(m: &goblin::mach::MachO, facts: &mut Facts) {
    facts.arches.push(macho_cpu(m.header.cputype()));
    facts.bitness = if m.is_64 { 64 } else { 32 };
    facts.kind = match m.header.filetype {
        goblin::mach::header::MH_EXECUTE => "exe",
        goblin::mach::header::MH_DYLIB => "dylib",
        _ => "other",
    };
    for imp in m.imports().expect("Mach-O imports") {
        facts.imports.insert(imp.name.to_string());
    }
}

fn facts(data: &[u8], what: &str) -> Facts {
    let obj = Object::parse(data).unwrap_or_else(|e| panic!("{what}: goblin cannot parse it: {e}"));
    let mut f = Facts::default();
    match obj {
        Object::PE(pe) => {
            f.format = "pe";
            f.arches.push(pe_machine(pe.header.coff_header.machine));
            f.bitness = if pe.is_64 { 64 } else { 32 };
            f.kind = if pe.is_lib { "dll" } else { "exe" };
            for imp in &pe.imports {
                f.imports
                    .insert(format!("{}!{}", imp.dll.to_ascii_lowercase(), imp.name));
            }
        }
        Object::Elf(elf) => {
            f.format = "elf";
            f.arches.push(match elf.header.e_machine {
                goblin::elf::header::EM_X86_64 => "x86_64",
                goblin::elf::header::EM_AARCH64 => "aarch64",
                goblin::elf::header::EM_386 => "x86",
                _ => "other",
            });
            f.bitness = if elf.is_64 { 64 } else { 32 };
            f.kind = match (elf.header.e_type, elf.interpreter.is_some()) {
                (goblin::elf::header::ET_EXEC, _) | (goblin::elf::header::ET_DYN, true) => "exe",
                (goblin::elf::header::ET_DYN, false) => "so",
                _ => "other",
            };
            for sym in elf.dynsyms.iter() {
                if sym.is_import() {
                    if let Some(name) = elf.dynstrtab.get_at(sym.st_name) {
                        f.imports.insert(name.to_string());
                    }
                }
            }
        }
        Object::Mach(Mach::Binary(m)) => {
            f.format = "macho";
            macho_facts(&m, &mut f);
        }
        Object::Mach(Mach::Fat(fat)) => {
            f.format = "macho";
            let arches = fat.arches().expect("fat arches");
            for i in 0..arches.len() {
                match fat.get(i).expect("fat slice") {
                    SingleArch::MachO(m) => macho_facts(&m, &mut f),
                    SingleArch::Archive(_) => panic!("{what}: archive slice"),
                }
            }
            for (a, arch) in arches.iter().zip(f.arches.clone()) {
                assert_eq!(
                    macho_cpu(a.cputype),
                    arch,
                    "{what}: fat header and slice disagree"
                );
            }
        }
        other => panic!("{what}: not PE/ELF/Mach-O but {other:?}"),
    }
    f
}

// ----------------------------------------------------------------------------------------------
// Samples

#[test]
fn samples_parse_as_their_ground_truth_says() {
    for doc in sample_docs() {
        let path = s(&doc, "path");
        let data = repo_file(path);
        let f = facts(&data, path);
        assert_eq!(f.format, s(&doc, "format"), "{path}: format");
        let arch = s(&doc, "arch");
        if arch == "universal" {
            let slices: Vec<&str> = arr(&doc, "slices")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(
                slices.len() >= 2,
                "{path}: a universal binary lists its slices"
            );
            assert_eq!(f.arches, slices, "{path}: slices");
        } else {
            assert_eq!(f.arches, vec![arch], "{path}: arch");
        }
        assert_eq!(
            u64::from(f.bitness),
            doc["bitness"].as_u64().unwrap_or(0),
            "{path}: bitness"
        );
        assert_eq!(f.kind, s(&doc, "kind"), "{path}: kind");
    }
}

#[test]
fn sample_hashes_match_ground_truth() {
    for doc in sample_docs() {
        let path = s(&doc, "path");
        check_hashes(&doc, &repo_file(path), path);
    }
}

#[test]
fn sample_iocs_are_in_the_sample_bytes() {
    let mut checked = 0;
    for doc in sample_docs() {
        let path = s(&doc, "path");
        let data = repo_file(path);
        let iocs = doc["iocs"].as_object().expect("iocs object");
        for (group, items) in iocs {
            for ioc in items.as_array().expect("ioc list") {
                let raw = ioc
                    .get("raw")
                    .and_then(Value::as_str)
                    .unwrap_or_else(|| s(ioc, "value"));
                let enc = ioc.get("encoding").and_then(Value::as_str);
                assert!(
                    present(&data, raw, enc),
                    "{path}: {group} indicator {raw:?} ({enc:?}) is not in the file"
                );
                checked += 1;
            }
        }
        // indicators inside an encrypted payload must really be hidden
        for ioc in arr(&doc, "encrypted_payload_iocs") {
            let raw = ioc
                .get("raw")
                .and_then(Value::as_str)
                .unwrap_or_else(|| s(ioc, "value"));
            assert!(
                !present(&data, raw, None),
                "{path}: {raw:?} should only exist inside the encrypted payload"
            );
        }
    }
    assert!(checked > 200, "only {checked} indicators checked");
}

#[test]
fn technique_evidence_is_in_the_samples() {
    for doc in sample_docs() {
        let path = s(&doc, "path");
        let data = repo_file(path);
        let f = facts(&data, path);
        let techniques = arr(&doc, "techniques");
        assert!(!techniques.is_empty(), "{path}: no ATT&CK techniques");
        for t in techniques {
            let id = s(t, "id");
            assert!(
                id.starts_with('T') && id.len() >= 5,
                "{path}: bad technique id {id}"
            );
            let evidence = arr(t, "evidence");
            assert!(!evidence.is_empty(), "{path}: {id} has no evidence");
            for ev in evidence {
                let value = s(ev, "value");
                match s(ev, "kind") {
                    "string" => assert!(
                        present(&data, value, ev.get("encoding").and_then(Value::as_str)),
                        "{path}: {id}: string evidence {value:?} missing"
                    ),
                    "import" => {
                        let (dll, func) = value.split_once('!').expect("dll!function");
                        let want = format!("{}!{func}", dll.to_ascii_lowercase());
                        assert!(
                            f.imports.contains(&want),
                            "{path}: {id}: import {value} missing; imports: {:?}",
                            f.imports
                        );
                    }
                    "dynsym" => assert!(
                        f.imports.contains(value),
                        "{path}: {id}: imported symbol {value} missing; imports: {:?}",
                        f.imports
                    ),
                    "resource" => assert!(
                        present(&data, value, Some("utf16le")),
                        "{path}: {id}: resource name {value} missing"
                    ),
                    other => panic!("{path}: {id}: unknown evidence kind {other}"),
                }
            }
        }
        for absent in arr(&doc, "absent_imports").iter().filter_map(Value::as_str) {
            assert!(
                !f.imports.iter().any(|i| i.ends_with(&format!("!{absent}"))),
                "{path}: {absent} must be resolved at run time, not imported"
            );
        }
    }
}

#[test]
fn families_cover_the_issue() {
    let mut variants: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut shapes = BTreeSet::new();
    for doc in sample_docs() {
        variants
            .entry(s(&doc, "family").to_string())
            .or_default()
            .insert(s(&doc, "variant").to_string());
        shapes.insert(format!(
            "{}/{}/{}",
            s(&doc, "format"),
            s(&doc, "arch"),
            s(&doc, "kind")
        ));
    }
    assert!(variants.len() >= 7, "families: {variants:?}");
    for (family, vs) in &variants {
        assert!(vs.len() >= 3, "{family} has only {vs:?}");
    }
    for needed in [
        "pe/x86_64/exe",
        "pe/x86/exe",
        "pe/x86_64/dll",
        "pe/x86/dll",
        "elf/x86_64/exe",
        "macho/universal/exe",
    ] {
        assert!(
            shapes.contains(needed),
            "no {needed} sample; have {shapes:?}"
        );
    }
}

#[test]
fn labels_cover_every_file() {
    let labels = read_json(&corpus().join("expected/labels.json"));
    let labels = labels.as_object().expect("labels object");
    for doc in sample_docs() {
        assert_eq!(
            labels.get(s(&doc, "path")).and_then(Value::as_str),
            Some(s(&doc, "family")),
            "labels.json disagrees for {}",
            s(&doc, "path")
        );
    }
    for sub in ["malicious", "benign"] {
        for e in walkdir::WalkDir::new(corpus().join(sub))
            .into_iter()
            .filter_map(Result::ok)
        {
            if !e.file_type().is_file() || is_benign_doc(e.path()) {
                continue;
            }
            let rel = e.path().strip_prefix(root()).expect("under root");
            let rel = rel.to_string_lossy().replace('\\', "/");
            let label = labels.get(&rel).and_then(Value::as_str);
            assert!(
                label.is_some(),
                "{rel} has no label in corpus/expected/labels.json"
            );
            if sub == "benign" {
                assert_eq!(label, Some("benign"), "{rel}");
            }
        }
    }
}

// ----------------------------------------------------------------------------------------------
// Benign set

fn is_benign_doc(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    name.ends_with(".md") || name.ends_with(".txt")
}

#[test]
fn benign_set_is_complete_and_parses() {
    let manifest = read_json(&corpus().join("expected/benign.json"));
    let files = arr(&manifest, "files");
    assert!(
        files.len() >= MIN_BENIGN_FILES,
        "benign set has {} files, needs {MIN_BENIGN_FILES}",
        files.len()
    );
    let mut formats = BTreeSet::new();
    for f in files {
        let path = s(f, "path");
        let data = repo_file(path);
        check_hashes(&serde_json::json!({ "hashes": f }), &data, path);
        let facts = facts(&data, path);
        assert_eq!(facts.format, s(f, "format"), "{path}: format");
        formats.insert(facts.format);
        assert!(!s(f, "license").is_empty(), "{path}: licence not recorded");
        assert!(!s(f, "origin").is_empty(), "{path}: origin not recorded");
    }
    assert!(
        formats.contains("pe") && formats.contains("elf"),
        "benign formats: {formats:?}"
    );
}

// ----------------------------------------------------------------------------------------------
// Logs

#[test]
fn logs_match_their_ground_truth() {
    let docs = log_docs();
    assert!(
        docs.len() >= 7,
        "expected ground truth for at least 7 logs, found {}",
        docs.len()
    );
    let mut formats = BTreeSet::new();
    for doc in docs {
        let path = s(&doc, "path");
        let data = repo_file(path);
        check_hashes(&doc, &data, path);
        formats.insert(s(&doc, "format").to_string());
        for sample in arr(&doc, "samples").iter().filter_map(Value::as_str) {
            assert!(
                root().join(sample).is_file(),
                "{path}: names missing sample {sample}"
            );
        }
        let events = arr(&doc, "events");
        assert!(!events.is_empty(), "{path}: no events");
        if let Some(n) = doc.get("event_count").and_then(Value::as_u64) {
            assert_eq!(n as usize, events.len(), "{path}: event_count");
        }
        for ev in events {
            for m in arr(ev, "match").iter().filter_map(Value::as_str) {
                assert!(present(&data, m, None), "{path}: event text {m:?} missing");
            }
        }
        if let Some(iocs) = doc.get("iocs").and_then(Value::as_object) {
            for (group, items) in iocs {
                for ioc in items.as_array().expect("ioc list") {
                    let raw = ioc
                        .get("raw")
                        .and_then(Value::as_str)
                        .unwrap_or_else(|| s(ioc, "value"));
                    assert!(
                        present(&data, raw, None),
                        "{path}: {group} indicator {raw:?} missing"
                    );
                }
            }
        }
    }
    for needed in [
        "cape_report_json",
        "sysmon_xml",
        "sysmon_json",
        "procmon_csv",
        "regshot_txt",
        "pcap",
        "analyst_report_txt",
    ] {
        assert!(
            formats.contains(needed),
            "no {needed} log; have {formats:?}"
        );
    }
}

// ----------------------------------------------------------------------------------------------
// Indicators stay in documentation ranges

fn documentation_host(kind: &str, value: &str) -> bool {
    match kind {
        "ipv4" => {
            let ip: std::net::Ipv4Addr = value.parse().expect("ipv4 value");
            let o = ip.octets();
            matches!(
                (o[0], o[1], o[2]),
                (192, 0, 2) | (198, 51, 100) | (203, 0, 113)
            )
        }
        "ipv6" => {
            let ip: std::net::Ipv6Addr = value.parse().expect("ipv6 value");
            ip.segments()[0] == 0x2001 && ip.segments()[1] == 0x0db8
        }
        "domain" => ["example.com", "example.net", "example.org"]
            .iter()
            .any(|d| value == *d || value.ends_with(&format!(".{d}"))),
        _ => true,
    }
}

#[test]
fn network_indicators_use_documentation_ranges() {
    let mut n = 0;
    for doc in sample_docs().into_iter().chain(log_docs()) {
        let path = s(&doc, "path").to_string();
        let mut all: Vec<Value> = Vec::new();
        if let Some(groups) = doc.get("iocs").and_then(Value::as_object) {
            for items in groups.values() {
                all.extend(items.as_array().cloned().unwrap_or_default());
            }
        }
        all.extend(arr(&doc, "encrypted_payload_iocs").iter().cloned());
        for ioc in all {
            let kind = s(&ioc, "type");
            let value = s(&ioc, "value");
            if matches!(kind, "ipv4" | "ipv6" | "domain") {
                assert!(
                    documentation_host(kind, value),
                    "{path}: {kind} {value} outside documentation ranges"
                );
                n += 1;
            }
            if kind == "domain" {
                assert_eq!(
                    value,
                    value.to_ascii_lowercase(),
                    "{path}: domains are lower case"
                );
            }
        }
    }
    assert!(n > 30, "only {n} network indicators");
}

// ----------------------------------------------------------------------------------------------
// Size and hygiene

fn corpus_files() -> Vec<walkdir::DirEntry> {
    walkdir::WalkDir::new(corpus())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .collect()
}

#[test]
fn corpus_is_smaller_than_15_mb() {
    let total: u64 = corpus_files()
        .iter()
        .map(|e| e.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    assert!(total < MAX_CORPUS_BYTES, "corpus is {total} bytes");
}

#[test]
fn no_path_of_this_machine_is_embedded() {
    let here = root().to_string_lossy().to_string();
    for e in corpus_files() {
        let data = std::fs::read(e.path()).expect("read");
        assert!(
            !contains(&data, here.as_bytes()),
            "{} embeds the checkout path {here}",
            e.path().display()
        );
    }
}

// ----------------------------------------------------------------------------------------------
// Reproducibility

const BUILD_TOOLS: &[&[&str]] = &[
    &["x86_64-w64-mingw32-gcc"],
    &["i686-w64-mingw32-gcc"],
    &["x86_64-w64-mingw32-windres"],
    &["i686-w64-mingw32-windres"],
    &["gcc"],
    &["clang", "clang-14"],
    &["ld.lld", "ld.lld-14"],
    &["ld64.lld", "ld64.lld-14"],
    &["llvm-lipo", "llvm-lipo-14"],
    &["osslsigncode"],
];

/// Whether `tool` is an executable file in a folder of `PATH`.
pub(crate) fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// Whether `corpus/build.sh` can run here; `false` (with a note naming `what` is skipped) on a
/// partial cross toolchain, a failure when CI requires the build (`SPOOR_REQUIRE_CORPUS_BUILD`).
pub(crate) fn cross_toolchain_ready(what: &str) -> bool {
    if !on_path("x86_64-w64-mingw32-gcc") {
        assert!(
            std::env::var_os("SPOOR_REQUIRE_CORPUS_BUILD").is_none(),
            "x86_64-w64-mingw32-gcc is not on PATH and SPOOR_REQUIRE_CORPUS_BUILD is set"
        );
        eprintln!("note: x86_64-w64-mingw32-gcc is not on PATH; skipping {what}");
        return false;
    }
    let missing: Vec<&str> = BUILD_TOOLS
        .iter()
        .filter(|alts| !alts.iter().any(|t| on_path(t)))
        .map(|alts| alts[0])
        .collect();
    if !missing.is_empty() {
        // A partial cross toolchain (say, only the 64-bit mingw compiler) is a common analyst
        // set-up: skip with a note, unless CI asks for the check.
        let note = format!(
            "corpus/build.sh needs {missing:?} besides x86_64-w64-mingw32-gcc \
             (apt-get install gcc-mingw-w64-i686 clang lld llvm osslsigncode)"
        );
        assert!(
            std::env::var_os("SPOOR_REQUIRE_CORPUS_BUILD").is_none(),
            "{note}; SPOOR_REQUIRE_CORPUS_BUILD is set"
        );
        eprintln!("note: {note}; skipping {what}");
        return false;
    }
    true
}

#[test]
fn build_sh_reproduces_the_committed_binaries() {
    if !cross_toolchain_ready("the corpus rebuild check") {
        return;
    }
    let out = tempfile::tempdir().expect("tempdir");
    let status = Command::new("sh")
        .arg(corpus().join("build.sh"))
        .arg(out.path())
        .status()
        .expect("run corpus/build.sh");
    assert!(status.success(), "corpus/build.sh failed: {status}");

    let committed_tc = std::fs::read_to_string(corpus().join("toolchain.txt")).unwrap_or_default();
    let built_tc = std::fs::read_to_string(out.path().join("toolchain.txt")).unwrap_or_default();
    if committed_tc != built_tc {
        eprintln!(
            "note: this toolchain differs from the one that built the corpus, so outputs are not \
             compared byte for byte.\ncommitted:\n{committed_tc}\nhere:\n{built_tc}"
        );
        return;
    }
    let mut compared = 0;
    let mut differ = Vec::new();
    for e in walkdir::WalkDir::new(out.path())
        .into_iter()
        .filter_map(Result::ok)
    {
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e.path().strip_prefix(out.path()).expect("under out");
        let built = std::fs::read(e.path()).expect("read built");
        let committed = std::fs::read(corpus().join(rel))
            .unwrap_or_else(|_| panic!("build.sh made {} which is not committed", rel.display()));
        if built != committed {
            differ.push(rel.display().to_string());
        }
        compared += 1;
    }
    assert!(
        differ.is_empty(),
        "rebuilt files differ from the committed ones: {differ:?}"
    );
    assert!(compared >= 27, "only {compared} files rebuilt");
    eprintln!("corpus/build.sh reproduced {compared} committed files bit for bit");
}
