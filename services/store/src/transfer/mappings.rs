//! Stored rows of the provider mappings of tenant migration 0003: mapping
//! methods, group mappings, role allowlists, attribute-filter rules, and the
//! remap queue and Apply Org and Role Settings results.

use roster_core::{GroupId, ProviderId, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

use super::TOP_LEVEL_ORGANIZATION;

/// A provider's mapping methods: the provider_settings columns of tenant migration 0003.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMappingMethods {
    /// `single`, `attribute`, `groups` or `rules`.
    pub org_method: String,
    /// The single organization, or where users the method cannot place go.
    pub org_target_id: Uuid,
    /// Where c42OrgName creates missing organizations.
    pub org_parent_id: Uuid,
    /// `manual` or `groups`.
    pub role_method: String,
}

impl Default for StoredMappingMethods {
    /// Returns the column defaults: everyone in the top-level organization, roles by hand.
    fn default() -> Self {
        Self {
            org_method: "single".to_owned(),
            org_target_id: TOP_LEVEL_ORGANIZATION,
            org_parent_id: TOP_LEVEL_ORGANIZATION,
            role_method: "manual".to_owned(),
        }
    }
}

/// A SCIM group mapped to an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredGroupOrgMapping {
    /// The provider.
    pub provider_id: ProviderId,
    /// The group.
    pub group_id: GroupId,
    /// The organization its members go to.
    pub org_id: Uuid,
    /// Lower wins.
    pub priority: i64,
}

/// A SCIM group mapped to a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredGroupRoleMapping {
    /// The provider.
    pub provider_id: ProviderId,
    /// The group.
    pub group_id: GroupId,
    /// The role its members get.
    pub role_id: Uuid,
}

/// A role provisioning may grant or revoke for one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredRoleAllowlistEntry {
    /// The provider.
    pub provider_id: ProviderId,
    /// The role.
    pub role_id: Uuid,
}

/// An attribute-filter rule, every column.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMappingRule {
    /// Id.
    pub id: Uuid,
    /// The provider.
    pub provider_id: ProviderId,
    /// Name.
    pub name: String,
    /// The attribute compared; None matches all users.
    pub attribute: Option<String>,
    /// The values it matches, a JSON array.
    pub match_values: serde_json::Value,
    /// Where matching users go.
    pub org_id: Uuid,
    /// Profile given to matching users.
    pub profile: Option<String>,
    /// Storage region given to matching users.
    pub storage_region: Option<String>,
    /// Quota given to matching users.
    pub quota_bytes: Option<i64>,
    /// Order among the provider's rules, first match wins.
    pub position: i64,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// A user waiting to be remapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredPendingRemap {
    /// The user.
    pub user_id: UserId,
    /// The provider whose change queued it.
    pub provider_id: ProviderId,
    /// When it was queued.
    pub queued_at: OffsetDateTime,
}

/// What one Apply Org and Role Settings run found for one user.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredApplyResult {
    /// The run's job.
    pub job_id: Uuid,
    /// The user.
    pub user_id: UserId,
    /// The user's userName then.
    pub user_name: String,
    /// The organization it was in.
    pub from_org_id: Option<Uuid>,
    /// The organization it goes to.
    pub to_org_id: Option<Uuid>,
    /// The destination's name.
    pub to_org_name: Option<String>,
    /// Role names added, a JSON array.
    pub roles_added: serde_json::Value,
    /// Role names removed, a JSON array.
    pub roles_removed: serde_json::Value,
    /// No rule placed it.
    pub unmatched: bool,
}
