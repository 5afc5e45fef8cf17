//! What `delete_all_data` leaves of the tables of tenant migration 0003 before an import: only
//! the seeded anchors (the top-level organization, the builtin roles, the digest settings row),
//! as they were; and what `insert_defaults_of_migration_0003` gives data from before that
//! migration (an imported version 1 or 2 document), on both backends.

use roster_core::ProviderId;
use roster_store::{
    BASIC_ROLES, BUILTIN_ROLES, Store, StoredGroupOrgMapping, StoredGroupRoleMapping,
    StoredOrganizationDefaultRole, StoredPendingRemap, StoredRoleAllowlistEntry, StoredUserRole,
    TOP_LEVEL_ORGANIZATION,
};
use uuid::Uuid;

use crate::harness::active_tenant;
use crate::transfer::{at, stored_group, stored_user};
use crate::transfer_mapping::{Tables, organization, role, rule, settings, tables};

conformance!(delete_all_data_keeps_only_the_seeded_anchors_and_older_data_gets_the_defaults);

async fn delete_all_data_keeps_only_the_seeded_anchors_and_older_data_gets_the_defaults(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let basic: Vec<StoredOrganizationDefaultRole> = BASIC_ROLES
        .iter()
        .map(|role_id| StoredOrganizationDefaultRole {
            org_id: TOP_LEVEL_ORGANIZATION,
            role_id: *role_id,
        })
        .collect();

    // What migration 0003 seeds into a new tenant.
    let seeded = tables(store, &tenant).await?;
    assert_eq!(seeded.organizations.len(), 1);
    let top = seeded.organizations[0].clone();
    assert_eq!(
        (top.id, top.parent_id, top.name.as_str()),
        (TOP_LEVEL_ORGANIZATION, None, "Top-level organization")
    );
    let ids: Vec<Uuid> = seeded.roles.iter().map(|r| r.id).collect();
    assert_eq!(ids, BUILTIN_ROLES);
    assert!(seeded.roles.iter().all(|r| r.builtin));
    assert_eq!(seeded.default_roles, basic);
    assert!(seeded.allowlist.is_empty() && seeded.rules.is_empty());
    let mut tx = store.begin(&tenant).await?;
    let digest = tx.stored_digest_settings().await?;
    assert_eq!(digest.frequency, "daily");

    // Rows in every table, then everything goes but the anchors.
    let child = Uuid::now_v7();
    tx.insert_stored_organizations(&[organization(child, Some(TOP_LEVEL_ORGANIZATION), "Ops", 2)])
        .await?;
    tx.insert_stored_organizations(&[organization(Uuid::now_v7(), Some(child), "Ops EU", 3)])
        .await?;
    let custom = Uuid::now_v7();
    tx.insert_stored_roles(&[role(custom, false, "Auditor")])
        .await?;
    tx.insert_stored_provider_settings(&[settings(provider)])
        .await?;
    let user = stored_user(provider, 1);
    tx.insert_stored_users(std::slice::from_ref(&user)).await?;
    tx.insert_stored_user_roles(&[StoredUserRole {
        user_id: user.id,
        role_id: custom,
        granted_by: "admin".to_owned(),
        reason: None,
    }])
    .await?;
    let group = stored_group(provider, "Ops");
    tx.insert_stored_groups(std::slice::from_ref(&group))
        .await?;
    tx.insert_stored_group_org_mappings(&[StoredGroupOrgMapping {
        provider_id: provider,
        group_id: group.id,
        org_id: child,
        priority: 1,
    }])
    .await?;
    tx.insert_stored_group_role_mappings(&[StoredGroupRoleMapping {
        provider_id: provider,
        group_id: group.id,
        role_id: custom,
    }])
    .await?;
    tx.insert_stored_role_allowlist(&[StoredRoleAllowlistEntry {
        provider_id: provider,
        role_id: custom,
    }])
    .await?;
    tx.insert_stored_mapping_rules(&[rule(provider, child, 0)])
        .await?;
    tx.insert_stored_pending_remaps(&[StoredPendingRemap {
        user_id: user.id,
        provider_id: provider,
        queued_at: at(1767227000, 5),
    }])
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    tx.delete_all_data().await?;
    tx.commit().await?;
    let left = tables(store, &tenant).await?;
    assert_eq!(
        left,
        Tables {
            organizations: vec![top],
            roles: seeded.roles.clone(),
            default_roles: vec![],
            user_roles: vec![],
            group_orgs: vec![],
            group_roles: vec![],
            allowlist: vec![],
            rules: vec![],
            remaps: vec![],
            apply: vec![],
        }
    );
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.stored_digest_settings().await?, digest);

    // Data from before migration 0003 gets what the migration gave: the top-level
    // organization's default roles and the basic roles on each provider's allowlist.
    let other = ProviderId::generate();
    tx.insert_stored_provider_settings(&[settings(provider), settings(other)])
        .await?;
    tx.insert_defaults_of_migration_0003().await?;
    tx.commit().await?;
    let after = tables(store, &tenant).await?;
    assert_eq!(after.default_roles, basic);
    let mut expected: Vec<StoredRoleAllowlistEntry> = [provider, other]
        .into_iter()
        .flat_map(|provider_id| {
            BASIC_ROLES
                .into_iter()
                .map(move |role_id| StoredRoleAllowlistEntry {
                    provider_id,
                    role_id,
                })
        })
        .collect();
    expected.sort_by_key(|e| (e.provider_id, e.role_id));
    assert_eq!(after.allowlist, expected);
    Ok(())
}
