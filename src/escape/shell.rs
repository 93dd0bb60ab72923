//! Quoting for commands an analyst may paste into a shell: PowerShell (the default for
//! Windows), `sh` (Unix) and `cmd` (only where nothing else does the job).
//!
//! Each function either returns the quoted word or refuses with a reason, and the caller
//! then gives a "review by hand" line instead of a command. A value is refused when it holds
//! control characters or bidirectional overrides (what is pasted would not be what is
//! shown), and for `cmd` whenever it holds one of its metacharacters: those are refused
//! rather than escaped, since `cmd`'s escaping rules differ between contexts.

use super::terminal;

/// Why a value cannot be put into a command.
pub type Refusal = &'static str;

/// Refuses values that do not show what they hold.
fn visible(value: &str) -> Result<(), Refusal> {
    if value.chars().any(terminal::is_unsafe) {
        Err("it holds control or bidirectional characters")
    } else {
        Ok(())
    }
}

/// PowerShell (Windows PowerShell 5.1 and PowerShell 7).
pub mod powershell {
    use super::{visible, Refusal};

    /// The characters PowerShell reads as a single quote (it folds the typographic ones).
    const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201a}', '\u{201b}'];

    /// A verbatim string: single quotes, with every quote character inside doubled. Nothing
    /// in it is expanded: no variables, no subexpressions, no escapes.
    pub fn literal(value: &str) -> Result<String, Refusal> {
        visible(value)?;
        let mut out = String::with_capacity(value.len() + 2);
        out.push('\'');
        for c in value.chars() {
            if SINGLE_QUOTES.contains(&c) {
                out.push(c);
            }
            out.push(c);
        }
        out.push('\'');
        Ok(out)
    }

    /// Refuses values that a parameter taking wildcards (`-Name` of `Stop-Service` or
    /// `Remove-ItemProperty`) would expand.
    pub fn no_wildcards(value: &str) -> Result<(), Refusal> {
        if value.contains(['*', '?', '[', ']', '`']) {
            Err("it holds wildcard characters")
        } else {
            Ok(())
        }
    }

    /// A Windows path as a PowerShell expression for `-LiteralPath`: a verbatim string, or
    /// `(Join-Path $env:NAME '...')` when the path starts with `%NAME%`.
    pub fn path(path: &str) -> Result<String, Refusal> {
        visible(path)?;
        let Some(rest) = path.strip_prefix('%') else {
            return literal(path);
        };
        let Some((name, rest)) = rest.split_once('%') else {
            return Err("it starts an environment variable that does not end");
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '(' | ')'))
        {
            return Err("its environment variable name is not a plain name");
        }
        let var = if name.contains(['(', ')']) {
            format!("${{env:{name}}}")
        } else {
            format!("$env:{name}")
        };
        let rest = rest.trim_start_matches('\\');
        if rest.is_empty() {
            Ok(var)
        } else {
            Ok(format!("(Join-Path {var} {})", literal(rest)?))
        }
    }
}

/// POSIX `sh` (and bash, zsh).
pub mod sh {
    use super::{visible, Refusal};

    /// A word in single quotes; a single quote inside becomes `'\''`.
    pub fn quote(value: &str) -> Result<String, Refusal> {
        visible(value)?;
        Ok(format!("'{}'", value.replace('\'', "'\\''")))
    }
}

/// Windows `cmd.exe`.
pub mod cmd {
    use super::{visible, Refusal};

    /// The characters `cmd` acts on inside or outside quotes (`%` and `!` expand even
    /// inside double quotes; `"` ends the quoting).
    const METACHARACTERS: [char; 10] = ['&', '|', '<', '>', '^', '%', '"', '(', ')', '!'];

    /// A double-quoted argument, refused when it holds a metacharacter.
    pub fn arg(value: &str) -> Result<String, Refusal> {
        visible(value)?;
        if value.contains(METACHARACTERS) {
            return Err("it holds characters that cmd would act on");
        }
        Ok(format!("\"{value}\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_literals_double_every_quote() {
        assert_eq!(
            powershell::literal(r#"x" & calc.exe & ".exe"#).as_deref(),
            Ok(r#"'x" & calc.exe & ".exe'"#)
        );
        assert_eq!(powershell::literal("a'b").as_deref(), Ok("'a''b'"));
        assert_eq!(
            powershell::literal("a\u{2019}; calc; \u{2018}").as_deref(),
            Ok("'a\u{2019}\u{2019}; calc; \u{2018}\u{2018}'")
        );
        assert!(powershell::literal("a\nb").is_err());
        assert!(powershell::literal("a\u{202e}b").is_err());
    }

    #[test]
    fn powershell_paths_expand_only_a_leading_variable() {
        assert_eq!(
            powershell::path(r"%APPDATA%\Ex ample\a'b.exe").as_deref(),
            Ok(r"(Join-Path $env:APPDATA 'Ex ample\a''b.exe')")
        );
        assert_eq!(
            powershell::path(r"C:\Users\Public\x.exe").as_deref(),
            Ok(r"'C:\Users\Public\x.exe'")
        );
        assert_eq!(
            powershell::path(r"%ProgramFiles(x86)%\x.exe").as_deref(),
            Ok(r"(Join-Path ${env:ProgramFiles(x86)} 'x.exe')")
        );
        assert!(powershell::path(r"%a$(calc)%\x").is_err());
        assert!(powershell::path(r"%APPDATA").is_err());
    }

    #[test]
    fn sh_and_cmd() {
        assert_eq!(sh::quote("a'b").as_deref(), Ok(r"'a'\''b'"));
        assert_eq!(cmd::arg("C:\\x y.exe").as_deref(), Ok("\"C:\\x y.exe\""));
        assert!(cmd::arg(r#"x" & calc.exe & ".exe"#).is_err());
        assert!(cmd::arg("%COMSPEC%").is_err());
        assert!(powershell::no_wildcards("*").is_err());
    }
}
