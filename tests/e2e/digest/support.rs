//! Helpers of the digest tests: a Roster whose mail goes to a test SMTP server, Customer Cloud
//! Admins, provisioning errors and sync errors, and waiting for digest runs.

use std::time::Duration;

use roster_e2e::{RosterOptions, SmtpServer};
use serde_json::{Value, json};

use crate::common::*;
use crate::jobs::support::{TenantDb, jobs_options};

/// The sender the tests configure; its domain names the Message-IDs.
pub const FROM: &str = "Roster Digest <digest@roster.test>";

/// One day, in seconds.
pub const DAY: i64 = 86_400;

/// How long a test waits for a digest run.
const WAIT: Duration = Duration::from_secs(30);

/// Fast-worker options that send mail to `smtp`.
pub fn digest_options(smtp: &SmtpServer) -> RosterOptions {
    smtp.roster_env(FROM)
        .into_iter()
        .fold(jobs_options(), |options, (key, value)| {
            options.env(key, value)
        })
}

/// Creates an active user named `user_name` with these e-mail addresses (the last one
/// primary, when `primary`), grants it Customer Cloud Admin, and returns its id.
pub async fn create_admin(f: &Fixture, user_name: &str, emails: &[&str], primary: bool) -> String {
    let mut body = user_body(user_name);
    let count = emails.len();
    body["emails"] = json!(
        emails
            .iter()
            .enumerate()
            .map(|(i, e)| json!({"value": e, "type": "work", "primary": primary && i + 1 == count}))
            .collect::<Vec<_>>()
    );
    let id = create_user(&f.scim, &body).await;
    f.roster
        .cli_json(&[
            "users",
            "grant-role",
            "--tenant",
            &f.slug,
            &id,
            "Customer Cloud Admin",
        ])
        .await;
    id
}

/// Records a mapping error in the sync log now (the tenant's clock), as the mapping does.
pub async fn insert_sync_error(db: &TenantDb, provider: &str, user_id: &str, user_name: &str) {
    let provider = uuid::Uuid::parse_str(provider).expect("provider id");
    let user = uuid::Uuid::parse_str(user_id).expect("user id");
    let (now, table) = match db {
        TenantDb::Postgres { schema, .. } => (
            format!(
                "now() + COALESCE((SELECT value FROM {schema}.test_hooks WHERE name = 'clock_offset_secs'), 0) * interval '1 second'"
            ),
            format!("{schema}.sync_log"),
        ),
        TenantDb::Sqlite(_) => (
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', COALESCE((SELECT value FROM test_hooks WHERE name = 'clock_offset_secs'), 0) || ' seconds')".to_owned(),
            "sync_log".to_owned(),
        ),
    };
    let sql = format!(
        "INSERT INTO {table} (id, at, provider_id, user_id, user_name, change_type, attribute, old_value, new_value) \
         VALUES ($1, {now}, $2, $3, $4, 'sync error', 'organization', NULL, 'no rule matched the user')"
    );
    let id = uuid::Uuid::new_v4();
    match db {
        TenantDb::Postgres { pool, .. } => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(provider)
                .bind(user)
                .bind(user_name)
                .execute(pool)
                .await
                .expect("insert a sync error");
        }
        TenantDb::Sqlite(pool) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .bind(provider)
                .bind(user)
                .bind(user_name)
                .execute(pool)
                .await
                .expect("insert a sync error");
        }
    }
}

/// Sends a `POST /Users` the gateway refuses (a taken userName, 409) and waits until it is
/// recorded as a provisioning error (that happens after the answer).
pub async fn cause_provisioning_error(f: &Fixture, taken_user_name: &str) {
    let before = provisioning_errors(f).await;
    let resp = f.scim.post("/Users", &user_body(taken_user_name)).await;
    assert_eq!(resp.status, 409, "a taken userName: {}", resp.text);
    let deadline = tokio::time::Instant::now() + WAIT;
    while provisioning_errors(f).await <= before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the refusal was not recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn provisioning_errors(f: &Fixture) -> usize {
    let listed = f
        .roster
        .cli_json(&["provisioning-errors", "--tenant", &f.slug])
        .await;
    listed["errors"].as_array().expect("errors").len()
}

/// Returns the tenant's `send_digest` jobs in `state`, through `roster jobs list --json`.
pub async fn digest_jobs(f: &Fixture, state: &str) -> Value {
    f.roster
        .cli_json(&[
            "jobs",
            "list",
            "--tenant",
            &f.slug,
            "--kind",
            "send_digest",
            "--state",
            state,
        ])
        .await
}

/// Waits until `n` digest runs have succeeded and returns the newest.
pub async fn wait_for_digest_runs(f: &Fixture, n: i64) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let done = digest_jobs(f, "succeeded").await;
        if done["total"] == n {
            return done["jobs"][0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} digest runs did not succeed in time: {done}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Returns the tenant's digest settings through `roster digest show --json`.
pub async fn digest_settings(f: &Fixture) -> Value {
    f.roster
        .cli_json(&["digest", "show", "--tenant", &f.slug])
        .await
}

/// Returns the Message-ID the digest of the window that ended at `covered_until` must carry.
pub async fn expected_message_id(f: &Fixture, covered_until: &Value) -> String {
    let tenant = f.roster.cli_json(&["tenant", "show", &f.slug]).await;
    let id = tenant["id"].as_str().expect("tenant id").replace('-', "");
    let end = covered_until.as_str().expect("covered_until");
    let at = time::OffsetDateTime::parse(end, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
        .to_offset(time::UtcOffset::UTC);
    format!("<digest.{id}.{}@roster.test>", at.date())
}

/// Counts the tenant's audit entries of `event`.
pub async fn audit_events(db: &TenantDb, event: &str) -> i64 {
    let sql = format!(
        "SELECT count(*) FROM {} WHERE event = $1",
        db.table("audit_log")
    );
    db.count(&sql, &[event]).await
}
