//! Fuzz target: opening a compiled intel store (`spoor intel build`) from arbitrary bytes
//! and looking up in it. The header's length and checksum are made to match the bytes
//! first, so the fuzzer reaches the section table and the tables behind it. Opening must
//! fail cleanly or give a store whose lookups never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spoor::intel::{compiled, Compiled, Store};
use spoor::IocKind;

const QUERIES: &[(IocKind, &str)] = &[
    (IocKind::Ipv4, "198.51.100.7"),
    (IocKind::Ipv6, "2001:db8:fe7c::17"),
    (IocKind::Domain, "cdn.fetchbird.example.net"),
    (IocKind::Email, "ops@fetchbird.example.net"),
    (IocKind::Url, "http://198.51.100.7:8080/gate/x.php?id=1"),
    (IocKind::Url, "https://cdn.example.com/s2/beacon.php"),
    (IocKind::Sha256, "0000000000000000000000000000000000000000000000000000000000000000"),
];

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    compiled::reseal(&mut bytes);
    if let Ok(c) = Compiled::from_vec(bytes, "fuzz") {
        let mut store = Store::new();
        store.attach(c);
        for &(kind, value) in QUERIES {
            let _ = store.lookup(kind, value);
            let _ = store.contains(kind, value);
        }
        let _ = store.lookup_exact("fbird_mtx_v2");
        let _ = store.compiled().first().map(Compiled::damaged);
    }
});
