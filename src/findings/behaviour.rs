//! What the analysis logs show: the findings of a session ([`LogFindings`]) with the
//! indicators in context, their network roles, persistence, the process tree and the
//! clean-up list, and where each event came from ([`Provenance`], [`LogFormat`]).
//!
//! The log reader (`crate::logs`) produces these; the exports and the report read them.

use super::benign::in_system_dir;
use crate::error::Warning;
use crate::ioc::IocKind;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// An indicator with what the logs say about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextIoc {
    /// Type, as in the corpus ground truth (`domain`, `registry_value`, `mutex`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Normalised value.
    pub value: String,
    /// How often events mentioned it.
    pub count: u64,
    /// What was done with it, by whom (`resolved by rundll32.exe (4332)`), first few.
    pub context: Vec<String>,
    /// Where it was first seen.
    pub first_seen: Provenance,
    /// What the analyst's intelligence feeds know about it (`--intel`); absent when nothing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub intel: Vec<crate::ioc::IntelHit>,
}

vocabulary! {
    /// What a network address or name was to the analysed machine, from the record it came
    /// from. Only [`Role::is_indicator`] roles make an indicator worth blocking or sharing as
    /// one: the others are the sandbox's own network (the analysis host, its DNS resolver, its
    /// listening ports), context for the analyst.
    pub enum Role {
        /// A destination the analysed machine connected or sent to.
        Contacted => "contacted",
        /// A name the analysed machine looked up.
        Queried => "queried",
        /// An address a looked-up name resolved to.
        Resolved => "resolved",
        /// The DNS server the analysed machine asked.
        Resolver => "resolver",
        /// The analysed machine itself (the source of its connections).
        AnalysisHost => "analysis_host",
        /// The analysed machine, as the side that accepted a connection (a listening port).
        Listening => "listening",
        /// A remote machine that connected to a listening port of the analysed machine.
        InboundPeer => "inbound_peer",
    }
}

impl Role {
    /// Whether the role makes an indicator: something the sample contacted or looked up.
    pub fn is_indicator(self) -> bool {
        matches!(self, Role::Contacted | Role::Queried | Role::Resolved)
    }

    /// In words, for the report and the exports' comments.
    pub fn describe(self) -> &'static str {
        match self {
            Role::Contacted => "contacted by the analysed machine",
            Role::Queried => "looked up by the analysed machine",
            Role::Resolved => "answer to a lookup of the analysed machine",
            Role::Resolver => "the analysis machine's DNS resolver",
            Role::AnalysisHost => "the analysis machine itself",
            Role::Listening => "the analysis machine, accepting a connection",
            Role::InboundPeer => "a machine that connected to the analysis machine",
        }
    }
}

/// The key roles are kept under: an address without port or brackets (an IPv4-mapped IPv6
/// address as IPv4), or a name in lower case; `None` for anything else.
pub fn role_key(value: &str) -> Option<String> {
    let (ip, _) = crate::ioc::split_address(value)
        .map(|(ip, port)| (Some(ip), port))
        .unwrap_or((None, None));
    if let Some(ip) = ip {
        return Some(ip.to_string());
    }
    let v = value.trim().trim_end_matches('.');
    (!v.is_empty() && v.contains('.') && !v.contains([' ', '/', ':']))
        .then(|| v.to_ascii_lowercase())
}

/// A persistence mechanism found in the events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Persistence {
    /// ATT&CK technique id.
    pub technique: String,
    /// What kind of persistence (`Registry Run key`).
    pub name: String,
    /// Where: the registry value, file, task or service name.
    pub location: String,
    /// What it runs, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runs: Option<String>,
    /// The process that made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The event it was found in.
    pub provenance: Provenance,
}

/// One process of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessNode {
    /// Process id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u64>,
    /// Executable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// Whether the logs saw it start (false for parents only named by their children).
    pub seen_starting: bool,
    /// The source it was seen in.
    pub source: Arc<str>,
    /// Processes it started.
    pub children: Vec<ProcessNode>,
}

/// What to clean up on an infected machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Remediation {
    /// Files the sample created or dropped, and sample images outside the system folders.
    pub files_to_delete: BTreeSet<String>,
    /// Folders the sample created: listed for review, never deleted by a command.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub folders_to_review: BTreeSet<String>,
    /// Registry values and keys the sample wrote (hive shortened).
    pub registry_to_remove: BTreeSet<String>,
    /// Scheduled tasks it created.
    pub tasks_to_remove: BTreeSet<String>,
    /// Services it created.
    pub services_to_remove: BTreeSet<String>,
    /// Programs it started (their image paths; never process ids, which are the
    /// analysis machine's).
    pub processes_to_end: BTreeSet<String>,
    /// System programs it started (under a folder of `data/system-files.txt`), by command
    /// line: only the instance running that command line is to end.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub system_processes_to_end: BTreeSet<String>,
    /// Domains, addresses and URLs it contacted (public and documentation scope only).
    pub addresses_to_block: BTreeSet<String>,
}

/// Everything derived from a set of events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogFindings {
    /// Events per action.
    pub actions: BTreeMap<String, u64>,
    /// Root processes of the tree, each with its descendants.
    pub process_tree: Vec<ProcessNode>,
    /// Indicators with context, sorted by type and value.
    pub iocs: Vec<ContextIoc>,
    /// Persistence found, sorted by technique and location.
    pub persistence: Vec<Persistence>,
    /// ATT&CK techniques named by sandbox signatures and persistence, with who named them.
    pub techniques: BTreeMap<String, BTreeSet<String>>,
    /// Clean-up list.
    pub remediation: Remediation,
    /// Distinct indicators that were not kept (over the limit).
    #[serde(skip_serializing_if = "is_zero")]
    pub iocs_dropped: u64,
    /// Persistence-like events left out because they are known-benign Windows activity
    /// (`data/benign-activity.txt`: VSS writers, Office telemetry and OS tasks, ...).
    #[serde(skip_serializing_if = "is_zero")]
    pub known_benign: u64,
    /// What the tree could not show as the logs give it (process-id cycles broken, chains
    /// cut at the depth limit, processes over the limit), in sentences.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// The role of each network address and name in the records it came from, by
    /// [`role_key`].
    #[serde(skip)]
    pub roles: BTreeMap<String, BTreeSet<Role>>,
    /// The files each hash (lower case) was recorded for, with whether the record says the
    /// file is signed by a system publisher (`None`: not said).
    #[serde(skip)]
    pub hash_files: BTreeMap<String, BTreeMap<String, Option<bool>>>,
    /// Files the logs saw being created or written (lower case): not system files, wherever
    /// they are.
    #[serde(skip)]
    pub written_files: BTreeSet<String>,
    /// Hashes of the analysis's own artefacts (a sandbox's packet capture), lower case.
    #[serde(skip)]
    pub artefact_hashes: BTreeSet<String>,
}

impl LogFindings {
    /// The roles an address or name had in the records it came from (empty when no record
    /// gave it one).
    pub fn roles_of(&self, value: &str) -> Vec<Role> {
        role_key(value)
            .and_then(|k| self.roles.get(&k))
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default()
    }

    /// The files the logs recorded a hash for, sorted.
    pub fn files_of(&self, hash: &str) -> Vec<String> {
        self.hash_files
            .get(&hash.trim().to_ascii_lowercase())
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Why an indicator found in the logs is context rather than something to block or to
    /// share as malicious, in words; `None` when it is an indicator (or the logs say
    /// nothing about it). Addresses and names whose every role is the sandbox's own network
    /// (the analysis machine, its resolver, its listening ports), and hashes recorded only
    /// for system files (under a system folder of `data/system-files.txt`, not written in
    /// the session, not recorded as unsigned or signed by another publisher) are context.
    pub fn context_of(&self, kind: IocKind, value: &str) -> Option<String> {
        match kind {
            IocKind::Ipv4 | IocKind::Ipv6 | IocKind::Domain => {
                let roles = self.roles_of(value);
                if roles.is_empty() || roles.iter().any(|r| r.is_indicator()) {
                    return None;
                }
                let words: Vec<&str> = roles.iter().map(|r| r.describe()).collect();
                Some(words.join("; "))
            }
            IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 | IocKind::Sha512 => {
                let hash = value.trim().to_ascii_lowercase();
                if self.artefact_hashes.contains(&hash) {
                    return Some("hash of the sandbox's packet capture".to_string());
                }
                let files = self.hash_files.get(&hash)?;
                let system = files.iter().all(|(f, signed)| {
                    in_system_dir(f)
                        && *signed != Some(false)
                        && !self.written_files.contains(&f.to_lowercase())
                });
                let first = files.keys().next()?;
                system.then(|| format!("hash of the system file {first}"))
            }
            _ => None,
        }
    }
}

vocabulary! {
    /// The formats spoor reads.
    pub enum LogFormat {
        /// CAPE or Cuckoo sandbox `report.json`.
        CapeReport => "cape_report",
        /// Windows event XML (Event Viewer export, `wevtutil qe /f:xml`): Sysmon, Security, ...
        SysmonXml => "sysmon_xml",
        /// Windows events as JSON lines (Winlogbeat, nxlog, plain Sysmon field objects).
        SysmonJson => "sysmon_json",
        /// Windows EVTX file.
        Evtx => "evtx",
        /// Process Monitor CSV export.
        ProcmonCsv => "procmon_csv",
        /// Regshot compare output (plain text).
        Regshot => "regshot",
        /// Classic libpcap capture.
        Pcap => "pcap",
        /// pcapng capture.
        Pcapng => "pcapng",
        /// One JSON document of an unknown schema.
        Json => "json",
        /// JSON lines of an unknown schema.
        Ndjson => "ndjson",
        /// Anything else: plain text or binary, left to the IOC scanner.
        Text => "text",
    }
}

/// Where an event came from: the source, and the record inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The source's name (a path, or `-`).
    pub source: Arc<str>,
    /// The log format it was read as.
    pub format: LogFormat,
    /// 0-based index of the record in the source (event, row, packet, JSON element).
    pub record: u64,
    /// 1-based line of the record, for line-oriented text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The record's own id when the log has one (EventRecordID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
    /// Field path of the record inside a JSON document (`/behavior/processes/0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl LogFormat {
    /// Whether [`read_fields`] has a structured reader for this format (the others are
    /// scanned as text).
    pub fn has_fields(self) -> bool {
        !matches!(self, LogFormat::Text | LogFormat::Regshot)
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}
