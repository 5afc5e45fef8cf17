//! The tenant's roles catalogue: the builtin roles tenant migration 0003 seeds
//! and the tenant's custom roles, unique by case-folded name.

use roster_core::RoleId;
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// A role of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRecord {
    /// Id.
    pub id: RoleId,
    /// Name.
    pub name: String,
    /// Seeded with the tenant (the roles the product documents name); cannot be removed.
    pub builtin: bool,
    /// What it is for.
    pub description: String,
}

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: Uuid,
    name: String,
    builtin: bool,
    description: String,
}

impl From<RoleRow> for RoleRecord {
    fn from(row: RoleRow) -> Self {
        Self {
            id: RoleId::from_uuid(row.id),
            name: row.name,
            builtin: row.builtin,
            description: row.description,
        }
    }
}

impl TenantTx {
    /// Returns the roles catalogue, builtin roles first, then by name.
    pub async fn roles(&mut self) -> Result<Vec<RoleRecord>, StoreError> {
        let rows: Vec<RoleRow> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT id, name, builtin, description FROM roles \
                 ORDER BY builtin DESC, name_key",
            )
            .fetch_all(&mut **tx)
            .await
        })?;
        Ok(rows.into_iter().map(RoleRecord::from).collect())
    }

    /// Returns the role whose case-folded name is `name_key`.
    pub async fn role_by_name_key(
        &mut self,
        name_key: &str,
    ) -> Result<Option<RoleRecord>, StoreError> {
        let row: Option<RoleRow> = on_tenant!(self, tx => {
            sqlx::query_as("SELECT id, name, builtin, description FROM roles WHERE name_key = $1")
                .bind(name_key)
                .fetch_optional(&mut **tx)
                .await
        })?;
        Ok(row.map(RoleRecord::from))
    }

    /// Adds a custom role; `Conflict` when its name key is taken.
    pub async fn insert_role(
        &mut self,
        id: RoleId,
        name: &str,
        name_key: &str,
        description: &str,
    ) -> Result<RoleRecord, StoreError> {
        on_tenant!(self, tx => {
            sqlx::query(
                "INSERT INTO roles (id, name, name_key, builtin, description) \
                 VALUES ($1, $2, $3, FALSE, $4)",
            )
            .bind(id.as_uuid())
            .bind(name)
            .bind(name_key)
            .bind(description)
            .execute(&mut **tx)
            .await
            .map(|_| ())
        })?;
        Ok(RoleRecord {
            id,
            name: name.to_owned(),
            builtin: false,
            description: description.to_owned(),
        })
    }
}
