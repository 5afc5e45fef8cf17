//! Tenants in the control plane: lookup by slug and host, conflicts, state, and tenant-schema
//! migrations.

use roster_core::{ProviderId, TenantId, UserId};
use roster_store::{Store, TENANT_SCHEMA_VERSION, TenantState};

use crate::harness::{
    active_tenant, assert_conflict, assert_not_found, assert_recent, new_slug, new_user,
};

conformance!(
    tenant_found_by_slug_and_host,
    tenants_listed_by_slug_with_hosts,
    duplicate_slug_host_or_id_conflicts_and_stores_nothing,
    tenant_state_changes_or_not_found,
    tenants_needing_migration_are_the_unfinished_ones,
    migrate_tenant_is_idempotent,
    concurrent_migrations_agree,
    unmigrated_tenant_has_no_data,
);

async fn tenant_found_by_slug_and_host(store: &Store) -> anyhow::Result<()> {
    let id = TenantId::generate();
    let slug = new_slug()?;
    let hosts = vec!["b.example.test".to_owned(), "a.example.test".to_owned()];
    store.insert_tenant(id, &slug, &hosts).await?;

    let by_slug = store
        .tenant_by_slug(slug.as_str())
        .await?
        .expect("tenant by slug");
    assert_eq!(by_slug.id, id);
    assert_eq!(by_slug.slug, slug);
    assert_eq!(by_slug.state, TenantState::Provisioning);
    assert_eq!(by_slug.schema_version, 0);
    assert_eq!(by_slug.hosts, ["a.example.test", "b.example.test"]);
    assert_recent(by_slug.created_at);

    for host in &hosts {
        let by_host = store.tenant_by_host(host).await?.expect("tenant by host");
        assert_eq!(by_host.id, id);
        assert_eq!(by_host.slug, slug);
        assert_eq!(by_host.hosts, by_slug.hosts);
        assert_eq!(by_host.created_at, by_slug.created_at);
    }

    assert!(store.tenant_by_slug("no-such-tenant").await?.is_none());
    assert!(store.tenant_by_host("c.example.test").await?.is_none());
    // Hosts match exactly: normalising them is the gateway's job.
    assert!(store.tenant_by_host("A.example.test").await?.is_none());
    Ok(())
}

async fn tenants_listed_by_slug_with_hosts(store: &Store) -> anyhow::Result<()> {
    assert!(store.list_tenants().await?.is_empty());
    let (zed, alpha) = (TenantId::generate(), TenantId::generate());
    store
        .insert_tenant(zed, &roster_core::Slug::parse("zed-corp")?, &[])
        .await?;
    store
        .insert_tenant(
            alpha,
            &roster_core::Slug::parse("alpha-corp")?,
            &[
                "alpha.example.test".to_owned(),
                "scim.alpha.test".to_owned(),
            ],
        )
        .await?;

    let listed = store.list_tenants().await?;
    let summary: Vec<_> = listed
        .iter()
        .map(|t| (t.id, t.slug.as_str(), t.hosts.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                alpha,
                "alpha-corp",
                vec![
                    "alpha.example.test".to_owned(),
                    "scim.alpha.test".to_owned()
                ]
            ),
            (zed, "zed-corp", vec![]),
        ]
    );
    Ok(())
}

async fn duplicate_slug_host_or_id_conflicts_and_stores_nothing(
    store: &Store,
) -> anyhow::Result<()> {
    let first = TenantId::generate();
    let slug = new_slug()?;
    let host = "taken.example.test".to_owned();
    store
        .insert_tenant(first, &slug, std::slice::from_ref(&host))
        .await?;

    assert_conflict(
        store
            .insert_tenant(
                TenantId::generate(),
                &slug,
                &["free.example.test".to_owned()],
            )
            .await,
    );
    // The tenant row goes in before its hosts: the host conflict must roll it back.
    let other_slug = new_slug()?;
    assert_conflict(
        store
            .insert_tenant(
                TenantId::generate(),
                &other_slug,
                std::slice::from_ref(&host),
            )
            .await,
    );
    assert_conflict(store.insert_tenant(first, &new_slug()?, &[]).await);

    assert!(store.tenant_by_slug(other_slug.as_str()).await?.is_none());
    assert!(store.tenant_by_host("free.example.test").await?.is_none());
    let listed = store.list_tenants().await?;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].id, first);
    assert_eq!(listed[0].hosts, [host.as_str()]);
    assert_eq!(
        store.tenant_by_host(&host).await?.expect("host kept").id,
        first
    );
    Ok(())
}

async fn tenant_state_changes_or_not_found(store: &Store) -> anyhow::Result<()> {
    let id = TenantId::generate();
    let slug = new_slug()?;
    store.insert_tenant(id, &slug, &[]).await?;
    for state in [
        TenantState::Active,
        TenantState::Suspended,
        TenantState::Active,
    ] {
        store.set_tenant_state(id, state).await?;
        let stored = store.tenant_by_slug(slug.as_str()).await?.expect("tenant");
        assert_eq!(stored.state, state);
    }

    assert_not_found(
        store
            .set_tenant_state(TenantId::generate(), TenantState::Suspended)
            .await,
    );
    let stored = store.tenant_by_slug(slug.as_str()).await?.expect("tenant");
    assert_eq!(stored.state, TenantState::Active);
    Ok(())
}

async fn tenants_needing_migration_are_the_unfinished_ones(store: &Store) -> anyhow::Result<()> {
    // Created, never migrated: what a crash right after insert_tenant leaves.
    let fresh = TenantId::generate();
    store.insert_tenant(fresh, &new_slug()?, &[]).await?;
    // Migrated but still provisioning: a crash before activation.
    let migrated_only = TenantId::generate();
    store
        .insert_tenant(migrated_only, &new_slug()?, &[])
        .await?;
    store.migrate_tenant(&migrated_only).await?;
    // Active yet behind this build's schema.
    let stale = TenantId::generate();
    store.insert_tenant(stale, &new_slug()?, &[]).await?;
    store.set_tenant_state(stale, TenantState::Active).await?;
    // Finished ones, in either serving state.
    let done = active_tenant(store).await?;
    let suspended = active_tenant(store).await?;
    store
        .set_tenant_state(suspended, TenantState::Suspended)
        .await?;

    let mut needing: Vec<TenantId> = store
        .tenants_needing_migration()
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    needing.sort();
    let mut expected = vec![fresh, migrated_only, stale];
    expected.sort();
    assert_eq!(needing, expected);
    assert!(!needing.contains(&done) && !needing.contains(&suspended));

    // Finishing them empties the list.
    for id in [fresh, migrated_only, stale] {
        store.migrate_tenant(&id).await?;
        store.set_tenant_state(id, TenantState::Active).await?;
    }
    assert!(store.tenants_needing_migration().await?.is_empty());
    Ok(())
}

async fn migrate_tenant_is_idempotent(store: &Store) -> anyhow::Result<()> {
    let id = TenantId::generate();
    let slug = new_slug()?;
    store.insert_tenant(id, &slug, &[]).await?;

    let first = store.migrate_tenant(&id).await?;
    assert_eq!(first, TENANT_SCHEMA_VERSION);
    assert!(first >= 1);
    let recorded = store.tenant_by_slug(slug.as_str()).await?.expect("tenant");
    assert_eq!(recorded.schema_version, first);

    // Data written between runs survives a repeated run.
    let provider = ProviderId::generate();
    let user = UserId::generate();
    let mut tx = store.begin(&id).await?;
    tx.insert_user(provider, user, &new_user("kept")).await?;
    tx.commit().await?;

    let second = store.migrate_tenant(&id).await?;
    assert_eq!(second, first);
    let recorded = store.tenant_by_slug(slug.as_str()).await?.expect("tenant");
    assert_eq!(recorded.schema_version, first);
    let mut tx = store.begin(&id).await?;
    assert!(tx.user(provider, user, false).await?.is_some());
    assert_eq!(tx.count_users_of_provider(provider).await?, 1);
    Ok(())
}

/// Startup resuming a half-created tenant can race the request that created it: concurrent
/// runs on a brand-new tenant must all succeed. Many tenants, several runs each, because a lost
/// race is a matter of timing.
async fn concurrent_migrations_agree(store: &Store) -> anyhow::Result<()> {
    const TENANTS: usize = 100;
    const RUNS: usize = 4;
    let mut failed = Vec::new();
    for _ in 0..TENANTS {
        let id = TenantId::generate();
        let slug = new_slug()?;
        store.insert_tenant(id, &slug, &[]).await?;
        let mut runs = tokio::task::JoinSet::new();
        for _ in 0..RUNS {
            let store = store.clone();
            runs.spawn(async move { store.migrate_tenant(&id).await });
        }
        while let Some(joined) = runs.join_next().await {
            match joined? {
                Ok(version) => assert_eq!(version, TENANT_SCHEMA_VERSION),
                Err(err) => failed.push(format!("{id}: {err:?}")),
            }
        }
        let recorded = store.tenant_by_slug(slug.as_str()).await?.expect("tenant");
        assert_eq!(recorded.schema_version, TENANT_SCHEMA_VERSION);
        let mut tx = store.begin(&id).await?;
        tx.insert_user(ProviderId::generate(), UserId::generate(), &new_user("x"))
            .await?;
        tx.commit().await?;
    }
    assert!(
        failed.is_empty(),
        "{} of {} concurrent runs failed: {failed:#?}",
        failed.len(),
        TENANTS * RUNS
    );
    Ok(())
}

async fn unmigrated_tenant_has_no_data(store: &Store) -> anyhow::Result<()> {
    let id = TenantId::generate();
    store.insert_tenant(id, &new_slug()?, &[]).await?;
    // Without its schema (or file) a tenant's data cannot be reached; whether `begin` or the
    // first query says so differs by backend, but neither may answer as if the tenant were empty.
    let result = async {
        let mut tx = store.begin(&id).await?;
        tx.count_users_of_provider(ProviderId::generate()).await
    }
    .await;
    assert!(result.is_err(), "{result:?}");
    Ok(())
}
