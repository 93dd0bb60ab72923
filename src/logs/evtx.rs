//! Windows EVTX files, through the `evtx` crate.
//!
//! The crate needs to seek, so a stream is first spooled to a temporary file (memory
//! stays flat). Each record is rendered as event XML and read by the same code as the XML
//! exports, so the Sysmon / Security mapping is shared. A damaged chunk or record gives
//! a warning and the next records are still read.

use super::sysmon::{map, WinEvent};
use super::{Event, Field, LogFormat, Provenance, ReadReport};
use crate::error::WarningCode;
use evtx::EvtxParser;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

/// Records read from one file at most (a damaged header can claim anything).
const MAX_RECORDS: u64 = 50_000_000;

/// Copies `reader` to a temporary file and opens it with the evtx parser.
fn open(reader: &mut dyn Read, report: &mut ReadReport) -> Option<EvtxParser<std::fs::File>> {
    let spooled = (|| -> io::Result<std::fs::File> {
        let mut file = tempfile::tempfile()?;
        io::copy(reader, &mut file)?;
        file.seek(SeekFrom::Start(0))?;
        Ok(file)
    })();
    let file = match spooled {
        Ok(f) => f,
        Err(e) => {
            report.warn(
                WarningCode::of_io(&e),
                format!("cannot buffer the EVTX file: {e}"),
            );
            return None;
        }
    };
    match EvtxParser::from_read_seek(file) {
        Ok(p) => Some(p),
        Err(e) => {
            report.warn(
                WarningCode::FormatUnknown,
                format!("not a readable EVTX file: {e}"),
            );
            None
        }
    }
}

/// Each record as a [`WinEvent`] with its 0-based index.
fn each(reader: &mut dyn Read, report: &mut ReadReport, on_event: &mut dyn FnMut(WinEvent, u64)) {
    let Some(mut parser) = open(reader, report) else {
        return;
    };
    let mut sub = ReadReport::default();
    for (index, record) in (0u64..).zip(parser.records()) {
        if index >= MAX_RECORDS {
            report.warn(
                WarningCode::SizeLimit,
                format!("stopped after {MAX_RECORDS} records"),
            );
            break;
        }
        match record {
            Ok(r) => {
                let mut got = None;
                super::xml::read(r.data.as_bytes(), &mut |ev, _| got = Some(ev), &mut sub);
                if let Some(mut ev) = got {
                    if ev.record_id.is_none() {
                        ev.record_id = Some(r.event_record_id);
                    }
                    report.records += 1;
                    on_event(ev, index);
                }
            }
            Err(e) => report.warn(
                WarningCode::ParseError,
                format!("damaged EVTX record or chunk skipped: {e}"),
            ),
        }
    }
    for w in sub.warnings {
        report.warn(w.code, w.message);
    }
}

/// Events of an EVTX file.
pub fn events(
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    records: super::RecordTap<'_>,
    mut fields: Option<&mut super::FieldTap<'_>>,
    report: &mut ReadReport,
) {
    let mut produced = 0u64;
    each(reader, report, &mut |ev, index| {
        if let Some(tap) = fields.as_deref_mut() {
            super::xml::event_fields(&ev, index + 1, None, tap);
        }
        let provenance = Provenance {
            source: source.clone(),
            format: LogFormat::Evtx,
            record: index,
            line: None,
            record_id: ev.record_id,
            field: None,
        };
        records(&ev, &provenance);
        if let Some(e) = map(&ev, provenance) {
            produced += 1;
            sink(e);
        }
    });
    report.produced += produced;
}

/// Every value of every record with its path, for the IOC scanner.
pub fn fields(reader: &mut dyn Read, sink: &mut dyn FnMut(Field), report: &mut ReadReport) {
    let mut tap = super::FieldTap::new(sink);
    each(reader, report, &mut |ev, index| {
        super::xml::event_fields(&ev, index + 1, None, &mut tap);
    });
    report.produced += tap.report.produced;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_after_the_magic_is_a_warning() {
        let mut data = b"ElfFile\0".to_vec();
        data.extend(std::iter::repeat_n(0xAB, 300));
        let mut report = ReadReport::default();
        let mut n = 0;
        events(
            &Arc::from("x.evtx"),
            &mut &data[..],
            &mut |_| n += 1,
            &mut |_, _| {},
            None,
            &mut report,
        );
        assert_eq!(n, 0);
        assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    }
}
