//! Shared body of the `logs_*` fuzz targets.

use spoor::logs::analysis::LogAnalysis;
use spoor::logs::{self, LogFormat};
use std::sync::Arc;

/// Reads `data` as `format` for events (and analyses them) and for fields; panics only
/// on a broken invariant.
pub fn check(format: LogFormat, data: &[u8]) {
    let source: Arc<str> = Arc::from("fuzz");
    let mut analysis = LogAnalysis::new();
    let mut events = 0u64;
    let report = logs::read_events(format, &source, &mut &data[..], &mut |e| {
        assert!(e.provenance.record < u64::MAX);
        events += 1;
        analysis.add(&e);
    });
    assert_eq!(
        report.produced, events,
        "the report counts what was produced"
    );
    assert!(report.warnings.len() <= logs::MAX_WARNINGS + 1);
    let _ = analysis.finish();
    let mut fields = 0u64;
    let _ = logs::read_fields(format, &source, &mut &data[..], &mut |f| {
        assert!(f.text.len() <= data.len().max(logs::MAX_FIELD_BYTES) * 4);
        fields += 1;
    });
}
