//! Unit tests of the checks on the records of tenant migration 0003.

use roster_store::{BUILTIN_ROLES, TOP_LEVEL_ORGANIZATION};
use uuid::Uuid;

use super::*;
use crate::transfer::format::tests::at;

fn org(id: Uuid, parent: Option<Uuid>) -> OrganizationLine {
    OrganizationLine {
        id,
        name: "Sales".to_owned(),
        name_key: "sales".to_owned(),
        parent_id: parent,
        inherits: false,
        profile: Some("Field".to_owned()),
        storage_region: None,
        quota_bytes: Some(1 << 30),
        created_at: at("2026-01-01T00:00:00Z"),
        updated_at: at("2026-01-02T00:00:00.5Z"),
    }
}

fn role(id: Uuid, builtin: bool) -> RoleLine {
    RoleLine {
        id,
        name: "Desktop Users".to_owned(),
        name_key: "desktop users".to_owned(),
        builtin,
        description: "Renamed by an admin".to_owned(),
        created_at: at("2026-01-01T00:00:00Z"),
    }
}

#[test]
fn only_the_top_level_organization_has_no_parent() {
    let child = org(Uuid::now_v7(), Some(TOP_LEVEL_ORGANIZATION));
    let stored = child.clone().into_stored().unwrap();
    assert_eq!(OrganizationLine::from(stored), child);
    assert!(org(TOP_LEVEL_ORGANIZATION, None).into_stored().is_ok());

    let err = org(Uuid::now_v7(), None).into_stored().unwrap_err();
    assert!(err.contains("no parent"), "{err}");
    let err = org(TOP_LEVEL_ORGANIZATION, Some(Uuid::now_v7()))
        .into_stored()
        .unwrap_err();
    assert!(err.contains("has a parent"), "{err}");
    let id = Uuid::now_v7();
    assert!(
        org(id, Some(id))
            .into_stored()
            .unwrap_err()
            .contains("own parent")
    );
    let negative = OrganizationLine {
        quota_bytes: Some(-1),
        ..org(Uuid::now_v7(), Some(TOP_LEVEL_ORGANIZATION))
    };
    assert!(negative.into_stored().unwrap_err().contains("negative"));
}

#[test]
fn builtin_roles_are_exactly_the_seeded_ones_and_keep_their_changes() {
    let changed = role(BUILTIN_ROLES[2], true);
    let stored = changed.clone().into_stored().unwrap();
    assert_eq!(stored.name, "Desktop Users");
    assert_eq!(RoleLine::from(stored), changed);
    assert!(role(Uuid::now_v7(), false).into_stored().is_ok());
    assert!(role(Uuid::now_v7(), true).into_stored().is_err());
    assert!(role(BUILTIN_ROLES[0], false).into_stored().is_err());
}

#[test]
fn enumerations_and_json_arrays_are_checked() {
    let user_role = UserRoleLine {
        user_id: roster_core::UserId::generate(),
        role_id: BUILTIN_ROLES[4],
        granted_by: "robot".to_owned(),
        reason: None,
    };
    assert!(user_role.into_stored().unwrap_err().contains("robot"));
    let digest = DigestSettingsLine {
        frequency: "hourly".to_owned(),
        covered_until: None,
        updated_at: at("2026-01-01T00:00:00Z"),
    };
    assert!(digest.into_stored().unwrap_err().contains("hourly"));
    let rule = MappingRuleLine {
        id: Uuid::now_v7(),
        provider_id: roster_core::ProviderId::generate(),
        name: "EU".to_owned(),
        attribute: Some("department".to_owned()),
        match_values: serde_json::json!("Sales"),
        org_id: TOP_LEVEL_ORGANIZATION,
        profile: None,
        storage_region: None,
        quota_bytes: None,
        position: 3,
        created_at: at("2026-01-01T00:00:00Z"),
        updated_at: at("2026-01-01T00:00:00Z"),
    };
    assert!(
        rule.clone()
            .into_stored()
            .unwrap_err()
            .contains("match_values")
    );
    let good = MappingRuleLine {
        match_values: serde_json::json!(["Sales", "Vertrieb"]),
        ..rule
    };
    let stored = good.clone().into_stored().unwrap();
    assert_eq!(stored.position, 3);
    assert_eq!(MappingRuleLine::from(stored), good);
    let apply = ApplyResultLine {
        job_id: Uuid::now_v7(),
        user_id: roster_core::UserId::generate(),
        user_name: "ann@example.com".to_owned(),
        from_org_id: None,
        to_org_id: Some(TOP_LEVEL_ORGANIZATION),
        to_org_name: Some("Top-level organization".to_owned()),
        roles_added: serde_json::json!([1]),
        roles_removed: serde_json::json!([]),
        unmatched: false,
    };
    assert!(apply.into_stored().unwrap_err().contains("roles_added"));
}
