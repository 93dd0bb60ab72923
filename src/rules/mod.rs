//! YARA rule generation: triage facts → candidate strings → scores against the goodware
//! index → selection (per sample, or a set cover for a family) → rendering through a
//! template → yara-x validation (a slow pattern drops that string and the rule is rebuilt).
//!
//! [`generate`] is the entry point. Its output depends only on the triage reports, the
//! index, the template and [`RuleOptions`] (the date included), so reruns are
//! byte-identical. Each part lives in its own module: [`candidates`], [`score`] (with
//! [`evidence`]: unique, supporting or borrowed, [`toolchain`]: the boilerplate tables, and
//! [`linked`]: strings of statically linked third-party crates),
//! [`select`], [`render`], [`validate`]. Every rule, per sample or per family, from
//! `spoor rules` or `spoor analyze`, needs at least one string unique to its samples: strings
//! common to many programs only support it. [`closed_loop`] tests the rules against a benign
//! set while they are made (`spoor rules --validate-against`).

pub mod candidates;
pub mod closed_loop;
pub mod evidence;
pub mod linked;
pub mod render;
pub mod score;
pub mod select;
pub mod toolchain;
pub mod validate;

use crate::error::{Warning, WarningCode};
use crate::goodware::Index;
use crate::sample::{SampleFormat, Triage};
use closed_loop::BenignStrings;
use render::{MetaLine, RuleView, StringLine, Template};
use score::Scored;
use select::Chosen;
use std::collections::{BTreeMap, BTreeSet};

/// Points taken from a string found in a benign file of the validation set.
pub const BENIGN_PENALTY: i32 = 15;
/// Points given to a string every training sample of a family rule holds: the family's
/// unseen variants are the likeliest to hold it too.
pub const SHARED_BONUS: i32 = 15;

/// How rules are made and named.
#[derive(Debug, Clone)]
pub struct RuleOptions {
    /// One family rule over all samples, with this family name; `None`: one rule per sample.
    pub family: Option<String>,
    /// The template; `None` picks one from the samples' formats.
    pub template: Option<Template>,
    /// Date written into the rules (`YYYY-MM-DD`); also gives `MonYY` in names.
    pub date: String,
    /// `author` meta.
    pub author: String,
    /// `reference` meta.
    pub reference: String,
    /// Rule name pattern: `{family}`, `{format}`, `{monyy}`, `{date}` are replaced.
    pub name_format: String,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            family: None,
            template: None,
            date: "1970-01-01".into(),
            author: "spoor".into(),
            reference: "-".into(),
            name_format: "MAL_{family}_{format}_{monyy}".into(),
        }
    }
}

/// One generated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedRule {
    /// Rule name.
    pub name: String,
    /// The rule's YARA source (compiles with zero warnings).
    pub source: String,
    /// Names of the samples it was built from.
    pub samples: Vec<String>,
    /// Number of strings.
    pub strings: usize,
    /// Strings dropped because yara-x called them slow.
    pub dropped: Vec<String>,
    /// What the template was given; kept so meta can be added later ([`Self::add_meta`]).
    pub view: RuleView,
    /// The template the rule was rendered with.
    pub template: Template,
}

impl GeneratedRule {
    /// Adds meta lines (a measured result, say) and renders the rule again; strings and
    /// condition stay as they are. On an error the rule is left unchanged.
    pub fn add_meta(&mut self, lines: Vec<MetaLine>) -> Result<(), crate::Error> {
        let mut view = self.view.clone();
        view.meta.extend(lines);
        let source = render::render(&self.template, &view)?;
        let problems = validate::check(&source);
        if !problems.is_clean() {
            return Err(crate::Error::Rule {
                message: format!(
                    "{}: the rule with its new meta does not compile cleanly: {}",
                    self.name,
                    problems.other.join("; ")
                ),
            });
        }
        self.view = view;
        self.source = source;
        Ok(())
    }
}

/// What a rule needs to know about one training sample besides its candidates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleInfo {
    /// The name (path) given.
    pub name: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// File format.
    pub format: SampleFormat,
    /// PE import hash, when the sample has one.
    pub imphash: Option<String>,
    /// The .NET identity of an assembly, as yara-x's `dotnet` module reads it.
    pub dotnet: Option<DotnetIds>,
}

/// What identifies a .NET assembly in a rule: the names and GUIDs yara-x's `dotnet` module
/// exposes (`dotnet.assembly.name`, `dotnet.guids[0]`, `dotnet.typelib`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DotnetIds {
    /// Assembly name.
    pub assembly: Option<String>,
    /// Module version id (the first GUID of the `#GUID` heap): one build.
    pub mvid: Option<String>,
    /// Type library id (`GuidAttribute`): every build of a project.
    pub typelib: Option<String>,
}

impl SampleInfo {
    /// The facts of a triaged sample.
    pub fn of(t: &Triage) -> Self {
        SampleInfo {
            name: t.name.clone(),
            sha256: t.hashes.sha256.clone(),
            size: t.size,
            format: t.format,
            imphash: t.pe.as_ref().and_then(|p| p.imphash.clone()),
            dotnet: t
                .pe
                .as_ref()
                .and_then(|p| p.dotnet.as_ref())
                .map(|d| DotnetIds {
                    assembly: d.assembly.clone(),
                    mvid: d.mvid.clone(),
                    typelib: d.typelib.clone(),
                }),
        }
    }
}

/// The result of a run: rules and messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generation {
    /// The rules, in sample order.
    pub rules: Vec<GeneratedRule>,
    /// What could not be done (samples without usable strings, template errors).
    pub warnings: Vec<Warning>,
}

impl Generation {
    /// The rules as the exporters take them, each pointing at the samples (indices into
    /// `samples`) it was built from.
    pub fn findings(&self, samples: &[Triage]) -> Vec<crate::export::findings::RuleFinding> {
        self.rules
            .iter()
            .map(|r| crate::export::findings::RuleFinding {
                name: r.name.clone(),
                text: r.source.clone(),
                samples: samples
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| r.samples.contains(&t.name))
                    .map(|(i, _)| i)
                    .collect(),
            })
            .collect()
    }

    /// The rules file: a header comment, then every rule.
    pub fn text(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str("// ");
            out.push_str(&render::comment_text(line, 200));
            out.push('\n');
        }
        for r in &self.rules {
            out.push('\n');
            out.push_str(r.source.trim_end());
            out.push('\n');
        }
        out
    }
}

/// Generates rules for the triaged samples.
pub fn generate(samples: &[Triage], index: Option<&Index>, options: &RuleOptions) -> Generation {
    generate_checked(samples, index, options, None)
}

/// [`generate`], knowing which benign files hold which strings (the closed loop).
fn generate_checked(
    samples: &[Triage],
    index: Option<&Index>,
    options: &RuleOptions,
    benign: Option<&BenignStrings>,
) -> Generation {
    let mut g = Generation::default();
    let groups: Vec<(String, Vec<&Triage>)> = match &options.family {
        Some(f) => vec![(f.clone(), samples.iter().collect())],
        None => samples.iter().map(|t| (stem(&t.name), vec![t])).collect(),
    };
    // One pass over the index for the candidates of every sample.
    let all: Vec<Vec<candidates::Candidate>> =
        samples.iter().map(candidates::from_triage).collect();
    let hits = goodware_hits(&all, index);
    let mut names: Vec<String> = Vec::new();
    for (family, group) in groups {
        if group.is_empty() {
            continue;
        }
        let found: Vec<Vec<candidates::Candidate>> = group
            .iter()
            .filter_map(|t| {
                let i = samples.iter().position(|s| std::ptr::eq(s, *t))?;
                all.get(i).cloned()
            })
            .collect();
        let infos: Vec<SampleInfo> = group.iter().map(|t| SampleInfo::of(t)).collect();
        let built = rule_with_hits(
            &family,
            &infos,
            &found,
            hits.as_ref(),
            index,
            options,
            &names,
            benign,
        );
        match built {
            Ok(rule) => {
                names.push(rule.name.clone());
                g.rules.push(rule);
            }
            Err(e) => g
                .warnings
                .push(Warning::new(WarningCode::RuleNotWritten, e)),
        }
    }
    g
}

/// A sample's file name without directories and extension.
fn stem(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    match base.rsplit_once('.') {
        Some((s, ext)) if !s.is_empty() && ext.len() <= 4 => s.to_string(),
        _ => base.to_string(),
    }
}

fn format_label(group: &[SampleInfo]) -> (&'static str, &'static str) {
    let all = |f: &dyn Fn(SampleFormat) -> bool| group.iter().all(|t| f(t.format));
    if all(&|f| f == SampleFormat::Pe) {
        ("PE", "pe")
    } else if all(&|f| f == SampleFormat::Elf) {
        ("ELF", "elf")
    } else if all(&|f| matches!(f, SampleFormat::Macho | SampleFormat::MachoFat)) {
        ("MachO", "macho")
    } else {
        ("Multi", "generic")
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Goodware facts per candidate text.
type Hits<'a> = BTreeMap<&'a str, score::GoodwareHits>;

/// Builds one rule from per-sample candidates (one list per entry of `group`): scoring,
/// selection, rendering, validation. `taken` holds names already used in the output. When
/// no rule can be written, the [`crate::Error::Rule`] says why (no usable strings, none
/// unique to the samples, none that compiles cleanly).
pub fn rule_from_candidates(
    family: &str,
    group: &[SampleInfo],
    found: Vec<Vec<candidates::Candidate>>,
    index: Option<&Index>,
    options: &RuleOptions,
    taken: &[String],
) -> Result<GeneratedRule, crate::Error> {
    let hits = goodware_hits(&found, index);
    rule_with_hits(
        family,
        group,
        &found,
        hits.as_ref(),
        index,
        options,
        taken,
        None,
    )
    .map_err(|message| crate::Error::Rule { message })
}

/// Every distinct text that scoring lets into a rule for any of the samples, sorted.
pub fn usable_strings(samples: &[Triage], index: Option<&Index>) -> Vec<String> {
    let all: Vec<Vec<candidates::Candidate>> =
        samples.iter().map(candidates::from_triage).collect();
    let hits = goodware_hits(&all, index);
    let texts: BTreeSet<String> = all
        .iter()
        .flat_map(|list| scored_list(list, hits.as_ref()))
        .filter(|s| s.usable())
        .map(|s| s.candidate.text)
        .collect();
    texts.into_iter().collect()
}

/// Scores every candidate of one sample.
fn scored_list<'c>(
    list: &'c [candidates::Candidate],
    hits: Option<&'c Hits<'_>>,
) -> impl Iterator<Item = Scored> + 'c {
    list.iter().map(move |c| {
        let h = hits.and_then(|h| h.get(c.text.as_str()).copied());
        score::score(c, h)
    })
}

/// [`rule_from_candidates`] with the goodware facts already looked up, and optionally the
/// benign files holding each string.
#[allow(clippy::too_many_arguments)]
fn rule_with_hits(
    family: &str,
    group: &[SampleInfo],
    found: &[Vec<candidates::Candidate>],
    hits: Option<&Hits<'_>>,
    index: Option<&Index>,
    options: &RuleOptions,
    taken: &[String],
    benign: Option<&BenignStrings>,
) -> Result<GeneratedRule, String> {
    if group.is_empty() || group.len() != found.len() {
        return Err("a rule needs one candidate list per sample".into());
    }
    let (label, auto_template) = format_label(group);
    let template = options
        .template
        .clone()
        .or_else(|| Template::builtin(auto_template))
        .unwrap_or(Template::Builtin("generic"));
    let network = template.name() == "network";
    let found: Vec<Vec<candidates::Candidate>> = found
        .iter()
        .map(|list| {
            list.iter()
                .filter(|c| !network || candidates::is_network(c))
                .cloned()
                .collect()
        })
        .collect();
    let per_sample: Vec<Vec<Scored>> = found
        .iter()
        .map(|list| scored_list(list, hits).collect())
        .collect();
    let mut pool = select::pool(&per_sample);
    if group.len() > 1 {
        for (s, samples) in &mut pool {
            if samples.len() == group.len() {
                s.score += SHARED_BONUS;
                s.reasons
                    .push(format!("in every training sample +{SHARED_BONUS}"));
            }
        }
    }
    let what = if group.len() == 1 {
        group[0].name.clone()
    } else {
        format!("family {family}")
    };
    if let Some(b) = benign {
        // A network rule's strings all match alone, so one in a benign file cannot be used.
        pool.retain(|(s, _)| !network || b.files_holding(&s.candidate.text).is_empty());
        for (s, _) in &mut pool {
            let n = b.files_holding(&s.candidate.text).len();
            if n > 0 {
                s.score -= BENIGN_PENALTY;
                s.reasons.push(format!(
                    "in {n} benign file(s) of the validation set -{BENIGN_PENALTY}"
                ));
                s.demote(format!("in {n} benign file(s) of the validation set"));
            }
        }
    }
    // Every network string matches alone, so only unique ones can be used.
    pool.retain(|(s, _)| !network || s.evidence.is_unique());
    if pool.is_empty() {
        let kind = if network {
            "network indicators"
        } else {
            "strings"
        };
        return Err(format!("{what}: no usable {kind}; no rule written"));
    }
    let mut name = identifier_from_format(&options.name_format, family, label, &options.date);
    let base = name.clone();
    let mut k = 2;
    while taken.contains(&name) {
        name = format!("{base}_{k}");
        k += 1;
    }
    // Strings set aside: slow patterns, and strings that let a benign file match.
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    let mut dropped = Vec::new();
    let mut compiles = 0;
    while compiles < 8 {
        let left: Vec<(Scored, Vec<usize>)> = pool
            .iter()
            .filter(|(s, _)| !excluded.contains(&s.candidate.text))
            .cloned()
            .collect();
        if left.is_empty() {
            break;
        }
        let mut chosen = select::choose(left, group.len());
        if network {
            for c in &mut chosen {
                c.strong = true;
            }
        }
        if let Some(b) = benign {
            for c in &mut chosen {
                c.benign = b.files_holding(&c.scored.candidate.text).to_vec();
                c.strong &= c.benign.is_empty();
            }
            select::order(&mut chosen);
        }
        let ids = if network {
            ("n", "n", "n")
        } else {
            ("x", "s", "c")
        };
        let Some(condition) = select::condition(&mut chosen, group.len(), ids) else {
            // Some benign file holds as many weak strings as a training sample: set aside
            // the string found in most benign files and choose again.
            let worst = chosen
                .iter()
                .filter(|c| !c.benign.is_empty())
                .max_by(|a, b| {
                    a.benign
                        .len()
                        .cmp(&b.benign.len())
                        .then(b.scored.score.cmp(&a.scored.score))
                        .then(b.scored.candidate.text.cmp(&a.scored.candidate.text))
                });
            match worst {
                Some(w) => {
                    excluded.insert(w.scored.candidate.text.clone());
                    continue;
                }
                None => {
                    let absent = if benign.is_some() {
                        " and absent from the validation set's benign files"
                    } else {
                        ""
                    };
                    return Err(format!(
                        "{what}: no string unique to the sample(s){absent} covers every sample (strings common to many programs only support a rule); no rule written"
                    ));
                }
            }
        };
        let (rule_view, ids) = view(
            &name, label, group, &chosen, condition, index, options, &what, network,
        );
        let source = render::render(&template, &rule_view).map_err(|e| format!("{what}: {e}"))?;
        compiles += 1;
        let problems = validate::check(&source);
        if problems.is_clean() {
            return Ok(GeneratedRule {
                name,
                source,
                samples: group.iter().map(|t| t.name.clone()).collect(),
                strings: chosen.len(),
                dropped,
                view: rule_view,
                template,
            });
        }
        if !problems.other.is_empty() || problems.slow.is_empty() {
            return Err(format!(
                "{what}: the rendered rule does not compile cleanly: {}",
                problems.other.join("; ")
            ));
        }
        // Set the slow strings aside and choose again.
        for (id, text) in ids {
            if problems.slow.contains(&id) {
                excluded.insert(text.clone());
                dropped.push(text);
            }
        }
    }
    Err(match benign {
        Some(_) => format!(
            "{what}: no string set found that yara-x accepts without warnings and that no benign file of the validation set matches"
        ),
        None => format!("{what}: no string left that yara-x accepts without warnings"),
    })
}

/// Index facts for every distinct candidate text: one pass over the index's keys.
fn goodware_hits<'a>(
    found: &'a [Vec<candidates::Candidate>],
    index: Option<&Index>,
) -> Option<Hits<'a>> {
    let index = index?;
    let texts: std::collections::BTreeSet<&str> =
        found.iter().flatten().map(|c| c.text.as_str()).collect();
    let needles: Vec<&[u8]> = texts
        .iter()
        .map(|t| crate::goodware::key(t.as_bytes()))
        .collect();
    let inside = index.containing_counts(&needles);
    Some(
        texts
            .into_iter()
            .zip(inside)
            .map(|(t, inside)| {
                let exact = index.string_count(t.as_bytes());
                let phrases = index.phrase_counts(t.as_bytes());
                (
                    t,
                    score::GoodwareHits {
                        exact,
                        inside,
                        phrases,
                    },
                )
            })
            .collect(),
    )
}

fn identifier_from_format(format: &str, family: &str, label: &str, date: &str) -> String {
    render::identifier(
        &format
            .replace("{family}", &capitalised(family))
            .replace("{format}", label)
            .replace("{monyy}", &crate::dates::mon_yy(date))
            .replace("{date}", &date.replace('-', "")),
    )
}

/// The template's view of a rule, and the `(id, text)` of each string.
#[allow(clippy::too_many_arguments)]
fn view(
    name: &str,
    label: &str,
    group: &[SampleInfo],
    chosen: &[Chosen],
    condition: String,
    index: Option<&Index>,
    options: &RuleOptions,
    what: &str,
    network: bool,
) -> (RuleView, Vec<(String, String)>) {
    let n = group.len();
    let mut strings = Vec::new();
    let mut ids = Vec::new();
    let (mut nx, mut ns, mut nc) = (0, 0, 0);
    for c in chosen {
        let id = if network {
            nx += 1;
            format!("$n{nx}")
        } else if c.strong {
            nx += 1;
            format!("$x{nx}")
        } else if c.scored.evidence.is_unique() {
            ns += 1;
            format!("$s{ns}")
        } else {
            nc += 1;
            format!("$c{nc}")
        };
        let cand = &c.scored.candidate;
        let modifiers = render::string_modifiers(cand.ascii, cand.wide, &cand.text);
        let goodware = c
            .scored
            .goodware
            .map_or_else(|| "-".to_string(), |g| g.to_string());
        let comment = format!(
            "{}@0x{:x} goodware={} samples={}/{} score={}: {}",
            cand.section.as_deref().unwrap_or("-"),
            cand.offset,
            goodware,
            c.samples.len(),
            n,
            c.scored.score,
            c.scored.reasons.join(", ")
        );
        strings.push(StringLine {
            id: id.clone(),
            literal: render::quote(&cand.text),
            modifiers,
            comment: render::comment_text(&comment, 300),
        });
        ids.push((id, cand.text.clone()));
    }
    let mut meta = vec![
        MetaLine::text(
            "description",
            &if n == 1 {
                format!("Detects {what}")
            } else {
                format!("Detects {what} ({n} samples)")
            },
        ),
        MetaLine::text("author", &options.author),
        MetaLine::text("date", &options.date),
        MetaLine::text("reference", &options.reference),
    ];
    for (i, t) in group.iter().enumerate() {
        meta.push(MetaLine::text(&format!("hash{}", i + 1), &t.sha256));
    }
    let mut imphashes: Vec<&str> = group.iter().filter_map(|t| t.imphash.as_deref()).collect();
    imphashes.sort_unstable();
    imphashes.dedup();
    if !imphashes.is_empty() {
        meta.push(MetaLine::text("imphash", &imphashes.join(" ")));
    }
    let (imports, module_condition) = if network {
        (Vec::new(), String::new())
    } else {
        dotnet_clause(group, &mut meta)
    };
    let total: i64 = chosen.iter().map(|c| i64::from(c.scored.score)).sum();
    let mean = if chosen.is_empty() {
        0
    } else {
        total / chosen.len() as i64
    };
    meta.push(MetaLine::number("score", mean));
    let gw = index.map_or_else(
        || "none".to_string(),
        |i| format!("{} files, updated {}", i.meta().files, i.meta().updated),
    );
    meta.push(MetaLine::text("goodware", &gw));
    meta.push(MetaLine::text(
        "generator",
        &format!("spoor {}", env!("CARGO_PKG_VERSION")),
    ));
    let max_size = group.iter().map(|t| t.size).max().unwrap_or(0);
    let kb = (max_size.saturating_mul(3) / 1024).div_ceil(10).max(1) * 10;
    let tags = vec![label.to_ascii_lowercase()];
    (
        RuleView {
            name: name.to_string(),
            tags,
            meta,
            strings,
            condition,
            imports,
            module_condition,
            filesize: format!("{kb}KB"),
        },
        ids,
    )
}

/// Whether `s` is a GUID as yara-x writes it (lower-case hex, 8-4-4-4-12), safe to quote.
fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// For a group of .NET assemblies only: the modules to import and a condition on the
/// assemblies' identity (any training sample's MVID, or a type library id every sample
/// shares), with the names and GUIDs added to `meta`. Otherwise nothing.
fn dotnet_clause(group: &[SampleInfo], meta: &mut Vec<MetaLine>) -> (Vec<String>, String) {
    let ids: Vec<&DotnetIds> = group.iter().filter_map(|t| t.dotnet.as_ref()).collect();
    if ids.is_empty() || ids.len() != group.len() {
        return (Vec::new(), String::new());
    }
    let distinct = |f: &dyn Fn(&DotnetIds) -> Option<&String>| -> Vec<String> {
        let set: BTreeSet<String> = ids.iter().filter_map(|d| f(d)).cloned().collect();
        set.into_iter().collect()
    };
    let assemblies = distinct(&|d| d.assembly.as_ref());
    if !assemblies.is_empty() {
        meta.push(MetaLine::text("dotnet_assembly", &assemblies.join(" ")));
    }
    let mut clauses = Vec::new();
    let mvids: Vec<String> = distinct(&|d| d.mvid.as_ref())
        .into_iter()
        .filter(|g| is_guid(g))
        .collect();
    if !mvids.is_empty() {
        meta.push(MetaLine::text("dotnet_mvid", &mvids.join(" ")));
        clauses.extend(
            mvids
                .iter()
                .map(|g| format!("dotnet.guids[0] == {}", render::quote(g))),
        );
    }
    // A type library id counts only when every sample has the same one: the project.
    let typelibs = distinct(&|d| d.typelib.as_ref());
    let shared = ids.iter().all(|d| d.typelib.is_some());
    if let [typelib] = typelibs.as_slice() {
        if shared && is_guid(typelib) {
            meta.push(MetaLine::text("dotnet_typelib", typelib));
            clauses.push(format!("dotnet.typelib == {}", render::quote(typelib)));
        }
    }
    if clauses.is_empty() {
        return (Vec::new(), String::new());
    }
    (vec!["dotnet".to_string()], clauses.join(" or "))
}
