//! The SQLite backend on real database files: the whole behaviour suite, and what only a file-backed
//! store has (surviving a reopen, refusing a newer schema, a failure inside a transaction).

use time::macros::datetime;
use truce_core::{ActionRow, AlertRow, CaseRow, Category, GeofenceKind};
use truce_store::conformance::observations::observation;
use truce_store::conformance::tracks::{fence, point};
use truce_store::{JournalStore, ObservationStore, SqliteStore, StoreError, TrackStore};

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    (dir, store)
}

truce_store::conformance_suite!(open);

#[test]
fn everything_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let at = datetime!(2026-11-22 08:00 UTC);
    let kept = observation("kept", 0, 48.5, 37.5, Category::ExplosionImpact);
    let case_id = {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.insert(std::slice::from_ref(&kept)).unwrap();
        store.set_agreement_fingerprint("abc").unwrap();
        store.insert_tracks(&[point("T1", "a-f-G-U-C", 0, 60)], &[fence("T1", 0, GeofenceKind::Enter)]).unwrap();
        store
            .record_alert(&AlertRow {
                seq: 0,
                at,
                scope: "line".into(),
                level: "high".into(),
                previous: "normal".into(),
                body: "{}".into(),
                label: Default::default(),
                audience: "*".into(),
            })
            .unwrap();
        let case = CaseRow {
            id: String::new(),
            opened_at: at,
            title: "t".into(),
            stage: "evidence".into(),
            body: "{}".into(),
            label: Default::default(),
        };
        store.open_case(&case, &ActionRow { seq: 0, at, actor: "a".into(), body: "{}".into() }).unwrap()
    };
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.get("kept").unwrap(), Some(kept));
    assert_eq!(store.agreement_fingerprint().unwrap().as_deref(), Some("abc"));
    assert_eq!(store.track_history("T1", 10).unwrap().len(), 1);
    assert_eq!(store.latest_tracks(at).unwrap().len(), 1);
    assert_eq!(store.geofence_events(0, 10).unwrap().len(), 1);
    assert_eq!(store.latest_alerts().unwrap().len(), 1);
    assert!(store.case(&case_id).unwrap().is_some());
    // Spatial queries still find the cells indexed before the reopen, and new rows in them.
    store.insert(&[observation("near", 1, 48.51, 37.51, Category::MuzzleFlash)]).unwrap();
    let q = truce_store::Query { near: Some((48.5, 37.5, 5.0)), limit: 10, ..Default::default() };
    assert_eq!(store.query(&q).unwrap().items.len(), 2);
}

#[test]
fn a_failure_inside_the_transaction_stores_nothing_of_the_batch() {
    let (dir, store) = open();
    // A trigger makes the database itself refuse the second row, after the first was written.
    let conn = rusqlite::Connection::open(dir.path().join(truce_store::DATABASE_FILE)).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON observations WHEN NEW.id = 'refused'
         BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;",
    )
    .unwrap();
    drop(conn);
    let batch = [
        observation("first", 0, 48.5, 37.5, Category::ExplosionImpact),
        observation("refused", 1, 10.0, 10.0, Category::ExplosionImpact),
    ];
    let err = store.insert(&batch).unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err}");
    assert_eq!(store.count().unwrap(), 0);
    // The cell the refused batch's first row indexed was rolled back and forgotten: a later row there
    // indexes it again and a box query finds it.
    store.insert(&[observation("later", 2, 48.5, 37.5, Category::MuzzleFlash)]).unwrap();
    let q = truce_store::Query { bbox: Some([37.0, 48.0, 38.0, 49.0]), limit: 10, ..Default::default() };
    assert_eq!(store.query(&q).unwrap().items.len(), 1);
}

/// The unique index of ids in the database file, as SQLite lists it.
fn id_index(dir: &std::path::Path) -> Option<bool> {
    let conn = rusqlite::Connection::open(dir.join(truce_store::DATABASE_FILE)).unwrap();
    let mut stmt = conn
        .prepare("SELECT \"unique\" FROM pragma_index_list('observations') WHERE name = 'observations_id'")
        .unwrap();
    stmt.query_row([], |r| r.get(0)).ok()
}

/// A bulk load into an empty file drops the unique index of ids and builds it after its rows; a load
/// killed before building it (its store dropped without `build_indexes`) leaves a file whose next open
/// builds it, and the ids stored meanwhile are unique and found.
#[test]
fn the_id_index_is_built_after_a_first_load_and_by_the_next_open_after_a_killed_one() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(id_index(dir.path()), Some(true), "a new store has it, unique");
    assert!(store.defer_indexes().unwrap());
    assert_eq!(id_index(dir.path()), None, "dropped for the load");
    let rows: Vec<_> = (0..300).map(|i| observation(&format!("k{i}"), i, 48.0, 37.0, Category::MuzzleFlash)).collect();
    store.insert(&rows[..200]).unwrap();
    store.build_indexes().unwrap();
    assert_eq!(id_index(dir.path()), Some(true), "built after the rows");
    drop(store);

    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(store.defer_indexes().unwrap());
    store.insert(&rows[..200]).unwrap();
    drop(store);
    assert_eq!(id_index(dir.path()), None, "killed before building it");
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(id_index(dir.path()), Some(true), "the next open builds it");
    let r = store.insert(&rows[150..]).unwrap();
    assert_eq!((r.inserted.len(), r.duplicates.len()), (100, 50));
    assert_eq!(store.count().unwrap(), 300);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join(truce_store::DATABASE_FILE)).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    assert!(matches!(SqliteStore::open(dir.path()), Err(StoreError::TooNew { found: 99, .. })));
}

#[test]
fn users_and_sessions_survive_reopening() {
    use truce_store::conformance::users::{PHC, session, user};
    use truce_store::{SessionKind, UserStore};
    let dir = tempfile::tempdir().unwrap();
    let at = datetime!(2026-11-22 08:00 UTC);
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.add_user(&user("alpha", "FRA", truce_access::Role::Monitor), PHC).unwrap();
        store.create_session(&session(9, "alpha", SessionKind::Api, at, None)).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.credentials("alpha").unwrap().unwrap().1, PHC);
    assert_eq!(store.session(&[9; 32]).unwrap().unwrap().0.expires, None);
}

#[test]
fn files_missions_and_their_log_survive_reopening() {
    use truce_store::conformance::marti::{file, hash, mission};
    use truce_store::{ContentRef, MartiStore, MissionRole, Subscription};
    let dir = tempfile::tempdir().unwrap();
    let at = datetime!(2026-11-22 08:00 UTC);
    let f = file(1, "route.zip", 0);
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.put_file(&f).unwrap();
        store.create_mission(&mission("m")).unwrap();
        let s = Subscription {
            mission: "m".into(),
            client_uid: "ANDROID-1".into(),
            user: "alice".into(),
            role: MissionRole::Owner,
            created: at,
        };
        store.subscribe(&s).unwrap();
        store.add_contents("m", &[ContentRef::File(hash(1))], "ANDROID-1", at).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.file(&f.hash).unwrap(), Some(f));
    assert_eq!(store.mission("m").unwrap(), Some(mission("m")));
    assert_eq!(store.all_subscriptions().unwrap().len(), 1);
    assert_eq!(store.contents("m").unwrap().len(), 1);
    assert_eq!(store.changes("m", None).unwrap().len(), 2);
}

#[test]
fn a_failure_while_logging_a_change_adds_no_content() {
    use truce_store::conformance::marti::mission;
    use truce_store::{ContentRef, MartiStore};
    let (dir, store) = open();
    store.create_mission(&mission("m")).unwrap();
    // The database refuses the log entry of the second item, after the first item and its entry
    // were written.
    let conn = rusqlite::Connection::open(dir.path().join(truce_store::DATABASE_FILE)).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON mission_changes WHEN NEW.content = 'refused'
         BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;",
    )
    .unwrap();
    drop(conn);
    let items = [ContentRef::Uid("first".into()), ContentRef::Uid("refused".into())];
    let err = store.add_contents("m", &items, "ANDROID-1", datetime!(2026-11-22 08:00 UTC)).unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err}");
    assert!(store.contents("m").unwrap().is_empty());
    assert_eq!(store.changes("m", None).unwrap().len(), 1, "only the creation");
}

#[test]
fn a_large_page_comes_back_whole_and_in_order_and_a_corrupt_row_in_it_is_named() {
    // Past its first 1,000 rows a page is decoded in chunks on a second thread while it is read: the
    // chunks must join in order, a full page must stop where the next begins, and the corrupt row
    // named must be the first in time order.
    let (dir, store) = open();
    let stored: Vec<_> = (0..10_700)
        .map(|k| observation(&format!("o{k:05}"), k, 48.0 + k as f64 * 1e-5, 37.5, Category::ExplosionImpact))
        .collect();
    store.insert(&stored).unwrap();
    let q = truce_store::Query { limit: truce_store::MAX_PAGE, ..Default::default() };
    let first = store.query(&q).unwrap();
    assert_eq!(first.items, stored[..10_000], "a full page: every row, in time order, decoded as inserted");
    let rest = store.query(&truce_store::Query { cursor: first.next.clone(), ..q.clone() }).unwrap();
    assert_eq!((rest.items.as_slice(), rest.next), (&stored[10_000..], None), "the next page starts after it");
    let corrupt = |ids: &[&str]| {
        let conn = rusqlite::Connection::open(dir.path().join(truce_store::DATABASE_FILE)).unwrap();
        for id in ids {
            conn.execute("UPDATE observations SET body = '{\"id\": ' WHERE id = ?1", [id]).unwrap();
        }
    };
    corrupt(&["o08000", "o02222"]);
    for named in ["o02222", "o00500"] {
        match store.query(&q) {
            Err(StoreError::Corrupt { id, reason }) => {
                assert_eq!((id.as_str(), reason.starts_with("body: ")), (named, true))
            }
            other => panic!("a corrupt row must fail the page naming the first ({named}): {other:?}"),
        }
        corrupt(&["o00500"]);
    }
}
