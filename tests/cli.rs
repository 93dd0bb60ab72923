//! Command-line golden tests, in the style of yara-x's `testdata`: for every
//! `tests/cli/NAME.cmd` (the arguments, split on whitespace, run from `tests/cli/`), the
//! binary's stdout must equal `NAME.stdout`, its stderr `NAME.stderr` (empty when the file
//! is absent) and its exit code `NAME.code` (0 when absent). `NAME.stdin`, when present, is
//! fed to standard input.
//!
//! To accept new output after a deliberate change: `SPOOR_UPDATE_GOLDEN=1 cargo test --test cli`,
//! then review the diff.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn read_or_empty(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn update(path: &Path, content: &str, keep_if_empty: bool) {
    if content.is_empty() && !keep_if_empty {
        let _ = std::fs::remove_file(path);
    } else {
        std::fs::write(path, content).expect("write golden file");
    }
}

#[test]
fn cli_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let updating = std::env::var_os("SPOOR_UPDATE_GOLDEN").is_some();
    let mut cmds: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/cli exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cmd"))
        .collect();
    cmds.sort();
    assert!(!cmds.is_empty());
    let mut failures = Vec::new();
    for cmd in &cmds {
        let args_line = std::fs::read_to_string(cmd).expect("read .cmd");
        let args: Vec<&str> = args_line.split_whitespace().collect();
        let stdin_path = cmd.with_extension("stdin");
        let mut child = Command::new(env!("CARGO_BIN_EXE_spoor"))
            .args(&args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn spoor");
        {
            let mut stdin = child.stdin.take().expect("stdin");
            let input = std::fs::read(&stdin_path).unwrap_or_default();
            stdin.write_all(&input).expect("feed stdin");
        }
        let out = child.wait_with_output().expect("wait for spoor");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code().unwrap_or(-1);
        let name = cmd.file_stem().unwrap().to_string_lossy().into_owned();
        if stderr.contains("panicked") {
            failures.push(format!("{name}: panicked: {stderr}"));
        }
        let (so, se, co) = (
            cmd.with_extension("stdout"),
            cmd.with_extension("stderr"),
            cmd.with_extension("code"),
        );
        if updating {
            update(&so, &stdout, true);
            update(&se, &stderr, false);
            update(
                &co,
                &if code == 0 {
                    String::new()
                } else {
                    format!("{code}\n")
                },
                false,
            );
            continue;
        }
        let want_code: i32 = read_or_empty(&co).trim().parse().unwrap_or(0);
        if stdout != read_or_empty(&so) {
            failures.push(format!("{name}: stdout differs:\n--- got\n{stdout}"));
        }
        if stderr != read_or_empty(&se) {
            failures.push(format!("{name}: stderr differs:\n--- got\n{stderr}"));
        }
        if code != want_code {
            failures.push(format!("{name}: exit code {code}, want {want_code}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
