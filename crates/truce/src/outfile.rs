//! Where a command's `--out` goes when the name is already something other than a file.
//!
//! Commands write a file beside its name and rename it once whole, so that a run that is killed or
//! fails never leaves half a report, checkpoint or data package under the name. A name that already
//! exists as something other than a file or a directory (`/dev/null`, a named pipe, `/dev/stdout`, a
//! terminal) must not be renamed over: that would replace the device or the pipe with a regular file
//! (run as root, `/dev/null` for the whole machine). Such a name is written into as it is, and the
//! reader at its other end sees what a run wrote.

use std::fs::File;
use std::path::Path;

/// `path` opened for writing when it already exists as something other than a file or a directory,
/// `None` when it is a file, a directory or nothing yet (then the caller writes and renames).
///
/// # Errors
/// When it is such a thing and cannot be opened for writing.
pub fn special(path: &Path) -> std::io::Result<Option<File>> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return std::fs::OpenOptions::new().write(true).open(path).map(Some);
    }
    Ok(None)
}
