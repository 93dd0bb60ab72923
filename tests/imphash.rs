//! imphash as pefile computes it: PE files built here with mingw (imports by ordinal only
//! from `ws2_32.dll`, `wsock32.dll`, `oleaut32.dll` and a DLL pefile has no names for, plus
//! damaged variants: an invalid DLL name, an invalid function name, an empty lookup table)
//! are triaged by spoor and read by pefile (`tests/pefile_hashes.py`); imphash, rich header
//! hash and the names given to ordinals must agree.
//!
//! Needs `x86_64-w64-mingw32-gcc` and `-dlltool` and Python with pefile (`SPOOR_PEFILE_PYTHON`,
//! else `target/pefile/bin/python`, else `python3`); without them the test skips with a note,
//! unless `SPOOR_REQUIRE_PEFILE=1` (set by `.ci/run`) makes that a failure.

use super::corpus::on_path;
use std::path::{Path, PathBuf};
use std::process::Command;

fn required() -> bool {
    std::env::var_os("SPOOR_REQUIRE_PEFILE").is_some()
}

fn skip(why: &str) {
    assert!(!required(), "SPOOR_REQUIRE_PEFILE is set but {why}");
    eprintln!("note: {why}; skipping the pefile comparison");
}

/// The interpreter with pefile (and py-tlsh): `SPOOR_PEFILE_PYTHON`, `target/pefile`, or
/// `python3`.
pub(crate) fn python() -> String {
    if let Ok(p) = std::env::var("SPOOR_PEFILE_PYTHON") {
        return p;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pefile/bin/python");
    if venv.is_file() {
        return venv.to_string_lossy().into_owned();
    }
    "python3".into()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("tool runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const DEFS: &[(&str, &str)] = &[
    (
        "ws2",
        "LIBRARY WS2_32.dll\nEXPORTS\nconnect @4 NONAME\nsend @19 NONAME\nrecv @16 NONAME\n\
         socket @23 NONAME\nWSAStartup @115 NONAME\nclosesocket @3 NONAME\nunlisted @499 NONAME\n",
    ),
    (
        "ole",
        "LIBRARY OLEAUT32.dll\nEXPORTS\nSysAllocString @2 NONAME\nSysFreeString @6 NONAME\n",
    ),
    (
        "wsock",
        "LIBRARY wsock32.dll\nEXPORTS\ngethostbyname @52 NONAME\ninet_addr @10 NONAME\n",
    ),
    ("mine", "LIBRARY mylib.dll\nEXPORTS\nmine @7 NONAME\n"),
];

/// A TCP client that imports the socket API by ordinal only (never run: it returns at once
/// unless given six arguments).
const BACKDOOR: &str = r#"
typedef unsigned long long SOCKET;
extern int connect(SOCKET, const void *, int);
extern int send(SOCKET, const char *, int, int);
extern int recv(SOCKET, char *, int, int);
extern SOCKET socket(int, int, int);
extern int WSAStartup(unsigned short, void *);
extern int closesocket(SOCKET);
extern int unlisted(void);
int main(int argc, char **argv) {
  char buf[64];
  if (argc != 7) return 0;
  WSAStartup(0x202, buf);
  SOCKET s = socket(2, 1, 6);
  connect(s, buf, 16);
  send(s, buf, 1, 0); recv(s, buf, 1, 0); closesocket(s); unlisted();
  return 0;
}
"#;

const MIXED: &str = r#"
extern void *SysAllocString(const unsigned short *);
extern void SysFreeString(void *);
extern void *gethostbyname(const char *);
extern unsigned long inet_addr(const char *);
extern int mine(void);
int main(int argc, char **argv) {
  if (argc != 7) return 0;
  SysFreeString(SysAllocString(0));
  gethostbyname("example.com"); inet_addr("192.0.2.1");
  return mine();
}
"#;

/// Replaces the first `from` (same length as `to`) in `data`.
fn patch(data: &mut [u8], from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let at = data
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| panic!("{} not in the sample", String::from_utf8_lossy(from)));
    data[at..at + to.len()].copy_from_slice(to);
}

fn u32_at(d: &[u8], at: usize) -> usize {
    u32::from_le_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]]) as usize
}

/// Zeroes the OriginalFirstThunk of the first import descriptor (pefile then reads the
/// address table).
fn drop_lookup_table(data: &mut [u8]) {
    let pe = u32_at(data, 0x3c);
    let opt = pe + 24;
    let dirs = if data[opt] == 0x0b && data[opt + 1] == 2 {
        opt + 112
    } else {
        opt + 96
    };
    let import_rva = u32_at(data, dirs + 8);
    let sections = opt + usize::from(u16::from_le_bytes([data[pe + 20], data[pe + 21]]));
    let count = usize::from(u16::from_le_bytes([data[pe + 6], data[pe + 7]]));
    for i in 0..count {
        let s = sections + 40 * i;
        let (vsize, va, raw) = (
            u32_at(data, s + 8),
            u32_at(data, s + 12),
            u32_at(data, s + 20),
        );
        if import_rva >= va && import_rva < va + vsize.max(1) {
            let at = import_rva - va + raw;
            data[at..at + 4].fill(0);
            return;
        }
    }
    panic!("import directory not found");
}

/// A change made to a built sample.
type Change = fn(&mut Vec<u8>);

fn build(dir: &Path) -> Vec<PathBuf> {
    for (name, def) in DEFS {
        let def_path = dir.join(format!("{name}.def"));
        std::fs::write(&def_path, def).expect("write def");
        run(Command::new("x86_64-w64-mingw32-dlltool")
            .arg("-d")
            .arg(&def_path)
            .arg("-l")
            .arg(dir.join(format!("lib{name}.a"))));
    }
    let mut out = Vec::new();
    for (name, src) in [("backdoor", BACKDOOR), ("mixed", MIXED)] {
        let c = dir.join(format!("{name}.c"));
        std::fs::write(&c, src).expect("write source");
        let exe = dir.join(format!("{name}.exe"));
        run(Command::new("x86_64-w64-mingw32-gcc")
            .args(["-O1", "-s", "-Wl,--no-insert-timestamp", "-o"])
            .arg(&exe)
            .arg(&c)
            .arg(format!("-L{}", dir.display()))
            .args(["-lws2", "-lole", "-lwsock", "-lmine"]));
        out.push(exe);
    }
    let mixed = std::fs::read(&out[1]).expect("read sample");
    let variants: [(&str, Change); 3] = [
        ("invalid-dll", |d| {
            patch(d, b"wsock32.dll\0", b"wso k32.dll\0")
        }),
        ("invalid-function", |d| {
            patch(d, b"GetLastError\0", b"GetLast-rror\0")
        }),
        ("no-lookup-table", |d| drop_lookup_table(d)),
    ];
    for (name, change) in variants {
        let mut d = mixed.clone();
        change(&mut d);
        let p = dir.join(format!("mixed-{name}.exe"));
        std::fs::write(&p, d).expect("write variant");
        out.push(p);
    }
    out
}

#[test]
fn imphash_and_ordinal_names_equal_pefile() {
    if !on_path("x86_64-w64-mingw32-gcc") || !on_path("x86_64-w64-mingw32-dlltool") {
        skip("x86_64-w64-mingw32-gcc or -dlltool is not on PATH");
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("imphash-samples");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("sample dir");
    let samples = build(&dir);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pefile_hashes.py");
    let out = Command::new(python())
        .arg(&script)
        .args(&samples)
        .output()
        .expect("python runs");
    if out.status.code() == Some(3) {
        skip("pefile is not installed");
        return;
    }
    assert!(
        out.status.success(),
        "pefile_hashes.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), samples.len(), "{text}");
    for (path, line) in samples.iter().zip(&lines) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 4, "{line}");
        let data = std::fs::read(path).expect("read sample");
        let t = spoor::sample::triage(&path.to_string_lossy(), &data);
        let pe = t.pe.as_ref().expect("a PE");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        assert_eq!(
            pe.imphash.as_deref().unwrap_or("-"),
            cols[1],
            "imphash of {name}"
        );
        assert_eq!(
            pe.rich_header_hash.as_deref().unwrap_or("-"),
            cols[2],
            "rich hash of {name}"
        );
        // Each ordinal import carries the name pefile gives it (pefile writes `ordN` for an
        // ordinal its table lacks, and no name for DLLs it has no table of).
        let ours: Vec<String> = t
            .imports
            .iter()
            .filter(|i| !i.delay)
            .filter_map(|i| {
                let o = i.ordinal?;
                let lib = i.library.to_ascii_lowercase();
                let listed = spoor::sample::pe_imports::ordinal_names().contains_key(&lib);
                let n = match &i.name {
                    Some(n) => n.clone(),
                    None if listed => format!("ord{o}"),
                    None => String::new(),
                };
                Some(format!("{lib}!{o}={n}"))
            })
            .collect();
        let theirs: Vec<&str> = cols[3].split(',').filter(|s| *s != "-").collect();
        assert_eq!(ours, theirs, "ordinal imports of {name}");
    }
    // The backdoor imports the socket API by ordinal only: still "network".
    let data = std::fs::read(&samples[0]).expect("read sample");
    let t = spoor::sample::triage("backdoor.exe", &data);
    let network = t
        .behavior
        .categories
        .iter()
        .find(|c| c.name == "network")
        .expect("a network category");
    assert!(
        network.imports.iter().any(|i| i == "ws2_32.dll!connect"),
        "{:?}",
        network.imports
    );
    // The damaged variants: the DLL pefile calls `*invalid*`, and no skipped name.
    let data = std::fs::read(&samples[2]).expect("read sample");
    let t = spoor::sample::triage("invalid-dll.exe", &data);
    assert!(t.imports.iter().any(|i| i.library == "*invalid*"));
    let data = std::fs::read(&samples[3]).expect("read sample");
    let t = spoor::sample::triage("invalid-function.exe", &data);
    assert!(!t
        .imports
        .iter()
        .any(|i| i.name.as_deref().is_some_and(|n| n.starts_with("GetLast"))));
}

/// Functions of the DLL that [`imports_past_pefiles_bound_are_listed`] imports: 4,200 of
/// them, 8,400 thunks (a lookup and an address table), past pefile's bound of 8,192.
const BULK_FUNCTIONS: usize = 4200;

/// pefile stops after 8,192 import thunks (lookup and address tables together), so the DLLs
/// a large import table names after that (here `KERNEL32.dll` and `msvcrt.dll`, as in
/// wxPython's `_core.pyd`) are missing from its list. spoor lists them, keeps pefile's imphash
/// (over pefile's shorter list), and says so in a warning; the list equals pefile's with the
/// bound lifted.
#[test]
fn imports_past_pefiles_bound_are_listed() {
    if !on_path("x86_64-w64-mingw32-gcc") || !on_path("x86_64-w64-mingw32-dlltool") {
        skip("x86_64-w64-mingw32-gcc or -dlltool is not on PATH");
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("imphash-bulk");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("sample dir");
    let mut def = String::from("LIBRARY bulk.dll\nEXPORTS\n");
    let mut src = String::new();
    for i in 0..BULK_FUNCTIONS {
        def.push_str(&format!("bulk_{i}\n"));
        src.push_str(&format!("extern int bulk_{i}(void);\n"));
    }
    // never run: it returns at once unless given six arguments
    src.push_str("int main(int argc, char **argv) {\n  int n = 0;\n  if (argc != 7) return 0;\n");
    for i in 0..BULK_FUNCTIONS {
        src.push_str(&format!("  n += bulk_{i}();\n"));
    }
    src.push_str("  return n;\n}\n");
    std::fs::write(dir.join("bulk.def"), def).expect("write def");
    std::fs::write(dir.join("bulk.c"), src).expect("write source");
    // relative paths: the linker orders the DLLs by the paths of their import libraries
    // (a build directory whose path sorts after the system's `/usr/...` put the bulk DLL
    // last), and `./libbulk.a` comes first
    run(Command::new("x86_64-w64-mingw32-dlltool")
        .current_dir(&dir)
        .args(["-d", "bulk.def", "-l", "libbulk.a"]));
    let exe = dir.join("bulk.exe");
    run(Command::new("x86_64-w64-mingw32-gcc")
        .current_dir(&dir)
        .args(["-O0", "-s", "-Wl,--no-insert-timestamp", "-o", "bulk.exe"])
        .args(["bulk.c", "-L.", "-lbulk"]));
    // pefile's imphash, and its import list with the bound lifted
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pefile_hashes.py");
    let hashes = Command::new(python())
        .arg(&script)
        .arg(&exe)
        .output()
        .expect("python runs");
    if hashes.status.code() == Some(3) {
        skip("pefile is not installed");
        return;
    }
    let listing = Command::new(python())
        .args([
            "-c",
            "import sys, pefile\n\
             pefile.MAX_IMPORT_SYMBOLS = 1 << 20\n\
             pe = pefile.PE(sys.argv[1])\n\
             for d in pe.DIRECTORY_ENTRY_IMPORT:\n\
             \x20   for i in d.imports:\n\
             \x20       print(d.dll.decode() + '!' + (i.name or b'').decode())\n",
        ])
        .arg(&exe)
        .output()
        .expect("python runs");
    assert!(
        hashes.status.success() && listing.status.success(),
        "pefile failed: {}{}",
        String::from_utf8_lossy(&hashes.stderr),
        String::from_utf8_lossy(&listing.stderr)
    );
    let hashes = String::from_utf8_lossy(&hashes.stdout);
    let pefile_imphash = hashes.split('\t').nth(1).expect("an imphash column");
    let whole: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let data = std::fs::read(&exe).expect("read sample");
    let t = spoor::sample::triage("bulk.exe", &data);
    let ours: Vec<String> = t
        .imports
        .iter()
        .filter(|i| !i.delay)
        .map(|i| format!("{}!{}", i.library, i.name.as_deref().unwrap_or("")))
        .collect();
    // the sample is what it is meant to be: DLLs after the bulk one, past pefile's bound
    assert!(whole.len() > BULK_FUNCTIONS, "{} imports", whole.len());
    let after: Vec<&String> = whole
        .iter()
        .filter(|i| !i.starts_with("bulk.dll!"))
        .collect();
    assert!(
        whole.iter().position(|i| !i.starts_with("bulk.dll!")) == Some(BULK_FUNCTIONS),
        "the bulk DLL is not the first one: {:?}",
        &after[..after.len().min(5)]
    );
    assert_eq!(
        ours, whole,
        "spoor's import list against pefile's without its bound"
    );
    let pe = t.pe.as_ref().expect("a PE");
    assert_eq!(pe.imphash.as_deref(), Some(pefile_imphash), "imphash");
    assert!(
        t.warnings
            .iter()
            .any(|w| w.code == spoor::WarningCode::Estimated
                && w.message.contains("the imphash covers the first")),
        "{:?}",
        t.warnings
    );
    // what pefile drops is listed: the C runtime's and KERNEL32's imports
    for dll in ["kernel32.dll!", "msvcrt.dll!"] {
        assert!(
            ours.iter().any(|i| i.to_ascii_lowercase().starts_with(dll)),
            "no {dll} import"
        );
    }
}

/// Agreement with pefile on a real set of Windows binaries (`corpus/windows-wheels.sh DIR`,
/// then `tests/pefile_hashes.py` over `DIR/pe` into `DIR/pefile.tsv`): `SPOOR_PE_SET=DIR`,
/// or `target/windows-wheels` when it holds a `pefile.tsv`. Prints "imphash equal on N of M
/// PE" for spoor and for the import list goblin gives (what spoor used before), lists the
/// files that differ in `DIR/imphash-mismatches.tsv`, and fails when spoor agrees on fewer
/// files than goblin's list would, or on fewer than 99% of them.
#[test]
fn real_windows_binaries_agree_with_pefile() {
    let dir = std::env::var_os("SPOOR_PE_SET")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/windows-wheels"));
    let Ok(reference) = std::fs::read_to_string(dir.join("pefile.tsv")) else {
        eprintln!(
            "note: no {}/pefile.tsv (corpus/windows-wheels.sh, then tests/pefile_hashes.py); \
             skipping the real-set comparison",
            dir.display()
        );
        return;
    };
    let (mut total, mut ours_imp, mut goblin_imp, mut ours_rich, mut rich_total) = (0, 0, 0, 0, 0);
    let mut mismatches = String::new();
    for line in reference.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 4 || cols[1] == "error" || cols[1].starts_with("error:") {
            continue;
        }
        let path = if Path::new(cols[0]).is_absolute() {
            PathBuf::from(cols[0])
        } else {
            dir.join(cols[0])
        };
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        total += 1;
        let parsed = spoor::sample::parse(&data, spoor::sample::SampleFormat::Pe);
        let pe = parsed.pe.as_ref();
        let ours = pe.and_then(|p| p.imphash.clone());
        let ours = ours.as_deref().unwrap_or("-");
        if ours == cols[1] {
            ours_imp += 1;
        } else {
            mismatches.push_str(&format!("{}\timphash\t{ours}\t{}\n", cols[0], cols[1]));
        }
        if goblin_imphash(&data).as_deref().unwrap_or("-") == cols[1] {
            goblin_imp += 1;
        }
        if cols[2] != "-" || pe.is_some_and(|p| p.rich_header_hash.is_some()) {
            rich_total += 1;
            let r = pe
                .and_then(|p| p.rich_header_hash.as_deref())
                .unwrap_or("-");
            if r == cols[2] {
                ours_rich += 1;
            } else {
                mismatches.push_str(&format!("{}\trich\t{r}\t{}\n", cols[0], cols[2]));
            }
        }
    }
    let _ = std::fs::write(dir.join("imphash-mismatches.tsv"), &mismatches);
    eprintln!(
        "imphash equal on {ours_imp} of {total} PE (goblin's import list, as before: \
         {goblin_imp} of {total}); rich header hash equal on {ours_rich} of {rich_total}"
    );
    assert!(total > 0, "no file of the set could be read");
    assert!(ours_imp >= goblin_imp);
    assert!(ours_imp * 100 >= total * 99, "{mismatches}");
}

/// The imphash of goblin's import list with ordinals kept as `ordN`: what spoor computed
/// before it read imports the way pefile does.
fn goblin_imphash(data: &[u8]) -> Option<String> {
    use goblin::pe::options::{ParseMode, ParseOptions};
    let mut permissive = ParseOptions::default();
    permissive.parse_mode = ParseMode::Permissive;
    let pe = goblin::pe::PE::parse(data)
        .or_else(|_| goblin::pe::PE::parse_with_opts(data, &permissive))
        .ok()?;
    let imports: Vec<spoor::sample::Import> = pe
        .imports
        .iter()
        .map(|i| {
            let by_ordinal = i.name.starts_with("ORDINAL ");
            spoor::sample::Import {
                library: i.dll.to_string(),
                name: (!by_ordinal).then(|| i.name.to_string()),
                ordinal: by_ordinal.then_some(i.ordinal),
                delay: false,
            }
        })
        .collect();
    if imports.is_empty() {
        return None;
    }
    let parts: Vec<String> = imports
        .iter()
        .map(|i| {
            let lib = i.library.to_ascii_lowercase();
            let lib = match lib.rsplit_once('.') {
                Some((stem, "dll" | "ocx" | "sys")) => stem.to_string(),
                _ => lib,
            };
            match (&i.name, i.ordinal) {
                (Some(n), _) => format!("{lib}.{}", n.to_ascii_lowercase()),
                (_, Some(o)) => format!("{lib}.ord{o}"),
                _ => format!("{lib}."),
            }
        })
        .collect();
    use md5::Digest;
    Some(spoor::sample::hex(&md5::Md5::digest(
        parts.join(",").as_bytes(),
    )))
}
