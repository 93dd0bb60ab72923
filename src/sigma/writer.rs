//! Sigma rules for the behaviour a session showed (`spoor rules --sigma`, `analyze`).
//!
//! From a session's events and its findings: persistence created (Run keys and other
//! autostart values, scheduled tasks, services, startup files), suspicious process
//! creations (processes started from user-writable folders, and what they started), files
//! dropped into user-writable folders, and DNS queries and connections to the sample's
//! network indicators. Each rule has a logsource spoor reads, a detection written with
//! Sysmon's field names and modifiers (no hive, no user name: values are cut to the part
//! that holds on another machine), falsepositives, a level, ATT&CK tags and the evidence
//! (source, record, time) in its description. Ids are UUIDv5 of the detection, so the
//! same behaviour gives the same rule.

use crate::logs::analysis::LogFindings;
use crate::logs::{base_name, Action, Event, LogFormat};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// A session's events and findings, read from its logs.
#[derive(Debug, Default)]
pub struct Session {
    /// Every event, in reading order.
    pub events: Vec<Event>,
    /// What follows from them.
    pub findings: LogFindings,
    /// Problems per source (name, warning).
    pub warnings: Vec<(String, crate::error::Warning)>,
}

/// Whether [`write_rules`] reads this kind of event (the others need not be kept).
pub fn is_behaviour(e: &Event) -> bool {
    matches!(
        e.action,
        Action::ProcessCreate
            | Action::ProcessStart
            | Action::FileCreate
            | Action::FileModify
            | Action::RegistrySet
            | Action::RegistryCreateKey
            | Action::TaskCreate
            | Action::ServiceCreate
            | Action::DnsQuery
            | Action::NetworkConnect
    )
}

/// Reads the logs of one session (formats recognised from content).
pub fn read_session(sources: &[crate::input::Source]) -> Session {
    let mut analysis = crate::logs::analysis::LogAnalysis::new();
    let mut events = Vec::new();
    let mut warnings = Vec::new();
    for source in sources {
        let summary = crate::logs::read_source(source, None, &mut |e| {
            analysis.add(&e);
            if is_behaviour(&e) {
                events.push(e);
            }
        });
        for w in summary.warnings {
            warnings.push((summary.name.clone(), w));
        }
    }
    Session {
        events,
        findings: analysis.finish(),
        warnings,
    }
}

/// The rules as one YAML stream (documents separated by `---`).
pub fn join(rules: &[WrittenRule]) -> String {
    rules
        .iter()
        .map(|r| r.yaml.as_str())
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Options for the rules written.
#[derive(Debug, Clone)]
pub struct WriterOptions {
    /// `author` of every rule.
    pub author: String,
    /// `date` (YYYY-MM-DD).
    pub date: String,
    /// Names the session in titles (a sample name, `session`).
    pub label: String,
}

/// One written rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenRule {
    /// A file name for it (`spoor-registry-run-key-xxxxxxxx.yml`).
    pub file_name: String,
    /// Its title.
    pub title: String,
    /// The YAML text.
    pub yaml: String,
}

/// A value for a YAML single-quoted scalar.
fn quote(s: &str) -> String {
    let clean: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    format!("'{}'", clean.replace('\'', "''"))
}

/// Escapes Sigma wildcards and the backslash before them, so a value matches literally.
fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '*' | '?' => {
                out.push('\\');
                out.push(c);
            }
            '\\' if matches!(chars.get(i + 1), Some('*' | '?' | '\\')) || i + 1 == chars.len() => {
                out.push_str("\\\\");
            }
            c => out.push(c),
        }
    }
    out
}

struct Draft {
    kind: &'static str,
    title: String,
    description: String,
    evidence: Vec<String>,
    category: Option<&'static str>,
    service: Option<&'static str>,
    /// (field with modifiers, values)
    selection: Vec<(String, Vec<String>)>,
    tags: Vec<String>,
    falsepositives: Vec<String>,
    level: &'static str,
}

fn user_writable(path: &str) -> bool {
    let p = path.to_lowercase().replace('/', "\\");
    [
        "\\users\\",
        "\\programdata\\",
        "\\temp\\",
        "\\appdata\\",
        "\\downloads\\",
        "\\public\\",
    ]
    .iter()
    .any(|d| p.contains(d))
}

/// The part of a path that holds on another machine: after the user profile
/// (`C:\Users\alice\AppData\x` → `\AppData\x`), else after the drive.
fn portable_path(path: &str) -> String {
    let lower = path.to_lowercase();
    if let Some(i) = lower.find("\\users\\") {
        let rest = &path[i + 7..];
        if let Some(j) = rest.find('\\') {
            return rest[j..].to_string();
        }
    }
    match path.find(":\\") {
        Some(i) if i <= 2 => path[i + 1..].to_string(),
        _ => path.to_string(),
    }
}

/// A registry path without its hive (`HKU\S-1-5-21-...\Software\x` → `\Software\x`),
/// as Sysmon's and sandboxes' spellings differ before it.
fn portable_key(key: &str) -> String {
    let lower = key.to_lowercase();
    for anchor in [
        "\\software\\",
        "\\system\\currentcontrolset\\",
        "\\system\\",
    ] {
        if let Some(i) = lower.find(anchor) {
            return key[i..].to_string();
        }
    }
    match key.find('\\') {
        Some(i) => key[i..].to_string(),
        None => key.to_string(),
    }
}

fn evidence(e: &Event) -> String {
    let mut s = format!("{} record {}", e.provenance.source, e.provenance.record);
    if let Some(id) = e.provenance.record_id {
        let _ = write!(s, " (EventRecordID {id})");
    }
    if let Some(t) = &e.time {
        let _ = write!(s, " at {t}");
    }
    s
}

fn lolbin_technique(image: &str) -> Option<(&'static str, &'static str)> {
    let name = base_name(image).to_lowercase();
    Some(match name.as_str() {
        "rundll32.exe" => ("defense-evasion", "t1218.011"),
        "regsvr32.exe" => ("defense-evasion", "t1218.010"),
        "mshta.exe" => ("defense-evasion", "t1218.005"),
        "schtasks.exe" => ("persistence", "t1053.005"),
        "sc.exe" => ("persistence", "t1543.003"),
        "reg.exe" => ("defense-evasion", "t1112"),
        "powershell.exe" | "pwsh.exe" => ("execution", "t1059.001"),
        "cmd.exe" => ("execution", "t1059.003"),
        "wscript.exe" | "cscript.exe" => ("execution", "t1059.005"),
        "vssadmin.exe" | "wbadmin.exe" | "bcdedit.exe" => ("impact", "t1490"),
        "certutil.exe" | "bitsadmin.exe" => ("command-and-control", "t1105"),
        "net.exe" | "net1.exe" | "whoami.exe" | "systeminfo.exe" | "ipconfig.exe" => {
            ("discovery", "t1033")
        }
        _ => return None,
    })
}

/// The arguments of a command line (after the program, quoted or not).
fn arguments(cmd: &str) -> &str {
    let t = cmd.trim_start();
    let rest = if let Some(stripped) = t.strip_prefix('"') {
        match stripped.find('"') {
            Some(i) => &stripped[i + 1..],
            None => "",
        }
    } else {
        match t.find(' ') {
            Some(i) => &t[i..],
            None => "",
        }
    };
    rest.trim()
}

/// Sigma rules for a session's behaviour.
pub fn write_rules(
    events: &[Event],
    findings: &LogFindings,
    options: &WriterOptions,
) -> Vec<WrittenRule> {
    let mut drafts: Vec<Draft> = Vec::new();
    let label = &options.label;

    // persistence, each from the event it was found in
    for p in &findings.persistence {
        let Some(e) = events.iter().find(|e| e.provenance == p.provenance) else {
            continue;
        };
        let tactic_tag = "attack.persistence".to_string();
        let technique_tag = format!("attack.{}", p.technique.to_lowercase());
        let mut d = Draft {
            kind: "persistence",
            title: format!(
                "{} {} created by {label}",
                p.name,
                base_name(p.location.trim_end_matches('\\'))
            ),
            description: format!(
                "{} ({}) as created in the analysed session: {}{}.",
                p.name,
                p.technique,
                p.location,
                p.runs
                    .as_deref()
                    .map(|r| format!(", running {r}"))
                    .unwrap_or_default()
            ),
            evidence: vec![evidence(e)],
            category: None,
            service: None,
            selection: Vec::new(),
            tags: vec![tactic_tag, technique_tag],
            falsepositives: vec![format!(
                "Software that installs the same {} under the same name",
                p.name.to_lowercase()
            )],
            level: "high",
        };
        match e.action {
            Action::RegistrySet | Action::RegistryCreateKey => {
                d.category = Some(if e.action == Action::RegistrySet {
                    "registry_set"
                } else {
                    "registry_add"
                });
                d.selection.push((
                    "TargetObject|endswith".into(),
                    vec![literal(&portable_key(&e.target))],
                ));
            }
            Action::FileCreate | Action::FileModify => {
                d.category = Some("file_event");
                d.selection.push((
                    "TargetFilename|endswith".into(),
                    vec![literal(&portable_path(&e.target))],
                ));
            }
            Action::ProcessCreate | Action::ProcessStart => {
                let (Some(image), Some(_)) = (&e.process.image, &e.process.command_line) else {
                    continue;
                };
                d.category = Some("process_creation");
                d.selection.push((
                    "Image|endswith".into(),
                    vec![literal(&format!("\\{}", base_name(image)))],
                ));
                d.selection.push((
                    "CommandLine|contains".into(),
                    vec![literal(p.location.trim())],
                ));
            }
            Action::TaskCreate | Action::ServiceCreate
                if matches!(
                    e.provenance.format,
                    LogFormat::SysmonXml | LogFormat::SysmonJson | LogFormat::Evtx
                ) =>
            {
                let (service, id, field) = if e.action == Action::TaskCreate {
                    ("security", "4698", "TaskName")
                } else if e.get("event_id") == Some("4697") {
                    ("security", "4697", "ServiceName")
                } else {
                    ("system", "7045", "ServiceName")
                };
                d.service = Some(service);
                d.selection.push(("EventID".into(), vec![id.to_string()]));
                d.selection.push((field.into(), vec![literal(&e.target)]));
            }
            _ => continue,
        }
        drafts.push(d);
    }

    // suspicious process creations: from user-writable folders, or started by such a process
    let mut seen_cmd = BTreeSet::new();
    for e in events
        .iter()
        .filter(|e| matches!(e.action, Action::ProcessCreate))
    {
        let Some(image) = e.process.image.as_deref() else {
            continue;
        };
        let from_user = user_writable(image);
        let parent_user = e.process.parent_image.as_deref().is_some_and(user_writable);
        if !from_user && !parent_user {
            continue;
        }
        let name = base_name(image).to_string();
        let args = e
            .process
            .command_line
            .as_deref()
            .map(arguments)
            .unwrap_or("")
            .to_string();
        if !seen_cmd.insert((name.to_lowercase(), args.to_lowercase())) {
            continue;
        }
        let mut selection = vec![(
            "Image|endswith".to_string(),
            vec![literal(&format!("\\{name}"))],
        )];
        let mut tags = Vec::new();
        let level;
        let title;
        if from_user {
            selection[0].1 = vec![literal(&portable_path(image))];
            tags.extend([
                "attack.execution".to_string(),
                "attack.t1204.002".to_string(),
            ]);
            level = "high";
            title = format!("Execution of {name} from a user folder ({label})");
        } else {
            let parent = e.process.parent_image.as_deref().unwrap_or("");
            selection.push((
                "ParentImage|endswith".into(),
                vec![literal(&portable_path(parent))],
            ));
            if let Some((tactic, t)) = lolbin_technique(image) {
                tags.push(format!("attack.{tactic}"));
                tags.push(format!("attack.{t}"));
            } else {
                tags.extend(["attack.execution".to_string(), "attack.t1106".to_string()]);
            }
            level = "high";
            title = format!("{name} started by {} ({label})", base_name(parent));
        }
        if !args.is_empty() {
            selection.push(("CommandLine|contains".into(), vec![literal(&args)]));
        }
        drafts.push(Draft {
            kind: "process",
            title,
            description: format!(
                "Process creation seen in the analysed session: {}{}.",
                image,
                e.process
                    .command_line
                    .as_deref()
                    .map(|c| format!(" with command line {c}"))
                    .unwrap_or_default()
            ),
            evidence: vec![evidence(e)],
            category: Some("process_creation"),
            service: None,
            selection,
            tags,
            falsepositives: vec![
                "Unlikely: the image and arguments are those of the analysed sample".into(),
            ],
            level,
        });
    }

    // dropped files
    let mut dropped: Vec<(&Event, String)> = Vec::new();
    let mut seen_files = BTreeSet::new();
    for e in events
        .iter()
        .filter(|e| matches!(e.action, Action::FileCreate | Action::FileModify))
    {
        if findings.remediation.files_to_delete.contains(&e.target)
            && user_writable(&e.target)
            && seen_files.insert(e.target.to_lowercase())
        {
            dropped.push((e, literal(&portable_path(&e.target))));
        }
    }
    if !dropped.is_empty() {
        drafts.push(Draft {
            kind: "dropped",
            title: format!(
                "Files dropped by {label}: {}",
                and_more(dropped.iter().map(|(e, _)| base_name(&e.target)))
            ),
            description: format!(
                "Files the analysed session wrote into user-writable folders: {}.",
                dropped
                    .iter()
                    .map(|(e, _)| e.target.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            evidence: dropped.iter().map(|(e, _)| evidence(e)).collect(),
            category: Some("file_event"),
            service: None,
            selection: vec![(
                "TargetFilename|endswith".into(),
                dropped
                    .iter()
                    .map(|(_, v)| v.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            )],
            tags: vec!["attack.command-and-control".into(), "attack.t1105".into()],
            falsepositives: vec![
                "A legitimate program writing a file of the same name in the same folder".into(),
            ],
            level: "medium",
        });
    }

    // DNS queries and connections to the sample's network indicators
    let block = &findings.remediation.addresses_to_block;
    let mut names = BTreeSet::new();
    let mut name_ev = Vec::new();
    let mut addrs = BTreeSet::new();
    let mut addr_ev = Vec::new();
    for e in events {
        match e.action {
            Action::DnsQuery
                if block.contains(&e.target.to_ascii_lowercase())
                    && names.insert(e.target.to_ascii_lowercase()) =>
            {
                name_ev.push(evidence(e));
            }
            Action::NetworkConnect
                if block.contains(&e.target) && addrs.insert(e.target.clone()) =>
            {
                addr_ev.push(evidence(e));
            }
            _ => {}
        }
    }
    if !names.is_empty() {
        drafts.push(Draft {
            kind: "dns",
            title: format!(
                "DNS queries for {} ({label})",
                and_more(names.iter().map(String::as_str))
            ),
            description: format!(
                "Names the analysed session resolved: {}.",
                names.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            evidence: name_ev,
            category: Some("dns_query"),
            service: None,
            selection: vec![(
                "QueryName".into(),
                names.iter().map(|n| literal(n)).collect(),
            )],
            tags: vec![
                "attack.command-and-control".into(),
                "attack.t1071.004".into(),
            ],
            falsepositives: vec!["None expected: the names are the sample's infrastructure".into()],
            level: "high",
        });
    }
    if !addrs.is_empty() {
        drafts.push(Draft {
            kind: "connection",
            title: format!(
                "Connections to {} ({label})",
                and_more(addrs.iter().map(String::as_str))
            ),
            description: format!(
                "Addresses the analysed session connected to: {}.",
                addrs.iter().cloned().collect::<Vec<_>>().join(", ")
            ),
            evidence: addr_ev,
            category: Some("network_connection"),
            service: None,
            selection: vec![(
                "DestinationIp".into(),
                addrs.iter().map(|a| literal(a)).collect(),
            )],
            tags: vec!["attack.command-and-control".into(), "attack.t1071".into()],
            falsepositives: vec!["Shared hosting: other sites on the same address".into()],
            level: "high",
        });
    }

    let mut out: Vec<WrittenRule> = drafts.iter().map(|d| render(d, options)).collect();
    out.sort_by(|a, b| a.file_name.cmp(&b.file_name));
    out.dedup_by(|a, b| a.file_name == b.file_name);
    // titles are unique within one set (sigma check flags duplicates)
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for r in &mut out {
        let mut title = r.title.clone();
        let mut n = 1;
        while !seen.insert(title.clone()) {
            n += 1;
            title = format!("{} ({n})", r.title);
        }
        if title != r.title {
            r.yaml = r.yaml.replacen(
                &format!("title: {}", quote(&r.title)),
                &format!("title: {}", quote(&title)),
                1,
            );
            r.title = title;
        }
    }
    out
}

/// `a.dll`, `a.dll and b.dll`, `a.dll and 3 more`.
fn and_more<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    match items.len() {
        0 => String::new(),
        1 => items[0].to_string(),
        2 => format!("{} and {}", items[0], items[1]),
        n => format!("{} and {} more", items[0], n - 1),
    }
}

fn render(d: &Draft, options: &WriterOptions) -> WrittenRule {
    let mut detection = String::new();
    let _ = writeln!(detection, "detection:");
    let _ = writeln!(detection, "    selection:");
    for (field, values) in &d.selection {
        if values.len() == 1 {
            let _ = writeln!(detection, "        {field}: {}", quote(&values[0]));
        } else {
            let _ = writeln!(detection, "        {field}:");
            for v in values {
                let _ = writeln!(detection, "            - {}", quote(v));
            }
        }
    }
    let _ = writeln!(detection, "    condition: selection");
    let mut logsource = String::from("logsource:\n    product: windows\n");
    if let Some(c) = d.category {
        let _ = writeln!(logsource, "    category: {c}");
    }
    if let Some(s) = d.service {
        let _ = writeln!(logsource, "    service: {s}");
    }
    let id = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        format!("spoor-sigma\n{logsource}{detection}").as_bytes(),
    );
    let mut title: String = d.title.chars().filter(|c| !c.is_control()).collect();
    if title.chars().count() > 100 {
        title = title.chars().take(99).collect::<String>() + "…";
    }
    let mut description = d.description.clone();
    let _ = write!(description, " Evidence: {}.", d.evidence.join("; "));
    let mut y = String::new();
    let _ = writeln!(y, "title: {}", quote(&title));
    let _ = writeln!(y, "id: {id}");
    let _ = writeln!(y, "status: experimental");
    let _ = writeln!(y, "description: {}", quote(&description));
    let _ = writeln!(y, "author: {}", quote(&options.author));
    let _ = writeln!(y, "date: {}", options.date);
    let _ = writeln!(y, "tags:");
    for t in &d.tags {
        let _ = writeln!(y, "    - {t}");
    }
    y.push_str(&logsource);
    y.push_str(&detection);
    let _ = writeln!(y, "falsepositives:");
    for f in &d.falsepositives {
        let _ = writeln!(y, "    - {}", quote(f));
    }
    let _ = writeln!(y, "level: {}", d.level);
    WrittenRule {
        file_name: format!("spoor_{}_{}.yml", d.kind, &id.simple().to_string()[..8]),
        title,
        yaml: y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_literal_and_portable() {
        assert_eq!(literal("a*b?c\\"), "a\\*b\\?c\\\\");
        assert_eq!(literal("C:\\x\\y"), "C:\\x\\y");
        assert_eq!(
            portable_path("C:\\Users\\alice\\AppData\\Roaming\\x.dll"),
            "\\AppData\\Roaming\\x.dll"
        );
        assert_eq!(
            portable_path("C:\\ProgramData\\x.exe"),
            "\\ProgramData\\x.exe"
        );
        assert_eq!(
            portable_key("HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x"),
            "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\x"
        );
        assert_eq!(arguments("\"C:\\a b\\x.exe\" /c 1"), "/c 1");
        assert_eq!(arguments("x.exe -q"), "-q");
        assert_eq!(quote("it's"), "'it''s'");
    }
}
