//! Each provider's mapping configuration: the methods and role allowlist its settings row
//! starts with, group → organization mappings in priority order, group → role mappings,
//! what deleting a group takes with it, and attribute-filter rules in priority order.

use roster_core::{GroupId, OrganizationId, ProviderId, RoleId, RuleId};
use roster_store::{
    GroupOrgMapping, GroupRoleMapping, MappingMethods, MappingRule, OrgMethod,
    OrganizationSettings, RoleMethod, Store, TenantTx,
};
use sqlx::types::time::OffsetDateTime;

use crate::harness::{active_tenant, assert_not_found, assert_recent, new_group};
use crate::organizations::insert_org;

conformance!(
    provider_settings_start_with_the_default_methods_and_allowlist,
    mapping_methods_round_trip,
    group_org_mappings_take_priorities_in_the_given_order,
    group_role_mappings_are_replaced_per_group,
    deleting_a_group_deletes_its_mappings,
    rules_append_update_reorder_and_delete,
    rule_values_round_trip_exactly,
);

const DEFAULTS: MappingMethods = MappingMethods {
    org_method: OrgMethod::Single,
    org_target_id: OrganizationId::TOP_LEVEL,
    org_parent_id: OrganizationId::TOP_LEVEL,
    role_method: RoleMethod::Manual,
};

/// Inserts groups of `provider` with the given displayNames, in order.
async fn insert_groups(
    tx: &mut TenantTx,
    provider: ProviderId,
    names: &[&str],
) -> anyhow::Result<Vec<GroupId>> {
    let mut ids = Vec::with_capacity(names.len());
    for name in names {
        let id = GroupId::generate();
        tx.insert_group(provider, id, &new_group(name)).await?;
        ids.push(id);
    }
    Ok(ids)
}

fn org_mapping(group: GroupId, name: &str, org: OrganizationId, priority: i64) -> GroupOrgMapping {
    GroupOrgMapping {
        group_id: group,
        group_name: name.to_owned(),
        org_id: org,
        priority,
    }
}

fn role_mapping(group: GroupId, name: &str, role: RoleId) -> GroupRoleMapping {
    GroupRoleMapping {
        group_id: group,
        group_name: name.to_owned(),
        role_id: role,
    }
}

/// Returns a rule to insert; the store decides its position and creation time.
fn new_rule(
    name: &str,
    attribute: Option<&str>,
    values: &[&str],
    org: OrganizationId,
) -> MappingRule {
    MappingRule {
        id: RuleId::generate(),
        name: name.to_owned(),
        attribute: attribute.map(str::to_owned),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        org_id: org,
        settings: OrganizationSettings {
            profile: Some(format!("{name} profile")),
            storage_region: None,
            quota_bytes: Some(1 << 30),
        },
        position: 0,
        created_at: OffsetDateTime::UNIX_EPOCH,
    }
}

/// Returns the ids and positions of the provider's rules, in priority order.
async fn rule_order(tx: &mut TenantTx, provider: ProviderId) -> anyhow::Result<Vec<(RuleId, i64)>> {
    Ok(tx
        .mapping_rules(provider)
        .await?
        .into_iter()
        .map(|r| (r.id, r.position))
        .collect())
}

async fn provider_settings_start_with_the_default_methods_and_allowlist(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let (provider, other) = (ProviderId::generate(), ProviderId::generate());
    let mut tx = store.begin(&tenant).await?;
    assert_not_found(tx.mapping_methods(provider).await);
    assert!(tx.role_allowlist(provider).await?.is_empty());
    tx.ensure_provider_settings(provider, "okta").await?;
    assert_eq!(tx.mapping_methods(provider).await?, DEFAULTS);
    assert_eq!(
        tx.role_allowlist(provider).await?,
        RoleId::DEFAULT_ALLOWLIST
    );
    tx.commit().await?;

    // An admin's allowlist survives the settings row being ensured again, even when empty.
    for allowlist in [
        vec![
            RoleId::PROE_USER,
            RoleId::CUSTOMER_CLOUD_ADMIN,
            RoleId::PROE_USER,
        ],
        Vec::new(),
    ] {
        let mut tx = store.begin(&tenant).await?;
        tx.set_role_allowlist(provider, &allowlist).await?;
        tx.commit().await?;
        let mut expected = allowlist.clone();
        expected.sort();
        expected.dedup();
        let mut tx = store.begin(&tenant).await?;
        assert_eq!(
            tx.role_allowlist(provider).await?,
            expected,
            "by role id, each once"
        );
        tx.ensure_provider_settings(provider, "okta").await?;
        tx.commit().await?;
        let mut tx = store.begin(&tenant).await?;
        assert_eq!(
            tx.role_allowlist(provider).await?,
            expected,
            "not re-created"
        );
        assert_eq!(tx.mapping_methods(provider).await?, DEFAULTS);
    }

    // Another provider gets its own defaults and leaves the first's alone.
    let mut tx = store.begin(&tenant).await?;
    tx.ensure_provider_settings(other, "entra").await?;
    assert_eq!(tx.role_allowlist(other).await?, RoleId::DEFAULT_ALLOWLIST);
    assert!(tx.role_allowlist(provider).await?.is_empty());
    Ok(())
}

async fn mapping_methods_round_trip(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let sales = insert_org(store, &tenant, "Sales", OrganizationId::TOP_LEVEL).await?;
    let imported = insert_org(store, &tenant, "Imported", OrganizationId::TOP_LEVEL).await?;
    let (provider, other) = (ProviderId::generate(), ProviderId::generate());
    let mut tx = store.begin(&tenant).await?;
    tx.ensure_provider_settings(provider, "okta").await?;
    tx.ensure_provider_settings(other, "entra").await?;
    tx.commit().await?;

    for methods in [
        MappingMethods {
            org_method: OrgMethod::Groups,
            org_target_id: sales,
            org_parent_id: imported,
            role_method: RoleMethod::Groups,
        },
        MappingMethods {
            org_method: OrgMethod::Attribute,
            org_target_id: OrganizationId::TOP_LEVEL,
            org_parent_id: imported,
            role_method: RoleMethod::Manual,
        },
        MappingMethods {
            org_method: OrgMethod::Rules,
            org_target_id: sales,
            org_parent_id: OrganizationId::TOP_LEVEL,
            role_method: RoleMethod::Groups,
        },
    ] {
        let mut tx = store.begin(&tenant).await?;
        tx.set_mapping_methods(provider, &methods).await?;
        tx.commit().await?;
        let mut tx = store.begin(&tenant).await?;
        assert_eq!(tx.mapping_methods(provider).await?, methods);
        assert_eq!(
            tx.mapping_methods(other).await?,
            DEFAULTS,
            "only that provider's"
        );
    }
    let mut tx = store.begin(&tenant).await?;
    assert_not_found(
        tx.set_mapping_methods(ProviderId::generate(), &DEFAULTS)
            .await,
    );
    Ok(())
}

async fn group_org_mappings_take_priorities_in_the_given_order(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let execs = insert_org(store, &tenant, "Executives", OrganizationId::TOP_LEVEL).await?;
    let sales = insert_org(store, &tenant, "Sales", OrganizationId::TOP_LEVEL).await?;
    let (provider, other) = (ProviderId::generate(), ProviderId::generate());
    let mut tx = store.begin(&tenant).await?;
    let g = insert_groups(
        &mut tx,
        provider,
        &["Vorstand Zürich", "Sales, EMEA", "Everyone"],
    )
    .await?;
    let theirs = insert_groups(&mut tx, other, &["Staff"]).await?;
    // Given out of name and id order: priorities follow the list.
    tx.replace_group_org_mappings(
        provider,
        &[
            (g[2], OrganizationId::TOP_LEVEL),
            (g[0], execs),
            (g[1], sales),
        ],
    )
    .await?;
    tx.replace_group_org_mappings(other, &[(theirs[0], sales)])
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.group_org_mappings(provider).await?,
        [
            org_mapping(g[2], "Everyone", OrganizationId::TOP_LEVEL, 1),
            org_mapping(g[0], "Vorstand Zürich", execs, 2),
            org_mapping(g[1], "Sales, EMEA", sales, 3),
        ]
    );
    // Replaced: the dropped group's mapping goes, the others renumber.
    tx.replace_group_org_mappings(provider, &[(g[1], execs), (g[0], execs)])
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.group_org_mappings(provider).await?,
        [
            org_mapping(g[1], "Sales, EMEA", execs, 1),
            org_mapping(g[0], "Vorstand Zürich", execs, 2),
        ]
    );
    assert_eq!(
        tx.group_org_mappings(other).await?,
        [org_mapping(theirs[0], "Staff", sales, 1)],
        "another provider's are untouched"
    );
    tx.replace_group_org_mappings(provider, &[]).await?;
    assert!(tx.group_org_mappings(provider).await?.is_empty());
    assert_eq!(tx.group_org_mappings(other).await?.len(), 1);
    Ok(())
}

async fn group_role_mappings_are_replaced_per_group(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    let g = insert_groups(&mut tx, provider, &["Support", "admins"]).await?;
    tx.set_group_roles(
        provider,
        g[0],
        &[RoleId::AGENT_USER, RoleId::DESKTOP_USER, RoleId::AGENT_USER],
    )
    .await?;
    tx.set_group_roles(
        provider,
        g[1],
        &[
            RoleId::IDENTITY_MANAGEMENT_ADMINISTRATOR,
            RoleId::CUSTOMER_CLOUD_ADMIN,
        ],
    )
    .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    // By group name key, then role id.
    assert_eq!(
        tx.group_role_mappings(provider).await?,
        [
            role_mapping(g[1], "admins", RoleId::CUSTOMER_CLOUD_ADMIN),
            role_mapping(g[1], "admins", RoleId::IDENTITY_MANAGEMENT_ADMINISTRATOR),
            role_mapping(g[0], "Support", RoleId::DESKTOP_USER),
            role_mapping(g[0], "Support", RoleId::AGENT_USER),
        ]
    );
    tx.set_group_roles(provider, g[1], &[RoleId::PROE_USER])
        .await?;
    tx.set_group_roles(provider, g[0], &[]).await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.group_role_mappings(provider).await?,
        [role_mapping(g[1], "admins", RoleId::PROE_USER)]
    );
    assert!(
        tx.group_role_mappings(ProviderId::generate())
            .await?
            .is_empty()
    );
    Ok(())
}

async fn deleting_a_group_deletes_its_mappings(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let sales = insert_org(store, &tenant, "Sales", OrganizationId::TOP_LEVEL).await?;
    let provider = ProviderId::generate();
    let mut tx = store.begin(&tenant).await?;
    let g = insert_groups(&mut tx, provider, &["Gone", "Kept"]).await?;
    tx.replace_group_org_mappings(
        provider,
        &[(g[0], sales), (g[1], OrganizationId::TOP_LEVEL)],
    )
    .await?;
    tx.set_group_roles(provider, g[0], &[RoleId::AGENT_USER])
        .await?;
    tx.set_group_roles(provider, g[1], &[RoleId::PROE_USER])
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(tx.delete_group(provider, g[0]).await?);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.group_org_mappings(provider).await?,
        [org_mapping(g[1], "Kept", OrganizationId::TOP_LEVEL, 2)]
    );
    assert_eq!(
        tx.group_role_mappings(provider).await?,
        [role_mapping(g[1], "Kept", RoleId::PROE_USER)]
    );
    // A group with the same id again has no mappings: none were left behind.
    tx.insert_group(provider, g[0], &new_group("Gone")).await?;
    assert_eq!(tx.group_org_mappings(provider).await?.len(), 1);
    assert_eq!(tx.group_role_mappings(provider).await?.len(), 1);
    Ok(())
}

async fn rules_append_update_reorder_and_delete(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let sales = insert_org(store, &tenant, "Sales", OrganizationId::TOP_LEVEL).await?;
    let (provider, other) = (ProviderId::generate(), ProviderId::generate());
    let mut tx = store.begin(&tenant).await?;
    let mut inserted = Vec::new();
    for (name, attribute) in [
        ("First", Some("department")),
        ("Second", None),
        ("Third", Some("title")),
    ] {
        let rule = new_rule(name, attribute, &["Sales"], sales);
        let stored = tx.insert_mapping_rule(provider, &rule).await?;
        assert_eq!(stored.id, rule.id);
        assert_eq!(stored.name, name);
        assert_eq!(stored.attribute, rule.attribute);
        assert_eq!(stored.settings, rule.settings);
        assert_recent(stored.created_at);
        inserted.push(stored);
    }
    let theirs = tx
        .insert_mapping_rule(other, &new_rule("Theirs", None, &[], sales))
        .await?;
    tx.commit().await?;
    let [first, second, third] = [0, 1, 2].map(|i| inserted[i].id);
    assert_eq!(
        inserted.iter().map(|r| r.position).collect::<Vec<_>>(),
        [1, 2, 3],
        "each at the bottom"
    );
    assert_eq!(theirs.position, 1, "positions are per provider");

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.mapping_rules(provider).await?, inserted);

    // Name, organization and settings change; criteria and position do not.
    let mut edited = inserted[0].clone();
    edited.name = "First, renamed".to_owned();
    edited.org_id = OrganizationId::TOP_LEVEL;
    edited.settings = OrganizationSettings {
        profile: None,
        storage_region: Some("ap-south".to_owned()),
        quota_bytes: None,
    };
    let mut attempted = edited.clone();
    attempted.attribute = Some("title".to_owned());
    attempted.values = vec!["Other".to_owned()];
    attempted.position = 9;
    assert!(tx.update_mapping_rule(provider, &attempted).await?);
    assert!(
        !tx.update_mapping_rule(other, &attempted).await?,
        "another provider's rule"
    );
    let ghost = new_rule("Ghost", None, &[], sales);
    assert!(!tx.update_mapping_rule(provider, &ghost).await?);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.mapping_rules(provider).await?[0], edited);

    tx.reorder_mapping_rules(provider, &[third, first, second])
        .await?;
    assert_eq!(
        rule_order(&mut tx, provider).await?,
        [(third, 1), (first, 2), (second, 3)]
    );
    assert!(!tx.delete_mapping_rule(other, first).await?, "not theirs");
    assert!(tx.delete_mapping_rule(provider, first).await?);
    assert!(!tx.delete_mapping_rule(provider, first).await?, "gone");
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let fourth = tx
        .insert_mapping_rule(provider, &new_rule("Fourth", None, &[], sales))
        .await?;
    assert_eq!(
        rule_order(&mut tx, provider).await?,
        [(third, 1), (second, 3), (fourth.id, 4)],
        "a new rule goes below the lowest"
    );
    assert_eq!(tx.mapping_rules(other).await?, [theirs]);
    Ok(())
}

async fn rule_values_round_trip_exactly(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let provider = ProviderId::generate();
    let values = [
        "Sales, EMEA",
        "Vertrieb – Köln",
        "営業部",
        "say \"hi\"",
        "back\\slash",
        " padded ",
        "",
        "sales, emea",
        "👩‍💻",
    ];
    let mut tx = store.begin(&tenant).await?;
    let rule = new_rule(
        "Ünïcode",
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"),
        &values,
        OrganizationId::TOP_LEVEL,
    );
    let inserted = tx.insert_mapping_rule(provider, &rule).await?;
    assert_eq!(inserted.values, values);
    let everyone = tx
        .insert_mapping_rule(
            provider,
            &new_rule("Everyone", None, &[], OrganizationId::TOP_LEVEL),
        )
        .await?;
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let rules = tx.mapping_rules(provider).await?;
    assert_eq!(rules, [inserted, everyone]);
    assert_eq!(rules[0].name, "Ünïcode");
    assert_eq!(
        rules[0].values, values,
        "order, case, commas and spaces kept"
    );
    assert_eq!(rules[1].attribute, None);
    assert!(rules[1].values.is_empty());
    Ok(())
}
