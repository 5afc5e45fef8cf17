//! The gRPC adapter of `roster.identity.v1.UserAdminService`: operator callers
//! only; the tenant is named by slug in each message.

use roster_core::{ProviderId, TenantId};
use roster_proto::identity::v1 as pb;
use roster_runtime::grpc::{require_operator, tenant_not_found, timestamp};
use roster_store::{AdminUserFilter, ProviderSettings, UserRecord, UserState};
use tonic::{Request, Response, Status};

use super::to_status;
use crate::admin::{AdminAction, LocalUser};
use crate::apply::{Actor, user_name_of};
use crate::{Identity, IdentityError, Scope};

/// Serves `roster.identity.v1.UserAdminService`.
#[derive(Clone, Debug)]
pub struct UserAdminGrpc {
    identity: Identity,
}

impl UserAdminGrpc {
    /// Wraps the domain service.
    pub fn new(identity: Identity) -> Self {
        Self { identity }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::user_admin_service_server::UserAdminServiceServer<Self> {
        pb::user_admin_service_server::UserAdminServiceServer::new(self)
    }

    /// Checks the caller is the operator and resolves the tenant slug.
    async fn tenant<T>(&self, request: &Request<T>, slug: &str) -> Result<TenantId, Status> {
        operator_tenant(&self.identity, request, slug).await
    }
}

/// Checks the caller is the operator and resolves the tenant slug (every admin RPC).
pub(super) async fn operator_tenant<T>(
    identity: &Identity,
    request: &Request<T>,
    slug: &str,
) -> Result<TenantId, Status> {
    require_operator(request)?;
    match identity.store.tenant_by_slug(slug).await {
        Ok(Some(tenant)) => Ok(tenant.id),
        Ok(None) => Err(tenant_not_found(slug)),
        Err(err) => Err(to_status(IdentityError::Store(err))),
    }
}

/// The actor the audit log names for admin API calls.
fn operator() -> Actor {
    Actor::operator("operator")
}

fn state_message(state: UserState) -> pb::UserState {
    match state {
        UserState::Active => pb::UserState::Active,
        UserState::Blocked => pb::UserState::Blocked,
        UserState::Deactivated => pb::UserState::Deactivated,
    }
}

fn user_message(user: UserRecord) -> pb::AdminUser {
    let local = user.is_local();
    let facts = &user.lifecycle;
    pb::AdminUser {
        id: user.id.to_string(),
        user_name: user_name_of(&user),
        external_id: user
            .resource
            .get("externalId")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned),
        provider_id: if local {
            String::new()
        } else {
            user.provider_id.to_string()
        },
        local,
        state: state_message(facts.state) as i32,
        scim_active: user
            .resource
            .get("active")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true),
        deactivation_due_at: facts.deactivation_due_at.map(timestamp),
        deactivation_requested_by: facts
            .deactivation_requested_by
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        legal_hold: facts.legal_hold,
        deleted_by_provider: facts.deleted_by_provider,
        deleted_at: facts.deleted_at.map(timestamp),
        admin_override: facts.admin_override,
        lifecycle_version: facts.lifecycle_version,
        created: Some(timestamp(user.created_at)),
        state_changed_at: facts.state_changed_at.map(timestamp),
    }
}

fn settings_message(settings: ProviderSettings) -> pb::ProviderSettingsResponse {
    pb::ProviderSettingsResponse {
        provider_id: settings.provider_id.to_string(),
        username: settings.username,
        deactivation_delay_seconds: settings.deactivation_delay_secs,
        last_success_at: settings.last_success_at.map(timestamp),
    }
}

pub(super) fn provider_id(text: &str) -> Result<ProviderId, Status> {
    ProviderId::parse(text).map_err(|_| Status::invalid_argument("provider_id is not a valid id"))
}

fn user_response(user: UserRecord) -> Response<pb::AdminUserResponse> {
    Response::new(pb::AdminUserResponse {
        user: Some(user_message(user)),
    })
}

fn local_user(req: &pb::LocalUserRequest) -> LocalUser {
    LocalUser {
        user_name: req.user_name.clone(),
        display_name: req.display_name.clone(),
        emails: req.emails.clone(),
    }
}

#[tonic::async_trait]
impl pb::user_admin_service_server::UserAdminService for UserAdminGrpc {
    async fn list_users(
        &self,
        request: Request<pb::AdminListUsersRequest>,
    ) -> Result<Response<pb::AdminListUsersResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let state = match pb::UserState::try_from(req.state) {
            Ok(pb::UserState::Active) => Some(UserState::Active),
            Ok(pb::UserState::Blocked) => Some(UserState::Blocked),
            Ok(pb::UserState::Deactivated) => Some(UserState::Deactivated),
            Ok(pb::UserState::Unspecified) => None,
            Err(_) => return Err(Status::invalid_argument("state is not a known user state")),
        };
        let filter = AdminUserFilter {
            state,
            pending_deactivation: req.pending_deactivation,
            on_hold: req.on_hold,
            deleted_by_provider: req.deleted_by_provider,
            local: req.local,
            provider: req.provider_id.as_deref().map(provider_id).transpose()?,
            user_name_key: req.user_name.as_deref().map(roster_core::user_name_key),
        };
        let limit = if req.limit <= 0 { 100 } else { req.limit };
        let (total, users) = self
            .identity
            .admin_list_users(tenant, &filter, req.offset, limit)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::AdminListUsersResponse {
            total,
            users: users.into_iter().map(user_message).collect(),
        }))
    }

    async fn get_user(
        &self,
        request: Request<pb::AdminUserRequest>,
    ) -> Result<Response<pb::AdminUserResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let user = self
            .identity
            .admin_get_user(tenant, &request.get_ref().user)
            .await
            .map_err(to_status)?;
        Ok(user_response(user))
    }

    async fn check_sign_in(
        &self,
        request: Request<pb::AdminUserRequest>,
    ) -> Result<Response<pb::CheckSignInResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let (allowed, user) = self
            .identity
            .may_sign_in(tenant, &request.get_ref().user)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::CheckSignInResponse {
            allowed,
            state: state_message(user.lifecycle.state) as i32,
            user_id: user.id.to_string(),
        }))
    }

    async fn change_lifecycle(
        &self,
        request: Request<pb::ChangeLifecycleRequest>,
    ) -> Result<Response<pb::AdminUserResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let action = match pb::LifecycleAction::try_from(req.action) {
            Ok(pb::LifecycleAction::Block) => AdminAction::Block,
            Ok(pb::LifecycleAction::Unblock) => AdminAction::Unblock,
            Ok(pb::LifecycleAction::Deactivate) => AdminAction::Deactivate,
            Ok(pb::LifecycleAction::Reactivate) => AdminAction::Reactivate,
            Ok(pb::LifecycleAction::SetLegalHold) => AdminAction::SetLegalHold,
            Ok(pb::LifecycleAction::ReleaseLegalHold) => AdminAction::ReleaseLegalHold,
            _ => return Err(Status::invalid_argument("action is required")),
        };
        let user = self
            .identity
            .admin_act(tenant, &req.user, action, &operator())
            .await
            .map_err(to_status)?;
        Ok(user_response(user))
    }

    async fn delete_user(
        &self,
        request: Request<pb::AdminUserRequest>,
    ) -> Result<Response<pb::AdminDeleteUserResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        self.identity
            .admin_delete_user(tenant, &request.get_ref().user, &operator())
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::AdminDeleteUserResponse {}))
    }

    async fn create_local_user(
        &self,
        request: Request<pb::LocalUserRequest>,
    ) -> Result<Response<pb::AdminUserResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let user = self
            .identity
            .create_local_user(tenant, &local_user(request.get_ref()), &operator())
            .await
            .map_err(to_status)?;
        Ok(user_response(user))
    }

    async fn update_local_user(
        &self,
        request: Request<pb::LocalUserRequest>,
    ) -> Result<Response<pb::AdminUserResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.get_ref();
        let user = self
            .identity
            .update_local_user(tenant, &req.user, &local_user(req), &operator())
            .await
            .map_err(to_status)?;
        Ok(user_response(user))
    }

    async fn get_provider_settings(
        &self,
        request: Request<pb::ProviderSettingsRequest>,
    ) -> Result<Response<pb::ProviderSettingsResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let provider = provider_id(&request.get_ref().provider_id)?;
        let settings = self
            .identity
            .provider_settings_of(Scope { tenant, provider })
            .await
            .map_err(to_status)?;
        Ok(Response::new(settings_message(settings)))
    }

    async fn set_deactivation_delay(
        &self,
        request: Request<pb::SetDeactivationDelayRequest>,
    ) -> Result<Response<pb::ProviderSettingsResponse>, Status> {
        let tenant = self.tenant(&request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let provider = provider_id(&req.provider_id)?;
        let settings = self
            .identity
            .set_deactivation_delay(Scope { tenant, provider }, req.delay_seconds, &operator())
            .await
            .map_err(to_status)?;
        Ok(Response::new(settings_message(settings)))
    }
}
