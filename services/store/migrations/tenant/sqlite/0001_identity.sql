-- Users, groups and memberships of one tenant, in the tenant's own database file.
-- Mirrors tenant/postgres/0001_identity.sql: uuid as 16-byte BLOB, jsonb as JSON text,
-- timestamps as fixed-width RFC 3339 text in UTC (text order is time order).
CREATE TABLE users (
    id               BLOB PRIMARY KEY,
    provider_id      BLOB NOT NULL,
    user_name        TEXT NOT NULL,
    user_name_key    TEXT NOT NULL,
    external_id      TEXT,
    display_name_key TEXT,
    resource         TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX users_user_name_key_idx ON users (user_name_key);
CREATE INDEX users_provider_idx ON users (provider_id, created_at, id);
CREATE INDEX users_external_id_idx ON users (provider_id, external_id);
CREATE TABLE user_emails (
    user_id   BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type_key  TEXT,
    value_key TEXT NOT NULL
);
CREATE INDEX user_emails_value_idx ON user_emails (value_key);
CREATE INDEX user_emails_user_idx ON user_emails (user_id);
CREATE TABLE groups (
    id               BLOB PRIMARY KEY,
    provider_id      BLOB NOT NULL,
    display_name     TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id      TEXT,
    resource         TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX groups_provider_idx ON groups (provider_id, created_at, id);
CREATE INDEX groups_display_name_idx ON groups (provider_id, display_name_key);
CREATE INDEX groups_external_id_idx ON groups (provider_id, external_id);
CREATE TABLE group_members (
    group_id    BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    member_id   BLOB NOT NULL,
    member_type TEXT NOT NULL CHECK (member_type IN ('User', 'Group')),
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member_idx ON group_members (member_id);
