//! `roster import` of a job that was running when the tenant was exported: it comes back
//! pending, its lease (held by a worker of the source) cleared, its fence kept; and the import
//! leaves the job workers a next-due hint in the control schema.

use roster_e2e::{Backend, Roster, RosterOptions, unique_slug};
use serde_json::{Value, json};
use sqlx::Connection;

use crate::common::{create_user, patch, user_body};
use crate::transfer_lifecycle::{export, jobs_of, show};

#[tokio::test]
async fn a_running_job_comes_back_pending_without_its_lease_and_the_workers_are_told() {
    let this = roster_e2e::backend();
    let source = Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("run");
    let tenant = source.create_tenant(&slug).await;
    let tenant_id = tenant["id"].as_str().expect("tenant id").to_owned();
    let cred = source.create_provider(&slug, "Okta", "basic").await;
    let scim = source.scim(&cred);
    let id = create_user(&scim, &user_body("busy@example.com")).await;
    let body = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    assert_eq!(scim.patch(&format!("/Users/{id}"), &body).await.status, 200);

    // The export as it would be while a worker holds the deactivation's lease.
    let dir = tempfile::tempdir().expect("temp dir");
    let exported = dir.path().join("tenant.jsonl");
    export(&source, &slug, &exported).await;
    let key = format!("deactivate:{id}");
    let mut job_id = None;
    let lines: Vec<String> = std::fs::read_to_string(&exported)
        .expect("read")
        .lines()
        .map(|line| {
            let mut record: Value = serde_json::from_str(line).expect("JSON");
            if record["kind"] == "job" && record["unique_key"] == key.as_str() {
                record["state"] = json!("running");
                record["attempts"] = json!(1);
                record["lease_owner"] = json!("worker-on-the-source");
                record["lease_expires_at"] = json!("2030-01-01T00:00:00Z");
                job_id = record["id"].as_str().map(str::to_owned);
            }
            record.to_string()
        })
        .collect();
    let job_id: uuid::Uuid = job_id
        .expect("the deactivation job is exported")
        .parse()
        .expect("a UUID");
    let running = dir.path().join("running.jsonl");
    std::fs::write(&running, lines.join("\n")).expect("write");

    let target = Roster::start(RosterOptions::default().env(
        "ROSTER_SERVICES__KEY_FILE",
        source.data_dir().join("internal.key").display().to_string(),
    ))
    .await;
    target
        .cli_json(&["import", "--file", running.to_str().expect("utf-8")])
        .await;
    let jobs = jobs_of(&target, this, &tenant_id).await;
    let job = jobs
        .iter()
        .find(|j| j.0 == job_id)
        .unwrap_or_else(|| panic!("job {job_id} not imported: {jobs:?}"));
    assert_eq!((job.3.as_str(), &job.5), ("pending", &None), "{jobs:?}");
    let user = show(&target, &slug, &id).await;
    assert_eq!(
        Value::from(job.4.expect("fence")),
        user["lifecycle_version"]
    );

    // The control schema's next-due hint points the job workers at the imported tenant.
    let tenant: uuid::Uuid = tenant_id.parse().expect("a UUID");
    let hints: i64 = match this {
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(target.database_url())
                .await
                .expect("connect");
            sqlx::query_scalar("SELECT count(*) FROM control.job_hints WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_one(&mut conn)
                .await
                .expect("read the hints")
        }
        Backend::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(target.data_dir().join("control.db"))
                .read_only(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .expect("open control.db");
            sqlx::query_scalar("SELECT count(*) FROM job_hints WHERE tenant_id = $1")
                .bind(tenant)
                .fetch_one(&mut conn)
                .await
                .expect("read the hints")
        }
    };
    assert_eq!(hints, 1);
}
