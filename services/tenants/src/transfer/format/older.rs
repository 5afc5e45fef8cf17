//! Records of older versions, read and converted to this version's with the
//! defaults the tenant migrations gave existing data: a version 1 `user` has no
//! lifecycle facts (migration 0002), a version 2 `user` no organization and a
//! version 2 `provider_settings` no mapping methods (migration 0003).

use roster_core::{ProviderId, UserId};
use roster_store::{StoredMappingMethods, StoredPlacement};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{EmailLine, ProviderSettingsLine, UserLine};

/// A version 1 user: no lifecycle facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserLineV1 {
    pub id: UserId,
    pub provider_id: ProviderId,
    pub user_name: String,
    pub user_name_key: String,
    pub external_id: Option<String>,
    pub display_name_key: Option<String>,
    pub emails: Vec<EmailLine>,
    pub resource: serde_json::Value,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A version 2 user: lifecycle facts, no organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserLineV2 {
    pub id: UserId,
    pub provider_id: ProviderId,
    pub user_name: String,
    pub user_name_key: String,
    pub external_id: Option<String>,
    pub display_name_key: Option<String>,
    pub emails: Vec<EmailLine>,
    pub resource: serde_json::Value,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub state: String,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deactivation_due_at: Option<OffsetDateTime>,
    pub deactivation_requested_by: Option<String>,
    pub legal_hold: bool,
    pub deleted_by_provider: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub deleted_at: Option<OffsetDateTime>,
    pub admin_override: bool,
    pub lifecycle_version: i64,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub state_changed_at: Option<OffsetDateTime>,
}

impl From<UserLineV1> for UserLineV2 {
    /// Gives a version 1 user the lifecycle defaults, as tenant migration 0002 gave the users
    /// it found: active, except that a user its provider had set inactive is blocked (with
    /// nothing scheduled), so that it does not regain access by moving.
    fn from(v1: UserLineV1) -> Self {
        let inactive = v1.resource.get("active") == Some(&serde_json::Value::Bool(false));
        Self {
            state: if inactive { "blocked" } else { "active" }.to_owned(),
            deactivation_due_at: None,
            deactivation_requested_by: None,
            legal_hold: false,
            deleted_by_provider: false,
            deleted_at: None,
            admin_override: false,
            lifecycle_version: 1,
            state_changed_at: None,
            id: v1.id,
            provider_id: v1.provider_id,
            user_name: v1.user_name,
            user_name_key: v1.user_name_key,
            external_id: v1.external_id,
            display_name_key: v1.display_name_key,
            emails: v1.emails,
            resource: v1.resource,
            version: v1.version,
            created_at: v1.created_at,
            updated_at: v1.updated_at,
        }
    }
}

impl From<UserLineV2> for UserLine {
    /// Places a version 2 user as tenant migration 0003 placed the users it found: in the
    /// top-level organization, by mapping, with the organization's profile, region and quota.
    fn from(v2: UserLineV2) -> Self {
        let placement = StoredPlacement::default();
        Self {
            org_id: placement.org_id,
            org_set_by: placement.org_set_by,
            org_reason: placement.org_reason,
            profile: placement.profile,
            storage_region: placement.storage_region,
            quota_bytes: placement.quota_bytes,
            id: v2.id,
            provider_id: v2.provider_id,
            user_name: v2.user_name,
            user_name_key: v2.user_name_key,
            external_id: v2.external_id,
            display_name_key: v2.display_name_key,
            emails: v2.emails,
            resource: v2.resource,
            version: v2.version,
            created_at: v2.created_at,
            updated_at: v2.updated_at,
            state: v2.state,
            deactivation_due_at: v2.deactivation_due_at,
            deactivation_requested_by: v2.deactivation_requested_by,
            legal_hold: v2.legal_hold,
            deleted_by_provider: v2.deleted_by_provider,
            deleted_at: v2.deleted_at,
            admin_override: v2.admin_override,
            lifecycle_version: v2.lifecycle_version,
            state_changed_at: v2.state_changed_at,
        }
    }
}

/// Version 2 provider settings: no mapping methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderSettingsLineV2 {
    pub provider_id: ProviderId,
    pub username: String,
    pub deactivation_delay_secs: i64,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<ProviderSettingsLineV2> for ProviderSettingsLine {
    /// Gives version 2 settings the mapping methods tenant migration 0003 gave existing
    /// providers: everyone in the top-level organization, roles by hand.
    fn from(v2: ProviderSettingsLineV2) -> Self {
        let methods = StoredMappingMethods::default();
        Self {
            provider_id: v2.provider_id,
            username: v2.username,
            deactivation_delay_secs: v2.deactivation_delay_secs,
            last_success_at: v2.last_success_at,
            updated_at: v2.updated_at,
            org_method: methods.org_method,
            org_target_id: methods.org_target_id,
            org_parent_id: methods.org_parent_id,
            role_method: methods.role_method,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use roster_store::TOP_LEVEL_ORGANIZATION;

    use super::super::{Record, VERSION, parse_line, tests::sample_user};

    /// The `user` fields version 3 added.
    pub(crate) const PLACEMENT_FIELDS: [&str; 6] = [
        "org_id",
        "org_set_by",
        "org_reason",
        "profile",
        "storage_region",
        "quota_bytes",
    ];

    #[test]
    fn version_2_users_and_settings_get_the_defaults_of_migration_0003() {
        let full = sample_user();
        let mut value = serde_json::to_value(Record::User(full.clone())).unwrap();
        for field in PLACEMENT_FIELDS {
            value.as_object_mut().unwrap().remove(field);
        }
        let Record::User(user) = parse_line(4, &value.to_string(), 2).unwrap() else {
            panic!("not a user");
        };
        assert_eq!(
            (user.org_id, user.org_set_by.as_str(), user.quota_bytes),
            (TOP_LEVEL_ORGANIZATION, "mapping", None)
        );
        assert_eq!(
            (user.legal_hold, user.lifecycle_version),
            (full.legal_hold, full.lifecycle_version)
        );
        // Version 3 needs the placement; version 2 does not know it.
        assert!(parse_line(4, &value.to_string(), VERSION).is_err());
        let full = serde_json::to_value(Record::User(sample_user())).unwrap();
        let err = parse_line(4, &full.to_string(), 2).unwrap_err().to_string();
        assert!(err.contains("org_id"), "{err}");

        let settings = r#"{"kind":"provider_settings","provider_id":"0197a0a0-0000-7000-8000-000000000001","username":"scim-okta","deactivation_delay_secs":60,"last_success_at":null,"updated_at":"2026-01-01T00:00:00Z"}"#;
        let Record::ProviderSettings(line) = parse_line(3, settings, 2).unwrap() else {
            panic!("not settings");
        };
        assert_eq!(
            (
                line.org_method.as_str(),
                line.org_target_id,
                line.role_method.as_str()
            ),
            ("single", TOP_LEVEL_ORGANIZATION, "manual")
        );
        assert!(parse_line(3, settings, VERSION).is_err());

        // Version 2 has no organizations; its `end` counts nine kinds.
        let org = r#"{"kind":"organization"}"#;
        let err = parse_line(5, org, 2).unwrap_err().to_string();
        assert!(err.contains("unknown record kind"), "{err}");
        let v2_end = r#"{"kind":"end","counts":{"providers":1,"provider_settings":1,"users":2,"groups":0,"memberships":0,"jobs":3,"sync_entries":0,"audit_entries":0,"provisioning_errors":0}}"#;
        let Record::End(end) = parse_line(9, v2_end, 2).unwrap() else {
            panic!("not an end");
        };
        assert_eq!((end.counts.jobs, end.counts.organizations), (3, 0));
        let err = parse_line(9, v2_end, VERSION).unwrap_err().to_string();
        assert!(err.contains("digest_settings"), "{err}");
    }
}
