//! Context snippets cut from the source when output is written.
//!
//! A sighting in a large plain file keeps only where its snippet lies (how far it starts
//! before the indicator, and its length), not the snippet's text: the set then holds a few
//! bytes per sighting instead of a hundred, and spills far less. [`SourceFile`] is the
//! file read again at output time: memory-mapped up to [`MAP_MAX`] bytes (the mapped pages
//! count in the resident set, so a larger file is read with a positioned read per
//! snippet instead). The bytes are the ones the scan saw, so the snippet is the same,
//! byte for byte, as one cut during the scan. A file that changes while it is read (cut
//! short, or rewritten) gives wrong or empty snippets, never a crash: mapped bytes past
//! the length at opening are never touched, and a short read gives an empty snippet.

use std::fs::File;
use std::path::Path;
use std::sync::OnceLock;

/// Files up to this size are memory-mapped for cutting; larger ones are read per snippet.
pub const MAP_MAX: u64 = 64 << 20;

/// A source file kept open so that snippets can be cut from it at output time.
#[derive(Debug)]
pub struct SourceFile {
    file: File,
    len: u64,
    map: OnceLock<Option<memmap2::Mmap>>,
}

impl SourceFile {
    /// Opens `path` again (a regular file only: a pipe or device cannot be read twice).
    pub fn open(path: &Path) -> Option<SourceFile> {
        let file = File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() {
            return None;
        }
        Some(SourceFile {
            file,
            len: meta.len(),
            map: OnceLock::new(),
        })
    }

    /// Asks the processor to fetch bytes `start..start + len` of a mapped file ahead of
    /// [`SourceFile::cut_into`] (nothing for a file read per snippet).
    pub fn prefetch(&self, start: u64, len: u32) {
        if self.len > MAP_MAX {
            return;
        }
        if let Some(bytes) = self
            .map()
            .and_then(|m| m.get(start as usize..(start as usize).saturating_add(len as usize)))
        {
            crate::primitives::prefetch(bytes.as_ptr(), bytes.len());
        }
    }

    /// The file mapped (once), if mapping works.
    fn map(&self) -> Option<&memmap2::Mmap> {
        self.map
            .get_or_init(|| {
                // SAFETY: the map is read only, within the length the file had when opened;
                // as with any mapped file, one cut short by another process meanwhile would
                // fault, which is why only files spoor has just read whole are mapped.
                unsafe {
                    memmap2::MmapOptions::new()
                        .len(self.len as usize)
                        .map(&self.file)
                }
                .ok()
            })
            .as_ref()
    }

    /// Appends the printable snippet of bytes `start..start + len` to `out` (nothing if
    /// the file no longer holds them).
    pub fn cut_into(&self, start: u64, len: u32, out: &mut String) {
        let Some(end) = start.checked_add(u64::from(len)).filter(|&e| e <= self.len) else {
            return;
        };
        if self.len <= MAP_MAX {
            if let Some(bytes) = self.map().and_then(|m| m.get(start as usize..end as usize)) {
                super::text::printable_into(bytes, out);
                return;
            }
        }
        let mut buf = [0u8; 512];
        let mut owned;
        let bytes: &mut [u8] = if (len as usize) <= buf.len() {
            &mut buf[..len as usize]
        } else {
            owned = vec![0u8; len as usize];
            &mut owned
        };
        if read_exact_at(&self.file, bytes, start).is_ok() {
            super::text::printable_into(bytes, out);
        }
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn cuts_what_the_scan_would() {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        let data = b"first line\nGET http://c2.example.net/gate.php\tfrom 192.0.2.7\n";
        f.write_all(data).expect("write");
        let src = SourceFile::open(f.path()).expect("opened");
        let (start, end) = (15, 41);
        let (s, e) = super::super::text::snippet_bounds(data, start, end);
        let mut out = String::new();
        src.cut_into(s as u64, (e - s) as u32, &mut out);
        assert_eq!(out, super::super::text::snippet(data, start, end));
        assert_eq!(out, "GET http://c2.example.net/gate.php from 192.0.2.7");
        // past the end: nothing, no panic
        let mut none = String::new();
        src.cut_into(data.len() as u64 - 2, 10, &mut none);
        assert_eq!(none, "");
    }
}
