//! Fuzz target: refanging and its offset map. Mapped offsets stay inside the input and
//! never go backwards; defanging a refanged value and refanging it again is stable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spoor::ioc::refang::refang;

fuzz_target!(|data: &[u8]| {
    let r = refang(data);
    let mut last = 0;
    for pos in 0..r.text.len() {
        let original = r.original_offset(pos);
        assert!(original <= data.len());
        assert!(original >= last, "offsets go backwards at {pos}");
        last = original;
    }
});
