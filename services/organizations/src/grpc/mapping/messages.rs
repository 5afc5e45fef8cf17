//! Domain → `roster.mapping.v1` messages: mappings, explanations and apply runs.

use roster_core::{OrganizationId, RoleId};
use roster_proto::mapping::v1 as pb;
use roster_runtime::grpc::timestamp;
use roster_store::{GrantedBy, OrgMethod, RoleMethod};

use crate::mapping::apply::ApplyRun;
use crate::mapping::config::MappingView;
use crate::mapping::explain::Explanation;

pub(super) fn org_method_message(method: OrgMethod) -> pb::OrgMethod {
    match method {
        OrgMethod::Single => pb::OrgMethod::Single,
        OrgMethod::Attribute => pb::OrgMethod::Attribute,
        OrgMethod::Groups => pb::OrgMethod::Groups,
        OrgMethod::Rules => pb::OrgMethod::Rules,
    }
}

pub(super) fn role_method_message(method: RoleMethod) -> pb::RoleMethod {
    match method {
        RoleMethod::Manual => pb::RoleMethod::Manual,
        RoleMethod::Groups => pb::RoleMethod::Groups,
    }
}

fn reference(id: impl ToString, name: impl Into<String>) -> Option<pb::Ref> {
    Some(pb::Ref {
        id: id.to_string(),
        name: name.into(),
    })
}

pub(super) fn mapping_message(view: MappingView) -> pb::Mapping {
    let org =
        |id: OrganizationId| reference(id, view.org_names.get(&id).cloned().unwrap_or_default());
    let role = |id: RoleId| {
        reference(
            id,
            view.config.role_names.get(&id).cloned().unwrap_or_default(),
        )
        .unwrap_or_default()
    };
    let config = &view.config;
    let mut group_roles: Vec<pb::GroupRoles> = Vec::new();
    for m in &config.group_roles {
        let id = m.group_id.to_string();
        match group_roles
            .iter_mut()
            .find(|g| g.group.as_ref().is_some_and(|r| r.id == id))
        {
            Some(entry) => entry.roles.push(role(m.role_id)),
            None => group_roles.push(pb::GroupRoles {
                group: reference(&id, m.group_name.clone()),
                roles: vec![role(m.role_id)],
            }),
        }
    }
    pb::Mapping {
        provider: view.provider.to_string(),
        org_method: org_method_message(config.methods.org_method) as i32,
        target_organization: org(config.methods.org_target_id),
        parent_organization: org(config.methods.org_parent_id),
        role_method: role_method_message(config.methods.role_method) as i32,
        group_organizations: config
            .group_orgs
            .iter()
            .map(|m| pb::GroupOrgMapping {
                group: reference(m.group_id, m.group_name.clone()),
                organization: org(m.org_id),
                priority: m.priority,
            })
            .collect(),
        group_roles,
        role_allowlist: config.allowlist.iter().map(|id| role(*id)).collect(),
        rules: config
            .rules
            .iter()
            .zip(1_i64..)
            .map(|(r, priority)| pb::Rule {
                id: r.id.to_string(),
                name: r.name.clone(),
                attribute: r.attribute.clone().unwrap_or_default(),
                values: r.values.clone(),
                organization: org(r.org_id),
                profile: r.settings.profile.clone().unwrap_or_default(),
                storage_region: r.settings.storage_region.clone().unwrap_or_default(),
                quota_bytes: r.settings.quota_bytes,
                priority,
                created_at: Some(timestamp(r.created_at)),
            })
            .collect(),
    }
}

fn granted_by(by: GrantedBy) -> String {
    by.as_str().to_owned()
}

pub(super) fn explanation_message(e: Explanation) -> pb::Explanation {
    let (org_method, role_method) = e.methods.map_or((0, 0), |(o, r)| {
        (org_method_message(o) as i32, role_method_message(r) as i32)
    });
    let (mapped_organization, mapped_reason) = match e.mapped_organization {
        Some((id, name, reason)) => (
            reference(id.map(|i| i.to_string()).unwrap_or_default(), name),
            reason,
        ),
        None => (None, String::new()),
    };
    pb::Explanation {
        user: reference(e.user.0, e.user.1),
        provider: e.provider.map(|p| p.to_string()).unwrap_or_default(),
        org_method,
        role_method,
        organization: reference(e.organization.0, e.organization.1),
        organization_set_by: granted_by(e.organization_set_by),
        organization_reason: e.organization_reason.unwrap_or_default(),
        mapped_organization,
        mapped_reason,
        unmatched: e.unmatched,
        groups: e
            .groups
            .into_iter()
            .filter_map(|(id, name)| reference(id, name))
            .collect(),
        roles: e
            .roles
            .into_iter()
            .map(|r| pb::RoleExplanation {
                role: reference(r.role.0, r.role.1),
                held: r.granted_by.is_some(),
                granted_by: r.granted_by.map(granted_by).unwrap_or_default(),
                reason: r.reason.unwrap_or_default(),
                mapped: r.mapped_reason.is_some(),
                mapped_reason: r.mapped_reason.unwrap_or_default(),
                blocked_by_allowlist: r.blocked_by_allowlist,
            })
            .collect(),
        profile: e.settings.profile.unwrap_or_default(),
        storage_region: e.settings.storage_region.unwrap_or_default(),
        quota_bytes: e.settings.quota_bytes,
    }
}

pub(super) fn run_message(run: ApplyRun) -> pb::ApplyRun {
    let p = run.progress;
    pb::ApplyRun {
        run: run.job.id.to_string(),
        provider: p.provider,
        dry_run: p.dry_run,
        state: run.job.state.as_str().to_owned(),
        processed: p.processed,
        total: p.total.unwrap_or_default(),
        moved: p.moved,
        roles_changed: p.roles_changed,
        unmatched: p.unmatched,
        last_error: run.job.last_error.unwrap_or_default(),
        started_by: run.job.created_by,
        created_at: Some(timestamp(run.job.created_at)),
        finished_at: run.job.finished_at.map(timestamp),
        results_total: run.results_total,
        results: run
            .results
            .into_iter()
            .map(|r| pb::ApplyChange {
                user: reference(r.user_id, r.user_name),
                from_organization: r.from_org_id.and_then(|id| reference(id, "")),
                to_organization: r.to_org_name.map(|name| pb::Ref {
                    id: r.to_org_id.map(|id| id.to_string()).unwrap_or_default(),
                    name,
                }),
                roles_added: r.roles_added,
                roles_removed: r.roles_removed,
                unmatched: r.unmatched,
            })
            .collect(),
    }
}
