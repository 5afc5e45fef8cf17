//! Roster's persistence: the control plane (tenants, providers) and
//! tenant-scoped data (users, groups, memberships).
//!
//! Tenant data is reachable only through [`TenantTx`], which [`Store::begin`]
//! opens for one [`TenantId`]: on PostgreSQL a transaction whose
//! transaction-local `search_path` names that tenant's schema and nothing else.
//! Connections start with an empty search path, so a query that escaped the
//! handle would fail instead of reaching some tenant's tables.
//!
//! Backends plug in behind [`Store`] and [`TenantTx`] (an enum per backend);
//! service crates see only these types and the records below. This crate knows
//! SQL but not SCIM, tonic or axum.

mod control;
mod error;
mod migrate;
mod pg;
mod records;
mod tenant;

use roster_core::TenantId;

pub use error::StoreError;
pub use records::{
    CredentialKind, GroupCondition, GroupRecord, MemberRecord, MemberType, NewGroup, NewProvider,
    NewUser, ProviderRecord, TenantRecord, TenantState, UserCondition, UserRecord,
};
pub use tenant::TenantTx;

/// Connection settings for [`Store::connect`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// `postgres://` URL.
    pub url: String,
    /// Maximum open connections.
    pub max_connections: u32,
    /// How long to wait for a connection before answering Unavailable.
    pub acquire_timeout: std::time::Duration,
}

/// The handle every service holds: cheap to clone, shared by all requests.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Postgres(pg::PgBackend),
}

impl Store {
    /// Connects to the database and brings the control schema up to date.
    pub async fn connect(options: &StoreOptions) -> Result<Self, StoreError> {
        let backend = pg::PgBackend::connect(options).await?;
        backend.migrate_control().await?;
        Ok(Self {
            backend: Backend::Postgres(backend),
        })
    }

    /// Begins a transaction on one tenant's data; dropping it without
    /// [`TenantTx::commit`] rolls it back.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn begin(&self, tenant: &TenantId) -> Result<TenantTx, StoreError> {
        match &self.backend {
            Backend::Postgres(pg) => pg.begin_tenant(tenant).await,
        }
    }

    /// Creates the tenant's schema if needed and applies its pending migrations.
    /// Safe to repeat and to run concurrently: it resumes where it stopped.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn migrate_tenant(&self, tenant: &TenantId) -> Result<i32, StoreError> {
        match &self.backend {
            Backend::Postgres(pg) => pg.migrate_tenant(tenant).await,
        }
    }
}
