//! `roster.mapping.v1.MappingService`: operator callers only; the tenant named by
//! slug and the provider by id in each message.

use roster_core::{ErrorKind, OrganizationId, ProviderId, RoleId, RuleId, TenantId};
use roster_proto::mapping::v1 as pb;
use roster_runtime::grpc::{
    internal_status, require_operator, status_with_reason, tenant_not_found, timestamp,
};
use roster_store::{GrantedBy, OrgMethod, OrganizationSettings, RoleMethod};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::mapping::apply::ApplyRun;
use crate::mapping::config::{MappingView, NewRule, Reorder, RuleEdit};
use crate::mapping::explain::Explanation;
use crate::{Organizations, OrganizationsError};

/// The actor the audit log names for admin API calls.
const OPERATOR: &str = "operator";

/// The page of apply results a request that asks for none gets.
const DEFAULT_RESULTS: i64 = 100;

/// Serves `roster.mapping.v1.MappingService`.
#[derive(Debug, Clone)]
pub struct MappingGrpc {
    service: Organizations,
}

impl MappingGrpc {
    /// Wraps the domain service.
    pub fn new(service: Organizations) -> Self {
        Self { service }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::mapping_service_server::MappingServiceServer<Self> {
        pb::mapping_service_server::MappingServiceServer::new(self)
    }

    async fn tenant<T>(&self, request: &Request<T>, slug: &str) -> Result<TenantId, Status> {
        require_operator(request)?;
        match self.service.store.tenant_by_slug(slug).await {
            Ok(Some(tenant)) => Ok(tenant.id),
            Ok(None) => Err(tenant_not_found(slug)),
            Err(err) => Err(to_status(OrganizationsError::Store(err))),
        }
    }
}

/// Maps an error to a status: the message for client mistakes, a generic one otherwise.
pub(crate) fn to_status(err: OrganizationsError) -> Status {
    match err.kind() {
        ErrorKind::Internal => internal_status(&err),
        ErrorKind::Unavailable => status_with_reason(err.kind(), "database unavailable", None),
        kind => status_with_reason(kind, err.to_string(), None),
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> Status {
    to_status(OrganizationsError::invalid(field, reason))
}

fn provider_id(text: &str) -> Result<ProviderId, Status> {
    ProviderId::parse(text.trim())
        .map_err(|_| invalid("provider", format!("{text:?} is not a provider id")))
}

fn rule_id(text: &str) -> Result<RuleId, Status> {
    RuleId::parse(text.trim()).map_err(|_| invalid("rule", format!("{text:?} is not a rule id")))
}

fn run_id(text: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(text.trim()).map_err(|_| invalid("run", format!("{text:?} is not a run id")))
}

fn reorder(value: i32) -> Result<Reorder, Status> {
    match pb::Move::try_from(value) {
        Ok(pb::Move::Up) => Ok(Reorder::Up),
        Ok(pb::Move::Down) => Ok(Reorder::Down),
        Ok(pb::Move::Top) => Ok(Reorder::Top),
        Ok(pb::Move::Bottom) => Ok(Reorder::Bottom),
        _ => Err(invalid("move", "choose up, down, top or bottom")),
    }
}

fn org_method(value: i32) -> Result<OrgMethod, Status> {
    match pb::OrgMethod::try_from(value) {
        Ok(pb::OrgMethod::Single) => Ok(OrgMethod::Single),
        Ok(pb::OrgMethod::Attribute) => Ok(OrgMethod::Attribute),
        Ok(pb::OrgMethod::Groups) => Ok(OrgMethod::Groups),
        Ok(pb::OrgMethod::Rules) => Ok(OrgMethod::Rules),
        _ => Err(invalid(
            "method",
            "choose single, attribute, groups or rules",
        )),
    }
}

fn org_method_message(method: OrgMethod) -> pb::OrgMethod {
    match method {
        OrgMethod::Single => pb::OrgMethod::Single,
        OrgMethod::Attribute => pb::OrgMethod::Attribute,
        OrgMethod::Groups => pb::OrgMethod::Groups,
        OrgMethod::Rules => pb::OrgMethod::Rules,
    }
}

fn role_method(value: i32) -> Result<RoleMethod, Status> {
    match pb::RoleMethod::try_from(value) {
        Ok(pb::RoleMethod::Manual) => Ok(RoleMethod::Manual),
        Ok(pb::RoleMethod::Groups) => Ok(RoleMethod::Groups),
        _ => Err(invalid("method", "choose manual or groups")),
    }
}

fn role_method_message(method: RoleMethod) -> pb::RoleMethod {
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

fn mapping_message(view: MappingView) -> pb::Mapping {
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

fn explanation_message(e: Explanation) -> pb::Explanation {
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

fn run_message(run: ApplyRun) -> pb::ApplyRun {
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

type Reply<T> = Result<Response<T>, Status>;

fn mapping_reply(result: Result<MappingView, OrganizationsError>) -> Reply<pb::Mapping> {
    result
        .map(|view| Response::new(mapping_message(view)))
        .map_err(to_status)
}

#[tonic::async_trait]
impl pb::mapping_service_server::MappingService for MappingGrpc {
    async fn get_mapping(&self, request: Request<pb::GetMappingRequest>) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let provider = provider_id(&request.get_ref().provider)?;
        mapping_reply(self.service.mapping(tenant, provider).await)
    }

    async fn set_org_method(
        &self,
        request: Request<pb::SetOrgMethodRequest>,
    ) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let method = org_method(req.method)?;
        let result = self
            .service
            .set_org_method(
                tenant,
                provider,
                method,
                &req.target_organization,
                &req.parent_organization,
                OPERATOR,
            )
            .await;
        mapping_reply(result)
    }

    async fn set_role_method(
        &self,
        request: Request<pb::SetRoleMethodRequest>,
    ) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let method = role_method(req.method)?;
        mapping_reply(
            self.service
                .set_role_method(tenant, provider, method, OPERATOR)
                .await,
        )
    }

    async fn add_group_org_mapping(
        &self,
        request: Request<pb::AddGroupOrgMappingRequest>,
    ) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let result = self
            .service
            .add_group_org_mapping(tenant, provider, &req.groups, &req.organization, OPERATOR)
            .await;
        mapping_reply(result)
    }

    async fn remove_group_org_mapping(
        &self,
        request: Request<pb::GroupRequest>,
    ) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let result = self
            .service
            .remove_group_org_mapping(tenant, provider, &req.group, OPERATOR)
            .await;
        mapping_reply(result)
    }

    async fn move_group_org_mapping(
        &self,
        request: Request<pb::MoveGroupRequest>,
    ) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let how = reorder(req.r#move)?;
        let result = self
            .service
            .move_group_org_mapping(tenant, provider, &req.group, how, OPERATOR)
            .await;
        mapping_reply(result)
    }

    async fn set_group_roles(
        &self,
        request: Request<pb::SetGroupRolesRequest>,
    ) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let result = self
            .service
            .set_group_roles(tenant, provider, &req.group, &req.roles, OPERATOR)
            .await;
        mapping_reply(result)
    }

    async fn set_role_allowlist(
        &self,
        request: Request<pb::SetRoleAllowlistRequest>,
    ) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let result = self
            .service
            .set_role_allowlist(tenant, provider, &req.roles, OPERATOR)
            .await;
        mapping_reply(result)
    }

    async fn add_rule(&self, request: Request<pb::AddRuleRequest>) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let new = NewRule {
            name: req.name,
            attribute: req.attribute,
            values: req.values,
            all_users: req.all_users,
            organization: req.organization,
            settings: OrganizationSettings {
                profile: Some(req.profile),
                storage_region: Some(req.storage_region),
                quota_bytes: req.quota_bytes,
            },
        };
        mapping_reply(
            self.service
                .add_rule(tenant, provider, &new, OPERATOR)
                .await,
        )
    }

    async fn update_rule(&self, request: Request<pb::UpdateRuleRequest>) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let rule = rule_id(&req.rule)?;
        let edit = RuleEdit {
            name: req.name,
            organization: req.organization,
            profile: req.profile,
            storage_region: req.storage_region,
            quota_bytes: req.quota_bytes,
            attribute: req.attribute,
            values: req.values,
        };
        mapping_reply(
            self.service
                .update_rule(tenant, provider, rule, &edit, OPERATOR)
                .await,
        )
    }

    async fn remove_rule(&self, request: Request<pb::RuleRequest>) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let rule = rule_id(&req.rule)?;
        mapping_reply(
            self.service
                .remove_rule(tenant, provider, rule, OPERATOR)
                .await,
        )
    }

    async fn move_rule(&self, request: Request<pb::MoveRuleRequest>) -> Reply<pb::Mapping> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let rule = rule_id(&req.rule)?;
        let how = reorder(req.r#move)?;
        mapping_reply(
            self.service
                .move_rule(tenant, provider, rule, how, OPERATOR)
                .await,
        )
    }

    async fn explain(&self, request: Request<pb::ExplainRequest>) -> Reply<pb::Explanation> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let explanation = self
            .service
            .explain(tenant, &request.get_ref().user)
            .await
            .map_err(to_status)?;
        Ok(Response::new(explanation_message(explanation)))
    }

    async fn start_apply(&self, request: Request<pb::StartApplyRequest>) -> Reply<pb::ApplyRun> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider)?;
        let run = self
            .service
            .start_apply(tenant, provider, req.dry_run, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(run_message(run)))
    }

    async fn get_apply(&self, request: Request<pb::GetApplyRequest>) -> Reply<pb::ApplyRun> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let id = run_id(&req.run)?;
        if req.offset < 0 || !(0..=1000).contains(&req.limit) {
            return Err(invalid(
                "limit",
                "limit must be 0 to 1000 and offset at least 0",
            ));
        }
        let limit = if req.limit == 0 {
            DEFAULT_RESULTS
        } else {
            req.limit
        };
        let run = self
            .service
            .apply_run(tenant, id, req.offset, limit)
            .await
            .map_err(to_status)?;
        Ok(Response::new(run_message(run)))
    }

    async fn cancel_apply(&self, request: Request<pb::GetApplyRequest>) -> Reply<pb::ApplyRun> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let id = run_id(&request.get_ref().run)?;
        let run = self
            .service
            .cancel_apply(tenant, id, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(run_message(run)))
    }
}
