//! Errors of the tenants service.

use roster_core::ErrorKind;
use roster_store::StoreError;

/// What went wrong in a control-plane operation.
#[derive(Debug, thiserror::Error)]
pub enum TenantsError {
    /// The slug does not match `^[a-z][a-z0-9-]{1,62}$`.
    #[error("{0}")]
    InvalidSlug(#[from] roster_core::SlugError),
    /// A field is invalid.
    #[error("{field}: {problem}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A tenant with this slug (or host) exists.
    #[error("tenant {slug} already exists")]
    TenantExists {
        /// The slug.
        slug: String,
    },
    /// No such tenant.
    #[error("tenant {slug} not found")]
    TenantNotFound {
        /// The slug.
        slug: String,
    },
    /// No such provider in the tenant.
    #[error("provider {id} not found in tenant {tenant}")]
    ProviderNotFound {
        /// The tenant's slug.
        tenant: String,
        /// The provider id as given.
        id: String,
    },
    /// The provider still owns users.
    #[error(
        "provider still owns {users} users; it can be deleted once it owns none (disable it to stop provisioning)"
    )]
    ProviderOwnsUsers {
        /// How many.
        users: i64,
    },
    /// The presented credential does not authenticate a provider of the tenant.
    #[error("invalid credentials")]
    Unauthenticated,
    /// The tenant is suspended.
    #[error("tenant is suspended")]
    Suspended,
    /// A tenant export document is malformed, truncated, or holds what this build cannot import.
    #[error("invalid export{}: {problem}", line.map(|n| format!(" (line {n})")).unwrap_or_default())]
    InvalidExport {
        /// The document's line, when the problem is in one.
        line: Option<u64>,
        /// What is wrong.
        problem: String,
    },
    /// The export's credential digests were made with another internal key.
    #[error(
        "the export's credential digests were made with another internal key (export {export}, \
         this deployment {ours}); start the target with services.key_file pointing at a copy of \
         the source's internal.key"
    )]
    KeyMismatch {
        /// The export's key fingerprint.
        export: String,
        /// This deployment's key fingerprint.
        ours: String,
    },
    /// A tenant with this id exists.
    #[error("a tenant with id {id} already exists (slug {slug})")]
    TenantIdExists {
        /// The id.
        id: String,
        /// The existing tenant's slug.
        slug: String,
    },
    /// A host name already resolves to a tenant.
    #[error("host name {host} already resolves to another tenant")]
    HostTaken {
        /// The host name.
        host: String,
    },
    /// The export's providers collide with providers of this deployment.
    #[error(
        "a provider of the export, or its credential, already exists in this deployment ({constraint})"
    )]
    ProviderExists {
        /// The unique constraint that refused them.
        constraint: String,
    },
    /// A backup was asked of a deployment whose data is not embedded.
    #[error(
        "roster backup copies the embedded SQLite data, but this deployment stores its data in \
         PostgreSQL: use pg_dump (or your database's own backups) instead"
    )]
    NotEmbedded,
    /// The other side of a streamed transfer went away.
    #[error("the transfer was interrupted: {0}")]
    Interrupted(String),
    /// Local I/O failed (writing a backup archive, encoding a record).
    #[error("{what}")]
    Io {
        /// What was being done, as a verb phrase.
        what: &'static str,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The store failed.
    #[error("store: {0}")]
    Store(#[source] StoreError),
}

impl From<StoreError> for TenantsError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl TenantsError {
    /// Returns how callers should treat the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::InvalidSlug(_) | Self::InvalidField { .. } => ErrorKind::InvalidInput,
            Self::TenantExists { .. } => ErrorKind::Conflict,
            Self::TenantNotFound { .. } | Self::ProviderNotFound { .. } => ErrorKind::NotFound,
            Self::ProviderOwnsUsers { .. } | Self::KeyMismatch { .. } | Self::NotEmbedded => {
                ErrorKind::PreconditionFailed
            }
            Self::InvalidExport { .. } => ErrorKind::InvalidInput,
            Self::TenantIdExists { .. } | Self::HostTaken { .. } | Self::ProviderExists { .. } => {
                ErrorKind::Conflict
            }
            Self::Interrupted(_) => ErrorKind::Unavailable,
            Self::Io { .. } => ErrorKind::Internal,
            Self::Unauthenticated => ErrorKind::Unauthenticated,
            Self::Suspended => ErrorKind::PermissionDenied,
            Self::Store(err) => err.kind(),
        }
    }
}
