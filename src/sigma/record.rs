//! What a Sigma rule is matched against: a record's fields and the logsources it is in.
//!
//! Windows records (Sysmon, Security, System, PowerShell, any channel; from XML, JSON lines
//! and EVTX) keep their own field names (`Image`, `CommandLine`, `TargetObject`, ...) plus
//! the `System` facts `EventID`, `Channel`, `Provider_Name`, `Computer` and
//! `EventRecordID`; a name with spaces (Defender's `Threat Name`) is also given without
//! them. Their categories and services come from `data/sigma-logsources.txt`. Events of
//! the other formats (sandbox reports, Procmon, pcap, Regshot) become records with
//! Sysmon's field names, in the category of their action.

use super::matcher::Value;
use crate::logs::sysmon::WinEvent;
use crate::logs::{Action, Event, Provenance};
use std::sync::OnceLock;

/// The logsource table (`data/sigma-logsources.txt`).
pub const LOGSOURCES: &str = include_str!("../../data/sigma-logsources.txt");

struct CategoryRow {
    category: String,
    channel: String,
    ids: Vec<u32>,
    /// EventData field whose value must start with one of the values.
    field: Option<(String, Vec<String>)>,
}

struct FieldRow {
    category: String,
    channel: String,
    map: Vec<(String, String)>,
}

/// The parsed logsource table.
pub struct Logsources {
    categories: Vec<CategoryRow>,
    services: Vec<(String, String)>,
    fields: Vec<FieldRow>,
}

const SYSMON_CHANNEL: &str = "microsoft-windows-sysmon/operational";

/// The table, parsed once.
pub fn logsources() -> &'static Logsources {
    static TABLE: OnceLock<Logsources> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Logsources {
            categories: Vec::new(),
            services: Vec::new(),
            fields: Vec::new(),
        };
        for line in crate::tables::entries(LOGSOURCES) {
            let parts: Vec<&str> = line.split(" | ").map(str::trim).collect();
            match parts[..] {
                ["category", name, channel, ids, ref rest @ ..] => {
                    let field = rest.first().and_then(|f| {
                        let (name, values) = f.split_once('=')?;
                        Some((
                            name.to_string(),
                            values.split(',').map(str::to_lowercase).collect(),
                        ))
                    });
                    t.categories.push(CategoryRow {
                        category: name.to_string(),
                        channel: channel.to_lowercase(),
                        ids: ids
                            .split(',')
                            .filter_map(|i| i.trim().parse().ok())
                            .collect(),
                        field,
                    });
                }
                ["service", name, channel] => {
                    t.services.push((name.to_string(), channel.to_lowercase()));
                }
                ["field", category, channel, map] => t.fields.push(FieldRow {
                    category: category.to_string(),
                    channel: channel.to_lowercase(),
                    map: map
                        .split_whitespace()
                        .filter_map(|p| p.split_once('='))
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .collect(),
                }),
                _ => {}
            }
        }
        t
    })
}

impl Logsources {
    /// Whether spoor reads records of this Sigma category.
    pub fn knows_category(&self, category: &str) -> bool {
        self.categories.iter().any(|c| c.category == category)
    }

    /// Whether spoor reads records of this Sigma service.
    pub fn knows_service(&self, service: &str) -> bool {
        self.services.iter().any(|s| s.0 == service)
    }

    /// Rows of the table that did not parse (for the table's own test).
    pub fn row_count(&self) -> usize {
        self.categories.len() + self.services.len() + self.fields.len()
    }
}

/// One record as the rules see it.
#[derive(Debug, Clone)]
pub struct Record {
    /// Fields by name, in the record's order.
    pub fields: Vec<(String, Value)>,
    /// Fields renamed for the category's pipeline (Security 4688 read with Sysmon names).
    pub aliases: Vec<(String, Value)>,
    /// The category whose rules read `aliases`.
    pub aliased_category: Option<String>,
    /// Sigma categories the record is in.
    pub categories: Vec<String>,
    /// Sigma services the record is in.
    pub services: Vec<String>,
    /// Where it came from.
    pub provenance: Provenance,
    /// When, as the log wrote it.
    pub time: Option<String>,
}

impl Record {
    /// A field's value (`aliased`: the rule is of the aliased category).
    pub fn get(&self, name: &str, aliased: bool) -> Option<&Value> {
        if aliased {
            if let Some((_, v)) = self.aliases.iter().find(|(n, _)| n == name) {
                return Some(v);
            }
        }
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .or_else(|| {
                self.fields
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
            })
            .map(|(_, v)| v)
    }

    /// A Windows record.
    pub fn from_windows(ev: &WinEvent, provenance: &Provenance) -> Record {
        let table = logsources();
        let mut channel = ev.channel.to_lowercase();
        if channel.is_empty()
            && (ev.provider.is_empty() || ev.provider.to_lowercase().contains("sysmon"))
        {
            channel = SYSMON_CHANNEL.to_string();
        }
        let mut fields = Vec::with_capacity(ev.data.len() + 6);
        if let Some(id) = ev.event_id {
            fields.push(("EventID".to_string(), Value::new(id.to_string())));
        }
        if !ev.channel.is_empty() {
            fields.push(("Channel".to_string(), Value::new(ev.channel.clone())));
        }
        if !ev.provider.is_empty() {
            fields.push(("Provider_Name".to_string(), Value::new(ev.provider.clone())));
        }
        if !ev.computer.is_empty() {
            fields.push(("Computer".to_string(), Value::new(ev.computer.clone())));
        }
        if let Some(r) = ev.record_id {
            fields.push(("EventRecordID".to_string(), Value::new(r.to_string())));
        }
        for (name, value) in &ev.data {
            fields.push((name.clone(), Value::new(value.clone())));
            if name.contains(' ') {
                fields.push((name.replace(' ', ""), Value::new(value.clone())));
            }
        }
        let mut categories = Vec::new();
        if let Some(id) = ev.event_id {
            for row in &table.categories {
                if row.channel != channel || !row.ids.contains(&id) {
                    continue;
                }
                if let Some((field, starts)) = &row.field {
                    let value = ev
                        .data
                        .iter()
                        .find(|(n, _)| n == field)
                        .map(|(_, v)| v.to_lowercase())
                        .unwrap_or_default();
                    if !starts.iter().any(|s| value.starts_with(s.as_str())) {
                        continue;
                    }
                }
                if !categories.contains(&row.category) {
                    categories.push(row.category.clone());
                }
            }
        }
        let services = table
            .services
            .iter()
            .filter(|(_, c)| *c == channel)
            .map(|(s, _)| s.clone())
            .collect();
        let mut aliases = Vec::new();
        let mut aliased_category = None;
        for row in &table.fields {
            if row.channel == channel && categories.contains(&row.category) {
                for (sigma, raw) in &row.map {
                    if let Some((_, v)) = ev.data.iter().find(|(n, _)| n == raw) {
                        aliases.push((sigma.clone(), Value::new(v.clone())));
                    }
                }
                aliased_category = Some(row.category.clone());
            }
        }
        Record {
            fields,
            aliases,
            aliased_category,
            categories,
            services,
            provenance: provenance.clone(),
            time: ev.time.clone(),
        }
    }

    /// A record from a normalised event of a format without Windows records; `None` for
    /// actions no Sigma category describes.
    pub fn from_event(e: &Event) -> Option<Record> {
        let mut fields: Vec<(String, Value)> = Vec::new();
        let mut put = |name: &str, value: Option<&str>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                fields.push((name.to_string(), Value::new(v.to_string())));
            }
        };
        let pid = e.process.pid.map(|p| p.to_string());
        let ppid = e.process.parent_pid.map(|p| p.to_string());
        let target = Some(e.target.as_str());
        let categories: &[&str] = match e.action {
            Action::ProcessCreate | Action::ProcessStart => {
                put("Image", e.process.image.as_deref());
                put("CommandLine", e.process.command_line.as_deref());
                put("ParentImage", e.process.parent_image.as_deref());
                put("ProcessId", pid.as_deref());
                put("ParentProcessId", ppid.as_deref());
                &["process_creation"]
            }
            Action::FileCreate | Action::FileModify => {
                put("TargetFilename", target);
                put("Image", e.process.image.as_deref());
                &["file_event"]
            }
            Action::FileDelete => {
                put("TargetFilename", target);
                put("Image", e.process.image.as_deref());
                &["file_delete"]
            }
            Action::RegistryCreateKey => {
                put("TargetObject", target);
                put("EventType", Some("CreateKey"));
                put("Image", e.process.image.as_deref());
                &["registry_add", "registry_event"]
            }
            Action::RegistrySet => {
                put("TargetObject", target);
                put("Details", e.get("data"));
                put("EventType", Some("SetValue"));
                put("Image", e.process.image.as_deref());
                &["registry_set", "registry_event"]
            }
            Action::RegistryDelete => {
                put("TargetObject", target);
                put("EventType", Some("DeleteValue"));
                put("Image", e.process.image.as_deref());
                &["registry_delete", "registry_event"]
            }
            Action::ModuleLoad => {
                put("ImageLoaded", target);
                put("Image", e.process.image.as_deref());
                &["image_load"]
            }
            Action::NetworkConnect => {
                put("DestinationIp", target);
                put("DestinationPort", e.get("dst_port"));
                put("DestinationHostname", e.get("dst_host"));
                put("Protocol", e.get("protocol"));
                put("Image", e.process.image.as_deref());
                &["network_connection"]
            }
            Action::DnsQuery => {
                put("QueryName", target);
                put("QueryResults", e.get("answers"));
                put("Image", e.process.image.as_deref());
                &["dns_query"]
            }
            Action::Pipe => {
                put("PipeName", target);
                put("Image", e.process.image.as_deref());
                &["pipe_created"]
            }
            _ => return None,
        };
        Some(Record {
            fields,
            aliases: Vec::new(),
            aliased_category: None,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            services: Vec::new(),
            provenance: e.provenance.clone(),
            time: e.time.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::LogFormat;
    use std::sync::Arc;

    fn prov() -> Provenance {
        Provenance {
            source: Arc::from("t"),
            format: LogFormat::SysmonXml,
            record: 0,
            line: None,
            record_id: None,
            field: None,
        }
    }

    #[test]
    fn table_parses_completely() {
        let rows = crate::tables::entries(LOGSOURCES).count();
        assert_eq!(rows, logsources().row_count());
    }

    #[test]
    fn security_4688_reads_with_sysmon_names() {
        let ev = WinEvent {
            channel: "Security".into(),
            event_id: Some(4688),
            data: vec![
                ("NewProcessName".into(), "C:\\x\\a.exe".into()),
                ("ProcessId".into(), "0x10".into()),
                ("NewProcessId".into(), "0x20".into()),
            ],
            ..WinEvent::default()
        };
        let r = Record::from_windows(&ev, &prov());
        assert_eq!(r.categories, ["process_creation"]);
        assert_eq!(r.services, ["security"]);
        assert_eq!(r.get("Image", true).unwrap().text, "C:\\x\\a.exe");
        assert_eq!(r.get("ProcessId", true).unwrap().text, "0x20");
        assert_eq!(r.get("ProcessId", false).unwrap().text, "0x10");
    }

    #[test]
    fn registry_event_types() {
        let ev = WinEvent {
            channel: "Microsoft-Windows-Sysmon/Operational".into(),
            event_id: Some(12),
            data: vec![("EventType".into(), "DeleteValue".into())],
            ..WinEvent::default()
        };
        let r = Record::from_windows(&ev, &prov());
        assert_eq!(r.categories, ["registry_delete", "registry_event"]);
    }
}
