//! Escaping for every reader of spoor's outputs: one function set per output format.
//!
//! spoor reads attacker-controlled files and writes what an analyst reads, copies and runs.
//! Every value that comes from an input goes through one of these before it reaches an
//! output: [`terminal`] for text views and messages (control characters and bidirectional
//! overrides shown as visible escapes), [`markdown`] for the report (nothing from data can
//! start a heading, an HTML block or a link), [`csv`] for spreadsheets (formula triggers
//! neutralised) and [`shell`] for commands an analyst may paste (PowerShell, `sh` and `cmd`
//! quoting, or a refusal when a value cannot be quoted safely).

pub mod csv;
pub mod markdown;
pub mod shell;
pub mod terminal;
