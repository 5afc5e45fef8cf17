-- When each tenant next has due jobs: a hint workers use to find tenants with work, upserted after
-- the tenant transaction that enqueued the job commits, and rebuilt by a periodic sweep.
CREATE TABLE control.job_hints (
    tenant_id   uuid PRIMARY KEY REFERENCES control.tenants (id) ON DELETE CASCADE,
    next_due_at timestamptz NOT NULL
);
CREATE INDEX job_hints_due_idx ON control.job_hints (next_due_at);

-- Audit entries for control-plane changes (providers, credentials), written in the control
-- transaction and delivered to the tenant's audit log afterwards; a crash between the two is
-- repaired by delivering what is left (delivery is idempotent on the entry id).
CREATE TABLE control.audit_outbox (
    id         uuid PRIMARY KEY,
    tenant_id  uuid NOT NULL REFERENCES control.tenants (id) ON DELETE CASCADE,
    entry      jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
