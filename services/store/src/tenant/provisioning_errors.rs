//! The tenant's record of refused or failed provisioning requests, per provider,
//! beside each provider's last success: the data behind the provisioning-error
//! report and the "only when there were errors" digest. Paged and filtered like
//! the logs (see `log_queries`).

use roster_core::ProviderId;
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use super::log_queries::{push_after, push_order, push_time_range};
use super::{Inner, TenantTx};
use crate::{LogCursor, StoreError};

/// A refused or failed provisioning request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProvisioningError {
    /// The provider that sent it.
    pub provider_id: ProviderId,
    /// The request, e.g. `POST /Users`.
    pub operation: String,
    /// The HTTP status answered.
    pub status: i32,
    /// The SCIM error type answered, if any.
    pub scim_type: Option<String>,
    /// The userName concerned, if known.
    pub user_name: Option<String>,
    /// The externalId concerned, if known.
    pub external_id: Option<String>,
    /// The detail answered.
    pub detail: String,
}

/// One stored provisioning error.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProvisioningErrorRecord {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: OffsetDateTime,
    /// The provider.
    pub provider_id: Uuid,
    /// The request, e.g. `POST /Users`.
    pub operation: String,
    /// The HTTP status answered.
    pub status: i32,
    /// The SCIM error type answered.
    pub scim_type: Option<String>,
    /// The userName concerned.
    pub user_name: Option<String>,
    /// The externalId concerned.
    pub external_id: Option<String>,
    /// The detail answered.
    pub detail: String,
}

/// Which provisioning errors to read (newest first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvisioningErrorQuery {
    /// Of this provider.
    pub provider: Option<ProviderId>,
    /// At or after this time.
    pub from: Option<OffsetDateTime>,
    /// Before this time.
    pub to: Option<OffsetDateTime>,
}

/// A provider's provisioning health: its last success and its errors in a time range.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProviderSyncSummary {
    /// The provider.
    pub provider_id: Uuid,
    /// Its username.
    pub username: String,
    /// The last time one of its writes succeeded.
    pub last_success_at: Option<OffsetDateTime>,
    /// Errors in the range.
    pub errors: i64,
    /// The latest error in the range.
    pub last_error_at: Option<OffsetDateTime>,
}

const ERROR_COLUMNS: &str =
    "id, at, provider_id, operation, status, scim_type, user_name, external_id, detail";

impl TenantTx {
    /// Records a refused or failed provisioning request, stamped with the tenant's time.
    pub async fn record_provisioning_error(
        &mut self,
        error: &NewProvisioningError,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO provisioning_errors ({ERROR_COLUMNS}) \
             VALUES ($1, {now}, $2, $3, $4, $5, $6, $7, $8)",
            now = self.dialect().tenant_now()
        );
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(Uuid::now_v7())
                .bind(error.provider_id.as_uuid())
                .bind(&error.operation)
                .bind(error.status)
                .bind(&error.scim_type)
                .bind(&error.user_name)
                .bind(&error.external_id)
                .bind(&error.detail)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Returns up to `limit` provisioning errors matching `q`, newest first, after `after`.
    pub async fn provisioning_errors_page(
        &mut self,
        q: &ProvisioningErrorQuery,
        after: Option<&LogCursor>,
        limit: i64,
    ) -> Result<Vec<ProvisioningErrorRecord>, StoreError> {
        let dialect = self.dialect();
        let rows = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {ERROR_COLUMNS} FROM provisioning_errors WHERE 1 = 1"
            ));
            if let Some(provider) = q.provider {
                qb.push(" AND provider_id = ").push_bind(provider.as_uuid());
            }
            push_time_range(&mut qb, dialect, "at", q.from, q.to);
            push_after(&mut qb, dialect, "", None, after, true);
            push_order(&mut qb, "", None, true, limit);
            qb.build_query_as::<ProvisioningErrorRecord>().fetch_all(&mut **tx).await
        })?;
        Ok(rows)
    }

    /// Returns, per provider the tenant knows, its last success and its errors matching `q`.
    pub async fn provider_sync_summaries(
        &mut self,
        q: &ProvisioningErrorQuery,
    ) -> Result<Vec<ProviderSyncSummary>, StoreError> {
        let dialect = self.dialect();
        let rows = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(
                "SELECT p.provider_id, p.username, p.last_success_at, count(e.id) AS errors, \
                 max(e.at) AS last_error_at FROM provider_settings p \
                 LEFT JOIN provisioning_errors e ON e.provider_id = p.provider_id",
            );
            // The range narrows the joined errors (part of ON), not the providers listed.
            push_time_range(&mut qb, dialect, "e.at", q.from, q.to);
            qb.push(" WHERE 1 = 1");
            if let Some(provider) = q.provider {
                qb.push(" AND p.provider_id = ").push_bind(provider.as_uuid());
            }
            qb.push(" GROUP BY p.provider_id, p.username, p.last_success_at ORDER BY p.username");
            qb.build_query_as::<ProviderSyncSummary>().fetch_all(&mut **tx).await
        })?;
        Ok(rows)
    }
}
