-- The control database (embedded): tenants, their host names and their providers' credential digests.
-- It is attached to every control connection under the name `control`, so queries read `control.x`
-- on both backends. Timestamps are fixed-width RFC 3339 text in UTC: text order is time order.
CREATE TABLE control.tenants (
    id             BLOB PRIMARY KEY,
    slug           TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL CHECK (state IN ('provisioning', 'active', 'suspended')),
    schema_version INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE control.tenant_hosts (
    host      TEXT PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE control.providers (
    id                   BLOB PRIMARY KEY,
    tenant_id            BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    credential_kind      TEXT NOT NULL CHECK (credential_kind IN ('basic', 'bearer')),
    username             TEXT NOT NULL,
    secret_digest        BLOB NOT NULL UNIQUE,
    enabled              BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at           TEXT,
    credential_issued_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (tenant_id, username)
);
CREATE INDEX control.providers_tenant_idx ON providers (tenant_id, created_at);
