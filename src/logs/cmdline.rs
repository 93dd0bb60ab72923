//! Windows command lines: split into arguments as the Microsoft C runtime and
//! `CommandLineToArgvW` do, and the normal form persistence rules are matched against.
//!
//! `"C:\Windows\System32\schtasks.exe" /create /tn x` and `schtasks /create /tn x` are the
//! same command: the normal form names each program by its file name without `.exe`,
//! drops the quoting and lower-cases the rest (`schtasks /create /tn x`), so a rule written
//! once matches every spelling.

/// The arguments of a Windows command line. The program name (the first argument) ends at
/// the first white space, or at the closing quote when it starts with one; in the other
/// arguments `"` toggles quoting, `""` inside quotes is a literal quote, and backslashes
/// are literal unless they come before a quote (2n backslashes and a quote: n backslashes
/// and quoting toggled; 2n+1: n backslashes and a literal quote).
pub fn split(command: &str) -> Vec<String> {
    let chars: Vec<char> = command.trim_start().chars().collect();
    let mut args = Vec::new();
    let mut i = 0;
    // the program name: no escapes
    let mut first = String::new();
    if chars.first() == Some(&'"') {
        i = 1;
        while i < chars.len() && chars[i] != '"' {
            first.push(chars[i]);
            i += 1;
        }
        i += 1; // the closing quote
    }
    while i < chars.len() && !chars[i].is_whitespace() {
        if chars[i] != '"' {
            first.push(chars[i]);
        }
        i += 1;
    }
    if first.is_empty() && chars.is_empty() {
        return args;
    }
    args.push(first);
    loop {
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() {
            break;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while i < chars.len() {
            let c = chars[i];
            if c == '\\' {
                let run = chars[i..].iter().take_while(|&&c| c == '\\').count();
                i += run;
                if chars.get(i) == Some(&'"') {
                    arg.extend(std::iter::repeat_n('\\', run / 2));
                    if run % 2 == 1 {
                        arg.push('"');
                        i += 1;
                    }
                } else {
                    arg.extend(std::iter::repeat_n('\\', run));
                }
                continue;
            }
            if c == '"' {
                if quoted && chars.get(i + 1) == Some(&'"') {
                    arg.push('"');
                    i += 2;
                    continue;
                }
                quoted = !quoted;
                i += 1;
                continue;
            }
            if c.is_whitespace() && !quoted {
                break;
            }
            arg.push(c);
            i += 1;
        }
        args.push(arg);
    }
    args
}

/// A program named by path or name, as the normal form names it: its file name, lower
/// case, without `.exe` (`C:\Windows\System32\SC.EXE` → `sc`).
pub fn program_name(arg: &str) -> String {
    let base = super::base_name(arg.trim()).to_lowercase();
    match base.strip_suffix(".exe") {
        Some(stem) if !stem.is_empty() => stem.to_string(),
        _ => base,
    }
}

/// The normal form of a command line: arguments split by the Windows rules, the program
/// and every argument that is the path of an `.exe` named by its file name without `.exe`,
/// lower case, joined by single spaces. An argument that is itself a command (`cmd /c
/// "schtasks /create ..."`) is normalised the same way, so a rule finds it too.
pub fn normal_form(command: &str) -> String {
    normal_form_depth(command, 0)
}

fn normal_form_depth(command: &str, depth: usize) -> String {
    let args = split(command);
    let mut out: Vec<String> = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let lower = arg.to_lowercase();
        if i == 0 || (lower.ends_with(".exe") && lower.contains(['\\', '/'])) {
            out.push(program_name(arg));
        } else if depth < 2 && arg.contains(char::is_whitespace) {
            out.push(normal_form_depth(arg, depth + 1));
        } else {
            out.push(lower);
        }
    }
    out.join(" ")
}

/// The value after a switch (`/tn NAME`, `binPath= C:\x.exe`), compared without case, in
/// the command's own arguments or in those of a command it passes on (`cmd /c "..."`).
pub fn switch_value(command: &str, switch: &str) -> Option<String> {
    fn find(args: &[String], switch: &str) -> Option<String> {
        args.iter().enumerate().find_map(|(i, a)| {
            if a.eq_ignore_ascii_case(switch) {
                return args.get(i + 1).cloned();
            }
            // `binPath=C:\x.exe`: the value joined to a switch that ends in `=`
            let glued = switch.ends_with('=') && a.len() > switch.len();
            (glued && a[..switch.len()].eq_ignore_ascii_case(switch))
                .then(|| a[switch.len()..].to_string())
        })
    }
    let args = split(command);
    find(&args[1.min(args.len())..], switch)
        .or_else(|| {
            args.iter()
                .skip(1)
                .filter(|a| a.contains(char::is_whitespace))
                .find_map(|a| {
                    let inner = split(a);
                    find(&inner[1.min(inner.len())..], switch)
                })
        })
        .filter(|v| !v.trim().is_empty())
}

/// The argument after the first argument equal to `word` (without case): the service of
/// `sc create NAME`, looked for in the command and in a command it passes on.
pub fn after_word(command: &str, word: &str) -> Option<String> {
    switch_value(command, word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_the_c_runtime() {
        assert_eq!(
            split(
                r#""C:\Windows\System32\schtasks.exe" /create /tn "\A B\C" /tr "C:\x y\z.exe -a""#
            ),
            vec![
                r"C:\Windows\System32\schtasks.exe",
                "/create",
                "/tn",
                r"\A B\C",
                "/tr",
                r"C:\x y\z.exe -a"
            ]
        );
        assert_eq!(
            split(r#"a.exe "b\"c" d\\"e f" g\h"#),
            vec!["a.exe", "b\"c", "d\\e f", "g\\h"]
        );
        assert_eq!(split(r#"x "a ""quoted"" b""#), vec!["x", "a \"quoted\" b"]);
        assert_eq!(split("   "), Vec::<String>::new());
    }

    #[test]
    fn normal_form_names_programs() {
        assert_eq!(
            normal_form(r#""C:\Windows\System32\sc.exe" create Upd binPath= "C:\u.exe""#),
            "sc create upd binpath= u"
        );
        assert!(
            normal_form(r#"cmd.exe /c "C:\Windows\System32\schtasks.exe /Create /tn x""#)
                .contains("schtasks /create /tn x")
        );
    }

    #[test]
    fn switches() {
        let c = r#""C:\Windows\system32\schtasks.exe" /create /f /tn "\A\B" /tr "C:\x.exe" /sc onlogon"#;
        assert_eq!(switch_value(c, "/tn").as_deref(), Some(r"\A\B"));
        assert_eq!(switch_value(c, "/tr").as_deref(), Some(r"C:\x.exe"));
        let s = r#"sc.exe create Upd binPath="C:\u.exe" start= auto"#;
        assert_eq!(switch_value(s, "binpath=").as_deref(), Some(r"C:\u.exe"));
        assert_eq!(after_word(s, "create").as_deref(), Some("Upd"));
        let nested = r#"cmd /c "schtasks /create /tn T1 /tr c:\a.exe""#;
        assert_eq!(switch_value(nested, "/tn").as_deref(), Some("T1"));
    }
}
