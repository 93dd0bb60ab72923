//! The goodware index: counts checked against a naive scan of the files, the shipped
//! index holds a fresh build of `corpus/benign` and the train split of the real goodware
//! set, `--append` and a merge of parts equal a one-shot build, `--min-packages` keeps what packages share,
//! symlinks are followed, a build of nothing fails, and damaged files give errors, never
//! panics or wrong answers.

use spoor::goodware::{self, BuildOptions, Index, IndexError};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn build(paths: &[&str], base: Option<&Index>) -> Vec<u8> {
    let options = BuildOptions {
        paths: paths.iter().map(|p| root().join(p)).collect(),
        date: Some("2026-11-25".into()),
        ..BuildOptions::default()
    };
    let mut out = Vec::new();
    let report = goodware::build(&options, base, &mut out).expect("build");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    out
}

fn files(dir: &Path) -> Vec<Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| std::fs::read(e.path()).expect("read"))
        .collect()
}

fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// Whether `data` holds `s` as a whole string (ASCII run or UTF-16LE run), the slow way.
fn holds_whole(data: &[u8], s: &[u8]) -> bool {
    let ascii = data.windows(s.len()).enumerate().any(|(i, w)| {
        w == s
            && (i == 0 || !printable(data[i - 1]))
            && data.get(i + s.len()).is_none_or(|&b| !printable(b))
    });
    let wide: Vec<u8> = s.iter().flat_map(|&c| [c, 0]).collect();
    let utf16 = data.windows(wide.len()).enumerate().any(|(i, w)| {
        w == &wide[..]
            && (i < 2 || !(data[i - 1] == 0 && printable(data[i - 2])))
            && !(data.get(i + wide.len() + 1) == Some(&0)
                && data.get(i + wide.len()).is_some_and(|&b| printable(b)))
    });
    ascii || utf16
}

#[test]
fn counts_agree_with_a_naive_scan() {
    let index = Index::from_vec(build(&["corpus/benign"], None)).expect("open");
    let benign = files(&root().join("corpus/benign"));
    let mut distinct = benign.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(index.meta().files, distinct.len() as u64);
    let probes: [&[u8]; 7] = [
        b"Mingw-w64 runtime failure:",
        b"KERNEL32.dll",
        b"GetProcAddress",
        b"!This program cannot be run in DOS mode.",
        b"Software\\Microsoft\\Windows\\CurrentVersion\\Run",
        b"http://cdn.ashdrop.example.com/s2/beacon.php",
        b"OneDriveStandaloneUpdater",
    ];
    let mut nonzero = 0;
    for p in probes {
        let expected = distinct.iter().filter(|d| holds_whole(d, p)).count() as u64;
        let got = index.string_count(p);
        assert_eq!(got, expected, "{}", String::from_utf8_lossy(p));
        nonzero += usize::from(got > 0);
    }
    assert!(
        nonzero >= 3,
        "the probes should include real goodware strings"
    );
    // A malicious-only string is absent, and found inside nothing either.
    assert_eq!(index.string_count(b"ashdropv1"), 0);
    assert_eq!(index.containing_counts(&[b"ashdropv1"]), vec![0]);
    // A fragment of a goodware string is found inside it.
    assert!(index.containing_counts(&[b"w64 runtime fail"])[0] > 0);
}

/// The search for needles inside longer keys reads the keys in blocks of about 256 KiB:
/// with megabytes of keys, every needle is credited to the key that holds it (whatever
/// block it falls in), and a needle that would only match across two neighbouring keys is
/// not found.
#[test]
fn strings_inside_longer_keys_are_found_in_every_block() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = |i: usize| format!("goodware entry {i:06} of the synthetic set -x");
    let (mut all, mut some) = (Vec::new(), Vec::new());
    for i in 0..40_000 {
        all.extend_from_slice(key(i).as_bytes());
        all.push(0);
        if i % 7 == 0 {
            some.extend_from_slice(key(i).as_bytes());
            some.push(0);
        }
    }
    assert!(all.len() > 4 * 256 * 1024, "several blocks of keys");
    std::fs::write(dir.path().join("all.bin"), &all).expect("write");
    std::fs::write(dir.path().join("some.bin"), &some).expect("write");
    let options = BuildOptions {
        paths: vec![dir.path().to_path_buf()],
        date: Some("2026-11-25".into()),
        ..BuildOptions::default()
    };
    let mut out = Vec::new();
    goodware::build(&options, None, &mut out).expect("build");
    // The same index with its last key text block damaged: the search falls back to
    // streaming the keys out of the FST, and must give the same answers.
    let mut damaged = out.clone();
    if let Some(last) = damaged.last_mut() {
        *last ^= 0x5a;
    }
    let index = Index::from_vec(out).expect("open");
    let fallback = Index::from_vec(damaged).expect("a damaged key text still opens");
    let probes: Vec<(String, u64)> = (0..40_000)
        .step_by(997)
        .map(|i| (format!("entry {i:06} of"), if i % 7 == 0 { 2 } else { 1 }))
        .chain([
            ("entry 040001 of".to_string(), 0),
            // At the very start of a key, after the previous key's separator.
            ("goodware entry 000014".to_string(), 2),
            // The end of one key and the start of the next: no key holds it.
            ("set -xgoodware".to_string(), 0),
            ("-x\0goodware".to_string(), 0),
        ])
        .collect();
    let needles: Vec<&[u8]> = probes.iter().map(|(p, _)| p.as_bytes()).collect();
    let counts = index.containing_counts(&needles);
    for ((probe, expected), got) in probes.iter().zip(&counts) {
        assert_eq!(got, expected, "{probe}");
    }
    assert_eq!(fallback.containing_counts(&needles), counts);
    // A needle holding the separator byte matches nothing, and does not disturb the others.
    let counts =
        index.containing_counts(&[b"-x\0goodware".as_slice(), b"-x\x00g", b"entry 000007"]);
    assert_eq!(counts, vec![0, 0, 2]);
}

/// The shipped index starts as a fresh build of `corpus/benign` (kept whole), then adds
/// what the train split of the real goodware set shares across packages: every string of
/// the benign corpus is in it, at least as often as a corpus-only build counts it.
#[test]
fn shipped_index_covers_the_benign_corpus_and_the_train_split() {
    let fresh = Index::from_vec(build(&["corpus/benign"], None)).expect("fresh index opens");
    let index = goodware::default_index().expect("shipped index opens");
    let sources = &index.meta().sources;
    assert_eq!(sources[0].paths, vec!["corpus/benign".to_string()]);
    assert_eq!(sources[0].files, fresh.meta().files);
    assert!(
        sources.len() == 2 && sources[1].paths[0].ends_with("real-goodware/train"),
        "{sources:?}"
    );
    assert!(sources[1].files >= 1000, "{sources:?}");
    assert!(index.meta().strings > 10 * fresh.meta().strings);
    let mut checked = 0;
    for data in files(&root().join("corpus/benign")) {
        for k in goodware::string_keys(&data) {
            let want = fresh.string_count(&k);
            let have = index.string_count(&k);
            assert!(
                have >= want && want >= 1,
                "{}: {have} < {want}",
                String::from_utf8_lossy(&k)
            );
            checked += 1;
        }
    }
    assert!(checked > 5000);
    // Toolchain strings that the corpus (mingw only) lacks and the train split holds.
    for probe in [
        "KERNEL32.dll",
        "GetProcAddress",
        "Mingw-w64 runtime failure:",
    ] {
        assert!(index.string_count(probe.as_bytes()) >= fresh.string_count(probe.as_bytes()));
    }
    assert!(index.string_count(b"VCRUNTIME140.dll") >= 10);
    assert!(fresh.string_count(b"VCRUNTIME140.dll") == 0);
    assert_eq!(&goodware::DEFAULT_INDEX[..8], goodware::MAGIC);
}

/// An index of format version 1 (no key text) is still read, and its substring searches
/// (streamed from the FST) agree with the current format's.
#[test]
fn version_1_indexes_are_still_read() {
    let v1 = Index::from_vec(
        std::fs::read(root().join("tests/data/goodware-v1.idx")).expect("v1 index"),
    )
    .expect("a version 1 index opens");
    // the corpus-only index, from the same files as the version 1 file
    let current = Index::open(&root().join("data/goodware/corpus-benign.idx")).expect("v2 index");
    assert_eq!(v1.version(), 1);
    assert_eq!(current.version(), goodware::FORMAT_VERSION);
    assert_eq!(v1.meta().strings, current.meta().strings);
    let needles: [&[u8]; 5] = [
        b"KERNEL32",
        b"GetProcAddress",
        b"w64 runtime fail",
        b"ashdropv1",
        b"ernel32.d",
    ];
    let counts = current.containing_counts(&needles);
    assert_eq!(v1.containing_counts(&needles), counts);
    assert!(counts.iter().filter(|&&c| c > 0).count() >= 3, "{counts:?}");
    for n in needles {
        assert_eq!(v1.string_count(n), current.string_count(n));
    }
    // `goodware info` says which format a file is in, and how to update an old one.
    let info = std::process::Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["goodware", "info", "tests/data/goodware-v1.idx"])
        .current_dir(root())
        .output()
        .expect("info");
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        text.starts_with("format      spoor goodware index v1 (older format"),
        "{text}"
    );
}

/// The index after its JSON header: the four FSTs and the key text.
fn body(index: &[u8]) -> &[u8] {
    let len = u32::from_le_bytes(index[12..16].try_into().expect("header length")) as usize;
    &index[16 + len..]
}

#[test]
fn a_merge_of_parts_equals_one_build() {
    let both = build(&["corpus/benign/built", "corpus/benign/debian"], None);
    let parts = [
        build(&["corpus/benign/built"], None),
        build(&["corpus/benign/debian"], None),
    ];
    let opened: Vec<Index> = parts
        .iter()
        .map(|p| Index::from_vec(p.clone()).expect("part"))
        .collect();
    let refs: Vec<&Index> = opened.iter().collect();
    let mut merged = Vec::new();
    let report = goodware::merge(&refs, None, &mut merged).expect("merge");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.overlapping_files, 0);
    // The sections are byte-equal; the header differs only in its list of sources.
    assert!(body(&merged) == body(&both), "merged sections differ");
    let (m, b) = (
        Index::from_vec(merged.clone()).expect("merged"),
        Index::from_vec(both).expect("both"),
    );
    let mut meta = m.meta().clone();
    assert_eq!(meta.sources.len(), 2);
    assert_eq!(
        meta.sources.iter().map(|s| s.files).sum::<u64>(),
        b.meta().files
    );
    meta.sources = b.meta().sources.clone();
    assert_eq!(&meta, b.meta());
    assert!(
        b.meta().files > 10 && b.meta().strings > 1000,
        "{:?}",
        b.meta()
    );
    // The order of the parts changes nothing but the order of the sources.
    let mut reversed = Vec::new();
    goodware::merge(&[refs[1], refs[0]], None, &mut reversed).expect("merge");
    assert!(body(&reversed) == body(&merged));
    // A file counted in two parts is reported (its strings are counted twice).
    let mut twice = Vec::new();
    let report = goodware::merge(&[refs[0], refs[0]], None, &mut twice).expect("merge");
    assert_eq!(report.overlapping_files, opened[0].meta().files);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    let twice = Index::from_vec(twice).expect("twice");
    assert_eq!(twice.meta().files, opened[0].meta().files);
    assert_eq!(
        twice.string_count(b"KERNEL32.dll"),
        2 * opened[0].string_count(b"KERNEL32.dll")
    );
    assert!(opened[0].string_count(b"KERNEL32.dll") > 0);
    assert!(matches!(
        goodware::merge(&[], None, &mut Vec::new()),
        Err(IndexError::Damaged(_))
    ));
    // `spoor goodware merge` writes the same index.
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b, out) = (
        dir.path().join("a.idx"),
        dir.path().join("b.idx"),
        dir.path().join("merged.idx"),
    );
    std::fs::write(&a, &parts[0]).expect("write");
    std::fs::write(&b, &parts[1]).expect("write");
    let run = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_spoor"))
            .args(["goodware", "merge"])
            .args(args)
            .output()
            .expect("merge")
    };
    let o = run(&[a.as_os_str(), b.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read(&out).expect("merged"), merged);
    let o = run(&[a.as_os_str(), a.as_os_str(), "-o".as_ref(), out.as_os_str()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("counted in more than one part"));
}

#[test]
fn a_builder_fed_contents_equals_a_build_of_paths() {
    let both = build(&["corpus/benign/built", "corpus/benign/debian"], None);
    let mut builder = goodware::Builder::new();
    for dir in ["corpus/benign/debian", "corpus/benign/built"] {
        for data in files(&root().join(dir)) {
            builder.add(&data);
        }
    }
    // the same content again is a duplicate, not a file
    let first = files(&root().join("corpus/benign/built")).remove(0);
    assert!(!builder.add(&first));
    assert!(!builder.add(b""));
    let mut out = Vec::new();
    let report = builder
        .write("partition 0", Some("2026-11-25".into()), &mut out)
        .expect("write");
    assert!(body(&out) == body(&both), "sections differ");
    let meta = report.meta.expect("written");
    assert_eq!(meta.sources[0].paths, vec!["partition 0".to_string()]);
    assert_eq!(
        meta.files,
        Index::from_vec(both).expect("both").meta().files
    );
    let mut nothing = Vec::new();
    let empty = goodware::Builder::new()
        .write("empty", None, &mut nothing)
        .expect("write");
    assert!(empty.meta.is_none() && nothing.is_empty());
}

#[test]
fn append_equals_a_one_shot_build() {
    let both = Index::from_vec(build(
        &["corpus/benign/built", "corpus/benign/debian"],
        None,
    ))
    .expect("both");
    let first = Index::from_vec(build(&["corpus/benign/built"], None)).expect("first");
    let appended =
        Index::from_vec(build(&["corpus/benign/debian"], Some(&first))).expect("appended");
    assert_eq!(appended.meta().strings, both.meta().strings);
    assert_eq!(appended.meta().files, both.meta().files);
    assert_eq!(appended.meta().imphashes, both.meta().imphashes);
    assert_eq!(appended.meta().exports, both.meta().exports);
    assert_eq!(appended.meta().sources.len(), 2);
    for probe in ["KERNEL32.dll", "GetProcAddress", "msvcrt.dll", "zlib1.dll"] {
        assert_eq!(
            appended.string_count(probe.as_bytes()),
            both.string_count(probe.as_bytes()),
            "{probe}"
        );
    }
    // Appending the same files again counts nothing twice.
    let again = Index::from_vec(build(&["corpus/benign/debian"], Some(&appended))).expect("again");
    assert_eq!(again.meta().files, both.meta().files);
    assert_eq!(again.meta().sources[2].files, 0);
    assert_eq!(
        again.string_count(b"KERNEL32.dll"),
        both.string_count(b"KERNEL32.dll")
    );
}

#[test]
fn damaged_indexes_are_refused() {
    // the small corpus-only index: each of the 700 damaged copies is opened and searched
    let good = std::fs::read(root().join("data/goodware/corpus-benign.idx")).expect("index");
    assert!(matches!(
        Index::from_vec(b"not an index at all".to_vec()),
        Err(IndexError::BadMagic)
    ));
    let mut future = good.clone();
    future[8] = 3;
    assert!(matches!(
        Index::from_vec(future),
        Err(IndexError::Version(3))
    ));
    let good_index = Index::from_vec(good.clone()).expect("the corpus index opens");
    let needles: [&[u8]; 4] = [
        b"KERNEL32",
        b"GetProcAddress",
        b"runtime fail",
        b"ashdropv1",
    ];
    let answers = |i: &Index| {
        (
            i.string_count(b"KERNEL32.dll"),
            i.containing_counts(&needles),
        )
    };
    let good_answers = answers(&good_index);
    for cut in [0, 7, 15, 16, 100, good.len() / 2, good.len() - 1] {
        assert!(
            Index::from_vec(good[..cut].to_vec()).is_err(),
            "cut at {cut}"
        );
    }
    let (mut refused, mut flips) = (0, 0);
    let step = (good.len() / 700).max(1);
    for pos in (16..good.len()).step_by(step) {
        let mut bad = good.clone();
        bad[pos] ^= 0x5a;
        flips += 1;
        match Index::from_vec(bad) {
            Err(_) => refused += 1,
            // A flip that still opens (in the key text, whose blocks are checked when
            // read, or in JSON whitespace) must not change a single answer.
            Ok(i) => assert_eq!(answers(&i), good_answers, "flip at {pos}"),
        }
    }
    // Every flip in the FSTs is refused: they are more than half of the file.
    assert!(
        refused * 2 > flips,
        "{refused} of {flips} damaged copies refused"
    );
}

#[test]
fn cli_build_info_query() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = dir.path().join("gw.idx");
    let spoor = env!("CARGO_BIN_EXE_spoor");
    let out = std::process::Command::new(spoor)
        .args(["goodware", "build", "corpus/benign/debian/zlib", "-o"])
        .arg(&idx)
        .args(["--date", "2026-11-25"])
        .current_dir(root())
        .output()
        .expect("build");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = std::process::Command::new(spoor)
        .args(["goodware", "info"])
        .arg(&idx)
        .output()
        .expect("info");
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("files       3 "), "{text}");
    assert!(text.contains("2026-11-25  3 files"), "{text}");
    let q = std::process::Command::new(spoor)
        .args(["goodware", "query"])
        .arg(&idx)
        .arg("deflate")
        .output()
        .expect("query");
    assert_eq!(
        String::from_utf8_lossy(&q.stdout),
        "string   3\ninside   3\nexport   2\nimphash  0\n"
    );
    // A fragment of a goodware string: in no file as a whole string, inside some.
    let q = std::process::Command::new(spoor)
        .args(["goodware", "query", "-", "w64 runtime fail"])
        .output()
        .expect("query");
    let text = String::from_utf8_lossy(&q.stdout);
    assert!(text.starts_with("string   0\ninside   "), "{text}");
    assert!(!text.starts_with("string   0\ninside   0\n"), "{text}");
}

fn spoor_build(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["goodware", "build", "--date", "2026-11-25"])
        .args(args)
        .output()
        .expect("spoor goodware build")
}

/// Symbolic links given or found are followed (a directory holding only links is indexed),
/// the same file reached twice is counted once, and a loop is reported and not entered.
#[cfg(unix)]
#[test]
fn build_follows_symlinks_and_reports_loops() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real");
    std::fs::create_dir_all(real.join("sub")).expect("mkdir");
    std::fs::write(real.join("one.bin"), b"\x00first goodware string\x00").expect("write");
    std::fs::write(real.join("sub/two.bin"), b"\x00second goodware string\x00").expect("write");
    let links = dir.path().join("links");
    std::fs::create_dir(&links).expect("mkdir");
    symlink(real.join("one.bin"), links.join("one-link.bin")).expect("symlink");
    symlink(real.join("sub"), links.join("sub-link")).expect("symlink");
    symlink(&links, links.join("loop")).expect("symlink");
    let idx = dir.path().join("gw.idx");
    let out = spoor_build(&[links.as_os_str(), "-o".as_ref(), idx.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The loop is a warning (exit 1), the files behind the links are indexed.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("symbolic link loop"), "{stderr}");
    assert!(stderr.contains("2 files counted"), "{stderr}");
    let index = Index::open(&idx).expect("index written");
    assert_eq!(index.string_count(b"first goodware string"), 1);
    assert_eq!(index.string_count(b"second goodware string"), 1);
    // A symlink given on the command line, to a directory of links, without the loop.
    std::fs::remove_file(links.join("loop")).expect("rm loop");
    let given = dir.path().join("given");
    symlink(&links, &given).expect("symlink");
    let out = spoor_build(&[
        given.as_os_str(),
        real.join("one.bin").as_os_str(),
        "-o".as_ref(),
        idx.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("2 files counted (47 bytes), 1 duplicates skipped"),
        "{stderr}"
    );
}

/// A build that indexes no file (missing path, empty directory, empty file) fails with exit
/// 2, says so, and writes nothing.
#[test]
fn build_of_nothing_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty_dir = dir.path().join("empty");
    std::fs::create_dir(&empty_dir).expect("mkdir");
    let empty_file = dir.path().join("empty.bin");
    std::fs::write(&empty_file, b"").expect("write");
    let missing = dir.path().join("missing");
    let idx = dir.path().join("gw.idx");
    for given in [&empty_dir, &empty_file, &missing] {
        let out = spoor_build(&[given.as_os_str(), "-o".as_ref(), idx.as_os_str()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", given.display());
        assert!(stderr.contains("no file was indexed"), "{stderr}");
        assert!(!idx.exists(), "nothing written for {}", given.display());
    }
    assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 2);
}

/// `min_packages` keeps what at least that many packages (top directories) share; the same
/// file in two packages counts for both, once as a file; a base index is kept whole.
#[test]
fn min_packages_keeps_what_packages_share() {
    let dir = tempfile::tempdir().expect("tempdir");
    let put = |rel: &str, data: &[u8]| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, data).expect("write");
    };
    put("p1/v1/a.bin", b"\x00shared by all\x00only in p1\x00");
    put(
        "p1/v2/b.bin",
        b"\x00shared by all\x00only in p1\x00also p1 twice\x00",
    );
    put("p2/c.bin", b"\x00shared by all\x00p2 and p3\x00");
    put("p3/d.bin", b"\x00shared by all\x00p2 and p3\x00in d\x00");
    put("p3/copy.bin", b"\x00shared by all\x00only in p1\x00");
    put("base/e.bin", b"\x00from the base\x00");
    let options = |paths: Vec<PathBuf>, min_packages| BuildOptions {
        paths,
        date: Some("2026-11-25".into()),
        min_packages,
        ..BuildOptions::default()
    };
    let mut base = Vec::new();
    goodware::build(&options(vec![dir.path().join("base")], 0), None, &mut base).expect("base");
    let base = Index::from_vec(base).expect("base opens");
    let mut out = Vec::new();
    let names = ["p1", "p2", "p3"].map(|p| dir.path().join(p));
    let report = goodware::build(
        &options(vec![dir.path().to_path_buf()], 2),
        Some(&base),
        &mut out,
    )
    .expect("build");
    assert_eq!(
        report.files, 4,
        "base/e.bin was counted before: a duplicate"
    );
    assert_eq!(report.duplicates, 2);
    let index = Index::from_vec(out).expect("opens");
    assert_eq!(index.string_count(b"shared by all"), 4);
    assert_eq!(index.string_count(b"p2 and p3"), 2);
    // p3/copy.bin is a copy of p1/v1/a.bin: one file, two packages
    assert_eq!(index.string_count(b"only in p1"), 2);
    assert_eq!(index.string_count(b"also p1 twice"), 0);
    assert_eq!(index.string_count(b"from the base"), 1);
    // given one by one, the packages are what lies below each: p1's v1 and v2, and each
    // file of p2 and p3 (files right below a path given are packages of their own)
    let mut out = Vec::new();
    goodware::build(&options(names.to_vec(), 3), None, &mut out).expect("build");
    let index = Index::from_vec(out).expect("opens");
    assert_eq!(index.string_count(b"shared by all"), 4);
    assert_eq!(index.string_count(b"p2 and p3"), 0);
}

/// Rust places string literals end to end: a library's message sits inside a different
/// string in each program. Phrases (runs of four words) are what the programs share, and
/// they obey `--min-packages` as strings do; they stay out of substring searches.
#[test]
fn phrases_are_shared_where_whole_strings_are_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let put = |rel: &str, data: &[u8]| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, data).expect("write");
    };
    put(
        "p1/a.pyd",
        b"\x00PyDictattempted to fetch exception but none was set\x00only p1 says this here\x00",
    );
    put(
        "p2/b.pyd",
        b"\x00PyListPyTypeattempted to fetch exception but none was setX\x00",
    );
    let mut out = Vec::new();
    let report = goodware::build(
        &BuildOptions {
            paths: vec![dir.path().to_path_buf()],
            date: Some("2026-12-04".into()),
            min_packages: 2,
            ..BuildOptions::default()
        },
        None,
        &mut out,
    )
    .expect("build");
    let meta = report.meta.expect("written");
    let index = Index::from_vec(out).expect("opens");
    assert_eq!(meta.strings, 0, "no whole string is shared");
    assert_eq!(meta.phrases, 3, "{meta:?}");
    let probe = b"Fooattempted to fetch exception but none was set";
    assert_eq!(index.phrase_counts(probe), (3, 5));
    assert_eq!(index.phrase_counts(b"only p1 says this here"), (0, 2));
    assert_eq!(index.phrase_counts(b"three words only"), (0, 0));
    // phrase keys are no strings: a substring search never finds one
    assert_eq!(index.containing_counts(&[b"fetch exception but"]), vec![0]);
    assert_eq!(index.string_count(b"fetch exception but none"), 0);
}

/// The shipped index knows the runtime text of PyO3 and the Rust standard library that the
/// train split's extension modules share, as phrases.
#[test]
fn shipped_index_holds_runtime_phrases() {
    let index = goodware::default_index().expect("shipped index opens");
    assert!(index.meta().phrases > 10_000, "{:?}", index.meta());
    let (held, total) = index.phrase_counts(b"PyDictattempted to fetch exception but none was set");
    assert!(held >= 4 && total == 5, "{held} of {total}");
}
