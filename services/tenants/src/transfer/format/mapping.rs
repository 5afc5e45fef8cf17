//! The records version 3 added, one per row of the tables of tenant migration
//! 0003: organizations, roles, default roles, users' roles, the digest
//! settings, group mappings, role allowlists, attribute-filter rules, queued
//! remaps and Apply Org and Role Settings results. Every column, ids and times
//! included.

use roster_core::{GroupId, ProviderId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// An organization; the top-level one (fixed id, no parent) too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganizationLine {
    pub id: Uuid,
    pub name: String,
    pub name_key: String,
    /// None for the top-level organization only.
    pub parent_id: Option<Uuid>,
    pub inherits: bool,
    pub profile: Option<String>,
    pub storage_region: Option<String>,
    pub quota_bytes: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A role; the builtin ones (fixed ids) too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleLine {
    pub id: Uuid,
    pub name: String,
    pub name_key: String,
    pub builtin: bool,
    pub description: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One default role of one organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OrganizationDefaultRoleLine {
    pub org_id: Uuid,
    pub role_id: Uuid,
}

/// One role one user holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserRoleLine {
    pub user_id: UserId,
    pub role_id: Uuid,
    /// `mapping` or `admin`.
    pub granted_by: String,
    pub reason: Option<String>,
}

/// The tenant's digest settings: at most one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DigestSettingsLine {
    /// `daily`, `errors` or `never`.
    pub frequency: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub covered_until: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A SCIM group mapped to an organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupOrgMappingLine {
    pub provider_id: ProviderId,
    pub group_id: GroupId,
    pub org_id: Uuid,
    pub priority: i64,
}

/// A SCIM group mapped to a role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupRoleMappingLine {
    pub provider_id: ProviderId,
    pub group_id: GroupId,
    pub role_id: Uuid,
}

/// A role on one provider's allowlist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleAllowlistLine {
    pub provider_id: ProviderId,
    pub role_id: Uuid,
}

/// An attribute-filter rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MappingRuleLine {
    pub id: Uuid,
    pub provider_id: ProviderId,
    pub name: String,
    /// None matches all users.
    pub attribute: Option<String>,
    /// A JSON array of the values matched.
    pub match_values: serde_json::Value,
    pub org_id: Uuid,
    pub profile: Option<String>,
    pub storage_region: Option<String>,
    pub quota_bytes: Option<i64>,
    /// Order among the provider's rules.
    pub position: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A user waiting to be remapped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PendingRemapLine {
    pub user_id: UserId,
    pub provider_id: ProviderId,
    #[serde(with = "time::serde::rfc3339")]
    pub queued_at: OffsetDateTime,
}

/// What one Apply Org and Role Settings run found for one user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApplyResultLine {
    pub job_id: Uuid,
    pub user_id: UserId,
    pub user_name: String,
    pub from_org_id: Option<Uuid>,
    pub to_org_id: Option<Uuid>,
    /// The destination's name (also before a dry run's c42OrgName organization exists).
    #[serde(default)]
    pub to_org_name: Option<String>,
    /// A JSON array of role names.
    pub roles_added: serde_json::Value,
    /// A JSON array of role names.
    pub roles_removed: serde_json::Value,
    pub unmatched: bool,
}
