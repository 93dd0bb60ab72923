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

pub mod activity;
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
pub mod goodware;
pub mod input;
pub mod intel;
pub mod ioc;
pub mod logs;
pub mod output;
#[cfg(feature = "yara")]
pub mod pipeline;
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
        for reader in ["sample", "logs", "ioc", "intel"] {
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
}
