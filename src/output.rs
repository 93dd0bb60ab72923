//! Writing results: atomically to a file (temporary file, then rename) or to stdout.
//!
//! A run that fails half-way never leaves a truncated output file behind.

use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Writes what `fill` produces to `path` atomically, or to stdout when `path` is `None`
/// or `-`.
pub fn write_to(
    path: Option<&Path>,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            let dir = match p.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            {
                let mut w = BufWriter::new(tmp.as_file_mut());
                fill(&mut w)?;
                w.flush()?;
            }
            keep_or_default_permissions(tmp.as_file(), p)?;
            tmp.persist(p).map_err(|e| e.error)?;
            Ok(())
        }
        _ => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            fill(&mut w)?;
            w.flush()
        }
    }
}

/// Temporary files are created private (0600); the result gets the permissions of the file
/// it replaces, or 0644 for a new file, like a file written directly.
#[cfg(unix)]
fn keep_or_default_permissions(file: &std::fs::File, target: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(target)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644);
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn keep_or_default_permissions(_file: &std::fs::File, _target: &Path) -> io::Result<()> {
    Ok(())
}
