//! `roster.mapping.v1.MappingService`: operator callers only; the tenant named by
//! slug and the provider by id in each message.

use roster_core::{ErrorKind, ProviderId, RuleId, TenantId};
use roster_proto::mapping::v1 as pb;
use roster_runtime::grpc::{
    internal_status, require_operator, status_with_reason, tenant_not_found,
};
use roster_store::{OrgMethod, OrganizationSettings, RoleMethod};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::mapping::config::{MappingView, NewRule, Reorder, RuleEdit};
use crate::{Organizations, OrganizationsError};

mod messages;

use messages::{explanation_message, mapping_message, run_message};

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

fn role_method(value: i32) -> Result<RoleMethod, Status> {
    match pb::RoleMethod::try_from(value) {
        Ok(pb::RoleMethod::Manual) => Ok(RoleMethod::Manual),
        Ok(pb::RoleMethod::Groups) => Ok(RoleMethod::Groups),
        _ => Err(invalid("method", "choose manual or groups")),
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
