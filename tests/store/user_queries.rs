//! `list_users`: each indexed condition, their conjunction, and paging in creation order.

use std::collections::HashSet;

use roster_core::{ProviderId, UserId};
use roster_store::{NewUser, Store, UserCondition};

use crate::harness::{active_tenant, insert_users, new_user, user_ids_where};

conformance!(
    list_users_by_each_condition,
    list_users_pages_in_creation_order,
);

async fn list_users_by_each_condition(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (p, q) = (ProviderId::generate(), ProviderId::generate());
    let email = |t: Option<&str>, v: &str| (t.map(str::to_owned), v.to_owned());
    let alice = UserId::generate();
    let bob = UserId::generate();
    let carol = UserId::generate();
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(
        p,
        alice,
        &NewUser {
            external_id: Some("ext-1".into()),
            display_name_key: Some("a smith".into()),
            // The same address twice, under two types: still one user.
            emails: vec![
                email(Some("work"), "alice@example.test"),
                email(Some("home"), "alice@example.test"),
                email(Some("other"), "a@home.test"),
            ],
            ..new_user("alice")
        },
    )
    .await?;
    tx.insert_user(
        p,
        bob,
        &NewUser {
            // externalId is compared exactly (RFC 7643 §3.1: caseExact).
            external_id: Some("EXT-1".into()),
            display_name_key: Some("bob".into()),
            emails: vec![email(Some("work"), "bob@example.test")],
            ..new_user("bob")
        },
    )
    .await?;
    tx.insert_user(
        p,
        carol,
        &NewUser {
            display_name_key: Some("a smith".into()),
            emails: vec![
                email(None, "carol@example.test"),
                email(Some("home"), "alice@example.test"),
            ],
            ..new_user("carol")
        },
    )
    .await?;
    // Another provider's user matches everything alice does; it must never show up for p.
    tx.insert_user(
        q,
        UserId::generate(),
        &NewUser {
            external_id: Some("ext-1".into()),
            display_name_key: Some("a smith".into()),
            emails: vec![email(Some("work"), "alice@example.test")],
            ..new_user("dave")
        },
    )
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let email_cond = |t: Option<&str>, v: &str| UserCondition::Email {
        type_key: t.map(str::to_owned),
        value_key: v.to_owned(),
    };
    let cases: Vec<(Vec<UserCondition>, Vec<UserId>)> = vec![
        (vec![], vec![alice, bob, carol]),
        (
            vec![UserCondition::UserNameKey("alice".into())],
            vec![alice],
        ),
        // Keys are folded by the caller; the store compares them as given.
        (vec![UserCondition::UserNameKey("ALICE".into())], vec![]),
        (vec![UserCondition::ExternalId("ext-1".into())], vec![alice]),
        (vec![UserCondition::ExternalId("EXT-1".into())], vec![bob]),
        (vec![UserCondition::ExternalId("ext-2".into())], vec![]),
        (
            vec![UserCondition::DisplayNameKey("a smith".into())],
            vec![alice, carol],
        ),
        (
            vec![email_cond(None, "alice@example.test")],
            vec![alice, carol],
        ),
        (
            vec![email_cond(Some("work"), "alice@example.test")],
            vec![alice],
        ),
        (
            vec![email_cond(Some("home"), "alice@example.test")],
            vec![alice, carol],
        ),
        (vec![email_cond(None, "carol@example.test")], vec![carol]),
        // A condition on the type does not match an address stored without one.
        (vec![email_cond(Some("work"), "carol@example.test")], vec![]),
        (vec![email_cond(None, "a@home.test")], vec![alice]),
        (vec![email_cond(Some("work"), "a@home.test")], vec![]),
        // Conditions are joined with AND.
        (
            vec![
                UserCondition::DisplayNameKey("a smith".into()),
                email_cond(Some("work"), "alice@example.test"),
            ],
            vec![alice],
        ),
        (
            vec![
                UserCondition::DisplayNameKey("a smith".into()),
                UserCondition::ExternalId("ext-1".into()),
                UserCondition::UserNameKey("alice".into()),
            ],
            vec![alice],
        ),
        (
            vec![
                UserCondition::UserNameKey("bob".into()),
                UserCondition::ExternalId("ext-1".into()),
            ],
            vec![],
        ),
    ];
    for (conditions, expected) in cases {
        let found = user_ids_where(&mut tx, p, &conditions).await?;
        assert_eq!(found, expected, "{conditions:?}");
    }
    assert_eq!(
        user_ids_where(&mut tx, q, &[email_cond(None, "alice@example.test")])
            .await?
            .len(),
        1
    );
    assert!(
        user_ids_where(&mut tx, ProviderId::generate(), &[])
            .await?
            .is_empty()
    );
    Ok(())
}

async fn list_users_pages_in_creation_order(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    // Five transactions of five: creation times both differ and tie.
    let mut created = Vec::new();
    for batch in 0..5 {
        let mut tx = store.begin(&tenant).await?;
        created.extend(insert_users(&mut tx, provider, &format!("user-{batch}"), 5).await?);
        tx.commit().await?;
    }
    let mut tx = store.begin(&tenant).await?;
    insert_users(&mut tx, ProviderId::generate(), "noise", 3).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let mut seen = Vec::new();
    for (offset, expected_len) in [(0, 10), (10, 10), (20, 5)] {
        let (total, page) = tx.list_users(provider, &[], offset, 10).await?;
        assert_eq!(total, 25);
        assert_eq!(page.len(), expected_len, "page at {offset}");
        assert!(page.iter().all(|u| u.provider_id == provider));
        seen.extend(page.into_iter().map(|u| u.id));
    }
    assert_eq!(seen, created, "pages in creation order, no gaps");
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        25,
        "no duplicates"
    );

    // Past the end, and empty pages, still report the total.
    let (total, page) = tx.list_users(provider, &[], 25, 10).await?;
    assert_eq!((total, page.len()), (25, 0));
    let (total, page) = tx.list_users(provider, &[], 0, 0).await?;
    assert_eq!((total, page.len()), (25, 0));
    // A page straddling the middle.
    let (_, page) = tx.list_users(provider, &[], 7, 6).await?;
    let ids: Vec<UserId> = page.into_iter().map(|u| u.id).collect();
    assert_eq!(ids, created[7..13]);
    Ok(())
}
