//! Role mapping: the union over mapped groups, the allowlist, and organization defaults.

use serde_json::json;

use super::support::*;
use crate::common::*;

#[tokio::test]
async fn role_mapping_is_the_union_of_mapped_groups_within_the_allowlist() {
    let f = fixture().await;
    let admins = create_group(
        &f.scim,
        &json!({"schemas": [GROUP], "displayName": "Admins"}),
    )
    .await;
    let devs = create_group(&f.scim, &json!({"schemas": [GROUP], "displayName": "Devs"})).await;
    mapping(&f, &["role-method", "groups"], &[]).await;
    mapping(
        &f,
        &["group-roles"],
        &["Admins", "Customer Cloud Admin", "Desktop User"],
    )
    .await;
    let m = mapping(&f, &["group-roles"], &["Devs", "PROe User"]).await;
    assert_eq!(m["group_roles"].as_array().map(Vec::len), Some(2));
    let allow: Vec<&str> = m["role_allowlist"]
        .as_array()
        .expect("allowlist")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        allow,
        ["Desktop User", "PROe User", "Agent User"],
        "the basic roles by default"
    );

    let user = create_user(&f.scim, &user_body("dev@example.com")).await;
    assert_eq!(
        roles_of(&f, &user).await,
        ["Agent User", "Desktop User", "PROe User"],
        "in no mapped group: the organization's default roles"
    );
    add_members(&f, &admins, &[&user]).await;
    add_members(&f, &devs, &[&user]).await;
    let e = explain(&f, &user).await;
    assert_eq!(
        held_roles(&e),
        ["Desktop User", "PROe User"],
        "union, Agent User revoked"
    );
    let cca = e["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["role"]["name"] == "Customer Cloud Admin")
        .expect("the mapped admin role is explained");
    assert_eq!(cca["held"], false);
    assert_eq!(cca["mapped"], true);
    assert_eq!(cca["blocked_by_allowlist"], true, "{cca}");
    assert_eq!(cca["mapped_reason"], "group \"Admins\"");

    // An admin's grant of a role outside the allowlist survives remapping.
    f.roster
        .cli_json(&[
            "user",
            "grant-role",
            "--tenant",
            &f.slug,
            &user,
            "Identity Management Administrator",
        ])
        .await;
    mapping(
        &f,
        &["allowlist"],
        &[
            "Desktop User",
            "PROe User",
            "Agent User",
            "Customer Cloud Admin",
        ],
    )
    .await;
    remove_member(&f, &devs, &user).await;
    assert_eq!(
        roles_of(&f, &user).await,
        [
            "Customer Cloud Admin",
            "Desktop User",
            "Identity Management Administrator"
        ]
    );
    remove_member(&f, &admins, &user).await;
    assert_eq!(
        roles_of(&f, &user).await,
        [
            "Agent User",
            "Desktop User",
            "Identity Management Administrator",
            "PROe User"
        ],
        "back to the defaults; the admin's grant stays"
    );
    let added = sync_entries(&f, "dev@example.com", "role added").await;
    assert!(
        added
            .iter()
            .any(|e| e["new_value"] == "Customer Cloud Admin"),
        "{added:?}"
    );
}
