//! Inputs: turning the paths a user names into readable sources.
//!
//! Directories are walked (sorted, symlinks not followed, so loops cannot trap us; only
//! regular files inside are taken; [`expand_following_links`] follows them, with loop
//! detection); `-` is standard input. A FIFO named on the command line
//! is read as a stream without waiting for a writer (none means empty); devices named on the
//! command line are refused, since `/dev/zero`-like inputs never end. Anything that cannot
//! be listed or opened becomes an [`InputError`] that the caller reports while the rest of
//! the work goes on.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One readable input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input.
    Stdin,
    /// A file on disk, with its size when known.
    File {
        /// Path as given or found while walking.
        path: PathBuf,
        /// Size in bytes from the file's metadata (0 for FIFOs and devices).
        len: u64,
    },
}

impl Source {
    /// The name used in sightings: the path as given, or `-`.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".to_string(),
            Source::File { path, .. } => path.to_string_lossy().into_owned(),
        }
    }

    /// Size hint in bytes (0 when unknown).
    pub fn len_hint(&self) -> u64 {
        match self {
            Source::Stdin => 0,
            Source::File { len, .. } => *len,
        }
    }

    /// Opens the source for reading. A FIFO is opened without waiting for a writer.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Source::Stdin => Ok(Box::new(io::stdin())),
            Source::File { path, .. } => Ok(Box::new(open_file(path)?)),
        }
    }
}

/// An input that could not be used, with a message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The path or name concerned.
    pub source: String,
    /// What went wrong.
    pub message: String,
}

/// A reader that stops with a [`io::ErrorKind::TimedOut`] error once a time limit has
/// passed since it was made (checked before each read, so a read that blocks is not cut
/// short; files and FIFOs without a writer do not block). What was read before is kept by
/// the caller as after any read error.
pub struct TimeLimited<R> {
    inner: R,
    limit: std::time::Duration,
    deadline: std::time::Instant,
}

impl<R: Read> TimeLimited<R> {
    /// Wraps `inner`; the clock starts now.
    pub fn new(inner: R, limit: std::time::Duration) -> Self {
        let now = std::time::Instant::now();
        TimeLimited {
            inner,
            limit,
            deadline: now.checked_add(limit).unwrap_or(now),
        }
    }
}

impl<R: Read> Read for TimeLimited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if std::time::Instant::now() >= self.deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "time limit of {} s reached (--time-limit); the rest was not read",
                    self.limit.as_secs_f64()
                ),
            ));
        }
        self.inner.read(buf)
    }
}

/// Expands user-given paths into sources. Directories are walked recursively in sorted
/// order; only regular files inside directories are taken. Errors are collected, not fatal.
pub fn expand(paths: &[PathBuf]) -> (Vec<Source>, Vec<InputError>) {
    expand_with(paths, false)
}

/// Like [`expand`], but symbolic links found inside directories are followed too (to files
/// and to directories). A link that leads back to one of its own ancestor directories (a
/// loop) is reported as an error and not entered; a dangling link is reported too.
pub fn expand_following_links(paths: &[PathBuf]) -> (Vec<Source>, Vec<InputError>) {
    expand_with(paths, true)
}

fn expand_with(paths: &[PathBuf], follow_links: bool) -> (Vec<Source>, Vec<InputError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, follow_links, &mut sources, &mut errors),
            Ok(meta) if is_device(&meta) => errors.push(InputError {
                source: path.to_string_lossy().into_owned(),
                message: DEVICE_MESSAGE.to_string(),
            }),
            Ok(meta) => sources.push(Source::File {
                path: path.clone(),
                len: meta.len(),
            }),
            Err(e) => errors.push(InputError {
                source: path.to_string_lossy().into_owned(),
                message: describe(&e),
            }),
        }
    }
    (sources, errors)
}

fn walk(root: &Path, follow_links: bool, sources: &mut Vec<Source>, errors: &mut Vec<InputError>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(follow_links)
        .sort_by_file_name();
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
                sources.push(Source::File {
                    path: entry.into_path(),
                    len,
                });
            }
            Ok(_) => {}
            Err(e) => errors.push(InputError {
                source: e.path().unwrap_or(root).to_string_lossy().into_owned(),
                message: match e.loop_ancestor() {
                    Some(a) => format!(
                        "a symbolic link loop (it leads back to {}): not entered",
                        a.display()
                    ),
                    None => e.io_error().map(describe).unwrap_or_else(|| e.to_string()),
                },
            }),
        }
    }
}

/// The message for a device named as an input.
const DEVICE_MESSAGE: &str =
    "a device, not a file: not read (it may never end); pipe it in with `-` and a size limit if you mean to";

/// Reads a whole file the safe way for hostile paths: devices are refused (they may never
/// end), a FIFO without a writer reads as empty, and at most `limit` bytes are read (an
/// error of kind `FileTooLarge` says the file is bigger).
pub fn read_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    if is_device(&std::fs::metadata(path)?) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, DEVICE_MESSAGE));
    }
    let mut data = Vec::new();
    open_file(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut data)?;
    if data.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than the limit of {limit} bytes (--max-size)"),
        ));
    }
    Ok(data)
}

#[cfg(unix)]
fn is_device(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    t.is_char_device() || t.is_block_device() || t.is_socket()
}

#[cfg(not(unix))]
fn is_device(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Opens a file for reading. A FIFO is opened non-blocking (so a FIFO without a writer does
/// not hang us: it reads as empty), then switched back to blocking reads.
#[cfg(unix)]
fn open_file(path: &Path) -> io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    if !std::fs::metadata(path)?.file_type().is_fifo() {
        return File::open(path);
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)?;
    rustix::fs::fcntl_setfl(&file, OFlags::empty()).map_err(io::Error::from)?;
    Ok(file)
}

#[cfg(not(unix))]
fn open_file(path: &Path) -> io::Result<File> {
    File::open(path)
}

/// A short, human message for an I/O error.
pub fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::InvalidInput | io::ErrorKind::FileTooLarge => e.to_string(),
        _ if e.raw_os_error() == Some(40) && cfg!(target_os = "linux") => {
            "too many levels of symbolic links (a symlink loop)".to_string()
        }
        _ => e.to_string(),
    }
}
