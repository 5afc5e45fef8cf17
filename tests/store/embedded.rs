//! Mechanics of the embedded backend alone: the data-directory lock and the bounded set of open
//! tenant databases. Named `…::sqlite` like the SQLite half of the conformance tests.

use std::time::{Duration, Instant};

use roster_core::{ProviderId, TenantId, UserId};
use roster_store::{Store, StoreError};

use crate::harness::{
    MAX_OPEN_TENANTS, TestStore, active_tenant, embedded_options, new_slug, new_user,
};

/// How long the directory lock may take to come free after the last handle is dropped.
const UNLOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// Bounds the eviction scenario, which would otherwise hang if eviction waited for a transaction.
const EVICTION_TIMEOUT: Duration = Duration::from_secs(30);

mod data_dir_is_locked_while_open {
    #[tokio::test]
    async fn sqlite() -> anyhow::Result<()> {
        super::data_dir_is_locked_while_open().await
    }
}

mod tenants_beyond_the_open_limit {
    #[tokio::test]
    async fn sqlite() -> anyhow::Result<()> {
        let store = crate::harness::TestStore::sqlite().await?;
        super::tenants_beyond_the_open_limit(&store).await
    }
}

async fn data_dir_is_locked_while_open() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let options = embedded_options(&dir);
    let first = Store::connect(&options).await?;
    let tenant = TenantId::generate();
    let slug = new_slug()?;
    first.insert_tenant(tenant, &slug, &[]).await?;
    // Pools and services hold clones; the directory stays locked until the last one goes.
    let clone = first.clone();

    let assert_in_use = |result: Result<Store, StoreError>| match result {
        Err(StoreError::DataDirInUse { path, pid }) => {
            assert_eq!(path, dir.path());
            assert_eq!(pid, Some(std::process::id()), "the owner's pid is recorded");
        }
        other => panic!("expected DataDirInUse, got {other:?}"),
    };
    assert_in_use(Store::connect(&options).await);
    drop(first);
    assert_in_use(Store::connect(&options).await);
    // The clone still works, and the refused opens did not disturb it.
    assert_eq!(
        clone
            .tenant_by_slug(slug.as_str())
            .await?
            .expect("tenant")
            .id,
        tenant
    );
    drop(clone);

    let started = Instant::now();
    let reopened = loop {
        match Store::connect(&options).await {
            Ok(store) => break store,
            Err(StoreError::DataDirInUse { .. }) if started.elapsed() < UNLOCK_TIMEOUT => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => return Err(err.into()),
        }
    };
    // Same directory, same data.
    let found = reopened
        .tenant_by_slug(slug.as_str())
        .await?
        .expect("tenant after reopening");
    assert_eq!(found.id, tenant);
    assert_in_use(Store::connect(&options).await);
    Ok(())
}

async fn tenants_beyond_the_open_limit(test: &TestStore) -> anyhow::Result<()> {
    let store = &test.store;
    let mut tenants = Vec::new();
    for _ in 0..5 {
        tenants.push(active_tenant(store).await?);
    }
    assert!(tenants.len() > MAX_OPEN_TENANTS);
    let provider = ProviderId::generate();

    // Three rounds over five tenants with room for two: every begin past the first two evicts.
    for round in 0..3 {
        for (n, tenant) in tenants.iter().enumerate() {
            let mut tx = store.begin(tenant).await?;
            tx.insert_user(
                provider,
                UserId::generate(),
                &new_user(&format!("t{n}-r{round}")),
            )
            .await?;
            tx.commit().await?;
        }
    }

    // A transaction in flight while its tenant is evicted keeps its connection and commits;
    // evicting must not wait for it (bounded, so a deadlock fails instead of hanging).
    let in_flight = async {
        let mut in_flight = store.begin(&tenants[0]).await?;
        in_flight
            .insert_user(provider, UserId::generate(), &new_user("t0-late"))
            .await?;
        for tenant in &tenants[1..] {
            let mut tx = store.begin(tenant).await?;
            assert_eq!(tx.count_users_of_provider(provider).await?, 3);
        }
        in_flight.commit().await?;
        Ok::<_, anyhow::Error>(())
    };
    tokio::time::timeout(EVICTION_TIMEOUT, in_flight).await??;

    for (n, tenant) in tenants.iter().enumerate() {
        let mut tx = store.begin(tenant).await?;
        let (total, users) = tx.list_users(provider, &[], 0, 10).await?;
        let names: Vec<&str> = users
            .iter()
            .map(|u| u.resource["userName"].as_str().unwrap_or_default())
            .collect();
        let mut expected: Vec<String> = (0..3).map(|round| format!("t{n}-r{round}")).collect();
        if n == 0 {
            expected.push("t0-late".to_owned());
        }
        assert_eq!(names, expected, "tenant {n}");
        assert_eq!(usize::try_from(total)?, expected.len());
    }
    Ok(())
}
