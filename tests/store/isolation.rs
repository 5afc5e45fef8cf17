//! Boundaries: one tenant's data is invisible from another tenant's transaction, one provider's
//! resources are invisible to another provider, and a transaction dropped without commit leaves
//! nothing behind.

use roster_core::{GroupId, ProviderId, UserId};
use roster_store::{MemberType, NewUser, Store};
use serde_json::json;

use crate::harness::{active_tenant, assert_not_found, new_group, new_user, user_ids_where};

conformance!(
    tenant_data_is_isolated,
    provider_sees_only_its_own_resources,
    dropped_transaction_rolls_back,
);

async fn tenant_data_is_isolated(store: &Store) -> anyhow::Result<()> {
    let (a, b) = (active_tenant(store).await?, active_tenant(store).await?);
    // The same provider id in both tenants: only the tenant separates the data.
    let provider = ProviderId::generate();
    let user = UserId::generate();
    let group = GroupId::generate();
    let original = NewUser {
        resource: json!({ "userName": "shared-name", "title": "in A" }),
        ..new_user("shared-name")
    };
    let mut tx = store.begin(&a).await?;
    assert_eq!(tx.tenant(), a);
    tx.insert_user(provider, user, &original).await?;
    tx.insert_group(provider, group, &new_group("A group"))
        .await?;
    tx.add_members(group, &[(user.as_uuid(), MemberType::User)])
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&b).await?;
    assert_eq!(tx.tenant(), b);
    assert!(tx.user(provider, user, false).await?.is_none());
    assert!(tx.group(provider, group, false).await?.is_none());
    assert_eq!(tx.count_users_of_provider(provider).await?, 0);
    assert!(user_ids_where(&mut tx, provider, &[]).await?.is_empty());
    assert_eq!(tx.list_groups(provider, &[], 0, 10).await?.0, 0);
    assert!(tx.members(group).await?.is_empty());
    assert!(tx.groups_of_users(&[user]).await?.is_empty());
    assert!(
        tx.resolve_members(provider, &[user.as_uuid(), group.as_uuid()])
            .await?
            .is_empty()
    );
    assert!(!tx.delete_user(provider, user).await?);
    assert!(!tx.delete_group(provider, group).await?);
    assert_not_found(tx.update_user(provider, user, &new_user("hijacked")).await);
    assert_not_found(tx.touch_group(group).await);
    // Neither the userName nor the ids are taken in B.
    tx.insert_user(
        provider,
        user,
        &NewUser {
            resource: json!({ "userName": "shared-name", "title": "in B" }),
            ..new_user("shared-name")
        },
    )
    .await?;
    tx.insert_group(provider, group, &new_group("B group"))
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&a).await?;
    let stored = tx.user(provider, user, false).await?.expect("A's user");
    assert_eq!(stored.resource, original.resource);
    assert_eq!(stored.version, 1);
    let stored = tx.group(provider, group, false).await?.expect("A's group");
    assert_eq!(stored.resource, json!({ "displayName": "A group" }));
    assert_eq!(tx.members(group).await?.len(), 1);
    assert_eq!(tx.count_users_of_provider(provider).await?, 1);
    Ok(())
}

async fn provider_sees_only_its_own_resources(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (owner, intruder) = (ProviderId::generate(), ProviderId::generate());
    let user = UserId::generate();
    let group = GroupId::generate();
    let mut tx = store.begin(&tenant).await?;
    let stored_user = tx.insert_user(owner, user, &new_user("owned")).await?;
    let stored_group = tx.insert_group(owner, group, &new_group("Owned")).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    for for_update in [false, true] {
        assert!(tx.user(intruder, user, for_update).await?.is_none());
        assert!(tx.group(intruder, group, for_update).await?.is_none());
    }
    assert_not_found(tx.update_user(intruder, user, &new_user("stolen")).await);
    assert_not_found(tx.update_group(intruder, group, &new_group("Stolen")).await);
    assert!(!tx.delete_user(intruder, user).await?);
    assert!(!tx.delete_group(intruder, group).await?);
    assert_eq!(tx.count_users_of_provider(intruder).await?, 0);
    assert!(user_ids_where(&mut tx, intruder, &[]).await?.is_empty());
    assert_eq!(tx.list_groups(intruder, &[], 0, 10).await?.0, 0);
    assert!(
        tx.resolve_members(intruder, &[user.as_uuid(), group.as_uuid()])
            .await?
            .is_empty()
    );
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let after = tx.user(owner, user, false).await?.expect("owner's user");
    assert_eq!(after.version, stored_user.version);
    assert_eq!(after.resource, stored_user.resource);
    assert_eq!(after.updated_at, stored_user.updated_at);
    let after = tx.group(owner, group, false).await?.expect("owner's group");
    assert_eq!(after.version, stored_group.version);
    assert_eq!(after.resource, stored_group.resource);
    assert_eq!(tx.count_users_of_provider(owner).await?, 1);
    Ok(())
}

async fn dropped_transaction_rolls_back(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let kept = UserId::generate();
    let kept_group = GroupId::generate();
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(provider, kept, &new_user("kept")).await?;
    tx.insert_group(provider, kept_group, &new_group("Kept"))
        .await?;
    tx.commit().await?;

    let user = UserId::generate();
    let group = GroupId::generate();
    {
        let mut tx = store.begin(&tenant).await?;
        tx.insert_user(provider, user, &new_user("ghost")).await?;
        tx.insert_group(provider, group, &new_group("Ghost"))
            .await?;
        tx.add_members(kept_group, &[(user.as_uuid(), MemberType::User)])
            .await?;
        tx.update_user(provider, kept, &new_user("kept-renamed"))
            .await?;
        assert!(tx.delete_group(provider, kept_group).await?);
        // Dropped here, without commit.
    }

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.user(provider, user, false).await?.is_none());
    assert!(tx.group(provider, group, false).await?.is_none());
    assert_eq!(tx.count_users_of_provider(provider).await?, 1);
    let kept_user = tx.user(provider, kept, false).await?.expect("kept");
    assert_eq!(kept_user.version, 1);
    assert_eq!(kept_user.resource, json!({ "userName": "kept" }));
    assert!(tx.group(provider, kept_group, false).await?.is_some());
    assert!(tx.members(kept_group).await?.is_empty());
    // The ghost's userName was never taken.
    tx.insert_user(provider, UserId::generate(), &new_user("ghost"))
        .await?;
    tx.commit().await?;
    Ok(())
}
