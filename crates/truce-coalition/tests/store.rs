//! Imports into a real SQLite store: one transaction, history that accumulates, nothing changed by a
//! re-import, nothing stored from a bad file.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use truce_access::Policy;
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
    let first = import(&store, &shipped(), &Policy::shipped()).unwrap();
    assert_eq!(first.report.import, Some(1));
    assert!(first.report.items_added > 50, "{:?}", first.report);
    assert_eq!(first.report.history_added, 37, "every [[pledges.history]] entry of positions.toml");
    assert_eq!(first.report.progress_added, 8);
    let before = dump(dir.path());
    let again = import(&store, &shipped(), &Policy::shipped()).unwrap();
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
    import(&store, &shipped(), &Policy::shipped()).unwrap();
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
    let r = import(&store, std::slice::from_ref(&later), &Policy::shipped()).unwrap();
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
    let again = import(&store, &shipped(), &Policy::shipped()).unwrap();
    assert!(again.report.is_empty(), "{:?}", again.report);
    let c = load(&store).unwrap();
    assert_eq!(c.history.iter().filter(|e| e.pledge == "deu-land").count(), 3);
}

#[test]
fn a_file_with_errors_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    import(&store, &shipped(), &Policy::shipped()).unwrap();
    let before = dump(dir.path());
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[nations]]\nid = \"NOR\"\nname = \"Norway\"\n\n[[units]]\nid = \"x\"\nname = \"X\"\nnation = \"NOR\"\ndomain = \"land\"\ntype = \"t\"\nsidc = \"bad\"\nstrength = 1\n",
    )
    .unwrap();
    match import(&store, &[bad], &Policy::shipped()) {
        Err(CoalitionError::Invalid(p)) => {
            assert_eq!(p.0.len(), 1, "{p}");
            assert!(p.0[0].to_string().ends_with("bad.toml:11: units[0].sidc: \"bad\" is not a symbol identification code: 20 digits (MIL-STD-2525D/E, APP-6 D) or 15 characters (2525C)"), "{p}");
        }
        other => panic!("{other:?}"),
    }
    // The valid nation in the same file was not stored either.
    assert_eq!(dump(dir.path()), before);
}

#[test]
fn an_unknown_release_code_is_refused_with_its_place_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    import(&store, &shipped(), &Policy::shipped()).unwrap();
    let before = dump(dir.path());
    let bad = dir.path().join("labels.toml");
    std::fs::write(
        &bad,
        "[[nations]]\nid = \"NOR\"\nname = \"Norway\"\nreleasable_to = [\"NATO\"]\n\n[[milestones]]\nid = \"m\"\ndate = \"2026-01-01\"\ntitle = \"T\"\nquote = \"Q\"\nsource = \"S\"\nreleasable_to = [\"GBR\", \"ATLANTIS\"]\n",
    )
    .unwrap();
    match import(&store, std::slice::from_ref(&bad), &Policy::shipped()) {
        Err(CoalitionError::Invalid(p)) => {
            assert_eq!(p.0.len(), 1, "{p}");
            let want = format!(
                "{}:12: milestones[0].releasable_to: \"ATLANTIS\" is not a nation or group of the NATO policy",
                bad.display()
            );
            assert_eq!(p.0[0].to_string(), want);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dump(dir.path()), before, "the valid nation was not stored either");
}

/// A viewer's coalition holds what it may see and no reference to what it may not: a plan it may see
/// loses the deployments of a unit it may not, a unit loses a hidden pledge, a hidden pledge's history
/// goes with it.
#[test]
fn a_viewer_reads_its_part_of_the_coalition_without_references_to_the_rest() {
    use truce_access::{Access, Role, Viewer};
    use truce_store::Scope;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    import(&store, &shipped(), &Policy::shipped()).unwrap();
    let labelled = dir.path().join("labelled.toml");
    std::fs::write(
        &labelled,
        r#"
[[pledges]]
id = "gbr-secret"
nation = "GBR"
domain = "land"
capability = "A detachment"
releasable_to = ["GBR", "FRA"]
[[pledges.history]]
date = "2026-10-01"
status = "committed"
source = "a minute"
quote = "a detachment"

[[units]]
id = "gbr-det"
name = "Detachment"
nation = "GBR"
domain = "land"
type = "infantry platoon"
sidc = "10031000151211000000"
strength = 40
pledge = "gbr-secret"

[[units]]
id = "gbr-hidden"
name = "Hidden company"
nation = "GBR"
domain = "land"
type = "infantry company"
sidc = "10031000151211000000"
strength = 150
releasable_to = "GBR FRA"

[[plans]]
id = "labelled-plan"
name = "Labelled plan"
marking = "NATO CONFIDENTIAL"
releasable_to = ["NATO"]
[[plans.deployments]]
unit = "gbr-det"
place = "base-lublin"
from = "2026-12-01"
[[plans.deployments]]
unit = "gbr-hidden"
place = "base-lublin"
from = "2026-12-01"
"#,
    )
    .unwrap();
    import(&store, std::slice::from_ref(&labelled), &Policy::shipped()).unwrap();
    let policy = Policy::shipped();
    let viewer = |nation: &str, clearance: truce_core::Marking| Viewer {
        name: nation.to_lowercase(),
        nation: Some(nation.to_owned()),
        role: Role::Planner,
        clearance,
        categories: Default::default(),
    };
    let everything = load(&store).unwrap();
    let ita =
        load(&*store.scoped(Access::new(&policy, &viewer("ITA", truce_core::Marking::NatoConfidential)))).unwrap();
    let fra =
        load(&*store.scoped(Access::new(&policy, &viewer("FRA", truce_core::Marking::NatoConfidential)))).unwrap();
    let pol = load(&*store.scoped(Access::new(&policy, &viewer("POL", truce_core::Marking::NatoRestricted)))).unwrap();
    let jpn = load(&*store.scoped(Access::new(&policy, &viewer("JPN", truce_core::Marking::CosmicTopSecret)))).unwrap();

    let plan = |c: &truce_coalition::Coalition| {
        c.plans
            .iter()
            .find(|p| p.id == "labelled-plan")
            .map(|p| p.deployments.iter().map(|d| d.unit.clone()).collect::<Vec<_>>())
    };
    assert_eq!(plan(&everything), Some(vec!["gbr-det".to_owned(), "gbr-hidden".to_owned()]));
    assert_eq!(plan(&fra), Some(vec!["gbr-det".to_owned(), "gbr-hidden".to_owned()]));
    assert_eq!(plan(&ita), Some(vec!["gbr-det".to_owned()]), "Italy sees the plan without the hidden unit");
    assert_eq!(plan(&pol), None, "a NATO CONFIDENTIAL plan is hidden from a RESTRICTED viewer");
    let det =
        |c: &truce_coalition::Coalition| c.units.iter().find(|u| u.id == "gbr-det").and_then(|u| u.pledge.clone());
    assert_eq!(det(&fra).as_deref(), Some("gbr-secret"));
    assert_eq!(det(&ita), None, "the unit without the pledge Italy may not see");
    assert!(!ita.history.iter().any(|h| h.pledge == "gbr-secret"));
    assert!(fra.history.iter().any(|h| h.pledge == "gbr-secret"));
    assert!(jpn.nations.is_empty() && jpn.plans.is_empty(), "Japan is outside the default release (MNFU)");
    // Nothing of what Italy may not see is in anything computed from its coalition.
    let text = format!("{:?}{}", ita, serde_json::to_string(&truce_coalition::summary::summary(&ita)).unwrap());
    for hidden in ["gbr-secret", "gbr-hidden", "Hidden company", "a minute"] {
        assert!(!text.contains(hidden), "{hidden} reaches Italy");
    }
}
