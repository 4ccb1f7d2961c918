//! `truce migrate --from DATA_DIR --to postgres://…`: moves a data directory's embedded store into a
//! PostgreSQL/PostGIS database, every table in one transaction that commits only when each table's
//! rows and checksum are the same on both sides (`truce_store::PgStore::import_sqlite`).
//!
//! The audit log moves too, in the same transaction: `audit.log` is verified first (a log that is not
//! intact is not moved, and the error names its first bad entry), then its lines become the first rows
//! of the database's shared log and the directory's key is listed among its keys; the file stays, no
//! longer written. The data directory keeps what is local to a node (certificates, label policy,
//! uploaded file bodies, the signing key): after the move, run the node with `--data-dir DATA_DIR
//! --store URL`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

/// `truce migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The data directory whose embedded store is moved (it is only read).
    #[arg(long)]
    pub from: PathBuf,
    /// The PostgreSQL database to move it into (`postgres://user:password@host:port/db`); it must hold
    /// no truce records (its schema is made if missing).
    #[arg(long, value_name = "URL")]
    pub to: String,
}

pub fn run(args: &MigrateArgs) -> anyhow::Result<ExitCode> {
    truce_node::data_dir::require(&args.from, None)?;
    let from = truce_store::SqliteStore::open(&args.from)
        .with_context(|| format!("--from: cannot open the store in {}", args.from.display()))?;
    if !truce_store::is_postgres_url(&args.to) {
        anyhow::bail!(
            "--to {:?}: not a PostgreSQL URL (postgres://user@host:port/database)",
            truce_store::redact_url(&args.to)
        );
    }
    let audit = audit_lines(&args.from)?;
    let place = truce_store::redact_url(&args.to);
    let to = truce_store::PgStore::open(&args.to).with_context(|| format!("--to: cannot open the store {place}"))?;
    let started = std::time::Instant::now();
    let mut total = 0;
    let moved = to
        .import_sqlite(&from, &audit, &mut |t| {
            total += t.rows;
            eprintln!("truce: {:<24} {:>10} rows  checksum {}", t.table, t.rows, t.checksum);
        })
        .with_context(|| format!("cannot move {} into {place}; nothing was written", args.from.display()))?;
    outln!(
        "moved {} rows in {} tables from {} to {place} in {:.1} s; counts and checksums agree",
        total,
        moved.tables.len(),
        args.from.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The lines of the data directory's audit log, checked intact, and its key (none when the directory
/// has no log).
fn audit_lines(dir: &std::path::Path) -> anyhow::Result<truce_store::AuditLines> {
    let path = dir.join(truce_audit::LOG_FILE);
    if !path.exists() {
        return Ok(truce_store::AuditLines::default());
    }
    let report = truce_audit::verify(dir, None)
        .map_err(|e| anyhow::anyhow!("{}: not intact, nothing was moved: {e}", path.display()))?;
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let lines: Vec<String> = text.lines().take(report.entries as usize).map(str::to_owned).collect();
    let key = truce_audit::SigningKey::load(dir).ok().map(|k| k.public_key());
    Ok(truce_store::AuditLines { lines, key })
}
