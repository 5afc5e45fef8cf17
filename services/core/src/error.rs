//! The closed set of error kinds that crosses every boundary.

/// Says how a caller should treat an error, whatever crate it came from.
///
/// Each error enum answers `kind()`; transports map kinds to their codes once
/// (gRPC in `roster-runtime`, SCIM/HTTP in the gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The request is malformed or violates a rule; retrying it unchanged fails again.
    InvalidInput,
    /// The addressed thing does not exist (or is not visible to the caller).
    NotFound,
    /// The change collides with existing state (a duplicate name, say).
    Conflict,
    /// The current state forbids the change (a provider that still owns users).
    PreconditionFailed,
    /// No valid credential was presented.
    Unauthenticated,
    /// The credential is valid but not allowed to do this.
    PermissionDenied,
    /// Too many requests; retry later.
    RateLimited,
    /// A dependency is unreachable or overloaded; retry later.
    Unavailable,
    /// A bug or an unexpected failure; the cause is logged, not shown.
    Internal,
}
