//! What static triage finds in one sample: the [`Triage`] record and the words it is made
//! of (format, hashes, sections, imports, behaviours, techniques, packing, verdict, ...).
//!
//! The sample reader (`crate::sample`) fills these in; the exports, the report and the
//! rules read them. Only the data and the names it is written with live here: how each
//! field is found stays with the reader.

use super::classes::ClassHint;
use super::mutex::MutexName;
use super::Confidence;
use crate::error::Warning;
use crate::ioc::{Encoding, IocKind};
use serde::Serialize;

pub use super::executable::{ElfInfo, MachoSlice, PeInfo};

vocabulary! {
    /// What kind of executable a sample is.
    pub enum SampleFormat {
        /// Windows Portable Executable (EXE, DLL, driver).
        Pe => "pe",
        /// ELF (Linux and other Unix systems).
        Elf => "elf",
        /// A single-architecture Mach-O file.
        Macho => "macho",
        /// A universal (fat) Mach-O file holding several slices.
        MachoFat => "macho-fat",
        /// Not recognised as any of the above.
        Unknown => "unknown",
    }
}

/// Digests of the whole file: cryptographic (lower-case hex) and similarity hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Hashes {
    /// MD5.
    pub md5: String,
    /// SHA-1.
    pub sha1: String,
    /// SHA-256.
    pub sha256: String,
    /// SHA-512.
    pub sha512: String,
    /// ssdeep (`blocksize:hash1:hash2`, as the `ssdeep` tool prints it).
    pub ssdeep: String,
    /// TLSH (`T1` + 70 hex digits); `None` for inputs TLSH declines (under 50 bytes or too
    /// uniform).
    pub tlsh: Option<String>,
}

/// One section (PE section, ELF section, Mach-O section) with where it lies in the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Section name as written (Mach-O: `segment,section`; fat slices prefixed `arch:`).
    pub name: String,
    /// PE: the name a header's `/N` stands for, read from the COFF string table (mingw's
    /// `/19` is `.debug_info`), as YARA's `full_name`; `None` for names written whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub long_name: Option<String>,
    /// Virtual address (PE: RVA).
    pub virtual_address: u64,
    /// Size in memory.
    pub virtual_size: u64,
    /// File offset of the section's bytes.
    pub raw_offset: u64,
    /// Size of the section's bytes in the file (0 for BSS-like sections).
    pub raw_size: u64,
    /// Entropy of the section's bytes in the file, bits per byte.
    pub entropy: f64,
    /// Readable.
    pub r: bool,
    /// Writable.
    pub w: bool,
    /// Executable.
    pub x: bool,
    /// Writable and executable at once.
    pub wx: bool,
}

/// One imported function (or symbol, for ELF and Mach-O).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Import {
    /// The library it comes from (PE: the DLL name as written; ELF: empty when unknown).
    pub library: String,
    /// The function name, or `None` for an import by ordinal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The ordinal, for PE imports by ordinal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u16>,
    /// A PE delay-load import (not part of the imphash, as in pefile).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub delay: bool,
}

impl Import {
    /// `library!name` (or `library!#ordinal`), as evidence is written.
    pub fn label(&self) -> String {
        let lib = if self.library.contains('/') {
            self.library.clone()
        } else {
            self.library.to_ascii_lowercase()
        };
        match (&self.name, self.ordinal) {
            (Some(n), _) if lib.is_empty() => n.clone(),
            (Some(n), _) => format!("{lib}!{n}"),
            (None, Some(o)) => format!("{lib}!#{o}"),
            (None, None) => lib,
        }
    }
}

/// An IOC found in the sample, with where it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SampleIoc {
    /// IOC type.
    #[serde(rename = "type")]
    pub kind: IocKind,
    /// Normalised value.
    pub value: String,
    /// Places it was seen (capped at 10).
    pub sightings: Vec<IocSighting>,
    /// Where the text comes from when it is not the program's own: `certificate` (every
    /// sighting inside the Authenticode certificate table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// What the analyst's intelligence feeds know about it (`--intel`); absent when nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub intel: Vec<crate::ioc::IntelHit>,
}

/// One place an IOC was seen in a sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IocSighting {
    /// File offset.
    pub offset: u64,
    /// Section holding the offset, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// How the text was encoded.
    pub encoding: Encoding,
}

/// The triage report of one sample.
#[derive(Debug, Clone, Serialize)]
pub struct Triage {
    /// The name the caller gave (usually the path).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// Whole-file digests.
    pub hashes: Hashes,
    /// File format.
    pub format: SampleFormat,
    /// Architecture (`x86`, `x86_64`, `arm64`, ...; fat Mach-O: slices joined with `+`).
    pub arch: String,
    /// 32 or 64 (0 when unknown or mixed).
    pub bitness: u8,
    /// PE facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe: Option<PeInfo>,
    /// ELF facts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elf: Option<ElfInfo>,
    /// Mach-O slices.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub macho: Vec<MachoSlice>,
    /// Sections, in file order of the headers.
    pub sections: Vec<Section>,
    /// Imports (PE imports; ELF undefined dynamic symbols; Mach-O bound symbols).
    pub imports: Vec<Import>,
    /// What the imports and strings say the sample does.
    pub behavior: Behavior,
    /// Packing verdict with reasons.
    pub packer: PackerVerdict,
    /// How the sample was built: compiler, language runtime, packager, installer (see
    /// [`crate::sample::toolchain`]).
    pub toolchains: Vec<Toolchain>,
    /// ATT&CK techniques with evidence.
    pub techniques: Vec<Technique>,
    /// IOCs found in the file, each sighting with its section.
    pub iocs: Vec<SampleIoc>,
    /// Mutex names among the strings (see [`crate::findings::mutex`]); absent from JSON when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mutexes: Vec<MutexName>,
    /// Well-known cryptographic constants (AES S-box, SHA-256 K, ...), in file order.
    pub crypto_constants: Vec<CryptoConstant>,
    /// Strings found (ASCII and UTF-16LE; ASCII first, each in file order), without junk.
    pub strings: Vec<FoundString>,
    /// Strings dropped as junk (see [`crate::sample::strings::is_junk`]); the IOC engine still saw them.
    pub junk_strings: usize,
    /// Text strings not listed because there were more than [`crate::sample::strings::MAX_STRINGS`]
    /// (a warning says so); absent from JSON when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub strings_dropped: usize,
    /// What could not be parsed or was left out, with codes.
    pub warnings: Vec<Warning>,
    /// Which kinds of malware the behaviours point to (empty: no class), see [`crate::sample::classes`].
    pub classes: Vec<ClassHint>,
    /// The weighed verdict and its reason, see [`crate::sample::verdict`].
    pub verdict: Verdict,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One behaviour category with the APIs of the sample that fall in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Category name (`process-injection`, `registry`, ...).
    pub name: String,
    /// Imports in this category, as `dll!Name`, sorted.
    pub imports: Vec<String>,
    /// API names in this category found only as strings, sorted.
    pub resolved: Vec<String>,
    /// `low`, `medium` or `high`, from how many of its APIs are not common in benign
    /// programs (`data/behavior-confidence.txt`).
    pub confidence: Confidence,
    /// Why that confidence: the count of APIs, and which are common.
    pub reason: String,
}

/// An API name present as a string but not imported: probably resolved at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DynamicApi {
    /// The name as written.
    pub name: String,
    /// Its categories.
    pub categories: Vec<String>,
    /// File offset of the string.
    pub offset: u64,
    /// Encoding of the string.
    pub encoding: Encoding,
}

/// Imports grouped by behaviour, and APIs resolved at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Behavior {
    /// Categories with at least one API, in table order.
    pub categories: Vec<Category>,
    /// API names present as strings but not imported.
    pub dynamic_apis: Vec<DynamicApi>,
}

vocabulary! {
    /// What kind of fact triggered a technique. Declared in the order of the names, so that
    /// evidence sorts by its kind's name.
    pub enum EvidenceKind {
        /// A function the sample exports (an ELF shared object's hook of a C library
        /// function).
        Export => "export",
        /// An imported function (`dll!Function`).
        Import => "import",
        /// A packing sign (`data/packers.txt`).
        Packer => "packer",
        /// An API name found as a string, not imported: probably resolved at run time.
        Resolved => "resolved",
        /// A resource (its name; its tags matched).
        Resource => "resource",
        /// A string of the sample.
        String => "string",
    }
}

/// What triggered a technique.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    /// What kind of fact it is.
    pub kind: EvidenceKind,
    /// `dll!Function` for imports, the string for strings.
    pub value: String,
    /// File offset of a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Encoding of a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<Encoding>,
}

/// An ATT&CK technique the sample shows signs of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Technique {
    /// Technique id (`T1055`, `T1547.001`).
    pub id: String,
    /// Technique name from the embedded list.
    pub name: String,
    /// `low` when benign software commonly shows the same sign, else `medium` or `high`.
    pub confidence: Confidence,
    /// What triggered it.
    pub evidence: Vec<Evidence>,
}

vocabulary! {
    /// Whether a sample looks packed (`data/packers.txt`: packer section names, entropy and
    /// layout signs).
    pub enum Packing {
        /// A packer is named, or three weak signs hold.
        Packed => "packed",
        /// Two weak signs hold.
        PossiblyPacked => "possibly packed",
        /// Fewer signs.
        NotPacked => "not packed",
    }
}

vocabulary! {
    /// The weighed verdict on a sample; `data/verdict-weights.txt` says when each is
    /// reached, strongest first.
    pub enum SampleVerdict {
        /// The score and the number of signs of the strongest verdict line.
        MaliciousLooking => "malicious-looking",
        /// The score and the number of signs of the next line.
        Suspicious => "suspicious",
        /// Not enough signs for any verdict line.
        NoStrongSigns => "no strong signs",
    }
}

/// Packing verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackerVerdict {
    /// `packed`, `possibly packed` or `not packed`.
    pub verdict: Packing,
    /// Packers named by section names.
    pub packers: Vec<String>,
    /// Why.
    pub reasons: Vec<String>,
}

/// One toolchain a sample shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    /// `msvc`, `mingw`, `go`, `rust`, `delphi`, `dotnet`, `nim`, `pyinstaller`, `autoit`,
    /// `nsis`, `inno-setup`; from ELF and Mach-O build records also `gcc`, `clang`,
    /// `swift`, `ld`, `lld`, `mold` (any linker an ELF `.comment` names).
    pub name: String,
    /// `compiler`, `runtime`, `packager`, `installer` or `linker`.
    pub kind: String,
    /// The version the file records (`go1.22.1`, `14.29.30133`, `v4.0.30319`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// More about the build: the Visual Studio release, the Go build id, the Rust commit,
    /// the Python version a PyInstaller archive needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// What named it.
    pub evidence: Vec<String>,
}

/// One crypto constant found in a sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CryptoConstant {
    /// What it is (`aes-sbox`, `sha256-k`, `crc32-table`, ...).
    pub name: String,
    /// File offset of the pattern.
    pub offset: u64,
    /// The section holding it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

/// One string found in a sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FoundString {
    /// File offset of the first byte.
    pub offset: u64,
    /// ASCII or UTF-16LE.
    pub encoding: Encoding,
    /// The section holding it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// The text.
    pub value: String,
    /// What the string looks like: `api`, `dll`, `url`, `registry`, `path`, `format`,
    /// `base64`, `base64-alphabet` (see [`crate::sample::strings::tag`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<&'static str>,
}

/// The verdict on a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// `malicious-looking`, `suspicious` or `no strong signs`.
    pub verdict: SampleVerdict,
    /// The weighed score.
    pub score: f64,
    /// Why, in one line: the score, the signs and their weights.
    pub reason: String,
    /// The signs that counted, strongest first: `what (weight)`.
    pub signs: Vec<String>,
}

impl Default for Verdict {
    fn default() -> Self {
        Verdict {
            verdict: SampleVerdict::NoStrongSigns,
            score: 0.0,
            reason: String::new(),
            signs: Vec::new(),
        }
    }
}
