//! The library's error type and its coded warnings.
//!
//! [`Error`] is what a public function returns when it cannot do its work: each variant is a
//! family of failures with a stable [`Error::code`]. The module errors
//! ([`crate::goodware::IndexError`], the rules' and labels' errors, ...) convert into it.
//!
//! [`Warning`] is a problem met while the work went on (a damaged record skipped, a limit
//! reached, a file left out): a stable [`WarningCode`] that users can filter on, and the
//! message for people. The JSON outputs carry both (`{"code": ..., "message": ...}`); the
//! terminal shows the message. `docs/warnings.md` lists every code (a test keeps the two in
//! step).

use serde::Serialize;
use std::fmt;

/// Why a public function could not do its work. `Display` is the message for the user, as
/// the command line prints it; [`Error::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input could not be opened, listed or read.
    #[error("{}", located(path, None, message))]
    Input {
        /// The path or name concerned (empty when there is none).
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A file's text is not what it should be (labels, weights, an allowlist, ...).
    #[error("{}", located(file.as_deref().unwrap_or(""), *line, message))]
    Parse {
        /// The file concerned, when known.
        file: Option<String>,
        /// The line (from 1), when the parser knows it.
        line: Option<usize>,
        /// What is wrong there.
        message: String,
    },
    /// An option or argument has a value that cannot be used.
    #[error("{message}")]
    Argument {
        /// What is wrong with the value.
        message: String,
    },
    /// YARA rules could not be read (a rule file unreadable or not rule text), compiled or
    /// changed.
    #[error("{message}")]
    Rule {
        /// The compiler's or checker's report.
        message: String,
    },
    /// A rule template could not be read or rendered.
    #[error("template {template}: {message}")]
    Template {
        /// The template's name (`custom` for one given by the user).
        template: String,
        /// The template engine's report.
        message: String,
    },
    /// A goodware index could not be opened, read or written.
    #[error("{}", located(path, None, message))]
    Index {
        /// The index file (or `default goodware index`); empty when unknown.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Intelligence feeds or warning lists could not be read.
    #[error("{message}")]
    Intel {
        /// What went wrong, naming the feed.
        message: String,
    },
}

/// `path: line N: message`, leaving out the parts that are not known.
fn located(path: &str, line: Option<usize>, message: &str) -> String {
    let mut out = String::new();
    if !path.is_empty() {
        out.push_str(path);
        out.push_str(": ");
    }
    if let Some(n) = line {
        out.push_str(&format!("line {n}: "));
    }
    out.push_str(message);
    out
}

impl Error {
    /// The stable code of the failure family: `input`, `parse`, `argument`, `rule`,
    /// `template`, `index` or `intel`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Input { .. } => "input",
            Error::Parse { .. } => "parse",
            Error::Argument { .. } => "argument",
            Error::Rule { .. } => "rule",
            Error::Template { .. } => "template",
            Error::Index { .. } => "index",
            Error::Intel { .. } => "intel",
        }
    }

    /// A parse error at `line` (from 1) of an unnamed text.
    pub fn parse_at(line: usize, message: impl Into<String>) -> Self {
        Error::Parse {
            file: None,
            line: Some(line),
            message: message.into(),
        }
    }

    /// A parse error without a line.
    pub fn parse(message: impl Into<String>) -> Self {
        Error::Parse {
            file: None,
            line: None,
            message: message.into(),
        }
    }

    /// The same error, naming the file it came from (parse errors) or, for the others,
    /// with `file: ` before the message.
    pub fn in_file(self, file: impl Into<String>) -> Self {
        let file = file.into();
        match self {
            Error::Parse { line, message, .. } => Error::Parse {
                file: Some(file),
                line,
                message,
            },
            Error::Input { path, message } if path.is_empty() => Error::Input {
                path: file,
                message,
            },
            Error::Index { path, message } if path.is_empty() => Error::Index {
                path: file,
                message,
            },
            other => Error::Input {
                path: file,
                message: other.to_string(),
            },
        }
    }
}

impl From<crate::goodware::IndexError> for Error {
    fn from(e: crate::goodware::IndexError) -> Self {
        Error::Index {
            path: String::new(),
            message: e.to_string(),
        }
    }
}

#[cfg(feature = "yara")]
impl From<crate::evaluate::RulesError> for Error {
    fn from(e: crate::evaluate::RulesError) -> Self {
        Error::Rule {
            message: e.to_string(),
        }
    }
}

#[cfg(feature = "yara")]
impl From<crate::evaluate::labels::LabelsError> for Error {
    fn from(e: crate::evaluate::labels::LabelsError) -> Self {
        use crate::evaluate::labels::LabelsError as E;
        match e {
            E::Read { path, message } => Error::Input { path, message },
            parse @ E::Parse { .. } => Error::Parse {
                file: None,
                line: None,
                message: parse.to_string(),
            },
        }
    }
}

#[cfg(feature = "yara")]
impl From<crate::pipeline::Error> for Error {
    fn from(e: crate::pipeline::Error) -> Self {
        match e {
            crate::pipeline::Error::Benign { .. } => Error::Argument {
                message: e.to_string(),
            },
            crate::pipeline::Error::NothingRead { .. } => Error::Input {
                path: String::new(),
                message: e.to_string(),
            },
        }
    }
}

/// Defines [`WarningCode`] with its stable names and [`WarningCode::ALL`] from one list,
/// so that no variant can be left out of either.
macro_rules! warning_codes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What kind of problem a [`Warning`] reports; the kebab-case names are stable (see
        /// `docs/warnings.md`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum WarningCode {
            $($(#[$doc])* $variant,)*
        }

        impl WarningCode {
            /// Every code, in the order of `docs/warnings.md`.
            pub const ALL: &'static [WarningCode] = &[$(WarningCode::$variant,)*];

            /// The stable name, as in the JSON outputs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(WarningCode::$variant => $name,)*
                }
            }
        }
    };
}

warning_codes! {
    /// An input could not be opened, listed or read (or a read failed part way).
    InputUnreadable => "input-unreadable",
    /// An input was deliberately not read: a device, an encrypted or executable archive
    /// member, an empty archive, a symbolic link loop, a sample given as a log.
    InputSkipped => "input-skipped",
    /// An input ends early: a cut-short record, packet or document; what it had is kept.
    InputTruncated => "input-truncated",
    /// A damaged record, header or structure could not be parsed; it was skipped.
    ParseError => "parse-error",
    /// An input is not of a format the reader handles.
    FormatUnknown => "format-unknown",
    /// Invalid escapes or bytes were replaced by U+FFFD.
    Encoding => "encoding",
    /// A size or count limit was reached: the rest was not read, listed or kept.
    SizeLimit => "size-limit",
    /// `--time-limit` was reached: the rest of the input was not read.
    TimeLimit => "time-limit",
    /// A value was estimated from part of the data instead of measured on all of it.
    Estimated => "estimated",
    /// Further warnings for one source were left out.
    WarningsSuppressed => "warnings-suppressed",
    /// The process tree could not be drawn as the log gave it (parent cycles, deep chains).
    ProcessTree => "process-tree",
    /// A temporary file could not be written or read.
    TempFile => "temp-file",
    /// The labels file could not be read; rules were made per sample.
    LabelsUnread => "labels-unread",
    /// A label contradicts how a file was given, or no family could be inferred.
    Labels => "labels",
    /// The goodware index could not be used; rules were made without its facts.
    GoodwareUnavailable => "goodware-unavailable",
    /// Parts of a goodware index disagree (overlapping files, other string lengths).
    IndexMismatch => "index-mismatch",
    /// The YARA compiler warned about a rule.
    RuleCompiler => "rule-compiler",
    /// No rule could be made for a sample or family (no usable string, a template or
    /// compile failure); none was written for it.
    RuleNotWritten => "rule-not-written",
    /// The generated rules could not be validated or measured, or a measured result could
    /// not be added to a rule's meta.
    RuleInvalid => "rule-invalid",
    /// A generated rule matches benign files and was not written.
    RuleFalsePositive => "rule-false-positive",
    /// A generated rule misses some of its training samples.
    RuleMisses => "rule-misses",
    /// Values of an intelligence feed or warning list were skipped: lines or attributes
    /// without a value, STIX patterns without a value comparison, values that cannot be
    /// matched.
    IntelEntrySkipped => "intel-entry-skipped",
    /// A file of a feed folder or a warning list was left out: unreadable, not a feed, a
    /// STIX bundle without objects, a warning list of a kind that is not read.
    IntelFeedSkipped => "intel-feed-skipped",
    /// Reserved: what the feeds and warning lists used before the two codes above (none
    /// is emitted with it now).
    Intel => "intel",
}

impl WarningCode {
    /// The code of a failed read: [`WarningCode::TimeLimit`] when `--time-limit` stopped
    /// it, [`WarningCode::SizeLimit`] when a size limit did (a decompression bomb),
    /// [`WarningCode::InputUnreadable`] otherwise.
    pub fn of_io(e: &std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::TimedOut => WarningCode::TimeLimit,
            std::io::ErrorKind::FileTooLarge => WarningCode::SizeLimit,
            _ => WarningCode::InputUnreadable,
        }
    }
}

impl Serialize for WarningCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for WarningCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A problem met while the work went on. Serialized as `{"code": ..., "message": ...}`;
/// `Display` is the message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Warning {
    /// What kind of problem, stable.
    pub code: WarningCode,
    /// What happened, for people.
    pub message: String,
}

impl Warning {
    /// A warning of kind `code`.
    pub fn new(code: WarningCode, message: impl Into<String>) -> Self {
        Warning {
            code,
            message: message.into(),
        }
    }

    /// The same warning with `prefix: ` before its message (the source it came from).
    pub fn prefixed(&self, prefix: &str) -> Self {
        Warning {
            code: self.code,
            message: format!("{prefix}: {}", self.message),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_serializes_as_code_and_message() {
        let w = Warning::new(WarningCode::InputTruncated, "cut short");
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            r#"{"code":"input-truncated","message":"cut short"}"#
        );
        assert_eq!(w.to_string(), "cut short");
        assert_eq!(w.prefixed("a.pcap").to_string(), "a.pcap: cut short");
    }

    #[test]
    fn errors_print_their_location() {
        let e = Error::parse_at(3, "unknown keyword 'x'");
        assert_eq!(e.to_string(), "line 3: unknown keyword 'x'");
        assert_eq!(e.code(), "parse");
        let e = e.in_file("weights.txt");
        assert_eq!(e.to_string(), "weights.txt: line 3: unknown keyword 'x'");
        let e = Error::Index {
            path: "idx.fst".into(),
            message: "bad magic".into(),
        };
        assert_eq!(e.to_string(), "idx.fst: bad magic");
        assert_eq!(e.code(), "index");
    }

    /// The codes in the table of `docs/warnings.md`'s "Warning codes" section (the first
    /// column of each row).
    fn documented() -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/warnings.md");
        let text = std::fs::read_to_string(path).expect("docs/warnings.md");
        text.lines()
            .skip_while(|l| *l != "## Warning codes")
            .skip(1)
            .take_while(|l| !l.starts_with("## "))
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once('`').map(|(code, _)| code.to_string()))
            .collect()
    }

    #[test]
    fn every_code_is_documented_and_nothing_else() {
        let documented = documented();
        let codes: Vec<String> = WarningCode::ALL.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            documented, codes,
            "docs/warnings.md's table vs WarningCode::ALL"
        );
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut names: Vec<&str> = WarningCode::ALL.iter().map(|c| c.as_str()).collect();
        assert!(names
            .iter()
            .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), WarningCode::ALL.len());
    }
}
