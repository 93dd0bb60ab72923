//! Static triage of executable samples (PE, ELF, Mach-O): what a file is, how it is built,
//! what its imports and strings say it can do, and whether it looks packed.
//!
//! [`triage`] is the entry point: it takes a name and the file's bytes and returns a
//! [`Triage`], a serde-serialisable report whose content depends only on those bytes (the
//! one exception is the `future` flag of a PE compile timestamp, which compares with the
//! clock). Parsing never panics on hostile input: whatever cannot be parsed becomes a
//! message in [`Triage::warnings`] and the rest of the report is still filled in.
//!
//! The format parsers live in [`pe`] (with [`resources`], [`manifest`] and
//! [`authenticode`] for signatures and version info), [`elf`] and [`macho`]; [`fuzzy`]
//! computes ssdeep and TLSH; [`strings`] finds ASCII and UTF-16LE strings and tells junk
//! from text; [`crypto`] finds well-known crypto constants; [`behavior`] groups imports by
//! behaviour, maps imports and strings to ATT&CK techniques and judges packing, all driven
//! by tables under `data/`. The IOCs in the strings come from [`crate::ioc::text`]
//! (`spoor extract` reads executables through the same strings: `crate::extract::binary`).
//! Files are memory-mapped ([`Mapped`]).

pub mod authenticode;
pub mod behavior;
mod build_records;
pub mod callsite;
pub mod classes;
pub mod crypto;
pub mod dotnet;
pub mod elf;
pub mod fuzzy;
pub mod macho;
pub mod manifest;
pub mod pe;
pub mod pe_imports;
pub mod resources;
pub mod strings;
pub mod toolchain;
pub mod verdict;

use crate::error::{Warning, WarningCode};
pub use crate::findings::executable::{ElfInfo, MachoSlice, PeInfo};
pub use crate::findings::triage::{
    Hashes, Import, IocSighting, SampleFormat, SampleIoc, Section, Triage,
};
use crate::ioc::set::IocSet;
use crate::ioc::text::PlainText;
use crate::ioc::{Encoding, IocKind, Sighting};
pub use crate::primitives::{hex, slice};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

pub use behavior::{Behavior, PackerVerdict, Technique};
pub use strings::FoundString;

impl Hashes {
    /// Digests of `data`.
    pub fn of(data: &[u8]) -> Self {
        Hashes {
            md5: hex(&Md5::digest(data)),
            sha1: hex(&Sha1::digest(data)),
            sha256: hex(&Sha256::digest(data)),
            sha512: hex(&Sha512::digest(data)),
            ssdeep: fuzzy::ssdeep(data),
            tlsh: fuzzy::tlsh(data),
        }
    }
}

/// Shannon entropy of `data` in bits per byte (0 for empty input).
pub fn entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    let e: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    if e > 0.0 {
        (e * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

impl Section {
    /// Builds a section; its entropy is left at 0 for [`parse`] to fill in (see
    /// [`EntropyBudget`]).
    pub fn new(
        name: String,
        virtual_address: u64,
        virtual_size: u64,
        raw_offset: u64,
        raw_size: u64,
        (r, w, x): (bool, bool, bool),
    ) -> Self {
        Section {
            name,
            long_name: None,
            virtual_address,
            virtual_size,
            raw_offset,
            raw_size,
            entropy: 0.0,
            r,
            w,
            x,
            wx: w && x,
        }
    }

    /// The name to show: the long name where the header only points to it.
    pub fn label(&self) -> &str {
        self.long_name.as_deref().unwrap_or(&self.name)
    }

    /// The name for people: the long name, then the name written (`.debug_info (/19)`).
    pub fn shown_name(&self) -> String {
        match &self.long_name {
            Some(long) => format!("{long} ({})", self.name),
            None => self.name.clone(),
        }
    }

    /// Debugging information (DWARF: `.debug_*`, `.zdebug_*`, Mach-O's `__DWARF` segment):
    /// the compiler's record of the source (names of variables, types, files), which the
    /// program neither loads nor reads.
    pub fn is_debug_info(&self) -> bool {
        let bare = self.label().rsplit(':').next().unwrap_or_default();
        !self.x
            && (bare.starts_with(".debug_")
                || bare.starts_with(".zdebug_")
                || bare.starts_with("__DWARF,"))
    }

    /// An ELF file's static symbol table and its names (`.symtab`, `.strtab`), not loaded
    /// (no `SHF_ALLOC`): the linker's record of the functions the file was built from (a
    /// statically linked OpenSSL's `EVP_EncryptInit_ex`), which the program never reads. A
    /// loaded section of that name is not one.
    pub fn is_symbol_table(&self) -> bool {
        let bare = self.label().rsplit(':').next().unwrap_or_default();
        !self.r && !self.w && !self.x && matches!(bare, ".symtab" | ".strtab")
    }
}

/// Options for [`triage_with`].
#[derive(Debug, Clone, Copy)]
pub struct TriageOptions {
    /// Minimum string length in characters.
    pub min_string_len: usize,
    /// Run the IOC extractor over the file.
    pub iocs: bool,
}

impl Default for TriageOptions {
    fn default() -> Self {
        TriageOptions {
            min_string_len: 5,
            iocs: true,
        }
    }
}

/// What a format parser found; [`triage`] fills in the rest.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Architecture name.
    pub arch: String,
    /// 32 or 64, 0 when unknown.
    pub bitness: u8,
    /// PE facts.
    pub pe: Option<PeInfo>,
    /// ELF facts.
    pub elf: Option<ElfInfo>,
    /// Mach-O slices.
    pub macho: Vec<MachoSlice>,
    /// Sections.
    pub sections: Vec<Section>,
    /// Imports.
    pub imports: Vec<Import>,
    /// Every function an ELF shared object exports (its format facts list the first
    /// thousand): for the techniques' `export` conditions.
    pub exports: Vec<String>,
    /// Parse problems.
    pub warnings: Vec<Warning>,
}

/// A file's bytes: memory-mapped when possible, so that memory does not grow with the file
/// size beyond the mapping; read into memory otherwise (pipes, devices, empty files).
#[derive(Debug)]
pub enum Mapped {
    /// A read-only memory map of a regular file.
    Map(memmap2::Mmap),
    /// The bytes, read.
    Read(Vec<u8>),
}

impl Mapped {
    /// Maps the regular file at `path`, or reads anything else the way
    /// [`crate::input::read_file`] does (devices refused, a FIFO without a writer empty);
    /// a file larger than `limit` bytes is an error of kind `FileTooLarge`.
    pub fn open(path: &std::path::Path, limit: u64) -> std::io::Result<Self> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return crate::input::read_file(path, limit).map(Mapped::Read);
        }
        if meta.len() > limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!("larger than the limit of {limit} bytes (--max-size)"),
            ));
        }
        if meta.len() > 0 {
            let file = std::fs::File::open(path)?;
            // SAFETY: the map is read-only and never written through. If another process
            // truncates the file while it is mapped, reading the lost pages faults: the
            // trade-off every mapping reader (ripgrep, yara) accepts for samples at rest.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                return Ok(Mapped::Map(map));
            }
        }
        crate::input::read_file(path, limit).map(Mapped::Read)
    }
}

impl std::ops::Deref for Mapped {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Mapped::Map(m) => m,
            Mapped::Read(v) => v,
        }
    }
}

/// Sniffs the format from the first bytes.
pub fn sniff(data: &[u8]) -> SampleFormat {
    match data {
        [b'M', b'Z', ..] => SampleFormat::Pe,
        [0x7f, b'E', b'L', b'F', ..] => SampleFormat::Elf,
        [0xca, 0xfe, 0xba, 0xbe, ..] | [0xca, 0xfe, 0xba, 0xbf, ..] => {
            // Java class files share the magic; a fat header has a small arch count.
            match data.get(4..8) {
                Some(n) if u32::from_be_bytes([n[0], n[1], n[2], n[3]]) < 32 => {
                    SampleFormat::MachoFat
                }
                _ => SampleFormat::Unknown,
            }
        }
        [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] => {
            SampleFormat::Macho
        }
        _ => SampleFormat::Unknown,
    }
}

/// Triage with default options.
pub fn triage(name: &str, data: &[u8]) -> Triage {
    triage_with(name, data, TriageOptions::default())
}

/// Runs a parser, turning a panic inside a parsing library into a warning.
fn guarded(data: &[u8], f: fn(&[u8]) -> Parsed) -> Parsed {
    match std::panic::catch_unwind(|| f(data)) {
        Ok(p) => p,
        Err(_) => Parsed {
            warnings: vec![Warning::new(
                WarningCode::ParseError,
                "the parser failed on malformed input; structure is missing",
            )],
            ..Parsed::default()
        },
    }
}

/// Inputs from this size on are triaged in parallel (rayon): digests, fuzzy hashes and
/// analysis side by side.
const PARALLEL_FROM: usize = 1 << 20;

/// `(a(), b())`, side by side on the rayon pool when `parallel`.
fn both<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if parallel {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}

/// Triage of one sample: `name` is only a label, `data` the whole file.
pub fn triage_with(name: &str, data: &[u8], options: TriageOptions) -> Triage {
    triage_inner(name, data, options, false).0
}

/// [`triage_with`], also giving every string triage read (all of them, before the junk
/// filter and the cap on listed strings), as the IOC extractor reads an executable
/// ([`crate::sample::strings::scan`]'s text), so that a caller scanning the sample for
/// IOCs need not read it again.
pub fn triage_with_strings(
    name: &str,
    data: &[u8],
    options: TriageOptions,
) -> (Triage, strings::Text) {
    triage_inner(name, data, options, true)
}

fn triage_inner(
    name: &str,
    data: &[u8],
    options: TriageOptions,
    keep_strings: bool,
) -> (Triage, strings::Text) {
    let parallel = data.len() >= PARALLEL_FROM;
    // Four tasks of similar weight; rayon balances them over the available threads.
    let (((md5, sha1, sha256), (sha512, ssdeep)), (tlsh, (mut t, text))) = both(
        parallel,
        || {
            both(
                parallel,
                || {
                    (
                        hex(&Md5::digest(data)),
                        hex(&Sha1::digest(data)),
                        hex(&Sha256::digest(data)),
                    )
                },
                || (hex(&Sha512::digest(data)), fuzzy::ssdeep(data)),
            )
        },
        || {
            both(
                parallel,
                || fuzzy::tlsh(data),
                || analyse(name, data, options, parallel, keep_strings),
            )
        },
    );
    t.hashes = Hashes {
        md5,
        sha1,
        sha256,
        sha512,
        ssdeep,
        tlsh,
    };
    (t, text)
}

/// Runs the parser of `format` over `data`, then fills in the entropy of every section and
/// resource under one [`EntropyBudget`].
pub fn parse(data: &[u8], format: SampleFormat) -> Parsed {
    let mut parsed = match format {
        SampleFormat::Pe => guarded(data, pe::parse),
        SampleFormat::Elf => guarded(data, elf::parse),
        SampleFormat::Macho | SampleFormat::MachoFat => guarded(data, macho::parse),
        SampleFormat::Unknown => Parsed {
            warnings: vec![Warning::new(
                WarningCode::FormatUnknown,
                "not a PE, ELF or Mach-O file",
            )],
            ..Parsed::default()
        },
    };
    let mut budget = EntropyBudget::new(data);
    for s in &mut parsed.sections {
        s.entropy = budget.of(s.raw_offset, s.raw_size);
    }
    if let Some(pe) = &mut parsed.pe {
        for r in &mut pe.resources {
            r.entropy = budget.of(r.offset, r.size);
        }
    }
    if budget.estimated > 0 {
        parsed.warnings.push(Warning::new(
            WarningCode::Estimated,
            format!(
                "sections and resources cover the file more than {ENTROPY_READS} times over: the \
             entropy of {} of them is estimated from their first {} KiB",
                budget.estimated,
                ENTROPY_SAMPLE >> 10
            ),
        ));
    }
    parsed
}

/// Bytes the entropies of one file may read, as a multiple of its size (see
/// [`EntropyBudget`]).
const ENTROPY_READS: u64 = 4;
/// Bytes the entropies may read whatever the file size.
const ENTROPY_FLOOR: u64 = 16 << 20;
/// Bytes a range's entropy is estimated from once the budget is spent.
const ENTROPY_SAMPLE: u64 = 4 << 10;

/// Entropy of the sections and resources of one file. A real file covers each byte once or
/// twice (a section, a resource inside it); a crafted one can declare tens of thousands of
/// sections or resources over the same bytes, which read one by one would take minutes. So
/// a range already read is not read again, and once [`ENTROPY_READS`] times the file size
/// has been read, each further range's entropy comes from its first [`ENTROPY_SAMPLE`]
/// bytes.
pub struct EntropyBudget<'a> {
    data: &'a [u8],
    left: u64,
    seen: std::collections::HashMap<(u64, usize), f64>,
    /// Ranges whose entropy was estimated from a sample.
    pub estimated: usize,
}

impl<'a> EntropyBudget<'a> {
    /// A budget for the ranges of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        EntropyBudget {
            data,
            left: (data.len() as u64)
                .saturating_mul(ENTROPY_READS)
                .saturating_add(ENTROPY_FLOOR),
            seen: std::collections::HashMap::new(),
            estimated: 0,
        }
    }

    /// Entropy of `len` bytes at `offset`, clamped to the file.
    pub fn of(&mut self, offset: u64, len: u64) -> f64 {
        let bytes = slice(self.data, offset, len);
        let key = (offset, bytes.len());
        if let Some(&e) = self.seen.get(&key) {
            return e;
        }
        let n = bytes.len() as u64;
        let e = if n <= self.left {
            self.left -= n;
            entropy(bytes)
        } else {
            self.estimated += 1;
            entropy(&bytes[..bytes.len().min(ENTROPY_SAMPLE as usize)])
        };
        self.seen.insert(key, e);
        e
    }
}

/// Everything but the digests (filled in by [`triage_with`]); the crypto constants beside
/// the strings and the IOCs beside the behaviours when `parallel`.
fn analyse(
    name: &str,
    data: &[u8],
    options: TriageOptions,
    parallel: bool,
    keep_strings: bool,
) -> (Triage, strings::Text) {
    let format = sniff(data);
    let mut parsed = parse(data, format);
    let beyond: Vec<&str> = parsed
        .sections
        .iter()
        .filter(|s| s.raw_size > 0 && s.raw_offset.saturating_add(s.raw_size) > data.len() as u64)
        .map(|s| s.name.as_str())
        .collect();
    if !beyond.is_empty() {
        let msg = format!(
            "truncated: section data past the end of the file ({})",
            beyond.join(", ")
        );
        parsed
            .warnings
            .push(Warning::new(WarningCode::InputTruncated, msg));
    }
    let regions = Regions::of(&parsed, data);
    let code: Vec<&str> = parsed
        .sections
        .iter()
        .filter(|s| s.x)
        .map(Section::label)
        .collect();
    let (crypto_constants, (scan, iocs, all_strings)) = both(
        parallel,
        || crypto::find(data, &regions),
        || strings_and_iocs(name, data, options, &regions, &code, parallel, keep_strings),
    );
    if scan.dropped > 0 {
        parsed.warnings.push(Warning::new(
            WarningCode::SizeLimit,
            format!(
                "more than {} text strings: {} not listed, the rest sampled across the file \
             (behaviours do not see those left out; the IOC engine does)",
                strings::MAX_STRINGS,
                scan.dropped
            ),
        ));
    }
    // Text inside the certificate table is the certificates' (CA URLs, policy texts), not
    // the program's; debugging information, the COFF symbol table and an ELF file's static
    // symbol table name the source's variables, functions and files (libgfortran's
    // `xor_keys` array, a statically linked OpenSSL's `EVP_EncryptInit_ex`) and are never
    // loaded: behaviours and techniques read none of them.
    let certificate = parsed.pe.as_ref().and_then(|p| p.certificate_table);
    let symbols = parsed.pe.as_ref().and_then(|p| p.symbol_table);
    let inside = |range: Option<(u64, u64)>, offset: u64| {
        range.is_some_and(|(at, len)| offset >= at && offset - at < len)
    };
    let unread: Vec<&str> = parsed
        .sections
        .iter()
        .filter(|s| s.is_debug_info() || s.is_symbol_table())
        .map(Section::label)
        .collect();
    let in_unread_section =
        |s: &FoundString| s.section.as_deref().is_some_and(|n| unread.contains(&n));
    // A PE's own export names (its export table) that are API names are not names it
    // resolves, and an API it imports and exports under one name (wine's `kernel32.dll`
    // over `kernelbase.dll`, a hooking library) is one it forwards or wraps: neither is a
    // sign of what the module does. Export names that are no API (`ReflectiveLoader`)
    // stay for the techniques' string rules. An ELF file's exports count alike only where
    // they are names of the Windows API, which start with a capital letter (wine's
    // `ntdll.so`, the Unix side of its `ntdll.dll`, exports 267 `Nt*` functions): a shared
    // object that exports the C library's `readdir` and looks the real one up with `dlsym`
    // is an LD_PRELOAD hook.
    let own: rustc_hash::FxHashSet<&str> = parsed
        .pe
        .iter()
        .flat_map(|p| &p.exports)
        .map(String::as_str)
        .collect();
    // (`parsed.exports` holds an ELF file's exports only)
    let own_api: rustc_hash::FxHashSet<&str> = behavior::implemented_exports(
        parsed.pe.as_ref().map_or(&[][..], |p| &p.exports),
        &parsed.exports,
    )
    .collect();
    let names_an_api = |v: &str| behavior::api_table().apis.contains_key(&behavior::fold(v));
    let bound = python_bindings(&own, &scan.strings);
    // (asked only of a Python extension module's strings and imports)
    let is_bound = |name: &str| bound.contains(&behavior::fold(name));
    let no_resources = Vec::new();
    let res = parsed.pe.as_ref().map_or(&no_resources, |p| &p.resources);
    let toolchains = toolchain::detect(&toolchain::Input {
        data,
        pe: format == SampleFormat::Pe,
        sections: &parsed.sections,
        imports: &parsed.imports,
        strings: &scan.strings,
        resources: res,
    });
    // The Go runtime's imports are in every Go program: no sign of what this one does
    // (when the import table is the one Go's linker writes, not only a Go marker in the
    // strings). A layer of the Windows API (it exports a broad slice of it) implements
    // what it exports with the layer below: its imports of those categories are no sign
    // either, nor are a system-call layer's system calls (it imports a hundred and more of
    // them to pass calls on). None counts as imports nor as the names the import table
    // spells them with.
    let not_behaviour = behavior::NotBehaviour::of(
        toolchains.iter().any(|t| t.name == "go"),
        &parsed.imports,
        own_api.iter().copied(),
    );
    let not_behaviour_names: rustc_hash::FxHashSet<&str> = parsed
        .imports
        .iter()
        .filter(|i| not_behaviour.covers(i))
        .filter_map(|i| i.name.as_deref())
        .collect();
    let not_the_programs = |s: &FoundString| {
        let v = s.value.trim();
        inside(certificate, s.offset)
            || inside(symbols, s.offset)
            || in_unread_section(s)
            || (own_api.contains(v) && names_an_api(v))
            || not_behaviour_names.contains(v)
            || (!bound.is_empty() && (is_bound(v) || argument_format(v).is_some_and(is_bound)))
    };
    // copies only where something is left out (most files keep every string and import)
    let program_strings: Vec<FoundString>;
    let behaviour_strings: &[FoundString] = if scan.strings.iter().any(not_the_programs) {
        program_strings = scan
            .strings
            .iter()
            .filter(|s| !not_the_programs(s))
            .cloned()
            .collect();
        &program_strings
    } else {
        &scan.strings
    };
    let is_wrapped = |i: &Import| {
        not_behaviour.covers(i)
            || i.name
                .as_deref()
                .is_some_and(|n| own_api.contains(n) || (!bound.is_empty() && is_bound(n)))
    };
    let wrapped: Vec<Import>;
    let behaviour_imports: &[Import] = if parsed.imports.iter().any(is_wrapped) {
        wrapped = parsed
            .imports
            .iter()
            .filter(|i| !is_wrapped(i))
            .cloned()
            .collect();
        &wrapped
    } else {
        &parsed.imports
    };
    let mut behavior = behavior::analyse(behaviour_imports, behaviour_strings, format);
    let techniques = behavior::techniques(
        &behavior::Facts {
            imports: behaviour_imports,
            strings: behaviour_strings,
            exports: &parsed.exports,
            resources: res,
        },
        &behavior,
        format,
    );
    let iocs = match certificate {
        Some(range) => certificate_iocs(data, iocs, range),
        None => iocs,
    };
    // What the toolchain says is not an indicator: .NET type and namespace names and
    // assembly versions (`System.Net`, `4.0.0.0`), Crystal source files (`client.cr`).
    let dotnet_names = parsed
        .pe
        .as_ref()
        .and_then(|p| p.dotnet.as_ref())
        .map(dotnet::identifiers);
    let crystal = toolchains.iter().any(|t| t.name == "crystal");
    // Go symbols (`runtime.gopark`, `time.Now`) in a Go binary, unless a URL or e-mail
    // address of the file names the host.
    let go = toolchains.iter().any(|t| t.name == "go");
    let hosts: std::collections::BTreeSet<&str> = if go {
        iocs.iter()
            .filter(|i| matches!(i.kind, IocKind::Url | IocKind::Email))
            .filter_map(|i| url_or_mail_host(&i.value))
            .collect()
    } else {
        Default::default()
    };
    let go_symbol = |i: &SampleIoc| {
        go && !hosts.contains(i.value.as_str())
            && i.sightings.iter().all(|s| {
                let raw = usize::try_from(s.offset)
                    .ok()
                    .and_then(|at| data.get(at..at.saturating_add(i.value.len())))
                    .unwrap_or_default();
                s.encoding != Encoding::Utf16le && toolchain::go_symbol(&i.value, raw)
            })
    };
    let go_symbols: std::collections::BTreeSet<String> = iocs
        .iter()
        .filter(|i| i.kind == IocKind::Domain && go_symbol(i))
        .map(|i| i.value.clone())
        .collect();
    let iocs: Vec<SampleIoc> = iocs
        .into_iter()
        .filter(|i| match i.kind {
            IocKind::Domain => {
                !(dotnet_names.as_ref().is_some_and(|n| n.contains(&i.value))
                    || crystal && i.value.ends_with(".cr")
                    || go_symbols.contains(&i.value))
            }
            IocKind::Ipv4 => !dotnet_names.as_ref().is_some_and(|n| n.contains(&i.value)),
            _ => true,
        })
        .collect();
    let packer = behavior::packer(&parsed, format);
    let mut techniques = techniques;
    if let Some(t) = behavior::packing_technique(&packer) {
        let at = techniques.partition_point(|x| x.id < t.id);
        techniques.insert(at, t);
    }
    let (strings, junk_strings, strings_dropped) = (scan.strings, scan.junk, scan.dropped);
    behavior.sort();
    let mut triage = Triage {
        name: name.to_string(),
        size: data.len() as u64,
        hashes: Hashes::default(),
        format,
        arch: parsed.arch,
        bitness: parsed.bitness,
        pe: parsed.pe,
        elf: parsed.elf,
        macho: parsed.macho,
        sections: parsed.sections,
        imports: parsed.imports,
        behavior,
        packer,
        toolchains,
        techniques,
        iocs,
        crypto_constants,
        strings,
        junk_strings,
        strings_dropped,
        warnings: parsed.warnings,
        mutexes: Vec::new(),
        classes: Vec::new(),
        verdict: verdict::Verdict::default(),
    };
    triage.mutexes = crate::findings::mutex::names(&triage, &std::collections::BTreeSet::new());
    triage.classes = classes::hints(&triage);
    triage.verdict = verdict::judge(&triage, &triage.classes);
    (triage, all_strings)
}

/// The APIs a Python extension module (it exports `PyInit_<module>`) hands to Python
/// scripts, folded ([`behavior::fold`]): the function names of its argument formats that
/// name an API (`OOnOOk:CreateRemoteThread`, `OO|OkO:InternetOpenUrl`, the text
/// `PyArg_ParseTuple` reports errors with). pywin32's `win32process` binds
/// `CreateRemoteThread` and imports `VirtualAllocEx` for its scripts; neither says what the
/// module itself does. Empty for any other module.
fn python_bindings(
    exports: &rustc_hash::FxHashSet<&str>,
    strings: &[FoundString],
) -> rustc_hash::FxHashSet<String> {
    if !exports.iter().any(|e| e.starts_with("PyInit_")) {
        return Default::default();
    }
    let apis = &behavior::api_table().apis;
    strings
        .iter()
        .filter_map(|s| argument_format(s.value.trim()))
        .map(behavior::fold)
        .filter(|n| apis.contains_key(n))
        .collect()
}

/// The function name of a Python argument format (`OOs#:WriteProcessMemory`, `:GetVersion`,
/// `|k:CreateUrlCacheGroup`): format units before the colon, an identifier after it.
fn argument_format(value: &str) -> Option<&str> {
    let (units, name) = value.rsplit_once(':')?;
    let unit = |c: char| "bBhHiIlkLKncCfdDOpsSyYzZuUwet#*&!|$()[]{};".contains(c);
    let identifier = name.len() >= 3
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (units.len() <= 32 && units.chars().all(unit) && identifier).then_some(name)
}

/// The host of a URL (`scheme://host[:port]/...`) or e-mail address, lower-case as IOC
/// values are.
fn url_or_mail_host(value: &str) -> Option<&str> {
    if let Some((_, rest)) = value.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority.rsplit('@').next()?;
        return host.split(':').next();
    }
    value.rsplit_once('@').map(|(_, h)| h)
}

/// The strings of `data` and, unless `options` turn them off, the IOCs in them. When
/// `parallel`, the IOC engine reads each stretch of text on a thread of its own while the
/// scan goes on (a pipeline two stretches deep, so memory stays bounded); the stretches
/// are read in order either way, so the result is the same.
fn strings_and_iocs(
    name: &str,
    data: &[u8],
    options: TriageOptions,
    regions: &Regions,
    code: &[&str],
    parallel: bool,
    keep_strings: bool,
) -> (strings::Scan, Vec<SampleIoc>, strings::Text) {
    let min_len = options.min_string_len;
    let mut all = strings::Text::default();
    let mut keep = |text: &strings::Text| {
        if keep_strings {
            all.append(text);
        }
    };
    if !options.iocs {
        let scan = strings::scan(data, min_len, regions, code, &mut keep);
        return (scan, Vec::new(), all);
    }
    let extractor = PlainText::default();
    if !parallel {
        let mut set = IocSet::new(MAX_SIGHTINGS);
        let scan = strings::scan(data, min_len, regions, code, |text| {
            keep(text);
            add_iocs(name, &extractor, text, regions, &mut set);
        });
        return (scan, sample_iocs(set), all);
    }
    let extractor = &extractor;
    let (scan, iocs) = std::thread::scope(|s| {
        let (send, receive) = std::sync::mpsc::sync_channel::<strings::Text>(2);
        let reader = s.spawn(move || {
            let mut set = IocSet::new(MAX_SIGHTINGS);
            for text in receive {
                add_iocs(name, extractor, &text, regions, &mut set);
            }
            sample_iocs(set)
        });
        let scan = strings::scan(data, min_len, regions, code, |text| {
            keep(text);
            // A reader that is gone has panicked: its join below says so.
            let _ = send.send(text.clone());
        });
        drop(send);
        match reader.join() {
            Ok(iocs) => (scan, iocs),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    });
    (scan, iocs, all)
}

/// File ranges of sections, to name the section holding an offset, and of the data
/// tables that libraries embed ([`Regions::with_tables`]) and the images of picture
/// resources ([`Regions::with_pictures`]), whose strings are not the program's.
#[derive(Debug, Default)]
pub struct Regions {
    ranges: Vec<(u64, u64, String)>,
    tables: Vec<(u64, u64)>,
}

impl Regions {
    /// Ranges of the sections with bytes in the file, sorted by start.
    pub fn new(sections: &[Section]) -> Self {
        let mut ranges: Vec<(u64, u64, String)> = sections
            .iter()
            .filter(|s| s.raw_size > 0)
            .map(|s| {
                (
                    s.raw_offset,
                    s.raw_offset.saturating_add(s.raw_size),
                    s.label().to_string(),
                )
            })
            .collect();
        ranges.sort();
        Regions {
            ranges,
            tables: Vec::new(),
        }
    }

    /// The regions of a parsed file: its sections, its embedded tables and its pictures.
    pub fn of(parsed: &Parsed, data: &[u8]) -> Self {
        let pictures = parsed.pe.as_ref().map_or(&[][..], |pe| &pe.resources);
        Regions::new(&parsed.sections)
            .with_tables(data)
            .with_pictures(data, pictures)
    }

    /// These regions with the file ranges of the tables of `data/embedded-tables.txt`
    /// found in `data` (Brotli's dictionary), where strings are dropped as junk.
    pub fn with_tables(mut self, data: &[u8]) -> Self {
        for table in crate::tables::embedded_tables() {
            for at in memchr::memmem::find_iter(data, &table.start) {
                let at = at as u64;
                self.tables.push((at, at.saturating_add(table.len)));
            }
        }
        self.merge_tables();
        self
    }

    /// These regions with the images of the picture resources among `resources` (icons,
    /// cursors, bitmaps, PNG, JPEG and GIF images whose bytes are what they say;
    /// [`resources::picture_len`]), where strings are dropped as junk: runs of pixel bytes
    /// that read as text (`o.ga`, `23.iq` in MFC's toolbar images) are not the program's.
    /// Bytes appended after an image are not covered.
    pub fn with_pictures(mut self, data: &[u8], resources: &[resources::Resource]) -> Self {
        for r in resources {
            let bytes = slice(data, r.offset, r.size);
            if let Some(len) = resources::picture_len(&r.kind, bytes).filter(|&n| n > 0) {
                self.tables
                    .push((r.offset, r.offset.saturating_add(len as u64)));
            }
        }
        self.merge_tables();
        self
    }

    /// Sorts the junk ranges and merges those that overlap, so that [`Regions::in_table`]
    /// need only ask the last range starting at or before an offset (a picture inside
    /// another resource's range would otherwise hide the larger one).
    fn merge_tables(&mut self) {
        self.tables.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.tables.len());
        for &(start, end) in &self.tables {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        self.tables = merged;
    }

    /// Whether file offset `offset` lies inside an embedded table or a picture.
    pub fn in_table(&self, offset: u64) -> bool {
        let i = self.tables.partition_point(|t| t.0 <= offset);
        i > 0 && offset < self.tables[i - 1].1
    }

    /// The section holding file offset `offset`.
    pub fn section_of(&self, offset: u64) -> Option<&str> {
        let i = self.ranges.partition_point(|r| r.0 <= offset);
        self.ranges[..i]
            .iter()
            .rev()
            .take(4)
            .find(|r| offset < r.1)
            .map(|r| r.2.as_str())
    }
}

/// IOCs seen inside the certificate table: a URL there is an IA5String of known length
/// (tag `0x86` or `0x16`, then a short length), so what the text scanner read past that
/// length (the next DER bytes) is cut off; each such IOC is marked `certificate` (the CA's
/// CRL and OCSP addresses, not the program's).
fn certificate_iocs(data: &[u8], iocs: Vec<SampleIoc>, (at, len): (u64, u64)) -> Vec<SampleIoc> {
    let inside = |o: u64| o >= at && o - at < len;
    let mut out: Vec<SampleIoc> = Vec::with_capacity(iocs.len());
    for mut ioc in iocs {
        if ioc.sightings.is_empty() || !ioc.sightings.iter().all(|s| inside(s.offset)) {
            out.push(ioc);
            continue;
        }
        ioc.origin = Some("certificate".into());
        if ioc.kind == IocKind::Url {
            let first = ioc.sightings[0].offset;
            let der = usize::try_from(first)
                .ok()
                .filter(|&o| o >= 2)
                .and_then(|o| Some((*data.get(o - 2)?, *data.get(o - 1)?)));
            if let Some((0x86 | 0x16, n)) = der {
                let n = usize::from(n);
                if n < 0x80 && n < ioc.value.len() && ioc.value.is_char_boundary(n) {
                    ioc.value.truncate(n);
                }
            }
        }
        match out
            .iter_mut()
            .find(|o| o.kind == ioc.kind && o.value == ioc.value)
        {
            Some(same) => {
                same.sightings.extend(ioc.sightings);
                same.sightings.sort_by_key(|s| s.offset);
                same.sightings.dedup();
                same.sightings.truncate(MAX_SIGHTINGS);
            }
            None => out.push(ioc),
        }
    }
    out
}

/// Sightings kept per IOC.
const MAX_SIGHTINGS: usize = 10;
/// Sightings per IOC of one stretch of the strings (as `spoor extract` keeps by default).
const EXTRACT_SIGHTINGS: usize = 10;

/// IOCs from one stretch of the strings: the extractor runs over the strings joined by NUL
/// bytes, and each sighting is mapped back to its string's file offset, encoding and
/// section (kept in the sighting's `field` until [`sample_iocs`]).
fn add_iocs(
    name: &str,
    extractor: &PlainText,
    text: &strings::Text,
    regions: &Regions,
    set: &mut IocSet,
) {
    for ioc in extractor.iocs(name, &text.bytes, EXTRACT_SIGHTINGS) {
        let defanged = ioc.flags.defanged;
        let notes = ioc.flags.notes;
        for sighting in ioc.sightings {
            let Some((offset, string, encoding)) = sighting.offset.and_then(|p| text.locate(p))
            else {
                continue;
            };
            // an address's port goes back into the value, as the scanner wrote it
            set.add(
                ioc.kind,
                crate::ioc::join_port(ioc.kind, &ioc.value, sighting.port).into_owned(),
                defanged,
                notes,
                Sighting {
                    offset: Some(offset),
                    field: regions.section_of(string).map(str::to_string),
                    encoding,
                    ..sighting
                },
            );
        }
    }
}

/// The IOCs gathered by [`add_iocs`], sorted as the extractor sorts them.
fn sample_iocs(set: IocSet) -> Vec<SampleIoc> {
    // an address keeps its port in its value here (`192.0.2.1:443`, one per port)
    set.into_raw_stream()
        .map(|ioc| SampleIoc {
            kind: ioc.kind,
            value: ioc.value,
            origin: None,
            intel: Vec::new(),
            sightings: ioc
                .sightings
                .into_iter()
                .map(|s| IocSighting {
                    offset: s.offset.unwrap_or(0),
                    section: s.field,
                    encoding: s.encoding,
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `Go build ID` string alone hides no import: a C program's `CreateFileA` and
    /// `WriteFile` (or `SetThreadContext`) stay its behaviour unless its import table is the
    /// one Go's linker writes (`behavior::is_go_runtime_table`).
    #[test]
    fn a_go_marker_alone_hides_no_import() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/benign/built/backupd_x64.exe"
        );
        let mut data = std::fs::read(path).expect("corpus sample");
        data.extend_from_slice(b"\0Go build ID: \"aaaa/bbbb/cccc/dddd\"\0");
        let t = triage("backupd_go.exe", &data);
        assert!(t.toolchains.iter().any(|t| t.name == "go"));
        let imports: Vec<&String> = t
            .behavior
            .categories
            .iter()
            .flat_map(|c| &c.imports)
            .collect();
        for api in ["kernel32.dll!CreateFileA", "kernel32.dll!WriteFile"] {
            assert!(imports.iter().any(|a| *a == api), "{api} in {imports:?}");
        }
    }

    /// A junk range inside a larger one (a picture inside an embedded table's bytes)
    /// leaves the larger one whole: offsets past the inner range's end are still inside.
    #[test]
    fn nested_junk_ranges_are_merged() {
        let mut regions = Regions {
            tables: vec![(10, 20), (0, 100), (150, 160), (155, 170), (300, 301)],
            ..Regions::default()
        };
        regions.merge_tables();
        assert_eq!(regions.tables, [(0, 100), (150, 170), (300, 301)]);
        for inside in [0, 15, 50, 99, 150, 165, 300] {
            assert!(regions.in_table(inside), "{inside}");
        }
        for outside in [100, 149, 170, 299, 301] {
            assert!(!regions.in_table(outside), "{outside}");
        }
    }
}
