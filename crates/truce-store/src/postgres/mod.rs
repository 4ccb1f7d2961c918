//! The PostgreSQL/PostGIS implementation of [`Store`](crate::Store) (cargo feature `postgres`): the
//! same six traits, the same behaviour suite, on a database server that a DBA backs up and queries.
//!
//! # Connections
//!
//! The traits are synchronous (the embedded store answers in microseconds), and a node calls them from
//! blocking threads and, briefly, from async tasks. [`PgStore`] therefore owns a small tokio runtime of
//! its own on which the connections' socket tasks run, and each call waits for its answer with a plain
//! executor ([`futures_executor::block_on`]): a call never needs, nor disturbs, the caller's runtime.
//! Connections are pooled: a call takes an idle one (or opens one) and gives it back when it is done;
//! a connection that broke is dropped, so the next call opens a new one (a restarted server costs the
//! calls that were in flight, which fail with [`StoreError::Database`] and changed nothing: each write
//! is one transaction).
//!
//! # Schema
//!
//! Migrations are SQL files applied in order, each in its own transaction, under an advisory lock so
//! that several nodes starting together migrate once; the applied version is kept in `truce_schema`.
//! The tables are those of the embedded store, with the same columns: times as Unix milliseconds
//! (`*_ms`, `bigint`) and the label columns `rank`, `rel`, `cats` that [`truce_access::Access::sql`]
//! reads, so the access rule is the very same SQL on both backends (the migration defines the one
//! function it uses that PostgreSQL lacks, `instr`). Positions are also a PostGIS
//! `geometry(Point, 4326)` column, generated from `lon`/`lat` and GiST-indexed: the box of a spatial
//! filter is answered by the index, and what a box cannot decide exactly (the geodesic distance, a
//! polygon, a named area) is decided on the candidates by the same code as the embedded store
//! ([`Query::covers_exactly`](crate::Query::covers_exactly)), so both backends give the same answers
//! to the last metre.
//!
//! # Durability
//!
//! A write returns after its transaction committed; with PostgreSQL's defaults (`fsync = on`,
//! `synchronous_commit = on`) the commit is in the fsynced write-ahead log by then, the guarantee the
//! embedded store gives. A server configured otherwise gives what it is configured to give.

use std::sync::{Arc, Mutex};

use tokio_postgres::{Client, NoTls};
use truce_access::Access;

pub use migrate::{AuditLines, Migrated, TableCopy};

use crate::{CaseUpdateError, StoreError};

mod audit;
mod coalition;
mod copy;
mod journal;
mod marti;
mod migrate;
mod observations;
mod tracks;
mod users;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_observations.sql"),
    include_str!("migrations/0002_tracks.sql"),
    include_str!("migrations/0003_journal.sql"),
    include_str!("migrations/0004_coalition.sql"),
    include_str!("migrations/0005_users.sql"),
    include_str!("migrations/0006_marti.sql"),
    include_str!("migrations/0007_audit.sql"),
    include_str!("migrations/0008_observation_days.sql"),
    include_str!("migrations/0009_kept_days.sql"),
];

/// The advisory lock key migrations run under (`truce` in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_7275_6365;

/// The spatial index of observations (made by the first migration), which a bulk load into an empty
/// store drops and builds after its rows ([`ObservationStore::defer_indexes`](crate::ObservationStore::defer_indexes)):
/// its name, and the statement that makes it when it is missing (run at every open too, so a load that
/// was interrupted leaves no store without it).
const SPATIAL_INDEX: (&str, &str) =
    ("observations_geom", "CREATE INDEX IF NOT EXISTS observations_geom ON observations USING gist (geom)");

/// Idle connections kept for reuse; more may be open while calls overlap.
const IDLE_CONNECTIONS: usize = 8;

/// Observations and everything else on a PostgreSQL 15+ database with PostGIS 3. See the module
/// documentation.
///
/// A handle reads as one viewer, like [`SqliteStore`](crate::SqliteStore): [`PgStore::open`] returns
/// the operator's, which reads everything, and [`Scope::scoped`](crate::Scope::scoped) a handle on the
/// same connections that adds the viewer's predicate to every read.
#[derive(Clone)]
pub struct PgStore {
    shared: Arc<Shared>,
    access: Access,
}

struct Shared {
    config: tokio_postgres::Config,
    /// Where the store is, for messages: the URL without its password.
    place: String,
    runtime: tokio::runtime::Runtime,
    idle: Mutex<Vec<Client>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("place", &self.shared.place).field("access", &self.access).finish()
    }
}

/// A pooled connection: back to the pool when dropped, unless it broke.
pub(crate) struct Conn<'a> {
    store: &'a PgStore,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("a connection until dropped")
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("a connection until dropped")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take()
            && !client.is_closed()
        {
            let mut idle = self.store.shared.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if idle.len() < IDLE_CONNECTIONS {
                idle.push(client);
            }
        }
    }
}

/// The URL without its `schema` parameter, and the schema it names (checked: a lower-case identifier).
fn split_schema(url: &str) -> Result<(String, Option<String>), StoreError> {
    let Some((base, query)) = url.split_once('?') else { return Ok((url.to_owned(), None)) };
    let mut schema = None;
    let mut rest = Vec::new();
    for pair in query.split('&') {
        match pair.strip_prefix("schema=") {
            Some(name) => schema = Some(name.to_owned()),
            None => rest.push(pair),
        }
    }
    if let Some(name) = &schema {
        let ok = name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(StoreError::Invalid {
                id: "schema".into(),
                reason: format!(
                    "{name:?} is not a schema name (a-z, 0-9 and _, at most 63, not starting with a digit)"
                ),
            });
        }
    }
    let url = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
    Ok((url, schema))
}

/// Whether a URL names a PostgreSQL store (`postgres://` or `postgresql://`).
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// The URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`, with any
    /// parameter tokio-postgres takes) and applies pending migrations. `?schema=NAME` keeps truce's
    /// tables in that schema of the database (made when missing; PostGIS may stay in `public`), so one
    /// database can hold several stores.
    ///
    /// # Errors
    /// When the URL is not a PostgreSQL URL or names an invalid schema, the server cannot be reached
    /// or refuses the login, PostGIS is not available to the database, or the store's schema is newer
    /// than this program.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let place = redact_url(url);
        let (url, schema) = split_schema(url)?;
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Database(Box::new(e)))?;
        if let Some(schema) = &schema {
            let given = config.get_options().map(|o| format!("{o} ")).unwrap_or_default();
            config.options(format!("{given}-c search_path={schema},public"));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("truce-postgres")
            .enable_all()
            .build()
            .map_err(|source| StoreError::DataDir { path: place.clone().into(), source })?;
        let store = Self {
            shared: Arc::new(Shared { config, place, runtime, idle: Mutex::new(Vec::new()) }),
            access: Access::all(),
        };
        store.migrate(schema.as_deref())?;
        Ok(store)
    }

    /// Where the store is: its URL without the password.
    pub fn place(&self) -> &str {
        &self.shared.place
    }

    /// A connection from the pool, or a new one.
    pub(crate) fn conn(&self) -> Result<Conn<'_>, StoreError> {
        let idle = self.shared.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        if let Some(client) = idle.filter(|c| !c.is_closed()) {
            return Ok(Conn { store: self, client: Some(client) });
        }
        let config = self.shared.config.clone();
        let connecting = self.shared.runtime.spawn(async move {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(async move {
                // The connection ends when its client is dropped or the server goes away; a broken
                // connection shows as an error on the client's next call.
                let _ended = connection.await;
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        let client = block_on(connecting).map_err(|e| StoreError::Database(Box::new(e)))??;
        Ok(Conn { store: self, client: Some(client) })
    }

    /// Runs `f` on a pooled connection and waits for it.
    pub(crate) fn with<T, E: From<StoreError>>(
        &self,
        f: impl AsyncFnOnce(&mut Client) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.conn()?;
        block_on(f(&mut conn))
    }

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

    fn migrate(&self, schema: Option<&str>) -> Result<(), StoreError> {
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
            if let Some(schema) = schema {
                // The name was checked to be a plain identifier.
                tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).await?;
            }
            tx.batch_execute("CREATE TABLE IF NOT EXISTS truce_schema (version integer NOT NULL)").await?;
            let version: i64 = match tx.query_opt("SELECT version FROM truce_schema", &[]).await? {
                Some(row) => i64::from(row.get::<_, i32>(0)),
                None => {
                    tx.execute("INSERT INTO truce_schema (version) VALUES (0)", &[]).await?;
                    0
                }
            };
            let supported = MIGRATIONS.len() as i64;
            if version > supported {
                return Err(StoreError::TooNew { found: version, supported });
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
                tx.batch_execute(sql).await?;
                tx.execute("UPDATE truce_schema SET version = $1", &[&(i as i32 + 1)]).await?;
            }
            tx.batch_execute(SPATIAL_INDEX.1).await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

impl crate::Scope for PgStore {
    fn scoped(&self, access: Access) -> Arc<dyn crate::Store> {
        Arc::new(Self { shared: Arc::clone(&self.shared), access })
    }

    fn access(&self) -> &Access {
        &self.access
    }

    fn audit_table(&self) -> Option<Box<dyn truce_audit::Table>> {
        Some(Box::new(audit::PgAudit::new(self)))
    }
}

/// Waits for a future on this thread (see the module documentation).
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    futures_executor::block_on(f)
}

/// The label from its three columns (`rank` integer, `rel` and `cats` text), starting at column
/// `first` of `row`; `what` names the record in the error when the rank is not one truce writes.
pub(crate) fn label(row: &tokio_postgres::Row, first: usize, what: &str) -> Result<truce_core::Label, StoreError> {
    let rank: i32 = row.try_get(first)?;
    let rel: String = row.try_get(first + 1)?;
    let cats: String = row.try_get(first + 2)?;
    truce_access::LabelColumns::label(i64::from(rank), &rel, &cats)
        .ok_or_else(|| StoreError::Corrupt { id: what.to_owned(), reason: format!("classification rank {rank}") })
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Database(Box::new(e))
    }
}

impl From<tokio_postgres::Error> for CaseUpdateError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<tokio_postgres::Error> for crate::UserError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.into())
    }
}

/// A parameter of a statement built at run time.
type Param = Box<dyn tokio_postgres::types::ToSql + Sync>;

/// A WHERE clause under construction: AND-ed clauses and their parameters (`$1`, `$2`... in order).
#[derive(Default)]
pub(crate) struct Where {
    /// The clauses, AND-ed.
    pub(crate) clauses: Vec<String>,
    /// The parameters the clauses' placeholders stand for, in order.
    pub(crate) params: Vec<Param>,
}

impl Where {
    /// Adds a parameter and returns its placeholder.
    pub(crate) fn param(&mut self, value: impl tokio_postgres::types::ToSql + Sync + 'static) -> String {
        self.params.push(Box::new(value));
        format!("${}", self.params.len())
    }

    /// The parameters, as a statement takes them.
    pub(crate) fn refs(&self) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
        self.params.iter().map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)).collect()
    }

    /// Rows of the table aliased `alias` whose `lon` and `lat` are inside the box (west, south, east,
    /// north), edges included: its GiST index on `geom` narrows, the comparison decides.
    pub(crate) fn inside_box(&mut self, alias: &str, b: [f64; 4]) {
        if b.iter().any(|v| v.is_nan()) {
            // SQLite binds NaN as NULL, which no comparison passes.
            self.clauses.push("false".to_owned());
            return;
        }
        let [w, s, e, n] = b.map(|v| self.param(v));
        if b.iter().all(|v| v.is_finite()) {
            self.clauses.push(format!("{alias}.geom && ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326)"));
        }
        self.clauses
            .push(format!("{alias}.lon >= {w} AND {alias}.lat >= {s} AND {alias}.lon <= {e} AND {alias}.lat <= {n}"));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::redact_url;

    #[test]
    fn a_password_is_not_shown() {
        assert_eq!(redact_url("postgres://truce:s3cret@db:5432/truce"), "postgres://truce@db:5432/truce");
        assert_eq!(redact_url("postgres://db/truce?sslmode=disable"), "postgres://db/truce?sslmode=disable");
        assert_eq!(redact_url("postgresql://u@h/d"), "postgresql://u@h/d");
    }

    #[test]
    fn the_schema_parameter_is_taken_out_and_checked() {
        use super::split_schema;
        assert_eq!(split_schema("postgres://h/d").unwrap(), ("postgres://h/d".into(), None));
        assert_eq!(
            split_schema("postgres://h/d?schema=ops_1").unwrap(),
            ("postgres://h/d".into(), Some("ops_1".into()))
        );
        assert_eq!(
            split_schema("postgres://h/d?sslmode=disable&schema=s&connect_timeout=5").unwrap(),
            ("postgres://h/d?sslmode=disable&connect_timeout=5".into(), Some("s".into()))
        );
        for bad in ["", "1a", "A", "a;drop table x", "a-b", &"x".repeat(64)] {
            let err = split_schema(&format!("postgres://h/d?schema={bad}")).unwrap_err();
            assert!(err.to_string().contains("is not a schema name"), "{bad}: {err}");
        }
    }
}
