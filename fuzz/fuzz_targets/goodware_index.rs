//! Fuzz target: the goodware index reader on arbitrary bytes. Opening must fail cleanly or
//! give an index whose lookups never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(index) = spoor::goodware::Index::from_vec(data.to_vec()) {
        let _ = index.string_count(b"KERNEL32.dll");
        let _ = index.export_count("DllMain");
        let _ = index.imphash_count("0123456789abcdef0123456789abcdef");
        let _ = index.containing_counts(&[b"kernel", b"dll"]);
        let _ = index.meta().files;
    }
});
