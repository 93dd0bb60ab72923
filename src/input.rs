//! Inputs: turning the paths a user names into readable sources.
//!
//! Directories are walked (sorted, symlinks not followed, so loops cannot trap us);
//! `-` is standard input. Anything that cannot be listed or opened becomes an
//! [`InputError`] that the caller reports while the rest of the work goes on.

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

    /// Opens the source for reading.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Source::Stdin => Ok(Box::new(io::stdin())),
            Source::File { path, .. } => Ok(Box::new(File::open(path)?)),
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

/// Expands user-given paths into sources. Directories are walked recursively in sorted
/// order; only regular files inside directories are taken. Errors are collected, not fatal.
pub fn expand(paths: &[PathBuf]) -> (Vec<Source>, Vec<InputError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            sources.push(Source::Stdin);
            continue;
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut sources, &mut errors),
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

fn walk(root: &Path, sources: &mut Vec<Source>, errors: &mut Vec<InputError>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
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
                message: e.io_error().map(describe).unwrap_or_else(|| e.to_string()),
            }),
        }
    }
}

/// A short, human message for an I/O error.
pub fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}
