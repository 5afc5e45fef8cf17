//! Organization and role mapping through the gateway and the CLI: each
//! organization-mapping method with its priorities and unmapped users, role
//! mapping with its union and allowlist, the attribute-filter rules' refusal at
//! creation and keep-on-update rule, and `explain`.

mod codes;
mod roles;
mod rules;
pub(crate) mod support;

use serde_json::json;

use crate::common::*;
use support::*;

#[tokio::test]
async fn single_organization_places_every_new_user_with_its_default_roles() {
    let f = fixture().await;
    let sales = create_org(&f.roster, &f.slug, "Sales", None).await;
    // Before any configuration: the top-level organization and its default roles.
    let first = create_user(&f.scim, &user_body("first@example.com")).await;
    assert_eq!(org_of(&f, &first).await, "Top-level organization");
    assert_eq!(
        roles_of(&f, &first).await,
        ["Agent User", "Desktop User", "PROe User"]
    );
    let m = mapping(&f, &["org-method", "single"], &["--target", "sales"]).await;
    assert_eq!(m["org_method"], "single");
    assert_eq!(m["target_organization"]["id"], sales.as_str());
    let second = create_user(&f.scim, &user_body("second@example.com")).await;
    let e = explain(&f, &second).await;
    assert_eq!(e["organization"]["name"], "Sales");
    assert_eq!(e["organization_set_by"], "mapping");
    assert_eq!(e["organization_reason"], "single organization");
    // Sales inherits the top-level organization's default roles.
    assert_eq!(held_roles(&e), ["Agent User", "Desktop User", "PROe User"]);
    assert!(
        e["roles"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("Top-level organization")),
        "{e}"
    );
    // Changing the mapping moves nobody by itself.
    assert_eq!(org_of(&f, &first).await, "Top-level organization");
    // An unknown organization is refused and changes nothing.
    let err = mapping_refused(&f, &["org-method", "single"], &["--target", "Nowhere"]).await;
    assert!(err.contains("Nowhere"), "{err}");
    let m = mapping(&f, &["show"], &[]).await;
    assert_eq!(m["target_organization"]["id"], sales.as_str());
}

#[tokio::test]
async fn c42_org_name_creates_organizations_falls_back_and_remaps_on_change() {
    let f = fixture().await;
    let regions = create_org(&f.roster, &f.slug, "Regions", None).await;
    create_org(&f.roster, &f.slug, "Unmapped people", None).await;
    mapping(
        &f,
        &["org-method", "attribute"],
        &["--target", "Unmapped people", "--parent", "Regions"],
    )
    .await;
    let emea = create_user(
        &f.scim,
        &person("emea@example.com", None, None, Some("EMEA")),
    )
    .await;
    let e = explain(&f, &emea).await;
    assert_eq!(e["organization"]["name"], "EMEA");
    assert_eq!(e["organization_reason"], "c42OrgName \"EMEA\"");
    let shown = f
        .roster
        .cli_json(&["org", "show", "--tenant", &f.slug, "EMEA"])
        .await;
    assert_eq!(shown["parent_id"], regions.as_str(), "{shown}");
    // Case-insensitive: the same organization.
    let other = create_user(
        &f.scim,
        &person("emea2@example.com", None, None, Some("emea")),
    )
    .await;
    assert_eq!(
        explain(&f, &other).await["organization"]["id"],
        e["organization"]["id"]
    );
    let none = create_user(&f.scim, &user_body("none@example.com")).await;
    assert_eq!(org_of(&f, &none).await, "Unmapped people");
    // An invalid name places the user with the unmapped ones and is a sync error entry.
    let bad = create_user(&f.scim, &person("bad@example.com", None, None, Some("ab"))).await;
    assert_eq!(org_of(&f, &bad).await, "Unmapped people");
    let errors = sync_entries(&f, "bad@example.com", "sync error").await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]["new_value"]
            .as_str()
            .is_some_and(|v| v.contains("\"ab\""))
    );

    // An admin's move stays until the provider changes the mapped attribute.
    f.roster
        .cli_json(&[
            "user", "move", "--tenant", &f.slug, &emea, "--org", "Regions",
        ])
        .await;
    let title = patch(json!([{"op": "replace", "path": "title", "value": "Engineer"}]));
    assert_eq!(
        f.scim.patch(&format!("/Users/{emea}"), &title).await.status,
        200
    );
    let e = explain(&f, &emea).await;
    assert_eq!(e["organization"]["name"], "Regions");
    assert_eq!(e["organization_set_by"], "admin");
    assert_eq!(
        e["mapped_organization"]["name"], "EMEA",
        "explain says where the mapping would put it"
    );
    let apac =
        patch(json!([{"op": "replace", "path": format!("{C42}:c42OrgName"), "value": "APAC"}]));
    assert_eq!(
        f.scim.patch(&format!("/Users/{emea}"), &apac).await.status,
        200
    );
    let e = explain(&f, &emea).await;
    assert_eq!(e["organization"]["name"], "APAC");
    assert_eq!(e["organization_set_by"], "mapping");
    let moves = sync_entries(&f, "emea@example.com", "organization changed").await;
    let last = moves.last().expect("an organization change was logged");
    let apac_id = e["organization"]["id"].as_str().expect("id");
    assert_eq!(
        last["new_value"],
        format!("APAC ({apac_id})"),
        "organization values carry the id"
    );
}

#[tokio::test]
async fn scim_groups_place_users_by_priority_and_unmapped_users_go_to_the_chosen_org() {
    let f = fixture().await;
    create_org(&f.roster, &f.slug, "Executives org", None).await;
    create_org(&f.roster, &f.slug, "UK org", None).await;
    create_org(&f.roster, &f.slug, "Everyone else", None).await;
    let exec = create_group(
        &f.scim,
        &json!({"schemas": [GROUP], "displayName": "Executives"}),
    )
    .await;
    let uk = create_group(&f.scim, &json!({"schemas": [GROUP], "displayName": "UK"})).await;
    mapping(
        &f,
        &["org-method", "groups"],
        &["--target", "Everyone else"],
    )
    .await;
    mapping(
        &f,
        &["group-org", "add"],
        &["--org", "Executives org", "Executives"],
    )
    .await;
    let m = mapping(&f, &["group-org", "add"], &["--org", "UK org", &uk]).await;
    let order: Vec<&str> = m["group_organizations"]
        .as_array()
        .expect("mappings")
        .iter()
        .map(|g| g["group"]["name"].as_str().expect("name"))
        .collect();
    assert_eq!(order, ["Executives", "UK"]);
    let err = mapping_refused(&f, &["group-org", "add"], &["--org", "UK org", "UK"]).await;
    assert!(err.contains("already"), "{err}");

    let both = create_user(&f.scim, &user_body("both@example.com")).await;
    let only_uk = create_user(&f.scim, &user_body("uk@example.com")).await;
    let neither = create_user(&f.scim, &user_body("neither@example.com")).await;
    assert_eq!(org_of(&f, &both).await, "Everyone else", "no groups yet");
    add_members(&f, &uk, &[&both, &only_uk]).await;
    add_members(&f, &exec, &[&both]).await;
    let e = explain(&f, &both).await;
    assert_eq!(e["organization"]["name"], "Executives org");
    assert_eq!(
        e["organization_reason"],
        "group \"Executives\" (priority 1)"
    );
    assert_eq!(org_of(&f, &only_uk).await, "UK org");
    assert_eq!(org_of(&f, &neither).await, "Everyone else");
    // An admin's move stays while the provider changes other members of the user's groups,
    // or re-sends the same members.
    f.roster
        .cli_json(&[
            "users",
            "move",
            "--tenant",
            &f.slug,
            &only_uk,
            "--org",
            "Everyone else",
        ])
        .await;
    add_members(&f, &uk, &[&neither]).await;
    remove_member(&f, &uk, &neither).await;
    let same = json!({"schemas": [GROUP], "displayName": "UK", "members": [{"value": both}, {"value": only_uk}]});
    assert_eq!(
        f.scim.put(&format!("/Groups/{uk}"), &same).await.status,
        200
    );
    assert_eq!(org_of(&f, &only_uk).await, "Everyone else");
    assert_eq!(org_of(&f, &neither).await, "Everyone else");
    remove_member(&f, &uk, &only_uk).await;
    add_members(&f, &uk, &[&only_uk]).await;
    assert_eq!(
        org_of(&f, &only_uk).await,
        "UK org",
        "its own group change remaps it"
    );

    // Reordering changes what the mapping says at once, and where users are at their next
    // group change.
    mapping(&f, &["group-org", "move"], &["UK", "top"]).await;
    let e = explain(&f, &both).await;
    assert_eq!(e["organization"]["name"], "Executives org");
    assert_eq!(e["mapped_organization"]["name"], "UK org");
    remove_member(&f, &exec, &both).await;
    assert_eq!(org_of(&f, &both).await, "UK org");
    remove_member(&f, &uk, &both).await;
    assert_eq!(org_of(&f, &both).await, "Everyone else");
    // Deleting a mapped group drops its mapping and remaps its members.
    assert_eq!(f.scim.delete(&format!("/Groups/{uk}")).await.status, 204);
    assert_eq!(org_of(&f, &only_uk).await, "Everyone else");
    let m = mapping(&f, &["show"], &[]).await;
    assert_eq!(m["group_organizations"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_tenant_cannot_read_or_change_another_tenants_mappings_users_or_runs() {
    let f = fixture().await;
    let user = create_user(&f.scim, &user_body("mine@example.com")).await;
    let other = roster_e2e::unique_slug("o");
    f.roster.create_tenant(&other).await;
    let theirs = f.roster.create_provider(&other, "idp", "basic").await;
    let run = f
        .roster
        .cli_json(&[
            "apply",
            "start",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
            "--dry-run",
        ])
        .await;
    let run = run["run"].as_str().expect("run").to_owned();
    // The other tenant names this tenant's provider, user and run: not found, nothing changed.
    for args in [
        vec![
            "mapping",
            "show",
            "--tenant",
            &other,
            "--provider",
            &f.cred.id,
        ],
        vec![
            "mapping",
            "org-method",
            "groups",
            "--tenant",
            &other,
            "--provider",
            &f.cred.id,
        ],
        vec!["mapping", "explain", "--tenant", &other, &user],
        vec!["mapping", "explain", "--tenant", &other, "mine@example.com"],
        vec![
            "apply",
            "start",
            "--tenant",
            &other,
            "--provider",
            &f.cred.id,
        ],
        vec!["apply", "show", "--tenant", &other, &run],
        vec!["apply", "cancel", "--tenant", &other, &run],
    ] {
        let mut args = args;
        args.push("--json");
        let out = f.roster.cli(&args).await;
        assert!(
            !out.status.success(),
            "`roster {}` crossed tenants",
            args.join(" ")
        );
        assert!(
            out.stderr.contains("not found"),
            "{}: {}",
            args.join(" "),
            out.stderr
        );
    }
    let m = mapping(&f, &["show"], &[]).await;
    assert_eq!(m["org_method"], "single");
    // Each tenant sees its own provider.
    let mine = f
        .roster
        .cli_json(&[
            "mapping",
            "show",
            "--tenant",
            &other,
            "--provider",
            &theirs.id,
        ])
        .await;
    assert_eq!(mine["provider"], theirs.id.as_str());
}
