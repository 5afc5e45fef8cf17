//! The `--json` shapes of `roster mapping` and `roster apply`: one object each, ids
//! and names of what a mapping refers to, snake_case keys.

use roster_proto::mapping::v1 as pb;
use serde_json::{Value, json};

use super::super::rfc3339;

fn reference(r: &Option<pb::Ref>) -> Value {
    match r {
        Some(r) => {
            json!({"id": if r.id.is_empty() { Value::Null } else { json!(r.id) }, "name": r.name})
        }
        None => Value::Null,
    }
}

fn org_method_name(value: i32) -> &'static str {
    match pb::OrgMethod::try_from(value) {
        Ok(pb::OrgMethod::Single) => "single",
        Ok(pb::OrgMethod::Attribute) => "attribute",
        Ok(pb::OrgMethod::Groups) => "groups",
        Ok(pb::OrgMethod::Rules) => "rules",
        _ => "none",
    }
}

fn role_method_name(value: i32) -> &'static str {
    match pb::RoleMethod::try_from(value) {
        Ok(pb::RoleMethod::Manual) => "manual",
        Ok(pb::RoleMethod::Groups) => "groups",
        _ => "none",
    }
}

pub(super) fn mapping_json(m: &pb::Mapping) -> Value {
    json!({
        "provider": m.provider,
        "org_method": org_method_name(m.org_method),
        "target_organization": reference(&m.target_organization),
        "parent_organization": reference(&m.parent_organization),
        "role_method": role_method_name(m.role_method),
        "group_organizations": m.group_organizations.iter().map(|g| json!({
            "group": reference(&g.group), "organization": reference(&g.organization), "priority": g.priority,
        })).collect::<Vec<_>>(),
        "group_roles": m.group_roles.iter().map(|g| json!({
            "group": reference(&g.group),
            "roles": g.roles.iter().map(|r| reference(&Some(r.clone()))).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "role_allowlist": m.role_allowlist.iter().map(|r| reference(&Some(r.clone()))).collect::<Vec<_>>(),
        "rules": m.rules.iter().map(|r| json!({
            "id": r.id, "name": r.name, "priority": r.priority,
            "attribute": if r.attribute.is_empty() { Value::Null } else { json!(r.attribute) },
            "all_users": r.attribute.is_empty(), "values": r.values,
            "organization": reference(&r.organization),
            "profile": r.profile, "storage_region": r.storage_region, "quota_bytes": r.quota_bytes,
            "created_at": rfc3339(&r.created_at),
        })).collect::<Vec<_>>(),
    })
}

pub(super) fn explanation_json(e: &pb::Explanation) -> Value {
    json!({
        "user": reference(&e.user),
        "provider": if e.provider.is_empty() { Value::Null } else { json!(e.provider) },
        "org_method": org_method_name(e.org_method),
        "role_method": role_method_name(e.role_method),
        "organization": reference(&e.organization),
        "organization_set_by": e.organization_set_by,
        "organization_reason": e.organization_reason,
        "mapped_organization": reference(&e.mapped_organization),
        "mapped_reason": e.mapped_reason,
        "unmatched": e.unmatched,
        "groups": e.groups.iter().map(|g| reference(&Some(g.clone()))).collect::<Vec<_>>(),
        "roles": e.roles.iter().map(|r| json!({
            "role": reference(&r.role), "held": r.held,
            "granted_by": if r.granted_by.is_empty() { Value::Null } else { json!(r.granted_by) },
            "reason": r.reason, "mapped": r.mapped, "mapped_reason": r.mapped_reason,
            "blocked_by_allowlist": r.blocked_by_allowlist,
        })).collect::<Vec<_>>(),
        "profile": e.profile, "storage_region": e.storage_region, "quota_bytes": e.quota_bytes,
    })
}

pub(super) fn run_json(r: &pb::ApplyRun) -> Value {
    json!({
        "run": r.run, "provider": r.provider, "dry_run": r.dry_run, "state": r.state,
        "processed": r.processed, "total": r.total, "moved": r.moved,
        "roles_changed": r.roles_changed, "unmatched": r.unmatched,
        "last_error": if r.last_error.is_empty() { Value::Null } else { json!(r.last_error) },
        "started_by": r.started_by, "created_at": rfc3339(&r.created_at),
        "finished_at": rfc3339(&r.finished_at), "results_total": r.results_total,
        "results": r.results.iter().map(|c| json!({
            "user": reference(&c.user), "from_organization": reference(&c.from_organization),
            "to_organization": reference(&c.to_organization), "roles_added": c.roles_added,
            "roles_removed": c.roles_removed, "unmatched": c.unmatched,
        })).collect::<Vec<_>>(),
    })
}
