//! Inputs: turning the paths a user names into readable sources.
//!
//! Directories are walked (sorted, symlinks not followed, so loops cannot trap us; only
//! regular files inside are taken; [`expand_following_links`] follows them, with loop
//! detection); `-` is standard input. Compressed inputs (gzip, zstd,
//! bzip2, recognised from their first bytes) are read decompressed ([`open_decoded`]),
//! never past a size limit; zip archives of logs are listed and each member becomes a
//! source of its own ([`expand_logs`]); an executable member is reported, never read or
//! written out. A FIFO named on the command line
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
    /// A member of a zip archive (stored or deflated), read from the archive in place.
    ArchiveMember {
        /// The archive.
        archive: PathBuf,
        /// The member's index in the archive's directory.
        index: usize,
        /// The member's name in the archive.
        member: String,
        /// Its size once decompressed, as the archive declares it.
        len: u64,
    },
}

impl Source {
    /// The name used in sightings: the path as given, or `-`.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".to_string(),
            Source::File { path, .. } => path.to_string_lossy().into_owned(),
            Source::ArchiveMember {
                archive, member, ..
            } => format!("{}!{member}", archive.to_string_lossy()),
        }
    }

    /// Size hint in bytes (0 when unknown).
    pub fn len_hint(&self) -> u64 {
        match self {
            Source::Stdin => 0,
            Source::File { len, .. } | Source::ArchiveMember { len, .. } => *len,
        }
    }

    /// Opens the source for reading its bytes as they are stored (an archive member is
    /// inflated, with no size limit: see [`open_decoded`]). A FIFO is opened without
    /// waiting for a writer.
    pub fn open(&self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Source::Stdin => Ok(Box::new(io::stdin())),
            Source::File { path, .. } => Ok(Box::new(open_file(path)?)),
            Source::ArchiveMember { archive, index, .. } => open_member(archive, *index),
        }
    }
}

/// Decompressed bytes read at most from one compressed input or archive member when the
/// caller sets no limit of its own (a decompression bomb stops here, with an error).
pub const DEFAULT_DECODED_LIMIT: u64 = 4 << 30;

/// Members of one zip archive listed at most.
const MAX_MEMBERS: usize = 100_000;

/// A compression format spoor reads through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), members concatenated or not.
    Gzip,
    /// Zstandard frames.
    Zstd,
    /// bzip2 streams.
    Bzip2,
}

impl Compression {
    /// Its name in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Bzip2 => "bzip2",
        }
    }

    /// Recognises a compressed stream from its first bytes.
    pub fn detect(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&[0x1f, 0x8b, 0x08]) {
            Some(Compression::Gzip)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Compression::Zstd)
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Some(Compression::Bzip2)
        } else {
            None
        }
    }
}

/// Whether bytes begin a zip archive (a local file header, or the end record of an empty
/// archive).
pub fn is_zip(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06")
}

/// A source opened for its content.
pub struct Decoded {
    /// The content: decompressed when the source is compressed.
    pub reader: Box<dyn Read + Send>,
    /// The compression read through, if any.
    pub compression: Option<Compression>,
}

/// Opens a source for its content: gzip, zstd and bzip2 data (recognised from its first
/// bytes, never from a name) are decompressed, at most `limit` bytes of it (0: the
/// [`DEFAULT_DECODED_LIMIT`]); past the limit, and on damaged compressed data, reading
/// stops with an error that says so (what was read before is kept by the caller). A zip
/// archive on standard input is refused with a message: archives are listed from files.
pub fn open_decoded(source: &Source, limit: u64) -> io::Result<Decoded> {
    let mut raw = source.open()?;
    let mut head = [0u8; 8];
    let mut got = 0;
    while got < head.len() {
        match raw.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let head = head[..got].to_vec();
    if matches!(source, Source::Stdin) && is_zip(&head) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a zip archive on standard input: not read (name the file, and its members are listed and read)",
        ));
    }
    let compression = Compression::detect(&head);
    let whole = io::Cursor::new(head).chain(raw);
    let reader: Box<dyn Read + Send> = match compression {
        None => Box::new(whole),
        Some(c) => {
            let decoder: Box<dyn Read + Send> = match c {
                Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(whole)),
                Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(whole)),
                Compression::Zstd => Box::new(ZstdFrames::new(whole)),
            };
            let limit = if limit == 0 {
                DEFAULT_DECODED_LIMIT
            } else {
                limit
            };
            Box::new(Bounded {
                inner: decoder,
                limit,
                total: 0,
                what: c.as_str(),
            })
        }
    };
    Ok(Decoded {
        reader,
        compression,
    })
}

/// Decompressed data, cut at a limit: past it, and on damaged data, reads fail with an
/// error naming the compression; data that decompresses to nothing is an error too, so
/// that no compressed input is ever read as silently empty.
struct Bounded<R> {
    inner: R,
    limit: u64,
    total: u64,
    what: &'static str,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.total >= self.limit {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "{} data decompresses to more than {} bytes (the size limit; a decompression bomb?): the rest was not read",
                    self.what, self.limit
                ),
            ));
        }
        let room = usize::try_from(self.limit - self.total).unwrap_or(usize::MAX);
        let want = buf.len().min(room);
        let n = match self.inner.read(&mut buf[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("damaged {} data after {} bytes: {e}", self.what, self.total),
                ))
            }
        };
        if n == 0 && self.total == 0 && want > 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the {} data decompresses to nothing", self.what),
            ));
        }
        self.total += n as u64;
        Ok(n)
    }
}

/// Zstandard data of one or more frames (as `zstd` and `pzstd` write them), skippable
/// frames skipped.
struct ZstdFrames<R: Read> {
    source: io::BufReader<R>,
    decoder: ruzstd::decoding::FrameDecoder,
    in_frame: bool,
}

impl<R: Read> ZstdFrames<R> {
    fn new(inner: R) -> Self {
        ZstdFrames {
            source: io::BufReader::new(inner),
            decoder: ruzstd::decoding::FrameDecoder::new(),
            in_frame: false,
        }
    }
}

impl<R: Read> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
        use ruzstd::decoding::BlockDecodingStrategy;
        let bad = |e: FrameDecoderError| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.in_frame {
                if self.decoder.can_collect() > 0 {
                    return self.decoder.read(buf);
                }
                if self.decoder.is_finished() {
                    self.in_frame = false;
                    continue;
                }
                self.decoder
                    .decode_blocks(&mut self.source, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(bad)?;
                continue;
            }
            if io::BufRead::fill_buf(&mut self.source)?.is_empty() {
                return Ok(0);
            }
            match self.decoder.reset(&mut self.source) {
                Ok(()) => self.in_frame = true,
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let skipped = io::copy(
                        &mut (&mut self.source).take(u64::from(length)),
                        &mut io::sink(),
                    )?;
                    if skipped < u64::from(length) {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "a skippable zstd frame is cut short",
                        ));
                    }
                }
                Err(e) => return Err(bad(e)),
            }
        }
    }
}

/// Opens member `index` of a zip archive as a stream: stored members as they are,
/// deflated ones inflated; other methods and encrypted members are refused.
fn open_member(archive: &Path, index: usize) -> io::Result<Box<dyn Read + Send>> {
    use std::io::{Seek, SeekFrom};
    let mut zip = zip::ZipArchive::new(open_file(archive)?).map_err(zip_error)?;
    let (start, compressed, method, encrypted) = {
        let entry = zip.by_index_raw(index).map_err(zip_error)?;
        (
            entry.data_start(),
            entry.compressed_size(),
            entry.compression(),
            entry.encrypted(),
        )
    };
    if encrypted {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an encrypted archive member: not read",
        ));
    }
    let start = start.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "the member's data cannot be found",
        )
    })?;
    let mut file = zip.into_inner();
    file.seek(SeekFrom::Start(start))?;
    let data = file.take(compressed);
    match method {
        zip::CompressionMethod::Stored => Ok(Box::new(data)),
        zip::CompressionMethod::Deflated => Ok(Box::new(flate2::read::DeflateDecoder::new(data))),
        other => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!("archive member compressed with {other}: not read (stored and deflated members are)"),
        )),
    }
}

fn zip_error(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, format!("zip archive: {other}")),
    }
}

/// File names of executables, by extension (members named so are never read).
const EXECUTABLE_EXTENSIONS: [&str; 14] = [
    "exe", "dll", "sys", "scr", "com", "cpl", "ocx", "drv", "efi", "msi", "so", "dylib", "elf",
    "bin",
];

/// Whether bytes begin an executable (PE, ELF, Mach-O).
fn is_executable(head: &[u8]) -> bool {
    head.starts_with(b"MZ")
        || head.starts_with(b"\x7fELF")
        || matches!(
            head.get(..4),
            Some(
                [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                    | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                    | [0xca, 0xfe, 0xba, 0xbe]
            )
        )
}

/// [`expand`] for logs: a zip archive (recognised from its first bytes) is listed, and
/// each member becomes a source; executable members (by name or content) are reported as
/// errors and never read; encrypted members, and members compressed other than stored
/// or deflated, are reported too. An archive without members is reported, not skipped.
pub fn expand_logs(paths: &[PathBuf]) -> (Vec<Source>, Vec<InputError>) {
    let (sources, mut errors) = expand(paths);
    let mut out = Vec::with_capacity(sources.len());
    for source in sources {
        match &source {
            Source::File { path, .. } if starts_as_zip(path) => {
                list_archive(path, &mut out, &mut errors)
            }
            _ => out.push(source),
        }
    }
    (out, errors)
}

fn starts_as_zip(path: &Path) -> bool {
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false; // a FIFO's bytes would be consumed
    }
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && is_zip(&head)
}

fn list_archive(path: &Path, out: &mut Vec<Source>, errors: &mut Vec<InputError>) {
    let name = path.to_string_lossy().into_owned();
    let mut zip = match File::open(path)
        .map_err(|e| describe(&e))
        .and_then(|f| zip::ZipArchive::new(f).map_err(|e| zip_error(e).to_string()))
    {
        Ok(z) => z,
        Err(message) => {
            errors.push(InputError {
                code: crate::error::WarningCode::InputUnreadable,
                source: name,
                message: format!("not a readable zip archive: {message}"),
            });
            return;
        }
    };
    let mut files = 0usize;
    for index in 0..zip.len() {
        if files >= MAX_MEMBERS {
            errors.push(InputError {
                code: crate::error::WarningCode::SizeLimit,
                source: name.clone(),
                message: format!(
                    "more than {MAX_MEMBERS} members: the rest ({}) were not listed",
                    zip.len() - index
                ),
            });
            break;
        }
        let (member, len, is_dir, encrypted, method) = match zip.by_index_raw(index) {
            Ok(e) => (
                e.name()
                    .map(|n| n.into_owned())
                    .unwrap_or_else(|_| String::from_utf8_lossy(e.name_raw()).into_owned()),
                e.size(),
                e.is_dir(),
                e.encrypted(),
                e.compression(),
            ),
            Err(e) => {
                errors.push(InputError {
                    code: crate::error::WarningCode::ParseError,
                    source: format!("{name}!#{index}"),
                    message: zip_error(e).to_string(),
                });
                continue;
            }
        };
        if is_dir {
            continue;
        }
        files += 1;
        let source = format!("{name}!{member}");
        let refuse = |message: String| InputError {
            code: crate::error::WarningCode::InputSkipped,
            source: source.clone(),
            message,
        };
        if encrypted {
            errors.push(refuse("an encrypted archive member: not read".to_string()));
            continue;
        }
        if !matches!(
            method,
            zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
        ) {
            errors.push(refuse(format!(
                "compressed with {method}: not read (stored and deflated members are)"
            )));
            continue;
        }
        let extension = member.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        let named_executable =
            extension.is_some_and(|e| EXECUTABLE_EXTENSIONS.contains(&e.as_str()));
        let mut head = Vec::new();
        if !named_executable {
            if let Ok(r) = open_member(path, index) {
                let _ = r.take(4).read_to_end(&mut head);
            }
        }
        if named_executable || is_executable(&head) {
            errors.push(refuse(format!(
                "an executable archive member ({len} bytes): listed, not read or extracted"
            )));
            continue;
        }
        out.push(Source::ArchiveMember {
            archive: path.to_path_buf(),
            index,
            member,
            len,
        });
    }
    if files == 0 {
        errors.push(InputError {
            code: crate::error::WarningCode::InputSkipped,
            source: name,
            message: "a zip archive without files".to_string(),
        });
    }
}

/// An input that could not be used, with a message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// What kind of problem (see `docs/warnings.md`).
    pub code: crate::error::WarningCode,
    /// The path or name concerned.
    pub source: String,
    /// What went wrong.
    pub message: String,
}

impl InputError {
    /// The error as a warning, `source: message`.
    pub fn warning(&self) -> crate::error::Warning {
        crate::error::Warning::new(self.code, format!("{}: {}", self.source, self.message))
    }
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
                code: crate::error::WarningCode::InputSkipped,
                source: path.to_string_lossy().into_owned(),
                message: DEVICE_MESSAGE.to_string(),
            }),
            Ok(meta) => sources.push(Source::File {
                path: path.clone(),
                len: meta.len(),
            }),
            Err(e) => errors.push(InputError {
                code: crate::error::WarningCode::of_io(&e),
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
                code: if e.loop_ancestor().is_some() {
                    crate::error::WarningCode::InputSkipped
                } else {
                    crate::error::WarningCode::InputUnreadable
                },
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
