//! `Edge`: the extractor every SCIM handler starts with. Resolves the tenant
//! (path `/t/<slug>/…` or Host), authenticates the provider through the
//! tenants service (one control lookup, nothing cached, so a regenerated
//! secret is refused at once), then applies the tenant's rate limit.

use std::collections::HashMap;

use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use roster_core::TenantId;
use roster_proto::tenants::v1 as pb;
use roster_runtime::grpc::{authorized, reason_of};
use tonic::Code;

use crate::ratelimit::Decision;
use crate::refusals::RefusalReport;
use crate::scim::error::ApiError;
use crate::server::GatewayState;

/// An authenticated, rate-limited request for one tenant and provider.
#[derive(Debug, Clone)]
pub(crate) struct Edge {
    /// The tenant's access token for identity calls.
    pub token: String,
    /// The SCIM base URL of this tenant as the client addressed it (no trailing slash).
    pub base_url: String,
}

fn credential(parts: &Parts) -> Result<pb::authenticate_provider_request::Credential, ApiError> {
    use pb::authenticate_provider_request::Credential;
    let header = parts
        .headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("credentials are required (HTTP Basic or Bearer)"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("invalid credentials"))?;
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
        return Ok(Credential::BearerToken(rest.to_owned()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| ApiError::unauthorized("invalid credentials"))?;
        let (username, password) = decoded
            .split_once(':')
            .ok_or_else(|| ApiError::unauthorized("invalid credentials"))?;
        return Ok(Credential::Basic(pb::BasicCredential {
            username: username.to_owned(),
            password: password.to_owned(),
        }));
    }
    Err(ApiError::unauthorized(
        "credentials are required (HTTP Basic or Bearer)",
    ))
}

fn host_of(parts: &Parts) -> Option<String> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.host())?;
    let name = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]"))?
    } else {
        host.split(':').next()?.to_owned()
    };
    Some(name.to_ascii_lowercase())
}

impl<S> FromRequestParts<S> for Edge
where
    S: Send + Sync,
    GatewayState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        use pb::authenticate_provider_request::Tenant;
        let state = GatewayState::from_ref(state);
        let params: Path<HashMap<String, String>> = Path::from_request_parts(parts, &state)
            .await
            .unwrap_or_else(|_| Path(HashMap::new()));
        let (selector, base_url) = match params.get("tenant") {
            Some(slug) => (
                Tenant::Slug(slug.clone()),
                format!("{}/t/{slug}/scim/v2", state.public_url),
            ),
            None => {
                let host =
                    host_of(parts).ok_or_else(|| ApiError::unauthorized("unknown tenant"))?;
                let base = format!(
                    "https://{}/scim/v2",
                    parts
                        .headers
                        .get(header::HOST)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or(&host)
                );
                (Tenant::Host(host), base)
            }
        };
        let request = pb::AuthenticateProviderRequest {
            tenant: Some(selector),
            credential: Some(credential(parts)?),
        };
        let response = state
            .clients
            .tenants()
            .authenticate_provider(authorized(request, &state.clients.gateway_credential)?)
            .await
            .map_err(|status| match status.code() {
                Code::PermissionDenied
                    if reason_of(&status).as_deref() == Some("TENANT_SUSPENDED") =>
                {
                    ApiError::new(StatusCode::FORBIDDEN, None, "this tenant is suspended")
                }
                Code::Unauthenticated => ApiError::unauthorized("invalid credentials"),
                _ => ApiError::from_status(status),
            })?
            .into_inner();
        let tenant = TenantId::parse(&response.tenant_id).map_err(|_| ApiError::internal())?;
        if let Some(report) = parts.extensions.get::<RefusalReport>() {
            report.authenticated(&response.access_token);
        }
        let span = tracing::Span::current();
        span.record("tenant", tracing::field::display(&tenant));
        span.record("provider", tracing::field::display(&response.provider_id));
        if let Decision::Deny { retry_after } = state.limiter.check(tenant).await {
            state
                .metrics
                .rate_limited
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Err(ApiError {
                retry_after_secs: Some(retry_after.as_secs_f64().ceil().max(1.0) as u64),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    None,
                    "too many requests for this tenant; retry after the time in Retry-After",
                )
            });
        }
        Ok(Self {
            token: response.access_token,
            base_url,
        })
    }
}
