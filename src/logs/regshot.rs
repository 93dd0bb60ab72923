//! Regshot compare output (the plain-text report of two registry and file-system shots).
//!
//! Each section ("Keys added", "Values modified", "Files added", ...) gives one event per
//! entry; a modified value's two lines (before, after) become one event with both data.
//! The time of the second shot is the events' time. Read line by line.

use super::{lossy, Action, Event, Lines, LogFormat, Provenance, ReadReport, MAX_FIELD_BYTES};
use crate::error::WarningCode;
use std::io::{BufReader, Read};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq)]
enum Section {
    None,
    KeysAdded,
    KeysDeleted,
    ValuesAdded,
    ValuesDeleted,
    ValuesModified,
    FoldersAdded,
    FoldersDeleted,
    FilesAdded,
    FilesDeleted,
    FilesModified,
}

fn section_of(line: &str) -> Option<Section> {
    let (title, count) = line.rsplit_once(':')?;
    count.trim().parse::<u64>().ok()?;
    let t = title.trim().to_ascii_lowercase();
    let section = if t == "keys added" {
        Section::KeysAdded
    } else if t == "keys deleted" {
        Section::KeysDeleted
    } else if t == "values added" {
        Section::ValuesAdded
    } else if t == "values deleted" {
        Section::ValuesDeleted
    } else if t == "values modified" {
        Section::ValuesModified
    } else if t == "folders added" {
        Section::FoldersAdded
    } else if t == "folders deleted" {
        Section::FoldersDeleted
    } else if t == "files added" {
        Section::FilesAdded
    } else if t == "files deleted" {
        Section::FilesDeleted
    } else if t.starts_with("files") && t.ends_with("modified") {
        Section::FilesModified
    } else if t.starts_with("total changes") {
        Section::None
    } else {
        return None;
    };
    Some(section)
}

/// `KEY\VALUE: DATA` → key with value name, and data without its outer quotes.
fn split_value(line: &str) -> (String, Option<String>) {
    match line.split_once(": ") {
        Some((key, data)) => {
            let data = data.trim();
            let data = data
                .strip_prefix('"')
                .and_then(|d| d.strip_suffix('"'))
                .unwrap_or(data);
            (key.trim().to_string(), Some(data.to_string()))
        }
        None => (line.trim_end_matches(':').trim().to_string(), None),
    }
}

/// Events of a Regshot report.
pub fn events(
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    report: &mut ReadReport,
) {
    let mut lines = Lines::new(BufReader::new(reader), MAX_FIELD_BYTES);
    let mut buf = Vec::new();
    let mut section = Section::None;
    let mut time: Option<String> = None;
    let mut index = 0u64;
    // the "before" line of a modified value, waiting for its "after" line
    let mut pending: Option<(String, Option<String>, u64)> = None;
    let mut emit = |action: Action,
                    target: String,
                    line: u64,
                    details: Vec<(&str, String)>,
                    time: &Option<String>,
                    report: &mut ReadReport| {
        let provenance = Provenance {
            source: source.clone(),
            format: LogFormat::Regshot,
            record: index,
            line: Some(line),
            record_id: None,
            field: None,
        };
        index += 1;
        let mut e = Event::new(action, target, provenance);
        e.time = time.clone();
        for (k, v) in details {
            e.detail(k, v);
        }
        report.records += 1;
        report.produced += 1;
        sink(e);
    };
    loop {
        let (line_no, _cut) = match lines.next_into(&mut buf) {
            Ok(Some(x)) => x,
            Ok(None) => break,
            Err(e) => {
                report.warn(WarningCode::of_io(&e), format!("read error: {e}"));
                break;
            }
        };
        let text = lossy(&buf);
        let line = text.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with("----") {
            continue;
        }
        if section == Section::None || section_of(line).is_some() {
            if let Some(s) = section_of(line) {
                if let Some((key, data, at)) = pending.take() {
                    let d = data.map(|d| vec![("data", d)]).unwrap_or_default();
                    emit(Action::RegistrySet, key, at, d, &time, report);
                }
                section = s;
                continue;
            }
            if let Some(rest) = line.strip_prefix("Datetime:") {
                time = rest
                    .rsplit(',')
                    .next()
                    .map(|t| t.trim().to_string())
                    .filter(|t| !t.is_empty());
            }
            continue;
        }
        match section {
            Section::None => {}
            Section::KeysAdded => emit(
                Action::RegistryCreateKey,
                line.to_string(),
                line_no,
                vec![],
                &time,
                report,
            ),
            Section::KeysDeleted => emit(
                Action::RegistryDelete,
                line.to_string(),
                line_no,
                vec![],
                &time,
                report,
            ),
            Section::ValuesAdded => {
                let (key, data) = split_value(line);
                let d = data.map(|d| vec![("data", d)]).unwrap_or_default();
                emit(Action::RegistrySet, key, line_no, d, &time, report);
            }
            Section::ValuesDeleted => {
                let (key, data) = split_value(line);
                let d = data.map(|d| vec![("old_data", d)]).unwrap_or_default();
                emit(Action::RegistryDelete, key, line_no, d, &time, report);
            }
            Section::ValuesModified => {
                let (key, data) = split_value(line);
                match pending.take() {
                    Some((before_key, before, at)) if before_key == key => {
                        let mut d = vec![("change", "modified".to_string())];
                        if let Some(b) = before {
                            d.push(("old_data", b));
                        }
                        if let Some(a) = data {
                            d.push(("data", a));
                        }
                        emit(Action::RegistrySet, key, at, d, &time, report);
                    }
                    Some((before_key, before, at)) => {
                        let d = before.map(|d| vec![("data", d)]).unwrap_or_default();
                        emit(Action::RegistrySet, before_key, at, d, &time, report);
                        pending = Some((key, data, line_no));
                    }
                    None => pending = Some((key, data, line_no)),
                }
            }
            Section::FoldersAdded => emit(
                Action::DirectoryCreate,
                line.to_string(),
                line_no,
                vec![],
                &time,
                report,
            ),
            Section::FoldersDeleted => emit(
                Action::FileDelete,
                line.to_string(),
                line_no,
                vec![("kind", "folder".to_string())],
                &time,
                report,
            ),
            Section::FilesAdded => emit(
                Action::FileCreate,
                line.to_string(),
                line_no,
                vec![],
                &time,
                report,
            ),
            Section::FilesDeleted => emit(
                Action::FileDelete,
                line.to_string(),
                line_no,
                vec![],
                &time,
                report,
            ),
            Section::FilesModified => emit(
                Action::FileModify,
                line.to_string(),
                line_no,
                vec![],
                &time,
                report,
            ),
        }
    }
    if let Some((key, data, at)) = pending.take() {
        let d = data.map(|d| vec![("data", d)]).unwrap_or_default();
        emit(Action::RegistrySet, key, at, d, &time, report);
    }
}
