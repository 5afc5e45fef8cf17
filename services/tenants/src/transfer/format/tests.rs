//! Unit tests of the document's lines: kinds, fields, older versions, order.

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

    let v1_end = r#"{"kind":"end","counts":{"providers":1,"users":2,"groups":3,"memberships":4}}"#;
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
