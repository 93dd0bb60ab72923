//! Fuzz target: static triage of arbitrary bytes (PE, ELF, Mach-O parsing through goblin,
//! resources, strings, behaviour rules). It must never panic outside the guard that turns
//! a parsing library's panic into a warning.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Once;

fuzz_target!(|data: &[u8]| {
    static QUIET: Once = Once::new();
    // libfuzzer-sys aborts in its panic hook, which would bypass triage's own guard around
    // goblin; a silent hook lets that guard work, and panics anywhere else still reach the
    // fuzzer through the target's unwinding.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let report = spoor::sample::triage("fuzz", data);
    assert_eq!(report.size, data.len() as u64);
});
