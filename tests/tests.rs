//! spoor's integration tests, one crate with a module per concern (as ripgrep's
//! `tests/tests.rs`): the whole suite links spoor and yara-x once.
//!
//! Run one module or one test by path: `cargo test --test tests cli::`,
//! `cargo test --test tests corpus::`, `cargo test --test tests cli::golden::events_pcap`.
//! Tests that need tools from outside the Rust toolchain (cross compilers, libyara's
//! `yarac`, Chromium, Python validators) skip with a note unless CI asks for them
//! (`SPOOR_REQUIRE_*`, see `.ci/run`).

mod analyze;
mod cardinality;
mod cases;
mod class_activity;
mod cli;
mod closed_loop;
mod corpus;
mod corpus_iocs;
mod evaluate;
mod export;
mod goodware;
mod heldout;
mod hostile;
mod imphash;
mod intel;
mod junk_iocs;
mod logs;
mod malformed;
mod real_goodware;
mod real_packer;
mod report_browser;
mod report_confidence;
mod report_templates;
mod robustness;
mod rules;
mod rules_dotnet;
mod rules_linked;
mod sigma;
mod triage;
mod triage_scale;
mod verdict;
