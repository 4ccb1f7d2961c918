//! TAK Server's files and missions on PostgreSQL (see [`crate::MartiStore`] for the design).
//!
//! The statements and checks are SQLite's. SQLite has one writer at a time; here every write locks
//! `mission_changes` for its transaction (not against reads) to the same effect: what a write checks
//! (the mission, the files it names) holds until it commits, and log numbers follow the commits.
//! Keywords match with jsonb's `?`; the name search stays in Rust (Unicode lower case) as on SQLite.

use time::OffsetDateTime;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, Row, Transaction};

use super::coalition::Columns;
use super::{PgStore, label};
use crate::blobs::parse_sha256;
use crate::marti::{
    CHANGE_COLUMNS, Entry, FILE_COLUMNS, MISSION_COLUMNS, MissionKey, Snapshot, check_file, content_columns,
    content_from, content_key, existing, search_sql,
};
use crate::observations::{from_ms, to_ms};
use crate::{
    ChangeKind, ContentRef, FilePut, FileQuery, FileRecord, MartiStore, MissionChange, MissionContent, MissionRecord,
    MissionRole, StoreError, Subscription,
};

const SUBSCRIPTION_COLUMNS: &str = "mission, client_uid, user_name, role, created_ms";

/// Taken by every write for its transaction: one writer at a time (see the module documentation).
const WRITE_LOCK: &str = "LOCK TABLE mission_changes IN SHARE ROW EXCLUSIVE MODE";

/// A stored value of `what` that does not decode (the database was changed outside truce).
fn corrupt(what: &str, reason: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { id: what.to_owned(), reason: reason.to_string() }
}

/// The columns of [`FILE_COLUMNS`] from `row`, starting at column `at`.
fn file_from(row: &Row, at: usize) -> Result<FileRecord, StoreError> {
    let hash: String = row.try_get(at)?;
    let what = format!("file {hash:?}");
    let size: i64 = row.try_get(at + 4)?;
    let keywords: &str = row.try_get(at + 5)?;
    let lat: Option<f64> = row.try_get(at + 11)?;
    let lon: Option<f64> = row.try_get(at + 12)?;
    Ok(FileRecord {
        uid: row.try_get(at + 1)?,
        name: row.try_get(at + 2)?,
        mime: row.try_get(at + 3)?,
        size: u64::try_from(size).map_err(|e| corrupt(&what, e))?,
        keywords: serde_json::from_str(keywords).map_err(|e| corrupt(&what, format!("keywords: {e}")))?,
        tool: row.try_get(at + 6)?,
        creator_uid: row.try_get(at + 7)?,
        submitter: row.try_get(at + 8)?,
        submitted: from_ms(row.try_get(at + 9)?),
        expiration: row.try_get(at + 10)?,
        location: lat.zip(lon),
        label: label(row, at + 13, &what)?,
        hash,
    })
}

/// The role in column `at`, of the mission `what`.
fn role_from(row: &Row, at: usize, what: &str) -> Result<MissionRole, StoreError> {
    let role: &str = row.try_get(at)?;
    MissionRole::parse(role).ok_or_else(|| corrupt(what, format!("mission role {role:?}")))
}

/// The columns of [`MISSION_COLUMNS`] as a mission.
fn mission_from(row: &Row) -> Result<MissionRecord, StoreError> {
    let name: String = row.try_get(0)?;
    let what = format!("mission {name:?}");
    Ok(MissionRecord {
        guid: row.try_get(1)?,
        description: row.try_get(2)?,
        chat_room: row.try_get(3)?,
        tool: row.try_get(4)?,
        creator_uid: row.try_get(5)?,
        creator_user: row.try_get(6)?,
        created: from_ms(row.try_get(7)?),
        default_role: role_from(row, 8, &what)?,
        invite_only: row.try_get(9)?,
        label: label(row, 10, &what)?,
        name,
    })
}

/// The columns of [`SUBSCRIPTION_COLUMNS`] as a subscription.
fn subscription_from(row: &Row) -> Result<Subscription, StoreError> {
    let mission: String = row.try_get(0)?;
    Ok(Subscription {
        client_uid: row.try_get(1)?,
        user: row.try_get(2)?,
        role: role_from(row, 3, &format!("mission {mission:?}"))?,
        created: from_ms(row.try_get(4)?),
        mission,
    })
}

/// The columns of [`CHANGE_COLUMNS`] as a log entry.
fn change_from(row: &Row) -> Result<MissionChange, StoreError> {
    let seq: i64 = row.try_get(0)?;
    let what = format!("mission change {seq}");
    let kind: &str = row.try_get(2)?;
    let kind = ChangeKind::parse(kind).ok_or_else(|| corrupt(&what, format!("change kind {kind:?}")))?;
    let content_kind: Option<&str> = row.try_get(3)?;
    let item: Option<String> = row.try_get(4)?;
    let content = match (content_kind, item) {
        (Some(k), Some(item)) => Some(content_from(k, item).map_err(|reason| corrupt(&what, reason))?),
        _ => None,
    };
    let snapshot: Option<&str> = row.try_get(5)?;
    let label = label(row, 8, &what)?;
    let file = match (snapshot, &content) {
        (Some(json), Some(ContentRef::File(hash))) => {
            let s: Snapshot = serde_json::from_str(json).map_err(|e| corrupt(&what, format!("file record: {e}")))?;
            Some(s.record(hash.clone(), label.clone()))
        }
        _ => None,
    };
    Ok(MissionChange {
        seq,
        mission: row.try_get(1)?,
        kind,
        content,
        file,
        creator_uid: row.try_get(6)?,
        at: from_ms(row.try_get(7)?),
        label,
    })
}

/// Appends an entry to the log of `mission` and answers it. A file's entry carries the file's label
/// and record, any other the mission's label.
async fn log(tx: &Transaction<'_>, mission: &MissionKey, e: Entry<'_>) -> Result<MissionChange, StoreError> {
    let columns = e.columns(mission)?;
    let own = Columns::of(&columns.label);
    let of_mission = Columns::of(&mission.label);
    let row = tx
        .query_one(
            "INSERT INTO mission_changes (mission, kind, content_kind, content, file, creator_uid, at_ms, rank, rel, \
             cats, mission_rank, mission_rel, mission_cats, mission_created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq",
            &[
                &mission.name,
                &e.kind.id(),
                &columns.content_kind,
                &columns.item,
                &columns.snapshot,
                &e.creator_uid,
                &columns.at_ms,
                &own.rank,
                &own.rel,
                &own.cats,
                &of_mission.rank,
                &of_mission.rel,
                &of_mission.cats,
                &mission.created_ms,
            ],
        )
        .await?;
    Ok(e.change(mission, row.try_get(0)?, columns.label))
}

impl PgStore {
    /// Runs `f` in a transaction that holds [`WRITE_LOCK`], and commits when it succeeds.
    fn marti_write<T>(&self, f: impl AsyncFnOnce(&Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.with(async |c: &mut Client| {
            let tx = c.transaction().await?;
            tx.batch_execute(WRITE_LOCK).await?;
            let out = f(&tx).await?;
            tx.commit().await?;
            Ok(out)
        })
    }

    /// Every row of `sql` with `params`, decoded by `decode`.
    fn marti_rows<T>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        decode: fn(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = self.with(async |c: &mut Client| Ok::<_, StoreError>(c.query(sql, params).await?))?;
        rows.iter().map(decode).collect()
    }

    /// The file with `hash` (lowercase) if this handle may see it, read on `c`.
    async fn visible_file(&self, c: &impl GenericClient, hash: &str) -> Result<Option<FileRecord>, StoreError> {
        let sql =
            format!("SELECT {FILE_COLUMNS} FROM files f WHERE f.hash = $1 AND {}", self.visible("f.", "submitted_ms"));
        c.query_opt(&sql, &[&hash]).await?.map(|r| file_from(&r, 0)).transpose()
    }

    /// The mission whose `column` is `key`, if this handle may see it, read on `c`.
    async fn visible_mission_by(
        &self,
        c: &impl GenericClient,
        column: &str,
        key: &str,
    ) -> Result<Option<MissionRecord>, StoreError> {
        let sql = format!(
            "SELECT {MISSION_COLUMNS} FROM missions m WHERE m.{column} = $1 AND {}",
            self.visible("m.", "created_ms")
        );
        c.query_opt(&sql, &[&key]).await?.map(|r| mission_from(&r)).transpose()
    }

    /// The mission named `name` if this handle may see it, read on `c`.
    async fn visible_mission(&self, c: &impl GenericClient, name: &str) -> Result<Option<MissionRecord>, StoreError> {
        self.visible_mission_by(c, "name", name).await
    }

    /// [`Self::visible_mission`], or [`StoreError::NotFound`] naming it.
    async fn known_mission(&self, c: &impl GenericClient, name: &str) -> Result<MissionRecord, StoreError> {
        self.visible_mission(c, name).await?.ok_or_else(|| StoreError::NotFound(name.to_owned()))
    }

    /// The rows of `sql` with `params`, read once the mission named `mission` is known to this handle
    /// (else [`StoreError::NotFound`]).
    fn of_known_mission(
        &self,
        mission: &str,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        self.with(async |c: &mut Client| {
            self.known_mission(&*c, mission).await?;
            Ok(c.query(sql, params).await?)
        })
    }

    /// `item` keyed as stored (see [`content_key`]) with its file's record, read on `c`; `None` when
    /// it names no file this handle may see.
    async fn content_of(
        &self,
        c: &impl GenericClient,
        item: &ContentRef,
    ) -> Result<Option<(ContentRef, Option<FileRecord>)>, StoreError> {
        let Some(content) = content_key(item) else { return Ok(None) };
        let ContentRef::File(key) = &content else { return Ok(Some((content, None))) };
        Ok(self.visible_file(c, key).await?.map(|file| (content, Some(file))))
    }

    /// Each item checked (a file must exist and be visible) and keyed as stored, with its file's
    /// record: all before any is added.
    async fn resolve(
        &self,
        tx: &Transaction<'_>,
        items: &[ContentRef],
    ) -> Result<Vec<(ContentRef, Option<FileRecord>)>, StoreError> {
        let mut resolved = Vec::with_capacity(items.len());
        for item in items {
            let found = self.content_of(tx, item).await?;
            resolved.push(found.ok_or_else(|| StoreError::NotFound(item.key().to_owned()))?);
        }
        Ok(resolved)
    }
}

impl MartiStore for PgStore {
    fn put_file(&self, f: &FileRecord) -> Result<FilePut, StoreError> {
        let (size, keywords) = check_file(f)?;
        let l = Columns::of(&f.label);
        let (lat, lon) = f.location.unzip();
        self.marti_write(async |tx: &Transaction<'_>| {
            let sql = format!("SELECT {FILE_COLUMNS} FROM files f WHERE f.hash = $1");
            if let Some(old) = tx.query_opt(&sql, &[&f.hash]).await? {
                // The same content: leave it.
                return existing(&self.access, file_from(&old, 0)?);
            }
            tx.execute(
                "INSERT INTO files (hash, uid, name, mime, size, keywords, tool, creator_uid, submitter, \
                 submitted_ms, expiration, lat, lon, rank, rel, cats) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                &[
                    &f.hash,
                    &f.uid,
                    &f.name,
                    &f.mime,
                    &size,
                    &keywords,
                    &f.tool,
                    &f.creator_uid,
                    &f.submitter,
                    &to_ms(f.submitted),
                    &f.expiration,
                    &lat,
                    &lon,
                    &l.rank,
                    &l.rel,
                    &l.cats,
                ],
            )
            .await?;
            Ok(FilePut::Stored)
        })
    }

    fn file(&self, hash: &str) -> Result<Option<FileRecord>, StoreError> {
        let Some(hash) = parse_sha256(hash) else { return Ok(None) };
        self.with(async |c: &mut Client| self.visible_file(&*c, &hash).await)
    }

    fn search_files(&self, q: &FileQuery) -> Result<Vec<FileRecord>, StoreError> {
        let limit = q.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        // jsonb `?`: the string is an element of the array.
        let (mut sql, keys) =
            search_sql(q, &self.visible("f.", "submitted_ms"), '$', |p| format!("f.keywords::jsonb ? {p}"));
        let mut args: Vec<&(dyn ToSql + Sync)> = keys.iter().map(|k| k as &(dyn ToSql + Sync)).collect();
        let needle = q.name.as_deref().map(str::to_lowercase);
        let sql_limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if needle.is_none() {
            // Without a name to match in Rust, the database can stop at the limit.
            args.push(&sql_limit);
            sql.push_str(&format!(" LIMIT ${}", args.len()));
        }
        let files = self.marti_rows(&sql, &args, |r| file_from(r, 0))?;
        let matches = |f: &FileRecord| needle.as_deref().is_none_or(|n| f.name.to_lowercase().contains(n));
        Ok(files.into_iter().filter(matches).take(limit).collect())
    }

    fn delete_file(
        &self,
        hash: &str,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<Option<(FileRecord, Vec<MissionChange>)>, StoreError> {
        let Some(hash) = parse_sha256(hash) else { return Ok(None) };
        self.marti_write(async |tx: &Transaction<'_>| {
            let Some(file) = self.visible_file(tx, &hash).await? else { return Ok(None) };
            let rows = tx
                .query(
                    "SELECT m.name, m.rank, m.rel, m.cats, m.created_ms FROM mission_contents c \
                     JOIN missions m ON m.name = c.mission WHERE c.kind = 'file' AND c.item = $1 ORDER BY m.name",
                    &[&hash],
                )
                .await?;
            let missions = rows
                .iter()
                .map(|r| {
                    let name: String = r.try_get(0)?;
                    let label = label(r, 1, &format!("mission {name:?}"))?;
                    Ok(MissionKey { name, label, created_ms: r.try_get(4)? })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            tx.execute("DELETE FROM mission_contents WHERE kind = 'file' AND item = $1", &[&hash]).await?;
            let content = ContentRef::File(hash.clone());
            let mut changes = Vec::with_capacity(missions.len());
            for m in &missions {
                let entry = Entry {
                    kind: ChangeKind::RemoveContent,
                    content: Some(&content),
                    file: Some(&file),
                    creator_uid: by,
                    at,
                };
                changes.push(log(tx, m, entry).await?);
            }
            tx.execute("DELETE FROM files WHERE hash = $1", &[&hash]).await?;
            Ok(Some((file, changes)))
        })
    }

    fn create_mission(&self, m: &MissionRecord) -> Result<MissionChange, StoreError> {
        let l = Columns::of(&m.label);
        self.marti_write(async |tx: &Transaction<'_>| {
            for (sql, key) in [
                ("SELECT 1 FROM missions WHERE name = $1", &m.name),
                ("SELECT 1 FROM missions WHERE guid = $1", &m.guid),
            ] {
                if tx.query_opt(sql, &[key]).await?.is_some() {
                    return Err(StoreError::Exists(key.clone()));
                }
            }
            tx.execute(
                "INSERT INTO missions (name, guid, description, chat_room, tool, creator_uid, creator_user, \
                 created_ms, default_role, invite_only, rank, rel, cats) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &[
                    &m.name,
                    &m.guid,
                    &m.description,
                    &m.chat_room,
                    &m.tool,
                    &m.creator_uid,
                    &m.creator_user,
                    &to_ms(m.created),
                    &m.default_role.id(),
                    &m.invite_only,
                    &l.rank,
                    &l.rel,
                    &l.cats,
                ],
            )
            .await?;
            let entry = Entry {
                kind: ChangeKind::CreateMission,
                content: None,
                file: None,
                creator_uid: &m.creator_uid,
                at: m.created,
            };
            log(tx, &MissionKey::of(m), entry).await
        })
    }

    fn mission(&self, name: &str) -> Result<Option<MissionRecord>, StoreError> {
        self.with(async |c: &mut Client| self.visible_mission(&*c, name).await)
    }

    fn mission_by_guid(&self, guid: &str) -> Result<Option<MissionRecord>, StoreError> {
        self.with(async |c: &mut Client| self.visible_mission_by(&*c, "guid", guid).await)
    }

    fn missions(&self) -> Result<Vec<MissionRecord>, StoreError> {
        let sql = format!(
            "SELECT {MISSION_COLUMNS} FROM missions m WHERE {} ORDER BY m.name",
            self.visible("m.", "created_ms")
        );
        self.marti_rows(&sql, &[], mission_from)
    }

    fn delete_mission(&self, name: &str, by: &str, at: OffsetDateTime) -> Result<Option<MissionChange>, StoreError> {
        self.marti_write(async |tx: &Transaction<'_>| {
            let Some(m) = self.visible_mission(tx, name).await? else { return Ok(None) };
            for table in ["mission_subscriptions", "mission_contents"] {
                tx.execute(&format!("DELETE FROM {table} WHERE mission = $1"), &[&name]).await?;
            }
            tx.execute("DELETE FROM missions WHERE name = $1", &[&name]).await?;
            let entry = Entry { kind: ChangeKind::DeleteMission, content: None, file: None, creator_uid: by, at };
            Ok(Some(log(tx, &MissionKey::of(&m), entry).await?))
        })
    }

    fn subscribe(&self, s: &Subscription) -> Result<Subscription, StoreError> {
        self.marti_write(async |tx: &Transaction<'_>| {
            self.known_mission(tx, &s.mission).await?;
            tx.execute(
                &format!(
                    "INSERT INTO mission_subscriptions ({SUBSCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (mission, client_uid) DO NOTHING"
                ),
                &[&s.mission, &s.client_uid, &s.user, &s.role.id(), &to_ms(s.created)],
            )
            .await?;
            let sql = format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM mission_subscriptions WHERE mission = $1 AND client_uid = $2"
            );
            subscription_from(&tx.query_one(&sql, &[&s.mission, &s.client_uid]).await?)
        })
    }

    fn unsubscribe(&self, mission: &str, client_uid: &str) -> Result<bool, StoreError> {
        self.marti_write(async |tx: &Transaction<'_>| {
            self.known_mission(tx, mission).await?;
            let sql = "DELETE FROM mission_subscriptions WHERE mission = $1 AND client_uid = $2";
            Ok(tx.execute(sql, &[&mission, &client_uid]).await? > 0)
        })
    }

    fn set_role(&self, mission: &str, client_uid: &str, role: MissionRole) -> Result<bool, StoreError> {
        self.marti_write(async |tx: &Transaction<'_>| {
            self.known_mission(tx, mission).await?;
            let sql = "UPDATE mission_subscriptions SET role = $3 WHERE mission = $1 AND client_uid = $2";
            Ok(tx.execute(sql, &[&mission, &client_uid, &role.id()]).await? > 0)
        })
    }

    fn subscriptions(&self, mission: &str) -> Result<Vec<Subscription>, StoreError> {
        let sql =
            format!("SELECT {SUBSCRIPTION_COLUMNS} FROM mission_subscriptions WHERE mission = $1 ORDER BY client_uid");
        self.of_known_mission(mission, &sql, &[&mission])?.iter().map(subscription_from).collect()
    }

    fn subscription(&self, mission: &str, client_uid: &str) -> Result<Option<Subscription>, StoreError> {
        let sql =
            format!("SELECT {SUBSCRIPTION_COLUMNS} FROM mission_subscriptions WHERE mission = $1 AND client_uid = $2");
        match self.of_known_mission(mission, &sql, &[&mission, &client_uid]) {
            Ok(rows) => rows.first().map(subscription_from).transpose(),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM mission_subscriptions ORDER BY mission, client_uid");
        self.marti_rows(&sql, &[], subscription_from)
    }

    fn add_contents(
        &self,
        mission: &str,
        items: &[ContentRef],
        creator_uid: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<MissionChange>, StoreError> {
        self.marti_write(async |tx: &Transaction<'_>| {
            let m = MissionKey::of(&self.known_mission(tx, mission).await?);
            let resolved = self.resolve(tx, items).await?;
            let mut changes = Vec::new();
            for (content, file) in &resolved {
                let (kind, key) = content_columns(content);
                let added = tx
                    .execute(
                        "INSERT INTO mission_contents (mission, kind, item, creator_uid, added_ms) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (mission, kind, item) DO NOTHING",
                        &[&mission, &kind, &key, &creator_uid, &to_ms(at)],
                    )
                    .await?;
                if added > 0 {
                    let entry = Entry {
                        kind: ChangeKind::AddContent,
                        content: Some(content),
                        file: file.as_ref(),
                        creator_uid,
                        at,
                    };
                    changes.push(log(tx, &m, entry).await?);
                }
            }
            Ok(changes)
        })
    }

    fn remove_content(
        &self,
        mission: &str,
        item: &ContentRef,
        creator_uid: &str,
        at: OffsetDateTime,
    ) -> Result<Option<MissionChange>, StoreError> {
        self.marti_write(async |tx: &Transaction<'_>| {
            let m = MissionKey::of(&self.known_mission(tx, mission).await?);
            // A file this handle may not see is not there for it.
            let Some((content, file)) = self.content_of(tx, item).await? else { return Ok(None) };
            let (kind, key) = content_columns(&content);
            let sql = "DELETE FROM mission_contents WHERE mission = $1 AND kind = $2 AND item = $3";
            if tx.execute(sql, &[&mission, &kind, &key]).await? == 0 {
                return Ok(None);
            }
            let entry = Entry {
                kind: ChangeKind::RemoveContent,
                content: Some(&content),
                file: file.as_ref(),
                creator_uid,
                at,
            };
            Ok(Some(log(tx, &m, entry).await?))
        })
    }

    fn contents(&self, mission: &str) -> Result<Vec<MissionContent>, StoreError> {
        let sql = format!(
            "SELECT c.kind, c.item, c.creator_uid, c.added_ms, {FILE_COLUMNS} \
             FROM mission_contents c LEFT JOIN files f ON c.kind = 'file' AND f.hash = c.item \
             WHERE c.mission = $1 AND (c.kind = 'uid' OR (f.hash IS NOT NULL AND {})) ORDER BY c.seq",
            self.visible("f.", "submitted_ms")
        );
        let rows = self.of_known_mission(mission, &sql, &[&mission])?;
        rows.iter()
            .map(|row| {
                let content = content_from(row.try_get(0)?, row.try_get(1)?)
                    .map_err(|reason| corrupt(&format!("mission {mission:?}"), reason))?;
                let file = match content {
                    ContentRef::File(_) => Some(file_from(row, 4)?),
                    ContentRef::Uid(_) => None,
                };
                Ok(MissionContent { content, creator_uid: row.try_get(2)?, added: from_ms(row.try_get(3)?), file })
            })
            .collect()
    }

    fn changes(&self, mission: &str, since: Option<OffsetDateTime>) -> Result<Vec<MissionChange>, StoreError> {
        let of_mission = self.access.sql("c.mission_rank", "c.mission_rel", "c.mission_cats", "c.mission_created_ms");
        let sql = format!(
            "SELECT {CHANGE_COLUMNS} FROM mission_changes c \
             WHERE c.mission = $1 AND c.at_ms >= $2 AND {} AND {of_mission} ORDER BY c.seq",
            self.visible("c.", "at_ms")
        );
        let since = since.map_or(i64::MIN, to_ms);
        self.marti_rows(&sql, &[&mission, &since], change_from)
    }
}
