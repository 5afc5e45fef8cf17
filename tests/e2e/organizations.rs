//! Organizations and roles administration through the CLI and the gRPC API: the tree (names,
//! parents, moves), setting inheritance, the roles catalogue, admins moving users and granting
//! roles, the audit trail, and tenant isolation.

use roster_e2e::Roster;
use roster_proto::organizations::v1 as pb;
use roster_proto::organizations::v1::organizations_service_client::OrganizationsServiceClient;
use serde_json::Value;

use crate::common::*;

/// The five roles every tenant starts with, as the reference documents name them.
const BUILTIN_ROLES: [&str; 5] = [
    "Customer Cloud Admin",
    "Identity Management Administrator",
    "Desktop User",
    "PROe User",
    "Agent User",
];

/// Runs `roster org <args> --tenant SLUG --json`.
async fn org(roster: &Roster, slug: &str, args: &[&str]) -> Value {
    let mut all = vec!["org"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--tenant", slug]);
    roster.cli_json(&all).await
}

/// Runs `roster org <args> --tenant SLUG`, asserts it fails, and returns its stderr.
async fn org_refused(roster: &Roster, slug: &str, args: &[&str]) -> String {
    let mut all = vec!["org"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--tenant", slug, "--json"]);
    let out = roster.cli(&all).await;
    assert!(
        !out.status.success(),
        "`roster {}` should fail; stdout: {}",
        all.join(" "),
        out.stdout
    );
    assert!(
        out.stdout.trim().is_empty(),
        "nothing on stdout when refused"
    );
    out.stderr
}

/// Returns the names of an organization listing, in order.
async fn listed(roster: &Roster, slug: &str) -> Vec<(String, i64)> {
    org(roster, slug, &["list"]).await["organizations"]
        .as_array()
        .expect("organizations")
        .iter()
        .map(|o| {
            (
                o["name"].as_str().expect("name").to_owned(),
                o["depth"].as_i64().expect("depth"),
            )
        })
        .collect()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_owned())
        .collect()
}

/// Returns the audit events about `target_id`, oldest first.
async fn audit_events(roster: &Roster, slug: &str, target_id: &str) -> Vec<Value> {
    let log = roster
        .cli_json(&[
            "audit-log",
            "--tenant",
            slug,
            "--target",
            target_id,
            "--oldest-first",
        ])
        .await;
    log["entries"].as_array().expect("entries").clone()
}

#[tokio::test]
async fn organizations_are_created_renamed_and_moved_with_name_and_tree_rules() {
    let f = fixture().await;
    let (roster, slug) = (&f.roster, f.slug.as_str());

    let sales = org(roster, slug, &["create", "Sales"]).await;
    let top_id = "00000000-0000-4000-8000-000000000001";
    assert_eq!(sales["parent_id"], top_id, "default parent: {sales}");
    assert_eq!(sales["parent"]["name"], "Top-level organization");
    assert_eq!(sales["depth"], 1);
    assert_eq!(sales["inherits"], true);
    assert_eq!(sales["user_count"], 0);
    let sales_id = sales["id"].as_str().expect("id").to_owned();

    let emea = org(roster, slug, &["create", "EMEA", "--parent", "sales"]).await;
    assert_eq!(
        emea["parent_id"],
        sales_id.as_str(),
        "parent by name, any case"
    );
    assert_eq!(
        emea["path"],
        serde_json::json!(["Top-level organization", "Sales", "EMEA"])
    );
    let paris = org(
        roster,
        slug,
        &[
            "create",
            "Paris",
            "--parent",
            emea["id"].as_str().expect("id"),
        ],
    )
    .await;
    assert_eq!(paris["depth"], 3, "parent by id");

    // Name rules: 3 to 220 characters, unique regardless of case.
    let too_short = org_refused(roster, slug, &["create", "ab"]).await;
    assert!(too_short.contains("3 to 220"), "{too_short}");
    let too_long = org_refused(roster, slug, &["create", &"n".repeat(221)]).await;
    assert!(too_long.contains("got 221"), "{too_long}");
    let longest = org(roster, slug, &["create", &"n".repeat(220)]).await;
    assert_eq!(longest["name"].as_str().expect("name").chars().count(), 220);
    let taken = org_refused(roster, slug, &["create", "SALES"]).await;
    assert!(taken.contains("already exists"), "{taken}");
    let missing_parent =
        org_refused(roster, slug, &["create", "Orphan", "--parent", "Nowhere"]).await;
    assert!(missing_parent.contains("not found"), "{missing_parent}");
    assert_eq!(
        listed(roster, slug).await,
        [
            ("Top-level organization".to_owned(), 0),
            ("n".repeat(220), 1),
            ("Sales".to_owned(), 1),
            ("EMEA".to_owned(), 2),
            ("Paris".to_owned(), 3),
        ],
        "refusals changed nothing; the listing is in tree order"
    );

    // Rename: a case change of its own name is allowed, another's name is not.
    let renamed = org(roster, slug, &["rename", "emea", "Europe"]).await;
    assert_eq!(renamed["name"], "Europe");
    assert_eq!(
        org(roster, slug, &["rename", "Europe", "EUROPE"]).await["name"],
        "EUROPE"
    );
    let clash = org_refused(roster, slug, &["rename", "Paris", "sales"]).await;
    assert!(clash.contains("already exists"), "{clash}");
    assert_eq!(org(roster, slug, &["show", "Paris"]).await["name"], "Paris");

    // Moves: not under itself or a descendant, never the top-level organization.
    let cycle = org_refused(roster, slug, &["move", "Sales", "--parent", "Paris"]).await;
    assert!(cycle.contains("descendants"), "{cycle}");
    let itself = org_refused(roster, slug, &["move", "Sales", "--parent", "Sales"]).await;
    assert!(itself.contains("own parent"), "{itself}");
    let top = org_refused(roster, slug, &["move", top_id, "--parent", "Sales"]).await;
    assert!(top.contains("top-level"), "{top}");
    let moved = org(roster, slug, &["move", "Paris", "--parent", "Sales"]).await;
    assert_eq!(moved["parent_id"], sales_id.as_str());
    assert_eq!(moved["depth"], 2);
    let shown = org(roster, slug, &["show", "Sales"]).await;
    let children = names(&shown["children"]);
    assert_eq!(children, ["EUROPE", "Paris"]);

    // Every change is in the audit log, by the operator.
    let events: Vec<String> = audit_events(roster, slug, &sales_id)
        .await
        .iter()
        .map(|e| {
            assert_eq!(e["actor_kind"], "operator", "{e}");
            e["event"].as_str().expect("event").to_owned()
        })
        .collect();
    assert_eq!(events, ["organization created"]);
    let paris_events: Vec<String> = audit_events(roster, slug, paris["id"].as_str().expect("id"))
        .await
        .iter()
        .map(|e| e["event"].as_str().expect("event").to_owned())
        .collect();
    assert_eq!(paris_events, ["organization created", "organization moved"]);
}

#[tokio::test]
async fn children_inherit_settings_and_default_roles_until_they_stop() {
    let f = fixture().await;
    let (roster, slug) = (&f.roster, f.slug.as_str());
    org(roster, slug, &["create", "Parent"]).await;
    org(roster, slug, &["create", "Child", "--parent", "Parent"]).await;
    org(roster, slug, &["create", "Grandchild", "--parent", "Child"]).await;

    // Everyone inherits from the top-level organization at first.
    let grandchild = org(roster, slug, &["show", "Grandchild"]).await;
    assert_eq!(
        grandchild["effective"]["from"]["name"],
        "Top-level organization"
    );
    assert_eq!(grandchild["effective"]["settings"]["profile"], "Default");
    assert_eq!(
        names(&grandchild["effective"]["default_roles"]),
        ["Agent User", "Desktop User", "PROe User"]
    );

    let parent = org(
        roster,
        slug,
        &[
            "set",
            "Parent",
            "--no-inherit",
            "--profile",
            "Gold",
            "--storage-region",
            "eu-west",
            "--quota-bytes",
            "1000",
            "--default-role",
            "Agent User",
            "--default-role",
            "customer cloud admin",
        ],
    )
    .await;
    assert_eq!(parent["inherits"], false);
    assert_eq!(parent["settings"]["profile"], "Gold");
    assert_eq!(parent["effective"]["from"]["name"], "Parent");
    assert_eq!(
        names(&parent["default_roles"]),
        ["Agent User", "Customer Cloud Admin"]
    );

    // Child and grandchild follow the chain to Parent.
    for name in ["Child", "Grandchild"] {
        let shown = org(roster, slug, &["show", name]).await;
        assert_eq!(shown["inherits"], true);
        assert_eq!(shown["effective"]["from"]["name"], "Parent", "{name}");
        assert_eq!(shown["effective"]["settings"]["storage_region"], "eu-west");
        assert_eq!(shown["effective"]["settings"]["quota_bytes"], 1000);
        assert_eq!(
            names(&shown["effective"]["default_roles"]),
            ["Agent User", "Customer Cloud Admin"]
        );
    }

    // Child stops inheriting: it and its grandchild now use Child's own settings.
    let child = org(
        roster,
        slug,
        &[
            "set",
            "Child",
            "--no-inherit",
            "--profile",
            "Silver",
            "--no-default-roles",
        ],
    )
    .await;
    assert_eq!(child["effective"]["from"]["name"], "Child");
    assert_eq!(child["effective"]["settings"]["profile"], "Silver");
    assert_eq!(child["effective"]["settings"]["quota_bytes"], Value::Null);
    assert!(names(&child["effective"]["default_roles"]).is_empty());
    let grandchild = org(roster, slug, &["show", "Grandchild"]).await;
    assert_eq!(grandchild["effective"]["from"]["name"], "Child");
    assert_eq!(grandchild["effective"]["settings"]["profile"], "Silver");

    // Inheriting again brings Parent's settings back; its own are kept for later.
    let child = org(roster, slug, &["set", "Child", "--inherit"]).await;
    assert_eq!(child["settings"]["profile"], "Silver");
    assert_eq!(child["effective"]["settings"]["profile"], "Gold");

    // Refusals name the problem and change nothing.
    let negative = org_refused(roster, slug, &["set", "Child", "--quota-bytes", "-1"]).await;
    assert!(negative.contains("quota_bytes"), "{negative}");
    let unknown_role = org_refused(roster, slug, &["set", "Child", "--default-role", "Nope"]).await;
    assert!(
        unknown_role.contains("role Nope not found"),
        "{unknown_role}"
    );
    let top = org_refused(
        roster,
        slug,
        &["set", "Top-level organization", "--inherit"],
    )
    .await;
    assert!(top.contains("no parent"), "{top}");
    assert_eq!(org(roster, slug, &["show", "Child"]).await, child);
}

#[tokio::test]
async fn roles_catalogue_and_an_admin_moving_a_provisioned_user() {
    let f = fixture().await;
    let (roster, slug) = (&f.roster, f.slug.as_str());

    let roles = roster.cli_json(&["role", "list", "--tenant", slug]).await;
    let mut seeded = names(&roles["roles"]);
    seeded.sort();
    let mut expected = BUILTIN_ROLES.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(seeded, expected, "exactly the builtin roles");
    assert!(
        roles["roles"]
            .as_array()
            .expect("roles")
            .iter()
            .all(|r| r["builtin"] == true)
    );

    let auditor = roster
        .cli_json(&[
            "role",
            "create",
            "--tenant",
            slug,
            "Auditor",
            "--description",
            "Reads reports",
        ])
        .await;
    assert_eq!(auditor["builtin"], false);
    assert_eq!(auditor["description"], "Reads reports");
    for taken in ["desktop user", "AUDITOR"] {
        let out = roster
            .cli(&["role", "create", "--tenant", slug, taken])
            .await;
        assert!(!out.status.success(), "{taken} should be refused");
        assert!(
            out.stderr.contains("already exists") || out.stderr.contains("builtin"),
            "{}",
            out.stderr
        );
    }
    let roles = roster.cli_json(&["role", "list", "--tenant", slug]).await;
    assert_eq!(roles["roles"].as_array().expect("roles").len(), 6);

    // A user the provider created starts in the top-level organization.
    let user_id = create_user(&f.scim, &user_body("mover@example.com")).await;
    let access = roster
        .cli_json(&["users", "roles", "--tenant", slug, "mover@example.com"])
        .await;
    assert_eq!(access["user_id"], user_id.as_str());
    assert_eq!(access["organization"]["name"], "Top-level organization");

    org(roster, slug, &["create", "Finance"]).await;
    org(
        roster,
        slug,
        &["set", "Finance", "--no-inherit", "--profile", "Ledger"],
    )
    .await;
    let moved = roster
        .cli_json(&[
            "user", "move", "--tenant", slug, &user_id, "--org", "finance",
        ])
        .await;
    assert_eq!(moved["organization"]["name"], "Finance");
    assert_eq!(moved["placed_by"], "admin");
    assert_eq!(moved["placement_reason"], "moved by operator");
    assert_eq!(moved["settings"]["profile"], "Ledger");
    assert_eq!(moved["settings_from"]["name"], "Finance");
    assert_eq!(
        org(roster, slug, &["show", "Finance"]).await["user_count"],
        1
    );

    let granted = roster
        .cli_json(&[
            "users",
            "grant-role",
            "--tenant",
            slug,
            "mover@example.com",
            "auditor",
        ])
        .await;
    let grants = granted["roles"].as_array().expect("roles");
    // Provisioning gave the new user its organization's default roles; the admin adds one.
    assert_eq!(grants.len(), 4, "{granted}");
    let auditor = grants
        .iter()
        .find(|r| r["name"] == "Auditor")
        .expect("the granted role");
    assert_eq!(auditor["granted_by"], "admin");
    assert_eq!(auditor["reason"], "granted by operator");

    let revoked = roster
        .cli_json(&[
            "users",
            "revoke-role",
            "--tenant",
            slug,
            &user_id,
            "Auditor",
        ])
        .await;
    let left = revoked["roles"].as_array().expect("roles");
    assert_eq!(left.len(), 3, "{revoked}");
    assert!(left.iter().all(|r| r["name"] != "Auditor"), "{revoked}");
    let again = roster
        .cli(&[
            "users",
            "revoke-role",
            "--tenant",
            slug,
            &user_id,
            "Auditor",
        ])
        .await;
    assert!(
        !again.status.success(),
        "revoking a role not held is refused"
    );
    let nobody = roster
        .cli(&[
            "users",
            "move",
            "--tenant",
            slug,
            "nobody@example.com",
            "--org",
            "Finance",
        ])
        .await;
    assert!(nobody.stderr.contains("not found"), "{}", nobody.stderr);

    let events: Vec<String> = audit_events(roster, slug, &user_id)
        .await
        .iter()
        .filter(|e| e["actor_kind"] == "operator")
        .map(|e| e["event"].as_str().expect("event").to_owned())
        .collect();
    assert_eq!(
        events,
        ["user moved", "user role granted", "user role revoked"]
    );
    let role_events = audit_events(roster, slug, auditor["id"].as_str().expect("id")).await;
    assert_eq!(role_events.len(), 1);
    assert_eq!(role_events[0]["event"], "role created");
}

/// Returns an authorized request for the test's operator.
#[tokio::test]
async fn grpc_answers_with_codes_and_tenants_are_isolated() {
    let f = fixture().await;
    let roster = &f.roster;
    let other = roster_e2e::unique_slug("t");
    roster.create_tenant(&other).await;
    let channel = tonic::transport::Endpoint::from_shared(roster.admin_url().to_owned())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut client = OrganizationsServiceClient::new(channel);
    let create = |tenant: &str, name: &str, parent: &str| pb::CreateOrganizationRequest {
        tenant: tenant.to_owned(),
        name: name.to_owned(),
        parent: parent.to_owned(),
    };

    let unauthenticated = client
        .list_organizations(pb::ListOrganizationsRequest {
            tenant: f.slug.clone(),
        })
        .await
        .expect_err("no credential");
    assert_eq!(unauthenticated.code(), tonic::Code::Unauthenticated);

    let created = client
        .create_organization(authorized(roster, create(&f.slug, "Legal", "")))
        .await
        .expect("create")
        .into_inner()
        .organization
        .expect("organization");
    let summary = created.summary.expect("summary");
    assert_eq!(summary.depth, 1);

    let code = |result: Result<tonic::Response<pb::CreateOrganizationResponse>, tonic::Status>| {
        result.expect_err("refused").code()
    };
    let too_short = client
        .create_organization(authorized(roster, create(&f.slug, "ab", "")))
        .await;
    assert_eq!(code(too_short), tonic::Code::InvalidArgument);
    let taken = client
        .create_organization(authorized(roster, create(&f.slug, "LEGAL", "")))
        .await;
    assert_eq!(code(taken), tonic::Code::AlreadyExists);
    let no_parent = client
        .create_organization(authorized(roster, create(&f.slug, "Sub", "Ghost")))
        .await;
    assert_eq!(code(no_parent), tonic::Code::NotFound);
    let no_tenant = client
        .create_organization(authorized(roster, create("no-such-tenant", "Sub", "")))
        .await;
    assert_eq!(code(no_tenant), tonic::Code::NotFound);
    let cycle = client
        .move_organization(authorized(
            roster,
            pb::MoveOrganizationRequest {
                tenant: f.slug.clone(),
                organization: "Legal".to_owned(),
                parent: "Legal".to_owned(),
            },
        ))
        .await
        .expect_err("cycle");
    assert_eq!(cycle.code(), tonic::Code::FailedPrecondition);
    let quota = client
        .set_organization_settings(authorized(
            roster,
            pb::SetOrganizationSettingsRequest {
                tenant: f.slug.clone(),
                organization: "Legal".to_owned(),
                quota_bytes: Some(-5),
                ..Default::default()
            },
        ))
        .await
        .expect_err("negative quota");
    assert_eq!(quota.code(), tonic::Code::InvalidArgument);
    assert!(
        quota.message().contains("quota_bytes"),
        "{}",
        quota.message()
    );

    // The other tenant sees only its own tree, and cannot reach Legal by name or id.
    let theirs = client
        .list_organizations(authorized(
            roster,
            pb::ListOrganizationsRequest {
                tenant: other.clone(),
            },
        ))
        .await
        .expect("list")
        .into_inner()
        .organizations;
    assert_eq!(theirs.len(), 1, "only the top-level organization");
    for reference in ["Legal", summary.id.as_str()] {
        let status = client
            .get_organization(authorized(
                roster,
                pb::GetOrganizationRequest {
                    tenant: other.clone(),
                    organization: reference.to_owned(),
                },
            ))
            .await
            .expect_err("another tenant's organization");
        assert_eq!(status.code(), tonic::Code::NotFound);
        let status = client
            .rename_organization(authorized(
                roster,
                pb::RenameOrganizationRequest {
                    tenant: other.clone(),
                    organization: reference.to_owned(),
                    name: "Taken Over".to_owned(),
                },
            ))
            .await
            .expect_err("another tenant's organization");
        assert_eq!(status.code(), tonic::Code::NotFound);
    }
    // The same name is free in the other tenant.
    client
        .create_organization(authorized(roster, create(&other, "Legal", "")))
        .await
        .expect("names are per tenant");
    let ours = org(roster, &f.slug, &["show", "Legal"]).await;
    assert_eq!(
        ours["id"],
        summary.id.as_str(),
        "unchanged by the other tenant"
    );

    // A user of the first tenant is not reachable through the second.
    let user_id = create_user(&f.scim, &user_body("isolated@example.com")).await;
    let status = client
        .move_user(authorized(
            roster,
            pb::MoveUserRequest {
                tenant: other.clone(),
                user: user_id.clone(),
                organization: "Legal".to_owned(),
            },
        ))
        .await
        .expect_err("another tenant's user");
    assert_eq!(status.code(), tonic::Code::NotFound);
    let access = client
        .get_user_access(authorized(
            roster,
            pb::GetUserAccessRequest {
                tenant: f.slug.clone(),
                user: user_id,
            },
        ))
        .await
        .expect("access")
        .into_inner()
        .access
        .expect("access");
    assert_eq!(
        access.organization.expect("organization").name,
        "Top-level organization"
    );
    assert_eq!(access.placed_by, pb::GrantedBy::Mapping as i32);
}
