//! STIX 2.1 bundles: spoor's [`ExchangeFindings`] as observables, indicators, malware, attack
//! patterns, the analysis and their relationships (mapping in `docs/exports.md`).
//!
//! Everything is deterministic. Observable (SCO) ids are the specification's UUIDv5 over
//! the canonical JSON (RFC 8785) of their id-contributing properties, in the STIX
//! namespace; the ids of spoor's own objects (SDOs, relationships, the bundle) are UUIDv5
//! over their stable content in spoor's namespace; every timestamp is the run's creation
//! time with millisecond precision. Pattern strings escape `\` and `'` as the STIX
//! patterning grammar requires ([`pattern_string`]).

use super::findings::{ExchangeFindings, Indicator, IndicatorKind, SampleFacts};
use super::{stable_uuid, timestamp, ExchangeOptions, Tlp};
use crate::ioc::IocKind;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// The namespace of deterministic SCO ids, fixed by the STIX 2.1 specification.
pub const SCO_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x00abedb4_aa42_466c_9c01_fed23315a9b7);

/// Creation time of the objects that never change (spoor's identity).
const FIXED_CREATED: &str = "2024-01-01T00:00:00.000Z";

/// The STIX 2.1 TLP 1.0 marking definitions: (label, id, name).
const TLP_MARKINGS: [(Tlp, &str, &str); 4] = [
    (
        Tlp::Clear,
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "white",
    ),
    (
        Tlp::Green,
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "green",
    ),
    (
        Tlp::Amber,
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "amber",
    ),
    (
        Tlp::Red,
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        "red",
    ),
];

/// Writes `findings` as one pretty-printed STIX 2.1 bundle.
///
/// Objects are kept serialised while the bundle is built, so memory stays close to the
/// size of the output even for runs with many indicators.
pub fn write(
    findings: &ExchangeFindings,
    options: ExchangeOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut b = Builder::new(options);
    b.build(findings);
    let ids: Vec<&str> = b.ids.iter().map(String::as_str).collect();
    let bundle_id = format!("bundle--{}", stable_uuid(&ids));
    // The layout serde_json's pretty printer gives the whole document.
    write!(
        out,
        "{{\n  \"type\": \"bundle\",\n  \"id\": \"{bundle_id}\",\n  \"objects\": ["
    )?;
    for (i, object) in b.objects.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        for (j, line) in object.lines().enumerate() {
            if j > 0 {
                out.write_all(b"\n")?;
            }
            out.write_all(b"    ")?;
            out.write_all(line.as_bytes())?;
        }
    }
    out.write_all(b"\n  ]\n}\n")
}

/// The STIX 2.1 bundle of `findings` as a JSON value (the same document [`write()`] writes).
pub fn bundle(findings: &ExchangeFindings, options: ExchangeOptions) -> Value {
    let mut text = Vec::new();
    match write(findings, options, &mut text) {
        Ok(()) => serde_json::from_slice(&text).unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

/// `value` as a STIX pattern string literal: quoted, with `\` and `'` escaped.
pub fn pattern_string(value: &str) -> String {
    let mut s = String::with_capacity(value.len() + 2);
    s.push('\'');
    for c in value.chars() {
        if c == '\\' || c == '\'' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('\'');
    s
}

/// A deterministic SCO id: UUIDv5 in the STIX namespace over the canonical JSON of the
/// id-contributing properties present in `properties`.
pub fn sco_id(kind: &str, properties: &Map<String, Value>) -> String {
    format!(
        "{kind}--{}",
        uuid::Uuid::new_v5(
            &SCO_NAMESPACE,
            canonical_json(&Value::Object(properties.clone())).as_bytes()
        )
    )
}

/// RFC 8785 (JSON Canonicalization Scheme) serialisation: keys sorted by UTF-16 code
/// units, no whitespace, minimal string escaping, numbers in ECMAScript form.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else if let Some(f) = n.as_f64() {
                out.push_str(&ecmascript_number(f));
            }
        }
        Value::String(s) => canonical_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_string(key, out);
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
    }
}

fn canonical_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A finite double as ECMAScript's `Number.prototype.toString` writes it.
fn ecmascript_number(f: f64) -> String {
    if !f.is_finite() {
        return "null".to_string();
    }
    if f == 0.0 {
        return "0".to_string();
    }
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    // Shortest round-trip digits, then laid out as ECMAScript does.
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    let n = exp + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (a, b) = digits.split_at(n as usize);
        format!("{a}.{b}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let sign = if n - 1 < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{sign}{}", (n - 1).abs())
        } else {
            format!("{first}.{rest}e{sign}{}", (n - 1).abs())
        }
    };
    if negative {
        format!("-{body}")
    } else {
        body
    }
}

/// One STIX observable for an indicator: its objects (the last is the main one) and the
/// pattern that matches it.
struct Observable {
    objects: Vec<Value>,
    pattern: String,
}

/// Ids that later stages of [`Builder::build`] link to.
#[derive(Default)]
struct Links {
    /// The family's malware object.
    family: Option<String>,
    /// Each sample's file SCO.
    sample_files: Vec<String>,
    /// Each sample's malware SDO.
    sample_malware: Vec<String>,
    /// Per sample, the observables of the indicators found in it.
    scos_of_sample: Vec<Vec<String>>,
    /// Per other source, the observables of the indicators seen in it.
    scos_of_source: BTreeMap<String, Vec<String>>,
    /// Every indicator observable.
    all_scos: Vec<String>,
    /// Indicator ids with the samples and sources they were seen in.
    indicators: Vec<(String, Vec<usize>, Vec<String>)>,
}

/// A sorted copy of `ids` without duplicates.
fn sorted_unique(ids: Option<&Vec<String>>) -> Vec<String> {
    let set: BTreeSet<&String> = ids.into_iter().flatten().collect();
    set.into_iter().cloned().collect()
}

/// Collects the bundle's objects in a fixed order, without duplicate ids.
struct Builder {
    options: ExchangeOptions,
    created: String,
    identity: String,
    marking: &'static str,
    /// Each object, pretty-printed.
    objects: Vec<String>,
    /// Object ids in bundle order.
    ids: Vec<String>,
    seen: BTreeSet<String>,
}

impl Builder {
    fn new(options: ExchangeOptions) -> Self {
        let marking = TLP_MARKINGS
            .iter()
            .find(|m| m.0 == options.tlp)
            .map_or(TLP_MARKINGS[2].1, |m| m.1);
        Builder {
            options,
            created: timestamp(options.created_ms),
            identity: format!("identity--{}", stable_uuid(&["identity", "spoor"])),
            marking,
            objects: Vec::new(),
            ids: Vec::new(),
            seen: BTreeSet::new(),
        }
    }

    /// Adds an object unless one with the same id is already there; returns its id.
    fn push(&mut self, object: Value) -> String {
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if self.seen.insert(id.clone()) {
            // A `Value` always serialises (string keys); an error would leave the object out.
            if let Ok(text) = serde_json::to_string_pretty(&object) {
                self.objects.push(text);
                self.ids.push(id.clone());
            }
        }
        id
    }

    /// The common properties of spoor's SDOs and SROs.
    fn sdo(&self, kind: &str, id: String) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("type".into(), kind.into());
        m.insert("spec_version".into(), "2.1".into());
        m.insert("id".into(), id.into());
        m.insert("created".into(), self.created.clone().into());
        m.insert("modified".into(), self.created.clone().into());
        m.insert("created_by_ref".into(), self.identity.clone().into());
        m.insert("object_marking_refs".into(), json!([self.marking]));
        m
    }

    fn relationship(&mut self, source: &str, kind: &str, target: &str) {
        let id = format!(
            "relationship--{}",
            stable_uuid(&["relationship", source, kind, target])
        );
        let mut m = self.sdo("relationship", id);
        m.insert("relationship_type".into(), kind.into());
        m.insert("source_ref".into(), source.into());
        m.insert("target_ref".into(), target.into());
        self.push(Value::Object(m));
    }

    /// Adds every object of `findings`, in a fixed order.
    fn build(&mut self, findings: &ExchangeFindings) {
        self.preamble();
        let mut links = self.samples(findings);
        self.indicators(findings, &mut links);
        self.sample_hash_indicators(findings, &mut links);
        self.rules(findings, &links);
        self.attack_patterns(findings, &links);
        self.observations(findings, &links);
        self.analyses(findings, &mut links);
    }

    /// The TLP marking and spoor's identity.
    fn preamble(&mut self) {
        let (_, marking_id, tlp_name) = TLP_MARKINGS
            .iter()
            .copied()
            .find(|m| m.0 == self.options.tlp)
            .unwrap_or(TLP_MARKINGS[2]);
        self.push(json!({
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": marking_id,
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "name": format!("TLP:{}", tlp_name.to_ascii_uppercase()),
            "definition": { "tlp": tlp_name },
        }));
        self.push(json!({
            "type": "identity",
            "spec_version": "2.1",
            "id": self.identity,
            "created": FIXED_CREATED,
            "modified": FIXED_CREATED,
            "name": "spoor",
            "description": "spoor: IOC extraction, static triage and YARA rule generation",
            "identity_class": "system",
        }));
    }

    /// The family, and each sample's file and malware objects.
    fn samples(&mut self, findings: &ExchangeFindings) -> Links {
        let mut links = Links {
            scos_of_sample: vec![Vec::new(); findings.samples.len()],
            ..Links::default()
        };
        links.family = findings.family.as_ref().map(|name| {
            let id = format!("malware--{}", stable_uuid(&["malware", "family", name]));
            let mut m = self.sdo("malware", id);
            m.insert("name".into(), name.clone().into());
            m.insert("is_family".into(), true.into());
            self.push(Value::Object(m))
        });
        for sample in &findings.samples {
            let file = self.push(sample_file(sample));
            let malware = self.sample_malware(sample, &file);
            if let Some(f) = links.family.clone() {
                self.relationship(&malware, "variant-of", &f);
            }
            links.sample_files.push(file);
            links.sample_malware.push(malware);
        }
        links
    }

    /// `indicates` from `indicator` to the malware of `samples` (and the family).
    fn indicates(&mut self, indicator: &str, samples: &[usize], links: &Links) {
        for &s in samples {
            if let Some(mw) = links.sample_malware.get(s) {
                self.relationship(indicator, "indicates", mw);
            }
        }
        if let Some(f) = &links.family {
            self.relationship(indicator, "indicates", f);
        }
    }

    /// Indicators with their observables; CVEs as vulnerabilities.
    fn indicators(&mut self, findings: &ExchangeFindings, links: &mut Links) {
        for ind in &findings.indicators {
            if ind.kind == IndicatorKind::Ioc(IocKind::AttackTechnique) {
                continue; // exported as attack patterns
            }
            if ind.kind == IndicatorKind::Ioc(IocKind::Cve) {
                let id = format!(
                    "vulnerability--{}",
                    stable_uuid(&["vulnerability", &ind.value])
                );
                let mut m = self.sdo("vulnerability", id);
                m.insert("name".into(), ind.value.clone().into());
                m.insert(
                    "external_references".into(),
                    json!([{ "source_name": "cve", "external_id": ind.value }]),
                );
                self.push(Value::Object(m));
                continue;
            }
            let Some(obs) = observable(ind.kind, &ind.value) else {
                continue;
            };
            let mut main = String::new();
            for o in obs.objects {
                main = self.push(o);
            }
            links.all_scos.push(main.clone());
            for &s in &ind.samples {
                if let Some(list) = links.scos_of_sample.get_mut(s) {
                    list.push(main.clone());
                }
            }
            for src in &ind.sources {
                links
                    .scos_of_source
                    .entry(src.clone())
                    .or_default()
                    .push(main.clone());
            }
            if !ind.is_indicator() {
                // context (the sandbox's own network, a system file's hash): an observable
                // in the observed data, never a pattern to detect on
                continue;
            }
            let id = format!("indicator--{}", stable_uuid(&["indicator", &obs.pattern]));
            let mut m = self.sdo("indicator", id);
            let name = match ind.files.first() {
                Some(file) => format!("{} {} ({file})", ind.kind.as_str(), ind.value),
                None => format!("{} {}", ind.kind.as_str(), ind.value),
            };
            m.insert("name".into(), name.into());
            let mut description = format!(
                "{}{}",
                seen_in(findings, &ind.samples, &ind.sources),
                indicator_facts(ind)
            );
            if !ind.intel.is_empty() {
                let known: Vec<String> = ind.intel.iter().map(|h| h.describe()).collect();
                description.push_str(&format!(". Known to intel: {}", known.join("; ")));
                m.insert("labels".into(), json!(intel_labels(&ind.intel)));
            }
            m.insert("description".into(), description.into());
            m.insert("pattern".into(), obs.pattern.into());
            m.insert("pattern_type".into(), "stix".into());
            m.insert("pattern_version".into(), "2.1".into());
            m.insert("valid_from".into(), self.created.clone().into());
            let indicator = self.push(Value::Object(m));
            self.indicates(&indicator, &ind.samples, links);
            links
                .indicators
                .push((indicator, ind.samples.clone(), ind.sources.clone()));
        }
    }

    /// One indicator per sample matching its own hashes.
    fn sample_hash_indicators(&mut self, findings: &ExchangeFindings, links: &mut Links) {
        for (i, sample) in findings.samples.iter().enumerate() {
            let pattern = format!(
                "[file:hashes.'SHA-256' = {} OR file:hashes.'SHA-1' = {} OR file:hashes.MD5 = {}]",
                pattern_string(&sample.sha256),
                pattern_string(&sample.sha1),
                pattern_string(&sample.md5)
            );
            let id = format!("indicator--{}", stable_uuid(&["indicator", &pattern]));
            let mut m = self.sdo("indicator", id);
            m.insert("name".into(), format!("file {}", sample.file_name).into());
            m.insert(
                "description".into(),
                format!("The sample {}", sample.label).into(),
            );
            m.insert("indicator_types".into(), json!(["malicious-activity"]));
            m.insert("pattern".into(), pattern.into());
            m.insert("pattern_type".into(), "stix".into());
            m.insert("pattern_version".into(), "2.1".into());
            m.insert("valid_from".into(), self.created.clone().into());
            let indicator = self.push(Value::Object(m));
            if let Some(mw) = links.sample_malware.get(i).cloned() {
                self.relationship(&indicator, "indicates", &mw);
            }
            links.indicators.push((indicator, vec![i], Vec::new()));
        }
    }

    /// YARA rules as `pattern_type: yara` indicators.
    fn rules(&mut self, findings: &ExchangeFindings, links: &Links) {
        for rule in &findings.rules {
            let id = format!(
                "indicator--{}",
                stable_uuid(&["indicator", "yara", &rule.text])
            );
            let mut m = self.sdo("indicator", id);
            m.insert("name".into(), rule.name.clone().into());
            m.insert("pattern".into(), rule.text.clone().into());
            m.insert("pattern_type".into(), "yara".into());
            m.insert("valid_from".into(), self.created.clone().into());
            let indicator = self.push(Value::Object(m));
            self.indicates(&indicator, &rule.samples, links);
        }
    }

    /// ATT&CK techniques (from triage, and technique ids named in text) as attack patterns
    /// the malware `uses`.
    fn attack_patterns(&mut self, findings: &ExchangeFindings, links: &Links) {
        let mut techniques: BTreeMap<String, (String, Vec<usize>)> = BTreeMap::new();
        for t in &findings.techniques {
            techniques.insert(t.id.clone(), (t.name.clone(), t.samples.clone()));
        }
        for ind in &findings.indicators {
            if ind.kind == IndicatorKind::Ioc(IocKind::AttackTechnique) {
                let name = crate::findings::attack::technique_names()
                    .get(&ind.value)
                    .cloned()
                    .unwrap_or_else(|| ind.value.clone());
                let entry = techniques
                    .entry(ind.value.clone())
                    .or_insert((name, Vec::new()));
                entry.1.extend(ind.samples.iter().copied());
            }
        }
        for (tid, (name, samples)) in &techniques {
            let id = format!("attack-pattern--{}", stable_uuid(&["attack-pattern", tid]));
            let mut m = self.sdo("attack-pattern", id);
            m.insert("name".into(), name.clone().into());
            m.insert(
                "external_references".into(),
                json!([{
                    "source_name": "mitre-attack",
                    "external_id": tid,
                    "url": format!("https://attack.mitre.org/techniques/{}/", tid.replace('.', "/")),
                }]),
            );
            let pattern = self.push(Value::Object(m));
            for &s in samples {
                if let Some(mw) = links.sample_malware.get(s) {
                    self.relationship(mw, "uses", &pattern);
                }
            }
            if let Some(f) = &links.family {
                self.relationship(f, "uses", &pattern);
            }
        }
    }

    /// What was observed where: one observed-data per sample and per other source, and
    /// `based-on` from each indicator to the observations it comes from.
    fn observations(&mut self, findings: &ExchangeFindings, links: &Links) {
        let mut observed_of_sample = Vec::new();
        for (i, sample) in findings.samples.iter().enumerate() {
            let mut refs: Vec<String> = links.sample_files.get(i).cloned().into_iter().collect();
            refs.extend(sorted_unique(links.scos_of_sample.get(i)));
            let id = format!(
                "observed-data--{}",
                stable_uuid(&["observed-data", "sample", &sample.sha256])
            );
            observed_of_sample.push(self.observed(id, refs));
        }
        let mut observed_of_source = BTreeMap::new();
        for (source, refs) in &links.scos_of_source {
            let id = format!(
                "observed-data--{}",
                stable_uuid(&["observed-data", "source", source])
            );
            let refs = sorted_unique(Some(refs));
            observed_of_source.insert(source.clone(), self.observed(id, refs));
        }
        for (indicator, samples, sources) in &links.indicators {
            for &s in samples {
                if let Some(od) = observed_of_sample.get(s) {
                    self.relationship(indicator, "based-on", od);
                }
            }
            for src in sources {
                if let Some(od) = observed_of_source.get(src) {
                    self.relationship(indicator, "based-on", od);
                }
            }
        }
    }

    /// spoor's analysis: one per sample (static), or one for a run over logs and text.
    fn analyses(&mut self, findings: &ExchangeFindings, links: &mut Links) {
        for (i, sample) in findings.samples.iter().enumerate() {
            let id = format!(
                "malware-analysis--{}",
                stable_uuid(&["malware-analysis", &sample.sha256])
            );
            let mut m = self.analysis(id);
            if let Some(file) = links.sample_files.get(i) {
                m.insert("sample_ref".into(), file.clone().into());
            }
            let refs = sorted_unique(links.scos_of_sample.get(i));
            if refs.is_empty() {
                m.insert("result".into(), "unknown".into());
            } else {
                m.insert("analysis_sco_refs".into(), json!(refs));
            }
            let analysis = self.push(Value::Object(m));
            if let Some(mw) = links.sample_malware.get(i) {
                self.relationship(&analysis, "static-analysis-of", mw);
            }
        }
        if findings.samples.is_empty() {
            let mut parts = vec!["malware-analysis", "run"];
            parts.extend(findings.sources.iter().map(String::as_str));
            let id = format!("malware-analysis--{}", stable_uuid(&parts));
            let mut m = self.analysis(id);
            let refs = sorted_unique(Some(&links.all_scos));
            if refs.is_empty() {
                m.insert("result".into(), "unknown".into());
            } else {
                m.insert("analysis_sco_refs".into(), json!(refs));
            }
            let analysis = self.push(Value::Object(m));
            if let Some(f) = &links.family {
                self.relationship(&analysis, "analysis-of", f);
            }
        }
    }

    fn observed(&mut self, id: String, refs: Vec<String>) -> String {
        let mut m = self.sdo("observed-data", id);
        m.insert("first_observed".into(), self.created.clone().into());
        m.insert("last_observed".into(), self.created.clone().into());
        m.insert("number_observed".into(), 1.into());
        m.insert("object_refs".into(), json!(refs));
        self.push(Value::Object(m))
    }

    fn analysis(&self, id: String) -> Map<String, Value> {
        let mut m = self.sdo("malware-analysis", id);
        m.insert("product".into(), "spoor".into());
        m.insert("version".into(), env!("CARGO_PKG_VERSION").into());
        m.insert("analysis_started".into(), self.created.clone().into());
        m.insert("analysis_ended".into(), self.created.clone().into());
        m
    }

    fn sample_malware(&mut self, sample: &SampleFacts, file: &str) -> String {
        let id = format!(
            "malware--{}",
            stable_uuid(&["malware", "sample", &sample.sha256])
        );
        let mut m = self.sdo("malware", id);
        m.insert("name".into(), sample.file_name.clone().into());
        m.insert(
            "description".into(),
            format!(
                "The sample {} ({} bytes, {})",
                sample.label, sample.size, sample.format
            )
            .into(),
        );
        m.insert("is_family".into(), false.into());
        m.insert("sample_refs".into(), json!([file]));
        let caps = capabilities(&sample.behaviours, &sample.techniques);
        if !caps.is_empty() {
            m.insert("capabilities".into(), json!(caps));
        }
        let types = malware_types(&sample.classes);
        if !types.is_empty() {
            m.insert("malware_types".into(), json!(types));
        }
        self.push(Value::Object(m))
    }
}

/// STIX malware capabilities of behaviour categories and ATT&CK techniques (a line for a
/// parent technique covers its sub-techniques) (`data/stix-capabilities.txt`).
fn capabilities(behaviours: &[String], techniques: &[String]) -> Vec<String> {
    let table = include_str!("../../data/stix-capabilities.txt");
    let mut caps = BTreeSet::new();
    for line in crate::tables::entries(table) {
        let mut words = line.split_whitespace();
        if let Some(key) = words.next() {
            let technique =
                |id: &String| id == key || id.strip_prefix(key).is_some_and(|r| r.starts_with('.'));
            if behaviours.iter().any(|b| b == key) || techniques.iter().any(technique) {
                caps.extend(words.map(str::to_string));
            }
        }
    }
    caps.into_iter().collect()
}

/// STIX malware types of class hints (`data/class-hints.txt`), sorted.
fn malware_types(classes: &[String]) -> Vec<String> {
    let mut types = BTreeSet::new();
    for c in classes {
        if let Some(class) = crate::findings::classes::label(c) {
            types.extend(class.stix.iter().cloned());
        }
    }
    types.into_iter().collect()
}

/// An indicator's labels from the intelligence feeds that know it: `intel:FEED` and the
/// feeds' tags, sorted, each once.
fn intel_labels(hits: &[crate::ioc::IntelHit]) -> Vec<String> {
    let mut labels = BTreeSet::new();
    for h in hits {
        labels.insert(format!("intel:{}", h.feed));
        labels.extend(h.tags.iter().cloned());
    }
    labels.into_iter().collect()
}

/// What the logs say about an indicator, as sentences appended to its description: its
/// roles, the files of a hash, the ports of an address (empty when nothing is known).
pub fn indicator_facts(ind: &Indicator) -> String {
    let mut s = String::new();
    if !ind.roles.is_empty() {
        s.push_str(&format!(". Role in the logs: {}", ind.roles.join(", ")));
    }
    if !ind.files.is_empty() {
        s.push_str(&format!(". File: {}", ind.files.join(", ")));
    }
    if !ind.ports.is_empty() {
        let ports =
            crate::primitives::capped_list(ind.ports.iter(), crate::primitives::PORTS_SHOWN);
        s.push_str(&format!(". Ports: {ports}"));
    }
    s
}

fn seen_in(findings: &ExchangeFindings, samples: &[usize], sources: &[String]) -> String {
    let mut names: Vec<&str> = samples
        .iter()
        .filter_map(|&i| findings.samples.get(i).map(|s| s.label.as_str()))
        .collect();
    names.extend(sources.iter().map(String::as_str));
    let more = names.len().saturating_sub(5);
    names.truncate(5);
    let mut s = format!("Seen in {}", names.join(", "));
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    s
}

/// The file SCO of a sample, with the Windows PE binary extension for PE files.
fn sample_file(sample: &SampleFacts) -> Value {
    let mut hashes = Map::new();
    for (name, value) in [
        ("MD5", &sample.md5),
        ("SHA-1", &sample.sha1),
        ("SHA-256", &sample.sha256),
        ("SHA-512", &sample.sha512),
    ] {
        if !value.is_empty() {
            hashes.insert(name.into(), value.clone().into());
        }
    }
    let mut contributing = Map::new();
    if let Some((k, v)) = hashes
        .iter()
        .find(|(k, _)| *k == "MD5")
        .or_else(|| hashes.iter().next())
    {
        contributing.insert("hashes".into(), json!({ k.clone(): v.clone() }));
    }
    contributing.insert("name".into(), sample.file_name.clone().into());
    if let Some(pe) = &sample.pe {
        let mut ext = Map::new();
        ext.insert("pe_type".into(), pe.pe_type.clone().into());
        if let Some(h) = &pe.imphash {
            ext.insert("imphash".into(), h.clone().into());
        }
        if let Some(m) = &pe.machine_hex {
            ext.insert("machine_hex".into(), m.clone().into());
        }
        // A zeroed stamp (reproducible builds) is no time; the property takes whole seconds.
        if pe.time_date_stamp != 0 {
            let stamp = timestamp(i64::from(pe.time_date_stamp) * 1000).replace(".000Z", "Z");
            ext.insert("time_date_stamp".into(), stamp.into());
        }
        ext.insert("number_of_sections".into(), pe.sections.len().into());
        let sections: Vec<Value> = pe
            .sections
            .iter()
            .map(|s| {
                let mut sec = Map::new();
                sec.insert("name".into(), s.name.clone().into());
                sec.insert("size".into(), s.size.into());
                sec.insert("entropy".into(), json!(s.entropy));
                let mut h = Map::new();
                if let Some(md5) = &s.md5 {
                    h.insert("MD5".into(), md5.clone().into());
                }
                if let Some(sha) = &s.sha256 {
                    h.insert("SHA-256".into(), sha.clone().into());
                }
                if !h.is_empty() {
                    sec.insert("hashes".into(), Value::Object(h));
                }
                Value::Object(sec)
            })
            .collect();
        if !sections.is_empty() {
            ext.insert("sections".into(), json!(sections));
        }
        contributing.insert(
            "extensions".into(),
            json!({ "windows-pebinary-ext": Value::Object(ext) }),
        );
    }
    let id = sco_id("file", &contributing);
    let mut m = Map::new();
    m.insert("type".into(), "file".into());
    m.insert("spec_version".into(), "2.1".into());
    m.insert("id".into(), id.into());
    m.insert("hashes".into(), Value::Object(hashes));
    m.insert("size".into(), sample.size.into());
    for (k, v) in contributing {
        if k != "hashes" {
            m.insert(k, v);
        }
    }
    Value::Object(m)
}

/// An SCO with the given contributing properties (all of its properties besides type).
fn sco(kind: &str, properties: Map<String, Value>) -> Value {
    let id = sco_id(kind, &properties);
    let mut m = Map::new();
    m.insert("type".into(), kind.into());
    m.insert("spec_version".into(), "2.1".into());
    m.insert("id".into(), id.into());
    m.extend(properties);
    Value::Object(m)
}

fn value_sco(kind: &str, value: &str) -> Value {
    let mut m = Map::new();
    m.insert("value".into(), value.into());
    sco(kind, m)
}

/// The observable objects and pattern of one indicator, `None` for kinds STIX has no
/// observable for (crypto-currency wallets).
fn observable(kind: IndicatorKind, value: &str) -> Option<Observable> {
    let single = |object: Value, pattern: String| Observable {
        objects: vec![object],
        pattern,
    };
    Some(match kind {
        IndicatorKind::Ioc(
            k @ (IocKind::Md5 | IocKind::Sha1 | IocKind::Sha256 | IocKind::Sha512),
        ) => {
            let (name, path) = match k {
                IocKind::Md5 => ("MD5", "MD5"),
                IocKind::Sha1 => ("SHA-1", "'SHA-1'"),
                IocKind::Sha256 => ("SHA-256", "'SHA-256'"),
                _ => ("SHA-512", "'SHA-512'"),
            };
            let mut m = Map::new();
            m.insert("hashes".into(), json!({ name: value }));
            single(
                sco("file", m),
                format!("[file:hashes.{path} = {}]", pattern_string(value)),
            )
        }
        IndicatorKind::Ioc(k @ (IocKind::Ipv4 | IocKind::Ipv6)) => {
            let type_name = if k == IocKind::Ipv4 {
                "ipv4-addr"
            } else {
                "ipv6-addr"
            };
            let (addr, port) = split_port(k, value);
            let hex_form;
            let addr = if k == IocKind::Ipv6 {
                hex_form = ipv6_hex(addr);
                hex_form.as_str()
            } else {
                addr
            };
            let object = value_sco(type_name, addr);
            let pattern = match port {
                Some(port) => format!(
                    "[network-traffic:dst_ref.type = '{type_name}' AND network-traffic:dst_ref.value = {} AND network-traffic:dst_port = {port}]",
                    pattern_string(addr)
                ),
                None => format!("[{type_name}:value = {}]", pattern_string(addr)),
            };
            single(object, pattern)
        }
        IndicatorKind::Ioc(IocKind::Domain) => single(
            value_sco("domain-name", value),
            format!("[domain-name:value = {}]", pattern_string(value)),
        ),
        IndicatorKind::Ioc(IocKind::Url) => single(
            value_sco("url", value),
            format!("[url:value = {}]", pattern_string(value)),
        ),
        IndicatorKind::Ioc(IocKind::Email) => single(
            value_sco("email-addr", value),
            format!("[email-addr:value = {}]", pattern_string(value)),
        ),
        IndicatorKind::Ioc(IocKind::RegistryKey) => {
            let key = full_hive(value);
            let mut m = Map::new();
            m.insert("key".into(), key.clone().into());
            single(
                sco("windows-registry-key", m),
                format!("[windows-registry-key:key = {}]", pattern_string(&key)),
            )
        }
        IndicatorKind::Ioc(IocKind::FilePath) => {
            let (dir, name) = split_path(value);
            let mut objects = Vec::new();
            let mut m = Map::new();
            m.insert("name".into(), name.into());
            let pattern = match dir {
                Some(dir) => {
                    let mut d = Map::new();
                    d.insert("path".into(), dir.into());
                    let directory = sco("directory", d);
                    if let Some(id) = directory.get("id").cloned() {
                        m.insert("parent_directory_ref".into(), id);
                    }
                    objects.push(directory);
                    format!(
                        "[file:name = {} AND file:parent_directory_ref.path = {}]",
                        pattern_string(name),
                        pattern_string(dir)
                    )
                }
                None => format!("[file:name = {}]", pattern_string(name)),
            };
            objects.push(sco("file", m));
            Observable { objects, pattern }
        }
        IndicatorKind::FileName => {
            let mut m = Map::new();
            m.insert("name".into(), value.into());
            single(
                sco("file", m),
                format!("[file:name = {}]", pattern_string(value)),
            )
        }
        IndicatorKind::Mutex => {
            let mut m = Map::new();
            m.insert("name".into(), value.into());
            single(
                sco("mutex", m),
                format!("[mutex:name = {}]", pattern_string(value)),
            )
        }
        IndicatorKind::Ioc(
            IocKind::Cve | IocKind::AttackTechnique | IocKind::Bitcoin | IocKind::Monero,
        ) => return None,
    })
}

/// An address and its port: `198.51.100.1:8080`, `[2001:db8::1]:443`. Prefixes stay.
fn split_port(kind: IocKind, value: &str) -> (&str, Option<u16>) {
    if kind == IocKind::Ipv6 {
        if let Some(rest) = value.strip_prefix('[') {
            if let Some((addr, port)) = rest.split_once("]:") {
                return (addr, port.parse().ok());
            }
            return (rest.trim_end_matches(']'), None);
        }
        return (value, None);
    }
    match value.rsplit_once(':') {
        Some((addr, port)) => match port.parse() {
            Ok(p) => (addr, Some(p)),
            Err(_) => (value, None),
        },
        None => (value, None),
    }
}

/// An IPv6 address (optionally with `/prefix`) with an embedded dotted IPv4 tail written
/// as hex groups (`::ffff:192.0.2.1` → `::ffff:c000:201`): the same address, in the form
/// the STIX schema's pattern accepts. Other values are returned as they are.
pub fn ipv6_hex(value: &str) -> String {
    let (addr, prefix) = match value.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (value, None),
    };
    if !addr.contains('.') {
        return value.to_string();
    }
    let Ok(ip) = addr.parse::<std::net::Ipv6Addr>() else {
        return value.to_string();
    };
    let groups = ip.segments();
    // RFC 5952: compress the longest run (two or more) of zero groups, the first one on ties.
    let (mut best, mut run) = ((0usize, 0usize), (0usize, 0usize));
    for (i, g) in groups.iter().enumerate() {
        if *g == 0 {
            if run.1 == 0 {
                run.0 = i;
            }
            run.1 += 1;
            if run.1 > best.1 {
                best = run;
            }
        } else {
            run.1 = 0;
        }
    }
    let hex = |gs: &[u16]| {
        gs.iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let mut text = if best.1 >= 2 {
        let head = groups.get(..best.0).unwrap_or(&[]);
        let tail = groups.get(best.0 + best.1..).unwrap_or(&[]);
        format!("{}::{}", hex(head), hex(tail))
    } else {
        hex(&groups)
    };
    if let Some(p) = prefix {
        text.push('/');
        text.push_str(p);
    }
    text
}

/// A registry key with its hive written out, as STIX requires (`HKLM` →
/// `HKEY_LOCAL_MACHINE`).
pub fn full_hive(key: &str) -> String {
    let (hive, rest) = match key.find('\\') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    let full = match hive.to_ascii_uppercase().as_str() {
        "HKLM" => "HKEY_LOCAL_MACHINE",
        "HKCU" => "HKEY_CURRENT_USER",
        "HKCR" => "HKEY_CLASSES_ROOT",
        "HKU" => "HKEY_USERS",
        "HKCC" => "HKEY_CURRENT_CONFIG",
        _ => hive,
    };
    format!("{full}{rest}")
}

/// A path's directory and file name (Windows or Unix separators).
fn split_path(path: &str) -> (Option<&str>, &str) {
    let sep = if path.starts_with('/') { '/' } else { '\\' };
    match path.trim_end_matches(sep).rfind(sep) {
        Some(i) if i > 0 => (Some(&path[..i]), &path[i + 1..]),
        Some(_) => (Some(&path[..1]), &path[1..]),
        None => (None, path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_table_uses_the_stix_vocabulary() {
        // malware-capabilities-ov of STIX 2.1, section 10.10.
        let vocabulary = "accesses-remote-machines anti-debugging anti-disassembly anti-emulation \
            anti-memory-forensics anti-sandbox anti-vm captures-input-peripherals \
            captures-output-peripherals captures-system-state-data cleans-traces-of-infection \
            commits-fraud communicates-with-c2 compromises-data-availability \
            compromises-data-integrity compromises-system-availability controls-local-machine \
            degrades-security-software degrades-system-updates determines-c2-server \
            emails-spam escalates-privileges evades-av exfiltrates-data fingerprints-host \
            hides-artifacts hides-executing-code infects-files infects-remote-machines \
            installs-other-components persists-after-system-reboot prevents-artifact-access \
            prevents-artifact-deletion probes-network-environment self-modifies \
            steals-authentication-credentials violates-system-operational-integrity";
        let known: BTreeSet<&str> = vocabulary.split_whitespace().collect();
        let categories: BTreeSet<String> =
            crate::tables::entries(include_str!("../../data/api-categories.txt"))
                .filter_map(|l| l.strip_prefix('[')?.strip_suffix(']').map(str::to_string))
                .collect();
        let table = include_str!("../../data/stix-capabilities.txt");
        for line in crate::tables::entries(table) {
            let mut words = line.split_whitespace();
            let key = words.next().unwrap_or_default();
            let technique = crate::findings::attack::technique_names()
                .keys()
                .any(|id| id == key || id.strip_prefix(key).is_some_and(|r| r.starts_with('.')));
            assert!(
                categories.contains(key) || technique,
                "unknown category or technique {key}"
            );
            for w in words {
                assert!(known.contains(w), "{w} is not a STIX malware capability");
            }
        }
        let all: Vec<String> = categories.into_iter().collect();
        assert!(capabilities(&all, &[]).contains(&"anti-debugging".to_string()));
        // A sub-technique takes its parent's line; nothing gives nothing.
        let vm = capabilities(&[], &["T1497.001".to_string()]);
        assert!(vm.contains(&"anti-vm".to_string()), "{vm:?}");
        assert!(capabilities(&[], &[]).is_empty());
    }

    #[test]
    fn malware_types_come_from_the_class_table() {
        assert_eq!(
            malware_types(&["loader".to_string(), "ransomware".to_string()]),
            ["downloader", "dropper", "ransomware"]
        );
        assert!(malware_types(&["no-such-class".to_string()]).is_empty());
    }

    #[test]
    fn pattern_strings_escape_quotes_and_backslashes() {
        assert_eq!(pattern_string(r"C:\it's"), r"'C:\\it\'s'");
        assert_eq!(pattern_string("plain"), "'plain'");
    }

    #[test]
    fn canonical_json_sorts_and_formats() {
        let v = json!({"b": [1, 2.5, 0.0, 7.0], "a": "x\"\u{1}é", "c": 1e-7, "d": 1e21});
        assert_eq!(
            canonical_json(&v),
            "{\"a\":\"x\\\"\\u0001é\",\"b\":[1,2.5,0,7],\"c\":1e-7,\"d\":1e+21}"
        );
    }

    #[test]
    fn sco_ids_follow_the_specification() {
        // uuid5(00abedb4-..., '{"value":"198.51.100.3"}'), computed independently with
        // Python's uuid module.
        let object = value_sco("ipv4-addr", "198.51.100.3");
        assert_eq!(
            object["id"],
            "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"
        );
    }

    #[test]
    fn ports_paths_and_hives() {
        assert_eq!(
            split_port(IocKind::Ipv4, "198.51.100.1:8080"),
            ("198.51.100.1", Some(8080))
        );
        assert_eq!(
            split_port(IocKind::Ipv4, "198.51.100.0/24"),
            ("198.51.100.0/24", None)
        );
        assert_eq!(
            split_port(IocKind::Ipv6, "[2001:db8::1]:443"),
            ("2001:db8::1", Some(443))
        );
        assert_eq!(
            split_port(IocKind::Ipv6, "2001:db8::1"),
            ("2001:db8::1", None)
        );
        assert_eq!(
            split_path(r"C:\Users\a\x.exe"),
            (Some(r"C:\Users\a"), "x.exe")
        );
        assert_eq!(split_path("/tmp/x"), (Some("/tmp"), "x"));
        assert_eq!(split_path("/x"), (Some("/"), "x"));
        assert_eq!(
            full_hive(r"HKLM\Software\X"),
            r"HKEY_LOCAL_MACHINE\Software\X"
        );
    }
}
