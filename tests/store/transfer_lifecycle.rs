//! The raw reads and writes behind `roster export` / `roster import` for what tenant migration
//! 0002 added: users' lifecycle facts, provider settings, jobs in every state, the sync and audit
//! logs and the provisioning errors come back exactly as written, page by page, on both backends;
//! `delete_all_data` empties those tables too; the seeded `purge_logs` and `send_digest` jobs are
//! found.

use roster_core::{ProviderId, UserId, user_name_key};
use roster_store::{
    ActorKind, LifecycleRecord, Requester, Store, StoredAuditEntry, StoredJob,
    StoredMappingMethods, StoredProviderSettings, StoredProvisioningError, StoredSyncEntry,
    StoredUser, TOP_LEVEL_ORGANIZATION, TenantTx, UserState,
};
use uuid::Uuid;

use crate::harness::{active_tenant, assert_conflict};
use crate::transfer::{all_users, at, stored_user};

conformance!(
    lifecycle_facts_of_users_round_trip_exactly,
    jobs_settings_and_logs_round_trip_exactly_page_by_page,
    delete_all_data_empties_the_jobs_and_logs_and_seeded_jobs_are_found,
);

/// A user on legal hold whose deactivation (asked for by its provider) is waiting.
fn held(provider: ProviderId) -> StoredUser {
    let mut user = stored_user(provider, 10);
    user.lifecycle = LifecycleRecord {
        state: UserState::Blocked,
        deactivation_due_at: Some(at(1767225600, 250)),
        deactivation_requested_by: Some(Requester::Provider),
        legal_hold: true,
        deleted_by_provider: false,
        deleted_at: None,
        admin_override: false,
        lifecycle_version: 6,
        state_changed_at: Some(at(1767225000, 125)),
    };
    user
}

/// A user its provider deleted and that is deactivated: its userName is free again.
fn deleted(provider: ProviderId) -> StoredUser {
    let mut user = stored_user(provider, 11);
    user.lifecycle = LifecycleRecord {
        state: UserState::Deactivated,
        deactivation_due_at: None,
        deactivation_requested_by: None,
        legal_hold: false,
        deleted_by_provider: true,
        deleted_at: Some(at(1767000000, 5)),
        admin_override: true,
        lifecycle_version: 3,
        state_changed_at: Some(at(1767000900, 0)),
    };
    user
}

async fn lifecycle_facts_of_users_round_trip_exactly(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut users = vec![held(provider), deleted(provider), stored_user(provider, 12)];
    let mut tx = store.begin(&tenant).await?;
    tx.insert_stored_users(&users).await?;
    tx.commit().await?;

    users.sort_by_key(|u| u.id);
    let mut read = all_users(store, &tenant).await?;
    for user in &mut read {
        user.emails.sort();
    }
    assert_eq!(read, users);

    // The admin view reads the same facts.
    let mut tx = store.begin(&tenant).await?;
    let hold = users
        .iter()
        .find(|u| u.lifecycle.legal_hold)
        .expect("held user");
    let record = tx.user_for_admin(hold.id, false).await?.expect("held user");
    assert_eq!(record.lifecycle, hold.lifecycle);
    // A deleted and deactivated user does not hold its userName; a live one does.
    let gone = users
        .iter()
        .find(|u| u.lifecycle.deleted_by_provider)
        .expect("deleted user");
    let mut again = stored_user(provider, 11);
    again.id = UserId::generate();
    assert_eq!(again.user_name_key, gone.user_name_key);
    tx.insert_stored_users(std::slice::from_ref(&again)).await?;
    let mut taken = stored_user(provider, 10);
    taken.id = UserId::generate();
    assert_eq!(taken.user_name_key, user_name_key(&hold.user_name));
    assert_conflict(tx.insert_stored_users(&[taken]).await);
    Ok(())
}

fn job(state: &str, key: Option<&str>, fence: Option<i64>, n: i64) -> StoredJob {
    let finished = matches!(state, "succeeded" | "failed" | "cancelled");
    StoredJob {
        id: Uuid::now_v7(),
        kind: "deactivate_user".to_owned(),
        subject: Some(UserId::generate().to_string()),
        unique_key: key.map(str::to_owned),
        fence,
        payload: serde_json::json!({"n": n}),
        state: state.to_owned(),
        due_at: at(1767225600 + n, 500),
        attempts: i32::from(finished),
        max_attempts: 10,
        lease_owner: (state == "running").then(|| "worker-a".to_owned()),
        lease_expires_at: (state == "running").then(|| at(1767225700, 0)),
        last_error: (state == "failed").then(|| "boom".to_owned()),
        outcome: finished.then(|| "deactivated".to_owned()),
        created_by: "scim-okta".to_owned(),
        created_at: at(1767225000 + n, 1),
        updated_at: at(1767225100 + n, 2),
        finished_at: finished.then(|| at(1767225200 + n, 3)),
    }
}

fn sync_entry(provider: ProviderId, n: i64) -> StoredSyncEntry {
    StoredSyncEntry {
        id: Uuid::now_v7(),
        at: at(1767225000 + n, 7),
        provider_id: provider,
        user_id: UserId::generate(),
        user_name: format!("user-{n}@example.com"),
        change_type: "updated".to_owned(),
        attribute: "name.givenName".to_owned(),
        old_value: (n % 2 == 0).then(|| "Ann".to_owned()),
        new_value: Some(format!("Ann {n}")),
    }
}

fn audit_entry(n: i64) -> StoredAuditEntry {
    StoredAuditEntry {
        id: Uuid::now_v7(),
        at: at(1767225000 + n, 9),
        actor_kind: if n % 2 == 0 {
            ActorKind::Provider
        } else {
            ActorKind::Operator
        },
        actor: "scim-okta".to_owned(),
        event: "user added".to_owned(),
        target_kind: Some("user".to_owned()),
        target_id: Some(UserId::generate().to_string()),
        target_name: None,
        details: serde_json::json!({"n": n, "nested": {"list": [1, "two"]}}),
    }
}

fn provisioning_error(provider: ProviderId, n: i64) -> StoredProvisioningError {
    StoredProvisioningError {
        id: Uuid::now_v7(),
        at: at(1767225000 + n, 11),
        provider_id: provider,
        operation: "create user".to_owned(),
        status: 409,
        scim_type: Some("uniqueness".to_owned()),
        user_name: Some(format!("user-{n}@example.com")),
        external_id: None,
        detail: "userName is taken".to_owned(),
    }
}

async fn jobs_settings_and_logs_round_trip_exactly_page_by_page(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (okta, entra) = (ProviderId::generate(), ProviderId::generate());
    let mut settings = vec![
        StoredProviderSettings {
            provider_id: okta,
            username: "scim-okta".to_owned(),
            deactivation_delay_secs: 3600,
            last_success_at: Some(at(1767225000, 333)),
            updated_at: at(1767224000, 0),
            mapping: StoredMappingMethods {
                org_method: "groups".to_owned(),
                org_target_id: Uuid::now_v7(),
                org_parent_id: TOP_LEVEL_ORGANIZATION,
                role_method: "groups".to_owned(),
            },
        },
        StoredProviderSettings {
            provider_id: entra,
            username: "scim-entra".to_owned(),
            deactivation_delay_secs: 0,
            last_success_at: None,
            updated_at: at(1767224001, 999),
            mapping: StoredMappingMethods::default(),
        },
    ];
    let mut jobs = vec![
        job("pending", Some("deactivate:a"), Some(4), 1),
        job("running", Some("deactivate:b"), Some(2), 2),
        job("succeeded", Some("deactivate:a"), Some(3), 3),
        job("failed", None, None, 4),
        job("cancelled", Some("deactivate:b"), Some(1), 5),
    ];
    let mut sync: Vec<_> = (0..5).map(|n| sync_entry(okta, n)).collect();
    let mut audit: Vec<_> = (0..3).map(audit_entry).collect();
    let mut errors: Vec<_> = (0..3).map(|n| provisioning_error(entra, n)).collect();

    let mut tx = store.begin(&tenant).await?;
    tx.delete_all_data().await?;
    tx.insert_stored_provider_settings(&settings).await?;
    tx.insert_stored_jobs(&jobs).await?;
    tx.insert_stored_sync_entries(&sync).await?;
    tx.insert_stored_audit_entries(&audit).await?;
    tx.insert_stored_provisioning_errors(&errors).await?;
    tx.commit().await?;

    settings.sort_by_key(|s| s.provider_id);
    jobs.sort_by_key(|j| j.id);
    sync.sort_by_key(|e| e.id);
    audit.sort_by_key(|e| e.id);
    errors.sort_by_key(|e| e.id);
    let read = read_all!(store, &tenant, stored_provider_settings_after, |last| last
        .provider_id);
    assert_eq!(read, settings);
    assert_eq!(
        read_all!(store, &tenant, stored_jobs_after, |last| last.id),
        jobs
    );
    assert_eq!(
        read_all!(store, &tenant, stored_sync_entries_after, |last| last.id),
        sync
    );
    assert_eq!(
        read_all!(store, &tenant, stored_audit_entries_after, |last| last.id),
        audit
    );
    assert_eq!(
        read_all!(store, &tenant, stored_provisioning_errors_after, |last| {
            last.id
        }),
        errors
    );

    // The ordinary API reads the imported settings.
    let mut tx = store.begin(&tenant).await?;
    let okta_settings = tx.provider_settings(okta).await?.expect("settings");
    assert_eq!(okta_settings.deactivation_delay_secs, 3600);
    // Keys hold: one live job per unique key, one row per id and per provider's settings.
    assert_conflict(
        tx.insert_stored_jobs(&[job("pending", Some("deactivate:a"), Some(9), 9)])
            .await,
    );
    drop(tx);
    let mut tx = store.begin(&tenant).await?;
    assert_conflict(tx.insert_stored_sync_entries(&sync[..1]).await);
    drop(tx);
    let mut tx = store.begin(&tenant).await?;
    assert_conflict(tx.insert_stored_provider_settings(&settings[..1]).await);
    Ok(())
}

async fn count_rows(tx: &mut TenantTx) -> anyhow::Result<[usize; 5]> {
    Ok([
        tx.stored_provider_settings_after(None, 100).await?.len(),
        tx.stored_jobs_after(None, 100).await?.len(),
        tx.stored_sync_entries_after(None, 100).await?.len(),
        tx.stored_audit_entries_after(None, 100).await?.len(),
        tx.stored_provisioning_errors_after(None, 100).await?.len(),
    ])
}

async fn delete_all_data_empties_the_jobs_and_logs_and_seeded_jobs_are_found(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    // A new tenant has the daily log purge that migration 0002 seeds and the daily digest
    // that migration 0003 seeds, and no other job.
    let seeded = tx.seeded_live_jobs().await?;
    let found: Vec<(&str, Option<&str>, &str)> = seeded
        .iter()
        .map(|job| {
            (
                job.kind.as_str(),
                job.unique_key.as_deref(),
                job.state.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("purge_logs", Some("purge_logs"), "pending"),
            ("send_digest", Some("send_digest"), "pending"),
        ]
    );
    assert_eq!(count_rows(&mut tx).await?, [0, 2, 0, 0, 0]);

    tx.insert_stored_provider_settings(&[StoredProviderSettings {
        provider_id: provider,
        username: "scim-x".to_owned(),
        deactivation_delay_secs: 60,
        last_success_at: None,
        updated_at: at(1767224000, 0),
        mapping: StoredMappingMethods::default(),
    }])
    .await?;
    tx.insert_stored_jobs(&[job("pending", Some("deactivate:x"), Some(2), 1)])
        .await?;
    tx.insert_stored_sync_entries(&[sync_entry(provider, 1)])
        .await?;
    tx.insert_stored_audit_entries(&[audit_entry(1)]).await?;
    tx.insert_stored_provisioning_errors(&[provisioning_error(provider, 1)])
        .await?;
    tx.insert_stored_users(&[held(provider)]).await?;
    assert_eq!(count_rows(&mut tx).await?, [1, 3, 1, 1, 1]);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    tx.delete_all_data().await?;
    assert_eq!(count_rows(&mut tx).await?, [0, 0, 0, 0, 0]);
    assert!(tx.seeded_live_jobs().await?.is_empty());
    // The seeded jobs go back in exactly as they were.
    tx.insert_stored_jobs(&seeded).await?;
    assert_eq!(tx.seeded_live_jobs().await?, seeded);
    tx.commit().await?;
    assert!(all_users(store, &tenant).await?.is_empty());
    Ok(())
}
