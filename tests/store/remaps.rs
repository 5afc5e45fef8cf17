//! The work lists of remapping: the queue of users to remap (filled from a group's user members
//! or a list, read oldest first per provider, drained), a provider's live users in id order, and
//! what an apply run recorded for each user.

use std::time::Duration;

use roster_core::{GroupId, OrganizationId, ProviderId, UserId};
use roster_store::{
    ApplyResult, DueChange, LifecycleUpdate, MemberType, Store, TenantTx, UserState,
};
use uuid::Uuid;

use crate::harness::{active_tenant, insert_users, new_group};

conformance!(
    group_members_are_queued_once_and_read_oldest_first,
    the_queue_is_read_per_provider_and_drained,
    provider_users_after_walks_live_users_in_id_order,
    apply_results_are_upserted_and_paged_by_user_name,
);

/// Sets a user's state and whether its provider deleted it.
async fn set_lifecycle(
    tx: &mut TenantTx,
    user: UserId,
    state: UserState,
    deleted_by_provider: bool,
) -> anyhow::Result<()> {
    tx.write_lifecycle(
        user,
        &LifecycleUpdate {
            state,
            due: DueChange::Keep,
            legal_hold: false,
            deleted_by_provider,
            admin_override: false,
        },
    )
    .await?;
    Ok(())
}

fn sorted(mut ids: Vec<UserId>) -> Vec<UserId> {
    ids.sort();
    ids
}

async fn group_members_are_queued_once_and_read_oldest_first(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let (group, nested) = (GroupId::generate(), GroupId::generate());
    let mut tx = store.begin(&tenant).await?;
    let u = insert_users(&mut tx, provider, "q", 4).await?;
    tx.insert_group(provider, group, &new_group("Sales"))
        .await?;
    tx.insert_group(provider, nested, &new_group("Sales EMEA"))
        .await?;
    tx.add_members(
        group,
        &[
            (u[0].as_uuid(), MemberType::User),
            (u[1].as_uuid(), MemberType::User),
            (u[2].as_uuid(), MemberType::User),
            (nested.as_uuid(), MemberType::Group),
        ],
    )
    .await?;
    tx.add_members(nested, &[(u[3].as_uuid(), MemberType::User)])
        .await?;
    tx.queue_users_for_remap(provider, &[u[1]]).await?;
    tx.commit().await?;
    // Queued later than u[1] on either clock.
    tokio::time::sleep(Duration::from_millis(20)).await;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.queue_group_members_for_remap(provider, group).await?,
        3,
        "the three user members, u[1] re-queued; not the nested group, nor its members"
    );
    assert_eq!(
        tx.queue_group_members_for_remap(provider, GroupId::generate())
            .await?,
        0
    );
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let expected = sorted(vec![u[0], u[1], u[2]]);
    assert_eq!(
        tx.pending_remaps(provider, 10).await?,
        expected,
        "re-queued together: one time, then by id"
    );
    assert_eq!(tx.pending_remaps(provider, 2).await?, expected[..2]);
    assert!(tx.pending_remaps(provider, 0).await?.is_empty());
    Ok(())
}

async fn the_queue_is_read_per_provider_and_drained(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (provider, other) = (ProviderId::generate(), ProviderId::generate());
    let mut tx = store.begin(&tenant).await?;
    let mine = insert_users(&mut tx, provider, "mine", 3).await?;
    let theirs = insert_users(&mut tx, other, "theirs", 2).await?;
    tx.queue_users_for_remap(provider, &mine).await?;
    // Queued again, by either provider: one entry, still the first provider's.
    tx.queue_users_for_remap(provider, &mine[..1]).await?;
    tx.queue_users_for_remap(other, &[theirs[0], theirs[1], mine[2]])
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        sorted(tx.pending_remaps(provider, 10).await?),
        sorted(mine.clone())
    );
    assert_eq!(
        sorted(tx.pending_remaps(other, 10).await?),
        sorted(theirs.clone())
    );
    assert!(
        tx.pending_remaps(ProviderId::generate(), 10)
            .await?
            .is_empty()
    );
    tx.dequeue_remaps(&[mine[0], theirs[1], UserId::generate()])
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        sorted(tx.pending_remaps(provider, 10).await?),
        sorted(vec![mine[1], mine[2]])
    );
    assert_eq!(tx.pending_remaps(other, 10).await?, [theirs[0]]);
    // A dequeued user can be queued again.
    tx.queue_users_for_remap(provider, &[mine[0]]).await?;
    assert_eq!(tx.pending_remaps(provider, 10).await?.len(), 3);
    tx.dequeue_remaps(&[mine[0], mine[1], mine[2], theirs[0]])
        .await?;
    assert!(tx.pending_remaps(provider, 10).await?.is_empty());
    assert!(tx.pending_remaps(other, 10).await?.is_empty());
    Ok(())
}

async fn provider_users_after_walks_live_users_in_id_order(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (provider, other) = (ProviderId::generate(), ProviderId::generate());
    let mut tx = store.begin(&tenant).await?;
    let u = insert_users(&mut tx, provider, "walk", 7).await?;
    insert_users(&mut tx, other, "other", 2).await?;
    // Deleted by the provider (not yet deactivated), deactivated, deleted and deactivated: out.
    set_lifecycle(&mut tx, u[1], UserState::Blocked, true).await?;
    set_lifecycle(&mut tx, u[2], UserState::Deactivated, false).await?;
    set_lifecycle(&mut tx, u[5], UserState::Deactivated, true).await?;
    // Blocked but still the provider's: in.
    set_lifecycle(&mut tx, u[3], UserState::Blocked, false).await?;
    tx.commit().await?;
    let live = sorted(vec![u[0], u[3], u[4], u[6]]);

    let mut tx = store.begin(&tenant).await?;
    let mut walked = Vec::new();
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = tx.provider_users_after(provider, after, 3).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        assert!(page.iter().all(|user| user.provider_id == provider));
        pages.push(page.len());
        walked.extend(page.iter().map(|user| user.id));
    }
    assert_eq!(walked, live);
    assert_eq!(pages, [3, 1]);
    assert_eq!(
        tx.count_provider_live_users(provider).await?,
        i64::try_from(walked.len())?
    );
    assert_eq!(tx.count_provider_live_users(other).await?, 2);
    assert_eq!(
        tx.count_provider_live_users(ProviderId::generate()).await?,
        0
    );
    // Starting after a user that is not live still starts at its place in id order.
    let from_excluded = tx.provider_users_after(provider, Some(u[2]), 10).await?;
    let expected: Vec<UserId> = live.iter().copied().filter(|id| *id > u[2]).collect();
    assert_eq!(
        from_excluded.iter().map(|user| user.id).collect::<Vec<_>>(),
        expected
    );
    Ok(())
}

fn result(user: UserId, name: &str, n: i64) -> ApplyResult {
    ApplyResult {
        user_id: user,
        user_name: name.to_owned(),
        from_org_id: (n % 2 == 0).then_some(OrganizationId::TOP_LEVEL),
        to_org_id: (n % 2 == 0).then(OrganizationId::generate),
        to_org_name: (n % 2 == 0).then(|| format!("Ventes, Zürich {n}")),
        roles_added: vec!["Desktop User".to_owned(), format!("Rôle {n}")],
        roles_removed: if n % 3 == 0 {
            Vec::new()
        } else {
            vec!["Agent User".to_owned()]
        },
        unmatched: n % 2 == 1,
    }
}

async fn apply_results_are_upserted_and_paged_by_user_name(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (job, other_job) = (Uuid::now_v7(), Uuid::now_v7());
    let names = ["carol", "alice", "dave", "bob"];
    let users: Vec<UserId> = names.iter().map(|_| UserId::generate()).collect();
    let mut results: Vec<ApplyResult> = users
        .iter()
        .zip(names)
        .zip(0..)
        .map(|((user, name), n)| result(*user, name, n))
        .collect();
    let mut tx = store.begin(&tenant).await?;
    for r in &results {
        tx.record_apply_result(job, r).await?;
    }
    let theirs = result(users[0], "carol", 7);
    tx.record_apply_result(other_job, &theirs).await?;
    tx.commit().await?;

    // Recorded again for the same run: replaced, not added.
    let mut tx = store.begin(&tenant).await?;
    let again = result(users[3], "bob", 4);
    tx.record_apply_result(job, &again).await?;
    tx.commit().await?;
    results[3] = again;

    let by_name = |name: &str| {
        results
            .iter()
            .find(|r| r.user_name == name)
            .cloned()
            .expect("recorded")
    };
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.apply_results(job, 0, 2).await?,
        (4, vec![by_name("alice"), by_name("bob")])
    );
    assert_eq!(
        tx.apply_results(job, 2, 2).await?,
        (4, vec![by_name("carol"), by_name("dave")])
    );
    assert_eq!(tx.apply_results(job, 4, 2).await?, (4, Vec::new()));
    assert_eq!(tx.apply_results(other_job, 0, 10).await?, (1, vec![theirs]));
    assert_eq!(
        tx.apply_results(Uuid::now_v7(), 0, 10).await?,
        (0, Vec::new())
    );
    Ok(())
}
