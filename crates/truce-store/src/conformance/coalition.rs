//! The coalition: imports that add and change, a pledge history that only ever grows, and reads that
//! answer only what the handle's viewer may see.

use std::collections::BTreeSet;

use time::macros::datetime;
use time::{Date, OffsetDateTime};
use truce_access::{Access, Policy, Role, Viewer};
use truce_core::{Label, Marking};

use crate::{CoalitionBatch, CoalitionItem, PledgeEvent, ProgressPoint, Store};

fn item(kind: &str, id: &str, body: &str) -> CoalitionItem {
    CoalitionItem {
        kind: kind.into(),
        id: id.into(),
        body: body.into(),
        file: "positions.toml".into(),
        line: 3,
        label: Label::default(),
    }
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
        label: Label::default(),
    }
}

fn progress(target: &str, date: &str, body: &str) -> ProgressPoint {
    ProgressPoint {
        target: target.into(),
        date: date.into(),
        body: body.into(),
        file: "regeneration.toml".into(),
        line: 2,
        label: Label::default(),
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

fn label(marking: Marking, rel: &[&str], cats: &[&str]) -> Label {
    Label {
        marking,
        releasable_to: rel.iter().map(|c| (*c).to_owned()).collect(),
        categories: cats.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn viewer(nation: &str, clearance: Marking, categories: &[&str]) -> Viewer {
    Viewer {
        name: format!("{nation}-{}", clearance.rank()),
        nation: Some(nation.to_owned()),
        role: Role::Planner,
        clearance,
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// A scoped handle reads exactly the entities, history entries and progress points its viewer may
/// see: each row's label checked with the access rule on the row's own time (an entity's first
/// import, an entry's date), for viewers of every clearance, nation and categories.
pub fn a_scoped_store_reads_exactly_the_visible_coalition(store: &dyn Store) {
    let policy = Policy::shipped();
    let markings = Marking::ALL;
    let releases: &[&[&str]] =
        &[&[], &["NATO"], &["GBR", "FRA"], &["PUBLIC"], &["UKR"], &["EU"], &["FVEY"], &["JPN"], &["MNFU"]];
    let categories: &[&[&str]] = &[&[], &["SOURCES"], &["SOURCES", "SIGINT"]];
    let dates = ["2019-06-01", "2022-12-31", "2023-06-01", "2024-01-10", "2025-09-04", "2026-11-01"];
    let (mut items, mut entries, mut points) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..90usize {
        let l = label(
            markings[i % markings.len()],
            releases[(i / 2) % releases.len()],
            categories[(i / 7) % categories.len()],
        );
        let kind = ["nation", "pledge", "unit", "plan", "place"][i % 5];
        items.push(CoalitionItem { label: l.clone(), ..item(kind, &format!("{kind}-{i:03}"), "{}") });
        let date = dates[(i / 3) % dates.len()];
        entries.push(PledgeEvent { label: l.clone(), ..event(&format!("pledge-{i:03}"), date, "committed", "{}") });
        points.push(ProgressPoint { label: l, ..progress(&format!("target-{i:03}"), date, "{}") });
    }
    let first = datetime!(2022-06-01 09:00 UTC);
    let batch = CoalitionBatch { files: vec!["labelled.toml".into()], items, history: entries, progress: points };
    store.import_coalition(&batch, first).expect("an import");
    // A later import changes every entity's body: its release is still expanded on its first import.
    let mut changed = batch.clone();
    for it in &mut changed.items {
        it.body = "{\"v\":2}".into();
    }
    store.import_coalition(&changed, datetime!(2026-11-02 09:00 UTC)).expect("a second import");

    let day = |d: &str| {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Date::parse(d, format).expect("a date").midnight().assume_utc()
    };
    let viewers = [
        viewer("GBR", Marking::CosmicTopSecret, &["SOURCES", "SIGINT"]),
        viewer("FIN", Marking::NatoSecret, &["SOURCES"]),
        viewer("SWE", Marking::NatoConfidential, &[]),
        viewer("JPN", Marking::NatoSecret, &["SOURCES", "SIGINT"]),
        viewer("UKR", Marking::NatoRestricted, &["SOURCES"]),
        viewer("FRA", Marking::NatoUnclassified, &[]),
        viewer("IRL", Marking::CosmicTopSecret, &["SOURCES"]),
    ];
    for v in &viewers {
        let access = Access::new(&policy, v);
        let scoped = store.scoped(access.clone());
        let want = |l: &Label, at: OffsetDateTime| access.permits(l, at);
        let got: BTreeSet<String> = scoped.coalition_items().expect("items").into_iter().map(|s| s.row.id).collect();
        let expect: BTreeSet<String> =
            changed.items.iter().filter(|it| want(&it.label, first)).map(|it| it.id.clone()).collect();
        assert_eq!(got, expect, "entities as {}", v.name);
        let got: BTreeSet<String> =
            scoped.pledge_history().expect("history").into_iter().map(|s| s.row.pledge).collect();
        let expect: BTreeSet<String> =
            changed.history.iter().filter(|h| want(&h.label, day(&h.date))).map(|h| h.pledge.clone()).collect();
        assert_eq!(got, expect, "history as {}", v.name);
        let got: BTreeSet<String> =
            scoped.regeneration_progress().expect("progress").into_iter().map(|s| s.row.target).collect();
        let expect: BTreeSet<String> =
            changed.progress.iter().filter(|p| want(&p.label, day(&p.date))).map(|p| p.target.clone()).collect();
        assert_eq!(got, expect, "progress as {}", v.name);
        assert!(scoped.coalition_imports().expect("imports").is_empty(), "the import log is the operator's");
        // Labels come back as they were given.
        for s in scoped.coalition_items().expect("items") {
            let given = changed.items.iter().find(|it| it.id == s.row.id).expect("given");
            assert_eq!(s.row.label, given.label);
        }
    }
    // The dated membership: Finland sees an entry released to NATO from its accession day on, and an
    // entity first recorded before it not at all.
    let fin = store.scoped(Access::new(&policy, &viewers[1]));
    let nato = label(Marking::NatoUnclassified, &["NATO"], &[]);
    let dated = CoalitionBatch {
        files: vec!["nato.toml".into()],
        items: vec![CoalitionItem { label: nato.clone(), ..item("unit", "nato-2022", "{}") }],
        history: vec![
            PledgeEvent { label: nato.clone(), ..event("nato-pledge", "2023-04-03", "undecided", "{}") },
            PledgeEvent { label: nato.clone(), ..event("nato-pledge", "2023-04-04", "committed", "{}") },
        ],
        progress: vec![],
    };
    store.import_coalition(&dated, datetime!(2023-04-03 23:59 UTC)).expect("an import");
    let dates: Vec<String> = fin
        .pledge_history()
        .expect("history")
        .into_iter()
        .filter(|s| s.row.pledge == "nato-pledge")
        .map(|s| s.row.date)
        .collect();
    assert_eq!(dates, ["2023-04-04"]);
    assert!(!fin.coalition_items().expect("items").iter().any(|s| s.row.id == "nato-2022"));
    assert_eq!(store.coalition_imports().expect("imports").len(), 3, "the operator reads the log");
}

/// A row whose body is the same but whose label changed is a change: an import can relabel, and the
/// new label governs the reads at once.
pub fn an_import_that_only_relabels_is_a_change(store: &dyn Store) {
    let batch = CoalitionBatch {
        files: vec!["a.toml".into()],
        items: vec![item("plan", "draft", "{}")],
        history: vec![event("fra-land", "2025-09-04", "committed", "{}")],
        progress: vec![progress("strength", "2026-01-01", "{}")],
    };
    store.import_coalition(&batch, datetime!(2026-11-01 09:00 UTC)).expect("an import");
    let secret = label(Marking::NatoSecret, &["GBR"], &[]);
    let mut relabelled = batch.clone();
    relabelled.items[0].label = secret.clone();
    relabelled.history[0].label = secret.clone();
    relabelled.progress[0].label = secret.clone();
    let r = store.import_coalition(&relabelled, datetime!(2026-11-02 09:00 UTC)).expect("an import");
    assert_eq!((r.items_changed, r.history_changed, r.progress_changed), (1, 1, 1), "{r:?}");
    assert_eq!(store.coalition_items().expect("items")[0].row.label, secret);
    assert_eq!(store.pledge_history().expect("history")[0].row.label, secret);
    let policy = Policy::shipped();
    let fra = store.scoped(Access::new(&policy, &viewer("FRA", Marking::CosmicTopSecret, &[])));
    assert!(fra.coalition_items().expect("items").is_empty());
    assert!(fra.pledge_history().expect("history").is_empty());
    assert!(fra.regeneration_progress().expect("progress").is_empty());
    let gbr = store.scoped(Access::new(&policy, &viewer("GBR", Marking::NatoSecret, &[])));
    assert_eq!(gbr.coalition_items().expect("items").len(), 1);
    // The same content again changes nothing.
    let r = store.import_coalition(&relabelled, datetime!(2026-11-03 09:00 UTC)).expect("an import");
    assert!(r.is_empty(), "{r:?}");
}

/// A history entry or progress point whose date is not `YYYY-MM-DD` is refused, with nothing of its
/// import stored.
pub fn a_dated_row_without_a_date_is_refused(store: &dyn Store) {
    let batch = CoalitionBatch {
        files: vec!["a.toml".into()],
        items: vec![item("nation", "EST", "{}")],
        history: vec![event("est-sea", "soon", "committed", "{}")],
        progress: vec![],
    };
    assert!(store.import_coalition(&batch, datetime!(2026-11-01 09:00 UTC)).is_err());
    assert!(store.coalition_items().expect("items").is_empty());
}
