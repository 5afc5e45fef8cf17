//! The only place that builds SCIM error responses (RFC 7644 §3.12): the
//! error URN in `schemas`, `status` as a string, `scimType` when defined, an
//! actionable `detail`, content type `application/scim+json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use roster_runtime::grpc::reason_of;
use roster_scim::ScimError;
use roster_scim::schema::ERROR;
use serde_json::json;
use tonic::Code;

use super::SCIM_CONTENT_TYPE;
use crate::refusals::ErrorFacts;

/// A SCIM error on its way to the client.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub scim_type: Option<String>,
    pub detail: String,
    pub retry_after_secs: Option<u64>,
    pub challenge: bool,
}

impl ApiError {
    /// Returns an error with this status and detail.
    pub(crate) fn new(
        status: StatusCode,
        scim_type: Option<&str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type: scim_type.map(str::to_owned),
            detail: detail.into(),
            retry_after_secs: None,
            challenge: false,
        }
    }

    /// Returns a 401 that tells the client which schemes are accepted.
    pub(crate) fn unauthorized(detail: &str) -> Self {
        Self {
            challenge: true,
            ..Self::new(StatusCode::UNAUTHORIZED, None, detail)
        }
    }

    /// Returns a 500 that names the trace to look for, and nothing else.
    pub(crate) fn internal() -> Self {
        let detail = match roster_runtime::telemetry::current_trace_id() {
            Some(trace) => format!("internal error; trace id {trace}"),
            None => "internal error".to_owned(),
        };
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, detail)
    }

    /// Returns a 503 asking the client to retry.
    pub(crate) fn unavailable(detail: &str) -> Self {
        Self {
            retry_after_secs: Some(5),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, None, detail)
        }
    }

    /// Maps a service's gRPC status to the SCIM error the client sees.
    pub(crate) fn from_status(status: tonic::Status) -> Self {
        let reason = reason_of(&status);
        let message = status.message().to_owned();
        match status.code() {
            Code::InvalidArgument => Self::new(
                StatusCode::BAD_REQUEST,
                Some(reason.as_deref().unwrap_or("invalidValue")),
                message,
            ),
            Code::NotFound => Self::new(StatusCode::NOT_FOUND, None, message),
            Code::AlreadyExists => Self::new(
                StatusCode::CONFLICT,
                Some(reason.as_deref().unwrap_or("uniqueness")),
                message,
            ),
            Code::FailedPrecondition => {
                Self::new(StatusCode::PRECONDITION_FAILED, reason.as_deref(), message)
            }
            Code::PermissionDenied => Self::new(StatusCode::FORBIDDEN, None, message),
            Code::Unauthenticated => Self::unauthorized("invalid credentials"),
            Code::ResourceExhausted => Self {
                retry_after_secs: Some(1),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, None, message)
            },
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                tracing::warn!(code = ?status.code(), message = %status.message(), "service unavailable");
                Self::unavailable("the service is temporarily unavailable; retry later")
            }
            _ => {
                tracing::error!(code = ?status.code(), message = %status.message(), "service call failed");
                Self::internal()
            }
        }
    }
}

impl From<ScimError> for ApiError {
    fn from(err: ScimError) -> Self {
        let status = StatusCode::from_u16(err.status).unwrap_or(StatusCode::BAD_REQUEST);
        Self::new(status, err.scim_type.map(|t| t.as_str()), err.detail)
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        Self::from_status(status)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.as_str(),
            "detail": self.detail,
        });
        if let Some(scim_type) = &self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCIM_CONTENT_TYPE),
        );
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"roster\", Bearer realm=\"roster\""),
            );
        }
        response.extensions_mut().insert(ErrorFacts {
            scim_type: self.scim_type,
            detail: self.detail,
        });
        response
    }
}
