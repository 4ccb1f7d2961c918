//! The data shipped inside the binary: the illustrative agreement with the geometry it names, the
//! sectors, the coalition as publicly reported with the geography it names, and their README and
//! licence notice (the OpenStreetMap-derived files travel with their ODbL attribution). An installed
//! `truce` needs no `data/` folder: a file given on the command line or in the configuration still
//! overrides the shipped one.
//!
//! The loaders read files by path and the files name each other by relative paths (the agreement's
//! zones are in `../geo/...`), so when a shipped file is needed the whole set is written out under a
//! folder ([`extract`]): `shipped/` in the data directory, or a folder under the system's temporary
//! directory named after the set's fingerprint for commands without one. Writing is skipped for a file
//! already there with the same bytes, and redone when the binary's copy changed, so a data directory
//! that uses the shipped agreement follows the binary it runs with.

use std::path::{Path, PathBuf};

use crate::NodeError;

/// One shipped file: its path under `data/`, and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct File {
    /// The path relative to the shipped folder (as in the repository's `data/`).
    pub path: &'static str,
    /// The content.
    pub bytes: &'static [u8],
}

macro_rules! shipped {
    ($($path:literal),* $(,)?) => {
        &[$(File { path: $path, bytes: include_bytes!(concat!("../../../data/", $path)) }),*]
    };
}

/// Every shipped file.
pub const FILES: &[File] = shipped![
    "README.md",
    "LICENSE-ODbL.md",
    "agreements/illustrative.toml",
    "warning/sectors.toml",
    "coalition/README.md",
    "coalition/positions.toml",
    "coalition/force.toml",
    "coalition/regeneration.toml",
    "geo/README-derivation.md",
    "geo/contact_line_2025_approx.geojson",
    "geo/illustrative_lines.geojson",
    "geo/illustrative_zones.geojson",
    "geo/black_sea_10m.geojson",
    "geo/ukraine_and_neighbours_land_10km.geojson",
];

/// The illustrative agreement.
pub const AGREEMENT: &str = "agreements/illustrative.toml";
/// The sectors cut from its line of contact.
pub const SECTORS: &str = "warning/sectors.toml";
/// The coalition files, in import order.
pub const COALITION: &[&str] = &["coalition/positions.toml", "coalition/force.toml", "coalition/regeneration.toml"];
/// Where the set is written in a data directory.
pub const FOLDER: &str = "shipped";

/// The text of a shipped file.
pub fn text(path: &str) -> Option<&'static str> {
    FILES.iter().find(|f| f.path == path).and_then(|f| std::str::from_utf8(f.bytes).ok())
}

/// Writes every shipped file under `dir` (creating folders), leaving those already there with the
/// same bytes untouched; returns `dir`.
///
/// # Errors
/// A folder or file cannot be written.
pub fn extract(dir: &Path) -> Result<PathBuf, NodeError> {
    for f in FILES {
        let path = dir.join(f.path);
        if std::fs::read(&path).is_ok_and(|b| b == f.bytes) {
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| NodeError::io(format!("cannot make {}", parent.display()), e))?;
        }
        // Written whole or not at all: a reader never sees half a file.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, f.bytes)
            .and_then(|()| std::fs::rename(&partial, &path))
            .map_err(|e| NodeError::io(format!("cannot write {}", path.display()), e))?;
    }
    Ok(dir.to_path_buf())
}

/// The shipped set in the data directory `data_dir` (written out if needed).
///
/// # Errors
/// As [`extract`].
pub fn in_data_dir(data_dir: &Path) -> Result<PathBuf, NodeError> {
    extract(&data_dir.join(FOLDER))
}

/// The shipped set for commands without a data directory: under the system's temporary directory,
/// in a folder named after the set's content.
///
/// # Errors
/// As [`extract`].
pub fn in_temp_dir() -> Result<PathBuf, NodeError> {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in FILES {
        for b in f.path.as_bytes().iter().chain(f.bytes) {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    extract(&std::env::temp_dir().join(format!("truce-shipped-{hash:016x}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_loads_from_any_folder() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = extract(dir.path()).expect("extracted");
        let agreement = crate::data_dir::load_agreement(&root.join(AGREEMENT)).expect("the agreement loads");
        assert_eq!(agreement.id, crate::data_dir::load_agreement(&root.join(AGREEMENT)).expect("again").id);
        let sectors = truce_watch::Sectors::from_toml(text(SECTORS).expect("sectors"), SECTORS, &agreement);
        assert!(sectors.is_ok());
        let paths: Vec<PathBuf> = COALITION.iter().map(|p| root.join(p)).collect();
        let c = truce_coalition::file::load(
            &paths,
            &truce_coalition::Coalition::default(),
            &truce_access::Policy::shipped(),
        );
        assert!(c.is_ok(), "the coalition loads with the geography it names");
        // A changed file is written again; an unchanged one is left alone.
        let a = root.join(AGREEMENT);
        std::fs::write(&a, "changed").expect("write");
        let before = std::fs::metadata(root.join(SECTORS)).and_then(|m| m.modified()).expect("mtime");
        extract(dir.path()).expect("extracted again");
        assert_eq!(std::fs::read(&a).expect("read"), FILES[2].bytes);
        assert_eq!(std::fs::metadata(root.join(SECTORS)).and_then(|m| m.modified()).expect("mtime"), before);
    }
}
