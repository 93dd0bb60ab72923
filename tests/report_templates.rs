//! `spoor analyze --report-templates DIR`: an analyst's folder of report templates overrides
//! the shipped ones file by file, a broken template stops the run with its file and line
//! before anything is written, and values from samples and logs stay escaped whatever a
//! template does with them short of `|safe`.

use std::path::{Path, PathBuf};
use std::process::Output;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn analyze(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec!["analyze", "-o", out, "--date", "2026-11-25"];
    args.extend_from_slice(extra);
    std::process::Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("run spoor")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A corpus sample copied under `name` into `dir`.
fn sample_named(dir: &Path, name: &str) {
    std::fs::copy(
        root().join("corpus/malicious/ashdrop/ashdrop_v1_x64.exe"),
        dir.join(name),
    )
    .expect("copy sample");
}

#[test]
fn a_user_folder_overrides_one_template_and_keeps_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    sample_named(dir.path(), "a.exe");
    let shipped = analyze(dir.path(), "shipped", &["a.exe"]);
    assert!(shipped.status.success(), "{}", stderr(&shipped));

    let mine = dir.path().join("mine");
    write(
        &mine.join("md/iocs.md.j2"),
        "## Indicators (our format)\n\n{% for r in report.iocs %}\n* {{ r.kind }}: {{ r.value|code_inline }}\n{% endfor %}\n\n",
    );
    write(&mine.join("html/style.css"), "body{font-family:serif}\n");
    let out = analyze(
        dir.path(),
        "mine-out",
        &["a.exe", "--report-templates", "mine"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stderr(&out).contains("not read for the report"),
        "{}",
        stderr(&out)
    );

    let md = read(&dir.path().join("mine-out/report.md"));
    let expected_md = read(&dir.path().join("shipped/report.md"));
    let (before, ours) = md
        .split_once("## Indicators (our format)\n\n")
        .expect("our IOC section");
    let (shipped_before, shipped_rest) = expected_md
        .split_once("## Indicators of compromise\n\n")
        .expect("shipped IOC section");
    assert_eq!(
        before, shipped_before,
        "the sections before ours are shipped"
    );
    assert!(ours.starts_with("* "), "{ours}");
    assert!(
        ours.contains("* url: `hxxp[://]"),
        "defanged, as code: {ours}"
    );
    let shipped_rules = shipped_rest
        .split_once("## Detection rules")
        .expect("rules")
        .1;
    assert!(
        md.ends_with(shipped_rules),
        "the sections after ours are shipped"
    );

    let html = read(&dir.path().join("mine-out/report.html"));
    let expected_html = read(&dir.path().join("shipped/report.html"));
    assert!(html.contains("<style>\nbody{font-family:serif}\n</style>"));
    let after_style = |page: &str| page.split_once("</style>").expect("style").1.to_string();
    assert_eq!(after_style(&html), after_style(&expected_html));
}

#[test]
fn a_misspelt_template_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    sample_named(dir.path(), "a.exe");
    write(&dir.path().join("mine/md/ioc.md.j2"), "never read\n");
    let out = analyze(dir.path(), "out", &["a.exe", "--report-templates", "mine"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("mine/md/ioc.md.j2: not read for the report"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_broken_template_names_its_file_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    sample_named(dir.path(), "a.exe");
    write(&dir.path().join("out/report.md"), "the previous report\n");
    // a syntax error: found when the templates are loaded, before the analysis
    write(
        &dir.path().join("syntax/md/iocs.md.j2"),
        "## Indicators\n\n{% for r in report.iocs %}\n- {{ r.value }\n{% endfor %}\n",
    );
    // a name the model does not have, in an include of the HTML page: found when rendering
    write(
        &dir.path().join("render/html/iocs.html.j2"),
        "<section id=\"iocs\">\n{% for r in report.iocs %}\n<p>{{ r.valeu }}</p>\n{% endfor %}\n</section>\n",
    );
    // an include whose name does not say how to escape (it would print values raw)
    write(
        &dir.path().join("ending/md/iocs.md.j2"),
        "## Indicators\n\n{% include \"md/footer.txt\" %}\n",
    );
    write(
        &dir.path().join("ending/md/footer.txt"),
        "{{ report.title }}\n",
    );
    for (folder, file, line, what) in [
        ("syntax", "syntax/md/iocs.md.j2", 4, "syntax error"),
        ("render", "render/html/iocs.html.j2", 3, "undefined value"),
        (
            "ending",
            "ending/md/iocs.md.j2",
            3,
            "invalid operation: md/footer.txt: a report template's name ends in .md.j2",
        ),
    ] {
        let out = analyze(dir.path(), "out", &["a.exe", "--report-templates", folder]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("report template {file}, line {line}: {what}")),
            "{err}"
        );
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(
            read(&dir.path().join("out/report.md")),
            "the previous report\n",
            "the output folder is as it was"
        );
        assert!(!dir.path().join("out/report.html").exists());
    }
    let out = analyze(
        dir.path(),
        "out",
        &["a.exe", "--report-templates", "no-such-folder"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("report template no-such-folder: no such file or directory"),
        "{}",
        stderr(&out)
    );
}

/// A title and a sample name that try HTML and Markdown injection and terminal escapes, printed
/// by an analyst's templates with minijinja's own filters: still escaped.
#[test]
fn hostile_values_stay_escaped_in_a_user_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "<img src=x onerror=alert(1)>[a](http:x)\x1b]0;pwned\x07.exe";
    sample_named(dir.path(), name);
    let title = "</p><script>alert(1)</script>\n## Verdict\n[click](http://203.0.113.9/) \x1b]0;pwned\x07 <!--";
    let overview = "{% for s in report.samples %}\n{{ s.name|base_name }} {{ s.name|upper }} {{ s.name|replace('x', 'y') }}\n{% endfor %}\n{{ report.title }} {{ report.title|trim }} {{ [report.title, 'x']|join(' ') }} {{ report.title|e }}\n";
    let mine = dir.path().join("mine");
    write(
        &mine.join("md/overview.md.j2"),
        &format!("## Overview\n\n{overview}\n"),
    );
    write(
        &mine.join("html/overview.html.j2"),
        &format!("<section id=\"overview\"><p>\n{overview}</p></section>\n"),
    );
    let out = analyze(
        dir.path(),
        "out",
        &[name, "--title", title, "--report-templates", "mine"],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let md = read(&dir.path().join("out/report.md"));
    let section = md
        .split_once("## Overview\n\n")
        .and_then(|(_, rest)| rest.split_once("## Sample tags"))
        .expect("our overview")
        .0;
    assert!(
        section.contains("\\<script>") && section.contains("\\<img"),
        "{section}"
    );
    for live in [
        "<script", "<img", "[click](", "[a](", "<!--", "\x1b", "\x07",
    ] {
        let unescaped = section
            .match_indices(live)
            .any(|(i, _)| i == 0 || section.as_bytes()[i - 1] != b'\\');
        assert!(!unescaped, "{live:?} unescaped in report.md: {section}");
    }
    assert!(md.lines().all(|l| !l.starts_with("## Verdict")));
    assert!(!md.contains('\x1b') && !md.contains('\x07'));
    assert!(section.contains(r"\x1b\]0;pwned\x07"), "{section}");

    let html = read(&dir.path().join("out/report.html"));
    for live in ["<script", "<img", "<!--", "\x1b", "\x07"] {
        assert!(!html.contains(live), "{live:?} in report.html");
    }
    assert!(html.contains("&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // nothing is double-escaped by |e
    assert!(!html.contains("&amp;lt;"));
}
