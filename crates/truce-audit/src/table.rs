//! One audit log for several nodes: the lines kept in a table of the database they share.
//!
//! Nodes that share a PostgreSQL store each hold a connection to the same log, and every process that
//! writes (a server, an operator's `truce users` command) appends to it directly. The lines are the
//! very lines of `audit.log` (the same leaf bytes and roots, see [`crate::entry`]), one row
//! each, keyed by index; [`Table`] is what the database gives, and [`crate::AuditLog::open_table`] the log on
//! top of it (the same API as the file's).
//!
//! **Order.** An append is one transaction under the table's write lock (a PostgreSQL advisory
//! transaction lock): it reads the lines other processes appended since this one last looked, folds
//! them into its tree (each must parse, follow the one before and carry the root of the tree up to it,
//! or the append is refused naming the entry), then numbers, stamps and roots its own entries after
//! them and inserts them. The lock is held until the commit, so committed lines always form a prefix
//! 0, 1, 2… of the log and no two processes ever give out the same index.
//!
//! **Durability.** An append returns once its transaction committed (in the database's fsynced
//! write-ahead log with PostgreSQL's defaults). Appends within one process are group-committed: the
//! threads that queue while one transaction runs are written by the next one together. A failed
//! transaction (the database restarting) changes nothing: the leaves it had added to the tree are
//! dropped again, its appenders get the error, and the next append starts from what is committed.
//!
//! **Reads.** Sizes, roots, proofs and checkpoints are of the entries this process has seen; a read of
//! the log's current state (its size, root, checkpoint, entries) or of a size beyond what it has seen
//! first folds in what others committed since (`TableLog::refresh`), so each node answers for the
//! whole log; a proof for a size it has seen needs no round trip.
//!
//! **Keys.** Each node signs checkpoints with the key of its own data directory and records the public
//! half in the table's key list when it opens the log; a checkpoint verifies against the log when its
//! key is one of the listed keys (and the roots agree, as for a file).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use crate::checkpoint::{Checkpoint, SigningKey};
use crate::entry::{self, Entry, Record};
use crate::log::{AuditError, Receipt};
use crate::merkle::{self, Hash, ProofError, Tree};

/// Lines read at a time when catching up.
const PAGE: usize = 10_000;

/// Lines of the log, each with its index.
pub type Lines = Vec<(u64, String)>;

/// What [`Table::append`] calls under the lock: given the lines others committed, the lines to add.
pub type MakeLines<'a> = dyn FnMut(Lines) -> Result<Lines, AuditError> + 'a;

/// What the shared database gives the log: rows of lines, appended under a lock, and the list of the
/// nodes' signing keys.
pub trait Table: Send + Sync {
    /// Where the table is, for messages (a URL without its password).
    fn place(&self) -> String;

    /// Up to `limit` committed lines from index `from` on, in index order, each with its index.
    ///
    /// # Errors
    /// The database cannot be read ([`AuditError::Table`]).
    fn read(&self, from: u64, limit: usize) -> Result<Lines, AuditError>;

    /// One transaction under the table's write lock: hands `make` the lines from index `known` on that
    /// are committed (others' appends), inserts the lines it returns (each with its index) and commits;
    /// nothing is inserted when `make` or the commit fails.
    ///
    /// # Errors
    /// `make`'s error, or the database's ([`AuditError::Table`]).
    fn append(&self, known: u64, make: &mut MakeLines<'_>) -> Result<(), AuditError>;

    /// Lists `key` among the log's signing keys (nothing when it is listed already).
    ///
    /// # Errors
    /// The database cannot be written ([`AuditError::Table`]).
    fn add_key(&self, key: &[u8; 32]) -> Result<(), AuditError>;

    /// Every listed signing key.
    ///
    /// # Errors
    /// The database cannot be read ([`AuditError::Table`]).
    fn keys(&self) -> Result<Vec<[u8; 32]>, AuditError>;
}

struct State {
    /// The committed entries seen so far, and during a write the writer's own after them.
    tree: Tree,
    /// The number of committed entries in `tree`.
    durable: u64,
}

#[derive(Default)]
struct Queue {
    /// Entries waiting for a writer, each with its ticket.
    pending: Vec<(u64, Entry)>,
    /// The next ticket.
    next: u64,
    /// What became of each written ticket, until its appender takes it.
    results: HashMap<u64, Result<Receipt, String>>,
}

/// The audit log in a [`Table`] (see the module documentation).
pub(crate) struct TableLog {
    table: Box<dyn Table>,
    key: SigningKey,
    /// Held by the one thread of this process that writes; it writes everything queued.
    writer: Mutex<()>,
    queue: Mutex<Queue>,
    state: Mutex<State>,
}

fn poisoned<T>(_: T) -> AuditError {
    AuditError::Broken("a thread panicked while appending".into())
}

impl TableLog {
    /// Opens the log in `table`, signing with the key of `dir` (made when missing), which it lists in
    /// the table; reads and checks every committed line.
    pub(crate) fn open(dir: &Path, table: Box<dyn Table>) -> Result<TableLog, AuditError> {
        std::fs::create_dir_all(dir).map_err(|source| AuditError::Io { path: dir.to_owned(), source })?;
        let key = SigningKey::load_or_create(dir)?;
        table.add_key(&key.public_key())?;
        let log = TableLog {
            table,
            key,
            writer: Mutex::new(()),
            queue: Mutex::new(Queue::default()),
            state: Mutex::new(State { tree: Tree::new(), durable: 0 }),
        };
        log.refresh()?;
        Ok(log)
    }

    pub(crate) fn place(&self) -> String {
        self.table.place()
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, AuditError> {
        self.state.lock().map_err(poisoned)
    }

    /// Folds into the tree the lines others committed since this process last looked.
    pub(crate) fn refresh(&self) -> Result<(), AuditError> {
        loop {
            let from = self.state()?.durable;
            let lines = self.table.read(from, PAGE)?;
            let n = lines.len();
            let mut st = self.state()?;
            // A writer of this process may have committed (and folded in) some of them meanwhile.
            if st.durable == st.tree.len() {
                self.fold(&mut st, lines)?;
            }
            if n < PAGE {
                return Ok(());
            }
        }
    }

    /// Adds committed `lines` to the tree, skipping those it has, checking each one's index and root.
    fn fold(&self, st: &mut State, lines: Lines) -> Result<(), AuditError> {
        for (index, line) in lines {
            if index < st.tree.len() {
                continue;
            }
            let corrupt = |reason: String| AuditError::Corrupt {
                path: self.table.place().into(),
                line: index + 1,
                reason: format!("entry {index}: {reason}"),
            };
            if index > st.tree.len() {
                return Err(corrupt(format!("entry {} is missing", st.tree.len())));
            }
            let p = entry::parse_line(line.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
            if p.index != index {
                return Err(corrupt(format!("the line says index {}", p.index)));
            }
            st.tree.push(p.leaf);
            let root = st.tree.root();
            if p.root != root {
                st.tree.truncate(index);
                return Err(corrupt(format!(
                    "its root {} is not the root of the entries up to it, {} (check the log with `truce audit verify`)",
                    merkle::to_hex(&p.root),
                    merkle::to_hex(&root)
                )));
            }
            st.durable = st.tree.len();
        }
        Ok(())
    }

    pub(crate) fn append_batch(&self, entries: &[Entry]) -> Result<Vec<Receipt>, AuditError> {
        for e in entries {
            e.check().map_err(AuditError::Invalid)?;
        }
        let first = {
            let mut q = self.queue.lock().map_err(poisoned)?;
            let first = q.next;
            for e in entries {
                let ticket = q.next;
                q.pending.push((ticket, e.clone()));
                q.next += 1;
            }
            first
        };
        {
            let _writer = self.writer.lock().map_err(poisoned)?;
            // The writer before may have written ours with its own.
            let written = self.queue.lock().map_err(poisoned)?.results.contains_key(&first);
            if !written {
                self.write_pending()?;
            }
        }
        let mut q = self.queue.lock().map_err(poisoned)?;
        let mut receipts = Vec::with_capacity(entries.len());
        let mut failed = None;
        for ticket in first..first + entries.len() as u64 {
            match q.results.remove(&ticket) {
                Some(Ok(r)) => receipts.push(r),
                Some(Err(e)) => failed = Some(e),
                None => failed = Some("the entry was not written".to_owned()),
            }
        }
        match failed {
            None => Ok(receipts),
            Some(reason) => Err(AuditError::Table { place: self.table.place(), reason }),
        }
    }

    /// Writes every queued entry in one transaction and records each one's receipt (or the error).
    /// Called with the writer's lock held.
    fn write_pending(&self) -> Result<(), AuditError> {
        let pending = std::mem::take(&mut self.queue.lock().map_err(poisoned)?.pending);
        if pending.is_empty() {
            return Ok(());
        }
        let known = self.state()?.durable;
        let mut receipts = Vec::with_capacity(pending.len());
        let result = self.table.append(known, &mut |others| {
            let mut st = self.state()?;
            self.fold(&mut st, others)?;
            receipts.clear();
            let time = entry::now();
            let mut lines = Vec::with_capacity(pending.len());
            let mut buf = Vec::with_capacity(512);
            for (_, e) in &pending {
                let index = st.tree.len();
                let (data, leaf) = entry::leaf_data(index, &time, e);
                st.tree.push(leaf);
                let root = st.tree.root();
                buf.clear();
                entry::write_line(&data, &root, &mut buf);
                let line = std::str::from_utf8(buf.strip_suffix(b"\n").unwrap_or(&buf))
                    .map_err(|e| AuditError::Broken(format!("an entry is not UTF-8: {e}")))?;
                lines.push((index, line.to_owned()));
                receipts.push(Receipt { index, root });
            }
            Ok(lines)
        });
        let mut st = self.state()?;
        match &result {
            Ok(()) => st.durable = st.tree.len(),
            Err(_) => {
                let keep = st.durable;
                st.tree.truncate(keep);
            }
        }
        drop(st);
        let mut q = self.queue.lock().map_err(poisoned)?;
        for (i, (ticket, _)) in pending.iter().enumerate() {
            let outcome = match &result {
                Ok(()) => receipts.get(i).copied().ok_or_else(|| "no receipt".to_owned()),
                Err(AuditError::Table { reason, .. }) => Err(reason.clone()),
                Err(e) => Err(e.to_string()),
            };
            q.results.insert(*ticket, outcome);
        }
        Ok(())
    }

    pub(crate) fn size(&self) -> u64 {
        let _ = self.refresh();
        self.state.lock().map(|s| s.durable).unwrap_or(0)
    }

    /// The state after folding in what others committed, for a read.
    fn fresh(&self) -> Result<MutexGuard<'_, State>, AuditError> {
        self.refresh()?;
        self.state()
    }

    /// The state for a read of the first `size` entries: as it is when it has them (a proof for a size
    /// seen already needs no news), else after folding in what others committed.
    fn covering(&self, size: u64) -> Result<MutexGuard<'_, State>, AuditError> {
        let st = self.state()?;
        if size <= st.durable {
            return Ok(st);
        }
        drop(st);
        self.fresh()
    }

    pub(crate) fn root_at(&self, size: Option<u64>) -> Result<Hash, AuditError> {
        let st = match size {
            Some(size) => self.covering(size)?,
            None => self.fresh()?,
        };
        let size = size.unwrap_or(st.durable);
        if size > st.durable {
            return Err(ProofError::SizeOutOfRange { size, available: st.durable }.into());
        }
        Ok(st.tree.root_at(size).unwrap_or_else(merkle::empty_root))
    }

    pub(crate) fn public_key(&self) -> [u8; 32] {
        self.key.public_key()
    }

    pub(crate) fn checkpoint(&self) -> Result<Checkpoint, AuditError> {
        let (size, root) = {
            let st = self.fresh()?;
            (st.durable, st.tree.root_at(st.durable).unwrap_or_else(merkle::empty_root))
        };
        Ok(self.key.sign(size, root))
    }

    pub(crate) fn entries(&self, after: u64, limit: usize) -> Result<Vec<Record>, AuditError> {
        let durable = self.fresh()?.durable;
        if after >= durable || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = limit.min(usize::try_from(durable - after).unwrap_or(usize::MAX));
        let mut out = Vec::with_capacity(limit);
        for (index, line) in self.table.read(after, limit)? {
            let r = Record::parse(line.as_bytes()).map_err(|e| AuditError::Corrupt {
                path: self.table.place().into(),
                line: index + 1,
                reason: format!("entry {index}: {e}"),
            })?;
            out.push(r);
        }
        Ok(out)
    }

    pub(crate) fn leaf_hash(&self, index: u64) -> Result<Hash, AuditError> {
        let st = self.covering(index.saturating_add(1))?;
        if index >= st.durable {
            return Err(ProofError::IndexOutOfRange { index, size: st.durable }.into());
        }
        st.tree.leaf(index).ok_or(AuditError::Proof(ProofError::IndexOutOfRange { index, size: st.durable }))
    }

    pub(crate) fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, AuditError> {
        let st = self.covering(tree_size)?;
        if tree_size > st.durable {
            return Err(ProofError::SizeOutOfRange { size: tree_size, available: st.durable }.into());
        }
        Ok(st.tree.inclusion_proof(index, tree_size)?)
    }

    pub(crate) fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, AuditError> {
        let st = self.covering(new_size)?;
        if new_size > st.durable {
            return Err(ProofError::SizeOutOfRange { size: new_size, available: st.durable }.into());
        }
        Ok(st.tree.consistency_proof(old_size, new_size)?)
    }
}
