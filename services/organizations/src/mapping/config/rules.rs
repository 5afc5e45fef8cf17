//! The attribute-filter rule editors: add a rule at the bottom of a provider's
//! priority order, change its name, organization or settings (never its
//! criteria), remove it, or move it up, down, to the top or the bottom.

use roster_core::{ProviderId, RuleId, TenantId};
use roster_store::{MappingRule, OrganizationSettings};
use serde_json::json;

use super::super::resolve::{check_rule_attribute, split_rule_values};
use super::{MappingView, Reorder, reorder};
use crate::naming::setting_text;
use crate::orgs::resolve_organization;
use crate::{Organizations, OrganizationsError};

/// A new attribute-filter rule as an admin asks for it.
#[derive(Debug, Clone, Default)]
pub struct NewRule {
    /// Name.
    pub name: String,
    /// Attribute path; empty with `all_users`.
    pub attribute: String,
    /// Comma-separated values.
    pub values: String,
    /// Matches everyone.
    pub all_users: bool,
    /// Organization (id or name).
    pub organization: String,
    /// Settings given to matching users.
    pub settings: OrganizationSettings,
}

/// What an admin changes on a rule; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RuleEdit {
    /// New name.
    pub name: Option<String>,
    /// New organization (id or name).
    pub organization: Option<String>,
    /// New profile (empty clears).
    pub profile: Option<String>,
    /// New storage region (empty clears).
    pub storage_region: Option<String>,
    /// New quota (negative clears).
    pub quota_bytes: Option<i64>,
    /// Criteria the request claims; refused unless equal to the rule's.
    pub attribute: Option<String>,
    /// Criteria the request claims; refused unless equal to the rule's.
    pub values: Option<String>,
}

/// Checks a rule name (required) or a profile or storage region (empty clears it).
fn check_text(
    field: &'static str,
    text: &str,
    required: bool,
) -> Result<Option<String>, OrganizationsError> {
    let checked = setting_text(field, text)?;
    if required && checked.is_none() {
        return Err(OrganizationsError::invalid(field, "must not be empty"));
    }
    Ok(checked)
}

fn check_quota(quota: Option<i64>) -> Result<Option<i64>, OrganizationsError> {
    match quota {
        Some(q) if q < 0 => Err(OrganizationsError::invalid(
            "quota_bytes",
            "must be 0 or more",
        )),
        other => Ok(other),
    }
}

fn rule_not_found(rule: RuleId) -> OrganizationsError {
    OrganizationsError::not_found("rule", rule)
}

impl Organizations {
    /// Adds an attribute-filter rule at the bottom of the priority order.
    pub async fn add_rule(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        new: &NewRule,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let name = check_text("name", &new.name, true)?.unwrap_or_default();
        let (attribute, values) = match (new.all_users, new.attribute.trim().is_empty()) {
            (true, true) => (None, Vec::new()),
            (true, false) => {
                return Err(OrganizationsError::invalid(
                    "attribute",
                    "an 'all users' rule tests no attribute",
                ));
            }
            (false, true) => {
                return Err(OrganizationsError::invalid(
                    "attribute",
                    "name a SCIM attribute path, or make the rule match all users",
                ));
            }
            (false, false) => {
                let attribute = check_rule_attribute(&new.attribute)
                    .map_err(|why| OrganizationsError::invalid("attribute", why))?;
                let values = split_rule_values(&new.values);
                if values.is_empty() {
                    return Err(OrganizationsError::invalid(
                        "values",
                        "give one or more comma-separated values",
                    ));
                }
                (Some(attribute), values)
            }
        };
        let settings = OrganizationSettings {
            profile: check_text(
                "profile",
                new.settings.profile.as_deref().unwrap_or(""),
                false,
            )?,
            storage_region: check_text(
                "storage_region",
                new.settings.storage_region.as_deref().unwrap_or(""),
                false,
            )?,
            quota_bytes: check_quota(new.settings.quota_bytes)?,
        };
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let org = resolve_organization(&mut tx, "organization", &new.organization).await?;
        let rule = tx
            .insert_mapping_rule(
                provider,
                &MappingRule {
                    id: RuleId::generate(),
                    name,
                    attribute,
                    values,
                    org_id: org.id,
                    settings,
                    position: 0,
                    created_at: time::OffsetDateTime::UNIX_EPOCH,
                },
            )
            .await?;
        let details = json!({"rule": rule.id.to_string(), "name": rule.name, "attribute": rule.attribute, "values": rule.values, "organization": org.id.to_string()});
        Self::finish_edit(tx, provider, actor, "rule added", details).await
    }

    /// Changes a rule's name, organization or settings; its criteria cannot change.
    pub async fn update_rule(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        rule: RuleId,
        edit: &RuleEdit,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let mut current = tx
            .mapping_rules(provider)
            .await?
            .into_iter()
            .find(|r| r.id == rule)
            .ok_or_else(|| rule_not_found(rule))?;
        let same_attribute = edit.attribute.as_deref().is_none_or(|a| {
            let a = a.trim();
            current.attribute.as_deref().unwrap_or("") == a
        });
        let same_values = edit
            .values
            .as_deref()
            .is_none_or(|v| split_rule_values(v) == current.values);
        if !same_attribute || !same_values {
            return Err(OrganizationsError::PreconditionFailed(format!(
                "the criteria of rule {:?} cannot change once it is created; only its name, organization, profile, storage region and quota can. Add a new rule and remove this one instead",
                current.name
            )));
        }
        if let Some(name) = &edit.name {
            current.name = check_text("name", name, true)?.unwrap_or_default();
        }
        if let Some(org) = &edit.organization {
            current.org_id = resolve_organization(&mut tx, "organization", org).await?.id;
        }
        if let Some(profile) = &edit.profile {
            current.settings.profile = check_text("profile", profile, false)?;
        }
        if let Some(region) = &edit.storage_region {
            current.settings.storage_region = check_text("storage_region", region, false)?;
        }
        if let Some(quota) = edit.quota_bytes {
            current.settings.quota_bytes = (quota >= 0).then_some(quota);
        }
        tx.update_mapping_rule(provider, &current).await?;
        let details = json!({"rule": rule.to_string(), "name": current.name, "organization": current.org_id.to_string(), "profile": current.settings.profile, "storageRegion": current.settings.storage_region, "quotaBytes": current.settings.quota_bytes});
        Self::finish_edit(tx, provider, actor, "rule updated", details).await
    }

    /// Removes a rule.
    pub async fn remove_rule(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        rule: RuleId,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        if !tx.delete_mapping_rule(provider, rule).await? {
            return Err(rule_not_found(rule));
        }
        let details = json!({"rule": rule.to_string()});
        Self::finish_edit(tx, provider, actor, "rule removed", details).await
    }

    /// Moves a rule in the priority order.
    pub async fn move_rule(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        rule: RuleId,
        how: Reorder,
        actor: &str,
    ) -> Result<MappingView, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let mut order: Vec<RuleId> = tx
            .mapping_rules(provider)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        let at = order
            .iter()
            .position(|r| *r == rule)
            .ok_or_else(|| rule_not_found(rule))?;
        reorder(&mut order, at, how);
        tx.reorder_mapping_rules(provider, &order).await?;
        let details = json!({"rule": rule.to_string(), "order": order.iter().map(ToString::to_string).collect::<Vec<_>>()});
        Self::finish_edit(tx, provider, actor, "rule moved", details).await
    }
}
