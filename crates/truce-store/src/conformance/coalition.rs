//! The coalition: imports that add and change, and a pledge history that only ever grows.

use time::macros::datetime;

use crate::{CoalitionBatch, CoalitionItem, PledgeEvent, ProgressPoint, Store};

fn item(kind: &str, id: &str, body: &str) -> CoalitionItem {
    CoalitionItem { kind: kind.into(), id: id.into(), body: body.into(), file: "positions.toml".into(), line: 3 }
}

fn event(pledge: &str, date: &str, status: &str, body: &str) -> PledgeEvent {
    PledgeEvent {
        pledge: pledge.into(),
        date: date.into(),
        status: status.into(),
        source: "https://example.org/statement".into(),
        body: body.into(),
        file: "positions.toml".into(),
        line: 7,
    }
}

fn progress(target: &str, date: &str, body: &str) -> ProgressPoint {
    ProgressPoint {
        target: target.into(),
        date: date.into(),
        body: body.into(),
        file: "regeneration.toml".into(),
        line: 2,
    }
}

/// History entries and progress points are added, never removed: a second import with other
/// entries keeps the first one's; a changed body replaces the entity and the words of an entry.
pub fn the_pledge_history_accumulates_across_imports(store: &dyn Store) {
    let first = CoalitionBatch {
        files: vec!["positions.toml".into()],
        items: vec![item("nation", "FRA", "{\"name\":\"France\"}"), item("pledge", "fra-land", "{\"v\":1}")],
        history: vec![event("fra-land", "2025-09-04", "conditional", "{\"words\":\"ready\"}")],
        progress: vec![progress("strength", "2026-01-01", "{\"value\":700000}")],
    };
    let r = store.import_coalition(&first, datetime!(2026-11-01 09:00 UTC)).expect("an import");
    assert_eq!((r.items_added, r.history_added, r.progress_added), (2, 1, 1));
    let one = r.import.expect("an import that changed something is numbered");
    let second = CoalitionBatch {
        files: vec!["positions-2.toml".into()],
        items: vec![item("pledge", "fra-land", "{\"v\":2}")],
        history: vec![
            event("fra-land", "2025-09-04", "conditional", "{\"words\":\"ready, subject to a vote\"}"),
            event("fra-land", "2026-01-06", "committed", "{\"words\":\"committed\"}"),
        ],
        progress: vec![progress("strength", "2026-06-01", "{\"value\":760000}")],
    };
    let r = store.import_coalition(&second, datetime!(2026-11-02 09:00 UTC)).expect("an import");
    assert_eq!((r.items_added, r.items_changed, r.history_added, r.history_changed, r.progress_added), (0, 1, 1, 1, 1));
    let two = r.import.expect("numbered");
    assert!(two > one);
    let items = store.coalition_items().expect("items");
    assert_eq!(items.len(), 2, "the nation of the first import stays");
    let pledge = items.iter().find(|s| s.row.id == "fra-land").expect("the pledge");
    assert_eq!((pledge.row.body.as_str(), pledge.import), ("{\"v\":2}", two));
    let history = store.pledge_history().expect("history");
    assert_eq!(history.len(), 2);
    let first_entry = history.iter().find(|s| s.row.date == "2025-09-04").expect("the first entry");
    assert_eq!(first_entry.row.body, "{\"words\":\"ready, subject to a vote\"}", "its words updated");
    assert_eq!(first_entry.import, one, "but it was first recorded by the first import");
    assert_eq!(first_entry.imported_at, datetime!(2026-11-01 09:00 UTC));
    assert_eq!(store.regeneration_progress().expect("progress").len(), 2);
    assert_eq!(store.coalition_imports().expect("imports").len(), 2);
}

/// Importing the same content again, even from another file, changes and logs nothing.
pub fn an_import_that_changes_nothing_writes_nothing(store: &dyn Store) {
    let batch = CoalitionBatch {
        files: vec!["a.toml".into()],
        items: vec![item("nation", "EST", "{\"name\":\"Estonia\"}")],
        history: vec![event("est-sea", "2025-09-04", "committed", "{}")],
        progress: vec![],
    };
    store.import_coalition(&batch, datetime!(2026-11-01 09:00 UTC)).expect("an import");
    let mut moved = batch.clone();
    moved.files = vec!["elsewhere/a.toml".into()];
    moved.items[0].file = "elsewhere/a.toml".into();
    moved.items[0].line = 99;
    let r = store.import_coalition(&moved, datetime!(2026-11-03 09:00 UTC)).expect("an import");
    assert!(r.is_empty() && r.import.is_none(), "{r:?}");
    assert_eq!(store.coalition_imports().expect("imports").len(), 1);
    assert_eq!(store.coalition_items().expect("items")[0].row.file, "positions.toml", "where it was first read from");
}
