//! `truce audit`: check, sign and read the audit log of a data directory (`DATA_DIR/audit.log`), or,
//! with `--store postgres://…`, the one log the nodes sharing that database write (its table
//! `audit_log`, see [`truce_audit::table`]).
//!
//! A thin layer over [`truce_audit`]. None of these commands takes the writer's lock, so they run
//! beside a `truce serve` that is appending: `verify` recomputes the whole Merkle tree from the file
//! (or the rows) and checks a checkpoint saved earlier (exit 0 intact, 1 naming the first bad entry, 2
//! when the log cannot be read); `checkpoint` verifies the log, then signs its size and root with
//! `audit.key` (listed among the shared log's keys); `list` prints the entries as NDJSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use truce_audit::{Checkpoint, SigningKey, VerifyError, merkle};

use crate::args::{DEFAULT_DATA_DIR, StoreUrl};

/// `truce audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the whole tree and check every entry, and a checkpoint saved earlier: exit 0 when
    /// intact, 1 naming the first bad entry.
    Verify(VerifyArgs),
    /// Verify the log, then write a checkpoint of its size and root signed with the log's key.
    Checkpoint(CheckpointArgs),
    /// Print entries as NDJSON.
    List(ListArgs),
}

/// Where the log is.
#[derive(Debug, Args)]
pub struct DataDirArgs {
    /// The data directory holding audit.log and audit.key [default: ./truce-data].
    #[arg(long, env = "TRUCE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// The log of the nodes that share this PostgreSQL store, not the data directory's.
    #[command(flatten)]
    pub store: StoreUrl,
}

impl DataDirArgs {
    fn dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR))
    }

    /// The shared database's log table, when `--store` names one.
    fn table(&self) -> anyhow::Result<Option<Box<dyn truce_audit::Table>>> {
        let Some(url) = self.store.get() else { return Ok(None) };
        let store = truce_node::data_dir::open_store(&self.dir(), Some(url))?;
        store.audit_table().map(Some).ok_or_else(|| anyhow::anyhow!("the store {url} keeps no audit log"))
    }

    /// Where the log is, for messages.
    fn place(&self, table: Option<&dyn truce_audit::Table>) -> String {
        table.map_or_else(|| self.dir().join(truce_audit::LOG_FILE).display().to_string(), |t| t.place())
    }
}

/// `truce audit verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A checkpoint saved earlier (by `truce audit checkpoint` or the API): the log must extend it.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Where the log is.
    #[command(flatten)]
    pub dir: DataDirArgs,
}

/// `truce audit checkpoint`.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Write the checkpoint to this file (replaced whole) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Where the log is.
    #[command(flatten)]
    pub dir: DataDirArgs,
}

/// `truce audit list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Skip the first N entries (start at index N).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub after: u64,
    /// Print at most N entries.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Where the log is.
    #[command(flatten)]
    pub dir: DataDirArgs,
}

/// Runs a `truce audit` command.
pub fn run(command: &AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify(args) => verify(args),
        AuditCommand::Checkpoint(args) => checkpoint(args),
        AuditCommand::List(args) => list(args),
    }
}

fn read_checkpoint(path: &Path) -> anyhow::Result<Checkpoint> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the checkpoint {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("{}: byte {}: not UTF-8", path.display(), e.utf8_error().valid_up_to()))?;
    Checkpoint::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Verifies the log `args` names: the shared table, else the data directory's file.
fn verify_log(
    args: &DataDirArgs,
    table: Option<&dyn truce_audit::Table>,
    checkpoint: Option<&Checkpoint>,
) -> Result<truce_audit::VerifyReport, VerifyError> {
    match table {
        Some(t) => truce_audit::verify_table(t, checkpoint),
        None => truce_audit::verify(&args.dir(), checkpoint),
    }
}

fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let table = args.dir.table()?;
    let checkpoint = args.checkpoint.as_deref().map(read_checkpoint).transpose()?;
    match verify_log(&args.dir, table.as_deref(), checkpoint.as_ref()) {
        Ok(report) => {
            outln!("intact: {} entries, root {}", report.entries, merkle::to_hex(&report.root));
            if let (Some(size), Some(path)) = (report.checkpoint, &args.checkpoint) {
                outln!("consistent with the checkpoint of {size} entries in {}", path.display());
            }
            if report.torn_tail {
                outln!("note: the last line is incomplete (a write under way, or a torn tail the server drops)");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ VerifyError::Io { .. }) => Err(e.into()),
        Err(e) => {
            eprintln!("truce: {}: NOT intact: {e}", args.dir.place(table.as_deref()));
            Ok(ExitCode::from(1))
        }
    }
}

fn checkpoint(args: &CheckpointArgs) -> anyhow::Result<ExitCode> {
    let dir = args.dir.dir();
    let table = args.dir.table()?;
    let report = match verify_log(&args.dir, table.as_deref(), None) {
        Ok(r) => r,
        Err(e @ VerifyError::Io { .. }) => return Err(e.into()),
        Err(e) => {
            eprintln!("truce: {}: NOT intact, no checkpoint signed: {e}", args.dir.place(table.as_deref()));
            return Ok(ExitCode::from(1));
        }
    };
    let key = match &table {
        // This node's key (made when it has none yet), listed among the shared log's keys.
        Some(t) => {
            let key = SigningKey::load_or_create(&dir)?;
            t.add_key(&key.public_key())?;
            key
        }
        None => SigningKey::load(&dir)?,
    };
    let text = key.sign(report.entries, report.root).to_text();
    match &args.out {
        None => out!("{text}"),
        Some(out) => {
            // A device or a pipe is written into (`crate::outfile`); a file is replaced once whole.
            let tmp = out.with_extension("tmp");
            crate::outfile::special(out)
                .and_then(|special| match special {
                    Some(mut device) => device.write_all(text.as_bytes()),
                    None => std::fs::write(&tmp, &text).and_then(|()| std::fs::rename(&tmp, out)).inspect_err(|_| {
                        let _ = std::fs::remove_file(&tmp);
                    }),
                })
                .with_context(|| format!("writing {}", out.display()))?;
            eprintln!("checkpoint of {} entries written to {}", report.entries, out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let limit = args.limit.unwrap_or(usize::MAX);
    match args.dir.table()? {
        Some(table) => {
            let (mut from, mut left) = (args.after, limit);
            while left > 0 {
                let rows = table.read(from, left.min(10_000))?;
                let Some(&(last, _)) = rows.last() else { break };
                for (index, line) in &rows {
                    let record = truce_audit::Record::parse(line.as_bytes())
                        .map_err(|e| anyhow::anyhow!("{}: entry {index}: {e}", table.place()))?;
                    serde_json::to_writer(&mut out, &record)?;
                    out.write_all(b"\n")?;
                }
                left -= rows.len();
                from = last + 1;
            }
        }
        None => {
            for record in truce_audit::records(&args.dir.dir(), args.after)?.take(limit) {
                serde_json::to_writer(&mut out, &record?)?;
                out.write_all(b"\n")?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
