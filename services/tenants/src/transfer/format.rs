//! The `roster-tenant-export` document, version 3 (versions 1 and 2 are still read).
//!
//! JSON Lines: one JSON object per line, each with a `kind`. Records come in
//! the order of [`KINDS`]: one `header`, one `tenant`, then any number of data
//! records, one kind after the other, and one `end` whose counts must match
//! what came before. Times are RFC 3339 in UTC; ids are UUIDs;
//! `secret_digest` is standard base64.
//!
//! Version 3 added the tables of tenant migration 0003 (organizations, roles,
//! mappings, apply results, digest settings: `mapping.rs`), a user's
//! organization and a provider's mapping methods. Version 2 had neither; version
//! 1 had no lifecycle facts on `user` and no kinds after `membership` but
//! `end`. Older `user`, `provider_settings` and `end` records are read as
//! `older.rs` and `end.rs` say and converted with the defaults the migrations
//! gave existing data. A new record kind gets a place in [`KINDS`] and a
//! variant of [`Record`]. A reader refuses every kind its document's version
//! does not have and every field it does not know, so an older build never
//! imports a document partly.

mod end;
mod lines;
mod mapping;
mod older;
mod tables;

use roster_core::TenantId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub(crate) use self::end::{EndCounts, EndLine};
use self::end::{EndLineV1, EndLineV2};
pub(crate) use self::lines::{EmailLine, GroupLine, MembershipLine, ProviderLine, UserLine};
pub(crate) use self::mapping::{
    ApplyResultLine, DigestSettingsLine, GroupOrgMappingLine, GroupRoleMappingLine,
    MappingRuleLine, OrganizationDefaultRoleLine, OrganizationLine, PendingRemapLine,
    RoleAllowlistLine, RoleLine, UserRoleLine,
};
use self::older::{ProviderSettingsLineV2, UserLineV1, UserLineV2};
pub(crate) use self::tables::{
    AuditEntryLine, JobLine, ProviderSettingsLine, ProvisioningErrorLine, SyncEntryLine,
};
use crate::TenantsError;

/// The header's `format`.
pub(crate) const FORMAT: &str = "roster-tenant-export";
/// The header's `version` this build writes.
pub(crate) const VERSION: u32 = 3;
/// Every version this build reads.
pub(crate) const READABLE_VERSIONS: &[u32] = &[1, 2, 3];

/// Every record kind of version 3, in document order: a row comes after the rows it
/// refers to (organizations, though, in id order: the loader sorts their tree).
pub(crate) const KINDS: &[&str] = &[
    "header",
    "tenant",
    "provider",
    "provider_settings",
    "digest_settings",
    "organization",
    "role",
    "organization_default_role",
    "user",
    "user_role",
    "group",
    "membership",
    "group_org_mapping",
    "group_role_mapping",
    "role_allowlist_entry",
    "mapping_rule",
    "pending_remap",
    "job",
    "apply_result",
    "sync_entry",
    "audit_entry",
    "provisioning_error",
    "end",
];

/// Every record kind of version 2, in document order (a subsequence of [`KINDS`]).
const KINDS_V2: &[&str] = &[
    "header",
    "tenant",
    "provider",
    "provider_settings",
    "user",
    "group",
    "membership",
    "job",
    "sync_entry",
    "audit_entry",
    "provisioning_error",
    "end",
];

/// Every record kind of version 1, in document order (a subsequence of [`KINDS`]).
const KINDS_V1: &[&str] = &[
    "header",
    "tenant",
    "provider",
    "user",
    "group",
    "membership",
    "end",
];

/// One line of the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Record {
    Header(HeaderLine),
    Tenant(TenantLine),
    Provider(ProviderLine),
    ProviderSettings(ProviderSettingsLine),
    DigestSettings(DigestSettingsLine),
    Organization(OrganizationLine),
    Role(RoleLine),
    OrganizationDefaultRole(OrganizationDefaultRoleLine),
    User(UserLine),
    UserRole(UserRoleLine),
    Group(GroupLine),
    Membership(MembershipLine),
    GroupOrgMapping(GroupOrgMappingLine),
    GroupRoleMapping(GroupRoleMappingLine),
    RoleAllowlistEntry(RoleAllowlistLine),
    MappingRule(MappingRuleLine),
    PendingRemap(PendingRemapLine),
    Job(JobLine),
    ApplyResult(ApplyResultLine),
    SyncEntry(SyncEntryLine),
    AuditEntry(AuditEntryLine),
    ProvisioningError(ProvisioningErrorLine),
    End(EndLine),
}

impl Record {
    /// Returns the record's `kind`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Header(_) => "header",
            Self::Tenant(_) => "tenant",
            Self::Provider(_) => "provider",
            Self::ProviderSettings(_) => "provider_settings",
            Self::DigestSettings(_) => "digest_settings",
            Self::Organization(_) => "organization",
            Self::Role(_) => "role",
            Self::OrganizationDefaultRole(_) => "organization_default_role",
            Self::User(_) => "user",
            Self::UserRole(_) => "user_role",
            Self::Group(_) => "group",
            Self::Membership(_) => "membership",
            Self::GroupOrgMapping(_) => "group_org_mapping",
            Self::GroupRoleMapping(_) => "group_role_mapping",
            Self::RoleAllowlistEntry(_) => "role_allowlist_entry",
            Self::MappingRule(_) => "mapping_rule",
            Self::PendingRemap(_) => "pending_remap",
            Self::Job(_) => "job",
            Self::ApplyResult(_) => "apply_result",
            Self::SyncEntry(_) => "sync_entry",
            Self::AuditEntry(_) => "audit_entry",
            Self::ProvisioningError(_) => "provisioning_error",
            Self::End(_) => "end",
        }
    }

    /// Returns the kind's position in document order.
    pub(crate) fn rank(&self) -> usize {
        let kind = self.kind();
        KINDS.iter().position(|k| *k == kind).unwrap_or(KINDS.len())
    }
}

/// The first record: what the document is and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeaderLine {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] when this build writes it; one of [`READABLE_VERSIONS`] to be read.
    pub version: u32,
    /// The source's backend, `postgres` or `sqlite` (information only).
    pub backend: String,
    /// The source's internal-key fingerprint: the credential digests are only
    /// valid under the same key.
    pub key_fingerprint: String,
    /// When the export began.
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    /// The exporting build's version (information only).
    pub roster_version: String,
}

/// The tenant itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TenantLine {
    pub id: TenantId,
    pub slug: String,
    /// `active` or `suspended`.
    pub state: String,
    pub hosts: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// Parses one line of a document of `version` (one of [`READABLE_VERSIONS`]), with errors
/// that name the line and say what is wrong.
pub(crate) fn parse_line(line_no: u64, text: &str, version: u32) -> Result<Record, TenantsError> {
    let invalid = |problem: String| TenantsError::InvalidExport {
        line: Some(line_no),
        problem,
    };
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|err| invalid(format!("not a JSON object: {err}")))?;
    let kind = value
        .get("kind")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| invalid("the record has no string `kind`".to_owned()))?;
    let kinds = match version {
        1 => KINDS_V1,
        2 => KINDS_V2,
        _ => KINDS,
    };
    if !kinds.contains(&kind) {
        return Err(invalid(format!(
            "unknown record kind {kind:?}; {FORMAT} version {version} has the records: {}",
            kinds.join(", ")
        )));
    }
    let kind = kind.to_owned();
    let bad = |err: serde_json::Error| invalid(format!("bad `{kind}` record: {err}"));
    let mut value = value;
    match (version, kind.as_str()) {
        (1, "user") => {
            strip_kind(&mut value);
            let v1: UserLineV1 = serde_json::from_value(value).map_err(bad)?;
            Ok(Record::User(UserLineV2::from(v1).into()))
        }
        (2, "user") => {
            strip_kind(&mut value);
            let v2: UserLineV2 = serde_json::from_value(value).map_err(bad)?;
            Ok(Record::User(v2.into()))
        }
        (2, "provider_settings") => {
            strip_kind(&mut value);
            let v2: ProviderSettingsLineV2 = serde_json::from_value(value).map_err(bad)?;
            Ok(Record::ProviderSettings(v2.into()))
        }
        (1, "end") => {
            strip_kind(&mut value);
            let v1: EndLineV1 = serde_json::from_value(value).map_err(bad)?;
            Ok(Record::End(EndLine {
                counts: v1.counts.into(),
            }))
        }
        (2, "end") => {
            strip_kind(&mut value);
            let v2: EndLineV2 = serde_json::from_value(value).map_err(bad)?;
            Ok(Record::End(EndLine {
                counts: v2.counts.into(),
            }))
        }
        _ => serde_json::from_value(value).map_err(bad),
    }
}

/// Removes the `kind` tag, for a record read into its line type directly.
fn strip_kind(value: &mut serde_json::Value) {
    if let Some(object) = value.as_object_mut() {
        object.remove("kind");
    }
}

/// Serialises one record as a line, newline included.
pub(crate) fn write_line(out: &mut Vec<u8>, record: &Record) -> Result<(), TenantsError> {
    serde_json::to_writer(&mut *out, record).map_err(|err| TenantsError::Io {
        what: "encode an export record",
        source: err.into(),
    })?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use roster_core::{ProviderId, UserId};

    use super::*;

    /// Parses an RFC 3339 test time.
    pub(crate) fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
    }

    /// A user line with every field set, for the format and conversion tests.
    pub(crate) fn sample_user() -> UserLine {
        UserLine {
            id: UserId::generate(),
            provider_id: ProviderId::generate(),
            user_name: "Ann@Example.com".to_owned(),
            user_name_key: "ann@example.com".to_owned(),
            external_id: Some("00u1".to_owned()),
            display_name_key: None,
            emails: vec![EmailLine {
                type_key: Some("work".to_owned()),
                value_key: "ann@example.com".to_owned(),
            }],
            resource: serde_json::json!({"userName": "Ann@Example.com", "active": false}),
            version: 3,
            created_at: at("2026-01-02T03:04:05.678Z"),
            updated_at: at("2026-01-02T03:04:06.123456Z"),
            state: "blocked".to_owned(),
            deactivation_due_at: Some(at("2026-01-03T03:04:06Z")),
            deactivation_requested_by: Some("provider".to_owned()),
            legal_hold: true,
            deleted_by_provider: false,
            deleted_at: None,
            admin_override: false,
            lifecycle_version: 4,
            state_changed_at: Some(at("2026-01-02T03:04:06.123456Z")),
            org_id: uuid::Uuid::from_u128(0x0197_0000_0000_7000_8000_0000_0000_0042),
            org_set_by: "admin".to_owned(),
            org_reason: Some("moved by an admin".to_owned()),
            profile: Some("Engineering".to_owned()),
            storage_region: Some("eu-west".to_owned()),
            quota_bytes: Some(1 << 40),
        }
    }

    #[test]
    fn records_round_trip_through_a_line_with_their_kind() {
        let record = Record::User(sample_user());
        let mut out = Vec::new();
        write_line(&mut out, &record).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with('\n') && text.matches('\n').count() == 1,
            "{text}"
        );
        let value: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(value["kind"], "user");
        assert_eq!(value["created_at"], "2026-01-02T03:04:05.678Z");
        assert_eq!(value["legal_hold"], true);
        assert_eq!(value["lifecycle_version"], 4);
        assert_eq!(parse_line(1, text.trim(), VERSION).unwrap(), record);
    }

    #[test]
    fn unknown_kinds_and_fields_are_refused_with_the_line() {
        let err = parse_line(7, r#"{"kind":"webhook","id":"x"}"#, VERSION).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("line 7") && text.contains("unknown record kind \"webhook\""),
            "{text}"
        );
        assert_eq!(err.kind(), roster_core::ErrorKind::InvalidInput);
        // Version 1 had no jobs; version 2 does, and checks the record.
        let job = r#"{"kind":"job","id":"x"}"#;
        let err = parse_line(7, job, 1).unwrap_err().to_string();
        assert!(err.contains("unknown record kind \"job\""), "{err}");
        let err = parse_line(7, job, 2).unwrap_err().to_string();
        assert!(err.contains("bad `job` record"), "{err}");

        let mut value = serde_json::to_value(Record::User(sample_user())).unwrap();
        value["nickname"] = serde_json::json!("x");
        let err = parse_line(3, &value.to_string(), VERSION)
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("nickname"), "{err}");
        // A version 2 user without its lifecycle facts is incomplete.
        let mut value = serde_json::to_value(Record::User(sample_user())).unwrap();
        value.as_object_mut().unwrap().remove("legal_hold");
        let err = parse_line(3, &value.to_string(), VERSION)
            .unwrap_err()
            .to_string();
        assert!(err.contains("legal_hold"), "{err}");

        let err = parse_line(2, r#"{"kind":"user","id":"not-a-uuid"}"#, VERSION)
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad `user` record"), "{err}");
        for bad in ["", "[1]", "{\"kind\": 5}", "{\"id\": 1}"] {
            assert!(parse_line(1, bad, VERSION).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn version_1_users_and_counts_are_read_with_lifecycle_defaults() {
        let full = sample_user();
        let mut value = serde_json::to_value(Record::User(full.clone())).unwrap();
        let object = value.as_object_mut().unwrap();
        for field in [
            "state",
            "deactivation_due_at",
            "deactivation_requested_by",
            "legal_hold",
            "deleted_by_provider",
            "deleted_at",
            "admin_override",
            "lifecycle_version",
            "state_changed_at",
        ]
        .into_iter()
        .chain(super::older::tests::PLACEMENT_FIELDS)
        {
            object.remove(field);
        }
        let Record::User(user) = parse_line(4, &value.to_string(), 1).unwrap() else {
            panic!("not a user");
        };
        // Its provider had set it inactive: blocked, as migration 0002 did, nothing pending.
        assert_eq!(user.state, "blocked");
        assert_eq!(
            (
                user.legal_hold,
                user.lifecycle_version,
                user.deactivation_due_at
            ),
            (false, 1, None)
        );
        assert_eq!((user.id, user.version), (full.id, full.version));
        value["resource"]["active"] = serde_json::json!(true);
        let Record::User(user) = parse_line(4, &value.to_string(), 1).unwrap() else {
            panic!("not a user");
        };
        assert_eq!(user.state, "active");
        // Lifecycle fields are unknown to version 1.
        let full = serde_json::to_value(Record::User(sample_user())).unwrap();
        assert!(parse_line(4, &full.to_string(), 1).is_err());

        let v1_end =
            r#"{"kind":"end","counts":{"providers":1,"users":2,"groups":3,"memberships":4}}"#;
        let Record::End(end) = parse_line(9, v1_end, 1).unwrap() else {
            panic!("not an end");
        };
        assert_eq!((end.counts.users, end.counts.jobs), (2, 0));
        // Version 2 counts every kind.
        let err = parse_line(9, v1_end, 2).unwrap_err().to_string();
        assert!(err.contains("provider_settings"), "{err}");
    }

    #[test]
    fn document_order_follows_kinds() {
        let end = Record::End(EndLine {
            counts: EndCounts::default(),
        });
        let user = Record::User(sample_user());
        assert!(user.rank() < end.rank());
        assert_eq!(KINDS[end.rank()], "end");
        assert_eq!(KINDS[user.rank()], "user");
        // Older versions' orders are this one's with kinds left out.
        for older in [KINDS_V1, KINDS_V2] {
            let ranks: Vec<usize> = older
                .iter()
                .map(|k| KINDS.iter().position(|x| x == k).unwrap())
                .collect();
            assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{ranks:?}");
        }
    }
}
