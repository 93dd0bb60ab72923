//! The HTML report in a real browser: headless Chromium loads it, every section is in the
//! rendered page, the browser's network log shows no request made by the page, and a
//! screenshot is kept as a test artifact (`target/tmp/report.png`).
//!
//! Runs when Chromium is installed (`chromium`, `chromium-browser`, `google-chrome`, or the
//! program named by `SPOOR_BROWSER`); with `SPOOR_REQUIRE_BROWSER=1` (set by `.ci/run`) a
//! missing browser fails the test instead of skipping it.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn find_browser() -> Option<PathBuf> {
    if let Some(b) = std::env::var_os("SPOOR_BROWSER") {
        return Some(PathBuf::from(b));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|dir| {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .map(|name| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Hosts Chromium itself talks to (updates, time, accounts) even when told not to; any
/// other request comes from the page.
const BROWSER_OWN_HOSTS: [&str; 4] = ["google.com", "googleapis.com", "gvt1.com", "gstatic.com"];

/// Runs the browser headless on `page` with `extra` arguments, writing its network log to
/// `net_log`; returns stdout. Fails the test after two minutes.
fn browse(browser: &Path, page: &Path, net_log: &Path, extra: &[String]) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the browser");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
        text
    });
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the browser did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("reader")
}

/// Every URL the page asked for, from Chromium's network log.
fn page_requests(net_log: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(net_log).expect("net log");
    // A log cut short at exit lacks its closing brackets.
    let log: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("net log JSON");
    let mut urls = Vec::new();
    for event in log["events"].as_array().into_iter().flatten() {
        if let Some(url) = event["params"]["url"].as_str() {
            let host = url
                .split("://")
                .nth(1)
                .and_then(|rest| rest.split(['/', ':', '?']).next())
                .unwrap_or("");
            let browser_own = BROWSER_OWN_HOSTS
                .iter()
                .any(|own| host == *own || host.ends_with(&format!(".{own}")));
            if !url.starts_with("file://") && !browser_own && !urls.contains(&url.to_string()) {
                urls.push(url.to_string());
            }
        }
    }
    urls
}

#[test]
fn the_report_renders_in_a_browser_without_fetching_anything() {
    let Some(browser) = find_browser() else {
        assert!(
            std::env::var_os("SPOOR_REQUIRE_BROWSER").is_none(),
            "SPOOR_REQUIRE_BROWSER is set but no Chromium was found"
        );
        eprintln!("skipped: no Chromium on PATH (set SPOOR_BROWSER to its path)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args([
            "analyze",
            "corpus/malicious/fetchbird",
            "--logs",
            "corpus/logs",
        ])
        .arg("-o")
        .arg(dir.path())
        .args(["--date", "2026-11-25"])
        .current_dir(root())
        .output()
        .expect("run spoor");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = dir.path().join("report.html");

    // The check below can fail: a page that loads an image is caught.
    let control = dir.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><img src=\"http://www.example.com/pixel.png\">",
    )
    .expect("write control page");
    let control_log = dir.path().join("control-net.json");
    browse(
        &browser,
        &control,
        &control_log,
        &["--dump-dom".to_string()],
    );
    assert!(
        page_requests(&control_log)
            .iter()
            .any(|u| u.contains("www.example.com/pixel.png")),
        "the network log check does not see page requests"
    );

    let net_log = dir.path().join("net.json");
    let dom = browse(&browser, &page, &net_log, &["--dump-dom".to_string()]);
    for id in [
        "overview",
        "tags",
        "static",
        "dynamic",
        "attack",
        "remediation",
        "iocs",
        "rules",
    ] {
        assert!(
            dom.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing from the rendered page"
        );
    }
    assert!(dom.contains("<svg"), "the ATT&CK picture is in the page");
    let requests = page_requests(&net_log);
    assert!(requests.is_empty(), "the report fetched: {requests:?}");

    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &browser,
        &page,
        &dir.path().join("shot-net.json"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,3000".to_string(),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    assert!(
        png.len() > 20_000,
        "the screenshot is not blank ({} bytes)",
        png.len()
    );
}
