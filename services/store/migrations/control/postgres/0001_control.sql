-- The control schema: tenants, their host names and their providers' credential digests.
CREATE SCHEMA IF NOT EXISTS control;

CREATE TABLE control.tenants (
    id             uuid PRIMARY KEY,
    slug           text NOT NULL UNIQUE,
    state          text NOT NULL CHECK (state IN ('provisioning', 'active', 'suspended')),
    schema_version integer NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE control.tenant_hosts (
    host      text PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES control.tenants (id) ON DELETE CASCADE
);

CREATE TABLE control.providers (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES control.tenants (id) ON DELETE CASCADE,
    name                 text NOT NULL,
    credential_kind      text NOT NULL CHECK (credential_kind IN ('basic', 'bearer')),
    username             text NOT NULL,
    secret_digest        bytea NOT NULL UNIQUE,
    enabled              boolean NOT NULL DEFAULT true,
    expires_at           timestamptz,
    credential_issued_at timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, username)
);
CREATE INDEX providers_tenant_idx ON control.providers (tenant_id, created_at);
