//! The report shows each behaviour category's confidence and its reason, in Markdown and
//! HTML, as triage computed them.

use std::path::PathBuf;

#[test]
fn behaviour_rows_carry_confidence_and_reason() {
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus/malicious/ashdrop/ashdrop_v1_x64.exe");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(&sample, dir.path().join("a.exe")).expect("copy sample");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["analyze", "-o", "out", "--date", "2026-11-25", "a.exe"])
        .current_dir(dir.path())
        .output()
        .expect("run spoor");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = spoor::sample::triage("a.exe", &std::fs::read(&sample).expect("sample"));
    assert!(!t.behavior.categories.is_empty());
    let levels: std::collections::BTreeSet<&str> = t
        .behavior
        .categories
        .iter()
        .map(|c| c.confidence.as_str())
        .collect();
    assert!(levels.len() >= 2, "{levels:?}: the test needs two levels");
    let read = |name: &str| {
        std::fs::read_to_string(dir.path().join("out").join(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let md = read("report.md");
    let html = read("report.html");
    assert!(md.contains("| behaviour | confidence | what it means | APIs |"));
    assert!(html.contains("<th>behaviour</th><th>confidence</th>"));
    for c in &t.behavior.categories {
        assert!(!c.reason.is_empty(), "{}", c.name);
        let row = format!("| {} | {}: {} |", c.name, c.confidence, c.reason);
        assert!(md.contains(&row), "{row} missing from the Markdown report");
        let escaped = c.reason.replace('&', "&amp;").replace('<', "&lt;");
        let cell = format!(
            "<tr><td>{}</td><td>{}: {}</td>",
            c.name, c.confidence, escaped
        );
        assert!(html.contains(&cell), "{cell} missing from the HTML report");
    }
}
