//! Roster's core vocabulary: typed ids, validated names and the closed set of
//! error kinds every crate maps its errors onto. No I/O, no async.

mod error;
mod ids;
mod names;

pub use error::ErrorKind;
pub use ids::{
    GroupId, IdParseError, OrganizationId, ProviderId, RoleId, RuleId, TenantId, UserId,
};
pub use names::{Slug, SlugError, user_name_key};
