//! The mapping rules themselves, as pure functions: given a provider's mapping
//! configuration, a user's SCIM document and its groups, which organization the
//! user belongs in and why, and which roles its groups map to. No I/O: the
//! caller ([`super::place`]) looks organizations up and writes the outcome.

use std::collections::{BTreeMap, BTreeSet};

use roster_core::{GroupId, OrganizationId, RoleId};
use roster_scim::filter::{AttrPath, CompareOp, Filter, matches_with, parse_filter};
use roster_scim::schema::{AttrType, C42_USER_SCHEMA, ResourceKind};
use roster_store::{
    GroupOrgMapping, GroupRoleMapping, MappingMethods, MappingRule, OrgMethod,
    OrganizationSettings, RoleMethod,
};
use serde_json::Value as Json;

use crate::naming::Name;

/// One provider's whole mapping configuration, read once per change or per batch.
#[derive(Debug, Clone)]
pub struct MappingConfig {
    /// The methods and their target organizations.
    pub methods: MappingMethods,
    /// Group → organization, highest priority first.
    pub group_orgs: Vec<GroupOrgMapping>,
    /// Group → roles.
    pub group_roles: Vec<GroupRoleMapping>,
    /// The roles provisioning may grant or revoke.
    pub allowlist: BTreeSet<RoleId>,
    /// Attribute-filter rules, highest priority first.
    pub rules: Vec<MappingRule>,
    /// The name of every role of the tenant, for logs and previews.
    pub role_names: BTreeMap<RoleId, String>,
}

/// Where the mapping puts a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgTarget {
    /// This organization.
    Id(OrganizationId),
    /// The organization with this name, created under the provider's chosen parent when
    /// missing (`c42OrgName`).
    Named(String),
    /// No attribute-filter rule matches: nowhere.
    Unmatched,
}

/// The organization a mapping chose, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgChoice {
    /// Where.
    pub target: OrgTarget,
    /// What decided, in words an admin reads in `explain` and the sync log.
    pub reason: String,
    /// Profile, storage region and quota a rule gives the user (empty otherwise).
    pub settings: OrganizationSettings,
    /// A problem to record as a sync error although the user was placed (an invalid
    /// `c42OrgName`).
    pub sync_error: Option<String>,
}

/// A role a user's groups map to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    /// The role.
    pub role: RoleId,
    /// The groups that grant it, e.g. `group "Admins"`.
    pub reason: String,
}

/// Checks an organization name as [`Name::organization`] does; returns the trimmed name, or
/// what is wrong with it.
pub fn check_org_name(name: &str) -> Result<String, String> {
    Name::organization("c42OrgName", name)
        .map(|name| name.as_str().to_owned())
        .map_err(|err| match err {
            crate::OrganizationsError::InvalidInput { reason, .. } => reason,
            other => other.to_string(),
        })
}

/// Returns the user's `c42OrgName`, if it sent one.
pub fn c42_org_name(doc: &Json) -> Option<&str> {
    doc.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(C42_USER_SCHEMA))
        .and_then(|(_, ext)| ext.as_object())
        .and_then(|ext| {
            ext.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("c42OrgName"))
                .and_then(|(_, v)| v.as_str())
        })
}

/// Parses a rule's attribute path (`department`, `name.givenName`, `emails.value`,
/// `urn:…:enterprise:2.0:User:department`) and checks it names a declared User attribute.
/// Returns the path as the user wrote it, or what is wrong.
pub fn check_rule_attribute(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("the attribute path is empty".to_owned());
    }
    let filter = parse_filter(&format!("{text} pr")).map_err(|_| {
        format!("{text:?} is not a SCIM attribute path (e.g. department, name.givenName, urn:…:User:department)")
    })?;
    let Filter::Present(path) = filter else {
        return Err(format!("{text:?} is not a single attribute path"));
    };
    let schema = match &path.urn {
        None => ResourceKind::User.core_schema(),
        Some(urn) => ResourceKind::User
            .schema_by_urn(urn)
            .ok_or_else(|| format!("{urn:?} is not a schema of User"))?,
    };
    let attr = schema
        .attribute(&path.name)
        .ok_or_else(|| format!("{} has no attribute {:?}", schema.name, path.name))?;
    let leaf = match &path.sub_attr {
        Some(sub) => attr.sub_attribute(sub),
        None => Some(attr),
    };
    if let Some(leaf) = leaf
        && !matches!(leaf.attr_type, AttrType::String | AttrType::Reference)
        && !(leaf.attr_type == AttrType::Complex && path.sub_attr.is_none())
    {
        return Err(format!(
            "{text} is not a text attribute; rules compare text values"
        ));
    }
    match &path.sub_attr {
        Some(sub) if attr.sub_attribute(sub).is_none() => {
            Err(format!("{} has no sub-attribute {sub:?}", attr.name))
        }
        None if !attr.sub_attributes.is_empty() => Err(format!(
            "{} is complex: name one of its sub-attributes, e.g. {}.{}",
            attr.name,
            attr.name,
            attr.sub_attributes.first().map_or("value", |s| s.name)
        )),
        _ => Ok(text.to_owned()),
    }
}

/// Splits a rule's comma-separated values: trimmed, empty ones dropped, duplicates removed,
/// case kept (the match is case-sensitive).
pub fn split_rule_values(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in text.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        if !out.iter().any(|v| v == value) {
            out.push(value.to_owned());
        }
    }
    out
}

fn attr_path(text: &str) -> Option<AttrPath> {
    match parse_filter(&format!("{text} pr")) {
        Ok(Filter::Present(path)) => Some(path),
        _ => None,
    }
}

/// Returns whether a rule matches a user: "all users", or any value of its attribute (any
/// value of a multi-valued one) equal to one of its values, case-sensitively.
pub fn rule_matches(rule: &MappingRule, doc: &Json) -> bool {
    let Some(attribute) = &rule.attribute else {
        return true;
    };
    let Some(path) = attr_path(attribute) else {
        return false;
    };
    rule.values.iter().any(|value| {
        let filter = Filter::Compare {
            path: path.clone(),
            op: CompareOp::Eq,
            value: Json::String(value.clone()),
        };
        matches_with(&filter, doc, &|_| true)
    })
}

fn describe_rule(rule: &MappingRule) -> String {
    match &rule.attribute {
        None => format!("rule {:?} (all users)", rule.name),
        Some(attribute) => format!(
            "rule {:?} ({attribute} in [{}])",
            rule.name,
            rule.values.join(", ")
        ),
    }
}

/// Chooses a user's organization by the provider's method.
pub fn choose_org(config: &MappingConfig, doc: &Json, groups: &[(GroupId, String)]) -> OrgChoice {
    let fallback = config.methods.org_target_id;
    let plain = |target, reason: String| OrgChoice {
        target,
        reason,
        settings: OrganizationSettings::default(),
        sync_error: None,
    };
    match config.methods.org_method {
        OrgMethod::Single => plain(OrgTarget::Id(fallback), "single organization".to_owned()),
        OrgMethod::Attribute => match c42_org_name(doc) {
            None => plain(
                OrgTarget::Id(fallback),
                "no c42OrgName: the provider's organization for unmapped users".to_owned(),
            ),
            Some(name) => match check_org_name(name) {
                Ok(name) => plain(
                    OrgTarget::Named(name.clone()),
                    format!("c42OrgName {name:?}"),
                ),
                Err(why) => OrgChoice {
                    sync_error: Some(format!(
                        "c42OrgName {name:?} is not a valid organization name: {why}; placed in the organization for unmapped users"
                    )),
                    ..plain(
                        OrgTarget::Id(fallback),
                        format!(
                            "invalid c42OrgName {name:?}: the provider's organization for unmapped users"
                        ),
                    )
                },
            },
        },
        OrgMethod::Groups => config
            .group_orgs
            .iter()
            .find(|m| groups.iter().any(|(g, _)| *g == m.group_id))
            .map_or_else(
                || {
                    plain(
                        OrgTarget::Id(fallback),
                        "in no mapped group: the provider's organization for unmapped users"
                            .to_owned(),
                    )
                },
                |m| {
                    plain(
                        OrgTarget::Id(m.org_id),
                        format!("group {:?} (priority {})", m.group_name, m.priority),
                    )
                },
            ),
        OrgMethod::Rules => config
            .rules
            .iter()
            .find(|rule| rule_matches(rule, doc))
            .map_or_else(
                || plain(OrgTarget::Unmatched, "no mapping rule matches".to_owned()),
                |rule| OrgChoice {
                    target: OrgTarget::Id(rule.org_id),
                    reason: describe_rule(rule),
                    settings: rule.settings.clone(),
                    sync_error: None,
                },
            ),
    }
}

/// Returns the roles the user's groups map to (union over its mapped groups), before the
/// allowlist; empty when the role method is manual or no group of the user is mapped.
pub fn group_roles(config: &MappingConfig, groups: &[(GroupId, String)]) -> Vec<RoleGrant> {
    if config.methods.role_method != RoleMethod::Groups {
        return Vec::new();
    }
    let mut grants: Vec<RoleGrant> = Vec::new();
    for mapping in &config.group_roles {
        if !groups.iter().any(|(g, _)| *g == mapping.group_id) {
            continue;
        }
        let source = format!("group {:?}", mapping.group_name);
        match grants.iter_mut().find(|g| g.role == mapping.role_id) {
            Some(grant) => {
                grant.reason.push_str(", ");
                grant.reason.push_str(&source);
            }
            None => grants.push(RoleGrant {
                role: mapping.role_id,
                reason: source,
            }),
        }
    }
    grants.sort_by_key(|g| g.role);
    grants
}

/// Returns whether a change of the user's document touches what the organization mapping
/// reads (`c42OrgName`, or a rule's attribute), so the mapping applies again.
pub fn mapped_attribute_changed(config: &MappingConfig, old: &Json, new: &Json) -> bool {
    match config.methods.org_method {
        OrgMethod::Single | OrgMethod::Groups => false,
        OrgMethod::Attribute => c42_org_name(old) != c42_org_name(new),
        OrgMethod::Rules => config
            .rules
            .iter()
            .any(|rule| rule_matches(rule, old) != rule_matches(rule, new)),
    }
}

/// Returns whether a group takes part in the provider's mapping (its members' organization
/// or roles depend on it).
pub fn group_is_mapped(config: &MappingConfig, group: GroupId) -> bool {
    let org = config.methods.org_method == OrgMethod::Groups
        && config.group_orgs.iter().any(|m| m.group_id == group);
    let roles = config.methods.role_method == RoleMethod::Groups
        && config.group_roles.iter().any(|m| m.group_id == group);
    org || roles
}

#[cfg(test)]
mod tests;
