//! `--intel` end to end, with feeds written by the tests (a CSV list, a MISP feed folder, a
//! STIX 2.1 bundle): `analyze --intel` on the corpus marks the feeds' indicators in every
//! output (IOC JSON, triage JSON, STIX, MISP, Markdown and HTML report), and `extract`,
//! `triage` and `events` mark them too; indicators no feed names stay unmarked.
//!
//! Compiled stores (`spoor intel build`): built from generated feeds of every shape, a
//! memory-mapped store answers every lookup (hits, misses, case variants, subdomains,
//! addresses in ranges, URLs under prefixes) exactly as the store read from the feeds does,
//! alone or mixed with feeds; the same feeds give the same bytes; the CLI's outputs with a
//! compiled store equal those with the feeds.

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

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const TLDS: [&str; 3] = ["example.com", "example.net", "example.org"];

/// Mixed case for some values: feeds write what they like.
fn casing(rng: &mut Rng, v: &str) -> String {
    match rng.below(4) {
        0 => v.to_ascii_uppercase(),
        1 => v
            .char_indices()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect(),
        _ => v.to_string(),
    }
}

/// One generated value of every shape the store matches, and queries around it.
fn generated_value(rng: &mut Rng, i: u64) -> (String, Vec<(spoor::IocKind, String)>) {
    use spoor::IocKind::*;
    let d = format!("h{:x}.{}", rng.below(400), TLDS[(i % 3) as usize]);
    let a = rng.below(256);
    let b = rng.below(256);
    match i % 13 {
        0 => (
            format!("198.51.100.{a}"),
            vec![
                (Ipv4, format!("198.51.100.{a}")),
                (Ipv4, format!("198.51.100.{b}")),
            ],
        ),
        1 => {
            let len = [8, 16, 20, 24, 28, 30, 32][rng.below(7) as usize];
            (
                format!("203.0.{a}.0/{len}"),
                vec![
                    (Ipv4, format!("203.0.{a}.{b}")),
                    (Ipv4, format!("203.1.{a}.{b}")),
                    (Url, format!("http://203.0.{a}.{b}:8080/x")),
                ],
            )
        }
        2 => {
            let len = [32, 40, 48, 64, 96, 128][rng.below(6) as usize];
            (
                format!("2001:db8:{a:x}::/{len}"),
                vec![
                    (Ipv6, format!("2001:db8:{a:x}::{b:x}")),
                    (Ipv6, format!("2001:DB8:{a:x}:1::{b:x}")),
                    (Ipv6, format!("2001:db9:{a:x}::1")),
                    (Url, format!("https://[2001:db8:{a:x}::{b:x}]/p")),
                ],
            )
        }
        3 => (
            format!("::ffff:192.0.2.{a}/{}", 120 + rng.below(9)),
            vec![
                (Ipv4, format!("192.0.2.{b}")),
                (Ipv6, format!("::ffff:192.0.2.{b}")),
            ],
        ),
        4 | 5 => (
            d.clone(),
            vec![
                (Domain, d.clone()),
                (Domain, format!("cdn.{}", d.to_ascii_uppercase())),
                (Domain, format!("x{d}")),
                (Domain, TLDS[(i % 3) as usize].to_string()),
                (Email, format!("ops@mail.{d}")),
                (Url, format!("http://www.{d}/a?b=c")),
            ],
        ),
        6 => (
            format!("*.{d}"),
            vec![(Domain, format!("a.b.{d}")), (Domain, d.clone())],
        ),
        7 => (
            format!(".{d}"),
            vec![(Domain, format!("z.{d}")), (Domain, format!("{d}."))],
        ),
        8 => {
            let p = format!("http://{d}/g{a}/");
            (
                format!("{p}*"),
                vec![
                    (Url, format!("{p}x.php?id={b}")),
                    (Url, p.to_ascii_uppercase()),
                    (Url, format!("http://{d}/g{a}")),
                    (Url, format!("http://{d}/g{a}x/")),
                ],
            )
        }
        9 => {
            let u = format!("https://{d}/payload{a}.bin");
            (u.clone(), vec![(Url, u.clone()), (Url, format!("{u}?q=1"))])
        }
        10 => {
            let mut r = Rng(i * 7919 + 1);
            let h: String = (0..4).map(|_| format!("{:016x}", r.next())).collect();
            (
                h.clone(),
                vec![(Sha256, h.clone()), (Sha256, h.replace('a', "b"))],
            )
        }
        11 => {
            let e = format!("u{a}@{d}");
            (
                e.clone(),
                vec![(Email, e.clone()), (Email, format!("v{a}@{d}"))],
            )
        }
        _ => {
            let m = format!("mtx_{a}_{b}");
            (
                m.clone(),
                vec![(FilePath, m.clone()), (Md5, m.to_ascii_uppercase())],
            )
        }
    }
}

/// Writes generated feeds of every format into `dir`: a CSV list, a MISP event with
/// composite attributes and tags, a STIX bundle (values repeat across feeds with other
/// metadata); returns their paths and the queries to ask.
fn generated_feeds(dir: &Path, n: u64) -> (Vec<PathBuf>, Vec<(spoor::IocKind, String)>) {
    let mut rng = Rng(0x1f2e_3d4c);
    let mut csv = String::from("value,tags,first_seen,threat_level\n");
    let mut attributes = Vec::new();
    let mut indicators = Vec::new();
    let mut queries = Vec::new();
    for i in 0..n {
        let (value, q) = generated_value(&mut rng, i);
        queries.extend(q);
        queries.push((spoor::IocKind::Domain, format!("miss{i}.example.org")));
        let written = casing(&mut rng, &value);
        match rng.below(3) {
            0 => csv.push_str(&format!(
                "{written},{},2026-0{}-01,{}\n",
                ["c2", "c2;botnet", "", "dl|stealer"][rng.below(4) as usize],
                1 + rng.below(9),
                ["high", "2", "low", ""][rng.below(4) as usize]
            )),
            1 => {
                let kind = if rng.below(2) == 0 {
                    "domain|ip"
                } else {
                    "text"
                };
                let v = if kind == "domain|ip" {
                    format!("{written}|192.0.2.{}", rng.below(256))
                } else {
                    written.clone()
                };
                attributes.push(serde_json::json!({
                    "type": kind, "value": v,
                    "Tag": [{"name": format!("t{}", rng.below(5))}],
                    "first_seen": if rng.below(2) == 0 { Value::Null } else { "2026-05-05".into() }
                }));
            }
            _ => indicators.push(serde_json::json!({
                "type": "indicator", "spec_version": "2.1",
                "id": format!("indicator--5f0c2a1e-0000-4000-8000-{i:012}"),
                "pattern": format!("[x-value:value = '{}']", written.replace('\'', "\\'")),
                "pattern_type": "stix", "valid_from": "2026-06-01T00:00:00Z",
                "labels": ["partner"]
            })),
        }
        // Some values twice, in another feed.
        if rng.below(10) == 0 {
            csv.push_str(&format!("{value},again\n"));
        }
    }
    let csv_path = dir.join("team.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let misp = dir.join("casefeed.json");
    std::fs::write(
        &misp,
        serde_json::json!({"Event": {"info": "Generated event", "date": "2026-07-01",
            "threat_level_id": "1", "Tag": [{"name": "tlp:amber"}],
            "Attribute": attributes}})
        .to_string(),
    )
    .unwrap();
    let stix = dir.join("partner.json");
    std::fs::write(
        &stix,
        serde_json::json!({"type": "bundle",
            "id": "bundle--5f0c2a1e-0000-4000-8000-000000000002", "objects": indicators})
        .to_string(),
    )
    .unwrap();
    (vec![csv_path, misp, stix], queries)
}

fn compile(paths: &[PathBuf]) -> Vec<u8> {
    let (store, warnings) = spoor::intel::feeds::load(paths).expect("feeds");
    assert!(warnings.is_empty(), "{warnings:?}");
    let mut bytes = Vec::new();
    spoor::intel::compiled::write(&store, &mut bytes).expect("compile");
    bytes
}

#[test]
fn a_compiled_store_gives_exactly_the_hits_of_its_feeds() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (paths, queries) = generated_feeds(tmp.path(), 3000);
    let (feeds, _) = spoor::intel::feeds::load(&paths).expect("feeds");
    let bytes = compile(&paths);
    assert_eq!(bytes, compile(&paths), "the same feeds give the same bytes");
    let file = tmp.path().join("all.intel");
    std::fs::write(&file, &bytes).unwrap();
    let (mapped, warnings) = spoor::intel::feeds::load(std::slice::from_ref(&file)).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(mapped.compiled().len(), 1);
    assert_eq!(mapped.memory_entries(), 0);
    assert_eq!(mapped.entries, feeds.entries);

    // Half compiled, half read: the same again.
    let half = tmp.path().join("half.intel");
    std::fs::write(&half, compile(&paths[..2])).unwrap();
    let (mixed, _) = spoor::intel::feeds::load(&[half, paths[2].clone()]).unwrap();
    assert_eq!(mixed.entries, feeds.entries);

    let (mut hits, mut found, mut multi) = (0, 0, 0);
    for (kind, value) in &queries {
        let want = feeds.lookup(*kind, value);
        assert_eq!(mapped.lookup(*kind, value), want, "{kind:?} {value}");
        assert_eq!(mixed.lookup(*kind, value), want, "mixed: {kind:?} {value}");
        assert_eq!(mapped.contains(*kind, value), !want.is_empty(), "{value}");
        let exact = feeds.lookup_exact(value);
        assert_eq!(mapped.lookup_exact(value), exact, "exact {value}");
        hits += want.len();
        found += !want.is_empty() as usize;
        multi += (want.len() > 1) as usize;
    }
    // The queries are real-shaped: many found (some by several entries), many not.
    assert!(found > queries.len() / 4, "{found} of {}", queries.len());
    assert!(
        found < queries.len() * 3 / 4,
        "{found} of {}",
        queries.len()
    );
    assert!(multi > 50 && hits > found, "{multi} {hits}");
    assert_eq!(mapped.compiled()[0].damaged(), 0);
}

#[test]
fn the_cli_gives_the_same_outputs_with_a_compiled_store() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let feeds = feeds(tmp.path());
    let store = tmp.path().join("team.intel");
    let mut args = vec!["intel", "build", "-o", store.to_str().unwrap()];
    args.extend(feeds.iter().map(String::as_str));
    let build = spoor(&args);
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    assert!(String::from_utf8_lossy(&build.stderr).contains("7 entries"));
    let run = |intel: &[&str]| {
        let mut args = vec![
            "extract",
            "-f",
            "json",
            "corpus/malicious/lockjaw/lockjaw_v1_x64.exe",
            "corpus/malicious/burrow/burrow_v1_x86_64",
            "corpus/malicious/magpie/magpie_v1_x64.exe",
            "--intel",
        ];
        args.extend(intel);
        let out = spoor(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let with_feeds = run(&feeds.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(with_feeds.contains("\"feed\":\"casefeed\""), "{with_feeds}");
    assert_eq!(run(&[store.to_str().unwrap()]), with_feeds);
    // Mixed: the store and one feed again (hits are not repeated).
    assert_eq!(run(&[store.to_str().unwrap(), &feeds[0]]), with_feeds);

    // CSV carries the hits in its intel column (before the ports, the last).
    let out = spoor(&[
        "extract",
        "-f",
        "csv",
        "corpus/malicious/burrow/burrow_v1_x86_64",
        "--intel",
        store.to_str().unwrap(),
    ]);
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",context,intel,ports"),
        "{csv}"
    );
    let row = csv
        .lines()
        .find(|l| l.starts_with("ipv4,198.51.100.9,"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(
        row.ends_with(
            ",\"team (matched 198.51.100.0/24; tags c2, botnet; first seen 2026-09-01; \
             threat level high)\","
        ),
        "{row}"
    );
    assert!(
        csv.lines().filter(|l| l.ends_with(',')).count() > 1,
        "rows no feed knows"
    );
}
