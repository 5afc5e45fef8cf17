//! The store's error type and the single translation from `sqlx::Error`.

use roster_core::ErrorKind;

/// What went wrong in the store, in the cases callers handle differently.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The violated constraint's name.
        constraint: String,
    },
    /// The addressed row does not exist.
    #[error("{kind} not found")]
    NotFound {
        /// What was looked for.
        kind: &'static str,
    },
    /// The database is unreachable, overloaded, or the transaction must be retried.
    #[error("database unavailable")]
    Unavailable {
        /// The cause.
        #[source]
        source: sqlx::Error,
    },
    /// Anything else; a bug or corrupted data.
    #[error("database error")]
    Internal {
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Returns how callers should treat the error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Conflict { .. } => ErrorKind::Conflict,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Unavailable { .. } => ErrorKind::Unavailable,
            Self::Internal { .. } => ErrorKind::Internal,
        }
    }

    /// Wraps an unexpected failure that is not a database error (bad stored data, say).
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal {
            source: source.into(),
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) => match db.code().as_deref() {
                Some("23505") => Self::Conflict {
                    constraint: db.constraint().unwrap_or("unique").to_owned(),
                },
                Some("23503") => Self::NotFound {
                    kind: "referenced row",
                },
                // Serialization failure, deadlock, too many connections, shutting down.
                Some("40001" | "40P01" | "53300" | "57P01" | "57P03") => {
                    Self::Unavailable { source: err }
                }
                _ => Self::Internal {
                    source: Box::new(err),
                },
            },
            sqlx::Error::RowNotFound => Self::NotFound { kind: "row" },
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable { source: err },
            _ => Self::Internal {
                source: Box::new(err),
            },
        }
    }
}
