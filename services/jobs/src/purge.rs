//! The `purge_logs` job: the daily retention purge of a tenant's logs. Each run
//! enqueues the next one (a day later) and records what it removed in the audit log.

use roster_store::{ActorKind, AuditEntry, ClaimedJob, NewJob, TenantTx};
use serde_json::json;
use uuid::Uuid;

use crate::handler::{HandlerFuture, JobHandler};

/// The job kind of the retention purge.
pub const PURGE_LOGS: &str = "purge_logs";

/// Seconds between two purges of a tenant.
pub const PURGE_INTERVAL_SECS: i64 = 86_400;

/// Attempts a purge gets before it is marked failed (as the seeded first run has).
const PURGE_MAX_ATTEMPTS: i32 = 5;

/// Runs the retention purge: sync-log entries and provisioning errors older than 90 days,
/// audit-log entries older than the configured retention.
#[derive(Debug, Clone, Copy)]
pub struct PurgeLogs {
    /// How many days audit-log entries are kept.
    pub audit_retention_days: i64,
}

impl JobHandler for PurgeLogs {
    fn kind(&self) -> &'static str {
        PURGE_LOGS
    }

    fn run<'a>(&'a self, tx: &'a mut TenantTx, job: &'a ClaimedJob) -> HandlerFuture<'a, String> {
        Box::pin(async move {
            let counts = tx.purge_expired_logs(self.audit_retention_days).await?;
            // This job still holds the key `purge_logs` until its transaction commits.
            tx.release_claimed_job_key(job).await?;
            tx.enqueue_job(&NewJob {
                id: Uuid::now_v7(),
                kind: PURGE_LOGS.to_owned(),
                subject: None,
                unique_key: Some(PURGE_LOGS.to_owned()),
                fence: None,
                payload: json!({}),
                delay_secs: PURGE_INTERVAL_SECS,
                max_attempts: PURGE_MAX_ATTEMPTS,
                created_by: "system".to_owned(),
            })
            .await?;
            tx.append_audit(&AuditEntry {
                id: Uuid::now_v7(),
                actor_kind: ActorKind::System,
                actor: "roster".to_owned(),
                event: "logs purged".to_owned(),
                target_kind: Some("job".to_owned()),
                target_id: Some(job.id.to_string()),
                target_name: Some(PURGE_LOGS.to_owned()),
                details: json!({
                    "syncLog": counts.sync_log,
                    "provisioningErrors": counts.provisioning_errors,
                    "auditLog": counts.audit_log,
                    "auditRetentionDays": self.audit_retention_days,
                }),
            })
            .await?;
            Ok(format!(
                "purged {} sync-log entries, {} provisioning errors, {} audit entries",
                counts.sync_log, counts.provisioning_errors, counts.audit_log
            ))
        })
    }
}
