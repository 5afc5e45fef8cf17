//! The organization tree and the roles catalogue: what a new tenant starts with, unique
//! case-folded names, renames and moves, own settings and default roles, the inheritance walk,
//! and how many users an organization holds.

use roster_core::{OrganizationId, ProviderId, RoleId, TenantId};
use roster_store::{
    GrantedBy, NewOrganization, OrganizationRecord, OrganizationSettings, Placement, Store,
    TenantTx,
};

use crate::harness::{
    active_tenant, assert_conflict, assert_not_found, assert_recent, insert_users,
};

conformance!(
    a_new_tenant_has_the_top_level_organization_and_the_builtin_roles,
    organization_names_are_unique_case_insensitively,
    rename_and_move_organizations,
    effective_settings_walk_up_to_the_nearest_own_settings,
    custom_roles_join_the_catalogue_with_unique_names,
    users_are_counted_per_organization,
);

/// Returns a new organization named `name` under `parent`, its key the name in lowercase.
pub(crate) fn new_org(name: &str, parent: OrganizationId) -> NewOrganization {
    NewOrganization {
        id: OrganizationId::generate(),
        name: name.to_owned(),
        name_key: name.to_lowercase(),
        parent_id: parent,
    }
}

/// Inserts an organization named `name` under `parent` and commits it.
pub(crate) async fn insert_org(
    store: &Store,
    tenant: &TenantId,
    name: &str,
    parent: OrganizationId,
) -> anyhow::Result<OrganizationId> {
    let mut tx = store.begin(tenant).await?;
    let org = tx.insert_organization(&new_org(name, parent)).await?;
    tx.commit().await?;
    Ok(org.id)
}

fn settings(profile: &str, region: &str, quota: i64) -> OrganizationSettings {
    OrganizationSettings {
        profile: Some(profile.to_owned()),
        storage_region: Some(region.to_owned()),
        quota_bytes: Some(quota),
    }
}

async fn org(tx: &mut TenantTx, id: OrganizationId) -> anyhow::Result<OrganizationRecord> {
    Ok(tx.organization(id).await?.expect("the organization exists"))
}

async fn a_new_tenant_has_the_top_level_organization_and_the_builtin_roles(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let mut tx = store.begin(&tenant).await?;
    let orgs = tx.organizations().await?;
    assert_eq!(orgs.len(), 1, "{orgs:?}");
    let top = &orgs[0];
    assert_eq!(top.id, OrganizationId::TOP_LEVEL);
    assert_eq!(top.name, "Top-level organization");
    assert_eq!(top.parent_id, None);
    assert!(
        !top.inherits,
        "the top-level organization has nothing to inherit from"
    );
    assert_eq!(top.settings.profile.as_deref(), Some("Default"));
    assert_eq!(
        top.default_roles,
        [RoleId::DESKTOP_USER, RoleId::PROE_USER, RoleId::AGENT_USER]
    );
    assert_eq!(&org(&mut tx, OrganizationId::TOP_LEVEL).await?, top);
    assert_eq!(
        tx.organization_by_name_key("top-level organization")
            .await?
            .map(|o| o.id),
        Some(OrganizationId::TOP_LEVEL)
    );
    let effective = tx.effective_settings(OrganizationId::TOP_LEVEL).await?;
    assert_eq!(effective.from, OrganizationId::TOP_LEVEL);
    assert_eq!(effective.settings, top.settings);
    assert_eq!(effective.default_roles, top.default_roles);

    // Builtin first, then by name key.
    let roles = tx.roles().await?;
    let listed: Vec<(RoleId, &str, bool)> = roles
        .iter()
        .map(|r| (r.id, r.name.as_str(), r.builtin))
        .collect();
    assert_eq!(
        listed,
        [
            (RoleId::AGENT_USER, "Agent User", true),
            (RoleId::CUSTOMER_CLOUD_ADMIN, "Customer Cloud Admin", true),
            (RoleId::DESKTOP_USER, "Desktop User", true),
            (
                RoleId::IDENTITY_MANAGEMENT_ADMINISTRATOR,
                "Identity Management Administrator",
                true
            ),
            (RoleId::PROE_USER, "PROe User", true),
        ]
    );
    assert!(roles.iter().all(|r| !r.description.is_empty()));
    let proe = tx.role_by_name_key("proe user").await?.expect("seeded");
    assert_eq!(
        (proe.id, proe.name.as_str()),
        (RoleId::PROE_USER, "PROe User")
    );
    assert!(
        tx.role_by_name_key("PROe User").await?.is_none(),
        "keys only"
    );
    Ok(())
}

async fn organization_names_are_unique_case_insensitively(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let mut tx = store.begin(&tenant).await?;
    let new = new_org("Sales", OrganizationId::TOP_LEVEL);
    let sales = tx.insert_organization(&new).await?;
    assert_eq!(sales.id, new.id);
    assert_eq!(sales.name, "Sales");
    assert_eq!(sales.parent_id, Some(OrganizationId::TOP_LEVEL));
    assert!(sales.inherits, "a new organization inherits");
    assert_eq!(sales.settings, OrganizationSettings::default());
    assert!(sales.default_roles.is_empty());
    assert_recent(sales.created_at);
    assert_recent(sales.updated_at);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_conflict(
        tx.insert_organization(&new_org("SALES", OrganizationId::TOP_LEVEL))
            .await,
    );
    drop(tx);
    let mut tx = store.begin(&tenant).await?;
    assert_conflict(tx.insert_organization(&new_org("sales", new.id)).await);
    drop(tx);

    let mut tx = store.begin(&tenant).await?;
    let found = tx.organization_by_name_key("sales").await?;
    assert_eq!(found.as_ref(), Some(&sales));
    assert!(tx.organization_by_name_key("Sales").await?.is_none());
    assert!(tx.organization(OrganizationId::generate()).await?.is_none());
    assert_eq!(
        tx.organizations().await?.len(),
        2,
        "the refused ones left nothing"
    );
    Ok(())
}

async fn rename_and_move_organizations(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let sales = insert_org(store, &tenant, "Sales", OrganizationId::TOP_LEVEL).await?;
    let eng = insert_org(store, &tenant, "Engineering", OrganizationId::TOP_LEVEL).await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(
        tx.rename_organization(eng, "R&D Zürich", "r&d zürich")
            .await?
    );
    // A new name with the old key's case changed only.
    assert!(tx.rename_organization(sales, "SALES", "sales").await?);
    assert!(
        !tx.rename_organization(OrganizationId::generate(), "Ghost", "ghost")
            .await?
    );
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_conflict(tx.rename_organization(eng, "Sales", "sales").await);
    drop(tx);

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.organization_by_name_key("engineering").await?.is_none());
    let renamed = tx
        .organization_by_name_key("r&d zürich")
        .await?
        .expect("found by its new key");
    assert_eq!((renamed.id, renamed.name.as_str()), (eng, "R&D Zürich"));
    assert_eq!(org(&mut tx, sales).await?.name, "SALES");

    assert!(tx.move_organization(eng, sales).await?);
    assert!(
        !tx.move_organization(OrganizationId::TOP_LEVEL, sales)
            .await?,
        "the top-level organization has no parent to change"
    );
    assert!(
        !tx.move_organization(OrganizationId::generate(), sales)
            .await?
    );
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(org(&mut tx, eng).await?.parent_id, Some(sales));
    let top = org(&mut tx, OrganizationId::TOP_LEVEL).await?;
    assert_eq!(top.parent_id, None);
    // Listed by name key.
    let names: Vec<String> = tx
        .organizations()
        .await?
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(names, ["R&D Zürich", "SALES", "Top-level organization"]);
    Ok(())
}

async fn effective_settings_walk_up_to_the_nearest_own_settings(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let child = insert_org(store, &tenant, "Child", OrganizationId::TOP_LEVEL).await?;
    let grandchild = insert_org(store, &tenant, "Grandchild", child).await?;

    let mut tx = store.begin(&tenant).await?;
    let top_settings = settings("Top", "us-east", 10 << 30);
    assert!(
        tx.set_organization_settings(OrganizationId::TOP_LEVEL, false, &top_settings)
            .await?
    );
    tx.set_organization_default_roles(OrganizationId::TOP_LEVEL, &[RoleId::AGENT_USER])
        .await?;
    tx.commit().await?;

    // Grandchild inherits from child, which inherits from the top.
    let mut tx = store.begin(&tenant).await?;
    for id in [grandchild, child, OrganizationId::TOP_LEVEL] {
        let effective = tx.effective_settings(id).await?;
        assert_eq!(effective.from, OrganizationId::TOP_LEVEL, "for {id}");
        assert_eq!(effective.settings, top_settings);
        assert_eq!(effective.default_roles, [RoleId::AGENT_USER]);
    }

    // The child stops inheriting: it and the grandchild get the child's own.
    let child_settings = settings("Child", "eu-central", 5 << 30);
    assert!(
        tx.set_organization_settings(child, false, &child_settings)
            .await?
    );
    tx.set_organization_default_roles(
        child,
        &[RoleId::PROE_USER, RoleId::DESKTOP_USER, RoleId::PROE_USER],
    )
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let stored = org(&mut tx, child).await?;
    assert!(!stored.inherits);
    assert_eq!(stored.settings, child_settings);
    assert_eq!(
        stored.default_roles,
        [RoleId::DESKTOP_USER, RoleId::PROE_USER],
        "by role id, each once"
    );
    for id in [grandchild, child] {
        let effective = tx.effective_settings(id).await?;
        assert_eq!(effective.from, child, "for {id}");
        assert_eq!(effective.settings, child_settings);
        assert_eq!(
            effective.default_roles,
            [RoleId::DESKTOP_USER, RoleId::PROE_USER]
        );
    }
    assert_eq!(
        tx.effective_settings(OrganizationId::TOP_LEVEL)
            .await?
            .settings,
        top_settings,
        "the parent is unchanged"
    );

    // Own default roles replaced by none: the grandchild follows the child to no roles.
    tx.set_organization_default_roles(child, &[]).await?;
    let effective = tx.effective_settings(grandchild).await?;
    assert_eq!(effective.from, child);
    assert!(effective.default_roles.is_empty());

    // Inheriting again: back to the top's, the child's own settings kept but unused.
    assert!(
        tx.set_organization_settings(child, true, &child_settings)
            .await?
    );
    let effective = tx.effective_settings(grandchild).await?;
    assert_eq!(effective.from, OrganizationId::TOP_LEVEL);
    assert_eq!(effective.settings, top_settings);
    assert_eq!(org(&mut tx, child).await?.settings, child_settings);

    assert!(
        !tx.set_organization_settings(OrganizationId::generate(), false, &child_settings)
            .await?
    );
    assert_not_found(tx.effective_settings(OrganizationId::generate()).await);
    Ok(())
}

async fn custom_roles_join_the_catalogue_with_unique_names(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let auditor = RoleId::generate();
    let mut tx = store.begin(&tenant).await?;
    let inserted = tx
        .insert_role(auditor, "Auditor", "auditor", "Reads the audit log")
        .await?;
    assert_eq!(inserted.id, auditor);
    assert!(!inserted.builtin);
    tx.commit().await?;

    for (name, key) in [("AUDITOR", "auditor"), ("Desktop user", "desktop user")] {
        let mut tx = store.begin(&tenant).await?;
        assert_conflict(tx.insert_role(RoleId::generate(), name, key, "").await);
    }

    let mut tx = store.begin(&tenant).await?;
    let roles = tx.roles().await?;
    assert_eq!(roles.len(), 6);
    assert_eq!(roles[5], inserted, "custom roles after the builtin ones");
    assert_eq!(tx.role_by_name_key("auditor").await?, Some(inserted));

    // A custom role can be an organization's default role.
    let org_id = tx
        .insert_organization(&new_org("Audit", OrganizationId::TOP_LEVEL))
        .await?
        .id;
    assert!(
        tx.set_organization_settings(org_id, false, &OrganizationSettings::default())
            .await?
    );
    tx.set_organization_default_roles(org_id, &[auditor])
        .await?;
    assert_eq!(
        tx.effective_settings(org_id).await?.default_roles,
        [auditor]
    );
    Ok(())
}

async fn users_are_counted_per_organization(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let sales = insert_org(store, &tenant, "Sales", OrganizationId::TOP_LEVEL).await?;
    let mut tx = store.begin(&tenant).await?;
    let users = insert_users(&mut tx, ProviderId::generate(), "u", 3).await?;
    assert_eq!(
        tx.count_users_in_organization(OrganizationId::TOP_LEVEL)
            .await?,
        3
    );
    assert_eq!(tx.count_users_in_organization(sales).await?, 0);
    for user in &users[..2] {
        let placement = Placement {
            org_id: sales,
            set_by: GrantedBy::Admin,
            reason: None,
            profile: None,
            storage_region: None,
            quota_bytes: None,
        };
        assert!(tx.set_user_placement(*user, &placement).await?);
    }
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.count_users_in_organization(sales).await?, 2);
    assert_eq!(
        tx.count_users_in_organization(OrganizationId::TOP_LEVEL)
            .await?,
        1
    );
    assert_eq!(
        tx.count_users_in_organization(OrganizationId::generate())
            .await?,
        0
    );
    Ok(())
}
