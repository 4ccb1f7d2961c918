//! The PostgreSQL backend on a real server (`TRUCE_TEST_POSTGRES`, a URL to a database where PostGIS is
//! installed and the user may create schemas; `scripts/test` starts one with `scripts/pg`): the whole
//! behaviour suite, each test in a schema of its own (`?schema=`) that is dropped afterwards.

use std::sync::atomic::{AtomicU32, Ordering};

use truce_store::PgStore;

/// A schema of the test database, dropped when the test ends.
pub struct Schema {
    url: String,
    /// The schema's name.
    pub name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

/// The test server's URL.
pub fn server() -> String {
    std::env::var("TRUCE_TEST_POSTGRES").expect(
        "TRUCE_TEST_POSTGRES must name a PostgreSQL database with PostGIS (scripts/test starts one with scripts/pg)",
    )
}

/// A fresh schema name, and the URL that opens a store in it (the store makes the schema).
pub fn schema() -> (Schema, String) {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let url = server();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name = format!("t{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let sep = if url.contains('?') { '&' } else { '?' };
    let store_url = format!("{url}{sep}schema={name}");
    (Schema { url, name }, store_url)
}

/// A fresh, empty store.
pub fn open() -> (Schema, PgStore) {
    let (schema, url) = schema();
    let store = PgStore::open(&url).unwrap();
    (schema, store)
}

truce_store::conformance_suite!(open);

#[test]
fn a_newer_schema_is_refused() {
    let (schema, url) = schema();
    drop(PgStore::open(&url).unwrap());
    let mut admin = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("UPDATE {}.truce_schema SET version = 99", schema.name)).unwrap();
    assert!(matches!(PgStore::open(&url), Err(truce_store::StoreError::TooNew { found: 99, .. })));
}

#[test]
fn reopening_keeps_everything_and_migrates_nothing_twice() {
    use truce_core::Category;
    use truce_store::ObservationStore;
    use truce_store::conformance::observations::observation;
    let (_schema, url) = schema();
    let kept = observation("kept", 0, 48.5, 37.5, Category::ExplosionImpact);
    PgStore::open(&url).unwrap().insert(std::slice::from_ref(&kept)).unwrap();
    let store = PgStore::open(&url).unwrap();
    assert_eq!(store.get("kept").unwrap(), Some(kept));
}

/// Batches large enough to be copied (`COPY … FROM STDIN (FORMAT binary)`) answer as the embedded
/// store does: new rows stored, resent ones reported as duplicates, a conflict refusing the whole
/// batch.
#[test]
fn a_copied_batch_answers_as_the_embedded_store() {
    use truce_core::Category;
    use truce_store::conformance::observations::observation;
    use truce_store::{ObservationStore, SqliteStore};
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path()).unwrap();
    let (_schema, pg) = open();
    let batch = |from: usize, n: usize| -> Vec<_> {
        (from..from + n)
            .map(|i| observation(&format!("b{i:05}"), i as i64, 47.0 + i as f64 * 1e-4, 36.0, Category::MuzzleFlash))
            .collect()
    };
    let answer = |r: Result<truce_store::InsertReport, truce_store::StoreError>| match r {
        Ok(r) => format!(
            "{} new {:?}, {} duplicates {:?}",
            r.inserted.len(),
            r.inserted.first(),
            r.duplicates.len(),
            r.duplicates.last()
        ),
        Err(e) => e.to_string(),
    };
    let mut conflicting = batch(1_500, 600);
    conflicting[599].observation.lat = 10.0;
    for b in [batch(0, 1_000), batch(500, 1_000), batch(1_500, 600), conflicting, batch(2_100, 300)] {
        assert_eq!(answer(pg.insert(&b)), answer(sqlite.insert(&b)));
    }
    assert_eq!(pg.count().unwrap(), 2_400);
    let all = truce_store::Query { limit: 10_000, ..Default::default() };
    assert_eq!(pg.query(&all).unwrap().items, sqlite.query(&all).unwrap().items);
}

/// When another writer stores one of a copied batch's ids between the check and the copy, the copy
/// fails on the unique index; the batch is then inserted row by row, with the same answer. (A trigger
/// plays the other writer: it refuses the row twice, as the unique index would: the copy of the whole
/// chunk fails, the probe finds the id not stored, and the copy of the new rows fails too.)
#[test]
fn a_copy_that_meets_a_concurrent_insert_falls_back_to_row_by_row() {
    use truce_core::Category;
    use truce_store::ObservationStore;
    use truce_store::conformance::observations::observation;
    let (schema, pg) = open();
    let mut admin = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "SET search_path = {0}, public;
             CREATE SEQUENCE once;
             CREATE FUNCTION refuse_once() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.id = 'late' AND nextval('{0}.once') <= 2 THEN
                     RAISE EXCEPTION 'duplicate key (a test)' USING ERRCODE = 'unique_violation';
                 END IF;
                 RETURN NEW;
             END $$;
             CREATE TRIGGER refuse_once BEFORE INSERT ON observations FOR EACH ROW EXECUTE FUNCTION refuse_once();",
            schema.name
        ))
        .unwrap();
    let mut batch: Vec<_> =
        (0..400).map(|i| observation(&format!("c{i:03}"), i, 47.0, 36.0, Category::MuzzleFlash)).collect();
    batch.push(observation("late", 500, 47.0, 36.0, Category::MuzzleFlash));
    let report = pg.insert(&batch).unwrap();
    assert_eq!((report.inserted.len(), report.duplicates.len()), (401, 0));
    let once: i64 = admin.query_one(&format!("SELECT last_value FROM {}.once", schema.name), &[]).unwrap().get(0);
    assert_eq!(once, 3, "both copies met the refusal, the row-by-row insert did not");
    assert_eq!(pg.count().unwrap(), 401);
}

/// Whether the spatial index of the store at `url` (in schema `schema`) exists.
fn spatial_index(schema: &Schema) -> bool {
    let mut admin = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    admin
        .query_opt(
            "SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = 'observations_geom'",
            &[&schema.name],
        )
        .unwrap()
        .is_some()
}

/// Whether the planner has statistics of the observations of the store in schema `schema`.
fn analyzed(schema: &Schema) -> bool {
    let mut admin = postgres::Client::connect(&schema.url, postgres::NoTls).unwrap();
    let n: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_stats WHERE schemaname = $1 AND tablename = 'observations'",
            &[&schema.name],
        )
        .unwrap()
        .get(0);
    n > 0
}

/// A bulk load ends with the planner's statistics of its rows (before autovacuum would gather them).
#[test]
fn a_bulk_load_leaves_the_planner_statistics_of_its_rows() {
    use truce_core::Category;
    use truce_store::ObservationStore;
    use truce_store::conformance::observations::observation;
    let (schema, url) = schema();
    let store = PgStore::open(&url).unwrap();
    assert!(store.defer_indexes().unwrap(), "an empty store defers");
    let rows: Vec<_> = (0..50)
        .map(|i| observation(&format!("o{i}"), i, 48.0, 37.0 + i as f64 * 0.01, Category::MuzzleFlash))
        .collect();
    store.insert(&rows).unwrap();
    assert!(!analyzed(&schema), "no statistics before the load's end");
    store.build_indexes().unwrap();
    assert!(analyzed(&schema), "statistics after it");
}

/// A bulk load into an empty store drops the spatial index and builds it after the rows; into a store
/// that holds observations it keeps it; a load that never built it again (the process killed) leaves a
/// store whose next open builds it. Spatial reads answer the same with and without it.
#[test]
fn a_bulk_load_builds_the_spatial_index_after_its_rows_and_only_into_an_empty_store() {
    use truce_core::Category;
    use truce_store::conformance::observations::observation;
    use truce_store::{ObservationStore, Query};
    let (schema, url) = schema();
    let store = PgStore::open(&url).unwrap();
    assert!(spatial_index(&schema));
    assert!(store.defer_indexes().unwrap(), "an empty store defers");
    assert!(!spatial_index(&schema));
    let near = observation("near", 0, 48.5, 37.5, Category::ExplosionImpact);
    let far = observation("far", 0, 46.5, 31.5, Category::ExplosionImpact);
    store.insert(&[near, far]).unwrap();
    let q = Query { bbox: Some([37.0, 48.0, 38.0, 49.0]), ..Query::default() };
    let ids = |s: &PgStore| s.query(&q).unwrap().items.iter().map(|o| o.observation.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&store), ["near"], "without the index");
    // Killed before building it: the next open does.
    drop(store);
    let store = PgStore::open(&url).unwrap();
    assert!(spatial_index(&schema));
    assert_eq!(ids(&store), ["near"], "with the index");
    assert!(!store.defer_indexes().unwrap(), "a store that holds observations keeps its index");
    assert!(spatial_index(&schema));
    store.build_indexes().unwrap();
    assert!(spatial_index(&schema));
}
