//! The text view of a [`Report`]: a rule table, the false positives and misses with their
//! files, per-set counts, the confusion table, the family matrix and throughput.

use super::report::{Report, SetSummary};
use crate::escape::terminal::field;
use std::fmt::Write as _;

fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.1}%", r * 100.0),
        None => "n/a".to_string(),
    }
}

fn mib(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    }
}

fn files(n: usize) -> String {
    format!("{n} file{}", if n == 1 { "" } else { "s" })
}

fn set_line(name: &str, s: &SetSummary) -> String {
    let mut line = format!(
        "  {name:<10} {} ({}), {} matched by some rule",
        files(s.files),
        mib(s.bytes),
        s.matched_any
    );
    if s.unreadable > 0 {
        let _ = write!(line, ", {} not scanned", s.unreadable);
    }
    line
}

/// Renders the report for a terminal or a log; `max_fp` is the allowed number of false
/// positives, for the verdict line.
pub fn render(report: &Report, max_fp: usize) -> String {
    let mut s = String::new();
    let name_width = report
        .rules
        .iter()
        .map(|r| r.name.len())
        .chain([4])
        .max()
        .unwrap_or(4);
    let family_width = report
        .rules
        .iter()
        .filter_map(|r| r.family.as_ref().map(String::len))
        .chain([9])
        .max()
        .unwrap_or(9);
    let _ = writeln!(
        s,
        "{:<name_width$}  {:<family_width$}  {:>4}  {:>4}  {:>9}  {:>8}  {:>9}",
        "rule", "family", "TP", "miss", "FP:benign", "FP:cross", "detection"
    );
    for r in &report.rules {
        let _ = writeln!(
            s,
            "{:<name_width$}  {:<family_width$}  {:>4}  {:>4}  {:>9}  {:>8}  {:>9}",
            r.name,
            r.family.as_deref().unwrap_or("(generic)"),
            r.true_positives,
            r.misses,
            r.benign_hits.len(),
            r.cross_family_hits.len(),
            percent(r.detection_rate)
        );
    }

    if report.rules.iter().any(|r| r.false_positives > 0) {
        let _ = writeln!(s, "\nfalse positives");
        for r in report.rules.iter().filter(|r| r.false_positives > 0) {
            let _ = writeln!(
                s,
                "  {}: {} benign, {} cross-family",
                r.name,
                r.benign_hits.len(),
                r.cross_family_hits.len()
            );
            let width = r
                .cross_family_hits
                .iter()
                .map(|c| c.family.len())
                .chain([6])
                .max()
                .unwrap_or(6);
            // File names (and the families taken from folder names) are shown escaped: a
            // line break in one must not start a line of its own.
            for f in &r.benign_hits {
                let _ = writeln!(s, "    {:<width$}  {}", "benign", field(f));
            }
            for c in &r.cross_family_hits {
                let _ = writeln!(s, "    {:<width$}  {}", field(&c.family), field(&c.file));
            }
        }
    }
    if report.rules.iter().any(|r| r.misses > 0) {
        let _ = writeln!(s, "\nmisses");
        for r in report.rules.iter().filter(|r| r.misses > 0) {
            let _ = writeln!(s, "  {}: {}", r.name, r.misses);
            for f in &r.missed {
                let _ = writeln!(s, "    {}", field(f));
            }
        }
    }
    if !report.unreadable.is_empty() {
        let _ = writeln!(s, "\nnot scanned");
        for u in &report.unreadable {
            let _ = writeln!(
                s,
                "  {:<9}  {}: {}",
                u.set.as_str(),
                field(&u.file),
                field(&u.reason)
            );
        }
    }

    let _ = writeln!(s, "\nsets");
    let _ = writeln!(s, "{}", set_line("malicious", &report.sets.malicious));
    let _ = writeln!(s, "{}", set_line("benign", &report.sets.benign));

    let c = &report.confusion;
    let _ = writeln!(s, "\nconfusion (files)   detected  not detected");
    let _ = writeln!(
        s,
        "  malicious         {:>8}  {:>12}{}",
        c.true_positives,
        c.false_negatives,
        if c.wrong_family_only > 0 {
            format!(
                "  ({} matched only by other families' rules)",
                c.wrong_family_only
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        s,
        "  benign            {:>8}  {:>12}",
        c.false_positives, c.true_negatives
    );
    let _ = writeln!(
        s,
        "  recall {}, precision {}",
        percent(c.recall),
        percent(c.precision)
    );

    let m = &report.families;
    let label_width = m
        .rows
        .iter()
        .map(|r| r.label.len())
        .chain([5])
        .max()
        .unwrap_or(5);
    let _ = writeln!(
        s,
        "\nfamilies (rows: file label; columns: families of the rules that matched)"
    );
    let mut header = format!("  {:<label_width$}  {:>5}", "label", "files");
    for col in &m.columns {
        let _ = write!(header, "  {col:>w$}", w = col.len().max(3));
    }
    let _ = writeln!(s, "{}", header.trim_end());
    for row in &m.rows {
        let mut line = format!("  {:<label_width$}  {:>5}", row.label, row.files);
        for (col, n) in m.columns.iter().zip(&row.counts) {
            let _ = write!(line, "  {n:>w$}", w = col.len().max(3));
        }
        let _ = writeln!(s, "{line}");
    }

    if let Some(t) = &report.throughput {
        let _ = writeln!(
            s,
            "\nthroughput: {}, {} in {:.3} s: {:.1} MiB/s, {:.0} files/s ({} threads)",
            files(t.files),
            mib(t.bytes),
            t.seconds,
            t.mib_per_s,
            t.files_per_s,
            t.threads
        );
    }
    for w in &report.warnings {
        let _ = writeln!(s, "\nnote: {w}");
    }

    let _ = writeln!(
        s,
        "\n{}: {} false positive{} (limit {max_fp}), {} of {} malicious files detected",
        if report.false_positives > max_fp {
            "FAIL"
        } else {
            "PASS"
        },
        report.false_positives,
        if report.false_positives == 1 { "" } else { "s" },
        c.true_positives,
        c.true_positives + c.false_negatives
    );
    s
}
