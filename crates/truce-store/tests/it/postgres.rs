//! The PostgreSQL backend on a real server (`TRUCE_TEST_POSTGRES`, a URL to a database where PostGIS is
//! installed and the user may create schemas; `scripts/test` starts one with `scripts/pg`): the whole
//! behaviour suite, each test in a schema of its own (`?schema=`) that is dropped afterwards.

use std::sync::atomic::{AtomicU32, Ordering};

use truce_store::PgStore;

/// A schema of the test database, dropped when the test ends.
pub struct Schema {
    url: String,
    name: String,
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
