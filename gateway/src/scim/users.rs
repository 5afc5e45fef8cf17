//! `/Users` (RFC 7644 §3): create, read, list, replace, patch, delete.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_proto::identity::v1 as pb;
use roster_proto::scim_json::user_from_json;
use roster_runtime::grpc::authorized;
use roster_scim::resource::normalize;
use roster_scim::schema::ResourceKind;

use super::body::ScimBody;
use super::error::ApiError;
use super::{ListQuery, patch_operations, render, scim_response};
use crate::edge::Edge;
use crate::server::GatewayState;

fn returned(user: Option<pb::User>) -> Result<pb::User, ApiError> {
    user.ok_or_else(|| {
        tracing::error!("identity service answered without a user");
        ApiError::internal()
    })
}

/// `POST /Users`.
pub(crate) async fn create(
    State(state): State<GatewayState>,
    edge: Edge,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let user = user_from_json(&normalize(ResourceKind::User, body)?);
    let request = authorized(pb::CreateUserRequest { user: Some(user) }, &edge.token)?;
    let user = returned(
        state
            .clients
            .identity()
            .create_user(request)
            .await?
            .into_inner()
            .user,
    )?;
    let (doc, location) = render::user(&user, &edge.base_url);
    Ok(scim_response(StatusCode::CREATED, &doc, Some(&location)))
}

/// `GET /Users/{id}`.
pub(crate) async fn get(
    State(state): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let request = authorized(pb::GetUserRequest { id: params.id }, &edge.token)?;
    let user = returned(
        state
            .clients
            .identity()
            .get_user(request)
            .await?
            .into_inner()
            .user,
    )?;
    let (doc, location) = render::user(&user, &edge.base_url);
    Ok(scim_response(
        StatusCode::OK,
        &render::project(doc, &query),
        Some(&location),
    ))
}

/// `GET /Users?filter=…&startIndex=…&count=…`.
pub(crate) async fn list(
    State(state): State<GatewayState>,
    edge: Edge,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    query.refuse_unsupported()?;
    let (start_index, count) = query.page()?;
    let request = pb::ListRequest {
        filter: query.filter.clone().unwrap_or_default(),
        start_index,
        count,
        exclude_members: false,
    };
    let page = state
        .clients
        .identity()
        .list_users(authorized(request, &edge.token)?)
        .await?
        .into_inner();
    let resources = page
        .users
        .iter()
        .map(|u| render::project(render::user(u, &edge.base_url).0, &query))
        .collect();
    Ok(scim_response(
        StatusCode::OK,
        &render::list(page.total_results, start_index, resources),
        None,
    ))
}

/// `PUT /Users/{id}`: full replace.
pub(crate) async fn replace(
    State(state): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let user = user_from_json(&normalize(ResourceKind::User, body)?);
    let request = authorized(
        pb::ReplaceUserRequest {
            id: params.id,
            user: Some(user),
        },
        &edge.token,
    )?;
    let user = returned(
        state
            .clients
            .identity()
            .replace_user(request)
            .await?
            .into_inner()
            .user,
    )?;
    let (doc, location) = render::user(&user, &edge.base_url);
    Ok(scim_response(StatusCode::OK, &doc, Some(&location)))
}

/// `PATCH /Users/{id}`.
pub(crate) async fn patch(
    State(state): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let operations = patch_operations(&body)?;
    let request = authorized(
        pb::PatchRequest {
            id: params.id,
            operations,
        },
        &edge.token,
    )?;
    let user = returned(
        state
            .clients
            .identity()
            .patch_user(request)
            .await?
            .into_inner()
            .user,
    )?;
    let (doc, location) = render::user(&user, &edge.base_url);
    Ok(scim_response(StatusCode::OK, &doc, Some(&location)))
}

/// `DELETE /Users/{id}`.
pub(crate) async fn delete(
    State(state): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
) -> Result<Response, ApiError> {
    let request = authorized(pb::DeleteRequest { id: params.id }, &edge.token)?;
    state.clients.identity().delete_user(request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
