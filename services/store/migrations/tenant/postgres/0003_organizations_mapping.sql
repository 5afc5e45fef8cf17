-- Organizations, roles, provider mappings, the Apply Org and Role Settings results and the digest
-- settings of one tenant. Runs with search_path set to the tenant's schema, one statement per
-- round trip. The top-level organization and the seeded roles have fixed ids, the same in every
-- tenant and on both backends.

-- The organization tree. The top-level organization is the only one without a parent. A child
-- that inherits takes its parent's default roles, profile, storage region and per-user quota;
-- one that stops inheriting uses its own.
CREATE TABLE organizations (
    id             uuid PRIMARY KEY,
    name           text NOT NULL,
    name_key       text NOT NULL,
    parent_id      uuid REFERENCES organizations (id),
    inherits       boolean NOT NULL DEFAULT true,
    profile        text,
    storage_region text,
    quota_bytes    bigint,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_name_key_idx ON organizations (name_key);
CREATE INDEX organizations_parent_idx ON organizations (parent_id);
CREATE UNIQUE INDEX organizations_top_level_idx ON organizations ((parent_id IS NULL)) WHERE parent_id IS NULL;
INSERT INTO organizations (id, name, name_key, parent_id, inherits, profile) VALUES ('00000000-0000-4000-8000-000000000001', 'Top-level organization', 'top-level organization', NULL, false, 'Default');

-- The roles catalogue: the roles the product documents name, then the tenant's own.
CREATE TABLE roles (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    name_key    text NOT NULL,
    builtin     boolean NOT NULL,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX roles_name_key_idx ON roles (name_key);
INSERT INTO roles (id, name, name_key, builtin, description) VALUES ('00000000-0000-4000-8000-000000000101', 'Customer Cloud Admin', 'customer cloud admin', true, 'Administers the whole environment and receives the directory sync digest');
INSERT INTO roles (id, name, name_key, builtin, description) VALUES ('00000000-0000-4000-8000-000000000102', 'Identity Management Administrator', 'identity management administrator', true, 'Configures identity management: providers, mappings, apply settings');
INSERT INTO roles (id, name, name_key, builtin, description) VALUES ('00000000-0000-4000-8000-000000000103', 'Desktop User', 'desktop user', true, 'Signs in to the backup agent and the console to manage backups');
INSERT INTO roles (id, name, name_key, builtin, description) VALUES ('00000000-0000-4000-8000-000000000104', 'PROe User', 'proe user', true, 'Backs up and restores files with the backup agent');
INSERT INTO roles (id, name, name_key, builtin, description) VALUES ('00000000-0000-4000-8000-000000000105', 'Agent User', 'agent user', true, 'Runs the insider risk agent');

-- An organization's own default roles (used when it does not inherit).
CREATE TABLE organization_default_roles (
    org_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role_id uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (org_id, role_id)
);
INSERT INTO organization_default_roles (org_id, role_id) VALUES ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000103');
INSERT INTO organization_default_roles (org_id, role_id) VALUES ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000104');
INSERT INTO organization_default_roles (org_id, role_id) VALUES ('00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000105');

-- Where each user is and why. `org_set_by` = 'admin' after an admin's move, which stays until
-- the provider next changes the user's groups or mapped attribute. `org_reason` says what decided.
-- Profile, storage region and quota are set by an attribute-filter rule; NULL means the
-- organization's.
ALTER TABLE users ADD COLUMN org_id uuid NOT NULL DEFAULT '00000000-0000-4000-8000-000000000001';
ALTER TABLE users ADD COLUMN org_set_by text NOT NULL DEFAULT 'mapping' CHECK (org_set_by IN ('mapping', 'admin'));
ALTER TABLE users ADD COLUMN org_reason text;
ALTER TABLE users ADD COLUMN profile text;
ALTER TABLE users ADD COLUMN storage_region text;
ALTER TABLE users ADD COLUMN quota_bytes bigint;
CREATE INDEX users_org_idx ON users (org_id);

-- The roles each user holds; `granted_by` = 'mapping' for roles provisioning manages.
CREATE TABLE user_roles (
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id    uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    granted_by text NOT NULL CHECK (granted_by IN ('mapping', 'admin')),
    reason     text,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role_idx ON user_roles (role_id);

-- Each provider's mapping methods. `org_target_id`: the single organization, or where users the
-- method cannot place go. `org_parent_id`: where c42OrgName creates missing organizations.
ALTER TABLE provider_settings ADD COLUMN org_method text NOT NULL DEFAULT 'single' CHECK (org_method IN ('single', 'attribute', 'groups', 'rules'));
ALTER TABLE provider_settings ADD COLUMN org_target_id uuid NOT NULL DEFAULT '00000000-0000-4000-8000-000000000001';
ALTER TABLE provider_settings ADD COLUMN org_parent_id uuid NOT NULL DEFAULT '00000000-0000-4000-8000-000000000001';
ALTER TABLE provider_settings ADD COLUMN role_method text NOT NULL DEFAULT 'manual' CHECK (role_method IN ('manual', 'groups'));

-- SCIM group -> organization, highest priority (lowest number) first.
CREATE TABLE group_org_mappings (
    provider_id uuid NOT NULL,
    group_id    uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    org_id      uuid NOT NULL REFERENCES organizations (id),
    priority    bigint NOT NULL,
    PRIMARY KEY (provider_id, group_id)
);
CREATE INDEX group_org_mappings_priority_idx ON group_org_mappings (provider_id, priority);

-- SCIM group -> roles.
CREATE TABLE group_role_mappings (
    provider_id uuid NOT NULL,
    group_id    uuid NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id     uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (provider_id, group_id, role_id)
);

-- The roles provisioning may grant or revoke for each provider; others are left to admins.
CREATE TABLE role_allowlist (
    provider_id uuid NOT NULL,
    role_id     uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (provider_id, role_id)
);
INSERT INTO role_allowlist (provider_id, role_id) SELECT p.provider_id, r.id FROM provider_settings p CROSS JOIN roles r WHERE r.id IN ('00000000-0000-4000-8000-000000000103', '00000000-0000-4000-8000-000000000104', '00000000-0000-4000-8000-000000000105');

-- Attribute-filter rules (Druva): `attribute` NULL matches all users; `match_values` is a JSON
-- array compared case-sensitively. The criteria never change once created.
CREATE TABLE mapping_rules (
    id             uuid PRIMARY KEY,
    provider_id    uuid NOT NULL,
    name           text NOT NULL,
    attribute      text,
    match_values   jsonb NOT NULL DEFAULT '[]',
    org_id         uuid NOT NULL REFERENCES organizations (id),
    profile        text,
    storage_region text,
    quota_bytes    bigint,
    position       bigint NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mapping_rules_provider_idx ON mapping_rules (provider_id, position);

-- Users whose groups changed in a way too large to remap inside the request; a job drains it.
CREATE TABLE pending_remaps (
    user_id     uuid PRIMARY KEY,
    provider_id uuid NOT NULL,
    queued_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_remaps_provider_idx ON pending_remaps (provider_id, queued_at, user_id);

-- What each Apply Org and Role Settings run (or its dry run) found for each user it changed or
-- could not place. `to_org_name` names the destination even before a dry run's c42OrgName
-- organization exists.
CREATE TABLE apply_results (
    job_id        uuid NOT NULL,
    user_id       uuid NOT NULL,
    user_name     text NOT NULL,
    from_org_id   uuid,
    to_org_id     uuid,
    to_org_name   text,
    roles_added   jsonb NOT NULL DEFAULT '[]',
    roles_removed jsonb NOT NULL DEFAULT '[]',
    unmatched     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (job_id, user_id)
);

-- The tenant's directory sync digest: 'daily', 'errors' (only when there were errors) or 'never'.
-- `covered_until` is where the last digest's window ended.
CREATE TABLE digest_settings (
    id            integer PRIMARY KEY CHECK (id = 1),
    frequency     text NOT NULL DEFAULT 'daily' CHECK (frequency IN ('daily', 'errors', 'never')),
    covered_until timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
INSERT INTO digest_settings (id, frequency, covered_until) VALUES (1, 'daily', now());
INSERT INTO jobs (id, kind, unique_key, state, due_at, max_attempts, created_by, created_at, updated_at) VALUES (gen_random_uuid(), 'send_digest', 'send_digest', 'pending', now() + interval '1 day', 10, 'system', now(), now());
