//! Reports every provisioning request a provider sent that was refused or
//! failed to the identity service, which keeps them per provider (the tenant's
//! provisioning-error report and the "only on errors" digest read them).
//!
//! A middleware puts an empty [`RefusalReport`] in each request's extensions;
//! the `Edge` extractor fills in the provider's access token once it has
//! authenticated, and the body extractor the `userName`/`externalId` the body
//! carried. When the answer is an error, the middleware sends the report after
//! the response, on a spawned task: recording never delays or changes an
//! answer. Requests nobody authenticated (401, unknown tenant) cannot be
//! attributed to a provider and are not reported; neither are rate-limit
//! refusals (recording each would add database writes exactly when a client
//! floods) nor a `GET` of an id that does not exist (IdPs probe with those).

use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use roster_proto::identity::v1 as pb;
use roster_runtime::grpc::authorized;

use crate::server::GatewayState;

/// Most reports in flight at once; past it a report is dropped and counted.
pub(crate) const MAX_REPORTS_IN_FLIGHT: usize = 64;

/// What is known of a request, filled in by the extractors.
#[derive(Debug, Default)]
struct Facts {
    token: Option<String>,
    user_name: Option<String>,
    external_id: Option<String>,
}

/// The per-request report slot, shared by the middleware and the extractors.
#[derive(Debug, Clone, Default)]
pub(crate) struct RefusalReport(Arc<Mutex<Facts>>);

impl RefusalReport {
    fn with<R>(&self, f: impl FnOnce(&mut Facts) -> R) -> R {
        let mut facts = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut facts)
    }

    /// Notes the authenticated provider's access token.
    pub(crate) fn authenticated(&self, token: &str) {
        self.with(|f| f.token = Some(token.to_owned()));
    }

    /// Notes the userName and externalId a request body carried.
    pub(crate) fn body(&self, body: &serde_json::Value) {
        let text = |name: &str| body.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        self.with(|f| {
            f.user_name = text("userName");
            f.external_id = text("externalId");
        });
    }
}

/// What an error response said, attached to it by `ApiError`.
#[derive(Debug, Clone)]
pub(crate) struct ErrorFacts {
    /// The `scimType`, if any.
    pub scim_type: Option<String>,
    /// The `detail`.
    pub detail: String,
}

/// Returns whether an answer is worth a provisioning-error entry.
fn reportable(method: &Method, status: StatusCode) -> bool {
    (status.is_client_error() || status.is_server_error())
        && status != StatusCode::TOO_MANY_REQUESTS
        && !(method == Method::GET && status == StatusCode::NOT_FOUND)
}

/// Returns the SCIM part of a route template: `/t/{tenant}/scim/v2/Users/{id}` → `/Users/{id}`.
fn scim_route(template: &str) -> &str {
    template
        .split_once("/scim/v2")
        .map_or(template, |(_, route)| route)
}

/// The middleware: see the module documentation.
pub(crate) async fn report_refusals(
    State(state): State<GatewayState>,
    mut request: Request,
    next: Next,
) -> Response {
    let report = RefusalReport::default();
    request.extensions_mut().insert(report.clone());
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| scim_route(p.as_str()).to_owned());
    let resource_id = route
        .as_deref()
        .filter(|r| r.ends_with("/{id}"))
        .and_then(|_| request.uri().path().rsplit('/').next())
        .map(str::to_owned);
    let response = next.run(request).await;
    let (Some(route), true) = (route, reportable(&method, response.status())) else {
        return response;
    };
    let Some(token) = report.with(|f| f.token.take()) else {
        return response;
    };
    let Ok(permit) = state.reports_in_flight.clone().try_acquire_owned() else {
        state
            .metrics
            .refusal_reports_dropped
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return response;
    };
    let facts = response.extensions().get::<ErrorFacts>().cloned();
    let (user_name, external_id) = report.with(|f| (f.user_name.take(), f.external_id.take()));
    let message = pb::RecordProvisioningErrorRequest {
        operation: format!("{method} {route}"),
        status: i32::from(response.status().as_u16()),
        scim_type: facts.as_ref().and_then(|f| f.scim_type.clone()),
        detail: facts.map(|f| f.detail).unwrap_or_default(),
        user_name,
        external_id,
        resource_id,
    };
    let mut client = state.clients.identity();
    tokio::spawn(async move {
        let _permit = permit;
        let sent = match authorized(message, &token) {
            Ok(request) => client.record_provisioning_error(request).await.map(|_| ()),
            Err(status) => Err(status),
        };
        if let Err(status) = sent {
            tracing::warn!(code = ?status.code(), message = %status.message(), "provisioning error not recorded");
        }
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_reported_except_rate_limits_and_probing_gets() {
        assert!(reportable(&Method::POST, StatusCode::CONFLICT));
        assert!(reportable(&Method::PATCH, StatusCode::NOT_FOUND));
        assert!(reportable(&Method::GET, StatusCode::BAD_REQUEST));
        assert!(reportable(&Method::PUT, StatusCode::SERVICE_UNAVAILABLE));
        assert!(!reportable(&Method::GET, StatusCode::NOT_FOUND));
        assert!(!reportable(&Method::POST, StatusCode::TOO_MANY_REQUESTS));
        assert!(!reportable(&Method::POST, StatusCode::CREATED));
    }

    #[test]
    fn routes_lose_their_tenant_prefix() {
        assert_eq!(scim_route("/t/{tenant}/scim/v2/Users/{id}"), "/Users/{id}");
        assert_eq!(scim_route("/scim/v2/Groups"), "/Groups");
        assert_eq!(scim_route("/healthz"), "/healthz");
    }
}
