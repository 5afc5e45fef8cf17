//! The raw reads and writes behind `roster export` / `roster import`, and the embedded snapshot
//! behind `roster backup`: rows come back exactly as written (ids, versions, timestamps, digests)
//! on both backends, snapshots are consistent and block no writer, and an import's control-plane
//! steps are all or nothing.

use std::time::Duration;

use roster_core::{GroupId, ProviderId, TenantId, UserId, user_name_key};
use roster_store::{
    CredentialKind, LifecycleRecord, MemberType, ProviderRecord, Store, StoredGroup,
    StoredMembership, StoredPlacement, StoredUser, TenantState, UserCondition,
};
use sqlx::types::time::OffsetDateTime;

use crate::harness::{
    TestStore, active_tenant, assert_conflict, assert_not_found, new_slug, new_user,
};

conformance!(
    stored_rows_round_trip_exactly,
    snapshot_is_one_point_in_time_and_blocks_no_writer,
    delete_all_data_empties_every_table,
    imported_tenant_appears_with_its_providers_or_not_at_all,
    only_provisioning_tenants_are_deleted,
    dropped_tenant_data_is_gone_and_can_be_made_again,
);

/// How long a write may wait while a snapshot is open before it counts as blocked.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// A time with millisecond precision, which both backends store exactly.
pub(crate) fn at(unix_seconds: i64, millis: u16) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .and_then(|t| t.replace_millisecond(millis))
        .expect("a valid time")
}

pub(crate) fn stored_user(provider: ProviderId, n: usize) -> StoredUser {
    let name = format!("User-{n}@Example.com");
    StoredUser {
        id: UserId::generate(),
        provider_id: provider,
        user_name_key: user_name_key(&name),
        external_id: Some(format!("ext-{n}")),
        display_name_key: Some(format!("user {n}")),
        emails: vec![
            (Some("home".to_owned()), format!("home-{n}@example.com")),
            (Some("work".to_owned()), user_name_key(&name)),
        ],
        resource: serde_json::json!({"userName": name, "active": true, "title": "Engineer"}),
        user_name: name,
        version: 3 + n as i64,
        // Whole and half seconds: SQLite keeps time order only if both are stored alike.
        created_at: at(
            1_741_064_760 + (n / 2) as i64,
            if n.is_multiple_of(2) { 0 } else { 500 },
        ),
        updated_at: at(1767225599, 999),
        lifecycle: LifecycleRecord::default(),
        placement: StoredPlacement::default(),
    }
}

pub(crate) fn stored_group(provider: ProviderId, name: &str) -> StoredGroup {
    StoredGroup {
        id: GroupId::generate(),
        provider_id: provider,
        display_name: name.to_owned(),
        display_name_key: name.to_lowercase(),
        external_id: Some(format!("grp-{name}")),
        resource: serde_json::json!({"displayName": name}),
        version: 7,
        created_at: at(1704164645, 6),
        updated_at: at(1706933106, 7),
    }
}

pub(crate) async fn all_users(store: &Store, tenant: &TenantId) -> anyhow::Result<Vec<StoredUser>> {
    let mut tx = store.begin_snapshot(tenant).await?;
    let mut users = Vec::new();
    let mut after = None;
    loop {
        // A page of two makes the keyset cross several pages.
        let page = tx.stored_users_after(after, 2).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        users.extend(page);
    }
    Ok(users)
}

async fn stored_rows_round_trip_exactly(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut users: Vec<StoredUser> = (0..5).map(|n| stored_user(provider, n)).collect();
    let parent = stored_group(provider, "Everyone");
    let child = stored_group(provider, "Admins");
    let mut memberships = vec![
        StoredMembership {
            group_id: parent.id,
            member_id: users[0].id.as_uuid(),
            member_type: MemberType::User,
        },
        StoredMembership {
            group_id: parent.id,
            member_id: child.id.as_uuid(),
            member_type: MemberType::Group,
        },
        StoredMembership {
            group_id: child.id,
            member_id: users[1].id.as_uuid(),
            member_type: MemberType::User,
        },
    ];
    let mut tx = store.begin(&tenant).await?;
    tx.insert_stored_users(&users).await?;
    tx.insert_stored_groups(&[parent.clone(), child.clone()])
        .await?;
    tx.insert_stored_memberships(&memberships).await?;
    tx.commit().await?;

    users.sort_by_key(|u| u.id);
    let mut read = all_users(store, &tenant).await?;
    for user in &mut read {
        user.emails.sort();
    }
    assert_eq!(read, users);

    let mut tx = store.begin_snapshot(&tenant).await?;
    let mut groups = tx.stored_groups_after(None, 10).await?;
    groups.sort_by_key(|g| g.id);
    let mut expected = vec![parent.clone(), child.clone()];
    expected.sort_by_key(|g| g.id);
    assert_eq!(groups, expected);
    let mut read_memberships = Vec::new();
    let mut after = None;
    loop {
        let page = tx.stored_memberships_after(after, 1).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.group_id, last.member_id));
        read_memberships.extend(page);
    }
    memberships.sort_by_key(|m| (m.group_id, m.member_id));
    assert_eq!(read_memberships, memberships);
    drop(tx);

    // The ordinary API sees the same rows: versions, times, e-mail index, creation order.
    let mut tx = store.begin(&tenant).await?;
    let first = users
        .iter()
        .find(|u| u.user_name.starts_with("User-0@"))
        .expect("user 0");
    let record = tx.user(provider, first.id, false).await?.expect("user 0");
    assert_eq!(
        (record.version, record.created_at, record.updated_at),
        (first.version, first.created_at, first.updated_at)
    );
    let (total, page) = tx.list_users(provider, &[], 0, 10).await?;
    assert_eq!(total, 5);
    let names: Vec<String> = page
        .iter()
        .map(|u| {
            u.resource["userName"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let mut by_time = users.clone();
    by_time.sort_by_key(|u| (u.created_at, u.id));
    let expected: Vec<String> = by_time.iter().map(|u| u.user_name.clone()).collect();
    assert_eq!(names, expected, "creation order after import");
    let found = tx
        .list_users(
            provider,
            &[UserCondition::Email {
                type_key: Some("home".to_owned()),
                value_key: "home-3@example.com".to_owned(),
            }],
            0,
            10,
        )
        .await?;
    assert_eq!(found.0, 1);
    let members = tx.members(parent.id).await?;
    assert_eq!(members.len(), 2);

    // Taken ids and userName keys conflict.
    assert_conflict(tx.insert_stored_users(&users[..1]).await);
    Ok(())
}

async fn snapshot_is_one_point_in_time_and_blocks_no_writer(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(provider, UserId::generate(), &new_user("before"))
        .await?;
    tx.commit().await?;

    let mut snapshot = store.begin_snapshot(&tenant).await?;
    let write = async {
        let mut tx = store.begin(&tenant).await?;
        tx.insert_user(provider, UserId::generate(), &new_user("during"))
            .await?;
        tx.commit().await?;
        Ok::<_, anyhow::Error>(())
    };
    tokio::time::timeout(WRITE_TIMEOUT, write)
        .await
        .map_err(|_| anyhow::anyhow!("a write waited for the snapshot"))??;
    let seen = snapshot.stored_users_after(None, 10).await?;
    assert_eq!(seen.len(), 1, "the snapshot sees a later commit");
    assert!(
        snapshot
            .insert_stored_users(&[stored_user(provider, 9)])
            .await
            .is_err(),
        "a snapshot accepted a write"
    );
    drop(snapshot);
    assert_eq!(all_users(store, &tenant).await?.len(), 2);
    Ok(())
}

async fn delete_all_data_empties_every_table(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let users = vec![stored_user(provider, 1)];
    let group = stored_group(provider, "All");
    let mut tx = store.begin(&tenant).await?;
    tx.insert_stored_users(&users).await?;
    tx.insert_stored_groups(std::slice::from_ref(&group))
        .await?;
    tx.insert_stored_memberships(&[StoredMembership {
        group_id: group.id,
        member_id: users[0].id.as_uuid(),
        member_type: MemberType::User,
    }])
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    tx.delete_all_data().await?;
    // The same rows go in again: nothing of them (e-mails, memberships) was left behind.
    tx.insert_stored_users(&users).await?;
    tx.insert_stored_groups(std::slice::from_ref(&group))
        .await?;
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    assert!(tx.members(group.id).await?.is_empty());
    let (total, _) = tx
        .list_users(
            provider,
            &[UserCondition::Email {
                type_key: None,
                value_key: users[0].emails[0].1.clone(),
            }],
            0,
            10,
        )
        .await?;
    assert_eq!(total, 1, "e-mail rows were kept or lost");
    Ok(())
}

fn provider_record(tenant: TenantId, username: &str, digest: &[u8]) -> ProviderRecord {
    ProviderRecord {
        id: ProviderId::generate(),
        tenant_id: tenant,
        name: format!("IdP {username}"),
        credential_kind: CredentialKind::Basic,
        username: username.to_owned(),
        secret_digest: digest.to_vec(),
        enabled: false,
        expires_at: Some(at(1893456000, 250)),
        credential_issued_at: at(1735689600, 500),
        created_at: at(1717243200, 125),
    }
}

async fn imported_tenant_appears_with_its_providers_or_not_at_all(
    store: &Store,
) -> anyhow::Result<()> {
    let other = active_tenant(store).await?;
    let taken = provider_record(other, "scim-taken", b"digest-taken");
    store
        .insert_provider(
            &roster_store::NewProvider {
                id: taken.id,
                tenant_id: other,
                name: taken.name.clone(),
                credential_kind: CredentialKind::Basic,
                username: taken.username.clone(),
                secret_digest: taken.secret_digest.clone(),
                expires_at: None,
            },
            None,
        )
        .await?;

    let id = TenantId::generate();
    let slug = new_slug()?;
    let created = at(1683356889, 123);
    let host = format!("{}.example.com", slug.as_str());
    store
        .insert_imported_tenant(id, &slug, std::slice::from_ref(&host), created)
        .await?;
    let tenant = store.tenant_by_id(id).await?.expect("inserted tenant");
    assert_eq!(
        (tenant.state, tenant.created_at, tenant.hosts.clone()),
        (TenantState::Provisioning, created, vec![host.clone()])
    );
    assert_conflict(
        store
            .insert_imported_tenant(id, &new_slug()?, &[], created)
            .await,
    );

    let good = provider_record(id, "scim-one", b"digest-one");
    let clashing = provider_record(id, "scim-two", b"digest-taken");
    assert_conflict(
        store
            .finish_import(id, &[good.clone(), clashing], TenantState::Suspended)
            .await,
    );
    assert!(
        store.list_providers(id).await?.is_empty(),
        "a provider was kept"
    );
    let tenant = store.tenant_by_id(id).await?.expect("tenant");
    assert_eq!(tenant.state, TenantState::Provisioning);

    store
        .finish_import(id, std::slice::from_ref(&good), TenantState::Suspended)
        .await?;
    let tenant = store.tenant_by_id(id).await?.expect("tenant");
    assert_eq!(tenant.state, TenantState::Suspended);
    let providers = store.list_providers(id).await?;
    assert_eq!(providers.len(), 1);
    let p = &providers[0];
    assert_eq!(
        (
            p.id,
            p.secret_digest.as_slice(),
            p.enabled,
            p.expires_at,
            p.credential_issued_at,
            p.created_at
        ),
        (
            good.id,
            good.secret_digest.as_slice(),
            good.enabled,
            good.expires_at,
            good.credential_issued_at,
            good.created_at
        )
    );
    // Only a provisioning tenant can be finished.
    assert_not_found(store.finish_import(id, &[], TenantState::Active).await);
    Ok(())
}

async fn only_provisioning_tenants_are_deleted(store: &Store) -> anyhow::Result<()> {
    let active = active_tenant(store).await?;
    assert!(!store.delete_provisioning_tenant(active).await?);
    assert!(store.tenant_by_id(active).await?.is_some());

    let id = TenantId::generate();
    let slug = new_slug()?;
    let host = format!("{}.example.com", slug.as_str());
    store
        .insert_imported_tenant(id, &slug, std::slice::from_ref(&host), at(1704067200, 0))
        .await?;
    assert!(store.delete_provisioning_tenant(id).await?);
    assert!(store.tenant_by_id(id).await?.is_none());
    assert!(store.tenant_by_host(&host).await?.is_none());
    // The slug and host are free again.
    store
        .insert_imported_tenant(id, &slug, &[host], at(1704067200, 0))
        .await?;
    Ok(())
}

async fn dropped_tenant_data_is_gone_and_can_be_made_again(store: &Store) -> anyhow::Result<()> {
    let id = TenantId::generate();
    store
        .insert_imported_tenant(id, &new_slug()?, &[], at(1704067200, 0))
        .await?;
    store.migrate_tenant(&id).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&id).await?;
    tx.insert_stored_users(&[stored_user(provider, 1)]).await?;
    tx.commit().await?;

    store.drop_tenant_data(&id).await?;
    store.drop_tenant_data(&id).await?;
    store.migrate_tenant(&id).await?;
    assert!(
        all_users(store, &id).await?.is_empty(),
        "dropped data came back"
    );
    Ok(())
}

mod snapshot_embedded_copies_every_tenant {
    #[tokio::test]
    async fn sqlite() -> anyhow::Result<()> {
        let store = crate::harness::TestStore::sqlite().await?;
        super::snapshot_embedded_copies_every_tenant(&store).await
    }
}

async fn snapshot_embedded_copies_every_tenant(test: &TestStore) -> anyhow::Result<()> {
    let store = &test.store;
    // More tenants than the store keeps open, and one never migrated.
    let mut tenants = Vec::new();
    for n in 0..3 {
        let id = active_tenant(store).await?;
        let mut tx = store.begin(&id).await?;
        tx.insert_user(
            ProviderId::generate(),
            UserId::generate(),
            &new_user(&format!("u{n}")),
        )
        .await?;
        tx.commit().await?;
        tenants.push(id);
    }
    let unmigrated = TenantId::generate();
    store.insert_tenant(unmigrated, &new_slug()?, &[]).await?;

    let snapshot = store.snapshot_embedded().await?;
    assert_eq!(snapshot.tenant_count(), 4);
    let files = snapshot.files();
    assert_eq!(files[0].0, "control.db");
    assert_eq!(files.len(), 1 + tenants.len(), "{files:?}");
    for id in &tenants {
        let name = format!("tenants/{}.db", id.schema_name());
        let (_, path) = files
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("{name} was not copied"));
        assert!(
            path.starts_with(snapshot.data_dir()),
            "copies live under the data dir"
        );
        assert!(path.is_file());
    }
    let dir = files[0].1.parent().expect("copy dir").to_owned();
    drop(snapshot);
    assert!(!dir.exists(), "the copies outlived the snapshot");
    Ok(())
}
