//! Errors of the organizations and mapping services.

use roster_core::ErrorKind;
use roster_store::StoreError;

/// What went wrong with an organizations or mapping request.
#[derive(Debug, thiserror::Error)]
pub enum OrganizationsError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[source] StoreError),
    /// No such thing in the tenant.
    #[error("{kind} {id} not found")]
    NotFound {
        /// What was looked for: `organization`, `role`, `user`, `group`, `rule`, `provider`.
        kind: &'static str,
        /// The id or name asked for.
        id: String,
    },
    /// A request field is malformed or not allowed.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The request conflicts with what exists (a taken name).
    #[error("{0}")]
    Conflict(String),
    /// The request is well formed but the current state does not allow it.
    #[error("{0}")]
    PreconditionFailed(String),
    /// No attribute-filter rule of the provider matches a user it creates: the user is
    /// refused and nothing is stored.
    #[error("{0}")]
    NoMappingRule(String),
}

impl From<StoreError> for OrganizationsError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl OrganizationsError {
    /// Returns an invalid-input error.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// Returns a not-found error.
    pub fn not_found(kind: &'static str, id: impl ToString) -> Self {
        Self::NotFound {
            kind,
            id: id.to_string(),
        }
    }

    /// Returns how callers should treat the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Store(err) => err.kind(),
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::InvalidInput { .. } | Self::NoMappingRule(_) => ErrorKind::InvalidInput,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::PreconditionFailed(_) => ErrorKind::PreconditionFailed,
        }
    }
}
