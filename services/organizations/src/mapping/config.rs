//! The mapping editors: an admin sets a provider's methods, maps groups to
//! organizations (priority ordered) and to roles, sets the role allowlist, and
//! adds, edits, removes and reorders attribute-filter rules. Each edit is one
//! tenant transaction with its audit entry; a refused edit changes nothing.
//! Edits do not move anyone: the next provisioning change of a user, or Apply
//! Org and Role Settings, does.

use std::collections::BTreeMap;

use roster_core::{GroupId, OrganizationId, ProviderId, RoleId, TenantId};
use roster_store::{ActorKind, AuditEntry, MappingMethods, OrgMethod, RoleMethod, TenantTx};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::place::load_config;
use super::refs;
use super::resolve::MappingConfig;
use crate::{Organizations, OrganizationsError};

/// A provider's mapping configuration with the names of what it refers to.
#[derive(Debug, Clone)]
pub struct MappingView {
    /// The provider.
    pub provider: ProviderId,
    /// The configuration.
    pub config: MappingConfig,
    /// The name of every organization of the tenant.
    pub org_names: BTreeMap<OrganizationId, String>,
}

/// A move in a priority order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reorder {
    /// One place up.
    Up,
    /// One place down.
    Down,
    /// To the top.
    Top,
    /// To the bottom.
    Bottom,
}

/// Moves the element `at` of `items` as `how` says.
pub fn reorder<T>(items: &mut Vec<T>, at: usize, how: Reorder) {
    if at >= items.len() {
        return;
    }
    match how {
        Reorder::Up if at > 0 => items.swap(at, at - 1),
        Reorder::Down if at + 1 < items.len() => items.swap(at, at + 1),
        Reorder::Top => {
            let item = items.remove(at);
            items.insert(0, item);
        }
        Reorder::Bottom => {
            let item = items.remove(at);
            items.push(item);
        }
        _ => {}
    }
}

impl Organizations {
    /// Opens the tenant transaction of a mapping request for `provider`, creating its
    /// settings row (with the defaults) on first use. NotFound for an unknown provider. The
    /// control lookup happens before the tenant transaction opens (a pool of one connection
    /// would otherwise wait for itself).
    pub(crate) async fn begin_for_provider(
        &self,
        tenant: TenantId,
        provider: ProviderId,
    ) -> Result<TenantTx, OrganizationsError> {
        let record = self
            .store
            .provider(tenant, provider)
            .await?
            .ok_or_else(|| OrganizationsError::not_found("provider", provider))?;
        let mut tx = self.store.begin(&tenant).await?;
        tx.ensure_provider_settings(provider, &record.username)
            .await?;
        tx.lock_provider_settings(provider).await?;
        Ok(tx)
    }

    pub(crate) async fn view(
        tx: &mut TenantTx,
        provider: ProviderId,
    ) -> Result<MappingView, OrganizationsError> {
        let config = load_config(tx, provider).await?;
        let org_names = tx
            .organizations()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        Ok(MappingView {
            provider,
            config,
            org_names,
        })
    }

    /// Writes the audit entry of a mapping change, then commits and returns the new view.
    pub(crate) async fn finish_edit(
        mut tx: TenantTx,
        provider: ProviderId,
        actor: &str,
        change: &str,
        details: Json,
    ) -> Result<MappingView, OrganizationsError> {
        let mut details = details;
        details["change"] = Json::String(change.to_owned());
        tx.append_audit(&AuditEntry {
            id: Uuid::now_v7(),
            actor_kind: ActorKind::Operator,
            actor: actor.to_owned(),
            event: "mapping changed".to_owned(),
            target_kind: Some("provider".to_owned()),
            target_id: Some(provider.to_string()),
            target_name: None,
            details,
        })
        .await?;
        let view = Self::view(&mut tx, provider).await?;
        tx.commit().await?;
        tracing::info!(provider = %provider, change, "mapping changed");
        Ok(view)
    }

    /// Returns a provider's mapping configuration.
    pub async fn mapping(
        &self,
        tenant: TenantId,
        provider: ProviderId,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let view = Self::view(&mut tx, provider).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Sets the organization-mapping method with its target and parent organizations.
    pub async fn set_org_method(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        method: OrgMethod,
        target: &str,
        parent: &str,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let mut methods = tx.mapping_methods(provider).await?;
        methods.org_method = method;
        methods.org_target_id =
            refs::organization_or_top(&mut tx, "target_organization", target).await?;
        methods.org_parent_id =
            refs::organization_or_top(&mut tx, "parent_organization", parent).await?;
        tx.set_mapping_methods(provider, &methods).await?;
        let details = json!({"orgMethod": method.as_str(), "targetOrganization": methods.org_target_id.to_string(), "parentOrganization": methods.org_parent_id.to_string()});
        Self::finish_edit(tx, provider, actor, "organization method", details).await
    }

    /// Sets the role-mapping method.
    pub async fn set_role_method(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        method: RoleMethod,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let methods = MappingMethods {
            role_method: method,
            ..tx.mapping_methods(provider).await?
        };
        tx.set_mapping_methods(provider, &methods).await?;
        let details = json!({"roleMethod": method.as_str()});
        Self::finish_edit(tx, provider, actor, "role method", details).await
    }

    /// Maps groups to an organization, at the bottom of the priority order.
    pub async fn add_group_org_mapping(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        groups: &[String],
        organization: &str,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        if groups.is_empty() {
            return Err(OrganizationsError::invalid(
                "groups",
                "name at least one group",
            ));
        }
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let org = crate::orgs::resolve_organization(&mut tx, "organization", organization).await?;
        let mut order: Vec<(GroupId, OrganizationId)> = tx
            .group_org_mappings(provider)
            .await?
            .into_iter()
            .map(|m| (m.group_id, m.org_id))
            .collect();
        let mut added = Vec::new();
        for text in groups {
            let group = refs::group(&mut tx, provider, "groups", text).await?;
            if order.iter().any(|(g, _)| *g == group.id) {
                return Err(OrganizationsError::Conflict(format!(
                    "group {text:?} is mapped to an organization already; remove that mapping first"
                )));
            }
            order.push((group.id, org.id));
            added.push(group.id.to_string());
        }
        tx.replace_group_org_mappings(provider, &order).await?;
        let details = json!({"groups": added, "organization": org.id.to_string()});
        Self::finish_edit(
            tx,
            provider,
            actor,
            "group organization mapping added",
            details,
        )
        .await
    }

    /// Removes a group's organization mapping.
    pub async fn remove_group_org_mapping(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        group: &str,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        self.edit_group_order(tenant, provider, group, None, actor)
            .await
    }

    /// Moves a group's organization mapping in the priority order.
    pub async fn move_group_org_mapping(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        group: &str,
        how: Reorder,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        self.edit_group_order(tenant, provider, group, Some(how), actor)
            .await
    }

    async fn edit_group_order(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        group: &str,
        how: Option<Reorder>,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let group = refs::group(&mut tx, provider, "group", group).await?;
        let mut order: Vec<(GroupId, OrganizationId)> = tx
            .group_org_mappings(provider)
            .await?
            .into_iter()
            .map(|m| (m.group_id, m.org_id))
            .collect();
        let at = order
            .iter()
            .position(|(g, _)| *g == group.id)
            .ok_or_else(|| OrganizationsError::not_found("group organization mapping", group.id))?;
        let change = match how {
            Some(how) => {
                reorder(&mut order, at, how);
                "group organization mapping moved"
            }
            None => {
                order.remove(at);
                "group organization mapping removed"
            }
        };
        tx.replace_group_org_mappings(provider, &order).await?;
        let details = json!({"group": group.id.to_string(), "order": order.iter().map(|(g, _)| g.to_string()).collect::<Vec<_>>()});
        Self::finish_edit(tx, provider, actor, change, details).await
    }

    /// Sets the roles a group maps to (none removes its role mapping).
    pub async fn set_group_roles(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        group: &str,
        roles: &[String],
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let group = refs::group(&mut tx, provider, "group", group).await?;
        let roles = refs::roles(&mut tx, "roles", roles).await?;
        tx.set_group_roles(provider, group.id, &roles).await?;
        let details = json!({"group": group.id.to_string(), "roles": ids(&roles)});
        Self::finish_edit(tx, provider, actor, "group roles set", details).await
    }

    /// Sets the roles provisioning may grant or revoke for the provider.
    pub async fn set_role_allowlist(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        roles: &[String],
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let roles = refs::roles(&mut tx, "roles", roles).await?;
        tx.set_role_allowlist(provider, &roles).await?;
        let details = json!({"roles": ids(&roles)});
        Self::finish_edit(tx, provider, actor, "role allowlist set", details).await
    }
}

fn ids(roles: &[RoleId]) -> Vec<String> {
    roles.iter().map(ToString::to_string).collect()
}

mod rules;

pub use rules::{NewRule, RuleEdit};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorder_moves_up_down_top_bottom_and_stops_at_the_ends() {
        let mut v = vec![1, 2, 3, 4];
        reorder(&mut v, 2, Reorder::Up);
        assert_eq!(v, [1, 3, 2, 4]);
        reorder(&mut v, 0, Reorder::Up);
        assert_eq!(v, [1, 3, 2, 4]);
        reorder(&mut v, 3, Reorder::Down);
        assert_eq!(v, [1, 3, 2, 4]);
        reorder(&mut v, 0, Reorder::Down);
        assert_eq!(v, [3, 1, 2, 4]);
        reorder(&mut v, 3, Reorder::Top);
        assert_eq!(v, [4, 3, 1, 2]);
        reorder(&mut v, 0, Reorder::Bottom);
        assert_eq!(v, [3, 1, 2, 4]);
    }
}
