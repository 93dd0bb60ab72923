//! Class hints from log activity: what the events of CAPE, Sysmon/EVTX, Procmon and pcap
//! logs show a sample doing (shadow copies deleted, files renamed en masse, browser credential
//! stores read, mining pools contacted, a downloaded file run, raw disk writes, files written
//! to shares), mapped to classes by the `event`, `events` and `activity` lines of
//! `data/class-hints.txt`.
//!
//! A findings-level module: it takes events from [`crate::logs`] and a triage report from
//! [`crate::sample`] (the readers never see each other) and gives the sample's class hints
//! from both, through [`crate::sample::classes::hints_with`]. [`Activity`] follows a stream
//! of events of any length and keeps only what the table asks for: the first event that
//! makes each alternative hold, counts per action, and (capped) the files written.

use crate::logs::{Action, Event};
use crate::sample::classes::{self, ClassHint};
use crate::sample::Triage;
use std::collections::{BTreeMap, BTreeSet};

/// Files written that are remembered for `download-execute` at most.
const MAX_WRITTEN: usize = 100_000;

/// One `event ACTION TEXT` alternative and the first event that matched it.
#[derive(Debug)]
struct Watched {
    value: String,
    action: Option<String>,
    text: Option<String>,
    first: Option<String>,
}

/// What the logs' events show, as far as the class table reads it.
#[derive(Debug)]
pub struct Activity {
    watched: Vec<Watched>,
    /// Events per action, with the first one's description.
    counts: BTreeMap<&'static str, (u64, String)>,
    /// Files written (lower case) → the writer's process id and image (lower case).
    written: BTreeMap<String, (Option<u64>, Option<String>)>,
    network: Option<String>,
    /// A written file started as a process (before any network activity was seen).
    started_written: Option<String>,
    download_execute: Option<String>,
    /// Hashes (lower case) of the samples the logs' own sample records name.
    sample_hashes: BTreeSet<String>,
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

/// `cape.json record 12: process_create "vssadmin.exe delete shadows /all"`.
fn describe(e: &Event) -> String {
    let source = crate::logs::base_name(&e.provenance.source);
    let what = e
        .process
        .command_line
        .as_deref()
        .filter(|_| matches!(e.action, Action::ProcessCreate | Action::ProcessStart))
        .unwrap_or(&e.target);
    let mut short: String = what.chars().take(100).collect();
    if what.chars().nth(100).is_some() {
        short.push('…');
    }
    let what = short;
    format!(
        "{} {source} record {}: {} \"{what}\"",
        e.provenance.format.as_str(),
        e.provenance.record,
        e.action.as_str()
    )
}

impl Activity {
    /// An empty record, watching the log alternatives of the class table.
    pub fn new() -> Self {
        let watched = classes::log_alternatives()
            .into_iter()
            .filter(|(kind, _)| *kind == "event")
            .map(|(_, value)| {
                let (action, text) = value.split_once(' ').unwrap_or((value, "*"));
                let text = text.trim();
                Watched {
                    value: value.to_string(),
                    action: (action != "*").then(|| action.to_string()),
                    text: (text != "*").then(|| text.to_string()),
                    first: None,
                }
            })
            .collect();
        Activity {
            watched,
            counts: BTreeMap::new(),
            written: BTreeMap::new(),
            network: None,
            started_written: None,
            download_execute: None,
            sample_hashes: BTreeSet::new(),
        }
    }

    /// Takes one event.
    pub fn add(&mut self, e: &Event) {
        let action = e.action.as_str();
        let entry = self
            .counts
            .entry(action)
            .or_insert_with(|| (0, describe(e)));
        entry.0 += 1;
        if e.action == Action::Sample {
            for alg in ["md5", "sha1", "sha256"] {
                if let Some(h) = e.get(alg) {
                    self.sample_hashes.insert(h.to_ascii_lowercase());
                }
            }
            return;
        }
        let mut haystack = e.target.to_ascii_lowercase();
        if let Some(c) = &e.process.command_line {
            haystack.push('\n');
            haystack.push_str(&c.to_ascii_lowercase());
        }
        for v in e.details.values() {
            haystack.push('\n');
            haystack.push_str(&v.to_ascii_lowercase());
        }
        for w in &mut self.watched {
            if w.first.is_some() || w.action.as_deref().is_some_and(|a| a != action) {
                continue;
            }
            if w.text.as_deref().is_none_or(|t| haystack.contains(t)) {
                let detail = w.text.as_deref().and_then(|t| {
                    e.details
                        .iter()
                        .find(|(_, v)| v.to_ascii_lowercase().contains(t))
                        .filter(|_| !e.target.to_ascii_lowercase().contains(t))
                });
                w.first = Some(match detail {
                    Some((k, v)) => {
                        let v: String = v.chars().take(100).collect();
                        format!("{} with {k} \"{v}\"", describe(e))
                    }
                    None => describe(e),
                });
            }
        }
        self.download_execute_step(e);
    }

    /// A file the logs saw written, later started as a process by the process that wrote it,
    /// in a session with network activity.
    fn download_execute_step(&mut self, e: &Event) {
        match e.action {
            Action::FileCreate | Action::FileModify if self.written.len() < MAX_WRITTEN => {
                let writer = (
                    e.process.pid,
                    e.process.image.as_deref().map(str::to_ascii_lowercase),
                );
                self.written.insert(e.target.to_ascii_lowercase(), writer);
            }
            Action::HttpRequest
            | Action::BitsJob
            | Action::DnsQuery
            | Action::NetworkConnect
            | Action::TlsClientHello
                if self.network.is_none() =>
            {
                self.network = Some(describe(e));
            }
            Action::ProcessCreate | Action::ProcessStart => {
                let image = if e.target.is_empty() {
                    e.process.image.as_deref().unwrap_or_default()
                } else {
                    &e.target
                }
                .to_ascii_lowercase();
                // Run by the process that wrote it (a browser's download that the user
                // opens is not a loader's).
                let parent_image = e
                    .process
                    .parent_image
                    .as_deref()
                    .map(str::to_ascii_lowercase);
                let by_writer = self.written.get(&image).is_some_and(|(pid, writer)| {
                    pid.is_some() && *pid == e.process.parent_pid
                        || writer.is_some() && *writer == parent_image
                });
                if by_writer && self.started_written.is_none() {
                    self.started_written = Some(describe(e));
                }
            }
            _ => {}
        }
        if self.download_execute.is_none() {
            if let (Some(net), Some(run)) = (&self.network, &self.started_written) {
                self.download_execute = Some(format!("{net}, then {run}: a written file run"));
            }
        }
    }

    /// Whether the logs' activity belongs to sample `t`: a log's own sample record names its
    /// hash, or the logs name no sample and `only` says it is the one sample analysed.
    pub fn belongs_to(&self, t: &Triage, only: bool) -> bool {
        if self.sample_hashes.is_empty() {
            return only;
        }
        [&t.hashes.md5, &t.hashes.sha1, &t.hashes.sha256]
            .iter()
            .any(|h| self.sample_hashes.contains(&h.to_ascii_lowercase()))
    }

    /// The class hints of `t` from its static evidence and this activity.
    pub fn class_hints(&self, t: &Triage) -> Vec<ClassHint> {
        classes::hints_with(t, Some(self))
    }

    /// Sets the class hints of the samples the activity belongs to ([`Self::belongs_to`]).
    pub fn attach(&self, samples: &mut [Triage]) {
        let only = samples.len() == 1;
        for t in samples.iter_mut() {
            if self.belongs_to(t, only) {
                t.classes = self.class_hints(t);
                // A class the logs earned weighs in the verdict as a static one does.
                t.verdict = crate::sample::verdict::judge(t, &t.classes);
            }
        }
    }
}

impl classes::Activity for Activity {
    fn holds(&self, kind: &str, value: &str) -> Option<String> {
        match kind {
            "event" => self
                .watched
                .iter()
                .find(|w| w.value == value)
                .and_then(|w| w.first.clone()),
            "events" => {
                let (action, n) = value.split_once(' ')?;
                let n: u64 = n.trim().parse().ok()?;
                let (count, first) = self.counts.get(action)?;
                (*count >= n).then(|| format!("{count} {action} events, first {first}"))
            }
            "activity" if value == "download-execute" => self.download_execute.clone(),
            _ => None,
        }
    }
}
