-- When each tenant next has due jobs (see control/postgres/0002_job_hints.sql).
CREATE TABLE control.job_hints (
    tenant_id   BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    next_due_at TEXT NOT NULL
);
CREATE INDEX control.job_hints_due_idx ON job_hints (next_due_at);

-- Audit entries for control-plane changes, delivered to the tenant's audit log afterwards.
CREATE TABLE control.audit_outbox (
    id         BLOB PRIMARY KEY,
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    entry      TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
