-- Users, their password hashes, and their sessions and API tokens (truce-auth).
-- The password is a PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash); a token is stored only
-- as its SHA-256, so a copy of the database does not let anyone log in. Names sort bytewise
-- (COLLATE "C"), as on SQLite, whatever the database's collation.

CREATE TABLE users (
    name       text COLLATE "C" PRIMARY KEY,  -- a-z 0-9 . _ -, lower case
    nation     text    NOT NULL,              -- ISO 3166-1 alpha-3, upper case
    role       text    NOT NULL,              -- truce_access::Role id
    clearance  text    NOT NULL,              -- truce_core::Marking id
    categories text    NOT NULL,              -- JSON array of strings, sorted
    password   text    NOT NULL,              -- PHC string
    disabled   boolean NOT NULL DEFAULT false,
    created_ms bigint  NOT NULL,
    updated_ms bigint  NOT NULL
);

-- Logins and API tokens. Deleted with their user's disabling in the same transaction.
CREATE TABLE sessions (
    token_hash   bytea  PRIMARY KEY,          -- SHA-256 of the token, 32 bytes
    user_name    text   COLLATE "C" NOT NULL, -- users.name (`user` is a reserved word)
    kind         text   NOT NULL CHECK (kind IN ('session', 'api')),
    created_ms   bigint NOT NULL,
    last_seen_ms bigint NOT NULL,
    expires_ms   bigint                       -- NULL: an API token without expiry
);
CREATE INDEX sessions_user ON sessions (user_name);
CREATE INDEX sessions_expires ON sessions (expires_ms);
