//! Process Monitor CSV exports.
//!
//! Columns are found by their header names, so any column order (and extra columns such
//! as "Date & Time", "Parent PID" or "Command Line") reads the same. Operations map to
//! actions through `data/procmon-operations.txt`; the Detail column gives child PIDs,
//! command lines, rename targets and registry data. Rows that cannot be decoded give a
//! warning and reading goes on.

use super::{Action, Event, Field, LogFormat, ProcessInfo, Provenance, ReadReport};
use crate::error::WarningCode;
use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, OnceLock};

/// The operation → action table (`data/procmon-operations.txt`).
pub const PROCMON_OPERATIONS: &str = include_str!("../../data/procmon-operations.txt");

/// Processes whose image is remembered (for "Process Start" rows), at most.
const MAX_REMEMBERED: usize = 100_000;

/// `Some(action)`, or `None` for operations that are dropped.
fn table() -> &'static HashMap<String, Option<Action>> {
    static TABLE: OnceLock<HashMap<String, Option<Action>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        crate::tables::entries(PROCMON_OPERATIONS)
            .filter_map(|line| {
                let (op, action) = line.split_once('=')?;
                let action = action.trim();
                let action = if action == "-" {
                    None
                } else {
                    Some(Action::from_name(action)?)
                };
                Some((op.trim().to_string(), action))
            })
            .collect()
    })
}

/// Where each known column is in this file.
#[derive(Default)]
struct Columns {
    time: Option<usize>,
    date_time: Option<usize>,
    process: Option<usize>,
    pid: Option<usize>,
    operation: Option<usize>,
    path: Option<usize>,
    result: Option<usize>,
    detail: Option<usize>,
    parent_pid: Option<usize>,
    command_line: Option<usize>,
    image_path: Option<usize>,
    names: Vec<String>,
}

impl Columns {
    fn from_header(header: &csv::ByteRecord) -> Self {
        let mut c = Columns::default();
        for (i, raw) in header.iter().enumerate() {
            let name = String::from_utf8_lossy(raw)
                .trim_start_matches('\u{feff}')
                .trim()
                .to_string();
            let slot = match name.to_ascii_lowercase().as_str() {
                "time of day" => &mut c.time,
                "date & time" => &mut c.date_time,
                "process name" => &mut c.process,
                "pid" => &mut c.pid,
                "operation" => &mut c.operation,
                "path" => &mut c.path,
                "result" => &mut c.result,
                "detail" => &mut c.detail,
                "parent pid" => &mut c.parent_pid,
                "command line" => &mut c.command_line,
                "image path" => &mut c.image_path,
                _ => {
                    c.names.push(name);
                    continue;
                }
            };
            *slot = Some(i);
            c.names.push(name);
        }
        c
    }
}

fn cell(record: &csv::ByteRecord, i: Option<usize>) -> String {
    i.and_then(|i| record.get(i))
        .map(|b| String::from_utf8_lossy(b).trim().to_string())
        .unwrap_or_default()
}

/// The value after `key` in a Detail string, up to the next `, Word:` or the end.
fn detail_value<'a>(detail: &'a str, key: &str, last: bool) -> Option<&'a str> {
    let start = detail.find(key)? + key.len();
    let rest = &detail[start..];
    if last {
        return Some(rest.trim());
    }
    // the value ends at the next ", Name:" where Name is one capitalised word or two
    let bytes = rest.as_bytes();
    let mut i = 0;
    while let Some(p) = rest[i..].find(", ") {
        let at = i + p;
        let after = &rest[at + 2..];
        if let Some(colon) = after.find(": ") {
            let name = &after[..colon];
            if !name.is_empty()
                && name.len() <= 24
                && name.starts_with(|c: char| c.is_ascii_uppercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
            {
                return Some(rest[..at].trim());
            }
        }
        i = at + 2;
        if i >= bytes.len() {
            break;
        }
    }
    Some(rest.trim())
}

/// The command line in a "Process Create" / "Process Start" Detail.
fn detail_command_line(detail: &str) -> Option<String> {
    let start = detail.find("Command line: ")? + "Command line: ".len();
    let rest = &detail[start..];
    let end = [", Current directory: ", ", Environment:"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    Some(rest[..end].trim().to_string()).filter(|s| !s.is_empty())
}

/// The executable at the start of a command line, when it is a full path.
fn command_image(command_line: &str) -> Option<String> {
    let c = command_line.trim();
    let image = if let Some(rest) = c.strip_prefix('"') {
        rest.split('"').next()?
    } else {
        c.split_whitespace().next()?
    };
    (image.len() > 3 && image.as_bytes().get(1..3) == Some(b":\\")).then(|| image.to_string())
}

/// The reader without a leading UTF-8 byte-order mark, and whether lines end in CRLF:
/// the csv crate reports a record after a CRLF one line early (it has not yet read the
/// LF), so callers add one.
fn prepare(reader: &mut dyn Read) -> (impl Read + '_, u64) {
    let mut head = Vec::new();
    let _ = (&mut *reader).take(64 * 1024).read_to_end(&mut head);
    let crlf = memchr::memchr(b'\n', &head).is_some_and(|i| i > 0 && head[i - 1] == b'\r');
    if head.starts_with(b"\xef\xbb\xbf") {
        head.drain(..3);
    }
    (std::io::Cursor::new(head).chain(reader), u64::from(crlf))
}

/// Events of a Procmon CSV.
pub fn events(
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    mut fields: Option<&mut super::FieldTap<'_>>,
    report: &mut ReadReport,
) {
    let (reader, line_fix) = prepare(reader);
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut columns: Option<Columns> = None;
    let mut images: HashMap<u64, String> = HashMap::new();
    let mut index = 0u64;
    // without an "Operation" column there are no events, but the cells are still fields
    let mut no_events = false;
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                report.warn(super::csv_code(&e), format!("CSV error: {e}"));
                if let Some(tap) = fields.as_deref_mut() {
                    tap.report
                        .warn(super::csv_code(&e), format!("CSV error: {e}"));
                }
                if e.is_io_error() {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map(|p| p.line() + line_fix);
        let Some(cols) = columns.as_ref() else {
            let c = Columns::from_header(&record);
            if c.operation.is_none() {
                report.warn(
                    WarningCode::FormatUnknown,
                    "no \"Operation\" column in the header; not a Procmon CSV",
                );
                if fields.is_none() {
                    return;
                }
                no_events = true;
            }
            columns = Some(c);
            continue;
        };
        let this = index;
        index += 1;
        if let Some(tap) = fields.as_deref_mut() {
            tap.report.records += 1;
            row_fields(&record, &cols.names, this + 1, line, tap);
        }
        if no_events {
            continue;
        }
        report.records += 1;
        let operation = cell(&record, cols.operation);
        let action = match table().get(&operation) {
            Some(None) => continue,
            Some(Some(a)) => *a,
            None => Action::Other,
        };
        let path = cell(&record, cols.path);
        let detail = cell(&record, cols.detail);
        let result = cell(&record, cols.result);
        let pid = cell(&record, cols.pid).parse::<u64>().ok();
        let name = cell(&record, cols.process);
        let provenance = Provenance {
            source: source.clone(),
            format: LogFormat::ProcmonCsv,
            record: this,
            line,
            record_id: None,
            field: None,
        };
        let mut event = Event::new(action, path.clone(), provenance);
        let time = cell(&record, cols.date_time);
        let time = if time.is_empty() {
            cell(&record, cols.time)
        } else {
            time
        };
        event.time = Some(time).filter(|t| !t.is_empty());
        let image = cell(&record, cols.image_path);
        event.process = ProcessInfo {
            pid,
            image: Some(if image.is_empty() {
                pid.and_then(|p| images.get(&p).cloned()).unwrap_or(name)
            } else {
                image
            })
            .filter(|s| !s.is_empty()),
            command_line: Some(cell(&record, cols.command_line)).filter(|s| !s.is_empty()),
            parent_pid: cell(&record, cols.parent_pid).parse().ok(),
            parent_image: None,
        };
        event.detail("operation", operation.clone());
        if !result.is_empty() && result != "SUCCESS" {
            event.detail("result", result);
        }
        match action {
            Action::ProcessCreate => {
                let child_pid = detail_value(&detail, "PID: ", false).and_then(|p| p.parse().ok());
                let parent = std::mem::take(&mut event.process);
                event.process = ProcessInfo {
                    pid: child_pid,
                    image: Some(path.clone()).filter(|s| !s.is_empty()),
                    command_line: detail_command_line(&detail),
                    parent_pid: parent.pid,
                    parent_image: parent.image,
                };
                if let (Some(p), false) = (child_pid, path.is_empty()) {
                    if images.len() < MAX_REMEMBERED {
                        images.insert(p, path.clone());
                    }
                }
            }
            Action::ProcessStart => {
                let command_line = detail_command_line(&detail);
                if let Some(p) = detail_value(&detail, "Parent PID: ", false) {
                    event.process.parent_pid = p.parse().ok();
                }
                let from_command = command_line.as_deref().and_then(command_image);
                let known = pid.and_then(|p| images.get(&p).cloned());
                if let Some(image) = known.or(from_command) {
                    event.process.image = Some(image.clone());
                    if let Some(p) = pid {
                        if images.len() < MAX_REMEMBERED {
                            images.insert(p, image);
                        }
                    }
                }
                if event.process.command_line.is_none() {
                    event.process.command_line = command_line;
                }
                event.target = event.process.image.clone().unwrap_or_default();
            }
            Action::ProcessExit => {
                event.target = event.process.image.clone().unwrap_or_default();
            }
            Action::FileRead
                if detail.contains("OpenResult: Created")
                    || detail.contains("OpenResult: Overwritten")
                    || detail.contains("OpenResult: Superseded") =>
            {
                event.action = Action::FileCreate;
            }
            Action::FileDelete if detail.contains("Delete: False") => continue,
            Action::FileRename => {
                if let Some(n) = detail_value(&detail, "FileName: ", true) {
                    event.detail("new_path", n);
                }
            }
            // RegCreateKey also opens keys that exist: only a new key is a creation
            Action::RegistryCreateKey if detail.contains("REG_OPENED_EXISTING_KEY") => {
                event.action = Action::RegistryRead;
            }
            Action::RegistrySet => {
                if let Some(d) = detail_value(&detail, "Data: ", true) {
                    event.detail("data", d);
                }
            }
            Action::NetworkConnect | Action::NetworkData => {
                // "host:port -> remote:port"
                if let Some((_, remote)) = path.split_once(" -> ") {
                    let (host, port) = match remote.rsplit_once(':') {
                        Some((h, p)) => (h.to_string(), p.to_string()),
                        None => (remote.to_string(), String::new()),
                    };
                    event.target = host;
                    event.detail("dst_port", port);
                }
            }
            _ => {}
        }
        if action != Action::ProcessCreate && action != Action::ProcessStart {
            event.detail("detail", detail);
        }
        report.produced += 1;
        sink(event);
    }
}

/// Every non-empty cell of interest with `/ROW/COLUMN` as its path.
pub fn fields(reader: &mut dyn Read, sink: &mut dyn FnMut(Field), report: &mut ReadReport) {
    let (reader, line_fix) = prepare(reader);
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut names: Option<Vec<String>> = None;
    let mut row = 0u64;
    let mut tap = super::FieldTap::new(sink);
    loop {
        match csv.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                report.warn(super::csv_code(&e), format!("CSV error: {e}"));
                if e.is_io_error() {
                    break;
                }
                continue;
            }
        }
        let Some(cols) = names.as_ref() else {
            names = Some(Columns::from_header(&record).names);
            continue;
        };
        row += 1;
        report.records += 1;
        let line = record.position().map(|p| p.line() + line_fix);
        row_fields(&record, cols, row, line, &mut tap);
    }
    report.produced += tap.report.produced;
}

/// The fields of one row (`row` is 1-based), handed to `tap`.
fn row_fields(
    record: &csv::ByteRecord,
    names: &[String],
    row: u64,
    line: Option<u64>,
    tap: &mut super::FieldTap<'_>,
) {
    for (i, value) in record.iter().enumerate() {
        if value.is_empty() {
            continue;
        }
        let column = names.get(i).map(String::as_str).unwrap_or("?");
        if matches!(
            column,
            "Time of Day" | "Date & Time" | "PID" | "Result" | "Sequence"
        ) {
            continue;
        }
        tap.field(Field {
            path: format!("/{row}/{column}"),
            line,
            offset: None,
            text: String::from_utf8_lossy(value).into_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_values() {
        let d =
            "PID: 6344, Command line: cmd.exe /c a, b, Current directory: C:\\x\\, Environment: ";
        assert_eq!(detail_value(d, "PID: ", false), Some("6344"));
        assert_eq!(detail_command_line(d).as_deref(), Some("cmd.exe /c a, b"));
        assert_eq!(
            detail_value(
                "ReplaceIfExists: False, FileName: C:\\a, b.txt",
                "FileName: ",
                true
            ),
            Some("C:\\a, b.txt")
        );
        assert_eq!(
            command_image("\"C:\\Users\\a\\x.exe\" /s").as_deref(),
            Some("C:\\Users\\a\\x.exe")
        );
        assert_eq!(command_image("vssadmin.exe delete"), None);
    }

    #[test]
    fn table_parses_completely() {
        assert_eq!(
            crate::tables::entries(PROCMON_OPERATIONS).count(),
            table().len()
        );
    }
}
