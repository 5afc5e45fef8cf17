//! Roster's persistence: the control plane (tenants, providers) and
//! tenant-scoped data (users, groups, memberships), on PostgreSQL or on
//! embedded SQLite files.
//!
//! Tenant data is reachable only through [`TenantTx`], which [`Store::begin`]
//! opens for one [`TenantId`]:
//! - on PostgreSQL, a transaction whose transaction-local `search_path` names
//!   that tenant's schema and nothing else. Connections start with a search
//!   path holding no tenant schema, so a query that escaped the handle fails
//!   instead of reaching some tenant's tables;
//! - on SQLite, a `BEGIN IMMEDIATE` transaction on that tenant's own database
//!   file, the embedded counterpart of a schema.
//!
//! Both backends run the same SQL text wherever the dialects agree; the few
//! places they differ go through [`Dialect`]. Each query is written once and
//! compiled once per backend by the `on_tenant!` / `on_control!` macros, so a
//! query cannot exist for one backend only. Service crates see only [`Store`],
//! [`TenantTx`] and the records below; this crate knows SQL but not SCIM,
//! tonic or axum.

mod control;
mod error;
mod migrate;
mod pg;
mod records;
mod sqlite;
mod tenant;
mod transfer;

use std::path::PathBuf;
use std::time::Duration;

use roster_core::TenantId;

pub use control::jobs::DueTenant;
pub use error::StoreError;
pub use records::{
    CredentialKind, GroupCondition, GroupRecord, LOCAL_PROVIDER, LifecycleRecord, MemberRecord,
    MemberType, NewGroup, NewProvider, NewUser, ProviderRecord, Requester, TenantRecord,
    TenantState, UserCondition, UserRecord, UserState,
};
pub use tenant::TenantTx;
pub use tenant::digest::{
    CUSTOMER_CLOUD_ADMIN_ROLE, ChangeCount, DigestFrequency, DigestRecipient, DigestSettings,
    DigestSummary, DigestWindow, ProviderChanges, ProviderErrors, SYNC_ERROR_CHANGE,
    SyncErrorRecord,
};
pub use tenant::job_admin::{JobFilter, JobRecord, JobState};
pub use tenant::jobs::NewJob;
pub use tenant::lifecycle::{AdminUserFilter, DueChange, LifecycleUpdate, ProviderSettings};
pub use tenant::log_queries::{
    AuditLogQuery, AuditRecord, LogCursor, SyncLogQuery, SyncLogRecord, SyncLogSort,
};
pub use tenant::logs::{ActorKind, AuditEntry, SyncEntry};
pub use tenant::mapping::{
    GroupOrgMapping, GroupRoleMapping, MappingMethods, OrgMethod, RoleMethod,
};
pub use tenant::mapping_rules::MappingRule;
pub use tenant::organizations::{
    EffectiveSettings, NewOrganization, OrganizationRecord, OrganizationSettings,
};
pub use tenant::placement::{GrantedBy, Placement, UserRole};
pub use tenant::provisioning_errors::{
    NewProvisioningError, ProviderSyncSummary, ProvisioningErrorQuery, ProvisioningErrorRecord,
};
pub use tenant::queue::{ClaimedJob, FailedAttempt, backoff_secs};
pub use tenant::remaps::ApplyResult;
pub use tenant::retention::{PurgeCounts, SYNC_LOG_RETENTION_DAYS};
pub use tenant::roles::RoleRecord;
pub use tenant::test_hooks::CLOCK_OFFSET;
pub use transfer::{
    BASIC_ROLES, BUILTIN_ROLES, EmbeddedSnapshot, StoredApplyResult, StoredAuditEntry,
    StoredDigestSettings, StoredGroup, StoredGroupOrgMapping, StoredGroupRoleMapping, StoredJob,
    StoredMappingMethods, StoredMappingRule, StoredMembership, StoredOrganization,
    StoredOrganizationDefaultRole, StoredPendingRemap, StoredPlacement, StoredProviderSettings,
    StoredProvisioningError, StoredRole, StoredRoleAllowlistEntry, StoredSyncEntry, StoredUser,
    StoredUserRole, TOP_LEVEL_ORGANIZATION,
};

/// Where the data lives, for [`Store::connect`].
#[derive(Debug, Clone)]
pub enum StoreOptions {
    /// PostgreSQL: a control schema plus one schema per tenant.
    Postgres {
        /// `postgres://` URL.
        url: String,
        /// Maximum open connections.
        max_connections: u32,
        /// How long to wait for a connection before answering Unavailable.
        acquire_timeout: Duration,
    },
    /// Embedded SQLite: `control.db` plus one file per tenant under `data_dir/db`.
    Embedded {
        /// The data directory; this process must be its only user (a lock file enforces it).
        data_dir: PathBuf,
        /// How many tenant databases may be open at once; the least recently used is closed.
        max_open_tenants: usize,
        /// How long a write waits for a busy database, and a caller for a connection.
        busy_timeout: Duration,
    },
}

/// The latest tenant-schema version this build knows; both backends agree on it.
pub const TENANT_SCHEMA_VERSION: i32 = migrate::TENANT_SCHEMA_VERSION;

/// The handle every service holds: cheap to clone, shared by all requests.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Postgres(pg::PgBackend),
    Sqlite(sqlite::SqliteBackend),
}

/// The few places where PostgreSQL and SQLite SQL differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Postgres,
    Sqlite,
}

impl Dialect {
    /// The current time from the database's clock, in the form its timestamp
    /// columns store (SQLite: fixed-width RFC 3339 text, so text order is time order).
    pub(crate) fn now(self) -> &'static str {
        match self {
            Self::Postgres => "now()",
            Self::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        }
    }

    /// The current time of a tenant's data, for due times, leases and log entries. It is
    /// the database's clock; builds with the `test-clock` feature shift it by the tenant's
    /// `test_hooks.clock_offset_secs`, so tests move time for one tenant, across processes.
    /// Production builds never read that table. Only valid inside a [`TenantTx`].
    pub(crate) fn tenant_now(self) -> &'static str {
        #[cfg(not(feature = "test-clock"))]
        return self.now();
        #[cfg(feature = "test-clock")]
        match self {
            Self::Postgres => {
                "(now() + COALESCE((SELECT value FROM test_hooks WHERE name = 'clock_offset_secs'), 0) * interval '1 second')"
            }
            Self::Sqlite => {
                "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', COALESCE((SELECT value FROM test_hooks WHERE name = 'clock_offset_secs'), 0) || ' seconds')"
            }
        }
    }

    /// The tenant time `param` seconds from now (`param` names a bound integer, e.g. `$3`).
    pub(crate) fn tenant_now_plus(self, param: &str) -> String {
        match self {
            Self::Postgres => format!("({} + {param} * interval '1 second')", self.tenant_now()),
            Self::Sqlite => {
                #[cfg(not(feature = "test-clock"))]
                let shift = "0";
                #[cfg(feature = "test-clock")]
                let shift =
                    "COALESCE((SELECT value FROM test_hooks WHERE name = 'clock_offset_secs'), 0)";
                format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ({shift} + {param}) || ' seconds')")
            }
        }
    }

    /// Locks the selected rows, skipping rows another transaction holds, so concurrent
    /// workers claim disjoint jobs. On SQLite the transaction holds the write lock.
    pub(crate) fn for_update_skip_locked(self) -> &'static str {
        match self {
            Self::Postgres => " FOR UPDATE SKIP LOCKED",
            Self::Sqlite => "",
        }
    }

    /// Locks the selected rows until the transaction ends. On SQLite the
    /// transaction already holds the database's write lock (`BEGIN IMMEDIATE`).
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Self::Postgres => " FOR UPDATE",
            Self::Sqlite => "",
        }
    }
}

impl Store {
    /// Opens the store and brings the control schema up to date.
    pub async fn connect(options: &StoreOptions) -> Result<Self, StoreError> {
        let backend = match options {
            StoreOptions::Postgres {
                url,
                max_connections,
                acquire_timeout,
            } => {
                let backend =
                    pg::PgBackend::connect(url, *max_connections, *acquire_timeout).await?;
                backend.migrate_control().await?;
                Backend::Postgres(backend)
            }
            StoreOptions::Embedded {
                data_dir,
                max_open_tenants,
                busy_timeout,
            } => Backend::Sqlite(
                sqlite::SqliteBackend::open(data_dir, *max_open_tenants, *busy_timeout).await?,
            ),
        };
        Ok(Self { backend })
    }

    /// Which backend this store runs on: `"postgres"` or `"sqlite"`.
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Postgres(_) => "postgres",
            Backend::Sqlite(_) => "sqlite",
        }
    }

    /// Begins a transaction on one tenant's data; dropping it without
    /// [`TenantTx::commit`] rolls it back.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn begin(&self, tenant: &TenantId) -> Result<TenantTx, StoreError> {
        match &self.backend {
            Backend::Postgres(pg) => pg.begin_tenant(tenant).await,
            Backend::Sqlite(lite) => lite.begin_tenant(tenant).await,
        }
    }

    /// Creates the tenant's schema (or database file) if needed and applies its
    /// pending migrations. Safe to repeat: it resumes where it stopped.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn migrate_tenant(&self, tenant: &TenantId) -> Result<i32, StoreError> {
        let version = match &self.backend {
            Backend::Postgres(pg) => pg.migrate_tenant(tenant).await?,
            Backend::Sqlite(lite) => lite.migrate_tenant(tenant).await?,
        };
        self.record_schema_version(tenant, version).await?;
        Ok(version)
    }
}
