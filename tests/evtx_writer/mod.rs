//! A small, deterministic writer of Windows EVTX files, to build the corpus's `.evtx` logs.
//!
//! No package looked at in the registries carries a redistributable EVTX file with Sysmon
//! events and inert names (see `corpus/README.md`), so the corpus's are written here from its Event Viewer
//! XML export (`corpus/logs/sysmon/session-2024-03-12.xml`), one file per channel, as
//! Windows lays them out (MS-EVEN6, libevtx's notes):
//!
//! * a 4096-byte file header (`ElfFile`, version 3.2, CRC32 of its first 120 bytes);
//! * 64 KiB chunks (`ElfChnk`) with a 512-byte header: record numbers and identifiers, the
//!   offsets of the last record and of the free space, a CRC32 of the records and one of
//!   the header, the 64-bucket common-string table and the 32-bucket template table;
//! * records (`**\0\0`, size, identifier, FILETIME, BinXML, size again) whose BinXML is a
//!   fragment holding one template instance: the template definition is written inline
//!   the first time it is used in a chunk and referenced by offset afterwards; element and
//!   attribute names are written inline the first time and referenced after that; the
//!   values follow typed (UInt8/16/32/64, HexInt64, GUID, SID, FILETIME, Boolean, UTF-16).
//!
//! The same input always gives the same bytes; `tests/logs.rs` regenerates the committed
//! files and compares them byte for byte.

use quick_xml::events::{BytesStart, Event as XmlEvent};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Size of the file header block.
const FILE_HEADER_SIZE: usize = 4096;
/// Size of a chunk.
const CHUNK_SIZE: usize = 65536;
/// Size of a chunk's header, the string and template tables included.
const CHUNK_HEADER_SIZE: usize = 512;
/// The event namespace of every record.
const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

// BinXML value types (MS-EVEN6 2.2.3.1.3).
const NULL: u8 = 0x00;
const STRING: u8 = 0x01;
const UINT8: u8 = 0x04;
const UINT16: u8 = 0x06;
const UINT32: u8 = 0x08;
const UINT64: u8 = 0x0a;
const BOOL: u8 = 0x0d;
const GUID: u8 = 0x0f;
const FILETIME: u8 = 0x11;
const SID: u8 = 0x13;
const HEXINT64: u8 = 0x15;

/// One event as the XML export shows it (the `System` part, then the `EventData`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// `Provider/@Name`.
    pub provider: String,
    /// `Provider/@Guid`, as written (`{...}`).
    pub provider_guid: String,
    /// `EventID`.
    pub event_id: u16,
    /// `Version`.
    pub version: u8,
    /// `Level`.
    pub level: u8,
    /// `Task`.
    pub task: u16,
    /// `Opcode`.
    pub opcode: u8,
    /// `Keywords` (written `0x...`).
    pub keywords: u64,
    /// `TimeCreated/@SystemTime`, ISO 8601 with 7 fractional digits.
    pub time: String,
    /// `EventRecordID`, also the record header's identifier.
    pub record_id: u64,
    /// `Correlation/@ActivityID`, when present.
    pub activity_id: Option<String>,
    /// `Execution/@ProcessID`.
    pub process_id: u32,
    /// `Execution/@ThreadID`.
    pub thread_id: u32,
    /// `Channel`.
    pub channel: String,
    /// `Computer`.
    pub computer: String,
    /// `Security/@UserID`, when present.
    pub user_id: Option<String>,
    /// `EventData/Data` as (Name, text), in order.
    pub data: Vec<(String, String)>,
}

fn attribute(start: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The events of an Event Viewer XML export (`<Events><Event>...`), in file order.
pub fn events_from_xml(xml: &str) -> Vec<Event> {
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut out = Vec::new();
    let mut ev = Event::default();
    let mut data_name: Option<String> = None;
    let mut text = String::new();
    loop {
        let event = reader.read_event().expect("well-formed XML export");
        match event {
            XmlEvent::Eof => break,
            XmlEvent::Start(s) | XmlEvent::Empty(s) if s.local_name().as_ref() == b"Event" => {
                ev = Event::default();
            }
            XmlEvent::Start(s) => {
                if s.local_name().as_ref() == b"Data" {
                    data_name = attribute(&s, b"Name");
                }
                text.clear();
            }
            XmlEvent::Empty(s) => match s.local_name().as_ref() {
                b"Provider" => {
                    ev.provider = attribute(&s, b"Name").unwrap_or_default();
                    ev.provider_guid = attribute(&s, b"Guid").unwrap_or_default();
                }
                b"TimeCreated" => ev.time = attribute(&s, b"SystemTime").unwrap_or_default(),
                b"Correlation" => ev.activity_id = attribute(&s, b"ActivityID"),
                b"Execution" => {
                    let num = |n: &[u8]| attribute(&s, n).and_then(|v| v.parse().ok());
                    ev.process_id = num(b"ProcessID").unwrap_or(0);
                    ev.thread_id = num(b"ThreadID").unwrap_or(0);
                }
                b"Security" => ev.user_id = attribute(&s, b"UserID"),
                b"Data" => {
                    let name = attribute(&s, b"Name").unwrap_or_default();
                    ev.data.push((name, String::new()));
                }
                _ => {}
            },
            XmlEvent::Text(t) => text.push_str(&String::from_utf8_lossy(&t)),
            XmlEvent::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match &*r {
                        b"lt" => "<".into(),
                        b"gt" => ">".into(),
                        b"amp" => "&".into(),
                        b"quot" => "\"".into(),
                        b"apos" => "'".into(),
                        other => panic!("unknown entity {}", String::from_utf8_lossy(other)),
                    },
                };
                text.push_str(&c);
            }
            XmlEvent::End(e) => {
                let t = std::mem::take(&mut text);
                match e.local_name().as_ref() {
                    b"Event" => out.push(std::mem::take(&mut ev)),
                    b"EventID" => ev.event_id = t.parse().expect("EventID"),
                    b"Version" => ev.version = t.parse().expect("Version"),
                    b"Level" => ev.level = t.parse().expect("Level"),
                    b"Task" => ev.task = t.parse().expect("Task"),
                    b"Opcode" => ev.opcode = t.parse().expect("Opcode"),
                    b"Keywords" => {
                        let hex = t.trim_start_matches("0x");
                        ev.keywords = u64::from_str_radix(hex, 16).expect("Keywords");
                    }
                    b"EventRecordID" => ev.record_id = t.parse().expect("EventRecordID"),
                    b"Channel" => ev.channel = t,
                    b"Computer" => ev.computer = t,
                    b"Data" => {
                        let name = data_name.take().unwrap_or_default();
                        ev.data.push((name, t));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    out
}

/// CRC32 (IEEE 802.3, reflected, as EVTX checksums use).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The name hash of MS-EVEN6: `hash = hash * 65599 + code unit`.
fn name_hash(s: &str) -> u32 {
    s.encode_utf16().fold(0u32, |h, c| {
        h.wrapping_mul(65599).wrapping_add(u32::from(c))
    })
}

/// A GUID's text (`{xxxxxxxx-xxxx-...}`) in its mixed-endian binary form.
fn guid_bytes(text: &str) -> Option<[u8; 16]> {
    let hex: String = text
        .trim_matches(|c| c == '{' || c == '}')
        .chars()
        .filter(|&c| c != '-')
        .collect();
    if hex.len() != 32 || text.len() != 38 {
        return None;
    }
    let mut raw = [0u8; 16];
    for (i, b) in raw.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    let mut out = raw;
    for (dst, src) in [3, 2, 1, 0, 5, 4, 7, 6].into_iter().enumerate() {
        out[dst] = raw[src];
    }
    Some(out)
}

/// A SID's text (`S-1-5-21-...`) in its binary form.
fn sid_bytes(text: &str) -> Option<Vec<u8>> {
    let mut parts = text.strip_prefix("S-")?.split('-');
    let revision: u8 = parts.next()?.parse().ok()?;
    let authority: u64 = parts.next()?.parse().ok()?;
    let subs: Vec<u32> = parts.map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let mut out = vec![revision, u8::try_from(subs.len()).ok()?];
    out.extend_from_slice(&authority.to_be_bytes()[2..]);
    for s in subs {
        out.extend_from_slice(&s.to_le_bytes());
    }
    Some(out)
}

/// `2024-03-12T09:14:03.1610000Z` as a FILETIME (100 ns since 1601-01-01).
pub fn filetime(iso: &str) -> u64 {
    let num = |r: std::ops::Range<usize>| -> i64 {
        iso.get(r)
            .and_then(|s| s.parse().ok())
            .expect("ISO 8601 time")
    };
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let (hh, mm, ss) = (num(11..13), num(14..16), num(17..19));
    let frac = iso
        .get(20..)
        .unwrap_or("")
        .trim_end_matches('Z')
        .to_string();
    let ticks: i64 = format!("{frac:0<7}")[..7].parse().expect("fraction");
    // days from civil (proleptic Gregorian), relative to 1970-01-01
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss;
    const EPOCH_DIFF: i64 = 11_644_473_600;
    u64::try_from((secs + EPOCH_DIFF) * 10_000_000 + ticks).expect("time after 1601")
}

/// A typed substitution value: its type and bytes.
struct Value {
    kind: u8,
    bytes: Vec<u8>,
}

impl Value {
    fn new(kind: u8, bytes: Vec<u8>) -> Self {
        Value { kind, bytes }
    }
    fn string(s: &str) -> Self {
        Value::new(STRING, utf16(s))
    }
}

/// The type Windows gives an `EventData` value (the providers' manifests), when the text
/// is that type's rendering; anything else stays a string.
fn data_value(name: &str, text: &str) -> Value {
    let decimal = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let typed = match name {
        "ProcessGuid" | "ParentProcessGuid" | "LogonGuid" | "SourceProcessGuid"
        | "TargetProcessGuid" => guid_bytes(text).map(|b| Value::new(GUID, b.to_vec())),
        "SubjectUserSid" | "TargetUserSid" | "MandatoryLabel" => {
            sid_bytes(text).map(|b| Value::new(SID, b))
        }
        "ProcessId" | "ParentProcessId" | "TerminalSessionId" | "ClientProcessId"
            if decimal(text) =>
        {
            text.parse::<u32>()
                .ok()
                .map(|v| Value::new(UINT32, v.to_le_bytes().to_vec()))
        }
        "SourcePort" | "DestinationPort" if decimal(text) => text
            .parse::<u16>()
            .ok()
            .map(|v| Value::new(UINT16, v.to_le_bytes().to_vec())),
        "ClientProcessStartKey" if decimal(text) => text
            .parse::<u64>()
            .ok()
            .map(|v| Value::new(UINT64, v.to_le_bytes().to_vec())),
        "LogonId" | "SubjectLogonId" | "TargetLogonId" | "NewProcessId" | "ProcessId" => text
            .strip_prefix("0x")
            .filter(|h| {
                h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            })
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .map(|v| Value::new(HEXINT64, v.to_le_bytes().to_vec())),
        "Initiated" | "SourceIsIpv6" | "DestinationIsIpv6" | "IsExecutable" | "Archived" => {
            match text {
                "true" => Some(Value::new(BOOL, 1u32.to_le_bytes().to_vec())),
                "false" => Some(Value::new(BOOL, 0u32.to_le_bytes().to_vec())),
                _ => None,
            }
        }
        _ => None,
    };
    typed.unwrap_or_else(|| Value::string(text))
}

/// Content of an element or attribute in a template.
enum Content {
    Text(String),
    /// A substitution: index, value type, optional (omitted when the value is null).
    Sub(u16, u8, bool),
}

/// An element of a template.
struct Element {
    name: String,
    attributes: Vec<(String, Content)>,
    content: Vec<Node>,
}

enum Node {
    Element(Element),
    Content(Content),
}

fn el(name: &str, attributes: Vec<(&str, Content)>, content: Vec<Node>) -> Node {
    Node::Element(Element {
        name: name.to_string(),
        attributes: attributes
            .into_iter()
            .map(|(n, c)| (n.to_string(), c))
            .collect(),
        content,
    })
}

fn sub(index: u16, kind: u8) -> Vec<Node> {
    vec![Node::Content(Content::Sub(index, kind, false))]
}

/// Substitutions of the System part, in template order.
const SYSTEM_VALUES: u16 = 14;

/// The template of `ev`'s shape (provider, data names) and its values.
fn template(ev: &Event) -> (Node, Vec<Value>) {
    let system = el(
        "System",
        vec![],
        vec![
            el(
                "Provider",
                vec![
                    ("Name", Content::Text(ev.provider.clone())),
                    ("Guid", Content::Text(ev.provider_guid.clone())),
                ],
                vec![],
            ),
            el("EventID", vec![], sub(0, UINT16)),
            el("Version", vec![], sub(1, UINT8)),
            el("Level", vec![], sub(2, UINT8)),
            el("Task", vec![], sub(3, UINT16)),
            el("Opcode", vec![], sub(4, UINT8)),
            el("Keywords", vec![], sub(5, HEXINT64)),
            el(
                "TimeCreated",
                vec![("SystemTime", Content::Sub(6, FILETIME, false))],
                vec![],
            ),
            el("EventRecordID", vec![], sub(7, UINT64)),
            el(
                "Correlation",
                vec![("ActivityID", Content::Sub(8, GUID, true))],
                vec![],
            ),
            el(
                "Execution",
                vec![
                    ("ProcessID", Content::Sub(9, UINT32, false)),
                    ("ThreadID", Content::Sub(10, UINT32, false)),
                ],
                vec![],
            ),
            el("Channel", vec![], sub(11, STRING)),
            el("Computer", vec![], sub(12, STRING)),
            el(
                "Security",
                vec![("UserID", Content::Sub(13, SID, true))],
                vec![],
            ),
        ],
    );
    let mut values = vec![
        Value::new(UINT16, ev.event_id.to_le_bytes().to_vec()),
        Value::new(UINT8, vec![ev.version]),
        Value::new(UINT8, vec![ev.level]),
        Value::new(UINT16, ev.task.to_le_bytes().to_vec()),
        Value::new(UINT8, vec![ev.opcode]),
        Value::new(HEXINT64, ev.keywords.to_le_bytes().to_vec()),
        Value::new(FILETIME, filetime(&ev.time).to_le_bytes().to_vec()),
        Value::new(UINT64, ev.record_id.to_le_bytes().to_vec()),
        match ev.activity_id.as_deref().and_then(guid_bytes) {
            Some(g) => Value::new(GUID, g.to_vec()),
            None => Value::new(NULL, vec![]),
        },
        Value::new(UINT32, ev.process_id.to_le_bytes().to_vec()),
        Value::new(UINT32, ev.thread_id.to_le_bytes().to_vec()),
        Value::string(&ev.channel),
        Value::string(&ev.computer),
        match ev.user_id.as_deref().and_then(sid_bytes) {
            Some(s) => Value::new(SID, s),
            None => Value::new(NULL, vec![]),
        },
    ];
    let mut data = Vec::new();
    for (i, (name, text)) in ev.data.iter().enumerate() {
        let v = data_value(name, text);
        let index = SYSTEM_VALUES + u16::try_from(i).expect("few data values");
        data.push(el(
            "Data",
            vec![("Name", Content::Text(name.clone()))],
            vec![Node::Content(Content::Sub(index, v.kind, true))],
        ));
        values.push(v);
    }
    let event = el(
        "Event",
        vec![("xmlns", Content::Text(EVENT_NS.to_string()))],
        vec![system, el("EventData", vec![], data)],
    );
    (event, values)
}

/// The identity of a template: everything of its definition that varies.
fn template_key(ev: &Event, values: &[Value]) -> String {
    let mut key = format!("{}|{}|{}", ev.provider, ev.provider_guid, ev.event_id);
    for ((name, _), v) in ev.data.iter().zip(&values[usize::from(SYSTEM_VALUES)..]) {
        key.push_str(&format!("|{name}:{}", v.kind));
    }
    key
}

/// One chunk being filled; offsets are relative to the chunk's start.
#[derive(Clone)]
struct Chunk {
    data: Vec<u8>,
    names: BTreeMap<String, u32>,
    string_buckets: [u32; 64],
    templates: BTreeMap<String, u32>,
    template_buckets: [u32; 32],
    records: Vec<(u64, u32)>,
}

impl Chunk {
    fn new() -> Self {
        let mut data = vec![0u8; CHUNK_HEADER_SIZE];
        data[..8].copy_from_slice(b"ElfChnk\0");
        Chunk {
            data,
            names: BTreeMap::new(),
            string_buckets: [0; 64],
            templates: BTreeMap::new(),
            template_buckets: [0; 32],
            records: Vec::new(),
        }
    }

    fn pos(&self) -> u32 {
        u32::try_from(self.data.len()).expect("chunk offset")
    }

    fn u16(&mut self, v: u16) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }

    fn u32(&mut self, v: u32) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }

    fn patch_u32(&mut self, at: u32, v: u32) {
        let at = at as usize;
        self.data[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// A name reference: the offset of the name, written inline (and entered in the
    /// common-string table) the first time the chunk uses it.
    fn name(&mut self, name: &str) {
        if let Some(&at) = self.names.get(name) {
            self.u32(at);
            return;
        }
        let at = self.pos() + 4;
        self.u32(at);
        let hash = name_hash(name);
        let bucket = (hash % 64) as usize;
        self.u32(self.string_buckets[bucket]);
        self.string_buckets[bucket] = at;
        self.u16((hash & 0xffff) as u16);
        self.u16(u16::try_from(name.encode_utf16().count()).expect("short name"));
        self.data.extend(utf16(name));
        self.u16(0);
        self.names.insert(name.to_string(), at);
    }

    fn content(&mut self, c: &Content, more: bool) {
        match c {
            Content::Text(t) => {
                self.data.push(if more { 0x45 } else { 0x05 });
                self.data.push(STRING);
                self.u16(u16::try_from(t.encode_utf16().count()).expect("short text"));
                self.data.extend(utf16(t));
            }
            Content::Sub(index, kind, optional) => {
                self.data.push(if *optional { 0x0e } else { 0x0d });
                self.u16(*index);
                self.data.push(*kind);
            }
        }
    }

    /// An element of a template definition (so with a dependency identifier).
    fn element(&mut self, e: &Element) {
        let has_attributes = !e.attributes.is_empty();
        self.data.push(if has_attributes { 0x41 } else { 0x01 });
        self.u16(0xffff);
        let size_at = self.pos();
        self.u32(0);
        self.name(&e.name);
        if has_attributes {
            let list_at = self.pos();
            self.u32(0);
            let n = e.attributes.len();
            for (i, (name, value)) in e.attributes.iter().enumerate() {
                self.data.push(if i + 1 < n { 0x46 } else { 0x06 });
                self.name(name);
                self.content(value, false);
            }
            let size = self.pos() - list_at - 4;
            self.patch_u32(list_at, size);
        }
        if e.content.is_empty() {
            self.data.push(0x03);
        } else {
            self.data.push(0x02);
            for node in &e.content {
                match node {
                    Node::Element(child) => self.element(child),
                    Node::Content(c) => self.content(c, false),
                }
            }
            self.data.push(0x04);
        }
        let size = self.pos() - size_at - 4;
        self.patch_u32(size_at, size);
    }

    /// Appends `ev` as a record; `false` (and the chunk unchanged) when it does not fit.
    fn add(&mut self, ev: &Event) -> bool {
        let saved = self.clone();
        let start = self.pos();
        let time = filetime(&ev.time);
        self.data.extend_from_slice(b"**\0\0");
        self.u32(0); // size, patched below
        self.data.extend_from_slice(&ev.record_id.to_le_bytes());
        self.data.extend_from_slice(&time.to_le_bytes());
        // BinXML: fragment header, template instance, end of stream
        self.data.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
        let (event, values) = template(ev);
        let key = template_key(ev, &values);
        let guid: [u8; 16] = Sha256::digest(key.as_bytes())[..16]
            .try_into()
            .expect("16 bytes");
        let id = u32::from_le_bytes([guid[0], guid[1], guid[2], guid[3]]);
        self.data.extend_from_slice(&[0x0c, 0x01]);
        self.u32(id);
        match self.templates.get(&key) {
            Some(&at) => self.u32(at),
            None => {
                let at = self.pos() + 4;
                self.u32(at);
                let bucket = (id % 32) as usize;
                self.u32(self.template_buckets[bucket]);
                self.template_buckets[bucket] = at;
                self.data.extend_from_slice(&guid);
                let size_at = self.pos();
                self.u32(0);
                self.data.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
                match &event {
                    Node::Element(e) => self.element(e),
                    Node::Content(_) => unreachable!("a template is an element"),
                }
                self.data.push(0x00);
                let size = self.pos() - size_at - 4;
                self.patch_u32(size_at, size);
                self.templates.insert(key, at);
            }
        }
        self.u32(u32::try_from(values.len()).expect("few values"));
        for v in &values {
            self.u16(u16::try_from(v.bytes.len()).expect("short value"));
            self.data.push(v.kind);
            self.data.push(0);
        }
        for v in &values {
            self.data.extend_from_slice(&v.bytes);
        }
        self.data.push(0x00);
        let size = self.pos() - start + 4;
        self.u32(size);
        self.patch_u32(start + 4, size);
        if self.data.len() > CHUNK_SIZE {
            *self = saved;
            return false;
        }
        self.records.push((ev.record_id, start));
        true
    }

    /// The finished 64 KiB chunk, header and checksums filled in.
    fn finish(mut self) -> Vec<u8> {
        let free = self.pos();
        let (first, _) = self.records[0];
        let &(last, last_at) = self.records.last().expect("a record");
        self.data.resize(CHUNK_SIZE, 0);
        let d = &mut self.data;
        for (at, v) in [(8, first), (16, last), (24, first), (32, last)] {
            d[at..at + 8].copy_from_slice(&v.to_le_bytes());
        }
        d[40..44].copy_from_slice(&128u32.to_le_bytes());
        d[44..48].copy_from_slice(&last_at.to_le_bytes());
        d[48..52].copy_from_slice(&free.to_le_bytes());
        let records_crc = crc32(&d[CHUNK_HEADER_SIZE..free as usize]);
        d[52..56].copy_from_slice(&records_crc.to_le_bytes());
        for (i, v) in self.string_buckets.iter().enumerate() {
            d[128 + i * 4..132 + i * 4].copy_from_slice(&v.to_le_bytes());
        }
        for (i, v) in self.template_buckets.iter().enumerate() {
            d[384 + i * 4..388 + i * 4].copy_from_slice(&v.to_le_bytes());
        }
        // flags (offset 120) stay 0; the header CRC covers 0..120 and 128..512
        let mut covered = d[..120].to_vec();
        covered.extend_from_slice(&d[128..CHUNK_HEADER_SIZE]);
        let header_crc = crc32(&covered);
        d[124..128].copy_from_slice(&header_crc.to_le_bytes());
        self.data
    }
}

/// An EVTX file holding `events` (one channel, in record order).
pub fn write(events: &[Event]) -> Vec<u8> {
    let mut chunks = Vec::new();
    let mut chunk = Chunk::new();
    for ev in events {
        if !chunk.add(ev) {
            chunks.push(std::mem::replace(&mut chunk, Chunk::new()).finish());
            assert!(chunk.add(ev), "record {} fits no chunk", ev.record_id);
        }
    }
    if !chunk.records.is_empty() {
        chunks.push(chunk.finish());
    }
    let mut header = vec![0u8; FILE_HEADER_SIZE];
    header[..8].copy_from_slice(b"ElfFile\0");
    let count = u64::try_from(chunks.len()).expect("chunk count");
    let next_record = events.last().map_or(1, |e| e.record_id + 1);
    header[8..16].copy_from_slice(&0u64.to_le_bytes());
    header[16..24].copy_from_slice(&count.saturating_sub(1).to_le_bytes());
    header[24..32].copy_from_slice(&next_record.to_le_bytes());
    header[32..36].copy_from_slice(&128u32.to_le_bytes());
    header[36..38].copy_from_slice(&2u16.to_le_bytes()); // minor version
    header[38..40].copy_from_slice(&3u16.to_le_bytes()); // major version
    header[40..42].copy_from_slice(&4096u16.to_le_bytes());
    let count16 = u16::try_from(count).expect("chunk count");
    header[42..44].copy_from_slice(&count16.to_le_bytes());
    // flags (offset 120) 0: closed cleanly
    let crc = crc32(&header[..120]);
    header[124..128].copy_from_slice(&crc.to_le_bytes());
    let mut out = header;
    for c in chunks {
        out.extend(c);
    }
    out
}
