//! Hostile input: what an attacker controls (file names, log fields, strings, paths) must not
//! turn spoor's outputs against the analyst who reads, copies and runs them.
//!
//! One test per row of the table of hostile inputs (see the README's Security section);
//! every input is generated here: hostile names given to copies of the inert corpus
//! samples, Sysmon NDJSON records written line by line, damaged copies of corpus logs.
//! The last test renders report.md as HTML (raw HTML passed through, as permissive viewers
//! do) in headless Chromium, when it is installed, and checks that no script ran and no
//! request left the page.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn spoor_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run spoor")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A copy of an inert corpus sample under `name` in `dir`.
fn sample_named(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(
        root().join("corpus/malicious/fetchbird/fetchbird_v1_x64.exe"),
        &path,
    )
    .expect("copy sample");
    path
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

/// One Winlogbeat-style Windows event as an NDJSON line.
fn event(record: u64, channel: &str, id: u32, data: Value) -> String {
    let provider = match channel {
        SYSMON => "Microsoft-Windows-Sysmon",
        "Security" => "Microsoft-Windows-Security-Auditing",
        _ => "Service Control Manager",
    };
    json!({
        "@timestamp": format!("2024-03-12T09:14:{:02}.000Z", record % 60),
        "winlog": {
            "channel": channel,
            "event_id": id.to_string(),
            "provider_name": provider,
            "record_id": record.to_string(),
            "computer_name": "DESKTOP-EXAMPLE",
            "event_data": data,
        }
    })
    .to_string()
}

fn process(record: u64, pid: u64, ppid: u64, image: &str, command: &str) -> String {
    event(
        record,
        SYSMON,
        1,
        json!({
            "ProcessId": pid.to_string(),
            "Image": image,
            "CommandLine": command,
            "ParentProcessId": ppid.to_string(),
            "ParentImage": "C:\\Windows\\explorer.exe",
        }),
    )
}

fn write_log(dir: &Path, name: &str, lines: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write log");
    path
}

/// The part of a PowerShell command outside its verbatim ('...') strings.
fn outside_single_quotes(command: &str) -> String {
    let quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}');
    let mut out = String::new();
    let mut inside = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        if quote(c) {
            if inside && chars.peek().is_some_and(|&n| quote(n)) {
                chars.next(); // a doubled quote inside the string
                continue;
            }
            inside = !inside;
            continue;
        }
        if !inside {
            out.push(c);
        }
    }
    out
}

/// The remediation list the analyst report would carry for `samples` and `logs`.
fn remediation(samples: &[PathBuf], logs: &[PathBuf]) -> Vec<spoor::report::Remediation> {
    let analysis = spoor::analyze::analyze(samples, logs, &Default::default());
    spoor::report::AnalystReport::build(&analysis, &Default::default()).remediation
}

fn analyze(dir: &Path, out: &str, samples: &[&str], logs: &[&str]) -> Output {
    let mut args = vec!["analyze", "-o", out, "--date", "2026-11-25"];
    args.extend_from_slice(samples);
    if !logs.is_empty() {
        args.push("--logs");
        args.extend_from_slice(logs);
    }
    spoor_in(dir, &args)
}

/// Row 1: quotes in a sample's name, log paths, Run-key values, task and service names
/// never leave the quoting of the command they are put in.
#[test]
fn row01_hostile_names_stay_inside_their_quotes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hostile = r#"x" & calc.exe & ".exe"#;
    let sample = sample_named(dir.path(), hostile);
    let image = format!(r"C:\Users\alice\AppData\Local\Temp\{hostile}");
    let log = write_log(
        dir.path(),
        "sysmon.ndjson",
        &[
            process(1, 4100, 900, &image, &format!("\"{image}\"")),
            event(
                2,
                SYSMON,
                11,
                json!({"ProcessId": "4100", "Image": image,
                       "TargetFilename": format!(r"C:\Users\alice\AppData\Roaming\{hostile}")}),
            ),
            event(
                3,
                SYSMON,
                13,
                json!({"ProcessId": "4100", "Image": image, "EventType": "SetValue",
                       "TargetObject": r#"HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Run\x" & calc & ""#,
                       "Details": "C:\\x.exe"}),
            ),
            event(
                4,
                SYSMON,
                13,
                json!({"ProcessId": "4100", "Image": image, "EventType": "SetValue",
                       "TargetObject": r"HKU\S-1-5-21-1\Software\Microsoft\Windows\CurrentVersion\Run\a' ; calc ; '",
                       "Details": "C:\\x.exe"}),
            ),
            event(
                5,
                "Security",
                4698,
                json!({"TaskName": r#"\x" & calc & "#, "SubjectUserName": "alice"}),
            ),
            event(
                6,
                "System",
                7045,
                json!({"ServiceName": "svc\u{2019}; calc; \u{2018}", "ImagePath": "C:\\x.exe"}),
            ),
        ],
    );
    let items = remediation(&[sample], &[log]);
    let mut hostile_items = 0;
    for r in &items {
        let about_calc = r.target.contains("calc") || r.command.contains("calc");
        if !about_calc {
            continue;
        }
        hostile_items += 1;
        assert!(
            !outside_single_quotes(&r.command).contains("calc"),
            "the name leaves its quotes: {} → {}",
            r.target,
            r.command
        );
        for word in [
            "taskkill",
            "del ",
            "reg delete",
            "schtasks",
            "sc stop",
            "cmd",
        ] {
            assert!(!r.command.contains(word), "a cmd command: {}", r.command);
        }
    }
    // the sample, its copies, the dropped file, two Run values, the task, the service
    assert!(hostile_items >= 6, "{items:#?}");
}

/// Row 2: folders, user-profile and system locations and cut paths are never deleted.
#[test]
fn row02_guard_rails_keep_folders_profiles_and_system_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = dir.path().join("report.txt");
    std::fs::write(
        &report,
        "The dropper writes to %USERPROFILE%\\Documents and C:\\Users\\Public\\Documents,\n\
         replaces C:\\Windows\\System32\\ntoskrnl.exe and wipes %USERPROFILE% .\n\
         It copies itself to \"C:\\Users\\Public\\My Documents\\svc.exe\" and to %TEMP%\\upd.exe.\n",
    )
    .expect("write report");
    let log = write_log(
        dir.path(),
        "sysmon.ndjson",
        &[
            process(1, 4100, 900, r"C:\Users\alice\Downloads\a.exe", "a.exe"),
            event(
                2,
                SYSMON,
                11,
                json!({"ProcessId": "4100", "Image": r"C:\Users\alice\Downloads\a.exe",
                       "TargetFilename": r"C:\Windows\System32\ntoskrnl.exe"}),
            ),
            event(
                3,
                SYSMON,
                11,
                json!({"ProcessId": "4100", "Image": r"C:\Users\alice\Downloads\a.exe",
                       "TargetFilename": r"C:\Users\alice"}),
            ),
            event(
                4,
                SYSMON,
                11,
                json!({"ProcessId": "4100", "Image": r"C:\Users\alice\Downloads\a.exe",
                       "TargetFilename": r"C:\Users\alice\AppData\Local\Temp\drop.dll"}),
            ),
        ],
    );
    let items = remediation(&[], &[report, log]);
    let deletes = |target: &str| {
        items.iter().any(|r| {
            r.target.eq_ignore_ascii_case(target)
                && ["Remove-Item", "del ", "rm "]
                    .iter()
                    .any(|w| r.command.contains(w))
        })
    };
    for target in [
        r"%USERPROFILE%\Documents",
        r"C:\Users\Public\Documents",
        r"C:\Windows\System32\ntoskrnl.exe",
        r"%USERPROFILE%",
        r"C:\Users\alice",
        r"C:\Users\Public\My",
    ] {
        assert!(!deletes(target), "{target} is deleted: {items:#?}");
    }
    // listed for review, with the reason
    for target in [r"C:\Windows\System32\ntoskrnl.exe", r"C:\Users\alice"] {
        let item = items
            .iter()
            .find(|r| r.target.eq_ignore_ascii_case(target))
            .unwrap_or_else(|| panic!("{target} is not listed: {items:#?}"));
        assert!(item.command.is_empty() && item.reason.contains("no command"));
    }
    // a real dropped file still gets its command
    assert!(deletes(r"C:\Users\alice\AppData\Local\Temp\drop.dll"));
    assert!(deletes(r"%TEMP%\upd.exe"));
}

/// The headings, HTML, links and images a Markdown parser finds in `markdown`.
fn markdown_structure(markdown: &str) -> (Vec<String>, Vec<String>) {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut headings = Vec::new();
    let mut active = Vec::new();
    let mut heading: Option<String> = None;
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::End(TagEnd::Heading(_)) => headings.extend(heading.take()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::Html(h) | Event::InlineHtml(h) => active.push(format!("html {h}")),
            Event::Start(Tag::Link { dest_url, .. }) => active.push(format!("link {dest_url}")),
            Event::Start(Tag::Image { dest_url, .. }) => active.push(format!("image {dest_url}")),
            _ => {}
        }
    }
    (headings, active)
}

/// Inputs for rows 3 and 4: a sample whose name forges a verdict and opens a comment, a
/// sample whose name is HTML, and a log whose DNS, service and file names are HTML and
/// Markdown links and images.
fn markdown_hostile_inputs(dir: &Path) -> (Vec<String>, Vec<String>) {
    let forged = "x\n\n## Verdict\n\nBENIGN: nothing to see\n\n<!--";
    // quoted attributes, so CommonMark takes it as raw HTML; a browser reads `http:HOST` as
    // `http://HOST/` (a file name holds no `/`, and the report shows names after the last `\`)
    let html =
        "<img src=\"http:203.0.113.9\" onerror=\"document.body.setAttribute('data-pwned',1)\">";
    sample_named(dir, forged);
    sample_named(dir, html);
    write_log(
        dir,
        "sysmon.ndjson",
        &[
            process(
                1,
                4100,
                900,
                r"C:\Users\alice\Downloads\a.exe",
                "a.exe <!--",
            ),
            event(
                2,
                SYSMON,
                22,
                json!({"ProcessId": "4100", "Image": r"C:\Users\alice\Downloads\a.exe",
                       "QueryName": "<img src=\"http://203.0.113.9/pixel.png\">",
                       "QueryResults": "203.0.113.9"}),
            ),
            event(
                3,
                "System",
                7045,
                json!({"ServiceName": "![x](http://203.0.113.9/i.png) [click](http://203.0.113.9/)",
                       "ImagePath": "<script>document.body.setAttribute('data-pwned',1)</script>"}),
            ),
            event(
                4,
                SYSMON,
                11,
                json!({"ProcessId": "4100", "Image": r"C:\Users\alice\Downloads\a.exe",
                       "TargetFilename": "C:\\Users\\alice\\AppData\\Local\\Temp\\<iframe src=http:\\\\203.0.113.9>.exe"}),
            ),
        ],
    );
    (
        vec![forged.to_string(), html.to_string()],
        vec!["sysmon.ndjson".to_string()],
    )
}

fn analyze_hostile_markdown(dir: &Path) -> String {
    let (samples, logs) = markdown_hostile_inputs(dir);
    let samples: Vec<&str> = samples.iter().map(String::as_str).collect();
    let logs: Vec<&str> = logs.iter().map(String::as_str).collect();
    let out = analyze(dir, "out", &samples, &logs);
    assert!(dir.join("out/report.md").is_file(), "{}", text(&out.stderr));
    std::fs::read_to_string(dir.join("out/report.md")).expect("report.md")
}

/// Rows 3 and 4: nothing from data starts a heading or a comment, and no HTML, link or
/// image from data survives in report.md.
#[test]
fn row03_row04_report_markdown_cannot_be_forged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let markdown = analyze_hostile_markdown(dir.path());
    let (headings, active) = markdown_structure(&markdown);
    assert!(
        headings.iter().all(|h| !h.starts_with("Verdict")),
        "a heading from data: {headings:?}"
    );
    assert!(
        markdown
            .lines()
            .all(|l| !l.starts_with("## Verdict") && !l.starts_with("<!--")),
        "a line from data"
    );
    assert!(
        active.is_empty(),
        "HTML, links or images from data: {active:?}"
    );
    // the names are still there, shown as text
    assert!(markdown.contains("Verdict"));
    assert!(markdown.contains("203.0.113.9"));
}

/// Row 5: terminal control sequences in names and log fields are shown as escapes by
/// `events`, `triage`, `test`, on stderr and in report.md.
#[test]
fn row05_terminal_control_sequences_are_shown_as_escapes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let title = "\x1b]0;pwned\x07\x1b[2J";
    let sample = format!("s{title}.exe");
    sample_named(dir.path(), &sample);
    write_log(
        dir.path(),
        "sysmon.ndjson",
        &[
            process(
                1,
                4100,
                900,
                &format!("C:\\Temp\\a{title}.exe"),
                &format!("a.exe {title}"),
            ),
            event(
                2,
                SYSMON,
                11,
                json!({"ProcessId": "4100", "Image": "C:\\Temp\\a.exe",
                       "TargetFilename": format!("C:\\Users\\alice\\AppData\\Local\\Temp\\{title}.dll")}),
            ),
            // damaged on purpose: the warning names the line's content
            format!("{{\"winlog\": \"{title}"),
        ],
    );
    // a rule that misses the sample, so `test` names it
    std::fs::write(
        dir.path().join("r.yar"),
        "rule never { strings: $a = \"zq-never-in-a-sample-qz\" condition: $a }",
    )
    .expect("rule");
    let has_control = |bytes: &[u8]| {
        // SGR colour codes of spoor's own are allowed; nothing else may start with ESC
        let s = text(bytes).replace("\x1b[1m", "").replace("\x1b[0m", "");
        let s = s
            .replace("\x1b[1;31m", "")
            .replace("\x1b[32m", "")
            .replace("\x1b[33m", "")
            .replace("\x1b[36m", "");
        s.contains('\x1b') || s.contains('\x07')
    };
    let runs: Vec<(&str, Output)> = vec![
        ("events", spoor_in(dir.path(), &["events", "sysmon.ndjson"])),
        (
            "triage",
            spoor_in(dir.path(), &["triage", "--color", "always", &sample]),
        ),
        (
            "test",
            spoor_in(
                dir.path(),
                &[
                    "test",
                    "r.yar",
                    "--malicious",
                    &sample,
                    "--benign",
                    "sysmon.ndjson",
                ],
            ),
        ),
        (
            "extract",
            spoor_in(
                dir.path(),
                &["extract", "-f", "text", "sysmon.ndjson", "missing{title}"],
            ),
        ),
        (
            "analyze",
            analyze(dir.path(), "out", &[&sample], &["sysmon.ndjson"]),
        ),
    ];
    for (what, out) in &runs {
        assert!(
            !out.stdout.is_empty() || *what == "analyze",
            "{what} wrote nothing"
        );
        assert!(
            !has_control(&out.stdout),
            "{what} stdout: {:?}",
            text(&out.stdout)
        );
        assert!(
            !has_control(&out.stderr),
            "{what} stderr: {:?}",
            text(&out.stderr)
        );
    }
    let report = std::fs::read(dir.path().join("out/report.md")).expect("report.md");
    assert!(!has_control(&report), "report.md holds control characters");
    assert!(
        text(&report).contains("\\x1b]0;pwned\\x07"),
        "shown as escapes"
    );
}

/// Row 6: CSV cells from data never start a formula.
#[test]
fn row06_csv_cells_are_not_formulas() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in [
        ("=1+2*3.txt", "=1+2*3 http://www.example.com/a\n"),
        (
            "+x.txt",
            "=HYPERLINK(\"http://www.example.com/b\",\"click\")\n",
        ),
        ("@x.txt", "@SUM(A1) 198.51.100.7\n"),
        ("-x.txt", "-1+1 evil.example.org\n"),
    ] {
        std::fs::write(dir.path().join(name), content).expect("write");
    }
    let out = spoor_in(
        dir.path(),
        &[
            "extract",
            "-f",
            "csv",
            "--",
            "=1+2*3.txt",
            "+x.txt",
            "@x.txt",
            "-x.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let mut rows = 0;
    for record in reader.records() {
        let record = record.expect("CSV record");
        rows += 1;
        for cell in record.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a formula cell: {cell:?} in {record:?}"
            );
        }
    }
    assert!(rows >= 4, "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("'=1+2*3"),
        "neutralised, not dropped"
    );
}

fn event_count(dir: &Path, log: &str) -> (usize, Output) {
    let out = spoor_in(dir, &["events", "-f", "json", log]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("events JSON");
    (doc["events"].as_array().map_or(0, Vec::len), out)
}

/// Row 7: one bad escape or byte in a Sysmon NDJSON log costs no record.
#[test]
fn row07_bad_escapes_in_ndjson_cost_no_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original =
        std::fs::read(root().join("corpus/logs/sysmon/session-2024-03-12.ndjson")).expect("log");
    std::fs::write(dir.path().join("good.ndjson"), &original).expect("write");
    let text_log = text(&original);
    let mut lines: Vec<Vec<u8>> = text_log.lines().map(|l| l.as_bytes().to_vec()).collect();
    let bad = |line: &mut Vec<u8>, with: &[u8]| {
        let at = text(line)
            .find("\"computer_name\":\"")
            .expect("a computer name")
            + 17;
        line.splice(at..at, with.iter().copied());
    };
    bad(&mut lines[0], br"\udc80");
    bad(&mut lines[1], b"\xff");
    bad(&mut lines[2], br"\q");
    std::fs::write(dir.path().join("bad.ndjson"), lines.join(&b'\n')).expect("write");
    let (expected, _) = event_count(dir.path(), "good.ndjson");
    assert!(expected >= 30);
    let (got, out) = event_count(dir.path(), "bad.ndjson");
    assert_eq!(got, expected, "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("replaced"),
        "{}",
        text(&out.stderr)
    );
}

/// Row 8: a lone surrogate in a CAPE report costs no event.
#[test]
fn row08_a_lone_surrogate_in_a_cape_report_costs_no_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = std::fs::read_to_string(root().join("corpus/logs/cape/ashdrop_v1-report.json"))
        .expect("report");
    std::fs::write(dir.path().join("good.json"), &original).expect("write");
    // a lone low surrogate in the first process's name, a lone high one in the machine's
    let damaged = original
        .replacen("\"process_name\": \"", "\"process_name\": \"\\udc99", 1)
        .replacen("\"name\": \"win10", "\"name\": \"\\ud800win10", 1);
    assert_ne!(damaged, original);
    std::fs::write(dir.path().join("bad.json"), &damaged).expect("write");
    let (expected, _) = event_count(dir.path(), "good.json");
    assert!(expected >= 10);
    let (got, out) = event_count(dir.path(), "bad.json");
    assert_eq!(got, expected, "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("replaced"),
        "{}",
        text(&out.stderr)
    );
}

/// Row 9: input past `analyze`'s size cap is reported on stderr, with exit 1.
#[test]
fn row09_the_size_cap_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut log = "benign line\n".repeat(1000);
    log.push_str("beacon to http://late.example.com/x\n");
    std::fs::write(dir.path().join("big.log"), &log).expect("write");
    sample_named(dir.path(), "s.exe");
    let out = spoor_in(
        dir.path(),
        &[
            "analyze",
            "s.exe",
            "--logs",
            "big.log",
            "-o",
            "out",
            "--max-size",
            "4096",
            "--date",
            "2026-11-25",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("big.log") && stderr.contains("max-size"),
        "{stderr}"
    );
}

/// The techniques triage finds in `path`, as ids.
fn techniques(dir: &Path, path: &str) -> (Vec<String>, Output) {
    let out = spoor_in(dir, &["triage", "-f", "json", path]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("triage JSON");
    let ids = doc[0]["techniques"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["id"].as_str().map(str::to_string))
        .collect();
    (ids, out)
}

/// Row 10: junk strings padding a sample do not push its real strings out.
#[test]
fn row10_padding_does_not_push_real_strings_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = sample_named(dir.path(), "plain.exe");
    let mut data = std::fs::read(&plain).expect("sample");
    // Words that pass the junk filter, unique, in the overlay at the end; and the same
    // words in UTF-16 before... nothing: the real strings are where the compiler put them.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa"];
    for _ in 0..260_000 {
        let mut word = String::from("Pad");
        for _ in 0..4 {
            word.push_str(syllables[(next() % 10) as usize]);
        }
        word.push_str(&format!("{}", next() % 100_000));
        data.extend_from_slice(word.as_bytes());
        data.push(0);
    }
    std::fs::write(dir.path().join("padded.exe"), &data).expect("write");
    let (expected, _) = techniques(dir.path(), "plain.exe");
    let (got, out) = techniques(dir.path(), "padded.exe");
    assert!(!expected.is_empty());
    for id in &expected {
        assert!(
            got.contains(id),
            "{id} lost to padding: {got:?} vs {expected:?}"
        );
    }
    // the cap is said on stderr, with exit 1
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not listed"),
        "{}",
        text(&out.stderr)
    );
}

/// Row 11: `-o` refuses FIFOs and sockets (and devices) and leaves them as they are.
#[cfg(unix)]
#[test]
fn row11_output_to_a_fifo_or_socket_is_refused() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("in.txt"), "http://www.example.com/x\n").expect("write");
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let socket = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("socket");
    for (target, is_kind) in [
        (
            "fifo",
            &(|t: std::fs::FileType| t.is_fifo()) as &dyn Fn(std::fs::FileType) -> bool,
        ),
        ("sock", &|t: std::fs::FileType| t.is_socket()),
    ] {
        let out = spoor_in(dir.path(), &["extract", "in.txt", "-o", target]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{target}: {}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("not a regular file"));
        let t = std::fs::symlink_metadata(dir.path().join(target))
            .expect("still there")
            .file_type();
        assert!(is_kind(t), "{target} was replaced");
    }
}

/// Row 12: bidirectional overrides are shown as escapes; process-id cycles and chains
/// deeper than the depth limit keep every process in the tree.
#[test]
fn row12_overrides_cycles_and_deep_chains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spoofed = "invoice\u{202e}fdp.exe";
    sample_named(dir.path(), spoofed);
    let out = spoor_in(dir.path(), &["triage", spoofed]);
    assert!(!text(&out.stdout).contains('\u{202e}'));
    assert!(text(&out.stdout).contains("invoice\\u{202e}fdp.exe"));

    // a cycle (100 ↔ 200) and a chain of 300 (1000 → 1001 → ...)
    let mut lines = vec![
        process(1, 100, 200, r"C:\a.exe", "a.exe"),
        process(2, 200, 100, r"C:\b.exe", "b.exe"),
    ];
    for i in 0..300u64 {
        lines.push(process(
            10 + i,
            1000 + i + 1,
            1000 + i,
            r"C:\c.exe",
            "c.exe",
        ));
    }
    write_log(dir.path(), "tree.ndjson", &lines);
    let out = spoor_in(dir.path(), &["events", "-f", "json", "tree.ndjson"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("events JSON");
    fn count(nodes: &Value, pids: &mut Vec<u64>) {
        for n in nodes.as_array().into_iter().flatten() {
            pids.extend(n["pid"].as_u64());
            count(&n["children"], pids);
        }
    }
    let mut pids = Vec::new();
    count(&doc["findings"]["process_tree"], &mut pids);
    pids.sort();
    pids.dedup();
    for pid in [100, 200, 1000, 1150, 1300] {
        assert!(pids.contains(&pid), "process {pid} vanished");
    }
    assert_eq!(pids.len(), 2 + 301, "every process once: {pids:?}");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cycle") && stderr.contains("deeper"),
        "{stderr}"
    );
}

/// Row 13: a killed `analyze` leaves the output folder as it was (never a mix of old and
/// new files), and the next run removes what the killed one left behind.
#[cfg(unix)]
#[test]
fn row13_a_killed_analyze_leaves_no_mix_and_no_leftovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    sample_named(dir.path(), "s.exe");
    let first = analyze(dir.path(), "out", &["s.exe"], &[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    // mark the first run's files, so a mix can be seen
    let out = dir.path().join("out");
    let names: Vec<PathBuf> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file())
        .collect();
    for name in &names {
        let mut data = std::fs::read(name).expect("read");
        data.extend_from_slice(b"\nOLD RUN\n");
        std::fs::write(name, data).expect("mark");
    }
    // a second run, killed as soon as it has written its first file
    let mut child = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["analyze", "-o", "out", "--date", "2026-11-25", "s.exe"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let started = std::time::Instant::now();
    loop {
        let wrote = std::fs::read_dir(dir.path())
            .expect("dir")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".spoor-tmp-"))
            || !std::fs::read(out.join("iocs.json"))
                .unwrap_or_default()
                .ends_with(b"OLD RUN\n");
        if wrote || started.elapsed() > std::time::Duration::from_secs(120) {
            break;
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    let old: Vec<bool> = names
        .iter()
        .map(|n| std::fs::read(n).unwrap_or_default().ends_with(b"OLD RUN\n"))
        .collect();
    assert!(
        old.iter().all(|&o| o) || old.iter().all(|&o| !o),
        "old and new files mixed: {names:?} {old:?}"
    );
    // a planted leftover of a process that is gone, and the killed run's
    std::fs::create_dir(dir.path().join(".out.spoor-tmp-999999999-x")).expect("plant");
    let again = analyze(dir.path(), "out", &["s.exe"], &[]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("spoor-tmp") || n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    let in_out: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(
        in_out.is_empty(),
        "temporary files in the output: {in_out:?}"
    );
}

/// Row 14: an output path that is a planted symbolic link does not give the new file the
/// target's mode bits (setuid included).
#[cfg(unix)]
#[test]
fn row14_a_planted_symlink_does_not_lend_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("in.txt"), "http://www.example.com/x\n").expect("write");
    let target = dir.path().join("target");
    std::fs::write(&target, "precious\n").expect("write");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o4777)).expect("chmod");
    std::os::unix::fs::symlink(&target, dir.path().join("out.json")).expect("symlink");
    let out = spoor_in(dir.path(), &["extract", "in.txt", "-o", "out.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::symlink_metadata(dir.path().join("out.json")).expect("out");
    assert!(written.file_type().is_file());
    assert_eq!(written.permissions().mode() & 0o7777, 0o644);
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "precious\n"
    );
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

/// Runs the browser headless on `page`, writing its network log; returns the dumped DOM.
fn browse(browser: &Path, page: &Path, net_log: &Path) -> String {
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
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", net_log.display()))
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
    let started = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("the browser did not finish in two minutes");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    reader.join().expect("reader")
}

/// The URLs of the documentation address the hostile inputs point at, from the network log.
fn requests_to(net_log: &Path, host: &str) -> Vec<String> {
    let log = std::fs::read_to_string(net_log).unwrap_or_default();
    let mut urls: Vec<String> = log
        .match_indices(host)
        .map(|(at, _)| {
            let start = log[..at].rfind('"').map_or(at, |q| q + 1);
            let end = log[at..].find('"').map_or(log.len(), |q| at + q);
            log[start..end].to_string()
        })
        .filter(|u| u.starts_with("http"))
        .collect();
    urls.sort();
    urls.dedup();
    urls
}

/// The rendered-Markdown check: report.md of hostile inputs, turned into HTML by a
/// CommonMark renderer that passes raw HTML through, loads in headless Chromium without
/// running a script or fetching anything. A control page with the same payloads unescaped
/// shows that the check can fail.
#[test]
fn rendered_report_markdown_runs_nothing_and_fetches_nothing() {
    let Some(browser) = find_browser() else {
        assert!(
            std::env::var_os("SPOOR_REQUIRE_BROWSER").is_none(),
            "SPOOR_REQUIRE_BROWSER is set but no Chromium was found"
        );
        eprintln!("skipped: no Chromium on PATH (set SPOOR_BROWSER to its path)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let markdown = analyze_hostile_markdown(dir.path());
    let render = |md: &str, name: &str| {
        let parser = pulldown_cmark::Parser::new_ext(md, pulldown_cmark::Options::ENABLE_TABLES);
        let mut html =
            String::from("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>");
        pulldown_cmark::html::push_html(&mut html, parser);
        html.push_str("</body></html>");
        let page = dir.path().join(name);
        std::fs::write(&page, html).expect("write page");
        page
    };
    let control = render(
        "# control\n\n<img src=\"http://203.0.113.9/pixel.png\">\n\n\
         <img src=x onerror=\"document.body.setAttribute('data-pwned',1)\">\n",
        "control.html",
    );
    let control_log = dir.path().join("control-net.json");
    let control_dom = browse(&browser, &control, &control_log);
    assert!(
        control_dom.contains("data-pwned=\"1\"")
            && !requests_to(&control_log, "203.0.113.9").is_empty(),
        "the control page's script and fetch are not seen: the check could not fail"
    );
    let page = render(&markdown, "report.html");
    let net_log = dir.path().join("net.json");
    let dom = browse(&browser, &page, &net_log);
    assert!(dom.contains("Remediation"), "the report rendered");
    assert!(!dom.contains("data-pwned=\"1\""), "a script from data ran");
    let requests = requests_to(&net_log, "203.0.113.9");
    assert!(
        requests.is_empty(),
        "the rendered report fetched: {requests:?}"
    );
}

/// Row 13, an interrupt: SIGTERM (or Ctrl-C) while `extract` has spilled indicators to
/// temporary files removes them before the process exits with 130; a later run removes
/// the spill folder of a process that is gone.
#[cfg(unix)]
#[test]
fn row13_an_interrupt_removes_the_spilled_runs() {
    use std::io::Write;
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["extract", "--memory-limit", "64K", "--temp-dir"])
        .arg(tmp.path())
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    // distinct domains, in several chunks, so that the set spills; stdin stays open
    let spilled = |dir: &std::path::Path| {
        std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".spoor-tmp-"))
    };
    let started = std::time::Instant::now();
    let mut n = 0u32;
    while !spilled(tmp.path()) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "no spill folder appeared"
        );
        let mut chunk = String::new();
        for _ in 0..20_000 {
            n += 1;
            chunk.push_str(&format!("host{n}.example.com\n"));
        }
        stdin.write_all(chunk.as_bytes()).expect("feed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let out = child.wait_with_output().expect("wait");
    drop(stdin);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("interrupted"),
        "{}",
        text(&out.stderr)
    );
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // the spill folder of a process that is gone goes at the next spill
    std::fs::create_dir(tmp.path().join(".spoor-tmp-999999999-iocs-x")).expect("plant");
    let mut input = String::new();
    for i in 0..40_000 {
        input.push_str(&format!("again{i}.example.net\n"));
    }
    let path = tmp.path().join("in.txt");
    std::fs::write(&path, input).expect("write");
    let again = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["extract", "--memory-limit", "64K", "--temp-dir"])
        .arg(tmp.path())
        .arg(&path)
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    let left: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "in.txt")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Row 5, line breaks: a benign file whose name holds a line break and a forged verdict
/// line is shown on one line of `spoor test`'s output, escaped, and warnings about it keep
/// their continuation lines indented.
#[cfg(unix)]
#[test]
fn row05_a_line_break_in_a_file_name_forges_no_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let benign = dir.path().join("benign");
    std::fs::create_dir(&benign).expect("mkdir");
    let forged = "x\nPASS: 0 false positives (limit 0)\n";
    std::fs::write(benign.join(forged), b"zq-benign-marker-qz").expect("write");
    std::fs::write(
        dir.path().join("r.yar"),
        "rule marker { strings: $a = \"zq-benign-marker-qz\" condition: $a }",
    )
    .expect("rule");
    let out = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["test", "r.yar", "--benign", "benign"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    assert!(
        !stdout.lines().any(|l| l.starts_with("PASS")),
        "a forged line: {stdout}"
    );
    assert!(stdout.contains("x\\nPASS"), "{stdout}");
    for line in text(&out.stderr).lines() {
        assert!(
            line.starts_with("spoor: ") || line.starts_with("  "),
            "a stderr line of its own: {line:?}"
        );
    }
}

/// Row 5, `goodware info`: the header of an index is text from whoever built it (the paths
/// given to `goodware build`); control characters and line breaks in it are shown escaped.
#[cfg(unix)]
#[test]
fn row05_goodware_info_shows_the_header_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = "set\x1b]0;pwned\x07\nupdated     1999-01-01";
    let set = dir.path().join(name);
    std::fs::create_dir(&set).expect("mkdir");
    std::fs::write(set.join("a.bin"), b"\x00some goodware text\x00").expect("write");
    let built = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["goodware", "build", "--date", "2026-12-04", "-o", "g.idx"])
        .arg(name)
        .current_dir(dir.path())
        .output()
        .expect("build");
    assert_eq!(built.status.code(), Some(0), "{}", text(&built.stderr));
    let info = Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(["goodware", "info", "g.idx"])
        .current_dir(dir.path())
        .output()
        .expect("info");
    let out = text(&info.stdout);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("updated")).count(),
        1,
        "{out}"
    );
    assert!(out.contains("set\\x1b]0;pwned\\x07\\nupdated"), "{out}");
}
