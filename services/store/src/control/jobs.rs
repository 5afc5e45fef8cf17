//! The control schema's per-tenant "next due" hints: where workers look for
//! tenants with due jobs. Only hints: the jobs themselves live with each tenant.
//!
//! Every write bumps the hint's `version`. A worker settles a hint by reading its
//! version, then the tenant's next due time, then writing only if the version is
//! unchanged ([`Store::settle_job_hint`]); a job noted meanwhile
//! ([`Store::note_job_due`]) makes that write fail, so its hint is never lost.

use std::time::Duration;

use roster_core::TenantId;

use crate::{Backend, Store, StoreError};

/// A tenant whose hint says it has due work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTenant {
    /// The tenant.
    pub tenant: TenantId,
    /// The hint's version when read.
    pub version: i64,
}

/// The control time `param` seconds from now (`param` names a bound integer).
fn control_now_plus(dialect: crate::Dialect, param: &str) -> String {
    match dialect {
        crate::Dialect::Postgres => format!("(now() + {param} * interval '1 second')"),
        crate::Dialect::Sqlite => {
            format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', {param} || ' seconds')")
        }
    }
}

impl Store {
    /// Records that `tenant` has a job due `delay` from now, keeping the earlier
    /// hint when there is one, and bumps the hint's version. Call it after the tenant
    /// transaction that enqueued the job has committed; a crash before it is repaired
    /// by the hint sweep.
    pub async fn note_job_due(&self, tenant: &TenantId, delay: Duration) -> Result<(), StoreError> {
        let secs = i64::try_from(delay.as_secs()).unwrap_or(i64::MAX / 2);
        let due = control_now_plus(self.dialect(), "$2");
        let least = match self.dialect() {
            crate::Dialect::Postgres => {
                "LEAST(control.job_hints.next_due_at, EXCLUDED.next_due_at)"
            }
            crate::Dialect::Sqlite => "min(next_due_at, excluded.next_due_at)",
        };
        let version = match self.dialect() {
            crate::Dialect::Postgres => "control.job_hints.version + 1",
            crate::Dialect::Sqlite => "version + 1",
        };
        let sql = format!(
            "INSERT INTO control.job_hints (tenant_id, next_due_at, version) VALUES ($1, {due}, 1) \
             ON CONFLICT (tenant_id) DO UPDATE SET next_due_at = {least}, version = {version}"
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

    /// Returns up to `limit` tenants whose hint is due now (the control database's clock),
    /// the longest overdue first.
    pub async fn due_tenants(&self, limit: i64) -> Result<Vec<DueTenant>, StoreError> {
        let sql = format!(
            "SELECT tenant_id, version FROM control.job_hints WHERE next_due_at <= {now} \
             ORDER BY next_due_at LIMIT $1",
            now = self.dialect().now()
        );
        let rows: Vec<(uuid::Uuid, i64)> = on_control!(self, conn => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(limit)
                .fetch_all(&mut *conn)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, version)| DueTenant {
                tenant: TenantId::from_uuid(id),
                version,
            })
            .collect())
    }

    /// Returns the version of the tenant's hint, or `None` when it has none.
    pub async fn job_hint_version(&self, tenant: &TenantId) -> Result<Option<i64>, StoreError> {
        let version = on_control!(self, conn => {
            sqlx::query_scalar("SELECT version FROM control.job_hints WHERE tenant_id = $1")
                .bind(tenant.as_uuid())
                .fetch_optional(&mut *conn)
                .await
        })?;
        Ok(version)
    }

    /// Sets the tenant's hint to `next_due` from now, or deletes it when `None`, only if
    /// its version is still `read_version` (`None`: only if there is still no hint).
    /// Returns false when another writer got there first: read again and retry.
    pub async fn settle_job_hint(
        &self,
        tenant: &TenantId,
        read_version: Option<i64>,
        next_due: Option<Duration>,
    ) -> Result<bool, StoreError> {
        let secs = next_due.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2));
        let due = control_now_plus(self.dialect(), "$2");
        let sql = match (read_version, secs) {
            (None, None) => return Ok(true),
            (Some(_), None) => {
                "DELETE FROM control.job_hints WHERE tenant_id = $1 AND version = $2".to_owned()
            }
            (Some(_), Some(_)) => format!(
                "UPDATE control.job_hints SET next_due_at = {due}, version = version + 1 \
                 WHERE tenant_id = $1 AND version = $3"
            ),
            (None, Some(_)) => format!(
                "INSERT INTO control.job_hints (tenant_id, next_due_at, version) \
                 VALUES ($1, {due}, 1) ON CONFLICT (tenant_id) DO NOTHING"
            ),
        };
        let changed = on_control!(self, conn => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(tenant.as_uuid());
            match (read_version, secs) {
                (Some(v), None) => query = query.bind(v),
                (Some(v), Some(s)) => query = query.bind(s).bind(v),
                (None, Some(s)) => query = query.bind(s),
                (None, None) => {}
            }
            query.execute(&mut *conn).await.map(|done| done.rows_affected())
        })?;
        Ok(changed == 1)
    }
}
