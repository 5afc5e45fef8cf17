//! Errors of the identity service.

use roster_core::ErrorKind;
use roster_scim::ScimError;
use roster_store::StoreError;

/// What went wrong with a Users or Groups operation.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The client's request is wrong; carries the SCIM status, scimType and detail.
    #[error("{0}")]
    Scim(#[from] ScimError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[source] StoreError),
}

impl From<crate::lifecycle::LifecycleError> for IdentityError {
    fn from(err: crate::lifecycle::LifecycleError) -> Self {
        Self::Scim(ScimError::new(412, None, err.to_string()))
    }
}

impl From<roster_organizations::OrganizationsError> for IdentityError {
    fn from(err: roster_organizations::OrganizationsError) -> Self {
        use roster_organizations::OrganizationsError as E;
        match err {
            E::Store(store) => Self::Store(store),
            E::NoMappingRule(detail) => Self::Scim(ScimError::invalid_value(detail)),
            other => Self::internal(other.to_string()),
        }
    }
}

impl From<StoreError> for IdentityError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl IdentityError {
    /// Returns a 404 for a resource the caller cannot see.
    pub fn not_found(kind: &str, id: &str) -> Self {
        Self::Scim(ScimError::not_found(format!("{kind} {id} not found")))
    }

    /// Returns an internal failure: logged where it is handled, never shown to a client.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Store(StoreError::internal(detail.into()))
    }

    /// Returns how callers should treat the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Scim(err) => match err.status {
                401 => ErrorKind::Unauthenticated,
                403 => ErrorKind::PermissionDenied,
                404 => ErrorKind::NotFound,
                409 => ErrorKind::Conflict,
                412 => ErrorKind::PreconditionFailed,
                429 => ErrorKind::RateLimited,
                503 => ErrorKind::Unavailable,
                500.. => ErrorKind::Internal,
                _ => ErrorKind::InvalidInput,
            },
            Self::Store(err) => err.kind(),
        }
    }
}
