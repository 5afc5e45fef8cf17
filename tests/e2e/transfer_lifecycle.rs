//! `roster export` / `roster import` keep what safe deprovisioning relies on, from this run's
//! backend to the other one: a legal hold, a blocked user's pending deactivation and its job
//! (same id, same due time, same fence), a provider's delete, a local user, the provider's
//! deactivation delay, and the sync and audit logs, all through the real binary and its CLI.
//! The seeded `purge_logs` job is not duplicated, and a version 1 document still imports.
//! (`transfer_jobs.rs`: a job running at export time.)

use roster_e2e::{Backend, Roster, RosterOptions, unique_slug};
use serde_json::{Value, json};
use sqlx::Connection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::common::{create_user, patch, user_body};
use crate::transfer::client_on;

/// One job row as the test reads it: id, kind, unique key, state, fence, lease owner.
pub(crate) type JobRow = (
    uuid::Uuid,
    String,
    Option<String>,
    String,
    Option<i64>,
    Option<String>,
);

pub(crate) fn other(backend: Backend) -> Backend {
    match backend {
        Backend::Postgres => Backend::Sqlite,
        Backend::Sqlite => Backend::Postgres,
    }
}

/// Reads the tenant's jobs table directly: the schema on PostgreSQL, the tenant's file on SQLite.
pub(crate) async fn jobs_of(roster: &Roster, backend: Backend, tenant_id: &str) -> Vec<JobRow> {
    let schema = format!("tenant_{}", tenant_id.replace('-', ""));
    let columns = "id, kind, unique_key, state, fence, lease_owner";
    match backend {
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(roster.database_url())
                .await
                .expect("connect to the target's database");
            // The schema name is built from a UUID above, never from request text.
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {columns} FROM {schema}.jobs ORDER BY id"
            )))
            .fetch_all(&mut conn)
            .await
            .expect("read the jobs")
        }
        Backend::Sqlite => {
            let path = roster.data_dir().join(format!("tenants/{schema}.db"));
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .read_only(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("open the tenant's database");
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {columns} FROM jobs ORDER BY id"
            )))
            .fetch_all(&mut conn)
            .await
            .expect("read the jobs")
        }
    }
}

/// Rounds every RFC 3339 time in `value` to the millisecond: SQLite stores milliseconds, so
/// a move from PostgreSQL keeps each instant to that precision.
fn to_millis(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
                let nanos = at.unix_timestamp_nanos();
                *text = format!("{}ms", (nanos + 500_000).div_euclid(1_000_000));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(to_millis),
        Value::Object(map) => map.values_mut().for_each(to_millis),
        _ => {}
    }
}

/// Returns every line of an export but the header, times rounded to the millisecond.
pub(crate) fn records(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("read the export")
        .lines()
        .skip(1)
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).expect("JSON line");
            to_millis(&mut value);
            value
        })
        .collect()
}

pub(crate) async fn export(roster: &Roster, slug: &str, path: &std::path::Path) -> Value {
    roster
        .cli_json(&[
            "export",
            "--tenant",
            slug,
            "--out",
            path.to_str().expect("utf-8"),
        ])
        .await
}

async fn users_of(roster: &Roster, slug: &str) -> Value {
    let mut list = roster
        .cli_json(&["users", "list", "--tenant", slug, "--limit", "1000"])
        .await;
    to_millis(&mut list);
    list
}

pub(crate) async fn show(roster: &Roster, slug: &str, id: &str) -> Value {
    roster
        .cli_json(&["users", "show", "--tenant", slug, id])
        .await
}

#[tokio::test]
async fn export_import_keeps_legal_holds_pending_deactivations_jobs_and_logs() {
    let from = roster_e2e::backend();
    let to = other(from);
    let source = Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("life");
    let tenant = source.create_tenant(&slug).await;
    let tenant_id = tenant["id"].as_str().expect("tenant id").to_owned();
    let cred = source.create_provider(&slug, "Okta", "basic").await;
    let scim = source.scim(&cred);
    let delay = source
        .cli_json(&[
            "provider",
            "set-delay",
            "--tenant",
            &slug,
            "--provider",
            &cred.id,
            "--delay",
            "2h",
        ])
        .await;
    assert_eq!(delay["deactivation_delay_seconds"], 7200);

    let held = create_user(&scim, &user_body("held@example.com")).await;
    let hold = source
        .cli_json(&["users", "hold", "--tenant", &slug, &held])
        .await;
    assert_eq!(hold["legal_hold"], true);
    let leaving = create_user(&scim, &user_body("leaving@example.com")).await;
    let body = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let resp = scim.patch(&format!("/Users/{leaving}"), &body).await;
    assert_eq!(resp.status, 200, "PATCH active=false: {}", resp.text);
    let gone = create_user(&scim, &user_body("gone@example.com")).await;
    assert_eq!(scim.delete(&format!("/Users/{gone}")).await.status, 204);
    let body = patch(json!([{"op": "replace", "path": "title", "value": "Manager"}]));
    let kept = create_user(&scim, &user_body("kept@example.com")).await;
    assert_eq!(
        scim.patch(&format!("/Users/{kept}"), &body).await.status,
        200
    );
    let local = source
        .cli_json(&[
            "users",
            "create-local",
            "--tenant",
            &slug,
            "--user-name",
            "root@example.com",
        ])
        .await;
    let local = local["id"].as_str().expect("local id").to_owned();

    let leaving_before = show(&source, &slug, &leaving).await;
    assert_eq!(leaving_before["state"], "blocked");
    assert!(leaving_before["deactivation_due_at"].is_string());
    let users_before = users_of(&source, &slug).await;
    assert_eq!(users_before["total"], 5, "{users_before}");

    let dir = tempfile::tempdir().expect("temp dir");
    let first = dir.path().join("first.jsonl");
    let summary = export(&source, &slug, &first).await;
    let header: Value = serde_json::from_str(
        std::fs::read_to_string(&first)
            .expect("read")
            .lines()
            .next()
            .expect("header"),
    )
    .expect("JSON");
    assert_eq!(header["version"], 3);
    assert_eq!(summary["users"], 5, "{summary}");
    assert_eq!(summary["provider_settings"], 1, "{summary}");
    assert!(summary["jobs"].as_u64() >= Some(3), "{summary}");
    assert!(summary["sync_entries"].as_u64() > Some(0), "{summary}");
    assert!(summary["audit_entries"].as_u64() > Some(0), "{summary}");
    let exported = records(&first);
    let kinds: Vec<&str> = exported.iter().filter_map(|r| r["kind"].as_str()).collect();
    for kind in [
        "tenant",
        "provider",
        "provider_settings",
        "user",
        "job",
        "sync_entry",
        "audit_entry",
        "end",
    ] {
        assert!(kinds.contains(&kind), "no `{kind}` record in {kinds:?}");
    }

    let target = Roster::start(RosterOptions::default().backend(to).env(
        "ROSTER_SERVICES__KEY_FILE",
        source.data_dir().join("internal.key").display().to_string(),
    ))
    .await;
    let imported = target
        .cli_json(&["import", "--file", first.to_str().expect("utf-8")])
        .await;
    for count in [
        "providers",
        "provider_settings",
        "users",
        "groups",
        "memberships",
        "jobs",
        "sync_entries",
        "audit_entries",
        "provisioning_errors",
    ] {
        assert_eq!(imported[count], summary[count], "{count}: {imported}");
    }

    // The admin view answers the same: hold, pending deactivation, delete, local user.
    assert_eq!(users_of(&target, &slug).await, users_before);
    let shown = show(&target, &slug, &held).await;
    assert_eq!(shown["legal_hold"], true);
    let leaving_after = show(&target, &slug, &leaving).await;
    assert_eq!(leaving_after["state"], "blocked");
    assert_eq!(
        leaving_after["lifecycle_version"],
        leaving_before["lifecycle_version"]
    );
    let (mut a, mut b) = (leaving_after.clone(), leaving_before.clone());
    to_millis(&mut a);
    to_millis(&mut b);
    assert_eq!(a, b);
    assert_eq!(
        show(&target, &slug, &gone).await["deleted_by_provider"],
        true
    );
    assert_eq!(show(&target, &slug, &local).await["local"], true);
    let settings = target
        .cli_json(&[
            "provider",
            "settings",
            "--tenant",
            &slug,
            "--provider",
            &cred.id,
        ])
        .await;
    assert_eq!(settings["deactivation_delay_seconds"], 7200);

    // The jobs table: one live purge_logs, and the pending deactivation fenced by the user's
    // lifecycle version.
    let jobs = jobs_of(&target, to, &tenant_id).await;
    let live = |j: &&JobRow| j.3 == "pending" || j.3 == "running";
    let purges: Vec<&JobRow> = jobs
        .iter()
        .filter(|j| j.2.as_deref() == Some("purge_logs"))
        .filter(live)
        .collect();
    assert_eq!(purges.len(), 1, "{jobs:?}");
    let key = format!("deactivate:{leaving}");
    let deactivation = jobs
        .iter()
        .filter(live)
        .find(|j| j.2.as_deref() == Some(key.as_str()))
        .unwrap_or_else(|| panic!("no pending deactivation of {leaving}: {jobs:?}"))
        .clone();
    assert_eq!(deactivation.1, "deactivate_user");
    assert_eq!(
        Value::from(deactivation.4.expect("fence")),
        leaving_before["lifecycle_version"]
    );

    // Everything, logs included, comes out of the target as it went in.
    let second = dir.path().join("second.jsonl");
    export(&target, &slug, &second).await;
    assert_eq!(records(&second), exported);

    // The provider goes on with the same credentials; its reactivation cancels the job.
    let okta = client_on(&target, &slug, &cred);
    let body = patch(json!([{"op": "replace", "path": "active", "value": true}]));
    let resp = okta.patch(&format!("/Users/{leaving}"), &body).await;
    assert_eq!(resp.status, 200, "PATCH active=true: {}", resp.text);
    assert_eq!(show(&target, &slug, &leaving).await["state"], "active");
    let jobs = jobs_of(&target, to, &tenant_id).await;
    let cancelled = jobs
        .iter()
        .find(|j| j.0 == deactivation.0)
        .expect("the job");
    assert_eq!(cancelled.3, "cancelled", "{jobs:?}");
}

#[tokio::test]
async fn a_version_1_document_imports_with_lifecycle_defaults_and_one_purge_job() {
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
    header["version"] = json!(1);

    let slug = unique_slug("v1");
    let tenant = uuid::Uuid::new_v4().to_string();
    let provider = uuid::Uuid::new_v4().to_string();
    let (active, inactive) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let user = |id: uuid::Uuid, name: &str, active: bool| {
        json!({"kind": "user", "id": id.to_string(), "provider_id": provider, "user_name": name,
               "user_name_key": name, "external_id": null, "display_name_key": null,
               "emails": [], "resource": {"userName": name, "active": active}, "version": 2,
               "created_at": "2025-06-01T00:00:00Z", "updated_at": "2025-06-02T00:00:00Z"})
    };
    let lines = [
        header,
        json!({"kind": "tenant", "id": tenant, "slug": slug, "state": "active", "hosts": [],
               "created_at": "2025-06-01T00:00:00Z"}),
        json!({"kind": "provider", "id": provider, "name": "Old", "credential_kind": "bearer",
               "username": format!("scim-{slug}"), "secret_digest": "ZGlnZXN0LW9mLWEtdjEtZG9j",
               "enabled": true, "expires_at": null, "credential_issued_at": "2025-06-01T00:00:00Z",
               "created_at": "2025-06-01T00:00:00Z"}),
        user(active, "on@example.com", true),
        user(inactive, "off@example.com", false),
        json!({"kind": "end", "counts": {"providers": 1, "users": 2, "groups": 0, "memberships": 0}}),
    ];
    let document = dir.path().join("v1.jsonl");
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&document, text.join("\n")).expect("write");

    let imported = roster
        .cli_json(&["import", "--file", document.to_str().expect("utf-8")])
        .await;
    assert_eq!(imported["users"], 2, "{imported}");
    assert_eq!(imported["jobs"], 0, "{imported}");
    let on = show(&roster, &slug, &active.to_string()).await;
    assert_eq!(
        (&on["state"], &on["legal_hold"], &on["lifecycle_version"]),
        (&json!("active"), &json!(false), &json!(1))
    );
    // A user its provider had set inactive stays without access, as migration 0002 decided.
    let off = show(&roster, &slug, &inactive.to_string()).await;
    assert_eq!(off["state"], "blocked");
    assert_eq!(off["deactivation_due_at"], Value::Null);
    let jobs = jobs_of(&roster, this, &tenant).await;
    let purges = jobs
        .iter()
        .filter(|j| j.2.as_deref() == Some("purge_logs"))
        .count();
    assert_eq!(purges, 1, "{jobs:?}");
}
