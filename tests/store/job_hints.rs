//! The control schema's next-due hints (compare-and-set) and the retention purge's 90-day
//! boundary.

use std::time::Duration;

use roster_core::{ProviderId, UserId};
use roster_store::{ActorKind, AuditEntry, Store, SyncEntry};
use serde_json::json;
use uuid::Uuid;

use crate::harness::active_tenant;

conformance!(
    hints_are_compare_and_set,
    the_purge_removes_what_is_older_than_its_retention,
);

async fn hints_are_compare_and_set(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    assert_eq!(store.job_hint_version(&tenant).await?, None);
    store.note_job_due(&tenant, Duration::ZERO).await?;
    let due = store.due_tenants(100).await?;
    let hint = due.iter().find(|d| d.tenant == tenant).expect("due now");
    let read = Some(hint.version);
    // A job noted after the read bumps the version: the stale write is refused.
    store.note_job_due(&tenant, Duration::from_secs(60)).await?;
    assert!(!store.settle_job_hint(&tenant, read, None).await?);
    assert!(
        store
            .due_tenants(100)
            .await?
            .iter()
            .any(|d| d.tenant == tenant)
    );
    let current = store.job_hint_version(&tenant).await?;
    assert!(
        store
            .settle_job_hint(&tenant, current, Some(Duration::from_secs(3600)))
            .await?
    );
    assert!(
        !store
            .due_tenants(100)
            .await?
            .iter()
            .any(|d| d.tenant == tenant)
    );
    let current = store.job_hint_version(&tenant).await?;
    assert!(
        store.settle_job_hint(&tenant, current, None).await?,
        "deleted"
    );
    assert_eq!(store.job_hint_version(&tenant).await?, None);
    // No hint read: only inserted while there is still none.
    assert!(
        store
            .settle_job_hint(&tenant, None, Some(Duration::ZERO))
            .await?
    );
    assert!(
        store
            .due_tenants(100)
            .await?
            .iter()
            .any(|d| d.tenant == tenant)
    );
    Ok(())
}

async fn the_purge_removes_what_is_older_than_its_retention(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let mut tx = store.begin(&tenant).await?;
    let start = tx.tenant_now().await?;
    tx.shift_clock(0).await?;
    tx.append_sync_log(&[SyncEntry {
        provider_id: ProviderId::generate(),
        user_id: UserId::generate(),
        user_name: "old@example.test".to_owned(),
        change_type: "created".to_owned(),
        attribute: "userName".to_owned(),
        old_value: None,
        new_value: Some("old@example.test".to_owned()),
    }])
    .await?;
    tx.append_audit(&AuditEntry {
        id: Uuid::now_v7(),
        actor_kind: ActorKind::System,
        actor: "roster".to_owned(),
        event: "user added".to_owned(),
        target_kind: None,
        target_id: None,
        target_name: None,
        details: json!({}),
    })
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    tx.shift_clock(90 * 86_400 - 60).await?;
    if tx.tenant_now().await? - start < time::Duration::days(89) {
        anyhow::bail!(
            "this build cannot shift the tenant clock: run the suite with scripts/test \
             (cargo test --features roster/test-clock)"
        );
    }
    let counts = tx.purge_expired_logs(365).await?;
    assert_eq!(
        (counts.sync_log, counts.audit_log),
        (0, 0),
        "89 days 23:59 old"
    );
    tx.shift_clock(120).await?;
    let counts = tx.purge_expired_logs(365).await?;
    assert_eq!(
        (
            counts.sync_log,
            counts.provisioning_errors,
            counts.audit_log
        ),
        (1, 0, 0)
    );
    let counts = tx.purge_expired_logs(30).await?;
    assert_eq!(
        (counts.sync_log, counts.audit_log),
        (0, 1),
        "the audit log's own retention"
    );
    tx.commit().await?;
    Ok(())
}
