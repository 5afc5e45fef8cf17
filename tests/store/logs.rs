//! The sync log, audit log and provisioning errors as admins read them: filters,
//! sort orders, keyset pages that neither skip nor repeat, time ranges; and the
//! control schema's audit outbox delivered exactly once into the tenant.

use roster_core::{ProviderId, UserId};
use roster_store::{
    ActorKind, AuditEntry, AuditLogQuery, CredentialKind, LogCursor, NewProvider,
    NewProvisioningError, ProvisioningErrorQuery, Store, SyncEntry, SyncLogQuery, SyncLogSort,
};
use serde_json::json;
use uuid::Uuid;

use crate::harness::active_tenant;

conformance!(
    sync_log_filters_sorts_and_pages_without_gaps,
    audit_log_and_provisioning_errors_read_back,
    audit_outbox_is_delivered_once,
);

fn entry(provider: ProviderId, user: UserId, name: &str, change: &str, attr: &str) -> SyncEntry {
    SyncEntry {
        provider_id: provider,
        user_id: user,
        user_name: name.to_owned(),
        change_type: change.to_owned(),
        attribute: attr.to_owned(),
        old_value: None,
        new_value: Some(format!("{name}/{attr}")),
    }
}

/// Reads every page of `q` with `size` entries per page, following the cursors.
async fn all_pages(
    store: &Store,
    tenant: roster_core::TenantId,
    q: &SyncLogQuery,
    size: i64,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    let mut after: Option<LogCursor> = None;
    loop {
        let mut tx = store.begin(&tenant).await?;
        let page = tx.sync_log_page(q, after.as_ref(), size).await?;
        drop(tx);
        out.extend(page.iter().map(|e| {
            (
                e.user_name.clone(),
                e.change_type.clone(),
                e.attribute.clone(),
            )
        }));
        match page.last() {
            Some(last) if page.len() as i64 == size => after = Some(last.cursor(q.sort)),
            _ => return Ok(out),
        }
    }
}

async fn sync_log_filters_sorts_and_pages_without_gaps(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (okta, entra) = (ProviderId::generate(), ProviderId::generate());
    let (ann, bob) = (UserId::generate(), UserId::generate());
    let mut tx = store.begin(&tenant).await?;
    tx.ensure_provider_settings(okta, "scim-okta").await?;
    let mut written = Vec::new();
    for (n, change) in ["created", "updated", "blocked"].iter().enumerate() {
        for attr in ["name.givenName", "emails", "title"] {
            written.push(entry(okta, ann, "ann@example.test", change, attr));
            if n < 2 {
                written.push(entry(entra, bob, "bob@example.test", change, attr));
            }
        }
    }
    tx.append_sync_log(&written).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let everything = SyncLogQuery::default();
    assert_eq!(tx.count_sync_log(&everything).await?, written.len() as i64);
    let first = tx.sync_log_page(&everything, None, 1).await?;
    assert_eq!(first[0].provider_username.as_deref(), Some("scim-okta"));
    let by_ann = SyncLogQuery {
        user: Some(ann),
        ..SyncLogQuery::default()
    };
    assert_eq!(tx.count_sync_log(&by_ann).await?, 9);
    let entra_updates = SyncLogQuery {
        provider: Some(entra),
        change_type: Some("updated".to_owned()),
        ..SyncLogQuery::default()
    };
    let rows = tx.sync_log_page(&entra_updates, None, 100).await?;
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .all(|r| r.user_id == bob.as_uuid() && r.change_type == "updated")
    );
    assert_eq!(rows[0].provider_username, None, "no settings row for entra");
    let now = tx.tenant_now().await?;
    let future = SyncLogQuery {
        from: Some(now + time::Duration::minutes(1)),
        ..SyncLogQuery::default()
    };
    assert_eq!(tx.count_sync_log(&future).await?, 0);
    let past = SyncLogQuery {
        to: Some(now - time::Duration::minutes(1)),
        ..SyncLogQuery::default()
    };
    assert_eq!(tx.count_sync_log(&past).await?, 0);
    let around = SyncLogQuery {
        from: Some(now - time::Duration::minutes(1)),
        to: Some(now + time::Duration::minutes(1)),
        ..SyncLogQuery::default()
    };
    assert_eq!(tx.count_sync_log(&around).await?, written.len() as i64);
    drop(tx);

    // Every sort order, both directions, pages of 4: the pages together are the whole
    // ordered listing, with nothing skipped or repeated.
    for sort in [
        SyncLogSort::Time,
        SyncLogSort::UserName,
        SyncLogSort::ChangeType,
        SyncLogSort::Attribute,
    ] {
        for descending in [false, true] {
            let q = SyncLogQuery {
                sort,
                descending,
                ..SyncLogQuery::default()
            };
            let paged = all_pages(store, tenant, &q, 4).await?;
            let whole = all_pages(store, tenant, &q, 1000).await?;
            assert_eq!(paged, whole, "{sort:?} descending={descending}");
            assert_eq!(whole.len(), written.len());
            let key = |t: &(String, String, String)| match sort {
                SyncLogSort::Time => String::new(),
                SyncLogSort::UserName => t.0.clone(),
                SyncLogSort::ChangeType => t.1.clone(),
                SyncLogSort::Attribute => t.2.clone(),
            };
            let keys: Vec<String> = whole.iter().map(key).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            if descending {
                sorted.reverse();
            }
            assert_eq!(keys, sorted, "{sort:?} descending={descending}");
        }
    }
    Ok(())
}

fn audit(event: &str, actor: &str) -> AuditEntry {
    AuditEntry {
        id: Uuid::now_v7(),
        actor_kind: ActorKind::Operator,
        actor: actor.to_owned(),
        event: event.to_owned(),
        target_kind: Some("user".to_owned()),
        target_id: Some("u-1".to_owned()),
        target_name: Some("ann@example.test".to_owned()),
        details: json!({"state": "blocked"}),
    }
}

async fn audit_log_and_provisioning_errors_read_back(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    tx.ensure_provider_settings(provider, "scim-okta").await?;
    for n in 0..5 {
        tx.append_audit(&audit(&format!("event {}", n % 2), "operator"))
            .await?;
    }
    let error = NewProvisioningError {
        provider_id: provider,
        operation: "POST /Users".to_owned(),
        status: 409,
        scim_type: Some("uniqueness".to_owned()),
        user_name: Some("ann@example.test".to_owned()),
        external_id: None,
        detail: "userName is taken".to_owned(),
    };
    for _ in 0..3 {
        tx.record_provisioning_error(&error).await?;
    }
    tx.note_provider_success(provider).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let newest = tx
        .audit_log_page(&AuditLogQuery::default(), None, 10)
        .await?;
    assert_eq!(newest.len(), 5);
    assert!(
        newest
            .windows(2)
            .all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id))
    );
    assert_eq!(newest[0].details.0, json!({"state": "blocked"}));
    let odd = AuditLogQuery {
        event: Some("event 1".to_owned()),
        oldest_first: true,
        ..AuditLogQuery::default()
    };
    let odd = tx.audit_log_page(&odd, None, 10).await?;
    assert_eq!(odd.len(), 2);
    assert!(odd[0].at <= odd[1].at);
    let nobody = AuditLogQuery {
        actor: Some("someone else".to_owned()),
        ..AuditLogQuery::default()
    };
    assert!(tx.audit_log_page(&nobody, None, 10).await?.is_empty());

    let errors = tx
        .provisioning_errors_page(&ProvisioningErrorQuery::default(), None, 2)
        .await?;
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].scim_type.as_deref(), Some("uniqueness"));
    assert_eq!(errors[0].user_name.as_deref(), Some("ann@example.test"));
    let cursor = LogCursor {
        key: String::new(),
        at: errors[1].at,
        id: errors[1].id,
    };
    let rest = tx
        .provisioning_errors_page(&ProvisioningErrorQuery::default(), Some(&cursor), 2)
        .await?;
    assert_eq!(rest.len(), 1);
    assert!(errors.iter().all(|e| e.id != rest[0].id));
    let summaries = tx
        .provider_sync_summaries(&ProvisioningErrorQuery::default())
        .await?;
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].username, "scim-okta");
    assert_eq!(summaries[0].errors, 3);
    assert!(summaries[0].last_success_at.is_some());
    assert!(summaries[0].last_error_at.is_some());
    let later = ProvisioningErrorQuery {
        from: Some(tx.tenant_now().await? + time::Duration::minutes(1)),
        ..ProvisioningErrorQuery::default()
    };
    let quiet = tx.provider_sync_summaries(&later).await?;
    assert_eq!(
        quiet.len(),
        1,
        "a provider without errors in the range is still listed"
    );
    assert_eq!(quiet[0].errors, 0);
    assert_eq!(quiet[0].last_error_at, None);
    Ok(())
}

async fn audit_outbox_is_delivered_once(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let new = NewProvider {
        id: ProviderId::generate(),
        tenant_id: tenant,
        name: "Okta".to_owned(),
        credential_kind: CredentialKind::Basic,
        username: format!("scim-{}", Uuid::new_v4().simple()),
        secret_digest: Uuid::new_v4().as_bytes().to_vec(),
        expires_at: None,
    };
    let created = audit("provider created", "operator");
    store.insert_provider(&new, Some(&created)).await?;
    let disabled = audit("provider disabled", "operator");
    store
        .set_provider_enabled(tenant, new.id, false, Some(&disabled))
        .await?;
    // A refused change records nothing: the provider does not exist.
    let ghost = audit("provider deleted", "operator");
    assert!(
        store
            .delete_provider(tenant, ProviderId::generate(), Some(&ghost))
            .await
            .is_err()
    );
    assert_eq!(store.tenants_with_audit_outbox().await?, vec![tenant]);

    let mut tx = store.begin(&tenant).await?;
    assert!(
        tx.audit_log_page(&AuditLogQuery::default(), None, 10)
            .await?
            .is_empty()
    );
    drop(tx);
    // Delivered later, the entries keep the time of the change they record.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut tx = store.begin(&tenant).await?;
    let before_delivery = tx.tenant_now().await?;
    drop(tx);
    assert_eq!(store.deliver_audit_outbox(&tenant).await?, 2);
    assert_eq!(store.deliver_audit_outbox(&tenant).await?, 0);
    assert!(store.tenants_with_audit_outbox().await?.is_empty());
    let mut tx = store.begin(&tenant).await?;
    let log = tx
        .audit_log_page(
            &AuditLogQuery {
                oldest_first: true,
                ..AuditLogQuery::default()
            },
            None,
            10,
        )
        .await?;
    let events: Vec<(&str, Uuid)> = log.iter().map(|e| (e.event.as_str(), e.id)).collect();
    assert_eq!(
        events,
        vec![
            ("provider created", created.id),
            ("provider disabled", disabled.id)
        ]
    );
    for entry in &log {
        assert!(
            entry.at < before_delivery - time::Duration::milliseconds(100),
            "{} stamped {} (delivered after {})",
            entry.event,
            entry.at,
            before_delivery
        );
    }
    // Delivering an entry again (a crash between append and removal) keeps one copy.
    tx.append_audit(&created).await?;
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.audit_log_page(&AuditLogQuery::default(), None, 10)
            .await?
            .len(),
        2
    );
    Ok(())
}
