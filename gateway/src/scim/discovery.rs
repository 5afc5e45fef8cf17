//! Discovery endpoints (RFC 7644 §4): `/ServiceProviderConfig`, `/Schemas`,
//! `/ResourceTypes`, rendered from the same schema definitions that validate
//! requests, so they tell the truth.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use roster_scim::schema::{
    ResourceKind, all_schemas, resource_type_document, schema_document,
    service_provider_config_document,
};
use serde_json::{Value, json};

use super::error::ApiError;
use super::{render, scim_response};
use crate::edge::Edge;
use crate::server::GatewayState;

fn with_meta(mut doc: Value, resource_type: &str, location: String) -> Value {
    if let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "meta".to_owned(),
            json!({"resourceType": resource_type, "location": location}),
        );
    }
    doc
}

fn schemas(base: &str) -> Vec<Value> {
    all_schemas()
        .iter()
        .map(|s| {
            with_meta(
                schema_document(s),
                "Schema",
                format!("{base}/Schemas/{}", s.id),
            )
        })
        .collect()
}

fn resource_types(base: &str) -> Vec<Value> {
    [ResourceKind::User, ResourceKind::Group]
        .into_iter()
        .map(|k| {
            with_meta(
                resource_type_document(k),
                "ResourceType",
                format!("{base}/ResourceTypes/{}", k.name()),
            )
        })
        .collect()
}

/// `GET /ServiceProviderConfig`.
pub(crate) async fn service_provider_config(
    State(_): State<GatewayState>,
    edge: Edge,
) -> Result<Response, ApiError> {
    let doc = with_meta(
        service_provider_config_document(),
        "ServiceProviderConfig",
        format!("{}/ServiceProviderConfig", edge.base_url),
    );
    Ok(scim_response(StatusCode::OK, &doc, None))
}

/// `GET /Schemas`.
pub(crate) async fn list_schemas(
    State(_): State<GatewayState>,
    edge: Edge,
) -> Result<Response, ApiError> {
    let all = schemas(&edge.base_url);
    Ok(scim_response(
        StatusCode::OK,
        &render::list(all.len() as i64, 1, all),
        None,
    ))
}

/// `GET /Schemas/{id}`.
pub(crate) async fn get_schema(
    State(_): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
) -> Result<Response, ApiError> {
    schemas(&edge.base_url)
        .into_iter()
        .find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(&params.id))
        })
        .map(|s| scim_response(StatusCode::OK, &s, None))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                None,
                format!("schema {} not found", params.id),
            )
        })
}

/// `GET /ResourceTypes`.
pub(crate) async fn list_resource_types(
    State(_): State<GatewayState>,
    edge: Edge,
) -> Result<Response, ApiError> {
    let all = resource_types(&edge.base_url);
    Ok(scim_response(
        StatusCode::OK,
        &render::list(all.len() as i64, 1, all),
        None,
    ))
}

/// `GET /ResourceTypes/{id}`.
pub(crate) async fn get_resource_type(
    State(_): State<GatewayState>,
    edge: Edge,
    Path(params): Path<super::IdParams>,
) -> Result<Response, ApiError> {
    resource_types(&edge.base_url)
        .into_iter()
        .find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(&params.id))
        })
        .map(|s| scim_response(StatusCode::OK, &s, None))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                None,
                format!("resource type {} not found", params.id),
            )
        })
}
