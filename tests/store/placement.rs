//! Where each user is placed and the roles it holds: a new user's placement, writing it back,
//! granting (an upsert), listing and revoking roles, and what deleting a user takes with it.

use roster_core::{OrganizationId, ProviderId, RoleId, UserId};
use roster_store::{GrantedBy, Placement, Store, UserRole};

use crate::harness::{active_tenant, insert_users, new_user};
use crate::organizations::insert_org;

conformance!(
    a_new_user_is_placed_at_the_top_level_and_placements_round_trip,
    granting_a_held_role_records_the_new_grantor,
    deleting_a_user_deletes_its_roles,
);

fn role(role_id: RoleId, granted_by: GrantedBy, reason: Option<&str>) -> UserRole {
    UserRole {
        role_id,
        granted_by,
        reason: reason.map(str::to_owned),
    }
}

async fn a_new_user_is_placed_at_the_top_level_and_placements_round_trip(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let sales = insert_org(store, &tenant, "Sales", OrganizationId::TOP_LEVEL).await?;
    let mut tx = store.begin(&tenant).await?;
    let users = insert_users(&mut tx, ProviderId::generate(), "p", 2).await?;
    let fresh = Placement {
        org_id: OrganizationId::TOP_LEVEL,
        set_by: GrantedBy::Mapping,
        reason: None,
        profile: None,
        storage_region: None,
        quota_bytes: None,
    };
    assert_eq!(tx.user_placement(users[0]).await?, Some(fresh.clone()));
    assert_eq!(tx.user_placement(UserId::generate()).await?, None);

    let moved = Placement {
        org_id: sales,
        set_by: GrantedBy::Admin,
        reason: Some("moved by admin \"Zoë\"".to_owned()),
        profile: Some("Field".to_owned()),
        storage_region: Some("eu-west".to_owned()),
        quota_bytes: Some(5 << 30),
    };
    assert!(tx.set_user_placement(users[0], &moved).await?);
    assert!(!tx.set_user_placement(UserId::generate(), &moved).await?);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.user_placement(users[0]).await?, Some(moved));
    assert_eq!(
        tx.user_placement(users[1]).await?,
        Some(fresh.clone()),
        "the other user stays"
    );
    // Written back to the defaults: the rule's settings are cleared.
    assert!(tx.set_user_placement(users[0], &fresh).await?);
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.user_placement(users[0]).await?, Some(fresh));
    Ok(())
}

async fn granting_a_held_role_records_the_new_grantor(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let mut tx = store.begin(&tenant).await?;
    let users = insert_users(&mut tx, ProviderId::generate(), "r", 2).await?;
    let user = users[0];
    assert!(
        tx.user_roles(user).await?.is_empty(),
        "a new user holds none"
    );
    let default = role(
        RoleId::DESKTOP_USER,
        GrantedBy::Mapping,
        Some("default role of \"Top-level organization\""),
    );
    let admin = role(
        RoleId::CUSTOMER_CLOUD_ADMIN,
        GrantedBy::Mapping,
        Some("group \"Admins\""),
    );
    let agent = role(RoleId::AGENT_USER, GrantedBy::Admin, None);
    // Granted out of id order.
    for grant in [&agent, &default, &admin] {
        tx.grant_user_role(user, grant).await?;
    }
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.user_roles(user).await?,
        [admin.clone(), default, agent.clone()],
        "by role id"
    );
    // Granted again: the same role, a new grantor and reason.
    let kept = role(
        RoleId::DESKTOP_USER,
        GrantedBy::Admin,
        Some("kept by an admin"),
    );
    tx.grant_user_role(user, &kept).await?;
    assert_eq!(
        tx.user_roles(user).await?,
        [admin.clone(), kept.clone(), agent]
    );
    assert!(
        tx.user_roles(users[1]).await?.is_empty(),
        "only that user's"
    );

    assert!(tx.revoke_user_role(user, RoleId::AGENT_USER).await?);
    assert!(
        !tx.revoke_user_role(user, RoleId::AGENT_USER).await?,
        "gone"
    );
    assert!(
        !tx.revoke_user_role(user, RoleId::PROE_USER).await?,
        "never held"
    );
    assert!(
        !tx.revoke_user_role(users[1], RoleId::DESKTOP_USER).await?,
        "another user's"
    );
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.user_roles(user).await?, [admin, kept]);
    Ok(())
}

async fn deleting_a_user_deletes_its_roles(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    let users = insert_users(&mut tx, provider, "d", 3).await?;
    let grant = role(RoleId::PROE_USER, GrantedBy::Mapping, Some("default"));
    for user in &users {
        tx.grant_user_role(*user, &grant).await?;
    }
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.hard_delete_user(users[0]).await?);
    assert!(tx.delete_user(provider, users[1]).await?);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.user_roles(users[0]).await?.is_empty());
    assert!(tx.user_roles(users[1]).await?.is_empty());
    assert_eq!(tx.user_roles(users[2]).await?, [grant]);
    assert_eq!(tx.user_placement(users[0]).await?, None);
    // A user with the same id again starts with no roles: none were left behind.
    tx.insert_user(provider, users[0], &new_user("d-again"))
        .await?;
    assert!(tx.user_roles(users[0]).await?.is_empty());
    Ok(())
}
