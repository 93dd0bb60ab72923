//! spoor turns malware samples and analysis logs into indicators of compromise (IOCs) and
//! tested YARA rules.
//!
//! Data flows one way: [`input`] (what to read) → [`extract`] (scanning, with the IOC model
//! and scanner in [`ioc`]) → findings → [`export`] (JSON, NDJSON, CSV, text) via
//! [`output`]. [`analyze`] runs the input stages (triage, logs, IOCs), `pipeline` the
//! whole analysis behind `spoor analyze` (with rules and their test), and [`report`] writes
//! the analyst's report from its findings. Knowledge tables (allowlist, TLD policy, detection-name prefixes, ...) are
//! plain text under `data/`, embedded by [`tables`]. The [`cli`] is a thin shell over this
//! library.

#[macro_use]
mod vocabulary;

pub mod activity;
pub mod alloc;
pub mod analyze;
pub mod cleanup;
#[cfg(feature = "yara")]
pub mod cli;
pub mod dates;
pub mod error;
pub mod escape;
#[cfg(feature = "yara")]
pub mod evaluate;
pub mod export;
pub mod extract;
pub mod findings;
pub mod goodware;
pub mod input;
pub mod intel;
pub mod ioc;
pub mod logs;
pub mod output;
#[cfg(feature = "yara")]
pub mod pipeline;
pub mod primitives;
pub mod report;
#[cfg(feature = "yara")]
pub mod rules;
pub mod sample;
pub mod sigma;
pub mod tables;

pub use error::{Error, Warning, WarningCode};
pub use extract::{ExtractOptions, Extraction, Extractor};
pub use ioc::{Ioc, IocKind, Sighting};

/// The one-way flow, checked on the sources: the readers (`sample`, `logs`, `ioc`, `intel`)
/// never reach up to the stages that consume them.
#[cfg(test)]
mod layering {
    /// Modules a reader may not name.
    const HIGHER: [&str; 12] = [
        "extract", "export", "report", "cli", "analyze", "rules", "evaluate", "sigma", "goodware",
        "output", "pipeline", "activity",
    ];

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn readers_never_import_a_later_stage() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        // the findings vocabulary sits below the readers: it names no later stage either
        for reader in ["sample", "logs", "ioc", "intel", "findings"] {
            rust_files(&src.join(reader), &mut files);
        }
        assert!(files.len() > 20, "{files:?}");
        let mut found = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("read");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for higher in HIGHER {
                    let name = format!("crate::{higher}");
                    let at_boundary = code.match_indices(&name).any(|(i, _)| {
                        !code[i + name.len()..]
                            .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                    if at_boundary {
                        found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    /// Where `dir` (a folder or one `.rs` file under `src/`) names one of `modules`
    /// (`crate::NAME` at a word boundary, outside `//` comments): `file:line: text` each.
    fn uses_of(dir: &str, modules: &[&str]) -> Vec<String> {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        let single = src.join(format!("{dir}.rs"));
        if single.is_file() {
            files.push(single);
        } else {
            rust_files(&src.join(dir), &mut files);
        }
        assert!(!files.is_empty(), "nothing under src/{dir}");
        scan(&files, &src, modules)
    }

    fn scan(files: &[std::path::PathBuf], root: &std::path::Path, modules: &[&str]) -> Vec<String> {
        let mut found = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(file).expect("read");
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for module in modules {
                    let name = format!("crate::{module}");
                    let at_boundary = code.match_indices(&name).any(|(i, _)| {
                        !code[i + name.len()..]
                            .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    });
                    if at_boundary {
                        let shown = file.strip_prefix(root).unwrap_or(file).display();
                        found.push(format!("{shown}:{}: {}", n + 1, line.trim()));
                    }
                }
            }
        }
        found
    }

    /// The exports and the report read the findings vocabulary ([`crate::findings`]), never
    /// a reader (`crate::sample`, `crate::logs`).
    #[test]
    fn exports_and_the_report_read_findings_not_readers() {
        let mut found = uses_of("export", &["sample", "logs"]);
        found.extend(uses_of("report", &["sample", "logs"]));
        assert!(found.is_empty(), "uses of a reader:\n{}", found.join("\n"));
    }

    /// The findings vocabulary and the shared primitives sit below the readers: they name
    /// none of them (nor, checked above for `findings`, any later stage).
    #[test]
    fn findings_and_primitives_name_no_reader() {
        let readers = ["sample", "logs", "extract", "analyze"];
        let mut found = uses_of("findings", &readers);
        found.extend(uses_of("primitives", &readers));
        found.extend(uses_of("primitives", &["findings", "ioc", "intel"]));
        assert!(found.is_empty(), "{}", found.join("\n"));
    }

    /// The scan sees a use where there is one: a reader named in code counts, one named in a
    /// comment or as a longer name does not.
    #[test]
    fn the_scan_finds_a_use_of_a_reader() {
        let dir = std::env::temp_dir();
        let probe = dir.join(format!("spoor-layering-{}.rs", std::process::id()));
        let text = "use crate::sample::Triage;\n// crate::logs\nlet x = crate::samples;\n";
        std::fs::write(&probe, text).expect("write probe");
        let found = scan(std::slice::from_ref(&probe), &dir, &["sample", "logs"]);
        std::fs::remove_file(&probe).expect("remove probe");
        let name = probe
            .strip_prefix(&dir)
            .expect("in dir")
            .display()
            .to_string();
        assert_eq!(found, [format!("{name}:1: use crate::sample::Triage;")]);
    }
}
