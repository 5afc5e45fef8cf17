//! Roster's SCIM 2.0 protocol library (RFC 7643, RFC 7644): schemas, resource validation,
//! filters and PATCH.
//!
//! Pure and synchronous: it owns the protocol rules and the IdP quirks (Entra, Okta) and must not
//! do I/O, talk to storage or know about HTTP frameworks. Callers hand it JSON and get JSON or a
//! [`ScimError`] back.

pub mod diff;
pub mod error;
pub mod filter;
pub mod patch;
pub mod resource;
pub mod schema;

pub use error::{ScimError, ScimType};
pub use schema::ResourceKind;
