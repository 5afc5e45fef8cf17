//! Job rows in the tenant's own schema: enqueued in the same transaction as
//! the change that needs them.

use serde_json::Value as Json;
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Id.
    pub id: Uuid,
    /// What to do, e.g. `deactivate_user`.
    pub kind: String,
    /// What it acts on (a user id), for listing.
    pub subject: Option<String>,
    /// At most one pending or running job has this key (e.g. `deactivate:<user>`).
    pub unique_key: Option<String>,
    /// The subject's version when the job was scheduled; the job changes nothing if it moved on.
    pub fence: Option<i64>,
    /// Kind-specific arguments.
    pub payload: Json,
    /// Seconds from now (the tenant's database clock) until it is due.
    pub delay_secs: i64,
    /// Attempts before it is marked failed.
    pub max_attempts: i32,
    /// Who scheduled it: a provider username, `operator`, or `system`.
    pub created_by: String,
}

impl TenantTx {
    /// Enqueues a job. Conflict when a pending or running job has the same unique key.
    pub async fn enqueue_job(&mut self, job: &NewJob) -> Result<(), StoreError> {
        let now = self.dialect().tenant_now();
        let due = self.dialect().tenant_now_plus("$7");
        let sql = format!(
            "INSERT INTO jobs (id, kind, subject, unique_key, fence, payload, state, due_at, max_attempts, \
             created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', {due}, $8, $9, {now}, {now})"
        );
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(job.id)
                .bind(&job.kind)
                .bind(&job.subject)
                .bind(&job.unique_key)
                .bind(job.fence)
                .bind(sqlx::types::Json(&job.payload))
                .bind(job.delay_secs)
                .bind(job.max_attempts)
                .bind(&job.created_by)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Cancels the pending or running job with this unique key, if any; returns how many.
    /// A running one's worker then finds its job no longer running and changes nothing.
    pub async fn cancel_live_jobs(&mut self, unique_key: &str) -> Result<u64, StoreError> {
        let now = self.dialect().tenant_now();
        let sql = format!(
            "UPDATE jobs SET state = 'cancelled', updated_at = {now}, finished_at = {now}, \
             lease_owner = NULL, lease_expires_at = NULL \
             WHERE unique_key = $1 AND state IN ('pending', 'running')"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(unique_key)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n)
    }
}
