-- A version per hint, bumped by every writer, so a worker that read (next_due_at, version) and then
-- sets the tenant's next due time (or deletes the hint when nothing is pending) does so only if no
-- job was noted meanwhile (compare-and-set): a concurrently enqueued job never loses its hint.
ALTER TABLE control.job_hints ADD COLUMN version bigint NOT NULL DEFAULT 0;
