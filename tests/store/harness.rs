//! Stores on each backend, and small builders and assertions shared by the suite.

use std::fmt::Debug;
use std::time::Duration;

use anyhow::Context;
use roster_core::{ErrorKind, ProviderId, Slug, TenantId, UserId, user_name_key};
use roster_store::{
    NewGroup, NewUser, Store, StoreError, StoreOptions, TenantState, TenantTx, UserCondition,
};
use sqlx::types::time::OffsetDateTime;
use tempfile::TempDir;

/// How many tenant databases the SQLite store keeps open: small, so tests exercise eviction.
pub const MAX_OPEN_TENANTS: usize = 2;

/// A store on one backend, with whatever must outlive it.
pub struct TestStore {
    /// The store under test. Declared first: it is dropped before its data directory.
    pub store: Store,
    _data_dir: Option<TempDir>,
}

impl TestStore {
    /// Returns a store on a fresh PostgreSQL database of the shared test server.
    pub async fn postgres() -> anyhow::Result<Self> {
        let services = roster_e2e::Services::get().await?;
        let url = services.create_database().await?;
        let store = Store::connect(&StoreOptions::Postgres {
            url,
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
        })
        .await
        .context("connect to PostgreSQL")?;
        assert_eq!(store.backend_name(), "postgres");
        Ok(Self {
            store,
            _data_dir: None,
        })
    }

    /// Returns a store on a fresh, empty data directory.
    pub async fn sqlite() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("create a data directory")?;
        let store = Store::connect(&embedded_options(&dir))
            .await
            .context("open the data directory")?;
        assert_eq!(store.backend_name(), "sqlite");
        Ok(Self {
            store,
            _data_dir: Some(dir),
        })
    }
}

/// Returns the embedded options the suite uses for `dir`.
pub fn embedded_options(dir: &TempDir) -> StoreOptions {
    StoreOptions::Embedded {
        data_dir: dir.path().to_owned(),
        max_open_tenants: MAX_OPEN_TENANTS,
        busy_timeout: Duration::from_secs(5),
    }
}

/// Returns a slug no other tenant of the test uses.
pub fn new_slug() -> anyhow::Result<Slug> {
    Ok(Slug::parse(&roster_e2e::unique_slug("t"))?)
}

/// Creates a tenant, migrates its data store and activates it, as provisioning does.
pub async fn active_tenant(store: &Store) -> anyhow::Result<TenantId> {
    let id = TenantId::generate();
    store.insert_tenant(id, &new_slug()?, &[]).await?;
    store.migrate_tenant(&id).await?;
    store.set_tenant_state(id, TenantState::Active).await?;
    Ok(id)
}

/// Returns a user to insert: the userName, its key, and a document holding the userName.
pub fn new_user(user_name: &str) -> NewUser {
    NewUser {
        user_name: user_name.to_owned(),
        user_name_key: user_name_key(user_name),
        external_id: None,
        display_name_key: None,
        emails: Vec::new(),
        resource: serde_json::json!({ "userName": user_name }),
    }
}

/// Returns a group to insert, its displayName folded to lowercase as the key.
pub fn new_group(display_name: &str) -> NewGroup {
    NewGroup {
        display_name: display_name.to_owned(),
        display_name_key: display_name.to_lowercase(),
        external_id: None,
        resource: serde_json::json!({ "displayName": display_name }),
    }
}

/// Inserts users named `<prefix>-<n>` for `provider`, one statement each, returning their ids
/// in creation order.
pub async fn insert_users(
    tx: &mut TenantTx,
    provider: ProviderId,
    prefix: &str,
    count: usize,
) -> anyhow::Result<Vec<UserId>> {
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let id = UserId::generate();
        tx.insert_user(provider, id, &new_user(&format!("{prefix}-{n:04}")))
            .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// Returns the ids of the provider's users matching `conditions`, in listing order, after
/// checking that the reported total agrees with the page (the page holds them all).
pub async fn user_ids_where(
    tx: &mut TenantTx,
    provider: ProviderId,
    conditions: &[UserCondition],
) -> anyhow::Result<Vec<UserId>> {
    let (total, page) = tx.list_users(provider, conditions, 0, 1000).await?;
    let ids: Vec<UserId> = page.iter().map(|u| u.id).collect();
    assert_eq!(
        usize::try_from(total)?,
        ids.len(),
        "total vs page for {conditions:?}"
    );
    Ok(ids)
}

/// Asserts that the result is a Conflict (and says so as an error kind).
#[track_caller]
pub fn assert_conflict<T: Debug>(result: Result<T, StoreError>) {
    match result {
        Err(err @ StoreError::Conflict { .. }) => assert_eq!(err.kind(), ErrorKind::Conflict),
        other => panic!("expected Conflict, got {other:?}"),
    }
}

/// Asserts that the result is a NotFound (and says so as an error kind).
#[track_caller]
pub fn assert_not_found<T: Debug>(result: Result<T, StoreError>) {
    match result {
        Err(err @ StoreError::NotFound { .. }) => assert_eq!(err.kind(), ErrorKind::NotFound),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// Asserts that a stored timestamp is within a minute of this machine's clock: it was written
/// now, in UTC, and read back as the same instant (not shifted by a time zone or a unit).
#[track_caller]
pub fn assert_recent(at: OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    let skew = (now - at).abs();
    assert!(
        skew.whole_seconds() < 60,
        "{at} is {skew} away from now ({now})"
    );
}
