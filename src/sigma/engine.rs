//! A loaded Sigma rule set, and matching it over a stream of records.
//!
//! Owns loading (every `.yml` / `.yaml` under the given paths, in path order; each
//! document a rule), the load figures ([`LoadReport`]: loaded, logsource not read,
//! unsupported with the feature named, invalid; per logsource), the index of runnable
//! rules by category and service, and [`Scan`]: records and events in, [`SigmaHit`]s out.

use super::record::{logsources, Record};
use super::rule::{self, LoadError, Logsource, Rule, RuleMeta};
use crate::logs::sysmon::WinEvent;
use crate::logs::{Event, LogFormat, Provenance};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};

/// Records kept per rule with their fields (all are counted).
pub const MAX_RECORDS_PER_RULE: usize = 20;

/// Longest field value kept in a hit's record.
const MAX_VALUE_CHARS: usize = 1024;

/// Rules per logsource, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogsourceCount {
    /// Rule documents with this logsource.
    pub rules: u64,
    /// Loaded and run (spoor reads the logsource, every feature is supported).
    pub run: u64,
    /// Valid, but spoor reads no records of this logsource.
    pub not_read: u64,
    /// Using a feature spoor does not run.
    pub unsupported: u64,
    /// Not valid Sigma.
    pub invalid: u64,
}

/// A rule that was not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub title: String,
    /// `unsupported` or `invalid`.
    pub kind: &'static str,
    pub reason: String,
}

/// What loading a rule set gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// Rule files read.
    pub files: u64,
    /// Rule documents in them.
    pub rules: u64,
    /// Rules run.
    pub run: u64,
    /// Valid rules whose logsource spoor does not read (other products, web proxies, ...).
    pub not_read: u64,
    /// Rules with a feature spoor does not run.
    pub unsupported: u64,
    /// Rules that are not valid Sigma (or files that are not YAML).
    pub invalid: u64,
    /// Unsupported features, with how many rules use each.
    pub features: BTreeMap<String, u64>,
    /// By logsource (`product/category/service`).
    pub logsources: BTreeMap<String, LogsourceCount>,
    /// Every unsupported or invalid rule, named.
    pub skipped: Vec<Skipped>,
}

impl LoadReport {
    /// Of the Windows rules whose logsource spoor reads, how many it runs: `(run, read)`.
    pub fn windows_share(&self) -> (u64, u64) {
        let mut run = 0;
        let mut read = 0;
        for (key, c) in &self.logsources {
            if key.starts_with("windows/") {
                run += c.run;
                read += c.rules - c.not_read;
            }
        }
        (run, read)
    }
}

/// A loaded rule set.
#[derive(Debug, Default)]
pub struct Engine {
    rules: Vec<Rule>,
    by_category: HashMap<String, Vec<usize>>,
    by_service: HashMap<String, Vec<usize>>,
    any_windows: Vec<usize>,
    /// The load figures.
    pub report: LoadReport,
}

/// Whether spoor reads records of a rule's logsource.
pub fn reads(ls: &Logsource) -> bool {
    let table = logsources();
    let product_ok = ls.product.as_deref().is_none_or(|p| p == "windows");
    if !product_ok {
        return false;
    }
    match (&ls.category, &ls.service) {
        (None, None) => ls.product.is_some(),
        (c, s) => {
            c.as_deref().is_none_or(|c| table.knows_category(c))
                && s.as_deref().is_none_or(|s| table.knows_service(s))
        }
    }
}

fn rule_files(path: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    for entry in walkdir::WalkDir::new(path)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(io::Error::other)?;
        let p = entry.path();
        let yaml = p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"));
        if entry.file_type().is_file() && yaml {
            out.push(p.to_path_buf());
        }
    }
    Ok(())
}

impl Engine {
    /// Loads every rule file under `paths` (files or directories). An unreadable path is
    /// an error; a file that is not valid YAML or not a valid rule is counted and named
    /// in the report.
    pub fn load(paths: &[PathBuf]) -> io::Result<Engine> {
        let mut files = Vec::new();
        for p in paths {
            rule_files(p, &mut files)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
        }
        let mut engine = Engine::default();
        for f in files {
            let name = f.display().to_string();
            match std::fs::read(&f) {
                Ok(bytes) => engine.add_text(&name, &String::from_utf8_lossy(&bytes)),
                Err(e) => {
                    engine.report.files += 1;
                    engine.skip(
                        &RuleMeta {
                            path: name,
                            ..RuleMeta::default()
                        },
                        "invalid",
                        format!("cannot read: {e}"),
                    );
                }
            }
        }
        Ok(engine)
    }

    /// Adds the rules of one YAML text (one rule per document).
    pub fn add_text(&mut self, path: &str, text: &str) {
        self.report.files += 1;
        let docs = match yaml_rust2::YamlLoader::load_from_str(text) {
            Ok(d) => d,
            Err(e) => {
                self.skip(
                    &RuleMeta {
                        path: path.to_string(),
                        ..RuleMeta::default()
                    },
                    "invalid",
                    format!("not YAML: {e}"),
                );
                return;
            }
        };
        for doc in docs.iter().filter(|d| !matches!(d, yaml_rust2::Yaml::Null)) {
            self.add_doc(doc, path);
        }
    }

    fn skip(&mut self, meta: &RuleMeta, kind: &'static str, reason: String) {
        self.report.rules += 1;
        let count = self
            .report
            .logsources
            .entry(meta.logsource.key())
            .or_default();
        count.rules += 1;
        if kind == "unsupported" {
            count.unsupported += 1;
            self.report.unsupported += 1;
            *self.report.features.entry(reason.clone()).or_default() += 1;
        } else {
            count.invalid += 1;
            self.report.invalid += 1;
        }
        self.report.skipped.push(Skipped {
            path: meta.path.clone(),
            id: meta.id.clone(),
            title: meta.title.clone(),
            kind,
            reason,
        });
    }

    fn add_doc(&mut self, doc: &yaml_rust2::Yaml, path: &str) {
        let meta = rule::meta(doc, path);
        match Rule::from_yaml(doc, path) {
            Err(LoadError::Unsupported(why)) => self.skip(&meta, "unsupported", why),
            Err(LoadError::Invalid(why)) => self.skip(&meta, "invalid", why),
            Ok(rule) => {
                self.report.rules += 1;
                let ls = rule.meta.logsource.clone();
                let count = self.report.logsources.entry(ls.key()).or_default();
                count.rules += 1;
                if !reads(&ls) {
                    count.not_read += 1;
                    self.report.not_read += 1;
                    return;
                }
                count.run += 1;
                self.report.run += 1;
                let index = self.rules.len();
                match (&ls.category, &ls.service) {
                    (Some(c), _) => self.by_category.entry(c.clone()).or_default().push(index),
                    (None, Some(s)) => self.by_service.entry(s.clone()).or_default().push(index),
                    (None, None) => self.any_windows.push(index),
                }
                self.rules.push(rule);
            }
        }
    }

    /// The rules run.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Calls `hit` with the index of every rule the record matches.
    pub fn match_record(&self, record: &Record, hit: &mut dyn FnMut(usize)) {
        for c in &record.categories {
            for &i in self.by_category.get(c).into_iter().flatten() {
                let rule = &self.rules[i];
                let service_ok = rule
                    .meta
                    .logsource
                    .service
                    .as_ref()
                    .is_none_or(|s| record.services.contains(s));
                if service_ok && rule.matches(record) {
                    hit(i);
                }
            }
        }
        for s in &record.services {
            for &i in self.by_service.get(s).into_iter().flatten() {
                if self.rules[i].matches(record) {
                    hit(i);
                }
            }
        }
        // product-only rules see Windows records (which have services or categories)
        if !record.services.is_empty() {
            for &i in &self.any_windows {
                if self.rules[i].matches(record) {
                    hit(i);
                }
            }
        }
    }
}

/// One record a rule matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MatchedRecord {
    /// Where the record is.
    pub provenance: Provenance,
    /// When, as the log wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The record's fields (long values cut).
    pub fields: BTreeMap<String, String>,
}

/// A rule that matched, with the records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigmaHit {
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub level: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// ATT&CK technique ids from the tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub author: String,
    /// The rule file.
    pub rule_path: String,
    /// Records matched.
    pub count: u64,
    /// The first [`MAX_RECORDS_PER_RULE`] of them.
    pub records: Vec<MatchedRecord>,
}

/// What a scan gave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SigmaResult {
    /// Rules run.
    pub rules_run: u64,
    /// Records the rules were matched against.
    pub records: u64,
    /// Rules that matched, most severe first.
    pub hits: Vec<SigmaHit>,
}

impl SigmaResult {
    /// ATT&CK techniques named by the rules that matched, with the rule titles.
    pub fn techniques(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for h in &self.hits {
            for t in &h.techniques {
                out.entry(t.clone()).or_default().push(h.title.clone());
            }
        }
        out
    }
}

/// Matching a rule set over the records of one or more logs.
pub struct Scan<'a> {
    engine: &'a Engine,
    hits: BTreeMap<usize, (u64, Vec<MatchedRecord>)>,
    records: u64,
}

fn level_rank(level: &str) -> u8 {
    match level {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        "informational" => 4,
        _ => 5,
    }
}

impl<'a> Scan<'a> {
    /// A scan with no records yet.
    pub fn new(engine: &'a Engine) -> Self {
        Scan {
            engine,
            hits: BTreeMap::new(),
            records: 0,
        }
    }

    /// Matches a raw Windows record (from the logs' record tap).
    pub fn windows(&mut self, ev: &WinEvent, provenance: &Provenance) {
        let record = Record::from_windows(ev, provenance);
        self.record(&record);
    }

    /// Matches a normalised event; events of Windows formats are skipped (their raw
    /// records come through [`Scan::windows`]).
    pub fn event(&mut self, e: &Event) {
        if matches!(
            e.provenance.format,
            LogFormat::SysmonXml | LogFormat::SysmonJson | LogFormat::Evtx
        ) {
            return;
        }
        if let Some(record) = Record::from_event(e) {
            self.record(&record);
        }
    }

    /// Matches one record.
    pub fn record(&mut self, record: &Record) {
        self.records += 1;
        let hits = &mut self.hits;
        self.engine.match_record(record, &mut |i| {
            let (count, kept) = hits.entry(i).or_default();
            *count += 1;
            if kept.len() < MAX_RECORDS_PER_RULE {
                kept.push(MatchedRecord {
                    provenance: record.provenance.clone(),
                    time: record.time.clone(),
                    fields: record
                        .fields
                        .iter()
                        .filter(|(_, v)| !v.text.is_empty())
                        .map(|(n, v)| {
                            let text = if v.text.chars().count() > MAX_VALUE_CHARS {
                                let cut: String = v.text.chars().take(MAX_VALUE_CHARS).collect();
                                format!("{cut}…")
                            } else {
                                v.text.clone()
                            };
                            (n.clone(), text)
                        })
                        .collect(),
                });
                // the names the rule read (Security 4688's `Image`), where the record has
                // no field of that name itself
                if let Some(last) = kept.last_mut() {
                    for (n, v) in &record.aliases {
                        last.fields
                            .entry(n.clone())
                            .or_insert_with(|| v.text.clone());
                    }
                }
            }
        });
    }

    /// How many records rule `index` has matched so far.
    pub fn count(&self, index: usize) -> u64 {
        self.hits.get(&index).map_or(0, |h| h.0)
    }

    /// The result: hits most severe first, then by title and id.
    pub fn finish(self) -> SigmaResult {
        let mut hits: Vec<SigmaHit> = self
            .hits
            .into_iter()
            .map(|(i, (count, records))| {
                let m = &self.engine.rules[i].meta;
                SigmaHit {
                    title: m.title.clone(),
                    id: m.id.clone(),
                    level: m.level.clone(),
                    tags: m.tags.clone(),
                    techniques: m.techniques(),
                    author: m.author.clone(),
                    rule_path: m.path.clone(),
                    count,
                    records,
                }
            })
            .collect();
        hits.sort_by(|a, b| {
            (level_rank(&a.level), &a.title, &a.id, &a.rule_path).cmp(&(
                level_rank(&b.level),
                &b.title,
                &b.id,
                &b.rule_path,
            ))
        });
        SigmaResult {
            rules_run: self.engine.rules.len() as u64,
            records: self.records,
            hits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_counts_every_outcome() {
        let mut e = Engine::default();
        e.add_text(
            "a.yml",
            "title: run\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s: {Image|endswith: '\\x.exe'}\n  condition: s\n---\ntitle: linux\nlogsource: {product: linux, category: process_creation}\ndetection:\n  s: {Image|endswith: '/x'}\n  condition: s\n",
        );
        e.add_text(
            "b.yml",
            "title: exp\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s: {Image|nosuch: '%p%'}\n  condition: s\n",
        );
        e.add_text("c.yml", "title: [unclosed\n");
        let r = &e.report;
        assert_eq!(
            (
                r.files,
                r.rules,
                r.run,
                r.not_read,
                r.unsupported,
                r.invalid
            ),
            (3, 4, 1, 1, 1, 1)
        );
        assert_eq!(r.features.get("modifier 'nosuch'"), Some(&1));
        assert_eq!(r.windows_share(), (1, 2));
        assert_eq!(r.skipped.len(), 2);
    }
}
