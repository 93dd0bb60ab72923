//! The malformed-input corpus: generated deterministically from corpus samples and from
//! scratch, and fed to the library and to every command. Nothing may panic or hang; every
//! command exits with a documented code (0 all read, 1 partial with a warning) and keeps
//! the output of the inputs it could read.
//!
//! Kinds: truncations at every structure boundary and every 1/32 of a file, bit flips in
//! the headers, headers declaring huge sizes and counts, empty and one-byte files, deeply
//! nested JSON, invalid UTF-8 and UTF-16, a sparse file of several GiB, a FIFO without a
//! writer, a device that never ends, and a symlink loop.

use spoor::sample;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One sample of each format and layout.
const SEEDS: [&str; 6] = [
    "corpus/malicious/ashdrop/ashdrop_v1_x64.exe",
    "corpus/malicious/magpie/magpie_v3_x86.dll",
    "corpus/malicious/burrow/burrow_v1_x86_64",
    "corpus/malicious/burrow/burrow_v2_aarch64",
    "corpus/malicious/orchard/orchard_v2_arm64",
    "corpus/malicious/orchard/orchard_v3_universal",
];

fn put(data: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(slot) = data.get_mut(at..at + bytes.len()) {
        slot.copy_from_slice(bytes);
    }
}

fn u32_le(data: &[u8], at: usize) -> usize {
    data.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .unwrap_or(0)
}

/// Copies of `data` whose headers declare huge sizes and counts.
fn huge_headers(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut variant = |name: &str, patch: &dyn Fn(&mut Vec<u8>)| {
        let mut d = data.to_vec();
        patch(&mut d);
        out.push((name.to_string(), d));
    };
    if data.starts_with(b"MZ") {
        let pe = u32_le(data, 0x3c);
        variant("pe-lfanew-huge", &|d| {
            put(d, 0x3c, &0x7fff_fff0u32.to_le_bytes())
        });
        variant("pe-sections-65535", &|d| {
            put(d, pe + 6, &0xffffu16.to_le_bytes())
        });
        variant("pe-optional-header-huge", &|d| {
            put(d, pe + 20, &0xffffu16.to_le_bytes())
        });
        // Data directories: PE32 at optional header + 96, PE32+ at + 112.
        let optional = pe + 24;
        let dirs = if data.get(optional..optional + 2) == Some(&[0x0b, 0x02]) {
            optional + 112
        } else {
            optional + 96
        };
        for (index, what) in [
            (1, "imports"),
            (2, "resources"),
            (4, "certificates"),
            (9, "tls"),
        ] {
            let at = dirs + index * 8;
            variant(&format!("pe-{what}-size-huge"), &|d| {
                put(d, at + 4, &0xffff_fff0u32.to_le_bytes())
            });
            variant(&format!("pe-{what}-rva-huge"), &|d| {
                put(d, at, &0xffff_fff0u32.to_le_bytes())
            });
        }
    } else if data.starts_with(b"\x7fELF") {
        variant("elf-shnum-65535", &|d| {
            put(d, 0x3c, &0xffffu16.to_le_bytes())
        });
        variant("elf-phnum-65535", &|d| {
            put(d, 0x38, &0xffffu16.to_le_bytes())
        });
        variant("elf-shoff-huge", &|d| put(d, 0x28, &u64::MAX.to_le_bytes()));
        variant("elf-phoff-huge", &|d| {
            put(d, 0x20, &(u64::MAX / 2).to_le_bytes())
        });
        variant("elf-shstrndx-bad", &|d| {
            put(d, 0x3e, &0xfffeu16.to_le_bytes())
        });
        variant("elf-shentsize-1", &|d| put(d, 0x3a, &1u16.to_le_bytes()));
    } else if data.starts_with(&[0xca, 0xfe, 0xba, 0xbe]) {
        variant("fat-nfat-huge", &|d| put(d, 4, &u32::MAX.to_be_bytes()));
        variant("fat-slice-offset-huge", &|d| {
            put(d, 16, &u32::MAX.to_be_bytes())
        });
        variant("fat-slice-size-huge", &|d| {
            put(d, 20, &u32::MAX.to_be_bytes())
        });
    } else {
        variant("macho-ncmds-huge", &|d| put(d, 16, &u32::MAX.to_le_bytes()));
        variant("macho-sizeofcmds-huge", &|d| {
            put(d, 20, &u32::MAX.to_le_bytes())
        });
        variant("macho-first-cmdsize-zero", &|d| {
            put(d, 36, &0u32.to_le_bytes())
        });
        variant("macho-first-cmdsize-huge", &|d| {
            put(d, 36, &u32::MAX.to_le_bytes())
        });
    }
    out
}

/// The malformed variants of one sample: truncations, bit flips, huge headers.
fn variants(name: &str, data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut cuts: Vec<usize> = vec![0, 1, 2, 3, 4, 8, 16, 32, 60, 64, 0x80, 0x100, 0x200, 0x400];
    // Structure boundaries: where each section starts and ends, as triage sees them.
    for s in sample::triage(name, data).sections {
        cuts.push(s.raw_offset as usize);
        cuts.push((s.raw_offset + s.raw_size) as usize);
        cuts.push((s.raw_offset + s.raw_size / 2) as usize);
    }
    cuts.extend((1..32).map(|i| data.len() * i / 32));
    cuts.push(data.len().saturating_sub(1));
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<(String, Vec<u8>)> = cuts
        .into_iter()
        .filter(|&c| c < data.len())
        .map(|c| (format!("truncated-at-{c}"), data[..c].to_vec()))
        .collect();
    // One flipped bit per variant, spread over the first 4 KiB (where the headers are).
    let span = data.len().min(4096);
    for i in 0..64usize {
        let at = (i * 2_654_435_761usize) % span.max(1);
        let mut d = data.to_vec();
        if let Some(b) = d.get_mut(at) {
            *b ^= 1 << (i % 8);
        }
        out.push((format!("bit-{}-flipped-at-{at}", i % 8), d));
    }
    out.extend(huge_headers(data));
    out
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn triage_survives_every_malformed_variant() {
    let mut total = 0;
    let mut silent = Vec::new();
    for seed in SEEDS {
        let data = read(seed);
        for (what, bytes) in variants(seed, &data) {
            let name = format!("{seed}:{what}");
            let t = sample::triage(&name, &bytes);
            assert_eq!(t.size, bytes.len() as u64, "{name}");
            total += 1;
            // A header that declares impossible sizes is reported, not passed over.
            if what.contains("huge") && t.warnings.is_empty() {
                silent.push(name);
            }
        }
    }
    assert!(total > 500, "{total} variants");
    eprintln!("{total} malformed variants triaged; huge headers without a warning: {silent:?}");
}

fn spoor(args: &[&str], inputs: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(args)
        .args(inputs)
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run spoor")
}

fn assert_clean_exit(out: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{what}: exit {:?}: {stderr}",
        out.status.code()
    );
}

/// Writes the malformed corpus (a sample of each kind) into `dir`.
fn write_corpus(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut write = |name: String, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write");
        files.push(path);
    };
    for seed in SEEDS {
        let data = read(seed);
        let base = Path::new(seed)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("sample");
        // Every eighth variant keeps the command-line runs short.
        for (what, bytes) in variants(seed, &data).into_iter().step_by(8) {
            write(format!("{base}.{what}"), &bytes);
        }
    }
    write("empty".into(), b"");
    write("one-byte".into(), b"M");
    write("mz-only".into(), b"MZ");
    write("elf-magic-only".into(), b"\x7fELF");
    write("nested.json".into(), &b"[".repeat(100_000));
    write(
        "nested-objects.json".into(),
        "{\"a\":".repeat(50_000).as_bytes(),
    );
    let mut bad_utf8 = b"see hxxp://bad[.]example.com/\xff\xfe\xc3\x28 and 192.0.2.7\n".to_vec();
    bad_utf8.extend((0..4096u32).map(|i| (0x80 | (i % 64)) as u8));
    write("invalid-utf8.txt".into(), &bad_utf8);
    // UTF-16LE with lone surrogates and an odd length.
    let mut utf16: Vec<u8> = "c2.example.net "
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    utf16.extend_from_slice(&[0x00, 0xd8, 0x41, 0x00, 0x00, 0xdc, 0x7a]);
    write("invalid-utf16.bin".into(), &utf16);
    files
}

#[test]
fn every_command_survives_the_malformed_corpus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = write_corpus(dir.path());
    let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();

    let out = spoor(&["triage", "-f", "json"], &inputs);
    assert_clean_exit(&out, "triage");
    let reports: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("triage JSON even for broken files");
    assert_eq!(
        reports.as_array().map(Vec::len),
        Some(files.len()),
        "one report per file, broken or not"
    );

    let out = spoor(&["extract", "-f", "ndjson"], &[dir.path()]);
    assert_clean_exit(&out, "extract");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("bad.example.com"),
        "invalid UTF-8 around an IOC"
    );
    assert!(
        stdout.contains("c2.example.net"),
        "UTF-16 before lone surrogates"
    );

    let report_dir = dir.path().join("report");
    let mut args = vec!["analyze", "--date", "2026-11-25", "-o"];
    let report_arg = report_dir.to_str().expect("utf-8");
    args.push(report_arg);
    let out = spoor(&args, &[dir.path()]);
    assert_clean_exit(&out, "analyze");
    assert!(report_dir.join("report.html").is_file());
}

#[cfg(unix)]
#[test]
fn endless_and_looping_inputs_end_with_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "beacon 198.51.100.77\n").expect("write");
    let fifo = dir.path().join("fifo");
    let made_fifo = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let looped = dir.path().join("loop");
    std::os::unix::fs::symlink(&looped, &looped).expect("symlink loop");

    let mut inputs: Vec<&Path> = vec![&good, Path::new("/dev/zero"), &looped];
    if made_fifo {
        inputs.push(&fifo);
    }
    for command in [&["extract", "-f", "text"][..], &["triage"][..]] {
        let out = spoor(command, &inputs);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.contains("/dev/zero"), "{command:?}: {stderr}");
        assert!(stderr.contains("symbolic links"), "{command:?}: {stderr}");
        if command[0] == "extract" {
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                stdout.contains("198.51.100.77"),
                "the good file's IOC is kept"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn a_sparse_multi_gib_file_is_bounded_by_the_size_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sparse = dir.path().join("sparse.bin");
    let file = std::fs::File::create(&sparse).expect("create");
    // 3 GiB of holes with an indicator at the start; nothing is written to disk.
    file.set_len(3 << 30).expect("set_len");
    std::os::unix::fs::FileExt::write_at(&file, b"MZ 203.0.113.200 ", 0).expect("write");
    drop(file);

    let out = spoor(
        &["extract", "-f", "text", "--max-size", "4194304"],
        &[&sparse],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--max-size"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("203.0.113.200"));

    let report = dir.path().join("report");
    let out = spoor(
        &[
            "analyze",
            "--max-size",
            "4194304",
            "--date",
            "2026-11-25",
            "-o",
            report.to_str().expect("utf-8"),
        ],
        &[&sparse],
    );
    assert_clean_exit(&out, "analyze on a sparse file");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("over the triage limit"), "{stderr}");
}

/// A FIFO whose writer never finishes: `--time-limit` stops reading it, keeps what was
/// read, and says so (without the limit the read would never end).
#[cfg(unix)]
#[test]
fn the_time_limit_ends_an_endless_stream() {
    use std::io::Write;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("stream");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("note: mkfifo unavailable; skipped");
        return;
    }
    for command in [
        &["extract", "-f", "text"][..],
        &["events", "-f", "ndjson"][..],
    ] {
        // Opened for reading and writing, the FIFO always has a writer: a reader never sees
        // its end. The writer sends a line every 50 ms until told to stop.
        let mut writer = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&fifo)
            .expect("open fifo");
        let stop = Arc::new(AtomicBool::new(false));
        let stop_writer = stop.clone();
        let feeder = std::thread::spawn(move || {
            while !stop_writer.load(Ordering::Relaxed) {
                if writer.write_all(b"beacon to 203.0.113.9\n").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let mut child = Command::new(env!("CARGO_BIN_EXE_spoor"))
            .args(command)
            .args(["--time-limit", "1"])
            .arg(&fifo)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run spoor");
        let started = Instant::now();
        while child.try_wait().expect("wait").is_none() {
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                stop.store(true, Ordering::Relaxed);
                panic!("{command:?}: still reading after 60 s despite --time-limit 1");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().expect("output");
        stop.store(true, Ordering::Relaxed);
        let _ = feeder.join();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {stderr}");
        assert!(stderr.contains("--time-limit"), "{command:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        if command[0] == "extract" {
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("203.0.113.9"),
                "what was read before the limit is kept"
            );
        }
    }
}
