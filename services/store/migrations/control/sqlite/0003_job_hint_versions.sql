-- A version per hint for compare-and-set updates (see control/postgres/0003_job_hint_versions.sql).
ALTER TABLE control.job_hints ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
