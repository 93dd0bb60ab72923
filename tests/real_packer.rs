//! A real packed executable from a package registry: UPX's own Windows executable, packed
//! by UPX as its authors release it (`corpus/real-packer.sh` fetches it from the PyPI wheel
//! `upx-installer`). spoor calls it packed, names UPX and adds T1027.002. Where the file is:
//! `SPOOR_REAL_PACKER`, or `target/real-packer/upx.exe`; without it the test skips with a
//! note unless `SPOOR_REQUIRE_REAL_PACKER` is set (CI), where it fails.

use std::path::PathBuf;

#[test]
fn upx_packed_upx_is_called_packed_by_upx() {
    let path = std::env::var_os("SPOOR_REAL_PACKER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/real-packer/upx.exe")
        });
    let Ok(data) = std::fs::read(&path) else {
        assert!(
            std::env::var_os("SPOOR_REQUIRE_REAL_PACKER").is_none(),
            "SPOOR_REQUIRE_REAL_PACKER is set but {} is missing (sh corpus/real-packer.sh target/real-packer)",
            path.display()
        );
        eprintln!(
            "note: no real packed file at {}; run sh corpus/real-packer.sh target/real-packer",
            path.display()
        );
        return;
    };
    let t = spoor::sample::triage("upx.exe", &data);
    assert_eq!(
        t.hashes.sha256,
        "5e1a476c36e19750a0aa4b2460ed54c14d94bcb41f70ed489e1eb87da6d4744f"
    );
    assert_eq!(
        t.packer.verdict,
        spoor::sample::behavior::Packing::Packed,
        "{:?}",
        t.packer
    );
    assert_eq!(t.packer.packers, ["UPX"], "{:?}", t.packer);
    assert!(
        t.packer.reasons.iter().any(|r| r.contains("entropy")),
        "{:?}",
        t.packer.reasons
    );
    assert!(t.techniques.iter().any(|x| x.id == "T1027.002"));
}
