//! The embedded SQLite implementation of [`Store`](crate::Store): one data directory, one database file.
//!
//! One writer connection behind a mutex (SQLite has one writer at a time anyway) and a separate reader
//! connection, so queries run while a batch commits (WAL). Migrations are SQL files applied in order,
//! tracked by `PRAGMA user_version`.
//!
//! Positions are indexed in two levels: an R*Tree over the occupied 0.1° cells, and a B-tree from day
//! and cell to rows. A spatial query asks the R*Tree for the cells touching its box, takes their rows
//! on each day of its time range, and rechecks every stored position exactly (the R*Tree's float32
//! boxes are rounded outwards anyway). This keeps inserts at one B-tree entry per row, on the last
//! days' pages of the index when reports come in time order (see migrations 0001 and 0016 for the
//! measured reasons).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use truce_access::Access;

pub(crate) use crate::observations::{from_ms, to_ms};
use crate::{CaseUpdateError, StoreError};

mod coalition;
mod journal;
mod marti;
mod observations;
mod tracks;
mod users;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_observations.sql"),
    include_str!("migrations/0002_alerts_cases.sql"),
    include_str!("migrations/0003_coalition.sql"),
    include_str!("migrations/0004_tracks.sql"),
    include_str!("migrations/0005_users.sql"),
    include_str!("migrations/0006_labels.sql"),
    include_str!("migrations/0007_alert_audience.sql"),
    include_str!("migrations/0008_coalition_labels.sql"),
    include_str!("migrations/0009_observation_versions.sql"),
    include_str!("migrations/0010_marti.sql"),
    include_str!("migrations/0011_alert_acks.sql"),
    include_str!("migrations/0012_track_time.sql"),
    include_str!("migrations/0013_observation_days.sql"),
    include_str!("migrations/0014_observation_days_batch.sql"),
    include_str!("migrations/0015_kept_days.sql"),
    include_str!("migrations/0016_observations_day_cell.sql"),
    include_str!("migrations/0017_observations_id_index.sql"),
];

/// The unique index of observation ids (migration 0017), which a bulk load into an empty store drops
/// and builds after its rows ([`ObservationStore::defer_indexes`](crate::ObservationStore::defer_indexes)):
/// the statement that makes it when it is missing, run at every open too, so that a load that was
/// interrupted leaves no store without it.
const ID_INDEX: &str = "CREATE UNIQUE INDEX IF NOT EXISTS observations_id ON observations (id)";

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "truce.sqlite";

/// Observations on an embedded SQLite database. See the crate documentation for durability.
///
/// A handle reads as one viewer ([`Scope::access`](crate::Scope::access)): the handle
/// [`SqliteStore::open`] returns reads everything (the operator's), and
/// [`Scope::scoped`](crate::Scope::scoped) makes a handle on the same connections that adds the
/// viewer's predicate to every read.
#[derive(Clone)]
pub struct SqliteStore {
    shared: Arc<Shared>,
    access: Access,
}

struct Shared {
    writer: Mutex<Writer>,
    reader: Mutex<Connection>,
    path: PathBuf,
}

/// The writer connection, the cells already in the R*Tree, and while a bulk load has the id index
/// dropped, the ids it stored.
pub(crate) struct Writer {
    pub(crate) conn: Connection,
    cells: std::collections::HashSet<i64>,
    deferred: Option<observations::LoadedIds>,
}

/// Cells are 0.1° on a side (about 11 km by 7 km in Ukraine).
const CELLS_PER_DEGREE: f64 = 10.0;

/// Cells in a row of the grid (one more than 360° needs, for longitude 180 itself).
const ROW: i64 = 360 * CELLS_PER_DEGREE as i64 + 1;

/// The cell holding a position: row-major from (-180, -90).
pub(crate) fn cell_of(lat: f64, lon: f64) -> i64 {
    let x = ((lon + 180.0) * CELLS_PER_DEGREE).floor().clamp(0.0, 360.0 * CELLS_PER_DEGREE) as i64;
    let y = ((lat + 90.0) * CELLS_PER_DEGREE).floor().clamp(0.0, 180.0 * CELLS_PER_DEGREE) as i64;
    y * ROW + x
}

/// The box of a cell: (min_lon, max_lon, min_lat, max_lat).
pub(crate) fn cell_box(cell: i64) -> (f64, f64, f64, f64) {
    let (y, x) = (cell / ROW, cell % ROW);
    let lon = x as f64 / CELLS_PER_DEGREE - 180.0;
    let lat = y as f64 / CELLS_PER_DEGREE - 90.0;
    (lon, lon + 1.0 / CELLS_PER_DEGREE, lat, lat + 1.0 / CELLS_PER_DEGREE)
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.shared.path).field("access", &self.access).finish()
    }
}

/// Page cache of the writer connection, KiB: index pages of a large store stay in memory while a bulk
/// load updates them.
const WRITER_CACHE_KIB: i64 = 262_144;

/// Page cache of the reader connection, KiB. Reads of a large store are spread over a year of pages
/// that the operating system caches anyway, and a busy day's rows (27 MB with ten million a year) do
/// not fit a cache of any reasonable size: with 32 MiB instead of 256 MiB a server on ten million
/// observations held 578 MB instead of 784–1,024 MB; with 8 MiB instead of 32 MiB it holds 141 MB
/// instead of 183 MB at rest after the benchmark's requests (82 instead of 131 MB on one million), the
/// daily report as fast (148–165 ms against 158–166 ms at 10 M) and a day's list of 10,000 a few
/// milliseconds slower (92 against 76–88 ms): a fresh `truce serve` per size on `scripts/bench-year`'s
/// stores (README "A year of a mission").
const READER_CACHE_KIB: i64 = 8_192;

fn open_connection(path: &Path, cache_kib: i64) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // 16 KiB pages for a new database (ignored once it exists): rows are ~600 bytes of JSON, and larger
    // pages cut B-tree work on bulk loads by about 10% (measured with `scripts/bench --ingest`).
    conn.pragma_update(None, "page_size", 16_384)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Plans that do not depend on the values bound: without this SQLite prepares a statement joining
    // two tables again at every run (the session lookup of every request, for one), since its planner
    // may use a parameter's value there; truce keeps no statistics whose use would need the values.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoint the log into the database every 4,096 pages (64 MiB) rather than every 1,000: fewer,
    // larger sequential writes during bulk loads; readers are unaffected.
    conn.pragma_update(None, "wal_autocheckpoint", 4_096)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`, applying pending migrations.
    ///
    /// # Errors
    /// When the directory cannot be created, the database cannot be opened, or its schema is newer
    /// than this program.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| StoreError::DataDir { path: data_dir.to_path_buf(), source })?;
        let path = data_dir.join(DATABASE_FILE);
        let mut conn = open_connection(&path, WRITER_CACHE_KIB)?;
        migrate(&mut conn)?;
        conn.execute_batch(ID_INDEX)?;
        let cells =
            conn.prepare("SELECT cell FROM cells_rtree")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let reader = open_connection(&path, READER_CACHE_KIB)?;
        let writer = Writer { conn, cells, deferred: None };
        let shared = Shared { writer: Mutex::new(writer), reader: Mutex::new(reader), path };
        Ok(Self { shared: Arc::new(shared), access: Access::all() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    pub(crate) fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic while holding the lock cannot leave a transaction open (rusqlite rolls back on drop),
        // so a poisoned lock is still safe to use.
        self.shared.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.shared.reader.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl crate::Scope for SqliteStore {
    fn scoped(&self, access: Access) -> Arc<dyn crate::Store> {
        Arc::new(Self { shared: Arc::clone(&self.shared), access })
    }

    fn access(&self) -> &Access {
        &self.access
    }

    fn release_memory(&self) {
        // `try_lock`: a connection in use is in the middle of work that needs its cache.
        let writer = self.shared.writer.try_lock().ok();
        let reader = self.shared.reader.try_lock().ok();
        for conn in writer.as_ref().map(|w| &w.conn).into_iter().chain(reader.as_deref()) {
            if let Err(e) = conn.release_memory() {
                tracing::debug!("store: releasing a connection's cache failed: {e}");
            }
        }
    }
}

impl SqliteStore {
    /// The access predicate over a table's label columns (`prefix` is the table's alias and a dot, or
    /// empty), and the time column that dates the record.
    pub(crate) fn visible(&self, prefix: &str, time: &str) -> String {
        self.access.sql(
            &format!("{prefix}rank"),
            &format!("{prefix}rel"),
            &format!("{prefix}cats"),
            &format!("{prefix}{time}"),
        )
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(StoreError::TooNew { found: version, supported });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

impl From<rusqlite::Error> for CaseUpdateError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::{OptionalExtension, StatementStatus};

    use super::*;

    /// Migration 0017 makes the table again: a store of the schema before it keeps every row with its
    /// `seq` and every column, its indexes and its day counters' triggers, and its ids stay unique.
    #[test]
    fn the_id_index_migration_keeps_every_row_index_and_trigger() {
        use crate::ObservationStore;
        use crate::conformance::observations::observation;
        use truce_core::Category;
        let dir = std::env::temp_dir().join(format!("truce-m17-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join(DATABASE_FILE);
        let mut conn = open_connection(&path, 1024).expect("connection");
        for (i, sql) in MIGRATIONS[..16].iter().enumerate() {
            let tx = conn.transaction().expect("tx");
            tx.execute_batch(sql).expect("migration");
            tx.pragma_update(None, "user_version", i as i64 + 1).expect("version");
            tx.commit().expect("commit");
        }
        for (seq, id) in [(7, "a"), (9, "b")] {
            conn.execute(
                "INSERT INTO observations (seq, id, time_ms, time_end_ms, lat, lon, cell, category, received_ms, body,
                 classification, zones, violations, rank, rel, cats, version, withdrawn, recorded_by)
                 VALUES (?1, ?2, 86400000, NULL, 48.5, 37.5, 5, 'muzzle_flash', 3, '{}', '{}', ',', ',', 1, 'r', 'c', 2, 0, 'gbr')",
                rusqlite::params![seq, id],
            )
            .expect("a row of the old schema");
        }
        let rows = |c: &Connection| -> Vec<String> {
            let mut stmt = c.prepare("SELECT * FROM observations ORDER BY seq").expect("select");
            let n = stmt.column_count();
            stmt.query_map([], |r| {
                (0..n).map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}"))).collect()
            })
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows")
        };
        let schema = |c: &Connection| -> Vec<String> {
            let mut stmt = c
                .prepare("SELECT type || ' ' || name FROM sqlite_master WHERE tbl_name = 'observations' ORDER BY 1")
                .expect("schema");
            stmt.query_map([], |r| r.get(0)).expect("schema").collect::<Result<_, _>>().expect("schema")
        };
        let before = rows(&conn);
        assert_eq!(
            schema(&conn),
            [
                "index observations_day_cell",
                "index observations_time",
                "index sqlite_autoindex_observations_1",
                "table observations",
                "trigger observation_days_delete",
                "trigger observation_days_update"
            ]
        );
        drop(conn);

        let store = SqliteStore::open(&dir).expect("migrated");
        let conn = store.reader();
        assert_eq!(rows(&conn), before, "every row and column, seq included");
        assert_eq!(
            schema(&conn),
            [
                "index observations_day_cell",
                "index observations_id",
                "index observations_time",
                "table observations",
                "trigger observation_days_delete",
                "trigger observation_days_update"
            ]
        );
        drop(conn);
        let changes = || store.day_changes(0, 3).expect("counters").iter().find(|d| d.0 == 1).map_or(0, |d| d.1);
        let counted = changes();
        store.writer().conn.execute("UPDATE observations SET withdrawn = 1 WHERE id = 'b'", []).expect("update");
        assert_eq!(changes(), counted + 2, "the update trigger counts the change");
        let r = store.insert(&[observation("a", 0, 48.5, 37.5, Category::MuzzleFlash)]);
        assert!(matches!(r, Err(StoreError::Conflict(_))), "ids are unique: {r:?}");
        let c = store.insert(&[observation("c", 0, 48.5, 37.5, Category::MuzzleFlash)]).expect("a new row");
        assert_eq!(c.inserted, ["c"]);
        let seq: i64 =
            store.reader().query_row("SELECT seq FROM observations WHERE id = 'c'", [], |r| r.get(0)).expect("seq");
        assert_eq!(seq, 10, "seq goes on after the copied rows");
        drop(store);
        std::fs::remove_dir_all(&dir).expect("remove");
    }

    #[test]
    fn a_statement_joining_tables_is_prepared_once_whatever_the_values_bound() {
        let dir = std::env::temp_dir().join(format!("truce-qpsg-{}", std::process::id()));
        let store = SqliteStore::open(&dir).expect("store");
        for conn in [&store.writer().conn, &*store.reader()] {
            let sql = "SELECT s.user, u.nation FROM sessions s JOIN users u ON u.name = s.user WHERE s.token_hash = ?1";
            for n in 0u8..3 {
                let mut stmt = conn.prepare_cached(sql).expect("prepare");
                let found: Option<String> = stmt.query_row([&[n; 32][..]], |r| r.get(0)).optional().expect("query");
                assert_eq!(found, None);
                assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "run {n}: prepared again");
            }
        }
        std::fs::remove_dir_all(&dir).expect("remove");
    }
}
