//! Typed ids. Each wraps a UUID so a tenant id can never be passed where a
//! user id is expected.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Returned when text is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid id")]
pub struct IdParseError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Returns a new random, time-ordered id (UUIDv7).
            pub fn generate() -> Self {
                Self(Uuid::now_v7())
            }

            /// Wraps an existing UUID.
            pub fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// Returns the UUID inside.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// Parses the canonical hyphenated lowercase form; anything else is refused,
            /// so one id has exactly one spelling.
            pub fn parse(text: &str) -> Result<Self, IdParseError> {
                let uuid = Uuid::try_parse(text).map_err(|_| IdParseError)?;
                if uuid.hyphenated().to_string() != text {
                    return Err(IdParseError);
                }
                Ok(Self(uuid))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

uuid_id!(
    /// Identifies a tenant.
    TenantId
);
uuid_id!(
    /// Identifies an identity provider of a tenant.
    ProviderId
);
uuid_id!(
    /// Identifies a user (its SCIM `id`).
    UserId
);
uuid_id!(
    /// Identifies a group (its SCIM `id`).
    GroupId
);

uuid_id!(
    /// Identifies an organization of a tenant.
    OrganizationId
);
uuid_id!(
    /// Identifies a role of a tenant's roles catalogue.
    RoleId
);
uuid_id!(
    /// Identifies an attribute-filter mapping rule of a provider.
    RuleId
);

impl OrganizationId {
    /// The top-level organization every tenant starts with (seeded by tenant migration 0003).
    pub const TOP_LEVEL: Self = Self(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001));
}

impl RoleId {
    /// Customer Cloud Admin: administers the environment, receives the sync digest.
    pub const CUSTOMER_CLOUD_ADMIN: Self =
        Self(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0101));
    /// Identity Management Administrator.
    pub const IDENTITY_MANAGEMENT_ADMINISTRATOR: Self =
        Self(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0102));
    /// Desktop User.
    pub const DESKTOP_USER: Self = Self(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0103));
    /// PROe User.
    pub const PROE_USER: Self = Self(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0104));
    /// Agent User.
    pub const AGENT_USER: Self = Self(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0105));
    /// The roles a new provider may grant until an admin changes its allowlist: the basic
    /// user roles, none of the administrator roles.
    pub const DEFAULT_ALLOWLIST: [Self; 3] = [Self::DESKTOP_USER, Self::PROE_USER, Self::AGENT_USER];
}

impl TenantId {
    /// Returns the name of the tenant's PostgreSQL schema, derived only from the id.
    pub fn schema_name(&self) -> String {
        format!("tenant_{}", self.0.simple())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_the_canonical_spelling() {
        let id = UserId::generate();
        assert_eq!(UserId::parse(&id.to_string()), Ok(id));
        assert!(UserId::parse(&id.to_string().to_uppercase()).is_err());
        assert!(UserId::parse(&id.as_uuid().simple().to_string()).is_err());
        assert!(UserId::parse("not-an-id").is_err());
        assert!(UserId::parse("").is_err());
    }

    #[test]
    fn seeded_ids_match_tenant_migration_0003() {
        assert_eq!(
            OrganizationId::TOP_LEVEL.to_string(),
            "00000000-0000-4000-8000-000000000001"
        );
        assert_eq!(
            RoleId::CUSTOMER_CLOUD_ADMIN.to_string(),
            "00000000-0000-4000-8000-000000000101"
        );
        assert_eq!(
            RoleId::AGENT_USER.to_string(),
            "00000000-0000-4000-8000-000000000105"
        );
    }

    #[test]
    fn schema_name_is_hex_only() {
        let id = TenantId::parse("0190b4a2-1c2d-7e3f-8a4b-5c6d7e8f9a0b").unwrap();
        assert_eq!(id.schema_name(), "tenant_0190b4a21c2d7e3f8a4b5c6d7e8f9a0b");
    }
}
