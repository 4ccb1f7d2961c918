-- TAK Server's files and missions (crate::MartiStore). Labels as in 0006_labels.sql (`rank`, `rel`,
-- `cats`); times are Unix ms except `expiration` (Unix seconds, as TAK sends it). Names and uids are
-- stored as given. The file bodies are not here but in the content-addressed folder (crate::Blobs).

-- One row per content hash. `seq` orders files stored in the same millisecond (newest first).
CREATE TABLE files (
    seq          INTEGER PRIMARY KEY,
    hash         TEXT    NOT NULL UNIQUE,  -- lowercase hex SHA-256
    uid          TEXT    NOT NULL,         -- the package UID; several versions may share one
    name         TEXT    NOT NULL,
    mime         TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    keywords     TEXT    NOT NULL,         -- JSON array of strings
    tool         TEXT    NOT NULL,
    creator_uid  TEXT,
    submitter    TEXT    NOT NULL,
    submitted_ms INTEGER NOT NULL,
    expiration   INTEGER,
    lat          REAL,
    lon          REAL,
    rank         INTEGER NOT NULL,
    rel          TEXT    NOT NULL,
    cats         TEXT    NOT NULL
);
CREATE INDEX files_submitted ON files (submitted_ms, seq);
CREATE INDEX files_uid ON files (uid);
CREATE INDEX files_creator ON files (creator_uid);

CREATE TABLE missions (
    name         TEXT    PRIMARY KEY,
    guid         TEXT    NOT NULL UNIQUE,
    description  TEXT    NOT NULL,
    chat_room    TEXT    NOT NULL,
    tool         TEXT    NOT NULL,
    creator_uid  TEXT    NOT NULL,
    creator_user TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    default_role TEXT    NOT NULL,         -- crate::MissionRole::id
    invite_only  INTEGER NOT NULL,
    rank         INTEGER NOT NULL,
    rel          TEXT    NOT NULL,
    cats         TEXT    NOT NULL
) WITHOUT ROWID;

-- Deleted with their mission, in the same transaction.
CREATE TABLE mission_subscriptions (
    mission      TEXT    NOT NULL,         -- missions.name
    client_uid   TEXT    NOT NULL,
    user         TEXT    NOT NULL,
    role         TEXT    NOT NULL,         -- crate::MissionRole::id
    created_ms   INTEGER NOT NULL,
    PRIMARY KEY (mission, client_uid)
) WITHOUT ROWID;

-- A mission's contents, in the order added (`seq`). Deleted with their mission, and a file's with
-- the file.
CREATE TABLE mission_contents (
    seq          INTEGER PRIMARY KEY,
    mission      TEXT    NOT NULL,         -- missions.name
    kind         TEXT    NOT NULL CHECK (kind IN ('file', 'uid')),
    item         TEXT    NOT NULL,         -- files.hash or a CoT uid
    creator_uid  TEXT    NOT NULL,
    added_ms     INTEGER NOT NULL,
    UNIQUE (mission, kind, item)
);
CREATE INDEX mission_contents_order ON mission_contents (mission, seq);
CREATE INDEX mission_contents_item ON mission_contents (kind, item);

-- The change log, append-only and kept by mission name after the mission is deleted. A row carries
-- its own label (the file's for a file, else the mission's) and the mission's label and creation
-- time, so a reader sees a change only when it may see both. `file` is the file's record at the
-- change (JSON), kept after the file is deleted.
CREATE TABLE mission_changes (
    seq                INTEGER PRIMARY KEY,
    mission            TEXT    NOT NULL,
    kind               TEXT    NOT NULL,   -- crate::ChangeKind::id
    content_kind       TEXT    CHECK (content_kind IN ('file', 'uid')),
    content            TEXT,
    file               TEXT,
    creator_uid        TEXT    NOT NULL,
    at_ms              INTEGER NOT NULL,
    rank               INTEGER NOT NULL,
    rel                TEXT    NOT NULL,
    cats               TEXT    NOT NULL,
    mission_rank       INTEGER NOT NULL,
    mission_rel        TEXT    NOT NULL,
    mission_cats       TEXT    NOT NULL,
    mission_created_ms INTEGER NOT NULL
);
CREATE INDEX mission_changes_mission ON mission_changes (mission, at_ms);
