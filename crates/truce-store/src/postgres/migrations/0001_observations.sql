-- The base of the PostgreSQL store, and observations with their versions.
--
-- PostGIS gives the positions a geometry column with a GiST index. A DBA may create the extension
-- beforehand (then this needs no superuser); `instr` is the one function of the access rule's SQL
-- (truce_access::Access::sql) that PostgreSQL lacks.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE OR REPLACE FUNCTION instr(text, text) RETURNS integer
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS 'SELECT strpos($1, $2)';

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE observations (
    seq            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- insertion order
    id             text    NOT NULL UNIQUE,       -- the observation's id: the idempotency key
    time_ms        bigint  NOT NULL,              -- start of the time window, Unix milliseconds UTC
    time_end_ms    bigint,
    lat            float8  NOT NULL,
    lon            float8  NOT NULL,
    geom           geometry(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)) STORED,
    category       text    NOT NULL,
    received_ms    bigint  NOT NULL,
    body           text    NOT NULL,              -- the observation as JSON (query it with body::jsonb)
    classification text    NOT NULL,              -- its classification as JSON
    zones          text    NOT NULL,              -- ',zone1,zone2,': filtered with instr(zones, ',id,')
    violations     text    NOT NULL,              -- ',code1,code2,' likewise
    rank           integer NOT NULL,              -- the label columns (truce_access::Access::sql)
    rel            text    NOT NULL,
    cats           text    NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    withdrawn      boolean NOT NULL DEFAULT false,
    recorded_by    text    NOT NULL DEFAULT ''
);
CREATE INDEX observations_time ON observations (time_ms, seq);
CREATE INDEX observations_geom ON observations USING gist (geom);

CREATE TABLE observation_versions (
    id             text    NOT NULL,
    version        integer NOT NULL,
    action         text    NOT NULL,   -- recorded | amended | withdrawn
    at_ms          bigint  NOT NULL,   -- when this version was made
    by             text    NOT NULL,   -- who made it (a user, or the source that imported it)
    reason         text    NOT NULL,   -- why ('' for the first version)
    body           text    NOT NULL,   -- the observation as this version had it
    classification text    NOT NULL,
    time_ms        bigint  NOT NULL,   -- the version's own label columns
    rank           integer NOT NULL,
    rel            text    NOT NULL,
    cats           text    NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX observation_versions_at ON observation_versions (at_ms);
