//! What admins do to one user's access: move it to an organization, grant and revoke its
//! roles, and read where it is, which settings apply to it and which roles it holds, with who
//! decided each. Users are named by id or userName.

use roster_core::{TenantId, UserId, user_name_key};
use roster_store::{
    GrantedBy, OrganizationSettings, Placement, RoleRecord, TenantTx, UserRecord, UserRole,
};
use serde_json::json;

use crate::audit_trail::{Target, record};
use crate::orgs::{OrganizationLabel, resolve_organization};
use crate::roles::resolve_role;
use crate::{Organizations, OrganizationsError};

/// A role a user holds, with who granted it and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    /// The role.
    pub role: RoleRecord,
    /// Who granted it.
    pub granted_by: GrantedBy,
    /// Why.
    pub reason: Option<String>,
}

/// A user's organization, effective settings and roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAccess {
    /// The user's id.
    pub user_id: UserId,
    /// The user's userName.
    pub user_name: String,
    /// The organization the user is in.
    pub organization: OrganizationLabel,
    /// Who put the user there.
    pub placed_by: GrantedBy,
    /// What decided it.
    pub placement_reason: Option<String>,
    /// The settings in effect: the user's own where set, else its organization's effective ones.
    pub effective_settings: OrganizationSettings,
    /// The organization whose settings fill what the user's own do not set.
    pub settings_from: OrganizationLabel,
    /// The user's own settings, given by a mapping rule.
    pub user_settings: OrganizationSettings,
    /// The roles the user holds, by name.
    pub roles: Vec<RoleGrant>,
}

/// Finds a user by id or, failing that, by userName (the live holder of the name). `for_update`
/// locks its row until the transaction ends.
pub async fn resolve_user(
    tx: &mut TenantTx,
    reference: &str,
    for_update: bool,
) -> Result<UserRecord, OrganizationsError> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(OrganizationsError::invalid(
            "user",
            "name a user by id or userName",
        ));
    }
    let by_id = match UserId::parse(reference) {
        Ok(id) => tx.user_for_admin(id, for_update).await?,
        Err(_) => None,
    };
    let found = match by_id {
        Some(user) => Some(user),
        None => {
            tx.user_holding_name(&user_name_key(reference), for_update)
                .await?
        }
    };
    found.ok_or_else(|| OrganizationsError::not_found("user", reference))
}

/// Returns a user's userName as stored.
pub(crate) fn user_name_of(user: &UserRecord) -> String {
    user.resource
        .get("userName")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn user_target<'a>(user: &UserRecord, name: &'a str) -> Target<'a> {
    Target {
        kind: "user",
        id: user.id.to_string(),
        name,
    }
}

/// Returns `own` where set, else `inherited`.
fn overlay(own: &OrganizationSettings, inherited: &OrganizationSettings) -> OrganizationSettings {
    OrganizationSettings {
        profile: own.profile.clone().or_else(|| inherited.profile.clone()),
        storage_region: own
            .storage_region
            .clone()
            .or_else(|| inherited.storage_region.clone()),
        quota_bytes: own.quota_bytes.or(inherited.quota_bytes),
    }
}

/// Reads a user's access inside `tx`.
pub async fn user_access(
    tx: &mut TenantTx,
    user: &UserRecord,
) -> Result<UserAccess, OrganizationsError> {
    let placement = tx
        .user_placement(user.id)
        .await?
        .ok_or_else(|| OrganizationsError::not_found("user", user.id))?;
    let organization = tx
        .organization(placement.org_id)
        .await?
        .ok_or_else(|| OrganizationsError::not_found("organization", placement.org_id))?;
    let effective = tx.effective_settings(organization.id).await?;
    let settings_from = tx
        .organization(effective.from)
        .await?
        .ok_or_else(|| OrganizationsError::not_found("organization", effective.from))?;
    let user_settings = OrganizationSettings {
        profile: placement.profile.clone(),
        storage_region: placement.storage_region.clone(),
        quota_bytes: placement.quota_bytes,
    };
    let catalogue = tx.roles().await?;
    let mut roles: Vec<RoleGrant> = tx
        .user_roles(user.id)
        .await?
        .into_iter()
        .filter_map(|held| {
            let role = catalogue.iter().find(|r| r.id == held.role_id)?.clone();
            Some(RoleGrant {
                role,
                granted_by: held.granted_by,
                reason: held.reason,
            })
        })
        .collect();
    roles.sort_by_cached_key(|grant| user_name_key(&grant.role.name));
    Ok(UserAccess {
        user_id: user.id,
        user_name: user_name_of(user),
        organization: OrganizationLabel::from(&organization),
        placed_by: placement.set_by,
        placement_reason: placement.reason,
        effective_settings: overlay(&user_settings, &effective.settings),
        settings_from: OrganizationLabel::from(&settings_from),
        user_settings,
        roles,
    })
}

impl Organizations {
    /// Returns a user's organization, effective settings and roles.
    pub async fn user_access(
        &self,
        tenant: TenantId,
        user: &str,
    ) -> Result<UserAccess, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        let user = resolve_user(&mut tx, user, false).await?;
        user_access(&mut tx, &user).await
    }

    /// Moves a user to an organization as an admin. The placement becomes the admin's, and the
    /// settings a mapping rule gave the user are dropped: they belonged to the rule's placement,
    /// so the user now takes its new organization's settings.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn move_user(
        &self,
        tenant: TenantId,
        user: &str,
        organization: &str,
        actor: &str,
    ) -> Result<UserAccess, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        let user = resolve_user(&mut tx, user, true).await?;
        let org = resolve_organization(&mut tx, "organization", organization).await?;
        let before = tx
            .user_placement(user.id)
            .await?
            .ok_or_else(|| OrganizationsError::not_found("user", user.id))?;
        let placement = Placement {
            org_id: org.id,
            set_by: GrantedBy::Admin,
            reason: Some(format!("moved by {actor}")),
            profile: None,
            storage_region: None,
            quota_bytes: None,
        };
        if !tx.set_user_placement(user.id, &placement).await? {
            return Err(OrganizationsError::not_found("user", user.id));
        }
        let name = user_name_of(&user);
        record(
            &mut tx,
            actor,
            "user moved",
            user_target(&user, &name),
            json!({
                "old_org_id": before.org_id.to_string(),
                "new_org_id": org.id.to_string(),
                "new_org": org.name,
            }),
        )
        .await?;
        let access = user_access(&mut tx, &user).await?;
        tx.commit().await?;
        Ok(access)
    }

    /// Grants a user a role as an admin (a role it holds is then recorded as the admin's).
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn grant_user_role(
        &self,
        tenant: TenantId,
        user: &str,
        role: &str,
        actor: &str,
    ) -> Result<UserAccess, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        let user = resolve_user(&mut tx, user, true).await?;
        let role = resolve_role(&mut tx, "role", role).await?;
        tx.grant_user_role(
            user.id,
            &UserRole {
                role_id: role.id,
                granted_by: GrantedBy::Admin,
                reason: Some(format!("granted by {actor}")),
            },
        )
        .await?;
        let name = user_name_of(&user);
        record(
            &mut tx,
            actor,
            "user role granted",
            user_target(&user, &name),
            json!({"role_id": role.id.to_string(), "role": role.name}),
        )
        .await?;
        let access = user_access(&mut tx, &user).await?;
        tx.commit().await?;
        Ok(access)
    }

    /// Revokes a role from a user; not found when the user does not hold it.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn revoke_user_role(
        &self,
        tenant: TenantId,
        user: &str,
        role: &str,
        actor: &str,
    ) -> Result<UserAccess, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        let user = resolve_user(&mut tx, user, true).await?;
        let role = resolve_role(&mut tx, "role", role).await?;
        let name = user_name_of(&user);
        if !tx.revoke_user_role(user.id, role.id).await? {
            return Err(OrganizationsError::NotFound {
                kind: "role grant",
                id: format!("{:?} for user {name:?}", role.name),
            });
        }
        record(
            &mut tx,
            actor,
            "user role revoked",
            user_target(&user, &name),
            json!({"role_id": role.id.to_string(), "role": role.name}),
        )
        .await?;
        let access = user_access(&mut tx, &user).await?;
        tx.commit().await?;
        Ok(access)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_own_settings_override_its_organizations() {
        let own = OrganizationSettings {
            profile: Some("Executives".to_owned()),
            storage_region: None,
            quota_bytes: Some(0),
        };
        let org = OrganizationSettings {
            profile: Some("Default".to_owned()),
            storage_region: Some("eu-west".to_owned()),
            quota_bytes: Some(10),
        };
        assert_eq!(
            overlay(&own, &org),
            OrganizationSettings {
                profile: Some("Executives".to_owned()),
                storage_region: Some("eu-west".to_owned()),
                quota_bytes: Some(0),
            }
        );
    }
}
