//! Users in a tenant's data: round trips, versions, userName uniqueness, counting and deletion.

use roster_core::{GroupId, ProviderId, UserId, user_name_key};
use roster_store::{MemberType, NewUser, Store, UserCondition};
use serde_json::json;

use crate::harness::{
    active_tenant, assert_conflict, assert_not_found, assert_recent, insert_users, new_group,
    new_user, user_ids_where,
};

conformance!(
    user_round_trip,
    update_user_bumps_version_and_keeps_creation,
    user_name_key_is_unique_in_tenant,
    a_failed_statement_makes_the_whole_transaction_fail,
    count_users_of_provider,
    update_user_replaces_emails,
    delete_user_removes_memberships_and_emails,
);

async fn user_round_trip(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let id = UserId::generate();
    let resource = json!({
        "userName": "Zoë.Ångström@example.test",
        "name": { "givenName": "Zoë", "familyName": "Ångström" },
        "active": true,
        "emails": [{ "value": "zoe@example.test", "type": "work", "primary": true }],
        "employeeNumber": 9_007_199_254_740_993_i64,
        "score": 1.5,
        "nickName": null,
        "quote": "it's \"quoted\" -- and ; semicolons",
    });
    let new = NewUser {
        external_id: Some("ext-Zoë".to_owned()),
        display_name_key: Some("zoë".to_owned()),
        emails: vec![(Some("work".to_owned()), "zoe@example.test".to_owned())],
        resource: resource.clone(),
        ..new_user("Zoë.Ångström@example.test")
    };

    let mut tx = store.begin(&tenant).await?;
    let inserted = tx.insert_user(provider, id, &new).await?;
    assert_eq!(inserted.id, id);
    assert_eq!(inserted.provider_id, provider);
    assert_eq!(inserted.resource, resource);
    assert_eq!(inserted.version, 1);
    assert_recent(inserted.created_at);
    assert!(inserted.updated_at >= inserted.created_at);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    for for_update in [false, true] {
        let read = tx.user(provider, id, for_update).await?.expect("user");
        assert_eq!(read.id, id);
        assert_eq!(read.provider_id, provider);
        assert_eq!(read.resource, resource);
        assert_eq!(read.version, 1);
        assert_eq!(read.created_at, inserted.created_at);
        assert_eq!(read.updated_at, inserted.updated_at);
    }
    assert!(
        tx.user(provider, UserId::generate(), false)
            .await?
            .is_none()
    );
    Ok(())
}

async fn update_user_bumps_version_and_keeps_creation(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let id = UserId::generate();
    let mut tx = store.begin(&tenant).await?;
    let inserted = tx.insert_user(provider, id, &new_user("before")).await?;
    tx.commit().await?;

    let after = NewUser {
        external_id: Some("ext-after".to_owned()),
        resource: json!({ "userName": "after", "title": "Engineer" }),
        ..new_user("after")
    };
    let mut tx = store.begin(&tenant).await?;
    let updated = tx.update_user(provider, id, &after).await?;
    assert_eq!(updated.version, 2);
    assert_eq!(updated.resource, after.resource);
    assert_eq!(updated.created_at, inserted.created_at);
    assert!(updated.updated_at >= inserted.updated_at);
    assert!(updated.updated_at >= updated.created_at);
    assert_recent(updated.updated_at);
    let again = tx.update_user(provider, id, &after).await?;
    assert_eq!(again.version, 3);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let stored = tx.user(provider, id, false).await?.expect("user");
    assert_eq!(stored.version, 3);
    assert_eq!(stored.resource, after.resource);
    assert_eq!(stored.created_at, inserted.created_at);
    // The indexed facts moved with the document.
    assert_eq!(
        user_ids_where(
            &mut tx,
            provider,
            &[UserCondition::UserNameKey("after".into())]
        )
        .await?,
        [id]
    );
    assert_eq!(
        user_ids_where(
            &mut tx,
            provider,
            &[UserCondition::ExternalId("ext-after".into())]
        )
        .await?,
        [id]
    );
    assert!(
        user_ids_where(
            &mut tx,
            provider,
            &[UserCondition::UserNameKey("before".into())]
        )
        .await?
        .is_empty()
    );
    // The old userName is free again.
    tx.insert_user(provider, UserId::generate(), &new_user("before"))
        .await?;

    assert_not_found(
        tx.update_user(provider, UserId::generate(), &new_user("ghost"))
            .await,
    );
    Ok(())
}

async fn user_name_key_is_unique_in_tenant(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (a, b) = (ProviderId::generate(), ProviderId::generate());
    let alice = UserId::generate();
    let bob = UserId::generate();
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(a, alice, &new_user("Alice@Example.test"))
        .await?;
    tx.insert_user(a, bob, &new_user("bob")).await?;
    tx.commit().await?;

    // Same key, different spelling: refused, for the same provider and (the index has no
    // provider column) for any other provider of the tenant.
    assert_eq!(
        user_name_key("ALICE@example.TEST"),
        user_name_key("Alice@Example.test")
    );
    for provider in [a, b] {
        let mut tx = store.begin(&tenant).await?;
        assert_conflict(
            tx.insert_user(
                provider,
                UserId::generate(),
                &new_user("ALICE@example.TEST"),
            )
            .await,
        );
    }
    // An update onto a taken key is refused too, and changes nothing.
    let mut tx = store.begin(&tenant).await?;
    assert_conflict(
        tx.update_user(a, bob, &new_user("alice@example.test"))
            .await,
    );
    drop(tx);
    // A second insert of the same id is a conflict as well.
    let mut tx = store.begin(&tenant).await?;
    assert_conflict(tx.insert_user(a, bob, &new_user("someone-else")).await);
    drop(tx);

    let mut tx = store.begin(&tenant).await?;
    let stored_bob = tx.user(a, bob, false).await?.expect("bob");
    assert_eq!(stored_bob.version, 1);
    assert_eq!(stored_bob.resource, json!({ "userName": "bob" }));
    assert_eq!(tx.count_users_of_provider(a).await?, 2);
    assert_eq!(tx.count_users_of_provider(b).await?, 0);
    Ok(())
}

/// A refused write is the caller's to handle (answer 409 and carry on, say). Whatever the
/// backend, it must not silently take the transaction's earlier writes with it when the caller
/// then commits successfully.
/// A transaction is all or nothing on both backends: after a refused statement, commit fails and
/// the statements before it are not stored either (PostgreSQL would otherwise turn the COMMIT into
/// a silent rollback, and SQLite would commit the rest).
async fn a_failed_statement_makes_the_whole_transaction_fail(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(provider, UserId::generate(), &new_user("taken"))
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let earlier = UserId::generate();
    tx.insert_user(provider, earlier, &new_user("earlier"))
        .await?;
    assert_conflict(
        tx.insert_user(provider, UserId::generate(), &new_user("taken"))
            .await,
    );
    let committed = tx.commit().await;
    assert!(
        committed.is_err(),
        "commit after a failed statement answered Ok"
    );

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.user(provider, earlier, false).await?.is_none());
    assert_eq!(tx.count_users_of_provider(provider).await?, 1);
    Ok(())
}

async fn count_users_of_provider(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (p, q) = (ProviderId::generate(), ProviderId::generate());
    let mut tx = store.begin(&tenant).await?;
    let ps = insert_users(&mut tx, p, "p", 3).await?;
    insert_users(&mut tx, q, "q", 2).await?;
    assert_eq!(tx.count_users_of_provider(p).await?, 3);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.count_users_of_provider(p).await?, 3);
    assert_eq!(tx.count_users_of_provider(q).await?, 2);
    assert_eq!(tx.count_users_of_provider(ProviderId::generate()).await?, 0);
    assert!(tx.delete_user(p, ps[0]).await?);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.count_users_of_provider(p).await?, 2);
    assert_eq!(tx.count_users_of_provider(q).await?, 2);
    Ok(())
}

async fn update_user_replaces_emails(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let id = UserId::generate();
    let with_email = |address: &str| NewUser {
        emails: vec![(Some("work".to_owned()), address.to_owned())],
        ..new_user("u")
    };
    let by_email = |address: &str| {
        [UserCondition::Email {
            type_key: None,
            value_key: address.to_owned(),
        }]
    };
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(provider, id, &with_email("old@example.test"))
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    tx.update_user(provider, id, &with_email("new@example.test"))
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(
        user_ids_where(&mut tx, provider, &by_email("old@example.test"))
            .await?
            .is_empty()
    );
    assert_eq!(
        user_ids_where(&mut tx, provider, &by_email("new@example.test")).await?,
        [id]
    );
    tx.update_user(provider, id, &new_user("u")).await?;
    assert!(
        user_ids_where(&mut tx, provider, &by_email("new@example.test"))
            .await?
            .is_empty()
    );
    Ok(())
}

async fn delete_user_removes_memberships_and_emails(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let (doomed, kept) = (UserId::generate(), UserId::generate());
    let (g1, g2) = (GroupId::generate(), GroupId::generate());
    let mut tx = store.begin(&tenant).await?;
    tx.insert_user(
        provider,
        doomed,
        &NewUser {
            emails: vec![(None, "doomed@example.test".to_owned())],
            ..new_user("doomed")
        },
    )
    .await?;
    tx.insert_user(provider, kept, &new_user("kept")).await?;
    for g in [g1, g2] {
        tx.insert_group(provider, g, &new_group(&format!("g-{g}")))
            .await?;
        tx.add_members(
            g,
            &[
                (doomed.as_uuid(), MemberType::User),
                (kept.as_uuid(), MemberType::User),
            ],
        )
        .await?;
    }
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.delete_user(provider, doomed).await?);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.user(provider, doomed, false).await?.is_none());
    for g in [g1, g2] {
        let members: Vec<_> = tx.members(g).await?.into_iter().map(|m| m.id).collect();
        assert_eq!(members, [kept.as_uuid()], "members of {g}");
    }
    assert!(tx.groups_of_users(&[doomed]).await?.is_empty());
    assert_eq!(tx.groups_of_users(&[kept]).await?.len(), 2);
    assert!(!tx.delete_user(provider, doomed).await?);

    // Its e-mail rows went with it: a new user under the same id, without e-mails, is not
    // found by the old address.
    tx.insert_user(provider, doomed, &new_user("reborn"))
        .await?;
    assert!(
        user_ids_where(
            &mut tx,
            provider,
            &[UserCondition::Email {
                type_key: None,
                value_key: "doomed@example.test".into(),
            }],
        )
        .await?
        .is_empty()
    );
    // Nor is it a member of its predecessor's groups.
    assert!(tx.groups_of_users(&[doomed]).await?.is_empty());
    Ok(())
}
