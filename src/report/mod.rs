//! The analyst report: what goes into it and in which order.
//!
//! [`AnalystReport::build`] turns what the input stages found ([`InputFindings`]) into an
//! [`AnalystReport`], a plain model in the order an
//! analyst writes one: overview, sample tags, static findings, dynamic findings, ATT&CK,
//! remediation, IOCs, detection rules. Every sentence and row comes from a finding; where
//! something is unknown the report says so. The templates in `report-templates/`
//! ([`templates`]; [`markdown`] and [`html`] are their entry points) only format this
//! model, which is what they see as `report`.

pub mod html;
pub mod markdown;
mod remediation;
pub mod templates;

use crate::analyze::InputFindings;
use crate::findings::triage::{EvidenceKind, Packing, SampleFormat, SampleVerdict, Triage};
use crate::findings::Confidence;
use crate::ioc::{IocKind, Scope};
use crate::tables;
pub use remediation::{Remediation, RemediationKind, Shell};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Settings that are not findings: the date, the origin of the samples, the title.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    /// Report date, `YYYY-MM-DD` (the caller fixes it so output is reproducible).
    pub date: String,
    /// Where the samples came from, as the analyst states it; `None` when unknown.
    pub origin: Option<String>,
    /// Title; a default is made from the sample names.
    pub title: Option<String>,
    /// Family of each sample (sample name as analysed → family), from `--labels`: the
    /// overview then has one paragraph per family. Unlabelled samples are grouped by import
    /// hash.
    pub families: BTreeMap<String, String>,
}

/// The report model.
#[derive(Debug, Clone, Serialize)]
pub struct AnalystReport {
    /// Title.
    pub title: String,
    /// Report date.
    pub date: String,
    /// spoor's version.
    pub generator: String,
    /// The overview paragraph, one sentence per entry.
    pub overview: Vec<String>,
    /// One paragraph per family (with `--labels`), per import hash shared by several samples,
    /// or per sample: what it is, how it runs, what it does, what it contacts.
    pub profiles: Vec<Profile>,
    /// The aggregate over all samples (verdicts, common techniques, persistence, indicators),
    /// after the profiles, one sentence per entry.
    pub summary: Vec<String>,
    /// One section per sample.
    pub samples: Vec<SampleSection>,
    /// Dynamic findings.
    pub dynamic: DynamicSection,
    /// ATT&CK techniques across samples.
    pub attack: Vec<AttackRow>,
    /// What to clean up, with commands to review (templates also see each item's
    /// `kind_label` and `shell_label`).
    #[serde(serialize_with = "templates::remediation_view")]
    pub remediation: Vec<Remediation>,
    /// Indicators.
    pub iocs: Vec<IocRow>,
    /// Allowlisted indicators left out of the table (indicators in private, documentation
    /// or reserved ranges stay in it, marked as such).
    pub iocs_omitted: usize,
    /// Detection rules (YARA source), when generated.
    pub rules: Option<String>,
    /// The rules' measured result, in a sentence, when they were tested.
    pub rules_tested: Option<String>,
    /// Warnings and unreadable inputs.
    pub problems: Vec<String>,
}

/// The overview paragraph of one family, import-hash group or sample.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// The family, `imphash …` or the sample's name.
    pub title: String,
    /// The samples it covers (file names).
    pub samples: Vec<String>,
    /// The paragraph, one sentence per entry.
    pub sentences: Vec<String>,
}

/// One sample's tags and static findings.
#[derive(Debug, Clone, Serialize)]
pub struct SampleSection {
    /// File name (path as given).
    pub name: String,
    /// Label/value pairs: size, hashes, format, architecture, compile time, ...
    pub tags: Vec<(String, String)>,
    /// Verdict in a few words (`malicious-looking`, `suspicious`, `no strong signs`).
    pub verdict: String,
    /// Imports by behaviour category.
    pub categories: Vec<CategoryRow>,
    /// Strings worth an analyst's eye, with where they are.
    pub strings: Vec<StringRow>,
    /// Sections.
    pub sections: Vec<SectionRow>,
    /// Packing verdict and reasons.
    pub packer: String,
    /// Technique ids found in this sample.
    pub techniques: Vec<String>,
    /// Why the verdict, in one line (score and signs).
    pub verdict_reason: String,
    /// Class hints (`loader (high)`) with their evidence; empty: no class.
    pub class_hints: Vec<ClassRow>,
}

/// One class hint of a sample.
#[derive(Debug, Clone, Serialize)]
pub struct ClassRow {
    /// Class name.
    pub class: String,
    /// `high` or `medium`.
    pub confidence: Confidence,
    /// What earned it (defanged).
    pub evidence: Vec<String>,
}

/// One behaviour category of a sample.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryRow {
    /// Category name.
    pub name: String,
    /// What the category means, in one line.
    pub explanation: String,
    /// Imported APIs (`dll!Name`) and APIs found only as strings (`Name (resolved)`).
    pub apis: Vec<String>,
    /// `low`, `medium` or `high` (`data/behavior-confidence.txt`).
    pub confidence: Confidence,
    /// Why that confidence: how many APIs, and which are common in benign programs.
    pub reason: String,
}

/// A string of interest.
#[derive(Debug, Clone, Serialize)]
pub struct StringRow {
    /// Tags (`url`, `registry`, `path`, ...).
    pub tags: String,
    /// The string.
    pub value: String,
    /// Section and file offset.
    pub location: String,
}

/// One section of a sample.
#[derive(Debug, Clone, Serialize)]
pub struct SectionRow {
    /// Name.
    pub name: String,
    /// Raw size in bytes.
    pub size: u64,
    /// Shannon entropy, bits per byte.
    pub entropy: f64,
    /// Flags worth noting (`W+X`, `high entropy`).
    pub notes: String,
}

/// Dynamic findings.
#[derive(Debug, Clone, Serialize)]
pub struct DynamicSection {
    /// Logs read: name, format, records, events.
    pub logs: Vec<LogRow>,
    /// What the section can say, in sentences.
    pub notes: Vec<String>,
    /// The process tree, flattened in display order.
    pub process_tree: Vec<TreeLine>,
    /// Events per action (`file_create 12`).
    pub activity: Vec<(String, u64)>,
    /// Persistence found in the events.
    pub persistence: Vec<PersistenceRow>,
    /// Indicators with what the logs say about them (first few).
    pub context_iocs: Vec<(String, String, String)>,
}

/// One log file read for events.
#[derive(Debug, Clone, Serialize)]
pub struct LogRow {
    /// Name (path as given).
    pub name: String,
    /// Format recognised from the content.
    pub format: String,
    /// Records read.
    pub records: u64,
    /// Events produced.
    pub events: u64,
}

/// One process in the flattened tree.
#[derive(Debug, Clone, Serialize)]
pub struct TreeLine {
    /// Nesting depth (0 for a root).
    pub depth: usize,
    /// `image (pid N)`.
    pub process: String,
    /// Command line, when known.
    pub command_line: String,
    /// For a root: the log (file name) it was read from, so that two roots with the same
    /// pid or an unknown image can be told apart; empty below the roots.
    pub log: String,
}

/// One persistence mechanism from the logs.
#[derive(Debug, Clone, Serialize)]
pub struct PersistenceRow {
    /// ATT&CK technique id.
    pub technique: String,
    /// What kind (`Registry Run key`).
    pub name: String,
    /// Where.
    pub location: String,
    /// What it runs.
    pub runs: String,
    /// Which process made it.
    pub by: String,
}

/// One ATT&CK technique across samples.
#[derive(Debug, Clone, Serialize)]
pub struct AttackRow {
    /// Technique id.
    pub id: String,
    /// Technique name.
    pub name: String,
    /// Tactics, in ATT&CK order.
    pub tactics: Vec<String>,
    /// Highest confidence seen.
    pub confidence: Confidence,
    /// Samples showing it.
    pub samples: Vec<String>,
    /// Evidence (first few items).
    pub evidence: Vec<String>,
}

/// One indicator row.
#[derive(Debug, Clone, Serialize)]
pub struct IocRow {
    /// Type.
    pub kind: String,
    /// Value, defanged for network types so the report is safe to share.
    pub value: String,
    /// Scope or other remarks.
    pub notes: String,
    /// The samples and logs it was seen in (the first few, with the first line).
    pub seen_in: String,
    /// Total sightings.
    pub count: u64,
}

/// What each confidence level of an ATT&CK row means, strongest first.
pub const CONFIDENCE_LEVELS: [(Confidence, &str); 4] = [
    (
        Confidence::Observed,
        "the analysis logs show it happening (a sandbox signature, persistence or a process \
         seen), whatever the static confidence",
    ),
    (
        Confidence::High,
        "a sample carries evidence specific to the technique (strings or API combinations \
         benign programs rarely have)",
    ),
    (
        Confidence::Medium,
        "evidence that fits the technique but that some benign programs also have",
    ),
    (
        Confidence::Low,
        "a capability only: imports or strings that benign software commonly shows too",
    ),
];

/// How many strings of interest a sample section lists at most.
const MAX_STRINGS: usize = 60;
/// How many evidence items an ATT&CK row lists at most.
const MAX_EVIDENCE: usize = 4;

impl AnalystReport {
    /// Builds the report model from an analysis.
    pub fn build(analysis: &InputFindings, options: &ReportOptions) -> AnalystReport {
        let log_mutexes = analysis.logged_mutexes();
        let samples: Vec<SampleSection> = analysis
            .samples
            .iter()
            .map(|t| sample_section(t, &log_mutexes))
            .collect();
        let mut attack = attack_rows(&analysis.samples);
        add_observed_techniques(&mut attack, &analysis.dynamic);
        sort_by_tactic(&mut attack);
        let (mut iocs, iocs_omitted) = ioc_rows(analysis);
        iocs.extend(mutex_rows(analysis, &log_mutexes));
        let remediation = remediation::items(analysis);
        let dynamic = dynamic_section(analysis);
        let mut problems: Vec<String> = analysis
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.source, e.message))
            .collect();
        problems.extend(analysis.warnings.iter().map(|w| w.message.clone()));
        problems.extend(
            analysis
                .extraction
                .sources
                .iter()
                .filter_map(|s| s.error.as_ref().map(|e| format!("{}: {e}", s.name))),
        );
        let title = options
            .title
            .clone()
            .unwrap_or_else(|| default_title(analysis));
        let mut report = AnalystReport {
            title,
            date: options.date.clone(),
            generator: format!("spoor {}", env!("CARGO_PKG_VERSION")),
            overview: Vec::new(),
            profiles: Vec::new(),
            summary: Vec::new(),
            samples,
            dynamic,
            attack,
            remediation,
            iocs,
            iocs_omitted,
            rules: None,
            rules_tested: None,
            problems,
        };
        let mut sentences = overview(analysis, &report, options);
        // the count of samples and logs, and their origin, come first; the aggregate after
        // the profiles
        report.summary = sentences.split_off(sentences.len().min(2));
        report.overview = sentences;
        report.profiles = profiles(analysis, options);
        report
    }
}

fn default_title(analysis: &InputFindings) -> String {
    let names: Vec<&str> = analysis
        .samples
        .iter()
        .map(|t| base_name(&t.name))
        .collect();
    match names.as_slice() {
        [] => "Analysis report".to_string(),
        [one] => format!("Analysis report: {one}"),
        [first, rest @ ..] => format!("Analysis report: {first} and {} more", rest.len()),
    }
}

pub use crate::primitives::base_name;

/// `malicious-looking`, `suspicious` or `no strong signs`: the weighed verdict of triage
/// (`data/verdict-weights.txt`, see [`crate::sample::verdict`]).
pub fn verdict(t: &Triage) -> &'static str {
    t.verdict.verdict.as_str()
}

fn describe_format(t: &Triage) -> String {
    let bits = if t.bitness == 0 {
        String::new()
    } else {
        format!("{}-bit ", t.bitness)
    };
    match t.format {
        SampleFormat::Pe => {
            let (kind, subsystem) =
                t.pe.as_ref()
                    .map(|p| (if p.dll { "DLL" } else { "EXE" }, p.subsystem.as_str()))
                    .unwrap_or(("file", ""));
            let subsystem = if subsystem.is_empty() {
                String::new()
            } else {
                format!(" ({subsystem})")
            };
            format!("{bits}Windows {kind}{subsystem} for {}", t.arch)
        }
        SampleFormat::Elf => {
            let kind = t.elf.as_ref().map(|e| e.kind.as_str()).unwrap_or("");
            let link = match t.elf.as_ref() {
                Some(e) if e.static_linked => ", statically linked",
                _ => "",
            };
            format!("{bits}ELF {kind} for {}{link}", t.arch)
        }
        SampleFormat::Macho => format!("{bits}Mach-O file for {}", t.arch),
        SampleFormat::MachoFat => format!("universal Mach-O file ({})", t.arch),
        SampleFormat::Unknown => "file of unknown format".to_string(),
    }
}

/// What triage found in a PE that an analyst checks first: the signature and who signed,
/// the version information the file claims, resources holding executables, TLS callbacks and
/// data after the last section.
fn pe_triage_tags(pe: &crate::findings::executable::PeInfo) -> Vec<(String, String)> {
    let mut tags = Vec::new();
    let claimed = pe
        .version_info
        .get("CompanyName")
        .filter(|c| !c.trim().is_empty());
    let signature = if pe.signatures.is_empty() {
        match (pe.signed, claimed) {
            (true, _) => "certificate table present, no signature could be read".to_string(),
            (false, Some(company)) => {
                format!("unsigned, although its version information names {company}")
            }
            (false, None) => "unsigned".to_string(),
        }
    } else {
        pe.signatures
            .iter()
            .map(|s| {
                let state = if s.verified {
                    "digest matches and the signature checks out against the certificates in \
                     the file (trust in them not checked)"
                } else if s.digest_matches {
                    "digest matches, signature not verified"
                } else {
                    "the file was changed after signing (digest differs)"
                };
                format!("signed by {} (issuer {}): {state}", s.signer, s.issuer)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    tags.push(("signature".into(), signature));
    if !pe.version_info.is_empty() {
        let mut claim: Vec<&str> = ["CompanyName", "FileDescription"]
            .iter()
            .filter_map(|k| pe.version_info.get(*k).map(String::as_str))
            .filter(|v| !v.trim().is_empty())
            .collect();
        claim.dedup();
        if !claim.is_empty() {
            tags.push(("claims to be".into(), claim.join(" / ")));
        }
        let all: Vec<String> = pe
            .version_info
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        tags.push(("version info".into(), all.join("; ")));
    }
    let notable: Vec<String> = pe
        .resources
        .iter()
        .filter_map(|r| {
            let tags = r.tags();
            let what = if let Some(e) = &r.embedded {
                format!("embedded {}", e.to_uppercase())
            } else if tags.iter().any(|t| t == "high-entropy") {
                format!("high entropy ({:.2})", r.entropy)
            } else {
                return None;
            };
            Some(format!(
                "{} {}: {what}, {} bytes at 0x{:x}",
                r.kind, r.name, r.size, r.offset
            ))
        })
        .collect();
    tags.push((
        "resources".into(),
        match (pe.resources.len(), notable.is_empty()) {
            (0, _) => "none".to_string(),
            (n, true) => format!("{n}, none holds an executable or high-entropy data"),
            (n, false) => format!("{n}; {}", notable.join("; ")),
        },
    ));
    tags.push((
        "TLS callbacks".into(),
        if pe.tls_callbacks.is_empty() {
            "none".to_string()
        } else {
            let list: Vec<String> = pe
                .tls_callbacks
                .iter()
                .map(|a| format!("0x{a:x}"))
                .collect();
            format!(
                "{} (run before the entry point): {}",
                list.len(),
                list.join(", ")
            )
        },
    ));
    tags.push((
        "overlay".into(),
        if pe.overlay_size == 0 {
            "none".to_string()
        } else {
            format!("{} bytes after the last section", pe.overlay_size)
        },
    ));
    tags
}

fn sample_section(t: &Triage, log_mutexes: &BTreeSet<String>) -> SampleSection {
    let mut tags: Vec<(String, String)> = vec![
        ("file name".into(), base_name(&t.name).to_string()),
        ("size".into(), format!("{} bytes", t.size)),
        ("MD5".into(), t.hashes.md5.clone()),
        ("SHA-1".into(), t.hashes.sha1.clone()),
        ("SHA-256".into(), t.hashes.sha256.clone()),
    ];
    if !t.hashes.ssdeep.is_empty() {
        tags.push(("ssdeep".into(), t.hashes.ssdeep.clone()));
    }
    tags.push((
        "TLSH".into(),
        t.hashes
            .tlsh
            .clone()
            .unwrap_or_else(|| "none (too little varied data)".into()),
    ));
    tags.push(("format".into(), describe_format(t)));
    tags.push((
        "class hint".into(),
        crate::findings::classes::summary(&t.classes),
    ));
    if let Some(pe) = &t.pe {
        let mut stamp = pe.timestamp_utc.clone();
        if !pe.timestamp_flags.is_empty() {
            stamp.push_str(&format!(" ({})", pe.timestamp_flags.join(", ")));
        }
        tags.push(("compile time (UTC)".into(), stamp));
        tags.push((
            "entry point".into(),
            format!(
                "0x{:x} in {}",
                pe.entry_point,
                pe.entry_section.as_deref().unwrap_or("no section")
            ),
        ));
        if let Some(h) = &pe.imphash {
            tags.push(("imphash".into(), h.clone()));
        }
        if let Some(p) = &pe.pdb_path {
            tags.push(("PDB path".into(), p.clone()));
        }
        tags.extend(pe_triage_tags(pe));
    }
    if let Some(elf) = &t.elf {
        if let Some(i) = &elf.interpreter {
            tags.push(("interpreter".into(), i.clone()));
        }
        tags.push((
            "symbols".into(),
            if elf.stripped { "stripped" } else { "present" }.into(),
        ));
    }
    for slice in &t.macho {
        tags.push((
            format!("slice {}", slice.arch),
            format!(
                "{} bytes, {} load commands, code signature {}{}",
                slice.size,
                slice.load_commands.len(),
                if slice.code_signature {
                    "present"
                } else {
                    "absent"
                },
                slice
                    .target
                    .as_deref()
                    .map(|t| format!(", {t}"))
                    .unwrap_or_default()
            ),
        ));
    }

    let explanations = category_explanations();
    let categories = t
        .behavior
        .categories
        .iter()
        .map(|c| CategoryRow {
            name: c.name.clone(),
            explanation: explanations
                .get(c.name.as_str())
                .cloned()
                .unwrap_or_default(),
            apis: c
                .imports
                .iter()
                .cloned()
                .chain(
                    c.resolved
                        .iter()
                        .map(|r| format!("{r} (resolved at run time)")),
                )
                .collect(),
            confidence: c.confidence,
            reason: c.reason.clone(),
        })
        .collect();

    let strings = strings_of_interest(t, log_mutexes);

    let sections = t
        .sections
        .iter()
        .map(|s| {
            let mut notes = Vec::new();
            if s.wx {
                notes.push("writable and executable");
            }
            if s.entropy > 7.2 {
                notes.push("high entropy");
            }
            SectionRow {
                name: s.shown_name(),
                size: s.raw_size,
                entropy: (s.entropy * 100.0).round() / 100.0,
                notes: notes.join(", "),
            }
        })
        .collect();

    let packer = if t.packer.reasons.is_empty() {
        t.packer.verdict.to_string()
    } else {
        format!("{}: {}", t.packer.verdict, t.packer.reasons.join("; "))
    };

    SampleSection {
        name: t.name.clone(),
        tags,
        verdict: verdict(t).to_string(),
        categories,
        strings,
        sections,
        packer,
        techniques: t.techniques.iter().map(|x| x.id.clone()).collect(),
        verdict_reason: defang_text(&t.verdict.reason),
        class_hints: t
            .classes
            .iter()
            .map(|h| ClassRow {
                class: h.class.clone(),
                confidence: h.confidence,
                evidence: h.evidence.iter().map(|e| defang_text(e)).collect(),
            })
            .collect(),
    }
}

/// One `[kind]` block of `data/strings-of-interest.txt`.
struct InterestBlock {
    kind: String,
    /// Only in samples showing this technique (or a sub-technique of it).
    technique: Option<String>,
    /// Lower-case substrings.
    contains: Vec<String>,
    /// Lower-case whole strings.
    whole: Vec<String>,
    /// Lower-case prefixes.
    prefixes: Vec<String>,
}

fn interest_blocks() -> &'static [InterestBlock] {
    static BLOCKS: OnceLock<Vec<InterestBlock>> = OnceLock::new();
    BLOCKS.get_or_init(|| {
        let mut blocks: Vec<InterestBlock> = Vec::new();
        for line in tables::entries(tables::STRINGS_OF_INTEREST) {
            if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let mut words = header.split_whitespace();
                let kind = words.next().unwrap_or("string").to_string();
                let technique = match (words.next(), words.next()) {
                    (Some("if"), Some(id)) => Some(id.to_string()),
                    _ => None,
                };
                blocks.push(InterestBlock {
                    kind,
                    technique,
                    contains: Vec::new(),
                    whole: Vec::new(),
                    prefixes: Vec::new(),
                });
                continue;
            }
            let Some(block) = blocks.last_mut() else {
                continue;
            };
            if let Some(whole) = line.strip_prefix('=') {
                block.whole.push(whole.to_ascii_lowercase());
            } else if let Some(prefix) = line.strip_prefix('^') {
                block.prefixes.push(prefix.to_ascii_lowercase());
            } else {
                block.contains.push(line.to_ascii_lowercase());
            }
        }
        blocks
    })
}

/// The strings an analyst reads first, in file order: URLs, registry keys and paths (tagged
/// by the string scanner), mutex names, the sample's e-mail addresses, wallets, domains and
/// addresses, the strings that earned an ATT&CK technique (schtasks and `vssadmin` command
/// lines, VM markers, ransom notes, ...) and the kinds of `data/strings-of-interest.txt`.
/// At most [`MAX_STRINGS`]: strings with more than a scanner tag are kept first.
fn strings_of_interest(t: &Triage, log_mutexes: &BTreeSet<String>) -> Vec<StringRow> {
    let mutexes: BTreeSet<String> = crate::findings::mutex::names(t, log_mutexes)
        .into_iter()
        .map(|m| m.value)
        .collect();
    let iocs: Vec<(&'static str, String)> = t
        .iocs
        .iter()
        .filter_map(|i| {
            let label = match i.kind {
                IocKind::Email => "e-mail",
                IocKind::Bitcoin | IocKind::Monero => "wallet",
                IocKind::Ipv4 | IocKind::Ipv6 => "address",
                IocKind::Domain => "domain",
                _ => return None,
            };
            Some((label, i.value.to_ascii_lowercase()))
        })
        .collect();
    let evidence: Vec<(&str, &str)> = t
        .techniques
        .iter()
        .flat_map(|x| {
            x.evidence
                .iter()
                .filter(|e| e.kind == EvidenceKind::String && e.value.len() >= 4)
                .map(move |e| (x.id.as_str(), e.value.as_str()))
        })
        .collect();
    let shows = |id: &str| {
        t.techniques
            .iter()
            .any(|x| x.id == id || x.id.starts_with(&format!("{id}.")))
    };
    let blocks: Vec<&InterestBlock> = interest_blocks()
        .iter()
        .filter(|b| b.technique.as_deref().is_none_or(shows))
        .collect();
    let mut seen = BTreeSet::new();
    // (strong, row): strong rows have more than a scanner tag.
    let mut rows: Vec<(bool, StringRow)> = Vec::new();
    for s in &t.strings {
        if s.tags.contains(&"api") || s.value.len() < 4 {
            continue;
        }
        let mut kinds: Vec<String> = Vec::new();
        if s.tags
            .iter()
            .any(|tag| matches!(*tag, "url" | "registry" | "path" | "base64-alphabet"))
        {
            kinds.extend(s.tags.iter().map(|t| t.to_string()));
        }
        let scanner_kinds = kinds.len();
        let lower = s.value.to_ascii_lowercase();
        let mut add = |kind: &str| {
            if !kinds.iter().any(|k| k == kind) {
                kinds.push(kind.to_string());
            }
        };
        if mutexes.contains(&s.value) {
            add("mutex");
        }
        for (label, value) in &iocs {
            let in_url_or_mail = lower.contains("://") || lower.contains('@');
            if lower.contains(value.as_str()) && !(*label == "domain" && in_url_or_mail) {
                add(label);
            }
        }
        for b in &blocks {
            if b.whole.contains(&lower)
                || b.prefixes.iter().any(|p| lower.starts_with(p.as_str()))
                || b.contains.iter().any(|c| lower.contains(c.as_str()))
            {
                add(&b.kind);
            }
        }
        for (id, value) in &evidence {
            if s.value.contains(value) {
                add(id);
            }
        }
        if kinds.is_empty() || !seen.insert(s.value.as_str()) {
            continue;
        }
        let strong = kinds.len() > scanner_kinds;
        rows.push((
            strong,
            StringRow {
                tags: kinds.join(", "),
                value: defang_text(&s.value),
                location: format!(
                    "{} 0x{:x}{}",
                    s.section.as_deref().unwrap_or("(no section)"),
                    s.offset,
                    if matches!(s.encoding, crate::ioc::Encoding::Utf16le) {
                        " UTF-16"
                    } else {
                        ""
                    }
                ),
            },
        ));
    }
    // Keep the strong rows first when there are too many, then restore file order.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (!rows[i].0, i));
    order.truncate(MAX_STRINGS);
    order.sort_unstable();
    let mut rows: Vec<Option<StringRow>> = rows.into_iter().map(|(_, r)| Some(r)).collect();
    order.into_iter().filter_map(|i| rows[i].take()).collect()
}

/// Defangs the URL schemes inside free text (`http://` → `hxxp[://]`, any other scheme
/// `x://` → `x[://]`), so strings, evidence and rules quoted in the report are not live links.
pub fn defang_text(text: &str) -> String {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| regex::Regex::new(r"(?i)\b([a-z][a-z0-9+.-]*)://").ok())
        .as_ref()
    else {
        return text.to_string();
    };
    re.replace_all(text, |caps: &regex::Captures| {
        let scheme = &caps[1];
        let defanged = match scheme.to_ascii_lowercase().as_str() {
            "http" => "hxxp".to_string(),
            "https" => "hxxps".to_string(),
            "ftp" => "fxp".to_string(),
            "sftp" => "sfxp".to_string(),
            _ => scheme.to_string(),
        };
        format!("{defanged}[://]")
    })
    .into_owned()
}

fn attack_rows(samples: &[Triage]) -> Vec<AttackRow> {
    let mut rows: BTreeMap<String, AttackRow> = BTreeMap::new();
    for t in samples {
        for tech in &t.techniques {
            let row = rows.entry(tech.id.clone()).or_insert_with(|| AttackRow {
                id: tech.id.clone(),
                name: tech.name.clone(),
                tactics: tactics_of(&tech.id),
                confidence: tech.confidence,
                samples: Vec::new(),
                evidence: Vec::new(),
            });
            row.confidence = row.confidence.max(tech.confidence);
            row.samples.push(base_name(&t.name).to_string());
            for e in &tech.evidence {
                let item = defang_text(&format!("{} {}", e.kind, e.value));
                if row.evidence.len() < MAX_EVIDENCE && !row.evidence.contains(&item) {
                    row.evidence.push(item);
                }
            }
        }
    }
    rows.into_values().collect()
}

/// Techniques the logs show (sandbox signatures, persistence seen happening) join the
/// static ones with confidence `observed` and their namers as evidence.
fn add_observed_techniques(
    rows: &mut Vec<AttackRow>,
    dynamic: &crate::findings::behaviour::LogFindings,
) {
    let names = crate::findings::attack::technique_names();
    for (id, namers) in &dynamic.techniques {
        let evidence: Vec<String> = namers
            .iter()
            .take(MAX_EVIDENCE)
            .map(|n| defang_text(&format!("log {n}")))
            .collect();
        match rows.iter_mut().find(|r| &r.id == id) {
            Some(row) => {
                row.confidence = Confidence::Observed;
                for e in evidence {
                    if row.evidence.len() < MAX_EVIDENCE * 2 && !row.evidence.contains(&e) {
                        row.evidence.push(e);
                    }
                }
            }
            None => rows.push(AttackRow {
                id: id.clone(),
                name: names.get(id).cloned().unwrap_or_else(|| id.clone()),
                tactics: tactics_of(id),
                confidence: Confidence::Observed,
                samples: Vec::new(),
                evidence,
            }),
        }
    }
}

/// Matrix order: by the first tactic in ATT&CK order, then by technique id.
fn sort_by_tactic(rows: &mut [AttackRow]) {
    let order = tactic_order();
    rows.sort_by_key(|r| {
        let first = r
            .tactics
            .first()
            .and_then(|t| order.iter().position(|o| o == t))
            .unwrap_or(usize::MAX);
        (first, r.id.clone())
    });
}

/// How many sources an IOC row names at most.
const MAX_ROW_SOURCES: usize = 4;

/// The IOC table: one row per indicator, the `ip`, `ip:port` and `::ffff:` forms of one
/// address merged into one row (ports listed), each with the samples and logs it was seen
/// in and, from the logs' records, its role or why it is context rather than an indicator.
fn ioc_rows(analysis: &InputFindings) -> (Vec<IocRow>, usize) {
    struct Row<'a> {
        kind: IocKind,
        value: String,
        scope: Option<Scope>,
        defanged: bool,
        ports: BTreeSet<u16>,
        sources: Vec<(&'a str, Option<u64>)>,
        in_sample: bool,
        count: u64,
        intel: Vec<crate::ioc::IntelHit>,
    }
    let samples: BTreeSet<&str> = analysis.samples.iter().map(|t| t.name.as_str()).collect();
    let mut omitted = 0;
    let mut order: Vec<(IocKind, String)> = Vec::new();
    let mut rows: BTreeMap<(IocKind, String), Row> = BTreeMap::new();
    for ioc in &analysis.extraction.iocs {
        if ioc.flags.allowlisted {
            omitted += 1;
            continue;
        }
        let (kind, value, port) = match ioc.kind {
            IocKind::Ipv4 | IocKind::Ipv6 => match crate::ioc::split_address(&ioc.value) {
                Some((ip, port)) => {
                    let kind = if ip.is_ipv4() {
                        IocKind::Ipv4
                    } else {
                        IocKind::Ipv6
                    };
                    (kind, ip.to_string(), port)
                }
                None => (ioc.kind, ioc.value.clone(), None),
            },
            kind => (kind, ioc.value.clone(), None),
        };
        let key = (kind, value.clone());
        let row = rows.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            Row {
                kind,
                value,
                scope: ioc.flags.scope,
                defanged: false,
                ports: BTreeSet::new(),
                sources: Vec::new(),
                in_sample: false,
                count: 0,
                intel: Vec::new(),
            }
        });
        row.defanged |= ioc.flags.defanged;
        row.intel.extend(ioc.intel.iter().cloned());
        row.ports.extend(port);
        row.ports.extend(ioc.ports.iter().copied());
        row.count += ioc.count;
        for s in &ioc.sightings {
            row.in_sample |= samples.contains(&*s.source);
            if !row.sources.iter().any(|(n, _)| *n == &*s.source) {
                row.sources.push((&s.source, s.line));
            }
        }
    }
    let d = &analysis.dynamic;
    let rows = order
        .into_iter()
        .filter_map(|key| rows.remove(&key))
        .map(|r| {
            let mut notes = Vec::new();
            if let Some(scope) = r.scope {
                if scope != Scope::Public {
                    notes.push(format!("{} range", scope.as_str().replace('_', "-")));
                }
            }
            if r.defanged {
                notes.push("written defanged".to_string());
            }
            let mut intel = r.intel.clone();
            intel.sort();
            intel.dedup();
            notes.extend(intel.iter().map(intel_note));
            if !r.ports.is_empty() {
                notes.push(format!(
                    "port{} {}",
                    if r.ports.len() > 1 { "s" } else { "" },
                    crate::primitives::capped_list(r.ports.iter(), crate::primitives::PORTS_SHOWN)
                ));
            }
            let context = (!r.in_sample)
                .then(|| d.context_of(r.kind, &r.value))
                .flatten();
            match &context {
                Some(why) => notes.push(format!("context, not an indicator: {why}")),
                None => {
                    let network_kind =
                        matches!(r.kind, IocKind::Ipv4 | IocKind::Ipv6 | IocKind::Domain);
                    let roles: Vec<&str> =
                        d.roles_of(&r.value).iter().map(|x| x.as_str()).collect();
                    if network_kind && !roles.is_empty() {
                        notes.push(roles.join(", ").replace('_', " "));
                    }
                }
            }
            if matches!(
                r.kind,
                IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 | IocKind::Sha512
            ) {
                let files = d.files_of(&r.value);
                if !files.is_empty() && context.is_none() {
                    notes.push(format!("file {}", files.join(", ")));
                }
            }
            let mut seen: Vec<String> = r
                .sources
                .iter()
                .take(MAX_ROW_SOURCES)
                .map(|(name, line)| match line {
                    Some(l) => format!("{} line {l}", base_name(name)),
                    None => base_name(name).to_string(),
                })
                .collect();
            if r.sources.len() > MAX_ROW_SOURCES {
                seen.push(format!("{} more", r.sources.len() - MAX_ROW_SOURCES));
            }
            let network = matches!(
                r.kind,
                IocKind::Ipv4 | IocKind::Ipv6 | IocKind::Domain | IocKind::Url | IocKind::Email
            );
            IocRow {
                kind: r.kind.as_str().to_string(),
                value: match r.kind {
                    IocKind::Ipv6 => crate::ioc::refang::defang_readable_ipv6(&r.value),
                    _ if network => crate::ioc::refang::defang(r.kind, &r.value),
                    _ => r.value.clone(),
                },
                notes: notes.join(", "),
                seen_in: seen.join("; "),
                count: r.count,
            }
        })
        .collect();
    (rows, omitted)
}

/// Mutex names as indicators: those the samples carry (see [`crate::findings::mutex`]) and
/// those the logs saw created, one row per name (any case), with where it was first seen.
fn mutex_rows(analysis: &InputFindings, logged: &BTreeSet<String>) -> Vec<IocRow> {
    let mut rows: BTreeMap<String, IocRow> = BTreeMap::new();
    for t in &analysis.samples {
        for m in crate::findings::mutex::names(t, logged) {
            let row = rows
                .entry(m.value.to_ascii_lowercase())
                .or_insert_with(|| IocRow {
                    kind: "mutex".to_string(),
                    value: m.value.clone(),
                    notes: String::new(),
                    seen_in: format!("{} @0x{:x}", base_name(&t.name), m.offset),
                    count: 0,
                });
            row.count += 1;
        }
    }
    for c in analysis.dynamic.iocs.iter().filter(|c| c.kind == "mutex") {
        let row = rows
            .entry(c.value.to_ascii_lowercase())
            .or_insert_with(|| IocRow {
                kind: "mutex".to_string(),
                value: c.value.clone(),
                notes: String::new(),
                seen_in: base_name(&c.first_seen.source).to_string(),
                count: 0,
            });
        row.count += c.count;
        if row.notes.is_empty() {
            row.notes = "created in the analysis logs".to_string();
        }
    }
    rows.into_values().collect()
}

/// `known to FEED (matched ...; tags ...; first seen ...; threat level ...)`, with the
/// matched value defanged so the report stays safe to share.
fn intel_note(hit: &crate::ioc::IntelHit) -> String {
    let m = &hit.matched;
    let kind = if m.contains("://") {
        Some(IocKind::Url)
    } else if m.contains('@') {
        Some(IocKind::Email)
    } else if m
        .split('/')
        .next()
        .is_some_and(|a| a.parse::<std::net::Ipv4Addr>().is_ok())
    {
        Some(IocKind::Ipv4)
    } else if m.contains(':')
        && m.split('/')
            .next()
            .is_some_and(|a| a.parse::<std::net::Ipv6Addr>().is_ok())
    {
        Some(IocKind::Ipv6)
    } else if m.contains('.') && !m.contains(['\\', ' ']) && m.len() < 254 {
        Some(IocKind::Domain)
    } else {
        None
    };
    let mut hit = hit.clone();
    if let Some(kind) = kind {
        hit.matched = crate::ioc::refang::defang(kind, m);
    }
    if let Some(list) = crate::intel::warninglists::list_of(&hit) {
        let what = crate::intel::warninglists::description(list)
            .map(|d| format!(": {}", d.trim_end_matches('.')))
            .unwrap_or_default();
        return defang_text(&format!(
            "on the known-benign warning list {list} (matched {}){what}",
            hit.matched
        ));
    }
    defang_text(&format!("known to {}", hit.describe()))
}

/// How many indicators with log context the report lists at most.
const MAX_CONTEXT_IOCS: usize = 40;

fn dynamic_section(analysis: &InputFindings) -> DynamicSection {
    let d = &analysis.dynamic;
    let total_events: u64 = analysis.log_summaries.iter().map(|l| l.events).sum();
    let notes = if analysis.logs.is_empty() {
        vec![
            "No analysis logs were given, so this report has no dynamic findings: what the \
              samples did when run is not known from this analysis."
                .to_string(),
        ]
    } else if total_events == 0 {
        vec![format!(
            "{} log file(s) were read; none held events spoor reads (they were scanned for \
             indicators, listed in the IOC table with the log as their source).",
            analysis.logs.len()
        )]
    } else {
        vec![format!(
            "{} log file(s) gave {total_events} events: {} persistence mechanism(s), {} \
             process(es) in the tree, {} indicator(s) with context.",
            analysis.logs.len(),
            d.persistence.len(),
            count_processes(&d.process_tree),
            d.iocs.len()
        )]
    };
    let mut process_tree = Vec::new();
    for root in &d.process_tree {
        flatten(root, 0, &mut process_tree);
    }
    DynamicSection {
        logs: analysis
            .log_summaries
            .iter()
            .map(|l| LogRow {
                name: l.name.clone(),
                format: l.format.as_str().to_string(),
                records: l.records,
                events: l.events,
            })
            .collect(),
        notes,
        process_tree,
        activity: d.actions.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        persistence: d
            .persistence
            .iter()
            .map(|p| PersistenceRow {
                technique: p.technique.clone(),
                name: p.name.clone(),
                location: p.location.clone(),
                runs: defang_text(p.runs.as_deref().unwrap_or("")),
                by: p.by.clone().unwrap_or_default(),
            })
            .collect(),
        context_iocs: d
            .iocs
            .iter()
            .filter(|i| !i.context.is_empty())
            .take(MAX_CONTEXT_IOCS)
            .map(|i| {
                let value = match i.kind.as_str() {
                    "domain" | "ipv4" | "ipv6" | "url" | "email" => {
                        match serde_json::from_value::<IocKind>(serde_json::Value::String(
                            i.kind.clone(),
                        )) {
                            Ok(kind) => crate::ioc::refang::defang(kind, &i.value),
                            Err(_) => i.value.clone(),
                        }
                    }
                    _ => i.value.clone(),
                };
                (i.kind.clone(), value, defang_text(&i.context.join("; ")))
            })
            .collect(),
    }
}

fn count_processes(nodes: &[crate::findings::behaviour::ProcessNode]) -> usize {
    nodes.iter().map(|n| 1 + count_processes(&n.children)).sum()
}

fn flatten(node: &crate::findings::behaviour::ProcessNode, depth: usize, out: &mut Vec<TreeLine>) {
    let image = node
        .image
        .as_deref()
        .map(|i| base_name(i).to_string())
        .unwrap_or_else(|| "(unknown image)".to_string());
    let process = match node.pid {
        Some(pid) => format!("{image} (pid {pid})"),
        None => image,
    };
    out.push(TreeLine {
        depth,
        process,
        command_line: defang_text(node.command_line.as_deref().unwrap_or("")),
        log: if depth == 0 {
            base_name(&node.source).to_string()
        } else {
            String::new()
        },
    });
    for child in &node.children {
        flatten(child, depth + 1, out);
    }
}

fn overview(
    analysis: &InputFindings,
    report: &AnalystReport,
    options: &ReportOptions,
) -> Vec<String> {
    let mut out = Vec::new();
    let n = analysis.samples.len();
    let mut formats: BTreeMap<String, usize> = BTreeMap::new();
    for t in &analysis.samples {
        *formats.entry(describe_format(t)).or_default() += 1;
    }
    let formats: Vec<String> = formats
        .into_iter()
        .map(|(f, c)| if c == 1 { f } else { format!("{c} × {f}") })
        .collect();
    let logs = match analysis.logs.len() {
        0 => String::new(),
        1 => " and 1 analysis log".to_string(),
        m => format!(" and {m} analysis logs"),
    };
    if n == 0 {
        out.push(format!(
            "spoor found no PE, ELF or Mach-O sample among the inputs{logs}."
        ));
    } else {
        out.push(format!(
            "spoor analysed {n} sample{} ({}){logs}.",
            if n == 1 { "" } else { "s" },
            formats.join("; ")
        ));
    }
    out.push(match &options.origin {
        Some(origin) => format!("Origin of the samples, as given: {origin}."),
        None => "Where the samples came from was not given.".to_string(),
    });
    if !analysis.samples.is_empty() {
        let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
        for t in &analysis.samples {
            *verdicts.entry(verdict(t)).or_default() += 1;
        }
        let verdicts: Vec<String> = SampleVerdict::ALL
            .iter()
            .filter_map(|v| verdicts.get(v.as_str()).map(|c| format!("{c} {v}")))
            .collect();
        out.push(format!("Verdicts: {}.", verdicts.join(", ")));
        out.push(class_sentence(&analysis.samples));
        let mut common: Vec<&AttackRow> = report
            .attack
            .iter()
            .filter(|r| r.confidence != Confidence::Low)
            .collect();
        common.sort_by_key(|r| (std::cmp::Reverse(r.samples.len()), r.id.clone()));
        let common: Vec<String> = common
            .iter()
            .take(6)
            .filter(|r| !r.samples.is_empty())
            .map(|r| {
                format!(
                    "{} ({}, {} sample{})",
                    r.name,
                    r.id,
                    r.samples.len(),
                    if r.samples.len() == 1 { "" } else { "s" }
                )
            })
            .collect();
        if !common.is_empty() {
            out.push(format!(
                "Across all samples, the techniques seen most: {}.",
                common.join("; ")
            ));
        }
    }
    let persistence: Vec<String> = report
        .attack
        .iter()
        .filter(|r| r.tactics.iter().any(|t| t == "persistence"))
        .map(|r| format!("{} ({})", r.name, r.id))
        .collect();
    if !persistence.is_empty() {
        out.push(format!(
            "Signs of how it stays on a system: {}.",
            persistence.join("; ")
        ));
    }
    let network: Vec<&IocRow> = report
        .iocs
        .iter()
        .filter(|r| matches!(r.kind.as_str(), "url" | "domain" | "ipv4" | "ipv6"))
        .collect();
    let kept = analysis.extraction.iocs.len() as u64;
    if analysis.iocs_total > kept {
        // More than the report holds: say the real total, and what the table shows.
        out.push(format!(
            "{} indicators were extracted; the report lists the top {kept} (seen in a sample \
             first, then by count), {} of them network indicators, and iocs.json holds them \
             all; none was contacted.",
            analysis.iocs_total,
            network.len()
        ));
    } else if !report.iocs.is_empty() {
        out.push(format!(
            "{} indicator{} {} extracted, {} of them network indicators; none was contacted.",
            report.iocs.len(),
            if report.iocs.len() == 1 { "" } else { "s" },
            if report.iocs.len() == 1 {
                "was"
            } else {
                "were"
            },
            network.len()
        ));
    }
    let warning = |h: &crate::ioc::IntelHit| crate::intel::warninglists::list_of(h).is_some();
    let listed: Vec<&crate::ioc::Ioc> = analysis
        .extraction
        .iocs
        .iter()
        .filter(|i| !i.flags.allowlisted && i.intel.iter().any(warning))
        .collect();
    if !listed.is_empty() {
        let lists: BTreeSet<&str> = listed
            .iter()
            .flat_map(|i| {
                i.intel
                    .iter()
                    .filter_map(crate::intel::warninglists::list_of)
            })
            .collect();
        out.push(format!(
            "{} indicator{} on known-benign warning lists ({}): public resolvers, CDN or \
             cloud ranges, update hosts or top sites that a sample may use or name without \
             them being the attacker's; they are kept and marked in the IOC table, to be \
             checked before they are blocked.",
            listed.len(),
            if listed.len() == 1 { " is" } else { "s are" },
            lists.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    let known: Vec<&crate::ioc::Ioc> = analysis
        .extraction
        .iocs
        .iter()
        .filter(|i| !i.flags.allowlisted && i.intel.iter().any(|h| !warning(h)))
        .collect();
    if !known.is_empty() {
        let feeds: BTreeSet<&str> = known
            .iter()
            .flat_map(|i| {
                i.intel
                    .iter()
                    .filter(|h| !warning(h))
                    .map(|h| h.feed.as_str())
            })
            .collect();
        out.push(format!(
            "{} of the indicators {} known to the intelligence feeds given ({}); the IOC table \
             says which entry each matched.",
            known.len(),
            if known.len() == 1 { "is" } else { "are" },
            feeds.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    if analysis.logs.is_empty() {
        out.push(
            "The findings are static (from the files' structure and strings); the samples \
             were not run."
                .to_string(),
        );
    }
    out
}

/// How many characters of a command line a profile quotes at most.
const MAX_PROFILE_COMMAND: usize = 300;
/// How many items a profile sentence lists at most.
const MAX_PROFILE_ITEMS: usize = 6;

/// The samples grouped for the overview: by family label when given, else by import hash
/// (samples without one stand alone), in input order of each group's first sample.
fn sample_groups<'a>(
    analysis: &'a InputFindings,
    options: &ReportOptions,
) -> Vec<(String, Vec<&'a Triage>)> {
    let mut groups: Vec<(String, Vec<&Triage>)> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for t in &analysis.samples {
        let imphash = t.pe.as_ref().and_then(|p| p.imphash.clone());
        let (key, title) = match options.families.get(&t.name) {
            Some(family) => (format!("family {family}"), family.clone()),
            None => match imphash {
                Some(h) => (
                    format!("imphash {h}"),
                    format!("imphash {}…", h.chars().take(12).collect::<String>()),
                ),
                None => (format!("sample {}", t.name), base_name(&t.name).to_string()),
            },
        };
        match index.get(&key) {
            Some(&i) => groups[i].1.push(t),
            None => {
                index.insert(key, groups.len());
                groups.push((title, vec![t]));
            }
        }
    }
    // an import hash that only one sample has: the paragraph is that sample's
    for (title, members) in &mut groups {
        if members.len() == 1 && title.starts_with("imphash ") {
            *title = base_name(&members[0].name).to_string();
        }
    }
    groups
}

fn list(items: &[String]) -> String {
    let shown: Vec<&str> = items
        .iter()
        .take(MAX_PROFILE_ITEMS)
        .map(String::as_str)
        .collect();
    let more = items.len().saturating_sub(MAX_PROFILE_ITEMS);
    if more > 0 {
        format!("{} and {more} more", shown.join("; "))
    } else {
        shown.join("; ")
    }
}

/// One paragraph per group of samples: what it is (format, verdict, what its version
/// information claims, signature, packing), how it runs (execution and persistence
/// techniques; the processes it started in the logs), what it does (the other techniques of
/// medium or higher confidence) and what it contacts (its network indicators, and what the
/// logs saw its processes contact).
fn profiles(analysis: &InputFindings, options: &ReportOptions) -> Vec<Profile> {
    let mut out = Vec::new();
    for (title, members) in sample_groups(analysis, options) {
        let names: Vec<String> = members
            .iter()
            .map(|t| base_name(&t.name).to_string())
            .collect();
        let mut sentences = Vec::new();

        // what it is
        let mut formats: Vec<String> = members.iter().map(|t| describe_format(t)).collect();
        formats.sort();
        formats.dedup();
        let mut verdicts: Vec<&str> = members.iter().map(|t| verdict(t)).collect();
        verdicts.sort_unstable();
        verdicts.dedup();
        let what = if members.len() == 1 {
            format!("{} is a {}", names[0], formats.join(", "))
        } else {
            format!(
                "{} samples ({}): {}",
                members.len(),
                names.join(", "),
                formats.join("; ")
            )
        };
        let mut classes: Vec<String> = members
            .iter()
            .map(|t| crate::findings::classes::summary(&t.classes))
            .collect();
        classes.sort();
        classes.dedup();
        let class = if classes.iter().all(|c| c == "no class") {
            "no class hint".to_string()
        } else {
            format!("class hint: {}", classes.join(" / "))
        };
        sentences.push(format!(
            "{what}; verdict: {}; {class}.",
            verdicts.join(" / ")
        ));
        let mut claims: Vec<String> = Vec::new();
        for t in &members {
            let Some(pe) = &t.pe else { continue };
            let claim: Vec<&str> = ["CompanyName", "FileDescription"]
                .iter()
                .filter_map(|k| pe.version_info.get(*k).map(String::as_str))
                .filter(|v| !v.trim().is_empty())
                .collect();
            if !claim.is_empty() {
                let signed = if pe.signatures.is_empty() && !pe.signed {
                    "unsigned"
                } else {
                    "signed"
                };
                let item = format!("“{}” ({signed})", claim.join(" / "));
                if !claims.contains(&item) {
                    claims.push(item);
                }
            }
        }
        if !claims.is_empty() {
            sentences.push(format!(
                "Its version information claims to be {}.",
                list(&claims)
            ));
        }
        let packed: Vec<String> = members
            .iter()
            .filter(|t| t.packer.verdict != Packing::NotPacked)
            .map(|t| format!("{} {}", base_name(&t.name), t.packer.verdict))
            .collect();
        if !packed.is_empty() {
            sentences.push(format!("Packing: {}.", list(&packed)));
        }

        // techniques: how it runs, what it does
        let mut techniques: BTreeMap<&str, (&str, Confidence)> = BTreeMap::new();
        for t in &members {
            for x in t.techniques.iter() {
                let confidence = x.confidence;
                if confidence == Confidence::Low {
                    continue;
                }
                let entry = techniques
                    .entry(x.id.as_str())
                    .or_insert((x.name.as_str(), confidence));
                entry.1 = entry.1.max(confidence);
            }
        }
        let mut runs = Vec::new();
        let mut does = Vec::new();
        for (id, (name, _)) in &techniques {
            let tactics = tactics_of(id);
            let item = format!("{name} ({id})");
            if tactics
                .iter()
                .any(|t| t == "execution" || t == "persistence")
            {
                runs.push(item);
            } else {
                does.push(item);
            }
        }
        let images: BTreeSet<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        let mut started = Vec::new();
        for root in &analysis.dynamic.process_tree {
            children_of(root, &images, false, &mut started);
        }
        started.dedup();
        let mut how = Vec::new();
        if !runs.is_empty() {
            how.push(format!("statically it shows {}", list(&runs)));
        }
        if !started.is_empty() {
            how.push(format!("in the logs it started {}", list(&started)));
        }
        sentences.push(if how.is_empty() {
            "How it runs and stays: no execution or persistence technique was found.".to_string()
        } else {
            format!("How it runs and stays: {}.", how.join("; "))
        });
        if !does.is_empty() {
            sentences.push(format!("What it does: {}.", list(&does)));
        }

        // what it contacts
        let mut contacts: Vec<String> = Vec::new();
        for t in &members {
            for ioc in &t.iocs {
                if matches!(
                    ioc.kind,
                    IocKind::Url | IocKind::Domain | IocKind::Ipv4 | IocKind::Ipv6
                ) {
                    let v = crate::ioc::refang::defang(ioc.kind, &ioc.value);
                    if !contacts.contains(&v) {
                        contacts.push(v);
                    }
                }
            }
        }
        let mut seen_contacting: Vec<String> = Vec::new();
        for c in &analysis.dynamic.iocs {
            if !matches!(c.kind.as_str(), "domain" | "ipv4" | "ipv6" | "url") {
                continue;
            }
            let by_member = c.context.iter().any(|ctx| {
                let ctx = ctx.to_ascii_lowercase();
                images.iter().any(|i| ctx.contains(i.as_str()))
            });
            if by_member {
                let kind =
                    serde_json::from_value::<IocKind>(serde_json::Value::String(c.kind.clone()));
                let v = match kind {
                    Ok(k) => crate::ioc::refang::defang(k, &c.value),
                    Err(_) => c.value.clone(),
                };
                if !seen_contacting.contains(&v) {
                    seen_contacting.push(v);
                }
            }
        }
        let mut contact = Vec::new();
        if !contacts.is_empty() {
            contact.push(format!("it carries {}", list(&contacts)));
        }
        if !seen_contacting.is_empty() {
            contact.push(format!(
                "in the logs its processes contacted {}",
                list(&seen_contacting)
            ));
        }
        sentences.push(if contact.is_empty() {
            "What it contacts: no network indicator was found.".to_string()
        } else {
            format!("What it contacts: {}.", contact.join("; "))
        });
        out.push(Profile {
            title,
            samples: names,
            sentences: sentences.iter().map(|x| defang_text(x)).collect(),
        });
    }
    out
}

/// The processes (base name and command line) that a process whose image is one of
/// `images` started, from anywhere in the tree.
fn children_of(
    node: &crate::findings::behaviour::ProcessNode,
    images: &BTreeSet<String>,
    parent_is_member: bool,
    out: &mut Vec<String>,
) {
    let name = node
        .image
        .as_deref()
        .map(|i| base_name(i).to_ascii_lowercase())
        .unwrap_or_default();
    if parent_is_member {
        let image = node
            .image
            .as_deref()
            .map(base_name)
            .unwrap_or("a process of unknown image");
        let item = match node.command_line.as_deref() {
            Some(c) if !c.is_empty() => {
                let mut c: String = c.chars().take(MAX_PROFILE_COMMAND).collect();
                if c.len() < node.command_line.as_deref().map_or(0, str::len) {
                    c.push('…');
                }
                format!("{image} (command line: {c})")
            }
            _ => image.to_string(),
        };
        if !out.contains(&item) {
            out.push(item);
        }
    }
    let member = images.contains(&name);
    for child in &node.children {
        children_of(child, images, member, out);
    }
}

/// The class hints across samples in one sentence: each class with how many samples (and
/// which, up to a few), then the samples with none.
fn class_sentence(samples: &[Triage]) -> String {
    let mut by_class: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut none = 0;
    for t in samples {
        if t.classes.is_empty() {
            none += 1;
        }
        for h in &t.classes {
            by_class
                .entry(h.class.as_str())
                .or_default()
                .push(base_name(&t.name));
        }
    }
    let mut parts: Vec<String> = by_class
        .iter()
        .map(|(class, names)| {
            let more = names.len().saturating_sub(3);
            let shown = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!("{class} ({}: {shown}{more})", names.len())
        })
        .collect();
    if none > 0 {
        parts.push(format!("no class for {none}"));
    }
    format!("Class hints: {}.", parts.join("; "))
}

fn category_explanations() -> &'static BTreeMap<&'static str, String> {
    static TABLE: OnceLock<BTreeMap<&'static str, String>> = OnceLock::new();
    TABLE.get_or_init(|| {
        tables::entries(tables::CATEGORY_EXPLANATIONS)
            .filter_map(|line| line.split_once(' '))
            .map(|(name, text)| (name, text.trim().to_string()))
            .collect()
    })
}

struct TacticTable {
    order: Vec<String>,
    by_technique: BTreeMap<String, Vec<String>>,
}

fn tactic_table() -> &'static TacticTable {
    static TABLE: OnceLock<TacticTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = TacticTable {
            order: Vec::new(),
            by_technique: BTreeMap::new(),
        };
        for line in tables::entries(tables::ATTACK_TACTICS) {
            let mut words = line.split_whitespace();
            let Some(first) = words.next() else { continue };
            let rest: Vec<String> = words.map(str::to_string).collect();
            if first == "order" {
                table.order = rest;
            } else {
                table.by_technique.insert(first.to_string(), rest);
            }
        }
        table
    })
}

/// The tactics of a technique id (a sub-technique falls back to its parent), in ATT&CK order.
pub fn tactics_of(id: &str) -> Vec<String> {
    let table = tactic_table();
    let parent = id.split('.').next().unwrap_or(id);
    let mut tactics = table
        .by_technique
        .get(id)
        .or_else(|| table.by_technique.get(parent))
        .cloned()
        .unwrap_or_default();
    tactics.sort_by_key(|t| {
        table
            .order
            .iter()
            .position(|o| o == t)
            .unwrap_or(usize::MAX)
    });
    tactics
}

/// The ATT&CK tactics in matrix order.
pub fn tactic_order() -> &'static [String] {
    &tactic_table().order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_technique_in_the_rules_has_a_tactic() {
        for line in tables::entries(tables::ATTACK_TECHNIQUES) {
            let id = line.split_whitespace().next().unwrap_or("");
            assert!(!tactics_of(id).is_empty(), "{id} has no tactic");
        }
    }

    #[test]
    fn tactics_come_in_matrix_order() {
        assert_eq!(
            tactics_of("T1574.006"),
            ["persistence", "privilege-escalation", "defense-evasion"]
        );
        assert!(tactic_order().len() >= 14);
    }
}
