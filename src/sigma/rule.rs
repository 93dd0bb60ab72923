//! One Sigma rule: read from YAML (yaml-rust2), its detection compiled for matching.
//!
//! Owns the rule document: metadata (title, id, level, status, tags, author,
//! falsepositives), the logsource, and the detection (named searches: maps of field
//! conditions, lists of maps, keyword lists; the condition). Correlation rules, filter
//! documents, rule collections (`action:`) and aggregations are reported as unsupported.

use super::condition::{self, Cond, CondError};
use super::matcher::{self, Matcher, Modifiers, RuleValue, Unsupported, Value};
use super::record::Record;
use serde::Serialize;
use yaml_rust2::Yaml;

/// A rule's logsource.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Logsource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl Logsource {
    /// `product/category/service`, with `-` for what is not given.
    pub fn key(&self) -> String {
        format!(
            "{}/{}/{}",
            self.product.as_deref().unwrap_or("-"),
            self.category.as_deref().unwrap_or("-"),
            self.service.as_deref().unwrap_or("-")
        )
    }
}

/// What a rule says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    pub title: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub level: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub author: String,
    /// The rule file.
    pub path: String,
    pub logsource: Logsource,
}

impl RuleMeta {
    /// ATT&CK technique ids from the `attack.tNNNN[.NNN]` tags, upper-case.
    pub fn techniques(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .tags
            .iter()
            .filter_map(|t| t.strip_prefix("attack."))
            .filter(|t| {
                let b = t.as_bytes();
                b.len() >= 5
                    && (b[0] == b't' || b[0] == b'T')
                    && b[1..5].iter().all(u8::is_ascii_digit)
            })
            .map(str::to_uppercase)
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// A field condition: every (`all`) or any value group must match; a group is the
/// matchers one value compiles to. An empty field name (`'|all': [...]`) searches every
/// field of the record, as keywords do.
#[derive(Debug, Clone)]
struct FieldCond {
    field: String,
    groups: Vec<Vec<Matcher>>,
    all: bool,
}

#[derive(Debug, Clone)]
enum Search {
    /// Any of these maps; every condition of a map.
    Maps(Vec<Vec<FieldCond>>),
    /// Any keyword in any field's value.
    Keywords(Vec<Matcher>),
}

/// A loaded, runnable rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub meta: RuleMeta,
    names: Vec<String>,
    searches: Vec<Search>,
    conditions: Vec<Cond>,
}

/// Why a rule document was not loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// Valid Sigma with a feature spoor does not run.
    Unsupported(String),
    /// Not a valid rule.
    Invalid(String),
}

impl From<Unsupported> for LoadError {
    fn from(u: Unsupported) -> Self {
        LoadError::Unsupported(u.0)
    }
}

impl From<CondError> for LoadError {
    fn from(e: CondError) -> Self {
        match e {
            CondError::Unsupported(u) => LoadError::Unsupported(u.0),
            CondError::Invalid(s) => LoadError::Invalid(s),
        }
    }
}

fn text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get<'a>(y: &'a Yaml, key: &str) -> Option<&'a Yaml> {
    match y {
        Yaml::Hash(h) => h.get(&Yaml::String(key.to_string())),
        _ => None,
    }
}

fn string_list(y: Option<&Yaml>) -> Vec<String> {
    match y {
        Some(Yaml::Array(a)) => a.iter().filter_map(text).collect(),
        Some(other) => text(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn rule_value(y: &Yaml) -> Result<RuleValue, LoadError> {
    Ok(match y {
        Yaml::String(s) => RuleValue::Str(s.clone()),
        Yaml::Integer(i) => RuleValue::Int(*i),
        Yaml::Real(r) => RuleValue::Float(r.clone()),
        Yaml::Boolean(b) => RuleValue::Bool(*b),
        Yaml::Null => RuleValue::Null,
        _ => return Err(LoadError::Invalid("a value that is a list or map".into())),
    })
}

/// The metadata of a rule document (also for documents that do not load).
pub fn meta(doc: &Yaml, path: &str) -> RuleMeta {
    let ls = get(doc, "logsource");
    let lower = |k: &str| {
        ls.and_then(|l| get(l, k))
            .and_then(text)
            .map(|s| s.to_lowercase())
    };
    RuleMeta {
        title: get(doc, "title").and_then(text).unwrap_or_default(),
        id: get(doc, "id").and_then(text).unwrap_or_default(),
        level: get(doc, "level").and_then(text).unwrap_or_default(),
        status: get(doc, "status").and_then(text).unwrap_or_default(),
        tags: string_list(get(doc, "tags")),
        author: get(doc, "author").and_then(text).unwrap_or_default(),
        path: path.to_string(),
        logsource: Logsource {
            product: lower("product"),
            category: lower("category"),
            service: lower("service"),
        },
    }
}

fn field_cond(key: &str, value: &Yaml) -> Result<FieldCond, LoadError> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").to_string();
    let mut mods = Modifiers::parse(parts)?;
    if field.is_empty() && mods.position.is_none() && !mods.re && !mods.cidr {
        // keywords with modifiers (`'|all': [...]`): found anywhere, as keywords are
        mods.position = Some(matcher::Position::Contains);
    }
    let values: Vec<&Yaml> = match value {
        Yaml::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    if values.is_empty() {
        return Err(LoadError::Invalid(format!("'{key}' has an empty list")));
    }
    let mut groups = Vec::with_capacity(values.len());
    for v in values {
        groups.push(matcher::compile(&rule_value(v)?, &mods)?);
    }
    Ok(FieldCond {
        field,
        groups,
        all: mods.all,
    })
}

fn map_conds(h: &yaml_rust2::yaml::Hash) -> Result<Vec<FieldCond>, LoadError> {
    h.iter()
        .map(|(k, v)| {
            let key = text(k)
                .ok_or_else(|| LoadError::Invalid("a field name that is not text".into()))?;
            field_cond(&key, v)
        })
        .collect()
}

fn search(y: &Yaml) -> Result<Search, LoadError> {
    match y {
        Yaml::Hash(h) => Ok(Search::Maps(vec![map_conds(h)?])),
        Yaml::Array(items) if items.iter().all(|i| matches!(i, Yaml::Hash(_))) => {
            let mut maps = Vec::new();
            for i in items {
                if let Yaml::Hash(h) = i {
                    maps.push(map_conds(h)?);
                }
            }
            Ok(Search::Maps(maps))
        }
        Yaml::Array(items) => {
            let mut kws = Vec::new();
            for i in items {
                if matches!(i, Yaml::Hash(_) | Yaml::Array(_)) {
                    return Err(LoadError::Unsupported(
                        "a search list mixing keywords and maps".into(),
                    ));
                }
                kws.push(matcher::keyword(&rule_value(i)?)?);
            }
            Ok(Search::Keywords(kws))
        }
        other => Ok(Search::Keywords(vec![matcher::keyword(&rule_value(
            other,
        )?)?])),
    }
}

impl Rule {
    /// Compiles one rule document.
    pub fn from_yaml(doc: &Yaml, path: &str) -> Result<Rule, LoadError> {
        for (key, what) in [
            ("correlation", "correlation rule"),
            ("action", "rule collection ('action:')"),
            ("filter", "filter document"),
        ] {
            if get(doc, key).is_some() {
                return Err(LoadError::Unsupported(what.into()));
            }
        }
        let meta = meta(doc, path);
        if meta.title.is_empty() {
            return Err(LoadError::Invalid("no title".into()));
        }
        let Some(Yaml::Hash(detection)) = get(doc, "detection") else {
            return Err(LoadError::Invalid("no detection map".into()));
        };
        let mut names = Vec::new();
        let mut searches = Vec::new();
        let mut condition_texts = Vec::new();
        for (k, v) in detection {
            let name = text(k)
                .ok_or_else(|| LoadError::Invalid("a search name that is not text".into()))?;
            match name.as_str() {
                "condition" => condition_texts = string_list(Some(v)),
                "timeframe" => {}
                _ => {
                    searches.push(search(v)?);
                    names.push(name);
                }
            }
        }
        if condition_texts.is_empty() {
            return Err(LoadError::Invalid("no condition".into()));
        }
        let conditions = condition_texts
            .iter()
            .map(|c| condition::parse(c, &names))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rule {
            meta,
            names,
            searches,
            conditions,
        })
    }

    /// Whether the rule matches the record.
    pub fn matches(&self, record: &Record) -> bool {
        let aliased = record.aliased_category.is_some()
            && record.aliased_category == self.meta.logsource.category;
        let mut memo: Vec<Option<bool>> = vec![None; self.searches.len()];
        let mut eval = |i: usize| -> bool {
            if let Some(known) = memo[i] {
                return known;
            }
            let r = search_matches(&self.searches[i], record, aliased);
            memo[i] = Some(r);
            r
        };
        self.conditions.iter().any(|c| c.eval(&mut eval))
    }

    /// The names of the rule's searches (in the rule's order).
    pub fn search_names(&self) -> &[String] {
        &self.names
    }
}

fn search_matches(search: &Search, record: &Record, aliased: bool) -> bool {
    let lookup = |name: &str| -> Option<Value> { record.get(name, aliased).cloned() };
    match search {
        Search::Keywords(kws) => kws.iter().any(|k| {
            record
                .fields
                .iter()
                .any(|(_, v)| k.matches_text(v, &lookup))
        }),
        Search::Maps(maps) => maps.iter().any(|conds| {
            conds.iter().all(|c| {
                if c.field.is_empty() {
                    let in_any = |g: &Vec<Matcher>| {
                        record
                            .fields
                            .iter()
                            .any(|(_, v)| g.iter().any(|m| m.matches_text(v, &lookup)))
                    };
                    return if c.all {
                        c.groups.iter().all(in_any)
                    } else {
                        c.groups.iter().any(in_any)
                    };
                }
                let value = record.get(&c.field, aliased);
                let group = |g: &Vec<Matcher>| g.iter().any(|m| m.matches(value, &lookup));
                if c.all {
                    c.groups.iter().all(group)
                } else {
                    c.groups.iter().any(group)
                }
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::sysmon::WinEvent;
    use crate::logs::{LogFormat, Provenance};
    use std::sync::Arc;

    fn record(id: u32, data: &[(&str, &str)]) -> Record {
        let ev = WinEvent {
            channel: "Microsoft-Windows-Sysmon/Operational".into(),
            event_id: Some(id),
            data: data
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ..WinEvent::default()
        };
        let p = Provenance {
            source: Arc::from("t"),
            format: LogFormat::SysmonXml,
            record: 0,
            line: None,
            record_id: None,
            field: None,
        };
        Record::from_windows(&ev, &p)
    }

    fn rule(yaml: &str) -> Rule {
        let docs = yaml_rust2::YamlLoader::load_from_str(yaml).unwrap();
        Rule::from_yaml(&docs[0], "t.yml").unwrap()
    }

    #[test]
    fn selections_filters_and_keywords() {
        let r = rule(
            r"
title: t
tags: [attack.execution, attack.t1059.001, attack.s0002]
logsource: {product: windows, category: process_creation}
detection:
    selection_img:
        - Image|endswith: '\powershell.exe'
        - OriginalFileName: 'PowerShell.EXE'
    selection_cli:
        CommandLine|contains|all: [' -nop ', ' -w hidden ']
    filter_main:
        ParentImage|startswith: 'C:\Program Files\'
    condition: all of selection_* and not 1 of filter_*
",
        );
        assert_eq!(r.meta.techniques(), ["T1059.001"]);
        let hit = record(
            1,
            &[
                (
                    "Image",
                    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                ),
                ("CommandLine", "powershell -NOP -W hidden -c x"),
                ("ParentImage", "C:\\Users\\a\\x.exe"),
            ],
        );
        assert!(r.matches(&hit));
        let filtered = record(
            1,
            &[
                ("Image", "C:\\x\\powershell.exe"),
                ("CommandLine", "powershell -nop -w hidden"),
                ("ParentImage", "C:\\Program Files\\Tool\\t.exe"),
            ],
        );
        assert!(!r.matches(&filtered));
        let half = record(
            1,
            &[
                ("Image", "C:\\x\\powershell.exe"),
                ("CommandLine", "powershell -nop"),
            ],
        );
        assert!(!r.matches(&half));

        let k = rule(
            "title: k\nlogsource: {product: windows, service: system}\ndetection:\n  keywords: ['mimikatz', 'sekurlsa']\n  condition: keywords\n",
        );
        assert!(k.matches(&record(7045, &[("ImagePath", "c:\\t\\Sekurlsa.exe")])));
        assert!(!k.matches(&record(7045, &[("ImagePath", "c:\\t\\x.exe")])));
    }

    #[test]
    fn unsupported_and_invalid() {
        let docs = yaml_rust2::YamlLoader::load_from_str(
            "title: t\nlogsource: {product: windows}\ndetection:\n  sel:\n    Image|expandx: '%x%'\n  condition: sel\n",
        )
        .unwrap();
        assert!(matches!(
            Rule::from_yaml(&docs[0], "t"),
            Err(LoadError::Unsupported(_))
        ));
        let docs =
            yaml_rust2::YamlLoader::load_from_str("title: t\ncorrelation: {type: event_count}\n")
                .unwrap();
        assert!(matches!(
            Rule::from_yaml(&docs[0], "t"),
            Err(LoadError::Unsupported(_))
        ));
        let docs = yaml_rust2::YamlLoader::load_from_str(
            "title: t\nlogsource: {product: windows}\ndetection:\n  sel: {a: b}\n  condition: other\n",
        )
        .unwrap();
        assert!(matches!(
            Rule::from_yaml(&docs[0], "t"),
            Err(LoadError::Invalid(_))
        ));
    }
}
