//! Opening a data directory with its agreement: shared by `ingest`, `serve` and `demo`.
//!
//! The agreement a data directory was last used with is remembered (its path, in `agreement.path`
//! beside the database). When the agreement's fingerprint differs from the one the stored
//! classifications were computed against, every stored observation is classified again before
//! anything else happens, so the store never mixes two versions of the rules.

use std::path::{Path, PathBuf};

use anyhow::Context;
use truce_engine::Agreement;
use truce_store::{ObservationStore, SqliteStore};

/// Remembers which agreement file a data directory uses.
const AGREEMENT_PATH_FILE: &str = "agreement.path";
/// The agreement used when none is given or remembered.
pub const DEFAULT_AGREEMENT: &str = "data/agreements/illustrative.toml";

/// The sectors used when none are given.
pub const DEFAULT_SECTORS: &str = "data/warning/sectors.toml";

/// Loads the sectors file given (every problem printed, then an error), or the default one, or when
/// that does not fit the agreement, the agreement's first line cut every 50 km.
pub fn load_sectors(path: Option<&Path>, agreement: &Agreement) -> anyhow::Result<truce_watch::Sectors> {
    let print = |errors: &truce_watch::SectorErrors| {
        for p in &errors.0 {
            eprintln!("error: {p}");
        }
    };
    if let Some(path) = path {
        return truce_watch::Sectors::load(path, agreement).map_err(|errors| {
            print(&errors);
            anyhow::anyhow!("the sectors file {} is invalid ({} errors)", path.display(), errors.0.len())
        });
    }
    match truce_watch::Sectors::load(Path::new(DEFAULT_SECTORS), agreement) {
        Ok(s) => Ok(s),
        Err(_) => {
            let line = agreement.lines.first().context("the agreement has no line to cut sectors from")?;
            let text = format!("line = {:?}\nevery_km = 50\n", line.id);
            truce_watch::Sectors::from_toml(&text, "(sectors every 50 km)", agreement).map_err(|errors| {
                print(&errors);
                anyhow::anyhow!("cannot cut sectors from the line {}", line.id)
            })
        }
    }
}

/// Loads an agreement, printing every problem.
pub fn load_agreement(path: &Path) -> anyhow::Result<Agreement> {
    Agreement::load(path).map_err(|errors| {
        for p in &errors.0 {
            eprintln!("error: {p}");
        }
        anyhow::anyhow!("the agreement {} is invalid ({} errors)", path.display(), errors.0.len())
    })
}

/// Opens the store in `data_dir` with the agreement (given, remembered or default), reclassifying the
/// stored observations if the agreement changed.
pub fn open(data_dir: &Path, agreement: Option<&Path>) -> anyhow::Result<(SqliteStore, Agreement)> {
    let store =
        SqliteStore::open(data_dir).with_context(|| format!("cannot open the store in {}", data_dir.display()))?;
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
        .with_context(|| format!("cannot write {}", remembered.display()))?;
    reconcile(&store, &agreement)?;
    Ok((store, agreement))
}

/// Brings the stored classifications up to date with `agreement`.
pub fn reconcile(store: &SqliteStore, agreement: &Agreement) -> anyhow::Result<()> {
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
