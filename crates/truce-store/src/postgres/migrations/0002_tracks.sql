-- TAK tracks (truce-track): every Cursor on Target event received, as a history; the latest event of
-- every uid; and the geofence events derived from a track's consecutive positions. The columns are the
-- embedded store's (after its migrations 0004, 0006 and 0012); uids sort bytewise (COLLATE "C"), as
-- on SQLite, whatever the database's collation.

-- One row per received event, never updated. `classification` is JSON (zones and, per line, side and
-- distance) or NULL when the event had no position (lat = lon = 0: pings, control messages). `geom`
-- is the position for PostGIS (the map asks for the tracks in an area).
CREATE TABLE tracks (
    seq            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- arrival order
    uid            text COLLATE "C" NOT NULL,
    type           text    NOT NULL,
    how            text    NOT NULL,
    callsign       text,
    grp            text,              -- __group name
    source         text    NOT NULL,  -- the sender's identity (certificate CN or callsign)
    peer           text    NOT NULL,  -- e.g. tcp:127.0.0.1:5555
    time_ms        bigint  NOT NULL,
    start_ms       bigint  NOT NULL,
    stale_ms       bigint  NOT NULL,
    received_ms    bigint  NOT NULL,
    lat            float8  NOT NULL,
    lon            float8  NOT NULL,
    geom           geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    hae            float8  NOT NULL,
    ce             float8  NOT NULL,
    course         float8,
    speed          float8,
    classification text,
    xml            text    NOT NULL,
    rank           integer NOT NULL,  -- the label columns (truce_access::Access::sql)
    rel            text    NOT NULL,
    cats           text    NOT NULL
);
-- A uid's history, newest first (SQLite's index holds the rowid `seq` implicitly).
CREATE INDEX tracks_uid_time ON tracks (uid, time_ms, seq);
-- Every uid's points in a time window, oldest first, paged by (time_ms, seq) (TrackStore::track_window).
CREATE INDEX tracks_time ON tracks (time_ms, seq);
CREATE INDEX tracks_geom ON tracks USING gist (geom);

-- The newest event (by event time, then arrival) of every uid, kept by the insert in the same
-- transaction, so the live picture is one index range instead of a GROUP BY over the whole history.
CREATE TABLE track_latest (
    uid      text COLLATE "C" PRIMARY KEY,
    seq      bigint NOT NULL,  -- tracks.seq
    time_ms  bigint NOT NULL,
    stale_ms bigint NOT NULL
);
CREATE INDEX track_latest_stale ON track_latest (stale_ms);

-- Geofence events. `id` is deterministic (track, time, fence, kind), so a replayed event is stored
-- once; `seq` orders them for catch-up and is never reused (writers take turns on the table, so a
-- number is visible only after every smaller one is).
CREATE TABLE geofence_events (
    seq        bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id         text    NOT NULL UNIQUE,
    uid        text    NOT NULL,
    callsign   text    NOT NULL,
    track_type text    NOT NULL,
    kind       text    NOT NULL,  -- enter, exit, inside, cross
    fence_id   text    NOT NULL,  -- a zone or line id of the agreement
    fence_name text    NOT NULL,
    fence_kind text    NOT NULL,  -- the zone's kind, or 'line'
    from_side  text,              -- line crossings: the party whose ground the track left
    to_side    text,              -- ... and the one it entered
    time_ms    bigint  NOT NULL,
    lat        float8  NOT NULL,
    lon        float8  NOT NULL,
    prev_lat   float8,
    prev_lon   float8,
    rank       integer NOT NULL,
    rel        text    NOT NULL,
    cats       text    NOT NULL
);
CREATE INDEX geofence_events_uid ON geofence_events (uid, time_ms);
