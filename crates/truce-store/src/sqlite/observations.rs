//! Observations on SQLite: one row per observation with its JSON bodies, a 0.1° cell for the spatial
//! index (see the module above), and keyset paging over `(time_ms, seq)`.
//!
//! A page of a query with an area is found one of two ways, with the same rows: through the spatial
//! index (the days of the range with the area's cells, then sorted), or, when the area holds much of
//! the store, along the time index first over a window of rows, each row's position checked, the
//! spatial index taking over after the window ([`Plan`], `SqliteStore::query`).

use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;
use truce_core::{ClassificationRecord, Observation, StoredObservation};

use super::{SqliteStore, Writer, cell_box, cell_of, from_ms, to_ms};
use crate::observations::{
    RawRow, add_listed, change_of, decode, differing_fields, marking_of, parse_cursor, read_decoded, violation_list,
    zone_list,
};
use crate::{
    Change, Conflict, Correction, EncodedRow, InsertReport, KeptDay, MAX_PAGE, ObservationStore, Page, Query, Revise,
    Revision, Stats, StoreError,
};

/// A UTC day in milliseconds: `observation_days` is keyed by `floor(time_ms / DAY_MS)`.
const DAY_MS: i64 = 86_400_000;

/// The statement that stores one row; [`INSERT_NEW`] leaves an id already stored alone.
macro_rules! insert_row {
    () => {
        "INSERT INTO observations (id, time_ms, time_end_ms, lat, lon, cell, category, received_ms, body, classification, zones, violations, rank, rel, cats, recorded_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    };
}

/// Stores a row unless its id is stored (which takes the id index).
const INSERT_NEW: &str = concat!(insert_row!(), " ON CONFLICT (id) DO NOTHING");

/// Stores a row (the caller knows its id is not stored).
const INSERT: &str = insert_row!();

/// The most ids a bulk load keeps in memory while the id index is dropped (about 70 MB): a larger
/// load builds the index when it has stored that many and goes on with it ([`LoadedIds`]).
const LOADED_IDS_MAX: usize = 2_000_000;

/// What became of a row offered to the table.
enum Offered {
    /// Stored.
    Stored,
    /// Its id was stored already, with this body.
    Exists(String),
}

/// The ids a bulk load has stored while the id index is dropped ([`SqliteStore::defer_indexes`]), by
/// a 64-bit hash of the id: the row (`seq`) that holds it; and how many it keeps before the index is
/// built. Without the index, whether an id is stored would take a read of the whole table; a hash
/// that names another id's row (two ids with the same hash) is settled by that read.
#[derive(Debug)]
pub(crate) struct LoadedIds {
    /// The row of each id's hash.
    rows: std::collections::HashMap<u64, i64>,
    /// How many it keeps before the index is built ([`LOADED_IDS_MAX`]).
    most: usize,
}

impl LoadedIds {
    /// None yet, at most [`LOADED_IDS_MAX`].
    fn new() -> Self {
        Self { rows: std::collections::HashMap::new(), most: LOADED_IDS_MAX }
    }

    /// Whether it keeps as many ids as it may.
    fn full(&self) -> bool {
        self.rows.len() >= self.most
    }

    fn key(id: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        id.hash(&mut h);
        h.finish()
    }
}

/// Binds `r`'s columns to `stmt` (one of [`INSERT`] and [`INSERT_NEW`]) and runs it: the rows changed.
fn execute_insert(stmt: &mut rusqlite::CachedStatement<'_>, r: &EncodedRow, cell: i64) -> rusqlite::Result<usize> {
    stmt.execute(params![
        r.id,
        r.time_ms,
        r.time_end_ms,
        r.lat,
        r.lon,
        cell,
        r.category,
        r.received_ms,
        r.body,
        r.classification,
        r.zones,
        r.violations,
        r.label.rank,
        r.label.rel,
        r.label.cats,
        r.by
    ])
}

/// The body stored under `id`, if any (through the id index when it exists, else a read of the table).
fn stored_body(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<Option<String>, StoreError> {
    Ok(tx
        .prepare_cached("SELECT body FROM observations WHERE id = ?1")?
        .query_row([id], |row| row.get(0))
        .optional()?)
}

/// Offers a row to the table through the id index.
fn insert_one(
    tx: &rusqlite::Transaction<'_>,
    cells: &std::collections::HashSet<i64>,
    r: &EncodedRow,
    cell: i64,
) -> Result<Offered, StoreError> {
    if execute_insert(&mut tx.prepare_cached(INSERT_NEW)?, r, cell)? == 0 {
        let current = stored_body(tx, &r.id)?.ok_or_else(|| StoreError::NotFound(r.id.clone()))?;
        return Ok(Offered::Exists(current));
    }
    add_cell(tx, cells, cell)?;
    Ok(Offered::Stored)
}

/// Offers a row to the table while a bulk load has the id index dropped: its id is looked for among
/// the ids the load stored (`ids`); a stored row's hash goes into `added` (to be forgotten should the
/// transaction not commit).
fn insert_loaded(
    tx: &rusqlite::Transaction<'_>,
    cells: &std::collections::HashSet<i64>,
    ids: &mut LoadedIds,
    added: &mut Vec<u64>,
    r: &EncodedRow,
    cell: i64,
) -> Result<Offered, StoreError> {
    let key = LoadedIds::key(&r.id);
    if let Some(&seq) = ids.rows.get(&key) {
        let (id, body): (String, String) = tx
            .prepare_cached("SELECT id, body FROM observations WHERE seq = ?1")?
            .query_row([seq], |row| Ok((row.get(0)?, row.get(1)?)))?;
        if id == r.id {
            return Ok(Offered::Exists(body));
        }
        // Another id with the same hash: only a read of the table tells whether this one is stored.
        if let Some(body) = stored_body(tx, &r.id)? {
            return Ok(Offered::Exists(body));
        }
    }
    execute_insert(&mut tx.prepare_cached(INSERT)?, r, cell)?;
    if let std::collections::hash_map::Entry::Vacant(e) = ids.rows.entry(key) {
        e.insert(tx.last_insert_rowid());
        added.push(key);
    }
    add_cell(tx, cells, cell)?;
    Ok(Offered::Stored)
}

/// Adds `cell` to the spatial index unless the writer knows it is there.
fn add_cell(
    tx: &rusqlite::Transaction<'_>,
    cells: &std::collections::HashSet<i64>,
    cell: i64,
) -> Result<(), StoreError> {
    if !cells.contains(&cell) {
        let (x0, x1, y0, y1) = cell_box(cell);
        tx.prepare_cached(
            "INSERT INTO cells_rtree (cell, min_lon, max_lon, min_lat, max_lat) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![cell, x0, x1, y0, y1])?;
    }
    Ok(())
}

/// For an id already stored with the body `current`: `None` when `r` has the content of one of its
/// versions (a resend), otherwise the fields whose values differ from the current version.
fn differs(tx: &rusqlite::Transaction<'_>, r: &EncodedRow, current: String) -> Result<Option<Vec<String>>, StoreError> {
    if current == r.body {
        return Ok(None);
    }
    let earlier: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM observation_versions WHERE id = ?1 AND body = ?2)")?
        .query_row(params![r.id, r.body], |row| row.get(0))?;
    if earlier {
        return Ok(None);
    }
    differing_fields(&r.id, &current, &r.body).map(Some)
}

/// The boxes (W, S, E, N) that hold a query's area filters: its bbox, its polygon's and its area's
/// boxes, and a box that surely holds its circle. Each narrows the rows like a bbox; the polygon, the
/// area and the circle themselves are checked in Rust ([`Query::covers_exactly`]).
fn area_boxes(q: &Query) -> Vec<[f64; 4]> {
    let areas =
        q.polygon.as_ref().map(truce_geo::Polygon::bbox).into_iter().chain(q.within.as_ref().map(|w| w.area.bbox()));
    let circle = q.near.map(|(lat, lon, km)| {
        let dlat = km / 110.5 + 0.001;
        let dlon = km / (111.3 * lat.to_radians().cos().max(0.01)) + 0.001;
        [lon - dlon, lat - dlat, lon + dlon, lat + dlat]
    });
    q.bbox.into_iter().chain(areas).chain(circle).collect()
}

/// How a query's rows are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Through the spatial index (day, then cell) when the query has an area, else the time index.
    Cells,
    /// Along the time index only, the area checked on each row: [`SqliteStore::query`]'s first window.
    Time,
}

/// The WHERE clause and parameters for a query's filters (paging excluded), for `plan`.
fn filters(access: &str, q: &Query, plan: Plan) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut clauses: Vec<String> = vec![access.to_owned(), "o.withdrawn = 0".to_owned()];
    let mut args: Vec<Value> = Vec::new();
    time_range(q, &mut clauses, &mut args);
    if let Some(t) = q.received_since {
        args.push(Value::Integer(to_ms(t)));
        clauses.push(format!("o.received_ms >= ?{}", args.len()));
    }
    let boxes = area_boxes(q);
    for b in &boxes {
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
    let boxes = if plan == Plan::Cells { boxes } else { Vec::new() };
    if !boxes.is_empty() {
        // The spatial index is keyed by day, then cell (migration 0016): the rows of the boxes' cells are
        // found day by day, from the range's first day to its last, each end narrowed to the store's
        // first and last observation (without a range, the store's days).
        // `(o.time_ms / 86400000)` is the index's own expression, so SQLite takes the index for it; the
        // division goes towards zero, which still never decreases with the time, so the days between
        // those of the range's ends hold every row of the range.
        //
        // An end of the range (`t`, moved by `shift` ms) or the store's (`stored`: `min` or `max`),
        // whichever is inside the other (`inner`: `max` or `min`).
        let mut end = |t: Option<OffsetDateTime>, shift: i64, stored: &str, inner: &str| -> String {
            let stored = format!("(SELECT {stored}(time_ms) FROM observations)");
            match t {
                Some(t) => {
                    args.push(Value::Integer(to_ms(t) + shift));
                    format!("{inner}(?{}, {stored})", args.len())
                }
                None => stored,
            }
        };
        // `until` is not part of the range.
        let (first, last) = (end(q.since, 0, "min", "max"), end(q.until, -1, "max", "min"));
        clauses.push(format!(
            "(o.time_ms / 86400000) IN (WITH RECURSIVE days(day) AS (SELECT {first} / 86400000 \
             UNION ALL SELECT day + 1 FROM days WHERE day < {last} / 86400000) SELECT day FROM days)"
        ));
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
    // "Any of": one placeholder per value, OR-ed (or IN) within the filter, AND-ed with the others.
    let mut any_of = |args: &mut Vec<Value>, values: Vec<Value>, each: &dyn Fn(usize) -> String| {
        if values.is_empty() {
            return;
        }
        let mut alternatives = Vec::with_capacity(values.len());
        for v in values {
            args.push(v);
            alternatives.push(each(args.len()));
        }
        clauses.push(format!("({})", alternatives.join(" OR ")));
    };
    any_of(&mut args, q.category.iter().map(|c| Value::Text(c.id().to_owned())).collect(), &|i| {
        format!("o.category = ?{i}")
    });
    any_of(&mut args, q.violation.iter().map(|code| Value::Text(format!(",{code},"))).collect(), &|i| {
        format!("instr(o.violations, ?{i}) > 0")
    });
    if let Some(zone) = &q.zone {
        any_of(&mut args, vec![Value::Text(format!(",{zone},"))], &|i| format!("instr(o.zones, ?{i}) > 0"));
    }
    // Means and party are read from the body: no index, like the zone and violation filters they
    // only narrow the rows the time and space filters leave (see the 0001 migration).
    any_of(&mut args, q.means.iter().map(|m| Value::Text(m.id().to_owned())).collect(), &|i| {
        format!("json_extract(o.body, '$.observer.means') = ?{i}")
    });
    any_of(&mut args, q.party.iter().map(|p| p.clone().map_or(Value::Null, Value::Text)).collect(), &|i| {
        format!("json_extract(o.body, '$.party') IS ?{i}")
    });
    any_of(&mut args, q.marking.iter().map(|m| Value::Integer(i64::from(m.rank()))).collect(), &|i| {
        format!("o.rank = ?{i}")
    });
    if let Some(access) = &q.releasable {
        clauses.push(access.sql("o.rank", "o.rel", "o.cats", "o.time_ms"));
    }
    let sql = clauses.join(" AND ");
    (sql, args)
}

/// The share of the stored rows (one in this many) that an area must hold, judged by its occupied
/// cells, for its page to be looked for along the time index first; also the rows of that window per
/// row of the page.
const WALK_SHARE: usize = 16;

/// Whether the area of `boxes` (all of them: an observation must be in each) holds at least one in
/// [`WALK_SHARE`] of the occupied cells of the spatial index: then a page is looked for along the time
/// index first ([`SqliteStore::query`]). Cells, not rows, are counted: a guess at where the rows are,
/// which chooses how rows are found, never which.
fn holds_much(conn: &rusqlite::Connection, boxes: &[[f64; 4]]) -> Result<bool, StoreError> {
    let count = |sql: &str, args: &[f64]| -> Result<usize, StoreError> {
        let n: i64 = conn.prepare_cached(sql)?.query_row(rusqlite::params_from_iter(args), |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    };
    let cells = count("SELECT count(*) FROM cells_rtree", &[])?;
    let mut inside = cells;
    for [w, s, e, n] in boxes {
        let sql = "SELECT count(*) FROM cells_rtree WHERE max_lon >= ?1 AND min_lat <= ?4 AND min_lon <= ?3 AND max_lat >= ?2";
        inside = inside.min(count(sql, &[*w, *s, *e, *n])?);
    }
    Ok(inside > 0 && inside.saturating_mul(WALK_SHARE) >= cells)
}

/// Rows of the time index an area's query looks at before it takes the spatial index: [`WALK_SHARE`] a
/// row of the page (an area holding that share of the rows fills its page within them), at least 4,096
/// and at most 65,536.
fn walk_rows(limit: usize) -> usize {
    limit.saturating_add(1).saturating_mul(WALK_SHARE).clamp(4_096, 65_536)
}

/// The `(time_ms, seq)` of the `rows`-th row after `after` in the query's time range, along the time
/// index (what the window of [`SqliteStore::query`] covers), or `None` when fewer rows are left.
fn window_end(
    conn: &rusqlite::Connection,
    q: &Query,
    after: Option<(i64, i64)>,
    rows: usize,
) -> Result<Option<(i64, i64)>, StoreError> {
    use rusqlite::types::Value;
    let (mut clauses, mut args) = (vec!["1".to_owned()], Vec::new());
    time_range(q, &mut clauses, &mut args);
    let mut sql = clauses.join(" AND ");
    page_range(&mut sql, &mut args, after, None);
    args.push(Value::Integer(i64::try_from(rows).unwrap_or(i64::MAX) - 1));
    let sql = format!(
        "SELECT o.time_ms, o.seq FROM observations o INDEXED BY observations_time WHERE {sql} \
         ORDER BY o.time_ms, o.seq LIMIT 1 OFFSET ?{}",
        args.len()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params_from_iter(args), |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// The clauses of a query's time range (`since` included, `until` not), on `o.time_ms`.
fn time_range(q: &Query, clauses: &mut Vec<String>, args: &mut Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    for (t, op) in [(q.since, ">="), (q.until, "<")] {
        if let Some(t) = t {
            args.push(Value::Integer(to_ms(t)));
            clauses.push(format!("o.time_ms {op} ?{}", args.len()));
        }
    }
}

/// Narrows a page's rows to those after `after` and up to `end` (inclusive), in `(time_ms, seq)`.
fn page_range(
    sql: &mut String,
    args: &mut Vec<rusqlite::types::Value>,
    after: Option<(i64, i64)>,
    end: Option<(i64, i64)>,
) {
    use rusqlite::types::Value;
    for (key, op) in [(after, ">"), (end, "<=")] {
        if let Some((t, s)) = key {
            args.extend([Value::Integer(t), Value::Integer(s)]);
            sql.push_str(&format!(" AND (o.time_ms, o.seq) {op} (?{}, ?{})", args.len() - 1, args.len()));
        }
    }
}

/// A page being listed, perhaps over two plans in turn ([`SqliteStore::query`]).
struct Listing<'a, 'q> {
    q: &'q Query,
    limit: usize,
    listed: usize,
    /// The last listed row's `(time_ms, seq)`: the next page's cursor.
    last: Option<(i64, i64)>,
    push: &'a mut dyn FnMut(RawRow),
}

impl Listing<'_, '_> {
    /// Lists the rows `sql` selects (in `(time_ms, seq)` order, through `index`) until the page is full:
    /// then the next page's cursor, or `None` when the rows ran out first.
    fn list(
        &mut self,
        conn: &rusqlite::Connection,
        index: &str,
        sql: &str,
        args: Vec<rusqlite::types::Value>,
    ) -> Result<Option<String>, StoreError> {
        let mut stmt = conn.prepare(&format!(
            "SELECT o.id, o.body, o.classification, o.received_ms, o.time_ms, o.seq, o.lat, o.lon FROM observations o {index}
             WHERE {sql} ORDER BY o.time_ms, o.seq"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            let (lat, lon): (f64, f64) = (r.get(6)?, r.get(7)?);
            let key = (r.get::<_, i64>(4)?, r.get::<_, i64>(5)?);
            if !self.q.covers_exactly(lat, lon) {
                continue;
            }
            if self.listed == self.limit {
                return Ok(self.last.map(|(t, s)| format!("{t}.{s}")));
            }
            (self.push)(RawRow { id: r.get(0)?, body: r.get(1)?, classification: r.get(2)?, received_ms: r.get(3)? });
            self.listed += 1;
            self.last = Some(key);
        }
        Ok(None)
    }
}

impl ObservationStore for SqliteStore {
    fn get(&self, id: &str) -> Result<Option<StoredObservation>, StoreError> {
        let conn = self.reader();
        let row = conn
            .prepare_cached(&format!(
                "SELECT id, body, classification, received_ms FROM observations WHERE id = ?1 AND withdrawn = 0 AND {}",
                self.visible("", "time_ms")
            ))?
            .query_row([id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
            })
            .optional()?;
        row.map(|(id, b, c, r)| decode(&self.access, id, &b, &c, r)).transpose()
    }

    fn query(&self, q: &Query) -> Result<Page, StoreError> {
        let limit = q.limit.clamp(1, MAX_PAGE);
        let after = q.cursor.as_deref().map(parse_cursor).transpose()?;
        let boxes = area_boxes(q);
        let (items, next) = read_decoded(&self.access, |push| {
            let conn = self.reader();
            let mut page = Listing { q, limit, listed: 0, last: None, push };
            let mut after = after;
            // One snapshot for the statements of a page that takes two ways (a read transaction).
            let mut snapshot = None;
            if !boxes.is_empty() && holds_much(&conn, &boxes)? {
                snapshot = Some(conn.unchecked_transaction()?);
                // The time index first, over a window of rows: an area that holds much of what is
                // stored fills a page within a few of its rows, where the spatial index would find
                // every row of the area and range before the first could be listed (a box over the
                // front, a day of 27,000 reports: 0.25 s a page; without a range, the whole store).
                // The rows of the window are all looked at, so the spatial index takes over after it.
                let end = window_end(&conn, q, after, walk_rows(limit))?;
                let (mut sql, mut args) = filters(&self.visible("o.", "time_ms"), q, Plan::Time);
                page_range(&mut sql, &mut args, after, end);
                if let Some(next) = page.list(&conn, "INDEXED BY observations_time", &sql, args)? {
                    return Ok(Some(next));
                }
                match end {
                    Some(end) => after = Some(end),
                    None => return Ok(None),
                }
            }
            let (mut sql, mut args) = filters(&self.visible("o.", "time_ms"), q, Plan::Cells);
            page_range(&mut sql, &mut args, after, None);
            let next = page.list(&conn, "", &sql, args);
            drop(snapshot);
            next
        })?;
        Ok(Page { items, next })
    }

    fn stats(&self, q: &Query) -> Result<Stats, StoreError> {
        let (sql, args) = filters(&self.visible("o.", "time_ms"), q, Plan::Cells);
        let conn = self.reader();
        let mut stats = Stats::default();
        let mut stmt = conn.prepare(&format!(
            "SELECT o.category, o.time_ms, o.lat, o.lon, o.zones, o.violations FROM observations o WHERE {sql}"
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            if !q.covers_exactly(r.get(2)?, r.get(3)?) {
                continue;
            }
            stats.total += 1;
            *stats.by_category.entry(r.get::<_, String>(0)?).or_default() += 1;
            *stats.by_day.entry(from_ms(r.get(1)?).date().to_string()).or_default() += 1;
            add_listed(&mut stats.by_zone, r.get_ref(4)?.as_str().unwrap_or(""), 1);
            add_listed(&mut stats.by_violation, r.get_ref(5)?.as_str().unwrap_or(""), 1);
        }
        Ok(stats)
    }

    fn day_changes(&self, from: i64, until: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT day, changes FROM observation_days WHERE day >= ?1 AND day < ?2 ORDER BY day")?;
        let rows = stmt.query_map([from, until], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn kept_day(&self, name: &str, day: i64) -> Result<Option<KeptDay>, StoreError> {
        let conn = self.reader();
        let mut stmt =
            conn.prepare_cached("SELECT stamp, value FROM kept_days WHERE name = ?1 AND audience = ?2 AND day = ?3")?;
        let row = stmt
            .query_row(params![name, self.access.audience(), day], |r| {
                Ok(KeptDay { day, stamp: r.get(0)?, value: r.get(1)? })
            })
            .optional()?;
        Ok(row)
    }

    fn keep_days(&self, name: &str, days: &[KeptDay]) -> Result<(), StoreError> {
        if days.is_empty() {
            return Ok(());
        }
        let mut guard = self.writer();
        let tx = guard.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO kept_days (name, audience, day, stamp, value) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for d in days {
                stmt.execute(params![name, self.access.audience(), d.day, d.stamp, d.value])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self.reader().query_row(
            &format!("SELECT count(*) FROM observations WHERE withdrawn = 0 AND {}", self.visible("", "time_ms")),
            [],
            |r| r.get(0),
        )?;
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

    fn defer_indexes(&self) -> Result<bool, StoreError> {
        let mut guard = self.writer();
        let Writer { conn, deferred, .. } = &mut *guard;
        if deferred.is_some() {
            return Ok(true);
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let empty: bool = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM observations)", [], |r| r.get(0))?;
        if empty {
            tx.execute_batch("DROP INDEX IF EXISTS observations_id")?;
        }
        tx.commit()?;
        if empty {
            *deferred = Some(LoadedIds::new());
        }
        Ok(empty)
    }

    fn build_indexes(&self) -> Result<(), StoreError> {
        let mut guard = self.writer();
        guard.conn.execute_batch(super::ID_INDEX)?;
        guard.deferred = None;
        Ok(())
    }

    fn insert_encoded(&self, rows: &[EncodedRow]) -> Result<InsertReport, StoreError> {
        let mut guard = self.writer();
        let Writer { conn, cells, deferred } = &mut *guard;
        let mut new_cells = Vec::new();
        let mut new_ids = Vec::new();
        let result = (|| {
            let tx = conn.transaction()?;
            let mut report = InsertReport::default();
            let mut conflicts = Vec::new();
            // Stored rows per UTC day: the days' change counters are bumped once each below.
            let mut days: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
            for r in rows {
                let cell = cell_of(r.lat, r.lon);
                let fresh = !cells.contains(&cell);
                let offered = match deferred.as_mut() {
                    None => insert_one(&tx, cells, r, cell)?,
                    Some(ids) => insert_loaded(&tx, cells, ids, &mut new_ids, r, cell)?,
                };
                match offered {
                    Offered::Stored => {
                        if fresh {
                            cells.insert(cell);
                            new_cells.push(cell);
                        }
                        *days.entry(r.time_ms.div_euclid(DAY_MS)).or_default() += 1;
                        report.inserted.push(r.id.clone());
                    }
                    Offered::Exists(current) => match differs(&tx, r, current)? {
                        Some(fields) => conflicts.push(Conflict { id: r.id.clone(), fields }),
                        None => report.duplicates.push(r.id.clone()),
                    },
                }
            }
            if !conflicts.is_empty() {
                return Err(StoreError::Conflict(conflicts));
            }
            let mut bump = tx.prepare_cached(
                "INSERT INTO observation_days (day, changes) VALUES (?1, ?2)
                 ON CONFLICT (day) DO UPDATE SET changes = changes + excluded.changes",
            )?;
            for (day, n) in &days {
                bump.execute([day, n])?;
            }
            drop(bump);
            tx.commit()?;
            Ok(report)
        })();
        if result.is_err() {
            // Nothing of the batch was stored: forget the cells and ids it would have added.
            for c in new_cells {
                cells.remove(&c);
            }
            if let Some(ids) = deferred.as_mut() {
                for key in new_ids {
                    ids.rows.remove(&key);
                }
            }
        } else if deferred.as_ref().is_some_and(LoadedIds::full) {
            // A load this large builds the id index now and goes on with it, in bounded memory. The
            // batch is stored whatever happens here: should the index fail to build, the load keeps
            // its ids and the next batch, `build_indexes` or the next open tries again.
            match conn.execute_batch(super::ID_INDEX) {
                Ok(()) => *deferred = None,
                Err(e) => tracing::warn!("store: building the id index during a load failed: {e}"),
            }
        }
        result
    }

    fn revise(&self, c: &Revise<'_>) -> Result<Revision, StoreError> {
        c.check()?;
        let visible = self.visible("", "time_ms");
        let mut guard = self.writer();
        let Writer { conn, cells, .. } = &mut *guard;
        let tx = conn.transaction()?;
        let current = tx
            .prepare_cached(&format!(
                "SELECT seq, version, withdrawn, received_ms, body, classification FROM observations
                 WHERE id = ?1 AND {visible}"
            ))?
            .query_row([c.id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })
            .optional()?;
        let Some((seq, version, withdrawn, received_ms, body, classification)) = current else {
            return Err(StoreError::NotFound(c.id.to_owned()));
        };
        c.check_current(version, withdrawn)?;
        // The first change keeps the version as first recorded beside the ones that follow.
        tx.prepare_cached(
            "INSERT INTO observation_versions (id, version, action, at_ms, by, reason, body, classification, time_ms, rank, rel, cats)
             SELECT id, version, 'recorded', received_ms, recorded_by, '', body, classification, time_ms, rank, rel, cats
             FROM observations WHERE seq = ?1 AND NOT EXISTS (SELECT 1 FROM observation_versions WHERE id = ?2)",
        )?
        .execute(params![seq, c.id])?;
        let next = version + 1;
        let at_ms = to_ms(c.at);
        let mut new_cell = None;
        let (change, body, classification) = match c.amended {
            Some(r) => {
                let cell = cell_of(r.lat, r.lon);
                add_cell(&tx, cells, cell)?;
                new_cell = Some(cell);
                tx.prepare_cached(
                    "UPDATE observations SET time_ms = ?1, time_end_ms = ?2, lat = ?3, lon = ?4, cell = ?5, category = ?6,
                     body = ?7, classification = ?8, zones = ?9, violations = ?10, rank = ?11, rel = ?12, cats = ?13,
                     version = ?14 WHERE seq = ?15",
                )?
                .execute(params![
                    r.time_ms,
                    r.time_end_ms,
                    r.lat,
                    r.lon,
                    cell,
                    r.category,
                    r.body,
                    r.classification,
                    r.zones,
                    r.violations,
                    r.label.rank,
                    r.label.rel,
                    r.label.cats,
                    next,
                    seq
                ])?;
                (Change::Amended, r.body.clone(), r.classification.clone())
            }
            None => {
                tx.prepare_cached("UPDATE observations SET withdrawn = 1, version = ?1 WHERE seq = ?2")?
                    .execute(params![next, seq])?;
                (Change::Withdrawn, body, classification)
            }
        };
        tx.prepare_cached(
            "INSERT INTO observation_versions (id, version, action, at_ms, by, reason, body, classification, time_ms, rank, rel, cats)
             SELECT id, version, ?1, ?2, ?3, ?4, ?5, ?6, time_ms, rank, rel, cats FROM observations WHERE seq = ?7",
        )?
        .execute(params![change.id(), at_ms, c.by, c.reason, body, classification, seq])?;
        tx.commit()?;
        if let Some(cell) = new_cell {
            cells.insert(cell);
        }
        c.revision(&self.access, next, change, &body, &classification, received_ms)
    }

    fn history(&self, id: &str) -> Result<Option<Vec<Revision>>, StoreError> {
        let conn = self.reader();
        let current = conn
            .prepare_cached(&format!(
                "SELECT version, received_ms, recorded_by, body, classification FROM observations WHERE id = ?1 AND {}",
                self.visible("", "time_ms")
            ))?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()?;
        let Some((version, received_ms, recorded_by, body, classification)) = current else { return Ok(None) };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT version, action, at_ms, by, reason, body, classification FROM observation_versions
             WHERE id = ?1 AND {} ORDER BY version",
            self.visible("", "time_ms")
        ))?;
        let mut rows = stmt.query([id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let action: String = r.get(1)?;
            let change = change_of(&action, id)?;
            out.push(Revision {
                version: r.get(0)?,
                change,
                at: from_ms(r.get(2)?),
                by: r.get(3)?,
                reason: r.get(4)?,
                stored: decode(
                    &self.access,
                    id.to_owned(),
                    &r.get::<_, String>(5)?,
                    &r.get::<_, String>(6)?,
                    received_ms,
                )?,
            });
        }
        if out.is_empty() {
            out.push(Revision {
                version,
                change: Change::Recorded,
                at: from_ms(received_ms),
                by: recorded_by,
                reason: String::new(),
                stored: decode(&self.access, id.to_owned(), &body, &classification, received_ms)?,
            });
        }
        Ok(Some(out))
    }

    fn revisions_since(&self, q: &Query, after: OffsetDateTime) -> Result<Vec<Correction>, StoreError> {
        use rusqlite::types::Value;
        let mut args = vec![Value::Integer(to_ms(after))];
        let mut window = String::new();
        if let Some(t) = q.since {
            args.push(Value::Integer(to_ms(t)));
            window.push_str(&format!(" AND w.time_ms >= ?{}", args.len()));
        }
        if let Some(t) = q.until {
            args.push(Value::Integer(to_ms(t)));
            window.push_str(&format!(" AND w.time_ms < ?{}", args.len()));
        }
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!(
            "SELECT o.id, o.version, v.action, v.at_ms, v.by, v.reason, o.rank FROM observations o
             JOIN observation_versions v ON v.id = o.id AND v.version = o.version
             WHERE v.at_ms >= ?1 AND v.action <> 'recorded' AND {}
               AND EXISTS (SELECT 1 FROM observation_versions w WHERE w.id = o.id{window})
             ORDER BY v.at_ms, o.id",
            self.visible("o.", "time_ms")
        ))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let action: String = r.get(2)?;
            let change = change_of(&action, &id)?;
            let rank: u8 = r.get(6)?;
            let marking = marking_of(i64::from(rank), &id)?;
            out.push(Correction {
                id,
                version: r.get(1)?,
                change,
                at: from_ms(r.get(3)?),
                by: r.get(4)?,
                reason: r.get(5)?,
                marking,
            });
        }
        Ok(out)
    }

    fn set_agreement_fingerprint(&self, fingerprint: &str) -> Result<(), StoreError> {
        self.writer().conn.execute(
            "INSERT INTO meta (key, value) VALUES ('agreement', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [fingerprint],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::observations::observation;
    use truce_core::Category;

    /// Two ids with the same 64-bit hash during a load (made here by filing `b`'s hash under `a`'s
    /// row): `b` is looked for in the table, stored once, and judged as any stored id afterwards.
    #[test]
    fn an_id_whose_hash_names_another_row_is_looked_for_in_the_table() {
        let dir = std::env::temp_dir().join(format!("truce-hash-{}", std::process::id()));
        let store = SqliteStore::open(&dir).expect("store");
        assert!(store.defer_indexes().expect("defer"));
        let a = observation("a", 0, 48.5, 37.5, Category::ExplosionImpact);
        let b = observation("b", 5, 47.0, 35.0, Category::MuzzleFlash);
        store.insert(std::slice::from_ref(&a)).expect("a");
        {
            let mut w = store.writer();
            let ids = &mut w.deferred.as_mut().expect("deferred").rows;
            let seq = ids[&LoadedIds::key("a")];
            ids.insert(LoadedIds::key("b"), seq);
        }
        let r = store.insert(&[b.clone(), b.clone()]).expect("b twice");
        assert_eq!((r.inserted, r.duplicates), (vec!["b".to_owned()], vec!["b".to_owned()]));
        let mut changed = b.clone();
        changed.observation.count = Some(9);
        assert!(matches!(store.insert(&[changed]), Err(StoreError::Conflict(_))));
        let r = store.insert(std::slice::from_ref(&a)).expect("a again");
        assert_eq!(r.duplicates, ["a"]);
        store.build_indexes().expect("build");
        assert_eq!(store.count().expect("count"), 2);
        assert_eq!(store.get("b").expect("get"), Some(b));
        std::fs::remove_dir_all(&dir).expect("remove");
    }

    /// A load that has stored [`LOADED_IDS_MAX`] ids (three here) builds the id index and goes on
    /// with it: the ids it keeps in memory stay bounded.
    #[test]
    fn a_large_load_builds_the_id_index_when_it_has_stored_the_most_ids_it_keeps() {
        let dir = std::env::temp_dir().join(format!("truce-cap-{}", std::process::id()));
        let store = SqliteStore::open(&dir).expect("store");
        assert!(store.defer_indexes().expect("defer"));
        store.writer().deferred.as_mut().expect("deferred").most = 3;
        let rows: Vec<_> =
            (0..6).map(|i| observation(&format!("k{i}"), i, 48.0, 37.0, Category::MuzzleFlash)).collect();
        store.insert(&rows[..2]).expect("two");
        assert!(store.writer().deferred.is_some(), "two ids kept");
        store.insert(&rows[2..4]).expect("two more");
        assert!(store.writer().deferred.is_none(), "four: the index is built");
        let has_index: bool = store
            .writer()
            .conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_index_list('observations') WHERE name = 'observations_id')",
                [],
                |r| r.get(0),
            )
            .expect("index list");
        assert!(has_index);
        let r = store.insert(&rows[3..]).expect("the rest, one of them again");
        assert_eq!((r.inserted.len(), r.duplicates), (2, vec!["k3".to_owned()]));
        std::fs::remove_dir_all(&dir).expect("remove");
    }

    /// An area's page goes along the time index first when the area holds one in [`WALK_SHARE`] of
    /// the occupied cells, and through the spatial index otherwise, or when the area holds none.
    #[test]
    fn only_an_area_holding_much_of_the_store_walks_the_time_index() {
        let dir = std::env::temp_dir().join(format!("truce-walk-{}", std::process::id()));
        let store = SqliteStore::open(&dir).expect("store");
        // Thirty-two occupied cells in a row along 48.05°N, 0.1° apart from 30.05°E.
        let rows: Vec<_> = (0..32_u8)
            .map(|i| {
                observation(&format!("c{i:02}"), i64::from(i), 48.05, 30.05 + f64::from(i) * 0.1, Category::MuzzleFlash)
            })
            .collect();
        store.insert(&rows).expect("an insert");
        let conn = store.reader();
        let holds = |boxes: &[[f64; 4]]| holds_much(&conn, boxes).expect("counted");
        // Two cells of 32: one in 16.
        assert!(holds(&[[30.0, 48.0, 30.2, 48.1]]));
        assert!(!holds(&[[30.0, 48.0, 30.09, 48.1]]), "one cell of 32");
        assert!(holds(&[[29.0, 47.0, 40.0, 49.0]]));
        // Every box of the query counts: the smallest is what an observation must be in.
        assert!(!holds(&[[29.0, 47.0, 40.0, 49.0], [30.0, 48.0, 30.09, 48.1]]));
        assert!(!holds(&[[20.0, 40.0, 21.0, 41.0]]), "no cell");
        drop(conn);
        std::fs::remove_dir_all(&dir).expect("remove");
    }
}
