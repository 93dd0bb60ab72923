//! The format-specific facts of an executable: PE (with its resources, manifest, .NET
//! metadata, Authenticode signatures and the strings its code passes to functions of
//! interest), ELF and Mach-O. Part of [`super::triage::Triage`].

use serde::Serialize;

/// PE-specific facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PeInfo {
    /// DLL rather than EXE.
    pub dll: bool,
    /// Subsystem (`windows-gui`, `windows-cui`, `native`, ...).
    pub subsystem: String,
    /// Entry point RVA.
    pub entry_point: u64,
    /// Name of the section holding the entry point, `None` when it is outside every section.
    pub entry_section: Option<String>,
    /// COFF header time stamp (seconds since 1970).
    pub timestamp: u32,
    /// The timestamp as UTC `YYYY-MM-DD HH:MM:SS`.
    pub timestamp_utc: String,
    /// Remarks on the timestamp: `zero`, `future`.
    pub timestamp_flags: Vec<String>,
    /// pefile-compatible import hash (MD5 of `dll.func` pairs), `None` without imports.
    pub imphash: Option<String>,
    /// Exported names, then the functions exported by ordinal alone as `#ORDINAL` (every
    /// non-empty entry of the export address table that no name refers to). pefile's list
    /// can be shorter: it stops once many ordinals share one address (MFC's `mfc140u.dll`:
    /// 9,311 of its 14,103 ordinal exports).
    pub exports: Vec<String>,
    /// Bytes after the last section's data, not counting a certificate table at the end.
    pub overlay_size: u64,
    /// Resources (type, name, language, size, entropy, embedded content).
    pub resources: Vec<Resource>,
    /// pefile-compatible rich header hash (MD5 of the decoded header), `None` without one.
    pub rich_header_hash: Option<String>,
    /// TLS callback addresses (virtual addresses).
    pub tls_callbacks: Vec<u64>,
    /// CodeView PDB path, when present.
    pub pdb_path: Option<String>,
    /// Version-information strings (`CompanyName`, `ProductName`, `OriginalFilename`, ...).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub version_info: std::collections::BTreeMap<String, String>,
    /// The application manifest, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Manifest>,
    /// .NET facts (assembly, MVID, typelib, references, types, P/Invoke, user strings,
    /// resources), for an assembly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dotnet: Option<DotnetInfo>,
    /// A certificate table (Authenticode signature) is present.
    pub signed: bool,
    /// File offset and size of the certificate table (the Authenticode blob), when present:
    /// text inside it is the certificates' (CA URLs, OIDs), not the program's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_table: Option<(u64, u64)>,
    /// File offset and size of the COFF symbol table with its string table, which mingw
    /// and Cygwin leave in images: the names of the source's functions and variables
    /// (every library linked in), not text the program uses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_table: Option<(u64, u64)>,
    /// The signatures that could be parsed, each with whether the file still matches the
    /// signed digest (integrity, not trust).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<Signature>,
    /// Strings the code passes to the functions of `data/mutex-names.txt`'s `[argument]`
    /// block (the name `CreateMutexA` gets), by file offset; read by [`crate::findings::mutex`].
    #[serde(skip)]
    pub call_arguments: Vec<CallArgument>,
}

/// ELF-specific facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ElfInfo {
    /// ELF type: `exec`, `dyn`, `rel`, `core`.
    pub kind: String,
    /// Program interpreter (`/lib64/ld-linux-x86-64.so.2`).
    pub interpreter: Option<String>,
    /// `DT_NEEDED` libraries.
    pub needed: Vec<String>,
    /// No `.symtab`.
    pub stripped: bool,
    /// No interpreter and no dynamic section.
    pub static_linked: bool,
    /// Entry point address.
    pub entry_point: u64,
    /// Entries in `.symtab` (0 when stripped).
    pub symbols: usize,
    /// Entries in `.dynsym`.
    pub dynamic_symbols: usize,
    /// Functions the file exports (defined global or weak functions in `.dynsym`), sorted,
    /// at most [`crate::sample::elf::MAX_LISTED`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exports: Vec<String>,
    /// Imported functions that the API category table knows (see `behavior`), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notable_imports: Vec<String>,
}

/// One Mach-O slice (the only one of a thin file, or one of a fat file).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MachoSlice {
    /// Architecture (`x86_64`, `arm64`, ...).
    pub arch: String,
    /// File offset of the slice (0 for a thin file).
    pub offset: u64,
    /// Size of the slice.
    pub size: u64,
    /// Linked dylibs.
    pub dylibs: Vec<String>,
    /// `LC_CODE_SIGNATURE` present (presence only, not validity).
    pub code_signature: bool,
    /// The platform the slice is built for, with its minimum OS and SDK (`macOS 10.9
    /// minimum, SDK 10.14`), from `LC_BUILD_VERSION` or `LC_VERSION_MIN_*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The load commands in file order (`LC_SEGMENT_64`, `LC_LOAD_DYLIB`, ...).
    pub load_commands: Vec<String>,
}

/// One resource leaf.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// Type: a standard name (`RCDATA`, `ICON`, `VERSION`, ...) or the custom name / number.
    #[serde(rename = "type")]
    pub kind: String,
    /// Resource name (or `#id`).
    pub name: String,
    /// Language id.
    pub language: u32,
    /// File offset of the data.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
    /// Entropy of the data, bits per byte.
    pub entropy: f64,
    /// What the data starts with, when it is an executable or archive (`pe`, `zip`, `gzip`,
    /// `cab`, `7z`, `rar`, `elf`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedded: Option<String>,
    /// The data is a PNG, JPEG or GIF image (by its signature and first header): compressed,
    /// so of high entropy, and no sign of encryption (MFC's toolbar images, typed `PNG`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub image: bool,
}

/// What an application manifest asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// `requestedExecutionLevel` level: `asInvoker`, `highestAvailable`, `requireAdministrator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_level: Option<String>,
    /// `uiAccess` of `requestedExecutionLevel` (UI automation of higher-privilege windows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ui_access: Option<bool>,
    /// `autoElevate` set to true (elevation without a prompt; only honoured for Windows
    /// binaries, so elsewhere a sign of imitation).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub auto_elevate: bool,
    /// Name of the assembly the manifest describes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Names of the assemblies it depends on.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
}

/// The .NET facts of an assembly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DotnetInfo {
    /// Metadata version string (`v4.0.30319`).
    pub runtime: String,
    /// Assembly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assembly: Option<String>,
    /// Assembly version (`1.0.0.0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Module name (`payload.exe`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// Module version id (the module's GUID, new at every build).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mvid: Option<String>,
    /// Type library id (`GuidAttribute`), stable across builds of a project.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typelib: Option<String>,
    /// Referenced assemblies with their versions (`mscorlib 4.0.0.0`).
    pub references: Vec<String>,
    /// Types the assembly defines (`Namespace.Type`), at most [`crate::sample::dotnet::MAX_LISTED`].
    pub types: Vec<String>,
    /// Methods the assembly defines (`Namespace.Type::Method`), at most [`crate::sample::dotnet::MAX_LISTED`].
    pub methods: Vec<String>,
    /// Members referenced from other assemblies (`System.Net.WebClient::DownloadData`),
    /// sorted.
    pub member_refs: Vec<String>,
    /// P/Invoke imports (`kernel32.dll!VirtualAllocEx`), sorted.
    pub pinvoke: Vec<String>,
    /// `#US` user strings, at most [`crate::sample::dotnet::MAX_LISTED`].
    pub user_strings: Vec<String>,
    /// Managed resources: `name (size bytes)`.
    pub resources: Vec<String>,
}

/// One Authenticode signature (nested signatures come as further entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// Subject of the signing certificate.
    pub signer: String,
    /// Issuer of the signing certificate.
    pub issuer: String,
    /// Serial number of the signing certificate.
    pub serial: String,
    /// Start of the signing certificate's validity, UTC.
    pub not_before: String,
    /// End of the signing certificate's validity, UTC.
    pub not_after: String,
    /// Program name from the signed attributes, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_name: Option<String>,
    /// Digest algorithm of the signed file digest (`sha1`, `sha256`, ...).
    pub digest_algorithm: String,
    /// The file digest recorded in the signature, hex.
    pub signed_digest: String,
    /// The Authenticode digest of the file as it is, hex.
    pub file_digest: String,
    /// The file still hashes to the signed digest (integrity, not trust).
    pub digest_matches: bool,
    /// The digest matches and the signature over it checks out against the certificates
    /// embedded in the file (still not trust: those certificates may be self-made).
    pub verified: bool,
    /// Certificates embedded with this signature.
    pub certificates: usize,
}

/// A string passed to a function of interest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CallArgument {
    /// The function called (`CreateMutexA`).
    pub function: String,
    /// File offset of the string.
    pub offset: u64,
}

impl Resource {
    /// Whether the resource is a picture: an image by its type (icons, cursors, bitmaps)
    /// or by its content (a PNG, JPEG or GIF header).
    pub fn is_picture(&self) -> bool {
        self.image
            || matches!(
                self.kind.as_str(),
                "ICON"
                    | "GROUP_ICON"
                    | "BITMAP"
                    | "CURSOR"
                    | "GROUP_CURSOR"
                    | "ANIICON"
                    | "ANICURSOR"
            )
    }

    /// Tags a rule's `resource` condition matches: the type, `embedded-KIND`, and
    /// `high-entropy` (at least 1 KiB at 7.2 bits per byte or more, not an image by type or
    /// content and not a recognised archive: compressed, but not obviously encrypted).
    pub fn tags(&self) -> Vec<String> {
        let r = self;
        let mut t = vec![r.kind.to_ascii_lowercase()];
        if let Some(e) = &r.embedded {
            t.push(format!("embedded-{e}"));
        }
        if !r.is_picture() && r.embedded.is_none() && r.size >= 1024 && r.entropy >= 7.2 {
            t.push("high-entropy".into());
        }
        t
    }
}
