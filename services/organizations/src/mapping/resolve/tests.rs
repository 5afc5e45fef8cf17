use roster_core::{GroupId, OrganizationId, RoleId, RuleId};
use roster_store::{
    GroupOrgMapping, GroupRoleMapping, MappingMethods, MappingRule, OrgMethod,
    OrganizationSettings, RoleMethod,
};
use serde_json::json;
use time::OffsetDateTime;

use super::*;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn config(org_method: OrgMethod, role_method: RoleMethod) -> MappingConfig {
    MappingConfig {
        methods: MappingMethods {
            org_method,
            org_target_id: OrganizationId::TOP_LEVEL,
            org_parent_id: OrganizationId::TOP_LEVEL,
            role_method,
        },
        group_orgs: Vec::new(),
        group_roles: Vec::new(),
        allowlist: BTreeSet::new(),
        rules: Vec::new(),
        role_names: BTreeMap::new(),
    }
}

fn rule(name: &str, attribute: Option<&str>, values: &[&str], org: OrganizationId) -> MappingRule {
    MappingRule {
        id: RuleId::generate(),
        name: name.to_owned(),
        attribute: attribute.map(str::to_owned),
        values: values.iter().map(|v| (*v).to_owned()).collect(),
        org_id: org,
        settings: OrganizationSettings {
            profile: Some(format!("{name} profile")),
            storage_region: Some("eu".to_owned()),
            quota_bytes: Some(5),
        },
        position: 0,
        created_at: OffsetDateTime::UNIX_EPOCH,
    }
}

#[test]
fn org_names_are_three_to_two_hundred_twenty_characters() {
    assert!(check_org_name("ab").is_err());
    assert_eq!(check_org_name("  abc  ").as_deref(), Ok("abc"));
    assert!(
        check_org_name(&"é".repeat(220)).is_ok(),
        "characters, not bytes"
    );
    assert!(check_org_name(&"x".repeat(221)).is_err());
    assert!(check_org_name("bad\u{7}name").is_err());
}

#[test]
fn attribute_method_uses_c42_org_name_and_falls_back() {
    let cfg = config(OrgMethod::Attribute, RoleMethod::Manual);
    let with =
        json!({"urn:ietf:params:scim:schemas:extension:c42:2.0:User": {"c42OrgName": " Sales "}});
    assert_eq!(
        choose_org(&cfg, &with, &[]).target,
        OrgTarget::Named("Sales".to_owned())
    );
    let without = json!({"userName": "a@x"});
    let choice = choose_org(&cfg, &without, &[]);
    assert_eq!(choice.target, OrgTarget::Id(OrganizationId::TOP_LEVEL));
    assert!(choice.sync_error.is_none());
    let invalid =
        json!({"urn:ietf:params:scim:schemas:extension:c42:2.0:User": {"c42OrgName": "ab"}});
    let choice = choose_org(&cfg, &invalid, &[]);
    assert_eq!(choice.target, OrgTarget::Id(OrganizationId::TOP_LEVEL));
    assert!(choice.sync_error.is_some_and(|e| e.contains("\"ab\"")));
}

#[test]
fn group_method_takes_the_highest_priority_mapped_group() {
    let (exec, uk, other) = (
        GroupId::generate(),
        GroupId::generate(),
        GroupId::generate(),
    );
    let (exec_org, uk_org) = (OrganizationId::generate(), OrganizationId::generate());
    let mut cfg = config(OrgMethod::Groups, RoleMethod::Manual);
    cfg.group_orgs = vec![
        GroupOrgMapping {
            group_id: exec,
            group_name: "Exec".into(),
            org_id: exec_org,
            priority: 1,
        },
        GroupOrgMapping {
            group_id: uk,
            group_name: "UK".into(),
            org_id: uk_org,
            priority: 2,
        },
    ];
    let both = [(uk, "UK".to_owned()), (exec, "Exec".to_owned())];
    let choice = choose_org(&cfg, &json!({}), &both);
    assert_eq!(choice.target, OrgTarget::Id(exec_org));
    assert_eq!(choice.reason, "group \"Exec\" (priority 1)");
    assert_eq!(
        choose_org(&cfg, &json!({}), &[(uk, "UK".to_owned())]).target,
        OrgTarget::Id(uk_org)
    );
    assert_eq!(
        choose_org(&cfg, &json!({}), &[(other, "Other".to_owned())]).target,
        OrgTarget::Id(OrganizationId::TOP_LEVEL)
    );
    assert!(group_is_mapped(&cfg, exec));
    assert!(!group_is_mapped(&cfg, other));
}

#[test]
fn rules_match_case_sensitively_any_value_and_in_priority_order() {
    let (eng, exec, all) = (
        OrganizationId::generate(),
        OrganizationId::generate(),
        OrganizationId::generate(),
    );
    let mut cfg = config(OrgMethod::Rules, RoleMethod::Manual);
    let dept = format!("{ENTERPRISE}:department");
    cfg.rules = vec![
        rule("Engineering", Some(&dept), &["Engineering", "R&D"], eng),
        rule("Executives", Some("title"), &["VP", "CEO"], exec),
    ];
    let user = |dept: &str, title: &str| json!({"title": title, ENTERPRISE: {"department": dept}});
    assert_eq!(
        choose_org(&cfg, &user("R&D", "CEO"), &[]).target,
        OrgTarget::Id(eng)
    );
    assert_eq!(
        choose_org(&cfg, &user("Sales", "CEO"), &[]).target,
        OrgTarget::Id(exec)
    );
    assert_eq!(
        choose_org(&cfg, &user("engineering", "ceo"), &[]).target,
        OrgTarget::Unmatched,
        "case-sensitive"
    );
    let emails = json!({"emails": [{"value": "a@x.com"}, {"value": "b@corp.com"}]});
    let by_email = rule("Corp", Some("emails.value"), &["b@corp.com"], exec);
    assert!(
        rule_matches(&by_email, &emails),
        "any value of a multi-valued attribute"
    );
    cfg.rules.push(rule("Everyone", None, &[], all));
    let choice = choose_org(&cfg, &user("Sales", "Clerk"), &[]);
    assert_eq!(choice.target, OrgTarget::Id(all));
    assert_eq!(choice.settings.profile.as_deref(), Some("Everyone profile"));
    assert!(mapped_attribute_changed(
        &cfg,
        &user("Sales", "VP"),
        &user("R&D", "VP")
    ));
    assert!(!mapped_attribute_changed(
        &cfg,
        &user("Sales", "Clerk"),
        &user("Ops", "Clerk")
    ));
}

#[test]
fn rule_attributes_must_name_declared_user_attributes() {
    assert!(
        check_rule_attribute("department").is_err(),
        "core User has no department"
    );
    assert!(check_rule_attribute(&format!("{ENTERPRISE}:department")).is_ok());
    assert!(check_rule_attribute("name.givenName").is_ok());
    assert!(check_rule_attribute("emails.value").is_ok());
    assert!(
        check_rule_attribute("name").is_err(),
        "complex without a sub-attribute"
    );
    assert!(check_rule_attribute("urn:example:nope:department").is_err());
    assert!(check_rule_attribute("title eq").is_err());
    assert!(
        check_rule_attribute("active").is_err(),
        "booleans never equal text"
    );
    assert!(check_rule_attribute("emails.primary").is_err());
    assert_eq!(split_rule_values(" a, b,,a ,B"), vec!["a", "b", "B"]);
}

#[test]
fn group_roles_are_the_union_over_mapped_groups() {
    let (admins, devs) = (GroupId::generate(), GroupId::generate());
    let mut cfg = config(OrgMethod::Single, RoleMethod::Groups);
    cfg.group_roles = vec![
        GroupRoleMapping {
            group_id: admins,
            group_name: "Admins".into(),
            role_id: RoleId::CUSTOMER_CLOUD_ADMIN,
        },
        GroupRoleMapping {
            group_id: admins,
            group_name: "Admins".into(),
            role_id: RoleId::DESKTOP_USER,
        },
        GroupRoleMapping {
            group_id: devs,
            group_name: "Devs".into(),
            role_id: RoleId::DESKTOP_USER,
        },
    ];
    let grants = group_roles(&cfg, &[(admins, "Admins".into()), (devs, "Devs".into())]);
    let roles: Vec<RoleId> = grants.iter().map(|g| g.role).collect();
    assert_eq!(
        roles,
        vec![RoleId::CUSTOMER_CLOUD_ADMIN, RoleId::DESKTOP_USER]
    );
    assert_eq!(grants[1].reason, "group \"Admins\", group \"Devs\"");
    assert!(group_roles(&cfg, &[]).is_empty());
    cfg.methods.role_method = RoleMethod::Manual;
    assert!(group_roles(&cfg, &[(admins, "Admins".into())]).is_empty());
}
