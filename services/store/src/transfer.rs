//! Moving data between deployments, exactly as stored.
//!
//! - `roster export` / `roster import` read and write a tenant's rows with
//!   their ids, versions, timestamps and credential digests unchanged, through
//!   the raw methods here and in `tenant/transfer.rs` and `control/transfer.rs`.
//!   They interpret nothing: the keys (`user_name_key`, …) are taken as stored,
//!   since both backends compute them with the same Rust code.
//! - `roster backup` copies the embedded files with `VACUUM INTO`
//!   ([`Store::snapshot_embedded`], `sqlite/backup.rs`).
//!
//! Every method works on both backends, so a tenant moves from embedded SQLite
//! to PostgreSQL and back. The rows of tenant migration 0003 are in
//! `transfer/organizations.rs` and `transfer/mappings.rs`.

mod mappings;
mod organizations;

use std::path::{Path, PathBuf};

use roster_core::{GroupId, ProviderId, TenantId, UserId};
use sqlx::query_builder::Separated;
use sqlx::{Database, Encode, Type};
use time::OffsetDateTime;

use crate::{Backend, Dialect, LifecycleRecord, MemberType, Store, StoreError, TenantTx};

pub use self::mappings::{
    StoredApplyResult, StoredGroupOrgMapping, StoredGroupRoleMapping, StoredMappingMethods,
    StoredMappingRule, StoredPendingRemap, StoredRoleAllowlistEntry,
};
pub use self::organizations::{
    BASIC_ROLES, BUILTIN_ROLES, StoredDigestSettings, StoredOrganization,
    StoredOrganizationDefaultRole, StoredPlacement, StoredRole, StoredUserRole,
    TOP_LEVEL_ORGANIZATION,
};

/// A user as stored: every column, and its e-mail index rows.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredUser {
    /// Id (the SCIM `id`).
    pub id: UserId,
    /// Owning provider.
    pub provider_id: ProviderId,
    /// The userName as given.
    pub user_name: String,
    /// Its uniqueness key.
    pub user_name_key: String,
    /// externalId.
    pub external_id: Option<String>,
    /// Folded displayName.
    pub display_name_key: Option<String>,
    /// E-mails as (folded type, folded value), in a stable order.
    pub emails: Vec<(Option<String>, String)>,
    /// The resource document.
    pub resource: serde_json::Value,
    /// Change counter (the SCIM version).
    pub version: i64,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
    /// The lifecycle columns, `lifecycle_version` included (it fences the user's jobs).
    pub lifecycle: LifecycleRecord,
    /// Its organization and what a rule set for it.
    pub placement: StoredPlacement,
}

/// A group as stored: every column (members are [`StoredMembership`]s).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    /// Id (the SCIM `id`).
    pub id: GroupId,
    /// Owning provider.
    pub provider_id: ProviderId,
    /// displayName as given.
    pub display_name: String,
    /// Folded displayName.
    pub display_name_key: String,
    /// externalId.
    pub external_id: Option<String>,
    /// The resource document without members.
    pub resource: serde_json::Value,
    /// Change counter.
    pub version: i64,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// One member of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredMembership {
    /// The group.
    pub group_id: GroupId,
    /// The member: a user's or a group's id.
    pub member_id: uuid::Uuid,
    /// Whether the member is a user or a group.
    pub member_type: MemberType,
}

/// A provider's settings row in the tenant's data, every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProviderSettings {
    /// The provider (its credentials live in the control schema).
    pub provider_id: ProviderId,
    /// Its username, the actor named in the audit log.
    pub username: String,
    /// Seconds between a provider's deactivation and its effect.
    pub deactivation_delay_secs: i64,
    /// The last time one of its writes succeeded.
    pub last_success_at: Option<OffsetDateTime>,
    /// Last change of the row.
    pub updated_at: OffsetDateTime,
    /// Its organization and role mapping methods.
    pub mapping: StoredMappingMethods,
}

/// A job row, every column (see `tenant/postgres/0002_lifecycle_jobs_logs.sql`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredJob {
    /// Id.
    pub id: uuid::Uuid,
    /// What to do, e.g. `deactivate_user`.
    pub kind: String,
    /// What it acts on (a user id).
    pub subject: Option<String>,
    /// At most one pending or running job has this key.
    pub unique_key: Option<String>,
    /// The subject's lifecycle version when it was scheduled.
    pub fence: Option<i64>,
    /// Kind-specific arguments.
    pub payload: serde_json::Value,
    /// `pending`, `running`, `succeeded`, `failed` or `cancelled`.
    pub state: String,
    /// When it is (or was) due.
    pub due_at: OffsetDateTime,
    /// Attempts so far.
    pub attempts: i32,
    /// Attempts before it is marked failed.
    pub max_attempts: i32,
    /// The worker holding a running job's lease.
    pub lease_owner: Option<String>,
    /// When that lease ends.
    pub lease_expires_at: Option<OffsetDateTime>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// What a finished job did.
    pub outcome: Option<String>,
    /// Who scheduled it.
    pub created_by: String,
    /// Creation time.
    pub created_at: OffsetDateTime,
    /// Last change.
    pub updated_at: OffsetDateTime,
    /// When it finished.
    pub finished_at: Option<OffsetDateTime>,
}

/// A sync-log row, every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSyncEntry {
    /// Id.
    pub id: uuid::Uuid,
    /// When the change happened.
    pub at: OffsetDateTime,
    /// The provider that caused it.
    pub provider_id: ProviderId,
    /// The user changed.
    pub user_id: UserId,
    /// The user's userName at the time.
    pub user_name: String,
    /// What kind of change.
    pub change_type: String,
    /// The attribute path.
    pub attribute: String,
    /// The value before, as text.
    pub old_value: Option<String>,
    /// The value after, as text.
    pub new_value: Option<String>,
}

/// An audit-log row, every column.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAuditEntry {
    /// Id.
    pub id: uuid::Uuid,
    /// When it happened.
    pub at: OffsetDateTime,
    /// `provider`, `operator` or `system`.
    pub actor_kind: crate::ActorKind,
    /// Who acted.
    pub actor: String,
    /// What happened.
    pub event: String,
    /// What it happened to.
    pub target_kind: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// The target's name.
    pub target_name: Option<String>,
    /// Event-specific facts.
    pub details: serde_json::Value,
}

/// A provisioning-error row, every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProvisioningError {
    /// Id.
    pub id: uuid::Uuid,
    /// When the request was refused or failed.
    pub at: OffsetDateTime,
    /// The provider that sent it.
    pub provider_id: ProviderId,
    /// The SCIM operation, e.g. `create user`.
    pub operation: String,
    /// The HTTP status answered.
    pub status: i32,
    /// The SCIM error type, when there was one.
    pub scim_type: Option<String>,
    /// The userName the request named.
    pub user_name: Option<String>,
    /// The externalId the request named.
    pub external_id: Option<String>,
    /// What was wrong.
    pub detail: String,
}

/// Consistent copies of the embedded databases, in a private directory under
/// the data directory that is removed when this value is dropped.
#[derive(Debug)]
pub struct EmbeddedSnapshot {
    pub(crate) dir: PathBuf,
    pub(crate) data_dir: PathBuf,
    pub(crate) control: PathBuf,
    pub(crate) tenants: Vec<(TenantId, PathBuf)>,
    pub(crate) tenants_listed: usize,
}

impl EmbeddedSnapshot {
    /// Returns every file to archive as (name inside the data directory, copy on disk):
    /// `control.db` first, then `tenants/tenant_<hex>.db`.
    pub fn files(&self) -> Vec<(String, PathBuf)> {
        let mut files = vec![("control.db".to_owned(), self.control.clone())];
        for (tenant, path) in &self.tenants {
            files.push((format!("tenants/{}.db", tenant.schema_name()), path.clone()));
        }
        files
    }

    /// Returns how many tenants the copied control database lists.
    pub fn tenant_count(&self) -> usize {
        self.tenants_listed
    }

    /// Returns the live data directory the copies were taken from.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Drop for EmbeddedSnapshot {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.dir)
            && err.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(dir = %self.dir.display(), error = %err, "could not remove a backup's temporary copies");
        }
    }
}

impl Store {
    /// Returns true on the embedded (SQLite) backend.
    pub fn is_embedded(&self) -> bool {
        matches!(self.backend, Backend::Sqlite(_))
    }

    /// Begins a read-only transaction that sees one consistent snapshot of the
    /// tenant's data, taken before this returns, for its whole life, without
    /// blocking writers: REPEATABLE
    /// READ on PostgreSQL, a deferred read transaction on its own connection
    /// (WAL snapshot) on SQLite. Writes through it fail.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn begin_snapshot(&self, tenant: &TenantId) -> Result<TenantTx, StoreError> {
        match &self.backend {
            Backend::Postgres(pg) => pg.begin_tenant_snapshot(tenant).await,
            Backend::Sqlite(lite) => lite.begin_tenant_snapshot(tenant).await,
        }
    }

    /// Copies the control database and every tenant database into a fresh
    /// directory under the data directory with `VACUUM INTO`, while the server
    /// keeps serving. Every tenant the copied control database lists has its
    /// copy (unless its database was never created: a tenant still
    /// `provisioning`, which startup finishes). Embedded backend only.
    #[tracing::instrument(skip_all)]
    pub async fn snapshot_embedded(&self) -> Result<EmbeddedSnapshot, StoreError> {
        match &self.backend {
            Backend::Sqlite(lite) => lite.snapshot().await,
            Backend::Postgres(_) => Err(StoreError::internal(
                "snapshot_embedded called on the PostgreSQL backend",
            )),
        }
    }

    /// Removes a tenant's schema (PostgreSQL) or database files (SQLite) and
    /// everything in them. Only for a tenant no longer listed in control, such
    /// as an abandoned import; absent data is not an error.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn drop_tenant_data(&self, tenant: &TenantId) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Postgres(pg) => pg.drop_tenant_schema(tenant).await,
            Backend::Sqlite(lite) => lite.drop_tenant_files(tenant).await,
        }
    }
}

impl Dialect {
    /// The SQL around a bound timestamp so that it is stored like the database's
    /// own `now()`: as is on PostgreSQL, normalised to the fixed-width UTC text
    /// on SQLite (sqlx binds RFC 3339 with a variable fraction, which would
    /// break "text order is time order").
    pub(crate) fn timestamp_param(self) -> (&'static str, &'static str) {
        match self {
            Self::Postgres => ("", ""),
            Self::Sqlite => ("strftime('%Y-%m-%dT%H:%M:%fZ', ", ")"),
        }
    }
}

/// Pushes one timestamp value (or NULL) of a `VALUES` tuple, as [`Dialect::timestamp_param`] says.
pub(crate) fn push_timestamp<DB, T>(
    b: &mut Separated<'_, DB, &'static str>,
    dialect: Dialect,
    at: T,
) where
    DB: Database,
    for<'q> T: Encode<'q, DB> + Type<DB>,
{
    let (open, close) = dialect.timestamp_param();
    b.push(open);
    b.push_bind_unseparated(at);
    b.push_unseparated(close);
}
