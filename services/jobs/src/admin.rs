//! Operators' view of a tenant's jobs: list, inspect, retry and cancel. Retry and
//! cancel are audited, and a cancel lets the job kind's handler leave the job's
//! subject consistent in the same transaction.

use std::sync::Arc;
use std::time::Duration;

use roster_core::TenantId;
use roster_store::{ActorKind, AuditEntry, JobFilter, JobRecord, JobState, Store, StoreError};
use serde_json::json;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{Handlers, JobsError};

/// The largest page a listing returns.
pub const MAX_PAGE_SIZE: i64 = 200;

/// The jobs admin service shared by every request.
#[derive(Debug, Clone)]
pub struct JobsAdmin {
    store: Store,
    handlers: Arc<Handlers>,
    wakeup: Arc<Notify>,
}

impl JobsAdmin {
    /// Creates the service; `wakeup` pokes this process's worker when a job was made due.
    pub fn new(store: Store, handlers: Handlers, wakeup: Arc<Notify>) -> Self {
        Self {
            store,
            handlers: Arc::new(handlers),
            wakeup,
        }
    }

    /// Returns the store, for the gRPC adapter's tenant lookups.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Returns the total number of the tenant's jobs matching `filter`, and a page of them,
    /// newest first.
    pub async fn list(
        &self,
        tenant: &TenantId,
        filter: &JobFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<JobRecord>), JobsError> {
        let mut tx = self.store.begin(tenant).await?;
        let page = tx
            .list_jobs(filter, offset.max(0), limit.clamp(0, MAX_PAGE_SIZE))
            .await?;
        tx.commit().await?;
        Ok(page)
    }

    /// Returns one job.
    pub async fn get(&self, tenant: &TenantId, id: Uuid) -> Result<JobRecord, JobsError> {
        let mut tx = self.store.begin(tenant).await?;
        let job = tx.job(id, false).await?;
        tx.commit().await?;
        job.ok_or_else(|| JobsError::NotFound { id: id.to_string() })
    }

    /// Makes a failed or cancelled job pending again, due now, and audits it.
    pub async fn retry(
        &self,
        tenant: &TenantId,
        id: Uuid,
        actor: &str,
    ) -> Result<JobRecord, JobsError> {
        let mut tx = self.store.begin(tenant).await?;
        if let Some(job) = tx.job(id, false).await?
            && job.state == JobState::Cancelled
            && self
                .handlers
                .get(&job.kind)
                .is_some_and(|handler| !handler.retryable_after_cancel())
        {
            return Err(JobsError::NotRetryable {
                id: id.to_string(),
                hint: "schedule the work again (for a deactivation: roster users deactivate)",
            });
        }
        let retried = match tx.retry_job(id).await {
            Ok(retried) => retried,
            Err(StoreError::Conflict { .. }) => {
                drop(tx);
                let job = self.get(tenant, id).await?;
                return Err(JobsError::KeyTaken {
                    id: id.to_string(),
                    key: job.unique_key.unwrap_or_default(),
                });
            }
            Err(err) => return Err(err.into()),
        };
        let Some(job) = retried else {
            return Err(wrong_state(&mut tx, id, "retried", "failed or cancelled").await);
        };
        audit(&mut tx, actor, "job retried", &job).await?;
        tx.commit().await?;
        if let Err(err) = self.store.note_job_due(tenant, Duration::ZERO).await {
            tracing::warn!(tenant = %tenant, error = %roster_runtime::grpc::error_chain(&err), "could not record the next-due hint; the sweep will");
        }
        self.wakeup.notify_one();
        Ok(job)
    }

    /// Cancels a pending or running job, lets its kind's handler tidy its subject, and
    /// audits it, all in one transaction. The handler runs before the job row is updated, so
    /// this takes its locks in the order SCIM writes and the worker do (subject, then job).
    pub async fn cancel(
        &self,
        tenant: &TenantId,
        id: Uuid,
        actor: &str,
    ) -> Result<JobRecord, JobsError> {
        let mut tx = self.store.begin(tenant).await?;
        let Some(live) = tx.job(id, false).await? else {
            return Err(JobsError::NotFound { id: id.to_string() });
        };
        if !matches!(live.state, JobState::Pending | JobState::Running) {
            return Err(JobsError::WrongState {
                id: id.to_string(),
                state: live.state,
                action: "cancelled",
                allowed: "pending or running",
            });
        }
        if let Some(handler) = self.handlers.get(&live.kind) {
            handler.on_cancel(&mut tx, &live, actor).await?;
        }
        let Some(job) = tx.cancel_job(id).await? else {
            // It finished meanwhile; dropping the transaction undoes the handler's changes.
            return Err(wrong_state(&mut tx, id, "cancelled", "pending or running").await);
        };
        audit(&mut tx, actor, "job cancelled", &job).await?;
        tx.commit().await?;
        Ok(job)
    }
}

/// The error for a job the action does not apply to (or that does not exist).
async fn wrong_state(
    tx: &mut roster_store::TenantTx,
    id: Uuid,
    action: &'static str,
    allowed: &'static str,
) -> JobsError {
    match tx.job(id, false).await {
        Ok(Some(job)) => JobsError::WrongState {
            id: id.to_string(),
            state: job.state,
            action,
            allowed,
        },
        Ok(None) => JobsError::NotFound { id: id.to_string() },
        Err(err) => err.into(),
    }
}

async fn audit(
    tx: &mut roster_store::TenantTx,
    actor: &str,
    event: &str,
    job: &JobRecord,
) -> Result<(), JobsError> {
    tx.append_audit(&AuditEntry {
        id: Uuid::now_v7(),
        actor_kind: ActorKind::Operator,
        actor: actor.to_owned(),
        event: event.to_owned(),
        target_kind: Some("job".to_owned()),
        target_id: Some(job.id.to_string()),
        target_name: Some(job.kind.clone()),
        details: json!({
            "kind": job.kind,
            "subject": job.subject,
            "state": job.state.as_str(),
        }),
    })
    .await?;
    Ok(())
}
