//! The raw reads and writes behind `roster export` / `roster import` for what tenant migration
//! 0003 added: organizations, roles, default roles, users' roles and organizations, providers'
//! mapping methods, group mappings, allowlists, rules, queued remaps, apply results and the
//! digest settings come back exactly as written, page by page, on both backends; the seeded
//! top-level organization and builtin roles are overwritten, never duplicated. (`transfer_seeded`:
//! what `delete_all_data` keeps, and the defaults older data gets.)

use roster_core::{ProviderId, UserId};
use roster_store::{
    BUILTIN_ROLES, Store, StoredApplyResult, StoredDigestSettings, StoredGroupOrgMapping,
    StoredGroupRoleMapping, StoredMappingMethods, StoredMappingRule, StoredOrganization,
    StoredOrganizationDefaultRole, StoredPendingRemap, StoredPlacement, StoredProviderSettings,
    StoredRole, StoredRoleAllowlistEntry, StoredUserRole, TOP_LEVEL_ORGANIZATION, TenantTx,
};
use uuid::Uuid;

use crate::harness::{active_tenant, assert_conflict, assert_not_found};
use crate::transfer::{all_users, at, stored_group, stored_user};

conformance!(organizations_roles_and_mappings_round_trip_exactly_page_by_page);

pub(crate) fn organization(
    id: Uuid,
    parent: Option<Uuid>,
    name: &str,
    n: i64,
) -> StoredOrganization {
    StoredOrganization {
        id,
        name: name.to_owned(),
        name_key: name.to_lowercase(),
        parent_id: parent,
        inherits: n % 2 == 0,
        profile: (n % 2 == 1).then(|| format!("Profile {n}")),
        storage_region: (n % 2 == 1).then(|| "eu-west".to_owned()),
        quota_bytes: (n % 2 == 1).then_some(n << 30),
        created_at: at(1767225000 + n, 100),
        updated_at: at(1767226000 + n, 200),
    }
}

pub(crate) fn role(id: Uuid, builtin: bool, name: &str) -> StoredRole {
    StoredRole {
        id,
        name: name.to_owned(),
        name_key: name.to_lowercase(),
        builtin,
        description: format!("What {name} does"),
        created_at: at(1767220000, 300),
    }
}

pub(crate) fn rule(provider: ProviderId, org: Uuid, position: i64) -> StoredMappingRule {
    StoredMappingRule {
        id: Uuid::now_v7(),
        provider_id: provider,
        name: format!("Rule {position}"),
        attribute: (position > 0).then(|| "department".to_owned()),
        match_values: serde_json::json!(["Sales", format!("Sales {position}")]),
        org_id: org,
        profile: Some("Field".to_owned()),
        storage_region: None,
        quota_bytes: Some(position),
        position,
        created_at: at(1767225000 + position, 1),
        updated_at: at(1767225100 + position, 2),
    }
}

pub(crate) fn settings(provider: ProviderId) -> StoredProviderSettings {
    StoredProviderSettings {
        provider_id: provider,
        username: "scim-okta".to_owned(),
        deactivation_delay_secs: 900,
        last_success_at: None,
        updated_at: at(1767224000, 0),
        mapping: StoredMappingMethods::default(),
    }
}

/// Every row of the tables of migration 0003, as the export reads them.
#[derive(Debug, PartialEq)]
pub(crate) struct Tables {
    pub(crate) organizations: Vec<StoredOrganization>,
    pub(crate) roles: Vec<StoredRole>,
    pub(crate) default_roles: Vec<StoredOrganizationDefaultRole>,
    pub(crate) user_roles: Vec<StoredUserRole>,
    pub(crate) group_orgs: Vec<StoredGroupOrgMapping>,
    pub(crate) group_roles: Vec<StoredGroupRoleMapping>,
    pub(crate) allowlist: Vec<StoredRoleAllowlistEntry>,
    pub(crate) rules: Vec<StoredMappingRule>,
    pub(crate) remaps: Vec<StoredPendingRemap>,
    pub(crate) apply: Vec<StoredApplyResult>,
}

pub(crate) async fn tables(
    store: &Store,
    tenant: &roster_core::TenantId,
) -> anyhow::Result<Tables> {
    Ok(Tables {
        organizations: read_all!(store, tenant, stored_organizations_after, |l| l.id),
        roles: read_all!(store, tenant, stored_roles_after, |l| l.id),
        default_roles: read_all!(
            store,
            tenant,
            stored_organization_default_roles_after,
            |l| (l.org_id, l.role_id)
        ),
        user_roles: read_all!(store, tenant, stored_user_roles_after, |l| (
            l.user_id, l.role_id
        )),
        group_orgs: read_all!(store, tenant, stored_group_org_mappings_after, |l| (
            l.provider_id,
            l.group_id
        )),
        group_roles: read_all!(store, tenant, stored_group_role_mappings_after, |l| (
            l.provider_id,
            l.group_id,
            l.role_id
        )),
        allowlist: read_all!(store, tenant, stored_role_allowlist_after, |l| (
            l.provider_id,
            l.role_id
        )),
        rules: read_all!(store, tenant, stored_mapping_rules_after, |l| l.id),
        remaps: read_all!(store, tenant, stored_pending_remaps_after, |l| l.user_id),
        apply: read_all!(store, tenant, stored_apply_results_after, |l| (
            l.job_id, l.user_id
        )),
    })
}

async fn seeded_roles(tx: &mut TenantTx) -> anyhow::Result<Vec<StoredRole>> {
    Ok(tx.stored_roles_after(None, 100).await?)
}

async fn organizations_roles_and_mappings_round_trip_exactly_page_by_page(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    let builtin = seeded_roles(&mut tx).await?;
    tx.delete_all_data().await?;

    // The top-level organization renamed and changed, a child and a grandchild whose id
    // sorts first.
    let (child, grandchild) = (Uuid::now_v7(), Uuid::from_u128(7));
    let mut organizations = vec![
        organization(TOP_LEVEL_ORGANIZATION, None, "Acme", 1),
        organization(child, Some(TOP_LEVEL_ORGANIZATION), "Sales", 2),
        organization(grandchild, Some(child), "Sales EU", 3),
    ];
    tx.insert_stored_organizations(&organizations).await?;
    // A builtin role as an admin changed it, and a role of the tenant's own.
    let custom = Uuid::now_v7();
    let mut roles = builtin.clone();
    roles[2] = role(BUILTIN_ROLES[2], true, "Desktop Users");
    let new_roles = [roles[2].clone(), role(custom, false, "Auditor")];
    roles.push(new_roles[1].clone());
    tx.insert_stored_roles(&new_roles).await?;
    let mut default_roles = vec![
        StoredOrganizationDefaultRole {
            org_id: TOP_LEVEL_ORGANIZATION,
            role_id: BUILTIN_ROLES[3],
        },
        StoredOrganizationDefaultRole {
            org_id: child,
            role_id: custom,
        },
    ];
    tx.insert_stored_organization_default_roles(&default_roles)
        .await?;
    let mut users = vec![stored_user(provider, 1), stored_user(provider, 2)];
    users[0].placement = StoredPlacement {
        org_id: grandchild,
        org_set_by: "admin".to_owned(),
        org_reason: Some("moved by an admin".to_owned()),
        profile: Some("Field".to_owned()),
        storage_region: Some("eu-west".to_owned()),
        quota_bytes: Some(5 << 30),
    };
    tx.insert_stored_users(&users).await?;
    let mut user_roles = vec![
        StoredUserRole {
            user_id: users[0].id,
            role_id: custom,
            granted_by: "mapping".to_owned(),
            reason: Some("group Auditors".to_owned()),
        },
        StoredUserRole {
            user_id: users[0].id,
            role_id: BUILTIN_ROLES[0],
            granted_by: "admin".to_owned(),
            reason: None,
        },
        StoredUserRole {
            user_id: users[1].id,
            role_id: BUILTIN_ROLES[4],
            granted_by: "mapping".to_owned(),
            reason: None,
        },
    ];
    tx.insert_stored_user_roles(&user_roles).await?;
    let groups = [
        stored_group(provider, "Sales"),
        stored_group(provider, "Auditors"),
    ];
    tx.insert_stored_groups(&groups).await?;
    let mut group_orgs = vec![
        StoredGroupOrgMapping {
            provider_id: provider,
            group_id: groups[0].id,
            org_id: child,
            priority: 1,
        },
        StoredGroupOrgMapping {
            provider_id: provider,
            group_id: groups[1].id,
            org_id: grandchild,
            priority: 2,
        },
    ];
    tx.insert_stored_group_org_mappings(&group_orgs).await?;
    let mut group_roles: Vec<StoredGroupRoleMapping> = [custom, BUILTIN_ROLES[1], BUILTIN_ROLES[2]]
        .into_iter()
        .map(|role_id| StoredGroupRoleMapping {
            provider_id: provider,
            group_id: groups[1].id,
            role_id,
        })
        .collect();
    tx.insert_stored_group_role_mappings(&group_roles).await?;
    let mut allowlist: Vec<StoredRoleAllowlistEntry> = [custom, BUILTIN_ROLES[2], BUILTIN_ROLES[4]]
        .into_iter()
        .map(|role_id| StoredRoleAllowlistEntry {
            provider_id: provider,
            role_id,
        })
        .collect();
    tx.insert_stored_role_allowlist(&allowlist).await?;
    let mut rules = vec![
        rule(provider, child, 2),
        rule(provider, grandchild, 0),
        rule(provider, TOP_LEVEL_ORGANIZATION, 1),
    ];
    tx.insert_stored_mapping_rules(&rules).await?;
    let mut remaps = vec![
        StoredPendingRemap {
            user_id: users[1].id,
            provider_id: provider,
            queued_at: at(1767227000, 5),
        },
        StoredPendingRemap {
            user_id: UserId::generate(),
            provider_id: provider,
            queued_at: at(1767227001, 6),
        },
    ];
    tx.insert_stored_pending_remaps(&remaps).await?;
    let job = Uuid::now_v7();
    let mut apply = vec![
        StoredApplyResult {
            job_id: job,
            user_id: users[0].id,
            user_name: users[0].user_name.clone(),
            from_org_id: Some(TOP_LEVEL_ORGANIZATION),
            to_org_id: Some(grandchild),
            to_org_name: Some("Grandchild".to_owned()),
            roles_added: serde_json::json!(["Custom role"]),
            roles_removed: serde_json::json!([]),
            unmatched: false,
        },
        StoredApplyResult {
            job_id: job,
            user_id: users[1].id,
            user_name: users[1].user_name.clone(),
            from_org_id: None,
            to_org_id: None,
            to_org_name: None,
            roles_added: serde_json::json!([]),
            roles_removed: serde_json::json!(["Agent User"]),
            unmatched: true,
        },
    ];
    tx.insert_stored_apply_results(&apply).await?;
    let digest = StoredDigestSettings {
        frequency: "errors".to_owned(),
        covered_until: Some(at(1767228000, 7)),
        updated_at: at(1767228001, 8),
    };
    tx.set_stored_digest_settings(&digest).await?;
    tx.commit().await?;

    organizations.sort_by_key(|o| o.id);
    roles.sort_by_key(|r| r.id);
    default_roles.sort_by_key(|d| (d.org_id, d.role_id));
    user_roles.sort_by_key(|r| (r.user_id, r.role_id));
    group_orgs.sort_by_key(|m| (m.provider_id, m.group_id));
    group_roles.sort_by_key(|m| (m.provider_id, m.group_id, m.role_id));
    allowlist.sort_by_key(|e| (e.provider_id, e.role_id));
    rules.sort_by_key(|r| r.id);
    remaps.sort_by_key(|r| r.user_id);
    apply.sort_by_key(|r| (r.job_id, r.user_id));
    let expected = Tables {
        organizations,
        roles,
        default_roles,
        user_roles,
        group_orgs,
        group_roles,
        allowlist,
        rules,
        remaps,
        apply,
    };
    assert_eq!(tables(store, &tenant).await?, expected);
    users.sort_by_key(|u| u.id);
    let mut read = all_users(store, &tenant).await?;
    for user in &mut read {
        user.emails.sort();
    }
    assert_eq!(read, users, "placements");
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.stored_digest_settings().await?, digest);

    // Keys and references hold: a missing parent, a second root, a taken name, a user role
    // of a missing user.
    let orphan = organization(Uuid::now_v7(), Some(Uuid::now_v7()), "Orphan", 4);
    assert_not_found(tx.insert_stored_organizations(&[orphan]).await);
    drop(tx);
    let mut tx = store.begin(&tenant).await?;
    let root = organization(Uuid::now_v7(), None, "Second root", 5);
    assert_conflict(tx.insert_stored_organizations(&[root]).await);
    drop(tx);
    let mut tx = store.begin(&tenant).await?;
    assert_conflict(
        tx.insert_stored_roles(&[role(Uuid::now_v7(), false, "Auditor")])
            .await,
    );
    drop(tx);
    let mut tx = store.begin(&tenant).await?;
    let stray = StoredUserRole {
        user_id: UserId::generate(),
        role_id: custom,
        granted_by: "admin".to_owned(),
        reason: None,
    };
    assert_not_found(tx.insert_stored_user_roles(&[stray]).await);
    Ok(())
}
