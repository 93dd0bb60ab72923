//! Fuzz target: the json log reader on arbitrary bytes, read as `LogFormat::Json` whatever
//! they look like: events, the analysis over them, and the field walker for
//! `spoor extract`. It must never panic, and every event's record index must be one the
//! reader counted.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    spoor_fuzz_logs::check(spoor::logs::LogFormat::Json, data);
});
