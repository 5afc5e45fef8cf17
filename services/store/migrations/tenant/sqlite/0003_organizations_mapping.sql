-- Organizations, roles, provider mappings, the Apply Org and Role Settings results and the digest
-- settings of one tenant, in the tenant's own database file. Mirrors
-- tenant/postgres/0003_organizations_mapping.sql (uuid as BLOB, jsonb as JSON text, timestamps as
-- fixed-width RFC 3339 text in UTC). The top-level organization and the seeded roles have fixed
-- ids, the same in every tenant and on both backends.

-- The organization tree. The top-level organization is the only one without a parent. A child
-- that inherits takes its parent's default roles, profile, storage region and per-user quota;
-- one that stops inheriting uses its own.
CREATE TABLE organizations (
    id             BLOB PRIMARY KEY,
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    parent_id      BLOB REFERENCES organizations (id),
    inherits       BOOLEAN NOT NULL DEFAULT TRUE,
    profile        TEXT,
    storage_region TEXT,
    quota_bytes    INTEGER,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX organizations_name_key_idx ON organizations (name_key);
CREATE INDEX organizations_parent_idx ON organizations (parent_id);
CREATE UNIQUE INDEX organizations_top_level_idx ON organizations ((parent_id IS NULL)) WHERE parent_id IS NULL;
INSERT INTO organizations (id, name, name_key, parent_id, inherits, profile) VALUES (X'00000000000040008000000000000001', 'Top-level organization', 'top-level organization', NULL, FALSE, 'Default');

-- The roles catalogue: the roles the product documents name, then the tenant's own.
CREATE TABLE roles (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    builtin     BOOLEAN NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX roles_name_key_idx ON roles (name_key);
INSERT INTO roles (id, name, name_key, builtin, description) VALUES (X'00000000000040008000000000000101', 'Customer Cloud Admin', 'customer cloud admin', TRUE, 'Administers the whole environment and receives the directory sync digest');
INSERT INTO roles (id, name, name_key, builtin, description) VALUES (X'00000000000040008000000000000102', 'Identity Management Administrator', 'identity management administrator', TRUE, 'Configures identity management: providers, mappings, apply settings');
INSERT INTO roles (id, name, name_key, builtin, description) VALUES (X'00000000000040008000000000000103', 'Desktop User', 'desktop user', TRUE, 'Signs in to the backup agent and the console to manage backups');
INSERT INTO roles (id, name, name_key, builtin, description) VALUES (X'00000000000040008000000000000104', 'PROe User', 'proe user', TRUE, 'Backs up and restores files with the backup agent');
INSERT INTO roles (id, name, name_key, builtin, description) VALUES (X'00000000000040008000000000000105', 'Agent User', 'agent user', TRUE, 'Runs the insider risk agent');

-- An organization's own default roles (used when it does not inherit).
CREATE TABLE organization_default_roles (
    org_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role_id BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, role_id)
);
INSERT INTO organization_default_roles (org_id, role_id) VALUES (X'00000000000040008000000000000001', X'00000000000040008000000000000103');
INSERT INTO organization_default_roles (org_id, role_id) VALUES (X'00000000000040008000000000000001', X'00000000000040008000000000000104');
INSERT INTO organization_default_roles (org_id, role_id) VALUES (X'00000000000040008000000000000001', X'00000000000040008000000000000105');

-- Where each user is and why. `org_set_by` = 'admin' after an admin's move, which stays until
-- the provider next changes the user's groups or mapped attribute. `org_reason` says what decided.
-- Profile, storage region and quota are set by an attribute-filter rule; NULL means the
-- organization's.
ALTER TABLE users ADD COLUMN org_id BLOB NOT NULL DEFAULT X'00000000000040008000000000000001';
ALTER TABLE users ADD COLUMN org_set_by TEXT NOT NULL DEFAULT 'mapping' CHECK (org_set_by IN ('mapping', 'admin'));
ALTER TABLE users ADD COLUMN org_reason TEXT;
ALTER TABLE users ADD COLUMN profile TEXT;
ALTER TABLE users ADD COLUMN storage_region TEXT;
ALTER TABLE users ADD COLUMN quota_bytes INTEGER;
CREATE INDEX users_org_idx ON users (org_id);

-- The roles each user holds; `granted_by` = 'mapping' for roles provisioning manages.
CREATE TABLE user_roles (
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id    BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    granted_by TEXT NOT NULL CHECK (granted_by IN ('mapping', 'admin')),
    reason     TEXT,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role_idx ON user_roles (role_id);

-- Each provider's mapping methods. `org_target_id`: the single organization, or where users the
-- method cannot place go. `org_parent_id`: where c42OrgName creates missing organizations.
ALTER TABLE provider_settings ADD COLUMN org_method TEXT NOT NULL DEFAULT 'single' CHECK (org_method IN ('single', 'attribute', 'groups', 'rules'));
ALTER TABLE provider_settings ADD COLUMN org_target_id BLOB NOT NULL DEFAULT X'00000000000040008000000000000001';
ALTER TABLE provider_settings ADD COLUMN org_parent_id BLOB NOT NULL DEFAULT X'00000000000040008000000000000001';
ALTER TABLE provider_settings ADD COLUMN role_method TEXT NOT NULL DEFAULT 'manual' CHECK (role_method IN ('manual', 'groups'));

-- SCIM group -> organization, highest priority (lowest number) first.
CREATE TABLE group_org_mappings (
    provider_id BLOB NOT NULL,
    group_id    BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    org_id      BLOB NOT NULL REFERENCES organizations (id),
    priority    INTEGER NOT NULL,
    PRIMARY KEY (provider_id, group_id)
);
CREATE INDEX group_org_mappings_priority_idx ON group_org_mappings (provider_id, priority);

-- SCIM group -> roles.
CREATE TABLE group_role_mappings (
    provider_id BLOB NOT NULL,
    group_id    BLOB NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id     BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (provider_id, group_id, role_id)
);

-- The roles provisioning may grant or revoke for each provider; others are left to admins.
CREATE TABLE role_allowlist (
    provider_id BLOB NOT NULL,
    role_id     BLOB NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (provider_id, role_id)
);
INSERT INTO role_allowlist (provider_id, role_id) SELECT p.provider_id, r.id FROM provider_settings p CROSS JOIN roles r WHERE r.id IN (X'00000000000040008000000000000103', X'00000000000040008000000000000104', X'00000000000040008000000000000105');

-- Attribute-filter rules (Druva): `attribute` NULL matches all users; `match_values` is a JSON
-- array compared case-sensitively. The criteria never change once created.
CREATE TABLE mapping_rules (
    id             BLOB PRIMARY KEY,
    provider_id    BLOB NOT NULL,
    name           TEXT NOT NULL,
    attribute      TEXT,
    match_values   TEXT NOT NULL DEFAULT '[]',
    org_id         BLOB NOT NULL REFERENCES organizations (id),
    profile        TEXT,
    storage_region TEXT,
    quota_bytes    INTEGER,
    position       INTEGER NOT NULL,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX mapping_rules_provider_idx ON mapping_rules (provider_id, position);

-- Users whose groups changed in a way too large to remap inside the request; a job drains it.
CREATE TABLE pending_remaps (
    user_id     BLOB PRIMARY KEY,
    provider_id BLOB NOT NULL,
    queued_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX pending_remaps_provider_idx ON pending_remaps (provider_id, queued_at, user_id);

-- What each Apply Org and Role Settings run (or its dry run) found for each user it changed or
-- could not place. `to_org_name` names the destination even before a dry run's c42OrgName
-- organization exists.
CREATE TABLE apply_results (
    job_id        BLOB NOT NULL,
    user_id       BLOB NOT NULL,
    user_name     TEXT NOT NULL,
    from_org_id   BLOB,
    to_org_id     BLOB,
    to_org_name   TEXT,
    roles_added   TEXT NOT NULL DEFAULT '[]',
    roles_removed TEXT NOT NULL DEFAULT '[]',
    unmatched     BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (job_id, user_id)
);

-- The tenant's directory sync digest: 'daily', 'errors' (only when there were errors) or 'never'.
-- `covered_until` is where the last digest's window ended.
CREATE TABLE digest_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    frequency     TEXT NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'errors', 'never')),
    covered_until TEXT,
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
INSERT INTO digest_settings (id, frequency, covered_until) VALUES (1, 'daily', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
INSERT INTO jobs (id, kind, unique_key, state, due_at, max_attempts, created_by, created_at, updated_at) VALUES (randomblob(16), 'send_digest', 'send_digest', 'pending', strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 day'), 10, 'system', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
