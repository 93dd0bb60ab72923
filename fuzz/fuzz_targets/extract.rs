//! Fuzz target: the whole extraction path (refang, scanner, UTF-16 recovery, chunking,
//! offsets and contexts) on arbitrary bytes. It must never panic, and every sighting's
//! offset must lie inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spoor::{ExtractOptions, Extractor};
use std::sync::OnceLock;

fn extractor() -> &'static Extractor {
    static EX: OnceLock<Extractor> = OnceLock::new();
    EX.get_or_init(|| {
        Extractor::new(ExtractOptions {
            threads: 1,
            chunk_size: 4096,
            ..ExtractOptions::default()
        })
    })
}

fuzz_target!(|data: &[u8]| {
    for ioc in extractor().extract_bytes("fuzz", data) {
        assert!(!ioc.value.is_empty());
        for s in &ioc.sightings {
            let offset = s.offset.unwrap_or(0) as usize;
            assert!(offset <= data.len(), "offset {offset} past {}", data.len());
        }
    }
});
