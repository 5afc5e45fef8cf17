//! Conversions of the records version 3 added (the tables of tenant migration
//! 0003). Rows go out exactly as stored; coming in they are checked one by one
//! here, and against each other by the loader.

use roster_store::{
    BUILTIN_ROLES, StoredApplyResult, StoredDigestSettings, StoredGroupOrgMapping,
    StoredGroupRoleMapping, StoredMappingRule, StoredOrganization, StoredOrganizationDefaultRole,
    StoredPendingRemap, StoredRole, StoredRoleAllowlistEntry, StoredUserRole,
    TOP_LEVEL_ORGANIZATION,
};

use crate::transfer::format::{
    ApplyResultLine, DigestSettingsLine, GroupOrgMappingLine, GroupRoleMappingLine,
    MappingRuleLine, OrganizationDefaultRoleLine, OrganizationLine, PendingRemapLine,
    RoleAllowlistLine, RoleLine, UserRoleLine,
};

/// Who set a user's organization or granted a role.
pub(crate) const SET_BY: &[&str] = &["mapping", "admin"];

/// Returns an error naming `field` unless `value` is one of `allowed`.
pub(crate) fn check_one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{field} {value:?} is not one of {}",
            allowed.join(", ")
        ))
    }
}

/// Returns an error unless a quota is absent or not negative.
pub(crate) fn check_quota(quota_bytes: Option<i64>) -> Result<(), String> {
    match quota_bytes {
        Some(q) if q < 0 => Err(format!("quota_bytes {q} is negative")),
        _ => Ok(()),
    }
}

fn check_name(name: &str, name_key: &str) -> Result<(), String> {
    if name.trim().is_empty() || name_key.is_empty() {
        return Err("name and name_key must not be empty".to_owned());
    }
    Ok(())
}

fn check_string_array(field: &str, value: &serde_json::Value) -> Result<(), String> {
    match value.as_array() {
        Some(items) if items.iter().all(serde_json::Value::is_string) => Ok(()),
        _ => Err(format!("{field} must be a JSON array of strings")),
    }
}

impl From<StoredOrganization> for OrganizationLine {
    fn from(o: StoredOrganization) -> Self {
        Self {
            id: o.id,
            name: o.name,
            name_key: o.name_key,
            parent_id: o.parent_id,
            inherits: o.inherits,
            profile: o.profile,
            storage_region: o.storage_region,
            quota_bytes: o.quota_bytes,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

impl OrganizationLine {
    /// Checks the record and returns the organization to store. Only the top-level
    /// organization, with its fixed id, has no parent.
    pub(crate) fn into_stored(self) -> Result<StoredOrganization, String> {
        check_name(&self.name, &self.name_key)?;
        check_quota(self.quota_bytes)?;
        let top = self.id == TOP_LEVEL_ORGANIZATION;
        match self.parent_id {
            None if !top => {
                return Err(format!(
                    "organization {} has no parent, but only the top-level organization {TOP_LEVEL_ORGANIZATION} has none",
                    self.id
                ));
            }
            Some(_) if top => {
                return Err("the top-level organization has a parent".to_owned());
            }
            Some(parent) if parent == self.id => {
                return Err(format!("organization {} is its own parent", self.id));
            }
            _ => {}
        }
        Ok(StoredOrganization {
            id: self.id,
            name: self.name,
            name_key: self.name_key,
            parent_id: self.parent_id,
            inherits: self.inherits,
            profile: self.profile,
            storage_region: self.storage_region,
            quota_bytes: self.quota_bytes,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl From<StoredRole> for RoleLine {
    fn from(r: StoredRole) -> Self {
        Self {
            id: r.id,
            name: r.name,
            name_key: r.name_key,
            builtin: r.builtin,
            description: r.description,
            created_at: r.created_at,
        }
    }
}

impl RoleLine {
    /// Checks the record and returns the role to store. A builtin role is one the
    /// migration seeds (its name and description are carried as stored); no other role
    /// may say it is builtin or take a builtin role's id.
    pub(crate) fn into_stored(self) -> Result<StoredRole, String> {
        check_name(&self.name, &self.name_key)?;
        if self.builtin != BUILTIN_ROLES.contains(&self.id) {
            return Err(format!(
                "role {} says builtin = {}, but the builtin roles are exactly those tenant migration 0003 seeds",
                self.id, self.builtin
            ));
        }
        Ok(StoredRole {
            id: self.id,
            name: self.name,
            name_key: self.name_key,
            builtin: self.builtin,
            description: self.description,
            created_at: self.created_at,
        })
    }
}

impl From<StoredOrganizationDefaultRole> for OrganizationDefaultRoleLine {
    fn from(d: StoredOrganizationDefaultRole) -> Self {
        Self {
            org_id: d.org_id,
            role_id: d.role_id,
        }
    }
}

impl OrganizationDefaultRoleLine {
    /// Returns the row to store (the loader checks both ids).
    pub(crate) fn into_stored(self) -> StoredOrganizationDefaultRole {
        StoredOrganizationDefaultRole {
            org_id: self.org_id,
            role_id: self.role_id,
        }
    }
}

impl From<StoredUserRole> for UserRoleLine {
    fn from(r: StoredUserRole) -> Self {
        Self {
            user_id: r.user_id,
            role_id: r.role_id,
            granted_by: r.granted_by,
            reason: r.reason,
        }
    }
}

impl UserRoleLine {
    /// Checks the record and returns the row to store.
    pub(crate) fn into_stored(self) -> Result<StoredUserRole, String> {
        check_one_of("granted_by", &self.granted_by, SET_BY)?;
        Ok(StoredUserRole {
            user_id: self.user_id,
            role_id: self.role_id,
            granted_by: self.granted_by,
            reason: self.reason,
        })
    }
}

impl From<StoredDigestSettings> for DigestSettingsLine {
    fn from(d: StoredDigestSettings) -> Self {
        Self {
            frequency: d.frequency,
            covered_until: d.covered_until,
            updated_at: d.updated_at,
        }
    }
}

impl DigestSettingsLine {
    /// Checks the record and returns the settings to store.
    pub(crate) fn into_stored(self) -> Result<StoredDigestSettings, String> {
        check_one_of("frequency", &self.frequency, &["daily", "errors", "never"])?;
        Ok(StoredDigestSettings {
            frequency: self.frequency,
            covered_until: self.covered_until,
            updated_at: self.updated_at,
        })
    }
}

impl From<StoredGroupOrgMapping> for GroupOrgMappingLine {
    fn from(m: StoredGroupOrgMapping) -> Self {
        Self {
            provider_id: m.provider_id,
            group_id: m.group_id,
            org_id: m.org_id,
            priority: m.priority,
        }
    }
}

impl GroupOrgMappingLine {
    /// Returns the row to store (the loader checks the group and organization).
    pub(crate) fn into_stored(self) -> StoredGroupOrgMapping {
        StoredGroupOrgMapping {
            provider_id: self.provider_id,
            group_id: self.group_id,
            org_id: self.org_id,
            priority: self.priority,
        }
    }
}

impl From<StoredGroupRoleMapping> for GroupRoleMappingLine {
    fn from(m: StoredGroupRoleMapping) -> Self {
        Self {
            provider_id: m.provider_id,
            group_id: m.group_id,
            role_id: m.role_id,
        }
    }
}

impl GroupRoleMappingLine {
    /// Returns the row to store (the loader checks the group and role).
    pub(crate) fn into_stored(self) -> StoredGroupRoleMapping {
        StoredGroupRoleMapping {
            provider_id: self.provider_id,
            group_id: self.group_id,
            role_id: self.role_id,
        }
    }
}

impl From<StoredRoleAllowlistEntry> for RoleAllowlistLine {
    fn from(e: StoredRoleAllowlistEntry) -> Self {
        Self {
            provider_id: e.provider_id,
            role_id: e.role_id,
        }
    }
}

impl RoleAllowlistLine {
    /// Returns the row to store (the loader checks the role).
    pub(crate) fn into_stored(self) -> StoredRoleAllowlistEntry {
        StoredRoleAllowlistEntry {
            provider_id: self.provider_id,
            role_id: self.role_id,
        }
    }
}

impl From<StoredMappingRule> for MappingRuleLine {
    fn from(r: StoredMappingRule) -> Self {
        Self {
            id: r.id,
            provider_id: r.provider_id,
            name: r.name,
            attribute: r.attribute,
            match_values: r.match_values,
            org_id: r.org_id,
            profile: r.profile,
            storage_region: r.storage_region,
            quota_bytes: r.quota_bytes,
            position: r.position,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl MappingRuleLine {
    /// Checks the record and returns the rule to store, its position kept.
    pub(crate) fn into_stored(self) -> Result<StoredMappingRule, String> {
        if self.name.trim().is_empty() {
            return Err("name is empty".to_owned());
        }
        check_string_array("match_values", &self.match_values)?;
        check_quota(self.quota_bytes)?;
        Ok(StoredMappingRule {
            id: self.id,
            provider_id: self.provider_id,
            name: self.name,
            attribute: self.attribute,
            match_values: self.match_values,
            org_id: self.org_id,
            profile: self.profile,
            storage_region: self.storage_region,
            quota_bytes: self.quota_bytes,
            position: self.position,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl From<StoredPendingRemap> for PendingRemapLine {
    fn from(r: StoredPendingRemap) -> Self {
        Self {
            user_id: r.user_id,
            provider_id: r.provider_id,
            queued_at: r.queued_at,
        }
    }
}

impl PendingRemapLine {
    /// Returns the row to store.
    pub(crate) fn into_stored(self) -> StoredPendingRemap {
        StoredPendingRemap {
            user_id: self.user_id,
            provider_id: self.provider_id,
            queued_at: self.queued_at,
        }
    }
}

impl From<StoredApplyResult> for ApplyResultLine {
    fn from(r: StoredApplyResult) -> Self {
        Self {
            job_id: r.job_id,
            user_id: r.user_id,
            user_name: r.user_name,
            from_org_id: r.from_org_id,
            to_org_id: r.to_org_id,
            to_org_name: r.to_org_name,
            roles_added: r.roles_added,
            roles_removed: r.roles_removed,
            unmatched: r.unmatched,
        }
    }
}

impl ApplyResultLine {
    /// Checks the record and returns the row to store.
    pub(crate) fn into_stored(self) -> Result<StoredApplyResult, String> {
        check_string_array("roles_added", &self.roles_added)?;
        check_string_array("roles_removed", &self.roles_removed)?;
        Ok(StoredApplyResult {
            job_id: self.job_id,
            user_id: self.user_id,
            user_name: self.user_name,
            from_org_id: self.from_org_id,
            to_org_id: self.to_org_id,
            to_org_name: self.to_org_name,
            roles_added: self.roles_added,
            roles_removed: self.roles_removed,
            unmatched: self.unmatched,
        })
    }
}

#[cfg(test)]
mod tests;
