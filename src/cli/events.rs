//! `spoor events`: dynamic-analysis logs as normalised events, with what follows from them.
//! The text view shows every value from the logs through [`crate::escape::terminal`].

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::escape::terminal::field as esc;
use crate::extract::{ExtractOptions, Extractor};
use crate::input::{self, Source};
use crate::logs::analysis::{LogAnalysis, LogFindings, ProcessNode};
use crate::logs::{self, base_name, Action, Event, SourceSummary};
use crate::sigma::{Engine, LoadReport, Scan, SigmaResult};
use clap::{Args, ValueEnum};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats of `spoor events`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventsFormat {
    /// Process tree, events grouped by kind, persistence, indicators, remediation.
    Text,
    /// One document: sources, events and findings (schema `spoor.events/1`).
    Json,
    /// One event per line, streamed (memory stays flat on logs of any size).
    Ndjson,
}

/// Arguments of `spoor events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Log files or directories (formats are recognised from content); `-` reads stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: EventsFormat,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Stop reading a log after this many seconds (0 = no limit), keeping the events read,
    /// with a warning.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub time_limit: f64,
    /// Run the Sigma rules under PATH (rule files or directories, e.g. a checkout of the
    /// public SigmaHQ rules) over the events; matches are added to the output, and what
    /// was not loaded is counted on stderr (and listed in JSON output).
    #[arg(long, value_name = "PATH")]
    pub sigma: Vec<PathBuf>,
    #[arg(long, num_args = 1.., value_name = "PATH", help = super::INTEL_HELP)]
    pub intel: Vec<PathBuf>,
    #[arg(long, num_args = 0..=1, value_name = "DIR", help = super::WARNINGLISTS_HELP)]
    pub warninglists: Option<Option<std::path::PathBuf>>,
}

/// What kind of executable a file given as a log is (`a PE executable`), from its first
/// bytes; `None` for anything else (and for what cannot be opened: reading reports that).
fn executable_kind(source: &input::Source) -> Option<&'static str> {
    use crate::sample::SampleFormat;
    let input::Source::File { path, .. } = source else {
        return None;
    };
    let mut head = [0u8; 8];
    let mut file = std::fs::File::open(path).ok()?;
    let n = std::io::Read::read(&mut file, &mut head).ok()?;
    match crate::sample::sniff(&head[..n]) {
        SampleFormat::Pe => Some("a PE executable"),
        SampleFormat::Elf => Some("an ELF executable"),
        SampleFormat::Macho | SampleFormat::MachoFat => Some("a Mach-O executable"),
        SampleFormat::Unknown => None,
    }
}

/// Runs `spoor events`.
pub fn run(args: EventsArgs) -> ExitCode {
    if let Err(code) = super::check_output(args.output.as_deref()) {
        return code;
    }
    let intel = match super::load_intel(&args.intel, args.warninglists.as_ref()) {
        Ok(store) => store,
        Err(code) => return code,
    };
    if intel.is_some() && args.format == EventsFormat::Ndjson {
        warn("--intel needs -f text or -f json (the indicators come at the end)");
        return ExitCode::from(EXIT_FAILURE);
    }
    let (sources, mut errors) = input::expand_logs(&args.paths);
    // An executable is a sample, not a log: read as text it would give nonsense events.
    let sources: Vec<input::Source> = sources
        .into_iter()
        .filter(|source| match executable_kind(source) {
            Some(kind) => {
                errors.push(input::InputError {
                    code: crate::error::WarningCode::InputSkipped,
                    source: source.name(),
                    message: format!(
                        "{kind}, not a log: samples are read by `spoor triage` or \
                         `spoor analyze`; skipped"
                    ),
                });
                false
            }
            None => true,
        })
        .collect();
    for e in &errors {
        warn(format_args!("{}: {}", e.source, e.message));
    }
    let time_limit = super::time_limit(args.time_limit);
    let engine = if args.sigma.is_empty() {
        None
    } else {
        match Engine::load(&args.sigma) {
            Ok(engine) => {
                note_load(&engine.report);
                Some(engine)
            }
            Err(e) => {
                warn(format_args!("cannot read the Sigma rules: {e}"));
                return ExitCode::from(EXIT_FAILURE);
            }
        }
    };
    let mut scan = engine.as_ref().map(|e| RefCell::new(Scan::new(e)));
    let mut analysis = LogAnalysis::new();
    let mut summaries = Vec::new();
    let mut tree_warnings: Vec<crate::error::Warning> = Vec::new();
    let result = match args.format {
        EventsFormat::Ndjson => crate::output::write_to(args.output.as_deref(), |w| {
            let mut failed: Option<io::Error> = None;
            for source in &sources {
                let mut text_iocs = TextIocs::new(source);
                let summary = logs::read_source_tapped(
                    source,
                    time_limit,
                    0,
                    &mut |e: Event| {
                        analysis.add(&e);
                        if let Some(s) = &scan {
                            s.borrow_mut().event(&e);
                        }
                        if failed.is_none() {
                            let line = serde_json::to_writer(&mut *w, &e)
                                .map_err(io::Error::from)
                                .and_then(|()| w.write_all(b"\n"));
                            failed = line.err();
                        }
                    },
                    &mut |r| text_iocs.read(r),
                    &mut |record, provenance| {
                        if let Some(s) = &scan {
                            s.borrow_mut().windows(record, provenance);
                        }
                    },
                );
                text_iocs.add_to(&summary, &mut analysis);
                summaries.push(summary);
                if let Some(e) = failed.take() {
                    return Err(e);
                }
            }
            if let Some(s) = scan.take() {
                for hit in s.into_inner().finish().hits {
                    serde_json::to_writer(&mut *w, &serde_json::json!({ "sigma_hit": hit }))?;
                    w.write_all(b"\n")?;
                }
            }
            Ok(())
        }),
        EventsFormat::Json | EventsFormat::Text => {
            let mut events = Vec::new();
            for source in &sources {
                let mut text_iocs = TextIocs::new(source);
                let summary = logs::read_source_tapped(
                    source,
                    time_limit,
                    0,
                    &mut |e: Event| {
                        analysis.add(&e);
                        if let Some(s) = &scan {
                            s.borrow_mut().event(&e);
                        }
                        events.push(e);
                    },
                    &mut |r| text_iocs.read(r),
                    &mut |record, provenance| {
                        if let Some(s) = &scan {
                            s.borrow_mut().windows(record, provenance);
                        }
                    },
                );
                text_iocs.add_to(&summary, &mut analysis);
                summaries.push(summary);
            }
            let mut findings = std::mem::take(&mut analysis).finish();
            if let Some(store) = &intel {
                store.annotate_context(&mut findings.iocs);
            }
            tree_warnings = findings.warnings.clone();
            let sigma = scan.take().map(|s| s.into_inner().finish());
            if let Some(result) = &sigma {
                crate::sigma::add_techniques(result, &mut findings);
            }
            crate::output::write_to(args.output.as_deref(), |w| {
                if args.format == EventsFormat::Json {
                    let mut doc = serde_json::json!({
                        "schema": "spoor.events/1",
                        "tool": concat!("spoor ", env!("CARGO_PKG_VERSION")),
                        "sources": summaries,
                        "events": events,
                        "findings": findings,
                    });
                    if let (Some(result), Some(engine)) = (&sigma, &engine) {
                        doc["sigma"] = serde_json::json!({
                            "rule_set": engine.report,
                            "result": result,
                        });
                    }
                    serde_json::to_writer_pretty(&mut *w, &doc)?;
                    w.write_all(b"\n")
                } else {
                    let mut text = render_text(&summaries, &events, &findings);
                    if let Some(result) = &sigma {
                        text.push_str(&render_sigma(result));
                    }
                    w.write_all(text.as_bytes())
                }
            })
        }
    };
    let mut had_problems = !errors.is_empty();
    for s in &summaries {
        for warning in &s.warnings {
            warn(format_args!("{}: {warning}", s.name));
            had_problems = true;
        }
    }
    for warning in &tree_warnings {
        warn(format_args!("process tree: {warning}"));
        had_problems = true;
    }
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_OK),
        Err(e) => {
            warn(format_args!("cannot write output: {e}"));
            ExitCode::from(EXIT_FAILURE)
        }
        Ok(()) if had_problems => ExitCode::from(EXIT_INPUT_ERRORS),
        Ok(()) => ExitCode::from(EXIT_OK),
    }
}

/// Says on stderr what loading a Sigma rule set gave: every rule not run is counted, by
/// reason and by unsupported feature.
pub fn note_load(report: &LoadReport) {
    let (run, read) = report.windows_share();
    warn(format_args!(
        "sigma: {} rule files, {} rules: {} run, {} for logs spoor does not read, {} unsupported, {} invalid ({run} of {read} Windows rules whose logsource spoor reads)",
        report.files, report.rules, report.run, report.not_read, report.unsupported, report.invalid
    ));
    for (feature, n) in &report.features {
        warn(format_args!("sigma: unsupported: {feature}: {n} rules"));
    }
    if report.invalid > 0 {
        let first: Vec<String> = report
            .skipped
            .iter()
            .filter(|s| s.kind == "invalid")
            .take(5)
            .map(|s| format!("{} ({})", s.path, s.reason))
            .collect();
        warn(format_args!("sigma: invalid: {}", first.join("; ")));
    }
}

/// The Sigma matches, for the text view.
pub fn render_sigma(result: &SigmaResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nsigma matches ({} rules run over {} records)",
        result.rules_run, result.records
    );
    for h in &result.hits {
        let _ = write!(out, "  [{}] {}", h.level, h.title);
        if !h.id.is_empty() {
            let _ = write!(out, "  ({})", h.id);
        }
        let _ = write!(out, "  {} records", h.count);
        if !h.techniques.is_empty() {
            let _ = write!(out, "  {}", h.techniques.join(" "));
        }
        out.push('\n');
        for r in h.records.iter().take(3) {
            let _ = write!(
                out,
                "    {} record {}",
                r.provenance.source, r.provenance.record
            );
            for key in [
                "EventID",
                "Image",
                "CommandLine",
                "TargetFilename",
                "TargetObject",
                "Details",
                "QueryName",
                "DestinationIp",
            ] {
                if let Some(v) = r.fields.get(key) {
                    let _ = write!(out, "  {key}: {v}");
                }
            }
            out.push('\n');
        }
    }
    out
}

/// Sources without events (plain text, JSON of an unknown schema) still give indicators:
/// the IOC scanner reads their stream while the log reader hands it over.
struct TextIocs {
    name: String,
    iocs: Vec<crate::ioc::Ioc>,
}

impl TextIocs {
    fn new(source: &Source) -> Self {
        TextIocs {
            name: source.name(),
            iocs: Vec::new(),
        }
    }

    /// Scans the stream (already time-limited by the log reader); returns what stopped
    /// reading early, if anything.
    fn read(&mut self, reader: &mut dyn io::Read) -> Option<crate::error::Warning> {
        let extractor = Extractor::new(ExtractOptions {
            threads: 1,
            max_sightings: 1,
            ..ExtractOptions::default()
        });
        let extraction = extractor.extract_reader(&self.name, reader);
        self.iocs = extraction.iocs;
        extraction.sources.into_iter().find_map(|s| s.error)
    }

    fn add_to(self, summary: &SourceSummary, analysis: &mut LogAnalysis) {
        for ioc in &self.iocs {
            analysis.add_extracted(ioc, summary.format);
        }
    }
}

/// The human view.
pub fn render_text(sources: &[SourceSummary], events: &[Event], findings: &LogFindings) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "sources");
    for s in sources {
        let _ = writeln!(
            out,
            "  {}  {}  {} records, {} events{}",
            esc(&s.name),
            s.format,
            s.records,
            s.events,
            if s.warnings.is_empty() {
                String::new()
            } else {
                format!(", {} warnings", s.warnings.len())
            }
        );
    }
    if !findings.process_tree.is_empty() {
        let _ = writeln!(out, "\nprocess tree");
        for root in &findings.process_tree {
            draw(&mut out, root, "  ", "  ", "  ");
        }
    }
    if !events.is_empty() {
        let _ = writeln!(out, "\nevents");
        for action in Action::ALL {
            let group: Vec<&Event> = events.iter().filter(|e| e.action == *action).collect();
            if group.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {action} ({})", group.len());
            for e in group {
                let _ = writeln!(out, "    {}", esc(&event_line(e)));
            }
        }
    }
    if !findings.persistence.is_empty() {
        let _ = writeln!(out, "\npersistence");
        for p in &findings.persistence {
            let mut line = format!("{}  {}  {}", p.technique, p.name, p.location);
            if let Some(r) = &p.runs {
                let _ = write!(line, "  runs: {r}");
            }
            if let Some(b) = &p.by {
                let _ = write!(line, "  by {b}");
            }
            let _ = writeln!(out, "  {}", esc(&line));
        }
    }
    if !findings.techniques.is_empty() {
        let _ = writeln!(out, "\nATT&CK techniques");
        for (id, why) in &findings.techniques {
            let why: Vec<&str> = why.iter().map(String::as_str).collect();
            let _ = writeln!(out, "  {}  {}", esc(id), esc(&why.join("; ")));
        }
    }
    if !findings.iocs.is_empty() {
        let _ = writeln!(out, "\nindicators");
        for i in &findings.iocs {
            let _ = write!(out, "  {}\t{}", esc(&i.kind), esc(&i.value));
            if !i.context.is_empty() {
                let _ = write!(out, "\t{}", esc(&i.context.join("; ")));
            }
            for h in &i.intel {
                let _ = write!(out, "\tknown to {}", esc(&h.describe()));
            }
            out.push('\n');
        }
    }
    let r = &findings.remediation;
    let lists: [(&str, &std::collections::BTreeSet<String>); 8] = [
        ("end processes", &r.processes_to_end),
        (
            "end system programs running these command lines",
            &r.system_processes_to_end,
        ),
        ("delete files", &r.files_to_delete),
        ("review folders", &r.folders_to_review),
        ("remove registry values and keys", &r.registry_to_remove),
        ("remove scheduled tasks", &r.tasks_to_remove),
        ("remove services", &r.services_to_remove),
        ("block", &r.addresses_to_block),
    ];
    if lists.iter().any(|(_, l)| !l.is_empty()) {
        let _ = writeln!(out, "\nremediation");
        for (title, list) in lists {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {title}");
            for item in list {
                let _ = writeln!(out, "    {}", esc(item));
            }
        }
    }
    out
}

fn draw(out: &mut String, node: &ProcessNode, first: &str, _rest: &str, indent: &str) {
    let label = match (node.image.as_deref().map(base_name), node.pid) {
        (Some(name), Some(pid)) => format!("{name} ({pid})"),
        (Some(name), None) => name.to_string(),
        (None, Some(pid)) => format!("pid {pid}"),
        (None, None) => "?".to_string(),
    };
    let _ = write!(out, "{first}{}", esc(&label));
    if let Some(c) = &node.command_line {
        let _ = write!(out, "  {}", esc(c));
    }
    out.push('\n');
    let n = node.children.len();
    for (i, child) in node.children.iter().enumerate() {
        let last = i + 1 == n;
        let branch = format!("{indent}{}", if last { "└─ " } else { "├─ " });
        let next = format!("{indent}{}", if last { "   " } else { "│  " });
        draw(out, child, &branch, &next, &next);
    }
}

/// Which kind of Windows record an event was read from (`Sysmon 1`, `Security 4688`), so
/// that one process seen by two providers reads as two records; `None` for other logs.
fn record_source(e: &Event) -> Option<String> {
    let id = e.get("event_id")?;
    let channel = e.get("channel").unwrap_or_default();
    let provider = if channel.to_ascii_lowercase().contains("sysmon") {
        "Sysmon"
    } else {
        // `Security`, `System`, `Microsoft-Windows-PowerShell/Operational` → its first part
        channel.split('/').next().unwrap_or_default()
    };
    Some(if provider.is_empty() {
        format!("event {id}")
    } else {
        format!("{provider} {id}")
    })
}

/// One line for an event: time, source record, actor, target and the details that matter
/// for its kind.
fn event_line(e: &Event) -> String {
    let mut line = String::new();
    if let Some(t) = &e.time {
        let _ = write!(line, "{t}  ");
    }
    if let Some(source) = record_source(e) {
        let _ = write!(line, "[{source}]  ");
    }
    let actor = match e.action {
        Action::ProcessCreate | Action::ProcessStart => {
            match (&e.process.parent_image, e.process.parent_pid) {
                (Some(i), Some(p)) => Some(format!("{} ({p})", base_name(i))),
                (Some(i), None) => Some(base_name(i).to_string()),
                (None, Some(p)) => Some(format!("pid {p}")),
                (None, None) => None,
            }
        }
        _ => match (&e.process.image, e.process.pid) {
            (Some(i), Some(p)) => Some(format!("{} ({p})", base_name(i))),
            (Some(i), None) => Some(base_name(i).to_string()),
            (None, Some(p)) => Some(format!("pid {p}")),
            (None, None) => None,
        },
    };
    if let Some(a) = actor {
        let _ = write!(line, "{a}  ");
    }
    line.push_str(&e.target);
    let keys: &[&str] = match e.action {
        Action::ProcessCreate | Action::ProcessStart => &[],
        Action::RegistrySet => &["data"],
        Action::RegistryRename => &["new_name"],
        Action::FileRename => &["new_path"],
        Action::DnsQuery => &["answers"],
        Action::HttpRequest => &["method", "user_agent"],
        Action::TlsClientHello => &["dst"],
        Action::NetworkConnect => &["dst_port", "dst_host"],
        Action::NetworkData => &["dst", "protocol", "direction"],
        Action::TaskCreate | Action::ServiceCreate | Action::WmiSubscription => &["command"],
        Action::Signature => &["ttp"],
        Action::Sample => &["sha256"],
        Action::Other => &["operation"],
        _ => &[],
    };
    if matches!(e.action, Action::ProcessCreate | Action::ProcessStart) {
        if let Some(c) = &e.process.command_line {
            let _ = write!(line, "  cmd: {c}");
        }
    }
    for k in keys {
        if let Some(v) = e.get(k) {
            let _ = write!(line, "  {k}: {v}");
        }
    }
    line
}
