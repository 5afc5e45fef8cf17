//! A tenant's roles catalogue: the builtin roles seeded with every tenant (the roles the
//! reference documents name) and the tenant's custom roles. Builtin roles cannot be recreated
//! or renamed; custom role names are unique regardless of case.

use roster_core::{RoleId, TenantId, user_name_key};
use roster_store::{RoleRecord, StoreError, TenantTx};
use serde_json::json;

use crate::audit_trail::{Target, record};
use crate::naming::{Name, role_description};
use crate::{Organizations, OrganizationsError};

/// Finds a role by id (the canonical UUID form) or, failing that, by name regardless of case.
/// `field` names the request field in errors.
pub async fn resolve_role(
    tx: &mut TenantTx,
    field: &'static str,
    reference: &str,
) -> Result<RoleRecord, OrganizationsError> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(OrganizationsError::invalid(
            field,
            "name a role by id or name",
        ));
    }
    if let Ok(id) = RoleId::parse(reference)
        && let Some(role) = tx.roles().await?.into_iter().find(|role| role.id == id)
    {
        return Ok(role);
    }
    tx.role_by_name_key(&user_name_key(reference))
        .await?
        .ok_or_else(|| OrganizationsError::not_found("role", reference))
}

fn role_taken(name: &Name, holder: Option<&RoleRecord>) -> OrganizationsError {
    match holder {
        Some(role) if role.builtin => OrganizationsError::Conflict(format!(
            "{:?} is a builtin role; builtin roles cannot be recreated",
            role.name
        )),
        _ => OrganizationsError::Conflict(format!(
            "a role named {:?} already exists in this tenant (names ignore case); choose \
             another name",
            name.as_str()
        )),
    }
}

impl Organizations {
    /// Returns the roles catalogue: builtin roles first, then custom roles, each by name.
    pub async fn list_roles(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<RoleRecord>, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        Ok(tx.roles().await?)
    }

    /// Adds a custom role.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn create_role(
        &self,
        tenant: TenantId,
        name: &str,
        description: &str,
        actor: &str,
    ) -> Result<RoleRecord, OrganizationsError> {
        let name = Name::role("name", name)?;
        let description = role_description(description)?;
        let mut tx = self.store.begin(&tenant).await?;
        if let Some(holder) = tx.role_by_name_key(name.key()).await? {
            return Err(role_taken(&name, Some(&holder)));
        }
        let role = tx
            .insert_role(RoleId::generate(), name.as_str(), name.key(), &description)
            .await
            .map_err(|err| match err {
                StoreError::Conflict { .. } => role_taken(&name, None),
                other => other.into(),
            })?;
        record(
            &mut tx,
            actor,
            "role created",
            Target {
                kind: "role",
                id: role.id.to_string(),
                name: &role.name,
            },
            json!({"description": role.description}),
        )
        .await?;
        tx.commit().await?;
        Ok(role)
    }
}
