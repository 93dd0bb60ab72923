//! spoor turns malware samples and analysis logs into indicators of compromise (IOCs) and
//! tested YARA rules.
//!
//! Data flows one way: [`input`] (what to read) → [`extract`] (scanning, with the IOC model
//! and scanner in [`ioc`]) → findings → [`export`] (JSON, NDJSON, CSV, text) via
//! [`output`]. [`analyze`] runs the whole pipeline and [`report`] writes the analyst's
//! report from its findings. Knowledge tables (allowlist, TLD policy, detection-name prefixes, ...) are
//! plain text under `data/`, embedded by [`tables`]. The [`cli`] is a thin shell over this
//! library.

pub mod analyze;
#[cfg(feature = "yara")]
pub mod cli;
pub mod dates;
pub mod escape;
#[cfg(feature = "yara")]
pub mod evaluate;
pub mod export;
pub mod extract;
pub mod goodware;
pub mod input;
pub mod ioc;
pub mod logs;
pub mod output;
pub mod report;
#[cfg(feature = "yara")]
pub mod rules;
pub mod sample;
pub mod sigma;
pub mod tables;

pub use extract::{ExtractOptions, Extraction, Extractor};
pub use ioc::{Ioc, IocKind, Sighting};
