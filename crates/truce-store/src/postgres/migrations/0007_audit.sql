-- The audit log the nodes sharing this database write together (truce_audit::table): one row per line
-- of `audit.log` (the same bytes, without the newline), numbered from 0. Appends run one at a time
-- under an advisory transaction lock, so the committed rows are always the entries 0, 1, 2, ... The
-- rows are never changed: a trigger refuses UPDATE, DELETE and TRUNCATE (whoever disables it still
-- cannot change a row without `truce audit verify --store` naming it).
CREATE TABLE audit_log (
    idx  bigint PRIMARY KEY CHECK (idx >= 0),
    line text   NOT NULL
);

-- The Ed25519 public keys of the nodes' checkpoint signing keys (each node's `audit.key`).
CREATE TABLE audit_keys (
    key      bytea  PRIMARY KEY CHECK (length(key) = 32),
    added_ms bigint NOT NULL
);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END;
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
