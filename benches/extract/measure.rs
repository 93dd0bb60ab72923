//! Running a child process and measuring its wall time and peak resident memory.
//!
//! The child is started with `std::process::Command` and reaped with `libc::wait4`, whose
//! `rusage.ru_maxrss` is the child's own peak RSS (Linux reports KiB; the figures agree
//! with `/usr/bin/time -v`). Standard output and error go to files so that nothing can
//! block on a full pipe.
//!
//! One catch: when a process calls exec, Linux keeps the peak of the memory it replaces,
//! and std spawns children with vfork, so a child execs from its parent's memory and its
//! `ru_maxrss` is at least the parent's own peak. A benchmark whose process grows (it
//! opens an index, say) uses [`run_isolated`]: a small launcher (the same program, run
//! with [`LAUNCHER_FLAG`]; its `main` calls [`launcher_main`] first) starts the child and
//! reports what `wait4` said of it.

// Each benchmark that includes this file uses a different part of it.
#![allow(dead_code)]

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One finished run of a child process.
#[derive(Debug, Clone)]
pub struct Run {
    /// Wall time from spawn to reaping.
    pub wall: Duration,
    /// Peak resident set size, in bytes.
    pub peak_rss: u64,
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
}

/// Runs `cmd` to completion, writing its stdout to `stdout` and stderr to `stderr`.
pub fn run(cmd: &mut Command, stdout: &Path, stderr: &Path) -> Result<Run, String> {
    let out = File::create(stdout).map_err(|e| format!("{}: {e}", stdout.display()))?;
    let err = File::create(stderr).map_err(|e| format!("{}: {e}", stderr.display()))?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err));
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data; zeroed is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own child, not yet reaped (std never waits on drop);
        // `status` and `usage` are valid for writes.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4 on {:?}: {e}", cmd.get_program()));
        }
    }
    let wall = start.elapsed();
    // the child is reaped; dropping the handle does not wait again
    drop(child);
    let code = if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    };
    Ok(Run {
        wall,
        peak_rss: usage.ru_maxrss.max(0) as u64 * 1024,
        code,
    })
}

/// Whether `program` can be found on `PATH` (or is a path to an existing file).
pub fn on_path(program: &str) -> bool {
    if program.contains('/') {
        return Path::new(program).is_file();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
}

/// The first argument that makes a benchmark program act as [`run_isolated`]'s launcher.
pub const LAUNCHER_FLAG: &str = "--measure-launcher";

/// When this program was started as a launcher (`LAUNCHER_FLAG STDOUT STDERR PROGRAM
/// ARGS...`): runs the child, prints `wall_ns peak_bytes code` and returns the exit status
/// to end with. `None` otherwise.
pub fn launcher_main() -> Option<i32> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().map(|a| a.as_os_str()) != Some(std::ffi::OsStr::new(LAUNCHER_FLAG)) {
        return None;
    }
    let [_, stdout, stderr, program, rest @ ..] = &args[..] else {
        eprintln!("usage: {LAUNCHER_FLAG} STDOUT STDERR PROGRAM [ARGS...]");
        return Some(2);
    };
    let mut cmd = Command::new(program);
    cmd.args(rest);
    match run(&mut cmd, Path::new(stdout), Path::new(stderr)) {
        Ok(r) => {
            println!(
                "{} {} {}",
                r.wall.as_nanos(),
                r.peak_rss,
                r.code.map_or(-1, |c| c)
            );
            Some(0)
        }
        Err(e) => {
            eprintln!("{e}");
            Some(1)
        }
    }
}

/// [`run`] through a launcher (see the module documentation), so that the peak is the
/// child's own. `cmd`'s program, arguments, environment and working directory are used.
pub fn run_isolated(cmd: &Command, stdout: &Path, stderr: &Path) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    let mut launcher = Command::new(exe);
    launcher
        .arg(LAUNCHER_FLAG)
        .arg(stdout)
        .arg(stderr)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null());
    if let Some(dir) = cmd.get_current_dir() {
        launcher.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => launcher.env(key, value),
            None => launcher.env_remove(key),
        };
    }
    let out = launcher
        .output()
        .map_err(|e| format!("cannot start the launcher: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<i128> = text
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [wall, peak, code] = fields[..] else {
        return Err(format!(
            "the launcher said {text:?} ({})",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    };
    Ok(Run {
        wall: Duration::from_nanos(u64::try_from(wall).unwrap_or(u64::MAX)),
        peak_rss: u64::try_from(peak).unwrap_or(0),
        code: (code >= 0).then_some(code as i32),
    })
}
