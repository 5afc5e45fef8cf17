-- Safe deprovisioning, the jobs queue and the logs of one tenant. Runs with search_path set to the
-- tenant's schema, one statement per round trip.

-- Lifecycle facts of a user. `state` is what the user may do now; the rest is why.
-- `lifecycle_version` grows on every lifecycle change and fences deactivation jobs.
ALTER TABLE users ADD COLUMN state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'blocked', 'deactivated'));
-- Set while a deactivation is pending: in the future while the provider's delay runs, in the past
-- while a legal hold keeps a due deactivation waiting.
ALTER TABLE users ADD COLUMN deactivation_due_at timestamptz;
-- Who asked for the pending deactivation: the provider (via SCIM) or an admin.
ALTER TABLE users ADD COLUMN deactivation_requested_by text CHECK (deactivation_requested_by IN ('provider', 'admin'));
ALTER TABLE users ADD COLUMN legal_hold boolean NOT NULL DEFAULT false;
-- The provider deleted the user: hidden from SCIM, kept with the tenant.
ALTER TABLE users ADD COLUMN deleted_by_provider boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
-- An admin's unblock or reactivation overrides what the provider last asserted until its next change.
ALTER TABLE users ADD COLUMN admin_override boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN lifecycle_version bigint NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN state_changed_at timestamptz;
-- Users a provider had set inactive before lifecycles existed are blocked, with nothing scheduled.
UPDATE users SET state = 'blocked' WHERE resource->>'active' = 'false';
-- A userName stays taken until its user is both deleted by its provider and deactivated.
DROP INDEX users_user_name_key_idx;
CREATE UNIQUE INDEX users_user_name_key_live_idx ON users (user_name_key) WHERE NOT (deleted_by_provider AND state = 'deactivated');
CREATE INDEX users_user_name_key_idx ON users (provider_id, user_name_key);
CREATE INDEX users_state_idx ON users (state, deactivation_due_at);

-- Provider settings that only the tenant's data needs (credentials live in the control schema).
CREATE TABLE provider_settings (
    provider_id             uuid PRIMARY KEY,
    username                text NOT NULL,
    deactivation_delay_secs bigint NOT NULL DEFAULT 900 CHECK (deactivation_delay_secs BETWEEN 0 AND 7776000),
    last_success_at         timestamptz,
    updated_at              timestamptz NOT NULL DEFAULT now()
);

-- Durable scheduled work. Claimed with FOR UPDATE SKIP LOCKED; a running job holds a lease that its
-- worker renews; `attempts` fences a worker whose lease was taken over.
CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    kind             text NOT NULL,
    subject          text,
    unique_key       text,
    fence            bigint,
    payload          jsonb NOT NULL DEFAULT '{}',
    state            text NOT NULL CHECK (state IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    due_at           timestamptz NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    max_attempts     integer NOT NULL,
    lease_owner      text,
    lease_expires_at timestamptz,
    last_error       text,
    outcome          text,
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz
);
-- At most one live job per subject key (one pending deactivation per user).
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (unique_key) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_due_idx ON jobs (due_at) WHERE state = 'pending';
CREATE INDEX jobs_lease_idx ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_state_idx ON jobs (state, created_at);
CREATE INDEX jobs_subject_idx ON jobs (subject);
-- The retention purge runs daily from the start.
INSERT INTO jobs (id, kind, unique_key, state, due_at, max_attempts, created_by, created_at, updated_at) VALUES (gen_random_uuid(), 'purge_logs', 'purge_logs', 'pending', now() + interval '1 day', 5, 'system', now(), now());

-- One entry per changed attribute of every change a provider causes.
CREATE TABLE sync_log (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL,
    provider_id uuid NOT NULL,
    user_id     uuid NOT NULL,
    user_name   text NOT NULL,
    change_type text NOT NULL,
    attribute   text NOT NULL,
    old_value   text,
    new_value   text
);
CREATE INDEX sync_log_at_idx ON sync_log (at, id);
CREATE INDEX sync_log_user_idx ON sync_log (user_id, at);
CREATE INDEX sync_log_provider_idx ON sync_log (provider_id, at);

-- Append-only record of who did what; no statement updates it, only retention deletes from it.
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor_kind  text NOT NULL CHECK (actor_kind IN ('provider', 'operator', 'system')),
    actor       text NOT NULL,
    event       text NOT NULL,
    target_kind text,
    target_id   text,
    target_name text,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);

-- Every refused or failed provisioning request, per provider.
CREATE TABLE provisioning_errors (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL,
    provider_id uuid NOT NULL,
    operation   text NOT NULL,
    status      integer NOT NULL,
    scim_type   text,
    user_name   text,
    external_id text,
    detail      text NOT NULL
);
CREATE INDEX provisioning_errors_provider_idx ON provisioning_errors (provider_id, at);
CREATE INDEX provisioning_errors_at_idx ON provisioning_errors (at, id);

-- Knobs that only test builds (the test-clock feature) read: the database-clock shift and injected
-- job faults. Production builds never read or write this table.
CREATE TABLE test_hooks (
    name  text PRIMARY KEY,
    value bigint NOT NULL
);
