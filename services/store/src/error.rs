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
    /// Another process owns the embedded data directory.
    #[error(
        "the data directory {} is in use by another roster process{}",
        path.display(),
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
    )]
    DataDirInUse {
        /// The data directory.
        path: std::path::PathBuf,
        /// The owner's process id, as it recorded it.
        pid: Option<u32>,
    },
    /// A file of the embedded data directory could not be created or opened.
    #[error("cannot use {}", path.display())]
    DataDir {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
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
            Self::Unavailable { .. } | Self::DataDirInUse { .. } => ErrorKind::Unavailable,
            Self::DataDir { .. } => ErrorKind::Internal,
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
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict {
                constraint: db.constraint().unwrap_or("unique").to_owned(),
            },
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => Self::NotFound {
                kind: "referenced row",
            },
            sqlx::Error::Database(db) if is_transient(db.as_ref()) => {
                Self::Unavailable { source: err }
            }
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

/// Whether the database asks for the operation to be retried later.
fn is_transient(db: &dyn sqlx::error::DatabaseError) -> bool {
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes (low byte).
        let code: i32 = db.code().and_then(|c| c.parse().ok()).unwrap_or(0);
        return matches!(code & 0xff, 5 | 6);
    }
    // Serialization failure, deadlock, too many connections, shutting down.
    matches!(
        db.code().as_deref(),
        Some("40001" | "40P01" | "53300" | "57P01" | "57P03")
    )
}
