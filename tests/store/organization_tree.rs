//! The organization tree lock: taken inside a tenant transaction on both backends, and on
//! PostgreSQL it makes a second transaction's lock wait until the first ends.

use std::time::Duration;

use roster_core::OrganizationId;
use roster_store::{NewOrganization, Store};

use crate::harness::active_tenant;

conformance!(the_tree_lock_serialises_tree_changes);

async fn the_tree_lock_serialises_tree_changes(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let mut first = store.begin(&tenant).await?;
    first.lock_organization_tree().await?;
    let id = OrganizationId::generate();
    first
        .insert_organization(&NewOrganization {
            id,
            name: "Locked".to_owned(),
            name_key: "locked".to_owned(),
            parent_id: OrganizationId::TOP_LEVEL,
        })
        .await?;

    // A second transaction's lock (or, on SQLite, its begin) waits until the first commits,
    // and then sees what the first wrote.
    let second = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin(&tenant).await?;
            tx.lock_organization_tree().await?;
            let seen = tx.organization(id).await?.is_some();
            tx.commit().await?;
            anyhow::Ok(seen)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !second.is_finished(),
        "the second lock waits for the first transaction"
    );
    first.commit().await?;
    assert!(
        second.await??,
        "after the wait, the second sees the first's organization"
    );
    Ok(())
}
