//! Control-plane writes for `roster import`: a tenant and its providers
//! inserted exactly as exported (ids, timestamps, credential digests), and
//! the clean-up of an import that did not finish.

use roster_core::{Slug, TenantId};
use time::OffsetDateTime;

use super::{TENANT_COLUMNS, TenantRow};
use crate::records::{ProviderRecord, TenantRecord, TenantState};
use crate::{Backend, Store, StoreError};

impl Store {
    /// Returns the tenant with this id, if any.
    pub async fn tenant_by_id(&self, id: TenantId) -> Result<Option<TenantRecord>, StoreError> {
        let sql = format!("{TENANT_COLUMNS} WHERE t.id = $1");
        let row = on_control!(self, conn => {
            sqlx::query_as::<_, TenantRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .fetch_optional(&mut *conn)
                .await
        })?;
        self.with_hosts(row).await
    }

    /// Inserts a tenant in state `provisioning` with a given id, creation time
    /// and host names. Conflict when the id, slug or a host name is taken.
    pub async fn insert_imported_tenant(
        &self,
        id: TenantId,
        slug: &Slug,
        hosts: &[String],
        created_at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (open, close) = self.dialect().timestamp_param();
        let sql = format!(
            "INSERT INTO control.tenants (id, slug, state, created_at) \
             VALUES ($1, $2, 'provisioning', {open}$3{close})"
        );
        in_control_tx!(self, tx => async {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(slug.as_str())
                .bind(created_at)
                .execute(&mut *tx)
                .await?;
            for host in hosts {
                sqlx::query("INSERT INTO control.tenant_hosts (host, tenant_id) VALUES ($1, $2)")
                    .bind(host)
                    .bind(id.as_uuid())
                    .execute(&mut *tx)
                    .await?;
            }
            Ok::<_, sqlx::Error>(())
        }
        .await);
        Ok(())
    }

    /// Deletes a tenant that is still `provisioning`, with its host names and
    /// providers; returns false when there is none in that state.
    pub async fn delete_provisioning_tenant(&self, id: TenantId) -> Result<bool, StoreError> {
        let deleted = in_control_tx!(self, tx => async {
            // SQLite enforces ON DELETE CASCADE too (foreign_keys is on), but
            // deleting the children explicitly does not depend on it.
            sqlx::query(
                "DELETE FROM control.providers WHERE tenant_id = $1 AND tenant_id IN \
                 (SELECT id FROM control.tenants WHERE id = $1 AND state = 'provisioning')",
            )
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM control.tenant_hosts WHERE tenant_id = $1 AND tenant_id IN \
                 (SELECT id FROM control.tenants WHERE id = $1 AND state = 'provisioning')",
            )
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM control.tenants WHERE id = $1 AND state = 'provisioning'")
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await
                .map(|done| done.rows_affected())
        }
        .await);
        Ok(deleted > 0)
    }

    /// Ends an import in one control transaction: inserts the providers exactly
    /// as given (ids, digests, timestamps) and moves the tenant from
    /// `provisioning` to `state`. Nothing changes when any part fails: Conflict
    /// when a provider id, username or digest is taken, NotFound when the
    /// tenant is not `provisioning`.
    pub async fn finish_import(
        &self,
        id: TenantId,
        providers: &[ProviderRecord],
        state: TenantState,
    ) -> Result<(), StoreError> {
        let (open, close) = self.dialect().timestamp_param();
        let insert = format!(
            "INSERT INTO control.providers (id, tenant_id, name, credential_kind, username, \
             secret_digest, enabled, expires_at, credential_issued_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, {open}$8{close}, {open}$9{close}, {open}$10{close})"
        );
        let changed = in_control_tx!(self, tx => async {
            for p in providers {
                sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                    .bind(p.id.as_uuid())
                    .bind(id.as_uuid())
                    .bind(&p.name)
                    .bind(p.credential_kind.as_str())
                    .bind(&p.username)
                    .bind(&p.secret_digest)
                    .bind(p.enabled)
                    .bind(p.expires_at)
                    .bind(p.credential_issued_at)
                    .bind(p.created_at)
                    .execute(&mut *tx)
                    .await?;
            }
            let changed = sqlx::query(
                "UPDATE control.tenants SET state = $2 WHERE id = $1 AND state = 'provisioning'",
            )
            .bind(id.as_uuid())
            .bind(state.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                // Returning an error skips the commit: the providers are rolled back.
                return Err(sqlx::Error::RowNotFound);
            }
            Ok::<_, sqlx::Error>(changed)
        }
        .await);
        debug_assert_eq!(changed, 1);
        Ok(())
    }
}
