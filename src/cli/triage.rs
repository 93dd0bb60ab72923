//! `spoor triage`: static triage of PE, ELF and Mach-O samples.

use super::{warn, EXIT_FAILURE, EXIT_INPUT_ERRORS, EXIT_OK};
use crate::escape::terminal::field as e;
use crate::export::findings::{ExchangeFindings, SampleFacts};
use crate::sample::verdict::SampleVerdict;
use crate::sample::{self, Triage, TriageOptions};
use clap::{Args, ValueEnum};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats of `spoor triage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriageFormat {
    /// A one-screen summary per sample.
    Text,
    /// The complete report: one JSON array with one object per sample.
    Json,
    /// A STIX 2.1 bundle (files, malware, indicators, ATT&CK, the analysis).
    Stix,
    /// A MISP event (file/pe objects, attributes, TLP and ATT&CK tags).
    Misp,
}

/// Arguments of `spoor triage`.
#[derive(Debug, Args)]
pub struct TriageArgs {
    /// Sample files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: TriageFormat,
    /// Minimum string length, in characters.
    #[arg(long, default_value_t = 5)]
    pub min_len: usize,
    /// Write the output to FILE (atomically) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Refuse samples larger than this many bytes (`K`, `M`, `G` suffixes).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = super::parse_size)]
    pub max_size: u64,
    /// STIX and MISP settings.
    #[command(flatten)]
    pub exchange: crate::export::ExchangeArgs,
    /// Colour in the text view: `auto` (only on a terminal, and not when NO_COLOR is set),
    /// `always` or `never`.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    #[arg(long, num_args = 1.., value_name = "PATH", help = super::INTEL_HELP)]
    pub intel: Vec<std::path::PathBuf>,
    #[arg(long, num_args = 0..=1, value_name = "DIR", help = super::WARNINGLISTS_HELP)]
    pub warninglists: Option<Option<std::path::PathBuf>>,
}

/// When the text view uses colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal only, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// ANSI styling for the text view; every method returns its text unchanged when off.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    on: bool,
}

impl Style {
    /// Styling that is `on` or not.
    pub fn new(on: bool) -> Self {
        Style { on }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn red(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }
}

/// Runs `spoor triage`.
pub fn run(args: TriageArgs) -> ExitCode {
    if let Err(code) = super::check_output(args.output.as_deref()) {
        return code;
    }
    let options = TriageOptions {
        min_string_len: args.min_len,
        ..TriageOptions::default()
    };
    let intel = match super::load_intel(&args.intel, args.warninglists.as_ref()) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let mut reports = Vec::new();
    // STIX and MISP carry section digests, taken from the bytes while they are at hand.
    let exchange_format = matches!(args.format, TriageFormat::Stix | TriageFormat::Misp);
    let mut facts = Vec::new();
    let mut failed = false;
    // Folders are walked, as the other subcommands walk them: the executables in them are
    // triaged, other files skipped (counted); a file named on the command line that is no
    // executable is reported (exit code 1).
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    let mut skipped = 0usize;
    for path in &args.files {
        if !path.is_dir() {
            files.push((path.clone(), false));
            continue;
        }
        let before = files.len();
        let (sources, errors) = crate::input::expand(std::slice::from_ref(path));
        for e in errors {
            warn(format_args!("{}: {}", e.source, e.message));
            failed = true;
        }
        for source in sources {
            if let crate::input::Source::File { path, .. } = source {
                files.push((path, true));
            }
        }
        if files.len() == before {
            warn(format_args!("{}: no file in this folder", path.display()));
            failed = true;
        }
    }
    for (path, walked) in &files {
        let name = path.display().to_string();
        // Mapped, so that memory does not grow with the sample's size.
        match sample::Mapped::open(path, args.max_size) {
            Ok(data) => {
                if *walked && sample::sniff(&data) == sample::SampleFormat::Unknown {
                    skipped += 1;
                    continue;
                }
                if sample::sniff(&data) == sample::SampleFormat::Unknown {
                    failed = true;
                }
                let mut t = sample::triage_with(&name, &data, options);
                if let Some(store) = &intel {
                    store.annotate_sample(&mut t.iocs);
                }
                for w in &t.warnings {
                    warn(format_args!("{name}: {w}"));
                }
                if exchange_format {
                    facts.push(SampleFacts::from_triage(&t, &data));
                }
                reports.push(t);
            }
            Err(e) => {
                warn(format_args!("{name}: {}", crate::input::describe(&e)));
                failed = true;
            }
        }
    }
    if skipped > 0 {
        warn(format_args!(
            "{skipped} file(s) in the folders given skipped: not PE, ELF or Mach-O"
        ));
        if reports.is_empty() && !failed {
            warn("no PE, ELF or Mach-O file to triage");
            failed = true;
        }
    }
    let colour = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            use std::io::IsTerminal;
            args.output.is_none()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let style = Style::new(colour);
    let findings = || {
        let refs: Vec<&Triage> = reports.iter().collect();
        ExchangeFindings::from_triage_facts(&refs, facts.clone())
    };
    let exchange = args.exchange.options();
    let result = crate::output::write_to(args.output.as_deref(), |w| match args.format {
        TriageFormat::Stix => crate::export::stix::write(&findings(), exchange, w),
        TriageFormat::Misp => crate::export::misp::write(&findings(), exchange, w),
        TriageFormat::Json => {
            serde_json::to_writer_pretty(&mut *w, &reports).map_err(std::io::Error::other)?;
            writeln!(w)
        }
        TriageFormat::Text => {
            for (i, t) in reports.iter().enumerate() {
                if i > 0 {
                    writeln!(w)?;
                }
                w.write_all(text_styled(t, style).as_bytes())?;
            }
            Ok(())
        }
    });
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return ExitCode::from(EXIT_OK);
        }
        warn(format_args!("cannot write output: {e}"));
        return ExitCode::from(EXIT_FAILURE);
    }
    // Strings over the cap were sampled: the report is not complete.
    if failed || reports.iter().any(|t| t.strings_dropped > 0) {
        ExitCode::from(EXIT_INPUT_ERRORS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

/// At most `n` items joined by spaces, with a `(+N)` count of the rest.
fn shortened(items: &[String], n: usize) -> String {
    let mut out = items
        .iter()
        .take(n)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    if items.len() > n {
        let _ = write!(out, " (+{})", items.len() - n);
    }
    out
}

/// The signature line: who signed, and whether the file still matches what was signed.
fn signature_line(pe: &sample::PeInfo, style: Style) -> String {
    if !pe.signed {
        return "  signed  no".to_string();
    }
    let Some(sig) = pe.signatures.first() else {
        return "  signed  certificate table present, signature unreadable".to_string();
    };
    let integrity = if sig.digest_matches {
        format!(
            "{} (integrity only, not trust)",
            style.green(&format!("{} digest matches the file", sig.digest_algorithm))
        )
    } else {
        format!(
            "{} the file changed after signing ({} signed {}, file is {}; integrity, not trust)",
            style.red("DIGEST MISMATCH:"),
            sig.digest_algorithm,
            e(&sig.signed_digest),
            e(&sig.file_digest)
        )
    };
    let more = if pe.signatures.len() > 1 {
        format!(" (+{} more signatures)", pe.signatures.len() - 1)
    } else {
        String::new()
    };
    format!(
        "  signed  by {}, issuer {}; {integrity}{more}",
        e(&sig.signer),
        e(&sig.issuer)
    )
}

/// The one-screen text view of a report, without colour.
pub fn text(t: &Triage) -> String {
    text_styled(t, Style::new(false))
}

/// The one-screen text view of a report, coloured when `style` is on.
pub fn text_styled(t: &Triage, style: Style) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", style.bold(&e(&t.name)));
    if t.format == sample::SampleFormat::Unknown {
        let _ = writeln!(s, "  not a PE, ELF or Mach-O file, {} bytes", t.size);
    } else {
        let _ = writeln!(
            s,
            "  {} {} {}-bit, {} bytes",
            t.format.as_str(),
            if t.arch.is_empty() { "?" } else { &t.arch },
            t.bitness,
            t.size
        );
    }
    let _ = writeln!(s, "  md5     {}", t.hashes.md5);
    let _ = writeln!(s, "  sha1    {}", t.hashes.sha1);
    let _ = writeln!(s, "  sha256  {}", t.hashes.sha256);
    let _ = writeln!(s, "  ssdeep  {}", t.hashes.ssdeep);
    let _ = writeln!(s, "  tlsh    {}", t.hashes.tlsh.as_deref().unwrap_or("-"));
    if let Some(pe) = &t.pe {
        let _ = writeln!(
            s,
            "  pe      {} {}, entry {:#x} in {}, built {}{}",
            if pe.dll { "dll" } else { "exe" },
            pe.subsystem,
            pe.entry_point,
            e(pe.entry_section.as_deref().unwrap_or("(no section)")),
            pe.timestamp_utc,
            if pe.timestamp_flags.is_empty() {
                String::new()
            } else {
                format!(" [{}]", pe.timestamp_flags.join(", "))
            }
        );
        let _ = writeln!(
            s,
            "  imphash {}, {} imports, {} exports, overlay {} bytes",
            pe.imphash.as_deref().unwrap_or("-"),
            t.imports.len(),
            pe.exports.len(),
            pe.overlay_size
        );
    }
    if let Some(pe) = &t.pe {
        if pe.rich_header_hash.is_some() || pe.pdb_path.is_some() || !pe.tls_callbacks.is_empty() {
            let _ = writeln!(
                s,
                "  build   rich {}, pdb {}, {} TLS callbacks",
                pe.rich_header_hash.as_deref().unwrap_or("-"),
                e(pe.pdb_path.as_deref().unwrap_or("-")),
                pe.tls_callbacks.len()
            );
        }
        if let Some(net) = &pe.dotnet {
            let _ = writeln!(
                s,
                "  .net    {} {}, runtime {}, mvid {}, typelib {}",
                net.assembly.as_deref().unwrap_or("?"),
                net.version.as_deref().unwrap_or("?"),
                net.runtime,
                net.mvid.as_deref().unwrap_or("-"),
                net.typelib.as_deref().unwrap_or("-")
            );
            let _ = writeln!(
                s,
                "          {} references, {} types, {} methods, {} member references, {} user \
                 strings, {} resources",
                net.references.len(),
                net.types.len(),
                net.methods.len(),
                net.member_refs.len(),
                net.user_strings.len(),
                net.resources.len()
            );
            if !net.pinvoke.is_empty() {
                let _ = writeln!(s, "          P/Invoke {}", shortened(&net.pinvoke, 8));
            }
        }
        let version: Vec<String> = [
            "CompanyName",
            "ProductName",
            "FileDescription",
            "OriginalFilename",
            "FileVersion",
        ]
        .iter()
        .filter_map(|k| pe.version_info.get(*k).map(|v| format!("{k}={}", e(v))))
        .collect();
        if !version.is_empty() {
            let _ = writeln!(s, "  version {}", version.join(", "));
        }
        if let Some(m) = &pe.manifest {
            let _ = writeln!(
                s,
                "  manifest level {}{}{}",
                e(m.execution_level.as_deref().unwrap_or("-")),
                if m.ui_access == Some(true) {
                    ", uiAccess"
                } else {
                    ""
                },
                if m.auto_elevate { ", autoElevate" } else { "" }
            );
        }
        let _ = writeln!(s, "{}", signature_line(pe, style));
        for r in pe.resources.iter().take(8) {
            let _ = writeln!(
                s,
                "  rsrc    {} {} lang {} {} bytes entropy {:.2}{}",
                e(&r.kind),
                e(&r.name),
                r.language,
                r.size,
                r.entropy,
                r.embedded
                    .as_deref()
                    .map(|x| format!(" [embedded {}]", e(x)))
                    .unwrap_or_default()
            );
        }
        if pe.resources.len() > 8 {
            let _ = writeln!(s, "  rsrc    ... {} more", pe.resources.len() - 8);
        }
    }
    if let Some(elf) = &t.elf {
        let _ = writeln!(
            s,
            "  elf     {}, interpreter {}, {}, {}",
            e(&elf.kind),
            e(elf.interpreter.as_deref().unwrap_or("-")),
            if elf.static_linked {
                "static"
            } else {
                "dynamic"
            },
            if elf.stripped {
                "stripped"
            } else {
                "not stripped"
            }
        );
        if !elf.needed.is_empty() {
            let _ = writeln!(s, "  needs   {}", e(&elf.needed.join(", ")));
        }
        let _ = writeln!(
            s,
            "  symbols {} in .symtab, {} in .dynsym, {} exported functions{}",
            elf.symbols,
            elf.dynamic_symbols,
            elf.exports.len(),
            if elf.exports.is_empty() {
                String::new()
            } else {
                format!(": {}", e(&shortened(&elf.exports, 8)))
            }
        );
    }
    for m in &t.macho {
        let _ = writeln!(
            s,
            "  slice   {} at {:#x}: {} load commands, {} dylibs, code signature {}{}",
            m.arch,
            m.offset,
            m.load_commands.len(),
            m.dylibs.len(),
            if m.code_signature {
                "present"
            } else {
                "absent"
            },
            m.target
                .as_deref()
                .map(|t| format!(", {}", e(t)))
                .unwrap_or_default()
        );
    }
    if !t.sections.is_empty() {
        let _ = writeln!(s, "  sections");
        for sec in t
            .sections
            .iter()
            .filter(|x| x.x || x.w || x.raw_size >= 1024)
            .take(12)
        {
            let _ = writeln!(
                s,
                "    {:<24} {:>8} {:>5.2} {}{}{}{}",
                e(&sec.shown_name()),
                sec.raw_size,
                sec.entropy,
                if sec.r { 'r' } else { '-' },
                if sec.w { 'w' } else { '-' },
                if sec.x { 'x' } else { '-' },
                if sec.wx {
                    style.red("  W+X")
                } else {
                    String::new()
                }
            );
        }
    }
    let _ = writeln!(
        s,
        "  packer  {}{}",
        if t.packer.verdict == crate::sample::behavior::Packing::NotPacked {
            t.packer.verdict.to_string()
        } else {
            style.yellow(&e(t.packer.verdict.as_str()))
        },
        if t.packer.packers.is_empty() {
            String::new()
        } else {
            format!(" ({})", e(&t.packer.packers.join(", ")))
        }
    );
    for r in &t.packer.reasons {
        let _ = writeln!(s, "          - {}", e(r));
    }
    for tc in &t.toolchains {
        let _ = writeln!(
            s,
            "  built   {} {}{}{} ({})",
            tc.kind,
            tc.name,
            tc.version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default(),
            tc.detail
                .as_deref()
                .map(|d| format!(", {d}"))
                .unwrap_or_default(),
            tc.evidence.first().map(String::as_str).unwrap_or("")
        );
    }
    if !t.behavior.categories.is_empty() {
        let _ = writeln!(s, "  behaviour");
        for c in &t.behavior.categories {
            let mut names: Vec<&str> = c
                .imports
                .iter()
                .map(|l| l.rsplit('!').next().unwrap_or(l))
                .collect();
            names.extend(c.resolved.iter().map(String::as_str));
            names.dedup();
            let more = names.len().saturating_sub(6);
            names.truncate(6);
            let _ = writeln!(
                s,
                "    {:<18} {:<6} {}{}",
                c.name,
                c.confidence,
                e(&names.join(" ")),
                if more > 0 {
                    format!(" (+{more})")
                } else {
                    String::new()
                }
            );
        }
    }
    if !t.behavior.dynamic_apis.is_empty() {
        let names: Vec<&str> = t
            .behavior
            .dynamic_apis
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        let _ = writeln!(s, "  resolved at run time: {}", e(&names.join(" ")));
    }
    if !t.techniques.is_empty() {
        let _ = writeln!(s, "  ATT&CK");
        for tech in &t.techniques {
            let ev: Vec<String> = tech
                .evidence
                .iter()
                .take(3)
                .map(|x| {
                    if x.kind == crate::findings::triage::EvidenceKind::Import {
                        e(&x.value).into_owned()
                    } else {
                        format!("\"{}\"", e(&x.value))
                    }
                })
                .collect();
            let _ = writeln!(
                s,
                "    {} {:<6} {}: {}",
                style.cyan(&format!("{:<10}", tech.id)),
                tech.confidence,
                tech.name,
                ev.join(", ")
            );
        }
    }
    if !t.iocs.is_empty() {
        let _ = writeln!(s, "  IOCs");
        for ioc in t.iocs.iter().take(15) {
            let where_ = ioc
                .sightings
                .first()
                .map(|x| {
                    format!(
                        "{:#x} {}",
                        x.offset,
                        x.section.as_deref().unwrap_or("(no section)")
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "    {:<14} {}  @ {}",
                ioc.kind.as_str(),
                e(&ioc.value),
                e(&where_)
            );
            for h in &ioc.intel {
                let _ = writeln!(s, "                   known to {}", e(&h.describe()));
            }
        }
        if t.iocs.len() > 15 {
            let _ = writeln!(s, "    ... {} more (see --format json)", t.iocs.len() - 15);
        }
    }
    if !t.crypto_constants.is_empty() {
        let mut names: Vec<String> = t
            .crypto_constants
            .iter()
            .map(|c| {
                format!(
                    "{} @ {:#x} {}",
                    c.name,
                    c.offset,
                    e(c.section.as_deref().unwrap_or("(no section)"))
                )
            })
            .collect();
        let more = names.len().saturating_sub(6);
        names.truncate(6);
        let _ = writeln!(
            s,
            "  crypto  {}{}",
            names.join(", "),
            if more > 0 {
                format!(" (+{more})")
            } else {
                String::new()
            }
        );
    }
    let _ = writeln!(
        s,
        "  strings {} ({} junk strings dropped)",
        t.strings.len(),
        t.junk_strings
    );
    let verdict = match t.verdict.verdict {
        SampleVerdict::MaliciousLooking => style.red(t.verdict.verdict.as_str()),
        SampleVerdict::Suspicious => style.yellow(t.verdict.verdict.as_str()),
        v => v.to_string(),
    };
    let _ = writeln!(s, "  verdict {verdict}: {}", e(&t.verdict.reason));
    if t.classes.is_empty() {
        let _ = writeln!(s, "  class   no class");
    }
    for h in &t.classes {
        let _ = writeln!(
            s,
            "  class   {} ({}): {}",
            h.class,
            h.confidence,
            e(&h.evidence.join("; "))
        );
    }
    for w in &t.warnings {
        let _ = writeln!(s, "  {} {}", style.yellow("warning:"), e(&w.message));
    }
    s
}
