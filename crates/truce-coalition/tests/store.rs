//! Imports into a real SQLite store: one transaction, history that accumulates, nothing changed by a
//! re-import, nothing stored from a bad file.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use truce_coalition::model::Status;
use truce_coalition::store::{CoalitionError, import, load};
use truce_store::SqliteStore;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

fn shipped() -> Vec<PathBuf> {
    ["positions.toml", "force.toml", "regeneration.toml"].iter().map(|f| data(&format!("coalition/{f}"))).collect()
}

/// Every row of the coalition's tables, as text, to compare whole databases.
fn dump(dir: &Path) -> String {
    let conn = rusqlite::Connection::open(dir.join(truce_store::DATABASE_FILE)).unwrap();
    let mut out = String::new();
    for table in ["coalition_imports", "coalition_items", "pledge_history", "regeneration_progress"] {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let mut cols = Vec::new();
                for i in 0..n {
                    let v: rusqlite::types::Value = r.get(i)?;
                    cols.push(format!("{v:?}"));
                }
                Ok(cols.join("|"))
            })
            .unwrap();
        for row in rows {
            out.push_str(table);
            out.push(':');
            out.push_str(&row.unwrap());
            out.push('\n');
        }
    }
    out
}

#[test]
fn importing_the_same_files_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let first = import(&store, &shipped()).unwrap();
    assert_eq!(first.report.import, Some(1));
    assert!(first.report.items_added > 50, "{:?}", first.report);
    assert_eq!(first.report.history_added, 37, "every [[pledges.history]] entry of positions.toml");
    assert_eq!(first.report.progress_added, 8);
    let before = dump(dir.path());
    let again = import(&store, &shipped()).unwrap();
    assert!(again.report.is_empty(), "{:?}", again.report);
    assert_eq!(again.report.import, None);
    assert_eq!(dump(dir.path()), before, "a re-import wrote to the database");
    // Everything comes back as loaded.
    let c = load(&store).unwrap();
    assert_eq!(c.pledges.len(), first.loaded.merged.pledges.len());
    assert_eq!(c.history.len(), 37);
    assert!(c.theatre.is_some());
    assert_eq!(c.plans[0].deployments.len(), 20);
    assert_eq!(c.plans[0].file, data("coalition/force.toml").display().to_string());
}

#[test]
fn a_later_status_adds_to_the_history_and_nothing_earlier_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    import(&store, &shipped()).unwrap();
    // A new file with only the pledge and a later entry: Germany's contribution approved.
    let later = dir.path().join("later.toml");
    std::fs::write(
        &later,
        r#"[[pledges]]
id = "deu-land"
nation = "DEU"
domain = "land"
capability = "A contribution from NATO territory neighbouring Ukraine"
measure = "personnel"
where = ["neighbouring"]
conditions = ["us_backstop"]
[[pledges.history]]
date = "2026-06-01"
status = "approved"
source = "test: a later statement"
quote = "the Bundestag approved the contribution"
illustrative = true
"#,
    )
    .unwrap();
    let r = import(&store, std::slice::from_ref(&later)).unwrap();
    assert_eq!((r.report.history_added, r.report.items_changed, r.report.items_added), (1, 0, 0), "{:?}", r.report);
    assert_eq!(r.report.import, Some(2));
    let c = load(&store).unwrap();
    let h = truce_coalition::history::history(&c, "DEU").unwrap();
    let land = h.pledges.iter().find(|p| p.pledge.id == "deu-land").unwrap();
    let steps: Vec<(Status, i64)> = land.steps.iter().map(|s| (s.entry.status, s.import)).collect();
    assert_eq!(steps, [(Status::Undecided, 1), (Status::Conditional, 1), (Status::Approved, 2)]);
    assert_eq!(land.status, Status::Approved);
    assert_eq!(land.steps[2].file, later.display().to_string());
    assert_eq!(land.steps[2].line, 9);
    // Importing the original files again (which do not hold the new entry) keeps it.
    let again = import(&store, &shipped()).unwrap();
    assert!(again.report.is_empty(), "{:?}", again.report);
    let c = load(&store).unwrap();
    assert_eq!(c.history.iter().filter(|e| e.pledge == "deu-land").count(), 3);
}

#[test]
fn a_file_with_errors_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    import(&store, &shipped()).unwrap();
    let before = dump(dir.path());
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[nations]]\nid = \"NOR\"\nname = \"Norway\"\n\n[[units]]\nid = \"x\"\nname = \"X\"\nnation = \"NOR\"\ndomain = \"land\"\ntype = \"t\"\nsidc = \"bad\"\nstrength = 1\n",
    )
    .unwrap();
    match import(&store, &[bad]) {
        Err(CoalitionError::Invalid(p)) => {
            assert_eq!(p.0.len(), 1, "{p}");
            assert!(p.0[0].to_string().ends_with("bad.toml:11: units[0].sidc: \"bad\" is not a symbol identification code: 20 digits (MIL-STD-2525D/E, APP-6 D) or 15 characters (2525C)"), "{p}");
        }
        other => panic!("{other:?}"),
    }
    // The valid nation in the same file was not stored either.
    assert_eq!(dump(dir.path()), before);
}
