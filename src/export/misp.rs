//! MISP event JSON: spoor's [`ExchangeFindings`] as one event with attributes (types and
//! categories from `data/export-types.txt`), a `file` object (with `pe` and `pe-section`
//! objects for PE files) per sample, a TLP tag and ATT&CK galaxy tags (mapping in
//! `docs/exports.md`).
//!
//! Deterministic: UUIDs are UUIDv5 over stable content, every timestamp is the run's
//! creation time.

use super::findings::{ExchangeFindings, Indicator, IndicatorKind, SampleFacts};
use super::{export_types, stable_uuid, ExchangeOptions};
use crate::ioc::IocKind;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::io::{self, Write};

/// MISP object templates used: (name, template uuid, template version, meta-category).
const FILE_TEMPLATE: (&str, &str, &str, &str) =
    ("file", "688c46fb-5edb-40a3-8273-1af7923e2215", "25", "file");
const PE_TEMPLATE: (&str, &str, &str, &str) =
    ("pe", "cf7adecc-d4f0-4e88-9d90-f978ee151a07", "11", "file");
const SECTION_TEMPLATE: (&str, &str, &str, &str) = (
    "pe-section",
    "198a17d2-a135-4b25-9a32-5aa4e632014a",
    "3",
    "file",
);

/// Writes `findings` as one pretty-printed MISP event.
pub fn write(
    findings: &ExchangeFindings,
    options: ExchangeOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &event(findings, options))?;
    out.write_all(b"\n")
}

/// The MISP event of `findings`: `{"Event": {...}}`.
pub fn event(findings: &ExchangeFindings, options: ExchangeOptions) -> Value {
    let stamp = options.created_ms.div_euclid(1000).to_string();
    let date = super::timestamp(options.created_ms)
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string();
    let mut content: Vec<String> = findings.samples.iter().map(|s| s.sha256.clone()).collect();
    content.extend(findings.sources.iter().cloned());
    // What was found, too: the same source names with other content make another event.
    content.extend(
        findings
            .indicators
            .iter()
            .map(|i| format!("{}={}", i.kind.as_str(), i.value)),
    );
    content.extend(findings.rules.iter().map(|r| r.text.clone()));
    let content_refs: Vec<&str> = content.iter().map(String::as_str).collect();
    let event_uuid = stable_uuid(&[&["misp-event"], content_refs.as_slice()].concat());
    let event_id = event_uuid.to_string();
    let ctx = Ctx {
        stamp: &stamp,
        event: &event_id,
    };

    let mut attributes = Vec::new();
    for ind in &findings.indicators {
        if let Some(mut a) = ctx.indicator_attribute(findings, ind) {
            add_intel(&mut a, &ind.intel);
            attributes.push(a);
        }
    }
    for rule in &findings.rules {
        let mut a = ctx.attribute(
            "yara",
            "Payload installation",
            &rule.text,
            true,
            &["yara", &rule.name],
        );
        a.insert("comment".into(), format!("YARA rule {}", rule.name).into());
        attributes.push(Value::Object(a));
    }

    let mut objects = Vec::new();
    for sample in &findings.samples {
        objects.extend(ctx.sample_objects(sample));
    }

    let mut tags = vec![json!({ "name": format!("tlp:{}", options.tlp.as_str()) })];
    let mut techniques: BTreeSet<(String, String)> = findings
        .techniques
        .iter()
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect();
    for ind in &findings.indicators {
        if ind.kind == IndicatorKind::Ioc(IocKind::AttackTechnique) {
            if let Some(name) = crate::findings::attack::technique_name(&ind.value) {
                techniques.insert((ind.value.clone(), name.to_string()));
            }
        }
    }
    for (id, name) in &techniques {
        tags.push(json!({ "name": galaxy_tag(id, name) }));
    }
    for tag in class_tags(findings) {
        tags.push(json!({ "name": tag }));
    }

    let info = if findings.samples.is_empty() {
        format!(
            "spoor: indicators from {} source(s)",
            findings.sources.len()
        )
    } else {
        let names: Vec<&str> = findings
            .samples
            .iter()
            .map(|s| s.file_name.as_str())
            .collect();
        format!("spoor: static triage of {}", names.join(", "))
    };
    let info = match &findings.family {
        Some(f) => format!("{info} ({f})"),
        None => info,
    };
    json!({
        "Event": {
            "uuid": event_uuid.to_string(),
            "info": info,
            "date": date,
            "timestamp": stamp,
            "published": false,
            "analysis": "2",
            "threat_level_id": "4",
            "distribution": "0",
            "Orgc": { "name": "spoor", "uuid": stable_uuid(&["misp-org", "spoor"]).to_string() },
            "Tag": tags,
            "Attribute": attributes,
            "Object": objects,
        }
    })
}

/// What the analyst's intelligence feeds know about an attribute: its comment names each
/// feed entry (matched value, tags, first seen, threat level) and it gets the tags
/// `spoor-intel:feed="NAME"` plus the feeds' own tags.
fn add_intel(attribute: &mut Value, hits: &[crate::ioc::IntelHit]) {
    if hits.is_empty() {
        return;
    }
    let Some(a) = attribute.as_object_mut() else {
        return;
    };
    let known: Vec<String> = hits.iter().map(|h| h.describe()).collect();
    let comment = a
        .get("comment")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    a.insert(
        "comment".into(),
        format!("{comment}; known to intel: {}", known.join("; ")).into(),
    );
    let mut tags = BTreeSet::new();
    for h in hits {
        tags.insert(format!("spoor-intel:feed=\"{}\"", h.feed.replace('"', "'")));
        tags.extend(h.tags.iter().cloned());
    }
    let tags: Vec<Value> = tags.into_iter().map(|t| json!({ "name": t })).collect();
    a.insert("Tag".into(), tags.into());
}

/// The tags of the samples' class hints (`data/class-hints.txt`): the class's taxonomy tag
/// and `spoor:class="NAME"`, each once, sorted.
fn class_tags(findings: &ExchangeFindings) -> BTreeSet<String> {
    let mut tags = BTreeSet::new();
    for c in findings.samples.iter().flat_map(|s| &s.classes) {
        tags.insert(format!("spoor:class=\"{c}\""));
        if let Some(class) = crate::findings::classes::label(c) {
            tags.insert(class.misp.clone());
        }
    }
    tags
}

/// The MISP galaxy tag of an ATT&CK technique: the cluster value is the technique's own
/// name (a sub-technique's part after `: `) and its id, as in the `mitre-attack-pattern`
/// galaxy.
pub fn galaxy_tag(id: &str, name: &str) -> String {
    let short = name.rsplit_once(": ").map_or(name, |(_, s)| s);
    format!("misp-galaxy:mitre-attack-pattern=\"{short} - {id}\"")
}

/// What every attribute and object of one event shares.
struct Ctx<'a> {
    /// The event's timestamp (seconds since 1970).
    stamp: &'a str,
    /// The event's UUID: part of every UUID inside it, because MISP requires attribute and
    /// object UUIDs to be unique across events.
    event: &'a str,
}

impl Ctx<'_> {
    fn attribute(
        &self,
        kind: &str,
        category: &str,
        value: &str,
        to_ids: bool,
        key: &[&str],
    ) -> Map<String, Value> {
        let mut parts = vec!["misp-attribute", self.event, kind];
        parts.extend_from_slice(key);
        let mut a = Map::new();
        a.insert("uuid".into(), stable_uuid(&parts).to_string().into());
        a.insert("type".into(), kind.into());
        a.insert("category".into(), category.into());
        a.insert("value".into(), value.into());
        a.insert("to_ids".into(), to_ids.into());
        a.insert("distribution".into(), "5".into());
        a.insert("disable_correlation".into(), false.into());
        a.insert("timestamp".into(), self.stamp.into());
        a
    }

    fn indicator_attribute(&self, findings: &ExchangeFindings, ind: &Indicator) -> Option<Value> {
        let (kind, value, samples, sources) =
            (ind.kind, ind.value.as_str(), &ind.samples, &ind.sources);
        let row = export_types().get(kind.as_str())?;
        let mut misp_type = row.misp_type.clone()?;
        let mut shown = value.to_string();
        if let IndicatorKind::Ioc(k @ (IocKind::Ipv4 | IocKind::Ipv6)) = kind {
            // one port: `ip-dst|port`; several are listed in the comment
            let single = match ind.ports.as_slice() {
                [port] => Some((value.to_string(), *port)),
                _ => None,
            };
            if let Some((addr, port)) = address_port(k, value).or(single) {
                misp_type = format!("{misp_type}|port");
                shown = format!("{addr}|{port}");
            }
        }
        let mut a = self.attribute(
            &misp_type,
            &row.misp_category,
            &shown,
            row.to_ids && ind.is_indicator(),
            &[kind.as_str(), value],
        );
        let mut names: Vec<&str> = samples
            .iter()
            .filter_map(|&i| findings.samples.get(i).map(|s| s.label.as_str()))
            .collect();
        names.extend(sources.iter().map(String::as_str));
        let more = names.len().saturating_sub(5);
        names.truncate(5);
        let mut comment = format!("{}; seen in {}", kind.as_str(), names.join(", "));
        if more > 0 {
            comment.push_str(&format!(" and {more} more"));
        }
        comment.push_str(&super::stix::indicator_facts(ind).replace(". ", "; "));
        if let Some(why) = &ind.context {
            comment.push_str(&format!("; context, not an indicator: {why}"));
        }
        a.insert("comment".into(), comment.into());
        Some(Value::Object(a))
    }

    fn object(
        &self,
        template: (&str, &str, &str, &str),
        key: &str,
        comment: String,
        attributes: Vec<(&str, &str, String)>,
    ) -> Map<String, Value> {
        let uuid = stable_uuid(&["misp-object", self.event, template.0, key]).to_string();
        let attrs: Vec<Value> = attributes
            .into_iter()
            .map(|(relation, kind, value)| {
                let category = export_types()
                    .values()
                    .find(|r| r.misp_type.as_deref() == Some(kind))
                    .map_or("Other", |r| r.misp_category.as_str());
                let category = match kind {
                    "imphash" => "Payload delivery",
                    "filename" => "Payload delivery",
                    _ => category,
                };
                let to_ids = matches!(kind, "md5" | "sha1" | "sha256" | "sha512" | "imphash");
                let mut a = self.attribute(kind, category, &value, to_ids, &[&uuid, relation]);
                a.insert("object_relation".into(), relation.into());
                Value::Object(a)
            })
            .collect();
        let mut o = Map::new();
        o.insert("uuid".into(), uuid.into());
        o.insert("name".into(), template.0.into());
        o.insert("meta-category".into(), template.3.into());
        o.insert("template_uuid".into(), template.1.into());
        o.insert("template_version".into(), template.2.into());
        o.insert("distribution".into(), "5".into());
        o.insert("timestamp".into(), self.stamp.into());
        o.insert("comment".into(), comment.into());
        o.insert("Attribute".into(), Value::Array(attrs));
        o
    }

    fn reference(&self, from: &Map<String, Value>, to: &Map<String, Value>, kind: &str) -> Value {
        let from_id = from.get("uuid").and_then(Value::as_str).unwrap_or_default();
        let to_id = to.get("uuid").and_then(Value::as_str).unwrap_or_default();
        json!({
            "uuid": stable_uuid(&["misp-reference", from_id, kind, to_id]).to_string(),
            "object_uuid": from_id,
            "referenced_uuid": to_id,
            "relationship_type": kind,
            "timestamp": self.stamp,
        })
    }

    /// The `file` object of a sample, and its `pe` and `pe-section` objects.
    fn sample_objects(&self, sample: &SampleFacts) -> Vec<Value> {
        let mut attrs = vec![("filename", "filename", sample.file_name.clone())];
        attrs.push(("size-in-bytes", "size-in-bytes", sample.size.to_string()));
        for (rel, value) in [
            ("md5", &sample.md5),
            ("sha1", &sample.sha1),
            ("sha256", &sample.sha256),
            ("sha512", &sample.sha512),
        ] {
            if !value.is_empty() {
                attrs.push((rel, rel, value.clone()));
            }
        }
        let mut file = self.object(
            FILE_TEMPLATE,
            &sample.sha256,
            format!("The sample {}", sample.label),
            attrs,
        );
        let Some(pe) = &sample.pe else {
            return vec![Value::Object(file)];
        };
        let mut pe_attrs = vec![("type", "text", pe.pe_type.clone())];
        if let Some(h) = &pe.imphash {
            pe_attrs.push(("imphash", "imphash", h.clone()));
        }
        if pe.time_date_stamp != 0 {
            pe_attrs.push((
                "compilation-timestamp",
                "datetime",
                super::timestamp(i64::from(pe.time_date_stamp) * 1000),
            ));
        }
        pe_attrs.push(("number-sections", "counter", pe.sections.len().to_string()));
        let mut pe_obj = self.object(
            PE_TEMPLATE,
            &sample.sha256,
            format!("PE headers of {}", sample.file_name),
            pe_attrs,
        );
        let mut sections = Vec::new();
        let mut pe_refs = Vec::new();
        for (i, s) in pe.sections.iter().enumerate() {
            let mut sa = vec![
                ("name", "text", s.name.clone()),
                ("size-in-bytes", "size-in-bytes", s.size.to_string()),
                ("entropy", "float", format!("{}", s.entropy)),
            ];
            if let Some(h) = &s.md5 {
                sa.push(("md5", "md5", h.clone()));
            }
            if let Some(h) = &s.sha256 {
                sa.push(("sha256", "sha256", h.clone()));
            }
            let key = format!("{}|{i}", sample.sha256);
            let sec = self.object(
                SECTION_TEMPLATE,
                &key,
                format!("Section {} of {}", s.name, sample.file_name),
                sa,
            );
            pe_refs.push(self.reference(&pe_obj, &sec, "includes"));
            sections.push(Value::Object(sec));
        }
        let file_ref = self.reference(&file, &pe_obj, "includes");
        file.insert("ObjectReference".into(), json!([file_ref]));
        if !pe_refs.is_empty() {
            pe_obj.insert("ObjectReference".into(), Value::Array(pe_refs));
        }
        let mut out = vec![Value::Object(file), Value::Object(pe_obj)];
        out.extend(sections);
        out
    }
}

/// The address and port of an `addr:port` / `[addr]:port` value.
fn address_port(kind: IocKind, value: &str) -> Option<(String, u16)> {
    if kind == IocKind::Ipv6 {
        let rest = value.strip_prefix('[')?;
        let (addr, port) = rest.split_once("]:")?;
        return Some((addr.to_string(), port.parse().ok()?));
    }
    let (addr, port) = value.rsplit_once(':')?;
    Some((addr.to_string(), port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn galaxy_tags_use_the_technique_name() {
        assert_eq!(
            galaxy_tag("T1055", "Process Injection"),
            "misp-galaxy:mitre-attack-pattern=\"Process Injection - T1055\""
        );
        assert_eq!(
            galaxy_tag(
                "T1055.001",
                "Process Injection: Dynamic-link Library Injection"
            ),
            "misp-galaxy:mitre-attack-pattern=\"Dynamic-link Library Injection - T1055.001\""
        );
    }

    #[test]
    fn every_kind_has_an_export_row() {
        let table = export_types();
        for kind in IocKind::ALL {
            assert!(table.contains_key(kind.as_str()), "{kind} missing");
        }
        for kind in [IndicatorKind::Mutex, IndicatorKind::FileName] {
            assert!(
                table.contains_key(kind.as_str()),
                "{} missing",
                kind.as_str()
            );
        }
        assert_eq!(table["ipv4"].misp_type.as_deref(), Some("ip-dst"));
        assert_eq!(table["registry_key"].misp_category, "Persistence mechanism");
        assert!(!table["cve"].to_ids);
    }

    #[test]
    fn ports_become_ip_dst_port() {
        assert_eq!(
            address_port(IocKind::Ipv4, "198.51.100.7:8443"),
            Some(("198.51.100.7".into(), 8443))
        );
        assert_eq!(address_port(IocKind::Ipv4, "198.51.100.7"), None);
        assert_eq!(
            address_port(IocKind::Ipv6, "[2001:db8::2]:53"),
            Some(("2001:db8::2".into(), 53))
        );
    }
}
