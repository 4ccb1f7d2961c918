//! TAK Server's files and missions on SQLite (see [`crate::MartiStore`] for the design).
//!
//! Every write is one transaction on the writer connection: the checks it depends on (the mission
//! exists and this handle may see it, every file named exists and is visible) run inside it, and
//! the change log is appended in it, so a write is whole or absent and the log always agrees with
//! the contents. Reads add the handle's access predicate to their query: files on `submitted_ms`,
//! missions on `created_ms`, log entries on their own label at `at_ms` **and** on their mission's
//! label at its creation (both copied into the entry, so they hold after the mission is deleted).
//!
//! No SQL is built from a name: names are bound as parameters, the file-name search is done in Rust
//! (Unicode lower case, no `LIKE` patterns to escape), and keywords are matched with `json_each`.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use time::OffsetDateTime;
use truce_access::LabelColumns;

use super::tracks::label;
use super::{SqliteStore, from_ms, to_ms};
use crate::blobs::parse_sha256;
use crate::marti::{
    CHANGE_COLUMNS, Entry, FILE_COLUMNS, MISSION_COLUMNS, MissionKey, Snapshot, check_file, content_columns,
    content_from, content_key, existing, search_sql,
};
use crate::{
    ChangeKind, ContentRef, FilePut, FileQuery, FileRecord, MartiStore, MissionChange, MissionContent, MissionRecord,
    MissionRole, StoreError, Subscription,
};

const SUBSCRIPTION_COLUMNS: &str = "mission, client_uid, user, role, created_ms";

/// A stored value that does not decode (the database was changed outside truce).
fn bad(column: usize, reason: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, reason.into())
}

/// The columns of [`FILE_COLUMNS`] from `row`, starting at column `at`.
fn file_from(row: &Row<'_>, at: usize) -> rusqlite::Result<FileRecord> {
    let size: i64 = row.get(at + 4)?;
    let keywords: String = row.get(at + 5)?;
    let lat: Option<f64> = row.get(at + 11)?;
    let lon: Option<f64> = row.get(at + 12)?;
    Ok(FileRecord {
        hash: row.get(at)?,
        uid: row.get(at + 1)?,
        name: row.get(at + 2)?,
        mime: row.get(at + 3)?,
        size: u64::try_from(size).map_err(|e| bad(at + 4, e))?,
        keywords: serde_json::from_str(&keywords).map_err(|e| bad(at + 5, e))?,
        tool: row.get(at + 6)?,
        creator_uid: row.get(at + 7)?,
        submitter: row.get(at + 8)?,
        submitted: from_ms(row.get(at + 9)?),
        expiration: row.get(at + 10)?,
        location: lat.zip(lon),
        label: label(row, at + 13)?,
    })
}

fn role_from(row: &Row<'_>, at: usize) -> rusqlite::Result<MissionRole> {
    let role: String = row.get(at)?;
    MissionRole::parse(&role).ok_or_else(|| bad(at, format!("mission role {role:?}")))
}

fn mission_from(row: &Row<'_>) -> rusqlite::Result<MissionRecord> {
    Ok(MissionRecord {
        name: row.get(0)?,
        guid: row.get(1)?,
        description: row.get(2)?,
        chat_room: row.get(3)?,
        tool: row.get(4)?,
        creator_uid: row.get(5)?,
        creator_user: row.get(6)?,
        created: from_ms(row.get(7)?),
        default_role: role_from(row, 8)?,
        invite_only: row.get(9)?,
        label: label(row, 10)?,
    })
}

fn subscription_from(row: &Row<'_>) -> rusqlite::Result<Subscription> {
    Ok(Subscription {
        mission: row.get(0)?,
        client_uid: row.get(1)?,
        user: row.get(2)?,
        role: role_from(row, 3)?,
        created: from_ms(row.get(4)?),
    })
}

/// The columns of [`CHANGE_COLUMNS`] as a log entry.
fn change_from(row: &Row<'_>) -> rusqlite::Result<MissionChange> {
    let kind: String = row.get(2)?;
    let kind = ChangeKind::parse(&kind).ok_or_else(|| bad(2, format!("change kind {kind:?}")))?;
    let content_kind: Option<String> = row.get(3)?;
    let item: Option<String> = row.get(4)?;
    let content = match (content_kind, item) {
        (Some(k), Some(item)) => Some(content_from(&k, item).map_err(|reason| bad(3, reason))?),
        _ => None,
    };
    let snapshot: Option<String> = row.get(5)?;
    let label = label(row, 8)?;
    let file = match (snapshot, &content) {
        (Some(json), Some(ContentRef::File(hash))) => {
            let s: Snapshot = serde_json::from_str(&json).map_err(|e| bad(5, e))?;
            Some(s.record(hash.clone(), label.clone()))
        }
        _ => None,
    };
    Ok(MissionChange {
        seq: row.get(0)?,
        mission: row.get(1)?,
        kind,
        content,
        file,
        creator_uid: row.get(6)?,
        at: from_ms(row.get(7)?),
        label,
    })
}

/// Appends an entry (the [`Entry`] of `kind` to `at`) to the log of `mission` and answers it. A file's
/// entry carries the file's label and record, any other the mission's label.
fn log(
    tx: &Transaction<'_>,
    mission: &MissionKey,
    kind: ChangeKind,
    content: Option<&ContentRef>,
    file: Option<&FileRecord>,
    creator_uid: &str,
    at: OffsetDateTime,
) -> Result<MissionChange, StoreError> {
    let e = Entry { kind, content, file, creator_uid, at };
    let columns = e.columns(mission)?;
    let own = LabelColumns::of(&columns.label);
    let of_mission = LabelColumns::of(&mission.label);
    tx.prepare_cached(
        "INSERT INTO mission_changes (mission, kind, content_kind, content, file, creator_uid, at_ms, rank, rel, \
         cats, mission_rank, mission_rel, mission_cats, mission_created_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        mission.name,
        kind.id(),
        columns.content_kind,
        columns.item,
        columns.snapshot,
        creator_uid,
        columns.at_ms,
        own.rank,
        own.rel,
        own.cats,
        of_mission.rank,
        of_mission.rel,
        of_mission.cats,
        mission.created_ms
    ])?;
    Ok(e.change(mission, tx.last_insert_rowid(), columns.label))
}

impl SqliteStore {
    /// The file with `hash` (lowercase) if this handle may see it, read on `conn`.
    fn visible_file(&self, conn: &Connection, hash: &str) -> Result<Option<FileRecord>, StoreError> {
        let sql =
            format!("SELECT {FILE_COLUMNS} FROM files f WHERE f.hash = ?1 AND {}", self.visible("f.", "submitted_ms"));
        Ok(conn.prepare_cached(&sql)?.query_row([hash], |r| file_from(r, 0)).optional()?)
    }

    /// The mission named `name` if this handle may see it, read on `conn`.
    fn visible_mission(&self, conn: &Connection, name: &str) -> Result<Option<MissionRecord>, StoreError> {
        let sql = format!(
            "SELECT {MISSION_COLUMNS} FROM missions m WHERE m.name = ?1 AND {}",
            self.visible("m.", "created_ms")
        );
        Ok(conn.prepare_cached(&sql)?.query_row([name], mission_from).optional()?)
    }

    /// [`Self::visible_mission`], or [`StoreError::NotFound`] naming it.
    fn known_mission(&self, conn: &Connection, name: &str) -> Result<MissionRecord, StoreError> {
        self.visible_mission(conn, name)?.ok_or_else(|| StoreError::NotFound(name.to_owned()))
    }

    /// `item` keyed as stored (see [`content_key`]) with its file's record, read on `conn`; `None`
    /// when it names no file this handle may see.
    fn content_of(
        &self,
        conn: &Connection,
        item: &ContentRef,
    ) -> Result<Option<(ContentRef, Option<FileRecord>)>, StoreError> {
        let Some(content) = content_key(item) else { return Ok(None) };
        let ContentRef::File(key) = &content else { return Ok(Some((content, None))) };
        Ok(self.visible_file(conn, key)?.map(|file| (content, Some(file))))
    }
}

impl MartiStore for SqliteStore {
    fn put_file(&self, f: &FileRecord) -> Result<FilePut, StoreError> {
        let (size, keywords) = check_file(f)?;
        let l = LabelColumns::of(&f.label);
        let (lat, lon) = f.location.unzip();
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let old = tx
            .prepare_cached(&format!("SELECT {FILE_COLUMNS} FROM files f WHERE f.hash = ?1"))?
            .query_row([&f.hash], |r| file_from(r, 0))
            .optional()?;
        if let Some(old) = old {
            // The same content: leave it.
            return existing(&self.access, old);
        }
        tx.prepare_cached(
            "INSERT INTO files (hash, uid, name, mime, size, keywords, tool, creator_uid, submitter, submitted_ms, \
             expiration, lat, lon, rank, rel, cats) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        )?
        .execute(params![
            f.hash,
            f.uid,
            f.name,
            f.mime,
            size,
            keywords,
            f.tool,
            f.creator_uid,
            f.submitter,
            to_ms(f.submitted),
            f.expiration,
            lat,
            lon,
            l.rank,
            l.rel,
            l.cats
        ])?;
        tx.commit()?;
        Ok(FilePut::Stored)
    }

    fn file(&self, hash: &str) -> Result<Option<FileRecord>, StoreError> {
        let Some(hash) = parse_sha256(hash) else { return Ok(None) };
        self.visible_file(&self.reader(), &hash)
    }

    fn search_files(&self, q: &FileQuery) -> Result<Vec<FileRecord>, StoreError> {
        let limit = q.limit.unwrap_or(usize::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let (sql, args) = search_sql(q, &self.visible("f.", "submitted_ms"), '?', |p| {
            format!("EXISTS (SELECT 1 FROM json_each(f.keywords) WHERE value = {p})")
        });
        let needle = q.name.as_deref().map(str::to_lowercase);
        let r = self.reader();
        let mut stmt = r.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let f = file_from(row, 0)?;
            if needle.as_deref().is_none_or(|n| f.name.to_lowercase().contains(n)) {
                out.push(f);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn delete_file(
        &self,
        hash: &str,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<Option<(FileRecord, Vec<MissionChange>)>, StoreError> {
        let Some(hash) = parse_sha256(hash) else { return Ok(None) };
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let Some(file) = self.visible_file(&tx, &hash)? else { return Ok(None) };
        let missions = tx
            .prepare_cached(
                "SELECT m.name, m.rank, m.rel, m.cats, m.created_ms FROM mission_contents c \
                 JOIN missions m ON m.name = c.mission WHERE c.kind = 'file' AND c.item = ?1 ORDER BY m.name",
            )?
            .query_map([&hash], |r| Ok(MissionKey { name: r.get(0)?, label: label(r, 1)?, created_ms: r.get(4)? }))?
            .collect::<Result<Vec<_>, _>>()?;
        tx.execute("DELETE FROM mission_contents WHERE kind = 'file' AND item = ?1", [&hash])?;
        let content = ContentRef::File(hash.clone());
        let changes = missions
            .iter()
            .map(|m| log(&tx, m, ChangeKind::RemoveContent, Some(&content), Some(&file), by, at))
            .collect::<Result<Vec<_>, _>>()?;
        tx.execute("DELETE FROM files WHERE hash = ?1", [&hash])?;
        tx.commit()?;
        Ok(Some((file, changes)))
    }

    fn create_mission(&self, m: &MissionRecord) -> Result<MissionChange, StoreError> {
        let l = LabelColumns::of(&m.label);
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let taken = |sql: &str, key: &str| -> Result<bool, StoreError> {
            Ok(tx.prepare_cached(sql)?.query_row([key], |_| Ok(())).optional()?.is_some())
        };
        if taken("SELECT 1 FROM missions WHERE name = ?1", &m.name)? {
            return Err(StoreError::Exists(m.name.clone()));
        }
        if taken("SELECT 1 FROM missions WHERE guid = ?1", &m.guid)? {
            return Err(StoreError::Exists(m.guid.clone()));
        }
        tx.prepare_cached(
            "INSERT INTO missions (name, guid, description, chat_room, tool, creator_uid, creator_user, created_ms, \
             default_role, invite_only, rank, rel, cats) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            m.name,
            m.guid,
            m.description,
            m.chat_room,
            m.tool,
            m.creator_uid,
            m.creator_user,
            to_ms(m.created),
            m.default_role.id(),
            m.invite_only,
            l.rank,
            l.rel,
            l.cats
        ])?;
        let change = log(&tx, &MissionKey::of(m), ChangeKind::CreateMission, None, None, &m.creator_uid, m.created)?;
        tx.commit()?;
        Ok(change)
    }

    fn mission(&self, name: &str) -> Result<Option<MissionRecord>, StoreError> {
        self.visible_mission(&self.reader(), name)
    }

    fn mission_by_guid(&self, guid: &str) -> Result<Option<MissionRecord>, StoreError> {
        let r = self.reader();
        let sql = format!(
            "SELECT {MISSION_COLUMNS} FROM missions m WHERE m.guid = ?1 AND {}",
            self.visible("m.", "created_ms")
        );
        Ok(r.prepare_cached(&sql)?.query_row([guid], mission_from).optional()?)
    }

    fn missions(&self) -> Result<Vec<MissionRecord>, StoreError> {
        let r = self.reader();
        let sql = format!(
            "SELECT {MISSION_COLUMNS} FROM missions m WHERE {} ORDER BY m.name",
            self.visible("m.", "created_ms")
        );
        Ok(r.prepare_cached(&sql)?.query_map([], mission_from)?.collect::<Result<_, _>>()?)
    }

    fn delete_mission(&self, name: &str, by: &str, at: OffsetDateTime) -> Result<Option<MissionChange>, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let Some(m) = self.visible_mission(&tx, name)? else { return Ok(None) };
        tx.execute("DELETE FROM mission_subscriptions WHERE mission = ?1", [name])?;
        tx.execute("DELETE FROM mission_contents WHERE mission = ?1", [name])?;
        tx.execute("DELETE FROM missions WHERE name = ?1", [name])?;
        let change = log(&tx, &MissionKey::of(&m), ChangeKind::DeleteMission, None, None, by, at)?;
        tx.commit()?;
        Ok(Some(change))
    }

    fn subscribe(&self, s: &Subscription) -> Result<Subscription, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        self.known_mission(&tx, &s.mission)?;
        tx.prepare_cached(
            "INSERT INTO mission_subscriptions (mission, client_uid, user, role, created_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (mission, client_uid) DO NOTHING",
        )?
        .execute(params![s.mission, s.client_uid, s.user, s.role.id(), to_ms(s.created)])?;
        let stored = tx
            .prepare_cached(&format!(
                "SELECT {SUBSCRIPTION_COLUMNS} FROM mission_subscriptions WHERE mission = ?1 AND client_uid = ?2"
            ))?
            .query_row([&s.mission, &s.client_uid], subscription_from)?;
        tx.commit()?;
        Ok(stored)
    }

    fn unsubscribe(&self, mission: &str, client_uid: &str) -> Result<bool, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        self.known_mission(&tx, mission)?;
        let n = tx.execute(
            "DELETE FROM mission_subscriptions WHERE mission = ?1 AND client_uid = ?2",
            [mission, client_uid],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    fn set_role(&self, mission: &str, client_uid: &str, role: MissionRole) -> Result<bool, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        self.known_mission(&tx, mission)?;
        let n = tx.execute(
            "UPDATE mission_subscriptions SET role = ?3 WHERE mission = ?1 AND client_uid = ?2",
            [mission, client_uid, role.id()],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }

    fn subscriptions(&self, mission: &str) -> Result<Vec<Subscription>, StoreError> {
        let r = self.reader();
        self.known_mission(&r, mission)?;
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM mission_subscriptions WHERE mission = ?1 ORDER BY client_uid"
        ))?;
        Ok(stmt.query_map([mission], subscription_from)?.collect::<Result<_, _>>()?)
    }

    fn subscription(&self, mission: &str, client_uid: &str) -> Result<Option<Subscription>, StoreError> {
        let r = self.reader();
        if self.visible_mission(&r, mission)?.is_none() {
            return Ok(None);
        }
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM mission_subscriptions WHERE mission = ?1 AND client_uid = ?2"
        ))?;
        Ok(stmt.query_row([mission, client_uid], subscription_from).optional()?)
    }

    fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let r = self.reader();
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM mission_subscriptions ORDER BY mission, client_uid"
        ))?;
        Ok(stmt.query_map([], subscription_from)?.collect::<Result<_, _>>()?)
    }

    fn add_contents(
        &self,
        mission: &str,
        items: &[ContentRef],
        creator_uid: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<MissionChange>, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let m = MissionKey::of(&self.known_mission(&tx, mission)?);
        // Every item is checked before any is added: all or nothing.
        let mut resolved = Vec::with_capacity(items.len());
        for item in items {
            let found = self.content_of(&tx, item)?;
            resolved.push(found.ok_or_else(|| StoreError::NotFound(item.key().to_owned()))?);
        }
        let mut changes = Vec::new();
        for (content, file) in &resolved {
            let (kind, key) = content_columns(content);
            let added = tx
                .prepare_cached(
                    "INSERT INTO mission_contents (mission, kind, item, creator_uid, added_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (mission, kind, item) DO NOTHING",
                )?
                .execute(params![mission, kind, key, creator_uid, to_ms(at)])?;
            if added > 0 {
                changes.push(log(&tx, &m, ChangeKind::AddContent, Some(content), file.as_ref(), creator_uid, at)?);
            }
        }
        tx.commit()?;
        Ok(changes)
    }

    fn remove_content(
        &self,
        mission: &str,
        item: &ContentRef,
        creator_uid: &str,
        at: OffsetDateTime,
    ) -> Result<Option<MissionChange>, StoreError> {
        let mut w = self.writer();
        let tx = w.conn.transaction()?;
        let m = MissionKey::of(&self.known_mission(&tx, mission)?);
        // A file this handle may not see is not there for it.
        let Some((content, file)) = self.content_of(&tx, item)? else { return Ok(None) };
        let (kind, key) = content_columns(&content);
        let n = tx.execute(
            "DELETE FROM mission_contents WHERE mission = ?1 AND kind = ?2 AND item = ?3",
            [mission, kind, key],
        )?;
        if n == 0 {
            return Ok(None);
        }
        let change = log(&tx, &m, ChangeKind::RemoveContent, Some(&content), file.as_ref(), creator_uid, at)?;
        tx.commit()?;
        Ok(Some(change))
    }

    fn contents(&self, mission: &str) -> Result<Vec<MissionContent>, StoreError> {
        let r = self.reader();
        self.known_mission(&r, mission)?;
        let mut stmt = r.prepare_cached(&format!(
            "SELECT c.kind, c.item, c.creator_uid, c.added_ms, {FILE_COLUMNS} \
             FROM mission_contents c LEFT JOIN files f ON c.kind = 'file' AND f.hash = c.item \
             WHERE c.mission = ?1 AND (c.kind = 'uid' OR (f.hash IS NOT NULL AND {})) ORDER BY c.seq",
            self.visible("f.", "submitted_ms")
        ))?;
        let rows = stmt.query_map([mission], |row| {
            let kind: String = row.get(0)?;
            let content = content_from(&kind, row.get(1)?).map_err(|reason| bad(0, reason))?;
            let file = match content {
                ContentRef::File(_) => Some(file_from(row, 4)?),
                ContentRef::Uid(_) => None,
            };
            Ok(MissionContent { content, creator_uid: row.get(2)?, added: from_ms(row.get(3)?), file })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn changes(&self, mission: &str, since: Option<OffsetDateTime>) -> Result<Vec<MissionChange>, StoreError> {
        let r = self.reader();
        let of_mission = self.access.sql("c.mission_rank", "c.mission_rel", "c.mission_cats", "c.mission_created_ms");
        let mut stmt = r.prepare_cached(&format!(
            "SELECT {CHANGE_COLUMNS} FROM mission_changes c \
             WHERE c.mission = ?1 AND c.at_ms >= ?2 AND {} AND {of_mission} ORDER BY c.seq",
            self.visible("c.", "at_ms")
        ))?;
        let since = since.map_or(i64::MIN, to_ms);
        Ok(stmt.query_map(params![mission, since], change_from)?.collect::<Result<_, _>>()?)
    }
}
