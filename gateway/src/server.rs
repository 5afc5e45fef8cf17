//! Router assembly and HTTPS serving.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum_server::tls_rustls::RustlsConfig;
use roster_runtime::Config;
use roster_runtime::tls::TlsFiles;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::clients::ServiceClients;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::scim::error::ApiError;
use crate::scim::{discovery, groups, users};

/// What every gateway request shares.
#[derive(Clone, Debug)]
pub struct GatewayState {
    pub(crate) clients: ServiceClients,
    pub(crate) limiter: RateLimiter,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) public_url: String,
    pub(crate) max_body_bytes: usize,
    /// Bounds the provisioning-error reports in flight (see `refusals`).
    pub(crate) reports_in_flight: Arc<tokio::sync::Semaphore>,
    request_timeout: Duration,
    ready: Arc<AtomicBool>,
    /// Counters of other parts of this process, appended to `/metrics` (the job worker's).
    extra_metrics: Option<ExtraMetrics>,
}

/// Renders counters that other parts of the same process keep, in the Prometheus text format.
#[derive(Clone)]
pub struct ExtraMetrics(Arc<dyn Fn() -> String + Send + Sync>);

impl ExtraMetrics {
    /// Wraps a renderer.
    pub fn new(render: impl Fn() -> String + Send + Sync + 'static) -> Self {
        Self(Arc::new(render))
    }
}

impl std::fmt::Debug for ExtraMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExtraMetrics")
    }
}

impl GatewayState {
    /// Builds the state from the configuration and service clients.
    pub fn new(config: &Config, clients: ServiceClients) -> anyhow::Result<Self> {
        use secrecy::ExposeSecret;
        let metrics = Arc::new(Metrics::default());
        let redis_url = config
            .redis
            .url
            .as_ref()
            .map(|u| u.expose_secret().to_owned());
        let limiter = RateLimiter::new(
            config.gateway.rate_limit.per_second,
            config.gateway.rate_limit.burst,
            redis_url.as_deref(),
            metrics.clone(),
        )?;
        Ok(Self {
            clients,
            limiter,
            metrics,
            public_url: config.gateway.public_url.trim_end_matches('/').to_owned(),
            max_body_bytes: config.gateway.max_body_bytes,
            reports_in_flight: Arc::new(tokio::sync::Semaphore::new(
                crate::refusals::MAX_REPORTS_IN_FLIGHT,
            )),
            request_timeout: Duration::from_secs(config.gateway.request_timeout_secs),
            ready: Arc::new(AtomicBool::new(true)),
            extra_metrics: None,
        })
    }

    /// Returns the state with `extra` appended to every `/metrics` answer (counters of other
    /// roles running in this process).
    pub fn with_extra_metrics(mut self, extra: ExtraMetrics) -> Self {
        self.extra_metrics = Some(extra);
        self
    }
}

fn scim_routes() -> Router<GatewayState> {
    Router::new()
        .route("/Users", get(users::list).post(users::create))
        .route(
            "/Users/{id}",
            get(users::get)
                .put(users::replace)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route("/Groups", get(groups::list).post(groups::create))
        .route(
            "/Groups/{id}",
            get(groups::get)
                .put(groups::replace)
                .patch(groups::patch)
                .delete(groups::delete),
        )
        .route(
            "/ServiceProviderConfig",
            get(discovery::service_provider_config),
        )
        .route("/Schemas", get(discovery::list_schemas))
        .route("/Schemas/{id}", get(discovery::get_schema))
        .route("/ResourceTypes", get(discovery::list_resource_types))
        .route("/ResourceTypes/{id}", get(discovery::get_resource_type))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this method is not supported on this endpoint",
    )
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        None,
        "no such endpoint; SCIM endpoints live under /t/<tenant>/scim/v2",
    )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<GatewayState>) -> Response {
    if !state.ready.load(Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining").into_response();
    }
    let mut health =
        tonic_health::pb::health_client::HealthClient::new(state.clients.tenants_channel());
    let check = tokio::time::timeout(
        Duration::from_secs(2),
        health.check(tonic_health::pb::HealthCheckRequest {
            service: String::new(),
        }),
    )
    .await;
    match check {
        Ok(Ok(_)) => (StatusCode::OK, "ready").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "services unreachable").into_response(),
    }
}

async fn metrics(State(state): State<GatewayState>) -> String {
    let mut text = state.metrics.render();
    if let Some(extra) = &state.extra_metrics {
        text.push_str(&(extra.0)());
    }
    text
}

/// Counts every response, and answers a SCIM 503 for a request that outlives
/// `gateway.request_timeout_secs` (its work is cancelled: a write has either
/// committed or rolls back, never half).
async fn count_responses(
    State(state): State<GatewayState>,
    request: Request,
    next: Next,
) -> Response {
    let response = match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!("request timed out");
            ApiError::unavailable("the request took too long; retry later").into_response()
        }
    };
    state.metrics.count_response(response.status().as_u16());
    response
}

fn request_span(request: &Request) -> tracing::Span {
    // The route template, never the raw path: paths carry ids.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route = %route,
        tenant = tracing::field::Empty,
        provider = tracing::field::Empty,
    )
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    ApiError::internal().into_response()
}

/// Returns the gateway's router (no socket: tests and `serve` share it).
pub fn router(state: GatewayState) -> Router {
    Router::new()
        .nest("/t/{tenant}/scim/v2", scim_routes())
        .nest("/scim/v2", scim_routes())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_responses,
        ))
        // Outside the timeout, so a request that timed out is reported too.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::refusals::report_refusals,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// Serves the router over HTTPS on `listener` until `shutdown` fires, then
/// reports not-ready and drains in-flight requests.
pub async fn serve(
    listener: std::net::TcpListener,
    tls: &TlsFiles,
    state: GatewayState,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let tls_config = RustlsConfig::from_pem_file(&tls.cert, &tls.key)
        .await
        .map_err(|err| anyhow::anyhow!("load TLS certificate {}: {err}", tls.cert.display()))?;
    let handle = axum_server::Handle::<SocketAddr>::new();
    let ready = state.ready.clone();
    let drain = handle.clone();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        ready.store(false, Ordering::Relaxed);
        drain.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    listener.set_nonblocking(true)?;
    axum_server::from_tcp_rustls(listener, tls_config)?
        .handle(handle)
        .serve(router(state).into_make_service())
        .await?;
    Ok(())
}
