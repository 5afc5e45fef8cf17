//! `/Groups` (RFC 7644 §3): create, read, list, replace, patch, delete.
//! PATCH answers 204: the change is O(change) and re-reading a large group's
//! members to echo them would not be.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use roster_proto::identity::v1 as pb;
use roster_proto::scim_json::group_from_json;
use roster_runtime::grpc::authorized;
use roster_scim::resource::normalize;
use roster_scim::schema::ResourceKind;

use super::body::ScimBody;
use super::error::ApiError;
use super::{ListQuery, patch_operations, render, scim_response};
use crate::edge::Edge;
use crate::server::GatewayState;

fn returned(group: Option<pb::Group>) -> Result<pb::Group, ApiError> {
    group.ok_or_else(|| {
        tracing::error!("identity service answered without a group");
        ApiError::internal()
    })
}

/// `POST /Groups`.
pub(crate) async fn create(
    State(state): State<GatewayState>,
    edge: Edge,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let group = group_from_json(&normalize(ResourceKind::Group, body)?);
    let request = authorized(pb::CreateGroupRequest { group: Some(group) }, &edge.token)?;
    let group = returned(
        state
            .clients
            .identity()
            .create_group(request)
            .await?
            .into_inner()
            .group,
    )?;
    let (doc, location) = render::group(&group, &edge.base_url, true);
    Ok(scim_response(StatusCode::CREATED, &doc, Some(&location)))
}

/// `GET /Groups/{id}` (Entra asks with `excludedAttributes=members`).
pub(crate) async fn get(
    State(state): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let exclude_members = query.excludes("members");
    let request = authorized(
        pb::GetGroupRequest {
            id: params.id,
            exclude_members,
        },
        &edge.token,
    )?;
    let group = returned(
        state
            .clients
            .identity()
            .get_group(request)
            .await?
            .into_inner()
            .group,
    )?;
    let (doc, location) = render::group(&group, &edge.base_url, !exclude_members);
    Ok(scim_response(
        StatusCode::OK,
        &render::project(doc, &query),
        Some(&location),
    ))
}

/// `GET /Groups?filter=…`.
pub(crate) async fn list(
    State(state): State<GatewayState>,
    edge: Edge,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    query.refuse_unsupported()?;
    let (start_index, count) = query.page()?;
    let exclude_members = query.excludes("members");
    let request = pb::ListRequest {
        filter: query.filter.clone().unwrap_or_default(),
        start_index,
        count,
        exclude_members,
    };
    let page = state
        .clients
        .identity()
        .list_groups(authorized(request, &edge.token)?)
        .await?
        .into_inner();
    let resources = page
        .groups
        .iter()
        .map(|g| render::project(render::group(g, &edge.base_url, !exclude_members).0, &query))
        .collect();
    Ok(scim_response(
        StatusCode::OK,
        &render::list(page.total_results, start_index, resources),
        None,
    ))
}

/// `PUT /Groups/{id}`: replaces attributes and the whole member list.
pub(crate) async fn replace(
    State(state): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let group = group_from_json(&normalize(ResourceKind::Group, body)?);
    let request = authorized(
        pb::ReplaceGroupRequest {
            id: params.id,
            group: Some(group),
        },
        &edge.token,
    )?;
    let group = returned(
        state
            .clients
            .identity()
            .replace_group(request)
            .await?
            .into_inner()
            .group,
    )?;
    let (doc, location) = render::group(&group, &edge.base_url, true);
    Ok(scim_response(StatusCode::OK, &doc, Some(&location)))
}

/// `PATCH /Groups/{id}`: 204 No Content on success.
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
    state.clients.identity().patch_group(request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /Groups/{id}`.
pub(crate) async fn delete(
    State(state): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
) -> Result<Response, ApiError> {
    let request = authorized(pb::DeleteRequest { id: params.id }, &edge.token)?;
    state.clients.identity().delete_group(request).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
