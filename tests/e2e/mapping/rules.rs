//! Attribute-filter rules (Druva): refusal of an unmatched creation, keep-on-update, priority,
//! immutable criteria.

use roster_e2e::scim_error;
use serde_json::json;

use super::support::*;
use crate::common::*;

#[tokio::test]
async fn attribute_rules_refuse_unmatched_creation_keep_on_update_and_follow_priority() {
    let f = fixture().await;
    create_org(&f.roster, &f.slug, "Engineering", None).await;
    create_org(&f.roster, &f.slug, "Leadership", None).await;
    mapping(&f, &["org-method", "rules"], &[]).await;
    let department = format!("{ENTERPRISE}:department");
    mapping(
        &f,
        &["rule", "add"],
        &[
            "--name",
            "General",
            "--attribute",
            &department,
            "--values",
            "Engineering, R&D",
            "--org",
            "Engineering",
            "--profile",
            "General Profile 1",
            "--storage-region",
            "us-east",
            "--quota-bytes",
            "5000000000",
        ],
    )
    .await;
    let m = mapping(
        &f,
        &["rule", "add"],
        &[
            "--name",
            "Executives",
            "--attribute",
            "title",
            "--values",
            "VP,CEO",
            "--org",
            "Leadership",
            "--profile",
            "Executive Profile",
            "--quota-bytes",
            "50000000000",
        ],
    )
    .await;
    let exec_rule = m["rules"][1]["id"].as_str().expect("rule id").to_owned();
    assert_eq!(m["rules"][0]["name"], "General", "oldest first");

    // A user no rule matches is refused at creation and nothing is stored.
    let resp = f
        .scim
        .post(
            "/Users",
            &person("clerk@example.com", Some("Sales"), Some("Clerk"), None),
        )
        .await;
    let (status, scim_type, detail) = scim_error(&resp);
    assert_eq!(
        (status, scim_type.as_deref()),
        (400, Some("invalidValue")),
        "{}",
        resp.text
    );
    assert!(detail.contains("no organization mapping rule"), "{detail}");
    assert_eq!(
        count_users(&f.scim, "userName eq \"clerk@example.com\"").await,
        0
    );
    // Case-sensitive.
    let resp = f
        .scim
        .post(
            "/Users",
            &person("lower@example.com", Some("engineering"), None, None),
        )
        .await;
    assert_eq!(resp.status, 400, "{}", resp.text);

    let eng = create_user(
        &f.scim,
        &person("eng@example.com", Some("R&D"), Some("CEO"), None),
    )
    .await;
    let e = explain(&f, &eng).await;
    assert_eq!(
        e["organization"]["name"], "Engineering",
        "General is older, so it wins"
    );
    assert_eq!(e["profile"], "General Profile 1");
    assert_eq!(e["storage_region"], "us-east");
    assert_eq!(e["quota_bytes"], 5_000_000_000_i64);
    mapping(&f, &["rule", "move"], &[&exec_rule, "top"]).await;
    let exec = create_user(
        &f.scim,
        &person("exec@example.com", Some("R&D"), Some("CEO"), None),
    )
    .await;
    let e = explain(&f, &exec).await;
    assert_eq!(e["organization"]["name"], "Leadership");
    assert_eq!(e["profile"], "Executive Profile");

    // An update that matches nothing keeps the organization and logs a sync error.
    let sales = patch(
        json!([{"op": "replace", "path": "title", "value": "Clerk"}, {"op": "replace", "path": department, "value": "Sales"}]),
    );
    let resp = f.scim.patch(&format!("/Users/{eng}"), &sales).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(org_of(&f, &eng).await, "Engineering");
    assert!(explain(&f, &eng).await["unmatched"] == true);
    assert_eq!(
        sync_entries(&f, "eng@example.com", "sync error")
            .await
            .len(),
        1
    );
    // Mapping never refuses a deactivation or a delete.
    let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    assert_eq!(
        f.scim.patch(&format!("/Users/{eng}"), &off).await.status,
        200
    );
    assert_eq!(f.scim.delete(&format!("/Users/{eng}")).await.status, 204);

    // Criteria are immutable; name and settings are not.
    let err = mapping_refused(&f, &["rule", "edit"], &[&exec_rule, "--values", "VP,CTO"]).await;
    assert!(err.contains("cannot change"), "{err}");
    let m = mapping(
        &f,
        &["rule", "edit"],
        &[&exec_rule, "--name", "Leaders", "--quota-bytes", "1"],
    )
    .await;
    assert_eq!(m["rules"][0]["name"], "Leaders");
    assert_eq!(m["rules"][0]["values"], json!(["VP", "CEO"]));
    assert_eq!(m["rules"][0]["quota_bytes"], 1);
    // A rule must name a declared attribute.
    let err = mapping_refused(
        &f,
        &["rule", "add"],
        &[
            "--name",
            "X",
            "--attribute",
            "department",
            "--values",
            "a",
            "--org",
            "Engineering",
        ],
    )
    .await;
    assert!(err.contains("department"), "{err}");
    // An 'all users' rule at the bottom catches everyone else.
    mapping(
        &f,
        &["rule", "add"],
        &[
            "--name",
            "Everyone",
            "--all-users",
            "--org",
            "Top-level organization",
        ],
    )
    .await;
    let clerk = create_user(
        &f.scim,
        &person("clerk@example.com", Some("Sales"), Some("Clerk"), None),
    )
    .await;
    assert_eq!(org_of(&f, &clerk).await, "Top-level organization");
    let audit = f
        .roster
        .cli_json(&["audit-log", "--tenant", &f.slug, "--limit", "200"])
        .await;
    let changes = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["event"] == "mapping changed")
        .count();
    assert!(changes >= 6, "every mapping change is audited: {changes}");
}
