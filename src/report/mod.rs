//! The analyst report: what goes into it and in which order.
//!
//! [`Report::build`] turns an [`Analysis`] into a [`Report`], a plain model in the order an
//! analyst writes one: overview, sample tags, static findings, dynamic findings, ATT&CK,
//! remediation, IOCs, detection rules. Every sentence and row comes from a finding; where
//! something is unknown the report says so. The renderers ([`markdown`], [`html`]) only
//! format this model.

pub mod html;
pub mod markdown;
mod remediation;

use crate::analyze::Analysis;
use crate::ioc::{IocKind, Scope};
use crate::sample::{Format, Triage};
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
}

/// The report model.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Title.
    pub title: String,
    /// Report date.
    pub date: String,
    /// spoor's version.
    pub generator: String,
    /// The overview paragraph, one sentence per entry.
    pub overview: Vec<String>,
    /// One section per sample.
    pub samples: Vec<SampleSection>,
    /// Dynamic findings.
    pub dynamic: DynamicSection,
    /// ATT&CK techniques across samples.
    pub attack: Vec<AttackRow>,
    /// What to clean up, with commands to review.
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
    pub confidence: String,
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
    /// Where it was first seen.
    pub seen_in: String,
    /// Total sightings.
    pub count: u64,
}

/// How many strings of interest a sample section lists at most.
const MAX_STRINGS: usize = 40;
/// Up to this many samples, the overview has a sentence for each.
const MAX_SAMPLE_SENTENCES: usize = 5;
/// How many evidence items an ATT&CK row lists at most.
const MAX_EVIDENCE: usize = 4;

impl Report {
    /// Builds the report model from an analysis.
    pub fn build(analysis: &Analysis, options: &ReportOptions) -> Report {
        let samples: Vec<SampleSection> = analysis.samples.iter().map(sample_section).collect();
        let mut attack = attack_rows(&analysis.samples);
        add_observed_techniques(&mut attack, &analysis.dynamic);
        sort_by_tactic(&mut attack);
        let (iocs, iocs_omitted) = ioc_rows(analysis);
        let remediation = remediation::items(analysis);
        let dynamic = dynamic_section(analysis);
        let mut problems: Vec<String> = analysis
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.source, e.message))
            .collect();
        problems.extend(analysis.warnings.iter().cloned());
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
        let mut report = Report {
            title,
            date: options.date.clone(),
            generator: format!("spoor {}", env!("CARGO_PKG_VERSION")),
            overview: Vec::new(),
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
        report.overview = overview(analysis, &report, options);
        report
    }
}

fn default_title(analysis: &Analysis) -> String {
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

pub use crate::logs::base_name;

/// `malicious-looking`, `suspicious` or `no strong signs`, from the technique confidences.
pub fn verdict(t: &Triage) -> &'static str {
    let high = t
        .techniques
        .iter()
        .filter(|x| x.confidence == "high")
        .count();
    let medium = t
        .techniques
        .iter()
        .filter(|x| x.confidence == "medium")
        .count();
    if high >= 1 || medium >= 2 {
        "malicious-looking"
    } else if medium == 1 || t.packer.verdict == "packed" {
        "suspicious"
    } else {
        "no strong signs"
    }
}

fn describe_format(t: &Triage) -> String {
    let bits = if t.bitness == 0 {
        String::new()
    } else {
        format!("{}-bit ", t.bitness)
    };
    match t.format {
        Format::Pe => {
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
        Format::Elf => {
            let kind = t.elf.as_ref().map(|e| e.kind.as_str()).unwrap_or("");
            let link = match t.elf.as_ref() {
                Some(e) if e.static_linked => ", statically linked",
                _ => "",
            };
            format!("{bits}ELF {kind} for {}{link}", t.arch)
        }
        Format::Macho => format!("{bits}Mach-O file for {}", t.arch),
        Format::MachoFat => format!("universal Mach-O file ({})", t.arch),
        Format::Unknown => "file of unknown format".to_string(),
    }
}

fn sample_section(t: &Triage) -> SampleSection {
    let mut tags: Vec<(String, String)> = vec![
        ("file name".into(), base_name(&t.name).to_string()),
        ("size".into(), format!("{} bytes", t.size)),
        ("MD5".into(), t.hashes.md5.clone()),
        ("SHA-1".into(), t.hashes.sha1.clone()),
        ("SHA-256".into(), t.hashes.sha256.clone()),
        ("format".into(), describe_format(t)),
    ];
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
                "{} bytes, {} load commands, code signature {}",
                slice.size,
                slice.load_commands.len(),
                if slice.code_signature {
                    "present"
                } else {
                    "absent"
                }
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
        })
        .collect();

    let mut seen = BTreeSet::new();
    let strings = t
        .strings
        .iter()
        .filter(|s| {
            s.tags
                .iter()
                .any(|tag| matches!(*tag, "url" | "registry" | "path" | "base64-alphabet"))
        })
        .filter(|s| seen.insert(s.value.as_str()))
        .take(MAX_STRINGS)
        .map(|s| StringRow {
            tags: s.tags.join(", "),
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
        })
        .collect();

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
                name: s.name.clone(),
                size: s.raw_size,
                entropy: (s.entropy * 100.0).round() / 100.0,
                notes: notes.join(", "),
            }
        })
        .collect();

    let packer = if t.packer.reasons.is_empty() {
        t.packer.verdict.clone()
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
    }
}

/// Defangs the URL schemes inside free text (`http://` → `hxxp[://]`), so strings and
/// evidence quoted in the report are not live links.
pub fn defang_text(text: &str) -> String {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| regex::Regex::new(r"(?i)\b(https?|s?ftp)://").ok())
        .as_ref()
    else {
        return text.to_string();
    };
    re.replace_all(text, |caps: &regex::Captures| {
        let scheme = caps[1].to_ascii_lowercase();
        let defanged = match scheme.as_str() {
            "http" => "hxxp",
            "https" => "hxxps",
            "ftp" => "fxp",
            _ => "sfxp",
        };
        format!("{defanged}[://]")
    })
    .into_owned()
}

fn confidence_rank(c: &str) -> u8 {
    match c {
        "observed" => 4,
        "high" => 3,
        "medium" => 2,
        _ => 1,
    }
}

fn attack_rows(samples: &[Triage]) -> Vec<AttackRow> {
    let mut rows: BTreeMap<String, AttackRow> = BTreeMap::new();
    for t in samples {
        for tech in &t.techniques {
            let row = rows.entry(tech.id.clone()).or_insert_with(|| AttackRow {
                id: tech.id.clone(),
                name: tech.name.clone(),
                tactics: tactics_of(&tech.id),
                confidence: tech.confidence.clone(),
                samples: Vec::new(),
                evidence: Vec::new(),
            });
            if confidence_rank(&tech.confidence) > confidence_rank(&row.confidence) {
                row.confidence = tech.confidence.clone();
            }
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
fn add_observed_techniques(rows: &mut Vec<AttackRow>, dynamic: &crate::logs::analysis::Findings) {
    let names = crate::sample::behavior::technique_names();
    for (id, namers) in &dynamic.techniques {
        let evidence: Vec<String> = namers
            .iter()
            .take(MAX_EVIDENCE)
            .map(|n| defang_text(&format!("log {n}")))
            .collect();
        match rows.iter_mut().find(|r| &r.id == id) {
            Some(row) => {
                row.confidence = "observed".to_string();
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
                confidence: "observed".to_string(),
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

fn ioc_rows(analysis: &Analysis) -> (Vec<IocRow>, usize) {
    let mut omitted = 0;
    let rows = analysis
        .extraction
        .iocs
        .iter()
        .filter(|ioc| {
            let keep = !ioc.flags.allowlisted;
            if !keep {
                omitted += 1;
            }
            keep
        })
        .map(|ioc| {
            let mut notes = Vec::new();
            if let Some(scope) = ioc.flags.scope {
                if scope != Scope::Public {
                    notes.push(format!("{} range", scope.as_str().replace('_', "-")));
                }
            }
            if ioc.flags.defanged {
                notes.push("written defanged".to_string());
            }
            let seen_in = ioc
                .sightings
                .first()
                .map(|s| {
                    let place = match (s.line, s.offset) {
                        (Some(l), _) => format!(" line {l}"),
                        (None, Some(o)) => format!(" @0x{o:x}"),
                        _ => String::new(),
                    };
                    format!("{}{place}", base_name(&s.source))
                })
                .unwrap_or_default();
            let network = matches!(
                ioc.kind,
                IocKind::Ipv4 | IocKind::Ipv6 | IocKind::Domain | IocKind::Url | IocKind::Email
            );
            IocRow {
                kind: ioc.kind.as_str().to_string(),
                value: if network {
                    ioc.defanged_value()
                } else {
                    ioc.value.clone()
                },
                notes: notes.join(", "),
                seen_in,
                count: ioc.count,
            }
        })
        .collect();
    (rows, omitted)
}

/// How many indicators with log context the report lists at most.
const MAX_CONTEXT_IOCS: usize = 40;

fn dynamic_section(analysis: &Analysis) -> DynamicSection {
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

fn count_processes(nodes: &[crate::logs::analysis::ProcessNode]) -> usize {
    nodes.iter().map(|n| 1 + count_processes(&n.children)).sum()
}

fn flatten(node: &crate::logs::analysis::ProcessNode, depth: usize, out: &mut Vec<TreeLine>) {
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
    });
    for child in &node.children {
        flatten(child, depth + 1, out);
    }
}

fn overview(analysis: &Analysis, report: &Report, options: &ReportOptions) -> Vec<String> {
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
    if analysis.samples.len() <= MAX_SAMPLE_SENTENCES {
        out.extend(analysis.samples.iter().map(sample_sentence));
    } else {
        let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
        for t in &analysis.samples {
            *verdicts.entry(verdict(t)).or_default() += 1;
        }
        let verdicts: Vec<String> = ["malicious-looking", "suspicious", "no strong signs"]
            .iter()
            .filter_map(|v| verdicts.get(v).map(|c| format!("{c} {v}")))
            .collect();
        out.push(format!("Verdicts: {}.", verdicts.join(", ")));
        let mut common: Vec<&AttackRow> = report
            .attack
            .iter()
            .filter(|r| r.confidence != "low")
            .collect();
        common.sort_by_key(|r| (std::cmp::Reverse(r.samples.len()), r.id.clone()));
        let common: Vec<String> = common
            .iter()
            .take(6)
            .map(|r| format!("{} ({}, {} samples)", r.name, r.id, r.samples.len()))
            .collect();
        if !common.is_empty() {
            out.push(format!(
                "The techniques seen in most samples: {}.",
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
    if !report.iocs.is_empty() {
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
    if analysis.logs.is_empty() {
        out.push(
            "The findings are static (from the files' structure and strings); the samples \
             were not run."
                .to_string(),
        );
    }
    out
}

fn sample_sentence(t: &Triage) -> String {
    let name = base_name(&t.name);
    let verdict = verdict(t);
    let mut techniques: Vec<&crate::sample::behavior::Technique> = t
        .techniques
        .iter()
        .filter(|x| x.confidence != "low")
        .collect();
    techniques.sort_by_key(|x| std::cmp::Reverse(confidence_rank(&x.confidence)));
    let signs: Vec<String> = techniques
        .iter()
        .take(5)
        .map(|x| format!("{} ({})", x.name, x.id))
        .collect();
    let what = if signs.is_empty() {
        "shows no medium- or high-confidence ATT&CK technique".to_string()
    } else {
        format!("shows {}", signs.join(", "))
    };
    let packed = match t.packer.verdict.as_str() {
        "not packed" => String::new(),
        v => format!("; packing: {v}"),
    };
    format!(
        "{name} is a {}; verdict: {verdict}. Statically it {what}{packed}.",
        describe_format(t)
    )
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
