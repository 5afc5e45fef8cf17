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
pub(crate) mod tests;
