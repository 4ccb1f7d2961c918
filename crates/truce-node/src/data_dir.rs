//! Opening a data directory with its agreement and sectors: what `ingest`, `serve`, `demo` and the
//! commands that read a store share.
//!
//! The agreement a data directory was last used with is remembered (its path, in `agreement.path`
//! beside the database). When the agreement's fingerprint differs from the one the stored
//! classifications were computed against, every stored observation is classified again before
//! anything else happens, so the store never mixes two versions of the rules.

use std::path::{Path, PathBuf};

use truce_engine::Agreement;
use truce_store::{CoalitionStore, ObservationStore, SqliteStore};
use truce_watch::Sectors;

use crate::NodeError;

/// Remembers which agreement file a data directory uses.
const AGREEMENT_PATH_FILE: &str = "agreement.path";
/// The agreement used when none is given or remembered.
pub const DEFAULT_AGREEMENT: &str = "data/agreements/illustrative.toml";

/// The sectors used when none are given.
pub const DEFAULT_SECTORS: &str = "data/warning/sectors.toml";

/// Loads the sectors file given, or the default one, or when that does not fit the agreement, the
/// agreement's first line cut every 50 km.
///
/// # Errors
/// The file given is invalid (every problem), or no line to cut sectors from.
pub fn load_sectors(path: Option<&Path>, agreement: &Agreement) -> Result<Sectors, NodeError> {
    if let Some(path) = path {
        return Sectors::load(path, agreement)
            .map_err(|errors| NodeError::Sectors { what: format!("file {}", path.display()), errors });
    }
    match Sectors::load(Path::new(DEFAULT_SECTORS), agreement) {
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
pub fn load_agreement(path: &Path) -> Result<Agreement, NodeError> {
    Agreement::load(path).map_err(|errors| NodeError::Agreement { path: path.to_path_buf(), errors })
}

/// Opens the store in `data_dir` with the agreement (given, remembered or default), reclassifying the
/// stored observations if the agreement changed.
///
/// # Errors
/// The store cannot be opened, the agreement is invalid, or the reclassification failed.
pub fn open(data_dir: &Path, agreement: Option<&Path>) -> Result<(SqliteStore, Agreement), NodeError> {
    let store = SqliteStore::open(data_dir)?;
    let remembered = data_dir.join(AGREEMENT_PATH_FILE);
    let path: PathBuf = match agreement {
        Some(p) => p.to_path_buf(),
        None => match std::fs::read_to_string(&remembered) {
            Ok(p) => PathBuf::from(p.trim()),
            Err(_) => PathBuf::from(DEFAULT_AGREEMENT),
        },
    };
    let agreement = load_agreement(&path)?;
    let absolute = std::fs::canonicalize(&path).unwrap_or(path);
    std::fs::write(&remembered, absolute.to_string_lossy().as_bytes())
        .map_err(|e| NodeError::io(format!("cannot write {}", remembered.display()), e))?;
    reconcile(&store, &agreement)?;
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

/// The shipped coalition: the public positions, the illustrative force and plan, regeneration.
pub const SHIPPED_COALITION: &[&str] =
    &["data/coalition/positions.toml", "data/coalition/force.toml", "data/coalition/regeneration.toml"];

/// Imports the shipped coalition files into a store (the demo's data).
///
/// # Errors
/// A file is invalid (every problem) or the store failed.
pub fn import_shipped_coalition(store: &dyn CoalitionStore) -> Result<(), NodeError> {
    let paths: Vec<PathBuf> = SHIPPED_COALITION.iter().map(PathBuf::from).collect();
    truce_coalition::store::import(store, &paths)?;
    Ok(())
}
