-- Users, their password hashes, and their sessions and API tokens (truce-auth).
-- The password is a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash); a token is stored only
-- as its SHA-256, so a copy of this file does not let anyone log in.

CREATE TABLE users (
    name       TEXT    PRIMARY KEY,     -- a-z 0-9 . _ -, lower case
    nation     TEXT    NOT NULL,        -- ISO 3166-1 alpha-3, upper case
    role       TEXT    NOT NULL,        -- truce_access::Role id
    clearance  TEXT    NOT NULL,        -- truce_core::Marking id
    categories TEXT    NOT NULL,        -- JSON array of strings, sorted
    password   TEXT    NOT NULL,        -- PHC string
    disabled   INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Logins and API tokens. Deleted with their user's disabling in the same transaction.
CREATE TABLE sessions (
    token_hash   BLOB    PRIMARY KEY,   -- SHA-256 of the token, 32 bytes
    user         TEXT    NOT NULL,      -- users.name
    kind         TEXT    NOT NULL CHECK (kind IN ('session', 'api')),
    created_ms   INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    expires_ms   INTEGER                -- NULL: an API token without expiry
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user);
CREATE INDEX sessions_expires ON sessions (expires_ms);
