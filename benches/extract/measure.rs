//! Running a child process and measuring its wall time and peak resident memory.
//!
//! The child is started with `std::process::Command` and reaped with `libc::wait4`, whose
//! `rusage.ru_maxrss` is the child's own peak RSS (Linux reports KiB; the figures agree
//! with `/usr/bin/time -v`). Standard output and error go to files so that nothing can
//! block on a full pipe.

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
