//! Temporary files and folders, and their removal on every exit path that can run code.
//!
//! Whatever spoor writes before it is complete (an output file before its rename, an output
//! folder before it replaces the old one, the sorted runs an indicator set spills past its
//! memory limit) lives under a name holding [`TMP_MARK`] and the process id, and is
//! registered here while it exists. Dropping the [`Registered`] guard (success, an error, a
//! panic that unwinds) forgets the path; the owner removes or renames it. An interrupt or a
//! termination request (SIGINT, SIGTERM, SIGHUP; Ctrl-C and console close on Windows) runs
//! [`on_signal`]: every registered path is removed and the process exits with 130. What
//! no code can clean (SIGKILL, a power cut) is removed by a later run: [`remove_stale`]
//! deletes the entries whose process is gone.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What marks spoor's temporary files and folders (`.NAME.spoor-tmp-PID-...`).
pub const TMP_MARK: &str = ".spoor-tmp-";

/// Exit code after an interrupt (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

static PATHS: Mutex<Vec<(u64, PathBuf)>> = Mutex::new(Vec::new());
static NEXT: Mutex<u64> = Mutex::new(0);

/// A path removed on an interrupt while this guard lives.
#[derive(Debug)]
pub struct Registered(u64);

/// Registers `path` (a file or a folder) for removal on an interrupt.
pub fn register(path: &Path) -> Registered {
    let id = {
        let mut next = NEXT.lock().unwrap_or_else(|e| e.into_inner());
        *next += 1;
        *next
    };
    PATHS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((id, path.to_path_buf()));
    Registered(id)
}

impl Drop for Registered {
    fn drop(&mut self) {
        PATHS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(id, _)| *id != self.0);
    }
}

/// Removes every registered path; returns how many were there.
pub fn remove_registered() -> usize {
    let paths: Vec<PathBuf> = std::mem::take(&mut *PATHS.lock().unwrap_or_else(|e| e.into_inner()))
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    remove_all(&paths);
    paths.len()
}

/// Removes files and folders (a symbolic link is removed, not followed).
fn remove_all(paths: &[PathBuf]) {
    for p in paths {
        let _ = match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
            Ok(_) => std::fs::remove_file(p),
            Err(_) => Ok(()),
        };
    }
}

/// Whether `path` is registered now.
#[cfg(test)]
fn is_registered(path: &Path) -> bool {
    PATHS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|(_, p)| p == path)
}

/// What the signal handler does: removes the registered paths, says so, and exits.
pub fn on_signal() -> ! {
    let removed = remove_registered();
    let note = if removed > 0 {
        format!("spoor: interrupted; {removed} temporary file(s) or folder(s) removed\n")
    } else {
        "spoor: interrupted\n".to_string()
    };
    // Best effort: stderr may be gone.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
    std::process::exit(EXIT_INTERRUPTED)
}

/// Installs [`on_signal`] for interrupts and termination requests. A second call, or a
/// platform where it cannot be installed, changes nothing (the later-run cleanup still
/// applies).
pub fn install_signal_handler() {
    let _ = ctrlc::set_handler(|| on_signal());
}

/// Whether the process that made a temporary entry named `...-PID-...` may still run.
fn owner_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_dir = Path::new("/proc");
    if proc_dir.join("self").exists() {
        proc_dir.join(pid.to_string()).exists()
    } else {
        // Without /proc, nothing tells: keep it.
        true
    }
}

/// Removes spoor's temporary files and folders starting with `prefix` in `dir` whose
/// process is gone. Problems are ignored: this is housekeeping.
pub fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        let pid = rest.split(['-', '.']).next().and_then(|p| p.parse().ok());
        if pid.is_some_and(|pid| !owner_alive(pid)) {
            let path = entry.path();
            let _ = match entry.file_type() {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_register_and_forget_and_removal_takes_files_and_folders() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a");
        let sub = dir.path().join("b");
        std::fs::write(&file, b"x").expect("write");
        std::fs::create_dir(&sub).expect("mkdir");
        std::fs::write(sub.join("c"), b"y").expect("write");
        // (remove_registered would also remove what other tests of this process registered)
        let a = register(&file);
        assert!(is_registered(&file));
        drop(a);
        assert!(!is_registered(&file), "a dropped guard forgets its path");
        remove_all(&[file.clone(), sub.clone()]);
        assert!(!file.exists() && !sub.exists());
    }

    #[test]
    fn stale_entries_of_gone_processes_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        // no process has that id; ours is alive
        let gone = dir.path().join(format!("{TMP_MARK}999999999-x"));
        let ours = dir
            .path()
            .join(format!("{TMP_MARK}{}-x", std::process::id()));
        std::fs::create_dir(&gone).expect("mkdir");
        std::fs::write(&ours, b"").expect("write");
        remove_stale(dir.path(), TMP_MARK);
        if Path::new("/proc/self").exists() {
            assert!(!gone.exists());
        }
        assert!(ours.exists());
    }
}
