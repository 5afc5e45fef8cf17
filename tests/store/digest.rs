//! The directory sync digest's data: the tenant's frequency (daily by default), the window
//! from the last digest's end to the tenant's clock, what happened in a window, and the
//! recipients (none until someone holds the Customer Cloud Admin role).

use roster_core::{ProviderId, UserId};
use roster_store::{DigestFrequency, NewProvisioningError, SYNC_ERROR_CHANGE, Store, SyncEntry};

use crate::harness::{active_tenant, assert_recent, insert_users};

conformance!(
    digest_frequency_defaults_to_daily_and_changes,
    digest_windows_follow_one_another_on_the_tenant_clock,
    digest_summary_counts_the_window_only,
);

async fn digest_frequency_defaults_to_daily_and_changes(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let mut tx = store.begin(&tenant).await?;
    let settings = tx.digest_settings(false).await?;
    assert_eq!(settings.frequency, DigestFrequency::Daily);
    assert_recent(settings.covered_until.expect("seeded with the tenant"));
    let changed = tx.set_digest_frequency(DigestFrequency::Errors).await?;
    assert_eq!(changed.frequency, DigestFrequency::Errors);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.digest_settings(true).await?.frequency,
        DigestFrequency::Errors
    );
    assert!(
        tx.digest_recipients().await?.is_empty(),
        "nobody holds the role"
    );
    Ok(())
}

async fn digest_windows_follow_one_another_on_the_tenant_clock(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let mut tx = store.begin(&tenant).await?;
    let first = tx.digest_window().await?;
    let seeded = tx.digest_settings(false).await?.covered_until;
    assert_eq!(Some(first.from), seeded);
    assert!(first.from <= first.to);
    tx.advance_digest_window(first.to).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    tx.shift_clock(3600).await?;
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    let second = tx.digest_window().await?;
    assert_eq!(
        second.from, first.to,
        "the next window starts where the last ended"
    );
    if second.to - first.to < time::Duration::HOUR {
        anyhow::bail!(
            "this build cannot shift the tenant clock: run the suite with scripts/test \
             (cargo test --features roster/test-clock)"
        );
    }
    Ok(())
}

async fn digest_summary_counts_the_window_only(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let okta = ProviderId::generate();
    let entra = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    tx.ensure_provider_settings(okta, "scim-okta").await?;
    tx.ensure_provider_settings(entra, "scim-entra").await?;
    let users = insert_users(&mut tx, okta, "ann", 2).await?;
    let entry = |provider: ProviderId, user: UserId, change: &str| SyncEntry {
        provider_id: provider,
        user_id: user,
        user_name: "ann".to_owned(),
        change_type: change.to_owned(),
        attribute: "state".to_owned(),
        old_value: None,
        new_value: Some("no rule matched".to_owned()),
    };
    tx.append_sync_log(&[
        entry(okta, users[0], "created"),
        entry(okta, users[1], "created"),
        entry(entra, users[0], "updated"),
        entry(okta, users[1], SYNC_ERROR_CHANGE),
    ])
    .await?;
    for n in 0..7 {
        tx.record_provisioning_error(&NewProvisioningError {
            provider_id: entra,
            operation: "POST /Users".to_owned(),
            status: 409,
            scim_type: Some("uniqueness".to_owned()),
            user_name: Some(format!("user-{n}")),
            external_id: None,
            detail: "userName is taken".to_owned(),
        })
        .await?;
    }
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    tx.shift_clock(1).await?;
    let window = tx.digest_window().await?;
    let summary = tx.digest_summary(&window).await?;
    let by_type: Vec<(&str, i64)> = summary
        .changes_by_type
        .iter()
        .map(|c| (c.change_type.as_str(), c.entries))
        .collect();
    assert_eq!(
        by_type,
        [("created", 2), (SYNC_ERROR_CHANGE, 1), ("updated", 1)]
    );
    let by_provider: Vec<(Option<&str>, i64)> = summary
        .changes_by_provider
        .iter()
        .map(|p| (p.username.as_deref(), p.entries))
        .collect();
    assert_eq!(
        by_provider,
        [(Some("scim-entra"), 1), (Some("scim-okta"), 3)]
    );
    assert_eq!(summary.provider_errors.len(), 1);
    let errors = &summary.provider_errors[0];
    assert_eq!(
        (errors.username.as_deref(), errors.errors),
        (Some("scim-entra"), 7)
    );
    assert_eq!(errors.latest.len(), 5, "the most recent five");
    assert_eq!(errors.latest[0].user_name.as_deref(), Some("user-6"));
    assert_eq!(summary.sync_errors, 1);
    assert_eq!(summary.latest_sync_errors.len(), 1);
    assert_eq!(
        summary.latest_sync_errors[0].provider_username.as_deref(),
        Some("scim-okta")
    );
    assert!(summary.has_errors());
    tx.advance_digest_window(window.to).await?;
    tx.commit().await?;

    // The next window starts after everything above.
    let mut tx = store.begin(&tenant).await?;
    tx.shift_clock(1).await?;
    let next = tx.digest_window().await?;
    let quiet = tx.digest_summary(&next).await?;
    assert!(quiet.changes_by_type.is_empty(), "{quiet:?}");
    assert!(quiet.provider_errors.is_empty() && !quiet.has_errors());
    Ok(())
}
