//! SCIM protocol errors: the HTTP status, the RFC 7644 §3.12 `scimType` and a client-facing detail.
//!
//! This module owns the error vocabulary of the crate; it does not build the SCIM error JSON
//! (that is the gateway's job, see STYLE.md §3).

/// The `scimType` error keywords of RFC 7644 §3.12 (Table 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimType {
    /// The filter syntax is invalid or the filter is too complex.
    InvalidFilter,
    /// The filter yields too many results or the request has too many operations.
    TooMany,
    /// A unique attribute value is already in use.
    Uniqueness,
    /// The request tries to modify an immutable or read-only attribute.
    Mutability,
    /// The request body is not valid SCIM syntax.
    InvalidSyntax,
    /// The PATCH `path` attribute is invalid or malformed.
    InvalidPath,
    /// The PATCH `path` did not yield an attribute or value that could be operated on.
    NoTarget,
    /// A required value is missing or a value is not compatible with the attribute.
    InvalidValue,
    /// The specified SCIM protocol version is not supported.
    InvalidVers,
    /// The request carries sensitive data in a place where it must not be (e.g. a URI).
    Sensitive,
}

impl ScimType {
    const ALL: [ScimType; 10] = [
        ScimType::InvalidFilter,
        ScimType::TooMany,
        ScimType::Uniqueness,
        ScimType::Mutability,
        ScimType::InvalidSyntax,
        ScimType::InvalidPath,
        ScimType::NoTarget,
        ScimType::InvalidValue,
        ScimType::InvalidVers,
        ScimType::Sensitive,
    ];

    /// Returns the keyword as written in a SCIM error response (`"invalidFilter"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }

    /// Returns the `ScimType` for an exact RFC keyword, or `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for ScimType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM protocol error: HTTP status, optional `scimType` and an actionable detail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{detail}")]
pub struct ScimError {
    /// The HTTP status code (400, 404, 409, …).
    pub status: u16,
    /// The RFC 7644 §3.12 `scimType`, when one applies.
    pub scim_type: Option<ScimType>,
    /// The human-readable detail shown to the client.
    pub detail: String,
}

impl ScimError {
    /// Returns an error with the given status, `scimType` and detail.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// Returns a 400 `invalidValue` error.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidValue), detail)
    }

    /// Returns a 400 `invalidSyntax` error.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidSyntax), detail)
    }

    /// Returns a 400 `invalidFilter` error.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidFilter), detail)
    }

    /// Returns a 400 `invalidPath` error.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::InvalidPath), detail)
    }

    /// Returns a 400 `noTarget` error.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::NoTarget), detail)
    }

    /// Returns a 400 `mutability` error.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::Mutability), detail)
    }

    /// Returns a 409 `uniqueness` error.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// Returns a 400 `tooMany` error.
    pub fn too_many(detail: impl Into<String>) -> Self {
        Self::new(400, Some(ScimType::TooMany), detail)
    }

    /// Returns a 404 error without a `scimType` (RFC 7644 §3.12 defines none for 404).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(404, None, detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scim_type_keywords_round_trip() {
        for t in ScimType::ALL {
            assert_eq!(ScimType::parse(t.as_str()), Some(t));
        }
        assert_eq!(ScimType::InvalidFilter.as_str(), "invalidFilter");
        assert_eq!(ScimType::NoTarget.as_str(), "noTarget");
        assert_eq!(ScimType::parse("InvalidFilter"), None);
        assert_eq!(ScimType::parse("bogus"), None);
    }

    #[test]
    fn constructors_set_status_and_scim_type() {
        let cases = [
            (
                ScimError::invalid_value("x"),
                400,
                Some(ScimType::InvalidValue),
            ),
            (
                ScimError::invalid_syntax("x"),
                400,
                Some(ScimType::InvalidSyntax),
            ),
            (
                ScimError::invalid_filter("x"),
                400,
                Some(ScimType::InvalidFilter),
            ),
            (
                ScimError::invalid_path("x"),
                400,
                Some(ScimType::InvalidPath),
            ),
            (ScimError::no_target("x"), 400, Some(ScimType::NoTarget)),
            (ScimError::mutability("x"), 400, Some(ScimType::Mutability)),
            (ScimError::uniqueness("x"), 409, Some(ScimType::Uniqueness)),
            (ScimError::too_many("x"), 400, Some(ScimType::TooMany)),
            (ScimError::not_found("x"), 404, None),
        ];
        for (err, status, scim_type) in cases {
            assert_eq!(err.status, status);
            assert_eq!(err.scim_type, scim_type);
            assert_eq!(err.to_string(), "x");
        }
    }
}
