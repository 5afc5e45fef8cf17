//! The gRPC adapter of `roster.organizations.v1.OrganizationsService`: operator callers only;
//! the tenant is named by slug in each message. Converts messages to domain inputs and domain
//! results to messages; the rules live in the domain modules.

use roster_core::{ErrorKind, TenantId};
use roster_proto::organizations::v1 as pb;
use roster_runtime::grpc::{
    internal_status, require_operator, status_with_reason, tenant_not_found, timestamp,
};
use roster_store::{GrantedBy, OrganizationSettings, RoleRecord};
use tonic::{Request, Response, Status};

use crate::members::UserAccess;
use crate::orgs::{OrganizationLabel, OrganizationView, QuotaChange, SettingsChange};
use crate::tree::TreeEntry;
use crate::{Organizations, OrganizationsError};

/// The actor the audit log names for admin API calls.
const OPERATOR: &str = "operator";

/// Serves `roster.organizations.v1.OrganizationsService`.
#[derive(Clone, Debug)]
pub struct OrganizationsGrpc {
    organizations: Organizations,
}

impl OrganizationsGrpc {
    /// Wraps the domain service.
    pub fn new(organizations: Organizations) -> Self {
        Self { organizations }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::organizations_service_server::OrganizationsServiceServer<Self> {
        pb::organizations_service_server::OrganizationsServiceServer::new(self)
    }

    /// Checks the caller is the operator and resolves the tenant slug.
    async fn tenant<T>(&self, request: &Request<T>, slug: &str) -> Result<TenantId, Status> {
        require_operator(request)?;
        match self.organizations.store.tenant_by_slug(slug).await {
            Ok(Some(tenant)) => Ok(tenant.id),
            Ok(None) => Err(tenant_not_found(slug)),
            Err(err) => Err(to_status(OrganizationsError::Store(err))),
        }
    }
}

/// Maps an error to a status: the message for client mistakes, a generic one otherwise.
fn to_status(err: OrganizationsError) -> Status {
    match err.kind() {
        ErrorKind::Internal => internal_status(&err),
        ErrorKind::Unavailable => status_with_reason(err.kind(), "database unavailable", None),
        kind => status_with_reason(kind, err.to_string(), None),
    }
}

fn organization_ref(label: &OrganizationLabel) -> pb::OrganizationRef {
    pb::OrganizationRef {
        id: label.id.to_string(),
        name: label.name.clone(),
    }
}

fn role_ref(role: &RoleRecord) -> pb::RoleRef {
    pb::RoleRef {
        id: role.id.to_string(),
        name: role.name.clone(),
    }
}

fn settings_message(settings: OrganizationSettings) -> pb::Settings {
    pb::Settings {
        profile: settings.profile,
        storage_region: settings.storage_region,
        quota_bytes: settings.quota_bytes,
    }
}

fn summary_message(entry: TreeEntry) -> pb::OrganizationSummary {
    let org = entry.organization;
    pb::OrganizationSummary {
        id: org.id.to_string(),
        name: org.name,
        parent_id: org.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        depth: i32::try_from(entry.depth).unwrap_or(i32::MAX),
        path: entry.path,
        inherits: org.inherits,
        created_at: Some(timestamp(org.created_at)),
        updated_at: Some(timestamp(org.updated_at)),
    }
}

fn organization_message(view: OrganizationView) -> pb::Organization {
    let settings = view.entry.organization.settings.clone();
    pb::Organization {
        parent: view.parent.as_ref().map(organization_ref),
        settings: Some(settings_message(settings)),
        default_roles: view.default_roles.iter().map(role_ref).collect(),
        effective_from: Some(organization_ref(&view.effective_from)),
        effective_settings: Some(settings_message(view.effective_settings)),
        effective_default_roles: view.effective_default_roles.iter().map(role_ref).collect(),
        user_count: view.user_count,
        children: view.children.iter().map(organization_ref).collect(),
        summary: Some(summary_message(view.entry)),
    }
}

fn role_message(role: RoleRecord) -> pb::Role {
    pb::Role {
        id: role.id.to_string(),
        name: role.name,
        builtin: role.builtin,
        description: role.description,
    }
}

fn granted_by_message(by: GrantedBy) -> pb::GrantedBy {
    match by {
        GrantedBy::Mapping => pb::GrantedBy::Mapping,
        GrantedBy::Admin => pb::GrantedBy::Admin,
    }
}

fn access_message(access: UserAccess) -> pb::UserAccess {
    pb::UserAccess {
        user_id: access.user_id.to_string(),
        user_name: access.user_name,
        organization: Some(organization_ref(&access.organization)),
        placed_by: granted_by_message(access.placed_by) as i32,
        placement_reason: access.placement_reason.unwrap_or_default(),
        effective_settings: Some(settings_message(access.effective_settings)),
        settings_from: Some(organization_ref(&access.settings_from)),
        user_settings: Some(settings_message(access.user_settings)),
        roles: access
            .roles
            .into_iter()
            .map(|grant| pb::UserRoleGrant {
                role: Some(role_ref(&grant.role)),
                granted_by: granted_by_message(grant.granted_by) as i32,
                reason: grant.reason.unwrap_or_default(),
            })
            .collect(),
    }
}

/// Returns the settings change a request asks for.
fn settings_change(req: pb::SetOrganizationSettingsRequest) -> Result<SettingsChange, Status> {
    let quota_bytes = match (req.quota_bytes, req.clear_quota_bytes) {
        (Some(_), true) => {
            return Err(to_status(OrganizationsError::invalid(
                "clear_quota_bytes",
                "set quota_bytes or clear it, not both",
            )));
        }
        (Some(bytes), false) => QuotaChange::Set(bytes),
        (None, true) => QuotaChange::Clear,
        (None, false) => QuotaChange::Keep,
    };
    Ok(SettingsChange {
        inherits: req.inherits,
        profile: req.profile,
        storage_region: req.storage_region,
        quota_bytes,
        default_roles: req.default_roles.map(|list| list.roles),
    })
}

#[tonic::async_trait]
impl pb::organizations_service_server::OrganizationsService for OrganizationsGrpc {
    async fn create_organization(
        &self,
        request: Request<pb::CreateOrganizationRequest>,
    ) -> Result<Response<pb::CreateOrganizationResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let parent = (!req.parent.trim().is_empty()).then_some(req.parent.as_str());
        let view = self
            .organizations
            .create_organization(tenant, &req.name, parent, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::CreateOrganizationResponse {
            organization: Some(organization_message(view)),
        }))
    }

    async fn rename_organization(
        &self,
        request: Request<pb::RenameOrganizationRequest>,
    ) -> Result<Response<pb::RenameOrganizationResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let view = self
            .organizations
            .rename_organization(tenant, &req.organization, &req.name, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::RenameOrganizationResponse {
            organization: Some(organization_message(view)),
        }))
    }

    async fn move_organization(
        &self,
        request: Request<pb::MoveOrganizationRequest>,
    ) -> Result<Response<pb::MoveOrganizationResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let view = self
            .organizations
            .move_organization(tenant, &req.organization, &req.parent, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::MoveOrganizationResponse {
            organization: Some(organization_message(view)),
        }))
    }

    async fn list_organizations(
        &self,
        request: Request<pb::ListOrganizationsRequest>,
    ) -> Result<Response<pb::ListOrganizationsResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let entries = self
            .organizations
            .list_organizations(tenant)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListOrganizationsResponse {
            organizations: entries.into_iter().map(summary_message).collect(),
        }))
    }

    async fn get_organization(
        &self,
        request: Request<pb::GetOrganizationRequest>,
    ) -> Result<Response<pb::GetOrganizationResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let view = self
            .organizations
            .organization(tenant, &req.organization)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GetOrganizationResponse {
            organization: Some(organization_message(view)),
        }))
    }

    async fn set_organization_settings(
        &self,
        request: Request<pb::SetOrganizationSettingsRequest>,
    ) -> Result<Response<pb::SetOrganizationSettingsResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let organization = req.organization.clone();
        let change = settings_change(req)?;
        let view = self
            .organizations
            .set_organization_settings(tenant, &organization, &change, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::SetOrganizationSettingsResponse {
            organization: Some(organization_message(view)),
        }))
    }

    async fn list_roles(
        &self,
        request: Request<pb::ListRolesRequest>,
    ) -> Result<Response<pb::ListRolesResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let roles = self
            .organizations
            .list_roles(tenant)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListRolesResponse {
            roles: roles.into_iter().map(role_message).collect(),
        }))
    }

    async fn create_role(
        &self,
        request: Request<pb::CreateRoleRequest>,
    ) -> Result<Response<pb::CreateRoleResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let role = self
            .organizations
            .create_role(tenant, &req.name, &req.description, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::CreateRoleResponse {
            role: Some(role_message(role)),
        }))
    }

    async fn move_user(
        &self,
        request: Request<pb::MoveUserRequest>,
    ) -> Result<Response<pb::MoveUserResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let access = self
            .organizations
            .move_user(tenant, &req.user, &req.organization, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::MoveUserResponse {
            access: Some(access_message(access)),
        }))
    }

    async fn grant_user_role(
        &self,
        request: Request<pb::GrantUserRoleRequest>,
    ) -> Result<Response<pb::GrantUserRoleResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let access = self
            .organizations
            .grant_user_role(tenant, &req.user, &req.role, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GrantUserRoleResponse {
            access: Some(access_message(access)),
        }))
    }

    async fn revoke_user_role(
        &self,
        request: Request<pb::RevokeUserRoleRequest>,
    ) -> Result<Response<pb::RevokeUserRoleResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let access = self
            .organizations
            .revoke_user_role(tenant, &req.user, &req.role, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::RevokeUserRoleResponse {
            access: Some(access_message(access)),
        }))
    }

    async fn get_user_access(
        &self,
        request: Request<pb::GetUserAccessRequest>,
    ) -> Result<Response<pb::GetUserAccessResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let access = self
            .organizations
            .user_access(tenant, &req.user)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GetUserAccessResponse {
            access: Some(access_message(access)),
        }))
    }
}
