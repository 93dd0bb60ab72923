//! Rules on real-world binaries (`cargo bench --bench rules_realworld`): runs
//! `benches/rules_realworld/rules_realworld.py` (leave-package-out and versions as families
//! on the test split of the real goodware set) with this build's `spoor` binary, or the one
//! in `SPOOR`; `SPOOR_PREVIOUS=path` measures a second binary in the same run. See
//! `benches/README.md`.

use std::process::Command;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("rules_realworld: bench");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let spoor = std::env::var("SPOOR").unwrap_or_else(|_| env!("CARGO_BIN_EXE_spoor").into());
    let status = Command::new("python3")
        .arg(format!("{root}/benches/rules_realworld/rules_realworld.py"))
        .env("SPOOR", spoor)
        .current_dir(root)
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            eprintln!("rules_realworld: the script failed ({s})");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("rules_realworld: cannot run python3: {e}");
            std::process::exit(1);
        }
    }
}
