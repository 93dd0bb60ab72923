//! CAPE and Cuckoo sandbox `report.json`.
//!
//! What becomes events: the analysed sample (`target.file`), every monitored process
//! (`behavior.processes`, with parent and command line), the API calls listed in
//! `data/cape-apis.txt`, the behaviour summary (files, keys, mutexes, commands,
//! services), the network section (DNS with answers, HTTP, TCP/UDP), signatures with
//! their ATT&CK ids, and dropped files with their hashes. The same activity reported
//! twice (a call and the summary, a call and the network section) becomes one event whose
//! details are merged. Both the CAPE shapes (`arguments` as a list of name/value pairs,
//! `ttp` lists) and the Cuckoo 2 shapes (`arguments` as an object, `pid`/`ppid`) are read.
//!
//! The report is read as a stream: each process, API call and section is parsed on its
//! own and dropped once mapped, so memory follows the events found, not the report's size.
//! With a [`super::FieldTap`], every string of the report goes to it with its JSON pointer
//! and line as the report is parsed (as [`super::json::document_fields`] gives them), so
//! the IOC scanner needs no second parse.

use super::json::{FieldSink, Grab, LineCounting};
use super::{Action, Event, Field, FieldTap, LogFormat, ProcessInfo, Provenance, ReadReport};
use crate::error::WarningCode;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

/// The API-call table (`data/cape-apis.txt`).
pub const CAPE_APIS: &str = include_str!("../../data/cape-apis.txt");

struct ApiMapping {
    action: Action,
    target: String,
    details: Vec<(String, String)>,
}

fn apis() -> &'static HashMap<String, ApiMapping> {
    static TABLE: OnceLock<HashMap<String, ApiMapping>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        for line in crate::tables::entries(CAPE_APIS) {
            let mut parts = line.split_whitespace();
            let (Some(api), Some(action), Some(target)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let Some(action) = Action::from_name(action) else {
                continue;
            };
            let details = parts
                .filter_map(|p| p.split_once('='))
                .map(|(d, a)| (d.to_string(), a.to_string()))
                .collect();
            map.insert(
                api.to_string(),
                ApiMapping {
                    action,
                    target: target.to_string(),
                    details,
                },
            );
        }
        map
    })
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(|i| text(Some(i))).collect(),
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => super::sysmon::parse_pid(s),
        _ => None,
    }
}

/// A call's arguments by name, from either shape.
fn arguments(call: &Value) -> Vec<(String, String)> {
    match call.get("arguments") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|a| {
                Some((
                    text(a.get("name"))?,
                    text(a.get("value")).unwrap_or_default(),
                ))
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| (k.clone(), text(Some(v)).unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    }
}

/// Collects events, merging repeats of the same action on the same target.
struct Collector {
    source: Arc<str>,
    events: Vec<Event>,
    /// The events of each (action, what) key; several for processes that share a
    /// command line but not a pid.
    seen: HashMap<(Action, String), Vec<usize>>,
    /// The sandbox's own packet capture's SHA-256 (`network.pcap_sha256`): a hash of the
    /// analysis, not of the sample; given to the sample event.
    pcap_sha256: Option<String>,
}

impl Collector {
    fn provenance(&self, field: String) -> Provenance {
        Provenance {
            source: self.source.clone(),
            format: LogFormat::CapeReport,
            record: self.events.len() as u64,
            line: None,
            record_id: None,
            field: Some(field),
        }
    }

    /// What makes two events the same: the command line for process creations (one
    /// image may run many commands), else the target.
    fn key(event: &Event) -> (Action, String) {
        let what = match (&event.action, &event.process.command_line) {
            (Action::ProcessCreate, Some(cmd)) => cmd.trim(),
            _ => event.target.as_str(),
        };
        (event.action, what.to_lowercase())
    }

    /// The event `event` repeats: same key and, for processes, no two different pids (the
    /// same command run twice is two processes; a report of it without a pid is either).
    fn same_as(&self, key: &(Action, String), event: &Event) -> Option<usize> {
        let candidates = self.seen.get(key)?;
        let pid = event.process.pid;
        if event.action != Action::ProcessCreate || pid.is_none() {
            return candidates.first().copied();
        }
        candidates
            .iter()
            .copied()
            .find(|&i| self.events.get(i).is_some_and(|e| e.process.pid == pid))
            .or_else(|| {
                candidates
                    .iter()
                    .copied()
                    .find(|&i| self.events.get(i).is_some_and(|e| e.process.pid.is_none()))
            })
    }

    fn push(&mut self, event: Event) {
        let key = Self::key(&event);
        if let Some(i) = self.same_as(&key, &event) {
            if let Some(existing) = self.events.get_mut(i) {
                for (k, v) in event.details {
                    existing.details.entry(k).or_insert(v);
                }
                let (old, new) = (&mut existing.process, event.process);
                old.pid = old.pid.or(new.pid);
                old.command_line = old.command_line.take().or(new.command_line);
                old.parent_pid = old.parent_pid.or(new.parent_pid);
                old.parent_image = old.parent_image.take().or(new.parent_image);
                // a full path beats a bare name
                let full = |i: &Option<String>| i.as_ref().is_some_and(|i| i.contains('\\'));
                if old.image.is_none() || (!full(&old.image) && full(&new.image)) {
                    old.image = new.image;
                    if matches!(existing.action, Action::ProcessCreate) {
                        if let Some(i) = &old.image {
                            existing.target = i.clone();
                        }
                    }
                }
                if existing.time.is_none() {
                    existing.time = event.time;
                }
            }
            return;
        }
        self.seen.entry(key).or_default().push(self.events.len());
        self.events.push(event);
    }

    fn add(&mut self, action: Action, target: String, field: String) -> Option<&mut Event> {
        if target.trim().is_empty() {
            return None;
        }
        let key = (action, target.to_lowercase());
        if let Some(&i) = self.seen.get(&key).and_then(|v| v.first()) {
            return self.events.get_mut(i);
        }
        let e = Event::new(action, target, self.provenance(field));
        self.push(e);
        self.events.last_mut()
    }
}

/// Events of a CAPE / Cuckoo report, read as a stream: each process, each API call and
/// each other section is parsed on its own and dropped once mapped.
pub fn events(
    source: &Arc<str>,
    reader: &mut dyn Read,
    sink: &mut dyn FnMut(Event),
    fields: Option<&mut FieldTap<'_>>,
    report: &mut ReadReport,
) {
    let mut c = Collector {
        source: source.clone(),
        events: Vec::new(),
        seen: HashMap::new(),
        pcap_sha256: None,
    };
    let mut state = Stream {
        c: &mut c,
        images: HashMap::new(),
        signatures: Value::Null,
        ttps: Value::Null,
        process_index: 0,
        fields: None,
    };
    let line = Rc::new(Cell::new(1u64));
    let solid = Rc::new(Cell::new(0u64));
    let mut field_report = ReadReport::default();
    let (tap_sink, tap_report) = match fields {
        Some(tap) => (Some(&mut *tap.sink), Some(&mut tap.report)),
        None => (None, None),
    };
    state.fields = tap_sink.map(|sink| Fields {
        sink,
        line: line.clone(),
        path: String::new(),
        emitted: 0,
    });
    // Bad characters in strings (a lone surrogate, an invalid byte) are replaced as read,
    // so one bad field does not cost the rest of the report.
    let mut repairing =
        std::io::BufReader::with_capacity(64 * 1024, super::json_repair::Repairing::new(reader));
    let counting = LineCounting {
        inner: &mut repairing,
        line: line.clone(),
        solid: solid.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(counting);
    match TopLevel(&mut state).deserialize(&mut de) {
        Ok(()) => {
            report.records = 1;
            field_report.records = 1;
            // what follows the report (another document) is still scanned for IOCs
            if let Some(f) = state.fields.as_mut() {
                super::json::more_documents(&mut de, &line, &solid, f.sink, &mut field_report);
            }
        }
        Err(e) => {
            report.warn(
                WarningCode::InputTruncated,
                format!(
                    "the report is not complete JSON ({e}); the events before the damage were \
                     kept"
                ),
            );
            field_report.warn(
                WarningCode::ParseError,
                super::json::broken_at(line.get(), &e),
            );
        }
    }
    drop(de);
    let replaced = repairing.get_ref().replaced();
    if replaced > 0 {
        report.warn(
            WarningCode::Encoding,
            super::json::replaced_warning(replaced),
        );
        field_report.warn(
            WarningCode::Encoding,
            super::json::replaced_warning(replaced),
        );
    }
    if let (Some(tap_report), Some(f)) = (tap_report, state.fields.take()) {
        field_report.produced += f.emitted;
        *tap_report = field_report;
    }
    let (signatures_doc, ttps) = (
        std::mem::take(&mut state.signatures),
        std::mem::take(&mut state.ttps),
    );
    let doc = serde_json::json!({"signatures": signatures_doc, "ttps": ttps});
    signatures(&doc, &mut c);
    report.produced += c.events.len() as u64;
    for e in c.events {
        sink(e);
    }
}

/// What the stream keeps between sections.
struct Stream<'c> {
    c: &'c mut Collector,
    /// Images of the processes seen so far, by pid (for parents).
    images: HashMap<u64, String>,
    signatures: Value,
    ttps: Value,
    process_index: usize,
    /// The field tap's side, when the report's strings are wanted too.
    fields: Option<Fields<'c>>,
}

/// Where the report's strings go while it is parsed.
struct Fields<'c> {
    sink: &'c mut dyn FnMut(Field),
    line: Rc<Cell<u64>>,
    /// JSON pointer of the value being parsed.
    path: String,
    emitted: u64,
}

impl Stream<'_> {
    /// Enters `segment` of the JSON pointer (a key or an index); returns where to go back.
    fn enter(&mut self, segment: &str) -> usize {
        match self.fields.as_mut() {
            Some(f) => {
                let base = f.path.len();
                super::json::push_key(&mut f.path, segment);
                base
            }
            None => 0,
        }
    }

    fn leave(&mut self, base: usize) {
        if let Some(f) = self.fields.as_mut() {
            f.path.truncate(base);
        }
    }

    /// Parses the next value of `map` (under `key`), its strings handed to the tap.
    fn value<'de, A: MapAccess<'de>>(&mut self, map: &mut A, key: &str) -> Result<Value, A::Error> {
        let base = self.enter(key);
        let value = match self.fields.as_mut() {
            None => map.next_value(),
            Some(f) => map.next_value_seed(Grab(Some(&mut f.sink()))),
        };
        self.leave(base);
        value
    }

    /// Skips the next value of `map` (under `key`), its strings handed to the tap.
    fn skip<'de, A: MapAccess<'de>>(&mut self, map: &mut A, key: &str) -> Result<(), A::Error> {
        let base = self.enter(key);
        let done = match self.fields.as_mut() {
            None => map.next_value::<IgnoredAny>().map(|_| ()),
            Some(f) => map.next_value_seed(f.sink().walk()),
        };
        self.leave(base);
        done
    }

    /// Parses the next element of `seq` (at `index`), its strings handed to the tap.
    fn element<'de, A: SeqAccess<'de>>(
        &mut self,
        seq: &mut A,
        index: usize,
    ) -> Result<Option<Value>, A::Error> {
        let base = self.enter(&index.to_string());
        let value = match self.fields.as_mut() {
            None => seq.next_element(),
            Some(f) => seq.next_element_seed(Grab(Some(&mut f.sink()))),
        };
        self.leave(base);
        value
    }
}

impl Fields<'_> {
    fn sink(&mut self) -> FieldSink<'_> {
        FieldSink {
            path: &mut self.path,
            sink: &mut *self.sink,
            line: Some(&self.line),
            fixed_line: None,
            emitted: &mut self.emitted,
        }
    }
}

struct TopLevel<'a, 'c>(&'a mut Stream<'c>);

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a sandbox report object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "target" => {
                    let v = st.value(&mut map, &key)?;
                    sample(&serde_json::json!({ "target": v }), st.c);
                }
                "behavior" => {
                    let base = st.enter(&key);
                    map.next_value_seed(Behavior(&mut *st))?;
                    st.leave(base);
                }
                "network" => {
                    let v = st.value(&mut map, &key)?;
                    network(&serde_json::json!({ "network": v }), st.c);
                }
                "signatures" => st.signatures = st.value(&mut map, &key)?,
                "ttps" => st.ttps = st.value(&mut map, &key)?,
                "dropped" => {
                    let v = st.value(&mut map, &key)?;
                    dropped(&serde_json::json!({ "dropped": v }), st.c);
                }
                _ => st.skip(&mut map, &key)?,
            }
        }
        Ok(())
    }
}

struct Behavior<'a, 'c>(&'a mut Stream<'c>);

impl<'de> DeserializeSeed<'de> for Behavior<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Behavior<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the behavior section")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "processes" => {
                    let base = st.enter(&key);
                    map.next_value_seed(Processes(&mut *st))?;
                    st.leave(base);
                }
                "summary" => {
                    let v = st.value(&mut map, &key)?;
                    summary(&serde_json::json!({ "behavior": { "summary": v } }), st.c);
                }
                _ => st.skip(&mut map, &key)?,
            }
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

struct Processes<'a, 'c>(&'a mut Stream<'c>);

impl<'de> DeserializeSeed<'de> for Processes<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Processes<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of processes")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let st = self.0;
        let mut i = 0usize;
        loop {
            let base = st.enter(&i.to_string());
            let more = seq.next_element_seed(OneProcess(&mut *st))?.is_some();
            st.leave(base);
            if !more {
                break;
            }
            st.process_index += 1;
            i += 1;
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

struct OneProcess<'a, 'c>(&'a mut Stream<'c>);

impl<'de> DeserializeSeed<'de> for OneProcess<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OneProcess<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a process")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let st = self.0;
        let pi = st.process_index;
        // the process's own fields; its calls are mapped one by one as they come
        let mut fields = serde_json::Map::new();
        let mut agent: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "calls" {
                let me = process_info(&Value::Object(fields.clone()), &st.images);
                let base = st.enter(&key);
                map.next_value_seed(Calls {
                    st: &mut *st,
                    me,
                    agent: &mut agent,
                    pi,
                })?;
                st.leave(base);
            } else {
                let v = st.value(&mut map, &key)?;
                fields.insert(key, v);
            }
        }
        let p = Value::Object(fields);
        let info = process_info(&p, &st.images);
        if let (Some(pid), Some(image)) = (info.pid, &info.image) {
            if st.images.len() < 100_000 {
                st.images.insert(pid, image.clone());
            }
        }
        let target = info.image.clone().unwrap_or_default();
        let mut e = Event::new(
            Action::ProcessCreate,
            target,
            st.c.provenance(format!("/behavior/processes/{pi}")),
        );
        e.process = info;
        e.time = text(p.get("first_seen"));
        st.c.push(e);
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Who a process entry is (CAPE and Cuckoo field names).
fn process_info(p: &Value, images: &HashMap<u64, String>) -> ProcessInfo {
    let pid = number(p.get("process_id").or_else(|| p.get("pid")));
    let parent_pid = number(p.get("parent_id").or_else(|| p.get("ppid")));
    ProcessInfo {
        pid,
        image: text(p.get("module_path"))
            .or_else(|| text(p.get("process_path")))
            .or_else(|| text(p.get("process_name"))),
        command_line: text(p.pointer("/environ/CommandLine"))
            .or_else(|| text(p.get("command_line"))),
        parent_pid,
        parent_image: parent_pid.and_then(|p| images.get(&p).cloned()),
    }
}

struct Calls<'a, 'c> {
    st: &'a mut Stream<'c>,
    me: ProcessInfo,
    agent: &'a mut Option<String>,
    pi: usize,
}

impl<'de> DeserializeSeed<'de> for Calls<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Calls<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of API calls")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut ci = 0usize;
        while let Some(call) = self.st.element(&mut seq, ci)? {
            one_call(&call, &self.me, self.agent, self.pi, ci, self.st.c);
            ci += 1;
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

fn sample(doc: &Value, c: &mut Collector) {
    let Some(file) = doc.pointer("/target/file") else {
        return;
    };
    let name = text(file.get("name")).unwrap_or_else(|| "sample".to_string());
    if let Some(e) = c.add(Action::Sample, name, "/target/file".to_string()) {
        for alg in ["md5", "sha1", "sha256", "sha512"] {
            if let Some(h) = text(file.get(alg)) {
                e.detail(alg, h);
            }
        }
        if let Some(t) = text(file.get("type")) {
            e.detail("type", t);
        }
        if let Some(s) = text(file.get("size")) {
            e.detail("size", s);
        }
    }
    // the sandbox's own packet capture (read before the sample): a hash of the analysis
    if let Some(h) = c.pcap_sha256.clone() {
        if let Some(e) = c.events.iter_mut().find(|e| e.action == Action::Sample) {
            e.detail("pcap_sha256", h);
        }
    }
}

/// Maps one API call of a process onto an event, if the call table lists it.
fn one_call(
    call: &Value,
    me: &ProcessInfo,
    agent: &mut Option<String>,
    pi: usize,
    ci: usize,
    c: &mut Collector,
) {
    let actor = ProcessInfo {
        pid: me.pid,
        image: me.image.clone(),
        ..ProcessInfo::default()
    };
    let Some(api) = text(call.get("api")) else {
        return;
    };
    let args = arguments(call);
    let arg = |name: &str| {
        args.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    if api.starts_with("InternetOpen") && !api.starts_with("InternetOpenUrl") {
        *agent = arg("Agent");
        return;
    }
    let Some(mapping) = apis().get(&api) else {
        return;
    };
    let Some(target) = arg(&mapping.target) else {
        return;
    };
    let mut event = Event::new(
        mapping.action,
        target.clone(),
        c.provenance(format!("/behavior/processes/{pi}/calls/{ci}")),
    );
    event.time = text(call.get("timestamp"));
    event.process = actor;
    event.detail("api", api.clone());
    for (detail, name) in &mapping.details {
        if let Some(v) = arg(name) {
            event.detail(detail, v);
        }
    }
    if mapping.action == Action::ProcessCreate {
        let command = match event.get("parameters") {
            Some(params) => format!("{target} {params}"),
            None => target.clone(),
        };
        event.process = ProcessInfo {
            pid: event.get("child_pid").and_then(super::sysmon::parse_pid),
            image: command_image(&command),
            command_line: Some(command.trim().to_string()),
            parent_pid: me.pid,
            parent_image: me.image.clone(),
        };
        event.target = event.process.image.clone().unwrap_or(target);
    }
    if mapping.action == Action::HttpRequest {
        if let Some(a) = agent.as_ref() {
            event.detail("user_agent", a.clone());
        }
    }
    c.push(event);
}

/// The executable of a command line (quoted or first word).
fn command_image(command: &str) -> Option<String> {
    let c = command.trim();
    let image = match c.strip_prefix('"') {
        Some(rest) => rest.split('"').next()?,
        None => c.split_whitespace().next()?,
    };
    Some(image.to_string()).filter(|s| !s.is_empty())
}

fn summary(doc: &Value, c: &mut Collector) {
    let Some(s) = doc.pointer("/behavior/summary") else {
        return;
    };
    let groups: [(&[&str], Action); 9] = [
        (&["write_files", "file_written"], Action::FileModify),
        (&["delete_files", "file_deleted"], Action::FileDelete),
        (&["write_keys", "regkey_written"], Action::RegistrySet),
        (&["delete_keys", "regkey_deleted"], Action::RegistryDelete),
        (&["mutexes", "mutex"], Action::Mutex),
        (
            &["executed_commands", "command_line"],
            Action::ProcessCreate,
        ),
        (&["created_services"], Action::ServiceCreate),
        (&["file_created"], Action::FileCreate),
        (&["directory_created"], Action::DirectoryCreate),
    ];
    for (names, action) in groups {
        for name in names {
            for (i, value) in strings(s.get(*name)).into_iter().enumerate() {
                let field = format!("/behavior/summary/{name}/{i}");
                if action == Action::ProcessCreate {
                    let image = command_image(&value).unwrap_or_default();
                    let mut e = Event::new(action, image.clone(), c.provenance(field));
                    e.process.image = Some(image).filter(|s| !s.is_empty());
                    e.process.command_line = Some(value);
                    c.push(e);
                    continue;
                }
                c.add(action, value, field);
            }
        }
    }
}

fn network(doc: &Value, c: &mut Collector) {
    let Some(n) = doc.get("network") else {
        return;
    };
    // the sandbox's own packet capture (read after the sample): a hash of the analysis
    if let Some(h) = text(n.get("pcap_sha256")) {
        if let Some(e) = c.events.iter_mut().find(|e| e.action == Action::Sample) {
            e.detail("pcap_sha256", h.clone());
        }
        c.pcap_sha256 = Some(h);
    }
    if let Some(Value::Array(dns)) = n.get("dns") {
        for (i, d) in dns.iter().enumerate() {
            let Some(name) = text(d.get("request")) else {
                continue;
            };
            let answers: Vec<String> = match d.get("answers") {
                Some(Value::Array(a)) => a.iter().filter_map(|x| text(x.get("data"))).collect(),
                _ => Vec::new(),
            };
            let mut e = Event::new(
                Action::DnsQuery,
                name.to_ascii_lowercase(),
                c.provenance(format!("/network/dns/{i}")),
            );
            e.detail("qtype", text(d.get("type")).unwrap_or_default());
            e.detail("answers", answers.join(" "));
            c.push(e);
        }
    }
    if let Some(Value::Array(http)) = n.get("http") {
        for (i, h) in http.iter().enumerate() {
            let host = text(h.get("host")).unwrap_or_default();
            let path = text(h.get("path")).unwrap_or_default();
            let url = text(h.get("uri"))
                .filter(|u| u.contains("://"))
                .unwrap_or_else(|| format!("http://{host}{path}"));
            let mut e = Event::new(
                Action::HttpRequest,
                url,
                c.provenance(format!("/network/http/{i}")),
            );
            e.detail("method", text(h.get("method")).unwrap_or_default());
            e.detail("host", host);
            e.detail("uri", path);
            if let Some(ua) = text(h.get("user-agent")).or_else(|| text(h.get("user_agent"))) {
                e.detail("user_agent", ua);
            }
            if let Some(port) = text(h.get("port")) {
                e.detail("dst_port", port);
            }
            c.push(e);
        }
    }
    let mut resolvers: Vec<(String, Option<String>)> = Vec::new();
    for proto in ["tcp", "udp"] {
        if let Some(Value::Array(conns)) = n.get(proto) {
            for (i, conn) in conns.iter().enumerate() {
                let (Some(dst), Some(dport)) = (text(conn.get("dst")), number(conn.get("dport")))
                else {
                    continue;
                };
                if proto == "udp" && dport == 53 {
                    // the DNS section has these: the server and client go to its lookups
                    if !resolvers.iter().any(|(d, _)| *d == dst) {
                        resolvers.push((dst, text(conn.get("src"))));
                    }
                    continue;
                }
                let mut e = Event::new(
                    Action::NetworkConnect,
                    dst,
                    c.provenance(format!("/network/{proto}/{i}")),
                );
                e.detail("dst_port", dport.to_string());
                e.detail("protocol", proto);
                if let Some(src) = text(conn.get("src")) {
                    e.detail("src", src);
                }
                c.push(e);
            }
        }
    }
    // One resolver (the usual sandbox): it answered every lookup of the report.
    if let [(server, client)] = resolvers.as_slice() {
        for e in c
            .events
            .iter_mut()
            .filter(|e| e.action == Action::DnsQuery && e.get("server").is_none())
        {
            e.detail("server", server.clone());
            if let Some(client) = client {
                e.detail("client", client.clone());
            }
        }
    }
}

/// ATT&CK ids in any of the shapes reports use: a list, one string, or an object whose
/// keys are the ids (`{"T1116": {...}}`).
fn technique_ids(v: Option<&Value>) -> Vec<String> {
    let ids = match v {
        Some(Value::Object(map)) => map.keys().cloned().collect(),
        other => strings(other),
    };
    ids.into_iter()
        .flat_map(|t| {
            t.split([',', ' '])
                .map(str::trim)
                .filter(|w| super::analysis::is_technique(w))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Signatures with their ATT&CK ids. The report's `ttps` section comes in three shapes:
/// a list of `{"signature", "ttps": [...]}` (current CAPE), a list of `{"signature",
/// "ttp": "T..."}`, and an object of technique → signature name(s) (older CAPE:
/// `{"T1116": "invalid_authenticode_signature"}`). Ids no signature claims still count.
fn signatures(doc: &Value, c: &mut Collector) {
    let mut ttps_by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut unclaimed: Vec<String> = Vec::new();
    match doc.get("ttps") {
        Some(Value::Array(list)) => {
            for t in list {
                let ids = [technique_ids(t.get("ttps")), technique_ids(t.get("ttp"))].concat();
                match text(t.get("signature")) {
                    Some(name) => ttps_by_name.entry(name).or_default().extend(ids),
                    None => unclaimed.extend(ids),
                }
            }
        }
        Some(Value::Object(map)) => {
            for (id, names) in map {
                if !super::analysis::is_technique(id) {
                    continue;
                }
                let names: Vec<String> = match names {
                    Value::Array(_) | Value::String(_) => strings(Some(names)),
                    Value::Object(o) => strings(o.get("signature").or_else(|| o.get("signatures"))),
                    _ => Vec::new(),
                };
                if names.is_empty() {
                    unclaimed.push(id.clone());
                }
                for n in names {
                    ttps_by_name.entry(n).or_default().push(id.clone());
                }
            }
        }
        _ => {}
    }
    if let Some(Value::Array(list)) = doc.get("signatures") {
        for (i, s) in list.iter().enumerate() {
            let Some(name) = text(s.get("name")) else {
                continue;
            };
            let mut ttp = [technique_ids(s.get("ttp")), technique_ids(s.get("ttps"))].concat();
            if let Some(more) = ttps_by_name.remove(&name) {
                ttp.extend(more);
            }
            ttp.sort();
            ttp.dedup();
            let mut e = Event::new(
                Action::Signature,
                name,
                c.provenance(format!("/signatures/{i}")),
            );
            e.detail("ttp", ttp.join(" "));
            if let Some(d) = text(s.get("description")) {
                e.detail("description", d);
            }
            if let Some(sev) = text(s.get("severity")) {
                e.detail("severity", sev);
            }
            c.push(e);
        }
    }
    // ids of signatures the list does not hold, and ids without a signature
    for (name, mut ids) in ttps_by_name {
        ids.sort();
        ids.dedup();
        let mut e = Event::new(Action::Signature, name, c.provenance("/ttps".to_string()));
        e.detail("ttp", ids.join(" "));
        c.push(e);
    }
    if !unclaimed.is_empty() {
        unclaimed.sort();
        unclaimed.dedup();
        let mut e = Event::new(Action::Signature, "ttps", c.provenance("/ttps".to_string()));
        e.detail("ttp", unclaimed.join(" "));
        c.push(e);
    }
}

fn dropped(doc: &Value, c: &mut Collector) {
    let Some(Value::Array(list)) = doc.get("dropped") else {
        return;
    };
    for (i, d) in list.iter().enumerate() {
        let path = strings(d.get("guest_paths"))
            .into_iter()
            .next()
            .or_else(|| strings(d.get("name")).into_iter().next())
            .or_else(|| strings(d.get("filepath")).into_iter().next());
        let Some(path) = path else {
            continue;
        };
        let mut e = Event::new(
            Action::FileCreate,
            path,
            c.provenance(format!("/dropped/{i}")),
        );
        e.detail("dropped", "true");
        for alg in ["md5", "sha1", "sha256"] {
            if let Some(h) = text(d.get(alg)) {
                e.detail(alg, h);
            }
        }
        if let Some(t) = text(d.get("type")) {
            e.detail("type", t);
        }
        c.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_completely() {
        assert_eq!(crate::tables::entries(CAPE_APIS).count(), apis().len());
    }

    #[test]
    fn cuckoo_shapes() {
        let doc = r#"{"behavior":{"processes":[{"pid":7,"ppid":1,"process_name":"a.exe",
            "calls":[{"api":"CreateMutexW","arguments":{"Name":"m1"}}]}]}}"#;
        let mut out = Vec::new();
        let mut report = ReadReport::default();
        events(
            &Arc::from("r"),
            &mut doc.as_bytes(),
            &mut |e| out.push(e),
            None,
            &mut report,
        );
        let mutex = out
            .iter()
            .find(|e| e.action == Action::Mutex)
            .expect("mutex");
        assert_eq!(mutex.target, "m1");
        assert_eq!(mutex.process.pid, Some(7));
    }
}
