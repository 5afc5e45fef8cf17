//! The lock that serialises changes to a tenant's organization tree, so two concurrent moves
//! cannot each pass the service's cycle check and together make a cycle.

use roster_core::OrganizationId;

use super::{Inner, TenantTx};
use crate::StoreError;

impl TenantTx {
    /// Locks the tenant's organization tree until the transaction ends: on PostgreSQL the
    /// top-level organization's row; on SQLite the transaction already holds the write lock.
    pub async fn lock_organization_tree(&mut self) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT id FROM organizations WHERE id = $1{}",
            self.dialect().for_update()
        );
        let found: Option<uuid::Uuid> = on_tenant!(self, tx => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(OrganizationId::TOP_LEVEL.as_uuid())
                .fetch_optional(&mut **tx)
                .await
        })?;
        match found {
            Some(_) => Ok(()),
            None => Err(StoreError::internal(
                "the top-level organization is missing",
            )),
        }
    }
}
