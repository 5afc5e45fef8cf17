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
            Self::ProviderOwnsUsers { .. } => ErrorKind::PreconditionFailed,
            Self::Unauthenticated => ErrorKind::Unauthenticated,
            Self::Suspended => ErrorKind::PermissionDenied,
            Self::Store(err) => err.kind(),
        }
    }
}
