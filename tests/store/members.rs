//! Group membership: adding (idempotently), removing, clearing, display values, and the bulk
//! lookups that chunk their id lists (`resolve_members`, `groups_of_users`, `add_members`).

use std::collections::{BTreeSet, HashSet};

use roster_core::{GroupId, ProviderId, UserId};
use roster_store::{MemberRecord, MemberType, NewUser, Store};
use serde_json::json;
use uuid::Uuid;

use crate::harness::{active_tenant, assert_not_found, insert_users, new_group, new_user};

conformance!(
    add_members_is_idempotent,
    remove_and_clear_members,
    add_members_to_missing_group_is_not_found,
    members_carry_display_values,
    resolve_members_over_500_ids,
    groups_of_users_over_500_users,
);

/// Returns the member ids of `group`, in the order `members` gives them.
async fn member_ids(tx: &mut roster_store::TenantTx, group: GroupId) -> anyhow::Result<Vec<Uuid>> {
    Ok(tx.members(group).await?.into_iter().map(|m| m.id).collect())
}

fn users(ids: &[UserId]) -> Vec<(Uuid, MemberType)> {
    ids.iter()
        .map(|u| (u.as_uuid(), MemberType::User))
        .collect()
}

async fn add_members_is_idempotent(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let group = GroupId::generate();
    let mut tx = store.begin(&tenant).await?;
    let u = insert_users(&mut tx, provider, "m", 3).await?;
    tx.insert_group(provider, group, &new_group("G")).await?;
    tx.add_members(group, &users(&u[..2])).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    // Again, overlapping, and with a duplicate inside one call.
    tx.add_members(group, &users(&u[..2])).await?;
    tx.add_members(group, &users(&[u[1], u[2], u[2]])).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let mut expected: Vec<Uuid> = u.iter().map(UserId::as_uuid).collect();
    expected.sort();
    // Stable order: by member id.
    assert_eq!(member_ids(&mut tx, group).await?, expected);
    assert!(
        tx.members(group)
            .await?
            .iter()
            .all(|m| m.member_type == MemberType::User)
    );
    // Adding nothing is allowed and changes nothing.
    tx.add_members(group, &[]).await?;
    assert_eq!(member_ids(&mut tx, group).await?, expected);
    Ok(())
}

async fn remove_and_clear_members(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let (group, other) = (GroupId::generate(), GroupId::generate());
    let mut tx = store.begin(&tenant).await?;
    let u = insert_users(&mut tx, provider, "m", 3).await?;
    tx.insert_group(provider, group, &new_group("G")).await?;
    tx.insert_group(provider, other, &new_group("Other"))
        .await?;
    tx.add_members(group, &users(&u)).await?;
    tx.add_members(other, &users(&u)).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    // Absent ids are ignored.
    tx.remove_members(group, &[u[0].as_uuid(), Uuid::now_v7()])
        .await?;
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    let mut left = vec![u[1].as_uuid(), u[2].as_uuid()];
    left.sort();
    assert_eq!(member_ids(&mut tx, group).await?, left);
    assert_eq!(
        member_ids(&mut tx, other).await?.len(),
        3,
        "other group untouched"
    );
    tx.remove_members(group, &[]).await?;
    assert_eq!(member_ids(&mut tx, group).await?, left);

    tx.clear_members(group).await?;
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    assert!(tx.members(group).await?.is_empty());
    assert_eq!(
        member_ids(&mut tx, other).await?.len(),
        3,
        "other group untouched"
    );
    tx.clear_members(group).await?;
    // Members and groups themselves stay.
    assert!(tx.group(provider, group, false).await?.is_some());
    assert_eq!(tx.count_users_of_provider(provider).await?, 3);
    Ok(())
}

async fn add_members_to_missing_group_is_not_found(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let missing = GroupId::generate();
    let mut tx = store.begin(&tenant).await?;
    let u = insert_users(&mut tx, provider, "m", 1).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_not_found(tx.add_members(missing, &users(&u)).await);
    drop(tx);
    let mut tx = store.begin(&tenant).await?;
    assert!(tx.members(missing).await?.is_empty());
    assert!(tx.groups_of_users(&u).await?.is_empty());
    Ok(())
}

async fn members_carry_display_values(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let (named, plain) = (UserId::generate(), UserId::generate());
    let (group, nested) = (GroupId::generate(), GroupId::generate());
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(
        provider,
        named,
        &NewUser {
            resource: json!({ "userName": "asmith", "displayName": "Alice Smith" }),
            ..new_user("asmith")
        },
    )
    .await?;
    tx.insert_user(provider, plain, &new_user("bjones")).await?;
    tx.insert_group(provider, group, &new_group("Parent"))
        .await?;
    tx.insert_group(provider, nested, &new_group("Nested Team"))
        .await?;
    tx.add_members(
        group,
        &[
            (named.as_uuid(), MemberType::User),
            (plain.as_uuid(), MemberType::User),
            (nested.as_uuid(), MemberType::Group),
        ],
    )
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let mut expected = vec![
        MemberRecord {
            id: named.as_uuid(),
            member_type: MemberType::User,
            display: Some("Alice Smith".into()),
        },
        MemberRecord {
            id: plain.as_uuid(),
            member_type: MemberType::User,
            display: Some("bjones".into()),
        },
        MemberRecord {
            id: nested.as_uuid(),
            member_type: MemberType::Group,
            display: Some("Nested Team".into()),
        },
    ];
    expected.sort_by_key(|m| m.id);
    assert_eq!(tx.members(group).await?, expected);

    // Display values follow renames.
    tx.update_user(
        provider,
        plain,
        &NewUser {
            resource: json!({ "userName": "bjones", "displayName": "Bob Jones" }),
            ..new_user("bjones")
        },
    )
    .await?;
    tx.update_user(provider, named, &new_user("alice.smith"))
        .await?;
    tx.update_group(provider, nested, &new_group("Renamed Team"))
        .await?;
    for m in &mut expected {
        m.display = Some(
            if m.id == named.as_uuid() {
                "alice.smith"
            } else if m.id == plain.as_uuid() {
                "Bob Jones"
            } else {
                "Renamed Team"
            }
            .into(),
        );
    }
    assert_eq!(tx.members(group).await?, expected);
    Ok(())
}

async fn resolve_members_over_500_ids(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (p, q) = (ProviderId::generate(), ProviderId::generate());
    let mut tx = store.begin(&tenant).await?;
    let p_users = insert_users(&mut tx, p, "p", 520).await?;
    let q_users = insert_users(&mut tx, q, "q", 20).await?;
    let mut p_groups = Vec::new();
    for n in 0..30 {
        let id = GroupId::generate();
        tx.insert_group(p, id, &new_group(&format!("p group {n}")))
            .await?;
        p_groups.push(id);
    }
    let mut q_groups = Vec::new();
    for n in 0..5 {
        let id = GroupId::generate();
        tx.insert_group(q, id, &new_group(&format!("q group {n}")))
            .await?;
        q_groups.push(id);
    }
    tx.commit().await?;

    // Interleave p's, q's and unknown ids so every chunk of 500 holds each kind; groups sit
    // past the first chunk.
    let mut asked = Vec::new();
    for (n, u) in p_users.iter().enumerate() {
        asked.push(u.as_uuid());
        if n % 20 == 0 {
            asked.push(q_users[n / 20 % q_users.len()].as_uuid());
            asked.push(Uuid::now_v7());
        }
    }
    asked.extend(p_groups.iter().map(GroupId::as_uuid));
    asked.extend(q_groups.iter().map(GroupId::as_uuid));
    assert!(
        asked.len() > 500,
        "more than one chunk: {} ids",
        asked.len()
    );

    let mut tx = store.begin(&tenant).await?;
    let resolved = tx.resolve_members(p, &asked).await?;
    let expected: BTreeSet<(Uuid, bool)> = p_users
        .iter()
        .map(|u| (u.as_uuid(), false))
        .chain(p_groups.iter().map(|g| (g.as_uuid(), true)))
        .collect();
    let got: BTreeSet<(Uuid, bool)> = resolved
        .iter()
        .map(|(id, t)| (*id, *t == MemberType::Group))
        .collect();
    assert_eq!(resolved.len(), expected.len(), "no duplicates");
    assert_eq!(got, expected);

    // q sees exactly its own.
    let resolved_q = tx.resolve_members(q, &asked).await?;
    let got_q: HashSet<Uuid> = resolved_q.iter().map(|(id, _)| *id).collect();
    let expected_q: HashSet<Uuid> = q_users
        .iter()
        .map(UserId::as_uuid)
        .chain(q_groups.iter().map(GroupId::as_uuid))
        .collect();
    assert_eq!(got_q, expected_q);
    assert!(tx.resolve_members(p, &[]).await?.is_empty());
    Ok(())
}

async fn groups_of_users_over_500_users(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let (alpha, beta, empty) = (
        GroupId::generate(),
        GroupId::generate(),
        GroupId::generate(),
    );
    let mut tx = store.begin(&tenant).await?;
    let u = insert_users(&mut tx, provider, "u", 600).await?;
    let loner = UserId::generate();
    tx.insert_user(provider, loner, &new_user("loner")).await?;
    tx.insert_group(provider, beta, &new_group("Beta")).await?;
    tx.insert_group(provider, alpha, &new_group("alpha"))
        .await?;
    tx.insert_group(provider, empty, &new_group("Empty"))
        .await?;
    // 600 members in one call: add_members chunks too.
    tx.add_members(beta, &users(&u)).await?;
    let evens: Vec<UserId> = u.iter().step_by(2).copied().collect();
    tx.add_members(alpha, &users(&evens)).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(member_ids(&mut tx, beta).await?.len(), 600);
    let mut asked = u.clone();
    asked.push(loner);
    let found = tx.groups_of_users(&asked).await?;
    assert_eq!(found.len(), 900);
    let got: HashSet<(UserId, GroupId, String)> = found.iter().cloned().collect();
    let expected: HashSet<(UserId, GroupId, String)> = u
        .iter()
        .map(|user| (*user, beta, "Beta".to_owned()))
        .chain(evens.iter().map(|user| (*user, alpha, "alpha".to_owned())))
        .collect();
    assert_eq!(got, expected);
    // Ordered by the group's folded displayName: every "alpha" row before any "Beta" row.
    let first_beta = found
        .iter()
        .position(|(_, g, _)| *g == beta)
        .expect("a beta row");
    assert!(found[..first_beta].iter().all(|(_, g, _)| *g == alpha));
    assert!(found[first_beta..].iter().all(|(_, g, _)| *g == beta));

    assert!(tx.groups_of_users(&[loner]).await?.is_empty());
    assert!(tx.groups_of_users(&[]).await?.is_empty());
    Ok(())
}
