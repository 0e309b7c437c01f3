//! The one way `report` and `convert` write the file they make, so that no run loses data.
//!
//! - A regular file (or a name nothing holds yet) is written whole into a new file beside
//!   it, synced, then renamed over it: a failed write (a full disk, a value the format
//!   cannot hold) leaves the previous file exactly as it was, and no reader ever sees half
//!   a file. The new file keeps the old one's permissions.
//! - A symbolic link is written through: its target is replaced the same way, and the link
//!   stays a link. A link to nothing is refused rather than guessed at.
//! - A device or a FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written to in place,
//!   as a shell redirection would: it is never replaced by a regular file.
//! - A directory is refused, and so is an output that is one of the inputs (the same file
//!   by device and inode, however it is named: `hist.html` for `lockstep report
//!   --format edn hist.html`, a link to it, a hard link), since writing it would destroy
//!   the history being read.

use std::fs::{self, File, Metadata, OpenOptions, Permissions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An output file, looked at before anything is written to it.
pub struct Output {
    /// The path as the user gave it, for messages.
    shown: PathBuf,
    target: Target,
}

/// What writing the output means, by what is there now.
enum Target {
    /// A regular file, or nothing yet, at `path` (a link's resolved target): written beside
    /// it and renamed over it, with `permissions` carried over from the file it replaces.
    File {
        path: PathBuf,
        permissions: Option<Permissions>,
    },
    /// A device, FIFO or socket: opened for writing and written in place.
    Stream,
}

/// Looks at `out` and says how it will be written, or why it must not be.
///
/// `inputs` are the files the command reads: an output that is one of them is refused.
///
/// # Errors
/// One line naming `out`: it is a directory, a link to nothing, one of `inputs`, or cannot
/// be looked at (a parent that is not a directory, say).
pub fn prepare(out: &Path, inputs: &[&Path]) -> Result<Output, String> {
    let shown = out.display();
    let here = match fs::symlink_metadata(out) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Output {
                shown: out.to_path_buf(),
                target: Target::File {
                    path: out.to_path_buf(),
                    permissions: None,
                },
            });
        }
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    let link = here.file_type().is_symlink();
    let meta = if link {
        match fs::metadata(out) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(format!(
                    "{shown}: a symbolic link to a file that does not exist; \
                     not writing through it (remove the link or name another output)"
                ));
            }
            Err(e) => return Err(format!("{shown}: {e}")),
        }
    } else {
        here
    };
    if meta.is_dir() {
        return Err(format!("{shown}: is a directory"));
    }
    for input in inputs {
        if fs::metadata(input).is_ok_and(|m| same_file(out, &meta, input, &m)) {
            return Err(format!(
                "{shown}: is the input {}; not writing over the history being read \
                 (name another output with -o)",
                input.display()
            ));
        }
    }
    let target = if meta.is_file() {
        let path = if link {
            fs::canonicalize(out).map_err(|e| format!("{shown}: {e}"))?
        } else {
            out.to_path_buf()
        };
        Target::File {
            path,
            permissions: Some(meta.permissions()),
        }
    } else {
        Target::Stream
    };
    Ok(Output {
        shown: out.to_path_buf(),
        target,
    })
}

impl Output {
    /// Writes what `body` writes, all or nothing for a regular file (see the module docs).
    ///
    /// # Errors
    /// One line naming the output: what `body` or the operating system said.
    pub fn write(
        &self,
        body: impl FnOnce(&mut dyn Write) -> Result<(), String>,
    ) -> Result<(), String> {
        let written = match &self.target {
            Target::File { path, permissions } => replace(path, permissions.as_ref(), body),
            Target::Stream => write_in_place(&self.shown, body),
        };
        written.map_err(|e| format!("{}: {e}", self.shown.display()))
    }
}

/// Writes a new file beside `path` and renames it over `path` once complete and synced;
/// on any failure the new file is removed and `path` is untouched.
fn replace(
    path: &Path,
    permissions: Option<&Permissions>,
    body: impl FnOnce(&mut dyn Write) -> Result<(), String>,
) -> Result<(), String> {
    let (temp, file) = create_beside(path).map_err(|e| e.to_string())?;
    let written = (|| {
        if let Some(p) = permissions {
            file.set_permissions(p.clone()).map_err(|e| e.to_string())?;
        }
        let mut writer = BufWriter::new(file);
        body(&mut writer)?;
        let file = writer
            .into_inner()
            .map_err(|e| e.into_error().to_string())?;
        file.sync_all().map_err(|e| e.to_string())?;
        drop(file);
        fs::rename(&temp, path).map_err(|e| e.to_string())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
        return written;
    }
    // The rename is durable once the folder is synced; the file is whole either way.
    if let Ok(folder) = File::open(folder_of(path)) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Writes to a device or FIFO as it is, as `>` in a shell would.
fn write_in_place(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> Result<(), String>,
) -> Result<(), String> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| e.to_string())?;
    let mut writer = BufWriter::new(file);
    body(&mut writer)?;
    writer.flush().map_err(|e| e.to_string())
}

/// The folder `path` is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Creates a new hidden file in `out`'s folder, named after it.
fn create_beside(out: &Path) -> io::Result<(PathBuf, File)> {
    let name = out
        .file_name()
        .ok_or_else(|| io::Error::other("not a file name"))?
        .to_string_lossy();
    let folder = folder_of(out);
    let mut attempt = 0u32;
    loop {
        let temp = folder.join(format!(".{name}.{}-{attempt}.tmp", std::process::id()));
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Whether `a` and `b` (both followed through links) are one file.
#[cfg(unix)]
fn same_file(_: &Path, a: &Metadata, _: &Path, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Whether `a` and `b` (both followed through links) are one file: where there are no
/// inode numbers to compare, their canonical paths (a hard link goes unnoticed).
#[cfg(not(unix))]
fn same_file(a: &Path, _: &Metadata, b: &Path, _: &Metadata) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
