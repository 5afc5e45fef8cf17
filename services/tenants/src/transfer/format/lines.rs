//! The records of version 1 kinds: providers, users, groups, memberships. A
//! version 2 `user` added the lifecycle facts, version 3 its organization; older
//! users are read as `older.rs` says and converted.

use roster_core::{GroupId, ProviderId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A provider with its credential digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderLine {
    pub id: ProviderId,
    pub name: String,
    /// `basic` or `bearer`.
    pub credential_kind: String,
    pub username: String,
    /// The keyed digest of the secret, standard base64.
    pub secret_digest: String,
    pub enabled: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub credential_issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One e-mail index row of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailLine {
    pub type_key: Option<String>,
    pub value_key: String,
}

/// A user, every stored column (version 3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserLine {
    pub id: UserId,
    /// The owning provider; the nil UUID for a local user (managed by admins only).
    pub provider_id: ProviderId,
    pub user_name: String,
    pub user_name_key: String,
    pub external_id: Option<String>,
    pub display_name_key: Option<String>,
    pub emails: Vec<EmailLine>,
    pub resource: serde_json::Value,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// `active`, `blocked` or `deactivated`.
    pub state: String,
    /// When the pending deactivation is (or was, while a legal hold keeps it waiting) due.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deactivation_due_at: Option<OffsetDateTime>,
    /// `provider` or `admin`, while a deactivation is pending.
    pub deactivation_requested_by: Option<String>,
    pub legal_hold: bool,
    pub deleted_by_provider: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
    pub admin_override: bool,
    /// Fences the user's deactivation jobs: kept exactly, so they still match.
    pub lifecycle_version: i64,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub state_changed_at: Option<OffsetDateTime>,
    /// The user's organization.
    pub org_id: uuid::Uuid,
    /// `mapping`, or `admin` after an admin's move.
    pub org_set_by: String,
    pub org_reason: Option<String>,
    /// Set by an attribute-filter rule; None means the organization's.
    pub profile: Option<String>,
    pub storage_region: Option<String>,
    pub quota_bytes: Option<i64>,
}

/// A group, every stored column but its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupLine {
    pub id: GroupId,
    pub provider_id: ProviderId,
    pub display_name: String,
    pub display_name_key: String,
    pub external_id: Option<String>,
    pub resource: serde_json::Value,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One member of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembershipLine {
    pub group_id: GroupId,
    pub member_id: uuid::Uuid,
    /// `User` or `Group`.
    pub member_type: String,
}
