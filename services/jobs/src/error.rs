//! Errors of the jobs service.

use roster_core::ErrorKind;
use roster_store::{JobState, StoreError};

/// What went wrong with a job or a jobs request.
#[derive(Debug, thiserror::Error)]
pub enum JobsError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[source] StoreError),
    /// No job with this id in the tenant.
    #[error("job {id} not found")]
    NotFound {
        /// The id asked for.
        id: String,
    },
    /// The job is not in a state the action applies to.
    #[error("job {id} is {}; only {allowed} jobs can be {action}", state.as_str())]
    WrongState {
        /// The job.
        id: String,
        /// Its state.
        state: JobState,
        /// The action, past tense (`retried`, `cancelled`).
        action: &'static str,
        /// The states it applies to.
        allowed: &'static str,
    },
    /// A cancelled job whose cancellation tidied its subject: retrying it cannot do its work.
    #[error("job {id} cannot be retried: cancelling it cleared what it was for; {hint}")]
    NotRetryable {
        /// The job.
        id: String,
        /// What to do instead.
        hint: &'static str,
    },
    /// Another live job holds the job's unique key.
    #[error("job {id} cannot be retried: another pending or running job has its key {key}")]
    KeyTaken {
        /// The job.
        id: String,
        /// Its unique key.
        key: String,
    },
    /// A request field is malformed.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A configuration value the service cannot use (found when it starts).
    #[error("{key}: {reason}")]
    Config {
        /// The configuration key, e.g. `smtp.from`.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A job's handler failed; the attempt is recorded as failed.
    #[error("{message}")]
    Handler {
        /// What failed, as the job's `last_error` shows it.
        message: String,
        /// Retrying cannot help (bad arguments, unknown kind): fail the job at once.
        permanent: bool,
    },
}

impl From<StoreError> for JobsError {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl JobsError {
    /// Returns a handler failure that a later attempt may overcome.
    pub fn handler(message: impl Into<String>) -> Self {
        Self::Handler {
            message: message.into(),
            permanent: false,
        }
    }

    /// Returns a handler failure that no later attempt can overcome.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self::Handler {
            message: message.into(),
            permanent: true,
        }
    }

    /// Returns how callers should treat the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Store(err) => err.kind(),
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::WrongState { .. } | Self::NotRetryable { .. } => ErrorKind::PreconditionFailed,
            Self::KeyTaken { .. } => ErrorKind::Conflict,
            Self::InvalidInput { .. } | Self::Config { .. } => ErrorKind::InvalidInput,
            Self::Handler { .. } => ErrorKind::Internal,
        }
    }
}
