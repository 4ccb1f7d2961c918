//! The embedded SQLite implementation of [`Store`].
//!
//! One writer connection behind a mutex (SQLite has one writer at a time anyway) and a separate reader
//! connection, so queries run while a batch commits (WAL). Migrations are SQL files applied in order,
//! tracked by `PRAGMA user_version`.
//!
//! Positions are indexed in two levels: an R*Tree over the occupied 0.1° cells, and a B-tree from cell
//! to rows. A spatial query asks the R*Tree for the cells touching its box, takes their rows, and
//! rechecks every stored position exactly (the R*Tree's float32 boxes are rounded outwards anyway).
//! This keeps inserts at one B-tree entry per row (see the migration for the measured reason).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use time::OffsetDateTime;
use truce_core::{ClassificationRecord, Observation};

use crate::{InsertReport, MAX_PAGE, Page, Query, Stats, Store, StoreError, StoredObservation};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_observations.sql"),
    include_str!("migrations/0002_alerts_cases.sql"),
    include_str!("migrations/0003_coalition.sql"),
    include_str!("migrations/0004_tracks.sql"),
];

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "truce.sqlite";

/// Observations on an embedded SQLite database. See the crate documentation for durability.
pub struct SqliteStore {
    writer: Mutex<Writer>,
    reader: Mutex<Connection>,
    path: PathBuf,
}

/// The writer connection and the cells already in the R*Tree.
pub(crate) struct Writer {
    pub(crate) conn: Connection,
    cells: std::collections::HashSet<i64>,
}

/// Cells are 0.1° on a side (about 11 km by 7 km in Ukraine).
const CELLS_PER_DEGREE: f64 = 10.0;

/// Cells in a row of the grid (one more than 360° needs, for longitude 180 itself).
const ROW: i64 = 360 * CELLS_PER_DEGREE as i64 + 1;

/// The cell holding a position: row-major from (-180, -90).
fn cell_of(lat: f64, lon: f64) -> i64 {
    let x = ((lon + 180.0) * CELLS_PER_DEGREE).floor().clamp(0.0, 360.0 * CELLS_PER_DEGREE) as i64;
    let y = ((lat + 90.0) * CELLS_PER_DEGREE).floor().clamp(0.0, 180.0 * CELLS_PER_DEGREE) as i64;
    y * ROW + x
}

/// The box of a cell: (min_lon, max_lon, min_lat, max_lat).
fn cell_box(cell: i64) -> (f64, f64, f64, f64) {
    let (y, x) = (cell / ROW, cell % ROW);
    let lon = x as f64 / CELLS_PER_DEGREE - 180.0;
    let lat = y as f64 / CELLS_PER_DEGREE - 90.0;
    (lon, lon + 1.0 / CELLS_PER_DEGREE, lat, lat + 1.0 / CELLS_PER_DEGREE)
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).finish_non_exhaustive()
    }
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    // 16 KiB pages for a new database (ignored once it exists): rows are ~600 bytes of JSON, and larger
    // pages cut B-tree work on bulk loads by about 10% (measured with `scripts/bench --ingest`).
    conn.pragma_update(None, "page_size", 16_384)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // Index pages of a large store stay in memory while a bulk load updates them (256 MiB at most).
    conn.pragma_update(None, "cache_size", -262_144)?;
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
        let mut conn = open_connection(&path)?;
        migrate(&mut conn)?;
        let cells =
            conn.prepare("SELECT cell FROM cells_rtree")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let reader = open_connection(&path)?;
        Ok(Self { writer: Mutex::new(Writer { conn, cells }), reader: Mutex::new(reader), path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        // A panic while holding the lock cannot leave a transaction open (rusqlite rolls back on drop),
        // so a poisoned lock is still safe to use.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn reader(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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

pub(crate) fn to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A row ready for the database: everything that does not need the connection is computed here, so
/// bulk loads can do it on another thread than the writer's.
#[derive(Debug, Clone)]
pub struct EncodedRow {
    id: String,
    time_ms: i64,
    time_end_ms: Option<i64>,
    lat: f64,
    lon: f64,
    cell: i64,
    category: &'static str,
    received_ms: i64,
    body: String,
    classification: String,
    zones: String,
    violations: String,
}

impl EncodedRow {
    /// Encodes a stored observation.
    ///
    /// # Errors
    /// When the observation cannot be serialised (never for values built by truce).
    pub fn new(s: &StoredObservation) -> Result<Self, StoreError> {
        let o = &s.observation;
        let corrupt = |e: serde_json::Error| StoreError::Corrupt { id: o.id.clone(), reason: e.to_string() };
        Ok(Self {
            id: o.id.clone(),
            time_ms: to_ms(o.time),
            time_end_ms: o.time_end.map(to_ms),
            lat: o.lat,
            lon: o.lon,
            cell: cell_of(o.lat, o.lon),
            category: o.category.id(),
            received_ms: to_ms(s.received_at),
            body: serde_json::to_string(o).map_err(corrupt)?,
            classification: serde_json::to_string(&s.classification).map_err(corrupt)?,
            zones: zone_list(&s.classification),
            violations: violation_list(&s.classification),
        })
    }

    /// The observation's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

fn insert_one(
    tx: &rusqlite::Transaction<'_>,
    cells: &std::collections::HashSet<i64>,
    r: &EncodedRow,
) -> Result<bool, StoreError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO observations (id, time_ms, time_end_ms, lat, lon, cell, category, received_ms, body, classification, zones, violations)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO NOTHING",
    )?;
    let changed = insert.execute(params![
        r.id,
        r.time_ms,
        r.time_end_ms,
        r.lat,
        r.lon,
        r.cell,
        r.category,
        r.received_ms,
        r.body,
        r.classification,
        r.zones,
        r.violations
    ])?;
    if changed == 0 {
        return Ok(false);
    }
    if !cells.contains(&r.cell) {
        let (x0, x1, y0, y1) = cell_box(r.cell);
        tx.prepare_cached(
            "INSERT INTO cells_rtree (cell, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![r.cell, x0, x1, y0, y1])?;
    }
    Ok(true)
}

/// `,a,b,`: a list that `instr(column, ',a,')` can search without matching `a` inside `ab`.
fn delimited<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from(",");
    for i in items {
        out.push_str(i);
        out.push(',');
    }
    out
}

fn zone_list(c: &ClassificationRecord) -> String {
    delimited(c.zones.iter().map(String::as_str))
}

fn violation_list(c: &ClassificationRecord) -> String {
    delimited(c.violations.iter().map(|v| v.code.as_str()))
}

fn decode(id: String, body: &str, classification: &str, received_ms: i64) -> Result<StoredObservation, StoreError> {
    let observation: Observation =
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt { id: id.clone(), reason: format!("body: {e}") })?;
    let classification: ClassificationRecord = serde_json::from_str(classification)
        .map_err(|e| StoreError::Corrupt { id, reason: format!("classification: {e}") })?;
    Ok(StoredObservation { observation, classification, received_at: from_ms(received_ms) })
}

/// The WHERE clause and parameters for a query's filters (paging excluded).
fn filters(q: &Query) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    if let Some(t) = q.since {
        args.push(Value::Integer(to_ms(t)));
        clauses.push(format!("o.time_ms >= ?{}", args.len()));
    }
    if let Some(t) = q.until {
        args.push(Value::Integer(to_ms(t)));
        clauses.push(format!("o.time_ms < ?{}", args.len()));
    }
    if let Some(t) = q.received_since {
        args.push(Value::Integer(to_ms(t)));
        clauses.push(format!("o.received_ms >= ?{}", args.len()));
    }
    let mut boxes: Vec<[f64; 4]> = Vec::new();
    if let Some(b) = q.bbox {
        boxes.push(b);
        let n = args.len();
        args.extend(b.iter().map(|&v| Value::Real(v)));
        clauses.push(format!(
            "o.lon >= ?{} AND o.lat >= ?{} AND o.lon <= ?{} AND o.lat <= ?{}",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        ));
    }
    if let Some((lat, lon, km)) = q.near {
        // A box that surely contains the circle; the exact distance is checked in Rust.
        let dlat = km / 110.5 + 0.001;
        let dlon = km / (111.3 * lat.to_radians().cos().max(0.01)) + 0.001;
        boxes.push([lon - dlon, lat - dlat, lon + dlon, lat + dlat]);
    }
    for b in boxes {
        let n = args.len();
        args.extend(b.iter().map(|&v| Value::Real(v)));
        clauses.push(format!(
            "o.cell IN (SELECT cell FROM cells_rtree WHERE max_lon >= ?{} AND min_lat <= ?{} AND min_lon <= ?{} AND max_lat >= ?{})",
            n + 1,
            n + 4,
            n + 3,
            n + 2
        ));
    }
    if let Some(c) = q.category {
        args.push(Value::Text(c.id().to_owned()));
        clauses.push(format!("o.category = ?{}", args.len()));
    }
    if let Some(code) = &q.violation {
        args.push(Value::Text(format!(",{code},")));
        clauses.push(format!("instr(o.violations, ?{}) > 0", args.len()));
    }
    if let Some(zone) = &q.zone {
        args.push(Value::Text(format!(",{zone},")));
        clauses.push(format!("instr(o.zones, ?{}) > 0", args.len()));
    }
    let sql = if clauses.is_empty() { "1".to_owned() } else { clauses.join(" AND ") };
    (sql, args)
}

fn near_ok(q: &Query, lat: f64, lon: f64) -> bool {
    q.near.is_none_or(|(clat, clon, km)| {
        truce_geo::geodesic::distance_m(truce_geo::LonLat::new(clon, clat), truce_geo::LonLat::new(lon, lat))
            <= km * 1000.0
    })
}

fn parse_cursor(c: &str) -> Result<(i64, i64), StoreError> {
    let bad = || StoreError::BadCursor(c.to_owned());
    let (t, s) = c.split_once('.').ok_or_else(bad)?;
    Ok((t.parse().map_err(|_| bad())?, s.parse().map_err(|_| bad())?))
}

impl Store for SqliteStore {
    fn insert(&self, batch: &[StoredObservation]) -> Result<InsertReport, StoreError> {
        let rows = batch.iter().map(EncodedRow::new).collect::<Result<Vec<_>, _>>()?;
        self.insert_rows(&rows)
    }

    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError> {
        let conn = self.reader();
        let row = conn
            .prepare_cached("SELECT id, body, classification, received_ms FROM observations WHERE id = ?1")?
            .query_row([id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })
            .optional()?;
        row.map(|(id, b, c, r)| decode(id, &b, &c, r)).transpose()
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let (mut sql, mut args) = filters(q);
        if let Some(c) = &q.cursor {
            let (t, s) = parse_cursor(c)?;
            let n = args.len();
            args.push(rusqlite::types::Value::Integer(t));
            args.push(rusqlite::types::Value::Integer(s));
            sql.push_str(&format!(" AND (o.time_ms, o.seq) > (?{}, ?{})", n + 1, n + 2));
        }
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "SELECT o.id, o.body, o.classification, o.received_ms, o.time_ms, o.seq, o.lat, o.lon FROM observations o
             WHERE {sql} ORDER BY o.time_ms, o.seq"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut page = Page::default();
        let mut last = None;
        while let Some(r) = rows.next()? {
            let (lat, lon): (f64, f64) = (r.get(6)?, r.get(7)?);
            let key = (r.get::<_, i64>(4)?, r.get::<_, i64>(5)?);
            if !near_ok(q, lat, lon) {
                continue;
            }
            if page.items.len() == limit {
                page.next = last.map(|(t, s): (i64, i64)| format!("{t}.{s}"));
                break;
            }
            page.items.push(decode(r.get(0)?, &r.get::<_, String>(1)?, &r.get::<_, String>(2)?, r.get(3)?)?);
            last = Some(key);
        }
        Ok(page)
    }

    fn stats(&self, q: &Query) -> Result<Stats, StoreError> {
        let (sql, args) = filters(q);
        let conn = self.reader();
        let mut stats = Stats::default();
        let mut stmt = conn.prepare(&format!(
            "SELECT o.category, o.time_ms, o.lat, o.lon, o.zones, o.violations FROM observations o WHERE {sql}"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            if !near_ok(q, r.get(2)?, r.get(3)?) {
                continue;
            }
            stats.total += 1;
            *stats.by_category.entry(r.get::<_, String>(0)?).or_default() += 1;
            *stats.by_day.entry(from_ms(r.get(1)?).date().to_string()).or_default() += 1;
            for z in r.get_ref(4)?.as_str().unwrap_or("").split(',').filter(|z| !z.is_empty()) {
                if let Some(n) = stats.by_zone.get_mut(z) {
                    *n += 1;
                } else {
                    stats.by_zone.insert(z.to_owned(), 1);
                }
            }
            for v in r.get_ref(5)?.as_str().unwrap_or("").split(',').filter(|v| !v.is_empty()) {
                if let Some(n) = stats.by_violation.get_mut(v) {
                    *n += 1;
                } else {
                    stats.by_violation.insert(v.to_owned(), 1);
                }
            }
        }
        Ok(stats)
    }

    fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self.reader().query_row("SELECT count(*) FROM observations", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn agreement_fingerprint(&self) -> Result<Option<String>, StoreError> {
        Ok(self.reader().query_row("SELECT value FROM meta WHERE key = 'agreement'", [], |r| r.get(0)).optional()?)
    }

    fn reclassify(
        &self,
        fingerprint: &str,
        classify: &mut dyn FnMut(&Observation) -> ClassificationRecord,
    ) -> Result<u64, StoreError> {
        let mut guard = self.writer();
        let conn = &mut guard.conn;
        let mut done = 0u64;
        let mut after = 0i64;
        loop {
            let tx = conn.transaction()?;
            let batch: Vec<(i64, String, String)> = {
                let mut stmt = tx
                    .prepare_cached("SELECT seq, id, body FROM observations WHERE seq > ?1 ORDER BY seq LIMIT 10000")?;
                stmt.query_map([after], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<_, _>>()?
            };
            if batch.is_empty() {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('agreement', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [fingerprint],
                )?;
                tx.commit()?;
                return Ok(done);
            }
            for (seq, id, body) in &batch {
                let o: Observation = serde_json::from_str(body)
                    .map_err(|e| StoreError::Corrupt { id: id.clone(), reason: format!("body: {e}") })?;
                let c = classify(&o);
                let json = serde_json::to_string(&c)
                    .map_err(|e| StoreError::Corrupt { id: id.clone(), reason: e.to_string() })?;
                tx.prepare_cached(
                    "UPDATE observations SET classification = ?1, zones = ?2, violations = ?3 WHERE seq = ?4",
                )?
                .execute(params![json, zone_list(&c), violation_list(&c), seq])?;
                done += 1;
                after = *seq;
            }
            tx.commit()?;
        }
    }
}

impl SqliteStore {
    /// Stores encoded rows, all or nothing, like [`Store::insert`]; for bulk loads that encode on
    /// another thread ([`EncodedRow::new`]).
    ///
    /// # Errors
    /// When the database fails; nothing of the batch is stored then.
    pub fn insert_rows(&self, rows: &[EncodedRow]) -> Result<InsertReport, StoreError> {
        let mut guard = self.writer();
        let Writer { conn, cells } = &mut *guard;
        let mut new_cells = Vec::new();
        let result = (|| {
            let tx = conn.transaction()?;
            let mut report = InsertReport::default();
            for r in rows {
                let fresh = !cells.contains(&r.cell);
                if insert_one(&tx, cells, r)? {
                    if fresh {
                        cells.insert(r.cell);
                        new_cells.push(r.cell);
                    }
                    report.inserted.push(r.id.clone());
                } else {
                    report.duplicates.push(r.id.clone());
                }
            }
            tx.commit()?;
            Ok(report)
        })();
        if result.is_err() {
            // Nothing of the batch was stored: forget the cells it would have added.
            for c in new_cells {
                cells.remove(&c);
            }
        }
        result
    }

    /// Records the agreement fingerprint without reclassifying (for a new, empty store).
    ///
    /// # Errors
    /// When the database fails.
    pub fn set_agreement_fingerprint(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.writer().conn.execute(
            "INSERT INTO meta (key, value) VALUES ('agreement', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [fingerprint],
        )?;
        Ok(())
    }
}
