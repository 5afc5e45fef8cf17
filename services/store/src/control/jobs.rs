//! The control schema's per-tenant "next due" hints: where workers look for
//! tenants with due jobs. Only hints: the jobs themselves live with each tenant.

use std::time::Duration;

use roster_core::TenantId;

use crate::{Backend, Store, StoreError};

impl Store {
    /// Records that `tenant` has a job due `delay` from now, keeping the earlier
    /// hint when there is one. Call it after the tenant transaction that enqueued
    /// the job has committed; a crash before it is repaired by the hint sweep.
    pub async fn note_job_due(&self, tenant: &TenantId, delay: Duration) -> Result<(), StoreError> {
        let secs = i64::try_from(delay.as_secs()).unwrap_or(i64::MAX / 2);
        let (due, least) = match self.dialect() {
            crate::Dialect::Postgres => (
                "now() + $2 * interval '1 second'",
                "LEAST(control.job_hints.next_due_at, EXCLUDED.next_due_at)",
            ),
            crate::Dialect::Sqlite => (
                "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', $2 || ' seconds')",
                "min(next_due_at, excluded.next_due_at)",
            ),
        };
        let sql = format!(
            "INSERT INTO control.job_hints (tenant_id, next_due_at) VALUES ($1, {due}) \
             ON CONFLICT (tenant_id) DO UPDATE SET next_due_at = {least}"
        );
        on_control!(self, conn => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(tenant.as_uuid())
                .bind(secs)
                .execute(&mut *conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
