//! The exporters' input: a plain, format-neutral summary of what one spoor run found.
//!
//! [`ExchangeFindings`] is what the STIX and MISP exporters read. It holds analysed samples (file
//! facts), indicators with where they were seen, ATT&CK techniques and (once the rule
//! generator exists) YARA rules. Each producer has an adapter here ([`ExchangeFindings::from_extraction`]
//! for `spoor extract`, [`ExchangeFindings::from_triage`] for `spoor triage`,
//! [`ExchangeFindings::from_analysis`] for `spoor analyze`); a new producer (log readers, the rule
//! generator) only adds its own adapter or pushes into the lists and calls
//! [`ExchangeFindings::normalise`], and the exporters stay unchanged. Every list is kept sorted so
//! output is deterministic.

use crate::extract::Extraction;
use crate::findings::triage::{SampleFormat, Triage};
use crate::findings::Confidence;
use crate::ioc::IocKind;
use md5::Md5;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Everything one run found, ready for export.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExchangeFindings {
    /// Analysed samples (executables), in input order; indicators point into this list.
    pub samples: Vec<SampleFacts>,
    /// Other sources read (logs, reports, text), by name, sorted.
    pub sources: Vec<String>,
    /// Indicators, sorted by kind and value, without duplicates.
    pub indicators: Vec<Indicator>,
    /// ATT&CK techniques, sorted by id.
    pub techniques: Vec<TechniqueFinding>,
    /// YARA rules, sorted by name.
    pub rules: Vec<RuleFinding>,
    /// Malware family the samples belong to, when known (makes a family malware object).
    pub family: Option<String>,
}

/// The kinds of indicator the exporters know: every extracted IOC kind, plus observables
/// that come from samples and logs rather than the text scanner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndicatorKind {
    /// An indicator found by the IOC scanner.
    Ioc(IocKind),
    /// A mutex (or other named synchronisation object) name.
    Mutex,
    /// A bare file name (no directory).
    FileName,
}

impl IndicatorKind {
    /// The stable name: the IOC kind's name, `mutex` or `file_name`.
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorKind::Ioc(k) => k.as_str(),
            IndicatorKind::Mutex => "mutex",
            IndicatorKind::FileName => "file_name",
        }
    }
}

/// One indicator and where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// What it is.
    pub kind: IndicatorKind,
    /// The normalised (refanged) value.
    pub value: String,
    /// Indices into [`ExchangeFindings::samples`] of the samples it was found in, sorted.
    pub samples: Vec<usize>,
    /// Names of the other sources (logs, text) it was seen in, sorted.
    pub sources: Vec<String>,
    /// How many times it was seen in total.
    pub count: u64,
    /// What the analyst's intelligence feeds know about it (`--intel`), sorted.
    pub intel: Vec<crate::ioc::IntelHit>,
    /// Why it is context rather than an indicator, when it is: the sandbox's own network
    /// (the analysis machine, its resolver), a hash of a system file. Exporters keep it as
    /// an observable, never as a STIX indicator, a MISP `to_ids` attribute or a block rule.
    pub context: Option<String>,
    /// What a network indicator was in the logs' records (`contacted`, `queried`,
    /// `resolved`, `resolver`, `analysis_host`, ...), sorted; empty when no record said.
    pub roles: Vec<String>,
    /// The files a hash belongs to, as the logs record them.
    pub files: Vec<String>,
    /// Ports written with an address (`192.0.2.1:443`), merged into the address.
    pub ports: Vec<u16>,
}

impl Indicator {
    /// An indicator of `kind` with `value`, seen nowhere yet.
    pub fn new(kind: IndicatorKind, value: impl Into<String>) -> Self {
        Indicator {
            kind,
            value: value.into(),
            samples: Vec::new(),
            sources: Vec::new(),
            count: 0,
            intel: Vec::new(),
            context: None,
            roles: Vec::new(),
            files: Vec::new(),
            ports: Vec::new(),
        }
    }

    /// Whether it is exported as an indicator (not context).
    pub fn is_indicator(&self) -> bool {
        self.context.is_none()
    }
}

/// An ATT&CK technique and the samples that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TechniqueFinding {
    /// Technique id (`T1055`, `T1547.001`).
    pub id: String,
    /// Name (`Process Injection: Dynamic-link Library Injection`).
    pub name: String,
    /// Indices into [`ExchangeFindings::samples`], sorted.
    pub samples: Vec<usize>,
}

/// A YARA rule and the samples it was written for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFinding {
    /// Rule name.
    pub name: String,
    /// Complete rule source.
    pub text: String,
    /// Indices into [`ExchangeFindings::samples`], sorted.
    pub samples: Vec<usize>,
}

/// File facts of one analysed sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleFacts {
    /// The label the sample was read under (usually its path).
    pub label: String,
    /// The file name (last path component of the label).
    pub file_name: String,
    /// Size in bytes.
    pub size: u64,
    /// MD5, lower-case hex.
    pub md5: String,
    /// SHA-1, lower-case hex.
    pub sha1: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// SHA-512, lower-case hex.
    pub sha512: String,
    /// `pe`, `elf`, `macho`, `macho-fat` or `unknown`.
    pub format: String,
    /// PE header facts, for PE files.
    pub pe: Option<PeFacts>,
    /// Behaviour categories of its imports (`injection`, `network`, ...), in table order:
    /// only those with real evidence (medium or high confidence: APIs every runtime imports,
    /// such as `Sleep` or `OutputDebugStringA`, do not make a sample anti-VM or anti-debug).
    pub behaviours: Vec<String>,
    /// ATT&CK technique ids found at medium confidence or more (some earn a STIX
    /// capability: `T1497.001` anti-vm, `T1622` anti-debugging).
    pub techniques: Vec<String>,
    /// Class hints (`loader`, `ransomware`, ...), in table order; empty: no class.
    pub classes: Vec<String>,
}

/// PE facts carried into the STIX `windows-pebinary-ext` and the MISP `pe` object.
#[derive(Debug, Clone, PartialEq)]
pub struct PeFacts {
    /// `exe`, `dll` or `sys`.
    pub pe_type: String,
    /// pefile-compatible import hash.
    pub imphash: Option<String>,
    /// COFF machine type as 4 hex digits (`8664`, `014c`), when known.
    pub machine_hex: Option<String>,
    /// COFF header time stamp, seconds since 1970.
    pub time_date_stamp: u32,
    /// Sections in header order.
    pub sections: Vec<SectionFacts>,
}

/// One PE section.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionFacts {
    /// Section name.
    pub name: String,
    /// Raw size in the file.
    pub size: u64,
    /// Entropy in bits per byte.
    pub entropy: f64,
    /// MD5 of the section's bytes in the file (absent for sections without raw data).
    pub md5: Option<String>,
    /// SHA-256 of the section's bytes in the file.
    pub sha256: Option<String>,
}

impl ExchangeFindings {
    /// Findings of `spoor extract`: the indicators, with the sources they were seen in.
    pub fn from_extraction(extraction: &Extraction) -> Self {
        let mut findings = ExchangeFindings {
            sources: extraction.sources.iter().map(|s| s.name.clone()).collect(),
            ..ExchangeFindings::default()
        };
        for ioc in &extraction.iocs {
            if ioc.flags.allowlisted {
                continue;
            }
            let sources: BTreeSet<String> =
                ioc.sightings.iter().map(|s| s.source.to_string()).collect();
            findings.indicators.push(Indicator {
                sources: sources.into_iter().collect(),
                count: ioc.count,
                intel: ioc.intel.clone(),
                ports: ioc.ports.clone(),
                ..Indicator::new(IndicatorKind::Ioc(ioc.kind), ioc.value.clone())
            });
        }
        findings.normalise();
        findings
    }

    /// Findings of `spoor triage`: each report with the bytes it was made from (needed for
    /// the section digests, which the triage report does not carry).
    pub fn from_triage(reports: &[(&Triage, &[u8])]) -> Self {
        let facts = reports
            .iter()
            .map(|(t, data)| SampleFacts::from_triage(t, data))
            .collect();
        let reports: Vec<&Triage> = reports.iter().map(|(t, _)| *t).collect();
        ExchangeFindings::from_triage_facts(&reports, facts)
    }

    /// Like [`ExchangeFindings::from_triage`], with each report's [`SampleFacts`] made beforehand
    /// (so a caller can drop each sample's bytes as soon as it is triaged). `facts` and
    /// `reports` are in the same order.
    pub fn from_triage_facts(reports: &[&Triage], facts: Vec<SampleFacts>) -> Self {
        let mut findings = ExchangeFindings {
            samples: facts,
            ..ExchangeFindings::default()
        };
        let mut indicators: BTreeMap<(IndicatorKind, String), Indicator> = BTreeMap::new();
        let mut techniques: BTreeMap<String, TechniqueFinding> = BTreeMap::new();
        for (index, t) in reports.iter().enumerate() {
            for ioc in &t.iocs {
                let kind = IndicatorKind::Ioc(ioc.kind);
                let entry = indicators
                    .entry((kind, ioc.value.clone()))
                    .or_insert_with(|| Indicator::new(kind, ioc.value.clone()));
                entry.samples.push(index);
                entry.intel.extend(ioc.intel.iter().cloned());
                entry.count += ioc.sightings.len().max(1) as u64;
            }
            for m in &t.mutexes {
                let entry = indicators
                    .entry((IndicatorKind::Mutex, m.value.clone()))
                    .or_insert_with(|| Indicator::new(IndicatorKind::Mutex, m.value.clone()));
                entry.samples.push(index);
                entry.count += 1;
            }
            for tech in &t.techniques {
                techniques
                    .entry(tech.id.clone())
                    .or_insert_with(|| TechniqueFinding {
                        id: tech.id.clone(),
                        name: tech.name.clone(),
                        samples: Vec::new(),
                    })
                    .samples
                    .push(index);
            }
        }
        findings.indicators = indicators.into_values().collect();
        findings.techniques = techniques.into_values().collect();
        findings.normalise();
        findings
    }

    /// Findings of `spoor analyze`: the triaged samples, and every IOC of the samples and
    /// logs (an IOC seen in a sample's file is linked to that sample). The analysis keeps no
    /// sample bytes, so PE sections carry no digests here.
    pub fn from_analysis(analysis: &crate::analyze::InputFindings) -> Self {
        let pairs: Vec<(&Triage, &[u8])> = analysis.samples.iter().map(|t| (t, &[][..])).collect();
        let mut findings = ExchangeFindings::from_triage(&pairs);
        let by_name: BTreeMap<&str, usize> = analysis
            .samples
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.as_str(), i))
            .collect();
        let mut index: BTreeMap<(IndicatorKind, String), usize> = findings
            .indicators
            .iter()
            .enumerate()
            .map(|(i, x)| ((x.kind, x.value.clone()), i))
            .collect();
        let mut sources: BTreeSet<String> = analysis.logs.iter().cloned().collect();
        sources.extend(analysis.other_files.iter().cloned());
        for ioc in &analysis.extraction.iocs {
            if ioc.flags.allowlisted {
                continue;
            }
            let mut ind = Indicator {
                count: ioc.count,
                intel: ioc.intel.clone(),
                ports: ioc.ports.clone(),
                ..Indicator::new(IndicatorKind::Ioc(ioc.kind), ioc.value.clone())
            };
            for s in &ioc.sightings {
                match by_name.get(&*s.source) {
                    Some(&i) => ind.samples.push(i),
                    None => ind.sources.push(s.source.to_string()),
                }
            }
            match index
                .get(&(ind.kind, ind.value.clone()))
                .and_then(|&i| findings.indicators.get_mut(i))
            {
                Some(existing) => {
                    existing.samples.extend(ind.samples);
                    existing.sources.extend(ind.sources);
                    existing.count = existing.count.max(ind.count);
                    existing.intel.extend(ind.intel);
                }
                None => {
                    index.insert((ind.kind, ind.value.clone()), findings.indicators.len());
                    findings.indicators.push(ind);
                }
            }
        }
        // Mutexes: those the logs saw created, and sample strings equal to one of them.
        let logged = analysis.logged_mutexes();
        let mut mutexes: Vec<Indicator> = Vec::new();
        for (i, t) in analysis.samples.iter().enumerate() {
            for m in crate::findings::mutex::names(t, &logged) {
                mutexes.push(Indicator {
                    samples: vec![i],
                    count: 1,
                    ..Indicator::new(IndicatorKind::Mutex, m.value)
                });
            }
        }
        for c in analysis.dynamic.iocs.iter().filter(|c| c.kind == "mutex") {
            mutexes.push(Indicator {
                sources: vec![c.first_seen.source.to_string()],
                count: c.count,
                ..Indicator::new(IndicatorKind::Mutex, c.value.clone())
            });
        }
        for ind in mutexes {
            match index
                .get(&(ind.kind, ind.value.clone()))
                .and_then(|&i| findings.indicators.get_mut(i))
            {
                Some(existing) => {
                    existing.samples.extend(ind.samples);
                    existing.sources.extend(ind.sources);
                    existing.count = existing.count.max(ind.count);
                }
                None => {
                    index.insert((ind.kind, ind.value.clone()), findings.indicators.len());
                    findings.indicators.push(ind);
                }
            }
        }
        findings.sources = sources.into_iter().collect();
        findings.add_log_context(&analysis.dynamic);
        findings.merge_address_forms();
        findings.normalise();
        findings
    }

    /// What the logs' records say about each indicator: the roles of addresses and names,
    /// the files of hashes, and which of them are context (see
    /// [`crate::findings::behaviour::LogFindings::context_of`]). An indicator also found in a
    /// sample stays an indicator: the sample carries it.
    pub fn add_log_context(&mut self, dynamic: &crate::findings::behaviour::LogFindings) {
        for ind in &mut self.indicators {
            let IndicatorKind::Ioc(kind) = ind.kind else {
                continue;
            };
            match kind {
                IocKind::Ipv4 | IocKind::Ipv6 | IocKind::Domain => {
                    ind.roles = dynamic
                        .roles_of(&ind.value)
                        .iter()
                        .map(|r| r.as_str().to_string())
                        .collect();
                }
                IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 | IocKind::Sha512 => {
                    ind.files = dynamic.files_of(&ind.value);
                }
                _ => {}
            }
            if ind.samples.is_empty() {
                ind.context = dynamic.context_of(kind, &ind.value);
            }
        }
    }

    /// One indicator per IP address: its `ip:port`, `[ip]:port` and IPv4-mapped IPv6
    /// (`::ffff:192.0.2.1`) forms are merged into the plain address, with the ports listed.
    pub fn merge_address_forms(&mut self) {
        let mut merged: BTreeMap<std::net::IpAddr, Indicator> = BTreeMap::new();
        let mut rest = Vec::with_capacity(self.indicators.len());
        for ind in std::mem::take(&mut self.indicators) {
            let address = match ind.kind {
                IndicatorKind::Ioc(IocKind::Ipv4 | IocKind::Ipv6) => {
                    crate::ioc::split_address(&ind.value)
                }
                _ => None,
            };
            let Some((ip, port)) = address else {
                rest.push(ind);
                continue;
            };
            let kind = IndicatorKind::Ioc(if ip.is_ipv4() {
                IocKind::Ipv4
            } else {
                IocKind::Ipv6
            });
            let entry = merged.entry(ip).or_insert_with(|| Indicator {
                // context only while every form is context
                context: ind.context.clone(),
                ..Indicator::new(kind, ip.to_string())
            });
            entry.samples.extend(ind.samples);
            entry.sources.extend(ind.sources);
            entry.count += ind.count;
            entry.roles.extend(ind.roles);
            entry.intel.extend(ind.intel);
            entry.ports.extend(port);
            entry.ports.extend(ind.ports);
            if ind.context.is_none() {
                entry.context = None;
            }
        }
        for mut ind in merged.into_values() {
            ind.roles.sort();
            ind.roles.dedup();
            ind.ports.sort_unstable();
            ind.ports.dedup();
            rest.push(ind);
        }
        self.indicators = rest;
    }

    /// Sorts and deduplicates every list (call after pushing into them by hand).
    pub fn normalise(&mut self) {
        self.sources.sort();
        self.sources.dedup();
        self.indicators
            .sort_by(|a, b| (a.kind, &a.value).cmp(&(b.kind, &b.value)));
        self.indicators
            .dedup_by(|a, b| a.kind == b.kind && a.value == b.value);
        for i in &mut self.indicators {
            i.samples.sort_unstable();
            i.samples.dedup();
            i.sources.sort();
            i.sources.dedup();
            i.intel.sort();
            i.intel.dedup();
        }
        self.techniques.sort_by(|a, b| a.id.cmp(&b.id));
        self.techniques.dedup_by(|a, b| a.id == b.id);
        for t in &mut self.techniques {
            t.samples.sort_unstable();
            t.samples.dedup();
        }
        self.rules.sort_by(|a, b| a.name.cmp(&b.name));
        for r in &mut self.rules {
            r.samples.sort_unstable();
            r.samples.dedup();
        }
    }
}

impl SampleFacts {
    /// The facts of one triage report; `data` are the bytes it was made from.
    pub fn from_triage(t: &Triage, data: &[u8]) -> Self {
        let file_name = t
            .name
            .rsplit(['/', '\\'])
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or(&t.name)
            .to_string();
        let pe = t.pe.as_ref().map(|pe| PeFacts {
            pe_type: if pe.subsystem == "native" {
                "sys".to_string()
            } else if pe.dll {
                "dll".to_string()
            } else {
                "exe".to_string()
            },
            imphash: pe.imphash.clone(),
            machine_hex: machine_hex(&t.arch).map(str::to_string),
            time_date_stamp: pe.timestamp,
            sections: t
                .sections
                .iter()
                .map(|s| {
                    let bytes = crate::primitives::slice(data, s.raw_offset, s.raw_size);
                    let digests = (!bytes.is_empty()).then(|| {
                        (
                            crate::primitives::hex(&Md5::digest(bytes)),
                            crate::primitives::hex(&Sha256::digest(bytes)),
                        )
                    });
                    SectionFacts {
                        name: s.name.clone(),
                        size: s.raw_size,
                        entropy: s.entropy,
                        md5: digests.as_ref().map(|d| d.0.clone()),
                        sha256: digests.map(|d| d.1),
                    }
                })
                .collect(),
        });
        SampleFacts {
            label: t.name.clone(),
            file_name,
            size: t.size,
            md5: t.hashes.md5.clone(),
            sha1: t.hashes.sha1.clone(),
            sha256: t.hashes.sha256.clone(),
            sha512: t.hashes.sha512.clone(),
            format: t.format.as_str().to_string(),
            pe: if t.format == SampleFormat::Pe {
                pe
            } else {
                None
            },
            behaviours: t
                .behavior
                .categories
                .iter()
                .filter(|c| c.confidence != Confidence::Low)
                .map(|c| c.name.clone())
                .collect(),
            techniques: t
                .techniques
                .iter()
                .filter(|x| x.confidence != Confidence::Low)
                .map(|x| x.id.clone())
                .collect(),
            classes: t.classes.iter().map(|h| h.class.clone()).collect(),
        }
    }
}

/// The COFF machine type of a PE architecture name, as 4 hex digits.
fn machine_hex(arch: &str) -> Option<&'static str> {
    Some(match arch {
        "x86" | "i386" => "014c",
        "x86_64" | "amd64" | "x64" => "8664",
        "arm64" | "aarch64" => "aa64",
        "ia64" => "0200",
        _ => return None,
    })
}
