//! Dynamic-analysis logs: format detection and the normalised event model.
//!
//! This module owns recognising what a log is from its content (never its extension),
//! the [`Event`] model every reader produces (time, process, action, target, details and
//! provenance), and the two ways a log is read:
//!
//! - [`read_events`]: the format's reader turns records into [`Event`]s, streamed to a
//!   callback (`spoor events`, and [`analysis`] on top);
//! - [`read_fields`]: every text value of a structured log with its field path, for the
//!   IOC scanner (`spoor extract` fills `Sighting.field` from it).
//!
//! One file per format: [`cape`] (CAPE / Cuckoo `report.json`), [`sysmon`] (Sysmon and
//! Security events from XML and JSON exports), [`evtx`] (EVTX files through the `evtx`
//! crate, mapped like [`sysmon`]), [`procmon`] (Procmon CSV), [`regshot`] (Regshot text
//! diffs), [`pcap`] (pcap and pcapng), [`json`] (any other JSON or NDJSON). Readers stream:
//! memory does not grow with the size of the log. Damaged input gives warnings and the
//! records read before and after the damage, never a panic.

pub mod analysis;
pub mod cape;
pub mod cmdline;
pub mod evtx;
pub mod json;
pub mod json_repair;
pub mod pcap;
pub mod procmon;
pub mod regshot;
pub mod sysmon;
mod xml;

use crate::error::{Warning, WarningCode};
pub use crate::findings::behaviour::{LogFormat, Provenance};
pub use crate::primitives::base_name;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Arc;

/// How many bytes of a source [`detect`] needs to recognise its format.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// Recognises a log from its first bytes (up to [`SNIFF_BYTES`]); never from a name.
pub fn detect(head: &[u8]) -> LogFormat {
    if head.len() >= 4 {
        match &head[..4] {
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d] => return LogFormat::Pcap,
            [0x0a, 0x0d, 0x0d, 0x0a] => return LogFormat::Pcapng,
            _ => {}
        }
    }
    if head.starts_with(b"ElfFile\0") {
        return LogFormat::Evtx;
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(text.len());
    let text = &text[start..];
    if text.starts_with(b"Regshot") {
        return LogFormat::Regshot;
    }
    if text.starts_with(b"<") {
        let windows_events = contains(text, b"schemas.microsoft.com/win/2004/08/events/event")
            || (contains(text, b"<Event") && contains(text, b"<EventID"));
        return if windows_events {
            LogFormat::SysmonXml
        } else {
            LogFormat::Text
        };
    }
    if text.starts_with(b"\"") {
        let first_line = text.split(|&b| b == b'\n').next().unwrap_or(text);
        if contains(first_line, b"\"Process Name\"")
            && contains(first_line, b"\"Operation\"")
            && contains(first_line, b"\"Path\"")
        {
            return LogFormat::ProcmonCsv;
        }
        return LogFormat::Text;
    }
    if text.starts_with(b"{") || text.starts_with(b"[") {
        return json::detect(text);
    }
    LogFormat::Text
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// What a process-related record says about the acting process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcessInfo {
    /// Process id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u64>,
    /// Executable path or name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// Parent process id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_pid: Option<u64>,
    /// Parent executable path or name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_image: Option<String>,
}

impl ProcessInfo {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        *self == ProcessInfo::default()
    }

    /// The image's file name (after the last `\` or `/`), or `pid N`.
    pub fn short_name(&self) -> String {
        match (&self.image, self.pid) {
            (Some(image), _) => base_name(image).to_string(),
            (None, Some(pid)) => format!("pid {pid}"),
            (None, None) => "?".to_string(),
        }
    }
}

vocabulary! {
    /// What an event did. Names are stable (`snake_case` in outputs); `data/` maps each
    /// format's record kinds onto them.
    pub enum Action {
        /// The analysed sample itself (sandbox reports): hashes and name.
        Sample => "sample",
        /// A process was created (seen from the parent, or by a process-creation audit).
        ProcessCreate => "process_create",
        /// A process started (seen from the new process: Procmon "Process Start").
        ProcessStart => "process_start",
        /// A process ended.
        ProcessExit => "process_exit",
        /// A file was created or overwritten.
        FileCreate => "file_create",
        /// A file was written to.
        FileModify => "file_modify",
        /// A file was read or opened.
        FileRead => "file_read",
        /// A file was deleted.
        FileDelete => "file_delete",
        /// A file was renamed or moved (`details.new_path`).
        FileRename => "file_rename",
        /// A directory was created.
        DirectoryCreate => "directory_create",
        /// A directory was listed.
        DirectoryList => "directory_list",
        /// A registry key was created.
        RegistryCreateKey => "registry_create_key",
        /// A registry value was set (`details.data`).
        RegistrySet => "registry_set",
        /// A registry key or value was deleted.
        RegistryDelete => "registry_delete",
        /// A registry key or value was renamed (`details.new_name`).
        RegistryRename => "registry_rename",
        /// A registry key or value was opened or read.
        RegistryRead => "registry_read",
        /// A module (DLL) was loaded.
        ModuleLoad => "module_load",
        /// A mutex was created or opened.
        Mutex => "mutex",
        /// A named pipe was created or connected to.
        Pipe => "pipe",
        /// An outbound connection (TCP or UDP).
        NetworkConnect => "network_connect",
        /// Application data on a connection that is neither HTTP nor TLS (`details.protocol`).
        NetworkData => "network_data",
        /// A DNS query, with its answers when known.
        DnsQuery => "dns_query",
        /// An HTTP request.
        HttpRequest => "http_request",
        /// A TLS ClientHello (`target` is the SNI name).
        TlsClientHello => "tls_client_hello",
        /// A scheduled task was created.
        TaskCreate => "task_create",
        /// A service was created.
        ServiceCreate => "service_create",
        /// A WMI event filter, consumer or binding.
        WmiSubscription => "wmi_subscription",
        /// A user account was created (Security 4720).
        AccountCreate => "account_create",
        /// A member was added to a group (Security 4728, 4732, 4756).
        GroupAdd => "group_add",
        /// A logon succeeded (Security 4624).
        Logon => "logon",
        /// A logon failed (Security 4625).
        LogonFailed => "logon_failed",
        /// A network share object was checked for access (Security 5145).
        ShareAccess => "share_access",
        /// An event log was cleared (Security 1102, System 104).
        LogClear => "log_clear",
        /// A PowerShell script block or pipeline ran (PowerShell 4103, 4104).
        Script => "script",
        /// A BITS job was created or transferred (Bits-Client 3, 59, 60; `details.url`).
        BitsJob => "bits_job",
        /// A sandbox signature fired (`details.ttp`: ATT&CK ids).
        Signature => "signature",
        /// Anything else a log records (`details.operation` says what).
        Other => "other",
    }
}

impl Action {}

/// One normalised thing a program did, from any log format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// When, as written by the log (ISO 8601 where the log has it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The acting process.
    #[serde(skip_serializing_if = "ProcessInfo::is_empty")]
    pub process: ProcessInfo,
    /// What happened.
    pub action: Action,
    /// What it happened to: a path, key, address, name, URL, ...
    pub target: String,
    /// Everything else the record says, by name (sorted).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    /// Where it came from.
    pub provenance: Provenance,
}

impl Event {
    /// An event with no time, process or details.
    pub fn new(action: Action, target: impl Into<String>, provenance: Provenance) -> Self {
        Event {
            time: None,
            process: ProcessInfo::default(),
            action,
            target: target.into(),
            details: BTreeMap::new(),
            provenance,
        }
    }

    /// Adds a detail when the value is present and meaningful (not empty, not `-`).
    pub fn detail(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        let trimmed = value.trim();
        if !trimmed.is_empty() && trimmed != "-" {
            self.details.insert(name.to_string(), value);
        }
    }

    /// A detail's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.details.get(name).map(String::as_str)
    }
}

/// One text value of a structured log, for the IOC scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Where the value is: a JSON pointer (`/winlog/event_data/Image`), an element path
    /// (`/Events/Event[3]/EventData/Data[@Name='Image']`), `/ROW/COLUMN`, or a packet path.
    pub path: String,
    /// 1-based line of the value (or of its record) when known.
    pub line: Option<u64>,
    /// Byte offset of the record when known.
    pub offset: Option<u64>,
    /// The decoded text.
    pub text: String,
}

/// What reading one source gave besides its events or fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReadReport {
    /// Records read.
    pub records: u64,
    /// Events (or fields) produced.
    pub produced: u64,
    /// Problems met; reading went on past each unless it says otherwise.
    pub warnings: Vec<Warning>,
}

impl ReadReport {
    /// Records a warning, keeping at most [`MAX_WARNINGS`] (then counting the rest).
    pub fn warn(&mut self, code: WarningCode, message: impl Into<String>) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning::new(code, message));
        } else if self.warnings.len() == MAX_WARNINGS {
            self.warnings.push(Warning::new(
                WarningCode::WarningsSuppressed,
                "further warnings for this source were suppressed",
            ));
        }
    }
}

/// The code of a CSV reader's error: a failed read ([`WarningCode::of_io`]) or a damaged
/// row.
fn csv_code(e: &csv::Error) -> WarningCode {
    match e.kind() {
        csv::ErrorKind::Io(io) => WarningCode::of_io(io),
        _ => WarningCode::ParseError,
    }
}

/// Warnings kept per source.
pub const MAX_WARNINGS: usize = 20;

/// Longest text value kept from one field (longer values are cut, with a warning).
pub const MAX_FIELD_BYTES: usize = 1 << 20;

/// Reads the events of a log whose format is known, calling `sink` for each in order.
/// Returns the report; I/O errors and damaged records become warnings.
pub fn read_events(
    format: LogFormat,
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
) -> ReadReport {
    read_events_tapped(format, source, reader, sink, &mut |_, _| {})
}

/// A tap on the raw Windows records (Sysmon / Security / any channel, from XML, JSON
/// lines and EVTX): called with every record, mapped to an [`Event`] or not, before it
/// is mapped. The Sigma engine reads the records' own field names through it.
pub type RecordTap<'a> = &'a mut dyn FnMut(&sysmon::WinEvent, &Provenance);

/// [`read_events`], with every raw Windows record also handed to `records`.
pub fn read_events_tapped(
    format: LogFormat,
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    records: RecordTap<'_>,
) -> ReadReport {
    read_events_and_fields(format, source, reader, sink, records, None)
}

/// A tap on the text values of a log read for its events: the IOC scanner's side of the
/// one read. The reader hands it every [`Field`] [`read_fields`] would give, from the
/// records it has already parsed, and `report` gets the warnings [`read_fields`] would
/// report (the events' report keeps its own).
pub struct FieldTap<'a> {
    /// Where each field goes.
    pub sink: &'a mut dyn FnMut(Field),
    /// What reading the fields met.
    pub report: ReadReport,
}

impl<'a> FieldTap<'a> {
    /// A tap handing fields to `sink`.
    pub fn new(sink: &'a mut dyn FnMut(Field)) -> Self {
        FieldTap {
            sink,
            report: ReadReport::default(),
        }
    }

    /// Hands on one field.
    pub(crate) fn field(&mut self, field: Field) {
        self.report.produced += 1;
        (self.sink)(field);
    }
}

/// [`read_events_tapped`] that, with a [`FieldTap`], also hands every text value of the
/// log with its field path to the tap from the same parse: each record is parsed once for
/// both. Formats without fields ([`LogFormat::has_fields`] false) give the tap nothing.
pub fn read_events_and_fields(
    format: LogFormat,
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    records: RecordTap<'_>,
    mut fields: Option<&mut FieldTap<'_>>,
) -> ReadReport {
    let mut report = ReadReport::default();
    match format {
        LogFormat::CapeReport => cape::events(source, reader, sink, fields, &mut report),
        LogFormat::SysmonXml => {
            sysmon::xml_events(
                source,
                reader,
                sink,
                records,
                fields.as_deref_mut(),
                &mut report,
            );
            if let Some(tap) = fields {
                tap.report.warnings.clone_from(&report.warnings);
            }
        }
        LogFormat::SysmonJson => {
            sysmon::json_events(source, reader, sink, records, fields, &mut report)
        }
        LogFormat::Evtx => {
            evtx::events(
                source,
                reader,
                sink,
                records,
                fields.as_deref_mut(),
                &mut report,
            );
            if let Some(tap) = fields {
                tap.report.warnings.clone_from(&report.warnings);
            }
        }
        LogFormat::ProcmonCsv => procmon::events(source, reader, sink, fields, &mut report),
        LogFormat::Regshot => regshot::events(source, reader, sink, &mut report),
        LogFormat::Pcap | LogFormat::Pcapng => match fields {
            Some(tap) => {
                let mut both = |e: Event| {
                    pcap::event_fields(&e, tap);
                    sink(e);
                };
                pcap::events(source, reader, &mut both, &mut report);
                tap.report.warnings.clone_from(&report.warnings);
            }
            None => pcap::events(source, reader, sink, &mut report),
        },
        LogFormat::Json | LogFormat::Ndjson => {
            if let Some(tap) = fields {
                tap.report = read_fields(format, source, reader, tap.sink);
            }
        }
        LogFormat::Text => {}
    }
    report
}

/// Reads every text value of a structured log with its field path, calling `sink` for each.
/// Formats without a structured reader ([`LogFormat::has_fields`] false) give nothing.
pub fn read_fields(
    format: LogFormat,
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Field),
) -> ReadReport {
    let mut report = ReadReport::default();
    match format {
        LogFormat::CapeReport | LogFormat::Json => json::document_fields(reader, sink, &mut report),
        LogFormat::SysmonJson | LogFormat::Ndjson => json::line_fields(reader, sink, &mut report),
        LogFormat::SysmonXml => xml::fields(reader, sink, &mut report),
        LogFormat::Evtx => evtx::fields(reader, sink, &mut report),
        LogFormat::ProcmonCsv => procmon::fields(reader, sink, &mut report),
        LogFormat::Pcap | LogFormat::Pcapng => pcap::fields(source, reader, sink, &mut report),
        LogFormat::Regshot | LogFormat::Text => {}
    }
    report
}

/// What reading one source for events gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceSummary {
    /// The source's name.
    pub name: String,
    /// The format it was recognised as.
    pub format: LogFormat,
    /// Records read.
    pub records: u64,
    /// Events produced.
    pub events: u64,
    /// Problems met (damaged records, truncation, read errors), with codes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// How often the source was opened: 1, or 2 for a JSON document so large (over
    /// 64 MiB) before its keys tell what it is that it is opened again rather than kept
    /// in memory (see [`json::recognise_report`]).
    #[serde(skip)]
    pub opened: u32,
}

/// Opens a source, recognises its format from its content and streams its events to
/// `sink`. Formats without events (text, JSON of an unknown schema) give none; their
/// indicators come from the IOC scanner ([`crate::extract`]). With a `time_limit`, reading
/// stops once it has passed (a warning says so) and the events read are kept.
pub fn read_source(
    source: &crate::input::Source,
    time_limit: Option<std::time::Duration>,
    sink: &mut dyn FnMut(Event),
) -> SourceSummary {
    read_source_with(source, time_limit, sink, &mut |_| None)
}

/// [`read_source`], handing the whole stream of a source without events (text, JSON of an
/// unknown schema) to `without_events`, which may return a problem to report. The stream
/// is read once, so this works for standard input and FIFOs too.
pub fn read_source_with(
    source: &crate::input::Source,
    time_limit: Option<std::time::Duration>,
    sink: &mut dyn FnMut(Event),
    without_events: &mut dyn FnMut(&mut dyn Read) -> Option<Warning>,
) -> SourceSummary {
    read_source_limited(source, time_limit, 0, sink, without_events)
}

/// [`read_source_with`] with a limit on the bytes a compressed source may decompress to
/// (0: [`crate::input::DEFAULT_DECODED_LIMIT`]). Compressed sources (gzip, zstd, bzip2)
/// are read decompressed; a JSON document whose first bytes do not say what it is has
/// its top-level keys streamed to recognise a sandbox report whatever their order.
pub fn read_source_limited(
    source: &crate::input::Source,
    time_limit: Option<std::time::Duration>,
    max_decoded: u64,
    sink: &mut dyn FnMut(Event),
    without_events: &mut dyn FnMut(&mut dyn Read) -> Option<Warning>,
) -> SourceSummary {
    read_source_tapped(
        source,
        time_limit,
        max_decoded,
        sink,
        without_events,
        &mut |_, _| {},
    )
}

/// [`read_source_limited`], with every raw Windows record also handed to `records`
/// (see [`RecordTap`]).
pub fn read_source_tapped(
    source: &crate::input::Source,
    time_limit: Option<std::time::Duration>,
    max_decoded: u64,
    sink: &mut dyn FnMut(Event),
    without_events: &mut dyn FnMut(&mut dyn Read) -> Option<Warning>,
    records: RecordTap<'_>,
) -> SourceSummary {
    let mut side = WithoutEvents(without_events);
    read_source_once(source, time_limit, max_decoded, sink, records, &mut side)
}

/// The IOC scanner's side of reading a log once ([`read_source_once`]): what it gets from
/// the read that gives the log's events.
pub trait LogSide {
    /// Whether the side scans logs with events too (else it only takes the stream of a
    /// log without events).
    fn scans(&self) -> bool {
        true
    }
    /// Whether a structured log's text values are wanted field by field (else the whole
    /// stream goes to [`LogSide::text`]).
    fn wants_fields(&self) -> bool;
    /// Stop reading a structured log after this many bytes (0: no limit).
    fn max_bytes(&self) -> u64 {
        0
    }
    /// One text value of a structured log, with its path.
    fn field(&mut self, field: Field);
    /// The whole stream of a log read as text (plain text, JSON of an unknown schema
    /// without fields, a Regshot diff); may return a problem to report.
    fn text(&mut self, reader: &mut dyn Read) -> Option<Warning>;
    /// Reading is over: the format, what reading the fields met (warnings as
    /// [`read_fields`] gives them), the bytes read, and whether reading stopped at
    /// [`LogSide::max_bytes`]. Not called for text.
    fn fields_done(&mut self, format: LogFormat, report: ReadReport, bytes: u64, limited: bool);
}

/// The side of [`read_source_with`]: no fields; a log without events goes to a callback.
struct WithoutEvents<'a>(&'a mut dyn FnMut(&mut dyn Read) -> Option<Warning>);

impl LogSide for WithoutEvents<'_> {
    fn scans(&self) -> bool {
        false
    }
    fn wants_fields(&self) -> bool {
        false
    }
    fn field(&mut self, _: Field) {}
    fn text(&mut self, reader: &mut dyn Read) -> Option<Warning> {
        (self.0)(reader)
    }
    fn fields_done(&mut self, _: LogFormat, _: ReadReport, _: u64, _: bool) {}
}

/// Opens a source once, recognises its format, streams its events to `sink` (and its raw
/// Windows records to `records`) and hands `side` what the IOC scanner needs from the
/// same read: each text value of a structured log from the records the reader parsed
/// ([`read_events_and_fields`]), or the stream of a log read as text. A Regshot diff
/// (events from its lines, IOCs from its text) is kept in memory as it is read, for the
/// text scan after the events; formats whose fields are scanned stop at
/// [`LogSide::max_bytes`] for both sides, with a warning.
pub fn read_source_once(
    source: &crate::input::Source,
    time_limit: Option<std::time::Duration>,
    max_decoded: u64,
    sink: &mut dyn FnMut(Event),
    records: RecordTap<'_>,
    side: &mut dyn LogSide,
) -> SourceSummary {
    let name = source.name();
    let mut summary = SourceSummary {
        name: name.clone(),
        format: LogFormat::Text,
        records: 0,
        events: 0,
        warnings: Vec::new(),
        opened: 0,
    };
    let opened = std::cell::Cell::new(0u32);
    let open = || -> io::Result<Box<dyn Read + Send>> {
        opened.set(opened.get() + 1);
        let decoded = crate::input::open_decoded(source, max_decoded)?;
        Ok(match time_limit {
            Some(limit) => Box::new(crate::input::TimeLimited::new(decoded.reader, limit)),
            None => decoded.reader,
        })
    };
    let mut reader = match open() {
        Ok(r) => r,
        Err(e) => {
            summary.opened = opened.get();
            summary.warnings.push(Warning::new(
                WarningCode::of_io(&e),
                crate::input::describe(&e),
            ));
            return summary;
        }
    };
    let head = match sniff(&mut reader) {
        Ok(h) => h,
        Err(e) => {
            summary.opened = opened.get();
            summary.warnings.push(Warning::new(
                WarningCode::of_io(&e),
                format!("read error: {}", crate::input::describe(&e)),
            ));
            return summary;
        }
    };
    summary.format = detect(&head);
    let reopenable = !matches!(source, crate::input::Source::Stdin);
    let mut whole: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.clone()).chain(reader));
    if summary.format == LogFormat::Json && json::starts_object(&head) {
        let reopen: Option<&dyn Fn() -> io::Result<Box<dyn Read + Send>>> =
            if reopenable { Some(&open) } else { None };
        let (format, rest, note) = json::recognise_report(whole, reopen);
        summary.format = format;
        whole = rest;
        summary.warnings.extend(note);
    }
    let format = summary.format;
    let fields = side.wants_fields() && format.has_fields();
    if matches!(
        format,
        LogFormat::Text | LogFormat::Json | LogFormat::Ndjson
    ) && !fields
    {
        summary.warnings.extend(side.text(&mut whole));
        summary.opened = opened.get();
        return summary;
    }
    let label: Arc<str> = Arc::from(name.as_str());
    if !fields && side.scans() {
        // events from the reader, IOCs from the text (a Regshot diff, or any log when
        // structured reading is off): the bytes the reader reads are kept for the text
        // scan
        let mut recording = Recording {
            inner: whole,
            kept: Vec::new(),
        };
        let report = read_events_tapped(format, &label, &mut recording, sink, records);
        summary.records = report.records;
        summary.events = report.produced;
        summary.warnings.extend(report.warnings);
        let Recording { inner, kept } = recording;
        let mut rest = io::Cursor::new(kept).chain(inner);
        summary.warnings.extend(side.text(&mut rest));
        summary.opened = opened.get();
        return summary;
    }
    if !fields {
        let report = read_events_tapped(format, &label, &mut whole, sink, records);
        summary.records = report.records;
        summary.events = report.produced;
        summary.warnings.extend(report.warnings);
        summary.opened = opened.get();
        return summary;
    }
    let max = side.max_bytes();
    let mut counted = Counted {
        inner: if max > 0 {
            Box::new(whole.take(max)) as Box<dyn Read + Send>
        } else {
            whole
        },
        bytes: 0,
    };
    let mut tap_sink = |f: Field| side.field(f);
    let mut tap = FieldTap::new(&mut tap_sink);
    let report =
        read_events_and_fields(format, &label, &mut counted, sink, records, Some(&mut tap));
    let field_report = tap.report;
    summary.records = report.records;
    summary.events = report.produced;
    summary.warnings.extend(report.warnings);
    let limited = max > 0 && counted.bytes >= max;
    if limited && !matches!(format, LogFormat::Json | LogFormat::Ndjson) {
        summary.warnings.push(Warning::new(
            WarningCode::SizeLimit,
            format!("stopped after {max} bytes (--max-size); the rest was not read"),
        ));
    }
    side.fields_done(format, field_report, counted.bytes, limited);
    summary.opened = opened.get();
    summary
}

/// A reader that keeps a copy of what went through it.
struct Recording<R> {
    inner: R,
    kept: Vec<u8>,
}

impl<R: Read> Read for Recording<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.kept
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

/// A reader that counts the bytes that went through it.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Reads up to [`SNIFF_BYTES`] from `reader` for [`detect`]; the bytes read must be put
/// back in front of the rest (`io::Cursor::new(head).chain(reader)`).
pub fn sniff(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    match reader.take(SNIFF_BYTES as u64).read_to_end(&mut head) {
        // A time limit reached while sniffing: keep the head; the next read of the same
        // reader reports the limit again, after the head has been used.
        Err(e) if e.kind() == io::ErrorKind::TimedOut && !head.is_empty() => Ok(head),
        Err(e) => Err(e),
        Ok(_) => Ok(head),
    }
}

/// A line-numbered, size-bounded line reader: yields each line (without its end) with
/// its 1-based number; a line longer than `max` is cut (the rest skipped) and flagged.
pub(crate) struct Lines<R> {
    inner: R,
    line: u64,
    max: usize,
}

impl<R: io::BufRead> Lines<R> {
    pub(crate) fn new(inner: R, max: usize) -> Self {
        Lines {
            inner,
            line: 0,
            max,
        }
    }

    /// Reads the next line into `buf` (cleared first). Returns `Ok(None)` at the end,
    /// else the line number and whether the line was cut.
    pub(crate) fn next_into(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<(u64, bool)>> {
        buf.clear();
        let mut cut = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if buf.is_empty() && !cut {
                    return Ok(None);
                }
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (i + 1, true),
                None => (available.len(), false),
            };
            let room = self.max.saturating_sub(buf.len());
            let keep = take.min(room);
            buf.extend_from_slice(&available[..keep]);
            if keep < take {
                cut = true;
            }
            self.inner.consume(take);
            if done {
                break;
            }
        }
        while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            buf.pop();
        }
        self.line += 1;
        Ok(Some((self.line, cut)))
    }
}

/// The name of the field a [`Field::path`] ends in: the last JSON pointer or element
/// segment, or the `Name` of an event's `Data` element (`FileVersion` of
/// `/Event/EventData/Data[@Name='FileVersion']`).
pub fn field_name(path: &str) -> &str {
    let last = path.rsplit('/').next().unwrap_or(path);
    match last.split_once("[@Name='") {
        Some((_, rest)) => rest.split('\'').next().unwrap_or(rest),
        None => last.split('[').next().unwrap_or(last),
    }
}

/// Text of a byte slice, replacing invalid UTF-8.
pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats_from_content() {
        assert_eq!(detect(b"\xd4\xc3\xb2\xa1\x02\x00"), LogFormat::Pcap);
        assert_eq!(detect(b"\x0a\x0d\x0d\x0a...."), LogFormat::Pcapng);
        assert_eq!(detect(b"ElfFile\0rest"), LogFormat::Evtx);
        assert_eq!(detect(b"Regshot 1.9.0 x64 Unicode\r\n"), LogFormat::Regshot);
        assert_eq!(
            detect(
                b"\xef\xbb\xbf\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\"\n"
            ),
            LogFormat::ProcmonCsv
        );
        assert_eq!(detect(b"<html><body>hi</body></html>"), LogFormat::Text);
        assert_eq!(detect(b"plain text 192.0.2.1"), LogFormat::Text);
        assert_eq!(detect(b""), LogFormat::Text);
    }

    #[test]
    fn lines_are_bounded() {
        let data = b"short\nthis line is long\r\nlast";
        let mut lines = Lines::new(&data[..], 8);
        let mut buf = Vec::new();
        assert_eq!(lines.next_into(&mut buf).unwrap(), Some((1, false)));
        assert_eq!(buf, b"short");
        assert_eq!(lines.next_into(&mut buf).unwrap(), Some((2, true)));
        assert_eq!(buf, b"this lin");
        assert_eq!(lines.next_into(&mut buf).unwrap(), Some((3, false)));
        assert_eq!(buf, b"last");
        assert_eq!(lines.next_into(&mut buf).unwrap(), None);
    }
}
