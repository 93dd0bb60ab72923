//! The report's Markdown and HTML, rendered by minijinja from the templates in
//! `report-templates/` (shipped inside the binary) or from a folder of the analyst's own
//! (`spoor analyze --report-templates DIR`, where each template missing falls back to the
//! shipped one).
//!
//! Escaping happens here and only here: every value a template prints goes through spoor's
//! escaper for the template's format (chosen by its file name: `*.md.j2` Markdown,
//! `*.html.j2` and `*.svg.j2` HTML, see [`format_of`]), so a template cannot forget to escape
//! a value from a sample or a log. The filters that turn a value into markup ([`FILTERS`])
//! escape it themselves and return it marked safe. A template opts out only by writing
//! `|safe`.

use super::{AnalystReport, CONFIDENCE_LEVELS};
use crate::escape::markdown;
use minijinja::value::{Kwargs, Serde, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The Markdown report's template.
pub const MARKDOWN: &str = "report.md.j2";
/// The HTML report's template.
pub const HTML: &str = "report.html.j2";

/// The shipped templates: name (path under `report-templates/`) and source.
pub const TEMPLATES: [(&str, &str); 27] = [
    (
        MARKDOWN,
        include_str!("../../report-templates/report.md.j2"),
    ),
    (
        "md/macros.md.j2",
        include_str!("../../report-templates/md/macros.md.j2"),
    ),
    (
        "md/overview.md.j2",
        include_str!("../../report-templates/md/overview.md.j2"),
    ),
    (
        "md/profiles.md.j2",
        include_str!("../../report-templates/md/profiles.md.j2"),
    ),
    (
        "md/samples.md.j2",
        include_str!("../../report-templates/md/samples.md.j2"),
    ),
    (
        "md/dynamic.md.j2",
        include_str!("../../report-templates/md/dynamic.md.j2"),
    ),
    (
        "md/process-tree.md.j2",
        include_str!("../../report-templates/md/process-tree.md.j2"),
    ),
    (
        "md/attack.md.j2",
        include_str!("../../report-templates/md/attack.md.j2"),
    ),
    (
        "md/remediation.md.j2",
        include_str!("../../report-templates/md/remediation.md.j2"),
    ),
    (
        "md/iocs.md.j2",
        include_str!("../../report-templates/md/iocs.md.j2"),
    ),
    (
        "md/rules.md.j2",
        include_str!("../../report-templates/md/rules.md.j2"),
    ),
    (
        "md/appendix.md.j2",
        include_str!("../../report-templates/md/appendix.md.j2"),
    ),
    (HTML, include_str!("../../report-templates/report.html.j2")),
    (
        "html/style.css",
        include_str!("../../report-templates/html/style.css"),
    ),
    (
        "html/macros.html.j2",
        include_str!("../../report-templates/html/macros.html.j2"),
    ),
    (
        "html/contents.html.j2",
        include_str!("../../report-templates/html/contents.html.j2"),
    ),
    (
        "html/overview.html.j2",
        include_str!("../../report-templates/html/overview.html.j2"),
    ),
    (
        "html/profiles.html.j2",
        include_str!("../../report-templates/html/profiles.html.j2"),
    ),
    (
        "html/samples.html.j2",
        include_str!("../../report-templates/html/samples.html.j2"),
    ),
    (
        "html/dynamic.html.j2",
        include_str!("../../report-templates/html/dynamic.html.j2"),
    ),
    (
        "html/process-tree.svg.j2",
        include_str!("../../report-templates/html/process-tree.svg.j2"),
    ),
    (
        "html/attack.html.j2",
        include_str!("../../report-templates/html/attack.html.j2"),
    ),
    (
        "html/attack-matrix.svg.j2",
        include_str!("../../report-templates/html/attack-matrix.svg.j2"),
    ),
    (
        "html/remediation.html.j2",
        include_str!("../../report-templates/html/remediation.html.j2"),
    ),
    (
        "html/iocs.html.j2",
        include_str!("../../report-templates/html/iocs.html.j2"),
    ),
    (
        "html/rules.html.j2",
        include_str!("../../report-templates/html/rules.html.j2"),
    ),
    (
        "html/appendix.html.j2",
        include_str!("../../report-templates/html/appendix.html.j2"),
    ),
];

/// What a template's output is, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// `*.md.j2`: values escaped by [`crate::escape::markdown::text`].
    Markdown,
    /// `*.html.j2`, `*.svg.j2`, `*.css`: values escaped by [`super::html::escape`].
    Html,
    /// Inside `{% autoescape false %}` only: values printed as they are.
    Plain,
}

/// The format of the template called `name`; `None` for a name with another ending, which
/// is refused (the ending chooses how values are escaped, and an include named otherwise
/// would print values unescaped).
pub fn format_of(name: &str) -> Option<ReportFormat> {
    if name.ends_with(".md.j2") {
        Some(ReportFormat::Markdown)
    } else if [".html.j2", ".svg.j2", ".css"]
        .iter()
        .any(|end| name.ends_with(end))
    {
        Some(ReportFormat::Html)
    } else {
        None
    }
}

const MARKDOWN_MODE: &str = "spoor-markdown";
const HTML_MODE: &str = "spoor-html";

fn mode(state: &State) -> ReportFormat {
    match state.auto_escape() {
        AutoEscape::Custom(m) if m == MARKDOWN_MODE => ReportFormat::Markdown,
        AutoEscape::Custom(m) if m == HTML_MODE => ReportFormat::Html,
        _ => ReportFormat::Plain,
    }
}

/// A template that could not be read, parsed or rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The template's file: the analyst's (`DIR/md/iocs.md.j2`) or the shipped one
    /// (`report-templates/md/iocs.md.j2 (shipped)`).
    pub file: String,
    /// The line, when known.
    pub line: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "report template {}, line {line}: {}",
                self.file, self.message
            ),
            None => write!(f, "report template {}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for TemplateError {}

/// A template name that stays inside the template folder.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && name.split('/').all(|part| !matches!(part, "" | "." | ".."))
}

fn shipped(name: &str) -> Option<&'static str> {
    TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The report templates: the shipped ones, each overridden by a file of the same name in the
/// analyst's folder when there is one.
pub struct ReportTemplates {
    env: Environment<'static>,
    dir: Option<PathBuf>,
    /// The names read from `dir` so far.
    used: Arc<Mutex<BTreeSet<String>>>,
}

impl fmt::Debug for ReportTemplates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportTemplates")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl ReportTemplates {
    /// The shipped templates only.
    pub fn shipped() -> Result<ReportTemplates, TemplateError> {
        ReportTemplates::load(None)
    }

    /// The shipped templates, overridden by the files in `dir`. Every template is parsed
    /// here, so a syntax error is reported before any work is done.
    pub fn load(dir: Option<&Path>) -> Result<ReportTemplates, TemplateError> {
        if let Some(dir) = dir {
            match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(TemplateError {
                        file: dir.display().to_string(),
                        line: None,
                        message: "not a folder".into(),
                    })
                }
                Err(e) => {
                    return Err(TemplateError {
                        file: dir.display().to_string(),
                        line: None,
                        message: crate::input::describe(&e),
                    })
                }
            }
        }
        let used = Arc::new(Mutex::new(BTreeSet::new()));
        let templates = ReportTemplates {
            env: environment(dir.map(Path::to_path_buf), Arc::clone(&used)),
            dir: dir.map(Path::to_path_buf),
            used,
        };
        for (name, _) in TEMPLATES {
            templates
                .env
                .get_template(name)
                .map_err(|e| templates.error(&e, name))?;
        }
        Ok(templates)
    }

    /// The template files (`*.j2`, `*.css`) in the analyst's folder that no template has
    /// read: a misspelt name would otherwise be ignored without a word. Meaningful after
    /// both reports are rendered (a file only included by another is read then).
    pub fn unused_files(&self) -> Vec<PathBuf> {
        let Some(dir) = &self.dir else {
            return Vec::new();
        };
        let mut files = Vec::new();
        template_files(dir, "", 0, &mut files);
        let used = match self.used.lock() {
            Ok(used) => used.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        files
            .into_iter()
            .filter(|name| !used.contains(name))
            .map(|name| dir.join(name))
            .collect()
    }

    /// The report as Markdown.
    pub fn markdown(&self, report: &AnalystReport) -> Result<String, TemplateError> {
        self.render(MARKDOWN, report)
    }

    /// The report as a self-contained HTML page.
    pub fn html(&self, report: &AnalystReport) -> Result<String, TemplateError> {
        self.render(HTML, report)
    }

    fn render(&self, name: &str, report: &AnalystReport) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| self.error(&e, name))?;
        let context = minijinja::context! {
            report => Value::from(Serde(report)),
            confidence_levels => Value::from(Serde(confidence_levels())),
            pictures => Value::from(Serde(super::html::Pictures::of(report))),
        };
        let out = template.render(context).map_err(|e| self.error(&e, name))?;
        // Every value is defanged where the model is built; this pass makes sure no URL
        // scheme is left live anywhere in the document, whatever a template prints.
        Ok(super::defang_text(&out))
    }

    /// The file a template name stands for: the analyst's, or the shipped one.
    fn file_of(&self, name: &str) -> String {
        if let Some(dir) = &self.dir {
            let path = dir.join(name);
            if is_plain_name(name) && (path.is_file() || shipped(name).is_none()) {
                return path.display().to_string();
            }
        }
        format!("report-templates/{name} (shipped)")
    }

    fn error(&self, e: &Error, rendering: &str) -> TemplateError {
        // the innermost error names the template (an include, a macro's file) and line
        let mut inner = e;
        while let Some(next) = std::error::Error::source(inner).and_then(|s| s.downcast_ref()) {
            inner = next;
        }
        let name = inner.name().or(e.name()).unwrap_or(rendering);
        let line = inner.line().or(e.line());
        let mut message = match inner.detail() {
            Some(detail) => format!("{}: {detail}", inner.kind()),
            None => inner.kind().to_string(),
        };
        if inner.kind() == ErrorKind::UndefinedError {
            message.push_str(
                " (a name the report model does not have: report-templates/README.md lists them)",
            );
        }
        TemplateError {
            file: self.file_of(name),
            line,
            message,
        }
    }
}

/// One confidence level of an ATT&CK row, for the templates.
#[derive(Debug, Clone, Serialize)]
pub struct ConfidenceLevel {
    /// `observed`, `high`, `medium` or `low`.
    pub level: crate::findings::Confidence,
    /// What it means.
    pub meaning: &'static str,
}

fn confidence_levels() -> Vec<ConfidenceLevel> {
    CONFIDENCE_LEVELS
        .iter()
        .map(|&(level, meaning)| ConfidenceLevel { level, meaning })
        .collect()
}

/// A remediation item as the templates see it: the model's fields and the labels the report
/// shows for its kind and shell.
#[derive(Serialize)]
struct RemediationView<'a> {
    kind: super::RemediationKind,
    kind_label: &'static str,
    target: &'a str,
    command: &'a str,
    shell: super::Shell,
    shell_label: &'static str,
    reason: &'a str,
}

/// Serialises [`AnalystReport::remediation`] with the labels of each item's kind and shell.
pub(super) fn remediation_view<S: serde::Serializer>(
    items: &[super::Remediation],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(items.iter().map(|r| RemediationView {
        kind: r.kind,
        kind_label: r.kind.label(),
        target: &r.target,
        command: &r.command,
        shell: r.shell,
        shell_label: r.shell.label(),
        reason: &r.reason,
    }))
}

/// The names (`md/iocs.md.j2`) of the files under `dir` that look like templates, at most
/// a few folders deep; hidden files and folders are skipped.
fn template_files(dir: &Path, prefix: &str, depth: usize, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let full = format!("{prefix}{name}");
        if path.is_dir() {
            if depth < 4 {
                template_files(&path, &format!("{full}/"), depth + 1, out);
            }
        } else if name.ends_with(".j2") || name.ends_with(".css") {
            out.push(full);
        }
    }
    out.sort();
}

fn environment(dir: Option<PathBuf>, used: Arc<Mutex<BTreeSet<String>>>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_debug(false);
    let mut syntax = minijinja::syntax::SyntaxConfig::builder();
    syntax
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true);
    if let Ok(config) = syntax.build() {
        env.set_syntax(config);
    }
    // printing an unknown name is an error, not an empty cell; `{% if x %}` stays allowed
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|name| match format_of(name) {
        Some(ReportFormat::Markdown) => AutoEscape::Custom(MARKDOWN_MODE.into()),
        // a name without a format is never loaded
        Some(ReportFormat::Html) | Some(ReportFormat::Plain) | None => {
            AutoEscape::Custom(HTML_MODE.into())
        }
    });
    env.set_formatter(format_value);
    env.set_loader(move |name| {
        let (source, from_dir) = load(dir.as_deref(), name)?;
        if from_dir {
            if let Ok(mut used) = used.lock() {
                used.insert(name.to_string());
            }
        }
        Ok(source)
    });
    env.add_filter("code", |state: &State, value: &Value| {
        code(state, value, true)
    });
    env.add_filter("code_inline", |state: &State, value: &Value| {
        code(state, value, false)
    });
    env.add_filter("fence", fence);
    env.add_filter("defang", |value: &Value| {
        keep_safety(value, super::defang_text(&text_of(value)))
    });
    env.add_filter("base_name", |value: &Value| {
        Value::from(super::base_name(&text_of(value)).to_string())
    });
    // digits and a point only: safe as it is in every format
    env.add_filter("fixed", |value: f64, digits: Option<usize>| {
        Value::from_safe_string(format!("{value:.*}", digits.unwrap_or(2)))
    });
    env
}

/// A template's source: the analyst's file when there is one (then `true`), else the
/// shipped template.
fn load(dir: Option<&Path>, name: &str) -> Result<(Option<String>, bool), Error> {
    if format_of(name).is_none() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "{name}: a report template's name ends in .md.j2, .html.j2, .svg.j2 or .css \
                 (the ending chooses how printed values are escaped)"
            ),
        ));
    }
    if let Some(dir) = dir.filter(|_| is_plain_name(name)) {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(source) => return Ok((Some(source), true)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!(
                        "cannot read {}: {}",
                        path.display(),
                        crate::input::describe(&e)
                    ),
                ))
            }
        }
    }
    Ok((shipped(name).map(str::to_string), false))
}

/// A value's text: a string as it is, anything else as minijinja prints it.
fn text_of(value: &Value) -> String {
    match value.as_str() {
        Some(s) => s.to_string(),
        None => value.to_string(),
    }
}

fn keep_safety(input: &Value, text: String) -> Value {
    if input.is_safe() {
        Value::from_safe_string(text)
    } else {
        Value::from(text)
    }
}

/// Escapes `text` for the format of the template being rendered.
fn escape(format: ReportFormat, text: &str) -> String {
    match format {
        ReportFormat::Markdown => markdown::text(text),
        ReportFormat::Html => super::html::escape(text),
        ReportFormat::Plain => text.to_string(),
    }
}

/// How a printed value reaches the output: markup made by a filter (safe) as it is,
/// numbers as digits, everything else escaped for the template's format.
fn format_value(
    out: &mut minijinja::Output,
    state: &mut State,
    value: &Value,
) -> Result<(), Error> {
    let format = mode(state);
    if value.is_safe() || format == ReportFormat::Plain {
        return minijinja::escape_formatter(out, state, value);
    }
    if value.is_undefined() {
        return Ok(());
    }
    if value.is_number() {
        return write!(out, "{value}").map_err(Error::from);
    }
    out.write_str(&escape(format, &text_of(value)))
        .map_err(Error::from)
}

/// The `code` and `code_inline` filters.
fn code(state: &State, value: &Value, in_table: bool) -> Value {
    let text = text_of(value);
    Value::from_safe_string(match mode(state) {
        ReportFormat::Markdown if in_table => markdown::code_cell(&text),
        ReportFormat::Markdown => markdown::code(&text),
        ReportFormat::Html => super::html::code(&text),
        ReportFormat::Plain => text,
    })
}

/// The `fence` filter: `{{ text|fence("yara") }}`.
fn fence(state: &State, value: &Value, info: Option<&str>, kwargs: Kwargs) -> Result<Value, Error> {
    let info = match info {
        Some(i) => Some(i),
        None => kwargs.get::<Option<&str>>("info")?,
    };
    kwargs.assert_all_used()?;
    let text = text_of(value);
    Ok(Value::from_safe_string(match mode(state) {
        ReportFormat::Markdown => markdown::fence(info.unwrap_or(""), &text),
        ReportFormat::Html => format!("<pre>{}</pre>", super::html::escape_block(text.trim_end())),
        ReportFormat::Plain => text,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(env: &Environment<'static>, name: &str, source: &str, ctx: Value) -> String {
        let mut env = env.clone();
        env.add_template_owned(name.to_string(), source.to_string())
            .expect("parse");
        env.get_template(name)
            .expect("template")
            .render(ctx)
            .expect("render")
    }

    #[test]
    fn printed_values_are_escaped_for_the_format_of_the_template() {
        let env = environment(None, Arc::default());
        let ctx = minijinja::context! { v => "<b>|x|</b>\n# h \x1b[2J", n => 7 };
        assert_eq!(
            render(
                &env,
                "t.md.j2",
                "{{ v }} {{ v|upper }} {{ n }}",
                ctx.clone()
            ),
            format!(
                "{} {} 7",
                markdown::text("<b>|x|</b>\n# h \x1b[2J"),
                markdown::text("<B>|X|</B>\n# H \x1b[2J")
            )
        );
        assert_eq!(
            render(
                &env,
                "t.html.j2",
                "{{ v }}|{{ v|e }}|{{ [v, v]|join(' ') }}",
                ctx.clone()
            ),
            format!(
                "{0}|{0}|{0} {0}",
                super::super::html::escape("<b>|x|</b>\n# h \x1b[2J")
            )
        );
        assert_eq!(
            render(&env, "t.css", "{{ v }}", ctx.clone()),
            super::super::html::escape("<b>|x|</b>\n# h \x1b[2J")
        );
        assert_eq!(
            render(
                &env,
                "t.md.j2",
                "{% autoescape false %}{{ v }}{% endautoescape %}",
                ctx.clone()
            ),
            "<b>|x|</b>\n# h \x1b[2J"
        );
        // only an explicit `|safe` (or an autoescape block) prints markup from a value
        assert_eq!(
            render(&env, "t.html.j2", "{{ v|safe }}", ctx),
            "<b>|x|</b>\n# h \x1b[2J"
        );
    }

    #[test]
    fn filters_make_markup_of_the_template_format() {
        let env = environment(None, Arc::default());
        let ctx = minijinja::context! { p => r"C:\a|b", e => 7.949 };
        assert_eq!(
            render(
                &env,
                "t.md.j2",
                "{{ p|code }} {{ p|code_inline }} {{ e|fixed(2) }}",
                ctx.clone()
            ),
            r"`C:\a\|b` `C:\a|b` 7.95"
        );
        assert_eq!(
            render(&env, "t.html.j2", "{{ p|code }}", ctx),
            r"<code>C:\<wbr>a|b</code>"
        );
        let ctx = minijinja::context! { r => "rule x { condition: true }\n" };
        assert_eq!(
            render(&env, "t.md.j2", "{{ r|fence('yara') }}", ctx.clone()),
            "```yara\nrule x { condition: true }\n```\n"
        );
        assert_eq!(
            render(&env, "t.html.j2", "{{ r|fence }}", ctx),
            "<pre>rule x { condition: true }</pre>"
        );
    }

    #[test]
    fn the_readme_lists_every_template() {
        let readme = include_str!("../../report-templates/README.md");
        for (name, _) in TEMPLATES {
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} is not in the README"
            );
        }
    }

    #[test]
    fn the_shipped_templates_parse_and_names_stay_inside_the_folder() {
        assert!(ReportTemplates::shipped().is_ok());
        assert!(is_plain_name("md/iocs.md.j2"));
        for bad in ["../x.md.j2", "/etc/x", "md/../../x", "a\\b", "", "md//x"] {
            assert!(!is_plain_name(bad), "{bad}");
        }
        assert_eq!(format_of("md/iocs.md.j2"), Some(ReportFormat::Markdown));
        assert_eq!(
            format_of("html/process-tree.svg.j2"),
            Some(ReportFormat::Html)
        );
        assert_eq!(format_of("html/style.css"), Some(ReportFormat::Html));
        assert_eq!(format_of("md/footer.j2"), None);
        assert_eq!(format_of("md/footer.txt"), None);
    }
}
