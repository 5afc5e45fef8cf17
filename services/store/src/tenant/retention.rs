//! The retention purge: deletes log entries older than their retention, on the
//! tenant's clock. The sync log and provisioning errors keep 90 days; the audit
//! log keeps what the caller says (its retention is configured separately).

use super::{Inner, TenantTx};
use crate::StoreError;

/// How long sync-log entries and provisioning errors are kept: 90 days.
pub const SYNC_LOG_RETENTION_DAYS: i64 = 90;

/// How many entries a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    /// Sync-log entries.
    pub sync_log: u64,
    /// Provisioning errors.
    pub provisioning_errors: u64,
    /// Audit-log entries.
    pub audit_log: u64,
}

/// The tables the purge deletes from, with the retention each uses. Constants: only these
/// names are ever put into SQL text.
const SYNC_LOG: &str = "sync_log";
const PROVISIONING_ERRORS: &str = "provisioning_errors";
const AUDIT_LOG: &str = "audit_log";

impl TenantTx {
    /// Deletes sync-log entries and provisioning errors older than 90 days and audit-log
    /// entries older than `audit_retention_days`, and returns how many of each.
    pub async fn purge_expired_logs(
        &mut self,
        audit_retention_days: i64,
    ) -> Result<PurgeCounts, StoreError> {
        Ok(PurgeCounts {
            sync_log: self
                .purge_older_than(SYNC_LOG, SYNC_LOG_RETENTION_DAYS)
                .await?,
            provisioning_errors: self
                .purge_older_than(PROVISIONING_ERRORS, SYNC_LOG_RETENTION_DAYS)
                .await?,
            audit_log: self
                .purge_older_than(AUDIT_LOG, audit_retention_days)
                .await?,
        })
    }

    async fn purge_older_than(
        &mut self,
        table: &'static str,
        days: i64,
    ) -> Result<u64, StoreError> {
        let cutoff = self.dialect().tenant_now_plus("$1");
        let sql = format!("DELETE FROM {table} WHERE at < {cutoff}");
        let secs = days.saturating_mul(-86_400);
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(secs)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n)
    }
}
