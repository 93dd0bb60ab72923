//! Writing results: atomically to a file (temporary file, then rename, or an exchange with
//! a file already there) or to stdout, and whole output folders (a temporary sibling folder
//! that replaces the old one in one rename).
//!
//! A run that fails half-way never leaves a truncated output file behind. An output path
//! must be a regular file or a new path: a device, a FIFO, a socket or a folder is refused
//! (replacing `/dev/null` by a file would break the system). A new file gets mode 0644; the
//! permission bits of whatever was at the path before (or behind a planted symbolic link)
//! are never copied. Temporary files and folders are named `.NAME.spoor-tmp-PID...` next to
//! the output, removed on every exit path that runs code (an interrupt included, see
//! [`crate::cleanup`]), and a later run removes those whose process is gone (after a SIGKILL
//! or a power cut).

use crate::cleanup::{self, remove_stale, TMP_MARK};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Refuses output paths that are not a regular file or a new path.
pub fn check_target(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is {}, not a regular file; give a file path (or no -o for standard output)",
                path.display(),
                describe_type(&m)
            ),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        // (a file where a folder of the path should be, a folder that cannot be searched)
        Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
}

/// What [`write_to`] would refuse or fail on before it writes anything, asked before the
/// work that makes the output (a long extraction must not end in "cannot write output"):
/// a path that is no regular file ([`check_target`]), or a folder that does not exist.
/// `None` and `-` are standard output, always writable. What only creating the file can
/// tell (permissions, a full disk) is still reported by [`write_to`].
pub fn check_writable(path: Option<&Path>) -> io::Result<()> {
    let Some(p) = path.filter(|p| p.as_os_str() != "-") else {
        return Ok(());
    };
    check_target(p)?;
    let dir = parent_of(p);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{}: {} is not a folder", p.display(), dir.display()),
        )),
        Err(e) => Err(in_folder(p, dir, e)),
    }
}

fn describe_type(m: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = m.file_type();
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if m.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// An error creating a file next to `path` in `dir`, named by the path the user gave
/// (never by the temporary file's name).
fn in_folder(path: &Path, dir: &Path, e: io::Error) -> io::Error {
    let why = match e.kind() {
        io::ErrorKind::NotFound => format!("its folder {} does not exist", dir.display()),
        io::ErrorKind::PermissionDenied => {
            format!("no permission to create a file in {}", dir.display())
        }
        kind => format!("cannot create a file in {} ({kind})", dir.display()),
    };
    io::Error::new(e.kind(), format!("{}: {why}", path.display()))
}

fn tmp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}{TMP_MARK}")
}

/// Write buffer of an output file: large writes, few system calls (outputs run to
/// hundreds of megabytes).
const FILE_BUFFER: usize = 256 * 1024;
/// Write buffer of standard output: smaller, so that a reader down a pipe gets lines soon.
const STDOUT_BUFFER: usize = 64 * 1024;

/// Writes what `fill` produces to `path` atomically, or to stdout when `path` is `None`
/// or `-`.
pub fn write_to(
    path: Option<&Path>,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            check_target(p)?;
            let dir = parent_of(p);
            remove_stale(dir, &tmp_prefix(p));
            let mut tmp = tempfile::Builder::new()
                .prefix(&format!("{}{}-", tmp_prefix(p), std::process::id()))
                .tempfile_in(dir)
                .map_err(|e| in_folder(p, dir, e))?;
            let _registered = cleanup::register(tmp.path());
            {
                let mut w = BufWriter::with_capacity(FILE_BUFFER, tmp.as_file_mut());
                fill(&mut w)?;
                w.flush()?;
            }
            default_permissions(tmp.as_file())?;
            // A regular file at the path is exchanged with the new one in one step, and the
            // old one, now under the temporary name, is removed: ext4 writes a file renamed
            // *over* another to disk at once (its `auto_da_alloc` heuristic), and the run
            // waited for that, a fifth of the wall time of a 100 MB output. Readers see the
            // old file or the new one, never none.
            #[cfg(target_os = "linux")]
            if std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()) {
                use rustix::fs::{renameat_with, RenameFlags, CWD};
                if renameat_with(CWD, tmp.path(), CWD, p, RenameFlags::EXCHANGE).is_ok() {
                    return tmp.close();
                }
            }
            tmp.persist(p).map_err(|e| e.error)?;
            Ok(())
        }
        _ => {
            let stdout = io::stdout();
            let mut w = BufWriter::with_capacity(STDOUT_BUFFER, stdout.lock());
            fill(&mut w)?;
            w.flush()
        }
    }
}

/// Temporary files are created private (0600); the result gets 0644, like a new file
/// written directly, whatever was at the path before.
#[cfg(unix)]
fn default_permissions(file: &std::fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions(_file: &std::fs::File) -> io::Result<()> {
    Ok(())
}

/// An output folder being written: files go into a temporary sibling folder, and
/// [`OutputDir::commit`] puts it in the place of the output folder in one rename. Dropped
/// without a commit (an error, a panic that unwinds), the temporary folder is removed.
#[derive(Debug)]
pub struct OutputDir {
    target: PathBuf,
    tmp: Option<PathBuf>,
    _registered: cleanup::Registered,
}

impl OutputDir {
    /// Prepares to write `target`. `ours` names the files spoor writes there: an existing
    /// folder holding anything else is refused, so that no one else's files are replaced.
    pub fn create(target: &Path, ours: &[&str]) -> io::Result<OutputDir> {
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} does not name a folder", target.display()),
            )
        })?;
        if name == "." || name == ".." {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} does not name a new folder", target.display()),
            ));
        }
        match std::fs::symlink_metadata(target) {
            Ok(m) if m.is_dir() => {
                for entry in std::fs::read_dir(target)? {
                    let entry = entry?;
                    let entry_name = entry.file_name();
                    if !ours.iter().any(|o| entry_name == *o) {
                        return Err(io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            format!(
                                "{} holds {}, which spoor did not write there; give a new or \
                                 empty folder, or one written by spoor analyze",
                                target.display(),
                                entry_name.to_string_lossy()
                            ),
                        ));
                    }
                }
            }
            Ok(m) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} is {}, not a folder",
                        target.display(),
                        describe_type(&m)
                    ),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let parent = parent_of(target);
        std::fs::create_dir_all(parent)?;
        let prefix = tmp_prefix(target);
        remove_stale(parent, &prefix);
        let tmp = tempfile::Builder::new()
            .prefix(&format!("{prefix}{}-", std::process::id()))
            .tempdir_in(parent)?
            .keep();
        // Created private (0700); the folder gets 0755, like one made with `mkdir`.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Err(e) = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)) {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        }
        Ok(OutputDir {
            target: target.to_path_buf(),
            _registered: cleanup::register(&tmp),
            tmp: Some(tmp),
        })
    }

    /// Where the files go until [`OutputDir::commit`].
    pub fn path(&self) -> &Path {
        self.tmp.as_deref().unwrap_or(&self.target)
    }

    /// Puts the written folder in the place of the output folder: one rename (an exchange
    /// with the old folder on Linux, whose files are then removed).
    pub fn commit(mut self) -> io::Result<()> {
        let Some(tmp) = self.tmp.take() else {
            return Ok(());
        };
        let result = replace_dir(&tmp, &self.target);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_dir_all(tmp);
        }
    }
}

fn replace_dir(new: &Path, target: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return std::fs::rename(new, target),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if renameat_with(CWD, new, CWD, target, RenameFlags::EXCHANGE).is_ok() {
            // `new` now holds the old folder.
            return std::fs::remove_dir_all(new);
        }
    }
    // Elsewhere: the old folder moves aside (next to it, marked as temporary), then the new
    // one takes its place.
    let aside = parent_of(target).join(format!("{}{}-old", tmp_prefix(target), std::process::id()));
    std::fs::rename(target, &aside)?;
    if let Err(e) = std::fs::rename(new, target) {
        let _ = std::fs::rename(&aside, target);
        return Err(e);
    }
    std::fs::remove_dir_all(&aside)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only the output and nothing else is left in the folder.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_file_is_written_replaced_and_kept_when_the_run_fails() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let out = dir.path().join("iocs.ndjson");
        write_to(Some(&out), |w| w.write_all(b"first\n")).expect("written");
        assert_eq!(std::fs::read(&out).expect("read"), b"first\n");
        // replaced (by exchange where the system has it): the new bytes, no leftovers
        write_to(Some(&out), |w| w.write_all(b"second\n")).expect("replaced");
        assert_eq!(std::fs::read(&out).expect("read"), b"second\n");
        assert_eq!(names(dir.path()), ["iocs.ndjson"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        // a run that fails half-way leaves the previous output as it was
        let failed = write_to(Some(&out), |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("stopped"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&out).expect("read"), b"second\n");
        assert_eq!(names(dir.path()), ["iocs.ndjson"]);
    }
}
