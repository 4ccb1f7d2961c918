-- TAK Server's files and missions (crate::MartiStore). Label columns `rank`, `rel`, `cats` as the
-- access rule reads them; times are Unix ms except `expiration` (Unix seconds, as TAK sends it).
-- Names and uids are stored as given, and sort bytewise (COLLATE "C") as on SQLite whatever the
-- database's collation. The file bodies are not here but in the content-addressed folder
-- (crate::Blobs). Every write holds a lock on `mission_changes` for its transaction (one writer at a
-- time, as on SQLite), so the sequence numbers below follow the order of the commits.

-- One row per content hash. `seq` orders files stored in the same millisecond (newest first).
CREATE TABLE files (
    seq          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash         text    NOT NULL UNIQUE,  -- lowercase hex SHA-256
    uid          text    NOT NULL,         -- the package UID; several versions may share one
    name         text    NOT NULL,
    mime         text    NOT NULL,
    size         bigint  NOT NULL,
    keywords     text    NOT NULL,         -- JSON array of strings
    tool         text    NOT NULL,
    creator_uid  text,
    submitter    text    NOT NULL,
    submitted_ms bigint  NOT NULL,
    expiration   bigint,
    lat          float8,
    lon          float8,
    rank         integer NOT NULL,
    rel          text    NOT NULL,
    cats         text    NOT NULL
);
CREATE INDEX files_submitted ON files (submitted_ms, seq);
CREATE INDEX files_uid ON files (uid);
CREATE INDEX files_creator ON files (creator_uid);

CREATE TABLE missions (
    name         text COLLATE "C" PRIMARY KEY,
    guid         text    NOT NULL UNIQUE,
    description  text    NOT NULL,
    chat_room    text    NOT NULL,
    tool         text    NOT NULL,
    creator_uid  text    NOT NULL,
    creator_user text    NOT NULL,
    created_ms   bigint  NOT NULL,
    default_role text    NOT NULL,         -- crate::MissionRole::id
    invite_only  boolean NOT NULL,
    rank         integer NOT NULL,
    rel          text    NOT NULL,
    cats         text    NOT NULL
);

-- Deleted with their mission, in the same transaction.
CREATE TABLE mission_subscriptions (
    mission      text COLLATE "C" NOT NULL,  -- missions.name
    client_uid   text COLLATE "C" NOT NULL,
    user_name    text    NOT NULL,           -- the truce user (`user` is a reserved word)
    role         text    NOT NULL,           -- crate::MissionRole::id
    created_ms   bigint  NOT NULL,
    PRIMARY KEY (mission, client_uid)
);

-- A mission's contents, in the order added (`seq`). Deleted with their mission, and a file's with
-- the file.
CREATE TABLE mission_contents (
    seq          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mission      text    NOT NULL,         -- missions.name
    kind         text    NOT NULL CHECK (kind IN ('file', 'uid')),
    item         text    NOT NULL,         -- files.hash or a CoT uid
    creator_uid  text    NOT NULL,
    added_ms     bigint  NOT NULL,
    UNIQUE (mission, kind, item)
);
CREATE INDEX mission_contents_order ON mission_contents (mission, seq);
CREATE INDEX mission_contents_item ON mission_contents (kind, item);

-- The change log, append-only and kept by mission name after the mission is deleted. A row carries
-- its own label (the file's for a file, else the mission's) and the mission's label and creation
-- time, so a reader sees a change only when it may see both. `file` is the file's record at the
-- change (JSON), kept after the file is deleted.
CREATE TABLE mission_changes (
    seq                bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mission            text    NOT NULL,
    kind               text    NOT NULL,   -- crate::ChangeKind::id
    content_kind       text    CHECK (content_kind IN ('file', 'uid')),
    content            text,
    file               text,
    creator_uid        text    NOT NULL,
    at_ms              bigint  NOT NULL,
    rank               integer NOT NULL,
    rel                text    NOT NULL,
    cats               text    NOT NULL,
    mission_rank       integer NOT NULL,
    mission_rel        text    NOT NULL,
    mission_cats       text    NOT NULL,
    mission_created_ms bigint  NOT NULL
);
CREATE INDEX mission_changes_mission ON mission_changes (mission, at_ms);
