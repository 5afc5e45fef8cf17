//! Plain records the store reads and writes. Services convert them to and
//! from their own domain types.

use roster_core::{GroupId, ProviderId, Slug, TenantId, UserId};
use time::OffsetDateTime;

/// Whether a tenant accepts requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantState {
    /// Created, schema not yet ready.
    Provisioning,
    /// Serving.
    Active,
    /// Refusing SCIM requests.
    Suspended,
}

impl TenantState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Provisioning => "provisioning",
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "provisioning" => Some(Self::Provisioning),
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

/// A tenant as stored in the control schema.
#[derive(Debug, Clone)]
pub struct TenantRecord {
    /// Id.
    pub id: TenantId,
    /// URL name.
    pub slug: Slug,
    /// State.
    pub state: TenantState,
    /// Applied tenant-schema migrations.
    pub schema_version: i32,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Host names resolving to the tenant.
    pub hosts: Vec<String>,
}

/// How a provider authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// HTTP Basic.
    Basic,
    /// HTTP Bearer.
    Bearer,
}

impl CredentialKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Bearer => "bearer",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "basic" => Some(Self::Basic),
            "bearer" => Some(Self::Bearer),
            _ => None,
        }
    }
}

/// A provider as stored in the control schema.
#[derive(Debug, Clone)]
pub struct ProviderRecord {
    /// Id.
    pub id: ProviderId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// Credential kind.
    pub credential_kind: CredentialKind,
    /// Username (basic) or label (bearer).
    pub username: String,
    /// Keyed digest of the current secret.
    pub secret_digest: Vec<u8>,
    /// Whether the credential is accepted.
    pub enabled: bool,
    /// When the current secret expires.
    pub expires_at: Option<OffsetDateTime>,
    /// When the current secret was issued.
    pub credential_issued_at: OffsetDateTime,
    /// Creation time.
    pub created_at: OffsetDateTime,
}

/// A provider to insert.
#[derive(Debug, Clone)]
pub struct NewProvider {
    /// Id.
    pub id: ProviderId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// Credential kind.
    pub credential_kind: CredentialKind,
    /// Username.
    pub username: String,
    /// Keyed digest of the secret.
    pub secret_digest: Vec<u8>,
    /// When the secret expires.
    pub expires_at: Option<OffsetDateTime>,
}

/// A user row: indexed columns plus the stored resource document.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// Id.
    pub id: UserId,
    /// Owning provider.
    pub provider_id: ProviderId,
    /// The resource document (everything the service stores, without id and meta).
    pub resource: serde_json::Value,
    /// Change counter.
    pub version: i64,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// The indexed facts of a user to write, with its document.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The userName as given.
    pub user_name: String,
    /// Its uniqueness key (`roster_core::user_name_key`).
    pub user_name_key: String,
    /// externalId, compared exactly.
    pub external_id: Option<String>,
    /// Folded displayName.
    pub display_name_key: Option<String>,
    /// E-mails as (folded type, folded value).
    pub emails: Vec<(Option<String>, String)>,
    /// The resource document.
    pub resource: serde_json::Value,
}

/// One condition of a user query; conditions in a list are joined with AND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCondition {
    /// userName key equals.
    UserNameKey(String),
    /// externalId equals exactly.
    ExternalId(String),
    /// Folded displayName equals.
    DisplayNameKey(String),
    /// Has an e-mail with this folded value (and type, when given).
    Email {
        /// Folded type, if constrained.
        type_key: Option<String>,
        /// Folded value.
        value_key: String,
    },
}

/// One condition of a group query; conditions in a list are joined with AND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupCondition {
    /// Folded displayName equals.
    DisplayNameKey(String),
    /// externalId equals exactly.
    ExternalId(String),
}

/// A group row.
#[derive(Debug, Clone)]
pub struct GroupRecord {
    /// Id.
    pub id: GroupId,
    /// Owning provider.
    pub provider_id: ProviderId,
    /// The resource document without members.
    pub resource: serde_json::Value,
    /// Change counter.
    pub version: i64,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// The indexed facts of a group to write, with its document.
#[derive(Debug, Clone)]
pub struct NewGroup {
    /// displayName as given.
    pub display_name: String,
    /// Folded displayName.
    pub display_name_key: String,
    /// externalId.
    pub external_id: Option<String>,
    /// The resource document without members.
    pub resource: serde_json::Value,
}

/// Whether a member is a user or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberType {
    /// A user.
    User,
    /// A nested group.
    Group,
}

impl MemberType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// Reads the stored form; the column's CHECK allows only the two values.
    pub(crate) fn parse_stored(text: &str) -> Self {
        if text == "Group" {
            Self::Group
        } else {
            Self::User
        }
    }
}

/// A member of a group, with its display value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// The member's id.
    pub id: uuid::Uuid,
    /// User or group.
    pub member_type: MemberType,
    /// userName/displayName of the user, or displayName of the group.
    pub display: Option<String>,
}
