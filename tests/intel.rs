//! `--intel` end to end, with feeds written by the tests (a CSV list, a MISP feed folder, a
//! STIX 2.1 bundle): `analyze --intel` on the corpus marks the feeds' indicators in every
//! output (IOC JSON, triage JSON, STIX, MISP, Markdown and HTML report), and `extract`,
//! `triage` and `events` mark them too; indicators no feed names stay unmarked.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn spoor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spoor"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run spoor")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes the three test feeds into `dir`; returns their paths.
fn feeds(dir: &Path) -> Vec<String> {
    let csv = dir.join("team.csv");
    std::fs::write(
        &csv,
        "value,tags,first_seen,threat_level\n\
         198.51.100.0/24,c2;botnet,2026-09-01,high\n\
         fetchbird.example.net,downloader,2026-08-15,medium\n\
         fbird_mtx_v2,mutex\n",
    )
    .unwrap();
    let folder = dir.join("casefeed");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("manifest.json"), "{}").unwrap();
    std::fs::write(
        folder.join("5f0c2a1e-0000-4000-8000-000000000001.json"),
        r#"{"Event":{"info":"Lockjaw campaign","date":"2026-07-01","threat_level_id":"1",
            "Tag":[{"name":"tlp:amber"}],
            "Attribute":[{"type":"email-dst","value":"restore@lockjaw.example.net",
                          "Tag":[{"name":"ransom-contact"}]},
                         {"type":"domain|ip","value":"pay.lockjaw.example.com|192.0.2.201"}]}}"#,
    )
    .unwrap();
    let bundle = dir.join("partner.json");
    std::fs::write(
        &bundle,
        r#"{"type":"bundle","id":"bundle--5f0c2a1e-0000-4000-8000-000000000002","objects":[
            {"type":"indicator","spec_version":"2.1",
             "id":"indicator--5f0c2a1e-0000-4000-8000-000000000003",
             "created":"2026-06-01T00:00:00.000Z","modified":"2026-06-01T00:00:00.000Z",
             "pattern":"[url:value = 'http://collect.magpie.example.net/upload.php']",
             "pattern_type":"stix","valid_from":"2026-06-01T00:00:00Z",
             "labels":["stealer-exfil"]}]}"#,
    )
    .unwrap();
    [csv, folder, bundle]
        .iter()
        .map(|p| p.to_str().expect("utf-8 temp path").to_string())
        .collect()
}

/// What the feeds must mark: (value, feed).
const MARKED: &[(&str, &str)] = &[
    ("198.51.100.9", "team"),                    // burrow, in the /24
    ("files.fetchbird.example.net", "team"),     // subdomain
    ("restore@lockjaw.example.net", "casefeed"), // exact
    ("192.0.2.201", "casefeed"),                 // a domain|ip part
    ("http://collect.magpie.example.net/upload.php", "partner"), // STIX pattern
];

#[test]
fn analyze_marks_the_feeds_indicators_in_every_output() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let feeds = feeds(tmp.path());
    let out = tmp.path().join("out");
    let mut args = vec![
        "analyze",
        "corpus/malicious",
        "-o",
        out.to_str().unwrap(),
        "--date",
        "2026-11-25",
        "--intel",
    ];
    args.extend(feeds.iter().map(String::as_str));
    let run = spoor(&args);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    // IOC JSON: the feeds' indicators carry `intel`, the others do not.
    let iocs: Value = serde_json::from_str(&read(&out.join("iocs.json"))).unwrap();
    let list = iocs["iocs"].as_array().expect("iocs");
    for (value, feed) in MARKED {
        let ioc = list
            .iter()
            .find(|i| i["value"] == *value)
            .unwrap_or_else(|| panic!("{value} in iocs.json"));
        let feeds: Vec<&str> = ioc["intel"]
            .as_array()
            .unwrap_or_else(|| panic!("{value} has no intel"))
            .iter()
            .filter_map(|h| h["feed"].as_str())
            .collect();
        assert!(feeds.contains(feed), "{value}: {feeds:?}");
    }
    let unmarked = list
        .iter()
        .find(|i| i["value"] == "cdn.ashdrop.example.com")
        .expect("ashdrop's domain");
    assert!(unmarked.get("intel").is_none(), "{unmarked}");
    let lockjaw = list
        .iter()
        .find(|i| i["value"] == "restore@lockjaw.example.net")
        .unwrap();
    let hit = &lockjaw["intel"][0];
    assert_eq!(hit["threat_level"], "high");
    assert_eq!(hit["first_seen"], "2026-07-01");
    let tags: Vec<&str> = hit["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(tags, ["tlp:amber", "ransom-contact"]);
    let burrow = list.iter().find(|i| i["value"] == "198.51.100.9").unwrap();
    assert_eq!(burrow["intel"][0]["matched"], "198.51.100.0/24");

    // Triage JSON: the samples' own indicators too.
    let triage = read(&out.join("triage.json"));
    assert!(triage.contains("\"intel\""), "triage.json marks indicators");

    // STIX: the indicator's description and labels name the feed.
    let bundle: Value = serde_json::from_str(&read(&out.join("bundle.stix.json"))).unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    for (value, feed) in MARKED {
        let ind = objects
            .iter()
            .find(|o| {
                o["type"] == "indicator"
                    && o["pattern"]
                        .as_str()
                        .is_some_and(|p| p.contains(&format!("'{value}'")))
            })
            .unwrap_or_else(|| panic!("{value}: STIX indicator"));
        let labels = ind["labels"].to_string();
        assert!(
            labels.contains(&format!("intel:{feed}")),
            "{value}: {labels}"
        );
        assert!(
            ind["description"]
                .as_str()
                .unwrap()
                .contains("Known to intel"),
            "{value}"
        );
    }

    // MISP: the attribute's tags and comment name the feed.
    let event: Value = serde_json::from_str(&read(&out.join("event.misp.json"))).unwrap();
    let attributes = event["Event"]["Attribute"].as_array().unwrap();
    for (value, feed) in MARKED {
        let a = attributes
            .iter()
            .find(|a| {
                a["value"]
                    .as_str()
                    .is_some_and(|v| v == *value || v.starts_with(&format!("{value}|")))
            })
            .unwrap_or_else(|| panic!("{value}: MISP attribute"));
        assert!(
            a["Tag"]
                .to_string()
                .contains(&format!("spoor-intel:feed=\\\"{feed}\\\"")),
            "{value}: {}",
            a["Tag"]
        );
        assert!(a["comment"].as_str().unwrap().contains("known to intel"));
    }

    // Report: the IOC table says which entry matched, defanged; the overview counts them.
    let md = read(&out.join("report.md"));
    assert!(md.contains("known to the intelligence feeds given (casefeed, partner, team)"));
    assert!(md.contains("known to team (matched 198\\[.\\]51\\[.\\]100\\[.\\]0/24"));
    let html = read(&out.join("report.html"));
    assert!(html.contains("known to casefeed"));
    // What the feeds matched is quoted defanged (the rules block is another matter).
    for text in [&md, &html] {
        for line in text.lines().filter(|l| l.contains("known to")) {
            assert!(
                !line.contains("http://") && !line.contains("https://"),
                "{line}"
            );
        }
    }
    assert!(
        md.contains("known to partner (matched hxxp\\[\\://\\]collect\\[.\\]magpie"),
        "the STIX pattern's URL, defanged"
    );
}

#[test]
fn extract_triage_and_events_mark_indicators_too() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let feeds = feeds(tmp.path());
    let with = |args: Vec<&str>| {
        let mut args: Vec<String> = args.into_iter().map(str::to_string).collect();
        args.push("--intel".to_string());
        args.extend(feeds.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = spoor(&args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let json = with(vec![
        "extract",
        "-f",
        "json",
        "corpus/malicious/lockjaw/lockjaw_v1_x64.exe",
    ]);
    assert!(json.contains("\"feed\":\"casefeed\""), "{json}");
    let text = with(vec![
        "extract",
        "-f",
        "text",
        "corpus/malicious/burrow/burrow_v1_x86_64",
    ]);
    assert!(
        text.lines()
            .any(|l| l.starts_with("ipv4\t198.51.100.9\tknown to team")),
        "{text}"
    );
    let triage = with(vec!["triage", "corpus/malicious/magpie/magpie_v1_x64.exe"]);
    assert!(triage.contains("known to partner"), "{triage}");
    let events = with(vec![
        "events",
        "-f",
        "json",
        "corpus/logs/cape/fetchbird_v2-report.json",
    ]);
    let doc: Value = serde_json::from_str(&events).expect("events JSON");
    let iocs = doc["findings"]["iocs"].as_array().expect("iocs");
    let mutex = iocs
        .iter()
        .find(|i| i["value"] == "fbird_mtx_v2")
        .expect("the mutex in the log's indicators");
    assert_eq!(mutex["intel"][0]["feed"], "team", "{mutex}");
    let domain = iocs
        .iter()
        .find(|i| i["value"] == "cdn.fetchbird.example.com")
        .expect("the domain in the log's indicators");
    assert!(
        domain.get("intel").is_none(),
        "a .com the feeds do not name: {domain}"
    );
}

#[test]
fn an_unreadable_feed_is_an_error_naming_it() {
    let out = spoor(&["extract", "--intel", "no-such-feed.csv", "README.md"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-such-feed.csv"), "{err}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, "{\"not\": \"a feed\"}").unwrap();
    let out = spoor(&["extract", "--intel", bad.to_str().unwrap(), "README.md"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("neither a MISP event nor a STIX 2.1 bundle"),
        "{err}"
    );
}

#[test]
fn warning_lists_flag_known_benign_indicators_and_keep_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The shipped lists: a public resolver is flagged, a documentation address is not.
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "resolver 8.8.8.8, then beacon to 203.0.113.5\n").unwrap();
    let out = spoor(&[
        "extract",
        "-f",
        "json",
        text.to_str().unwrap(),
        "--warninglists",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let iocs = doc["iocs"].as_array().expect("iocs");
    let dns = iocs.iter().find(|i| i["value"] == "8.8.8.8").expect("kept");
    assert_eq!(
        dns["intel"][0]["feed"], "warninglist:public-dns-v4",
        "{dns}"
    );
    assert_eq!(dns["intel"][0]["tags"][0], "known-benign");
    let c2 = iocs
        .iter()
        .find(|i| i["value"] == "203.0.113.5")
        .expect("c2");
    assert!(c2.get("intel").is_none(), "{c2}");

    // A folder of newer lists in the upstream layout, and the report's explanation.
    let lists = tmp.path().join("lists");
    std::fs::create_dir_all(lists.join("docs-range")).unwrap();
    std::fs::write(
        lists.join("docs-range/list.json"),
        r#"{"name":"Documentation range","description":"TEST-NET-2","type":"cidr",
            "list":["198.51.100.0/24"]}"#,
    )
    .unwrap();
    let out_dir = tmp.path().join("out");
    let run = spoor(&[
        "analyze",
        "corpus/malicious/burrow",
        "-o",
        out_dir.to_str().unwrap(),
        "--date",
        "2026-11-25",
        "--warninglists",
        lists.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let md = read(&out_dir.join("report.md"));
    assert!(
        md.contains("on the known-benign warning list docs-range (matched 198\\[.\\]51\\[.\\]100\\[.\\]0/24)"),
        "the IOC table marks it"
    );
    assert!(
        md.contains("on known-benign warning lists (docs-range)"),
        "the overview explains"
    );
    let iocs: Value = serde_json::from_str(&read(&out_dir.join("iocs.json"))).unwrap();
    assert!(
        iocs["iocs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["value"] == "198.51.100.9"
                && i["intel"][0]["feed"] == "warninglist:docs-range")
    );
}
