//! Readers of the analyst's intelligence feeds, into [`Entry`]s for the [`super::Store`].
//!
//! * A **MISP feed folder** (`manifest.json` and one `<uuid>.json` event per file) or any
//!   folder of feed files: every file in it, named after the folder.
//! * A **MISP event** (`{"Event": {...}}`, or a search result `{"response": [{"Event": ...}]}`):
//!   every attribute, in objects too (composite types such as `domain|ip` or
//!   `filename|md5` give both values); tags of the event and the attribute; first seen from
//!   the attribute's `first_seen`, else the event's `date`; threat level from
//!   `threat_level_id` (1 high, 2 medium, 3 low); the feed is named after the event's `info`.
//! * A **STIX 2.1 bundle**: every `indicator`'s pattern comparisons (`[domain-name:value =
//!   '...']`, `[file:hashes.'SHA-256' = '...']`), with its `labels` and `indicator_types` as
//!   tags and `valid_from` as first seen.
//! * A **CSV or plain list**: one value per line, then optional columns separated by tabs or
//!   commas: tags (separated by `;` or `|`), first seen, threat level. `#` starts a comment;
//!   a header line starting with `value` or `indicator` is skipped. `198.51.100.0/24` is a
//!   range, `example.net` or `*.example.net` covers subdomains, a URL ending in `*` is a
//!   prefix.
//!
//! Unreadable files are errors naming the path; entries that cannot be matched (blank
//! values) are counted in a warning, never silently dropped.

use super::{Entry, Meta};
use crate::error::{Error, Warning, WarningCode};
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

/// What reading one path gave.
#[derive(Debug, Default)]
pub struct Read {
    /// Entries.
    pub entries: Vec<Entry>,
    /// Problems that did not stop the reading, naming the file, with their codes
    /// (`intel-entry-skipped`, `intel-feed-skipped`).
    pub warnings: Vec<Warning>,
}

/// A feed that could not be opened or read, naming it.
fn unreadable(path: &Path, e: &std::io::Error) -> Error {
    Error::Input {
        path: path.display().to_string(),
        message: crate::input::describe(e),
    }
}

/// A feed that was read but is not one spoor understands (the message names it).
fn intel(message: String) -> Error {
    Error::Intel { message }
}

/// Values of a feed that were skipped (the message counts them and names the feed).
pub(crate) fn entries_skipped(message: String) -> Warning {
    Warning::new(WarningCode::IntelEntrySkipped, message)
}

/// A file of a feed folder (or a warning list, or a part of a feed) that was left out.
pub(crate) fn feed_skipped(message: String) -> Warning {
    Warning::new(WarningCode::IntelFeedSkipped, message)
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .or_else(|| path.file_name())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Reads a feed file or folder. An unreadable path, or a folder with no feed file, is an
/// error naming it.
pub fn read_path(path: &Path) -> Result<Read, Error> {
    let meta = std::fs::metadata(path).map_err(|e| unreadable(path, &e))?;
    let mut out = Read::default();
    if meta.is_dir() {
        let feed = file_stem(path);
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| unreadable(path, &e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n != "manifest.json" && n != "hashes.csv")
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(intel(format!(
                "{}: no feed file in this folder",
                path.display()
            )));
        }
        for f in files {
            match read_file(&f, Some(&feed)) {
                Ok(r) => {
                    out.entries.extend(r.entries);
                    out.warnings.extend(r.warnings);
                }
                Err(e) => out.warnings.push(feed_skipped(e.to_string())),
            }
        }
        Ok(out)
    } else {
        read_file(path, None)
    }
}

/// Reads one feed file; `feed` names it (else the file's stem, or the MISP event's title).
pub fn read_file(path: &Path, feed: Option<&str>) -> Result<Read, Error> {
    let bytes = std::fs::read(path).map_err(|e| unreadable(path, &e))?;
    if bytes.starts_with(super::compiled::MAGIC) {
        return Err(intel(format!(
            "{}: a compiled intel store, not a feed (give it to --intel itself, not inside a \
             feed folder)",
            path.display()
        )));
    }
    let text = String::from_utf8_lossy(&bytes);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let name = feed.map(str::to_string).unwrap_or_else(|| file_stem(path));
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let json: Value = serde_json::from_str(trimmed)
            .map_err(|e| intel(format!("{}: not valid JSON: {e}", path.display())))?;
        let mut out = Read::default();
        if json.get("type").and_then(Value::as_str) == Some("bundle") {
            stix_bundle(&json, &name, &mut out);
        } else {
            let events: Vec<&Value> = match (&json.get("Event"), json.get("response")) {
                (Some(_), _) => vec![&json],
                (None, Some(Value::Array(list))) => list.iter().collect(),
                _ => match &json {
                    Value::Array(list) => list.iter().collect(),
                    _ => Vec::new(),
                },
            };
            let events: Vec<&Value> = events.into_iter().filter_map(|v| v.get("Event")).collect();
            if events.is_empty() {
                return Err(intel(format!(
                    "{}: neither a MISP event nor a STIX 2.1 bundle",
                    path.display()
                )));
            }
            for e in events {
                misp_event(e, feed, &name, &mut out);
            }
        }
        Ok(out)
    } else {
        Ok(list(&text, &name, path))
    }
}

fn strings_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .or_else(|| x.get("name").and_then(Value::as_str).map(str::to_string))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `1`/`2`/`3` (MISP) or a word → `high`/`medium`/`low`; anything else is no level.
fn threat_level(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    Some(
        match t.as_str() {
            "1" | "high" => "high",
            "2" | "medium" => "medium",
            "3" | "low" => "low",
            _ => return None,
        }
        .to_string(),
    )
}

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn misp_event(event: &Value, feed: Option<&str>, file: &str, out: &mut Read) {
    let name = feed
        .map(str::to_string)
        .or_else(|| text_of(event.get("info")))
        .unwrap_or_else(|| file.to_string());
    let event_tags = strings_of(event.get("Tag"));
    let date = text_of(event.get("date"));
    let level = text_of(event.get("threat_level_id")).and_then(|t| threat_level(&t));
    let mut attributes: Vec<&Value> = event
        .get("Attribute")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if let Some(objects) = event.get("Object").and_then(Value::as_array) {
        for o in objects {
            if let Some(a) = o.get("Attribute").and_then(Value::as_array) {
                attributes.extend(a.iter());
            }
        }
    }
    let mut blank = 0;
    for a in attributes {
        let Some(value) = a.get("value").and_then(Value::as_str) else {
            blank += 1;
            continue;
        };
        let mut tags = event_tags.clone();
        for t in strings_of(a.get("Tag")) {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let meta = Meta {
            feed: name.clone(),
            tags,
            first_seen: text_of(a.get("first_seen")).or_else(|| date.clone()),
            threat_level: level.clone(),
        };
        let kind = a.get("type").and_then(Value::as_str).unwrap_or("");
        // Composite types (`domain|ip`, `filename|sha256`, `ip-dst|port`): each part is a
        // value, except ports.
        let parts: Vec<&str> = if kind.contains('|') {
            value
                .split('|')
                .zip(kind.split('|'))
                .filter(|(_, k)| *k != "port")
                .map(|(v, _)| v)
                .collect()
        } else {
            vec![value]
        };
        for part in parts {
            if part.trim().is_empty() {
                blank += 1;
                continue;
            }
            out.entries.push(Entry {
                value: part.trim().to_string(),
                meta: meta.clone(),
            });
        }
    }
    if blank > 0 {
        out.warnings.push(entries_skipped(format!(
            "{name}: {blank} attribute(s) without a value were skipped"
        )));
    }
}

fn pattern_values(pattern: &str) -> Vec<String> {
    static RE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| {
            regex::Regex::new(
                r"[a-z0-9-]+:(?:value|name|hashes\.(?:'[^']+'|[A-Za-z0-9_-]+))\s*=\s*'((?:[^'\\]|\\.)*)'",
            )
            .ok()
        })
        .as_ref()
    else {
        return Vec::new();
    };
    re.captures_iter(pattern)
        .map(|c| c[1].replace("\\'", "'").replace("\\\\", "\\"))
        .collect()
}

fn stix_bundle(bundle: &Value, name: &str, out: &mut Read) {
    let Some(objects) = bundle.get("objects").and_then(Value::as_array) else {
        out.warnings.push(feed_skipped(format!(
            "{name}: a STIX bundle without objects"
        )));
        return;
    };
    let mut unreadable = 0;
    for o in objects {
        if o.get("type").and_then(Value::as_str) != Some("indicator") {
            continue;
        }
        let values = o
            .get("pattern")
            .and_then(Value::as_str)
            .map(pattern_values)
            .unwrap_or_default();
        if values.is_empty() {
            unreadable += 1;
            continue;
        }
        let mut tags = strings_of(o.get("labels"));
        tags.extend(strings_of(o.get("indicator_types")));
        let meta = Meta {
            feed: name.to_string(),
            tags,
            first_seen: text_of(o.get("valid_from")).or_else(|| text_of(o.get("created"))),
            threat_level: None,
        };
        for value in values {
            out.entries.push(Entry {
                value,
                meta: meta.clone(),
            });
        }
    }
    if unreadable > 0 {
        out.warnings.push(entries_skipped(format!(
            "{name}: {unreadable} indicator pattern(s) without a value comparison were skipped"
        )));
    }
}

fn list(text: &str, name: &str, path: &Path) -> Read {
    let mut out = Read::default();
    let mut odd = 0;
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = if line.contains('\t') {
            line.split('\t').map(str::trim).collect()
        } else {
            line.split(',').map(str::trim).collect()
        };
        let value = cols[0].trim_matches('"');
        if matches!(
            value.to_ascii_lowercase().as_str(),
            "value" | "indicator" | "ioc"
        ) {
            continue;
        }
        if value.is_empty() || value.contains(char::is_whitespace) {
            odd += 1;
            continue;
        }
        let tags = cols
            .get(1)
            .map(|t| {
                t.trim_matches('"')
                    .split([';', '|'])
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        out.entries.push(Entry {
            value: value.to_string(),
            meta: Meta {
                feed: name.to_string(),
                tags,
                first_seen: cols
                    .get(2)
                    .map(|s| s.trim_matches('"').to_string())
                    .filter(|s| !s.is_empty()),
                threat_level: cols.get(3).and_then(|s| threat_level(s.trim_matches('"'))),
            },
        });
    }
    if odd > 0 {
        out.warnings.push(entries_skipped(format!(
            "{}: {odd} line(s) without a single value were skipped",
            path.display()
        )));
    }
    out
}

/// Reads every path into one store: feeds are read and indexed in memory, compiled stores
/// (files written by `spoor intel build`, known by their magic) are memory-mapped and
/// attached. The first unreadable path is an error naming it.
pub fn load(paths: &[std::path::PathBuf]) -> Result<(super::Store, Vec<Warning>), Error> {
    let mut store = super::Store::new();
    let mut warnings = Vec::new();
    for p in paths {
        if super::compiled::is_compiled(p).map_err(|e| unreadable(p, &e))? {
            let compiled = super::Compiled::open(p).map_err(|e| match e {
                super::compiled::CompiledError::Io(e) => unreadable(p, &e),
                e => intel(format!("{}: {e}", p.display())),
            })?;
            store.attach(compiled);
            continue;
        }
        let read = read_path(p)?;
        let mut refused = 0;
        for e in &read.entries {
            if !store.add(e) {
                refused += 1;
            }
        }
        warnings.extend(read.warnings);
        if refused > 0 {
            warnings.push(entries_skipped(format!(
                "{}: {refused} value(s) that cannot be matched were skipped",
                p.display()
            )));
        }
    }
    Ok((store, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_their_codes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("missing.json");
        let e = load(std::slice::from_ref(&missing)).expect_err("missing feed");
        assert_eq!(e.code(), "input");
        assert!(
            e.to_string().starts_with(&missing.display().to_string()),
            "{e}"
        );
        let odd = dir.path().join("odd.json");
        std::fs::write(&odd, "{\"neither\": 1}").expect("write");
        let e = load(std::slice::from_ref(&odd)).expect_err("not a feed");
        assert_eq!(e.code(), "intel");
        assert!(
            e.to_string().contains("neither a MISP event nor a STIX"),
            "{e}"
        );
        // a folder without a feed file names itself
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).expect("mkdir");
        let e = read_path(&empty).map(|_| ()).expect_err("empty folder");
        assert_eq!(e.code(), "intel");
    }

    #[test]
    fn stix_patterns_give_their_values() {
        assert_eq!(
            pattern_values(
                "[domain-name:value = 'a.example.net'] OR [ipv4-addr:value = '192.0.2.1']"
            ),
            ["a.example.net", "192.0.2.1"]
        );
        assert_eq!(
            pattern_values("[file:hashes.'SHA-256' = 'abc'] AND [file:name = 'it\\'s.exe']"),
            ["abc", "it's.exe"]
        );
    }

    #[test]
    fn threat_levels() {
        assert_eq!(threat_level("1").as_deref(), Some("high"));
        assert_eq!(threat_level("Low").as_deref(), Some("low"));
        assert_eq!(threat_level("4"), None);
    }

    #[test]
    fn lists_with_columns() {
        let r = list(
            "value,tags,first_seen,threat\n198.51.100.0/24,c2;botnet,2026-01-02,high\n# c\n\nexample.net\n a b \n",
            "team",
            Path::new("team.csv"),
        );
        assert_eq!(r.entries.len(), 2);
        assert_eq!(r.entries[0].meta.tags, ["c2", "botnet"]);
        assert_eq!(r.entries[0].meta.threat_level.as_deref(), Some("high"));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert_eq!(r.warnings[0].code, WarningCode::IntelEntrySkipped);
    }

    #[test]
    fn a_bad_feed_line_gives_a_coded_warning() {
        let dir = tempfile::tempdir().expect("tempdir");
        let feed = dir.path().join("team.csv");
        std::fs::write(&feed, "198.51.100.7,c2\nnot one value\nexample.net\n").expect("write");
        let (store, warnings) = load(std::slice::from_ref(&feed)).expect("loads");
        assert_eq!(store.entries, 2);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let json = serde_json::to_value(&warnings[0]).expect("serialises");
        assert_eq!(json["code"], "intel-entry-skipped");
        assert!(
            json["message"].as_str().is_some_and(
                |m| m.ends_with("team.csv: 1 line(s) without a single value were skipped")
            ),
            "{json}"
        );
        // a file of a feed folder that is not a feed is left out, with its own code
        let folder = dir.path().join("feeds");
        std::fs::create_dir(&folder).expect("mkdir");
        std::fs::write(folder.join("a.csv"), "example.org\n").expect("write");
        std::fs::write(folder.join("b.json"), "{\"neither\": 1}").expect("write");
        let (_, warnings) = load(std::slice::from_ref(&folder)).expect("loads");
        let codes: Vec<&str> = warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, ["intel-feed-skipped"], "{warnings:?}");
    }
}
