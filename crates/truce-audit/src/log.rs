//! [`AuditLog`]: the writer of `audit.log`, and [`records`], a reader for other processes. The same
//! [`AuditLog`] also fronts a log kept in a shared database's table ([`crate::table`],
//! [`AuditLog::open_table`]); what follows describes the file.
//!
//! **Durability.** [`AuditLog::append`] returns only once its line is written and `fdatasync`ed. Many
//! threads append at once (the server calls it from tokio's blocking threads), so appends are
//! group-committed: under one mutex, an append takes the next index, stamps the time, hashes its leaf
//! into the tree and queues its line; then the first appender to find no write under way becomes the
//! leader, takes every queued line, writes them with one `write` and one `fdatasync` outside the lock,
//! marks them durable and wakes the others (a condition variable). Appenders that queued while the
//! leader was syncing are covered by the next leader's sync. A failed write or sync leaves the file's
//! end unknown: the log then refuses every call until it is reopened.
//!
//! **Torn tail.** A process killed in the middle of a write can leave a last line without its `\n`.
//! That line was never acknowledged (acknowledgement follows the sync, which follows the whole write), so
//! [`AuditLog::open`] truncates it away. Open then parses every line, checks the indexes run 0, 1, 2…,
//! rebuilds the tree and checks the last line's root against it; a full check of every root is
//! [`verify`](crate::verify::verify).
//!
//! **One writer.** Open takes an exclusive advisory lock (`flock`) on `audit.log`, so a second writer,
//! which could truncate a line the first is still writing, is refused. Readers ([`records`],
//! [`verify`](crate::verify::verify)) take no lock and ignore a last line without `\n`.
//!
//! Only durable entries are visible: [`AuditLog::size`], the roots, proofs and checkpoints cover the
//! entries acknowledged so far, never one still being written.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

use serde::Serialize;

use crate::checkpoint::{Checkpoint, KeyError, SigningKey};
use crate::entry::{self, Entry, LineError, Record};
use crate::merkle::{self, Hash, ProofError, Tree};
use crate::table::{Table, TableLog};

/// What went wrong with the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Another process has the log open for writing.
    #[error("{}: another process has the audit log open for writing", path.display())]
    Locked {
        /// The log file.
        path: PathBuf,
    },
    /// An entry given to append is not valid.
    #[error("invalid audit entry: {0}")]
    Invalid(LineError),
    /// A line of the file is not what the log wrote (check it with `truce audit verify`).
    #[error("{}:{line}: {reason} (check the log with `truce audit verify`)", path.display())]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// The line, from 1.
        line: u64,
        /// Why.
        reason: String,
    },
    /// The signing key could not be read or made.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A proof was asked for sizes or an index the log does not have.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// A write or sync failed earlier; the log must be reopened.
    #[error("the audit log stopped after a failed write ({0}); reopen it")]
    Broken(String),
    /// The shared database holding the log failed (the append, if one, changed nothing).
    #[error("the audit log in {place}: {reason}")]
    Table {
        /// Where the log is (a URL without its password).
        place: String,
        /// Why.
        reason: String,
    },
}

/// The acknowledgement of a durable append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receipt {
    /// The entry's index.
    pub index: u64,
    /// The tree's root after the entry.
    pub root: Hash,
}

/// An inclusion proof as the API hands it out (hashes in hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InclusionProof {
    /// The entry's index.
    pub index: u64,
    /// The size of the tree the proof is for.
    pub tree_size: u64,
    /// The entry's leaf hash.
    pub leaf_hash: String,
    /// The root of the tree of `tree_size` entries.
    pub root: String,
    /// The audit path, from the leaf up (RFC 9162 §2.1.3.1).
    pub path: Vec<String>,
}

/// A consistency proof as the API hands it out (hashes in hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsistencyProof {
    /// The older size.
    pub old_size: u64,
    /// The newer size.
    pub new_size: u64,
    /// The root of the older tree.
    pub old_root: String,
    /// The root of the newer tree.
    pub new_root: String,
    /// The proof (RFC 9162 §2.1.4.1).
    pub path: Vec<String>,
}

struct State {
    /// Every appended entry, durable or queued.
    tree: Tree,
    /// The byte offset of each line, durable or queued.
    offsets: Vec<u64>,
    /// Where the next queued line will start.
    end: u64,
    /// Lines queued for the next leader.
    queued: Vec<u8>,
    /// The number of durable entries, and the file length they fill.
    durable: u64,
    durable_end: u64,
    /// A leader is writing.
    writing: bool,
    /// Why the log stopped, after a failed write.
    broken: Option<String>,
}

/// The audit log: the file of a data directory (see the module documentation) or a table of a shared
/// database ([`table`](crate::table)). `Send + Sync`: share it in an `Arc`.
pub struct AuditLog {
    inner: Inner,
}

enum Inner {
    File(FileLog),
    Table(TableLog),
}

/// The log in `audit.log`.
struct FileLog {
    path: PathBuf,
    file: File,
    key: SigningKey,
    state: Mutex<State>,
    done: Condvar,
}

impl std::fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditLog").field("place", &self.place()).field("size", &self.size()).finish()
    }
}

impl AuditLog {
    /// Opens (or creates) `dir/audit.log` and `dir/audit.key`, dropping a torn last line.
    pub fn open(dir: &Path) -> Result<AuditLog, AuditError> {
        Ok(AuditLog { inner: Inner::File(FileLog::open(dir)?) })
    }

    /// Opens the log kept in `table`, shared with other nodes; checkpoints are signed with
    /// `dir/audit.key` (made when missing), which is listed in the table.
    pub fn open_table(dir: &Path, table: Box<dyn Table>) -> Result<AuditLog, AuditError> {
        Ok(AuditLog { inner: Inner::Table(TableLog::open(dir, table)?) })
    }

    /// Where the log is: the file, or the database's URL without its password.
    pub fn place(&self) -> String {
        match &self.inner {
            Inner::File(l) => l.path.display().to_string(),
            Inner::Table(t) => t.place(),
        }
    }

    /// Appends an entry; returns once it is durable.
    pub fn append(&self, entry: &Entry) -> Result<Receipt, AuditError> {
        let mut r = self.append_batch(std::slice::from_ref(entry))?;
        r.pop().ok_or_else(|| AuditError::Broken("no receipt".into()))
    }

    /// Appends entries as one batch (consecutive indexes); returns once all of them are durable. An
    /// invalid entry refuses the whole batch before anything is appended.
    pub fn append_batch(&self, entries: &[Entry]) -> Result<Vec<Receipt>, AuditError> {
        match &self.inner {
            Inner::File(l) => l.append_batch(entries),
            Inner::Table(t) => t.append_batch(entries),
        }
    }

    /// The number of durable entries.
    pub fn size(&self) -> u64 {
        match &self.inner {
            Inner::File(l) => l.size(),
            Inner::Table(t) => t.size(),
        }
    }

    /// The root of the durable entries.
    pub fn root(&self) -> Result<Hash, AuditError> {
        match &self.inner {
            Inner::File(l) => l.root(),
            Inner::Table(t) => t.root_at(None),
        }
    }

    /// The root of the tree of the first `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash, AuditError> {
        match &self.inner {
            Inner::File(l) => l.root_at(size),
            Inner::Table(t) => t.root_at(Some(size)),
        }
    }

    /// The public key that signs this log's checkpoints (this node's, for a shared log).
    pub fn public_key(&self) -> [u8; 32] {
        match &self.inner {
            Inner::File(l) => l.key.public_key(),
            Inner::Table(t) => t.public_key(),
        }
    }

    /// A signed checkpoint of the durable entries.
    pub fn checkpoint(&self) -> Result<Checkpoint, AuditError> {
        match &self.inner {
            Inner::File(l) => l.checkpoint(),
            Inner::Table(t) => t.checkpoint(),
        }
    }

    /// Up to `limit` durable entries after the first `after` ones (that is, from index `after`).
    pub fn entries(&self, after: u64, limit: usize) -> Result<Vec<Record>, AuditError> {
        match &self.inner {
            Inner::File(l) => l.entries(after, limit),
            Inner::Table(t) => t.entries(after, limit),
        }
    }

    /// The leaf hash of entry `index`.
    pub fn leaf_hash(&self, index: u64) -> Result<Hash, AuditError> {
        match &self.inner {
            Inner::File(l) => l.leaf_hash(index),
            Inner::Table(t) => t.leaf_hash(index),
        }
    }

    /// The inclusion proof of entry `index` in the tree of the first `tree_size` entries.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, AuditError> {
        match &self.inner {
            Inner::File(l) => l.inclusion_proof(index, tree_size),
            Inner::Table(t) => t.inclusion_proof(index, tree_size),
        }
    }

    /// The consistency proof between the trees of the first `old_size` and `new_size` entries.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, AuditError> {
        match &self.inner {
            Inner::File(l) => l.consistency_proof(old_size, new_size),
            Inner::Table(t) => t.consistency_proof(old_size, new_size),
        }
    }

    /// [`AuditLog::inclusion_proof`] with the leaf and root, in hex, for the API.
    pub fn inclusion(&self, index: u64, tree_size: u64) -> Result<InclusionProof, AuditError> {
        let path = self.inclusion_proof(index, tree_size)?;
        Ok(InclusionProof {
            index,
            tree_size,
            leaf_hash: merkle::to_hex(&self.leaf_hash(index)?),
            root: merkle::to_hex(&self.root_at(tree_size)?),
            path: path.iter().map(merkle::to_hex).collect(),
        })
    }

    /// [`AuditLog::consistency_proof`] with both roots, in hex, for the API.
    pub fn consistency(&self, old_size: u64, new_size: u64) -> Result<ConsistencyProof, AuditError> {
        let path = self.consistency_proof(old_size, new_size)?;
        Ok(ConsistencyProof {
            old_size,
            new_size,
            old_root: merkle::to_hex(&self.root_at(old_size)?),
            new_root: merkle::to_hex(&self.root_at(new_size)?),
            path: path.iter().map(merkle::to_hex).collect(),
        })
    }
}

impl FileLog {
    fn open(dir: &Path) -> Result<FileLog, AuditError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| AuditError::Io { path, source }
        };
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(crate::LOG_FILE);
        let existed = path.exists();
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(&path).map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(AuditError::Locked { path }),
            Err(std::fs::TryLockError::Error(e)) => return Err(AuditError::Io { path, source: e }),
        }
        if !existed {
            File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
        }
        let key = SigningKey::load_or_create(dir)?;

        let mut tree = Tree::new();
        let mut offsets = Vec::new();
        let mut last_root = None;
        let mut end = 0u64;
        let mut reader = BufReader::with_capacity(1 << 20, &mut file);
        let mut line = Vec::with_capacity(512);
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(io(&path))?;
            if n == 0 {
                break;
            }
            if line.last() != Some(&b'\n') {
                break; // the torn tail: truncated below
            }
            let number = offsets.len() as u64 + 1;
            let corrupt = |reason: String| AuditError::Corrupt { path: path.clone(), line: number, reason };
            let p = entry::parse_line(&line[..n - 1]).map_err(|e| corrupt(format!("entry {}: {e}", number - 1)))?;
            if p.index != number - 1 {
                return Err(corrupt(format!("index {} where {} was expected", p.index, number - 1)));
            }
            tree.push(p.leaf);
            offsets.push(end);
            last_root = Some((p.root, number));
            end += n as u64;
        }
        drop(reader);
        if let Some((root, number)) = last_root
            && root != tree.root()
        {
            return Err(AuditError::Corrupt {
                path,
                line: number,
                reason: format!(
                    "the last entry's root {} is not the root of the entries, {}",
                    merkle::to_hex(&root),
                    merkle::to_hex(&tree.root())
                ),
            });
        }
        let len = file.seek(SeekFrom::End(0)).map_err(io(&path))?;
        if len > end {
            file.set_len(end).and_then(|()| file.sync_all()).map_err(io(&path))?;
        }
        let durable = tree.len();
        Ok(FileLog {
            path,
            file,
            key,
            state: Mutex::new(State {
                tree,
                offsets,
                end,
                queued: Vec::new(),
                durable,
                durable_end: end,
                writing: false,
                broken: None,
            }),
            done: Condvar::new(),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, AuditError> {
        self.state.lock().map_err(|_| AuditError::Broken("a thread panicked while appending".into()))
    }

    fn append_batch(&self, entries: &[Entry]) -> Result<Vec<Receipt>, AuditError> {
        for e in entries {
            e.check().map_err(AuditError::Invalid)?;
        }
        let mut st = self.lock()?;
        if let Some(b) = &st.broken {
            return Err(AuditError::Broken(b.clone()));
        }
        let time = entry::now();
        let mut receipts = Vec::with_capacity(entries.len());
        for e in entries {
            let index = st.tree.len();
            let (data, leaf) = entry::leaf_data(index, &time, e);
            st.tree.push(leaf);
            let root = st.tree.root();
            let start = st.queued.len();
            entry::write_line(&data, &root, &mut st.queued);
            let len = (st.queued.len() - start) as u64;
            let at = st.end;
            st.offsets.push(at);
            st.end += len;
            receipts.push(Receipt { index, root });
        }
        let target = st.tree.len();
        self.commit(st, target)?;
        Ok(receipts)
    }

    /// Waits until the first `target` entries are durable, leading a write when none is under way.
    fn commit<'a>(&'a self, mut st: MutexGuard<'a, State>, target: u64) -> Result<(), AuditError> {
        loop {
            if st.durable >= target {
                return Ok(());
            }
            if let Some(b) = &st.broken {
                return Err(AuditError::Broken(b.clone()));
            }
            if st.writing {
                st = self.done.wait(st).map_err(|_| AuditError::Broken("a thread panicked while appending".into()))?;
                continue;
            }
            st.writing = true;
            let mut batch = std::mem::take(&mut st.queued);
            let upto = st.tree.len();
            let upto_end = st.end;
            drop(st);
            let result = (&self.file).write_all(&batch).and_then(|()| self.file.sync_data());
            st = self.lock()?;
            st.writing = false;
            match result {
                Ok(()) => {
                    st.durable = upto;
                    st.durable_end = upto_end;
                    if st.queued.is_empty() {
                        batch.clear();
                        st.queued = batch;
                    }
                }
                Err(e) => st.broken = Some(format!("{}: {e}", self.path.display())),
            }
            self.done.notify_all();
        }
    }

    /// The number of durable entries.
    fn size(&self) -> u64 {
        self.state.lock().map(|s| s.durable).unwrap_or(0)
    }

    /// The root of the durable entries.
    fn root(&self) -> Result<Hash, AuditError> {
        let st = self.lock()?;
        Ok(st.tree.root_at(st.durable).unwrap_or_else(merkle::empty_root))
    }

    /// The root of the tree of the first `size` entries.
    fn root_at(&self, size: u64) -> Result<Hash, AuditError> {
        let st = self.lock()?;
        if size > st.durable {
            return Err(ProofError::SizeOutOfRange { size, available: st.durable }.into());
        }
        Ok(st.tree.root_at(size).unwrap_or_else(merkle::empty_root))
    }

    /// A signed checkpoint of the durable entries.
    fn checkpoint(&self) -> Result<Checkpoint, AuditError> {
        let (size, root) = {
            let st = self.lock()?;
            (st.durable, st.tree.root_at(st.durable).unwrap_or_else(merkle::empty_root))
        };
        Ok(self.key.sign(size, root))
    }

    /// Up to `limit` durable entries after the first `after` ones (that is, from index `after`).
    fn entries(&self, after: u64, limit: usize) -> Result<Vec<Record>, AuditError> {
        let (start, end, first) = {
            let st = self.lock()?;
            if after >= st.durable || limit == 0 {
                return Ok(Vec::new());
            }
            let last = st.durable.min(after.saturating_add(limit as u64));
            let end = if last == st.durable { st.durable_end } else { st.offsets[last as usize] };
            (st.offsets[after as usize], end, after)
        };
        let mut buf = vec![0u8; (end - start) as usize];
        self.file
            .read_exact_at(&mut buf, start)
            .map_err(|source| AuditError::Io { path: self.path.clone(), source })?;
        let mut out = Vec::new();
        for (i, line) in buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()).enumerate() {
            let index = first + i as u64;
            let r = Record::parse(line).map_err(|e| AuditError::Corrupt {
                path: self.path.clone(),
                line: index + 1,
                reason: format!("entry {index}: {e}"),
            })?;
            if r.index != index {
                return Err(AuditError::Corrupt {
                    path: self.path.clone(),
                    line: index + 1,
                    reason: format!("index {} where {index} was expected", r.index),
                });
            }
            out.push(r);
        }
        Ok(out)
    }

    /// The leaf hash of entry `index`.
    fn leaf_hash(&self, index: u64) -> Result<Hash, AuditError> {
        let st = self.lock()?;
        if index >= st.durable {
            return Err(ProofError::IndexOutOfRange { index, size: st.durable }.into());
        }
        st.tree.leaf(index).ok_or(AuditError::Proof(ProofError::IndexOutOfRange { index, size: st.durable }))
    }

    /// The inclusion proof of entry `index` in the tree of the first `tree_size` entries.
    fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, AuditError> {
        let st = self.lock()?;
        if tree_size > st.durable {
            return Err(ProofError::SizeOutOfRange { size: tree_size, available: st.durable }.into());
        }
        Ok(st.tree.inclusion_proof(index, tree_size)?)
    }

    /// The consistency proof between the trees of the first `old_size` and `new_size` entries.
    fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, AuditError> {
        let st = self.lock()?;
        if new_size > st.durable {
            return Err(ProofError::SizeOutOfRange { size: new_size, available: st.durable }.into());
        }
        Ok(st.tree.consistency_proof(old_size, new_size)?)
    }
}

/// Reads the entries of `dir/audit.log` from index `after`, without taking the writer's lock (a last
/// line without `\n`, being written or torn, is not read). Each record is checked as
/// [`Record::parse`] does and its index must follow the one before; roots are not recomputed (that is
/// [`verify`](crate::verify::verify)).
pub fn records(dir: &Path, after: u64) -> Result<Records, AuditError> {
    let path = dir.join(crate::LOG_FILE);
    let file = File::open(&path).map_err(|source| AuditError::Io { path: path.clone(), source })?;
    Ok(Records { reader: BufReader::with_capacity(1 << 16, file), path, next: 0, after, line: Vec::new(), done: false })
}

/// The iterator of [`records`].
#[derive(Debug)]
pub struct Records {
    reader: BufReader<File>,
    path: PathBuf,
    next: u64,
    after: u64,
    line: Vec<u8>,
    done: bool,
}

impl Iterator for Records {
    type Item = Result<Record, AuditError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.line.clear();
            let n = match (&mut self.reader).take(entry::MAX_LINE as u64 + 1).read_until(b'\n', &mut self.line) {
                Ok(n) => n,
                Err(source) => {
                    self.done = true;
                    return Some(Err(AuditError::Io { path: self.path.clone(), source }));
                }
            };
            if n == 0 || self.line.last() != Some(&b'\n') {
                self.done = true;
                if n > entry::MAX_LINE {
                    let line = self.next + 1;
                    return Some(Err(
                        self.corrupt(line, format!("entry {}: longer than {} bytes", self.next, entry::MAX_LINE))
                    ));
                }
                return None;
            }
            let index = self.next;
            self.next += 1;
            if index < self.after {
                continue;
            }
            let result = Record::parse(&self.line[..n - 1])
                .map_err(|e| self.corrupt(index + 1, format!("entry {index}: {e}")))
                .and_then(|r| {
                    if r.index == index {
                        Ok(r)
                    } else {
                        Err(self.corrupt(index + 1, format!("index {} where {index} was expected", r.index)))
                    }
                });
            if result.is_err() {
                self.done = true;
            }
            return Some(result);
        }
        None
    }
}

impl Records {
    fn corrupt(&self, line: u64, reason: String) -> AuditError {
        AuditError::Corrupt { path: self.path.clone(), line, reason }
    }
}
