//! `explain`: for one user, which rule or group decided its organization and
//! each of its roles, what the provider's mapping would decide now, and what the
//! allowlist keeps out. Reads only.

use std::collections::{BTreeMap, BTreeSet};

use roster_core::{GroupId, OrganizationId, ProviderId, RoleId, TenantId, UserId, user_name_key};
use roster_store::{GrantedBy, OrgMethod, OrganizationSettings, RoleMethod};

use super::place::{desired_roles, load_config, org_name};
use super::resolve::{OrgTarget, choose_org};
use crate::members::{resolve_user, user_access};
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
        let user = resolve_user(&mut tx, user, false).await?;
        let access = user_access(&mut tx, &user).await?;
        let groups: Vec<(GroupId, String)> = tx
            .groups_of_users(&[user.id])
            .await?
            .into_iter()
            .map(|(_, g, name)| (g, name))
            .collect();
        let mut role_names: BTreeMap<RoleId, String> = access
            .roles
            .iter()
            .map(|grant| (grant.role.id, grant.role.name.clone()))
            .collect();
        let provisioned =
            !user.is_local() && tx.provider_settings(user.provider_id).await?.is_some();
        let mut explanation = Explanation {
            user: (user.id, access.user_name),
            provider: (!user.is_local()).then_some(user.provider_id),
            methods: None,
            organization: (access.organization.id, access.organization.name),
            organization_set_by: access.placed_by,
            organization_reason: access.placement_reason,
            mapped_organization: None,
            unmatched: false,
            groups: groups.clone(),
            roles: Vec::new(),
            settings: access.effective_settings,
        };
        let mut desired = BTreeMap::new();
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
                None => explanation.organization.0,
            };
            explanation.mapped_organization = mapped.map(|(id, name)| (id, name, choice.reason));
            desired = desired_roles(&mut tx, &config, &groups, roles_org).await?;
            role_names.extend(config.role_names);
            allowlist = config.allowlist;
        }
        let mut role_ids: BTreeSet<RoleId> = role_names.keys().copied().collect();
        role_ids.retain(|role| {
            desired.contains_key(role) || access.roles.iter().any(|g| g.role.id == *role)
        });
        for role in role_ids {
            let grant = access.roles.iter().find(|g| g.role.id == role);
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
