-- TAK tracks (truce-track): every Cursor on Target event received, as a history; the latest event of
-- every uid; and the geofence events derived from a track's consecutive positions.

-- One row per received event, never updated. `classification` is JSON (zones and, per line, side and
-- distance) or NULL when the event had no position (lat = lon = 0: pings, control messages).
CREATE TABLE tracks (
    seq            INTEGER PRIMARY KEY,
    uid            TEXT    NOT NULL,
    type           TEXT    NOT NULL,
    how            TEXT    NOT NULL,
    callsign       TEXT,
    grp            TEXT,              -- __group name
    source         TEXT    NOT NULL,  -- the sender's identity (certificate CN or callsign)
    peer           TEXT    NOT NULL,  -- e.g. tcp:127.0.0.1:5555
    time_ms        INTEGER NOT NULL,
    start_ms       INTEGER NOT NULL,
    stale_ms       INTEGER NOT NULL,
    received_ms    INTEGER NOT NULL,
    lat            REAL    NOT NULL,
    lon            REAL    NOT NULL,
    hae            REAL    NOT NULL,
    ce             REAL    NOT NULL,
    course         REAL,
    speed          REAL,
    classification TEXT,
    xml            TEXT    NOT NULL
);
CREATE INDEX tracks_uid_time ON tracks (uid, time_ms);

-- The newest event (by event time, then arrival) of every uid, kept by the insert in the same
-- transaction, so the live picture is one index range instead of a GROUP BY over the whole history.
CREATE TABLE track_latest (
    uid      TEXT    PRIMARY KEY,
    seq      INTEGER NOT NULL,  -- tracks.seq
    time_ms  INTEGER NOT NULL,
    stale_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX track_latest_stale ON track_latest (stale_ms);

-- Geofence events. `id` is deterministic (track, time, fence, kind), so a replayed event is stored
-- once; `seq` orders them for catch-up and is never reused.
CREATE TABLE geofence_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT    NOT NULL UNIQUE,
    uid        TEXT    NOT NULL,
    callsign   TEXT    NOT NULL,
    track_type TEXT    NOT NULL,
    kind       TEXT    NOT NULL,  -- enter, exit, inside, cross
    fence_id   TEXT    NOT NULL,  -- a zone or line id of the agreement
    fence_name TEXT    NOT NULL,
    fence_kind TEXT    NOT NULL,  -- the zone's kind, or 'line'
    from_side  TEXT,              -- line crossings: the party whose ground the track left
    to_side    TEXT,              -- ... and the one it entered
    time_ms    INTEGER NOT NULL,
    lat        REAL    NOT NULL,
    lon        REAL    NOT NULL,
    prev_lat   REAL,
    prev_lon   REAL
);
CREATE INDEX geofence_events_uid ON geofence_events (uid, time_ms);
