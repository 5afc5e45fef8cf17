//! Stored rows of the organization tree, the roles catalogue and the digest
//! settings (tenant migration 0003), and the seeded ids that migration fixes in
//! every tenant.

use roster_core::UserId;
use time::OffsetDateTime;
use uuid::Uuid;

/// The top-level organization's id, the same in every tenant (seeded by tenant migration 0003).
pub const TOP_LEVEL_ORGANIZATION: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001);

/// The builtin roles' ids, seeded by tenant migration 0003 in every tenant, in id order:
/// Customer Cloud Admin, Identity Management Administrator, Desktop User, PROe User, Agent User.
pub const BUILTIN_ROLES: [Uuid; 5] = [
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0101),
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0102),
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0103),
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0104),
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0105),
];

/// The basic builtin roles (Desktop User, PROe User, Agent User): tenant migration 0003 makes
/// them the top-level organization's default roles and puts them on every existing provider's
/// allowlist.
pub const BASIC_ROLES: [Uuid; 3] = [BUILTIN_ROLES[2], BUILTIN_ROLES[3], BUILTIN_ROLES[4]];

/// An organization, every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOrganization {
    /// Id ([`TOP_LEVEL_ORGANIZATION`] for the root).
    pub id: Uuid,
    /// Name as given.
    pub name: String,
    /// Its uniqueness key.
    pub name_key: String,
    /// The parent; None for the top-level organization only.
    pub parent_id: Option<Uuid>,
    /// Whether it takes its parent's default roles, profile, region and quota.
    pub inherits: bool,
    /// Its own profile.
    pub profile: Option<String>,
    /// Its own storage region.
    pub storage_region: Option<String>,
    /// Its own per-user quota.
    pub quota_bytes: Option<i64>,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// A role of the catalogue, builtin or the tenant's own, every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRole {
    /// Id (one of [`BUILTIN_ROLES`] for a builtin role).
    pub id: Uuid,
    /// Name as given.
    pub name: String,
    /// Its uniqueness key.
    pub name_key: String,
    /// Whether the migration seeded it.
    pub builtin: bool,
    /// What it allows.
    pub description: String,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// One default role of one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredOrganizationDefaultRole {
    /// The organization.
    pub org_id: Uuid,
    /// The role.
    pub role_id: Uuid,
}

/// One role one user holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUserRole {
    /// The user.
    pub user_id: UserId,
    /// The role.
    pub role_id: Uuid,
    /// `mapping` (provisioning manages it) or `admin`.
    pub granted_by: String,
    /// What granted it.
    pub reason: Option<String>,
}

/// Where a user is placed and why: the users columns of tenant migration 0003.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPlacement {
    /// The user's organization (not a foreign key).
    pub org_id: Uuid,
    /// `mapping`, or `admin` after an admin's move.
    pub org_set_by: String,
    /// What decided the organization.
    pub org_reason: Option<String>,
    /// Profile set by an attribute-filter rule; None means the organization's.
    pub profile: Option<String>,
    /// Storage region set by a rule; None means the organization's.
    pub storage_region: Option<String>,
    /// Quota set by a rule; None means the organization's.
    pub quota_bytes: Option<i64>,
}

impl Default for StoredPlacement {
    /// Returns the column defaults: the top-level organization, set by mapping, nothing else.
    fn default() -> Self {
        Self {
            org_id: TOP_LEVEL_ORGANIZATION,
            org_set_by: "mapping".to_owned(),
            org_reason: None,
            profile: None,
            storage_region: None,
            quota_bytes: None,
        }
    }
}

/// The tenant's directory sync digest settings (the single `digest_settings` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDigestSettings {
    /// `daily`, `errors` or `never`.
    pub frequency: String,
    /// Where the last digest's window ended.
    pub covered_until: Option<OffsetDateTime>,
    /// Last change.
    pub updated_at: OffsetDateTime,
}
