//! The gRPC adapter of the identity service: takes the tenant and provider
//! from the caller's access token, converts messages, calls the domain, and
//! maps errors (the SCIM `scimType` travels as `ErrorInfo.reason`).

use roster_proto::identity::v1 as pb;
use roster_proto::scim_json::{
    group_from_json, group_to_json, user_from_json, user_to_json, value_to_json,
};
use roster_runtime::auth::Caller;
use roster_runtime::grpc::{caller, internal_status, record_caller, status_with_reason, timestamp};
use roster_scim::patch::{PatchOpKind, PatchOperation, parse_path};
use roster_store::MemberType;
use time::OffsetDateTime;
use tonic::{Request, Response, Status};

use crate::groups::GroupView;
use crate::users::UserView;
use crate::{Identity, IdentityError, Page, Scope};

mod admin;
mod logs;

pub use admin::UserAdminGrpc;
pub use logs::LogsGrpc;

/// Serves `roster.identity.v1.IdentityService`.
#[derive(Clone, Debug)]
pub struct IdentityGrpc {
    identity: Identity,
}

impl IdentityGrpc {
    /// Wraps the domain service.
    pub fn new(identity: Identity) -> Self {
        Self { identity }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::identity_service_server::IdentityServiceServer<Self> {
        pb::identity_service_server::IdentityServiceServer::new(self)
    }
}

fn scope<T>(request: &Request<T>) -> Result<Scope, Status> {
    let who = caller(request)?;
    record_caller(&who);
    match who {
        Caller::Tenant { tenant, provider } => Ok(Scope { tenant, provider }),
        _ => Err(Status::permission_denied(
            "this call needs a tenant access token",
        )),
    }
}

pub(crate) fn to_status(err: IdentityError) -> Status {
    match &err {
        IdentityError::Scim(scim) => status_with_reason(
            err.kind(),
            scim.detail.clone(),
            scim.scim_type.map(|t| t.as_str()),
        ),
        IdentityError::Store(store) if err.kind() == roster_core::ErrorKind::Internal => {
            internal_status(store)
        }
        IdentityError::Store(_) => status_with_reason(err.kind(), "database unavailable", None),
    }
}

fn meta(created: OffsetDateTime, modified: OffsetDateTime, version: i64) -> pb::Meta {
    pb::Meta {
        created: Some(timestamp(created)),
        last_modified: Some(timestamp(modified)),
        version,
    }
}

fn user_message(view: UserView) -> pb::User {
    let mut user = user_from_json(&view.record.resource);
    user.id = view.record.id.to_string();
    user.meta = Some(meta(
        view.record.created_at,
        view.record.updated_at,
        view.record.version,
    ));
    user.groups = view
        .groups
        .into_iter()
        .map(|(id, display)| pb::GroupRef {
            value: id.to_string(),
            display,
        })
        .collect();
    user
}

fn group_message(view: GroupView) -> pb::Group {
    let mut group = group_from_json(&view.record.resource);
    group.id = view.record.id.to_string();
    group.meta = Some(meta(
        view.record.created_at,
        view.record.updated_at,
        view.record.version,
    ));
    group.members = view
        .members
        .unwrap_or_default()
        .into_iter()
        .map(|m| pb::Member {
            value: m.id.to_string(),
            display: m.display,
            r#type: Some(match m.member_type {
                MemberType::User => "User".to_owned(),
                MemberType::Group => "Group".to_owned(),
            }),
        })
        .collect();
    group
}

fn patch_operations(ops: Vec<pb::PatchOperation>) -> Result<Vec<PatchOperation>, IdentityError> {
    ops.into_iter()
        .enumerate()
        .map(|(i, op)| {
            let kind = match pb::PatchOpKind::try_from(op.op) {
                Ok(pb::PatchOpKind::Add) => PatchOpKind::Add,
                Ok(pb::PatchOpKind::Remove) => PatchOpKind::Remove,
                Ok(pb::PatchOpKind::Replace) => PatchOpKind::Replace,
                _ => {
                    return Err(IdentityError::Scim(roster_scim::ScimError::invalid_value(
                        format!("Operations[{i}].op must be add, remove or replace"),
                    )));
                }
            };
            Ok(PatchOperation {
                op: kind,
                path: op.path.as_deref().map(parse_path).transpose()?,
                value: op.value.as_ref().map(value_to_json),
            })
        })
        .collect()
}

fn required<T>(value: Option<T>, field: &str) -> Result<T, Status> {
    value.ok_or_else(|| Status::invalid_argument(format!("{field} is required")))
}

#[tonic::async_trait]
impl pb::identity_service_server::IdentityService for IdentityGrpc {
    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::UserResponse>, Status> {
        let scope = scope(&request)?;
        let user = required(request.into_inner().user, "user")?;
        let view = self
            .identity
            .create_user(scope, user_to_json(&user))
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::UserResponse {
            user: Some(user_message(view)),
        }))
    }

    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::UserResponse>, Status> {
        let scope = scope(&request)?;
        let view = self
            .identity
            .get_user(scope, &request.into_inner().id)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::UserResponse {
            user: Some(user_message(view)),
        }))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        let scope = scope(&request)?;
        let req = request.into_inner();
        let page = Page {
            start_index: req.start_index,
            count: req.count,
        };
        let (total, views) = self
            .identity
            .list_users(scope, &req.filter, page)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListUsersResponse {
            total_results: total,
            users: views.into_iter().map(user_message).collect(),
        }))
    }

    async fn replace_user(
        &self,
        request: Request<pb::ReplaceUserRequest>,
    ) -> Result<Response<pb::UserResponse>, Status> {
        let scope = scope(&request)?;
        let req = request.into_inner();
        let user = required(req.user, "user")?;
        let view = self
            .identity
            .replace_user(scope, &req.id, user_to_json(&user))
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::UserResponse {
            user: Some(user_message(view)),
        }))
    }

    async fn patch_user(
        &self,
        request: Request<pb::PatchRequest>,
    ) -> Result<Response<pb::UserResponse>, Status> {
        let scope = scope(&request)?;
        let req = request.into_inner();
        let ops = patch_operations(req.operations).map_err(to_status)?;
        let view = self
            .identity
            .patch_user(scope, &req.id, &ops)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::UserResponse {
            user: Some(user_message(view)),
        }))
    }

    async fn delete_user(
        &self,
        request: Request<pb::DeleteRequest>,
    ) -> Result<Response<pb::DeleteResponse>, Status> {
        let scope = scope(&request)?;
        self.identity
            .delete_user(scope, &request.into_inner().id)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::DeleteResponse {}))
    }

    async fn record_provisioning_error(
        &self,
        request: Request<pb::RecordProvisioningErrorRequest>,
    ) -> Result<Response<pb::RecordProvisioningErrorResponse>, Status> {
        let scope = scope(&request)?;
        let req = request.into_inner();
        let error = roster_store::NewProvisioningError {
            provider_id: scope.provider,
            operation: req.operation,
            status: req.status,
            scim_type: req.scim_type,
            user_name: req.user_name,
            external_id: req.external_id,
            detail: req.detail,
        };
        self.identity
            .record_provisioning_error(scope, error, req.resource_id.as_deref())
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::RecordProvisioningErrorResponse {}))
    }

    async fn create_group(
        &self,
        request: Request<pb::CreateGroupRequest>,
    ) -> Result<Response<pb::GroupResponse>, Status> {
        let scope = scope(&request)?;
        let group = required(request.into_inner().group, "group")?;
        let view = self
            .identity
            .create_group(scope, group_to_json(&group))
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GroupResponse {
            group: Some(group_message(view)),
        }))
    }

    async fn get_group(
        &self,
        request: Request<pb::GetGroupRequest>,
    ) -> Result<Response<pb::GroupResponse>, Status> {
        let scope = scope(&request)?;
        let req = request.into_inner();
        let view = self
            .identity
            .get_group(scope, &req.id, req.exclude_members)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GroupResponse {
            group: Some(group_message(view)),
        }))
    }

    async fn list_groups(
        &self,
        request: Request<pb::ListRequest>,
    ) -> Result<Response<pb::ListGroupsResponse>, Status> {
        let scope = scope(&request)?;
        let req = request.into_inner();
        let page = Page {
            start_index: req.start_index,
            count: req.count,
        };
        let (total, views) = self
            .identity
            .list_groups(scope, &req.filter, page, req.exclude_members)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListGroupsResponse {
            total_results: total,
            groups: views.into_iter().map(group_message).collect(),
        }))
    }

    async fn replace_group(
        &self,
        request: Request<pb::ReplaceGroupRequest>,
    ) -> Result<Response<pb::GroupResponse>, Status> {
        let scope = scope(&request)?;
        let req = request.into_inner();
        let group = required(req.group, "group")?;
        let view = self
            .identity
            .replace_group(scope, &req.id, group_to_json(&group))
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GroupResponse {
            group: Some(group_message(view)),
        }))
    }

    async fn patch_group(
        &self,
        request: Request<pb::PatchRequest>,
    ) -> Result<Response<pb::GroupResponse>, Status> {
        let scope = scope(&request)?;
        let req = request.into_inner();
        let ops = patch_operations(req.operations).map_err(to_status)?;
        let view = self
            .identity
            .patch_group(scope, &req.id, ops)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GroupResponse {
            group: Some(group_message(view)),
        }))
    }

    async fn delete_group(
        &self,
        request: Request<pb::DeleteRequest>,
    ) -> Result<Response<pb::DeleteResponse>, Status> {
        let scope = scope(&request)?;
        self.identity
            .delete_group(scope, &request.into_inner().id)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::DeleteResponse {}))
    }
}
