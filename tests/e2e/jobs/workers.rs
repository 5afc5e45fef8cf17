//! Workers that die around their commit, and several worker processes on one PostgreSQL
//! database: each deactivation happens exactly once.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use roster_e2e::{Backend, Roster, roster_command, runs_on};
use serde_json::Value;
use tempfile::TempDir;

use super::support::*;
use crate::common::*;

#[tokio::test]
async fn a_worker_that_dies_around_its_commit_leaves_each_deactivation_done_once() {
    let mut f = fixture_with(jobs_options(), "basic").await;
    set_delay(&f, "30s").await;
    let before = create_user(&f.scim, &user_body("before-commit@example.com")).await;
    let after = create_user(&f.scim, &user_body("after-commit@example.com")).await;

    // Dies after running the effect, before committing it: the restarted process runs the
    // job again once the dead attempt's lease has expired.
    Hooks::of(&f.roster)
        .await
        .set_fault(&f.slug, Fault::AbortBeforeCommit, 1)
        .await;
    set_active(&f, &before, false).await;
    Hooks::of(&f.roster).await.shift_clock(&f.slug, 31).await;
    wait_until_aborted(&mut f.roster).await;
    f.roster.restart().await.expect("restart");
    wait_for_state(&f, &before, "deactivated").await;
    let job = only_deactivation(&f, &before).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 2, "the dead attempt counted: {job}");

    // Dies right after committing: the job is done and is not run again.
    Hooks::of(&f.roster)
        .await
        .set_fault(&f.slug, Fault::AbortAfterCommit, 1)
        .await;
    set_active(&f, &after, false).await;
    Hooks::of(&f.roster).await.shift_clock(&f.slug, 31).await;
    wait_until_aborted(&mut f.roster).await;
    f.roster.restart().await.expect("restart");
    wait_for_state(&f, &after, "deactivated").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let job = only_deactivation(&f, &after).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["attempts"], 1, "{job}");

    let db = TenantDb::open(&f).await;
    assert_eq!(db.audit_count("user deactivated", &before).await, 1);
    assert_eq!(db.audit_count("user deactivated", &after).await, 1);
    assert_eq!(
        db.sync_count("deactivated", "before-commit@example.com")
            .await,
        1
    );
    assert_eq!(
        db.sync_count("deactivated", "after-commit@example.com")
            .await,
        1
    );
}

/// A `roster serve jobs` process on a Roster's PostgreSQL database, with its own data dir.
struct JobsProcess {
    child: Child,
    admin_url: String,
    dir: TempDir,
}

impl JobsProcess {
    async fn start(roster: &Roster) -> JobsProcess {
        let dir = tempfile::Builder::new()
            .prefix("roster-e2e-jobs-")
            .tempdir()
            .expect("data dir");
        let log = std::fs::File::create(dir.path().join("roster.log")).expect("log");
        let mut command = roster_command();
        command
            .args(["serve", "jobs"])
            .env("ROSTER_DATA_DIR", dir.path())
            .env("ROSTER_ADMIN__LISTEN", "127.0.0.1:0")
            .env("ROSTER_JOBS__POLL_INTERVAL_MS", "100")
            .env("ROSTER_JOBS__LEASE_SECS", "2")
            .env("ROSTER_JOBS__BATCH_SIZE", "3")
            .env("RUST_LOG", "info")
            .envs(roster.database_env())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        let child = command.spawn().expect("spawn roster serve jobs");
        let admin_url = wait_for_admin(dir.path()).await;
        JobsProcess {
            child,
            admin_url,
            dir,
        }
    }

    fn alive(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    async fn hooks(&self) -> Hooks {
        Hooks::connect(&self.admin_url, self.dir.path()).await
    }
}

impl Drop for JobsProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_for_admin(dir: &Path) -> String {
    let path = dir.join("endpoints.json");
    for _ in 0..300 {
        if let Some(endpoints) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        {
            return endpoints["admin"].as_str().expect("admin").to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("roster serve jobs did not write endpoints.json");
}

#[tokio::test]
async fn two_worker_processes_deactivate_each_of_many_users_exactly_once() {
    if !runs_on(Backend::Postgres) {
        return;
    }
    let f = fixture_with(jobs_options().env("ROSTER_JOBS__BATCH_SIZE", "3"), "basic").await;
    let second = JobsProcess::start(&f.roster).await;
    set_delay(&f, "30s").await;
    let mut ids = Vec::new();
    for i in 0..40 {
        let id = create_user(&f.scim, &user_body(&format!("many-{i}@example.com"))).await;
        set_active(&f, &id, false).await;
        ids.push(id);
    }
    second.hooks().await.shift_clock(&f.slug, 31).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let done = f
            .roster
            .cli_json(&[
                "users",
                "list",
                "--tenant",
                &f.slug,
                "--state",
                "deactivated",
            ])
            .await;
        if done["total"] == 40 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{done}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let db = TenantDb::open(&f).await;
    for id in &ids {
        assert_eq!(db.audit_count("user deactivated", id).await, 1, "user {id}");
    }
    let succeeded = f
        .roster
        .cli_json(&[
            "jobs",
            "list",
            "--tenant",
            &f.slug,
            "--kind",
            "deactivate_user",
            "--state",
            "succeeded",
            "--limit",
            "200",
        ])
        .await;
    assert_eq!(succeeded["total"], 40, "{succeeded}");
    let attempts: Vec<i64> = succeeded["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["attempts"].as_i64().expect("attempts"))
        .collect();
    assert!(attempts.iter().all(|a| *a == 1), "{attempts:?}");
}

#[tokio::test]
async fn a_worker_process_killed_around_its_commit_is_covered_by_the_other() {
    if !runs_on(Backend::Postgres) {
        return;
    }
    // The all-in-one process only serves SCIM and the CLI here: its worker is never poked by
    // the clock shifts (sent to the jobs processes) and polls once an hour.
    let f = fixture_with(
        jobs_options().env("ROSTER_JOBS__POLL_INTERVAL_MS", "3600000"),
        "basic",
    )
    .await;
    let mut workers = [
        JobsProcess::start(&f.roster).await,
        JobsProcess::start(&f.roster).await,
    ];
    set_delay(&f, "30s").await;
    for (fault, name, attempts) in [
        (Fault::AbortAfterCommit, "after@example.com", 1),
        (Fault::AbortBeforeCommit, "before@example.com", 2),
    ] {
        let id = create_user(&f.scim, &user_body(name)).await;
        workers[0].hooks().await.set_fault(&f.slug, fault, 1).await;
        set_active(&f, &id, false).await;
        workers[0].hooks().await.shift_clock(&f.slug, 31).await;
        wait_for_state(&f, &id, "deactivated").await;
        let job = only_deactivation(&f, &id).await;
        assert_eq!(job["state"], "succeeded", "{job}");
        assert_eq!(job["attempts"], attempts, "{name}: {job}");
        let mut dead: Vec<usize> = Vec::new();
        for _ in 0..50 {
            dead = (0..2).filter(|i| !workers[*i].alive()).collect();
            if !dead.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(dead.len(), 1, "exactly one worker aborted ({name})");
        let db = TenantDb::open(&f).await;
        assert_eq!(db.audit_count("user deactivated", &id).await, 1, "{name}");
        assert_eq!(db.sync_count("deactivated", name).await, 1, "{name}");
        workers[dead[0]] = JobsProcess::start(&f.roster).await;
    }
}

#[tokio::test]
async fn the_sweep_rebuilds_a_lost_hint() {
    // The hint lives in the control schema; this test edits it directly, on PostgreSQL.
    if !runs_on(Backend::Postgres) {
        return;
    }
    let f = fixture_with(
        jobs_options().env("ROSTER_JOBS__SWEEP_INTERVAL_SECS", "1"),
        "basic",
    )
    .await;
    set_delay(&f, "30s").await;
    let id = create_user(&f.scim, &user_body("lost-hint@example.com")).await;
    set_active(&f, &id, false).await;
    // A crash between the tenant's commit and its hint: the job is due, no hint says so.
    let db = TenantDb::open(&f).await;
    let TenantDb::Postgres { pool, schema } = &db else {
        unreachable!("guarded by runs_on(Postgres)");
    };
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {schema}.test_hooks (name, value) VALUES ('clock_offset_secs', 31)"
    )))
    .execute(pool)
    .await
    .expect("shift the clock without a hint");
    sqlx::query("DELETE FROM control.job_hints")
        .execute(pool)
        .await
        .expect("lose the hint");
    wait_for_state(&f, &id, "deactivated").await;
    assert_eq!(db.audit_count("user deactivated", &id).await, 1);
}
