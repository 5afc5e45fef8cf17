//! Helpers of the jobs tests: short leases and polls, the TestHooks client, waiting for a
//! job or a user state, and [`TenantDb`], which counts a tenant's audit and sync-log rows.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

use roster_e2e::{Roster, RosterOptions};
use roster_proto::testhooks::v1 as pb;
use roster_proto::testhooks::v1::test_hooks_service_client::TestHooksServiceClient;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::common::*;

/// How long a test waits for a worker to act.
const WAIT: Duration = Duration::from_secs(30);

/// Options with a fast worker: 100 ms polls and 2 s leases.
pub fn jobs_options() -> RosterOptions {
    RosterOptions::default()
        .env("ROSTER_JOBS__POLL_INTERVAL_MS", "100")
        .env("ROSTER_JOBS__LEASE_SECS", "2")
}

/// The TestHooks gRPC service of one process, called with that process's operator token.
pub struct Hooks {
    client: TestHooksServiceClient<tonic::transport::Channel>,
    token: String,
}

/// A job fault.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    Fail,
    AbortAfterCommit,
    AbortBeforeCommit,
}

impl Hooks {
    /// Connects to a Roster's admin endpoint.
    pub async fn of(roster: &Roster) -> Hooks {
        Hooks::connect(roster.admin_url(), roster.data_dir()).await
    }

    /// Connects to `admin_url` with the operator token in `data_dir`.
    pub async fn connect(admin_url: &str, data_dir: &Path) -> Hooks {
        let channel = tonic::transport::Endpoint::from_shared(admin_url.to_owned())
            .expect("admin url")
            .connect()
            .await
            .expect("connect to the admin endpoint");
        let token = std::fs::read_to_string(data_dir.join("operator.token")).expect("token");
        Hooks {
            client: TestHooksServiceClient::new(channel),
            token: token.trim().to_owned(),
        }
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            format!("Bearer {}", self.token).parse().expect("header"),
        );
        request
    }

    /// Moves the tenant's clock `seconds` ahead and wakes the worker.
    pub async fn shift_clock(&self, tenant: &str, seconds: i64) {
        let request = self.request(pb::ShiftClockRequest {
            tenant: tenant.to_owned(),
            seconds,
        });
        self.client
            .clone()
            .shift_clock(request)
            .await
            .expect("ShiftClock");
    }

    /// Sets a job fault of the tenant (0 clears it).
    pub async fn set_fault(&self, tenant: &str, fault: Fault, value: i64) {
        let fault = match fault {
            Fault::Fail => pb::JobFault::Fail,
            Fault::AbortAfterCommit => pb::JobFault::AbortAfterCommit,
            Fault::AbortBeforeCommit => pb::JobFault::AbortBeforeCommit,
        };
        let request = self.request(pb::SetJobFaultRequest {
            tenant: tenant.to_owned(),
            fault: fault as i32,
            value,
        });
        self.client
            .clone()
            .set_job_fault(request)
            .await
            .expect("SetJobFault");
    }
}

/// Sets the provider's `active` through SCIM.
pub async fn set_active(f: &Fixture, id: &str, active: bool) {
    let body = patch(json!([{"op": "replace", "path": "active", "value": active}]));
    let resp = f.scim.patch(&format!("/Users/{id}"), &body).await;
    assert_eq!(resp.status, 200, "PATCH active: {}", resp.text);
}

/// Sets the fixture provider's deactivation delay through the CLI.
pub async fn set_delay(f: &Fixture, delay: &str) {
    f.roster
        .cli_json(&[
            "provider",
            "set-delay",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
            "--delay",
            delay,
        ])
        .await;
}

/// Returns a user's lifecycle state through the CLI.
pub async fn user_state(f: &Fixture, id: &str) -> String {
    let user = f
        .roster
        .cli_json(&["users", "show", "--tenant", &f.slug, id])
        .await;
    user["state"].as_str().expect("state").to_owned()
}

/// Returns the user's one deactivation job, through `roster jobs list --json`.
pub async fn only_deactivation(f: &Fixture, id: &str) -> Value {
    let listed = f
        .roster
        .cli_json(&[
            "jobs",
            "list",
            "--tenant",
            &f.slug,
            "--kind",
            "deactivate_user",
            "--subject",
            id,
        ])
        .await;
    assert_eq!(listed["total"], 1, "one deactivation job: {listed}");
    listed["jobs"][0].clone()
}

/// Waits until the user's deactivation job satisfies `done`, and returns it.
pub async fn wait_for_job(f: &Fixture, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let job = only_deactivation(f, id).await;
        if done(&job) {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the job did not get there in {WAIT:?}: {job}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Waits until the user is in `state`.
pub async fn wait_for_state(f: &Fixture, id: &str, state: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = user_state(f, id).await;
        if now == state {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "user {id} is still {now}, not {state}, after {WAIT:?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Returns the seconds between a pending job's last failure and its next due time.
pub fn backoff_of(job: &Value) -> i64 {
    let at = |key: &str| {
        OffsetDateTime::parse(job[key].as_str().expect(key), &Rfc3339).expect("RFC 3339")
    };
    (at("due_at") - at("updated_at")).as_seconds_f64().round() as i64
}

/// A direct connection to one tenant's tables, to count what jobs did.
pub enum TenantDb {
    Postgres { pool: sqlx::PgPool, schema: String },
    Sqlite(sqlx::SqlitePool),
}

impl TenantDb {
    /// Opens the fixture tenant's schema (PostgreSQL) or database file (SQLite).
    pub async fn open(f: &Fixture) -> TenantDb {
        TenantDb::open_tenant(&f.roster, &f.slug).await
    }

    /// Opens tenant `slug` of `roster`.
    pub async fn open_tenant(roster: &Roster, slug: &str) -> TenantDb {
        let tenant = roster.cli_json(&["tenant", "show", slug]).await;
        let id = tenant["id"].as_str().expect("tenant id").replace('-', "");
        let schema = format!("tenant_{id}");
        match roster.database_env().first() {
            Some((_, url)) => TenantDb::Postgres {
                pool: sqlx::PgPool::connect(url).await.expect("connect"),
                schema,
            },
            None => {
                let file = roster
                    .data_dir()
                    .join("tenants")
                    .join(format!("{schema}.db"));
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(file)
                    .busy_timeout(Duration::from_secs(10));
                TenantDb::Sqlite(
                    sqlx::sqlite::SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_with(options)
                        .await
                        .expect("open the tenant database"),
                )
            }
        }
    }

    /// Returns `table` as this backend names it.
    pub fn table(&self, table: &str) -> String {
        match self {
            TenantDb::Postgres { schema, .. } => format!("{schema}.{table}"),
            TenantDb::Sqlite(_) => table.to_owned(),
        }
    }

    /// Runs `SELECT count(*) …` with text parameters.
    pub async fn count(&self, sql: &str, args: &[&str]) -> i64 {
        match self {
            TenantDb::Postgres { pool, .. } => {
                let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()));
                for arg in args {
                    query = query.bind(arg.to_string());
                }
                query.fetch_one(pool).await.expect(sql)
            }
            TenantDb::Sqlite(pool) => {
                let mut query = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_owned()));
                for arg in args {
                    query = query.bind(arg.to_string());
                }
                query.fetch_one(pool).await.expect(sql)
            }
        }
    }

    /// Counts audit entries of `event` about `target` (a user or job id).
    pub async fn audit_count(&self, event: &str, target: &str) -> i64 {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE event = $1 AND target_id = $2",
            self.table("audit_log")
        );
        self.count(&sql, &[event, target]).await
    }

    /// Returns the actor of the one audit entry of `event` about `target`.
    pub async fn audit_actor(&self, event: &str, target: &str) -> String {
        let sql = format!(
            "SELECT actor FROM {} WHERE event = $1 AND target_id = $2",
            self.table("audit_log")
        );
        match self {
            TenantDb::Postgres { pool, .. } => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(event)
                .bind(target)
                .fetch_one(pool)
                .await
                .expect("audit actor"),
            TenantDb::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(event)
                .bind(target)
                .fetch_one(pool)
                .await
                .expect("audit actor"),
        }
    }

    /// Counts sync-log entries of `change_type` about the user named `user_name`.
    pub async fn sync_count(&self, change_type: &str, user_name: &str) -> i64 {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE change_type = $1 AND user_name = $2",
            self.table("sync_log")
        );
        self.count(&sql, &[change_type, user_name]).await
    }

    /// Counts the rows of `table` (sync_log, provisioning_errors, audit_log) about users whose
    /// name starts with `prefix`.
    pub async fn rows_named(&self, table: &str, prefix: &str) -> i64 {
        let column = if table == "audit_log" {
            "target_name"
        } else {
            "user_name"
        };
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {column} LIKE $1",
            self.table(table)
        );
        self.count(&sql, &[&format!("{prefix}%")]).await
    }

    /// Records a provisioning error now (the tenant's clock) for the user named `user_name`: no
    /// API writes them on this branch yet.
    pub async fn insert_provisioning_error(&self, user_name: &str) {
        let id = uuid::Uuid::new_v4();
        match self {
            TenantDb::Postgres { pool, schema } => {
                let sql = format!(
                    "INSERT INTO {schema}.provisioning_errors (id, at, provider_id, operation, status, user_name, detail) \
                     VALUES ($1, now() + COALESCE((SELECT value FROM {schema}.test_hooks WHERE name = 'clock_offset_secs'), 0) * interval '1 second', \
                     $1, 'POST /Users', 400, $2, 'refused')"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(id)
                    .bind(user_name)
                    .execute(pool)
                    .await
                    .expect("insert a provisioning error");
            }
            TenantDb::Sqlite(pool) => {
                sqlx::query(
                    "INSERT INTO provisioning_errors (id, at, provider_id, operation, status, user_name, detail) \
                     VALUES ($1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', COALESCE((SELECT value FROM test_hooks WHERE name = 'clock_offset_secs'), 0) || ' seconds'), \
                     $1, 'POST /Users', 400, $2, 'refused')",
                )
                .bind(id)
                .bind(user_name)
                .execute(pool)
                .await
                .expect("insert a provisioning error");
            }
        }
    }
}

/// SIGABRT: what `std::process::abort` ends a process with.
const SIGABRT: i32 = 6;

/// Waits until the Roster no longer answers, then reaps it and checks it aborted.
pub async fn wait_until_aborted(roster: &mut Roster) {
    for _ in 0..200 {
        if !roster.cli(&["tenant", "list"]).await.status.success() {
            let status = roster.stop().expect("reap roster");
            assert_eq!(status.signal(), Some(SIGABRT), "{status}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("roster did not abort");
}
