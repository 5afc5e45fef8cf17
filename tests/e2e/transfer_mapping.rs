//! `roster export` / `roster import` carry every row tenant migration 0003 added, from this run's
//! backend to the other one: organizations (the top-level one renamed, a grandchild whose id
//! sorts before its parent), roles (a builtin one changed, a custom one), default roles, users'
//! organizations and roles, providers' mapping methods, group mappings, the allowlist, rules
//! with their positions, queued remaps, apply results and the digest settings. Nothing seeded
//! is duplicated or lost. No API writes these tables yet, so the test writes them in SQL.
//! A version 2 document gets what migration 0003 gave existing tenants.

use roster_e2e::{Roster, RosterOptions, unique_slug};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{GROUP, create_group, create_user, user_body};
use crate::jobs::support::TenantDb;
use crate::transfer_lifecycle::{export, jobs_of, other, records};

const TOP: Uuid = Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001);
const fn builtin(n: u128) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0100 + n)
}

/// Fills every table of migration 0003 in the tenant `slug` of `roster`.
async fn fill_mapping_tables(
    roster: &Roster,
    slug: &str,
    provider: Uuid,
    users: [Uuid; 2],
    group: Uuid,
) {
    let db = TenantDb::open_tenant(roster, slug).await;
    let t = |table: &str| db.table(table);
    // A grandchild whose id sorts before its parent's and the top-level organization's.
    let (sales, sales_eu, auditor) = (Uuid::now_v7(), Uuid::from_u128(7), Uuid::now_v7());
    let statements: Vec<(String, Vec<Uuid>)> = vec![
        (
            format!(
                "UPDATE {} SET name = 'Acme Corp', name_key = 'acme corp', profile = 'Gold', quota_bytes = 1073741824 WHERE id = $1",
                t("organizations")
            ),
            vec![TOP],
        ),
        (
            format!(
                "INSERT INTO {} (id, name, name_key, parent_id, inherits, storage_region) VALUES ($1, 'Sales', 'sales', $2, false, 'eu-west')",
                t("organizations")
            ),
            vec![sales, TOP],
        ),
        (
            format!(
                "INSERT INTO {} (id, name, name_key, parent_id) VALUES ($1, 'Sales EU', 'sales eu', $2)",
                t("organizations")
            ),
            vec![sales_eu, sales],
        ),
        (
            format!(
                "UPDATE {} SET description = 'Changed by an admin' WHERE id = $1",
                t("roles")
            ),
            vec![builtin(3)],
        ),
        (
            format!(
                "INSERT INTO {} (id, name, name_key, builtin, description) VALUES ($1, 'Auditor', 'auditor', false, 'Reads the logs')",
                t("roles")
            ),
            vec![auditor],
        ),
        (
            format!(
                "DELETE FROM {} WHERE org_id = $1 AND role_id = $2",
                t("organization_default_roles")
            ),
            vec![TOP, builtin(5)],
        ),
        (
            format!(
                "INSERT INTO {} (org_id, role_id) VALUES ($1, $2)",
                t("organization_default_roles")
            ),
            vec![sales, auditor],
        ),
        (
            format!(
                "UPDATE {} SET org_id = $1, org_set_by = 'admin', org_reason = 'moved by an admin', profile = 'Field', storage_region = 'eu-west', quota_bytes = 42 WHERE id = $2",
                t("users")
            ),
            vec![sales_eu, users[0]],
        ),
        (
            format!(
                "INSERT INTO {} (user_id, role_id, granted_by, reason) VALUES ($1, $2, 'mapping', 'group Auditors')",
                t("user_roles")
            ),
            vec![users[0], auditor],
        ),
        (
            format!(
                "INSERT INTO {} (user_id, role_id, granted_by) VALUES ($1, $2, 'admin')",
                t("user_roles")
            ),
            vec![users[1], builtin(1)],
        ),
        (
            format!(
                "UPDATE {} SET org_method = 'groups', org_target_id = $1, org_parent_id = $2, role_method = 'groups' WHERE provider_id = $3",
                t("provider_settings")
            ),
            vec![sales, sales, provider],
        ),
        (
            format!(
                "INSERT INTO {} (provider_id, group_id, org_id, priority) VALUES ($1, $2, $3, 5)",
                t("group_org_mappings")
            ),
            vec![provider, group, sales_eu],
        ),
        (
            format!(
                "INSERT INTO {} (provider_id, group_id, role_id) VALUES ($1, $2, $3)",
                t("group_role_mappings")
            ),
            vec![provider, group, auditor],
        ),
        (
            format!(
                "INSERT INTO {} (provider_id, role_id) VALUES ($1, $2)",
                t("role_allowlist")
            ),
            vec![provider, auditor],
        ),
        (
            format!(
                "INSERT INTO {} (id, provider_id, name, attribute, match_values, org_id, profile, position) VALUES ($1, $2, 'EU sales', 'department', '[\"Sales\",\"Vertrieb\"]', $3, 'Field', 1)",
                t("mapping_rules")
            ),
            vec![Uuid::now_v7(), provider, sales_eu],
        ),
        (
            format!(
                "INSERT INTO {} (id, provider_id, name, org_id, quota_bytes, position) VALUES ($1, $2, 'Everyone else', $3, 7, 0)",
                t("mapping_rules")
            ),
            vec![Uuid::now_v7(), provider, TOP],
        ),
        (
            format!(
                "INSERT INTO {} (user_id, provider_id) VALUES ($1, $2)",
                t("pending_remaps")
            ),
            vec![users[1], provider],
        ),
        (
            format!(
                "INSERT INTO {} (job_id, user_id, user_name, from_org_id, to_org_id, to_org_name, roles_added, unmatched) VALUES ($1, $2, 'ann@example.com', $3, $4, 'Sales EU', '[\"Auditor\"]', false)",
                t("apply_results")
            ),
            vec![Uuid::now_v7(), users[0], TOP, sales_eu],
        ),
        (
            format!(
                "INSERT INTO {} (job_id, user_id, user_name, unmatched) VALUES ($1, $2, 'bob@example.com', true)",
                t("apply_results")
            ),
            vec![Uuid::now_v7(), users[1]],
        ),
        (
            format!(
                "UPDATE {} SET frequency = 'errors' WHERE id = 1",
                t("digest_settings")
            ),
            vec![],
        ),
    ];
    for (sql, ids) in &statements {
        db.execute(sql, ids).await;
    }
}

/// Counts rows of `table` in the tenant `slug` of `roster`, with an optional condition.
async fn count(roster: &Roster, slug: &str, table: &str, condition: &str) -> i64 {
    let db = TenantDb::open_tenant(roster, slug).await;
    let sql = format!("SELECT count(*) FROM {} {condition}", db.table(table));
    db.count(&sql, &[]).await
}

#[tokio::test]
async fn export_import_carries_organizations_roles_and_mappings_to_the_other_backend() {
    let from = roster_e2e::backend();
    let to = other(from);
    let source = Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("orgs");
    let tenant = source.create_tenant(&slug).await;
    let tenant_id = tenant["id"].as_str().expect("tenant id").to_owned();
    let cred = source.create_provider(&slug, "Okta", "basic").await;
    let scim = source.scim(&cred);
    let ann = create_user(&scim, &user_body("ann@example.com")).await;
    let bob = create_user(&scim, &user_body("bob@example.com")).await;
    let group = create_group(
        &scim,
        &json!({"schemas": [GROUP], "displayName": "Auditors", "members": [{"value": ann}]}),
    )
    .await;
    let id = |text: &str| text.parse::<Uuid>().expect("a UUID");
    let provider = id(&cred.id);
    fill_mapping_tables(&source, &slug, provider, [id(&ann), id(&bob)], id(&group)).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let first = dir.path().join("first.jsonl");
    let summary = export(&source, &slug, &first).await;
    let exported = records(&first);
    let header: Value = serde_json::from_str(
        std::fs::read_to_string(&first)
            .expect("read")
            .lines()
            .next()
            .expect("header"),
    )
    .expect("JSON");
    assert_eq!(header["version"], 3);
    let expected = [
        ("digest_settings", 1),
        ("organizations", 3),
        ("roles", 6),
        ("organization_default_roles", 3),
        // Two inserted here, and each SCIM-created user's three default roles.
        ("user_roles", 8),
        ("group_org_mappings", 1),
        ("group_role_mappings", 1),
        ("mapping_rules", 2),
        ("pending_remaps", 1),
        ("apply_results", 2),
    ];
    for (kind, n) in expected {
        assert_eq!(summary[kind], n, "{kind}: {summary}");
    }
    assert!(summary["role_allowlist"].as_u64() >= Some(1), "{summary}");
    let user = exported
        .iter()
        .find(|r| r["kind"] == "user" && r["id"] == ann.as_str())
        .expect("ann");
    assert_eq!(
        (&user["org_set_by"], &user["quota_bytes"]),
        (&json!("admin"), &json!(42))
    );

    let target = Roster::start(RosterOptions::default().backend(to).env(
        "ROSTER_SERVICES__KEY_FILE",
        source.data_dir().join("internal.key").display().to_string(),
    ))
    .await;
    let imported = target
        .cli_json(&["import", "--file", first.to_str().expect("utf-8")])
        .await;
    for (kind, _) in expected {
        assert_eq!(imported[kind], summary[kind], "{kind}: {imported}");
    }

    // Every table comes out of the target as it went in: the document of the target's
    // tenant is the source's, record for record.
    let second = dir.path().join("second.jsonl");
    export(&target, &slug, &second).await;
    assert_eq!(records(&second), exported);

    // Nothing seeded is duplicated: one top-level organization, five builtin roles, one
    // digest settings row, one live purge and one live digest job.
    assert_eq!(
        count(&target, &slug, "organizations", "WHERE parent_id IS NULL").await,
        1
    );
    assert_eq!(count(&target, &slug, "roles", "WHERE builtin").await, 5);
    assert_eq!(count(&target, &slug, "digest_settings", "").await, 1);
    let jobs = jobs_of(&target, to, &tenant_id).await;
    for key in ["purge_logs", "send_digest"] {
        let live = jobs
            .iter()
            .filter(|j| j.2.as_deref() == Some(key) && j.3 == "pending")
            .count();
        assert_eq!(live, 1, "{key}: {jobs:?}");
    }
}

#[tokio::test]
async fn a_version_2_document_gets_the_organization_and_allowlist_defaults() {
    let this = roster_e2e::backend();
    let roster = Roster::start(RosterOptions::default()).await;
    let seed = unique_slug("seed");
    roster.create_tenant(&seed).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let seed_export = dir.path().join("seed.jsonl");
    export(&roster, &seed, &seed_export).await;
    let text = std::fs::read_to_string(&seed_export).expect("read");
    let mut header: Value =
        serde_json::from_str(text.lines().next().expect("header")).expect("JSON");
    header["version"] = json!(2);

    let slug = unique_slug("v2");
    let tenant = Uuid::new_v4().to_string();
    let provider = Uuid::new_v4().to_string();
    let user = Uuid::new_v4().to_string();
    let at = "2025-09-01T00:00:00Z";
    let lines = [
        header,
        json!({"kind": "tenant", "id": tenant, "slug": slug, "state": "active", "hosts": [],
               "created_at": at}),
        json!({"kind": "provider", "id": provider, "name": "Old", "credential_kind": "bearer",
               "username": format!("scim-{slug}"), "secret_digest": "ZGlnZXN0LW9mLWEtdjItZG9j",
               "enabled": true, "expires_at": null, "credential_issued_at": at,
               "created_at": at}),
        json!({"kind": "provider_settings", "provider_id": provider,
               "username": format!("scim-{slug}"), "deactivation_delay_secs": 900,
               "last_success_at": null, "updated_at": at}),
        json!({"kind": "user", "id": user, "provider_id": provider, "user_name": "on@example.com",
               "user_name_key": "on@example.com", "external_id": null, "display_name_key": null,
               "emails": [], "resource": {"userName": "on@example.com", "active": true},
               "version": 1, "created_at": at, "updated_at": at, "state": "active",
               "deactivation_due_at": null, "deactivation_requested_by": null,
               "legal_hold": false, "deleted_by_provider": false, "deleted_at": null,
               "admin_override": false, "lifecycle_version": 1, "state_changed_at": null}),
        json!({"kind": "end", "counts": {"providers": 1, "provider_settings": 1, "users": 1,
               "groups": 0, "memberships": 0, "jobs": 0, "sync_entries": 0,
               "audit_entries": 0, "provisioning_errors": 0}}),
    ];
    let document = dir.path().join("v2.jsonl");
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&document, text.join("\n")).expect("write");
    let imported = roster
        .cli_json(&["import", "--file", document.to_str().expect("utf-8")])
        .await;
    assert_eq!(imported["users"], 1, "{imported}");

    // As migration 0003 left existing tenants: users in the top-level organization, the
    // provider's methods at their defaults, the basic roles on its allowlist and as the
    // top-level organization's defaults, one digest job.
    let exported = dir.path().join("again.jsonl");
    export(&roster, &slug, &exported).await;
    let again = records(&exported);
    let of = |kind: &str| -> Vec<&Value> { again.iter().filter(|r| r["kind"] == kind).collect() };
    let users = of("user");
    assert_eq!(
        (&users[0]["org_id"], &users[0]["org_set_by"]),
        (&json!(TOP.to_string()), &json!("mapping"))
    );
    let settings = of("provider_settings");
    assert_eq!(
        (&settings[0]["org_method"], &settings[0]["role_method"]),
        (&json!("single"), &json!("manual"))
    );
    let basic: Vec<Value> = (3..=5).map(|n| json!(builtin(n).to_string())).collect();
    let allowed: Vec<Value> = of("role_allowlist_entry")
        .into_iter()
        .map(|e| e["role_id"].clone())
        .collect();
    assert_eq!(allowed, basic);
    let defaults: Vec<Value> = of("organization_default_role")
        .into_iter()
        .map(|d| d["role_id"].clone())
        .collect();
    assert_eq!(defaults, allowed);
    assert_eq!((of("organization").len(), of("role").len()), (1, 5));
    let jobs = jobs_of(&roster, this, &tenant).await;
    let digests = jobs
        .iter()
        .filter(|j| j.2.as_deref() == Some("send_digest"))
        .count();
    assert_eq!(digests, 1, "{jobs:?}");
}
