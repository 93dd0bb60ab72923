//! Sysmon and Windows Security / System events, from XML and JSON exports.
//!
//! Every input shape (Event Viewer XML, Winlogbeat / nxlog JSON lines, plain objects of
//! Sysmon fields, the evtx crate's JSON) becomes a [`WinEvent`], and one mapping turns a
//! [`WinEvent`] into an [`Event`]: the event id picks the action and the target field from
//! `data/windows-events.txt`; process fields, hashes, registry data, DNS answers and
//! network endpoints get common detail names (see `docs/events.md`).

use super::{
    Action, Event, Lines, LogFormat, ProcessInfo, Provenance, ReadReport, MAX_FIELD_BYTES,
};
use crate::error::WarningCode;
use serde::de::DeserializeSeed;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufReader, Read};
use std::sync::{Arc, OnceLock};

/// The id → action table (`data/windows-events.txt`).
pub const WINDOWS_EVENTS: &str = include_str!("../../data/windows-events.txt");

/// One Windows event, whatever it was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WinEvent {
    /// Provider name (`Microsoft-Windows-Sysmon`).
    pub provider: String,
    /// Channel (`Microsoft-Windows-Sysmon/Operational`, `Security`).
    pub channel: String,
    /// Event id.
    pub event_id: Option<u32>,
    /// EventRecordID.
    pub record_id: Option<u64>,
    /// TimeCreated, as written.
    pub time: Option<String>,
    /// Computer name.
    pub computer: String,
    /// EventData / UserData values by name, in order.
    pub data: Vec<(String, String)>,
}

impl WinEvent {
    /// Records a `System` value by its XML name (`EventID`, `TimeCreated.SystemTime`, ...).
    pub fn system(&mut self, name: &str, value: String) {
        let value = value.trim().to_string();
        match name {
            "Provider.Name" => self.provider = value,
            "EventID" => self.event_id = value.parse().ok(),
            "EventRecordID" => self.record_id = value.parse().ok(),
            "TimeCreated.SystemTime" => self.time = Some(value),
            "Channel" => self.channel = value,
            "Computer" => self.computer = value,
            _ => {}
        }
    }

    /// A data value that says something (not empty, not `-`).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty() && *v != "-")
    }

    fn kind(&self) -> Option<&'static str> {
        let channel = self.channel.to_ascii_lowercase();
        let provider = self.provider.to_ascii_lowercase();
        if channel.contains("sysmon") || provider.contains("sysmon") {
            Some("sysmon")
        } else if channel == "security" || provider.contains("security-auditing") {
            Some("security")
        } else if channel == "system" {
            Some("system")
        } else if channel.contains("bits-client") || provider.contains("bits-client") {
            Some("bits")
        } else if channel.contains("powershell") || provider.contains("powershell") {
            Some("powershell")
        } else if channel.contains("wmi-activity") || provider.contains("wmi-activity") {
            Some("wmi")
        } else if channel.is_empty() && provider.is_empty() {
            None
        } else {
            Some("other")
        }
    }
}

struct Mapping {
    channel: String,
    action: Action,
    target: String,
}

fn table() -> &'static HashMap<u32, Vec<Mapping>> {
    static TABLE: OnceLock<HashMap<u32, Vec<Mapping>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map: HashMap<u32, Vec<Mapping>> = HashMap::new();
        for line in crate::tables::entries(WINDOWS_EVENTS) {
            let parts: Vec<&str> = line.split_whitespace().collect();
            if let [channel, id, action, target] = parts[..] {
                if let (Ok(id), Some(action)) = (id.parse(), Action::from_name(action)) {
                    map.entry(id).or_default().push(Mapping {
                        channel: channel.to_string(),
                        action,
                        target: target.to_string(),
                    });
                }
            }
        }
        map
    })
}

/// Parses a decimal or `0x` hexadecimal process id.
pub fn parse_pid(text: &str) -> Option<u64> {
    let t = text.trim();
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Fields whose content becomes part of the event's own structure (not copied to details).
const STRUCTURAL: [&str; 13] = [
    "ProcessId",
    "Image",
    "CommandLine",
    "ParentProcessId",
    "ParentImage",
    "NewProcessId",
    "NewProcessName",
    "ParentProcessName",
    "ProcessGuid",
    "ParentProcessGuid",
    "UtcTime",
    "Hashes",
    "Details",
];

/// Maps a Windows event onto an [`Event`]; `None` for ids spoor does not map.
pub fn map(ev: &WinEvent, provenance: Provenance) -> Option<Event> {
    let id = ev.event_id?;
    let kind = ev.kind();
    let mapping = table()
        .get(&id)?
        .iter()
        .find(|m| kind.is_none_or(|k| k == m.channel))?;
    let mut action = mapping.action;
    if id == 12 && mapping.channel == "sysmon" {
        if let Some(t) = ev.get("EventType") {
            if t.starts_with("Delete") {
                action = Action::RegistryDelete;
            }
        }
    }
    let target = match mapping.target.as_str() {
        "@channel" => ev.channel.clone(),
        field => ev.get(field).unwrap_or("").to_string(),
    };
    let mut event = Event::new(action, target, provenance);
    event.time = ev
        .time
        .clone()
        .or_else(|| ev.get("UtcTime").map(str::to_string));
    event.detail("event_id", id.to_string());
    if !ev.channel.is_empty() {
        event.detail("channel", ev.channel.clone());
    }
    if let Some(r) = ev.record_id {
        event.detail("record_id", r.to_string());
    }
    if !ev.computer.is_empty() {
        event.detail("computer", ev.computer.clone());
    }
    let security = mapping.channel == "security" || mapping.channel == "system";
    event.process = if security && action == Action::ProcessCreate {
        ProcessInfo {
            pid: ev.get("NewProcessId").and_then(parse_pid),
            image: ev.get("NewProcessName").map(str::to_string),
            command_line: ev.get("CommandLine").map(str::to_string),
            parent_pid: ev.get("ProcessId").and_then(parse_pid),
            parent_image: ev.get("ParentProcessName").map(str::to_string),
        }
    } else {
        ProcessInfo {
            pid: ev
                .get("ProcessId")
                .or_else(|| ev.get("processId"))
                .and_then(parse_pid),
            image: ev
                .get("Image")
                .or_else(|| ev.get("ProcessName"))
                .or_else(|| ev.get("processPath"))
                .map(str::to_string),
            command_line: ev.get("CommandLine").map(str::to_string),
            parent_pid: ev.get("ParentProcessId").and_then(parse_pid),
            parent_image: ev.get("ParentImage").map(str::to_string),
        }
    };
    if let Some(h) = ev.get("Hashes") {
        add_hashes(&mut event, h);
    }
    match action {
        Action::RegistrySet => {
            if let Some(d) = ev.get("Details") {
                event.detail("data", d);
            }
        }
        Action::RegistryRename => {
            if let Some(n) = ev.get("NewName") {
                event.detail("new_name", n);
            }
        }
        Action::DnsQuery => {
            if let Some(r) = ev.get("QueryResults") {
                event.detail("answers", dns_answers(r).join(" "));
            }
        }
        Action::NetworkConnect => {
            if let Some(p) = ev.get("DestinationPort") {
                event.detail("dst_port", p);
            }
            if let Some(h) = ev.get("DestinationHostname") {
                event.detail("dst_host", h);
            }
            if let Some(p) = ev.get("Protocol") {
                event.detail("protocol", p);
            }
            if let Some(ip) = ev.get("SourceIp") {
                event.detail("src", ip);
            }
            if ev
                .get("Initiated")
                .is_some_and(|i| i.eq_ignore_ascii_case("false"))
            {
                event.detail("direction", "inbound");
            }
        }
        Action::TaskCreate => {
            if let Some(content) = ev.get("TaskContent") {
                let command = [tag_text(content, "Command"), tag_text(content, "Arguments")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                event.detail("command", command);
            }
        }
        Action::ServiceCreate => {
            if let Some(p) = ev.get("ImagePath").or_else(|| ev.get("ServiceFileName")) {
                event.detail("command", p);
            }
        }
        Action::WmiSubscription => {
            let what = ev
                .get("Destination")
                .or_else(|| ev.get("Query"))
                .or_else(|| ev.get("PossibleCause"));
            if let Some(d) = what {
                event.detail("command", d);
            }
        }
        _ => {}
    }
    for (name, value) in &ev.data {
        if name == &mapping.target || STRUCTURAL.contains(&name.as_str()) {
            continue;
        }
        if event.details.contains_key(name) {
            continue;
        }
        event.detail(name, value.clone());
    }
    Some(event)
}

/// `MD5=..,SHA256=..,IMPHASH=..` → `md5`, `sha256`, `imphash` details (lower-case names).
fn add_hashes(event: &mut Event, hashes: &str) {
    for part in hashes.split(',') {
        if let Some((alg, value)) = part.split_once('=') {
            let alg = alg.trim().to_ascii_lowercase();
            if matches!(alg.as_str(), "md5" | "sha1" | "sha256" | "imphash") {
                event.detail(&alg, value.trim());
            }
        }
    }
}

/// Addresses and names in Sysmon's `QueryResults` (`::ffff:192.0.2.1;type:  5 x.example;`).
pub fn dns_answers(results: &str) -> Vec<String> {
    results
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = s.strip_prefix("::ffff:").unwrap_or(s);
            match s.strip_prefix("type:") {
                Some(rest) => rest.split_whitespace().last().unwrap_or("").to_string(),
                None => s.to_string(),
            }
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The text of the first `<tag>...</tag>` in a small XML string (task definitions).
fn tag_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    let text = xml[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    Some(text.trim().to_string())
}

/// Events of Windows event XML.
pub fn xml_events(
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    records: super::RecordTap<'_>,
    mut fields: Option<&mut super::FieldTap<'_>>,
    report: &mut ReadReport,
) {
    let mut index = 0u64;
    let mut produced = 0u64;
    super::xml::read(
        BufReader::with_capacity(256 * 1024, reader),
        &mut |ev, offset| {
            if let Some(tap) = fields.as_deref_mut() {
                super::xml::event_fields(&ev, index + 1, Some(offset), tap);
            }
            let provenance = Provenance {
                source: source.clone(),
                format: LogFormat::SysmonXml,
                record: index,
                line: None,
                record_id: ev.record_id,
                field: None,
            };
            index += 1;
            records(&ev, &provenance);
            if let Some(e) = map(&ev, provenance) {
                produced += 1;
                sink(e);
            }
        },
        report,
    );
    report.produced += produced;
}

/// Whether a JSON object is a Windows event in one of the shapes spoor reads.
pub fn is_windows_event_json(v: &Value) -> bool {
    v.pointer("/winlog/event_id").is_some()
        || v.get("EventID").is_some()
        || v.pointer("/Event/System").is_some()
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o.get("#text").and_then(text_of),
        _ => None,
    }
}

/// A [`WinEvent`] from one JSON object (Winlogbeat, nxlog / plain, evtx-crate JSON).
pub fn win_event_from_json(v: &Value) -> Option<WinEvent> {
    let mut ev = WinEvent::default();
    let fill_data = |ev: &mut WinEvent, obj: &serde_json::Map<String, Value>| {
        for (k, val) in obj {
            if let Some(t) = text_of(val) {
                ev.data.push((k.clone(), t));
            }
        }
    };
    if let Some(w) = v.get("winlog") {
        ev.event_id = w.get("event_id").and_then(text_of)?.trim().parse().ok();
        ev.record_id = w
            .get("record_id")
            .and_then(text_of)
            .and_then(|t| t.parse().ok());
        ev.channel = w.get("channel").and_then(text_of).unwrap_or_default();
        ev.provider = w.get("provider_name").and_then(text_of).unwrap_or_default();
        ev.computer = w.get("computer_name").and_then(text_of).unwrap_or_default();
        ev.time = v.get("@timestamp").and_then(text_of);
        if let Some(Value::Object(data)) = w.get("event_data").or_else(|| w.get("user_data")) {
            fill_data(&mut ev, data);
        }
        return Some(ev);
    }
    if let Some(system) = v.pointer("/Event/System") {
        ev.event_id = system.get("EventID").and_then(text_of)?.trim().parse().ok();
        ev.record_id = system
            .get("EventRecordID")
            .and_then(text_of)
            .and_then(|t| t.parse().ok());
        ev.channel = system.get("Channel").and_then(text_of).unwrap_or_default();
        ev.provider = system
            .pointer("/Provider/#attributes/Name")
            .or_else(|| system.pointer("/Provider_attributes/Name"))
            .and_then(text_of)
            .unwrap_or_default();
        ev.computer = system.get("Computer").and_then(text_of).unwrap_or_default();
        ev.time = system
            .pointer("/TimeCreated/#attributes/SystemTime")
            .or_else(|| system.pointer("/TimeCreated_attributes/SystemTime"))
            .and_then(text_of);
        for part in ["/Event/EventData", "/Event/UserData"] {
            if let Some(Value::Object(data)) = v.pointer(part) {
                fill_data(&mut ev, data);
            }
        }
        return Some(ev);
    }
    let obj = v.as_object()?;
    ev.event_id = obj.get("EventID").and_then(text_of)?.trim().parse().ok();
    ev.record_id = obj
        .get("RecordNumber")
        .or_else(|| obj.get("EventRecordID"))
        .and_then(text_of)
        .and_then(|t| t.parse().ok());
    ev.channel = obj.get("Channel").and_then(text_of).unwrap_or_default();
    ev.provider = obj
        .get("SourceName")
        .or_else(|| obj.get("ProviderName"))
        .and_then(text_of)
        .unwrap_or_default();
    ev.computer = obj.get("Hostname").and_then(text_of).unwrap_or_default();
    ev.time = obj
        .get("EventTime")
        .or_else(|| obj.get("TimeCreated"))
        .and_then(text_of);
    let skip = [
        "EventID",
        "RecordNumber",
        "EventRecordID",
        "Channel",
        "SourceName",
        "ProviderName",
        "Hostname",
        "EventTime",
        "TimeCreated",
    ];
    for (k, val) in obj {
        if skip.contains(&k.as_str()) {
            continue;
        }
        if let Some(t) = text_of(val) {
            ev.data.push((k.clone(), t));
        }
    }
    Some(ev)
}

/// Events of Windows event JSON lines; lines of other shapes are counted and skipped.
/// With a [`super::FieldTap`], every line's strings go to it from the same parse, as
/// [`super::json::line_fields`] gives them (a long line cut, a line that is not JSON
/// handed on whole).
pub fn json_events(
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    records: super::RecordTap<'_>,
    mut fields: Option<&mut super::FieldTap<'_>>,
    report: &mut ReadReport,
) {
    let mut lines = Lines::new(
        BufReader::with_capacity(256 * 1024, reader),
        MAX_FIELD_BYTES,
    );
    let mut buf = Vec::new();
    let mut index = 0u64;
    loop {
        let (line_no, cut) = match lines.next_into(&mut buf) {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) => {
                report.warn(WarningCode::of_io(&e), format!("read error: {e}"));
                if let Some(tap) = fields.as_deref_mut() {
                    tap.report
                        .warn(WarningCode::of_io(&e), format!("read error: {e}"));
                }
                break;
            }
        };
        if buf.trim_ascii().is_empty() {
            continue;
        }
        report.records += 1;
        let record = index;
        index += 1;
        if cut {
            report.warn(
                WarningCode::SizeLimit,
                format!("line {line_no}: longer than {MAX_FIELD_BYTES} bytes, skipped"),
            );
        }
        let value = match fields.as_deref_mut() {
            Some(tap) => line_with_fields(&buf, line_no, cut, tap, report),
            None if cut => None,
            None => line_value(&buf, line_no, report),
        };
        let Some(value) = value.filter(|_| !cut) else {
            continue;
        };
        let Some(ev) = win_event_from_json(&value) else {
            continue;
        };
        let provenance = Provenance {
            source: source.clone(),
            format: LogFormat::SysmonJson,
            record,
            line: Some(line_no),
            record_id: ev.record_id,
            field: None,
        };
        records(&ev, &provenance);
        if let Some(e) = map(&ev, provenance) {
            report.produced += 1;
            sink(e);
        }
    }
}

/// The warning for a line whose strings were repaired.
fn repaired_warning(line_no: u64, n: impl std::fmt::Display) -> String {
    format!("line {line_no}: {n} invalid escape(s) or byte(s) in strings replaced by U+FFFD")
}

/// One JSON line as a value, repaired when a string in it is bad; `None` (with a
/// warning) when it is not JSON.
fn line_value(buf: &[u8], line_no: u64, report: &mut ReadReport) -> Option<Value> {
    match serde_json::from_slice(buf) {
        Ok(v) => Some(v),
        Err(e) => {
            // A bad character in a string does not cost the record.
            let repaired = super::json_repair::repair(buf).and_then(|(fixed, n)| {
                serde_json::from_slice::<Value>(&fixed).ok().map(|v| (v, n))
            });
            match repaired {
                Some((v, n)) => {
                    report.warn(WarningCode::Encoding, repaired_warning(line_no, n));
                    Some(v)
                }
                None => {
                    report.warn(
                        WarningCode::ParseError,
                        format!("line {line_no}: not JSON ({e}), skipped"),
                    );
                    None
                }
            }
        }
    }
}

/// [`line_value`] parsing the line once for the value and its fields: the strings go to
/// `tap` with their JSON pointers, or the whole line when it is not JSON. A `cut` line
/// gives its fields only (its event is skipped, and no event warning is added).
fn line_with_fields(
    buf: &[u8],
    line_no: u64,
    cut: bool,
    tap: &mut super::FieldTap<'_>,
    report: &mut ReadReport,
) -> Option<Value> {
    if cut {
        tap.report.warn(
            WarningCode::SizeLimit,
            format!("line {line_no}: longer than {MAX_FIELD_BYTES} bytes, cut"),
        );
    }
    tap.report.records += 1;
    // the fields of an attempt are kept back until it is known to be the one used
    let attempt = |bytes: &[u8], out: &mut Vec<super::Field>| {
        let mut path = String::new();
        let mut emitted = 0u64;
        let mut push = |f: super::Field| out.push(f);
        let mut into = super::json::FieldSink {
            path: &mut path,
            sink: &mut push,
            line: None,
            fixed_line: Some(line_no),
            emitted: &mut emitted,
        };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = super::json::Grab(Some(&mut into)).deserialize(&mut de)?;
        de.end()?;
        Ok::<Value, serde_json::Error>(value)
    };
    let mut got = Vec::new();
    let (value, got) = match attempt(buf, &mut got) {
        Ok(v) => (Some(v), got),
        Err(e) => {
            let mut fixed_fields = Vec::new();
            let repaired = super::json_repair::repair(buf)
                .and_then(|(fixed, n)| attempt(&fixed, &mut fixed_fields).ok().map(|v| (v, n)));
            match repaired {
                Some((v, n)) => {
                    if !cut {
                        report.warn(WarningCode::Encoding, repaired_warning(line_no, n));
                    }
                    tap.report
                        .warn(WarningCode::Encoding, repaired_warning(line_no, n));
                    (Some(v), fixed_fields)
                }
                None => {
                    if !cut {
                        report.warn(
                            WarningCode::ParseError,
                            format!("line {line_no}: not JSON ({e}), skipped"),
                        );
                    }
                    if got.is_empty() {
                        // not JSON: the whole line is text
                        got.push(super::Field {
                            path: String::new(),
                            line: Some(line_no),
                            offset: None,
                            text: super::lossy(buf),
                        });
                    }
                    (None, got)
                }
            }
        }
    };
    for f in got {
        tap.field(f);
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_pids() {
        assert_eq!(
            dns_answers("::ffff:203.0.113.10;type:  5 cdn.example.net;2001:db8::1;"),
            vec!["203.0.113.10", "cdn.example.net", "2001:db8::1"]
        );
        assert_eq!(parse_pid("0x1078"), Some(4216));
        assert_eq!(parse_pid("4216"), Some(4216));
        assert_eq!(parse_pid("x"), None);
    }

    #[test]
    fn table_parses_completely() {
        let rows = crate::tables::entries(WINDOWS_EVENTS).count();
        let mapped: usize = table().values().map(Vec::len).sum();
        assert_eq!(
            rows, mapped,
            "every row of data/windows-events.txt is valid"
        );
    }

    #[test]
    fn plain_sysmon_object() {
        let v: Value = serde_json::from_str(
            r#"{"EventID":13,"TargetObject":"HKLM\\SOFTWARE\\Run\\x","Details":"c:\\x.exe","Image":"c:\\a.exe","ProcessId":"12"}"#,
        )
        .unwrap();
        let ev = win_event_from_json(&v).unwrap();
        let p = Provenance {
            source: Arc::from("t"),
            format: LogFormat::SysmonJson,
            record: 0,
            line: Some(1),
            record_id: None,
            field: None,
        };
        let e = map(&ev, p).unwrap();
        assert_eq!(e.action, Action::RegistrySet);
        assert_eq!(e.target, "HKLM\\SOFTWARE\\Run\\x");
        assert_eq!(e.get("data"), Some("c:\\x.exe"));
        assert_eq!(e.process.pid, Some(12));
    }
}
