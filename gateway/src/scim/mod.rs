//! The SCIM protocol edge: one module per resource, plus errors, bodies,
//! rendering and list queries.

pub(crate) mod body;
pub(crate) mod discovery;
pub(crate) mod error;
pub(crate) mod groups;
pub(crate) mod render;
pub(crate) mod users;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use error::ApiError;

/// The media type of every SCIM response (RFC 7644 §3.1).
pub(crate) const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// Returns a SCIM JSON response, with a Location header when given.
pub(crate) fn scim_response(status: StatusCode, body: &Value, location: Option<&str>) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SCIM_CONTENT_TYPE),
    );
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// Query parameters of SCIM GET requests (RFC 7644 §3.4.2). Numbers are kept as
/// text so a bad value is a SCIM error rather than axum's plain-text rejection.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    pub filter: Option<String>,
    #[serde(rename = "startIndex")]
    pub start_index: Option<String>,
    pub count: Option<String>,
    pub attributes: Option<String>,
    #[serde(rename = "excludedAttributes")]
    pub excluded_attributes: Option<String>,
    #[serde(rename = "sortBy")]
    pub sort_by: Option<String>,
}

impl ListQuery {
    /// Returns (startIndex, count) with RFC defaults: 1 and the page maximum.
    pub(crate) fn page(&self) -> Result<(i64, i64), ApiError> {
        let number = |name: &str, value: &Option<String>, default: i64| -> Result<i64, ApiError> {
            match value.as_deref().map(str::trim) {
                None | Some("") => Ok(default),
                Some(text) => text.parse::<i64>().map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        Some("invalidValue"),
                        format!("{name} must be an integer"),
                    )
                }),
            }
        };
        let start = number("startIndex", &self.start_index, 1)?;
        let count = number("count", &self.count, roster_identity_page_max())?;
        Ok((start, count))
    }

    /// Refuses parameters this server does not implement rather than ignoring them.
    pub(crate) fn refuse_unsupported(&self) -> Result<(), ApiError> {
        if self.sort_by.is_some() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                Some("invalidValue"),
                "sorting is not supported (ServiceProviderConfig sort.supported is false)",
            ));
        }
        Ok(())
    }

    /// Returns whether `excludedAttributes` names `attr` (case-insensitively).
    pub(crate) fn excludes(&self, attr: &str) -> bool {
        self.excluded_attributes
            .as_deref()
            .is_some_and(|list| list.split(',').any(|a| a.trim().eq_ignore_ascii_case(attr)))
    }
}

/// The largest page (mirrors ServiceProviderConfig `filter.maxResults`).
const fn roster_identity_page_max() -> i64 {
    200
}

/// The `{id}` path parameter (the tenant slug, when present, is read by `Edge`).
#[derive(Debug, Deserialize)]
pub(crate) struct IdParams {
    pub id: String,
}

/// Validates a PATCH body (RFC 7644 §3.5.2) and converts it to typed operations.
/// Paths cross the hop as the client wrote them; identity parses them again
/// with the same library when it applies them.
pub(crate) fn patch_operations(
    body: &Value,
) -> Result<Vec<roster_proto::identity::v1::PatchOperation>, ApiError> {
    use roster_proto::identity::v1 as pb;
    use roster_scim::patch::{PatchOpKind, parse_patch_request};
    let parsed = parse_patch_request(body)?;
    let raw: Vec<&Value> = body
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("Operations")))
        .and_then(|(_, v)| v.as_array())
        .map(|ops| ops.iter().collect())
        .unwrap_or_default();
    Ok(parsed
        .into_iter()
        .enumerate()
        .map(|(i, op)| {
            let path = raw
                .get(i)
                .and_then(|r| r.as_object())
                .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("path")))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_owned);
            pb::PatchOperation {
                op: match op.op {
                    PatchOpKind::Add => pb::PatchOpKind::Add,
                    PatchOpKind::Remove => pb::PatchOpKind::Remove,
                    PatchOpKind::Replace => pb::PatchOpKind::Replace,
                } as i32,
                path,
                value: op
                    .value
                    .as_ref()
                    .map(roster_proto::scim_json::json_to_value),
            }
        })
        .collect())
}
