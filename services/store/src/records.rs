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
    /// Returns the stored name: `basic` or `bearer`.
    pub fn as_str(self) -> &'static str {
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
    /// Owning provider ([`LOCAL_PROVIDER`] for a local user).
    pub provider_id: ProviderId,
    /// The resource document (everything the service stores, without id and meta).
    pub resource: serde_json::Value,
    /// Change counter.
    pub version: i64,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
    /// Lifecycle facts.
    pub lifecycle: LifecycleRecord,
}

impl UserRecord {
    /// Returns whether this is a local user, managed only by admins.
    pub fn is_local(&self) -> bool {
        self.provider_id.as_uuid() == LOCAL_PROVIDER
    }
}

/// The owner recorded for local users (created by admins): the nil UUID, which no provider has.
pub const LOCAL_PROVIDER: uuid::Uuid = uuid::Uuid::nil();

/// A user's lifecycle state: what the user may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserState {
    /// May sign in.
    Active,
    /// May not sign in; data kept; usually on its way to deactivation.
    Blocked,
    /// Account removed, data in cold storage.
    Deactivated,
}

impl UserState {
    /// Returns the stored (and displayed) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Blocked => "blocked",
            Self::Deactivated => "deactivated",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Self::Active),
            "blocked" => Some(Self::Blocked),
            "deactivated" => Some(Self::Deactivated),
            _ => None,
        }
    }
}

/// Who asked for a pending deactivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    /// The owning provider, through SCIM.
    Provider,
    /// An admin.
    Admin,
}

impl Requester {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Admin => "admin",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "provider" => Some(Self::Provider),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The lifecycle columns of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleRecord {
    /// What the user may do now.
    pub state: UserState,
    /// When the pending deactivation is (or was) due; `None` when none is pending.
    pub deactivation_due_at: Option<OffsetDateTime>,
    /// Who asked for the pending deactivation.
    pub deactivation_requested_by: Option<Requester>,
    /// Under legal hold: never deactivated, never hard-deleted.
    pub legal_hold: bool,
    /// Deleted by its provider: hidden from SCIM, kept with the tenant.
    pub deleted_by_provider: bool,
    /// When the provider deleted it.
    pub deleted_at: Option<OffsetDateTime>,
    /// An admin's unblock/reactivation overrides the provider's last assertion.
    pub admin_override: bool,
    /// Grows on every lifecycle change; fences deactivation jobs.
    pub lifecycle_version: i64,
    /// When `state` last changed.
    pub state_changed_at: Option<OffsetDateTime>,
}

impl Default for LifecycleRecord {
    fn default() -> Self {
        Self {
            state: UserState::Active,
            deactivation_due_at: None,
            deactivation_requested_by: None,
            legal_hold: false,
            deleted_by_provider: false,
            deleted_at: None,
            admin_override: false,
            lifecycle_version: 1,
            state_changed_at: None,
        }
    }
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
