//! The `roster-tenant-export` document, version 1.
//!
//! JSON Lines: one JSON object per line, each with a `kind`. Records come in
//! the order of [`KINDS`]: one `header`, one `tenant`, then any number of
//! `provider`, `user`, `group` and `membership` records, and one `end` whose
//! counts must match what came before. Times are RFC 3339 in UTC; ids are
//! UUIDs; `secret_digest` is standard base64.
//!
//! New record kinds (jobs, logs) get a place in [`KINDS`] and a variant of
//! [`Record`]. A reader refuses every kind it does not know and every field it
//! does not know, so an older build never imports a document partly.

use roster_core::{GroupId, ProviderId, TenantId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::TenantsError;

/// The header's `format`.
pub(crate) const FORMAT: &str = "roster-tenant-export";
/// The header's `version`: the only one this build reads and writes.
pub(crate) const VERSION: u32 = 1;

/// Every record kind of version 1, in document order.
pub(crate) const KINDS: &[&str] = &[
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
    User(UserLine),
    Group(GroupLine),
    Membership(MembershipLine),
    End(EndLine),
}

impl Record {
    /// Returns the record's `kind`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Header(_) => "header",
            Self::Tenant(_) => "tenant",
            Self::Provider(_) => "provider",
            Self::User(_) => "user",
            Self::Group(_) => "group",
            Self::Membership(_) => "membership",
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
    /// Always [`VERSION`] for this build.
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

/// A provider with its credential digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderLine {
    pub id: ProviderId,
    pub name: String,
    /// `basic` or `bearer`.
    pub credential_kind: String,
    pub username: String,
    /// The keyed digest of the secret, standard base64.
    pub secret_digest: String,
    pub enabled: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub credential_issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// One e-mail index row of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailLine {
    pub type_key: Option<String>,
    pub value_key: String,
}

/// A user, every stored column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserLine {
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

/// A group, every stored column but its members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GroupLine {
    pub id: GroupId,
    pub provider_id: ProviderId,
    pub display_name: String,
    pub display_name_key: String,
    pub external_id: Option<String>,
    pub resource: serde_json::Value,
    pub version: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// One member of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MembershipLine {
    pub group_id: GroupId,
    pub member_id: uuid::Uuid,
    /// `User` or `Group`.
    pub member_type: String,
}

/// The last record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndLine {
    pub counts: EndCounts,
}

/// How many records of each kind the document holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndCounts {
    pub providers: u64,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
}

/// Parses one line, with errors that name the line and say what is wrong.
pub(crate) fn parse_line(line_no: u64, text: &str) -> Result<Record, TenantsError> {
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
    if !KINDS.contains(&kind) {
        return Err(invalid(format!(
            "unknown record kind {kind:?}; this build imports {FORMAT} version {VERSION} \
             records: {}",
            KINDS.join(", ")
        )));
    }
    let kind = kind.to_owned();
    serde_json::from_value(value).map_err(|err| invalid(format!("bad `{kind}` record: {err}")))
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
            resource: serde_json::json!({"userName": "Ann@Example.com", "active": true}),
            version: 3,
            created_at: at("2026-01-02T03:04:05.678Z"),
            updated_at: at("2026-01-02T03:04:06.123456Z"),
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
        assert_eq!(parse_line(1, text.trim()).unwrap(), record);
    }

    #[test]
    fn unknown_kinds_and_fields_are_refused_with_the_line() {
        let err = parse_line(7, r#"{"kind":"job","id":"x"}"#).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("line 7") && text.contains("unknown record kind \"job\""),
            "{text}"
        );
        assert_eq!(err.kind(), roster_core::ErrorKind::InvalidInput);

        let mut value = serde_json::to_value(Record::User(sample_user())).unwrap();
        value["nickname"] = serde_json::json!("x");
        let err = parse_line(3, &value.to_string()).unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("nickname"), "{err}");

        let err = parse_line(2, r#"{"kind":"user","id":"not-a-uuid"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad `user` record"), "{err}");
        for bad in ["", "[1]", "{\"kind\": 5}", "{\"id\": 1}"] {
            assert!(parse_line(1, bad).is_err(), "{bad:?} was accepted");
        }
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
    }
}
