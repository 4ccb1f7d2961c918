//! TAK Server's file store and data sync ("Marti"): the files TAK devices upload (data packages,
//! images, overlays) and the missions they share. The design and the access rule are documented on
//! [`MartiStore`], where rustdoc shows them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use truce_access::Access;
use truce_core::Label;

use crate::StoreError;
use crate::observations::{from_ms, to_ms};

/// The metadata of an uploaded file; its body is in [`Blobs`](crate::Blobs) under [`FileRecord::hash`].
#[derive(Debug, Clone, PartialEq)]
pub struct FileRecord {
    /// The lowercase hex SHA-256 of the content (64 characters): the primary key.
    pub hash: String,
    /// The package UID TAK clients use (given by the client, else the hash). Several files may share
    /// one: a client uploads a new version of a package under the same UID.
    pub uid: String,
    /// The file name as uploaded.
    pub name: String,
    /// The content's media type.
    pub mime: String,
    /// The body's length in bytes (at most `i64::MAX`).
    pub size: u64,
    /// The keywords the uploader gave.
    pub keywords: Vec<String>,
    /// TAK's "tool" the file belongs to: `public` by default.
    pub tool: String,
    /// The uploading device's uid.
    pub creator_uid: Option<String>,
    /// The truce user who uploaded it, or `anonymous`.
    pub submitter: String,
    /// When it was stored (kept to the millisecond); the time the access rule reads its label on.
    pub submitted: OffsetDateTime,
    /// When it expires, Unix seconds.
    pub expiration: Option<i64>,
    /// Where it is about: latitude and longitude in degrees (finite).
    pub location: Option<(f64, f64)>,
    /// Who may see it.
    pub label: Label,
}

/// What [`MartiStore::put_file`] did.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant, reason = "answered once per upload; boxing would only burden every caller")]
pub enum FilePut {
    /// The record was stored.
    Stored,
    /// A file with the same hash was already stored: nothing changed, and this is the stored record.
    Existing(FileRecord),
}

/// What [`MartiStore::search_files`] selects: every filter given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileQuery {
    /// The tool, exactly.
    pub tool: Option<String>,
    /// One of the file's keywords, exactly.
    pub keyword: Option<String>,
    /// A substring of the file name, compared case-insensitively (Unicode lower case); `%`, `_` and
    /// quotes are ordinary characters.
    pub name: Option<String>,
    /// The uploading device's uid, exactly.
    pub creator_uid: Option<String>,
    /// The package UID, exactly.
    pub uid: Option<String>,
    /// At most this many files (the newest).
    pub limit: Option<usize>,
}

/// A device's role in a mission, with TAK Server's names and permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MissionRole {
    /// Manages the mission: everything a subscriber may, and setting roles, passwords, feeds,
    /// layers, groups, and deleting it.
    Owner,
    /// Reads and writes the mission's contents.
    Subscriber,
    /// Reads only.
    ReadOnly,
}

impl MissionRole {
    /// Every role, most powerful first.
    pub const ALL: [MissionRole; 3] = [MissionRole::Owner, MissionRole::Subscriber, MissionRole::ReadOnly];

    /// TAK Server's name of the role (`MISSION_OWNER`, `MISSION_SUBSCRIBER`,
    /// `MISSION_READONLY_SUBSCRIBER`).
    pub const fn id(self) -> &'static str {
        match self {
            MissionRole::Owner => "MISSION_OWNER",
            MissionRole::Subscriber => "MISSION_SUBSCRIBER",
            MissionRole::ReadOnly => "MISSION_READONLY_SUBSCRIBER",
        }
    }

    /// The role named `id` (exactly as [`MissionRole::id`] spells it).
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == id)
    }

    /// TAK Server's permissions of the role, as clients receive them in a subscription's role.
    pub const fn permissions(self) -> &'static [&'static str] {
        match self {
            MissionRole::Owner => &[
                "MISSION_MANAGE_FEEDS",
                "MISSION_SET_PASSWORD",
                "MISSION_WRITE",
                "MISSION_MANAGE_LAYERS",
                "MISSION_UPDATE_GROUPS",
                "MISSION_DELETE",
                "MISSION_SET_ROLE",
                "MISSION_READ",
            ],
            MissionRole::Subscriber => &["MISSION_WRITE", "MISSION_READ"],
            MissionRole::ReadOnly => &["MISSION_READ"],
        }
    }

    /// Whether the role may change the mission's contents (`MISSION_WRITE`).
    pub fn may_write(self) -> bool {
        self.permissions().contains(&"MISSION_WRITE")
    }
}

impl std::fmt::Display for MissionRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A mission: a named, shared set of files and CoT uids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissionRecord {
    /// The name, unique: how clients address the mission.
    pub name: String,
    /// A unique identifier (TAK clients use it to tell a recreated mission from the old one).
    pub guid: String,
    /// What the mission is for.
    pub description: String,
    /// The mission's chat room.
    pub chat_room: String,
    /// TAK's tool (`public` by default).
    pub tool: String,
    /// The creating device's uid.
    pub creator_uid: String,
    /// The truce user who created it.
    pub creator_user: String,
    /// When it was created (kept to the millisecond); the time the access rule reads its label on.
    pub created: OffsetDateTime,
    /// The role a new subscriber gets unless told otherwise.
    pub default_role: MissionRole,
    /// Whether only invited devices may subscribe (the HTTP layer's check).
    pub invite_only: bool,
    /// Who may see the mission.
    pub label: Label,
}

/// A device subscribed to a mission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The mission's name.
    pub mission: String,
    /// The device's uid.
    pub client_uid: String,
    /// The truce user the device was logged in as.
    pub user: String,
    /// What the device may do in the mission.
    pub role: MissionRole,
    /// When it subscribed (kept to the millisecond).
    pub created: OffsetDateTime,
}

/// An item of a mission's contents.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentRef {
    /// A stored file, by its hash.
    File(String),
    /// A CoT event, by its uid.
    Uid(String),
}

impl ContentRef {
    /// The hash or the uid.
    pub fn key(&self) -> &str {
        match self {
            ContentRef::File(s) | ContentRef::Uid(s) => s,
        }
    }
}

/// An item in a mission, as listed by [`MartiStore::contents`].
#[derive(Debug, Clone, PartialEq)]
pub struct MissionContent {
    /// The item.
    pub content: ContentRef,
    /// The device that added it.
    pub creator_uid: String,
    /// When it was added (kept to the millisecond).
    pub added: OffsetDateTime,
    /// The file's record, for a [`ContentRef::File`].
    pub file: Option<FileRecord>,
}

/// What a [`MissionChange`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The mission was created.
    CreateMission,
    /// The mission was deleted.
    DeleteMission,
    /// An item was added to the contents.
    AddContent,
    /// An item was removed from the contents.
    RemoveContent,
}

impl ChangeKind {
    /// Every kind.
    pub const ALL: [ChangeKind; 4] =
        [ChangeKind::CreateMission, ChangeKind::DeleteMission, ChangeKind::AddContent, ChangeKind::RemoveContent];

    /// TAK Server's name of the kind (`CREATE_MISSION`, `DELETE_MISSION`, `ADD_CONTENT`,
    /// `REMOVE_CONTENT`).
    pub const fn id(self) -> &'static str {
        match self {
            ChangeKind::CreateMission => "CREATE_MISSION",
            ChangeKind::DeleteMission => "DELETE_MISSION",
            ChangeKind::AddContent => "ADD_CONTENT",
            ChangeKind::RemoveContent => "REMOVE_CONTENT",
        }
    }

    /// The kind named `id` (exactly as [`ChangeKind::id`] spells it).
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.id() == id)
    }
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// An entry of a mission's change log.
#[derive(Debug, Clone, PartialEq)]
pub struct MissionChange {
    /// The log's sequence number: increasing across all missions, never reused.
    pub seq: i64,
    /// The mission's name.
    pub mission: String,
    /// What happened.
    pub kind: ChangeKind,
    /// The item added or removed (`None` for creating and deleting the mission).
    pub content: Option<ContentRef>,
    /// The file's record as it was at the change, for a [`ContentRef::File`] (kept after the file
    /// is deleted).
    pub file: Option<FileRecord>,
    /// Who made the change: the device's uid, or whoever the caller names (`by` of a deletion).
    pub creator_uid: String,
    /// When (kept to the millisecond); the time the access rule reads the label on.
    pub at: OffsetDateTime,
    /// Who may see the change: the file's label for a file, the mission's otherwise.
    pub label: Label,
}

/// TAK Server's files and missions.
///
/// # Design
///
/// A file is a [`FileRecord`] keyed by the SHA-256 of its content, as TAK Server keys its
/// resources: the hash is what clients ask for (`/Marti/sync/content?hash=`), the same content sent
/// twice is stored once ([`FilePut::Existing`]), and the body can be checked against the key. The
/// body itself is not in the database but in [`Blobs`](crate::Blobs), a content-addressed folder.
/// The HTTP layer writes the blob durably first and the row second, so a crash in between leaves an
/// unreferenced blob and no record, never a record whose body is missing; a deletion goes the other
/// way round (row first, then blob) for the same reason.
///
/// A mission ([`MissionRecord`]) is a named, shared set of contents: files by hash and CoT events
/// by uid. Devices subscribe to it with a [`MissionRole`], and every change to it (created, deleted,
/// content added or removed) is appended to its log as a [`MissionChange`] with a sequence number,
/// which is what TAK clients poll and what the server pushes to subscribers. Each write is one
/// transaction that changes the tables and appends its log entries together: the log never
/// disagrees with the contents. The log is kept by mission name and outlives the mission, so a
/// client that was away learns that it was deleted.
///
/// # Access
///
/// Files and missions carry a [`Label`]; a handle reads as its [`Scope::access`](crate::Scope::access)
/// and every read applies the access rule in its query: a file on its `submitted` time, a mission
/// on its `created` time, a change on its `at` time. A change carries the file's label when it is
/// about a file and the mission's otherwise; a change or a content entry is listed only when the
/// reader may also see its mission, so the log does not reveal a mission's name to a reader who
/// may not see the mission. A call that acts on or lists a named mission (subscribing, adding or
/// removing contents, listing subscriptions or contents) fails with [`StoreError::NotFound`] when
/// the mission does not exist or the handle may not see it; lookups answering an `Option`
/// ([`MartiStore::mission`], [`MartiStore::subscription`], [`MartiStore::delete_mission`]) answer
/// `None` instead. [`MartiStore::all_subscriptions`] is the exception: the TAK server's routing
/// table, read without scope.
///
/// The store decides visibility, not permission: whether a caller may label a record so, delete a
/// file or a mission, or write to a mission is the HTTP layer's check (see [`MissionRole::may_write`]).
///
/// Names (files, missions, uids) are stored as given, compared exactly, and may be any UTF-8 string:
/// no query builds SQL from them. Times are stored to the millisecond.
pub trait MartiStore: Send + Sync {
    /// Stores a file's record (its body must already be in [`Blobs`](crate::Blobs)). A file with
    /// the same hash already stored is left as it is and returned as [`FilePut::Existing`].
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the hash is not 64 lowercase hex digits, the size exceeds
    /// `i64::MAX` or the location is not finite; [`StoreError::Exists`] (naming the hash) when the
    /// hash is stored under a label this handle may not see (its record is not revealed).
    fn put_file(&self, f: &FileRecord) -> Result<FilePut, StoreError>;

    /// The file with `hash` (either case of hex), if this handle may see it.
    ///
    /// # Errors
    /// When the database fails.
    fn file(&self, hash: &str) -> Result<Option<FileRecord>, StoreError>;

    /// The files this handle may see that match `q`, newest first (by `submitted`, then the later
    /// stored).
    ///
    /// # Errors
    /// When the database fails.
    fn search_files(&self, q: &FileQuery) -> Result<Vec<FileRecord>, StoreError>;

    /// Deletes the file's record and removes it from every mission, appending a
    /// [`ChangeKind::RemoveContent`] change by `by` at `at` to each such mission's log. Answers the
    /// deleted record and those changes (by mission name, including missions this handle may not
    /// see: the caller notifies their subscribers and must not show the changes to its client), or
    /// `None` when there is no such file or this handle may not see it. The caller checks that the
    /// deleter may, and removes the blob afterwards.
    ///
    /// # Errors
    /// When the database fails (nothing is deleted).
    fn delete_file(
        &self,
        hash: &str,
        by: &str,
        at: OffsetDateTime,
    ) -> Result<Option<(FileRecord, Vec<MissionChange>)>, StoreError>;

    /// Creates a mission and appends its [`ChangeKind::CreateMission`] change (by the mission's
    /// creator at its creation time), which it answers.
    ///
    /// # Errors
    /// [`StoreError::Exists`] naming the name when a mission of that name exists, or naming the
    /// guid when another mission has it (nothing is stored).
    fn create_mission(&self, m: &MissionRecord) -> Result<MissionChange, StoreError>;

    /// The mission named `name`, if this handle may see it.
    ///
    /// # Errors
    /// When the database fails.
    fn mission(&self, name: &str) -> Result<Option<MissionRecord>, StoreError>;

    /// The mission with `guid`, if this handle may see it.
    ///
    /// # Errors
    /// When the database fails.
    fn mission_by_guid(&self, guid: &str) -> Result<Option<MissionRecord>, StoreError>;

    /// The missions this handle may see, by name.
    ///
    /// # Errors
    /// When the database fails.
    fn missions(&self) -> Result<Vec<MissionRecord>, StoreError>;

    /// Deletes the mission with its subscriptions and contents (the files stay), and appends its
    /// [`ChangeKind::DeleteMission`] change by `by` at `at`, which it answers; `None` when there is
    /// no such mission or this handle may not see it. The log keeps the mission's earlier changes.
    ///
    /// # Errors
    /// When the database fails (nothing is deleted).
    fn delete_mission(&self, name: &str, by: &str, at: OffsetDateTime) -> Result<Option<MissionChange>, StoreError>;

    /// Subscribes a device to a mission and answers the subscription. A device already subscribed
    /// keeps its subscription unchanged (role, user, time), and that is what is answered.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] naming the mission when it does not exist or this handle may not see it.
    fn subscribe(&self, s: &Subscription) -> Result<Subscription, StoreError>;

    /// Ends a device's subscription; whether it had one.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] naming the mission when it does not exist or this handle may not see it.
    fn unsubscribe(&self, mission: &str, client_uid: &str) -> Result<bool, StoreError>;

    /// Changes a subscribed device's role; whether it was subscribed.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] naming the mission when it does not exist or this handle may not see it.
    fn set_role(&self, mission: &str, client_uid: &str, role: MissionRole) -> Result<bool, StoreError>;

    /// A mission's subscriptions, by device uid.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] naming the mission when it does not exist or this handle may not see it.
    fn subscriptions(&self, mission: &str) -> Result<Vec<Subscription>, StoreError>;

    /// A device's subscription to a mission; `None` when it has none, or the mission does not exist
    /// or this handle may not see it.
    ///
    /// # Errors
    /// When the database fails.
    fn subscription(&self, mission: &str, client_uid: &str) -> Result<Option<Subscription>, StoreError>;

    /// Every subscription of every mission, by mission and device uid, whatever this handle may see:
    /// the TAK server's routing table (which devices to push a mission's changes to).
    ///
    /// # Errors
    /// When the database fails.
    fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;

    /// Adds items to a mission's contents, all or nothing, by the device `creator_uid` at `at`. An
    /// item already there (or twice in `items`) is added once; answers one
    /// [`ChangeKind::AddContent`] change per item added, in the order given.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] naming the mission when it does not exist or this handle may not see
    /// it, or naming a file's hash when no such file is stored or this handle may not see it
    /// (nothing is added).
    fn add_contents(
        &self,
        mission: &str,
        items: &[ContentRef],
        creator_uid: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<MissionChange>, StoreError>;

    /// Removes an item from a mission's contents and answers its [`ChangeKind::RemoveContent`]
    /// change; `None` when it was not there (or is a file this handle may not see).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] naming the mission when it does not exist or this handle may not see it.
    fn remove_content(
        &self,
        mission: &str,
        item: &ContentRef,
        creator_uid: &str,
        at: OffsetDateTime,
    ) -> Result<Option<MissionChange>, StoreError>;

    /// A mission's contents in the order they were added: every uid (the caller filters the tracks
    /// it shows) and the files this handle may see.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] naming the mission when it does not exist or this handle may not see it.
    fn contents(&self, mission: &str) -> Result<Vec<MissionContent>, StoreError>;

    /// The log of the missions named `mission` (a deleted one's too), oldest first: the changes at
    /// or after `since` that this handle may see (the change's label on its time, and the mission's
    /// on its creation).
    ///
    /// # Errors
    /// When the database fails.
    fn changes(&self, mission: &str, since: Option<OffsetDateTime>) -> Result<Vec<MissionChange>, StoreError>;
}

// What both backends share: the tables' columns and the pure steps around their rows.

/// The columns of a file (`files` as `f`) that a [`FileRecord`] is read from: 16, the label's three
/// from column 13.
pub(crate) const FILE_COLUMNS: &str = "f.hash, f.uid, f.name, f.mime, f.size, f.keywords, f.tool, f.creator_uid, f.submitter, \
     f.submitted_ms, f.expiration, f.lat, f.lon, f.rank, f.rel, f.cats";

/// The columns of a mission (`missions` as `m`) that a [`MissionRecord`] is read from: 13, the
/// label's three from column 10.
pub(crate) const MISSION_COLUMNS: &str = "m.name, m.guid, m.description, m.chat_room, m.tool, m.creator_uid, m.creator_user, \
     m.created_ms, m.default_role, m.invite_only, m.rank, m.rel, m.cats";

/// The columns of a log entry (`mission_changes` as `c`) that a [`MissionChange`] is read from: 11,
/// the label's three from column 8.
pub(crate) const CHANGE_COLUMNS: &str =
    "c.seq, c.mission, c.kind, c.content_kind, c.content, c.file, c.creator_uid, c.at_ms, c.rank, c.rel, c.cats";

/// The statement of [`MartiStore::search_files`] for `q` but its name and limit, which the caller
/// applies: the files that `visible` (the access predicate over `f`) admits and the other filters
/// select, newest first, and its parameters in order. `mark` starts a numbered parameter (`$` or `?`)
/// and `has_keyword` answers the condition that the parameter it is given is one of `f.keywords`.
pub(crate) fn search_sql<'q>(
    q: &'q FileQuery,
    visible: &str,
    mark: char,
    has_keyword: impl Fn(&str) -> String,
) -> (String, Vec<&'q str>) {
    let mut sql = format!("SELECT {FILE_COLUMNS} FROM files f WHERE {visible}");
    let mut args: Vec<&str> = Vec::new();
    let exact = [("f.tool", &q.tool), ("f.creator_uid", &q.creator_uid), ("f.uid", &q.uid)];
    for (column, value) in exact {
        if let Some(v) = value {
            args.push(v);
            sql.push_str(&format!(" AND {column} = {mark}{}", args.len()));
        }
    }
    if let Some(k) = &q.keyword {
        args.push(k);
        sql.push_str(&format!(" AND {}", has_keyword(&format!("{mark}{}", args.len()))));
    }
    sql.push_str(" ORDER BY f.submitted_ms DESC, f.seq DESC");
    (sql, args)
}

/// [`StoreError::Invalid`] naming the file `f`, for `reason`.
pub(crate) fn invalid(f: &FileRecord, reason: &str) -> StoreError {
    StoreError::Invalid { id: format!("file {:?}", f.hash), reason: reason.to_owned() }
}

/// Checks what [`MartiStore::put_file`] requires of a record, and answers its size and its keywords
/// (JSON) as stored.
pub(crate) fn check_file(f: &FileRecord) -> Result<(i64, String), StoreError> {
    if f.hash.len() != 64 || !f.hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(invalid(f, "the hash is not a SHA-256 in lowercase hex (64 digits)"));
    }
    let size = i64::try_from(f.size).map_err(|_| invalid(f, "the size is larger than the store can keep"))?;
    if f.location.is_some_and(|(lat, lon)| !lat.is_finite() || !lon.is_finite()) {
        return Err(invalid(f, "the location is not a finite latitude and longitude"));
    }
    let keywords = serde_json::to_string(&f.keywords).map_err(|e| invalid(f, &format!("keywords: {e}")))?;
    Ok((size, keywords))
}

/// What [`MartiStore::put_file`] answers when a file with the same hash is stored already as `old`:
/// [`FilePut::Existing`] when `access` may see it, else [`StoreError::Exists`] naming the hash (a
/// record the handle may not see is not revealed).
pub(crate) fn existing(access: &Access, old: FileRecord) -> Result<FilePut, StoreError> {
    if access.permits(&old.label, old.submitted) {
        Ok(FilePut::Existing(old))
    } else {
        Err(StoreError::Exists(old.hash))
    }
}

/// A file's record as a log entry keeps it (the hash and label are the entry's own columns), as JSON
/// in the entry's `file` column.
#[derive(Serialize, Deserialize)]
pub(crate) struct Snapshot {
    uid: String,
    name: String,
    mime: String,
    size: u64,
    keywords: Vec<String>,
    tool: String,
    creator_uid: Option<String>,
    submitter: String,
    submitted_ms: i64,
    expiration: Option<i64>,
    location: Option<(f64, f64)>,
}

impl Snapshot {
    /// The snapshot of `f` (its time to the millisecond).
    pub(crate) fn of(f: &FileRecord) -> Self {
        Snapshot {
            uid: f.uid.clone(),
            name: f.name.clone(),
            mime: f.mime.clone(),
            size: f.size,
            keywords: f.keywords.clone(),
            tool: f.tool.clone(),
            creator_uid: f.creator_uid.clone(),
            submitter: f.submitter.clone(),
            submitted_ms: to_ms(f.submitted),
            expiration: f.expiration,
            location: f.location,
        }
    }

    /// The record again, with the entry's `hash` and `label`.
    pub(crate) fn record(self, hash: String, label: Label) -> FileRecord {
        FileRecord {
            hash,
            uid: self.uid,
            name: self.name,
            mime: self.mime,
            size: self.size,
            keywords: self.keywords,
            tool: self.tool,
            creator_uid: self.creator_uid,
            submitter: self.submitter,
            submitted: from_ms(self.submitted_ms),
            expiration: self.expiration,
            location: self.location,
            label,
        }
    }
}

/// The stored form of a content item: `(kind, item)`.
pub(crate) fn content_columns(c: &ContentRef) -> (&'static str, &str) {
    match c {
        ContentRef::File(hash) => ("file", hash),
        ContentRef::Uid(uid) => ("uid", uid),
    }
}

/// `item` keyed as stored: a file by its hash in lowercase hex, a uid as it is; `None` for a file
/// whose hash is not a SHA-256 (it names no file).
pub(crate) fn content_key(item: &ContentRef) -> Option<ContentRef> {
    match item {
        ContentRef::File(hash) => crate::blobs::parse_sha256(hash).map(ContentRef::File),
        ContentRef::Uid(_) => Some(item.clone()),
    }
}

/// The content item stored as `(kind, item)`, or why it is not one (a `kind` truce does not write).
pub(crate) fn content_from(kind: &str, item: String) -> Result<ContentRef, String> {
    match kind {
        "file" => Ok(ContentRef::File(item)),
        "uid" => Ok(ContentRef::Uid(item)),
        other => Err(format!("content kind {other:?}")),
    }
}

/// What a log entry copies of its mission: the name, and the label and creation time that the access
/// rule reads the entry's mission on (kept after the mission is deleted).
pub(crate) struct MissionKey {
    /// The mission's name.
    pub(crate) name: String,
    /// The mission's label.
    pub(crate) label: Label,
    /// When the mission was created, Unix milliseconds.
    pub(crate) created_ms: i64,
}

impl MissionKey {
    /// The key of `m`.
    pub(crate) fn of(m: &MissionRecord) -> Self {
        MissionKey { name: m.name.clone(), label: m.label.clone(), created_ms: to_ms(m.created) }
    }
}

/// What a log entry records besides its mission.
pub(crate) struct Entry<'a> {
    /// What happened.
    pub(crate) kind: ChangeKind,
    /// The item added or removed.
    pub(crate) content: Option<&'a ContentRef>,
    /// The file's record, for a file.
    pub(crate) file: Option<&'a FileRecord>,
    /// Who made the change.
    pub(crate) creator_uid: &'a str,
    /// When.
    pub(crate) at: OffsetDateTime,
}

/// What an [`Entry`] stores in its row of `mission_changes`, besides its mission and the label columns.
pub(crate) struct EntryColumns<'a> {
    /// The entry's label: the file's for a file's entry, the mission's otherwise.
    pub(crate) label: Label,
    /// `content_kind`: the item's kind, as [`content_columns`] stores it.
    pub(crate) content_kind: Option<&'static str>,
    /// `content`: the item's hash or uid.
    pub(crate) item: Option<&'a str>,
    /// `file`: the file's [`Snapshot`] as JSON, for a file's entry.
    pub(crate) snapshot: Option<String>,
    /// `at_ms`: the entry's time, Unix milliseconds.
    pub(crate) at_ms: i64,
}

impl<'a> Entry<'a> {
    /// The entry's columns in the log of `mission`.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] naming the mission when the file's record does not serialize.
    pub(crate) fn columns(&self, mission: &MissionKey) -> Result<EntryColumns<'a>, StoreError> {
        let label = self.file.map_or(&mission.label, |f| &f.label).clone();
        let snapshot = self
            .file
            .map(|f| serde_json::to_string(&Snapshot::of(f)))
            .transpose()
            .map_err(|e| StoreError::Invalid { id: mission.name.clone(), reason: format!("file record: {e}") })?;
        let (content_kind, item) = self.content.map(content_columns).unzip();
        Ok(EntryColumns { label, content_kind, item, snapshot, at_ms: to_ms(self.at) })
    }

    /// The entry as stored with number `seq` in the log of `mission` under `label` (that of
    /// [`Entry::columns`]), as a later read gives it: the times to the millisecond.
    pub(crate) fn change(&self, mission: &MissionKey, seq: i64, label: Label) -> MissionChange {
        MissionChange {
            seq,
            mission: mission.name.clone(),
            kind: self.kind,
            content: self.content.cloned(),
            file: self.file.map(|f| Snapshot::of(f).record(f.hash.clone(), f.label.clone())),
            creator_uid: self.creator_uid.to_owned(),
            at: from_ms(to_ms(self.at)),
            label,
        }
    }
}
