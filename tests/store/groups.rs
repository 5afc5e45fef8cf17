//! Groups in a tenant's data: round trips, versions, `list_groups` conditions and paging, and
//! deletion with the memberships it must take along.

use std::collections::HashSet;

use roster_core::{GroupId, ProviderId, UserId};
use roster_store::{GroupCondition, MemberType, NewGroup, Store};
use serde_json::json;

use crate::harness::{active_tenant, assert_not_found, assert_recent, new_group, new_user};

conformance!(
    group_round_trip_update_and_touch,
    list_groups_by_each_condition,
    list_groups_pages_in_creation_order,
    delete_group_removes_its_memberships,
);

async fn group_round_trip_update_and_touch(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let id = GroupId::generate();
    let new = NewGroup {
        external_id: Some("ext-g".into()),
        resource: json!({ "displayName": "Engineering", "urn:example:ext": { "cost": 42 } }),
        ..new_group("Engineering")
    };

    let mut tx = store.begin(&tenant).await?;
    let inserted = tx.insert_group(provider, id, &new).await?;
    assert_eq!(inserted.id, id);
    assert_eq!(inserted.provider_id, provider);
    assert_eq!(inserted.resource, new.resource);
    assert_eq!(inserted.version, 1);
    assert_recent(inserted.created_at);
    assert!(inserted.updated_at >= inserted.created_at);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    for for_update in [false, true] {
        let read = tx.group(provider, id, for_update).await?.expect("group");
        assert_eq!(read.resource, new.resource);
        assert_eq!(read.version, 1);
        assert_eq!(read.created_at, inserted.created_at);
    }
    let renamed = NewGroup {
        resource: json!({ "displayName": "Platform" }),
        ..new_group("Platform")
    };
    let updated = tx.update_group(provider, id, &renamed).await?;
    assert_eq!(updated.version, 2);
    assert_eq!(updated.resource, renamed.resource);
    assert_eq!(updated.created_at, inserted.created_at);
    assert!(updated.updated_at >= inserted.updated_at);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let touched = tx.touch_group(id).await?;
    assert_eq!(touched.version, 3);
    assert_eq!(
        touched.resource, renamed.resource,
        "touch keeps the document"
    );
    assert!(touched.updated_at >= updated.updated_at);
    assert_recent(touched.updated_at);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let stored = tx.group(provider, id, false).await?.expect("group");
    assert_eq!(stored.version, 3);
    assert_eq!(stored.resource, renamed.resource);
    let by_name = tx
        .list_groups(
            provider,
            &[GroupCondition::DisplayNameKey("platform".into())],
            0,
            10,
        )
        .await?;
    assert_eq!(by_name.0, 1);
    assert!(
        tx.list_groups(
            provider,
            &[GroupCondition::DisplayNameKey("engineering".into())],
            0,
            10
        )
        .await?
        .1
        .is_empty()
    );
    // The update cleared the externalId.
    assert_eq!(
        tx.list_groups(
            provider,
            &[GroupCondition::ExternalId("ext-g".into())],
            0,
            10
        )
        .await?
        .0,
        0
    );

    assert_not_found(
        tx.update_group(provider, GroupId::generate(), &renamed)
            .await,
    );
    assert_not_found(tx.touch_group(GroupId::generate()).await);
    assert!(
        tx.group(provider, GroupId::generate(), false)
            .await?
            .is_none()
    );

    assert!(tx.delete_group(provider, id).await?);
    assert!(tx.group(provider, id, false).await?.is_none());
    assert!(!tx.delete_group(provider, id).await?);
    assert_not_found(tx.touch_group(id).await);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.group(provider, id, false).await?.is_none());
    assert_eq!(tx.list_groups(provider, &[], 0, 10).await?.0, 0);
    Ok(())
}

async fn list_groups_by_each_condition(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (p, q) = (ProviderId::generate(), ProviderId::generate());
    let (eng, eng_again, ops) = (
        GroupId::generate(),
        GroupId::generate(),
        GroupId::generate(),
    );
    let mut tx = store.begin(&tenant).await?;
    tx.insert_group(
        p,
        eng,
        &NewGroup {
            external_id: Some("g-1".into()),
            ..new_group("Engineering")
        },
    )
    .await?;
    // displayName is not unique: a second group may carry it.
    tx.insert_group(
        p,
        eng_again,
        &NewGroup {
            external_id: Some("G-1".into()),
            ..new_group("ENGINEERING")
        },
    )
    .await?;
    tx.insert_group(p, ops, &new_group("Ops")).await?;
    tx.insert_group(
        q,
        GroupId::generate(),
        &NewGroup {
            external_id: Some("g-1".into()),
            ..new_group("Engineering")
        },
    )
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let cases: Vec<(Vec<GroupCondition>, Vec<GroupId>)> = vec![
        (vec![], vec![eng, eng_again, ops]),
        (
            vec![GroupCondition::DisplayNameKey("engineering".into())],
            vec![eng, eng_again],
        ),
        (
            vec![GroupCondition::DisplayNameKey("ops".into())],
            vec![ops],
        ),
        (vec![GroupCondition::DisplayNameKey("Ops".into())], vec![]),
        (vec![GroupCondition::ExternalId("g-1".into())], vec![eng]),
        (
            vec![GroupCondition::ExternalId("G-1".into())],
            vec![eng_again],
        ),
        (
            vec![
                GroupCondition::DisplayNameKey("engineering".into()),
                GroupCondition::ExternalId("G-1".into()),
            ],
            vec![eng_again],
        ),
        (
            vec![
                GroupCondition::DisplayNameKey("ops".into()),
                GroupCondition::ExternalId("g-1".into()),
            ],
            vec![],
        ),
    ];
    for (conditions, expected) in cases {
        let (total, page) = tx.list_groups(p, &conditions, 0, 100).await?;
        let ids: Vec<GroupId> = page.iter().map(|g| g.id).collect();
        assert_eq!(ids, expected, "{conditions:?}");
        assert_eq!(usize::try_from(total)?, expected.len(), "{conditions:?}");
    }
    let (total, _) = tx.list_groups(q, &[], 0, 100).await?;
    assert_eq!(total, 1);
    Ok(())
}

async fn list_groups_pages_in_creation_order(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut created = Vec::new();
    for batch in 0..5 {
        let mut tx = store.begin(&tenant).await?;
        for n in 0..5 {
            let id = GroupId::generate();
            // Names sort against creation order, so a sort by name would show.
            tx.insert_group(
                provider,
                id,
                &new_group(&format!("group {}", 99 - batch * 5 - n)),
            )
            .await?;
            created.push(id);
        }
        tx.commit().await?;
    }
    let mut tx = store.begin(&tenant).await?;
    tx.insert_group(
        ProviderId::generate(),
        GroupId::generate(),
        &new_group("noise"),
    )
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let mut seen = Vec::new();
    for (offset, expected_len) in [(0, 10), (10, 10), (20, 5)] {
        let (total, page) = tx.list_groups(provider, &[], offset, 10).await?;
        assert_eq!(total, 25);
        assert_eq!(page.len(), expected_len, "page at {offset}");
        seen.extend(page.into_iter().map(|g| g.id));
    }
    assert_eq!(seen, created);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25);
    let (total, page) = tx.list_groups(provider, &[], 30, 10).await?;
    assert_eq!((total, page.len()), (25, 0));
    let (total, page) = tx.list_groups(provider, &[], 0, 0).await?;
    assert_eq!((total, page.len()), (25, 0));
    Ok(())
}

async fn delete_group_removes_its_memberships(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let user = UserId::generate();
    let (parent, child) = (GroupId::generate(), GroupId::generate());
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(provider, user, &new_user("member")).await?;
    tx.insert_group(provider, parent, &new_group("Parent"))
        .await?;
    tx.insert_group(provider, child, &new_group("Child"))
        .await?;
    tx.add_members(
        parent,
        &[
            (child.as_uuid(), MemberType::Group),
            (user.as_uuid(), MemberType::User),
        ],
    )
    .await?;
    tx.add_members(child, &[(user.as_uuid(), MemberType::User)])
        .await?;
    tx.commit().await?;

    // Deleting the child drops its own members and its membership in the parent.
    let mut tx = store.begin(&tenant).await?;
    assert!(tx.delete_group(provider, child).await?);
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    let members: Vec<_> = tx
        .members(parent)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(members, [user.as_uuid()]);
    let groups: Vec<GroupId> = tx
        .groups_of_users(&[user])
        .await?
        .into_iter()
        .map(|(_, g, _)| g)
        .collect();
    assert_eq!(groups, [parent]);
    assert!(tx.members(child).await?.is_empty());

    // Deleting the parent drops its member rows: a new group under the same id starts empty.
    assert!(tx.delete_group(provider, parent).await?);
    tx.insert_group(provider, parent, &new_group("Parent again"))
        .await?;
    assert!(tx.members(parent).await?.is_empty());
    assert!(tx.groups_of_users(&[user]).await?.is_empty());
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(
        tx.user(provider, user, false).await?.is_some(),
        "users stay"
    );
    assert!(tx.members(parent).await?.is_empty());
    Ok(())
}
