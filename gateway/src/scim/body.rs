//! `ScimBody`: the request-body extractor. Checks the content type, bounds the
//! size, and parses JSON, so every rejection is a SCIM error.

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{StatusCode, header};
use roster_scim::ScimError;
use serde_json::Value;

use super::error::ApiError;
use crate::refusals::RefusalReport;
use crate::server::GatewayState;

/// A parsed JSON request body.
pub(crate) struct ScimBody(pub Value);

impl<S> FromRequest<S> for ScimBody
where
    S: Send + Sync,
    GatewayState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let limit = GatewayState::from_ref(state).max_body_bytes;
        let report = req.extensions().get::<RefusalReport>().cloned();
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if mime != "application/scim+json" && mime != "application/json" {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!(
                    "content type must be application/scim+json or application/json, not {content_type:?}"
                ),
            ));
        }
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    None,
                    format!("request body is larger than {limit} bytes"),
                )
            })?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|err| {
            ScimError::invalid_syntax(format!("request body is not valid JSON: {err}"))
        })?;
        if let Some(report) = report {
            report.body(&value);
        }
        Ok(Self(value))
    }
}
