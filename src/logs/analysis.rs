//! From events to findings: IOCs with context, persistence, the process tree, remediation.
//!
//! [`LogAnalysis`] takes events one at a time and keeps only aggregates (distinct
//! indicators, processes, persistence entries), so it can follow a stream of any length.
//! [`LogAnalysis::finish`] gives sorted, deterministic [`LogFindings`]:
//!
//! - indicators typed as the corpus ground truth types them (domain, ipv4, url,
//!   user_agent, file_path, registry_key, registry_value, mutex, command, task_name, ...),
//!   each with what was done with it and by which process ("resolved by rundll32.exe
//!   (4332)"); free text (command lines, registry data, payloads) also goes through the
//!   IOC scanner;
//! - persistence, named with its ATT&CK technique from `data/persistence.txt`;
//! - the process tree;
//! - remediation: files to delete, registry values, tasks and services to remove,
//!   processes to end, addresses to block.

use super::{base_name, Action, Event, ProcessInfo, Provenance};
use crate::error::{Warning, WarningCode};
pub use crate::findings::behaviour::{
    role_key, ContextIoc, LogFindings, Persistence, ProcessNode, Remediation, Role,
};
use crate::findings::benign::{
    benign, in_system_dir, is_benign_file, is_benign_key, match_form, system_signer,
};
use crate::ioc::scan::{KindSet, Scanner};
use crate::ioc::set::scope_of;
use crate::ioc::{IocKind, Scope};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

/// The persistence table (`data/persistence.txt`).
pub const PERSISTENCE: &str = include_str!("../../data/persistence.txt");

/// Distinct indicators kept at most (more are counted, not kept).
const MAX_IOCS: usize = 1_000_000;
/// Context lines kept per indicator.
const MAX_CONTEXT: usize = 8;
/// Processes kept at most.
const MAX_PROCESSES: usize = 200_000;
/// Created registry keys remembered at most.
const MAX_CREATED_KEYS: usize = 200_000;

/// One persistence rule.
#[derive(Debug, Clone)]
struct Rule {
    kind: String,
    pattern: String,
    technique: String,
    name: String,
}

fn rules() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        crate::tables::entries(PERSISTENCE)
            .filter_map(|line| {
                let (kind, rest) = line.split_once(char::is_whitespace)?;
                let words: Vec<&str> = rest.split_whitespace().collect();
                let t = words.iter().position(|w| is_technique(w))?;
                Some(Rule {
                    kind: kind.to_string(),
                    pattern: match_form(&words[..t].join(" ")),
                    technique: words[t].to_string(),
                    name: words[t + 1..].join(" "),
                })
            })
            .collect()
    })
}

/// Whether a word is an ATT&CK technique id (`T1547` or `T1547.001`).
pub fn is_technique(word: &str) -> bool {
    let b = word.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

pub use crate::ioc::registry::normalize_key;

/// Whether `pattern` (lower case, `*` for any text) occurs in `text`; with `word_start`,
/// only where a word starts (at the beginning or after a space).
fn glob_contains(text: &str, pattern: &str, word_start: bool) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or("");
    let rest: Vec<&str> = pieces.filter(|p| !p.is_empty()).collect();
    let tail_matches = |mut at: usize| {
        rest.iter().all(|p| match text[at..].find(p) {
            Some(j) => {
                at += j + p.len();
                true
            }
            None => false,
        })
    };
    if first.is_empty() {
        return tail_matches(0);
    }
    let mut from = 0;
    while let Some(i) = text[from..].find(first).map(|i| i + from) {
        let at_word = !word_start || i == 0 || text.as_bytes()[i - 1] == b' ';
        if at_word && tail_matches(i + first.len()) {
            return true;
        }
        from = i + first.len();
    }
    false
}

/// The program a command runs: the quoted first argument, or, unquoted, the text up to
/// the first `.exe` (task actions write `C:\Program Files\...\x.exe args` unquoted).
fn program_path(command: &str) -> String {
    let c = command.trim();
    if c.starts_with('"') {
        return super::cmdline::split(c)
            .into_iter()
            .next()
            .unwrap_or_default();
    }
    match c.to_ascii_lowercase().find(".exe") {
        Some(i) => c[..i + 4].to_string(),
        None => c.split_whitespace().next().unwrap_or("").to_string(),
    }
}

/// Programs that run what their arguments name: a benign-looking task that starts one of
/// them is not taken on trust.
const LAUNCHERS: [&str; 9] = [
    "rundll32",
    "regsvr32",
    "mshta",
    "powershell",
    "pwsh",
    "cmd",
    "wscript",
    "cscript",
    "msiexec",
];

/// Whether a command's program lies in a folder of the trusted list (and is not a
/// launcher of other code).
fn trusted_program(command: &str) -> bool {
    let program = program_path(command);
    let name = super::cmdline::program_name(&program);
    let program = match_form(&program);
    !LAUNCHERS.contains(&name.as_str())
        && benign()
            .trusted_dirs
            .iter()
            .any(|d| program.starts_with(d.as_str()))
}

/// Whether a scheduled task is one Windows, Office or Defender registers: its name is
/// listed and what it runs, when known, lives in a trusted folder.
fn benign_task(name: &str, runs: Option<&str>) -> bool {
    let name = match_form(name.trim());
    let name = if name.starts_with('\\') {
        name
    } else {
        format!("\\{name}")
    };
    benign().tasks.iter().any(|p| name.starts_with(p.as_str())) && runs.is_none_or(trusted_program)
}

/// Whether a BITS job was made by a Windows component that makes them by itself.
fn benign_bits_client(program: Option<&str>) -> bool {
    program.is_some_and(|p| {
        let name = super::cmdline::program_name(p);
        benign().bits_clients.contains(&name)
    })
}

/// Whether a registry value's name says it holds a version (`Version`, `pv`,
/// `DisplayVersion`): a dotted quad there is a version number, not an address.
pub fn is_version_name(name: &str) -> bool {
    let n = name.trim().to_ascii_lowercase();
    n.contains("version") || matches!(n.as_str(), "pv" | "ver" | "build" | "fw" | "rev")
}

/// Whether every occurrence of `value` in `text` is a whole path component
/// (`\Update\1.3.173.55\`): a folder named after a version, not an address.
pub fn only_as_path_component(text: &str, value: &str) -> bool {
    let b = text.as_bytes();
    let mut any = false;
    for (i, _) in text.match_indices(value) {
        any = true;
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + value.len()).copied();
        // `\1.3.173.55\`, or `/1.3.173.55/` but not a URL's host (`http://1.2.3.4/`)
        let folder = match (before, after) {
            (Some(b'\\'), Some(b'\\' | b'/')) => true,
            (Some(b'/'), Some(b'/' | b'\\')) => i < 2 || b[i - 2] != b'/',
            _ => false,
        };
        if !folder {
            return false;
        }
    }
    any
}

#[derive(Debug, Clone)]
struct Proc {
    pid: Option<u64>,
    image: Option<String>,
    command_line: Option<String>,
    parent: Option<u64>,
    parent_image: Option<String>,
    /// The parent instance, as it was when this process started.
    parent_key: Option<ProcKey>,
    seen_starting: bool,
    /// A process exit was seen: the next start with this pid is another process.
    exited: bool,
    order: u64,
}

/// Whether a start seen for a known pid is another process that reuses the pid: the known
/// one ended, or the two differ in image or command line.
fn is_new_instance(known: &Proc, p: &ProcessInfo) -> bool {
    let squeeze = |c: &str| {
        c.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let differ_cmd = match (&known.command_line, &p.command_line) {
        (Some(a), Some(b)) => squeeze(a) != squeeze(b),
        _ => false,
    };
    let differ_image = match (&known.image, &p.image) {
        (Some(a), Some(b)) => !base_name(a).eq_ignore_ascii_case(base_name(b)),
        _ => false,
    };
    known.exited || differ_cmd || differ_image
}

/// The accumulating state; feed it events with [`LogAnalysis::add`].
pub struct LogAnalysis {
    scanner: Scanner,
    iocs: BTreeMap<(String, String), ContextIoc>,
    iocs_dropped: u64,
    actions: BTreeMap<String, u64>,
    processes: BTreeMap<ProcKey, Proc>,
    /// The latest instance of each pid of each source (a pid reused within one log gives
    /// one process per use).
    current: BTreeMap<(Arc<str>, u64), u32>,
    /// A process seen again in another source (same pid, same image name) → its first key,
    /// so that two logs of one session give one tree.
    aliases: BTreeMap<ProcKey, ProcKey>,
    /// The keys of each pid, for finding a process again in another source.
    by_pid: BTreeMap<u64, Vec<ProcKey>>,
    persistence: BTreeMap<(String, String), Persistence>,
    techniques: BTreeMap<String, BTreeSet<String>>,
    remediation: Remediation,
    order: u64,
    /// Registry keys created in the session (match form), for `newkey` rules.
    created_keys: BTreeSet<String>,
    /// Persistence-like activity left out as known-benign.
    known_benign: u64,
    /// Processes not kept (over [`MAX_PROCESSES`]).
    processes_dropped: u64,
    roles: BTreeMap<String, BTreeSet<Role>>,
    hash_files: BTreeMap<String, BTreeMap<String, Option<bool>>>,
    written_files: BTreeSet<String>,
    artefact_hashes: BTreeSet<String>,
}

impl Default for LogAnalysis {
    fn default() -> Self {
        LogAnalysis::new()
    }
}

fn actor(p: &ProcessInfo) -> Option<String> {
    match (&p.image, p.pid) {
        (Some(i), Some(pid)) => Some(format!("{} ({pid})", base_name(i))),
        (Some(i), None) => Some(base_name(i).to_string()),
        (None, Some(pid)) => Some(format!("pid {pid}")),
        (None, None) => None,
    }
}

fn is_system_path(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    p.starts_with("c:\\windows\\") || p.starts_with("%windir%") || p.starts_with("%systemroot%")
}

fn is_full_path(path: &str) -> bool {
    let b = path.as_bytes();
    (b.len() > 3 && b[0].is_ascii_alphabetic() && &b[1..3] == b":\\")
        || path.starts_with("\\\\")
        || path.starts_with('/')
        || path.starts_with('%')
}

impl LogAnalysis {
    /// An empty analysis.
    pub fn new() -> Self {
        LogAnalysis {
            scanner: Scanner::new(KindSet::all()),
            iocs: BTreeMap::new(),
            iocs_dropped: 0,
            actions: BTreeMap::new(),
            processes: BTreeMap::new(),
            current: BTreeMap::new(),
            aliases: BTreeMap::new(),
            by_pid: BTreeMap::new(),
            persistence: BTreeMap::new(),
            techniques: BTreeMap::new(),
            remediation: Remediation::default(),
            order: 0,
            created_keys: BTreeSet::new(),
            known_benign: 0,
            processes_dropped: 0,
            roles: BTreeMap::new(),
            hash_files: BTreeMap::new(),
            written_files: BTreeSet::new(),
            artefact_hashes: BTreeSet::new(),
        }
    }

    /// Notes the role an address or name had in a record.
    fn role(&mut self, value: &str, role: Role) {
        if let Some(key) = role_key(value) {
            if self.roles.len() < MAX_IOCS || self.roles.contains_key(&key) {
                self.roles.entry(key).or_default().insert(role);
            }
        }
    }

    /// Notes which file the hashes of an event belong to: the image of a process start, the
    /// loaded module or written file, else the acting process's image.
    fn hashes_of(&mut self, e: &Event) {
        const ALGS: [&str; 5] = ["md5", "sha1", "sha256", "sha512", "imphash"];
        if !ALGS.iter().any(|a| e.get(a).is_some()) || e.action == Action::Sample {
            return;
        }
        let file = match e.action {
            Action::ProcessCreate | Action::ProcessStart => e.process.image.clone(),
            Action::ModuleLoad
            | Action::FileCreate
            | Action::FileModify
            | Action::FileDelete
            | Action::FileRename => Some(e.target.clone()),
            _ => e.process.image.clone(),
        };
        let Some(file) = file.filter(|f| is_full_path(f)) else {
            return;
        };
        let signed = match (e.get("Signed"), e.get("SignatureStatus")) {
            (Some(s), status) => Some(
                s.eq_ignore_ascii_case("true")
                    && status.is_none_or(|st| st.eq_ignore_ascii_case("valid"))
                    && e.get("Signature").is_some_and(system_signer),
            ),
            _ => None,
        };
        for alg in ALGS {
            if let Some(h) = e.get(alg) {
                if self.hash_files.len() >= MAX_IOCS {
                    return;
                }
                self.hash_files
                    .entry(h.trim().to_ascii_lowercase())
                    .or_default()
                    .insert(file.clone(), signed);
            }
        }
    }

    fn ioc(&mut self, kind: &str, value: &str, context: Option<String>, p: &Provenance) {
        let value = value.trim();
        if value.is_empty() || value == "-" {
            return;
        }
        let value = match kind {
            "domain" | "md5" | "sha1" | "sha256" | "sha512" => value.to_ascii_lowercase(),
            "registry_key" | "registry_value" => normalize_key(value),
            _ => value.to_string(),
        };
        let folded = match kind {
            "file_path" | "registry_key" | "registry_value" | "mutex" | "task_name" => {
                value.to_lowercase()
            }
            _ => value.clone(),
        };
        let key = (kind.to_string(), folded);
        if let Some(existing) = self.iocs.get_mut(&key) {
            existing.count += 1;
            if let Some(c) = context {
                if existing.context.len() < MAX_CONTEXT && !existing.context.contains(&c) {
                    existing.context.push(c);
                }
            }
            return;
        }
        if self.iocs.len() >= MAX_IOCS {
            self.iocs_dropped += 1;
            return;
        }
        self.iocs.insert(
            key,
            ContextIoc {
                kind: kind.to_string(),
                value,
                count: 1,
                context: context.into_iter().collect(),
                first_seen: p.clone(),
                intel: Vec::new(),
            },
        );
    }

    /// An address or name: typed, its role noted, and queued for blocking when the role
    /// makes it an indicator and it is not private.
    fn host(&mut self, host: &str, role: Role, context: Option<String>, p: &Provenance) {
        let host = host.trim().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return;
        }
        self.role(host, role);
        let (kind, iockind) = match host.parse::<IpAddr>() {
            Ok(IpAddr::V4(_)) => ("ipv4", IocKind::Ipv4),
            Ok(IpAddr::V6(_)) => ("ipv6", IocKind::Ipv6),
            Err(_) => {
                if !host.contains('.') || host.contains(' ') {
                    return;
                }
                ("domain", IocKind::Domain)
            }
        };
        let value = match host.parse::<IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => host.to_ascii_lowercase(),
        };
        self.ioc(kind, &value, context, p);
        if role.is_indicator() {
            self.block(iockind, &value);
        }
    }

    fn block(&mut self, kind: IocKind, value: &str) {
        let blockable = matches!(
            scope_of(kind, value),
            None | Some(Scope::Public) | Some(Scope::Documentation)
        );
        if blockable {
            self.remediation
                .addresses_to_block
                .insert(value.to_string());
        }
    }

    /// Runs the IOC scanner over free text, adding what it finds.
    fn scan(&mut self, text: &str, context: &Option<String>, p: &Provenance) {
        self.scan_text(text, context, p, false);
    }

    /// [`Self::scan`]; dotted quads that are versions are left out: a folder named after
    /// one (`\Update\1.3.173.55\`), and any in a value named as a version (`version`).
    fn scan_text(
        &mut self,
        text: &str,
        context: &Option<String>,
        p: &Provenance,
        version_field: bool,
    ) {
        for hit in self.scanner.scan_bytes(text.as_bytes()) {
            if hit.kind == IocKind::Ipv4
                && (version_field || only_as_path_component(text, &hit.value))
            {
                continue;
            }
            if hit.kind == IocKind::FilePath
                && hit.value.starts_with('\\')
                && !hit.value.starts_with("\\\\")
            {
                continue; // a task or object name, not a file
            }
            let kind = match hit.kind {
                IocKind::Bitcoin | IocKind::Monero => "wallet",
                other => other.as_str(),
            };
            match hit.kind {
                IocKind::Domain | IocKind::Ipv4 | IocKind::Ipv6 | IocKind::Url => {
                    self.ioc(kind, &hit.value, context.clone(), p);
                    if hit.kind == IocKind::Url {
                        self.block(IocKind::Url, &hit.value);
                    }
                }
                _ => self.ioc(kind, &hit.value, context.clone(), p),
            }
        }
    }

    /// The key of the same process seen in another source: the same pid with an image of
    /// the same file name (compared case-insensitively; both images must be known) and, when
    /// both are known, the same command line.
    fn same_process_elsewhere(&self, key: &ProcKey, p: &ProcessInfo) -> Option<ProcKey> {
        let image = base_name(p.image.as_deref()?);
        self.by_pid
            .get(&key.1)?
            .iter()
            .filter(|k| k.0 != key.0)
            .find(|k| {
                self.processes.get(*k).is_some_and(|known| {
                    known
                        .image
                        .as_deref()
                        .is_some_and(|i| base_name(i).eq_ignore_ascii_case(image))
                        && !is_new_instance(
                            &Proc {
                                exited: false,
                                ..known.clone()
                            },
                            p,
                        )
                })
            })
            .cloned()
    }

    /// Records what an event says about a process; returns the key of the instance it is.
    fn remember_process(
        &mut self,
        p: &ProcessInfo,
        source: &Arc<str>,
        starting: bool,
        parent_key: Option<ProcKey>,
    ) -> Option<ProcKey> {
        let pid = p.pid?;
        let instance = self
            .current
            .get(&(source.clone(), pid))
            .copied()
            .unwrap_or(0);
        let mut key = (source.clone(), pid, instance);
        if let Some(first) = self.aliases.get(&key) {
            key = first.clone();
        } else if !self.processes.contains_key(&key) {
            if let Some(first) = self.same_process_elsewhere(&key, p) {
                self.aliases.insert(key, first.clone());
                key = first;
            }
        }
        if let Some(existing) = self.processes.get_mut(&key) {
            if starting && existing.seen_starting && is_new_instance(existing, p) {
                // the pid was used again: a new process
                let next = instance + 1;
                self.current.insert((source.clone(), pid), next);
                key = (source.clone(), pid, next);
            } else {
                existing.seen_starting |= starting;
                if existing.image.is_none()
                    || (starting && p.image.as_ref().is_some_and(|i| is_full_path(i)))
                {
                    existing.image = p.image.clone().or(existing.image.take());
                }
                if existing.command_line.is_none() {
                    existing.command_line = p.command_line.clone();
                }
                if existing.parent.is_none() {
                    existing.parent = p.parent_pid;
                    existing.parent_image = p.parent_image.clone();
                }
                if existing.parent_key.is_none() {
                    existing.parent_key = parent_key;
                }
                return Some(key);
            }
        }
        if self.processes.len() >= MAX_PROCESSES {
            self.processes_dropped += 1;
            return None;
        }
        self.order += 1;
        self.by_pid.entry(pid).or_default().push(key.clone());
        self.processes.insert(
            key.clone(),
            Proc {
                pid: Some(pid),
                image: p.image.clone(),
                command_line: p.command_line.clone(),
                parent: p.parent_pid,
                parent_image: p.parent_image.clone(),
                parent_key,
                seen_starting: starting,
                exited: false,
                order: self.order,
            },
        );
        Some(key)
    }

    /// Records persistence, unless it is known-benign Windows activity (counted then).
    /// Returns whether it was recorded.
    fn persist(
        &mut self,
        rule: &Rule,
        location: &str,
        runs: Option<String>,
        e: &Event,
        by: Option<String>,
    ) -> bool {
        let benign = match rule.kind.as_str() {
            "registry" | "newkey" => is_benign_key(location),
            "file" => is_benign_file(location),
            _ if rule.technique.starts_with("T1053") => benign_task(location, runs.as_deref()),
            _ if rule.technique == "T1197" && rule.kind == "action" => {
                benign_bits_client(e.get("processPath").or(e.process.image.as_deref()))
            }
            _ => false,
        };
        if benign {
            self.known_benign += 1;
            return false;
        }
        let key = (rule.technique.clone(), location.to_lowercase());
        self.techniques
            .entry(rule.technique.clone())
            .or_default()
            .insert(rule.name.clone());
        self.persistence.entry(key).or_insert_with(|| Persistence {
            technique: rule.technique.clone(),
            name: rule.name.clone(),
            location: location.to_string(),
            runs: runs.filter(|r| !r.trim().is_empty()),
            by,
            provenance: e.provenance.clone(),
        });
        true
    }

    /// Persistence made by a command line: where (the task, service, key or account) and
    /// what it runs are read from its arguments.
    fn command_persistence(
        &mut self,
        rule: &'static Rule,
        cmd: &str,
        e: &Event,
        parent: Option<String>,
        who: Option<String>,
    ) {
        use super::cmdline::{after_word, switch_value};
        let p = &e.provenance;
        let by = |what: &str| who.as_ref().map(|w| format!("{what} by {w}"));
        let technique = rule.technique.as_str();
        let (location, runs) = if technique.starts_with("T1053") {
            (switch_value(cmd, "/tn"), switch_value(cmd, "/tr"))
        } else if technique.starts_with("T1543") {
            let name = after_word(cmd, "create")
                .or_else(|| after_word(cmd, "config"))
                .or_else(|| switch_value(cmd, "-name"));
            let runs =
                switch_value(cmd, "binpath=").or_else(|| switch_value(cmd, "-binarypathname"));
            (name, runs)
        } else if technique.starts_with("T1547") {
            let key = after_word(cmd, "add");
            let value = switch_value(cmd, "/v").unwrap_or_default();
            let location =
                key.map(|k| normalize_key(&format!("{}\\{value}", k.trim_end_matches('\\'))));
            (location, switch_value(cmd, "/d"))
        } else if technique.starts_with("T1136") {
            (
                after_word(cmd, "user").or_else(|| switch_value(cmd, "-name")),
                None,
            )
        } else if technique == "T1197" {
            let job = switch_value(cmd, "/transfer")
                .or_else(|| switch_value(cmd, "/create"))
                .or_else(|| switch_value(cmd, "/addfile"));
            let url = super::cmdline::split(cmd)
                .into_iter()
                .find(|a| a.contains("://"));
            (job, url)
        } else {
            (None, None)
        };
        let location = location.unwrap_or_else(|| cmd.to_string());
        if !self.persist(rule, &location, runs, e, parent) {
            return;
        }
        if technique.starts_with("T1053") && location != cmd {
            self.ioc("task_name", &location, by("created"), p);
            self.remediation.tasks_to_remove.insert(location);
        } else if technique.starts_with("T1543") && location != cmd {
            self.ioc("service", &location, by("created"), p);
            self.remediation.services_to_remove.insert(location);
        } else if technique.starts_with("T1136") && location != cmd {
            self.ioc("user_account", &location, by("created"), p);
        }
    }

    fn rule_for(kind: &str, text: &str) -> Option<&'static Rule> {
        let text = match_form(text);
        rules()
            .iter()
            .find(|r| r.kind == kind && glob_contains(&text, &r.pattern, kind == "command"))
    }

    /// Takes one event into account.
    pub fn add(&mut self, e: &Event) {
        *self
            .actions
            .entry(e.action.as_str().to_string())
            .or_default() += 1;
        let p = &e.provenance;
        let who = actor(&e.process);
        let starting = matches!(e.action, Action::ProcessCreate | Action::ProcessStart);
        let mut parent_key = None;
        if starting {
            // the parent is a process too
            if let Some(ppid) = e.process.parent_pid {
                let parent = ProcessInfo {
                    pid: Some(ppid),
                    image: e.process.parent_image.clone(),
                    ..ProcessInfo::default()
                };
                parent_key = self.remember_process(&parent, &p.source, false, None);
            }
        }
        let me = self.remember_process(&e.process, &p.source, starting, parent_key);
        if e.action == Action::ProcessExit {
            if let Some(proc_) = me.and_then(|k| self.processes.get_mut(&k)) {
                proc_.exited = true;
            }
        }
        let by = |what: &str| who.as_ref().map(|w| format!("{what} by {w}"));
        let target = e.target.as_str();
        self.hashes_of(e);
        if matches!(
            e.action,
            Action::FileCreate | Action::FileModify | Action::FileRename
        ) && self.written_files.len() < MAX_IOCS
        {
            self.written_files.insert(target.to_lowercase());
            if let Some(new) = e.get("new_path") {
                self.written_files.insert(new.to_lowercase());
            }
        }
        match e.action {
            Action::Sample => {
                if let Some(h) = e.get("pcap_sha256") {
                    self.artefact_hashes.insert(h.trim().to_ascii_lowercase());
                }
                let name = base_name(target).to_string();
                for alg in ["md5", "sha1", "sha256"] {
                    if let Some(h) = e.get(alg) {
                        self.ioc(alg, h, Some(format!("analysed sample {name}")), p);
                    }
                }
            }
            Action::ProcessCreate | Action::ProcessStart => {
                let parent = match (&e.process.parent_image, e.process.parent_pid) {
                    (Some(i), Some(pid)) => Some(format!("{} ({pid})", base_name(i))),
                    (Some(i), None) => Some(base_name(i).to_string()),
                    (None, Some(pid)) => Some(format!("pid {pid}")),
                    (None, None) => None,
                };
                let context = parent.as_ref().map(|w| format!("started by {w}"));
                if let Some(cmd) = &e.process.command_line {
                    self.ioc("command", cmd, context.clone(), p);
                    self.scan(cmd, &context, p);
                    let normal = super::cmdline::normal_form(cmd);
                    if let Some(rule) = Self::rule_for("command", &normal) {
                        self.command_persistence(rule, cmd, e, parent.clone(), who.clone());
                    }
                }
                let image = e
                    .process
                    .image
                    .clone()
                    .unwrap_or_else(|| target.to_string());
                if is_full_path(&image) {
                    self.ioc("file_path", &image, context.clone(), p);
                    if !is_system_path(&image) {
                        self.remediation.files_to_delete.insert(image.clone());
                    }
                }
                for alg in ["md5", "sha1", "sha256"] {
                    if let Some(h) = e.get(alg) {
                        self.ioc(alg, h, Some(format!("image of {}", base_name(&image))), p);
                    }
                }
                // by program, never by process id (the ids are the analysis machine's): a
                // system program by its command line, so only the sample's instance ends
                if in_system_dir(&image) || !is_full_path(&image) {
                    if let Some(cmd) = e.process.command_line.as_deref().map(str::trim) {
                        if !cmd.is_empty() && in_system_dir(&image) {
                            self.remediation
                                .system_processes_to_end
                                .insert(cmd.to_string());
                        } else if !cmd.is_empty() {
                            self.remediation.processes_to_end.insert(image.clone());
                        }
                    }
                } else {
                    self.remediation.processes_to_end.insert(image.clone());
                }
            }
            Action::ProcessExit => {}
            Action::FileCreate
            | Action::FileModify
            | Action::FileDelete
            | Action::DirectoryCreate => {
                let verb = match e.action {
                    Action::FileCreate => "created",
                    Action::FileModify => "written",
                    Action::FileDelete => "deleted",
                    _ => "created (directory)",
                };
                self.ioc("file_path", target, by(verb), p);
                if let Some(h) = e.get("sha256") {
                    self.ioc(
                        "sha256",
                        h,
                        Some(format!("dropped file {}", base_name(target))),
                        p,
                    );
                }
                match e.action {
                    Action::FileCreate | Action::DirectoryCreate => {
                        if e.action == Action::DirectoryCreate {
                            self.remediation
                                .folders_to_review
                                .insert(target.to_string());
                        } else if !is_benign_file(target) {
                            self.remediation.files_to_delete.insert(target.to_string());
                        }
                        if let Some(rule) = Self::rule_for("file", target) {
                            self.persist(rule, target, None, e, who.clone());
                        }
                    }
                    Action::FileDelete => {
                        self.remediation.files_to_delete.remove(target);
                    }
                    _ => {}
                }
            }
            Action::FileRename => {
                self.ioc("file_path", target, by("renamed"), p);
                if let Some(new) = e.get("new_path") {
                    self.ioc("file_path", new, by("renamed to"), p);
                    if let Some(ext) = new.strip_prefix(target) {
                        if ext.starts_with('.') && ext.len() <= 16 && !ext.contains(['\\', '/']) {
                            self.ioc("file_extension", ext, by("appended"), p);
                        }
                    }
                }
            }
            Action::RegistrySet => {
                let normalized = normalize_key(target);
                self.ioc("registry_value", target, by("set"), p);
                let data = e.get("data").map(str::to_string);
                let (key, value_name) = normalized.rsplit_once('\\').unwrap_or(("", ""));
                if let Some(d) = &data {
                    self.scan_text(d, &by("registry data set"), p, is_version_name(value_name));
                }
                let benign = is_benign_key(&normalized);
                let rule = Self::rule_for("registry", &normalized).or_else(|| {
                    self.created_keys
                        .contains(&match_form(key))
                        .then(|| Self::rule_for("newkey", &normalized))
                        .flatten()
                });
                if let Some(rule) = rule {
                    if benign {
                        self.known_benign += 1;
                    } else {
                        if let Some(d) = &data {
                            self.ioc(
                                "command",
                                d,
                                Some(format!("{} ({})", rule.name, rule.technique)),
                                p,
                            );
                        }
                        self.persist(rule, &normalized, data, e, who.clone());
                    }
                }
                // a value of a service this session did not create belongs to Windows or
                // to an installed program: removing it would break the machine
                let existing_service = match_form(key).contains("\\currentcontrolset\\services\\")
                    && !self.created_keys.contains(&match_form(key));
                if e.get("change") != Some("modified") && !benign && !existing_service {
                    self.remediation.registry_to_remove.insert(normalized);
                }
            }
            Action::RegistryCreateKey => {
                let normalized = normalize_key(target);
                self.ioc("registry_key", target, by("created"), p);
                if self.created_keys.len() < MAX_CREATED_KEYS {
                    let key = match_form(normalized.trim_end_matches('\\'));
                    self.created_keys.insert(key);
                }
            }
            Action::RegistryDelete => {
                let kind =
                    if e.get("EventType") == Some("DeleteValue") || e.get("old_data").is_some() {
                        "registry_value"
                    } else {
                        "registry_key"
                    };
                self.ioc(kind, target, by("deleted"), p);
            }
            Action::RegistryRename => {
                self.ioc("registry_key", target, by("renamed"), p);
                if let Some(new) = e.get("new_name") {
                    self.ioc("registry_key", new, by("renamed to"), p);
                }
            }
            Action::ModuleLoad => {
                if !is_system_path(target) && is_full_path(target) {
                    self.ioc("file_path", target, by("loaded"), p);
                }
            }
            Action::Mutex => self.ioc("mutex", target, by("created"), p),
            Action::Pipe => self.ioc("pipe", target, by("used"), p),
            Action::DnsQuery => {
                self.host(target, Role::Queried, by("resolved"), p);
                if let Some(answers) = e.get("answers") {
                    for a in answers.split_whitespace() {
                        self.host(a, Role::Resolved, Some(format!("answer for {target}")), p);
                    }
                }
                if let Some(server) = e.get("server") {
                    self.role(&strip_port(server), Role::Resolver);
                }
                if let Some(client) = e.get("client").or_else(|| e.get("src")) {
                    self.role(&strip_port(client), Role::AnalysisHost);
                }
            }
            Action::NetworkConnect | Action::NetworkData => {
                let port = e
                    .get("dst_port")
                    .map(|p| format!(" port {p}"))
                    .unwrap_or_default();
                let inbound = e.get("direction") == Some("inbound");
                let dns = e.get("dst_port") == Some("53")
                    && e.get("protocol")
                        .is_none_or(|p| p.eq_ignore_ascii_case("udp"));
                if let Some(src) = e.get("src") {
                    let role = if inbound {
                        Role::InboundPeer
                    } else {
                        Role::AnalysisHost
                    };
                    self.role(&strip_port(src), role);
                }
                let (role, what, fallback) = if inbound {
                    (
                        Role::Listening,
                        format!("accepted a connection on{port}"),
                        format!("connection accepted on{port}"),
                    )
                } else if dns {
                    (
                        Role::Resolver,
                        "asked as DNS server".to_string(),
                        "DNS server".to_string(),
                    )
                } else {
                    (
                        Role::Contacted,
                        format!("connected to{port}"),
                        format!("connection to{port}"),
                    )
                };
                self.host(target, role, by(&what).or(Some(fallback)), p);
                if let Some(h) = e.get("dst_host") {
                    self.host(h, role, by(&what), p);
                }
                if let Some(payload) = e.get("payload") {
                    let context = Some(if e.get("direction") == Some("received") {
                        format!("received from {target}{port}")
                    } else {
                        format!("sent to {target}{port}")
                    });
                    self.scan(payload, &context, p);
                }
            }
            Action::HttpRequest => {
                self.ioc("url", target, by("requested"), p);
                self.block(IocKind::Url, target);
                let host = e
                    .get("host")
                    .map(str::to_string)
                    .unwrap_or_else(|| crate::ioc::allowlist::url_host(target).to_string());
                let host = strip_port(&host);
                self.host(&host, Role::Contacted, by("requested"), p);
                if let Some(ua) = e.get("user_agent") {
                    self.ioc("user_agent", ua, by("sent"), p);
                }
                if let Some(dst) = e.get("dst") {
                    self.host(&strip_port(dst), Role::Contacted, None, p);
                }
                if let Some(src) = e.get("src") {
                    self.role(&strip_port(src), Role::AnalysisHost);
                }
            }
            Action::TlsClientHello => {
                self.host(
                    target,
                    Role::Contacted,
                    by("TLS server name").or(Some("TLS server name".to_string())),
                    p,
                );
                if let Some(dst) = e.get("dst") {
                    self.host(
                        &strip_port(dst),
                        Role::Contacted,
                        Some(format!("TLS to {target}")),
                        p,
                    );
                }
                if let Some(src) = e.get("src") {
                    self.role(&strip_port(src), Role::AnalysisHost);
                }
            }
            Action::TaskCreate => {
                self.ioc("task_name", target, by("created"), p);
                let runs = e.get("command").map(str::to_string);
                if let Some(c) = &runs {
                    self.ioc("command", c, Some(format!("run by task {target}")), p);
                }
                let recorded = match Self::rule_for("action", "task_create") {
                    Some(rule) => self.persist(rule, target, runs, e, who.clone()),
                    None => !benign_task(target, runs.as_deref()),
                };
                if recorded {
                    self.remediation.tasks_to_remove.insert(target.to_string());
                }
            }
            Action::ServiceCreate => {
                self.ioc("service", target, by("created"), p);
                self.remediation
                    .services_to_remove
                    .insert(target.to_string());
                let runs = e.get("command").map(str::to_string);
                if let Some(c) = &runs {
                    self.ioc("command", c, Some(format!("run by service {target}")), p);
                }
                if let Some(rule) = Self::rule_for("action", "service_create") {
                    self.persist(rule, target, runs, e, who.clone());
                }
            }
            Action::WmiSubscription => {
                let runs = e.get("command").map(str::to_string);
                if let Some(rule) = Self::rule_for("action", "wmi_subscription") {
                    self.persist(rule, target, runs, e, who.clone());
                }
            }
            Action::Signature => {
                if let Some(ttps) = e.get("ttp") {
                    for t in ttps.split_whitespace().filter(|t| is_technique(t)) {
                        self.techniques
                            .entry(t.to_string())
                            .or_default()
                            .insert(format!("signature {target}"));
                    }
                }
            }
            Action::AccountCreate => {
                self.ioc("user_account", target, by("created"), p);
                if let Some(rule) = Self::rule_for("action", "account_create") {
                    self.persist(rule, target, None, e, who.clone());
                }
            }
            Action::GroupAdd => {
                if let Some(rule) = Self::rule_for("action", "group_add") {
                    let member = e
                        .get("MemberName")
                        .or_else(|| e.get("MemberSid"))
                        .unwrap_or("?");
                    let location = format!("{member} → {target}");
                    self.persist(rule, &location, None, e, who.clone());
                }
            }
            Action::BitsJob => {
                let url = e.get("url").map(str::to_string);
                if let Some(u) = &url {
                    self.ioc("url", u, by("fetched by BITS job"), p);
                    self.block(IocKind::Url, u);
                }
                if let Some(rule) = Self::rule_for("action", "bits_job") {
                    self.persist(rule, target, url, e, who.clone());
                }
            }
            Action::LogClear => {
                self.techniques
                    .entry("T1070.001".to_string())
                    .or_default()
                    .insert(format!("event log cleared ({target})"));
            }
            Action::Script => {
                if let Some(text) = e.get("ScriptBlockText").or_else(|| e.get("Payload")) {
                    let text = text.to_string();
                    self.scan(&text, &by("in a script run"), p);
                }
            }
            Action::Logon | Action::LogonFailed | Action::ShareAccess => {}
            Action::FileRead | Action::DirectoryList | Action::RegistryRead | Action::Other => {}
        }
    }

    /// Takes an indicator the IOC scanner found in a source without events (plain text,
    /// JSON of an unknown schema), with its first sighting as context.
    pub fn add_extracted(&mut self, ioc: &crate::ioc::Ioc, format: super::LogFormat) {
        let kind = match ioc.kind {
            IocKind::Bitcoin | IocKind::Monero => "wallet",
            other => other.as_str(),
        };
        let Some(first) = ioc.sightings.first() else {
            return;
        };
        let provenance = Provenance {
            source: first.source.clone(),
            format,
            record: 0,
            line: first.line,
            record_id: None,
            field: first.field.clone(),
        };
        let place = match (&first.field, first.line) {
            (Some(f), _) => format!("in {} at {f}", base_name(&first.source)),
            (None, Some(l)) => format!("in {} line {l}", base_name(&first.source)),
            (None, None) => format!("in {}", base_name(&first.source)),
        };
        self.ioc(kind, &ioc.value, Some(place), &provenance);
        let folded = if ioc.kind.case_insensitive() {
            ioc.value.to_lowercase()
        } else {
            ioc.value.clone()
        };
        if let Some(entry) = self.iocs.get_mut(&(kind.to_string(), folded)) {
            entry.count += ioc.count.saturating_sub(1);
        }
    }

    /// The sorted findings.
    pub fn finish(self) -> LogFindings {
        let mut remediation = self.remediation;
        // processes that only appear as parents were not started by what was analysed
        let (tree, mut warnings) = build_tree(&self.processes, &self.aliases);
        if self.processes_dropped > 0 {
            warnings.push(Warning::new(
                WarningCode::SizeLimit,
                format!(
                    "more than {MAX_PROCESSES} processes: {} process event(s) of others not in \
                     the tree",
                    self.processes_dropped
                ),
            ));
        }
        let persistence: Vec<Persistence> = self.persistence.into_values().collect();
        remediation.files_to_delete.retain(|f| !f.trim().is_empty());
        remediation
            .folders_to_review
            .retain(|f| !f.trim().is_empty());
        LogFindings {
            actions: self.actions,
            process_tree: tree,
            iocs: self.iocs.into_values().collect(),
            persistence,
            techniques: self.techniques,
            remediation,
            iocs_dropped: self.iocs_dropped,
            known_benign: self.known_benign,
            warnings,
            roles: self.roles,
            hash_files: self.hash_files,
            written_files: self.written_files,
            artefact_hashes: self.artefact_hashes,
        }
    }
}

fn strip_port(hostport: &str) -> String {
    let h = hostport.trim();
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("").to_string();
    }
    match h.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host.to_string()
        }
        _ => h.to_string(),
    }
}

/// A process's key: its source, pid and which use of the pid it is (0 for the first).
type ProcKey = (Arc<str>, u64, u32);
/// Children of each process: (order seen, key).
type Children = BTreeMap<ProcKey, Vec<(u64, ProcKey)>>;

/// Deepest nesting of the tree; a chain that goes deeper continues as a root of its own
/// (56 keeps the JSON output within the nesting depth common parsers accept, 128).
const MAX_DEPTH: usize = 56;

/// The process tree, and sentences on what had to be changed to draw it: every process is
/// in it once. Processes in a process-id cycle (damaged or crafted logs) hang from the first
/// of them seen; chains deeper than [`MAX_DEPTH`] continue as separate roots.
fn build_tree(
    processes: &BTreeMap<ProcKey, Proc>,
    aliases: &BTreeMap<ProcKey, ProcKey>,
) -> (Vec<ProcessNode>, Vec<Warning>) {
    let mut children: Children = BTreeMap::new();
    let mut roots: Vec<(Arc<str>, u64, ProcKey)> = Vec::new();
    for (key, proc_) in processes {
        // The parent instance as its own source names it, or as first seen in another source.
        let parent = proc_
            .parent_key
            .clone()
            .or_else(|| proc_.parent.map(|p| (key.0.clone(), p, 0)))
            .filter(|p| p != key)
            .and_then(|p| {
                if processes.contains_key(&p) {
                    Some(p)
                } else {
                    aliases.get(&p).cloned()
                }
            })
            .filter(|p| p != key);
        match parent {
            Some(parent) => children
                .entry(parent)
                .or_default()
                .push((proc_.order, key.clone())),
            None => roots.push((key.0.clone(), proc_.order, key.clone())),
        }
    }
    roots.sort();
    let mut visited = BTreeSet::new();
    let mut deferred = Vec::new();
    let mut tree: Vec<ProcessNode> = roots
        .into_iter()
        .filter_map(|(_, _, key)| node(&key, processes, &children, &mut visited, 0, &mut deferred))
        .collect();
    let mut warnings = Vec::new();
    // Processes no root leads to are in a cycle: the first seen of each becomes a root.
    let mut in_cycles: Vec<(u64, &ProcKey)> = processes
        .iter()
        .filter(|(k, _)| !visited.contains(*k))
        .map(|(k, p)| (p.order, k))
        .collect();
    in_cycles.sort();
    let cycle_count = in_cycles.len();
    for (_, key) in in_cycles {
        if !visited.contains(key) {
            tree.extend(node(
                key,
                processes,
                &children,
                &mut visited,
                0,
                &mut deferred,
            ));
        }
    }
    if cycle_count > 0 {
        warnings.push(Warning::new(
            WarningCode::ProcessTree,
            format!(
                "{cycle_count} process(es) in parent-process-id cycles: each cycle is drawn \
                 from the first of its processes seen"
            ),
        ));
    }
    let mut cut = 0usize;
    while let Some(key) = deferred.pop() {
        cut += 1;
        tree.extend(node(
            &key,
            processes,
            &children,
            &mut visited,
            0,
            &mut deferred,
        ));
    }
    if cut > 0 {
        warnings.push(Warning::new(
            WarningCode::ProcessTree,
            format!(
                "{cut} process chain(s) deeper than {MAX_DEPTH} levels continue as separate roots"
            ),
        ));
    }
    (tree, warnings)
}

fn node(
    key: &ProcKey,
    processes: &BTreeMap<ProcKey, Proc>,
    children: &Children,
    visited: &mut BTreeSet<ProcKey>,
    depth: usize,
    deferred: &mut Vec<ProcKey>,
) -> Option<ProcessNode> {
    let p = processes.get(key)?;
    if !visited.insert(key.clone()) {
        return None; // drawn already (a pid cycle)
    }
    let mut kids = children.get(key).cloned().unwrap_or_default();
    kids.sort();
    let children_nodes = if depth >= MAX_DEPTH {
        // drawn later as roots of their own
        deferred.extend(
            kids.into_iter()
                .filter(|(_, k)| !visited.contains(k))
                .map(|(_, k)| k)
                .rev(),
        );
        Vec::new()
    } else {
        kids.into_iter()
            .filter_map(|(_, k)| node(&k, processes, children, visited, depth + 1, deferred))
            .collect()
    };
    Some(ProcessNode {
        pid: p.pid,
        image: p.image.clone(),
        command_line: p.command_line.clone(),
        seen_starting: p.seen_starting,
        source: key.0.clone(),
        children: children_nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persistence_table_parses_completely() {
        assert_eq!(crate::tables::entries(PERSISTENCE).count(), rules().len());
        assert!(rules()
            .iter()
            .all(|r| !r.pattern.is_empty() && !r.name.is_empty()));
    }

    #[test]
    fn benign_table_parses_completely() {
        let b = benign();
        let n = b.registry.len()
            + b.tasks.len()
            + b.files.len()
            + b.bits_clients.len()
            + b.trusted_dirs.len();
        assert_eq!(
            crate::tables::entries(crate::findings::benign::BENIGN_ACTIVITY).count(),
            n
        );
    }

    #[test]
    fn globs_and_control_sets() {
        assert!(glob_contains(
            &match_form("HKLM\\SYSTEM\\ControlSet001\\Services\\evil\\ImagePath"),
            "\\system\\currentcontrolset\\services\\*\\imagepath",
            false
        ));
        assert!(glob_contains("sc create x", "sc create", true));
        assert!(!glob_contains("disc create x", "sc create", true));
        assert!(glob_contains(
            "net user bob p /add",
            "net user * /add",
            true
        ));
    }

    #[test]
    fn benign_tasks_need_trusted_programs() {
        let name = "\\Microsoft\\Office\\OfficeTelemetryAgentLogOn2016";
        assert!(benign_task(name, None));
        assert!(benign_task(
            name,
            Some("\"C:\\Program Files\\Common Files\\Microsoft Shared\\Office16\\msoia.exe\" scan upload")
        ));
        assert!(!benign_task(
            name,
            Some("C:\\Users\\a\\AppData\\Roaming\\x.exe")
        ));
        assert!(!benign_task("\\Updater", None));
    }

    #[test]
    fn versions_are_not_addresses() {
        assert!(is_version_name("pv") && is_version_name("DisplayVersion"));
        assert!(!is_version_name("Server"));
        assert!(only_as_path_component(
            "C:\\Update\\1.3.173.55\\x.dll",
            "1.3.173.55"
        ));
        assert!(!only_as_path_component("http://1.3.173.55/x", "1.3.173.55"));
        assert!(!only_as_path_component(
            "connect 1.3.173.55\\x",
            "1.3.173.55"
        ));
    }

    fn event(action: Action, target: &str, details: &[(&str, &str)]) -> Event {
        let p = Provenance {
            source: Arc::from("log"),
            format: super::super::LogFormat::SysmonXml,
            record: 0,
            line: None,
            record_id: None,
            field: None,
        };
        let mut e = Event::new(action, target, p);
        for (k, v) in details {
            e.detail(k, *v);
        }
        e
    }

    #[test]
    fn network_roles_come_from_the_records() {
        let mut a = LogAnalysis::new();
        a.add(&event(
            Action::NetworkConnect,
            "203.0.113.5",
            &[("dst_port", "443"), ("src", "192.0.2.10")],
        ));
        a.add(&event(
            Action::NetworkConnect,
            "192.0.2.1",
            &[
                ("dst_port", "53"),
                ("protocol", "udp"),
                ("src", "192.0.2.10"),
            ],
        ));
        a.add(&event(
            Action::NetworkConnect,
            "192.0.2.10",
            &[
                ("dst_port", "4444"),
                ("src", "198.51.100.7"),
                ("direction", "inbound"),
            ],
        ));
        a.add(&event(
            Action::DnsQuery,
            "c2.example.com",
            &[("answers", "::ffff:203.0.113.5"), ("server", "192.0.2.1")],
        ));
        let f = a.finish();
        assert_eq!(
            f.roles_of("203.0.113.5:443"),
            [Role::Contacted, Role::Resolved]
        );
        assert_eq!(f.roles_of("c2.example.com"), [Role::Queried]);
        assert_eq!(f.roles_of("192.0.2.1"), [Role::Resolver]);
        assert_eq!(
            f.roles_of("192.0.2.10"),
            [Role::AnalysisHost, Role::Listening]
        );
        assert_eq!(f.roles_of("198.51.100.7"), [Role::InboundPeer]);
        assert!(f.context_of(IocKind::Ipv4, "192.0.2.10").is_some());
        assert!(f.context_of(IocKind::Ipv4, "192.0.2.1").is_some());
        assert!(f.context_of(IocKind::Ipv6, "::ffff:203.0.113.5").is_none());
        assert!(f.context_of(IocKind::Ipv4, "198.51.100.99").is_none());
        let blocked = &f.remediation.addresses_to_block;
        assert!(blocked.contains("203.0.113.5") && blocked.contains("c2.example.com"));
        assert!(!blocked.iter().any(|b| b.starts_with("192.0.2.")));
    }

    #[test]
    fn hashes_of_system_files_are_context() {
        let mut a = LogAnalysis::new();
        let mut load = event(
            Action::ModuleLoad,
            "C:\\Windows\\System32\\wininet.dll",
            &[
                ("sha256", &"11".repeat(32)),
                ("Signed", "true"),
                ("Signature", "Microsoft Windows"),
                ("SignatureStatus", "Valid"),
            ],
        );
        load.process.image = Some("C:\\Users\\a\\x.exe".into());
        a.add(&load);
        // planted in System32 by the sample: not a system file
        a.add(&event(
            Action::FileCreate,
            "C:\\Windows\\System32\\evil.dll",
            &[("sha256", &"22".repeat(32))],
        ));
        let mut unsigned = event(
            Action::ModuleLoad,
            "C:\\Windows\\System32\\odd.dll",
            &[("sha256", &"33".repeat(32)), ("Signed", "false")],
        );
        unsigned.process.image = Some("C:\\Users\\a\\x.exe".into());
        a.add(&unsigned);
        let f = a.finish();
        assert_eq!(
            f.context_of(IocKind::Sha256, &"11".repeat(32)).as_deref(),
            Some("hash of the system file C:\\Windows\\System32\\wininet.dll")
        );
        assert_eq!(
            f.files_of(&"22".repeat(32)),
            ["C:\\Windows\\System32\\evil.dll"]
        );
        assert!(f.context_of(IocKind::Sha256, &"22".repeat(32)).is_none());
        assert!(f.context_of(IocKind::Sha256, &"33".repeat(32)).is_none());
    }

    #[test]
    fn techniques() {
        assert!(is_technique("T1547.001"));
        assert!(is_technique("T1105"));
        assert!(!is_technique("T15"));
        assert!(!is_technique("Registry"));
    }
}
