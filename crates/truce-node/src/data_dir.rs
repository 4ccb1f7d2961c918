//! Opening a data directory with its agreement and sectors: what `ingest`, `serve`, `demo` and the
//! commands that read a store share.
//!
//! The agreement a data directory was last used with is remembered (its path, in `agreement.path`
//! beside the database). When the agreement's fingerprint differs from the one the stored
//! classifications were computed against, every stored observation is classified again before
//! anything else happens, so the store never mixes two versions of the rules.
//!
//! Only the commands that bring data in (`serve`, `ingest`, `demo`, and the imports) make a data
//! directory ([`open_or_create`], [`create`]); a command that reads one ([`open`], [`require`]) refuses
//! a path that holds no store, so a mistyped `--data-dir` is an error, not a new empty store. A path
//! that is a file is one error naming it, whichever the command.
//!
//! The records themselves are in the data directory's embedded database, or, given a store URL
//! (`--store postgres://…`, `[store] url`), in that PostgreSQL database ([`open_store`]). The data
//! directory is still used then, for what is local to a node: the remembered agreement and the shipped
//! files, the label policy, certificates, uploaded file bodies and the audit log.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use truce_engine::Agreement;
use truce_store::{CoalitionStore, ObservationStore, SqliteStore, Store};
use truce_watch::Sectors;

use crate::{NodeError, shipped};

/// Remembers which agreement file a data directory uses.
const AGREEMENT_PATH_FILE: &str = "agreement.path";

/// Loads the sectors file given, or the shipped ones, or when those do not fit the agreement, the
/// agreement's first line cut every 50 km.
///
/// # Errors
/// The file given is invalid (every problem), or no line to cut sectors from.
pub fn load_sectors(path: Option<&Path>, agreement: &Agreement) -> Result<Sectors, NodeError> {
    if let Some(path) = path {
        return Sectors::load(path, agreement)
            .map_err(|errors| NodeError::Sectors { what: format!("file {}", path.display()), errors });
    }
    let shipped = shipped::text(shipped::SECTORS).unwrap_or_default();
    match Sectors::from_toml(shipped, &format!("(shipped) {}", shipped::SECTORS), agreement) {
        Ok(s) => Ok(s),
        Err(_) => {
            let line = agreement
                .lines
                .first()
                .ok_or_else(|| NodeError::Invalid("the agreement has no line to cut sectors from".into()))?;
            let text = format!("line = {:?}\nevery_km = 50\n", line.id);
            Sectors::from_toml(&text, "(sectors every 50 km)", agreement)
                .map_err(|errors| NodeError::Sectors { what: format!("cut from the line {}", line.id), errors })
        }
    }
}

/// Loads an agreement.
///
/// # Errors
/// Every problem of the file.
/// The label policy of a data directory: its `policy.toml` when there is one, else the shipped one
/// (`data/access/policy.toml`).
///
/// # Errors
/// When the directory's policy file is invalid (naming the file and key).
pub fn load_policy(data_dir: &Path) -> Result<truce_access::Policy, NodeError> {
    let path = data_dir.join(POLICY_FILE);
    if path.exists() { Ok(truce_access::Policy::load(&path)?) } else { Ok(truce_access::Policy::shipped()) }
}

/// The file in a data directory that overrides the shipped label policy.
pub const POLICY_FILE: &str = "policy.toml";

/// Reads an agreement file.
pub fn load_agreement(path: &Path) -> Result<Agreement, NodeError> {
    Agreement::load(path).map_err(|errors| NodeError::Agreement { path: path.to_path_buf(), errors })
}

/// Checks that `data_dir` is a data directory holding a store, for the commands that read one. With
/// a store `url` the records are elsewhere: the directory is only checked not to be a file.
///
/// # Errors
/// The path does not exist, is a file, or holds no store (each says what to do).
pub fn require(data_dir: &Path, url: Option<&str>) -> Result<(), NodeError> {
    not_a_file(data_dir)?;
    if url.is_some() || data_dir.join(truce_store::DATABASE_FILE).is_file() {
        return Ok(());
    }
    let what = if data_dir.is_dir() { "holds no truce store" } else { "does not exist" };
    Err(NodeError::Invalid(format!(
        "no truce data directory at {} (it {what}): `truce ingest`, `truce serve` or `truce demo --data-dir` \
         make one, or pass --data-dir (or TRUCE_DATA_DIR) to name another",
        data_dir.display()
    )))
}

/// Opens the store the records are in: the PostgreSQL database at `url` when one is given, else the
/// embedded database of `data_dir` (which must exist). An operator's handle: it reads everything.
///
/// # Errors
/// The URL is not a PostgreSQL URL, this truce was built without PostgreSQL (cargo feature
/// `postgres`), or the store cannot be opened (the error names where).
pub fn open_store(data_dir: &Path, url: Option<&str>) -> Result<Arc<dyn Store>, NodeError> {
    let Some(url) = url else {
        return Ok(Arc::new(
            SqliteStore::open(data_dir)
                .map_err(|e| NodeError::Invalid(format!("cannot open the store in {}: {e}", data_dir.display())))?,
        ));
    };
    open_url(url)
}

#[cfg(feature = "postgres")]
fn open_url(url: &str) -> Result<Arc<dyn Store>, NodeError> {
    if !truce_store::is_postgres_url(url) {
        return Err(NodeError::Invalid(format!(
            "--store {:?}: not a store URL (postgres://user@host:port/database)",
            truce_store::redact_url(url)
        )));
    }
    let store = truce_store::PgStore::open(url)
        .map_err(|e| NodeError::Invalid(format!("cannot open the store {}: {e}", truce_store::redact_url(url))))?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "postgres"))]
fn open_url(_url: &str) -> Result<Arc<dyn Store>, NodeError> {
    Err(NodeError::Invalid(
        "--store: this truce was built without PostgreSQL (cargo feature `postgres`); build it with that feature \
         or leave --store out for the data directory's embedded store"
            .into(),
    ))
}

/// Makes `data_dir` if it does not exist, for the commands that bring data in; `true` when it was
/// made (the caller says so).
///
/// # Errors
/// The path is a file, or the directory cannot be made.
pub fn create(data_dir: &Path) -> Result<bool, NodeError> {
    not_a_file(data_dir)?;
    if data_dir.is_dir() {
        return Ok(false);
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|e| NodeError::io(format!("cannot make the data directory {}", data_dir.display()), e))?;
    Ok(true)
}

fn not_a_file(data_dir: &Path) -> Result<(), NodeError> {
    if data_dir.exists() && !data_dir.is_dir() {
        return Err(NodeError::Invalid(format!(
            "the data directory {} is a file, not a directory: pass --data-dir (or TRUCE_DATA_DIR) with a \
             directory",
            data_dir.display()
        )));
    }
    Ok(())
}

/// [`open`] for the commands that bring data in: makes the data directory first when it does not
/// exist; the flag says whether it did.
///
/// # Errors
/// As [`create`] and [`open`].
pub fn open_or_create(
    data_dir: &Path,
    url: Option<&str>,
    agreement: Option<&Path>,
) -> Result<(Arc<dyn Store>, Agreement, bool), NodeError> {
    let made = create(data_dir)?;
    match open_existing(data_dir, url, agreement) {
        Ok((store, agreement)) => Ok((store, agreement, made)),
        Err(e) => {
            // A store that cannot be opened (a URL refused, a server down) leaves no directory behind.
            if made {
                let _ = std::fs::remove_dir_all(data_dir);
            }
            Err(e)
        }
    }
}

/// Opens the store of an existing data directory ([`require`]), or the one at `url`, with the agreement (given, else remembered, else the shipped one,
/// written into the data directory's `shipped/` folder), reclassifying the stored observations if the
/// agreement changed. A remembered shipped agreement is written again first, so the data directory
/// follows the binary's copy.
///
/// # Errors
/// No data directory there ([`require`]), the store cannot be opened, the agreement is invalid, or the
/// reclassification failed.
pub fn open(
    data_dir: &Path,
    url: Option<&str>,
    agreement: Option<&Path>,
) -> Result<(Arc<dyn Store>, Agreement), NodeError> {
    require(data_dir, url)?;
    create(data_dir)?;
    open_existing(data_dir, url, agreement)
}

/// [`open`] without the check that a store is there (it is made).
fn open_existing(
    data_dir: &Path,
    url: Option<&str>,
    agreement: Option<&Path>,
) -> Result<(Arc<dyn Store>, Agreement), NodeError> {
    let store = open_store(data_dir, url)?;
    let remembered = data_dir.join(AGREEMENT_PATH_FILE);
    let path: PathBuf = match agreement {
        Some(p) => p.to_path_buf(),
        None => match std::fs::read_to_string(&remembered) {
            Ok(p) => {
                // Remembered paths are canonical, and the store made the data directory.
                let p = PathBuf::from(p.trim());
                let shipped_dir = std::fs::canonicalize(data_dir).unwrap_or_default().join(shipped::FOLDER);
                if p.starts_with(&shipped_dir) {
                    shipped::in_data_dir(data_dir)?;
                }
                p
            }
            Err(_) => shipped::in_data_dir(data_dir)?.join(shipped::AGREEMENT),
        },
    };
    let agreement = load_agreement(&path)?;
    let absolute = std::fs::canonicalize(&path).unwrap_or(path);
    std::fs::write(&remembered, absolute.to_string_lossy().as_bytes())
        .map_err(|e| NodeError::io(format!("cannot write {}", remembered.display()), e))?;
    reconcile(&*store, &agreement)?;
    Ok((store, agreement))
}

/// Brings the stored classifications up to date with `agreement`, saying so on standard error when
/// there is work to do (it takes a while on a large store).
///
/// # Errors
/// When the store fails.
pub fn reconcile(store: &dyn ObservationStore, agreement: &Agreement) -> Result<(), NodeError> {
    if store.agreement_fingerprint()?.as_deref() == Some(agreement.fingerprint.as_str()) {
        return Ok(());
    }
    let n = store.count()?;
    if n > 0 {
        eprintln!("truce: the agreement changed: classifying the {n} stored observations again");
    }
    let done = store.reclassify(&agreement.fingerprint, &mut |o| agreement.classify_record(o))?;
    if done > 0 {
        eprintln!("truce: {done} observations classified against {} {}", agreement.id, agreement.version);
    }
    Ok(())
}

/// Imports the shipped coalition (the public positions, the illustrative force and plan,
/// regeneration) into the store of `data_dir` (the demo's data), from the data directory's `shipped/`;
/// its labels are checked against the data directory's label policy.
///
/// # Errors
/// A file is invalid (every problem), cannot be written, the policy is invalid, or the store failed.
pub fn import_shipped_coalition(store: &dyn CoalitionStore, data_dir: &Path) -> Result<(), NodeError> {
    let root = shipped::in_data_dir(data_dir)?;
    let paths: Vec<PathBuf> = shipped::COALITION.iter().map(|p| root.join(p)).collect();
    truce_coalition::store::import(store, &paths, &load_policy(data_dir)?)?;
    Ok(())
}
