//! The audit outbox: audit entries about control-plane changes (providers and
//! their credentials), written in the control transaction of the change and
//! delivered to the tenant's own audit log afterwards. No transaction spans the
//! control schema and a tenant's (DESIGN: stay Citus-ready), so delivery is a
//! second step: append to the tenant (idempotent on the entry id), then remove
//! from the outbox. A crash between the two delivers the entry again, which
//! changes nothing.

use roster_core::TenantId;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{AuditEntry, Backend, Store, StoreError};

/// Adds one entry to the outbox: `$1` id, `$2` tenant, `$3` the entry as JSON.
pub(super) const OUTBOX_INSERT: &str =
    "INSERT INTO control.audit_outbox (id, tenant_id, entry) VALUES ($1, $2, $3)";

/// Most entries delivered per round.
const DELIVERY_BATCH: i64 = 500;

impl Store {
    /// Returns the tenants whose audit outbox holds undelivered entries.
    pub async fn tenants_with_audit_outbox(&self) -> Result<Vec<TenantId>, StoreError> {
        let ids: Vec<Uuid> = on_control!(self, conn => {
            sqlx::query_scalar("SELECT DISTINCT tenant_id FROM control.audit_outbox")
                .fetch_all(&mut *conn)
                .await
        })?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    /// Moves a tenant's outbox entries into its audit log; returns how many moved.
    pub async fn deliver_audit_outbox(&self, tenant: &TenantId) -> Result<usize, StoreError> {
        let mut delivered = 0;
        loop {
            let rows: Vec<(Uuid, sqlx::types::Json<AuditEntry>, OffsetDateTime)> = on_control!(self, conn => {
                sqlx::query_as(
                    "SELECT id, entry, created_at FROM control.audit_outbox WHERE tenant_id = $1 \
                     ORDER BY created_at, id LIMIT $2",
                )
                .bind(tenant.as_uuid())
                .bind(DELIVERY_BATCH)
                .fetch_all(&mut *conn)
                .await
            })?;
            if rows.is_empty() {
                return Ok(delivered);
            }
            let mut tx = self.begin(tenant).await?;
            for (_, entry, at) in &rows {
                // Stamped with the change's time, however late the delivery.
                tx.append_audit_at(&entry.0, Some(*at)).await?;
            }
            tx.commit().await?;
            for (id, _, _) in &rows {
                on_control!(self, conn => {
                    sqlx::query("DELETE FROM control.audit_outbox WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await
                        .map(|_| ())
                })?;
            }
            delivered += rows.len();
        }
    }
}
