//! The report as one self-contained HTML file: inline CSS, the process tree and the ATT&CK
//! findings drawn as inline SVG, no scripts and no external requests (a
//! Content-Security-Policy forbids them), readable on screen and on paper.
//!
//! The page itself is the templates' (`report-templates/report.html.j2` and its includes,
//! see [`super::templates`]); this module holds the HTML escaping every printed value goes
//! through, and the geometry of the two pictures ([`Pictures`]), which the templates draw:
//! where each box and line of text goes is arithmetic that would be unreadable in a
//! template, while the colours, fonts and markup stay in the templates.

use super::templates::{ReportTemplates, TemplateError};
use super::{tactic_order, AnalystReport};
use serde::Serialize;

/// Renders the report as a self-contained HTML document with the shipped templates.
pub fn render(report: &AnalystReport) -> Result<String, TemplateError> {
    ReportTemplates::shipped()?.html(report)
}

/// Escapes text for HTML element content and attribute values; control characters and
/// bidirectional overrides become visible escapes (see [`crate::escape::terminal`]), so a
/// name cannot display as something else.
pub fn escape(text: &str) -> String {
    escape_with(text, false)
}

/// [`escape`] for preformatted text: line breaks and tabs stay.
pub(super) fn escape_block(text: &str) -> String {
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

/// A value as code. Long values may break after a path separator (`<wbr>`, which adds no
/// character when copied) and, only where nothing else fits, anywhere (CSS).
pub(super) fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        let escaped = escape(text).replace('\\', "\\<wbr>").replace('/', "/<wbr>");
        format!("<code>{escaped}</code>")
    }
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

/// The geometry of the report's pictures, for the templates (`pictures`).
#[derive(Debug, Clone, Serialize)]
pub struct Pictures {
    /// The process tree; `None` when the logs show no process.
    pub process_tree: Option<ProcessTreePicture>,
    /// The ATT&CK matrix; `None` when no technique was found.
    pub attack_matrix: Option<AttackMatrix>,
}

impl Pictures {
    /// The pictures of `report`.
    pub fn of(report: &AnalystReport) -> Pictures {
        let tree = &report.dynamic.process_tree;
        Pictures {
            process_tree: (!tree.is_empty()).then(|| process_tree(tree)),
            attack_matrix: (!report.attack.is_empty()).then(|| attack_matrix(report)),
        }
    }
}

/// One line of text in a picture, at its baseline.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TextLine {
    /// Left edge.
    pub x: usize,
    /// Baseline.
    pub y: usize,
    /// The text (a piece of a wrapped value).
    pub text: String,
}

/// The process tree: one box per process, indented under its parent, with an elbow line
/// from the parent; the command line follows the box, wrapped over as many lines as it needs
/// (never cut), and a root names the log it was read from.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessTreePicture {
    /// Picture width.
    pub width: usize,
    /// Picture height.
    pub height: usize,
    /// The processes in display order.
    pub boxes: Vec<ProcessBox>,
}

/// One process of the tree.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessBox {
    /// `image (pid N)`.
    pub process: String,
    /// Command line, when known.
    pub command_line: String,
    /// For a root, the log it was read from.
    pub log: String,
    /// Left edge of the box.
    pub x: usize,
    /// Top of the box.
    pub y: usize,
    /// Box width.
    pub width: usize,
    /// Box height.
    pub height: usize,
    /// The elbow line from the parent, below a root.
    pub connector: Option<Connector>,
    /// The process, wrapped inside the box.
    pub label: Vec<TextLine>,
    /// The command line and the log, wrapped to the right of the box.
    pub text: Vec<TextLine>,
}

/// An elbow line: down from (`x`, `y`) to `to_y`, then right to `to_x`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Connector {
    /// Start, left.
    pub x: usize,
    /// Start, top (the parent box's bottom).
    pub y: usize,
    /// Where the line turns right.
    pub to_y: usize,
    /// Where it ends (the child box's left edge).
    pub to_x: usize,
}

fn process_tree(lines: &[super::TreeLine]) -> ProcessTreePicture {
    const LINE: usize = 14;
    const INDENT: usize = 26;
    const BOX_WIDTH: usize = 230;
    const LABEL_CHARS: usize = 34;
    const COMMAND_CHARS: usize = 96;
    let mut boxes: Vec<ProcessBox> = Vec::with_capacity(lines.len());
    // The index of the closest line above at each depth, for the connectors.
    let mut parents: Vec<usize> = Vec::new();
    let mut y = 4;
    for (i, line) in lines.iter().enumerate() {
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
        let x = 4 + line.depth * INDENT;
        parents.truncate(line.depth);
        let connector = parents.last().and_then(|&parent| {
            let p = boxes.get(parent)?;
            Some(Connector {
                x: 4 + line.depth.saturating_sub(1) * INDENT + 10,
                y: p.y + p.height,
                to_y: y + 11,
                to_x: x,
            })
        });
        parents.push(i);
        let at = |k: usize, left: usize, text: String| TextLine {
            x: left,
            y: y + 15 + k * LINE,
            text,
        };
        boxes.push(ProcessBox {
            process: line.process.clone(),
            command_line: line.command_line.clone(),
            log: line.log.clone(),
            x,
            y,
            width: BOX_WIDTH,
            height,
            connector,
            label: label
                .into_iter()
                .enumerate()
                .map(|(k, t)| at(k, x + 6, t))
                .collect(),
            text: text
                .into_iter()
                .enumerate()
                .map(|(k, t)| at(k, x + BOX_WIDTH + 8, t))
                .collect(),
        });
        y += height + 8;
    }
    let deepest = lines.iter().map(|l| l.depth).max().unwrap_or(0);
    ProcessTreePicture {
        width: deepest * INDENT + BOX_WIDTH + 16 + COMMAND_CHARS * 7,
        height: y + 2,
        boxes,
    }
}

/// The ATT&CK findings as a matrix: one column per tactic that has a technique, in ATT&CK
/// order, at most [`MATRIX_COLUMNS`] columns to a band so the picture stays legible at page
/// width; one box per technique with its id and full name (wrapped, never cut). The
/// templates colour a box by its confidence and explain the colours in a legend.
#[derive(Debug, Clone, Serialize)]
pub struct AttackMatrix {
    /// Picture width.
    pub width: usize,
    /// Picture height.
    pub height: usize,
    /// The columns, band after band.
    pub columns: Vec<TacticColumn>,
}

/// One tactic's column.
#[derive(Debug, Clone, Serialize)]
pub struct TacticColumn {
    /// The tactic (`defense-evasion`).
    pub tactic: String,
    /// Left edge.
    pub x: usize,
    /// Baseline of the heading.
    pub y: usize,
    /// Its techniques, top to bottom.
    pub boxes: Vec<TechniqueBox>,
}

/// One technique in a column.
#[derive(Debug, Clone, Serialize)]
pub struct TechniqueBox {
    /// Technique id.
    pub id: String,
    /// Technique name.
    pub name: String,
    /// Highest confidence seen.
    pub confidence: crate::findings::Confidence,
    /// Samples showing it (none: seen in the logs only).
    pub samples: Vec<String>,
    /// Left edge.
    pub x: usize,
    /// Top.
    pub y: usize,
    /// Box width.
    pub width: usize,
    /// Box height.
    pub height: usize,
    /// The id, first line in the box.
    pub id_line: TextLine,
    /// The name, wrapped, under the id.
    pub name_lines: Vec<TextLine>,
}

fn attack_matrix(report: &AnalystReport) -> AttackMatrix {
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
    let mut placed = Vec::with_capacity(columns.len());
    let mut band_top = 4;
    for band in columns.chunks(per_band) {
        let mut band_height = 0;
        for (i, (tactic, rows)) in band.iter().enumerate() {
            let x = i * COLUMN + 4;
            let mut y = band_top + HEADER;
            let mut boxes = Vec::with_capacity(rows.len());
            for r in rows {
                let name = wrap(&r.name, NAME_CHARS);
                let height = 22 + name.len() * LINE;
                boxes.push(TechniqueBox {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    confidence: r.confidence,
                    samples: r.samples.clone(),
                    x,
                    y,
                    width: COLUMN - 10,
                    height,
                    id_line: TextLine {
                        x: x + 6,
                        y: y + 15,
                        text: r.id.clone(),
                    },
                    name_lines: name
                        .into_iter()
                        .enumerate()
                        .map(|(k, text)| TextLine {
                            x: x + 6,
                            y: y + 15 + (k + 1) * LINE,
                            text,
                        })
                        .collect(),
                });
                y += height + 6;
            }
            placed.push(TacticColumn {
                tactic: (*tactic).clone(),
                x,
                y: band_top + 16,
                boxes,
            });
            band_height = band_height.max(y - band_top);
        }
        band_top += band_height + 10;
    }
    AttackMatrix {
        width: per_band * COLUMN + 4,
        height: band_top,
        columns: placed,
    }
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
        let tree = process_tree(&lines);
        let texts: String = tree
            .boxes
            .iter()
            .flat_map(|b| b.text.iter().map(|t| t.text.as_str()))
            .collect();
        assert_eq!(texts, format!("(in lockjaw_v1-procmon.csv){command}"));
        assert!(tree.boxes[1].text.len() > 1, "wrapped, not cut");
        assert_eq!(
            tree.boxes[1].connector,
            Some(Connector {
                x: 14,
                y: tree.boxes[0].y + tree.boxes[0].height,
                to_y: tree.boxes[1].y + 11,
                to_x: 30
            })
        );
        assert!(tree.boxes[0].connector.is_none());
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
