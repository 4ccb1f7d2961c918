//! [`verify`]: recompute the whole tree from `audit.log` and check it, and a checkpoint saved earlier.
//!
//! Every line must parse ([`parse_line`]: every field present and valid, the root suffix in place), its
//! index must be its position, and its stored root must be the root of the tree of the entries up to
//! and including it. So an edited byte anywhere fails at that entry (its leaf changes, so its root
//! does), a deleted or moved line fails at its position (the index), and a rewritten history with every
//! root recomputed still fails against a checkpoint saved before it (the root at the checkpoint's size
//! differs), as does a log cut shorter than a checkpoint.
//!
//! **Speed.** The file is read in chunks of 64 MiB cut at a line end. For each chunk, the lines are
//! parsed and their leaves hashed on every core; the leaves go into the [`Tree`] in order (one interior
//! hash a leaf, amortised); then every stored root is compared with the tree's root at that size, again
//! on every core (each root folds at most log n stored subtree hashes). The first bad line of a chunk
//! wins whichever thread saw it. A last line without `\n` is a write in progress or a torn tail, never
//! acknowledged: it is reported, not an error.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::checkpoint::{Checkpoint, SigningKey};
use crate::entry::{MAX_LINE, parse_line};
use crate::merkle::{self, Hash, Tree};
use crate::table::Table;

/// What an intact log holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The number of entries.
    pub entries: u64,
    /// The root of the tree of all of them.
    pub root: Hash,
    /// A last line without `\n` was ignored (a write under way, or a torn tail the writer will drop).
    pub torn_tail: bool,
    /// The size of the checkpoint the log was checked against.
    pub checkpoint: Option<u64>,
}

/// Why the log is not intact, naming the first bad entry when there is one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The log (or the key) could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The first entry that is not what was written.
    #[error("entry {index} (line {line}) is bad: {reason}")]
    BadEntry {
        /// The entry's index (its position in the log, from 0).
        index: u64,
        /// Its line, from 1.
        line: u64,
        /// Why.
        reason: String,
    },
    /// The log is shorter than the checkpoint.
    #[error(
        "the log has {entries} entries but the checkpoint covers {checkpoint}: entries from {entries} on were removed"
    )]
    Truncated {
        /// Entries in the log.
        entries: u64,
        /// The checkpoint's size.
        checkpoint: u64,
    },
    /// The root of the log's first entries is not the checkpoint's: history was rewritten.
    #[error(
        "the log's first {size} entries hash to {found}, but the checkpoint says {expected}: entries before {size} were rewritten since the checkpoint"
    )]
    Inconsistent {
        /// The checkpoint's size.
        size: u64,
        /// The checkpoint's root, hex.
        expected: String,
        /// The log's root at that size, hex.
        found: String,
    },
    /// The checkpoint is not signed by this log's key, or the key cannot be read.
    #[error("checkpoint: {0}")]
    Key(String),
}

/// Bytes read at a time.
const CHUNK: usize = 64 << 20;

/// Recomputes the tree of `dir/audit.log` and checks every line, then `checkpoint` when given (see the
/// module documentation).
pub fn verify(dir: &Path, checkpoint: Option<&Checkpoint>) -> Result<VerifyReport, VerifyError> {
    let path = dir.join(crate::LOG_FILE);
    let io = |source| VerifyError::Io { path: path.clone(), source };
    let mut file = File::open(&path).map_err(io)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let mut tree = Tree::new();
    let mut buf: Vec<u8> = Vec::new();
    let torn_tail = loop {
        let want = CHUNK.saturating_sub(buf.len()) as u64;
        let got = (&mut file).take(want).read_to_end(&mut buf).map_err(io)?;
        let eof = got == 0 || (got as u64) < want;
        let complete = buf.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1);
        if complete > 0 {
            check_chunk(&buf[..complete - 1], &mut tree, threads)?;
            buf.drain(..complete);
        }
        if eof {
            break !buf.is_empty();
        }
        if complete == 0 && buf.len() > MAX_LINE {
            return Err(VerifyError::BadEntry {
                index: tree.len(),
                line: tree.len() + 1,
                reason: format!("longer than {MAX_LINE} bytes"),
            });
        }
    };
    let keys = match checkpoint {
        Some(_) => vec![SigningKey::load(dir).map_err(|e| VerifyError::Key(e.to_string()))?.public_key()],
        None => Vec::new(),
    };
    finish(&tree, torn_tail, checkpoint, &keys)
}

/// [`verify`] for a log kept in a [`Table`] of a shared database: the same checks on its rows in index
/// order; a checkpoint must be signed by one of the keys the table lists (each node's).
pub fn verify_table(table: &dyn Table, checkpoint: Option<&Checkpoint>) -> Result<VerifyReport, VerifyError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let unreadable = |e: crate::AuditError| VerifyError::Io {
        path: table.place().into(),
        source: std::io::Error::other(e.to_string()),
    };
    let mut tree = Tree::new();
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let rows = table.read(tree.len(), TABLE_PAGE).map_err(unreadable)?;
        let n = rows.len();
        buf.clear();
        for (_, line) in rows {
            if line.len() > MAX_LINE {
                return Err(VerifyError::BadEntry {
                    index: tree.len(),
                    line: tree.len() + 1,
                    reason: format!("longer than {MAX_LINE} bytes"),
                });
            }
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
        }
        if let Some(data) = buf.strip_suffix(b"\n") {
            check_chunk(data, &mut tree, threads)?;
        }
        if n < TABLE_PAGE {
            break;
        }
    }
    let keys = match checkpoint {
        Some(_) => table.keys().map_err(|e| VerifyError::Key(e.to_string()))?,
        None => Vec::new(),
    };
    finish(&tree, false, checkpoint, &keys)
}

/// Rows read at a time by [`verify_table`].
const TABLE_PAGE: usize = 100_000;

/// The report on a recomputed `tree`, after checking `checkpoint` (when given) against it: signed by
/// one of `keys` and consistent.
fn finish(
    tree: &Tree,
    torn_tail: bool,
    checkpoint: Option<&Checkpoint>,
    keys: &[[u8; 32]],
) -> Result<VerifyReport, VerifyError> {
    let entries = tree.len();
    let root = tree.root();
    if let Some(cp) = checkpoint {
        if !keys.contains(&cp.public_key) {
            let theirs: Vec<String> = keys.iter().map(|k| STANDARD.encode(k)).collect();
            return Err(VerifyError::Key(format!(
                "signed by the key {}, but this log's key is {}",
                STANDARD.encode(cp.public_key),
                theirs.join(" or ")
            )));
        }
        if !cp.signature_valid() {
            return Err(VerifyError::Key("the signature does not verify".into()));
        }
        let Some(at) = tree.root_at(cp.size) else {
            return Err(VerifyError::Truncated { entries, checkpoint: cp.size });
        };
        if at != cp.root {
            return Err(VerifyError::Inconsistent {
                size: cp.size,
                expected: merkle::to_hex(&cp.root),
                found: merkle::to_hex(&at),
            });
        }
    }
    Ok(VerifyReport { entries, root, torn_tail, checkpoint: checkpoint.map(|c| c.size) })
}

/// The first problem of a part: its position in the chunk and why.
type Problem = (usize, String);

/// What a part of a chunk gives: the leaf hash and stored root of each good line, up to its first
/// problem.
type Part = (Vec<(Hash, Hash)>, Option<Problem>);

/// Checks the lines of `data` (complete lines, the last `\n` removed), which follow the entries of
/// `tree`, and adds them to it.
fn check_chunk(data: &[u8], tree: &mut Tree, threads: usize) -> Result<(), VerifyError> {
    let lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
    let base = tree.len();
    let per = lines.len().div_ceil(threads).max(1);

    // Parse and hash, in parallel; each part stops at its first bad line.
    let parsed: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = lines
            .chunks(per)
            .enumerate()
            .map(|(p, part)| {
                s.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    for (i, line) in part.iter().enumerate() {
                        let at = p * per + i;
                        let expected = base + at as u64;
                        match parse_line(line) {
                            Ok(l) if l.index == expected => out.push((l.leaf, l.root)),
                            Ok(l) => {
                                return (out, Some((at, format!("index {} where {expected} was expected", l.index))));
                            }
                            Err(e) => return (out, Some((at, e.to_string()))),
                        }
                    }
                    (out, None)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| (Vec::new(), Some((0, "the checker panicked".into())))))
            .collect()
    });
    let mut pairs: Vec<(Hash, Hash)> = Vec::with_capacity(lines.len());
    let mut first_bad: Option<Problem> = None;
    for (part, problem) in parsed {
        pairs.extend(part);
        if problem.is_some() {
            first_bad = problem;
            break;
        }
    }
    for (leaf, _) in &pairs {
        tree.push(*leaf);
    }

    // Every stored root against the recomputed one, in parallel.
    let tree_ref: &Tree = tree;
    let per = pairs.len().div_ceil(threads).max(1);
    let mismatch: Option<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = pairs
            .chunks(per)
            .enumerate()
            .map(|(p, part)| {
                s.spawn(move || {
                    part.iter().enumerate().find_map(|(i, (_, root))| {
                        let at = p * per + i;
                        (tree_ref.root_at(base + at as u64 + 1) != Some(*root)).then_some(at)
                    })
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().unwrap_or(Some(0))).min()
    });
    if let Some(at) = mismatch {
        let index = base + at as u64;
        let want = tree.root_at(index + 1).unwrap_or_else(merkle::empty_root);
        return Err(VerifyError::BadEntry {
            index,
            line: index + 1,
            reason: format!(
                "its root {} is not the recomputed root {} (the entry, or one before it, was changed)",
                merkle::to_hex(&pairs[at].1),
                merkle::to_hex(&want)
            ),
        });
    }
    if let Some((at, reason)) = first_bad {
        let index = base + at as u64;
        return Err(VerifyError::BadEntry { index, line: index + 1, reason });
    }
    Ok(())
}
