//! File bodies in a content-addressed folder: see [`Blobs`] for the design.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::StoreError;

/// The folder of hashes inside a [`Blobs`] folder.
const SHA256: &str = "sha256";

/// The folder of uploads in progress.
const TMP: &str = "tmp";

/// The temporary files' names are unique within the process by this counter (and across processes
/// by the process id).
static NEXT: AtomicU64 = AtomicU64::new(0);

/// The lowercase hex form of a SHA-256 written in hex of either case: `None` for anything that is
/// not exactly 64 hex digits. A string this accepts is safe as a file name (no separator, no dot).
pub fn parse_sha256(hash: &str) -> Option<String> {
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())).then(|| hash.to_ascii_lowercase())
}

/// The bodies of uploaded files, each stored once under the SHA-256 of its content.
///
/// # Design
///
/// The folder holds `sha256/<first two hex digits>/<hash>` and `tmp/`. Keying a body by its hash
/// makes a write idempotent (the same content uploaded twice is one file), lets a reader check what
/// it got, and needs no name that a client chose: [`Blobs::open_blob`], [`Blobs::remove`] and
/// [`Blobs::path`] accept only 64 hex digits (either case; upper case is read as lower case), so no
/// path can escape the folder. The two-digit level keeps each directory small.
///
/// An upload streams into a fresh file in `tmp/` through a [`BlobWriter`] that hashes as it writes
/// and refuses more than its limit. [`BlobWriter::finish`] fsyncs the file, checks the hash the
/// client announced, renames the file into place and fsyncs the directory: a body is either wholly
/// in `sha256/` and durable, or absent. A writer dropped unfinished removes its file, and
/// [`Blobs::open`] empties `tmp/`, so an upload cut by a crash leaves nothing.
///
/// The database record of a file ([`FileRecord`](crate::FileRecord)) is written after its body is
/// durable here, and deleted before its body: a crash in between leaves a body that nothing
/// references (harmless, and found by [`Blobs::hashes`]), never a record without its body.
///
/// Writes are synchronous (`std::fs`); an async server calls them from blocking threads. One
/// [`Blobs`] per folder: opening it again empties `tmp/` under the writers of the first.
#[derive(Debug, Clone)]
pub struct Blobs {
    dir: PathBuf,
}

/// A stored body: its hash (lowercase hex SHA-256) and its length in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    /// The lowercase hex SHA-256 of the content.
    pub hash: String,
    /// The length in bytes.
    pub size: u64,
}

/// Why a body could not be stored (nothing of it was kept).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The body is longer than the writer's limit.
    #[error("the file is larger than the limit of {max} bytes")]
    TooLarge {
        /// The limit, in bytes.
        max: u64,
    },
    /// The body's hash is not the one announced.
    #[error("the file's SHA-256 is {actual}, not the expected {expected}")]
    HashMismatch {
        /// The hash announced, as given.
        expected: String,
        /// The body's hash, lowercase hex.
        actual: String,
    },
    /// The file system failed.
    #[error("storing the file's body: {0}")]
    Io(#[from] io::Error),
}

fn data_dir(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::DataDir { path: path.to_path_buf(), source }
}

/// Creates `dir` and its missing parents, owner-only where that can be said.
fn create_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Makes a directory's entries durable (a rename into it, a file created in it).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

impl Blobs {
    /// Opens the folder `dir`, creating it (owner-only) with `sha256/` and `tmp/` if needed, and
    /// removes whatever an earlier run left in `tmp/`.
    ///
    /// # Errors
    /// [`StoreError::DataDir`] when a folder cannot be created or `tmp/` cannot be emptied.
    pub fn open(dir: &Path) -> Result<Blobs, StoreError> {
        for d in [dir.to_path_buf(), dir.join(SHA256), dir.join(TMP)] {
            create_dir(&d).map_err(data_dir(&d))?;
        }
        let tmp = dir.join(TMP);
        for entry in fs::read_dir(&tmp).map_err(data_dir(&tmp))? {
            let path = entry.map_err(data_dir(&tmp))?.path();
            let removed = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            match removed {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(data_dir(&path)(e)),
                _ => {}
            }
        }
        Ok(Blobs { dir: dir.to_path_buf() })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A writer for one body of at most `max_bytes` bytes, in a new file in `tmp/`.
    ///
    /// # Errors
    /// [`StoreError::DataDir`] when the file cannot be created.
    pub fn writer(&self, max_bytes: u64) -> Result<BlobWriter, StoreError> {
        let tmp = self.dir.join(TMP);
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = tmp.join(format!("{}-{n}.part", std::process::id()));
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&path) {
                Ok(file) => {
                    return Ok(BlobWriter {
                        file: Some(BufWriter::with_capacity(64 * 1024, file)),
                        path,
                        store: self.dir.join(SHA256),
                        digest: ring::digest::Context::new(&ring::digest::SHA256),
                        size: 0,
                        max: max_bytes,
                    });
                }
                // A file left by an earlier process with the same id: take the next name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(data_dir(&path)(e)),
            }
        }
    }

    /// Where the body of `hash` is (or would be) stored; `None` when `hash` is not 64 hex digits.
    pub fn path(&self, hash: &str) -> Option<PathBuf> {
        let hash = parse_sha256(hash)?;
        Some(self.dir.join(SHA256).join(&hash[..2]).join(hash))
    }

    /// The body of `hash`, opened for reading, and its length in bytes; `None` when it is not
    /// stored or `hash` is not 64 hex digits.
    ///
    /// # Errors
    /// [`StoreError::DataDir`] when the file exists but cannot be opened.
    pub fn open_blob(&self, hash: &str) -> Result<Option<(File, u64)>, StoreError> {
        let Some(path) = self.path(hash) else { return Ok(None) };
        match File::open(&path).and_then(|f| f.metadata().map(|m| (f, m.len()))) {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(data_dir(&path)(e)),
        }
    }

    /// Removes the body of `hash`; whether it was stored (`false` also when `hash` is not 64 hex
    /// digits). Delete the file's record first (see [`Blobs`]).
    ///
    /// # Errors
    /// [`StoreError::DataDir`] when the file exists but cannot be removed.
    pub fn remove(&self, hash: &str) -> Result<bool, StoreError> {
        let Some(path) = self.path(hash) else { return Ok(false) };
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(data_dir(&path)(e)),
        }
    }

    /// The hashes of every stored body, sorted: with the file records, what finds a body left
    /// unreferenced by a crash between its write and its record.
    ///
    /// # Errors
    /// [`StoreError::DataDir`] when a folder cannot be read.
    pub fn hashes(&self) -> Result<Vec<String>, StoreError> {
        let root = self.dir.join(SHA256);
        let mut out = Vec::new();
        for prefix in fs::read_dir(&root).map_err(data_dir(&root))? {
            let prefix = prefix.map_err(data_dir(&root))?.path();
            if !prefix.is_dir() {
                continue;
            }
            for entry in fs::read_dir(&prefix).map_err(data_dir(&prefix))? {
                let name = entry.map_err(data_dir(&prefix))?.file_name();
                if let Some(hash) = name.to_str().and_then(parse_sha256).filter(|h| h.as_str() == name) {
                    out.push(hash);
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// One body being written: hashed as it is written, limited in length, and kept only by
/// [`BlobWriter::finish`]. Dropping it unfinished removes what was written.
pub struct BlobWriter {
    /// `None` once the body was refused for its length (the file is then already removed).
    file: Option<BufWriter<File>>,
    path: PathBuf,
    store: PathBuf,
    digest: ring::digest::Context,
    size: u64,
    max: u64,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("path", &self.path)
            .field("size", &self.size)
            .field("max", &self.max)
            .finish()
    }
}

impl BlobWriter {
    /// Appends `chunk` to the body.
    ///
    /// # Errors
    /// [`BlobError::TooLarge`] when the body would exceed the limit (what was written is removed
    /// at once, and every later call fails alike); [`BlobError::Io`] when the file system fails.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        let too_large = BlobError::TooLarge { max: self.max };
        let Some(file) = self.file.as_mut() else { return Err(too_large) };
        let size = u64::try_from(chunk.len()).ok().and_then(|n| self.size.checked_add(n));
        match size {
            Some(size) if size <= self.max => {
                file.write_all(chunk)?;
                self.digest.update(chunk);
                self.size = size;
                Ok(())
            }
            _ => {
                self.file = None;
                let _ = fs::remove_file(&self.path);
                Err(too_large)
            }
        }
    }

    /// The bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Keeps the body: syncs it, checks its hash against `expected` (hex, either case), and moves
    /// it into place durably. A body already stored under that hash is left as it is (it is the
    /// same content).
    ///
    /// # Errors
    /// [`BlobError::HashMismatch`] when the hash is not `expected`, [`BlobError::TooLarge`] after a
    /// refused write, [`BlobError::Io`] when the file system fails; in every case nothing is kept.
    pub fn finish(mut self, expected: Option<&str>) -> Result<Blob, BlobError> {
        let Some(file) = self.file.take() else { return Err(BlobError::TooLarge { max: self.max }) };
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        let hash = hex(self.digest.clone().finish().as_ref());
        if let Some(expected) = expected
            && !expected.eq_ignore_ascii_case(&hash)
        {
            return Err(BlobError::HashMismatch { expected: expected.to_owned(), actual: hash });
        }
        let dir = self.store.join(&hash[..2]);
        create_dir(&dir)?;
        let dest = dir.join(&hash);
        if dest.exists() {
            fs::remove_file(&self.path)?;
        } else {
            fs::rename(&self.path, &dest)?;
        }
        // Both directories, every time: a concurrent writer of the same prefix or content may have
        // created the entry we found without having synced it yet.
        sync_dir(&dir)?;
        sync_dir(&self.store)?;
        // Moved or removed: nothing left for `drop` to remove.
        self.path = PathBuf::new();
        Ok(Blob { hash, size: self.size })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.file = None;
            let _ = fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// SHA-256 of "hello world".
    const HELLO: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

    fn tmp_entries(dir: &Path) -> usize {
        fs::read_dir(dir.join(TMP)).unwrap().count()
    }

    fn stored(blobs: &Blobs) -> Vec<String> {
        blobs.hashes().unwrap()
    }

    #[test]
    fn a_body_round_trips_under_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&dir.path().join("files")).unwrap();
        let mut w = blobs.writer(100).unwrap();
        w.write(b"hello ").unwrap();
        w.write(b"world").unwrap();
        assert_eq!(w.size(), 11);
        let blob = w.finish(Some(&HELLO.to_ascii_uppercase())).unwrap();
        assert_eq!(blob, Blob { hash: HELLO.into(), size: 11 });
        let (mut f, len) = blobs.open_blob(HELLO).unwrap().unwrap();
        assert_eq!(len, 11);
        let mut body = String::new();
        io::Read::read_to_string(&mut f, &mut body).unwrap();
        assert_eq!(body, "hello world");
        assert_eq!(blobs.path(HELLO).unwrap(), dir.path().join("files/sha256/b9").join(HELLO));
        assert_eq!(tmp_entries(blobs.dir()), 0);
        assert_eq!(stored(&blobs), [HELLO]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(blobs.dir()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{mode:o}");
        }
    }

    #[test]
    fn the_same_content_twice_is_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        for _ in 0..2 {
            let mut w = blobs.writer(100).unwrap();
            w.write(b"hello world").unwrap();
            assert_eq!(w.finish(None).unwrap().hash, HELLO);
        }
        assert_eq!(stored(&blobs), [HELLO]);
        assert_eq!(tmp_entries(blobs.dir()), 0);
    }

    #[test]
    fn an_empty_body_is_a_blob() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let blob = blobs.writer(0).unwrap().finish(None).unwrap();
        assert_eq!(blob.hash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(blobs.open_blob(&blob.hash).unwrap().unwrap().1, 0);
    }

    #[test]
    fn a_body_over_the_limit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let mut w = blobs.writer(10).unwrap();
        w.write(b"hello").unwrap();
        w.write(b"hello").unwrap();
        assert!(matches!(w.write(b"!"), Err(BlobError::TooLarge { max: 10 })));
        assert_eq!(tmp_entries(blobs.dir()), 0, "removed at once");
        assert!(matches!(w.write(b""), Err(BlobError::TooLarge { .. })));
        assert!(matches!(w.finish(None), Err(BlobError::TooLarge { max: 10 })));
        assert!(stored(&blobs).is_empty());
        assert_eq!(tmp_entries(blobs.dir()), 0);
    }

    #[test]
    fn a_body_with_another_hash_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let mut w = blobs.writer(100).unwrap();
        w.write(b"hello world!").unwrap();
        match w.finish(Some(HELLO)) {
            Err(BlobError::HashMismatch { expected, actual }) => {
                assert_eq!(expected, HELLO);
                assert_ne!(actual, HELLO);
                assert_eq!(actual.len(), 64);
            }
            other => panic!("{other:?}"),
        }
        assert!(stored(&blobs).is_empty());
        assert_eq!(tmp_entries(blobs.dir()), 0);
    }

    #[test]
    fn a_dropped_writer_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let mut w = blobs.writer(100).unwrap();
        w.write(b"hello").unwrap();
        assert_eq!(tmp_entries(blobs.dir()), 1);
        drop(w);
        assert_eq!(tmp_entries(blobs.dir()), 0);
        assert!(stored(&blobs).is_empty());
    }

    #[test]
    fn opening_removes_what_a_crash_left_in_tmp() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(dir.path()).unwrap();
        let mut w = blobs.writer(100).unwrap();
        w.write(b"cut short").unwrap();
        // A crash: the writer's drop never runs.
        std::mem::forget(w);
        fs::create_dir(dir.path().join(TMP).join("left")).unwrap();
        fs::write(dir.path().join(TMP).join("left/x"), b"x").unwrap();
        assert_eq!(tmp_entries(dir.path()), 2);
        let blobs = Blobs::open(dir.path()).unwrap();
        assert_eq!(tmp_entries(blobs.dir()), 0);
        assert!(stored(&blobs).is_empty());
    }

    #[test]
    fn only_a_hash_names_a_body() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Blobs::open(&dir.path().join("files")).unwrap();
        let mut w = blobs.writer(100).unwrap();
        w.write(b"hello world").unwrap();
        w.finish(None).unwrap();
        fs::write(dir.path().join("x"), b"outside").unwrap();
        let bad = [
            "../x",
            "../../x",
            &HELLO[..63],
            &format!("{HELLO}0"),
            &format!("{}/x", &HELLO[..62]),
            &format!("{}zz", &HELLO[..62]),
            "",
            "é",
        ];
        for b in bad {
            assert!(blobs.path(b).is_none(), "{b:?}");
            assert!(blobs.open_blob(b).unwrap().is_none(), "{b:?}");
            assert!(!blobs.remove(b).unwrap(), "{b:?}");
        }
        // Upper case is the same hash.
        let upper = HELLO.to_ascii_uppercase();
        assert_eq!(blobs.path(&upper), blobs.path(HELLO));
        assert!(blobs.open_blob(&upper).unwrap().is_some());
        assert!(blobs.open_blob(&"0".repeat(64)).unwrap().is_none(), "not stored");
        assert!(blobs.remove(&upper).unwrap());
        assert!(!blobs.remove(HELLO).unwrap(), "already removed");
        assert!(blobs.open_blob(HELLO).unwrap().is_none());
        assert_eq!(parse_sha256(&upper).as_deref(), Some(HELLO));
    }
}
