//! The report as one self-contained HTML file: inline CSS, the ATT&CK findings drawn as an
//! inline SVG, no scripts and no external requests (a Content-Security-Policy forbids them),
//! readable on screen and on paper.

use super::{tactic_order, Report};
use std::fmt::Write as _;

/// Escapes text for HTML element content and attribute values; control characters and
/// bidirectional overrides become visible escapes (see [`crate::escape::terminal`]), so a
/// name cannot display as something else.
pub fn escape(text: &str) -> String {
    escape_with(text, false)
}

/// [`escape`] for preformatted text: line breaks and tabs stay.
fn escape_block(text: &str) -> String {
    escape_with(text, true)
}

fn escape_with(text: &str, keep_layout: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' if keep_layout => out.push(c),
            c if crate::escape::terminal::is_unsafe(c) => {
                crate::escape::terminal::push_escape(&mut out, c)
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2327;max-width:70rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #d0d7de;padding-bottom:.2rem;margin-top:2.2rem}
.meta{color:#57606a}table{border-collapse:collapse;width:100%;margin:.6rem 0 1.2rem;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
code{font:.85rem ui-monospace,Consolas,monospace;overflow-wrap:anywhere;background:#f6f8fa;padding:0 .2rem;border-radius:3px}
.verdict-malicious-looking{color:#b42318;font-weight:600}.verdict-suspicious{color:#b54708;font-weight:600}
pre{background:#f6f8fa;padding:.8rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap;overflow-wrap:anywhere}svg{max-width:100%;height:auto}
nav ol{margin:.2rem 0}nav .samples{columns:2;font-size:.9rem}.nav{font-size:.85rem;margin:-.4rem 0 .4rem}
@media print{nav .samples{columns:2}.nav{display:none}}
.legend{list-style:none;padding:0;font-size:.85rem}.legend li{margin:.15rem 0}.swatch{display:inline-block;width:.9rem;height:.9rem;border:1px solid #8c959f;border-radius:2px;margin-right:.4rem;vertical-align:middle}
@media print{body{margin:0;max-width:none;font-size:11px}h2{break-after:avoid}tr,svg{break-inside:avoid}}
";

struct Table<'a> {
    out: &'a mut String,
}

impl<'a> Table<'a> {
    fn new(out: &'a mut String, headers: &[&str]) -> Self {
        out.push_str("<table><thead><tr>");
        for h in headers {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
        out.push_str("</tr></thead><tbody>\n");
        Table { out }
    }

    /// Adds a row of already-escaped HTML cells.
    fn row(&mut self, cells: &[String]) {
        self.out.push_str("<tr>");
        for c in cells {
            let _ = write!(self.out, "<td>{c}</td>");
        }
        self.out.push_str("</tr>\n");
    }
}

impl Drop for Table<'_> {
    fn drop(&mut self) {
        self.out.push_str("</tbody></table>\n");
    }
}

/// A value as code. Long values may break after a path separator (`<wbr>`, which adds no
/// character when copied) and, only where nothing else fits, anywhere (CSS).
fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        let escaped = escape(text).replace('\\', "\\<wbr>").replace('/', "/<wbr>");
        format!("<code>{escaped}</code>")
    }
}

/// The anchor of a sample's tags (`tags-N`) or static findings (`static-N`): by position, so
/// any file name gives a valid, unique id.
fn sample_anchor(part: &str, index: usize) -> String {
    format!("{part}-{}", index + 1)
}

/// The table of contents: every section, and each sample's tags and static findings. Links
/// are fragments of this page only, so they work from a `file://` URL and offline.
fn contents(report: &Report) -> String {
    let mut out = String::from("<nav id=\"contents\"><h2>Contents</h2><ol>\n");
    let sections: [(&str, &str, bool); 9] = [
        ("overview", "Overview", true),
        ("tags", "Sample tags", true),
        ("static", "Static findings", true),
        ("dynamic", "Dynamic findings", true),
        ("attack", "ATT&CK mapping", true),
        ("remediation", "Remediation", true),
        ("iocs", "Indicators of compromise", true),
        ("rules", "Detection rules", true),
        (
            "problems",
            "Problems while reading the inputs",
            !report.problems.is_empty(),
        ),
    ];
    for (id, title, shown) in sections {
        if !shown {
            continue;
        }
        let _ = write!(out, "<li><a href=\"#{id}\">{}</a>", escape(title));
        if id == "tags" && !report.samples.is_empty() {
            out.push_str("<ol class=\"samples\">");
            for (i, s) in report.samples.iter().enumerate() {
                let _ = write!(
                    out,
                    "<li>{name} (<span class=\"verdict-{v}\">{verdict}</span>): \
                     <a href=\"#{tags}\">tags</a> · <a href=\"#{stat}\">static findings</a></li>",
                    name = escape(super::base_name(&s.name)),
                    v = s.verdict.replace(' ', "-"),
                    verdict = escape(&s.verdict),
                    tags = sample_anchor("tags", i),
                    stat = sample_anchor("static", i),
                );
            }
            out.push_str("</ol>");
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol></nav>\n");
    out
}

/// Links from one sample's part of the report to its other part, its neighbours and the
/// contents.
fn sample_nav(report: &Report, index: usize, part: &str) -> String {
    let mut links = Vec::new();
    if index > 0 {
        links.push(format!(
            "<a href=\"#{}\">← {}</a>",
            sample_anchor(part, index - 1),
            escape(super::base_name(&report.samples[index - 1].name))
        ));
    }
    if index + 1 < report.samples.len() {
        links.push(format!(
            "<a href=\"#{}\">{} →</a>",
            sample_anchor(part, index + 1),
            escape(super::base_name(&report.samples[index + 1].name))
        ));
    }
    let (other, other_title) = if part == "tags" {
        ("static", "its static findings")
    } else {
        ("tags", "its tags")
    };
    links.push(format!(
        "<a href=\"#{}\">{other_title}</a>",
        sample_anchor(other, index)
    ));
    links.push("<a href=\"#contents\">contents</a>".to_string());
    format!("<p class=\"nav\">{}</p>\n", links.join(" · "))
}

/// Renders the report as a self-contained HTML document.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\n\
         <h1>{title}</h1><p class=\"meta\">{date} · generated by {generator} · static and log \
         analysis only: nothing was run or contacted</p>\n",
        title = escape(&report.title),
        date = escape(&report.date),
        generator = escape(&report.generator),
    );
    out.push_str(&contents(report));

    let _ = writeln!(
        out,
        "<section id=\"overview\"><h2>Overview</h2><p>{}</p>",
        escape(&report.overview.join(" "))
    );
    for p in &report.profiles {
        let _ = writeln!(
            out,
            "<p class=\"profile\"><b>{}</b>: {}</p>",
            escape(&p.title),
            escape(&p.sentences.join(" "))
        );
    }
    if !report.summary.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(&report.summary.join(" ")));
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"tags\"><h2>Sample tags</h2>\n");
    if report.samples.is_empty() {
        out.push_str("<p>No PE, ELF or Mach-O sample was given.</p>\n");
    }
    for (i, s) in report.samples.iter().enumerate() {
        let _ = writeln!(
            out,
            "<h3 id=\"{}\">{}</h3>",
            sample_anchor("tags", i),
            escape(super::base_name(&s.name))
        );
        out.push_str(&sample_nav(report, i, "tags"));
        let mut t = Table::new(&mut out, &["tag", "value"]);
        for (k, v) in &s.tags {
            t.row(&[escape(k), code(v)]);
        }
        t.row(&[
            "verdict".to_string(),
            format!(
                "<span class=\"verdict-{}\">{}</span>",
                s.verdict.replace(' ', "-"),
                escape(&s.verdict)
            ),
        ]);
        for (k, v) in super::markdown::verdict_rows(s) {
            t.row(&[escape(&k), escape(&v)]);
        }
    }
    out.push_str("</section>\n<section id=\"static\"><h2>Static findings</h2>\n");
    for (i, s) in report.samples.iter().enumerate() {
        let _ = writeln!(
            out,
            "<h3 id=\"{}\">{}</h3>",
            sample_anchor("static", i),
            escape(super::base_name(&s.name))
        );
        out.push_str(&sample_nav(report, i, "static"));
        if s.categories.is_empty() {
            out.push_str("<p>No import falls in a behaviour category.</p>\n");
        } else {
            let mut t = Table::new(&mut out, &["behaviour", "what it means", "APIs"]);
            for c in &s.categories {
                let apis: Vec<String> = c.apis.iter().map(|a| code(a)).collect();
                t.row(&[escape(&c.name), escape(&c.explanation), apis.join(" ")]);
            }
        }
        if !s.strings.is_empty() {
            let mut t = Table::new(&mut out, &["kind", "string of interest", "where"]);
            for r in &s.strings {
                t.row(&[escape(&r.tags), code(&r.value), escape(&r.location)]);
            }
        }
        if !s.sections.is_empty() {
            let mut t = Table::new(&mut out, &["section", "size", "entropy", "notes"]);
            for r in &s.sections {
                t.row(&[
                    code(&r.name),
                    r.size.to_string(),
                    format!("{:.2}", r.entropy),
                    escape(&r.notes),
                ]);
            }
        }
        let _ = writeln!(out, "<p>Packing: {}</p>", escape(&s.packer));
    }

    out.push_str("</section>\n<section id=\"dynamic\"><h2>Dynamic findings</h2>\n");
    for note in &report.dynamic.notes {
        let _ = writeln!(out, "<p>{}</p>", escape(note));
    }
    let d = &report.dynamic;
    if !d.logs.is_empty() {
        let mut t = Table::new(&mut out, &["log", "format", "records", "events"]);
        for l in &d.logs {
            t.row(&[
                code(&l.name),
                escape(&l.format),
                l.records.to_string(),
                l.events.to_string(),
            ]);
        }
    }
    if !d.process_tree.is_empty() {
        out.push_str("<h3>Process tree</h3>\n");
        out.push_str(&process_tree_svg(&d.process_tree));
    }
    if !d.activity.is_empty() {
        out.push_str("<h3>Activity</h3>\n");
        let mut t = Table::new(&mut out, &["action", "events"]);
        for (a, n) in &d.activity {
            t.row(&[escape(a), n.to_string()]);
        }
    }
    if !d.persistence.is_empty() {
        out.push_str("<h3>Persistence</h3>\n");
        let mut t = Table::new(
            &mut out,
            &["technique", "mechanism", "location", "runs", "made by"],
        );
        for p in &d.persistence {
            t.row(&[
                escape(&p.technique),
                escape(&p.name),
                code(&p.location),
                code(&p.runs),
                code(&p.by),
            ]);
        }
    }
    if !d.context_iocs.is_empty() {
        out.push_str("<h3>Indicators in the logs</h3>\n");
        let mut t = Table::new(&mut out, &["type", "value", "context"]);
        for (k, v, c) in &d.context_iocs {
            t.row(&[escape(k), code(v), escape(c)]);
        }
    }

    out.push_str("</section>\n<section id=\"attack\"><h2>ATT&amp;CK mapping</h2>\n");
    if report.attack.is_empty() {
        out.push_str("<p>No ATT&amp;CK technique was found.</p>\n");
    } else {
        out.push_str(&attack_svg(report));
        let mut t = Table::new(
            &mut out,
            &[
                "technique",
                "name",
                "tactics",
                "confidence",
                "samples",
                "evidence",
            ],
        );
        for r in &report.attack {
            let evidence: Vec<String> = r.evidence.iter().map(|e| code(e)).collect();
            t.row(&[
                escape(&r.id),
                escape(&r.name),
                escape(&r.tactics.join(", ")),
                escape(&r.confidence),
                escape(&r.samples.join(", ")),
                evidence.join(" "),
            ]);
        }
    }

    out.push_str("</section>\n<section id=\"remediation\"><h2>Remediation</h2>\n");
    if report.remediation.is_empty() {
        out.push_str("<p>No remediation item follows from the findings.</p>\n");
    } else {
        out.push_str(
            "<p>Review each command before running it; each names the shell it is written \
             for (PowerShell on Windows, <code>sh</code> on Unix). Every value in a command is \
             quoted for that shell; an item that could not be quoted safely, or that must not \
             be deleted by a command (a folder, a user-profile or system location, a file of \
             the operating system, a path cut short), says “review by hand” and why.</p>\n",
        );
        let mut t = Table::new(&mut out, &["action", "target", "command", "why"]);
        for r in &report.remediation {
            t.row(&[
                escape(r.kind.label()),
                code(&r.target),
                if r.command.is_empty() {
                    escape(r.shell.label())
                } else {
                    format!("{}: {}", escape(r.shell.label()), code(&r.command))
                },
                escape(&r.reason),
            ]);
        }
    }

    out.push_str("</section>\n<section id=\"iocs\"><h2>Indicators of compromise</h2>\n");
    if report.iocs.is_empty() {
        out.push_str("<p>No indicator was found.</p>\n");
    } else {
        out.push_str(
            "<p>Network indicators are defanged so the report is safe to share. The complete \
             list with every sighting is in <code>iocs.json</code>.</p>\n",
        );
        let mut t = Table::new(
            &mut out,
            &["type", "value", "notes", "seen in", "sightings"],
        );
        for r in &report.iocs {
            t.row(&[
                escape(&r.kind),
                code(&r.value),
                escape(&r.notes),
                code(&r.seen_in),
                r.count.to_string(),
            ]);
        }
    }

    out.push_str("</section>\n<section id=\"rules\"><h2>Detection rules</h2>\n");
    if let Some(tested) = &report.rules_tested {
        let _ = writeln!(out, "<p>{}</p>", escape(tested));
    }
    match &report.rules {
        Some(rules) => {
            out.push_str(
                "<p>URLs in the rules' strings are shown defanged here; \
                 <code>rules.yar</code> holds the rules as they compile.</p>\n",
            );
            let _ = writeln!(
                out,
                "<pre>{}</pre>",
                escape_block(&super::defang_text(rules.trim_end()))
            );
        }
        None => out.push_str("<p>No detection rules were generated in this analysis.</p>\n"),
    }
    out.push_str("</section>\n");

    if !report.problems.is_empty() {
        out.push_str("<section id=\"problems\"><h2>Problems while reading the inputs</h2><ul>\n");
        for p in &report.problems {
            let _ = writeln!(out, "<li>{}</li>", escape(p));
        }
        out.push_str("</ul></section>\n");
    }
    out.push_str("</body></html>\n");
    // Every value above is defanged where it is built; this pass makes sure no URL scheme
    // is left live anywhere in the page.
    super::defang_text(&out)
}

/// Splits `text` into lines of at most `width` characters for the SVG pictures (which do
/// not wrap by themselves): at spaces where possible, else after a path separator or other
/// punctuation, and only inside a run of letters when nothing else is left. Nothing is cut:
/// the lines joined give the text back.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let chars: Vec<char> = text.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    while chars.len() - start > width {
        let window = &chars[start..start + width + 1];
        let breaks_after = |c: char| {
            matches!(
                c,
                '\\' | '/' | ',' | ';' | '&' | '?' | '=' | '|' | '-' | '.'
            )
        };
        let cut = window
            .iter()
            .rposition(|&c| c == ' ')
            .filter(|&i| i > width / 3)
            .map(|i| i + 1)
            .or_else(|| {
                window[..width]
                    .iter()
                    .rposition(|&c| breaks_after(c))
                    .filter(|&i| i > width / 3)
                    .map(|i| i + 1)
            })
            .unwrap_or(width);
        lines.push(chars[start..start + cut].iter().collect());
        start += cut;
    }
    if start < chars.len() || lines.is_empty() {
        lines.push(chars[start..].iter().collect());
    }
    lines
}

/// The process tree as a picture: one box per process, indented under its parent, with
/// elbow lines from parent to child; the command line follows the box, wrapped over as many
/// lines as it needs (never cut), and a root names the log it was read from.
fn process_tree_svg(lines: &[super::TreeLine]) -> String {
    const LINE: usize = 14;
    const INDENT: usize = 26;
    const BOX_WIDTH: usize = 230;
    const LABEL_CHARS: usize = 34;
    const COMMAND_CHARS: usize = 96;
    struct Placed {
        label: Vec<String>,
        text: Vec<String>,
        y: usize,
        height: usize,
    }
    let mut placed = Vec::with_capacity(lines.len());
    let mut y = 4;
    for line in lines {
        let label = wrap(&line.process, LABEL_CHARS);
        let mut text = if line.command_line.is_empty() {
            Vec::new()
        } else {
            wrap(&line.command_line, COMMAND_CHARS)
        };
        if !line.log.is_empty() {
            text.extend(wrap(&format!("(in {})", line.log), COMMAND_CHARS));
        }
        let rows = label.len().max(text.len()).max(1);
        let height = rows * LINE + 8;
        placed.push(Placed {
            label,
            text,
            y,
            height,
        });
        y += height + 8;
    }
    let deepest = lines.iter().map(|l| l.depth).max().unwrap_or(0);
    let width = deepest * INDENT + BOX_WIDTH + 16 + COMMAND_CHARS * 7;
    let height = y + 2;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         role=\"img\" aria-label=\"process tree\" font-family=\"system-ui,sans-serif\" \
         font-size=\"11\">"
    );
    // The index of the closest line above at each depth, for the connectors.
    let mut parents: Vec<usize> = Vec::new();
    for (i, (line, p)) in lines.iter().zip(&placed).enumerate() {
        let x = 4 + line.depth * INDENT;
        parents.truncate(line.depth);
        if let Some(&parent) = parents.last() {
            let px = 4 + (line.depth - 1) * INDENT + 10;
            let py = placed[parent].y + placed[parent].height;
            let _ = writeln!(
                svg,
                "<path d=\"M{px} {py} V{cy} H{x}\" fill=\"none\" stroke=\"#8c959f\"/>",
                cy = p.y + 11
            );
        }
        parents.push(i);
        let _ = write!(
            svg,
            "<g><title>{full}</title><rect x=\"{x}\" y=\"{y}\" width=\"{BOX_WIDTH}\" \
             height=\"{h}\" rx=\"4\" fill=\"#ddf4ff\" stroke=\"#54aeff\"/>",
            full = escape(&format!("{} {}", line.process, line.command_line)),
            y = p.y,
            h = p.height,
        );
        for (k, part) in p.label.iter().enumerate() {
            let _ = write!(
                svg,
                "<text x=\"{tx}\" y=\"{ty}\" font-weight=\"600\">{}</text>",
                escape(part),
                tx = x + 6,
                ty = p.y + 15 + k * LINE,
            );
        }
        for (k, part) in p.text.iter().enumerate() {
            let _ = write!(
                svg,
                "<text x=\"{cx}\" y=\"{ty}\" fill=\"#57606a\" xml:space=\"preserve\" \
                 font-family=\"ui-monospace,monospace\">{}</text>",
                escape(part),
                cx = x + BOX_WIDTH + 8,
                ty = p.y + 15 + k * LINE,
            );
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    svg
}

/// Fill colour of a technique box by confidence; [`attack_legend`] explains each.
fn confidence_fill(confidence: &str) -> &'static str {
    match confidence {
        "observed" => "#d9c2f0",
        "high" => "#f4c7c3",
        "medium" => "#fde2c0",
        _ => "#e5e8eb",
    }
}

/// What each colour and confidence level of the matrix means.
fn attack_legend() -> String {
    let mut out = String::from("<ul class=\"legend\">");
    for (level, meaning) in super::CONFIDENCE_LEVELS {
        let _ = write!(
            out,
            "<li><span class=\"swatch\" style=\"background:{}\"></span><b>{level}</b>: {}</li>",
            confidence_fill(level),
            escape(meaning)
        );
    }
    out.push_str("</ul>\n");
    out
}

/// The ATT&CK findings as a matrix: one column per tactic that has a technique, in ATT&CK
/// order, at most [`MATRIX_COLUMNS`] columns to a band so the picture stays legible at page
/// width; one box per technique with its id and full name (wrapped, never cut), coloured by
/// confidence (see [`attack_legend`]); hovering a box shows its name, confidence and samples.
fn attack_svg(report: &Report) -> String {
    const COLUMN: usize = 180;
    const LINE: usize = 14;
    const HEADER: usize = 26;
    const NAME_CHARS: usize = 27;
    let columns: Vec<(&String, Vec<&super::AttackRow>)> = tactic_order()
        .iter()
        .map(|tactic| {
            let rows: Vec<&super::AttackRow> = report
                .attack
                .iter()
                .filter(|r| r.tactics.contains(tactic))
                .collect();
            (tactic, rows)
        })
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    let per_band = columns.len().clamp(1, MATRIX_COLUMNS);
    let width = per_band * COLUMN + 4;
    let mut body = String::new();
    let mut band_top = 4;
    for band in columns.chunks(per_band) {
        let mut band_height = 0;
        for (i, (tactic, rows)) in band.iter().enumerate() {
            let x = i * COLUMN + 4;
            let _ = writeln!(
                body,
                "<text x=\"{x}\" y=\"{}\" font-weight=\"600\" font-size=\"12\">{}</text>",
                band_top + 16,
                escape(&tactic.replace('-', " "))
            );
            let mut y = band_top + HEADER;
            for r in rows {
                let name = wrap(&r.name, NAME_CHARS);
                let height = 22 + name.len() * LINE;
                let samples = match r.samples.len() {
                    0 => "seen in the logs".to_string(),
                    1 => "1 sample".to_string(),
                    n => format!("{n} samples"),
                };
                let _ = write!(
                    body,
                    "<g><title>{id} {full} ({conf}; {samples})</title><rect x=\"{x}\" \
                     y=\"{y}\" width=\"{w}\" height=\"{height}\" rx=\"4\" fill=\"{fill}\" \
                     stroke=\"#8c959f\"/><text x=\"{tx}\" y=\"{ty}\" font-weight=\"600\">{id}\
                     </text>",
                    id = escape(&r.id),
                    full = escape(&r.name),
                    conf = escape(&r.confidence),
                    w = COLUMN - 10,
                    fill = confidence_fill(&r.confidence),
                    tx = x + 6,
                    ty = y + 15,
                );
                for (k, part) in name.iter().enumerate() {
                    let _ = write!(
                        body,
                        "<text x=\"{}\" y=\"{}\">{}</text>",
                        x + 6,
                        y + 15 + (k + 1) * LINE,
                        escape(part)
                    );
                }
                body.push_str("</g>\n");
                y += height + 6;
            }
            band_height = band_height.max(y - band_top);
        }
        band_top += band_height + 10;
    }
    let height = band_top;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         role=\"img\" aria-label=\"ATT&amp;CK techniques by tactic\" \
         font-family=\"system-ui,sans-serif\" font-size=\"11\">"
    );
    svg.push_str(&body);
    svg.push_str("</svg>\n");
    svg.push_str(&attack_legend());
    svg
}

/// Tactic columns side by side in one band of the matrix (six of 180 units fit the page).
const MATRIX_COLUMNS: usize = 6;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_prefers_blanks() {
        let command = r#"schtasks.exe /create /f /sc onlogon /rl highest /tn "\Microsoft\Windows\Maintenance\CoalSvc" /tr "C:\Users\alice\AppData\Roaming\CoalSvc\coalsvc.exe""#;
        let lines = wrap(command, 40);
        assert_eq!(lines.concat(), command);
        assert!(lines.iter().all(|l| l.chars().count() <= 41), "{lines:?}");
        assert!(lines[0].ends_with(' '), "broken at a blank: {lines:?}");
        let path = "C:\\a\\".repeat(20);
        let lines = wrap(&path, 16);
        assert_eq!(lines.concat(), path);
        assert!(lines.iter().all(|l| l.ends_with('\\')), "{lines:?}");
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap(&"x".repeat(25), 10).concat(), "x".repeat(25));
    }

    #[test]
    fn the_process_tree_shows_whole_command_lines_and_root_logs() {
        let command = format!("cmd.exe /c \"{}\"", "a very long argument ".repeat(12));
        let lines = vec![
            crate::report::TreeLine {
                depth: 0,
                process: "(unknown image) (pid 4012)".into(),
                command_line: String::new(),
                log: "lockjaw_v1-procmon.csv".into(),
            },
            crate::report::TreeLine {
                depth: 1,
                process: "cmd.exe (pid 6344)".into(),
                command_line: command.clone(),
                log: String::new(),
            },
        ];
        let svg = process_tree_svg(&lines);
        let texts: String = svg
            .split("font-family=\"ui-monospace,monospace\">")
            .skip(1)
            .map(|t| &t[..t.find("</text>").expect("text end")])
            .collect();
        assert_eq!(
            texts,
            format!("(in lockjaw_v1-procmon.csv){}", escape(&command))
        );
        assert!(!svg.contains('…'));
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
