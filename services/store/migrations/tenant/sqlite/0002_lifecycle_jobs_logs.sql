-- Safe deprovisioning, the jobs queue and the logs of one tenant, in the tenant's own database file.
-- Mirrors tenant/postgres/0002_lifecycle_jobs_logs.sql (uuid as BLOB, jsonb as JSON text,
-- timestamps as fixed-width RFC 3339 text in UTC).

ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'blocked', 'deactivated'));
ALTER TABLE users ADD COLUMN deactivation_due_at TEXT;
ALTER TABLE users ADD COLUMN deactivation_requested_by TEXT CHECK (deactivation_requested_by IN ('provider', 'admin'));
ALTER TABLE users ADD COLUMN legal_hold BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN deleted_by_provider BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN deleted_at TEXT;
ALTER TABLE users ADD COLUMN admin_override BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN lifecycle_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN state_changed_at TEXT;
UPDATE users SET state = 'blocked' WHERE json_extract(resource, '$.active') = 0;
DROP INDEX users_user_name_key_idx;
CREATE UNIQUE INDEX users_user_name_key_live_idx ON users (user_name_key) WHERE NOT (deleted_by_provider AND state = 'deactivated');
CREATE INDEX users_user_name_key_idx ON users (provider_id, user_name_key);
CREATE INDEX users_state_idx ON users (state, deactivation_due_at);

CREATE TABLE provider_settings (
    provider_id             BLOB PRIMARY KEY,
    username                TEXT NOT NULL,
    deactivation_delay_secs INTEGER NOT NULL DEFAULT 900 CHECK (deactivation_delay_secs BETWEEN 0 AND 7776000),
    last_success_at         TEXT,
    updated_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE jobs (
    id               BLOB PRIMARY KEY,
    kind             TEXT NOT NULL,
    subject          TEXT,
    unique_key       TEXT,
    fence            INTEGER,
    payload          TEXT NOT NULL DEFAULT '{}',
    state            TEXT NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    due_at           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    lease_owner      TEXT,
    lease_expires_at TEXT,
    last_error       TEXT,
    outcome          TEXT,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    finished_at      TEXT
);
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_due_idx ON jobs (due_at) WHERE state = 'pending';
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_state_idx ON jobs (state, created_at);
CREATE INDEX jobs_subject_idx ON jobs (subject);
INSERT INTO jobs (id, kind, unique_key, state, due_at, max_attempts, created_by, created_at, updated_at) VALUES (randomblob(16), 'purge_logs', 'purge_logs', 'pending', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 day'), 5, 'system', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TABLE sync_log (
    id          BLOB PRIMARY KEY,
    at          TEXT NOT NULL,
    provider_id BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    user_name   TEXT NOT NULL,
    change_type TEXT NOT NULL,
    attribute   TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT
);
CREATE INDEX sync_log_at_idx ON sync_log (at, id);
CREATE INDEX sync_log_user_idx ON sync_log (user_id, at);
CREATE INDEX sync_log_provider_idx ON sync_log (provider_id, at);

CREATE TABLE audit_log (
    id          BLOB PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('provider', 'operator', 'system')),
    actor       TEXT NOT NULL,
    event       TEXT NOT NULL,
    target_kind TEXT,
    target_id   TEXT,
    target_name TEXT,
    details     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);

CREATE TABLE provisioning_errors (
    id          BLOB PRIMARY KEY,
    at          TEXT NOT NULL,
    provider_id BLOB NOT NULL,
    operation   TEXT NOT NULL,
    status      INTEGER NOT NULL,
    scim_type   TEXT,
    user_name   TEXT,
    external_id TEXT,
    detail      TEXT NOT NULL
);
CREATE INDEX provisioning_errors_provider_idx ON provisioning_errors (provider_id, at);
CREATE INDEX provisioning_errors_at_idx ON provisioning_errors (at, id);

CREATE TABLE test_hooks (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
