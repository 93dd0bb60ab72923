//! Windows event XML, streamed one `<Event>` at a time (quick-xml).
//!
//! Shared by the Sysmon XML reader, the EVTX reader (whose records are rendered as the
//! same XML) and field extraction. Each event becomes a [`WinEvent`]: its `System` facts
//! and its `EventData` / `UserData` values by name. Malformed XML gives a warning and
//! reading goes on after the damage where the parser can.

use super::sysmon::WinEvent;
use super::{Field, FieldTap, ReadReport, MAX_FIELD_BYTES};
use crate::error::WarningCode;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use std::io::{BufRead, BufReader, Read};

/// Parse errors tolerated in one source before giving up.
const MAX_ERRORS: usize = 100;

#[derive(PartialEq)]
enum Part {
    None,
    System,
    Data,
}

/// Reads every `<Event>` of `reader`, calling `on_event` with it and its byte offset.
pub(crate) fn read(
    reader: impl BufRead,
    on_event: &mut dyn FnMut(WinEvent, u64),
    report: &mut ReadReport,
) {
    let mut xml = quick_xml::Reader::from_reader(reader);
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    let mut buf = Vec::new();
    let mut current: Option<(WinEvent, u64)> = None;
    let mut part = Part::None;
    // name of the element whose text is being collected, and the text
    let mut element: Option<String> = None;
    let mut text = String::new();
    let mut errors = 0usize;
    let mut unnamed = 0usize;
    loop {
        let before = xml.buffer_position();
        buf.clear();
        let event = match xml.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                errors += 1;
                report.warn(
                    WarningCode::ParseError,
                    format!("XML error near byte {before}: {e}"),
                );
                if errors > MAX_ERRORS || xml.buffer_position() == before {
                    report.warn(
                        WarningCode::ParseError,
                        "too much damaged XML; reading stopped",
                    );
                    break;
                }
                continue;
            }
        };
        match event {
            XmlEvent::Eof => break,
            XmlEvent::Start(start) | XmlEvent::Empty(start)
                if local(&start) == b"Event" && current.is_none() =>
            {
                current = Some((WinEvent::default(), before));
                part = Part::None;
                unnamed = 0;
            }
            XmlEvent::Start(start) => {
                let Some((ev, _)) = current.as_mut() else {
                    continue;
                };
                let name = String::from_utf8_lossy(local(&start)).into_owned();
                match name.as_str() {
                    "System" => part = Part::System,
                    "EventData" | "UserData" => part = Part::Data,
                    _ => {}
                }
                if part == Part::System {
                    system_attributes(&start, &name, ev);
                }
                element = Some(match part {
                    Part::Data if name == "Data" => match attribute(&start, b"Name") {
                        Some(n) => n,
                        None => {
                            unnamed += 1;
                            format!("Data{unnamed}")
                        }
                    },
                    _ => name,
                });
                text.clear();
            }
            XmlEvent::Empty(start) => {
                if let Some((ev, _)) = current.as_mut() {
                    if part == Part::System {
                        let name = String::from_utf8_lossy(local(&start)).into_owned();
                        system_attributes(&start, &name, ev);
                    }
                }
            }
            XmlEvent::Text(t) if element.is_some() => {
                push_text(&mut text, &String::from_utf8_lossy(&t));
            }
            XmlEvent::CData(t) if element.is_some() => {
                push_text(&mut text, &String::from_utf8_lossy(&t));
            }
            XmlEvent::GeneralRef(r) if element.is_some() => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match &*r {
                        b"lt" => "<".to_string(),
                        b"gt" => ">".to_string(),
                        b"amp" => "&".to_string(),
                        b"quot" => "\"".to_string(),
                        b"apos" => "'".to_string(),
                        other => format!("&{};", String::from_utf8_lossy(other)),
                    },
                };
                push_text(&mut text, &resolved);
            }
            XmlEvent::End(end) => {
                let name = end.local_name();
                let name = name.as_ref();
                if name == b"Event" {
                    if let Some((ev, offset)) = current.take() {
                        report.records += 1;
                        on_event(ev, offset);
                    }
                    part = Part::None;
                    element = None;
                    continue;
                }
                if let (Some((ev, _)), Some(el)) = (current.as_mut(), element.take()) {
                    let value = std::mem::take(&mut text);
                    match part {
                        Part::System => ev.system(&el, value),
                        Part::Data => ev.data.push((el, value)),
                        Part::None => {}
                    }
                }
                if name == b"System" || name == b"EventData" || name == b"UserData" {
                    part = Part::None;
                }
            }
            _ => {}
        }
    }
    if let Some((ev, offset)) = current.take() {
        report.warn(
            WarningCode::InputTruncated,
            "the last event is cut short; what it had was kept",
        );
        report.records += 1;
        on_event(ev, offset);
    }
}

fn push_text(text: &mut String, more: &str) {
    if text.len() + more.len() <= MAX_FIELD_BYTES {
        text.push_str(more);
    }
}

fn local<'a>(start: &'a BytesStart<'_>) -> &'a [u8] {
    let name = start.name().into_inner();
    match name.iter().rposition(|&b| b == b':') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

fn attribute(start: &BytesStart<'_>, wanted: &[u8]) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == wanted)
        .map(
            |a| match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
            },
        )
}

/// `System` attributes become `Element.Attribute` (`TimeCreated.SystemTime`).
fn system_attributes(start: &BytesStart<'_>, element: &str, ev: &mut WinEvent) {
    for a in start.attributes().flatten() {
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            Ok(v) => v.into_owned(),
            Err(_) => String::from_utf8_lossy(&a.value).into_owned(),
        };
        ev.system(&format!("{element}.{key}"), value);
    }
}

/// Every value of every event with its path, for the IOC scanner.
pub(crate) fn fields(reader: &mut dyn Read, sink: &mut dyn FnMut(Field), report: &mut ReadReport) {
    let mut index = 0u64;
    let mut tap = FieldTap::new(sink);
    read(
        BufReader::with_capacity(256 * 1024, reader),
        &mut |ev, offset| {
            index += 1;
            event_fields(&ev, index, Some(offset), &mut tap);
        },
        report,
    );
    report.produced += tap.report.produced;
}

/// The fields of one event (`index` is 1-based, as in XPath), handed to `tap`.
pub(crate) fn event_fields(ev: &WinEvent, index: u64, offset: Option<u64>, tap: &mut FieldTap<'_>) {
    for (name, value) in &ev.data {
        if value.is_empty() {
            continue;
        }
        tap.field(Field {
            path: format!("/Events/Event[{index}]/EventData/Data[@Name='{name}']"),
            line: None,
            offset,
            text: value.clone(),
        });
    }
    if !ev.computer.is_empty() {
        tap.field(Field {
            path: format!("/Events/Event[{index}]/System/Computer"),
            line: None,
            offset,
            text: ev.computer.clone(),
        });
    }
}
