//! `explain`: for one user, which rule or group decided its organization and
//! each of its roles, what the provider's mapping would decide now, and what the
//! allowlist keeps out. Reads only.

use std::collections::BTreeSet;

use roster_core::{GroupId, OrganizationId, ProviderId, RoleId, TenantId, UserId, user_name_key};
use roster_store::{GrantedBy, OrgMethod, OrganizationSettings, RoleMethod};

use super::place::{desired_roles, load_config, org_name};
use super::refs;
use super::resolve::{OrgTarget, choose_org};
use crate::{Organizations, OrganizationsError};

/// Why a user holds (or would hold) one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleReason {
    /// The role and its name.
    pub role: (RoleId, String),
    /// Who granted it, when held.
    pub granted_by: Option<GrantedBy>,
    /// Why it was granted, as recorded.
    pub reason: Option<String>,
    /// Why the mapping gives it, when it does.
    pub mapped_reason: Option<String>,
    /// The mapping gives it but the allowlist keeps provisioning from granting it.
    pub blocked_by_allowlist: bool,
}

/// Why a user is where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The user and its userName.
    pub user: (UserId, String),
    /// Its provider; `None` for a local user.
    pub provider: Option<ProviderId>,
    /// The provider's methods.
    pub methods: Option<(OrgMethod, RoleMethod)>,
    /// Its organization now, and its name.
    pub organization: (OrganizationId, String),
    /// Who put it there.
    pub organization_set_by: GrantedBy,
    /// What decided it, as recorded.
    pub organization_reason: Option<String>,
    /// Where the provider's mapping places it now (no id: to be created) and why.
    pub mapped_organization: Option<(Option<OrganizationId>, String, String)>,
    /// No attribute-filter rule matches it.
    pub unmatched: bool,
    /// Its groups.
    pub groups: Vec<(GroupId, String)>,
    /// Every role it holds or the mapping gives it, by role id.
    pub roles: Vec<RoleReason>,
    /// The profile, storage region and quota that apply.
    pub settings: OrganizationSettings,
}

impl Organizations {
    /// Explains one user (named by id or userName).
    pub async fn explain(
        &self,
        tenant: TenantId,
        user: &str,
    ) -> Result<Explanation, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        let user = refs::user(&mut tx, user).await?;
        let user_name = user
            .resource
            .get("userName")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let placement = tx
            .user_placement(user.id)
            .await?
            .ok_or_else(|| OrganizationsError::not_found("user", user.id))?;
        let groups: Vec<(GroupId, String)> = tx
            .groups_of_users(&[user.id])
            .await?
            .into_iter()
            .map(|(_, g, name)| (g, name))
            .collect();
        let organization = (placement.org_id, org_name(&mut tx, placement.org_id).await?);
        let effective = tx.effective_settings(placement.org_id).await?;
        let settings = OrganizationSettings {
            profile: placement.profile.clone().or(effective.settings.profile),
            storage_region: placement
                .storage_region
                .clone()
                .or(effective.settings.storage_region),
            quota_bytes: placement.quota_bytes.or(effective.settings.quota_bytes),
        };
        let held = tx.user_roles(user.id).await?;
        let role_names: std::collections::BTreeMap<RoleId, String> = tx
            .roles()
            .await?
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect();
        let provisioned =
            !user.is_local() && tx.provider_settings(user.provider_id).await?.is_some();
        let mut explanation = Explanation {
            user: (user.id, user_name),
            provider: (!user.is_local()).then_some(user.provider_id),
            methods: None,
            organization,
            organization_set_by: placement.set_by,
            organization_reason: placement.reason.clone(),
            mapped_organization: None,
            unmatched: false,
            groups: groups.clone(),
            roles: Vec::new(),
            settings,
        };
        let mut desired = std::collections::BTreeMap::new();
        let mut allowlist = BTreeSet::new();
        if provisioned {
            let config = load_config(&mut tx, user.provider_id).await?;
            explanation.methods = Some((config.methods.org_method, config.methods.role_method));
            let choice = choose_org(&config, &user.resource, &groups);
            let mapped = match &choice.target {
                OrgTarget::Unmatched => {
                    explanation.unmatched = true;
                    None
                }
                OrgTarget::Id(id) => Some((Some(*id), org_name(&mut tx, *id).await?)),
                OrgTarget::Named(name) => {
                    match tx.organization_by_name_key(&user_name_key(name)).await? {
                        Some(org) => Some((Some(org.id), org.name)),
                        None => Some((None, name.clone())),
                    }
                }
            };
            let roles_org = match &mapped {
                Some((Some(id), _)) => *id,
                Some((None, _)) => config.methods.org_parent_id,
                None => placement.org_id,
            };
            explanation.mapped_organization = mapped.map(|(id, name)| (id, name, choice.reason));
            desired = desired_roles(&mut tx, &config, &groups, roles_org).await?;
            allowlist = config.allowlist;
        }
        let mut role_ids: BTreeSet<RoleId> = held.iter().map(|r| r.role_id).collect();
        role_ids.extend(desired.keys().copied());
        for role in role_ids {
            let grant = held.iter().find(|r| r.role_id == role);
            let mapped_reason = desired.get(&role).cloned();
            explanation.roles.push(RoleReason {
                role: (
                    role,
                    role_names
                        .get(&role)
                        .cloned()
                        .unwrap_or_else(|| role.to_string()),
                ),
                granted_by: grant.map(|g| g.granted_by),
                reason: grant.and_then(|g| g.reason.clone()),
                blocked_by_allowlist: mapped_reason.is_some() && !allowlist.contains(&role),
                mapped_reason,
            });
        }
        tx.commit().await?;
        Ok(explanation)
    }
}
