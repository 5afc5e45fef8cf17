//! The worker's side of the tenant's job queue: claim due jobs under a lease,
//! renew it, and finish each attempt fenced by its lease owner and attempt
//! number, so a worker whose lease was taken over changes nothing.
//!
//! Every time is the tenant's database clock (`Dialect::tenant_now`). On
//! PostgreSQL concurrent workers claim disjoint jobs (`FOR UPDATE SKIP LOCKED`);
//! on SQLite one process owns the data and its `BEGIN IMMEDIATE` serialises them.

use serde_json::Value as Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// The first retry waits this long; each further one twice as long.
pub const FIRST_BACKOFF_SECS: i64 = 10;
/// The longest wait between two attempts: one hour.
pub const MAX_BACKOFF_SECS: i64 = 3600;

/// Returns how long to wait before the attempt after attempt number `attempt` (1-based):
/// 10 s, 20 s, 40 s, … capped at one hour.
pub fn backoff_secs(attempt: i32) -> i64 {
    let doublings = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_BACKOFF_SECS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_BACKOFF_SECS)
}

/// A job a worker claimed: it holds the lease until it finishes the attempt or the lease expires.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    /// Id.
    pub id: Uuid,
    /// What to do, e.g. `deactivate_user`.
    pub kind: String,
    /// What it acts on (a user id).
    pub subject: Option<String>,
    /// The subject's version when the job was scheduled.
    pub fence: Option<i64>,
    /// Kind-specific arguments.
    pub payload: Json,
    /// This attempt's number (1 for the first); with the lease owner, it fences the attempt.
    pub attempt: i32,
    /// Attempts before the job is marked failed.
    pub max_attempts: i32,
    /// Who scheduled it.
    pub created_by: String,
    /// The worker holding the lease.
    pub lease_owner: String,
}

/// How an attempt that failed left its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedAttempt {
    /// Pending again, due after the backoff.
    Retrying {
        /// Seconds until the next attempt.
        in_secs: i64,
    },
    /// That was the last attempt: the job is `failed`.
    Failed,
    /// The attempt no longer held the job (lease taken over, cancelled): nothing changed.
    Fenced,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: Uuid,
    kind: String,
    subject: Option<String>,
    fence: Option<i64>,
    payload: sqlx::types::Json<Json>,
    attempts: i32,
    max_attempts: i32,
    created_by: String,
}

impl TenantTx {
    /// Claims up to `limit` jobs that are due (pending with `due_at` passed) or whose
    /// running worker's lease expired: each becomes `running`, leased to `owner` for
    /// `lease_secs`, its attempt counter one higher. Commit to make the claim visible.
    pub async fn claim_due_jobs(
        &mut self,
        owner: &str,
        lease_secs: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let dialect = self.dialect();
        let now = dialect.tenant_now();
        let lease = dialect.tenant_now_plus("$2");
        let sql = format!(
            "UPDATE jobs SET state = 'running', lease_owner = $1, lease_expires_at = {lease}, \
             attempts = attempts + 1, updated_at = {now} \
             WHERE id IN (SELECT id FROM jobs \
               WHERE (state = 'pending' AND due_at <= {now}) \
                  OR (state = 'running' AND lease_expires_at <= {now}) \
               ORDER BY due_at, id LIMIT $3{skip}) \
             RETURNING id, kind, subject, fence, payload, attempts, max_attempts, created_by",
            skip = dialect.for_update_skip_locked(),
        );
        let rows = on_tenant!(self, tx => {
            sqlx::query_as::<_, ClaimedRow>(sqlx::AssertSqlSafe(sql))
                .bind(owner)
                .bind(lease_secs)
                .bind(limit)
                .fetch_all(&mut **tx)
                .await
        })?;
        let mut jobs: Vec<ClaimedJob> = rows
            .into_iter()
            .map(|row| ClaimedJob {
                id: row.id,
                kind: row.kind,
                subject: row.subject,
                fence: row.fence,
                payload: row.payload.0,
                attempt: row.attempts,
                max_attempts: row.max_attempts,
                created_by: row.created_by,
                lease_owner: owner.to_owned(),
            })
            .collect();
        jobs.sort_by_key(|job| job.id);
        Ok(jobs)
    }

    /// Extends the lease of a claimed job; false when the attempt no longer holds it.
    pub async fn renew_job_lease(
        &mut self,
        job: &ClaimedJob,
        lease_secs: i64,
    ) -> Result<bool, StoreError> {
        let dialect = self.dialect();
        let sql = format!(
            "UPDATE jobs SET lease_expires_at = {lease} \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $3",
            lease = dialect.tenant_now_plus("$4"),
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(job.id)
                .bind(&job.lease_owner)
                .bind(job.attempt)
                .bind(lease_secs)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Checks that this attempt still holds the job (running, leased to its owner, same
    /// attempt number), so a worker skips the effect of a job it lost. It takes no lock: the
    /// fence that counts is [`Self::complete_claimed_job`], the last statement of the effect's
    /// transaction. Locking the job row only then keeps one lock order, subject (a user)
    /// before job, with SCIM writes that lock a user and then cancel its job, so the two
    /// never deadlock.
    pub async fn holds_claimed_job(&mut self, job: &ClaimedJob) -> Result<bool, StoreError> {
        let found: Option<Uuid> = on_tenant!(self, tx => {
            sqlx::query_scalar(
                "SELECT id FROM jobs WHERE id = $1 AND state = 'running' AND lease_owner = $2 \
                 AND attempts = $3",
            )
            .bind(job.id)
            .bind(&job.lease_owner)
            .bind(job.attempt)
            .fetch_optional(&mut **tx)
            .await
        })?;
        Ok(found.is_some())
    }

    /// Marks a claimed job `succeeded` with its outcome, in the transaction of its effect, only
    /// if this attempt still holds it (running, leased to its owner, same attempt number); the
    /// update locks the row until commit. False (nothing written) when the attempt lost the
    /// job: roll the effect back.
    pub async fn complete_claimed_job(
        &mut self,
        job: &ClaimedJob,
        outcome: &str,
    ) -> Result<bool, StoreError> {
        let now = self.dialect().tenant_now();
        let sql = format!(
            "UPDATE jobs SET state = 'succeeded', outcome = $4, finished_at = {now}, \
             updated_at = {now}, lease_expires_at = NULL \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $3"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(job.id)
                .bind(&job.lease_owner)
                .bind(job.attempt)
                .bind(outcome)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Saves a running job's checkpoint (its payload) in the transaction of the step that
    /// reached it, fenced like [`Self::complete_claimed_job`]: false (nothing written) when
    /// the attempt lost the job, e.g. an admin cancelled it; roll the step back then.
    pub async fn checkpoint_claimed_job(
        &mut self,
        job: &ClaimedJob,
        payload: &Json,
    ) -> Result<bool, StoreError> {
        let now = self.dialect().tenant_now();
        let sql = format!(
            "UPDATE jobs SET payload = $4, updated_at = {now} \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $3"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(job.id)
                .bind(&job.lease_owner)
                .bind(job.attempt)
                .bind(sqlx::types::Json(payload))
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Records a failed attempt, fenced like [`Self::complete_claimed_job`]: the job is pending
    /// again after [`backoff_secs`], or `failed` when that was its last attempt or the
    /// failure is `permanent` (retrying cannot help, e.g. no handler knows its kind).
    pub async fn fail_claimed_job(
        &mut self,
        job: &ClaimedJob,
        error: &str,
        permanent: bool,
    ) -> Result<FailedAttempt, StoreError> {
        let dialect = self.dialect();
        let now = dialect.tenant_now();
        let retry_at = dialect.tenant_now_plus("$5");
        let sql = format!(
            "UPDATE jobs SET \
             state = CASE WHEN attempts >= max_attempts OR $6 THEN 'failed' ELSE 'pending' END, \
             due_at = CASE WHEN attempts >= max_attempts OR $6 THEN due_at ELSE {retry_at} END, \
             finished_at = CASE WHEN attempts >= max_attempts OR $6 THEN {now} ELSE NULL END, \
             last_error = $4, lease_expires_at = NULL, updated_at = {now} \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $3 \
             RETURNING state"
        );
        let in_secs = backoff_secs(job.attempt);
        let state: Option<String> = on_tenant!(self, tx => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(job.id)
                .bind(&job.lease_owner)
                .bind(job.attempt)
                .bind(error)
                .bind(in_secs)
                .bind(permanent)
                .fetch_optional(&mut **tx)
                .await
        })?;
        Ok(match state.as_deref() {
            None => FailedAttempt::Fenced,
            Some("failed") => FailedAttempt::Failed,
            Some(_) => FailedAttempt::Retrying { in_secs },
        })
    }

    /// Hands a claimed job that this worker will not start back to the queue, as if it had
    /// not been claimed (a worker shutting down); false when the attempt no longer holds it.
    pub async fn release_claimed_job(&mut self, job: &ClaimedJob) -> Result<bool, StoreError> {
        let now = self.dialect().tenant_now();
        let sql = format!(
            "UPDATE jobs SET state = 'pending', attempts = attempts - 1, lease_expires_at = NULL, \
             updated_at = {now} \
             WHERE id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $3"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(job.id)
                .bind(&job.lease_owner)
                .bind(job.attempt)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Gives up a running job's unique key, so that its handler may enqueue the job's next
    /// run under the same key in the transaction that completes it (the daily purge).
    pub async fn release_claimed_job_key(&mut self, job: &ClaimedJob) -> Result<(), StoreError> {
        on_tenant!(self, tx => {
            sqlx::query(
                "UPDATE jobs SET unique_key = NULL \
                 WHERE id = $1 AND state = 'running' AND lease_owner = $2 AND attempts = $3",
            )
            .bind(job.id)
            .bind(&job.lease_owner)
            .bind(job.attempt)
            .execute(&mut **tx)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Returns how many seconds from now (the tenant's clock, never negative) the tenant next
    /// has work: its earliest pending job, or the earliest lease of a running one to expire
    /// (a worker that died). `None` when it has neither.
    pub async fn next_job_due_in_secs(&mut self) -> Result<Option<i64>, StoreError> {
        let next: Option<OffsetDateTime> = on_tenant!(self, tx => {
            sqlx::query_scalar(
                "SELECT min(t) FROM (SELECT min(due_at) AS t FROM jobs WHERE state = 'pending' \
                 UNION ALL SELECT min(lease_expires_at) AS t FROM jobs WHERE state = 'running') AS due",
            )
            .fetch_one(&mut **tx)
            .await
        })?;
        let Some(next) = next else {
            return Ok(None);
        };
        let now = self.tenant_now().await?;
        let secs = (next - now).whole_seconds().max(0);
        // A fraction of a second left: look again one second later rather than now and again.
        let rounded = if next > now && (next - now).subsec_nanoseconds() > 0 {
            secs + 1
        } else {
            secs
        };
        Ok(Some(rounded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_up_to_an_hour() {
        assert_eq!(backoff_secs(1), 10);
        assert_eq!(backoff_secs(2), 20);
        assert_eq!(backoff_secs(3), 40);
        assert_eq!(backoff_secs(9), 2560);
        assert_eq!(backoff_secs(10), 3600);
        assert_eq!(backoff_secs(1000), 3600);
        assert_eq!(backoff_secs(0), 10);
    }
}
