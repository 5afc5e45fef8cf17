//! The daily `purge_logs` job removes exactly the sync-log entries and provisioning errors
//! older than 90 days, and audit entries older than `jobs.audit_retention_days`.

use super::support::*;
use crate::common::*;

/// Waits until `n` purge jobs have succeeded and returns the newest one.
async fn wait_for_purges(f: &Fixture, n: i64) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let done = f
            .roster
            .cli_json(&[
                "jobs",
                "list",
                "--tenant",
                &f.slug,
                "--kind",
                "purge_logs",
                "--state",
                "succeeded",
            ])
            .await;
        if done["total"] == n {
            return done["jobs"][0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} purges did not succeed in time: {done}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn the_daily_purge_removes_exactly_what_is_older_than_its_retention() {
    let options = jobs_options().env("ROSTER_JOBS__AUDIT_RETENTION_DAYS", "30");
    let f = fixture_with(options, "basic").await;
    let db = TenantDb::open(&f).await;
    let hooks = Hooks::of(&f.roster).await;
    for i in 0..3 {
        create_user(&f.scim, &user_body(&format!("old-{i}@example.com"))).await;
        db.insert_provisioning_error(&format!("old-{i}@example.com"))
            .await;
    }
    let old_sync = db.rows_named("sync_log", "old-").await;
    assert!(old_sync >= 3, "creating users writes sync-log entries");
    assert_eq!(db.rows_named("audit_log", "old-").await, 3);

    // Day 89: the first daily purge runs; nothing is old enough yet.
    hooks.shift_clock(&f.slug, 89 * 86_400).await;
    let first = wait_for_purges(&f, 1).await;
    let outcome = first["outcome"].as_str().expect("outcome");
    assert!(
        outcome.starts_with("purged 0 sync-log entries, 0 provisioning errors, "),
        "{first}"
    );
    assert_eq!(db.rows_named("sync_log", "old-").await, old_sync);
    assert_eq!(db.rows_named("provisioning_errors", "old-").await, 3);
    assert_eq!(
        db.rows_named("audit_log", "old-").await,
        0,
        "the audit log keeps 30 days here"
    );
    let next = f
        .roster
        .cli_json(&[
            "jobs",
            "list",
            "--tenant",
            &f.slug,
            "--kind",
            "purge_logs",
            "--state",
            "pending",
        ])
        .await;
    assert_eq!(next["total"], 1, "each purge schedules the next: {next}");

    for i in 0..2 {
        create_user(&f.scim, &user_body(&format!("new-{i}@example.com"))).await;
        db.insert_provisioning_error(&format!("new-{i}@example.com"))
            .await;
    }
    let new_sync = db.rows_named("sync_log", "new-").await;

    // Day 91: the next purge removes the day-0 entries, keeps the day-89 ones.
    hooks.shift_clock(&f.slug, 2 * 86_400).await;
    let second = wait_for_purges(&f, 2).await;
    let outcome = second["outcome"].as_str().expect("outcome");
    assert!(
        outcome.starts_with(&format!(
            "purged {old_sync} sync-log entries, 3 provisioning errors, "
        )),
        "{second}"
    );
    assert_eq!(db.rows_named("sync_log", "old-").await, 0);
    assert_eq!(db.rows_named("provisioning_errors", "old-").await, 0);
    assert_eq!(
        db.rows_named("audit_log", "old-").await,
        0,
        "audit kept 30 days"
    );
    assert_eq!(db.rows_named("sync_log", "new-").await, new_sync);
    assert_eq!(db.rows_named("provisioning_errors", "new-").await, 2);
    assert_eq!(db.rows_named("audit_log", "new-").await, 2);
    let purge_audits = db
        .count(
            &format!(
                "SELECT count(*) FROM {} WHERE event = $1",
                db.table("audit_log")
            ),
            &["logs purged"],
        )
        .await;
    assert_eq!(purge_audits, 2, "each purge is audited");
}
